"""Numba kernels of the 2-D depthwise convolution (optional; :mod:`minigluon.ops._conv_depthwise`
calls them for float32/float64 NumPy arrays when Numba is installed, and keeps its NumPy form
otherwise).

Each kernel works one image plane at a time, in small scratch arrays of its own that stay in the
cache: the plane of ``x (N, C, H, W)`` is copied into its *phases*
(:class:`minigluon.ops._conv_depthwise._Phases`), the zero-padded image ``xpad`` (``Hp x Wp``) as
the planes ``xpad[p0::sh, p1::sw]``, each stored with ``Wq = ceil(Wp / sw)`` columns (and zeros
beyond the image; the zeros are written once per call, only the image's elements per plane).
Kernel position ``q = (a, b)`` reads, for output ``(oy, ox)``, ``xpad[oy * sh + a * dh, ox * sw +
b * dw]``, which is element ``(oy + a * dh // sh, ox + b * dw // sw)`` of phase ``(a * dh % sh, b *
dw % sw)``: with the output stored with the same row length ``Wq`` ("wide": columns ``OW .. Wq -
1`` are scratch), a contiguous run of ``L = (OH - 1) * Wq + OW`` elements of one phase plane,
shifted by ``shift_of[q]`` (``phase_of[q]`` says which plane). With stride 1 there is one phase,
the padded image itself. The wide output plane is then copied into ``y (N, F, OH, OW)`` with the
bias added. The backward copies the head gradient into a wide plane whose scratch columns stay
zero; the data gradient gathers it into phase planes (the forward's sums the other way, see
:func:`grad_data`) merged back into the image; the weight gradient is a kernel of its own
(:func:`grad_weight`, the only one allowed to reorder its additions).

One pass over the data and one over the output per call, instead of whole padded, wide and
cropped arrays in memory (measured in session 20, x PyTorch on one core, in-process A/B against
whole arrays, (8, 32, 112, 112) float32, 3x3: forward 1.12 -> 0.72, forward + backward 1.08 ->
0.74). The copies index views by the loop
counter alone: ``x[n, c, yy, first + j]`` makes Numba check for a negative index on every element
and copy without vector instructions (5-10x slower).

Shapes: ``w (F, K)`` the weight with ``F = C * M`` (filter ``f`` reads input channel ``f // M``)
and its K kernel positions in row-major order. The sums run over blocks of BLOCK elements of the
wide plane, every kernel position per block, so that the block of the output (and of the input,
a few rows longer) stays in the L1 cache; every kernel takes three positions per pass over a
block (one load and store of the output, or one load of the gradient, for three positions). The
forward sums each output over the kernel positions in row-major order, starting from zero, then
adds the bias, as the NumPy form does; so does the data gradient for each element of the padded
image (with a depth multiplier above 1, filter by filter); the weight gradient is accumulated in
float64.
"""
import numpy as np

from minigluon.ops._numba import njit

# error_model 'numpy': no division-by-zero checks; no fastmath, so the sums are the NumPy ones
_jit = njit(error_model='numpy', boundscheck=False, nogil=True)   # nogil: for CPU workers
# inlined into the kernels (Numba's own inlining): a call per image plane, with its array
# arguments, costs about as much as the copy it makes on small planes (the data gradient of a
# (8, 576, 7, 7) float32 batch: 1.0 -> 0.66 ms)
_inlined = njit(error_model='numpy', boundscheck=False, nogil=True, inline='always')

BLOCK = 2048


@_inlined
def _split(x, n, c, xs, spans, sh, sw, wq):
    """The image's elements of plane ``x[n, c]`` into the phase planes ``xs (P, hq * wq)`` (the
    elements outside the image are not written: the caller zeroes them once). Phase ``k`` holds
    image rows ``spans[k, 2] + sh * (i - spans[k, 0])`` in its rows ``i`` of ``spans[k, 0] ..
    spans[k, 1] - 1``, image columns ``spans[k, 5] + sw * (j - spans[k, 3])`` in its columns
    ``j`` of ``spans[k, 3] .. spans[k, 4] - 1`` (:meth:`minigluon.ops._conv_depthwise._Phases.args`)."""
    for k in range(xs.shape[0]):
        ilo, ihi, yy, lo, hi, first = (spans[k, 0], spans[k, 1], spans[k, 2], spans[k, 3],
                                       spans[k, 4], spans[k, 5])
        # views indexed by the loop counter alone (Numba then knows the index is not negative
        # and vectorises the copy; x[n, c, yy, first + j] was 5-10x slower), and the test of the
        # stride outside the row loop (inside it, 2.4x slower on 7 x 7 planes)
        if sw == 1:          # (a contiguous view: a vector copy)
            for i in range(ilo, ihi):
                dst = xs[k, i * wq + lo:i * wq + hi]
                src = x[n, c, yy, first:first + hi - lo]
                for j in range(hi - lo):
                    dst[j] = src[j]
                yy += sh
        else:
            for i in range(ilo, ihi):
                dst = xs[k, i * wq + lo:i * wq + hi]
                srcs = x[n, c, yy, first:first + sw * (hi - lo - 1) + 1:sw]
                for j in range(hi - lo):
                    dst[j] = srcs[j]
                yy += sh


