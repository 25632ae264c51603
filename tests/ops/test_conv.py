"""Tests of minigluon.ops.conv: NumPy references, numerical gradients, MXNet 1.9.1 golden files."""

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ops.registry import get_op
from minigluon.test_utils import assert_almost_equal, check_gradient
from nn_golden import cases_for, run_golden

OPS = ('Convolution', 'Deconvolution', 'Pooling', 'UpSampling')


@pytest.mark.parametrize('case', cases_for(OPS), ids=lambda c: c['name'])
def test_mxnet_golden(case):
    run_golden(case)


# ---------------------------------------------------------------------------------------------------
# Convolution and Deconvolution

def conv_ref(x, w, b, stride, pad, dil, groups):
    """Direct loop-over-output-positions convolution (the textbook definition)."""
    n, c = x.shape[:2]
    f, k = w.shape[0], w.shape[2:]
    xpad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out_sp = [(s + 2 * p - d * (kk - 1) - 1) // st + 1
              for s, p, d, kk, st in zip(x.shape[2:], pad, dil, k, stride)]
    out = np.zeros((n, f) + tuple(out_sp))
    cg, fg = c // groups, f // groups
    for o in np.ndindex(*out_sp):
        sl = tuple(slice(oi * st, oi * st + d * (kk - 1) + 1, d) for oi, st, d, kk in zip(o, stride, dil, k))
        patch = xpad[(slice(None), slice(None)) + sl]
        for g in range(groups):
            pg = patch[:, g * cg:(g + 1) * cg].reshape(n, -1)
            out[(slice(None), slice(g * fg, (g + 1) * fg)) + o] = pg @ w[g * fg:(g + 1) * fg].reshape(fg, -1).T
    return out + b.reshape((1, f) + (1,) * len(k))


CONV = [  # data shape, kernel, stride, pad, dilate, groups, filters
    ((2, 4, 7, 6), (3, 3), (2, 1), (1, 0), (1, 2), 2, 6),
    ((2, 3, 9), (3,), (2,), (1,), (2,), 1, 4),
    ((1, 2, 5, 4, 6), (2, 3, 2), (1, 2, 1), (1, 1, 0), (1, 1, 2), 2, 2),
    ((3, 3, 5, 5), (1, 1), (1, 1), (0, 0), (1, 1), 3, 3),
]


