"""Automatic mixed precision (MXNet 1.9.1 ``mxnet.contrib.amp``): run the matrix products in
float16, keep the overflow-prone operators in float32, and scale the loss dynamically.

The training idiom of GluonNLP / GluonCV scripts::

    from minigluon.contrib import amp
    amp.init()                                  # before the model is built
    net = ...; trainer = gluon.Trainer(...)
    amp.init_trainer(trainer)
    with autograd.record():
        loss = loss_fn(net(x), y)
        with amp.scale_loss(loss, trainer) as scaled:
            autograd.backward(scaled)
    trainer.step(batch_size)                    # skipped when a gradient overflowed

:func:`init` wraps the ``nd`` and ``sym`` functions named in :mod:`.lists.symbol_fp16` (and
``nd.contrib`` / ``sym.contrib`` for ``_contrib_`` names) so that their array inputs are cast
first: to float16 for ``FP16_FUNCS`` (FullyConnected, Convolution, Deconvolution, RNN), to float32
for ``FP32_FUNCS`` and the matching ``CONDITIONAL_FP32_FUNCS``, to the widest dtype among them for
``WIDEST_TYPE_CASTS``. Blocks call ``F.<op>``, so eager and hybridized models both get the casts:
NDArrays are cast before the call; a Symbol node gets an ``amp_cast`` on each input but its
auxiliary states (the parameter variables it creates too), a widest-type one ``amp_multicast``
over its inputs, giving MXNet 1.9.1's graphs node for node. :func:`convert_symbol`,
:func:`convert_model` and :func:`convert_hybrid_block` convert a float32 graph after the fact.

Differences from MXNet 1.9.1, all on the CPU, where MXNet's float16 training does not run:

* MXNet's eager casts on a CPU convert only float32 (and bfloat16) arrays, so after
  ``amp.init()`` a float16 activation reaches a float32 operator such as ``softmax`` uncast; here
  float16 and float32 arrays are cast on every device (MXNet's GPU rule).
* MXNet cannot run the backward pass of a float16 FullyConnected layer on the CPU ("only supported
  by CuDNN") and its CPU casts fail for float64 and for float16 (``unknown type for MKL-DNN``);
  here everything runs (NumPy float16).
* ``target_dtype='bfloat16'`` raises: NumPy has no bfloat16 dtype.
* Names in MXNet's lists that minigluon has no operator for (sparse, quantized, ``_v1``...) are
  skipped; NDArray arithmetic (``a + b``) is not wrapped (MXNet's is, through ``nd.op``): use the
  functions (``nd.elemwise_add``) or cast with ``astype`` where dtypes differ.
"""
import contextlib
import logging

import numpy as np

from minigluon.base import MXNetError
from minigluon.contrib.amp import lists
from minigluon.contrib.amp.convert import (  # noqa: F401 (re-exported)
    convert_hybrid_block, convert_model, convert_symbol)
from minigluon.contrib.amp.loss_scaler import LossScaler

__all__ = ['init', 'init_trainer', 'scale_loss', 'unscale', 'convert_model',
           'convert_hybrid_block', 'list_lp16_ops', 'list_fp32_ops', 'list_lp16_fp32_ops',
           'list_conditional_fp32_ops', 'list_widest_type_cast', 'list_loss_output_functions',
           'list_lp16_use_fp32_params', 'convert_symbol']

_FLOAT16 = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)
_CASTABLE = (_FLOAT16, _FLOAT32)

_state = {'initialized': False, 'scaler_taken': False, 'scaler': None, 'target': None}
_originals = []      # (namespace, name, function) replaced by init(), for _restore()

# MXNet 1.9.1 keeps this state in module globals that libraries read (GluonNLP 0.10's attention
# cells test ``amp._amp_initialized`` to pick a float16-safe mask value): read-only views of _state.
_MXNET_GLOBALS = {'_amp_initialized': 'initialized', '_amp_loss_scale_initialized': 'scaler_taken',
                  '_loss_scaler': 'scaler'}


def __getattr__(name):
    """``amp._amp_initialized`` and MXNet's other state globals (see _MXNET_GLOBALS)."""
    if name in _MXNET_GLOBALS:
        return _state[_MXNET_GLOBALS[name]]
    raise AttributeError('module %r has no attribute %r' % (__name__, name))


# -- the operator lists ------------------------------------------------------------------------------

