"""Random image operators of ``nd.image`` / ``sym.image``: ``_image_random_flip_left_right``,
``_image_random_flip_top_bottom``, ``_image_random_brightness``, ``_image_random_contrast``,
``_image_random_saturation``, ``_image_random_hue``, ``_image_random_color_jitter`` and
``_image_random_lighting``.

Semantics follow MXNet 1.9.1 (``src/operator/image/image_random-inl.h``): each call draws its
factors afresh (from :mod:`minigluon.random`, so ``mx.random.seed`` makes them reproducible;
the draws themselves differ from MXNet's C++ engine) and applies them to one ``(H, W, C)``
image with 1 or 3 channels (MXNet rejects batches). Computation is in float32 (float64 for
float64 input); uint8 results are clamped to [0, 255] and truncated, as MXNet does. With
``min_factor == max_factor`` the colour operators are deterministic.

The formulas, with the luma weights ``(0.299, 0.587, 0.114)`` and ``gray = sum_c w_c x_c``:

* brightness ``alpha * x``;
* contrast ``alpha * x + (1 - alpha) * mean(gray)`` (the mean over all pixels);
* saturation ``alpha * x + (1 - alpha) * gray`` per pixel. MXNet 1.9.1's loop overwrites instead
  of summing, so its ``gray`` is ``0.114 * blue`` only; here it is the real luma (a deliberate
  difference, values differ from MXNet's whenever ``alpha != 1``);
* hue: each pixel to HLS, hue turned by ``alpha * 360`` degrees, back to RGB (MXNet 1.9.1 uses
  this HLS rotation, not the YIQ rotation of the legacy ``mx.image.HueJitterAug``);
* color_jitter: brightness, contrast, saturation and hue in a random order, each with a factor
  drawn from ``1 +- amount`` (hue: ``+- amount``), skipping amounts of 0;
* lighting: AlexNet PCA noise, ``alpha ~ N(0, alpha_std)`` for the three components
  (:func:`minigluon.ops.image.lighting`).

Gradients: the flips flip the gradient back when they flipped; brightness, contrast and
saturation are linear maps and give their exact transposes; lighting passes it through. Hue is
not linear: like MXNet it passes the gradient through unchanged (not the derivative), and so
does the hue step of color_jitter. (MXNet passes every one of these gradients through
unchanged, flips included.)
"""
import numpy as np

from minigluon import random as _random
from minigluon.ops.image import cast_back, check_flip_image, check_image, lighting
from minigluon.ops.registry import Attr, Op, register, shape_error

LUMA = (0.299, 0.587, 0.114)


def _check_rgb(op, data):
    check_image(op, data, batch=False)
    if data.shape[2] not in (1, 3):
        raise shape_error(op, 'data must have 1 or 3 channels (last axis)', data)


def _work(xp, data):
    return data.astype(np.float64 if data.dtype == np.float64 else np.float32)


def _luma(xp, x):
    """``gray`` of each pixel, keeping a channel axis of size 1."""
    if x.shape[2] == 1:
        return x
    w = xp.asarray(LUMA, dtype=x.dtype)
    return (x * w).sum(axis=2, keepdims=True)


def _luma_t(xp, g, channels):
    """Transpose of :func:`_luma`: ``(H, W, 1)`` -> ``(H, W, channels)``."""
    if channels == 1:
        return g
    return g * xp.asarray(LUMA, dtype=g.dtype)


# Each adjustment: forward(xp, x, alpha) on float work arrays and its transpose grad(xp, g, alpha).

def brightness(xp, x, alpha):
    return x * alpha


def brightness_grad(xp, g, alpha):
    return g * alpha


def contrast(xp, x, alpha):
    return x * alpha + (1 - alpha) * _luma(xp, x).mean()


def contrast_grad(xp, g, alpha):
    h, w, c = g.shape
    return g * alpha + _luma_t(xp, xp.full((h, w, 1), (1 - alpha) * g.sum() / (h * w), dtype=g.dtype), c)


def saturation(xp, x, alpha):
    if x.shape[2] == 1:
        return x
    return x * alpha + (1 - alpha) * _luma(xp, x)


def saturation_grad(xp, g, alpha):
    if g.shape[2] == 1:
        return g
    return g * alpha + (1 - alpha) * _luma_t(xp, g.sum(axis=2, keepdims=True), 3)


_SECTORS = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])  # b, g, r


