"""Patterns met running a thirteenth set of public MXNet 1.x Gluon sources unchanged, against MXNet
1.9.1 (the programs: tests/_wild13_programs.py, each below a comment naming its source; fixture:
tools/gen_wild13_fixtures.py, which runs the same file with its import line switched to MXNet).

* Segmentation and super-resolution: a U-Net whose up blocks center-crop with ``F.Crop(*[x, s],
  center_crop=True)`` after a Conv2DTranspose, pooled with ``ceil_mode=True`` (eager and
  hybridized); an ESPCN-style upsampler through contrib.nn.PixelShuffle2D and SyncBatchNorm;
  contrib HybridConcurrent / Concurrent / Identity and PixelShuffle1D / 3D: MXNet's numbers.
* Metric learning and losses: the center loss as a HybridBlock that calls ``label.asnumpy()`` and
  np.bincount inside hybrid_forward and its Embedding form, with a second Trainer for the centers;
  GluonCV's FocalLoss (one_hot, where, ``mean(exclude=True)``) and
  DistillationSoftmaxCrossEntropyLoss (hybridized, its unused inputs warned about as MXNet does);
  TripletLoss over L2Normalization, the loss zoo scripts switch between, label smoothing by
  ``one_hot(on_value, off_value)`` with mixup: MXNet's numbers.
* Graphs, generative models, recommenders, RL: DGL's GAT written densely (params.get attention
  vectors with Xavier, LeakyReLU scores, masked softmax, residual Dense, ELU), the Gluon VAE
  (attributes set before HybridBlock.__init__, ``prefix='encoder'`` Sequentials, F.split of mean
  and log-variance; after hybridize its ``self.mu`` holds a Symbol in both), d2l's MF and DeepFM,
  a PPO clip update and a DDPG with NDArray OU noise and soft target updates by set_data: MXNet's
  numbers.
* Pipelines and training plumbing: gluon.data datasets (transform_first on tuples and on lists,
  filter / take / shard / sample), RandomSampler under a seeded np.random, BatchSampler's three
  last_batch modes, FilterSampler, IntervalSampler, DataLoader over a batch_sampler and with
  shuffle + rollover; Poly / Cosine (linear and constant warm-up) / Factor / MultiFactor
  schedulers read through ``trainer.learning_rate``, ``set_learning_rate`` refused with a
  scheduler, allreduce_grads + clip_global_norm + update; a CompositeEvalMetric of five metrics
  and ``metric.create([...])``; Estimator fits stopped by epochs, by batches, by a BatchEnd
  handler returning True and by EarlyStoppingHandler: MXNet's numbers and event orders.
* MXNet 1.9.1 wrong: a hybridized PReLU whose input is an intermediate result (a convolution's
  output, as in SRGAN's generator) gets its alpha's gradient multiplied by alpha (as if its
  backward read the output where the input was); eager MXNet and minigluon give the gradient of the
  loss (checked against a central difference). The SRGAN program compares the hybridized run's
  first step and the eager run whole.
* MXNet 1.9.1 cannot slice an empty range (``x[:, :, 4:4]``, a CutMix box of zero height): it
  fails where minigluon returns a zero-size array, as NumPy does.
* Numerics: a gradient zero in exact arithmetic is rounding noise (BiDAF's span-score Dense
  biases: a softmax over positions of a score shifted by one shared bias), so Adam moves those
  biases by noise-signed steps; they are left out of the comparison of values.
* Differences kept: a BatchNorm run forward in training mode with no gradient reaching it
  (SRGAN's generator before ``detach``) moves its running statistics in minigluon only, and
  ``len()`` of an IntervalSampler without rollover counts what it yields (both in
  docs/PORTING.md); an unknown ``last_batch`` is refused when the BatchSampler is made (MXNet
  1.9.1 refuses it on the first iteration); PoissonNLLLoss(compute_full=True) fails inside
  autograd.record in MXNet 1.9.1 (it multiplies a recorded array in place), while minigluon
  computes the loss and its gradient.
"""
import numpy as np
import pytest

import _wild
from _wild import load_fixture, same, without, run_program
import _wild13_programs as P

FIX = load_fixture('wild13')

# The warnings some programs are given, as MXNet 1.9.1 gives them: the distillation loss
# hybridized with hard_weight 0 (the label unused) and 1 (the teacher's targets unused)
EXPECTED_WARNINGS = {
    'focal_distillation': ['The 1-th input to HybridBlock is not used', 'The 2-th input to HybridBlock is not used'],
}


@pytest.mark.parametrize('name', ['unet_crop', 'center_loss', 'focal_distillation', 'dgl_gat', 'vae', 'd2l_recsys',
                                  'ppo', 'ddpg', 'schedules_metrics', 'contrib_layers', 'estimator_handlers',
                                  'text_cnn', 'esim', 'realnvp', 'wavenet_vocoder'])
def test_program_gives_mxnet_numbers(name):
    same(run_program(getattr(P, name), EXPECTED_WARNINGS.get(name)), FIX[name], path=name)


