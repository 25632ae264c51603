"""Tests of the fused Gluon layers rnn.RNN / LSTM / GRU against the operator, MXNet files and names."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, rnn
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal, check_gradient

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rnn')


def test_lstm_layer_matches_mxnet_output_and_file():
    f = np.load(os.path.join(FIXTURES, 'lstm_layer.npz'))
    layer = rnn.LSTM(4, num_layers=2, layout='NTC', bidirectional=True, input_size=3)
    layer.initialize()
    layer.load_parameters(os.path.join(FIXTURES, 'lstm_layer.params'))
    out = layer(nd.array(f['x']))
    assert out.shape == (2, 5, 8)
    assert_almost_equal(out, f['out'], rtol=1e-5, atol=1e-6)
    layer.hybridize()
    assert_almost_equal(layer(nd.array(f['x'])), f['out'], rtol=1e-5, atol=1e-6)


def test_saved_keys_names_and_repr_match_mxnet(tmp_path):
    with open(os.path.join(FIXTURES, 'gru_layer_keys.json')) as fh:
        ref = json.load(fh)
    with NameManager():
        gru = rnn.GRU(3, num_layers=2, input_size=2)
        lstm = rnn.LSTM(4, num_layers=2, layout='NTC', bidirectional=True, input_size=3)
    assert list(gru._collect_params_with_prefix().keys()) == ref['saved_keys']
    assert [k[len(gru.prefix):] for k in gru.collect_params().keys()] == ref['param_names']
    assert gru.prefix == 'gru0_' and lstm.prefix == 'lstm0_'
    assert repr(gru) == ref['repr_gru'] and repr(lstm) == ref['repr_lstm']
    keys = lstm._collect_params_with_prefix()
    assert '_unfused.1.r_cell.h2h_bias' in keys and '_unfused.0.l_cell.i2h_weight' in keys
    assert repr(rnn.LSTM(4, dropout=0.5)) == 'LSTM(None -> 4, TNC, dropout=0.5)'
    # round trip through save_parameters
    gru.initialize()
    path = str(tmp_path / 'gru.params')
    gru.save_parameters(path)
    other = rnn.GRU(3, num_layers=2, input_size=2)
    x = nd.array(np.random.randn(4, 2, 2))
    other.load_parameters(path, ctx=x.context)
    assert_almost_equal(other(x), gru(x))


def _manual(layer, x, states, mode, bidir):
    """The layer's output computed by calling the fused operator directly on its parameters."""
    names = ['%s%d_%s_%s' % (d, i, g, t) for t in ['weight', 'bias'] for i in range(layer._num_layers)
             for d in ['l', 'r'][:2 if bidir else 1] for g in ['i2h', 'h2h']]
    flat = nd.array(np.concatenate([getattr(layer, n).data().asnumpy().ravel() for n in names]))
    return nd.RNN(x, flat, *states, state_size=layer._hidden_size, num_layers=layer._num_layers,
                  bidirectional=bidir, mode=mode, state_outputs=True)


@pytest.mark.parametrize('cls,mode', [(rnn.LSTM, 'lstm'), (rnn.GRU, 'gru'), (rnn.RNN, 'rnn_relu')])
def test_layer_with_states_matches_operator(cls, mode):
    layer = cls(5, num_layers=2, bidirectional=True)
    layer.initialize()
    x = nd.array(np.random.randn(6, 3, 4))
    states = layer.begin_state(3)
    assert len(states) == (2 if mode == 'lstm' else 1) and states[0].shape == (4, 3, 5)
    states = [nd.array(np.random.randn(*s.shape)) for s in states]
    out, new_states = layer(x, states)
    ref = _manual(layer, x, states, mode, True)
    assert_almost_equal(out, ref[0])
    for got, want in zip(new_states, ref[1:]):
        assert_almost_equal(got, want)
    with pytest.raises(ValueError, match='Invalid recurrent state shape'):
        layer(x, [nd.zeros((1, 3, 5))] * len(states))


def test_ntc_layout_and_gradient_through_layer():
    layer = rnn.GRU(3, layout='NTC', input_size=2)
    layer.initialize()
    x = np.random.randn(2, 4, 2)
    tnc = rnn.GRU(3, input_size=2, params=layer.collect_params())
    out = layer(nd.array(x))
    assert_almost_equal(out, tnc(nd.array(x.transpose(1, 0, 2))).asnumpy().transpose(1, 0, 2))
    layer.cast('float64')
    check_gradient(lambda v: layer(v), [x])


def test_training_updates_gradients_of_every_parameter():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, dropout=0.3)
    layer.initialize()
    x = nd.array(np.random.randn(4, 2, 5))
    with autograd.record():
        y = layer(x)
    y.backward()
    for name, p in layer.collect_params().items():
        assert np.abs(p.grad().asnumpy()).sum() > 0, name


def test_sequence_length_layer():
    layer = rnn.LSTM(3, use_sequence_length=True, bidirectional=True)
    layer.initialize()
    x = nd.array(np.random.randn(5, 2, 4))
    lengths = nd.array([5, 3])
    out = layer(x, None, lengths)
    assert np.all(out.asnumpy()[3:, 1] == 0)
    short = layer(x[:3, 1:2], None, nd.array([3]))
    assert_almost_equal(out[:3, 1:2], short, rtol=1e-5, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match='layout'):
        rnn.LSTM(3, layout='CTN')
    layer = rnn.GRU(3)
    layer.initialize()
    with pytest.raises(ValueError, match=r'gru\d+ \(GRU\): GRU: data must be 3-D, layout TNC '
                                         r'\(sequence length, batch size, features per step\), '
                                         r'got 2-D data of shape \(2, 3\)'):
        layer(nd.ones((2, 3)))


