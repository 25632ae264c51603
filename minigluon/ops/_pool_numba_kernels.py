"""Numba kernels for max pooling that keeps each window's winner (optional): written out for 2x2
windows with stride 2, and general ones for any other 2-D window (end of the module).

:mod:`minigluon.ops._pool_argmax` finds the winners with one NumPy pass per kernel position over
strided views of the input (four passes of four calls each for a 2x2 window) and scatters the
gradient with four more. At captcha's first pool, (64, 16, 32, 100) float32, that is ~5 ms forward
and ~3.5 ms backward on one core; these kernels visit each window once (~0.6-1.1 ms and ~0.8-2 ms,
the larger figures for the channel-first memory order a Convolution hands its Pooling).

Results are those of the NumPy passes bit for bit, ties and NaNs included:

* the winner is the first maximum in row-major kernel order (a later element wins only when it is
  strictly greater), or the first NaN of a window that holds one;
* the maximum is accumulated as ``numpy.maximum(best, next)`` does on x86: an equal later element
  replaces it (which decides the sign of a zero when ``-0.0`` and ``0.0`` tie; NumPy's ARM builds
  may pick the other zero there, and MXNet 1.9.1 keeps the first), a NaN sticks;
* the gradient of each window element is ``g * (this position won)``, so a non-finite ``g`` gives
  NaN at the losing positions exactly as the NumPy product with a boolean mask does.

:mod:`minigluon.ops._pool_argmax` imports this module only when Numba is installed and the call
fits (NumPy arrays, float32 or float64, 2-D windows, any memory order).
"""
import numpy as np

from minigluon.ops._numba import njit

_jit = njit(error_model='numpy', nogil=True)     # nogil: CPU workers run it on parts at once


@_jit
def _take(m, p, nan_at, v, q):
    """One more element ``v`` at kernel position ``q``: the new ``(max, winner, first NaN)``."""
    # (bitwise & and |, not the short-circuit and/or: selects instead of branches, which random
    # data would mispredict)
    p = q if v > m else p
    nan_at = q if (v != v) & (nan_at < 0) else nan_at
    m = m if (m > v) | (m != m) else v     # numpy.maximum(m, v): v on ties and when v is NaN
    return m, p, nan_at


@_jit
def argmax_pool_2x2(x, best, pos, relu):
    """``x (N, C, 2*OH + r, 2*OW + r')`` padded input; fills ``best (N, C, OH, OW)`` with the
    window maxima and ``pos`` (same shape, unsigned) with the winning kernel positions 0..3.

    ``relu``: a relu follows (``numpy.maximum(best, 0)``: 0 unless the maximum is above 0 or
    NaN), and windows whose maximum is not above 0 (NaN included) get position 4, which the
    backward matches nowhere: each element's gradient is then ``g * 0``, what the relu's mask
    ``g * (y > 0)`` followed by the scatter gives (the same zero signs and NaNs)."""
    N, C, OH, OW = best.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    m = x[n, c, 2 * i, 2 * j]
                    p, nan_at = 0, (0 if m != m else -1)
                    m, p, nan_at = _take(m, p, nan_at, x[n, c, 2 * i, 2 * j + 1], 1)
                    m, p, nan_at = _take(m, p, nan_at, x[n, c, 2 * i + 1, 2 * j], 2)
                    m, p, nan_at = _take(m, p, nan_at, x[n, c, 2 * i + 1, 2 * j + 1], 3)
                    if nan_at >= 0:
                        p = nan_at
                    best[n, c, i, j] = m
                    if relu and not m > 0:
                        p = 4
                        if m == m:
                            best[n, c, i, j] = 0
                    pos[n, c, i, j] = p


@_jit
def scatter_2x2(g, pos, gpad):
    """The backward: each window's four elements of ``gpad`` get ``g * (position won)``; elements
    outside every window (an odd last row or column) are left as they are."""
    N, C, OH, OW = g.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    gv, p = g[n, c, i, j], pos[n, c, i, j]
                    gpad[n, c, 2 * i, 2 * j] = gv * (p == 0)
                    gpad[n, c, 2 * i, 2 * j + 1] = gv * (p == 1)
                    gpad[n, c, 2 * i + 1, 2 * j] = gv * (p == 2)
                    gpad[n, c, 2 * i + 1, 2 * j + 1] = gv * (p == 3)


