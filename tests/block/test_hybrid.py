"""HybridBlock: eager vs hybridized, deferred init, argument structures, hooks, export (MXNet golden)."""
import json
import os
import warnings

import numpy as np
import pytest

from minigluon import autograd, nd, serialization
from minigluon.base import MXNetError
from minigluon import symbol as sym
from minigluon.block import Block, HybridBlock, HybridSequential
from minigluon.test_utils import assert_almost_equal

from ._blocks import Dense, Model

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block')


def _seq(in_units=2, act=None):
    seq = HybridSequential()
    with seq.name_scope():
        seq.add(Dense(3, in_units=in_units, activation=act), Dense(2, in_units=3 if in_units else 0))
    return seq


def _fill(net):
    for i, (name, p) in enumerate(sorted(net.collect_params().items())):
        p.set_data(nd.array(0.1 * np.arange(int(np.prod(p.shape))).reshape(p.shape) + i))


def _forward_backward(net, x):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward(nd.array(np.arange(y.size).reshape(y.shape) * 0.5))
    grads = {k: p.grad().asnumpy().copy() for k, p in net.collect_params().items()}
    return y.asnumpy(), x.grad.asnumpy(), grads


@pytest.mark.filterwarnings('ignore:Parameter model0_hidden is not used')
def test_hybridized_matches_eager_forward_and_backward(fresh_names):
    net = Model()
    net.initialize()
    x = nd.array(np.random.RandomState(0).randn(4, 2))
    y_e, gx_e, g_e = _forward_backward(net, x)
    net.hybridize()
    y_h, gx_h, g_h = _forward_backward(net, x)
    assert net._cached_op is not None
    assert_almost_equal(y_h, y_e)
    assert_almost_equal(gx_h, gx_e)
    for k in g_e:
        assert_almost_equal(g_h[k], g_e[k])
    net.hybridize(False)
    assert not net._active and not net.fc1._active
    assert_almost_equal(net(x), y_e)


def test_mxnet_golden_output(fresh_names):
    ref = np.load(os.path.join(FIX, 'seq_io.npz'))
    net = _seq()
    net.initialize()
    _fill(net)
    assert_almost_equal(net(nd.array(ref['x'])), ref['y'])
    net.hybridize()
    assert_almost_equal(net(nd.array(ref['x'])), ref['y'])


def test_deferred_init_eager_and_hybridized(fresh_names):
    x = nd.ones((5, 4))
    for hybrid in (False, True):
        net = _seq(in_units=0, act='relu')
        net.initialize()
        if hybrid:
            net.hybridize()
        assert net(x).shape == (5, 2)
        assert net[0].weight.shape == (3, 4) and net[1].weight.shape == (2, 3)
        assert net[1].weight.data().shape == (2, 3)


def test_infer_shape_and_type_leave_params_uninitialized(fresh_names):
    net = _seq(in_units=0)
    net.initialize()
    net.infer_shape(nd.ones((2, 7)))
    assert net[0].weight.shape == (3, 7)
    with pytest.raises(RuntimeError, match='deferred'):
        net[0].weight.data()
    net.infer_type(nd.ones((2, 7)))
    assert np.dtype(net[0].weight.dtype) == np.float32


