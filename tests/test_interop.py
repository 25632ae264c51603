"""Interop proof: MXNet 1.9.1 exports run in minigluon, and minigluon exports run in MXNet.

Fixtures come from ``tools/gen_interop_fixtures.py``:

* ``<name>-symbol.json.gz`` + ``forward.json``: networks exported by MXNet with weights drawn from a
  seed. Here the weights are drawn again from the same seed in the same (sorted-name) order, written
  as a ``.params`` file with minigluon's serializer, imported with ``SymbolBlock.imports``, and the
  outputs must match MXNet's within a relative error of 1e-4 (float32).
* ``reverse.json``: MXNet's ``SymbolBlock.imports`` of minigluon's exports of the same networks
  (same seed) and its relative error against minigluon's outputs, plus the SHA-256 of the minigluon
  JSON that MXNet checked; the tests require agreement and that minigluon still writes that JSON.
"""
import gzip
import hashlib
import importlib.util
import json
import os

import numpy as np
import pytest

import minigluon
from minigluon import current_context, nd, serialization
from minigluon import symbol as sym
from minigluon.block import SymbolBlock

ROOT = os.path.join(os.path.dirname(__file__), '..')
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'interop')
TOL = 1e-4
# heavy at their required input size (224 / 299): still run, but marked
SLOW = {'densenet121', 'inceptionv3', 'alexnet'}


