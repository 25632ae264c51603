"""Numba kernels of the 2-D depthwise convolution (optional; :mod:`minigluon.ops._conv_depthwise`
calls them for float32/float64 NumPy arrays when Numba is installed, and keeps its NumPy form
otherwise).

The input arrives split into its *phases* (:class:`minigluon.ops._conv_depthwise._Phases`): the
zero-padded image ``xpad`` (``Hp x Wp``) as the planes ``xpad[p0::sh, p1::sw]``, each stored with
``Wq = ceil(Wp / sw)`` columns (and zeros beyond the image). Kernel position ``q = (a, b)`` reads,
for output ``(oy, ox)``, ``xpad[oy * sh + a * dh, ox * sw + b * dw]``, which is element
``(oy + a * dh // sh, ox + b * dw // sw)`` of phase ``(a * dh % sh, b * dw % sw)``: with the
output stored with the same row length ``Wq`` ("wide": columns ``OW .. Wq - 1`` are scratch), a
contiguous run of ``L = (OH - 1) * Wq + OW`` elements of one phase plane, shifted by
``shift_of[q]`` (``phase_of[q]`` says which plane). With stride 1 there is one phase, the padded
image itself.

Shapes: ``xph (N, C, P, Hq * Wq)`` the P phase planes, ``w (F, K)`` the weight with ``F = C * M``
(filter ``f`` reads input channel ``f // M``) and its K kernel positions in row-major order,
``y (N, F, OH * Wq)`` the wide output. The loops run over blocks of BLOCK elements, every kernel
position per block, so that the block of the output (and of the input, a few rows longer) stays
in the L1 cache; the forward and the weight gradient take three kernel positions per pass over a
block (one load and store of the output, or one load of the gradient, for three positions; as
measured, the forward of a (8, 32, 112, 112) float32 batch, 3x3, 7.6 -> 2.7 ms on one core). The
forward sums each output over the kernel positions in row-major order, starting from zero, as the
NumPy form does; the weight gradient is accumulated in float64.
"""
from minigluon.ops._numba import njit

# error_model 'numpy': no division-by-zero checks; no fastmath, so the sums are the NumPy ones
_jit = njit(error_model='numpy', boundscheck=False, nogil=True)   # nogil: for CPU workers

BLOCK = 2048


@_jit
def _run(planes, n, c, phase, shift, size):
    """``size`` elements of phase plane ``phase`` of ``planes[n, c]`` from flat index ``shift``."""
    return planes[n, c, phase, shift:shift + size]


