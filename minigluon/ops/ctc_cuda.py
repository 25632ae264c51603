"""CTC on a CUDA device: one kernel launch for alpha, beta and the gradient of a whole batch.

On the CPU, :mod:`minigluon.ops.ctc_kernel` loops over time in Python and runs a few NumPy calls
per frame over the whole batch. On a GPU each of those calls is a kernel launch of a few
microseconds, so a Python loop over 1,000 frames would cost milliseconds of launches alone. Here
the time loop runs inside one kernel instead, as in warp-ctc and PyTorch's CUDA ``ctc_loss``:

* one thread block per sample, its threads spread over the ``S = 2L+1`` extended label states
  (blank, l1, blank, l2, ..., blank);
* alpha, then beta, in log space with a finite sentinel for log 0 (the exact recursions of
  Graves et al. 2006, eqs. 6-10), one ``__syncthreads()`` per frame;
* then one thread per frame turns ``alpha * beta`` into state posteriors normalised per frame and
  writes ``softmax - occupancy`` (eq. 16) for every class.

The kernel source is written once for two compilers: with ``MG_CUDA`` defined it is CUDA C for
CuPy's ``RawKernel`` (NVRTC); without it, plain C in which a "parallel for" is a sequential loop and a
barrier is nothing. The tests compile the C form with the system C compiler and check it against
the NumPy implementation and brute-force enumeration, so the recursions and the indexing are
verified on machines without a GPU; only the thread mapping is CUDA-specific.
"""
import numpy as np

from minigluon.ops._raw_kernel import raw_kernel

NEG = -1e30    # log(0) stand-in, as in ctc_kernel

KERNEL_SOURCE = r'''
#ifdef MG_CUDA
#define DEVICE __device__
#define PARFOR(i, n) for (int i = threadIdx.x; i < (n); i += blockDim.x)
#define SYNC() __syncthreads()
#else
#include <math.h>
#define DEVICE static
#define PARFOR(i, n) for (int i = 0; i < (n); ++i)
#define SYNC()
#endif

#define NEG (-1e30)

DEVICE double lse2(double a, double b) {
    double m = a > b ? a : b;
    return m + log(exp(a - m) + exp(b - m));
}

DEVICE double lse3(double a, double b, double c) {
    double m = a > b ? a : b;
    m = m > c ? m : c;
    return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}

/* One sample n of the batch.
   logp  (T, N, C)  log-softmax of the activations
   ext   (N, S)     class of each extended state; slen[n] states are used
   skip  (N, S)     nonzero where state s may be entered from s-2 (a label differing from the previous one)
   frames (N,)      usable frames T_n <= T
   alpha, beta (N, T, S) workspaces; loglik (N,) out; grad (T, N, C) out: softmax - occupancy,
   zero on frames t >= T_n. */
DEVICE void ctc_sample(int n, const double* logp, const int* ext, const double* skip,
                       const int* slen, const int* frames, int T, int N, int C, int S,
                       double* alpha, double* beta, double* loglik, double* grad) {
    const int Tn = frames[n], Sn = slen[n];
    const int* e = ext + (long)n * S;
    const double* sk = skip + (long)n * S;
    double* a = alpha + (long)n * T * S;
    double* b = beta + (long)n * T * S;
#define LP(t, c) logp[((long)(t) * N + n) * C + (c)]
    if (Tn == 0) {
        PARFOR(t, T) { for (int c = 0; c < C; ++c) grad[((long)t * N + n) * C + c] = 0.0; }
        loglik[n] = 0.0;
        return;
    }
    PARFOR(s, Sn) { a[s] = s < 2 ? LP(0, e[s]) : NEG; }
    SYNC();
    for (int t = 1; t < Tn; ++t) {
        const double* prev = a + (long)(t - 1) * S;
        PARFOR(s, Sn) {
            double x1 = s >= 1 ? prev[s - 1] : NEG;
            double x2 = (s >= 2 && sk[s] != 0.0) ? prev[s - 2] : NEG;
            a[(long)t * S + s] = lse3(prev[s], x1, x2) + LP(t, e[s]);
        }
        SYNC();
    }
    PARFOR(s, Sn) { b[(long)(Tn - 1) * S + s] = s >= Sn - 2 ? LP(Tn - 1, e[s]) : NEG; }
    SYNC();
    for (int t = Tn - 2; t >= 0; --t) {
        const double* next = b + (long)(t + 1) * S;
        PARFOR(s, Sn) {
            double x1 = s + 1 < Sn ? next[s + 1] : NEG;
            double x2 = (s + 2 < Sn && sk[s + 2] != 0.0) ? next[s + 2] : NEG;
            b[(long)t * S + s] = lse3(next[s], x1, x2) + LP(t, e[s]);
        }
        SYNC();
    }
    const double* last = a + (long)(Tn - 1) * S;
    const double ll = Sn > 1 ? lse2(last[Sn - 1], last[Sn - 2]) : last[0];
    PARFOR(t, T) {
        double* g = grad + ((long)t * N + n) * C;
        if (t >= Tn) {
            for (int c = 0; c < C; ++c) g[c] = 0.0;
        } else {
            const double* at = a + (long)t * S;
            const double* bt = b + (long)t * S;
            double m = NEG, total = 0.0;
            for (int s = 0; s < Sn; ++s) {       /* log gamma up to a constant: alpha+beta-emission */
                double v = at[s] + bt[s] - LP(t, e[s]);
                m = v > m ? v : m;
            }
            for (int s = 0; s < Sn; ++s) total += exp(at[s] + bt[s] - LP(t, e[s]) - m);
            for (int c = 0; c < C; ++c) g[c] = exp(LP(t, c));
            for (int s = 0; s < Sn; ++s) g[e[s]] -= exp(at[s] + bt[s] - LP(t, e[s]) - m) / total;
        }
    }
    if (
#ifdef MG_CUDA
        threadIdx.x == 0
#else
        1
#endif
    ) loglik[n] = ll;
#undef LP
}

#ifdef MG_CUDA
extern "C" __global__ void ctc_log_space(const double* logp, const int* ext, const double* skip,
                                         const int* slen, const int* frames, int T, int N, int C,
                                         int S, double* alpha, double* beta, double* loglik,
                                         double* grad) {
    ctc_sample(blockIdx.x, logp, ext, skip, slen, frames, T, N, C, S, alpha, beta, loglik, grad);
}
#else
void ctc_log_space(const double* logp, const int* ext, const double* skip, const int* slen,
                   const int* frames, int T, int N, int C, int S, double* alpha, double* beta,
                   double* loglik, double* grad) {
    for (int n = 0; n < N; ++n)
        ctc_sample(n, logp, ext, skip, slen, frames, T, N, C, S, alpha, beta, loglik, grad);
}
#endif
'''