def _load_tools():
    """The generator module (it imports MXNet only inside its MXNet modes)."""
    spec = importlib.util.spec_from_file_location(
        'gen_interop_fixtures', os.path.join(ROOT, 'tools', 'gen_interop_fixtures.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_tools()
with open(os.path.join(FIX, 'forward.json')) as _f:
    FORWARD = json.load(_f)


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def _mxnet_json(name):
    with gzip.open(os.path.join(FIX, name + '-symbol.json.gz'), 'rb') as f:
        return f.read().decode('utf-8')


def _outputs(out):
    return [o.asnumpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


def _write_seeded_params(graph, input_shapes, path):
    """Infer every parameter's shape from the graph, draw the seeded weights, save ``path``."""
    arg_shapes, _, aux_shapes = graph.infer_shape(**input_shapes)
    specs = [(n, s) for n, s in zip(graph.list_arguments(), arg_shapes) if n not in input_shapes]
    aux = graph.list_auxiliary_states()
    specs += list(zip(aux, aux_shapes))
    weights = gen.make_weights(specs, FORWARD['seed'])
    serialization.save(path, {('aux:%s' if k in aux else 'arg:%s') % k: nd.array(v)
                              for k, v in weights.items()})
    return len(specs)


def test_fixture_covers_every_network():
    assert sorted(FORWARD['models']) == sorted(gen.MODELS)
    assert FORWARD['seed'] == gen.SEED


@pytest.mark.parametrize('name', _params(list(gen.MODELS)))
def test_mxnet_export_imports_with_mxnet_outputs(name, tmp_path):
    rec = FORWARD['models'][name]
    sym_file = str(tmp_path / (name + '-symbol.json'))
    with open(sym_file, 'w') as f:
        f.write(_mxnet_json(name))
    inputs = gen.make_input(name, FORWARD['seed'])
    for arr, want in zip(inputs, rec['inputs']):       # the regenerated input is MXNet's input
        assert list(arr.shape) == want['shape']
        np.testing.assert_allclose(arr.astype(np.float64).sum(), want['sum'], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose((arr.astype(np.float64) ** 2).sum(), want['sumsq'], rtol=1e-9)
    shapes = dict(zip(rec['input_names'], [a.shape for a in inputs]))
    params_file = str(tmp_path / (name + '-0000.params'))
    n = _write_seeded_params(sym.load(sym_file), shapes, params_file)
    assert n == rec['n_params']

    net = SymbolBlock.imports(sym_file, rec['input_names'], params_file, ctx=current_context())
    got = _outputs(net(*[nd.array(a) for a in inputs]))
    expected = [np.array(o['values'], np.float32).reshape(o['shape']) for o in rec['outputs']]
    assert [g.shape for g in got] == [e.shape for e in expected]
    assert all(g.dtype == np.float32 for g in got)
    err = gen.rel_error(got, expected)
    assert err <= TOL, '%s: relative error %.3g against MXNet' % (name, err)


def test_imported_ocr_net_trains_one_step(tmp_path):
    """The imported LSTM-CTC graph is differentiable end to end: a gradient reaches every weight."""
    name = 'ocr_lstm_ctc'
    rec = FORWARD['models'][name]
    sym_file = str(tmp_path / 'ocr-symbol.json')
    with open(sym_file, 'w') as f:
        f.write(_mxnet_json(name))
    inputs = gen.make_input(name, FORWARD['seed'])
    params_file = str(tmp_path / 'ocr-0000.params')
    _write_seeded_params(sym.load(sym_file), dict(zip(rec['input_names'], [a.shape for a in inputs])),
                         params_file)
    net = SymbolBlock.imports(sym_file, rec['input_names'], params_file, ctx=current_context())
    with minigluon.autograd.record():
        _, loss = net(*[nd.array(a) for a in inputs])
    loss.backward()
    for pname, p in net.collect_params().items():
        if p.grad_req == 'null':          # BatchNorm running statistics
            assert 'running' in pname
            continue
        assert np.abs(p.grad().asnumpy()).max() > 0, pname


# -- minigluon -> MXNet ------------------------------------------------------------------------------

def _reverse():
    path = os.path.join(FIX, 'reverse.json')
    assert os.path.exists(path), ('missing %s: run tools/gen_interop_fixtures.py --export-minigluon '
                                  'DIR, then --check-minigluon DIR in the MXNet venv' % path)
    with open(path) as f:
        return json.load(f)


def test_mxnet_ran_minigluon_exports_and_agreed():
    rev = _reverse()
    assert rev['seed'] == gen.SEED
    assert sorted(rev['models']) == sorted(gen.MODELS)
    for name, rec in rev['models'].items():
        assert rec['rel_error'] <= TOL, '%s: MXNet disagrees with minigluon (%.3g)' % (name, rec['rel_error'])
        want = [o['shape'] for o in FORWARD['models'][name]['outputs']]
        assert rec['output_shapes'] == want


def _minigluon_json(name):
    """The JSON minigluon's ``export`` writes for network ``name`` (graph traced, not executed)."""
    net = gen.build(minigluon, name)
    net.hybridize()
    inputs = [nd.array(a) for a in gen.make_input(name)]
    _, graph = net._get_graph(*inputs)      # what export() writes; skips initialisation and forward
    return graph.tojson()


@pytest.mark.parametrize('name', _params(list(gen.MODELS)))
def test_minigluon_export_is_the_one_mxnet_checked(name):
    text = _minigluon_json(name)
    digest = hashlib.sha256(text.encode('utf-8')).hexdigest()
    assert digest == _reverse()['models'][name]['symbol_sha256'], (
        '%s: minigluon now exports a different graph than the one MXNet checked; rerun the reverse '
        'mode of tools/gen_interop_fixtures.py' % name)
    mx_json = _mxnet_json(name)
    assert text == mx_json, '%s: minigluon export differs from MXNet export' % name


def test_export_writes_the_traced_graph(tmp_path):
    """``export`` after a forward writes the same JSON as the traced graph used above."""
    name = 'mobilenet0.25'
    net = gen.build(minigluon, name)
    net.initialize()
    net.hybridize()
    net(nd.array(gen.make_input(name)[0][:1, :, :32, :32]))
    net.export(str(tmp_path / 'm'))
    with open(str(tmp_path / 'm-symbol.json')) as f:
        assert f.read() == _minigluon_json(name)
