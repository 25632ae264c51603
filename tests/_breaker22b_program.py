"""Programs run on minigluon by tests/test_breaker22b_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker22b_fixtures.py (``mx`` is either package): each returns JSON-able results.

They aim at ``gluon.data``: the default batchify function given samples of mixed kinds (an
NDArray beside NumPy arrays or numbers, tuples of different lengths), ``Resize`` given a size
that is not an int or a pair of ints, batches of named tuples and ordered dicts and exceptions
coming back from DataLoader worker processes, float batch sizes, and ``nd.image.random_hue``
with a fixed rotation. :func:`batchify_samples` and :func:`resize_sizes` give each case's
outcome in the form of tests/_outcome.py (:func:`_outcome.outcome`), shared with the other
breaker programs."""
import collections

import numpy as np

from _outcome import outcome


def batchify_samples(mx):
    """The default batchify function (directly, and through a DataLoader of one batch) on
    batches whose first sample is an NDArray or a tuple and whose other samples are not of the
    same form."""
    nd = mx.nd
    batches = {
        'nd_then_int': lambda: [nd.array([1.0]), 2.0],
        'nd_then_numpy': lambda: [nd.array([1.0]), np.array([2.0], dtype='float32')],
        'nd_then_list': lambda: [nd.array([1.0]), [2.0]],
        'tuple_then_int': lambda: [(1, 2), 3],
        'tuple_then_shorter_tuple': lambda: [(1, 2), (3,)],
        'tuple_then_longer_tuple': lambda: [(1,), (3, 4)],
        'tuple_then_list': lambda: [(1, 2), [3, 4]],
        'tuples': lambda: [(1, 2.5), (3, 4.5)],
    }
    batchify = mx.gluon.data.dataloader.default_batchify_fn
    out = {}
    for name, make in batches.items():
        out[name] = outcome(lambda: batchify(make()))
        out[name + '_loader'] = outcome(lambda: next(iter(mx.gluon.data.DataLoader(
            mx.gluon.data.SimpleDataset(make()), batch_size=2))))
    return out


def resize_sizes(mx):
    """``transforms.Resize(size)`` on a (4, 5, 3) uint8 image for sizes that are not an int or a
    pair of ints (and two that are): the output shape or the exception classes."""
    T = mx.gluon.data.vision.transforms
    img = mx.nd.array(np.arange(60).reshape(4, 5, 3), dtype='uint8')
    sizes = {'2.0': 2.0, 'float64_2': np.float64(2), 'None': None, '(2.0, 3)': (2.0, 3),
             '(2, 3, 4)': (2, 3, 4), '0': 0, '2': 2, '(2, 3)': (2, 3)}
    out = {}
    for name, size in sizes.items():
        def call(size=size):
            return [mx.nd.array(T.Resize(size)(img).shape)]
        out[name] = outcome(call)
    return out


Batch = collections.namedtuple('Batch', ['data', 'extra'])


def _as_named_tuple(samples):
    """A ``batchify_fn`` (picklable: MXNet's workers are sent it with every batch) whose batch
    is a named tuple: the sum of the samples (NDArrays), and an ordered dict of the count and a
    (named tuple, int) pair."""
    total = samples[0].copy()
    for s in samples[1:]:
        total = total + s
    return Batch(total, collections.OrderedDict([('n', len(samples)),
                                                 ('pair', (Batch(samples[0] * 2, None), 7))]))


def worker_batch_structures(mx):
    """Batches of :func:`_as_named_tuple` from a DataLoader over three NDArrays (batch size 2)
    loaded in the calling thread, by 2 worker processes and by 2 threads: per batch the type
    names of the containers and the values."""
    def plain(b):
        if isinstance(b, mx.nd.NDArray):
            return b.asnumpy().tolist()
        if isinstance(b, dict):
            return [type(b).__name__, [[k, plain(v)] for k, v in b.items()]]
        if isinstance(b, (list, tuple)):
            return [type(b).__name__, [plain(v) for v in b]]
        return b
    out = {}
    for name, kwargs in [('no_workers', {}), ('processes', {'num_workers': 2}),
                         ('threads', {'num_workers': 2, 'thread_pool': True})]:
        def load(kwargs=kwargs):
            loader = mx.gluon.data.DataLoader(
                mx.gluon.data.SimpleDataset([mx.nd.array([i, 10 * i]) for i in (1, 2, 3)]),
                batch_size=2, batchify_fn=_as_named_tuple, **kwargs)
            return [plain(b) for b in loader]
        try:
            out[name] = load()
        except Exception as e:     # noqa: BLE001 -- an error is a result here
            out[name] = {'raised': type(e).__name__}
    return out


