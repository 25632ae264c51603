"""The submodules of the CuPy stand-in: ``cuda``, ``random``, ``linalg``, ``fft``, ``lib`` and ``cupyx``.

One emulated device (id 0). Streams, events and memory pools are no-ops: the emulator runs
everything synchronously on the host, so it cannot catch missing synchronisation.
"""
import threading
import types

import numpy as _np

from .fakecupy import _lookup, _unwrap, _wrap, ndarray

_local = threading.local()
_DEVICE_COUNT = 1


# ---------------------------------------------------------------------------------------------------
# cupy.cuda


class CUDARuntimeError(RuntimeError):
    pass


class Device:
    """``cupy.cuda.Device(i)``: a ``with`` scope making device ``i`` current; ``Device()`` is the current one."""

    def __init__(self, device=None):
        if device is None:
            device = getattr(_local, 'device', 0)
        self.id = int(device)
        self._saved = []

    def _check(self):
        if not 0 <= self.id < _DEVICE_COUNT:
            raise CUDARuntimeError('cudaErrorInvalidDevice: invalid device ordinal (emulated)')

    def __enter__(self):
        self._check()
        self._saved.append(getattr(_local, 'device', 0))
        _local.device = self.id
        return self

    def __exit__(self, *exc):
        _local.device = self._saved.pop()

    def use(self):
        self._check()
        _local.device = self.id

    @property
    def compute_capability(self):
        """CuPy's string form, ``'70'`` for ``sm_70`` (the emulated device claims 7.0)."""
        self._check()
        return '70'

    def synchronize(self):
        self._check()

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return '<CUDA Device %d (emulated)>' % self.id


class Stream:
    """A no-op stream (the emulator is synchronous)."""
    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def synchronize(self):
        pass

    def use(self):
        return self


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    return Stream.null


def _get_device_count():
    return _DEVICE_COUNT


cuda = types.ModuleType('cupy.cuda')
cuda.Device, cuda.Stream, cuda.get_current_stream = Device, Stream, get_current_stream
cuda.runtime = types.SimpleNamespace(getDeviceCount=_get_device_count, CUDARuntimeError=CUDARuntimeError,
                                     deviceSynchronize=lambda: None,
                                     memGetInfo=lambda: (15 << 30, 16 << 30))   # (free, total) bytes
cuda.is_available = lambda: True


# ---------------------------------------------------------------------------------------------------
# cupy.random: CuPy's RandomState API (NumPy's Generator methods such as .random/.integers are absent)


def _size(size):
    return () if size is None else (size,) if isinstance(size, int) else tuple(size)


def _float(dtype):
    dtype = _np.dtype(dtype)
    if dtype not in (_np.float32, _np.float64):
        raise TypeError('cupy.random: dtype must be float32 or float64, got %s' % dtype)
    return dtype


class RandomState:
    """``cupy.random.RandomState(seed)``: every draw returns a device array."""

    def __init__(self, seed=None):
        self._gen = _np.random.default_rng(seed)

    def seed(self, seed=None):
        self._gen = _np.random.default_rng(seed)

    def _out(self, host, dtype):
        return ndarray._of(_np.asarray(host).astype(dtype, copy=False))

    def random_sample(self, size=None, dtype=float):
        return self._out(self._gen.random(_size(size)), _float(dtype))

    def rand(self, *size, dtype=float):
        return self.random_sample(size, dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._out(self._gen.standard_normal(_size(size)), _float(dtype))

    def randn(self, *size, dtype=float):
        return self.standard_normal(size, dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        low, high = _unwrap(low, 'uniform'), _unwrap(high, 'uniform')
        return self._out(self._gen.uniform(low, high, size), _float(dtype))

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        loc, scale = _unwrap(loc, 'normal'), _unwrap(scale, 'normal')
        return self._out(self._gen.normal(loc, scale, size), _float(dtype))

    def randint(self, low, high=None, size=None, dtype='l'):
        return self._out(self._gen.integers(low, high, size=size), _np.dtype(dtype))

    def exponential(self, scale=1.0, size=None, dtype=float):
        return self._out(self._gen.exponential(_unwrap(scale, 'exponential'), size), _float(dtype))

    def gamma(self, shape, scale=1.0, size=None, dtype=float):
        return self._out(self._gen.gamma(_unwrap(shape, 'gamma'), _unwrap(scale, 'gamma'), size),
                         _float(dtype))

    def poisson(self, lam=1.0, size=None, dtype='l'):
        return self._out(self._gen.poisson(_unwrap(lam, 'poisson'), size), _np.dtype(dtype))

    def permutation(self, num):
        if type(num) is ndarray:
            return ndarray._of(self._gen.permutation(num._a))
        return ndarray._of(self._gen.permutation(int(num)))

    def shuffle(self, a):
        if type(a) is not ndarray:
            raise TypeError('The array must be cupy.ndarray (emulated shuffle)')
        self._gen.shuffle(a._a)

    def choice(self, a, size=None, replace=True, p=None):
        return _wrap(self._gen.choice(_unwrap(a, 'choice'), size, replace, _unwrap(p, 'choice')))


_states = {}


def get_random_state():
    dev = getattr(_local, 'device', 0)
    if dev not in _states:
        _states[dev] = RandomState()
    return _states[dev]


def _seed(seed=None):
    get_random_state().seed(seed)


random = types.ModuleType('cupy.random')
random.RandomState, random.get_random_state, random.seed = RandomState, get_random_state, _seed
for _name in ('random_sample', 'rand', 'randn', 'standard_normal', 'uniform', 'normal', 'randint',
              'permutation', 'shuffle', 'choice'):
    setattr(random, _name, (lambda n: lambda *a, **k: getattr(get_random_state(), n)(*a, **k))(_name))


# ---------------------------------------------------------------------------------------------------
# cupy.linalg, cupy.fft, cupy.lib.stride_tricks: NumPy's functions on device arrays


def _namespace(name, np_module):
    mod = types.ModuleType('cupy.' + name)
    mod.__getattr__ = lambda attr: _lookup(np_module, attr, '.' + name)
    return mod


linalg = _namespace('linalg', _np.linalg)
fft = _namespace('fft', _np.fft)
lib = types.ModuleType('cupy.lib')
lib.stride_tricks = _namespace('lib.stride_tricks', _np.lib.stride_tricks)


# ---------------------------------------------------------------------------------------------------
# cupyx


_ATOMIC_ADD_TYPES = (_np.float16, _np.float32, _np.float64, _np.int32, _np.uint32, _np.uint64)


def scatter_add(a, slices, value):
    """``a[slices] += value`` with repeated indices accumulating (as ``numpy.add.at``).

    As in CuPy, ``a`` must be a device array and its dtype one atomicAdd supports (not int64/bool).
    """
    if type(a) is not ndarray:
        raise TypeError('cupyx.scatter_add: a must be a cupy.ndarray, got %s' % type(a))
    if a.dtype.type not in _ATOMIC_ADD_TYPES:
        raise TypeError('scatter_add only supports %s as data type, got %s'
                        % (', '.join(t.__name__ for t in _ATOMIC_ADD_TYPES), a.dtype))
    key = a._key(slices)
    value = value._a if type(value) is ndarray else value   # host values are copied over, as CuPy
    _np.add.at(a._a, key, _np.asarray(value).astype(a.dtype, copy=False))


cupyx = types.ModuleType('cupyx')
cupyx.scatter_add = scatter_add
cupyx.__version__ = '0.0-emulated'
