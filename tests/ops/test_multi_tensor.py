"""The AMP casts, finiteness checks and fused multi-tensor operators against MXNet 1.9.1
(fixtures from tools/gen_multi_tensor_fixtures.py), their gradients against numerical
differentiation, and the Symbol forms against MXNet's JSON."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'multi_tensor')
CASES = json.load(open(os.path.join(FIX, 'cases.json')))
VALUES = np.load(os.path.join(FIX, 'values.npz'))
GRAPHS = json.load(open(os.path.join(FIX, 'graphs.json')))
CAST_TYPES = json.load(open(os.path.join(FIX, 'cast_types.json')))

CONTRIB = {'_multi_adamw_update', '_multi_mp_adamw_update', '_multi_lamb_update',
           '_multi_mp_lamb_update'}


def _call(case, arrays, out):
    from minigluon.ndarray.dispatch import call_op
    return call_op(case['op'], *arrays, out=out, **case['attrs'])


def _run(case):
    key = case['key']
    arrays = [nd.array(VALUES['%s_in%d' % (key, i)], dtype=VALUES['%s_in%d' % (key, i)].dtype)
              for i in range(case['n_in'])]
    out = None
    if case['out']:
        per = (case['n_in'] - len(_tail(case))) // _count(case)
        out = [arrays[i * per] for i in range(_count(case))]
    res = _call(case, arrays, out)
    return arrays, res


def _count(case):
    a = case['attrs']
    return a.get('num_weights') or a.get('num_tensors') or 1


def _tail(case):
    if case['op'].startswith('preloaded'):
        return ['lrs', 'wds']
    return ['rescale_grad'] if 'adamw' in case['op'] else []


def _tol(dtype):
    # float64: MXNet rounds the scalar attributes (and the preloaded rates) to float32 first
    return {'float16': 1e-3, 'float32': 1e-5, 'float64': 1e-7}.get(np.dtype(dtype).name, 0)


@pytest.mark.parametrize('case', [c for c in CASES if not c.get('error')], ids=lambda c: c['key'])
def test_matches_mxnet(case):
    arrays, res = _run(case)
    res = res if isinstance(res, list) else [res]
    key = case['key']
    assert len(res) == case['n_out']
    for j, r in enumerate(res):
        want = VALUES['%s_res%d' % (key, j)]
        assert r.dtype == want.dtype and r.shape == want.shape, (j, r.dtype, want.dtype)
        np.testing.assert_allclose(r.asnumpy(), want, rtol=_tol(want.dtype), atol=_tol(want.dtype))
    for i, a in enumerate(arrays):      # the in-place writes: states, out= weights, reset arrays
        want = VALUES['%s_after%d' % (key, i)]
        np.testing.assert_allclose(a.asnumpy(), want, rtol=_tol(want.dtype), atol=_tol(want.dtype),
                                   err_msg='input %d after the call' % i)


@pytest.mark.parametrize('case', [c for c in CASES if '%s_grad0' % c['key'] in VALUES],
                         ids=lambda c: c['key'])
def test_multicast_gradients_match_mxnet(case):
    """MXNet's gradients of ``sum(outputs * head)``: each head cast back to its input's dtype."""
    key = case['key']
    arrays = [nd.array(VALUES['%s_in%d' % (key, i)], dtype=VALUES['%s_in%d' % (key, i)].dtype)
              for i in range(case['n_in'])]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        outs = nd.amp_multicast(*arrays, **case['attrs'])
    heads = [nd.array(VALUES['%s_res%d' % (key, j)] * 0, dtype=o.dtype) for j, o in enumerate(outs)]
    # the heads MXNet drew are the gradients of the float inputs (cast back); recover them there
    for j, h in enumerate(heads):
        h[:] = nd.array(VALUES['%s_grad%d' % (key, j)]).astype(h.dtype)
    autograd.backward(outs, heads)
    for i, a in enumerate(arrays):
        want = VALUES['%s_grad%d' % (key, i)]
        assert a.grad.dtype == want.dtype
        np.testing.assert_array_equal(a.grad.asnumpy(), want)


@pytest.mark.parametrize('row', CAST_TYPES, ids=lambda r: '%s-%s' % ('_'.join(r[0]), r[1]))
def test_cast_type_rules_match_mxnet(row):
    """The output dtypes of MXNet's type rules, eagerly and through Symbol.infer_type (also for
    the float16/float64 cases whose CPU kernels fail in MXNet 1.9.1: they run here)."""
    in_dtypes, attrs, want = row
    xs = [nd.array(np.arange(1, 4), dtype=d) for d in in_dtypes]
    if 'dtype' in attrs:
        res = [nd.amp_cast(xs[0], **attrs)]
        s = mx.sym.amp_cast(mx.sym.var('x0'), **attrs)
    else:
        res = nd.amp_multicast(*xs, **attrs)
        s = mx.sym.amp_multicast(*[mx.sym.var('x%d' % i) for i in range(len(xs))], **attrs)
    assert [np.dtype(r.dtype).name for r in res] == want
    for r, x in zip(res, xs):
        np.testing.assert_array_equal(r.asnumpy(), x.asnumpy().astype(r.dtype))
    _, outs, _ = s.infer_type(**{'x%d' % i: d for i, d in enumerate(in_dtypes)})
    assert [np.dtype(t).name for t in outs] == want


def test_cases_where_mxnet_fails_work_here():
    """MXNet 1.9.1's CPU kernels fail for float16/float64 casts (``unknown type for MKLDNN``) and
    its float64 multi AdamW refuses a float32 ``rescale_grad``; here they run: the casts give
    NumPy's astype, AdamW the per-tensor ``contrib.adamw_update`` step."""
    failed = [c for c in CASES if c.get('error')]
    assert {c['op'] for c in failed} == {'amp_cast', 'amp_multicast', '_multi_adamw_update'}
    for case in failed:
        arrays, res = _run(case)
        res = res if isinstance(res, list) else [res]
        if case['op'] != '_multi_adamw_update':
            for r in res:
                assert r.shape in [a.shape for a in arrays]
            continue
        key = case['key']
        for i in range(_count(case)):
            w, g, m, v = [nd.array(VALUES['%s_in%d' % (key, 4 * i + j)], dtype='float64')
                          for j in range(4)]
            a = case['attrs']
            want = nd.contrib.adamw_update(w, g, m, v, VALUES['%s_in8' % key][0], lr=a['lrs'][i],
                                           eta=a['etas'][i], wd=a['wds'][i],
                                           clip_gradient=a['clip_gradient'])
            np.testing.assert_array_equal(res[i].asnumpy(), want.asnumpy())


