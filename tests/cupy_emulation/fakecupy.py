"""A strict CPU stand-in for CuPy, for tests only (never shipped in ``minigluon/``).

It lets the GPU code paths of minigluon run on a machine without a CUDA device. The arrays are
NumPy arrays underneath, so the numbers are NumPy's; what is emulated are the places where CuPy
*behaves* differently from NumPy, so that code written for NumPy only fails here as it would on a
real GPU:

- ``ndarray`` is its own class (not a ``numpy.ndarray`` subclass). Implicit conversion to NumPy
  (``numpy.asarray(x)``, ``numpy_array[...] = x``) raises TypeError; ``.get()``/``asnumpy`` copy.
- NumPy functions and ufuncs called on emulated arrays dispatch here (``__array_function__``,
  ``__array_ufunc__``), but mixing an emulated array with a plain ``numpy.ndarray`` raises
  TypeError, and ufuncs refuse Python lists.
- Reductions and single-element indexing return 0-d arrays, never NumPy scalars.
- ``asarray``/``array`` of host data copy (device memory is never shared with the host).
- Integer-array indices wrap around instead of raising IndexError; ``x[basic] = numpy_array``
  raises (CuPy's ``fill``); ``cupyx.scatter_add`` refuses int64/bool values (no atomicAdd).
- ``random.RandomState`` has CuPy's API (``random_sample``, ``randint``...), not NumPy's
  ``Generator`` API; ``cuda.Device``/``Stream``/memory pools exist as no-ops for one device.

Install with :func:`install` (``tests/conftest.py`` does so when ``MINIGLUON_EMULATE_CUPY=1``).
"""
import sys
import threading
import types

import numpy as _np

from ._promotion import check_scalar_types, cupy_scalars

__version__ = '0.0-emulated'
_SCALARS = (int, float, complex, bool, _np.generic)
_local = threading.local()


def _reject_numpy(x, where):
    raise TypeError('Unsupported type %s (%s): CuPy does not mix device arrays with NumPy '
                    'arrays; copy with cupy.asarray() first' % (type(x), where))


def _unwrap(x, where='argument'):
    """Emulated arrays -> their NumPy data (recursively in lists/tuples); NumPy arrays refused."""
    if type(x) is ndarray:
        return x._a
    if type(x) is _np.ndarray:
        _reject_numpy(x, where)
    if type(x) in (list, tuple):
        return type(x)(_unwrap(v, where) for v in x)
    return x


def _wrap(x, parents=()):
    """NumPy results -> emulated arrays; NumPy scalars become 0-d arrays (CuPy's rule)."""
    if type(x) is _np.ndarray:
        for p in parents:
            if x is p._a:       # e.g. ``out=`` handed back: the very same object, as in CuPy
                return p
        return ndarray._of(x, parents)
    if isinstance(x, _np.generic):
        return ndarray._of(_np.asarray(x))
    if type(x) in (list, tuple):
        return type(x)(_wrap(v, parents) for v in x)
    if isinstance(x, tuple):    # NumPy's named results (EighResult, QRResult...); CuPy's are tuples
        return tuple(_wrap(v, parents) for v in x)
    return x


# CuPy converts shape/axes parameters to C++ vectors or tuples, so any sequence of ints works there,
# NumPy integer arrays included: ``cupy.transpose(x, numpy.argsort(p))`` is fine on a GPU.
_SHAPE_KWARGS = frozenset('axes axis shape newshape reps pad_width source destination'.split())
_SHAPE_ARGS = frozenset('transpose reshape moveaxis expand_dims tile broadcast_to pad squeeze swapaxes '
                        'rollaxis'.split())


def _shape_param(x):
    return tuple(x.tolist()) if type(x) is _np.ndarray and x.ndim <= 1 and x.dtype.kind in 'iu' else x


def _promote(fn, args):
    """Scalar operands of elementwise operations typed as CuPy 13 types them (``_promotion``)."""
    if not (isinstance(fn, _np.ufunc) or getattr(fn, '__name__', '') in ('where', 'clip')):
        return args
    check_scalar_types(args, getattr(fn, '__name__', ''))
    owner = getattr(fn, '__self__', None)
    if type(owner) is _np.ndarray:          # ndarray.clip(lo, hi): the array is not in args
        return cupy_scalars((owner,) + tuple(args))[1:]
    return cupy_scalars(tuple(args))


