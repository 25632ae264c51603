"""Optimizer updates on a CUDA device as one kernel per parameter (Adam).

:func:`minigluon.ops.update_kernels.adam` written with array operations is about fifteen CuPy
calls per parameter, each a kernel launch with its host-side cost (measured on an H200: ~250 us
per parameter, 3 ms of a 20 ms training step for a 12-parameter model). Here the same update is one
launch, element by element, in the same order of operations and the same dtype, and compiled
without contracting multiply-adds (``--fmad=false``), with IEEE division and square root (NVRTC's
defaults), so each result is rounded exactly as the array form's: bit for bit the same numbers
(float32 subnormals aside, which every CuPy kernel flushes to zero: see
:mod:`minigluon.ops._raw_kernel`).

The source is written once for two compilers, as in :mod:`minigluon.ops.ctc_cuda`: with
``MG_CUDA`` a grid-stride CUDA kernel; without, a plain C loop, which the tests build with the
system C compiler (ISO C: no contraction either) through the CuPy stand-in.
"""
import numpy as np

from minigluon.ops._raw_kernel import REAL_TYPES, grid_stride, raw_kernel, real_source

_TEMPLATE = r'''
#ifdef MG_CUDA
#define GRID_FOR(k, n) for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; \
                            k < (n); k += (long long)blockDim.x * gridDim.x)
#else
#include <math.h>
#define GRID_FOR(k, n) for (long long k = 0; k < (n); ++k)
#endif

/* Adam without bias correction (MXNet's adam_update): g = rescale * grad + wd * w (also at
   wd == 0, as MXNet), clipped to [-clip, clip] when use_clip; mean = b1 * mean + (1 - b1) * g;
   var = b2 * var + (1 - b2) * g * g; w -= lr * mean / (sqrt(var) + eps). one_b1 = 1 - b1 and
   one_b2 = 1 - b2 are rounded on the host, as the array form rounds them. */
#ifdef MG_CUDA
extern "C" __global__ void adam_update_REAL(REAL* w, const REAL* grad, REAL* mean, REAL* var,
    long long n, REAL rescale, REAL wd, REAL clip, int use_clip, REAL b1, REAL one_b1,
    REAL b2, REAL one_b2, REAL lr, REAL eps)
#else
void adam_update_REAL(REAL* w, const REAL* grad, REAL* mean, REAL* var,
    long long n, REAL rescale, REAL wd, REAL clip, int use_clip, REAL b1, REAL one_b1,
    REAL b2, REAL one_b2, REAL lr, REAL eps)
#endif
{
    GRID_FOR(k, n) {
        REAL g = grad[k] * rescale;
        g = g + wd * w[k];
        if (use_clip) g = g < -clip ? -clip : (g > clip ? clip : g);
        REAL m = b1 * mean[k] + one_b1 * g;
        REAL v = b2 * var[k] + one_b2 * g * g;
        mean[k] = m;
        var[k] = v;
        w[k] = w[k] - lr * m / (SQRT(v) + eps);
    }
}
'''

def kernel_source(dtype):
    """The dual-form source for ``dtype`` (float32 or float64): ``REAL`` and ``SQRT`` spelled out."""
    return real_source(_TEMPLATE, dtype)


def _kernel(cupy, name, dtype):
    return raw_kernel(cupy, kernel_source(dtype), '%s_%s' % (name, REAL_TYPES[np.dtype(dtype)]),
                      options=('--fmad=false',))


def adam(cupy, w, g, mean, var, rescale, wd, clip, use_clip, b1, one_b1, b2, one_b2, lr, eps):
    """Adam's update of ``w``, ``mean`` and ``var`` (C-contiguous, one float dtype) in place, in
    one launch; the scalars as :func:`minigluon.ops.update_kernels.adam` prepares them (rounded
    to the weight's dtype; ``use_clip`` a bool)."""
    n = w.size
    _kernel(cupy, 'adam_update', w.dtype)(*grid_stride(n), (
        w, g, mean, var, np.int64(n), rescale, wd, clip, np.int32(use_clip), b1,
        one_b1, b2, one_b2, lr, eps))
