"""Numba kernels for the deformable convolutions (optional; see
:mod:`minigluon.ops.deformable_conv`, which calls them when Numba is installed).

The array form builds, for every sampling point, four index arrays and four weight arrays, gathers
each corner for every channel with ``take_along_axis`` and scatters the data gradient with one
``bincount`` over ``4 * C * K * N * L`` entries; at (16, 64, 32, 32) with 64 3x3 filters those
gathers and that scatter took about 80% of its forward + backward, the GEMMs 4%. Here, per image,
deformable group and tap ``k``:

1. :func:`_tap_table` computes the bilinear corners of tap ``k`` for every output pixel once
   (shared by the ``C / DG`` channels of the group): the position of the top-left corner in the
   image padded with a border of zeros (the other three are its neighbours; a corner outside the
   image reads the border, so no corner needs a test), and the fractions of the point past it;
2. then each channel of the group makes one pass over that table, reading (and in the backward
   adding into) a single padded ``(H + 2, W + 2)`` plane, which stays in the L1 cache:
   :func:`deformable_im2col` writes one row of the column matrix; :func:`deformable_col2im` adds
   the column gradient into the four corners of the data gradient and sums the offset and mask
   gradients of every output pixel over the channels, written once per tap.

Per channel and point the forward costs about 2 ns here and the backward about 6 ns, about half
of that the scatter into the data gradient (process time, 2 images of (64, 32, 32)). Measured
alike and not kept: looping over the channels inside each point (no tables; every point then
touches a cache line in each of 64 planes 4 KiB apart): forward 7.3 ns, backward 8.5 ns; tables
of four clamped positions and four weights and their derivatives per point (no padding): 2.5 and
8.4 ns; with those, two channels per pass over the table, float32 sums or FMA contraction: each
within 10%. The kernels are scalar code: LLVM does not vectorise the gathers.

Both kernels work on a range of images, so CPU workers (:mod:`minigluon.ops._parallel`) can share
the batch: every image's entries are written by one call only.

Sampling rules, as the array form (:class:`minigluon.ops.deformable_conv._Sampling`):
``clamp_last`` (v1) reads 0 unless ``0 <= y < H`` and ``0 <= x < W`` and reads the last row
(column) without interpolating past it; otherwise (v2) a point reads 0 unless ``-1 < y < H`` and
``-1 < x < W`` and its corners outside the image read 0 (here: the zero border; a point that
reads 0 points at the border's corner with zero weights, so, unlike the array form, a NaN or
infinity in the image reaches only the points that read it). The point's position is computed in
the arrays' dtype (as the array form and MXNet do), the fractions in float64 and stored in the
arrays' dtype; the sums over channels of the offset and mask gradients are float64. Results agree
with the array form to a few float32 ulps.
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
               corner, factors, scale):
    """The bilinear corners of tap ``k`` of deformable group ``g`` of image ``i`` for every output
    pixel ``l = oy * Wo + ox``, for planes padded with one row and column of zeros on each side
    (``(H + 2, W + 2)``): ``corner (L,)``, the flat padded position of the top-left corner
    ``(y0, x0)`` (the others are ``+1``, ``+ (W + 2)``, ``+ (W + 2) + 1``; a corner outside the
    image reads the zero border); ``factors (6, L)``: ``1 - ly``, ``ly``, ``1 - lx``, ``lx`` (the
    fractions of the point past ``y0`` and ``x0``; all 0 for a point that reads 0, which points at
    the zero corner of the padding), then 1 where the value may move along y (x), 0 where v1 clamps
    the point to the last row (column) or the point reads 0; ``scale (L,)``, the mask (1 without)."""
    taps, ho = grid_y.shape
    wo = grid_x.shape[1]
    ch = 2 * (g * taps + k)                     # offset channels: dy, then dx
    for oy in range(ho):
        for ox in range(wo):
            col = oy * wo + ox
            py = grid_y[k, oy] + offset[i, ch, oy, ox]
            px = grid_x[k, ox] + offset[i, ch + 1, oy, ox]
            scale[col] = mask[i, g * taps + k, oy, ox] if modulated else 1.0
            if not _inside(py, px, h, w, clamp_last):
                corner[col] = 0
                for r in range(6):
                    factors[r, col] = 0.0
                continue
            y0, y1, ly = _axis(py, h, clamp_last)
            x0, x1, lx = _axis(px, w, clamp_last)
            corner[col] = (y0 + 1) * (w + 2) + x0 + 1
            factors[0, col], factors[1, col] = 1.0 - ly, ly
            factors[2, col], factors[3, col] = 1.0 - lx, lx
            factors[4, col] = 1.0 if y1 != y0 else 0.0
            factors[5, col] = 1.0 if x1 != x0 else 0.0


@_jit
def _tables(data, length):
    """Empty tap tables for :func:`_tap_table`: int32 positions (the caller keeps planes under
    2**31 pixels; half the memory traffic of int64), floats in ``data``'s dtype."""
    return (np.empty(length, np.int32), np.empty((6, length), data.dtype),
            np.empty(length, data.dtype))


