"""Array creation: ``array, zeros, ones, full, empty, arange, linspace, eye, zeros_like, ones_like``.

Signatures follow ``mxnet.nd`` (``ctx`` and ``dtype`` keywords; float32 by default).
"""

import numpy as np

from minigluon import backend
from minigluon._fp_errors import fp_errors_ignored
from minigluon.base import NotSupportedError, raises_mxnet_errors
from minigluon.context import Context, current_context
from minigluon.ndarray.helpers import _parse_ctx
from minigluon.ndarray.ndarray import NDArray, _move, call_op
from minigluon.ops.attr import is_hidden_attribute
from minigluon.ops.elemwise import fill_value, is_real_number
from minigluon.ops.init_ops import range_values
from minigluon.ops.registry import get_op

DEFAULT_DTYPE = np.float32


def _context(fn_name, ctx):
    """``ctx``, the current context for None, or the Context a string such as ``'cpu(0)'`` or
    ``'gpu(1)'`` names (MXNet 1.9.1's ``zeros``, ``ones``, ``arange``, ``linspace`` and ``eye``
    take that string form; its ``array``, ``empty`` and ``full`` fail on it, and here all take
    it). Anything else raises TypeError naming ``fn_name`` (MXNet 1.9.1 fails too, with an
    AttributeError ``'int' object has no attribute 'device_typeid'`` or an MXNetError)."""
    if ctx is None:
        return current_context()
    if isinstance(ctx, str):
        try:
            return _parse_ctx(ctx) or current_context()
        except ValueError as err:
            raise ValueError('%s: %s' % (fn_name, err)) from None
    if not isinstance(ctx, Context):
        # nd.zeros(2, 3) puts the 3 in ctx: the shape is one tuple in MXNet (not *sizes)
        shape_hint = ('; a shape is one argument, a tuple: (2, 3), not 2, 3'
                      if isinstance(ctx, (int, np.integer)) else '')
        raise TypeError("%s: ctx must be a Context (mx.cpu(), mx.gpu(0)...), a string such as "
                        "'cpu(0)', or None, got %s%s" % (fn_name, type(ctx).__name__, shape_hint))
    return ctx


def _place(fn_name, host, ctx):
    ctx = _context(fn_name, ctx)
    return NDArray(_move(host, ctx), ctx)


