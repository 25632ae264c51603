"""The CUDA CTC kernels (minigluon/ops/ctc_cuda.py), checked without a GPU.

Their source compiles as plain C too (a "parallel for" becomes a sequential loop, a block-wide
reduction the value itself, a barrier nothing). Here the whole CuPy branch of
``ctc_loss_and_grad`` runs through the CuPy stand-in (tests/cupy_emulation), which checks every
kernel argument against the kernel's C signature and the launch geometry against CUDA's limits,
then runs the C form: it must agree with the NumPy implementation and with brute-force path
enumeration. Both forms are compiled with warnings as errors in
tests/ops/test_cuda_forms_compile.py (the CUDA form where ``nvcc`` is). The real GPU runs are
tests/ops/test_ctc.py::test_numpy_and_cupy_agree and ::test_cuda_kernel_edge_cases_match_cpu
(skipped without CuPy and a device).
"""
import shutil

import numpy as np
import pytest

from cupy_emulation import fakecupy as fake
from minigluon.ops import ctc_cuda, ctc_kernel
from minigluon.ops.ctc_kernel import _Problem, ctc_loss_and_grad
from ctc_reference import brute_force_nll

CC = shutil.which('cc') or shutil.which('gcc')
pytestmark = pytest.mark.skipif(CC is None, reason='no C compiler (the stand-in builds the C form)')


def run_c(x, labels, label_len, frames, blank, zero_infinity=False):
    """Loss and gradient (NumPy arrays) through the CuPy branch of ``ctc_loss_and_grad``: the
    kernels' C form, launched exactly as on a GPU."""
    loss, grad = ctc_loss_and_grad(fake, fake.asarray(x), labels, label_len, frames, blank,
                                   zero_infinity=zero_infinity)
    assert isinstance(loss, fake.ndarray) and isinstance(grad, fake.ndarray)
    return fake.asnumpy(loss), fake.asnumpy(grad)


def random_case(rng, T, N, C, L, blank):
    x = rng.randn(T, N, C) * 2
    label_len = rng.randint(0, L + 1, size=N)
    labels = np.zeros((N, max(L, 1)), dtype=np.int64)
    classes = [c for c in range(C) if c != blank]
    for b in range(N):
        labels[b, :label_len[b]] = rng.choice(classes, size=label_len[b])
    frames = rng.randint(0, T + 1, size=N)
    return x, labels, label_len, frames


@pytest.mark.parametrize('seed', range(6))
def test_c_form_matches_brute_force(seed):
    rng = np.random.RandomState(seed)
    T, C = rng.randint(1, 6), rng.randint(2, 5)
    blank = C - 1 if seed % 2 else 0
    x, labels, label_len, frames = random_case(rng, T, 3, C, 3, blank)
    frames[:] = T
    loss, _ = run_c(x, labels, label_len, frames, blank)
    prob = _Problem(np, labels, label_len, frames, blank)
    for b in range(3):
        if not prob.feasible[b]:
            assert loss[b] == np.inf
            continue
        want = brute_force_nll(x[:, b], labels[b, :label_len[b]].tolist(), blank)
        np.testing.assert_allclose(loss[b], want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('shape', [(7, 4, 5, 3), (30, 6, 8, 6), (60, 3, 4, 12), (1, 2, 3, 1),
                                   (5, 3, 40, 2)])
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_c_form_matches_numpy_path(shape, dtype):
    """Loss and full gradient equal to the NumPy implementation, with lengths, repeats, short
    frame counts, empty labels and infeasible samples mixed; the gradient in the input's type."""
    T, N, C, L = shape
    rng = np.random.RandomState(T * N)
    x, labels, label_len, frames = random_case(rng, T, N, C, L, C - 1)
    labels[:, 1::2] = labels[:, ::2][:, :labels[:, 1::2].shape[1]]        # force repeated labels
    x = x.astype(dtype)
    loss_c, grad_c = run_c(x, labels, label_len, frames, C - 1)
    loss_np, grad_np = ctc_loss_and_grad(np, x, labels, label_len, frames, C - 1)
    assert grad_c.dtype == grad_np.dtype == dtype and loss_c.dtype == np.float64
    tol = 1e-9 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(loss_c, loss_np, rtol=tol, atol=tol)     # inf where impossible
    np.testing.assert_allclose(grad_c, grad_np, rtol=tol * 100, atol=tol)
    for b in np.nonzero(frames < T)[0]:
        assert not grad_c[frames[b]:, b].any()


def test_c_form_impossible_samples_and_zero_infinity():
    """Infeasible (too few frames), zero-probability (-inf activations), empty-label and
    zero-frame samples: inf (0 with zero_infinity) and zero gradients, inside the kernels."""
    rng = np.random.RandomState(5)
    x = rng.randn(4, 5, 3)
    x[:, 1, 0] = -np.inf                          # sample 1's label (class 0) can never be emitted
    labels = np.array([[0, 0, 0], [0, 1, 0], [1, 1, 1], [0, 0, 0], [1, 0, 0]])
    label_len = np.array([3, 1, 0, 0, 2])
    frames = np.array([4, 4, 4, 0, 0])            # sample 0: "0 0 0" needs 5 frames
    for zero_inf in (False, True):
        loss, grad = run_c(x, labels, label_len, frames, 2, zero_infinity=zero_inf)
        want, want_grad = ctc_loss_and_grad(np, x, labels, label_len, frames, 2, zero_infinity=zero_inf)
        impossible = [0, 1, 4]
        assert (loss[impossible] == (0.0 if zero_inf else np.inf)).all()
        assert not grad[:, impossible].any() and not grad[:, 3].any()
        assert loss[3] == 0.0
        np.testing.assert_allclose(loss, want, rtol=1e-10)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12)


