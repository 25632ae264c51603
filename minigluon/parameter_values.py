"""Where a Parameter's values come from and go to: its initializer, a saved file, a saved copy.

- :func:`finish_deferred_init` runs the recorded initialization once the shape is known (at once
  from ``Parameter.initialize``, or at the first forward pass when it was deferred);
- :func:`check_load` and :func:`load_init` put a loaded array into a Parameter (used by
  ``ParameterDict.load`` and ``Block.load_parameters``), checking shape, dtype and contexts first;
- :func:`reduce_copies` is what gets saved: the mean of the per-context copies, on cpu.

Semantics follow ``mxnet.gluon.parameter`` (MXNet 1.9.1). The ``Parameter`` methods
``_finish_deferred_init``, ``_check_load``, ``_load_init`` and ``_reduce`` call these functions;
the class itself lives in :mod:`minigluon.parameter`.
"""
import threading

import numpy as np

from minigluon import autograd, initializer
from minigluon.base import ValueAssertionError
from minigluon.context import cpu
from minigluon.ndarray import NDArray, zeros
from minigluon.parameter import ParameterMismatchError, _as_ctx_list, _shape_known

#: Serialises deferred initializations (see :func:`finish_deferred_init`); reentrant, as an
#: initializer may touch other Parameters.
_DEFERRED_INIT_LOCK = threading.RLock()


def finish_deferred_init(param):
    """Run ``param``'s recorded initialization now that its shape is known (no-op if none pending).

    One thread at a time (:data:`_DEFERRED_INIT_LOCK`), and the pending record is cleared only
    once the data is in place: threads making the first calls of a block together (GluonCV's
    DataParallelModel) initialise each Parameter once, and none reads it half-initialised.

    Raises
    ------
    ValueError
        When the shape still has unknown (``0``) dimensions.
    """
    if not param._deferred_init:
        return
    with _DEFERRED_INIT_LOCK:
        if param._deferred_init:        # not done by another thread meanwhile
            _run_deferred_init(param)


def _run_deferred_init(param):
    """The body of :func:`finish_deferred_init`, its lock held."""
    init, ctx, default_init, data = param._deferred_init
    if not _shape_known(param.shape):
        raise ValueError("Cannot initialize Parameter '%s' because it has invalid shape: %s. "
                         "Please specify in_units, in_channels, etc for `Block`s."
                         % (param.name, param.shape))
    with autograd.pause():
        if data is None:
            data = zeros(param.shape, dtype=param.dtype, ctx=cpu())
            desc_name = initializer.InitDesc(param.name, {'__init__': init})
            if isinstance(init, (str, initializer.Initializer)):
                if isinstance(default_init, (str, initializer.Initializer)):
                    dispatcher = initializer.create(default_init)
                elif isinstance(default_init, initializer.Load):
                    # asked about every Parameter, those with their own init too, as MXNet's
                    # initializers are: it loads the Parameter when the name is among its arrays
                    # (a bias, BatchNorm's running statistics), else the own init in
                    # desc_name's '__init__' wins
                    dispatcher = default_init
                else:
                    dispatcher = initializer.Initializer()
                dispatcher(desc_name, data)
            else:   # Mixed, Load or a plain callable
                init(initializer.InitDesc(param.name), data)
        elif param.dtype is not None and np.dtype(data.dtype) != np.dtype(param.dtype):
            # values kept by set_data while the shape was pending are stored in the
            # Parameter's dtype as set_data stores them once there is data: an NDArray of
            # another dtype, or a cast() since (MXNet 1.9.1 keeps the array's own dtype, so
            # that data().dtype differs from .dtype and the first call fails on the mix)
            data = NDArray(data._data.astype(np.dtype(param.dtype)), data.context)
        param._init_impl(data, ctx)
    param._deferred_init = ()


