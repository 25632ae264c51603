"""Write MXNet 1.9.1 golden files for minigluon's RNN tests (run with the MXNet venv's python).

    /opt/mxvenv/bin/python tools/gen_rnn_fixtures.py

Outputs under tests/fixtures/rnn/:
* ``rnn_op_lstm.npz``, ``rnn_op_gru.npz``: the fused ``RNN`` operator, 2 layers, bidirectional,
  fixed inputs and weights, its outputs and the gradients for a fixed head gradient on ``out``.
* ``lstm_layer.npz`` / ``lstm_layer.params``: a ``gluon.rnn.LSTM`` layer (NTC, bidirectional),
  its output for a fixed input and its ``save_parameters`` file (``_unfused...`` keys).
* ``gru_layer_keys.json``: saved keys and collect_params names of a unidirectional GRU layer.
* ``cells.npz`` / ``cells.json``: cells (RNN, LSTM, GRU, a stack with residual and dropout, a
  bidirectional pair) unrolled with fixed weights, with valid lengths too; their reprs, parameter
  names and save keys.
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'rnn')


def op_fixture(mode, T=4, N=2, I=3, H=2, layers=2, bidir=True):
    rng = np.random.RandomState(42)
    D = 2 if bidir else 1
    G = {'lstm': 4, 'gru': 3}[mode]
    size = 0
    for layer in range(layers):
        ni = I if layer == 0 else D * H
        size += D * G * H * (ni + H + 2)
    arrays = {'data': rng.uniform(-1, 1, (T, N, I)), 'params': rng.uniform(-0.5, 0.5, size),
              'state': rng.uniform(-0.5, 0.5, (layers * D, N, H))}
    names = ['data', 'params', 'state']
    if mode == 'lstm':
        arrays['state_cell'] = rng.uniform(-0.5, 0.5, (layers * D, N, H))
        names.append('state_cell')
    head = rng.uniform(-1, 1, (T, N, D * H)).astype(np.float32)
    nds = [mx.nd.array(arrays[k]) for k in names]
    for a in nds:
        a.attach_grad()
    with mx.autograd.record():
        outs = mx.nd.RNN(*nds, state_size=H, num_layers=layers, bidirectional=bidir, mode=mode,
                         state_outputs=True)
    mx.autograd.backward([outs[0]], [mx.nd.array(head)])
    res = {k: v.astype(np.float32) for k, v in arrays.items()}
    res.update(mode=np.array(mode), num_layers=np.array(layers), state_size=np.array(H),
               bidirectional=np.array(bidir), head_grad=head, out=outs[0].asnumpy(),
               hy=outs[1].asnumpy())
    if mode == 'lstm':
        res['cy'] = outs[2].asnumpy()
    for a, k in zip(nds, names):
        res['grad_' + ('params' if k == 'params' else k)] = a.grad.asnumpy()
    np.savez(os.path.join(OUT, 'rnn_op_%s.npz' % mode), **res)


def layer_fixture():
    rng = np.random.RandomState(7)
    layer = mx.gluon.rnn.LSTM(4, num_layers=2, layout='NTC', bidirectional=True, input_size=3)
    layer.initialize(mx.init.Uniform(0.5))
    x = rng.uniform(-1, 1, (2, 5, 3)).astype(np.float32)
    out = layer(mx.nd.array(x))
    layer.save_parameters(os.path.join(OUT, 'lstm_layer.params'))
    np.savez(os.path.join(OUT, 'lstm_layer.npz'), x=x, out=out.asnumpy())
    gru = mx.gluon.rnn.GRU(3, num_layers=2, input_size=2)
    gru.initialize()
    keys = list(gru._collect_params_with_prefix().keys())
    with open(os.path.join(OUT, 'gru_layer_keys.json'), 'w') as f:
        json.dump({'saved_keys': keys,
                   'param_names': [k[len(gru.prefix):] for k in gru.collect_params().keys()],
                   'repr_lstm': repr(layer), 'repr_gru': repr(gru)}, f, indent=1)


def _fixed_init(block, rng):
    for name, p in block.collect_params().items():
        p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))


def cell_fixture():
    rng = np.random.RandomState(11)
    x = rng.uniform(-1, 1, (2, 4, 3)).astype(np.float32)     # NTC
    valid = np.array([4, 2], dtype=np.float32)
    res, meta = {'x': x, 'valid': valid}, {}
    rnn = mx.gluon.rnn
    with mx.name.NameManager():
        cells = {
            'rnn': rnn.RNNCell(5, activation='relu', input_size=3),
            'lstm': rnn.LSTMCell(5, input_size=3),
            'gru': rnn.GRUCell(5, input_size=3),
        }
        stack = rnn.SequentialRNNCell()
        with stack.name_scope():
            stack.add(rnn.LSTMCell(3, input_size=3))
            stack.add(rnn.ResidualCell(rnn.GRUCell(3, input_size=3)))
            stack.add(rnn.DropoutCell(0.5))
        cells['stack'] = stack
        cells['bi'] = rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3, prefix='l_'),
                                            rnn.GRUCell(2, input_size=3, prefix='r_'))
        cells['zoneout'] = rnn.ZoneoutCell(rnn.GRUCell(3, input_size=3, prefix='z_'), 0.3, 0.2)
    for name, cell in cells.items():
        cell.initialize()
        _fixed_init(cell, rng)
        out, states = cell.unroll(4, mx.nd.array(x), layout='NTC', merge_outputs=True)
        res[name + '_out'] = out.asnumpy()
        for i, s in enumerate(states):
            res['%s_state%d' % (name, i)] = s.asnumpy()
        out, states = cell.unroll(4, mx.nd.array(x), layout='NTC', merge_outputs=True,
                                  valid_length=mx.nd.array(valid))
        res[name + '_vout'] = out.asnumpy()
        for i, s in enumerate(states):
            res['%s_vstate%d' % (name, i)] = s.asnumpy()
        for pname, p in cell.collect_params().items():
            res['%s_param_%s' % (name, pname)] = p.data().asnumpy()
        meta[name] = {'repr': repr(cell), 'params': list(cell.collect_params().keys()),
                      'saved_keys': list(cell._collect_params_with_prefix().keys())}
    np.savez(os.path.join(OUT, 'cells.npz'), **res)
    with open(os.path.join(OUT, 'cells.json'), 'w') as f:
        json.dump(meta, f, indent=1)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    op_fixture('lstm')
    op_fixture('gru')
    layer_fixture()
    cell_fixture()
