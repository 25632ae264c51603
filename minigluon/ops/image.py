"""Deterministic image operators of ``nd.image`` / ``sym.image``: ``_image_to_tensor``,
``_image_normalize``, ``_image_flip_left_right``, ``_image_flip_top_bottom``, ``_image_crop``,
``_image_resize`` and ``_image_adjust_lighting``.

Semantics follow MXNet 1.9.1 (``src/operator/image/image_random-inl.h``, ``crop-inl.h``,
``resize-inl.h``). Images are ``(H, W, C)`` (height, width, channels, the layout images are read
in) or batches ``(N, H, W, C)`` where MXNet accepts them; :func:`to_tensor` turns them into
``(C, H, W)`` / ``(N, C, H, W)`` float tensors, the layout :func:`normalize` takes. The operators
are registered under their ``_image_`` names and appear without the prefix in ``nd.image`` and
``sym.image`` (``nd.image.to_tensor``), as in MXNet. The random ones live in
:mod:`minigluon.ops.image_random`.

Gradients: ``normalize`` (``g / std``), the flips (the flipped gradient), ``crop`` (the gradient
placed in the window) and ``adjust_lighting`` (it adds a constant) as in MXNet. ``to_tensor``
also has one here (``g`` transposed back, divided by 255; MXNet 1.9.1's backward fails with an
"Incompatible attr" error). ``resize`` has none (MXNet's fails the same way).
"""
import numpy as np

from minigluon.ops._image_resize import (resize_bilinear, resize_matrix, resize_nearest,
                                         resize_target, resize_uint8)
from minigluon.ops.registry import Attr, Op, register, shape_error


def check_image(op, data, batch=True, layout='HWC'):
    """Raise a ValueError naming ``op`` unless ``data`` is 3-D (or 4-D when ``batch``)."""
    ok = (3, 4) if batch else (3,)
    if data.ndim not in ok:
        want = '(height, width, channels)' if layout == 'HWC' else '(channels, height, width)'
        form = ' or a 4-D batch %s' % ('(N, height, width, channels)' if layout == 'HWC'
                                      else '(N, channels, height, width)') if batch else ''
        raise shape_error(op, 'data must be a 3-D image %s%s, got %d dimensions'
                          % (want, form, data.ndim), data)


def check_flip_image(op, data):
    """The flips' check (MXNet 1.9.1's): one ``(H, W, C)`` image with 1 or 3 channels on its
    last axis. A ``(C, H, W)`` tensor (``to_tensor``'s output) would otherwise be flipped along
    the wrong axis without a word; the message names ``nd.flip`` for such layouts."""
    check_image(op, data, batch=False)
    if data.shape[-1] not in (1, 3):
        axis = 0 if 'top_bottom' in op.name else 1
        raise shape_error(op, 'data must be an (H, W, C) image with 1 or 3 channels on its last '
                          'axis, got shape %s; flip a (C, H, W) tensor (after to_tensor) with '
                          'nd.flip(x, axis=%d), an (H, W, C) image of other channel counts with '
                          'nd.flip(x, axis=%d)' % (tuple(data.shape), axis + 1, axis), data)


def cast_back(xp, values, dtype):
    """Store float ``values`` in ``dtype`` as MXNet's image operators do: integer types truncate
    toward zero, floats keep the values. Values outside an integer type's range (MXNet's C casts
    are undefined there: x86 builds wrap them modulo 2**bits) saturate to the range, and NaN
    becomes 0."""
    dtype = np.dtype(dtype)
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        # the float form of a 32/64-bit maximum rounds up, out of range: set after the cast
        top = values >= float(info.max)
        values = xp.clip(xp.where(values != values, 0, values), float(info.min), float(info.max))
        out = values.astype(dtype)
        if info.bits >= 32:
            out[top] = info.max
        return out
    return values.astype(dtype, copy=False)


