"""``mx.kvstore`` (alias ``mx.kv``): MXNet 1.9.1's key-value store, for one process.

A key-value store keeps one array per key. ``push`` sends values (a list of values for one key is
summed, as MXNet sums the copies of a gradient held on several devices) and ``pull`` copies the
stored array out; after :meth:`KVStore.set_optimizer`, a push applies the optimizer's update to
the stored array instead of replacing it, so a pull gives the updated weight (MXNet's
"update on kvstore"). ``gluon.Trainer(..., kvstore=kv)`` drives it that way.

minigluon runs in one process: the single-process types ``'local'``, ``'device'``,
``'local_allreduce_cpu'``, ``'local_allreduce_device'`` and ``'nccl'`` all create the same
in-memory store (``rank`` 0, ``num_workers`` 1); they keep their names in :attr:`KVStore.type`.
The distributed types (``'dist_sync'``, ``'dist_async'``, ``'dist_device_sync'``,
``'dist_sync_device'``, ``'dist_async_device'``, ``'horovod'``, ``'byteps'``) raise
:class:`~minigluon.base.NotSupportedError`. Everything here is plain Python over NDArrays.

Differences from MXNet 1.9.1, on purpose:

* an unknown type name (``'foo'``) is a ``ValueError``; MXNet silently makes a local store
  called ``'foo'``. ``'nccl'`` needs a CUDA build of MXNet; here it is the local store.
* bad input is an error naming the argument: a ``push`` or ``pull`` of a key never initialised
  (``KeyError``), an array of another shape than the key's (``ValueError``: MXNet ignores a
  ``pull`` into a wrong shape), a value that is not an NDArray (``TypeError``), a second
  ``init`` of a key (``ValueError``). MXNet fails these with assertions or C++ check failures.
* int and str keys may be mixed in one store (MXNet refuses); an updater receives a str key as
  ``str`` (MXNet passes ``bytes``).
* ``set_gradient_compression`` raises :class:`~minigluon.base.NotSupportedError` for every
  type: MXNet refuses it on ``'local'`` and quantizes pushed values on ``'device'`` (2-bit
  compression with error feedback), which is not implemented.
* ``row_sparse_pull`` works on dense arrays (minigluon has no sparse storage): ``out`` gets the
  requested rows of the stored array and zeros elsewhere, the dense view of MXNet's row-sparse
  result.
* :meth:`KVStore.save_optimizer_states` writes the ``.params``-format file of
  ``Trainer.save_states`` (no pickle), atomically; see there.
* ``barrier()`` is offered next to MXNet 1.9.1's ``_barrier()``; with one process both return at
  once.
"""
import numbers
import os

import numpy as np

from minigluon import _states_file as states_file
from minigluon._fp_errors import (call_as_caller, fp_errors_ignored,
                                  fp_errors_ignored_calling_back)
from minigluon.base import NotSupportedError, ValueAssertionError

__all__ = ['create', 'KVStore', 'KVStoreBase']

LOCAL_TYPES = ('local', 'device', 'local_allreduce_cpu', 'local_allreduce_device', 'nccl')
DIST_TYPES = ('dist_sync', 'dist_async', 'dist_device_sync', 'dist_sync_device',
              'dist_async_device', 'dist', 'horovod', 'byteps')


def is_distributed(name):
    """Whether the kvstore type ``name`` (a str) needs several processes."""
    name = name.lower()
    return 'dist' in name or name in ('horovod', 'byteps')


class KVStoreBase:
    """The interface a key-value store offers to ``gluon.Trainer`` (``mx.kv.KVStoreBase``).

    Subclasses registered with :meth:`register` can be created by their lower-cased class name
    through :func:`create`. Every method here raises ``NotImplementedError``.
    """
    OPTIMIZER = 'optimizer'
    kv_registry = {}

    def broadcast(self, key, value, out, priority=0):
        raise NotImplementedError()

    def pushpull(self, key, value, out=None, priority=0):
        raise NotImplementedError()

    def set_optimizer(self, optimizer):
        raise NotImplementedError()

    def is_capable(self, capability):
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        raise NotImplementedError()

    @property
    def type(self):
        raise NotImplementedError()

    @property
    def rank(self):
        raise NotImplementedError()

    @property
    def num_workers(self):
        raise NotImplementedError()

    @staticmethod
    def register(klass):
        """Register ``klass`` (a KVStoreBase subclass) under its lower-cased name; returns it,
        so it can decorate the class. A second class of the same name replaces the first, with
        a warning."""
        import warnings
        if not isinstance(klass, type):
            raise TypeError('KVStoreBase.register takes a class, got %s' % type(klass).__name__)
        name = klass.__name__.lower()
        if name in KVStoreBase.kv_registry:
            old = KVStoreBase.kv_registry[name]
            warnings.warn('kvstore %s.%s replaces the registered %s.%s'
                          % (klass.__module__, klass.__name__, old.__module__, old.__name__))
        KVStoreBase.kv_registry[name] = klass
        return klass


