"""Tests of minigluon.ops._conv_depthwise (Convolution with one input channel per group): both
forms (compiled and NumPy) against test_conv's textbook loop reference, their gradients as the
adjoint of the reference and against numerical differentiation, odd shapes, depth multipliers,
stride, dilation, padding, 1-D and 3-D, float16/float32/float64, batches of 0 and 1."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ops import _conv_depthwise, _numba, _parallel
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops.test_conv import conv_ref

CASES = [  # data shape, kernel, stride, pad, dilate, filters (a multiple of the channels)
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1), 3),         # MobileNet's same conv, odd sizes
    ((1, 4, 9, 8), (3, 3), (2, 2), (1, 1), (1, 1), 4),         # stride 2
    ((2, 2, 9, 7), (3, 2), (1, 2), (2, 0), (2, 1), 6),         # dilation, mixed stride, multiplier 3
    ((1, 5, 4, 5), (5, 5), (1, 1), (4, 3), (1, 1), 5),         # pad nearly the kernel, small image
    ((3, 2, 6, 6), (1, 1), (3, 2), (0, 0), (1, 1), 4),         # 1x1, large stride, multiplier 2
    ((2, 3, 11), (3,), (2,), (1,), (2,), 3),                   # 1-D (NumPy form)
    ((1, 2, 4, 5, 3), (2, 3, 2), (1, 2, 1), (1, 1, 0), (1, 1, 2), 2),   # 3-D (NumPy form)
]


def _out_sp(shape, k, st, pd, dl):
    return [(s + 2 * p - d * (kk - 1) - 1) // t + 1 for s, p, d, kk, t in zip(shape[2:], pd, dl, k, st)]


@pytest.fixture(params=['compiled', 'numpy'])
def form(request, monkeypatch):
    """Each test runs with the compiled kernels (where Numba is installed) and with them off."""
    if request.param == 'numpy':
        monkeypatch.setattr(_numba, 'enabled', False)
    elif _numba.kernels('_conv_depthwise_numba_kernels') is None:
        pytest.skip('Numba is not installed')
    return request.param


@pytest.mark.parametrize('shape,k,st,pd,dl,f', CASES)
def test_matches_the_loop_reference_and_is_its_adjoint(form, shape, k, st, pd, dl, f):
    rng = np.random.RandomState(0)
    c = shape[1]
    x, w, b = rng.randn(*shape), rng.randn(f, 1, *k), rng.randn(f)
    y = _conv_depthwise.forward(np, x, w, b, k, st, dl, pd, _out_sp(shape, k, st, pd, dl))
    assert_almost_equal(y, conv_ref(x, w, b, st, pd, dl, c), rtol=1e-12, atol=1e-12)
    # backward is the adjoint: <conv(x, w), gy> is bilinear, so its derivatives are exact
    gy = rng.randn(*y.shape)
    gx, gw = _conv_depthwise.backward(np, gy, x, w, k, st, dl, pd)
    dx, dw = rng.randn(*x.shape), rng.randn(*w.shape)
    zero = np.zeros(f)
    assert np.isclose((conv_ref(dx, w, zero, st, pd, dl, c) * gy).sum(), (gx * dx).sum(), rtol=1e-10)
    assert np.isclose((conv_ref(x, dw, zero, st, pd, dl, c) * gy).sum(), (gw * dw).sum(), rtol=1e-10)
    only_x = _conv_depthwise.backward(np, gy, x, w, k, st, dl, pd, need_w=False)
    only_w = _conv_depthwise.backward(np, gy, x, w, k, st, dl, pd, need_x=False)
    assert only_x[1] is None and only_w[0] is None
    assert_almost_equal(only_x[0], gx, rtol=0, atol=0)
    assert_almost_equal(only_w[1], gw, rtol=0, atol=0)


@pytest.mark.parametrize('shape,k,st,pd,dl,f', [CASES[0], CASES[2], CASES[5]])
def test_convolution_op_takes_it_with_numerical_gradient(form, shape, k, st, pd, dl, f):
    rng = np.random.RandomState(1)
    c = shape[1]
    x, w, b = rng.randn(*shape), rng.randn(f, 1, *k), rng.randn(f)
    kw = dict(kernel=k, stride=st, pad=pd, dilate=dl, num_group=c, num_filter=f)
    check_gradient(lambda a, ww, bb: nd.Convolution(a, ww, bb, **kw), [x, w, b])


@pytest.mark.parametrize('dtype,tol', [('float16', 2e-2), ('float32', 1e-4), ('float64', 1e-12)])
def test_dtypes_and_workers(form, dtype, tol):
    """Each dtype in, the same dtype out, near the float64 reference; two CPU workers give the
    same values as one (the weight gradient is summed per chunk of images in a fixed order)."""
    rng = np.random.RandomState(2)
    x, w = rng.uniform(-1, 1, (9, 4, 6, 5)), rng.uniform(-1, 1, (8, 1, 3, 3))
    kw = dict(kernel=(3, 3), pad=(1, 1), num_group=4, num_filter=8, no_bias=True)
    gy = rng.uniform(-1, 1, (9, 8, 6, 5))
    results = []
    for workers in (1, 2):
        old = _parallel.set_workers(workers)
        try:
            xs, ws = nd.array(x, dtype=dtype), nd.array(w, dtype=dtype)
            xs.attach_grad()
            ws.attach_grad()
            with autograd.record():
                y = nd.Convolution(xs, ws, **kw)
            y.backward(nd.array(gy, dtype=dtype))
        finally:
            _parallel.set_workers(old)
        assert y.dtype == xs.grad.dtype == ws.grad.dtype == np.dtype(dtype)
        results.append([y.asnumpy(), xs.grad.asnumpy(), ws.grad.asnumpy()])
    ref = conv_ref(x, w, np.zeros(8), (1, 1), (1, 1), (1, 1), 4)
    assert_almost_equal(results[0][0], ref, rtol=tol, atol=tol)
    gx, gw = _conv_depthwise.backward(np, gy, x, w, (3, 3), (1, 1), (1, 1), (1, 1))
    assert_almost_equal(results[0][1], gx, rtol=tol, atol=tol)
    assert_almost_equal(results[0][2], gw, rtol=tol, atol=tol * 10)   # sums of 270 products
    for one, two in zip(*results):
        assert np.array_equal(one, two)


@pytest.mark.parametrize('n', [0, 1])
def test_batches_of_zero_and_one(form, n):
    rng = np.random.RandomState(3)
    x, w = rng.randn(n, 3, 5, 5), rng.randn(3, 1, 3, 3)
    xs, ws = nd.array(x, dtype='float64'), nd.array(w, dtype='float64')
    xs.attach_grad()
    ws.attach_grad()
    with autograd.record():
        y = nd.Convolution(xs, ws, kernel=(3, 3), num_group=3, num_filter=3, no_bias=True)
    y.backward()
    assert y.shape == (n, 3, 3, 3) and xs.grad.shape == x.shape
    if n:                                     # (the loop reference cannot reshape an empty batch)
        assert_almost_equal(y, conv_ref(x, w, np.zeros(3), (1, 1), (0, 0), (1, 1), 3), rtol=1e-12,
                            atol=1e-12)
    # d sum(y) / d w[c, 0, a, b] = sum of the input pixels that position (a, b) reads
    want = np.stack([x[:, :, a:a + 3, b:b + 3].sum(axis=(0, 2, 3)) for a in range(3) for b in range(3)], 1)
    assert_almost_equal(ws.grad, want.reshape(3, 1, 3, 3), rtol=1e-12, atol=1e-12)


def test_only_one_channel_per_group_takes_it():
    assert _conv_depthwise.applies(32, 32)
    assert not _conv_depthwise.applies(32, 16)      # two channels per group: the general paths
    assert not _conv_depthwise.applies(1, 1)        # one channel, one group: an ordinary conv


@pytest.mark.parametrize('bad', [np.inf, np.nan])
def test_a_non_finite_value_reaches_only_the_gradients_whose_products_hold_it(form, bad):
    """An inf or NaN in the input (the weight) makes NaN or inf only the weight (data) gradient
    entries that are sums of products with it, as MXNet's gradients: the compiled kernels, whose
    rows also run over scratch columns (multiplied by a zero gradient), must not spread
    0 * inf = NaN to the others (reviewer20: the weight gradient of kernel column 0 was NaN for an
    inf in the image's last column, which that column reads for no output)."""
    rng = np.random.RandomState(4)
    x, w, gy = rng.randn(2, 3, 6, 6), rng.randn(3, 1, 3, 3), rng.randn(2, 3, 4, 4)
    x[:, 1, 2, 5] = bad          # the last column (no padding): kernel column 0 never reads it
    w[2, 0, 1, 1] = bad          # the centre: it never reads the image's border
    want_x, want_w = np.zeros_like(x), np.zeros_like(w)
    with np.errstate(invalid='ignore'):
        gx, gw = _conv_depthwise.backward(np, gy, x, w, (3, 3), (1, 1), (1, 1), (0, 0))
        for a in range(3):       # each entry: the sum of the products that hold it
            for b in range(3):
                window = x[:, :, a:a + 4, b:b + 4]
                want_w[:, 0, a, b] = (gy * window).sum(axis=(0, 2, 3))
                want_x[:, :, a:a + 4, b:b + 4] += gy * w[None, :, 0, a, b, None, None]
    assert np.isfinite(want_w[1, 0, :, 0]).all() and not np.isfinite(want_w[1]).all()
    assert np.isfinite(want_x[:, 2, 0]).all() and not np.isfinite(want_x[:, 2]).all()
    np.testing.assert_allclose(gw, want_w, rtol=1e-12, atol=1e-12)      # (NaN where NaN)
    np.testing.assert_allclose(gx, want_x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('bad', ['data', 'weight', 'head'])
@pytest.mark.parametrize('need', [(True, False), (False, True)])
@pytest.mark.parametrize('bad_value', [np.inf, np.nan])
def test_one_gradient_with_a_non_finite_value_is_the_numpy_forms(form, bad, need, bad_value):
    """Only the data's (or the weight's) gradient asked for, with an inf or NaN in the image, the
    weight or the head gradient, stride 2 and padding 1 (phase planes with zero padding): the
    gradient is the NumPy form's with both asked for (the compiled form re-runs a non-finite one
    in NumPy, for that gradient alone) and the other is None (reviewer20b)."""
    rng = np.random.RandomState(9)
    x, w, gy = rng.randn(2, 3, 7, 6), rng.randn(6, 1, 3, 3), rng.randn(2, 6, 4, 3)
    # an image value read by kernel column 2 only; a weight tap that never reaches the image's
    # even rows (the compiled loops also multiply such values by the zeros around the phase
    # planes: 0 * inf is NaN)
    array, where = {'data': (x, (1, 0, 2, 5)), 'weight': (w, (1, 0, 0, 0)),
                    'head': (gy, (1, 0, 2, 1))}[bad]
    array[where] = bad_value
    geo = ((3, 3), (2, 2), (1, 1), (1, 1))
    with np.errstate(invalid='ignore', over='ignore'):
        got = _conv_depthwise.backward(np, gy, x, w, *geo, need_x=need[0], need_w=need[1])
        want = _conv_depthwise._backward_numpy(np, gy, x, w, *geo, True, True)
    for g, wnt, asked in zip(got, want, need):
        if not asked:
            assert g is None
            continue
        np.testing.assert_allclose(g, wnt, rtol=1e-12, atol=1e-12)      # (NaN where NaN)


@pytest.mark.parametrize('bad', ['data', 'weight'])
def test_grad_req_add_with_a_non_finite_value(form, bad):
    """grad_req='add' on both inputs over two backward passes, an inf in one: the sums of two
    passes of the NumPy form's gradients, added to what the buffers held (reviewer20b)."""
    rng = np.random.RandomState(10)
    x, w, gy = rng.randn(2, 3, 6, 5), rng.randn(6, 1, 3, 3), rng.randn(2, 6, 3, 3)
    if bad == 'data':
        x[0, 1, 2, 4] = np.inf       # read by kernel column 1 only
    else:
        w[4, 0, 0, 0] = np.inf       # never reaches the image's even rows
    X, W = nd.array(x, dtype='float64'), nd.array(w, dtype='float64')
    X.attach_grad('add')
    W.attach_grad('add')
    X.grad[:] = 0.5
    W.grad[:] = 0.25
    with np.errstate(invalid='ignore', over='ignore'):
        for _ in range(2):
            with autograd.record():
                y = nd.Convolution(X, W, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=6,
                                   num_group=3, no_bias=True)
            y.backward(nd.array(gy, dtype='float64'))
        wx, ww = _conv_depthwise._backward_numpy(np, gy, x, w, (3, 3), (2, 2), (1, 1), (1, 1),
                                                 True, True)
        np.testing.assert_allclose(X.grad.asnumpy(), 0.5 + wx + wx, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(W.grad.asnumpy(), 0.25 + ww + ww, rtol=1e-12, atol=1e-12)