def _call(fn, args, kwargs, where, parents=()):
    name = getattr(fn, '__name__', '')
    if name in _SHAPE_ARGS:    # ndarray.transpose(p) has no array before p; cupy.transpose(a, p) has a
        first = 0 if getattr(fn, '__self__', None) is not None else 1
        args = args[:first] + tuple(_shape_param(a) for a in args[first:])
    kwargs = {k: _shape_param(v) if k in _SHAPE_KWARGS else v for k, v in kwargs.items()}
    res = fn(*_promote(fn, _unwrap(args, where)), **{k: _unwrap(v, where) for k, v in kwargs.items()})
    out = kwargs.get('out')
    outs = out if type(out) is tuple else (out,)
    return _wrap(res, parents + tuple(a for a in args + outs if type(a) is ndarray))


# Methods of cupy.ndarray that are forwarded to the NumPy data (a numpy-only method fails).
_METHODS = frozenset(
    'all any argmax argmin argpartition argsort astype choose clip compress conj conjugate copy '
    'cumprod cumsum diagonal dot fill flatten max mean min nonzero partition prod put ravel repeat '
    'reshape round sort squeeze std sum swapaxes take tobytes trace transpose var view'.split())


class ndarray:
    """A device array: a NumPy array behind CuPy's interface."""

    __slots__ = ('_a', '_base')
    __array_priority__ = 100   # CuPy's value; minigluon's NDArray (1000) takes precedence
    __hash__ = None

    def __init__(self, shape, dtype=float):
        self._a = _np.empty(shape, dtype=dtype)

    @classmethod
    def _of(cls, a, parents=()):
        """Wrap ``a``; a view of a parent's memory keeps that array as ``.base``, as CuPy does (so
        reference counts of the owner see its views)."""
        obj = object.__new__(cls)
        obj._a, obj._base = a, None
        roots, b = [], a.base
        while b is not None and len(roots) < 4:     # as_strided adds a level to NumPy's chain
            roots.append(b)
            b = getattr(b, 'base', None)
        for p in parents if roots else ():
            owner = p._base if p._base is not None else p
            if any(r is owner._a or r is owner._a.base for r in roots):
                obj._base = owner
                break
        return obj

    # -- attributes ----------------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape, lambda self, v: setattr(self._a, 'shape', v))
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray._of(self._a.T, (self,)))
    real = property(lambda self: ndarray._of(self._a.real, (self,)))
    imag = property(lambda self: ndarray._of(self._a.imag, (self,)))
    base = property(lambda self: self._base)
    device = property(lambda self: cuda.Device(0))

    def __getattr__(self, name):
        if name not in _METHODS:
            raise AttributeError("'cupy.ndarray' object has no attribute %r (emulated)" % name)
        method = getattr(self._a, name)
        return lambda *args, **kwargs: _call(method, args, kwargs, 'ndarray.' + name, (self,))

    # -- explicit (synchronising) conversions, all allowed in CuPy ----------------------------------
    def get(self, stream=None, order='C', out=None):
        """A NumPy copy of the data (CuPy's device-to-host transfer)."""
        if out is not None:
            out[...] = self._a
            return out
        return _np.array(self._a, order=order)

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for i in range(len(self._a)):
            yield ndarray._of(self._a[i, ...], (self,))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a if self._a.ndim else self._a.item(), spec)

    def __copy__(self):
        return ndarray._of(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray._of(self._a.copy())

    def __reduce__(self):
        return (ndarray._of, (self._a,))

    # -- what CuPy forbids ---------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError('Implicit conversion to a NumPy array is not allowed. Please use `.get()` '
                        'to construct a NumPy array explicitly.')

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method not in ('__call__', 'reduce', 'accumulate', 'outer'):
            return NotImplemented   # e.g. numpy.add.at: use cupyx.scatter_add
        out = kwargs.get('out')
        fn = ufunc if method == '__call__' else getattr(ufunc, method)
        res = _call(fn, inputs, kwargs, 'numpy.%s' % ufunc.__name__)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return res

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in _NOT_IN_CUPY:
            return NotImplemented
        return _call(func, args, kwargs, 'numpy.%s' % func.__name__)

    # -- DLPack: the data claims to live on CUDA device 0 ----------------------------------------------
    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (2, 0)

    def toDlpack(self):
        return self._a.__dlpack__()

    # -- indexing ------------------------------------------------------------------------------------
    def _key(self, key):
        """Unwrap index arrays; integer-array indices wrap around (CuPy does not bounds-check)."""
        parts = key if type(key) is tuple else (key,)
        out = []
        for axis, k in enumerate(parts):
            if type(k) is ndarray:
                k = k._a
            elif type(k) is list:
                k = _np.asarray(_unwrap(k))
            if type(k) is _np.ndarray and k.dtype.kind in 'iu' and axis < self._a.ndim:
                if not any(p is None or p is Ellipsis or getattr(p, 'dtype', None) == bool
                           for p in parts[:axis]):
                    k = k % max(self._a.shape[axis], 1)
            out.append(k)
        return tuple(out) if type(key) is tuple else out[0]

    def __getitem__(self, key):
        return _wrap(self._a[self._key(key)], (self,))

    def __setitem__(self, key, value):
        advanced = any(type(k) in (ndarray, _np.ndarray, list)
                       for k in (key if type(key) is tuple else (key,)))
        if type(value) is ndarray:
            value = value._a
        elif not advanced and (type(value) is list or (type(value) is _np.ndarray and value.ndim)):
            raise ValueError('non-scalar numpy.ndarray cannot be used for fill (CuPy: copy the '
                             'host data with cupy.asarray() first)')
        self._a[self._key(key)] = value