def _check_capability(capability, supported):
    if not isinstance(capability, str):
        raise TypeError('capability must be a str, got %s' % type(capability).__name__)
    if capability.lower() != KVStoreBase.OPTIMIZER:
        raise ValueError('Unknown capability: %s (the one capability is %r)'
                         % (capability, KVStoreBase.OPTIMIZER))
    return supported


def _norm_key(key, what):
    if isinstance(key, str):
        return key
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return int(key)
    raise TypeError('%s: a key must be an int or a str, got %s %r' % (what, type(key).__name__, key))


def _arrays(value, key, what, arg):
    """The NDArrays given for one key: one array or a list/tuple of them."""
    from minigluon.ndarray import NDArray
    values = [value] if isinstance(value, NDArray) else value
    if not isinstance(values, (list, tuple)) or not values or \
            not all(isinstance(v, NDArray) for v in values):
        raise TypeError('%s: %s for key %r must be an NDArray or a non-empty list of NDArrays, got %r'
                        % (what, arg, key, value if not isinstance(value, (list, tuple)) else
                           [type(v).__name__ for v in value]))
    return list(values)


def _pairs(key, value, what, arg='value'):
    """``[(key, [NDArray, ...]), ...]`` from one key and its value(s) or lists of both."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(key) != len(value):
            raise ValueError('%s: %d keys were given but %s has %s entries; give one %s (an NDArray '
                             'or a list of them) per key'
                             % (what, len(key), arg, len(value) if isinstance(value, (list, tuple))
                                else 'no list of', arg))
        return [(_norm_key(k, what), _arrays(v, k, what, arg)) for k, v in zip(key, value)]
    return [(_norm_key(key, what), _arrays(value, key, what, arg))]


class KVStore(KVStoreBase):
    """An in-process key-value store (``mx.kv.KVStore``); make one with :func:`create`.

    Each key (an int or a str) holds one NDArray, a copy of the array given to :meth:`init` (or
    :meth:`broadcast`), on that array's context and with its shape and dtype. Values pushed or
    pulled must have that shape; they may have another dtype or context (they are cast and
    copied). ``priority`` arguments are accepted and ignored (operations run in call order).
    """

    def __init__(self, name='local'):
        self._type = name
        self._store = {}
        self._updater = None

    def __repr__(self):
        return '<KVStore %s: %d keys>' % (self._type, len(self._store))

    @property
    def type(self):
        """The type name given to :func:`create`, lower-cased (``'local'``, ``'device'``...)."""
        return self._type

    @property
    def rank(self):
        """This worker's rank: always 0 (one process)."""
        return 0

    @property
    def num_workers(self):
        """The number of workers: always 1 (one process)."""
        return 1

    def is_capable(self, capability):
        """Whether the store can run an optimizer (``capability='optimizer'``, any case): True.
        Any other capability is a ``ValueError``, as in MXNet."""
        return _check_capability(capability, True)

    # -- storing ---------------------------------------------------------------------------------
    def _stored(self, key, what):
        try:
            return self._store[key]
        except KeyError:
            raise KeyError('%s: key %r has not been initialised; call init(%r, value) (or broadcast) '
                           'first. Initialised keys: %s'
                           % (what, key, key, sorted(self._store, key=str)[:10] or 'none')) from None

    def _check_shape(self, key, arr, what, arg):
        stored = self._store[key]
        if tuple(arr.shape) != tuple(stored.shape):
            raise ValueError('%s: %s for key %r has shape %s, but the key holds an array of shape %s'
                             % (what, arg, key, tuple(arr.shape), tuple(stored.shape)))

    def init(self, key, value):
        """Initialise ``key`` (int or str, or a list of keys) with a copy of ``value`` (an NDArray,
        or a list with one NDArray per key).

        Raises
        ------
        ValueError
            When a key is already initialised (MXNet: "duplicate init"), or a key is given more
            than one array.
        """
        pairs = _pairs(key, value, 'KVStore.init')
        seen = set()
        for k, values in pairs:
            if len(values) != 1:
                raise ValueError('KVStore.init: key %r was given %d arrays; a key is initialised '
                                 'with one array' % (k, len(values)))
            if k in self._store or k in seen:
                raise ValueError('KVStore.init: key %r is already initialised (by init or broadcast); '
                                 'a key is initialised once' % (k,))
            seen.add(k)
        for k, values in pairs:
            self._store[k] = values[0].copyto(values[0].context)

    @fp_errors_ignored_calling_back     # a float16 overflow: inf silently, as MXNet's C++
    def push(self, key, value, priority=0):
        """Push ``value`` to ``key`` (int or str, or a list of keys with one value per key).

        A value is an NDArray or a list of NDArrays of the key's shape; a list is summed in its
        order (on the stored array's context, in its dtype). Without an optimizer the stored
        array becomes that sum; after :meth:`set_optimizer` the optimizer's updater is called
        as ``updater(key, sum, stored)`` and changes the stored array in place.
        Everything is checked before any key changes.
        """
        pairs = _pairs(key, value, 'KVStore.push')
        for k, values in pairs:
            self._stored(k, 'KVStore.push')
            for v in values:
                self._check_shape(k, v, 'KVStore.push', 'value')
        for k, values in pairs:
            stored = self._store[k]
            total = self._sum(values, stored)
            if self._updater is None:
                stored._data[...] = total._data
            else:       # (a user's updater: the caller's settings, see _fp_errors)
                call_as_caller(self._updater, k, total, stored)

    @staticmethod
    def _sum(values, stored):
        from minigluon.ndarray import NDArray
        first = values[0].as_in_context(stored.context)._data
        xp_total = first.astype(stored.dtype, copy=True)
        for v in values[1:]:
            xp_total += v.as_in_context(stored.context)._data
        return NDArray(xp_total, ctx=stored.context)

    @fp_errors_ignored      # a float16 overflow in the cast or sum: inf silently, as MXNet's C++
    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the array of ``key`` into ``out`` (an NDArray or a list of them per key; with a
        list of keys, one entry per key). Each output keeps its context and dtype (the value is
        cast). ``ignore_sparse`` is accepted for compatibility (all arrays are dense here).

        Raises
        ------
        ValueError
            When ``out`` is not given, or an output's shape differs from the key's.
        KeyError
            When a key was never initialised.
        """
        if out is None:
            raise ValueError('KVStore.pull: out is required (the NDArray, or list of NDArrays, '
                             'to copy the value of key %r into)' % (key,))
        pairs = _pairs(key, out, 'KVStore.pull', 'out')
        for k, outs in pairs:
            self._stored(k, 'KVStore.pull')
            for o in outs:
                self._check_shape(k, o, 'KVStore.pull', 'out')
        for k, outs in pairs:
            self._copy_out(self._store[k], outs)

    @staticmethod
    def _copy_out(stored, outs):
        for o in outs:
            o._data[...] = stored.as_in_context(o.context)._data

    def pushpull(self, key, value, out=None, priority=0):
        """:meth:`push` then :meth:`pull`: the new value of ``key`` goes to ``out``, or, when
        ``out`` is None, back into the pushed arrays ``value`` (an all-reduce)."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key, value, out, priority=0):
        """:meth:`init` ``key`` with ``value`` and :meth:`pull` it into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull only the rows ``row_ids`` of ``key``: each output gets those rows of the stored
        array and zeros in the others (the dense view of MXNet's row-sparse result; minigluon's
        arrays are all dense). ``row_ids`` is an NDArray of row indices (repeats allowed) or a
        list with one per output; a single one with a list of outputs serves them all.

        Raises
        ------
        ValueError
            When ``out`` or ``row_ids`` is missing, their counts differ, or a row index is outside
            ``[0, rows)``.
        """
        from minigluon.ndarray import NDArray
        if out is None or row_ids is None:
            raise ValueError('KVStore.row_sparse_pull: out and row_ids are both required')
        if isinstance(row_ids, NDArray):
            row_ids = [row_ids]
        if not isinstance(row_ids, (list, tuple)) or not all(isinstance(r, NDArray) for r in row_ids):
            raise TypeError('KVStore.row_sparse_pull: row_ids must be an NDArray or a list of NDArrays')
        pairs = _pairs(key, out, 'KVStore.row_sparse_pull', 'out')
        outs = [(k, o) for k, os_ in pairs for o in os_]
        if len(row_ids) == 1:
            row_ids = list(row_ids) * len(outs)
        if len(row_ids) != len(outs):
            raise ValueError('KVStore.row_sparse_pull: %d row_ids for %d outputs; give one per '
                             'output, or one for all' % (len(row_ids), len(outs)))
        plans = []
        for (k, o), rows in zip(outs, row_ids):
            stored = self._stored(k, 'KVStore.row_sparse_pull')
            self._check_shape(k, o, 'KVStore.row_sparse_pull', 'out')
            idx = np.asarray(rows.asnumpy()).reshape(-1)
            if idx.size and (idx.min() < 0 or idx.max() >= stored.shape[0] or
                             np.any(idx != np.floor(idx))):
                raise ValueError('KVStore.row_sparse_pull: row_ids for key %r must be whole numbers '
                                 'in [0, %d), got %s' % (k, stored.shape[0], idx.tolist()[:10]))
            plans.append((stored, o, np.unique(idx.astype(np.int64))))
        for stored, o, idx in plans:
            values = stored.as_in_context(o.context)._data
            o._data[...] = 0
            o._data[idx] = values[idx]

    # -- optimizer -------------------------------------------------------------------------------
    def set_optimizer(self, optimizer):
        """Update on the store from now on: a push calls ``optimizer``'s updater (an
        :class:`~minigluon.optimizer.Updater`, with its own states) on the stored array."""
        from minigluon import optimizer as opt
        if not isinstance(optimizer, opt.Optimizer):
            raise TypeError('KVStore.set_optimizer: optimizer must be an Optimizer, got %s'
                            % type(optimizer).__name__)
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """Use ``updater(key, pushed_sum, stored)`` for pushes (a callable; None to stop)."""
        if updater is not None and not callable(updater):
            raise TypeError('KVStore._set_updater: updater must be callable, got %s'
                            % type(updater).__name__)
        self._updater = updater

    def _optimizer_updater(self, what):
        from minigluon import optimizer as opt
        if not isinstance(self._updater, opt.Updater):
            raise ValueAssertionError(
                '%s needs the optimizer states of this store, but %s; call set_optimizer first'
                % (what, 'it has no optimizer' if self._updater is None
                   else 'its updater is a custom function'))
        return self._updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer states of every key to ``fname``, atomically, in the format of
        ``Trainer.save_states`` (an MXNet ``.params`` file of the state arrays and a JSON header;
        str keys are listed in the header under ``key_names``). With ``dump_optimizer`` the
        header also keeps the optimizer's counters, learning rate and scheduler, which
        :meth:`load_optimizer_states` restores; without, only the states are restored.

        MXNet 1.9.1 writes a pickle instead, which minigluon neither writes nor reads here
        (``Trainer.load_states`` reads MXNet's pickle).
        """
        updater = self._optimizer_updater('save_optimizer_states')
        states_file.write_states(fname, updater.optimizer, updater.states, dump_optimizer)

    def load_optimizer_states(self, fname):
        """Load a file written by :meth:`save_optimizer_states` or ``Trainer.save_states`` into
        this store's updater. The file is checked completely first (the optimizer's class, every
        key initialised here, every state of the key's shape); on error nothing changes.

        Raises
        ------
        MXNetFormatError
            When the file is not in that format (an MXNet pickle included).
        ValueError
            When it was saved by another optimizer, or for keys or shapes this store lacks.
        """
        updater = self._optimizer_updater('load_optimizer_states')
        meta, loaded = states_file.read_states(fname)
        o = updater.optimizer
        states_file.check_optimizer_name(meta, o, fname)
        keys = states_file.state_keys(meta)
        states = {}
        for index, spec in meta['structure'].items():
            key = keys[index]
            if key not in self._store:
                raise ValueError('%s holds optimizer states for key %r, which this KVStore has not '
                                 'initialised' % (fname, key))
            stored = self._store[key]
            state = states_file._unflatten_state(spec, loaded, stored.context, fname)
            own = states_file._state_shapes(o, key, stored.shape, stored.dtype)
            for arr in states_file._state_leaves(state):
                if tuple(arr.shape) != tuple(stored.shape) and tuple(arr.shape) not in own:
                    raise ValueError('%s holds an optimizer state of shape %s for key %r, which holds '
                                     'shape %s' % (fname, tuple(arr.shape), key, tuple(stored.shape)))
            states[key] = state
        own = states_file.read_optimizer_arrays(meta, loaded, None, o, fname, keys)
        for key, value in own.items():
            if key not in self._store:
                raise ValueError('%s holds an array of the optimizer for key %r, which this KVStore '
                                 'has not initialised' % (fname, key))
            if tuple(value.shape) != tuple(self._store[key].shape):
                raise ValueError('%s holds an array of the optimizer of shape %s for key %r, which '
                                 'holds shape %s' % (fname, tuple(value.shape), key,
                                                     tuple(self._store[key].shape)))
        device_ids = sorted({s.context.device_id for s in self._store.values()}) or [0]
        if meta.get('dump_optimizer', True):
            states_file.apply_optimizer_meta(o, meta, device_ids, keys, own)
        updater.states = states
        updater.states_synced = {k: True for k in states}

    def _barrier(self):
        """Wait for every worker: returns at once (one process)."""

    barrier = _barrier

    def _send_command_to_servers(self, head, body):
        raise NotSupportedError('KVStore._send_command_to_servers: minigluon has no kvstore servers '
                                '(distributed training is not supported)')

    def set_gradient_compression(self, compression_params):
        """Not supported: raises :class:`~minigluon.base.NotSupportedError`. MXNet 1.9.1 refuses
        it on the ``'local'`` types and compresses pushes on ``'device'`` types (2-bit
        quantization with error feedback), which minigluon does not implement."""
        raise NotSupportedError(
            'KVStore.set_gradient_compression (%r) is not supported by minigluon: MXNet 1.9.1 '
            'refuses it on local stores and quantizes pushed gradients on device stores, which is '
            'not implemented here; train without compression_params' % (compression_params,))


@KVStoreBase.register
class TestStore(KVStoreBase):
    """A store without storage (``mx.kv.create('teststore')``): ``pushpull`` sums a list of
    arrays and writes the sum to ``out`` (or back to the list), ``broadcast`` copies ``value`` to
    ``out``. It cannot run an optimizer, so a Trainer using it updates on its own."""

    @fp_errors_ignored      # a float16 overflow in the cast or sum: inf silently, as MXNet's C++
    def broadcast(self, key, value, out, priority=0):
        for o in (out if isinstance(out, (list, tuple)) else [out]):
            o._data[...] = value.as_in_context(o.context)._data

    @fp_errors_ignored      # a float16 overflow in the cast or sum: inf silently, as MXNet's C++
    def pushpull(self, key, value, out=None, priority=0):
        values = value if isinstance(value, (list, tuple)) else [value]
        total = values[0].copyto(values[0].context)
        for v in values[1:]:
            total._data += v.as_in_context(total.context)._data
        targets = values if out is None else (out if isinstance(out, (list, tuple)) else [out])
        for o in targets:
            o._data[...] = total.as_in_context(o.context)._data

    @staticmethod
    def is_capable(capability):
        return _check_capability(capability, False)

    @property
    def type(self):
        return 'teststore'

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1


def create(name='local'):
    """Create a key-value store (``mx.kv.create``).

    Parameters
    ----------
    name : str, default 'local'
        ``'local'``, ``'device'``, ``'local_allreduce_cpu'``, ``'local_allreduce_device'`` or
        ``'nccl'`` (any case): one in-process :class:`KVStore`, whichever is named (minigluon
        runs one process; the name is kept in ``type``), or the lower-cased name of a class
        registered with :meth:`KVStoreBase.register` (``'teststore'``).

    Raises
    ------
    TypeError
        When ``name`` is not a str.
    NotSupportedError
        For a distributed type (``'dist_sync'``, ``'dist_async'``, ``'dist_device_sync'``,
        ``'horovod'``, ``'byteps'``...): minigluon has no multi-process training.
    ValueError
        For any other name.
    """
    if not isinstance(name, str):
        raise TypeError('kvstore name must be a str, got %s %r' % (type(name).__name__, name))
    key = name.lower()
    if key in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[key]()
    if key in LOCAL_TYPES:
        return KVStore(key)
    if is_distributed(key):
        raise NotSupportedError(
            'kvstore %r is distributed (several worker processes), which minigluon does not '
            'support; use one of %s, or kvstore=None in gluon.Trainer' % (name, ', '.join(LOCAL_TYPES)))
    raise ValueError('unknown kvstore type %r; the single-process types are %s (distributed types '
                     'are not supported)' % (name, ', '.join(LOCAL_TYPES)))


def _update_on_kvstore_default():
    """MXNET_UPDATE_ON_KVSTORE (default 1), which MXNet reads when a Trainer starts its kvstore."""
    return bool(int(os.getenv('MXNET_UPDATE_ON_KVSTORE', '1')))
