"""Graph composition that must write the same JSON as MXNet 1.9.1, and run as minigluon runs eagerly.

Golden records: ``tests/fixtures/compose/expected.json`` from ``tools/gen_compose_fixtures.py``
(MXNet 1.9.1), whose ``CASES`` build each graph from the framework module, so the same code runs
here on minigluon.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

import minigluon
from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.block import SymbolBlock
from minigluon.test_utils import assert_almost_equal

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')


def _load_tools():
    spec = importlib.util.spec_from_file_location(
        'gen_compose_fixtures', os.path.join(ROOT, 'tools', 'gen_compose_fixtures.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_tools()
with open(os.path.join(ROOT, 'tests', 'fixtures', 'compose', 'expected.json')) as _f:
    EXPECTED = json.load(_f)


def test_fixture_covers_every_case():
    assert sorted(EXPECTED['cases']) == sorted(gen.CASES)
    assert sorted(EXPECTED['blocks']) == sorted(gen.BLOCKS)


@pytest.mark.parametrize('name', sorted(gen.CASES))
def test_graph_json_and_arguments_match_mxnet(name):
    """Variables MXNet adds or annotates while composing (PReLU's slope and UpSampling's weight
    get an ``__init__``; an UpSampling input left out becomes ``<name>_weight``/``<name>_arg1``),
    and NumPy scalars written as MXNet writes them (``np.float32(0.1)`` -> ``"0.1"``)."""
    want = EXPECTED['cases'][name]
    graph = gen.build_graph(minigluon, gen.CASES[name][0])
    assert graph.list_arguments() == want['arguments']
    assert graph.tojson() == want['json']


def test_upsampling_bilinear_weight_shape_is_inferred():
    got = gen.record(minigluon, *gen.CASES['upsampling_bilinear'])
    assert got['infer_shape'] == EXPECTED['cases']['upsampling_bilinear']['infer_shape']


def test_upsampling_bilinear_symbol_block_initialises_its_weight():
    """The implicit weight is a parameter of a SymbolBlock, shaped from the data at the first call
    (before, the graph node lost its second input and the call failed)."""
    net = SymbolBlock(gen.build_graph(minigluon, gen.CASES['upsampling_bilinear'][0]), [sym.var('x')])
    net.initialize()
    out = net(nd.array(gen.X))
    assert out.shape == (1, 2, 6, 6)
    assert net.collect_params()['up_weight'].shape == (2, 1, 4, 4)


def test_numpy_scalars_run_as_mxnet_runs_the_graph():
    """float64 data with NumPy float32 scalars: the graph gives MXNet's hybridized numbers, and
    minigluon's eager call gives the same (MXNet's eager call would not: it uses ``float()``)."""
    want = EXPECTED['cases']['numpy_scalars']['run']
    graph = gen.build_graph(minigluon, gen.CASES['numpy_scalars'][0])
    x = gen.X.astype(np.float64)
    got = graph.eval(ctx=minigluon.cpu(), x=nd.array(x, dtype=np.float64))
    np.testing.assert_array_equal(got[0].asnumpy().ravel(), np.array(want[0]))

    class Same(minigluon.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            y = x + np.float32(0.1)
            y = y * np.float16(0.3)
            y = y - np.float64(1.0 / 3)
            y = y * np.int64(3) * np.float32(0.7)
            return F.clip(y, np.float32(-0.1), np.float32(0.2))

    block = Same()
    eager = block(nd.array(x, dtype=np.float64)).asnumpy()
    block.hybridize()
    hybrid = block(nd.array(x, dtype=np.float64)).asnumpy()
    np.testing.assert_array_equal(eager.ravel(), np.array(want[0]))
    np.testing.assert_array_equal(hybrid, eager)


def test_broadcast_with_operand_of_unknown_rank_leaves_output_unknown():
    got = gen.record(minigluon, *gen.CASES['broadcast_unknown'])
    want = EXPECTED['cases']['broadcast_unknown']
    assert got['infer_shape_partial'] == want['infer_shape_partial']


def test_mixed_dtype_infer_type_reports_the_dtype_the_graph_computes():
    """MXNet 1.9.1 refuses float16 + float64 (the fixture records its error); minigluon's
    operators promote (``elemwise.promote``), and type inference says so instead of claiming
    the first input's dtype."""
    assert EXPECTED['cases']['broadcast_unknown']['infer_type'] == {'error': 'MXNetError'}
    graph = gen.build_graph(minigluon, gen.CASES['broadcast_unknown'][0])
    _, out_types, _ = graph.infer_type(y='float64')
    assert [np.dtype(t) for t in out_types] == [np.dtype(np.float64)]
    lhs = nd.ones((2, 4), dtype=np.float16)
    rhs = nd.ones((1, 4), dtype=np.float64)
    assert nd.broadcast_add(lhs, rhs).dtype == np.float64
    a, b = sym.var('a', dtype='int32'), sym.var('b', dtype='float16')
    assert [np.dtype(t) for t in (a * b).infer_type()[1]] == [np.dtype(np.float16)]


@pytest.mark.parametrize('name', sorted(gen.BLOCKS))
def test_exported_block_json_matches_mxnet(name, tmp_path):
    build, x = gen.BLOCKS[name]
    got = gen.record_block(minigluon, build, x)
    want = EXPECTED['blocks'][name]
    assert got['out_shape'] == want['out_shape']
    assert got['json'] == want['json']


def test_prelu_block_eager_equals_hybridized_with_gradients():
    build, x = gen.BLOCKS['prelu_block']
    net = build(minigluon)
    net.initialize()
    net.alpha.set_data(nd.array([0.1, -0.2, 0.3]))
    results = []
    for active in (False, True):
        net.hybridize(active)
        data = nd.array(x)
        data.attach_grad()
        with autograd.record():
            out = net(data)
        out.backward(nd.array(np.linspace(-1, 1, out.size).reshape(out.shape)))
        results.append((out.asnumpy(), data.grad.asnumpy(), net.alpha.grad().asnumpy()))
    for eager, hybrid in zip(*results):
        assert_almost_equal(hybrid, eager)
