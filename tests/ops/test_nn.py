"""Tests of minigluon.ops.nn: NumPy references, numerical gradients, MXNet 1.9.1 golden files."""
import math

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.ops.registry import get_op
from minigluon.test_utils import assert_almost_equal, check_gradient
from nn_golden import cases_for, run_golden

OPS = ('FullyConnected', 'Activation', 'LeakyReLU', 'softmax', 'log_softmax', 'softmin', 'SoftmaxOutput',
       'Embedding', 'softmax_cross_entropy')


@pytest.mark.parametrize('case', cases_for(OPS), ids=lambda c: c['name'])
def test_mxnet_golden(case):
    if case['name'] == 'rrelu_eval':   # MXNet leaves the mask and its gradient unset in eval mode
        run_golden(case, outputs=1, backward=False)
        return
    if case['name'] == 'selu':   # MXNet's selu gradient is lambda*(out+alpha), not the derivative
        d, arrays, _ = run_golden(case, compare_grads=False)
        x = d['in0'].astype(np.float64)
        true = np.where(x > 0, 1.0507009873554805, 1.0507009873554805 * 1.6732632423543772 * np.exp(x))
        assert_almost_equal(arrays[0].grad, (true * d['head']).astype(np.float32), rtol=1e-4, atol=1e-5)
        return
    run_golden(case)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---------------------------------------------------------------------------------------------------
# FullyConnected

@pytest.mark.parametrize('shape,flatten,no_bias', [((4, 3), True, False), ((2, 3, 5), True, True),
                                                   ((2, 3, 5), False, False), ((5,), False, True)])
def test_fully_connected(shape, flatten, no_bias):
    rng = np.random.RandomState(0)
    x = rng.randn(*shape)
    in_units = int(np.prod(shape[1:])) if flatten else shape[-1]
    w, b = rng.randn(6, in_units), rng.randn(6)
    args = [x, w] + ([] if no_bias else [b])
    fn = lambda *a: nd.FullyConnected(*a, num_hidden=6, flatten=flatten, no_bias=no_bias)  # noqa: E731
    out = fn(*[nd.array(a, dtype='float64') for a in args])
    ref = (x.reshape(shape[0], -1) if flatten else x) @ w.T + (0 if no_bias else b)
    assert_almost_equal(out, ref, rtol=1e-12, atol=1e-12)
    check_gradient(fn, args)


def test_fully_connected_infer_shape_and_errors():
    op = get_op('FullyConnected')(num_hidden=3)
    assert op.infer_shape([(8, 2, 5), None, None]) == ([(8, 2, 5), (3, 10), (3,)], [(8, 3)])
    op = get_op('FullyConnected')(num_hidden=3, flatten=False, no_bias=True)
    assert op.infer_shape([(8, 2, 5), None]) == ([(8, 2, 5), (3, 5)], [(8, 2, 3)])
    with pytest.raises(ValueError, match=r'FullyConnected: data has 4 features per sample '
                                         r'\(flattened\), but the weight \(3, 5\) expects in_units=5'):
        nd.FullyConnected(nd.ones((2, 4)), nd.ones((3, 5)), nd.ones(3), num_hidden=3)
    with pytest.raises(ValueError, match=r'FullyConnected: weight must have shape .*\(3, 4\)'):
        nd.FullyConnected(nd.ones((2, 4)), nd.ones((2, 4)), nd.ones(3), num_hidden=3)
    with pytest.raises(TypeError, match="input 'bias' is missing"):
        nd.FullyConnected(nd.ones((2, 4)), nd.ones((3, 4)), num_hidden=3)


# ---------------------------------------------------------------------------------------------------
# Activations

ACT_REF = {'relu': lambda x: np.maximum(x, 0), 'sigmoid': _sigmoid, 'tanh': np.tanh,
           'softrelu': lambda x: np.log1p(np.exp(x)), 'softsign': lambda x: x / (1 + np.abs(x))}


@pytest.mark.parametrize('act', sorted(ACT_REF))
def test_activation(act):
    x = np.random.RandomState(1).uniform(-4, 4, (3, 5))
    x[np.abs(x) < 0.05] = 0.5      # relu's kink
    assert_almost_equal(nd.Activation(nd.array(x, dtype='float64'), act_type=act), ACT_REF[act](x),
                        rtol=1e-12, atol=1e-12)
    check_gradient(lambda a: nd.Activation(a, act_type=act), [x])