@register
class ToTensor(Op):
    """``(H, W, C)`` or ``(N, H, W, C)`` image, values in ``[0, 255]`` -> float32 ``(C, H, W)`` or
    ``(N, C, H, W)`` in ``[0, 1]`` (``x / 255``). Any input dtype; the output is float32.
    Raises ValueError for other ranks. (MXNet 1.9.1 ``_image_to_tensor``.)"""

    name = '_image_to_tensor'
    mxnet_input_names = True

    def forward(self, xp, data):
        check_image(self, data)
        self.in_dtype = data.dtype
        axes = (2, 0, 1) if data.ndim == 3 else (0, 3, 1, 2)
        return xp.ascontiguousarray(data.transpose(axes)).astype(np.float32) / np.float32(255)

    def backward(self, xp, grad):
        axes = (1, 2, 0) if grad.ndim == 3 else (0, 2, 3, 1)
        return ((grad.transpose(axes) / 255).astype(self.in_dtype),)

    def infer_type(self, in_types):
        return list(in_types), [np.dtype(np.float32)]


@register
class Normalize(Op):
    """``(x - mean[c]) / std[c]`` per channel of a ``(C, H, W)`` or ``(N, C, H, W)`` tensor.

    ``mean`` and ``std`` hold one value (for every channel) or one per channel; left at their
    defaults they are 0 and 1. MXNet 1.9.1 (``_image_normalize``) allows 1 or 3 channels only;
    here any number works. The output has the input's dtype. Floating inputs are computed in
    their dtype. Integer inputs (a uint8 image straight from a decoder) are computed in float32,
    as MXNet does, and truncated toward zero: pixel ``[139, 182, 153]`` with mean
    ``(10, 20, 30)`` and std ``(2, 3, 4)`` gives uint8 ``[64, 54, 30]`` (measured on MXNet
    1.9.1). A result outside the integer type's range is undefined in MXNet (its C cast; x86
    builds wrap, so uint8 ``-3.8`` comes out as 253); here it saturates (uint8: ``-3.8`` -> 0,
    ``300`` -> 255). Gradient ``g / std[c]``.

    Raises
    ------
    ValueError
        For a rank other than 3 or 4, a ``mean``/``std`` of the wrong length or a zero ``std``
        (MXNet divides by it: inf or NaN, and garbage for integers).
    """

    name = '_image_normalize'
    mxnet_input_names = True
    attrs = {'mean': Attr('floats', (0.0, 0.0, 0.0, 0.0)), 'std': Attr('floats', (1.0, 1.0, 1.0, 1.0))}

    def _stats(self, data, channels):
        out = []
        for key in ('mean', 'std'):
            values = getattr(self, key)
            if key not in self.given:
                values = values[:1]
            if len(values) not in (1, channels):
                raise shape_error(self, "'%s' must have 1 or %d (channels) values, got %d: %s"
                                  % (key, channels, len(values), values), data)
            out.append(np.broadcast_to(np.asarray(values, dtype=np.float64), (channels,)))
        if (out[1] == 0).any():
            raise ValueError("%s: 'std' must not contain 0, got %s" % (self.name, self.std))
        return out

    def forward(self, xp, data):
        check_image(self, data, layout='CHW')
        channels = data.shape[-3]
        mean, std = self._stats(data, channels)
        shape = (channels, 1, 1)
        self.in_dtype = data.dtype
        work = data.dtype if data.dtype.kind == 'f' else np.dtype(np.float32)
        self.std_arr = xp.asarray(std.reshape(shape), dtype=work)
        out = (data.astype(work, copy=False) - xp.asarray(mean.reshape(shape), dtype=work)) / self.std_arr
        return out if work == data.dtype else cast_back(xp, out, data.dtype)

    def backward(self, xp, grad):
        return ((grad / self.std_arr).astype(self.in_dtype, copy=False),)


