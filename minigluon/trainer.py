"""``Trainer``: applies an optimizer to a set of Parameters (``mxnet.gluon.Trainer``, MXNet 1.9.1).

Differences from MXNet, on purpose: a kvstore given by name (``'device'``, ``'local'``...) is not
created: gradients are summed over contexts directly, with the same numbers. A
:class:`~minigluon.kvstore.KVStore` instance (``mx.kv.create('local')``) is used as MXNet uses it
(see :class:`Trainer`). With several contexts, :meth:`Trainer.allreduce_grads` sums the gradient
copies and writes the sum back to every copy, then each context's copy gets the same update (what
MXNet's ``'device'`` kvstore computes). :meth:`save_states` writes MXNet's ``.params`` binary format
(no pickle), atomically; see :meth:`save_states` for the layout. MXNet cannot read that file, but
:meth:`load_states` reads both it and the pickle MXNet 1.9.1's ``save_states`` writes, the latter
through a whitelisting unpickler that runs nothing from the file (:mod:`minigluon._mxnet_states`).
"""
import copy
import json
import struct
import warnings

import numpy as np

from minigluon import _mxnet_states
from minigluon import kvstore as kvs
from minigluon import optimizer as opt
from minigluon import serialization
from minigluon.base import MXNetFormatError, ValueAssertionError, read_file
from minigluon.ndarray import NDArray, array
from minigluon.parameter import Parameter

__all__ = ['Trainer']

_META_KEY = '__trainer_meta__'
_FORMAT = 'minigluon-trainer-states'


