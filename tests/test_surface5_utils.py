"""Second-pass MXNet 1.9.1 names: nd.random.negative_binomial / generalized_negative_binomial
(checked by moments and against MXNet's nodes), context.gpu_memory_info, util.get_gpu_count /
get_gpu_memory, the test_utils helpers, assert_almost_equal's keywords, DataLoader(auto_reload)."""
import numpy as np
import pytest

import minigluon as mx
from minigluon import context, nd, test_utils, util
from minigluon.base import MXNetError


def test_negative_binomial_moments():
    mx.random.seed(3)
    k, p = 3, 0.4
    x = nd.random.negative_binomial(k, p, shape=(40000,)).asnumpy()
    assert x.dtype == np.float32 and (x >= 0).all() and (x == np.round(x)).all()
    mean, var = k * (1 - p) / p, k * (1 - p) / p ** 2
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
    assert abs(x.var() / var - 1) < 0.06
    np.testing.assert_array_equal(nd.random.negative_binomial(4, 1.0, shape=(5,)).asnumpy(), 0)


def test_generalized_negative_binomial_moments():
    mx.random.seed(4)
    for mu, alpha in ((2.0, 0.5), (3.0, 0.0)):
        x = nd.random.generalized_negative_binomial(mu, alpha, shape=(40000,), dtype='float64')
        x = x.asnumpy()
        assert x.dtype == np.float64
        var = mu + alpha * mu ** 2
        assert abs(x.mean() - mu) < 4 * np.sqrt(var / x.size)
        assert abs(x.var() / var - 1) < 0.06


def test_negative_binomial_reproducible_and_errors():
    mx.random.seed(7)
    a = nd.random.negative_binomial(2, 0.3, shape=(6,)).asnumpy()
    mx.random.seed(7)
    np.testing.assert_array_equal(a, nd.random.negative_binomial(2, 0.3, shape=(6,)).asnumpy())
    with pytest.raises(ValueError, match=r'p \(0\) must be in \(0, 1\]'):
        nd.random.negative_binomial(2, 0.0)
    with pytest.raises(ValueError, match='alpha'):
        nd.random.generalized_negative_binomial(1.0, -1.0)
    with pytest.raises(TypeError, match='must all be numbers or all be NDArrays'):
        nd.random.negative_binomial(nd.ones((2,)), 0.5)


def test_negative_binomial_symbol_nodes_as_mxnet():
    # the nodes MXNet 1.9.1 writes for these calls (read off MXNet's tojson)
    import json
    with mx.name.NameManager():
        s = mx.sym.random.negative_binomial(k=2, p=0.5, shape=(2,))
        t = mx.sym.random.generalized_negative_binomial(mu=2, alpha=0.5, shape=(2,))
    node = [n for n in json.loads(s.tojson())['nodes'] if n['op'] != 'null'][0]
    assert node['op'] == '_random_negative_binomial'
    assert node['attrs'] == {'k': '2', 'p': '0.5', 'shape': '(2,)'}
    assert s.list_outputs() == ['_random_negative_binomial0_output']
    node = [n for n in json.loads(t.tojson())['nodes'] if n['op'] != 'null'][0]
    assert node['attrs'] == {'alpha': '0.5', 'mu': '2', 'shape': '(2,)'}
    assert s.eval()[0].shape == (2,)


def test_gpu_queries_without_gpu():
    if context.num_gpus():
        free, total = context.gpu_memory_info(0)
        assert 0 < free <= total
        assert util.get_gpu_memory(0)[1] == total
        assert util.get_gpu_count() == context.num_gpus()
        return
    assert util.get_gpu_count() == 0
    with pytest.raises(MXNetError, match='no GPU'):
        context.gpu_memory_info(0)
    with pytest.raises(MXNetError, match='no GPU'):
        util.get_gpu_memory(0)


