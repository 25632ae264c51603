"""The LSTM and GRU time loops on a CUDA device: the whole loop in one kernel, or (LSTM) one
fused kernel a step.

On the CPU, :mod:`minigluon.ops._rnn_kernels` runs each LSTM step as one GEMM plus about ten NumPy
calls (forward) or six (backward). On a GPU each of those calls is a kernel launch, and at the
small per-step sizes of an LSTM the launches, not the arithmetic, set the time. Two forms here,
with exactly the element-wise arithmetic of the CPU loop (sigmoid as ``0.5 * tanh(x / 2) + 0.5``,
the ``1/2`` folded into the weights; gate order ``[i, f, o, g]`` inside the kernels):

* **whole loop** (``4H <= 1024``, i.e. up to 256 hidden units, and a bounded ``N * H**2``: see
  :data:`WHOLE_LOOP_MAX`): one launch runs all ``T`` steps of one direction, one thread block
  per sample. The samples of a batch are independent, so a block
  needs no other block's state: it keeps its sample's ``h`` (and, going back, ``dh``/``dc``) in
  shared memory and computes the recurrent product itself, one thread per gate row, with a
  ``__syncthreads()`` between the phases of a step. The same structure as the CTC kernel
  (:mod:`minigluon.ops.ctc_cuda`). Measured on an H200 (bench/README.md), the per-step form's
  two launches a step were ~60 us per step of host time (CuPy's Python-level launch costs).
* **per step** (larger layers and batches): the GEMM (cuBLAS, through CuPy) plus one kernel that does all the
  element-wise work of the step.

What each step computes:

* forward: activate the four gates, ``c' = f * c + i * g``, ``tanh(c')``, ``h' = o * tanh(c')``;
* backward: ``dh += dout_t``, ``dc += dh * o * (1 - tanh(c')^2)``, the four pre-activation
  gradients, ``dc *= f_t``, ``dh = d4 @ W_h``. The per-step form reads derivative factors that
  the caller computes for all steps first (about fifteen more launches); the whole loop forms
  them itself, from the kept activations and cell states.

The GRU has the whole-loop form only (``3H <= 1024``, up to 341 hidden units, and the same bound
on ``N * 3H * H``), with the arithmetic of the compiled CPU step
(:mod:`minigluon.ops._rnn_numba_kernels`): ``r, z`` activated from the input and recurrent
products, ``n = tanh(x_n + r * (W_hn h + b_hn))``, ``h' = (h - n) * z + n``; going back, the
derivative factors of the NumPy loop and ``dh = dh' * z + d3 @ W_h``. Larger GRUs keep the
generic loop.

Used for LSTM and GRU layers in float32 or float64 without ``use_sequence_length`` masks or
(LSTM) state clipping (those take the generic loop). The source is written once for two compilers, as in
:mod:`minigluon.ops.ctc_cuda`: with ``MG_CUDA`` it is CUDA C (a "parallel for" over a block's
threads or over a grid); without, plain C in which a parallel for is a sequential loop and a
barrier is nothing, which the tests build with the system C compiler and compare with the NumPy
loop. The recurrent products of the whole-loop form sum in a different order from cuBLAS's, so
results agree with the per-step form to rounding, not bit for bit.
"""
import numpy as np

from minigluon.ops._raw_kernel import REAL_TYPES, grid_stride, raw_kernel, real_source

