import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon import random as mxrand


def test_seed_makes_draws_reproducible():
    mxrand.seed(42)
    a = mxrand.uniform(shape=(5,)).asnumpy()
    b = mxrand.normal(shape=(3,)).asnumpy()
    mxrand.seed(42)
    assert np.array_equal(mxrand.uniform(shape=(5,)).asnumpy(), a)
    assert np.array_equal(mxrand.normal(shape=(3,)).asnumpy(), b)
    mxrand.seed(43)
    assert not np.array_equal(mxrand.uniform(shape=(5,)).asnumpy(), a)


def test_seed_single_context_and_bad_seed():
    mxrand.seed(1, ctx=mx.cpu())
    a = mxrand.uniform(shape=(4,)).asnumpy()
    mxrand.seed(1, ctx=mx.cpu())
    assert np.array_equal(mxrand.uniform(shape=(4,)).asnumpy(), a)
    with pytest.raises(ValueError, match='seed_state'):
        mxrand.seed('x')
    with pytest.raises(ValueError, match='ctx'):
        mxrand.seed(1, ctx='cpu')


def test_generator_is_per_device_and_stable():
    g = mxrand.generator(np)
    assert isinstance(g, np.random.Generator)
    assert mxrand.generator(np) is g


def test_uniform_statistics_shape_dtype():
    mxrand.seed(0)
    x = mxrand.uniform(-2, 3, shape=(20000,))
    assert x.shape == (20000,) and x.dtype == np.float32 and x.context == mx.cpu()
    v = x.asnumpy()
    assert v.min() >= -2 and v.max() < 3
    assert abs(v.mean() - 0.5) < 0.05
    assert abs(v.var() - 25 / 12.) < 0.1
    assert mxrand.uniform(shape=(2, 3), dtype='float64').dtype == np.float64
    assert mxrand.uniform(shape=(2,), dtype='float16').dtype == np.float16
    assert mxrand.uniform().shape == (1,)        # MXNet's default shape


def test_normal_statistics():
    mxrand.seed(0)
    v = mxrand.normal(1.5, 2.0, shape=(20000,)).asnumpy()
    assert abs(v.mean() - 1.5) < 0.06
    assert abs(v.std() - 2.0) < 0.06
    r = mxrand.randn(3, 4)
    assert r.shape == (3, 4)


def test_randint_range_and_dtype():
    v = mxrand.randint(3, 7, shape=(1000,))
    assert v.dtype == np.int32
    assert set(np.unique(v.asnumpy())) == {3, 4, 5, 6}
    assert mxrand.randint(0, 2, shape=(3,), dtype='int64').dtype == np.int64
    with pytest.raises(ValueError, match='high'):
        mxrand.randint(5, 5, shape=(2,))


def test_bad_bounds_raise_clear_errors():
    with pytest.raises(ValueError, match='high'):
        mxrand.uniform(2, 1, shape=(2,))
    with pytest.raises(ValueError, match='scale'):
        mxrand.normal(0, -1, shape=(2,))


def test_ndarray_parameters_sample_per_element():
    low = nd.array([0., 10.])
    high = nd.array([1., 11.])
    s = mxrand.uniform(low, high, shape=(500,))
    assert s.shape == (2, 500)
    v = s.asnumpy()
    assert (v[0] >= 0).all() and (v[0] < 1).all() and (v[1] >= 10).all() and (v[1] < 11).all()
    n = mxrand.normal(nd.array([0., 100.]), nd.array([1., 0.]), shape=(300,)).asnumpy()
    assert np.allclose(n[1], 100.) and abs(n[0].mean()) < 0.2


def test_out_argument_and_ctx():
    out = nd.zeros((2, 3))
    res = mxrand.uniform(5, 6, out=out)
    assert res is out and (out.asnumpy() >= 5).all()
    assert mxrand.normal(shape=(2,), ctx=mx.cpu(0)).context == mx.cpu(0)
    with mx.cpu(0):
        assert nd.random_uniform(shape=(2,)).context == mx.cpu(0)


