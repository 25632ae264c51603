"""CTC's compiled alpha/beta recursion (minigluon/ops/_ctc_numba_kernels.py) against the NumPy form
and brute force. Skipped where Numba is not installed; elsewhere the other CTC tests run the
compiled form too (it is the default), and these also run the NumPy form with it switched off.
"""
import numpy as np
import pytest

pytest.importorskip('numba')

from ctc_reference import brute_force_nll  # noqa: E402
from minigluon.ops import _numba  # noqa: E402
from minigluon.ops.ctc_kernel import _Problem, _scaled_pass, ctc_loss_and_grad  # noqa: E402


def _problem(rng, T, N, C, L, dtype=np.float64):
    x = (rng.standard_normal((T, N, C)) * 2).astype(dtype)
    lens = rng.integers(0, L + 1, N)
    labels = rng.integers(0, C - 1, (N, L))
    labels[:, 1::3] = labels[:, :-1:3][:, :labels[:, 1::3].shape[1]]     # some repeats
    frames = rng.integers(0, T + 1, N)
    frames[0] = T
    return x, labels, lens, frames


def _both(x, labels, lens, frames, blank, monkeypatch):
    monkeypatch.setattr(_numba, 'enabled', False)
    want = ctc_loss_and_grad(np, x, labels, lens, frames, blank)
    monkeypatch.setattr(_numba, 'enabled', True)
    got = ctc_loss_and_grad(np, x, labels, lens, frames, blank)
    return want, got


@pytest.mark.parametrize('seed', range(6))
def test_compiled_equals_numpy_form(monkeypatch, seed):
    """Variable frames (beta restarts), empty and infeasible labels, repeats; float32 and 64."""
    rng = np.random.default_rng(seed)
    T, N, C, L = [(30, 7, 5, 6), (1, 3, 3, 1), (12, 16, 4, 8), (64, 32, 11, 12), (9, 2, 2, 4),
                  (200, 4, 6, 40)][seed]
    for dtype in (np.float64, np.float32):
        x, labels, lens, frames = _problem(rng, T, N, C, L, dtype)
        (l0, g0), (l1, g1) = _both(x, labels, lens, frames, C - 1, monkeypatch)
        np.testing.assert_array_equal(np.isinf(l1), np.isinf(l0))
        np.testing.assert_allclose(l1, l0, rtol=1e-12, atol=1e-12)
        tol = 1e-12 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(g1, g0, rtol=tol, atol=tol)


