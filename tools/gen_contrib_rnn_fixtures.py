"""Write MXNet 1.9.1 golden files for minigluon's ``gluon.contrib.rnn`` tests (MXNet venv's python).

    /opt/mxvenv/bin/python tools/gen_contrib_rnn_fixtures.py

Outputs under tests/fixtures/contrib_rnn/ (a few KB each):
* ``<case>.npz`` / ``<case>.params``: one cell (``LSTMPCell`` and each convolutional cell) with
  fixed weights (its ``save_parameters`` file), fixed inputs and begin states, the merged outputs
  and final states of ``unroll`` (layout NTC, and TNC for LSTMPCell), and the gradients of
  ``sum(out * head)`` with respect to the inputs, the begin states and every parameter.
* ``cells.json``: per case the constructor arguments, ``repr``, ``collect_params`` names and
  shapes, ``save_parameters`` keys and ``state_info``; plus channel-last cells' parameter shapes
  (MXNet's CPU Convolution cannot run them) and a ``VariationalDropoutCell`` repr.
* ``lstmp_net-symbol.json`` / ``lstmp_net-0000.params`` / ``lstmp_net.npz``: a hybridized block
  unrolling an LSTMPCell over 3 steps, exported, with its input and output.
"""
import json
import os

import mxnet as mx
import numpy as np
from mxnet.gluon.contrib import rnn as crnn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'contrib_rnn')
T, N = 3, 2

# case name -> (class name, positional args, keyword args, step input shape without batch)
CASES = {
    'lstmp': ('LSTMPCell', [5, 3], {'input_size': 4}, (4,)),
    'conv1d_rnn': ('Conv1DRNNCell', [(2, 6), 3, 3, 3], {'i2h_pad': 1, 'activation': 'relu'},
                   (2, 6)),
    'conv2d_rnn': ('Conv2DRNNCell', [(2, 4, 4), 2, (3, 3), (3, 1)], {}, (2, 4, 4)),
    'conv3d_rnn': ('Conv3DRNNCell', [(1, 3, 3, 3), 2, 1, 3], {}, (1, 3, 3, 3)),
    'conv1d_lstm': ('Conv1DLSTMCell', [(2, 7), 2, 3, 3],
                    {'i2h_dilate': 2, 'h2h_dilate': 2}, (2, 7)),
    'conv2d_lstm': ('Conv2DLSTMCell', [(2, 4, 4), 2, 3, 3], {'i2h_pad': (1, 1)}, (2, 4, 4)),
    'conv3d_lstm': ('Conv3DLSTMCell', [(1, 3, 3, 3), 1, 2, 1], {}, (1, 3, 3, 3)),
    'conv1d_gru': ('Conv1DGRUCell', [(2, 5), 3, 2, 3], {'activation': 'sigmoid'}, (2, 5)),
    'conv2d_gru': ('Conv2DGRUCell', [(2, 4, 4), 2, 3, 3], {'i2h_pad': 1}, (2, 4, 4)),
    'conv3d_gru': ('Conv3DGRUCell', [(1, 3, 3, 3), 1, 3, 1], {'i2h_pad': 1}, (1, 3, 3, 3)),
}

# channel-last cells: MXNet builds them (parameter shapes, state_info) but cannot run them on CPU
CHANNEL_LAST = {
    'conv1d_lstm_nwc': ('Conv1DLSTMCell', [(6, 2), 3, 3, 3], {'conv_layout': 'NWC'}),
    'conv2d_gru_nhwc': ('Conv2DGRUCell', [(4, 5, 2), 2, (3, 1), 3], {'conv_layout': 'NHWC'}),
    'conv3d_rnn_ndhwc': ('Conv3DRNNCell', [(3, 3, 4, 1), 2, 2, 1], {'conv_layout': 'NDHWC'}),
}


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def _meta(cell, args, kwargs):
    return {'cls': type(cell).__name__, 'args': [_jsonable(a) for a in args],
            'kwargs': {k: _jsonable(v) for k, v in kwargs.items()}, 'repr': repr(cell),
            'params': [[k, list(p.shape)] for k, p in cell.collect_params().items()],
            'saved_keys': list(cell._collect_params_with_prefix().keys()),
            'state_info': [[list(s['shape']), s['__layout__']] for s in cell.state_info(N)]}


