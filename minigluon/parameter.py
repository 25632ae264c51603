"""``Parameter``, ``Constant`` and ``DeferredInitializationError`` (Gluon's learnable arrays).

Semantics follow ``mxnet.gluon.parameter`` (MXNet 1.9.1; see docs/MXNET_SPEC.md section 3). A Parameter
holds one copy of its data per context plus gradient buffers; the data arrays are autograd
variables (``autograd.mark_variables``), so ``backward`` writes into the buffers. A Parameter whose
shape is not fully known (a ``0`` dimension) can defer its initialization until the first forward
pass fills the shape in.

What lives where: this module holds the classes; :mod:`minigluon.parameter_access` holds the
accessors ``data``, ``grad``, ``list_data``, ``list_grad`` and ``list_ctx`` (a base class of
``Parameter``); :mod:`minigluon.parameter_values` holds the
machinery that fills a Parameter with values and reads them back (running the initializer, deferred
or not; loading saved arrays; the mean of copies that gets saved), which the ``_finish_deferred_init``,
``_check_load``, ``_load_init`` and ``_reduce`` methods call. ``ParameterDict`` lives in
:mod:`minigluon.parameter_dict` and is re-exported here.
"""
import warnings

import numpy as np

from minigluon import autograd, initializer
from minigluon._fp_errors import fp_errors_ignored
from minigluon.base import (MXNetError, NotSupportedError, OtherFrameworkFlag, OtherFrameworkName,
                            TypeAssertionError, ValueAssertionError)
from minigluon.context import Context, current_context
from minigluon.ndarray import NDArray, array, zeros


class DeferredInitializationError(MXNetError):
    """Raised when a Parameter's data is requested before its deferred initialization ran."""


class ParameterMismatchError(ValueAssertionError):
    """A Parameter does not match what was asked of it (shape, dtype, attribute, missing entry).

    A ``ValueError``; also an ``AssertionError`` because MXNet signals these cases with ``assert``
    (:class:`minigluon.base.ValueAssertionError`).
    """


def _as_ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    given = ctx
    try:
        ctx = None if isinstance(ctx, (str, bytes)) else list(ctx)
    except TypeError:           # not iterable
        ctx = None
    if not ctx or not all(isinstance(c, Context) for c in ctx):
        hint = ''
        if callable(given):     # CapsNet_Mxnet passes the function: ctx=mx.cpu (MXNet: TypeError)
            hint = '; %s is a function, call it: %s()' % ((getattr(given, '__name__', 'it'),) * 2)
        raise ValueError('ctx must be a Context or a non-empty list of Contexts, got %r%s'
                         % (given, hint))
    return ctx


