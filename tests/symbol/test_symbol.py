"""Symbol construction, naming, listing, attributes, composition and inference (mx.sym semantics)."""
import json
import warnings

import numpy as np
import pytest

from minigluon import nd
from minigluon import symbol as sym
from minigluon.attribute import AttrScope
from minigluon.base import MXNetError
from minigluon.name import NameManager, Prefix
from minigluon.test_utils import assert_almost_equal


def _nodes(s):
    return json.loads(s.tojson())['nodes']


def test_missing_inputs_become_named_variables():
    data = sym.var('data')
    fc = sym.FullyConnected(data, num_hidden=3, name='fc1')
    assert fc.list_arguments() == ['data', 'fc1_weight', 'fc1_bias']
    assert fc.list_outputs() == ['fc1_output']
    assert fc.name == 'fc1'
    no_bias = sym.FullyConnected(data, num_hidden=3, no_bias=True, name='fc2')
    assert no_bias.list_arguments() == ['data', 'fc2_weight']
    # MXNet copies the node's attributes onto the variables it creates
    assert sym.FullyConnected(data, num_hidden=3, name='fc3').get_children()[1].attr('num_hidden') == '3'


def test_automatic_names_and_prefix():
    with NameManager():
        d = sym.var('d')
        a = sym.Activation(d, act_type='relu')
        b = sym.Activation(a, act_type='relu')
        c = sym.flatten(b)
        assert [a.name, b.name, c.name] == ['activation0', 'activation1', 'flatten0']
        with Prefix('net_'):
            e = sym.Activation(c, act_type='tanh', name='fwd')
            f = d * 2
        assert e.name == 'net_fwd' and f.name == 'net__mulscalar0'


@pytest.mark.parametrize('build, op, name, attrs', [
    (lambda a, b: a + b, 'elemwise_add', '_plus0', {}),
    (lambda a, b: a - b, 'elemwise_sub', '_minus0', {}),
    (lambda a, b: a * b, 'elemwise_mul', '_mul0', {}),
    (lambda a, b: a / b, 'elemwise_div', '_div0', {}),
    (lambda a, b: a ** b, '_power', '_power0', {}),
    (lambda a, b: a % b, '_mod', '_mod0', {}),
    (lambda a, b: a + 2, '_plus_scalar', '_plusscalar0', {'scalar': '2'}),
    (lambda a, b: 2 + a, '_plus_scalar', '_plusscalar0', {'scalar': '2'}),
    (lambda a, b: a - 1.5, '_minus_scalar', '_minusscalar0', {'scalar': '1.5'}),
    (lambda a, b: 3 - a, '_rminus_scalar', '_rminusscalar0', {'scalar': '3'}),
    (lambda a, b: a * 2, '_mul_scalar', '_mulscalar0', {'scalar': '2'}),
    (lambda a, b: a / 4, '_div_scalar', '_divscalar0', {'scalar': '4'}),
    (lambda a, b: 4 / a, '_rdiv_scalar', '_rdivscalar0', {'scalar': '4'}),
    (lambda a, b: a ** 2, '_power_scalar', '_powerscalar0', {'scalar': '2'}),
    (lambda a, b: 2 ** a, '_rpower_scalar', '_rpower_scalar0', {'scalar': '2'}),
    (lambda a, b: -a, '_mul_scalar', '_mulscalar0', {'scalar': '-1.0'}),
    (lambda a, b: a == b, '_equal', '_equal0', {}),
    (lambda a, b: a > 1, '_greater_scalar', '_greater_scalar0', {'scalar': '1'}),
    (lambda a, b: a <= b, '_lesser_equal', '_lesser_equal0', {}),
])
def test_python_operators_node_names(build, op, name, attrs):
    with NameManager():
        out = build(sym.var('a'), sym.var('b'))
    node = _nodes(out)[-1]
    assert (node['op'], node['name'], node.get('attrs', {})) == (op, name, attrs)


