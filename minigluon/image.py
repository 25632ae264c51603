"""``mx.image``: read, decode, resize, crop and normalize single images as MXNet 1.9.1's
``mxnet.image`` does.

Images are NDArrays ``(H, W, C)``: height, width, channels, the layout decoders produce (RGB by
default, uint8 straight from a decoder); only ``imrotate`` / ``random_rotate`` take float32
``(C, H, W)`` images (or ``(N, C, H, W)`` batches), as MXNet's. Sizes are given as MXNet gives
them, ``(width, height)``. Decoding uses Pillow (optional: ``pip install pillow``; see
:mod:`minigluon._image_codec` for how its pixels are brought to OpenCV's numbers); resizing uses
the kernels of ``nd.image.resize`` (OpenCV's weights). The random functions draw from Python's
``random`` module, as MXNet's do, so a script that calls ``random.seed`` makes the same choices
(``random_rotate`` draws from ``numpy.random``, as MXNet's). The augmenter classes
(``CreateAugmenter``...) are in :mod:`minigluon._image_aug` and exported here, ``ImageIter`` (batches
of augmented images from ``.rec`` files or image lists) in :mod:`minigluon._image_iter`. The
detection augmenters and ``ImageDetIter`` are in :mod:`minigluon._image_det`, here as ``det``
(and ``detection``) with their names exported, as MXNet's ``mx.image.det``.

Interpolation codes (``interp``), OpenCV's: 0 nearest, 1 bilinear, 2 bicubic, 3 area,
4 Lanczos-4; 9 picks by the sizes (bicubic when both sides grow, area when both shrink, else
bilinear); 10 draws one of 0-4 with ``random.randint(0, 4)``.
"""
import random
import sys as _sys

import numpy as np

from minigluon import ndarray as nd
from minigluon._image_codec import imdecode, imread
from minigluon.base import check_int, numeric_types, raises_mxnet_errors

__all__ = ['imread', 'imdecode', 'imresize', 'scale_down', 'copyMakeBorder', 'resize_short',
           'fixed_crop', 'random_crop', 'center_crop', 'color_normalize', 'random_size_crop',
           'imrotate', 'random_rotate']


def _get_interp_method(interp, sizes=()):
    """The OpenCV code 0-4 for ``interp``: 0-4 unchanged; 9 chosen from ``sizes`` =
    ``(old_h, old_w, new_h, new_w)`` (2 bicubic when both grow, 3 area when both shrink, 1
    otherwise; 2 without sizes); 10 ``random.randint(0, 4)``. Raises ``ValueError`` otherwise.
    (MXNet 1.9.1 ``mxnet.image.image._get_interp_method``.)"""
    if interp == 9:
        if not sizes:
            return 2
        old_h, old_w, new_h, new_w = sizes
        if new_h > old_h and new_w > old_w:
            return 2
        if new_h < old_h and new_w < old_w:
            return 3
        return 1
    if interp == 10:
        return random.randint(0, 4)
    if isinstance(interp, bool) or interp not in (0, 1, 2, 3, 4):
        raise ValueError('interp must be 0-4 (nearest, bilinear, bicubic, area, Lanczos), '
                         '9 (auto) or 10 (random), got %r' % (interp,))
    return int(interp)


def _check_image(src, what='src'):
    if not isinstance(src, nd.NDArray):
        raise TypeError('%s must be an NDArray image (height, width, channels), got %s'
                        % (what, type(src).__name__))
    if src.ndim != 3:
        raise ValueError('%s must be a 3-D image (height, width, channels), got shape %s'
                         % (what, src.shape))
    return src.shape


