"""``Trainer``: applies an optimizer to a set of Parameters (``mxnet.gluon.Trainer``, MXNet 1.9.1).

A kvstore given by name (``'device'``, ``'local'``...) is created for several contexts and a
:class:`~minigluon.kvstore.KVStore` instance (``mx.kv.create('local')``) is used, both as MXNet
uses them (see :class:`Trainer`): the store sums the gradient copies and either runs the
optimizer itself or, with ``update_on_kvstore=False``, writes the sum back to every copy for each
context's updater. Difference from MXNet, on purpose: :meth:`save_states` writes MXNet's
``.params`` binary format (no pickle), atomically; see :meth:`save_states` for the layout
(written and parsed by :mod:`minigluon._states_file`).
MXNet cannot read that file, but :meth:`load_states` reads both it and the pickle MXNet 1.9.1's
``save_states`` writes, the latter through a whitelisting unpickler that runs nothing from the
file (:mod:`minigluon._mxnet_states`).
"""

import collections.abc
import numbers

import numpy as np

from minigluon import _mxnet_states
from minigluon import _states_file as states_file
from minigluon import kvstore as kvs
from minigluon import optimizer as opt
from minigluon import serialization
from minigluon.base import OtherFrameworkName, ValueAssertionError, read_file
from minigluon.ndarray import NDArray
from minigluon.parameter import Parameter

__all__ = ['Trainer']