@pytest.mark.parametrize('shape,k,st,pd,dl,g,f', CONV)
def test_convolution_forward_and_gradient(shape, k, st, pd, dl, g, f):
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(*shape), rng.randn(f, shape[1] // g, *k), rng.randn(f)
    kw = dict(kernel=k, stride=st, pad=pd, dilate=dl, num_group=g, num_filter=f)
    out = nd.Convolution(nd.array(x, dtype='float64'), nd.array(w, dtype='float64'),
                         nd.array(b, dtype='float64'), **kw)
    assert_almost_equal(out, conv_ref(x, w, b, st, pd, dl, g), rtol=1e-10, atol=1e-10)
    check_gradient(lambda a, ww, bb: nd.Convolution(a, ww, bb, **kw), [x, w, b])


@pytest.mark.parametrize('shape,k,st,pd,dl,g,f', CONV)
def test_deconvolution_is_the_adjoint_of_convolution(shape, k, st, pd, dl, g, f):
    """<conv(x), y> == <x, deconv(y)> for the same weight, and deconv's gradient is right."""
    rng = np.random.RandomState(1)
    x, w = rng.randn(*shape), rng.randn(f, shape[1] // g, *k)
    kw = dict(kernel=k, stride=st, pad=pd, dilate=dl, num_group=g)
    y_conv = nd.Convolution(nd.array(x, dtype='float64'), nd.array(w, dtype='float64'), num_filter=f,
                            no_bias=True, **kw).asnumpy()
    y = rng.randn(*y_conv.shape)
    # Deconvolution's output must recover x's spatial size: choose adj accordingly.
    adj = tuple(s + 2 * p - d * (kk - 1) - 1 - (o - 1) * t
                for s, p, d, kk, o, t in zip(shape[2:], pd, dl, k, y.shape[2:], st))
    back = nd.Deconvolution(nd.array(y, dtype='float64'), nd.array(w, dtype='float64'),
                            num_filter=shape[1], adj=adj, **kw).asnumpy()
    assert back.shape == x.shape
    assert np.isclose((y_conv * y).sum(), (x * back).sum(), rtol=1e-10)
    check_gradient(lambda a, ww, bb: nd.Deconvolution(a, ww, bb, num_filter=shape[1], adj=adj,
                                                      no_bias=False, **kw),
                   [y, w, rng.randn(shape[1])])


def test_convolution_infer_shape_and_defaults():
    op = get_op('Convolution')(kernel=(3, 3), num_filter=8, num_group=2, stride=(2, 2))
    ins, outs = op.infer_shape([(4, 6, 11, 9), None, None])
    assert ins == [(4, 6, 11, 9), (8, 3, 3, 3), (8,)]
    assert outs == [(4, 8, 5, 4)]
    assert op.list_arguments() == ['data', 'weight', 'bias']
    de = get_op('Deconvolution')(kernel=(4, 4), num_filter=6, num_group=3, stride=(2, 2), pad=(1, 1))
    assert de.list_arguments() == ['data', 'weight']          # no_bias defaults to True
    assert de.infer_shape([(1, 3, 5, 5), None])[0][1] == (3, 2, 4, 4)
    assert de.infer_shape([(1, 3, 5, 5), None])[1] == [(1, 6, 10, 10)]
    assert list(get_op('Convolution').attrs)[:5] == ['kernel', 'stride', 'dilate', 'pad', 'num_filter']


def test_convolution_errors_name_the_problem():
    x = nd.ones((1, 4, 5, 5))
    with pytest.raises(ValueError, match=r'Convolution: weight must have shape \(2, 4, 3, 3\)'):
        nd.Convolution(x, nd.ones((2, 4, 2, 2)), nd.ones(2), kernel=(3, 3), num_filter=2)
    with pytest.raises(ValueError, match=r'Convolution: data must be 4-D, layout NCHW \(batch, '
                                         r'channel, 2 spatial axes\) for kernel \(3, 3\), got 3-D '
                                         r'data of shape \(4, 5, 5\)'):
        nd.Convolution(nd.ones((4, 5, 5)), nd.ones((2, 4, 3, 3)), nd.ones(2), kernel=(3, 3), num_filter=2)
    with pytest.raises(ValueError, match='data has 3 channels, which num_group=2 does not divide'):
        nd.Convolution(nd.ones((1, 3, 5, 5)), nd.ones((4, 2, 3, 3)), nd.ones(4), kernel=(3, 3),
                       num_filter=4, num_group=2)
    with pytest.raises(ValueError, match='stride'):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), nd.ones(2), kernel=(3, 3), stride=(1, 1, 1), num_filter=2)
    with pytest.raises(NotImplementedError, match='NHWC'):
        nd.Convolution(x, nd.ones((2, 4, 3, 3)), nd.ones(2), kernel=(3, 3), num_filter=2, layout='NHWC')
    with pytest.raises(ValueError, match='smaller than the dilated kernel'):
        nd.Convolution(nd.ones((1, 4, 2, 2)), nd.ones((2, 4, 3, 3)), nd.ones(2), kernel=(3, 3), num_filter=2)


def test_empty_output_message_of_each_operator_in_forward_and_shape_rule():
    from minigluon import sym
    from minigluon.base import MXNetError
    # dilate 2 makes the 3x3 kernel span 2 * (3 - 1) + 1 = 5 > 4 rows: the message gives the
    # sizes it compares (it gave the bare kernel (3, 3), "(4, 4) is smaller than (3, 3)")
    conv = sym.Convolution(sym.var('data'), kernel=(3, 3), dilate=(2, 2), num_filter=2)
    want = (r'padded input \(4, 4\) is smaller than the dilated kernel \(5, 5\) \(input \(4, 4\), '
            r'pad \(0, 0\), dilate \(2, 2\)\)')
    with pytest.raises(ValueError, match=want):
        nd.Convolution(nd.ones((1, 1, 4, 4)), nd.ones((2, 1, 3, 3)), nd.ones(2), kernel=(3, 3),
                       dilate=(2, 2), num_filter=2)
    with pytest.raises(MXNetError, match=want):
        conv.infer_shape(data=(1, 1, 4, 4))
    # a transposed convolution's output (1 - 1) + 3 - 2 * 2 = -1 is empty because of its pad, as
    # its forward says; the shape rule (shared with Convolution) spoke of a kernel too large
    deconv = sym.Deconvolution(sym.var('data'), kernel=(3, 3), pad=(2, 2), num_filter=4)
    with pytest.raises(ValueError, match=r'Deconvolution: pad \(2, 2\) leaves an empty output'):
        nd.Deconvolution(nd.ones((1, 2, 1, 1)), nd.ones((2, 4, 3, 3)), kernel=(3, 3), pad=(2, 2),
                         num_filter=4)
    with pytest.raises(MXNetError, match=r'Deconvolution: pad \(2, 2\) leaves an empty output'):
        deconv.infer_shape(data=(1, 2, 1, 1))