@_inlined
def _merge(gxs, gx, n, c, spans, sh, sw, wq):
    """The inverse of :func:`_split` on the image: ``gx[n, c]`` receives every element that a
    phase plane of ``gxs`` holds (the caller zeroes ``gx[n, c]`` first when some phase is missing,
    its elements never read)."""
    for k in range(gxs.shape[0]):
        ilo, ihi, yy, lo, hi, first = (spans[k, 0], spans[k, 1], spans[k, 2], spans[k, 3],
                                       spans[k, 4], spans[k, 5])
        if sw == 1:
            for i in range(ilo, ihi):
                src = gxs[k, i * wq + lo:i * wq + hi]
                dst = gx[n, c, yy, first:first + hi - lo]
                for j in range(hi - lo):
                    dst[j] = src[j]
                yy += sh
        else:
            for i in range(ilo, ihi):
                src = gxs[k, i * wq + lo:i * wq + hi]
                dsts = gx[n, c, yy, first:first + sw * (hi - lo - 1) + 1:sw]
                for j in range(hi - lo):
                    dsts[j] = src[j]
                yy += sh


@_jit
def forward(x, w, b, has_bias, y, spans, sh, sw, hq, wq, phase_of, shift_of):
    """``y (N, F, OH, OW)`` (overwritten): every output the sum over the kernel positions, plus
    ``b[f]`` when ``has_bias``."""
    N, C = x.shape[:2]
    F, K = w.shape
    OH, OW = y.shape[2], y.shape[3]
    m = F // C
    P = spans.shape[0]
    L = (OH - 1) * wq + OW
    xs = np.zeros((P, hq * wq), x.dtype)
    ys = np.empty(L, y.dtype)
    for n in range(N):
        for c in range(C):
            _split(x, n, c, xs, spans, sh, sw, wq)
            for f in range(c * m, (c + 1) * m):
                ys[:] = 0
                for start in range(0, L, BLOCK):
                    size = min(BLOCK, L - start)
                    dst = ys[start:start + size]
                    q = 0
                    while q + 3 <= K:         # three positions per pass: fewer loads and stores
                        a0 = start + shift_of[q]
                        a1 = start + shift_of[q + 1]
                        a2 = start + shift_of[q + 2]
                        s0 = xs[phase_of[q], a0:a0 + size]
                        s1 = xs[phase_of[q + 1], a1:a1 + size]
                        s2 = xs[phase_of[q + 2], a2:a2 + size]
                        w0, w1, w2 = w[f, q], w[f, q + 1], w[f, q + 2]
                        for i in range(size):       # (the additions in the order of the positions)
                            dst[i] = ((dst[i] + w0 * s0[i]) + w1 * s1[i]) + w2 * s2[i]
                        q += 3
                    for q in range(q, K):
                        a0 = start + shift_of[q]
                        src = xs[phase_of[q], a0:a0 + size]
                        wv = w[f, q]
                        for i in range(size):
                            dst[i] += wv * src[i]
                for oy in range(OH):
                    row = ys[oy * wq:oy * wq + OW]
                    out = y[n, f, oy]
                    if has_bias:
                        bf = b[f]
                        for ox in range(OW):
                            out[ox] = row[ox] + bf
                    else:
                        for ox in range(OW):
                            out[ox] = row[ox]


@_inlined
def _wide_gradient(gy, n, f, gys, at, wq):
    """Plane ``gy[n, f] (OH, OW)`` into ``gys`` from index ``at`` on, rows ``wq`` apart (the
    elements between them are left as they are: zero)."""
    OH, OW = gy.shape[2], gy.shape[3]
    for oy in range(OH):
        src = gy[n, f, oy]
        row = gys[at + oy * wq:at + oy * wq + OW]
        for ox in range(OW):
            row[ox] = src[ox]


