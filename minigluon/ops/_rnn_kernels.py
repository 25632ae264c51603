"""Kernels of the fused ``RNN`` operator (:mod:`minigluon.ops.rnn`): one layer, one direction.

Forward: one GEMM projects every time step's input at once, then the time loop does one small GEMM
and a few in-place element-wise operations per step, keeping the activated gates for backward.
Sigmoid gates are computed as ``0.5 * tanh(x / 2) + 0.5`` with the ``1/2`` folded into the
weights, so a single ``tanh`` call per step activates every gate. Backward is exact
back-propagation through time; the per-step derivative factors are computed for all steps at once
before the reverse loop, and the weight gradients are three GEMMs after it.

``xp`` is NumPy or CuPy. On a GPU the LSTM's and the GRU's time loops run as minigluon's own
CUDA kernels (:mod:`minigluon.ops._rnn_cuda`: the whole loop in one launch, or for large LSTMs
one fused kernel a step; a launch per NumPy-style call would dominate there); on the CPU as
compiled loops when Numba is installed (:mod:`minigluon.ops._rnn_numba`, float32 LSTM and GRU).
Gate orders and formulas: see :mod:`minigluon.ops.rnn`.
"""

from minigluon.ops import _rnn_cuda, _rnn_numba
from minigluon.ops._workspace import buffer

GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


def _buf(xp, ws, key, shape, dtype):
    """``xp.empty(shape, dtype)``, or the array reused from the static_alloc workspace ``ws``
    (see :mod:`minigluon.ops._workspace`)."""
    return buffer(xp, ws, key, shape, dtype)


def rnn_param_size(mode, num_layers, input_size, state_size, bidirectional=False,
                   projection_size=None):
    """Length of the flat parameter vector of the fused ``RNN`` operator (``projection_size``:
    LSTMP, whose recurrent state and output have ``projection_size`` units)."""
    gh, dirs = GATES[mode] * state_size, 2 if bidirectional else 1
    rec = projection_size or state_size
    size = 0
    for layer in range(num_layers):
        ni = input_size if layer == 0 else dirs * rec
        size += dirs * (gh * (ni + rec + 2) + (rec * state_size if projection_size else 0))
    return size


def split_params(params, mode, layers, dirs, ni, hid, proj=None):
    """Views ``[W_x, W_h, b_x, b_h, W_r]`` of the flat vector, indexed by ``layer * dirs +
    direction`` (``W_r (P, H)`` the LSTMP projection, None without ``proj``). The vector holds
    all weights first (``W_x``, ``W_h``, ``W_r`` per layer and direction), then all biases."""
    gh, rec = GATES[mode] * hid, proj or hid
    pos, weights = 0, []
    for layer in range(layers):
        nin = ni if layer == 0 else dirs * rec
        for _ in range(dirs):
            entry = []
            for rows, cols in ((gh, nin), (gh, rec)) + (((proj, hid),) if proj else ()):
                entry.append(params[pos:pos + rows * cols].reshape(rows, cols))
                pos += rows * cols
            weights.append(entry)
    for entry in weights:
        wr = entry.pop() if proj else None
        entry.extend([params[pos:pos + gh], params[pos + gh:pos + 2 * gh], wr])
        pos += 2 * gh
    return weights


def _half_scale(xp, gh, nsig, dtype):
    """Row scales folding the sigmoid's ``x / 2`` into the weights: 0.5 for the first ``nsig`` rows."""
    scale = xp.ones(gh, dtype=dtype)
    scale[:nsig] = 0.5
    return scale


# ---------------------------------------------------------------------------------------------------
# One layer, one direction, time running forward (a reversed direction is fed reversed inputs).
# ``mask`` (T, N, 1) bool, or None: steps where it is False keep the previous state and output 0.


