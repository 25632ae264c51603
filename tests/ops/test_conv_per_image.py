"""Tests of minigluon.ops._conv_per_image (the Convolution path for C / num_group >= 16): the
textbook loop reference of test_conv, numerical gradients in float64, the shifted fast case and
the strided box case, images split into blocks of rows."""
import numpy as np
import pytest

from minigluon import nd
from minigluon.ops import _conv_per_image
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops.test_conv import conv_ref

CASES = [  # data shape, kernel, stride, pad, dilate, groups, filters
    ((2, 16, 6, 7), (3, 3), (1, 1), (1, 1), (1, 1), 1, 3),        # same conv: shifted rows
    ((1, 32, 7, 6), (3, 3), (1, 1), (2, 2), (2, 2), 2, 4),        # dilated same conv, groups
    ((2, 16, 9), (3,), (1,), (1,), (1,), 1, 2),                   # 1-D
    ((1, 16, 4, 5, 3), (3, 3, 3), (1, 1, 1), (0, 1, 1), (1, 1, 1), 1, 2),  # 3-D, first axis shrinks
    ((2, 16, 7, 6), (3, 3), (2, 1), (1, 0), (1, 2), 1, 3),        # strided boxes
    ((1, 16, 4, 4), (3, 3), (1, 1), (3, 2), (1, 1), 1, 2),        # pad larger than the kernel
    ((2, 32, 5, 6), (1, 1), (1, 1), (0, 0), (1, 1), 2, 4),        # pointwise: the image is the columns
    ((2, 16, 7), (1,), (1,), (0,), (3,), 1, 3),                   # pointwise 1-D, dilation ignored
    ((1, 16, 6, 5), (1, 1), (2, 2), (0, 0), (1, 1), 1, 3),        # strided 1x1: a real copy
]


def _out_sp(shape, k, st, pd, dl):
    return [(s + 2 * p - d * (kk - 1) - 1) // t + 1 for s, p, d, kk, t in zip(shape[2:], pd, dl, k, st)]


@pytest.mark.parametrize('block_bytes', [_conv_per_image.BLOCK_BYTES, 64])
@pytest.mark.parametrize('shape,k,st,pd,dl,g,f', CASES)
def test_kernels_match_the_loop_reference_and_are_adjoint(monkeypatch, block_bytes, shape, k, st, pd, dl, g, f):
    monkeypatch.setattr(_conv_per_image, 'BLOCK_BYTES', block_bytes)   # 64: one output row per block
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(*shape), rng.randn(f, shape[1] // g, *k), rng.randn(f)
    y = _conv_per_image.forward(np, x, w, b, g, k, st, dl, pd, _out_sp(shape, k, st, pd, dl))
    assert_almost_equal(y, conv_ref(x, w, b, st, pd, dl, g), rtol=1e-12, atol=1e-12)
    # backward is the adjoint: <conv(x, w), gy> is bilinear, so its derivatives are exact
    gy = rng.randn(*y.shape)
    gx, gw = _conv_per_image.backward(np, gy, x, w, g, k, st, dl, pd)
    dx, dw = rng.randn(*x.shape), rng.randn(*w.shape)
    zero = np.zeros(f)
    assert np.isclose((conv_ref(dx, w, zero, st, pd, dl, g) * gy).sum(), (gx * dx).sum(), rtol=1e-10)
    assert np.isclose((conv_ref(x, dw, zero, st, pd, dl, g) * gy).sum(), (gw * dw).sum(), rtol=1e-10)


def test_convolution_op_uses_it_with_numerical_gradient():
    rng = np.random.RandomState(1)
    x, w, b = rng.randn(1, 16, 4, 5), rng.randn(2, 16, 3, 3), rng.randn(2)
    kw = dict(kernel=(3, 3), pad=(1, 1), num_filter=2)
    out = nd.Convolution(nd.array(x, dtype='float64'), nd.array(w, dtype='float64'),
                         nd.array(b, dtype='float64'), **kw)
    assert_almost_equal(out, conv_ref(x, w, b, (1, 1), (1, 1), (1, 1), 1), rtol=1e-10, atol=1e-10)
    check_gradient(lambda a, ww, bb: nd.Convolution(a, ww, bb, **kw), [x, w, b])


def test_float32_in_float32_out_and_non_contiguous_gradient():
    rng = np.random.RandomState(2)
    x = rng.randn(2, 16, 5, 5).astype(np.float32)
    w = rng.randn(4, 16, 3, 3).astype(np.float32)
    y = _conv_per_image.forward(np, x, w, None, 1, (3, 3), (1, 1), (1, 1), (1, 1), (5, 5))
    assert y.dtype == np.float32
    gy = np.broadcast_to(np.float32(1), y.shape)       # stride-0 head gradient, as ones_like may give
    gx, gw = _conv_per_image.backward(np, gy, x, w, 1, (3, 3), (1, 1), (1, 1), (1, 1))
    gx64, gw64 = _conv_per_image.backward(np, np.ones(y.shape), x.astype(np.float64), w.astype(np.float64),
                                          1, (3, 3), (1, 1), (1, 1), (1, 1))
    assert gx.dtype == gw.dtype == np.float32
    assert_almost_equal(gx, gx64, rtol=1e-4, atol=1e-4)
    assert_almost_equal(gw, gw64, rtol=1e-4, atol=1e-4)
