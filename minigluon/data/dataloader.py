"""``DataLoader``: batches from a Dataset, in order, optionally loaded by a pool of worker threads.

Semantics follow ``mxnet.gluon.data.DataLoader`` (MXNet 1.9.1): ``batch_size``/``shuffle``/
``sampler``/``last_batch`` build a :class:`BatchSampler` unless ``batch_sampler`` is given;
``batchify_fn`` merges a list of samples into a batch. With ``num_workers > 0`` batches are built
by worker processes (the default, ``thread_pool=False``) or by a pool of threads
(``thread_pool=True``), and still come out in sampler order.

Process workers are forked where the platform allows it (the dataset is inherited, not copied), and
spawned elsewhere (the dataset and ``batchify_fn`` must then be picklable). A worker sends each batch
back as NumPy arrays, turned into NDArrays on ``cpu(0)`` in the calling process; MXNet's workers
write into shared memory instead, which NumPy does not need for batches of this size.
"""
import copy
import inspect
import itertools
import multiprocessing
import traceback
from collections import deque
from multiprocessing.pool import ThreadPool
from multiprocessing import reduction as _reduction

import numpy as np

from minigluon import backend
from minigluon.base import MXNetTypeError, TypeAssertionError, ValueAssertionError, describe_value
from minigluon.context import Context
from minigluon.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from minigluon.ndarray import NDArray, array

__all__ = ['DataLoader', 'default_batchify_fn', 'default_mp_batchify_fn']


# MXNet 1.9.1's dataloader module exports the pickler its workers use; GluonNLP 0.10 imports it.
ForkingPickler = _reduction.ForkingPickler


class _MultiWorkerIter:
    """Stand-in for MXNet 1.9.1's private ``gluon.data.dataloader._MultiWorkerIter``.

    Libraries written against MXNet import that class at module level to subclass it (GluonCV
    0.10.5's ``gluoncv.data.dataloader``), so the name exists here and such imports succeed.
    minigluon's :class:`DataLoader` schedules its workers differently and has no such iterator:
    building one raises NotImplementedError (use :class:`DataLoader` with ``num_workers``).
    """

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "_MultiWorkerIter: MXNet's private multi-worker iterator is not part of minigluon; "
            "iterate a gluon.data.DataLoader(dataset, batch_size, num_workers=N) instead")


def _identity(batch):
    return batch


