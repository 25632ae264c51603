"""Programs that read the public state of ``mx.io.NDArrayIter`` as MXNet 1.x code does: its
``data`` / ``label`` lists of ``(name, NDArray)`` pairs, ``cursor``, ``idx``, ``num_data``,
``num_source``, ``data_list``, ``batch_size``, ``shuffle``, ``last_batch_handle``; and three
legacy subclasses (a ``next()`` override built on ``iter_next`` / ``getdata`` / ``getlabel`` /
``getpad`` and ``cursor``, dataset statistics read from ``self.data[0][1]``, a ``reset()``
override calling super) and one that calls MXNet's private ``_batchify``, as some do; written
in our own words after the patterns of Module-era scripts.

tests/test_io_ndarrayiter_state.py runs this file as it is, on minigluon;
tools/gen_ndarrayiter_state_fixtures.py runs the same text with the one line
``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and records what the
functions in :data:`PROGRAMS` return in tests/fixtures/ndarrayiter_state/mxnet.json. Shuffles
draw from ``np.random``, seeded by each program.
"""
import numpy as np

import minigluon as mx

nd = mx.nd

N = 7            # samples: batches of 3 leave a short last batch of 1
BATCH = 3


def _values(arrays):
    """``[[name, array type, dtype, values]]`` of a list of ``(name, NDArray)`` pairs; an entry
    that is not an NDArray fails here (``asnumpy``), as it would in the legacy script."""
    return [[k, type(v).__name__, np.dtype(v.dtype).name, v.asnumpy().tolist()] for k, v in arrays]


def state(it):
    """The public state of an NDArrayIter (what subclasses read)."""
    return {'cursor': it.cursor, 'idx': it.idx.tolist(), 'num_data': it.num_data,
            'num_source': it.num_source, 'batch_size': it.batch_size, 'shuffle': it.shuffle,
            'last_batch_handle': it.last_batch_handle, 'data': _values(it.data),
            'label': _values(it.label),
            'data_list': [v.asnumpy().tolist() for v in it.data_list], 'getpad': it.getpad()}


def _inputs(kind):
    x = np.arange(N * 2, dtype=np.float32).reshape(N, 2)
    y = np.arange(N, dtype=np.float32) + 100
    if kind == 'one':
        return x, y
    if kind == 'list':
        return [x, x * 10], [y]
    if kind == 'dict':
        return {'b': x, 'a': x[:, 0] * 10}, {'y': y, 'w': y * 2}
    if kind == 'ndarray':        # an NDArray and no label
        return nd.array(x[:, 1]), None
    raise ValueError(kind)


def _batch(b):
    return [[d.asnumpy().tolist() for d in b.data], [l.asnumpy().tolist() for l in b.label or []],
            b.pad]


def trace(kind, handle, shuffle, epochs=3, hard_reset=False, next_after_end=False):
    """The state after construction, after each ``next()`` (and the StopIteration that ends the
    epoch) and after each ``reset()`` (or ``hard_reset()``), over ``epochs`` epochs.
    ``next_after_end``: ``next()`` is called once more after the epoch ended."""
    np.random.seed(3)
    data, label = _inputs(kind)
    it = mx.io.NDArrayIter(data, label, batch_size=BATCH, shuffle=shuffle,
                           last_batch_handle=handle)
    out = [['init', state(it)]]
    for _ in range(epochs):
        for _ in range(N):
            try:
                out.append(['batch', _batch(it.next()), state(it)])
            except StopIteration:
                out.append(['stop', state(it)])
                break
        if next_after_end:
            try:
                it.next()
            except StopIteration:
                out.append(['stop again', state(it)])
        (it.hard_reset if hard_reset else it.reset)()
        out.append(['reset', state(it)])
    return out


