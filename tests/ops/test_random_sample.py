"""Samplers with NDArray parameters (minigluon/ops/random_sample.py: ``nd.random.gamma(alpha=
NDArray, ...)``, ``nd.sample_gamma`` ...) and the negative binomial ``_like`` samplers.

Draws cannot match MXNet's random streams: the MXNet 1.9.1 fixture
(tools/gen_random_pdf_fixtures.py, samplers.json) gives the output shapes and dtypes and the
``-symbol.json`` nodes; the distributions are checked statistically against the parameters
(SciPy KS tests and moment checks under a fixed seed).
"""
import json
import os
import re

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd, sym

try:
    from scipy import stats
except ImportError:         # SciPy is optional: minigluon runs on NumPy alone
    stats = None
needs_scipy = pytest.mark.skipif(stats is None, reason='needs SciPy (its KS and chi-square tests)')

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'random_pdf', 'samplers.json')
with open(FIX) as _f:
    CALLS = json.load(_f)['calls']


def _resolve(ns, path):
    for part in path.split('.'):
        ns = getattr(ns, part)
    return ns


def _params(call):
    nb = call['path'] in ('random.negative_binomial', 'sample_negative_binomial')
    values = [0.5 if nb and i == 1 else 1.5 for i in range(len(call['param_shapes']))]
    return [nd.full(tuple(s), v, dtype=call['param_dtype'])
            for s, v in zip(call['param_shapes'], values)]


def _kwargs(call):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in call['kwargs'].items()}


@pytest.mark.parametrize('call', CALLS, ids=['%s-%d' % (c['path'], i) for i, c in enumerate(CALLS)])
def test_shapes_dtypes_and_json_match_mxnet(call):
    out = _resolve(nd, call['path'])(*_params(call), **_kwargs(call))
    assert out.shape == tuple(call['out_shape'])
    assert np.dtype(out.dtype).name == call['out_dtype']
    graph = json.loads(_resolve(sym, call['path'])(
        *[sym.var('p%d' % i) for i in range(len(call['param_shapes']))], **_kwargs(call)).tojson())
    nodes = [[n['op'], re.sub(r'\d+$', '', n['name']), n.get('attrs', {})]
             for n in graph['nodes'] if n['op'] != 'null']
    assert nodes == [[op, re.sub(r'\d+$', '', name), attrs] for op, name, attrs in call['nodes']]


def _draws(fn, *params, n=4000):
    mx.random.seed(11)
    return fn(*[nd.array(p, dtype='float64') for p in params], shape=(n,)).asnumpy()


@needs_scipy
def test_exponential_gamma_follow_their_distributions():
    scale = np.array([0.5, 2.0])
    s = _draws(nd.random.exponential, scale)
    assert s.shape == (2, 4000) and s.dtype == np.float32
    for i in range(2):
        assert stats.kstest(s[i], 'expon', args=(0, scale[i])).pvalue > 1e-3
    assert stats.kstest(s[0], 'expon', args=(0, scale[1])).pvalue < 1e-6     # the test can fail
    alpha, beta = np.array([[0.5, 3.0]]), np.array([[2.0, 0.5]])
    g = _draws(nd.random.gamma, alpha, beta)
    assert g.shape == (1, 2, 4000)
    for j in range(2):
        assert stats.kstest(g[0, j], 'gamma', args=(alpha[0, j], 0, beta[0, j])).pvalue > 1e-3
    assert stats.kstest(g[0, 0], 'gamma', args=(alpha[0, 1], 0, beta[0, 1])).pvalue < 1e-6