class Trainer:
    """Updates Parameters with an optimizer after ``backward``.

    Parameters
    ----------
    params : ParameterDict, dict of str to Parameter, or list of Parameter
        A dict is sorted by key (optimizer state indices follow the sorted names); a list keeps
        its order. A Parameter listed twice (shared) is updated once.
    optimizer : str or Optimizer
        A registered name (``'sgd'``, ``'adam'``...) or an instance.
    optimizer_params : dict, optional
        Keyword arguments of the optimizer (only with a name). The optimizer's ``rescale_grad``
        (from here or from an instance) is the scale that :meth:`step` divides by ``batch_size``.
    kvstore : str, KVStore or None, default 'device'
        A name (``'device'``, ``'local'``...): no store is created, gradients are summed over
        contexts directly (MXNet's numbers). Any value but None makes the first step copy each
        Parameter's first-context value to its other copies, as MXNet's kvstore initialisation
        does (see :meth:`_sync_copies`). A distributed name (``'dist_sync'``...) raises
        :class:`~minigluon.base.NotSupportedError`.
        A :class:`~minigluon.kvstore.KVStoreBase` instance (``mx.kv.create('local')``) is used
        as in MXNet 1.9.1: the first step broadcasts each Parameter to it (key = the Parameter's
        index) and to every copy; then each step either pushes the gradients and pulls the
        updated weights (``update_on_kvstore``: the store runs the optimizer, and
        :meth:`save_states` / :meth:`load_states` go through its optimizer states) or all-reduces
        the gradients through it and updates here. Both give the weights of the path without a
        store, bit for bit.
    update_on_kvstore : bool or None
        Only with a KVStore instance: whether the store runs the optimizer. None: when the store
        can (``is_capable('optimizer')``) and the ``MXNET_UPDATE_ON_KVSTORE`` environment
        variable is not 0, as MXNet. Without a KVStore instance it has no effect (MXNet 1.9.1
        fails with ``AttributeError`` for ``kvstore=None, update_on_kvstore=True``).
    compression_params : dict or None
        With a KVStore instance it is passed to ``set_gradient_compression`` (which raises
        ``NotSupportedError``); otherwise ignored, as MXNet ignores it without a store.

    Raises
    ------
    ValueError
        When ``params`` is not a list/dict of Parameters, or ``optimizer_params`` is given with an
        Optimizer instance.
    RuntimeError
        When a Parameter was never initialized.
    AssertionError
        When Parameters live on different sets of contexts (as MXNet).
    TypeError
        When ``kvstore`` is not a str, a KVStore or None (MXNet raises this at the first step).

    Notes
    -----
    With a KVStore and ``update_on_kvstore``, MXNet 1.9.1 pushes every gradient before checking
    for stale ones, so a step that raises has already updated the weights; with
    ``ignore_stale_grad=True`` it applies stale gradients again; it never clears the "fresh"
    marks, so a second step without ``backward`` applies the old gradients; and after
    ``set_data`` (or ``load_parameters``) it fails at the next step ("duplicate init").
    minigluon checks first (a step that raises changes nothing), skips stale Parameters, clears
    the marks, and gives the store each Parameter's current value before updating it.
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        if hasattr(params, 'keys') and hasattr(params, '__getitem__'):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError('First argument must be a list or dict of Parameters, got %s.' % type(params))
        self._params = []
        seen = set()
        for param in params:
            if not isinstance(param, Parameter):
                raise ValueError('First argument must be a list or dict of Parameters, got list of %s.'
                                 % type(param))
            if id(param) in seen:
                continue
            seen.add(id(param))
            self._params.append(param)
        optimizer_params = dict(optimizer_params) if optimizer_params else {}
        self._contexts = self._check_contexts()
        if kvstore is not None and not isinstance(kvstore, (str, kvs.KVStoreBase)):
            raise TypeError('kvstore must be a KVStore, a str or None, got %s'
                            % type(kvstore).__name__)
        if isinstance(kvstore, str) and kvs.is_distributed(kvstore):
            kvs.create(kvstore)                     # raises NotSupportedError
        self._kvstore_type = kvstore
        self._kvstore_params = {'kvstore': kvstore, 'update_on_kvstore': update_on_kvstore}
        self._compression_params = compression_params
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._params_to_init = []
        # Parameters whose copies the first step makes equal (see _sync_copies)
        self._params_to_sync = list(self._params) if len(self._contexts) > 1 else []
        self._reduced_fresh = set()      # see _allreduce_grads
        self._init_optimizer(optimizer, optimizer_params)
        # The optimizer's own rescale_grad (given by name or set on an instance) is the scale
        # that step() divides by batch_size, as in MXNet.
        self._scale = float(self._optimizer.rescale_grad)

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = list(param.list_ctx())
            if contexts is not None and contexts != ctx:
                raise AssertionError(
                    'All Parameters must be initialized on the same set of contexts, but Parameter %s '
                    'is initialized on %s while previous Parameters are initialized on %s.'
                    % (param.name, ctx, contexts))
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise ValueError('optimizer_params must be None if optimizer is an instance of '
                                 'Optimizer instead of str')
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    def __getstate__(self):
        """Everything (Parameters, optimizer and its states) but ``_reduced_fresh``: ids of this
        process's objects, which complement the fresh-gradient marks of the data arrays, and
        those do not survive pickling either (an NDArray pickles its values only). So a step
        after loading needs a new ``backward``, as in MXNet 1.9.1. The optimizer keeps its
        ``param_dict`` (so ``lr_mult``/``wd_mult`` still apply); MXNet 1.9.1's
        ``Optimizer.__getstate__`` leaves it out and nothing sets it again."""
        state = dict(self.__dict__)
        state['_reduced_fresh'] = set()
        return state

    # -- properties -----------------------------------------------------------------------------
    @property
    def optimizer(self):
        return self._optimizer

    @property
    def learning_rate(self):
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr):
        """Set the learning rate (UserWarning raised when an lr_scheduler owns it, as MXNet)."""
        self._optimizer.set_learning_rate(lr)

    # -- stepping -------------------------------------------------------------------------------
    def step(self, batch_size, ignore_stale_grad=False):
        """One optimization step: gradients are scaled by ``rescale_grad / batch_size``, summed over
        contexts, and applied.

        Raises
        ------
        UserWarning
            (raised, not warned, as in MXNet) when a Parameter's gradient was not refreshed by
            ``backward`` since the last step, unless ``ignore_stale_grad`` (then it is skipped).
            With several contexts a Parameter is skipped only when every copy is stale: once
            one copy is fresh the summed gradient is on all copies and all are updated alike,
            as MXNet's ``'device'`` kvstore does.
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each gradient over contexts and write the sum to every copy (for use with
        :meth:`update` when gradients are processed in between, e.g. clipped).

        Raises
        ------
        AssertionError
            (a ``ValueAssertionError``) when a KVStore updates the weights
            (``update_on_kvstore``), as in MXNet: create the Trainer with
            ``update_on_kvstore=False``.
        """
        self._prepare()
        self._refuse_on_kvstore('allreduce_grads')
        self._allreduce_grads()

    # -- kvstore --------------------------------------------------------------------------------
    def _init_kvstore(self):
        """Resolve the store and ``update_on_kvstore`` once (at the first step, as MXNet)."""
        if self._kv_initialized:
            return
        kv = self._kvstore_params['kvstore']
        if isinstance(kv, kvs.KVStoreBase):
            wanted = self._kvstore_params['update_on_kvstore']
            capable = kv.is_capable(kvs.KVStoreBase.OPTIMIZER)
            if wanted is None:
                update = kvs._update_on_kvstore_default() and capable
            elif wanted and not capable:
                raise ValueError('update_on_kvstore=True, but the kvstore %s cannot run an '
                                 'optimizer; create the Trainer with update_on_kvstore=False'
                                 % type(kv).__name__)
            else:
                update = bool(wanted)
            if self._compression_params:
                kv.set_gradient_compression(self._compression_params)
            if update:
                kv.set_optimizer(self._optimizer)
            self._kvstore = kv
            self._update_on_kvstore = update
            self._params_to_init = list(self._params)
            self._params_to_sync = []                # the broadcast makes the copies equal
        self._kv_initialized = True

    def _prepare(self):
        self._init_kvstore()
        if self._kvstore is None:
            self._sync_copies()
        else:
            self._init_params()

    def _init_params(self):
        if self._kvstore is None:
            return
        waiting = []
        for param in self._params_to_init:        # broadcast: store and copies from context 0
            if param._data is None:               # deferred: not initialised yet
                waiting.append(param)
                continue
            datas = param.list_data()
            self._kvstore.broadcast(self._index_of(param), datas[0], out=datas)
        self._params_to_init = waiting

    def _index_of(self, param):
        for i, p in enumerate(self._params):
            if p is param:
                return i
        raise KeyError(param.name)

    def _kvstore_context(self):
        return self._contexts[0] if self._contexts else None

    def _refuse_on_kvstore(self, what):
        if self._kvstore is not None and self._update_on_kvstore:
            raise ValueAssertionError(
                '%s() is not available when the kvstore updates the weights (update_on_kvstore); '
                'create the Trainer with update_on_kvstore=False' % what)

    def _sync_copies(self):
        """On the first step (or ``allreduce_grads`` / ``update``) with several contexts, copy
        every Parameter's value on the first context to its other copies, running statistics
        included: MXNet 1.9.1's ``'device'`` kvstore is initialised from the first context's
        arrays and pulled into all of them at that point, so copies that drifted apart before
        (a BatchNorm's statistics, updated per context in the forward pass; a copy set by hand)
        start the training equal. A Parameter still waiting for deferred initialisation is
        synced at the first step after it has data. Not done with ``kvstore=None``."""
        if not self._params_to_sync or self._kvstore_type is None:
            return
        waiting = []
        for param in self._params_to_sync:
            if param._data is None:           # deferred: not initialised yet
                waiting.append(param)
                continue
            copies = param.list_data()
            for other in copies[1:]:
                other._data[...] = copies[0].as_in_context(other.context)._data
        self._params_to_sync = waiting

    def _allreduce_grads(self):
        # ids of the Parameters whose summed gradient (now on every copy) includes a fresh one:
        # with ignore_stale_grad every copy of those is updated, so the replicas stay equal
        self._reduced_fresh = set()
        if self._kvstore is not None:
            if self._update_on_kvstore:
                return                                # pushed in _update, after the stale check
            for i, param in enumerate(self._params):
                if param.grad_req == 'null':
                    continue
                if any(data._fresh_grad for data in param.list_data()):
                    self._reduced_fresh.add(id(param))
                self._kvstore.pushpull(i, param.list_grad(), priority=-i)
            return
        if len(self._contexts) < 2:
            return
        for param in self._params:
            if param.grad_req == 'null':
                continue
            if any(data._fresh_grad for data in param.list_data()):
                self._reduced_fresh.add(id(param))
            grads = param.list_grad()
            total = grads[0].copyto(grads[0].context)
            for g in grads[1:]:
                total._data += g.as_in_context(total.context)._data
            for g in grads:
                g._data[...] = total.as_in_context(g.context)._data

    def update(self, batch_size, ignore_stale_grad=False):
        """Apply the optimizer to (already all-reduced) gradients; see :meth:`step`."""
        self._prepare()
        self._refuse_on_kvstore('update')
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad=False):
        # every gradient is checked before any weight changes: a step that raises changes nothing
        # (MXNet 1.9.1 checks as it goes, so the parameters before the stale one lose their
        # "fresh" marks, and a retry with ignore_stale_grad=True skips their updates)
        for param in self._params:
            if param.grad_req == 'null' or ignore_stale_grad:
                continue
            for data in param.list_data():
                if not data._fresh_grad:
                    raise UserWarning(
                        'Gradient of Parameter `%s` on context %s has not been updated by backward '
                        'since last `step`. This could mean a bug in your model that made it only '
                        'use a subset of the Parameters (Blocks) for this iteration. If you are '
                        'intentionally only using a subset, call step with ignore_stale_grad=True '
                        'to suppress this warning and skip updating of Parameters with stale gradient'
                        % (param.name, data.context))
        if self._kvstore is not None and self._update_on_kvstore:
            self._update_on_store(ignore_stale_grad)
            return
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            reduced_fresh = id(param) in self._reduced_fresh
            for updater, data, grad in zip(self._updaters, param.list_data(), param.list_grad()):
                if not ignore_stale_grad or data._fresh_grad or reduced_fresh:
                    updater(i, grad, data)
                    data._fresh_grad = False
        self._reduced_fresh = set()

    def _update_on_store(self, ignore_stale_grad):
        """Push each gradient (summed over contexts) to the store, whose optimizer updates its
        weight, and pull that weight into every copy. The store first takes the Parameter's
        current value, so a ``set_data`` between steps is honoured."""
        kv = self._kvstore
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            datas = param.list_data()
            if ignore_stale_grad and not any(data._fresh_grad for data in datas):
                continue
            stored = kv._store.get(i) if isinstance(kv, kvs.KVStore) else None
            if stored is not None:
                stored._data[...] = datas[0].as_in_context(stored.context)._data
            kv.pushpull(i, param.list_grad(), out=datas, priority=-i)
            for data in datas:
                data._fresh_grad = False

    # -- states ---------------------------------------------------------------------------------
    def save_states(self, fname):
        """Save the optimizer states (of the first context) and counters to ``fname``, atomically.

        The file is an MXNet ``.params`` file (``nd.load`` reads it): state arrays are named
        ``state:<index>`` or ``state:<index>:<i>:<j>`` for nested tuples, and ``__trainer_meta__``
        holds UTF-8 JSON (as uint8) with the optimizer name, ``num_update``, the per-index update
        counts, the base learning rate, the structure of each state, the optimizer's
        :meth:`~minigluon.optimizer.Optimizer.scalar_state` (Nadam's ``m_schedule``) and the
        ``lr_scheduler``'s class name and plain attributes (``base_lr``, ``count``...): MXNet
        pickles the whole optimizer instead. ``param_dict`` (lr/wd multipliers) is not saved, as in MXNet.

        MXNet 1.9.1 cannot read this file: its ``load_states`` unpickles whatever it is given
        (``Updater.set_states``), and minigluon writes no pickle, because unpickling a file can run
        any code. minigluon's :meth:`load_states` reads both this format and MXNet's pickle.
        """
        self._init_kvstore()
        self._init_params()
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        states = self._updaters[0].states if self._updaters else {}
        write_states(fname, self._optimizer, states)

    def load_states(self, fname):
        """Load optimizer states into every context's updater, from a file written by
        :meth:`save_states` or by MXNet 1.9.1's ``Trainer.save_states``.

        The file is read and checked completely before anything changes: on any error the
        optimizer and its states are left as they were.

        *minigluon's own format* (see :meth:`save_states`): the states, ``num_update``, the
        per-index update counts, the base learning rate (without a scheduler) and Nadam's or
        LARS's optimizer-wide numbers are restored; the other hyper-parameters stay as this
        Trainer was created with. When this Trainer's ``lr_scheduler`` is of the class saved, it
        takes the saved state, so the schedule continues where it was saved; a scheduler of
        another class is kept as given.

        *MXNet's format*: MXNet 1.9.1 writes ``Updater.get_states(dump_optimizer=True)``, a Python
        pickle of ``(states, optimizer)``, and its ``load_states`` replaces the Trainer's
        optimizer with the pickled one, keeping only the Trainer's ``param_dict``. minigluon
        reads that pickle with a whitelisting unpickler that imports and runs nothing the file
        names (see :mod:`minigluon._mxnet_states`) and then, to continue with MXNet's numbers,
        restores the states and sets on its optimizer every hyper-parameter the file holds under
        one of its own attribute names (``lr``, ``wd``, ``clip_gradient``, ``multi_precision``,
        ``momentum``, ``beta1``, ``centered``, ``m_schedule``...), ``num_update``, the update
        counts, and the pickled ``lr_scheduler`` (continued in place when this Trainer's is of
        the same class, otherwise it replaces this Trainer's, as in MXNet; a file whose optimizer
        had no scheduler leaves this Trainer without one).
        With ``multi_precision``, MXNet orders the state of a float16 weight ``(momentum or
        None, float32 master)`` for SGD and NAG, minigluon ``(master, momentum or None)``: the
        two are swapped on loading (:func:`minigluon._mxnet_states.to_own_layout` lists every
        optimizer's layout). Each hyper-parameter is checked before anything changes (numbers
        finite, booleans booleans, None only where MXNet has None).
        Unlike MXNet, the optimizer's class is not switched: a file saved by another optimizer
        raises ``ValueError``. A file of states alone (``dump_optimizer=False``) restores the
        states only, as MXNet does.

        Raises
        ------
        MXNetFormatError
            When the file is neither format, or is not a valid file of its format (also a
            ``ValueError``); the message names the file and what was expected. An MXNet pickle
            that refers to anything but MXNet's NDArray, optimizer and scheduler classes
            (``os.system``, ``eval``...) is refused before anything in it is called.
        ValueError
            When it was written for a different optimizer, or for other parameters (a state index
            beyond this Trainer's parameters, or a state shaped unlike its parameter; for an MXNet
            file, a state whose nesting, shapes or dtypes differ from those the optimizer, with
            the file's hyper-parameters, makes for that parameter). MXNet 1.9.1 loads such states
            and fails, or broadcasts silently, at the next ``step``.
        OSError
            When the file cannot be read (``FileNotFoundError`` and the like, also
            ``MXNetError``: :func:`minigluon.base.read_file`).
        TypeError
            When ``fname`` is not a str or path.
        """
        self._init_kvstore()
        self._init_params()
        fname = serialization._check_fname(fname, 'load_states')
        buf = read_file(fname)
        if _mxnet_states.looks_like_pickle(buf):
            self._load_mxnet_states(buf, fname)
            return
        meta, loaded = _parse_states(buf, fname)
        check_optimizer_name(meta, self._optimizer, fname)
        if 'key_names' in meta:
            raise ValueError('%s holds the optimizer states of a KVStore with str keys %s, not of a '
                             'Trainer (whose states are indexed 0, 1, ...); load it with '
                             'KVStore.load_optimizer_states' % (fname, list(meta['key_names'].values())[:5]))
        targets = self._state_targets()
        new_states = [{int(k): _unflatten_state(spec, loaded, ctx, fname)
                       for k, spec in meta['structure'].items()} for _, ctx in targets]
        _check_states_fit(self._params, meta['structure'], new_states[0] if new_states else {}, fname)
        if meta.get('dump_optimizer', True):          # everything is checked: apply
            apply_optimizer_meta(self._optimizer, meta, [ctx.device_id for _, ctx in targets],
                                 state_keys(meta))
        self._install_states(new_states)

    def _load_mxnet_states(self, buf, fname):
        """:meth:`load_states` of a file written by MXNet 1.9.1 (a pickle; see there)."""
        got = _mxnet_states.read(buf, fname)
        o = self._optimizer
        settings = None if got.optimizer is None else \
            _mxnet_states.optimizer_settings(got.optimizer, o, fname)
        multi_precision = o.multi_precision if settings is None else \
            settings.attrs.get('multi_precision', o.multi_precision)
        # the one place where MXNet's order of a multi-precision state becomes minigluon's
        states = _mxnet_states.to_own_layout(o, multi_precision, got.states)
        _check_mxnet_states_fit(self._params, o, settings, states, fname)
        targets = self._state_targets()
        new_states = [{index: _state_to(state, ctx) for index, state in states.items()}
                      for _, ctx in targets]
        if settings is not None:         # everything is checked: apply
            _mxnet_states.apply_settings(o, settings, [ctx.device_id for _, ctx in targets])
        self._install_states(new_states)

    def _state_targets(self):
        """``[(updater, context)]`` holding the optimizer states: each context's updater, or,
        when the kvstore updates the weights, its one updater on the stored arrays' context."""
        if self._update_on_kvstore:
            ctx = self._kvstore_context()
            return [(self._kvstore._updater, ctx)]
        return list(zip(self._updaters, self._contexts))

    def _install_states(self, new_states):
        """Give each updater its loaded states (one dict index -> state per target)."""
        for (updater, _), states in zip(self._state_targets(), new_states):
            updater.states = states
            updater.states_synced = {k: True for k in updater.states}


# -- the states file (Trainer.save_states, KVStore.save_optimizer_states) -------------------------
def write_states(fname, optimizer, states, dump_optimizer=True):
    """Write ``states`` (a dict key -> state of an :class:`~minigluon.optimizer.Updater`) and,
    with ``dump_optimizer``, ``optimizer``'s counters, learning rate, scalars and scheduler, to
    ``fname`` atomically (the layout is described in :meth:`Trainer.save_states`). Keys are ints
    (a Trainer's parameter indices); when some key is a str (a KVStore's), the file numbers the
    keys 0, 1, ... and ``key_names`` maps each number to its key."""
    arrays = {}
    structure = {}
    keys = list(states)
    key_names = None
    if any(isinstance(k, str) for k in keys):
        key_names = {str(i): k for i, k in enumerate(keys)}
        number = {k: i for i, k in enumerate(keys)}
    else:
        number = {k: k for k in keys}
    for key, state in states.items():
        structure[str(number[key])] = _flatten_state(state, 'state:%d' % number[key], arrays)
    o = optimizer
    if not dump_optimizer:
        meta = {'format': _FORMAT, 'version': 1, 'optimizer': type(o).__name__.lower(),
                'num_update': 0, 'lr': None, 'index_update_count': {}, 'structure': structure,
                'dump_optimizer': False}
    else:
        counts = {str(number[k]): v for k, v in o._index_update_count.items() if k in number} \
            if key_names is not None else {str(k): v for k, v in o._index_update_count.items()}
        meta = {'format': _FORMAT, 'version': 1, 'optimizer': type(o).__name__.lower(),
                'num_update': o.num_update, 'lr': o.lr, 'index_update_count': counts,
                'structure': structure, 'scalars': o.scalar_state()}
        if o.lr_scheduler is not None:
            meta['lr_scheduler'] = _scheduler_state(o.lr_scheduler)
    if key_names is not None:
        meta['key_names'] = key_names
    arrays[_META_KEY] = array(np.frombuffer(json.dumps(meta).encode('utf-8'), dtype=np.uint8),
                              dtype=np.uint8)
    serialization.save(fname, arrays)


def read_states(fname):
    """``(meta, arrays)`` of a states file written by :func:`write_states`; MXNetFormatError for
    anything else (an MXNet pickle too: only ``Trainer.load_states`` reads those)."""
    fname = serialization._check_fname(fname, 'load_optimizer_states')
    buf = read_file(fname)
    if _mxnet_states.looks_like_pickle(buf):
        raise MXNetFormatError('%s is a Python pickle (MXNet\'s optimizer states format); '
                               'KVStore.load_optimizer_states reads only minigluon\'s format, '
                               'which KVStore.save_optimizer_states writes. Trainer.load_states '
                               'reads MXNet\'s pickle safely' % fname)
    return _parse_states(buf, fname)


def _parse_states(buf, fname):
    if buf[:8] != struct.pack('<Q', serialization.LIST_MAGIC):
        raise MXNetFormatError(
            '%s is not a Trainer states file: expected either minigluon\'s Trainer.save_states '
            'format (an MXNet .params file, starting with the bytes %s) or MXNet 1.9.1\'s '
            'Trainer.save_states format (a Python pickle of protocol 3 to 5, starting with '
            'the bytes 80 03, 80 04 or 80 05), but it %s'
            % (fname, struct.pack('<Q', serialization.LIST_MAGIC).hex(' '),
               'starts with the bytes %s' % buf[:8].hex(' ') if buf else 'is empty'))
    loaded = serialization._wrap(serialization.loads(buf, source=fname), None)
    return _read_meta(loaded, fname), loaded


def check_optimizer_name(meta, optimizer, fname):
    name = type(optimizer).__name__.lower()
    if meta['optimizer'] != name:
        raise ValueError('%s holds states of optimizer %r, but this Trainer uses %r'
                         % (fname, meta['optimizer'], name))


def state_keys(meta):
    """The file's state numbers (str) mapped to the updater's keys (int, or a KVStore's str)."""
    names = meta.get('key_names') or {}
    numbers = set(meta['structure']) | set(meta['index_update_count'])
    return {n: names.get(n, int(n)) for n in numbers}


def apply_optimizer_meta(o, meta, device_ids, keys):
    """Restore ``num_update``, the per-key update counts of every device in ``device_ids``, the
    base learning rate (without a scheduler), a scheduler of the saved class, and the scalars."""
    counts = {keys[k]: v for k, v in meta['index_update_count'].items()}
    o.num_update = meta['num_update']
    if o.lr_scheduler is None and meta.get('lr') is not None:
        o.lr = meta['lr']
    saved = meta.get('lr_scheduler')
    if o.lr_scheduler is not None and isinstance(saved, dict) and \
            saved.get('class') == type(o.lr_scheduler).__name__:
        vars(o.lr_scheduler).update(saved['state'])
    # every device's counts (a device that has not stepped yet has none until now)
    o._restore_update_counts(device_ids, lambda device: counts)
    for key, value in meta.get('scalars', {}).items():     # Nadam's m_schedule, ...
        if key in o.scalar_state():
            setattr(o, key, value)


def _state_to(state, ctx):
    """A state of NumPy arrays (None, array, or nested tuple) as NDArrays on ``ctx``."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(_state_to(s, ctx) for s in state)
    return array(state, ctx=ctx, dtype=state.dtype)


def _state_signature(state):
    """``None``, ``(shape, dtype name)`` of an array, or a tuple of signatures."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return tuple(_state_signature(s) for s in state)
    raw = getattr(state, '_data', state)
    return (tuple(raw.shape), np.dtype(raw.dtype).name)


def _check_mxnet_states_fit(params, optimizer, settings, states, fname):
    """Raise ValueError unless every state index names one of ``params`` and every state has the
    nesting, shapes and dtypes that ``optimizer``, with the file's hyper-parameters, creates for
    that parameter (skipped for a parameter whose shape is not known yet)."""
    probe = copy.copy(optimizer)
    if settings is not None:
        vars(probe).update(settings.attrs)
    _check_state_indices(params, states, fname)
    for index, state in states.items():
        param = params[index]
        shape = tuple(param.shape or ())
        if not shape or any(d <= 0 for d in shape):
            continue
        weight = np.zeros(shape, dtype=np.dtype(param.dtype))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')          # the float16 accuracy advice
            expected = _state_signature(probe.create_state_multi_precision(index, weight))
        got = _state_signature(state)
        if got != expected:
            raise ValueError(
                "%s holds, for parameter index %d ('%s', shape %s, %s), an optimizer state of "
                "layout %s (shape and dtype of each array), but %s with the file's settings keeps "
                "%s for it; the states were saved for other parameters"
                % (fname, index, param.name, shape, weight.dtype.name,
                   _mxnet_states.show_layout(got), type(optimizer).__name__,
                   _mxnet_states.show_layout(expected)))


def _scheduler_state(scheduler):
    """The scheduler's class name and its attributes that JSON can hold (numbers, strings and
    lists of them: base_lr, count, cur_step_ind...), which is all the built-in schedulers keep."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, (bool, int, float, str))
    return {'class': type(scheduler).__name__,
            'state': {k: v for k, v in vars(scheduler).items() if plain(v)}}


def _read_meta(loaded, fname):
    """The validated JSON header of a trainer-states file."""

    def bad(why):
        raise MXNetFormatError('%s is not a valid Trainer states file: %s; write it with '
                               'Trainer.save_states' % (fname, why))
    if not isinstance(loaded, dict) or _META_KEY not in loaded:
        bad('no %s entry' % _META_KEY)
    raw = loaded[_META_KEY]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        bad('%s must be a 1-d uint8 array' % _META_KEY)
    try:
        meta = json.loads(bytes(raw.asnumpy()).decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        bad('its header is not UTF-8 JSON (%s)' % err)
    if not isinstance(meta, dict) or meta.get('format') != _FORMAT:
        bad('unknown format %r' % (meta.get('format') if isinstance(meta, dict) else meta,))
    checks = {'optimizer': str, 'num_update': int, 'index_update_count': dict, 'structure': dict}
    for key, kind in checks.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            bad('%r must be a %s' % (key, kind.__name__))
    if meta.get('lr') is not None and not isinstance(meta['lr'], (int, float)):
        bad("'lr' must be a number")
    sched = meta.get('lr_scheduler')
    if sched is not None and not (isinstance(sched, dict) and isinstance(sched.get('class'), str)
                                  and isinstance(sched.get('state'), dict)):
        bad("'lr_scheduler' must hold a 'class' name and a 'state' object")
    for k, v in list(meta['index_update_count'].items()) + list(meta['structure'].items()):
        if not k.lstrip('-').isdigit():
            bad('state index %r is not an integer' % k)
    for v in meta['index_update_count'].values():
        if not isinstance(v, int) or isinstance(v, bool):
            bad('update counts must be integers')
    names = meta.get('key_names', {})
    if not isinstance(names, dict) or not all(
            k.isdigit() and isinstance(v, (int, str)) and not isinstance(v, bool)
            for k, v in names.items()):
        bad("'key_names' must map state numbers to int or str keys")
    if not isinstance(meta.get('dump_optimizer', True), bool):
        bad("'dump_optimizer' must be true or false")
    scalars = meta.get('scalars', {})
    if not isinstance(scalars, dict) or not all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in scalars.values()):
        bad("'scalars' must map names to numbers or null")
    return meta


def _check_state_indices(params, indices, fname):
    """Raise ValueError unless every state index (an int, or its string) names one of ``params``."""
    for key in indices:
        index = int(key)
        if not 0 <= index < len(params):
            raise ValueError('%s holds optimizer states for parameter index %d, but this Trainer has '
                             '%d parameters (0..%d); the states were saved for other parameters'
                             % (fname, index, len(params), len(params) - 1))


def _check_states_fit(params, structure, states, fname):
    """Raise ValueError unless every saved state index names one of ``params`` and every state
    array has its parameter's shape (an unknown ``0`` dimension of a deferred parameter matches)."""
    _check_state_indices(params, structure, fname)
    for index, state in states.items():
        param = params[index]
        for arr in _state_leaves(state):
            expected = param.shape or ()
            if len(arr.shape) != len(expected) or any(
                    e not in (0, -1, d) for e, d in zip(expected, arr.shape)):
                raise ValueError("%s holds an optimizer state of shape %s for parameter index %d, but "
                                 "that parameter ('%s') has shape %s; the states were saved for other "
                                 "parameters" % (fname, arr.shape, index, param.name, param.shape))


def _state_leaves(state):
    if state is None:
        return []
    if isinstance(state, tuple):
        return [leaf for s in state for leaf in _state_leaves(s)]
    return [state]


def _flatten_state(state, key, arrays):
    """JSON spec of a state (None, array, or nested tuple), storing arrays under derived keys."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return [_flatten_state(s, '%s:%d' % (key, i), arrays) for i, s in enumerate(state)]
    arrays[key] = state if isinstance(state, NDArray) else array(state, dtype=state.dtype)
    return key


def _unflatten_state(spec, loaded, ctx, fname='', depth=0):
    if spec is None:
        return None
    if isinstance(spec, list) and depth < _mxnet_states.MAX_DEPTH:
        return tuple(_unflatten_state(s, loaded, ctx, fname, depth + 1) for s in spec)
    if not isinstance(spec, str) or spec == _META_KEY or spec not in loaded:
        raise MXNetFormatError('%s: trainer states file has no array %r' % (fname, spec))
    return loaded[spec].copyto(ctx)
