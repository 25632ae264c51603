"""The LSTM time loop on a CUDA device: one fused kernel per step for the gate arithmetic.

On the CPU, :mod:`minigluon.ops._rnn_kernels` runs each LSTM step as one GEMM plus about ten NumPy
calls (forward) or six (backward). On a GPU each of those calls is a kernel launch, and at the
small per-step sizes of an LSTM the launches, not the arithmetic, set the time. Here each step is
the GEMM (cuBLAS, through CuPy) plus one kernel that does all the element-wise work of the step,
with exactly the arithmetic of the CPU loop (sigmoid as ``0.5 * tanh(x / 2) + 0.5``, the ``1/2``
folded into the weights; gate order ``[i, f, o, g]`` inside the kernels):

* forward: activate the four gates, ``c' = f * c + i * g``, ``tanh(c')``, ``h' = o * tanh(c')``;
* backward: ``dh += dout_t``, ``dc += dh * kc_t``, the four pre-activation gradients, ``dc *= f_t``.

Used for LSTM layers in float32 or float64 without ``use_sequence_length`` masks or state clipping
(those take the generic loop). The source is written once for two compilers, as in
:mod:`minigluon.ops.ctc_cuda`: with ``MG_CUDA`` it is CUDA C (one thread per (sample, unit), a
grid-stride loop); without, plain C looping over every element, which the tests build with the
system C compiler and compare with the NumPy loop.
"""
import numpy as np

_TEMPLATE = r'''
#ifdef MG_CUDA
#define DEVICE __device__
#else
#include <math.h>
#define DEVICE static
#endif

/* One element (n, j) of step t. g: (N, 4H) pre-activations [i, f, o, g] with the recurrent
   product still to add (hh), overwritten with the activated gates; c0/c1: cell state before/after;
   tc: tanh(c1); h1: the new hidden state. */
DEVICE void fwd_elem_REAL(long k, REAL* g, const REAL* hh, const REAL* c0, REAL* c1, REAL* tc,
                          REAL* h1, int H) {
    long n = k / H, j = k % H, b = n * 4 * H + j;
    REAL i = (REAL)0.5 * tanh(g[b] + hh[b]) + (REAL)0.5;
    REAL f = (REAL)0.5 * tanh(g[b + H] + hh[b + H]) + (REAL)0.5;
    REAL o = (REAL)0.5 * tanh(g[b + 2 * H] + hh[b + 2 * H]) + (REAL)0.5;
    REAL gg = tanh(g[b + 3 * H] + hh[b + 3 * H]);
    g[b] = i; g[b + H] = f; g[b + 2 * H] = o; g[b + 3 * H] = gg;
    REAL c = f * c0[k] + i * gg;
    REAL t = tanh(c);
    c1[k] = c; tc[k] = t; h1[k] = o * t;
}

/* One element (n, j) of step t going back. dh, dc: (N, H) running gradients (dh is replaced by
   the recurrent product after this kernel); dout, kc: (N, H) this step's output gradient and
   o * (1 - tanh(c)^2); K: (N, 4, H) derivative factors in MXNet's order [i, f, g, o];
   gates: (N, 4H) activated [i, f, o, g]; d4: (N, 4, H) out, the pre-activation gradients. */
DEVICE void bwd_elem_REAL(long k, const REAL* dh, REAL* dc, const REAL* dout, const REAL* kc,
                          const REAL* K, const REAL* gates, REAL* d4, int H) {
    long n = k / H, j = k % H, b = n * 4 * H + j;
    REAL h = dh[k] + dout[k];
    REAL c = dc[k] + h * kc[k];
    d4[b] = K[b] * c;
    d4[b + H] = K[b + H] * c;
    d4[b + 2 * H] = K[b + 2 * H] * c;
    d4[b + 3 * H] = K[b + 3 * H] * h;
    dc[k] = c * gates[b + H];
}

#ifdef MG_CUDA
#define GRID_FOR(k, n) for (long k = blockIdx.x * (long)blockDim.x + threadIdx.x; k < (n); \
                            k += (long)blockDim.x * gridDim.x)
extern "C" __global__ void lstm_fwd_step_REAL(REAL* g, const REAL* hh, const REAL* c0, REAL* c1,
                                              REAL* tc, REAL* h1, int N, int H)
#else
#define GRID_FOR(k, n) for (long k = 0; k < (n); ++k)
void lstm_fwd_step_REAL(REAL* g, const REAL* hh, const REAL* c0, REAL* c1, REAL* tc, REAL* h1,
                        int N, int H)
#endif
{
    GRID_FOR(k, (long)N * H) fwd_elem_REAL(k, g, hh, c0, c1, tc, h1, H);
}

#ifdef MG_CUDA
extern "C" __global__ void lstm_bwd_step_REAL(const REAL* dh, REAL* dc, const REAL* dout,
                                              const REAL* kc, const REAL* K, const REAL* gates,
                                              REAL* d4, int N, int H)
#else
void lstm_bwd_step_REAL(const REAL* dh, REAL* dc, const REAL* dout, const REAL* kc,
                        const REAL* K, const REAL* gates, REAL* d4, int N, int H)
#endif
{
    GRID_FOR(k, (long)N * H) bwd_elem_REAL(k, dh, dc, dout, kc, K, gates, d4, H);
}
'''

