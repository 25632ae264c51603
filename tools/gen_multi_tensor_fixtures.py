"""Golden values of MXNet 1.9.1's AMP casts, finiteness checks and fused multi-tensor operators
(``amp_cast``, ``amp_multicast``, ``all_finite``, ``multi_all_finite``, ``multi_sum_sq``,
``reset_arrays``, ``multi_lars``, the eight ``[preloaded_]multi_[mp_]sgd[_mom]_update``,
``_multi_[mp_]adamw_update``, ``_multi_[mp_]lamb_update``); run in the MXNet venv, never by the
test suite::

    /opt/mxvenv/bin/python tools/gen_multi_tensor_fixtures.py

Each case calls one ``mx.nd`` function on random inputs (float16/float32/float64 as the operator
takes them; the ``mp`` updates with float16 weights and also float32 ones, which MXNet updates
directly, leaving ``weight32`` alone), with ``out=`` the weights for the updates (MXNet 1.9.1 fails without it), and records
the inputs, the results and every input after the call. ``amp_multicast`` also records the
gradients of ``sum(outputs * head)`` where MXNet's CPU backward runs (no float16, no float64);
where MXNet fails (float64 and float16 kernels on CPU: "unknown type for MKLDNN") the case
keeps MXNet's message as ``error``. ``graphs.json`` holds MXNet's ``tojson()`` of a one-node Symbol per operator that
MXNet can build.

Output, in ``tests/fixtures/multi_tensor/``: ``cases.json`` (``key``, ``op``, ``attrs``, ``n_in``,
``n_out``, ``out`` (true when the weights were passed as ``out=``)) and ``values.npz``
(``<key>_in<i>``, ``<key>_res<j>``, ``<key>_after<i>``, ``<key>_grad<i>``); ``cast_types.json``:
MXNet's type rule of ``amp_cast`` / ``amp_multicast`` over dtype combinations (from ``infer_type``,
so also where the CPU kernels fail).
"""
import json
import os

import numpy as np

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'multi_tensor')
R = np.random.RandomState(20261130)
CASES, VALUES = [], {}
nd = mx.nd


def rand(shape, dtype, scale=1.0):
    return (R.standard_normal(shape) * scale).astype(dtype)


def record(key, op, inputs, attrs, out_idx=None, func=None, grad=False):
    """Call ``nd.<op>`` (or ``func``) on copies of ``inputs`` with ``attrs``; ``out_idx``: the
    inputs passed as ``out=``. Where MXNet fails, the case is kept with ``error`` (its message's
    last line) and no results."""
    try:
        _record(key, op, inputs, attrs, out_idx, func, grad)
    except mx.base.MXNetError as err:
        for k in [k for k in VALUES if k.startswith(key + '_') and '_in' not in k]:
            del VALUES[k]
        CASES.append({'key': key, 'op': op, 'attrs': attrs, 'n_in': len(inputs), 'n_out': None,
                      'out': out_idx is not None,
                      'error': str(err).strip().splitlines()[-1]})


def _record(key, op, inputs, attrs, out_idx, func, grad):
    arrs = [nd.array(a, dtype=a.dtype) for a in inputs]
    for i, a in enumerate(inputs):
        VALUES['%s_in%d' % (key, i)] = a
    kwargs = dict(attrs)
    if out_idx is not None:
        kwargs['out'] = [arrs[i] for i in out_idx]
    f = func or getattr(nd, op)
    if grad:
        for a in arrs:
            a.attach_grad()
        with mx.autograd.record():
            res = f(*arrs, **kwargs)
            outs = res if isinstance(res, list) else [res]
            heads = [rand(o.shape, 'float64').astype(o.dtype) for o in outs]
            total = sum(((o * nd.array(h, dtype=h.dtype)).astype('float64').sum()
                         for o, h in zip(outs, heads)), nd.zeros((1,), dtype='float64'))
        total.backward()
        for i, a in enumerate(arrs):
            VALUES['%s_grad%d' % (key, i)] = a.grad.asnumpy()
    else:
        res = f(*arrs, **kwargs)
        outs = res if isinstance(res, list) else [res]
    for j, o in enumerate(outs):
        VALUES['%s_res%d' % (key, j)] = o.asnumpy()
    for i, a in enumerate(arrs):
        VALUES['%s_after%d' % (key, i)] = a.asnumpy()
    CASES.append({'key': key, 'op': op, 'attrs': attrs, 'n_in': len(inputs),
                  'n_out': len(outs), 'out': out_idx is not None})


def casts():
    for k, (src, dst) in enumerate([('float32', 'float16'), ('float16', 'float32'),
                                    ('float64', 'float16'), ('float32', 'float64'),
                                    ('int32', 'float16'), ('float32', 'int32')]):
        x = rand((2, 3), 'float64', 3).astype(src)
        record('amp_cast%d' % k, 'amp_cast', [x], {'dtype': dst})
    combos = [('float32', 'float32'), ('float16', 'float32'), ('float32', 'float64', 'float16'), ('int32', 'float32'),
              ('float32', 'float64'), ('float16', 'float16')]
    for k, dts in enumerate(combos):
        xs = [rand((2,) * (i + 1), 'float64', 2).astype(d) for i, d in enumerate(dts)]
        for narrow in (False, True):
            attrs = {'num_outputs': len(xs)}
            if narrow:
                attrs['cast_narrow'] = True
            grad = set(dts) == {'float32'} or dts == ('int32', 'float32')
            record('amp_multicast%d_%d' % (k, narrow), 'amp_multicast', xs, attrs, grad=grad)