def test_data_with_other_channels_than_the_weight_names_both():
    # the weight of a layer built for in_channels=1 gets data with 3 channels: the data is to
    # blame, not the weight (1-D, 2-D, 3-D, with groups, and the transposed convolution)
    with pytest.raises(ValueError, match=r'Convolution: data has 3 channels, but the weight '
                                         r'\(4, 1, 3, 3\) expects in_channels=1'):
        nd.Convolution(nd.ones((2, 3, 8, 8)), nd.ones((4, 1, 3, 3)), nd.ones(4), kernel=(3, 3),
                       num_filter=4)
    with pytest.raises(ValueError, match=r'data has 3 channels, but the weight \(4, 2, 3\) '
                                         r'expects in_channels=2'):
        nd.Convolution(nd.ones((2, 3, 8)), nd.ones((4, 2, 3)), nd.ones(4), kernel=(3,), num_filter=4)
    with pytest.raises(ValueError, match=r'data has 3 channels, but the weight \(4, 2, 3, 3, 3\) '
                                         r'expects in_channels=2'):
        nd.Convolution(nd.ones((1, 3, 4, 4, 4)), nd.ones((4, 2, 3, 3, 3)), nd.ones(4),
                       kernel=(3, 3, 3), num_filter=4)
    with pytest.raises(ValueError, match=r'data has 6 channels \(3 per group, num_group=2\), but the '
                                         r'weight \(4, 2, 3, 3\) expects in_channels=4 \(2 per group\)'):
        nd.Convolution(nd.ones((2, 6, 8, 8)), nd.ones((4, 2, 3, 3)), nd.ones(4), kernel=(3, 3),
                       num_filter=4, num_group=2)
    with pytest.raises(ValueError, match=r'data has 1 channel, but the weight \(4, 3, 3, 3\) '
                                         r'expects in_channels=3'):
        nd.Convolution(nd.ones((2, 1, 8, 8)), nd.ones((4, 3, 3, 3)), nd.ones(4), kernel=(3, 3),
                       num_filter=4)
    with pytest.raises(ValueError, match=r'Deconvolution: data has 3 channels, but the weight '
                                         r'\(2, 4, 3, 3\) expects in_channels=2'):
        nd.Deconvolution(nd.ones((2, 3, 8, 8)), nd.ones((2, 4, 3, 3)), kernel=(3, 3), num_filter=4)


def test_convolution_float16_stays_finite():
    x = nd.array(np.random.uniform(-1, 1, (1, 2, 6, 6)), dtype='float16')
    w = nd.array(np.random.uniform(-1, 1, (3, 2, 3, 3)), dtype='float16')
    out = nd.Convolution(x, w, num_filter=3, kernel=(3, 3), no_bias=True)
    assert out.dtype == np.float16
    want = nd.Convolution(x.astype('float64'), w.astype('float64'), num_filter=3, kernel=(3, 3),
                          no_bias=True).asnumpy()
    np.testing.assert_allclose(out.asnumpy().astype(np.float64), want, rtol=1e-2, atol=1e-2)


# ---------------------------------------------------------------------------------------------------
# Pooling

