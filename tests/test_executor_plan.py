"""CachedOp's execution plan: one autograd node per call, gradient pruning, and the plan rewrites
(relu after max pooling, in-place relu) give exactly the eager values and gradients."""
import numpy as np
import pytest

from minigluon import autograd, current_context, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp, _GraphGrad
from minigluon.executor_plan import _MaxPoolRelu, _ReluInPlace


def _conv_relu_pool(pad=(0, 0)):
    x = sym.var('x')
    c = sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=4, name='conv')
    r = sym.Activation(c, act_type='relu', name='relu')
    p = sym.Pooling(r, kernel=(2, 2), stride=(2, 2), pad=pad, pool_type='max', name='pool')
    return sym.FullyConnected(p, num_hidden=3, name='fc')


def _eager_conv_relu_pool(args, pad=(0, 0)):
    x, w, b, fw, fb = args
    c = nd.Convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=4)
    r = nd.Activation(c, act_type='relu')
    p = nd.Pooling(r, kernel=(2, 2), stride=(2, 2), pad=pad, pool_type='max')
    return nd.FullyConnected(p, fw, fb, num_hidden=3)


def _run(fn, values, head=None, wants=None):
    """Output and input gradients of ``fn`` (CachedOp or eager function) on fresh arrays."""
    args = [nd.array(v, dtype=v.dtype) for v in values]
    wants = wants or [True] * len(args)
    for a, w in zip(args, wants):
        if w:
            a.attach_grad()
    with autograd.record():
        out = fn(*args)
        out = out[0] if isinstance(out, list) else out
    out.backward(None if head is None else nd.array(head))
    return out.asnumpy(), [a.grad.asnumpy() if w else None for a, w in zip(args, wants)]


def _conv_values(rng, dtype=np.float64, pad=(0, 0)):
    # a shifted input makes whole pooling windows negative (relu gives zeros, ties everywhere)
    x = rng.randn(2, 3, 6, 8) - 0.8
    pooled = (6 + 2 * pad[0] - 2) // 2 + 1, (8 + 2 * pad[1] - 2) // 2 + 1
    shapes = [(4, 3, 3, 3), (4,), (3, 4 * pooled[0] * pooled[1]), (3,)]
    return [x.astype(dtype)] + [rng.randn(*s).astype(dtype) for s in shapes]


def test_relu_moves_after_max_pooling_in_the_plan_only():
    graph = _conv_relu_pool()
    op = CachedOp(graph)
    assert [s.cls.name for s in op._plan] == ['Convolution', 'Activation', 'Pooling', 'FullyConnected']
    # the relu runs after the pooling, inside its pass (tests/test_executor_pool_relu.py)
    # and, a 2x2 stride-2 window, the convolution with them, image by image
    # (tests/test_executor_conv_pool_relu.py)
    assert [s.cls.__name__ for s in op._exec_plan] == ['ConvMaxPoolRelu', 'FullyConnected']
    assert op._exec_plan[0].state['pool_state'] is op._plan[2].state
    json_before = graph.tojson()
    op(*[nd.array(v) for v in _conv_values(np.random.RandomState(0))])
    assert graph.tojson() == json_before              # the symbol graph is MXNet's, untouched


@pytest.mark.parametrize('pad', [(0, 0), (1, 1)])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_rewritten_conv_relu_pool_equals_eager_exactly(pad, dtype):
    values = _conv_values(np.random.RandomState(1), dtype, pad)
    op = CachedOp(_conv_relu_pool(pad))
    got_out, got_grads = _run(op, values)
    want_out, want_grads = _run(lambda *a: _eager_conv_relu_pool(a, pad), values)
    np.testing.assert_array_equal(got_out, want_out)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_array_equal(g, w)


