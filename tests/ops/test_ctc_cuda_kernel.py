"""The CUDA CTC kernel (minigluon/ops/ctc_cuda.py), checked without a GPU.

Its source compiles as plain C too (a "parallel for" becomes a sequential loop, a barrier nothing):
the C form, built here with the system C compiler and called through ctypes, must agree with the
NumPy implementation and with brute-force path enumeration. Both forms are compiled with
warnings as errors in tests/ops/test_cuda_forms_compile.py (the CUDA form where ``nvcc`` is).
The real GPU run is tests/ops/test_ctc.py::test_numpy_and_cupy_agree (skipped without CuPy).
"""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from minigluon.ops import ctc_cuda
from minigluon.ops.ctc_kernel import _Problem, ctc_loss_and_grad
from ctc_reference import brute_force_nll, log_softmax

CC = shutil.which('cc') or shutil.which('gcc')
needs_cc = pytest.mark.skipif(CC is None, reason='no C compiler')


@pytest.fixture(scope='module')
def c_kernel(tmp_path_factory):
    """The kernel's C form as a ctypes function."""
    d = tmp_path_factory.mktemp('ctc_c')
    src, lib = d / 'ctc.c', d / 'libctc.so'
    src.write_text(ctc_cuda.KERNEL_SOURCE)
    subprocess.run([CC, '-O2', '-shared', '-fPIC', '-std=c99', '-Wall', '-Werror', '-o', str(lib),
                    str(src), '-lm'], check=True, capture_output=True)
    fn = ctypes.CDLL(str(lib)).ctc_log_space
    fn.restype = None
    return fn


def run_c(fn, x, labels, label_len, frames, blank):
    """Loss and gradient through the C form, prepared exactly as the CuPy path prepares them."""
    T, N, C = x.shape
    prob = _Problem(np, labels, label_len, frames, blank)
    ext, slen, fr = ctc_cuda.problem_arrays(prob)
    skip = prob.skip
    logp = np.ascontiguousarray(np.maximum(log_softmax(x.astype(np.float64)), ctc_cuda.NEG))  # -inf
    S = prob.S
    alpha, beta = np.empty((N, T, S)), np.empty((N, T, S))
    loglik, grad = np.empty(N), np.empty((T, N, C))

    def ptr(a, kind):
        return a.ctypes.data_as(ctypes.POINTER(kind))
    i32 = ctypes.c_int
    fn(ptr(logp, ctypes.c_double), ptr(ext, i32), ptr(skip, ctypes.c_double), ptr(slen, i32),
       ptr(fr, i32), i32(T), i32(N), i32(C), i32(S), ptr(alpha, ctypes.c_double),
       ptr(beta, ctypes.c_double), ptr(loglik, ctypes.c_double), ptr(grad, ctypes.c_double))
    return -loglik, grad, prob


def random_case(rng, T, N, C, L, blank):
    x = rng.randn(T, N, C) * 2
    label_len = rng.randint(0, L + 1, size=N)
    labels = np.zeros((N, max(L, 1)), dtype=np.int64)
    classes = [c for c in range(C) if c != blank]
    for b in range(N):
        labels[b, :label_len[b]] = rng.choice(classes, size=label_len[b])
    frames = rng.randint(0, T + 1, size=N)
    return x, labels, label_len, frames


@needs_cc
@pytest.mark.parametrize('seed', range(6))
def test_c_form_matches_brute_force(c_kernel, seed):
    rng = np.random.RandomState(seed)
    T, C = rng.randint(1, 6), rng.randint(2, 5)
    blank = C - 1 if seed % 2 else 0
    x, labels, label_len, frames = random_case(rng, T, 3, C, 3, blank)
    frames[:] = T
    loss, _, prob = run_c(c_kernel, x, labels, label_len, frames, blank)
    for b in range(3):
        if not prob.feasible[b]:
            continue        # computed as an empty label; the caller overwrites it with +inf
        want = brute_force_nll(x[:, b], labels[b, :label_len[b]].tolist(), blank)
        np.testing.assert_allclose(loss[b], want, rtol=1e-10, atol=1e-10)


@needs_cc
@pytest.mark.parametrize('shape', [(7, 4, 5, 3), (30, 6, 8, 6), (60, 3, 4, 12), (1, 2, 3, 1)])
def test_c_form_matches_numpy_path(c_kernel, shape):
    """Loss and full gradient equal to the NumPy implementation (both paths' tail handling of
    infeasible samples applied by hand), with lengths, repeats and short frame counts mixed."""
    T, N, C, L = shape
    rng = np.random.RandomState(T * N)
    x, labels, label_len, frames = random_case(rng, T, N, C, L, C - 1)
    labels[:, 1::2] = labels[:, ::2][:, :labels[:, 1::2].shape[1]]        # force repeated labels
    loss_c, grad_c, prob = run_c(c_kernel, x, labels, label_len, frames, C - 1)
    loss_np, grad_np, feasible = ctc_loss_and_grad(np, x, labels, label_len, frames, C - 1)
    ok = feasible & (frames > 0)
    np.testing.assert_allclose(np.maximum(loss_c[ok], 0), loss_np[ok], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad_c[:, ok], grad_np[:, ok], rtol=1e-7, atol=1e-9)
    for b in np.nonzero(frames < T)[0]:
        assert not grad_c[frames[b]:, b].any()


@needs_cc
def test_c_form_is_finite_for_large_activations(c_kernel):
    """Saturated posteriors (activations of magnitude 1e4) stay finite in the log-space kernel."""
    rng = np.random.RandomState(3)
    x = rng.randn(20, 4, 6) * 1e4
    labels = rng.randint(0, 5, size=(4, 5))
    loss, grad, _ = run_c(c_kernel, x, labels, np.full(4, 5), np.full(4, 20), 5)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(grad.sum(2), 0, atol=1e-9)    # softmax and occupancy both sum to 1


def test_the_gpu_path_uploads_only_the_skip_mask(monkeypatch):
    """Through the CuPy stand-in: the CUDA path's result equals NumPy's, and of the problem's
    device arrays only the skip mask (the kernel's input) is copied to the device; each copy from
    host memory would wait for the GPU's queued work."""
    from cupy_emulation import fakecupy as fake
    from minigluon.ops import ctc_kernel
    made = []

    class Spy(ctc_kernel._Problem):
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)
    monkeypatch.setattr(ctc_kernel, '_Problem', Spy)
    rng = np.random.RandomState(0)
    x = rng.randn(6, 3, 5).astype(np.float32)
    labels = np.array([[1, 2, 0], [3, 3, 0], [4, 0, 0]])
    label_len, frames = np.array([2, 2, 1]), np.array([6, 5, 6])
    want = ctc_kernel.ctc_loss_and_grad(np, x, labels, label_len, frames, 0)
    assert {'d_mask', 'd_skip'} <= set(vars(made.pop()))       # the host path's device arrays
    got = ctc_kernel.ctc_loss_and_grad(fake, fake.asarray(x), labels, label_len, frames, 0)
    assert [k for k in vars(made.pop()) if k.startswith('d_')] == ['d_skip']
    np.testing.assert_allclose(fake.asnumpy(got[0]), want[0], rtol=1e-5)
    np.testing.assert_allclose(fake.asnumpy(got[1]), want[1], rtol=1e-5, atol=1e-6)
