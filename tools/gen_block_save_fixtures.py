"""Golden files for ``Block.save`` / ``Block.load`` (MXNet 1.9.1), run in the MXNet venv:

    /opt/mxvenv/bin/python tools/gen_block_save_fixtures.py

Two small models (defined once in MODELS_SRC, executed against MXNet here and against minigluon in a
``python3`` subprocess, so both sides build exactly the same architecture):

* ``seq``: HybridSequential[Dense(3, in_units=2, activation='relu'), Dense(2, in_units=3)].
* ``pair``: a plain Block ``Outer`` holding ``net`` (a HybridBlock taking ``(x, y)`` and returning two
  outputs) and ``post`` (a plain Block scaling by a parameter).

Both are filled with deterministic values, hybridized, called once, and saved.

Outputs under tests/fixtures/block/:
* ``mx_<model>-model.json`` / ``mx_<model>-model.params``: what MXNet's ``save`` writes.
* ``save_io.npz``: the inputs ``x``, ``y`` and MXNet's outputs ``<model>_out<i>``.
* ``mg_in_mxnet.json``: per model, the result of MXNet loading minigluon's files into a freshly built
  model whose automatic names differ: the SHA-256 of minigluon's ``-model.json``, whether it
  loaded, the block names after the load, whether MXNet re-traced ``hybrid_forward``, and the
  largest difference between MXNet's output after the load and minigluon's output before the save.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'block')
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

# Shared by both frameworks: expects ``gluon`` and ``nd`` in the namespace.
MODELS_SRC = '''
import numpy as np
TRACES = [0]


class Pair(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.fc = gluon.nn.Dense(3, in_units=2, activation='relu')
            self.out = gluon.nn.Dense(2, in_units=3)

    def hybrid_forward(self, F, x, y):
        TRACES[0] += 1
        h = self.fc(x)
        return self.out(h), F.broadcast_add(h, y)


class Scale(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(1,), init='ones')

    def forward(self, x):
        return x * self.alpha.data(x.context)


class Outer(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.net = Pair()
            self.post = Scale()

    def forward(self, x, y):
        a, b = self.net(x, y)
        return self.post(a), b


def make(kind):
    if kind == 'seq':
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Dense(3, in_units=2, activation='relu'), gluon.nn.Dense(2, in_units=3))
        return net
    return Outer()


def fill(net):
    for i, (name, p) in enumerate(sorted(net.collect_params().items())):
        size = int(np.prod(p.shape))
        p.set_data(nd.array(np.cos(np.arange(size) + 3.0 * i).reshape(p.shape)))


def inputs():
    x = np.linspace(-1, 1, 8).reshape(4, 2)
    y = np.sin(np.arange(12.0)).reshape(4, 3)
    return x, y


def run(kind, net):
    x, y = inputs()
    if kind == 'seq':
        out = [net(nd.array(x))]
    else:
        out = list(net(nd.array(x), nd.array(y)))
    return [o.asnumpy() for o in out]


def names(net):
    found = []
    net.apply(lambda b: found.append(b.name))
    return found
'''

MINIGLUON_SAVE = '''
import json, sys
import numpy as np
from minigluon import gluon, nd
from minigluon.name import NameManager
exec(sys.argv[1])
folder = sys.argv[2]
outs = {}
for kind in ('seq', 'pair'):
    with NameManager():
        net = make(kind)
        net.initialize()
        fill(net)
        net.hybridize()
        outs[kind] = [o.tolist() for o in run(kind, net)]
        net.save('%s/mg_%s' % (folder, kind))
json.dump(outs, open('%s/mg_outputs.json' % folder, 'w'))
'''


def main():
    import mxnet as mx
    ns = {'gluon': mx.gluon, 'nd': mx.nd}
    exec(MODELS_SRC, ns)
    os.makedirs(OUT, exist_ok=True)
    x, y = ns['inputs']()
    io = {'x': x.astype(np.float32), 'y': y.astype(np.float32)}
    for kind in ('seq', 'pair'):
        with mx.name.NameManager():
            net = ns['make'](kind)
            net.initialize()
            ns['fill'](net)
            net.hybridize()
            for i, o in enumerate(ns['run'](kind, net)):
                io['%s_out%d' % (kind, i)] = o
            net.save(os.path.join(OUT, 'mx_' + kind))
    np.savez(os.path.join(OUT, 'save_io.npz'), **io)

    tmp = tempfile.mkdtemp()
    try:
        subprocess.run(['python3', '-c', MINIGLUON_SAVE, MODELS_SRC, tmp],
                       cwd=REPO, check=True)
        mg_outs = json.load(open(os.path.join(tmp, 'mg_outputs.json')))
        result = {}
        for kind in ('seq', 'pair'):
            with open(os.path.join(tmp, 'mg_%s-model.json' % kind), 'rb') as f:
                mg_json = f.read()
            with mx.name.NameManager():
                ns['make'](kind)                 # shift the automatic names of the fresh model
                net = ns['make'](kind)
                fresh = ns['names'](net)
                entry = {'model_json_sha256': hashlib.sha256(mg_json).hexdigest(),
                         'names_before_load': fresh}
                try:
                    net.load(os.path.join(tmp, 'mg_' + kind))
                    entry['loaded'] = True
                except Exception as err:         # recorded, so a failing direction is visible
                    entry['loaded'] = False
                    entry['error'] = '%s: %s' % (type(err).__name__, err)
                    result[kind] = entry
                    continue
                entry['names_after_load'] = ns['names'](net)
                traces = ns['TRACES'][0]
                outs = ns['run'](kind, net)
                entry['retraced'] = ns['TRACES'][0] != traces
                entry['mxnet_outputs'] = [o.tolist() for o in outs]
                entry['max_abs_diff'] = float(max(np.abs(o - np.array(m, dtype=np.float32)).max()
                                                  for o, m in zip(outs, mg_outs[kind])))
                result[kind] = entry
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(OUT, 'mg_in_mxnet.json'), 'w') as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: (v['loaded'], v.get('retraced'), v.get('max_abs_diff'))
                      for k, v in result.items()}))


if __name__ == '__main__':
    main()
