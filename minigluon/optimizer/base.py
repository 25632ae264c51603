"""The optimizer machinery: the ``Optimizer`` base (learning rate and weight decay per parameter,
gradient rescaling and clipping, multi-precision weights, the name registry behind ``create``) and
the ``Updater`` that a Trainer uses to keep per-parameter states. The update rules live in the
sibling modules ``sgd``, ``adaptive``, ``extra`` and ``legacy`` (the NumPy/CuPy kernels they call
in :mod:`minigluon.ops.update_kernels`); :mod:`minigluon.optimizer` re-exports everything.

How a Trainer step reaches an update rule: ``Trainer.step`` calls the :class:`Updater` of each
context with the lists of that context's indices, gradients and weights; the Updater creates a
weight's state on first use (:meth:`Optimizer.create_state_multi_precision`) and calls
:meth:`Optimizer.update_multi_precision` (with a group of weights for an optimizer written for
MXNet's grouped updates, see ``Optimizer._takes_groups``), which calls :meth:`Optimizer.update`:
it counts the update, takes the learning rate and weight decay for the index (:meth:`Optimizer._get_lr`,
``_get_wd``) and hands the raw arrays to the subclass's ``_step``.
"""
import functools
import os
import re
import warnings

import numpy as np

from minigluon import backend
from minigluon._fp_errors import call_as_caller, fp_errors_ignored_calling_back
from minigluon.base import TypeAssertionError
from minigluon.ndarray import NDArray
from minigluon.ops.update_kernels import clipped_grad
from minigluon.optimizer.precision import check_state_layout


def _raw(x):
    return x._data if isinstance(x, NDArray) else x


def _zeros_like(weight, dtype=None):
    """Zeros shaped like ``weight``, of the same kind (NDArray or raw array) and context."""
    raw = _raw(weight)
    xp = backend.get_array_module(raw)
    z = xp.zeros(raw.shape, dtype=dtype or raw.dtype)
    return NDArray(z, weight.context) if isinstance(weight, NDArray) else z


def _astype_like(x, dtype):
    raw = _raw(x).astype(dtype)
    return NDArray(raw, x.context) if isinstance(x, NDArray) else raw


def _accepted_arguments(klass):
    """The keyword arguments ``klass(...)`` takes: those of each ``__init__`` up the class
    hierarchy, as far as each passes ``**kwargs`` on; ``None`` if that cannot be read."""
    import inspect
    names = set()
    for k in klass.__mro__:
        if '__init__' not in k.__dict__ or k is object:
            continue
        try:
            params = inspect.signature(k.__dict__['__init__']).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names - {'self'}
    return None


def _explain_unknown_argument(name, klass, kwargs, err):
    """When ``klass(**kwargs)`` failed with Python's "unexpected keyword argument 'x'" for one of
    ``kwargs``, raise a TypeError that names the optimizer and lists the arguments it takes
    (Python's message names only ``Optimizer.__init__``); ``lr`` gets MXNet's name for it,
    ``learning_rate``. Any other TypeError is left to the caller to re-raise."""
    found = re.search(r"unexpected keyword argument '(\w+)'", str(err))
    if found is None or found.group(1) not in kwargs:
        return
    unknown = found.group(1)
    hint = (" (the learning rate is 'learning_rate' in MXNet, e.g. {'learning_rate': 0.1})"
            if unknown == 'lr' else '')
    accepted = _accepted_arguments(klass)
    listing = '; it takes: %s' % ', '.join(sorted(accepted)) if accepted else ''
    raise TypeError('optimizer %r got an unknown argument %r%s%s'
                    % (name, unknown, hint, listing)) from err


