"""The CTC computation behind the ``CTCLoss`` operator (:mod:`minigluon.ops.ctc`): NumPy or CuPy.

Loss and gradient for a batch, vectorised over the batch and the ``S = 2L+1`` extended label
positions (blank, l1, blank, l2, ..., blank), with one Python loop over time for alpha and one
for beta:

* Fast path: the rescaled recursions in probability space (Graves et al. 2006, section 4.1, after
  Rabiner 1989), float64, alpha and beta renormalised every few frames. No logarithm inside the
  loop.
* A sample is recomputed by the log-space recursion (Graves 2012, "Supervised Sequence Labelling
  with RNNs", section 7.3.1, which prefers it for robustness), with a finite sentinel for log 0,
  exact for any finite input, when the fast path may have lost precision: its emissions underflow
  (a log-probability below -700); alpha's or beta's sums came near the subnormal range between
  renormalisations (:func:`_logs`); or alpha and beta disagree about ``p(l|x)`` at some frame (a
  sign that probability mass was flushed to zero).
* The gradient with respect to the activations is ``softmax - occupancy`` (Graves et al. 2006,
  eq. 16); occupancies are alpha*beta normalised per frame, summed per class.

On a GPU (``xp`` is CuPy) a Python loop over time would cost a kernel launch per array call per
frame; :mod:`minigluon.ops.ctc_cuda` runs the log-softmax, the exact log-space recursions and the
gradient of the whole batch in three CUDA kernels instead, impossible samples included, and only
the host-side description of the batch (:class:`_Problem`) is shared.
"""
import functools
import threading

import numpy as np

from minigluon.ops import _numba

_NEG = -1e30            # finite stand-in for log(0) in the log-space recursion
_UNDERFLOW = -700.0     # emissions with a smaller log-probability would lose precision in float64
_IMPOSSIBLE = -1e29     # a log p(l|x) below this reached the sentinel: the label has probability 0
_workspace = threading.local()


_RUNNING = {'max': np.maximum, 'any': np.logical_or}


def to_host(a):
    """``a`` as a NumPy array: a device array (CuPy's, or the tests' CuPy stand-in: anything with
    CuPy's ``get()``) is copied to the host."""
    return np.asarray(a.get() if hasattr(a, 'get') else a)


def _reduce_last(xp, a, how):
    """``a.max(-1)`` or ``a.any(-1)`` (``how``). On NumPy, with a short last axis (the classes or
    label positions of a batch, at most 64) it runs as a running ``maximum`` / ``logical_or``
    over the slices: NumPy's reduction over a short contiguous axis costs ~150 us for a
    (64, 32, 11) batch, the slices ~20 us. Both reductions are exact: the same values either way
    (NaN propagates through ``maximum`` as through ``max``, though not always with the same sign
    bit: NumPy's ``max`` may return ``+nan`` where the running ``maximum`` keeps an input's
    ``-nan``)."""
    if xp is not np or not 1 <= a.shape[-1] <= 64:
        return getattr(a, how)(axis=-1)
    out = a[..., 0].copy()
    for i in range(1, a.shape[-1]):
        _RUNNING[how](out, a[..., i], out=out)
    return out


def _buffers(xp, shape):
    """Reusable float64 work arrays (alpha/gamma and emissions) for one problem size.

    Both are (T, N, 2+S): two always-zero columns before each sample's states, so that shifted
    slices of a whole frame never mix samples (see :func:`_alpha_beta_scaled`).
    """
    key = (xp.__name__, shape)
    cached = getattr(_workspace, 'entry', None)
    if cached is None or cached[0] != key:
        cached = (key, xp.zeros(shape, dtype=np.float64), xp.zeros(shape, dtype=np.float64))
        _workspace.entry = cached
    return cached[1], cached[2]


