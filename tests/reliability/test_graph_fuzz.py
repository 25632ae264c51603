"""Random small HybridBlocks run eagerly, hybridized, and hybridized with static_alloc must agree.

The hybridized executor (``minigluon/executor.py``) rewrites its plan (relu after max pooling,
in-place relu over a fresh Convolution/FullyConnected/Pooling output, Convolution returning a
transposed view for its only reader Pooling, max Pooling keeping its argmax) and, with
``static_alloc``, reuses workspace buffers across calls. Each rewrite is valid only under
conditions (one reader, fresh output, nobody else holding the buffer), so hypothesis builds graphs
from a vocabulary that hits them and the sharing patterns around them: fan-out (one output read by
a pool *and* an add, a relu feeding several pools, ``x + x``), outputs that are also intermediate
values, several outputs, inputs with and without gradient, ``grad_req='add'``.

For every generated net and pair of inputs:

* eager == ``hybridize()`` == ``hybridize(static_alloc=True, static_shape=True)``: outputs, input
  and parameter gradients and BatchNorm running statistics, over two consecutive calls with
  different values, the second either after the first's backward or before it (the first graph
  still waiting);
* the outputs and input gradients of the first call, still held, do not change afterwards;
* ``export`` + ``SymbolBlock.imports`` gives the hybridized block's inference outputs;
* on some float64 nets, the static_alloc graph's gradients match central differences.
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import autograd, gluon, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal, check_gradient

nn = gluon.nn

pytestmark = pytest.mark.filterwarnings('ignore:Parameter .* (is not used|is not found)')

_SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


# -- the program: a list of (kind, sources, attributes) over 4-D values (N, C, H, W) ---------------

def _pool_out(n, k, s, p, full):
    span = n + 2 * p - k
    return (-(-span // s) if full else span // s) + 1


@st.composite
def _pool_attrs(draw, shape, allow_full):
    """Kernel, stride, pad and convention of a 2-D pooling valid for ``shape`` (pad < kernel)."""
    h, w = shape[2:]
    k = (draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w))))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, kk - 1)) for kk in k)
    full = allow_full and draw(st.booleans())
    out = tuple(_pool_out(n, kk, ss, pp, full) for n, kk, ss, pp in zip((h, w), k, s, p))
    return dict(k=k, s=s, p=p, full=full), shape[:2] + out


def _numel(shape):
    return int(np.prod(shape))


@st.composite
def programs(draw, allow_full=True):
    """``(input_shapes, program, outputs)``; value ``i`` is input ``i`` or instruction ``i - n``."""
    n_in = draw(st.integers(1, 2))
    first = (2, draw(st.sampled_from([1, 2, 3, 16])), draw(st.integers(2, 5)), draw(st.integers(2, 5)))
    shapes = [first] + ([first] if n_in == 2 and draw(st.booleans()) else
                        [(2, draw(st.integers(1, 3)),) + first[2:]])[:n_in - 1]
    prog = []

    def emit(kind, srcs, shape, **attrs):
        prog.append((kind, tuple(srcs), attrs))
        shapes.append(shape)
        return len(shapes) - 1

    def pick():           # shrinks towards the newest value (chains); any earlier one gives fan-out
        last = len(shapes) - 1
        return draw(st.one_of(st.just(last), st.integers(0, last)))

    def same_shape(a):
        cands = [i for i, s in enumerate(shapes) if s == shapes[a]]
        return draw(st.sampled_from(cands))

    def conv(a):
        n, c, h, w = shapes[a]
        k = (draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w))))
        s = draw(st.integers(1, 2))
        p = draw(st.integers(0, 1))
        f = draw(st.integers(1, 3))
        out = (n, f, (h + 2 * p - k[0]) // s + 1, (w + 2 * p - k[1]) // s + 1)
        return emit('conv', [a], out, f=f, k=k, s=s, p=p, c=c, bias=draw(st.booleans()))

    def maxpool(a, kind='maxpool'):
        attrs, out = draw(_pool_attrs(shapes[a], allow_full))
        return emit(kind, [a], out, **attrs)

    def relu(a):
        return emit('relu', [a], shapes[a])

    for _ in range(draw(st.integers(1, 6))):
        a = pick()
        n, c, h, w = shapes[a]
        big = _numel(shapes[a]) > 600
        kind = draw(st.sampled_from(['conv_relu_pool', 'relu_pools', 'fan_out', 'dense_relu',
                                     'conv', 'dense', 'dense_flat', 'maxpool', 'avgpool', 'gpool',
                                     'relu', 'F.relu', 'act', 'bn', 'add', 'mul', 'concat',
                                     'slice', 'transpose', 'reshape', 'flatten']))
        if kind == 'conv_relu_pool':
            maxpool(relu(conv(a)))
        elif kind == 'relu_pools':                 # one relu feeding several max pools
            r = relu(a)
            for _ in range(draw(st.integers(2, 3))):
                maxpool(r)
        elif kind == 'fan_out':                    # relu(conv) read by a pool and by an add
            r = relu(conv(a))
            maxpool(r)
            emit('add', [r, same_shape(r)], shapes[r])
        elif kind == 'dense_relu':
            relu(emit('dense', [a], (n, c, h, 3), units=3, w=w, bias=True))
        elif kind == 'conv':
            conv(a)
        elif kind == 'dense':
            emit('dense', [a], (n, c, h, 2), units=2, w=w, bias=draw(st.booleans()))
        elif kind == 'dense_flat':
            emit('dense_flat', [a], (n, 3, 1, 1), units=3, w=c * h * w)
        elif kind in ('maxpool', 'avgpool'):
            maxpool(a, kind)
        elif kind == 'gpool':
            emit('gpool', [a], (n, c, 1, 1), max=draw(st.booleans()))
        elif kind in ('relu', 'F.relu'):
            emit(kind, [a], shapes[a])
        elif kind == 'act':
            emit('act', [a], shapes[a], act=draw(st.sampled_from(['tanh', 'sigmoid', 'softrelu'])))
        elif kind == 'bn':
            emit('bn', [a], shapes[a], c=c)
        elif kind in ('add', 'mul'):               # with itself (x + x) or another same-shape value
            emit(kind, [a, same_shape(a)], shapes[a])
        elif kind == 'concat' and not big:
            b = draw(st.sampled_from([i for i, s in enumerate(shapes)
                                      if s[0] == n and s[2:] == (h, w)]))
            emit('concat', [a, b], (n, c + shapes[b][1], h, w))
        elif kind == 'slice' and max(c, h, w) > 1:
            axis = draw(st.sampled_from([i for i in (1, 2, 3) if shapes[a][i] > 1]))
            size = shapes[a][axis]
            begin = draw(st.integers(0, size - 2))
            end = draw(st.integers(begin + 1, size))
            out = list(shapes[a])
            out[axis] = end - begin
            emit('slice', [a], tuple(out), axis=axis, begin=begin, end=end)
        elif kind == 'transpose':
            emit('transpose', [a], (n, c, w, h))
        elif kind == 'reshape':
            emit('reshape', [a], (n, c * h, 1, w))
        else:
            emit('flatten', [a], (n, c * h * w, 1, 1))
    # every value nobody reads is an output (so eager and hybridized compute the same nodes),
    # plus up to two values that are also read inside the graph (or an input passed through)
    read = {s for _, srcs, _ in prog for s in srcs}
    sinks = [i for i in range(n_in, len(shapes)) if i not in read]
    extra = draw(st.lists(st.sampled_from(sorted(read)), max_size=2, unique=True))
    return shapes[:n_in], prog, sinks + extra


# -- the block ------------------------------------------------------------------------------------

def _layer(kind, a):
    if kind == 'conv':
        return nn.Conv2D(a['f'], a['k'], strides=a['s'], padding=a['p'], in_channels=a['c'],
                         use_bias=a['bias'])
    if kind == 'dense':
        return nn.Dense(a['units'], flatten=False, in_units=a['w'], use_bias=a['bias'])
    if kind == 'dense_flat':
        return nn.Dense(a['units'], in_units=a['w'])
    if kind in ('maxpool', 'avgpool'):
        cls = nn.MaxPool2D if kind == 'maxpool' else nn.AvgPool2D
        return cls(a['k'], strides=a['s'], padding=a['p'], ceil_mode=a['full'])
    if kind == 'gpool':
        return nn.GlobalMaxPool2D() if a['max'] else nn.GlobalAvgPool2D()
    if kind == 'relu':
        return nn.Activation('relu')
    if kind == 'bn':
        return nn.BatchNorm(in_channels=a['c'])
    return None


class _Net(nn.HybridBlock):
    """Runs a program from :func:`programs`; returns one value or a tuple of them."""

    def __init__(self, prog, outputs, **kwargs):
        super().__init__(**kwargs)
        self.prog, self.outs, self.layers = prog, outputs, {}
        with self.name_scope():
            for i, (kind, _, a) in enumerate(prog):
                layer = _layer(kind, a)
                if layer is not None:
                    self.register_child(layer, 'l%d' % i)
                    self.layers[i] = layer

    def hybrid_forward(self, F, x, *rest):
        vals = [x, *rest]
        for i, (kind, srcs, a) in enumerate(self.prog):
            ins = [vals[s] for s in srcs]
            if i in self.layers:
                y = self.layers[i](ins[0])
                if kind == 'dense_flat':
                    y = F.reshape(y, shape=(0, -1, 1, 1))
            elif kind == 'F.relu':
                y = F.relu(ins[0])
            elif kind == 'act':
                y = F.Activation(ins[0], act_type=a['act'])
            elif kind == 'add':
                y = ins[0] + ins[1]
            elif kind == 'mul':
                y = ins[0] * ins[1]
            elif kind == 'concat':
                y = F.concat(ins[0], ins[1], dim=1)
            elif kind == 'slice':
                y = F.slice_axis(ins[0], axis=a['axis'], begin=a['begin'], end=a['end'])
            elif kind == 'transpose':
                y = F.transpose(ins[0], axes=(0, 1, 3, 2))
            elif kind == 'reshape':
                y = F.reshape(ins[0], shape=(0, -1, 1, 0))
            else:
                y = F.reshape(F.flatten(ins[0]), shape=(0, -1, 1, 1))
            vals.append(y)
        outs = [vals[k] for k in self.outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


def _build(prog, outputs, dtype, seed):
    net = _Net(prog, outputs)
    net.initialize()
    net.cast(dtype)
    rng = np.random.RandomState(seed)
    for p in net.collect_params().values():     # away from zero: relu kinks are unlikely ties
        p.set_data(nd.array(rng.uniform(0.3, 1.0, p.shape) * rng.choice([-1, 1], p.shape)
                            if not p.name.endswith('_var') else rng.uniform(0.5, 1.5, p.shape),
                            dtype=dtype))
    return net


# -- running one mode -----------------------------------------------------------------------------

def _as_list(outs):
    return list(outs) if isinstance(outs, (list, tuple)) else [outs]


def _run(net, params0, case, mode):
    """Two recorded calls (and their backwards) in ``mode``; returns everything observed."""
    shapes, inputs, heads, wants, req, order, dtype = case
    for p, v in zip(net.collect_params().values(), params0):
        p.set_data(nd.array(v, dtype=dtype))
        p.grad_req = req
    net.collect_params().zero_grad()
    if mode == 'eager':
        net.hybridize(False)
    else:
        net.hybridize(static_alloc=mode == 'static', static_shape=mode == 'static')
    arrays = []
    for vals in inputs:
        arrs = [nd.array(v, dtype=dtype) for v in vals]
        for a, w in zip(arrs, wants):
            if w:
                a.attach_grad(grad_req=req)
        arrays.append(arrs)
    seen, held = {}, {}

    def forward(k):
        with autograd.record():
            outs = _as_list(net(*arrays[k]))
        held['out%d' % k] = outs
        seen['out%d' % k] = [o.asnumpy() for o in outs]
        seen['recorded%d' % k] = [o._entry is not None for o in outs]

    def backward(k):
        pairs = [(o, nd.array(h, dtype=dtype)) for o, h in zip(held['out%d' % k], heads[k])
                 if o._entry is not None]
        if pairs:
            autograd.backward([o for o, _ in pairs], [h for _, h in pairs])
        seen['pgrad%d' % k] = [p.grad().asnumpy() for p in net.collect_params().values()
                               if p.grad_req != 'null']
        seen['xgrad%d' % k] = [a.grad.asnumpy() for a in arrays[k] if a.grad is not None]

    steps = ([forward, backward] * 2 if order == 'sequential' else [forward, forward] + [backward] * 2)
    calls = [0, 0, 1, 1] if order == 'sequential' else [0, 1, 1, 0]
    for step, k in zip(steps, calls):
        step(k)
    # what the first call produced, still held, is unchanged by the second call
    for k in (0, 1):
        for o, v in zip(held['out%d' % k], seen['out%d' % k]):
            np.testing.assert_array_equal(o.asnumpy(), v, err_msg='%s: output of call %d changed'
                                          % (mode, k))
    for a, v in zip([a for a in arrays[0] if a.grad is not None], seen['xgrad0']):
        np.testing.assert_array_equal(a.grad.asnumpy(), v, err_msg='%s: input gradient of call 0 '
                                      'changed after call 1' % mode)
    seen['params'] = [p.data().asnumpy() for p in net.collect_params().values()]
    return seen


def _close(a, b, dtype, what):
    tol = 1e-9 if dtype == 'float64' else 1e-4
    assert len(a) == len(b), what
    for i, (x, y) in enumerate(zip(a, b)):
        assert_almost_equal(x, y, rtol=tol, atol=tol, names=(what + '[%d]' % i, 'eager'),
                            equal_nan=True)


@st.composite
def cases(draw, allow_full=True):
    shapes, prog, outputs = draw(programs(allow_full))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.RandomState(seed)
    dtype = draw(st.sampled_from(['float32', 'float64']))
    inputs = [[rng.randn(*s) for s in shapes] for _ in range(2)]
    wants = draw(st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes)))
    req = draw(st.sampled_from(['write', 'add']))
    order = draw(st.sampled_from(['sequential', 'interleaved']))
    return (shapes, prog, outputs, seed, inputs, wants, req, order, dtype)


def _prepare(case):
    shapes, prog, outputs, seed, inputs, wants, req, order, dtype = case
    net = _build(prog, outputs, dtype, seed)
    with autograd.pause():
        probe = _as_list(net(*[nd.array(v, dtype=dtype) for v in inputs[0]]))
    rng = np.random.RandomState(seed + 1)
    heads = [[rng.randn(*o.shape) for o in probe] for _ in range(2)]
    params0 = [p.data().asnumpy() for p in net.collect_params().values()]
    return net, params0, (shapes, inputs, heads, wants, req, order, dtype)


@settings(max_examples=400, **_SETTINGS)
@given(cases())
def test_eager_hybridized_and_static_alloc_agree(case):
    net, params0, run_case = _prepare(case)
    dtype = run_case[-1]
    want = _run(net, params0, run_case, 'eager')
    for mode in ('hybrid', 'static'):
        got = _run(net, params0, run_case, mode)
        assert sorted(got) == sorted(want)
        for key in sorted(want):
            if key.startswith('recorded'):
                assert got[key] == want[key], (mode, key)
            else:
                _close(got[key], want[key], dtype, '%s %s' % (mode, key))
    # export + SymbolBlock.imports: the same inference outputs as the hybridized block
    shapes, inputs = run_case[0], run_case[1]
    xs = [nd.array(v, dtype=dtype) for v in inputs[1]]
    expected = [o.asnumpy() for o in _as_list(net(*xs))]
    with tempfile.TemporaryDirectory() as tmp:
        sym_file, params_file = net.export(os.path.join(tmp, 'net'))
        names = ['data'] if len(shapes) == 1 else ['data%d' % i for i in range(len(shapes))]
        imported = gluon.SymbolBlock.imports(sym_file, names, params_file)
        got = [o.asnumpy() for o in _as_list(imported(*xs))]
    _close(got, expected, dtype, 'imported')


@settings(max_examples=12, **_SETTINGS)
@given(cases(allow_full=False))
def test_static_alloc_graph_gradients_match_finite_differences(case):
    case = case[:8] + ('float64',)
    net, params0, run_case = _prepare(case)
    net.hybridize(static_alloc=True, static_shape=True)
    inputs = run_case[1][0]
    net(*[nd.array(v, dtype='float64') for v in inputs])
    graph = net._cached_graph[1]
    op = CachedOp(graph, [('static_alloc', True), ('static_shape', True)])
    params = net.collect_params()
    data = dict(zip(['data'] if len(inputs) == 1 else ['data%d' % i for i in range(len(inputs))],
                    inputs))
    values = [data[n] if n in data else params[n].data().asnumpy() for n in graph.list_inputs()]
    aux = set(graph.list_auxiliary_states())
    wrt = [i for i, n in enumerate(graph.list_inputs()) if n not in aux]

    def fn(*arrays):
        with autograd.train_mode():
            return op(*arrays)
    check_gradient(fn, values, wrt=wrt, eps=1e-6, rtol=1e-5, atol=1e-7)


# -- regressions found by the fuzzer --------------------------------------------------------------

def _relu_pool_graph(**pool):
    x = sym.var('x')
    r = sym.Activation(sym.FullyConnected(x, num_hidden=2, flatten=False, name='fc'),
                       act_type='relu', name='relu')
    return sym.Pooling(r, pool_type='max', name='pool', **pool)


@pytest.mark.parametrize('pool, moved', [
    (dict(kernel=(1,), stride=(2,), pooling_convention='full'), False),   # last window past the input
    (dict(kernel=(2,), stride=(3,), pad=(1,), pooling_convention='full'), False),
    (dict(kernel=(2,), stride=(2,), pad=(1,), pooling_convention='full'), False),  # for odd sizes
    (dict(kernel=(3,), stride=(2,), pad=(1,), pooling_convention='full'), True),
    (dict(kernel=(2,), stride=(2,), pad=(1,)), True),
    (dict(kernel=(1,), stride=(3,), pooling_convention='same'), True)])
@pytest.mark.parametrize('flags', [(), (('static_alloc', True),)])
def test_relu_is_not_moved_after_a_max_pool_with_windows_wholly_in_padding(pool, moved, flags):
    # Fuzzer: relu -> MaxPool2D(ceil_mode=True) hybridized gave 0 where eager (and MXNet 1.9.1)
    # give the lowest float32 for a window lying wholly past the input.
    rng = np.random.RandomState(0)
    values = [rng.randn(2, 3, 4), rng.randn(2, 4), rng.randn(2)]
    op = CachedOp(_relu_pool_graph(**pool), flags)
    assert ([s.cls.name for s in op._exec_plan][1] == 'Pooling') is moved
    args = [nd.array(v, dtype='float32') for v in values]
    for a in args:
        a.attach_grad()
    with autograd.record():
        got, = op(*args)
    got.backward(nd.ones(got.shape))
    eargs = [nd.array(v, dtype='float32') for v in values]
    for a in eargs:
        a.attach_grad()
    with autograd.record():
        fc = nd.FullyConnected(eargs[0], eargs[1], eargs[2], num_hidden=2, flatten=False)
        want = nd.Pooling(nd.Activation(fc, act_type='relu'), pool_type='max', **pool)
    want.backward(nd.ones(want.shape))
    np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    for a, e in zip(args, eargs):
        np.testing.assert_array_equal(a.grad.asnumpy(), e.grad.asnumpy())
