"""A max Pooling and the relu over its output run as one plan step (``_MaxPoolRelu``): the pass
that keeps each window's winner also applies the relu and marks the windows it zeroes. Outputs
and gradients must be eager's bit for bit (zero signs of the output aside, as NumPy's maximum
keeps either zero on a tie depending on its SIMD build), whether the winners are kept or not,
with the compiled 2x2 kernel and the NumPy passes, on one or two CPU workers."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.executor_plan import _MaxPoolRelu, _ReluInPlace
from minigluon.ops import _numba, _parallel
from test_executor_pool_argmax import _hybrid   # output and input gradient of a CachedOp call

POOLS = [dict(kernel=(2, 2), stride=(2, 2)),                      # the compiled kernel's case
         dict(kernel=(2, 2), stride=(2, 2), pad=(1, 1)),
         dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1)),          # overlapping: NumPy passes
         dict(kernel=(3, 2), stride=(2, 1))]


def _nasty(rng, shape, dtype):
    """Ties, zeros of both signs, NaN and inf, and whole windows below zero."""
    x = rng.randint(-3, 3, size=shape).astype(dtype)
    x[rng.rand(*shape) < 0.3] -= 0.5
    x[rng.rand(*shape) < 0.05] = -0.0
    x[rng.rand(*shape) < 0.02] = np.nan
    x[rng.rand(*shape) < 0.02] = np.inf
    x[rng.rand(*shape) < 0.02] = -np.inf
    return x


def _head(rng, shape, dtype):
    g = rng.randn(*shape).astype(dtype)
    g.flat[::5] = np.inf          # inf * 0 at the losers and at zeroed windows: NaN
    g.flat[::7] = -1.0            # -1 * 0: -0.0
    return g


def _bits(a, zero_sign=True):
    if not zero_sign:
        a = np.where(a == 0, np.zeros_like(a), a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def _pool_relu_graph(pool, relu_first=False):
    x = sym.var('x')
    if relu_first:                # relu -> pool in the symbol: the plan moves the relu after
        return sym.Pooling(sym.Activation(x, act_type='relu', name='relu'), pool_type='max',
                           name='pool', **pool)
    return sym.Activation(sym.Pooling(x, pool_type='max', name='pool', **pool), act_type='relu',
                          name='relu')


def _eager(x, head, pool, relu_first=False):
    xa = nd.array(x, dtype=x.dtype)
    xa.attach_grad()
    with autograd.record():
        if relu_first:
            y = nd.Pooling(nd.Activation(xa, act_type='relu'), pool_type='max', **pool)
        else:
            y = nd.Activation(nd.Pooling(xa, pool_type='max', **pool), act_type='relu')
    y.backward(nd.array(head, dtype=head.dtype))
    return y.asnumpy(), xa.grad.asnumpy()


def test_pool_and_its_relu_become_one_step():
    for relu_first in (False, True):
        op = CachedOp(_pool_relu_graph(POOLS[0], relu_first))
        assert [s.cls for s in op._exec_plan] == [_MaxPoolRelu]
        assert op._exec_plan[0].argmax_ok
    x = sym.var('x')
    c = sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=4, name='conv')
    # (a 3x3 window: with 2x2 stride-2 windows the Convolution joins the step as well,
    # tests/test_executor_conv_pool_relu.py)
    graph = sym.Pooling(sym.Activation(c, act_type='relu', name='relu'), kernel=(3, 3),
                        stride=(2, 2), pool_type='max', name='pool')
    op = CachedOp(graph)
    assert [s.cls.__name__ for s in op._exec_plan] == ['Convolution', '_MaxPoolRelu']
    assert op._exec_plan[0].layout_free            # still read only by a Pooling


def test_not_fused_when_the_pooled_array_is_read_elsewhere_or_the_pool_is_not_max():
    p = sym.Pooling(sym.var('x'), kernel=(2, 2), stride=(2, 2), pool_type='max', name='pool')
    op = CachedOp(sym.Group([sym.Activation(p, act_type='relu', name='relu'), p]))
    assert [s.cls.__name__ for s in op._exec_plan] == ['Pooling', 'Activation']
    a = sym.Pooling(sym.var('x'), kernel=(2, 2), stride=(2, 2), pool_type='avg', name='pool')
    op = CachedOp(sym.Activation(a, act_type='relu', name='relu'))
    assert [s.cls for s in op._exec_plan][1] is _ReluInPlace
    # a 'full' pooling whose last window can lie wholly in the padding: the relu stays first
    f = sym.Pooling(sym.Activation(sym.var('x'), act_type='relu', name='relu'), kernel=(2, 2),
                    stride=(2, 2), pad=(1, 1), pooling_convention='full', pool_type='max')
    op = CachedOp(f)
    assert [s.cls.__name__ for s in op._exec_plan] == ['Activation', 'Pooling']


@pytest.mark.parametrize('compiled', [False, True])
@pytest.mark.parametrize('workers', [1, 2])
@pytest.mark.parametrize('static', [False, True])
@pytest.mark.parametrize('relu_first', [False, True])
@pytest.mark.parametrize('pool', POOLS)
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_fused_step_equals_eager_bit_for_bit(monkeypatch, dtype, pool, relu_first, static,
                                            workers, compiled):
    if compiled and _numba.kernels('_pool_numba_kernels') is None:
        pytest.skip('Numba is not installed')
    monkeypatch.setattr(_numba, 'enabled', compiled)
    monkeypatch.setattr(_parallel, '_workers', workers)
    rng = np.random.RandomState(len(pool) + 7 * relu_first)
    op = CachedOp(_pool_relu_graph(pool, relu_first), [('static_alloc', static)])
    for _ in range(3):          # later steps reuse the workspace buffers
        x = _nasty(rng, (3, 4, 7, 8), dtype)
        with np.errstate(invalid='ignore'):
            out_shape = nd.Pooling(nd.array(x, dtype=dtype), pool_type='max', **pool).shape
            head = _head(rng, out_shape, dtype)
            want = _eager(x, head, pool, relu_first)
            got = _hybrid(op, x, head)
            plain = op(nd.array(x, dtype=dtype))[0].asnumpy()   # not recorded: relu in place
        # Zero signs of the gradient: exact for pool -> relu. For relu -> pool in the symbol,
        # eager masks the pooling's summed gradient with x > 0 while the plan masks before the
        # scatter, so with overlapping windows a gradient zero's sign may differ (as before fusing)
        exact = not relu_first or all(s >= k for s, k in zip(pool['stride'], pool['kernel']))
        for i, (w, g) in enumerate(zip(want, got)):
            assert w.dtype == g.dtype == dtype
            sign = i == 1 and exact
            np.testing.assert_array_equal(_bits(g, zero_sign=sign), _bits(w, zero_sign=sign))
        np.testing.assert_array_equal(_bits(plain, False), _bits(want[0], False))
        assert np.isnan(got[1]).any() and (got[0] == 0).any()    # the cases were exercised


@pytest.mark.parametrize('relu_first', [False, True])
@pytest.mark.parametrize('static', [False, True])
def test_float16_equals_eager_zero_signs_included(static, relu_first):
    """float16 takes eager's relu (computed in float32: +0.0 for a -0.0 maximum, where NumPy's
    float16 maximum(-0.0, 0) keeps -0.0; found by a breaker session), recorded or not."""
    rng = np.random.RandomState(5)
    op = CachedOp(_pool_relu_graph(POOLS[0], relu_first), [('static_alloc', static)])
    x = _nasty(rng, (2, 3, 6, 8), np.float16)
    x[0, 0, :2, :2] = [[-0.0, -1.0], [-2.0, -3.0]]     # a window whose maximum is -0.0
    head = _head(rng, (2, 3, 3, 4), np.float16)
    with np.errstate(invalid='ignore'):
        want, got = _eager(x, head, POOLS[0], relu_first), _hybrid(op, x, head)
        plain = op(nd.array(x, dtype=np.float16))[0].asnumpy()
    assert not np.signbit(want[0][0, 0, 0, 0])
    for w, g in zip(want, got):
        assert g.dtype == np.float16
        np.testing.assert_array_equal(_bits(g), _bits(w))
    np.testing.assert_array_equal(_bits(plain), _bits(want[0]))


def test_conv_relu_pool_gradients_equal_eager_in_a_static_graph():
    """The captcha pattern: Convolution -> relu -> 2x2 max pool, weights wanting gradients."""
    rng = np.random.RandomState(9)
    x = sym.var('x')
    c = sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=5, name='conv')
    graph = sym.Pooling(sym.Activation(c, act_type='relu', name='relu'), kernel=(2, 2),
                        stride=(2, 2), pool_type='max', name='pool')
    op = CachedOp(graph, [('static_alloc', True)])
    values = [rng.randn(3, 16, 8, 10).astype(np.float32) - 0.3,
              rng.randn(5, 16, 3, 3).astype(np.float32), rng.randn(5).astype(np.float32)]
    head = rng.randn(3, 5, 4, 5).astype(np.float32)

    def run(fn):
        args = [nd.array(v) for v in values]
        for a in args:
            a.attach_grad()
        with autograd.record():
            out = fn(*args)
            out = out[0] if isinstance(out, list) else out
        out.backward(nd.array(head))
        return [out.asnumpy()] + [a.grad.asnumpy() for a in args]

    def eager(x, w, b):
        r = nd.Activation(nd.Convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=5),
                          act_type='relu')
        return nd.Pooling(r, kernel=(2, 2), stride=(2, 2), pool_type='max')
    for _ in range(2):
        for got, want in zip(run(op), run(eager)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('pool', POOLS[:3])
def test_without_kept_winners_the_relu_masks_the_gradient_itself(pool):
    """An instance whose forward keeps no winners (no recorded call asked for them) applies the
    relu in place and masks the gradient in its backward: the same values as eager."""
    rng = np.random.RandomState(11)
    step = CachedOp(_pool_relu_graph(pool))._exec_plan[0]
    op = _MaxPoolRelu._fast(step.state, step.given)
    x = _nasty(rng, (2, 3, 6, 8), np.float32)
    with np.errstate(invalid='ignore'):
        y = op.forward(np, x.copy())
        assert getattr(op, 'argpos', None) is None
        head = _head(rng, y.shape, np.float32)
        gx, = op.backward(np, head)
        want = _eager(x, head, pool)
    np.testing.assert_array_equal(_bits(y, False), _bits(want[0], False))
    np.testing.assert_array_equal(_bits(gx), _bits(want[1]))


@pytest.mark.parametrize('static', [False, True])
def test_a_retained_graph_gives_the_same_gradient_twice(static):
    """The first backward uses up the kept winners; the second recomputes the maxima and must
    still apply the relu's mask (found by tests/reliability/test_graph_fuzz.py)."""
    rng = np.random.RandomState(12)
    op = CachedOp(_pool_relu_graph(dict(kernel=(2, 2), stride=(2, 2)), True),
                  [('static_alloc', static)])
    x = nd.array(rng.randn(2, 3, 6, 8).astype(np.float32))
    x.attach_grad(grad_req='add')
    head = nd.array(rng.randn(2, 3, 3, 4).astype(np.float32))
    with autograd.record():
        y, = op(x)
    y.backward(head, retain_graph=True)
    first = x.grad.asnumpy().copy()
    assert (first == 0).any() and (first != 0).any()
    y.backward(head)
    np.testing.assert_array_equal(x.grad.asnumpy(), 2 * first)


@pytest.mark.parametrize('static', [False, True])
def test_retained_graph_ignores_changes_to_the_output(static):
    """The second backward of a retained graph masks with the recomputed maxima, as eager's relu
    does with the pooled array it saved, not with the output the caller may have overwritten."""
    rng = np.random.RandomState(13)
    pool = dict(kernel=(2, 2), stride=(2, 2))
    x = rng.randn(2, 3, 6, 8).astype(np.float32)
    head = nd.array(rng.randn(2, 3, 3, 4).astype(np.float32))

    def twice(fn):
        xa = nd.array(x)
        xa.attach_grad(grad_req='add')
        with autograd.record():
            y = fn(xa)
            y = y[0] if isinstance(y, list) else y
        y.backward(head, retain_graph=True)
        y[:] = -1.0
        y.backward(head)
        return xa.grad.asnumpy()
    want = twice(lambda a: nd.Activation(nd.Pooling(a, pool_type='max', **pool), act_type='relu'))
    got = twice(CachedOp(_pool_relu_graph(pool), [('static_alloc', static)]))
    np.testing.assert_array_equal(got, want)
    assert (want != 0).any()
