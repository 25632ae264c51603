"""Tests of ``gluon.contrib.rnn``: LSTMPCell and the convolutional cells against MXNet 1.9.1 goldens
(tools/gen_contrib_rnn_fixtures.py), float64 gradient checks, export / imports round trips,
VariationalDropoutCell's masks against a NumPy reference, and error messages."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, current_context, gluon, nd, rnn
from minigluon.block import HybridBlock
from minigluon.contrib import rnn as crnn
from minigluon.name import NameManager
from minigluon.rnn.rnn_cell import HybridRecurrentCell
from minigluon.test_utils import assert_almost_equal, check_gradient

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'contrib_rnn')
with open(os.path.join(FIX, 'cells.json')) as _f:
    META = json.load(_f)
CASES = ['lstmp'] + sorted(k for k in META if k.startswith('conv') and k.count('_') == 1)
CHANNEL_LAST = sorted(k for k in META if k.count('_') == 2)
T = 3


def _args(value):
    return tuple(value) if isinstance(value, list) else value


def _build(name):
    meta = META[name]
    with NameManager():
        return getattr(crnn, meta['cls'])(*[_args(a) for a in meta['args']],
                                          **{k: _args(v) for k, v in meta['kwargs'].items()})


def _check_meta(cell, meta):
    assert repr(cell) == meta['repr']
    assert [[k, list(p.shape)] for k, p in cell.collect_params().items()] == meta['params']
    assert list(cell._collect_params_with_prefix().keys()) == meta['saved_keys']
    assert [[list(s['shape']), s['__layout__']] for s in cell.state_info(2)] == meta['state_info']


def test_namespaces():
    from minigluon.gluon.contrib.rnn import LSTMPCell
    assert LSTMPCell is crnn.LSTMPCell is gluon.contrib.rnn.LSTMPCell
    assert set(crnn.__all__) <= set(dir(gluon.contrib.rnn))


@pytest.mark.parametrize('name', CASES)
def test_cell_matches_mxnet(name):
    """Names, shapes, reprs, unroll outputs/states and all gradients equal MXNet's."""
    want = np.load(os.path.join(FIX, name + '.npz'))
    cell = _build(name)
    _check_meta(cell, META[name])
    cell.load_parameters(os.path.join(FIX, name + '.params'), ctx=current_context())
    x = nd.array(want['x'])
    begin = [nd.array(want['begin%d' % i]) for i in range(len(cell.state_info()))]
    for a in [x] + begin:
        a.attach_grad()
    with autograd.record():
        out, states = cell.unroll(T, x, begin_state=begin, layout='NTC', merge_outputs=True)
        loss = (out * nd.array(want['head'])).sum()
    loss.backward()
    assert_almost_equal(out, want['out'], rtol=1e-5, atol=1e-6)
    for i, s in enumerate(states):
        assert_almost_equal(s, want['state%d' % i], rtol=1e-5, atol=1e-6)
    assert_almost_equal(x.grad, want['grad_x'], rtol=1e-4, atol=1e-6)
    for i, b in enumerate(begin):
        assert_almost_equal(b.grad, want['grad_begin%d' % i], rtol=1e-4, atol=1e-6)
    for key, p in cell.collect_params().items():
        assert_almost_equal(p.grad(), want['grad_' + key[len(cell.prefix):]], rtol=1e-4, atol=1e-6)
    if name == 'lstmp':
        out, states = cell.unroll(T, nd.array(want['x'].swapaxes(0, 1)), begin_state=begin,
                                  layout='TNC', merge_outputs=True)
        assert_almost_equal(out, want['out_tnc'], rtol=1e-5, atol=1e-6)
        assert_almost_equal(states[1], want['state1_tnc'], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', ['lstmp', 'conv2d_lstm', 'conv1d_gru', 'conv3d_rnn'])
def test_hybridized_steps_equal_eager_unroll(name):
    want = np.load(os.path.join(FIX, name + '.npz'))
    cell = _build(name)
    cell.load_parameters(os.path.join(FIX, name + '.params'), ctx=current_context())
    cell.hybridize()
    states = [nd.array(want['begin%d' % i]) for i in range(len(cell.state_info()))]
    for t in range(T):
        out, states = cell(nd.array(want['x'][:, t]), states)
        assert_almost_equal(out, want['out'][:, t], rtol=1e-5, atol=1e-6)
    for i, s in enumerate(states):
        assert_almost_equal(s, want['state%d' % i], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', CHANNEL_LAST)
def test_channel_last_cells_have_mxnets_shapes(name):
    """MXNet builds channel-last cells (names, shapes, state_info) but its CPU Convolution, like
    minigluon's, cannot run them."""
    cell = _build(name)
    _check_meta(cell, META[name])
    cell.initialize()
    shape = (2,) + tuple(META[name]['args'][0])
    with pytest.raises(NotImplementedError, match='layout'):
        cell(nd.zeros(shape), cell.begin_state(batch_size=2))


class LSTMPNet(HybridBlock):
    """tools/gen_contrib_rnn_fixtures.py:LSTMPNet."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.cell = crnn.LSTMPCell(4, 2, input_size=3)

    def hybrid_forward(self, F, x, h0, c0):
        out, states = self.cell.unroll(3, x, begin_state=[h0, c0], layout='NTC',
                                       merge_outputs=True)
        return out, states[1]


def test_export_and_imports_both_ways(tmp_path):
    want = np.load(os.path.join(FIX, 'lstmp_net.npz'))
    inputs = [nd.array(want[k]) for k in ('x', 'h0', 'c0')]
    theirs = gluon.SymbolBlock.imports(os.path.join(FIX, 'lstmp_net-symbol.json'),
                                       ['data0', 'data1', 'data2'],
                                       os.path.join(FIX, 'lstmp_net-0000.params'), ctx=current_context())
    for got, key in zip(theirs(*inputs), ('out', 'c')):
        assert_almost_equal(got, want[key], rtol=1e-5, atol=1e-6)
    with NameManager():
        net = LSTMPNet(prefix='lstmpnet_')
    net.initialize()
    for key, p in net.collect_params().items():
        p.set_data(theirs.collect_params()[key].data())
    net.hybridize()
    for got, key in zip(net(*inputs), ('out', 'c')):
        assert_almost_equal(got, want[key], rtol=1e-5, atol=1e-6)
    sym_file, params_file = net.export(str(tmp_path / 'mine'))
    with open(sym_file) as f:
        mine = json.load(f)
    with open(os.path.join(FIX, 'lstmp_net-symbol.json')) as f:
        want_graph = json.load(f)
    # the same graph, node for node and attribute for attribute (the split's squeeze_axis=1 is
    # written '1', as given, like MXNet)
    assert mine == want_graph
    ours = gluon.SymbolBlock.imports(sym_file, ['data0', 'data1', 'data2'], params_file,
                                     ctx=current_context())
    for got, key in zip(ours(*inputs), ('out', 'c')):
        assert_almost_equal(got, want[key], rtol=1e-5, atol=1e-6)


def test_lstmp_gradients_float64():
    """Inputs, both begin states and all five weights, against central differences."""
    cell = crnn.LSTMPCell(3, 2, input_size=2)
    rng = np.random.RandomState(0)
    shapes = [p.shape for p in cell.collect_params().values()]

    def unrolled(x, h, c, *weights):
        states, outs = [h, c], []
        for t in range(x.shape[1]):
            out, states = cell.hybrid_forward(nd, x[:, t], states, *weights)
            outs.append(out)
        return [nd.stack(*outs, axis=1), states[1]]
    check_gradient(unrolled, [rng.randn(2, 3, 2), rng.randn(2, 2), rng.randn(2, 3)]
                   + [rng.uniform(-0.7, 0.7, s) for s in shapes])
    cell.initialize()
    cell.cast('float64')
    check_gradient(lambda x, h, c: cell.unroll(3, x, [h, c], layout='TNC', merge_outputs=True)[0],
                   [rng.randn(3, 2, 2), rng.randn(2, 2), rng.randn(2, 3)])


@pytest.mark.parametrize('cls,args,kwargs,step', [
    (crnn.Conv2DLSTMCell, ((1, 4, 3), 2, 3, 3), {'i2h_pad': 1}, (1, 4, 3)),
    (crnn.Conv1DGRUCell, ((2, 5), 2, 2, 3), {'h2h_dilate': 2}, (2, 5)),
])
def test_conv_cell_gradients_float64(cls, args, kwargs, step):
    cell = cls(*args, **kwargs)
    cell.initialize('uniform')
    cell.cast('float64')
    rng = np.random.RandomState(1)
    begin = [rng.uniform(-1, 1, s['shape']) for s in cell.state_info(2)]
    check_gradient(lambda x, *s: cell.unroll(2, x, list(s), layout='NTC', merge_outputs=True)[0],
                   [rng.randn(2, 2, *step)] + begin)


def test_lstmp_deferred_input_size_and_trainer_step():
    cell = crnn.LSTMPCell(4, 3)
    assert repr(cell) == 'LSTMPCell(None -> 16 -> 3)'
    cell.initialize()
    trainer = gluon.Trainer(cell.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.array(np.random.RandomState(2).randn(2, 5, 6))
    with autograd.record():
        out, states = cell.unroll(5, x, merge_outputs=True)
        loss = (out ** 2).sum()
    loss.backward()
    trainer.step(2)
    assert cell.i2h_weight.shape == (16, 6) and repr(cell) == 'LSTMPCell(6 -> 16 -> 3)'
    assert out.shape == (2, 5, 3) and [s.shape for s in states] == [(2, 3), (2, 4)]


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="conv_layout must be one of 'NCHW' or 'NHWC'"):
        crnn.Conv2DRNNCell((2, 4, 4), 2, 3, 3, conv_layout='NCW')
    with pytest.raises(ValueError, match='i2h_kernel must be an int or a tuple of 2 ints'):
        crnn.Conv2DRNNCell((2, 4, 4), 2, (3, 3, 3), 3)
    with pytest.raises(ValueError, match='h2h_kernel must be odd'):
        crnn.Conv1DLSTMCell((2, 4), 2, 3, 2)
    with pytest.raises(ValueError, match='input_shape must be the 4 sizes'):
        crnn.Conv3DGRUCell((2, 4, 4), 2, 3, 3)
    with pytest.raises(ValueError, match='larger than the input'):
        crnn.Conv1DRNNCell((2, 2), 2, 3, 3)
    cell = crnn.Conv1DLSTMCell((2, 5), 3, 3, 3)
    cell.initialize()
    x, good = nd.zeros((2, 2, 5)), cell.begin_state(batch_size=2)
    with pytest.raises(ValueError, match=r'state 1 must have shape \(2, 3, 3\).*got \(2, 3, 4\)'):
        cell(x, [good[0], nd.zeros((2, 3, 4))])
    with pytest.raises(IndexError, match='expected 2 states'):     # MXNet: an IndexError
        cell(x, good[:1])
    cell(x, good + good)                # extra states are ignored, as MXNet 1.9.1 ignores them
    with pytest.raises(TypeError, match='states must be a list'):
        cell(x, good[0])
    with pytest.raises(ValueError, match=r'\(N,\) \+ \(2, 5\), got \(2, 5, 2\)'):
        cell(nd.zeros((2, 5, 2)), good)
    lstmp = crnn.LSTMPCell(4, 2, input_size=3)
    lstmp.initialize()
    with pytest.raises(ValueError, match=r'state 0 must have shape \(2, 2\)'):
        lstmp(nd.zeros((2, 3)), [nd.zeros((2, 4)), nd.zeros((2, 4))])
    with pytest.raises(ValueError, match='layout'):
        lstmp.unroll(2, nd.zeros((2, 2, 3)), layout='CTN')


# -- VariationalDropoutCell -----------------------------------------------------------------------

class SumCell(HybridRecurrentCell):
    """NumPy-checkable base cell: ``h_t = x_t + h_{t-1}``, output ``h_t``."""

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, 4), '__layout__': 'NC'}]

    def hybrid_forward(self, F, inputs, states):
        out = inputs + states[0]
        return out, [out]


def _mask_of(ratio, p):
    """Check ``ratio`` holds only 0 and 1/(1-p) and is the same at every step; return it."""
    scale = 1. / (1. - p)
    assert np.all(np.isclose(ratio, 0, atol=1e-5) | np.isclose(ratio, scale, atol=1e-5))
    for t in range(1, ratio.shape[1]):
        assert_almost_equal(ratio[:, t], ratio[:, 0], rtol=1e-5, atol=1e-5)
    return ratio[:, 0]


@pytest.mark.parametrize('drop', ['inputs', 'states', 'outputs'])
def test_variational_dropout_one_mask_per_sequence(drop):
    p = 0.5
    rng = np.random.RandomState(3)
    x = rng.uniform(0.5, 1.5, (6, 5, 4))
    h0 = rng.uniform(0.5, 1.5, (6, 4))
    cell = crnn.VariationalDropoutCell(SumCell(), **{'drop_' + drop: p})
    with autograd.train_mode():
        out, states = cell.unroll(5, nd.array(x), [nd.array(h0)], merge_outputs=True)
        again, _ = cell.unroll(5, nd.array(x), [nd.array(h0)], merge_outputs=True)
    out = out.asnumpy()
    prev = np.concatenate([h0[:, None], out[:, :-1]], axis=1)    # h_{t-1} (masked outputs aside)
    if drop == 'inputs':      # h_t - h_{t-1} = m * x_t
        mask = _mask_of((out - prev) / x, p)
    elif drop == 'states':    # h_t = x_t + m * h_{t-1}
        mask = _mask_of((out - x) / prev, p)
    else:                     # output = m * cumsum
        mask = _mask_of(out / (h0[:, None] + np.cumsum(x, axis=1)), p)
    assert 0 < mask.mean() < 1.0 / (1 - p)    # some dropped, some kept (24 units)
    assert not np.allclose(again.asnumpy(), out)   # unroll resets: a new mask
    assert_almost_equal(states[0], out[:, -1] if drop != 'outputs' else
                        h0 + x.sum(axis=1))


def test_variational_dropout_predict_mode_is_the_base_cell_and_step_keeps_masks():
    base = rnn.LSTMCell(3, input_size=4)
    cell = crnn.VariationalDropoutCell(base, drop_inputs=0.3, drop_states=0.3, drop_outputs=0.3)
    cell.initialize()
    x = nd.array(np.random.RandomState(4).randn(2, 3, 4))
    out, states = cell.unroll(3, x, merge_outputs=True)
    base._modified = False
    ref, ref_states = base.unroll(3, x, merge_outputs=True)
    base._modified = True
    assert_almost_equal(out, ref)
    assert_almost_equal(states[1], ref_states[1])
    step = crnn.VariationalDropoutCell(SumCell(), drop_outputs=0.5)
    ones = nd.ones((8, 4))
    with autograd.train_mode():
        a, _ = step(ones, [nd.zeros((8, 4))])
        b, _ = step(ones, [nd.zeros((8, 4))])
        assert_almost_equal(a, b)                          # mask kept until reset()
        step.reset()
        assert step.drop_outputs_mask is None


def test_variational_dropout_meta_and_errors():
    with NameManager():
        cell = crnn.VariationalDropoutCell(rnn.LSTMCell(3), drop_inputs=0.1, drop_states=0.2,
                                           drop_outputs=0.3)
    meta = META['vardrop']
    assert repr(cell) == meta['repr'] and cell.prefix == meta['prefix']
    assert list(cell.collect_params().keys()) == meta['params']
    bi = rnn.BidirectionalCell(rnn.LSTMCell(2), rnn.LSTMCell(2))
    with pytest.raises(ValueError, match='variational state dropout'):
        crnn.VariationalDropoutCell(bi, drop_states=0.5)
    with pytest.raises(ValueError, match=r'drop_outputs must be in \[0, 1\)'):
        crnn.VariationalDropoutCell(rnn.GRUCell(2), drop_outputs=1.5)
    with pytest.raises(TypeError, match='drop_inputs must be a number'):
        crnn.VariationalDropoutCell(rnn.GRUCell(2), drop_inputs='0.5')
    with pytest.raises(TypeError, match='base_cell must be a recurrent cell'):
        crnn.VariationalDropoutCell(3)


@pytest.mark.parametrize('hidden, projection', [(-1, 2), (4, 'a'), (0, 2), (4, True)])
def test_lstmp_sizes_must_be_positive_ints(hidden, projection):
    with pytest.raises(ValueError, match='LSTMPCell: (hidden|projection)_size must be a positive int'):
        crnn.LSTMPCell(hidden, projection)


def test_variational_dropout_hybridized_in_a_block():
    class Net(HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.cell = crnn.VariationalDropoutCell(rnn.GRUCell(3, input_size=2),
                                                        drop_inputs=0.5, drop_states=0.5)

        def hybrid_forward(self, F, x, h):
            return self.cell.unroll(4, x, [h], layout='TNC', merge_outputs=True)[0]

    net = Net()
    net.initialize()
    x, h = nd.array(np.random.RandomState(5).randn(4, 2, 2)), nd.zeros((2, 3))
    eager = net(x, h)
    net.hybridize()
    assert_almost_equal(net(x, h), eager)
    with autograd.record():
        out = net(x, h)
    out.backward()
    assert out.shape == (4, 2, 3)


@pytest.mark.parametrize('static', [False, True])
def test_conv_cell_unrolled_inside_a_hybridized_block(static):
    # The zero begin state (0, C, *spatial) takes its batch from shape inference, as in MXNet
    # 1.9.1; minigluon's Convolution could not fill it ("cannot reshape array of size 0").
    class Net(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.cell = crnn.Conv2DLSTMCell((2, 5, 6), 3, (3, 3), (3, 3), i2h_pad=(1, 1))

        def hybrid_forward(self, F, x):
            return self.cell.unroll(3, x, layout='NTC', merge_outputs=True)[0]

    net = Net()
    net.initialize('uniform')
    rng = np.random.RandomState(0)
    xs = [nd.array(rng.uniform(-1, 1, (n, 3, 2, 5, 6))) for n in (2, 1)]
    eager = [net(x).asnumpy() for x in xs]
    net.hybridize(static_alloc=static, static_shape=static)
    for x, want in zip(xs, eager):
        got = net(x)
        assert got.shape == want.shape == (x.shape[0], 3, 3, 5, 6)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