def test_activation_extremes_and_float16_are_finite():
    x = nd.array([-1e4, -50., 0., 50., 1e4])
    for act in ACT_REF:
        assert np.isfinite(nd.Activation(x, act_type=act).asnumpy()).all()
        assert np.isfinite(nd.Activation(x.astype('float16'), act_type=act).asnumpy()).all()
    for act in ['elu', 'selu', 'gelu', 'leaky']:
        assert np.isfinite(nd.LeakyReLU(x, act_type=act).asnumpy()).all()
    with pytest.raises(ValueError, match="act_type"):
        nd.Activation(x, act_type='swish')


ERF = np.vectorize(math.erf)
LEAKY_REF = {
    'leaky': lambda x: np.where(x > 0, x, 0.25 * x),
    'elu': lambda x: np.where(x > 0, x, 0.25 * np.expm1(x)),
    'selu': lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    'gelu': lambda x: 0.5 * x * (1 + ERF(x / np.sqrt(2))),
    'rrelu': lambda x: np.where(x > 0, x, (0.125 + 0.334) / 2 * x),   # eval: the mean slope
}


@pytest.mark.parametrize('act', sorted(LEAKY_REF))
def test_leaky_relu_modes(act):
    x = np.random.RandomState(2).uniform(-3, 3, (4, 3))

    def fn(a):
        with autograd.predict_mode():   # rrelu draws random slopes while training
            out = nd.LeakyReLU(a, act_type=act)
        return out[0] if act == 'rrelu' else out    # rrelu also returns its slopes
    assert_almost_equal(fn(nd.array(x, dtype='float64')), LEAKY_REF[act](x), rtol=1e-10, atol=1e-12)
    check_gradient(fn, [x])


def test_prelu_and_rrelu_training():
    rng = np.random.RandomState(3)
    x, gamma = rng.uniform(-2, 2, (2, 3, 4)), rng.uniform(0.1, 0.5, 3)
    out = nd.LeakyReLU(nd.array(x, dtype='float64'), nd.array(gamma, dtype='float64'), act_type='prelu')
    assert_almost_equal(out, np.where(x > 0, x, gamma.reshape(1, 3, 1) * x), rtol=1e-12, atol=1e-12)
    check_gradient(lambda a, g: nd.LeakyReLU(a, g, act_type='prelu'), [x, gamma])
    check_gradient(lambda a, g: nd.LeakyReLU(a, g, act_type='prelu'), [x, np.array([0.3])])
    with autograd.train_mode():
        y, slopes = nd.LeakyReLU(nd.array(x), act_type='rrelu')
    y = y.asnumpy()
    assert_almost_equal(slopes.asnumpy()[x < 0], (y / x.astype(np.float32))[x < 0])
    ratio = (y / x.astype(np.float32))[x < 0]
    assert ((ratio >= 0.125 - 1e-6) & (ratio <= 0.334 + 1e-6)).all() and ratio.std() > 0
    assert_almost_equal(y[x > 0], x[x > 0].astype(np.float32))


# ---------------------------------------------------------------------------------------------------
# softmax family

def _np_softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize('axis', [-1, 0, 1])
@pytest.mark.parametrize('temperature', [None, 0.7])
def test_softmax_log_softmax_softmin(axis, temperature):
    x = np.random.RandomState(4).randn(3, 4, 2) * 3
    t = temperature or 1.0
    kw = dict(axis=axis, temperature=temperature)
    xnd = nd.array(x, dtype='float64')
    assert_almost_equal(nd.softmax(xnd, **kw), _np_softmax(x / t, axis), rtol=1e-12, atol=1e-14)
    assert_almost_equal(nd.log_softmax(xnd, **kw), np.log(_np_softmax(x / t, axis)), rtol=1e-10, atol=1e-12)
    assert_almost_equal(nd.softmin(xnd, **kw), _np_softmax(-x / t, axis), rtol=1e-12, atol=1e-14)
    for name in ('softmax', 'log_softmax', 'softmin'):
        check_gradient(lambda a: getattr(nd, name)(a, **kw), [x])