def test_without_out_the_weights_stay_and_states_move():
    """MXNet 1.9.1 fails without out= ('shape must have a valid ndim'); here the results are new
    arrays, the weights are unchanged and the momenta are updated in place."""
    w, g, m = nd.array([1.0, 2.0]), nd.array([0.5, -1.0]), nd.zeros((2,))
    res = nd.multi_sgd_mom_update(w, g, m, lrs=(0.1,), wds=(0.0,), momentum=0.9, num_weights=1)
    assert isinstance(res, mx.nd.NDArray) or len(res) == 1
    res = res if isinstance(res, list) else [res]
    np.testing.assert_array_equal(w.asnumpy(), [1.0, 2.0])
    # by hand: mom = 0.9*0 - 0.1*g; w + mom
    np.testing.assert_allclose(m.asnumpy(), [-0.05, 0.1], rtol=1e-6)
    np.testing.assert_allclose(res[0].asnumpy(), [0.95, 2.1], rtol=1e-6)


def test_amp_cast_gradient_is_numerical():
    x = nd.array(np.random.RandomState(0).standard_normal((3, 2)))
    x.attach_grad()
    head = np.random.RandomState(1).standard_normal((3, 2))
    with autograd.record():
        y = nd.amp_cast(x, dtype='float64')
        z = (y * nd.array(head, dtype='float64')).sum()
    z.backward()
    assert x.grad.dtype == np.float32
    # d/dx sum(float64(x) * head), by central differences in float64
    eps, num = 1e-4, np.zeros((3, 2))
    base = x.asnumpy().astype(np.float64)
    for idx in np.ndindex(3, 2):
        d = np.zeros_like(base)
        d[idx] = eps
        num[idx] = (((base + d) * head).sum() - ((base - d) * head).sum()) / (2 * eps)
    np.testing.assert_allclose(x.grad.asnumpy(), num, rtol=1e-5)


