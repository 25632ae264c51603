"""The recorder behind the operator generators (gen_ops_missing, gen_ops_extra, gen_detection...):
run one ``mx.nd`` call on MXNet 1.9.1, keep its inputs, outputs and gradients, and the operator
node MXNet writes to ``-symbol.json`` for the same call through ``mx.sym``.

Run only in the MXNet venv, by the generator scripts (which import it from this folder). The
files it writes, ``cases.json`` and ``values.npz``, are read by ``tests/ops/_golden.py``:

* ``cases.json``: ``{'mxnet_version': ..., 'cases': [entry, ...]}``, an entry per call:
  ``key`` (``'c0'``, ``'c1'``...), ``path`` (the function under ``nd`` / ``sym``, dotted:
  ``'contrib.box_nms'``), ``args`` (positional attributes), ``attrs`` (keywords; tuples become
  JSON lists), ``n_in``, ``n_out``, ``grads`` (the differentiated inputs) and, when the symbol
  was built, ``json_op`` / ``json_attrs``;
* ``values.npz``: ``<key>_in<i>``, ``<key>_out<j>``, ``<key>_head<j>`` (the head gradient fed to
  backward, standard normal) and ``<key>_grad<i>`` for each differentiated input.
"""
import json
import os

import numpy as np


def resolve(ns, path):
    """``ns.a.b`` for ``path`` ``'a.b'``."""
    for part in path.split('.'):
        ns = getattr(ns, part)
    return ns


class Recorder:
    """Collects the cases of one fixture folder; ``rng`` draws the head gradients."""

    def __init__(self, mx, rng):
        self.mx, self.rng = mx, rng
        self.cases, self.values = [], {}

    def case(self, path, inputs, wrt=(0,), sym=True, args=(), **attrs):
        """Call ``mx.nd.<path>(*inputs, *args, **attrs)`` (``inputs``: NumPy arrays); record the
        outputs and, for the inputs in ``wrt`` (none: ``()``), their gradients for a random
        head gradient; with ``sym``, the node MXNet writes for the same call through ``mx.sym``."""
        mx, key = self.mx, 'c%d' % len(self.cases)
        arrays = [mx.nd.array(x, dtype=x.dtype) for x in inputs]
        for i in wrt:
            arrays[i].attach_grad()
        with mx.autograd.record():
            outs = resolve(mx.nd, path)(*arrays, *args, **attrs)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        # head gradients in the output's dtype when it is floating (backward needs that dtype)
        heads = [self.rng.standard_normal(o.shape).astype(
            o.dtype if np.dtype(o.dtype).kind == 'f' else np.float32) for o in outs]
        heads = [mx.nd.array(h, dtype=h.dtype) for h in heads]
        if wrt:
            mx.autograd.backward(outs, heads)
        for i, x in enumerate(inputs):
            self.values['%s_in%d' % (key, i)] = x
            if i in wrt:
                self.values['%s_grad%d' % (key, i)] = arrays[i].grad.asnumpy()
        for j, (o, h) in enumerate(zip(outs, heads)):
            self.values['%s_out%d' % (key, j)] = o.asnumpy()
            self.values['%s_head%d' % (key, j)] = h.asnumpy()
        entry = {'key': key, 'path': path, 'args': list(args), 'attrs': attrs,
                 'n_in': len(inputs), 'n_out': len(outs), 'grads': list(wrt)}
        if sym:
            variables = [mx.sym.var('in%d' % i) for i in range(len(inputs))]
            graph = json.loads(resolve(mx.sym, path)(*variables, *args, **attrs).tojson())
            node = [n for n in graph['nodes'] if n['op'] != 'null'][-1]
            entry['json_op'], entry['json_attrs'] = node['op'], node.get('attrs', {})
        self.cases.append(entry)
        return outs

    def save(self, folder):
        """Write ``cases.json`` and ``values.npz`` into ``folder``."""
        os.makedirs(folder, exist_ok=True)
        np.savez_compressed(os.path.join(folder, 'values.npz'), **self.values)
        with open(os.path.join(folder, 'cases.json'), 'w') as f:
            json.dump({'mxnet_version': self.mx.__version__, 'cases': self.cases}, f, indent=1,
                      sort_keys=True)
            f.write('\n')
