"""The LSTM kernels of minigluon/ops/_rnn_cuda.py (whole loop and per step), checked without a GPU.

The GPU path of ``_rnn_kernels.dir_forward`` / ``dir_backward`` is run with the strict CuPy
stand-in of tests/cupy_emulation as ``xp``: its ``RawKernel`` checks every argument against the
kernel's C signature (dtype, contiguity, int32 scalars) and runs the kernel's plain-C form, built
with the system C compiler. Results must equal the NumPy loop's. Compiling both forms:
tests/ops/test_cuda_forms_compile.py. The real GPU run: tests/ops/test_rnn.py's GPU test and
the operator sweep on gpu(0) (skipped without CuPy).
"""
import shutil

import numpy as np
import pytest

from minigluon.ops import _rnn_cuda
from minigluon.ops._rnn_kernels import dir_backward, dir_forward

CC = shutil.which('cc') or shutil.which('gcc')
pytestmark = pytest.mark.skipif(CC is None, reason='no C compiler for the kernels\' C form')


@pytest.fixture(scope='module')
def fake():
    from cupy_emulation import fakecupy
    return fakecupy


def _case(rng, T, N, I, H, dtype):
    gh = 4 * H
    arrays = dict(x=rng.randn(T, N, I), wx=rng.randn(gh, I) * 0.3, wh=rng.randn(gh, H) * 0.3,
                  bx=rng.randn(gh) * 0.1, bh=rng.randn(gh) * 0.1, h0=rng.randn(N, H),
                  c0=rng.randn(N, H), dout=rng.randn(T, N, H), dhT=rng.randn(N, H),
                  dcT=rng.randn(N, H))
    return {k: v.astype(dtype) for k, v in arrays.items()}


def _record_launches(monkeypatch, skip):
    """The list that every kernel fetched from then on appends its ``_kernel`` arguments to,
    without the first ``skip`` (1: the array module; 2: also the dtype)."""
    launches = []
    real_kernel = _rnn_cuda._kernel
    monkeypatch.setattr(_rnn_cuda, '_kernel', lambda *a: launches.append(a[skip:]) or real_kernel(*a))
    return launches


def _run(xp, to_dev, a):
    d = {k: to_dev(v) for k, v in a.items()}
    out, hT, cT, cache = dir_forward(xp, 'lstm', d['x'], d['wx'], d['wh'], d['bx'], d['bh'],
                                     d['h0'], d['c0'], None, None)
    grads = dir_backward(xp, cache, d['dout'], d['dhT'], d['dcT'], need_x=True)
    return [out, hT, cT] + list(grads)


@pytest.mark.parametrize('form', ['loop', 'step'])
@pytest.mark.parametrize('dtype,T,N,I,H', [(np.float64, 7, 3, 5, 4), (np.float32, 12, 5, 6, 8),
                                           (np.float64, 1, 1, 2, 1), (np.float32, 3, 2, 3, 37)])