@_jit
def forward_wide(xph, w, y, phase_of, shift_of, L):
    """``y (N, F, OH * Wq)`` (overwritten): every output the sum over the kernel positions."""
    N, C = xph.shape[:2]
    F, K = w.shape
    m = F // C
    for n in range(N):
        for f in range(F):
            y[n, f, :] = 0
            for start in range(0, L, BLOCK):
                size = min(BLOCK, L - start)
                dst = y[n, f, start:start + size]
                q = 0
                while q + 3 <= K:         # three positions per pass: fewer loads and stores
                    s0 = _run(xph, n, f // m, phase_of[q], start + shift_of[q], size)
                    s1 = _run(xph, n, f // m, phase_of[q + 1], start + shift_of[q + 1], size)
                    s2 = _run(xph, n, f // m, phase_of[q + 2], start + shift_of[q + 2], size)
                    w0, w1, w2 = w[f, q], w[f, q + 1], w[f, q + 2]
                    for i in range(size):       # (the additions in the order of the positions)
                        dst[i] = ((dst[i] + w0 * s0[i]) + w1 * s1[i]) + w2 * s2[i]
                    q += 3
                for q in range(q, K):
                    shift = start + shift_of[q]
                    src = xph[n, f // m, phase_of[q], shift:shift + size]
                    wv = w[f, q]
                    for i in range(size):
                        dst[i] += wv * src[i]


@_jit
def grad_data_wide(gy, w, gxph, phase_of, shift_of, L):
    """``gxph (N, C, P, Hq * Wq)`` (overwritten) = the adjoint of :func:`forward_wide` applied to
    ``gy (N, F, OH * Wq)``, whose scratch columns must be zero."""
    N, C = gxph.shape[:2]
    F, K = w.shape
    m = F // C
    for n in range(N):
        for c in range(C):
            gxph[n, c] = 0
            for f in range(c * m, (c + 1) * m):
                for start in range(0, L, BLOCK):
                    size = min(BLOCK, L - start)
                    src = gy[n, f, start:start + size]
                    for q in range(K):
                        shift = start + shift_of[q]
                        dst = gxph[n, c, phase_of[q], shift:shift + size]
                        wv = w[f, q]
                        for i in range(size):
                            dst[i] += wv * src[i]


@njit(error_model='numpy', boundscheck=False, nogil=True, fastmath={'reassoc'})
def grad_weight_wide(gy, xph, gw, phase_of, shift_of, L):
    """``gw (F, K)`` float64 ``+=`` the weight gradient of :func:`forward_wide` (``gy``'s scratch
    columns zero): per filter and position a dot product in float64 of exact products, summed in
    vector lanes (``reassoc``: only the order of the additions may change)."""
    N, C = xph.shape[:2]
    F, K = gw.shape
    m = F // C
    for n in range(N):
        for f in range(F):
            for start in range(0, L, BLOCK):
                size = min(BLOCK, L - start)
                g = gy[n, f, start:start + size]
                q = 0
                while q + 3 <= K:         # three positions per pass: g read once for three
                    s0 = _run(xph, n, f // m, phase_of[q], start + shift_of[q], size)
                    s1 = _run(xph, n, f // m, phase_of[q + 1], start + shift_of[q + 1], size)
                    s2 = _run(xph, n, f // m, phase_of[q + 2], start + shift_of[q + 2], size)
                    t0 = t1 = t2 = 0.0
                    for i in range(size):
                        gi = float(g[i])
                        t0 += gi * s0[i]
                        t1 += gi * s1[i]
                        t2 += gi * s2[i]
                    gw[f, q] += t0
                    gw[f, q + 1] += t1
                    gw[f, q + 2] += t2
                    q += 3
                for q in range(q, K):
                    src = _run(xph, n, f // m, phase_of[q], start + shift_of[q], size)
                    t = 0.0
                    for i in range(size):
                        t += float(g[i]) * src[i]
                    gw[f, q] += t


@_jit
def _columns_inside(p1, sw, pw, W, wq):
    """The phase-plane columns ``j`` in ``[lo, hi)`` whose image column ``p1 + sw * j - pw``
    lies inside the image (``0 .. W - 1``)."""
    lo = max(0, (pw - p1 + sw - 1) // sw)
    hi = min(wq, (W - 1 + pw - p1) // sw + 1)
    return lo, max(lo, hi)


@_jit
def split_phases(x, planes, phase_rows, phase_cols, sh, sw, ph, pw, wq):
    """``planes (N, C, P, hq * wq)`` (overwritten) = the phase planes of ``x (N, C, H, W)``
    zero-padded by ``(ph, pw)``: element ``(i, j)`` of phase ``k`` is the padded image's
    ``(phase_rows[k] + sh * i, phase_cols[k] + sw * j)``, zero outside the image."""
    N, C, H, W = x.shape
    P, hq = planes.shape[2], planes.shape[3] // wq
    for n in range(N):
        for c in range(C):
            for k in range(P):
                p0, p1 = phase_rows[k], phase_cols[k]
                lo, hi = _columns_inside(p1, sw, pw, W, wq)
                for i in range(hq):
                    row = planes[n, c, k, i * wq:(i + 1) * wq]
                    y = p0 + sh * i - ph
                    if y < 0 or y >= H:
                        row[:] = 0
                        continue
                    row[:lo] = 0
                    row[hi:] = 0
                    if hi > lo:
                        first = p1 + sw * lo - pw
                        row[lo:hi] = x[n, c, y, first:first + sw * (hi - lo - 1) + 1:sw]


@_jit
def merge_phases(planes, gx, phase_rows, phase_cols, sh, sw, ph, pw, wq):
    """The inverse of :func:`split_phases` on the image: ``gx (N, C, H, W)`` receives every
    element that a phase plane holds (the caller zeroes ``gx`` first when some phase is missing,
    its elements never read)."""
    N, C, H, W = gx.shape
    P, hq = planes.shape[2], planes.shape[3] // wq
    for n in range(N):
        for c in range(C):
            for k in range(P):
                p0, p1 = phase_rows[k], phase_cols[k]
                lo, hi = _columns_inside(p1, sw, pw, W, wq)
                for i in range(hq):
                    y = p0 + sh * i - ph
                    if y < 0 or y >= H:
                        continue
                    if hi > lo:
                        first = p1 + sw * lo - pw
                        gx[n, c, y, first:first + sw * (hi - lo - 1) + 1:sw] = planes[
                            n, c, k, i * wq + lo:i * wq + hi]