def pool_ref(x, k, s, p, kind, convention='valid', include_pad=True):
    """Loop reference for 2-D pooling following MXNet's window and divisor rules."""
    n, c, h, w = x.shape
    size = [h, w]
    if convention == 'full':
        out = [int(np.ceil((size[i] + 2 * p[i] - k[i]) / s[i])) + 1 for i in range(2)]
    else:
        out = [(size[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2)]
    res = np.zeros((n, c) + tuple(out))
    for i in range(out[0]):
        for j in range(out[1]):
            hs, ws = i * s[0] - p[0], j * s[1] - p[1]
            he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
            full_count = (he - hs) * (we - ws)
            hs0, ws0, he0, we0 = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            win = x[:, :, hs0:he0, ws0:we0]
            if kind == 'max':
                res[:, :, i, j] = win.max(axis=(2, 3))
            elif kind == 'sum':
                res[:, :, i, j] = win.sum(axis=(2, 3))
            else:
                res[:, :, i, j] = win.sum(axis=(2, 3)) / (full_count if include_pad else win[0, 0].size)
    return res


@pytest.mark.parametrize('kind', ['max', 'avg', 'sum'])
@pytest.mark.parametrize('convention', ['valid', 'full'])
@pytest.mark.parametrize('include_pad', [True, False])
@pytest.mark.parametrize('k,s,p', [((3, 3), (2, 2), (1, 1)), ((2, 3), (2, 1), (0, 1)), ((3, 2), (3, 2), (1, 0))])
def test_pooling_2d_against_loop_reference(kind, convention, include_pad, k, s, p):
    x = np.random.RandomState(3).randn(2, 2, 7, 8)
    out = nd.Pooling(nd.array(x, dtype='float64'), kernel=k, stride=s, pad=p, pool_type=kind,
                     pooling_convention=convention, count_include_pad=include_pad)
    assert_almost_equal(out, pool_ref(x, k, s, p, kind, convention, include_pad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('kind', ['max', 'avg', 'sum', 'lp'])
@pytest.mark.parametrize('shape,kw', [
    ((2, 2, 9), dict(kernel=(3,), stride=(2,), pad=(1,))),
    ((1, 2, 5, 6), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention='full')),
    ((1, 1, 4, 5, 4), dict(kernel=(2, 2, 3), stride=(1, 2, 1))),
    ((2, 3, 5, 4), dict(global_pool=True)),
    ((1, 2, 7), dict(kernel=(3,), stride=(2,), pooling_convention='same')),
])
def test_pooling_gradient(kind, shape, kw):
    x = np.random.RandomState(4).uniform(0.5, 2.0, shape)   # distinct values: no max ties
    check_gradient(lambda a: nd.Pooling(a, pool_type=kind, p_value=2, **kw), [x])


def test_pooling_same_convention_shape_and_errors():
    out = nd.Pooling(nd.ones((1, 1, 7)), kernel=(3,), stride=(2,), pooling_convention='same')
    assert out.shape == (1, 1, 4)
    with pytest.raises(ValueError, match='kernel'):
        nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(5, 5))
    with pytest.raises(ValueError, match='spatial'):
        nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(2,))
    with pytest.raises(ValueError, match='pool_type'):
        nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(2, 2), pool_type='median')


# ---------------------------------------------------------------------------------------------------
# UpSampling

def test_upsampling_nearest_sum_and_concat():
    rng = np.random.RandomState(5)
    a, b = rng.randn(1, 2, 2, 3), rng.randn(1, 2, 4, 6)
    up = nd.UpSampling(nd.array(a), nd.array(b), scale=4, sample_type='nearest', multi_input_mode='sum')
    ref = a.repeat(4, 2).repeat(4, 3) + b.repeat(2, 2).repeat(2, 3)
    assert_almost_equal(up, ref.astype(np.float32))
    check_gradient(lambda x, y: nd.UpSampling(x, y, scale=2, sample_type='nearest'), [a, b])


def test_upsampling_bilinear_matches_grouped_deconvolution():
    rng = np.random.RandomState(6)
    x, w = rng.randn(1, 3, 3, 4), rng.randn(3, 1, 4, 4)
    up = nd.UpSampling(nd.array(x), nd.array(w), scale=2, sample_type='bilinear', num_filter=3)
    ref = nd.Deconvolution(nd.array(x), nd.array(w), kernel=(4, 4), stride=(2, 2), pad=(1, 1),
                           num_filter=3, num_group=3)
    assert up.shape == (1, 3, 6, 8)
    assert_almost_equal(up, ref)


