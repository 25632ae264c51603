"""Tests of minigluon.ops.norm: NumPy references, numerical gradients, moving statistics, MXNet
1.9.1 golden files, numerical robustness."""

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ops.registry import get_op
from minigluon.test_utils import assert_almost_equal, check_gradient
from nn_golden import cases_for, run_golden

OPS = ('BatchNorm', 'LayerNorm', 'InstanceNorm', 'GroupNorm', 'L2Normalization')


@pytest.mark.parametrize('case', cases_for(OPS), ids=lambda c: c['name'])
def test_mxnet_golden(case):
    d, arrays, _ = run_golden(case)
    if case['op'] == 'BatchNorm':   # same state after forward + backward (updated in forward here)
        assert_almost_equal(arrays[3], d['moving_mean_after'], rtol=1e-5, atol=1e-6)
        assert_almost_equal(arrays[4], d['moving_var_after'], rtol=1e-5, atol=1e-6)


def _bn_inputs(c, rng):
    return [rng.uniform(0.5, 1.5, c), rng.randn(c), rng.randn(c) * 0.1, rng.uniform(0.5, 1.5, c)]


@pytest.mark.parametrize('shape,axis', [((4, 3, 5), 1), ((6, 2), 1), ((2, 3, 2, 4), -1), ((5, 3), 0)])
@pytest.mark.parametrize('fix_gamma', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_batchnorm_forward_and_gradient(shape, axis, fix_gamma, train):
    rng = np.random.RandomState(0)
    x = rng.randn(*shape) * 3 + 1
    ax = axis % len(shape)
    c = shape[ax]
    gamma, beta, mm, mv = _bn_inputs(c, rng)
    bshape = [1] * len(shape)
    bshape[ax] = c
    red = tuple(i for i in range(len(shape)) if i != ax)
    mean, var = (x.mean(red), x.var(red)) if train else (mm, mv)
    g = np.ones(c) if fix_gamma else gamma
    ref = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3) * g.reshape(bshape) + beta.reshape(bshape)
    mode = autograd.train_mode if train else autograd.predict_mode
    aux = [nd.array(mm, dtype='float64'), nd.array(mv, dtype='float64')]
    with mode():
        out = nd.BatchNorm(nd.array(x, dtype='float64'), nd.array(gamma, dtype='float64'),
                           nd.array(beta, dtype='float64'), *aux, axis=axis, fix_gamma=fix_gamma)
    assert_almost_equal(out, ref, rtol=1e-10, atol=1e-10)
    if train:
        # momentum is a float32 attribute in MXNet: 0.9 is 0.89999998 and 1 - it 0.10000002
        m = float(np.float32(0.9))
        assert_almost_equal(aux[0], m * mm + (1 - m) * mean, rtol=1e-12, atol=1e-12)
        assert_almost_equal(aux[1], m * mv + (1 - m) * var, rtol=1e-12, atol=1e-12)
    else:
        assert_almost_equal(aux[0], mm, rtol=0, atol=0)

    def fn(a, gg, bb):
        with mode():
            return nd.BatchNorm(a, gg, bb, nd.array(mm, dtype='float64'), nd.array(mv, dtype='float64'),
                                axis=axis, fix_gamma=fix_gamma)
    grads = check_gradient(fn, [x, gamma, beta])
    if fix_gamma:
        assert not grads[1].any()


def test_batchnorm_spec_example_running_stats():
    """docs/MXNET_SPEC.md §8.1: x=[1,2,3,6] -> running mean 0.3, var 1.25 after one training step."""
    x = nd.array([1., 2., 3., 6.]).reshape((4, 1))
    mm, mv = nd.zeros(1), nd.ones(1)
    with autograd.record():
        nd.BatchNorm(x, nd.ones(1), nd.zeros(1), mm, mv, fix_gamma=False)
    assert_almost_equal(mm, np.array([0.3], np.float32))
    assert_almost_equal(mv, np.array([1.25], np.float32))
    with autograd.record(train_mode=False):
        y = nd.BatchNorm(x, nd.ones(1), nd.zeros(1), mm, mv, fix_gamma=False, eps=1e-5)
    assert_almost_equal(y, ((np.array([1, 2, 3, 6.]) - 0.3) / np.sqrt(1.25 + 1e-5)).reshape(4, 1).astype(np.float32))