@_jit
def grad_data(gy, w, gx, spans, sh, sw, hq, wq, shift_of, by_phase, phase_bounds):
    """``gx (N, C, H, W)`` (overwritten) = the adjoint of :func:`forward` (without its bias)
    applied to ``gy (N, F, OH, OW)``: each element of each phase plane gathers, for the kernel
    positions of its phase (``by_phase[phase_bounds[k]:phase_bounds[k + 1]]``, ascending), the
    wide gradient shifted back by the position's offset, three positions per pass as the
    forward (a scatter per position took three times the loads and stores). The wide gradient
    sits ``S = max(shift_of)`` elements into a zeroed scratch, so that every shifted run lies in
    it; the zeros it reads before, between and after the outputs add ``w * 0``, which changes no
    sum (every sum starts from +0, so none is -0)."""
    N, C, H, W = gx.shape
    F, K = w.shape
    OH, OW = gy.shape[2], gy.shape[3]
    m = F // C
    P = spans.shape[0]
    plane = hq * wq
    S = 0
    for q in range(K):
        S = max(S, shift_of[q])
    full = P == sh * sw
    gxs = np.empty((P, plane), gy.dtype)
    gys = np.zeros(S + plane, gy.dtype)
    for n in range(N):
        for c in range(C):
            gxs[:] = 0
            for f in range(c * m, (c + 1) * m):
                _wide_gradient(gy, n, f, gys, S, wq)
                for k in range(P):
                    for start in range(0, plane, BLOCK):
                        size = min(BLOCK, plane - start)
                        dst = gxs[k, start:start + size]
                        j = phase_bounds[k]
                        while j + 3 <= phase_bounds[k + 1]:
                            q0, q1, q2 = by_phase[j], by_phase[j + 1], by_phase[j + 2]
                            a0 = S - shift_of[q0] + start
                            a1 = S - shift_of[q1] + start
                            a2 = S - shift_of[q2] + start
                            g0 = gys[a0:a0 + size]
                            g1 = gys[a1:a1 + size]
                            g2 = gys[a2:a2 + size]
                            w0, w1, w2 = w[f, q0], w[f, q1], w[f, q2]
                            for i in range(size):
                                dst[i] = ((dst[i] + w0 * g0[i]) + w1 * g1[i]) + w2 * g2[i]
                            j += 3
                        for j in range(j, phase_bounds[k + 1]):
                            a0 = S - shift_of[by_phase[j]] + start
                            g0 = gys[a0:a0 + size]
                            wv = w[f, by_phase[j]]
                            for i in range(size):
                                dst[i] += wv * g0[i]
            if not full:
                gx[n, c] = 0
            _merge(gxs, gx, n, c, spans, sh, sw, wq)


@njit(error_model='numpy', boundscheck=False, nogil=True, fastmath={'reassoc'})
def grad_weight(gy, x, gw, spans, sh, sw, hq, wq, phase_of, shift_of):
    """``gw (F, K)`` float64 ``+=`` the weight gradient of :func:`forward` for ``gy (N, F, OH,
    OW)``: per filter, position and block of the wide gradient a dot product in float64 of exact
    products with the input run, summed in vector lanes (``reassoc``: only the order of the
    additions may change; nothing else in this kernel adds)."""
    N, C = x.shape[:2]
    F, K = gw.shape
    OH, OW = gy.shape[2], gy.shape[3]
    m = F // C
    P = spans.shape[0]
    L = (OH - 1) * wq + OW
    xs = np.zeros((P, hq * wq), x.dtype)
    gys = np.zeros(L, gy.dtype)            # its scratch columns stay zero
    for n in range(N):
        for c in range(C):
            _split(x, n, c, xs, spans, sh, sw, wq)
            for f in range(c * m, (c + 1) * m):
                _wide_gradient(gy, n, f, gys, 0, wq)
                for start in range(0, L, BLOCK):
                    size = min(BLOCK, L - start)
                    g = gys[start:start + size]
                    q = 0
                    while q + 3 <= K:         # three positions per pass: g read once for three
                        a0 = start + shift_of[q]
                        a1 = start + shift_of[q + 1]
                        a2 = start + shift_of[q + 2]
                        s0 = xs[phase_of[q], a0:a0 + size]
                        s1 = xs[phase_of[q + 1], a1:a1 + size]
                        s2 = xs[phase_of[q + 2], a2:a2 + size]
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
                        a0 = start + shift_of[q]
                        s0 = xs[phase_of[q], a0:a0 + size]
                        t0 = 0.0
                        for i in range(size):
                            t0 += float(g[i]) * s0[i]
                        gw[f, q] += t0
