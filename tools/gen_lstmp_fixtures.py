"""Write MXNet 1.9.1 golden files for minigluon's LSTM-with-projection (LSTMP) tests.

    /opt/mxvenv/bin/python tools/gen_lstmp_fixtures.py

Outputs under tests/fixtures/lstmp/, per case ``<name>`` (see CASES):
* ``<name>.params``: the layer's ``save_parameters`` file (``_unfused...h2r_weight`` keys);
* ``<name>-symbol.json`` / ``<name>-0000.params``: the hybridized layer's ``export``;
* ``<name>.npz``: input, begin states, outputs and final states, plus ``param_names``
  (``collect_params`` order) and ``param_shapes``.

Forward only: MXNet 1.9.1's CPU build refuses to train an LSTM with projection ("No training
support for LSTM with projection on CPU currently"); minigluon's gradients are checked against
central differences instead (tests/ops/test_rnn_projection.py).
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'lstmp')
CASES = {
    # name: (hidden, projection, layers, bidirectional, layout, batch, steps, input size)
    'lstmp_bi2': (4, 3, 2, True, 'TNC', 2, 5, 3),
    'lstmp_ntc': (5, 2, 1, False, 'NTC', 3, 4, 2),
}


def case(name, hidden, proj, layers, bidir, layout, N, T, I):
    rng = np.random.RandomState(11)
    mx.random.seed(5)
    layer = mx.gluon.rnn.LSTM(hidden, num_layers=layers, bidirectional=bidir, layout=layout,
                              projection_size=proj, input_size=I, prefix='lstmp_')
    layer.initialize(mx.init.Uniform(0.5))
    layer.save_parameters(os.path.join(OUT, name + '.params'))
    x = mx.nd.array(rng.uniform(-1, 1, (T, N, I) if layout == 'TNC' else (N, T, I)))
    states = [mx.nd.array(rng.uniform(-0.5, 0.5, s.shape)) for s in layer.begin_state(N)]
    out, new = layer(x, states)
    params = layer.collect_params()
    res = {'x': x.asnumpy(), 'h0': states[0].asnumpy(), 'c0': states[1].asnumpy(),
           'out': out.asnumpy(), 'hy': new[0].asnumpy(), 'cy': new[1].asnumpy(),
           'param_names': np.array(list(params.keys())),
           'param_shapes': np.array(json.dumps([list(p.shape) for p in params.values()]))}
    np.savez(os.path.join(OUT, name + '.npz'), **res)
    layer.hybridize()
    layer(x, states)
    layer.export(os.path.join(OUT, name))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, spec in CASES.items():
        case(name, *spec)
    print('wrote', sorted(os.listdir(OUT)))
