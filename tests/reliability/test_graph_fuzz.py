"""Random small HybridBlocks run eagerly, hybridized, and hybridized with static_alloc must agree.

The hybridized executor (``minigluon/executor.py``) rewrites its plan (relu after max pooling,
in-place relu over a fresh Convolution/FullyConnected/Pooling output, Convolution returning a
transposed view for its only reader Pooling, max Pooling keeping its argmax) and, with
``static_alloc``, reuses workspace buffers across calls. Each rewrite is valid only under
conditions (one reader, fresh output, nobody else holding the buffer), so hypothesis builds graphs
(:mod:`tests.reliability.graph_programs`) from a vocabulary that hits them and the sharing patterns
around them: fan-out (one output read by a pool *and* an add, a relu feeding several pools,
``x + x``, a layer called twice), outputs that are also intermediate values or returned twice,
several outputs, inputs with and without gradient, frozen layers, ``grad_req='add'``.

For every generated net and pair of inputs (the second call may change the batch size):

* eager == ``hybridize()`` == ``hybridize(static_alloc=True, static_shape=True)`` == an eager net
  whose layers each run a static_alloc graph: outputs, input and parameter gradients and
  BatchNorm running statistics, over two calls with different values, scheduled one after the
  other, interleaved (the first graph waits for its backward while the second runs), with a
  retained graph run backward again after the second call, or with inference calls in between;
* whatever a call produced that the user still holds (outputs, input gradients) does not change
  while the other call runs;
* ``export`` + ``SymbolBlock.imports`` gives the hybridized block's inference outputs;
* on float64 nets, the static_alloc graph's gradients (inputs and parameters) match central
  differences.

Runs in about 10 s. A longer search: raise ``max_examples`` (or ``derandomize=False``).
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import autograd, current_context, gluon, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.reliability.graph_programs import build_net, programs

# Random graphs overflow to inf/NaN and may leave an input or a parameter unused: the tests compare
# those results between modes, so the warnings NumPy and HybridBlock raise along the way are expected.
pytestmark = [pytest.mark.filterwarnings('ignore:Parameter .* (is not used|is not found)'),
              pytest.mark.filterwarnings('ignore::RuntimeWarning'),
              pytest.mark.filterwarnings('ignore:The .*-th input to HybridBlock is not used')]

_SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


# -- running one mode -----------------------------------------------------------------------------

def _as_list(outs):
    return list(outs) if isinstance(outs, (list, tuple)) else [outs]


# (action, call): f forward, b backward, r backward keeping the graph (for a second backward),
# i forward outside record() (BatchNorm's running statistics, nothing kept for a backward)
_SCHEDULES = {'sequential': [('f', 0), ('b', 0), ('f', 1), ('b', 1)],
              'interleaved': [('f', 0), ('f', 1), ('b', 1), ('b', 0)],     # call 0 waits
              'retained': [('f', 0), ('r', 0), ('f', 1), ('b', 1), ('b', 0)],
              'inference': [('f', 0), ('i', 1), ('b', 0), ('i', 0), ('f', 1), ('b', 1)]}


def _run(net, params0, case, mode):
    """Two recorded calls (and their backwards) in ``mode``; returns everything observed."""
    shapes, inputs, heads, wants, req, order, dtype = case
    for p, v in zip(net.collect_params().values(), params0):
        p.set_data(nd.array(v, dtype=dtype))
        if p.grad_req != 'null':
            p.grad_req = req
    net.collect_params().zero_grad()
    if mode == 'eager':
        net.hybridize(False)
    elif mode == 'children':       # an eager net whose layers each run their own static graph
        net.hybridize(False)
        for layer in net.layers.values():
            layer.hybridize(static_alloc=True, static_shape=True)
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

    def forward(k, step):
        with autograd.record():
            outs = _as_list(net(*arrays[k]))
        held['out%d' % k] = outs
        seen['out%d' % k] = [o.asnumpy() for o in outs]
        seen['recorded%d' % k] = [o._entry is not None for o in outs]

    def backward(k, step, retain=False):
        pairs = [(o, nd.array(h, dtype=dtype)) for o, h in zip(held['out%d' % k], heads[k])
                 if o._entry is not None]
        if pairs:
            autograd.backward([o for o, _ in pairs], [h for _, h in pairs], retain_graph=retain)
        seen['pgrad_step%d' % step] = [p.grad().asnumpy() for p in net.collect_params().values()
                                       if p.grad_req != 'null']
        seen['xgrad%d' % k] = [a.grad.asnumpy() for a in arrays[k] if a.grad is not None]
        seen['xgrad_step%d' % step] = seen['xgrad%d' % k]

    def unchanged(k, step):
        """What call ``k`` produced and the user still holds is as it was."""
        for o, v in zip(held.get('out%d' % k, ()), seen.get('out%d' % k, ())):
            np.testing.assert_array_equal(o.asnumpy(), v, err_msg='%s: output of call %d changed '
                                          'at step %d' % (mode, k, step))
        grads = [a.grad.asnumpy() for a in arrays[k] if a.grad is not None]
        for g, v in zip(grads, seen.get('xgrad%d' % k, ())):
            np.testing.assert_array_equal(g, v, err_msg='%s: input gradient of call %d changed at '
                                          'step %d' % (mode, k, step))

    def infer(k, step):
        seen['inference_step%d' % step] = [o.asnumpy() for o in _as_list(net(*arrays[k]))]

    actions = {'f': forward, 'b': backward, 'r': lambda k, step: backward(k, step, retain=True),
               'i': infer}
    for step, (act, k) in enumerate(_SCHEDULES[order]):
        actions[act](k, step)
        unchanged(1 - k, step)
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
    batch = draw(st.sampled_from([2, 2, 3]))         # the second call may change the batch size
    inputs = [[rng.randn(*s) for s in shapes], [rng.randn(batch, *s[1:]) for s in shapes]]
    wants = draw(st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes)))
    req = draw(st.sampled_from(['write', 'add']))
    order = draw(st.sampled_from(sorted(_SCHEDULES)))
    return (shapes, prog, outputs, seed, inputs, wants, req, order, dtype)


def _prepare(case):
    shapes, prog, outputs, seed, inputs, wants, req, order, dtype = case
    net = build_net(prog, outputs, dtype, seed)
    rng = np.random.RandomState(seed + 1)
    heads = []
    for vals in inputs:          # head gradients of the output shapes of each call
        with autograd.pause():
            probe = _as_list(net(*[nd.array(v, dtype=dtype) for v in vals]))
        heads.append([rng.randn(*o.shape) for o in probe])
    params0 = [p.data().asnumpy() for p in net.collect_params().values()]
    return net, params0, (shapes, inputs, heads, wants, req, order, dtype)


@settings(max_examples=400, **_SETTINGS)
@given(cases())
def test_eager_hybridized_and_static_alloc_agree(case):
    net, params0, run_case = _prepare(case)
    dtype = run_case[-1]
    want = _run(net, params0, run_case, 'eager')
    for mode in ('children', 'hybrid', 'static'):     # export below needs 'static' last
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
        imported = gluon.SymbolBlock.imports(sym_file, names, params_file, ctx=current_context())
        got = [o.asnumpy() for o in _as_list(imported(*xs))]
    _close(got, expected, dtype, 'imported')


@settings(max_examples=30, **_SETTINGS)
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
