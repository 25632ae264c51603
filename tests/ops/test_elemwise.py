import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal, check_gradient

BINARY = [('elemwise_add', np.add), ('elemwise_sub', np.subtract), ('elemwise_mul', np.multiply),
          ('elemwise_div', np.divide), ('broadcast_maximum', np.maximum),
          ('broadcast_minimum', np.minimum), ('broadcast_power', np.power),
          ('broadcast_hypot', np.hypot)]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((2, 3, 4), (3, 1)), ((4,), (2, 3, 4))]


@pytest.mark.parametrize('name,ref', BINARY)
@pytest.mark.parametrize('shapes', SHAPES)
def test_binary_forward_and_gradient(name, ref, shapes):
    rng = np.random.RandomState(1)
    a = rng.uniform(0.5, 2.0, shapes[0])
    b = rng.uniform(0.5, 2.0, shapes[1]) + 0.01   # keep max/min ties away
    out = getattr(nd, name)(nd.array(a), nd.array(b))
    assert_almost_equal(out, ref(a, b).astype(np.float32), rtol=1e-5, atol=1e-6)
    check_gradient(lambda x, y: getattr(nd, name)(x, y), [a, b])


SCALAR = [('_plus_scalar', lambda x, s: x + s), ('_minus_scalar', lambda x, s: x - s),
          ('_rminus_scalar', lambda x, s: s - x), ('_mul_scalar', lambda x, s: x * s),
          ('_div_scalar', lambda x, s: x / s), ('_rdiv_scalar', lambda x, s: s / x),
          ('_power_scalar', lambda x, s: x ** s), ('_rpower_scalar', lambda x, s: s ** x),
          ('_maximum_scalar', np.maximum), ('_minimum_scalar', np.minimum),
          ('_hypot_scalar', np.hypot)]


@pytest.mark.parametrize('name,ref', SCALAR)
def test_scalar_ops(name, ref):
    x = np.random.uniform(0.5, 2.0, (3, 5))
    out = getattr(nd, name)(nd.array(x), scalar=1.3)
    assert_almost_equal(out, ref(x, 1.3).astype(np.float32), rtol=1e-5, atol=1e-6)
    check_gradient(lambda v: getattr(nd, name)(v, scalar=1.3), [x])


def test_python_operators_broadcast_and_record():
    a = nd.array([[1., 2., 3.]])
    b = nd.array([[1.], [2.]])
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = (a + b) * a - b / 2 + 1 - (2 - a) ** 2
    y.backward()
    an, bn = a.asnumpy(), b.asnumpy()
    assert_almost_equal(y, (an + bn) * an - bn / 2 + 1 - (2 - an) ** 2)
    assert_almost_equal(a.grad, (2 * an + bn + 2 * (2 - an)).sum(0, keepdims=True))
    assert_almost_equal(b.grad, (an - 0.5).sum(1, keepdims=True) * np.ones_like(bn))


def test_comparisons_return_input_dtype_and_no_gradient():
    a = nd.array([1., 2., 3.])
    assert (a > 1.5).asnumpy().tolist() == [0., 1., 1.]
    assert (a == nd.array([1., 0., 3.])).dtype == np.float32
    a.attach_grad()
    with autograd.record():
        y = (a > 1.5) * a
    y.backward()
    assert a.grad.asnumpy().tolist() == [0., 1., 1.]


def test_mixed_dtypes_promote_to_the_floating_operand():
    # MXNet 1.9.1 raises on int32 + float32; NumPy would give float64. minigluon keeps the float dtype.
    i = nd.array([1, 2], dtype='int32')
    f32, f16 = nd.array([0.5, 0.25]), nd.array([0.5, 0.25], dtype='float16')
    assert (i + f32).dtype == np.float32 and (f32 * i).dtype == np.float32
    assert (i + f16).dtype == np.float16
    assert (f16 + f32).dtype == np.float32
    assert (i + i).dtype == np.int32
    assert (i > f32).dtype == np.float32
    assert_almost_equal(i * f32, np.array([0.5, 0.5], dtype=np.float32))
    f16.attach_grad()
    with autograd.record():
        y = (f16 * f32).sum()
    y.backward()
    assert f16.grad.dtype == np.float16 and f16.grad.asnumpy().tolist() == [0.5, 0.25]
