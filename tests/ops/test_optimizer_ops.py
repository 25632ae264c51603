"""The optimizer update operators (``nd.sgd_update``, ``adam_update``... MXNet 1.9.1): three steps
with ``out=weight`` equal MXNet's float32 results bit for bit (tests/fixtures/surface5/updates.npz,
tools/gen_surface5_fixtures.py); the optimizer classes run the same kernels; ``out`` and in-place
state semantics; errors."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.optimizer import SGD, Adam, Signum

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'surface5')


@pytest.fixture(scope='module')
def gold():
    return dict(np.load(os.path.join(HERE, 'updates.npz')))


with open(os.path.join(HERE, 'surface5.json')) as _f:
    META = json.load(_f)['updates']


@pytest.mark.parametrize('key', sorted(k for k in META if not k.startswith('mp_')))
def test_update_matches_mxnet_bit_for_bit(gold, key):
    meta = META[key]
    w = nd.array(gold[key + '_w0'])
    states = [nd.array(gold['%s_s%d_0' % (key, i)]) for i in range(meta['n_states'])]
    fn = getattr(nd, meta['op'])
    for step in range(3):
        kw = dict(meta['attrs'], t=step + 1) if meta['op'] == 'ftml_update' else meta['attrs']
        res = fn(w, nd.array(gold[key + '_grads'][step]), *states, out=w, **kw)
        assert res is w
    np.testing.assert_array_equal(w.asnumpy(), gold[key + '_w'])
    for i, s in enumerate(states):
        np.testing.assert_array_equal(s.asnumpy(), gold['%s_s%d' % (key, i)])


@pytest.mark.parametrize('key', ['mp_sgd_update_0', 'mp_sgd_mom_update_0'])
def test_multi_precision_sgd_matches_mxnet(gold, key):
    meta = META[key]
    w = nd.array(gold[key + '_w0'], dtype='float16')
    w32 = w.astype('float32')
    states = [nd.zeros((3, 4)) for _ in range(meta['n_states'])]
    for step in range(3):
        getattr(nd, meta['op'])(w, nd.array(gold[key + '_grads'][step], dtype='float16'),
                                *states, w32, out=w, **meta['attrs'])
    assert w.dtype == np.float16
    np.testing.assert_array_equal(w32.asnumpy(), gold[key + '_w32'])
    np.testing.assert_array_equal(w.asnumpy(), gold[key + '_w'])


def _run_class(opt, w0, grads):
    w = nd.array(w0)
    state = opt.create_state(0, w)
    for g in grads:
        opt.update(0, w, nd.array(g), state)
    return w.asnumpy()


def test_optimizer_classes_and_operators_agree():
    rng = np.random.RandomState(0)
    w0 = rng.uniform(-1, 1, (5,)).astype(np.float32)
    grads = rng.uniform(-1, 1, (3, 5)).astype(np.float32)
    got = _run_class(SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5,
                         clip_gradient=0.2), w0, grads)
    w, mom = nd.array(w0), nd.zeros((5,))
    for g in grads:
        nd.sgd_mom_update(w, nd.array(g), mom, out=w, lr=0.1, momentum=0.9, wd=0.01,
                          rescale_grad=0.5, clip_gradient=0.2)
    np.testing.assert_array_equal(got, w.asnumpy())
    got = _run_class(Signum(learning_rate=0.1, momentum=0.5, wd=0.01), w0, grads)
    w, mom = nd.array(w0), nd.zeros((5,))
    for g in grads:
        nd.signum_update(w, nd.array(g), mom, out=w, lr=0.1, momentum=0.5, wd=0.01)
    np.testing.assert_array_equal(got, w.asnumpy())
    # Adam's class folds the bias correction into the rate given to adam_update
    opt = Adam(learning_rate=0.01, wd=0.01)
    got = _run_class(opt, w0, grads)
    w, mean, var = nd.array(w0), nd.zeros((5,)), nd.zeros((5,))
    for t, g in enumerate(grads, 1):
        lr = 0.01 * np.sqrt(1. - 0.999 ** t) / (1. - 0.9 ** t)
        nd.adam_update(w, nd.array(g), mean, var, out=w, lr=lr, wd=0.01)
    np.testing.assert_array_equal(got, w.asnumpy())


def test_without_out_weight_is_kept_and_states_change():
    w, g, mom = nd.array([1., 2.]), nd.array([0.5, -1.]), nd.zeros((2,))
    new = nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9)
    np.testing.assert_array_equal(w.asnumpy(), [1., 2.])
    np.testing.assert_allclose(mom.asnumpy(), [-0.05, 0.1], rtol=1e-6)
    np.testing.assert_allclose(new.asnumpy(), [0.95, 2.1], rtol=1e-6)
    # a negative clip_gradient means no clipping; 0 clips every gradient to 0 (MXNet's kernel)
    np.testing.assert_array_equal(nd.sgd_update(w, g, lr=1.0, clip_gradient=0).asnumpy(), [1., 2.])


@pytest.mark.parametrize('op,extra', [('sgd_update', 0), ('adam_update', 2), ('rmsprop_update', 1)])
def test_a_nan_clip_gradient_means_no_clipping(op, extra):
    """MXNet's kernels clip only when ``clip_gradient >= 0``: NaN is "off", like a negative
    bound (a breaker session found NaN weights here, and the GPU's fused Adam unclipped)."""
    def update(clip):
        w, g = nd.array([1., -2., 3.]), nd.array([0.5, -0.25, 4.])
        states = [nd.zeros((3,)) for _ in range(extra)]
        kw = {} if clip is None else {'clip_gradient': clip}
        return getattr(nd, op)(w, g, *states, lr=0.1, **kw).asnumpy()
    got = update(float('nan'))
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got, update(None))
    np.testing.assert_array_equal(update(-1.0), update(None))


