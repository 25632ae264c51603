"""Samplers: ``SequentialSampler``, ``RandomSampler``, ``FilterSampler``, ``IntervalSampler``,
``BatchSampler``.

Semantics follow ``mxnet.gluon.data.sampler`` (MXNet 1.9.1). ``RandomSampler`` shuffles with
NumPy's global RNG (``numpy.random``), as MXNet does.
"""
import numpy as np

from minigluon.base import ValueAssertionError

__all__ = ['Sampler', 'SequentialSampler', 'RandomSampler', 'FilterSampler', 'IntervalSampler',
           'BatchSampler']


class Sampler:
    """Base class: an iterable of sample indices with a length."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


def _check_length(length, name):
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError('%s: length must be a non-negative int, got %r' % (name, length))


class SequentialSampler(Sampler):
    """``start, start+1, ..., start+length-1``."""

    def __init__(self, length, start=0):
        _check_length(length, 'SequentialSampler')
        self._length, self._start = int(length), start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``[0, length)`` on every iteration.

    The permutation is NumPy's global generator shuffling ``arange(length)``, as in MXNet 1.9.1
    (so ``np.random.seed`` gives MXNet's order), but the indices are Python ints, as every other
    sampler's (and ``BatchSampler``'s batches of them): MXNet 1.9.1 yields ``numpy.int64`` here
    only, which ``json.dumps`` refuses and ``isinstance(i, int)`` rejects.
    """

    def __init__(self, length):
        _check_length(length, 'RandomSampler')
        self._length = int(length)

    def __iter__(self):
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices.tolist())

    def __len__(self):
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true, in order.

    The whole dataset is iterated once, when the sampler is made (MXNet 1.9.1
    ``gluon.data.FilterSampler``); iterating the sampler gives the same indices every time.

    Parameters
    ----------
    fn : callable
        Called with each sample (a tuple for a multi-array dataset); its result is taken as a
        bool.
    dataset : Dataset or iterable
        Its samples, in index order, are what iterating it gives.

    Raises
    ------
    TypeError
        When ``fn`` is not callable.
    """

    def __init__(self, fn, dataset):
        if not callable(fn):
            raise TypeError('FilterSampler: fn must be callable, got %s' % type(fn).__name__)
        self._fn, self._dataset = fn, dataset
        self._indices = [i for i, sample in enumerate(dataset) if fn(sample)]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self):
        return len(self._indices)


class IntervalSampler(Sampler):
    """``0, interval, 2*interval, ..., then 1, 1+interval, ...`` (with ``rollover``), or only
    the first pass without it (MXNet 1.9.1 ``gluon.contrib.data.IntervalSampler``, also
    ``gluon.data.IntervalSampler`` here). ``len()`` is the number of indices yielded (MXNet
    gives ``length`` also without ``rollover``).

    Raises
    ------
    ValueError
        If ``interval`` is not in ``[1, length]`` (also an ``AssertionError``, as MXNet asserts
        ``interval <= length``: :class:`~minigluon.base.ValueAssertionError`), or ``length`` is
        not a non-negative int.
    """

    def __init__(self, length, interval, rollover=True):
        _check_length(length, 'IntervalSampler')
        if not 1 <= interval <= length:
            raise ValueAssertionError('Interval %r must be in [1, length=%d]' % (interval, length))
        self._length, self._interval, self._rollover = length, interval, rollover

    def __iter__(self):
        for i in range(self._interval if self._rollover else 1):
            yield from range(i, self._length, self._interval)

    def __len__(self):
        return self._length if self._rollover else len(range(0, self._length, self._interval))


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : iterable of int
    batch_size : int
        A float with an integral value (``n / 2`` with ``n`` even) counts as that int: MXNet
        1.9.1 batches with it too (only its ``len()`` then fails).
    last_batch : {'keep', 'discard', 'rollover'}
        What to do with a final incomplete batch: yield it, drop it, or carry its indices over to
        the start of the next iteration.

    Raises
    ------
    ValueError
        For a ``batch_size`` that is not a positive whole number (MXNet 1.9.1 takes ``2.5`` or
        ``'2'`` and silently yields one batch of everything), or an unknown ``last_batch``
        (MXNet notices it only at the end of the first iteration).
    """

    def __init__(self, sampler, batch_size, last_batch='keep'):
        if isinstance(batch_size, (float, np.floating)) and float(batch_size).is_integer():
            batch_size = int(batch_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError('batch_size must be a positive int, got %r' % (batch_size,))
        if last_batch not in ('keep', 'discard', 'rollover'):
            raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', but got %r"
                             % (last_batch,))
        self._sampler, self._batch_size, self._last_batch = sampler, int(batch_size), last_batch
        self._prev = []

    def __iter__(self):
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == 'keep':
                yield batch
            elif self._last_batch == 'rollover':
                self._prev = batch

    def __len__(self):
        n = len(self._sampler)
        if self._last_batch == 'keep':
            return (n + self._batch_size - 1) // self._batch_size
        if self._last_batch == 'discard':
            return n // self._batch_size
        return (len(self._prev) + n) // self._batch_size