class _Problem:
    """Host-side description of a batch: label layout, lengths and transition masks (NumPy).

    With ``N`` samples, ``L`` the longest label and ``S = 2L+1`` extended states (blank, l1,
    blank, l2, ..., blank; state ``2j+1`` holds label position ``j``):

    * ``lab (N, L)`` int64: the labels, 0 past each length; ``lab_valid (N, L)``: the real label
      positions (none for a dummy sample);
    * ``frames (N,)``: usable frames; ``feasible (N,)``: an alignment fits them (the label length
      plus its repeated neighbours, which need a blank between them, is at most ``frames``);
    * ``dummy (N,)``: computed as an empty label and overwritten by the caller: impossible
      samples (loss ``+inf``) and samples without frames; ``free_from (N,)``: the frame from
      which a sample emits probability 1 (its ``frames``; 0 for a dummy), so that frames past
      a sample's end change nothing;
    * ``state_mask (N, S)``: 1 on the states a sample uses (``2 * length + 1``);
    * ``skip (N, S)``: 1 where state ``s`` may be entered from ``s - 2`` (a label that differs
      from the previous one); ``back_skip``: the same seen from ``s - 2`` (for beta);
    * ``final (N, S)``: 1 on the two states a path may end in.
    """

    def __init__(self, xp, labels, label_len, frames, blank):
        n = len(label_len)
        self.N, self.blank = n, blank
        self.frames = frames                                       # usable frames per sample
        self.L = int(label_len.max()) if n else 0
        L, S = self.L, 2 * self.L + 1
        self.S = S
        lab = np.zeros((n, L), dtype=np.int64)
        j = np.arange(L)
        valid = j[None, :] < label_len[:, None]
        lab[valid] = labels[:, :L][valid]
        same = np.zeros((n, L), dtype=bool)
        same[:, 1:] = (lab[:, 1:] == lab[:, :-1]) & valid[:, 1:]
        repeats = same.sum(1)
        self.feasible = label_len + repeats <= frames
        self.dummy = ~self.feasible | (frames == 0)     # computed as a harmless empty label, then overwritten
        eff_len = np.where(self.dummy, 0, label_len)
        self.free_from = np.where(self.dummy, 0, frames)  # frames from here on emit 1 (ignored)
        states = 2 * eff_len + 1
        s = np.arange(S)
        self.state_mask = (s[None, :] < states[:, None]).astype(np.float64)
        skip = np.zeros((n, S))
        skip[:, 3::2] = ~same[:, 1:] & (j[None, 1:] < eff_len[:, None])
        back_skip = np.zeros((n, S))
        back_skip[:, :-2] = skip[:, 2:]
        final = np.zeros((n, S))
        final[np.arange(n), states - 1] = 1.0
        final[np.arange(n)[states > 1], (states - 2)[states > 1]] = 1.0
        self.lab, self.lab_valid = lab, valid & ~self.dummy[:, None]
        self.skip, self.back_skip, self.final = skip, back_skip, final
        self.xp = xp

    # Device copies, made on first use (the array-call path's; the CUDA kernels read a table of
    # their own, ctc_cuda.problem_table): on a GPU each copy from host memory waits for the work
    # already queued.
    d_mask = functools.cached_property(lambda self: self.xp.asarray(self.state_mask))
    d_skip = functools.cached_property(lambda self: self.xp.asarray(self.skip))
    d_back_skip = functools.cached_property(lambda self: self.xp.asarray(self.back_skip))
    d_final = functools.cached_property(lambda self: self.xp.asarray(self.final))


def _beta_restarts(prob, T):
    """Where each sample's beta recursion starts: its last usable frame ``frames - 1``, or -1 for
    a sample whose beta starts at the batch's last frame ``T - 1`` like the recursion itself (it
    uses every frame) or that has no recursion (no frames, a dummy). Returns ``(restart_at,
    by_frame)``: the (N,) int64 array, and a dict frame -> list of the samples restarting there
    (beta is set to the final states at that frame while the recursion walks back over it)."""
    restart_at = np.where((prob.frames > 0) & (prob.frames < T) & ~prob.dummy,
                          prob.frames - 1, -1).astype(np.int64)
    by_frame = {}
    for b in np.nonzero(restart_at >= 0)[0]:
        by_frame.setdefault(int(restart_at[b]), []).append(int(b))
    return restart_at, by_frame


def _emissions(xp, lp_label, lp_blank, prob, out, log_space):
    """Fill ``out`` (T, N, S) with per-state emissions (probabilities, or log-probabilities)."""
    if log_space:
        out[..., 0::2] = lp_blank[..., None]
        out[..., 1::2] = lp_label
        free = xp.where(prob.d_mask > 0, 0.0, _NEG)
        out[...] = xp.where(prob.d_mask > 0, out, _NEG)
    else:      # label slots past a row's end hold _NEG (exp -> 0), which keeps alpha and beta inside
        xp.exp(lp_blank, out=out[..., 0])
        out[..., 2::2] = out[..., :1]
        xp.exp(lp_label, out=out[..., 1::2])
        free = prob.d_mask
    for b in np.nonzero(prob.free_from < out.shape[0])[0]:
        out[prob.free_from[b]:, b] = free[b]
    return out


