"""Image transforms of ``gluon.data.vision.transforms`` (MXNet 1.9.1).

Images are ``(H, W, C)`` (or a batch ``(N, H, W, C)``) before :class:`ToTensor` and
``(C, H, W)`` / ``(N, C, H, W)`` after it. As in MXNet, the transforms built on ``nd.image``
operators are HybridBlocks (:class:`Cast`, :class:`ToTensor`, :class:`Normalize`,
:class:`Resize`, :class:`CropResize`, the random flips and the colour transforms of
:mod:`minigluon.data.vision.transforms_color`), so a chain of them hybridizes and exports;
:class:`CenterCrop`, :class:`RandomResizedCrop`, :class:`RandomApply`, :class:`Rotate` and
:class:`RandomRotation` are plain Blocks (they compute crop windows or draw in Python).
:class:`Compose` regroups consecutive HybridBlocks into a hybridized ``HybridSequential``, as
MXNet's does; :class:`HybridCompose` (MXNet 2.x, an extra here) is a ``HybridSequential`` of
HybridBlocks only.

Each random transform draws from the generator MXNet 1.9.1's draws from, so the same seeding
reproduces a pipeline: :class:`RandomResizedCrop` and :class:`RandomApply` from Python's
:mod:`random` (``random.seed``), :class:`RandomRotation` from NumPy's global generator
(``np.random.seed``), and the flips and colour transforms through their ``nd.image.random_*``
operators from :mod:`minigluon.random` (``mx.random.seed``). The Python and NumPy draws are the
same calls in the same order as MXNet's, so after the same seed the windows and angles are
MXNet's.
"""
import random

import numpy as np

from minigluon.base import MXNetValueError
from minigluon.block import Block, HybridBlock, HybridSequential, Sequential
from minigluon.data.vision.transforms_color import (  # noqa: F401  (re-exported)
    RandomBrightness, RandomColorJitter, RandomContrast, RandomHue, RandomLighting, RandomRotation,
    RandomSaturation, Rotate)
from minigluon.ndarray import NDArray, array
from minigluon.ops._literal import parse_literal

__all__ = ['Compose', 'HybridCompose', 'RandomApply', 'Cast', 'ToTensor', 'Normalize', 'Resize',
           'CropResize', 'CenterCrop', 'RandomResizedCrop', 'RandomFlipLeftRight',
           'RandomFlipTopBottom', 'RandomBrightness', 'RandomContrast', 'RandomSaturation',
           'RandomHue', 'RandomColorJitter', 'RandomLighting', 'Rotate', 'RandomRotation']


def _host(x, name):
    if isinstance(x, NDArray):
        return x.asnumpy(), x.context
    if isinstance(x, np.ndarray):
        return x, None
    raise TypeError('%s: expected an NDArray image, got %s' % (name, type(x).__name__))


def _wrap(host, ctx):
    return array(host, ctx=ctx, dtype=host.dtype)


class _Call(Block):
    """A plain callable as a Block, so :class:`Compose` can hold it."""

    def __init__(self, fn):
        super().__init__()
        self._fn = fn

    def forward(self, x):
        return self._fn(x)

    def __repr__(self):
        return repr(self._fn)


class Compose(Sequential):
    """Apply ``transforms`` one after another (MXNet 1.9.1 ``transforms.Compose``).

    Runs of consecutive HybridBlocks are gathered into a hybridized ``HybridSequential`` (one
    cached graph), as MXNet does; other Blocks and plain callables run as they are.

    Raises
    ------
    TypeError
        If a transform is not callable.
    """

    def __init__(self, transforms):
        super().__init__()
        run = []
        for t in list(transforms) + [None]:
            if isinstance(t, HybridBlock):
                run.append(t)
                continue
            if len(run) == 1:
                self.add(run[0])
            elif run:
                group = HybridSequential()
                group.add(*run)
                group.hybridize()
                self.add(group)
            run = []
            if t is None:
                continue
            if not callable(t):
                raise TypeError('Compose: every transform must be callable, got %r' % (t,))
            self.add(t if isinstance(t, Block) else _Call(t))


class HybridCompose(HybridSequential):
    """A ``HybridSequential`` of transform HybridBlocks (MXNet 2.x ``transforms.HybridCompose``;
    not in 1.9.1): hybridize it to run the chain as one graph, or export it.

    Raises
    ------
    TypeError
        If a transform is not a HybridBlock.
    """

    def __init__(self, transforms):
        super().__init__()
        for t in transforms:
            if not isinstance(t, HybridBlock):
                raise TypeError('HybridCompose: every transform must be a HybridBlock, got %r; use '
                                'Compose for plain Blocks and callables' % (t,))
            self.add(t)