def test_python_operators_evaluate_like_numpy():
    a, b = sym.var('a'), sym.var('b')
    x = np.array([[1.0, 2.0], [3.0, 0.5]], np.float32)
    y = np.array([[2.0, 1.0], [0.5, 4.0]], np.float32)
    cases = [(a + b, x + y), (a - 2, x - 2), (3 - a, 3 - x), (a * b, x * y), (a / b, x / y),
             (1 / a, 1 / x), (a ** 2, x ** 2), (-a, -x), (abs(-a), x), ((a > b), (x > y) * 1.0),
             (a.reshape((4,)), x.reshape(4)), (a.sum(axis=1), x.sum(axis=1))]
    for s, expected in cases:
        kwargs = {n: nd.array(v) for n, v in (('a', x), ('b', y)) if n in s.list_inputs()}
        assert_almost_equal(s.eval(**kwargs)[0], expected, rtol=1e-6)


def test_operator_type_errors():
    a = sym.var('a')
    with pytest.raises(TypeError, match='not supported'):
        a + 'x'
    with pytest.raises(TypeError, match='truth value of a Symbol is undefined'):
        bool(a == 1)
    with pytest.raises(TypeError, match='unexpected attribute'):
        sym.FullyConnected(a, num_hidden=3, bogus=1)
    with pytest.raises(TypeError, match='given twice'):
        sym.FullyConnected(a, data=a, num_hidden=3)
    with pytest.raises(TypeError, match='must be a Symbol'):
        sym.FullyConnected(a, weight=np.ones((3, 2)), num_hidden=3)
    with pytest.raises(TypeError, match='group'):
        sym.relu(sym.Group([a, a]))
    with pytest.raises(AttributeError):
        a.not_an_operator()


@pytest.mark.parametrize('name,hint', [('shape', r'a Symbol has no shape while a graph is traced'),
                                       ('ndim', r'a Symbol has no shape while a graph is traced')])
def test_ndarray_attributes_say_what_to_write_instead(name, hint):
    x = sym.var('x')
    with pytest.raises(AttributeError, match=r"^'Symbol' object has no attribute '%s': %s" % (name, hint)):
        getattr(x, name)
    assert not hasattr(x, name)          # code tells NDArrays from Symbols this way
    if name == 'shape':
        with pytest.raises(AttributeError, match=r'F\.shape_array\(x\).*reshape with 0/-1 codes.*'
                                                 r'\*_like operators.*do not hybridize'):
            x.shape