def test_softmax_length_dtype_and_extremes():
    x = np.random.RandomState(5).randn(3, 5)
    length = np.array([2, 5, 1], dtype=np.int32)
    out = nd.softmax(nd.array(x, dtype='float64'), nd.array(length, dtype='int32'), use_length=True).asnumpy()
    for i, n in enumerate(length):
        assert_almost_equal(out[i, :n], _np_softmax(x[i, :n], 0), rtol=1e-12, atol=1e-14)
        assert not out[i, n:].any()
    check_gradient(lambda a, n: nd.softmax(a, n, use_length=True), [x, length])
    assert nd.softmax(nd.array(x), dtype='float64').dtype == np.float64
    big = nd.array([[1e4, -1e4, 0.], [1e4, 1e4, 1e4]], dtype='float16')
    for name in ('softmax', 'log_softmax', 'softmin'):
        assert np.isfinite(getattr(nd, name)(big).asnumpy()).all()
    with pytest.raises(ValueError, match='axis=2 is out of range'):
        nd.softmax(nd.array(x), axis=2)


def test_softmax_length_must_be_integer():
    # MXNet 1.9.1: "This operation only support integer types, not float32" (MXNetError)
    x = nd.ones((2, 3))
    for fn in (nd.softmax, nd.log_softmax, nd.softmin):
        with pytest.raises(MXNetError, match='length must be an integer array'):
            fn(x, nd.array([1, 2]), use_length=True)
        for dtype in ('int32', 'int64', 'uint8'):  # MXNet 1.9.1 takes only int32 and int64
            assert fn(x, nd.array([1, 2], dtype=dtype), use_length=True).shape == (2, 3)


def test_softmax_activation_modes():
    """MXNet 1.9.1 (measured): 'instance' is a softmax over the last axis (not over all but the
    batch axis, as this operator once did: found by a breaker), 'channel' over axis 1 and needs
    3 or more dimensions. Gradients are the true ones (MXNet's 'instance' backward on data of more
    than 2 dimensions disagrees with its own forward's derivative)."""
    x = np.random.RandomState(6).randn(2, 3, 4)
    for shape in ((2, 3, 4), (2, 12), (1, 2, 3, 4)):
        xs = x.reshape(shape)
        inst = nd.SoftmaxActivation(nd.array(xs, dtype='float64'))
        assert_almost_equal(inst, _np_softmax(xs, xs.ndim - 1), rtol=1e-12, atol=1e-14)
        check_gradient(lambda a: nd.SoftmaxActivation(a), [xs])
    chan = nd.SoftmaxActivation(nd.array(x, dtype='float64'), mode='channel')
    assert_almost_equal(chan, _np_softmax(x, 1), rtol=1e-12, atol=1e-14)
    check_gradient(lambda a: nd.SoftmaxActivation(a, mode='channel'), [x])
    with pytest.raises(ValueError, match="at least 3 dimensions with mode='channel'"):
        nd.SoftmaxActivation(nd.array(x.reshape(2, 12)), mode='channel')


# ---------------------------------------------------------------------------------------------------
# Output heads: the gradient ignores the head gradient

def _head_grad(op_out_fn, x, *extra, head=5.0):
    xv = nd.array(x, dtype='float64')
    xv.attach_grad()
    with autograd.record():
        y = op_out_fn(xv, *extra)
    y.backward(nd.ones(y.shape, dtype='float64') * head)
    return y.asnumpy(), xv.grad.asnumpy()


@pytest.mark.parametrize('norm', ['null', 'batch', 'valid'])
def test_softmax_output_gradient(norm):
    rng = np.random.RandomState(7)
    x = rng.randn(4, 5)
    label = np.array([1, 3, 1, 0])
    y, g = _head_grad(lambda a: nd.SoftmaxOutput(a, nd.array(label), grad_scale=2.0, use_ignore=True,
                                                 ignore_label=1, normalization=norm), x)
    p = _np_softmax(x, 1)
    ref = (p - np.eye(5)[label]) * (label != 1)[:, None] * 2.0
    ref /= {'null': 1, 'batch': 4, 'valid': 2}[norm]
    assert_almost_equal(y, p, rtol=1e-12, atol=1e-14)
    assert_almost_equal(g, ref, rtol=1e-10, atol=1e-12)


