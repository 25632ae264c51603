"""Regression fixtures for differences found by the random-network interop fuzzer (MXNet 1.9.1).

    /opt/mxvenv/bin/python tools/gen_symfuzz_fixtures.py

The fuzzer (kept outside the suite) builds random small Gluon networks, exports them in one
framework and loads them in the other. Each network here reproduces one difference it found; the
definitions run unchanged on ``mxnet`` or ``minigluon`` (``fw``). For each network this writes,
under ``tests/fixtures/symfuzz/``: ``<name>-symbol.json`` and ``<name>-0000.params`` (MXNet's
``export``), ``<name>.params`` (MXNet's ``save_parameters``) and ``<name>.npz`` (the inputs
``in<i>`` and MXNet's outputs ``out<j>``). Weights are uniform on [-0.5, 0.5] from ``SEED``, drawn
in sorted parameter-name order.
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'symfuzz')
SEED = 7


def _gru_stack(fw):
    """GRU cells unrolled in a hybridized block (a stack with a residual cell, and a
    bidirectional pair): MXNet writes the GRU gates as ``Activation`` nodes and ``1 - z`` as
    ``elemwise_sub`` named ``t<k>_minus0``."""
    rnn, nn = fw.gluon.rnn, fw.gluon.nn

    class GRUStack(fw.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.stack = rnn.HybridSequentialRNNCell()
                with self.stack.name_scope():
                    self.stack.add(rnn.GRUCell(4, input_size=3))
                    self.stack.add(rnn.ResidualCell(rnn.GRUCell(4, input_size=4)))
                self.bi = rnn.BidirectionalCell(rnn.GRUCell(2, input_size=4),
                                                rnn.GRUCell(2, input_size=4))
                self.proj = nn.Dense(2, flatten=False)

        def hybrid_forward(self, F, x):
            out, states = self.stack.unroll(3, x, layout='NTC', merge_outputs=True)
            out, bstates = self.bi.unroll(3, out, layout='NTC', merge_outputs=True)
            return (self.proj(out),) + tuple(states) + tuple(bstates)

    return GRUStack(prefix='fz_'), [(2, 3, 3)]


NETS = {'gru_stack': _gru_stack}


def build(fw, name):
    """(net, input shapes) of network ``name``, made under a fresh NameManager."""
    with fw.name.NameManager():
        return NETS[name](fw)


def inputs(name, shapes):
    rs = np.random.RandomState(SEED + 1)
    return [rs.uniform(-1, 1, s).astype(np.float32) for s in shapes]


def run(fw, name):
    """Build, hybridize, set the seeded weights and run: (net, inputs, outputs)."""
    net, shapes = build(fw, name)
    net.initialize()
    net.hybridize()
    xs = inputs(name, shapes)
    net(*[fw.nd.array(x) for x in xs])
    params = net.collect_params()
    rs = np.random.RandomState(SEED)
    for key in sorted(params.keys()):
        p = params[key]
        p.set_data(fw.nd.array(rs.uniform(-0.5, 0.5, p.shape).astype(np.float32)))
    out = net(*[fw.nd.array(x) for x in xs])
    out = out if isinstance(out, (list, tuple)) else [out]
    return net, xs, [o.asnumpy() for o in out]


def main():
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    for name in NETS:
        net, xs, outs = run(mx, name)
        prefix = os.path.join(OUT, name)
        net.export(prefix)
        net.save_parameters(prefix + '.params')
        arrays = {'in%d' % i: x for i, x in enumerate(xs)}
        arrays.update({'out%d' % j: o for j, o in enumerate(outs)})
        np.savez(prefix + '.npz', **arrays)
        print(name, [o.shape for o in outs])


if __name__ == '__main__':
    main()
