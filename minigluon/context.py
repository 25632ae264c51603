"""Devices: ``Context``, ``cpu()``, ``gpu(i)``, ``current_context()``, ``num_gpus()``.

Semantics follow ``mxnet.context`` (MXNet 1.9.1): a context is a device type and id, usable as a
``with`` scope that sets the default context for array creation on the current thread.
"""
import threading
import warnings

from minigluon import backend
from minigluon.base import MXNetError

_local = threading.local()

_DEFAULT_CTX_DEPRECATED = ('Context.default_ctx is deprecated (as in MXNet 1.9.1): read the default '
                           'context with mx.current_context(), change it with a `with ctx:` scope')


class _ClassProperty:
    """A property that also works on the class, for reading and (through :class:`_ContextType`)
    for assignment: ``Context.default_ctx`` and ``Context.default_ctx = ctx``."""

    def __init__(self, fget, fset):
        self.fget, self.fset = fget, fset
        self.__doc__ = fget.__doc__

    def __get__(self, obj, owner=None):
        return self.fget(owner if owner is not None else type(obj))

    def __set__(self, obj, value):
        self.fset(obj if isinstance(obj, type) else type(obj), value)


class _ContextType(type):
    """Routes ``Context.<name> = value`` to a class property's setter instead of replacing it."""

    def __setattr__(cls, key, value):
        prop = cls.__dict__.get(key)
        if isinstance(prop, _ClassProperty):
            prop.fset(cls, value)
        else:
            super().__setattr__(key, value)


def _get_default_ctx(cls):
    """The current thread's default context, as :func:`current_context` (deprecated in MXNet
    1.9.1: reading it warns with a ``DeprecationWarning``)."""
    warnings.warn(_DEFAULT_CTX_DEPRECATED, DeprecationWarning, stacklevel=3)
    return current_context()


def _set_default_ctx(cls, value):
    warnings.warn(_DEFAULT_CTX_DEPRECATED, DeprecationWarning, stacklevel=3)
    if not isinstance(value, Context):
        # MXNet 1.9.1 stores anything here and fails later, wherever an array is made
        raise TypeError('Context.default_ctx must be set to a Context (mx.cpu(), mx.gpu(0)...), '
                        'got %s %r' % (type(value).__name__, value))
    _local.ctx = value


class Context(metaclass=_ContextType):
    """A device on which arrays live.

    Parameters
    ----------
    device_type : str or Context
        ``'cpu'``, ``'gpu'`` or ``'cpu_pinned'`` (treated as ``'cpu'`` for computation).
    device_id : int, default 0

    Raises
    ------
    ValueError
        For an unknown device type or a negative id.

    Notes
    -----
    ``Context.default_ctx`` (on the class or an instance) is the current thread's default
    context, the one :func:`current_context` returns; assigning a Context to it makes that the
    default until the enclosing ``with`` scope ends (for good outside any scope). Both reading and
    assigning warn with a ``DeprecationWarning``, as in MXNet 1.9.1; assigning anything but a
    Context raises TypeError (MXNet stores it and fails later).
    """
    devtype2str = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned', 5: 'cpu_shared'}
    devstr2type = {v: k for k, v in devtype2str.items()}

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devstr2type:
            raise ValueError("Context: device_type must be one of %s, got %r"
                             % (sorted(self.devstr2type), device_type))
        if int(device_id) != device_id or device_id < 0:
            raise ValueError("Context: device_id must be a non-negative int, got %r" % (device_id,))
        self.device_type = device_type
        self.device_id = int(device_id)

    default_ctx = _ClassProperty(_get_default_ctx, _set_default_ctx)

    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __repr__(self):
        return '%s(%d)' % (self.device_type, self.device_id)

    __str__ = __repr__

    def __enter__(self):
        # The contexts to restore live on a per-thread stack, not on this object, so one Context
        # used as a scope by two threads at once gives each thread back its own previous context.
        stack = getattr(_local, 'saved', None)
        if stack is None:
            stack = _local.saved = []
        stack.append(current_context())
        _local.ctx = self
        return self

    def __exit__(self, *exc):
        _local.ctx = _local.saved.pop()

    @property
    def is_gpu(self):
        return self.device_type == 'gpu'

    @property
    def xp(self):
        """The array module (``numpy`` or ``cupy``) for this context; raises if CuPy is missing."""
        if not self.is_gpu:
            import numpy
            return numpy
        if not backend.cupy_available():
            raise MXNetError(
                "Context %s needs CuPy and a CUDA device, but %s. Install the GPU extra: "
                "pip install \"minigluon[gpu]\"" % (
                    self, "CuPy is not installed" if backend.cupy is None else "no CUDA device is visible"))
        if self.device_id >= backend.cupy.cuda.runtime.getDeviceCount():
            raise MXNetError("Context %s: only %d GPU(s) visible" % (
                self, backend.cupy.cuda.runtime.getDeviceCount()))
        return backend.cupy

    def device(self):
        """A ``with`` scope that makes this context's device current (CuPy); a no-op on CPU."""
        if self.is_gpu:
            return self.xp.cuda.Device(self.device_id)
        import contextlib
        return contextlib.nullcontext()

    def empty_cache(self):
        """Release cached GPU memory (no-op on CPU)."""
        if self.is_gpu:
            self.xp.get_default_memory_pool().free_all_blocks()


def cpu(device_id=0):
    """The CPU context. ``device_id`` is accepted for MXNet compatibility and ignored in computation."""
    return Context('cpu', device_id)


def cpu_pinned(device_id=0):
    return Context('cpu_pinned', device_id)


def gpu(device_id=0):
    """A GPU context; arrays created on it need CuPy (``pip install "minigluon[gpu]"``)."""
    return Context('gpu', device_id)


def num_gpus():
    """Number of CUDA devices CuPy can see (0 without CuPy)."""
    if not backend.cupy_available():
        return 0
    return backend.cupy.cuda.runtime.getDeviceCount()


def gpu_memory_info(device_id=0):
    """``(free, total)`` memory of GPU ``device_id`` in bytes (MXNet 1.9.1
    ``context.gpu_memory_info``). Raises MXNetError when no GPU is available (no CuPy or no
    device) or ``device_id`` is out of range."""
    from minigluon.base import MXNetError
    count = num_gpus()
    if count == 0:
        raise MXNetError('gpu_memory_info: no GPU is available (CuPy is missing or sees no CUDA '
                         'device); check with minigluon.context.num_gpus()')
    if not 0 <= int(device_id) < count:
        raise MXNetError('gpu_memory_info: device_id %d is out of range: %d GPU(s) present'
                         % (device_id, count))
    with backend.cupy.cuda.Device(int(device_id)):
        free, total = backend.cupy.cuda.runtime.memGetInfo()
    return int(free), int(total)


_DEFAULT = Context('cpu', 0)   # shared, so arrays on the default device compare by identity (fast)


def current_context():
    """The default context of this thread (``cpu(0)`` unless inside ``with ctx:``)."""
    return getattr(_local, 'ctx', None) or _DEFAULT


def context_of(array):
    """Context of a raw NumPy/CuPy array."""
    if backend.cupy is not None and isinstance(array, backend.cupy.ndarray):
        return Context('gpu', array.device.id)
    return _DEFAULT