def test_deferred_init_error_when_shape_cannot_be_inferred(fresh_names):
    class Bad(HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x
    b = Bad()
    b.initialize()
    with pytest.raises(ValueError, match="Parameter 'bad0_w' because it has invalid shape"):
        b(nd.ones((2,)))


class _SumOfW(HybridBlock):
    """Reads its parameter only through a sum: the data says nothing about the parameter's shape."""

    def __init__(self):
        super().__init__()
        self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

    def hybrid_forward(self, F, x, w):
        return F.broadcast_add(x, F.sum(w))


@pytest.mark.parametrize('hybridize', [False, True])
def test_deferred_init_prefix_only_when_a_shape_stays_unknown(fresh_names, hybridize):
    b = _SumOfW()
    b.initialize()
    if hybridize:
        b.hybridize()
    with pytest.warns(UserWarning, match='Cannot decide shape'), \
            pytest.raises(ValueError, match='^Deferred initialization failed because shape cannot be '
                                            'inferred. infer_shape: could not infer the shape'):
        b(nd.ones((2,)))


class _BadAct(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = Dense(3)

    def hybrid_forward(self, F, x):
        return F.Activation(self.dense(x), act_type='rellu')


@pytest.mark.parametrize('hybridize', [False, True])
def test_deferred_init_reraises_an_operator_error_named_with_the_block(fresh_names, hybridize):
    # the operator refused an attribute while the deferred shapes were being inferred: its own
    # error, named with the block, still a ValueError (as MXNet 1.9.1's), without the prefix
    net = _BadAct(prefix='badact_')
    net.initialize()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match=r"^badact \(_BadAct\): Activation: attribute 'act_type' "
                                         r"must be one of \['relu', 'sigmoid', 'softrelu', "
                                         r"'softsign', 'tanh'\], got 'rellu'$") as info:
        net(nd.ones((2, 4)))
    assert isinstance(info.value, MXNetError)


def test_deferred_init_conflict_is_a_value_error_named_with_the_block(fresh_names):
    # hybridized, the graph's shape inference meets a known shape the operator refuses (a
    # conflict); eagerly the second layer runs and reports it itself (features per sample)
    net = HybridSequential(prefix='seq_')
    with net.name_scope():
        net.add(Dense(3), Dense(2, in_units=5))     # the second gets 3 features, not 5
    net.initialize()
    net.hybridize()
    # the error names the layer whose node refused, as the eager call's error does
    with pytest.raises(ValueError, match=r"^seq_dense1 \(Dense\): FullyConnected 'seq_dense1_fwd' "
                                         r".*input weight has shape \(2, 5\), expected \(2, 3\)") as info:
        net(nd.ones((2, 4)))
    assert isinstance(info.value, MXNetError)


class _AddsItsInputs(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.inner = HybridSequential()
            with self.inner.name_scope():
                self.inner.add(Dense(3), Dense(2))

    def hybrid_forward(self, F, x, y):
        return self.inner(x) + y


@pytest.mark.parametrize('hybridize', [False, True])
def test_a_running_graph_names_the_innermost_layer_that_failed(fresh_names, hybridize):
    # the shapes are known (a first call ran): a second call with other shapes fails while the
    # cached graph runs; the error names the nested Dense, eagerly and hybridized alike
    net = _AddsItsInputs(prefix='net_')
    net.initialize()
    if hybridize:
        net.hybridize()
    net(nd.ones((2, 5)), nd.ones((2, 2)))
    with pytest.raises(ValueError, match=r"^net_hybridsequential0_dense0 \(Dense\): .*FullyConnected: data "
                                         r"has 6 features per sample") as info:
        net(nd.ones((2, 6)), nd.ones((2, 2)))
    assert isinstance(info.value, MXNetError)
    assert 'net_hybridsequential0_dense0_fwd' in str(info.value) or not hybridize
    # a node of the block's own hybrid_forward is named with the block itself
    with pytest.raises(ValueError, match=r"^net \(_AddsItsInputs\): .*elemwise_add: operands could not be "
                                         r"broadcast together"):
        net(nd.ones((2, 5)), nd.ones((2, 3)))


class TwoIn(HybridBlock):
    def hybrid_forward(self, F, a, b=None, c=None):
        out = a * 2
        if b is not None:
            out = out + b
        if c is not None:
            out = out + c[0] * c[1]
        return out, [out * 3, a]


def test_argument_structures_and_none(fresh_names):
    net = TwoIn()
    a, b = nd.array([1.0, 2.0]), nd.array([10.0, 20.0])
    eager = net(a, b, [a, b])
    net.hybridize()
    out = net(a, b, [a, b])
    assert isinstance(out, list) and isinstance(out[1], list) and len(out[1]) == 2
    assert_almost_equal(out[0], eager[0])
    assert_almost_equal(out[1][0], eager[1][0])
    inputs = net._cached_graph[0]
    assert [v.name for v in inputs] == ['data0', 'data1', 'data2', 'data3']
    # another structure gets a graph of its own (MXNet 1.9.1 raises 'argument structure ... does not match')
    assert_almost_equal(net(a, b)[0], a.asnumpy() * 2 + b.asnumpy())
    assert [v.name for v in net._cached_graph[0]] == ['data0', 'data1']
    assert_almost_equal(net(a, b, [a, b])[1][0], eager[1][0])
    net2 = TwoIn()
    net2.hybridize()
    assert_almost_equal(net2(a, b)[0], a.asnumpy() * 2 + b.asnumpy())
    assert_almost_equal(net2(a, b, None)[0], a.asnumpy() * 2 + b.asnumpy())   # trailing None ok
    assert [v.name for v in net2._cached_graph[0]] == ['data0', 'data1']
    net3 = TwoIn()
    net3.hybridize()
    assert_almost_equal(net3(a, None, [a, b])[0], a.asnumpy() * 2 + a.asnumpy() * b.asnumpy())
    assert_almost_equal(net3(a, b, [a, b])[0], a.asnumpy() * 2 + b.asnumpy() + a.asnumpy() * b.asnumpy())


def test_input_type_errors(fresh_names):
    net = _seq()
    net.initialize()
    with pytest.raises(ValueError, match=r'^hybridsequential0 \(HybridSequential\): the inputs mix '
                                         r'NDArrays and Symbols \(got NDArray, Symbol\)'):
        net(nd.ones((1, 2)), sym.var('x'))
    with pytest.raises(ValueError, match=r'^hybridsequential0 \(HybridSequential\): the inputs need an '
                                         r'NDArray \(to compute\) or a Symbol \(to build a graph\), '
                                         r'got int$'):
        net(3)
    with pytest.raises(ValueError, match=r'got numpy\.ndarray; convert NumPy arrays with '
                                         r'mx\.nd\.array\(\.\.\.\)$'):
        net(np.ones((1, 2)))
    with pytest.raises(ValueError, match='Children of HybridBlock must also be HybridBlock'):
        net.add(Block())
    with pytest.raises(RuntimeError, match='hybridize'):
        net.export('/nonexistent/x')


def test_reading_shape_while_hybridized_says_what_to_use(fresh_names):
    class ReadsShape(HybridBlock):
        def hybrid_forward(self, F, x):
            return F.reshape(x, (x.shape[0], -1))
    net = ReadsShape()
    assert net(nd.ones((2, 2, 2))).shape == (2, 4)        # eagerly x is an NDArray
    net.hybridize()
    with pytest.raises(AttributeError, match=r"'Symbol' object has no attribute 'shape': a Symbol has "
                                             r"no shape while a graph is traced .*F\.shape_array"):
        net(nd.ones((2, 2, 2)))


def test_symbol_call_composes(fresh_names):
    net = _seq()
    out = net(sym.var('data'))
    assert out.list_arguments() == ['data', 'hybridsequential0_dense0_weight',
                                    'hybridsequential0_dense0_bias', 'hybridsequential0_dense1_weight',
                                    'hybridsequential0_dense1_bias']


def test_export_matches_mxnet(tmp_path, fresh_names):
    net = _seq()
    net.initialize()
    _fill(net)
    net.hybridize()
    net(nd.ones((2, 2)))
    path = str(tmp_path / 'seq')
    sym_file, params_file = net.export(path)
    assert (sym_file, params_file) == (path + '-symbol.json', path + '-0000.params')
    assert json.load(open(sym_file)) == json.load(open(os.path.join(FIX, 'seq-symbol.json')))
    with open(params_file, 'rb') as ours, open(os.path.join(FIX, 'seq-0000.params'), 'rb') as theirs:
        assert ours.read() == theirs.read()
    net.export(path, epoch=7)
    assert os.path.exists(path + '-0007.params')


def test_export_warns_on_unused_param(tmp_path, fresh_names):
    net = Model()                                   # has a 'hidden' parameter used nowhere
    net.initialize()
    net.hybridize()
    with pytest.warns(UserWarning, match='hidden is not used'):
        net(nd.ones((1, 2)))
    with pytest.warns(UserWarning, match='model0_hidden" is not found in the graph'):
        net.export(str(tmp_path / 'm'))
    keys = list(serialization.load(str(tmp_path / 'm-0000.params')))
    graph_inputs = net._cached_graph[1].list_inputs()
    assert keys == ['arg:' + name for name in graph_inputs if name != 'data']
    assert 'arg:model0_scale' in keys and 'arg:model0_hidden' not in keys


def test_hooks_before_and_after_hybridize(fresh_names):
    net = _seq()
    net.initialize()
    x = nd.ones((1, 2))
    top, child = [], []
    h_top = net.register_forward_hook(lambda b, i, o: top.append(o.shape))
    h_child = net[0].register_forward_hook(lambda b, i, o: child.append(getattr(o, "shape", None)))
    with pytest.warns(UserWarning, match='hooks will not take effect'):
        net.hybridize()
    net(x)
    # the hybridized top block still runs its hooks around the cached graph; hooks of its
    # children fire only while the graph is traced (with Symbol outputs), never for cached calls
    n_child = len(child)
    net(x)
    assert top == [(1, 2), (1, 2)] and len(child) == n_child
    h_top.detach()
    h_child.detach()
    late = []
    h_late = net.register_forward_pre_hook(lambda b, i: late.append(len(i)))
    net(x)
    assert late == [1] and len(top) == 2
    h_late.detach()
    net(x)
    assert late == [1]


def test_hybridized_calls_run_the_cached_graph_without_python_layers(fresh_names):
    # What makes a hybridized call cheaper than an eager one (bench/bench_train.py measures by how
    # much; the suite never times): after the one trace, calls run the cached graph and no
    # layer's hybrid_forward runs in Python, while eager calls run every layer every time.
    net = HybridSequential()
    with net.name_scope():
        for _ in range(12):
            net.add(Dense(8, in_units=8, activation='relu'))
    net.initialize()
    calls = []
    for child in net._children.values():
        def counted(F, *args, _inner=child.hybrid_forward, **kwargs):
            calls.append(F.__name__)
            return _inner(F, *args, **kwargs)
        child.hybrid_forward = counted
    x = nd.array(np.linspace(-1, 1, 32).reshape(4, 8))
    eager = [net(x).asnumpy() for _ in range(3)]
    assert len(calls) == 36 and set(calls) == {'minigluon.ndarray'}
    net.hybridize()
    del calls[:]
    first = net(x).asnumpy()
    assert len(calls) == 12 and set(calls) == {'minigluon.symbol'}      # the one trace
    later = [net(x).asnumpy() for _ in range(3)]
    assert len(calls) == 12                                              # no Python layers
    for out in [first] + later:
        assert_almost_equal(out, eager[0], rtol=1e-6, atol=1e-7)


def test_cast_clears_cache_and_runs(fresh_names):
    net = _seq()
    net.initialize()
    net.hybridize()
    x = nd.array([[1.0, 2.0]])
    ref = net(x).asnumpy()
    net.cast('float64')
    assert net._cached_op is None
    out = net(x.astype('float64'))
    assert out.dtype == np.float64
    assert_almost_equal(out, ref, rtol=1e-5, atol=1e-6)


def test_multiple_contexts_rejected_when_hybridized(fresh_names):
    from minigluon.context import cpu
    net = TwoIn()
    net.hybridize()
    with pytest.raises(ValueError, match='multiple contexts'):
        net(nd.ones(2, ctx=cpu(0)), nd.ones(2, ctx=cpu(1)))


def test_a_failed_trace_of_a_new_argument_structure_keeps_the_graph_in_use(tmp_path):
    """MXNet 1.9.1 exports after such a failure; the graph of the last successful call stays."""
    from minigluon import gluon, nd

    class B(gluon.HybridBlock):
        def hybrid_forward(self, F, x, *rest):
            if not rest:
                raise ValueError('need a second input')
            return F.broadcast_add(x, rest[0])
    net = B()
    net.hybridize()
    net(nd.ones((2,)), nd.ones((1,)))
    with pytest.raises(ValueError, match='need a second input'):
        net(nd.ones((2,)))
    net.export(str(tmp_path / 'b'))
    assert (tmp_path / 'b-symbol.json').exists()
    assert net(nd.ones((2,)), nd.full((1,), 2.)).asnumpy().tolist() == [3, 3]


class _TwoHeads(HybridBlock):
    """``a`` and ``b`` read the same ``relu(x)``; ``shared=False`` reads ``x`` itself (2 operators)."""

    def __init__(self, shared=True, **kwargs):
        super().__init__(**kwargs)
        self._shared = shared
        with self.name_scope():
            self.a = Dense(2, in_units=3)
            self.b = Dense(2, in_units=3)

    def hybrid_forward(self, F, x):
        h = F.relu(x) if self._shared else x
        return self.a(h), self.b(h)


@pytest.mark.parametrize('shared,static_alloc,written', [(True, False, True), (False, True, True),
                                                         (False, False, False)])
def test_unused_output_branch_gets_fresh_zero_gradients_unless_inlined(fresh_names, shared,
                                                                       static_alloc, written):
    # MXNet 1.9.1 (measured): a CachedOp node's backward writes a gradient for every input that
    # wants one, zeros off the used outputs' paths, so Trainer.step does not call them stale; a
    # graph of at most inline_limit=2 operators without static_alloc is recorded operator by
    # operator and leaves them untouched.
    from minigluon.gluon import Trainer
    net = _TwoHeads(shared)
    net.initialize()
    net.hybridize(static_alloc=static_alloc)
    net.b.weight.grad()[:] = 5
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    with autograd.record():
        a, _ = net(nd.ones((1, 3)))
        loss = a.sum()
    loss.backward()
    np.testing.assert_array_equal(net.b.weight.grad().asnumpy(), 0 if written else 5)
    if written:
        trainer.step(1)
        np.testing.assert_array_equal(net.b.bias.data().asnumpy(), 0)
    else:
        with pytest.raises(UserWarning, match='stale'):
            trainer.step(1)


def test_unused_graph_input_gets_zero_gradient_with_add_req_unchanged(fresh_names):
    class Pair(HybridBlock):
        def hybrid_forward(self, F, x, y):
            return x * 2, y * 3 + 1

    x, y = nd.ones((1, 3)), nd.ones((1, 3))
    x.attach_grad()
    y.attach_grad(grad_req='add')
    y.grad[:] = 7
    net = Pair()
    net.hybridize()
    with autograd.record():
        p, _ = net(x, y)
        p.sum().backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), 2)
    np.testing.assert_array_equal(y.grad.asnumpy(), 7)
    y.attach_grad()
    y.grad[:] = 7
    with autograd.record():
        p, _ = net(x, y)
        p.sum().backward()
    np.testing.assert_array_equal(y.grad.asnumpy(), 0)


