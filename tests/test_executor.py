"""CachedOp: a planned graph run through ndarray.invoke equals eager execution, gradients included."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.base import MXNetError
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal, check_gradient


def _mlp():
    x = sym.var('x')
    h = sym.Activation(sym.FullyConnected(x, num_hidden=4, name='fc1'), act_type='tanh', name='a1')
    y = sym.FullyConnected(h, num_hidden=2, name='fc2')
    return sym.Group([y * 2 - 1, h])


def _eager_mlp(x, w1, b1, w2, b2):
    h = nd.Activation(nd.FullyConnected(x, w1, b1, num_hidden=4), act_type='tanh')
    y = nd.FullyConnected(h, w2, b2, num_hidden=2)
    return [y * 2 - 1, h]


def _values(rng, dtype=np.float32):
    shapes = [(3, 5), (4, 5), (4,), (2, 4), (2,)]
    return [rng.randn(*s).astype(dtype) for s in shapes]


def test_forward_and_gradients_match_eager():
    graph = _mlp()
    assert graph.list_inputs() == ['x', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias']
    op = CachedOp(graph)
    vals = _values(np.random.RandomState(0))
    results = []
    for runner in (lambda *a: op(*a), _eager_mlp):
        arrays = [nd.array(v) for v in vals]
        for a in arrays:
            a.attach_grad()
        with autograd.record():
            y, h = runner(*arrays)
            loss = (y * y).sum() + h.sum()
        loss.backward()
        results.append([y.asnumpy(), h.asnumpy()] + [a.grad.asnumpy() for a in arrays])
    for got, want in zip(*results):
        assert_almost_equal(got, want, rtol=1e-6, atol=1e-6)
    # independent NumPy reference for the forward pass
    x, w1, b1, w2, b2 = vals
    h = np.tanh(x @ w1.T + b1)
    assert_almost_equal(results[0][0], (h @ w2.T + b2) * 2 - 1, rtol=1e-5, atol=1e-6)


def test_numeric_gradient_through_cached_graph():
    op = CachedOp(_mlp())
    vals = _values(np.random.RandomState(1), np.float64)
    check_gradient(lambda *a: op(*a), vals)


def test_multi_output_nodes_and_inputs_as_outputs():
    x = sym.var('x')
    parts = sym.SliceChannel(x, num_outputs=3, axis=1, name='s')
    graph = sym.Group([parts[2], x, parts[0] + parts[1]])
    data = np.arange(12, dtype=np.float32).reshape(2, 6)
    outs = CachedOp(graph)(nd.array(data))
    assert len(outs) == 3
    assert_almost_equal(outs[0], data[:, 4:])
    assert_almost_equal(outs[1], data)
    assert_almost_equal(outs[2], data[:, 0:2] + data[:, 2:4])


def test_plan_frees_intermediates_early():
    x = sym.var('x')
    graph = sym.relu(sym.relu(sym.relu(x) * 2) + 1)
    op = CachedOp(graph)
    freed = [s for step in op._plan for s in step.free]
    # every intermediate but the output is released right after its only reader
    assert sorted(freed) == list(range(1, op.num_slots - 1))
    assert_almost_equal(op(nd.array([-1.0, 2.0]))[0], np.array([1.0, 5.0]))


def test_batchnorm_running_stats_updated_in_place_like_eager():
    data = sym.var('data')
    graph = sym.BatchNorm(data, fix_gamma=False, momentum=0.5, name='bn')
    op = CachedOp(graph)
    rng = np.random.RandomState(2)
    x = rng.randn(4, 3, 2, 2).astype(np.float32)
    results = []
    for use_graph in (True, False):
        args = [nd.array(x), nd.ones((3,)), nd.zeros((3,)), nd.zeros((3,)), nd.ones((3,))]
        args[0].attach_grad()
        with autograd.record():
            y = op(*args)[0] if use_graph else nd.BatchNorm(*args, fix_gamma=False, momentum=0.5)
        y.backward()
        results.append((y.asnumpy(), args[0].grad.asnumpy(), args[3].asnumpy(), args[4].asnumpy()))
    for got, want in zip(*results):
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(results[0][2], 0)       # the running mean moved


def test_call_errors():
    op = CachedOp(_mlp())
    with pytest.raises(ValueError, match="expected 5 inputs"):
        op(nd.ones((3, 5)))
    with pytest.raises(TypeError, match="'fc1_weight' must be an NDArray"):
        op(nd.ones((3, 5)), np.ones((4, 5)), nd.ones(4), nd.ones((2, 4)), nd.ones(2))
    with pytest.raises((ValueError, MXNetError), match='fc1'):
        op(nd.ones((3, 5)), nd.ones((4, 6)), nd.ones(4), nd.ones((2, 4)), nd.ones(2))


def test_duplicate_input_names_and_hidden_outputs_rejected():
    a, b = sym.var('x'), sym.var('x')
    with pytest.raises(MXNetError, match="'x'"):
        CachedOp(a + b)
    bn = sym.BatchNorm(sym.var('d'), name='bn')
    hidden = bn.get_internals()   # visible outputs only: fine
    CachedOp(hidden)
    from minigluon.symbol.symbol import Symbol
    node = bn._outputs[0][0]
    with pytest.raises(MXNetError, match='hidden'):
        CachedOp(Symbol([(node, 1)]))


def test_flags_are_kept():
    op = CachedOp(sym.relu(sym.var('x')), flags=[('static_alloc', True)])
    assert op.flags == (('static_alloc', True),)
    assert 'CachedOp(1 inputs, 1 operator nodes, 1 outputs)' == repr(op)


def test_cached_graph_on_gpu_matches_cpu():
    pytest.importorskip('cupy')
    from minigluon import context
    if context.num_gpus() == 0:
        pytest.skip('no GPU')
    op = CachedOp(_mlp())
    vals = _values(np.random.RandomState(6))
    cpu = op(*[nd.array(v) for v in vals])
    gpu = op(*[nd.array(v, ctx=context.gpu(0)) for v in vals])
    assert all(g.context == context.gpu(0) for g in gpu)
    for c, g in zip(cpu, gpu):
        assert_almost_equal(g.asnumpy(), c.asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('value,on', [(True, True), ('True', True), ('true', True), ('1', True),
                                      (False, False), ('False', False), ('false', False), ('0', False)])
def test_boolean_flags_read_as_mxnet_strings_alike(value, on):
    # MXNet's CachedOp flags are strings ('True'/'false'/'1'...): static_alloc and the
    # static_shape check read them the same way (static_alloc='false' used to turn it on)
    graph = sym.relu(sym.var('x') * 2)
    op = CachedOp(graph, [('static_alloc', value)])
    assert op._static_alloc is on
    assert op._inlined is (not on)          # a 2-operator graph is inlined without static_alloc
    np.testing.assert_array_equal(op(nd.array([-1., 2.]))[0].asnumpy(), [0., 4.])
    if on:
        CachedOp(graph, [('static_alloc', value), ('static_shape', 'true')])
    else:
        with pytest.raises(ValueError, match='static_alloc must be True when static_shape is True'):
            CachedOp(graph, [('static_alloc', value), ('static_shape', 'true')])
