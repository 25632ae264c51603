"""Golden values for tests/symbol/test_symbol_edge.py (run with the MXNet 1.9.1 venv).

Writes tests/fixtures/symbol/edge.expected.json: node names MXNet gives the Python comparison and
reflected-power operators, the JSON of a graph whose float attributes were given as ints, and
BatchNorm's inferred dtypes for float16/float64 data.
"""
import json
import os

import mxnet as mx

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'symbol',
                   'edge.expected.json')

EXPRS = {'gt_scalar': lambda a: a > 1, 'ge_scalar': lambda a: a >= 1.5,
         'lt_scalar': lambda a: a < 1, 'le_scalar': lambda a: a <= 0,
         'eq_scalar': lambda a: a == 1, 'ne_scalar': lambda a: a != 2,
         'rpow_scalar': lambda a: 3 ** a, 'rgt_scalar': lambda a: 1 < a}


def main():
    out = {'names': {}}
    for key, fn in EXPRS.items():
        with mx.name.NameManager():
            out['names'][key] = fn(mx.sym.var('a')).name
    with mx.name.NameManager():
        d = mx.sym.var('data')
        g = mx.sym.one_hot(d, depth=3, on_value=2, off_value=-1) + \
            mx.sym.LeakyReLU(d, act_type='leaky', slope=1) + mx.sym.Dropout(d, p=0) + \
            mx.sym.BatchNorm(d, momentum=1, eps=0.5, name='bn')
        out['int_floats_json'] = g.tojson()
    bn = mx.sym.BatchNorm(mx.sym.var('data'), name='bn')
    out['bn_types'] = {}
    for dt in ('float16', 'float32', 'float64'):
        args, outs, auxs = bn.infer_type(data=dt)
        out['bn_types'][dt] = [[t.__name__ for t in ts] for ts in (args, outs, auxs)]
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