TRACES = {
    'one_pad': ('one', 'pad', False),
    'one_pad_shuffle': ('one', 'pad', True),
    'one_discard': ('one', 'discard', False),
    'one_discard_shuffle': ('one', 'discard', True),
    'one_roll_over': ('one', 'roll_over', False),
    'one_roll_over_shuffle': ('one', 'roll_over', True),
    'list_pad_shuffle': ('list', 'pad', True),
    'dict_roll_over_shuffle': ('dict', 'roll_over', True),
    'dict_discard': ('dict', 'discard', False),
    'ndarray_roll_over_shuffle': ('ndarray', 'roll_over', True),
}


def traces():
    return {name: trace(*args) for name, args in sorted(TRACES.items())}


def roll_over_edges():
    """'roll_over' with ``hard_reset()`` (carried samples dropped), with one more ``next()`` after
    the end of the epoch (MXNet then carries nothing), and a batch that wraps with 'pad'."""
    np.random.seed(5)
    big = mx.io.NDArrayIter(np.arange(2, dtype=np.float32), batch_size=5)
    wrapped = []
    while big.iter_next():
        wrapped.append([big.getdata()[0].asnumpy().tolist(), big.getpad(), big.cursor])
    return {'hard_reset': trace('one', 'roll_over', True, epochs=2, hard_reset=True),
            'next_after_end': trace('one', 'roll_over', False, epochs=2, next_after_end=True),
            'pad_wraps': wrapped + [[big.cursor, big.getpad()]]}


def manual_protocol():
    """``iter_next()`` / ``getdata()`` / ``getlabel()`` / ``getpad()`` with ``cursor`` after each
    step, 'pad' and shuffled, over two epochs."""
    np.random.seed(11)
    x, y = _inputs('one')
    it = mx.io.NDArrayIter(x, y, batch_size=BATCH, shuffle=True)
    out = []
    for _ in range(2):
        while it.iter_next():
            out.append([it.cursor, it.getdata()[0].asnumpy().tolist(),
                        it.getlabel()[0].asnumpy().tolist(), it.getpad()])
        out.append(['end', it.cursor])
        it.reset()
    return out


def shared_input():
    """An NDArray given as data is kept, not copied: ``data[0][1]`` is that very array, and a
    change to it shows in the next batches (shuffle off); its dtype is kept."""
    x = nd.array(np.arange(4), dtype='int32')
    it = mx.io.NDArrayIter(x, batch_size=2)
    same = it.data[0][1] is x and it.data_list[0] is x
    x[:] = x * 10
    return {'same_object': same, 'batches': [b.data[0].asnumpy().tolist() for b in it],
            'dtype': np.dtype(it.data[0][1].dtype).name}


def shuffled_int_dtype():
    """The dtype of the batches of a shuffled int32 NDArray (MXNet 1.9.1 makes the shuffled
    copies float32; minigluon keeps int32, a documented difference)."""
    np.random.seed(1)
    it = mx.io.NDArrayIter(nd.array(np.arange(4), dtype='int32'), batch_size=2, shuffle=True)
    return np.dtype(it.next().data[0].dtype).name


# ---------------------------------------------------------------- legacy subclasses
class ScaledIter(mx.io.NDArrayIter):
    """A ``next()`` override built on the protocol methods: the data scaled, the epoch's
    progress read from ``cursor`` and ``num_data``."""

    def __init__(self, *args, **kwargs):
        self.progress = []
        super(ScaledIter, self).__init__(*args, **kwargs)

    def next(self):
        if not self.iter_next():
            raise StopIteration
        data = [d * 0.5 for d in self.getdata()]
        label = self.getlabel()
        self.progress.append(min(self.cursor + self.batch_size, self.num_data) / float(self.num_data))
        return mx.io.DataBatch(data=data, label=label, pad=self.getpad(), index=None)


