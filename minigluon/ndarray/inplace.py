"""In-place writes into NDArrays while autograd records: what is recorded, what raises.

A recorded operator's backward may read its inputs later, so overwriting an array of the recorded
graph would silently change gradients. The rules (MXNet 1.9.1's, except where noted):

* writing in place (``x[...] = v``, ``out=``, ``copyto``, ``+=``) into an array that is **in the
  graph** (an output of a recorded operator, a comparison or other operator without a gradient
  included, a variable with ``attach_grad``, or a plain array that a recorded operator read:
  see :class:`minigluon.autograd.Node`) raises MXNetError, as in MXNet (which writes first and
  raises after: the array has changed; here it has not);
* ``x[:] = x`` and ``x.copyto(x)`` do nothing, as in MXNet (whose ``copyto`` warns);
  exception: ``loss += l`` where ``loss`` is an operator output is recorded as ``loss + l`` and the
  name is rebound to the new array (MXNet raises; accumulating a loss this way is common);
* writing a value that is in the graph into a plain array: ``x[:] = y``, ``out=`` and ``copyto``
  are recorded as a copy (``x`` joins the graph, as MXNet's ``_copy``); ``x += y`` is recorded as
  ``x + y`` into ``x`` (MXNet raises here, as for ``loss += l`` above: ``total += l.sum()`` into
  a plain ``nd.zeros`` is the same habit); a write into **part** of an array (``x[1:] = y``) or into a **view**
  (``x[1] += y``) raises, since the array it belongs to would change without a gradient (MXNet
  raises too);
* a copy onto **another context** (``copyto(ctx)``, ``as_in_context(ctx)``, ``copyto`` or
  ``x[:] = y`` into an array on another context) is recorded as MXNet's ``_copyto``: the
  gradient comes back to the source's context (:func:`copy_to_context`);
* anything else (no recording, or no array of the graph involved) is a plain NumPy/CuPy write.

:mod:`minigluon.ndarray.ndarray` calls these from ``__setitem__``, ``copyto``, ``__iadd__``...
"""
import numpy as np

from minigluon import backend
from minigluon._fp_errors import fp_errors_ignored
from minigluon.autograd import Node, _join_inputs, is_recording, needs_grad
from minigluon.base import MXNetError, MXNetValueError
from minigluon.ndarray.helpers import _move
from minigluon.ndarray.indexing import whole_selection
from minigluon.ndarray.ndarray import NDArray, call_op


def _in_graph(array):
    """True for an array of the recorded graph: on the tape, a variable, a plain array that a
    recorded operator read (``_joined``), or the output of an operator without a gradient
    applied to those (``x > 0``, ``argmax``: MXNet records these operators too, so their outputs
    are in its graph)."""
    if array._joined or needs_grad(array):
        return True
    return array._zero_src is not None and any(needs_grad(a) for a in array._zero_src)


def check_write(array, what):
    """Raise MXNetError when ``array`` is in the recorded graph while autograd records."""
    if is_recording() and _in_graph(array):
        raise MXNetError(
            '%s: cannot write in-place to an array that is already in the recorded computational '
            'graph (an output of a recorded operator, an array with attach_grad, an array '
            'that a recorded operator read, or a gradient buffer given to '
            'autograd.mark_variables, such as a Parameter\'s grad()) while autograd is '
            'recording: its gradients would be '
            'wrong. Write to a new array instead (y = y + 1, nd.where, ...), or do it outside '
            'the record() section or after backward' % what)


def record_into(target, result):
    """Make ``target`` hold the recorded ``result``: its values, and its place in the graph."""
    target._data[...] = result._data
    target._entry = result._entry
    return target


class _ContextCopy:
    """The tape's record of a copy onto another context (MXNet's ``_copyto`` between devices):
    its backward moves the output's gradient back to the source's context."""

    name = '_copyto'

    def __init__(self, src_ctx):
        self.src_ctx = src_ctx

    def backward(self, xp, grad):
        return (_move(grad, self.src_ctx, copy=True),)


def copy_to_context(src, ctx):
    """A copy of ``src`` on the context ``ctx`` (another than ``src``'s), recorded while autograd
    records: as a node whose gradient goes back to ``src``'s context when ``src`` is on the tape
    or wants a gradient (MXNet 1.9.1 records its ``_copyto`` too; minigluon used to drop the
    gradient there), else hanging off ``src`` as any operator's output (see
    :func:`minigluon.ndarray.dispatch._zero_path`)."""
    out = NDArray(_move(src._data, ctx, copy=True), ctx)
    if is_recording():
        if needs_grad(src):
            node = Node(_ContextCopy(src._ctx), [src], [(out._data.shape, out._data.dtype)],
                        out._xp)
            _join_inputs([src])
            out._entry = (node, 0)
        else:
            from minigluon.ndarray.dispatch import _zero_path
            _zero_path([src], [out])
    return out


