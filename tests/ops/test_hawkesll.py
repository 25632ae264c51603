"""nd.contrib.hawkesll (minigluon/ops/hawkes.py) against MXNet 1.9.1 (tools/gen_legacy_ops_fixtures.py),
a direct per-event evaluation of the log likelihood written here, and numerical gradients."""
import math
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal, check_gradient

FIX = np.load(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'legacy_ops', 'hawkesll.npz'))
ORDER = ('lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time')


@pytest.mark.parametrize('key', [str(k) for k in FIX['cases']])
def test_hawkesll_matches_mxnet(key):
    arrays = [nd.array(FIX['%s_%s' % (key, n)], dtype=FIX['%s_%s' % (key, n)].dtype) for n in ORDER]
    for a in arrays[:3]:
        a.attach_grad()
    with autograd.record():
        ll, state = nd.contrib.hawkesll(*arrays)
    assert_almost_equal(ll, FIX[key + '_loglike'], rtol=1e-5, atol=1e-5)
    assert_almost_equal(state, FIX[key + '_out_state'], rtol=1e-5, atol=1e-6)
    ll.backward(nd.array(FIX[key + '_head']))
    for name, a in zip(ORDER, arrays[:3]):
        assert_almost_equal(a.grad, FIX['%s_grad_%s' % (key, name)], rtol=1e-4, atol=1e-5)


def reference(lda, alpha, beta, state, lags, marks, valid, max_time):
    """The log likelihood from its definition: at each event the log of the intensity
    lda + alpha * beta * (state0 * e^{-beta t} + sum of e^{-beta (t - t_i)} over earlier events
    of the same mark), minus the integral of the intensity over (0, max_time]."""
    n, k = lda.shape
    out, final = np.zeros(n), np.zeros((n, k))
    for i in range(n):
        times = np.cumsum(lags[i, :int(math.ceil(valid[i]))])
        ms = marks[i, :len(times)]
        ll = 0.0
        for j, (t, m) in enumerate(zip(times, ms)):
            past = times[:j][ms[:j] == m]
            memory = state[i, m] * np.exp(-beta[m] * t) + np.exp(-beta[m] * (t - past)).sum()
            ll += np.log(lda[i, m] + alpha[m] * beta[m] * memory)
        for m in range(k):
            past = times[ms == m]
            integral = lda[i, m] * max_time[i] + alpha[m] * (
                state[i, m] * (1 - np.exp(-beta[m] * max_time[i]))
                + (1 - np.exp(-beta[m] * (max_time[i] - past))).sum())
            ll -= integral
            final[i, m] = (state[i, m] * np.exp(-beta[m] * max_time[i])
                           + np.exp(-beta[m] * (max_time[i] - past)).sum())
        out[i] = ll
    return out, final


def _inputs(seed=0):
    rng = np.random.RandomState(seed)
    n, t, k = 3, 5, 2
    return [rng.uniform(0.5, 2, (n, k)), rng.uniform(0.1, 0.8, k), rng.uniform(0.5, 3, k),
            rng.uniform(0, 1, (n, k)), rng.uniform(0.05, 1, (n, t)),
            rng.randint(0, k, (n, t)).astype(np.int32), np.array([5, 1.5, 0]),
            rng.uniform(4, 5, n)]


def test_hawkesll_is_the_definition_in_float64():
    ins = _inputs()
    ll, state = nd.contrib.hawkesll(*[nd.array(a, dtype=a.dtype) for a in ins])
    want_ll, want_state = reference(*ins)
    assert ll.dtype == np.float64
    assert_almost_equal(ll, want_ll, rtol=1e-12, atol=1e-12)
    assert_almost_equal(state, want_state, rtol=1e-12, atol=1e-12)


def test_hawkesll_gradients_of_both_outputs_are_exact():
    ins = _inputs(1)
    fixed = [nd.array(a, dtype=a.dtype) for a in ins[4:]]
    weights = nd.array(np.arange(1, 7).reshape(3, 2), dtype='float64')

    def fn(lda, alpha, beta, state):
        ll, out_state = nd.contrib.hawkesll(lda, alpha, beta, state, *fixed)
        return [ll * nd.array([1.0, -2.0, 0.5], dtype='float64'), out_state * weights]
    check_gradient(fn, ins[:4], rtol=1e-5, atol=1e-7)


def test_hawkesll_graph_and_errors():
    names = ['lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'vl', 'mt']
    out = sym.contrib.hawkesll(*[sym.var(n) for n in names], name='h')
    assert out.list_outputs() == ['h_output', 'h_out_state']      # MXNet 1.9.1's names
    ins = _inputs()
    assert out.infer_shape(**{n: a.shape for n, a in zip(names, ins)})[1] == [(3,), (3, 2)]
    got = CachedOp(sym.load_json(out.tojson()))(*[nd.array(a, dtype=a.dtype) for a in ins])
    assert_almost_equal(got[0], reference(*ins)[0], rtol=1e-12, atol=1e-12)
    arrays = [nd.array(a, dtype=a.dtype) for a in ins]
    with pytest.raises(TypeError, match='marks must be an integer'):
        nd.contrib.hawkesll(*arrays[:5], arrays[5].astype('float32'), *arrays[6:])
    with pytest.raises(ValueError, match='exceeds'):
        nd.contrib.hawkesll(*arrays[:6], nd.array([6, 1, 0], dtype='float64'), arrays[7])
    with pytest.raises(ValueError, match=r'process ids in \[0, K=2\)'):
        nd.contrib.hawkesll(*arrays[:5], arrays[5] + 2, *arrays[6:])
    with pytest.raises(ValueError, match='lda'):
        nd.contrib.hawkesll(arrays[0][:2], *arrays[1:])
