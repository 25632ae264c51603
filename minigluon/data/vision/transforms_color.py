"""Colour and rotation transforms of ``gluon.data.vision.transforms`` (MXNet 1.9.1):
RandomBrightness, RandomContrast, RandomSaturation, RandomHue, RandomColorJitter, RandomLighting
(HybridBlocks over the ``nd.image.random_*`` operators of :mod:`minigluon.ops.image_random`),
Rotate and RandomRotation (Blocks, as MXNet's ``image.imrotate`` / ``image.random_rotate``).
All are importable from :mod:`minigluon.data.vision.transforms`.
"""
import numbers

import numpy as np

from minigluon.block import Block, HybridBlock
from minigluon.ndarray import NDArray, array


class _Enhance(HybridBlock):
    """Base: a factor drawn from ``[max(0, 1 - amount), 1 + amount]`` by ``nd.image.<_op>``."""

    _op = None

    def __init__(self, amount):
        super().__init__()
        if not isinstance(amount, numbers.Real) or not amount >= 0:      # NaN fails too
            raise ValueError('%s: the jitter amount must be a number >= 0, got %r'
                             % (type(self).__name__, amount))
        self._amount = amount
        self._args = (max(0.0, 1.0 - amount), 1.0 + amount)

    def hybrid_forward(self, F, x):
        return getattr(F.image, self._op)(x, min_factor=self._args[0], max_factor=self._args[1])

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._amount)


class RandomBrightness(_Enhance):
    """Scale an ``(H, W, C)`` image by a factor from ``[max(0, 1 - brightness), 1 + brightness]``
    (``nd.image.random_brightness``). Raises ValueError for a negative ``brightness``."""

    _op = 'random_brightness'

    def __init__(self, brightness):     # MXNet's keyword: RandomBrightness(brightness=0.1)
        super().__init__(brightness)


class RandomContrast(_Enhance):
    """Blend an ``(H, W, C)`` image with its mean gray level, factor from
    ``[max(0, 1 - contrast), 1 + contrast]`` (``nd.image.random_contrast``)."""

    _op = 'random_contrast'

    def __init__(self, contrast):     # MXNet's keyword: RandomContrast(contrast=0.1)
        super().__init__(contrast)


class RandomSaturation(_Enhance):
    """Blend each pixel of an ``(H, W, 3)`` image with its gray level, factor from
    ``[max(0, 1 - saturation), 1 + saturation]`` (``nd.image.random_saturation``)."""

    _op = 'random_saturation'

    def __init__(self, saturation):     # MXNet's keyword: RandomSaturation(saturation=0.1)
        super().__init__(saturation)


class RandomHue(_Enhance):
    """Rotate the hue of an ``(H, W, 3)`` image by a factor (in turns) from
    ``[max(0, 1 - hue), 1 + hue]``, as MXNet 1.9.1 does: a factor near 1 is nearly a full turn,
    so small ``hue`` amounts change the image little (``nd.image.random_hue``)."""

    _op = 'random_hue'

    def __init__(self, hue):     # MXNet's keyword: RandomHue(hue=0.1)
        super().__init__(hue)