def recorded_setitem(array, key, value):
    """``array[key] = value`` under the rules above; returns False when it is a plain write that
    the caller still has to do."""
    if value is array and whole_selection(key, array.shape):
        return True         # x[:] = x: nothing to do (MXNet skips it too)
    check_write(array, 'NDArray.__setitem__')
    if not (isinstance(value, NDArray) and needs_grad(value) and is_recording()):
        return False
    if not whole_selection(key, array.shape):
        raise MXNetError(
            'NDArray.__setitem__: writing an array of the recorded graph into part of another '
            'array (x[idx] = y, x[idx] += y) is not recorded while autograd is recording, so '
            'the gradient of y would be lost (MXNet 1.9.1 raises too). Build the result with '
            'operators instead (nd.concat, nd.where, slice_assign outside record, ...)')
    src = value        # x[:] = y: a recorded copy (y broadcast, cast to x's dtype), as MXNet's copyto
    if src._ctx != array._ctx:
        src = copy_to_context(src, array._ctx)
    if src.shape != array.shape:
        if src.ndim < array.ndim:
            src = src.reshape((1,) * (array.ndim - src.ndim) + src.shape)
        src = call_op('broadcast_to', src, shape=array.shape)
    record_into(array, call_op('_copy', src if src.dtype == array.dtype else src.astype(array.dtype)))
    return True


@fp_errors_ignored      # x /= 0 gives inf silently, as the out-of-place operator (and MXNet)
def inplace_arith(array, other, fn, recorded, reads_left=True):
    """``array op= other``: ``fn(raw, raw_other)`` in place, or ``recorded(array, other)`` (the
    out-of-place operator) when the rules above record it. Returns what the name is bound to.
    ``reads_left``: whether the operator's backward reads its left operand (``*``, ``/``, ``%``;
    not ``+``, ``-``), so that recording into a plain array must keep a copy of its old values.

    A NumPy (CuPy) ``other`` counts as an NDArray on ``array``'s context, so a shape that does
    not fit is the same clear error (it was NumPy's "non-broadcastable output operand")."""
    if backend.is_array(other):
        other = NDArray(array._xp.asarray(other), array._ctx)
    if is_recording():
        if array._entry is None and (array._joined or (
                array._grad is not None and array._grad_req != 'null')):
            check_write(array, 'in-place arithmetic')     # a variable, or a joined plain array
        if array._entry is not None:
            return recorded(array, other)          # loss += l: a new array, the name rebound
        if isinstance(other, NDArray) and needs_grad(other):
            if getattr(array._data, 'base', None) is not None:
                raise MXNetError(
                    'in-place arithmetic: this array is a view of another array (x[i], a '
                    'slice, a reshape); recording into it while autograd is recording would '
                    'change the other array without its gradient. Use a new array instead '
                    '(v = v + y); MXNet 1.9.1 raises too')
            # The operator reads a stand-in for the old ``array``, whose node ``array`` is about
            # to become (its own input otherwise). record_into overwrites the values: where the
            # backward reads them (x *= y: the gradient of y is the old x) the stand-in holds a
            # copy; x += y shares them (a copy of a large x would double its memory for nothing)
            _check_fits(array, other)
            before = NDArray(array._data.copy() if reads_left else array._data, array._ctx)
            return record_into(array, recorded(before, other))
    _check_fits(array, other)
    if _numpy_inplace_ok(array, other):
        fn(array._data, other._data if isinstance(other, NDArray) else other)
    else:   # the operator's own dtype rule (int32 += 2.7 adds 2, as MXNet), written back in place
        array._data[...] = recorded(array, other)._data
    return array


def _check_fits(array, other):
    """Raise MXNetValueError when ``other`` does not broadcast to ``array``'s shape."""
    if isinstance(other, NDArray) and other.shape != array.shape:
        full = _broadcast_shape(array.shape, other.shape)
        if full != array.shape:
            raise MXNetValueError(
                'in-place arithmetic: the right operand of shape %s %s the left operand of shape '
                '%s, which an in-place operation cannot change; write x = x + y instead'
                % (other.shape, 'does not broadcast with' if full is None else
                   'broadcasts to %s, bigger than' % (full,), array.shape))


def _broadcast_shape(a, b):
    """The broadcast shape of shapes ``a`` and ``b``, or None when they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _numpy_inplace_ok(array, other):
    """True where NumPy's in-place operator gives the operator's result: same dtypes, or a float
    array with a number. An integer array meets a float (NumPy refuses to cast back) or a number
    (MXNet first converts it to the array's dtype) through the operator instead, and so does a
    Python int beyond int64 and uint64 (``x += 2**70``): NumPy 1.26 makes it an object operand
    and refuses to write the result into a float array (NumPy 2 converts it to the array's
    dtype); the operator gives the same result on both."""
    kind = array._data.dtype.kind
    if isinstance(other, NDArray):
        return other._data.dtype == array._data.dtype and kind == 'f'
    if isinstance(other, int) and not -(1 << 63) <= other < (1 << 64):
        return False
    return kind == 'f'

