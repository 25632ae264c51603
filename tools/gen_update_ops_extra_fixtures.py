"""Golden values of the update operators ``lamb_update_phase1`` / ``lamb_update_phase2``,
``mp_lamb_update_phase1`` / ``mp_lamb_update_phase2`` and ``mp_nag_mom_update``, recorded on
MXNet 1.9.1; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_update_ops_extra_fixtures.py

Random cases per operator: float32, float64 and float16 weights (float16 for the ``mp_`` ones,
float32 too where MXNet accepts it), random (non-zero) states, ``bias_correction`` on and off,
``clip_gradient`` -1 / 0 / positive, ``lower_bound`` / ``upper_bound`` unset, -1 or set, ``wd`` > 0,
``r1``/``r2`` of 0, and ``out=`` (the weight, or a fresh array for phase 1) or no ``out``; then
bad inputs (a wrong shape or dtype), recorded as "MXNet raises"; and a one-node graph per operator.

Output, in ``tests/fixtures/update_ops_extra/``: ``cases.json`` (a list of ``key``, ``op``,
``attrs``, ``dtypes`` of the inputs, ``out`` (``null``, ``"weight"`` or ``"new"``), ``error``
(null, or ``"shape"`` / ``"dtype"``: the kind of bad input, when MXNet raised)) and
``values.npz`` (``<key>_in<i>`` the inputs, ``<key>_res`` the result, ``<key>_after<i>`` every
input after the call), ``graphs.json`` (per operator MXNet's ``tojson()`` of the graph, its
arguments and auxiliary states).
"""
import json
import os
import warnings

import numpy as np

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'update_ops_extra')
R = np.random.RandomState(20240519)
CASES, VALUES = [], {}

ARGS = {'lamb_update_phase1': 'wgms', 'mp_lamb_update_phase1': 'wgmsW',
        'lamb_update_phase2': 'wgrr', 'mp_lamb_update_phase2': 'wGrrW',
        'mp_nag_mom_update': 'wgmW'}


def arrays(op, kinds, shape, dtype):
    """The inputs: w weight, g gradient (G: float32 direction), m signed state, s non-negative
    state, r a norm of shape (1,), W the float32 master of w; states float32 for mp_ ops."""
    mp = op.startswith('mp_')
    sdt = 'float32' if mp else dtype
    out = []
    for c in kinds:
        if c == 'w':
            out.append(R.standard_normal(shape).astype(dtype))
        elif c == 'g':
            out.append((R.standard_normal(shape) * R.choice([0.1, 1.0, 5.0])).astype(dtype))
        elif c == 'G':
            out.append(R.standard_normal(shape).astype('float32'))
        elif c == 'm':
            out.append((R.standard_normal(shape) * 0.3).astype(sdt))
        elif c == 's':
            out.append(R.uniform(0, 2, shape).astype(sdt))
        elif c == 'r':
            out.append(np.array([R.choice([0.0, R.uniform(0.05, 4)], p=[0.15, 0.85])], dtype=sdt))
        elif c == 'W':
            out.append(out[0].astype('float32') + R.uniform(-1e-3, 1e-3, shape).astype('float32'))
    return out