def test_batchnorm_metadata_and_infer_shape():
    cls = get_op('BatchNorm')
    op = cls()
    assert (op.eps, op.momentum, op.fix_gamma, op.axis) == (1e-3, 0.9, True, 1)
    assert cls.mutate_inputs == (3, 4) and op.num_outputs == 3 and op.n_visible == 1
    assert cls(output_mean_var=True).n_visible == 3
    ins, outs = op.infer_shape([(2, 5, 3), None, None, None, None])
    assert ins == [(2, 5, 3)] + [(5,)] * 4 and outs == [(2, 5, 3), (5,), (5,)]
    with pytest.raises(ValueError, match=r'BatchNorm: gamma, beta.*\(5,\)'):
        nd.BatchNorm(nd.ones((2, 5)), nd.ones(4), nd.zeros(5), nd.zeros(5), nd.ones(5))


@pytest.mark.parametrize('dtype,scale', [('float16', 1.0), ('float32', 1e4), ('float16', 1e4)])
def test_norms_stay_finite_for_large_and_half_inputs(dtype, scale):
    rng = np.random.RandomState(1)
    x = nd.array(rng.randn(4, 6, 3) * scale + scale, dtype=dtype)
    p6 = [nd.ones(6, dtype=dtype), nd.zeros(6, dtype=dtype)]
    outs = [nd.LayerNorm(x, nd.ones(3, dtype=dtype), nd.zeros(3, dtype=dtype)),
            nd.InstanceNorm(x, *p6), nd.GroupNorm(x, nd.ones(2, dtype=dtype), nd.zeros(2, dtype=dtype),
                                                  num_groups=2),
            nd.L2Normalization(x)]
    moving = [nd.zeros(6, dtype=dtype), nd.ones(6, dtype=dtype)]
    with autograd.train_mode():
        outs.append(nd.BatchNorm(x, *p6, *moving))
    outs.append(nd.L2Normalization(x, mode='instance'))
    outs += moving          # running statistics saturate instead of overflowing in float16
    for o in outs:
        assert o.dtype == np.dtype(dtype)
        arr = o.asnumpy().astype(np.float64)
        assert np.isfinite(arr).all()
    # normalised values have unit scale whatever the input magnitude
    assert abs(outs[0].asnumpy().astype(np.float64).std() - 1) < 0.05


def test_layernorm_reference_and_gradient():
    rng = np.random.RandomState(2)
    x, g, b = rng.randn(3, 4, 5), rng.randn(4), rng.randn(4)
    out, mean, std = nd.LayerNorm(nd.array(x, dtype='float64'), nd.array(g, dtype='float64'),
                                  nd.array(b, dtype='float64'), axis=1, output_mean_var=True)
    m, s = x.mean(1, keepdims=True), np.sqrt(x.var(1, keepdims=True) + 1e-5)
    assert_almost_equal(out, (x - m) / s * g.reshape(1, 4, 1) + b.reshape(1, 4, 1), rtol=1e-10, atol=1e-10)
    assert_almost_equal(mean, m, rtol=1e-12, atol=1e-12)
    assert_almost_equal(std, s, rtol=1e-12, atol=1e-12)
    check_gradient(lambda a, gg, bb: nd.LayerNorm(a, gg, bb, axis=1), [x, g, b])
    check_gradient(lambda a, gg, bb: nd.LayerNorm(a, gg, bb), [x, rng.randn(5), rng.randn(5)])