def _operator(name, inplace=False):
    fn = getattr(_np.ndarray, name)

    def op(self, other):
        mine = self._a
        if type(other) is ndarray:
            mine, other = cupy_scalars((mine, other._a))    # 0-d arrays typed as arrays (NumPy 1.26)
        elif type(other) is _np.ndarray:
            _reject_numpy(other, 'operator ' + name)
        elif not isinstance(other, _SCALARS):
            return NotImplemented
        else:
            check_scalar_types((other,), 'operator ' + name)
            other = cupy_scalars((mine, other))[1]     # CuPy 13's value-based scalar rule
        res = fn(mine, other)
        return self if inplace else _wrap(res)
    op.__name__ = name
    return op


for _name in ('add sub mul truediv floordiv mod pow matmul and or xor lshift rshift '
              'lt le gt ge eq ne').split():
    for _dunder in ('__%s__' % _name, '__r%s__' % _name, '__i%s__' % _name):
        if hasattr(_np.ndarray, _dunder):
            setattr(ndarray, _dunder, _operator(_dunder, inplace=_dunder.startswith('__i')))
for _name in ('__neg__', '__pos__', '__abs__', '__invert__'):
    setattr(ndarray, _name, (lambda f: lambda self: ndarray._of(f(self._a)))(getattr(_np.ndarray, _name)))


# ---------------------------------------------------------------------------------------------------
# Module functions

_NOT_IN_CUPY = {'put_along_axis', 'frompyfunc'}   # absent (or not assumed) in CuPy 13


class _Ufunc:
    """A CuPy ufunc: inputs are device arrays or scalars; NumPy arrays and lists are refused."""

    def __init__(self, uf):
        self._uf, self.__name__, self.nin, self.nout = uf, uf.__name__, uf.nin, uf.nout

    def _check(self, args):
        for a in args:
            if type(a) in (list, tuple):
                raise TypeError('Unsupported type %s (cupy.%s)' % (type(a), self.__name__))
        return args

    def __call__(self, *args, **kwargs):
        out = kwargs.get('out')
        res = _call(self._uf, self._check(args), kwargs, 'cupy.' + self.__name__)
        return (out[0] if type(out) is tuple and len(out) == 1 else out) if out is not None else res

    def reduce(self, *args, **kwargs):
        return _call(self._uf.reduce, args, kwargs, 'cupy.%s.reduce' % self.__name__)

    def outer(self, *args, **kwargs):
        return _call(self._uf.outer, self._check(args), kwargs, 'cupy.%s.outer' % self.__name__)

    def accumulate(self, *args, **kwargs):
        return _call(self._uf.accumulate, args, kwargs, 'cupy.%s.accumulate' % self.__name__)


