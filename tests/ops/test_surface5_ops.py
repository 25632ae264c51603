"""``moments``, ``cumsum``, ``unravel_index``/``ravel_multi_index``, ``LRN`` and
``nd.contrib.isfinite``/``isinf``/``isnan``: NumPy references, float64 gradient checks, and MXNet
1.9.1's outputs, gradients and JSON nodes (tests/fixtures/surface5, tools/gen_surface5_fixtures.py)."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal, check_gradient

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'surface5')


@pytest.fixture(scope='module')
def gold():
    return dict(np.load(os.path.join(HERE, 'ops.npz')))


@pytest.fixture(scope='module')
def nodes():
    with open(os.path.join(HERE, 'surface5.json')) as f:
        return json.load(f)['op_nodes']


def _run(fn, x, heads):
    """Outputs of ``fn(x)`` and the gradient of sum(out_i * head_i)."""
    a = nd.array(x, dtype=x.dtype)
    a.attach_grad()
    with autograd.record():
        out = fn(a)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
    autograd.backward(outs, [nd.array(h, dtype=h.dtype) for h in heads])
    return [o.asnumpy() for o in outs], a.grad.asnumpy()


GRAD_CASES = {
    'moments_12': lambda a: nd.moments(a, axes=(1, 2)),
    'moments_0_keep': lambda a: nd.moments(a, axes=(0,), keepdims=True),
    'moments_all': lambda a: nd.moments(a, axes=(0, 1, 2)),
    'cumsum_1': lambda a: nd.cumsum(a, axis=1),
    'cumsum_none': lambda a: nd.cumsum(a),
    'cumsum_2_f64': lambda a: nd.cumsum(a, axis=2, dtype='float64'),
}


@pytest.mark.parametrize('key', sorted(GRAD_CASES))
def test_moments_cumsum_match_mxnet(gold, key):
    n = 2 if key.startswith('moments') else 1
    heads = [gold['%s_head%d' % (key, j)] for j in range(n)]
    outs, grad = _run(GRAD_CASES[key], gold['x'], heads)
    for j, o in enumerate(outs):
        want = gold['%s_out%d' % (key, j)]
        assert o.shape == want.shape and o.dtype == want.dtype
        assert_almost_equal(o, want, rtol=1e-5, atol=1e-6)
    assert_almost_equal(grad, gold[key + '_grad'], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('axes,keepdims', [((1,), False), ((0, 2), True), ((0, 1, 2), False),
                                           ((-1,), False)])
def test_moments_numpy_and_gradient(axes, keepdims):
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 4))
    mean, var = nd.moments(nd.array(x, dtype='float64'), axes=axes, keepdims=keepdims)
    ax = tuple(a % 3 for a in axes)
    want_m = x.mean(axis=ax, keepdims=keepdims)
    want_v = x.var(axis=ax, keepdims=keepdims)
    assert_almost_equal(mean, want_m.reshape(want_m.shape or (1,)), rtol=1e-12, atol=1e-12)
    assert_almost_equal(var, want_v.reshape(want_v.shape or (1,)), rtol=1e-12, atol=1e-12)
    check_gradient(lambda v: nd.moments(v, axes=axes, keepdims=keepdims)[0], [x])
    check_gradient(lambda v: nd.moments(v, axes=axes, keepdims=keepdims)[1], [x])


def test_moments_integer_truncates_as_mxnet(gold):
    m, v = nd.moments(nd.array(gold['moments_int_in'], dtype='int32'), axes=(1,))
    np.testing.assert_array_equal(m.asnumpy(), gold['moments_int_mean'])
    np.testing.assert_array_equal(v.asnumpy(), gold['moments_int_var'])
    assert m.dtype == np.int32


def test_moments_errors():
    with pytest.raises(ValueError, match='axes'):
        nd.moments(nd.ones((2, 3)))
    with pytest.raises(ValueError, match='out of range'):
        nd.moments(nd.ones((2, 3)), axes=(2,))


@pytest.mark.parametrize('axis,dtype', [(None, None), (0, None), (1, 'float64'), (-1, None)])
def test_cumsum_numpy_and_gradient(axis, dtype):
    x = np.random.RandomState(1).uniform(-1, 1, (3, 4))
    kw = {'axis': axis} if dtype is None else {'axis': axis, 'dtype': dtype}
    out = nd.cumsum(nd.array(x, dtype='float64'), **kw)
    assert_almost_equal(out, np.cumsum(x, axis=axis), rtol=1e-12, atol=1e-12)
    check_gradient(lambda v: nd.cumsum(v, **kw), [x])


def test_cumsum_keeps_small_int_dtype_as_mxnet(gold):
    out = nd.cumsum(nd.array(gold['cumsum_int8_in'], dtype='int8'))
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out.asnumpy(), gold['cumsum_int8_out'])
    with pytest.raises(ValueError, match='axis'):
        nd.cumsum(nd.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match='dtype'):
        nd.cumsum(nd.ones((2, 3)), dtype='complex64')


def test_ravel_unravel_match_mxnet_and_numpy(gold):
    r = nd.ravel_multi_index(nd.array(gold['ravel_in']), shape=(2, 3))
    np.testing.assert_array_equal(r.asnumpy(), gold['ravel_out'])
    u = nd.unravel_index(nd.array(gold['unravel_in'], dtype='int32'), shape=(2, 3))
    assert u.dtype == np.int32
    np.testing.assert_array_equal(u.asnumpy(), gold['unravel_out'])
    flat = np.array([0, 4, 11, 23], dtype=np.int64)
    coords = nd.unravel_index(nd.array(flat, dtype='int64'), shape=(2, 3, 4)).asnumpy()
    np.testing.assert_array_equal(coords, np.stack(np.unravel_index(flat, (2, 3, 4))))
    back = nd.ravel_multi_index(nd.array(coords, dtype='int64'), shape=(2, 3, 4)).asnumpy()
    np.testing.assert_array_equal(back, flat)


def test_ravel_errors():
    with pytest.raises(ValueError, match=r'\(2, \.\.\.\)'):
        nd.ravel_multi_index(nd.ones((3, 4)), shape=(2, 3))
    with pytest.raises(ValueError, match='shape'):
        nd.unravel_index(nd.ones((3,)), shape=(2, 0))


def _lrn_ref(x, nsize, alpha=1e-4, beta=0.75, knorm=2.0):
    half = (nsize - 1) // 2
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        lo, hi = max(0, c - half), min(x.shape[1], c + half + 1)
        norm = knorm + alpha / nsize * (x[:, lo:hi] ** 2).sum(axis=1)
        out[:, c] = x[:, c] * norm ** -beta
    return out


@pytest.mark.parametrize('key,kw', [('lrn_3', dict(nsize=3)),
                                    ('lrn_5', dict(nsize=5, alpha=0.1, beta=0.6, knorm=1.5)),
                                    ('lrn_2', dict(nsize=2, alpha=0.5, beta=1.0, knorm=1.0)),
                                    ('lrn_4', dict(nsize=4, alpha=0.3))])
def test_lrn_matches_mxnet_numpy_and_gradient(gold, key, kw):
    x = gold['lrn_x']
    outs, grad = _run(lambda a: nd.LRN(a, **kw), x, [gold[key + '_head']])
    assert_almost_equal(outs[0], gold[key + '_out'], rtol=1e-5, atol=1e-6)
    assert_almost_equal(grad, gold[key + '_grad'], rtol=1e-4, atol=1e-5)
    x64 = x.astype(np.float64)
    assert_almost_equal(nd.LRN(nd.array(x64, dtype='float64'), **kw), _lrn_ref(x64, **kw),
                        rtol=1e-12, atol=1e-12)
    check_gradient(lambda v: nd.LRN(v, **kw), [x64[:1]])


def test_lrn_errors():
    with pytest.raises(ValueError, match='nsize'):
        nd.LRN(nd.ones((1, 3, 2, 2)), nsize=0)
    with pytest.raises(TypeError, match='floating'):
        nd.LRN(nd.ones((1, 3, 2, 2), dtype='int32'), nsize=3)
    with pytest.raises(TypeError, match='nsize'):
        nd.LRN(nd.ones((1, 3, 2, 2)))


def test_contrib_isfinite_isinf_isnan_match_mxnet(gold):
    x = nd.array(gold['special'])
    for name in ('isfinite', 'isinf', 'isnan'):
        out = getattr(nd.contrib, name)(x)
        np.testing.assert_array_equal(out.asnumpy(), gold[name])
    np.testing.assert_array_equal(nd.contrib.isnan(x).asnumpy(), np.isnan(gold['special']))


@pytest.mark.parametrize('key', ['cumsum', 'moments', 'unravel_index', 'ravel_multi_index', 'LRN'])
def test_symbol_nodes_match_mxnet(nodes, key):
    x = mx.sym.var('x')
    with mx.name.NameManager():
        s = {'cumsum': lambda: mx.sym.cumsum(x, axis=1, dtype='float64'),
             'moments': lambda: mx.sym.moments(x, axes=(0, 2), keepdims=True),
             'unravel_index': lambda: mx.sym.unravel_index(x, shape=(2, 3)),
             'ravel_multi_index': lambda: mx.sym.ravel_multi_index(x, shape=(2, 3)),
             'LRN': lambda: mx.sym.LRN(x, nsize=3, alpha=0.001)}[key]()
    got = [{k: n.get(k, {}) for k in ('op', 'name', 'attrs')}
           for n in json.loads(s.tojson())['nodes'] if n['op'] != 'null']
    assert got == nodes[key]['nodes']
    assert s.list_outputs() == nodes[key]['outputs']
    assert s.get_internals().list_outputs() == nodes[key]['internals']


def test_hybridized_graph_equals_eager():
    x = np.random.RandomState(3).uniform(-1, 1, (2, 4, 3, 3)).astype(np.float32)
    s = mx.sym.LRN(mx.sym.cumsum(mx.sym.var('x'), axis=1), nsize=3)
    got = s.eval(x=nd.array(x))[0].asnumpy()
    want = nd.LRN(nd.cumsum(nd.array(x), axis=1), nsize=3).asnumpy()
    np.testing.assert_array_equal(got, want)


def test_ravel_unravel_leading_dimension_placeholder():
    # MXNet 1.9.1 docs: "The leading dimension may be left unspecified by using -1 as
    # placeholder" (ravel(A, shape=(-1, 6)) == ravel(A, shape=(7, 6)))
    coords = np.array([[3, 6, 6], [4, 5, 1]])
    full = nd.ravel_multi_index(nd.array(coords), shape=(7, 6)).asnumpy()
    np.testing.assert_array_equal(full, np.ravel_multi_index(coords, (7, 6)))
    np.testing.assert_array_equal(
        nd.ravel_multi_index(nd.array(coords), shape=(-1, 6)).asnumpy(), full)
    np.testing.assert_array_equal(
        nd.unravel_index(nd.array(full), shape=(-1, 6)).asnumpy(), coords)
    with pytest.raises(ValueError, match='shape'):
        nd.unravel_index(nd.ones((3,)), shape=(2, -1))
    with pytest.raises(ValueError, match='shape'):
        nd.ravel_multi_index(nd.ones((2, 3)), shape=(-2, 3))


def test_moments_of_an_empty_axis_are_nan_without_warnings():
    # MXNet 1.9.1 cannot even build a (0, 3) array; NumPy's mean gives NaN with two warnings
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        mean, var = nd.moments(nd.ones((0, 3)), axes=(0,))
    assert mean.shape == var.shape == (3,)
    assert np.isnan(mean.asnumpy()).all() and np.isnan(var.asnumpy()).all()
