"""``mx.image.ImageIter``: batches of augmented images from a RecordIO file, an image list or
image files (the behaviour of MXNet 1.9.1's Python ``mxnet.image.ImageIter``, measured with
``tools/gen_file_iters_fixtures.py``); exported by :mod:`minigluon.image`."""
import os
import random

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import (MXNetFormatError, MXNetTypeError, MXNetValueError, check_int,
                            numeric_types, read_file)
from minigluon.io import DataBatch, DataDesc, DataIter

_LABEL_DTYPES = ('float32', 'float64', 'int32', 'int64')


class ImageIter(DataIter):
    """Batches of images with augmenters (MXNet 1.9.1 ``mx.image.ImageIter``).

    Parameters
    ----------
    batch_size : int
    data_shape : (3, height, width)
        Only 3-channel (RGB) images, as MXNet's.
    label_width : int, default 1
        Values per label: labels are ``(batch,)`` for 1, else ``(batch, label_width)``.
    path_imgrec : str, optional
        A ``.rec`` file of ``mx.recordio.pack`` records (label in the header, encoded image).
    path_imgidx : str, optional
        Its ``.idx`` file: needed for ``shuffle`` and ``num_parts`` with a ``.rec`` file; with it
        the records are read in the order of the index's keys.
    path_imglist : str, optional
        A ``.lst`` file: lines ``key<TAB>label(s)<TAB>relative path``. Without ``path_imgrec``
        the images are read from ``path_root`` / path; with it, the labels of the list replace
        the records' (looked up by the ``.idx`` key, so ``path_imgidx`` is needed).
    imglist : list, optional
        ``[[label(s), path], ...]`` or ``[[l1, l2, ..., path], ...]`` instead of a ``.lst`` file
        (keys ``'1'``, ``'2'``...).
    path_root : str, optional
        The folder of the image files (None: paths are used as given; MXNet fails).
    shuffle : bool, default False
        Reshuffle at every ``reset()`` (and at creation) with Python's ``random.shuffle``, as
        MXNet: after ``random.seed(s)`` the order is MXNet's.
    part_index, num_parts : int, default 0, 1
        Keep part ``part_index`` of ``num_parts`` equal parts of ``N // num_parts`` samples
        (the remainder is dropped, as in MXNet).
    aug_list : list of callables, optional
        Applied in order to each decoded ``(H, W, 3)`` uint8 image; default
        ``CreateAugmenter(data_shape, **kwargs)`` (a centre crop, or ``resize`` /
        ``rand_crop`` / ``rand_mirror`` / ``mean`` / ``std``... given as keywords). The result
        must be ``(height, width, 3)``.
    data_name, label_name : str, default 'data', 'softmax_label'
    dtype : {'float32', 'float64', 'int32', 'int64'}
        The labels' dtype (MXNet 1.9.1 parses list labels in it but always returns float32).
    last_batch_handle : {'pad', 'discard', 'roll_over'}, default 'pad'
        'pad': the last batch is completed with the first samples, ``pad`` counts them, and
        the epoch ends (a batch longer than the data wraps as often as needed; MXNet fills one
        wrap and leaves zeros). 'discard': the incomplete batch is dropped. 'roll_over': it is
        kept and completed, after ``reset()``, with the first samples of the next epoch; that
        batch reports ``pad = batch_size - samples carried over``, as MXNet 1.9.1 does.

    Batches
    -------
    ``DataBatch([data], [label], pad)``: data float32 ``(batch, 3, height, width)`` (the
    augmented image, transposed), label ``(batch,)`` or ``(batch, label_width)``. Images are
    decoded with ``mx.image.imdecode`` (Pillow: PNG gives MXNet's pixels exactly, JPEG may
    differ slightly); random augmenters draw from Python's ``random`` as MXNet's.

    The methods ``next_sample``, ``imdecode``, ``read_image``, ``augmentation_transform``,
    ``postprocess_data``, ``check_data_shape`` and ``check_valid_image`` are the hooks MXNet's
    subclasses override; they have MXNet's signatures.

    Raises
    ------
    MXNetValueError
        For no source, a ``data_shape`` that is not ``(3, h, w)``, a bad ``batch_size``,
        ``label_width``, part, ``dtype`` or ``last_batch_handle``, or ``shuffle`` /
        ``num_parts`` on a ``.rec`` file without ``path_imgidx`` (MXNet asserts).
    MXNetFormatError
        For a malformed ``.lst`` line or an image that cannot be decoded (naming it).
    MXNetFileNotFoundError (and the other errors of ``open_regular``)
        For a missing file.
    """

    def __init__(self, batch_size, data_shape, label_width=1, path_imgrec=None, path_imglist=None,
                 path_root=None, path_imgidx=None, shuffle=False, part_index=0, num_parts=1,
                 aug_list=None, imglist=None, data_name='data', label_name='softmax_label',
                 dtype='float32', last_batch_handle='pad', **kwargs):
        super().__init__()
        from minigluon.image import CreateAugmenter
        from minigluon.recordio import MXIndexedRecordIO, MXRecordIO
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise MXNetValueError('%s: give path_imgrec, path_imglist or imglist (a list)' % self._who)
        if dtype not in _LABEL_DTYPES:
            raise MXNetValueError('%s: dtype must be one of %s, got %r'
                                  % (self._who, ', '.join(_LABEL_DTYPES), dtype))
        if last_batch_handle not in ('pad', 'discard', 'roll_over'):
            raise MXNetValueError("%s: last_batch_handle must be 'pad', 'discard' or "
                                  "'roll_over', got %r" % (self._who, last_batch_handle))
        batch_size = check_int(batch_size, self._who + ': batch_size', 1)
        label_width = check_int(label_width, self._who + ': label_width', 1)
        num_parts = check_int(num_parts, self._who + ': num_parts', 1)
        part_index = check_int(part_index, self._who + ': part_index', 0)
        if part_index >= num_parts:
            raise MXNetValueError('%s: part_index (%d) must be below num_parts (%d)'
                                  % (self._who, part_index, num_parts))
        self.check_data_shape(data_shape)
        data_shape = tuple(data_shape)
        self.dtype = dtype
        self.imgrec, self.imgidx = None, None
        if path_imgrec:
            if path_imgidx:
                self.imgrec = MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = MXRecordIO(path_imgrec, 'r')
        keys = None
        self.imglist = None
        if path_imglist:
            self.imglist, keys = self._read_list(path_imglist, dtype)
        elif isinstance(imglist, list):
            self.imglist, keys = self._from_list(imglist, dtype)
        self.path_root = path_root
        self.batch_size, self.data_shape, self.label_width = batch_size, data_shape, label_width
        self.provide_data = [DataDesc(data_name, (batch_size,) + data_shape)]
        label_shape = (batch_size, label_width) if label_width > 1 else (batch_size,)
        self.provide_label = [DataDesc(label_name, label_shape, np.dtype(dtype).type)]
        self.shuffle = bool(shuffle)
        if self.imgrec is None:
            self.seq = keys
        elif self.shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise MXNetValueError('%s: shuffle and num_parts need path_imgidx with '
                                      'path_imgrec' % self._who)
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            size = len(self.seq) // num_parts
            self.seq = self.seq[part_index * size:(part_index + 1) * size]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self.cur = 0
        self._allow_read = True
        self._carry = None              # 'roll_over': (data, label, count) of the kept batch
        self.reset()

    @staticmethod
    def _read_list(path, dtype):
        try:
            text = read_file(path).decode('utf-8')
        except UnicodeDecodeError as err:
            raise MXNetFormatError('ImageIter: %s is not a UTF-8 text file (%s)' % (path, err)) from None
        table, keys = {}, []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            parts = line.strip().split('\t')
            try:
                if len(parts) < 2:
                    raise ValueError('fewer than 2 tab-separated fields')
                key = int(parts[0])
                label = np.array([float(v) for v in parts[1:-1]]).astype(dtype)
            except ValueError as err:
                raise MXNetFormatError('ImageIter: %s line %d is not "key<TAB>label(s)<TAB>path": '
                                       '%r (%s)' % (path, number, line, err)) from None
            table[key] = (label, parts[-1])
            keys.append(key)
        return table, keys

    @staticmethod
    def _from_list(items, dtype):
        table, keys = {}, []
        for number, item in enumerate(items, 1):
            try:
                if len(item) > 2:
                    label = np.array(item[:-1], dtype=np.float64).astype(dtype)
                elif isinstance(item[0], numeric_types):
                    label = np.array([item[0]], dtype=np.float64).astype(dtype)
                else:
                    label = np.array(item[0], dtype=np.float64).astype(dtype).reshape(-1)
            except (TypeError, ValueError, IndexError):
                raise MXNetValueError('ImageIter: imglist item %d must be [label(s), path], got %r'
                                      % (number - 1, item)) from None
            table[str(number)] = (label, item[-1])
            keys.append(str(number))
        return table, keys

    def reset(self):
        """Start a new epoch: reshuffle (``random.shuffle``) when ``shuffle``; with
        'roll_over' and a kept batch, reading goes on where it stopped."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != 'roll_over' or self._carry is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """Start a new epoch and drop a batch kept by 'roll_over'."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._carry = None

    def next_sample(self):
        """``(label, encoded image bytes)`` of the next sample; StopIteration at the end of the
        data (which also rewinds, except with 'discard')."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:
            record = self.imgrec.read()
            if record is None:
                if self.last_batch_handle != 'discard':
                    self.imgrec.reset()
                raise StopIteration
            return self._unpack(record, None)
        if self.cur >= self.num_image:
            if self.last_batch_handle != 'discard':
                self.cur = 0
            raise StopIteration
        key = self.seq[self.cur]
        self.cur += 1
        self._key = key
        if self.imgrec is not None:
            return self._unpack(self.imgrec.read_idx(key), key)
        label, fname = self.imglist[key]
        return label, self.read_image(fname)

    def _unpack(self, record, key):
        from minigluon.recordio import unpack
        header, img = unpack(record)
        self._key = header.id if key is None else key
        if self.imglist is not None and key is not None:
            return self.imglist[key][0], img
        return header.label, img

    def _fill(self, data, label, start):
        """Read samples into rows ``start...`` of ``data`` / ``label``; the number of rows
        filled (StopIteration when the data ended before any)."""
        i = start
        try:
            while i < self.batch_size:
                value, raw = self.next_sample()
                img = self.imdecode(raw)
                try:
                    self.check_valid_image(img)
                except RuntimeError:
                    continue
                img = self.augmentation_transform(img)
                data[i] = self.postprocess_data(img).asnumpy()
                try:
                    label[i] = np.asarray(value, dtype=np.float64).reshape(label.shape[1:])
                except ValueError:
                    raise MXNetValueError('%s: a label of %d value(s) does not fit label_width=%d'
                                          % (self._who, np.size(value), self.label_width)) from None
                i += 1
        except StopIteration:
            if i == 0:
                raise
        return i

    def next(self):
        """The next ``DataBatch([data], [label], pad)``; StopIteration at the end of the epoch."""
        if self._carry is not None:
            data, label, count = self._carry
        else:
            data = np.zeros(self.provide_data[0].shape, np.float32)
            label = self._blank_label()
            count = self._fill(data, label, 0)
        pad = self.batch_size - count
        if pad:
            if self.last_batch_handle == 'discard':
                raise StopIteration
            if self.last_batch_handle == 'roll_over' and self._carry is None:
                self._carry = (data, label, count)
                raise StopIteration
            filled = count
            while filled < self.batch_size:
                more = self._fill(data, label, filled)
                if more == filled:
                    break
                filled = more
            if self.last_batch_handle == 'pad':
                self._allow_read = False
            else:
                self._carry = None
        return DataBatch([nd.array(data, dtype=np.float32)],
                         [nd.array(label.astype(self.dtype), dtype=self.dtype)], pad=pad)

    def _blank_label(self):
        """The label array a new batch starts from: zeros of ``provide_label[0].shape``
        (float64 until the batch is returned in ``dtype``)."""
        return np.zeros(self.provide_label[0].shape, np.float64)

    @property
    def _who(self):
        """The class name this iterator's errors start with (``ImageDetIter`` for the
        detection iterator built on this one)."""
        return type(self).__name__

    def check_data_shape(self, data_shape):
        """Refuse a ``data_shape`` that is not ``(3, height, width)``."""
        try:
            dims = tuple(data_shape)
        except TypeError:
            raise MXNetTypeError('%s: data_shape must be (3, height, width), got %r'
                                 % (self._who, data_shape)) from None
        if len(dims) != 3:
            raise MXNetValueError('%s: data_shape must have 3 values (channels, height, '
                                  'width), got %r' % (self._who, data_shape))
        if dims[0] != 3:
            raise MXNetValueError('%s: only 3-channel images are supported, data_shape '
                                  'is %r' % (self._who, data_shape))
        for d in dims[1:]:
            check_int(d, self._who + ': data_shape height/width', 1)

    def check_valid_image(self, data):
        """Raise RuntimeError for an empty image (such images are skipped)."""
        if len(data[0].shape) == 0:
            raise RuntimeError('empty image')

    def imdecode(self, s):
        """Decode image bytes to an ``(H, W, 3)`` uint8 RGB NDArray (``mx.image.imdecode``);
        an undecodable image raises MXNetFormatError naming the sample."""
        from minigluon.image import imdecode
        try:
            return imdecode(s)
        except MXNetFormatError as err:
            key = getattr(self, '_key', None)
            where = ('file %r' % self.imglist[key][1] if self.imglist is not None
                     and key in self.imglist else 'index %r' % (key,))
            raise MXNetFormatError('%s: broken image, %s: %s' % (self._who, where, err)) from None

    def read_image(self, fname):
        """The bytes of the image file ``fname`` (under ``path_root`` when given)."""
        path = fname if self.path_root is None else os.path.join(self.path_root, fname)
        return read_file(path)

    def augmentation_transform(self, data):
        """Apply ``self.auglist`` in order."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """``(H, W, C)`` to ``(C, H, W)``."""
        return nd.transpose(datum, axes=(2, 0, 1))
