"""2x2, stride-2 max pooling that keeps each window's winner, on a CUDA device: one launch a pass.

The array form of :mod:`minigluon.ops._pool_argmax` finds the winners with four CuPy calls per
kernel position (sixteen launches for a 2x2 window, more with a fused relu) and scatters the
gradient with eight more; here the forward and the backward are one kernel each, one thread per
window. They are the CUDA twins of the Numba kernels (:mod:`minigluon.ops._pool_numba_kernels`)
and give the same results bit for bit (ties, NaNs, the relu's zero signs: see that module), on
the CPU through the C form; on a GPU, float32 subnormals are flushed to zero by CuPy's compiler
settings, so there a subnormal compares as 0 (see :mod:`minigluon.ops._raw_kernel`).

The input and the gradient buffer may be laid out image-first ``(N, C, H, W)`` or channel-first
(``(C, N, H, W)`` memory seen as ``(N, C, H, W)``, what a hybridized Convolution hands its
Pooling): each ``H x W`` plane is contiguous in both, so the kernels take the planes' strides.

The source is written once for two compilers, as in :mod:`minigluon.ops.ctc_cuda`: with
``MG_CUDA`` a grid-stride CUDA kernel; without, a plain C loop, which the tests build with the
system C compiler through the CuPy stand-in.
"""
import numpy as np

from minigluon.ops._raw_kernel import REAL_TYPES, grid_stride, raw_kernel, real_source

_TEMPLATE = r'''
#ifdef MG_CUDA
#define DEVICE __device__
#define GRID_FOR(k, n) for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; \
                            k < (n); k += (long long)blockDim.x * gridDim.x)
#else
#define DEVICE static
#define GRID_FOR(k, n) for (long long k = 0; k < (n); ++k)
#endif

/* One more element v at kernel position q: numpy.maximum's choice for the maximum m (v on ties
   and when v is NaN), the first strictly greater position p, the first NaN's position. */
DEVICE void take_REAL(REAL* m, int* p, int* nan_at, REAL v, int q) {
    if (v > *m) *p = q;
    if (v != v && *nan_at < 0) *nan_at = q;
    if (!(*m > v || *m != *m)) *m = v;
}

/* x: planes of H x W at x + n * xsn + c * xsc; best, pos: (N, C, OH, OW) contiguous. relu: a
   relu follows; windows whose maximum is not above 0 get position 4 (matched by no element). */
#ifdef MG_CUDA
extern "C" __global__ void argmax_pool_2x2_REAL(const REAL* x, long long xsn, long long xsc,
                                                int W, REAL* best, unsigned char* pos, int N,
                                                int C, int OH, int OW, int relu)
#else
void argmax_pool_2x2_REAL(const REAL* x, long long xsn, long long xsc, int W, REAL* best,
                          unsigned char* pos, int N, int C, int OH, int OW, int relu)
#endif
{
    GRID_FOR(k, (long long)N * C * OH * OW) {
        long long j = k % OW, i = k / OW % OH, c = k / ((long long)OW * OH) % C;
        long long n = k / ((long long)OW * OH * C);
        const REAL* w = x + n * xsn + c * xsc + 2 * i * W + 2 * j;
        REAL m = w[0];
        int p = 0, nan_at = m != m ? 0 : -1;
        take_REAL(&m, &p, &nan_at, w[1], 1);
        take_REAL(&m, &p, &nan_at, w[W], 2);
        take_REAL(&m, &p, &nan_at, w[W + 1], 3);
        if (nan_at >= 0) p = nan_at;
        if (relu && !(m > 0)) {
            p = 4;
            if (m == m) m = 0;
        }
        best[k] = m;
        pos[k] = (unsigned char)p;
    }
}

/* The backward: each window's four elements of gpad (planes at gpad + n * gsn + c * gsc) get
   g * (that position won); g, pos: (N, C, OH, OW) contiguous. */
#ifdef MG_CUDA
extern "C" __global__ void scatter_2x2_REAL(const REAL* g, const unsigned char* pos, REAL* gpad,
                                            long long gsn, long long gsc, int W, int N, int C,
                                            int OH, int OW)
#else
void scatter_2x2_REAL(const REAL* g, const unsigned char* pos, REAL* gpad, long long gsn,
                      long long gsc, int W, int N, int C, int OH, int OW)
#endif
{
    GRID_FOR(k, (long long)N * C * OH * OW) {
        long long j = k % OW, i = k / OW % OH, c = k / ((long long)OW * OH) % C;
        long long n = k / ((long long)OW * OH * C);
        REAL* w = gpad + n * gsn + c * gsc + 2 * i * W + 2 * j;
        REAL gv = g[k];
        int p = pos[k];
        w[0] = gv * (REAL)(p == 0);
        w[1] = gv * (REAL)(p == 1);
        w[W] = gv * (REAL)(p == 2);
        w[W + 1] = gv * (REAL)(p == 3);
    }
}
'''

def kernel_source(dtype):
    """The dual-form source for ``dtype`` (float32 or float64): ``REAL`` spelled out."""
    return real_source(_TEMPLATE, dtype)


def supported(xp, kernel, stride, dtype):
    """True for a GPU array module, 2x2 windows with stride 2 and float32/float64 data."""
    return (xp is not np and tuple(kernel) == (2, 2) and tuple(stride) == (2, 2)
            and np.dtype(dtype) in REAL_TYPES)


def planes(a):
    """``(contiguous array, n stride, c stride)`` in elements when each ``H x W`` plane of the
    4-D ``a`` is contiguous in an image-first or channel-first memory order, else None."""
    N, C, H, W = a.shape
    if a.flags.c_contiguous:
        return a, C * H * W, H * W
    t = a.transpose(1, 0, 2, 3)
    if t.flags.c_contiguous:
        return t, H * W, N * H * W
    return None


def _launch(cupy, name, dtype, count, args):
    raw_kernel(cupy, kernel_source(dtype), '%s_%s' % (name, REAL_TYPES[np.dtype(dtype)]))(
        *grid_stride(count), args)


def argmax_pool_2x2(cupy, x, best, pos, relu):
    """Fill ``best`` and ``pos`` (contiguous ``(N, C, OH, OW)``, ``pos`` uint8) from the padded
    input ``x (N, C, H >= 2*OH, W >= 2*OW)`` in any memory order (a copy when its planes are not
    contiguous)."""
    laid = planes(x)
    if laid is None:
        laid = planes(cupy.ascontiguousarray(x))
    base, sn, sc = laid
    N, C, OH, OW = best.shape
    _launch(cupy, 'argmax_pool_2x2', x.dtype, best.size, (
        base, np.int64(sn), np.int64(sc), np.int32(x.shape[3]), best, pos, np.int32(N),
        np.int32(C), np.int32(OH), np.int32(OW), np.int32(bool(relu))))


def scatter_2x2(cupy, g, pos, gpad):
    """The backward of :func:`argmax_pool_2x2` into ``gpad`` (same shape and dtype as the padded
    input; its planes contiguous: see :func:`planes`)."""
    base, sn, sc = planes(gpad)
    N, C, OH, OW = g.shape
    _launch(cupy, 'scatter_2x2', g.dtype, g.size, (
        cupy.ascontiguousarray(g), pos, base, np.int64(sn), np.int64(sc),
        np.int32(gpad.shape[3]), np.int32(N), np.int32(C), np.int32(OH), np.int32(OW)))