def test_relu_read_twice_is_neither_moved_nor_in_place():
    x = sym.var('x')
    fc = sym.FullyConnected(x, num_hidden=4, flatten=False, name='fc')
    r = sym.Activation(fc, act_type='relu', name='relu')
    out = sym.Pooling(r, kernel=(2,), stride=(2,), pool_type='max', name='pool')
    graph = sym.Group([out.reshape((0, -1)), r, fc])     # relu and fc outputs also read outside
    op = CachedOp(graph)
    assert [s.cls.name for s in op._exec_plan] == [s.cls.name for s in op._plan]
    rng = np.random.RandomState(2)
    xv = rng.randn(2, 3, 5)
    w, b = rng.randn(4, 5), rng.randn(4)
    outs = op(*(nd.array(v, dtype=v.dtype) for v in (xv, w, b)))
    fcv = xv @ w.T + b
    np.testing.assert_allclose(outs[2].asnumpy(), fcv, rtol=1e-12)           # not overwritten
    np.testing.assert_allclose(outs[1].asnumpy(), np.maximum(fcv, 0), rtol=1e-12)


def test_in_place_relu_after_dense_keeps_gradients():
    x = sym.var('x')
    h = sym.Activation(sym.FullyConnected(x, num_hidden=5, name='fc'), act_type='relu', name='r')
    graph = sym.FullyConnected(h, num_hidden=2, name='out')
    op = CachedOp(graph)
    assert op._exec_plan[1].cls is _ReluInPlace
    rng = np.random.RandomState(3)
    values = [rng.randn(4, 3), rng.randn(5, 3), rng.randn(5), rng.randn(2, 5), rng.randn(2)]

    def eager(x, w, b, w2, b2):
        h = nd.Activation(nd.FullyConnected(x, w, b, num_hidden=5), act_type='relu')
        return nd.FullyConnected(h, w2, b2, num_hidden=2)
    got, want = _run(op, values), _run(eager, values)
    np.testing.assert_array_equal(got[0], want[0])
    for g, w in zip(got[1], want[1]):
        np.testing.assert_array_equal(g, w)


def test_float16_relu_falls_back_to_eager_activation():
    op = CachedOp(sym.Activation(sym.FullyConnected(sym.var('x'), num_hidden=3, name='fc'),
                                 act_type='relu', name='r'))
    rng = np.random.RandomState(4)
    values = [rng.randn(2, 4).astype(np.float16), rng.randn(3, 4).astype(np.float16),
              rng.randn(3).astype(np.float16)]

    def eager(x, w, b):
        return nd.Activation(nd.FullyConnected(x, w, b, num_hidden=3), act_type='relu')
    got, want = _run(op, values), _run(eager, values)
    np.testing.assert_array_equal(got[0], want[0])
    for g, w in zip(got[1], want[1]):
        np.testing.assert_array_equal(g, w)


def test_a_recorded_call_is_one_tape_node_over_the_graph_inputs():
    op = CachedOp(_conv_relu_pool())
    args = [nd.array(v) for v in _conv_values(np.random.RandomState(5))]
    args[1].attach_grad()
    with autograd.record():
        out, = op(*args)
    node, index = out._entry
    assert isinstance(node.op, _GraphGrad) and index == 0
    assert list(node.inputs) == args
    # only the steps between the weight and the output keep their operator for backward
    assert [o is not None for o in node.op.ops] == [True, True]   # conv+relu+pool, fc
    out.backward()
    assert node.op is None                            # released like any node
    with autograd.record():
        out, = op(*args)
    assert out._entry is not None
    with autograd.record():                           # no input wants a gradient: nothing recorded
        plain = op(*[nd.array(a.asnumpy()) for a in args])[0]
    assert plain._entry is None


def test_steps_off_the_gradient_path_are_not_kept():
    x, y = sym.var('x'), sym.var('y')
    graph = sym.Group([sym.exp(x) * 2, sym.tanh(y)])
    op = CachedOp(graph)
    xa, ya = nd.array([0.5, -1.0]), nd.array([0.25, 2.0])
    ya.attach_grad()
    with autograd.record():
        a, b = op(xa, ya)
    assert a._entry is None and b._entry is not None
    assert [o is not None for o in b._entry[0].op.ops] == [False, False, True]
    b.backward()
    np.testing.assert_allclose(ya.grad.asnumpy(), 1 - np.tanh([0.25, 2.0]) ** 2, rtol=1e-6)