class RandomApply(Sequential):
    """Apply ``transforms`` (a Block or callable) with probability ``p``, else return the input
    (MXNet 1.9.1 ``transforms.RandomApply``). One ``random.random()`` per call from Python's
    :mod:`random`, as MXNet: the input is returned unchanged when ``p`` is below it.

    Raises ValueError unless ``0 <= p <= 1``, TypeError when ``transforms`` is not callable.
    """

    def __init__(self, transforms, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError('RandomApply: p must be in [0, 1], got %r' % (p,))
        if not callable(transforms):
            raise TypeError('RandomApply: transforms must be a Block or callable, got %r' % (transforms,))
        self.transforms = transforms if isinstance(transforms, Block) else _Call(transforms)
        self.p = p

    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)


class Cast(HybridBlock):
    """Cast to ``dtype`` (default float32); any shape (MXNet 1.9.1 ``transforms.Cast``).
    Raises TypeError for a ``dtype`` NumPy does not know."""

    def __init__(self, dtype='float32'):
        super().__init__()
        try:
            self._dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError("Cast: dtype must be a dtype or its name ('float32', 'uint8', ...), "
                            "got %r" % (dtype,)) from None

    def hybrid_forward(self, F, x):
        return F.cast(x, dtype=self._dtype.name)

    def __repr__(self):
        return 'Cast(%s)' % self._dtype.name


class ToTensor(HybridBlock):
    """``(H, W, C)`` values in ``[0, 255]`` to float32 ``(C, H, W)`` in ``[0, 1]`` (batches too);
    ``nd.image.to_tensor``. Raises ValueError for other ranks."""

    def hybrid_forward(self, F, x):
        return F.image.to_tensor(x)

    def __repr__(self):
        return 'ToTensor()'


class Normalize(HybridBlock):
    """``(x - mean[c]) / std[c]`` per channel of a ``(C, H, W)`` or ``(N, C, H, W)`` tensor
    (``nd.image.normalize``). ``mean``/``std`` are scalars or one value per channel.

    The output keeps the input's dtype. An integer (e.g. uint8) input is accepted, as in MXNet
    1.9.1: computed in float32 and truncated toward zero, with results outside the type's range
    saturated (MXNet's are undefined there); see ``nd.image.normalize``. Apply :class:`ToTensor`
    first to get float values in ``[0, 1]``.

    Raises
    ------
    ValueError
        If the number of channels differs from the length of ``mean`` or ``std``, or ``std``
        holds a 0.
    """

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean, self._std = mean, std

    def hybrid_forward(self, F, x):
        return F.image.normalize(x, mean=self._mean, std=self._std)

    def __repr__(self):
        return 'Normalize(mean=%s, std=%s)' % (self._mean, self._std)


class Resize(HybridBlock):
    """Resize ``(H, W, C)`` images (or ``(N, H, W, C)`` batches) to ``size`` (``nd.image.resize``).

    Parameters
    ----------
    size : int or (int, int)
        ``(width, height)``; an int means a square, or with ``keep_ratio`` the new length of the
        shorter side (the longer one scaled to keep the aspect ratio). MXNet's text form is
        taken too (``'2'``, ``'(2, 3)'``), as MXNet 1.9.1 takes it; floats are not, as there.
    keep_ratio : bool, default False
    interpolation : int, default 1
        OpenCV codes, as MXNet hands them to OpenCV: 0 nearest, 1 bilinear, 2 bicubic, 3 area,
        4 Lanczos-4 (all in NumPy/CuPy, with OpenCV's weights; uint8 images come out as
        MXNet's bytes exactly, float ones within ~1e-4).

    Raises
    ------
    ValueError
        For a bad ``size`` or ``interpolation``, or an input that is not 3-D/4-D.
    """

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        given = size
        if isinstance(size, str):
            # MXNet 1.9.1 hands size to its operator as text, so '2' and '(2, 3)' work there
            size = parse_literal(size)
        size = _ints(size)
        # anything but a list or tuple is one side: Resize(2.0) or Resize(None) gets the message
        # below (not "'float' object is not iterable")
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        if len(size) not in (1, 2) or any(not isinstance(s, int) or s <= 0 for s in size):
            raise ValueError('Resize: size must be a positive int or (width, height), got %r' % (given,))
        if interpolation not in (0, 1, 2, 3, 4):
            raise ValueError('Resize: interpolation must be 0-4 (OpenCV codes), got %r' % (interpolation,))
        self._size, self._keep_ratio, self._interpolation = size, keep_ratio, interpolation

    def hybrid_forward(self, F, x):
        return F.image.resize(x, size=self._size, keep_ratio=self._keep_ratio, interp=self._interpolation)

    def __repr__(self):
        return 'Resize(size=%s, keep_ratio=%s, interpolation=%d)' % (
            self._size if len(self._size) == 2 else self._size[0], self._keep_ratio, self._interpolation)


