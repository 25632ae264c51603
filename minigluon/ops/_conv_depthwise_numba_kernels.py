"""Numba kernels of the 2-D depthwise convolution (optional; :mod:`minigluon.ops._conv_depthwise`
calls them for float32/float64 NumPy arrays when Numba is installed, and keeps its NumPy form
otherwise).

Shapes: ``x (N, C, H, W)`` the unpadded input, ``w (F, kh, kw)`` the weight with ``F = C * M``
(filter ``f`` reads input channel ``f // M``), ``y (N, F, OH, OW)`` the output. Output position
``(oy, ox)`` at kernel position ``(a, b)`` reads input ``(oy * sh + a * dh - ph, ox * sw + b * dw -
pw)``; positions in the padding are skipped (they would add zeros). Every kernel works one output
row at a time and runs along the row in its innermost loop, which vectorises when the stride is 1.

The forward sums each output over the kernel positions in row-major order, starting from zero, as
the NumPy form does. The weight gradient is accumulated in float64 (per image range; the caller
adds the ranges in order).
"""
from minigluon.ops._numba import njit

# error_model 'numpy': no division-by-zero checks; no fastmath, so the sums are the NumPy ones
_jit = njit(error_model='numpy', boundscheck=False, nogil=True)   # nogil: for CPU workers


@_jit
def _span(d, s, n_out, size):
    """The output indices ``o`` in ``[lo, hi)`` with ``0 <= o * s + d < size``."""
    lo = max(0, (-d + s - 1) // s)
    hi = min(n_out, (size - 1 - d) // s + 1)
    return lo, max(lo, hi)


# ---- stride 1: whole planes as one long row ------------------------------------------------------
# With stride 1 the output plane, stored with the padded input's row length Wp ("wide": columns
# OW .. Wp - 1 are scratch), reads the padded input plane at one fixed shift per kernel position,
# a * dh * Wp + b * dw: a contiguous loop over L = (OH - 1) * Wp + OW elements per position. The
# loops run over blocks of BLOCK elements, every kernel position per block, so that the block of
# the output (and of the input, a few rows longer) stays in the L1 cache.

BLOCK = 2048


@_jit
def forward_wide(xpad, w, y, Wp, dh, dw):
    """``y (N, F, OH * Wp)`` (overwritten) from ``xpad (N, C, Hp * Wp)`` and ``w (F, kh, kw)``;
    each output the sum over the kernel positions in row-major order, starting from zero."""
    N, C = xpad.shape[:2]
    F, kh, kw = w.shape
    m = F // C
    L = y.shape[2] - (kw - 1) * dw          # to the last output of the last row
    for n in range(N):
        for f in range(F):
            y[n, f, :] = 0
            for start in range(0, L, BLOCK):
                size = min(BLOCK, L - start)
                dst = y[n, f, start:start + size]
                for a in range(kh):
                    for b in range(kw):
                        shift = start + a * dh * Wp + b * dw
                        src = xpad[n, f // m, shift:shift + size]
                        wv = w[f, a, b]
                        for i in range(size):
                            dst[i] += wv * src[i]


@_jit
def grad_data_wide(gy, w, gxpad, Wp, dh, dw):
    """``gxpad (N, C, Hp * Wp)`` (overwritten) = the adjoint of :func:`forward_wide` applied to
    ``gy (N, F, OH * Wp)``, whose scratch columns must be zero."""
    N, C = gxpad.shape[:2]
    F, kh, kw = w.shape
    m = F // C
    L = gy.shape[2] - (kw - 1) * dw
    for n in range(N):
        for c in range(C):
            gxpad[n, c, :] = 0
            for f in range(c * m, (c + 1) * m):
                for start in range(0, L, BLOCK):
                    size = min(BLOCK, L - start)
                    src = gy[n, f, start:start + size]
                    for a in range(kh):
                        for b in range(kw):
                            shift = start + a * dh * Wp + b * dw
                            dst = gxpad[n, c, shift:shift + size]
                            wv = w[f, a, b]
                            for i in range(size):
                                dst[i] += wv * src[i]


@njit(error_model='numpy', boundscheck=False, nogil=True, fastmath={'reassoc'})
def grad_weight_wide(gy, xpad, gw, Wp, dh, dw):
    """``gw (F, kh, kw)`` float64 ``+=`` the weight gradient of :func:`forward_wide` (``gy``'s
    scratch columns zero): per filter and position a dot product in float64 of exact products,
    summed in vector lanes (``reassoc``: only the order of the additions may change)."""
    N, C = xpad.shape[:2]
    F, kh, kw = gw.shape
    m = F // C
    L = gy.shape[2] - (kw - 1) * dw
    for n in range(N):
        for f in range(F):
            for start in range(0, L, BLOCK):
                size = min(BLOCK, L - start)
                g = gy[n, f, start:start + size]
                for a in range(kh):
                    for b in range(kw):
                        shift = start + a * dh * Wp + b * dw
                        src = xpad[n, f // m, shift:shift + size]
                        t = 0.0
                        for i in range(size):
                            t += float(g[i]) * src[i]
                        gw[f, a, b] += t
