"""The density operators (minigluon/ops/random_pdf.py): ``nd.random_pdf_normal`` ...

MXNet 1.9.1 golden values and gradients (inside each support) come from
tools/gen_random_pdf_fixtures.py; the SciPy references below are independent, and cover the
support's edges and the degenerate parameters where minigluon deliberately differs from MXNet.
Float64 numerical gradients and eager-against-graph runs are in the operator sweep
(tests/ops/op_cases.py).
"""
import json
import os
import re

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.test_utils import assert_almost_equal

try:
    from scipy import stats
except ImportError:         # SciPy is optional: minigluon runs on NumPy alone
    stats = None
needs_scipy = pytest.mark.skipif(stats is None, reason='needs SciPy (scipy.stats is the reference)')

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'random_pdf')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(FIX, 'values.npz'))
IDS = ['%s-%s' % (c['dist'], c['key']) for c in CASES]


def _pdf(dist, *arrays, **kw):
    return getattr(nd, 'random_pdf_' + dist)(*arrays, **kw)


def _with_grads(dist, inputs, head=None, **kw):
    arrays = [nd.array(x, dtype=x.dtype) for x in inputs]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        out = _pdf(dist, *arrays, **kw)
    out.backward(None if head is None else nd.array(head, dtype=head.dtype))
    return out.asnumpy(), [a.grad.asnumpy() for a in arrays]


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_mxnet_golden_values_and_gradients(case):
    key = case['key']
    inputs = [VALUES['%s_in%d' % (key, i)] for i in range(case['n_in'])]
    out, grads = _with_grads(case['dist'], inputs, VALUES[key + '_head'], **case['attrs'])
    want = VALUES[key + '_out']
    assert out.dtype == want.dtype and out.shape == want.shape
    # float16: MXNet computes in half precision, minigluon in float64 then rounds
    tol, scale = (2e-2, 1.0) if case['dtype'] == 'float16' else (1e-4, 1e-2)
    assert_almost_equal(out, want, rtol=tol, atol=tol * scale, names=('minigluon', 'mxnet'))
    for i, g in enumerate(grads):
        w = VALUES['%s_grad%d' % (key, i)]
        assert g.dtype == w.dtype and g.shape == w.shape
        assert_almost_equal(g, w, rtol=tol, atol=tol * scale * max(1, np.abs(w).max()),
                            names=('minigluon grad %d' % i, 'mxnet grad %d' % i))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_exported_json_node_matches_mxnet(case):
    inputs = [sym.var('in%d' % i) for i in range(case['n_in'])]
    graph = json.loads(getattr(sym, 'random_pdf_' + case['dist'])(*inputs, **case['attrs'])
                       .tojson())
    node = graph['nodes'][-1]
    assert node['op'] == case['json_op']
    assert re.sub(r'\d+$', '', node['name']) == re.sub(r'\d+$', '', case['json_name'])
    assert node.get('attrs', {}) == case['json_attrs']


# -- independent references (SciPy, float64) ------------------------------------------------------

RNG = np.random.RandomState(5)


def _scalar_refs():
    """(dist, sample, params, scipy log-density of sample given params broadcast on the draws)."""
    x = RNG.uniform(-0.5, 4, (3, 5))
    n = RNG.randint(-1, 8, (3, 5)).astype(np.float64)
    a, b = RNG.uniform(0.5, 3, 3), RNG.uniform(0.5, 2, 3)
    p = RNG.uniform(0.1, 0.9, 3)
    col = lambda v: v[:, None]          # noqa: E731
    return [
        ('normal', x, (a - 1, b), stats.norm.logpdf(x, col(a - 1), col(b))),
        ('uniform', x, (a - 1, a + b), stats.uniform.logpdf(x, col(a - 1), col(b + 1))),
        ('exponential', x, (a,), stats.expon.logpdf(x, scale=1 / col(a))),
        ('gamma', x, (a, b), stats.gamma.logpdf(x, col(a), scale=1 / col(b))),
        ('poisson', n, (a,), stats.poisson.logpmf(n, col(a))),
        ('negative_binomial', n, (a, p), stats.nbinom.logpmf(n, col(a), col(p))),
        ('generalized_negative_binomial', n, (a, p),
         stats.nbinom.logpmf(n, 1 / col(p), 1 / (1 + col(p) * col(a)))),
    ]


