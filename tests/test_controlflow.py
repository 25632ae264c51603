"""Control flow: nd/sym.contrib.foreach, while_loop, cond against MXNet 1.9.1 (fixtures made by
tools/gen_controlflow_fixtures.py), hybridized against eager, export/imports, gradients, errors."""
import ast
import os
import re
import warnings

import numpy as np
import pytest

from minigluon import autograd, current_context, gluon, nd, sym
from minigluon.base import MXNetFormatError
from minigluon.executor import CachedOp
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal, check_gradient

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'controlflow')
EAGER = np.load(os.path.join(FIX, 'eager.npz'))
NET = np.load(os.path.join(FIX, 'net.npz'))
NET_JSON = os.path.join(FIX, 'foreach_net-symbol.json')
NET_PARAMS = os.path.join(FIX, 'foreach_net-0000.params')
TOL = dict(rtol=1e-5, atol=1e-6)


def _vars(*arrays):
    out = [nd.array(a) for a in arrays]
    for v in out:
        v.attach_grad()
    return out


# -- eager, against MXNet -------------------------------------------------------------------------------
def test_foreach_ndarray_data_matches_mxnet():
    f = {k[3:]: EAGER[k] for k in EAGER.files if k.startswith('f1_')}
    x, h = _vars(f['x'], f['h'])
    with autograd.record():
        outs, states = nd.contrib.foreach(
            lambda d, s: (nd.tanh(d * s[0] + d), [s[0] * 0.5 + nd.sigmoid(d)]), x, [h])
        loss = (outs * nd.array(f['wo'])).sum() + (states[0] * nd.array(f['ws'])).sum()
    loss.backward()
    assert isinstance(outs, nd.NDArray) and isinstance(states, list)
    for got, key in ((outs, 'out'), (states[0], 'state'), (x.grad, 'gx'), (h.grad, 'gh')):
        assert_almost_equal(got.asnumpy(), f[key], **TOL)


def _nested_body(d, s):
    p, q = d
    (u,), v = s
    o1 = p * u + q
    o2 = nd.exp(q) * v
    return [o1, o2], [[u + o1], v * p]


def test_foreach_list_data_nested_states_match_mxnet():
    f = {k[3:]: EAGER[k] for k in EAGER.files if k.startswith('f2_')}
    a, b, s1, s2 = _vars(f['a'], f['b'], f['s1'], f['s2'])
    with autograd.record():
        (o1, o2), ((u,), v) = nd.contrib.foreach(_nested_body, [a, b], [[s1], s2])
        loss = (o1 * 2).sum() + (o2 * 3).sum() + (u * u).sum() + v.sum()
    loss.backward()
    for got, key in ((o1, 'o1'), (o2, 'o2'), (u, 'u'), (v, 'v'), (a.grad, 'ga'), (b.grad, 'gb'),
                     (s1.grad, 'gs1'), (s2.grad, 'gs2')):
        assert_almost_equal(got.asnumpy(), f[key], **TOL)


def test_while_loop_docstring_example_matches_mxnet():
    outs, states = nd.contrib.while_loop(lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]),
                                         (nd.array([0]), nd.array([1])), max_iterations=10)
    assert isinstance(outs, list) and len(outs) == 1 and outs[0].shape == (10, 1)
    assert_almost_equal(outs[0].asnumpy()[:6], EAGER['w1_out'])
    assert np.all(outs[0].asnumpy()[6:] == 0)      # padding: zeros (MXNet: uninitialised)
    assert_almost_equal(states[0].asnumpy(), EAGER['w1_i'])
    assert_almost_equal(states[1].asnumpy(), EAGER['w1_s'])


