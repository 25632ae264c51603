"""sym.random (MXNet's nodes and attributes), the _random_*_like operators and nd.random.*_like."""
import json
import os
import re

import numpy as np
import pytest

import minigluon as mx

FIX = json.load(open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'surface4',
                                  'surface4.json')))


def _cases():
    x, y = mx.sym.var('x'), mx.sym.var('y')
    r = mx.sym.random
    return {
        'uniform': lambda: r.uniform(0, 2, shape=(2, 3)),
        'uniform_dtype': lambda: r.uniform(-1, 1, shape=4, dtype='float64'),
        'normal_sym': lambda: r.normal(x, y, shape=(2,)),
        'uniform_sym': lambda: r.uniform(x, y),
        'randn': lambda: r.randn(2, 3),
        'randint': lambda: r.randint(0, 5, shape=(3,)),
        'exponential': lambda: r.exponential(scale=2, shape=(2, 3)),
        'gamma': lambda: r.gamma(2, 3, shape=(2,)),
        'poisson': lambda: r.poisson(4, shape=(2,)),
        'multinomial': lambda: r.multinomial(x),
        'multinomial_noprob': lambda: r.multinomial(x, shape=(3,), get_prob=False),
        'shuffle': lambda: r.shuffle(x),
        'uniform_like': lambda: r.uniform_like(x, low=1, high=2),
        'normal_like': lambda: r.normal_like(x),
        'exponential_like': lambda: r.exponential_like(x, lam=2),
        'gamma_like': lambda: r.gamma_like(x, alpha=2),
        'poisson_like': lambda: r.poisson_like(x, lam=3),
    }


def _strip(name):
    return re.sub(r'\d+$', '', name)


@pytest.mark.parametrize('case', sorted(_cases()))
def test_sym_random_nodes_match_mxnet(case):
    sym = _cases()[case]()
    want = FIX['random_sym'][case]
    got = [n for n in json.loads(sym.tojson())['nodes'] if n['op'] != 'null']
    assert [n['op'] for n in got] == [n['op'] for n in want['nodes']]
    assert [n.get('attrs', {}) for n in got] == [n['attrs'] for n in want['nodes']]
    assert [_strip(n['name']) for n in got] == [_strip(n['name']) for n in want['nodes']]
    assert [_strip(o.rsplit('_output', 1)[0]) + '_output' + o.rsplit('_output', 1)[1]
            for o in sym.list_outputs()] == \
        [_strip(o.rsplit('_output', 1)[0]) + '_output' + o.rsplit('_output', 1)[1]
         for o in want['outputs']]


@pytest.mark.parametrize('dist', ['uniform', 'normal', 'exponential', 'gamma', 'poisson'])
def test_like_shape_inference(dist):
    x = mx.sym.var('x')
    _, out, _ = getattr(mx.sym.random, dist + '_like')(x).infer_shape(x=(3, 4))
    assert [list(s) for s in out] == FIX['like_shapes'][dist + '_like']


def test_nd_like_dtype_shape_and_range():
    a = mx.nd.ones((200, 3), dtype='float64')
    u = mx.nd.random.uniform_like(a, low=2, high=3)
    assert u.dtype == np.dtype(FIX['like_dtype']) and u.shape == a.shape
    assert 2 <= u.asnumpy().min() and u.asnumpy().max() < 3
    p = mx.nd.random.poisson_like(a, lam=3).asnumpy()
    assert np.all(p == np.round(p)) and p.min() >= 0
    assert mx.nd.random.exponential_like(a, lam=2).asnumpy().min() > 0
    assert mx.nd.random.gamma_like(a, alpha=2).asnumpy().min() > 0


def test_nd_like_moments():
    a = mx.nd.zeros((20000,))
    mx.random.seed(3)
    assert abs(mx.nd.random.normal_like(a, loc=1, scale=2).asnumpy().mean() - 1) < 0.1
    assert abs(mx.nd.random.normal_like(a, loc=1, scale=2).asnumpy().std() - 2) < 0.1
    assert abs(mx.nd.random.exponential_like(a, lam=4).asnumpy().mean() - 0.25) < 0.02
    assert abs(mx.nd.random.gamma_like(a, alpha=2, beta=3).asnumpy().mean() - 6) < 0.2
    assert abs(mx.nd.random.poisson_like(a, lam=5).asnumpy().mean() - 5) < 0.1


def test_like_is_seeded_and_not_recorded():
    a = mx.nd.ones((4,))
    a.attach_grad()
    mx.random.seed(7)
    with mx.autograd.record():
        first = mx.nd.random.uniform_like(a) * a
    first.backward()
    mx.random.seed(7)
    second = mx.nd.random.uniform_like(a)
    np.testing.assert_array_equal(first.asnumpy(), second.asnumpy())
    np.testing.assert_array_equal(a.grad.asnumpy(), second.asnumpy())


def test_like_bad_attributes():
    a = mx.nd.ones((2,))
    with pytest.raises(ValueError, match='high'):
        mx.nd.random.uniform_like(a, low=2, high=1)
    with pytest.raises(ValueError, match='lam'):
        mx.nd.random.exponential_like(a, lam=0)
    with pytest.raises(ValueError, match='scale'):
        mx.sym.random.exponential(scale=-1)


def test_sym_random_parameter_errors():
    x = mx.sym.var('x')
    with pytest.raises(TypeError, match='all be Symbols or all numbers'):
        mx.sym.random.uniform(x, 1)
    with pytest.raises(TypeError, match='low must be a number or a Symbol'):
        mx.sym.random.uniform('a', 1)
    with pytest.raises(TypeError, match='_sample_randint'):
        mx.sym.random.randint(x, x)


class _Noisy(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return x + F.random.uniform(shape=(3,)) + F.random.normal_like(x) * 0


def test_hybridized_block_samples_like_eager():
    block = _Noisy()
    block.initialize()
    x = mx.nd.zeros((3,))
    mx.random.seed(11)
    eager = block(x).asnumpy()
    block.hybridize()
    mx.random.seed(11)
    hybrid = block(x).asnumpy()
    assert eager.shape == hybrid.shape == (3,)
    assert np.all((0 <= hybrid) & (hybrid < 1))
    assert 'random' in dir(mx.sym)


def test_sym_random_executes():
    lo, hi = mx.sym.var('lo'), mx.sym.var('hi')
    out = mx.sym.random.uniform(lo, hi, shape=(5,))
    res = out.eval(lo=mx.nd.array([0., 10.]), hi=mx.nd.array([1., 11.]))[0].asnumpy()
    assert res.shape == (2, 5)
    assert np.all((res[0] >= 0) & (res[0] < 1)) and np.all((res[1] >= 10) & (res[1] < 11))


def test_star_import_brings_every_sampler():
    import minigluon.symbol.random as module
    public = sorted(n for n in dir(module) if not n.startswith('_') and callable(getattr(module, n))
                    and getattr(getattr(module, n), '__module__', '') == module.__name__)
    assert sorted(module.__all__) == public
