import math

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ops import _special
from minigluon.test_utils import assert_almost_equal, check_gradient
from ops_golden import check_case, load_cases


@pytest.mark.parametrize('case', load_cases('unary'))
def test_mxnet_golden(case):
    check_case(case)


_erf = np.vectorize(math.erf)
_lgamma = np.vectorize(math.lgamma)
_gamma = np.vectorize(math.gamma)

# name, NumPy reference, sampling range (kept inside the domain, away from kinks)
SMOOTH = [
    ('negative', np.negative, (-2, 2)), ('exp', np.exp, (-2, 2)), ('expm1', np.expm1, (-2, 2)),
    ('log', np.log, (0.5, 3)), ('log1p', np.log1p, (0.5, 3)), ('log2', np.log2, (0.5, 3)),
    ('log10', np.log10, (0.5, 3)), ('sqrt', np.sqrt, (0.5, 3)),
    ('rsqrt', lambda x: 1 / np.sqrt(x), (0.5, 3)), ('cbrt', np.cbrt, (0.5, 3)),
    ('rcbrt', lambda x: 1 / np.cbrt(x), (0.5, 3)), ('square', np.square, (-2, 2)),
    ('reciprocal', np.reciprocal, (0.5, 3)), ('sin', np.sin, (-2, 2)), ('cos', np.cos, (-2, 2)),
    ('tan', np.tan, (-1, 1)), ('arcsin', np.arcsin, (-0.9, 0.9)),
    ('arccos', np.arccos, (-0.9, 0.9)), ('arctan', np.arctan, (-2, 2)),
    ('sinh', np.sinh, (-2, 2)), ('cosh', np.cosh, (-2, 2)), ('tanh', np.tanh, (-2, 2)),
    ('arcsinh', np.arcsinh, (-2, 2)), ('arccosh', np.arccosh, (1.5, 3)),
    ('arctanh', np.arctanh, (-0.9, 0.9)), ('degrees', np.degrees, (-2, 2)),
    ('radians', np.radians, (-2, 2)), ('sigmoid', lambda x: 1 / (1 + np.exp(-x)), (-3, 3)),
    ('softsign', lambda x: x / (1 + np.abs(x)), (-3, 3)), ('erf', _erf, (-2, 2)),
    ('gamma', _gamma, (0.5, 3)), ('gammaln', _lgamma, (0.5, 3)),
    ('identity', lambda x: x, (-2, 2)), ('_copy', lambda x: x, (-2, 2)),
]


@pytest.mark.parametrize('name,ref,rng', SMOOTH, ids=[s[0] for s in SMOOTH])
def test_smooth_unary_forward_and_gradient(name, ref, rng):
    x = np.random.uniform(rng[0], rng[1], (3, 4))
    out = getattr(nd, name)(nd.array(x, dtype='float64'))
    assert_almost_equal(out, ref(x), rtol=1e-7, atol=1e-9)
    check_gradient(getattr(nd, name), [x])


def test_erfinv_inverts_erf_and_has_gradient():
    y = np.array([-0.95, -0.4, 0.0, 0.3, 0.9])
    x = nd.erfinv(nd.array(y, dtype='float64')).asnumpy()
    assert_almost_equal(_erf(x), y, rtol=1e-10, atol=1e-12)
    check_gradient(nd.erfinv, [y])


def test_special_fallbacks_without_scipy(monkeypatch):
    monkeypatch.setattr(_special, '_sp', None)
    x = np.array([-2.5, -0.3, 0.2, 1.0, 3.3, 10.0])
    # digamma: psi(1) = -Euler gamma, psi(x + 1) = psi(x) + 1/x
    psi = _special._digamma_np(x)
    assert abs(_special._digamma_np(np.array([1.0]))[0] + 0.5772156649015329) < 1e-10
    assert_almost_equal(_special._digamma_np(x + 1), psi + 1 / x, rtol=1e-9, atol=1e-9)
    y = np.array([-0.999, -0.5, 0.0, 0.3, 0.99999])
    assert_almost_equal(_erf(_special._erfinv_np(y)), y, rtol=1e-12, atol=1e-12)
    assert np.isinf(_special._erfinv_np(np.array([1.0]))[0])
    # a 0-d input (the Dirichlet density takes gammaln of its 0-d total) gives a 0-d array
    for fn, ref in [(_special.erf, math.erf), (_special.gamma, math.gamma),
                    (_special.gammaln, math.lgamma)]:
        for dtype in ('float32', 'float64'):
            out = fn(np, np.array(2.5, dtype=dtype))
            assert out.shape == () and out.dtype == dtype and out == np.array(ref(2.5), dtype)