def test_while_loop_gradient_matches_mxnet():
    z, = _vars(EAGER['w2_z'])
    with autograd.record():
        outs, (k, acc) = nd.contrib.while_loop(
            lambda k, acc: k < 3, lambda k, acc: (acc * 2, [k + 1, nd.sin(acc) + acc * z]),
            [nd.array([0]), z * 1], max_iterations=5)
        loss = (outs[:3] * nd.arange(9).reshape((3, 3))).sum() + acc.sum()
    loss.backward()
    assert outs.shape == (5, 3)                      # a single step output stays an NDArray
    assert_almost_equal(outs.asnumpy()[:3], EAGER['w2_out'], **TOL)
    assert_almost_equal(acc.asnumpy(), EAGER['w2_acc'], **TOL)
    assert_almost_equal(k.asnumpy(), EAGER['w2_k'])
    assert_almost_equal(z.grad.asnumpy(), EAGER['w2_gz'], **TOL)


def test_while_loop_no_step_and_single_loop_var():
    x = nd.array([3.0])
    outs, final = nd.contrib.while_loop(lambda v: v < 0, lambda v: (v, v + 1), x, max_iterations=4)
    assert outs == [] and final is x
    outs, final = nd.contrib.while_loop(lambda v: v < 5, lambda v: (None, v + 1), x,
                                        max_iterations=nd.array([10]))
    assert outs == [] and final.asscalar() == 5


@pytest.mark.parametrize('tag,c', [('c1', 1.0), ('c0', -1.0)])
def test_cond_matches_mxnet(tag, c):
    p, = _vars(EAGER[tag + '_p'])
    with autograd.record():
        out = nd.contrib.cond(nd.array([c]) > 0, lambda: nd.exp(p) * 2, lambda: p * p - 1)
        out.backward()
    assert_almost_equal(out.asnumpy(), EAGER[tag + '_out'], **TOL)
    assert_almost_equal(p.grad.asnumpy(), EAGER[tag + '_gp'], **TOL)


# -- hybridized foreach ----------------------------------------------------------------------------------
def _generator_models():
    """``Net``, ``CondNet``, ``WhileNet``: the ``MODELS_SRC`` of tools/gen_controlflow_fixtures.py
    (the source it runs against MXNet), run here against minigluon's gluon."""
    path = os.path.join(os.path.dirname(__file__), '..', 'tools', 'gen_controlflow_fixtures.py')
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    src = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
               and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['MODELS_SRC'])
    namespace = {'gluon': gluon}
    exec(src, namespace)
    return namespace['Net'], namespace['CondNet'], namespace['WhileNet']


Net, CondNet, WhileNet = _generator_models()


def _run(net, x, h, wo):
    x, h = _vars(x, h)
    params = net.collect_params()
    with autograd.record():
        outs, state = net(x, h)
        loss = (outs * nd.array(wo)).sum() + state.sum()
    loss.backward()
    grads = {name.split('_')[-1]: p.grad().asnumpy() for name, p in params.items()}
    return outs.asnumpy(), state.asnumpy(), x.grad.asnumpy(), h.grad.asnumpy(), grads


def _mxnet_net(cls=Net):
    net = cls(prefix='net_')
    net.initialize()
    net.load_parameters(NET_PARAMS, ctx=current_context())
    return net


def test_hybridized_equals_eager_and_mxnet():
    net = _mxnet_net()
    eager = _run(net, NET['x'], NET['h'], NET['wo'])
    net.hybridize()
    hybrid = _run(net, NET['x'], NET['h'], NET['wo'])
    for e, g in zip(eager[:4], hybrid[:4]):
        assert_almost_equal(g, e, rtol=1e-6, atol=1e-7)
    for key in ('weight', 'bias'):
        assert_almost_equal(hybrid[4][key], eager[4][key], rtol=1e-6, atol=1e-7)
    for got, key in zip(hybrid[:4], ('out', 'state', 'gx', 'gh')):
        assert_almost_equal(got, NET[key], **TOL)
    assert_almost_equal(hybrid[4]['weight'], NET['gw'], **TOL)
    assert_almost_equal(hybrid[4]['bias'], NET['gb'], **TOL)


def _normalised(text):
    return re.sub(r'"__subgraph_name__": "foreach\d+"', '"__subgraph_name__": "foreachN"', text)