def _make(fn_name, shape, ctx, dtype, **kw):
    """``xp.<fn_name>(shape, dtype, **kw)`` on ``ctx``; the shape is checked first, as MXNet
    1.9.1 checks it before the context."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    given = shape
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    if shape is None or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0
                            for d in shape):
        raise ValueError('%s: shape must be a non-negative int or a tuple of them, got %r'
                         % (fn_name, given))
    ctx = _context(fn_name, ctx)
    xp = ctx.xp
    dtype = np.dtype(dtype or DEFAULT_DTYPE)
    if ctx.is_gpu:
        with xp.cuda.Device(ctx.device_id):
            return NDArray(getattr(xp, fn_name)(shape, dtype=dtype, **kw), ctx)
    return NDArray(getattr(xp, fn_name)(shape, dtype=dtype, **kw), ctx)


@raises_mxnet_errors
@fp_errors_ignored      # nd.array([1e5], dtype='float16') is inf, silently, as in MXNet
def array(source_array, ctx=None, dtype=None):
    """An NDArray copied from ``source_array`` (NDArray, NumPy/CuPy array, list or scalar).

    dtype defaults to the source's dtype when it is an NDArray, else float32 — also for a NumPy
    float64 or int64 array, as in MXNet 1.9.1 (``mx.nd.array(np.zeros(2)).dtype`` is float32).

    A list or scalar is converted straight to ``dtype``, as MXNet 1.9.1 does, so what NumPy
    refuses to convert (NaN or infinity into an integer dtype, a string that is no number) is an
    error rather than a silent INT_MIN; a NumPy array is cast (NumPy's casting rules, as in
    MXNet). A number that does not fit an integer dtype (``[-1]`` or ``[300.0]`` as uint8,
    ``[2**40]`` as int32, NaN, a NumPy scalar such as ``np.int64(300)`` in the list) is refused
    too, on NumPy 1.26 as on NumPy 2, the TypeError naming it and the dtype's range
    (``nd.full`` and ``x[:] = number`` raise ValueError for it,
    :func:`minigluon.ops.elemwise.fill_value`); MXNet 1.9.1 writes it wrapped around (255, 44)
    or as 0 (it refuses NaN with TypeError).

    Raises
    ------
    TypeError
        For a nested list that is not rectangular (rows of different lengths) or holds what
        cannot be converted to ``dtype``, as MXNet 1.9.1 ("source_array must be array like
        object"; the message here also gives NumPy's reason); for a ``ctx`` that is not a
        Context (or None): ``zeros``, ``ones``, ``empty``, ``full``, ``arange``, ``linspace``
        and ``eye`` check theirs in the same way.
    """
    if isinstance(source_array, NDArray):
        dtype = dtype or source_array.dtype
        host = backend.to_numpy(source_array._data)
    elif backend.is_array(source_array):
        dtype = dtype or DEFAULT_DTYPE
        host = backend.to_numpy(source_array)
    else:
        dtype = dtype or DEFAULT_DTYPE
        why = _what_does_not_fit(source_array, dtype) if _may_not_fit(source_array, dtype) \
            else None
        if why is None:
            try:
                host = np.array(source_array, dtype=dtype)
            except (ValueError, TypeError, OverflowError) as err:
                why = (_what_does_not_fit(source_array, dtype)
                       or 'NumPy could not convert it: %s' % err)
        if why is not None:
            raise TypeError('nd.array: source_array must be a number, an array or a rectangular '
                            'nested list of numbers (all rows of one level the same length) that '
                            'fit dtype %s; %s' % (getattr(dtype, '__name__', dtype), why))
    return _place('array', np.array(host, dtype=dtype), ctx)


def _may_not_fit(source, dtype):
    """For :func:`array`: False when every number of the list or number ``source`` surely fits
    the integer ``dtype`` (or ``dtype`` is no integer type), screened at NumPy's speed through
    float64; True when one may not, or when ``source`` has no float64 form (then
    :func:`_what_does_not_fit` looks at each number). NumPy cannot be left to refuse: NumPy 2
    refuses a Python number that does not fit, but NumPy 1.26 wraps it around (300 as uint8 is
    44, with a DeprecationWarning for an int, silently for 300.0), and both wrap a NumPy scalar
    (``[np.int64(300)]``)."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return False
    if dtype.kind not in 'iu':
        return False
    try:
        wide = np.array(source, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return True
    info = np.iinfo(dtype)
    # after truncation toward zero: fits when min - 1 < v < max + 1 (False for NaN); float64
    # rounds those bounds of int64 onto its range's ends, so the screen errs toward True there
    return not bool(np.all((wide > float(info.min - 1)) & (wide < float(info.max + 1))))


def _what_does_not_fit(source, dtype):
    """For :func:`array`: the message of :func:`fill_value` for the first number of ``source``
    that does not fit the integer ``dtype`` (NaN, 300 as uint8), or None."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return None
    stack = [source]
    while stack and dtype.kind in 'iu':
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif is_real_number(item):
            try:
                fill_value(item, dtype, 'a number in source_array, value')
            except ValueError as err:
                return str(err)
    return None


@raises_mxnet_errors
def zeros(shape, ctx=None, dtype=None, stype=None, **kwargs):
    """An array of zeros; ``out=`` and ``name=`` as for :func:`ones`, ``stype`` dense only
    (``None`` or ``'default'``: sparse storage is out of scope)."""
    if stype not in (None, 'default'):
        raise NotSupportedError("zeros: stype=%r: only dense arrays ('default') exist in "
                                "minigluon (sparse storage is out of scope)" % (stype,))
    return _filled('zeros', shape, ctx, dtype, kwargs)


@raises_mxnet_errors
def ones(shape, ctx=None, dtype=None, **kwargs):
    """An array of ones. As MXNet 1.9.1's, which passes its keywords to its operator: ``out=``
    is written (it must have the result's shape and dtype) and returned, ``name=`` is ignored,
    any other keyword is refused (MXNetTypeError; MXNet: 'Cannot find argument')."""
    return _filled('ones', shape, ctx, dtype, kwargs)


def _filled(kind, shape, ctx, dtype, kwargs):
    """:func:`zeros` or :func:`ones` (``kind``) with their keywords ``kwargs``."""
    from minigluon.ndarray.dispatch import _write_out
    out = kwargs.pop('out', None)
    kwargs.pop('name', None)
    # MXNet's hidden attributes (__layout__, which the RNN cells' begin_state passes) are no error
    unknown = sorted(k for k in kwargs if not is_hidden_attribute(k))
    if unknown:
        raise TypeError('%s: unexpected keyword(s) %s; it takes shape, ctx, dtype, out and name'
                        % (kind, ', '.join(unknown)))
    res = _make(kind, shape, ctx, dtype)
    return res if out is None else _write_out(kind, out, res)


@raises_mxnet_errors
def empty(shape, ctx=None, dtype=None):
    return _make('empty', shape, ctx, dtype)


@raises_mxnet_errors
def full(shape, val, ctx=None, dtype=None, out=None):
    """An array of ``shape`` filled with the number ``val`` (a one-element NDArray or NumPy array
    counts as its value, as MXNet 1.9.1 takes ``float(val)``; TypeError for anything else, a
    complex number too); into
    an integer dtype ``val`` is truncated toward zero (2.7 as int32 is 2), and one that does not
    fit the dtype (NaN, 300 as uint8, 2**31 as int32) is a ValueError naming the range, where
    MXNet 1.9.1 writes a wrong number silently (44, -2**31; 0 for 2**70)."""
    if hasattr(val, 'asnumpy') or isinstance(val, np.ndarray):
        host = val.asnumpy() if hasattr(val, 'asnumpy') else val
        if host.size != 1:
            raise TypeError('full: val must be a number or a one-element array, got an array of '
                            'shape %s' % (host.shape,))
        val = host.reshape(()).item()
    if not is_real_number(val):
        # (a complex number was written as its real part, silently; MXNet 1.9.1 refuses it)
        raise TypeError('full: val must be a number, got %r' % (val,))
    res = _make('full', shape, ctx, dtype,
                fill_value=fill_value(val, np.dtype(dtype or DEFAULT_DTYPE), 'full: val'))
    if out is not None:
        out[:] = res
        return out
    return res


def zeros_like(data=None, out=None, name=None, attr=None, **kwargs):
    """Zeros with ``data``'s shape, dtype and context: MXNet's ``zeros_like`` operator, so under
    ``autograd.record()`` it is recorded and ``data`` receives a zero gradient, as in MXNet.
    ``out`` and ``name`` may be given positionally, as MXNet 1.9.1's ``zeros_like(x, out)``;
    ``attr`` is ignored, as MXNet's operator (without attributes there) ignores it."""
    return call_op('zeros_like', data, out=out, name=name, **kwargs)


def ones_like(data=None, out=None, name=None, attr=None, **kwargs):
    """Ones with ``data``'s shape, dtype and context (MXNet's ``ones_like`` operator; recorded);
    ``out`` and ``name`` may be given positionally and ``attr`` is ignored, as in MXNet 1.9.1."""
    return call_op('ones_like', data, out=out, name=name, **kwargs)


def _numbers(op_name, fn_name, **values):
    """``values`` parsed by the attributes of the operator ``op_name`` (``_arange`` for
    ``nd.arange``...), so that a None, list or string where a number belongs is refused naming the
    argument, as the operator (and MXNet 1.9.1) refuses it."""
    specs = get_op(op_name).attrs
    # a plain int, or a float where a float belongs, is kept as it is (the common call, no parsing)
    return {k: v if type(v) is int or (type(v) is float and specs[k].kind != 'int')
            else specs[k].parse(v, fn_name) for k, v in values.items()}


@raises_mxnet_errors
def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, ctx=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; each repeated ``repeat`` times (MXNet; the values
    of the ``_arange`` operator behind ``sym.arange``)."""
    attrs = _numbers('_arange', 'arange', start=start, stop=stop, step=step, repeat=repeat)
    return _place('arange', range_values(np, 'arange', dict(attrs, dtype=dtype)), ctx)


@raises_mxnet_errors
def linspace(start, stop, num, endpoint=True, ctx=None, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` (MXNet; as ``_linspace``)."""
    attrs = _numbers('_linspace', 'linspace', start=start, stop=stop, num=num)
    return _place('linspace', range_values(np, 'linspace', dict(attrs, endpoint=endpoint,
                                                                dtype=dtype)), ctx)


@raises_mxnet_errors
def eye(N, M=0, k=0, ctx=None, dtype=None):
    """An ``N x M`` matrix with ones on diagonal ``k`` (MXNet; as ``_eye``)."""
    return _place('eye', range_values(np, 'eye', dict(_numbers('_eye', 'eye', N=N, M=M, k=k),
                                                      dtype=dtype)), ctx)


def from_numpy(ndarray, zero_copy=True):
    """Wrap a NumPy array (shares memory when ``zero_copy``)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError('from_numpy: ndarray must be a NumPy array, got %s' % type(ndarray).__name__)
    return NDArray(ndarray if zero_copy else ndarray.copy(), current_context().__class__('cpu', 0))


class _CapsuleHolder:
    """Presents a bare DLPack capsule through the ``__dlpack__`` protocol that NumPy expects."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)   # kDLCPU; a GPU capsule makes NumPy raise, and CuPy is tried next


class _WritableMemory:
    """Exposes a read-only array's memory as writable, through ``__array_interface__``, and keeps
    the array (hence the DLPack producer's memory) alive as the new array's base.

    NumPy before 2.2 marks every array that ``np.from_dlpack`` makes read-only (1.26 and 2.0 read
    only unversioned capsules, which have no read-only flag; 2.1 reads versioned ones but still
    marks them read-only) and refuses to clear the mark; MXNet's ``nd.from_dlpack`` gives an
    NDArray that writes through to the producer's memory, so minigluon re-exposes it."""

    def __init__(self, array):
        self.array = array
        interface = dict(array.__array_interface__)
        interface['data'] = (interface['data'][0], False)      # (pointer, read_only)
        self.__array_interface__ = interface


_NUMPY_MARKS_DLPACK_READ_ONLY = np.lib.NumpyVersion(np.__version__) < '2.2.0'


def _numpy_from_dlpack(obj):
    """``np.from_dlpack(obj)``, writable on NumPy 1.26 to 2.1 as on NumPy 2.2+ (:class:`_WritableMemory`)."""
    array = np.from_dlpack(obj)
    if _NUMPY_MARKS_DLPACK_READ_ONLY and not array.flags.writeable:
        array = np.asarray(_WritableMemory(array))
    return array


def from_dlpack(dlpack):
    """An NDArray sharing memory with a DLPack capsule or an object with ``__dlpack__``.

    Accepts what :func:`to_dlpack_for_read` returns (a capsule, consumed once) as well as any
    array that implements the protocol (NumPy, CuPy, PyTorch...). The NDArray is writable and
    writes reach the producer's memory, as in MXNet, with NumPy 1.26 to 2.1 as with NumPy 2.2+.

    Raises
    ------
    TypeError
        If ``dlpack`` is neither a capsule nor an object with ``__dlpack__``.
    """
    if hasattr(dlpack, '__dlpack_device__'):
        dev_type = dlpack.__dlpack_device__()[0]
        if dev_type == 2 and backend.cupy is not None:  # kDLCUDA
            return NDArray(backend.cupy.from_dlpack(dlpack))
        return NDArray(_numpy_from_dlpack(dlpack))
    if type(dlpack).__name__ != 'PyCapsule':
        raise TypeError('from_dlpack: expected a DLPack capsule or an object with __dlpack__, '
                        'got %s' % type(dlpack).__name__)
    try:
        return NDArray(_numpy_from_dlpack(_CapsuleHolder(dlpack)))
    except (BufferError, RuntimeError, ValueError, TypeError):
        if backend.cupy is None:
            raise
    return NDArray(backend.cupy.from_dlpack(dlpack))


def to_dlpack_for_read(data):
    """A DLPack capsule sharing ``data``'s memory (MXNet ``nd.to_dlpack_for_read``)."""
    return data.to_dlpack_for_read()


def to_dlpack_for_write(data):
    """A DLPack capsule sharing ``data``'s memory, for writing (MXNet ``nd.to_dlpack_for_write``)."""
    return data.to_dlpack_for_write()


def waitall():
    """Wait for all pending computation (synchronises the GPU stream when CuPy is in use)."""
    if backend.cupy_available():
        backend.cupy.cuda.Device().synchronize()


@raises_mxnet_errors
def concatenate(arrays, axis=0, always_copy=True):
    """Join a list of NDArrays along ``axis`` (MXNet 1.x ``nd.concatenate``, an older spelling of
    ``nd.concat(*arrays, dim=axis)``).

    Parameters
    ----------
    arrays : list of NDArray
        At least one array; all must have the same shape except along ``axis``.
    axis : int, default 0
    always_copy : bool, default True
        With False, a single input array is returned itself instead of a copy.

    Raises
    ------
    ValueError
        If ``arrays`` is empty or not a list/tuple of NDArrays.
    """
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise ValueError('concatenate: arrays must be a non-empty list of NDArrays, got %r' % (arrays,))
    if any(not isinstance(a, NDArray) for a in arrays):
        raise ValueError('concatenate: every element of arrays must be an NDArray, got %s'
                         % [type(a).__name__ for a in arrays])
    if len(arrays) == 1 and not always_copy:
        return arrays[0]
    return call_op('concat', *arrays, dim=axis)
