"""Numba kernels for the im2col copy and its adjoint (col2im) of the per-image convolution
(optional; see :meth:`minigluon.ops._conv_per_image._Columns.fill` and
:meth:`~minigluon.ops._conv_per_image._Columns.scatter_add`, which call them when Numba is
installed).

col2im: the NumPy form adds the column block of each kernel position into the image's gradient,
one array call per kernel position (plus, in the shifted fast case, calls that zero the entries
which wrapped around a row edge). At captcha's second convolution, a (16, 16, 50) image and a
3x3 kernel, that is nine read-modify-write passes over the image gradient, ~75 us per image on
one core. Here each row of the image gradient receives every kernel position's contribution in
the same order as the NumPy passes (kernel positions in row-major order) while it sits in the
cache: ~25 us, and the same sums bit for bit (each element gets the same additions in the same
order; entries that only read padding are never added, as in the NumPy form). One exception:
when NaNs of both signs meet in one sum, the sign of the resulting NaN may differ, as it does
between NumPy's own SIMD and scalar loops (found by a breaker session with 17 channels).

im2col: the same copies as the NumPy form's (one long shifted copy per kernel position plus the
calls that zero wrapped entries, or one strided box copy per kernel position), made row by row
in one call; the same columns bit for bit. Captcha training step, A/B in one process: col2im
-4.5 ms, im2col -1.4 ms more (about 60 ms hybridized), the same in eager mode.

Covered: 2-D convolutions with stride 1 (any kernel, dilation and padding), float32 or float64
NumPy arrays in native byte order. Other cases keep the NumPy passes.
"""
from minigluon.ops._numba import njit

# error_model 'numpy': no division-by-zero checks; no fastmath, so the sums are the NumPy ones
_jit = njit(error_model='numpy', boundscheck=False, nogil=True)   # nogil: for CPU workers


@_jit
def col2im_stride1_2d(dcols, target, r0, kh, kw, dh, dw, ph, pw):
    """``target (C, H, W) +=`` the adjoint of the im2col copy for output rows ``r0 ..
    r0 + rows - 1``: ``dcols (C, kh * kw, rows, OW)`` holds, for kernel position ``(a, b)`` and
    output position ``(r0 + oy, ox)``, the gradient of input element ``(r0 + oy + a * dh - ph,
    ox + b * dw - pw)``; positions outside the input are skipped."""
    C, H, W = target.shape
    rows, OW = dcols.shape[2], dcols.shape[3]
    for c in range(C):
        for y in range(H):
            row = target[c, y]
            for a in range(kh):
                oy = y - a * dh + ph - r0          # the output row whose window row a reads y
                if oy < 0 or oy >= rows:
                    continue
                for b in range(kw):
                    dx = b * dw - pw               # input column = output column + dx
                    x0 = max(0, dx)
                    x1 = min(W, OW + dx)
                    if x1 <= x0:
                        continue
                    # slices, so that the indices below start at 0 and the loop vectorises
                    # (an index Numba cannot prove non-negative gets a wraparound check)
                    src = dcols[c, a * kw + b, oy, x0 - dx:x1 - dx]
                    dst = row[x0:x1]
                    for i in range(x1 - x0):
                        dst[i] += src[i]


@_jit
def im2col_stride1_2d(image, cols, r0, kh, kw, dh, dw, ph, pw):
    """The im2col copy that :func:`col2im_stride1_2d` is the adjoint of: ``cols (C, kh * kw,
    rows, OW)`` receives, for kernel position ``(a, b)`` and output position ``(r0 + oy, ox)``,
    input element ``(r0 + oy + a * dh - ph, ox + b * dw - pw)`` of ``image (C, H, W)``, or 0
    where that lies in the padding."""
    C, H, W = image.shape
    rows, OW = cols.shape[2], cols.shape[3]
    for c in range(C):
        for a in range(kh):
            for b in range(kw):
                dx = b * dw - pw
                x0 = min(OW, max(0, -dx))               # output columns reading the input
                x1 = max(x0, min(OW, W - dx))
                for oy in range(rows):
                    y = r0 + oy + a * dh - ph
                    dst = cols[c, a * kw + b, oy]
                    if y < 0 or y >= H:
                        for i in range(OW):
                            dst[i] = 0
                        continue
                    for i in range(x0):
                        dst[i] = 0
                    src = image[c, y, x0 + dx:x1 + dx]
                    inside = dst[x0:x1]
                    for i in range(x1 - x0):
                        inside[i] = src[i]
                    for i in range(x1, OW):
                        dst[i] = 0
