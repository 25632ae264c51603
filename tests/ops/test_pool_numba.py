"""Compiled 2x2 max pooling (minigluon/ops/_pool_numba_kernels.py) against the NumPy passes.

The two forms must agree bit for bit (up to the sign of a zero): window maxima (ties, NaN, inf), winning
positions and gradients (a non-finite output gradient gives NaN at the losing positions), in
float32 and float64, contiguous or channel-first memory order, odd sizes and padding. Skipped
where Numba is not installed.
"""
import sys

import numpy as np
import pytest

pytest.importorskip('numba')

import minigluon as mx  # noqa: E402
from minigluon import autograd, nd  # noqa: E402
from minigluon.ops import _numba, _parallel, _pool_argmax  # noqa: E402


@pytest.fixture(autouse=True)
def _kernels_on(monkeypatch):
    """The compiled kernels on for every test here, whatever ``MINIGLUON_NUMBA`` says (with it 0
    the tests that fetch the kernels failed on None): the tests compare them with the NumPy
    passes, and switch them off themselves where they need to."""
    monkeypatch.setattr(_numba, 'enabled', True)


def _nasty(rng, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    x[rng.random(shape) < 0.02] = np.nan
    x[rng.random(shape) < 0.1] = 0.0
    x[rng.random(shape) < 0.1] = -0.0
    x[rng.random(shape) < 0.02] = np.inf
    x[rng.random(shape) < 0.02] = -np.inf
    x[rng.random(shape) < 0.1] = 1.5                 # plain ties
    return x


def _pool_grads(x, g, channel_first, **pool):
    """Forward and input gradient of a recorded max Pooling (eager: keeps the winners)."""
    if channel_first:         # the memory order a Convolution hands its Pooling
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    xs = nd.array(x, dtype=x.dtype, ctx=mx.cpu())        # the CPU even under the GPU stand-in
    xs.attach_grad()
    with autograd.record():
        y = nd.Pooling(xs, pool_type='max', **pool)
    y.backward(nd.array(g, dtype=g.dtype, ctx=mx.cpu()))
    return y.asnumpy(), xs.grad.asnumpy()


def _bits(a, any_zero=False):
    """The bit patterns; with ``any_zero``, zeros made +0.0 first (for maxima: when -0.0 and 0.0
    tie, which one NumPy's maximum keeps depends on its SIMD build, x86 or ARM)."""
    if any_zero:
        a = np.where(a == 0, np.zeros_like(a), a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape,pool', [
    ((3, 4, 8, 10), {}),
    ((2, 3, 7, 9), {}),                                     # odd: last row/column in no window
    ((2, 3, 7, 9), {'pooling_convention': 'full'}),         # odd, padded after
    ((2, 3, 6, 6), {'pad': (1, 1)}),
    ((1, 1, 2, 2), {}),
])
@pytest.mark.parametrize('channel_first', [False, True])
def test_compiled_equals_numpy_bit_for_bit(monkeypatch, dtype, shape, pool, channel_first):
    _compare_bit_for_bit(monkeypatch, dtype, shape, dict(kernel=(2, 2), stride=(2, 2), **pool),
                         channel_first)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape,pool', [
    ((2, 3, 11, 12), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),     # ResNet's: overlapping
    ((2, 2, 7, 9), dict(kernel=(3, 2), stride=(1, 2))),                   # overlapping rows only
    ((1, 3, 10, 11), dict(kernel=(2, 3), stride=(3, 3), pooling_convention='full')),  # gaps
    ((2, 2, 5, 5), dict(kernel=(1, 1), stride=(1, 1))),
])
@pytest.mark.parametrize('channel_first', [False, True])
def test_compiled_other_windows_equal_numpy_bit_for_bit(monkeypatch, dtype, shape, pool, channel_first):
    """The general 2-D kernels (argmax_pool_2d, scatter_2d), overlapping windows included: the
    gradient of an element that wins several windows is summed in the NumPy passes' order."""
    calls = []
    kernels = _numba.kernels('_pool_numba_kernels')
    for name in ('argmax_pool_2d', 'scatter_2d'):
        orig = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, _f=orig, _n=name: (calls.append(_n), _f(*a))[1])
    _compare_bit_for_bit(monkeypatch, dtype, shape, pool, channel_first)
    assert set(calls) == {'argmax_pool_2d', 'scatter_2d'}


def _compare_bit_for_bit(monkeypatch, dtype, shape, kw, channel_first):
    rng = np.random.default_rng(sum(shape))
    x = _nasty(rng, shape, dtype)
    monkeypatch.setattr(_numba, 'enabled', False)
    out_shape = nd.Pooling(nd.array(x, dtype=dtype), pool_type='max', **kw).shape
    g = rng.standard_normal(out_shape).astype(dtype)
    g.flat[::5] = np.inf                                    # inf * 0 at the losers: NaN
    g.flat[::7] = -1.0                                      # -1 * 0: -0.0
    with np.errstate(invalid="ignore"):                     # inf * 0 in the NumPy product
        want = _pool_grads(x, g, channel_first, **kw)
    monkeypatch.setattr(_numba, 'enabled', True)
    got = _pool_grads(x, g, channel_first, **kw)
    for i, (w, o) in enumerate(zip(want, got)):
        assert w.dtype == o.dtype == dtype and w.shape == o.shape
        np.testing.assert_array_equal(_bits(o, any_zero=i == 0), _bits(w, any_zero=i == 0))


