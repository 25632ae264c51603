"""The CTC computation behind the ``CTCLoss`` operator (:mod:`minigluon.ops.ctc`): the loss and
its gradient for a batch, with NumPy (optionally Numba) or CuPy.

Terms, after Graves et al., "Connectionist Temporal Classification", ICML 2006 (sections 3-4)
and Graves 2012, "Supervised Sequence Labelling with Recurrent Neural Networks", chapter 7:

* ``x`` (T, N, C): unnormalised activations of ``T`` frames, ``N`` samples and ``C`` classes
  (MXNet's ``alphabet_size``, the blank included). ``y = softmax(x)`` over the classes:
  ``y[t, n, k]`` is the probability of class ``k`` at frame ``t`` (the paper's ``y^t_k``).
* ``l``: a sample's label, ``L`` class indices, none of them the blank. ``l'``, the *extended
  label sequence*: ``l`` with a blank before, between and after its labels, (blank, l1, blank,
  l2, ..., lL, blank), ``S = 2L+1`` *states*; state ``2j+1`` holds label position ``j``, every
  even state the blank.
* A path through ``l'`` emits one state per frame; from state ``s`` it may stay, move to ``s+1``,
  or skip the blank to ``s+2`` when that label differs from the one at ``s`` (equal neighbours
  need a blank between them, so a label with ``r`` repeated neighbours needs ``L + r`` frames).
  It starts in one of the first two states and ends in one of the last two.
* ``alpha[t, s]``: the probability of the path prefixes over frames ``0..t`` that end in state
  ``s`` (the forward variable). ``beta[t, s]``: the probability of the path suffixes over frames
  ``t+1..T-1`` that continue from ``s`` to a final state (the backward variable; here it leaves
  out frame ``t``'s emission, where the paper's includes it). So ``sum_s alpha[t, s] *
  beta[t, s] = p(l|x)`` at every frame, and ``gamma[t, s]``, that product normalised over ``s``,
  is the posterior probability that frame ``t`` is in state ``s``.
* The loss is ``-log p(l|x)``; its gradient with respect to ``x[t, n, k]`` is ``y[t, n, k]``
  minus the occupancy of class ``k``: the sum of ``gamma[t, s]`` over the states of class ``k``
  (Graves et al. 2006, eq. 16).

Two forms of the recursions, both float64, vectorised over the batch and the states with one
Python loop over time for alpha and one for beta:

* The fast path, *scaled*: the recursions in probability space, alpha and beta renormalised every
  few frames, the normalisers kept as logarithms (Graves et al. 2006, section 4.1, after Rabiner
  1989; Graves 2012, section 7.3.1). No logarithm inside the loop.
* *Log space*, for the samples whose precision the fast path may have lost: every quantity a
  logarithm, sums taken by log-sum-exp, a finite sentinel ``_NEG`` for log 0 (Graves 2012,
  section 7.3.1, which prefers it for robustness); exact for any finite input. A sample goes
  there when its emissions underflow (a log-probability below ``_UNDERFLOW``), when alpha's or
  beta's sums came near the subnormal range between renormalisations (:func:`_log_totals`), or
  when alpha and beta disagree about ``p(l|x)`` at some frame (:func:`_precision_lost`: a sign
  that probability mass was flushed to zero).

The file is laid out bottom-up in sections (the batch on the host, the fast path, the exact path,
the gradient, the driver), so the entry point comes last. Reading order, as a call runs:
:func:`ctc_loss_and_grad` -> :class:`_Problem` (the label layout and the transition masks; on
a GPU :func:`minigluon.ops.ctc_cuda.ctc_cuda` takes over here) -> :func:`_softmax_parts` ->
:func:`_solve_with_array_calls`
-> :func:`_state_log_probs` -> :func:`_scaled_pass` (:func:`_emissions`,
:func:`_alpha_beta_scaled` with :func:`_alpha_scaled_array_calls` and
:func:`_beta_scaled_array_calls`, or the Numba kernel :mod:`minigluon.ops._ctc_numba_kernels`;
:func:`_log_totals`, :func:`_precision_lost`) -> :func:`_grad_from_gamma` ->
:func:`_solve_log_space` (:func:`_alpha_beta_log`) -> :func:`_zero_impossible_and_padding`.

On a GPU (``xp`` is CuPy) a Python loop over time would cost a kernel launch per array call per
frame; :mod:`minigluon.ops.ctc_cuda` runs the log-softmax, the exact log-space recursions and the
gradient of the whole batch in three CUDA kernels instead, impossible samples included, and only
the host-side description of the batch (:class:`_Problem`) is shared.
"""
import functools
import threading

