"""Resampling kernels behind ``_image_resize`` (:class:`minigluon.ops.image.Resize`).

Images are ``(..., H, W, C)``: the two axes before the last are resized. ``interp`` takes
OpenCV's codes, which MXNet 1.9.1 hands to ``cv::resize`` (OpenCV 3.4.2 in its wheels)
unchanged: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos-4, each with OpenCV's weights.

Floating-point images are resampled in float (:func:`resize_bilinear`, :func:`resize_matrix`;
within ~1e-4 of MXNet). uint8 images go through :func:`resize_uint8`, which redoes OpenCV's
integer arithmetic and gives MXNet's bytes exactly (see there). Nearest neighbour only copies
pixels, so it serves every dtype.
"""
import math

import numpy as np

from minigluon.ops.resize import taps_matrix


def _step(n_in, n_out):
    """OpenCV's source distance between neighbouring output pixels: the reciprocal of the
    double ``n_out / n_in`` (which can differ from ``n_in / n_out`` in the last bit, enough to
    move a nearest-neighbour index)."""
    return 1.0 / (n_out / n_in)


def _linear_taps(n_out, n_in):
    """OpenCV's INTER_LINEAR source indices and weights along one axis (pixel centres aligned,
    coordinates clamped to the image)."""
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, src - lo


def resize_bilinear(xp, img, out_h, out_w):
    """Bilinear resize of the two axes before the last of a floating ``img``
    (``(..., H, W, C)``), computed in float and stored in ``img``'s dtype."""
    h, w = img.shape[-3], img.shape[-2]
    y0, y1, fy = (xp.asarray(a) for a in _linear_taps(out_h, h))
    x0, x1, fx = (xp.asarray(a) for a in _linear_taps(out_w, w))
    work = np.float32 if img.dtype in (np.float16, np.float32) else np.float64
    f = img.astype(work, copy=False)
    fx, fy = fx.astype(work)[:, None], fy.astype(work)[:, None, None]
    rows = [f[..., y, :, :] for y in (y0, y1)]
    top, bot = (r[..., x0, :] * (1 - fx) + r[..., x1, :] * fx for r in rows)
    return (top * (1 - fy) + bot * fy).astype(img.dtype, copy=False)


def resize_nearest(xp, img, out_h, out_w):
    """OpenCV's INTER_NEAREST, any dtype: output pixel ``i`` reads ``floor(i * step)`` with
    ``step = 1 / (out / in)`` in double, as OpenCV computes it. That step can fall a hair short
    of ``in / out``, so about 3% of the size pairs read another pixel than ``i * in / out``
    would: 6 -> 34 pixels, output 17 reads pixel 2 (``17 * 6 / 34`` is 3 exactly)."""
    h, w = img.shape[-3], img.shape[-2]

    def index(n_in, n_out):
        i = np.floor(np.arange(n_out) * _step(n_in, n_out)).astype(np.int64)
        return xp.asarray(np.minimum(i, n_in - 1))
    ys, xs = index(h, out_h), index(w, out_w)
    return xp.ascontiguousarray(img[..., ys, :, :][..., xs, :])


def _kernel_matrix(n_out, n_in, interp):
    """OpenCV's bicubic (2, a = -0.75, 4 taps) or Lanczos-4 (4, 8 taps) weights along one axis,
    sampling at ``(i + 0.5) * n_in / n_out - 0.5`` (pixel centres aligned)."""
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    base = np.floor(src)
    offsets = np.arange(-1, 3) if interp == 2 else np.arange(-3, 5)
    d = (src - base)[:, None] - offsets           # distance from the sample to each tap
    if interp == 2:
        a, d = -0.75, np.abs(d)
        w = np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                     ((a * d - 5 * a) * d + 8 * a) * d - 4 * a)
    else:                                         # sinc(d) sinc(d / 4), normalised to sum 1
        w = np.where(np.abs(d) < 1e-7, 1.0,
                     4 * np.sin(np.pi * d) * np.sin(np.pi * d / 4) / (np.pi * d) ** 2)
        w /= w.sum(axis=1, keepdims=True)
    return taps_matrix(base.astype(np.int64)[:, None] + offsets, w, n_in)


def _area_matrix(n_out, n_in, enlarging):
    """OpenCV's INTER_AREA along one axis: when neither axis grows, each output pixel averages the
    source interval ``[o * s, (o + 1) * s)`` weighted by overlap (``s = n_in / n_out``); when
    one grows, a linear blend of pixels ``floor(o * s)`` and the next whose weight is the part of
    the output pixel past that source pixel's right edge."""
    s = n_in / n_out
    if not enlarging:
        lo = np.arange(n_out)[:, None] * s
        i = np.arange(n_in)[None, :]
        return np.clip(np.minimum(lo + s, i + 1) - np.maximum(lo, i), 0, None) / s
    o = np.arange(n_out)
    left = np.floor(o * s).astype(np.int64)
    f = (o + 1) - (left + 1) * (n_out / n_in)
    f = np.where(f <= 0, 0.0, f - np.floor(f))
    return taps_matrix(np.stack([left, left + 1], 1), np.stack([1 - f, f], 1), n_in)


