"""Regression cases for what ``tools/fuzz_amp_multi_tensor.py`` found, with MXNet 1.9.1's
results; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_amp_multi_tensor_fuzz_fixtures.py

The differences found, now fixed in minigluon:

* ``amp_cast`` to an integer dtype: from float32 MXNet's CPU kernel (MKL-DNN) rounds ties to even
  and saturates to the target's range (minigluon wrapped: 300.7 as uint8 gave 45, MXNet 255);
  from float16 it truncates toward zero and wraps, as a C cast (minigluon rounded: 0.8 gave 1,
  MXNet 0) (``cast_*``);
* ``nd.contrib.multi_[mp_]adamw_update``: MXNet's multi-tensor kernel writes the moments as
  ``mean = beta1*(mean - g) + g`` and ``var = beta2*(var - g*g) + g*g`` (``_adamw_update``:
  ``beta1*mean + (1-beta1)*g``...): NaN moments after an infinite gradient (minigluon had inf),
  and other roundings of large gradients (``adamw_*``);
* ``[preloaded_]multi_sgd_update``: MXNet's kernel is its momentum kernel with a zero momentum, so
  an unclipped step is ``(lr*rescale_grad)*grad`` (minigluon took ``lr*(rescale_grad*grad)``:
  one float32 element in seven an ulp off, also in ``Trainer`` steps of plain SGD, which call
  it), and the ``preloaded_`` forms take ``lr*wd`` in float32, float64 weights too
  (``sgd_*``).

Found by the probes of ``nd.CachedOp``: a call with too few or too many arrays is an
``MXNetError`` as MXNet's (minigluon raised a plain ``ValueError``) (``cachedop_*``).

Every result is compared bit for bit.

Output: ``tests/fixtures/amp_multi_tensor_fuzz/cases.json`` (name -> ``code``, the snippet run on
NDArrays ``x[i]`` made from the inputs, which leaves its NDArray results in the list ``res``) and
``values.npz`` (``<name>/in<i>``, ``<name>/out<j>``).
"""
import os
import sys

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402

OUT = os.path.join(_fuzz.ROOT, 'tests', 'fixtures', 'amp_multi_tensor_fuzz')

# ties, negatives (below 0 for uint8), values past int8 and uint8, and past int32 for float32
VALUES = [0.5, 1.5, 2.5, -0.5, -1.5, 0.8, 2.7, -1.46, -2.7, 127.5, 300.7, -300.7]


def cases():
    out = {}
    for dt in ('float32', 'float16'):
        v = VALUES + ([3e9, -3e9] if dt == 'float32' else [65504.0, -65504.0])
        for to in ('int32', 'uint8', 'int8'):
            out['cast_%s_%s' % (dt, to)] = {
                'code': 'res = [nd.amp_cast(x[0], dtype=%r)]' % to,
                'inputs': [np.array(v, dt)]}
    grads = np.array([np.inf, -np.inf, 1e20, 1e19, 3e18, -0.7, 0.25, np.nan], 'float32')
    for mp in (False, True):
        fn = 'multi_mp_adamw_update' if mp else 'multi_adamw_update'
        w16 = '[x[4]], ' if mp else ''
        out['adamw_%s' % fn] = {
            'code': ('nd.contrib.%s([x[0]], [x[1]], [x[2]], [x[3]], %sx[%d], lrs=[0.1], '
                     'wds=[0.01], etas=[0.9], beta1=0.8, out=[x[0]])\n'
                     'res = x[:4]' % (fn, w16, 5 if mp else 4)),
            'inputs': [np.linspace(-1, 1, 8).astype('float16' if mp else 'float32'),
                       grads.astype('float16' if mp else 'float32'),
                       np.full(8, 0.1, 'float32'), np.full(8, 0.2, 'float32')]
            + ([np.linspace(-1, 1, 8).astype('float32')] if mp else [])
            + [np.array([1.0], 'float32')]}
    rng = np.random.RandomState(7)
    w, g = rng.uniform(-1, 1, (2, 300)), rng.uniform(-1, 1, (2, 300))
    for dt in ('float32', 'float64'):
        for kw in ('rescale_grad=1/3.', 'rescale_grad=1.5, clip_gradient=0.9'):
            out['sgd_multi_%s_%s' % (dt, 'clip' if 'clip' in kw else 'rescale')] = {
                'code': ('nd.multi_sgd_update(x[0], x[1], x[2], x[3], num_weights=2, '
                         'lrs=[0.357, 0.1], wds=[0.072, 0.0], %s, out=[x[0], x[2]])\n'
                         'res = [x[0], x[2]]' % kw),
                'inputs': [w[0].astype(dt), g[0].astype(dt), w[1].astype(dt), g[1].astype(dt)]}
            out['sgd_preloaded_%s_%s' % (dt, 'clip' if 'clip' in kw else 'rescale')] = {
                'code': ('nd.preloaded_multi_sgd_update(x[0], x[1], x[2], x[3], x[4], x[5], '
                         'num_weights=2, %s, out=[x[0], x[2]])\nres = [x[0], x[2]]' % kw),
                'inputs': [w[0].astype(dt), g[0].astype(dt), w[1].astype(dt), g[1].astype(dt),
                           np.array([0.357, 0.1], 'float32'), np.array([0.072, 0.3], 'float32')]}
    out['sgd_trainer'] = {
        'code': ('ps = [mx.gluon.Parameter("p%d" % i, shape=(300,)) for i in range(2)]\n'
                 'for p, v in zip(ps, x[:2]):\n'
                 '    p.initialize()\n'
                 '    p.set_data(v)\n'
                 'tr = mx.gluon.Trainer(ps, "sgd", {"learning_rate": 0.1, "wd": 0.01})\n'
                 'for s in range(3):\n'
                 '    with mx.autograd.record():\n'
                 '        loss = (ps[0].data() * x[2][s]).sum() + (ps[1].data() * x[3][s]).sum()\n'
                 '    loss.backward()\n'
                 '    tr.step(3)\n'
                 'res = [p.data() for p in ps]'),
        'inputs': [w[0].astype('float32'), w[1].astype('float32'),
                   rng.uniform(-1, 1, (3, 300)).astype('float32'),
                   rng.uniform(-1, 1, (3, 300)).astype('float32')]}
    for n in (1, 3):
        out['cachedop_%d_arrays' % n] = {
            'code': ('c = nd.CachedOp(mx.sym.relu(mx.sym.var("a") + mx.sym.var("b")))\n'
                     'res = [c(*x)]'),
            'inputs': [np.ones(2, 'float32')] * n}
    return out


def run(name, case):
    x = [mx.nd.array(a, dtype=a.dtype) for a in case['inputs']]
    env = {'mx': mx, 'nd': mx.nd, 'x': x}
    exec(case['code'], env)
    return {'out%d' % i: r.asnumpy() for i, r in enumerate(env['res'])}


if __name__ == '__main__':
    _fuzz.record_fixtures(OUT, cases(), run, mx.__version__)