import numpy as np

from minigluon.ops import _numba

# finite stand-in for log(0) in the log-space recursion: far below any log-probability of float32
# activations (at least -7e38 per frame), yet T * _NEG stays finite in float64 for any T
_NEG = -1e250
_UNDERFLOW = -700.0     # emissions with a smaller log-probability would lose precision in float64
_IMPOSSIBLE = -1e249    # a log p(l|x) below this reached the sentinel: the label has probability 0
_workspace = threading.local()   # this thread's work buffers (:func:`_buffers`)
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
    """This thread's reusable float64 work arrays for one problem size: ``(alpha, emissions)``,
    both (T, N, 2+S) (two always-zero columns before each sample's states, so that shifted slices
    of a whole frame never mix samples: see :func:`_alpha_beta_scaled`). Kept between calls, so
    their contents on return are whatever the last call left."""
    key = (xp.__name__, shape)
    cached = getattr(_workspace, 'entry', None)
    if cached is None or cached[0] != key:
        cached = (key, xp.zeros(shape, dtype=np.float64), xp.zeros(shape, dtype=np.float64))
        _workspace.entry = cached
    return cached[1], cached[2]


# ---------------------------------------------------------------------------------------------------
# The batch on the host: labels, lengths, transition masks

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
    * ``final (N, S)``: 1 on the two states a path may end in (the one state of an empty label).

    The float masks are NumPy arrays; ``d_mask``, ``d_skip``, ``d_back_skip`` and ``d_final``
    are their copies as arrays of ``xp``.

    Parameters: ``labels`` (N, >= L) int64, validated (:func:`minigluon.ops.ctc.check_ctc_inputs`),
    only the first ``label_len[b]`` entries of row ``b`` read; ``label_len`` and ``frames`` (N,)
    int64; ``blank`` the blank's class index.
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
        repeats_previous = np.zeros((n, L), dtype=bool)    # label j equals label j - 1
        repeats_previous[:, 1:] = (lab[:, 1:] == lab[:, :-1]) & valid[:, 1:]
        self.feasible = label_len + repeats_previous.sum(1) <= frames
        self.dummy = ~self.feasible | (frames == 0)   # computed as an empty label, then overwritten
        computed_len = np.where(self.dummy, 0, label_len)
        self.free_from = np.where(self.dummy, 0, frames)  # frames from here on emit 1 (ignored)
        states = 2 * computed_len + 1
        s = np.arange(S)
        self.state_mask = (s[None, :] < states[:, None]).astype(np.float64)
        skip = np.zeros((n, S))
        skip[:, 3::2] = ~repeats_previous[:, 1:] & (j[None, 1:] < computed_len[:, None])
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


def _beta_restarts(problem, T):
    """Where each sample's beta recursion starts: its last usable frame ``frames - 1``, or -1 for
    a sample whose beta starts at the batch's last frame ``T - 1`` like the recursion itself (it
    uses every frame) or that has no recursion (no frames, a dummy). Returns ``(restart_at,
    by_frame)``: the (N,) int64 array, and a dict frame -> list of the samples restarting there
    (beta is set to the final states at that frame while the recursion walks back over it)."""
    restart_at = np.where((problem.frames > 0) & (problem.frames < T) & ~problem.dummy,
                          problem.frames - 1, -1).astype(np.int64)
    by_frame = {}
    for b in np.nonzero(restart_at >= 0)[0]:
        by_frame.setdefault(int(restart_at[b]), []).append(int(b))
    return restart_at, by_frame


# ---------------------------------------------------------------------------------------------------
# The fast path: rescaled recursions in probability space (Graves et al. 2006, section 4.1)

