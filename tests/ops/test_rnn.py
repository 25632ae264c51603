"""Tests of the fused RNN operator and _rnn_param_concat: NumPy reference, gradients, MXNet goldens."""
import os

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ops.rnn import rnn_param_size
from minigluon.test_utils import assert_almost_equal, check_gradient

MODES = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru']
FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'rnn')


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _ref_cell(mode, x, h, c, wx, wh, bx, bh):
    """One step of one direction, written straight from the formulas (MXNet/cuDNN gate order)."""
    H = h.shape[1]
    if mode in ('rnn_relu', 'rnn_tanh'):
        a = x @ wx.T + bx + h @ wh.T + bh
        return (np.maximum(a, 0) if mode == 'rnn_relu' else np.tanh(a)), None
    if mode == 'lstm':
        a = x @ wx.T + bx + h @ wh.T + bh
        i, f, g, o = (a[:, k * H:(k + 1) * H] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    ax, ah = x @ wx.T + bx, h @ wh.T + bh
    r = _sigmoid(ax[:, :H] + ah[:, :H])
    z = _sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h, None


def ref_rnn(mode, x, params, h0, c0, layers, bidir, lengths=None):
    """Straightforward per-step reference of the fused operator (no dropout)."""
    T, N, ni = x.shape
    H = h0.shape[2]
    G = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}[mode]
    D = 2 if bidir else 1
    pos, ws = 0, []
    for layer in range(layers):
        nin = ni if layer == 0 else D * H
        for _ in range(D):
            wx = params[pos:pos + G * H * nin].reshape(G * H, nin)
            pos += G * H * nin
            wh = params[pos:pos + G * H * H].reshape(G * H, H)
            pos += G * H * H
            ws.append([wx, wh])
    for w in ws:
        w += [params[pos:pos + G * H], params[pos + G * H:pos + 2 * G * H]]
        pos += 2 * G * H
    assert pos == len(params)
    lengths = np.full(N, T) if lengths is None else lengths
    hy, cy = np.zeros_like(h0), np.zeros_like(h0)
    for layer in range(layers):
        out = np.zeros((T, N, D * H))
        for d in range(D):
            k = layer * D + d
            for n in range(N):
                h, c = h0[k, n:n + 1], (c0[k, n:n + 1] if c0 is not None else None)
                steps = range(lengths[n]) if d == 0 else range(lengths[n] - 1, -1, -1)
                for t in steps:
                    h, c = _ref_cell(mode, x[t, n:n + 1], h, c, *ws[k])
                    out[t, n, d * H:(d + 1) * H] = h[0]
                hy[k, n] = h[0]
                if c is not None:
                    cy[k, n] = c[0]
        x = out
    return x, hy, cy


def _inputs(mode, T=5, N=3, I=4, H=3, layers=2, bidir=True, seed=0, scale=0.4):
    rng = np.random.RandomState(seed)
    D = 2 if bidir else 1
    x = rng.uniform(-1, 1, (T, N, I))
    p = rng.uniform(-scale, scale, rnn_param_size(mode, layers, I, H, bidir))
    h0 = rng.uniform(-0.5, 0.5, (layers * D, N, H))
    c0 = rng.uniform(-0.5, 0.5, (layers * D, N, H)) if mode == 'lstm' else None
    return x, p, h0, c0


def _call(mode, x, p, h0, c0, layers, bidir, **kw):
    args = [x, p, h0] + ([c0] if mode == 'lstm' else [])
    return nd.RNN(*args, state_size=h0.shape[2], num_layers=layers, bidirectional=bidir, mode=mode,
                  state_outputs=True, **kw)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('layers,bidir', [(1, False), (2, True), (3, False)])