def test_softmax_output_multi_output_and_smoothing():
    rng = np.random.RandomState(8)
    x = rng.randn(2, 3, 4)
    label = rng.randint(0, 3, (2, 4))
    y, g = _head_grad(lambda a: nd.SoftmaxOutput(a, nd.array(label), multi_output=True), x)
    p = _np_softmax(x, 1)
    onehot = np.moveaxis(np.eye(3)[label], -1, 1)
    assert_almost_equal(g, (p - onehot) / 4, rtol=1e-10, atol=1e-12)   # 'null' divides by spatial size
    x2 = rng.randn(3, 4)
    lab2 = np.array([0, 3, 2])
    _, g2 = _head_grad(lambda a: nd.SoftmaxOutput(a, nd.array(lab2), smooth_alpha=0.3), x2)
    target = np.full((3, 4), 0.1)
    target[np.arange(3), lab2] = 0.7
    assert_almost_equal(g2, _np_softmax(x2, 1) - target, rtol=1e-10, atol=1e-12)
    assert get_op('SoftmaxOutput')().infer_shape([(8, 10), None]) == ([(8, 10), (8,)], [(8, 10)])


def test_make_loss_and_regression_outputs():
    x = np.array([[0.5, -1., 2.], [1., 1., -3.]])
    label = np.array([[0., 1., 0.], [1., 0., 1.]])
    for norm, scale in [('null', 3.), ('batch', 1.5), ('valid', 1.)]:   # 3 elements > 0.6
        y, g = _head_grad(lambda a: nd.MakeLoss(a, grad_scale=3, normalization=norm, valid_thresh=0.6), x)
        assert_almost_equal(y, x)
        assert_almost_equal(g, np.full_like(x, scale))
    # MAE: MXNet's minus_sign, -1 where out equals label (x[1, 0] = label[1, 0] = 1)
    cases = [('LinearRegressionOutput', x, x - label),
             ('MAERegressionOutput', x, np.where(x - label > 0, 1., -1.)),
             ('LogisticRegressionOutput', _sigmoid(x), _sigmoid(x) - label)]
    for name, fwd, resid in cases:
        y, g = _head_grad(lambda a: getattr(nd, name)(a, nd.array(label, dtype='float64'), grad_scale=2), x)
        assert_almost_equal(y, fwd, rtol=1e-12, atol=1e-12)
        assert_almost_equal(g, resid * 2 / 3, rtol=1e-12, atol=1e-12)