_TEMPLATE = r'''
#ifdef MG_CUDA
#define DEVICE __device__
#define SHARED __shared__
#define PARFOR(i, n) for (int i = threadIdx.x; i < (n); i += blockDim.x)
#define SYNC() __syncthreads()
#else
#include <math.h>
#define DEVICE static
#define SHARED
#define PARFOR(i, n) for (int i = 0; i < (n); ++i)
#define SYNC()
#endif
#define MAX_GATES 1024   /* 4H (LSTM) or 3H (GRU) of the whole-loop kernels: a thread per gate row */

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

/* The weights of one direction in the kernels' form, in one launch: gate rows reordered from
   MXNet's [i, f, g, o] to [i, f, o, g], the sigmoid gates' rows halved (exact: a power of two).
   wx (4H, I), wh (4H, H), bx, bh (4H) in; wxs (4H, I), whT (H, 4H) transposed, b (4H) = bx + bh
   out. */
DEVICE long mxnet_row(long r, long H) {
    long gate = r / H;
    return (gate == 2 ? 3 : gate == 3 ? 2 : gate) * H + r % H;
}

#ifdef MG_CUDA
extern "C" __global__ void lstm_prep_REAL(const REAL* wx, const REAL* wh, const REAL* bx,
                                          const REAL* bh, REAL* wxs, REAL* whT, REAL* b, int H,
                                          int I)
#else
void lstm_prep_REAL(const REAL* wx, const REAL* wh, const REAL* bx, const REAL* bh, REAL* wxs,
                    REAL* whT, REAL* b, int H, int I)
#endif
{
    const long G = 4L * H, nx = G * I, nh = G * H;
    GRID_FOR(k, nx + nh + G) {
        if (k < nx) {
            long r = k / I;
            wxs[k] = wx[mxnet_row(r, H) * I + k % I] * (r < 3 * H ? (REAL)0.5 : (REAL)1);
        } else if (k < nx + nh) {
            long m = k - nx, r = m % G;          /* whT[j, r] = W_h[r, j] */
            whT[m] = wh[mxnet_row(r, H) * H + m / G] * (r < 3 * H ? (REAL)0.5 : (REAL)1);
        } else {
            long r = k - nx - nh, src = mxnet_row(r, H);
            b[r] = (bx[src] + bh[src]) * (r < 3 * H ? (REAL)0.5 : (REAL)1);
        }
    }
}

/* The whole forward loop of sample n (one thread block). Arrays as for lstm_fwd_step, with a time
   axis: g (T, N, 4H), hs/cs (T+1, N, H) holding the initial state in row 0, tc (T, N, H);
   whT (H, 4H). Thread j computes gate row j of the recurrent product from the shared h. */
DEVICE void fwd_loop_REAL(int n, REAL* g, REAL* hs, REAL* cs, REAL* tc, const REAL* whT, int T,
                          int N, int H) {
    SHARED REAL h[MAX_GATES / 4];
    SHARED REAL a[MAX_GATES];
    const int G = 4 * H;
    PARFOR(j, H) h[j] = hs[(long)n * H + j];
    SYNC();
    for (int t = 0; t < T; ++t) {
        REAL* gt = g + ((long)t * N + n) * G;
        PARFOR(j, G) {
            REAL s = 0;
            for (int k = 0; k < H; ++k) s += h[k] * whT[(long)k * G + j];
            REAL v = j < 3 * H ? (REAL)0.5 * tanh(gt[j] + s) + (REAL)0.5 : tanh(gt[j] + s);
            a[j] = v;
            gt[j] = v;
        }
        SYNC();
        PARFOR(j, H) {
            long k = ((long)t * N + n) * H + j, k1 = k + (long)N * H;
            REAL c = a[H + j] * cs[k] + a[j] * a[3 * H + j];
            REAL th = tanh(c);
            REAL hv = a[2 * H + j] * th;
            cs[k1] = c; tc[k] = th; hs[k1] = hv; h[j] = hv;
        }
        SYNC();
    }
}

/* The recurrent product d @ wh of one sample in partial sums, one thread per (gate block p, unit
   j): part[p * H + j] = the sum over the H rows m of gate block p of d[m] * wh[m, j]; G = the
   number of gate rows (4H or 3H). The caller adds the partial sums after a barrier. */
DEVICE void gate_partials_REAL(const REAL* d, const REAL* wh, REAL* part, int G, int H) {
    PARFOR(q, G) {
        int p = q / H, j = q % H;
        REAL s = 0;
        for (int m = p * H; m < (p + 1) * H; ++m) s += d[m] * wh[(long)m * H + j];
        part[q] = s;
    }
}

/* The whole backward loop of sample n (one thread block): dh, dc (N, H) in/out; dout, tc
   (T, N, H); gates (T, N, 4H) activated [i, f, o, g]; cs (T+1, N, H); d4 (T, N, 4, H) out, in
   MXNet's order [i, f, g, o]; wh (4H, H). Each derivative factor is formed first, then multiplied
   by the running gradient: the products of the NumPy loop in its order (see
   minigluon/ops/_rnn_numba_kernels.py). Then dh = d4 @ wh, summed in four partial sums (one per
   gate block of wh's rows, a thread each per (block, unit)) and their total. */
DEVICE void bwd_loop_REAL(int n, REAL* dh, REAL* dc, const REAL* dout, const REAL* gates,
                          const REAL* cs, const REAL* tc, REAL* d4, const REAL* wh, int T,
                          int N, int H) {
    SHARED REAL hv[MAX_GATES / 4];
    SHARED REAL cv[MAX_GATES / 4];
    SHARED REAL d[MAX_GATES];
    SHARED REAL part[MAX_GATES];
    const int G = 4 * H;
    const REAL one = 1;
    PARFOR(j, H) { hv[j] = dh[(long)n * H + j]; cv[j] = dc[(long)n * H + j]; }
    SYNC();
    for (int t = T - 1; t >= 0; --t) {
        long row = (long)t * N + n;
        PARFOR(j, H) {
            long k = row * H + j, b = row * G + j;
            REAL i = gates[b], f = gates[b + H], o = gates[b + 2 * H], g = gates[b + 3 * H];
            REAL th = tc[k];
            REAL h = hv[j] + dout[k];
            REAL c = cv[j] + h * (o * (one - th * th));
            d[j] = d4[b] = (g * (i * (one - i))) * c;
            d[H + j] = d4[b + H] = (cs[k] * (f * (one - f))) * c;
            d[2 * H + j] = d4[b + 2 * H] = (i * (one - g * g)) * c;
            d[3 * H + j] = d4[b + 3 * H] = (th * (o * (one - o))) * h;
            cv[j] = c * f;
        }
        SYNC();
        gate_partials_REAL(d, wh, part, G, H);
        SYNC();
        PARFOR(j, H) hv[j] = (part[j] + part[H + j]) + (part[2 * H + j] + part[3 * H + j]);
        SYNC();
    }
    PARFOR(j, H) { dh[(long)n * H + j] = hv[j]; dc[(long)n * H + j] = cv[j]; }
}

/* The GRU's whole forward loop of sample n (one thread block), the arithmetic of
   _rnn_numba_kernels.gru_forward_step: g (T, N, 3H) pre-activations [r, z, n] from the inputs
   (the r, z rows halved, as the weights), overwritten with the activated gates; hp (T, N, 3H)
   receives each step's recurrent product plus bh (kept for the backward); hs (T+1, N, H) with
   the initial state in row 0; whT (H, 3H); bh (3H). Thread j computes gate row j of the
   recurrent product from the shared h, then thread j < H the new state's unit j. */
DEVICE void gru_fwd_sample_REAL(int n, REAL* g, REAL* hp, REAL* hs, const REAL* whT, const REAL* bh,
                                int T, int N, int H) {
    SHARED REAL h[MAX_GATES / 3];
    SHARED REAL a[MAX_GATES];         /* activated r, z; the recurrent product of n */
    const int G = 3 * H;
    PARFOR(j, H) h[j] = hs[(long)n * H + j];
    SYNC();
    for (int t = 0; t < T; ++t) {
        const long row = (long)t * N + n;
        REAL* gt = g + row * G;
        REAL* pt = hp + row * G;
        PARFOR(j, G) {
            REAL s = 0;
            for (int k = 0; k < H; ++k) s += h[k] * whT[(long)k * G + j];
            REAL p = s + bh[j];
            pt[j] = p;
            if (j < 2 * H) {
                REAL v = (REAL)0.5 * tanh(gt[j] + p) + (REAL)0.5;
                gt[j] = v;
                a[j] = v;
            } else {
                a[j] = p;
            }
        }
        SYNC();
        PARFOR(j, H) {
            REAL nv = tanh(gt[2 * H + j] + a[j] * a[2 * H + j]);
            REAL hv = (h[j] - nv) * a[H + j] + nv;
            gt[2 * H + j] = nv;
            hs[(row + N) * H + j] = hv;       /* hs[t + 1, n, j] */
            h[j] = hv;
        }
        SYNC();
    }
}

/* The GRU's whole backward loop of sample n (one thread block), the arithmetic of
   _rnn_numba_kernels.gru_backward_step: dh (N, H) in/out; dout (T, N, H); gates (T, N, 3H)
   activated [r, z, n]; hp (T, N, 3H) the recurrent products with their bias; hs (T+1, N, H);
   dgx, dgh (T, N, 3H) out, the gradients of the input and recurrent pre-activations (equal but
   for the n block, scaled by r on the recurrent side); wh (3H, H). After a step the running
   gradient is the part carried straight back (dh * z) plus dgh @ wh, summed as in the LSTM's
   loop: a partial sum per gate block of wh's rows, then their total. */
DEVICE void gru_bwd_sample_REAL(int n, REAL* dh, const REAL* dout, const REAL* gates,
                                const REAL* hp, const REAL* hs, REAL* dgx, REAL* dgh,
                                const REAL* wh, int T, int N, int H) {
    SHARED REAL hv[MAX_GATES / 3];
    SHARED REAL d[MAX_GATES];
    SHARED REAL part[MAX_GATES];
    const int G = 3 * H;
    const REAL one = 1;
    PARFOR(j, H) hv[j] = dh[(long)n * H + j];
    SYNC();
    for (int t = T - 1; t >= 0; --t) {
        const long row = (long)t * N + n;
        PARFOR(j, H) {
            long b = row * G + j;
            REAL r = gates[b], z = gates[b + H], nv = gates[b + 2 * H];
            REAL dhj = hv[j] + dout[row * H + j];
            REAL kn = (one - z) * (one - nv * nv);     /* factors first, as the NumPy loop */
            REAL dr = ((kn * hp[b + 2 * H]) * (r * (one - r))) * dhj;
            REAL dz = ((hs[row * H + j] - nv) * (z * (one - z))) * dhj;
            dgx[b] = dr;
            dgx[b + H] = dz;
            dgx[b + 2 * H] = kn * dhj;
            d[j] = dgh[b] = dr;
            d[H + j] = dgh[b + H] = dz;
            d[2 * H + j] = dgh[b + 2 * H] = (kn * r) * dhj;
            hv[j] = dhj * z;
        }
        SYNC();
        gate_partials_REAL(d, wh, part, G, H);
        SYNC();
        PARFOR(j, H) hv[j] = hv[j] + ((part[j] + part[H + j]) + part[2 * H + j]);
        SYNC();
    }
    PARFOR(j, H) dh[(long)n * H + j] = hv[j];
}

#ifdef MG_CUDA
extern "C" __global__ void gru_fwd_loop_REAL(REAL* g, REAL* hp, REAL* hs, const REAL* whT,
                                             const REAL* bh, int T, int N, int H) {
    gru_fwd_sample_REAL(blockIdx.x, g, hp, hs, whT, bh, T, N, H);
}
extern "C" __global__ void gru_bwd_loop_REAL(REAL* dh, const REAL* dout, const REAL* gates,
                                             const REAL* hp, const REAL* hs, REAL* dgx,
                                             REAL* dgh, const REAL* wh, int T, int N, int H) {
    gru_bwd_sample_REAL(blockIdx.x, dh, dout, gates, hp, hs, dgx, dgh, wh, T, N, H);
}
#else
void gru_fwd_loop_REAL(REAL* g, REAL* hp, REAL* hs, const REAL* whT, const REAL* bh, int T, int N,
                       int H) {
    for (int n = 0; n < N; ++n) gru_fwd_sample_REAL(n, g, hp, hs, whT, bh, T, N, H);
}
void gru_bwd_loop_REAL(REAL* dh, const REAL* dout, const REAL* gates, const REAL* hp,
                       const REAL* hs, REAL* dgx, REAL* dgh, const REAL* wh, int T, int N, int H) {
    for (int n = 0; n < N; ++n) gru_bwd_sample_REAL(n, dh, dout, gates, hp, hs, dgx, dgh, wh, T, N, H);
}
#endif

#ifdef MG_CUDA
extern "C" __global__ void lstm_fwd_loop_REAL(REAL* g, REAL* hs, REAL* cs, REAL* tc,
                                              const REAL* whT, int T, int N, int H) {
    fwd_loop_REAL(blockIdx.x, g, hs, cs, tc, whT, T, N, H);
}
extern "C" __global__ void lstm_bwd_loop_REAL(REAL* dh, REAL* dc, const REAL* dout,
                                              const REAL* gates, const REAL* cs, const REAL* tc,
                                              REAL* d4, const REAL* wh, int T, int N, int H) {
    bwd_loop_REAL(blockIdx.x, dh, dc, dout, gates, cs, tc, d4, wh, T, N, H);
}
#else
void lstm_fwd_loop_REAL(REAL* g, REAL* hs, REAL* cs, REAL* tc, const REAL* whT, int T, int N,
                        int H) {
    for (int n = 0; n < N; ++n) fwd_loop_REAL(n, g, hs, cs, tc, whT, T, N, H);
}
void lstm_bwd_loop_REAL(REAL* dh, REAL* dc, const REAL* dout, const REAL* gates,
                        const REAL* cs, const REAL* tc, REAL* d4, const REAL* wh, int T, int N,
                        int H) {
    for (int n = 0; n < N; ++n) bwd_loop_REAL(n, dh, dc, dout, gates, cs, tc, d4, wh, T, N, H);
}
#endif
'''