def checks():
    good, bad = rand((3,), 'float32'), np.array([1, np.inf, 2], 'float32')
    nan16 = np.array([np.nan, 1], 'float16')
    for k, (x, attrs) in enumerate([(good, {}), (bad, {}), (nan16, {}),
                                    (good.astype('float64'), {'init_output': True})]):
        record('all_finite%d' % k, 'all_finite', [x], attrs)
    for k, xs in enumerate([[good, rand((2, 2), 'float32')], [good, bad, good], [nan16]]):
        record('multi_all_finite%d' % k, 'multi_all_finite', xs, {'num_arrays': len(xs)})
    for k, xs in enumerate([[rand((3,), 'float32'), rand((2, 4), 'float32')],
                            [rand((5,), 'float16', 4), rand((1,), 'float16')],
                            [rand((7, 3), 'float64')]]):
        record('multi_sum_sq%d' % k, 'multi_sum_sq', xs, {'num_arrays': len(xs)})
    xs = [rand((3,), 'float32'), rand((2, 2), 'float16')]
    record('reset_arrays0', 'reset_arrays', xs, {'num_arrays': 2})
    n = 6
    lrs = R.uniform(0.01, 1, n).astype('float32')
    wss = np.where(R.rand(n) < .3, 0, R.uniform(0, 5, n)).astype('float32')
    gss = np.where(R.rand(n) < .3, 0, R.uniform(0, 5, n)).astype('float32')
    wds = R.uniform(0, .1, n).astype('float32')
    record('multi_lars0', 'multi_lars', [lrs, wss, gss, wds], {'eta': 0.7, 'eps': 1e-3})
    record('multi_lars1', 'multi_lars', [lrs, wss, gss, wds],
           {'eta': 0.01, 'eps': 0.5, 'rescale_grad': 0.25})


def sgd_updates():
    shapes = [(3,), (2, 2)]
    for pre in (False, True):
        for mp in (False, True):
            for mom in (False, True):
                name = '%smulti_%ssgd_%supdate' % ('preloaded_' if pre else '', 'mp_' if mp else '',
                                                  'mom_' if mom else '')
                for k, (dtype, clip, rescale) in enumerate(
                        [('float16' if mp else 'float32', -1.0, 1.0),
                         ('float16' if mp else 'float64', 0.5, 0.7),
                         ('float32', 0.0, 2.0)]):
                    if pre and dtype == 'float64':
                        dtype = 'float32'    # the preloaded rates are float32 arrays
                    inputs, per = [], 2 + mom + mp
                    for s in shapes:
                        w = rand(s, dtype)
                        inputs += [w, rand(s, dtype, 2)]
                        if mom:
                            inputs.append(rand(s, 'float32' if mp else dtype, .3))
                        if mp:
                            inputs.append(w.astype('float32') + rand(s, 'float32', 1e-3))
                    lrs = [float(round(R.uniform(0.01, 0.5), 3)) for _ in shapes]
                    wds = [float(R.choice([0.0, round(R.uniform(0, .2), 3)])) for _ in shapes]
                    attrs = {'num_weights': len(shapes), 'rescale_grad': rescale,
                             'clip_gradient': clip}
                    if mom:
                        attrs['momentum'] = 0.9
                    if pre:
                        inputs += [np.array(lrs, 'float32'), np.array(wds, 'float32')]
                    else:
                        attrs.update(lrs=lrs, wds=wds)
                    record('%s%d' % (name, k), name, inputs, attrs,
                           out_idx=[i * per for i in range(len(shapes))])


