"""``nd._internal`` / ``sym._internal`` against MXNet 1.9.1 (fixture: tools/gen_internal_fixtures.py).

Recurrent cells written from MXNet 1.x's own LSTMCell / GRUCell combine their gates with
``F._internal._plus`` and ``F._internal._mul`` (found running JONGGON/Mxnet_Tutorial's
Gluon exchange-rate LSTMCell unchanged).
"""
import importlib
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import ops
from minigluon.symbol.op_names import MX_ALIASES

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'internal', 'internal.json')) as _f:
    FIX = json.load(_f)


def _functions(module):
    return {n for n in dir(module) if n.startswith('_') and not n.startswith('__')
            and callable(getattr(module, n))}


def test_names_are_mxnets():
    mxnet_names = set(FIX['names'])
    for parent, module in ((mx.nd, mx.nd._internal), (mx.sym, mx.sym._internal)):
        names = _functions(module) - {'internal_functions', 'refresh'}
        assert names <= mxnet_names, sorted(names - mxnet_names)
        # every operator of MXNet's _internal that nd (sym) offers is there
        offered = {n for n in mxnet_names if n in set(ops.OPS) | set(MX_ALIASES) and hasattr(parent, n)}
        assert offered - names == set(), sorted(offered - names)
        assert {'_plus', '_mul', '_minus', '_div', '_plus_scalar', '_zeros', '_arange',
                '_random_uniform', '_sample_normal'} <= names
    assert mx.nd._internal._plus is mx.nd._plus and mx.sym._internal._mul is mx.sym._mul


def test_importable_as_in_mxnet():
    for mod in ('minigluon.nd._internal', 'minigluon.ndarray._internal',
                'minigluon.sym._internal', 'minigluon.symbol._internal'):
        assert importlib.import_module(mod) in (mx.nd._internal, mx.sym._internal), mod


@pytest.mark.parametrize('case', FIX['symbols'], ids=lambda c: c['src'])
def test_symbols_match_mxnet(case):
    a, b = mx.sym.var('a'), mx.sym.var('b')
    with mx.name.NameManager():
        s = eval(case['src'], {'mx': mx, 'a': a, 'b': b})     # noqa: S307 -- fixture source lines
    nodes = [{k: n.get(k, {}) for k in ('op', 'name', 'attrs')}
             for n in json.loads(s.tojson())['nodes'] if n['op'] != 'null']
    assert nodes == case['nodes']
    assert s.list_arguments() == case['arguments']


@pytest.mark.parametrize('case', FIX['values'], ids=lambda c: c['src'])
def test_values_match_mxnet(case):
    a, b = mx.nd.array([[1, 2, 3], [4, 5, 6]]), mx.nd.array([[2, 2, 2], [0.5, 4, -1]])
    v = eval(case['src'], {'mx': mx, 'a': a, 'b': b})     # noqa: S307 -- fixture source lines
    assert np.dtype(v.dtype).name == case['dtype']
    np.testing.assert_allclose(v.asnumpy(), np.array(case['value']), rtol=1e-6)


class GateCell(mx.gluon.HybridBlock):
    """An LSTM-style step combining its gates with F._internal (c' = f c + i g, h' = o tanh c')."""

    def __init__(self, hidden, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.i2h = mx.gluon.nn.Dense(4 * hidden, in_units=3)
            self.h2h = mx.gluon.nn.Dense(4 * hidden, in_units=hidden)

    def hybrid_forward(self, F, x, h, c):
        gates = F.SliceChannel(self.i2h(x) + self.h2h(h), num_outputs=4, name='slice')
        i, f, o = (F.Activation(gates[k], act_type='sigmoid') for k in (0, 1, 3))
        g = F.Activation(gates[2], act_type='tanh')
        c2 = F._internal._plus(f * c, i * g, name='state')
        return F._internal._mul(o, F.Activation(c2, act_type='tanh'), name='out'), c2


@pytest.mark.parametrize('hybridize', [False, True])
def test_cell_with_internal_gates_matches_mxnet(hybridize):
    cell = GateCell(2, prefix='cell_')
    cell.initialize()
    for k, (_, p) in enumerate(sorted(cell.collect_params().items())):
        p.set_data(mx.nd.array(np.sin(np.arange(np.prod(p.shape)) + k).reshape(p.shape) * 0.5))
    if hybridize:
        cell.hybridize()
    x = mx.nd.array(np.linspace(-1, 1, 6).reshape(2, 3))
    h2, c2 = cell(x, mx.nd.array([[0.1, -0.2], [0.3, 0.0]]), mx.nd.array([[0.5, 0.5], [-0.5, 0.2]]))
    want = FIX['cell']['hybridized' if hybridize else 'eager']
    np.testing.assert_allclose(h2.asnumpy(), want['h'], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(c2.asnumpy(), want['c'], rtol=1e-5, atol=1e-7)
