"""The file iterators that MXNet 1.9.1 implements in C++ (``mx.io.MNISTIter``, ``mx.io.CSVIter``,
``mx.io.ImageRecordIter`` and its deprecated names ``ImageRecordUInt8Iter``,
``ImageRecordInt8Iter``, ``ImageRecordIter_v1``, ``ImageRecordUInt8Iter_v1``), in pure Python;
exported by :mod:`minigluon.io`.

They behave as MXNet's ``MXDataIter`` wrappers do: ``next()`` returns a :class:`DataBatch` whose
``data`` and ``label`` are one-element lists, while ``getdata()`` / ``getlabel()`` return the
NDArray itself; ``getindex()`` is a uint64 NumPy array of sample positions and ``getpad()`` the
number of filler rows. ``provide_data`` / ``provide_label`` are :class:`DataDesc` lists.

How an epoch ends is the C++ batch loader's, measured on MXNet 1.9.1
(``tools/gen_file_iters_fixtures.py``):

* ``'drop'`` (MNISTIter): the last incomplete batch is skipped.
* ``'round'`` (``round_batch=True``): the last batch is completed with the first samples of the
  next pass and ``pad`` counts them; the next epoch (after ``reset()``) then starts *after* those
  samples, so the iterator runs through the data as one continuous stream.
* ``'stale'`` / ``'zeros'`` (``round_batch=False``): the last batch is completed with filler rows
  and ``pad`` counts them; every epoch restarts at the first sample.

Every file is read through :func:`minigluon.base.open_regular` / ``read_file``.
"""
import os
import random
import sys

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import (MXNetFormatError, MXNetTypeError, MXNetValueError, NotSupportedError,
                            check_int, read_file)
from minigluon.io import DataBatch, DataDesc, MXDataIter


def _path(owner, what, value):
    try:
        return os.fspath(value)
    except TypeError:
        raise MXNetTypeError('%s: %s must be a path (str or os.PathLike), got %s %r'
                             % (owner, what, type(value).__name__, value)) from None


