"""Golden files for the second pass over MXNet 1.9.1 names (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_surface5_fixtures.py

Writes under tests/fixtures/surface5/: ``surface5.json`` (``Symbol.debug_str`` listings, the
nodes MXNet writes for the new operators) and ``ops.npz`` (inputs and MXNet's outputs and
gradients of ``moments``, ``cumsum``, ``unravel_index``, ``ravel_multi_index``, ``LRN``,
``nd.contrib.isfinite``/``isinf``/``isnan``) and ``updates.npz`` (three steps of each optimizer
update operator called with ``out=weight``: inputs, final weight and states).
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'surface5')


def nodes(sym):
    return [{k: n.get(k, {}) for k in ('op', 'name', 'attrs')}
            for n in json.loads(sym.tojson())['nodes'] if n['op'] != 'null']


def debug_strs():
    x = mx.sym.var('data')
    fc = mx.sym.FullyConnected(x, num_hidden=4, name='fc1')
    bn = mx.sym.BatchNorm(fc, name='bn')
    grouped = mx.sym.Group([mx.sym.Activation(bn, act_type='relu', name='relu1'), fc])
    with mx.name.NameManager():
        split = mx.sym.split_v2(mx.sym.var('x'), 2, axis=1)
    return {'grouped': grouped.debug_str(), 'split': split.debug_str(),
            'variable': x.debug_str()}


def _grad(fn, x, head_seed):
    """MXNet's output(s) of ``fn(x)`` and the gradient of sum(out_i * head_i) w.r.t. x."""
    x = mx.nd.array(x, dtype=x.dtype)
    x.attach_grad()
    with mx.autograd.record():
        out = fn(x)
        outs = out if isinstance(out, (list, tuple)) else [out]
        rng = np.random.RandomState(head_seed)
        heads = [mx.nd.array(rng.uniform(-1, 1, o.shape), dtype=o.dtype) for o in outs]
    mx.autograd.backward(outs, heads)
    return [o.asnumpy() for o in outs], [h.asnumpy() for h in heads], x.grad.asnumpy()


def op_cases(arrays):
    rng = np.random.RandomState(1)
    x = rng.uniform(-2, 2, (2, 3, 4)).astype(np.float32)
    arrays['x'] = x
    grads = {
        'moments_12': lambda a: mx.nd.moments(a, axes=(1, 2)),
        'moments_0_keep': lambda a: mx.nd.moments(a, axes=(0,), keepdims=True),
        'moments_all': lambda a: mx.nd.moments(a, axes=(0, 1, 2)),
        'cumsum_1': lambda a: mx.nd.cumsum(a, axis=1),
        'cumsum_none': lambda a: mx.nd.cumsum(a),
        'cumsum_2_f64': lambda a: mx.nd.cumsum(a, axis=2, dtype='float64'),
    }
    for i, (k, fn) in enumerate(sorted(grads.items())):
        outs, heads, g = _grad(fn, x, i)
        for j, (o, h) in enumerate(zip(outs, heads)):
            arrays['%s_out%d' % (k, j)] = o
            arrays['%s_head%d' % (k, j)] = h
        arrays['%s_grad' % k] = g
    lx = rng.uniform(-2, 2, (2, 6, 3, 2)).astype(np.float32)
    arrays['lrn_x'] = lx
    for k, kw in sorted({'lrn_3': dict(nsize=3), 'lrn_5': dict(nsize=5, alpha=0.1, beta=0.6, knorm=1.5),
                         'lrn_2': dict(nsize=2, alpha=0.5, beta=1.0, knorm=1.0),
                         'lrn_4': dict(nsize=4, alpha=0.3)}.items()):
        outs, heads, g = _grad(lambda a: mx.nd.LRN(a, **kw), lx, 7)
        arrays[k + '_out'], arrays[k + '_head'], arrays[k + '_grad'] = outs[0], heads[0], g
    ix = np.array([[1, 3, 0, 2], [2, -1, 4, 0]], dtype=np.float32)
    arrays['ravel_in'] = ix
    arrays['ravel_out'] = mx.nd.ravel_multi_index(mx.nd.array(ix), shape=(2, 3)).asnumpy()
    fl = np.array([0, 5, 7, -1, 11, -7], dtype=np.int32)
    arrays['unravel_in'] = fl
    arrays['unravel_out'] = mx.nd.unravel_index(mx.nd.array(fl, dtype='int32'), shape=(2, 3)).asnumpy()
    arrays['cumsum_int8_in'] = np.array([100, 27, 5, -3], dtype=np.int8)
    arrays['cumsum_int8_out'] = mx.nd.cumsum(mx.nd.array(arrays['cumsum_int8_in'], dtype='int8')).asnumpy()
    mi = np.array([[1, 2, 4], [3, -8, 2]], dtype=np.int32)
    arrays['moments_int_in'] = mi
    m, v = mx.nd.moments(mx.nd.array(mi, dtype='int32'), axes=(1,))
    arrays['moments_int_mean'], arrays['moments_int_var'] = m.asnumpy(), v.asnumpy()
    special = np.array([np.inf, -np.inf, np.nan, -1, 0, 3e38], dtype=np.float32)
    arrays['special'] = special
    for k in ('isfinite', 'isinf', 'isnan'):
        arrays[k] = getattr(mx.nd.contrib, k)(mx.nd.array(special)).asnumpy()