# ---- any other 2-D window ------------------------------------------------------------------------
# The same two kernels for any 2-D kernel and stride (ResNet's 3x3 stride-2 pool...): the winner
# of each window is taken element by element in row-major kernel order with _take; the scatter
# adds, where windows overlap, each element's terms in the order of the NumPy passes.

@_jit
def _positions(kh, kw):
    """``(row_of, col_of)``: kernel position ``q`` (row-major) is ``(row_of[q], col_of[q])`` (the
    divisions by ``kw`` made once, outside the loops)."""
    row_of, col_of = np.empty(kh * kw, np.int64), np.empty(kh * kw, np.int64)
    for q in range(kh * kw):
        row_of[q], col_of[q] = q // kw, q % kw
    return row_of, col_of


@_jit
def argmax_pool_2d(x, best, pos, kh, kw, sh, sw, relu):
    """:func:`argmax_pool_2x2` for a ``(kh, kw)`` window with stride ``(sh, sw)``: positions
    ``0 .. kh * kw - 1``, and ``kh * kw`` for the windows a fused relu zeroes."""
    N, C, OH, OW = best.shape
    row_of, col_of = _positions(kh, kw)
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for i in range(OH):
                for j in range(OW):
                    y0, x0 = i * sh, j * sw
                    m = plane[y0, x0]
                    p, nan_at = 0, (0 if m != m else -1)
                    for q in range(1, kh * kw):
                        m, p, nan_at = _take(m, p, nan_at, plane[y0 + row_of[q], x0 + col_of[q]], q)
                    if nan_at >= 0:
                        p = nan_at
                    best[n, c, i, j] = m
                    if relu and not m > 0:
                        p = kh * kw
                        if m == m:
                            best[n, c, i, j] = 0
                    pos[n, c, i, j] = p


@_jit
def scatter_2d(g, pos, gpad, kh, kw, sh, sw, disjoint):
    """The backward of :func:`argmax_pool_2d`: each window's element at kernel position ``q``
    gets ``g * (q won)``, written when the windows are ``disjoint`` (stride >= kernel), else
    added. ``gpad`` must arrive zero wherever no window writes: everywhere for overlapping
    windows, between the windows for disjoint ones with a stride above the kernel."""
    N, C, OH, OW = g.shape
    row_of, col_of = _positions(kh, kw)
    for n in range(N):
        for c in range(C):
            if disjoint:
                for i in range(OH):
                    for j in range(OW):
                        gv, p = g[n, c, i, j], pos[n, c, i, j]
                        q = 0
                        for a in range(kh):
                            for b in range(kw):
                                gpad[n, c, i * sh + a, j * sw + b] = gv * (p == q)
                                q += 1
                continue
            # Overlapping windows: the NumPy passes add, per kernel position q in order, g * (q
            # won) into every window's element at q. A term g * 0 (a +-0.0) leaves a sum that
            # starts at +0.0 unchanged, so only the winners' g need adding, unless g is not
            # finite (inf * 0 is NaN): then every term is added. Going through the windows in
            # reverse order visits the windows that share an element in increasing q, the order
            # of the NumPy passes: the same sums bit for bit.
            for i in range(OH - 1, -1, -1):
                for j in range(OW - 1, -1, -1):
                    gv, p = g[n, c, i, j], pos[n, c, i, j]
                    if gv - gv == 0:                     # finite
                        if p < kh * kw:                  # (kh * kw: no winner, a fused relu)
                            gpad[n, c, i * sh + row_of[p], j * sw + col_of[p]] += gv
                        continue
                    q = 0
                    for a in range(kh):
                        for b in range(kw):
                            gpad[n, c, i * sh + a, j * sw + b] += gv * (p == q)
                            q += 1