def test_compiled_kernels_are_the_ones_taken(monkeypatch):
    monkeypatch.setattr(_parallel, '_workers', 1)    # one call each (workers split the images)
    calls = []
    kernels = _numba.kernels('_pool_numba_kernels')
    for name in ('argmax_pool_2x2', 'scatter_2x2'):
        fn = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, _fn=fn, _name=name: (calls.append(_name),
                                                                            _fn(*a))[1])
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 8)).astype(np.float32)
    g = np.ones((2, 3, 3, 4), np.float32)
    _pool_grads(x, g, False, kernel=(2, 2), stride=(2, 2))
    assert calls == ['argmax_pool_2x2', 'scatter_2x2']
    calls.clear()
    for kw in ({'kernel': (3, 3), 'stride': (2, 2)}, {'kernel': (2, 2), 'stride': (1, 1)}):
        _pool_grads(x, np.ones(nd.Pooling(nd.array(x), pool_type='max', **kw).shape, np.float32),
                    False, **kw)
    _pool_grads(x.astype(np.float16), g.astype(np.float16), False, kernel=(2, 2), stride=(2, 2))
    assert calls == []                                      # those keep the NumPy passes


def test_hybridized_static_alloc_equals_numpy(monkeypatch):
    """MaxPool2D in a static_alloc graph (workspace buffers reused across calls)."""
    from minigluon.gluon import nn

    def run(use_compiled):
        monkeypatch.setattr(_numba, 'enabled', use_compiled)
        mx.random.seed(1)
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(4, 3, padding=1, in_channels=2), nn.Activation('relu'),
                    nn.MaxPool2D(), nn.Conv2D(3, 3, padding=1, in_channels=4), nn.MaxPool2D())
        net.initialize(mx.init.Xavier(), ctx=mx.cpu())
        net.hybridize(static_alloc=True, static_shape=True)
        x = nd.array(np.random.default_rng(2).standard_normal((3, 2, 12, 16)).astype(np.float32),
                     ctx=mx.cpu())
        x.attach_grad()
        out = []
        for _ in range(2):
            with autograd.record():
                loss = (net(x) ** 2).sum()
            loss.backward()
            out.append([x.grad.asnumpy()] + [p.grad().asnumpy() for p in net.collect_params().values()])
        return out
    for w_call, g_call in zip(run(False), run(True)):
        for w, g in zip(w_call, g_call):
            np.testing.assert_array_equal(g, w)


def test_switch_and_missing_numba(monkeypatch):
    assert _numba.kernels('_pool_numba_kernels') is not None
    monkeypatch.setattr(_numba, 'enabled', False)
    assert _numba.kernels('_pool_numba_kernels') is None
    monkeypatch.setattr(_numba, 'enabled', True)
    # an environment without Numba: the import fails, the NumPy passes run
    monkeypatch.setattr(_numba, '_modules', {})
    monkeypatch.setitem(sys.modules, 'numba', None)
    monkeypatch.delitem(sys.modules, 'minigluon.ops._pool_numba_kernels', raising=False)
    assert _numba.kernels('_pool_numba_kernels') is None
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
    y, gx = _pool_grads(x, np.ones((1, 1, 2, 2), np.float32), False, kernel=(2, 2), stride=(2, 2))
    np.testing.assert_array_equal(y, x.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)
                                  .max(-1)[None, None])
    assert gx.sum() == 4
    assert _pool_argmax._compiled(np, (2, 2), np.float32) is None


class _BrokenNumbaFinder:
    """``import numba`` raising OSError, as where llvmlite's shared library cannot be loaded or the
    system forbids executable memory (``check_jit_execution``)."""

    def find_spec(self, name, path=None, target=None):
        if name == 'numba':
            raise OSError('Could not find/load shared object file (simulated)')
        return None


def test_numba_import_raising_oserror_falls_back(monkeypatch):
    monkeypatch.setattr(_numba, '_modules', {})
    monkeypatch.delitem(sys.modules, 'numba')
    monkeypatch.delitem(sys.modules, 'minigluon.ops._pool_numba_kernels', raising=False)
    monkeypatch.setattr(sys, 'meta_path', [_BrokenNumbaFinder()] + sys.meta_path)
    assert _numba.kernels('_pool_numba_kernels') is None
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
    y, gx = _pool_grads(x, np.ones((1, 1, 2, 2), np.float32), False, kernel=(2, 2), stride=(2, 2))
    assert y.shape == (1, 1, 2, 2) and gx.sum() == 4


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('kernel,stride', [((3, 3), (2, 2)), ((2, 3), (3, 3))])
def test_compiled_other_windows_with_fused_relu(monkeypatch, dtype, kernel, stride):
    """winning_positions(relu=True) (a relu fused after the pool by the hybridized plan) and its
    scatter: the general kernels give the NumPy passes' maxima, positions and gradient."""
    rng = np.random.default_rng(7)
    x = _nasty(rng, (2, 3, 9, 11), dtype)
    out_sp = [(s - k) // st + 1 for s, k, st in zip(x.shape[2:], kernel, stride)]
    g = rng.standard_normal((2, 3) + tuple(out_sp)).astype(dtype)
    g.flat[::5] = np.inf
    disjoint = all(st >= k for st, k in zip(stride, kernel))
    results = []
    for enabled in (False, True):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        pos, best = _pool_argmax.winning_positions(np, x, kernel, stride, out_sp, x.dtype, None, relu=True)
        gpad = np.zeros_like(x)
        with np.errstate(invalid='ignore'):
            _pool_argmax.scatter_positions(np, pos, kernel, stride, out_sp, g, gpad, disjoint, None)
        results.append((best.copy(), pos.copy(), gpad))
    (b0, p0, g0), (b1, p1, g1) = results
    np.testing.assert_array_equal(_bits(b1, any_zero=True), _bits(b0, any_zero=True))
    np.testing.assert_array_equal(p1, p0)
    assert (p0 == kernel[0] * kernel[1]).any()          # some windows zeroed by the relu
    np.testing.assert_array_equal(_bits(g1), _bits(g0))
