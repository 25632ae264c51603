"""Interop fixtures: MXNet 1.9.1 exports imported by minigluon, and minigluon exports checked in MXNet.

Three modes; the network definitions below run unchanged on either framework (``fw`` is the
``mxnet`` or the ``minigluon`` module, whose Gluon APIs are the same):

1. MXNet -> minigluon (run in the MXNet venv)::

       /opt/mxvenv/bin/python tools/gen_interop_fixtures.py

   For each network: build it under a fresh NameManager, hybridize, draw every parameter from
   ``SEED`` in sorted-name order (:func:`make_weights`), run it on an input drawn from ``SEED + 1``
   (:func:`make_input`), ``export``. Writes ``tests/fixtures/interop/<name>-symbol.json`` and
   ``forward.json`` (seed, input shapes and checksums, label, MXNet's outputs). The ``.params``
   files are not kept: the test regenerates them from the seed.

2. minigluon export (system Python, repository root on the path)::

       python3 tools/gen_interop_fixtures.py --export-minigluon /tmp/mg_exports

   Same networks, weights and inputs with minigluon; writes ``<name>-symbol.json``,
   ``<name>-0000.params`` and ``<name>-out.npz`` (minigluon's outputs) into the folder.

3. minigluon -> MXNet (MXNet venv)::

       /opt/mxvenv/bin/python tools/gen_interop_fixtures.py --check-minigluon /tmp/mg_exports

   Imports every export with MXNet's ``SymbolBlock.imports``, runs it on the same input and writes
   ``tests/fixtures/interop/reverse.json``: the relative error against minigluon's outputs and the
   SHA-256 of the minigluon JSON that was checked.

Relative error everywhere: ``max|a - b| / max|b|`` over all outputs of a network.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'interop')
SEED = 20240917
CLASSES = 10

# name -> input shapes (data, and the label for the OCR net). Sizes are the smallest the heads
# allow: SqueezeNet (13x13 pool) and DenseNet (7x7 pool) need 224, Inception V3 (8x8 pool) 299.
MODELS = {
    'resnet18_v1': [(2, 3, 64, 64)],
    'resnet18_v2': [(2, 3, 64, 64)],
    'mobilenet0.25': [(2, 3, 64, 64)],
    'mobilenetv2_0.25': [(2, 3, 64, 64)],
    'squeezenet1.1': [(1, 3, 224, 224)],
    'densenet121': [(1, 3, 224, 224)],
    'alexnet': [(1, 3, 67, 67)],
    'inceptionv3': [(1, 3, 299, 299)],
    'ocr_lstm_ctc': [(2, 1, 16, 40), (2, 4)],
}
# CTC labels of the OCR net (blank is the last class, padding -1 as gluon.loss.CTCLoss expects)
OCR_LABEL = [[1, 2, 3, 4], [5, 6, 6, -1]]


def make_weights(specs, seed=SEED):
    """Deterministic float32 weights for ``specs`` = [(name, shape)], drawn in sorted-name order.

    BatchNorm scales and variances are uniform on [0.5, 1.5]; tensors with two or more dimensions
    are He-normal (std ``sqrt(2 / fan_in)``, ``fan_in = prod(shape[1:])``) so that activations stay
    of order one through deep nets; other vectors (biases, means, betas) are normal with std 0.1.
    ``numpy.random.RandomState`` is used because its streams are stable across NumPy versions.
    """
    rs = np.random.RandomState(seed)
    weights = {}
    for name, shape in sorted((n, tuple(int(d) for d in s)) for n, s in specs):
        if name.endswith(('running_var', 'moving_var', 'gamma')):
            value = rs.uniform(0.5, 1.5, shape)
        elif len(shape) >= 2:
            value = rs.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))
        else:
            value = rs.standard_normal(shape) * 0.1
        weights[name] = value.astype(np.float32)
    return weights


def make_input(name, seed=SEED):
    """The inputs of network ``name``: images uniform on [-1, 1] from ``seed + 1``, and the label."""
    shapes = MODELS[name]
    data = np.random.RandomState(seed + 1).uniform(-1, 1, shapes[0]).astype(np.float32)
    if name == 'ocr_lstm_ctc':
        return [data, np.array(OCR_LABEL, dtype=np.float32)]
    return [data]


def rel_error(got, expected):
    """``max|got - expected| / max|expected|`` over lists of arrays."""
    diff = max(float(np.max(np.abs(np.asarray(g, np.float64) - np.asarray(e, np.float64))))
               for g, e in zip(got, expected))
    scale = max(float(np.max(np.abs(np.asarray(e, np.float64)))) for e in expected)
    return diff / max(scale, 1e-30)


def build(fw, name):
    """Network ``name`` built with framework ``fw`` (mxnet or minigluon) under a fresh NameManager."""
    with fw.name.NameManager():
        if name != 'ocr_lstm_ctc':
            return fw.gluon.model_zoo.vision.get_model(name, classes=CLASSES)
        return _ocr_class(fw)()


def _ocr_class(fw):
    nn, rnn = fw.gluon.nn, fw.gluon.rnn

    class OCRNet(fw.gluon.HybridBlock):
        """Two conv-BN-ReLU-pool stages, columns as time steps, a bidirectional LSTM, per-frame
        Dense scores (N, T, 11) and their CTC loss against ``label`` (the LSTM-OCR example shape)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.features = nn.HybridSequential()
                for channels in (8, 16):
                    self.features.add(nn.Conv2D(channels, 3, padding=1), nn.BatchNorm(),
                                      nn.Activation('relu'), nn.MaxPool2D(2))
                self.lstm = rnn.LSTM(16, bidirectional=True, layout='NTC')
                self.output = nn.Dense(11, flatten=False)
                self.loss = fw.gluon.loss.CTCLoss()

        def hybrid_forward(self, F, x, label):
            feat = F.transpose(self.features(x), axes=(0, 3, 1, 2))    # (N, W, C, H)
            scores = self.output(self.lstm(F.reshape(feat, shape=(0, 0, -1))))
            return scores, self.loss(scores, label)

    return OCRNet