def hue(xp, x, alpha):
    """Rotate the hue of each RGB pixel (values in [0, 255]) by ``alpha`` turns, through HLS."""
    if x.shape[2] == 1:
        return x
    r, g, b = (x[..., c] / 255 for c in range(3))
    vmax, vmin = xp.maximum(xp.maximum(r, g), b), xp.minimum(xp.minimum(r, g), b)
    diff = vmax - vmin
    light = (vmax + vmin) / 2
    chroma = diff > np.finfo(np.float32).eps
    safe = xp.where(chroma, diff, 1)
    sat = xp.where(light < 0.5, diff / xp.where(chroma, vmax + vmin, 1),
                   diff / xp.where(chroma, 2 - vmax - vmin, 1))
    sat = xp.where(chroma, sat, 0)
    # the operations in MXNet's order and precision (60 / diff first, then times the difference;
    # alpha * 360 in the work precision; degrees to sectors by multiplying by 1/60 in the work
    # precision, not dividing by 60): each differs in the last bit, and a uint8 result is
    # truncated, so the other order gave 1 less than MXNet in about one value of ten
    one = x.dtype.type(1)
    scale = 60 / safe
    h = xp.where(vmax == r, (g - b) * scale,
                 xp.where(vmax == g, (b - r) * scale + 120, (r - g) * scale + 240))
    h = xp.where(chroma, xp.where(h < 0, h + 360, h), 0)
    h = xp.mod((h + x.dtype.type(alpha) * 360) * (one / x.dtype.type(60)), 6)
    p2 = xp.where(light <= 0.5, light * (1 + sat), light + sat - light * sat)
    p1 = 2 * light - p2
    sector = xp.minimum(h.astype(np.int64), 5)
    frac = h - sector.astype(h.dtype)         # (an int64 array would make it float64)
    tab = xp.stack([p2, p1, p1 + (p2 - p1) * (1 - frac), p1 + (p2 - p1) * frac], axis=-1)
    pick = xp.asarray(_SECTORS)[sector]                           # (H, W, 3): b, g, r positions
    bgr = xp.take_along_axis(tab, pick, axis=-1)
    rgb = xp.where((sat != 0)[..., None], bgr[..., ::-1], light[..., None])
    return (rgb * 255).astype(x.dtype)


def identity_grad(xp, g, alpha):
    return g


STEPS = {'brightness': (brightness, brightness_grad), 'contrast': (contrast, contrast_grad),
         'saturation': (saturation, saturation_grad), 'hue': (hue, identity_grad)}


class _RandomFlip(Op):
    axis = None

    def forward(self, xp, data):
        check_flip_image(self, data)
        self.flipped = bool(_random.draw_uniform(np, (1,))[0] < 0.5)
        return xp.ascontiguousarray(xp.flip(data, axis=self.axis)) if self.flipped else data.copy()

    def backward(self, xp, grad):
        return (xp.ascontiguousarray(xp.flip(grad, axis=self.axis)) if self.flipped else grad,)

    def infer_shape(self, in_shapes):
        return list(in_shapes), [in_shapes[0]]


@register
class RandomFlipLeftRight(_RandomFlip):
    """Mirror a ``(H, W, C)`` image left-right with probability 0.5 (MXNet 1.9.1
    ``_image_random_flip_left_right``). Raises ValueError for other ranks and channel counts
    than 1 or 3."""

    name = '_image_random_flip_left_right'
    axis = 1


@register
class RandomFlipTopBottom(_RandomFlip):
    """Flip a ``(H, W, C)`` image upside down with probability 0.5 (MXNet 1.9.1
    ``_image_random_flip_top_bottom``). Raises ValueError for other ranks and channel counts
    than 1 or 3."""

    name = '_image_random_flip_top_bottom'
    axis = 0


def _check_non_negative(op, keys):
    """ValueError naming the first attribute of ``keys`` that is negative or NaN."""
    for key in keys:
        if not getattr(op, key) >= 0:
            raise ValueError('%s: %s must be >= 0, got %r' % (op.name, key, getattr(op, key)))


class _RandomAdjust(Op):
    """Base: ``alpha ~ U[min_factor, max_factor]``, then the step ``kind`` of :data:`STEPS`."""

    attrs = {'min_factor': Attr('float'), 'max_factor': Attr('float')}
    kind = None

    def check_attrs(self):
        _check_non_negative(self, ('min_factor', 'max_factor'))
        if self.min_factor > self.max_factor:
            raise ValueError('%s: min_factor (%r) must not exceed max_factor (%r)'
                             % (self.name, self.min_factor, self.max_factor))

    def forward(self, xp, data):
        _check_rgb(self, data)
        lo, hi = self.min_factor, self.max_factor
        self.alpha = float(lo + (hi - lo) * _random.draw_uniform(np, (1,), dtype=np.float64)[0])
        return cast_back(xp, STEPS[self.kind][0](xp, _work(xp, data), self.alpha), data.dtype)

    def backward(self, xp, grad):
        return (STEPS[self.kind][1](xp, grad, self.alpha),)

    def infer_shape(self, in_shapes):
        return list(in_shapes), [in_shapes[0]]


