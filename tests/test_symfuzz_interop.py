"""Regressions from the random-network interop fuzzer: MXNet 1.9.1 files of the networks in
``tools/gen_symfuzz_fixtures.py`` (``tests/fixtures/symfuzz``) against minigluon.

For each network: minigluon's ``export`` of the same network writes the same graph as MXNet's
(node for node, attributes included); MXNet's export imported with ``SymbolBlock.imports`` and
MXNet's ``save_parameters`` file loaded into minigluon's network both give MXNet's outputs.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

import minigluon as mg

ROOT = os.path.join(os.path.dirname(__file__), '..')
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'symfuzz')
_spec = importlib.util.spec_from_file_location(
    'gen_symfuzz_fixtures', os.path.join(ROOT, 'tools', 'gen_symfuzz_fixtures.py'))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def _graph(path):
    with open(path) as f:
        graph = json.load(f)
    graph.get('attrs', {}).pop('mxnet_version', None)
    return graph


def _expected(name):
    data = np.load(os.path.join(FIX, name + '.npz'))
    xs = [data['in%d' % i] for i in range(sum(k.startswith('in') for k in data.files))]
    outs = [data['out%d' % j] for j in range(sum(k.startswith('out') for k in data.files))]
    return xs, outs


def _outs(out):
    return [o.asnumpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


@pytest.mark.parametrize('name', sorted(gen.NETS))
def test_export_writes_mxnets_graph(name, tmp_path):
    net, xs, outs = gen.run(mg, name)
    _, want = _expected(name)
    for got, exp in zip(outs, want):
        np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-6)
    net.export(str(tmp_path / name))
    mine = _graph(str(tmp_path / name) + '-symbol.json')
    theirs = _graph(os.path.join(FIX, name + '-symbol.json'))
    assert len(mine['nodes']) == len(theirs['nodes'])
    for a, b in zip(mine['nodes'], theirs['nodes']):
        assert a == b
    assert mine == theirs


@pytest.mark.parametrize('name', sorted(gen.NETS))
def test_mxnet_export_and_parameters_give_mxnets_outputs(name):
    xs, want = _expected(name)
    names = ['data'] if len(xs) == 1 else ['data%d' % i for i in range(len(xs))]
    prefix = os.path.join(FIX, name)
    block = mg.gluon.SymbolBlock.imports(prefix + '-symbol.json', names, prefix + '-0000.params',
                                         ctx=mg.current_context())
    for got, exp in zip(_outs(block(*[mg.nd.array(x) for x in xs])), want):
        np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-6)
    net, _ = gen.build(mg, name)
    net.load_parameters(prefix + '.params', ctx=mg.current_context())
    net.hybridize()
    got = _outs(net(*[mg.nd.array(x) for x in xs]))
    assert len(got) == len(want)
    for g, exp in zip(got, want):
        np.testing.assert_allclose(g, exp, rtol=1e-5, atol=1e-6)