def _numeric_gradient(loss, x, eps=1e-6):
    """Central differences of the NumPy float64 function ``loss`` at ``x``, element by element."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        g[i] = (loss(x + step) - loss(x - step)) / (2 * eps)
    return g


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _output_head_cases():
    """(name, call, loss) for each output head: its backward (the head gradient ignored) is
    the derivative of ``loss``, the loss it stands for (regression losses divided by the number of
    outputs per sample, as MXNet's backward does)."""
    x = np.array([[0.5, -1.7, 2.2, 0.3], [1.4, 0.8, -3.1, -0.4], [-0.6, 2.4, 0.1, 1.6]])
    label = np.array([[0.1, 1.0, 0.2, 0.9], [1.0, 0.0, 0.7, 0.0], [0.3, 0.5, 0.0, 1.0]])
    classes = np.array([2, 0, 3])
    onehot = np.eye(4)[classes].astype(bool)
    lab, cls = nd.array(label, dtype='float64'), nd.array(classes)

    def hinge(v, m=1.0):
        return np.where(onehot, np.maximum(m - v, 0), np.maximum(m + v, 0))
    return x, [
        ('SoftmaxOutput', lambda a: nd.SoftmaxOutput(a, cls),
         lambda v: -_log_softmax(v)[onehot].sum()),
        ('LinearRegressionOutput', lambda a: nd.LinearRegressionOutput(a, lab),
         lambda v: 0.5 * ((v - label) ** 2).sum() / 4),
        ('LogisticRegressionOutput', lambda a: nd.LogisticRegressionOutput(a, lab),
         lambda v: (np.logaddexp(0, v) - label * v).sum() / 4),
        ('MAERegressionOutput', lambda a: nd.MAERegressionOutput(a, lab),
         lambda v: np.abs(v - label).sum() / 4),
        ('SVMOutput', lambda a: nd.SVMOutput(a, cls, regularization_coefficient=0.7),
         lambda v: 0.7 * (hinge(v) ** 2).sum()),
        ('SVMOutput-linear', lambda a: nd.SVMOutput(a, cls, use_linear=True, margin=0.5),
         lambda v: hinge(v, 0.5).sum()),
    ]


@pytest.mark.parametrize('index', range(6), ids=[c[0] for c in _output_head_cases()[1]])
def test_output_head_gradient_is_the_numeric_gradient_of_its_loss(index):
    # op_cases marks these 'no_numeric' (the backward is not the forward's derivative): it is the
    # derivative of the loss the head stands for, checked here by central differences of that loss
    x, cases = _output_head_cases()
    name, call, loss = cases[index]
    _, g = _head_grad(call, x, head=5.0)
    assert_almost_equal(g, _numeric_gradient(loss, x), rtol=1e-6, atol=1e-8, names=(name, 'numeric'))


def test_softmax_cross_entropy():
    rng = np.random.RandomState(9)
    x, label = rng.randn(4, 3), np.array([0, 2, 1, 2])
    out = nd.softmax_cross_entropy(nd.array(x, dtype='float64'), nd.array(label))
    ref = -np.log(_np_softmax(x, 1)[np.arange(4), label]).sum()
    assert out.shape == (1,)
    assert_almost_equal(out, np.array([ref]), rtol=1e-12, atol=1e-12)
    check_gradient(lambda a: nd.softmax_cross_entropy(a, nd.array(label)), [x])
    with pytest.raises(ValueError, match=r'label values must lie in \[0, 3\)'):
        nd.softmax_cross_entropy(nd.array(x), nd.array([0, 3, 1, 1]))


# ---------------------------------------------------------------------------------------------------
# Dropout and Embedding

def test_dropout_modes():
    x = nd.ones((200, 50))
    assert (nd.Dropout(x, p=0.5).asnumpy() == 1).all()          # not training: identity
    with autograd.train_mode():
        y = nd.Dropout(x, p=0.3).asnumpy()
    kept = y != 0
    assert np.allclose(y[kept], 1 / 0.7) and abs(kept.mean() - 0.7) < 0.02
    y = nd.Dropout(x, p=0.5, mode='always', axes=(1,)).asnumpy()
    assert (y == y[:, :1]).all()                                # one mask value per row
    with autograd.train_mode():
        assert not nd.Dropout(x, p=1.0).asnumpy().any()
    xa = nd.array(np.random.randn(5, 4))
    xa.attach_grad()
    with autograd.record():
        y = nd.Dropout(xa, p=0.4)
    y.backward()
    mask = (y.asnumpy() != 0) / 0.6
    assert_almost_equal(xa.grad, mask.astype(np.float32))
    with pytest.raises(ValueError, match=r'p must be in \[0, 1\]'):
        nd.Dropout(x, p=1.5)


def test_embedding():
    rng = np.random.RandomState(10)
    w = rng.randn(5, 3)
    idx = np.array([[0, 4, 4], [2, 7, -1]])          # out-of-range indices are clipped, as in MXNet
    out = nd.Embedding(nd.array(idx), nd.array(w, dtype='float64'), input_dim=5, output_dim=3)
    assert_almost_equal(out, w[np.clip(idx, 0, 4)], rtol=0, atol=0)
    grads = check_gradient(lambda i, ww: nd.Embedding(i, ww, input_dim=5, output_dim=3),
                           [idx.astype(np.float64), w], wrt=[1])
    assert grads[1][1].sum() == 0 and grads[1][3].sum() == 0     # rows never looked up
    assert get_op('Embedding')(input_dim=5, output_dim=3).infer_shape([(2, 7), None]) == \
        ([(2, 7), (5, 3)], [(2, 7, 3)])
    with pytest.raises(ValueError, match=r'Embedding: weight must have shape .*\(5, 3\)'):
        nd.Embedding(nd.array(idx), nd.ones((5, 4)), input_dim=5, output_dim=3)
