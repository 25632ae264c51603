"""Tests of the recurrent cells: MXNet goldens, agreement with the fused operator, gradients."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, rnn
from minigluon.block import HybridBlock
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal, check_gradient

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rnn')


def _build():
    """The cells of tools/gen_rnn_fixtures.py:cell_fixture, built the same way."""
    with NameManager():
        cells = {'rnn': rnn.RNNCell(5, activation='relu', input_size=3),
                 'lstm': rnn.LSTMCell(5, input_size=3),
                 'gru': rnn.GRUCell(5, input_size=3)}
        stack = rnn.SequentialRNNCell()
        with stack.name_scope():
            stack.add(rnn.LSTMCell(3, input_size=3))
            stack.add(rnn.ResidualCell(rnn.GRUCell(3, input_size=3)))
            stack.add(rnn.DropoutCell(0.5))
        cells['stack'] = stack
        cells['bi'] = rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3, prefix='l_'),
                                            rnn.GRUCell(2, input_size=3, prefix='r_'))
        cells['zoneout'] = rnn.ZoneoutCell(rnn.GRUCell(3, input_size=3, prefix='z_'), 0.3, 0.2)
    return cells


@pytest.fixture(scope='module')
def golden():
    with open(os.path.join(FIXTURES, 'cells.json')) as f:
        meta = json.load(f)
    return np.load(os.path.join(FIXTURES, 'cells.npz')), meta


@pytest.mark.parametrize('name', ['rnn', 'lstm', 'gru', 'stack', 'bi', 'zoneout'])
def test_cells_match_mxnet(golden, name):
    f, meta = golden
    cell = _build()[name]
    assert repr(cell) == meta[name]['repr']
    assert list(cell.collect_params().keys()) == meta[name]['params']
    assert list(cell._collect_params_with_prefix().keys()) == meta[name]['saved_keys']
    cell.initialize()
    for pname, p in cell.collect_params().items():
        p.set_data(nd.array(f['%s_param_%s' % (name, pname)]))
    x, valid = nd.array(f['x']), nd.array(f['valid'])
    for tag, kw in [('', {}), ('v', {'valid_length': valid})]:
        out, states = cell.unroll(4, x, layout='NTC', merge_outputs=True, **kw)
        assert_almost_equal(out, f['%s_%sout' % (name, tag)], rtol=1e-5, atol=1e-6)
        for i, s in enumerate(states):
            assert_almost_equal(s, f['%s_%sstate%d' % (name, tag, i)], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('cell_cls,layer_cls', [(rnn.LSTMCell, rnn.LSTM), (rnn.GRUCell, rnn.GRU)])
def test_cell_unroll_equals_fused_layer(cell_cls, layer_cls):
    cell = cell_cls(4, input_size=3)
    cell.initialize()
    layer = layer_cls(4, input_size=3, layout='NTC')
    layer.initialize()
    for kind in ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']:
        value = nd.array(np.random.uniform(-0.5, 0.5, getattr(cell, kind).shape))
        getattr(cell, kind).set_data(value)
        getattr(layer, 'l0_' + kind).set_data(value)
    x = nd.array(np.random.randn(2, 6, 3))
    out, states = cell.unroll(6, x, layout='NTC', merge_outputs=True)
    ref, ref_states = layer(x, layer.begin_state(2))
    assert_almost_equal(out, ref, rtol=1e-5, atol=1e-6)
    for s, r in zip(states, ref_states):
        assert_almost_equal(s, r[0], rtol=1e-5, atol=1e-6)


def test_unroll_layouts_and_list_inputs():
    cell = rnn.GRUCell(3, input_size=2)
    cell.initialize()
    x = np.random.randn(4, 5, 2)
    merged, _ = cell.unroll(5, nd.array(x), layout='NTC', merge_outputs=True)
    steps, _ = cell.unroll(5, [nd.array(x[:, t]) for t in range(5)], layout='NTC')
    assert isinstance(steps, list) and len(steps) == 5
    tnc, _ = cell.unroll(5, nd.array(x.transpose(1, 0, 2)), layout='TNC', merge_outputs=True)
    for t in range(5):
        assert_almost_equal(steps[t], merged[:, t])
        assert_almost_equal(tnc[t], merged[:, t])
    with pytest.raises(ValueError, match='length'):
        cell.unroll(4, nd.array(x), layout='NTC')


def test_step_by_step_and_hybridized_cell():
    cell = rnn.LSTMCell(3, input_size=2)
    cell.initialize()
    x = nd.array(np.random.randn(4, 2))
    states = cell.begin_state(batch_size=4)
    out, new = cell(x, states)
    assert out.shape == (4, 3) and len(new) == 2
    cell.hybridize()
    out2, new2 = cell(x, states)
    assert_almost_equal(out2, out)
    assert_almost_equal(new2[1], new[1])


def test_cell_gradients():
    cell = rnn.GRUCell(2, input_size=2)
    cell.initialize()
    cell.cast('float64')
    check_gradient(lambda v: cell.unroll(3, v, layout='NTC', merge_outputs=True)[0],
                   [np.random.randn(2, 3, 2)])
    bi = rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=2), rnn.RNNCell(2, input_size=2))
    bi.initialize()
    bi.cast('float64')
    check_gradient(lambda v: bi.unroll(3, v, layout='TNC', merge_outputs=True)[0],
                   [np.random.randn(3, 2, 2)])


def test_modifier_rules_and_dropout_training():
    base = rnn.GRUCell(3, input_size=3)
    zone = rnn.ZoneoutCell(base, zoneout_outputs=0.5)
    with pytest.raises(RuntimeError, match='modifier'):
        base.begin_state(batch_size=2)
    assert len(zone.begin_state(batch_size=2)) == 1
    with pytest.raises(ValueError, match='modified twice'):
        rnn.ResidualCell(base)
    with pytest.raises(ValueError, match='zoneout'):
        rnn.ZoneoutCell(rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)))
    with pytest.raises(NotImplementedError, match='unroll'):
        rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))(nd.ones((1, 2)), [])
    drop = rnn.DropoutCell(0.5)
    x = nd.ones((4, 6, 8))
    out, _ = drop.unroll(6, x, merge_outputs=True)
    assert_almost_equal(out, x)
    with autograd.record():
        out, _ = drop.unroll(6, x, merge_outputs=True)
    vals = set(np.unique(out.asnumpy()).tolist())
    assert vals <= {0.0, 2.0} and len(vals) == 2
    with pytest.raises(TypeError, match='rate'):
        rnn.DropoutCell('0.5')


class _Unroller(HybridBlock):
    """A cell unrolled inside ``hybrid_forward`` without begin states: on Symbols the states are
    ``_zeros(shape=(0, H))`` whose batch size the graph learns from the data (as in MXNet)."""

    def __init__(self, cell, use_length, **kw):
        super().__init__(**kw)
        self.use_length = use_length
        with self.name_scope():
            self.cell = cell

    def hybrid_forward(self, F, x, length):
        out, states = self.cell.unroll(5, x, layout='NTC', merge_outputs=True,
                                       valid_length=length if self.use_length else None)
        return out, states[0]


@pytest.mark.parametrize('use_length', [False, True])
@pytest.mark.parametrize('make', [
    lambda: rnn.LSTMCell(3, input_size=2),
    lambda: rnn.GRUCell(3, input_size=2),
    lambda: rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=2), rnn.RNNCell(2, input_size=2))])
@pytest.mark.filterwarnings('ignore:The 1-th input to HybridBlock is not used')   # no valid_length
def test_unroll_inside_hybridized_block_equals_eager(make, use_length):
    net = _Unroller(make(), use_length)
    net.initialize()
    x = nd.array(np.random.randn(4, 5, 2))
    length = nd.array([5, 2, 4, 1])
    eager = net(x, length)
    net.hybridize()
    with autograd.record():
        hybrid = net(x, length)
    for e, h in zip(eager, hybrid):
        assert h.shape == e.shape
        assert_almost_equal(h, e)
    x2 = nd.array(np.random.randn(2, 5, 2))        # another batch size: the states follow it
    assert net(x2, length[:2])[1].shape[0] == 2


@pytest.mark.parametrize('make', [lambda: rnn.LSTMCell(-1), lambda: rnn.GRUCell(0),
                                  lambda: rnn.RNNCell('8'), lambda: rnn.LSTMCell(True)])
def test_cell_sizes_must_be_positive_ints(make):
    # MXNet 1.9.1 takes them and fails later in a shape check
    with pytest.raises(ValueError, match='hidden_size must be a positive int'):
        make()