def dir_forward(xp, mode, x, wx, wh, bx, bh, h0, c0, mask, clip, ws=None, wr=None):
    """One layer and direction forward: ``(out (T, N, R), h_T, c_T or None, cache)``. ``R`` is
    ``H``, or ``P`` for an LSTM with projection ``wr (P, H)``: its recurrent state and output
    are then ``r = W_r (o * tanh(c))``, and ``W_h`` is ``(4H, P)``."""
    T, N, _ = x.shape
    gh = wh.shape[0]
    H = gh // GATES[mode]
    R = wh.shape[1]          # the recurrent state's size: H, or P with a projection
    dt = x.dtype
    c = {'mode': mode, 'x': x, 'wx': wx, 'wh': wh, 'mask': mask, 'ws': ws, 'wr': wr}
    whT = None
    if mode == 'lstm' and wr is None and _rnn_cuda.supported(xp, dt, mask, clip):
        # a GPU: the same reordered, scaled weights in one launch
        wx_s, whT, b_s = _rnn_cuda.prepared_weights(xp, wx, wh, bx, bh)
    elif mode == 'lstm':   # internal gate order [i, f, o, g]: the sigmoid gates are contiguous
        perm = xp.concatenate([xp.arange(0, 2 * H), xp.arange(3 * H, 4 * H), xp.arange(2 * H, 3 * H)])
        scale = _half_scale(xp, gh, 3 * H, dt)
        wx_s, wh_s, b_s = wx[perm] * scale[:, None], wh[perm] * scale[:, None], (bx + bh)[perm] * scale
    elif mode == 'gru':
        scale = _half_scale(xp, gh, 2 * H, dt)
        wx_s, wh_s, b_s = wx * scale[:, None], wh * scale[:, None], bx * scale
        bh_s = bh * scale
    else:
        wx_s, wh_s, b_s = wx, wh, bx + bh
    x2 = x.reshape(T * N, x.shape[2])
    if ws is not None and xp.result_type(x2, wx_s) == dt:
        gates = xp.dot(x2, wx_s.T, out=_buf(xp, ws, 'gates', (T * N, gh), dt)).reshape(T, N, gh)
    else:
        gates = xp.dot(x2, wx_s.T).reshape(T, N, gh)
    gates += b_s
    # contiguous (H, gh): the per-step product h @ W_h.T runs ~25% faster than on the transposed view
    if whT is None:
        whT = xp.ascontiguousarray(wh_s.T)
    hs = _buf(xp, ws, 'hs', (T + 1, N, R), dt)
    hs[0] = h0
    if mode == 'lstm':
        cs = _buf(xp, ws, 'cs', (T + 1, N, H), dt)
        cs[0] = c0
        tcs = _buf(xp, ws, 'tcs', (T, N, H), dt)
        clipped = xp.zeros((T, N, H), dtype=bool) if clip is not None else None
        # with a projection: o * tanh(c) per step (kept for backward), then hs[t + 1] = that @ W_r.T
        hfull = None if wr is None else _buf(xp, ws, 'hfull', (T, N, H), dt)
        wrT = None if wr is None else xp.ascontiguousarray(wr.T)
        if wr is None and _rnn_cuda.supported(xp, dt, mask, clip):   # a GPU: one fused kernel a step
            _rnn_cuda.forward_steps(xp, gates, hs, cs, tcs, whT)
        elif _rnn_numba.supported(xp, dt, mask, clip, wr):   # NumPy with Numba: one call a step
            _rnn_numba.forward_steps(gates, hs, cs, tcs, whT)
        else:
            hh = xp.empty((N, gh), dtype=dt)
            tmp = xp.empty((N, H), dtype=dt)
            shift = 1 - scale      # 0.5 on the sigmoid rows, 0 on g: tanh -> sigmoid where needed
            for t in range(T):
                g = gates[t]
                xp.dot(hs[t], whT, out=hh)
                g += hh
                xp.tanh(g, out=g)
                g *= scale         # whole rows: ~3x faster than two passes over the strided
                g += shift         # [:, :3H] slice, and bit-identical to them
                xp.multiply(g[:, H:2 * H], cs[t], out=cs[t + 1])
                xp.multiply(g[:, :H], g[:, 3 * H:], out=tmp)
                cs[t + 1] += tmp
                if clip is not None:
                    clipped[t] = ~((cs[t + 1] >= clip[0]) & (cs[t + 1] <= clip[1]))
                    if clip[2]:    # fmax/fmin ignore NaN, so a NaN cell becomes the lower bound
                        xp.fmin(xp.fmax(cs[t + 1], clip[0], out=cs[t + 1]), clip[1], out=cs[t + 1])
                    else:
                        xp.clip(cs[t + 1], clip[0], clip[1], out=cs[t + 1])
                xp.tanh(cs[t + 1], out=tcs[t])
                if wr is None:
                    xp.multiply(g[:, 2 * H:3 * H], tcs[t], out=hs[t + 1])
                else:
                    xp.multiply(g[:, 2 * H:3 * H], tcs[t], out=hfull[t])
                    xp.dot(hfull[t], wrT, out=hs[t + 1])
                if mask is not None:
                    xp.copyto(hs[t + 1], hs[t], where=~mask[t])
                    xp.copyto(cs[t + 1], cs[t], where=~mask[t])
        c.update(gates=gates, cs=cs, tcs=tcs, clipped=clipped, hfull=hfull)
    elif mode == 'gru':
        hp = xp.empty((T, N, gh), dtype=dt)    # h2h projections, kept for backward
        if _rnn_cuda.supported(xp, dt, mask, None) and _rnn_cuda.whole_loop(N, H, 3):
            _rnn_cuda.gru_forward_loop(xp, gates, hp, hs, whT, bh_s)    # a GPU: one launch
        elif _rnn_numba.supported(xp, dt, mask, None, None):   # NumPy with Numba: one call a step
            _rnn_numba.gru_forward_steps(gates, hp, hs, whT, bh_s)
        else:
            for t in range(T):
                g, p = gates[t], hp[t]
                xp.dot(hs[t], whT, out=p)
                p += bh_s
                g[:, :2 * H] += p[:, :2 * H]
                xp.tanh(g[:, :2 * H], out=g[:, :2 * H])
                sig = g[:, :2 * H]
                sig *= 0.5
                sig += 0.5
                n = g[:, 2 * H:]
                n += g[:, :H] * p[:, 2 * H:]
                xp.tanh(n, out=n)
                h = hs[t + 1]
                xp.subtract(hs[t], n, out=h)
                h *= g[:, H:2 * H]
                h += n
                if mask is not None:
                    xp.copyto(h, hs[t], where=~mask[t])
        c.update(gates=gates, hp=hp)
    else:
        act = xp.tanh if mode == 'rnn_tanh' else (lambda a, out: xp.maximum(a, 0, out=out))
        for t in range(T):
            h = hs[t + 1]
            xp.dot(hs[t], whT, out=h)
            h += gates[t]
            act(h, out=h)
            if mask is not None:
                xp.copyto(h, hs[t], where=~mask[t])
    c['hs'] = hs
    out = hs[1:] if mask is None else hs[1:] * mask
    return out, hs[T], (cs[T] if mode == 'lstm' else None), c


