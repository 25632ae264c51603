"""``mx.io.ResizeIter`` and ``mx.io.PrefetchingIter``: iterators that wrap other DataIters
(MXNet 1.9.1 ``python/mxnet/io/io.py``), importable from :mod:`minigluon.io`."""
import numbers
import threading

from minigluon.base import ValueAssertionError
from minigluon.io import DataBatch, DataDesc, DataIter


class _BatchReader(DataIter):
    """The ``DataIter`` accessors of a wrapper that keeps the batch it served last in
    ``current_batch``."""

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_BatchReader):
    """Make ``data_iter`` yield exactly ``size`` batches per epoch: it is restarted when it runs
    out before that, and left where it is when the epoch ends early (MXNet 1.9.1
    ``mx.io.ResizeIter``).

    Parameters
    ----------
    data_iter : DataIter
        The iterator to resize; ``provide_data``, ``provide_label``, ``batch_size`` (and
        ``default_bucket_key`` when it has one) are copied from it.
    size : int
        Batches per epoch.
    reset_internal : bool, default True
        Whether :meth:`reset` also resets ``data_iter`` (else the next epoch continues where
        this one stopped).

    Raises
    ------
    TypeError
        When ``size`` is not an int.
    ValueError
        When ``size`` is negative.
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError('ResizeIter: size must be an int (batches per epoch), got %r' % (size,))
        if size < 0:
            raise ValueError('ResizeIter: size must be >= 0, got %d' % size)
        self.data_iter = data_iter
        self.size = int(size)
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, 'default_bucket_key'):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        """Start a new epoch of ``size`` batches (resetting ``data_iter`` if ``reset_internal``)."""
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        """Fetch the next batch of ``data_iter``, restarting it when it is exhausted; False once
        ``size`` batches were given this epoch."""
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True



def _renamed(descs, renames, what):
    if renames is None:
        return [d for descs_i in descs for d in descs_i]
    if len(renames) != len(descs):
        raise ValueError('PrefetchingIter: %s must hold one dict per iterator (%d), got %d'
                         % (what, len(descs), len(renames)))
    out = []
    for names, descs_i in zip(renames, descs):
        for d in descs_i:
            d = d if isinstance(d, DataDesc) else DataDesc(*d)
            if d.name not in names:
                raise ValueError('PrefetchingIter: %s has no new name for %r (it renames %s)'
                                 % (what, d.name, sorted(names)))
            out.append(DataDesc(names[d.name], d.shape, d.dtype, d.layout))
    return out


class PrefetchingIter(_BatchReader):
    """Read the next batch of one or more DataIters in background threads while the current one
    is used (MXNet 1.9.1 ``mx.io.PrefetchingIter``).

    With several iterators each batch joins their data and their labels, in order; they must
    stay in step (same number of batches, same ``pad``). A thread per iterator reads one batch
    ahead; :meth:`reset` waits for it, resets the iterators and starts reading again. An
    exception raised by an iterator (other than StopIteration) is raised again from
    :meth:`next` / :meth:`iter_next` in the consumer (MXNet's thread dies with it and the
    consumer waits forever). The threads are daemon threads (they never keep the process
    alive); :meth:`close` stops them.

    Parameters
    ----------
    iters : DataIter or list (or tuple) of DataIter
    rename_data, rename_label : list of dict, optional
        One ``{old name: new name}`` dict per iterator, renaming its ``provide_data`` /
        ``provide_label`` entries (e.g. two iterators that both call their input ``data``).

    Raises
    ------
    ValueError
        When ``iters`` is empty (also an ``AssertionError``, as MXNet asserts), or a rename list
        does not fit the iterators. :meth:`iter_next` raises it (also an ``AssertionError``) when
        the iterators fall out of step.
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        if not iters:
            raise ValueAssertionError('PrefetchingIter: iters must hold at least one DataIter')
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch = None
        self._next = [None] * self.n_iter        # (batch or None at the end, exception or None)
        self._ready = [threading.Event() for _ in iters]
        self._wanted = [threading.Event() for _ in iters]
        self._started = True
        self._threads = [threading.Thread(target=self._fetch, args=(i,), daemon=True,
                                          name='PrefetchingIter-%d' % i) for i in range(self.n_iter)]
        for want, thread in zip(self._wanted, self._threads):
            want.set()
            thread.start()

    def _fetch(self, i):
        while True:
            self._wanted[i].wait()
            self._wanted[i].clear()
            if not self._started:
                return
            try:
                self._next[i] = (self.iters[i].next(), None)
            except StopIteration:
                self._next[i] = (None, None)
            except Exception as err:  # noqa: BLE001 -- handed to the consumer thread
                self._next[i] = (None, err)
            self._ready[i].set()

    def close(self):
        """Stop the prefetching threads (waiting for a batch being read)."""
        if not getattr(self, '_started', False):
            return
        self._started = False
        for want in self._wanted:
            want.set()
        for thread in self._threads:
            thread.join()

    def __del__(self):
        self.close()

    @property
    def provide_data(self):
        return _renamed([it.provide_data for it in self.iters], self.rename_data, 'rename_data')

    @property
    def provide_label(self):
        return _renamed([it.provide_label for it in self.iters], self.rename_label, 'rename_label')

    def _wait(self):
        for ready in self._ready:
            ready.wait()

    def _request(self):
        for ready, want in zip(self._ready, self._wanted):
            ready.clear()
            want.set()

    def reset(self):
        """Wait for the batches being read, reset every iterator and start reading again."""
        self._wait()
        for it in self.iters:
            it.reset()
        self._request()

    def iter_next(self):
        """Take the prefetched batches (joined into :attr:`current_batch`) and start reading the
        next ones; False at the end of the epoch."""
        self._wait()
        for _, err in self._next:
            if err is not None:
                self._request()          # the failing batch is dropped; reading goes on
                raise err
        batches = [b for b, _ in self._next]
        if batches[0] is None or any(b is None for b in batches):
            if any(b is not None for b in batches):
                raise ValueAssertionError('PrefetchingIter: the iterators ran out at different '
                                          'batches; they must yield the same number')
            return False
        if any(b.pad != batches[0].pad for b in batches):
            raise ValueAssertionError('PrefetchingIter: the iterators gave batches with different '
                                      'pad %s' % [b.pad for b in batches])
        self.current_batch = DataBatch(sum([b.data for b in batches], []),
                                       sum([b.label or [] for b in batches], []),
                                       batches[0].pad, batches[0].index,
                                       provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        self._request()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

