"""Dtype rules: integer arrays where MXNet 1.9.1 allows them (results keep the integer dtype, as
MXNet's C++ kernels cast back), and a clear TypeError where MXNet refuses the dtype.

float16 and float64 for every floating operator are swept in ``test_op_sweep.py``.
"""
import numpy as np
import pytest

from minigluon import nd

INTS = np.array([[1, 2], [3, 4]], dtype=np.int32)


@pytest.mark.parametrize('name,ref', [
    ('exp', np.exp), ('sqrt', np.sqrt), ('log', np.log), ('sigmoid', lambda x: 1 / (1 + np.exp(-x))),
    ('tanh', np.tanh), ('reciprocal', lambda x: 1.0 / x), ('square', np.square), ('abs', np.abs),
    ('relu', lambda x: np.maximum(x, 0)), ('negative', np.negative), ('floor', np.floor)])
@pytest.mark.parametrize('dtype', ['int32', 'int64', 'uint8'])
def test_unary_math_on_integers_keeps_the_dtype(name, ref, dtype):
    # MXNet computes in the input type: exp(int32 [1, 4]) is int32 [2, 54] (truncated toward zero).
    x = INTS.astype(dtype)
    out = getattr(nd, name)(nd.array(x, dtype=dtype))
    assert out.dtype == np.dtype(dtype)
    want = np.trunc(ref(x.astype(np.float64))).astype(dtype)
    assert np.array_equal(out.asnumpy(), want)


@pytest.mark.parametrize('name', ['exp', 'sqrt', 'abs', 'negative', 'relu', 'sigmoid'])
def test_unary_math_on_bool_is_a_clear_error(name):
    with pytest.raises(TypeError, match=r"%s: data must be a numeric array.*bool.*astype" % name):
        getattr(nd, name)(nd.array([1, 0], dtype='bool'))


def test_integer_division_truncates_and_keeps_the_dtype():
    a = nd.array([[7, -7], [6, 1]], dtype='int32')
    b = nd.array([2, 3], dtype='int32')
    out = nd.broadcast_div(a, b)
    assert out.dtype == np.int32
    assert out.asnumpy().tolist() == [[3, -2], [3, 0]]          # C division: toward zero
    assert (a / b).dtype == np.int32
    assert nd.elemwise_div(a, a).asnumpy().tolist() == [[1, 1], [1, 1]]
    assert (nd.array([1., 2.]) / nd.array([2., 4.])).asnumpy().tolist() == [0.5, 0.5]


FLOAT_ONLY = [
    ('softmax', lambda x: nd.softmax(x)),
    ('log_softmax', lambda x: nd.log_softmax(x)),
    ('softmin', lambda x: nd.softmin(x)),
    ('Activation', lambda x: nd.Activation(x, act_type='sigmoid')),
    ('LeakyReLU', lambda x: nd.LeakyReLU(x, act_type='elu')),
    ('Dropout', lambda x: nd.Dropout(x, p=0.5)),
    ('SoftmaxOutput', lambda x: nd.SoftmaxOutput(x, nd.array([0, 1]))),
    ('softmax_cross_entropy', lambda x: nd.softmax_cross_entropy(x, nd.array([0, 1]))),
    ('Pooling', lambda x: nd.Pooling(x.reshape((1, 1, 2, 2)), kernel=(2, 2))),
    ('BatchNorm', lambda x: nd.BatchNorm(x, nd.ones((2,)), nd.zeros((2,)), nd.zeros((2,)),
                                         nd.ones((2,)))),
    ('LayerNorm', lambda x: nd.LayerNorm(x, nd.ones((2,)), nd.zeros((2,)))),
    ('InstanceNorm', lambda x: nd.InstanceNorm(x.reshape((1, 2, 2)), nd.ones((2,)), nd.zeros((2,)))),
    ('GroupNorm', lambda x: nd.GroupNorm(x.reshape((1, 2, 2)), nd.ones((1,)), nd.zeros((1,)))),
    ('L2Normalization', lambda x: nd.L2Normalization(x)),
]


@pytest.mark.parametrize('name,call', FLOAT_ONLY, ids=[c[0] for c in FLOAT_ONLY])
def test_float_only_operators_reject_integers_clearly(name, call):
    # MXNet raises for these too; silently truncating softmax to zeros would be worse.
    with pytest.raises(TypeError, match=r'%s: .*float.*int32' % name):
        call(nd.array(INTS, dtype='int32'))


@pytest.mark.parametrize('name,call', FLOAT_ONLY, ids=[c[0] for c in FLOAT_ONLY])
def test_float_only_operators_accept_every_float_dtype(name, call):
    want = call(nd.array(INTS, dtype='float64')).asnumpy()
    for dtype, tol in (('float16', 2e-3), ('float32', 1e-6)):
        out = call(nd.array(INTS, dtype=dtype))
        assert out.dtype == np.dtype(dtype)
        # the float64 result rounded: the narrow dtypes compute the same function
        np.testing.assert_allclose(out.asnumpy().astype(np.float64), want, rtol=tol, atol=tol)