def test_rand_shapes_and_random_arrays():
    np.random.seed(0)
    for _ in range(20):
        s2, s3 = test_utils.rand_shape_2d(3, 4), test_utils.rand_shape_3d(2, 3, 4)
        assert len(s2) == 2 and 1 <= s2[0] <= 3 and 1 <= s2[1] <= 4
        assert len(s3) == 3 and all(1 <= d <= m for d, m in zip(s3, (2, 3, 4)))
    assert 0 in {test_utils.rand_shape_2d(1, 1, allow_zero_size=True)[0] for _ in range(40)}
    a = test_utils.random_arrays((2, 3))
    assert isinstance(a, np.ndarray) and a.shape == (2, 3) and a.dtype == np.float32
    b, c = test_utils.random_arrays((4,), ())
    assert b.shape == (4,) and c.shape == ()


def test_same_array_and_assert_exception():
    x = nd.zeros((2, 3))
    assert test_utils.same_array(x, x)
    assert not test_utils.same_array(x, x.copy())
    np.testing.assert_array_equal(x.asnumpy(), 0)
    test_utils.assert_exception(nd.LRN, TypeError, x)
    with pytest.raises(AssertionError, match='did not raise'):
        test_utils.assert_exception(nd.ones, ValueError, (2,))


def test_assert_almost_equal_keywords():
    test_utils.assert_almost_equal(np.ones(3), np.ones(3), use_broadcast=False, mismatches=(5, 5))
    with pytest.raises(AssertionError):
        test_utils.assert_almost_equal(np.ones(3), np.zeros(3), use_broadcast=True)


def test_check_symbolic_forward_and_backward():
    x, w = mx.sym.var('x'), mx.sym.var('w')
    s = mx.sym.broadcast_mul(x, w) + x
    xv = np.random.RandomState(0).uniform(-1, 1, (2, 3))
    wv = np.random.RandomState(1).uniform(-1, 1, (2, 3))
    outs = test_utils.check_symbolic_forward(s, [xv, wv], [xv * wv + xv], rtol=1e-5, atol=1e-6)
    assert outs[0].shape == (2, 3)
    head = np.ones((2, 3))
    grads = test_utils.check_symbolic_backward(s, {'x': xv, 'w': wv}, [head],
                                               {'x': wv + 1, 'w': xv}, rtol=1e-5, atol=1e-6)
    assert set(grads) == {'x', 'w'}
    with pytest.raises(AssertionError):
        test_utils.check_symbolic_forward(s, [xv, wv], [xv], rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError):
        test_utils.check_symbolic_backward(s, [xv, wv], [head], [wv, xv + 1], rtol=1e-5, atol=1e-6)
    grads = test_utils.check_symbolic_backward(s, [xv, wv], [head], {'x': wv + 1},
                                               grad_req={'x': 'write', 'w': 'null'})
    assert set(grads) == {'x'}


def test_dataloader_accepts_auto_reload():
    ds = mx.gluon.data.ArrayDataset(np.arange(6, dtype=np.float32))
    batches = [b.asnumpy() for b in mx.gluon.data.DataLoader(ds, batch_size=4, auto_reload=True)]
    np.testing.assert_array_equal(np.concatenate(batches), np.arange(6))


def test_check_symbolic_returns_ndarrays_and_compares_with_a_single_value():
    """MXNet 1.9.1 returns the executor's NDArrays and compares a (1,) output with a () value,
    and an array with a number (found by a breaker)."""
    x = mx.sym.var('x')
    grads = test_utils.check_symbolic_backward(mx.sym.sin(x), {'x': np.array([0.3])}, [np.ones(1)],
                                               {'x': np.cos([0.3])})
    assert isinstance(grads['x'], mx.nd.NDArray)
    np.testing.assert_allclose(grads['x'].asnumpy(), np.cos([0.3]), rtol=1e-6)
    outs = test_utils.check_symbolic_forward(mx.sym.sum(x), {'x': np.array([0.5, 0.75])},
                                             [np.array(1.25)])
    assert isinstance(outs[0], mx.nd.NDArray) and outs[0].shape == (1,)
    test_utils.assert_allclose(np.ones((2, 3)), 1.0)
    with pytest.raises(AssertionError):
        test_utils.assert_allclose(np.ones((2, 3)), 2.0)
    with pytest.raises(ValueError):       # other shapes must still be equal
        test_utils.assert_almost_equal(np.ones((2, 3)), np.ones(3))
