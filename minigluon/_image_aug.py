"""The image augmenters of ``mx.image`` (MXNet 1.9.1 ``mxnet.image.Augmenter`` and its
subclasses, ``CreateAugmenter``); exported by :mod:`minigluon.image`.

Each augmenter is called on one ``(H, W, C)`` NDArray image and returns the augmented image. As in
MXNet, the brightness, contrast, saturation, lighting and normalizing augmenters change a float
image in place (``CastAug`` first; ``HueJitterAug`` and ``RandomGrayAug`` return a new one), the
random ones draw from Python's ``random`` (``LightingAug``: ``numpy.random.normal``), and
``dumps()`` gives the JSON ``[class name in lower case, constructor arguments]``, except for ``SequentialAug`` and
``RandomOrderAug`` (``ColorJitterAug``), whose ``dumps()`` returns a Python list
``[name, [dumps of each member]]`` as MXNet's does.
"""
import json
import random
import warnings

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import MXNetTypeError, MXNetValueError
from minigluon.image import (_get_interp_method, center_crop, color_normalize, imresize,
                             random_crop, random_size_crop, resize_short)

_LUMA = (0.299, 0.587, 0.114)


class _KeepsArguments:
    """Keeps the constructor arguments for :meth:`dumps` (NDArrays and NumPy arrays stored as
    lists): the base of the image augmenters and of the detection augmenters
    (``minigluon._image_det.DetAugmenter``), which MXNet keeps apart."""

    def __init__(self, **kwargs):
        self._kwargs = {}
        for key, value in kwargs.items():
            if isinstance(value, nd.NDArray):
                value = value.asnumpy()
            self._kwargs[key] = value.tolist() if isinstance(value, np.ndarray) else value

    def dumps(self):
        """``str``: JSON ``[class name in lower case, {argument: value}]``."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])


class Augmenter(_KeepsArguments):
    """Base class of the image augmenters: keeps the constructor arguments for :meth:`dumps`.
    Subclasses implement ``__call__(src) -> image``."""

    def __call__(self, src):
        raise NotImplementedError('%s must implement __call__' % type(self).__name__)


class _ListAug(Augmenter):
    """An augmenter made of the list of augmenters ``ts``."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        """``list``: ``[name, [each member's dumps()]]`` (a list, not a string, as in MXNet)."""
        return [type(self).__name__.lower(), [t.dumps() for t in self.ts]]

    def _apply(self, src):
        for t in self.ts:
            src = t(src)
        return src


class SequentialAug(_ListAug):
    """Apply the augmenters ``ts`` (a list) in order."""

    def __call__(self, src):
        return self._apply(src)


class RandomOrderAug(_ListAug):
    """Apply the augmenters ``ts`` in a random order: ``random.shuffle`` reorders the list
    ``self.ts`` in place at each call, as in MXNet."""

    def __call__(self, src):
        random.shuffle(self.ts)
        return self._apply(src)


class ResizeAug(Augmenter):
    """Resize the shorter side to ``size`` (:func:`minigluon.image.resize_short`) with ``interp``."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """Resize to ``size`` = ``(width, height)``, ignoring the aspect ratio, with ``interp``."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        sizes = (src.shape[0], src.shape[1], self.size[1], self.size[0])
        return imresize(src, *self.size, interp=_get_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """Random ``size`` = ``(width, height)`` crop (:func:`minigluon.image.random_crop`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """Random area and aspect-ratio crop resized to ``size`` = ``(width, height)``
    (:func:`minigluon.image.random_size_crop` with ``area``, ``ratio``, ``interp``;
    ``min_area=`` is the deprecated name of ``area``)."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        if 'min_area' in kwargs:
            warnings.warn('RandomSizedCropAug: `min_area` is deprecated; use `area`',
                          DeprecationWarning, stacklevel=2)
            area = kwargs.pop('min_area')
        if kwargs:
            raise MXNetTypeError('RandomSizedCropAug got unexpected keyword arguments %s'
                                 % sorted(kwargs))
        self.size, self.area, self.ratio, self.interp = size, area, ratio, interp

    def __call__(self, src):
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(Augmenter):
    """Centre ``size`` = ``(width, height)`` crop (:func:`minigluon.image.center_crop`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src):
        return center_crop(src, self.size, self.interp)[0]


class BrightnessJitterAug(Augmenter):
    """Multiply a float image in place by ``1 + random.uniform(-brightness, brightness)``."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        src *= 1.0 + random.uniform(-self.brightness, self.brightness)
        return src


class ContrastJitterAug(Augmenter):
    """Blend a float RGB image in place with its mean luma: ``alpha * src + (1 - alpha) * mean``,
    ``alpha = 1 + random.uniform(-contrast, contrast)``. ``mean`` is one number, the average over
    pixels of ``0.299 R + 0.587 G + 0.114 B`` (computed as 3 x the mean of every element of
    ``src * (0.299, 0.587, 0.114)``)."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = nd.array([[_LUMA]])

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        gray = src * self.coef
        gray = (3.0 * (1.0 - alpha) / gray.size) * nd.sum(gray)
        src *= alpha
        src += gray
        return src


class SaturationJitterAug(Augmenter):
    """Blend a float RGB image in place with its per-pixel luma: ``alpha * src + (1 - alpha) *
    luma``, ``alpha = 1 + random.uniform(-saturation, saturation)``."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = nd.array([[_LUMA]])

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        gray = nd.sum(src * self.coef, axis=2, keepdims=True)
        gray *= 1.0 - alpha
        src *= alpha
        src += gray
        return src


class HueJitterAug(Augmenter):
    """Rotate the hue of an RGB image by ``random.uniform(-hue, hue) * 180`` degrees in YIQ
    space (the linear approximation MXNet uses); returns a new float image."""

    _TYIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
    _ITYIQ = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue

    def __call__(self, src):
        alpha = random.uniform(-self.hue, self.hue)
        u, w = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = np.dot(np.dot(self._ITYIQ, rot), self._TYIQ).T
        return nd.dot(src, nd.array(t))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those > 0) in a random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """AlexNet PCA lighting noise, in place: add ``eigvec @ (alpha * eigval)`` with ``alpha`` =
    ``numpy.random.normal(0, alphastd, 3)`` (``eigval``: 3 values, ``eigvec``: 3 x 3)."""

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd, self.eigval, self.eigvec = alphastd, eigval, eigvec

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        src += nd.array(np.dot(self.eigvec * alpha, self.eigval))
        return src


class ColorNormalizeAug(Augmenter):
    """:func:`minigluon.image.color_normalize` with ``mean`` and ``std`` (NDArray, array or None)."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean = mean if mean is None or isinstance(mean, nd.NDArray) else nd.array(mean)
        self.std = std if std is None or isinstance(std, nd.NDArray) else nd.array(std)

    def __call__(self, src):
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability ``p`` (``random.random() < p``), replace each RGB pixel by its gray
    ``0.21 R + 0.72 G + 0.07 B`` in all three channels (a new float image)."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p
        self.mat = nd.array([[0.21] * 3, [0.72] * 3, [0.07] * 3])

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.dot(src, self.mat)
        return src


class HorizontalFlipAug(Augmenter):
    """With probability ``p`` (``random.random() < p``), mirror the image left-right."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
        return src


class CastAug(Augmenter):
    """Cast the image to ``typ`` (default float32); dumped as ``{"type": typ}`` as in MXNet."""

    def __init__(self, typ='float32'):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ)


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False, rand_mirror=False,
                    mean=None, std=None, brightness=0, contrast=0, saturation=0, hue=0,
                    pca_noise=0, rand_gray=0, inter_method=2):
    """The standard augmenter list of MXNet 1.9.1's ``mx.image.CreateAugmenter``, in its order:
    ``ResizeAug`` (``resize > 0``); ``RandomSizedCropAug`` (``rand_resize``: area 0.08, ratio
    3/4-4/3), ``RandomCropAug`` (``rand_crop``) or ``CenterCropAug`` to ``data_shape`` =
    ``(C, H, W)``; ``HorizontalFlipAug(0.5)``; ``CastAug``; ``ColorJitterAug``; ``HueJitterAug``;
    ``LightingAug`` (ImageNet PCA, ``pca_noise``); ``RandomGrayAug``; ``ColorNormalizeAug``
    (``mean=True`` / ``std=True``: the ImageNet RGB statistics). ``inter_method`` is the
    ``interp`` of the resizes.

    Returns a list of augmenters. Raises ``MXNetValueError`` for a ``data_shape`` that is not
    3 values (MXNet: ``IndexError``), ``rand_resize`` without ``rand_crop`` or a ``mean``/``std``
    that is not an array of 1 or 3 values (MXNet asserts).
    """
    try:
        if isinstance(data_shape, str) or len(data_shape) != 3:
            raise TypeError
    except TypeError:
        raise MXNetValueError('CreateAugmenter: data_shape must be (channels, height, width), got %r'
                              % (data_shape,)) from None
    augs = []
    if resize > 0:
        augs.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise MXNetValueError('CreateAugmenter: rand_resize=True needs rand_crop=True')
        augs.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        augs.append(RandomCropAug(crop_size, inter_method))
    else:
        augs.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        augs.append(HorizontalFlipAug(0.5))
    augs.append(CastAug())
    if brightness or contrast or saturation:
        augs.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        augs.append(HueJitterAug(hue))
    if pca_noise > 0:
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        augs.append(LightingAug(pca_noise, eigval, eigvec))
    if rand_gray > 0:
        augs.append(RandomGrayAug(rand_gray))
    mean = _normalize_stat('mean', mean, _IMAGENET_MEAN)
    std = _normalize_stat('std', std, _IMAGENET_STD)
    if mean is not None or std is not None:
        augs.append(ColorNormalizeAug(mean, std))
    return augs


# ImageNet's per-channel RGB mean and standard deviation, on the 0-255 scale
_IMAGENET_MEAN, _IMAGENET_STD = [123.68, 116.28, 103.53], [58.395, 57.12, 57.375]


def _normalize_stat(name, value, imagenet, owner='CreateAugmenter'):
    """CreateAugmenter's (``owner``'s) ``mean`` / ``std`` argument: True gives the ImageNet
    values ``imagenet`` as an NDArray; None and arrays of 1 or 3 values are kept; else
    MXNetValueError."""
    if value is True:
        return nd.array(imagenet)
    if value is None or (isinstance(value, (np.ndarray, nd.NDArray))
                         and value.ndim >= 1 and value.shape[0] in (1, 3)):
        return value
    raise MXNetValueError('%s: %s must be True, None or an array of 1 or 3 values, got %r'
                          % (owner, name, value))
