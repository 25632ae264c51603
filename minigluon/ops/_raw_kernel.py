"""CUDA kernels written in minigluon's dual C/CUDA form, compiled once per process.

The kernels of :mod:`minigluon.ops.ctc_cuda`, :mod:`minigluon.ops._rnn_cuda` and
:mod:`minigluon.ops._update_cuda` are sources that compile as CUDA C when ``MG_CUDA`` is defined
and as plain C otherwise. :func:`raw_kernel` builds the CUDA form with CuPy's ``RawKernel``
(NVRTC) and keeps it. The cache is keyed by the array module as well as the kernel's name: the
tests run the same kernels through a CuPy stand-in (tests/cupy_emulation) in the same process as
real CuPy, and a kernel built by one must never be launched with the other's arrays.
"""
_cache = {}


def raw_kernel(cupy, source, name, options=()):
    """The kernel ``name`` of the dual-form ``source``, built by ``cupy.RawKernel`` with
    ``MG_CUDA`` defined and NVRTC ``options`` (a tuple), on first use."""
    key = (cupy, name, options)
    kern = _cache.get(key)
    if kern is None:
        kern = _cache[key] = cupy.RawKernel('#define MG_CUDA 1\n' + source, name, options=options)
    return kern
