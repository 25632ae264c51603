"""``mx.model.save_checkpoint`` / ``load_checkpoint`` / ``load_params`` (minigluon/model.py).

tests/fixtures/checkpoint holds a checkpoint written by MXNet 1.9.1's ``save_checkpoint`` and the
output MXNet computes from it (tools/gen_checkpoint_fixtures.py).
"""
import json
import logging
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import gluon, nd
from minigluon.base import MXNetFormatError
from minigluon.gluon import nn

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'checkpoint')
with open(os.path.join(FIX, 'expected.json')) as _f:
    EXPECTED = json.load(_f)


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def _symbol_block(sym, arg_params, aux_params):
    """The usual legacy pattern: a SymbolBlock over the checkpoint's graph, weights via _load_init."""
    net = gluon.SymbolBlock(sym, mx.sym.var('data'))
    params = net.collect_params()
    for name, value in list(arg_params.items()) + list(aux_params.items()):
        params[name]._load_init(value, mx.current_context())
    return net


def test_mxnet_checkpoint_loads_and_runs_as_in_mxnet():
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(FIX, 'mlp'), 3)
    assert isinstance(sym, mx.sym.Symbol)
    shapes = {k: [list(v.shape), np.dtype(v.dtype).name] for k, v in arg_params.items()}
    assert shapes == EXPECTED['arg_params']
    assert {k: [list(v.shape), np.dtype(v.dtype).name] for k, v in aux_params.items()} \
        == EXPECTED['aux_params']
    assert list(arg_params) == [k[4:] for k in EXPECTED['params_keys'] if k.startswith('arg:')]
    out = _symbol_block(sym, arg_params, aux_params)(nd.array(EXPECTED['x']))
    np.testing.assert_allclose(out.asnumpy(), EXPECTED['out'], rtol=1e-5, atol=1e-6)


def test_initialize_and_set_data_pattern_gives_the_same_output():
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(FIX, 'mlp'), 3)
    net = gluon.SymbolBlock(sym, mx.sym.var('data'))
    net.collect_params().initialize()
    for name, value in list(arg_params.items()) + list(aux_params.items()):
        net.collect_params()[name].set_data(value)
    np.testing.assert_allclose(net(nd.array(EXPECTED['x'])).asnumpy(), EXPECTED['out'],
                               rtol=1e-5, atol=1e-6)


def test_saving_what_was_loaded_writes_mxnets_bytes(tmp_path):
    """The two files minigluon writes are byte for byte those MXNet wrote."""
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(FIX, 'mlp'), 3)
    mx.model.save_checkpoint(str(tmp_path / 'mlp'), 3, sym, arg_params, aux_params)
    assert sorted(os.listdir(tmp_path)) == ['mlp-0003.params', 'mlp-symbol.json']
    for name in ('mlp-symbol.json', 'mlp-0003.params'):
        assert _read(tmp_path / name) == _read(os.path.join(FIX, name)), name


def test_symbol_none_writes_only_the_params(tmp_path):
    _, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(FIX, 'mlp'), 3)
    mx.model.save_checkpoint(str(tmp_path / 'p'), 12, None, arg_params, aux_params)
    assert sorted(os.listdir(tmp_path)) == EXPECTED['files_without_symbol']   # MXNet's
    assert list(nd.load(str(tmp_path / 'p-0012.params'))) == EXPECTED['params_keys']


def _gluon_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(5, activation='tanh', in_units=3), nn.BatchNorm(in_channels=5),
                nn.Dense(2, in_units=5))
    net.initialize(mx.init.Uniform(0.5))
    with mx.autograd.record():            # move the BatchNorm running statistics off 0 and 1
        net(nd.array(np.random.RandomState(0).uniform(-1, 1, (6, 3))))
    return net


def test_round_trip_of_a_gluon_network(tmp_path):
    net = _gluon_net()
    x = nd.array(np.random.RandomState(1).uniform(-1, 1, (4, 3)))
    want = net(x).asnumpy()
    sym = net(mx.sym.var('data'))
    aux_names = set(sym.list_auxiliary_states())
    params = net.collect_params()
    arg_params = {n: params[n].data() for n in sym.list_arguments() if n != 'data'}
    aux_params = {n: params[n].data() for n in sym.list_auxiliary_states()}
    assert aux_names and all('running' in n for n in aux_names)
    mx.model.save_checkpoint(str(tmp_path / 'ck'), 7, sym, arg_params, aux_params)
    sym2, arg2, aux2 = mx.model.load_checkpoint(str(tmp_path / 'ck'), 7)
    assert sorted(arg2) == sorted(arg_params) and sorted(aux2) == sorted(aux_params)
    for name, value in list(arg_params.items()) + list(aux_params.items()):
        got = arg2[name] if name in arg2 else aux2[name]
        np.testing.assert_array_equal(got.asnumpy(), value.asnumpy())
    np.testing.assert_allclose(_symbol_block(sym2, arg2, aux2)(x).asnumpy(), want, rtol=1e-6)