class CropResize(HybridBlock):
    """Crop the window ``x, y, width, height`` of ``(H, W, C)`` images (or ``(N, H, W, C)``
    batches) and, when ``size`` is given, resize it to ``size`` (``(width, height)`` or an int)
    with ``interpolation`` (default bilinear). MXNet 1.9.1 ``transforms.CropResize`` over
    ``nd.image.crop`` and ``nd.image.resize``; there ``size`` without ``interpolation`` fails
    (the default None reaches the resize operator: "Invalid Parameter format for interp"), here
    it resizes bilinearly, the resize operator's default.

    Raises ValueError (from the operators) for a window that leaves the image or a bad size.
    """

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._box = (x, y, width, height)
        self._size, self._interpolation = size, interpolation

    def hybrid_forward(self, F, x):
        out = F.image.crop(x, *self._box)
        if self._size:
            interp = 1 if self._interpolation is None else self._interpolation
            out = F.image.resize(out, size=self._size, keep_ratio=False, interp=interp)
        return out

    def __repr__(self):
        return 'CropResize(x=%d, y=%d, width=%d, height=%d, size=%s)' % (self._box + (self._size,))


def _ints(size):
    """NumPy integers in ``size`` (an int or a sequence) as Python ints, so sizes computed with
    NumPy (``Resize((np.int64(2), 3))``) pass the checks as in MXNet 1.9.1."""
    if isinstance(size, np.integer):
        return int(size)
    if isinstance(size, (tuple, list)):
        return type(size)(int(s) if isinstance(s, np.integer) else s for s in size)
    return size


def _size_pair(size, name, whole_floats=False):
    """``size`` as ``(width, height)``: an int means a square. With ``whole_floats``, whole
    floats count as ints (``2.0``, ``(2.0, 3)``)."""
    if whole_floats:
        def whole(s):
            return int(s) if isinstance(s, (float, np.floating)) and float(s).is_integer() else s
        size = type(size)(whole(s) for s in size) if isinstance(size, (tuple, list)) else whole(size)
    size = _ints(size)
    if isinstance(size, int):
        size = (size, size)
    size = tuple(size) if isinstance(size, (tuple, list)) else size
    if not isinstance(size, tuple) or len(size) != 2 or any(not isinstance(s, int) or s <= 0 for s in size):
        raise ValueError('%s: size must be a positive int or (width, height), got %r' % (name, size))
    return size


class CenterCrop(Block):
    """Crop the centre of an ``(H, W, C)`` image to ``size``, resizing when the image is smaller.

    As MXNet's ``image.center_crop``: the crop window has the aspect ratio of ``size`` and is as
    large as fits (``size`` itself when the image is big enough), it is centred (offsets rounded
    down), and a window smaller than ``size`` is resized up to it with ``interpolation``.

    Parameters
    ----------
    size : int or (int, int)
        Output ``(width, height)``; an int means a square. Whole floats (``2.0``, ``(2.0, 3)``)
        are taken as ints, as MXNet 1.9.1 takes them (there only while the window needs no
        resize); other floats are a ``ValueError``.
    interpolation : int, default 1
        As in :class:`Resize` (OpenCV codes).

    Raises
    ------
    ValueError
        For a bad ``size``, an input that is not a 3-D ``(H, W, C)`` image, or an image so
        narrow for ``size``'s aspect ratio that the window is 0 pixels wide or high (an
        ``MXNetValueError``: MXNet 1.9.1 fails inside OpenCV's resize).
    """

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._size = _size_pair(size, 'CenterCrop', whole_floats=True)
        self._resize = Resize(self._size, interpolation=interpolation)

    def forward(self, x):
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
        if not crop_w or not crop_h:
            raise MXNetValueError('CenterCrop: a window of the aspect ratio of size=%s inside a %dx%d '
                                  '(width x height) image is %dx%d pixels: nothing to resize'
                                  % (self._size, w, h, crop_w, crop_h))
        x0, y0 = (w - crop_w) // 2, (h - crop_h) // 2
        out = host[y0:y0 + crop_h, x0:x0 + crop_w]
        if (crop_w, crop_h) != self._size:
            return self._resize(_wrap(np.ascontiguousarray(out), ctx))
        return _wrap(np.ascontiguousarray(out), ctx)

    def __repr__(self):
        return 'CenterCrop(size=%s)' % (self._size,)