def attrs_for(op):
    a = {}
    if 'phase1' in op:
        a.update(t=int(R.randint(1, 8)),
                 wd=float(R.choice([0.0, 0.01, round(R.uniform(0, .5), 3)])))
        if R.rand() < .6:
            a['beta1'] = float(R.choice([0.9, round(R.uniform(0, 1), 3)]))
        if R.rand() < .6:
            a['beta2'] = float(R.choice([0.999, round(R.uniform(0, 1), 3)]))
        if R.rand() < .5:
            a['epsilon'] = float(R.choice([1e-6, 1e-3]))
        if R.rand() < .7:
            a['bias_correction'] = bool(R.rand() < .5)
    else:
        a['lr'] = float(R.choice([0.1, round(R.uniform(0.001, 1), 4)]))
    if 'phase2' in op:
        for k, choices in (('lower_bound', [-1.0, 0.0, 0.5, 2.0]),
                           ('upper_bound', [-1.0, 0.3, 1.0, 10.0])):
            if R.rand() < .6:
                a[k] = float(R.choice(choices))
        return a
    if 'nag' in op:
        a['momentum'] = float(R.choice([0.0, 0.9, round(R.uniform(0, 1), 3)]))
        if R.rand() < .6:
            a['wd'] = float(R.choice([0.0, round(R.uniform(0, .3), 3)]))
    if R.rand() < .6:
        a['rescale_grad'] = float(R.choice([1.0, 0.5, round(R.uniform(0.01, 2), 3)]))
    if R.rand() < .6:
        a['clip_gradient'] = float(R.choice([-1.0, 0.0, 0.1, round(R.uniform(0.05, 2), 3)]))
    return a


def record(key, op, attrs, inputs, out, error=None):
    """Run ``op`` under MXNet and store the case (``error``: the kind of bad input expected)."""
    for i, x in enumerate(inputs):
        VALUES['%s_in%d' % (key, i)] = x
    arrs = [mx.nd.array(x, dtype=x.dtype) for x in inputs]
    kw = dict(attrs)
    if out == 'weight':
        kw['out'] = arrs[0]
    elif out == 'new':
        direction = 'float32' if op == 'mp_lamb_update_phase1' else inputs[0].dtype
        kw['out'] = mx.nd.zeros(inputs[0].shape, dtype=direction)
    raised = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            res = getattr(mx.nd, op)(*arrs, **kw)
            res.wait_to_read()
            if out:
                assert res is kw['out']
            VALUES[key + '_res'] = res.asnumpy()
            for i, a in enumerate(arrs):
                VALUES['%s_after%d' % (key, i)] = a.asnumpy()
    except mx.base.MXNetError as e:
        raised = str(e).split('\n')[0][:200]
    if (raised is None) != (error is None):
        raise AssertionError('%s: MXNet %s (expected %s)' % (key, raised or 'did not raise', error))
    CASES.append({'key': key, 'op': op, 'attrs': attrs, 'dtypes': [x.dtype.name for x in inputs],
                  'out': out, 'error': error, 'mxnet_message': raised})


# one graph per operator: the inputs named as MXNet names them, attributes as strings
GRAPHS = {
    'lamb_update_phase1': (['weight', 'grad', 'mean', 'var'],
                           {'t': '3', 'wd': '0.1', 'beta1': '0.8', 'epsilon': '0.001',
                            'bias_correction': 'False', 'rescale_grad': '0.5',
                            'clip_gradient': '1.0'}),
    'lamb_update_phase2': (['weight', 'g', 'r1', 'r2'],
                           {'lr': '0.1', 'lower_bound': '0.5', 'upper_bound': '2.0'}),
    'mp_lamb_update_phase1': (['weight', 'grad', 'mean', 'var', 'weight32'],
                              {'t': '3', 'wd': '0.1', 'beta2': '0.99', 'bias_correction': 'True'}),
    'mp_lamb_update_phase2': (['weight', 'g', 'r1', 'r2', 'weight32'],
                              {'lr': '0.1', 'lower_bound': '0.5'}),
    'mp_nag_mom_update': (['weight', 'grad', 'mom', 'weight32'],
                          {'lr': '0.1', 'momentum': '0.9', 'wd': '0.01', 'rescale_grad': '2.0',
                           'clip_gradient': '0.5'}),
}


def _graph_json(op, names, attrs, aux=()):
    nodes = [{'op': 'null', 'name': n, 'inputs': []} for n in names]
    nodes.append({'op': op, 'name': op + '0', 'attrs': attrs,
                  'inputs': [[i, 0, int(n in aux)] for i, n in enumerate(names)]})
    return json.dumps({'nodes': nodes, 'arg_nodes': list(range(len(names))),
                       'node_row_ptr': list(range(len(names) + 2)),
                       'heads': [[len(names), 0, 0]],
                       'attrs': {'mxnet_version': ['int', 10901]}})