def test_export_matches_mxnet_json_and_round_trips(tmp_path):
    net = _mxnet_net()
    net.hybridize()
    outs, state = net(nd.array(NET['x']), nd.array(NET['h']))
    prefix = str(tmp_path / 'mine')
    net.export(prefix)
    with open(prefix + '-symbol.json') as f:
        mine = f.read()
    with open(NET_JSON) as f:
        theirs = f.read()
    assert _normalised(mine) == _normalised(theirs)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        back = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data0', 'data1'],
                                         prefix + '-0000.params', ctx=current_context())
    o2, s2 = back(nd.array(NET['x']), nd.array(NET['h']))
    assert_almost_equal(o2.asnumpy(), outs.asnumpy())
    assert_almost_equal(s2.asnumpy(), state.asnumpy())


def test_mxnet_json_loads_byte_identical_and_infers_shapes():
    with open(NET_JSON) as f:
        text = f.read()
    s = sym.load_json(text)
    assert s.tojson() == text
    assert s.list_outputs() == ['net__foreach0_output0', 'net__foreach0_output1']
    args, outs, _ = s.infer_shape(data0=(5, 2, 4), data1=(2, 3))
    assert dict(zip(s.list_arguments(), args))['net_dense0_weight'] == (3, 4)
    assert outs == [(5, 2, 3), (2, 3)]


@pytest.mark.parametrize('hybridize', [False, True])
def test_mxnet_model_imports_gives_mxnet_numbers(hybridize):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        net = gluon.SymbolBlock.imports(NET_JSON, ['data0', 'data1'], NET_PARAMS, ctx=current_context())
    if hybridize:
        net.hybridize()
    got = _run(net, NET['x'], NET['h'], NET['wo'])
    for g, key in zip(got[:4], ('out', 'state', 'gx', 'gh')):
        assert_almost_equal(g, NET[key], **TOL)
    assert_almost_equal(got[4]['weight'], NET['gw'], **TOL)