class _ThreeParams(HybridBlock):
    """Parameters ``a``, ``b``, ``c`` of shape (3,) (0.5, -0.25, 2.0) and a graph chosen by
    ``kind``: ``plus`` (``x*a``, ``x*b + c``), ``cond`` (``sum(x) > 0`` picks ``x*a`` over
    ``x*c``) or ``while`` (three steps of ``s = s*a`` from ``s = x``, the steps stacked)."""

    def __init__(self, kind, **kwargs):
        from minigluon import init
        super().__init__(**kwargs)
        self._kind = kind
        with self.name_scope():
            for name, value in (('a', 0.5), ('b', -0.25), ('c', 2.0)):
                setattr(self, name, self.params.get(name, shape=(3,), init=init.Constant(value)))

    def hybrid_forward(self, F, x, a, b, c):
        if self._kind == 'plus':
            return F.broadcast_mul(x, a), F.broadcast_mul(x, b) + c
        if self._kind == 'cond':
            return F.contrib.cond(F.sum(x) > 0, lambda: F.broadcast_mul(x, a),
                                  lambda: F.broadcast_mul(x, c))
        def step(i, s):
            return F.broadcast_mul(s, a), [i + 1, F.broadcast_mul(s, a)]
        outs, _ = F.contrib.while_loop(lambda i, s: i < 3, step, [F.zeros((1,)), x],
                                       max_iterations=3)
        return outs