class _Flip(Op):
    """Base of the flips: a single ``(H, W, C)`` image with 1 or 3 channels, any dtype (MXNet
    1.9.1 rejects batches and other channel counts: :func:`check_flip_image`)."""

    axis = None

    def forward(self, xp, data):
        check_flip_image(self, data)
        return xp.ascontiguousarray(xp.flip(data, axis=self.axis))

    def backward(self, xp, grad):
        return (xp.ascontiguousarray(xp.flip(grad, axis=self.axis)),)


@register
class FlipLeftRight(_Flip):
    """Mirror a ``(H, W, C)`` image left-right (reverse its width axis); the gradient is flipped
    back. Raises ValueError for other ranks and channel counts than 1 or 3. (MXNet 1.9.1
    ``_image_flip_left_right``.)"""

    name = '_image_flip_left_right'
    axis = 1


@register
class FlipTopBottom(_Flip):
    """Flip a ``(H, W, C)`` image upside down (reverse its height axis); the gradient is flipped
    back. Raises ValueError for other ranks and channel counts than 1 or 3. (MXNet 1.9.1
    ``_image_flip_top_bottom``.)"""

    name = '_image_flip_top_bottom'
    axis = 0


@register
class Crop(Op):
    """The window ``[y, y + height) x [x, x + width)`` of a ``(H, W, C)`` image or of each image
    of a ``(N, H, W, C)`` batch; same dtype. The gradient is ``g`` inside the window, 0 outside.

    Raises
    ------
    ValueError
        For a rank other than 3 or 4, a non-positive ``width``/``height``, a negative ``x``/``y``
        or a window that leaves the image. (MXNet 1.9.1 ``_image_crop``.)
    """

    name = '_image_crop'
    attrs = {'x': Attr('int'), 'y': Attr('int'), 'width': Attr('int'), 'height': Attr('int')}

    def check_attrs(self):
        if self.width <= 0 or self.height <= 0:
            raise ValueError('%s: width and height must be positive, got width=%d, height=%d'
                             % (self.name, self.width, self.height))
        if self.x < 0 or self.y < 0:
            raise ValueError('%s: x and y must be >= 0, got x=%d, y=%d' % (self.name, self.x, self.y))

    def forward(self, xp, data):
        check_image(self, data)
        h, w = data.shape[-3], data.shape[-2]
        if self.x + self.width > w or self.y + self.height > h:
            raise shape_error(self, 'the window x=%d, y=%d, width=%d, height=%d does not fit in an '
                              'image of width %d and height %d' % (self.x, self.y, self.width,
                                                                  self.height, w, h), data)
        self.in_shape, self.in_dtype = data.shape, data.dtype
        return xp.ascontiguousarray(data[..., self.y:self.y + self.height, self.x:self.x + self.width, :])

    def backward(self, xp, grad):
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        g[..., self.y:self.y + self.height, self.x:self.x + self.width, :] = grad
        return (g,)


