"""The NDArray surface of issue 3 not covered in test_ndarray.py: every arithmetic, comparison,
reflected and in-place operator with broadcasting (values, dtypes, gradients), creation functions
against NumPy with MXNet's dtype defaults, ``__array__``, ``wait_to_read`` / ``nd.waitall`` and the
options of ``NDArray.backward``."""
import operator

import numpy as np
import pytest

import minigluon as mg
from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal, check_gradient

A = np.array([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]], np.float32)
B = np.array([2.0, -3.0, 0.25], np.float32)          # broadcasts against A's rows
ARITH = ['add', 'sub', 'mul', 'truediv', 'pow', 'mod']
COMPARE = ['eq', 'ne', 'lt', 'le', 'gt', 'ge']


def _ref(name, a, b):
    if name == 'mod':       # MXNet's mod takes the divisor's sign (Python's %), 0 for b == 0
        return np.where(np.asarray(b) == 0, 0, np.mod(a, b))
    if name == 'pow':
        return np.power(np.abs(a) if np.ndim(a) else abs(a), b)
    return getattr(operator, name)(a, b)


def _pos(name, x):
    return np.abs(x) if name == 'pow' else x     # keep powers real


@pytest.mark.parametrize('name', ARITH + COMPARE)
def test_binary_operators_with_broadcasting_scalars_and_reflection(name):
    op = getattr(operator, name)
    a = _pos(name, A)
    for lhs, rhs, want in [
            (nd.array(a), nd.array(B), _ref(name, a, B)),               # NDArray op NDArray
            (nd.array(a), 2.5, _ref(name, a, np.float32(2.5))),         # NDArray op scalar
            (2.5, nd.array(_pos(name, B)), _ref(name, np.float32(2.5), _pos(name, B)))]:  # reflected
        out = op(lhs, rhs)
        assert isinstance(out, nd.NDArray) and out.dtype == np.float32
        assert_almost_equal(out, np.asarray(want, np.float32), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('name', ['iadd', 'isub', 'imul', 'itruediv', 'imod', 'ipow'])
def test_inplace_operators_write_into_the_same_array(name):
    a = np.abs(A) + 1
    x = nd.array(a)
    alias = x
    out = getattr(operator, name)(x, nd.array(B if name != 'ipow' else np.abs(B)))
    if name == 'ipow':          # MXNet 1.9.1 has no __ipow__: ``x **= y`` rebinds x
        assert out is not alias and np.array_equal(alias.asnumpy(), a)
        alias = out
    else:
        assert out is alias
    plain = name[1:]
    want = _ref(plain, a, B if name != 'ipow' else np.abs(B))
    assert_almost_equal(alias, want.astype(np.float32), rtol=1e-6, atol=1e-6)


def test_unary_operators_and_truth():
    x = nd.array(A)
    assert_almost_equal(-x, -A)
    assert_almost_equal(abs(x), np.abs(A))
    assert bool(nd.array([2.0])) and not bool(nd.array([0.0]))
    with pytest.raises(ValueError, match='truth value of an NDArray with multiple elements'):
        bool(nd.array([1.0, 2.0]))


@pytest.mark.parametrize('name', ['add', 'sub', 'mul', 'truediv', 'pow'])
def test_operator_gradients_with_broadcasting(name):
    op = getattr(operator, name)
    a = np.abs(A.astype(np.float64)) + 0.5
    check_gradient(lambda x, y: op(x, y), [a, np.abs(B.astype(np.float64)) + 0.5])
    check_gradient(lambda x: op(x, 1.5), [a])
    check_gradient(lambda x: op(1.5, x), [a])


def test_creation_functions_match_numpy_and_mxnet_dtype_defaults():
    cases = [
        (nd.zeros((2, 3)), np.zeros((2, 3), np.float32)),
        (nd.zeros(4, dtype='int32'), np.zeros(4, np.int32)),
        (nd.ones((2,), dtype='float64'), np.ones(2)),
        (nd.full((2, 2), 7), np.full((2, 2), 7, np.float32)),
        (nd.arange(5), np.arange(5, dtype=np.float32)),
        (nd.arange(1, 4, 0.5), np.arange(1, 4, 0.5, dtype=np.float32)),
        (nd.arange(3, repeat=2), np.repeat(np.arange(3, dtype=np.float32), 2)),
        (nd.linspace(0, 1, 5), np.linspace(0, 1, 5, dtype=np.float32)),
        (nd.linspace(0, 1, 4, endpoint=False), np.linspace(0, 1, 4, endpoint=False, dtype=np.float32)),
        (nd.eye(3, k=1), np.eye(3, k=1, dtype=np.float32)),
        (nd.eye(2, 3), np.eye(2, 3, dtype=np.float32)),
        (nd.array(np.arange(3)), np.arange(3, dtype=np.float32)),      # NumPy int64 -> float32
        (nd.array([1, 2], dtype='int64'), np.array([1, 2], np.int64)),
        (nd.zeros_like(nd.ones((2,), dtype='float16')), np.zeros(2, np.float16)),
        (nd.ones_like(nd.zeros((2, 2))), np.ones((2, 2), np.float32)),
    ]
    for got, want in cases:
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got.asnumpy(), want)
    e = nd.empty((2, 3), dtype='float64')
    assert e.shape == (2, 3) and e.dtype == np.float64
    out = nd.zeros((2,))
    assert nd.full((2,), 3.0, out=out) is out and out.asnumpy().tolist() == [3.0, 3.0]
    with mg.cpu(1):
        assert nd.arange(2).context == mg.cpu(1) and nd.eye(2).context == mg.cpu(1)