class Optimizer:
    """Base class of optimizers (``mxnet.optimizer.Optimizer``).

    Parameters
    ----------
    rescale_grad : float, default 1.0
        Gradients are multiplied by this before use (a Trainer sets ``1/batch_size``).
    param_idx2name : dict of int to str, optional
        Parameter names by index; names not ending in ``_weight``/``_gamma`` get ``wd_mult=0``.
        Anything but a dict raises a ``TypeAssertionError`` (a ``TypeError`` and the
        ``AssertionError`` of MXNet 1.9.1).
    wd : float, default 0.0
        Weight decay (L2 coefficient).
    clip_gradient : float, optional
        Clip the rescaled gradient to ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional
        Defaults to 0.01 (or the scheduler's ``base_lr``, which it overrides when both are given).
    lr_scheduler : LRScheduler, optional
        Called with ``num_update`` to give the rate of each update.
    begin_num_update : int, default 0
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights and update that.
    param_dict : dict of int to Parameter, optional
        Per-parameter ``lr_mult``/``wd_mult`` (what a Trainer passes); takes precedence.
    sym : optional
        Accepted for MXNet's signature and ignored (MXNet reads multipliers from a Symbol's
        attributes, of the Module API, which is out of scope).

    Writing an optimizer, as in MXNet 1.9.1: subclass it, take your hyper-parameters in
    ``__init__`` and pass the rest on (``super().__init__(**kwargs)``), decorate the class with
    ``@mx.optimizer.register`` (then ``gluon.Trainer(params, '<lowercase class name>', {...})``
    finds it), and override

    * ``create_state(index, weight)``: the per-weight state, None, an NDArray or a tuple of
      NDArrays (``Trainer.save_states`` writes those, nested tuples included);
    * ``update(index, weight, grad, state)``: write the new values into ``weight`` (and
      ``state``) in place, on NDArrays (``weight[:] = ...``); call ``self._update_count(index)``
      first, take the rates from ``self._get_lr(index)`` and ``self._get_wd(index)``, and
      multiply ``grad`` by ``self.rescale_grad`` (the Trainer sets it to ``1 / batch_size``).
      An optimizer that sets ``self.aggregate_num`` > 0 gets, as in MXNet, up to that many
      weights per call: ``index``, ``weight`` and ``grad`` tuples and ``state`` a list (take the
      rates from ``self._get_lrs(indices)`` / ``self._get_wds(indices)``).

    minigluon's own optimizers override ``_step(xp, index, w, g, state, lr, wd)`` instead, which
    the base ``update`` calls after those three steps, on raw NumPy/CuPy arrays.
    """

    opt_registry = {}
    #: ``clip_gradient=0`` turns clipping off (True) or clips every gradient to 0 (False). MXNet
    #: 1.9.1 is not consistent here: the optimizers that call a fused update operator (SGD, NAG,
    #: Signum, Adam, RMSProp, Ftrl, FTML, LAMB, LARS, LBSGD) pass the value only when it is
    #: truthy, the ones that clip in Python (AdaGrad, AdaDelta, Adamax, Nadam, DCASGD, SGLD) clip
    #: to ``[-0, 0]``. Each class states which, so old scripts keep their numbers. A negative
    #: ``clip_gradient`` means no clipping everywhere: MXNet's Python-clipping optimizers clip to
    #: the reversed interval ``[abs(c), -abs(c)]`` (every gradient becomes ``+-abs(c)``), a fault
    #: minigluon does not copy (docs/PORTING.md, "deliberately differs").
    clip_zero_is_off = False

    #: How many weights MXNet 1.9.1 updates in one call when a Trainer's step hands the
    #: :class:`Updater` the lists of one context (0: one at a time); see :meth:`Updater.__call__`.
    #: SGD and LARS take ``MXNET_OPTIMIZER_AGGREGATION_SIZE`` (default 4), LAMB up to 45.
    aggregate_num = 0

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None and lr_scheduler.base_lr != learning_rate:
            warnings.warn('learning rate from ``lr_scheduler`` has been overwritten by ``learning_rate`` '
                          'in optimizer.', UserWarning)
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult, self.wd_mult = {}, {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):      # (MXNet 1.9.1 asserts it)
            raise TypeAssertionError('param_idx2name must be a dict of int -> parameter name, got %s'
                            % type(param_idx2name).__name__)
        self.idx2name = dict(param_idx2name)
        self.sym_info = None
        self.param_dict = dict(param_dict) if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry ------------------------------------------------------------------------------
    @staticmethod
    def register(klass):
        """Class decorator: make ``klass`` available to :func:`create` under its lowercase name."""
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            warnings.warn('Optimizer %s.%s is overriding an existing optimizer %r'
                          % (klass.__module__, klass.__name__, name), UserWarning)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Instantiate the optimizer registered as ``name`` (case-insensitive).

        Raises
        ------
        ValueError
            If no optimizer has that name.
        """
        if not isinstance(name, str) or name.lower() not in Optimizer.opt_registry:
            raise ValueError('Cannot find optimizer %r; registered optimizers: %s'
                             % (name, ', '.join(sorted(Optimizer.opt_registry))))
        klass = Optimizer.opt_registry[name.lower()]
        try:
            return klass(**kwargs)
        except TypeError as err:
            _explain_unknown_argument(name, klass, kwargs, err)
            raise

    # -- learning rate and multipliers ---------------------------------------------------------
    @property
    def learning_rate(self):
        """The current rate: the scheduler's for ``num_update`` (the user's scheduler runs under
        the caller's floating-point error settings, see :mod:`minigluon._fp_errors`), else ``lr``."""
        if self.lr_scheduler is not None:
            return call_as_caller(self.lr_scheduler, self.num_update)
        return self.lr

    def scalar_state(self):
        """Optimizer-wide numbers (not per-parameter arrays) that ``Trainer.save_states`` keeps,
        as ``{attribute: number or None}``: none here; Nadam's ``m_schedule``, LARS's rates."""
        return {}

    def array_state(self):
        """Per-parameter arrays the optimizer keeps on itself, outside the Updater's states,
        that ``Trainer.save_states`` keeps: ``{index: array}`` (NumPy or CuPy; the parameter's
        shape); none here. LBSGD's gradient sums of a macro-batch still open."""
        return {}

    def set_array_state(self, arrays):
        """Take ``arrays`` (``{index: NumPy array}``, checked against the parameters' shapes)
        as the arrays of :meth:`array_state`, replacing those held (``Trainer.load_states``)."""
        if arrays:
            raise ValueError('%s keeps no arrays of its own, got them for the indices %s'
                             % (type(self).__name__, sorted(arrays)))

    def set_learning_rate(self, lr):
        """Set the base rate; raises UserWarning (as MXNet does) when a scheduler owns the rate."""
        if self.lr_scheduler is not None:
            raise UserWarning('LRScheduler of the optimizer has already been defined. Note that '
                              'set_learning_rate can mutate the value of the learning rate of the '
                              'optimizer only when the LRScheduler of the optimizer is undefined.')
        self.lr = lr

    def set_lr_mult(self, args_lr_mult):
        """Per-index or per-name learning-rate multipliers (``param_dict`` takes precedence)."""
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Per-index or per-name weight-decay multipliers; by default names not ending in
        ``_weight`` or ``_gamma`` (biases, BatchNorm beta) get 0."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values()
                        if not (n.endswith('_weight') or n.endswith('_gamma'))}
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        self._index_update_count = self._all_index_update_counts.setdefault(device_id, {})

    def _restore_update_counts(self, device_ids, counts_of):
        """Replace the per-index update counts of every device in ``device_ids``, and of every
        device already counted, by ``counts_of(device_id)`` (a dict index -> count): what a
        states file restores (``Trainer.load_states``). The current device's table is updated
        in place, so ``_index_update_count`` keeps pointing at it."""
        for device_id in set(device_ids) | set(self._all_index_update_counts):
            table = self._all_index_update_counts.setdefault(device_id, {})
            table.clear()
            table.update(counts_of(device_id))

    def _begin_group(self, indices):
        """Before the weights ``indices`` are updated as one group (see ``aggregate_num``):
        ``num_update`` becomes what counting them all gives, so every weight of the group takes
        the learning rate of the group's last count, as MXNet's grouped updates do."""
        counts = self._index_update_count
        self.num_update = max([self.num_update] +
                              [counts.get(i, self.begin_num_update) + 1 for i in indices])

    def _end_group(self):
        """After the weights of a group were updated (see :meth:`_begin_group`)."""

    def _update_count(self, index):
        for idx in (index if isinstance(index, (list, tuple)) else [index]):
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _mult(self, index, table, attr):
        """The multiplier ``attr`` of weight ``index``: its Parameter's (``param_dict``), else
        ``table`` by index, else ``table`` by name (``idx2name``), else 1."""
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    def _get_lr(self, index):
        """The learning rate of weight ``index``: :attr:`learning_rate` times its ``lr_mult``."""
        return self.learning_rate * self._mult(index, self.lr_mult, 'lr_mult')

    def _get_wd(self, index):
        return self.wd * self._mult(index, self.wd_mult, 'wd_mult')

    def _get_lrs(self, indices):
        """The learning rates of the weights ``indices`` (a list), as MXNet 1.9.1's ``_get_lrs``:
        what an optimizer written for MXNet's grouped updates calls (GluonNLP's BERTAdam)."""
        return [self._get_lr(index) for index in indices]

    def _get_wds(self, indices):
        """The weight decays of the weights ``indices`` (a list), as MXNet 1.9.1's ``_get_wds``."""
        return [self._get_wd(index) for index in indices]

    def _user_method(self, name):
        """Whether method ``name`` (``'update'``, ``'update_multi_precision'``) comes from user
        code (an optimizer written for MXNet) rather than from minigluon."""
        return not getattr(getattr(type(self), name), '__module__', 'minigluon').startswith('minigluon.')

    def _takes_groups(self):
        """Whether the :class:`Updater` hands this optimizer a group of weights in one call
        (tuples, as MXNet 1.9.1 does when ``aggregate_num`` > 0): when the user wrote its
        ``update_multi_precision``, or its ``update`` on top of the base Optimizer alone (no
        minigluon update rule in between, so the user's class set ``aggregate_num``). A user's
        ``update`` over SGD / LARS / LAMB is called weight by weight: MXNet 1.9.1 bypasses it in
        grouped updates, a fault minigluon does not copy."""
        if self._user_method('update_multi_precision'):
            return True
        mro = [k for k in type(self).__mro__ if issubclass(k, Optimizer) and k is not Optimizer]
        return self._user_method('update') and all(not k.__module__.startswith('minigluon.') for k in mro)

    def _clips(self):
        """Whether gradients are clipped: ``clip_gradient`` set, not negative, and not a 0 that
        means "off" for this optimizer (:attr:`clip_zero_is_off`)."""
        c = self.clip_gradient
        return c is not None and c >= 0 and not (c == 0 and self.clip_zero_is_off)

    def _grad(self, xp, grad, weight=None, wd=0.0, wd_before_clip=False):
        """``rescale_grad * grad``, clipped; ``wd * weight`` added before or after the clip as asked."""
        return clipped_grad(xp, _raw(grad), self.rescale_grad, self._clip(), weight, wd,
                            wd_before_clip)

    def _clip(self):
        """The clipping bound for the update kernels: ``clip_gradient``, or None when off."""
        return self.clip_gradient if self._clips() else None

    # -- states and updates --------------------------------------------------------------------
    def create_state(self, index, weight):
        """The auxiliary state of one weight (None when the optimizer keeps none)."""
        return None

    def create_state_multi_precision(self, index, weight):
        """As :meth:`create_state`; for a float16 weight with ``multi_precision`` returns
        ``(float32 master copy, state of the master)``."""
        if self.multi_precision and _raw(weight).dtype == np.float16:
            master = _astype_like(weight, np.float32)
            return (master, self.create_state(index, master))
        if _raw(weight).dtype == np.float16:
            warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy or slow '
                          'convergence. Consider using multi_precision=True option of the optimizer')
        return self.create_state(index, weight)

    @fp_errors_ignored_calling_back     # the kernels, as MXNet's update operators
    def update(self, index, weight, grad, state):
        """Update ``weight`` in place from ``grad`` and ``state``; ``index`` keys lr/wd multipliers."""
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        w = _raw(weight)
        self._step(backend.get_array_module(w), index, w, _raw(grad), state, lr, wd)

    def _step(self, xp, index, w, g, state, lr, wd):
        raise NotImplementedError(
            '%s must override update(index, weight, grad, state) (MXNet\'s way, on NDArrays) or '
            '_step(xp, index, w, g, state, lr, wd) (on raw arrays, after the base update has '
            'counted the update and taken lr and wd); see the Optimizer docstring'
            % type(self).__name__)

    def _update_op_name(self):
        """The name ``mx.profiler`` gives one weight's update: MXNet 1.9.1's update operator
        (``adam_update``, ``ftrl_update``...) where MXNet has one, else ``<optimizer>_update``."""
        return type(self).__name__.lower() + '_update'

    @fp_errors_ignored_calling_back      # (also the cast of the master copy back to float16)
    def update_multi_precision(self, index, weight, grad, state):
        """As :meth:`update`; with ``multi_precision`` a float16 weight is updated through its
        float32 master copy, then rounded back."""
        if isinstance(index, (list, tuple)):     # a group from the Updater (see _update_list)
            call_as_caller(self.update, index, weight, grad, state)
            return
        if self.multi_precision:
            check_state_layout(self, index, _raw(weight), state, _raw(weight).dtype == np.float16)
        # an update written by the user (a subclass's own ``update``, MXNet's way to write an
        # optimizer in Python) runs under the caller's floating-point error settings, as in
        # MXNet; minigluon's own updates ignore the errors (see _fp_errors)
        update = self.update
        if self._user_method('update'):
            update = functools.partial(call_as_caller, update)
        if self.multi_precision and _raw(weight).dtype == np.float16:
            master, inner = state
            update(index, master, _raw(grad).astype(np.float32), inner)
            _raw(weight)[...] = _raw(master).astype(np.float16)
        else:
            update(index, weight, grad, state)

    def _state_raw(self, state):
        if isinstance(state, (list, tuple)):
            return [_raw(s) for s in state]
        return _raw(state)

    def __repr__(self):
        return '%s(learning_rate=%s, wd=%s)' % (type(self).__name__, self.lr, self.wd)


