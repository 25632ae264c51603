"""MXNet 1.9.1 facts checked by the Gluon/symbol audit tests (tests/fixtures/block/audit.json).

Run in the MXNet venv:  /opt/mxvenv/bin/python tools/gen_audit_fixtures.py
Records: the ``summary`` table MXNet prints for the imported convbn SymbolBlock
(tests/fixtures/symbol/convbn-*), and the names ``register_op_hook`` callbacks receive for a
hybridized HybridSequential(Dense(3, relu, in_units=2), Dense(2, in_units=3)); the reprs of
freshly built layers, cells and losses (REPR_CASES: module, class, args, kwargs).
"""
import contextlib
import io
import json
import os
import warnings

import mxnet as mx
import numpy as np
from mxnet.gluon import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SYM = os.path.join(HERE, '..', 'tests', 'fixtures', 'symbol')
OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'block', 'audit.json')


REPR_CASES = [
    ('nn', 'Dropout', [0.3], {}), ('nn', 'Dropout', [0.5], {'axes': [1]}), ('nn', 'Lambda', ['tanh'], {}),
    ('nn', 'HybridLambda', ['relu'], {}), ('nn', 'Conv2DTranspose', [3, 2], {'in_channels': 2}),
    ('nn', 'Conv1D', [2, 3], {'activation': 'relu'}), ('nn', 'Conv3D', [2, 3], {'strides': 2, 'groups': 2}),
    ('nn', 'GroupNorm', [], {}), ('nn', 'InstanceNorm', [], {}), ('nn', 'LayerNorm', [], {'in_channels': 3}),
    ('nn', 'PReLU', [], {}), ('nn', 'LeakyReLU', [0.2], {}), ('nn', 'ELU', [], {}), ('nn', 'SELU', [], {}),
    ('nn', 'GELU', [], {}), ('nn', 'Swish', [], {}), ('nn', 'ReflectionPad2D', [2], {}),
    ('nn', 'Embedding', [5, 3], {'dtype': 'float16'}), ('nn', 'Flatten', [], {}),
    ('nn', 'BatchNorm', [], {'scale': False, 'in_channels': 2}), ('nn', 'BatchNormReLU', [], {'in_channels': 4}),
    ('nn', 'Dense', [3], {'activation': 'tanh', 'in_units': 2}), ('nn', 'AvgPool1D', [], {}),
    ('nn', 'MaxPool3D', [], {'ceil_mode': True}), ('nn', 'GlobalMaxPool2D', [], {'layout': 'NHWC'}),
    ('contrib.nn', 'Identity', [], {}), ('contrib.nn', 'HybridConcurrent', [], {'axis': 1}),
    ('rnn', 'LSTM', [4, 2], {'layout': 'NTC', 'input_size': 3}), ('rnn', 'GRU', [4], {'bidirectional': True}),
    ('rnn', 'RNN', [3], {'activation': 'tanh', 'num_layers': 2}), ('rnn', 'LSTMCell', [3], {'input_size': 2}),
    ('rnn', 'GRUCell', [3], {}), ('rnn', 'RNNCell', [3], {'activation': 'relu'}), ('rnn', 'DropoutCell', [0.3], {}),
    ('loss', 'L2Loss', [], {}), ('loss', 'SoftmaxCrossEntropyLoss', [], {'weight': 2.0}), ('loss', 'CTCLoss', [], {}),
    ('loss', 'HuberLoss', [], {}), ('loss', 'TripletLoss', [], {}), ('loss', 'KLDivLoss', [], {'batch_axis': 1}),
]


def reprs():
    out = []
    for module, cls, args, kwargs in REPR_CASES:
        ns = mx.gluon
        for part in module.split('.'):
            ns = getattr(ns, part)
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        with mx.name.NameManager():
            out.append([module, cls, args, kwargs, repr(getattr(ns, cls)(*args, **kw))])
    return out


def symbolblock_summary():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        net = mx.gluon.SymbolBlock.imports(os.path.join(SYM, 'convbn-symbol.json'), 'data',
                                           os.path.join(SYM, 'convbn-0000.params'))
    x = np.load(os.path.join(SYM, 'convbn_io.npz'))['x']
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        net.summary(mx.nd.array(x))
    return buf.getvalue()


def op_hook_names(monitor_all):
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(3, activation='relu', in_units=2), nn.Dense(2, in_units=3))
    net.initialize()
    net.hybridize()
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        net.register_op_hook(lambda name, op, arr: seen.append([name.decode(), op.decode()]), monitor_all)
    net(mx.nd.ones((1, 2))).wait_to_read()
    return seen


if __name__ == '__main__':
    facts = {'symbolblock_summary': symbolblock_summary(), 'op_hook': op_hook_names(False),
             'op_hook_all': op_hook_names(True), 'reprs': reprs()}
    with open(OUT, 'w') as f:
        json.dump(facts, f, indent=1)
    print('wrote', OUT)
