"""nd.add/subtract/.../power/maximum/greater and sym.power/pow/maximum/minimum/hypot: an array or a
Python number on either side, as MXNet 1.9.1's Python functions of the same names."""
import inspect
import json
import operator

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.test_utils import assert_almost_equal, check_gradient

REFERENCE = {
    'add': np.add, 'subtract': np.subtract, 'multiply': np.multiply, 'divide': np.divide,
    'true_divide': np.divide, 'modulo': np.mod, 'power': np.power, 'maximum': np.maximum,
    'minimum': np.minimum, 'equal': np.equal, 'not_equal': np.not_equal, 'greater': np.greater,
    'greater_equal': np.greater_equal, 'lesser': np.less, 'lesser_equal': np.less_equal}


@pytest.mark.parametrize('name', sorted(REFERENCE))
def test_nd_functions_take_arrays_or_numbers_on_either_side(name):
    rng = np.random.RandomState(0)
    a = rng.uniform(0.5, 2, size=(2, 3)).astype('float32')
    b = rng.uniform(0.5, 2, size=(3,)).astype('float32')
    fn, ref = getattr(nd, name), REFERENCE[name]
    for lhs, rhs in [(a, b), (a, 1.5), (1.5, a), (a, 2)]:
        got = fn(nd.array(lhs) if isinstance(lhs, np.ndarray) else lhs,
                 nd.array(rhs) if isinstance(rhs, np.ndarray) else rhs)
        want = ref(lhs, rhs).astype('float32')
        assert got.shape == want.shape
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)
    assert fn(3, 2) == pytest.approx(float(ref(3, 2)))


def test_reflected_scalar_gradients():
    check_gradient(lambda x: nd.power(2.0, x), [np.random.randn(3, 2)])
    check_gradient(lambda x: nd.subtract(1.0, nd.maximum(x, 0.2)), [np.random.randn(4)])
    check_gradient(lambda x: nd.divide(3.0, x),
                   [np.random.uniform(1, 2, size=5)])


def test_symbol_functions_write_mxnet_nodes():
    # (op, node name, attributes) as MXNet 1.9.1 writes them for the same calls
    a = mx.sym.var('a')
    with mx.name.NameManager():
        cases = [(mx.sym.pow(2, a), ('_rpower_scalar', '_rpowerscalar0', {'scalar': '2'})),
                 (mx.sym.maximum(a, a), ('_maximum', '_maximum0', None)),
                 (mx.sym.hypot(a, 2), ('_hypot_scalar', '_hypotscalar0', {'scalar': '2'})),
                 (mx.sym.minimum(3, a), ('_minimum_scalar', '_minimumscalar0', {'scalar': '3'})),
                 (mx.sym.power(a, a), ('_power', '_power0', None))]
    for s, want in cases:
        node = json.loads(s.tojson())['nodes'][-1]
        assert (node['op'], node['name'], node.get('attrs')) == want
    assert mx.sym.maximum(2, 3) == 3
    out = mx.sym.power(a, 2).eval(a=nd.array([1., 3.]))[0]
    assert_almost_equal(out, np.array([1., 9.]))


@pytest.mark.parametrize('fn, tensor', [(nd.add, nd.ones((2,))), (nd.power, nd.ones((2,))),
                                        (nd.greater, nd.ones((2,))),
                                        (mx.sym.maximum, mx.sym.var('x'))])
def test_bad_argument_is_named(fn, tensor):
    first, second = inspect.signature(fn).parameters    # MXNet's names: lhs/rhs, base/exp...
    with pytest.raises(TypeError, match='%s must be' % first):
        fn('a', tensor)
    with pytest.raises(TypeError, match='%s must be' % second):
        fn(tensor, [1, 2])


def test_python_numbers_follow_python():
    assert nd.modulo(-7, 2) == operator.mod(-7, 2)
    assert nd.greater(1, 2) == 0.0


def test_inplace_arithmetic_on_int_arrays_follows_the_operator():
    # NumPy refuses int32 += 2.7 (UFuncTypeError); MXNet adds DType(2.7) = 2 in place.
    x = nd.array([[-3, 4], [7, 0]], dtype='int32')
    same = x
    x += 2.7
    assert x is same and x.dtype == np.int32 and x.asnumpy().tolist() == [[-1, 6], [9, 2]]
    x /= 2
    assert x.asnumpy().tolist() == [[0, 3], [4, 1]]
    x *= nd.array([[1.5, 2], [2, 2]])          # a float32 array: computed in float32, cast back
    assert x.dtype == np.int32 and x.asnumpy().tolist() == [[0, 6], [8, 2]]
    f = nd.array([1.5, 2.5])
    f += nd.array([1, 2], dtype='float64')
    assert f.dtype == np.float32 and f.asnumpy().tolist() == [2.5, 4.5]


def test_a_wrong_keyword_names_the_function():
    # MXNet 1.9.1: "power() got an unexpected keyword argument 'lhs'"
    with pytest.raises(TypeError, match=r"^power\(\) got an unexpected keyword argument 'lhs'"):
        nd.power(lhs=nd.ones((2,)), rhs=nd.ones((2,)))
    with pytest.raises(TypeError, match=r"^maximum\(\) got an unexpected keyword argument 'lhs'"):
        mx.sym.maximum(lhs=mx.sym.var('a'), rhs=mx.sym.var('b'))
