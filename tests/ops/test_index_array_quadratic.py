"""``contrib.index_array`` and ``contrib.quadratic`` (minigluon/ops/misc.py).

MXNet 1.9.1's outputs, gradients and JSON attributes for sample calls are in the golden cases of
tests/fixtures/ops_missing (tools/gen_ops_missing_fixtures.py), checked with a tolerance by
test_ops_missing.py; here the same fixtures are compared bit for bit, against NumPy references,
numerically differentiated, run hybridized and read back from MXNet's JSON.
"""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.block import HybridBlock, SymbolBlock
from minigluon.test_utils import assert_almost_equal, check_gradient

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ops_missing')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = [c for c in json.load(_f)['cases']
             if c['path'] in ('contrib.index_array', 'contrib.quadratic')]
VALUES = np.load(os.path.join(FIX, 'values.npz'))
RNG = np.random.RandomState(11)


def _reference_index_array(shape, axes=None):
    """Element by element: ``out[i_1, ..., i_n, j] = i_{axes[j]}``."""
    axes = list(range(len(shape))) if axes is None else [a % len(shape) for a in axes]
    out = np.zeros(shape + (len(axes),), np.int64)
    for idx in np.ndindex(*shape):
        out[idx] = [idx[a] for a in axes]
    return out


def test_golden_cases_are_present():
    paths = [c['path'] for c in CASES]
    assert paths.count('contrib.index_array') == 4 and paths.count('contrib.quadratic') == 6


@pytest.mark.parametrize('case', CASES, ids=['%s-%s' % (c['path'], c['key']) for c in CASES])
def test_bit_identical_to_mxnet(case):
    """Outputs and gradients equal MXNet's exactly, float16 and integer data included (MXNet
    computes Horner's form with float32 coefficients; float16 rounds after every operation)."""
    key = case['key']
    x = VALUES[key + '_in0']
    data = nd.array(x, dtype=x.dtype)
    if case['grads']:
        data.attach_grad()
    with autograd.record():
        out = getattr(nd.contrib, case['path'].split('.')[1])(data, **case['attrs'])
    want = VALUES[key + '_out0']
    assert out.dtype == want.dtype and out.shape == want.shape
    np.testing.assert_array_equal(out.asnumpy(), want)
    if case['grads']:
        head = VALUES[key + '_head0']
        out.backward(nd.array(head, dtype=head.dtype))
        np.testing.assert_array_equal(data.grad.asnumpy(), VALUES[key + '_grad0'])


# -- index_array ----------------------------------------------------------------------------------

@pytest.mark.parametrize('shape,axes', [((4,), None), ((2, 3), None), ((3, 1, 2), None),
                                        ((2, 3, 4), (2, 0)), ((2, 3, 4), (-1, -1, 1)),
                                        ((2, 3), ()), ((5, 2), (0,))])
def test_index_array_against_numpy(shape, axes):
    kwargs = {} if axes is None else {'axes': axes}
    for dtype in ('float32', 'float16', 'int32', 'uint8'):
        got = nd.contrib.index_array(nd.zeros(shape, dtype=dtype), **kwargs)
        assert got.dtype == np.int64
        want = _reference_index_array(shape, axes)
        assert got.shape == shape + (len(shape) if axes is None else len(axes),)
        np.testing.assert_array_equal(got.asnumpy(), want)


def test_index_array_passes_no_gradient():
    # measured on MXNet 1.9.1: x = [[1, 2], [3, 4]], z = sum(index_array(x) * x) (broadcast over
    # the last axes) gives x.grad = [[1, 0], [1, 2]]: only the product's path, none through indices
    x = nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    with autograd.record():
        z = (nd.contrib.index_array(x).astype('float32') * x).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 0], [1, 2]])


def test_index_array_symbol_shape_type_and_hybridized():
    graph = sym.contrib.index_array(sym.var('data'), axes=(1, 0))
    # measured on MXNet 1.9.1: ([(2, 3)], [(2, 3, 2)], []) and an int64 output for float data
    assert graph.infer_shape(data=(2, 3)) == ([(2, 3)], [(2, 3, 2)], [])
    assert graph.infer_type(data='float64')[1] == [np.int64]
    node = json.loads(graph.tojson())['nodes'][1]
    assert node['op'] == '_contrib_index_array' and node['attrs'] == {'axes': '(1, 0)'}

    class Net(HybridBlock):
        def hybrid_forward(self, F, x):
            return F.contrib.index_array(x, axes=(-1,)) + F.contrib.index_array(x)

    net = Net()
    x = nd.zeros((3, 4))
    eager = net(x)
    net.hybridize()
    np.testing.assert_array_equal(net(x).asnumpy(), eager.asnumpy())


@pytest.mark.parametrize('call,match', [
    (lambda: nd.contrib.index_array(nd.zeros((2, 3)), axes=(2,)), 'axes'),
    (lambda: nd.contrib.index_array(nd.zeros((2, 3)), axes=(0, -3)), 'axes'),
    (lambda: nd.contrib.index_array(nd.array(1.0).reshape(())), 'at least 1 dimension'),
])
def test_index_array_bad_input(call, match):
    # MXNet 1.9.1 returns another axis's indices for an out-of-range axis and fails its shape
    # inference for 0-d data; here both are a ValueError naming the problem
    with pytest.raises(ValueError, match=match):
        call()