# update operator -> (number of states, attributes of each recorded case); 3 steps each, out=weight
UPDATE_CASES = {
    'sgd_update': (0, [dict(lr=0.1, wd=0.01), dict(lr=0.05, rescale_grad=0.5, clip_gradient=0.3)]),
    'sgd_mom_update': (1, [dict(lr=0.1, momentum=0.9, wd=0.01),
                           dict(lr=0.1, momentum=0.8, rescale_grad=2.0, clip_gradient=0.5)]),
    'nag_mom_update': (1, [dict(lr=0.1, momentum=0.9, wd=0.01), dict(lr=0.2, momentum=0.5,
                                                                     clip_gradient=0.4)]),
    'adam_update': (2, [dict(lr=0.01, wd=0.01), dict(lr=0.02, beta1=0.8, beta2=0.99, epsilon=1e-6,
                                                     rescale_grad=0.5, clip_gradient=0.2)]),
    'rmsprop_update': (1, [dict(lr=0.01, wd=0.01), dict(lr=0.01, gamma1=0.9, clip_gradient=0.3,
                                                        clip_weights=0.9)]),
    'rmspropalex_update': (3, [dict(lr=0.01, wd=0.01), dict(lr=0.01, gamma1=0.9, gamma2=0.8,
                                                            clip_gradient=0.3, clip_weights=0.9)]),
    'ftrl_update': (2, [dict(lr=0.1, wd=0.01), dict(lr=0.2, lamda1=0.05, beta=0.5, clip_gradient=0.5)]),
    'signsgd_update': (0, [dict(lr=0.1, wd=0.01), dict(lr=0.1, rescale_grad=0.5)]),
    'signum_update': (1, [dict(lr=0.1, momentum=0.9, wd=0.01, wd_lh=0.01),
                          dict(lr=0.1, momentum=0.5, clip_gradient=0.3)]),
    'ftml_update': (3, [dict(lr=0.1, wd=0.01), dict(lr=0.05, beta1=0.5, clip_grad=0.3)]),
}


def update_cases(arrays):
    rng = np.random.RandomState(5)
    meta = {}
    for name, (n_states, cases) in sorted(UPDATE_CASES.items()):
        for c, attrs in enumerate(cases):
            key = '%s_%d' % (name, c)
            w0 = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
            grads = rng.uniform(-1, 1, (3, 3, 4)).astype(np.float32)
            states0 = [np.abs(rng.uniform(0, 0.1, (3, 4))).astype(np.float32) * (name != 'ftml_update')
                       for _ in range(n_states)]
            w = mx.nd.array(w0)
            states = [mx.nd.array(s) for s in states0]
            for step in range(3):
                kw = dict(attrs, t=step + 1) if name == 'ftml_update' else attrs
                getattr(mx.nd, name)(w, mx.nd.array(grads[step]), *states, out=w, **kw)
            arrays[key + '_w0'], arrays[key + '_grads'] = w0, grads
            arrays[key + '_w'] = w.asnumpy()
            for i, (s0, s) in enumerate(zip(states0, states)):
                arrays['%s_s%d_0' % (key, i)], arrays['%s_s%d' % (key, i)] = s0, s.asnumpy()
            meta[key] = {'op': name, 'attrs': attrs, 'n_states': n_states}
    # multi-precision SGD on float16 weights with float32 masters
    for name, n_states in (('mp_sgd_update', 0), ('mp_sgd_mom_update', 1)):
        key = name + '_0'
        attrs = dict(lr=0.1, wd=0.01, **({'momentum': 0.9} if n_states else {}))
        w0 = rng.uniform(-1, 1, (3, 4)).astype(np.float16)
        grads = rng.uniform(-1, 1, (3, 3, 4)).astype(np.float16)
        w = mx.nd.array(w0, dtype='float16')
        w32 = w.astype('float32')
        states = [mx.nd.zeros((3, 4)) for _ in range(n_states)]
        for step in range(3):
            getattr(mx.nd, name)(w, mx.nd.array(grads[step], dtype='float16'), *states, w32,
                                 out=w, **attrs)
        arrays[key + '_w0'], arrays[key + '_grads'] = w0, grads
        arrays[key + '_w'], arrays[key + '_w32'] = w.asnumpy(), w32.asnumpy()
        meta[key] = {'op': name, 'attrs': attrs, 'n_states': n_states}
    return meta


def op_nodes():
    x = mx.sym.var('x')
    with mx.name.NameManager():
        cases = {'cumsum': mx.sym.cumsum(x, axis=1, dtype='float64'),
                 'moments': mx.sym.moments(x, axes=(0, 2), keepdims=True),
                 'unravel_index': mx.sym.unravel_index(x, shape=(2, 3)),
                 'ravel_multi_index': mx.sym.ravel_multi_index(x, shape=(2, 3)),
                 'LRN': mx.sym.LRN(x, nsize=3, alpha=0.001)}
        return {k: {'nodes': nodes(s), 'outputs': s.list_outputs(),
                    'internals': s.get_internals().list_outputs()} for k, s in cases.items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    mx.random.seed(0)
    doc = {'debug_str': debug_strs(), 'op_nodes': op_nodes()}
    arrays = {}
    op_cases(arrays)
    np.savez_compressed(os.path.join(OUT, 'ops.npz'), **arrays)
    updates = {}
    doc['updates'] = update_cases(updates)
    np.savez_compressed(os.path.join(OUT, 'updates.npz'), **updates)
    with open(os.path.join(OUT, 'surface5.json'), 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
