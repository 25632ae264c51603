"""CTC on a CUDA device: the loss and gradient of a whole batch in three kernel launches.

On the CPU, :mod:`minigluon.ops.ctc_kernel` loops over time in Python and runs a few NumPy calls
per frame over the whole batch. On a GPU each of those calls is a kernel launch of a few
microseconds, so a Python loop over 1,000 frames would cost milliseconds of launches alone. Here
the time loop runs inside a kernel instead, as in warp-ctc and PyTorch's CUDA ``ctc_loss``, and the
work around it (the log-softmax, the gradient) is spread over the whole device:

1. ``ctc_lse``: one thread block per frame and sample, the largest activation ``m`` and
   ``log sum_c exp(x[t, n, c] - m)`` in float64 (the log-softmax's shift and normaliser; the
   kernels below read ``x`` itself and subtract both, the shift first).
2. ``ctc_alpha_beta``: one thread block per sample, its first half of threads running the alpha
   recursion forwards in time while the second half runs beta backwards, over the ``S = 2L+1``
   extended label states (blank, l1, blank, l2, ..., blank): both in log space with a finite
   sentinel for log 0 (the exact recursions of Graves et al. 2006, eqs. 6-10), float64, one
   ``__syncthreads()`` per frame for both. Then the sample's loss, ``-log p(l|x)``.
3. ``ctc_grad``: one thread block per frame and sample: the state posteriors, normalised over
   the frame, summed per class, and ``softmax - occupancy`` (eq. 16) written for every class, in
   the input's float type. Here beta includes the emission of its own frame (as in the 2006
   paper's eq. 10), so a state's posterior is ``alpha * beta / y`` (eq. 14), in log space
   ``alpha + beta - log y``; the NumPy path's beta leaves that emission out and multiplies
   ``alpha * beta`` directly. Each class's sum is taken by one thread, in label
   order (the host links each label position to the next one with the same class), so the
   result does not depend on thread scheduling: no atomics.

Samples the host already knows to be impossible (no alignment fits their frames) and samples
whose label turns out to have probability 0 (every alignment passes an activation of ``-inf``)
get the loss ``+inf`` (0 with ``zero_infinity``) and a zero gradient, as do frames past a sample's
length, inside the kernels: nothing is read back to the host. A sample whose loss is NaN (a NaN
activation in one of its frames) gets NaN in the whole gradient of its frames, as on the CPU
(:mod:`minigluon.ops.ctc_kernel`); the other samples are not touched.

Everything a kernel needs about the labels travels in one int32 array (:func:`problem_table`):
on a GPU, each copy from host memory waits for the work already queued, so one copy is cheaper
than four.

The kernel source is written once for two compilers: with ``MG_CUDA`` defined it is CUDA C for
CuPy's ``RawKernel`` (NVRTC); without it, plain C in which a "parallel for" is a sequential loop,
a block-wide reduction is the value itself, and a barrier is nothing. The tests compile the C
form with the system C compiler and check it against the NumPy implementation and brute-force
enumeration, so the recursions and the indexing are verified on machines without a GPU; only the
thread mapping is CUDA-specific.
"""
import numpy as np

from minigluon.ops._raw_kernel import raw_kernel, real_source
from minigluon.ops.ctc_kernel import _IMPOSSIBLE, _NEG

MAX_THREADS = 256      # of the lse and gradient kernels (the size of their reduction buffer)