_THREADS = 256
_kernels = {}


def kernel_source(dtype):
    """The dual-form source for ``dtype`` (float32 or float64): ``REAL`` spelled out."""
    real = {np.dtype(np.float32): 'float', np.dtype(np.float64): 'double'}[np.dtype(dtype)]
    return _TEMPLATE.replace('REAL', real)


def supported(xp, dtype, mask, clip):
    """True when the fused kernels handle this call (a GPU, float32/64, no mask, no clipping)."""
    return xp is not np and mask is None and clip is None and np.dtype(dtype) in (
        np.dtype(np.float32), np.dtype(np.float64))


def _kernel(cupy, dtype, which):
    real = 'float' if np.dtype(dtype) == np.float32 else 'double'
    name = 'lstm_%s_step_%s' % (which, real)
    if name not in _kernels:
        _kernels[name] = cupy.RawKernel('#define MG_CUDA 1\n' + kernel_source(dtype), name)
    return _kernels[name]


def _grid(n):
    return (max(1, min(4096, -(-n // _THREADS))),), (_THREADS,)


def forward_steps(cupy, gates, hs, cs, tcs, whT):
    """Run the LSTM recursion over all ``T`` steps (arrays as in ``_rnn_kernels.dir_forward``:
    ``gates`` (T, N, 4H) pre-activations, overwritten with the activated gates; ``hs``/``cs``
    (T+1, N, H) with the initial state in row 0; ``tcs`` (T, N, H); ``whT`` (H, 4H))."""
    T, N, gh = gates.shape
    H = gh // 4
    hh = cupy.empty((N, gh), dtype=gates.dtype)
    kern = _kernel(cupy, gates.dtype, 'fwd')
    grid, block = _grid(N * H)
    n32, h32 = np.int32(N), np.int32(H)
    for t in range(T):
        cupy.dot(hs[t], whT, out=hh)
        kern(grid, block, (gates[t], hh, cs[t], cs[t + 1], tcs[t], hs[t + 1], n32, h32))


def backward_steps(cupy, dh, dc, dout, kc, K, gates, dgx, wh):
    """The reverse loop of ``_rnn_kernels.dir_backward`` for LSTM: updates ``dh``/``dc`` (N, H)
    in place and fills ``dgx`` (T, N, 4H) in MXNet's gate order; ``dout``/``kc`` (T, N, H),
    ``K`` (T, N, 4, H), ``gates`` (T, N, 4H) activated [i, f, o, g], ``wh`` (4H, H)."""
    T, N, H = dout.shape
    dout = cupy.ascontiguousarray(dout)
    kern = _kernel(cupy, dout.dtype, 'bwd')
    grid, block = _grid(N * H)
    n32, h32 = np.int32(N), np.int32(H)
    for t in range(T - 1, -1, -1):
        kern(grid, block, (dh, dc, dout[t], kc[t], K[t], gates[t], dgx[t], n32, h32))
        cupy.dot(dgx[t], wh, out=dh)
