"""Datasets: ``Dataset`` (with filter/shard/take/sample/transform), ``SimpleDataset``, ``ArrayDataset``,
``RecordFileDataset``.

Semantics follow ``mxnet.gluon.data.dataset`` (MXNet 1.9.1): a dataset is anything with
``__getitem__`` and ``__len__``; transforms are lazy unless ``lazy=False``.
"""
import operator
import os

from minigluon.base import MXNetIndexError, MXNetTypeError, ValueAssertionError
from minigluon.data.sampler import Sampler
from minigluon.ndarray import NDArray
from minigluon.recordio import MXIndexedRecordIO

__all__ = ['Dataset', 'SimpleDataset', 'ArrayDataset', 'RecordFileDataset']


class Dataset:
    """Abstract dataset: subclasses implement ``__getitem__(idx)`` and ``__len__()``."""

    def __getitem__(self, idx):
        raise NotImplementedError('%s must implement __getitem__' % type(self).__name__)

    def __len__(self):
        raise NotImplementedError('%s must implement __len__' % type(self).__name__)

    def filter(self, fn):
        """A new dataset of the samples for which ``fn(sample)`` is true."""
        return _SampledDataset(self, [i for i in range(len(self)) if fn(self[i])])

    def shard(self, num_shards, index):
        """Shard ``index`` of ``num_shards`` contiguous shards; the first ``len % num_shards``
        shards hold one extra sample.

        Raises
        ------
        ValueAssertionError
            If ``num_shards`` is not positive or ``index`` is not in ``[0, num_shards)`` (a
            ``ValueError`` and an ``AssertionError``: MXNet 1.9.1 asserts).
        """
        if not num_shards > 0:
            raise ValueAssertionError('shard: num_shards must be > 0, got %r' % (num_shards,))
        if not 0 <= index < num_shards:
            raise ValueAssertionError('Shard index %r out of bound: must be in [0, %d)'
                                      % (index, num_shards))
        length = len(self)
        size, extra = divmod(length, num_shards)
        start = index * size + min(index, extra)
        end = start + size + (1 if index < extra else 0)
        return _SampledDataset(self, range(start, end))

    def take(self, count):
        """The first ``count`` samples (all if ``count`` is None or too large).

        Raises
        ------
        ValueError
            For a negative ``count`` (MXNet 1.9.1 makes a dataset whose ``len()`` raises
            ``ValueError``).
        """
        if count is not None and count < 0:
            raise ValueError('take: count must be None or >= 0, got %r' % (count,))
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, range(count))

    def sample(self, sampler):
        """The samples at the indices produced by ``sampler`` (listed once, now).

        Raises
        ------
        TypeError
            When ``sampler`` is not a :class:`~minigluon.data.sampler.Sampler` (a plain list of
            indices included), as in MXNet 1.9.1.
        """
        if not isinstance(sampler, Sampler):
            raise TypeError('Dataset.sample: sampler must be a gluon.data.Sampler, got %s'
                            % type(sampler).__name__)
        return _SampledDataset(self, sampler)

    def transform(self, fn, lazy=True):
        """A dataset of ``fn(*sample)`` (a tuple sample is unpacked); eager when ``lazy=False``."""
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn, lazy=True):
        """Apply ``fn`` to the first element of each sample only (e.g. the image, not the label)."""
        return self.transform(_TransformFirst(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over any object with ``__getitem__`` and ``__len__`` (a list, an array)."""

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at ``indices`` (listed once, at construction), as MXNet 1.9.1's
    ``_SampledDataset``: a plain object, so it pickles (for spawned DataLoader workers) when the
    dataset does."""

    def __init__(self, dataset, indices):
        self._dataset, self._indices = dataset, list(indices)

    def __len__(self):
        return len(self._indices)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]


class _LazyTransformDataset(Dataset):
    def __init__(self, data, fn):
        self._data, self._fn = data, fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirst:
    def __init__(self, fn):
        self._fn = fn

    def __call__(self, x, *args):
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class ArrayDataset(Dataset):
    """Zip several equally long arrays/lists: item ``i`` is ``(a[i], b[i], ...)``, or ``a[i]``
    with one array. 1-D NDArrays are converted to NumPy, as MXNet does, so items are scalars.

    Raises
    ------
    ValueAssertionError
        With no arrays, or arrays of different lengths (a ``ValueError`` and an
        ``AssertionError``: MXNet 1.9.1 asserts).
    """

    def __init__(self, *args):
        if not args:
            raise ValueAssertionError('ArrayDataset needs at least 1 array')
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ValueAssertionError('All arrays must have the same length; array[0] has '
                                          'length %d while array[%d] has %d.'
                                          % (self._length, i, len(data)))
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self):
        return self._length


class RecordFileDataset(Dataset):
    """The records of a RecordIO file, as raw ``bytes`` (MXNet 1.9.1
    ``gluon.data.RecordFileDataset``).

    Item ``i`` is the payload of the record of the ``i``-th line of the index file
    ``os.path.splitext(filename)[0] + '.idx'`` (decode it with ``mx.recordio.unpack`` /
    ``unpack_img``); the length is the number of index lines.

    Parameters
    ----------
    filename : str or os.PathLike
        The ``.rec`` file; its ``.idx`` must lie beside it.

    Raises
    ------
    MXNetFileNotFoundError
        When the ``.rec`` or ``.idx`` file is missing.
    MXNetTypeError
        For a ``filename`` that is not a path; from ``__getitem__``, for an index that is not
        an integer (MXNet looks a slice up in the index and fails there).
    MXNetFormatError
        From ``__getitem__``, for a corrupt record (names the file and byte offset).
    MXNetIndexError
        From ``__getitem__``, for an index out of range (an ``IndexError``, which ends a ``for``
        loop over the dataset).

    Notes
    -----
    Safe in DataLoader workers: a forked worker reopens the file on its first read (it never
    shares the parent's file offset), and a pickled copy (spawned workers) carries the paths, not
    the file. Reads from several threads of one process are serialised by the lock of the
    :class:`minigluon.recordio.MXIndexedRecordIO` that reads the file.
    """

    def __init__(self, filename):
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise MXNetTypeError('%s: filename must be a path (str or os.PathLike), got %s %r'
                                 % (type(self).__name__, type(filename).__name__, filename)) from None
        self.idx_file = os.path.splitext(self.filename)[0] + '.idx'
        self._record = MXIndexedRecordIO(self.idx_file, self.filename, 'r')

    def __getitem__(self, idx):
        keys = self._record.keys
        try:
            key = keys[operator.index(idx)]
        except TypeError:
            raise MXNetTypeError('%s indices must be integers, got %s %r'
                                 % (type(self).__name__, type(idx).__name__, idx)) from None
        except IndexError:
            raise MXNetIndexError('%s index %d out of range for the %d records of %s'
                                  % (type(self).__name__, idx, len(keys), self.filename)) from None
        return self._record.read_idx(key)    # locked, and reopened in a forked worker

    def __len__(self):
        return len(self._record.keys)
