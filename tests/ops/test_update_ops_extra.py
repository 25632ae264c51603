"""``lamb_update_phase1`` / ``lamb_update_phase2``, ``mp_lamb_update_phase1`` /
``mp_lamb_update_phase2`` and ``mp_nag_mom_update`` against MXNet 1.9.1 (random cases recorded
by ``tools/gen_update_ops_extra_fixtures.py`` in ``tests/fixtures/update_ops_extra``): the
result and every input after the call, bit for bit (float16, float32 and float64 weights);
bad inputs that MXNet refuses raise ValueError (shape) or TypeError (dtype) here, as the other
update operators do; LAMB written with the operators equals ``optimizer.LAMB``; the graph form
(auxiliary states and attributes as in MXNet's ``-symbol.json``)."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'update_ops_extra')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)
GOOD = [c for c in CASES if c['error'] is None]
BAD = [c for c in CASES if c['error'] is not None]


@pytest.fixture(scope='module')
def gold():
    return dict(np.load(os.path.join(HERE, 'values.npz')))


def _call(case, gold):
    key = case['key']
    arrs = [nd.array(gold['%s_in%d' % (key, i)], dtype=dt) for i, dt in enumerate(case['dtypes'])]
    kw = dict(case['attrs'])
    if case['out'] == 'weight':
        kw['out'] = arrs[0]
    elif case['out'] == 'new':
        dt = 'float32' if case['op'] == 'mp_lamb_update_phase1' else case['dtypes'][0]
        kw['out'] = nd.zeros(arrs[0].shape, dtype=dt)
    res = getattr(nd, case['op'])(*arrs, **kw)
    if 'out' in kw:
        assert res is kw['out']
    return res, arrs


def _same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_the_fixture_covers_each_operator_and_setting():
    ops = {c['op'] for c in GOOD}
    assert ops == {'lamb_update_phase1', 'lamb_update_phase2', 'mp_lamb_update_phase1',
                   'mp_lamb_update_phase2', 'mp_nag_mom_update'}
    p1 = [c['attrs'] for c in GOOD if 'phase1' in c['op']]
    assert {a.get('bias_correction', True) for a in p1} == {True, False}
    assert any(a.get('clip_gradient', -1) > 0 for a in p1)
    assert any(a.get('wd', 0) > 0 for a in p1)
    p2 = [c['attrs'] for c in GOOD if 'phase2' in c['op']]
    assert any(a.get('lower_bound', -1) >= 0 and a.get('upper_bound', -1) >= 0 for a in p2)
    assert {c['out'] for c in GOOD} == {None, 'weight', 'new'}
    assert {c['dtypes'][0] for c in GOOD if c['op'].startswith('mp_')} == {'float16', 'float32'}


@pytest.mark.parametrize('case', GOOD, ids=[c['key'] for c in GOOD])
def test_matches_mxnet(case, gold):
    res, arrs = _call(case, gold)
    _same(res.asnumpy(), gold[case['key'] + '_res'])
    for i, a in enumerate(arrs):          # the states written in place, the others unchanged
        _same(a.asnumpy(), gold['%s_after%d' % (case['key'], i)])


@pytest.mark.parametrize('case', BAD, ids=[c['key'] for c in BAD])
def test_bad_inputs_are_refused_as_in_mxnet(case, gold):
    # MXNet 1.9.1 raises MXNetError ("Shape inconsistent" / "Type inconsistent" / "r1 shape
    # incorrect"); minigluon's update operators raise ValueError for a shape, TypeError for a dtype
    # (a weight32 of another dtype is a ValueError, 'weight32 must be a float32 array of the
    # shape of weight', as for mp_sgd_update)
    master = case['op'].startswith('mp_') and case['key'].endswith(
        'baddtype%d' % (len(case['dtypes']) - 1))
    err = ValueError if case['error'] == 'shape' or master else TypeError
    names = getattr(mx.sym, case['op']).__signature__.parameters
    with pytest.raises(err) as info:
        _call(case, gold)
    message = str(info.value)
    assert case['op'] in message
    assert any(n in message for n in list(names)[1:6])     # names the offending input


def test_bad_input_messages():
    w, g = nd.ones((2, 3)), nd.ones((2, 3))
    with pytest.raises(ValueError, match=r'r1 must be an array of shape \(1,\).*got shape \(\)'):
        nd.lamb_update_phase2(w, g, nd.array(1.0), nd.array([1.0]), lr=0.1)
    with pytest.raises(TypeError, match='r2 must have dtype float32, got float64'):
        nd.lamb_update_phase2(w, g, nd.array([1.0]), nd.array([1.0], dtype='float64'), lr=0.1)
    with pytest.raises(TypeError, match='weight must be float16'):
        nd.mp_lamb_update_phase1(w, g, w, w, w, t=1, wd=0.0)
    with pytest.raises(TypeError, match="'t'"):
        nd.lamb_update_phase1(w, g, w, w, wd=0.0)
    with pytest.raises(TypeError, match="'wd'"):
        nd.lamb_update_phase1(w, g, w, w, t=1)
    with pytest.raises(ValueError, match='weight32 must be a float32 array'):
        nd.mp_nag_mom_update(w.astype('float16'), g.astype('float16'), w, w.astype('float16'),
                             lr=0.1)
    with pytest.raises(TypeError, match='floating-point'):
        wi = nd.ones((2, 3), dtype='int32')
        nd.lamb_update_phase2(wi, wi, nd.array([1], dtype='int32'), nd.array([1], dtype='int32'),
                              lr=0.1)


@pytest.mark.parametrize('kw', [{}, {'wd': 0.01, 'clip_gradient': 0.3, 'rescale_grad': 0.5},
                                {'bias_correction': False, 'lower_bound': 0.5, 'upper_bound': 2.}])
def test_lamb_optimizer_equals_the_two_phases(kw):
    """optimizer.LAMB runs the operators' kernels: its float32 steps equal phase 1, the norms and
    phase 2 called by hand, bit for bit."""
    rng = np.random.RandomState(1)
    w0 = rng.standard_normal((4, 5)).astype(np.float32)
    grads = rng.standard_normal((3, 4, 5)).astype(np.float32)
    opt = mx.optimizer.LAMB(learning_rate=0.01, **kw)
    w = nd.array(w0)
    state = opt.create_state(0, w)
    for g in grads:
        opt.update(0, w, nd.array(g), state)
    p1 = {k: v for k, v in kw.items() if k in ('wd', 'clip_gradient', 'rescale_grad',
                                                'bias_correction')}
    p1.setdefault('wd', 0.0)
    p2 = {k: v for k, v in kw.items() if k.endswith('_bound')}
    v, mean, var = nd.array(w0), nd.zeros((4, 5)), nd.zeros((4, 5))
    for t, g in enumerate(grads, 1):
        d = nd.lamb_update_phase1(v, nd.array(g), mean, var, t=t, epsilon=1e-6, **p1)
        # the norms as LAMB takes them (nd.norm sums in another order: ~1 ulp apart)
        r1, r2 = (nd.array([np.linalg.norm(a.asnumpy().ravel())]) for a in (v, d))
        nd.lamb_update_phase2(v, d, r1, r2, out=v, lr=0.01, **p2)
    np.testing.assert_array_equal(w.asnumpy(), v.asnumpy())
    np.testing.assert_array_equal(state[0].asnumpy(), mean.asnumpy())


GRAPHS = {   # the attributes of tools/gen_update_ops_extra_fixtures.py's GRAPHS, as Python values
    'lamb_update_phase1': dict(t=3, wd=0.1, beta1=0.8, epsilon=0.001, bias_correction=False,
                               rescale_grad=0.5, clip_gradient=1.0),
    'lamb_update_phase2': dict(lr=0.1, lower_bound=0.5, upper_bound=2.0),
    'mp_lamb_update_phase1': dict(t=3, wd=0.1, beta2=0.99, bias_correction=True),
    'mp_lamb_update_phase2': dict(lr=0.1, lower_bound=0.5),
    'mp_nag_mom_update': dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=2.0, clip_gradient=0.5),
}


@pytest.mark.parametrize('op', sorted(GRAPHS))
def test_graph_json_as_mxnet(op):
    """A one-node graph: ``tojson()`` equals MXNet 1.9.1's for the same graph (op name, attribute
    names and values), and the auxiliary states are MXNet's (phase 2 writes nothing; mp phase 2
    declares ``weight32`` written)."""
    with open(os.path.join(HERE, 'graphs.json')) as f:
        want = json.load(f)[op]
    names = [n['name'] for n in want['json']['nodes'][:-1]]
    s = getattr(mx.sym, op)(*[mx.sym.var(n) for n in names], name=op + '0', **GRAPHS[op])
    assert json.loads(s.tojson()) == want['json']
    assert s.list_arguments() == want['arguments']
    assert s.list_auxiliary_states() == want['auxiliary_states']


def test_graph_dtypes_as_mxnet():
    """Symbolic dtype inference of the multi-precision operators for a float16 weight (MXNet
    1.9.1's infer_type of the graphs above)."""
    v = [mx.sym.var(n) for n in ('w', 'g', 'a', 'b', 'c')]
    f16, f32 = np.float16, np.float32
    s = mx.sym.mp_lamb_update_phase1(*v, t=1, wd=0.0)
    assert s.infer_type(w='float16') == ([f16, f16, f32], [f32], [f32, f32])
    s = mx.sym.mp_lamb_update_phase2(*v, lr=0.1)
    assert s.infer_type(w='float16') == ([f16, f32, f32, f32], [f16], [f32])
    s = mx.sym.mp_nag_mom_update(*v[:4], lr=0.1)
    assert s.infer_type(w='float16') == ([f16, f16], [f16], [f32, f32])
