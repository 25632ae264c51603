"""Record MXNet 1.9.1's answers for NDArray surface edge cases (run with /opt/mxvenv/bin/python).

Writes ``tests/fixtures/surface_edge/mod.npz``: ``%`` on NDArrays with negative operands and
zero divisors (MXNet's ``mod`` takes the sign of the divisor, as Python, and gives 0 for a zero
divisor), for array % array, array % scalar and scalar % array, float32 and int32, with the
gradients of the float cases.
"""
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'surface_edge')


def main():
    os.makedirs(OUT, exist_ok=True)
    nd, ag = mx.nd, mx.autograd
    a = np.array([-7, 7, -7, 7, -7.5, 5, -5, 0, 3], np.float32)
    b = np.array([2, -2, -2, 2, 2, 0, 0, 3, -1.5], np.float32)
    res = {'a': a, 'b': b}
    x, y = nd.array(a), nd.array(b)
    x.attach_grad(), y.attach_grad()
    with ag.record():
        z = x % y
    z.backward()
    res['aa'], res['aa_da'], res['aa_db'] = z.asnumpy(), x.grad.asnumpy(), y.grad.asnumpy()
    for tag, s in [('pos', 2.0), ('neg', -2.0), ('zero', 0.0)]:
        x = nd.array(a)
        x.attach_grad()
        with ag.record():
            z = x % s
        z.backward()
        res['as_' + tag], res['as_' + tag + '_da'] = z.asnumpy(), x.grad.asnumpy()
    for tag, s in [('pos', 7.0), ('neg', -7.0)]:
        x = nd.array(b)
        x.attach_grad()
        with ag.record():
            z = s % x
        z.backward()
        res['sa_' + tag], res['sa_' + tag + '_db'] = z.asnumpy(), x.grad.asnumpy()
    ai = np.array([-7, 7, -7, 7, 5, 0], np.int32)
    bi = np.array([2, -2, -2, 2, 0, 3], np.int32)
    res['ai'], res['bi'] = ai, bi
    res['ii'] = (nd.array(ai, dtype='int32') % nd.array(bi, dtype='int32')).asnumpy()
    res['is_3'] = (nd.array(ai, dtype='int32') % 3).asnumpy()
    res['is_m3'] = (nd.array(ai, dtype='int32') % -3).asnumpy()
    np.savez(os.path.join(OUT, 'mod.npz'), **res)


if __name__ == '__main__':
    main()