def test_zeros_like_is_recorded_with_a_zero_gradient():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = nd.zeros_like(x) + nd.ones_like(x) * x
    y.backward()
    assert x.grad.asnumpy().tolist() == [1.0, 1.0]


def test_array_protocol_and_waiting():
    x = nd.array(A)
    assert np.asarray(x).dtype == np.float32 and np.array_equal(np.asarray(x), A)
    assert np.array(x, dtype=np.float64).dtype == np.float64
    assert x.wait_to_read() is None and nd.waitall() is None


def test_backward_out_grad_retain_graph_and_train_mode():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = nd.Dropout(x * 3, p=0.5)       # predict mode: identity
    y.backward(out_grad=nd.array([1.0, 10.0]), retain_graph=True)
    assert x.grad.asnumpy().tolist() == [3.0, 30.0]
    y.backward(retain_graph=False)         # a second pass works because the graph was retained
    assert x.grad.asnumpy().tolist() == [3.0, 3.0]
    with pytest.raises(mg.base.MXNetError, match='retain_graph'):
        y.backward()


def test_generated_functions_show_their_inputs_and_attributes():
    import inspect

    from minigluon import nd, symbol as sym
    conv = inspect.signature(nd.Convolution).parameters
    assert list(conv)[:3] == ['data', 'weight', 'bias'] and conv['data'].default is None
    assert conv['num_filter'].default is inspect.Parameter.empty     # required attribute
    assert conv['num_group'].default == 1 and conv['layout'].default is None
    assert list(conv)[-2:] == ['out', 'name']
    cat = inspect.signature(nd.concat).parameters
    assert cat['data'].kind is inspect.Parameter.VAR_POSITIONAL and 'num_args' not in cat
    fc = inspect.signature(sym.FullyConnected).parameters
    assert list(fc)[-2:] == ['name', 'attr'] and fc['flatten'].default is True
    assert all(inspect.signature(getattr(nd, n)) is not None
               for n in dir(nd) if callable(getattr(nd, n, None)) and hasattr(getattr(nd, n), '__signature__'))


def test_reshape_to_empty_shape_gives_0d_and_no_shape_is_a_clear_error():
    import pytest

    from minigluon import autograd, nd
    x = nd.array([5.0])
    assert x.reshape(()).shape == () and nd.reshape(x, shape=()).shape == ()   # as MXNet 1.9.1
    x.attach_grad()
    with autograd.record():
        y = x.reshape(()) * 2
    y.backward()
    assert x.grad.asnumpy().tolist() == [2.0]
    with pytest.raises(ValueError, match=r'shape=\(\) makes a 0-d array'):
        nd.array([1.0, 2.0]).reshape(())
    with pytest.raises(TypeError, match='give the new shape'):
        x.reshape()


