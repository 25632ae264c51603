"""Write MXNet 1.9.1 golden values found by the differential hunt of losses, metrics,
initializers and lr schedulers to ``tests/fixtures/diff4a/``.

Run with the MXNet oracle venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_diff4a_fixtures.py

``sdml.npz``: ``gluon.loss.SDMLLoss`` (eager float32, the only form MXNet 1.9.1 runs) for two
smoothing parameters: inputs ``x1``/``x2``, the per-sample loss and the gradients of its sum
with respect to both inputs.
"""
import os

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'diff4a')


def sdml_records():
    rng = np.random.RandomState(41)
    rec = {}
    for tag, smoothing, n in (('s03', 0.3, 5), ('s01', 0.1, 3)):
        x1 = rng.randn(n, 4).astype(np.float32)
        x2 = (x1 + 0.5 * rng.randn(n, 4)).astype(np.float32)
        a, b = mx.nd.array(x1), mx.nd.array(x2)
        a.attach_grad()
        b.attach_grad()
        loss_fn = mx.gluon.loss.SDMLLoss(smoothing_parameter=smoothing)
        with mx.autograd.record():
            out = loss_fn(a, b)
        out.backward()
        rec.update({tag + '_x1': x1, tag + '_x2': x2, tag + '_smoothing': np.float64(smoothing),
                    tag + '_out': out.asnumpy(), tag + '_grad_x1': a.grad.asnumpy(),
                    tag + '_grad_x2': b.grad.asnumpy()})
    return rec


def main():
    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, 'sdml.npz'), **sdml_records())
    print('wrote', OUT)


if __name__ == '__main__':
    main()
