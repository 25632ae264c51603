"""``mx.io.ImageDetRecordIter``: batches of images and their detection labels from a RecordIO
file (MXNet 1.9.1's C++ iterator, here in Python on :class:`minigluon._file_iters._StreamIter`,
which also carries ``ImageRecordIter``); exported by :mod:`minigluon.io`.

Its output labels are flat rows, measured on MXNet 1.9.1 (``tools/gen_image_det_fixtures.py``)::

    [channels, height, width, n, raw label (n values), label_pad_value...]

``channels, height, width`` are the output image's shape, ``raw label`` the record's detection
label ``[header_width, object_width, header..., objects...]`` (im2rec's layout) without the
objects whose box is empty (``xmax <= xmin`` or ``ymax <= ymin``), ``n`` its length. Scripts
such as MXNet's ``example/ssd`` read ``header_width`` at column 4 and the objects from column
``4 + header_width``.
"""
import numpy as np

from minigluon.base import (MXNetFormatError, MXNetTypeError, MXNetValueError, NotSupportedError,
                            check_int)
from minigluon._file_iters import _StreamIter, _dtype, _parts, _record_offsets, _shape
from minigluon.io import DataDesc

# The augmentations of MXNet's detection iterator that minigluon does not implement, with the
# value that turns each off (MXNet's default).
_UNSUPPORTED = {
    'rand_crop_prob': 0, 'min_crop_scales': (0.0,), 'max_crop_scales': (1.0,),
    'min_crop_aspect_ratios': (1.0,), 'max_crop_aspect_ratios': (1.0,),
    'min_crop_overlaps': (0.0,), 'max_crop_overlaps': (1.0,),
    'min_crop_sample_coverages': (0.0,), 'max_crop_sample_coverages': (1.0,),
    'min_crop_object_coverages': (0.0,), 'max_crop_object_coverages': (1.0,),
    'num_crop_sampler': 1, 'crop_emit_mode': 'center', 'emit_overlap_thresh': 0.3,
    'max_crop_trials': (25,), 'rand_pad_prob': 0, 'max_pad_scale': 1, 'max_random_hue': 0,
    'random_hue_prob': 0, 'max_random_saturation': 0, 'random_saturation_prob': 0,
    'max_random_illumination': 0, 'random_illumination_prob': 0, 'max_random_contrast': 0,
    'random_contrast_prob': 0, 'resize_mode': 'force', 'mean_img': '', 'path_imglist': '',
    'aug_seq': 'det_aug_default', 'shuffle_chunk_size': 0}
# accepted and ignored: threads, prefetching, devices, logging, the padding colour (no padding
# here), the alpha channel's statistics
_IGNORED = ('preprocess_threads', 'prefetch_buffer', 'ctx', 'verbose', 'shuffle_chunk_seed',
            'fill_value', 'mean_a', 'std_a')


def _same(value, default):
    """Whether an argument equals the value that turns its augmentation off."""
    if isinstance(default, tuple):
        try:
            return tuple(float(v) for v in np.atleast_1d(value)) == tuple(float(v) for v in default)
        except (TypeError, ValueError):
            return False
    return value == default


def _kept_label(raw, where):
    """The raw label without objects whose box is empty; MXNetFormatError (naming ``where``)
    when it is not ``[header_width >= 2, object_width >= 5, header..., objects...]``."""
    if raw.size < 7:
        raise MXNetFormatError('ImageDetRecordIter: %s has a label of %d value(s); a detection '
                               'label needs at least 7 (header_width, object_width, one object '
                               'of 5)' % (where, raw.size))
    header_width, obj_width = int(raw[0]), int(raw[1])
    if header_width < 2 or obj_width < 5 or (raw.size - header_width) % obj_width:
        raise MXNetFormatError('ImageDetRecordIter: %s has a label of %d values that does not '
                               'hold a header of %d values and objects of %d values'
                               % (where, raw.size, header_width, obj_width))
    objects = raw[header_width:].reshape(-1, obj_width)
    objects = objects[(objects[:, 3] > objects[:, 1]) & (objects[:, 4] > objects[:, 2])]
    return np.concatenate([raw[:header_width], objects.ravel()]), header_width, obj_width