def test_all_finite_init_output_false_accumulates_into_out():
    """As the loss scaler's chunks: with init_output=False a 0 already in out stays 0."""
    flag = nd.ones((1,))
    nd.multi_all_finite(nd.array([1.0, np.inf]), num_arrays=1, init_output=False, out=flag)
    assert flag.asnumpy()[0] == 0
    nd.multi_all_finite(nd.array([1.0, 2.0]), num_arrays=1, init_output=False, out=flag)
    assert flag.asnumpy()[0] == 0
    nd.multi_all_finite(nd.array([1.0, 2.0]), num_arrays=1, out=flag)
    assert flag.asnumpy()[0] == 1


def test_group_adagrad_update_is_the_optimizer_step():
    """MXNet 1.9.1 has no CPU kernel for it; the op and optimizer.GroupAdaGrad (checked against
    MXNet's trajectories in test_optimizer_extra) run one kernel: compare the two, and the
    formula by hand."""
    rs = np.random.RandomState(3)
    w0, g0 = rs.standard_normal((3, 4)).astype('float32'), rs.standard_normal((3, 4)).astype('float32')
    w, g, h = nd.array(w0), nd.array(g0), nd.zeros((3, 1))
    res = nd.contrib.group_adagrad_update(w, g, h, lr=0.1, rescale_grad=0.5, clip_gradient=0.3)
    opt = mx.optimizer.create('groupadagrad', learning_rate=0.1, rescale_grad=0.5,
                              clip_gradient=0.3)
    w2 = nd.array(w0)
    state = opt.create_state(0, w2)
    opt.update(0, w2, nd.array(g0), state)
    np.testing.assert_array_equal(res.asnumpy(), w2.asnumpy())
    np.testing.assert_array_equal(h.asnumpy(), state.asnumpy())
    gc = np.clip(g0 * 0.5, -0.3, 0.3)
    hist = (gc * gc).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(res.asnumpy(), w0 - 0.1 * gc / np.sqrt(hist + 1e-5), rtol=1e-6)
    np.testing.assert_array_equal(w.asnumpy(), w0)      # no out=: the weight is unchanged


@pytest.mark.parametrize('name', sorted(GRAPHS))
def test_symbol_json_matches_mxnet(name):
    """The node MXNet writes (op, attrs, arguments, auxiliary states, output names)."""
    want = GRAPHS[name]
    args = [mx.sym.var(n) for n in want['arguments'] + want['aux']]
    js = json.loads(want['json'])
    node = [n for n in js['nodes'] if n['op'] != 'null'][0]
    # rebuild from MXNet's JSON: the inputs in the node's order
    by_name = {n['name']: i for i, n in enumerate(js['nodes'])}
    order = [js['nodes'][e[0]]['name'] for e in node['inputs']]
    inputs = [args[(want['arguments'] + want['aux']).index(n)] for n in order]
    del by_name
    fn = getattr(mx.sym, name, None) or getattr(mx.sym._internal, name)
    s = fn(*inputs, name=node['name'], **node.get('attrs', {}))
    assert s.list_arguments() == want['arguments']
    assert s.list_auxiliary_states() == want['aux']
    assert s.list_outputs() == want['outputs']
    mine = [n for n in json.loads(s.tojson())['nodes'] if n['op'] != 'null'][0]
    assert mine['op'] == node['op'] and mine.get('attrs', {}) == node.get('attrs', {})