def adamw_lamb():
    shapes = [(3,), (2, 2)]
    for mp in (False, True):
        for k, (dtype, scale, clip) in enumerate([('float32', 1.0, -1.0), ('float64', 0.5, 0.3),
                                                  ('float32', float('inf'), -1.0)]):
            dtype = ('float16' if k < 2 else 'float32') if mp else dtype
            inputs, per = [], 4 + mp
            for s in shapes:
                w = rand(s, dtype)
                inputs += [w, rand(s, dtype), rand(s, 'float32' if mp else dtype, .1),
                           R.uniform(0, .5, s).astype('float32' if mp else dtype)]
                if mp:
                    inputs.append(w.astype('float32') + rand(s, 'float32', 1e-3))
            inputs.append(np.array([scale], 'float32'))
            name = '_multi_%sadamw_update' % ('mp_' if mp else '')
            attrs = {'num_weights': len(shapes), 'lrs': [0.1, 0.05], 'wds': [0.0, 0.01],
                     'etas': [1.0, 0.5], 'clip_gradient': clip}
            record('%s%d' % (name, k), name, inputs, attrs,
                   out_idx=[i * per for i in range(len(shapes))],
                   func=getattr(nd._internal, name))
        for k, (dtype, extra) in enumerate([('float32', {}),
                                            ('float64', {'bias_correction': False,
                                                         'rescale_grad': 0.5}),
                                            ('float32', {'lower_bound': 0.5, 'upper_bound': 1.5,
                                                         'clip_gradient': 0.2})]):
            dtype = ('float16' if k < 2 else 'float32') if mp else dtype
            inputs, per = [], 4 + mp
            for s in shapes:
                w = rand(s, dtype)
                inputs += [w, rand(s, dtype), rand(s, 'float32' if mp else dtype, .1),
                           R.uniform(0, .5, s).astype('float32' if mp else dtype)]
                if mp:
                    inputs.append(w.astype('float32') + rand(s, 'float32', 1e-3))
            name = '_multi_%slamb_update' % ('mp_' if mp else '')
            attrs = {'num_tensors': len(shapes), 'learning_rates': [0.1, 0.02],
                     'wds': [0.01, 0.0], 'step_count': [1, 5]}
            attrs.update(extra)
            record('%s%d' % (name, k), name, inputs, attrs,
                   out_idx=[i * per for i in range(len(shapes))],
                   func=getattr(nd._internal, name))


def graphs():
    S, out = mx.sym, {}
    v = [S.var('v%d' % i) for i in range(6)]
    made = {
        'amp_cast': lambda: S.amp_cast(v[0], dtype='float16'),
        'amp_multicast': lambda: S.amp_multicast(v[0], v[1], num_outputs=2, cast_narrow=True),
        'all_finite': lambda: S.all_finite(v[0], init_output=False),
        'multi_all_finite': lambda: S.multi_all_finite(v[0], v[1], num_arrays=2),
        'multi_sum_sq': lambda: S.multi_sum_sq(v[0], v[1], num_arrays=2),
        'multi_lars': lambda: S.multi_lars(*v[:4], eta=0.5, eps=1e-3),
        'multi_sgd_update': lambda: S.multi_sgd_update(*v[:4], lrs=(0.1, 0.2), wds=(0, 0.1),
                                                       num_weights=2),
        'multi_mp_sgd_mom_update': lambda: S.multi_mp_sgd_mom_update(
            *v[:4], lrs=(0.1,), wds=(0.01,), momentum=0.9, num_weights=1),
        'preloaded_multi_mp_sgd_mom_update': lambda: S.preloaded_multi_mp_sgd_mom_update(
            *v[:6], momentum=0.9, num_weights=1),
        '_multi_lamb_update': lambda: S._internal._multi_lamb_update(
            *v[:4], learning_rates=(0.1,), wds=(0.0,), step_count=(3,), num_tensors=1),
    }
    for name, make in made.items():
        s = make()
        out[name] = {'json': s.tojson(), 'arguments': s.list_arguments(),
                     'aux': s.list_auxiliary_states(), 'outputs': s.list_outputs()}
    return out


def cast_types():
    """MXNet's type rule (``infer_type``) of amp_cast and amp_multicast for dtype combinations,
    including those whose CPU kernels fail: ``[input dtypes, attrs, output dtypes]``."""
    S, rows = mx.sym, []
    dts = ['float16', 'float32', 'float64', 'int32', 'uint8']
    for src in dts:
        for dst in ['float16', 'float32', 'float64', 'int32']:
            _, outs, _ = S.amp_cast(S.var('x'), dtype=dst).infer_type(x=src)
            rows.append([[src], {'dtype': dst}, [np.dtype(t).name for t in outs]])
    for combo in [('float16', 'float32'), ('float32', 'float64', 'float16'), ('int32', 'float16'),
                  ('float64', 'float16'), ('uint8', 'int32'), ('float16', 'float16', 'float32'),
                  ('float16', 'int32'), ('float16', 'float64'), ('int32', 'float32'),
                  ('uint8', 'float16')]:
        for narrow in (False, True):
            xs = [S.var('x%d' % i) for i in range(len(combo))]
            s = S.amp_multicast(*xs, num_outputs=len(xs), cast_narrow=narrow)
            _, outs, _ = s.infer_type(**{'x%d' % i: d for i, d in enumerate(combo)})
            rows.append([list(combo), {'num_outputs': len(xs), 'cast_narrow': narrow},
                         [np.dtype(t).name for t in outs]])
    return rows


def main():
    casts()
    checks()
    sgd_updates()
    adamw_lamb()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(CASES, f, indent=0, sort_keys=True)
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **VALUES)
    with open(os.path.join(OUT, 'graphs.json'), 'w') as f:
        json.dump(graphs(), f, indent=0, sort_keys=True)
    with open(os.path.join(OUT, 'cast_types.json'), 'w') as f:
        json.dump(cast_types(), f, indent=0)
    print('%d cases, %d arrays' % (len(CASES), len(VALUES)))


if __name__ == '__main__':
    main()