@pytest.mark.parametrize('layout,shape', [('TNC', (5, 8)), ('NTC', (5,)), ('TNC', (5, 8, 2, 2))])
@pytest.mark.parametrize('hybridize', [False, True])
def test_data_of_another_rank_names_rank_and_layout(layout, shape, hybridize):
    # deferred input size: the error is the layer's, not "shape cannot be inferred"
    layer = rnn.LSTM(16, layout=layout)
    layer.initialize()
    if hybridize:
        layer.hybridize()
    with pytest.raises(ValueError, match=r'lstm\d+ \(LSTM\): LSTM: data must be 3-D, layout %s .*got '
                                         r'%d-D data of shape' % (layout, len(shape))) as info:
        layer(nd.ones(shape))
    assert 'Deferred initialization failed' not in str(info.value)


def test_rnn_after_a_layer_of_another_rank_names_the_conflict():
    # inside a hybridized parent, the RNN operator sees 2-D data: a conflict, not an unknown shape
    from minigluon.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Dense(4), rnn.GRU(16))
    net.initialize()
    net.hybridize()
    with pytest.raises(ValueError, match=r"RNN: data must be 3-D, layout TNC .*got 2-D data of "
                                         r"shape \(5, 4\)") as info:
        net(nd.ones((5, 8)))
    assert 'Deferred initialization failed' not in str(info.value)


@pytest.mark.parametrize('cls', [rnn.LSTM, rnn.GRU, rnn.RNN])
@pytest.mark.parametrize('hybridize', [False, True])
def test_data_of_another_input_size_names_both_sizes(cls, hybridize):
    layer = cls(16, layout='TNC')
    layer.initialize()
    layer(nd.ones((5, 4, 8)))          # the parameters take input_size 8
    if hybridize:
        layer.hybridize()
    with pytest.raises(ValueError, match=r'data has 9 features per step, but the parameters '
                                         r'\(\d+,\) were made for input_size=8'):
        layer(nd.ones((5, 4, 9)))


def test_layer_inside_hybridized_parent_with_deferred_input_size(tmp_path):
    from minigluon.block import HybridBlock

    class Net(HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.lstm = rnn.LSTM(4, bidirectional=True, layout='NTC')

        def hybrid_forward(self, F, x):
            return self.lstm(x) * 2

    net = Net()
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.randn(3, 5, 6))
    x.attach_grad()
    with autograd.record():
        out = net(x)     # deferred shapes inferred through the graph (RNN -> concat -> Reshape)
    out.backward()
    assert out.shape == (3, 5, 8) and net.lstm.l0_i2h_weight.shape == (16, 6)
    eager = rnn.LSTM(4, bidirectional=True, layout='NTC', params=net.lstm.collect_params())
    assert_almost_equal(out, eager(x) * 2, rtol=1e-5, atol=1e-6)
    sym_file, _ = net.export(str(tmp_path / 'net'))
    with open(sym_file) as fh:
        ops = [n['op'] for n in json.load(fh)['nodes'] if n['op'] != 'null']
    assert ops.count('Reshape') == 8 and ops.count('_rnn_param_concat') == 1 and 'RNN' in ops


def test_exported_lstm_graph_matches_mxnet_structure(tmp_path):
    layer = rnn.LSTM(3, input_size=2)
    layer.initialize()
    layer.hybridize()
    layer(nd.ones((4, 2, 2)))
    sym_file, params_file = layer.export(str(tmp_path / 'lstm'))
    with open(sym_file) as fh:
        nodes = json.load(fh)['nodes']
    ops = [n for n in nodes if n['op'] != 'null']
    assert [n['op'] for n in ops] == ['Reshape'] * 4 + ['_rnn_param_concat', 'RNN']
    assert ops[4]['attrs'] == {'dim': '0', 'num_args': '4'}
    rnn_attrs = ops[5]['attrs']
    assert rnn_attrs['mode'] == 'lstm' and rnn_attrs['state_outputs'] == 'True'
    assert rnn_attrs['p'] == '0' and rnn_attrs['projection_size'] == 'None'
    data_inputs = [n['name'] for n in nodes if n['op'] == 'null' and not n['name'].startswith('lstm')]
    assert data_inputs == ['data0', 'data1', 'data2']
    assert sorted(nd.load(params_file)) == sorted('arg:' + k for k in layer.collect_params().keys())


@pytest.mark.parametrize('first_with_states', [True, False])
def test_hybridized_layer_with_and_without_states_returns_the_right_structure(first_with_states):
    # MXNet 1.9.1 reuses the graph traced for the first call, so after `layer(x, states)` a call
    # `layer(x)` returns [out, states] and, the other way round, `layer(x, states)` returns only out.
    layer = rnn.LSTM(4, input_size=3, layout='NTC')
    layer.initialize()
    x = nd.array(np.random.RandomState(0).uniform(size=(2, 5, 3)))
    states = layer.begin_state(2)
    ref_out, ref_states = layer(x, states)
    layer.hybridize(static_alloc=True, static_shape=True)
    traces = []
    trace = layer._get_graph
    layer._get_graph = lambda *args: (traces.append(1) if not layer._cached_graph else None,
                                      trace(*args))[1]
    for with_states in [first_with_states, not first_with_states, first_with_states,
                        not first_with_states]:
        if with_states:
            out, new_states = layer(x, states)
            assert len(new_states) == 2
            for s, r in zip(new_states, ref_states):
                assert_almost_equal(s, r, rtol=1e-5, atol=1e-6)
        else:
            out = layer(x)
            assert isinstance(out, nd.NDArray)
        assert_almost_equal(out, ref_out, rtol=1e-5, atol=1e-6)
    assert len(traces) == 2     # one graph per form, each traced once