@_jit
def deformable_im2col(data, offset, mask, modulated, grid_y, grid_x, clamp_last, cols):
    """The deformable column matrix of a range of images.

    ``data (n, C, H + 2, W + 2)``: the images padded with one row and column of zeros on each
    side (C-contiguous); ``offset (n, 2 * DG * K, Ho, Wo)``, ``mask (n, DG * K, Ho, Wo)`` (read
    only when ``modulated``); ``grid_y (K, Ho)`` and ``grid_x (K, Wo)``: the undeformed position of
    tap ``k`` for output row ``oy`` (column ``ox``) in the unpadded image, ``o * stride - pad +
    i * dilate``. Writes ``cols (C, K, n, Ho * Wo)``: entry ``[c, k, i, oy * Wo + ox]`` is channel
    ``c`` of image ``i`` sampled at tap ``k`` of output pixel ``(oy, ox)``, times the mask.

    Loops: image, deformable group, tap (its table of corners, :func:`_tap_table`), then each
    channel of the group: one pass over the output pixels reading that channel's plane,
    ``(1 - ly) * top + ly * bottom`` with ``top = (1 - lx) * v00 + lx * v01`` (bottom alike)."""
    n_img, channels, hp, wp = data.shape
    taps, ho = grid_y.shape
    length = ho * grid_x.shape[1]
    groups = offset.shape[1] // (2 * taps)
    per_group = channels // groups
    corner, factors, scale = _tables(data, length)
    for i in range(n_img):
        for g in range(groups):
            for k in range(taps):
                _tap_table(offset, mask, modulated, i, g, k, grid_y, grid_x, hp - 2, wp - 2,
                           clamp_last, corner, factors, scale)
                for c in range(g * per_group, (g + 1) * per_group):
                    plane, out = data[i, c].reshape(hp * wp), cols[c, k, i]
                    for col in range(length):
                        p = corner[col]
                        hx, lx = factors[2, col], factors[3, col]
                        top = hx * plane[p] + lx * plane[p + 1]
                        bottom = hx * plane[p + wp] + lx * plane[p + wp + 1]
                        out[col] = (factors[0, col] * top + factors[1, col] * bottom) * scale[col]


@_jit
def deformable_col2im(data, offset, mask, modulated, grid_y, grid_x, clamp_last, gcols,
                      gdata, goffset, gmask):
    """The backward of :func:`deformable_im2col` for the same range of images, given ``gcols``
    (its shape, the gradient of the loss with respect to ``cols``).

    Adds into ``gdata`` (``data``'s padded shape, C-contiguous, zeros on entry; its border is
    scratch) the data gradient; writes ``goffset`` (``offset``'s shape) and, when ``modulated``,
    ``gmask`` (``mask``'s shape). Per point and channel, with ``top``, ``bottom`` as in the forward
    and ``g = gcols * mask``: the mask gradient is ``sum_c gcols * ((1 - ly) * top + ly *
    bottom)``, the y-offset gradient ``sum_c g * (bottom - top)`` (the derivative of the
    interpolation along y), the x one ``sum_c g * ((1 - ly) * (v01 - v00) + ly * (v11 - v10))``,
    and each corner of the data gradient receives ``g`` times its weight. The sums over channels
    are kept per output pixel (float64) and written once per tap."""
    n_img, channels, hp, wp = data.shape
    taps, ho = grid_y.shape
    wo = grid_x.shape[1]
    length = ho * wo
    groups = offset.shape[1] // (2 * taps)
    per_group = channels // groups
    corner, factors, scale = _tables(data, length)
    sums = np.empty((3, length))                # per pixel: d offset y, d offset x, d mask
    for i in range(n_img):
        for g in range(groups):
            for k in range(taps):
                _tap_table(offset, mask, modulated, i, g, k, grid_y, grid_x, hp - 2, wp - 2,
                           clamp_last, corner, factors, scale)
                sums[...] = 0.0
                for c in range(g * per_group, (g + 1) * per_group):
                    plane, gplane = data[i, c].reshape(hp * wp), gdata[i, c].reshape(hp * wp)
                    gcol = gcols[c, k, i]
                    for col in range(length):
                        # table entries read into locals first: the stores below could alias
                        # any array for all the compiler knows, and would force reloads
                        p = corner[col]
                        hy, ly = factors[0, col], factors[1, col]
                        hx, lx = factors[2, col], factors[3, col]
                        v00, v01 = plane[p], plane[p + 1]
                        v10, v11 = plane[p + wp], plane[p + wp + 1]
                        top, bottom = hx * v00 + lx * v01, hx * v10 + lx * v11
                        grad = gcol[col]
                        if modulated:
                            sums[2, col] += grad * (hy * top + ly * bottom)
                        grad = grad * scale[col]
                        sums[0, col] += grad * factors[4, col] * (bottom - top)
                        sums[1, col] += grad * factors[5, col] * (hy * (v01 - v00)
                                                                  + ly * (v11 - v10))
                        upper, lower = grad * hy, grad * ly
                        gplane[p] += upper * hx
                        gplane[p + 1] += upper * lx
                        gplane[p + wp] += lower * hx
                        gplane[p + wp + 1] += lower * lx
                ch = 2 * (g * taps + k)
                goffset[i, ch] = sums[0].reshape(ho, wo)
                goffset[i, ch + 1] = sums[1].reshape(ho, wo)
                if modulated:
                    gmask[i, g * taps + k] = sums[2].reshape(ho, wo)