def _emissions(xp, log_y_label, log_y_blank, problem, out, log_space):
    """Fill ``out`` (T, N, S) float64 with each state's emission: ``y`` of the state's class
    (the blank on even states, label position ``j``'s class on state ``2j+1``), or its logarithm
    with ``log_space``. ``log_y_label`` (T, N, L) and ``log_y_blank`` (T, N) as
    :func:`_state_log_probs` returns them. From a sample's ``free_from`` frame on (its end, or 0
    for a dummy) its used states emit probability 1 and the others 0, so the recursions carry its
    alpha and beta through the batch's remaining frames unchanged. Returns ``out``."""
    if log_space:
        out[..., 0::2] = log_y_blank[..., None]
        out[..., 1::2] = log_y_label
        past_end = xp.where(problem.d_mask > 0, 0.0, _NEG)
        out[...] = xp.where(problem.d_mask > 0, out, _NEG)
    else:   # label slots past a row's end hold _NEG (exp -> 0): alpha and beta stay on its states
        xp.exp(log_y_blank, out=out[..., 0])
        out[..., 2::2] = out[..., :1]
        xp.exp(log_y_label, out=out[..., 1::2])
        past_end = problem.d_mask
    for b in np.nonzero(problem.free_from < out.shape[0])[0]:
        out[problem.free_from[b]:, b] = past_end[b]
    return out


def _alpha_beta_scaled(xp, emissions, alpha, problem, every=4):
    """The rescaled alpha and beta recursions; leaves alpha * beta (the unnormalised state
    posteriors) in ``alpha``.

    ``emissions`` and ``alpha`` are float64 (T, N, W) with ``W = 2+S``: state ``s`` of a sample
    in column ``2 + s``, columns 0 and 1 zero. A frame is then one flat vector of ``N*W`` values
    and the moves from state ``s-1`` and ``s-2`` are flat slices: the zero columns keep samples
    apart, and every array call is a single contiguous loop. Alpha and beta are renormalised to
    sum 1 every ``every`` frames (Graves et al. 2006, section 4.1: the sums are the normalisers
    ``C_t`` and ``D_t``; emissions are at most 1, so in between the sums can only shrink, and an
    underflow shows up as p = 0 or as an alpha/beta disagreement, which sends the sample to the
    log-space path). ``every`` trades the array calls of a renormalisation (a matmul and a
    division) against how far the sums may shrink in between; 4 was set with
    ``bench/bench_ctc.py``. With Numba, NumPy arrays take
    :func:`minigluon.ops._ctc_numba_kernels.alpha_beta_scaled` instead: the same recursions,
    sample by sample, in one compiled call.

    Returns ``(log_z, log_alpha_norm, log_beta_norm)``, each (T, N): per frame and sample, the
    log of sum_s alpha*beta and the logs of alpha's and beta's normalisers (0 on frames not
    renormalised); ``log_z`` is NaN for samples that lost precision in the subnormal range
    (:func:`_log_totals`).
    """
    T, N, W = emissions.shape
    restart_at, restart_rows = _beta_restarts(problem, T)
    alpha_norm, beta_norm = xp.ones((T, N)), xp.ones((T, N))
    compiled = _numba.kernels('_ctc_numba_kernels') if xp is np else None
    if compiled is not None:     # NumPy with Numba: both recursions in one compiled call
        compiled.alpha_beta_scaled(emissions, alpha, problem.d_skip, problem.d_back_skip,
                                   problem.d_final, restart_at, every, alpha_norm, beta_norm)
    else:
        alpha[1:, 0, :2] = 0.0   # reused buffer (stale NaN); the other zero columns are rewritten
        xp.nan_to_num(emissions, copy=False, nan=0.0)  # a NaN input must not leak into other samples
        _alpha_scaled_array_calls(xp, emissions, alpha, problem, alpha_norm, every)
        _beta_scaled_array_calls(xp, emissions, alpha, problem, restart_rows, beta_norm, every)
    return _log_totals(xp, alpha, alpha_norm, beta_norm, problem)