class ImageDetRecordIter(_StreamIter):
    """Batches of images and detection labels from a RecordIO file (MXNet 1.9.1
    ``mx.io.ImageDetRecordIter``, C++ there), decoded with minigluon's Pillow codec (PNG gives
    MXNet's pixels exactly).

    Parameters
    ----------
    path_imgrec : str or os.PathLike
        The ``.rec`` file; each record's header holds a detection label ``[header_width,
        object_width, header..., objects...]`` (im2rec's ``--pack-label`` layout).
    data_shape : (channels, height, width)
        ``channels`` 3 (RGB) or 1 (grayscale). Every image is resized to it, ignoring the aspect
        ratio (``resize_mode='force'``, MXNet's default); the boxes, fractions of the image,
        stay as they are.
    batch_size : int
    path_imgidx : str or os.PathLike, optional
        Its ``.idx`` file; only changes how ``num_parts`` splits the records.
    label_width : int, default -1
        -1: labels of any length; else every record's label must hold that many values.
    label_pad_width : int, default 0
        The width of the raw-label part of the rows: 0 or -1 the longest record label in the
        file; a larger number pads to it (MXNet's ``example/ssd`` uses 350 to give training
        and validation the same shape). Rows are ``4 + label_pad_width`` wide.
    label_pad_value : float, default -1
        Fills the rows after each label.
    shuffle : bool, default False
        Reshuffle at every epoch with ``numpy.random.RandomState(seed)`` (MXNet's C++
        generator gives another order).
    seed : int, default 0
        Seeds the shuffling and ``rand_mirror_prob``.
    rand_mirror_prob : float, default 0
        Probability of flipping an image left-right, with its boxes (``xmin, xmax = 1 - xmax,
        1 - xmin``); drawn with Python's ``random.Random(seed)``, so the choices differ from
        MXNet's.
    resize : int, default -1
        When > 0, first resize so that the shorter side is ``resize``.
    inter_method : int, default 1
        Interpolation of the resizes (OpenCV's codes, as ``mx.image.imresize``).
    mean_r, mean_g, mean_b, std_r, std_g, std_b, scale : float
        Output ``(pixel - mean) * scale / std`` per channel in float32; a ``std`` of 0 (the
        default) divides by 1.
    round_batch : bool, default True
        True: the last batch is completed with the first records, ``pad`` counts them and the
        next epoch starts after them, as MXNet's; a batch that needs more filler records than
        the file holds wraps over it again (MXNet 1.9.1 fails: 'number of input must be bigger
        than batch size'). False: it is completed with zero images and
        rows of ``label_pad_value`` (MXNet 1.9.1 repeats stale rows there).
    num_parts, part_index : int, default 1, 0
        Read one part of the file, split as ``ImageRecordIter`` splits it.
    data_name, label_name : str, default 'data', 'softmax_label'
    dtype : None or 'float32'
        (MXNet 1.9.1 fails for the other types it lists.)
    preprocess_threads, prefetch_buffer, ctx, verbose, shuffle_chunk_seed, fill_value, mean_a,
    std_a
        Accepted and ignored.

    Not provided (a value other than the default raises :class:`NotSupportedError`; use
    :class:`minigluon.image.ImageDetIter` with ``CreateDetAugmenter`` instead): the random
    crops (``rand_crop_prob``, ``min_crop_scales``... ``max_crop_trials``), padding
    (``rand_pad_prob``, ``max_pad_scale``), the HSL and contrast jitter (``random_hue_prob``,
    ``max_random_hue``...), ``resize_mode`` 'fit' and 'shrink', ``mean_img``,
    ``path_imglist``, ``aug_seq`` and ``shuffle_chunk_size``.

    Batches
    -------
    data float32 ``(batch, channels, height, width)``; label float32 ``(batch, 4 +
    label_pad_width)``, rows as in the module docstring. ``getindex()`` gives the record
    numbers.

    Raises
    ------
    MXNetFormatError
        For a record whose label is not a detection label, or has another length than
        ``label_width``; an undecodable image (naming the record); a corrupt file.
    MXNetValueError, MXNetTypeError
        For a bad ``data_shape``, ``batch_size``, part, ``dtype``, a ``label_pad_width``
        below the longest label (MXNet fails in its worker thread), or an unknown argument.
    NotSupportedError
        For an augmentation minigluon does not implement.
    """

    _owner = 'ImageDetRecordIter'

    def __init__(self, path_imgrec=None, data_shape=None, batch_size=None, path_imgidx='',
                 label_width=-1, label_pad_width=0, label_pad_value=-1.0, shuffle=False, seed=0,
                 rand_mirror_prob=0.0, resize=-1, inter_method=1, mean_r=0.0, mean_g=0.0,
                 mean_b=0.0, std_r=0.0, std_g=0.0, std_b=0.0, scale=1.0, round_batch=True,
                 num_parts=1, part_index=0, data_name='data', label_name='softmax_label',
                 dtype=None, **kwargs):
        super().__init__()
        import random
        owner = self._owner
        self._check_extra(kwargs)
        if path_imgrec is None or path_imgrec == '':
            raise MXNetValueError('ImageDetRecordIter: path_imgrec is required')
        if data_shape is None or batch_size is None:
            raise MXNetValueError('ImageDetRecordIter: data_shape and batch_size are required')
        data_shape = _shape(owner, 'data_shape', data_shape)
        if len(data_shape) != 3 or data_shape[0] not in (1, 3):
            raise MXNetValueError('ImageDetRecordIter: data_shape must be (channels, height, '
                                  'width) with 1 or 3 channels, got %r' % (data_shape,))
        batch_size = check_int(batch_size, 'ImageDetRecordIter: batch_size', 1)
        self.label_width = check_int(label_width, 'ImageDetRecordIter: label_width', -1)
        label_pad_width = check_int(label_pad_width, 'ImageDetRecordIter: label_pad_width', -1)
        num_parts, part_index = _parts(owner, num_parts, part_index)
        _dtype(owner, dtype, {None: np.float32, 'float32': np.float32})
        self.resize = check_int(resize, 'ImageDetRecordIter: resize')
        self.inter_method = check_int(inter_method, 'ImageDetRecordIter: inter_method', 0)
        if not 0 <= rand_mirror_prob <= 1:
            raise MXNetValueError('ImageDetRecordIter: rand_mirror_prob must be in [0, 1], got %r'
                                  % (rand_mirror_prob,))
        self.data_shape, self.rand_mirror_prob = data_shape, float(rand_mirror_prob)
        self.label_pad_value = float(label_pad_value)
        channels = data_shape[0]
        stds = np.array((std_r, std_g, std_b)[:channels], np.float32)
        self._mean = np.array((mean_r, mean_g, mean_b)[:channels], np.float32).reshape(-1, 1, 1)
        self._mult = (np.float32(scale) / np.where(stds > 0, stds, 1)).reshape(-1, 1, 1)
        self.shuffle = bool(shuffle)
        self._rng = np.random.RandomState(check_int(seed, 'ImageDetRecordIter: seed'))
        self._aug_rng = random.Random(seed)
        self._rec, self._offsets, self._first = _record_offsets(owner, path_imgrec, path_imgidx,
                                                                num_parts, part_index)
        longest = max(self._read(pos)[0].size for pos in range(len(self._offsets)))
        if label_pad_width > 0 and label_pad_width < longest:
            raise MXNetValueError('ImageDetRecordIter: label_pad_width=%d is below the longest '
                                  'label of %s (%d values)' % (label_pad_width, path_imgrec,
                                                               longest))
        self._row_width = 4 + (label_pad_width if label_pad_width > 0 else longest)
        self.round_batch = bool(round_batch)
        self._start(len(self._offsets), batch_size, 'round' if self.round_batch else 'zeros',
                    DataDesc(data_name, (batch_size,) + data_shape, np.float32),
                    DataDesc(label_name, (batch_size, self._row_width), np.float32))

    @staticmethod
    def _check_extra(kwargs):
        """Refuse the augmentations minigluon lacks (unless given their defaults) and
        unknown arguments; accept the ignored ones."""
        for key, value in kwargs.items():
            if key in _UNSUPPORTED:
                if not _same(value, _UNSUPPORTED[key]):
                    raise NotSupportedError(
                        'ImageDetRecordIter: %s=%r is not supported by minigluon (only resize, '
                        'mirrors and mean/std/scale are); use mx.image.ImageDetIter with '
                        'mx.image.CreateDetAugmenter' % (key, value))
            elif key not in _IGNORED:
                raise MXNetTypeError('ImageDetRecordIter got an unexpected argument %r' % key)

    # -- reading -------------------------------------------------------------------------------
    def _read(self, pos):
        """``(raw label float32 array, header, encoded image)`` of the record at ``pos``."""
        from minigluon._recordio_pack import unpack
        with self._rec._locked():
            self._rec._goto(self._offsets[pos])
            record = self._rec._read()
        header, payload = unpack(record)
        raw = np.atleast_1d(np.asarray(header.label, np.float32)) if header.flag > 0 \
            else np.array([header.label], np.float32)
        return raw, header, payload

    def _fetch(self, positions):
        data = np.empty((len(positions),) + self.data_shape, np.float32)
        labels = np.full((len(positions), self._row_width), self.label_pad_value, np.float32)
        for row, pos in enumerate(positions):
            data[row], label = self._load(int(pos))
            labels[row, :label.size] = label
        return data, labels

    def _load(self, pos):
        """The normalized ``(C, H, W)`` image and the label row (without padding) of record
        ``pos``."""
        from minigluon.image import imdecode
        raw, header, payload = self._read(pos)
        where = 'record %d (id %d) of %s' % (pos, header.id, self._rec.uri)
        if self.label_width >= 0 and raw.size != self.label_width:
            raise MXNetFormatError('ImageDetRecordIter: %s has %d label values but label_width '
                                   'is %d' % (where, raw.size, self.label_width))
        kept, header_width, obj_width = _kept_label(raw, where)
        try:
            img = imdecode(payload, flag=1 if self.data_shape[0] == 3 else 0)
        except MXNetFormatError as err:
            raise MXNetFormatError('ImageDetRecordIter: %s is not a decodable image: %s'
                                   % (where, err)) from None
        pixels = self._resize(img)
        if self.rand_mirror_prob > 0 and self._aug_rng.random() < self.rand_mirror_prob:
            pixels = pixels[:, ::-1]
            objects = kept[header_width:].reshape(-1, obj_width)
            objects[:, [1, 3]] = 1 - objects[:, [3, 1]]
        chw = pixels.transpose(2, 0, 1).astype(np.float32)
        prefix = np.array(self.data_shape + (kept.size,), np.float32)
        return (chw - self._mean) * self._mult, np.concatenate([prefix, kept])

    def _resize(self, img):
        """``(H, W, C)`` uint8 pixels: the shorter side to ``resize`` first when set, then
        ``data_shape``'s height and width."""
        from minigluon.image import imresize, resize_short
        _, out_h, out_w = self.data_shape
        if self.resize > 0:
            img = resize_short(img, self.resize, interp=self.inter_method)
        if img.shape[:2] != (out_h, out_w):
            img = imresize(img, out_w, out_h, interp=self.inter_method)
        return img.asnumpy()

    def iter_next(self):
        """Read the next batch; with ``round_batch=False`` the filler rows of the last batch
        hold zero images and ``label_pad_value`` labels."""
        if not super().iter_next():
            return False
        if self._pad and self._mode == 'zeros':
            self._label[self.batch_size - self._pad:] = self.label_pad_value
        return True