def test_data_samplers():
    got, want = P.data_samplers(), FIX['data_samplers']
    same(without(got, 'bad_last_batch', 'contrib_interval'), without(want, 'bad_last_batch', 'contrib_interval'),
         path='data_samplers')
    # IntervalSampler(rollover=False): the same indices; MXNet 1.9.1's len() is the full length,
    # more than it yields, minigluon's the number yielded (docs/PORTING.md)
    assert got['contrib_interval'][:3] == want['contrib_interval'][:3]
    assert want['contrib_interval'][3] == 7 and got['contrib_interval'][3] == len(got['contrib_interval'][2]) == 3
    # an unknown last_batch: minigluon refuses it when the BatchSampler is made, MXNet 1.9.1 on
    # its first iteration; the same error type, naming the value
    for res in (got, want):
        assert res['bad_last_batch']['error'].startswith('ValueError: last_batch must be one of')
        assert 'drop' in res['bad_last_batch']['error']


def test_metric_losses():
    got, want = P.metric_losses(), FIX['metric_losses']
    same(without(got, 'poisson_full'), without(want, 'poisson_full'), path='metric_losses')
    # PoissonNLLLoss(compute_full=True) under autograd.record: MXNet 1.9.1 fails (its Stirling
    # term is multiplied in place by a recorded mask); minigluon's loss is MXNet's value outside
    # record, and its gradient is d/dp of the mean over all 12 entries (MXNet 1.9.1 averages the
    # whole batch to one number) of p - t log(p + 1e-8), for p = |pred| + 0.1
    assert want['poisson_full']['error'].startswith('MXNetError')
    assert 'Assigning to NDArrays that are already in a computational graph' in want['poisson_full']['error']
    loss, grad = got['poisson_full']
    _wild.close(loss, want['poisson_full_predict'])
    pred = P.rnd(1433, 4, 3).asnumpy()
    target = np.abs(P.rnd(1434, 4, 3).asnumpy()) * 3
    p = np.abs(pred) + 0.1
    _wild.close(grad, np.sign(pred) * (1 - target / (p + 1e-8)) / 12)


def test_srgan():
    got, want = P.srgan(), FIX['srgan']
    same(without(got, 'eager', 'hybrid', 'prelu_check'), without(want, 'eager', 'hybrid', 'prelu_check'))
    # eagerly both agree, but for the generator's BatchNorm running statistics (values 2, 3, 16,
    # 17, 20, 21): its forward pass before ``fake.detach()`` gets no backward pass, and MXNet's
    # CPU build moves them in the backward pass (docs/PORTING.md)
    g, w = got['eager'], want['eager']
    same(without(g, 'gen'), without(w, 'gen'), path='eager')
    same(g['gen']['grad'], w['gen']['grad'], path='eager/grad')
    moving = [2, 3, 16, 17, 20, 21]
    keep = [i for i in range(len(w['gen']['value'])) if i not in moving]
    _wild.close(np.array(g['gen']['value'])[keep], np.array(w['gen']['value'])[keep], 1e-4)
    assert all(abs(g['gen']['value'][i] - w['gen']['value'][i]) > 1e-4 for i in (2, 3))
    # hybridized: the first step agrees; MXNet's PReLU alphas then take wrong steps (below)
    g, w = got['hybrid'], want['hybrid']
    same(g['losses'][0], w['losses'][0], path='hybrid/step0')
    assert (g['feat_len'], g['feat_type']) == (w['feat_len'], w['feat_type'])
    # the PReLU between two convolutions: minigluon's gradient of alpha is the central difference
    # of the loss, eager and hybridized; MXNet's is too eagerly, and alpha times it hybridized
    for key, (analytic, numeric) in got['prelu_check'].items():
        assert analytic == pytest.approx(numeric, rel=1e-4), key
        assert numeric == pytest.approx(want['prelu_check'][key][1], rel=1e-4), key
    for key, (analytic, numeric) in want['prelu_check'].items():
        mode, alpha = key.split('_')
        factor = float(alpha) if mode == 'hybrid' else 1.0
        assert analytic == pytest.approx(factor * numeric, rel=1e-4), key


def test_cutmix_mixup():
    got, want = P.cutmix_mixup(), FIX['cutmix_mixup']
    empty = ('empty_box', 'empty_box_basic')
    same(without(got, *empty), without(want, *empty), path='cutmix')
    # an empty slice: minigluon gives NumPy's zero-size result, MXNet 1.9.1 fails
    assert got['empty_box'] == got['empty_box_basic'] == list(np.zeros((4, 3, 8, 8))[:, :, 4:4, 1:5].shape)
    assert want['empty_box']['error'].startswith('MXNetError') and 'Invalid range' in want['empty_box']['error']
    assert want['empty_box_basic']['error'].startswith('MXNetError')


def test_bidaf():
    got, want = P.bidaf(), FIX['bidaf']
    same(without(got, 'norms'), without(want, 'norms'), path='bidaf')
    same(got['norms']['grad'], want['norms']['grad'], path='bidaf/grad')
    # values 0 and 2: the start / end Dense biases, whose gradients are rounding noise in both
    # (~1e-7 beside ~0.05): Adam's steps on them follow the noise's signs
    assert max(got['norms']['grad'][0], got['norms']['grad'][2], want['norms']['grad'][0],
               want['norms']['grad'][2]) < 1e-5
    keep = [i for i in range(len(want['norms']['value'])) if i not in (0, 2)]
    _wild.close(np.array(got['norms']['value'])[keep], np.array(want['norms']['value'])[keep], 1e-4)
