"""Write MXNet 1.9.1 results that minigluon's SGD, NAG, Adam and RMSProp must reproduce bit for bit
in float32.

    /opt/mxvenv/bin/python tools/gen_optimizer_exact_fixtures.py

Output: tests/fixtures/optimizer_extra/exact_updates.npz with the start weights ``w0`` (100,),
six gradients ``grads`` (6, 100), the configurations (``configs``, JSON) and, per configuration
``i``, the weights after the six ``Optimizer.update`` calls (``w_<i>``).
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'optimizer_extra', 'exact_updates.npz')
CONFIGS = [('sgd', dict(learning_rate=0.1, wd=0.01)),
           ('sgd', dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.3)),
           ('sgd', dict(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)),
           ('sgd', dict(learning_rate=0.05, momentum=0.8, wd=0.02, clip_gradient=0.5)),
           ('adam', dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5)),
           ('adam', dict(learning_rate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-6,
                         clip_gradient=0.4, wd=0.02)),
           ('nag', dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5)),
           ('nag', dict(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)),
           ('nag', dict(learning_rate=0.1, momentum=0.9, wd=0.01, clip_gradient=0.3)),
           ('rmsprop', dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5)),
           ('rmsprop', dict(learning_rate=0.01, centered=True, gamma2=0.8, wd=0.01,
                            clip_gradient=0.3)),
           # float64 weights: MXNet rounds the float hyper-parameters to float32 first
           ('sgd', dict(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5), 'float64'),
           ('adam', dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_gradient=0.4),
            'float64')]


def main():
    rng = np.random.RandomState(0)
    w0 = rng.randn(100).astype(np.float32)
    grads = rng.randn(6, 100).astype(np.float32)
    out = {'w0': w0, 'grads': grads, 'configs': np.array(json.dumps(CONFIGS))}
    for i, (name, kw, *dtype) in enumerate(CONFIGS):
        dtype = dtype[0] if dtype else 'float32'
        opt = mx.optimizer.create(name, **kw)
        w = mx.nd.array(w0, dtype=dtype)
        state = opt.create_state(0, w)
        for g in grads:
            opt.update(0, w, mx.nd.array(g, dtype=dtype), state)
        out['w_%d' % i] = w.asnumpy()
    np.savez(OUT, **out)


if __name__ == '__main__':
    main()