def _as_shape(shape):
    """A shape (int or sequence of ints, NumPy integers too) as a tuple of Python ints, so that
    its text (``repr``, a variable's ``__shape__``) is ``(3, 0)`` and not ``(np.int64(3), 0)``:
    layers sized with NumPy arithmetic (``nn.Dense(np.int64(3))``) work as in MXNet 1.9.1."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) if isinstance(d, np.integer) else d for d in shape)


def _shape_known(shape):
    # Legacy (non-np) shape semantics: an empty shape or a 0 dimension means "unknown".
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _check_not_a_class(init, name):
    """Raise TypeAssertionError when ``init`` is an Initializer class (``mx.init.Xavier``), which
    would otherwise be called as ``Xavier(desc, array)`` at the first forward and fail there."""
    if isinstance(init, type) and issubclass(init, initializer.Initializer):
        raise TypeAssertionError(
            "Parameter '%s': the initializer must be an instance or a name, got the class %s; "
            "write mx.init.%s() (with its arguments) or '%s'"
            % (name, init.__name__, init.__name__, init.__name__.lower()))


# The data accessors raise DeferredInitializationError, defined above: import them only now.
from minigluon.parameter_access import _ParameterAccess  # noqa: E402


class Parameter(_ParameterAccess):
    """A learnable array (weight, bias, running statistic) of a Block.

    Parameters
    ----------
    name : str
        Full name, e.g. ``'dense0_weight'``.
    grad_req : {'write', 'add', 'null'}, default 'write'
    shape : int or tuple of int, optional
        ``0`` marks a dimension to be inferred at the first forward pass.
    dtype : numpy dtype or str, default numpy.float32
    lr_mult, wd_mult : float, default 1.0
        Multipliers of the optimizer's learning rate and weight decay.
    init : Initializer or str, optional
        Initializer of this parameter: wins over the default of ``Block.initialize(init)`` and
        ``ParameterDict.initialize(init)``; ``Parameter.initialize(init)`` overrides it.
    allow_deferred_init : bool, default False
    differentiable : bool, default True
        ``False`` forces ``grad_req='null'`` (e.g. BatchNorm running statistics).
    stype : {'default'}
        Only dense storage is supported; ``'row_sparse'``/``'csr'`` raise NotSupportedError.
    grad_stype : {'default', 'row_sparse'}
        ``'row_sparse'`` (GluonNLP's sampled-softmax and fastText blocks ask for it) is accepted
        and gives a dense gradient, as ``nn.Embedding(sparse_grad=True)`` does: the values are
        MXNet's, but optimizers then update every row, where MXNet's lazy updates leave the rows a
        batch did not touch alone (this differs with weight decay or momentum). ``'csr'`` raises
        NotSupportedError.

    Raises
    ------
    ValueError
        For an invalid ``grad_req`` or storage type name.
    """

    def __init__(self, name, grad_req='write', shape=None, dtype=np.float32, lr_mult=1.0, wd_mult=1.0,
                 init=None, allow_deferred_init=False, differentiable=True, stype='default',
                 grad_stype='default'):
        self._var = None            # the cached symbol variable (see var())
        self._data = None           # one NDArray per context (autograd variables), once initialized
        self._grad = None           # their gradient buffers (None with grad_req='null')
        self._ctx_list = None
        self._ctx_map = None        # context -> index into _data
        self._trainer = None        # MXNet's field; minigluon's Trainer never sets it, but code
        #                             written for MXNet copies it (tests/legacy/p47)
        # a pending initialization: (init, ctx list, default_init, data given by set_data or None),
        # run by _finish_deferred_init once the shape is known; () when none is pending
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        self._shape = _as_shape(shape) if shape is not None else None
        self._list_shape = self._shape if isinstance(shape, list) else None
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for arg, value in (('stype', stype), ('grad_stype', grad_stype)):
            if value not in ('default', 'row_sparse', 'csr'):
                raise ValueError("Parameter '%s': %s must be 'default', 'row_sparse' or 'csr', got %r"
                                 % (name, arg, value))
            if value != 'default' and (arg, value) != ('grad_stype', 'row_sparse'):
                raise NotSupportedError("Parameter '%s': sparse storage (%s=%r) is not supported by "
                                        "minigluon" % (name, arg, value))
        self._stype = stype
        self._grad_stype = 'default'     # a row-sparse gradient is kept dense (see grad_stype above)

    def __getstate__(self):
        """Everything but the cached symbol variable (:meth:`var` makes it again)."""
        state = dict(self.__dict__)
        state['_var'] = None
        return state

    def __setstate__(self, state):
        """Restore a pickled or deep-copied Parameter. Its data arrays become autograd variables
        again, with the gradient buffers (and values) that were saved: a pickled NDArray keeps
        only its values, so without this an unpickled block could not train. MXNet 1.9.1 keeps
        the gradient values but not the marking, and ``backward`` through an unpickled or
        deep-copied block fails there ('Cannot differentiate node because it is not in a
        computational graph')."""
        self.__dict__.update(state)
        if self._data is not None and self._grad is not None:
            autograd.mark_variables(self._data, self._grad, self._grad_req)

    def __repr__(self):
        return 'Parameter {name} (shape={shape}, dtype={dtype})'.format(
            name=self.name, shape=self._shape_as_given(), dtype=self.dtype)

    def _shape_as_given(self):
        """The shape as MXNet 1.9.1 holds it, for the texts made from it (``repr``, the
        variable's ``__shape__``): MXNet keeps the object the parameter was given, so a list
        (``[4, 0, 3, 3]``, the deformable convolutions' weight) while the shape is still that one,
        and a tuple otherwise and once the shape was inferred, loaded or merged. ``shape`` itself
        is always a tuple here."""
        if self._shape is not None and self._shape == getattr(self, '_list_shape', None):
            return list(self._shape)
        return self._shape

    # -- properties -------------------------------------------------------------------------------
    @property
    def grad_req(self):
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ('write', 'add', 'null'):
            # (MXNet 1.9.1 asserts: ValueAssertionError is an AssertionError too)
            raise ValueAssertionError("Parameter '%s': grad_req must be 'write', 'add' or 'null', "
                                      "got %r" % (self.name, req))
        if not self._differentiable:
            req = 'null'
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == 'null' and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        given_list = isinstance(new_shape, list)
        new_shape = _as_shape(new_shape)
        if self._shape is None:
            self._shape = new_shape
            self._list_shape = new_shape if given_list else None
            return
        if len(self._shape) != len(new_shape) or not all(
                old in (0, -1) or old == new for old, new in zip(self._shape, new_shape)):
            # MXNet 1.9.1 asserts "Expected shape <new> is incompatible with given shape <old>",
            # the two shapes named the other way round
            raise ParameterMismatchError(
                "Parameter '%s' has shape %s; the given shape %s is incompatible with it (only "
                "its unknown 0 dimensions can be filled in)" % (self.name, self._shape, new_shape))
        self._shape = new_shape
        self._list_shape = new_shape if given_list else None

    @property
    def stype(self):
        return self._stype

    @property
    def _fresh_grad(self):
        """True when backward wrote a gradient since the flag was last cleared (Trainer's stale check)."""
        return bool(self._data) and any(d._fresh_grad for d in self._data)

    @_fresh_grad.setter
    def _fresh_grad(self, value):
        for d in self._data or ():
            d._fresh_grad = bool(value)

    # -- initialization ---------------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=None, force_reinit=False):
        """Create the data (and gradient buffers) on each context of ``ctx``.

        Parameters
        ----------
        init : Initializer or str, optional
            Overrides ``self.init``.
        ctx : Context or list of Context, optional
            Defaults to ``[current_context()]``.
        default_init : Initializer, default Uniform()
            Used when neither ``init`` nor ``self.init`` is given.
        force_reinit : bool, default False

        Raises
        ------
        ValueError
            When the shape is unknown and deferred initialization is not allowed, or ``ctx`` is
            no Context or list of them (the data held so far is kept).
        TypeAssertionError
            When ``init`` (or ``self.init``, or ``default_init``) is an Initializer class rather
            than an instance (``mx.init.Xavier`` for ``mx.init.Xavier()``; MXNet 1.9.1 asserts
            "initializer must be of string type").
        """
        for given in (init, self.init, default_init):
            _check_not_a_class(given, self.name)
        if default_init is None:
            default_init = initializer.Uniform()
        if self._data is not None and not force_reinit:
            warnings.warn("Parameter '%s' is already initialized, ignoring. Set force_reinit=True to "
                          "re-initialize." % self.name, stacklevel=2)
            return
        ctx = _as_ctx_list(ctx)         # before the data goes: a refused ctx keeps it
        self._data = self._grad = None
        if init is None:
            init = self.init if self.init is not None else default_init
        if not _shape_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError("Cannot initialize Parameter '%s' because it has invalid shape: %s. "
                             "Give every dimension, or create it with allow_deferred_init=True "
                             "(params.get(..., allow_deferred_init=True)) so that its 0 "
                             "dimensions are inferred at the first forward (a HybridBlock's "
                             "hybrid_forward argument) or set (param.shape = ...) before it is used"
                             % (self.name, self.shape))
        self._deferred_init = (init, ctx, default_init, None)
        try:
            self._finish_deferred_init()
        except Exception:
            # an initializer that failed leaves the Parameter uninitialized (data() says so, as
            # in MXNet 1.9.1), not waiting for a deferred initialization that would fail again
            self._deferred_init = ()
            raise

    def _finish_deferred_init(self):
        """Run the recorded initialization now that the shape is known (no-op if none pending).

        See :func:`minigluon.parameter_values.finish_deferred_init`.
        """
        _values.finish_deferred_init(self)

    def _init_impl(self, data, ctx_list):
        """Hold a copy of the NDArray ``data`` on each context of ``ctx_list``, with gradients.
        The copies are published (``_data``) last, once marked for autograd: another thread
        reading the Parameter meanwhile (the first calls of GluonCV's DataParallelModel) finds
        it whole or not yet initialised, never half."""
        ctx_list = list(ctx_list)
        copies = [data.copyto(c) for c in ctx_list]
        self._ctx_map = {c: i for i, c in enumerate(ctx_list)}
        self._ctx_list = ctx_list
        self._init_grad(copies)
        self._data = copies

    def _init_grad(self, data=None):
        """Make zero gradient buffers and mark the data arrays (``data``, default ``_data``) as
        autograd variables."""
        data = self._data if data is None else data
        if self.grad_req == 'null':
            self._grad = None
            return
        self._grad = [zeros(d.shape, ctx=d.context, dtype=d.dtype) for d in data]
        autograd.mark_variables(data, self._grad, self.grad_req)

    def _reduce(self):
        """The mean of all copies, on cpu (what gets saved); see :mod:`minigluon.parameter_values`."""
        return _values.reduce_copies(self)

    def set_data(self, data):
        """Assign ``data`` (an NDArray or NumPy array) to every copy (or keep it for a pending
        deferred initialization).

        The values are stored in the parameter's dtype, whether the parameter holds data already
        or its initialization is deferred. In the deferred case MXNet 1.9.1 fails on a NumPy array
        (``'numpy.ndarray' object has no attribute 'copyto'``, at the first forward) and keeps an
        NDArray of another dtype as it is (a float32 Dense given float64 weights then fails in
        FullyConnected: 'expected float32, got float64').

        Raises
        ------
        TypeError
            When ``data`` is not an array.
        ParameterMismatchError
            When its shape does not fit, or the parameter was never initialized (its shape then
            stays as it was; MXNet 1.9.1 fills it in from ``data`` before it refuses).
        """
        if not isinstance(data, (NDArray, np.ndarray)):
            raise TypeError("Parameter '%s': set_data expects an NDArray or NumPy array, got %s"
                            % (self.name, type(data).__name__))
        if self._data is None and not self._deferred_init:
            raise ParameterMismatchError("Parameter '%s' has not been initialized" % self.name)
        self.shape = data.shape
        if self._data is None:
            if isinstance(data, np.ndarray):
                data = array(data, dtype=self.dtype)
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        for arr in self._data:
            arr[:] = data

    def _check_load(self, data, ctx=None, cast_dtype=False, dtype_source='current', source=None):
        """Raise (changing nothing) if ``data`` cannot be loaded into this parameter."""
        _values.check_load(self, data, ctx, cast_dtype, dtype_source, source)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source='current', source=None):
        """Load ``data`` (an NDArray) into this parameter, initializing it if needed (used by loaders).

        See :func:`minigluon.parameter_values.load_init`.
        """
        _values.load_init(self, data, ctx, cast_dtype, dtype_source, source)

    def zero_grad(self):
        """Set all gradient buffers to 0 (no-op without gradients)."""
        if self._grad is None:
            return
        for g in self._grad:
            g[:] = 0

    def reset_ctx(self, ctx):
        """Move this parameter to ``ctx`` (a Context or list): data is averaged then copied.

        Raises
        ------
        ValueError
            When the parameter was never initialized.
        """
        ctx = _as_ctx_list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError("Cannot reset context for Parameter '%s' because it has not been "
                             "initialized." % self.name)

    def var(self):
        """The symbol variable of this parameter (cached), carrying shape, dtype, lr/wd mult and init.

        The attributes are those of the first call (``cast`` drops the cache). As in MXNet 1.9.1,
        an eager first call that infers deferred shapes makes it before inferring
        (``HybridBlock._deferred_infer_shape``), so ``__shape__`` stays ``'(3, 0)'`` in a later
        export; it is written as MXNet writes it (:meth:`_shape_as_given`: ``'[4, 0, 3, 3]'``
        for a shape given as a list).
        """
        if self._var is None:
            from minigluon import symbol
            self._var = symbol.var(self.name, shape=self._shape_as_given(), dtype=self.dtype, lr_mult=self.lr_mult,
                                   wd_mult=self.wd_mult, init=self.init, stype=self._stype)
        return self._var

    @fp_errors_ignored      # 1e30 cast to float16 is inf silently, as in MXNet
    def cast(self, dtype):
        """Change the dtype of the data and gradients (the autograd variables are re-marked).
        Values a pending deferred initialization holds from :meth:`set_data` take the new dtype
        when the initialization runs (MXNet 1.9.1 keeps their own dtype, so the parameter is
        made in the old one)."""
        self._dtype = dtype
        self._var = None
        if self._data is None:
            return
        np_dtype = np.dtype(dtype)
        self._data = [NDArray(d._data.astype(np_dtype), d.context) for d in self._data]
        if self._grad is None:
            return
        self._grad = [NDArray(g._data.astype(np_dtype), g.context) for g in self._grad]
        autograd.mark_variables(self._data, self._grad, self.grad_req)


class Constant(Parameter):
    """A Parameter holding a fixed value, never updated (``grad_req`` is always ``'null'``).

    Parameters
    ----------
    name : str
    value : array-like or NDArray
        The value; its shape and dtype become the parameter's.
    """

    def __init__(self, name, value):
        if not isinstance(value, NDArray):
            value = array(value)
        self.value = value
        self._const_init = 'Constant_{}_{}'.format(name, id(self))
        self._register_init()
        super().__init__(name, grad_req='null', shape=value.shape, dtype=value.dtype,
                         init=self._const_init)

    def _register_init(self):
        """Register the initializer named ``self._const_init`` that writes ``self.value``."""
        const = self.value

        class _ConstInit(initializer.Initializer):
            def _init_weight(self, _, arr):
                arr[:] = const

        initializer.alias(self._const_init)(_ConstInit)

    def __setstate__(self, state):
        """As :meth:`Parameter.__setstate__`, and the initializer is registered again (it lives
        in the initializer registry, not in the pickle; MXNet 1.9.1 does not, so its unpickled
        Constant cannot be initialized in another process)."""
        super().__setstate__(state)
        self._register_init()

    def __repr__(self):
        return 'Constant {name} (shape={shape}, dtype={dtype})'.format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    @property
    def grad_req(self):
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            warnings.warn('Constant parameter "{}" does not support grad_req other than "null", and '
                          'new value "{}" is ignored.'.format(self.name, req), stacklevel=2)
        self._grad_req = 'null'


# Another library's flag that MXNet 1.9.1's Parameter lacks: reading or setting it names Gluon's
# way (setting it is how that library freezes a parameter; MXNet keeps the attribute and trains on)
_REQUIRES_GRAD = ("set p.grad_req = 'null' to freeze the parameter ('write' trains it), e.g. "
                  "net.collect_params('.*dense0.*').setattr('grad_req', 'null')")
OtherFrameworkFlag.install(Parameter, {'requires_grad': _REQUIRES_GRAD})
OtherFrameworkName.install(Parameter, {'requires_grad_': _REQUIRES_GRAD})


def __getattr__(name):
    # ``from minigluon.parameter import ParameterDict`` works as in MXNet; the class lives in its own
    # module (imported lazily to avoid an import cycle).
    if name == 'ParameterDict':
        from minigluon.parameter_dict import ParameterDict
        return ParameterDict
    raise AttributeError("module 'minigluon.parameter' has no attribute %r" % name)


# The value machinery needs this module's errors and helpers, so it is imported last; the methods
# above look ``_values`` up when called.
from minigluon import parameter_values as _values  # noqa: E402

# MXNet 1.9.1's ``mxnet.gluon.parameter.tensor_types`` (also ``mxnet.gluon.tensor_types``), which
# third-party helpers import to tell arrays from other arguments. Imported last: minigluon.symbol
# reaches this module through the blocks.
from minigluon.symbol import Symbol as _Symbol  # noqa: E402

tensor_types = (_Symbol, NDArray)