def test_export_files_are_a_checkpoint(tmp_path):
    """``HybridBlock.export`` writes the checkpoint layout: load_checkpoint reads it, and
    save_checkpoint of what it read writes the same symbol bytes and the same entries (export
    keeps the graph's input order, arg and aux mixed; a checkpoint puts every arg first, as in
    MXNet 1.9.1)."""
    net = _gluon_net()
    x = nd.array(np.random.RandomState(2).uniform(-1, 1, (4, 3)))
    want = net(x).asnumpy()
    net.hybridize()
    net(x)
    net.export(str(tmp_path / 'ex'), epoch=7)
    sym, arg_params, aux_params = mx.model.load_checkpoint(str(tmp_path / 'ex'), 7)
    assert sorted(aux_params) == sorted(sym.list_auxiliary_states()) and aux_params
    np.testing.assert_allclose(_symbol_block(sym, arg_params, aux_params)(x).asnumpy(), want,
                               rtol=1e-6)
    mx.model.save_checkpoint(str(tmp_path / 'ck'), 7, sym, arg_params, aux_params)
    assert _read(tmp_path / 'ex-symbol.json') == _read(tmp_path / 'ck-symbol.json')
    exported, saved = (nd.load(str(tmp_path / n)) for n in ('ex-0007.params', 'ck-0007.params'))
    assert sorted(exported) == sorted(saved)
    kinds = [k.split(':')[0] for k in saved]
    assert kinds == sorted(kinds) and 'aux' in kinds           # arg:... then aux:...
    for key, value in exported.items():
        np.testing.assert_array_equal(saved[key].asnumpy(), value.asnumpy())


def test_a_failed_save_leaves_the_previous_files(tmp_path):
    sym, arg_params, aux_params = mx.model.load_checkpoint(os.path.join(FIX, 'mlp'), 3)
    prefix = str(tmp_path / 'mlp')
    mx.model.save_checkpoint(prefix, 3, sym, arg_params, aux_params)
    before = [_read(prefix + '-symbol.json'), _read(prefix + '-0003.params')]
    other = mx.sym.relu(mx.sym.var('data'))
    with pytest.raises(TypeError, match='aux_params'):
        mx.model.save_checkpoint(prefix, 3, other, arg_params, {'bad': np.zeros(2)})
    with pytest.raises(TypeError, match='dtype'):     # unsupported dtype: fails in serialisation
        mx.model.save_checkpoint(prefix, 3, other, {'w': nd.ones(2)}, {'c': _complex_array()})
    assert [_read(prefix + '-symbol.json'), _read(prefix + '-0003.params')] == before
    assert sorted(os.listdir(tmp_path)) == ['mlp-0003.params', 'mlp-symbol.json']   # no temp files


def _complex_array():
    """An NDArray holding a dtype the .params format cannot store."""
    return nd.NDArray(np.array([1 + 2j], dtype=np.complex64))


def test_epoch_is_formatted_as_mxnet_does(tmp_path):
    x = {'w': nd.ones((2,))}
    mx.model.save_checkpoint(str(tmp_path / 'a'), 12345, None, x, {})
    mx.model.save_checkpoint(str(tmp_path / 'a'), np.int64(0), None, x, {})
    assert sorted(os.listdir(tmp_path)) == ['a-0000.params', 'a-12345.params']
    for bad in (1.0, '3', True):
        with pytest.raises(TypeError, match='epoch'):
            mx.model.save_checkpoint(str(tmp_path / 'a'), bad, None, x, {})
        with pytest.raises(TypeError, match='epoch'):
            mx.model.load_checkpoint(str(tmp_path / 'a'), bad)


def test_bad_arguments_name_themselves(tmp_path):
    with pytest.raises(TypeError, match='arg_params'):
        mx.model.save_checkpoint(str(tmp_path / 'a'), 0, None, [nd.ones(1)], {})
    with pytest.raises(TypeError, match='symbol'):
        mx.model.save_checkpoint(str(tmp_path / 'a'), 0, 'net.json', {}, {})
    with pytest.raises(FileNotFoundError, match=r'missing-symbol\.json'):
        mx.model.load_checkpoint(str(tmp_path / 'missing'), 0)


def test_load_params_sorts_keys_as_mxnet(tmp_path, caplog):
    prefix = str(tmp_path / 'k')
    nd.save(prefix + '-0001.params', {'arg:w': nd.ones(2), 'aux:m': nd.zeros(1),
                                      'opt:state': nd.ones(3), 'arg:a:b': nd.ones(1)})
    arg_params, aux_params = mx.model.load_params(prefix, 1)
    assert sorted(arg_params) == ['a:b', 'w'] and list(aux_params) == ['m']   # 'opt:' skipped
    nd.save(prefix + '-0002.params', {})
    with caplog.at_level(logging.WARNING):
        assert mx.model.load_params(prefix, 2) == ({}, {})
    assert 'empty' in caplog.text
    nd.save(prefix + '-0003.params', {'w': nd.ones(2)})
    with pytest.raises(MXNetFormatError, match="'w'"):
        mx.model.load_params(prefix, 3)
    nd.save(prefix + '-0004.params', [nd.ones(2)])
    with pytest.raises(MXNetFormatError, match='without names'):
        mx.model.load_params(prefix, 4)
