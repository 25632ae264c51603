"""Record what MXNet 1.9.1's ``gluon.loss.CTCLoss`` block does with each Block member.

Run with a Python that has MXNet 1.9.1 (``/opt/mxvenv/bin/python tools/gen_ctc_block_fixtures.py``).
Writes ``tests/fixtures/ctc/ctc_block_members.json``: name/prefix/repr, the ``summary`` table,
the bytes of ``save_parameters`` for a block without parameters, the child naming inside
``name_scope``, ``infer_shape``/``infer_type`` outcomes, the exported graph's CTC node and the
loss of the case given to ``SymbolBlock.imports`` after ``export``.
"""
import contextlib
import io
import json
import os
import tempfile

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'ctc',
                   'ctc_block_members.json')


def main():
    gluon, nd = mx.gluon, mx.nd
    pred_np = np.random.RandomState(0).randn(2, 4, 4).astype(np.float32)
    label_np = np.array([[0, 1, -1], [2, -1, -1]], np.float32)
    pred, label = nd.array(pred_np), nd.array(label_np)
    facts = {'pred': pred_np.tolist(), 'label': label_np.tolist()}
    with mx.name.NameManager():
        block = gluon.loss.CTCLoss()
        facts['name'], facts['prefix'], facts['repr'] = block.name, block.prefix, repr(block)
        facts['params_repr'] = repr(block.params)
        facts['num_params'] = len(list(block.collect_params().keys()))
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            block.summary(pred, label)
        facts['summary'] = buf.getvalue()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'ctc.params')
            block.save_parameters(path)
            with open(path, 'rb') as f:
                facts['save_parameters_hex'] = f.read().hex()
        with block.name_scope():
            child = gluon.nn.Dense(2)
        facts['child_name'] = child.name
        block.register_child(child)
        facts['children'] = list(block._children.keys())
        facts['repr_with_child'] = repr(block)
    named = gluon.loss.CTCLoss(prefix='ocr_')
    facts['custom_prefix'] = [named.name, named.prefix]
    with mx.name.NameManager():
        hybrid = gluon.loss.CTCLoss()
        hybrid.hybridize()
        facts['loss'] = hybrid(pred, label).asnumpy().tolist()
        with tempfile.TemporaryDirectory() as tmp:
            hybrid.export(os.path.join(tmp, 'ctc'))
            with open(os.path.join(tmp, 'ctc-symbol.json')) as f:
                graph = json.load(f)
            facts['export_ops'] = [n['op'] for n in graph['nodes']]
            facts['export_heads'] = graph['heads']
            with open(os.path.join(tmp, 'ctc-0000.params'), 'rb') as f:
                facts['export_params_hex'] = f.read().hex()
            net = gluon.SymbolBlock.imports(os.path.join(tmp, 'ctc-symbol.json'),
                                            ['data0', 'data1'], os.path.join(tmp, 'ctc-0000.params'))
            facts['imports_loss'] = net(pred, label).asnumpy().tolist()
    with open(OUT, 'w') as f:
        json.dump(facts, f, indent=1, sort_keys=True)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