def test_bad_inputs_raise_naming_the_argument():
    w, g = nd.ones((2,)), nd.ones((3,))
    with pytest.raises(ValueError, match='grad_0'):
        nd.multi_sgd_update(w, g, lrs=(0.1,), wds=(0.0,), num_weights=1)
    with pytest.raises(ValueError, match='num_weights'):
        nd.multi_sgd_update(w, w, w, w, lrs=(0.1,), wds=(0.0,), num_weights=1)
    with pytest.raises(ValueError, match='lrs'):
        nd.multi_sgd_update(w, w, lrs=(0.1, 0.2), wds=(0.0,), num_weights=1)
    with pytest.raises(TypeError, match='dtype'):
        nd.multi_sum_sq(w, w.astype('float16'), num_arrays=2)
    with pytest.raises(ValueError, match='num_arrays'):
        nd.multi_all_finite(w, w)


def test_multicast_float16_gradient_comes_back_as_float16():
    """MXNet 1.9.1's CPU backward fails for float16 ('unknown type for MKLDNN'); here the float32
    head of the widened float16 input comes back rounded to float16, the float32 one unchanged."""
    rs = np.random.RandomState(4)
    x, y = nd.array(rs.standard_normal(3), dtype='float16'), nd.array(rs.standard_normal(3))
    heads = [rs.standard_normal(3).astype(np.float32) for _ in range(2)]
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        a, b = nd.amp_multicast(x, y, num_outputs=2)
    assert a.dtype == np.float32 and b.dtype == np.float32
    autograd.backward([a, b], [nd.array(h) for h in heads])
    assert x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad.asnumpy(), heads[0].astype(np.float16))
    np.testing.assert_array_equal(y.grad.asnumpy(), heads[1])


@pytest.mark.parametrize('case', [c for c in CASES if c['op'] in CONTRIB and not c.get('error')],
                         ids=lambda c: c['key'])
def test_contrib_wrappers_match_mxnet(case):
    """``nd.contrib.multi_[mp_]adamw_update`` / ``multi_[mp_]lamb_update`` (lists of tensors, as
    MXNet's Python functions take them) give the recorded results and in-place writes."""
    key, a = case['key'], case['attrs']
    mp = '_mp_' in case['op']
    per = 5 if mp else 4
    n = _count(case)
    raw = [VALUES['%s_in%d' % (key, i)] for i in range(case['n_in'])]
    arrays = [nd.array(r, dtype=r.dtype) for r in raw]
    groups = [arrays[j::per][:n] for j in range(per)]        # weights, grads, mean, var(, w32)
    extra = {k: v for k, v in a.items()
             if k not in ('num_weights', 'num_tensors', 'lrs', 'wds', 'etas', 'learning_rates',
                          'step_count')}
    if 'adamw' in case['op']:
        fn = nd.contrib.multi_mp_adamw_update if mp else nd.contrib.multi_adamw_update
        res = fn(*groups, rescale_grad=float(raw[-1][0]), lrs=a['lrs'], wds=a['wds'],
                 etas=a['etas'], out=groups[0], **extra)
    else:
        fn = nd.contrib.multi_mp_lamb_update if mp else nd.contrib.multi_lamb_update
        res = fn(*groups, step_count=a['step_count'], lrs=a['learning_rates'], wds=a['wds'],
                 out=groups[0], **extra)
    assert len(res) == n
    for i, arr in enumerate(arrays):
        want = VALUES['%s_after%d' % (key, i)]
        np.testing.assert_allclose(arr.asnumpy(), want, rtol=_tol(want.dtype),
                                   atol=_tol(want.dtype))