def _outputs(out):
    return [o.asnumpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


def run_with_weights(fw, name):
    """Build, hybridize, set the seeded weights, run: returns (net, inputs, outputs)."""
    net = build(fw, name)
    net.initialize()
    net.hybridize()
    inputs = make_input(name)
    nd_inputs = [fw.nd.array(a) for a in inputs]
    net(*nd_inputs)                                   # finishes deferred shapes
    params = net.collect_params()
    weights = make_weights([(k, p.shape) for k, p in params.items()])
    for k, p in params.items():
        p.set_data(fw.nd.array(weights[k]))
    return net, inputs, _outputs(net(*nd_inputs))


def _input_record(arrays):
    return [{'shape': list(a.shape), 'sum': float(a.astype(np.float64).sum()),
             'sumsq': float((a.astype(np.float64) ** 2).sum())} for a in arrays]


def generate_forward():
    import mxnet as mx
    import tempfile
    os.makedirs(OUT, exist_ok=True)
    record = {'seed': SEED, 'mxnet': mx.__version__, 'ocr_label': OCR_LABEL, 'models': {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODELS:
            net, inputs, outs = run_with_weights(mx, name)
            net.export(os.path.join(tmp, name))       # MXNet 1.9.1 returns None here
            sym_file = os.path.join(tmp, name + '-symbol.json')
            with open(sym_file) as f:
                text = f.read()
            # gzip (fixed mtime, so regenerating gives the same bytes): 40 KB instead of 1 MB
            with gzip.GzipFile(os.path.join(OUT, name + '-symbol.json.gz'), 'wb', mtime=0) as f:
                f.write(text.encode('utf-8'))
            record['models'][name] = {
                'input_names': ['data'] if len(inputs) == 1 else ['data0', 'data1'],
                'inputs': _input_record(inputs),
                'n_params': len(list(net.collect_params().keys())),
                'outputs': [{'shape': list(o.shape), 'values': o.ravel().tolist()} for o in outs]}
            print(name, [o.shape for o in outs], len(text))
    with open(os.path.join(OUT, 'forward.json'), 'w') as f:
        json.dump(record, f)


def export_minigluon(folder):
    sys.path.insert(0, os.path.join(HERE, '..'))
    import minigluon as mg
    os.makedirs(folder, exist_ok=True)
    for name in MODELS:
        net, _, outs = run_with_weights(mg, name)
        net.export(os.path.join(folder, name))
        np.savez(os.path.join(folder, name + '-out.npz'), *outs)
        print(name, [o.shape for o in outs])


def check_minigluon(folder):
    import mxnet as mx
    result = {'seed': SEED, 'mxnet': mx.__version__, 'models': {}}
    for name in MODELS:
        sym_file = os.path.join(folder, name + '-symbol.json')
        inputs = make_input(name)
        names = ['data'] if len(inputs) == 1 else ['data0', 'data1']
        net = mx.gluon.SymbolBlock.imports(sym_file, names, os.path.join(folder, name + '-0000.params'))
        got = _outputs(net(*[mx.nd.array(a) for a in inputs]))
        saved = np.load(os.path.join(folder, name + '-out.npz'))
        expected = [saved['arr_%d' % i] for i in range(len(saved.files))]
        with open(sym_file, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        err = rel_error(got, expected)
        result['models'][name] = {'rel_error': err, 'symbol_sha256': digest,
                                  'output_shapes': [list(o.shape) for o in got]}
        print(name, err)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'reverse.json'), 'w') as f:
        json.dump(result, f, indent=1)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--export-minigluon', metavar='DIR')
    group.add_argument('--check-minigluon', metavar='DIR')
    args = parser.parse_args()
    if args.export_minigluon:
        export_minigluon(args.export_minigluon)
    elif args.check_minigluon:
        check_minigluon(args.check_minigluon)
    else:
        generate_forward()
