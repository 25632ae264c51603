"""Record MXNet 1.9.1 golden values for the ``linalg`` operators (minigluon/ops/linalg_la.py,
linalg_tri.py).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_linalg_fixtures.py

Writes tests/fixtures/linalg/cases.json (per call: the short name under ``nd.linalg``, the
attributes, the number of inputs, and the node MXNet writes into ``-symbol.json`` for the same
call through ``sym.linalg``: op name, node name and attribute strings) and values.npz (float64
inputs, outputs, the head gradients fed to backward and the resulting input gradients).
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'linalg')
RNG = np.random.RandomState(0)


def U(*shape):
    return RNG.uniform(-1, 1, size=shape)


def spd(*shape):
    m = U(*shape)
    return m @ m.swapaxes(-1, -2) / shape[-1] + np.eye(shape[-1])


def well(*shape):
    return 0.4 * U(*shape) + 2 * np.eye(shape[-1])


CASES = []
VALUES = {}


def case(name, inputs, grad=True, **attrs):
    """Call ``mx.nd.linalg.<name>(*inputs, **attrs)`` in float64; record the outputs and, with
    ``grad``, the input gradients for a random head gradient per output."""
    key = 'c%d' % len(CASES)
    arrays = [mx.nd.array(x, dtype='float64') for x in inputs]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        out = getattr(mx.nd.linalg, name)(*arrays, **attrs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for i, x in enumerate(inputs):
        VALUES['%s_in%d' % (key, i)] = x
    for i, o in enumerate(outs):
        VALUES['%s_out%d' % (key, i)] = o.asnumpy()
    if grad:
        heads = [RNG.uniform(-1, 1, size=o.shape) for o in outs]
        mx.autograd.backward(outs, [mx.nd.array(h, dtype='float64') for h in heads])
        for i, h in enumerate(heads):
            VALUES['%s_head%d' % (key, i)] = h
        for i, a in enumerate(arrays):
            VALUES['%s_grad%d' % (key, i)] = a.grad.asnumpy()
    names = ['x%d' % i for i in range(len(inputs))]
    node = json.loads(getattr(mx.sym.linalg, name)(*[mx.sym.var(n) for n in names],
                                                   **attrs).tojson())['nodes'][-1]
    CASES.append({'key': key, 'name': name, 'attrs': attrs, 'n_inputs': len(inputs),
                  'n_outputs': len(outs), 'grad': grad, 'json_op': node['op'],
                  'json_name': node['name'], 'json_attrs': node.get('attrs', {})})


def main():
    case('gemm', [U(2, 3, 4), U(2, 5, 4), U(2, 3, 5)], transpose_b=True, alpha=0.5, beta=-2.0)
    case('gemm', [U(3, 2, 4), U(3, 2, 5), U(4, 2, 5)], transpose_a=True, axis=0)
    case('gemm2', [U(2, 4, 3), U(2, 4, 2)], transpose_a=True, alpha=2.0)
    case('potrf', [spd(3, 3)])
    case('potrf', [spd(2, 4, 4)])
    case('potri', [np.linalg.cholesky(spd(2, 3, 3))])
    case('potri', [np.tril(well(3, 3)) + np.triu(U(3, 3), 1)])     # upper part is ignored
    for transpose, rightside, lower in ((False, False, True), (True, False, False),
                                        (False, True, False), (True, True, True)):
        b = U(2, 4, 3) if rightside else U(2, 3, 4)
        case('trmm', [well(2, 3, 3), b], transpose=transpose, rightside=rightside, lower=lower,
             alpha=1.5)
        case('trsm', [well(2, 3, 3), b], transpose=transpose, rightside=rightside, lower=lower,
             alpha=-0.5)
    case('syrk', [U(2, 3, 4)], alpha=0.5)
    case('syrk', [U(3, 4)], transpose=True)
    case('sumlogdiag', [well(3, 3)])
    case('sumlogdiag', [well(2, 3, 3)])
    for offset in (-2, 0, 1):
        case('extractdiag', [U(2, 4, 4)], offset=offset)
        case('makediag', [U(2, 3)], offset=offset)
    for offset, lower in ((0, True), (0, False), (1, True), (-1, False), (-2, True)):
        case('extracttrian', [U(2, 4, 4)], offset=offset, lower=lower)
        case('maketrian', [U(2, 6)], offset=offset, lower=lower)
    case('inverse', [well(3, 3)])
    case('inverse', [well(2, 3, 3)])
    case('det', [well(3, 3)])
    case('det', [-well(2, 3, 3)])
    case('slogdet', [well(3, 3)])
    case('slogdet', [-well(2, 3, 3)])
    case('gelqf', [U(2, 3, 4)])
    case('gelqf', [U(3, 3)])
    case('syevd', [spd(2, 3, 3) - 1.5 * np.eye(3)])
    os.makedirs(OUT, exist_ok=True)
    # a Gaussian-process negative log-likelihood graph as MXNet exports it (F.linalg in a model)
    K, y = mx.sym.var('K'), mx.sym.var('y')
    L = mx.sym.linalg.potrf(K)
    nll = 0.5 * mx.sym.sum(mx.sym.square(mx.sym.linalg.trsm(L, y))) + mx.sym.linalg.sumlogdiag(L)
    with open(os.path.join(OUT, 'gp-symbol.json'), 'w') as f:
        f.write(nll.tojson())
    k, yv = spd(4, 4), U(4, 2)
    VALUES['gp_K'], VALUES['gp_y'] = k, yv
    VALUES['gp_out'] = nll.eval(K=mx.nd.array(k, dtype='float64'),
                                y=mx.nd.array(yv, dtype='float64'))[0].asnumpy()
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **VALUES)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(CASES, f, sort_keys=True)


if __name__ == '__main__':
    main()