@pytest.mark.parametrize('seed', range(3))
def test_scaled_pass_equal_and_nothing_sent_to_the_log_space_path(monkeypatch, seed):
    """The scaled pass itself (the loss tests above would not see a wrong recursion: alpha and
    beta would disagree and the exact log-space path would take over)."""
    rng = np.random.default_rng(10 + seed)
    T, N, C, L = [(30, 7, 5, 6), (64, 32, 11, 12), (150, 4, 6, 30)][seed]
    x, labels, lens, frames = _problem(rng, T, N, C, L)
    lens = np.minimum(lens, frames // 2)           # feasible, even with repeats
    lp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    prob = _Problem(np, labels, lens, frames, C - 1)
    lp_label = np.take_along_axis(lp, np.broadcast_to(prob.lab[None], (T, N, prob.L)), 2)
    lp_label = np.where(prob.lab_valid, lp_label, -1e30)
    out = []
    for enabled in (False, True):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        log_p, gamma, bad = _scaled_pass(np, lp_label, lp[:, :, C - 1], prob)
        out.append((log_p.copy(), gamma.copy(), bad.copy()))
    (p0, g0, b0), (p1, g1, b1) = out
    real = ~prob.dummy                 # (dummies: placeholders whose results are overwritten)
    assert real.sum() >= N // 2
    assert not b0[real].any() and not b1[real].any()
    np.testing.assert_allclose(p1[real], p0[real], rtol=1e-13)
    np.testing.assert_allclose(g1[:, real], g0[:, real], rtol=1e-12, atol=1e-14)


def test_compiled_matches_brute_force(monkeypatch):
    monkeypatch.setattr(_numba, 'enabled', True)
    rng = np.random.default_rng(7)
    T, N, C = 5, 6, 3
    x = rng.standard_normal((T, N, C))
    labels = np.array([[0, 1], [1, 1], [0, 0], [1, 0], [0, 0], [1, 1]])
    lens = np.array([2, 2, 1, 2, 0, 1])
    frames = np.array([5, 5, 4, 3, 5, 2])
    loss, _ = ctc_loss_and_grad(np, x, labels, lens, frames, 2)
    for b in range(N):
        want = brute_force_nll(x[:frames[b], b], list(labels[b, :lens[b]]), 2)
        np.testing.assert_allclose(loss[b], want, rtol=1e-12)


def test_nan_sample_leaves_the_others_alone(monkeypatch):
    """A NaN activation makes its own sample's loss NaN or sends it to the log-space path; the
    other samples' losses and gradients are those of a batch without it."""
    rng = np.random.default_rng(3)
    x, labels, lens, frames = _problem(rng, 20, 5, 4, 5)
    frames[:] = 20
    clean = ctc_loss_and_grad(np, x, labels, lens, frames, 3)
    x[4, 2, 1] = np.nan
    for enabled in (False, True):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        loss, grad = ctc_loss_and_grad(np, x, labels, lens, frames, 3)
        others = [0, 1, 3, 4]
        np.testing.assert_allclose(loss[others], clean[0][others], rtol=1e-12)
        np.testing.assert_allclose(grad[:, others], clean[1][:, others], rtol=1e-12, atol=1e-15)


def test_underflowing_sample_takes_the_log_space_path(monkeypatch):
    """Emissions below exp(-700) underflow the scaled recursion; both forms hand the sample to
    the exact log-space recursion and agree with each other."""
    rng = np.random.default_rng(4)
    x, labels, lens, frames = _problem(rng, 40, 3, 4, 4)
    frames[:] = 40
    lens[:] = 3
    x[:, 1, :] = 0.0
    x[:, 1, 3] = 900.0                   # blank dominates: the labels' log-probabilities < -700
    (l0, g0), (l1, g1) = _both(x, labels, lens, frames, 3, monkeypatch)
    assert np.isfinite(l1).all() and l1[1] > 700
    np.testing.assert_allclose(l1, l0, rtol=1e-12)
    np.testing.assert_allclose(g1, g0, rtol=1e-12, atol=1e-15)


def test_compiled_kernel_is_the_one_taken(monkeypatch):
    monkeypatch.setattr(_numba, 'enabled', True)
    kernels = _numba.kernels('_ctc_numba_kernels')
    calls = []
    fn = kernels.alpha_beta_scaled
    monkeypatch.setattr(kernels, 'alpha_beta_scaled', lambda *a: (calls.append(1), fn(*a))[1])
    x, labels, lens, frames = _problem(np.random.default_rng(0), 10, 3, 4, 3)
    ctc_loss_and_grad(np, x, labels, lens, frames, 3)
    assert calls == [1]
    monkeypatch.setattr(_numba, 'enabled', False)
    ctc_loss_and_grad(np, x, labels, lens, frames, 3)
    assert calls == [1]


@pytest.mark.parametrize('enabled', [False, True])
def test_subnormal_products_go_to_the_log_space_path(monkeypatch, enabled):
    """Emissions above exp(-700) whose product over the frames between renormalisations is
    subnormal: the rounded scaled recursion agreed with itself and returned a wrong loss
    (compiled: 0.0026 too low for the first below; both forms: 744.440 for 744.856 by brute force)."""
    monkeypatch.setattr(_numba, 'enabled', enabled)
    x = np.zeros((8, 1, 2))
    x[:, 0, 0] = 185.0                       # empty label: loss = -sum of blank log-probabilities
    loss, _ = ctc_loss_and_grad(np, x, np.zeros((1, 0), int), np.array([0]), np.array([8]), 1)
    np.testing.assert_allclose(loss, 8 * (185.0 + np.log1p(np.exp(-185.0))), rtol=1e-14)
    x = np.array([[190.93903, -261.85568, 164.2437, -479.83707],
                  [85.84993, 739.3492, 29.901596, 175.70155],
                  [361.12787, 134.53285, 369.82983, 343.1226],
                  [-298.74075, -201.12758, -228.11061, 88.70494],
                  [-128.10098, 26.39975, 17.403873, -290.10574]])
    loss, _ = ctc_loss_and_grad(np, x[:, None], np.array([[0, 0]]), np.array([2]), np.array([5]), 3)
    np.testing.assert_allclose(loss[0], brute_force_nll(x, [0, 0], 3), rtol=1e-12)


@pytest.mark.parametrize('enabled', [False, True])
def test_zero_probability_sample_does_not_slow_the_next_batches(monkeypatch, enabled):
    """The work buffers are reused: the NaN that a p = 0 sample leaves in A's zero columns must
    not send that sample (compiled) or the whole batch (NumPy form, sample 0) of every later
    batch of the same shape to the log-space path."""
    import minigluon.ops.ctc_kernel as ck
    monkeypatch.setattr(_numba, 'enabled', enabled)
    rng = np.random.default_rng(0)
    T, N, C = 50, 4, 5
    labels, lens, frames = rng.integers(0, C - 1, (N, 3)), np.full(N, 3), np.full(N, T)
    x = rng.standard_normal((T, N, C))
    want = ctc_loss_and_grad(np, x, labels, lens, frames, C - 1)
    redone = []
    solve = ck._solve_log_space
    monkeypatch.setattr(ck, '_solve_log_space', lambda *a: (redone.append(a[4].N), solve(*a))[1])
    for b in (0, 2):
        poisoned = x.copy()
        poisoned[:, b, :C - 1] = -np.inf                 # the label has probability 0
        assert ctc_loss_and_grad(np, poisoned, labels, lens, frames, C - 1)[0][b] == np.inf
        redone.clear()
        loss, grad = ctc_loss_and_grad(np, x, labels, lens, frames, C - 1)
        assert redone == []
        np.testing.assert_array_equal(loss, want[0])
        np.testing.assert_array_equal(grad, want[1])


@pytest.mark.parametrize('enabled', [False, True])
def test_sample_impossible_at_frame_0_is_the_only_one_redone(monkeypatch, enabled):
    """Blank and first label impossible at frame 0 for one sample: its alpha starts at 0 and it
    alone goes to the log-space path (a 0/0 renormalisation used to spread NaN through the NumPy
    form's zero columns to the samples after it)."""
    monkeypatch.setattr(_numba, 'enabled', enabled)
    T, N, C = 12, 4, 4
    x = np.random.default_rng(0).standard_normal((T, N, C))
    x[0, 1, :] = 0.0
    x[0, 1, 3] = x[0, 1, 1] = -1e4                 # sample 1, label [1, 2], blank 3
    labels, lens, frames = np.array([[0, 1], [1, 2], [2, 0], [0, 2]]), np.full(N, 2), np.full(N, T)
    lp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    prob = _Problem(np, labels, lens, frames, C - 1)
    lp_label = np.where(prob.lab_valid,
                        np.take_along_axis(lp, np.broadcast_to(prob.lab[None], (T, N, 2)), 2), -1e30)
    _, _, bad = _scaled_pass(np, lp_label, lp[:, :, C - 1], prob)
    np.testing.assert_array_equal(bad, [False, True, False, False])
    loss, _ = ctc_loss_and_grad(np, x, labels, lens, frames, C - 1)
    assert np.isfinite(loss).all() and loss[1] > 1e4      # exact in log space: ~exp(-1e4)