def test_forward_matches_reference(mode, layers, bidir):
    x, p, h0, c0 = _inputs(mode, layers=layers, bidir=bidir)
    f32 = [None if a is None else nd.array(a, dtype=np.float32) for a in (x, p, h0, c0)]
    outs = _call(mode, *f32, layers, bidir)
    ref = ref_rnn(mode, x, p, h0, c0, layers, bidir)
    assert len(outs) == (3 if mode == 'lstm' else 2)
    for got, want in zip(outs, ref):
        assert got.dtype == np.float32
        assert_almost_equal(got, want.astype(np.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('mode', MODES)
def test_float64_and_single_output(mode):
    x, p, h0, c0 = _inputs(mode, layers=1, bidir=False)
    args = [nd.array(a, dtype=np.float64) for a in (x, p, h0)]
    if c0 is not None:
        args.append(nd.array(c0, dtype=np.float64))
    out = nd.RNN(*args, state_size=3, num_layers=1, mode=mode)
    assert isinstance(out, nd.NDArray) and out.dtype == np.float64
    assert_almost_equal(out, ref_rnn(mode, x, p, h0, c0, 1, False)[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('mode', MODES)
def test_gradient_two_layers_bidirectional(mode):
    x, p, h0, c0 = _inputs(mode, T=3, N=2, I=3, H=2, layers=2, bidir=True, seed=3)
    inputs = [x, p, h0] + ([c0] if c0 is not None else [])

    def fn(*a):
        return nd.RNN(*a, state_size=2, num_layers=2, bidirectional=True, mode=mode,
                      state_outputs=True)
    if mode == 'rnn_relu':   # keep pre-activations away from the kink
        inputs[1] = np.abs(inputs[1])
    check_gradient(fn, inputs, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize('mode', MODES)
def test_gradient_unidirectional_output_only(mode):
    x, p, h0, c0 = _inputs(mode, T=4, N=2, I=2, H=3, layers=1, bidir=False, seed=5)
    inputs = [x, p, h0] + ([c0] if c0 is not None else [])
    check_gradient(lambda *a: nd.RNN(*a, state_size=3, num_layers=1, mode=mode), inputs,
                   rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize('mode', MODES)
def test_sequence_length_forward_and_gradient(mode):
    x, p, h0, c0 = _inputs(mode, T=4, N=3, I=2, H=2, layers=2, bidir=True, seed=7)
    lengths = np.array([4, 2, 1])
    inputs = [x, p, h0] + ([c0] if c0 is not None else []) + [lengths.astype(np.int32)]

    def fn(*a):
        return nd.RNN(*a, state_size=2, num_layers=2, bidirectional=True, mode=mode,
                      state_outputs=True, use_sequence_length=True)
    outs = fn(*[nd.array(a, dtype=a.dtype) for a in inputs])
    ref = ref_rnn(mode, x, p, h0, c0, 2, True, lengths)
    for got, want in zip(outs, ref):
        assert_almost_equal(got, want, rtol=1e-10, atol=1e-12)
    if mode == 'rnn_relu':
        inputs[1] = np.abs(inputs[1])
    check_gradient(fn, inputs, wrt=list(range(len(inputs) - 1)), rtol=1e-5, atol=1e-8)


def test_lstm_state_clip_forward_and_gradient():
    x, p, h0, c0 = _inputs('lstm', T=4, N=2, I=3, H=2, layers=1, bidir=False, scale=1.5, seed=2)
    c0 *= 4

    def fn(*a):
        return nd.RNN(*a, state_size=2, num_layers=1, mode='lstm', state_outputs=True,
                      lstm_state_clip_min=-0.3, lstm_state_clip_max=0.3)
    out, hy, cy = fn(*[nd.array(a, dtype=np.float64) for a in (x, p, h0, c0)])
    assert cy.asnumpy().max() <= 0.3 and cy.asnumpy().min() >= -0.3
    check_gradient(fn, [x, p, h0, c0], rtol=1e-5, atol=1e-8)


def test_dropout_between_layers_only_in_training():
    x, p, h0, c0 = _inputs('gru', layers=2, bidir=False)
    args = [nd.array(a, dtype=np.float32) for a in (x, p, h0)]
    ref = ref_rnn('gru', x, p, h0, None, 2, False)[0]
    out = nd.RNN(*args, state_size=3, num_layers=2, mode='gru', p=0.5)
    assert_almost_equal(out, ref.astype(np.float32), rtol=1e-5, atol=1e-5)
    with autograd.record():
        dropped = nd.RNN(*args, state_size=3, num_layers=2, mode='gru', p=0.5)
    assert not np.allclose(dropped.asnumpy(), ref, atol=1e-3)


def test_dropout_gradient_uses_the_same_mask():
    x, p, h0, _ = _inputs('rnn_tanh', T=3, N=2, I=2, H=2, layers=2, bidir=False)
    xs, ps = nd.array(x, dtype=np.float64), nd.array(p, dtype=np.float64)
    xs.attach_grad()
    with autograd.record():
        out = nd.RNN(xs, ps, nd.array(h0, dtype=np.float64), state_size=2, num_layers=2,
                     mode='rnn_tanh', p=0.5)
    out.backward()
    g = xs.grad.asnumpy()
    assert np.isfinite(g).all() and np.abs(g).sum() > 0


def test_rnn_param_concat_forward_and_gradient():
    a, b = np.random.randn(6), np.random.randn(4)
    out = nd._rnn_param_concat(nd.array(a), nd.array(b), dim=0)
    assert_almost_equal(out, np.concatenate([a, b]).astype(np.float32))
    check_gradient(lambda u, v: nd._rnn_param_concat(u, v, dim=0, num_args=2), [a, b])
    m = nd._rnn_param_concat(nd.ones((2, 3)), nd.zeros((2, 1)), num_args=2)
    assert m.shape == (2, 4)
    with pytest.raises(ValueError, match='every axis but dim'):
        nd._rnn_param_concat(nd.ones((2, 3)), nd.ones((3, 3)), dim=1)


def test_infer_shape_and_outputs():
    from minigluon.ops.registry import get_op
    op = get_op('RNN')(state_size=4, num_layers=2, bidirectional=True, mode='lstm', state_outputs=True)
    ins, outs = op.infer_shape([(7, 3, 5), None, None, None])
    assert ins == [(7, 3, 5), (rnn_param_size('lstm', 2, 5, 4, True),), (4, 3, 4), (4, 3, 4)]
    assert outs == [(7, 3, 8), (4, 3, 4), (4, 3, 4)]
    assert op.list_arguments() == ['data', 'parameters', 'state', 'state_cell']
    assert op.list_outputs() == ['output', 'state_output', 'statecell_output']
    gru = get_op('RNN')(state_size=4, num_layers=1, mode='gru', use_sequence_length=True)
    assert gru.list_arguments() == ['data', 'parameters', 'state', 'sequence_length']
    assert gru.list_outputs() == ['output']
    assert gru.attrs_to_strings() == {'mode': 'gru', 'num_layers': '1', 'state_size': '4',
                                      'use_sequence_length': 'True'}


def test_errors():
    x = nd.ones((3, 2, 4))
    with pytest.raises(ValueError, match="parameters"):
        nd.RNN(x, nd.ones((10,)), nd.zeros((1, 2, 3)), state_size=3, num_layers=1, mode='gru')
    with pytest.raises(ValueError, match="state"):
        n = rnn_param_size('gru', 1, 4, 3)
        nd.RNN(x, nd.ones((n,)), nd.zeros((1, 5, 3)), state_size=3, num_layers=1, mode='gru')
    with pytest.raises(ValueError, match="3-D"):
        nd.RNN(nd.ones((3, 4)), nd.ones((10,)), nd.zeros((1, 2, 3)), state_size=3, num_layers=1,
               mode='gru')
    with pytest.raises(ValueError, match="mode"):
        nd.RNN(x, nd.ones((10,)), nd.zeros((1, 2, 3)), state_size=3, num_layers=1, mode='lstmx')
    with pytest.raises(TypeError, match="state_cell"):
        n = rnn_param_size('lstm', 1, 4, 3)
        nd.RNN(x, nd.ones((n,)), nd.zeros((1, 2, 3)), state_size=3, num_layers=1, mode='lstm')
    with pytest.raises(ValueError, match='projection_size'):       # LSTMP only
        nd.RNN(x, nd.ones((10,)), nd.zeros((1, 2, 3)), state_size=3, num_layers=1, mode='gru',
               projection_size=2)
    with pytest.raises(ValueError, match="'state'"):                 # (L*D, N, P) with a projection
        n = rnn_param_size('lstm', 1, 4, 3, projection_size=2)
        nd.RNN(x, nd.ones((n,)), nd.zeros((1, 2, 3)), nd.zeros((1, 2, 3)), state_size=3,
               num_layers=1, mode='lstm', projection_size=2)



@pytest.mark.parametrize('mode,layers,bidir', [('lstm', 1, False), ('gru', 2, True), ('rnn_tanh', 1, False)])
def test_parameters_of_another_input_size_name_both_sizes(mode, layers, bidir):
    # parameters made for 8 features per step, data with 9: the message gives both numbers
    dirs = 2 if bidir else 1
    params = nd.ones((rnn_param_size(mode, layers, 8, 3, bidir),))
    states = [nd.zeros((layers * dirs, 2, 3))] * (2 if mode == 'lstm' else 1)
    with pytest.raises(ValueError, match=r"RNN: data has 9 features per step, but the parameters "
                                         r"\(%d,\) were made for input_size=8 \(mode='%s'"
                                         % (params.shape[0], mode)):
        nd.RNN(nd.ones((5, 2, 9)), params, *states, state_size=3, num_layers=layers,
               bidirectional=bidir, mode=mode)
    # a length no input size gives keeps the plain form
    with pytest.raises(ValueError, match=r"input 'parameters' must have shape"):
        nd.RNN(nd.ones((5, 2, 9)), nd.ones((params.shape[0] + 1,)), *states, state_size=3,
               num_layers=layers, bidirectional=bidir, mode=mode)


@pytest.mark.parametrize('name', ['lstm', 'gru'])
def test_mxnet_golden(name):
    path = os.path.join(FIXTURES, 'rnn_op_%s.npz' % name)
    f = np.load(path)
    mode = str(f['mode'])
    args = [nd.array(f['data']), nd.array(f['params']), nd.array(f['state'])]
    if mode == 'lstm':
        args.append(nd.array(f['state_cell']))
    layers, hid, bidir = int(f['num_layers']), int(f['state_size']), bool(f['bidirectional'])
    for a in args:
        a.attach_grad()
    with autograd.record():
        outs = nd.RNN(*args, state_size=hid, num_layers=layers, bidirectional=bidir, mode=mode,
                      state_outputs=True)
    assert_almost_equal(outs[0], f['out'], rtol=1e-4, atol=1e-5)
    assert_almost_equal(outs[1], f['hy'], rtol=1e-4, atol=1e-5)
    if mode == 'lstm':
        assert_almost_equal(outs[2], f['cy'], rtol=1e-4, atol=1e-5)
    autograd.backward(outs[:1], [nd.array(f['head_grad'])])
    for a, key in zip(args, ['grad_data', 'grad_params', 'grad_state', 'grad_state_cell']):
        assert_almost_equal(a.grad, f[key], rtol=1e-4, atol=1e-5)


def test_zero_batch_begin_state_reads_as_zeros():
    x, p, h0, c0 = _inputs('lstm', layers=1, bidir=True)
    f32 = [nd.array(a, dtype=np.float32) for a in (x, p)]
    empty = nd.zeros((2, 0, 3))
    zeros = nd.zeros((2, 3, 3))
    got = nd.RNN(*f32, empty, empty, state_size=3, num_layers=1, bidirectional=True, mode='lstm')
    want = nd.RNN(*f32, zeros, zeros, state_size=3, num_layers=1, bidirectional=True, mode='lstm')
    assert_almost_equal(got, want)
    f32[0].attach_grad()
    with autograd.record():
        out = nd.RNN(f32[0], f32[1], empty, empty, state_size=3, num_layers=1, bidirectional=True,
                     mode='lstm')
    out.backward()
    assert np.isfinite(f32[0].grad.asnumpy()).all()


def test_lstm_state_clip_nan_uses_lower_bound():
    x, p, h0, c0 = _inputs('lstm', T=2, N=1, I=2, H=2, layers=1, bidir=False)
    c0[0, 0, 0] = np.nan
    args = [nd.array(a, dtype=np.float64) for a in (x, p, h0, c0)]
    kw = dict(state_size=2, num_layers=1, mode='lstm', state_outputs=True,
              lstm_state_clip_min=-0.2, lstm_state_clip_max=0.2)
    out, hy, cy = nd.RNN(*args, lstm_state_clip_nan=True, **kw)
    assert np.isfinite(out.asnumpy()).all() and np.isfinite(cy.asnumpy()).all()
    assert np.isnan(nd.RNN(*args, **kw)[2].asnumpy()).any()


@pytest.mark.gpu
@pytest.mark.skipif(not __import__('minigluon').backend.cupy_available(),
                    reason='CuPy with a CUDA device is not available')
@pytest.mark.parametrize('mode', MODES)
def test_gpu_matches_cpu(mode):
    from minigluon.context import gpu
    x, p, h0, c0 = _inputs(mode, layers=2, bidir=True)
    host = [a for a in (x, p, h0, c0) if a is not None]
    results = []
    for ctx in (None, gpu(0)):
        args = [nd.array(a, dtype=np.float64, ctx=ctx) for a in host]
        for a in args:
            a.attach_grad()
        with autograd.record():
            outs = nd.RNN(*args, state_size=3, num_layers=2, bidirectional=True, mode=mode,
                          state_outputs=True)
        autograd.backward(outs)
        results.append([o.asnumpy() for o in outs] + [a.grad.asnumpy() for a in args])
    for got, want in zip(results[1], results[0]):
        assert_almost_equal(got, want, rtol=1e-10, atol=1e-12)
