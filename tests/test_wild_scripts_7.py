"""Patterns met running a seventh set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(the programs: tests/_wild7_programs.py; fixture: tools/gen_wild7_fixtures.py, which runs the
same file with its import line switched to MXNet).

* CheckpointHandler(save_best=True) and EarlyStoppingHandler in mode 'auto' warn which way they
  will compare the monitored metric, as MXNet's do (a captcha trainer's fit loop on a metric made by
  ``mx.metric.create(function)``): minigluon chose silently.
* Behaviours checked against MXNet and pinned: that fit loop's checkpoint files; the word-language
  model example's tied embedding / decoder weights over truncated BPTT with detached states and
  ``clip_global_norm``; a GluonCV-style composed warm-up + cosine lr_scheduler under a Trainer; the
  names of GluonCV ResNeXt-style units built with ``prefix=''`` in a stage's name scope; GluonCV's
  SoftmaxOutput-based segmentation cross-entropy with an auxiliary head (and its hybridized form
  failing as MXNet's does); export of a block with ``params.get_constant`` preprocessing; GLUE-style
  metrics (MCC / F1 micro, PearsonCorrelation micro and macro, Perplexity with ignore_label); a
  detection loader's label padding with shard / filter / FilterSampler / rollover; and
  ``autograd.backward([l1, l2])`` over two heads.
"""
import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.gluon import nn
from minigluon.gluon.contrib import estimator
from _wild import close, load_fixture
import _wild7_programs as P

FIX = load_fixture('wild7')


def test_auto_mode_says_which_way_it_compares():
    assert P.auto_mode_warnings() == FIX['auto_mode_warnings']
    with pytest.warns(UserWarning, match="mode='auto' will minimise validation loss"):
        assert not estimator.EarlyStoppingHandler(mx.metric.Loss('validation loss')).greater


def test_fit_loop_checkpoints_on_a_function_metric():
    want = FIX['checkpoint_files']
    with pytest.warns(UserWarning, match='maximise'):      # the handler's mode 'auto'
        got = P.checkpoint_files()
    assert got['files'] == want['files']
    assert got['metric_names'] == want['metric_names']
    close(got['weight'], want['weight'])


def test_tied_word_lm_with_detached_states_and_global_norm_clipping():
    got, want = P.tied_lm(), FIX['tied_lm']
    assert got['names'] == want['names']    # the decoder owns no parameter
    close(got['losses'], want['losses'])
    close(got['norms'], want['norms'])
    assert sorted(got['weights']) == sorted(want['weights'])
    for name, value in want['weights'].items():
        close(got['weights'][name], value)


def test_tied_decoder_weight_is_the_embedding_weight():
    model = P.TiedLM(6, 4)
    assert model.decoder.weight is model.encoder.weight


def test_composed_schedule_counts_updates_from_one():
    # as MXNet 1.9.1, learning_rate next to a scheduler overwrites the scheduler's base rate and says
    # so (MXNet prints the UserWarning, minigluon issues it)
    with pytest.warns(UserWarning, match='has been overwritten by ``learning_rate``'):
        got = P.lr_sequential()
    # the first step sees num_update 1, halfway up the 3-update warm-up: 0.1 + (0 - 0.1) * (1 - 1/2)
    assert got['rates'][0] == pytest.approx(0.05)
    close(got['rates'], FIX['lr_sequential']['rates'], 1e-12)
    close(got['weight'], FIX['lr_sequential']['weight'])


def test_units_with_empty_prefixes_share_their_stage_counters():
    got, want = P.empty_prefix_names(), FIX['empty_prefix_names']
    assert got['names'] == want['names']
    assert got['structural'] == want['structural']


def test_segmentation_cross_entropy_through_softmax_output():
    got, want = P.seg_ce(), FIX['seg_ce']
    for key in ('aux', 'aux_g1', 'aux_g2', 'plain', 'plain_g1'):
        close(got[key], want[key])
    assert got['hybrid_error'] == want['hybrid_error'] == ['AttributeError', True]


def test_export_with_constant_preprocessing():
    got, want = P.export_preprocess(), FIX['export_preprocess']
    close(got['out'], want['out'])
    assert got['nodes'] == want['nodes']
    assert got['keys'] == want['keys']


def test_glue_style_metrics():
    got, want = P.metrics(), FIX['metrics']
    for key in ('mcc', 'f1acc', 'f1m', 'pmic', 'pmac', 'ppl'):
        close(got[key], want[key], 1e-6)
    assert got['acc'] == want['acc']
    assert got['empty'] == want['empty']


def test_detection_label_padding_and_dataset_views():
    got, want = P.pad_batchify(), FIX['pad_batchify']
    assert len(got['batches']) == len(want['batches'])
    for batch, expect in zip(got['batches'], want['batches']):
        assert len(batch) == len(expect) == 2
        for part, value in zip(batch, expect):
            close(part, value, 1e-7)
    for key in ('shard', 'filter', 'sampler', 'rollover'):
        assert got[key] == want[key], key


def test_backward_of_a_list_of_head_losses():
    got, want = P.multitask(), FIX['multitask']
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        close(got[name], value)


@pytest.fixture(scope='module')
def static_running_stats():
    """minigluon's running statistics read right after each step (no waitall)."""
    return P.static_running_stats(wait=False)


@pytest.mark.parametrize('mode', ['eager', 'static'])
def test_running_stats_read_right_after_a_static_step(mode, static_running_stats):
    # MXNet's read straight after trainer.step of a static_alloc/static_shape network can return the
    # value from before the step (seen in an ImageNet trainer's ResNeXt); the fixture reads after
    # waitall, minigluon's are read right away
    got, want = static_running_stats[mode], FIX['static_running_stats'][mode]
    assert len(got['means']) == len(want['means']) == 3
    for mean, want_mean in zip(got['means'], want['means']):
        close(mean, want_mean)
    close(got['var'], want['var'])


@pytest.mark.parametrize('hybrid', [False, True])
def test_freezing_batchnorm_through_its_kwargs(hybrid):
    # GluonCV's freeze_bn sets BatchNorm._kwargs['use_global_stats'] before the first call; as on
    # MXNet 1.9.1 the layer then normalizes with the running statistics and leaves them alone
    conv = nn.Conv2D(3, 1, in_channels=2)
    bn = nn.BatchNorm(in_channels=3)
    net = nn.HybridSequential()
    net.add(conv, bn)
    net.initialize()
    bn._kwargs['use_global_stats'] = True
    if hybrid:
        net.hybridize()
    x = nd.array(np.random.RandomState(14).uniform(-1, 1, (4, 2, 3, 3)))
    with autograd.record():
        y = net(x)
        z = conv(x)
    y.backward()
    # running mean 0 and variance 1, gamma 1, beta 0: y = z / sqrt(1 + eps)
    close(y, z.asnumpy() / np.sqrt(1 + 1e-5), 1e-6)
    close(bn.running_mean.data(), np.zeros(3), 0)
    close(bn.running_var.data(), np.ones(3), 0)
