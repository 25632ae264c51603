"""Numba kernels for the deformable convolutions (optional; see
:mod:`minigluon.ops.deformable_conv`, which calls them when Numba is installed).

The NumPy form builds, for every sampling point, four index arrays and four weight arrays, gathers
each corner for every channel with ``take_along_axis`` and scatters the data gradient with one
``bincount`` over ``4 * C * K * N * L`` entries: most of its time goes into those gathers and that
scatter (``bench/bench_deformable.py``). Here each sampling point is handled once:

* its bilinear corners and fractions are computed once (shared by the ``C / DG`` channels of its
  deformable group);
* then a loop over those channels reads the four corners of each channel's plane (a few cache
  lines, since neighbouring points read neighbouring pixels) and writes one column entry
  (:func:`deformable_im2col`), or, in the backward (:func:`deformable_col2im`), adds the column
  gradient into the four corners of the data gradient and sums the offset and mask gradients of
  the point over the channels in registers, writing each once.

Both kernels work on a range of images, so CPU workers (:mod:`minigluon.ops._parallel`) can share
the batch: every image's entries are written by one call only.

Sampling rules, as the NumPy form (:class:`minigluon.ops.deformable_conv._Sampling`):
``clamp_last`` (v1) reads 0 unless ``0 <= y < H`` and ``0 <= x < W`` and reads the last row
(column) without interpolating past it; otherwise (v2) a point reads 0 unless ``-1 < y < H`` and
``-1 < x < W`` and its corners outside the image read 0. The point's position is computed in the
arrays' dtype (as the NumPy form and MXNet do); the interpolation in float64 scalars, rounded once
when stored (results agree with the NumPy form to a few float32 ulps).
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
def _at(plane, y, x):
    """``plane[y, x]``, or 0 outside the plane."""
    if y >= 0 and x >= 0 and y < plane.shape[0] and x < plane.shape[1]:
        return float(plane[y, x])
    return 0.0


@_jit
def _add(plane, y, x, value):
    """``plane[y, x] += value`` unless ``(y, x)`` lies outside the plane."""
    if y >= 0 and x >= 0 and y < plane.shape[0] and x < plane.shape[1]:
        plane[y, x] += value


@_jit
def deformable_im2col(data, offset, mask, modulated, grid_y, grid_x, clamp_last, cols):
    """The deformable column matrix of a range of images.

    ``data (n, C, H, W)``, ``offset (n, 2 * DG * K, Ho, Wo)``, ``mask (n, DG * K, Ho, Wo)`` (read
    only when ``modulated``); ``grid_y (K, Ho)`` and ``grid_x (K, Wo)``: the undeformed position of
    tap ``k`` for output row ``oy`` (column ``ox``), ``o * stride - pad + i * dilate``. Writes
    ``cols (C, K, n, Ho * Wo)``: entry ``[c, k, i, oy * Wo + ox]`` is channel ``c`` of image ``i``
    sampled at tap ``k`` of output pixel ``(oy, ox)`` (times the mask).

    Loops: image, deformable group, tap, output pixel (the point and its corners, once), then the
    group's channels."""
    n_img, channels, h, w = data.shape
    taps, ho = grid_y.shape
    wo = grid_x.shape[1]
    groups = offset.shape[1] // (2 * taps)
    per_group = channels // groups
    for i in range(n_img):
        for g in range(groups):
            for k in range(taps):
                ch = 2 * (g * taps + k)                 # offset channels: dy, then dx
                for oy in range(ho):
                    for ox in range(wo):
                        col = oy * wo + ox
                        py = grid_y[k, oy] + offset[i, ch, oy, ox]
                        px = grid_x[k, ox] + offset[i, ch + 1, oy, ox]
                        if not _inside(py, px, h, w, clamp_last):
                            for c in range(g * per_group, (g + 1) * per_group):
                                cols[c, k, i, col] = 0
                            continue
                        y0, y1, ly = _axis(py, h, clamp_last)
                        x0, x1, lx = _axis(px, w, clamp_last)
                        hy, hx = 1.0 - ly, 1.0 - lx
                        m = float(mask[i, g * taps + k, oy, ox]) if modulated else 1.0
                        for c in range(g * per_group, (g + 1) * per_group):
                            plane = data[i, c]
                            value = (hy * hx * _at(plane, y0, x0) + hy * lx * _at(plane, y0, x1)
                                     + ly * hx * _at(plane, y1, x0) + ly * lx * _at(plane, y1, x1))
                            cols[c, k, i, col] = value * m


@_jit
def deformable_col2im(data, offset, mask, modulated, grid_y, grid_x, clamp_last, gcols,
                      gdata, goffset, gmask):
    """The backward of :func:`deformable_im2col` for the same range of images, given ``gcols``
    (its shape, the gradient of the loss with respect to ``cols``).

    Adds into ``gdata (n, C, H, W)`` (zeros on entry) the data gradient; writes ``goffset``
    (``offset``'s shape) and, when ``modulated``, ``gmask`` (``mask``'s shape). Per point, over
    the channels ``c`` of its group, with ``v`` the four corner values and ``g = gcols * mask``:
    the mask gradient is ``sum_c gcols * bilinear(v)``, the y-offset gradient
    ``sum_c g * (hx * (v10 - v00) + lx * (v11 - v01))`` (the derivative of the interpolation
    along y), the x-offset one likewise, and corner ``(a, b)`` of the data gradient receives
    ``g`` times its bilinear weight."""
    n_img, channels, h, w = data.shape
    taps, ho = grid_y.shape
    wo = grid_x.shape[1]
    groups = offset.shape[1] // (2 * taps)
    per_group = channels // groups
    for i in range(n_img):
        for g in range(groups):
            for k in range(taps):
                ch = 2 * (g * taps + k)
                for oy in range(ho):
                    for ox in range(wo):
                        col = oy * wo + ox
                        py = grid_y[k, oy] + offset[i, ch, oy, ox]
                        px = grid_x[k, ox] + offset[i, ch + 1, oy, ox]
                        sum_y, sum_x, sum_m = 0.0, 0.0, 0.0
                        if _inside(py, px, h, w, clamp_last):
                            y0, y1, ly = _axis(py, h, clamp_last)
                            x0, x1, lx = _axis(px, w, clamp_last)
                            hy, hx = 1.0 - ly, 1.0 - lx
                            m = float(mask[i, g * taps + k, oy, ox]) if modulated else 1.0
                            for c in range(g * per_group, (g + 1) * per_group):
                                plane, gplane = data[i, c], gdata[i, c]
                                v00, v01 = _at(plane, y0, x0), _at(plane, y0, x1)
                                v10, v11 = _at(plane, y1, x0), _at(plane, y1, x1)
                                grad = float(gcols[c, k, i, col])
                                if modulated:
                                    sum_m += grad * (hy * hx * v00 + hy * lx * v01
                                                     + ly * hx * v10 + ly * lx * v11)
                                grad *= m
                                sum_y += grad * (hx * (v10 - v00) + lx * (v11 - v01))
                                sum_x += grad * (hy * (v01 - v00) + ly * (v11 - v10))
                                _add(gplane, y0, x0, grad * hy * hx)
                                _add(gplane, y0, x1, grad * hy * lx)
                                _add(gplane, y1, x0, grad * ly * hx)
                                _add(gplane, y1, x1, grad * ly * lx)
                        goffset[i, ch, oy, ox] = sum_y
                        goffset[i, ch + 1, oy, ox] = sum_x
                        if modulated:
                            gmask[i, g * taps + k, oy, ox] = sum_m