def test_slice_assign_methods_write_in_place_as_mxnet():
    # MXNet 1.9.1's NDArray.slice_assign / slice_assign_scalar docstring example: ones((2, 2, 2)),
    # region (0, 0, None):(1, 1, None) -> [[[0, 0], [1, 1]], [[1, 1], [1, 1]]]; both return self
    x = nd.ones((2, 2, 2))
    assert x.slice_assign(nd.zeros((1, 1, 2)), (0, 0, None), (1, 1, None), (None, None, None)) is x
    np.testing.assert_array_equal(x.asnumpy(), [[[0, 0], [1, 1]], [[1, 1], [1, 1]]])
    x = nd.ones((2, 2, 2))
    assert x.slice_assign_scalar(0, (0, 0, None), (1, 1, None), (None, None, None)) is x
    np.testing.assert_array_equal(x.asnumpy(), [[[0, 0], [1, 1]], [[1, 1], [1, 1]]])
    # steps, as nd.slice reads them: columns 4, 2, 0 of rows 1 and 2
    x = nd.zeros((4, 5))
    x.slice_assign(nd.array([[1, 2, 3], [4, 5, 6]]), (1, None), (3, None), (1, -2))
    want = np.zeros((4, 5))
    want[1:3, ::-2] = [[1, 2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(x.asnumpy(), want)
    with pytest.raises(ValueError, match=r'_slice_assign: rhs must have the shape \(2, 3\)'):
        x.slice_assign(nd.ones((2, 2)), (1, None), (3, None), (1, -2))
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.raises(mg.base.MXNetError, match="cannot write in-place"):
            y.slice_assign_scalar(1, (0,), (1,), (None,))


def test_slice_assign_symbol_infers_the_shape_of_rhs():
    # as MXNet 1.9.1's shape rule: rhs takes the region's shape, rows 1:3 and columns ::-2 of a
    # (4, 5) lhs -> (2, 3) (it said "cannot infer the shape of input(s) ['rhs']")
    out = mg.sym._internal._slice_assign(mg.sym.var('x'), mg.sym.var('r'), begin=(1, None),
                                         end=(3, None), step=(1, -2))
    args, outs, _ = out.infer_shape(x=(4, 5))
    assert dict(zip(out.list_arguments(), args)) == {'x': (4, 5), 'r': (2, 3)}
    assert outs == [(4, 5)]
    y = out.eval(x=nd.zeros((4, 5)), r=nd.array([[1, 2, 3], [4, 5, 6]]))[0]
    want = np.zeros((4, 5))
    want[1:3, ::-2] = [[1, 2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(y.asnumpy(), want)


def test_slice_assign_scalar_converts_the_scalar_as_mxnet():
    # as MXNet 1.9.1 converts a scalar into an integer dtype (C++ DType(scalar), as x[:] = value
    # does here): -2.7 as int32 truncates to -2. A number that does not fit (300 as uint8, NaN
    # as int32) is a ValueError, as x[:] = value (MXNet writes 44 and -2**31; leftovers22a).
    for dtype, value, want in [('int32', -2.7, -2), ('uint8', 255.5, 255)]:
        x = nd.zeros((2, 2), dtype=dtype)
        x.slice_assign_scalar(value, (0,), (1,), (None,))
        assert x.asnumpy().tolist() == [[want, want], [0, 0]]
        y = nd.zeros((2, 2), dtype=dtype)
        y[0] = value
        assert y.asnumpy().tolist() == x.asnumpy().tolist()
    for dtype, value in [('uint8', 300), ('int32', float('nan'))]:
        x = nd.zeros((2, 2), dtype=dtype)
        with pytest.raises(ValueError, match='does not fit dtype %s' % dtype):
            x.slice_assign_scalar(value, (0,), (1,), (None,))
        with pytest.raises(ValueError, match='does not fit dtype %s' % dtype):
            x[0] = value
        assert x.asnumpy().tolist() == [[0, 0], [0, 0]]
