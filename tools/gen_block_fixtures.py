"""Write MXNet 1.9.1 golden files for minigluon's Block/Parameter tests (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_block_fixtures.py

Outputs under tests/fixtures/block/:
* ``naming.json``: ``collect_params()`` names and ``save_parameters`` keys of small nested models
  (name_scope, no name_scope, ``prefix=''``, shared params, deduplicate), each built under a fresh
  ``NameManager``.
* ``summary.json``: ``summary()`` text of a Dense/Activation model and of a shared-layer model.
* ``seq.params``: ``save_parameters`` of HybridSequential[Dense(3, in_units=2), Dense(2, in_units=3)]
  with fixed values (``0.1 * arange``), to compare bytes; ``seq_legacy.params`` the same with
  ``save_params``; ``seq-symbol.json``/``seq-0000.params`` its ``export``.
"""
import contextlib
import io
import json
import os
import warnings

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'block')


class Model(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get('scale', shape=(1,))
            self.params.get('hidden', shape=(1,))      # never assigned: collected but not saved
            self.fc1 = nn.Dense(2, in_units=2)
            self.body = nn.HybridSequential()
            with self.body.name_scope():
                self.body.add(nn.Dense(2, in_units=2), nn.Dense(2, in_units=2))

    def hybrid_forward(self, F, x, w):
        return F.broadcast_mul(self.body(self.fc1(x)), w)


def fill(net):
    """Deterministic values: each parameter gets 0.1 * arange(size) + its index."""
    for i, (name, p) in enumerate(sorted(net.collect_params().items())):
        p.set_data(mx.nd.array(0.1 * np.arange(int(np.prod(p.shape))).reshape(p.shape) + i))


def naming():
    out = {}
    with mx.name.NameManager():
        seq = nn.HybridSequential()
        with seq.name_scope():
            seq.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
        out['seq'] = {'params': list(seq.collect_params().keys()),
                      'keys': list(seq._collect_params_with_prefix().keys()),
                      'prefixes': [seq.prefix, seq[0].prefix, seq[1].prefix]}
    with mx.name.NameManager():
        m = Model()
        m2 = Model()
        out['model'] = {'params': list(m.collect_params().keys()),
                        'keys': list(m._collect_params_with_prefix().keys()),
                        'second_prefix': m2.prefix, 'second_fc1': m2.fc1.prefix}
    with mx.name.NameManager():
        seq = nn.HybridSequential()
        seq.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
        out['no_scope'] = {'params': list(seq.collect_params().keys()),
                           'prefixes': [seq.prefix, seq[0].prefix, seq[1].prefix]}
    with mx.name.NameManager():
        m = Model(prefix='')
        out['empty_prefix'] = {'params': list(m.collect_params().keys()), 'prefix': m.prefix,
                               'name': m.name}
    with mx.name.NameManager():
        outer = nn.HybridSequential()
        with outer.name_scope():
            inner = nn.HybridSequential(prefix='')
            with inner.name_scope():
                inner.add(nn.Dense(2, in_units=2))
            named = nn.Dense(2, in_units=2, prefix='x_')
            outer.add(inner, named)
        out['nested_prefix'] = {'params': list(outer.collect_params().keys()),
                                'inner_prefix': inner.prefix, 'named_prefix': named.prefix}
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            a = nn.Dense(2, in_units=2)
            b = nn.Dense(2, in_units=2, params=a.params)
            net.add(a, b)
        net.initialize()
        fname = os.path.join(OUT, '_tmp.params')
        net.save_parameters(fname, deduplicate=True)
        dedup = list(mx.nd.load(fname).keys())
        net.save_parameters(fname)
        full = list(mx.nd.load(fname).keys())
        os.remove(fname)
        out['shared'] = {'params': list(net.collect_params().keys()), 'b_prefix': b.prefix,
                         'b_params': list(b.params.keys()), 'dedup_keys': dedup, 'keys': full}
    with mx.name.NameManager():
        names = [nn.Dense(1).prefix, nn.Dense(1).prefix]
        with mx.name.NameManager():
            names.append(nn.Dense(1).prefix)
        names.append(nn.Dense(1).prefix)
        out['counter'] = names
    return out


def summary_text(net, x):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        net.summary(x)
    return buf.getvalue()


def summaries():
    out = {}
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(8, in_units=4, activation='relu'), nn.Dense(2, in_units=8))
        net.initialize()
        out['dense'] = summary_text(net, mx.nd.ones((3, 4)))
    with mx.name.NameManager():
        net = nn.Sequential()
        with net.name_scope():
            a = nn.Dense(3, in_units=3)
            b = nn.Dense(3, in_units=3, params=a.params)
            net.add(a, b)
        net.initialize()
        out['shared'] = summary_text(net, mx.nd.ones((2, 3)))
    return out


def seq_files():
    with mx.name.NameManager():
        seq = nn.HybridSequential()
        with seq.name_scope():
            seq.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
        seq.initialize()
        fill(seq)
        seq.save_parameters(os.path.join(OUT, 'seq.params'))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            seq.save_params(os.path.join(OUT, 'seq_legacy.params'))
        x = mx.nd.array([[1.0, -2.0], [0.5, 3.0]])
        y = seq(x)
        seq.hybridize()
        seq(x)
        seq.export(os.path.join(OUT, 'seq'))
        np.savez(os.path.join(OUT, 'seq_io.npz'), x=x.asnumpy(), y=y.asnumpy())


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'naming.json'), 'w') as f:
        json.dump(naming(), f, indent=1)
    with open(os.path.join(OUT, 'summary.json'), 'w') as f:
        json.dump(summaries(), f, indent=1)
    seq_files()


if __name__ == '__main__':
    main()