def _target_dtype(target_dtype, caller):
    """``target_dtype`` as a NumPy dtype: float16 only (bfloat16 raises: NumPy has no such dtype)."""
    if isinstance(target_dtype, str) and target_dtype == 'bfloat16':
        raise ValueError("%s: target_dtype='bfloat16' is not supported: NumPy (and so minigluon) "
                         "has no bfloat16 dtype; use 'float16'" % caller)
    try:
        dtype = np.dtype(target_dtype)
    except TypeError:
        dtype = None
    if dtype != _FLOAT16:
        raise ValueError("%s: target_dtype must be 'float16' (MXNet also takes 'bfloat16', which "
                         "NumPy has no dtype for), got %r" % (caller, target_dtype))
    return dtype


def list_lp16_ops(target_dtype):
    """The operators run in float16 (``FP16_FUNCS``)."""
    _target_dtype(target_dtype, 'list_lp16_ops')
    return lists.symbol_fp16.FP16_FUNCS


def list_fp32_ops(target_dtype):
    """The operators run in float32 (``FP32_FUNCS``)."""
    _target_dtype(target_dtype, 'list_fp32_ops')
    return lists.symbol_fp16.FP32_FUNCS


def list_lp16_fp32_ops(target_dtype):
    """The operators that run in the dtype they are given (``FP16_FP32_FUNCS``)."""
    _target_dtype(target_dtype, 'list_lp16_fp32_ops')
    return lists.symbol_fp16.FP16_FP32_FUNCS


def list_conditional_fp32_ops(target_dtype):
    """``(operator, attribute, values)``: float32 for those attribute values."""
    _target_dtype(target_dtype, 'list_conditional_fp32_ops')
    return lists.symbol_fp16.CONDITIONAL_FP32_FUNCS


def list_widest_type_cast(target_dtype):
    """The operators whose inputs are cast to the widest dtype among them."""
    _target_dtype(target_dtype, 'list_widest_type_cast')
    return lists.symbol_fp16.WIDEST_TYPE_CASTS


def list_loss_output_functions(target_dtype):
    """The output layers whose ``grad_scale`` follows the loss scale."""
    _target_dtype(target_dtype, 'list_loss_output_functions')
    return lists.symbol_fp16.LOSS_OUTPUT_FUNCTIONS


def list_lp16_use_fp32_params(target_dtype):
    """Operators whose parameters stay float32 in float16 mode: none for float16 (MXNet 1.9.1
    has such a list for bfloat16 only)."""
    _target_dtype(target_dtype, 'list_lp16_use_fp32_params')
    return None


# -- init(): wrapping the nd and sym functions ---------------------------------------------------------

def _namespaces(module_name):
    """``(module, contrib module)`` for ``'nd'`` or ``'sym'``."""
    if module_name == 'nd':
        from minigluon import ndarray as module
    else:
        from minigluon import symbol as module
    return module, module.contrib


def _lookup(name, module, contrib):
    """``(namespace, function name)`` of the operator ``name`` in ``module``, or None when
    minigluon has no such function (``_contrib_x`` is ``contrib.x``)."""
    if name.startswith('_contrib_'):
        space, short = contrib, name[len('_contrib_'):]
    else:
        space, short = module, name
    return (space, short) if callable(getattr(space, short, None)) else None


def _is_array(x):
    from minigluon.ndarray import NDArray
    from minigluon.symbol import Symbol
    return isinstance(x, (NDArray, Symbol))


def _cast(x, dtype):
    """``x`` cast to ``dtype`` with ``amp_cast`` when it is a float16 or float32 NDArray of
    another dtype; anything else as is."""
    from minigluon import ndarray as nd
    if isinstance(x, nd.NDArray) and np.dtype(x.dtype) in _CASTABLE and np.dtype(x.dtype) != dtype:
        return nd.amp_cast(x, dtype=dtype.name)
    return x


def _casting(f, dtype, cond=None):
    """``f`` with its array inputs cast to ``dtype``; with ``cond = (attribute, values)`` only
    when the call's ``attribute`` keyword is one of ``values``. NDArray arguments are cast before
    the call; a Symbol is built first and then every input of its node but the auxiliary states
    gets an ``amp_cast`` (the parameter variables it created too), as MXNet's wrapper does."""
    def wrapped(*args, **kwargs):
        if cond is not None and kwargs.get(cond[0]) not in cond[1]:
            return f(*args, **kwargs)
        from minigluon.symbol import Symbol
        if any(isinstance(a, Symbol) for a in list(args) + list(kwargs.values())):
            return _cast_node_inputs(f(*args, **kwargs), dtype)
        args = [_cast(a, dtype) for a in args]
        kwargs = {k: _cast(v, dtype) for k, v in kwargs.items()}
        return f(*args, **kwargs)
    return _named_like(wrapped, f)