@needs_scipy
@pytest.mark.parametrize('ref', _scalar_refs() if stats is not None else [None],
                         ids=lambda r: r[0] if isinstance(r, str) else '')
def test_against_scipy_including_outside_the_support(ref):
    dist, x, params, want = ref
    args = [nd.array(v, dtype='float64') for v in (x,) + params]
    with np.errstate(divide='ignore'):
        assert_almost_equal(_pdf(dist, *args, is_log=True).asnumpy(), want, rtol=1e-10,
                            atol=1e-10)
        assert_almost_equal(_pdf(dist, *args).asnumpy(), np.exp(want), rtol=1e-10, atol=1e-12)


@needs_scipy
def test_dirichlet_against_scipy():
    alpha = RNG.uniform(0.5, 3, (2, 4))
    x = np.stack([RNG.dirichlet(a, size=3) for a in alpha])          # (2, 3, 4)
    got = _pdf('dirichlet', nd.array(x, dtype='float64'), nd.array(alpha, dtype='float64'),
               is_log=True).asnumpy()
    want = [[stats.dirichlet.logpdf(x[i, j], alpha[i]) for j in range(3)] for i in range(2)]
    assert got.shape == (2, 3)
    assert_almost_equal(got, np.array(want), rtol=1e-10, atol=1e-10)


def test_outside_the_support_density_zero_and_gradients_zero():
    """MXNet 1.9.1 gives 1/(high-low) outside the uniform's interval, lam*exp(-lam*x) for a
    negative exponential sample and NaN for a negative gamma sample; here the density is 0."""
    for dist, x, params in [('uniform', [-1.0, 3.0], ([0., 0.], [1., 2.])),
                            ('exponential', [-1.0, -0.1], ([2., 1.],)),
                            ('gamma', [-1.0, -2.0], ([2., 0.5], [1., 1.])),
                            ('poisson', [-1.0, -0.5], ([1., 2.],)),
                            ('negative_binomial', [-1.5, -1.0], ([2., 1.], [0.5, 0.3])),
                            ('generalized_negative_binomial', [-1.0, -3.0], ([2., 1.], [.5, 0.]))]:
        inputs = [np.array(x)] + [np.array(p) for p in params]
        for is_log in (False, True):
            out, grads = _with_grads(dist, inputs, is_log=is_log)
            assert (out == (-np.inf if is_log else 0)).all(), (dist, is_log, out)
            for g in grads:
                assert (g == 0).all(), (dist, is_log, grads)
    out, grads = _with_grads('dirichlet', [np.array([[0.5, -0.1, 0.6]]), np.array([1., 2., 3.])])
    assert out.tolist() == [0.0] and not grads[0].any() and not grads[1].any()


def test_degenerate_limits_take_their_values():
    """Cases MXNet 1.9.1 answers with NaN."""
    f64 = lambda v: nd.array(v, dtype='float64')      # noqa: E731
    counts = f64([[0., 1., 2.]])
    assert _pdf('poisson', counts, f64([0.])).asnumpy().tolist() == [[1., 0., 0.]]
    assert _pdf('negative_binomial', counts, f64([2.]), f64([1.])).asnumpy().tolist() == \
        [[1., 0., 0.]]
    assert _pdf('generalized_negative_binomial', counts, f64([0.]), f64([0.5])).asnumpy() \
        .tolist() == [[1., 0., 0.]]
    # alpha=0: the Poisson of mean mu, and the alpha gradient is the limit ((x-mu)^2 - x)/2
    mu = 2.5
    got = _pdf('generalized_negative_binomial', counts, f64([mu]), f64([0.]))
    # the Poisson pmf exp(-mu) mu^k / k! at k = 0, 1, 2
    assert_almost_equal(got, np.exp(-mu) * np.array([[1, mu, mu * mu / 2]]), rtol=1e-12)
    x = np.array([[0., 1., 2., 5.]])
    _, grads = _with_grads('generalized_negative_binomial', [x, np.array([mu]), np.array([0.])],
                           is_log=True)
    eps = 1e-6
    near = _pdf('generalized_negative_binomial', f64(x), f64([mu]), f64([eps]), is_log=True)
    zero = _pdf('generalized_negative_binomial', f64(x), f64([mu]), f64([0.]), is_log=True)
    slope = ((near - zero) / eps).asnumpy().sum()
    assert abs(grads[2][0] - (((x - mu) ** 2 - x) / 2).sum()) < 1e-12
    assert abs(grads[2][0] - slope) < 1e-3 * abs(slope)
    # gamma with alpha=1 is the exponential: density beta at 0
    assert_almost_equal(_pdf('gamma', f64([[0.]]), f64([1.]), f64([3.])), 3.0, rtol=1e-12)