def resize_matrix(xp, img, out_h, out_w, interp):
    """Bicubic (2), area (3) and Lanczos-4 (4) resizes of a floating ``(..., H, W, C)`` with
    OpenCV's weights (the codes MXNet passes to ``cv::resize``), as two matrix products;
    computed in float64 and stored in ``img``'s dtype."""
    h, w = img.shape[-3], img.shape[-2]
    if interp == 3:
        enlarging = out_h > h or out_w > w
        my, mx = _area_matrix(out_h, h, enlarging), _area_matrix(out_w, w, enlarging)
    else:
        my, mx = _kernel_matrix(out_h, h, interp), _kernel_matrix(out_w, w, interp)
    out = xp.einsum('oh,...hwc->...owc', xp.asarray(my), img.astype(np.float64))
    out = xp.einsum('pw,...owc->...opc', xp.asarray(mx), out)
    return xp.ascontiguousarray(out.astype(img.dtype, copy=False))


# ---- uint8: OpenCV 3.4.2's integer arithmetic, as MXNet 1.9.1 runs it ----------------------

COEF_BITS = 11                  # OpenCV's INTER_RESIZE_COEF_BITS: weights are w * 2048, rounded
_F32 = np.float32
_I16 = (-32768, 32767)


def _fixed(weights):
    """float32 weights -> OpenCV's 11-bit fixed point (``w * 2048`` rounded half to even)."""
    return np.rint(weights.astype(_F32) * _F32(1 << COEF_BITS)).astype(np.int64)


def _cubic_weights(x):
    """OpenCV's bicubic weights (a = -0.75) of the 4 taps around offsets ``x`` (float32), in
    float32 with the last weight completing the sum to 1."""
    a, one = _F32(-0.75), _F32(1)
    x1, y = x + one, one - x
    w0 = ((a * x1 - _F32(5) * a) * x1 + _F32(8) * a) * x1 - _F32(4) * a
    w1 = ((a + _F32(2)) * x - (a + _F32(3))) * x * x + one
    w2 = ((a + _F32(2)) * y - (a + _F32(3))) * y * y + one
    return np.stack([w0, w1, w2, one - w0 - w1 - w2], 1)


_R2 = math.sqrt(0.5)
# sin(y0 + i*pi/4) * (-1)**i = s * sin(y0) + c * cos(y0) for tap i: (s, c) exactly
_LANCZOS_PHASES = np.array([(1, 0), (-_R2, -_R2), (0, 1), (_R2, -_R2), (-1, 0), (_R2, _R2), (0, -1),
                            (-_R2, _R2)])


def _lanczos_weights(x):
    """OpenCV's Lanczos-4 weights of the 8 taps around offsets ``x`` (float32): each
    ``sin(pi t) sin(pi t / 4) / t**2`` up to a common factor, from one sine and cosine in double
    (t = x + 3 - i in float32), stored in float32 and scaled by the float32 reciprocal of their
    float32 sum; an offset below float32's epsilon takes the centre pixel alone.

    An offset whose ``x + 3`` rounds to an integer in float32 puts a tap at t = 0 (OpenCV
    computes the offset of a position a hair below a pixel centre as 1.0: e.g. 1 -> 49 pixels,
    output 24). OpenCV 3.4.2 divides by zero there, its weights become NaN and MXNet 1.9.1 writes
    garbage (0s and 255s) in that output row or column. Here that tap takes weight 1, the limit
    of the weights as t -> 0, which is the pixel the position sits on."""
    out = np.zeros((len(x), 8), _F32)
    taps = np.arange(8, dtype=_F32)
    for r, xr in enumerate(x):
        t = (xr + _F32(3)) - taps
        if xr < np.finfo(_F32).eps or not t.all():
            out[r, 3 if xr < np.finfo(_F32).eps else int(np.argmin(np.abs(t)))] = 1
            continue
        y0 = -float(xr + _F32(3)) * math.pi * 0.25
        s0, c0 = math.sin(y0), math.cos(y0)
        y = -t.astype(np.float64) * math.pi * 0.25
        w = ((_LANCZOS_PHASES[:, 0] * s0 + _LANCZOS_PHASES[:, 1] * c0) / (y * y)).astype(_F32)
        total = _F32(0)
        for v in w:                      # float32 sum in tap order
            total = _F32(total + v)
        out[r] = w * (_F32(1) / total)
    return out