def test_deferred_init_through_the_body():
    class Lazy(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.dense = gluon.nn.Dense(3)

        def hybrid_forward(self, F, x, h):
            return F.contrib.foreach(lambda d, s: (self.dense(d) + s, self.dense(d) * s), x, h)
    net = Lazy()
    net.initialize()
    net.hybridize()
    outs, state = net(nd.ones((4, 2, 5)), nd.ones((2, 3)))
    assert net.dense.weight.shape == (3, 5) and outs.shape == (4, 2, 3) and state.shape == (2, 3)


def _foreach_graph(n_out=1):
    def body(d, s):
        a, b = s
        y = sym.tanh(d * a) + b * sym.var('w')
        outs = [y, d * b][:n_out]
        return outs, [a * 0.5 + y, sym.sin(b) + d]
    outs, states = sym.contrib.foreach(body, sym.var('x'), [sym.var('a'), sym.var('b')])
    return sym.Group(outs + states)


def test_symbolic_gradient_float64():
    graph = _foreach_graph(n_out=2)
    op = CachedOp(graph)
    names = graph.list_inputs()
    assert sorted(names) == ['a', 'b', 'w', 'x']
    shapes = {'x': (3, 2), 'a': (2,), 'b': (2,), 'w': (2,)}
    rng = np.random.RandomState(1)
    values = [rng.uniform(-1, 1, size=shapes[n]) for n in names]
    check_gradient(lambda *arrays: op(*arrays), values)


def test_symbolic_matches_eager_with_closure_input():
    graph = _foreach_graph()
    rng = np.random.RandomState(2)
    vals = {n: rng.uniform(-1, 1, size=s) for n, s in
            {'x': (3, 2), 'a': (2,), 'b': (2,), 'w': (2,)}.items()}
    got = CachedOp(graph)(*[nd.array(vals[n]) for n in graph.list_inputs()])
    w = nd.array(vals['w'])

    def body(d, s):
        a, b = s
        y = nd.tanh(d * a) + b * w
        return [y], [a * 0.5 + y, nd.sin(b) + d]
    (y,), (a, b) = nd.contrib.foreach(body, nd.array(vals['x']), [nd.array(vals['a']), nd.array(vals['b'])])
    for g, e in zip(got, (y, a, b)):
        assert_almost_equal(g.asnumpy(), e.asnumpy(), rtol=1e-6, atol=1e-7)


def test_symbolic_outputs_state_passthrough_and_outside_entry():
    x, h = sym.var('x'), sym.var('h')
    pre = sym.relu(h, name='pre')          # computed outside the body: becomes an input
    outs, states = sym.contrib.foreach(lambda d, s: ([], [s[0] + d + pre]), x, [h])
    assert outs == [] and len(states) == 1
    sub = states[0]._outputs[0][0].state['subgraphs'][0]
    assert 'pre_output' in sub.list_inputs()
    res = CachedOp(states[0])(*[nd.ones((2, 3)) if n == 'x' else -nd.ones((3,))
                                for n in states[0].list_inputs()])
    assert_almost_equal(res[0].asnumpy(), np.ones(3))       # -1 + 1 + 1 + relu(-1)


# -- errors ----------------------------------------------------------------------------------------------
def test_errors_name_the_argument():
    x, h = nd.ones((3, 2)), nd.zeros((2,))
    with pytest.raises(TypeError, match='body must be a Python function'):
        nd.contrib.foreach(3, x, [h])
    with pytest.raises(TypeError, match=r'body must return a pair \(outputs, states\)'):
        nd.contrib.foreach(lambda d, s: d, x, [h])
    with pytest.raises(ValueError, match='states structured like init_states'):
        nd.contrib.foreach(lambda d, s: (d, s[0]), x, [h])
    with pytest.raises(ValueError, match='same length along axis 0'):
        nd.contrib.foreach(lambda d, s: (d[0], s), [x, nd.ones((4, 2))], [h])
    with pytest.raises(TypeError, match='data must be a NDArray'):
        nd.contrib.foreach(lambda d, s: (d, s), np.ones(3), [h])
    with pytest.raises(ValueError, match='length 0'):
        nd.contrib.foreach(lambda d, s: (d, s), nd.ones((0, 2)), [h])
    with pytest.raises(ValueError, match='max_iterations should be specified'):
        nd.contrib.while_loop(lambda v: v < 1, lambda v: (v, v), [h])
    with pytest.raises(TypeError, match='cond must be a Python function'):
        nd.contrib.while_loop(None, lambda v: (v, v), [h], max_iterations=2)
    with pytest.raises(ValueError, match='returned 2 loop variables, expected 1'):
        nd.contrib.while_loop(lambda v: v.sum() < 1, lambda v: (v, [v, v]), [h], max_iterations=2)
    with pytest.raises(ValueError, match='scalar'):
        nd.contrib.while_loop(lambda v: v, lambda v: (v, v), [x], max_iterations=2)
    with pytest.raises(TypeError, match='else_func must be a Python function'):
        nd.contrib.cond(nd.array([1]), lambda: x, 'no')
    with pytest.raises(ValueError, match='cond: pred must be a scalar'):
        nd.contrib.cond(x, lambda: x, lambda: x)


def test_symbolic_errors():
    x, h = sym.var('x'), sym.var('h')
    with pytest.raises(ValueError, match='data arrays have to be used'):
        sym.contrib.foreach(lambda d, s: (s[0] * 2, [s[0] + 1]), x, [h])
    with pytest.raises(ValueError, match='structured like init_states'):
        sym.contrib.foreach(lambda d, s: (d, s[0] + d), x, [h])
    with pytest.raises(TypeError, match='body must be a Python function'):
        sym.contrib.foreach('body', x, [h])


def test_foreach_json_without_subgraph_is_a_format_error():
    with open(NET_JSON) as f:
        text = f.read()
    start = text.index(', \n      "subgraphs"')
    end = text.index('\n    }\n  ], \n  "arg_nodes"')
    with pytest.raises(MXNetFormatError, match='needs its body under "subgraphs"'):
        sym.load_json(text[:start] + text[end:])
    broken = text.replace('"in_state_locs": "[3]"', '"in_state_locs": "[7]"')
    with pytest.raises(MXNetFormatError, match='location'):
        sym.load_json(broken)


def test_nested_foreach_matches_mxnet_json_and_eager():
    def inner(d, s):
        return d * s[0], [s[0] + d.sum()]

    def outer(d, s):
        o, st = sym.contrib.foreach(inner, d, [s[0]])
        return o, [st[0] * 2]
    with NameManager():                 # node names counted from 0, as in the generator
        o, st = sym.contrib.foreach(outer, sym.var('x'), [sym.var('h')])
    graph = sym.Group([o, st[0]])
    with open(os.path.join(FIX, 'nested-symbol.json')) as f:
        theirs = f.read()
    strip = (lambda t: re.sub(r'foreach\d+(\$foreach\d+)?"', 'foreachN"', t))
    assert strip(graph.tojson()) == strip(theirs)
    x, h = np.random.RandomState(3).rand(2, 3, 4), np.array([0.5])
    got = CachedOp(sym.load_json(theirs))(nd.array(x), nd.array(h))

    def outer_e(d, s):
        oe, se = nd.contrib.foreach(lambda dd, ss: (dd * ss[0], [ss[0] + dd.sum()]), d, [s[0]])
        return oe, [se[0] * 2]
    oe, se = nd.contrib.foreach(outer_e, nd.array(x), [nd.array(h)])
    assert_almost_equal(got[0].asnumpy(), oe.asnumpy())
    assert_almost_equal(got[1].asnumpy(), se[0].asnumpy())



def test_infer_shape_partial_through_the_body():
    # _foreach gave nothing at all as soon as one shape was unknown; MXNet 1.9.1 infers what
    # the body determines (here the weight and both outputs from the data alone), and the state
    # too: the element-wise add in the body gives the unknown operand its partner's shape.
    s = sym.load(NET_JSON)
    names = s.list_arguments()
    full = s.infer_shape(**{names[0]: tuple(NET['x'].shape), names[1]: tuple(NET['h'].shape)})
    args, outs, _ = s.infer_shape_partial(**{names[0]: tuple(NET['x'].shape)})
    assert outs == full[1]
    assert args == full[0]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert s.infer_shape() == (None, None, None)


def test_infer_type_takes_the_output_dtypes_from_the_body():
    # A body that casts: the outputs are float16 whatever the data's dtype (they were given
    # the data's dtype, so a float64 graph claimed float64 outputs).
    out, state = sym.contrib.foreach(lambda d, s: (sym.cast(d, dtype='float16'), [s[0] + d]),
                                     sym.var('x'), [sym.var('h')])
    args, outs, _ = sym.Group([out, state[0]]).infer_type(x=np.float64)
    assert args == [np.float64, np.float64]
    assert outs == [np.float16, np.float64]


def test_fractional_location_in_json_is_a_format_error():
    with open(NET_JSON) as f:
        text = f.read()
    assert '"in_data_locs": "[0]"' in text
    with pytest.raises(MXNetFormatError, match='in_data_locs'):
        sym.load_json(text.replace('"in_data_locs": "[0]"', '"in_data_locs": "[0.5]"'))


# -- symbolic cond and while_loop (the _cond and _while_loop nodes) ---------------------------------------
COND = np.load(os.path.join(FIX, 'cond_net.npz'))
WHILE = np.load(os.path.join(FIX, 'while_net.npz'))


def _norm_sub(text):
    return re.sub(r'"(cond_pred|cond_then|cond_else|while_loop_cond|while_loop_func)\d+"', r'"\1N"', text)


def _loaded(cls, name):
    net = cls(prefix='net_')
    net.initialize()
    net.load_parameters(os.path.join(FIX, name + '-0000.params'), ctx=current_context())
    return net


def _run_cond(net, tag):
    x, y = _vars(COND[tag + '_x'], COND[tag + '_y'])
    net.collect_params().zero_grad()
    with autograd.record():
        out = net(x, y)
        loss = (out * nd.array(COND[tag + '_wo'])).sum()
    loss.backward()
    params = list(net.collect_params().values())
    return [out.asnumpy(), x.grad.asnumpy(), y.grad.asnumpy()] + [p.grad().asnumpy() for p in params]


def _run_while(net):
    x, i0 = _vars(WHILE['x'], np.zeros(1, dtype=np.float32))
    with autograd.record():
        outs, i, s = net(x, i0)
        loss = (outs[:3] * nd.array(WHILE['wo'])).sum() + (s * nd.array(WHILE['ws'])).sum()
    loss.backward()
    params = list(net.collect_params().values())
    return [outs.asnumpy(), i.asnumpy(), s.asnumpy(), x.grad.asnumpy(), i0.grad.asnumpy()] + \
        [p.grad().asnumpy() for p in params]


COND_KEYS = ('_out', '_gx', '_gy', '_gw', '_gb')
WHILE_KEYS = ('out', 'i', 's', 'gx', 'gi', 'gw', 'gb')


@pytest.mark.parametrize('tag', ['then', 'else'])
def test_cond_hybridized_equals_eager_and_mxnet(tag):
    # MXNet 1.9.1 cannot differentiate this hybridized _cond (its backward fails in storage
    # type inference): its gradients are recorded from the eager form, the outputs from the node
    net = _loaded(CondNet, 'cond_net')
    eager = _run_cond(net, tag)
    net.hybridize()
    hybrid = _run_cond(net, tag)
    for e, h, key in zip(eager, hybrid, COND_KEYS):
        assert_almost_equal(h, e, rtol=1e-6, atol=1e-7)
        assert_almost_equal(h, COND[tag + key], **TOL)
    if tag == 'else':                      # the weights are not read: zero gradient
        assert not hybrid[3].any() and not hybrid[4].any()


def test_cond_export_matches_mxnet_and_imports(tmp_path):
    net = _loaded(CondNet, 'cond_net')
    net.hybridize()
    net(nd.array(COND['then_x']), nd.array(COND['then_y']))
    prefix = str(tmp_path / 'mine')
    net.export(prefix)
    with open(prefix + '-symbol.json') as f:
        mine = f.read()
    with open(os.path.join(FIX, 'cond_net-symbol.json')) as f:
        theirs = f.read()
    assert _norm_sub(mine) == _norm_sub(theirs)
    assert sym.load_json(theirs).tojson() == theirs


@pytest.mark.parametrize('hybridize', [False, True])
def test_cond_mxnet_model_imports_gives_mxnet_numbers(hybridize):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        net = gluon.SymbolBlock.imports(os.path.join(FIX, 'cond_net-symbol.json'), ['data0', 'data1'],
                                        os.path.join(FIX, 'cond_net-0000.params'), ctx=current_context())
    if hybridize:
        net.hybridize()
    for tag in ('then', 'else'):
        got = _run_cond(net, tag)
        for g, key in zip(got[:3], COND_KEYS):
            assert_almost_equal(g, COND[tag + key], **TOL)
        grads = {name.split('_')[-1]: p.grad().asnumpy() for name, p in net.collect_params().items()}
        assert_almost_equal(grads['weight'], COND[tag + '_gw'], **TOL)


def test_while_loop_hybridized_equals_eager_and_mxnet():
    # MXNet 1.9.1 cannot record this hybridized _while_loop: gradients from its eager form
    net = _loaded(WhileNet, 'while_net')
    eager = _run_while(net)
    net.hybridize()
    hybrid = _run_while(net)
    assert hybrid[0].shape == (5, 2, 3) and not hybrid[0][3:].any()     # zero padding
    for e, h in zip(eager, hybrid):
        assert_almost_equal(h, e, rtol=1e-6, atol=1e-7)
    for h, key in zip([hybrid[0][:3]] + hybrid[1:], WHILE_KEYS):
        assert_almost_equal(h, WHILE[key], **TOL)


def test_while_loop_export_matches_mxnet_and_imports(tmp_path):
    net = _loaded(WhileNet, 'while_net')
    net.hybridize()
    net(nd.array(WHILE['x']), nd.zeros((1,)))
    prefix = str(tmp_path / 'mine')
    net.export(prefix)
    with open(prefix + '-symbol.json') as f:
        mine = f.read()
    with open(os.path.join(FIX, 'while_net-symbol.json')) as f:
        theirs = f.read()
    assert _norm_sub(mine) == _norm_sub(theirs)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        back = gluon.SymbolBlock.imports(os.path.join(FIX, 'while_net-symbol.json'),
                                         ['data0', 'data1'], os.path.join(FIX, 'while_net-0000.params'),
                                         ctx=current_context())
    got = _run_while(back)
    for g, key in zip([got[0][:3]] + got[1:5], WHILE_KEYS):
        assert_almost_equal(g, WHILE[key], **TOL)
    grads = {name.split('_')[-1]: p.grad().asnumpy() for name, p in back.collect_params().items()}
    assert_almost_equal(grads['weight'], WHILE['gw'], **TOL)
    assert_almost_equal(grads['bias'], WHILE['gb'], **TOL)


def _while_cond_graph():
    with NameManager():
        a, w = sym.var('a'), sym.var('w')
        start = sym.relu(a)
        outs, (k, acc) = sym.contrib.while_loop(
            lambda k, acc: (k + w).sum() < 4, lambda k, acc: (acc * w, [k + 1, acc + k * w]),
            [sym.var('k'), start], max_iterations=3)
        res = sym.contrib.cond(acc.sum() > w.sum(), lambda: acc * w, lambda: outs.sum() + a)
    return sym.Group([outs, k, res])


def _while_cond_eager(a, w, k):
    outs, (k, acc) = nd.contrib.while_loop(
        lambda k, acc: (k + w).sum() < 4, lambda k, acc: (acc * w, [k + 1, acc + k * w]),
        [k, nd.relu(a)], max_iterations=3)
    if isinstance(outs, list):             # no step ran: eager gives [], the node zero rows
        outs = nd.zeros((3,) + a.shape, dtype=a.dtype)
    res = nd.contrib.cond(acc.sum() > w.sum(), lambda: acc * w, lambda: outs.sum() + a)
    return outs, k, res


def test_symbolic_while_and_cond_match_mxnet_json_and_eager():
    # an outside variable read by cond and func is two inputs of _while_loop; the loop variable
    # made by relu is named relu0-0; cond shares the variable w between its subgraphs
    graph = _while_cond_graph()
    with open(os.path.join(FIX, 'while_cond-symbol.json')) as f:
        theirs = f.read()
    assert _norm_sub(graph.tojson()) == _norm_sub(theirs)
    loaded = sym.load_json(theirs)
    assert loaded.list_inputs() == ['k', 'w', 'a']
    rng = np.random.RandomState(4)
    for k0 in (0.0, 3.5):                  # three steps / no step (padding only)
        a, w = rng.uniform(-1, 1, size=(2,)), rng.uniform(0, 1, size=(2,))
        k = np.full((2,), k0)
        got = CachedOp(loaded)(nd.array(k), nd.array(w), nd.array(a))
        want = _while_cond_eager(nd.array(a), nd.array(w), nd.array(k))
        for g, e in zip(got, want):
            assert_almost_equal(g.asnumpy(), e.asnumpy(), rtol=1e-6, atol=1e-7)
    args, outs, _ = loaded.infer_shape(k=(2,), w=(2,), a=(2,))
    assert outs == [(3, 2), (2,), (2,)]


@pytest.mark.parametrize('k0', [0.0, 1.2, 3.5])
def test_while_and_cond_gradient_float64(k0):
    graph = _while_cond_graph()
    op = CachedOp(graph)
    rng = np.random.RandomState(5)
    a, w = rng.uniform(0.2, 1, size=(2,)), rng.uniform(0.2, 0.6, size=(2,))
    k = np.full((2,), k0)
    check_gradient(lambda a_, w_: op(nd.array(k, dtype='float64'), w_, a_), [a, w])


def test_cond_gradient_float64_both_branches():
    x, y = sym.var('x'), sym.var('y')
    graph = sym.contrib.cond(sym.sum(x) > 0, lambda: [sym.tanh(x) * y, y],
                             lambda: [sym.sin(x) + y * y, x * 2])
    graph = sym.Group(graph)
    op = CachedOp(graph)
    assert graph.list_inputs() == ['x', 'y']
    rng = np.random.RandomState(6)
    for sign in (1, -1):
        xv, yv = sign * rng.uniform(0.1, 1, size=(3,)), rng.uniform(-1, 1, size=(3,))
        check_gradient(lambda *arrays: op(*arrays), [xv, yv])
        got = op(nd.array(xv), nd.array(yv))
        want = [np.tanh(xv) * yv, yv] if sign > 0 else [np.sin(xv) + yv * yv, xv * 2]
        for g, e in zip(got, want):
            assert_almost_equal(g.asnumpy(), e, rtol=1e-6, atol=1e-7)


def test_while_loop_single_loop_var_and_no_output():
    x = sym.var('x')
    outs, final = sym.contrib.while_loop(lambda v: v.sum() < 10, lambda v: (None, v * 2), x,
                                         max_iterations=nd.array([20]))
    assert outs == [] and isinstance(final, sym.Symbol)
    got = CachedOp(final)(nd.array([1.0, 2.0]))
    assert_almost_equal(got[0].asnumpy(), np.array([4.0, 8.0]))


def test_cond_and_while_symbolic_errors():
    x, h = sym.var('x'), sym.var('h')
    with pytest.raises(TypeError, match='pred must be a Symbol'):
        sym.contrib.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match='else_func must be a Python function'):
        sym.contrib.cond(x, lambda: x, None)
    with pytest.raises(ValueError, match='number of outputs differs'):
        sym.contrib.cond(x, lambda: [x, h], lambda: x)
    with pytest.raises(ValueError, match='max_iterations should be specified'):
        sym.contrib.while_loop(lambda v: v < 1, lambda v: (v, v), [h])
    with pytest.raises(ValueError, match='at least one element'):
        sym.contrib.while_loop(lambda: x, lambda: (x, []), [], max_iterations=2)
    with pytest.raises(ValueError, match="2-th loop_var doesn't involve"):
        sym.contrib.while_loop(lambda a, b: b.sum() < 1, lambda a, b: (a, [a + 1, x]), [h, x],
                               max_iterations=2)
    with pytest.raises(ValueError, match='returned 1 loop variables, expected 2'):
        sym.contrib.while_loop(lambda a, b: a < 1, lambda a, b: (a, [a + b]), [h, x], max_iterations=2)
    with pytest.raises(ValueError, match='cond must return a Symbol'):
        sym.contrib.while_loop(lambda a: 1, lambda a: (a, a), [h], max_iterations=2)


