"""MXNet 1.9.1 facts checked by the Gluon/symbol audit tests (tests/fixtures/block/audit.json).

Run in the MXNet venv:  /opt/mxvenv/bin/python tools/gen_audit_fixtures.py
Records: the ``summary`` table MXNet prints for the imported convbn SymbolBlock
(tests/fixtures/symbol/convbn-*), and the names ``register_op_hook`` callbacks receive for a
hybridized HybridSequential(Dense(3, relu, in_units=2), Dense(2, in_units=3)).
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
             'op_hook_all': op_hook_names(True)}
    with open(OUT, 'w') as f:
        json.dump(facts, f, indent=1)
    print('wrote', OUT)