class Trainer:
    """Updates Parameters with an optimizer after ``backward``.

    Parameters
    ----------
    params : ParameterDict, dict of str to Parameter, or list of Parameter
        A dict is sorted by key (optimizer state indices follow the sorted names); a list keeps
        its order. A Parameter listed twice (shared) is updated once (MXNet 1.9.1 keeps both
        entries: the second finds the gradient the first consumed, so every step raises the
        stale-gradient UserWarning, and with a kvstore the first step fails, "duplicate init").
    optimizer : str or Optimizer
        A registered name (``'sgd'``, ``'adam'``...) or an instance.
    optimizer_params : dict, optional
        Keyword arguments of the optimizer (only with a name); anything but a mapping (a list
        of pairs) is a TypeError, as MXNet 1.9.1's ``**optimizer_params`` gives. The optimizer's ``rescale_grad``
        (from here or from an instance) is the scale that :meth:`step` divides by ``batch_size``.
    kvstore : str, KVStore or None, default 'device'
        A name (``'device'``, ``'local'``...): with several contexts a store of that kind is
        created at the first step, as MXNet 1.9.1 does, and (``update_on_kvstore`` None or True)
        runs the optimizer once per step on the summed gradient, copying the result to every
        context; with ``update_on_kvstore=False`` the gradients are summed over the contexts and
        each context's updater applies them; one context needs no store. None: nothing is
        summed, each context's copy is updated with its own gradient, as MXNet 1.9.1 does. A
        store's first step copies each Parameter's first-context value (running statistics
        included) to its other copies (the broadcast below), as MXNet's kvstore initialisation
        does. A distributed name (``'dist_sync'``...) raises
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
        When ``params`` is not a list/dict of Parameters, holds none (MXNet 1.9.1 fails with
        ``TypeError: 'NoneType' object is not iterable``; the usual cause is ``net.params``, which
        lacks the children's Parameters, or a ``collect_params`` pattern that matched nothing), or
        ``optimizer_params`` is given with an Optimizer instance (a ``ValueAssertionError``:
        MXNet 1.9.1 asserts it).
    RuntimeError
        When a Parameter was never initialized.
    AssertionError
        When Parameters live on different sets of contexts (as MXNet).
    TypeError
        When ``kvstore`` is not a str, a KVStore or None (MXNet raises this at the first step),
        or ``optimizer_params`` is not a mapping.

    Notes
    -----
    With a KVStore and ``update_on_kvstore``, MXNet 1.9.1 pushes every gradient before checking
    for stale ones, so a step that raises has already updated the weights; with
    ``ignore_stale_grad=True`` it applies stale gradients again; it never clears the "fresh"
    marks, so a second step without ``backward`` applies the old gradients; and ``set_data``
    (or ``load_parameters``) drops the store: a KVStore instance then fails at the next step
    ("duplicate init"), a named one is created again with fresh optimizer states (momentum and
    the like start from zero).
    minigluon checks first (a step that raises changes nothing), skips stale Parameters, clears
    the marks, and gives the store each Parameter's current value before updating it.
    """

    # set by contrib.amp.init_trainer: a LossScaler whose overflow check may skip a step
    _amp_loss_scaler = None

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
        if not self._params:
            raise ValueError(
                'Trainer: the first argument holds no Parameters, so step() would update nothing. '
                'Pass net.collect_params() (net.params holds only the block\'s own Parameters, '
                'not its children\'s); a collect_params(select) pattern matches full names such '
                'as \'dense0_weight\', not attribute names')
        if not optimizer_params:
            optimizer_params = {}
        elif isinstance(optimizer_params, collections.abc.Mapping):
            optimizer_params = dict(optimizer_params)
        elif not isinstance(optimizer, opt.Optimizer):   # (with an instance: refused below)
            raise TypeError("optimizer_params must be a dict of the optimizer's arguments "
                            "(e.g. {'learning_rate': 0.1}), got %s" % type(optimizer_params).__name__)
        self._contexts = self._check_contexts()
        if kvstore is not None and not isinstance(kvstore, (str, kvs.KVStoreBase)):
            raise TypeError('kvstore must be a KVStore, a str or None, got %s'
                            % type(kvstore).__name__)
        if isinstance(kvstore, str) and kvs.is_distributed(kvstore):
            kvs.create(kvstore)                     # raises NotSupportedError
        self._kvstore_params = {'kvstore': kvstore, 'update_on_kvstore': update_on_kvstore}
        self._compression_params = compression_params
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        # as MXNet 1.9.1: every Parameter waits for the store's first broadcast (_init_params),
        # also when a subclass resolves the store in its own _init_kvstore; _param2idx (name ->
        # store key), _distributed and the row_sparse flags (always False: sparse storage is out
        # of scope) are the attributes such subclasses (written over MXNet's gluon/trainer.py)
        # and scripts (DGL's examples pull weights by _param2idx) read
        self._params_to_init = list(self._params)
        self._param2idx = {param.name: i for i, param in enumerate(self._params)}
        self._distributed = None
        self._contains_sparse_weight = False
        self._contains_sparse_grad = False
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
            if optimizer_params:     # (MXNet 1.9.1 asserts it)
                raise ValueAssertionError('optimizer_params must be None if optimizer is an '
                                          'instance of Optimizer instead of str')
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
        self._set_rescale(batch_size, 'step')
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
        """Resolve the store and ``update_on_kvstore`` once (at the first step, as MXNet).

        Every Parameter's array must exist by then: one whose deferred initialization has not
        run (no forward pass yet) raises ``DeferredInitializationError``, one never initialized
        the error of ``Parameter.data``, as MXNet 1.9.1 reads every array here to set up the
        store (before any stale-gradient check)."""
        if self._kv_initialized:
            return
        for param in self._params:
            param.list_data()
        kv = self._kvstore_params['kvstore']
        named = isinstance(kv, str)
        if named and len(self._contexts) > 1:
            # as MXNet 1.9.1: a named store for several contexts (one context needs none), which
            # by default runs the optimizer once per step on the summed gradient, so optimizers
            # with step-wide state (Nadam's momentum schedule) advance once, not once per context
            kv = kvs.create(kv)
        if isinstance(kv, kvs.KVStoreBase):
            wanted = self._kvstore_params['update_on_kvstore']
            capable = kv.is_capable(kvs.KVStoreBase.OPTIMIZER)
            if wanted is None:
                update = kvs._update_on_kvstore_default() and capable
                if named and kv.type == 'local' and max(
                        (int(np.prod(p.shape)) for p in self._params), default=0) > 16 * 1024 ** 2:
                    update = False       # MXNet's rule for 'local' with a very large parameter
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
        self._distributed = False
        self._kv_initialized = True

    def _prepare(self):
        """What every step, ``save_states`` and ``load_states`` need first: the store resolved,
        and the Parameters it waits for (deferred ones initialised since) broadcast to it."""
        self._init_kvstore()
        self._init_params()

    def _init_params(self):
        """Broadcast each Parameter not yet in the store (``_params_to_init``) from its first
        context to the store and to its other copies; a Parameter whose deferred initialization
        has not run yet waits for a later step."""
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
        # no store: one context, or kvstore=None (each copy takes its own gradient, as MXNet)

    def update(self, batch_size, ignore_stale_grad=False):
        """Apply the optimizer to (already all-reduced) gradients; see :meth:`step`."""
        self._prepare()
        self._refuse_on_kvstore('update')
        self._set_rescale(batch_size, 'update')
        self._update(ignore_stale_grad)

    def _check_and_rescale_grad(self, scale):
        """Set the optimizer's ``rescale_grad`` to ``scale`` (MXNet 1.9.1's private step helper,
        which Trainer subclasses overriding ``step`` call with ``self._scale / batch_size``; its
        check for a distributed store does not apply here)."""
        self._optimizer.rescale_grad = scale

    def _set_rescale(self, batch_size, method):
        """``rescale_grad = scale / batch_size``. A batch size that is not a number (a str, None)
        is a ``TypeError``, as in MXNet 1.9.1; one that is not positive a ``ValueError`` naming
        it (MXNet 1.9.1 fails with ZeroDivisionError on 0 and takes a negative one, which turns
        every update around).

        A one-element NDArray (GluonNLP's FP16Trainer passes the clipping ratio times the batch
        size and the loss scale) is not checked, as in MXNet 1.9.1: an optimizer written for
        MXNet gets ``rescale_grad`` as that NDArray (GluonNLP's BERTAdam hands it to
        ``adamw_update``, which skips the update when it is not finite); minigluon's own
        optimizers get its value as a float (MXNet 1.9.1's fail: "Some trailing characters could
        not be parsed")."""
        if isinstance(batch_size, NDArray) and batch_size.size == 1:
            rescale = self._scale / batch_size
            user = self._optimizer._user_method('update') or \
                self._optimizer._user_method('update_multi_precision')
            self._optimizer.rescale_grad = rescale if user else float(rescale.asscalar())
            return
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Real):
            raise TypeError('Trainer.%s: batch_size must be a positive number (the gradients are '
                            'divided by it), got %r' % (method, batch_size))
        if not batch_size > 0:
            raise ValueError('Trainer.%s: batch_size must be a positive number (the gradients are '
                             'divided by it), got %r' % (method, batch_size))
        self._optimizer.rescale_grad = self._scale / batch_size

    def _update(self, ignore_stale_grad=False):
        if self._amp_loss_scaler is not None and self._amp_loss_scaler.has_overflow(self._params):
            return      # AMP's dynamic loss scaling: skip the step on inf/NaN (contrib.amp)
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
        # the weights of each context, then one updater call per context, contexts in order
        # (as MXNet 1.9.1: update counts and a scheduler's rate depend on this order; see
        # Updater.__call__)
        updates = [([], [], []) for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            reduced_fresh = id(param) in self._reduced_fresh
            for (indices, grads, datas), data, grad in zip(updates, param.list_data(),
                                                           param.list_grad()):
                if not ignore_stale_grad or data._fresh_grad or reduced_fresh:
                    indices.append(i)
                    grads.append(grad)
                    datas.append(data)
                    data._fresh_grad = False
        for updater, (indices, grads, datas) in zip(self._updaters, updates):
            if indices:
                updater(indices, grads, datas)
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
        ``lr_scheduler``'s class name and plain attributes (``base_lr``, ``count``...); the
        arrays of the optimizer's :meth:`~minigluon.optimizer.Optimizer.array_state` (LBSGD's
        gradient sums of a macro-batch still open) are named ``optimizer:<index>``. MXNet
        pickles the whole optimizer instead. ``param_dict`` (lr/wd multipliers) is not saved, as in MXNet.

        MXNet 1.9.1 cannot read this file: its ``load_states`` unpickles whatever it is given
        (``Updater.set_states``), and minigluon writes no pickle, because unpickling a file can run
        any code. minigluon's :meth:`load_states` reads both this format and MXNet's pickle.
        """
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        states = self._updaters[0].states if self._updaters else {}
        states_file.write_states(fname, self._optimizer, states)

    def load_states(self, fname):
        """Load optimizer states into every context's updater, from a file written by
        :meth:`save_states` or by MXNet 1.9.1's ``Trainer.save_states``.

        The file is read and checked completely before anything changes: on any error the
        optimizer and its states are left as they were.

        *minigluon's own format* (see :meth:`save_states`): the states, ``num_update``, the
        per-index update counts, the base learning rate (without a scheduler), Nadam's or
        LARS's optimizer-wide numbers and LBSGD's open gradient sums are restored; the other
        hyper-parameters stay as this Trainer was created with. When this Trainer's
        ``lr_scheduler`` is of the class saved, it
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
        counts, LBSGD's open gradient sums (``cumgrads``), and the pickled ``lr_scheduler``
        (continued in place when this Trainer's is of the same class, otherwise it replaces
        this Trainer's, as in MXNet; a file whose optimizer had no scheduler leaves this Trainer
        without one).
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
        self._prepare()
        fname = serialization._check_fname(fname, 'load_states')
        buf = read_file(fname)
        if _mxnet_states.looks_like_pickle(buf):
            self._load_mxnet_states(buf, fname)
            return
        meta, loaded = states_file._parse_states(buf, fname)
        states_file.check_optimizer_name(meta, self._optimizer, fname)
        if 'key_names' in meta:
            raise ValueError('%s holds the optimizer states of a KVStore with str keys %s, not of a '
                             'Trainer (whose states are indexed 0, 1, ...); load it with '
                             'KVStore.load_optimizer_states' % (fname, list(meta['key_names'].values())[:5]))
        targets = self._state_targets()
        new_states = [{int(k): states_file._unflatten_state(spec, loaded, ctx, fname)
                       for k, spec in meta['structure'].items()} for _, ctx in targets]
        states_file._check_states_fit(self._params, meta['structure'],
                                      new_states[0] if new_states else {}, fname, self._optimizer)
        keys = states_file.state_keys(meta)
        own = states_file.read_optimizer_arrays(meta, loaded, self._params, self._optimizer, fname,
                                                keys)
        if meta.get('dump_optimizer', True):          # everything is checked: apply
            states_file.apply_optimizer_meta(self._optimizer, meta, [ctx.device_id for _, ctx in targets],
                                             keys, own)
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
        states_file._check_mxnet_states_fit(self._params, o, settings, states, fname)
        keeps_arrays = states_file.keeps_arrays(o)
        if got.open_sums and not keeps_arrays:
            raise ValueError("%s: the pickled %s holds gradient sums ('cumgrads', which only "
                             "LBSGD keeps), but %s keeps none" % (fname, got.optimizer.name,
                                                                  type(o).__name__))
        for index, total in got.open_sums.items():
            states_file._check_array_fits(self._params, index, total, fname,
                                          "an open gradient sum of LBSGD ('cumgrads')")
        targets = self._state_targets()
        new_states = [{index: states_file._state_to(state, ctx) for index, state in states.items()}
                      for _, ctx in targets]
        if settings is not None:         # everything is checked: apply
            _mxnet_states.apply_settings(o, settings, [ctx.device_id for _, ctx in targets])
            if keeps_arrays:
                o.set_array_state(got.open_sums)      # (only LBSGD pickles cumgrads)
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


# PyTorch's optimizer.zero_grad(), which MXNet 1.9.1's Trainer lacks: asking for it says why Gluon
# needs none (hasattr() stays False; no new API)
OtherFrameworkName.install(Trainer, {
    'zero_grad': "not needed: backward() overwrites the gradients (grad_req='write', the default); "
                 "with grad_req='add', which accumulates, call net.collect_params().zero_grad()"})
