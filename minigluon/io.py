"""``mx.io``: DataDesc, DataBatch, the DataIter protocol, NDArrayIter (batches over in-memory
arrays) and the MXDataIter type (for ``isinstance`` checks only), as in MXNet 1.x's Module-era
data API (``python/mxnet/io/io.py``); the wrapping iterators ResizeIter and PrefetchingIter live
in :mod:`minigluon._io_wrappers`, the file iterators MNISTIter, CSVIter and ImageRecordIter (with its
deprecated uint8 / int8 / ``_v1`` names; C++
in MXNet) in :mod:`minigluon._file_iters` and ImageDetRecordIter in
:mod:`minigluon._det_record_iter`; all are importable from here."""
from collections import namedtuple

import numpy as np

from minigluon import ndarray as nd

class DataDesc(namedtuple('DataDesc', ['name', 'shape'])):
    """Name and shape of an input (a ``(name, shape)`` tuple) plus ``dtype`` and ``layout``.

    Parameters
    ----------
    name : str
    shape : tuple of int
    dtype : NumPy dtype, default numpy.float32
    layout : str, default 'NCHW'
        Letters naming the axes; ``'N'`` marks the batch axis (see :meth:`get_batch_axis`).
    """

    def __new__(cls, name, shape, dtype=np.float32, layout='NCHW'):
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return 'DataDesc[%s,%s,%s,%s]' % (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The index of ``'N'`` in ``layout`` (0 when ``layout`` is None)."""
        return 0 if layout is None else layout.find('N')

    @staticmethod
    def get_list(shapes, types):
        """DataDescs from ``[(name, shape)]`` and optional ``[(name, dtype)]`` (float32 when
        ``types`` is None or lacks a name)."""
        types = dict(types) if types is not None else {}
        return [DataDesc(name, shape, types.get(name, np.float32)) for name, shape in shapes]


class DataBatch:
    """One batch: ``data`` and ``label`` are lists of NDArrays; ``pad`` counts filler samples;
    ``bucket_key``, ``provide_data`` and ``provide_label`` are kept for bucketing iterators.
    ``str(batch)`` lists the data and label shapes, as MXNet's."""

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        labels = [l.shape for l in self.label] if self.label else None
        return '%s: data shapes: %s label shapes: %s' % (
            type(self).__name__, [d.shape for d in self.data], labels)


class DataIter:
    """Base of data iterators (MXNet ``mx.io.DataIter``): subclasses implement :meth:`iter_next`
    (advance; False at the end), :meth:`getdata`, :meth:`getlabel` and optionally :meth:`getpad`,
    :meth:`getindex` and :meth:`reset`; :meth:`next` assembles a :class:`DataBatch`."""

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Start a new epoch."""

    def next(self):
        """The next :class:`DataBatch`; raises StopIteration at the end of the epoch."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; False when there is none."""
        raise NotImplementedError('%s.iter_next' % type(self).__name__)

    def getdata(self):
        """The data of the current batch (list of NDArrays)."""
        raise NotImplementedError('%s.getdata' % type(self).__name__)

    def getlabel(self):
        """The label of the current batch (list of NDArrays)."""
        raise NotImplementedError('%s.getlabel' % type(self).__name__)

    def getindex(self):
        """The sample indices of the current batch, or None."""
        return None

    def getpad(self):
        """The number of filler samples in the current batch."""
        return 0


def _as_named_list(value, default_name):
    # MXNet 1.9.1 names a lone array ``default_name`` and the arrays of a longer list
    # ``_<i>_<default_name>``, then sorts every (name, array) pair by name (dict order is not kept).
    if value is None:
        return []
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, (list, tuple)):
        if len(value) == 1:
            pairs = [(default_name, value[0])]
        else:
            pairs = [('_%d_%s' % (i, default_name), v) for i, v in enumerate(value)]
    else:
        pairs = [(default_name, value)]
    return sorted(pairs, key=lambda kv: kv[0])


def _as_ndarray(value, what):
    # An NDArray is kept as it is (not copied: MXNet 1.9.1's NDArrayIter holds the very array);
    # a NumPy array becomes a float32 NDArray, as mx.nd.array makes it in MXNet. Anything else (a
    # str, a number, a nested Python list) is refused, as MXNet 1.9.1 does.
    if isinstance(value, nd.NDArray):
        return value
    if not isinstance(value, np.ndarray):
        raise TypeError('NDArrayIter: %s must be an NDArray or numpy.ndarray, a list of them or a '
                        'dict of name -> array, got %s' % (what, type(value).__name__))
    return nd.array(value)