def test_fused_kernels_equal_the_numpy_loop(fake, monkeypatch, form, dtype, T, N, I, H):
    """Both GPU forms (the whole time loop in one launch, one launch a step) give the NumPy loop's
    values and gradients; ``H = 37``: gate rows not a whole number of warps."""
    if form == 'step':
        monkeypatch.setattr(_rnn_cuda, 'whole_loop', lambda N, H: False)
    launches = _record_launches(monkeypatch, skip=1)
    a = _case(np.random.RandomState(T * N + H), T, N, I, H, dtype)
    want = _run(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run(fake, fake.asarray, a)]
    names = ['out', 'hT', 'cT', 'dx', 'dwx', 'dwh', 'dbx', 'dbh', 'dh0', 'dc0']
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for name, g, w in zip(names, got, want):
        assert g.dtype == w.dtype, name
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=name)
    dt = np.dtype(dtype)
    if form == 'loop':      # the whole-loop kernels were the ones run
        assert launches == [(dt, 'prep', None), (dt, 'fwd', 'loop'), (dt, 'bwd', 'loop')]
    else:
        assert launches == [(dt, 'prep', None), (dt, 'fwd'), (dt, 'bwd')]


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('H,I', [(1, 1), (5, 3), (37, 70)])
def test_prepared_weights_equal_the_array_form_bit_for_bit(fake, dtype, H, I):
    """One launch gives what dir_forward's array form computes: rows [i, f, g, o] -> [i, f, o, g],
    the sigmoid rows halved, W_h transposed, the biases summed."""
    from minigluon.ops._rnn_kernels import _half_scale
    rng = np.random.RandomState(H + I)
    wx, wh = rng.randn(4 * H, I).astype(dtype), rng.randn(4 * H, H).astype(dtype)
    bx, bh = rng.randn(4 * H).astype(dtype), rng.randn(4 * H).astype(dtype)
    perm = np.concatenate([np.arange(0, 2 * H), np.arange(3 * H, 4 * H), np.arange(2 * H, 3 * H)])
    scale = _half_scale(np, 4 * H, 3 * H, dtype)
    want = (wx[perm] * scale[:, None], np.ascontiguousarray((wh[perm] * scale[:, None]).T),
            (bx + bh)[perm] * scale)
    got = _rnn_cuda.prepared_weights(fake, *(fake.asarray(a) for a in (wx, wh, bx, bh)))
    for g, w in zip(got, want):
        g = fake.asnumpy(g)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_whole_loop_limit():
    """One block's threads cover the 4H gate rows: up to H = 256 (1024 threads); and the
    batch's weight traffic (N * 4H * H per step) is bounded."""
    assert _rnn_cuda.whole_loop(2, 256) and not _rnn_cuda.whole_loop(2, 257)
    # the batch's weight reads bounded: the benchmarks' sizes in, large batches of wide layers out
    assert _rnn_cuda.whole_loop(32, 64) and _rnn_cuda.whole_loop(64, 64)
    assert not _rnn_cuda.whole_loop(256, 256) and not _rnn_cuda.whole_loop(1024, 64)
    assert _rnn_cuda._block(4 * 37) == (160,) and _rnn_cuda._block(1024) == (1024,)


def test_whole_loop_at_its_largest_size(fake):
    """H = 256 (1024 gate rows, the shared arrays' size) against the NumPy loop."""
    a = _case(np.random.RandomState(5), 2, 2, 3, 256, np.float64)
    want = _run(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run(fake, fake.asarray, a)]
    assert sum(w is not None for w in want) == 10
    for g, w in zip(got, want):
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-11)


def test_only_plain_float_lstm_calls_take_the_kernels(fake):
    mask = np.ones((3, 2, 1), dtype=bool)
    assert _rnn_cuda.supported(fake, np.float32, None, None)
    assert not _rnn_cuda.supported(np, np.float32, None, None)          # the CPU keeps its loop
    assert not _rnn_cuda.supported(fake, np.float16, None, None)
    assert not _rnn_cuda.supported(fake, np.float32, mask, None)
    assert not _rnn_cuda.supported(fake, np.float32, None, (-1.0, 1.0, False))


@pytest.mark.parametrize('form', ['loop', 'step'])
def test_saturated_forget_gate_with_a_huge_cell_state_gives_no_nan(fake, monkeypatch, form):
    """Each derivative factor is formed before it multiplies the running gradient, as in the
    NumPy loop: with f == 1 exactly, c0 * f * (1 - f) is 0, while dc * c0 alone would overflow to
    inf and inf * 0 give NaN (the case a breaker session found in the compiled CPU kernels)."""
    if form == 'step':
        monkeypatch.setattr(_rnn_cuda, 'whole_loop', lambda N, H: False)
    a = _case(np.random.RandomState(0), 2, 1, 1, 1, np.float32)
    a.update(wx=np.zeros((4, 1), np.float32), wh=np.zeros((4, 1), np.float32),
             bx=np.array([0, 100, 0, 0], np.float32), bh=np.zeros(4, np.float32),
             c0=np.full((1, 1), 1e30, np.float32), dcT=np.full((1, 1), 1e10, np.float32))
    with np.errstate(all='ignore'):
        want = _run(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run(fake, fake.asarray, a)]
    for g, w in zip(got[3:], want[3:]):       # the gradients
        if w is not None:
            assert np.isfinite(g).all() and np.isfinite(w).all()
            np.testing.assert_allclose(g, w, rtol=2e-5)