# The constants the kernels share with the NumPy path, written into the source by kernel_source:
# NEG, the finite stand-in for log 0; IMPOSSIBLE, below which a log p(l|x) reached the sentinel
# (the label has probability 0); MAX_THREADS.
_TEMPLATE = r'''
#ifdef MG_CUDA
#define DEVICE __device__
#define SHARED __shared__
#define PARFOR(i, n) for (int i = threadIdx.x; i < (n); i += blockDim.x)
/* The threads of a block in two halves, side 0 and side 1, each half walking the states. */
#define SIDE_FOR(side, s, n) for (int side = threadIdx.x / (blockDim.x / 2), \
                                      s = threadIdx.x % (blockDim.x / 2); s < (n); s += blockDim.x / 2)
#define SYNC() __syncthreads()
#define FIRST_THREAD (threadIdx.x == 0)
#define INF_D __longlong_as_double(0x7ff0000000000000LL)    /* NVRTC has no math.h */
#else
#include <math.h>
#include <stddef.h>
#define DEVICE static
#define SHARED
#define PARFOR(i, n) for (int i = 0; i < (n); ++i)
#define SIDE_FOR(side, s, n) for (int side = 0; side < 2; ++side) for (int s = 0; s < (n); ++s)
#define SYNC()
#define FIRST_THREAD 1
#define INF_D ((double)INFINITY)
#endif


/* The larger of m and v; NaN wins, as in numpy.maximum. */
DEVICE double max_nan(double m, double v) { return (v > m || v != v) ? v : m; }

/* Combine the partial values the block's threads hold (the block size a power of two). In the C
   form a "block" is one thread whose partial is already the whole. */
DEVICE double block_max(double v, double* red) {
#ifdef MG_CUDA
    red[threadIdx.x] = v;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k >>= 1) {
        if (threadIdx.x < k) red[threadIdx.x] = max_nan(red[threadIdx.x], red[threadIdx.x + k]);
        __syncthreads();
    }
    v = red[0];
    __syncthreads();         /* red is reused by the next reduction */
#else
    (void)red;
#endif
    return v;
}

DEVICE double block_sum(double v, double* red) {
#ifdef MG_CUDA
    red[threadIdx.x] = v;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k >>= 1) {
        if (threadIdx.x < k) red[threadIdx.x] += red[threadIdx.x + k];
        __syncthreads();
    }
    v = red[0];
    __syncthreads();
#else
    (void)red;
#endif
    return v;
}

DEVICE double lse2(double a, double b) {
    double m = a > b ? a : b;
    return m + log(exp(a - m) + exp(b - m));
}

DEVICE double lse3(double a, double b, double c) {
    double m = a > b ? a : b;
    m = m > c ? m : c;
    return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}

/* The table of one sample (problem_table in ctc_cuda.py): frames, label length, impossible flag,
   then the label, the link of each label position to the next one of its class (-1: none) and a
   head flag (1: the first position of its class). */
#define ROW(n) (table + (long)(n) * (3 + 3 * L))

/* Class of extended state s: odd states hold the labels, even ones the blank. */
DEVICE int state_class(const int* lab, int blank, int s) { return (s & 1) ? lab[s >> 1] : blank; }

/* State s (odd, >= 3) may be entered from s - 2: its label differs from the previous one. */
DEVICE int can_skip(const int* lab, int s) { return (s & 1) && s >= 3 && lab[s >> 1] != lab[(s >> 1) - 1]; }

/* log softmax(x[t, n])[c] = (x - m) - log(total) with -inf (a masked class) raised to the log-0
   sentinel; NaN stays NaN. The shift comes first: x - (m + log(total)) would round log(total)
   away for large activations (1e16 in float64). */
DEVICE double log_prob(const REAL* x, const double* lse, int t, int n, int N, int C, int c) {
    long f = (long)t * N + n;
    double v = ((double)x[f * C + c] - lse[2 * f]) - lse[2 * f + 1];
    return v < NEG ? NEG : v;
}

/* lse (T, N, 2): the largest activation m of frame and sample f = t * N + n, and
   log sum_c exp(x[t, n, c] - m). */
DEVICE void lse_frame(long f, const REAL* x, int C, double* lse, double* red) {
    const REAL* row = x + f * C;
    double m = -INF_D;
    PARFOR(c, C) m = max_nan(m, (double)row[c]);
    m = block_max(m, red);
    double total = 0.0;
    PARFOR(c, C) total += exp((double)row[c] - m);
    total = block_sum(total, red);
    if (FIRST_THREAD) {
        lse[2 * f] = m;
        lse[2 * f + 1] = log(total);
    }
}

/* Alpha and beta of sample n, side by side: alpha (N, T, S) at frame k and beta at frame
   Tn-1-k in step k. Then ll[n] = log p(l|x) and loss[n]. */
DEVICE void alpha_beta_sample(int n, const REAL* x, const double* lse, const int* table, int T,
                              int N, int C, int L, int blank, int zero_infinity, double* alpha,
                              double* beta, double* ll, double* loss) {
    const int* row = ROW(n);
    const int Tn = row[0], Sn = 2 * row[1] + 1, S = 2 * L + 1;
    const int* lab = row + 3;
    double* a = alpha + (long)n * T * S;
    double* b = beta + (long)n * T * S;
    if (row[2] || Tn == 0) {       /* impossible, or no frames and an empty label (p = 1) */
        if (FIRST_THREAD) {
            ll[n] = row[2] ? -INF_D : 0.0;
            loss[n] = row[2] && !zero_infinity ? INF_D : 0.0;
        }
        return;
    }
#define LP(t, s) log_prob(x, lse, t, n, N, C, state_class(lab, blank, s))
    SIDE_FOR(side, s, Sn) {
        if (side == 0) a[s] = s < 2 ? LP(0, s) : NEG;
        else b[(long)(Tn - 1) * S + s] = s >= Sn - 2 ? LP(Tn - 1, s) : NEG;
    }
    SYNC();
    for (int k = 1; k < Tn; ++k) {
        SIDE_FOR(side, s, Sn) {
            if (side == 0) {
                const double* prev = a + (long)(k - 1) * S;
                double x1 = s >= 1 ? prev[s - 1] : NEG;
                double x2 = can_skip(lab, s) ? prev[s - 2] : NEG;
                a[(long)k * S + s] = lse3(prev[s], x1, x2) + LP(k, s);
            } else {
                const int t = Tn - 1 - k;
                const double* next = b + (long)(t + 1) * S;
                double x1 = s + 1 < Sn ? next[s + 1] : NEG;
                double x2 = s + 2 < Sn && can_skip(lab, s + 2) ? next[s + 2] : NEG;
                b[(long)t * S + s] = lse3(next[s], x1, x2) + LP(t, s);
            }
        }
        SYNC();
    }
#undef LP
    if (FIRST_THREAD) {
        const double* last = a + (long)(Tn - 1) * S;
        const double v = Sn > 1 ? lse2(last[Sn - 1], last[Sn - 2]) : last[0];
        const double nll = 0.0 - v;
        ll[n] = v;
        if (v < IMPOSSIBLE) loss[n] = zero_infinity ? 0.0 : INF_D;
        else loss[n] = nll < 0.0 ? 0.0 : nll;        /* NaN stays NaN */
    }
}

/* grad[t, n, :] = softmax - occupancy of frame t of sample n (zero where the sample has no
   gradient). alpha's row t is overwritten with the frame's unnormalised posteriors. */
DEVICE void grad_frame(int t, int n, const REAL* x, const double* lse, const int* table, int T,
                       int N, int C, int L, int blank, double* alpha, const double* beta,
                       const double* ll, REAL* grad, double* red) {
    const int* row = ROW(n);
    const int Tn = row[0], Lq = row[1], Sn = 2 * Lq + 1, S = 2 * L + 1;
    const int* lab = row + 3;
    const int* link = lab + L;
    const int* head = link + L;
    REAL* g = grad + ((long)t * N + n) * C;
    if (t >= Tn || row[2] || ll[n] < IMPOSSIBLE) {
        PARFOR(c, C) g[c] = (REAL)0;
        return;
    }
    if (ll[n] != ll[n]) {     /* a NaN activation in a used frame: the loss is NaN, so is every */
        PARFOR(c, C) g[c] = (REAL)ll[n];     /* class of every used frame, as on the CPU */
        return;
    }
    double* a = alpha + ((long)n * T + t) * S;
    const double* b = beta + ((long)n * T + t) * S;
    double m = NEG;
    PARFOR(s, Sn) {           /* log posterior up to a constant: alpha + beta - emission */
        a[s] = a[s] + b[s] - log_prob(x, lse, t, n, N, C, state_class(lab, blank, s));
        m = max_nan(m, a[s]);
    }
    m = block_max(m, red);
    double total = 0.0, blank_part = 0.0;
    PARFOR(s, Sn) {
        a[s] = exp(a[s] - m);
        total += a[s];
        if (!(s & 1)) blank_part += a[s];
    }
    total = block_sum(total, red);
    blank_part = block_sum(blank_part, red);
    PARFOR(c, C) {
        double p = exp(log_prob(x, lse, t, n, N, C, c));
        g[c] = (REAL)(c == blank ? p - blank_part / total : p);
    }
    SYNC();
    PARFOR(j, Lq) {           /* each class of the label once, from its first position */
        if (head[j]) {
            double occupancy = 0.0;
            for (int i = j; i >= 0; i = link[i]) occupancy += a[2 * i + 1];
            const int c = lab[j];
            g[c] = (REAL)(exp(log_prob(x, lse, t, n, N, C, c)) - occupancy / total);
        }
    }
}

#ifdef MG_CUDA
extern "C" __global__ void ctc_lse_REAL(const REAL* x, int F, int C, double* lse) {
    __shared__ double red[MAX_THREADS];
    lse_frame(blockIdx.x, x, C, lse, red);      /* a grid of F = T * N blocks */
}

extern "C" __global__ void ctc_alpha_beta_REAL(const REAL* x, const double* lse, const int* table,
                                               int T, int N, int C, int L, int blank,
                                               int zero_infinity, double* alpha, double* beta,
                                               double* ll, double* loss) {
    alpha_beta_sample(blockIdx.x, x, lse, table, T, N, C, L, blank, zero_infinity, alpha, beta,
                      ll, loss);
}

extern "C" __global__ void ctc_grad_REAL(const REAL* x, const double* lse, const int* table,
                                         int T, int N, int C, int L, int blank, double* alpha,
                                         const double* beta, const double* ll, REAL* grad) {
    __shared__ double red[MAX_THREADS];
    grad_frame(blockIdx.x / N, blockIdx.x % N, x, lse, table, T, N, C, L, blank, alpha, beta, ll,
               grad, red);
}
#else
void ctc_lse_REAL(const REAL* x, int F, int C, double* lse) {
    for (long f = 0; f < F; ++f) lse_frame(f, x, C, lse, NULL);
}

void ctc_alpha_beta_REAL(const REAL* x, const double* lse, const int* table, int T, int N, int C,
                         int L, int blank, int zero_infinity, double* alpha, double* beta,
                         double* ll, double* loss) {
    for (int n = 0; n < N; ++n)
        alpha_beta_sample(n, x, lse, table, T, N, C, L, blank, zero_infinity, alpha, beta, ll, loss);
}

void ctc_grad_REAL(const REAL* x, const double* lse, const int* table, int T, int N, int C, int L,
                   int blank, double* alpha, const double* beta, const double* ll, REAL* grad) {
    for (int t = 0; t < T; ++t)
        for (int n = 0; n < N; ++n)
            grad_frame(t, n, x, lse, table, T, N, C, L, blank, alpha, beta, ll, grad, NULL);
}
#endif
'''