def _as_in_context(data, ctx):
    """``data`` with every NDArray moved to ``ctx``: an NDArray is copied by ``as_in_context``, a
    list or tuple becomes a list of its converted items, anything else is returned as is (MXNet
    1.9.1's private helper of the same name; GluonNLP 0.10 imports it)."""
    if isinstance(data, NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data


def _shape_of(sample):
    """``'shape (2, 3)'`` for a sample NumPy can make one array of; for a list whose items do
    not stack (an array beside a number: a dataset that returns ``[image, label]``, a list where
    a tuple would batch field by field), what its items are."""
    try:
        return 'shape %s' % (tuple(np.shape(sample)),)
    except ValueError:
        items = ', '.join(_shape_of(item) for item in sample)
        return 'a %s of items that do not stack (%s; return a tuple to batch them field by field)' \
            % (type(sample).__name__, items)


def default_batchify_fn(data):
    """Stack a list of samples into a batch.

    NDArrays are stacked along a new axis 0 (on the context of the first); tuples are batched
    element-wise (so ``(image, label)`` samples give ``[images, labels]``; a list or a NumPy
    array among tuple samples gives one field per item or row, as in MXNet); anything else goes
    through ``numpy.asarray`` and becomes an NDArray of that dtype.

    Raises
    ------
    TypeError
        For samples that are not numbers, arrays or tuples of them (dicts, strings, objects): pass
        a ``batchify_fn`` that knows how to batch them. (MXNet 1.9.1 fails there with a bare
        ``KeyError`` from its dtype table, e.g. ``KeyError: <class 'numpy.str_'>``.) Also when
        the first sample is a tuple and another is not a tuple or list.
    TypeAssertionError
        When the first sample is an NDArray and another is not (a NumPy array, a number): a
        ``TypeError`` naming the sample, and the ``AssertionError`` MXNet 1.9.1 raises.
    MXNetTypeError
        For NDArray samples of different dtypes (MXNet 1.9.1's stack refuses them with an
        ``MXNetError``, "Incompatible attr"; NumPy would have promoted them, int32 and float32
        to float64, silently).
    ValueError
        For array samples of different shapes (pad them, or pass a ``batchify_fn``), and for
        tuple samples with different numbers of fields (MXNet 1.9.1 zips them, silently dropping
        the fields the shortest sample lacks from the whole batch).
    """
    first = data[0]
    shapes = [tuple(d.shape) for d in data if isinstance(d, (NDArray, np.ndarray))]
    if len(set(shapes)) > 1:
        raise ValueError('DataLoader: the default batchify_fn stacks samples of one shape; got shapes '
                         '%s in one batch. Pad them to one shape or pass batchify_fn=.'
                         % ', '.join(str(s) for s in sorted(set(shapes))))
    if isinstance(first, NDArray):
        for i, d in enumerate(data):
            if not isinstance(d, NDArray):
                raise TypeAssertionError(
                    'DataLoader: the default batchify_fn stacks NDArray samples only with NDArrays; '
                    'sample 0 of the batch is an NDArray and sample %d is %s. Return one kind '
                    'from the dataset or pass batchify_fn=.' % (i, describe_value(d)))
            if d.dtype != first.dtype:
                raise MXNetTypeError(
                    'DataLoader: the default batchify_fn stacks NDArray samples of one dtype; '
                    'sample 0 of the batch is %s and sample %d is %s. Cast them in the dataset '
                    '(x.astype(...)) or pass batchify_fn=.'
                    % (np.dtype(first.dtype).name, i, np.dtype(d.dtype).name))
        xp = backend.get_array_module(first._data)
        return NDArray(xp.stack([d.as_in_context(first.context)._data for d in data]), first.context)
    if isinstance(first, tuple):
        for i, d in enumerate(data):
            # a NumPy array beside tuples gives one field per row, as MXNet 1.9.1 zips it
            if not isinstance(d, (tuple, list)) and not (isinstance(d, np.ndarray) and d.ndim):
                raise TypeError('DataLoader: the default batchify_fn batches tuple samples field by '
                                'field; sample 0 of the batch is a tuple and sample %d is %s.'
                                % (i, describe_value(d)))
            if len(d) != len(first):
                raise ValueError('DataLoader: the default batchify_fn batches tuple samples field by '
                                 'field; sample 0 of the batch has %d fields and sample %d has %d. '
                                 'Give every sample the same fields or pass batchify_fn=.'
                                 % (len(first), i, len(d)))
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    try:
        arr = np.asarray(data)
    except ValueError:      # ragged: arrays beside numbers, or nested lists of other lengths
        kinds = sorted({_shape_of(d) for d in data})
        raise ValueError('DataLoader: the default batchify_fn stacks samples of one shape; got %s '
                         'in one batch. Pad them to one shape or pass batchify_fn=.'
                         % ', '.join(kinds)) from None
    if arr.dtype.kind not in 'biuf':
        raise TypeError('DataLoader: the default batchify_fn batches numbers, arrays and tuples of them; '
                        'got samples of type %s (dtype %s). Pass batchify_fn= to batch them yourself.'
                        % (type(first).__name__, arr.dtype))
    return array(arr, dtype=arr.dtype)


def default_mp_batchify_fn(data):
    """:func:`default_batchify_fn` with every batch array placed on ``cpu_shared(0)``.

    MXNet 1.9.1's worker processes batch with this function into shared memory, and its
    multi-worker ``DataLoader`` yields those ``cpu_shared(0)`` arrays. minigluon's workers send
    NumPy arrays back instead and its ``DataLoader`` keeps using :func:`default_batchify_fn`;
    this function is here for code that calls it or passes it as ``batchify_fn``. The data is
    the same host memory either way (``cpu_shared`` computes as ``cpu``).

    Parameters
    ----------
    data : list
        The samples of one batch: NDArrays, NumPy arrays, numbers, or tuples of them.

    Returns
    -------
    NDArray or list of NDArray
        As :func:`default_batchify_fn` (same shapes and dtypes), on ``cpu_shared(0)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`default_batchify_fn`.
    """
    shared = Context('cpu_shared', 0)

    def place(batch):           # tuples of samples batch into (nested) lists of arrays
        if isinstance(batch, list):
            return [place(b) for b in batch]
        return batch.as_in_context(shared)
    return place(default_batchify_fn(data))


# -- process workers: module-level so that a spawned worker can find them by name ---------------------
_worker_dataset = None
_worker_batchify = None


class _Shipped:
    """An NDArray on its way from a worker process: just the NumPy data (contexts stay behind)."""
    __slots__ = ('data',)

    def __init__(self, data):
        self.data = data


def _rebuilt(batch, items):
    """A list or tuple of ``batch``'s type holding ``items``: a named tuple takes its fields as
    arguments (``Point(x, y)``), other sequences one iterable."""
    if isinstance(batch, tuple) and hasattr(type(batch), '_fields'):
        return type(batch)(*items)
    return type(batch)(items)


def _walked(batch, fn):
    """``batch`` with ``fn`` applied to every item of its (nested) lists, tuples and dicts, each
    container rebuilt as its own type (named tuples, ``OrderedDict`` and other subclasses
    included)."""
    if isinstance(batch, (list, tuple)):
        return _rebuilt(batch, [fn(b) for b in batch])
    if isinstance(batch, dict):
        out = copy.copy(batch)
        for k, v in batch.items():
            out[k] = fn(v)
        return out
    return batch


def _ship(batch):
    if isinstance(batch, NDArray):
        return _Shipped(batch.asnumpy())
    return _walked(batch, _ship)


def _unship(batch):
    if isinstance(batch, _Shipped):
        return array(batch.data, dtype=batch.data.dtype)
    return _walked(batch, _unship)


def _batch(dataset, batchify_fn, indices):
    """``batchify_fn([dataset[i] for i in indices])``; an exception raised there (in the calling
    thread or a worker) goes on as it is, with a note naming the index of the sample whose
    ``dataset[i]`` raised, or the batch's indices when ``batchify_fn`` raised."""
    samples = []
    for i in indices:
        try:
            samples.append(dataset[i])
        except Exception as e:
            e.add_note('(raised by %s[%r], loading a DataLoader batch)' % (type(dataset).__name__, i))
            raise
    try:
        return batchify_fn(samples)
    except Exception as e:
        shown = list(indices) if len(indices) <= 8 else list(indices[:8]) + ['...']
        e.add_note('(raised by the batchify_fn of a DataLoader, batching the samples at indices '
                   '%s)' % ', '.join(str(i) for i in shown))
        raise


def _worker_init(dataset, batchify_fn):
    global _worker_dataset, _worker_batchify
    _worker_dataset, _worker_batchify = dataset, batchify_fn


def _seed_worker(seed):
    """Seed the worker's NumPy, Python and minigluon global generators for one batch."""
    import random

    from minigluon import random as mg_random
    np.random.seed(seed)
    random.seed(seed)
    mg_random.seed(int(seed))


def _sendable(error):
    """``error`` if it survives the pickling that carries it from a worker process to the loop,
    else a RuntimeError that names it and holds its traceback as text. (An exception class whose
    ``__init__`` takes other arguments than it passes on cannot be rebuilt in the parent: the
    pool's result thread died there, and the loop waited ``timeout`` seconds and then failed
    with "Cannot have cache with result_hander not alive".) The test is the pool's own
    transport, ``ForkingPickler``, applied in the worker to the worker's own exception: no data
    from outside is unpickled (tests/reliability/test_no_code_execution.py)."""
    try:
        ForkingPickler.loads(ForkingPickler.dumps(error))
        return error
    except Exception as why:
        text = ''.join(traceback.format_exception(error)).rstrip()
        return RuntimeError('DataLoader worker process: %s: %s (the exception cannot be sent back '
                            'from the worker: %s: %s). Its traceback in the worker:\n%s'
                            % (type(error).__name__, error, type(why).__name__, why, text))


def _worker_load(indices, seed):
    _seed_worker(seed)
    try:
        return _ship(_batch(_worker_dataset, _worker_batchify, indices))
    except Exception as e:
        sent = _sendable(e)
        if sent is e:
            raise
        raise sent from None


def _process_pool(num_workers, dataset, batchify_fn):
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context('fork' if 'fork' in methods else 'spawn')
    return ctx.Pool(num_workers, initializer=_worker_init, initargs=(dataset, batchify_fn))


def _shut_down(pool, pending, timeout, stuck):
    """Stop an epoch's pool, after the last batch or when the loop was left early.

    ``Pool.terminate`` can deadlock in CPython 3.11 when it lands while the pool's task thread is
    still handing batches to the workers (its join then waits forever: measured here in about
    one in a hundred ``for batch in loader: break`` loops with two worker processes). So the few
    batches still in flight (at most ``prefetch``) are let finish, and the pool is closed and
    joined the ordinary way. It is terminated only when a worker is ``stuck`` (a batch did not
    arrive within ``timeout``, in the loop or here).
    """
    if not stuck:
        pool.close()
        for result in pending:
            result.wait(timeout)
            if not result.ready():
                stuck = True
                break
    if stuck:
        pool.terminate()
    pool.join()


# PyTorch's DataLoader arguments -> what Gluon's takes instead (MXNet 1.9.1's DataLoader has no
# **kwargs: these raise the same TypeError, with the hint)
_OTHER_FRAMEWORKS = {
    'drop_last': "use last_batch='discard' to drop the last incomplete batch ('keep', the default, "
                 "keeps it; 'rollover' carries its samples into the next epoch)",
    'collate_fn': "use batchify_fn, which gets the list of one batch's samples",
}


def _unknown_argument_error(unknown):
    """The TypeError for keyword arguments ``unknown`` (a dict) that DataLoader does not take."""
    name = next(iter(unknown))
    message = 'DataLoader.__init__() got an unexpected keyword argument %r' % name
    if name in _OTHER_FRAMEWORKS:
        message += ': ' + _OTHER_FRAMEWORKS[name]
    return TypeError(message)


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__getitem__`` and ``__len__``.
    batch_size : int, optional
        Required unless ``batch_sampler`` is given.
    shuffle : bool, default False
        Random order each epoch (exclusive with ``sampler``).
    sampler : Sampler, optional
        Order of sample indices: any iterable of ints with a ``__len__`` (a subclass of
        :class:`~minigluon.data.sampler.Sampler` defining ``__iter__`` and ``__len__``), wrapped
        in a ``BatchSampler`` of ``batch_size`` and ``last_batch``.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
    batch_sampler : iterable of lists of indices, optional
        Exclusive with ``batch_size``, ``shuffle``, ``sampler`` and ``last_batch``.
    batchify_fn : callable, optional
        ``batchify_fn(samples)`` gets the list of one batch's samples (each what
        ``dataset[i]`` returns) and returns the batch: NDArrays, or any structure of them
        (tuples, lists, dicts), which is what iterating yields. Defaults to
        :func:`default_batchify_fn` (stacks arrays and numbers, batch axis first; a tuple
        sample gives a list of stacked fields). With ``num_workers > 0`` it runs in the
        workers.
    num_workers : int, default 0
        Worker processes (or threads, see ``thread_pool``); 0 loads in the calling thread.
    pin_memory, pin_device_id
        Accepted for compatibility and ignored (batches stay on ``cpu(0)``: NumPy has no pinned
        memory, and mixing a ``cpu_pinned`` context into operators would need copies).
    prefetch : int, optional
        Batches requested ahead with workers (default ``2 * num_workers``).
    thread_pool : bool, default False
        With ``num_workers > 0``: threads instead of processes (cheaper to start, but Python code
        in ``__getitem__`` then shares one interpreter lock). Worker processes seed NumPy's,
        Python's and minigluon's global generators before each batch from the parent's NumPy
        generator state, read without drawing from it (so the parent's stream, and with it the
        next epoch's shuffle, stays MXNet's): random augmentations differ between batches and
        epochs, and repeat after ``np.random.seed`` (without a shuffle, an epoch that begins at
        the state the loader's previous one began at counts as a new epoch: a new loader repeats
        after the seed). Threads share the parent's generators.
    timeout : float, default 120
        Seconds to wait for one batch from a worker before raising ``multiprocessing.TimeoutError``;
        must be positive (checked also without workers, as MXNet 1.9.1 does).
    auto_reload : bool, default False
        Accepted for MXNet 1.9.1 compatibility (there it starts prefetching the next epoch as
        soon as one ends); here workers always start prefetching when iteration begins.

    Raises
    ------
    ValueError
        For contradictory or missing batching arguments, or a negative ``num_workers`` (MXNet
        1.9.1 takes it as 0).
    ValueAssertionError
        For a ``timeout`` that is not positive (a ``ValueError`` and the ``AssertionError``
        MXNet 1.9.1 raises).
    TypeError
        For a keyword argument not listed here, as in MXNet 1.9.1; PyTorch's ``drop_last`` and
        ``collate_fn`` name Gluon's ``last_batch`` and ``batchify_fn``.
    Exception
        While iterating, what ``dataset[i]`` or ``batchify_fn`` raised (in a worker too), as MXNet
        1.9.1 passes it on, with a note (``__notes__``) naming the sample's index, or the
        batch's indices. An exception a worker process cannot send back (one that cannot be
        rebuilt from its pickle) arrives as a RuntimeError naming it, with its traceback
        (MXNet 1.9.1 waits ``timeout`` and raises ``TimeoutError``).
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None, last_batch=None,
                 batch_sampler=None, batchify_fn=None, num_workers=0, pin_memory=False,
                 pin_device_id=0, prefetch=None, thread_pool=False, timeout=120,
                 auto_reload=False, **unknown):
        if unknown:
            raise _unknown_argument_error(unknown)
        if not timeout > 0:
            raise ValueAssertionError('DataLoader: timeout must be positive, given %r' % (timeout,))
        self._dataset = dataset
        self._auto_reload = bool(auto_reload)
        self._pin_memory = pin_memory
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError('batch_size must be specified unless batch_sampler is specified')
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle else SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError('shuffle must not be specified if sampler is specified')
            batch_sampler = BatchSampler(sampler, batch_size, last_batch if last_batch else 'keep')
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError('batch_size, shuffle, sampler and last_batch must not be specified if '
                             'batch_sampler is specified.')
        self._batch_sampler = batch_sampler
        if isinstance(num_workers, np.integer):
            num_workers = int(num_workers)      # as MXNet 1.9.1 takes it
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError('num_workers must be a non-negative int, got %r' % (num_workers,))
        self._num_workers = num_workers
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * num_workers)
        self._batchify_fn = batchify_fn or default_batchify_fn
        self._thread_pool = bool(thread_pool)
        self._timeout = timeout
        self._last_state, self._same_state_epochs = None, 0

    @staticmethod
    def _numpy_state():
        _, keys, pos = np.random.get_state()[:3]
        return np.asarray(keys, dtype=np.uint32), int(pos)

    def _epoch_seeds(self, before):
        """The SeedSequence whose children seed this epoch's batches in the worker processes.

        Forked workers would all inherit one RNG state (the same "random" augmentation in every
        worker and, the pool being new each epoch, in every epoch; MXNet 1.9.1 also repeats it
        across workers). The seeds come from the parent's NumPy state after the sampler's first
        step, read and not drawn from: a draw here would shift every later draw of the parent,
        the next epoch's shuffle first, away from MXNet's. When the sampler drew nothing
        (``before`` is the state before its first step) and the epoch begins at the state this
        loader's previous one began at, a count of such epochs tells the epochs apart.
        """
        keys, pos = self._numpy_state()
        state = (keys.tobytes(), pos)
        if state == (before[0].tobytes(), before[1]) and state == self._last_state:
            self._same_state_epochs += 1
        else:
            self._same_state_epochs = 0
        self._last_state = state
        return np.random.SeedSequence(keys.tolist() + [pos], spawn_key=(self._same_state_epochs,))

    def _load(self, indices):
        return _batch(self._dataset, self._batchify_fn, indices)

    def __iter__(self):
        if self._num_workers == 0:
            for indices in self._batch_sampler:
                yield self._load(indices)
            return
        # the sampler's first step (where a shuffling sampler draws its order) comes before the
        # workers' seed draw below, so the order is the same with or without worker processes
        before = self._numpy_state()
        batches = iter(self._batch_sampler)
        first = next(batches, None)
        if first is None:
            return
        if self._thread_pool:
            pool, load, receive = ThreadPool(self._num_workers), self._load, _identity
        else:
            pool = _process_pool(self._num_workers, self._dataset, self._batchify_fn)
            load, receive = _worker_load, _unship
            seeds = self._epoch_seeds(before)
        pending, stuck = deque(), False
        try:
            for indices in itertools.chain([first], batches):
                args = (list(indices),)
                if not self._thread_pool:
                    args += (int(seeds.spawn(1)[0].generate_state(1)[0]),)
                pending.append(pool.apply_async(load, args))
                if len(pending) > self._prefetch:
                    yield receive(pending.popleft().get(self._timeout))
            while pending:
                yield receive(pending.popleft().get(self._timeout))
        except multiprocessing.TimeoutError as err:
            stuck = True
            # (the pool's own TimeoutError says nothing; same class, with what to do)
            raise multiprocessing.TimeoutError(
                'DataLoader: no batch came from the %d workers within timeout=%g seconds (a '
                "worker is stuck or slower than that: pass a larger timeout=, or check the "
                "dataset's __getitem__)" % (self._num_workers, self._timeout)) from err
        finally:
            _shut_down(pool, pending, self._timeout, stuck)

    def __len__(self):
        return len(self._batch_sampler)



# help(), IDEs and inspect show MXNet 1.9.1's signature: **unknown is there only to name Gluon's
# arguments for PyTorch's (it takes no further keyword)
DataLoader.__init__.__signature__ = inspect.signature(DataLoader.__init__).replace(parameters=[
    p for p in inspect.signature(DataLoader.__init__).parameters.values()
    if p.kind is not inspect.Parameter.VAR_KEYWORD])
