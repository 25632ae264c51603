"""Numba kernels of the compiled LSTM and GRU loops: see :mod:`minigluon.ops._rnn_numba`, which
imports this module only when a call can use it (``import numba`` takes ~0.2 s)."""
import math

import numba
import numpy as np

from minigluon.ops._numba import njit

# error_model 'numpy': x / 0 is inf with no check (a check stops vectorisation); 'contract'
# lets LLVM fuse multiply-adds (measured 1.5x on the forward step) and keeps NaN semantics
_OPTIONS = dict(error_model='numpy', fastmath={'contract'})
_inline = numba.njit(inline='always', **_OPTIONS)
_jit = njit(nogil=True, **_OPTIONS)     # cached on disk where Numba can write

_f = np.float32
_LN2_HI, _LN2_LO = _f(0.693145751953125), _f(1.4286068203e-06)   # ln 2 = HI + LO, HI exact
_INV_LN2 = _f(1.4426950408889634)


@_inline
def exp_small(y):
    """``exp(y)`` for ``0 <= y <= 42`` in float32, in a form LLVM vectorises (``2**k``,
    ``k <= 61``, as an int64 shift). Not for NaN: its conversion to an integer is undefined."""
    k = math.floor(y * _INV_LN2 + _f(0.5))
    r = (y - k * _LN2_HI) - k * _LN2_LO
    p = _f(1 / 5040) * r + _f(1 / 720)          # Horner: sum of r**n / n!, n = 7 .. 0
    p = (((p * r + _f(1 / 120)) * r + _f(1 / 24)) * r + _f(1 / 6)) * r + _f(0.5)
    p = (p * r + _f(1.0)) * r + _f(1.0)
    return p * _f(np.int64(1) << np.int64(k))


@_inline
def tanh(x):
    """float32 ``tanh`` (how: :mod:`minigluon.ops._rnn_numba`); NaN in, NaN out."""
    a = abs(x)
    a = a if a < _f(10.0) else _f(10.0)            # NaN becomes 10 here (see the return)
    s = a * a
    p = _f(-1382 / 155925) * s + _f(62 / 2835)   # tanh's series: x - x**3/3 + 2x**5/15 ...
    p = ((p * s + _f(-17 / 315)) * s + _f(2 / 15)) * s + _f(-1 / 3)
    small = a + a * s * p
    big = _f(1.0) - _f(2.0) / (exp_small(a + a) + _f(1.0))
    v = small if a < _f(0.3) else big
    # NaN never reaches exp_small's float-to-int conversion (undefined for NaN in LLVM)
    return math.copysign(v, x) if x == x else x


@_inline
def sigmoid_of_twice(y):
    """``sigmoid(2 y) = 0.5 * tanh(y) + 0.5`` in float32, as ``E / (E + 1)`` for ``y >= 0``
    and ``1 / (E + 1)`` below, ``E = exp(2|y|)``: no cancellation on either side. Exactly 0
    below ``y = -21`` (``sigmoid(-42) = 5.7e-19``), as float32 ``1 / (1 + exp(-x))`` tends to
    0: a saturated gate passes no gradient, where a floor (``sigmoid(-20)`` for all inputs
    below) times a huge input or cell state leaked into the weight gradients, and an infinite
    input gave inf, not NaN."""
    a = abs(y)
    a = a if a < _f(21.0) else _f(21.0)            # NaN becomes 21 here (see the return)
    e = exp_small(a + a)
    s = (e if y >= _f(0.0) else _f(1.0)) / (e + _f(1.0))
    s = _f(0.0) if y < _f(-21.0) else s
    return s if y == y else y


@_jit
def forward_step(g, hh, c0, c1, tc, h1):
    """One step: ``g (N, 4H)`` pre-activations from the inputs, ``hh`` the recurrent product;
    ``g`` becomes the activated gates, ``c1 / tc / h1 (N, H)`` the new cell state, its tanh
    and the new hidden state. (Each loop writes a different array than it reads where it
    can: LLVM vectorised the in-place tanh over a row's slice only in that form.)"""
    N, G = g.shape
    H = G // 4
    for n in range(N):
        for j in range(3 * H):
            g[n, j] = sigmoid_of_twice(g[n, j] + hh[n, j])
        for j in range(H):
            tc[n, j] = tanh(g[n, 3 * H + j] + hh[n, 3 * H + j])
        for j in range(H):
            g[n, 3 * H + j] = tc[n, j]
        for j in range(H):
            c1[n, j] = g[n, H + j] * c0[n, j] + g[n, j] * g[n, 3 * H + j]
        for j in range(H):
            tc[n, j] = tanh(c1[n, j])
        for j in range(H):
            h1[n, j] = g[n, 2 * H + j] * tc[n, j]


@_jit
def backward_step(g, c0, tc, dout, dh, dc, d):
    """One step back: ``g`` the activated gates ``[i, f, o, g]``, ``c0`` the cell state before
    the step, ``tc`` tanh of the one after; ``dh``/``dc (N, H)`` the running gradients
    (``dh`` is replaced by the recurrent product afterwards); ``d (N, 4H)`` receives the
    pre-activation gradients in MXNet's order ``[i, f, g, o]``."""
    N, G = g.shape
    H = G // 4
    one = _f(1.0)
    for n in range(N):
        for j in range(H):
            i, f, o, gg, t = g[n, j], g[n, H + j], g[n, 2 * H + j], g[n, 3 * H + j], tc[n, j]
            dhj = dh[n, j] + dout[n, j]
            # each factor formed first, then times the running gradient: the NumPy loop's
            # products in its order (so ``c0 * f * (1 - f)`` is 0 for a saturated gate even
            # where ``dc * c0`` alone would overflow)
            dcj = dc[n, j] + dhj * (o * (one - t * t))
            d[n, j] = (gg * (i * (one - i))) * dcj
            d[n, H + j] = (c0[n, j] * (f * (one - f))) * dcj
            d[n, 2 * H + j] = (i * (one - gg * gg)) * dcj
            d[n, 3 * H + j] = (t * (o * (one - o))) * dhj
            dc[n, j] = dcj * f


