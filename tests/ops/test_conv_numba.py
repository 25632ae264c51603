"""Compiled im2col / col2im of the per-image convolution (minigluon/ops/_conv_numba_kernels.py)
against the NumPy passes of ``_Columns.fill`` / ``_Columns.scatter_add``.

Both forms copy the same elements into the columns, and add the same terms in the same order to
each element of the input gradient, so the output and both gradients must agree bit for bit,
non-finite values included: same convolutions, kernels with dilation,
padding smaller, equal to and larger than the kernel, images split into blocks of rows, float32
and float64. A NaN is compared as a NaN, not by its bits: the sign and payload of a NaN made by
``inf - inf`` or carried through an addition are left to the implementation by IEEE 754, and
NumPy 1.26's scatter-add gives some of the input gradient's NaNs the opposite sign to NumPy 2's
(every other value, -0.0 included, is compared bit for bit). Skipped where Numba is not
installed.
"""
import numpy as np
import pytest

pytest.importorskip('numba')

import minigluon as mx  # noqa: E402
from minigluon import autograd  # noqa: E402
from minigluon.ops import _conv_per_image, _numba  # noqa: E402

CASES = [  # data shape, kernel, pad, dilate
    ((3, 16, 6, 7), (3, 3), (1, 1), (1, 1)),      # same size: the shifted fast case
    ((2, 16, 5, 9), (3, 3), (0, 0), (1, 1)),      # valid: the output shrinks, strided boxes
    ((2, 16, 7, 6), (3, 3), (2, 2), (2, 2)),      # dilated same size
    ((1, 16, 4, 4), (3, 3), (3, 2), (1, 1)),      # pad larger than the kernel: padding-only rows
    ((2, 16, 6, 8), (1, 5), (0, 2), (1, 1)),      # a 1 x 5 kernel
    ((2, 16, 3, 3), (5, 5), (1, 1), (1, 1)),      # kernel larger than the image
]


def _nasty(rng, shape, dtype):
    a = rng.standard_normal(shape).astype(dtype)
    a[rng.random(shape) < 0.02] = np.nan
    a[rng.random(shape) < 0.02] = np.inf
    a[rng.random(shape) < 0.05] = -0.0
    return a


def _forward_backward(x, w, gy, k, pd, dl):
    with np.errstate(invalid='ignore', over='ignore'):
        y = _conv_per_image.forward(np, x, w, None, 1, k, (1, 1), dl, pd, gy.shape[2:])
        return (y,) + _conv_per_image.backward(np, gy, x, w, 1, k, (1, 1), dl, pd)


@pytest.mark.parametrize('nasty', [False, True])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('block_bytes', [_conv_per_image.BLOCK_BYTES, 64])
@pytest.mark.parametrize('shape,k,pd,dl', CASES)
def test_compiled_im2col_col2im_equal_numpy_bit_for_bit(monkeypatch, dtype, block_bytes, shape, k, pd,
                                                        dl, nasty):
    """Finite data (every result finite), then NaN, inf and -0.0 in all three inputs."""
    monkeypatch.setattr(_conv_per_image, 'BLOCK_BYTES', block_bytes)    # 64: a block per row
    rng = np.random.default_rng(sum(shape) + sum(k))
    make = _nasty if nasty else (lambda r, sh, dt: r.standard_normal(sh).astype(dt))
    x = make(rng, shape, dtype)
    w = make(rng, (4, shape[1]) + k, dtype)
    out_sp = [s + 2 * p - d * (kk - 1) for s, p, d, kk in zip(shape[2:], pd, dl, k)]
    gy = make(rng, (shape[0], 4) + tuple(out_sp), dtype)
    monkeypatch.setattr(_numba, 'enabled', False)
    want = _forward_backward(x, w, gy, k, pd, dl)
    monkeypatch.setattr(_numba, 'enabled', True)
    got = _forward_backward(x, w, gy, k, pd, dl)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    for o, e in zip(got, want):          # output, input gradient, weight gradient
        assert o.dtype == e.dtype == dtype and o.shape == e.shape
        np.testing.assert_array_equal(np.isnan(o), np.isnan(e))
        number = ~np.isnan(o)
        np.testing.assert_array_equal(o[number].view(bits), e[number].view(bits))
        assert np.isnan(o).any() if nasty else np.isfinite(o).all()   # the case is what it says


@pytest.mark.parametrize('name', ['im2col_stride1_2d', 'col2im_stride1_2d'])
def test_compiled_kernels_are_the_ones_taken_and_not_for_strides(monkeypatch, name):
    kernels = _numba.kernels('_conv_numba_kernels')
    calls = []
    real = getattr(kernels, name)
    monkeypatch.setattr(kernels, name, lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 16, 6, 6)).astype(np.float32), rng.standard_normal((3, 16, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    _conv_per_image.backward(np, gy, x, w, 1, (3, 3), (1, 1), (1, 1), (1, 1))
    assert len(calls) == 2                                   # one per image
    gy2 = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    _conv_per_image.backward(np, gy2, x, w, 1, (3, 3), (2, 2), (1, 1), (1, 1))   # stride 2: NumPy
    assert len(calls) == 2
    monkeypatch.setattr(_numba, 'enabled', False)
    _conv_per_image.backward(np, gy, x, w, 1, (3, 3), (1, 1), (1, 1), (1, 1))
    assert len(calls) == 2


def _conv_and_grads(x, w):
    X, W = mx.nd.array(x, dtype=x.dtype), mx.nd.array(w, dtype=w.dtype)
    X.attach_grad()
    W.attach_grad()
    with autograd.record():
        y = mx.nd.Convolution(X, W, kernel=(3, 3), pad=(1, 1), num_filter=2, no_bias=True)
    y.backward()
    return y.asnumpy(), X.grad.asnumpy(), W.grad.asnumpy()


@pytest.mark.parametrize('dtype', ['>f4', '>f8'])
def test_big_endian_input_falls_back_to_the_numpy_form(monkeypatch, dtype):
    """Numba cannot type big-endian arrays: such a call must take the NumPy passes, not raise
    (a breaker session's find: the dtype check once accepted '>f4')."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 4, 4)).astype(dtype)      # 16 channels: the per-image path
    w = rng.standard_normal((2, 16, 3, 3)).astype(dtype)
    monkeypatch.setattr(_numba, 'enabled', False)
    want = _conv_and_grads(x, w)
    monkeypatch.setattr(_numba, 'enabled', True)
    got = _conv_and_grads(x, w)
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)
        assert np.isfinite(g).all()
