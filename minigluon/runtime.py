"""``mx.runtime``: which features this installation has, under MXNet 1.9.1's feature names.

MXNet reports the compile-time options of its C++ library (``mx.runtime.Features()``,
``python/mxnet/runtime.py``); scripts test ``features.is_enabled('CUDA')`` before choosing a
device. minigluon has no C++ library, so each of MXNet's 32 names is answered for what minigluon
itself can use here:

* ``CUDA``: CuPy imports and sees a CUDA device (what ``mx.gpu()`` arrays need);
* ``CPU_SSE`` ... ``CPU_AVX2``, ``SSE``, ``F16C``: the CPU has the instruction set, as NumPy
  detects it for its own SIMD kernels (``CPU_SSE4A``, which NumPy does not track, is False);
* ``BLAS_OPEN`` / ``BLAS_MKL`` / ``BLAS_APPLE`` / ``BLAS_ATLAS``: the BLAS NumPy was built
  against (OpenBLAS, MKL, Accelerate, ATLAS); ``LAPACK``: always True (``numpy.linalg`` carries
  its own LAPACK when none was found at build time), and minigluon's ``linalg`` operators use it;
* ``INT64_TENSOR_SIZE``: True (NumPy indexes with 64-bit integers: arrays of more than 2**31
  elements work);
* ``PROFILER``: True (``mx.profiler`` records operators and writes MXNet's trace and tables);
* everything else is False: ``CUDNN``, ``NCCL``, ``TENSORRT`` and ``MKLDNN`` (minigluon calls none
  of them; its GPU kernels are CuPy's and its own), ``CUDA_RTC`` (there is no ``mx.rtc``),
  ``OPENMP``, ``JEMALLOC``, ``OPENCV``, ``CAFFE``, ``DIST_KVSTORE`` (``mx.kv`` has the local
  stores only), ``CXX14``, ``SIGNAL_HANDLER``, ``DEBUG`` and ``TVM_OP``.
"""
import collections

import numpy as np

from minigluon import backend

__all__ = ['Feature', 'Features', 'feature_list']

# MXNet 1.9.1's feature names in its order (src/libinfo.cc, measured on MXNet 1.9.1)
FEATURE_NAMES = (
    'CUDA', 'CUDNN', 'NCCL', 'CUDA_RTC', 'TENSORRT', 'CPU_SSE', 'CPU_SSE2', 'CPU_SSE3',
    'CPU_SSE4_1', 'CPU_SSE4_2', 'CPU_SSE4A', 'CPU_AVX', 'CPU_AVX2', 'OPENMP', 'SSE', 'F16C',
    'JEMALLOC', 'BLAS_OPEN', 'BLAS_ATLAS', 'BLAS_MKL', 'BLAS_APPLE', 'LAPACK', 'MKLDNN', 'OPENCV',
    'CAFFE', 'PROFILER', 'DIST_KVSTORE', 'CXX14', 'INT64_TENSOR_SIZE', 'SIGNAL_HANDLER', 'DEBUG',
    'TVM_OP')

# MXNet's CPU feature name -> the name NumPy's CPU detection uses (None: NumPy does not track it)
_CPU_NAMES = {'CPU_SSE': 'SSE', 'CPU_SSE2': 'SSE2', 'CPU_SSE3': 'SSE3', 'CPU_SSE4_1': 'SSE41',
              'CPU_SSE4_2': 'SSE42', 'CPU_SSE4A': None, 'CPU_AVX': 'AVX', 'CPU_AVX2': 'AVX2',
              'SSE': 'SSE', 'F16C': 'F16C'}
# MXNet's BLAS feature -> a word in the name of the BLAS NumPy reports
_BLAS_NAMES = {'BLAS_OPEN': 'openblas', 'BLAS_ATLAS': 'atlas', 'BLAS_MKL': 'mkl',
               'BLAS_APPLE': 'accelerate'}


class Feature:
    """One feature: ``name`` (str) and ``enabled`` (bool); prints as ``✔ CUDA`` / ``✖ CUDA``,
    as MXNet 1.9.1's ``runtime.Feature``."""

    __slots__ = ('name', 'enabled')

    def __init__(self, name, enabled):
        self.name = name
        self.enabled = bool(enabled)

    def __repr__(self):
        return '%s %s' % ('\u2714' if self.enabled else '\u2716', self.name)


def _numpy_cpu_features():
    """NumPy's run-time CPU detection, ``{'SSE': True, 'AVX2': False, ...}`` ({} if unavailable)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as found      # NumPy 2
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as found   # NumPy 1
        except ImportError:
            return {}
    return dict(found)


def _numpy_blas_name():
    """The lower-case name of the BLAS NumPy was built against (``'scipy-openblas'``), or ''."""
    try:
        config = np.show_config(mode='dicts')
        return str(config['Build Dependencies']['blas']['name']).lower()
    except Exception:  # noqa: BLE001 -- older NumPy or an unusual build: report no known BLAS
        return ''


def feature_list():
    """Every feature, enabled or not, in MXNet 1.9.1's order.

    Returns
    -------
    list of Feature
        32 entries, one per name in :data:`FEATURE_NAMES`; see the module docstring for what
        each means in minigluon.
    """
    cpu, blas = _numpy_cpu_features(), _numpy_blas_name()
    enabled = {'CUDA': backend.cupy_available(), 'LAPACK': True, 'INT64_TENSOR_SIZE': True,
               'PROFILER': True}
    for name, numpy_name in _CPU_NAMES.items():
        enabled[name] = bool(numpy_name and cpu.get(numpy_name, False))
    for name, word in _BLAS_NAMES.items():
        enabled[name] = word in blas
    return [Feature(name, enabled.get(name, False)) for name in FEATURE_NAMES]


class Features(collections.OrderedDict):
    """The features as an ordered dict ``name -> Feature``; one shared instance, built on first
    use (MXNet 1.9.1 ``runtime.Features``: ``Features() is Features()``).

    Examples
    --------
    >>> features = mx.runtime.Features()
    >>> features.is_enabled('CUDA')      # True only with CuPy and a CUDA device
    False
    """

    instance = None

    def __new__(cls):
        if cls.instance is None:
            cls.instance = super().__new__(cls)
            super().__init__(cls.instance, [(f.name, f) for f in feature_list()])
        return cls.instance

    def __init__(self):     # filled once in __new__; calling Features() again keeps it
        pass

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name):
        """Whether ``feature_name`` (any case: ``'cuda'`` is ``'CUDA'``) is enabled.

        Returns
        -------
        bool

        Raises
        ------
        RuntimeError
            For a name that is not one of MXNet's features (the message lists them), as MXNet.
        TypeError
            When ``feature_name`` is not a str.
        """
        if not isinstance(feature_name, str):
            raise TypeError('is_enabled: feature_name must be a str such as \'CUDA\', got %s %r'
                            % (type(feature_name).__name__, feature_name))
        feature_name = feature_name.upper()
        if feature_name not in self:
            raise RuntimeError('is_enabled: unknown feature %r; MXNet 1.9.1 names these: %s'
                               % (feature_name, ', '.join(self)))
        return self[feature_name].enabled
