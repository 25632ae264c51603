"""Golden file for ``nd._internal`` / ``sym._internal`` (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_internal_fixtures.py

Writes tests/fixtures/internal/internal.json: the operator names MXNet files into
``mx.nd._internal`` (the same in ``mx.sym._internal``), the nodes of Symbols built with
``sym._internal`` functions, the values of ``nd._internal`` calls, and one step of a recurrent
cell whose hybrid_forward adds and multiplies its gates with ``F._internal._plus`` /
``F._internal._mul`` (as MXNet 1.x's own LSTMCell does), eagerly and hybridized.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'internal')

SYMBOLS = ["mx.sym._internal._plus(a, b, name='t0_state')",
           "mx.sym._internal._mul(a, b, name='t0_out')",
           "mx.sym._internal._minus(a, b)",
           "mx.sym._internal._div(a, b)",
           "mx.sym._internal._plus_scalar(a, scalar=2.5)",
           "mx.sym._internal._rminus_scalar(a, scalar=1)",
           "mx.sym._internal._zeros(shape=(2, 3))"]
VALUES = ["mx.nd._internal._plus(a, b)",
          "mx.nd._internal._mul(a, b)",
          "mx.nd._internal._minus(a, b)",
          "mx.nd._internal._div(a, b)",
          "mx.nd._internal._plus_scalar(a, scalar=2.5)",
          "mx.nd._internal._rminus_scalar(a, scalar=1)",
          "mx.nd._internal._power_scalar(a, scalar=2)",
          "mx.nd._internal._greater_scalar(a, scalar=2)",
          "mx.nd._internal._arange(start=1, stop=4)",
          "mx.nd._internal._ones(shape=(2,))"]


class GateCell(mx.gluon.HybridBlock):
    """One LSTM-style step: c' = f * c + i * g and h' = o * tanh(c'), combined with F._internal."""

    def __init__(self, hidden, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        with self.name_scope():
            self.i2h = mx.gluon.nn.Dense(4 * hidden, in_units=3)
            self.h2h = mx.gluon.nn.Dense(4 * hidden, in_units=hidden)

    def hybrid_forward(self, F, x, h, c):
        gates = F.SliceChannel(self.i2h(x) + self.h2h(h), num_outputs=4, name='slice')
        i, f, o = (F.Activation(gates[k], act_type='sigmoid') for k in (0, 1, 3))
        g = F.Activation(gates[2], act_type='tanh')
        c2 = F._internal._plus(f * c, i * g, name='state')
        h2 = F._internal._mul(o, F.Activation(c2, act_type='tanh'), name='out')
        return h2, c2


def cell_step(hybridize):
    cell = GateCell(2, prefix='cell_')
    cell.initialize()
    for k, (name, p) in enumerate(sorted(cell.collect_params().items())):
        p.set_data(mx.nd.array(np.sin(np.arange(np.prod(p.shape)) + k).reshape(p.shape) * 0.5))
    if hybridize:
        cell.hybridize()
    x = mx.nd.array(np.linspace(-1, 1, 6).reshape(2, 3))
    h = mx.nd.array([[0.1, -0.2], [0.3, 0.0]])
    c = mx.nd.array([[0.5, 0.5], [-0.5, 0.2]])
    h2, c2 = cell(x, h, c)
    return {'h': h2.asnumpy().tolist(), 'c': c2.asnumpy().tolist()}


def main():
    names = sorted(n for n in dir(mx.nd._internal)
                   if n.startswith('_') and not n.startswith('__') and callable(getattr(mx.nd._internal, n)))
    symbols = []
    for src in SYMBOLS:
        s = eval(src, {'mx': mx, 'a': mx.sym.var('a'), 'b': mx.sym.var('b')})  # noqa: S307 -- fixed lines
        nodes = [{k: n.get(k, {}) for k in ('op', 'name', 'attrs')}
                 for n in json.loads(s.tojson())['nodes'] if n['op'] != 'null']
        symbols.append({'src': src, 'nodes': nodes, 'arguments': s.list_arguments()})
    values = []
    arrays = {'mx': mx, 'a': mx.nd.array([[1, 2, 3], [4, 5, 6]]), 'b': mx.nd.array([[2, 2, 2], [0.5, 4, -1]])}
    for src in VALUES:
        v = eval(src, arrays)  # noqa: S307 -- the fixed source lines above
        values.append({'src': src, 'value': v.asnumpy().tolist(), 'dtype': np.dtype(v.dtype).name})
    out = {'names': names, 'symbols': symbols, 'values': values,
           'cell': {'eager': cell_step(False), 'hybridized': cell_step(True)}}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'internal.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print('wrote', os.path.join(OUT, 'internal.json'), len(names), 'names')


if __name__ == '__main__':
    main()
