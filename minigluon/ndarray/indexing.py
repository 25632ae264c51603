"""Indexing an NDArray: ``x[key]`` (recorded for autograd) and ``x[key] = value`` (in place).

- :func:`_index_key` normalises a key: NDArray and list indices become integer (or boolean) arrays
  of the data's array module, everything else (ints, slices, ``Ellipsis``, ``None``) passes through;
- :class:`_GetItem` is the internal operator behind ``NDArray.__getitem__``, with its gradient;
- :func:`setitem` is the body of ``NDArray.__setitem__`` (a plain write, not recorded, as in MXNet).

Semantics follow MXNet 1.9.1's legacy (non-``np``) NDArray indexing (a basic index with a
contiguous result is a view sharing memory, anything else a copy), except for boolean masks:
a boolean NumPy array or list selects like NumPy (``x[np.array([True, False, True])]`` is rows 0
and 2), where MXNet 1.9.1 silently reads it as the integer indices ``[1, 0, 1]`` (and refuses a
boolean NDArray); minigluon keeps the mask meaning. ``NDArray`` itself lives in
:mod:`minigluon.ndarray.ndarray`, which imports this module at its end (this one needs the class).
"""
import numbers

import numpy as np

from minigluon import backend
from minigluon._fp_errors import fp_errors_ignored
from minigluon.base import MXNetIndexError, MXNetIndexValueError, MXNetValueError, describe_value
from minigluon.ndarray.helpers import _move
from minigluon.ndarray.ndarray import NDArray
from minigluon.ops.elemwise import fill_value, is_real_number
from minigluon.ops.registry import Op


def _index_part(k, xp):
    if isinstance(k, (float, complex, str, bytes, np.floating, np.complexfloating)):
        # NumPy's IndexError, and MXNet 1.9.1's ValueError ("does not support slicing with key")
        raise MXNetIndexValueError(
            'NDArray index: %r (%s) is no index; use integers, slices (`:`), ellipsis (`...`), '
            'None, or integer or boolean arrays' % (k, type(k).__name__))
    if isinstance(k, NDArray):
        k = k._data
    elif isinstance(k, list):
        try:
            arr = np.asarray(k)
        except ValueError:      # ragged nesting
            arr = None
        if arr is None or arr.dtype.kind not in 'biuf':
            raise TypeError('NDArray index: a list in an index must hold numbers (integer '
                            'indices, or booleans as a mask), got %r; use a tuple for several '
                            'axes: x[0:2, 1], not x[[slice(0, 2), 1]]' % (k,))
        k = arr
    if backend.is_array(k):
        if k.dtype != np.bool_:
            k = k.astype(np.int64)
        return xp.asarray(k) if backend.get_array_module(k) is not xp else k
    return k


def _index_key(key, xp):
    """Normalise an indexing key: NDArrays and lists become integer/boolean arrays of ``xp``."""
    if isinstance(key, tuple):
        return tuple(_index_part(k, xp) for k in key)
    return _index_part(key, xp)


def _check_index_arrays(key):
    """Raise MXNetValueError when the integer index arrays of ``key`` do not broadcast together
    (a ``ValueError``, as MXNet 1.9.1's; NumPy raises ``IndexError``). Called once indexing
    has failed, so that a good key costs nothing."""
    keys = key if isinstance(key, tuple) else (key,)
    shapes = [k.shape for k in keys if backend.is_array(k) and k.dtype != np.bool_]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise MXNetValueError('NDArray index: the integer index arrays of shapes %s do not '
                              'broadcast together' % ', '.join(str(tuple(s)) for s in shapes)
                              ) from None


@fp_errors_ignored      # NaN or a huge value cast to the array's dtype: silent, as in MXNet
def setitem(array, key, value):
    """Write ``value`` (scalar, NDArray or array, broadcast) into ``array[key]``; not recorded.

    A value that fits the selection only without the key's ``None`` axes is written there (MXNet
    1.9.1 ignores ``None`` in a written key), and a NumPy value of the whole array's shape into a
    key that selects all of it (``x[:, 0] = v`` for ``x`` and ``v`` of shape (4, 1)) fills the
    array, as in MXNet. An advanced index writes where
    reading it selects: negative positions count from the end and positions out of range raise
    IndexError (MXNet 1.9.1 writes nothing at a negative position, or corrupts memory, and skips
    positions out of range silently).

    Raises
    ------
    MXNetValueError
        When ``value`` cannot be broadcast to the selection's shape (a ``ValueError`` and an
        ``MXNetError``, as MXNet's).
    """
    key = _index_key(key, array._xp)
    if not _value_like(value):
        # (a str or bytes raised NumPy's "could not convert string to float" ValueError, a
        # complex number a TypeError about __trunc__; MXNet 1.9.1 raises TypeError)
        raise TypeError('NDArray.__setitem__: the value must be a number, an NDArray, a NumPy '
                        'array or a (nested) list of numbers, got %s'
                        % describe_value(value))
    if isinstance(value, NDArray):
        val = value._data if value._ctx == array._ctx else _move(value._data, array._ctx)
    elif isinstance(value, numbers.Number):
        # converted as MXNet converts a scalar (2.7 into int 2); one that does not fit an
        # integer dtype is refused (x[0] = -1 into uint8 wrote 255, as MXNet does)
        val = array._xp.asarray(fill_value(value, array._data.dtype, 'NDArray.__setitem__: value'),
                                dtype=array._data.dtype)
    else:
        val = array._xp.asarray(value)
        if val.dtype != array._data.dtype:
            val = val.astype(array._data.dtype)
    try:
        try:
            _write(array._data, key, val)
        except ValueError:
            fallback = _fallback_key(key, array.shape, value)
            if fallback is None:
                raise
            _write(array._data, fallback, val)
    except IndexError as err:       # x[5] = 1 on 3 rows, x[:] = 1 on a 0-d array
        _check_index_arrays(key)
        raise MXNetIndexError(*err.args) from None
    except ValueError as err:
        if any(isinstance(k, slice) and k.step == 0
               for k in (key if isinstance(key, tuple) else (key,))):
            # (the message used to blame the value's shape and show the key as None)
            raise MXNetValueError('NDArray.__setitem__: slice step cannot be zero (index %r)'
                                  % (key,)) from None
        raise MXNetValueError('NDArray.__setitem__: cannot assign a value of shape %s to the '
                              'selection %r of an array of shape %s (%s)'
                              % (tuple(val.shape), key, array.shape, err)) from None