def _alpha_scaled_array_calls(xp, emissions, alpha, problem, alpha_norm, every):
    """Alpha, forwards in time, with array calls over the whole batch (layout of
    :func:`_alpha_beta_scaled`; ``alpha[0]`` zero on entry). Graves et al. 2006, section 4.1:
    ``alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) + skip(s) alpha_{t-1}(s-2)) y_t(s)``,
    starting in the first blank or the first label. Writes the normalisers into ``alpha_norm``
    (T, N) (rows not renormalised stay 1)."""
    T, N, W = alpha.shape
    M = N * W
    flat_skip = xp.concatenate([xp.zeros((N, 2)), problem.d_skip], 1).reshape(M)[2:]
    ones = xp.ones(W)
    tmp = xp.empty(M)
    alpha[0, :, 2:4] = emissions[0, :, 2:4]
    xp.matmul(alpha[0], ones, out=alpha_norm[0])
    alpha_norm[0][alpha_norm[0] == 0] = 1.0   # impossible from frame 0: stays 0 (a 0/0 would spread)
    alpha[0] /= alpha_norm[0][:, None]
    flat_alpha, flat_emit = alpha.reshape(T, M), emissions.reshape(T, M)
    for t in range(1, T):                    # 4 array calls per frame (+2 to renormalise)
        prev, cur = flat_alpha[t - 1], flat_alpha[t, 2:]
        xp.add(prev[2:], prev[1:-1], out=cur)
        xp.multiply(prev[:-2], flat_skip, out=tmp[2:])
        cur += tmp[2:]
        cur *= flat_emit[t, 2:]
        if t % every == 0:
            frame = alpha[t]
            xp.matmul(frame, ones, out=alpha_norm[t])
            alpha_norm[t][alpha_norm[t] == 0] = 1.0   # an underflowed sample stays 0 (and is redone)
            frame /= alpha_norm[t][:, None]


def _beta_scaled_array_calls(xp, emissions, alpha, problem, restart_rows, beta_norm, every):
    """Beta, backwards in time, with array calls over the whole batch; multiplies each frame of
    ``alpha`` by it as it goes. Here ``beta_t(s)`` leaves out the emission of frame ``t``
    (Graves et al. 2006, section 4.1, includes it), so ``alpha * beta`` is directly the numerator of
    the state posterior (eq. 14 divides by the emission instead):
    ``beta_t(s) = beta_{t+1}(s) y_{t+1}(s) + beta_{t+1}(s+1) y_{t+1}(s+1)
    + skip(s+2) beta_{t+1}(s+2) y_{t+1}(s+2)``, starting at 1 on the two final states. A sample
    with fewer frames restarts there at its own last frame (``restart_rows``, frame -> samples,
    :func:`_beta_restarts`). Writes the normalisers into ``beta_norm`` (T, N)."""
    T, N, W = alpha.shape
    M = N * W
    pad = xp.zeros((N, 2))
    flat_back_skip = xp.concatenate([pad, problem.d_back_skip], 1).reshape(M)
    final = xp.concatenate([pad, problem.d_final], 1)
    ones = xp.ones(W)
    tmp = xp.empty(M)
    flat_alpha, flat_emit = alpha.reshape(T, M), emissions.reshape(T, M)
    beta = final.reshape(M).copy()
    beta_by_sample = beta.reshape(N, W)      # a view: the same values, one row per sample
    weighted = xp.zeros(M + 2)               # beta * emission, two zero entries past the end
    flat_alpha[T - 1] *= beta
    for t in range(T - 2, -1, -1):           # 5 array calls per frame (+2 to renormalise)
        xp.multiply(beta, flat_emit[t + 1], out=weighted[:M])
        xp.add(weighted[:M], weighted[1:M + 1], out=beta)
        xp.multiply(weighted[2:], flat_back_skip, out=tmp)
        beta += tmp
        if t % every == 0:
            xp.matmul(beta_by_sample, ones, out=beta_norm[t])
            beta_norm[t][beta_norm[t] == 0] = 1.0
            beta_by_sample /= beta_norm[t][:, None]
        rows = restart_rows.get(t)
        if rows is not None:
            beta_by_sample[rows] = final[rows]
            beta_norm[t, rows] = 1.0
        flat_alpha[t] *= beta


