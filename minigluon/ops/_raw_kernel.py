"""CUDA kernels written in minigluon's dual C/CUDA form, compiled once per process.

The kernels of :mod:`minigluon.ops.ctc_cuda`, :mod:`minigluon.ops._rnn_cuda` and
:mod:`minigluon.ops._update_cuda` are sources that compile as CUDA C when ``MG_CUDA`` is defined
and as plain C otherwise. :func:`raw_kernel` builds the CUDA form with CuPy's ``RawKernel``
(NVRTC) and keeps it. The cache is keyed by the array module as well as the kernel's name: the
tests run the same kernels through a CuPy stand-in (tests/cupy_emulation) in the same process as
real CuPy, and a kernel built by one must never be launched with the other's arrays.

**Float32 subnormals on a GPU.** CuPy compiles every kernel, its own element-wise operations and
these alike, with ``-ftz=true``, and a ``--ftz=false`` in the options is overridden by it (CuPy
issue #9576, open as of CuPy 14): float32 subnormals (magnitudes below ~1.2e-38) read or produced
by a kernel are flushed to zero. So "bit for bit the CPU's results", said of a kernel here, holds
for float32 only where no subnormal occurs (measured on an H200: the fused Adam and the 2x2 max
pooling then differ from NumPy where weights, moments or activations are subnormal, exactly as
CuPy's own array operations do); float64 is unaffected. NaNs made on the GPU also carry another
bit pattern (``0x7fffffff``) than x86's default NaN (``0xffc00000``), in the same places.
"""
import numpy as np

_cache = {}

#: The C type of each float dtype the kernels are written for (their templates say ``REAL``).
REAL_TYPES = {np.dtype(np.float32): 'float', np.dtype(np.float64): 'double'}


def real_source(template, dtype):
    """A kernel template for ``dtype`` (float32 or float64): ``REAL`` spelled as its C type and
    ``SQRT`` as that type's square root (in C, ``sqrt`` of a float would round twice)."""
    real = REAL_TYPES[np.dtype(dtype)]
    return template.replace('REAL', real).replace('SQRT', 'sqrtf' if real == 'float' else 'sqrt')

#: Threads per block of the element-wise (grid-stride) kernels.
THREADS = 256
#: Most blocks of a grid-stride launch: enough to fill any current GPU; the loop covers the rest.
MAX_BLOCKS = 4096


def grid_stride(count):
    """``(grid, block)`` of a grid-stride kernel over ``count`` elements: one thread each, up to
    :data:`MAX_BLOCKS` blocks of :data:`THREADS`; at least one block (a GPU refuses a grid of 0)."""
    return (max(1, min(MAX_BLOCKS, -(-count // THREADS))),), (THREADS,)


def raw_kernel(cupy, source, name, options=()):
    """The kernel ``name`` of the dual-form ``source``, built by ``cupy.RawKernel`` with
    ``MG_CUDA`` defined and NVRTC ``options`` (a tuple), on first use."""
    key = (cupy, name, options)
    kern = _cache.get(key)
    if kern is None:
        kern = _cache[key] = cupy.RawKernel('#define MG_CUDA 1\n' + source, name, options=options)
    return kern
