"""Record MXNet 1.9.1 golden values for the density operators (``nd.random_pdf_normal`` ...,
minigluon/ops/random_pdf.py), and the shapes, dtypes and ``-symbol.json`` nodes of the samplers
with array parameters (``nd.random.gamma(alpha=NDArray, ...)``, minigluon/ops/random_sample.py)
and of the negative binomial ``_like`` samplers (their values are random: not recorded).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_random_pdf_fixtures.py

Samples lie inside each distribution's support and parameters inside their domain (outside,
minigluon deliberately differs from MXNet; tests/ops/test_random_pdf.py checks those cases
against SciPy). Writes tests/fixtures/random_pdf/cases.json (per call: the ``nd`` function, its
``is_log``, the inputs' keys and the op name and attributes MXNet writes into ``-symbol.json``)
and values.npz (inputs, output, head gradient and the gradient of every input), and
tests/fixtures/random_pdf/samplers.json (per sampler call: the function under ``nd``, the
parameters' shapes and dtypes, the keywords, the output's shape and dtype, and the non-variable
nodes (op, name, attrs) of the same call through ``sym``).
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'random_pdf')
RNG = np.random.RandomState(0)
CASES = []
VALUES = {}


def case(dist, inputs, dtype='float32', is_log=None):
    key = 'c%d' % len(CASES)
    inputs = [np.asarray(x, dtype=dtype) for x in inputs]
    arrays = [mx.nd.array(x, dtype=dtype) for x in inputs]
    for a in arrays:
        a.attach_grad()
    attrs = {} if is_log is None else {'is_log': is_log}
    fn = getattr(mx.nd, 'random_pdf_' + dist)
    with mx.autograd.record():
        out = fn(*arrays, **attrs)
    head = RNG.standard_normal(out.shape).astype(dtype)
    out.backward(mx.nd.array(head, dtype=dtype))
    for i, (x, a) in enumerate(zip(inputs, arrays)):
        VALUES['%s_in%d' % (key, i)] = x
        VALUES['%s_grad%d' % (key, i)] = a.grad.asnumpy()
    VALUES[key + '_out'] = out.asnumpy()
    VALUES[key + '_head'] = head
    graph = json.loads(getattr(mx.sym, 'random_pdf_' + dist)(
        *[mx.sym.var('in%d' % i) for i in range(len(inputs))], **attrs).tojson())
    node = graph['nodes'][-1]
    CASES.append({'key': key, 'dist': dist, 'attrs': attrs, 'n_in': len(inputs), 'dtype': dtype,
                  'json_op': node['op'], 'json_name': node['name'],
                  'json_attrs': node.get('attrs', {})})


def pos(lo, hi, *shape):
    return RNG.uniform(lo, hi, size=shape)


def counts(hi, *shape):
    return RNG.randint(0, hi, size=shape).astype(np.float64)


SAMPLERS = []


def sampler(path, param_shapes, param_dtype='float32', like=False, **kw):
    """``nd.<path>`` with parameter arrays of ``param_shapes`` (all 1.5, a valid value of every
    parameter except p, which gets 0.5), or for ``like`` one data array and attributes."""
    nb = path in ('random.negative_binomial', 'sample_negative_binomial')
    values = [0.5 if nb and i == 1 else 1.5 for i in range(len(param_shapes))]
    arrays = [mx.nd.full(s, v, dtype=param_dtype) for s, v in zip(param_shapes, values)]
    out = resolve(mx.nd, path)(*arrays, **kw)
    graph = json.loads(resolve(mx.sym, path)(
        *[mx.sym.var('p%d' % i) for i in range(len(arrays))], **kw).tojson())
    SAMPLERS.append({'path': path, 'param_shapes': param_shapes, 'param_dtype': param_dtype,
                     'kwargs': kw, 'out_shape': list(out.shape),
                     'out_dtype': np.dtype(out.dtype).name,
                     'nodes': [[n['op'], n['name'], n.get('attrs', {})] for n in graph['nodes']
                               if n['op'] != 'null']})


def resolve(ns, path):
    for part in path.split('.'):
        ns = getattr(ns, part)
    return ns


def samplers():
    for path in ('random.exponential', 'random.poisson'):
        sampler(path, [[2]])
        sampler(path, [[2, 3]], shape=(4,))
        sampler(path, [[2]], 'float64', shape=(2, 2))
        sampler(path, [[3]], shape=2, dtype='float16')
    for path in ('random.gamma', 'random.negative_binomial',
                 'random.generalized_negative_binomial'):
        sampler(path, [[2], [2]])
        sampler(path, [[2, 3], [2, 3]], shape=(4,))
        sampler(path, [[1], [1]], 'float64', shape=3, dtype='float64')
    for name in ('exponential', 'gamma', 'poisson', 'negative_binomial',
                 'generalized_negative_binomial'):
        n_params = 2 if name in ('gamma', 'negative_binomial', 'generalized_negative_binomial') \
            else 1
        sampler('sample_' + name, [[2]] * n_params, shape=(3,))
    sampler('random.negative_binomial_like', [[2, 3]], k=3, p=0.4)
    sampler('random.negative_binomial_like', [[4]], 'float64')
    sampler('random.generalized_negative_binomial_like', [[2, 3]], mu=2.0, alpha=0.5)
    with open(os.path.join(OUT, 'samplers.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'calls': SAMPLERS}, f, indent=1,
                  sort_keys=True)
        f.write('\n')


def main():
    for is_log in (None, False, True):
        case('normal', [RNG.standard_normal((2, 3)), RNG.standard_normal(2), pos(0.5, 2, 2)],
             is_log=is_log)
        low = RNG.uniform(-1, 0, 2)
        case('uniform', [low[:, None] + pos(0.05, 0.95, 2, 4), low, low + 1.0], is_log=is_log)
        case('exponential', [pos(0, 3, 3, 2), pos(0.5, 2, 3)], is_log=is_log)
        case('gamma', [pos(0.1, 4, 2, 3), pos(0.5, 3, 2), pos(0.5, 2, 2)], is_log=is_log)
        case('poisson', [counts(6, 2, 4), pos(0.5, 4, 2)], is_log=is_log)
        case('negative_binomial', [counts(6, 2, 4), pos(0.5, 4, 2), pos(0.2, 0.9, 2)],
             is_log=is_log)
        case('generalized_negative_binomial', [counts(6, 2, 4), pos(0.5, 4, 2),
                                                pos(0.1, 1.5, 2)], is_log=is_log)
        alpha = pos(0.5, 3, 2, 3)
        simplex = RNG.dirichlet([2, 2, 2], size=(2, 4))
        case('dirichlet', [simplex, alpha], is_log=is_log)
    # shapes: samples with the parameters' shape, several draw axes, two parameter axes
    case('normal', [RNG.standard_normal(3), RNG.standard_normal(3), pos(0.5, 2, 3)])
    case('normal', [RNG.standard_normal((2, 3, 4)), RNG.standard_normal(2), pos(0.5, 2, 2)],
         is_log=True)
    case('gamma', [pos(0.1, 4, 2, 3, 2), pos(0.5, 3, 2, 3), pos(0.5, 2, 2, 3)], is_log=True)
    case('poisson', [counts(5, 3), pos(0.5, 4, 3)])
    case('dirichlet', [RNG.dirichlet([1, 2, 3, 1], size=2), pos(0.5, 3, 2, 4)], is_log=True)
    case('dirichlet', [RNG.dirichlet([1, 2, 3], size=(4,)), pos(0.5, 3, 3)])
    case('dirichlet', [RNG.dirichlet([1, 2, 3]), pos(0.5, 3, 3)], is_log=True)
    case('dirichlet', [RNG.dirichlet([1, 1], size=(2, 3, 2)), pos(0.5, 3, 2, 2)])
    # dtypes
    for dtype in ('float64', 'float16'):
        case('normal', [RNG.standard_normal((2, 3)), RNG.standard_normal(2), pos(0.5, 2, 2)],
             dtype=dtype)
        case('gamma', [pos(0.5, 3, 2, 3), pos(1, 3, 2), pos(0.5, 2, 2)], dtype=dtype, is_log=True)
        case('negative_binomial', [counts(6, 2, 4), pos(0.5, 4, 2), pos(0.2, 0.9, 2)],
             dtype=dtype)
        case('dirichlet', [RNG.dirichlet([2, 2, 2], size=(2, 4)), pos(0.5, 3, 2, 3)],
             dtype=dtype, is_log=True)
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **VALUES)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'cases': CASES}, f, indent=1, sort_keys=True)
        f.write('\n')
    samplers()


if __name__ == '__main__':
    main()