def kernel_source(dtype):
    """The kernels' dual-form source for activations of ``dtype`` (float32 or float64), with the
    shared constants defined."""
    constants = '#define NEG (%r)\n#define IMPOSSIBLE (%r)\n#define MAX_THREADS %d\n' % (
        _NEG, _IMPOSSIBLE, MAX_THREADS)
    return constants + real_source(_TEMPLATE, dtype)


def _threads(count, most):
    """A power-of-two block size: enough threads for ``count`` items, at least a warp, at most
    ``most``."""
    n = 32
    while n < count and n < most:
        n *= 2
    return n


def problem_table(problem):
    """The int32 table (N, 3 + 3L) the kernels read, one row per sample: usable frames, label
    length, 1 if the sample is impossible (no alignment fits), then the label (L entries, those
    past the length unused), each label position's link to the next position of the same class
    (-1: none) and a head flag (1 at the first position of each class).

    ``problem`` is a :class:`minigluon.ops.ctc_kernel._Problem`. A sample that is computed as a
    dummy (impossible, or without frames) has label length 0 in the table.
    """
    N, L = problem.N, problem.L
    valid = problem.lab_valid                                 # (N, L): real label positions
    length = valid.sum(1)
    big = np.iinfo(np.int64).max
    key = np.where(valid, problem.lab, big)
    order = np.argsort(key, axis=1, kind='stable')          # positions grouped by class, in order
    ordered = np.take_along_axis(key, order, axis=1)
    rows = np.arange(N)[:, None]
    link = np.full((N, L), -1, dtype=np.int64)
    head = np.zeros((N, L), dtype=np.int64)
    if L:
        same = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != big)
        link[rows, order[:, :-1]] = np.where(same, order[:, 1:], -1)
        first = np.ones((N, L), dtype=bool)
        first[:, 1:] = ~same
        head[rows, order] = first & (ordered != big)
    table = np.concatenate([np.asarray(problem.frames).reshape(N, 1), length.reshape(N, 1),
                            (~problem.feasible).reshape(N, 1), np.where(valid, problem.lab, 0), link, head],
                           axis=1)
    return np.ascontiguousarray(table, dtype=np.int32)


