"""Datasets of image files: ``ImageFolderDataset``, ``ImageListDataset``, ``ImageRecordDataset``.

Exported by :mod:`minigluon.data.vision.datasets` (and ``gluon.data.vision``), as in MXNet. Images
are decoded by :func:`minigluon.image.imread` / :func:`minigluon.image.imdecode` (Pillow, imported
when the first image is read), records read by :mod:`minigluon.recordio`.
"""
import operator
import os
import warnings

import numpy as np

from minigluon.base import (MXNetFormatError, MXNetIndexError, MXNetTypeError, MXNetValueError,
                            as_mxnet_error, read_file)
from minigluon._image_codec import check_flag
from minigluon.data.dataset import Dataset, RecordFileDataset
from minigluon.data.vision._files import as_path, caller_level, check_transform
from minigluon.ndarray import array

__all__ = ['ImageFolderDataset', 'ImageListDataset', 'ImageRecordDataset']


def _position(owner, idx, length):
    """``idx`` as a position in ``[0, length)`` (negative counts from the end)."""
    try:
        pos = operator.index(idx)
    except TypeError:
        raise MXNetTypeError('%s indices must be integers, got %s %r (these datasets read one image '
                             'at a time; no slices)' % (owner, type(idx).__name__, idx)) from None
    if not -length <= pos < length:
        # an IndexError ends ``for item in dataset`` as it does for MXNet's list lookup
        raise MXNetIndexError('%s index %d out of range for %d items' % (owner, pos, length))
    return pos % length


def _listdir(path):
    """The sorted names in the folder ``path``; errors as ``OSError`` that are MXNetErrors."""
    try:
        return sorted(os.listdir(path))
    except OSError as err:
        raise as_mxnet_error(err) from None