def _grads_after_backward(net, heads, x, old=7.0):
    net.initialize()
    net.hybridize()
    with warnings.catch_warnings():
        # 'cond' and 'while' leave b (and c) out of the graph: the first call says so, as it should
        warnings.filterwarnings('ignore', message='Parameter .* is not used by any computation')
        net(x)
    for p in net.collect_params().values():
        p.grad()[:] = old
    with autograd.record():
        outs = net(x)
        loss = heads(outs)
    loss.backward()
    return {n.split('_')[-1]: p.grad().asnumpy() for n, p in net.collect_params().items()}


@pytest.mark.parametrize('req', ['write', 'add'])
def test_hybridized_parameter_added_to_an_output_gets_its_gradient(fresh_names, req):
    # d(sum(x*b + c))/dc = 1, d/db = x. MXNet 1.9.1's CachedOp never writes c's gradient here (it
    # keeps 7, which Trainer.step then applies), and when the graph is inlined with
    # grad_req='add' it gives b 7 + (7 + 1)*x, reading c's accumulated gradient as the head's.
    x = nd.array([1.0, 2.0, 3.0])
    net = _ThreeParams('plus')
    net.collect_params().setattr('grad_req', req)
    grads = _grads_after_backward(net, lambda outs: outs[1].sum(), x)
    base = 7.0 if req == 'add' else 0.0
    np.testing.assert_array_equal(grads['c'], base + 1)
    np.testing.assert_array_equal(grads['b'], base + x.asnumpy())
    np.testing.assert_array_equal(grads['a'], 7.0 if req == 'add' else 0.0)