def _log_totals(xp, alpha_beta, alpha_norm, beta_norm, problem, tiny=2.0 ** -960):
    """``(log_z, log_alpha_norm, log_beta_norm)`` of :func:`_alpha_beta_scaled`, with ``log_z``
    NaN for every frame of a sample that must be redone in log space: one whose alpha or beta
    sums came near the subnormal range between renormalisations (a normaliser below ``tiny``:
    float64 subnormals start at 2**-1022, and ``tiny`` = 2**-960 flags sums that got within
    2**62 of them, where the next products may already have lost digits), or whose alpha*beta
    did at a frame it uses. A product of a few emissions, each above exp(-700), can get there;
    the rounded subnormals then agree with themselves, so the alpha/beta check of
    :func:`_precision_lost` would not see the lost precision (losses off by up to 0.4 were
    found)."""
    T = alpha_beta.shape[0]
    with np.errstate(divide='ignore', invalid='ignore'):
        log_z = xp.log(alpha_beta.sum(2))
        log_alpha_norm, log_beta_norm = xp.log(alpha_norm), xp.log(beta_norm)
    used = xp.asarray(np.arange(T)[:, None] < problem.frames[None, :])
    near_subnormal = (alpha_norm < tiny) | (beta_norm < tiny) | (used & (log_z < np.log(tiny)))
    log_z[:, near_subnormal.any(0)] = np.nan
    return log_z, log_alpha_norm, log_beta_norm


def _precision_lost(xp, log_p, log_z, log_cum_alpha_norm, log_beta_norm, log_y_label, log_y_blank,
                    problem):
    """The samples the scaled pass may have got wrong, as an (N,) bool host array: ``log_p`` not
    finite; alpha and beta disagreeing about ``p(l|x)`` at some frame (``sum_s alpha_t(s)
    beta_t(s)`` is ``p(l|x)`` at every frame ``t``: a disagreement means mass was flushed to
    zero); or an emission that underflows (a log-probability below ``_UNDERFLOW``) in a frame
    the sample uses. ``log_z`` (T, N) is NaN for samples :func:`_log_totals` flagged, which
    fails the agreement test."""
    T, N = log_z.shape
    frames = problem.frames
    cols = xp.arange(N)
    # The tolerance, 1e-9 relative to T + |log p|, is far above float64 rounding summed over T
    # frames (about 1e-16 per operation) and far below any loss of mass that would change the
    # result. log_beta_norm summed from frame t to the sample's end (rev[t] - rev[frames]):
    rev = xp.concatenate([xp.cumsum(log_beta_norm[::-1], 0)[::-1], xp.zeros((1, N))], 0)
    total = (log_z + log_cum_alpha_norm + rev[:-1]
             - rev[xp.asarray(np.minimum(frames, T)), cols][None, :])
    in_range = xp.asarray(np.arange(T)[:, None] < frames[None, :])
    err = xp.where(in_range, xp.abs(total - log_p), 0.0).max(0)
    bad = ~xp.isfinite(log_p) | ~(err <= 1e-9 * (T + xp.abs(log_p)))
    under = (_reduce_last(xp, (log_y_label < _UNDERFLOW) & xp.asarray(problem.lab_valid), 'any')
             | (log_y_blank < _UNDERFLOW))
    bad |= (under & in_range).any(0)
    return to_host(bad)


def _scaled_pass(xp, log_y_label, log_y_blank, problem):
    """The fast path over the whole batch: emissions, the rescaled recursions, ``log p(l|x)``.

    ``log_y_label`` (T, N, L) and ``log_y_blank`` (T, N) are float64 log-probabilities (see
    :func:`_state_log_probs`). ``log p(l|x)`` is the sum of alpha's log normalisers up to a
    sample's last frame plus the log of its final states' scaled alpha there (Graves et al. 2006,
    section 4.1: ``ln p = sum_t ln C_t``, the last frame's sum left unnormalised). Returns
    ``(log_p (N,), gamma (T, N, 2+S), redo (N,) bool on the host)``: gamma the state posteriors,
    normalised per frame, in the work buffer's layout (state ``s`` in column ``2 + s``); ``redo``
    the samples to recompute in log space (:func:`_precision_lost`).
    """
    T, N, S = log_y_blank.shape + (problem.S,)
    alpha, emissions = _buffers(xp, (T, N, S + 2))
    _emissions(xp, log_y_label, log_y_blank, problem, emissions[:, :, 2:], log_space=False)
    alpha[0] = 0.0
    log_z, log_alpha_norm, log_beta_norm = _alpha_beta_scaled(xp, emissions, alpha, problem)
    last, cols = xp.asarray(np.maximum(problem.frames - 1, 0)), xp.arange(N)
    log_cum_alpha_norm = xp.cumsum(log_alpha_norm, 0)
    log_p = log_cum_alpha_norm[last, cols] + log_z[last, cols]
    redo = _precision_lost(xp, log_p, log_z, log_cum_alpha_norm, log_beta_norm, log_y_label,
                           log_y_blank, problem)
    alpha /= xp.exp(log_z)[..., None]
    return log_p, alpha, redo