@register
class Resize(Op):
    """Resize a ``(H, W, C)`` image or each image of a ``(N, H, W, C)`` batch.

    ``size`` is ``(width, height)``, or one int: a square, or with ``keep_ratio`` the new length
    of the shorter side (the other scaled to keep the aspect ratio, rounded down). ``interp``
    uses OpenCV's codes, which MXNet hands to ``cv::resize`` unchanged: 0 nearest, 1 bilinear,
    2 bicubic, 3 area, 4 Lanczos-4 (MXNet's docs say 2 area and 3 bicubic; its results are
    OpenCV's, and so are these). Float results agree with MXNet's to ~1e-4; uint8 results are
    MXNet's bytes exactly (OpenCV's fixed-point arithmetic redone,
    :func:`~minigluon.ops._image_resize.resize_uint8`). Same dtype out; float16/32/64 and uint8,
    and with nearest any integer dtype (MXNet's OpenCV rejects int32 for the other codes, aborts
    the process on int8 and returns garbage for int64; minigluon raises a TypeError instead).
    Where a Lanczos-4 sample sits a hair below a pixel centre (e.g. 1 -> 49 rows, row 24) OpenCV
    divides by zero and MXNet returns a NaN row (float) or a row of 0s and 255s (uint8); here
    that row holds the pixel's values.
    No gradient (MXNet 1.9.1's backward fails). (MXNet 1.9.1 ``_image_resize``.)

    Raises
    ------
    ValueError
        For an empty or non-positive ``size``, a bad ``interp``, a rank other than 3 or 4, or an
        image of height or width 0 (MXNet's OpenCV fails on it).
    TypeError
        For integer dtypes other than uint8 with ``interp`` 1-4.
    """

    name = '_image_resize'
    attrs = {'size': Attr('shape', ()), 'keep_ratio': Attr('bool', False), 'interp': Attr('int', 1)}
    differentiable = False

    def check_attrs(self):
        if len(self.size) not in (1, 2) or any(s <= 0 for s in self.size):
            raise ValueError("%s: size must be a positive int or (width, height), got %r"
                             % (self.name, tuple(self.size)))
        if self.interp not in (0, 1, 2, 3, 4):
            raise ValueError('%s: interp must be an OpenCV code 0-4, got %r' % (self.name, self.interp))

    def forward(self, xp, data):
        check_image(self, data)
        if data.dtype.kind != 'f' and data.dtype != np.uint8 and self.interp != 0:
            raise TypeError('%s: data must be uint8 or floating-point for interp %d (other '
                            'integer dtypes only with interp 0), got %s'
                            % (self.name, self.interp, data.dtype))
        if not data.shape[-3] or not data.shape[-2]:
            raise shape_error(self, 'cannot resize an empty image (height %d, width %d)'
                              % (data.shape[-3], data.shape[-2]), data)
        out_h, out_w = resize_target(self.size, self.keep_ratio, data.shape[-3], data.shape[-2])
        if self.interp == 0:
            return resize_nearest(xp, data, out_h, out_w)
        if data.dtype == np.uint8:
            return resize_uint8(xp, data, out_h, out_w, self.interp)
        if self.interp == 1:
            return resize_bilinear(xp, data, out_h, out_w)
        return resize_matrix(xp, data, out_h, out_w, self.interp)


# AlexNet's PCA of ImageNet RGB pixels (Krizhevsky et al. 2012): eigenvalues times eigenvectors,
# the values MXNet 1.9.1 uses; row c gives channel c's shift for the three alphas.
LIGHTING_EIG = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                         [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                         [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]], dtype=np.float32)


def lighting(op, xp, data, alpha):
    """Add ``LIGHTING_EIG @ alpha`` to each RGB pixel of a ``(H, W, 3)`` image (1 channel: copy)."""
    check_image(op, data, batch=False)
    if data.shape[2] == 1:
        return data.copy()
    if data.shape[2] != 3:
        raise shape_error(op, 'data must have 1 or 3 channels (last axis)', data)
    shift = LIGHTING_EIG @ np.asarray(alpha, dtype=np.float32)
    work = np.float64 if data.dtype == np.float64 else np.float32
    return cast_back(xp, data.astype(work) + xp.asarray(shift, dtype=work), data.dtype)


@register
class AdjustLighting(Op):
    """AlexNet-style PCA lighting: add ``eig @ alpha`` to every RGB pixel of a ``(H, W, 3)``
    image (Krizhevsky et al. 2012, MXNet 1.9.1 ``_image_adjust_lighting``). ``alpha`` holds the
    three weights of the principal components. A 1-channel image is returned unchanged. uint8
    results are clamped to [0, 255] and truncated. The gradient passes through unchanged.

    Raises ValueError for a rank other than 3, a channel count other than 1 or 3, or an
    ``alpha`` without 3 values.
    """

    name = '_image_adjust_lighting'
    attrs = {'alpha': Attr('floats')}

    def check_attrs(self):
        if len(self.alpha) != 3:
            raise ValueError("%s: alpha must hold 3 values (R, G, B), got %r" % (self.name, self.alpha))

    def forward(self, xp, data):
        return lighting(self, xp, data, self.alpha)

    def backward(self, xp, grad):
        return (grad,)
