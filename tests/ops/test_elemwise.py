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


# ---------------------------------------------------------------------------------------------------
# Integer arrays and scalars (differences from MXNet 1.9.1 found by a differential run)

INT_X = np.array([[-5, -2, -1, 0], [1, 2, 5, 7]], 'int32')


@pytest.mark.parametrize('expr,ref', [
    (lambda x: x + 2.7, lambda x: x + 2), (lambda x: 2.7 + x, lambda x: x + 2),
    (lambda x: x - 0.5, lambda x: x - 0), (lambda x: 2.5 - x, lambda x: 2 - x),
    (lambda x: x * 0.5, lambda x: x * 0), (lambda x: x * 2.5, lambda x: x * 2),
    (lambda x: x / 2.5, lambda x: np.trunc(x / 2.0)), (lambda x: x ** 2.5, lambda x: x ** 2),
    (lambda x: x > 1.5, lambda x: x > 1), (lambda x: x == 2.9, lambda x: x == 2),
    (lambda x: nd.maximum(x, 1.9), lambda x: np.maximum(x, 1)),
    (lambda x: x % 2.5, lambda x: np.mod(x, 2))])
def test_int_array_takes_the_scalar_in_its_dtype(expr, ref):
    # MXNet converts the scalar to the array's dtype (C++ DType(scalar), truncating) first.
    out = expr(nd.array(INT_X, dtype='int32'))
    assert out.dtype == np.int32
    assert out.asnumpy().tolist() == ref(INT_X.astype(np.int64)).astype(np.int64).tolist()


def test_uint8_with_a_negative_scalar_wraps_like_mxnet():
    x = np.array([0, 3, 100, 255], 'uint8')
    for expr, ref in [(lambda a: a + -3, lambda a: a - 3), (lambda a: a - -3, lambda a: a + 3),
                      (lambda a: a * -1, lambda a: -a), (lambda a: -3 - a, lambda a: 253 - a)]:
        out = expr(nd.array(x, dtype='uint8'))
        assert out.dtype == np.uint8
        assert out.asnumpy().tolist() == (ref(x.astype(np.int64)) % 256).tolist()
    # -3 is 253 as uint8, so x / -3 is x // 253 (MXNet gives [0, 0, 0, 1])
    assert (nd.array(x, dtype='uint8') / -3).asnumpy().tolist() == (x // 253).tolist()


@pytest.mark.parametrize('dtype', ['int32', 'int64'])
def test_int_power_with_negative_exponent_truncates(dtype):
    x = nd.array([-2, -1, 1, 2, 3], dtype=dtype)
    # (-2)^-3 = -0.125 -> 0, (-1)^-3 = -1, 1, 0.125 -> 0, 1/27 -> 0 (MXNet 1.9.1 values)
    assert (x ** -3).asnumpy().tolist() == [0, -1, 1, 0, 0]
    assert (2 ** x).asnumpy().tolist() == [0, 0, 2, 4, 8]
    e = nd.array([-1, 2, -2, 3, 0], dtype=dtype)
    assert nd.broadcast_power(x, e).asnumpy().tolist() == [0, 1, 1, 8, 1]
    assert (x ** -3).dtype == np.dtype(dtype)


def test_int_division_by_zero_gives_zero():
    # MXNet 1.9.1 kills the process with SIGFPE; minigluon gives 0 as MXNet's own x % 0 does.
    x = nd.array([[-3, 4], [7, 0]], dtype='int32')
    assert (x / 0).asnumpy().tolist() == [[0, 0], [0, 0]]
    assert (x / nd.array([[2, 0], [0, -2]], dtype='int32')).asnumpy().tolist() == [[-1, 0], [0, 0]]
    # a number over an int array is computed in float32 by MXNet: 8 / 0 is inf, whose C
    # conversion is the type's minimum (MXNet 1.9.1 gives it; leftovers22a)
    assert (8 / x).asnumpy().tolist() == [[-2, 2], [1, -2147483648]]


def test_logical_functions_and_logical_not():
    x = np.array([[1.0, 0.0, -2.0]], 'float32')
    a = nd.array(x)
    assert nd.logical_not(a).asnumpy().tolist() == np.logical_not(x).astype('float32').tolist()
    assert nd.logical_and(a, 0.5).asnumpy().tolist() == np.logical_and(x, 0.5).astype(float).tolist()
    assert nd.logical_or(2, a).asnumpy().tolist() == [[1.0, 1.0, 1.0]]
    assert nd.logical_xor(a, a.T).asnumpy().tolist() == \
        np.logical_xor(x, x.T).astype('float32').tolist()
    assert nd.logical_and(1, 0) == 0 and nd.logical_or(0, 3) == 1
    assert nd.logical_not(nd.array([1, 0, 2], dtype='int32')).dtype == np.int32
    with pytest.raises(TypeError, match='rhs'):
        nd.logical_and(a, 'x')