@raises_mxnet_errors
def imresize(src, w, h, interp=1, out=None):
    """Resize an image to ``w`` x ``h`` with OpenCV's kernels (MXNet 1.9.1 ``mx.image.imresize``).

    Parameters
    ----------
    src : NDArray
        ``(H, W, C)``, uint8 or float16/32/64 (other integer dtypes with nearest only), any
        number of channels.
    w, h : int
        The new width and height (>= 1).
    interp : int
        0-4, 9 or 10 (see the module docstring). MXNet's ``imresize`` hands 9 and 10 to OpenCV,
        which fails ("Unknown interpolation method"); here they are resolved as in
        :func:`resize_short`.
    out : NDArray, optional
        Receives the result.

    Returns
    -------
    NDArray
        ``(h, w, C)``, ``src``'s dtype. Float results match OpenCV's to about 1e-4; uint8
        results are MXNet's bytes exactly (OpenCV's fixed-point arithmetic, every kernel).

    Raises
    ------
    MXNetValueError
        For a non-3-D ``src``, a size below 1 or an unknown ``interp``.
    MXNetTypeError
        For a ``src`` that is not an NDArray, or has an integer dtype other than uint8 with an
        ``interp`` other than nearest (0).
    """
    old_h, old_w, _ = _check_image(src)
    w, h = check_int(w, 'w', 1), check_int(h, 'h', 1)
    code = _get_interp_method(interp, (old_h, old_w, h, w))
    return nd.image.resize(src, size=(w, h), interp=code, out=out)