def test_batchnorm_aux_states_and_versions():
    data = sym.var('data')
    bn = sym.BatchNorm(data, name='bn')
    assert bn.list_arguments() == ['data', 'bn_gamma', 'bn_beta']
    assert bn.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']
    assert bn.list_inputs() == ['data', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var']
    assert bn.list_outputs() == ['bn_output']
    node = _nodes(bn)[-1]
    assert [e[2] for e in node['inputs']] == [0, 0, 0, 1, 1]
    assert bn.attr_dict()['bn_moving_var'] == {'__init__': '["one", {}]'}


def test_getitem_iter_group_children_internals():
    d = sym.var('d')
    parts = sym.SliceChannel(d, num_outputs=3, name='s')
    assert len(parts) == 3 and parts.name == 's'
    assert parts[1].list_outputs() == ['s_output1']
    assert parts['s_output2'].list_outputs() == ['s_output2']
    assert parts[-1].list_outputs() == ['s_output2']
    assert parts[1:].list_outputs() == ['s_output1', 's_output2']
    assert [p.list_outputs()[0] for p in parts] == parts.list_outputs()
    with pytest.raises(IndexError, match='out of range for 3 output'):
        parts[3]
    with pytest.raises(ValueError, match='no such output'):
        parts['nope']
    g = sym.Group([parts[0], d])
    assert g.name is None and g.list_outputs() == ['s_output0', 'd']
    assert parts.get_children().list_outputs() == ['d']
    assert d.get_children() is None
    fc = sym.FullyConnected(d, num_hidden=2, name='fc')
    assert fc.get_internals().list_outputs() == ['d', 'fc_weight', 'fc_bias', 'fc_output']
    assert fc.get_internals()['fc_weight'].list_arguments() == ['fc_weight']
    with pytest.raises(TypeError, match=r'Group: expected a non-empty list of Symbols, got \[\]'):
        sym.Group([])
    with pytest.raises(TypeError, match='Group: expected a non-empty list of Symbols'):
        sym.Group([d, 1])


def test_var_attributes():
    v = sym.var('w', shape=(3, 2), lr_mult=0.5, wd_mult=0, dtype='float16', init='zeros',
                stype='default', __extra__='x')
    assert v.list_attr() == {'__shape__': '(3, 2)', '__lr_mult__': '0.5', '__wd_mult__': '0',
                             '__dtype__': '2', '__init__': 'zeros', '__storage_type__': '0',
                             '__extra__': 'x', 'lr_mult': '0.5', 'wd_mult': '0'}   # MXNet 1.9.1 lists plain copies
    assert v.attr('lr_mult') == '0.5' and v.attr('missing') is None
    with pytest.raises(TypeError, match='name'):
        sym.var(3)
    with pytest.raises(ValueError, match='__name__'):
        sym.var('w', foo='1')
    with pytest.raises(ValueError, match='dtype'):
        sym.var('w', dtype='complex64')
    with pytest.raises(ValueError, match='stype'):
        sym.var('w', stype='dense')
    assert sym.Variable is sym.var


def test_attr_scope_and_set_attr():
    with AttrScope(ctx_group='stage1', __mood__='ok'):
        v = sym.var('v')
        r = sym.relu(v, name='r')
    assert v.attr('ctx_group') == 'stage1' and v.attr('__mood__') == 'ok'
    assert r.list_attr() == {'__ctx_group__': 'stage1', 'ctx_group': 'stage1', '__mood__': 'ok'}  # as MXNet 1.9.1
    r._set_attr(lr_mult='2')
    assert r.attr('__lr_mult__') == '2'
    with pytest.raises(ValueError, match="attribute 'x' must be a string"):
        r._set_attr(x=1)
    assert set(r.attr_dict()) == {'v', 'r'}


def test_compose_replaces_variables_on_a_copy():
    x = sym.var('x')
    net = sym.FullyConnected(x, num_hidden=4, name='fc')
    y = sym.var('y')
    composed = net(x=sym.relu(y, name='pre'))
    assert composed.list_arguments() == ['y', 'fc_weight', 'fc_bias']
    assert net.list_arguments() == ['x', 'fc_weight', 'fc_bias']     # original untouched
    assert net(y).list_arguments() == ['y', 'fc_weight', 'fc_bias']  # positional
    with pytest.raises(ValueError, match='not among'):
        net(z=y)
    import copy
    dup = copy.copy(net)
    dup._set_attr(__tag__='copy')
    assert net.attr('__tag__') is None and dup.tojson() != net.tojson()


def test_infer_shape_fills_weights_and_aux():
    data = sym.var('data')
    conv = sym.Convolution(data, kernel=(3, 3), num_filter=4, name='conv')
    bn = sym.BatchNorm(conv, name='bn')
    fc = sym.FullyConnected(sym.Flatten(bn), num_hidden=5, name='fc')
    args, outs, aux = fc.infer_shape(data=(2, 3, 6, 6))
    assert dict(zip(fc.list_arguments(), args)) == {
        'data': (2, 3, 6, 6), 'conv_weight': (4, 3, 3, 3), 'conv_bias': (4,), 'bn_gamma': (4,),
        'bn_beta': (4,), 'fc_weight': (5, 64), 'fc_bias': (5,)}
    assert outs == [(2, 5)] and aux == [(4,), (4,)]
    assert fc.infer_shape((2, 3, 6, 6)) == (args, outs, aux)     # positional = list_arguments order


def test_infer_shape_partial_incomplete_and_errors():
    data = sym.var('data')
    fc = sym.FullyConnected(data, num_hidden=3, name='fc')
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert fc.infer_shape() == (None, None, None)
    assert 'Cannot decide shape' in str(w[0].message)
    args, outs, _ = fc.infer_shape_partial()
    assert args == [(), (), ()] and outs == [()]
    # a __shape__ attribute with an unknown (0) dimension is completed
    v = sym.var('v', shape=(0, 4))
    assert sym.relu(v).infer_shape_partial()[0] == [(0, 4)]
    assert sym.FullyConnected(v, num_hidden=2, name='f').infer_shape(v=(5, 4))[1] == [(5, 2)]
    with pytest.raises(ValueError, match="'nope' is not an input"):
        fc.infer_shape(nope=(1, 2))
    with pytest.raises(ValueError, match='tuple of ints'):
        fc.infer_shape(data='x')
    a, b = sym.var('a'), sym.var('b')
    with pytest.raises(MXNetError, match=r"_plus0|elemwise_add"):
        with NameManager():
            (a + b).infer_shape(a=(2, 3), b=(4, 5))
    w_ = sym.var('w', shape=(7, 9))
    bad = sym.FullyConnected(data, w_, num_hidden=3, no_bias=True, name='g')
    with pytest.raises(MXNetError, match='inconsistent|g'):
        bad.infer_shape(data=(2, 5))


def test_infer_type():
    data = sym.var('data')
    fc = sym.FullyConnected(data, num_hidden=3, name='fc')
    args, outs, aux = fc.infer_type(data='float64')
    assert args == [np.float64] * 3 and outs == [np.float64] and aux == []
    v = sym.var('v', dtype='float16')
    assert sym.relu(v).infer_type()[1] == [np.float16]
    assert sym.var('q').infer_type_partial() == ([None], [None], [])


def test_infer_type_reaches_inputs_through_later_nodes():
    # MXNet 1.9.1: an input whose dtype is fixed only further down the graph takes that dtype
    # (y / 4 + z with z float64: y is float64), instead of defaulting to float32 early.
    y, z = sym.var('y'), sym.var('z')
    assert (y / 4 + z).infer_type(z='float64') == ([np.float64, np.float64], [np.float64], [])
    half = sym.var('x', dtype='float16')
    assert (2 * half - y / 4).infer_type() == ([np.float16, np.float16], [np.float16], [])
    with pytest.warns(UserWarning, match='y'):
        assert (y / 4).infer_type() == (None, None, None)
    assert (y / 4).infer_type_partial() == ([None], [None], [])


def test_deep_graph_has_no_recursion_limit():
    x = sym.var('x')
    out = x
    for _ in range(3000):
        out = out + 1
    assert out.list_arguments() == ['x']
    text = out.tojson()
    again = sym.load_json(text)
    assert again.tojson() == text
    assert again.infer_shape(x=(2,))[1] == [(2,)]
    assert_almost_equal(again.eval(x=nd.array([1.0, 2.0]))[0], np.array([3001.0, 3002.0]))


def test_repr():
    d = sym.var('d')
    assert repr(d) == '<Symbol d>'
    assert repr(sym.Group([d, sym.var('e')])) == '<Symbol group [d, e]>'


def test_infer_shape_gives_a_wholly_unknown_operand_its_partners_shape():
    # MXNet 1.9.1's element-wise rule (measured): a label variable in pred - label, or in a loss
    # built on it, takes the prediction's shape; before, minigluon left it (and the outputs) unknown
    from minigluon import symbol as S
    u, y = S.var('u', shape=(2, 4)), S.var('label')
    for expr in (S.elemwise_add(u, y), u - y, S.square(u - y)):
        args, outs, aux = expr.infer_shape()
        assert args == [(2, 4), (2, 4)] and outs == [(2, 4)] and aux == []
    fc = S.FullyConnected(u, num_hidden=3, name='fc')
    args, outs, _ = (fc - y).infer_shape()
    assert dict(zip((fc - y).list_arguments(), args))['label'] == (2, 3) and outs == [(2, 3)]
