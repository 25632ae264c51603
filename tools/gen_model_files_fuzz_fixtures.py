"""Regression networks for what ``tools/fuzz_model_files.py`` found, with MXNet 1.9.1's files;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_model_files_fuzz_fixtures.py

A network is a case of the fuzzer's ``net`` group: ``code`` (Python setting ``net``, run in a
fresh ``NameManager``), ``seed`` (of the weights, ``fuzz_model_files.set_weights``) and its
inputs (drawn here from the network's name). Each is built, run and saved with the fuzzer's own
``make_files`` into ``tests/fixtures/model_files_fuzz/<name>/``: ``net-symbol.json`` and
``net-0000.params`` (``export``), ``sp.params`` (``save_parameters``), ``ck-symbol.json`` and
``ck-0003.params`` (``save_checkpoint`` of what ``load_checkpoint`` read from the export), and
``values.npz`` (``in<i>``, MXNet's outputs ``out<i>``). ``cases.json`` holds the cases.
"""
import json
import os
import shutil
import sys
import zlib

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_model_files import make_files  # noqa: E402  (the fuzzer's runner: one way to run a case)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'model_files_fuzz')

CASES = {
    # BatchNorm(scale=False) (fix_gamma) run hybridized outside autograd.record(): MXNet's graph
    # inference leaves the gamma that was set in place, so export and save_parameters write it
    # (minigluon wrote ones into it on every forward).
    'bn_fixed_gamma': {
        'code': '\n'.join([
            'net = nn.HybridSequential()',
            'with net.name_scope():',
            '    net.add(nn.Dense(4, flatten=False))',
            '    net.add(nn.BatchNorm(axis=-1, scale=False))',
            '    net.add(nn.Activation("tanh"))',
            '    net.add(nn.BatchNorm(scale=False, center=False))']),
        'seed': 11, 'shapes': [(2, 3, 5)], 'dtype': 'float32'},
    # The same inside a custom block, float64, the gamma's network output from a SymbolBlock.
    'bn_fixed_gamma_custom': {
        'code': '\n'.join([
            'class Net(gluon.HybridBlock):',
            '    def __init__(self, **kwargs):',
            '        super().__init__(**kwargs)',
            '        with self.name_scope():',
            '            self.conv = nn.Conv1D(3, 2)',
            '            self.bn = nn.BatchNorm(scale=False, in_channels=3)',
            '    def hybrid_forward(self, F, x0, x1):',
            '        h = self.bn(self.conv(x0))',
            '        return h, F.broadcast_add(F.sum(h, axis=2), x1)',
            "net = Net(prefix='net_')",
            "net.cast('float64')"]),
        'seed': 12, 'shapes': [(2, 2, 4), (2, 3)], 'dtype': 'float64'},
    # A HybridSequential inside a HybridSequential: the full name of the inner one's BatchNorm
    # parameters ('hybridsequential0_hybridsequential0_batchnorm0_gamma') is also the name of the
    # deeper one's with the network's prefix stripped; load_parameters of the export file (which
    # minigluon reads, MXNet 1.9.1 not: docs/PORTING.md) put the values in the wrong parameters.
    'nested_sequential_names': {
        'code': '\n'.join([
            'net = nn.HybridSequential()',
            'with net.name_scope():',
            '    b = nn.HybridSequential()',
            '    with b.name_scope():',
            '        s = nn.HybridSequential()',
            '        with s.name_scope():',
            '            s.add(nn.BatchNorm(in_channels=2))',
            '            s.add(nn.Dense(3, flatten=False))',
            '        b.add(s)',
            '        b.add(nn.BatchNorm())',
            '    net.add(b)',
            '    net.add(nn.Dense(2))']),
        'seed': 13, 'shapes': [(2, 2, 4)], 'dtype': 'float32'},
}


def inputs(name):
    c = CASES[name]
    r = np.random.RandomState(zlib.crc32(name.encode()))
    return [r.uniform(-1.5, 1.5, s).astype(c['dtype']) for s in c['shapes']]


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, c in CASES.items():
        xs = inputs(name)
        folder = os.path.join(OUT, name)
        res = make_files(mx, c, xs, folder)
        values = {'in%d' % i: x for i, x in enumerate(xs)}
        values.update({k: v for k, v in res.items() if k.startswith('out')})
        np.savez(os.path.join(folder, 'values.npz'), **values)
        print(name, sorted(os.listdir(folder)))
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({name: {k: v for k, v in c.items() if k in ('code', 'seed')}
                   for name, c in CASES.items()}, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
