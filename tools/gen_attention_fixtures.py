"""Golden values of MXNet 1.9.1's interleaved attention products (run in its venv).

    /opt/mxvenv/bin/python tools/gen_attention_fixtures.py

Writes tests/fixtures/attention/cases.npz: for each operator of
``_contrib_interleaved_matmul_{selfatt_qk, selfatt_valatt, encdec_qk, encdec_valatt}`` (key
prefix ``selfatt_qk:`` ...), its float32 inputs (``in0``, ``in1``), the head gradient
(``head``), the output (``out``) and the input gradients (``grad0``, ``grad1``), with
(L, Lk, B, heads, D) = (3, 5, 2, 2, 4).
"""
import os

import numpy as np
from mxnet import autograd, nd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'attention')
L, LK, B, H, D = 3, 5, 2, 2, 4


def inputs(name, rng):
    u = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32)   # noqa: E731
    return {'selfatt_qk': [u(L, B, 3 * H * D)],
            'selfatt_valatt': [u(L, B, 3 * H * D), u(B * H, L, L)],
            'encdec_qk': [u(L, B, H * D), u(LK, B, 2 * H * D)],
            'encdec_valatt': [u(LK, B, 2 * H * D), u(B * H, L, LK)]}[name]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(11)
    res = {}
    for name in ('selfatt_qk', 'selfatt_valatt', 'encdec_qk', 'encdec_valatt'):
        values = inputs(name, rng)
        arrays = [nd.array(v) for v in values]
        for a in arrays:
            a.attach_grad()
        fn = getattr(nd.contrib, 'interleaved_matmul_' + name)
        with autograd.record():
            out = fn(*arrays, heads=H)
        head = rng.uniform(-1, 1, out.shape).astype(np.float32)
        out.backward(nd.array(head))
        res[name + ':out'] = out.asnumpy()
        res[name + ':head'] = head
        for i, (v, a) in enumerate(zip(values, arrays)):
            res['%s:in%d' % (name, i)] = v
            res['%s:grad%d' % (name, i)] = a.grad.asnumpy()
    np.savez(os.path.join(OUT, 'cases.npz'), **res)
    print('wrote', len(res), 'arrays')


if __name__ == '__main__':
    main()
