"""Regressions of ``tools/fuzz_rnn.py`` replayed against MXNet 1.9.1's outcomes
(``tests/fixtures/rnn_fuzz/``, made by ``tools/gen_rnn_fuzz_fixtures.py``).

Where MXNet raised, minigluon must raise an exception of MXNet's class (``MXNetError`` is
``minigluon.base.MXNetError``; a builtin class by name): ``AssertionError`` where MXNet asserts
(a layer's layout, ``unroll`` without inputs or with another number of steps, modifier cells
misused, a conv cell's kernel spec), ``MXNetError`` where its operators fail (a rank-2 input, the
wrong number of layer states, a step state of the wrong shape, which minigluon's ``elemwise_add``
used to broadcast), ``IndexError`` for too few step states. Elsewhere outputs and gradients must
match MXNet's (extra step states are ignored). Where MXNet is wrong (``differs``), minigluon is
checked against MXNet's own right answer and numerical differentiation.
"""
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import base

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
import fuzz_rnn  # noqa: E402  (the fuzzer's runner: one way to run a case)

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rnn_fuzz')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(HERE, 'values.npz'))

TOL = {'float32': (1e-4, 1e-5), 'float64': (1e-10, 1e-12)}


def inputs(name):
    return [VALUES['%s/in%d' % (name, i)] for i in range(CASES[name]['n_in'])]


def run(name, case=None):
    """The case on minigluon, with MXNet's inputs and heads."""
    return fuzz_rnn.run_net(mx, case or CASES[name], inputs(name),
                            lambda j, a: VALUES['%s/head%d' % (name, j)])


def _is_instance_of_named(err, cls_name):
    if cls_name == 'MXNetError':
        return isinstance(err, base.MXNetError)
    return cls_name in [k.__name__ for k in type(err).__mro__]


def assert_close(got, want, what):
    """Arrays within ``TOL``; strings (parameter names and shapes, saved keys) exactly."""
    if want.dtype.kind == 'U':
        assert str(got) == str(want), what
        return
    assert got.dtype == want.dtype and got.shape == want.shape, what
    rtol, atol = TOL[str(want.dtype)]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


RAISING = sorted(n for n, c in CASES.items() if 'error' in c)
RUNNING = sorted(n for n, c in CASES.items() if 'error' not in c and not c['differs'])


@pytest.mark.parametrize('name', RAISING)
def test_error_class_as_mxnet(name):
    c = CASES[name]
    with pytest.raises(Exception) as info:
        run(name)
    assert _is_instance_of_named(info.value, c['mro'][0]), (
        'MXNet raised %s, minigluon %r' % (c['error'], info.value))


@pytest.mark.parametrize('name', RUNNING)
def test_values_as_mxnet(name):
    res = run(name)
    keys = [k[len(name) + 1:] for k in VALUES.files if k.startswith(name + '/')
            and not k[len(name) + 1:].startswith(('in', 'head'))]
    assert keys
    for k in keys:
        assert_close(res[k], VALUES['%s/%s' % (name, k)], '%s %s' % (name, k))


def test_error_messages_name_the_problem():
    """The messages say what is wrong (the classes are MXNet's, the texts minigluon's)."""
    cell = mx.gluon.rnn.LSTMCell(3, input_size=2)
    cell.initialize()
    x = mx.nd.ones((2, 2))
    with pytest.raises(ValueError, match=r'state 1 must have shape \(2, 3\).*got \(1, 3\)'):
        cell(x, [mx.nd.ones((2, 3)), mx.nd.ones((1, 3))])
    with pytest.raises(IndexError, match='expected 2 states'):
        cell(x, [mx.nd.ones((2, 3))])
    with pytest.raises(ValueError, match='length=4 but the inputs have 3 steps'):
        cell.unroll(4, mx.nd.ones((3, 2, 2)), layout='TNC')
    layer = mx.gluon.rnn.GRU(3, input_size=2)
    layer.initialize()
    with pytest.raises(ValueError, match=r'GRU: data must be 3-D, layout TNC .*got 2-D data'):
        layer(mx.nd.ones((3, 2)))
    with pytest.raises(RuntimeError, match='Call the modifier cell instead'):
        base_cell = mx.gluon.rnn.GRUCell(2)
        mx.gluon.rnn.ZoneoutCell(base_cell)
        base_cell.begin_state(batch_size=2)


def test_unroll_layout_other_than_ntc_tnc_is_refused():
    """MXNet 1.9.1 reads the positions of T and N from any string and then fails in an operator,
    asserts on the length or runs on the wrong axes; minigluon refuses it (an MXNetError too)."""
    cell = mx.gluon.rnn.RNNCell(2, input_size=1)
    cell.initialize()
    for layout in ('CTN', 'tnc'):
        with pytest.raises(base.MXNetValueError, match="layout must be 'NTC' or 'TNC'"):
            cell.unroll(3, mx.nd.ones((1, 3, 1)), layout=layout)