class NormalizedIter(mx.io.NDArrayIter):
    """Mean and standard deviation read from ``self.data[0][1]`` (an NDArray) at construction;
    ``getdata`` normalizes each batch with them."""

    def __init__(self, data, label, batch_size, **kwargs):
        super(NormalizedIter, self).__init__(data, label, batch_size, **kwargs)
        whole = self.data[0][1]
        self.mean = whole.mean(axis=0)
        self.std = nd.sqrt(((whole - self.mean) ** 2).mean(axis=0)) + 1e-3

    def getdata(self):
        return [(d - self.mean) / self.std for d in super(NormalizedIter, self).getdata()]


class EpochIter(mx.io.NDArrayIter):
    """A ``reset()`` override that calls super and logs the epoch, ``cursor`` and the first
    samples of the (reshuffled) data; ``reset`` runs in the constructor too."""

    def __init__(self, *args, **kwargs):
        self.epoch = 0
        self.log = []
        super(EpochIter, self).__init__(*args, **kwargs)

    def reset(self):
        super(EpochIter, self).reset()
        self.epoch += 1
        self.log.append([self.epoch, self.cursor, self.data[0][1].asnumpy()[:2].tolist(),
                         self.idx.tolist()])


class OneHotIter(mx.io.NDArrayIter):
    """Labels one-hot encoded in ``getlabel`` through MXNet's ``_batchify`` (which some legacy
    subclasses call), the number of classes read from ``self.label`` for ``provide_label``."""

    @property
    def provide_label(self):
        classes = int(self.label[0][1].max().asscalar()) + 1
        return [mx.io.DataDesc(k, (self.batch_size, classes), v.dtype) for k, v in self.label]

    def getlabel(self):
        classes = self.provide_label[0].shape[1]
        return [nd.one_hot(l, classes) for l in self._batchify(self.label)]


def subclass_next():
    np.random.seed(21)
    x, y = _inputs('one')
    it = ScaledIter(x, y, batch_size=BATCH, shuffle=True)
    epochs = []
    for _ in range(2):
        epochs.append([_batch(b) for b in it])
        it.reset()
    return {'epochs': epochs, 'progress': it.progress}


def subclass_statistics():
    np.random.seed(22)
    x, y = _inputs('one')
    it = NormalizedIter(x * x, y, BATCH, shuffle=True, last_batch_handle='discard')
    return {'mean': it.mean.asnumpy().tolist(), 'std': it.std.asnumpy().tolist(),
            'batches': [_batch(b) for b in it]}


def subclass_reset():
    np.random.seed(23)
    x, y = _inputs('one')
    it = EpochIter(x, y, batch_size=BATCH, shuffle=True, last_batch_handle='roll_over')
    for _ in range(3):
        for _ in it:
            pass
        it.reset()
    return it.log


def subclass_batchify():
    np.random.seed(24)
    x, _ = _inputs('one')
    it = OneHotIter(x, np.arange(N) % 3, batch_size=BATCH, shuffle=True)
    epochs = []
    for _ in range(2):
        epochs.append([_batch(b) for b in it])
        it.reset()
    return {'provide_label': [[d.name, list(d.shape)] for d in it.provide_label],
            'epochs': epochs}


class DoubledIter(mx.io.NDArrayIter):
    """``getdata`` transforms the batch (doubles it), with 'roll_over'."""

    def getdata(self):
        return [d * 2 for d in super(DoubledIter, self).getdata()]


def subclass_transform_roll_over():
    """The first batch of the second epoch opens with the sample 6 carried over: doubled once
    here; MXNet 1.9.1 carries the batch ``getdata`` returned and doubles it again."""
    it = DoubledIter(np.arange(N, dtype=np.float32), batch_size=BATCH, last_batch_handle='roll_over')
    epochs = []
    for _ in range(2):
        epochs.append([b.data[0].asnumpy().tolist() for b in it])
        it.reset()
    return epochs


PROGRAMS = ['traces', 'roll_over_edges', 'manual_protocol', 'shared_input', 'shuffled_int_dtype',
            'subclass_next', 'subclass_statistics', 'subclass_reset', 'subclass_batchify',
            'subclass_transform_roll_over']
