"""Numerical hygiene: finite input gives finite output and gradient, with no overflow warnings,
for softmax, log_softmax, sigmoid, SoftmaxCrossEntropyLoss, CTCLoss and BatchNorm, at magnitudes
up to 1e4 and in float16; results agree with a float64 computation where they are representable."""
import warnings

import numpy as np
import pytest

from minigluon import autograd, gluon, nd

RNG = np.random.RandomState(0)
LABELS = np.array([0, 1, 2])


def _bn(x):
    stat_dtype = 'float32' if x.dtype == np.float16 else x.dtype
    c = x.shape[1]
    return nd.BatchNorm(x, nd.ones((c,), dtype=stat_dtype), nd.zeros((c,), dtype=stat_dtype),
                        nd.zeros((c,), dtype=stat_dtype), nd.ones((c,), dtype=stat_dtype),
                        fix_gamma=False)


CASES = {   # name -> (function of x, input shape)
    'softmax': (lambda x: nd.softmax(x), (3, 5)),
    'log_softmax': (lambda x: nd.log_softmax(x), (3, 5)),
    'sigmoid': (lambda x: nd.sigmoid(x), (3, 5)),
    'Activation-sigmoid': (lambda x: nd.Activation(x, act_type='sigmoid'), (3, 5)),
    'SoftmaxCrossEntropyLoss': (
        lambda x: gluon.loss.SoftmaxCrossEntropyLoss()(x, nd.array(LABELS, dtype=x.dtype)), (3, 5)),
    'SoftmaxCrossEntropyLoss-dense': (
        lambda x: gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)(
            x, nd.array(np.eye(5)[LABELS], dtype=x.dtype)), (3, 5)),
    'CTCLoss': (lambda x: gluon.loss.CTCLoss(layout='TNC')(x, nd.array([[1, 2], [3, -1]], dtype=x.dtype)),
                (6, 2, 5)),
    'BatchNorm': (_bn, (4, 3, 2)),
}


def _run(fn, x):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    return y.asnumpy(), x.grad.asnumpy()


@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
@pytest.mark.parametrize('scale', [1.0, 1e4])
@pytest.mark.parametrize('name', sorted(CASES))
def test_finite_and_accurate(name, scale, dtype):
    fn, shape = CASES[name]
    base = RNG.randn(*shape) * scale
    x = nd.array(base, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter('error', RuntimeWarning)   # no overflow / invalid-value warnings
        y, g = _run(fn, x)
    assert np.isfinite(y).all(), y
    assert np.isfinite(g).all(), g
    y64, g64 = _run(fn, nd.array(x.asnumpy().astype(np.float64), dtype='float64'))
    tol = {'float16': 2e-2, 'float32': 1e-4, 'float64': 1e-9}[dtype]
    np.testing.assert_allclose(y.astype(np.float64), y64, rtol=tol, atol=tol * max(1.0, np.abs(y64).max()))


@pytest.mark.parametrize('dtype', ['float16', 'float32'])
def test_batchnorm_of_a_constant_channel(dtype):
    x = nd.array(np.full((4, 3, 2), 1e4), dtype=dtype)
    y, g = _run(_bn, x)
    assert np.isfinite(y).all() and np.isfinite(g).all()
    np.testing.assert_allclose(y, 0, atol=1e-3)


def test_softmax_of_extreme_float16_is_a_distribution():
    x = nd.array([[6e4, -6e4, 0.0], [-6e4, -6e4, -6e4]], dtype='float16')
    y, g = _run(lambda v: nd.softmax(v), x)
    assert np.isfinite(y).all() and np.isfinite(g).all()
    np.testing.assert_allclose(y.astype(np.float64).sum(1), 1.0, atol=1e-3)


def test_dense_label_cross_entropy_with_saturated_float16():
    # float16 log_softmax saturates at the lowest finite float16, so 0 * log p stays 0 (not NaN)
    x = nd.array([[6e4, -6e4, 0.0]], dtype='float16')    # the true loss is 0
    loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)(
        x, nd.array([[1.0, 0.0, 0.0]], dtype='float16'))
    assert np.isfinite(loss.asnumpy()).all()
    assert float(loss.asnumpy()[0]) == 0.0