@pytest.mark.gpu
def test_layers_on_gpu_match_cpu():
    from minigluon import backend
    if not backend.cupy_available():
        pytest.skip('needs CuPy and a CUDA device')
    from minigluon.context import cpu, gpu
    rng = np.random.RandomState(7)
    x, w = rng.randn(2, 4, 6, 6).astype(np.float32), rng.randn(6, 2, 3, 3).astype(np.float32)
    results = []
    for ctx in (cpu(), gpu(0)):
        xd, wd = nd.array(x, ctx=ctx), nd.array(w, ctx=ctx)
        xd.attach_grad()
        with autograd.record():
            y = nd.Convolution(xd, wd, kernel=(3, 3), pad=(1, 1), num_filter=6, num_group=2, no_bias=True)
            y = nd.Pooling(y, kernel=(2, 2), stride=(2, 2), pool_type='max')
            y = nd.BatchNorm(y, nd.ones(6, ctx=ctx), nd.zeros(6, ctx=ctx), nd.zeros(6, ctx=ctx),
                             nd.ones(6, ctx=ctx), fix_gamma=False)
        y.backward()
        results.append((y.asnumpy(), xd.grad.asnumpy()))
    for a, b in zip(*results):
        assert_almost_equal(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('kernel,stride,dilate', [((7, 7), (2, 2), (1, 1)), ((3, 2), (3, 2), (2, 3)),
                                                   ((2,), (4,), (3,)), ((2, 1, 3), (2, 3, 1), (1, 1, 2))])
def test_batch_columns_by_phase_are_the_window_copy(kernel, stride, dilate):
    """The batch path's strided im2col, filled from the input's phases (conv._fill_columns), holds
    exactly what the strided window view holds, for every image range."""
    from minigluon.ops.conv import _fill_columns, windows
    rng = np.random.RandomState(4)
    x = rng.randn(5, 3, *[13, 11, 9][:len(kernel)])
    out_sp = [(s - d * (k - 1) - 1) // st + 1 for s, k, st, d in zip(x.shape[2:], kernel, stride, dilate)]
    cols = np.full((3,) + kernel + (5,) + tuple(out_sp), np.nan)
    for lo, hi in ((0, 2), (2, 5)):
        _fill_columns(np, cols, x, lo, hi, kernel, stride, dilate, out_sp)
    nsp = len(kernel)
    want = windows(np, x, kernel, stride, dilate, out_sp).transpose(
        (1,) + tuple(range(2, 2 + nsp)) + (0,) + tuple(range(2 + nsp, 2 + 2 * nsp)))
    np.testing.assert_array_equal(cols, want)


@pytest.mark.parametrize('groups', [1, 4])          # 4: the depthwise path; 1: the per-image path
def test_a_bias_nobody_trains_gets_no_gradient_and_changes_nothing_else(groups):
    """Convolution's backward skips the bias gradient when no one reads it (a bias without
    attach_grad, as bench/bench_conv.py's); the data and weight gradients are the same either
    way, and an attached bias gets the sum of the head gradient over images and positions."""
    rng = np.random.RandomState(4)
    x, w = rng.randn(2, 4, 6, 5), rng.randn(4, 4 // groups, 3, 3)
    gy = rng.randn(2, 4, 6, 5)
    kw = dict(kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=groups)
    grads = []
    for train_bias in (False, True):
        xs, ws, bs = (nd.array(a, dtype='float64') for a in (x, w, np.zeros(4)))
        xs.attach_grad()
        ws.attach_grad()
        if train_bias:
            bs.attach_grad()
        with autograd.record():
            y = nd.Convolution(xs, ws, bs, **kw)
        y.backward(nd.array(gy, dtype='float64'))
        grads.append((xs.grad.asnumpy(), ws.grad.asnumpy()))
    assert_almost_equal(bs.grad, gy.sum(axis=(0, 2, 3)), rtol=1e-12, atol=1e-12)
    for a, b in zip(*grads):
        assert np.array_equal(a, b)


@pytest.mark.parametrize('channels', [3, 16])       # 3: the batch path; 16: the per-image path
def test_float16_weight_and_bias_gradients_keep_their_precision_over_a_large_batch(channels):
    """A float16 convolution's weight and bias gradients sum a product per image: summed in
    float16, the rounding grew with the batch (at batch 256 the batch path's bias gradient was
    0.3% and its weight gradient 0.13% off the float64 result); summed in float32 both stay
    within a few float16 roundings."""
    rng = np.random.RandomState(0)
    x = rng.randn(256, channels, 12, 20)
    w, b = rng.randn(8, channels, 3, 3) * 0.3, rng.randn(8)
    gy = np.random.RandomState(1).randn(256, 8, 12, 20)
    grads = {}
    for dtype in ('float16', 'float64'):
        ws, bs = nd.array(w, dtype=dtype), nd.array(b, dtype=dtype)
        ws.attach_grad()
        bs.attach_grad()
        with autograd.record():
            y = nd.Convolution(nd.array(x, dtype=dtype), ws, bs, kernel=(3, 3), pad=(1, 1),
                               num_filter=8)
        y.backward(nd.array(gy, dtype=dtype))
        assert ws.grad.dtype == bs.grad.dtype == np.dtype(dtype)
        grads[dtype] = [a.grad.asnumpy().astype(np.float64) for a in (ws, bs)]
    for got, want in zip(grads['float16'], grads['float64']):
        assert np.abs(got - want).max() <= 6e-4 * np.abs(want).max()
