"""gluon.rnn.LSTM with ``projection_size`` (LSTMP) against MXNet 1.9.1 (tools/gen_lstmp_fixtures.py):
parameter names, shapes and order, ``.params`` files both ways, outputs and final states eager and
hybridized, the exported graph, and ``SymbolBlock.imports`` of MXNet's export. MXNet 1.9.1's CPU build
cannot train this layer; here it trains (gradients: tests/ops/test_rnn_projection.py)."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, current_context, gluon, nd
from minigluon.gluon import rnn
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'lstmp')
CASES = {'lstmp_bi2': (4, 3, 2, True, 'TNC'), 'lstmp_ntc': (5, 2, 1, False, 'NTC')}


def _layer(name):
    hidden, proj, layers, bidir, layout = CASES[name]
    return rnn.LSTM(hidden, num_layers=layers, bidirectional=bidir, layout=layout,
                    projection_size=proj, prefix='lstmp_')


@pytest.mark.parametrize('name', sorted(CASES))
@pytest.mark.parametrize('hybrid', [False, True])
def test_lstmp_layer_matches_mxnet(name, hybrid, tmp_path):
    want = np.load(os.path.join(FIX, name + '.npz'))
    layer = _layer(name)
    params = layer.collect_params()
    assert list(params.keys()) == list(want['param_names'])
    # the deferred shapes are filled by the file
    layer.load_parameters(os.path.join(FIX, name + '.params'), ctx=current_context())
    assert [list(p.shape) for p in params.values()] == json.loads(str(want['param_shapes']))
    if hybrid:
        layer.hybridize()
    states = [nd.array(want['h0']), nd.array(want['c0'])]
    assert [s.shape for s in layer.begin_state(want['h0'].shape[1])] == [s.shape for s in states]
    out, new = layer(nd.array(want['x']), states)
    assert_almost_equal(out, want['out'], rtol=1e-5, atol=1e-6)
    assert_almost_equal(new[0], want['hy'], rtol=1e-5, atol=1e-6)
    assert_almost_equal(new[1], want['cy'], rtol=1e-5, atol=1e-6)
    layer.save_parameters(str(tmp_path / 'again.params'))       # MXNet's keys and bytes
    with open(tmp_path / 'again.params', 'rb') as a, open(os.path.join(FIX, name + '.params'), 'rb') as b:
        assert a.read() == b.read()


@pytest.mark.parametrize('name', sorted(CASES))
def test_lstmp_export_and_mxnet_export_import(name, tmp_path):
    want = np.load(os.path.join(FIX, name + '.npz'))
    inputs = [nd.array(want[k]) for k in ('x', 'h0', 'c0')]
    imported = gluon.SymbolBlock.imports(os.path.join(FIX, name + '-symbol.json'),
                                         ['data0', 'data1', 'data2'],
                                         os.path.join(FIX, name + '-0000.params'), ctx=current_context())
    outs = imported(*inputs)
    for got, key in zip(outs, ('out', 'hy', 'cy')):
        assert_almost_equal(got, want[key], rtol=1e-5, atol=1e-6)
    layer = _layer(name)
    layer.load_parameters(os.path.join(FIX, name + '.params'), ctx=current_context())
    layer.hybridize()
    layer(inputs[0], inputs[1:])
    sym_file, _ = layer.export(str(tmp_path / name))
    with open(sym_file) as mine, open(os.path.join(FIX, name + '-symbol.json')) as theirs:
        assert mine.read() == theirs.read()


def test_lstmp_trains_deferred_and_reports_its_state_shapes():
    layer = rnn.LSTM(6, projection_size=3, bidirectional=True, layout='NTC')
    layer.initialize()
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, (2, 5, 4)))
    assert [s.shape for s in layer.begin_state(2)] == [(2, 2, 3), (2, 2, 6)]
    trainer = gluon.Trainer(layer.collect_params(), 'adam', {'learning_rate': 0.05})
    losses = []
    for _ in range(30):
        with autograd.record():
            loss = ((layer(x) - 0.5) ** 2).mean()
        loss.backward()
        trainer.step(1)
        losses.append(float(loss.asscalar()))
    assert layer(x).shape == (2, 5, 6)
    assert layer.l0_h2r_weight.shape == (3, 6) and layer.l0_h2h_weight.shape == (24, 3)
    assert losses[-1] < 0.5 * losses[0]
