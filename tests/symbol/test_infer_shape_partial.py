"""``Symbol.infer_shape_partial`` with partly known shapes (``0`` = unknown dimension), against
MXNet 1.9.1 (tools/gen_symbol_partial_fixtures.py -> tests/fixtures/symbol/partial_shapes.expected.json).

Each case is an operator (or a small graph) given input shapes with an unknown dimension. The file
holds MXNet's partial result and its complete results with the unknown dimensions set to 2 and 6.
minigluon must give MXNet's partial result, except where it knows more (MORE_THAN_MXNET); there it
must still keep every dimension MXNet knows and agree with MXNet's complete results.
"""
import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import sym
from minigluon.base import MXNetError
from minigluon.ops.registry import OPS

_HERE = os.path.dirname(__file__)
with open(os.path.join(_HERE, '..', 'fixtures', 'symbol', 'partial_shapes.expected.json')) as _f:
    GOLD = json.load(_f)


def _tool():
    """The generator, for the one definition of how a case is built and read."""
    spec = importlib.util.spec_from_file_location(
        'gen_symbol_partial_fixtures',
        os.path.join(_HERE, '..', '..', 'tools', 'gen_symbol_partial_fixtures.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


TOOL = _tool()
CASES = {c['key']: c for c in GOLD['cases']}
GRAPHS = TOOL.graphs(mx)

# MXNet 1.9.1 gives () (unknown) or raises where the shape follows from what is known:
MORE_THAN_MXNET = {
    'Flatten', 'Flatten_2d', 'Flatten_mid', 'LRN', 'Reshape_copy_infer', 'squeeze', 'stack', 'tile',
    'where', 'one_hot', 'gather_nd', 'max_axis1', 'min_axis_neg', 'norm_axis1', 'argmax_axis1',
    'argmin_keepdims', 'LinearRegressionOutput', 'LogisticRegressionOutput',
    'sort', 'argsort', 'topk', 'dot_inner_unknown', 'repeat_unknown_axis', 'reshape_like',
    # slice_axis refuses end > axis length, so a valid input gives (2, 10); MXNet says (0, 10)
    'slice_axis_unknown',
    # the cnn graph: MXNet's Flatten gives (), so its fc weight stays unknown
    'cnn',
    # (0, 10) + (5, 10): the unknown size is 1 or 5, the output's is 5 either way
    'broadcast_add_full'}


def _result(kind, key):
    if kind == 'ops':
        return TOOL.shapes(TOOL.build(mx, CASES[key]), CASES[key]['inputs'])
    symbol, given = GRAPHS[key]
    return TOOL.shapes(symbol, given)


def _entries(result):
    """(name, shape) pairs of a result: arguments, outputs and auxiliary states."""
    return ([('arg ' + k, v) for k, v in result['args'].items()]
            + [('out %d' % i, v) for i, v in enumerate(result['outs'])]
            + [('aux ' + k, v) for k, v in result['aux'].items()])


def _all_keys():
    return [('ops', k) for k in sorted(GOLD['ops'])] + [('graphs', k) for k in sorted(GOLD['graphs'])]


@pytest.mark.parametrize('kind,key', _all_keys())
def test_partial_shapes_as_mxnet(kind, key):
    want = dict(GOLD[kind][key])
    complete = want.pop('complete', {})
    got = _result(kind, key)
    if key not in MORE_THAN_MXNET:
        assert got == want
        return
    assert 'error' not in got
    got_entries = dict(_entries(got))
    if 'error' not in want:                       # every dimension MXNet knows, minigluon knows
        for name, shape in _entries(want):
            if shape:
                assert len(got_entries[name]) == len(shape), name
                assert all(w == 0 or g == w for g, w in zip(got_entries[name], shape)), name
    checked = 0
    for full in complete.values():                # and agrees with MXNet's complete results
        if 'error' in full:
            continue
        checked += 1
        for name, shape in _entries(full):
            mine = got_entries[name]
            if mine:
                assert len(mine) == len(shape) and all(
                    g == 0 or g == f for g, f in zip(mine, shape)), (name, mine, shape)
    assert checked or key == 'broadcast_add_full'


def test_every_known_dimension_agrees_with_mxnet_complete_inference():
    """For the cases minigluon matches too: no partial result contradicts a complete one."""
    for kind, key in _all_keys():
        got = dict(_entries(_result(kind, key))) if 'error' not in GOLD[kind][key] else {}
        for full in GOLD[kind][key].get('complete', {}).values():
            if 'error' in full or not got:
                continue
            for name, shape in _entries(full):
                mine = got[name]
                assert not mine or all(g == 0 or g == f for g, f in zip(mine, shape)), \
                    (key, name, mine, shape)


def test_reproducer_relu_and_mlp_weights():
    # measured on MXNet 1.9.1: relu keeps (0, 10); the second layer's weight is (4, 16)
    d = sym.var('data')
    assert sym.relu(d).infer_shape_partial(data=(0, 10))[1] == [(0, 10)]
    assert (d * 2).infer_shape_partial(data=(0, 10))[1] == [(0, 10)]
    net = sym.FullyConnected(sym.Activation(sym.FullyConnected(d, num_hidden=16, name='fc1'),
                                            act_type='relu'), num_hidden=4, name='fc2')
    args, outs, _ = net.infer_shape_partial(data=(0, 10))
    assert dict(zip(net.list_arguments(), args)) == {
        'data': (0, 10), 'fc1_weight': (16, 10), 'fc1_bias': (16,), 'fc2_weight': (4, 16),
        'fc2_bias': (4,)}
    assert outs == [(0, 4)]


def test_elementwise_input_learns_its_shape_from_the_output():
    # measured on MXNet 1.9.1: op(x) + y with y (3, 4) gives x (3, 4), also from x (0, 4), for
    # relu, Activation and x * 2; MXNet leaves x () and (0, 4) behind softmax and Dropout,
    # whose output has their input's shape all the same
    x, y = sym.var('x'), sym.var('y')
    for op in (sym.relu, lambda v: sym.Activation(v, act_type='tanh'), lambda v: v * 2,
               sym.softmax, sym.Dropout):
        assert (op(x) + y).infer_shape_partial(y=(3, 4))[0] == [(3, 4), (3, 4)]
        assert (op(x) + y).infer_shape_partial(x=(0, 4), y=(3, 4))[0] == [(3, 4), (3, 4)]


def test_contradicting_known_dimensions_raise_even_when_partial():
    # measured on MXNet 1.9.1: both raise (incompatible shapes)
    a, b = sym.var('a'), sym.var('b')
    with pytest.raises(MXNetError, match=r'\(0, 10\).*\(0, 5\)'):
        (a + b).infer_shape_partial(a=(0, 10), b=(0, 5))
    with pytest.raises(MXNetError, match='differ outside dim=0'):
        sym.concat(a, b, dim=0).infer_shape_partial(a=(0, 10), b=(2, 5))
    with pytest.raises(MXNetError, match='21 elements'):
        sym.Reshape(a, shape=(7, 3)).infer_shape_partial(a=(0, 10))


def test_complete_inference_still_checks_and_names_the_operator():
    d = sym.var('data')
    with pytest.raises(MXNetError, match=r"transpose.*\(2, 3\).*not a permutation"):
        sym.transpose(d, axes=(0, 2)).infer_shape(data=(2, 3))
    with pytest.raises(MXNetError, match='sum'):
        sym.sum(d, axis=3).infer_shape(data=(2, 3))
    net = sym.sum(sym.softmax(sym.transpose(d * 2)), axis=1)
    assert net.infer_shape(data=(3, 5)) == ([(3, 5)], [(5,)], [])


def test_unknown_dimension_sizes_that_stop_growing_stay_unknown():
    # slice clamps its end to the axis length: slicing 0:2 of an unknown axis is unknown
    # (measured on MXNet 1.9.1: (0, 4)); squeeze without an axis depends on which sizes are 1
    d = sym.var('data')
    assert sym.slice(d, begin=(0,), end=(2,)).infer_shape_partial(data=(0, 4))[1] == [(0, 4)]
    assert sym.squeeze(d).infer_shape_partial(data=(0, 4))[1] == [()]


def test_partial_inference_warns_nothing_for_log_of_zeros():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert sym.log(sym.var('d')).infer_shape_partial(d=(0, 3))[1] == [(0, 3)]


def test_operators_marked_same_shape_keep_their_input_shape():
    # ``same_shape`` lets shape inference complete input 0 from output 0: only true if it holds
    needed = {'clip': dict(a_min=0, a_max=1), 'Cast': dict(dtype='float32'),
              'Activation': dict(act_type='relu'), 'LRN': dict(nsize=3),
              'amp_cast': dict(dtype='float16')}
    marked = {cls for cls in OPS.values() if cls.same_shape}
    assert len(marked) > 50
    x = np.linspace(0.1, 0.9, 24, dtype=np.float32).reshape(2, 3, 4)
    for cls in marked:
        with np.errstate(all='ignore'):       # arccosh of values below 1
            out = cls(**needed.get(cls.name, {})).forward(np, x)
        assert (out[0] if isinstance(out, tuple) else out).shape == x.shape, cls.name


def test_the_cannot_decide_warning_names_the_operator_that_failed():
    """A conflict among known dimensions next to an unknown one cannot be told from "not yet
    known" by the default rule; the warning of infer_shape then shows the operator's error."""
    a, b = mx.sym.var('a'), mx.sym.var('b')
    with pytest.warns(UserWarning, match=r"dot 'dot\d+'.*contracted axes differ \(3 vs 4"):
        assert mx.sym.dot(a, b).infer_shape(a=(0, 3), b=(4, 5)) == (None, None, None)


def test_an_element_wise_operator_infers_without_running(monkeypatch):
    """One-input same_shape operators return their input's shape without a forward pass (which
    would allocate arrays of the graph's full size)."""
    from minigluon.ops import registry
    calls = []
    monkeypatch.setattr(registry.Op, 'output_shapes', lambda self, s: calls.append(s) or [s[0]])
    a = mx.sym.var('a')
    assert mx.sym.softmax(mx.sym.relu(a)).infer_shape_partial(a=(0, 2048, 2048))[1] == [(0, 2048, 2048)]
    assert mx.sym.relu(a).infer_shape(a=(4, 5))[1] == [(4, 5)]
    assert calls == []


@pytest.mark.parametrize('make,shape,want', [
    (lambda x: mx.sym.Convolution(x, num_filter=2, kernel=(1,), pad=(1,)), (1, 2, 0), (1, 2, 0)),
    (lambda x: mx.sym.Convolution(x, num_filter=2, kernel=(3,), dilate=(4,)), (1, 2, 0), (1, 2, 0)),
    (lambda x: mx.sym.Convolution(x, num_filter=2, kernel=(3, 3)), (1, 2, 0, 10), (1, 2, 0, 8)),
    (lambda x: mx.sym.Deconvolution(x, num_filter=2, kernel=(3,)), (1, 2, 0), (1, 2, 0)),
    (lambda x: mx.sym.Deconvolution(x, num_filter=2, kernel=(3,), target_shape=(9,)), (1, 2, 0), (1, 2, 9)),
    (lambda x: mx.sym.Pooling(x, kernel=(1,), stride=(30,), pool_type='max'), (1, 2, 0), (1, 2, 0)),
    (lambda x: mx.sym.Pooling(x, kernel=(2, 2), stride=(2, 2)), (0, 2, 0, 10), (0, 2, 0, 5)),
    (lambda x: mx.sym.Pooling(x, kernel=(2, 2), global_pool=True, pool_type='avg'), (1, 2, 0, 10), (1, 2, 1, 1)),
    (lambda x: mx.sym.slice(x, begin=(None,), end=(None,), step=(30,)), (0, 3), (0, 3)),
    (lambda x: mx.sym.slice(x, begin=(0, None), end=(2, None)), (4, 0), (2, 0)),
    (lambda x: mx.sym.transpose(x), (0, 4, 5), (5, 4, 0)),
])
def test_an_unknown_size_never_becomes_a_wrong_known_one(make, shape, want):
    """Found by a breaker: the convolutions put the unknown 0 into their size formula (giving 2,
    or -8), and the default rule's probes (12, 24, 1) all gave one window for a stride or step of
    30. MXNet 1.9.1 gives these (its Pooling fails on an unknown spatial size; the global pool
    and the slices were measured)."""
    assert make(mx.sym.var('x')).infer_shape_partial(x=shape)[1] == [want]


def test_complete_inference_after_a_partial_pass_gets_the_true_size():
    """MXNet 1.9.1: (1, 4, 7) and (2, 3); a node once 'known' was never looked at again."""
    x, w = mx.sym.var('x'), mx.sym.var('w')
    conv = mx.sym.Group([mx.sym.Convolution(x, num_filter=4, kernel=(1,), pad=(1,)),
                         mx.sym.elemwise_add(x, w)])
    assert conv.infer_shape(x=(1, 2, 0), w=(1, 2, 5))[1] == [(1, 4, 7), (1, 2, 5)]
    sl = mx.sym.Group([mx.sym.slice(x, begin=(None,), end=(None,), step=(30,)), mx.sym.elemwise_add(x, w)])
    assert sl.infer_shape(x=(0, 3), w=(40, 3))[1] == [(2, 3), (40, 3)]


@pytest.mark.parametrize('partial', [False, True])
def test_a_wrong_weight_shape_is_a_conflict_even_beside_unknown_sizes(partial):
    """MXNet 1.9.1 raises "Shape inconsistent, Provided = [4,5], inferred shape=(4,3)" in both."""
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4, name='fc')
    infer = fc.infer_shape_partial if partial else fc.infer_shape
    with pytest.raises(MXNetError, match=r'weight has shape \(4, 5\), expected \(4, 3\)'):
        infer(x=(0 if partial else 2, 3), fc_weight=(4, 5))
    assert fc.infer_shape_partial(x=(0, 3), fc_weight=(4, 3))[1] == [(0, 4)]