def test_c_form_is_finite_for_large_activations():
    """Saturated posteriors (activations of magnitude 1e4) stay finite in the log-space kernels."""
    rng = np.random.RandomState(3)
    x = rng.randn(20, 4, 6) * 1e4
    labels = rng.randint(0, 5, size=(4, 5))
    loss, grad = run_c(x, labels, np.full(4, 5), np.full(4, 20), 5)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(grad.sum(2), 0, atol=1e-9)    # softmax and occupancy both sum to 1


def test_nan_stays_in_its_sample():
    rng = np.random.RandomState(2)
    x = rng.randn(6, 3, 4)
    labels = np.array([[0, 1], [1, 2], [2, 0]])
    clean, _ = run_c(x, labels, np.array([2, 2, 1]), np.full(3, 6), 3)
    x[2, 1, 0] = np.nan
    dirty, grad = run_c(x, labels, np.array([2, 2, 1]), np.full(3, 6), 3)
    assert np.isnan(dirty[1]) and np.isnan(grad[:, 1]).all()
    np.testing.assert_array_equal(dirty[[0, 2]], clean[[0, 2]])


@pytest.mark.parametrize('where', [(2, 1, 0), (0, 1, 3), (3, 1, 2), (5, 1, 1), (1, 0, 0)])
@pytest.mark.parametrize('blank', [0, 3])
def test_a_nan_sample_gradient_is_nan_as_on_the_cpu(where, blank):
    """A NaN activation in a used frame makes the sample's loss NaN and every class of every used
    frame of its gradient NaN, on both paths (the kernel used to leave the classes off the label
    path finite, the softmax there: so does MXNet 1.9.1 on the CPU, with another pattern, by
    structural zeros of its occupancy sums); frames past the sample's length keep a zero gradient,
    a NaN in one of them changes nothing, and the other samples are exact."""
    rng = np.random.RandomState(3)
    x = rng.randn(6, 3, 4)
    labels = np.array([[1, 2], [2, 1], [1, 1]]) if blank == 0 else np.array([[0, 1], [1, 2], [2, 2]])
    label_len, frames = np.array([2, 2, 1]), np.array([6, 4, 5])
    x[where] = np.nan
    loss, grad = run_c(x, labels, label_len, frames, blank)
    want_loss, want_grad = ctc_loss_and_grad(np, x, labels, label_len, frames, blank)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-12, equal_nan=True)
    b, used = where[1], where[0] < frames[where[1]]
    assert np.isnan(loss[b]) == used
    assert np.isnan(grad[:frames[b], b]).all() == used and not np.isnan(grad[frames[b]:, b]).any()
    assert not grad[frames[b]:, b].any()
    assert np.isfinite(np.delete(loss, b)).all() and np.isfinite(np.delete(grad, b, axis=1)).all()


@pytest.mark.parametrize('seed', range(4))
def test_problem_table_links_each_class_in_label_order(seed):
    """Row layout, and the class links: following a head's links visits exactly the positions
    of its class, in increasing order; every class of the label has one head."""
    rng = np.random.RandomState(seed)
    N, L = 5, 9
    labels = rng.randint(0, 3, size=(N, L))
    label_len = rng.randint(0, L + 1, size=N)
    frames = np.full(N, 30)
    frames[0] = 2                                  # infeasible when its label is long
    prob = _Problem(np, labels, label_len, frames, 3)
    table = ctc_cuda.problem_table(prob)
    assert table.dtype == np.int32 and table.shape == (N, 3 + 3 * prob.L)
    for b in range(N):
        n_frames, length, impossible = table[b, :3]
        lab, link, head = (table[b, 3 + k * prob.L:3 + (k + 1) * prob.L] for k in range(3))
        assert n_frames == frames[b] and impossible == (not prob.feasible[b])
        assert length == (label_len[b] if prob.feasible[b] else 0)
        seen = []
        for j in np.nonzero(head[:length])[0]:
            chain, i = [], j
            while i >= 0:
                chain.append(i)
                i = link[i]
            assert chain == [k for k in range(length) if lab[k] == lab[j]]
            seen += chain
        assert sorted(seen) == list(range(length))
        assert list(lab[:length]) == list(labels[b, :length])


def test_the_gpu_path_copies_once_to_the_device_and_never_back(monkeypatch):
    """Of the host's data only the problem table is copied to the device (each copy from host
    memory waits for the GPU's queued work; _Problem's device arrays are the NumPy path's), and
    nothing is copied back: the CTC step never waits for the GPU."""
    made, uploads = [], []

    class Spy(ctc_kernel._Problem):
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)
    monkeypatch.setattr(ctc_kernel, '_Problem', Spy)
    rng = np.random.RandomState(0)
    x = fake.asarray(rng.randn(6, 3, 5).astype(np.float32))
    labels = np.array([[1, 2, 0], [3, 3, 0], [4, 0, 0]])
    label_len, frames = np.array([2, 2, 1]), np.array([6, 5, 6])
    real_asarray = fake.asarray

    def asarray(a, *args, **kwargs):
        if not isinstance(a, fake.ndarray):
            uploads.append(np.asarray(a).shape)
        return real_asarray(a, *args, **kwargs)

    def no_download(*args, **kwargs):
        raise AssertionError('the CTC step copied device data to the host')
    monkeypatch.setattr(fake, 'asarray', asarray)
    monkeypatch.setattr(fake.ndarray, 'get', no_download)
    monkeypatch.setattr(fake, 'asnumpy', no_download)
    loss, grad = ctc_loss_and_grad(fake, x, labels, label_len, frames, 0)
    assert uploads == [(3, 3 + 3 * 2)]
    assert not [k for k in vars(made.pop()) if k.startswith('d_')]