def _shape(owner, what, value):
    """``value`` as a non-empty tuple of positive ints, else an error naming ``what``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    try:
        dims = tuple(value)
    except TypeError:
        raise MXNetTypeError('%s: %s must be a tuple of ints, got %r' % (owner, what, value)) from None
    if not dims:
        raise MXNetValueError('%s: %s must not be empty' % (owner, what))
    return tuple(check_int(d, '%s: %s[%d]' % (owner, what, i), 1) for i, d in enumerate(dims))


def _parts(owner, num_parts, part_index):
    num_parts = check_int(num_parts, '%s: num_parts' % owner, 1)
    part_index = check_int(part_index, '%s: part_index' % owner, 0)
    if part_index >= num_parts:
        raise MXNetValueError('%s: part_index (%d) must be below num_parts (%d)'
                              % (owner, part_index, num_parts))
    return num_parts, part_index


class _StreamIter(MXDataIter):
    """Batches over ``self._num`` samples that subclasses fetch with ``_fetch(positions)``
    (returning data and label NumPy arrays of the batch's rows), ending epochs as described in
    the module docstring (``self._mode``)."""

    _owner = 'DataIter'

    def _start(self, num, batch_size, mode, data_desc, label_desc):
        self._num = num
        self._mode = mode
        self.batch_size = batch_size
        self._data_desc, self._label_desc = data_desc, label_desc
        self._order = self._epoch_order()
        self._pos = 0
        self._next_start = 0        # 'round': where the next epoch starts (samples already used)
        self._data = self._label = self._index = None
        self._pad = 0
        self._buffers = None        # 'stale': the last batch's rows, reused as filler

    @property
    def provide_data(self):
        """``[DataDesc(data_name, (batch_size,) + data shape)]``."""
        return [self._data_desc]

    @property
    def provide_label(self):
        """``[DataDesc(label_name, (batch_size,) or (batch_size, label_width...))]``."""
        return [self._label_desc]

    #: the first sample of the part this iterator reads (``num_parts`` / ``part_index``), and
    #: whether each epoch shuffles the order with ``self._rng``; subclasses set them
    _first = 0
    shuffle = False

    def _epoch_order(self):
        order = np.arange(self._num)
        if self.shuffle:
            self._rng.shuffle(order)
        return order

    def _global_index(self, positions):
        """What ``getindex()`` reports for the samples at ``positions`` of the part read."""
        return np.asarray(positions) + self._first

    def reset(self):
        """Start the next epoch (see the module docstring for where it starts)."""
        if self._mode == 'round' and self._next_start:
            self._pos, self._next_start = self._next_start, 0      # order drawn at the wrap
        else:
            self._order = self._epoch_order()
            self._pos = 0
        self._data = self._label = self._index = None

    def iter_next(self):
        """Read the next batch; False at the end of the epoch. (MXNet 1.9.1's ``iter_next``
        returns True forever, with the same batch, until ``next()`` or ``reset()`` was called
        once; and a ``reset()`` before the first batch skips the first row of a CSVIter.)"""
        self._data = self._label = self._index = None
        take = self._order[self._pos:self._pos + self.batch_size]
        if not len(take):
            return False
        missing = self.batch_size - len(take)
        self._pos += len(take)
        if missing and self._mode == 'drop':
            self._pos = self._num
            return False
        if missing and self._mode == 'round':
            # the first samples of the next pass complete the batch (wrapping again if the
            # batch is longer than the data)
            nxt = self._epoch_order()
            reps = -(-missing // self._num)
            more = np.concatenate([nxt] * reps)[:missing] if reps > 1 else nxt[:missing]
            take = np.concatenate([take, more])
            self._order, self._next_start = nxt, missing % self._num
        data, label = self._fetch(take)
        index = np.asarray(self._global_index(take), dtype=np.uint64)
        if missing and self._mode in ('stale', 'zeros'):
            fill = self._buffers if self._mode == 'stale' else None
            if fill is None:
                fill = (np.zeros((self.batch_size,) + data.shape[1:], data.dtype),
                        np.zeros((self.batch_size,) + label.shape[1:], label.dtype),
                        np.zeros(self.batch_size, np.uint64))
            data = np.concatenate([data, fill[0][len(take):]])
            label = np.concatenate([label, fill[1][len(take):]])
            index = np.concatenate([index, fill[2][len(take):]])
        if self._mode == 'stale':
            self._buffers = (data, label, index)
        self._pad = missing
        self._data = nd.array(data, dtype=data.dtype)
        self._label = nd.array(label, dtype=label.dtype)
        self._index = index
        return True

    def _current(self):
        if self._data is None:
            raise MXNetValueError('%s: no current batch; call iter_next() first (it returned False '
                                  'or was not called)' % self._owner)

    def getdata(self):
        """The data NDArray of the current batch (not a list, as MXNet's ``MXDataIter``)."""
        self._current()
        return self._data

    def getlabel(self):
        """The label NDArray of the current batch (not a list, as MXNet's ``MXDataIter``)."""
        self._current()
        return self._label

    def getindex(self):
        """The positions of the current batch's samples (uint64 NumPy array)."""
        self._current()
        return self._index

    def getpad(self):
        """The number of filler rows at the end of the current batch."""
        self._current()
        return self._pad

    def next(self):
        """The next :class:`DataBatch` (``data`` / ``label`` one-element lists, ``pad``,
        ``index``); StopIteration at the end of the epoch."""
        if not self.iter_next():
            raise StopIteration
        return DataBatch([self._data], [self._label], pad=self._pad, index=self._index,
                         provide_data=self.provide_data, provide_label=self.provide_label)


_FLOAT_DTYPES = {None: np.float32, 'float32': np.float32, 'float16': np.float16,
                 'float64': np.float64}


def _dtype(owner, dtype, allowed):
    key = dtype if dtype is None or isinstance(dtype, str) else np.dtype(dtype).name
    if key not in allowed:
        raise MXNetValueError('%s: dtype must be one of %s, got %r'
                              % (owner, ', '.join(repr(k) for k in allowed), dtype))
    return allowed[key]


class MNISTIter(_StreamIter):
    """Batches of the MNIST idx files (MXNet 1.9.1 ``mx.io.MNISTIter``, C++ there).

    Parameters
    ----------
    image, label : str or os.PathLike
        The idx files of the images (``N x rows x cols`` uint8) and labels (``N`` uint8), as
        ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (the defaults, relative to the
        working directory). Gzipped files (``.gz``) are read too (MXNet 1.9.1 fails on them).
    batch_size : int, default 128
    shuffle : bool, default True
        Shuffle the samples once, when the iterator is made: every epoch has the same order, as
        in MXNet. The order comes from ``numpy.random.RandomState(seed)``, not MXNet's C++
        generator, so it differs from MXNet's; ``shuffle=False`` matches MXNet exactly.
    flat : bool, default False
        Data ``(batch, rows * cols)`` instead of ``(batch, 1, rows, cols)``.
    seed : int, default 0
    silent : bool, default False
        False prints one line to stderr (``MNISTIter: load N images, ...``), as MXNet logs.
    num_parts, part_index : int, default 1, 0
        Read only part ``part_index`` of ``num_parts``: the samples
        ``[N * part_index // num_parts, N * (part_index + 1) // num_parts)`` (MXNet's split).
    dtype : None, 'float32', 'float16' or 'float64'
        Output dtype (MXNet 1.9.1 fails for anything but float32).
    data_name, label_name : str, default 'data', 'softmax_label'
        Not MXNet arguments (its names are fixed); provided for symmetry with NDArrayIter.
    prefetch_buffer, ctx
        Accepted and ignored.

    Batches
    -------
    data : float32 ``(batch, 1, rows, cols)`` or ``(batch, rows * cols)``, the pixels divided by
    256 (MXNet's scale: values in [0, 255/256]). label : float32 ``(batch,)``. The last
    incomplete batch is dropped (``pad`` is always 0). ``getindex()`` gives the sample numbers in
    the file (MXNet 1.9.1 returns zeros).

    Raises
    ------
    MXNetFileNotFoundError (and the other errors of ``open_regular``)
        For a missing or unreadable file.
    MXNetFormatError
        For a file that is not an idx file of the right rank, or image and label files of
        different lengths.
    MXNetValueError, MXNetTypeError
        For a bad ``batch_size``, ``num_parts`` / ``part_index`` or ``dtype``, and for a batch
        larger than the part read (it would yield nothing; MXNet raises ``StopIteration`` when
        the iterator is made).
    """

    _owner = 'MNISTIter'

    def __init__(self, image='./train-images-idx3-ubyte', label='./train-labels-idx1-ubyte',
                 batch_size=128, shuffle=True, flat=False, seed=0, silent=False, num_parts=1,
                 part_index=0, prefetch_buffer=4, ctx='gpu', dtype=None, data_name='data',
                 label_name='softmax_label'):
        super().__init__()
        from minigluon.data.vision._files import read_idx
        owner = self._owner
        batch_size = check_int(batch_size, 'MNISTIter: batch_size', 1)
        num_parts, part_index = _parts(owner, num_parts, part_index)
        out_dtype = _dtype(owner, dtype, _FLOAT_DTYPES)
        image, label = _path(owner, 'image', image), _path(owner, 'label', label)
        images, labels = read_idx(image, 3), read_idx(label, 1)
        if len(images) != len(labels):
            raise MXNetFormatError('MNISTIter: %s holds %d images but %s holds %d labels'
                                   % (image, len(images), label, len(labels)))
        total = len(images)
        lo, hi = total * part_index // num_parts, total * (part_index + 1) // num_parts
        if batch_size > hi - lo:
            raise MXNetValueError('MNISTIter: batch_size (%d) is larger than the %d images read '
                                  '(part %d of %d of %s); the incomplete last batch is dropped, so '
                                  'no batch would come' % (batch_size, hi - lo, part_index,
                                                           num_parts, image, ))
        self._images, self._labels, self._first = images, labels, lo
        self._flat = bool(flat)
        self._out_dtype = out_dtype
        self.shuffle = bool(shuffle)
        self._perm = np.arange(hi - lo)
        if self.shuffle:
            np.random.RandomState(check_int(seed, 'MNISTIter: seed')).shuffle(self._perm)
        rows, cols = images.shape[1:]
        data_shape = (batch_size, rows * cols) if self._flat else (batch_size, 1, rows, cols)
        self._start(hi - lo, batch_size, 'drop',
                    DataDesc(data_name, data_shape, out_dtype),
                    DataDesc(label_name, (batch_size,), out_dtype))
        if not silent:
            print('MNISTIter: load %d images, shuffle=%d, shape=[%s]'
                  % (hi - lo, self.shuffle, ','.join(map(str, data_shape))), file=sys.stderr)

    def _epoch_order(self):
        return self._perm

    def _fetch(self, positions):
        rows = self._first + np.asarray(positions)
        data = self._images[rows].astype(np.float32) / np.float32(256)
        data = data.reshape((len(rows), -1) if self._flat else (len(rows), 1) + data.shape[1:])
        return data.astype(self._out_dtype), self._labels[rows].astype(self._out_dtype)


_CSV_DTYPES = dict(_FLOAT_DTYPES, int32=np.int32, int64=np.int64)


def _csv_files(owner, what, path):
    """The files ``path`` names: itself, or the regular files of a directory in name order."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if os.path.isfile(os.path.join(path, n)))
        if not names:
            raise MXNetValueError('%s: %s %r is a directory without files' % (owner, what, path))
        return [os.path.join(path, n) for n in names]
    return [path]


def _parse_field(text, dtype):
    """One CSV field as a number of ``dtype``'s kind; ValueError when it is none."""
    if np.dtype(dtype).kind == 'i':
        try:
            return int(text)
        except ValueError:
            value = float(text)             # '3.9' -> 3 and '-0.5' -> 0, as MXNet truncates
            if not np.isfinite(value):
                raise ValueError('%r is not a finite number' % text) from None
            return int(value)
    return float(text)


def _read_csv(owner, what, path, shape, dtype):
    """The rows of the CSV file(s) ``path`` as an array ``(rows,) + shape`` of ``dtype``."""
    size = int(np.prod(shape))
    fields, where = [], []
    for fname in _csv_files(owner, what, path):
        raw = read_file(fname)
        try:
            text = raw.decode('utf-8')
        except UnicodeDecodeError as err:
            raise MXNetFormatError('%s: %s %s is not a UTF-8 text file (%s)'
                                   % (owner, what, fname, err)) from None
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue                                    # blank lines are skipped, as MXNet
            row = line.split(',')
            if len(row) > 1 and not row[-1].strip():
                row.pop()                                   # one trailing comma is allowed
            if len(row) != size:
                raise MXNetFormatError(
                    '%s: %s line %d holds %d value%s, but the shape %s needs %d per row (MXNet '
                    'reads no header line and no empty field)' % (owner, fname, lineno, len(row),
                                                                    's' * (len(row) != 1), shape, size))
            fields.extend(row)
            where.append((fname, lineno))
    if not where:
        raise MXNetFormatError('%s: %s %r holds no rows' % (owner, what, path))
    kind = np.int64 if np.dtype(dtype).kind == 'i' else np.float64
    try:
        values = np.array(fields, dtype=kind)
    except (ValueError, OverflowError):
        values = np.empty(len(fields), dtype=kind)
        for i, text in enumerate(fields):
            try:
                values[i] = _parse_field(text, dtype)
            except (ValueError, OverflowError):
                fname, lineno = where[i // size]
                raise MXNetFormatError('%s: %s line %d, value %d: %r is not a number'
                                       % (owner, fname, lineno, i % size + 1, text)) from None
    if kind is np.int64 and dtype == np.int32:
        info = np.iinfo(np.int32)
        if values.size and (values.min() < info.min or values.max() > info.max):
            raise MXNetFormatError('%s: %s %r holds values outside the int32 range'
                                   % (owner, what, path))
    with np.errstate(over='ignore'):
        return values.astype(dtype).reshape((len(where),) + tuple(shape))


class CSVIter(_StreamIter):
    """Batches of the rows of CSV files (MXNet 1.9.1 ``mx.io.CSVIter``, C++ there).

    Parameters
    ----------
    data_csv : str or os.PathLike
        A CSV file of numbers, one sample a row (no header), or a directory whose files are read
        in name order. Blank lines are skipped; a trailing comma is allowed.
    data_shape : tuple of int
        The shape of one sample; each row must hold ``prod(data_shape)`` values (row-major).
    label_csv : str, os.PathLike or None, default None
        The labels, one row per data row (its own number of rows; MXNet 1.9.1 silently ignores
        extra label rows, here they raise). None or ``'NULL'`` (MXNet's default): labels are 0.
    label_shape : tuple of int, default (1,)
    batch_size : int
    round_batch : bool, default True
        True: the last batch is completed with the first rows and ``pad`` counts them; the next
        epoch then starts after those rows (MXNet's behaviour: ``reset()`` continues the
        stream). False: every epoch starts at the first row and the last batch is completed
        with filler rows that ``pad`` counts (the rows the previous batch had there, as MXNet's
        buffer holds; zeros when there was none).
    dtype : None, 'float32', 'float16', 'float64', 'int32' or 'int64'
        Of data and label ('float16' and 'float64' are refused by MXNet 1.9.1). Integer dtypes truncate decimals (``'3.9'`` gives 3, as MXNet);
        exponents are read in full (``'1e3'`` gives 1000 where MXNet reads 1).
    data_name, label_name : str, default 'data', 'softmax_label'
        Not MXNet arguments (its names are fixed).
    prefetch_buffer, ctx
        Accepted and ignored.

    Batches
    -------
    data : ``(batch,) + data_shape``; label : ``(batch,)`` when ``label_shape`` is ``(1,)``,
    else ``(batch,) + label_shape``; float32 unless ``dtype`` says otherwise. ``getindex()``
    gives the row numbers. A batch larger than the data wraps around as often as needed
    (MXNet 1.9.1 fails with ``round_batch=True``).

    Raises
    ------
    MXNetFormatError
        For a row of the wrong length, a field that is not a number (the file, line and field
        are named; MXNet reads ``'1x'`` as 1 and ``'0x10'`` as 0), an empty file, or label and
        data files of different lengths.
    MXNetFileNotFoundError (and the other errors of ``open_regular``)
        For a missing or unreadable file.
    MXNetValueError, MXNetTypeError
        For a bad ``batch_size``, shape or ``dtype``.
    """

    _owner = 'CSVIter'

    def __init__(self, data_csv, data_shape, label_csv=None, label_shape=(1,), batch_size=None,
                 round_batch=True, prefetch_buffer=4, ctx='gpu', dtype=None, data_name='data',
                 label_name='softmax_label'):
        super().__init__()
        owner = self._owner
        if batch_size is None:
            raise MXNetValueError('CSVIter: batch_size is required')
        batch_size = check_int(batch_size, 'CSVIter: batch_size', 1)
        data_shape = _shape(owner, 'data_shape', data_shape)
        label_shape = _shape(owner, 'label_shape', label_shape)
        out_dtype = _dtype(owner, dtype, _CSV_DTYPES)
        data_csv = _path(owner, 'data_csv', data_csv)
        data = _read_csv(owner, 'data_csv', data_csv, data_shape, out_dtype)
        if label_csv is None or label_csv == 'NULL':
            labels = np.zeros((len(data),) + label_shape, out_dtype)
        else:
            label_csv = _path(owner, 'label_csv', label_csv)
            labels = _read_csv(owner, 'label_csv', label_csv, label_shape, out_dtype)
            if len(labels) != len(data):
                raise MXNetFormatError('CSVIter: data_csv %r holds %d rows but label_csv %r holds %d'
                                       % (data_csv, len(data), label_csv, len(labels)))
        if label_shape == (1,):
            labels = labels.reshape(len(labels))
        self._values, self._labels = data, labels
        self.round_batch = bool(round_batch)
        self._start(len(data), batch_size, 'round' if self.round_batch else 'stale',
                    DataDesc(data_name, (batch_size,) + data_shape, out_dtype),
                    DataDesc(label_name, (batch_size,) + labels.shape[1:], out_dtype))

    def _fetch(self, positions):
        return self._values[positions], self._labels[positions]


def _record_offsets(owner, path_imgrec, path_imgidx, num_parts, part_index):
    """Open a ``.rec`` file (with its ``.idx`` when ``path_imgidx``) and find the byte offsets
    of the records of part ``part_index`` of ``num_parts``, split as MXNet's C++ record
    iterators split a file: by record count with an index, else by bytes (see
    :class:`ImageRecordIter`). Returns ``(reader, offsets, number of records before the part)``;
    MXNetValueError when the part holds no record."""
    from minigluon.recordio import MXIndexedRecordIO, MXRecordIO
    path_imgrec = _path(owner, 'path_imgrec', path_imgrec)
    if path_imgidx:
        path_imgidx = _path(owner, 'path_imgidx', path_imgidx)
        rec = MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
        offsets = sorted(set(rec.idx.values()))
        step = -(-len(offsets) // num_parts)
        first = step * part_index
        offsets = offsets[first:step * (part_index + 1)]
    else:
        rec = MXRecordIO(path_imgrec, 'r')
        offsets = []
        while True:
            at = rec._pos
            if rec.read() is None:
                break
            offsets.append(at)
        size = os.path.getsize(path_imgrec)
        step = -(-size // num_parts)
        step = -(-step // 4) * 4
        first = sum(o < step * part_index for o in offsets)
        offsets = [o for o in offsets if step * part_index <= o < step * (part_index + 1)]
    if not offsets:
        raise MXNetValueError('%s: %s holds no records%s' % (
            owner, path_imgrec, '' if num_parts == 1 else ' in part %d of %d' % (part_index, num_parts)))
    return rec, offsets, first


# ImageRecordIter's output dtypes (MXNet 1.9.1 fails with "unknown dtype" for the others)
_REC_DTYPES = {None: np.float32, 'float32': np.float32, 'uint8': np.uint8, 'int8': np.int8}
# ImageRecordIter's augmentation arguments that minigluon does not implement, with the value
# that turns each off (MXNet's default).
_UNSUPPORTED_AUG = {
    'random_resized_crop': False, 'max_rotate_angle': 0, 'max_aspect_ratio': 0,
    'min_aspect_ratio': None, 'max_shear_ratio': 0, 'max_crop_size': -1, 'min_crop_size': -1,
    'max_random_scale': 1, 'min_random_scale': 1, 'max_random_area': 1, 'min_random_area': 1,
    'max_img_size': 1e10, 'min_img_size': 0, 'brightness': 0, 'contrast': 0, 'saturation': 0,
    'pca_noise': 0, 'random_h': 0, 'random_s': 0, 'random_l': 0, 'rotate': -1, 'pad': 0,
    'mean_img': '', 'path_imglist': '', 'max_random_contrast': 0, 'max_random_illumination': 0,
    'aug_seq': 'aug_default', 'shuffle_chunk_size': 0}
# accepted and ignored (threads, prefetching, devices, logging, the padding colour)
_IGNORED = ('preprocess_threads', 'prefetch_buffer', 'ctx', 'device_id', 'verbose',
            'shuffle_chunk_seed', 'fill_value', 'mean_a', 'std_a')


class ImageRecordIter(_StreamIter):
    """Batches of the images of a RecordIO file (MXNet 1.9.1 ``mx.io.ImageRecordIter``, C++
    there), decoded with minigluon's Pillow codec (:mod:`minigluon._image_codec`; PNG gives
    MXNet's pixels exactly, JPEG may differ slightly).

    Parameters
    ----------
    path_imgrec : str or os.PathLike
        The ``.rec`` file of ``mx.recordio.pack`` / ``pack_img`` records (im2rec's).
    data_shape : (channels, height, width)
        ``channels`` 3 (RGB) or 1 (grayscale, OpenCV's weights).
    batch_size : int
    path_imgidx : str or os.PathLike, optional
        Its ``.idx`` file. Only changes how ``num_parts`` splits the records (as in MXNet).
    label_width : int, default 1
        Must equal the number of label values in each record header (1 for a scalar label),
        as MXNet checks.
    shuffle : bool, default False
        Reshuffle the records at every epoch, with ``numpy.random.RandomState(seed)`` (not
        MXNet's C++ generator: the order differs from MXNet's).
    seed : int, default 0
        Seeds the shuffling and the random augmentations.
    rand_crop : bool, default False
        Crop a random window (else the centre) when the image is larger than ``data_shape``.
    rand_mirror : bool, default False
        Flip left-right with probability 0.5. ``mirror=True`` always flips.
    resize : int, default -1
        When > 0, first resize so that the shorter side is ``resize`` (the other side
        ``long * resize // short``).
    inter_method : int, default 1
        Interpolation of the resizes (OpenCV's codes, as ``mx.image.imresize``; MXNet's
        bytes exactly).
    mean_r, mean_g, mean_b, std_r, std_g, std_b, scale : float
        Output ``(pixel - mean) * (scale / std)`` per channel, in float32 (MXNet's arithmetic;
        a grayscale image uses ``mean_r`` / ``std_r``).
    round_batch : bool, default True
        True: the last batch is completed with the first records and ``pad`` counts them; the
        next epoch then starts after those records, as MXNet's. False: the last batch is
        completed with zero rows (zero labels) and ``pad`` counts them (MXNet 1.9.1 leaves
        uninitialised memory there and reports ``pad=0``).
    num_parts, part_index : int, default 1, 0
        Read only one part of the file, split as MXNet splits it: without ``path_imgidx`` by
        bytes (part ``i`` holds the records that start in its ``ceil(size / num_parts)``-byte
        range, rounded up to 4 bytes), with it by record count (``ceil(N / num_parts)`` records
        a part).
    data_name, label_name : str, default 'data', 'softmax_label'
    dtype : None, 'float32', 'uint8' or 'int8'
        Of the data (labels stay float32). ``'uint8'``: the pixels after resizing, cropping and
        mirroring, without ``mean_*`` / ``std_*`` / ``scale`` (MXNet ignores them there);
        ``'int8'``: ``pixel - mean``, each mean rounded to an integer first (halves away from
        zero: ``mean_r=0.5`` subtracts 1), saturated to ``[-128, 127]``, without ``std_*`` /
        ``scale`` (as MXNet 1.9.1). Other dtypes raise,
        as MXNet's "unknown dtype".
    preprocess_threads, prefetch_buffer, ctx, verbose, ...
        Accepted and ignored (decoding runs in the calling thread).

    Images smaller than ``data_shape`` on a side are centre-cropped on the other side and
    resized to ``data_shape`` (MXNet resizes when both sides are smaller, but reads outside the
    image when only one is). The other augmentations of the C++ iterator (``max_rotate_angle``,
    ``brightness``, ``random_h``, ``pad``, ``mean_img``, ``path_imglist``...) are not provided:
    giving them a value other than their default raises :class:`NotSupportedError`; use
    :class:`minigluon.image.ImageIter` with augmenters instead.

    Batches
    -------
    data : ``(batch, channels, height, width)`` of ``dtype``; label : float32 ``(batch,)`` or
    ``(batch, label_width)``. ``getindex()`` gives the record numbers (MXNet 1.9.1: zeros).

    Raises
    ------
    MXNetFileNotFoundError (and the other errors of ``open_regular``)
        For a missing file.
    MXNetFormatError
        For a corrupt ``.rec`` / ``.idx`` file, an undecodable image (naming the record) or a
        label of another width than ``label_width``.
    MXNetValueError, MXNetTypeError
        For a bad ``data_shape``, ``batch_size``, part or ``dtype``.
    NotSupportedError
        For an augmentation minigluon does not implement.
    """

    _owner = 'ImageRecordIter'
    _fixed_dtype = None      # the subclasses of MXNet's deprecated names fix the output dtype
    _mirrors = True          # False: mirror / rand_mirror are ignored (ImageRecordUInt8Iter_v1)

    def __init__(self, path_imgrec=None, data_shape=None, batch_size=None, path_imgidx='',
                 label_width=1, shuffle=False, seed=0, rand_crop=False, rand_mirror=False,
                 mirror=False, resize=-1, inter_method=1, mean_r=0.0, mean_g=0.0, mean_b=0.0,
                 std_r=1.0, std_g=1.0, std_b=1.0, scale=1.0, round_batch=True, num_parts=1,
                 part_index=0, data_name='data', label_name='softmax_label', dtype=None,
                 seed_aug=None, **kwargs):
        super().__init__()
        owner = self._owner
        for key, value in kwargs.items():
            if key in _UNSUPPORTED_AUG:
                if value != _UNSUPPORTED_AUG[key]:
                    raise NotSupportedError('%s: %s=%r is not supported by minigluon '
                                            '(only resize, crops, mirrors and mean/std/scale are); '
                                            'use mx.image.ImageIter with augmenters'
                                            % (owner, key, value))
            elif key not in _IGNORED:
                raise MXNetTypeError('%s got an unexpected argument %r' % (owner, key))
        if path_imgrec is None or path_imgrec == '':
            raise MXNetValueError('%s: path_imgrec is required' % owner)
        if data_shape is None or batch_size is None:
            raise MXNetValueError('%s: data_shape and batch_size are required' % owner)
        data_shape = _shape(owner, 'data_shape', data_shape)
        if len(data_shape) != 3 or data_shape[0] not in (1, 3):
            raise MXNetValueError('%s: data_shape must be (channels, height, width) '
                                  'with 1 or 3 channels, got %r' % (owner, data_shape))
        batch_size = check_int(batch_size, owner + ': batch_size', 1)
        self.label_width = check_int(label_width, owner + ': label_width', 1)
        num_parts, part_index = _parts(owner, num_parts, part_index)
        self._out_dtype = np.dtype(self._fixed_dtype or _dtype(owner, dtype, _REC_DTYPES))
        self.resize = check_int(resize, owner + ': resize')
        self.inter_method = check_int(inter_method, owner + ': inter_method', 0)
        self.data_shape = data_shape
        self.rand_crop = bool(rand_crop)
        self.rand_mirror, self.mirror = bool(rand_mirror) and self._mirrors, bool(mirror) and self._mirrors
        channels = data_shape[0]
        means = (mean_r, mean_g, mean_b)[:channels]
        stds = (std_r, std_g, std_b)[:channels]
        self._mean = np.array(means, np.float32).reshape(channels, 1, 1)
        self._mult = (np.float32(scale) / np.array(stds, np.float32)).reshape(channels, 1, 1)
        self.shuffle = bool(shuffle)
        self._rng = np.random.RandomState(check_int(seed, owner + ': seed'))
        self._aug_rng = random.Random(check_int(seed if seed_aug is None else seed_aug,
                                                owner + ': seed_aug'))
        self._rec, offsets, first = _record_offsets(owner, path_imgrec, path_imgidx, num_parts,
                                                    part_index)
        self._offsets, self._first = offsets, first
        self.round_batch = bool(round_batch)
        label_shape = (batch_size,) if self.label_width == 1 else (batch_size, self.label_width)
        self._start(len(offsets), batch_size, 'round' if self.round_batch else 'zeros',
                    DataDesc(data_name, (batch_size,) + data_shape, self._out_dtype.type),
                    DataDesc(label_name, label_shape, np.float32))

    def _fetch(self, positions):
        data = np.empty((len(positions),) + self.data_shape, self._out_dtype)
        labels = np.empty((len(positions), self.label_width), np.float32)
        for row, pos in enumerate(positions):
            data[row], labels[row] = self._load(int(pos))
        return data, (labels[:, 0] if self.label_width == 1 else labels)

    def _load(self, pos):
        from minigluon._recordio_pack import unpack
        from minigluon.image import imdecode
        with self._rec._locked():
            self._rec._goto(self._offsets[pos])
            record = self._rec._read()
        header, payload = unpack(record)
        width = header.flag if header.flag > 0 else 1
        if width != self.label_width:
            raise MXNetFormatError('%s: record %d of %s has %d label value%s but label_width is '
                                   '%d' % (self._owner, pos, self._rec.uri, width, 's' * (width > 1),
                                           self.label_width))
        label = header.label if header.flag > 0 else [header.label]
        try:
            img = imdecode(payload, flag=1 if self.data_shape[0] == 3 else 0)
        except MXNetFormatError as err:
            raise MXNetFormatError('%s: record %d (id %d) of %s is not a decodable image: %s'
                                   % (self._owner, pos, header.id, self._rec.uri, err)) from None
        return self._augment(img), label

    def _augment(self, img):
        from minigluon.image import imresize, resize_short
        _, out_h, out_w = self.data_shape
        if self.resize > 0:
            img = resize_short(img, self.resize, interp=self.inter_method)
        h, w = img.shape[:2]
        crop_h, crop_w = min(h, out_h), min(w, out_w)
        if self.rand_crop:
            y0 = self._aug_rng.randint(0, h - crop_h)
            x0 = self._aug_rng.randint(0, w - crop_w)
        else:
            y0, x0 = (h - crop_h) // 2, (w - crop_w) // 2
        if (crop_h, crop_w) != (h, w):
            img = img[y0:y0 + crop_h, x0:x0 + crop_w]
        if (crop_h, crop_w) != (out_h, out_w):
            img = imresize(img, out_w, out_h, interp=self.inter_method)
        pixels = img.asnumpy()
        if self.mirror or (self.rand_mirror and self._aug_rng.random() < 0.5):
            pixels = pixels[:, ::-1]
        chw = pixels.transpose(2, 0, 1).astype(np.float32)
        if self._out_dtype == np.uint8:
            return chw
        if self._out_dtype == np.int8:     # MXNet rounds the means half away from zero first
            whole_mean = np.sign(self._mean) * np.floor(np.abs(self._mean) + np.float32(0.5))
            return np.clip(chw - whole_mean, -128, 127)
        return (chw - self._mean) * self._mult


class ImageRecordUInt8Iter(ImageRecordIter):
    """:class:`ImageRecordIter` with ``uint8`` data, whatever ``dtype`` says (MXNet 1.9.1's
    deprecated ``mx.io.ImageRecordUInt8Iter``, i.e. ``ImageRecordIter(dtype='uint8')``): the
    pixels after resizing, cropping and mirroring; ``mean_*`` / ``std_*`` / ``scale`` are
    accepted and ignored, as in MXNet. Labels stay float32."""

    _owner = 'ImageRecordUInt8Iter'
    _fixed_dtype = 'uint8'


class ImageRecordInt8Iter(ImageRecordIter):
    """:class:`ImageRecordIter` with ``int8`` data, whatever ``dtype`` says (MXNet 1.9.1's
    deprecated ``mx.io.ImageRecordInt8Iter``, i.e. ``ImageRecordIter(dtype='int8')``):
    ``pixel - mean_*``, each mean rounded to an integer first (halves away from zero), saturated
    to ``[-128, 127]`` (a pixel above 127 with no mean gives 127); ``std_*`` / ``scale`` are
    accepted and ignored, as in MXNet. Labels stay float32."""

    _owner = 'ImageRecordInt8Iter'
    _fixed_dtype = 'int8'


class ImageRecordIter_v1(ImageRecordIter):  # noqa: N801 -- MXNet's name
    """MXNet 1.9.1's deprecated first image record iterator: the same batches as
    :class:`ImageRecordIter` for the arguments minigluon implements."""

    _owner = 'ImageRecordIter_v1'


class ImageRecordUInt8Iter_v1(ImageRecordIter):  # noqa: N801 -- MXNet's name
    """MXNet 1.9.1's deprecated ``ImageRecordUInt8Iter_v1``: :class:`ImageRecordUInt8Iter`
    except that ``mirror`` / ``rand_mirror`` are ignored too (MXNet's first iterator mirrors in
    its normalisation step, which the uint8 variant skips)."""

    _owner = 'ImageRecordUInt8Iter_v1'
    _fixed_dtype = 'uint8'
    _mirrors = False
