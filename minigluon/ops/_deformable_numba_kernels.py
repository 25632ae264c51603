"""Numba kernels for the deformable convolutions (optional; see
:mod:`minigluon.ops.deformable_conv`, which calls them when Numba is installed).

The array form builds, for every sampling point, four index arrays and four weight arrays, gathers
each corner for every channel with ``take_along_axis`` and scatters the data gradient with one
``bincount`` over ``4 * C * K * N * L`` entries; at (16, 64, 32, 32) with 64 3x3 filters those
gathers and that scatter took about 80% of its forward + backward, the GEMMs 4%. Here, per image,
deformable group and tap ``k``:

1. :func:`_tap_table` computes the four bilinear corners of tap ``k`` for every output pixel once
   (shared by the ``C / DG`` channels of the group): their positions in an ``(H, W)`` plane, their
   weights and the weights' derivatives along y and x;
2. then each channel of the group makes one pass over that table, reading (and in the backward
   adding into) a single ``(H, W)`` plane, which stays in the L1 cache:
   :func:`deformable_im2col` writes one row of the column matrix; :func:`deformable_col2im` adds
   the column gradient into the four corners of the data gradient and sums the offset and mask
   gradients of every output pixel over the channels, written once per tap.

Per channel and point the forward costs about 2.5 ns here and the backward about 8 ns, half of
that the scatter into the data gradient (process time, 2 images of (64, 32, 32)). Measured and
not kept: looping over the channels inside each point (no tables; every point then touches a
cache line in each of 64 planes 4 KiB apart): forward 7.3 ns, backward the same 8.5 ns; two
channels per pass over the table, float32 sums, FMA contraction, a 2x2 window with one position
per entry: each within 10%. The kernels are scalar code: LLVM does not vectorise the gathers.

Both kernels work on a range of images, so CPU workers (:mod:`minigluon.ops._parallel`) can share
the batch: every image's entries are written by one call only.

Sampling rules, as the array form (:class:`minigluon.ops.deformable_conv._Sampling`):
``clamp_last`` (v1) reads 0 unless ``0 <= y < H`` and ``0 <= x < W`` and reads the last row
(column) without interpolating past it; otherwise (v2) a point reads 0 unless ``-1 < y < H`` and
``-1 < x < W`` and its corners outside the image read 0. As there, a corner that reads 0 gets
weight 0 and a position clamped into the plane (so a NaN or infinity there still reaches the sum
as ``0 * x``). The point's position is computed in the arrays' dtype (as the array form and MXNet
do), the weights in float64 and stored in the arrays' dtype; the sums over channels of the offset
and mask gradients are float64. Results agree with the array form to a few float32 ulps.
"""
import numpy as np

from minigluon.ops._numba import njit

# error_model 'numpy': no division checks; nogil: CPU workers run it on image ranges at once
_jit = njit(error_model='numpy', boundscheck=False, nogil=True)


@_jit
def _inside(py, px, h, w, clamp_last):
    """Whether point ``(py, px)`` reads anything (v1: ``[0, H) x [0, W)``; v2: ``(-1, H) x (-1, W)``)."""
    if clamp_last:
        return py >= 0 and px >= 0 and py < h and px < w
    return py > -1 and px > -1 and py < h and px < w


@_jit
def _axis(p, size, clamp_last):
    """Along one axis: the two corner indices ``i0 <= p <= i1`` and the fraction ``p - i0``. With
    ``clamp_last`` a point at or past the last index ``size - 1`` uses that index twice, fraction 0."""
    low = np.floor(p)
    i0 = int(low)
    if clamp_last and i0 >= size - 1:
        return size - 1, size - 1, 0.0
    return i0, i0 + 1, float(p - low)


@_jit
def _tap_table(offset, mask, modulated, i, g, k, grid_y, grid_x, h, w, clamp_last,
               index, weight, d_y, d_x, scale):
    """The four bilinear corners of tap ``k`` of deformable group ``g`` of image ``i`` for every
    output pixel ``l = oy * Wo + ox``: ``index (4, L)``, each corner's flat position ``y * W + x``
    in an ``(H, W)`` plane; ``weight (4, L)``, its bilinear weight, 0 for a corner or point that
    reads 0 (its index then clamped into the plane, as the NumPy form does); ``d_y``, ``d_x``
    ``(4, L)``, the derivatives of the weight along y and x; ``scale (L,)`` the mask (1 without).
    Corners in the order ``(y0, x0), (y0, x1), (y1, x0), (y1, x1)``."""
    taps, ho = grid_y.shape
    wo = grid_x.shape[1]
    ch = 2 * (g * taps + k)                     # offset channels: dy, then dx
    for oy in range(ho):
        for ox in range(wo):
            col = oy * wo + ox
            py = grid_y[k, oy] + offset[i, ch, oy, ox]
            px = grid_x[k, ox] + offset[i, ch + 1, oy, ox]
            scale[col] = mask[i, g * taps + k, oy, ox] if modulated else 1.0
            inside = _inside(py, px, h, w, clamp_last)
            y0, y1, ly = _axis(py, h, clamp_last)
            x0, x1, lx = _axis(px, w, clamp_last)
            j = 0
            for y, wy, sy in ((y0, 1.0 - ly, -1.0), (y1, ly, 1.0)):
                for x, wx, sx in ((x0, 1.0 - lx, -1.0), (x1, lx, 1.0)):
                    ok = inside and y >= 0 and x >= 0 and y < h and x < w
                    index[j, col] = min(max(y, 0), h - 1) * w + min(max(x, 0), w - 1)
                    weight[j, col] = wy * wx if ok else 0.0
                    d_y[j, col] = sy * wx if ok else 0.0
                    d_x[j, col] = sx * wy if ok else 0.0
                    j += 1


