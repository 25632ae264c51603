"""The CUDA 2x2 max-pooling kernels (minigluon/ops/_pool_cuda.py), checked without a GPU.

``winning_positions`` / ``scatter_positions`` of minigluon/ops/_pool_argmax.py run with the strict
CuPy stand-in of tests/cupy_emulation as ``xp``: its ``RawKernel`` checks every argument against
the kernel's C signature and runs the kernel's plain-C form. Maxima, winning positions and
gradients must equal the NumPy passes' bit for bit (maxima up to the sign of a tied zero, as in
tests/ops/test_pool_numba.py), NaN, infinities, ties and a fused relu included, for image-first
and channel-first memory orders and odd sizes. Compiling both forms: tests/ops/test_cuda_forms_compile.py.
"""
import shutil

import numpy as np
import pytest

from minigluon.ops import _numba, _pool_argmax, _pool_cuda

CC = shutil.which('cc') or shutil.which('gcc')
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler for the kernels' C form")
K, S = (2, 2), (2, 2)


@pytest.fixture(scope='module')
def fake():
    from cupy_emulation import fakecupy
    return fakecupy


def _nasty(rng, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    for value, share in ((np.nan, 0.03), (0.0, 0.1), (-0.0, 0.1), (np.inf, 0.02),
                         (-np.inf, 0.02), (1.5, 0.1)):
        x[rng.random(shape) < share] = value
    return x


def _layout(xp, a, channel_first):
    """``a`` on ``xp``, in the channel-first memory order when asked ((C, N, H, W) seen as
    (N, C, H, W), what a hybridized Convolution hands its Pooling)."""
    if not channel_first:
        return xp.asarray(np.ascontiguousarray(a))
    return xp.asarray(np.ascontiguousarray(a.transpose(1, 0, 2, 3))).transpose(1, 0, 2, 3)


def _bits(a, any_zero=False):
    if any_zero:
        a = np.where(a == 0, np.zeros_like(a), a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _pool(xp, x, g, relu, channel_first):
    out_sp = (x.shape[2] // 2, x.shape[3] // 2)
    xd = _layout(xp, x, channel_first)
    pos, best = _pool_argmax.winning_positions(xp, xd, K, S, out_sp, x.dtype, None, relu=relu)
    gpad = _layout(xp, np.zeros_like(x), channel_first)
    _pool_argmax.scatter_positions(xp, pos, K, S, out_sp, xp.asarray(g), gpad, True, None)
    return [np.asarray(a.get() if hasattr(a, 'get') else a) for a in (best, pos, gpad)]


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape', [(3, 4, 8, 10), (2, 3, 7, 9), (1, 1, 2, 2)])
@pytest.mark.parametrize('relu', [False, True])
@pytest.mark.parametrize('channel_first', [False, True])
def test_kernels_equal_the_numpy_passes_bit_for_bit(fake, monkeypatch, dtype, shape, relu,
                                                    channel_first):
    rng = np.random.default_rng(sum(shape) + relu)
    x = _nasty(rng, shape, dtype)
    g = rng.standard_normal((shape[0], shape[1], shape[2] // 2, shape[3] // 2)).astype(dtype)
    g.flat[::5] = np.inf                    # inf * 0 at the losers: NaN
    g.flat[::7] = -1.0                      # -1 * 0: -0.0
    monkeypatch.setattr(_numba, 'enabled', False)
    with np.errstate(invalid='ignore'):
        want = _pool(np, x, g, relu, channel_first)
    launches = []
    real = _pool_cuda._launch
    monkeypatch.setattr(_pool_cuda, '_launch', lambda *a: launches.append(a[1]) or real(*a))
    got = _pool(fake, x, g, relu, channel_first)
    assert launches == ['argmax_pool_2x2', 'scatter_2x2']
    for i, (w, o) in enumerate(zip(want, got)):
        assert w.dtype == o.dtype and w.shape == o.shape
        if w.dtype == np.uint8:
            np.testing.assert_array_equal(o, w)
        else:
            np.testing.assert_array_equal(_bits(o, any_zero=i == 0), _bits(w, any_zero=i == 0))


def test_only_2x2_stride_2_float_windows_on_a_gpu(fake):
    assert _pool_cuda.supported(fake, (2, 2), (2, 2), np.float32)
    assert not _pool_cuda.supported(np, (2, 2), (2, 2), np.float32)
    assert not _pool_cuda.supported(fake, (3, 3), (2, 2), np.float32)
    assert not _pool_cuda.supported(fake, (2, 2), (1, 1), np.float64)
    assert not _pool_cuda.supported(fake, (2, 2), (2, 2), np.float16)


def test_planes_of_both_memory_orders_and_neither(fake):
    a = np.zeros((2, 3, 4, 6), dtype=np.float32)
    base, sn, sc = _pool_cuda.planes(_layout(fake, a, False))
    assert base.shape == (2, 3, 4, 6) and (sn, sc) == (72, 24)
    base, sn, sc = _pool_cuda.planes(_layout(fake, a, True))
    assert base.shape == (3, 2, 4, 6) and (sn, sc) == (24, 48)
    assert _pool_cuda.planes(fake.asarray(a).transpose(0, 1, 3, 2)) is None


def test_a_gradient_buffer_without_contiguous_planes_takes_the_array_form(fake, monkeypatch):
    monkeypatch.setattr(_pool_cuda, 'scatter_2x2', lambda *a: pytest.fail('kernel used'))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    pos, _ = _pool_argmax.winning_positions(fake, fake.asarray(x), K, S, (2, 3), x.dtype, None)
    gpad = fake.zeros((2, 3, 6, 4), dtype=np.float32).transpose(0, 1, 3, 2)
    g = rng.standard_normal((2, 3, 2, 3)).astype(np.float32)
    _pool_argmax.scatter_positions(fake, pos, K, S, (2, 3), fake.asarray(g), gpad, True, None)
    want = np.zeros_like(x)
    p = pos.get()
    for k in range(4):
        want[:, :, k // 2::2, k % 2::2] = g * (p == k)
    np.testing.assert_array_equal(gpad.get(), want)


def test_an_empty_batch(fake):
    x = np.zeros((0, 3, 4, 6), np.float32)
    got = _pool(fake, x, np.zeros((0, 3, 2, 3), np.float32), True, False)
    assert [a.shape for a in got] == [(0, 3, 2, 3), (0, 3, 2, 3), (0, 3, 4, 6)]