def test_instance_and_group_norm_reference_and_gradient():
    rng = np.random.RandomState(3)
    x = rng.randn(2, 6, 3, 2)
    g, b = rng.randn(6), rng.randn(6)
    ref = (x - x.mean((2, 3), keepdims=True)) / np.sqrt(x.var((2, 3), keepdims=True) + 1e-3)
    out = nd.InstanceNorm(nd.array(x, dtype='float64'), nd.array(g, dtype='float64'), nd.array(b, dtype='float64'))
    assert_almost_equal(out, ref * g.reshape(1, 6, 1, 1) + b.reshape(1, 6, 1, 1), rtol=1e-10, atol=1e-10)
    check_gradient(lambda a, gg, bb: nd.InstanceNorm(a, gg, bb), [x, g, b])
    g3, b3 = rng.randn(3), rng.randn(3)
    xg = x.reshape(2, 3, -1)
    refg = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + 1e-5)
            * g3.reshape(1, 3, 1) + b3.reshape(1, 3, 1)).reshape(x.shape)
    outg = nd.GroupNorm(nd.array(x, dtype='float64'), nd.array(g3, dtype='float64'),
                        nd.array(b3, dtype='float64'), num_groups=3)
    assert_almost_equal(outg, refg, rtol=1e-10, atol=1e-10)
    check_gradient(lambda a, gg, bb: nd.GroupNorm(a, gg, bb, num_groups=3), [x, g3, b3])
    with pytest.raises(ValueError, match='num_groups'):
        nd.GroupNorm(nd.ones((2, 5, 3)), nd.ones(2), nd.ones(2), num_groups=2)


@pytest.mark.parametrize('mode,axes', [('instance', (1, 2, 3)), ('channel', (1,)), ('spatial', (2, 3))])
def test_l2normalization(mode, axes):
    x = np.random.RandomState(4).randn(2, 3, 4, 2)
    out = nd.L2Normalization(nd.array(x, dtype='float64'), mode=mode)
    assert_almost_equal(out, x / np.sqrt((x * x).sum(axes, keepdims=True) + 1e-10), rtol=1e-10, atol=1e-12)
    check_gradient(lambda a: nd.L2Normalization(a, mode=mode), [x])


@pytest.mark.parametrize('shape,axis', [((3, 5, 7, 2), 1), ((4, 6), 1), ((2, 3, 5), -1), ((5, 3), 0),
                                        ((6,), 0), ((0, 4, 3), 1)])
@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
def test_batchnorm_inference_compiled_affine_is_the_numpy_form(monkeypatch, shape, axis, dtype):
    """BatchNorm with moving statistics: the compiled per-channel pass (norm._affine with Numba)
    gives the NumPy form's values bit for bit, and both the direct formula's within rounding."""
    from minigluon.ops import _numba
    rng = np.random.RandomState(5)
    x = (rng.randn(*shape) * 3 + 1).astype(dtype)
    c = shape[axis]
    pdtype = 'float32' if dtype == 'float16' else dtype
    gamma, beta, mm, mv = [a.astype(pdtype) for a in _bn_inputs(c, rng)]
    outs = []
    for enabled in (True, False):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        params = [nd.array(a, dtype=pdtype) for a in (gamma, beta, mm, mv)]
        outs.append(nd.BatchNorm(nd.array(x, dtype=dtype), *params, axis=axis, fix_gamma=False,
                                 eps=1e-3).asnumpy())
    assert outs[0].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(outs[0], outs[1])
    bshape = [1] * len(shape)
    bshape[axis % len(shape)] = c
    ref = ((x.astype(np.float64) - mm.reshape(bshape)) / np.sqrt(mv.astype(np.float64).reshape(bshape) + 1e-3)
           * gamma.reshape(bshape) + beta.reshape(bshape))
    tol = {'float16': 1e-2, 'float32': 1e-5, 'float64': 1e-12}[dtype]
    assert_almost_equal(outs[0], ref, rtol=tol, atol=tol)