class FailingAt2:
    """A dataset of four float32 numbers whose sample 2 raises ``KeyError``."""

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        if idx == 2:
            raise KeyError('no sample 2')
        return np.float32(idx)


def worker_errors(mx):
    """The exception class met when iterating a DataLoader over :class:`FailingAt2` (batch size
    2), in the calling thread, with 2 worker processes and with 2 threads, and the batches
    before it."""
    out = {}
    for name, kwargs in [('no_workers', {}), ('processes', {'num_workers': 2}),
                         ('threads', {'num_workers': 2, 'thread_pool': True})]:
        got = []
        try:
            for batch in mx.gluon.data.DataLoader(FailingAt2(), batch_size=2, **kwargs):
                got.append(batch.asnumpy().tolist())
        except Exception as e:     # noqa: BLE001 -- an error is a result here
            got.append({'raised': type(e).__name__, 'args': list(e.args)})
        out[name] = got
    return out


def float_batch_sizes(mx):
    """Batches of a DataLoader over ``range(5)`` with ``batch_size`` ``2.0`` and
    ``np.float64(2)`` (as ``n / 2`` computes it), last batch kept and discarded."""
    out = {}
    for name, size in [('2.0', 2.0), ('float64_2', np.float64(2))]:
        for last in ('keep', 'discard'):
            loader = mx.gluon.data.DataLoader(mx.gluon.data.SimpleDataset(list(range(5))),
                                              batch_size=size, last_batch=last)
            out['%s/%s' % (name, last)] = [b.asnumpy().tolist() for b in loader]
    return out


class TwoArgumentError(Exception):
    """An exception whose ``__init__`` takes two arguments and passes one message on: pickling
    keeps only the message, so it cannot be rebuilt from its pickle."""

    def __init__(self, a, b):
        super().__init__('%s/%s' % (a, b))


class RaisingTwoArgumentErrorAt2(FailingAt2):
    def __getitem__(self, idx):
        if idx == 2:
            raise TwoArgumentError(1, 2)
        return np.float32(idx)


def worker_unpicklable_error(mx):
    """The exception class met when 2 worker processes load :class:`RaisingTwoArgumentErrorAt2`
    (batch size 1, ``timeout=3``), and the batches before it."""
    got = []
    try:
        for batch in mx.gluon.data.DataLoader(RaisingTwoArgumentErrorAt2(), batch_size=1,
                                              num_workers=2, timeout=3):
            got.append(batch.asnumpy().tolist())
    except Exception as e:     # noqa: BLE001 -- an error is a result here
        got.append({'raised': type(e).__name__})
    return got


HUE_ALPHAS = (0.0, 0.25, 0.5, 1.7)


def hue_rotations(mx):
    """``nd.image.random_hue`` with ``min_factor == max_factor`` (a fixed rotation of ``alpha``
    turns) on a random (8, 8, 3) image in uint8 and in float32 (values 0-255): the output values
    as nested lists, per ``'<alpha>/<dtype>'``."""
    img = np.random.RandomState(0).randint(0, 256, (8, 8, 3))
    out = {}
    for alpha in HUE_ALPHAS:
        for dtype in ('uint8', 'float32'):
            x = mx.nd.array(img, dtype=dtype)
            y = mx.nd.image.random_hue(x, min_factor=alpha, max_factor=alpha)
            out['%g/%s' % (alpha, dtype)] = y.asnumpy().astype('float64').tolist()
    return out


def run(mx):
    """Every program's results (what the fixture holds)."""
    return {'batchify_samples': batchify_samples(mx), 'resize_sizes': resize_sizes(mx),
            'worker_batch_structures': worker_batch_structures(mx), 'worker_errors': worker_errors(mx),
            'hue_rotations': hue_rotations(mx), 'float_batch_sizes': float_batch_sizes(mx),
            'worker_unpicklable_error': worker_unpicklable_error(mx)}
