"""Image transforms of ``gluon.data.vision.transforms``: Compose, Cast, ToTensor, Normalize, Resize,
CenterCrop, RandomResizedCrop, RandomFlipLeftRight, RandomFlipTopBottom.

Semantics follow MXNet 1.9.1 (``mxnet.gluon.data.vision.transforms`` and the ``image.to_tensor``,
``image.normalize``, ``image.resize``, ``image.center_crop``, ``image.random_size_crop`` and ``image.random_flip_*`` functions). Images are ``(H, W, C)`` (or a batch
``(N, H, W, C)``) before :class:`ToTensor` and ``(C, H, W)`` / ``(N, C, H, W)`` after it. The
transforms are plain callables on NDArrays (not Blocks): they are not hybridized.
"""
import numpy as np

from minigluon import random as _random
from minigluon.ndarray import NDArray, array

__all__ = ['Compose', 'Cast', 'ToTensor', 'Normalize', 'Resize', 'CenterCrop', 'RandomResizedCrop',
           'RandomFlipLeftRight', 'RandomFlipTopBottom']


def _host(x, name):
    if isinstance(x, NDArray):
        return x.asnumpy(), x.context
    if isinstance(x, np.ndarray):
        return x, None
    raise TypeError('%s: expected an NDArray image, got %s' % (name, type(x).__name__))


def _wrap(host, ctx):
    return array(host, ctx=ctx, dtype=host.dtype)


def _check_ndim(x, name, layout):
    if x.ndim not in (3, 4):
        raise ValueError('%s: expected a 3-D %s image or a 4-D batch, got shape %s' % (name, layout, x.shape))


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self._transforms = list(transforms)
        for t in self._transforms:
            if not callable(t):
                raise TypeError('Compose: every transform must be callable, got %r' % (t,))

    def __call__(self, x):
        for t in self._transforms:
            x = t(x)
        return x

    def __repr__(self):
        body = '\n'.join('  (%d): %r' % (i, t) for i, t in enumerate(self._transforms))
        return 'Compose(\n%s\n)' % body


class Cast:
    """Cast to ``dtype`` (default float32)."""

    def __init__(self, dtype='float32'):
        self._dtype = np.dtype(dtype)

    def __call__(self, x):
        host, ctx = _host(x, 'Cast')
        return _wrap(host.astype(self._dtype), ctx)

    def __repr__(self):
        return 'Cast(%s)' % self._dtype.name