@pytest.mark.parametrize('name, params, mean, var', [
    ('poisson', ([0.0, 0.7, 6.0],), lambda lam: lam, lambda lam: lam),
    ('negative_binomial', ([1.0, 2.5, 4.0], [0.3, 0.6, 1.0]),
     lambda k, p: k * (1 - p) / p, lambda k, p: k * (1 - p) / p ** 2),
    ('generalized_negative_binomial', ([0.5, 3.0, 2.0], [0.0, 0.4, 1.5]),
     lambda mu, a: mu, lambda mu, a: mu + a * mu * mu),
])
def test_count_samplers_moments_and_integer_values(name, params, mean, var):
    params = [np.array(p) for p in params]
    s = _draws(getattr(nd.random, name), *params, n=20000)
    assert s.shape == (3, 20000) and s.dtype == np.float32
    assert (s == np.round(s)).all() and (s >= 0).all()
    want_mean, want_var = mean(*params), var(*params)
    # five standard errors of the mean; the variance within 10% (+0.02 for zero variance)
    assert (np.abs(s.mean(axis=1) - want_mean) <= 5 * np.sqrt(want_var / 20000) + 1e-9).all(), \
        (s.mean(axis=1), want_mean)
    assert (np.abs(s.var(axis=1) - want_var) <= 0.1 * want_var + 0.02).all(), \
        (s.var(axis=1), want_var)


@needs_scipy
def test_poisson_matches_its_pmf():
    s = _draws(nd.random.poisson, np.array([3.0]), n=20000)[0]
    observed = np.bincount(s.astype(int), minlength=15)[:15]
    expected = stats.poisson.pmf(np.arange(15), 3.0) * 20000
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_seed_reproduces_draws_and_dtype_shape_attributes():
    lam = nd.array([1.0, 4.0])
    for fn, args in [(nd.random.exponential, (lam,)), (nd.random.gamma, (lam, lam)),
                     (nd.random.poisson, (lam,)),
                     (nd.random.negative_binomial, (lam, nd.array([0.3, 0.5]))),
                     (nd.random.generalized_negative_binomial, (lam, lam))]:
        mx.random.seed(3)
        a = fn(*args, shape=(2, 3), dtype='float64')
        mx.random.seed(3)
        b = fn(*args, shape=(2, 3), dtype='float64')
        assert a.shape == (2, 2, 3) and a.dtype == np.float64
        assert np.array_equal(a.asnumpy(), b.asnumpy())
        assert not np.array_equal(fn(*args, shape=(2, 3)).asnumpy(), a.asnumpy().astype('f4'))
    mx.random.seed(3)
    a = nd.sample_gamma(lam, lam, shape=4).asnumpy()
    mx.random.seed(3)
    assert np.array_equal(nd.random.gamma(lam, lam, shape=4).asnumpy(), a)


def test_out_argument_with_ndarray_parameters():
    out = nd.zeros((2, 5))
    res = nd.random.poisson(nd.array([2.0, 3.0]), shape=5, out=out)
    assert res is out and out.asnumpy().sum() > 0


def test_negative_binomial_like_samplers():
    mx.random.seed(5)
    data = nd.zeros((100, 100), dtype='float64')
    s = nd.random.negative_binomial_like(data, k=3, p=0.4).asnumpy()
    assert s.shape == (100, 100) and s.dtype == np.float64
    assert abs(s.mean() - 3 * 0.6 / 0.4) < 0.15
    g = nd.random.generalized_negative_binomial_like(data, mu=2.0, alpha=0.5).asnumpy()
    assert abs(g.mean() - 2.0) < 0.1 and abs(g.var() - 4.0) < 0.5
    mx.random.seed(5)
    assert np.array_equal(nd.random_negative_binomial_like(data, k=3, p=0.4).asnumpy(), s)
    with pytest.raises(ValueError, match='p'):
        nd.random.negative_binomial_like(data, k=3, p=0.0)
    with pytest.raises(ValueError, match='alpha'):
        nd.random.generalized_negative_binomial_like(data, mu=1.0, alpha=-1.0)