@_jit
def _tables(data, taps, length):
    """Empty tap tables for :func:`_tap_table`: int32 positions (the caller keeps planes under
    2**31 pixels; half the memory traffic of int64, about 7% of the backward), floats in
    ``data``'s dtype."""
    return (np.empty((4, length), np.int32), np.empty((4, length), data.dtype),
            np.empty((4, length), data.dtype), np.empty((4, length), data.dtype),
            np.empty(length, data.dtype))


@_jit
def deformable_im2col(data, offset, mask, modulated, grid_y, grid_x, clamp_last, cols):
    """The deformable column matrix of a range of images.

    ``data (n, C, H, W)`` (C-contiguous), ``offset (n, 2 * DG * K, Ho, Wo)``, ``mask (n, DG * K,
    Ho, Wo)`` (read only when ``modulated``); ``grid_y (K, Ho)`` and ``grid_x (K, Wo)``: the
    undeformed position of tap ``k`` for output row ``oy`` (column ``ox``), ``o * stride - pad +
    i * dilate``. Writes ``cols (C, K, n, Ho * Wo)``: entry ``[c, k, i, oy * Wo + ox]`` is channel
    ``c`` of image ``i`` sampled at tap ``k`` of output pixel ``(oy, ox)``, times the mask.

    Loops: image, deformable group, tap (its table of corners, :func:`_tap_table`), then each
    channel of the group: one pass over the output pixels reading that channel's plane."""
    n_img, channels, h, w = data.shape
    taps, ho = grid_y.shape
    length = ho * grid_x.shape[1]
    groups = offset.shape[1] // (2 * taps)
    per_group = channels // groups
    index, weight, d_y, d_x, scale = _tables(data, taps, length)
    for i in range(n_img):
        for g in range(groups):
            for k in range(taps):
                _tap_table(offset, mask, modulated, i, g, k, grid_y, grid_x, h, w, clamp_last,
                           index, weight, d_y, d_x, scale)
                for c in range(g * per_group, (g + 1) * per_group):
                    plane, out = data[i, c].reshape(h * w), cols[c, k, i]
                    for col in range(length):
                        value = (weight[0, col] * plane[index[0, col]]
                                 + weight[1, col] * plane[index[1, col]]
                                 + weight[2, col] * plane[index[2, col]]
                                 + weight[3, col] * plane[index[3, col]])
                        out[col] = value * scale[col]


@_jit
def deformable_col2im(data, offset, mask, modulated, grid_y, grid_x, clamp_last, gcols,
                      gdata, goffset, gmask):
    """The backward of :func:`deformable_im2col` for the same range of images, given ``gcols``
    (its shape, the gradient of the loss with respect to ``cols``).

    Adds into ``gdata (n, C, H, W)`` (C-contiguous, zeros on entry) the data gradient; writes
    ``goffset`` (``offset``'s shape) and, when ``modulated``, ``gmask`` (``mask``'s shape). Per
    point, with ``v`` its four corner values in channel ``c`` and ``g = gcols * mask``: the mask
    gradient is ``sum_c gcols * (weight . v)``, the y-offset gradient ``sum_c g * (d_y . v)``
    (the x one alike), and each corner of the data gradient receives ``g`` times its weight. The
    sums over channels are kept per output pixel (float64) and written once per tap."""
    n_img, channels, h, w = data.shape
    taps, ho = grid_y.shape
    wo = grid_x.shape[1]
    length = ho * wo
    groups = offset.shape[1] // (2 * taps)
    per_group = channels // groups
    index, weight, d_y, d_x, scale = _tables(data, taps, length)
    sums = np.empty((3, length))                # per pixel: d offset y, d offset x, d mask
    for i in range(n_img):
        for g in range(groups):
            for k in range(taps):
                _tap_table(offset, mask, modulated, i, g, k, grid_y, grid_x, h, w, clamp_last,
                           index, weight, d_y, d_x, scale)
                sums[...] = 0.0
                for c in range(g * per_group, (g + 1) * per_group):
                    plane, gplane = data[i, c].reshape(h * w), gdata[i, c].reshape(h * w)
                    gcol = gcols[c, k, i]
                    for col in range(length):
                        # every table entry read into a local first: the stores below could
                        # alias any array for all the compiler knows, and would force reloads
                        i0, i1, i2, i3 = index[0, col], index[1, col], index[2, col], index[3, col]
                        w0, w1, w2, w3 = weight[0, col], weight[1, col], weight[2, col], weight[3, col]
                        v0, v1, v2, v3 = plane[i0], plane[i1], plane[i2], plane[i3]
                        grad = gcol[col]
                        if modulated:
                            sums[2, col] += grad * (w0 * v0 + w1 * v1 + w2 * v2 + w3 * v3)
                        grad = grad * scale[col]
                        along_y = d_y[0, col] * v0 + d_y[1, col] * v1 + d_y[2, col] * v2 + d_y[3, col] * v3
                        along_x = d_x[0, col] * v0 + d_x[1, col] * v1 + d_x[2, col] * v2 + d_x[3, col] * v3
                        sums[0, col] += grad * along_y
                        sums[1, col] += grad * along_x
                        gplane[i0] += grad * w0
                        gplane[i1] += grad * w1
                        gplane[i2] += grad * w2
                        gplane[i3] += grad * w3
                ch = 2 * (g * taps + k)
                goffset[i, ch] = sums[0].reshape(ho, wo)
                goffset[i, ch + 1] = sums[1].reshape(ho, wo)
                if modulated:
                    gmask[i, g * taps + k] = sums[2].reshape(ho, wo)