class ToTensor:
    """``(H, W, C)`` values in ``[0, 255]`` to float32 ``(C, H, W)`` in ``[0, 1]`` (batches too)."""

    def __call__(self, x):
        host, ctx = _host(x, 'ToTensor')
        _check_ndim(host, 'ToTensor', 'HWC')
        axes = (2, 0, 1) if host.ndim == 3 else (0, 3, 1, 2)
        return _wrap(np.ascontiguousarray(host.transpose(axes)).astype(np.float32) / np.float32(255), ctx)

    def __repr__(self):
        return 'ToTensor()'


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a ``(C, H, W)`` or ``(N, C, H, W)`` tensor.

    ``mean``/``std`` are scalars or sequences of one value per channel.

    Raises
    ------
    ValueError
        If the number of channels differs from the length of ``mean`` or ``std``.
    TypeError
        For an integer (e.g. uint8) input, as MXNet 1.9.1 (apply :class:`ToTensor` or
        :class:`Cast` first): the normalized values would not fit the input's dtype.
    """

    def __init__(self, mean=0.0, std=1.0):
        self._mean, self._std = mean, std

    def __call__(self, x):
        host, ctx = _host(x, 'Normalize')
        if host.dtype.kind != 'f':
            raise TypeError('Normalize: expected a floating-point (C, H, W) tensor, got dtype %s; '
                            'apply ToTensor() or Cast() first' % host.dtype)
        _check_ndim(host, 'Normalize', 'CHW')
        channels = host.shape[-3]
        stats = []
        for name, v in (('mean', self._mean), ('std', self._std)):
            v = np.asarray(v, dtype=np.float64).reshape(-1)
            if v.size not in (1, channels):
                raise ValueError('Normalize: %s has %d values but the input has %d channels (shape %s)'
                                 % (name, v.size, channels, host.shape))
            stats.append(np.broadcast_to(v, (channels,)).reshape(channels, 1, 1))
        out = (host - stats[0]) / stats[1]
        return _wrap(out.astype(host.dtype), ctx)

    def __repr__(self):
        return 'Normalize(mean=%s, std=%s)' % (self._mean, self._std)


def _resize_bilinear(img, out_h, out_w):
    """OpenCV-style bilinear resize (pixel centres aligned, edges clamped) of ``(H, W, C)``."""
    h, w = img.shape[:2]

    def coords(n_out, n_in):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        src = np.clip(src, 0, n_in - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (src - lo)

    y0, y1, fy = coords(out_h, h)
    x0, x1, fx = coords(out_w, w)
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - fx)[None, :, None] + f[y0][:, x1] * fx[None, :, None]
    bot = f[y1][:, x0] * (1 - fx)[None, :, None] + f[y1][:, x1] * fx[None, :, None]
    out = top * (1 - fy)[:, None, None] + bot * fy[:, None, None]
    if np.issubdtype(img.dtype, np.integer):
        out = np.clip(np.rint(out), np.iinfo(img.dtype).min, np.iinfo(img.dtype).max)
    return out.astype(img.dtype)


def _resize_nearest(img, out_h, out_w):
    h, w = img.shape[:2]
    ys = np.minimum((np.arange(out_h) * (h / out_h)).astype(np.int64), h - 1)
    xs = np.minimum((np.arange(out_w) * (w / out_w)).astype(np.int64), w - 1)
    return img[ys][:, xs]


def _resize_pillow(img, out_h, out_w, interpolation):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('Resize(interpolation=%d) needs Pillow (pip install Pillow); interpolation 0 '
                          '(nearest) and 1 (bilinear) work without it' % interpolation) from None
    modes = {2: Image.BOX, 3: Image.BICUBIC, 4: Image.LANCZOS}
    chans = [Image.fromarray(img[:, :, c].astype(np.float32), mode='F')
             .resize((out_w, out_h), modes[interpolation]) for c in range(img.shape[2])]
    out = np.stack([np.asarray(c) for c in chans], axis=2)
    if np.issubdtype(img.dtype, np.integer):
        out = np.clip(np.rint(out), np.iinfo(img.dtype).min, np.iinfo(img.dtype).max)
    return out.astype(img.dtype)


class Resize:
    """Resize ``(H, W, C)`` images (or ``(N, H, W, C)`` batches) to ``size``.

    Parameters
    ----------
    size : int or (int, int)
        ``(width, height)``; an int means a square, or with ``keep_ratio`` the new length of the
        shorter side (the longer one scaled to keep the aspect ratio).
    keep_ratio : bool, default False
    interpolation : int, default 1
        OpenCV codes: 0 nearest, 1 bilinear (both in NumPy), 2 area, 3 bicubic, 4 Lanczos (these
        need Pillow, whose filters differ slightly from OpenCV's). Bilinear is computed in float
        and rounded: on uint8 images about 1 pixel value in 10 differs by 1 from MXNet, whose
        OpenCV uses 11-bit fixed-point weights.

    Raises
    ------
    ValueError
        For a bad ``size`` or ``interpolation``, or an input that is not 3-D/4-D.
    """

    def __init__(self, size, keep_ratio=False, interpolation=1):
        if isinstance(size, int):
            size = (size,)
        size = tuple(size)
        if len(size) not in (1, 2) or any(not isinstance(s, int) or s <= 0 for s in size):
            raise ValueError('Resize: size must be a positive int or (width, height), got %r' % (size,))
        if interpolation not in (0, 1, 2, 3, 4):
            raise ValueError('Resize: interpolation must be 0-4 (OpenCV codes), got %r' % (interpolation,))
        self._size, self._keep_ratio, self._interpolation = size, keep_ratio, interpolation

    def _target(self, h, w):
        if len(self._size) == 2:
            return self._size[1], self._size[0]
        s = self._size[0]
        if not self._keep_ratio:
            return s, s
        if h > w:
            return int(h * s / w), s
        return s, int(w * s / h)

    def _one(self, img):
        out_h, out_w = self._target(*img.shape[:2])
        if self._interpolation == 0:
            return _resize_nearest(img, out_h, out_w)
        if self._interpolation == 1:
            return _resize_bilinear(img, out_h, out_w)
        return _resize_pillow(img, out_h, out_w, self._interpolation)

    def __call__(self, x):
        host, ctx = _host(x, 'Resize')
        _check_ndim(host, 'Resize', 'HWC')
        out = self._one(host) if host.ndim == 3 else np.stack([self._one(i) for i in host])
        return _wrap(out, ctx)

    def __repr__(self):
        return 'Resize(size=%s, keep_ratio=%s, interpolation=%d)' % (
            self._size if len(self._size) == 2 else self._size[0], self._keep_ratio, self._interpolation)


def _size_pair(size, name):
    """``size`` as ``(width, height)``: an int means a square."""
    if isinstance(size, int):
        size = (size, size)
    size = tuple(size) if isinstance(size, (tuple, list)) else size
    if not isinstance(size, tuple) or len(size) != 2 or any(not isinstance(s, int) or s <= 0 for s in size):
        raise ValueError('%s: size must be a positive int or (width, height), got %r' % (name, size))
    return size


class CenterCrop:
    """Crop the centre of an ``(H, W, C)`` image to ``size``, resizing when the image is smaller.

    As MXNet's ``image.center_crop``: the crop window has the aspect ratio of ``size`` and is as
    large as fits (``size`` itself when the image is big enough), it is centred (offsets rounded
    down), and a window smaller than ``size`` is resized up to it with ``interpolation``.

    Parameters
    ----------
    size : int or (int, int)
        Output ``(width, height)``; an int means a square.
    interpolation : int, default 1
        As in :class:`Resize` (OpenCV codes).

    Raises
    ------
    ValueError
        For a bad ``size``, or an input that is not a 3-D ``(H, W, C)`` image.
    """

    def __init__(self, size, interpolation=1):
        self._size = _size_pair(size, 'CenterCrop')
        self._resize = Resize(self._size, interpolation=interpolation)

    def __call__(self, x):
        host, ctx = _host(x, 'CenterCrop')
        if host.ndim != 3:
            raise ValueError('CenterCrop: expected a 3-D HWC image, got shape %s' % (host.shape,))
        h, w = host.shape[:2]
        crop_w, crop_h = self._size
        if h < crop_h:                        # shrink the window to the image, same aspect ratio
            crop_w, crop_h = crop_w * h / crop_h, h
        if w < crop_w:
            crop_w, crop_h = w, crop_h * w / crop_w
        crop_w, crop_h = int(crop_w), int(crop_h)
        x0, y0 = (w - crop_w) // 2, (h - crop_h) // 2
        out = host[y0:y0 + crop_h, x0:x0 + crop_w]
        if (crop_w, crop_h) != self._size:
            return self._resize(_wrap(np.ascontiguousarray(out), ctx))
        return _wrap(np.ascontiguousarray(out), ctx)

    def __repr__(self):
        return 'CenterCrop(size=%s)' % (self._size,)


class RandomResizedCrop:
    """Crop a random window of an ``(H, W, C)`` image and resize it to ``size`` (the Inception
    crop, Szegedy et al. 2015; MXNet 1.9.1 ``transforms.RandomResizedCrop`` over
    ``image.random_size_crop``).

    Up to 10 tries: draw an area ``uniform(*scale) * H * W`` and an aspect ratio ``w / h`` whose
    log is uniform over ``log(ratio)``; the window is ``round(sqrt(area * ratio))`` wide and
    ``round(sqrt(area / ratio))`` high, at a uniformly random offset, if it fits in the image.
    When no try fits, the result is :class:`CenterCrop` (``size``). Draws come from
    :mod:`minigluon.random`, so ``mx.random.seed`` makes them reproducible.

    Parameters
    ----------
    size : int or (int, int)
        Output ``(width, height)``; an int means a square.
    scale : (float, float), default (0.08, 1.0)
        Range of the window's area as a fraction of the image's, ``0 < min <= max``.
    ratio : (float, float), default (3/4, 4/3)
        Range of the window's width / height, ``0 < min <= max``.
    interpolation : int, default 1
        As in :class:`Resize` (OpenCV codes).

    Input: one ``(H, W, C)`` image; output ``(height, width, C)`` of the same dtype.

    Raises
    ------
    ValueError
        For a bad ``size``, ``scale`` or ``ratio``, or an input that is not 3-D.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        self._size = _size_pair(size, 'RandomResizedCrop')
        for name, rng in (('scale', scale), ('ratio', ratio)):
            if len(tuple(rng)) != 2 or not 0 < rng[0] <= rng[1]:
                raise ValueError('RandomResizedCrop: %s must be (min, max) with 0 < min <= max, got %r'
                                 % (name, rng))
        self._scale, self._ratio = tuple(scale), tuple(ratio)
        self._resize = Resize(self._size, interpolation=interpolation)
        self._center = CenterCrop(self._size, interpolation=interpolation)

    def __call__(self, x):
        host, ctx = _host(x, 'RandomResizedCrop')
        if host.ndim != 3:
            raise ValueError('RandomResizedCrop: expected a 3-D HWC image, got shape %s' % (host.shape,))
        h, w = host.shape[:2]
        log_lo, log_hi = np.log(self._ratio[0]), np.log(self._ratio[1])
        for _ in range(10):
            u = _random.draw_uniform(np, (4,), dtype=np.float64)
            area = (self._scale[0] + u[0] * (self._scale[1] - self._scale[0])) * h * w
            aspect = np.exp(log_lo + u[1] * (log_hi - log_lo))
            crop_w, crop_h = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
            if 0 < crop_w <= w and 0 < crop_h <= h:
                x0 = min(int(u[2] * (w - crop_w + 1)), w - crop_w)
                y0 = min(int(u[3] * (h - crop_h + 1)), h - crop_h)
                out = _wrap(np.ascontiguousarray(host[y0:y0 + crop_h, x0:x0 + crop_w]), ctx)
                return out if (crop_w, crop_h) == self._size else self._resize(out)
        return self._center(_wrap(host, ctx))

    def __repr__(self):
        return 'RandomResizedCrop(size=%s, scale=%s, ratio=%s)' % (self._size, self._scale, self._ratio)


class _RandomFlip:
    """Flip an ``(H, W, C)`` image along one axis with probability 0.5, drawing from
    :mod:`minigluon.random` (so ``mx.random.seed`` makes it reproducible). Like MXNet 1.9.1's
    ``image.random_flip_*`` operators, only single 3-D images are accepted (ValueError otherwise)."""

    _axis = None                 # 1 for the width axis, 0 for the height axis
    _name = None

    def __call__(self, x):
        host, ctx = _host(x, self._name)
        if host.ndim != 3:
            raise ValueError('%s: expected a 3-D (height, width, channels) image, got shape %s'
                             % (self._name, host.shape))
        if _random.draw_uniform(np, (1,))[0] < 0.5:
            host = np.ascontiguousarray(np.flip(host, axis=self._axis))
        return _wrap(host, ctx)

    def __repr__(self):
        return '%s()' % self._name


class RandomFlipLeftRight(_RandomFlip):
    """Mirror an ``(H, W, C)`` image left-right (its width axis) with probability 0.5.

    Raises ValueError for an input that is not 3-D."""

    _axis = 1
    _name = 'RandomFlipLeftRight'


class RandomFlipTopBottom(_RandomFlip):
    """Flip an ``(H, W, C)`` image upside down (its height axis) with probability 0.5.

    Raises ValueError for an input that is not 3-D."""

    _axis = 0
    _name = 'RandomFlipTopBottom'