def test_modifier_begin_state_is_ndarray():
    """MXNet 1.9.1's modifier cells default ``begin_state`` to ``symbol.zeros``, which an eager
    unroll refuses; minigluon's default is ``nd.zeros``, as for every cell, and the unroll equals
    the one with explicit zero states."""
    for make in (lambda c: mx.gluon.rnn.ZoneoutCell(c), lambda c: mx.gluon.rnn.ResidualCell(c),
                 lambda c: mx.gluon.contrib.rnn.VariationalDropoutCell(c)):
        net = make(mx.gluon.rnn.LSTMCell(2, input_size=2))
        net.initialize(mx.init.Constant(0.3))
        states = net.begin_state(batch_size=3)
        assert all(isinstance(s, mx.nd.NDArray) and s.shape == (3, 2) for s in states)
        x = mx.nd.array(np.linspace(-1, 1, 12).reshape(3, 2, 2))
        out, _ = net.unroll(2, x, begin_state=states, merge_outputs=True)
        want, _ = net.unroll(2, x, begin_state=[mx.nd.zeros((3, 2)), mx.nd.zeros((3, 2))],
                             merge_outputs=True)
        np.testing.assert_array_equal(out.asnumpy(), want.asnumpy())


def test_bidirectional_ntc_merge_none_as_merge_true():
    """docs/PORTING.md: MXNet 1.9.1's NTC unroll with a valid_length and ``merge_outputs=None`` swaps the
    batch and time axes of the reverse outputs; minigluon's equals MXNet's ``merge_outputs=True``
    (its right answer), and MXNet's own None result differs from it in the reverse column."""
    name = 'bidir_ntc_merge_none'
    res = run(name)
    right = 'bidir_ntc_merge_true'
    for k in ('out0', 'grad0'):
        assert_close(res[k], VALUES['%s/%s' % (right, k)], k)
    mx_none, mx_true = VALUES[name + '/out0'], VALUES[right + '/out0']
    assert not np.allclose(mx_none[..., 2:], mx_true[..., 2:])     # MXNet's fault
    np.testing.assert_allclose(mx_none[..., :2], mx_true[..., :2], rtol=1e-6)


def mxnet_float64_wrong(mode, ours):
    """The parameter gradients where MXNet's float64 two-layer ``mode`` differs from ``ours``."""
    name = 'layer_%s_2layers_float64' % mode
    return [k for k in ours if k.startswith('pgrad:')
            and not np.allclose(VALUES['%s/%s' % (name, k)], ours[k], rtol=1e-6)]


def test_mxnet_float64_lower_layer_fault():
    """The fixture shows MXNet's fault: in the float64 LSTM and GRU (its RNN's depends on the
    values) every gradient of the lower layer differs from minigluon's right one."""
    for mode in ('LSTM', 'GRU'):
        res = run('layer_%s_2layers_float64' % mode)
        assert sorted(mxnet_float64_wrong(mode, res)) == sorted(
            k for k in res if k.startswith('pgrad:') and '_l0_' in k), mode


@pytest.mark.parametrize('mode', ['RNN', 'LSTM', 'GRU'])
def test_float64_two_layers_gradients(mode):
    """docs/PORTING.md: MXNet 1.9.1's float64 layers of two layers and more get the gradients of the
    lower layers wrong (all of them when the input takes no gradient, as here). minigluon's
    float64 results equal MXNet's float32 ones (within float32 rounding) and numerical
    differentiation of minigluon's own float64 forward."""
    name = 'layer_%s_2layers_float64' % mode
    c = CASES[name]
    res = run(name)
    f32 = 'layer_%s_2layers_float32' % mode
    pkeys = [k[len(f32) + 1:] for k in VALUES.files if k.startswith(f32 + '/pgrad:')]
    assert len(pkeys) == 8
    for k in ['out0'] + pkeys:
        want = VALUES['%s/%s' % (f32, k)]
        np.testing.assert_allclose(res[k], want, rtol=1e-4, atol=1e-5, err_msg=k)
    # MXNet's fault is confined to the lower layer (test_mxnet_float64_lower_layer_fault)
    assert all('_l0_' in k for k in mxnet_float64_wrong(mode, res))
    # numerical differentiation of one lower-layer weight, entry by entry (central differences)
    key = [k for k in pkeys if k.endswith('l0_h2h_weight')][0][len('pgrad:'):]
    orig = fuzz_rnn.param_value

    def loss(index, eps):
        def value(cfg, pname, shape, dtype):
            v = orig(cfg, pname, shape, dtype)
            if pname == key:
                v = v.copy()
                v.flat[index] += eps
            return v
        fuzz_rnn.param_value = value
        try:
            r = run(name, dict(c, grad=False))
        finally:
            fuzz_rnn.param_value = orig
        return float((r['out0'] * VALUES[name + '/head0']).sum())
    grad = res['pgrad:' + key]
    numeric = np.array([(loss(i, 1e-6) - loss(i, -1e-6)) / 2e-6 for i in range(grad.size)])
    np.testing.assert_allclose(grad.ravel(), numeric, rtol=1e-5, atol=1e-7)