def test_hybridized_cond_gives_the_branch_not_taken_zero_gradients(fresh_names):
    # sum(x) > 0 takes x*a: d/da = x, and c (read by the other branch) gets a fresh zero where
    # MXNet 1.9.1 keeps its old gradient (7) and Trainer.step applies it again.
    from minigluon.gluon import Trainer
    x = nd.array([1.0, 2.0, 3.0])
    net = _ThreeParams('cond')
    grads = _grads_after_backward(net, lambda out: out.sum(), x)
    np.testing.assert_array_equal(grads['a'], x.asnumpy())
    np.testing.assert_array_equal(grads['c'], 0)
    Trainer([net.c], 'sgd', {'learning_rate': 1.0}).step(1)
    np.testing.assert_array_equal(net.c.data().asnumpy(), 2.0)


def test_hybridized_while_loop_parameter_gradient(fresh_names):
    # the stacked steps are x*a, x*a^2, x*a^3, so d(sum)/da = x*(1 + 2a + 3a^2) = 2.75*x at a=0.5;
    # MXNet 1.9.1's hybridized while_loop gives wrong values there (uninitialised memory with
    # max_iterations above the steps run)
    x = nd.array([3.0, 1.25, -2.0])
    grads = _grads_after_backward(_ThreeParams('while'), lambda outs: outs.sum(), x)
    np.testing.assert_allclose(grads['a'], 2.75 * x.asnumpy(), rtol=1e-6)


def test_hybridize_clear_false_keeps_the_traced_graph_of_a_block_with_children():
    # MXNet 1.9.1: hybridize(clear=False) keeps the block's CachedOp (and its flags) while the
    # children, hybridized with clear=True, drop theirs; here the children's clearing used to
    # climb back and drop the parent's graph too
    traced = []

    class Scaled(HybridBlock):
        def hybrid_forward(self, F, x):
            traced.append(self.name)
            return x * 2

    net = HybridSequential()
    net.add(Scaled(), Dense(2, in_units=3))
    net.initialize()
    net.hybridize()
    x = nd.ones((1, 3))
    first = net(x).asnumpy()
    assert len(traced) == 1
    net.hybridize(static_alloc=True, clear=False)
    np.testing.assert_array_equal(net(x).asnumpy(), first)
    assert len(traced) == 1                     # no new trace
    net.hybridize(static_alloc=True)            # clear=True: traced again
    np.testing.assert_array_equal(net(x).asnumpy(), first)
    assert len(traced) == 2
