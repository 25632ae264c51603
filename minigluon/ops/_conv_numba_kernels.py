"""Numba kernel for the col2im step of the per-image convolution backward (optional; see
:meth:`minigluon.ops._conv_per_image._Columns.scatter_add`, which calls it when Numba is
installed).

The NumPy form adds the column block of each kernel position into the image's gradient, one
array call per kernel position (plus, in the shifted fast case, calls that zero the entries
which wrapped around a row edge). At captcha's second convolution, a (16, 16, 50) image and a
3x3 kernel, that is nine read-modify-write passes over the image gradient, ~75 us per image on
one core. Here each row of the image gradient is loaded once, receives every kernel position's
contribution in the same order as the NumPy passes (kernel positions in row-major order), and is
stored once: ~25 us, and the same sums bit for bit (each element gets the same additions in the
same order; entries that only read padding are never added, as in the NumPy form).

Covered: 2-D convolutions with stride 1 (any kernel, dilation and padding), float32 or float64
NumPy arrays. Other geometries keep the NumPy passes.
"""
from minigluon.ops._numba import njit

# error_model 'numpy': no division-by-zero checks; no fastmath, so the sums are the NumPy ones
_jit = njit(error_model='numpy', boundscheck=False)


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