def dir_backward(xp, c, dout, dhT, dcT, need_x=True):
    """Gradients ``(dx, dW_x, dW_h, db_x, db_h, dh0, dc0, dW_r)`` of one layer and direction
    (``dx`` None when ``need_x`` is False; ``dW_r`` None without a projection). ``dout`` and
    ``dhT`` have the recurrent state's size ``R`` (``H``, or ``P`` with a projection)."""
    mode, x, wx, wh, hs, mask, wr = (c['mode'], c['x'], c['wx'], c['wh'], c['hs'], c['mask'],
                                     c['wr'])
    T, N, R = dout.shape
    gh = wh.shape[0]
    H = gh // GATES[mode]
    dt = dout.dtype
    dh = xp.array(dhT, dtype=dt) if dhT is not None else xp.zeros((N, R), dtype=dt)
    dwr = None
    dgx = _buf(xp, c['ws'], 'dgx', (T, N, gh), dt)   # gradient of the i2h pre-activations
    dgh = dgx                                     # ... and of the h2h ones (differ for GRU)
    dc0 = None
    keep = None if mask is None else ~mask
    if mode == 'lstm' and _rnn_numba.supported(xp, dt, mask, c['clipped'], wr):
        # NumPy with Numba: the derivative factors are formed inside the one call per step
        dc = xp.array(dcT, dtype=dt) if dcT is not None else xp.zeros((N, H), dtype=dt)
        _rnn_numba.backward_steps(dh, dc, dout, c['gates'], c['cs'], c['tcs'], dgx, wh)
        dc0 = dc
    elif (mode == 'lstm' and wr is None and _rnn_cuda.supported(xp, dt, mask, c['clipped'])
          and _rnn_cuda.whole_loop(N, H)):
        # a GPU: the whole loop in one launch, the derivative factors formed inside it
        dc = xp.array(dcT, dtype=dt) if dcT is not None else xp.zeros((N, H), dtype=dt)
        _rnn_cuda.backward_loop(xp, dh, dc, dout, c['gates'], c['cs'], c['tcs'], dgx, wh)
        dc0 = dc
    elif mode == 'lstm':
        G = c['gates'].reshape(T, N, 4, H)
        i, f, o, g = G[:, :, 0], G[:, :, 1], G[:, :, 2], G[:, :, 3]
        tc = c['tcs']
        # d(pre-activation) = factor * (dc or dh); gathered in MXNet's order [i, f, g, o]
        K = _buf(xp, c['ws'], 'K', (T, N, 4, H), dt)
        xp.multiply(g, i * (1 - i), out=K[:, :, 0])
        xp.multiply(c['cs'][:-1], f * (1 - f), out=K[:, :, 1])
        xp.multiply(i, 1 - g * g, out=K[:, :, 2])
        xp.multiply(tc, o * (1 - o), out=K[:, :, 3])
        kc = o * (1 - tc * tc)
        if c['clipped'] is not None:   # a clipped cell state passes no gradient to its inputs
            through = ~c['clipped']
            K[:, :, :3] *= through[:, :, None, :]
            f = f * through
        dc = xp.array(dcT, dtype=dt) if dcT is not None else xp.zeros((N, H), dtype=dt)
        tmp = xp.empty((N, H), dtype=dt)
        d4 = dgx.reshape(T, N, 4, H)
        spread = xp.empty((N, 4, H), dtype=dt)    # [dc, dc, dc, dh]: one contiguous product a step
        # with a projection, dh is the gradient of the projected state r; dhf = dr @ W_r that of
        # o * tanh(c), and dr of every step is kept for dW_r
        dr = None if wr is None else xp.empty((T, N, R), dtype=dt)
        dhf = dh if wr is None else xp.empty((N, H), dtype=dt)
        if wr is None and _rnn_cuda.supported(xp, dt, mask, c['clipped']):   # a GPU, large H
            _rnn_cuda.backward_steps(xp, dh, dc, dout, kc, K, c['gates'], dgx, wh)
        else:
            for t in range(T - 1, -1, -1):
                if mask is None:
                    dh += dout[t]
                    if wr is not None:
                        dr[t] = dh
                        xp.dot(dh, wr, out=dhf)
                    xp.multiply(dhf, kc[t], out=tmp)
                    dc += tmp
                    spread[:, :3] = dc[:, None, :]
                    spread[:, 3] = dhf
                    xp.multiply(K[t], spread, out=d4[t])
                    dc *= f[t]
                    xp.dot(dgx[t], wh, out=dh)
                else:
                    m, k = mask[t], keep[t]
                    dh += dout[t] * m
                    dhm = dh * m
                    if wr is not None:
                        dr[t] = dhm
                        dhm = xp.dot(dhm, wr)
                    dcc = dc * m + dhm * kc[t]
                    d4[t, :, :3] = K[t, :, :3] * dcc[:, None, :]
                    d4[t, :, 3] = K[t, :, 3] * dhm
                    dc = dcc * f[t] + dc * k
                    dh = xp.dot(dgx[t], wh) + dh * k
        dc0 = dc
        if wr is not None:
            dwr = xp.dot(dr.reshape(T * N, R).T, c['hfull'].reshape(T * N, H))
    elif mode == 'gru' and _rnn_numba.supported(xp, dt, mask, None, None):
        dgh = xp.empty((T, N, gh), dtype=dt)
        _rnn_numba.gru_backward_steps(dh, dout, c['gates'], c['hp'], hs, dgx, dgh, wh)
    elif (mode == 'gru' and _rnn_cuda.supported(xp, dt, mask, None)
          and _rnn_cuda.whole_loop(N, H, 3)):     # a GPU: the whole reverse loop in one launch
        dgh = xp.empty((T, N, gh), dtype=dt)
        _rnn_cuda.gru_backward_loop(xp, dh, dout, c['gates'], c['hp'], hs, dgx, dgh, wh)
    elif mode == 'gru':
        G, hp = c['gates'], c['hp']
        r, z, n = G[:, :, :H], G[:, :, H:2 * H], G[:, :, 2 * H:]
        hprev = hs[:-1]
        K = xp.empty((T, N, 3, H), dtype=dt)
        kn = (1 - z) * (1 - n * n)
        xp.multiply(kn * hp[:, :, 2 * H:], r * (1 - r), out=K[:, :, 0])
        xp.multiply(hprev - n, z * (1 - z), out=K[:, :, 1])
        K[:, :, 2] = kn
        Kh = K.copy()
        Kh[:, :, 2] *= r
        dgh = xp.empty((T, N, gh), dtype=dt)
        dx4, dh4 = dgx.reshape(T, N, 3, H), dgh.reshape(T, N, 3, H)
        for t in range(T - 1, -1, -1):
            dh += dout[t] if mask is None else dout[t] * mask[t]
            dcand = dh if mask is None else dh * mask[t]
            xp.multiply(K[t], dcand[:, None, :], out=dx4[t])
            xp.multiply(Kh[t], dcand[:, None, :], out=dh4[t])
            carry = dcand * z[t]
            if mask is not None:
                carry += dh * keep[t]
            xp.dot(dgh[t], wh, out=dh)
            dh += carry
    else:
        act = hs[1:]    # where masked, the state is carried but the gradient is masked too
        kd = (1 - act * act) if mode == 'rnn_tanh' else (act > 0).astype(dt)
        for t in range(T - 1, -1, -1):
            if mask is None:
                dh += dout[t]
                xp.multiply(dh, kd[t], out=dgx[t])
                xp.dot(dgx[t], wh, out=dh)
            else:
                dh += dout[t] * mask[t]
                xp.multiply(dh * mask[t], kd[t], out=dgx[t])
                dh = xp.dot(dgx[t], wh) + dh * keep[t]
    flat_x, flat_gx, flat_gh = x.reshape(T * N, x.shape[2]), dgx.reshape(T * N, gh), dgh.reshape(T * N, gh)
    dwx = xp.dot(flat_gx.T, flat_x)
    dwh = xp.dot(flat_gh.T, hs[:-1].reshape(T * N, R))
    dbx = flat_gx.sum(axis=0)
    dbh = dbx if dgh is dgx else flat_gh.sum(axis=0)
    dx = xp.dot(flat_gx, wx).reshape(x.shape) if need_x else None
    return dx, dwx, dwh, dbx, dbh, dh, dc0, dwr
