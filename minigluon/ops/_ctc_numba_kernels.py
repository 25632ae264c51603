"""Numba kernel for CTC's scaled alpha and beta recursions (optional; see
:func:`minigluon.ops.ctc_kernel._alpha_beta_scaled`, which calls it when Numba is installed).

The NumPy form (:func:`~minigluon.ops.ctc_kernel._alpha_scaled_array_calls` and
:func:`~minigluon.ops.ctc_kernel._beta_scaled_array_calls`) runs one Python iteration per frame
with a few array calls over the whole batch (flat, with two zero columns per sample keeping
samples apart); at the sizes of a CTC loss (``N * (2L+1)`` of a few hundred to a few thousand)
the calls, not the arithmetic, set its time. Here one call runs both recursions for every
sample, frame by frame and state by state, with the same products and sums in the same order
(the rescaled recursions of Graves et al. 2006, section 4.1; the terms are defined in
:mod:`minigluon.ops.ctc_kernel`). Only the normalisers differ (summed in another order, and
beta's without the NumPy form's scratch entry in a zero column); any positive factors serve,
since they are carried along in log space, so losses and gradients agree with the NumPy form
to float64 rounding.

One difference: the NumPy form's flat vectors would let a NaN (a NaN activation) leak through
the zero columns into the next sample's recursion, so it cleans the emissions first; here
samples never touch.
"""
import numpy as np

from minigluon.ops._numba import njit

_jit = njit(error_model='numpy')


@_jit
def alpha_beta_scaled(emissions, alpha, skip, back_skip, final, restart_at, every, alpha_norm,
                      beta_norm):
    """``emissions``, ``alpha`` (T, N, 2+S) float64: each state's emission and, on return,
    alpha * beta (beta without its frame's emission), state ``s`` in column ``2 + s`` (columns 0
    and 1 stay zero in ``alpha``); ``skip``, ``back_skip``, ``final`` (N, S) float64: the
    transition masks and the final states of :class:`~minigluon.ops.ctc_kernel._Problem`;
    ``restart_at`` (N,) int64: the frame where a shorter sample's beta starts (-1: none);
    ``alpha_norm``, ``beta_norm`` (T, N) float64, ones on entry: alpha's and beta's normalisers
    (Graves' ``C_t`` and ``D_t``), written every ``every`` frames. A normaliser of 0 is stored
    as 1, so a sample whose probability underflowed stays 0 (and the caller redoes it in log
    space). A NaN emission (a NaN activation) makes its own sample NaN, which the caller then
    sends to the log-space recursion."""
    T, N, W = emissions.shape
    S = W - 2
    beta = np.empty(S)
    weighted = np.zeros(S + 2)       # beta * emission of the next frame; two zeros past the end
    for b in range(N):
        # alpha at frame 0: the first blank and the first label
        alpha[0, b, :] = 0.0
        for s in range(min(2, S)):
            alpha[0, b, 2 + s] = emissions[0, b, 2 + s]
        total = 0.0
        for s in range(S):
            total += alpha[0, b, 2 + s]
        total = 1.0 if total == 0 else total   # impossible from frame 0: stays 0 (redone)
        alpha_norm[0, b] = total
        for s in range(S):
            alpha[0, b, 2 + s] /= total
        # alpha forwards: stay, come from s - 1, or skip from s - 2 where allowed
        for t in range(1, T):
            alpha[t, b, 0] = 0.0             # the work buffer is reused: stale NaN from a
            alpha[t, b, 1] = 0.0             # previous call's 0/0 must not reach alpha.sum(2)
            for s in range(S):
                v = alpha[t - 1, b, 2 + s]
                if s >= 1:
                    v = v + alpha[t - 1, b, 1 + s]
                if s >= 2:
                    v = v + alpha[t - 1, b, s] * skip[b, s]
                alpha[t, b, 2 + s] = v * emissions[t, b, 2 + s]
            if t % every == 0:
                total = 0.0
                for s in range(S):
                    total += alpha[t, b, 2 + s]
                total = 1.0 if total == 0 else total   # an underflowed sample stays 0 (redone)
                alpha_norm[t, b] = total
                for s in range(S):
                    alpha[t, b, 2 + s] /= total
        # beta backwards from the final states, multiplied into alpha frame by frame
        for s in range(S):
            beta[s] = final[b, s]
            alpha[T - 1, b, 2 + s] *= beta[s]
        for t in range(T - 2, -1, -1):
            for s in range(S):
                weighted[s] = beta[s] * emissions[t + 1, b, 2 + s]
            for s in range(S):
                beta[s] = weighted[s] + weighted[s + 1] + weighted[s + 2] * back_skip[b, s]
            if t % every == 0:
                total = 0.0
                for s in range(S):
                    total += beta[s]
                total = 1.0 if total == 0 else total
                beta_norm[t, b] = total
                for s in range(S):
                    beta[s] /= total
            if restart_at[b] == t:           # a shorter sample: its beta starts at its last frame
                for s in range(S):
                    beta[s] = final[b, s]
                beta_norm[t, b] = 1.0
            for s in range(S):
                alpha[t, b, 2 + s] *= beta[s]
