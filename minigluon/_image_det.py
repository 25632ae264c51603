"""``mx.image.det`` (also ``mx.image.detection``): augmenters that move bounding boxes with the
image, and ``ImageDetIter``, batches of images with their box labels (MXNet 1.9.1
``mxnet.image.detection``); exported by :mod:`minigluon.image`.

A detection label is a NumPy float array ``(objects, width)``, ``width >= 5``: each row is
``(class id, xmin, ymin, xmax, ymax, extra...)``, the corners as fractions of the image width and
height (0 to 1). A detection augmenter is called as ``aug(image, label)`` on an ``(H, W, C)``
NDArray image and returns ``(image, label)``. The random ones draw from Python's ``random`` in
the order MXNet's do, so after the same ``random.seed`` they take the same crops, pads and flips
(``tests/test_image_det.py`` checks this against MXNet). ``DetHorizontalFlipAug`` changes the
label array it is given in place, as MXNet's does.

Raw labels, as ``ImageDetIter`` reads them from a ``.rec`` header or an image list, are flat:
``[header_width, object_width, (header_width - 2 more header values), object 0..., object 1...]``
(im2rec's detection format): :meth:`ImageDetIter._parse_label` turns them into the
``(objects, object_width)`` array.
"""
import logging
import random
import warnings
from math import sqrt

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import MXNetTypeError, MXNetValueError, NotSupportedError, numeric_types
from minigluon._image_aug import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug,
                                  ForceResizeAug, _KeepsArguments, HueJitterAug, LightingAug, RandomGrayAug,
                                  ResizeAug, _IMAGENET_MEAN, _IMAGENET_STD, _normalize_stat)
from minigluon._image_iter import ImageIter
from minigluon.image import copyMakeBorder, fixed_crop
from minigluon.io import DataDesc

__all__ = ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
           'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter',
           'CreateDetAugmenter', 'ImageDetIter']


class DetAugmenter(_KeepsArguments):
    """Base class of the detection augmenters: keeps the constructor arguments for
    :meth:`dumps` (NDArrays and NumPy arrays stored as lists). Not an image ``Augmenter``, as in
    MXNet 1.9.1. Subclasses implement ``__call__(src, label) -> (src, label)``."""

    def __call__(self, src, label):
        raise NotImplementedError('%s must implement __call__(src, label)' % type(self).__name__)