def _cast_node_inputs(sym, dtype):
    """The Symbol ``sym`` (one operator node) rebuilt with ``amp_cast`` to ``dtype`` on each
    input that is not an auxiliary state (those the operator writes, as BatchNorm's statistics)."""
    from minigluon.symbol import Symbol, amp_cast
    node = sym._outputs[0][0]
    inputs = []
    for i, (src, idx, version) in enumerate(node.inputs):
        if i in node.mutate:
            inputs.append((src, idx, version))
        else:
            cast = amp_cast(Symbol([(src, idx)]), dtype=dtype.name)
            inputs.append((cast._outputs[0][0], 0, 0))
    new = node.clone(inputs)
    return Symbol([(new, idx) for _, idx in sym._outputs])


def _widest(f, target):
    """``f`` with its array arguments brought to one dtype: Symbols through one
    ``amp_multicast``; NDArrays of the target dtype cast to float32 when another one is float32."""
    def wrapped(*args, **kwargs):
        from minigluon.symbol import Symbol, amp_multicast
        args = list(args)
        slots = [(args, i) for i, a in enumerate(args) if _is_array(a)]
        slots += [(kwargs, k) for k, v in kwargs.items() if _is_array(v)]
        values = [holder[key] for holder, key in slots]
        if any(isinstance(v, Symbol) for v in values):
            if len(values) > 1:
                casted = amp_multicast(*values, num_outputs=len(values))
                for (holder, key), c in zip(slots, casted):
                    holder[key] = c
        elif any(np.dtype(v.dtype) == _FLOAT32 for v in values):
            for holder, key in slots:
                if np.dtype(holder[key].dtype) == target:
                    holder[key] = _cast(holder[key], _FLOAT32)
        return f(*args, **kwargs)
    return _named_like(wrapped, f)


def _loss_scaling(f, scaler):
    """``f`` (an NDArray output layer) with ``grad_scale`` multiplied by the current loss scale."""
    def wrapped(*args, **kwargs):
        kwargs['grad_scale'] = kwargs.get('grad_scale', 1.0) * scaler.loss_scale
        return f(*args, **kwargs)
    return _named_like(wrapped, f)


def _named_like(wrapped, f):
    wrapped.__name__ = getattr(f, '__name__', 'amp_wrapped')
    wrapped.__doc__ = f.__doc__
    wrapped.__wrapped__ = f
    return wrapped


def _replace(space, name, make):
    """Replace ``space.name`` by ``make(original)`` and remember the original (for _restore)."""
    original = getattr(space, name)
    _originals.append((space, name, original))
    setattr(space, name, make(original))


def init(target_dtype='float16', target_precision_ops=None, conditional_fp32_ops=None,
         fp32_ops=None):
    """Turn AMP on: wrap the ``nd`` and ``sym`` operator functions (see the module docstring) and
    make the loss scaler that the first :func:`init_trainer` takes. Call it before the model is
    built; a second call does nothing (as in MXNet).

    Parameters
    ----------
    target_dtype : 'float16'
        The low-precision dtype (``'bfloat16'`` raises ValueError: NumPy has no such dtype).
    target_precision_ops : list of str, optional
        The operators to run in float16 instead of ``FP16_FUNCS``.
    conditional_fp32_ops : list of (str, str, list of str), optional
        Instead of ``CONDITIONAL_FP32_FUNCS``: ``(operator, attribute, values)``.
    fp32_ops : list of str, optional
        The operators to run in float32 instead of ``FP32_FUNCS``.
    """
    if _state['initialized']:
        return
    target = _target_dtype(target_dtype, 'amp.init')
    fp16 = lists.symbol_fp16
    plans = [(name, lambda f: _casting(f, target))
             for name in (fp16.FP16_FUNCS if target_precision_ops is None
                          else target_precision_ops)]
    plans += [(name, lambda f: _casting(f, _FLOAT32))
              for name in (fp16.FP32_FUNCS if fp32_ops is None else fp32_ops)]
    for name, attr, values in (fp16.CONDITIONAL_FP32_FUNCS if conditional_fp32_ops is None
                               else conditional_fp32_ops):
        plans.append((name, lambda f, c=(attr, tuple(values)): _casting(f, _FLOAT32, c)))
    plans += [(name, lambda f: _widest(f, target)) for name in fp16.WIDEST_TYPE_CASTS]
    scaler = LossScaler()
    for module_name in ('nd', 'sym'):
        module, contrib = _namespaces(module_name)
        for name, make in plans:
            found = _lookup(name, module, contrib)
            if found is not None:
                _replace(found[0], found[1], make)
    from minigluon import ndarray as nd
    for name in fp16.LOSS_OUTPUT_FUNCTIONS:
        if callable(getattr(nd, name, None)):
            _replace(nd, name, lambda f: _loss_scaling(f, scaler))
    _state.update(initialized=True, scaler=scaler, target=target)
    logging.info('Using AMP')