# ---------------------------------------------------------------------------------------------------
# The exact path: the recursions in log space (Graves 2012, section 7.3.1)

def _lse3(xp, a, b, c):
    """``log(exp(a) + exp(b) + exp(c))`` elementwise, shifted by the largest so nothing overflows."""
    m = xp.maximum(xp.maximum(a, b), c)
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _alpha_beta_log(xp, log_emissions, problem):
    """The log-space recursions (Graves 2012, section 7.3.1; Graves et al. 2006, eqs. 6-10 taken
    to logarithms, with the finite sentinel ``_NEG`` for log 0), over the whole batch: the
    recursions of :func:`_alpha_scaled_array_calls` and :func:`_beta_scaled_array_calls` with
    sums of products replaced by :func:`_lse3` of sums, no normalisers. ``log_emissions`` is
    (T, N, S) float64; returns log(alpha*beta), (T, N, S) (beta without its frame's emission)."""
    T, N, S = log_emissions.shape
    neg = xp.full((N, 2), _NEG)
    skip_ok, back_ok = problem.d_skip > 0, problem.d_back_skip > 0
    final = xp.where(problem.d_final > 0, 0.0, _NEG)
    log_gamma = xp.full((T, N, S), _NEG)
    log_alpha = xp.full((N, S), _NEG)
    log_alpha[:, :2] = log_emissions[0, :, :2]
    log_gamma[0] = log_alpha
    for t in range(1, T):
        p = xp.concatenate([neg, log_alpha], axis=1)       # p[:, 2 + s] = log_alpha[:, s]
        log_alpha = (_lse3(xp, p[:, 2:], p[:, 1:-1], xp.where(skip_ok, p[:, :-2], _NEG))
                     + log_emissions[t])
        log_gamma[t] = log_alpha
    restart_rows = _beta_restarts(problem, T)[1]
    log_beta = final.copy()
    log_gamma[T - 1] += log_beta
    for t in range(T - 2, -1, -1):
        w = xp.concatenate([log_beta + log_emissions[t + 1], neg], axis=1)
        log_beta = _lse3(xp, w[:, :S], w[:, 1:S + 1], xp.where(back_ok, w[:, 2:], _NEG))
        rows = restart_rows.get(t)
        if rows is not None:
            log_beta[rows] = final[rows]
        log_gamma[t] += log_beta
    return log_gamma


def _logsumexp_last(xp, g):
    """``log(sum(exp(g), -1))``, shifted by the largest entry."""
    m = g.max(-1, keepdims=True)
    return (m + xp.log(xp.exp(g - m).sum(-1, keepdims=True)))[..., 0]


def _solve_log_space(xp, log_y_label, log_y_blank, softmax, problem, blank):
    """Exact log-space CTC for a (sub-)batch; returns (log p(l|x) (N,), gradient (T, N, C))."""
    T = log_y_blank.shape[0]
    log_emissions = _emissions(xp, log_y_label, log_y_blank, problem,
                               xp.empty((T, problem.N, problem.S)), log_space=True)
    log_gamma = _alpha_beta_log(xp, log_emissions, problem)
    last = np.maximum(problem.frames - 1, 0)
    log_p = _logsumexp_last(xp, log_gamma[xp.asarray(last), xp.arange(problem.N)])
    log_gamma -= log_gamma.max(-1, keepdims=True)
    gamma = xp.exp(log_gamma)
    gamma /= gamma.sum(-1, keepdims=True)
    return log_p, _grad_from_gamma(xp, gamma, 0, softmax, problem, blank)


