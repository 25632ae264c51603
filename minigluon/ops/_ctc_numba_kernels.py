"""Numba kernel for CTC's scaled alpha and beta recursions (optional; see
:func:`minigluon.ops.ctc_kernel._alpha_beta_scaled`, which calls it when Numba is installed).

The NumPy form runs one Python iteration per frame with a few array calls over the whole batch
(flat, with two zero columns per sample keeping samples apart); at the sizes of a CTC loss
(``N * (2L+1)`` of a few hundred to a few thousand) the calls, not the arithmetic, set its time.
Here one call runs both recursions for every sample, frame by frame and state by state, with the
same products and sums in the same order (the rescaled recursions of Graves et al. 2006, section
4.1). Only the renormalisers
differ (summed in another order, and beta's without the NumPy form's scratch entry in a zero
column); any positive factors serve, since they are carried along in log space, so losses and
gradients agree with the NumPy form to float64 rounding.

One difference: the NumPy form's flat vectors would let a NaN (a NaN activation) leak through
the zero columns into the next sample's recursion, so it cleans the emissions first; here
samples never touch.
"""
import numpy as np

from minigluon.ops._numba import njit

_jit = njit(error_model='numpy')


@_jit
def alpha_beta_scaled(E, A, skip, back_skip, final, restart_at, every, c, d):
    """``E``, ``A`` (T, N, 2+S) float64: emissions and, on return, alpha * beta, state ``s`` in
    column ``2 + s`` (columns 0 and 1 stay zero in ``A``); ``skip``, ``back_skip``, ``final``
    (N, S): the transition masks and the final states of :class:`~minigluon.ops.ctc_kernel._Problem`;
    ``restart_at`` (N,) int: the frame where a shorter sample's beta starts (-1: none); ``c``, ``d``
    (T, N), ones on entry: the normalisers of alpha and beta, written every ``every`` frames.
    A NaN emission (a NaN activation) makes its own sample NaN, which the caller then sends to
    the log-space recursion."""
    T, N, W = E.shape
    S = W - 2
    beta = np.empty(S)
    w = np.zeros(S + 2)
    for b in range(N):
        A[0, b, :] = 0.0
        for s in range(min(2, S)):
            A[0, b, 2 + s] = E[0, b, 2 + s]
        total = 0.0
        for s in range(S):
            total += A[0, b, 2 + s]
        total = 1.0 if total == 0 else total   # impossible from frame 0: stays 0 (redone)
        c[0, b] = total
        for s in range(S):
            A[0, b, 2 + s] /= total
        for t in range(1, T):
            A[t, b, 0] = 0.0                 # the work buffer is reused: stale NaN from a
            A[t, b, 1] = 0.0                 # previous call's 0/0 must not reach A.sum(2)
            for s in range(S):
                v = A[t - 1, b, 2 + s]
                if s >= 1:
                    v = v + A[t - 1, b, 1 + s]
                if s >= 2:
                    v = v + A[t - 1, b, s] * skip[b, s]
                A[t, b, 2 + s] = v * E[t, b, 2 + s]
            if t % every == 0:
                total = 0.0
                for s in range(S):
                    total += A[t, b, 2 + s]
                total = 1.0 if total == 0 else total   # an underflowed sample stays 0 (redone)
                c[t, b] = total
                for s in range(S):
                    A[t, b, 2 + s] /= total
        for s in range(S):
            beta[s] = final[b, s]
            A[T - 1, b, 2 + s] *= beta[s]
        for t in range(T - 2, -1, -1):
            for s in range(S):
                w[s] = beta[s] * E[t + 1, b, 2 + s]
            for s in range(S):
                beta[s] = w[s] + w[s + 1] + w[s + 2] * back_skip[b, s]
            if t % every == 0:
                total = 0.0
                for s in range(S):
                    total += beta[s]
                total = 1.0 if total == 0 else total
                d[t, b] = total
                for s in range(S):
                    beta[s] /= total
            if restart_at[b] == t:
                for s in range(S):
                    beta[s] = final[b, s]
                d[t, b] = 1.0
            for s in range(S):
                A[t, b, 2 + s] *= beta[s]