def _function(fn, qualname):
    def wrapped(*args, **kwargs):
        return _call(fn, args, kwargs, qualname)
    wrapped.__name__ = getattr(fn, '__name__', qualname)
    return wrapped


def _lookup(namespace, name, prefix):
    """``cupy.<name>``: NumPy's object, wrapped when it computes on arrays."""
    if name.startswith('__') or name in _NOT_IN_CUPY:
        raise AttributeError("module 'cupy%s' has no attribute %r (emulated)" % (prefix, name))
    obj = getattr(namespace, name)
    if isinstance(obj, _np.ufunc):
        return _Ufunc(obj)
    if isinstance(obj, type) or isinstance(obj, types.ModuleType) or not callable(obj):
        return obj        # dtypes (float32 ...), constants (pi, inf, newaxis ...)
    return _function(obj, 'cupy%s.%s' % (prefix, name))


def __getattr__(name):
    return _lookup(_np, name, '')


def asarray(a, dtype=None, order=None, **kwargs):
    """To the device; host data is copied (device memory is never shared with NumPy)."""
    if type(a) is ndarray:
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray._of(_np.array(_unwrap(a) if type(a) in (list, tuple) else a, dtype=dtype))


def array(obj, dtype=None, copy=True, order='K', ndmin=0, **kwargs):
    data = obj._a if type(obj) is ndarray else _unwrap(obj) if type(obj) in (list, tuple) else obj
    return ndarray._of(_np.array(data, dtype=dtype, copy=True if copy else None, order=order,
                                 ndmin=ndmin))


def ascontiguousarray(a, dtype=None):
    if type(a) is not ndarray:
        _reject_numpy(a, 'cupy.ascontiguousarray')
    if a.ndim and a._a.flags.c_contiguous and (dtype is None or _np.dtype(dtype) == a.dtype):
        return a        # CuPy returns the array itself (a view stays a view of its owner)
    return ndarray._of(_np.ascontiguousarray(a._a, dtype=dtype), (a,))


def asnumpy(a, stream=None, order='C', out=None):
    """A NumPy copy of a device array (host arrays pass through)."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__] if any(type(a) is ndarray for a in args) else _np


def from_dlpack(obj):
    if type(obj) is ndarray:
        return ndarray._of(obj._a)
    if hasattr(obj, '__dlpack_device__') and obj.__dlpack_device__()[0] == 2:
        return ndarray._of(_np.from_dlpack(_HostView(obj)))
    raise TypeError('from_dlpack (emulated): only device (kDLCUDA) objects are accepted')


fromDlpack = from_dlpack


class _HostView:
    """Lets NumPy import the capsule of an emulated array (its memory is really on the host)."""

    def __init__(self, obj):
        self.obj = obj

    def __dlpack__(self, **kwargs):
        return self.obj.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (1, 0)


class _Pool:
    def free_all_blocks(self):
        pass

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0


_POOL, _PINNED_POOL = _Pool(), _Pool()


def get_default_memory_pool():
    return _POOL


def get_default_pinned_memory_pool():
    return _PINNED_POOL


from . import _fake_submodules as _sub   # noqa: E402  (it needs ndarray, defined above)

cuda, random, linalg, fft, lib = _sub.cuda, _sub.random, _sub.linalg, _sub.fft, _sub.lib
from ._rawkernel import RawKernel   # noqa: E402,F401


def install():
    """Make ``import cupy`` / ``import cupyx`` give the emulator (call before importing minigluon)."""
    if 'minigluon' in sys.modules:
        raise RuntimeError('fakecupy.install() must run before minigluon is imported')
    me = sys.modules[__name__]
    sys.modules['cupy'] = me
    for sub in ('cuda', 'random', 'linalg', 'fft', 'lib'):
        sys.modules['cupy.' + sub] = getattr(me, sub)
    sys.modules['cupyx'] = _sub.cupyx
    return me