class RandomColorJitter(HybridBlock):
    """Jitter brightness, contrast, saturation and hue of an ``(H, W, C)`` image in a random
    order (``nd.image.random_color_jitter``: factors ``1 +- amount``, hue ``+- hue``; 0 skips).

    Raises ValueError for a negative amount.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)
        for name, v in zip(('brightness', 'contrast', 'saturation', 'hue'), self._args):
            if not isinstance(v, numbers.Real) or not v >= 0:          # NaN fails too
                raise ValueError('RandomColorJitter: %s must be a number >= 0, got %r' % (name, v))

    def hybrid_forward(self, F, x):
        b, c, s, h = self._args
        return F.image.random_color_jitter(x, brightness=b, contrast=c, saturation=s, hue=h)

    def __repr__(self):
        return 'RandomColorJitter(brightness=%s, contrast=%s, saturation=%s, hue=%s)' % self._args


class RandomLighting(HybridBlock):
    """AlexNet-style PCA lighting noise with strength ``alpha`` (the standard deviation of the
    three component weights; ``nd.image.random_lighting``) on an ``(H, W, 3)`` image."""

    def __init__(self, alpha):
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.image.random_lighting(x, alpha_std=self._alpha)

    def __repr__(self):
        return 'RandomLighting(%s)' % self._alpha


def _rotate(img, radians, zoom_in, zoom_out):
    """Rotate each ``(C, H, W)`` image of ``img`` (``(N, C, H, W)``) about its centre by
    ``radians[n]`` (positive: counter-clockwise on screen), sampling bilinearly with zeros
    outside the image (MXNet's ``image.imrotate`` over ``BilinearSampler``)."""
    n, _, h, w = img.shape
    ys, xs = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing='ij')
    out = np.empty_like(img)
    for i, rad in enumerate(radians):
        c, s = np.cos(rad), np.sin(rad)
        src_x, src_y = xs * c - ys * s, xs * s + ys * c
        if zoom_in or zoom_out:      # scale so that no padding shows / the whole image fits
            rho, corner = np.hypot(h, w), np.arctan(h / w)
            max_x = max(abs(rho * np.cos(corner + abs(rad))), abs(rho * np.cos(corner - abs(rad))))
            max_y = max(abs(rho * np.sin(corner + abs(rad))), abs(rho * np.sin(corner - abs(rad))))
            scale = max(max_x / w, max_y / h) if zoom_out else min(w / max_x, h / max_y)
            src_x, src_y = src_x * scale, src_y * scale
        src_x, src_y = src_x + (w - 1) / 2, src_y + (h - 1) / 2
        x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
        fx, fy = src_x - x0, src_y - y0
        acc = np.zeros(img.shape[1:], dtype=np.float64)
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                yy, xx = y0 + dy, x0 + dx
                inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                vals = img[i][:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
                acc += np.where(inside, wy * wx, 0.0) * vals
        out[i] = acc
    return out


def _check_rotate_input(x, name):
    if not isinstance(x, NDArray):
        raise TypeError('%s: expected an NDArray, got %s' % (name, type(x).__name__))
    if x.dtype != np.float32:
        raise TypeError('%s: only float32 (C, H, W) tensors are supported, got %s; apply '
                        'ToTensor() first' % (name, np.dtype(x.dtype).name))
    if x.ndim not in (3, 4) or min(x.shape[-2:]) < 2:
        raise ValueError('%s: expected a 3-D (C, H, W) tensor or a 4-D batch with height and width '
                         '>= 2, got shape %s' % (name, x.shape))


def _apply_rotation(x, degrees, zoom_in, zoom_out):
    host = x.asnumpy()
    batch = host if host.ndim == 4 else host[None]
    out = _rotate(batch, np.radians(np.broadcast_to(degrees, (batch.shape[0],))), zoom_in, zoom_out)
    return array(out if host.ndim == 4 else out[0], ctx=x.context, dtype=np.float32)


class Rotate(Block):
    """Rotate ``(C, H, W)`` float32 images (or ``(N, C, H, W)`` batches) by ``rotation_degrees``
    about their centre, keeping the shape (MXNet 1.9.1 ``transforms.Rotate`` /
    ``image.imrotate``): bilinear sampling, zeros where the rotated image does not reach.
    ``zoom_in`` scales up so that no padding shows; ``zoom_out`` scales down so that the whole
    image stays visible.

    Raises
    ------
    ValueError
        If both zooms are set, or for an input that is not 3-D/4-D.
    TypeError
        For a ``rotation_degrees`` that is not a number, or a non-float32 input (as MXNet).
    """

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super().__init__()
        if zoom_in and zoom_out:
            raise ValueError('Rotate: zoom_in and zoom_out cannot both be True')
        if not isinstance(rotation_degrees, numbers.Real):
            raise TypeError('Rotate: rotation_degrees must be a number (degrees), got %r'
                            % (rotation_degrees,))
        self._args = (float(rotation_degrees), zoom_in, zoom_out)

    def forward(self, x):
        _check_rotate_input(x, 'Rotate')
        return _apply_rotation(x, *self._args)

    def __repr__(self):
        return 'Rotate(rotation_degrees=%s, zoom_in=%s, zoom_out=%s)' % self._args


class RandomRotation(Block):
    """Rotate by an angle drawn uniformly from ``angle_limits`` (degrees; one per image of a
    batch), with probability ``rotate_with_proba`` (MXNet 1.9.1 ``transforms.RandomRotation``).
    Input and zooms as :class:`Rotate`.

    The draws come from NumPy's global generator, as MXNet's (so ``np.random.seed`` reproduces
    them): ``np.random.random()`` first, returning the input unchanged when it exceeds
    ``rotate_with_proba``; then ``np.random.uniform(lower, upper)`` for a ``(C, H, W)`` image or
    ``np.random.uniform(lower, upper, size=N)`` for a batch.

    Raises
    ------
    ValueError
        If ``angle_limits`` is not an increasing pair, ``rotate_with_proba`` is outside [0, 1],
        or both zooms are set.
    """

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        super().__init__()
        if not isinstance(angle_limits, (tuple, list)) or len(angle_limits) != 2:
            raise ValueError('RandomRotation: angle_limits must be a pair (lower, upper) of '
                             'degrees, got %r' % (angle_limits,))
        lower, upper = angle_limits
        if not lower < upper:
            raise ValueError('RandomRotation: angle_limits must be (lower, upper) with lower < upper, '
                             'got %r' % (angle_limits,))
        if not 0 <= rotate_with_proba <= 1:
            raise ValueError('RandomRotation: rotate_with_proba must be in [0, 1], got %r'
                             % (rotate_with_proba,))
        if zoom_in and zoom_out:
            raise ValueError('RandomRotation: zoom_in and zoom_out cannot both be True')
        self._limits, self._zoom = (float(lower), float(upper)), (zoom_in, zoom_out)
        self._proba = rotate_with_proba

    def forward(self, x):
        if np.random.random() > self._proba:
            return x
        _check_rotate_input(x, 'RandomRotation')
        if x.ndim == 4:
            degrees = np.random.uniform(*self._limits, size=x.shape[0])
        else:
            degrees = np.random.uniform(*self._limits)
        return _apply_rotation(x, degrees, *self._zoom)

    def __repr__(self):
        return 'RandomRotation(angle_limits=%s, zoom_in=%s, zoom_out=%s, rotate_with_proba=%s)' % (
            self._limits, self._zoom[0], self._zoom[1], self._proba)