def cell_case(name, rng):
    cls, args, kwargs, step_shape = CASES[name]
    with mx.name.NameManager():
        cell = getattr(crnn, cls)(*args, **kwargs)
    meta = _meta(cell, args, kwargs)
    cell.initialize()
    for p in cell.collect_params().values():
        p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))
    cell.save_parameters(os.path.join(OUT, name + '.params'))
    x = rng.uniform(-1, 1, (N, T) + step_shape).astype(np.float32)
    states = [rng.uniform(-0.5, 0.5, s['shape']).astype(np.float32) for s in cell.state_info(N)]
    res = {'x': x}
    res.update(('begin%d' % i, s) for i, s in enumerate(states))

    xs = mx.nd.array(x)
    ss = [mx.nd.array(s) for s in states]
    for a in [xs] + ss:
        a.attach_grad()
    with mx.autograd.record():
        out, new = cell.unroll(T, xs, begin_state=ss, layout='NTC', merge_outputs=True)
        head = rng.uniform(-1, 1, out.shape).astype(np.float32)
        loss = (out * mx.nd.array(head)).sum()
    loss.backward()
    res.update(head=head, out=out.asnumpy(), grad_x=xs.grad.asnumpy())
    res.update(('state%d' % i, s.asnumpy()) for i, s in enumerate(new))
    res.update(('grad_begin%d' % i, s.grad.asnumpy()) for i, s in enumerate(ss))
    res.update(('grad_' + k[len(cell.prefix):], p.grad().asnumpy())
               for k, p in cell.collect_params().items())
    if name == 'lstmp':
        out_tnc, new_tnc = cell.unroll(T, mx.nd.array(x.swapaxes(0, 1)), begin_state=ss,
                                       layout='TNC', merge_outputs=True)
        res['out_tnc'] = out_tnc.asnumpy()
        res.update(('state%d_tnc' % i, s.asnumpy()) for i, s in enumerate(new_tnc))
    np.savez_compressed(os.path.join(OUT, name + '.npz'), **res)
    return meta


class LSTMPNet(mx.gluon.HybridBlock):
    """Unroll an LSTMPCell over 3 steps of an NTC input from given begin states."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.cell = crnn.LSTMPCell(4, 2, input_size=3)

    def hybrid_forward(self, F, x, h0, c0):
        out, states = self.cell.unroll(3, x, begin_state=[h0, c0], layout='NTC',
                                       merge_outputs=True)
        return out, states[1]


def export_case(rng):
    with mx.name.NameManager():
        net = LSTMPNet(prefix='lstmpnet_')
    net.initialize()
    for p in net.collect_params().values():
        p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))
    net.hybridize()
    x = rng.uniform(-1, 1, (N, 3, 3)).astype(np.float32)
    h0 = rng.uniform(-0.5, 0.5, (N, 2)).astype(np.float32)
    c0 = rng.uniform(-0.5, 0.5, (N, 4)).astype(np.float32)
    out, c = net(mx.nd.array(x), mx.nd.array(h0), mx.nd.array(c0))
    net.export(os.path.join(OUT, 'lstmp_net'))
    np.savez_compressed(os.path.join(OUT, 'lstmp_net.npz'), x=x, h0=h0, c0=c0, out=out.asnumpy(),
                        c=c.asnumpy())


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(2024)
    meta = {name: cell_case(name, rng) for name in CASES}
    for name, (cls, args, kwargs) in CHANNEL_LAST.items():
        with mx.name.NameManager():
            meta[name] = _meta(getattr(crnn, cls)(*args, **kwargs), args, kwargs)
    with mx.name.NameManager():
        vcell = crnn.VariationalDropoutCell(mx.gluon.rnn.LSTMCell(3), drop_inputs=0.1,
                                            drop_states=0.2, drop_outputs=0.3)
        meta['vardrop'] = {'repr': repr(vcell), 'prefix': vcell.prefix,
                           'params': list(vcell.collect_params().keys())}
    with open(os.path.join(OUT, 'cells.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    export_case(rng)


if __name__ == '__main__':
    main()
