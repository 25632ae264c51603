"""Resampling kernels behind ``_image_resize`` (:class:`minigluon.ops.image.Resize`).

Images are ``(..., H, W, C)``: the two axes before the last are resized. ``interp`` takes
OpenCV's codes, which MXNet 1.9.1 hands to ``cv::resize`` unchanged: 0 nearest, 1 bilinear,
2 bicubic, 3 area, 4 Lanczos-4, each with OpenCV's weights. Results are stored in the input's
dtype: integers rounded to nearest and uint8 clamped to [0, 255] (OpenCV's ``saturate_cast``).
The nearest and bilinear kernels gather; the others build a small dense ``(out, in)`` matrix per
axis and apply the two as matrix products.
"""
import numpy as np

from minigluon.ops.resize import taps_matrix


def _store(xp, out, dtype):
    """Float resampling results in ``dtype``: integer types rounded, uint8 clamped as well."""
    if dtype.kind in 'iu':
        out = xp.rint(out)
        if dtype == np.uint8:
            out = xp.clip(out, 0, 255)
    return out.astype(dtype, copy=False)


def _linear_taps(n_out, n_in):
    """OpenCV's INTER_LINEAR source indices and weights along one axis (pixel centres aligned,
    coordinates clamped to the image)."""
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, src - lo


def resize_bilinear(xp, img, out_h, out_w):
    """Bilinear resize of the two axes before the last of ``img`` (``(..., H, W, C)``), computed
    in float and stored in ``img``'s dtype (integers rounded to nearest, uint8 clamped)."""
    h, w = img.shape[-3], img.shape[-2]
    y0, y1, fy = (xp.asarray(a) for a in _linear_taps(out_h, h))
    x0, x1, fx = (xp.asarray(a) for a in _linear_taps(out_w, w))
    work = np.float32 if img.dtype in (np.float16, np.float32) else np.float64
    f = img.astype(work, copy=False)
    fx, fy = fx.astype(work)[:, None], fy.astype(work)[:, None, None]
    rows = [f[..., y, :, :] for y in (y0, y1)]
    top, bot = (r[..., x0, :] * (1 - fx) + r[..., x1, :] * fx for r in rows)
    return _store(xp, top * (1 - fy) + bot * fy, img.dtype)


def resize_nearest(xp, img, out_h, out_w):
    """OpenCV's INTER_NEAREST: output pixel ``i`` reads ``floor(i * in / out)``."""
    h, w = img.shape[-3], img.shape[-2]
    ys = xp.asarray(np.minimum((np.arange(out_h) * (h / out_h)).astype(np.int64), h - 1))
    xs = xp.asarray(np.minimum((np.arange(out_w) * (w / out_w)).astype(np.int64), w - 1))
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
        with np.errstate(invalid='ignore', divide='ignore'):
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
    """Bicubic (2), area (3) and Lanczos-4 (4) resizes of ``(..., H, W, C)`` with OpenCV's
    weights (the codes MXNet passes to ``cv::resize``), as two matrix products; computed in
    float64 and stored in ``img``'s dtype (integers rounded, uint8 clamped)."""
    h, w = img.shape[-3], img.shape[-2]
    if interp == 3:
        enlarging = out_h > h or out_w > w
        my, mx = _area_matrix(out_h, h, enlarging), _area_matrix(out_w, w, enlarging)
    else:
        my, mx = _kernel_matrix(out_h, h, interp), _kernel_matrix(out_w, w, interp)
    out = xp.einsum('oh,...hwc->...owc', xp.asarray(my), img.astype(np.float64))
    out = xp.einsum('pw,...owc->...opc', xp.asarray(mx), out)
    return xp.ascontiguousarray(_store(xp, out, img.dtype))


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
