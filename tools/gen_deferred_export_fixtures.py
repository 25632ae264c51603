"""Record MXNet 1.9.1's exported symbol JSON of blocks whose parameters have deferred shapes
(run with /opt/mxvenv/bin/python):

    /opt/mxvenv/bin/python tools/gen_deferred_export_fixtures.py

Writes tests/fixtures/deferred_export/exports.json, read by tests/block/test_deferred_export.py:
for each block (built by the source line stored with it, in a fresh name scope, default
initialisers), called either hybridized at once or eagerly first and then hybridized, the
``-symbol.json`` that ``export`` writes. A parameter variable is made, with the shape the
parameter has then, when the first call infers the deferred shapes, so an unknown input size
stays 0 in ``__shape__`` (``'(20, 0)'``), and a shape the block gave as a list is written as a
list (``'[4, 0, 3, 3]'``, the deformable convolutions).
"""
import json
import os
import tempfile

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'deferred_export')

# name: (source of the block, input shapes; a cell also gets begin_state(batch))
BLOCKS = {
    'dense': ('nn.Dense(3)', [(2, 5)]),
    'conv2d': ('nn.Conv2D(4, 3)', [(2, 3, 5, 5)]),
    'batchnorm': ('nn.BatchNorm()', [(2, 3, 5, 5)]),
    'deformable': ('contrib.cnn.DeformableConvolution(4, 3, padding=1)', [(2, 3, 5, 5)]),
    'modulated_deformable': ('contrib.cnn.ModulatedDeformableConvolution(4, 3, padding=1)',
                             [(2, 3, 5, 5)]),
    'lstm': ('rnn.LSTM(5)', [(2, 3, 6)]),
    'gru_2_layers_bidirectional': ('rnn.GRU(4, num_layers=2, bidirectional=True)', [(2, 3, 6)]),
    'lstm_cell': ('rnn.LSTMCell(5)', [(3, 6)]),
    'gru_cell': ('rnn.GRUCell(4)', [(3, 6)]),
    'lstmp_cell': ('contrib.rnn.LSTMPCell(5, 3)', [(3, 6)]),
}


def make(gluon, source):
    """The block of ``source`` (names ``nn``, ``rnn``, ``contrib`` are gluon's)."""
    return eval(source, {'nn': gluon.nn, 'rnn': gluon.rnn, 'contrib': gluon.contrib})


def export_json(mx, source, shapes, eager_first, folder):
    """The exported ``-symbol.json`` (parsed) of the block of ``source`` after its first calls."""
    with mx.name.NameManager():
        block = make(mx.gluon, source)
    block.initialize()
    args = [mx.nd.ones(s) for s in shapes]
    if isinstance(block, mx.gluon.rnn.HybridRecurrentCell):     # a cell: one step, its states
        args.append(block.begin_state(shapes[0][0]))
    if eager_first:
        block(*args)
    block.hybridize()
    block(*args)
    prefix = os.path.join(folder, 'net')
    block.export(prefix)
    with open(prefix + '-symbol.json') as f:
        return json.load(f)


def main():
    out = {'mxnet_version': mx.__version__, 'blocks': {}}
    with tempfile.TemporaryDirectory() as folder:
        for name, (source, shapes) in BLOCKS.items():
            out['blocks'][name] = {
                'source': source, 'shapes': shapes,
                'json': {mode: export_json(mx, source, shapes, mode == 'eager_first', folder)
                         for mode in ('hybridized', 'eager_first')}}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'exports.json'), 'w') as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()