@pytest.mark.parametrize('name', ['floor', 'ceil', 'round', 'rint', 'fix', 'trunc', 'sign'])
def test_piecewise_constant_ops_have_zero_gradient(name):
    x = nd.array([-1.3, 0.4, 2.6])
    x.attach_grad()
    with autograd.record():
        y = getattr(nd, name)(x) * 3 + x
    y.backward()
    assert x.grad.asnumpy().tolist() == [1., 1., 1.]


def test_relu_abs_clip_gradients_at_kinks():
    x = nd.array([-1., 0., 1., 2., 3.])
    x.attach_grad()
    with autograd.record():
        y = nd.relu(x) + nd.abs(x) + nd.clip(x, 0, 2)
    y.backward()
    assert x.grad.asnumpy().tolist() == [-1., 1., 3., 3., 2.]
    check_gradient(lambda v: nd.clip(v, -0.5, 0.5), [np.array([-1.2, -0.3, 0.1, 0.7])])


def test_clip_requires_both_bounds():
    with pytest.raises(TypeError, match='a_max'):
        nd.clip(nd.ones((2,)), a_min=0)


def test_blockgrad_stops_gradient_and_stop_gradient_alias():
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = nd.BlockGrad(x) * x + nd.stop_gradient(x)
    y.backward()
    assert x.grad.asnumpy().tolist() == [1., 2.]


def test_cast_dtype_and_gradient():
    x = nd.array([1.7, -1.7])
    assert nd.Cast(x, dtype='int32').asnumpy().tolist() == [1, -1]
    assert nd.cast(x, dtype='float16').dtype == np.float16
    v = nd.array([0.5, 1.5])
    v.attach_grad()
    with autograd.record():
        y = nd.Cast(v, dtype='float64') * 2
    y.backward()
    assert v.grad.dtype == np.float32 and v.grad.asnumpy().tolist() == [2., 2.]
    with pytest.raises(ValueError, match='dtype'):
        nd.Cast(x, dtype='complex64')


def test_add_n_variadic_and_alias():
    a, b, c = (np.random.rand(2, 3) for _ in range(3))
    assert_almost_equal(nd.add_n(nd.array(a), nd.array(b), nd.array(c)), (a + b + c).astype('f'))
    assert_almost_equal(nd.ElementWiseSum(nd.array(a), nd.array(b)), (a + b).astype('f'))
    check_gradient(lambda x, y, z: nd.add_n(x, y, x, z), [a, b, c])
    with pytest.raises(ValueError, match='same shape'):
        nd.add_n(nd.ones((2,)), nd.ones((3,)))


def test_zeros_like_ones_like_ops_and_fluent_methods():
    x = nd.array([[1, 2]], dtype='int32')
    z = nd.zeros_like(x)
    assert z.dtype == np.int32 and z.asnumpy().tolist() == [[0, 0]]
    from minigluon.ndarray import call_op
    assert call_op('ones_like', x).asnumpy().tolist() == [[1, 1]]
    assert_almost_equal(nd.array([0., 1.]).exp(), np.exp([0., 1.]).astype('f'))
    assert_almost_equal(nd.array([-1., 1.]).relu(), np.array([0., 1.], 'f'))
    check_gradient(lambda v: nd.hard_sigmoid(v, alpha=0.3, beta=0.4), [np.array([-1., 0.2, 0.9])])


def test_clip_with_a_min_above_a_max_follows_mxnet():
    # MXNet 1.9.1 does not refuse it: x > a_max gives a_max, else x < a_min gives a_min
    # (clip([-1, 0, 0.2, 0.7, 2], 0.5, -0.5) == [0.5, -0.5, -0.5, -0.5, -0.5]), zero gradient.
    x = np.array([-1, 0, 0.2, 0.7, 2])
    ref = np.where(x > -0.5, -0.5, np.where(x < 0.5, 0.5, x))
    a = nd.array(x)
    a.attach_grad()
    with autograd.record():
        y = nd.clip(a, a_min=0.5, a_max=-0.5)
    y.backward()
    assert y.asnumpy().tolist() == ref.astype(np.float32).tolist()
    assert a.grad.asnumpy().tolist() == [0.0] * 5