def _rows(array, key):
    """The samples ``key`` (a slice or an index array) of the NDArray ``array``, as a new NDArray
    on its context (a copy, never a view: a batch changed in place leaves the data alone)."""
    ctx = array.context
    with ctx.device():
        if isinstance(key, slice):
            raw = array._data[key].copy()
        else:           # (take is several times faster than fancy indexing on large arrays)
            raw = array._data.take(ctx.xp.asarray(key), axis=0)
        return nd.NDArray(raw, ctx)


def _joined(first, second):
    """The NDArrays ``first`` and ``second`` joined along the sample axis."""
    with second.context.device():
        xp = second.context.xp
        return nd.NDArray(xp.concatenate([first._data, second._data]), second.context)


class NDArrayIter(DataIter):
    """Iterate over NDArrays/NumPy arrays in batches.

    The iterator keeps MXNet 1.9.1's public state, with MXNet's values after construction, each
    :meth:`next` / :meth:`iter_next` and each :meth:`reset`, for code that reads it or
    subclasses the iterator (overriding ``next``, ``getdata`` or ``reset``): see Attributes.

    Parameters
    ----------
    data, label : array, list of arrays or dict of name -> array
        First dimension is the sample axis; all must have the same length. Arrays are ordered
        by name (a list of several is named ``_0_data``, ``_1_data``...); NumPy inputs become
        float32 NDArrays, NDArrays are kept as they are (not copied) with their dtype (MXNet
        1.9.1).
    batch_size : int
    shuffle : bool
        Shuffle at construction and at each :meth:`reset`, drawing from ``np.random`` as MXNet
        1.9.1 does, so a script that seeds ``np.random`` gets MXNet's batches.
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        'pad' fills the last batch from the start and reports ``pad``; 'discard' drops it;
        'roll_over' carries the remainder into the next epoch, whose first batch reports the
        number of carried samples as ``pad`` (MXNet 1.9.1).
    data_name, label_name : str
    layout : str, default 'NCHW'
        Reported in ``provide_data`` / ``provide_label``; samples are always taken along the
        first axis. (MXNet 1.9.1 slices along the layout's ``'N'`` axis but counts and shuffles
        samples along the first, and fails on a 1-D label, when ``'N'`` is not first.)

    Attributes
    ----------
    data, label : list of (str, NDArray)
        The arrays by name, their samples in the order of the last shuffle (each shuffle makes
        new arrays; without shuffling, the arrays given).
    idx : numpy.ndarray of int64
        The permutation the last shuffle applied to the previous order (``arange(num_data)``
        without shuffling).
    cursor : int
        Position of the current batch in ``data``: ``-batch_size`` after :meth:`reset`, moved by
        ``batch_size`` in :meth:`iter_next`; negative in the first batch of a 'roll_over' epoch
        that starts with carried samples (``-cursor`` of them).
    num_data, batch_size, shuffle, last_batch_handle, layout
        As given (``num_data``: the number of samples).
    data_list : list of NDArray
        The data then the label arrays as they were after the first shuffle, at construction
        (MXNet does not update it when it reshuffles).
    num_source : int
        ``len(data_list)``.

    Raises
    ------
    TypeError
        If an array is not an NDArray or NumPy array (MXNet 1.9.1 also refuses str, numbers
        and nested lists), or ``batch_size`` is not an int (MXNet fails later, in slicing).
    ValueError
        If ``data`` holds no array (None, ``[]``, ``{}``), an array is 0-d, lengths differ, the
        batch size is not positive, last_batch_handle is unknown, or
        'roll_over' is asked for with a batch larger than the data.

    Notes
    -----
    A shuffled int NDArray keeps its dtype here. MXNet 1.9.1 copies the shuffled arrays through
    ``mx.nd.array``, which makes them float32, so its batches are float32 with ``shuffle=True``
    and int with ``shuffle=False``.
    """

    _carried = None     # 'roll_over': {name: NDArray} of the data and the label carried over

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle='pad',
                 data_name='data', label_name='softmax_label', layout='NCHW'):
        super().__init__(batch_size)
        self.layout = layout
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError('NDArrayIter: batch_size must be an int, got %r' % (batch_size,))
        if batch_size <= 0:
            raise ValueError('NDArrayIter: batch_size must be a positive int, got %r' % (batch_size,))
        if last_batch_handle not in ('pad', 'discard', 'roll_over'):
            raise ValueError("NDArrayIter: last_batch_handle must be 'pad', 'discard' or 'roll_over', got %r"
                             % (last_batch_handle,))
        self.data = [(k, _as_ndarray(v, 'data')) for k, v in _as_named_list(data, data_name)]
        if not self.data:
            raise ValueError('NDArrayIter: data must hold at least one array, got %r' % (data,))
        self.label = [(k, _as_ndarray(v, 'label')) for k, v in _as_named_list(label, label_name)]
        for k, v in self.data + self.label:
            if not v.ndim:
                raise ValueError('NDArrayIter: array %r has no sample axis (a 0-d array); give '
                                 'the samples along the first axis' % k)
        lengths = {v.shape[0] for _, v in self.data + self.label}
        if len(lengths) != 1:
            raise ValueError('NDArrayIter: data and label must have the same number of samples, got %s'
                             % sorted(lengths))
        num_data = lengths.pop()
        if last_batch_handle == 'roll_over' and int(batch_size) > num_data:
            # MXNet 1.9.1 yields an empty first epoch here, then batches padded from the start.
            raise ValueError("NDArrayIter: last_batch_handle='roll_over' needs batch_size <= the number "
                             "of samples (%d), got batch_size=%d" % (num_data, int(batch_size)))
        # set in MXNet 1.9.1's order, so that a subclass's reset() run by the constructor finds
        # what it would find there
        self.idx = np.arange(num_data)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = int(batch_size)
        self.cursor = -self.batch_size
        self.num_data = num_data
        self.reset()
        self.data_list = [v for _, v in self.data] + [v for _, v in self.label]
        self.num_source = len(self.data_list)

    @property
    def provide_data(self):
        return [DataDesc(k, (self.batch_size,) + v.shape[1:], v.dtype, self.layout)
                for k, v in self.data]

    @property
    def provide_label(self):
        return [DataDesc(k, (self.batch_size,) + v.shape[1:], v.dtype, self.layout)
                for k, v in self.label]

    def _shuffle_data(self):
        # MXNet 1.9.1's draw: np.random.shuffle of the index array kept from epoch to epoch,
        # then applied to the samples in the order the previous shuffle left them
        np.random.shuffle(self.idx)
        self.data = [(k, _rows(v, self.idx)) for k, v in self.data]
        self.label = [(k, _rows(v, self.idx)) for k, v in self.label]

    def reset(self):
        """Start a new epoch (reshuffling if ``shuffle``). With ``'roll_over'`` the samples left
        over from the last epoch open the new one (see :meth:`getpad`).

        Each shuffle draws as MXNet 1.9.1's, so that a script seeding ``np.random`` gets MXNet's
        batches: ``np.random.shuffle`` of an index array kept from epoch to epoch, that index
        array then applied to the samples in the order the previous shuffle left them. The
        constructor calls ``reset()``, so a loop that resets before each epoch starts on the
        second shuffle, as on MXNet.

        As in MXNet 1.9.1, the samples carried over are those of the short batch the epoch ended
        on (``cursor`` within the last ``batch_size`` samples); after one more ``next()`` past
        the end, or a second ``reset()``, nothing is carried. They are carried as they are in
        ``data`` / ``label``: MXNet 1.9.1 carries the batch its ``next()`` got from ``getdata()``
        / ``getlabel()``, so a subclass that transforms batches there transforms the carried
        samples twice (or fails, when the transform changes their shape)."""
        n, bs = self.num_data, self.batch_size
        self._carried = None
        if self.last_batch_handle == 'roll_over' and n - bs < self.cursor < n:
            # taken before the shuffle reorders the data; -cursor of the next batch counts them
            self._carried = [{k: _rows(v, slice(self.cursor, n)) for k, v in arrays}
                             for arrays in (self.data, self.label)]
            self.cursor -= n + bs
        else:
            self.cursor = -bs
        if self.shuffle:
            self._shuffle_data()

    def hard_reset(self):
        """Start a new epoch and drop any rolled-over samples (MXNet ``hard_reset``; like MXNet's,
        it does not call :meth:`reset`)."""
        self.cursor = -self.batch_size
        self._carried = None
        if self.shuffle:
            self._shuffle_data()

    def getpad(self):
        """``pad`` of the current batch.

        ``'pad'``: the number of samples repeated from the start to fill the last batch.
        ``'roll_over'``: as in MXNet 1.9.1, the number of samples carried over from the previous
        epoch into the first batch of this one (those samples are real data, not filler; only
        that first batch has a nonzero pad). ``'discard'``: always 0.
        """
        if self.last_batch_handle == 'pad' and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == 'roll_over' and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def iter_next(self):
        """Move to the next batch (read it with :meth:`getdata`, :meth:`getlabel`,
        :meth:`getpad`): ``cursor`` moves by ``batch_size``; False at the end of the epoch.

        The batches are those of :meth:`next`, whatever ``last_batch_handle`` says. (MXNet
        1.9.1's ``iter_next`` / ``getdata`` hand out the short last batch with ``'discard'`` and
        ``'roll_over'``; only its ``next`` drops or carries it.)"""
        self.cursor += self.batch_size
        if self.cursor >= self.num_data:
            return False
        return self.last_batch_handle == 'pad' or self.cursor + self.batch_size <= self.num_data

    def _batchify(self, data_source):
        # The current batch of the (name, NDArray) pairs ``data_source`` (``self.data`` or
        # ``self.label``), under MXNet 1.9.1's name (some subclasses call it).
        start, bs, n = self.cursor, self.batch_size, self.num_data
        if not -bs < start < n:
            raise ValueError('NDArrayIter: no current batch (cursor %d); call iter_next() first '
                             '(it returned False or was not called)' % start)
        if start < 0:       # the first batch of a 'roll_over' epoch: the carried samples first
            if self._carried is None:
                raise ValueError("NDArrayIter: cursor %d stands in the first batch of a "
                                 "'roll_over' epoch, but no samples were carried over (reset() "
                                 "keeps them when the epoch ended on a short batch)" % start)
            kept = self._carried[1 if data_source is self.label else 0]
            return [_joined(kept[k], _rows(v, slice(0, start + bs))) for k, v in data_source]
        if start + bs > n and self.last_batch_handle == 'pad':
            # filled from the start, wrapping as often as needed (batch_size > num_data)
            rows = np.concatenate([np.arange(start, n), np.resize(np.arange(n), start + bs - n)])
            return [_rows(v, rows) for _, v in data_source]
        return [_rows(v, slice(start, start + bs)) for _, v in data_source]

    def getdata(self):
        """The data arrays of the current batch."""
        return self._batchify(self.data)

    def getlabel(self):
        """The label arrays of the current batch."""
        return self._batchify(self.label)

    def next(self):
        if not self.iter_next():
            raise StopIteration
        # MXNet's NDArrayIter leaves DataBatch.index as None.
        return DataBatch(self.getdata(), self.getlabel(), pad=self.getpad())


