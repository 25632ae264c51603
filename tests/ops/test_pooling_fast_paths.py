"""Max/avg pooling computed per kernel position (the fast path) against a per-window NumPy loop:
ties go to the first maximum in row-major window order, NaN windows to their first NaN, with
overlapping windows, padding and 'full' convention."""
import itertools

import numpy as np
import pytest

from minigluon import autograd, nd


def reference_max_pool(x, k, s, p):
    """Per-window loop: output and the gradient of sum(output * g) for a given g (first max wins)."""
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * p[0], w + 2 * p[1]), -np.inf, dtype=np.float64)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow))
    where = {}
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        win = xp[b, ch, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
        flat = win.ravel()
        idx = int(np.argmax(flat))                # first max; first NaN if any
        out[b, ch, i, j] = flat[idx]
        where[b, ch, i, j] = (i * s[0] + idx // k[1] - p[0], j * s[1] + idx % k[1] - p[1])
    return out, where


@pytest.mark.parametrize('k,s,p', [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)),
                                   ((3, 2), (2, 1), (1, 0)), ((2, 2), (3, 3), (0, 0))])
def test_max_pool_ties_and_overlap(k, s, p):
    rng = np.random.RandomState(0)
    x = rng.randint(0, 3, size=(2, 3, 7, 8)).astype(np.float64)   # many ties
    x[0, 0, 1, 1] = np.nan
    g = rng.rand(*reference_max_pool(x, k, s, p)[0].shape)
    ref_out, where = reference_max_pool(x, k, s, p)
    ref_grad = np.zeros_like(x)
    for (b, ch, i, j), (r, c) in where.items():
        ref_grad[b, ch, r, c] += g[b, ch, i, j]
    xa = nd.array(x, dtype='float64')
    xa.attach_grad()
    with autograd.record():
        y = nd.Pooling(xa, kernel=k, stride=s, pad=p, pool_type='max')
    y.backward(nd.array(g, dtype='float64'))
    np.testing.assert_array_equal(y.asnumpy(), ref_out)
    np.testing.assert_allclose(xa.grad.asnumpy(), ref_grad)


def test_max_pool_gradient_ignores_mutated_output():
    x = nd.array(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    x.attach_grad()
    with autograd.record():
        y = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')
    y.asnumpy()
    y._data[...] = -1.0                           # a later in-place write must not move the gradient
    y.backward()
    expect = np.zeros((4, 4), np.float32)
    expect[1::2, 1::2] = 1
    np.testing.assert_array_equal(x.grad.asnumpy()[0, 0], expect)


def test_avg_pool_matches_window_mean():
    rng = np.random.RandomState(1)
    x = rng.rand(2, 2, 6, 6)
    y = nd.Pooling(nd.array(x, dtype='float64'), kernel=(3, 3), stride=(1, 1), pool_type='avg').asnumpy()
    ref = np.array([[[[x[b, c, i:i + 3, j:j + 3].mean() for j in range(4)] for i in range(4)]
                     for c in range(2)] for b in range(2)])
    np.testing.assert_allclose(y, ref, rtol=1e-12)


@pytest.mark.parametrize('kernel', [(2, 2), (1, 2), (2, 1), (3, 3), (2, 3)])
@pytest.mark.parametrize('layout', ['contiguous', 'channel-first'])
@pytest.mark.parametrize('given_out', [False, True])
def test_tiled_windows_reduce_rows_then_columns_as_the_per_position_loop(kernel, layout, given_out):
    from minigluon.ops.pooling import _window_reduce, _window_slices
    rng = np.random.RandomState(7)
    x = rng.randn(3, 4, 7, 11)                   # odd sizes: the last row/columns stay out
    if layout == 'channel-first':                # a hybridized Convolution's output layout
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    out_sp = (7 // kernel[0], 11 // kernel[1])
    for ufunc in (np.maximum, np.add):
        slices = list(_window_slices(kernel, kernel, out_sp))
        ref = x[slices[0]].copy()
        for sl in slices[1:]:
            ufunc(ref, x[sl], out=ref)
        out = np.full(x.shape[:2] + out_sp, np.nan) if given_out else None
        got = _window_reduce(np, x, kernel, kernel, out_sp, ufunc, out)
        assert got.shape == ref.shape and (out is None or got is out)
        if ufunc is np.maximum:
            np.testing.assert_array_equal(got, ref)    # maxima do not depend on the order
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-13)


@pytest.mark.parametrize('k,s', [((2, 2), (2, 2)), ((3, 3), (1, 1))])
def test_max_pool_all_minus_inf_window(k, s):
    """A window of -inf gives -inf (MXNet 1.9.1: the lowest finite float) and routes its gradient
    to its first element, as any tie."""
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, :3, :3] = -np.inf
    xa = nd.array(x)
    xa.attach_grad()
    with autograd.record():
        y = nd.Pooling(xa, kernel=k, stride=s, pool_type='max')
    y.backward()
    ref_out, where = reference_max_pool(x.astype(np.float64), k, s, (0, 0))
    assert y.asnumpy()[0, 0, 0, 0] == -np.inf
    np.testing.assert_array_equal(y.asnumpy(), ref_out)
    ref_grad = np.zeros((4, 4))
    for (_, _, i, j), (r, c) in where.items():
        ref_grad[r, c] += 1
    np.testing.assert_array_equal(xa.grad.asnumpy()[0, 0], ref_grad)