@pytest.mark.parametrize('form', ['loop', 'step'])
@pytest.mark.parametrize('T,N', [(0, 3), (4, 0)])
def test_empty_batches_and_sequences(fake, monkeypatch, form, T, N):
    """No time step or no sample: nothing to launch (a GPU refuses a grid of 0 blocks, which the
    stand-in checks), and the NumPy loop's (empty or initial-state) results."""
    if form == 'step':
        monkeypatch.setattr(_rnn_cuda, 'whole_loop', lambda N, H: False)
    a = _case(np.random.RandomState(2), T, N, 3, 5, np.float32)
    want = _run(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run(fake, fake.asarray, a)]
    for g, w in zip(got, want):
        if w is not None:
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)


def _gru_case(rng, T, N, I, H, dtype):
    a = _case(rng, T, N, I, H, dtype)
    gh = 3 * H
    a.update(wx=(rng.randn(gh, I) * 0.3).astype(dtype), wh=(rng.randn(gh, H) * 0.3).astype(dtype),
             bx=(rng.randn(gh) * 0.1).astype(dtype), bh=(rng.randn(gh) * 0.1).astype(dtype))
    del a['c0'], a['dcT']
    return a


def _run_gru(xp, to_dev, a):
    d = {k: to_dev(v) for k, v in a.items()}
    out, hT, _, cache = dir_forward(xp, 'gru', d['x'], d['wx'], d['wh'], d['bx'], d['bh'],
                                    d['h0'], None, None, None)
    grads = dir_backward(xp, cache, d['dout'], d['dhT'], None, need_x=True)
    return [out, hT] + [g for g in grads if g is not None]


@pytest.mark.parametrize('dtype,T,N,I,H', [(np.float64, 7, 3, 5, 4), (np.float32, 12, 5, 6, 8),
                                           (np.float64, 1, 1, 2, 1), (np.float32, 3, 2, 3, 37),
                                           (np.float64, 2, 2, 3, 341)])
def test_gru_whole_loop_equals_the_numpy_loop(fake, monkeypatch, dtype, T, N, I, H):
    """The GRU's time loop in one launch each way gives the NumPy loop's outputs and gradients;
    ``H = 37``: gate rows not a whole number of warps; ``H = 341``: 1023 gate rows, the most."""
    from minigluon.ops import _numba
    monkeypatch.setattr(_numba, 'enabled', False)      # the reference: the NumPy loop itself
    launches = _record_launches(monkeypatch, skip=2)
    a = _gru_case(np.random.RandomState(T * N + H), T, N, I, H, dtype)
    want = _run_gru(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run_gru(fake, fake.asarray, a)]
    names = ['out', 'hT', 'dx', 'dwx', 'dwh', 'dbx', 'dbh', 'dh0']
    assert len(got) == len(want) == len(names)
    tol = 1e-11 if dtype == np.float64 else 2e-5
    for name, g, w in zip(names, got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, name
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=name)
    assert launches == [('fwd', 'loop', 'gru'), ('bwd', 'loop', 'gru')]


def test_gru_whole_loop_limit_and_fallback(fake, monkeypatch):
    """Up to H = 341 (3H <= 1024 threads a block); beyond, and for masked layers, the generic
    loop runs (no GRU kernel launched) and still matches NumPy."""
    assert _rnn_cuda.whole_loop(2, 341, 3) and not _rnn_cuda.whole_loop(2, 342, 3)
    assert _rnn_cuda.whole_loop(32, 64, 3) and not _rnn_cuda.whole_loop(1024, 64, 3)
    monkeypatch.setattr(_rnn_cuda, 'whole_loop', lambda N, H, gates=4: False)
    launches = _record_launches(monkeypatch, skip=2)
    a = _gru_case(np.random.RandomState(4), 4, 3, 2, 5, np.float64)
    want = _run_gru(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run_gru(fake, fake.asarray, a)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    assert launches == []


@pytest.mark.parametrize('T,N', [(0, 3), (4, 0)])
def test_gru_empty_batches_and_sequences(fake, T, N):
    a = _gru_case(np.random.RandomState(2), T, N, 3, 5, np.float32)
    want = _run_gru(np, np.asarray, a)
    got = [fake.asnumpy(g) for g in _run_gru(fake, fake.asarray, a)]
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)
