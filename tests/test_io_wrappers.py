"""``mx.io.ResizeIter`` and ``mx.io.PrefetchingIter`` over ``NDArrayIter`` and custom DataIters
(minigluon/_io_wrappers.py), and ``gluon.contrib.data.IntervalSampler``. Expected batches were
measured on MXNet 1.9.1 with the same iterators."""
import threading

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd


def _values(batches, which='data'):
    return [[a[:, 0].asnumpy().tolist() for a in getattr(b, which)] for b in batches]


def _ten(batch_size=4, **kwargs):
    return mx.io.NDArrayIter(nd.arange(10).reshape((10, 1)), nd.arange(10), batch_size=batch_size,
                             **kwargs)


def test_resize_iter_restarts_the_inner_iterator():
    resized = mx.io.ResizeIter(_ten(), 5)
    assert resized.batch_size == 4 and resized.provide_data == _ten().provide_data
    batches = list(resized)
    # measured on MXNet 1.9.1
    assert _values(batches) == [[[0.0, 1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0, 7.0]], [[8.0, 9.0, 0.0, 1.0]],
                                [[0.0, 1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0, 7.0]]]
    assert [b.pad for b in batches] == [0, 0, 2, 0, 0]
    resized.reset()
    assert [b.pad for b in resized] == [0, 0, 2, 0, 0]


def test_resize_iter_without_reset_internal_continues():
    resized = mx.io.ResizeIter(_ten(), 2, reset_internal=False)
    first = _values(list(resized))
    resized.reset()
    # measured on MXNet 1.9.1
    assert first == [[[0.0, 1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0, 7.0]]]
    assert _values(list(resized)) == [[[8.0, 9.0, 0.0, 1.0]], [[0.0, 1.0, 2.0, 3.0]]]
    with pytest.raises(TypeError, match='size must be an int'):
        mx.io.ResizeIter(_ten(), 2.5)


def test_prefetching_iter_joins_and_renames():
    first = mx.io.NDArrayIter({'data': nd.arange(10).reshape((10, 1))}, batch_size=4)
    second = mx.io.NDArrayIter({'data': -nd.arange(30).reshape((10, 3))}, nd.arange(10), batch_size=4)
    pre = mx.io.PrefetchingIter([first, second], rename_data=[{'data': 'a'}, {'data': 'b'}])
    try:
        assert [(d.name, d.shape) for d in pre.provide_data] == [('a', (4, 1)), ('b', (4, 3))]
        assert [(d.name, d.shape) for d in pre.provide_label] == [('softmax_label', (4,))]
        assert pre.batch_size == 4
        for _ in range(2):                  # two epochs, measured on MXNet 1.9.1 (same both times)
            batches = list(pre)
            assert _values(batches) == [[[0.0, 1.0, 2.0, 3.0], [-0.0, -3.0, -6.0, -9.0]],
                                        [[4.0, 5.0, 6.0, 7.0], [-12.0, -15.0, -18.0, -21.0]],
                                        [[8.0, 9.0, 0.0, 1.0], [-24.0, -27.0, -0.0, -3.0]]]
            assert [[l.asnumpy().tolist() for l in b.label] for b in batches] == [
                [[0.0, 1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0, 7.0]], [[8.0, 9.0, 0.0, 1.0]]]
            assert [b.pad for b in batches] == [0, 0, 2] and batches[0].index is None
            assert [d.name for d in batches[0].provide_data] == ['a', 'b']
            assert not pre.iter_next()          # stays at the end until reset
            pre.reset()
    finally:
        pre.close()


def test_prefetching_iter_single_iterator_and_errors():
    single = mx.io.PrefetchingIter(mx.io.NDArrayIter(nd.ones((5, 2)), batch_size=2,
                                                     last_batch_handle='discard'))
    assert [b.data[0].shape for b in single] == [(2, 2), (2, 2)] and single.provide_label == []
    single.close()
    with pytest.raises(AssertionError, match='at least one'):          # MXNet asserts
        mx.io.PrefetchingIter([])
    with pytest.raises(ValueError, match="no new name for 'data'"):
        mx.io.PrefetchingIter(_ten(), rename_data=[{'x': 'y'}])
    short, long_ = _ten(batch_size=5), _ten(batch_size=2)
    pre = mx.io.PrefetchingIter([short, long_])
    with pytest.raises(ValueError, match='different'):
        list(pre)
    pre.close()


class _Failing(mx.io.DataIter):
    """Gives one batch, then raises: MXNet's prefetch thread dies and its consumer hangs."""

    def __init__(self):
        super().__init__(2)
        self.calls = 0

    @property
    def provide_data(self):
        return [mx.io.DataDesc('data', (2, 1))]

    @property
    def provide_label(self):
        return []

    def next(self):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError('disk on fire')
        return mx.io.DataBatch([nd.ones((2, 1))], [], pad=0)


def test_prefetching_iter_raises_the_iterators_error_in_the_consumer():
    pre = mx.io.PrefetchingIter(_Failing())
    assert pre.iter_next()
    with pytest.raises(RuntimeError, match='disk on fire'):
        pre.iter_next()
    assert pre.iter_next()              # the next batch is read after the failure
    pre.close()
    assert not any(t.name.startswith('PrefetchingIter') and t.is_alive() for t in threading.enumerate()
                   if t in pre._threads)


def test_interval_sampler_in_gluon_contrib_data():
    sampler = mx.gluon.contrib.data.IntervalSampler(10, 3)
    # measured on MXNet 1.9.1
    assert list(sampler) == [0, 3, 6, 9, 1, 4, 7, 2, 5, 8]
    assert list(mx.gluon.contrib.data.IntervalSampler(10, 3, rollover=False)) == [0, 3, 6, 9]
    assert mx.gluon.contrib.data.IntervalSampler is mx.gluon.data.IntervalSampler
    from minigluon.gluon.contrib.data.sampler import IntervalSampler
    assert IntervalSampler is mx.gluon.data.IntervalSampler
    with pytest.raises(AssertionError, match='Interval 11'):          # MXNet asserts it
        IntervalSampler(10, 11)
    np.testing.assert_array_equal(sorted(IntervalSampler(7, 2)), np.arange(7))