def test_runtime_errors():
    x = sym.var('x')
    pred_op = CachedOp(sym.contrib.cond(x, lambda: x * 2, lambda: x))
    with pytest.raises(ValueError, match='condition must give one element'):
        pred_op(nd.ones((2,)))
    _, grow = sym.contrib.while_loop(lambda v: v.sum() < 5, lambda v: (None, sym.concat(v, v, dim=0)),
                                     [x], max_iterations=3)
    with pytest.raises(ValueError, match='loop variable 0 changed'):
        CachedOp(grow[0])(nd.ones((1,)))


def test_bad_cond_and_while_json_are_format_errors():
    with open(os.path.join(FIX, 'cond_net-symbol.json')) as f:
        text = f.read()
    with pytest.raises(MXNetFormatError, match='else_input_locs'):
        sym.load_json(text.replace('"else_input_locs": "[4, 1]"', '"else_input_locs": "[9, 1]"'))
    with pytest.raises(MXNetFormatError, match='else-branch subgraph has 2 inputs'):
        sym.load_json(text.replace('"else_input_locs": "[4, 1]"', '"else_input_locs": "[4]"'))
    with open(os.path.join(FIX, 'while_net-symbol.json')) as f:
        text = f.read()
    assert '"func_var_locs": "[4, 0]"' in text
    with pytest.raises(MXNetFormatError, match='func_var_locs'):
        sym.load_json(text.replace('"func_var_locs": "[4, 0]"', '"func_var_locs": "[4, 7]"'))
    start = text.index(', \n      "subgraphs"')
    end = text.index('\n    }\n  ], \n  "arg_nodes"')
    with pytest.raises(MXNetFormatError, match='needs its body under "subgraphs"'):
        sym.load_json(text[:start] + text[end:])