_THREADS = 256


def problem_arrays(prob):
    """Host arrays the kernel reads besides ``prob.skip``: ``ext`` (N, S) int32 classes of the
    extended states, ``slen`` (N,) int32 states per sample, ``frames`` (N,) int32.

    ``prob`` is a :class:`minigluon.ops.ctc_kernel._Problem` (its ``skip`` is the (N, S) float64
    skip mask, already on the device as ``prob.d_skip``).
    """
    n, S = prob.N, prob.S
    ext = np.full((n, S), prob.blank, dtype=np.int32)
    bi, ji = np.nonzero(prob.lab_valid)
    ext[bi, 2 * ji + 1] = prob.lab[bi, ji]
    slen = prob.state_mask.sum(1).astype(np.int32)
    return ext, slen, np.asarray(prob.frames, dtype=np.int32)


def ctc_log_space_cuda(cupy, logp, prob):
    """Log-likelihoods ``(N,)`` and gradient ``(T, N, C)`` (both float64 CuPy arrays) of the CTC
    loss for log-softmax activations ``logp`` (T, N, C) float64, in one kernel launch.

    The gradient is with respect to the unnormalised activations: ``softmax - occupancy``,
    zero on frames at or past a sample's ``frames``.
    """
    T, N, C = logp.shape
    S = prob.S
    ext, slen, frames = (cupy.asarray(a) for a in problem_arrays(prob))
    skip = prob.d_skip                      # uploaded once by _Problem
    kern = raw_kernel(cupy, KERNEL_SOURCE, 'ctc_log_space')
    alpha = cupy.empty((N, T, S), dtype=cupy.float64)
    beta = cupy.empty_like(alpha)
    loglik = cupy.empty(N, dtype=cupy.float64)
    grad = cupy.empty((T, N, C), dtype=cupy.float64)
    logp = cupy.ascontiguousarray(logp, dtype=cupy.float64)
    kern((N,), (_THREADS,), (logp, ext, skip, slen, frames, np.int32(T), np.int32(N), np.int32(C),
                             np.int32(S), alpha, beta, loglik, grad))
    return loglik, grad
