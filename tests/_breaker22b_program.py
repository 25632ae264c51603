"""Programs run on minigluon by tests/test_breaker22b_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker22b_fixtures.py (``mx`` is either package): each returns JSON-able results.

They aim at ``gluon.data``: the default batchify function given samples of mixed kinds (an
NDArray beside NumPy arrays or numbers, tuples of different lengths), and ``Resize`` given a
size that is not an int or a pair of ints."""
import numpy as np


def _outcome(fn):
    """``fn()``'s result as nested lists (an NDArray as ``[dtype, values]``), or, when it
    raises, ``{'raised': [...]}``: which of AssertionError, TypeError, ValueError and
    RuntimeError the exception is an instance of."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return [plain(i) for i in v]
        return [np.dtype(v.dtype).name, v.asnumpy().tolist()]
    try:
        return plain(fn())
    except Exception as e:     # noqa: BLE001 -- an error is a result here
        return {'raised': [c.__name__ for c in (AssertionError, TypeError, ValueError, RuntimeError)
                           if isinstance(e, c)]}


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
        out[name] = _outcome(lambda: batchify(make()))
        out[name + '_loader'] = _outcome(lambda: next(iter(mx.gluon.data.DataLoader(
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
        out[name] = _outcome(call)
    return out


def run(mx):
    """Every program's results (what the fixture holds)."""
    return {'batchify_samples': batchify_samples(mx), 'resize_sizes': resize_sizes(mx)}
