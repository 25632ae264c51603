"""``Convolution -> relu -> 2x2 max pool`` as one plan step, image by image
(:class:`minigluon.ops._conv_pool_relu.ConvMaxPoolRelu`): the output and every gradient must be
eager's bit for bit (the output's zero signs aside, as in test_executor_pool_relu.py) and the
unfused plan's bit for bit (zero signs included), on one or two CPU workers, for thin inputs (the
convolution's batch path) and wide ones (its per-image GEMMs), with NaN, ties, odd sizes whose
last row / column no window holds, and the symbol (hence export) unchanged."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import executor_plan
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.ops import _numba, _parallel
from minigluon.ops._conv_pool_relu import ConvMaxPoolRelu
from test_executor_pool_relu import _bits

CONVS = [dict(kernel=(3, 3), pad=(1, 1)),
         dict(kernel=(3, 3), stride=(2, 2)),
         dict(kernel=(1, 1)),                       # pointwise: im2col is the image itself
         dict(kernel=(3, 2), dilate=(2, 1), pad=(1, 0))]


def _graph(conv, num_filter, no_bias=False, pool=None):
    c = sym.Convolution(sym.var('x'), num_filter=num_filter, no_bias=no_bias, name='conv', **conv)
    return sym.Pooling(sym.Activation(c, act_type='relu', name='relu'), pool_type='max',
                       name='pool', **(pool or dict(kernel=(2, 2), stride=(2, 2))))


def _run(forward, x, w, b, head, wants):
    """``forward(data, weight[, bias])`` recorded on NDArrays of the NumPy ``x``, ``w``, ``b``
    (None: no bias) and its backward from ``head``: the output and the gradient of each input
    whose entry of ``wants`` is true (None for the others), as NumPy arrays."""
    args = [nd.array(v, dtype=v.dtype) for v in (x, w) + (() if b is None else (b,))]
    for a, want in zip(args, wants):
        if want:
            a.attach_grad()
    with autograd.record():
        y = forward(*args)
    y.backward(nd.array(head, dtype=head.dtype))
    return [y.asnumpy()] + [a.grad.asnumpy() if want else None for a, want in zip(args, wants)]


def _eager(x, w, b, head, conv, wants):
    def forward(*args):
        y = nd.Convolution(*args, num_filter=w.shape[0], no_bias=b is None, **conv)
        return nd.Pooling(nd.Activation(y, act_type='relu'), kernel=(2, 2), stride=(2, 2),
                          pool_type='max')
    return _run(forward, x, w, b, head, wants)


def _hybrid(op, x, w, b, head, wants):
    return _run(lambda *args: op(*args)[0], x, w, b, head, wants)


def _values(rng, shape, dtype, nan):
    """Small integers (ties in the convolution output, exact sums), zeros, NaN when asked."""
    x = rng.randint(-2, 3, size=shape).astype(dtype)
    x[rng.rand(*shape) < 0.2] = -0.0
    if nan:
        x.flat[rng.randint(0, x.size, size=2)] = np.nan
    return x


def _unfused(monkeypatch):
    monkeypatch.setattr(executor_plan, '_fuse_conv_max_pool_relu', lambda plan, only_reader: plan)


def test_conv_relu_pool_becomes_one_step_and_the_symbol_is_unchanged():
    graph = _graph(CONVS[0], 4)
    before = graph.tojson()
    op = CachedOp(graph)
    assert [s.cls for s in op._exec_plan] == [ConvMaxPoolRelu]
    assert [s.cls.__name__ for s in op._plan] == ['Convolution', 'Activation', 'Pooling']
    assert graph.tojson() == before


def test_not_fused_where_the_steps_do_not_fit():
    c = sym.Convolution(sym.var('x'), kernel=(3, 3), num_filter=4, name='conv')
    r = sym.Activation(c, act_type='relu', name='relu')
    p = sym.Pooling(r, kernel=(2, 2), stride=(2, 2), pool_type='max', name='pool')
    # the convolution's output is read elsewhere (relu not in place: no _MaxPoolRelu either)
    op = CachedOp(sym.Group([p, c]))
    assert ConvMaxPoolRelu not in [s.cls for s in op._exec_plan]
    for pool in (dict(kernel=(3, 3), stride=(2, 2)), dict(kernel=(2, 2), stride=(1, 1)),
                 dict(kernel=(2, 2), stride=(2, 2), pad=(1, 1)),
                 dict(kernel=(2, 2), stride=(2, 2), pooling_convention='full')):
        op = CachedOp(_graph(CONVS[0], 4, pool=pool))
        assert [s.cls.__name__ for s in op._exec_plan] == ['Convolution', '_MaxPoolRelu'], pool
    g = sym.Convolution(sym.var('x'), kernel=(3, 3), num_filter=4, num_group=2, name='conv')
    op = CachedOp(sym.Pooling(sym.Activation(g, act_type='relu'), kernel=(2, 2), stride=(2, 2),
                              pool_type='max'))
    assert [s.cls.__name__ for s in op._exec_plan] == ['Convolution', '_MaxPoolRelu']
    one_d = sym.Convolution(sym.var('x'), kernel=(3,), num_filter=4, name='conv')
    op = CachedOp(sym.Pooling(sym.Activation(one_d, act_type='relu'), kernel=(2,), stride=(2,),
                              pool_type='max'))
    assert ConvMaxPoolRelu not in [s.cls for s in op._exec_plan]


@pytest.mark.parametrize('workers', [1, 2])
@pytest.mark.parametrize('static', [False, True])
@pytest.mark.parametrize('channels', [1, 3, 16])        # batch path, batch path, per-image GEMMs
@pytest.mark.parametrize('conv', CONVS)
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_fused_step_equals_eager_and_the_unfused_plan_bit_for_bit(monkeypatch, dtype, conv,
                                                                   channels, static, workers):
    if _numba.kernels('_pool_numba_kernels') is None:
        pytest.skip('Numba is not installed: the step runs unfused')
    monkeypatch.setattr(_parallel, '_workers', workers)
    rng = np.random.RandomState(channels + 5 * len(conv))
    f = 5
    fused = CachedOp(_graph(conv, f), [('static_alloc', static)])
    assert [s.cls for s in fused._exec_plan] == [ConvMaxPoolRelu]
    with monkeypatch.context() as m:
        _unfused(m)
        plain = CachedOp(_graph(conv, f), [('static_alloc', static)])
    assert [s.cls.__name__ for s in plain._exec_plan] == ['Convolution', '_MaxPoolRelu']
    cases = [((3, 9, 11), (True, True, True), False),     # odd output sizes: a row and column dropped
             ((10, 8, 12), (False, True, True), True),    # no data gradient (a first layer); NaN
             ((3, 8, 10), (True, True, True), True),
             ((2, 7, 7), (True, False, False), False)]    # only the data gradient
    seen = set()
    for (n, h, w), wants, nan in cases:
        x = _values(rng, (n, channels, h, w), dtype, nan)
        wt = _values(rng, (f, channels) + conv['kernel'], dtype, False)
        b = rng.randint(-2, 3, size=f).astype(dtype)
        with np.errstate(invalid='ignore'):
            shape = nd.Pooling(nd.Convolution(nd.array(x, dtype=dtype), nd.array(wt, dtype=dtype),
                                              nd.array(b, dtype=dtype), num_filter=f, **conv),
                               kernel=(2, 2), stride=(2, 2), pool_type='max').shape
            head = rng.randn(*shape).astype(dtype)
            head.flat[::7] = -1.0
            want = _eager(x, wt, b, head, conv, wants)
            got = _hybrid(fused, x, wt, b, head, wants)
            ref = _hybrid(plain, x, wt, b, head, wants)
            inference = fused(*[nd.array(v, dtype=dtype) for v in (x, wt, b)])[0].asnumpy()
        for i, (e, g, r) in enumerate(zip(want, got, ref)):
            if e is None:
                assert g is None
                continue
            assert g.dtype == dtype
            np.testing.assert_array_equal(_bits(g), _bits(r))
            np.testing.assert_array_equal(_bits(g, zero_sign=i > 0), _bits(e, zero_sign=i > 0))
        np.testing.assert_array_equal(_bits(inference), _bits(got[0]))
        seen.update({'nan': np.isnan(got[0]).any(), 'zero': (got[0] == 0).any(),
                     'positive': (got[0] > 0).any()}.items())
    assert {k for k, v in seen if v} == {'nan', 'zero', 'positive'}     # the cases were exercised


@pytest.mark.parametrize('channels', [1, 16])
def test_no_bias_and_two_workers_give_one_workers_bits(monkeypatch, channels):
    if _numba.kernels('_pool_numba_kernels') is None:
        pytest.skip('Numba is not installed: the step runs unfused')
    rng = np.random.RandomState(21)
    conv = CONVS[0]
    x = rng.randn(12, channels, 14, 19).astype(np.float32)
    wt = rng.randn(6, channels, 3, 3).astype(np.float32)
    head = rng.randn(12, 6, 7, 9).astype(np.float32)
    results = []
    for workers in (1, 2):
        monkeypatch.setattr(_parallel, '_workers', workers)
        op = CachedOp(_graph(conv, 6, no_bias=True), [('static_alloc', True)])
        for _ in range(2):                       # the second call reuses the workspace
            got = _hybrid(op, x, wt, None, head, (True, True))
        results.append(got)
    want = _eager(x, wt, None, head, conv, (True, True))
    for one, two, e in zip(results[0], results[1], want):
        np.testing.assert_array_equal(_bits(one), _bits(two))
        np.testing.assert_array_equal(_bits(one, False), _bits(e, False))


@pytest.mark.parametrize('dtype', [np.float16, np.int32])
def test_other_dtypes_run_unfused_with_eagers_results(dtype):
    rng = np.random.RandomState(4)
    x = rng.randint(-2, 3, size=(2, 3, 6, 8)).astype(dtype)
    wt = rng.randint(-2, 3, size=(4, 3, 3, 3)).astype(dtype)
    b = rng.randint(-2, 3, size=4).astype(dtype)
    op = CachedOp(_graph(CONVS[0], 4), [('static_alloc', True)])
    if dtype == np.int32:        # (eager's error: max pooling wants floating-point data)
        with pytest.raises(Exception) as got:
            op(*[nd.array(v, dtype=dtype) for v in (x, wt, b)])
        with pytest.raises(Exception) as want:
            nd.Pooling(nd.Activation(nd.Convolution(*[nd.array(v, dtype=dtype) for v in
                                                      (x, wt, b)], kernel=(3, 3), pad=(1, 1),
                                                    num_filter=4), act_type='relu'),
                       kernel=(2, 2), stride=(2, 2), pool_type='max')
        assert type(got.value) is type(want.value)
        return
    head = rng.randn(2, 4, 3, 4).astype(dtype)
    want = _eager(x, wt, b, head, CONVS[0], (True, True, True))
    got = _hybrid(op, x, wt, b, head, (True, True, True))
    for e, g in zip(want, got):
        np.testing.assert_array_equal(_bits(g), _bits(e))


@pytest.mark.parametrize('channels', [1, 16])
def test_a_retained_graph_gives_the_same_gradients_twice(channels):
    rng = np.random.RandomState(8)
    op = CachedOp(_graph(CONVS[0], 4), [('static_alloc', True)])
    args = [nd.array(rng.randn(*s).astype(np.float32))
            for s in ((3, channels, 8, 10), (4, channels, 3, 3), (4,))]
    for a in args:
        a.attach_grad(grad_req='add')
    head = nd.array(rng.randn(3, 4, 4, 5).astype(np.float32))
    with autograd.record():
        y, = op(*args)
    y.backward(head, retain_graph=True)
    first = [a.grad.asnumpy().copy() for a in args]
    y[:] = -1.0                     # (the kept winners, not the output, route the gradient)
    y.backward(head)
    for a, g in zip(args, first):
        assert (g != 0).any()
        np.testing.assert_array_equal(a.grad.asnumpy(), 2 * g)


def test_shape_errors_are_the_convolutions():
    op = CachedOp(_graph(CONVS[0], 4))
    with pytest.raises(Exception) as got:
        op(nd.zeros((2, 3, 8, 8)), nd.zeros((4, 2, 3, 3)), nd.zeros((4,)))
    with pytest.raises(Exception) as want:
        nd.Convolution(nd.zeros((2, 3, 8, 8)), nd.zeros((4, 2, 3, 3)), nd.zeros((4,)),
                       kernel=(3, 3), pad=(1, 1), num_filter=4)
    assert type(got.value) is type(want.value)
    assert 'weight' in str(got.value)


@pytest.mark.parametrize('static', [False, True])
def test_on_gpu_the_step_runs_the_unfused_operators(monkeypatch, static):
    """On a GPU (or the CuPy stand-in, tests/cupy_emulation) the step runs the Convolution and
    the _MaxPoolRelu as the unfused plan does: the same bits, and the pooling's CUDA kernels."""
    pytest.importorskip('cupy')
    from minigluon import context
    if context.num_gpus() == 0:
        pytest.skip('no GPU')
    rng = np.random.RandomState(31)
    values = [rng.randn(*s).astype(np.float32) for s in ((4, 16, 9, 10), (6, 16, 3, 3), (6,))]
    head = rng.randn(4, 6, 4, 5).astype(np.float32)
    fused = CachedOp(_graph(CONVS[0], 6), [('static_alloc', static)])
    assert [s.cls for s in fused._exec_plan] == [ConvMaxPoolRelu]
    with monkeypatch.context() as m:
        _unfused(m)
        plain = CachedOp(_graph(CONVS[0], 6), [('static_alloc', static)])

    def run(op):
        args = [nd.array(v, ctx=context.gpu(0)) for v in values]
        for a in args:
            a.attach_grad()
        with autograd.record():
            y, = op(*args)
        y.backward(nd.array(head, ctx=context.gpu(0)))
        assert y.context == context.gpu(0)
        return [y.asnumpy()] + [a.grad.asnumpy() for a in args]
    for g, r in zip(run(fused), run(plain)):
        np.testing.assert_array_equal(_bits(g), _bits(r))