def test_outputs_without_head_gradient_and_shared_inputs():
    x = sym.var('x')
    parts = sym.SliceChannel(x, num_outputs=2, axis=1, name='s')
    graph = sym.Group([parts[0] * 3, parts[1] * parts[1], x])
    op = CachedOp(graph)
    data = np.arange(8, dtype=np.float64).reshape(2, 4)
    xa = nd.array(data)
    xa.attach_grad()
    with autograd.record():
        a, b, c = op(xa)
    assert c is xa                                    # an input passed straight through
    b.backward()                                      # a gets no gradient: zeros, as eager
    want = np.concatenate([np.zeros((2, 2)), 2 * data[:, 2:]], axis=1)
    np.testing.assert_allclose(xa.grad.asnumpy(), want)
    with autograd.record():
        a, b, _ = op(xa)
    autograd.backward([a, b])
    np.testing.assert_allclose(xa.grad.asnumpy(), np.concatenate([np.full((2, 2), 3.0),
                                                                   2 * data[:, 2:]], axis=1))


def test_retain_graph_and_grad_req_add():
    op = CachedOp(sym.Activation(sym.FullyConnected(sym.var('x'), num_hidden=2, name='fc'),
                                 act_type='relu', name='r') * 2)
    rng = np.random.RandomState(6)
    x, w, b = (nd.array(v, dtype='float64') for v in (rng.randn(3, 4), rng.randn(2, 4), rng.randn(2)))
    w.attach_grad(grad_req='add')
    with autograd.record():
        y, = op(x, w, b)
    y.backward(retain_graph=True)
    first = w.grad.asnumpy().copy()
    y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), 2 * first, rtol=1e-12)
    mask = (x.asnumpy() @ w.asnumpy().T + b.asnumpy()) > 0
    np.testing.assert_allclose(first, (2 * mask).T @ x.asnumpy(), rtol=1e-12)


def _lstm_graph():
    return sym.RNN(sym.var('x'), sym.var('p'), sym.var('h'), sym.var('c'), state_size=3,
                   num_layers=1, bidirectional=True, mode='lstm', name='rnn')


def _lstm_values(rng, n=2):
    from minigluon.ops._rnn_kernels import rnn_param_size
    size = rnn_param_size('lstm', 1, 4, 3, bidirectional=True)
    return [rng.randn(5, n, 4), rng.randn(size) * 0.5, rng.randn(2, n, 3), rng.randn(2, n, 3)]


def test_static_alloc_workspace_is_reused_only_when_free():
    rng = np.random.RandomState(8)
    values = _lstm_values(rng)
    op = CachedOp(_lstm_graph(), [('static_alloc', True)])
    eager = CachedOp(_lstm_graph())
    want = _run(eager, values)
    got = _run(op, values)
    ws = next(iter(op._workspaces.values()))
    kept = {k: id(v) for d in ws.values() for k, v in d.items()}
    # 'K' (the LSTM's derivative factors) is the array form's buffer; the GPU's one-launch loop
    # forms those factors inside the kernel
    on_cpu = current_context().device_type == 'cpu'
    assert {'hs', 'cs', 'gates', 'dgx'} | ({'K'} if on_cpu else set()) <= set(kept)
    # two recorded calls before any backward: the second must not write into the first's buffers
    args = [nd.array(v, dtype=v.dtype) for v in values]
    second = [nd.array(v, dtype=v.dtype) for v in _lstm_values(np.random.RandomState(9))]
    for a in args + second:
        a.attach_grad()
    with autograd.record():
        y1, = op(*args)
        y2, = op(*second)
    y1.backward()
    np.testing.assert_array_equal(y1.asnumpy(), want[0])
    for a, w in zip(args, want[1]):
        np.testing.assert_array_equal(a.grad.asnumpy(), w)
    y2.backward()
    np.testing.assert_array_equal(y2.asnumpy(), _run(eager, [a.asnumpy() for a in second])[0])
    # a full step later, the buffers are reused (same arrays), results unchanged
    np.testing.assert_array_equal(got[0], want[0])
    again = _run(op, values)
    np.testing.assert_array_equal(again[0], want[0])
    for g, w in zip(again[1], want[1]):
        np.testing.assert_array_equal(g, w)
    ws = next(iter(op._workspaces.values()))
    assert any(id(v) in kept.values() for d in ws.values() for v in d.values())