def _generic_taps(n_out, n_in, interp, area, horizontal):
    """Source indices (clamped to the image) and fixed-point weights, ``(n_out, K)`` each, of
    OpenCV's separable path along one axis: ``interp`` 1 (K 2), 2 (K 4) or 4 (K 8); ``area``
    for INTER_AREA when an axis grows (bilinear taps placed by pixel overlap). The offset is
    rounded to float32 before the weights are made from it; bilinear moves a tap that falls
    outside the row onto the edge pixel with weight 0 horizontally but not vertically."""
    d = np.arange(n_out, dtype=np.float64)
    if area:
        base = np.floor(d * _step(n_in, n_out))
        f = ((d + 1) - (base + 1) * (n_out / n_in)).astype(_F32)
        f = np.where(f <= 0, _F32(0), f - np.floor(f))
    else:
        f = ((d + 0.5) * _step(n_in, n_out) - 0.5).astype(_F32)
        base = np.floor(f)
        f = f - base
    base = base.astype(np.int64)
    if interp == 1:
        if horizontal:
            f = np.where((base < 0) | (base >= n_in - 1), _F32(0), f)
            base = np.clip(base, 0, n_in - 1)
        w, first = np.stack([_F32(1) - f, f], 1), 0
    elif interp == 2:
        w, first = _cubic_weights(f), -1
    else:
        w, first = _lanczos_weights(f), -3
    index = np.clip(base[:, None] + first + np.arange(w.shape[1]), 0, n_in - 1)
    return index, _fixed(w)