class DetBorrowAug(DetAugmenter):
    """Use an image augmenter (:class:`minigluon.image.Augmenter`) that does not move the boxes
    (colour, cast, normalize, resize of the whole image): the label passes through unchanged.

    Raises ``TypeError`` when ``augmenter`` is not an ``Augmenter``, as MXNet's.
    """

    def __init__(self, augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError('DetBorrowAug: augmenter must be a mx.image.Augmenter, got %s'
                            % type(augmenter).__name__)
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self):
        """``list``: ``[name, the borrowed augmenter's dumps()]`` (a list, as MXNet's)."""
        return [type(self).__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src, label):
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """Apply one of ``aug_list`` (detection augmenters), or with probability ``skip_prob`` none.

    At each call: ``random.random() < skip_prob`` skips; otherwise ``random.shuffle`` reorders
    ``self.aug_list`` in place and its first member is applied (MXNet's draws). An empty list
    always skips. Raises ``ValueError`` for a member that is not a ``DetAugmenter``, as MXNet's.
    """

    def __init__(self, aug_list, skip_prob=0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError('DetRandomSelectAug: aug_list may hold only DetAugmenters, got %s'
                                 % type(aug).__name__)
        self.aug_list = aug_list
        self.skip_prob = skip_prob if aug_list else 1

    def dumps(self):
        """``list``: ``[name, [each member's dumps()]]``."""
        return [type(self).__name__.lower(), [aug.dumps() for aug in self.aug_list]]

    def __call__(self, src, label):
        if random.random() < self.skip_prob:
            return src, label
        random.shuffle(self.aug_list)
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """With probability ``p`` (``random.random() < p``), mirror the image left-right and the boxes
    with it: ``xmin, xmax = 1 - xmax, 1 - xmin``, written into ``label`` in place (as MXNet)."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src, label):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
            new_xmin = 1.0 - label[:, 3]
            label[:, 3] = 1.0 - label[:, 1]
            label[:, 1] = new_xmin
        return src, label


def _pair(value, what, owner):
    """A number ``r`` as the range ``(r, r)``; a tuple or list kept."""
    if isinstance(value, (tuple, list)):
        return value
    if not isinstance(value, numeric_types):
        raise MXNetTypeError('%s: %s must be a number or a (min, max) pair, got %r'
                             % (owner, what, value))
    logging.info('Using fixed %s: %s in %s', what, value, owner)
    return (value, value)


def _box_areas(boxes):
    """Areas of ``(n, 4)`` corner boxes ``(xmin, ymin, xmax, ymax)``, 0 for inverted boxes."""
    return np.maximum(0, boxes[:, 3] - boxes[:, 1]) * np.maximum(0, boxes[:, 2] - boxes[:, 0])


def _window_attempts(aug, min_area, max_area):
    """The draws of a random crop or pad window: up to ``aug.max_attempts`` times an aspect
    ratio (width / height) from ``aug.aspect_ratio_range`` (Python's ``random``, in MXNet 1.9.1's
    order), yielding ``(ratio, h, max_h)``: the heights (pixels, rounded) of the windows of that
    ratio with areas ``min_area`` and ``max_area``. Ratios <= 0 are skipped."""
    for _ in range(aug.max_attempts):
        ratio = random.uniform(*aug.aspect_ratio_range)
        if ratio <= 0:
            continue
        yield ratio, int(round(sqrt(min_area / ratio))), int(round(sqrt(max_area / ratio)))


class DetRandomCropAug(DetAugmenter):
    """Crop a random window that keeps the objects (SSD's sampling; MXNet 1.9.1
    ``DetRandomCropAug``).

    Up to ``max_attempts`` times: draw an aspect ratio (width / height) uniformly in
    ``aspect_ratio_range`` and a height so that the window's area is within ``area_range``
    (fractions of the image area), then a position, all with Python's ``random``. A window is
    taken when every object it overlaps is covered by more than ``min_object_covered`` of its
    area, and at least one object stays after the boxes are moved into the window, clipped to
    it and those keeping no more than ``min_eject_coverage`` of their area dropped. Otherwise
    (or when the ranges are invalid: a warning at construction) the image and label are
    returned unchanged. Numbers given for the ranges mean ``(r, r)``.

    The crop keeps the pixels (no resize). (MXNet 1.9.1 crashes with ``TypeError`` while warning
    about an invalid range; here the warning is a ``UserWarning``.)
    """

    def __init__(self, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                 area_range=(0.05, 1.0), min_eject_coverage=0.3, max_attempts=50):
        owner = 'DetRandomCropAug'
        aspect_ratio_range = _pair(aspect_ratio_range, 'aspect_ratio_range', owner)
        area_range = _pair(area_range, 'area_range', owner)
        super().__init__(min_object_covered=min_object_covered,
                         aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = False
        if area_range[1] <= 0 or area_range[0] > area_range[1]:
            warnings.warn('DetRandomCropAug is skipped: invalid area_range %r' % (area_range,))
        elif aspect_ratio_range[0] > aspect_ratio_range[1] or aspect_ratio_range[0] <= 0:
            warnings.warn('DetRandomCropAug is skipped: invalid aspect_ratio_range %r'
                          % (aspect_ratio_range,))
        else:
            self.enabled = True

    def __call__(self, src, label):
        crop = self._random_crop_proposal(label, src.shape[0], src.shape[1])
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return src, label

    def _covers_objects(self, label, box, width, height):
        """Whether the pixel window ``box`` = ``(xmin, ymin, xmax, ymax)`` is over 1 pixel and
        covers more than ``min_object_covered`` of every object (of over 2 pixels) it touches,
        touching at least one."""
        xmin, ymin, xmax, ymax = box
        if (xmax - xmin) * (ymax - ymin) < 2:
            return False
        x1, y1 = float(xmin) / width, float(ymin) / height
        x2, y2 = float(xmax) / width, float(ymax) / height
        areas = _box_areas(label[:, 1:])
        valid = np.where(areas * width * height > 2)[0]
        if valid.size < 1:
            return False
        boxes = label[valid, 1:]
        inter = np.stack([np.maximum(boxes[:, 0], x1), np.maximum(boxes[:, 1], y1),
                          np.minimum(boxes[:, 2], x2), np.minimum(boxes[:, 3], y2)], axis=1)
        inter[(inter[:, 0] >= inter[:, 2]) | (inter[:, 1] >= inter[:, 3])] = 0
        coverages = _box_areas(inter) / areas[valid]
        coverages = coverages[coverages > 0]
        return coverages.size > 0 and np.amin(coverages) > self.min_object_covered

    def _update_labels(self, label, crop_box, height, width):
        """The label moved into the pixel window ``crop_box`` = ``(x, y, w, h)``: corners
        relative to the window, clipped to [0, 1]; objects left empty or keeping no more than
        ``min_eject_coverage`` of their area are dropped. None when none is left."""
        xmin, ymin = float(crop_box[0]) / width, float(crop_box[1]) / height
        w, h = float(crop_box[2]) / width, float(crop_box[3]) / height
        out = label.copy()
        out[:, (1, 3)] -= xmin
        out[:, (2, 4)] -= ymin
        out[:, (1, 3)] /= w
        out[:, (2, 4)] /= h
        out[:, 1:5] = np.minimum(1, np.maximum(0, out[:, 1:5]))
        coverage = _box_areas(out[:, 1:]) * w * h / _box_areas(label[:, 1:])
        keep = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]) & \
            (coverage > self.min_eject_coverage)
        if not keep.any():
            return None
        return out[keep]

    def _random_crop_proposal(self, label, height, width):
        """``(x, y, w, h, new_label)`` of an accepted window, or ``()``."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for ratio, h, max_h in _window_attempts(self, min_area, max_area):
            if round(max_h * ratio) > width:
                max_h = int((width + 0.4999999) / ratio)     # round(max_h * ratio) <= width
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            area = w * h                    # nudge h by one when rounding left the area range
            if area < min_area:
                h += 1
                w = int(round(h * ratio))
                area = w * h
            if area > max_area:
                h -= 1
                w = int(round(h * ratio))
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width and 0 <= h <= height):
                continue
            y = random.randint(0, max(0, height - h))
            x = random.randint(0, max(0, width - w))
            if self._covers_objects(label, (x, y, x + w, y + h), width, height):
                new_label = self._update_labels(label, (x, y, w, h), height, width)
                if new_label is not None:
                    return (x, y, w, h, new_label)
        return ()