def ctc_cuda(cupy, x, problem, zero_infinity=False):
    """Loss ``(N,)`` float64 and gradient ``(T, N, C)`` (``x``'s dtype) of the CTC loss for the
    unnormalised activations ``x`` (T, N, C), float32 or float64, as CuPy arrays.

    The gradient is with respect to ``x``: ``softmax - occupancy``, zero on frames at or past a
    sample's usable frames and for impossible samples, whose loss is ``+inf`` (0 with
    ``zero_infinity``). Nothing is copied back to the host. ``T`` and ``N`` must be positive (a
    GPU refuses a grid of 0 blocks; the caller handles empty batches).
    """
    T, N, C = x.shape
    L, S = problem.L, problem.S
    x = cupy.ascontiguousarray(x)
    name = '_' + ('float' if x.dtype == np.float32 else 'double')
    source = kernel_source(x.dtype)
    i32 = np.int32
    table = cupy.asarray(problem_table(problem))               # the one copy from the host
    lse = cupy.empty((T, N, 2), dtype=cupy.float64)
    raw_kernel(cupy, source, 'ctc_lse' + name)(
        (T * N,), (_threads(C, MAX_THREADS),), (x, i32(T * N), i32(C), lse))
    alpha = cupy.empty((N, T, S), dtype=cupy.float64)
    beta = cupy.empty_like(alpha)
    ll = cupy.empty(N, dtype=cupy.float64)
    loss = cupy.empty(N, dtype=cupy.float64)
    raw_kernel(cupy, source, 'ctc_alpha_beta' + name)(
        (N,), (2 * _threads(S, 512),),
        (x, lse, table, i32(T), i32(N), i32(C), i32(L), i32(problem.blank), i32(bool(zero_infinity)),
         alpha, beta, ll, loss))
    grad = cupy.empty((T, N, C), dtype=x.dtype)
    raw_kernel(cupy, source, 'ctc_grad' + name)(
        (T * N,), (_threads(max(S, C), MAX_THREADS),),
        (x, lse, table, i32(T), i32(N), i32(C), i32(L), i32(problem.blank), alpha, beta, ll, grad))
    return loss, grad