def kernel_source(dtype):
    """The dual-form source for ``dtype`` (float32 or float64): ``REAL`` spelled out."""
    return real_source(_TEMPLATE, dtype)


def supported(xp, dtype, mask, clip):
    """True when the fused kernels handle this call (a GPU, float32/64, no mask, no clipping)."""
    return xp is not np and mask is None and clip is None and np.dtype(dtype) in REAL_TYPES


def _kernel(cupy, dtype, which, form='step', cell='lstm'):
    """The compiled kernel ``{cell}_{which}_{form}_{real}`` (``which`` 'fwd'/'bwd', ``form``
    'step'/'loop'; ``lstm_prep_{real}`` for ``which='prep'``, ``form=None``; the GRU has only
    the 'loop' form), built once per process."""
    name = '_'.join([cell, which] + ([form] if form else []) + [REAL_TYPES[np.dtype(dtype)]])
    return raw_kernel(cupy, kernel_source(dtype), name)




def prepared_weights(cupy, wx, wh, bx, bh):
    """``(wx_s (4H, I), whT (H, 4H), b_s (4H))``: one direction's weights as the forward kernels
    read them (see ``_rnn_kernels.dir_forward``: rows in ``[i, f, o, g]`` order, sigmoid rows
    halved, the recurrent weights transposed, the two biases summed), in one launch; bit for bit
    the array form's ``wx[perm] * scale[:, None]`` etc., which take ~14 launches."""
    G, I = wx.shape
    H = G // 4
    dt = wx.dtype
    wxs, whT, b = (cupy.empty(shape, dtype=dt) for shape in ((G, I), (H, G), (G,)))
    _kernel(cupy, dt, 'prep', None)(*grid_stride(G * I + G * H + G), tuple(
        cupy.ascontiguousarray(a) for a in (wx, wh, bx, bh)) + (wxs, whT, b, np.int32(H),
                                                               np.int32(I)))
    return wxs, whT, b