def _alpha_beta_scaled(xp, E, A, prob, every=4):
    """Scaled alpha and beta recursions; leaves alpha*beta (unnormalised gamma) in ``A``.

    ``E`` and ``A`` are (T, N, W) with ``W = 2+S``: columns 0 and 1 of each sample are zero
    emissions. A frame is then handled as one flat vector of ``N*W`` values, and the shifts by one
    and two states are flat slices: the zero columns keep samples apart, and every array call is
    a single contiguous loop. Alpha and beta are renormalised to sum 1 every ``every`` frames
    (emissions are at most 1, so in between they can only shrink; an underflow shows up as p = 0 or
    as an alpha/beta disagreement and sends the sample to the log-space path). ``every`` trades
    the array calls of a renormalisation (a matmul and a division) against how far the sums may
    shrink in between; 4 was set with ``bench/bench_ctc.py``.

    Returns ``(log_z, log_c, log_d)``: per frame and sample, log sum_s alpha*beta and the log
    normalisers of alpha and beta (0 on frames not renormalised); ``log_z`` is NaN for samples
    that lost precision in the subnormal range (:func:`_logs`). With Numba installed, NumPy
    arrays take :func:`minigluon.ops._ctc_numba_kernels.alpha_beta_scaled` instead (the same
    recursions per sample in one compiled call).
    """
    T, N, W = E.shape
    restart_at, restart = _beta_restarts(prob, T)
    compiled = _numba.kernels('_ctc_numba_kernels') if xp is np else None
    if compiled is not None:     # NumPy with Numba: both recursions in one compiled call
        c, d = np.ones((T, N)), np.ones((T, N))
        compiled.alpha_beta_scaled(E, A, prob.d_skip, prob.d_back_skip, prob.d_final,
                                   restart_at, every, c, d)
        return _logs(xp, A, c, d, prob)
    A[1:, 0, :2] = 0.0     # reused buffer (stale NaN); the other zero columns are rewritten below
    xp.nan_to_num(E, copy=False, nan=0.0)    # a NaN input must not leak into other samples
    M = N * W
    pad = xp.zeros((N, 2))
    skip = xp.concatenate([pad, prob.d_skip], 1).reshape(M)[2:]
    back_skip = xp.concatenate([pad, prob.d_back_skip], 1).reshape(M)
    init = xp.concatenate([pad, prob.d_final], 1)
    ones = xp.ones(W)
    c = xp.ones((T, N))
    d = xp.ones((T, N))
    tmp = xp.empty(M)
    A[0, :, 2:4] = E[0, :, 2:4]
    xp.matmul(A[0], ones, out=c[0])
    c[0][c[0] == 0] = 1.0        # a sample impossible from frame 0 stays 0 (a 0/0 would spread)
    A[0] /= c[0][:, None]
    flat_a, flat_e = A.reshape(T, M), E.reshape(T, M)
    for t in range(1, T):                    # alpha: 4 array calls per frame (+2 to renormalise)
        prev, cur = flat_a[t - 1], flat_a[t, 2:]
        xp.add(prev[2:], prev[1:-1], out=cur)
        xp.multiply(prev[:-2], skip, out=tmp[2:])
        cur += tmp[2:]
        cur *= flat_e[t, 2:]
        if t % every == 0:
            frame = A[t]
            xp.matmul(frame, ones, out=c[t])
            c[t][c[t] == 0] = 1.0            # an underflowed sample stays 0 (and is redone)
            frame /= c[t][:, None]
    beta = init.reshape(M).copy()
    beta2 = beta.reshape(N, W)
    w = xp.zeros(M + 2)
    flat_a[T - 1] *= beta
    for t in range(T - 2, -1, -1):           # beta (without the emission at t): 5 array calls
        xp.multiply(beta, flat_e[t + 1], out=w[:M])
        xp.add(w[:M], w[1:M + 1], out=beta)
        xp.multiply(w[2:], back_skip, out=tmp)
        beta += tmp
        if t % every == 0:
            xp.matmul(beta2, ones, out=d[t])
            d[t][d[t] == 0] = 1.0
            beta2 /= d[t][:, None]
        rows = restart.get(t)
        if rows is not None:
            beta2[rows] = init[rows]
            d[t, rows] = 1.0
        flat_a[t] *= beta
    return _logs(xp, A, c, d, prob)