# ---------------------------------------------------------------------------------------------------
# The gradient with respect to the activations (Graves et al. 2006, eq. 16)

def _grad_from_gamma(xp, gamma, offset, softmax, problem, blank):
    """``softmax - occupancy`` (Graves et al. 2006, eq. 16) from state posteriors normalised per
    frame: the gradient of ``-log p(l|x)`` with respect to the unnormalised activations.

    ``gamma`` is (T, N, W) float64 with state ``s`` in column ``offset + s`` (other columns zero);
    ``softmax`` (T, N, C). The occupancy of class ``k`` at frame ``t`` is the sum of the
    posteriors of the states that emit ``k`` (every blank state for the blank, eq. 16's
    ``lab(l, k)``): a matmul with a per-sample (W, C) one-hot map of states to classes, done in
    chunks of frames on the CPU: each BLAS call stays small enough to run single-threaded,
    which avoids OpenBLAS thread contention on busy machines. A chunk of ``step`` frames makes
    each sample's product about ``step * W * C`` <= 150,000 multiply-adds (the bound set with
    ``bench/bench_ctc.py``); on a GPU the whole time axis goes in one call. Returns (T, N, C) in
    ``softmax``'s dtype.
    """
    T, n, W = gamma.shape
    C = softmax.shape[2]
    onehot = np.zeros((n, W, C))
    onehot[:, offset:offset + problem.S:2, blank] = 1.0
    bi, ji = np.nonzero(problem.lab_valid)
    onehot[bi, offset + 2 * ji + 1, problem.lab[bi, ji]] = 1.0
    onehot = xp.asarray(onehot)
    occ = xp.empty((n, T, C))
    step = T if xp is not np else max(1, 150000 // (W * C))
    for t0 in range(0, T, step):
        xp.matmul(gamma[t0:t0 + step].transpose(1, 0, 2), onehot, out=occ[:, t0:t0 + step])
    return softmax - occ.transpose(1, 0, 2).astype(softmax.dtype)


# ---------------------------------------------------------------------------------------------------
# The batch, from activations to loss and gradient

def _softmax_parts(xp, x):
    """``(frame_max (T, N, 1), log_norm (T, N, 1) float64, softmax (T, N, C))`` of activations
    ``x`` (T, N, C): the largest activation of each frame, the log of ``sum_c exp(x - frame_max)``
    and the softmax ``y`` (the paper's ``y^t_k``, Graves et al. 2006, section 3) in ``x``'s dtype."""
    frame_max = _reduce_last(xp, x, 'max')[..., None]
    softmax = xp.exp(x - frame_max)
    total = softmax.sum(2, keepdims=True)
    log_norm = xp.log(total.astype(np.float64))
    softmax /= total
    return frame_max, log_norm, softmax


def _state_log_probs(xp, x, frame_max, log_norm, problem, blank):
    """The log-probabilities the recursions read: ``log_y_label`` (T, N, L), each label
    position's class, and ``log_y_blank`` (T, N), the blank's; float64.

    ``frame_max`` (T, N, 1) is each frame's largest activation and ``log_norm`` (T, N, 1) float64
    the log of its softmax normaliser after that shift (:func:`_softmax_parts`), so a
    log-probability is ``(x - frame_max) - log_norm``: the shift first, exact for the activations
    near the largest, and never ``x - (frame_max + log_norm)``, whose sum rounds ``log_norm`` away
    when the activations are large (1e6 in float32, 1e16 in float64). Log-probabilities of -inf
    (activations of -inf: masked classes), and label positions past a row's length, become the
    finite log-0 sentinel ``_NEG``, so the log-space recursions never compute -inf - (-inf); NaN
    stays NaN."""
    T, N, C = x.shape
    flat = xp.asarray((np.arange(N)[:, None] * C + problem.lab).ravel())
    log_y_label = ((x.reshape(T, N * C)[:, flat].reshape(T, N, problem.L) - frame_max)
                   .astype(np.float64) - log_norm)
    log_y_label = xp.where(xp.asarray(problem.lab_valid), xp.maximum(log_y_label, _NEG), _NEG)
    log_y_blank = xp.maximum((x[:, :, blank] - frame_max[..., 0]).astype(np.float64)
                             - log_norm[..., 0], _NEG)
    return log_y_label, log_y_blank


def _solve_with_array_calls(xp, x, softmax, frame_max, log_norm, labels, label_len, frames, blank,
                            problem, force_log_space):
    """The array-call path (NumPy, or CuPy when the log-space path is forced): Graves' scaled
    recursion for the batch, the exact log-space recursion for the samples that need it (a
    sub-batch, with its own :class:`_Problem`). Returns (log p(l|x) (N,), gradient (T, N, C))."""
    T, N, C = x.shape
    log_y_label, log_y_blank = _state_log_probs(xp, x, frame_max, log_norm, problem, blank)
    if force_log_space or T == 0:
        log_p, grad, redo = xp.zeros(N), softmax.copy(), ~problem.dummy
    else:
        log_p, gamma, redo = _scaled_pass(xp, log_y_label, log_y_blank, problem)
        grad = _grad_from_gamma(xp, gamma, 2, softmax, problem, blank)
    rows = np.nonzero(redo & ~problem.dummy)[0]
    if len(rows):               # the exact log-space path for the few samples that need it
        sub = _Problem(xp, labels[rows], label_len[rows], frames[rows], blank)
        d_rows = xp.asarray(rows)
        # the sub-batch's longest label may be shorter than the batch's: keep sub.L columns
        log_p_sub, grad_sub = _solve_log_space(xp, log_y_label[:, d_rows, :sub.L],
                                               log_y_blank[:, d_rows], softmax[:, d_rows], sub,
                                               blank)
        log_p[d_rows] = log_p_sub
        grad[:, d_rows] = grad_sub
    return log_p, grad


def _zero_impossible_and_padding(loss, grad, log_p, problem, zero_infinity):
    """In place: loss ``+inf`` (0 with ``zero_infinity``) and a zero gradient for the samples whose
    label has probability 0; loss 0 and a zero gradient for a sample without frames and with an
    empty label (probability 1); a zero gradient on the frames past each sample's length.
    ``loss`` (N,), ``grad`` (T, N, C), ``log_p`` (N,) arrays of ``xp``. An alignment may exist
    and still have probability 0: activations of -inf wherever a label could be emitted. The
    log-space recursions then end at their log-0 sentinel; such a sample is as impossible as one
    without an alignment."""
    T, N = grad.shape[:2]
    frames = problem.frames
    host_log_p = to_host(log_p)
    possible = problem.feasible & (problem.dummy | ~(host_log_p < _IMPOSSIBLE))
    for b in range(N):
        if problem.dummy[b] or not possible[b]:
            grad[:, b] = 0
            loss[b] = np.inf if not possible[b] and not zero_infinity else 0.0
        elif frames[b] < T:
            grad[frames[b]:, b] = 0


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
        Activations are expected to differ by less than about 1e249 within a frame (any float32
        activations do); beyond that a finite log-probability can reach the log-0 sentinel and
        count as probability 0.
    """
    compute_dtype = np.float64 if x.dtype == np.float64 else np.float32
    x = x.astype(compute_dtype, copy=False)
    T, N, C = x.shape
    problem = _Problem(xp, labels, label_len, frames, blank)
    if xp is not np and not force_log_space and T > 0 and N > 0:   # a GPU: see ctc_cuda
        from minigluon.ops.ctc_cuda import ctc_cuda
        return ctc_cuda(xp, x, problem, zero_infinity)
    with np.errstate(all='ignore'):
        frame_max, log_norm, softmax = _softmax_parts(xp, x)
        log_p, grad = _solve_with_array_calls(xp, x, softmax, frame_max, log_norm, labels,
                                              label_len, frames, blank, problem, force_log_space)
    loss = xp.maximum(-log_p, 0.0)
    _zero_impossible_and_padding(loss, grad, log_p, problem, zero_infinity)
    return loss, grad