register = Optimizer.register
create = Optimizer.create_optimizer


class Updater:
    """Applies an optimizer to indexed weights, creating each weight's state on first use
    (``mxnet.optimizer.Updater``). ``states`` maps index to state."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}

    def __getattr__(self, name):
        # MXNet's get_states / set_states pickle the states: out of scope, and asking says so
        if name in ('get_states', 'set_states'):
            raise AttributeError("'Updater' object has no attribute %r: Updater.get_states and "
                                 "set_states (pickled states) are out of scope in minigluon "
                                 "(docs/PORTING.md, 'Out of scope'); use Trainer.save_states and "
                                 "load_states, which also read MXNet's states files" % name)
        raise AttributeError("'Updater' object has no attribute %r" % name)

    def __call__(self, index, grad, weight):
        """Update ``weight`` from ``grad``; with lists (the weights of one context, in index
        order, as a Trainer's step passes them), each in turn, or, for an optimizer with
        ``aggregate_num`` > 0, in groups of that many, dtype by dtype in the order the dtypes
        first appear, all the counts of a group taken before its learning rates, as MXNet 1.9.1
        (``_begin_group``). This matters when the weights' counts differ (some skipped as
        stale) or, for LARS, when the learning rate changes: its momentum correction moves once
        per group. One weight given alone is a group of one for such an optimizer, as in MXNet
        (LAMB's multi-precision update then takes the norm of the float16 weight, as MXNet's
        grouped kernel does)."""
        if isinstance(index, (list, tuple)):
            self._update_list(index, grad, weight)
        elif self.optimizer.aggregate_num > 0:
            self._update_list([index], [grad], [weight])
        else:
            self._update_one(index, grad, weight)

    def _update_one(self, index, grad, weight):
        if isinstance(weight, NDArray):   # update counts are kept per device, as in MXNet
            self.optimizer._set_current_context(weight.context.device_id)
        if index not in self.states:
            self.states[index] = self.optimizer.create_state_multi_precision(index, weight)
            self.states_synced[index] = True
        self.optimizer.update_multi_precision(index, weight, grad, self.states[index])

    def _update_list(self, indices, grads, weights):
        opt = self.optimizer
        items = list(zip(indices, grads, weights))
        if opt.aggregate_num <= 0:
            for item in items:
                self._update_one(*item)
            return
        by_dtype = {}
        for item in items:
            by_dtype.setdefault(np.dtype(item[2].dtype), []).append(item)
        takes_groups = opt._takes_groups()
        for group_items in by_dtype.values():
            for start in range(0, len(group_items), opt.aggregate_num):
                group = group_items[start:start + opt.aggregate_num]
                if isinstance(group[0][2], NDArray):
                    opt._set_current_context(group[0][2].context.device_id)
                if takes_groups:
                    self._update_group(group)
                    continue
                opt._begin_group([i for i, _, _ in group])
                for item in group:
                    self._update_one(*item)
                opt._end_group()

    def _update_group(self, group):
        """Hand an optimizer written for MXNet one group of ``(index, grad, weight)`` as MXNet
        1.9.1's Updater does when ``aggregate_num`` > 0: ``update_multi_precision(indices,
        weights, grads, states)`` with tuples of indices, weights and gradients and a list of
        states (GluonNLP's BERTAdam updates them in one ``multi_adamw_update``)."""
        for index, _, weight in group:
            if index not in self.states:
                self.states[index] = self.optimizer.create_state_multi_precision(index, weight)
                self.states_synced[index] = True
        indices, grads, weights = zip(*group)
        self.optimizer.update_multi_precision(indices, weights, grads, [self.states[i] for i in indices])


def aggregation_size(default):
    """``MXNET_OPTIMIZER_AGGREGATION_SIZE`` (``default`` when unset), as MXNet 1.9.1 reads it."""
    return int(os.environ.get('MXNET_OPTIMIZER_AGGREGATION_SIZE', default))


def get_updater(optimizer):
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)