def _logs(xp, A, c, d, prob, tiny=2.0 ** -960):
    """``(log_z, log_c, log_d)`` of :func:`_alpha_beta_scaled`, with ``log_z`` NaN for every
    frame of a sample that must be redone in log space: one whose alpha or beta sums came near
    the subnormal range between renormalisations (``c`` or ``d`` below ``tiny``: float64
    subnormals start at 2**-1022, and ``tiny`` = 2**-960 flags sums that got within 2**62 of
    them, where the next products may already have lost digits), or whose alpha*beta did at a
    frame it uses. A product of a few emissions, each above exp(-700), can get there; the
    rounded subnormals then agree with themselves, so the alpha/beta check of
    :func:`_scaled_pass` would not see the lost precision (losses off by up to 0.4 were found)."""
    T = A.shape[0]
    with np.errstate(divide='ignore', invalid='ignore'):
        log_z, log_c, log_d = xp.log(A.sum(2)), xp.log(c), xp.log(d)
    used = xp.asarray(np.arange(T)[:, None] < prob.frames[None, :])
    log_z[:, ((c < tiny) | (d < tiny) | (used & (log_z < np.log(tiny)))).any(0)] = np.nan
    return log_z, log_c, log_d


def _lse3(xp, a, b, c):
    m = xp.maximum(xp.maximum(a, b), c)
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _alpha_beta_log(xp, E, prob):
    """Log-space recursions (Graves 2012, section 7.3.1; Graves et al. 2006, eqs. 6-10 taken to
    logarithms, with a finite sentinel for log 0); returns log(alpha*beta) of shape (T, N, S)."""
    T, N, S = E.shape
    neg = xp.full((N, 2), _NEG)
    skip_ok, back_ok, init = prob.d_skip > 0, prob.d_back_skip > 0, xp.where(prob.d_final > 0, 0.0, _NEG)
    G = xp.full((T, N, S), _NEG)
    a = xp.full((N, S), _NEG)
    a[:, :2] = E[0, :, :2]
    G[0] = a
    for t in range(1, T):
        p = xp.concatenate([neg, a], axis=1)
        a = _lse3(xp, p[:, 2:], p[:, 1:-1], xp.where(skip_ok, p[:, :-2], _NEG)) + E[t]
        G[t] = a
    restart = _beta_restarts(prob, T)[1]
    beta = init.copy()
    G[T - 1] += beta
    for t in range(T - 2, -1, -1):
        w = xp.concatenate([beta + E[t + 1], neg], axis=1)
        beta = _lse3(xp, w[:, :S], w[:, 1:S + 1], xp.where(back_ok, w[:, 2:], _NEG))
        rows = restart.get(t)
        if rows is not None:
            beta[rows] = init[rows]
        G[t] += beta
    return G


def _logsumexp_last(xp, g):
    m = g.max(-1, keepdims=True)
    return (m + xp.log(xp.exp(g - m).sum(-1, keepdims=True)))[..., 0]


