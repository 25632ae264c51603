"""Lp pooling (``Pooling(pool_type='lp')``) on windows of mixed signs, against its definition.

``y = (sum over the window of x^p)^(1/p)`` with the real root for odd ``p`` (MXNet 1.9.1 takes
``cbrt`` for p = 3: a window whose sum of cubes is negative has a negative output, not NaN); the
gradient ``x^(p-1) * y^(1-p)`` is checked against central differences, and is 1 everywhere for
p = 1 (the window sum) even where the output is 0, as in MXNet (a breaker session found NaN
outputs for p = 3 and zero gradients for p = 1).
"""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.test_utils import check_gradient


def _windows(x, p):
    """The definition, in float64: 2x2 windows with stride 2 of (1, 1, H, W)."""
    h, w = x.shape[2] // 2, x.shape[3] // 2
    total = (x[0, 0, :2 * h, :2 * w].astype(np.float64) ** p).reshape(h, 2, w, 2).sum((1, 3))
    return np.sign(total) * np.abs(total) ** (1.0 / p)


@pytest.mark.parametrize('p', [1, 2, 3, 5])
def test_mixed_sign_windows_give_the_real_root(p):
    x = np.array([[-1, -2, .5, .25, 2, -1], [-3, 1, .5, .25, 1, 1]], np.float32).reshape(1, 1, 2, 6)
    y = nd.Pooling(nd.array(x), kernel=(2, 2), stride=(2, 2), pool_type='lp', p_value=p)
    want = _windows(x, p)
    assert np.isfinite(y.asnumpy()).all()
    np.testing.assert_allclose(y.asnumpy()[0, 0], want, rtol=1e-6)
    if p % 2:
        assert y.asnumpy()[0, 0, 0, 0] < 0       # a window of negative cubes: a negative output


@pytest.mark.parametrize('p', [1, 2, 3, 5])
def test_gradient_matches_central_differences(p):
    rng = np.random.RandomState(p)
    x = rng.uniform(-2, 2, (1, 1, 4, 4))
    x[0, 0, :2, :2] = -np.abs(x[0, 0, :2, :2])      # one window all negative
    check_gradient(lambda a: nd.Pooling(a, kernel=(2, 2), stride=(2, 2), pool_type='lp',
                                        p_value=p), [x], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('p', [1, 2, 3])
def test_windows_with_output_zero(p):
    """A window summing to 0 (p = 1: 1 and -1; p > 1: all zeros): gradient 1 for p = 1, the
    window sum's; 0 for p > 1, where the derivative is infinite or undefined (MXNet's choice)."""
    x = np.array([[1, -1, 0, 0], [2, -2, 0, 0]], np.float32) if p == 1 else np.zeros((2, 4), np.float32)
    a = nd.array(x.reshape(1, 1, 2, 4))
    a.attach_grad()
    with autograd.record():
        y = nd.Pooling(a, kernel=(2, 2), stride=(2, 2), pool_type='lp', p_value=p)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy().ravel(), [0, 0])
    np.testing.assert_array_equal(a.grad.asnumpy().ravel(), np.full(8, 1.0 if p == 1 else 0.0))