class MXDataIter(DataIter):
    """The type of MXNet's native iterators (``ImageRecordIter``, ``CSVIter``, ``MNISTIter``...),
    which wrap a C++ iterator ``handle``.

    minigluon's ``MNISTIter``, ``CSVIter`` and ``ImageRecordIter`` (Python, in
    :mod:`minigluon._file_iters`) derive from it, so that scripts written for MXNet can ask, as
    ``example/gluon/image_classification.py`` does before each epoch
    (``if isinstance(train_data, mx.io.MXDataIter): train_data.reset()``). There are no C++
    iterators to wrap: creating an ``MXDataIter`` itself raises ``NotImplementedError``.
    """

    def __init__(self, handle=None, data_name='data', label_name='softmax_label', **_):
        if type(self) is MXDataIter:
            raise NotImplementedError(
                'MXDataIter(handle=%r): minigluon has no native (C++) data iterators to wrap; read '
                'the data with NDArrayIter, MNISTIter, CSVIter, ImageRecordIter, '
                'ImageDetRecordIter, or gluon.data '
                'datasets and DataLoader' % (handle,))
        super().__init__()


from minigluon._io_wrappers import PrefetchingIter, ResizeIter  # noqa: E402,F401  (need DataIter)
from minigluon._file_iters import (  # noqa: E402,F401  (need DataIter)
    CSVIter, ImageRecordInt8Iter, ImageRecordIter, ImageRecordIter_v1, ImageRecordUInt8Iter,
    ImageRecordUInt8Iter_v1, MNISTIter)
from minigluon._det_record_iter import ImageDetRecordIter  # noqa: E402,F401  (need DataIter)


# LibSVMIter, MXNet 1.9.1's one C++ file iterator left out (it yields sparse CSR batches), says so
# when asked for (hasattr() stays False)
from minigluon import base as _base  # noqa: E402
__getattr__ = _base.out_of_scope_getattr('minigluon.io', {
    'LibSVMIter': "the C++ file iterator mx.io.LibSVMIter, with its sparse CSR batches (minigluon's "
                  'are MNISTIter, CSVIter, ImageRecordIter and its uint8/int8 forms and '
                  'ImageDetRecordIter, in Python)'},
    'read the file into dense arrays and use mx.io.NDArrayIter')