# -- quadratic -------------------------------------------------------------------------------------

def test_quadratic_values_measured_on_mxnet():
    x = nd.array([[1, 2], [-3, 0.5]])
    # measured on MXNet 1.9.1
    np.testing.assert_array_equal(nd.contrib.quadratic(x, a=1, b=2, c=3).asnumpy(),
                                  np.array([[6, 11], [6, 4.25]], np.float32))
    np.testing.assert_array_equal(nd.contrib.quadratic(x).asnumpy(), np.zeros((2, 2), np.float32))
    three = [1, 2, 3]
    measured = {   # quadratic([1, 2, 3], a=1.5, b=2.5, c=0.7) per dtype, measured on MXNet 1.9.1
        'float64': [4.699999988079071, 11.699999988079071, 21.69999998807907],
        'float16': [4.69921875, 11.703125, 21.703125],
        'int32': [4, 11, 21], 'int64': [4, 11, 21], 'uint8': [4, 11, 21], 'int8': [4, 11, 21]}
    for dtype, want in measured.items():
        got = nd.contrib.quadratic(nd.array(three, dtype=dtype), a=1.5, b=2.5, c=0.7)
        assert got.dtype == np.dtype(dtype)
        assert got.asnumpy().tolist() == want, dtype


def test_quadratic_gradient_measured_on_mxnet():
    x = nd.array([[1, 2], [-3, 0.5]])
    x.attach_grad()
    with autograd.record():
        y = nd.contrib.quadratic(x, a=1.5, b=-2, c=4)
    y.backward(nd.array([[1, 2], [3, 4]]))
    assert x.grad.asnumpy().tolist() == [[1.0, 8.0], [-33.0, -2.0]]   # measured on MXNet 1.9.1
    xi = nd.array([1, 2, 3], dtype='int32')
    xi.attach_grad()
    with autograd.record():
        y = nd.contrib.quadratic(xi, a=1.5, b=2.5, c=0.7)
    y.backward()
    assert xi.grad.asnumpy().tolist() == [5, 8, 11]   # 3x + 2.5 truncated, measured on MXNet 1.9.1


@pytest.mark.parametrize('abc', [(1.5, -0.7, 0.3), (0.0, 2.0, 1.0), (-3.0, 0.0, 0.0), (0.0, 0.0, 5.0)])
def test_quadratic_numeric_gradient_and_reference(abc):
    a, b, c = abc
    x = RNG.uniform(-2, 2, (3, 4))
    got = nd.contrib.quadratic(nd.array(x, dtype='float64'), a=a, b=b, c=c)
    fa, fb, fc = (float(np.float32(v)) for v in abc)      # the coefficients are float32 values
    assert_almost_equal(got, fa * x * x + fb * x + fc, rtol=1e-12, atol=1e-12)
    check_gradient(lambda v: nd.contrib.quadratic(v, a=a, b=b, c=c), [x])


def test_quadratic_hybridized_exported_and_read_from_mxnet_json(tmp_path):
    class Net(HybridBlock):
        def hybrid_forward(self, F, x):
            return F.contrib.quadratic(x, a=0.5, b=-1, c=2)

    net = Net()
    x = nd.array(RNG.uniform(-1, 1, (2, 5)))
    x.attach_grad()
    with autograd.record():
        eager = net(x)
    eager.backward()
    g_eager = x.grad.copy()
    net.hybridize()
    with autograd.record():
        hybrid = net(x)
    hybrid.backward()
    np.testing.assert_array_equal(hybrid.asnumpy(), eager.asnumpy())
    np.testing.assert_array_equal(x.grad.asnumpy(), g_eager.asnumpy())
    net.export(str(tmp_path / 'quad'))
    node = [n for n in json.load(open(tmp_path / 'quad-symbol.json'))['nodes'] if n['op'] != 'null']
    assert [(n['op'], n['attrs']) for n in node] == [('_contrib_quadratic',
                                                      {'a': '0.5', 'b': '-1', 'c': '2'})]
    back = SymbolBlock.imports(str(tmp_path / 'quad-symbol.json'), ['data'])
    np.testing.assert_array_equal(back(x).asnumpy(), eager.asnumpy())
    # the node as MXNet 1.9.1 writes it for sym.contrib.quadratic(data, a=1, b=2.5, c=0)
    mxnet_json = ('{"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": '
                  '"_contrib_quadratic", "name": "quadratic0", "attrs": {"a": "1", "b": "2.5", '
                  '"c": "0"}, "inputs": [[0, 0, 0]]}], "arg_nodes": [0], "node_row_ptr": [0, 1, 2], '
                  '"heads": [[1, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}}')
    loaded = sym.load_json(mxnet_json)
    assert json.loads(loaded.tojson())['nodes'][1]['attrs'] == {'a': '1', 'b': '2.5', 'c': '0'}
    out = SymbolBlock(loaded, sym.var('data'))(nd.array([1.0, -2.0]))
    assert out.asnumpy().tolist() == [3.5, -1.0]