def test_shuffle_is_a_permutation_of_rows():
    x = nd.array(np.arange(20).reshape(10, 2))
    y = mxrand.shuffle(x).asnumpy()
    assert sorted(y[:, 0].tolist()) == list(range(0, 20, 2))
    assert (y[:, 1] == y[:, 0] + 1).all()
    assert x.asnumpy()[0, 0] == 0      # input untouched


def test_multinomial_frequencies_and_logprob():
    mxrand.seed(3)
    p = nd.array([[0.2, 0.8], [1.0, 0.0]])
    s, logp = mxrand.multinomial(p, shape=4000, get_prob=True)
    assert s.shape == (2, 4000) and s.dtype == np.int32
    v = s.asnumpy()
    assert abs(v[0].mean() - 0.8) < 0.03
    assert (v[1] == 0).all()
    assert np.allclose(logp.asnumpy()[0], np.log(np.where(v[0] == 1, 0.8, 0.2)), atol=1e-6)
    single = mxrand.multinomial(nd.array([0.5, 0.5]))
    assert single.shape == (1,)      # MXNet never returns a 0-d sample


@pytest.mark.parametrize('row', [[0.5, -0.5, 1.0], [0.5, np.nan, 0.5], [0.0, 0.0, 0.0]])
def test_multinomial_refuses_rows_that_are_not_distributions(row):
    # MXNet 1.9.1 draws from them all the same (minigluon drew indices too)
    with pytest.raises(ValueError, match='non-negative probabilities'):
        nd.sample_multinomial(nd.array([[0.2, 0.3, 0.5], row]), shape=3)


def test_samplers_are_not_differentiable():
    x = nd.ones((3,))
    x.attach_grad()
    low, high = nd.zeros((2,)), nd.ones((2,))
    low.attach_grad()
    high.attach_grad()
    with autograd.record():
        u = mxrand.uniform(shape=(3,))
        y = x * u
        s = nd.sample_uniform(low, high)
    y.backward()
    # the sample is a constant to autograd: d(x * u)/dx = u
    np.testing.assert_array_equal(x.grad.asnumpy(), u.asnumpy())
    s.backward()
    assert low.grad.asnumpy().tolist() == [0, 0] and high.grad.asnumpy().tolist() == [0, 0]
    assert s.shape == (2,) and ((s.asnumpy() >= 0) & (s.asnumpy() < 1)).all()


def test_sampler_output_dtypes_for_type_inference():
    from minigluon.ops import get_op
    assert get_op('_random_randint')(low=0, high=2).infer_type([])[1] == [np.dtype('int32')]
    assert get_op('_random_normal')(dtype='float64').infer_type([])[1] == [np.dtype('float64')]
    assert get_op('_sample_multinomial')(get_prob=True).infer_type([None])[1] == \
        [np.dtype('int32'), np.dtype('float32')]


def test_multinomial_log_probability_gradient_is_count_over_probability():
    """MXNet 1.9.1 back-propagates the log-probabilities of ``get_prob=True`` (REINFORCE): each
    class gets the head gradients of the draws that chose it, divided by its probability (found
    missing by a breaker session)."""
    from minigluon import autograd
    p = nd.array([[.2, .3, .5], [.5, .5, 0.]])
    p.attach_grad()
    with autograd.record():
        idx, logp = nd.random.multinomial(p, shape=50, get_prob=True)
    head = np.random.RandomState(0).rand(2, 50).astype(np.float32)
    logp.backward(nd.array(head))
    draws = idx.asnumpy()
    want = np.zeros((2, 3))
    for r in range(2):
        for k in range(50):
            want[r, draws[r, k]] += head[r, k] / p.asnumpy()[r, draws[r, k]]
    np.testing.assert_allclose(p.grad.asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(logp.asnumpy(), np.log(np.take_along_axis(p.asnumpy(), draws, 1)),
                               rtol=1e-6)


def test_mixing_number_and_ndarray_parameters_is_a_type_error():
    with pytest.raises(TypeError, match='random.uniform: low, high must all be numbers or all be '
                                        'NDArrays, got NDArray, int'):
        nd.random.uniform(nd.array([0., 1.]), 1, shape=(2,))
    with pytest.raises(TypeError, match='random.normal: loc, scale'):
        nd.random.normal(0, nd.array([1., 2.]))
