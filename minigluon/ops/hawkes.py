"""``contrib.hawkesll``: the log likelihood of marked Hawkes processes with exponential decay
(MXNet 1.9.1 ``_contrib_hawkesll``, ``src/operator/contrib/hawkes_ll*``; Bacry, Mastromatteo and
Muzy, "Hawkes processes in finance", 2015).

How it is computed: the events of all ``N`` sequences are taken one position at a time (a loop
over the ``T`` positions, vectorised over the sequences); along the way the derivatives of the
log likelihood and of the process state with respect to ``beta`` and to the initial state are
carried forward, so the backward is a few products. Arithmetic is in float64, results are cast
to the dtype of ``lda``.
"""
import numpy as np

from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Op, register, require_float, shape_error


class _Sweep:
    """The forward pass over the events of every sequence, with the derivatives the backward
    needs (all ``(N, K)`` float64 unless noted)."""

    def __init__(self, xp, mu, alpha, beta, state, lags, marks, steps, max_time):
        n, k = mu.shape
        rows = xp.arange(n)
        state = state.copy()
        ds_db = xp.zeros((n, k))           # d state / d beta[mark]
        ds_ds0 = xp.ones((n, k))           # d state / d initial state
        last = xp.zeros((n, k))            # time of the last event of each mark
        t = xp.zeros(n)
        ll = xp.zeros(n)
        self.g_mu, self.g_alpha = xp.zeros((n, k)), xp.zeros((n, k))
        self.g_beta, self.g_s0 = xp.zeros((n, k)), xp.zeros((n, k))
        for j in range(int(steps.max()) if n else 0):
            on = j < steps                                   # (N,) sequences with an event here
            c = xp.where(on, marks[:, j], 0)
            t = t + xp.where(on, lags[:, j], 0.0)
            d = t - last[rows, c]
            a, b, m = alpha[c], beta[c], mu[rows, c]
            s, sb, s0 = state[rows, c], ds_db[rows, c], ds_ds0[rows, c]
            ed = xp.exp(-b * d)
            lda = m + a * b * s * ed
            comp = m * d + a * s * (1 - ed)
            ll += xp.where(on, xp.log(xp.where(on, lda, 1.0)) - comp, 0.0)
            self._add(xp, rows, c, on, 1 / lda - d, b * s * ed / lda - s * (1 - ed),
                      a * ed * (s + b * sb - b * s * d) / lda - a * (sb * (1 - ed) + s * d * ed),
                      (a * b * ed / lda - a * (1 - ed)) * s0)
            state[rows, c] = xp.where(on, 1 + s * ed, s)
            ds_db[rows, c] = xp.where(on, ed * (sb - s * d), sb)
            ds_ds0[rows, c] = xp.where(on, ed * s0, s0)
            last[rows, c] = xp.where(on, t, last[rows, c])
        # the compensator from each mark's last event to max_time
        d = max_time[:, None] - last
        ed = xp.exp(-beta * d)
        self.loglike = ll - (mu * d + alpha * state * (1 - ed)).sum(axis=1)
        self.g_mu -= d
        self.g_alpha -= state * (1 - ed)
        self.g_beta -= alpha * (ds_db * (1 - ed) + state * d * ed)
        self.g_s0 -= alpha * (1 - ed) * ds_ds0
        self.state = ed * state
        self.out_db = ed * (ds_db - state * d)     # d out_state / d beta
        self.out_ds0 = ed * ds_ds0                 # d out_state / d initial state

    def _add(self, xp, rows, c, on, d_mu, d_alpha, d_beta, d_s0):
        """Add one event's derivatives at ``(row, mark)`` (one mark per row: no collisions)."""
        for acc, val in ((self.g_mu, d_mu), (self.g_alpha, d_alpha), (self.g_beta, d_beta),
                         (self.g_s0, d_s0)):
            acc[rows, c] += xp.where(on, val, 0.0)