class RandomResizedCrop(Block):
    """Crop a random window of an ``(H, W, C)`` image and resize it to ``size`` (the Inception
    crop, Szegedy et al. 2015; MXNet 1.9.1 ``transforms.RandomResizedCrop`` over
    ``image.random_size_crop``).

    Up to 10 tries, each drawing from Python's :mod:`random` exactly as MXNet does (so after the
    same ``random.seed`` the windows are MXNet's): an area ``random.uniform(*scale) * H * W``, an
    aspect ratio ``w / h = exp(random.uniform(log(ratio[0]), log(ratio[1])))``; the window is
    ``round(sqrt(area * ratio))`` wide and ``round(sqrt(area / ratio))`` high and, if it fits in
    the image, its offset is ``random.randint(0, W - w)``, ``random.randint(0, H - h)``. When no
    try fits, the result is :class:`CenterCrop` (``size``). A window that rounds to width or
    height 0 is skipped (after its offsets are drawn) and the tries go on; MXNet fails resizing
    it.

    Parameters
    ----------
    size : int or (int, int)
        Output ``(width, height)``; an int means a square.
    scale : (float, float) or float, default (0.08, 1.0)
        Range of the window's area as a fraction of the image's, ``0 < min <= max``; a number
        means ``(scale, 1.0)``, as in MXNet.
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
        super().__init__()
        self._size = _size_pair(size, 'RandomResizedCrop')
        if isinstance(scale, (int, float)) and not isinstance(scale, bool):
            scale = (scale, 1.0)
        for name, rng in (('scale', scale), ('ratio', ratio)):
            if not isinstance(rng, (tuple, list)) or len(rng) != 2 or not 0 < rng[0] <= rng[1]:
                raise ValueError('RandomResizedCrop: %s must be (min, max) with 0 < min <= max, got %r'
                                 % (name, rng))
        self._scale, self._ratio = tuple(scale), tuple(ratio)
        self._resize = Resize(self._size, interpolation=interpolation)
        self._center = CenterCrop(self._size, interpolation=interpolation)

    def forward(self, x):
        host, ctx = _host(x, 'RandomResizedCrop')
        if host.ndim != 3:
            raise ValueError('RandomResizedCrop: expected a 3-D HWC image, got shape %s' % (host.shape,))
        h, w = host.shape[:2]
        log_ratio = (np.log(self._ratio[0]), np.log(self._ratio[1]))
        for _ in range(10):
            area = random.uniform(*self._scale) * h * w
            aspect = np.exp(random.uniform(*log_ratio))
            crop_w, crop_h = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
            if crop_w <= w and crop_h <= h:
                x0, y0 = random.randint(0, w - crop_w), random.randint(0, h - crop_h)
                if crop_w and crop_h:
                    out = _wrap(np.ascontiguousarray(host[y0:y0 + crop_h, x0:x0 + crop_w]), ctx)
                    return out if (crop_w, crop_h) == self._size else self._resize(out)
        return self._center(_wrap(host, ctx))

    def __repr__(self):
        return 'RandomResizedCrop(size=%s, scale=%s, ratio=%s)' % (self._size, self._scale, self._ratio)


class _RandomFlip(HybridBlock):
    """Flip an ``(H, W, C)`` image along one axis with probability 0.5, drawing from
    :mod:`minigluon.random` (so ``mx.random.seed`` makes it reproducible). Like MXNet 1.9.1's
    ``image.random_flip_*`` operators, only single 3-D images with 1 or 3 channels on the last
    axis are accepted (ValueError otherwise: apply the flip before ``ToTensor``)."""

    _op = None

    def hybrid_forward(self, F, x):
        return getattr(F.image, self._op)(x)

    def __repr__(self):
        return '%s()' % type(self).__name__


class RandomFlipLeftRight(_RandomFlip):
    """Mirror an ``(H, W, C)`` image left-right (its width axis) with probability 0.5
    (``nd.image.random_flip_left_right``). Raises ValueError for an input that is not 3-D with
    1 or 3 channels."""

    _op = 'random_flip_left_right'


class RandomFlipTopBottom(_RandomFlip):
    """Flip an ``(H, W, C)`` image upside down (its height axis) with probability 0.5
    (``nd.image.random_flip_top_bottom``). Raises ValueError for an input that is not 3-D with
    1 or 3 channels."""

    _op = 'random_flip_top_bottom'