#: Most multiply-adds of one step's recurrent product (``N * 4H * H``) for the whole-loop form.
#: Each of its blocks reads all of ``W_h`` every step, with no reuse across samples (cuBLAS's
#: GEMM reads it once per step for the batch), so its weight traffic grows with ``N * H**2``; at
#: the measured sizes (2**19 and 2**20: ``N = 32, 64``, ``H = 64``) it is far ahead of the
#: per-step form's launches. The bound keeps larger batches of wide layers on cuBLAS; it is an
#: estimate (about 32 MB of L2 reads a step at the bound), not a measured crossover.
WHOLE_LOOP_MAX = 1 << 23


def whole_loop(N, H, gates=4):
    """True when the whole-loop form applies to a layer of ``gates`` gates (4: LSTM, 3: GRU):
    one block's threads hold a step's gate rows (``gates * H <= 1024``) and
    ``N * gates * H * H <= WHOLE_LOOP_MAX``."""
    return gates * H <= 1024 and N * gates * H * H <= WHOLE_LOOP_MAX


def _block(G):
    """Threads of a whole-loop block: ``G`` gate rows rounded up to whole warps."""
    return (-(-G // 32) * 32,)


def forward_steps(cupy, gates, hs, cs, tcs, whT):
    """Run the LSTM recursion over all ``T`` steps (arrays as in ``_rnn_kernels.dir_forward``:
    ``gates`` (T, N, 4H) pre-activations, overwritten with the activated gates; ``hs``/``cs``
    (T+1, N, H) with the initial state in row 0; ``tcs`` (T, N, H); ``whT`` (H, 4H)). One launch
    when :func:`whole_loop` allows, else two a step."""
    T, N, gh = gates.shape
    H = gh // 4
    n32, h32 = np.int32(N), np.int32(H)
    if T == 0 or N == 0:        # nothing to compute (and a grid of 0 blocks is refused)
        return
    if whole_loop(N, H):
        _kernel(cupy, gates.dtype, 'fwd', 'loop')((N,), _block(gh), (
            gates, hs, cs, tcs, whT, np.int32(T), n32, h32))
        return
    hh = cupy.empty((N, gh), dtype=gates.dtype)
    kern = _kernel(cupy, gates.dtype, 'fwd')
    grid, block = grid_stride(N * H)
    for t in range(T):
        cupy.dot(hs[t], whT, out=hh)
        kern(grid, block, (gates[t], hh, cs[t], cs[t + 1], tcs[t], hs[t + 1], n32, h32))


def backward_loop(cupy, dh, dc, dout, gates, cs, tcs, dgx, wh):
    """The whole reverse loop in one launch (when :func:`whole_loop` allows), the derivative
    factors formed inside it: arguments as ``_rnn_numba.backward_steps`` (``dh``/``dc (N, H)``
    updated in place, ``dgx (T, N, 4H)`` filled in MXNet's gate order; ``gates (T, N, 4H)``
    activated ``[i, f, o, g]``, ``cs (T+1, N, H)``, ``tcs (T, N, H)``, ``wh (4H, H)``)."""
    T, N, H = dout.shape
    if T == 0 or N == 0:
        return
    _kernel(cupy, dout.dtype, 'bwd', 'loop')((N,), _block(4 * H), (
        dh, dc, cupy.ascontiguousarray(dout), gates, cs, tcs, dgx, cupy.ascontiguousarray(wh),
        np.int32(T), np.int32(N), np.int32(H)))


def backward_steps(cupy, dh, dc, dout, kc, K, gates, dgx, wh):
    """The reverse loop of ``_rnn_kernels.dir_backward`` for LSTM, two launches a step: updates
    ``dh``/``dc`` (N, H) in place and fills ``dgx`` (T, N, 4H) in MXNet's gate order;
    ``dout``/``kc`` (T, N, H), ``K`` (T, N, 4, H) the derivative factors, ``gates`` (T, N, 4H)
    activated [i, f, o, g], ``wh`` (4H, H)."""
    T, N, H = dout.shape
    dout = cupy.ascontiguousarray(dout)
    n32, h32 = np.int32(N), np.int32(H)
    kern = _kernel(cupy, dout.dtype, 'bwd')
    grid, block = grid_stride(N * H)
    for t in range(T - 1, -1, -1):
        kern(grid, block, (dh, dc, dout[t], kc[t], K[t], gates[t], dgx[t], n32, h32))
        cupy.dot(dgx[t], wh, out=dh)


def gru_forward_loop(cupy, gates, hp, hs, whT, bh):
    """The GRU recursion over all ``T`` steps in one launch (when ``whole_loop(N, H, 3)``),
    arrays as ``_rnn_numba.gru_forward_steps``: ``gates (T, N, 3H)`` pre-activations, overwritten
    with the activated ``[r, z, n]``; ``hp (T, N, 3H)`` receives each step's recurrent product
    plus ``bh``; ``hs (T+1, N, H)`` with the initial state in row 0; ``whT (H, 3H)``."""
    T, N, gh = gates.shape
    if T == 0 or N == 0:        # nothing to compute (and a grid of 0 blocks is refused)
        return
    _kernel(cupy, gates.dtype, 'fwd', 'loop', 'gru')((N,), _block(gh), (
        gates, hp, hs, whT, cupy.ascontiguousarray(bh), np.int32(T), np.int32(N),
        np.int32(gh // 3)))


def gru_backward_loop(cupy, dh, dout, gates, hp, hs, dgx, dgh, wh):
    """The GRU reverse loop in one launch: ``dh (N, H)`` updated in place, ``dgx`` / ``dgh
    (T, N, 3H)`` filled (arguments as ``_rnn_numba.gru_backward_steps``; ``wh (3H, H)``)."""
    T, N, H = dout.shape
    if T == 0 or N == 0:
        return
    _kernel(cupy, dout.dtype, 'bwd', 'loop', 'gru')((N,), _block(3 * H), (
        dh, cupy.ascontiguousarray(dout), gates, hp, hs, dgx, dgh, cupy.ascontiguousarray(wh),
        np.int32(T), np.int32(N), np.int32(H)))