@_jit
def gru_forward_step(g, p, bh, h0, h1):
    """One GRU step: ``g (N, 3H)`` pre-activations ``[r, z, n]`` from the inputs (the ``r, z``
    rows halved, as the weights), ``p (N, 3H)`` the recurrent product ``W_h h``; ``bh`` is added
    into ``p`` (kept for the backward), ``g`` becomes ``[r, z, n]`` activated and ``h1`` the new
    state ``(h0 - n) * z + n``, ``n = tanh(g_n + r * p_n)``."""
    N, G = g.shape
    H = G // 3
    for n in range(N):
        for j in range(G):
            p[n, j] += bh[j]
        for j in range(2 * H):
            g[n, j] = sigmoid_of_twice(g[n, j] + p[n, j])
        for j in range(H):
            h1[n, j] = tanh(g[n, 2 * H + j] + g[n, j] * p[n, 2 * H + j])
        for j in range(H):
            g[n, 2 * H + j] = h1[n, j]
        for j in range(H):
            h1[n, j] = (h0[n, j] - g[n, 2 * H + j]) * g[n, H + j] + g[n, 2 * H + j]


@_jit
def gru_backward_step(g, p, h0, dout, dh, dx, dhh):
    """One GRU step back: ``g`` the activated ``[r, z, n]``, ``p`` the recurrent product with its
    bias, ``h0`` the state before the step; ``dh (N, H)`` the running gradient, replaced by the
    part carried straight to the previous state (``dh * z``; the caller adds ``dhh @ W_h``).
    ``dx`` / ``dhh (N, 3H)`` receive the gradients of the input and recurrent pre-activations
    (equal but for the ``n`` block, scaled by ``r`` on the recurrent side)."""
    N, G = g.shape
    H = G // 3
    one = _f(1.0)
    for n in range(N):
        for j in range(H):
            r, z, nn = g[n, j], g[n, H + j], g[n, 2 * H + j]
            dhj = dh[n, j] + dout[n, j]
            kn = (one - z) * (one - nn * nn)      # factors first, as the NumPy loop forms them
            dr = ((kn * p[n, 2 * H + j]) * (r * (one - r))) * dhj
            dz = ((h0[n, j] - nn) * (z * (one - z))) * dhj
            dx[n, j] = dr
            dx[n, H + j] = dz
            dx[n, 2 * H + j] = kn * dhj
            dhh[n, j] = dr
            dhh[n, H + j] = dz
            dhh[n, 2 * H + j] = (kn * r) * dhj
            dh[n, j] = dhj * z


# The time loops. Each runs all T steps of a direction in one compiled call: the recurrent
# product by Numba's ``np.dot`` (SciPy's BLAS: they are called only where SciPy is installed and
# the product is small, :func:`minigluon.ops._rnn_numba.whole_loop`), then the step kernel above.
# Nothing in the loop needs Python, so the whole direction runs without the GIL: the two
# directions of a bidirectional layer on two CPU workers no longer wait for each other's Python
# code between steps (forward loops of the ctc benchmark's layer on two threads 2.38 -> 1.72 ms).

@_jit
def forward_loop(gates, hs, cs, tcs, whT, hh):
    """The LSTM recursion (:func:`minigluon.ops._rnn_numba.forward_steps`); ``hh (N, 4H)`` is
    scratch space for each step's recurrent product."""
    for t in range(gates.shape[0]):
        np.dot(hs[t], whT, hh)
        forward_step(gates[t], hh, cs[t], cs[t + 1], tcs[t], hs[t + 1])


@_jit
def backward_loop(gates, cs, tcs, dout, dh, dc, dgx, wh):
    """The LSTM reverse loop (:func:`minigluon.ops._rnn_numba.backward_steps`)."""
    for t in range(dout.shape[0] - 1, -1, -1):
        backward_step(gates[t], cs[t], tcs[t], dout[t], dh, dc, dgx[t])
        np.dot(dgx[t], wh, dh)


@_jit
def gru_forward_loop(gates, hp, bh, hs, whT):
    """The GRU recursion (:func:`minigluon.ops._rnn_numba.gru_forward_steps`)."""
    for t in range(gates.shape[0]):
        np.dot(hs[t], whT, hp[t])
        gru_forward_step(gates[t], hp[t], bh, hs[t], hs[t + 1])


@_jit
def gru_backward_loop(gates, hp, hs, dout, dh, dgx, dgh, wh, back):
    """The GRU reverse loop (:func:`minigluon.ops._rnn_numba.gru_backward_steps`); ``back (N, H)``
    is scratch space for each step's product with the recurrent weights."""
    for t in range(dout.shape[0] - 1, -1, -1):
        gru_backward_step(gates[t], hp[t], hs[t], dout[t], dh, dgx[t], dgh[t])
        np.dot(dgh[t], wh, back)
        dh += back