def test_invalid_parameters_give_nan():
    f64 = lambda v: nd.array(v, dtype='float64')      # noqa: E731
    x = f64([[0.5, 1.0]])
    for dist, params in [('normal', ([0.], [-1.])), ('normal', ([0.], [0.])),
                         ('uniform', ([1.], [0.])), ('exponential', ([0.],)),
                         ('gamma', ([0.], [1.])), ('gamma', ([1.], [-1.])), ('poisson', ([-1.],)),
                         ('negative_binomial', ([0.], [0.5])),
                         ('negative_binomial', ([1.], [1.5])),
                         ('generalized_negative_binomial', ([-1.], [0.5]))]:
        for is_log in (False, True):
            out = _pdf(dist, x, *[f64(p) for p in params], is_log=is_log).asnumpy()
            assert np.isnan(out).all(), (dist, params, out)
    out = _pdf('dirichlet', f64([[0.5, 0.5]]), f64([1., 0.]))
    assert np.isnan(out.asnumpy()).all()


def test_shapes_draws_and_output():
    mu, sigma = nd.zeros((2, 3)), nd.ones((2, 3))
    assert _pdf('normal', nd.ones((2, 3)), mu, sigma).shape == (2, 3)
    assert _pdf('normal', nd.ones((2, 3, 4, 5)), mu, sigma).shape == (2, 3, 4, 5)
    assert _pdf('dirichlet', nd.ones((2, 5, 3)) / 3, nd.ones((2, 3))).shape == (2, 5)
    assert _pdf('dirichlet', nd.ones((3,)) / 3, nd.ones((3,))).shape == (1,)   # never 0-d
    assert _pdf('dirichlet', nd.ones((4, 3)) / 3, nd.ones((3,))).shape == (4,)
    s = sym.random_pdf_normal(sym.var('x'), sym.var('m'), sym.var('s'))
    _, outs, _ = s.infer_shape(x=(2, 7), m=(2,))
    assert outs == [(2, 7)]
    d = sym.random_pdf_dirichlet(sym.var('x'), sym.var('a'))
    assert d.infer_shape(x=(2, 7, 3), a=(2, 3))[1] == [(2, 7)]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='sample must have shape'):
        _pdf('normal', nd.ones((3, 2)), nd.zeros(2), nd.ones(2))
    with pytest.raises(ValueError, match='mu, sigma must all have one shape'):
        _pdf('normal', nd.ones((2, 3)), nd.zeros(2), nd.ones(3))
    with pytest.raises(ValueError, match=r'alpha.shape\[:-1\]'):
        _pdf('dirichlet', nd.ones((2, 5, 4)), nd.ones((2, 3)))
    with pytest.raises(TypeError, match='sample must be a floating-point'):
        _pdf('poisson', nd.array([[1, 2]], dtype='int32'), nd.ones(1, dtype='int32'))
    with pytest.raises(TypeError, match='lam has dtype float64 but sample has float32'):
        _pdf('exponential', nd.ones((1, 2)), nd.ones(1, dtype='float64'))


def test_hybridized_block_and_export_round_trip(tmp_path):
    from minigluon import gluon

    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x, mu, sigma):
            return F.random_pdf_normal(x, mu, sigma, is_log=True)

    net = Net()
    x, mu, sigma = nd.array(RNG.randn(2, 3)), nd.array([0., 1.]), nd.array([1., 2.])
    eager = net(x, mu, sigma).asnumpy()
    net.hybridize()
    assert_almost_equal(net(x, mu, sigma), eager, rtol=1e-6)
    net.export(str(tmp_path / 'pdf'))
    graph = json.load(open(str(tmp_path / 'pdf-symbol.json')))
    assert [n['op'] for n in graph['nodes'] if n['op'] != 'null'] == ['_random_pdf_normal']
    back = gluon.SymbolBlock.imports(str(tmp_path / 'pdf-symbol.json'), ['data0', 'data1', 'data2'])
    assert_almost_equal(back(x, mu, sigma), eager, rtol=1e-6)