@pytest.mark.parametrize('shape,axis', [((3, 5, 7, 2), 1), ((4, 6), 1), ((2, 3, 5), -1), ((5, 3), 0),
                                        ((6,), 0)])
@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
@pytest.mark.parametrize('fix_gamma', [True, False])
def test_batchnorm_training_compiled_matches_the_numpy_form(monkeypatch, shape, axis, dtype, fix_gamma):
    """BatchNorm with batch statistics: the compiled kernels (float64 sums, no normalised copy
    kept) give the NumPy form's output, moving statistics and gradients within the dtype's
    rounding, and both are near the float64 formula."""
    from minigluon.ops import _numba
    rng = np.random.RandomState(6)
    x = (rng.randn(*shape) * 3 + 1).astype(dtype)
    gy = rng.randn(*shape).astype(dtype)
    c = shape[axis]
    pdtype = 'float32' if dtype == 'float16' else dtype
    gamma, beta, mm, mv = [a.astype(pdtype) for a in _bn_inputs(c, rng)]
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        xs = nd.array(x, dtype=dtype)
        params = [nd.array(a, dtype=pdtype) for a in (gamma, beta, mm, mv)]
        for p in [xs] + params[:2]:
            p.attach_grad()
        with autograd.record():
            out = nd.BatchNorm(xs, *params, axis=axis, fix_gamma=fix_gamma, eps=1e-3)
        out.backward(nd.array(gy, dtype=dtype))
        assert out.dtype == xs.grad.dtype == np.dtype(dtype)
        results.append([a.asnumpy().astype(np.float64) for a in
                        (out, params[2], params[3], xs.grad, params[0].grad, params[1].grad)])
    tol = {'float16': 1e-2, 'float32': 1e-5, 'float64': 1e-12}[dtype]
    for compiled, numpy_form in zip(*results):
        assert_almost_equal(compiled, numpy_form, rtol=tol, atol=tol)
    ax = axis % len(shape)
    red = tuple(i for i in range(len(shape)) if i != ax)
    bshape = [1] * len(shape)
    bshape[ax] = c
    x64 = x.astype(np.float64)
    mean, var = x64.mean(red), x64.var(red)
    g = np.ones(c) if fix_gamma else gamma.astype(np.float64)
    ref = (x64 - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3) * g.reshape(bshape) + beta.reshape(bshape)
    assert_almost_equal(results[0][0], ref, rtol=tol * 4, atol=tol * 4)
    if fix_gamma:
        assert not results[0][4].any()


@pytest.mark.parametrize('axis', [1, -1])
def test_batchnorm_training_compiled_overflow_beside_a_nan_channel(monkeypatch, axis):
    """A channel whose float32 sum passes 3.4e38 next to a channel holding a NaN: the compiled
    statistics give that channel the infinite mean the NumPy form (and MXNet 1.9.1, per the
    breaker20c fixtures of each case alone) gives, so NaN outputs and an infinite moving mean.
    The overflow test read the max of the sums, NaN with the NaN channel, and skipped the fix
    (reviewer20b)."""
    from minigluon.ops import _numba
    rng = np.random.RandomState(3)
    x = rng.randn(4, 3, 6).astype(np.float32)
    x[:, 0] = 3e38                      # channel 0: float32 sum overflows
    x[1, 1, 2] = np.nan                 # channel 1: a NaN
    if axis == -1:
        x = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        mm, mv = nd.zeros(3), nd.ones(3)
        with autograd.train_mode(), np.errstate(all='ignore'):
            out = nd.BatchNorm(nd.array(x), nd.ones(3), nd.zeros(3), mm, mv, axis=axis,
                               fix_gamma=False)
        results.append([a.asnumpy() for a in (out, mm, mv)])
    for compiled, numpy_form in zip(*results):
        np.testing.assert_allclose(compiled, numpy_form, rtol=1e-5, atol=1e-5)
    assert np.isinf(results[0][1][0]) and np.isnan(results[0][1][1])