def test_update_errors():
    w = nd.ones((2, 3))
    with pytest.raises(TypeError, match="'lr'"):
        nd.sgd_update(w, w)
    with pytest.raises(ValueError, match='mom must have the shape of weight'):
        nd.sgd_mom_update(w, w, nd.zeros((3,)), lr=0.1)
    with pytest.raises(TypeError, match="'t'"):
        nd.ftml_update(w, w, w, w, w, lr=0.1)
    with pytest.raises(ValueError, match='weight32 must be a float32'):
        nd.mp_sgd_update(w.astype('float16'), w.astype('float16'), w.astype('float16'), lr=0.1)


def test_symbol_lists_states_as_auxiliary():
    s = mx.sym.adam_update(mx.sym.var('w'), mx.sym.var('g'), mx.sym.var('m'), mx.sym.var('v'),
                           lr=0.1)
    assert s.list_arguments() == ['w', 'g']
    assert s.list_auxiliary_states() == ['m', 'v']


def test_nag_momentum_reads_the_old_weight_unless_out_is_the_weight():
    # MXNet 1.9.1's kernel writes the output first, then the momentum from the weight input: with
    # out=weight (the optimizer's call) it reads the new weight, otherwise the old one.
    w0, g0, m0 = np.array([1., 2., -3.]), np.array([0.3, -1.1, 2.7]), np.array([0.1, 0.2, 0.3])
    lr, wd, m = 0.1, 0.01, 0.9
    new_w = w0 - m * m0 + (m + 1) * (m * m0 - lr * (g0 + wd * w0))
    for out in (None, nd.zeros((3,))):
        w, mom = nd.array(w0), nd.array(m0)
        res = nd.nag_mom_update(w, nd.array(g0), mom, out=out, lr=lr, wd=wd, momentum=m)
        np.testing.assert_allclose(res.asnumpy(), new_w, rtol=1e-6)
        np.testing.assert_allclose(mom.asnumpy(), m * m0 - lr * (g0 + wd * w0), atol=1e-7)
        np.testing.assert_array_equal(w.asnumpy(), w0.astype(np.float32))
    w, mom = nd.array(w0), nd.array(m0)
    nd.nag_mom_update(w, nd.array(g0), mom, out=w, lr=lr, wd=wd, momentum=m)
    np.testing.assert_allclose(mom.asnumpy(), m * m0 - lr * (g0 + wd * new_w), atol=1e-7)


@pytest.mark.parametrize('op, n_states', [('sgd_update', 0), ('sgd_mom_update', 1),
                                          ('adam_update', 2), ('ftrl_update', 2)])
def test_update_dtypes_must_match_the_weight(op, n_states):
    # MXNet 1.9.1: 'Incompatible attr ... expected float32, got float64'; integer weights:
    # 'This operation only support floating point types'
    fn = getattr(nd, op)
    w = nd.ones((2, 3))
    with pytest.raises(TypeError, match='grad must have the dtype of weight'):
        fn(w, w.astype('float64'), *[nd.zeros((2, 3)) for _ in range(n_states)], lr=0.1)
    if n_states:
        with pytest.raises(TypeError, match='must have the dtype of weight'):
            fn(w, w, *[nd.zeros((2, 3), dtype='float16') for _ in range(n_states)], lr=0.1)
    wi = nd.ones((2, 3), dtype='int32')
    with pytest.raises(TypeError, match='floating-point'):
        fn(wi, wi, *[wi.copy() for _ in range(n_states)], lr=0.1)
