"""The fused RNN operator's LSTM with projection (``projection_size``, LSTMP): a per-sample,
per-step NumPy reference written from the formulas and MXNet's parameter layout, gradients by
central differences, sequence lengths and state clipping."""
import numpy as np
import pytest

from minigluon import nd
from minigluon.ops.rnn import rnn_param_size
from minigluon.test_utils import assert_almost_equal, check_gradient


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _unpack(params, layers, D, ni, H, P):
    """Per layer and direction ``(W_x, W_h, W_r, b_x, b_h)``: all weights (W_x, W_h, W_r of each
    layer and direction in turn), then all biases (b_x, b_h of each)."""
    pos, ws = 0, []

    def take(*shape):
        nonlocal pos
        size = int(np.prod(shape))
        pos += size
        return params[pos - size:pos].reshape(shape)
    for layer in range(layers):
        nin = ni if layer == 0 else D * P
        for _ in range(D):
            ws.append([take(4 * H, nin), take(4 * H, P), take(P, H)])
    for w in ws:
        w += [take(4 * H), take(4 * H)]
    assert pos == len(params)
    return ws


def ref_lstmp(x, params, r0, c0, layers, bidir, lengths=None, clip=None):
    T, N, ni = x.shape
    D, P, H = 2 if bidir else 1, r0.shape[2], c0.shape[2]
    ws = _unpack(params, layers, D, ni, H, P)
    lengths = np.full(N, T) if lengths is None else lengths
    ry, cy = r0.copy(), c0.copy()
    for layer in range(layers):
        out = np.zeros((T, N, D * P))
        for d in range(D):
            k = layer * D + d
            wx, wh, wr, bx, bh = ws[k]
            for n in range(N):
                r, c = r0[k, n], c0[k, n]
                for t in (range(lengths[n]) if d == 0 else range(lengths[n] - 1, -1, -1)):
                    a = wx @ x[t, n] + bx + wh @ r + bh
                    i, f, g, o = (a[j * H:(j + 1) * H] for j in range(4))
                    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                    if clip is not None:
                        c = np.clip(c, *clip)
                    r = wr @ (_sigmoid(o) * np.tanh(c))
                    out[t, n, d * P:(d + 1) * P] = r
                ry[k, n], cy[k, n] = r, c
        x = out
    return x, ry, cy


def _inputs(T=4, N=3, I=3, H=4, P=2, layers=2, bidir=True, seed=0):
    rng = np.random.RandomState(seed)
    D = 2 if bidir else 1
    return (rng.uniform(-1, 1, (T, N, I)),
            rng.uniform(-0.5, 0.5, rnn_param_size('lstm', layers, I, H, bidir, projection_size=P)),
            rng.uniform(-0.5, 0.5, (layers * D, N, P)), rng.uniform(-0.5, 0.5, (layers * D, N, H)))


def _op(H, P, layers, bidir, **kw):
    return lambda *a: nd.RNN(*a, state_size=H, projection_size=P, num_layers=layers,
                             bidirectional=bidir, mode='lstm', state_outputs=True, **kw)


@pytest.mark.parametrize('layers,bidir', [(1, False), (2, True)])
def test_projection_forward_matches_the_reference(layers, bidir):
    x, p, r0, c0 = _inputs(layers=layers, bidir=bidir)
    want = ref_lstmp(x, p, r0, c0, layers, bidir)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        got = _op(4, 2, layers, bidir)(*[nd.array(a, dtype=dtype) for a in (x, p, r0, c0)])
        assert [g.shape for g in got] == [w.shape for w in want]
        for g, w in zip(got, want):
            assert g.dtype == dtype
            assert_almost_equal(g, w, rtol=tol, atol=tol)


def test_projection_gradient_two_layers_bidirectional():
    check_gradient(_op(3, 2, 2, True), list(_inputs(T=3, N=2, I=2, H=3, P=2, seed=1)),
                   rtol=1e-5, atol=1e-8)


def test_projection_with_sequence_lengths_and_clipping():
    x, p, r0, c0 = _inputs(T=4, N=3, I=2, H=3, P=2, seed=2)
    lengths = np.array([4, 1, 0])
    fn = _op(3, 2, 2, True, use_sequence_length=True, lstm_state_clip_min=-0.2,
             lstm_state_clip_max=0.25)
    inputs = [x, p, r0, c0, lengths.astype(np.int32)]
    got = fn(*[nd.array(a, dtype=a.dtype) for a in inputs])
    for g, w in zip(got, ref_lstmp(x, p, r0, c0, 2, True, lengths, clip=(-0.2, 0.25))):
        assert_almost_equal(g, w, rtol=1e-12, atol=1e-12)
    check_gradient(fn, inputs, wrt=[0, 1, 2, 3], rtol=1e-5, atol=1e-8)


def test_projection_shapes_and_errors():
    op_shapes = nd.RNN(nd.ones((5, 2, 3)), nd.ones((rnn_param_size('lstm', 1, 3, 4, projection_size=2),)),
                       nd.zeros((1, 2, 2)), nd.zeros((1, 2, 4)), state_size=4, projection_size=2,
                       num_layers=1, mode='lstm', state_outputs=True)
    assert [o.shape for o in op_shapes] == [(5, 2, 2), (1, 2, 2), (1, 2, 4)]
    # per direction: W_x (4H, I), W_h (4H, P), W_r (P, H), b_x and b_h (4H)
    assert rnn_param_size('lstm', 1, 3, 4, projection_size=2) == 16 * 3 + 16 * 2 + 2 * 4 + 32
    assert rnn_param_size('lstm', 2, 3, 4, True, 2) == 2 * (16 * 3 + 16 * 2 + 8 + 32) + \
        2 * (16 * 4 + 16 * 2 + 8 + 32)      # layer 1 reads both directions' projections (2 * P)
    with pytest.raises(ValueError, match="'state_cell'"):    # the cell keeps H units
        nd.RNN(nd.ones((5, 2, 3)), nd.ones((rnn_param_size('lstm', 1, 3, 4, projection_size=2),)),
               nd.zeros((1, 2, 2)), nd.zeros((1, 2, 2)), state_size=4, projection_size=2,
               num_layers=1, mode='lstm')
