"""Patterns met running an eighth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(the programs: tests/_wild8_programs.py; fixture: tools/gen_wild8_fixtures.py, which runs the
same file with its import line switched to MXNet).

* ``contrib.foreach`` over a 1-D array, hybridized (MXNet's control-flow tutorial): each step sees
  shape ``(1,)`` and the outputs stack to ``(T, 1)``, as eagerly and in MXNet; minigluon's graph
  loop gave the body 0-d slices and returned ``(T,)``.
* Behaviours checked against MXNet and pinned: a CRNN trainer's own loss on
  ``contrib.CTCLoss(blank_label='last')`` with and without lengths; a feature-extraction
  ``SymbolBlock`` over two ``get_internals()`` outputs loading an ``arg:``/``aux:`` checkpoint through
  ``collect_params().load``; an OCR attention-decoder step whose (B, 1, 1) energy broadcasts
  against a (B, S, 1) mask (hybridized, minigluon gives the eager numbers: MXNet's graph ``*``
  does not broadcast, a PORTING row); zoneout ``ModifierCell`` subclasses stepped from
  ``begin_state(func=nd.ones)``; a seeded ``mx.image.ImageIter`` over a ``.lst`` with a fine-tuning
  script's augmenter chain (its ``provide_data`` are ``DataDesc``, tuples equal to MXNet's plain ones).
* A predictive-maintenance trainer's ``set_data`` on the weights of ``HybridLambda`` transpose + two
  ``Conv1D`` after an inference call (MXNet's oneDNN build fails there: ``to.IsDefaultData()``).
"""
import json

import numpy as np

import minigluon as mx
from minigluon import nd
from minigluon.gluon import nn
from _wild import close, load_fixture
import _wild8_programs as P

FIX = load_fixture('wild8')


def test_foreach_over_a_1d_array_steps_on_shape_1():
    got = P.foreach_1d()
    for mode in ('eager', 'hybrid'):
        want = FIX['foreach_1d'][mode]
        # plus1 (5, 1), out (4, 1), state (1,), x.grad (4,)
        assert got[mode]['shapes'] == want['shapes'] == [[5, 1], [4, 1], [1], [4]]
        for key in ('plus1', 'out', 'state', 'grad'):
            close(got[mode][key], want[key])
    s = mx.sym.contrib.foreach(lambda d, _: (d + 1, []), mx.sym.var('x'), [])[0]
    assert s.infer_shape(x=(5,))[1] == [(5, 1)]


def test_ctc_blank_last_in_a_loss_of_ones_own():
    got, want = P.ctc_last(), FIX['ctc_last']
    for key in ('plain', 'lengths'):
        close(got[key]['loss'], want[key]['loss'])
        close(got[key]['grad'], want[key]['grad'])


def test_symbolblock_on_internals_loads_a_checkpoint():
    got, want = P.internals_block(), FIX['internals_block']
    assert got['names'] == want['names']
    for mode in ('eager', 'hybrid'):
        close(got[mode]['value'], want[mode]['value'])
        close(got[mode]['policy'], want[mode]['policy'])


def test_attention_decoder_step_eager_and_hybridized():
    got, want = P.att_decoder(), FIX['att_decoder']
    assert got['names'] == want['names']
    # MXNet 1.9.1's graph '*' does not broadcast the (B, 1, 1) energy against the (B, S, 1) mask;
    # minigluon's hybridized step gives MXNet's eager numbers
    assert 'Incompatible attr' in want['hybrid_error']
    assert 'hybrid_error' not in got
    for mode in ('eager', 'hybrid'):
        for key in ('out', 'h2', 'c2'):
            close(got[mode][key], want['eager'][key])


def test_modifier_cells_of_ones_own_in_a_hybrid_sequential_cell():
    got, want = P.zoneout_stack(), FIX['zoneout_stack']
    assert got['names'] == want['names']
    for key in ('predict', 'stepped', 'stepped_hybrid'):
        assert len(got[key]) == len(want[key]) == 5     # the outputs, then four states
        for value, want_value in zip(got[key], want[key]):
            close(value, want_value)
    assert len(got['grads']) == len(want['grads'])
    for grad, want_grad in zip(got['grads'], want['grads']):
        close(grad, want_grad, tol=1e-4)


def test_seeded_image_iter_over_a_list_file():
    got, want = P.seeded_image_iter(), FIX['seeded_image_iter']
    # DataDesc, equal to MXNet's plain tuples
    assert got['provide_data'] == [('data', (3, 3, 6, 6))] and got['provide_label'] == [('softmax_label', (3,))]
    assert json.loads(json.dumps(got['provide_data'])) == want['provide_data']
    assert json.loads(json.dumps(got['provide_label'])) == want['provide_label']
    assert [b['pad'] for b in got['batches']] == [b['pad'] for b in want['batches']]
    for batch, exp in zip(got['batches'], want['batches']):
        close(batch['data'], exp['data'], tol=1e-3)     # resize and jitter in float32: ~5e-5 apart
        close(batch['label'], exp['label'])


def test_set_data_after_an_inference_call_through_conv1d():
    net = nn.HybridSequential()
    net.add(nn.HybridLambda(lambda F, x: x.transpose((0, 2, 1))),
            nn.Conv1D(8, 3, padding=1), nn.Conv1D(8, 3, padding=1))
    net.initialize(mx.init.Normal())
    x = nd.ones((2, 7, 4))
    net(x)
    for p in net.collect_params().values():
        p.set_data(nd.ones(p.shape))
    # all ones: the first conv gives 4*3+1 = 13 inside and 4*2+1 = 9 at both ends of the 7 steps;
    # the second sums 8 channels of three neighbours plus 1: 8*(9+13)+1, 8*(9+13+13)+1, then 8*39+1
    row = [177, 281, 313, 313, 313, 281, 177]
    close(net(x), np.tile(row, (2, 8, 1)))