def _separable_uint8(xp, img, out_h, out_w, interp, area):
    """OpenCV's two-pass fixed-point resize of uint8 ``(..., H, W, C)``: rows are resampled
    into exact integer sums (pixel x weight, scale 2**11), then columns are combined per output
    element ``j`` of a row (``j = x * C + c``) as OpenCV's vertical pass does it:

    * bilinear (and growing area): its SIMD formula on every element:
      ``((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16)``, then ``(v + 2) >> 2`` in int16;
    * bicubic: elements below ``8 * floor(W*C / 8)`` in float32, ``((S0 b0 + S1 b1) + S2 b2)
      + S3 b3`` with ``b = beta / 2**22``, rounded half to even; the rest in integers;
    * Lanczos-4: integers: ``(sum S_k b_k + 2**21) >> 22``;

    each clamped to [0, 255]."""
    h, w, c = img.shape[-3:]
    kernel = 1 if area else interp
    xi, xw = _generic_taps(out_w, w, kernel, area, True)
    yi, yw = _generic_taps(out_h, h, kernel, area, False)
    src = img.astype(np.int64)
    rows = 0
    for k in range(xi.shape[1]):
        rows = rows + xp.take(src, xp.asarray(xi[:, k]), axis=-2) * xp.asarray(xw[:, k])[:, None]
    taps = [xp.take(rows, xp.asarray(yi[:, k]), axis=-3) for k in range(yi.shape[1])]
    betas = [xp.asarray(yw[:, k])[:, None, None] for k in range(yi.shape[1])]
    if kernel == 1:
        v = sum(((xp.clip(s >> 4, *_I16) * b) >> 16) for s, b in zip(taps, betas))
        out = xp.clip(xp.clip(v, *_I16) + 2, *_I16) >> 2
        return xp.clip(out, 0, 255).astype(np.uint8)
    acc = sum(s * b for s, b in zip(taps, betas))
    out = (acc + (1 << (2 * COEF_BITS - 1))) >> (2 * COEF_BITS)
    if kernel == 2:
        scale = _F32(1.0 / (1 << (2 * COEF_BITS)))
        fl = None
        for s, b in zip(taps, betas):
            term = s.astype(_F32) * (b.astype(_F32) * scale)
            fl = term if fl is None else fl + term
        col = xp.asarray(np.arange(out_w * c).reshape(out_w, c))
        out = xp.where(col < (out_w * c) // 8 * 8, xp.rint(fl).astype(np.int64), out)
    return xp.clip(out, 0, 255).astype(np.uint8)


def _area_fast_uint8(xp, img, fy, fx, out_h, out_w):
    """OpenCV's INTER_AREA for integer factors ``fy`` x ``fx``: the block sum, for 2 x 2 with
    1, 3 or 4 channels as ``(sum + 2) >> 2`` (halves round up), otherwise times the float32
    ``1 / (fy * fx)`` in float32 and rounded half to even."""
    c = img.shape[-1]
    block = img[..., :out_h * fy, :out_w * fx, :].astype(np.int64)
    total = block.reshape(img.shape[:-3] + (out_h, fy, out_w, fx, c)).sum(axis=(-4, -2))
    if fy == fx == 2 and c in (1, 3, 4):
        return ((total + 2) >> 2).astype(np.uint8)
    out = xp.rint(total.astype(_F32) * (_F32(1) / _F32(fy * fx)))
    return xp.clip(out, 0, 255).astype(np.uint8)


def _area_taps(n_in, n_out):
    """OpenCV's INTER_AREA shrinking taps along one axis: ``(n_out, K)`` source indices and
    float32 weights (the overlap of each source pixel with the output cell over the cell's width,
    overlaps under 1e-3 dropped), padded with weight 0."""
    scale = _step(n_in, n_out)
    cells = []
    for d in range(n_out):
        lo = d * scale
        hi = lo + scale
        width = min(scale, n_in - lo)
        last = min(math.floor(hi), n_in - 1)
        first = min(math.ceil(lo), last)
        taps = [(first - 1, (first - lo) / width)] if first - lo > 1e-3 else []
        taps += [(s, 1.0 / width) for s in range(first, last)]
        if hi - last > 1e-3:
            taps.append((last, min(hi - last, 1.0, width) / width))
        cells.append(taps)
    index = np.zeros((n_out, max(len(t) for t in cells)), np.int64)
    weight = np.zeros(index.shape, _F32)
    for d, taps in enumerate(cells):
        for k, (s, a) in enumerate(taps):
            index[d, k], weight[d, k] = s, a
    return index, weight


def _area_uint8(xp, img, out_h, out_w):
    """OpenCV's INTER_AREA shrink by non-integer factors: float32 sums accumulated tap by tap in
    source order, first along rows, then down the columns, rounded half to even."""
    xi, xw = _area_taps(img.shape[-2], out_w)
    yi, yw = _area_taps(img.shape[-3], out_h)
    src = img.astype(_F32)
    rows = xp.zeros(img.shape[:-2] + (out_w, img.shape[-1]), _F32)
    for k in range(xi.shape[1]):      # x + 0.0 == x: the padding taps change nothing
        rows = rows + xp.take(src, xp.asarray(xi[:, k]), axis=-2) * xp.asarray(xw[:, k])[:, None]
    out = xp.zeros(img.shape[:-3] + (out_h, out_w, img.shape[-1]), _F32)
    for k in range(yi.shape[1]):
        beta = xp.asarray(yw[:, k])[:, None, None]
        out = out + beta * xp.take(rows, xp.asarray(yi[:, k]), axis=-3)
    return xp.clip(xp.rint(out), 0, 255).astype(np.uint8)


def resize_uint8(xp, img, out_h, out_w, interp):
    """Bilinear (1), bicubic (2), area (3) or Lanczos-4 (4) resize of uint8 ``(..., H, W, C)``
    giving MXNet 1.9.1's bytes: OpenCV 3.4.2's integer and float32 arithmetic redone in NumPy /
    CuPy (checked against MXNet on about 5000 cases, 1146 of them kept in
    ``tests/fixtures/image/resize_uint8.npz``).

    OpenCV picks the algorithm from the exact scale ``1 / (out / in)`` per axis: an unchanged
    size is a copy; bilinear with both factors exactly 2 is area; area with neither axis
    growing is a block average for integer factors (:func:`_area_fast_uint8`) and a weighted
    average otherwise (:func:`_area_uint8`); area with a growing axis is bilinear with
    overlap-placed taps; the rest is the separable fixed-point path (:func:`_separable_uint8`).
    OpenCV's rounding depends on its SIMD code (bilinear and bicubic round differently in SIMD
    and scalar loops); this follows the x86-64 build MXNet ships, as measured.
    """
    h, w = img.shape[-3], img.shape[-2]
    if (h, w) == (out_h, out_w):
        return img.copy()
    sy, sx = _step(h, out_h), _step(w, out_w)
    fy, fx = int(round(sy)), int(round(sx))
    eps = np.finfo(np.float64).eps
    integer = abs(sy - fy) < eps and abs(sx - fx) < eps
    if interp == 1 and integer and fy == fx == 2:
        interp = 3
    if interp == 3 and sy >= 1 and sx >= 1:
        if integer:
            return _area_fast_uint8(xp, img, fy, fx, out_h, out_w)
        return _area_uint8(xp, img, out_h, out_w)
    return _separable_uint8(xp, img, out_h, out_w, interp, interp == 3)


def resize_target(size, keep_ratio, h, w):
    """``(out_h, out_w)`` for MXNet's ``size`` (``(w,)`` or ``(width, height)``)."""
    if len(size) == 2:
        return size[1], size[0]
    s = size[0]
    if not keep_ratio:
        return s, s
    if h > w:
        return int(h * s / w), s
    return s, int(w * s / h)