def _value_like(value):
    """True for what ``x[key] = value`` writes: a number that is not complex (Python, NumPy,
    ``Fraction``, ``Decimal``; bool included), an NDArray, a NumPy or CuPy array (or another
    object with ``__array__``), or a list, tuple or range (made an array by NumPy)."""
    if is_real_number(value):
        return True
    if isinstance(value, np.generic):       # (a NumPy complex or str has __array__ too)
        return False
    return (isinstance(value, (NDArray, list, tuple, range)) or backend.is_array(value)
            or hasattr(value, '__array__'))


def whole_selection(key, shape):
    """True for a basic index that selects the whole array of ``shape`` in order, as MXNet
    1.9.1 decides it: ``:``, ``...``, a slice covering its axis with a positive step (``-4:``
    or ``0:100`` of 4 rows), an int into an axis of length 1; a ``None`` adds nothing."""
    keys = key if isinstance(key, tuple) else (key,)
    if any(k is not Ellipsis and k is not None and not isinstance(k, (slice, int))
           for k in keys):
        return False        # an advanced index, or a bool
    n_ell = sum(k is Ellipsis for k in keys)
    axes = [k for k in keys if k is not None and k is not Ellipsis]
    if n_ell > 1 or len(axes) > len(shape):
        return False
    for k, d in zip(axes, shape):
        if isinstance(k, slice):
            start, stop, step = k.indices(d)
            if step <= 0 or len(range(start, stop, step)) != d:
                return False
        elif isinstance(k, bool) or d != 1 or k not in (0, -1):
            return False
    return True


def _fallback_key(key, shape, value):
    """Where MXNet 1.9.1 writes ``value`` when NumPy refuses it for ``key`` (None: nowhere): a
    NumPy value into a key selecting the whole array goes to the whole array (``x[:, 0] = v``
    with ``v`` of ``x``'s shape, axis 1 of length 1); a key with ``None`` entries loses them."""
    if not isinstance(value, (NDArray, numbers.Number)) and whole_selection(key, shape):
        return Ellipsis
    if isinstance(key, tuple) and any(k is None for k in key):
        return tuple(k for k in key if k is not None)
    return None


def _write(data, key, val):
    """``data[key] = val``, ``val`` (an array, or a 0-d one for a number) reshaped where MXNet
    1.9.1 takes it: a value with more axes than the selection loses its leading axes of length 1
    (``x[1, 2] = nd.array([5.])``, shape (1,)); an empty value of any shape fits an empty
    selection."""
    if val.ndim:
        target_shape = data[key].shape
        if val.shape != target_shape:
            if val.size == 0 and int(np.prod(target_shape)) == 0:
                val = val.reshape(target_shape)
            elif val.ndim > len(target_shape):
                lead = 0
                while val.ndim - lead > len(target_shape) and val.shape[lead] == 1:
                    lead += 1
                val = val.reshape(val.shape[lead:])
    data[key] = val


class _GetItem(Op):
    """Basic and advanced indexing of an NDArray (``x[1:3, ::2]``, ``x[idx]``), with its gradient.

    Internal to NDArray (no MXNet name is exported): a hybridized graph uses ``slice``,
    ``slice_axis`` or ``take`` instead.
    """

    name = '_getitem'
    arguments = ('data',)
    view = True     # a basic index with a contiguous result shares x's memory, as in MXNet


    def __init__(self, key):
        self.key = key
        self.given = {}

    def forward(self, xp, data):
        self.in_shape = data.shape
        if data.ndim == 0 and (self.key == () or self.key is Ellipsis):
            self.out_shape = ()
            return data[...]      # x[()] of a 0-d x: itself (a 0-d view), as MXNet's x[()]
        try:
            out = data[self.key]
        except IndexError:
            _check_index_arrays(self.key)
            raise
        if (not isinstance(out, type(data)) or out.ndim == 0) and not _has_array(self.key):
            # One element (x[1, 2] of a 2-d x): MXNet legacy gives shape (1,), never 0-d, and a
            # view, so y = x[1, 2]; y[:] = 0 writes into x. A trailing None gives both.
            self.key = (self.key if isinstance(self.key, tuple) else (self.key,)) + (None,)
            out = data[self.key]
        # A contiguous result of a basic index stays a view of ``data`` (x[1], x[1:3], as MXNet);
        # any other result is a new array.
        if isinstance(out, type(data)) and out.ndim:
            out = xp.ascontiguousarray(out)
        else:
            out = xp.asarray(out)
        self.out_shape = out.shape
        return out.reshape((1,)) if out.ndim == 0 else out    # MXNet legacy: never 0-d

    def backward(self, xp, grad):
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        grad = grad.reshape(self.out_shape)
        if _has_int_array(self.key):
            backend.scatter_add(xp, g, self.key, grad)   # repeated indices accumulate
        else:
            g[self.key] = grad
        return (g,)


def _has_array(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(backend.is_array(k) for k in keys)


def _has_int_array(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(backend.is_array(k) and k.dtype != np.bool_ for k in keys)