def _restore():
    """Undo :func:`init` (for tests; MXNet has no way back): the original functions return and
    the next :func:`init` starts afresh."""
    while _originals:
        space, name, original = _originals.pop()
        setattr(space, name, original)
    _state.update(initialized=False, scaler_taken=False, scaler=None, target=None)


# -- loss scaling with a Trainer ---------------------------------------------------------------------

def _check_trainer(optimizer_or_trainer, caller):
    from minigluon import optimizer as opt
    from minigluon.trainer import Trainer
    if isinstance(optimizer_or_trainer, Trainer):
        return optimizer_or_trainer
    if isinstance(optimizer_or_trainer, opt.Optimizer):
        raise TypeError('%s: AMP works with a gluon Trainer, not an Optimizer (as in MXNet 1.9.1); '
                        'make a Trainer over the parameters' % caller)
    raise TypeError('%s: optimizer_or_trainer must be a gluon Trainer, got %s'
                    % (caller, type(optimizer_or_trainer).__name__))


def init_trainer(optimizer_or_trainer):
    """Give ``trainer`` dynamic loss scaling: the first trainer takes the scaler :func:`init`
    made, later ones a new :class:`LossScaler` each (as MXNet 1.9.1). ``trainer.step`` then checks
    the gradients first and skips the whole update when one holds an inf or NaN.

    Raises
    ------
    MXNetError
        When :func:`init` was not called (MXNet fails an assertion).
    TypeError
        For an Optimizer or anything that is not a Trainer (as MXNet).
    """
    trainer = _check_trainer(optimizer_or_trainer, 'amp.init_trainer')
    if not _state['initialized']:
        raise MXNetError('amp.init_trainer: AMP is not initialized; call amp.init() first')
    if _state['scaler_taken']:
        scaler = LossScaler()
    else:
        _state['scaler_taken'] = True
        scaler = _state['scaler']
    trainer._amp_loss_scaler = scaler
    trainer._amp_original_scale = trainer._scale


@contextlib.contextmanager
def scale_loss(loss, optimizer_or_trainer):
    """Context manager: yields ``loss`` (an NDArray, or a list/tuple of them: a list back)
    multiplied by the current loss scale, and sets the trainer's ``_scale`` to
    ``original scale / loss scale`` so that ``trainer.step`` divides it back out. Use it inside
    ``autograd.record()`` and call ``autograd.backward`` on what it yields.

    Raises
    ------
    MXNetError
        When the trainer has no loss scaler (:func:`init_trainer` was not called).
    """
    trainer = optimizer_or_trainer
    scaler = getattr(trainer, '_amp_loss_scaler', None)
    if scaler is None:
        raise MXNetError('amp.scale_loss: the trainer has no loss scaler; call '
                         'amp.init_trainer(trainer) first')
    trainer._scale = trainer._amp_original_scale / scaler.loss_scale
    if isinstance(loss, (list, tuple)):
        yield [part * scaler.loss_scale for part in loss]
    else:
        yield scaler.loss_scale * loss


def unscale(optimizer_or_trainer):
    """Divide the loss scale out of the trainer's gradients now (multiply them by its ``_scale``)
    and set ``_scale`` to 1, e.g. before clipping gradients by their norm. The gradients of every
    context are unscaled."""
    trainer = _check_trainer(optimizer_or_trainer, 'amp.unscale')
    for param in trainer._params:
        if param._grad is not None:
            for grad in param._grad:
                grad[:] *= trainer._scale
    trainer._scale = 1.0