@register
class HawkesLL(Op):
    """Log likelihood of ``K`` marked Hawkes processes per sequence (MXNet 1.9.1
    ``_contrib_hawkesll``, ``nd.contrib.hawkesll``).

    Inputs: ``lda (N, K)`` background intensities, ``alpha (K,)`` branching ratios, ``beta (K,)``
    decays, ``state (N, K)`` the memory before the sequence, ``lags (N, T)`` inter-arrival times,
    ``marks (N, T)`` integer process ids in ``[0, K)``, ``valid_length (N,)`` the number of
    events of each sequence (MXNet reads a fractional count ``v`` as ``ceil(v)`` events), and
    ``max_time (N,)`` the end of each observation window. The intensity of process ``k`` is
    ``lda_k + alpha_k * beta_k * sum exp(-beta_k (t - t_i))`` over its earlier events.

    Outputs: ``loglike (N,)`` (the sum over events of ``log intensity`` minus the integrated
    intensity up to ``max_time``) and ``out_state (N, K)``, the memory at ``max_time`` to pass
    to the next batch; both in ``lda``'s dtype.

    Gradients: of ``lda``, ``alpha``, ``beta`` and ``state``, exact, including what reaches
    ``out_state``. MXNet 1.9.1 differentiates ``lda``, ``alpha`` and ``beta`` through
    ``loglike`` only: it ignores the gradient of ``out_state`` and gives ``state`` none (the
    results agree when ``out_state`` gets no gradient). ``lags``, ``marks``, ``valid_length``
    and ``max_time`` are data and get none (MXNet refuses to differentiate them).

    Raises
    ------
    ValueError
        Shapes that do not fit the above, a mark outside ``[0, K)`` among the valid events, or a
        ``valid_length`` beyond ``T`` (MXNet reads out of bounds there).
    TypeError
        ``marks`` is not an integer array, or ``lda`` is not floating-point.
    """

    name = '_contrib_hawkesll'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time')
    num_outputs = 2

    def list_outputs(self):
        return ['output', 'out_state']      # MXNet 1.9.1's names (h_out_state)

    def _check(self, lda, alpha, beta, state, lags, marks, valid_length, max_time):
        arrays = (lda, alpha, beta, state, lags, marks, valid_length, max_time)
        require_float(self, lda, 'lda')
        if marks.dtype.kind not in 'iu':
            raise TypeError('_contrib_hawkesll: marks must be an integer array (MXNet: int32), '
                            'got %s' % marks.dtype)
        n, k = lda.shape if lda.ndim == 2 else (-1, -1)
        t = lags.shape[1] if lags.ndim == 2 else -1
        want = ((n, k), (k,), (k,), (n, k), (n, t), (n, t), (n,), (n,))
        if n < 0 or t < 0 or any(a.shape != w for a, w in zip(arrays, want)):
            raise shape_error(self, 'expected lda (N, K), alpha (K,), beta (K,), state (N, K), '
                              'lags (N, T), marks (N, T), valid_length (N,), max_time (N,)',
                              *arrays)
        steps = np.ceil(to_host(valid_length).astype(np.float64)).astype(np.int64)
        if (steps > t).any():
            raise ValueError('_contrib_hawkesll: valid_length %s exceeds the T=%d events of lags'
                             % (to_host(valid_length).tolist(), t))
        host_marks = to_host(marks)
        valid = np.arange(t)[None, :] < steps[:, None]
        if ((host_marks < 0) | (host_marks >= k))[valid].any():
            raise ValueError('_contrib_hawkesll: marks must be process ids in [0, K=%d) within '
                             'valid_length, got %s' % (k, host_marks.tolist()))
        return steps

    def forward(self, xp, lda, alpha, beta, state, lags, marks, valid_length, max_time):
        steps = xp.asarray(self._check(lda, alpha, beta, state, lags, marks, valid_length,
                                       max_time))
        f64 = [a.astype(np.float64) for a in (lda, alpha, beta, state, lags, max_time)]
        self.sweep = _Sweep(xp, *f64[:5], marks.astype(np.int64), steps, f64[5])
        self.dtypes = (lda.dtype, alpha.dtype, beta.dtype, state.dtype)
        return (self.sweep.loglike.astype(lda.dtype), self.sweep.state.astype(lda.dtype))

    def backward(self, xp, g_ll, g_state):
        sw = self.sweep
        g = g_ll.astype(np.float64)[:, None]
        gs = 0.0 if g_state is None else g_state.astype(np.float64)
        grads = (g * sw.g_mu, (g * sw.g_alpha).sum(axis=0),
                 (g * sw.g_beta + gs * sw.out_db).sum(axis=0), g * sw.g_s0 + gs * sw.out_ds0)
        return tuple(a.astype(dt) for a, dt in zip(grads, self.dtypes)) + (None,) * 4

    def output_shapes(self, in_shapes):
        """``(N,)`` and ``(N, K)`` from ``lda (N, K)`` (a pass on zeros would need integer marks)."""
        return [tuple(in_shapes[0][:1]), tuple(in_shapes[0])]

    def infer_type(self, in_types):
        data = next((t for i, t in enumerate(in_types) if i != 5 and t is not None), None)
        ins = [np.dtype(np.int32) if i == 5 and t is None else (data if t is None else t)
               for i, t in enumerate(in_types)]
        return ins, [data, data]