def check_load(param, data, ctx=None, cast_dtype=False, dtype_source='current', source=None):
    """Raise (changing nothing) if ``data`` cannot be loaded into the Parameter ``param``.

    The checks, in order: ``data`` is an array (not a legacy "none" array); ``dtype_source`` is
    ``'current'`` or ``'saved'``; the saved shape fits the Parameter's (same rank, each known
    dimension equal; ``0``/``-1`` is unknown); the dtypes agree unless ``cast_dtype``; a given
    ``ctx`` is the one the Parameter is (or will be) initialized on. ``source`` is the file
    name the messages give.

    Raises
    ------
    ParameterMismatchError
        On any mismatch, naming the Parameter, the file, expected and saved.
    ValueError
        For another ``dtype_source`` (a ``ValueAssertionError``, also the ``AssertionError``
        MXNet 1.9.1 raises).
    """
    where = " from file '%s'" % source if source else ' from saved params'
    if data is None:     # a legacy "none" array (serialization.loads): nothing to load
        raise ParameterMismatchError("Failed loading Parameter '%s'%s: the saved value is an empty "
                                     "(\"none\") array" % (param.name, where))
    if dtype_source not in ('current', 'saved'):
        # MXNet 1.9.1 asserts it (AssertionError), and only with cast_dtype=True; a misspelt value
        # is refused here whatever cast_dtype is
        raise ValueAssertionError("dtype_source must be 'current' or 'saved', got %r"
                                  % (dtype_source,))
    if param.shape:
        if len(param.shape) != len(data.shape) or not all(
                s in (0, -1, d) for s, d in zip(param.shape, data.shape)):
            raise ParameterMismatchError(
                "Failed loading Parameter '%s'%s: shape incompatible expected %s vs saved %s"
                % (param.name, where, param.shape, data.shape))
    if param.dtype is not None and not cast_dtype and np.dtype(param.dtype) != np.dtype(data.dtype):
        raise ParameterMismatchError(
            "Failed loading Parameter '%s'%s: dtype incompatible expected %s vs saved %s. Set "
            "cast_dtype=True to cast the dtype of saved params."
            % (param.name, where, np.dtype(param.dtype).name, np.dtype(data.dtype).name))
    if ctx is not None:
        ctx = _as_ctx_list(ctx)
        current = param._deferred_init[1] if param._data is None and param._deferred_init else (
            param._ctx_list if param._data is not None else None)
        if current is not None and set(ctx) != set(current):
            raise ParameterMismatchError("Failed to load Parameter '%s' on %s because it was "
                                         "previously initialized on %s." % (param.name, ctx, current))


def load_init(param, data, ctx, cast_dtype=False, dtype_source='current', source=None):
    """Load ``data`` (an NDArray) into ``param``, initializing it if needed (used by loaders).

    Unknown shape dimensions are filled from ``data``; with ``cast_dtype`` the data is converted to
    the parameter's dtype (``dtype_source='current'``) or the parameter takes the saved dtype
    (``'saved'``).

    Raises
    ------
    ParameterMismatchError
        On a shape, dtype or context mismatch (nothing is changed).
    """
    param._check_load(data, ctx, cast_dtype, dtype_source, source)   # (again: model.py calls this alone)
    if param.shape:
        param._shape = tuple(s if s not in (0, -1) else d for s, d in zip(param.shape, data.shape))
    else:
        param._shape = tuple(data.shape)
    if param.dtype is not None and np.dtype(param.dtype) != np.dtype(data.dtype):
        if dtype_source == 'current':
            data = NDArray(data._data.astype(np.dtype(param.dtype)), data.context)
        else:
            param.cast(data.dtype)
    elif param.dtype is None:
        param._dtype = data.dtype
    if param._data is None:
        if param._deferred_init:
            ctx = param._deferred_init[1]
        elif ctx is None:
            ctx = [cpu()]
        param._init_impl(data, _as_ctx_list(ctx))
    else:
        param.set_data(data)
    param._deferred_init = ()


def reduce_copies(param):
    """The mean of ``param``'s per-context copies, on cpu (what gets saved)."""
    block = param.list_data()
    if len(block) == 1:
        return block[0].copyto(cpu())
    total = block[0].copyto(cpu())
    for w in block[1:]:
        total._data = total._data + w.copyto(cpu())._data
    return NDArray((total._data / len(block)).astype(total._data.dtype), cpu())