class ImageFolderDataset(Dataset):
    """Images in one folder per class: ``root/<class>/<image>``, as MXNet 1.9.1's.

    Classes are the sub-folders of ``root`` in sorted order (label ``i`` is ``synsets[i]``); the
    images of each are its files with the extension ``.jpg``, ``.jpeg`` or ``.png`` (any case), in
    sorted order. Other files are skipped with a ``UserWarning`` ("Ignoring ..."), as MXNet does,
    and so are plain files directly in ``root``. A class folder with no images still takes a label.

    Parameters
    ----------
    root : str or os.PathLike
        The folder of class folders (``~`` expanded).
    flag : {0, 1}, default 1
        0: decode to one channel (grey), ``(H, W, 1)``; 1: three channels (RGB), ``(H, W, 3)``.
    transform : callable, optional
        Called as ``transform(image, label)`` on each item; its result is the item.

    Attributes
    ----------
    synsets : list of str
        The class names; ``synsets[i]`` is the name of label ``i``.
    items : list of (str, int)
        Every image as ``(path, label)``.

    Items are ``(image, label)``: an NDArray ``(H, W, C)`` of dtype uint8, read when the item is
    taken, and the Python ``int`` label.

    Raises
    ------
    MXNetFileNotFoundError, MXNetNotADirectoryError
        When ``root`` is missing or is not a folder (also ``FileNotFoundError`` /
        ``NotADirectoryError``).
    MXNetTypeError
        For a ``root`` that is not a path, a non-callable ``transform``, or a non-integer index
        (MXNet fails inside its image reader on a slice).
    MXNetValueError
        For a ``flag`` other than 0 or 1 (MXNet fails when the first image is read).
    MXNetIndexError
        From ``__getitem__``, for an index out of range (an ``IndexError``, which ends a ``for``
        loop over the dataset); reading the image raises as :func:`minigluon.image.imread`.
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = as_path('ImageFolderDataset', 'root', root)
        check_transform('ImageFolderDataset', transform)
        self._flag, self._transform = check_flag(flag, 'ImageFolderDataset'), transform
        self._exts = ['.jpg', '.jpeg', '.png']
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets, self.items = [], []
        for folder in _listdir(root):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn('Ignoring %s: a file, not a class folder.' % path, UserWarning,
                              stacklevel=caller_level())
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for name in _listdir(path):
                fname = os.path.join(path, name)
                ext = os.path.splitext(fname)[1]
                if ext.lower() not in self._exts:
                    warnings.warn('Ignoring %s: extension %r is not one of %s.'
                                  % (fname, ext, ', '.join(self._exts)), UserWarning,
                                  stacklevel=caller_level())
                    continue
                self.items.append((fname, label))

    def __getitem__(self, idx):
        from minigluon import image
        fname, label = self.items[_position('ImageFolderDataset', idx, len(self.items))]
        img = image.imread(fname, self._flag)
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)


def _label_array(owner, values, where):
    """The labels ``values`` (numbers or their text) as a float32 array; MXNetFormatError naming
    ``where`` when one is not a number."""
    try:
        return np.array([float(v) for v in values], dtype=np.float32)
    except (TypeError, ValueError):
        raise MXNetFormatError('%s: %s: labels must be numbers, got %r' % (owner, where, values)) from None


class ImageListDataset(Dataset):
    """Images named by a list: an im2rec ``.lst`` file or a Python list.

    Not in MXNet 1.9.1 (it comes with MXNet 2.0's ``gluon.data.vision``, whose arguments and items
    it follows). A ``.lst`` line is ``index<TAB>label[<TAB>label...]<TAB>path``; a list entry is
    ``[label, path]``, ``[[label, ...], path]`` or ``[label, label, ..., path]``. Paths are relative
    to ``root``. Items are ``(image, label)``: an NDArray ``(H, W, C)`` uint8 read when the item is
    taken, and the labels as an NDArray of dtype float32 and shape ``(k,)``.

    Parameters
    ----------
    root : str or os.PathLike, default '.'
        The folder the image paths (and a relative ``imglist`` file) are relative to.
    imglist : str or list
        The ``.lst`` file or the list of entries.
    flag : {0, 1}, default 1
        0: decode to one channel (grey); 1: three channels (RGB).

    Attributes
    ----------
    items : list of (str, numpy.ndarray)
        Every image as ``(path, float32 labels)``.

    Raises
    ------
    MXNetValueError
        With no ``imglist`` (MXNet 2.0 makes an empty dataset), an entry of the wrong form, or a
        ``flag`` other than 0 or 1.
    MXNetFormatError
        For a ``.lst`` line without index, label and path, with labels that are not numbers, or
        with a NUL character in the path, naming the file and line. (A UTF-8 byte order mark
        at the start of the file is skipped.)
    MXNetFileNotFoundError
        When the ``.lst`` file is missing.
    MXNetIndexError, MXNetTypeError
        From ``__getitem__``, for an index out of range or not an integer; reading the image
        raises as :func:`minigluon.image.imread`.
    """

    def __init__(self, root='.', imglist=None, flag=1):
        self._root = as_path('ImageListDataset', 'root', root)
        self._flag = check_flag(flag, 'ImageListDataset')
        if isinstance(imglist, (str, os.PathLike)):
            self.items = self._read_lst(os.path.join(self._root, os.fspath(imglist)))
        elif isinstance(imglist, (list, tuple)):
            self.items = [self._entry(i, entry) for i, entry in enumerate(imglist)]
        else:
            raise MXNetValueError('ImageListDataset: imglist must be the path of a .lst file or a list '
                                  'of [label(s), path] entries, got %s %r' % (type(imglist).__name__, imglist))

    def _read_lst(self, fname):
        try:
            text = read_file(fname).decode('utf-8-sig')
        except UnicodeDecodeError as err:
            raise MXNetFormatError('ImageListDataset: %s is not a UTF-8 text .lst file (%s)'
                                   % (fname, err)) from None
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            fields = line.strip().split('\t')
            where = '%s line %d' % (fname, number)
            if len(fields) < 3:
                raise MXNetFormatError('ImageListDataset: %s: expected index<TAB>label(s)<TAB>path, got '
                                       '%r' % (where, line))
            try:
                int(fields[0])          # checked, not kept: items follow the file's line order
            except ValueError:
                raise MXNetFormatError('ImageListDataset: %s: the index %r is not an integer'
                                       % (where, fields[0])) from None
            if '\0' in fields[-1]:
                raise MXNetFormatError('ImageListDataset: %s: the path %r holds a NUL character'
                                       % (where, fields[-1]))
            items.append((os.path.join(self._root, fields[-1]),
                          _label_array('ImageListDataset', fields[1:-1], where)))
        return items

    def _entry(self, i, entry):
        where = 'imglist[%d]' % i
        if not isinstance(entry, (list, tuple)) or len(entry) < 2 or \
                not isinstance(entry[-1], (str, os.PathLike)):
            raise MXNetValueError('ImageListDataset: %s must be [label(s), path] with the path last, '
                                  'got %r' % (where, entry))
        labels = entry[:-1]
        if len(labels) == 1 and isinstance(labels[0], (list, tuple, np.ndarray)):
            labels = list(labels[0])
        return os.path.join(self._root, os.fspath(entry[-1])), _label_array('ImageListDataset',
                                                                            labels, where)

    def __getitem__(self, idx):
        from minigluon import image
        fname, label = self.items[_position('ImageListDataset', idx, len(self.items))]
        return image.imread(fname, self._flag), array(label, dtype=np.float32)

    def __len__(self):
        return len(self.items)


class ImageRecordDataset(RecordFileDataset):
    """Images in a RecordIO file (``.rec`` with its ``.idx``), as MXNet 1.9.1's.

    Each record is an image (JPEG/PNG bytes) behind an ``IRHeader``; items are ``(image, label)``:
    the NDArray ``(H, W, C)`` uint8 decoded by :func:`minigluon.image.imdecode` and
    ``header.label`` (a Python ``float``, or a NumPy float32 array for multi-label records). The
    record order is the order of the keys in the ``.idx`` file.

    Parameters
    ----------
    filename : str or os.PathLike
        The ``.rec`` file; the index is the same path with the extension ``.idx``.
    flag : {0, 1}, default 1
        0: decode to one channel (grey); 1: three channels (RGB).
    transform : callable, optional
        Called as ``transform(image, label)`` on each item; its result is the item.

    Raises
    ------
    As :class:`minigluon.data.RecordFileDataset` for missing or malformed files;
    ``MXNetTypeError`` for a non-callable ``transform``; ``MXNetValueError`` for a ``flag`` other
    than 0 or 1 (MXNet fails when the first image is read).
    """

    def __init__(self, filename, flag=1, transform=None):
        check_transform('ImageRecordDataset', transform)
        flag = check_flag(flag, 'ImageRecordDataset')
        super().__init__(filename)
        self._flag, self._transform = flag, transform

    def __getitem__(self, idx):
        from minigluon import image, recordio
        header, payload = recordio.unpack(super().__getitem__(idx))
        img = image.imdecode(payload, self._flag)
        if self._transform is not None:
            return self._transform(img, header.label)
        return img, header.label
