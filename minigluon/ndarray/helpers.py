"""Helpers of :func:`~minigluon.ndarray.dispatch.invoke` and ``NDArray`` that need no NDArray.

- :func:`_move`: a raw NumPy/CuPy array placed on a context (host copy or device transfer);
- :func:`_parse_ctx`: the Context named by an operator's ``ctx`` attribute (samplers);
- :func:`_name_the_operator`: an operator's error re-worded to name the operator and its inputs,
  and typed as an ``MXNetError`` too (as MXNet reports every operator failure).

They live here so that :mod:`minigluon.ndarray.ndarray` stays short; that module re-exports
``_move``, so ``from minigluon.ndarray.ndarray import _move`` keeps working.
"""
from minigluon import backend
from minigluon.base import MXNetError, as_mxnet_error
from minigluon.context import Context


def _move(data, ctx, copy=False):
    """Move a raw array onto ``ctx`` (NumPy for CPU contexts, CuPy for GPU ones)."""
    xp = ctx.xp
    if ctx.is_gpu:
        with xp.cuda.Device(ctx.device_id):
            return xp.array(data, copy=True) if copy else xp.asarray(data)
    host = backend.to_numpy(data)
    return host.copy() if copy else host


def _parse_ctx(value):
    """A Context from an operator's ``ctx`` attribute (``''``, ``'cpu(0)'``, ``'gpu(1)'`` or a Context)."""
    if not value:
        return None
    if isinstance(value, Context):
        return value
    text = str(value).strip()
    dev, _, rest = text.partition('(')
    try:
        return Context(dev, int(rest.rstrip(')') or 0))
    except ValueError:
        raise ValueError("ctx must look like 'cpu(0)' or 'gpu(1)', got %r" % (value,)) from None


def _name_the_operator(op, err, raws):
    """``err`` re-worded to name the operator and its inputs, unless its message already does,
    as an exception that is also an ``MXNetError`` (:func:`minigluon.base.as_mxnet_error`: a plain
    ``ValueError`` becomes ``MXNetValueError``...). Other exception types come back unchanged.

    NumPy's own errors (``operands could not be broadcast together``, ``zero-size array to
    reduction operation``) otherwise reach the user without saying which operator failed.
    """
    kind = type(err)
    if kind not in (ValueError, IndexError, TypeError):
        # NumPy's (and CuPy's) own subclasses (AxisError, LinAlgError, UFuncTypeError) as the
        # class they extend; other subclasses (MXNetError, a custom operator's) are kept
        if isinstance(err, MXNetError) or not kind.__module__.startswith(('numpy', 'cupy')):
            return err
        kind = next(k for k in (ValueError, IndexError, TypeError) if isinstance(err, k))
    message = str(err)
    if op.name and (message.startswith(op.name) or op.name + ':' in message):
        return as_mxnet_error(err if type(err) is kind else kind(message))
    names = op.list_arguments() if op.arguments is not None or hasattr(op, 'num_args') else []
    names = list(names) + ['arg%d' % i for i in range(len(names), len(raws))]
    desc = ', '.join('%s%s %s' % (n, tuple(a.shape), a.dtype) for n, a in zip(names, raws)
                     if hasattr(a, 'shape'))
    return as_mxnet_error(kind('%s: %s (inputs: %s)' % (op.name, message, desc or 'none')))