class DetRandomPadAug(DetAugmenter):
    """Place the image at a random spot of a larger canvas filled with ``pad_val`` (SSD's zoom
    out; MXNet 1.9.1 ``DetRandomPadAug``), moving the boxes with it.

    Up to ``max_attempts`` times: draw an aspect ratio in ``aspect_ratio_range`` and a canvas
    height so that the canvas covers the image and its area is within ``area_range`` (multiples
    of the image area, above 1), with Python's ``random``; a canvas less than 2 pixels larger
    than the image on a side is redrawn. ``pad_val`` is one value per channel, or a number for
    every channel (MXNet 1.9.1 fills only the first channel with a number, the others with 0).
    Invalid ranges warn at construction and turn the augmenter off.
    """

    def __init__(self, aspect_ratio_range=(0.75, 1.33), area_range=(1.0, 3.0),
                 max_attempts=50, pad_val=(128, 128, 128)):
        owner = 'DetRandomPadAug'
        if not isinstance(pad_val, (list, tuple)):
            if not isinstance(pad_val, numeric_types):
                raise MXNetTypeError('DetRandomPadAug: pad_val must be a number or one value per '
                                     'channel, got %r' % (pad_val,))
        aspect_ratio_range = _pair(aspect_ratio_range, 'aspect_ratio_range', owner)
        area_range = _pair(area_range, 'area_range', owner)
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         max_attempts=max_attempts, pad_val=pad_val)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = False
        if area_range[1] <= 1.0 or area_range[0] > area_range[1]:
            warnings.warn('DetRandomPadAug is skipped: invalid area_range %r' % (area_range,))
        elif aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
            warnings.warn('DetRandomPadAug is skipped: invalid aspect_ratio_range %r'
                          % (aspect_ratio_range,))
        else:
            self.enabled = True

    def __call__(self, src, label):
        height, width = src.shape[:2]
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            values = self.pad_val if isinstance(self.pad_val, (list, tuple)) \
                else (self.pad_val,) * src.shape[2]
            src = copyMakeBorder(src, y, h - y - height, x, w - x - width, 0, values=values)
        return src, label

    def _update_labels(self, label, pad_box, height, width):
        """The label moved into the canvas ``pad_box`` = ``(x, y, w, h)`` (pixels)."""
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] * width + pad_box[0]) / pad_box[2]
        out[:, (2, 4)] = (out[:, (2, 4)] * height + pad_box[1]) / pad_box[3]
        return out

    def _random_pad_proposal(self, label, height, width):
        """``(x, y, w, h, new_label)`` of the canvas, or ``()``."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for ratio, h, max_h in _window_attempts(self, min_area, max_area):
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)
            h = max(h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            if (h - height) < 2 or (w - width) < 2:
                continue                    # too little padding to be worth it
            y = random.randint(0, max(0, h - height))
            x = random.randint(0, max(0, w - width))
            return (x, y, w, h, self._update_labels(label, (x, y, w, h), height, width))
        return ()


def CreateMultiRandCropAugmenter(min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                                 area_range=(0.05, 1.0), min_eject_coverage=0.3,
                                 max_attempts=50, skip_prob=0):
    """A :class:`DetRandomSelectAug` over several :class:`DetRandomCropAug` (MXNet 1.9.1).

    Each argument is one value for every crop augmenter or a *list* with one value per
    augmenter (a tuple is one range, a list of tuples one range each); the lists must have the
    same length (or 1). Raises ``MXNetValueError`` for lists of different lengths (MXNet
    asserts).
    """
    params = [min_object_covered, aspect_ratio_range, area_range, min_eject_coverage,
              max_attempts]
    params = [p if isinstance(p, list) else [p] for p in params]
    count = max(len(p) for p in params)
    for name, p in zip(('min_object_covered', 'aspect_ratio_range', 'area_range',
                        'min_eject_coverage', 'max_attempts'), params):
        if len(p) not in (1, count):
            raise MXNetValueError('CreateMultiRandCropAugmenter: %s holds %d values; every list '
                                  'must hold %d values or 1' % (name, len(p), count))
    params = [p * count if len(p) == 1 else p for p in params]
    augs = [DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=arr, area_range=ar,
                             min_eject_coverage=mec, max_attempts=ma)
            for moc, arr, ar, mec, ma in zip(*params)]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def CreateDetAugmenter(data_shape, resize=0, rand_crop=0, rand_pad=0, rand_gray=0,
                       rand_mirror=False, mean=None, std=None, brightness=0, contrast=0,
                       saturation=0, pca_noise=0, hue=0, inter_method=2, min_object_covered=0.1,
                       aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 3.0),
                       min_eject_coverage=0.3, max_attempts=50, pad_val=(127, 127, 127)):
    """The detection augmenter list of MXNet 1.9.1's ``mx.image.CreateDetAugmenter``, in its
    order: ``ResizeAug(resize)`` (``resize > 0``); random crops with probability ``rand_crop``
    (:func:`CreateMultiRandCropAugmenter` with ``min_object_covered``, ``aspect_ratio_range``,
    ``area_range``, ``min_eject_coverage``, ``max_attempts``); ``DetHorizontalFlipAug(0.5)``
    (``rand_mirror``); random padding with probability ``rand_pad`` (area up to
    ``area_range[1]``, ``pad_val``); ``ForceResizeAug`` to ``data_shape`` = ``(C, H, W)``;
    ``CastAug``; colour jitter, hue, PCA lighting, random gray; ``ColorNormalizeAug``
    (``mean=True`` / ``std=True``: the ImageNet RGB statistics). The image augmenters are
    wrapped in :class:`DetBorrowAug`; ``inter_method`` is the resizes' interpolation.

    Returns a list of detection augmenters. Raises ``MXNetValueError`` for a ``data_shape``
    that is not 3 values or a ``mean``/``std`` that is not True, None or 1 or 3 values.
    """
    try:
        if isinstance(data_shape, str) or len(data_shape) != 3:
            raise TypeError
    except TypeError:
        raise MXNetValueError('CreateDetAugmenter: data_shape must be (channels, height, width), '
                              'got %r' % (data_shape,)) from None
    augs = []
    if resize > 0:
        augs.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        augs.append(CreateMultiRandCropAugmenter(min_object_covered, aspect_ratio_range,
                                                 area_range, min_eject_coverage, max_attempts,
                                                 skip_prob=1 - rand_crop))
    if rand_mirror > 0:
        augs.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:                        # as late as possible: padding makes images larger
        pad = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        augs.append(DetRandomSelectAug([pad], 1 - rand_pad))
    augs.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    augs.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        augs.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        augs.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        augs.append(DetBorrowAug(LightingAug(pca_noise, eigval, eigvec)))
    if rand_gray > 0:
        augs.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    # True: ImageNet's statistics as float64 NumPy arrays (MXNet's, which dumps() shows)
    mean = np.array(_IMAGENET_MEAN) if mean is True else \
        _normalize_stat('mean', mean, _IMAGENET_MEAN, 'CreateDetAugmenter')
    std = np.array(_IMAGENET_STD) if std is True else \
        _normalize_stat('std', std, _IMAGENET_STD, 'CreateDetAugmenter')
    if mean is not None or std is not None:
        augs.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return augs


class ImageDetIter(ImageIter):
    """Batches of images with their box labels, augmented with detection augmenters (MXNet 1.9.1
    ``mx.image.ImageDetIter``).

    Parameters
    ----------
    batch_size : int
    data_shape : (3, height, width)
    path_imgrec, path_imglist, imglist, path_root, path_imgidx, shuffle, part_index, num_parts,
    data_name, last_batch_handle
        As :class:`minigluon.image.ImageIter`. Each sample's label is a raw detection label
        ``[header_width, object_width, header..., objects...]`` (see the module docstring): the
        header of a ``.rec`` record, the label columns of a ``.lst`` line, or the label list of
        an ``imglist`` item.
    aug_list : list of detection augmenters, optional
        Default ``CreateDetAugmenter(data_shape, **kwargs)``.
    label_name : str, default 'label'

    The label shape ``(max objects, object_width)`` is measured at construction by reading
    every sample's label once (``label_shape``); ``provide_label`` is
    ``[DataDesc(label_name, (batch_size,) + label_shape)]``. :meth:`reshape` and
    :meth:`sync_label_shape` change it.

    Batches
    -------
    ``DataBatch([data], [label], pad)``: data float32 ``(batch, 3, height, width)``, label float32
    ``(batch, max objects, object_width)``, the objects of each image first and -1 rows after
    (and for the rows of an unfilled last batch). Objects whose box is empty
    (``xmax <= xmin`` or ``ymax <= ymin``) are dropped when parsed. A sample whose label cannot be
    parsed, or that keeps no valid object (class id >= 0 and a non-empty box) after
    augmentation, is skipped, as in MXNet. A last 'pad' batch longer than what is left wraps
    over the data as often as it needs (:class:`ImageIter`'s rule; MXNet 1.9.1 wraps once and
    leaves zero images and -1 labels): each extra sample is augmented, so with random augmenters
    the later draws (and the next epoch's crops) differ from MXNet's after such a batch.

    Raises
    ------
    MXNetValueError
        As :class:`ImageIter`; also for a source without any parsable label (MXNet:
        ``UnboundLocalError``), a label that cannot be parsed while the shape is measured (as
        MXNet, which raises ``RuntimeError`` there), or an augmented sample with more objects
        than ``label_shape`` holds, or an augmented image that does not have ``data_shape``.
    """

    def __init__(self, batch_size, data_shape, path_imgrec=None, path_imglist=None,
                 path_root=None, path_imgidx=None, shuffle=False, part_index=0, num_parts=1,
                 aug_list=None, imglist=None, data_name='data', label_name='label',
                 last_batch_handle='pad', **kwargs):
        super().__init__(batch_size=batch_size, data_shape=data_shape, path_imgrec=path_imgrec,
                         path_imglist=path_imglist, path_root=path_root,
                         path_imgidx=path_imgidx, shuffle=shuffle, part_index=part_index,
                         num_parts=num_parts, aug_list=[], imglist=imglist,
                         data_name=data_name, label_name=label_name,
                         last_batch_handle=last_batch_handle)
        self.auglist = CreateDetAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        # the default list's final resize, which reshape() points at a new data_shape
        self._force_resize = None
        if aug_list is None:
            self._force_resize = next(a.augmenter for a in self.auglist
                                      if isinstance(a, DetBorrowAug)
                                      and isinstance(a.augmenter, ForceResizeAug))
        self.label_shape = self._estimate_label_shape()
        self.provide_label = [DataDesc(label_name, (self.batch_size,) + self.label_shape)]

    # -- labels --------------------------------------------------------------------------------
    def _estimate_label_shape(self):
        """``(most objects in a sample, object width)`` over every sample (rewinds after)."""
        max_count, width = 0, None
        self.reset()
        try:
            while True:
                label, _ = self.next_sample()
                try:
                    label = self._parse_label(label)
                except RuntimeError as err:
                    raise MXNetValueError('ImageDetIter: %s (sample %r)'
                                          % (err, getattr(self, '_key', None))) from None
                max_count, width = max(max_count, label.shape[0]), label.shape[1]
        except StopIteration:
            pass
        self.reset()
        if width is None:
            raise MXNetValueError('ImageDetIter: the source holds no samples')
        return (max_count, width)

    def _parse_label(self, label):
        """The raw label ``[header_width, object_width, header..., objects...]`` (NumPy array
        or NDArray) as ``(objects, object_width)``, without empty boxes. Raises RuntimeError
        (the error that makes :meth:`next` skip the sample) when it has fewer than 7 values,
        its length does not fit the widths, or no box is left."""
        if isinstance(label, nd.NDArray):
            label = label.asnumpy()
        raw = np.asarray(label).ravel()
        if raw.size < 7:
            raise RuntimeError('a detection label needs at least 7 values (2 header values and '
                               'one object of 5), got %d' % raw.size)
        header_width, obj_width = int(raw[0]), int(raw[1])
        if header_width < 2 or obj_width < 5 or (raw.size - header_width) % obj_width:
            raise RuntimeError('a label of %d values does not hold a header of %d values and '
                               'objects of %d values' % (raw.size, header_width, obj_width))
        out = raw[header_width:].reshape(-1, obj_width)
        out = out[(out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])]
        if out.shape[0] < 1:
            raise RuntimeError('the sample has no object with a non-empty box')
        return out

    def _check_valid_label(self, label):
        """RuntimeError unless ``label`` is ``(n, >= 5)`` with an object of class >= 0 and a
        non-empty box."""
        if label.ndim != 2 or label.shape[1] < 5:
            raise RuntimeError('a label of shape (objects, 5 or more) is required, got %s'
                               % (label.shape,))
        valid = (label[:, 0] >= 0) & (label[:, 3] > label[:, 1]) & (label[:, 4] > label[:, 2])
        if not valid.any():
            raise RuntimeError('the sample has no valid object')

    # -- batches -------------------------------------------------------------------------------
    def _blank_label(self):
        return np.full(self.provide_label[0].shape, -1.0)

    def _fill(self, data, label, start):
        """Read samples into rows ``start...``: decoded, augmented with their labels, the
        objects first in each label row; samples whose label is invalid are skipped (logged at
        DEBUG level, as MXNet). Returns the number of rows filled."""
        i = start
        try:
            while i < self.batch_size:
                raw, encoded = self.next_sample()
                img = self.imdecode(encoded)
                try:
                    self.check_valid_image([img])
                    objects = self._parse_label(raw)
                    img, objects = self.augmentation_transform(img, objects)
                    self._check_valid_label(objects)
                except RuntimeError as err:
                    logging.debug('Invalid image, skipping: %s', err)
                    continue
                if objects.shape[0] > label.shape[1] or objects.shape[1] != label.shape[2]:
                    raise MXNetValueError('ImageDetIter: a sample has %d objects of %d values; '
                                          'label_shape %s cannot hold them'
                                          % (objects.shape + (self.label_shape,)))
                chw = self.postprocess_data(img)
                if chw.shape != data.shape[1:]:
                    raise MXNetValueError('ImageDetIter: an augmented image has shape %s (C, H, W) '
                                          'but data_shape is %s; end aug_list with a resize to it '
                                          '(ForceResizeAug)' % (chw.shape, data.shape[1:]))
                data[i] = chw.asnumpy()
                label[i] = -1
                label[i, :objects.shape[0]] = objects
                i += 1
        except StopIteration:
            if i == 0:
                raise
        return i

    def augmentation_transform(self, data, label):
        """Apply ``self.auglist`` in order to ``(image, label)``."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    # -- label shapes --------------------------------------------------------------------------
    def reshape(self, data_shape=None, label_shape=None):
        """Change the data shape ``(3, height, width)`` and/or the label shape
        ``(objects, object_width)``: more objects only, the same width (see
        :meth:`check_label_shape`). With the default augmenters (no ``aug_list``), images are
        then resized to the new ``data_shape`` (MXNet 1.9.1 keeps resizing them to the old one
        and fails to put them into the batch)."""
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.data_shape = tuple(data_shape)
            if self._force_resize is not None:
                size = (self.data_shape[2], self.data_shape[1])
                self._force_resize.size = size
                self._force_resize._kwargs['size'] = size
            self.provide_data = [DataDesc(self.provide_data[0].name,
                                          (self.batch_size,) + self.data_shape)]
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.label_shape = tuple(label_shape)
            self.provide_label = [DataDesc(self.provide_label[0].name,
                                           (self.batch_size,) + self.label_shape)]

    def check_label_shape(self, label_shape):
        """ValueError unless ``label_shape`` is ``(objects, object_width)`` with no fewer
        objects than now and the same width (MXNet's rules)."""
        if len(label_shape) != 2:
            raise ValueError('ImageDetIter: label_shape must be (objects, object_width), got %r'
                             % (label_shape,))
        if label_shape[0] < self.label_shape[0]:
            raise ValueError('ImageDetIter: label_shape cannot reduce the object count from %d '
                             'to %d' % (self.label_shape[0], label_shape[0]))
        if label_shape[1] != self.provide_label[0].shape[2]:
            raise ValueError('ImageDetIter: label_shape object width %d differs from %d'
                             % (label_shape[1], self.provide_label[0].shape[2]))

    def sync_label_shape(self, it, verbose=False):
        """Give this iterator and ``it`` (another ImageDetIter, e.g. training and validation)
        the larger object count of the two; returns ``it``. Raises ``MXNetTypeError`` for
        another kind of iterator and ``MXNetValueError`` for a different object width (MXNet
        asserts)."""
        if not isinstance(it, ImageDetIter):
            raise MXNetTypeError('sync_label_shape: it must be an ImageDetIter, got %s'
                                 % type(it).__name__)
        mine, theirs = self.label_shape, it.label_shape
        if mine[1] != theirs[1]:
            raise MXNetValueError('sync_label_shape: object widths differ: %d and %d'
                                  % (mine[1], theirs[1]))
        count = max(mine[0], theirs[0])
        if count > mine[0]:
            self.reshape(None, (count, mine[1]))
        if count > theirs[0]:
            it.reshape(None, (count, theirs[1]))
        if verbose and count > min(mine[0], theirs[0]):
            logging.info('Resized label_shape to (%d, %d).', count, mine[1])
        return it

    # -- drawing -------------------------------------------------------------------------------
    def draw_next(self, color=None, thickness=2, mean=None, std=None, clip=True,
                  waitKey=None, window_name='draw_next', id2labels=None):
        """Yield the next images, augmented, with their boxes drawn, as ``(H, W, 3)`` uint8 NumPy
        arrays in BGR order (MXNet's, made for OpenCV).

        ``mean`` / ``std`` (True: ImageNet's; or arrays) undo a normalization (``image * std +
        mean``); ``clip`` clips to 0-255 first. Boxes are ``thickness``-pixel rectangles in
        ``color`` (RGB; None: a random colour per box from ``numpy.random``); objects with a
        negative xmin are not drawn. Drawn with NumPy, not OpenCV: the box pixels may differ
        slightly from MXNet's (without OpenCV installed, MXNet 1.9.1's ``draw_next`` fails with
        ``TypeError`` while warning that it cannot draw).

        Raises
        ------
        NotSupportedError
            For ``waitKey`` other than None (showing a window needs OpenCV's GUI; MXNet
            shows one) or ``id2labels`` (text needs OpenCV's fonts).
        """
        if waitKey is not None or id2labels is not None:
            raise NotSupportedError('ImageDetIter.draw_next: waitKey and id2labels need OpenCV '
                                    '(a window, text); minigluon only draws the boxes')
        std = np.array(_IMAGENET_STD) if std is True else std
        mean = np.array(_IMAGENET_MEAN) if mean is True else mean
        count = 0
        try:
            while True:
                raw, encoded = self.next_sample()
                img = self.imdecode(encoded)
                try:
                    self.check_valid_image([img])
                    objects = self._parse_label(raw)
                except RuntimeError as err:
                    logging.debug('Invalid image, skipping: %s', err)
                    continue
                count += 1
                img, objects = self.augmentation_transform(img, objects)
                yield _draw_boxes(img.asnumpy().astype(np.float64), objects, color, thickness,
                                  mean, std, clip)
        except StopIteration:
            if not count:
                return


def _draw_boxes(image, objects, color, thickness, mean, std, clip):
    """BGR uint8 copy of the float RGB ``image`` with ``objects``' boxes drawn (see draw_next)."""
    if std is not None:
        image = image * np.asarray(std)
    if mean is not None:
        image = image + np.asarray(mean)
    image = image[:, :, ::-1]
    if clip:
        image = np.clip(image, 0, 255)
    image = np.ascontiguousarray(image.astype(np.uint8))
    height, width = image.shape[:2]
    half = max(int(thickness), 1) // 2
    for row in objects:
        x1 = int(row[1] * width)
        if x1 < 0:
            continue
        y1, x2, y2 = int(row[2] * height), int(row[3] * width), int(row[4] * height)
        bgr = (np.random.rand(3) * 255 if not color else np.asarray(color)[::-1]).astype(np.uint8)
        top, bot = max(y1 - half, 0), min(y2 + half + 1, height)
        left, right = max(x1 - half, 0), min(x2 + half + 1, width)
        for lo, hi in ((y1, y1), (y2, y2)):                 # the horizontal edges
            image[max(lo - half, 0):min(hi + half + 1, height), left:right] = bgr
        for lo, hi in ((x1, x1), (x2, x2)):                 # the vertical edges
            image[top:bot, max(lo - half, 0):min(hi + half + 1, width)] = bgr
    return image
