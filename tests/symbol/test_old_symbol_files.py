"""Symbol files written by old MXNet versions (0.7 to 1.6) load as MXNet 1.9.1 loads them
(minigluon/symbol/json_io.py): the same graph, the same re-saved JSON and, with the recorded
weights, the same outputs (tools/gen_legacy_ops_fixtures.py)."""
import json
import os

import numpy as np
import pytest

from minigluon import current_context, gluon, nd, sym
from minigluon.base import MXNetError
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'legacy_ops')
MODELS = {'v07_inception_bn': ['data', 'softmax_label'], 'v09_legacy_ops': ['data']}


def path(name):
    return os.path.join(FIX, name)


def read(name):
    with open(path(name)) as f:
        return f.read()


@pytest.mark.parametrize('name', sorted(MODELS))
def test_old_model_file_resaves_as_mxnet(name):
    graph = sym.load(path('old_%s.json' % name))
    assert graph.tojson() == read('old_%s.expected.json' % name)
    # and the re-saved file is a fixed point
    assert sym.load_json(graph.tojson()).tojson() == graph.tojson()


@pytest.mark.parametrize('name', sorted(MODELS))
def test_old_model_file_runs_in_a_symbolblock(name):
    net = gluon.SymbolBlock.imports(path('old_%s.json' % name), MODELS[name],
                                    path('old_%s-0000.params' % name), ctx=current_context())
    io = np.load(path('old_%s_io.npz' % name))
    outs = net(*[nd.array(io['in_' + n]) for n in MODELS[name]])
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    assert len(outs) == len([k for k in io.files if k.startswith('out')])
    for j, o in enumerate(outs):
        assert_almost_equal(o, io['out%d' % j], rtol=1e-5, atol=1e-6)


def test_pre_09_file_gets_aux_variables_and_their_initialisers():
    graph = sym.load_json(read('old_v07_inception_bn.json'))
    assert graph.list_auxiliary_states() == ['bn_1_moving_mean', 'bn_1_moving_var']
    attrs = graph.attr_dict()
    assert attrs['bn_1_moving_mean']['__init__'] == '["zero", {}]'
    assert attrs['conv_1_weight']['__lr_mult__'] == '0.5'          # a plain 'lr_mult'
    assert attrs['fc1_weight']['__lr_mult__'] == '2'               # the op's 'weight_lr_mult'


HIDDEN = json.loads(read('old_hidden_keys.json'))


@pytest.mark.parametrize('name', sorted(HIDDEN))
def test_hidden_keys_upgraded_by_file_version_as_mxnet(name):
    case = HIDDEN[name]
    if case['expected'] is None:
        with pytest.raises(MXNetError, match='attribute'):
            sym.load_json(case['json'])
        return
    saved = json.loads(sym.load_json(case['json']).tojson())
    assert [[n['name'], n.get('attrs', {})] for n in saved['nodes']] == case['expected']


def test_input_lr_mult_for_a_variable_the_file_leaves_out():
    """MXNet 1.9.1 crashes (segmentation fault) on a pre-0.9 operator whose ``weight_lr_mult``
    names a weight the file omits; minigluon creates ``fc_weight`` as MXNet would and gives it
    ``__lr_mult__``, the key's meaning. The other created variable gets the operator's own
    attributes, as MXNet gives them."""
    text = json.dumps({'nodes': [
        {'op': 'null', 'name': 'x', 'inputs': []},
        {'op': 'FullyConnected', 'name': 'fc', 'param': {'num_hidden': '2'},
         'attr': {'weight_lr_mult': '2', 'ctx_group': 'g'}, 'inputs': [[0, 0]]}],
        'arg_nodes': [0], 'heads': [[1, 0]]})
    nodes = json.loads(sym.load_json(text).tojson())['nodes']
    assert [n['name'] for n in nodes] == ['x', 'fc_weight', 'fc_bias', 'fc']
    assert nodes[1]['attrs'] == {'__lr_mult__': '2', '__ctx_group__': 'g', 'num_hidden': '2'}
    assert nodes[2]['attrs'] == {'__ctx_group__': 'g', 'num_hidden': '2'}


def test_old_model_file_as_a_module_era_checkpoint(tmp_path):
    """The model zoo's way: ``load_checkpoint('Inception-BN', 0)`` on the old files, then the
    graph run with those weights gives MXNet's output."""
    import shutil
    from minigluon import model
    from minigluon.executor import CachedOp
    name = 'v07_inception_bn'
    shutil.copy(path('old_%s.json' % name), str(tmp_path / 'Inception-BN-symbol.json'))
    shutil.copy(path('old_%s-0000.params' % name), str(tmp_path / 'Inception-BN-0000.params'))
    graph, args, aux = model.load_checkpoint(str(tmp_path / 'Inception-BN'), 0)
    assert sorted(aux) == ['bn_1_moving_mean', 'bn_1_moving_var']
    io = np.load(path('old_%s_io.npz' % name))
    feeds = dict(args, **aux, data=nd.array(io['in_data']),
                 softmax_label=nd.array(io['in_softmax_label']))
    out = CachedOp(graph)(*[feeds[n] for n in graph.list_inputs()])[0]
    assert_almost_equal(out, io['out0'], rtol=1e-5, atol=1e-6)