def _grad_from_gamma(xp, gamma, offset, softmax, prob, blank):
    """``softmax - occupancy`` from state posteriors normalised per frame.

    ``gamma`` is (T, N, W) with state ``s`` in column ``offset + s`` (other columns zero). The
    occupancy of each class is a matmul with a per-sample (W, C) one-hot map of states to classes,
    done in chunks of frames on the CPU: each BLAS call stays small enough to run single-threaded,
    which avoids OpenBLAS thread contention on busy machines. A chunk of ``step`` frames makes
    each sample's product about ``step * W * C`` <= 150,000 multiply-adds (the bound set with
    ``bench/bench_ctc.py``); on a GPU the whole time axis goes in one call.
    """
    T, n, W = gamma.shape
    C = softmax.shape[2]
    onehot = np.zeros((n, W, C))
    onehot[:, offset:offset + prob.S:2, blank] = 1.0
    bi, ji = np.nonzero(prob.lab_valid)
    onehot[bi, offset + 2 * ji + 1, prob.lab[bi, ji]] = 1.0
    onehot = xp.asarray(onehot)
    occ = xp.empty((n, T, C))
    step = T if xp is not np else max(1, 150000 // (W * C))
    for t0 in range(0, T, step):
        xp.matmul(gamma[t0:t0 + step].transpose(1, 0, 2), onehot, out=occ[:, t0:t0 + step])
    return softmax - occ.transpose(1, 0, 2).astype(softmax.dtype)


def _scaled_pass(xp, lp_label, lp_blank, prob):
    """The fast path; returns (log p(l|x), gamma (T, N, 2+S), mask of samples to redo in log space)."""
    T, N, S = lp_blank.shape + (prob.S,)
    A, E = _buffers(xp, (T, N, S + 2))
    _emissions(xp, lp_label, lp_blank, prob, E[:, :, 2:], log_space=False)
    A[0] = 0.0
    log_z, log_c, log_d = _alpha_beta_scaled(xp, E, A, prob)
    frames = prob.frames
    t_idx = np.arange(T)[:, None]
    last, cols = xp.asarray(np.maximum(frames - 1, 0)), xp.arange(N)
    log_cum_c = xp.cumsum(log_c, 0)
    log_p = log_cum_c[last, cols] + log_z[last, cols]
    # alpha and beta must agree on p(l|x) at every frame; if not, mass was flushed to zero. The
    # tolerance, 1e-9 relative to T + |log p|, is far above float64 rounding summed over T frames
    # (about 1e-16 per operation) and far below any loss of mass that would change the result.
    rev = xp.concatenate([xp.cumsum(log_d[::-1], 0)[::-1], xp.zeros((1, N))], 0)
    total = log_z + log_cum_c + rev[:-1] - rev[xp.asarray(np.minimum(frames, T)), cols][None, :]
    in_range = xp.asarray(t_idx < frames[None, :])
    err = xp.where(in_range, xp.abs(total - log_p), 0.0).max(0)
    bad = ~xp.isfinite(log_p) | ~(err <= 1e-9 * (T + xp.abs(log_p)))
    under = (_reduce_last(xp, (lp_label < _UNDERFLOW) & xp.asarray(prob.lab_valid), 'any')
             | (lp_blank < _UNDERFLOW))
    bad |= (under & in_range).any(0)
    A /= xp.exp(log_z)[..., None]
    return log_p, A, to_host(bad)


def _solve_log_space(xp, lp_label, lp_blank, softmax, prob, blank):
    """Exact log-space CTC for a (sub-)batch; returns (log p(l|x), gradient)."""
    T = lp_blank.shape[0]
    E = _emissions(xp, lp_label, lp_blank, prob, xp.empty((T, prob.N, prob.S)), log_space=True)
    G = _alpha_beta_log(xp, E, prob)
    last = np.maximum(prob.frames - 1, 0)
    log_p = _logsumexp_last(xp, G[xp.asarray(last), xp.arange(prob.N)])
    G -= G.max(-1, keepdims=True)
    gamma = xp.exp(G)
    gamma /= gamma.sum(-1, keepdims=True)
    return log_p, _grad_from_gamma(xp, gamma, 0, softmax, prob, blank)


def _solve_with_array_calls(xp, x, softmax, mx, log_norm, labels, label_len, frames, blank, prob,
                            force_log_space):
    """The array-call path (NumPy, or CuPy when the log-space path is forced): Graves' scaled
    recursion for the batch, the exact log-space recursion for the samples that need it.
    ``mx`` (T, N, 1) is each frame's largest activation and ``log_norm`` (T, N, 1) float64 the
    log of its softmax normaliser after that shift, so a log-probability is
    ``(x - mx) - log_norm``: the shift first, exact for the activations near the largest, and
    never ``x - (mx + log_norm)``, whose sum rounds ``log_norm`` away when the activations are
    large (1e6 in float32, 1e16 in float64). Returns (log p(l|x), gradient)."""
    T, N, C = x.shape
    flat = xp.asarray((np.arange(N)[:, None] * C + prob.lab).ravel())
    # log-probabilities of -inf (activations of -inf: masked classes) become the finite log-0
    # sentinel, so the log-space recursions never compute -inf - (-inf); NaN stays NaN
    lp_label = (x.reshape(T, N * C)[:, flat].reshape(T, N, prob.L) - mx).astype(np.float64) - log_norm
    lp_label = xp.where(xp.asarray(prob.lab_valid), xp.maximum(lp_label, _NEG), _NEG)
    lp_blank = xp.maximum((x[:, :, blank] - mx[..., 0]).astype(np.float64) - log_norm[..., 0], _NEG)
    if force_log_space or T == 0:
        log_p, grad, bad = xp.zeros(N), softmax.copy(), ~prob.dummy
    else:
        log_p, gamma, bad = _scaled_pass(xp, lp_label, lp_blank, prob)
        grad = _grad_from_gamma(xp, gamma, 2, softmax, prob, blank)
    rows = np.nonzero(bad & ~prob.dummy)[0]
    if len(rows):               # the exact log-space path for the few samples that need it
        sub = _Problem(xp, labels[rows], label_len[rows], frames[rows], blank)
        d_rows = xp.asarray(rows)
        # the sub-batch's longest label may be shorter than the batch's: keep sub.L columns
        lp_sub, g_sub = _solve_log_space(xp, lp_label[:, d_rows, :sub.L], lp_blank[:, d_rows],
                                         softmax[:, d_rows], sub, blank)
        log_p[d_rows] = lp_sub
        grad[:, d_rows] = g_sub
    return log_p, grad


def ctc_loss_and_grad(xp, x, labels, label_len, frames, blank, force_log_space=False,
                      zero_infinity=False):
    """CTC negative log-likelihood and its gradient with respect to the activations.

    Parameters
    ----------
    xp : module
        ``numpy`` or ``cupy``.
    x : array, shape (T, N, C), float16/32/64
        Unnormalised activations (log-softmax is applied here).
    labels : numpy.ndarray of int, shape (N, L)
        Class indices; entries at or beyond ``label_len`` are ignored.
    label_len, frames : numpy.ndarray of int, shape (N,)
        Label lengths and usable frames per sample (already validated).
    blank : int
        Index of the blank class.
    force_log_space : bool
        Skip the scaled fast path (for testing the exact path).
    zero_infinity : bool
        Report a loss of 0 instead of ``+inf`` for impossible samples.

    Returns
    -------
    (loss, grad) : loss (N,) float64 and grad (T, N, C) in float32 (float64 for float64 ``x``),
        both arrays of ``xp``. A sample whose label has probability 0 (no alignment fits its
        frames, or every alignment passes through an activation of ``-inf``) has loss ``+inf``
        (0 with ``zero_infinity``) and zero gradient; gradient rows ``t >= frames[b]`` are zero.
        So without ``zero_infinity``, ``isinf(loss)`` marks exactly the impossible samples.
        Activations are expected to differ by less than about 1e29 within a frame; beyond that a
        finite log-probability can reach the log-0 sentinel and count as probability 0.
    """
    T, N, C = x.shape
    cdt = np.float64 if x.dtype == np.float64 else np.float32
    x = x.astype(cdt, copy=False)
    prob = _Problem(xp, labels, label_len, frames, blank)
    if xp is not np and not force_log_space and T > 0 and N > 0:   # a GPU: see ctc_cuda
        from minigluon.ops.ctc_cuda import ctc_cuda
        return ctc_cuda(xp, x, prob, zero_infinity)
    with np.errstate(all='ignore'):
        mx = _reduce_last(xp, x, 'max')[..., None]
        softmax = xp.exp(x - mx)
        ssum = softmax.sum(2, keepdims=True)
        log_norm = xp.log(ssum.astype(np.float64))
        softmax /= ssum
        log_p, grad = _solve_with_array_calls(xp, x, softmax, mx, log_norm, labels, label_len,
                                              frames, blank, prob, force_log_space)
    loss = xp.maximum(-log_p, 0.0)
    # An alignment may exist and still have probability 0: activations of -inf wherever a label
    # could be emitted. The log-space recursions then end at their log-0 sentinel; such a sample
    # is as impossible as one without an alignment (+inf, zero gradient).
    host_log_p = to_host(log_p)
    possible = prob.feasible & (prob.dummy | ~(host_log_p < _IMPOSSIBLE))
    for b in range(N):
        if prob.dummy[b] or not possible[b]:
            grad[:, b] = 0
            loss[b] = np.inf if not possible[b] and not zero_infinity else 0.0
        elif frames[b] < T:
            grad[frames[b]:, b] = 0
    return loss, grad