def scale_down(src_size, size):
    """Shrink a crop ``size`` = ``(w, h)`` to fit in ``src_size`` = ``(w, h)``, keeping its aspect
    ratio (MXNet 1.9.1 ``mx.image.scale_down``): a side too large is set to the image's and the
    other scaled with it, rounded down. Returns ``(w, h)`` ints."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


# OpenCV's border codes (which MXNet passes on) and the matching numpy.pad modes
_BORDER_MODES = {0: 'constant', 1: 'edge', 2: 'symmetric', 3: 'wrap', 4: 'reflect'}


@raises_mxnet_errors
def copyMakeBorder(src, top, bot, left, right, type=0, value=0.0, values=(), out=None):
    """Pad an image's borders as OpenCV's ``copyMakeBorder`` (MXNet 1.9.1 ``mx.image.copyMakeBorder``).

    Parameters
    ----------
    src : NDArray
        ``(H, W, C)``, any dtype.
    top, bot, left, right : int
        Rows added above and below, columns added left and right (>= 0).
    type : int
        OpenCV's codes, which MXNet hands to ``cv::copyMakeBorder``: 0 constant
        (``value``/``values``), 1 replicate (``aaa|abcdef|fff``), 2 reflect
        (``cba|abcdef|fed``), 3 wrap (``def|abcdef|abc``), 4 reflect-101 (``dcb|abcdef|edc``).
        (MXNet 1.9.1's docstring lists 1 reflect, 2 reflect-101, 3 replicate, 4 wrap; its
        results follow the OpenCV codes, as here.)
    value : float
        The constant for every channel (type 0), used when ``values`` is empty. (MXNet 1.9.1
        fills only the first three channels with it: a fourth, alpha, channel gets 0.)
    values : sequence of float
        One constant per channel (missing channels get 0). Constants are rounded and clamped
        to an integer dtype's range (OpenCV's ``saturate_cast``). (MXNet 1.9.1 gives the
        missing channels 0 in a fresh process, but after an earlier call with more ``values``
        it fills them with that call's constants.)
    out : NDArray, optional
        Receives the result.

    Returns
    -------
    NDArray
        ``(H + top + bot, W + left + right, C)``, ``src``'s dtype.

    Raises
    ------
    MXNetValueError
        For a non-3-D ``src``, a negative margin or a ``type`` outside 0-4 (MXNet hands other
        codes and negative margins to OpenCV, which crops or fills with garbage).
    """
    _check_image(src)
    pads = [check_int(v, n, 0) for v, n in ((top, 'top'), (bot, 'bot'), (left, 'left'),
                                            (right, 'right'))]
    if isinstance(type, bool) or type not in _BORDER_MODES:
        raise ValueError('type must be a border code 0-4 (constant, replicate, reflect, wrap, '
                         'reflect_101), got %r' % (type,))
    data = src.asnumpy()
    width = ((pads[0], pads[1]), (pads[2], pads[3]), (0, 0))
    if type != 0:
        result = np.pad(data, width, mode=_BORDER_MODES[type])
    else:
        channels = data.shape[2]
        fill = list(values)[:channels] if len(values) else [value] * channels
        fill = np.array(fill + [0.0] * (channels - len(fill)), dtype=np.float64)
        if data.dtype.kind in 'iub':
            info = np.iinfo(data.dtype) if data.dtype.kind != 'b' else np.iinfo(np.uint8)
            fill = np.clip(np.rint(fill), info.min, info.max)
        h, w = data.shape[0] + pads[0] + pads[1], data.shape[1] + pads[2] + pads[3]
        result = np.empty((h, w, channels), dtype=data.dtype)
        result[...] = fill.astype(data.dtype)
        result[pads[0]:pads[0] + data.shape[0], pads[2]:pads[2] + data.shape[1]] = data
    result = nd.array(result, ctx=src.context, dtype=data.dtype)
    if out is None:
        return result
    out[:] = result
    return out


@raises_mxnet_errors
def resize_short(src, size, interp=2):
    """Resize so that the shorter side is ``size``, the other scaled to keep the aspect ratio
    (``size * long // short``) (MXNet 1.9.1 ``mx.image.resize_short``).

    ``src`` is an ``(H, W, C)`` NDArray; ``interp`` as in :func:`imresize` (default bicubic; 9
    chooses by the sizes, 10 draws with Python's ``random``). Returns ``src``'s dtype.
    Raises ``MXNetValueError`` for a non-3-D ``src``, ``size < 1`` or a bad ``interp``.
    """
    h, w, _ = _check_image(src)
    size = check_int(size, 'size', 1)
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def _check_size(size):
    if size is None:
        return None
    try:
        w, h = size
    except (TypeError, ValueError):
        raise ValueError('size must be (width, height), got %r' % (size,)) from None
    return check_int(w, 'size[0] (width)', 1), check_int(h, 'size[1] (height)', 1)


@raises_mxnet_errors
def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crop the window at column ``x0``, row ``y0``, ``w`` wide and ``h`` high, then resize it to
    ``size`` = ``(width, height)`` if given and different (MXNet 1.9.1 ``mx.image.fixed_crop``).

    Returns a new ``(h, w, C)`` (or ``(size[1], size[0], C)``) NDArray of ``src``'s dtype.
    ``interp`` as in :func:`imresize` (9 chooses by the sizes).

    Raises
    ------
    MXNetValueError
        For a non-3-D ``src``, a negative ``x0``/``y0``, ``w``/``h`` below 1, a window that leaves
        the image (MXNet silently returns the part inside) or a bad ``size``/``interp``.
    """
    src_h, src_w, _ = _check_image(src)
    x0, y0 = check_int(x0, 'x0', 0), check_int(y0, 'y0', 0)
    w, h = check_int(w, 'w', 1), check_int(h, 'h', 1)
    size = _check_size(size)
    if x0 + w > src_w or y0 + h > src_h:
        raise ValueError('the crop x0=%d, y0=%d, w=%d, h=%d does not fit in an image of width %d '
                         'and height %d' % (x0, y0, w, h, src_w, src_h))
    out = src[y0:y0 + h, x0:x0 + w].copy()
    if size is not None and (w, h) != size:
        out = imresize(out, *size, interp=_get_interp_method(interp, (h, w, size[1], size[0])))
    return out


@raises_mxnet_errors
def random_crop(src, size, interp=2):
    """Crop a ``size`` = ``(width, height)`` window at a random place (MXNet 1.9.1
    ``mx.image.random_crop``). A size larger than the image is first scaled down to fit
    (:func:`scale_down`) and the crop resized up to ``size``. The corner is drawn with
    ``random.randint`` (x, then y).

    Returns ``(image, (x0, y0, w, h))``: the crop and the window in ``src``.
    Raises ``MXNetValueError`` for a non-3-D ``src`` or a bad ``size``/``interp``.
    """
    h, w, _ = _check_image(src)
    size = _check_size(size)
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


@raises_mxnet_errors
def center_crop(src, size, interp=2):
    """Crop a ``size`` = ``(width, height)`` window from the centre (corner rounded down)
    (MXNet 1.9.1 ``mx.image.center_crop``); a size larger than the image is scaled down to fit
    and the crop resized up to ``size``.

    Returns ``(image, (x0, y0, w, h))``. Raises ``MXNetValueError`` for a non-3-D ``src`` or a
    bad ``size``/``interp``.
    """
    h, w, _ = _check_image(src)
    size = _check_size(size)
    new_w, new_h = scale_down((w, h), size)
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def _as_operand(value, src, what):
    if value is None or isinstance(value, (nd.NDArray,) + numeric_types):
        return value
    try:
        return nd.array(np.asarray(value, dtype=np.float64), ctx=src.context, dtype=src.dtype)
    except (TypeError, ValueError):
        raise TypeError('%s must be an NDArray, array, number or None, got %s'
                        % (what, type(value).__name__)) from None


@raises_mxnet_errors
def color_normalize(src, mean, std=None):
    """``(src - mean) / std``, computed in place in ``src``, which is returned (MXNet 1.9.1
    ``mx.image.color_normalize``).

    Parameters
    ----------
    src : NDArray
        A floating-point image ``(H, W, C)``.
    mean, std : NDArray, array-like, number or None
        Broadcast against ``src`` (one value per channel: shape ``(C,)``); None skips the step.
        MXNet accepts only NDArrays and numbers; NumPy arrays and lists work here too.

    Raises
    ------
    MXNetTypeError
        For an integer ``src`` (MXNet fails on a uint8 image with float statistics; cast first:
        ``src.astype('float32')``) or a ``mean``/``std`` of another kind.
    MXNetValueError
        When ``mean``/``std`` do not broadcast against ``src``.
    """
    if not isinstance(src, nd.NDArray):
        raise TypeError('src must be an NDArray, got %s' % type(src).__name__)
    if np.dtype(src.dtype).kind != 'f':
        raise TypeError('src must be a floating-point image, got %s; cast it first, '
                        "e.g. src.astype('float32')" % np.dtype(src.dtype).name)
    mean, std = _as_operand(mean, src, 'mean'), _as_operand(std, src, 'std')
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


@raises_mxnet_errors
def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crop a window of random area and aspect ratio and resize it to ``size`` (MXNet 1.9.1
    ``mx.image.random_size_crop``, the Inception-style crop).

    Up to ten tries draw, with Python's ``random``, a fraction of the image area from ``area``
    (a float ``a`` means ``(a, 1.0)``) and a log-uniform aspect ratio (width / height) from
    ``ratio``; the first window that fits is placed at random (``random.randint``). When none
    fits, :func:`center_crop` is used. ``min_area=`` is the deprecated name of ``area``
    (DeprecationWarning).

    Returns ``(image, (x0, y0, w, h))``, the image ``(size[1], size[0], C)``.

    Raises
    ------
    MXNetValueError
        For a non-3-D ``src``, a bad ``size``/``interp``, a negative ``area`` (MXNet fails on
        the square root of a negative area) or a non-positive ``ratio``.
    MXNetTypeError
        For other keyword arguments (MXNet asserts).
    """
    h, w, _ = _check_image(src)
    size = _check_size(size)
    if 'min_area' in kwargs:
        import warnings
        warnings.warn('random_size_crop: `min_area` is deprecated; use `area`',
                      DeprecationWarning, stacklevel=2)
        area = kwargs.pop('min_area')
    if kwargs:
        raise TypeError('random_size_crop got unexpected keyword arguments %s' % sorted(kwargs))
    if isinstance(area, numeric_types):
        area = (area, 1.0)
    try:
        if len(area) != 2 or not min(area) >= 0:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError('area must be a fraction of the image area >= 0 or a (min, max) pair of '
                         'them, got %r' % (area,)) from None
    try:
        if len(ratio) != 2 or not min(ratio) > 0:
            raise TypeError
    except TypeError:
        raise ValueError('ratio must be (min, max) aspect ratios > 0, got %r' % (ratio,)) from None
    src_area = h * w
    log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if 0 < new_w <= w and 0 < new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


@raises_mxnet_errors
def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotate a float32 ``(C, H, W)`` image, or each image of an ``(N, C, H, W)`` batch, about
    its centre by ``rotation_degrees`` (counter-clockwise), keeping the shape (MXNet 1.9.1
    ``mx.image.imrotate``): bilinear sampling, zeros where the rotated image does not reach.
    ``zoom_in`` scales up so that no padding shows, ``zoom_out`` down so that the whole image
    stays visible. The same arithmetic as ``transforms.Rotate``.

    ``rotation_degrees`` is a number, or for a batch also one angle per image (an NDArray or
    NumPy vector of length N).

    Raises
    ------
    MXNetTypeError
        For a non-float32 ``src``, or a single image with a non-scalar angle.
    MXNetValueError
        When both zooms are set, ``src`` is not 3-D/4-D (or smaller than 2x2), or the number of
        angles differs from the number of images.
    """
    from minigluon.data.vision.transforms_color import _apply_rotation, _check_rotate_input
    if zoom_in and zoom_out:
        raise ValueError('imrotate: zoom_in and zoom_out cannot both be True')
    if not isinstance(src, nd.NDArray):
        raise TypeError('imrotate: src must be an NDArray, got %s' % type(src).__name__)
    if src.dtype != np.float32:
        raise TypeError('imrotate: only float32 images are supported, got %s'
                        % np.dtype(src.dtype).name)
    if src.ndim not in (3, 4):
        raise ValueError('imrotate: src must be a 3-D (C, H, W) image or a 4-D batch, got shape %s'
                         % (src.shape,))
    if isinstance(rotation_degrees, numeric_types):
        degrees = float(rotation_degrees)
    elif src.ndim == 3:
        raise TypeError('imrotate: a single image needs a scalar rotation angle, got %s'
                        % type(rotation_degrees).__name__)
    else:
        degrees = np.asarray(rotation_degrees.asnumpy() if isinstance(rotation_degrees, nd.NDArray)
                             else rotation_degrees, dtype=np.float64)
        if degrees.shape != (src.shape[0],):
            raise ValueError('imrotate: the number of rotation angles %s must equal the number of '
                             'images (%d)' % (degrees.shape, src.shape[0]))
    _check_rotate_input(src, 'imrotate')
    return _apply_rotation(src, degrees, zoom_in, zoom_out)


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """:func:`imrotate` by an angle drawn uniformly from ``angle_limits`` = ``(lower, upper)``
    degrees with ``np.random.uniform``, one per image of a batch (MXNet 1.9.1
    ``mx.image.random_rotate``: after ``np.random.seed`` the same angles).

    Raises
    ------
    MXNetTypeError, MXNetValueError
        As :func:`imrotate`.
    """
    if src.ndim == 3:
        degrees = np.random.uniform(*angle_limits)
    else:
        degrees = np.random.uniform(*angle_limits, size=src.shape[0])
    return imrotate(src, degrees, zoom_in=zoom_in, zoom_out=zoom_out)


# the augmenters, imported last: they use the functions above
from minigluon._image_aug import (  # noqa: E402
    Augmenter, SequentialAug, RandomOrderAug, ResizeAug, ForceResizeAug, RandomCropAug,
    RandomSizedCropAug, CenterCropAug, BrightnessJitterAug, ContrastJitterAug,
    SaturationJitterAug, HueJitterAug, ColorJitterAug, LightingAug, ColorNormalizeAug,
    RandomGrayAug, HorizontalFlipAug, CastAug, CreateAugmenter)

__all__ += ['Augmenter', 'SequentialAug', 'RandomOrderAug', 'ResizeAug', 'ForceResizeAug',
            'RandomCropAug', 'RandomSizedCropAug', 'CenterCropAug', 'BrightnessJitterAug',
            'ContrastJitterAug', 'SaturationJitterAug', 'HueJitterAug', 'ColorJitterAug',
            'LightingAug', 'ColorNormalizeAug', 'RandomGrayAug', 'HorizontalFlipAug', 'CastAug',
            'CreateAugmenter']

from minigluon._image_iter import ImageIter  # noqa: E402

__all__ += ['ImageIter']

from minigluon import _image_det as det  # noqa: E402
from minigluon._image_det import (  # noqa: E402
    DetAugmenter, DetBorrowAug, DetRandomSelectAug, DetHorizontalFlipAug, DetRandomCropAug,
    DetRandomPadAug, CreateMultiRandCropAugmenter, CreateDetAugmenter, ImageDetIter)

detection = det
# ``import mxnet.image.det`` / ``from mxnet.image.detection import ...`` work as in MXNet
_sys.modules[__name__ + '.det'] = _sys.modules[__name__ + '.detection'] = det
# MXNet's ``mxnet.image`` is a package whose ``image`` submodule holds the functions above:
# ``from mxnet.image.image import _get_interp_method`` (GluonCV 0.10.5's resize helpers) finds them
image = _sys.modules[__name__]
_sys.modules[__name__ + '.image'] = image
__all__ += ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
            'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter',
            'CreateDetAugmenter', 'ImageDetIter']
