"""Golden files for the differential hunt over gluon.nn / contrib.nn / gluon.data (run with MXNet
1.9.1: ``/opt/mxvenv/bin/python tools/gen_diff4b_fixtures.py``). Writes
``tests/fixtures/diff4b/contrib_nn.npz`` and ``contrib_nn.json``."""
import json
import os
import warnings

import mxnet as mx
import numpy as np
from mxnet.gluon.contrib import nn as cnn

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'diff4b')
os.makedirs(OUT, exist_ok=True)
rng = np.random.RandomState(4)
arrays, meta = {}, {}


def run(name, block, x, head, train=True, trainer=False, xgrad=True):
    """Forward (recorded) + backward with ``head``; store outputs, input and parameter grads."""
    block.initialize()
    if trainer:
        mx.gluon.Trainer(block.collect_params(), 'sgd', {'learning_rate': 1.0})
    xs = mx.nd.array(x, dtype=x.dtype)
    if xgrad:
        xs.attach_grad()
    block(xs)  # finish deferred initialisation
    params = block.collect_params()
    meta[name] = {'names': list(params.keys()), 'shapes': [list(p.shape) for p in params.values()],
                  'repr': repr(block)}
    for k, p in params.items():
        v = rng.randn(*p.shape).astype('float32')
        if k.endswith('running_var'):
            v = np.abs(v) + 0.5
        p.set_data(mx.nd.array(v))
        arrays['%s/init/%s' % (name, k)] = v
    arrays[name + '/x'] = x
    arrays[name + '/head'] = head
    with mx.autograd.record(train_mode=train):
        out = block(xs)
    out.backward(mx.nd.array(head))
    arrays[name + '/out'] = out.asnumpy()
    if xgrad:
        arrays[name + '/xgrad'] = xs.grad.asnumpy()
    for k, p in params.items():
        if p.grad_req != 'null':  # SparseEmbedding's gradient is row_sparse: store it dense
            arrays['%s/grad/%s' % (name, k)] = p.grad().tostype('default').asnumpy()
        if 'running' in k:
            arrays['%s/after/%s' % (name, k)] = p.data().asnumpy()
    arrays[name + '/predict'] = block(xs).asnumpy()


def main():
    warnings.simplefilter('ignore')
    for name, block, shape in [('ps1', cnn.PixelShuffle1D(3), (2, 6, 4)),
                               ('ps2', cnn.PixelShuffle2D((2, 3)), (2, 12, 3, 2)),
                               ('ps3', cnn.PixelShuffle3D((2, 1, 3)), (1, 12, 2, 3, 2))]:
        x = rng.randn(*shape).astype('float32')
        out_shape = block(mx.nd.array(x)).shape
        run(name, block, x, rng.randn(*out_shape).astype('float32'))
    with mx.name.NameManager():
        run('syncbn', cnn.SyncBatchNorm(num_devices=1, momentum=0.8), rng.randn(4, 3, 5).astype('float32'),
            rng.randn(4, 3, 5).astype('float32'))
    with mx.name.NameManager():
        run('syncbn_fixed', cnn.SyncBatchNorm(in_channels=3, scale=False, center=False, epsilon=1e-3),
            rng.randn(2, 3, 4, 2).astype('float32'), rng.randn(2, 3, 4, 2).astype('float32'))
    with mx.name.NameManager():
        run('sparseemb', cnn.SparseEmbedding(7, 3), rng.randint(0, 7, (2, 4)).astype('float32'),
            rng.randn(2, 4, 3).astype('float32'), trainer=True, xgrad=False)
    np.savez(os.path.join(OUT, 'contrib_nn.npz'), **arrays)
    with open(os.path.join(OUT, 'contrib_nn.json'), 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