def graphs():
    """MXNet's ``tojson()``, argument and auxiliary names of a one-operator graph per operator,
    built from JSON (``mx.sym.<op>`` refuses these operators, "Not enough argument"): a first
    load tells the auxiliary states, which MXNet's graphs reference with version 1 (as its
    BatchNorm's moving mean), then the graph with those versions is loaded and written back."""
    out = {}
    for op, (names, attrs) in GRAPHS.items():
        aux = mx.sym.load_json(_graph_json(op, names, attrs)).list_auxiliary_states()
        s = mx.sym.load_json(_graph_json(op, names, attrs, aux))
        out[op] = {'json': json.loads(s.tojson()), 'arguments': s.list_arguments(),
                   'auxiliary_states': s.list_auxiliary_states()}
    return out


def main():
    shapes = [(5,), (3, 4), (2, 3, 2), (1,), (7, 1)]
    for op, kinds in ARGS.items():
        mp = op.startswith('mp_')
        if op == 'mp_lamb_update_phase1':      # MXNet takes float16 weights only
            dtypes = ['float16'] * 7
        elif mp:
            dtypes = ['float16'] * 5 + ['float32'] * 2
        else:
            dtypes = ['float32'] * 5 + ['float64', 'float16']
        for i, dt in enumerate(dtypes):
            if 'phase1' in op:
                out = [None, 'new'][i % 2]
            else:
                out = [None, 'weight', 'weight'][i % 3]
            attrs = attrs_for(op)
            if i == 0 and 'phase1' in op:        # both bias-correction settings, with clipping
                attrs.update(bias_correction=True, clip_gradient=0.5, wd=0.05)
            if i == 1 and 'phase1' in op:
                attrs.update(bias_correction=False, clip_gradient=-1.0, wd=0.1)
            if i == 0 and 'phase2' in op:        # both bounds set, then none
                attrs.update(lower_bound=0.5, upper_bound=1.5)
            if i == 1 and 'phase2' in op:
                attrs.update(lower_bound=-1.0, upper_bound=-1.0)
            inputs = arrays(op, kinds, shapes[i % len(shapes)], dt)
            record('%s_%d' % (op, i), op, attrs, inputs, out)
        # bad inputs: another shape for one array, another dtype for one array
        dt = 'float16' if mp else 'float32'
        base = arrays(op, kinds, (3, 4), dt)
        attrs = attrs_for(op)
        for j, c in enumerate(kinds):
            if j == 0:
                continue
            bad = list(base)
            bad[j] = np.zeros((2,) if c == 'r' else (4, 3), dtype=base[j].dtype)
            record('%s_badshape%d' % (op, j), op, attrs, bad, None, error='shape')
            bad = list(base)
            bad[j] = base[j].astype('float64')
            record('%s_baddtype%d' % (op, j), op, attrs, bad, None, error='dtype')
        if op == 'mp_lamb_update_phase1':       # MXNet: weight and grad must be float16
            bad = [x.astype('float32') for x in base]
            record('%s_float32weight' % op, op, attrs, bad, None, error='dtype')
        if 'phase2' in op:                      # a 0-d norm
            bad = list(base)
            bad[2] = np.array(1.5, dtype=base[2].dtype)
            record('%s_scalarnorm' % op, op, attrs, bad, None, error='shape')
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(CASES, f, indent=1, sort_keys=True)
        f.write('\n')
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **VALUES)
    with open(os.path.join(OUT, 'graphs.json'), 'w') as f:
        json.dump(graphs(), f, indent=1, sort_keys=True)
        f.write('\n')
    print('%d cases (%d errors)' % (len(CASES), sum(c['error'] is not None for c in CASES)))


if __name__ == '__main__':
    main()