@register
class RandomBrightness(_RandomAdjust):
    """Scale a ``(H, W, C)`` image by ``alpha ~ U[min_factor, max_factor]`` (MXNet 1.9.1
    ``_image_random_brightness``). Raises ValueError for a bad input or negative factors."""

    name = '_image_random_brightness'
    kind = 'brightness'


@register
class RandomContrast(_RandomAdjust):
    """Blend a ``(H, W, C)`` image with its mean gray level: ``alpha * x + (1 - alpha) *
    mean(gray)``, ``alpha ~ U[min_factor, max_factor]`` (MXNet 1.9.1 ``_image_random_contrast``)."""

    name = '_image_random_contrast'
    kind = 'contrast'


@register
class RandomSaturation(_RandomAdjust):
    """Blend each pixel of a ``(H, W, 3)`` image with its gray level: ``alpha * x + (1 - alpha) *
    gray`` (MXNet 1.9.1 ``_image_random_saturation``; see the module docstring for the
    deliberate difference in ``gray``). A 1-channel image is returned unchanged."""

    name = '_image_random_saturation'
    kind = 'saturation'


@register
class RandomHue(_RandomAdjust):
    """Rotate the hue of a ``(H, W, 3)`` RGB image (values in [0, 255]) by ``alpha`` turns,
    ``alpha ~ U[min_factor, max_factor]``, through HLS (MXNet 1.9.1 ``_image_random_hue``).
    A 1-channel image is returned unchanged. The gradient passes through (as MXNet's)."""

    name = '_image_random_hue'
    kind = 'hue'


@register
class RandomColorJitter(Op):
    """Brightness, contrast, saturation and hue adjustments of a ``(H, W, C)`` image in a random
    order, with factors ``1 + U[-brightness, brightness]`` (the same for contrast and
    saturation) and ``U[-hue, hue]``; an amount of 0 skips its step (MXNet 1.9.1
    ``_image_random_color_jitter``). Raises ValueError for a bad input or a negative amount."""

    name = '_image_random_color_jitter'
    attrs = {'brightness': Attr('float'), 'contrast': Attr('float'), 'saturation': Attr('float'),
             'hue': Attr('float')}
    ORDER = ('brightness', 'contrast', 'saturation', 'hue')

    def check_attrs(self):
        _check_non_negative(self, self.ORDER)

    def forward(self, xp, data):
        _check_rgb(self, data)
        self.steps = []
        x = _work(xp, data)
        for i in _random.draw_permutation(np, 4):
            kind = self.ORDER[int(i)]
            amount = getattr(self, kind)
            if amount > 0:
                u = float(_random.draw_uniform(np, (1,), -amount, amount, dtype=np.float64)[0])
                alpha = u if kind == 'hue' else 1.0 + u
                self.steps.append((kind, alpha))
                x = STEPS[kind][0](xp, x, alpha)
        return cast_back(xp, x, data.dtype)

    def backward(self, xp, grad):
        for kind, alpha in reversed(self.steps):
            grad = STEPS[kind][1](xp, grad, alpha)
        return (grad,)

    def infer_shape(self, in_shapes):
        return list(in_shapes), [in_shapes[0]]


@register
class RandomLighting(Op):
    """AlexNet PCA lighting noise with ``alpha ~ N(0, alpha_std)`` for each of the 3 components
    (MXNet 1.9.1 ``_image_random_lighting``; see :class:`minigluon.ops.image.AdjustLighting`).
    The gradient passes through unchanged."""

    name = '_image_random_lighting'
    attrs = {'alpha_std': Attr('float', 0.05)}

    def forward(self, xp, data):
        alpha = _random.draw_normal(np, (3,), 0.0, self.alpha_std, dtype=np.float64)
        self.alpha = tuple(float(a) for a in alpha)
        return lighting(self, xp, data, self.alpha)

    def backward(self, xp, grad):
        return (grad,)

    def infer_shape(self, in_shapes):
        return list(in_shapes), [in_shapes[0]]