def test_bad_parameters_raise_errors_naming_them():
    with pytest.raises(ValueError, match='_sample_exponential: every lam must be positive'):
        nd.random.exponential(nd.array([1.0, -1.0]))
    with pytest.raises(ValueError, match='every beta must be positive, got 0'):
        nd.random.gamma(nd.array([1.0]), nd.array([0.0]))
    with pytest.raises(ValueError, match='every lam must be non-negative'):
        nd.sample_poisson(nd.array([-0.5]))
    with pytest.raises(ValueError, match=r'every p must be in \(0, 1\]'):
        nd.random.negative_binomial(nd.array([1.0]), nd.array([0.0]))
    with pytest.raises(ValueError, match='every mu must be non-negative'):
        nd.random.generalized_negative_binomial(nd.array([np.nan]), nd.array([1.0]))
    with pytest.raises(ValueError, match='alpha, beta must all have one shape'):
        nd.random.gamma(nd.ones(2), nd.ones(3))
    with pytest.raises(TypeError, match='must all be numbers or all be NDArrays'):
        nd.random.gamma(nd.ones(2), 1.0)
    with pytest.raises(TypeError, match='all be Symbols or all numbers'):
        sym.random.negative_binomial(sym.var('k'), 0.5)


def test_hybridized_block_samples_with_symbol_parameters():
    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, alpha, beta):
            return F.random.gamma(alpha, beta, shape=(3,)) + F.random.exponential(beta, shape=3)

    net = Net()
    alpha, beta = nd.array([1.0, 2.0]), nd.array([0.5, 1.0])
    assert net(alpha, beta).shape == (2, 3)
    net.hybridize()
    out = net(alpha, beta)
    assert out.shape == (2, 3) and (out.asnumpy() > 0).all()
    s = sym.random.poisson(sym.var('lam'), shape=(4,))
    assert s.infer_shape(lam=(2, 3))[1] == [(2, 3, 4)]
    assert s.infer_type(lam=np.float64)[1] == [np.float32]


LIKE_PARAMS = [('uniform', (10.0, 11.0)), ('normal', (5.0, 0.1)), ('exponential', (100.0,)),
               ('gamma', (50.0, 2.0)), ('poisson', (50.0,)), ('negative_binomial', (50, 0.5)),
               ('generalized_negative_binomial', (50.0, 0.1))]


@pytest.mark.parametrize('dist,values', LIKE_PARAMS)
def test_like_samplers_bind_positional_parameters_in_mxnet_order(dist, values):
    # breaker17: MXNet 1.9.1's nd.random.normal_like(data, loc, scale, out, name) takes its
    # parameters by position; minigluon's took none (TypeError), and exponential_like(x, 100.)
    # bound 100. to out ("'float' object does not support item assignment")
    names = {'uniform': ('low', 'high'), 'normal': ('loc', 'scale'), 'exponential': ('lam',),
             'gamma': ('alpha', 'beta'), 'poisson': ('lam',), 'negative_binomial': ('k', 'p'),
             'generalized_negative_binomial': ('mu', 'alpha')}[dist]
    data = nd.zeros((50,))
    fn = getattr(nd.random, dist + '_like')
    mx.random.seed(3)
    by_position = fn(data, *values).asnumpy()
    mx.random.seed(3)
    by_keyword = fn(data, **dict(zip(names, values))).asnumpy()
    assert np.array_equal(by_position, by_keyword)
    sym_fn = getattr(mx.sym.random, dist + '_like')
    node = sym_fn(mx.sym.var('d'), *values)
    assert node.attr_dict()[node.name] == {k: str(v) for k, v in zip(names, values)}
    mx.random.seed(3)
    assert np.array_equal(node.eval(d=data)[0].asnumpy(), by_keyword)


def test_like_samplers_positional_errors():
    with pytest.raises(TypeError, match='at most 4 positional'):
        nd.random.normal_like(nd.zeros((2,)), 0.0, 1.0, None, None, 5)
    with pytest.raises(TypeError, match="multiple values for argument 'loc'"):
        nd.random.normal_like(nd.zeros((2,)), 0.0, loc=1.0)
    out = nd.zeros((3,))
    assert nd.random.uniform_like(nd.zeros((3,)), 2.0, 3.0, out) is out
    assert (out.asnumpy() >= 2).all()
