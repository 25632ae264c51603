"""Differential fuzzer of the AMP operators, MXNet's fused multi-tensor operators and short AMP
training loops: seeded random cases run under MXNet 1.9.1 and under minigluon, compared by every
output and by every input array after the call (the optimizer states, masters and ``out=``
weights are updated in place).

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_amp_multi_tensor.py /tmp/amp-fuzz --seed 1 [--n 40] [--groups sgd,lamb]

Groups (each case a Python snippet run on NDArrays ``x[0], x[1], ...`` made from its inputs,
which leaves its results in ``res``):

* ``sgd``: ``[preloaded_]multi_[mp_]sgd[_mom]_update`` over 1-6 tensors of random shapes,
  float32 or float16 weights (float32 masters and momenta for the mp forms; sometimes a float32
  weight in an mp call), random ``lrs``/``wds``/``momentum``/``rescale_grad``/``clip_gradient``,
  gradients sometimes holding inf/NaN; ``out=`` the weights (rarely another list, or none);
* ``adamw``: ``nd.contrib.multi_[mp_]adamw_update`` with ``rescale_grad`` an array (sometimes 0,
  inf or NaN: no update);
* ``lamb``: ``nd.contrib.multi_[mp_]lamb_update`` with ``step_count``, bounds, bias correction;
* ``finite``: ``all_finite`` / ``multi_all_finite`` (``init_output``, inf/NaN/float16 overflow),
  ``multi_sum_sq`` (float16 and float32), ``multi_lars`` and ``reset_arrays``;
* ``cast``: ``amp_cast`` / ``amp_multicast`` (``cast_narrow``), to integers too (ties,
  overflow), with their gradients for float32 inputs;
* ``loop``: a short AMP training loop as GluonNLP's (``amp.init()``, ``amp.init_trainer``,
  ``scale_loss``, sometimes ``unscale`` + ``clip_global_norm``, batches that overflow with inf or
  NaN) of an optimizer drawn among sgd / sgd with momentum / adam / lamb / lars / nag / rmsprop
  (sometimes ``MXNET_OPTIMIZER_AGGREGATION_SIZE``, ``kvstore`` and ``update_on_kvstore``),
  compared by the weights, the loss scale and ``trainer._scale`` after every step. The model has no
  FullyConnected (MXNet 1.9.1 cannot run float16 GEMMs on a CPU): ``dot`` of float32, as
  tests/legacy/p58. ``loop`` cases run last (``amp.init()`` changes the operators of the process).

Comparison: ``_fuzz.check_case`` with ``TOL``; result dtypes compared. Known tags (MXNet faults or
limits, each in the operator's docstring): ``update-without-out`` (the multi-tensor updates fail
without ``out=``), ``mixed-dtypes`` (MXNet's multi-tensor kernels take one dtype per call;
minigluon updates each tensor in its own), ``reset-integers`` (``reset_arrays`` refuses integer
arrays), ``mkldnn-cast`` (MXNet's CPU casts refuse float64, float32 to int64 and the float16
backward: "unknown type for MKLDNN"), ``mkldnn-cast-heap`` (MXNet's process dies with "malloc():
unaligned tcache chunk detected" some cases after those), ``uninitialised-output`` (``all_finite``
with ``init_output=False`` and no ``out=`` returns uninitialised memory),
``lars-without-aggregation`` (LARS fails every step under ``MXNET_OPTIMIZER_AGGREGATION_SIZE=0``),
``update-on-kvstore-without-store`` (``update_on_kvstore=True`` on one device, where MXNet makes no
store: every step fails; tools/fuzz_trainer.py's tag), ``float-attribute-parse`` (float64 results a
float32 ulp of an attribute apart: MXNet's attribute parser reads ``"1.876"`` as ``float32(1) +
float32(0.876)``, 1.8759999, where minigluon rounds to the nearest float32, 1.876; left, see the
report of the first runs below).

First runs (seeds 1 to 7, 3,504 cases; the last two runs, 1,850 cases: 1,381 equal, 469 known, 0
other): the differences fixed are pinned by ``tools/gen_amp_multi_tensor_fuzz_fixtures.py``
(``tests/ops/test_amp_multi_tensor_fuzz_regressions.py``): ``amp_cast`` to integers (float32
saturates, float16 truncates and wraps), the multi-AdamW moments' rounding and NaN after an
infinite gradient, the multi-SGD step ``(lr*rescale_grad)*grad`` and the preloaded forms' float32
``lr*wd``. Left: MXNet's attribute parsing (``float-attribute-parse``), which touches every
operator's float attributes whose integer part is not 0.

The batching, crash/hang resume, the report and the command line are ``tools/_fuzz.py``'s.
"""
import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case, chance, pick, rf, ri  # noqa: E402

TOL = {'float16': (1e-3, 1e-3), 'float32': (1e-6, 1e-7), 'float64': (1e-12, 1e-14)}
# the training loops: the backward passes (dot, softrelu) round differently in the last bits
TOL_LOOP = {'float32': (2e-5, 2e-6), 'float64': (1e-12, 1e-14)}


def shape():
    return tuple(ri(1, 4) for _ in range(ri(1, 3)))


def arr(shp, dt, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, shp).astype(dt)


def grad(shp, dt, bad=0.15):
    g = arr(shp, dt, -2, 2) * (pick(1e3, 1e18) if chance(0.1) else 1)
    if chance(bad):
        g.flat[ri(0, g.size - 1)] = pick(np.inf, -np.inf, np.nan)
    return g


def nums(n, lo, hi):
    return [rf(lo, hi) for _ in range(n)]


def clip_kw(kw):
    if chance(0.5):
        kw['rescale_grad'] = pick(1.0, 0.5, rf(0.01, 3))
    if chance(0.4):
        kw['clip_gradient'] = pick(-1.0, rf(0.05, 1.5))


def out_code(n, k):
    """The ``out=`` of an update over ``n`` groups of ``k`` inputs."""
    w = ', '.join('x[%d]' % (i * k) for i in range(n))
    return pick('[%s]' % w, '[%s]' % w, '[%s]' % w, None)


def g_sgd(count):
    for _ in range(count):
        pre, mp, mom = chance(0.4), chance(0.5), chance(0.5)
        name = '%smulti_%ssgd_%supdate' % ('preloaded_' if pre else '', 'mp_' if mp else '',
                                           'mom_' if mom else '')
        n = ri(1, 6)
        ins = []
        mixed = chance(0.1)
        call_dt = pick('float16', 'float16', 'float32') if mp else pick('float32', 'float32',
                                                                        'float16', 'float64')
        for _ in range(n):
            s = shape()
            wdt = call_dt if not mixed else pick('float16', 'float32')
            w = arr(s, wdt)
            ins += [w, grad(s, wdt)]
            sdt = 'float32' if mp else wdt
            if mom:
                ins.append(arr(s, sdt, -0.1, 0.1))
            if mp:
                ins.append(w.astype('float32') + (arr(s, 'float32', -1e-3, 1e-3)
                                                  if chance(0.3) else 0))
        kw = {'num_weights': n}
        if mom:
            kw['momentum'] = pick(0.0, 0.9, rf(0, 0.99))
        clip_kw(kw)
        lrs, wds = nums(n, 0, 0.5), [pick(0.0, rf(0, 0.1)) for _ in range(n)]
        k = 2 + mom + mp
        args = ', '.join('x[%d]' % i for i in range(len(ins)))
        if pre:
            ins += [np.array(lrs, 'float32'), np.array(wds, 'float32')]
            args += ', x[%d], x[%d]' % (len(ins) - 2, len(ins) - 1)
        else:
            kw.update(lrs=lrs, wds=wds)
        out = out_code(n, k)
        code = 'res = nd.%s(%s, %s%s)' % (name, args, _fuzz.kwargs_code(kw),
                                          ', out=%s' % out if out else '')
        add_case('sgd', code, ins, op=name)


def g_adamw(count):
    for _ in range(count):
        mp = chance(0.5)
        n = ri(1, 6)
        ins, ws, gs, ms, vs, w32 = [], [], [], [], [], []
        mixed, call_dt = chance(0.1), pick('float16', 'float32')
        for _ in range(n):
            s = shape()
            wdt = call_dt if not mixed else pick('float16', 'float32')
            w = arr(s, wdt)
            sdt = 'float32' if mp else wdt
            for lst, a in ((ws, w), (gs, grad(s, wdt)), (ms, arr(s, sdt, -0.1, 0.1)),
                           (vs, arr(s, sdt, 0, 0.1))):
                lst.append(len(ins))
                ins.append(a)
            if mp:
                w32.append(len(ins))
                ins.append(w.astype('float32'))
        scale = pick(1.0, rf(0.1, 2), 0.0, np.inf, np.nan) if chance(0.3) else rf(0.1, 2)
        ins.append(np.array([scale], 'float32'))
        kw = dict(lrs=nums(n, 0, 0.1), wds=[pick(0.0, rf(0, 0.1)) for _ in range(n)],
                  etas=nums(n, 0.5, 1.5))
        if chance(0.5):
            kw.update(beta1=rf(0.5, 0.95), beta2=rf(0.9, 0.999), epsilon=pick(1e-8, 1e-3))
        if chance(0.3):
            kw['clip_gradient'] = rf(0.1, 1)
        lst = lambda idx: '[%s]' % ', '.join('x[%d]' % i for i in idx)  # noqa: E731
        fn = 'multi_mp_adamw_update' if mp else 'multi_adamw_update'
        args = [lst(ws), lst(gs), lst(ms), lst(vs)] + ([lst(w32)] if mp else [])
        code = 'res = nd.contrib.%s(%s, x[%d], %s%s)' % (
            fn, ', '.join(args), len(ins) - 1, _fuzz.kwargs_code(kw),
            ', out=%s' % lst(ws) if chance(0.8) else '')
        add_case('adamw', code, ins, op=fn)


def g_lamb(count):
    for _ in range(count):
        mp = chance(0.5)
        n = ri(1, 6)
        ins, ws, gs, ms, vs, w32 = [], [], [], [], [], []
        mixed, call_dt = chance(0.1), pick('float16', 'float16', 'float32') if mp else 'float32'
        for _ in range(n):
            s = shape()
            wdt = call_dt if not mixed or not mp else pick('float16', 'float32')
            w = arr(s, wdt)
            sdt = 'float32' if mp else wdt
            for lst, a in ((ws, w), (gs, grad(s, wdt, 0.05)), (ms, arr(s, sdt, -0.1, 0.1)),
                           (vs, arr(s, sdt, 0, 0.1))):
                lst.append(len(ins))
                ins.append(a)
            if mp:
                w32.append(len(ins))
                ins.append(w.astype('float32'))
        kw = dict(step_count=[ri(1, 20) for _ in range(n)], lrs=nums(n, 0, 0.1),
                  wds=[pick(0.0, rf(0, 0.1)) for _ in range(n)])
        if chance(0.5):
            kw.update(beta1=rf(0.5, 0.95), beta2=rf(0.9, 0.999), epsilon=pick(1e-6, 1e-3))
        if chance(0.3):
            kw['lower_bound'] = rf(0.01, 0.5)
        if chance(0.3):
            kw['upper_bound'] = rf(0.5, 5)
        if chance(0.3):
            kw['bias_correction'] = False
        clip_kw(kw)
        lst = lambda idx: '[%s]' % ', '.join('x[%d]' % i for i in idx)  # noqa: E731
        fn = 'multi_mp_lamb_update' if mp else 'multi_lamb_update'
        args = [lst(ws), lst(gs), lst(ms), lst(vs)] + ([lst(w32)] if mp else [])
        code = 'res = nd.contrib.%s(%s, %s, out=%s)' % (fn, ', '.join(args),
                                                         _fuzz.kwargs_code(kw), lst(ws))
        add_case('lamb', code, ins, op=fn)


def finite_arr(dt):
    a = arr(shape(), dt, -3, 3)
    kind = pick('ok', 'ok', 'inf', 'nan', 'big')
    if kind == 'inf':
        a.flat[ri(0, a.size - 1)] = pick(np.inf, -np.inf)
    elif kind == 'nan':
        a.flat[ri(0, a.size - 1)] = np.nan
    elif kind == 'big' and dt == 'float16':
        a.flat[ri(0, a.size - 1)] = 65504
    return a


def g_finite(count):
    for _ in range(count):
        what = pick('all', 'multi', 'sumsq', 'lars', 'reset')
        dt = pick('float32', 'float16', 'float64')
        if what == 'all':
            kw = {} if chance(0.5) else {'init_output': chance(0.5)}
            add_case('finite', 'res = nd.all_finite(x[0], %s)' % _fuzz.kwargs_code(kw),
                     [finite_arr(dt)], op=what)
        elif what == 'multi':
            n = ri(1, 6)
            mixed = chance(0.2)
            ins = [finite_arr(pick(dt, 'float32') if mixed else dt) for _ in range(n)]
            kw = {'num_arrays': n}
            if chance(0.5):
                kw['init_output'] = chance(0.5)
            add_case('finite', 'res = nd.multi_all_finite(*x, %s)' % _fuzz.kwargs_code(kw),
                     ins, op=what)
        elif what == 'sumsq':
            n = ri(1, 6)
            dt = pick('float32', 'float16')
            ins = [arr(shape(), dt, -3, 3) * pick(1, 1, 100) for _ in range(n)]
            ins = [a.astype(dt) for a in ins]
            add_case('finite', 'res = nd.multi_sum_sq(*x, num_arrays=%d)' % n, ins, op=what)
        elif what == 'lars':
            n = ri(1, 6)
            ins = [arr((n,), 'float32', 0, 0.5), arr((n,), 'float32', 0, 4),
                   arr((n,), 'float32', 0, 4), arr((n,), 'float32', 0, 0.01)]
            for j in (1, 2):
                if chance(0.3):
                    ins[j][ri(0, n - 1)] = 0
            kw = dict(eta=rf(0.001, 1), eps=pick(0.0, 1e-8, rf(0, 0.1)))
            if chance(0.5):
                kw['rescale_grad'] = rf(0.1, 3)
            add_case('finite', 'res = nd.multi_lars(*x, %s)' % _fuzz.kwargs_code(kw), ins,
                     op=what)
        else:
            n = ri(1, 6)
            ins = [arr(shape(), pick('float32', 'float16', 'int32')) for _ in range(n)]
            add_case('finite', 'res = nd.reset_arrays(*x, num_arrays=%d)' % n, ins, op=what)


def g_cast(count):
    # MXNet 1.9.1's CPU backward of the casts goes through MKL-DNN, which refuses float16 and
    # float64 ("unknown type for MKLDNN"): gradients are asked for float32 inputs alone
    for _ in range(count):
        if chance(0.5):
            dt = pick('float32', 'float16', 'float64', 'int32', 'uint8')
            to = pick('float16', 'float32', 'float64', 'int32', 'uint8')
            a = arr(shape(), dt, -3, 3) if dt != 'uint8' else \
                R.randint(0, 255, shape()).astype(dt)
            if dt != 'uint8' and chance(0.3):
                a.flat[0] = pick(0.5, 1.5, -2.5, 300.7, 70000.0)     # ties, float16 overflow
            a = a.astype(dt)
            if dt == 'float32' and chance(0.5):
                code = ('x[0].attach_grad()\nwith autograd.record():\n'
                        '    y = nd.amp_cast(x[0], dtype=%r)\n'
                        '    (y.astype("float32") * 1.5).sum().backward()\n'
                        'res = [y, x[0].grad]' % to)
            else:
                code = 'res = nd.amp_cast(x[0], dtype=%r)' % to
            add_case('cast', code, [a], op='amp_cast')
        else:
            n = ri(1, 4)
            grads = chance(0.4)
            ins = [arr(shape(), 'float32' if grads else pick('float32', 'float16', 'float64'),
                       -3, 3) for _ in range(n)]
            kw = {'num_outputs': n}
            if chance(0.5):
                kw['cast_narrow'] = chance(0.5)
            if grads:
                code = ('for a in x: a.attach_grad()\nwith autograd.record():\n'
                        '    ys = nd.amp_multicast(*x, %s)\n'
                        '    ys = ys if isinstance(ys, list) else [ys]\n'
                        '    s = sum((y.astype("float32") * (i + 1)).sum() '
                        'for i, y in enumerate(ys))\n'
                        's.backward()\nres = [ys, [a.grad for a in x]]' % _fuzz.kwargs_code(kw))
            else:
                code = 'res = nd.amp_multicast(*x, %s)' % _fuzz.kwargs_code(kw)
            add_case('cast', code, ins, op='amp_multicast')


LOOP = '''
amp.init()
net = Scorer()
net.initialize(mx.init.Zero())
net.w.set_data(x[0])
net.b.set_data(x[1])
if %(hyb)r:
    net.hybridize()
if %(agg)r:
    os.environ['MXNET_OPTIMIZER_AGGREGATION_SIZE'] = %(agg)r
trainer = gluon.Trainer(net.collect_params(), %(opt)r, %(okw)r, **%(tkw)r)
os.environ.pop('MXNET_OPTIMIZER_AGGREGATION_SIZE', None)
amp.init_trainer(trainer)
trainer._amp_loss_scaler._scale_seq_len = %(seq)d
res = []
for step in range(%(steps)d):
    xb = x[2][step]
    with autograd.record():
        loss = (net(xb) - x[3][step]) ** 2
        with amp.scale_loss(loss, trainer) as scaled:
            autograd.backward(scaled)
    if step in %(unscale)r:
        amp.unscale(trainer)
        res.append(gluon.utils.clip_global_norm([p.grad() for p in
                                                 net.collect_params().values()], %(clip)r))
    trainer.step(%(batch)d)
    res += [net.w.data(), net.b.data(), trainer._amp_loss_scaler.loss_scale, trainer._scale]
'''


def g_loop(count):
    for _ in range(count):
        steps = ri(2, 6)
        batch = ri(1, 4)
        xs = R.randn(steps, batch, 4).astype('float32')
        for s in range(steps):
            if chance(0.3):
                xs[s, ri(0, batch - 1), ri(0, 3)] = pick(3e38, np.inf, np.nan, -3e38)
        opt = pick('sgd', 'sgd', 'adam', 'lamb', 'lars', 'nag', 'rmsprop')
        okw = {'learning_rate': rf(0.001, 0.1)}
        if opt in ('sgd', 'nag', 'lars') and chance(0.7):
            okw['momentum'] = rf(0, 0.95)
        if chance(0.4):
            okw['wd'] = rf(0, 0.01)
        if chance(0.3):
            okw['clip_gradient'] = rf(0.1, 2)
        agg = pick(None, '0', '1', '4') if opt in ('sgd', 'lamb', 'lars') else None
        tkw = {}
        if chance(0.4):
            tkw['kvstore'] = pick('device', 'local', None)
        if chance(0.3):
            tkw['update_on_kvstore'] = pick(False, True, None)
        params = dict(hyb=chance(0.5), opt=opt, okw=okw, seq=ri(1, 4), steps=steps,
                      unscale=sorted({ri(0, steps - 1) for _ in range(ri(0, 2))}),
                      clip=rf(0.1, 5), batch=batch, agg=agg, tkw=tkw)
        ins = [arr((4, 3), 'float32', -0.5, 0.5), arr((3,), 'float32', -0.1, 0.1), xs,
               R.randn(steps, batch).astype('float32')]
        add_case('loop', LOOP % params, ins, op=opt)


GROUPS = {'sgd': (g_sgd, 1.0), 'adamw': (g_adamw, 0.5), 'lamb': (g_lamb, 0.5),
          'finite': (g_finite, 0.7), 'cast': (g_cast, 0.5), 'loop': (g_loop, 0.5)}


def generate(out, seed, n, only):
    return _fuzz.generate(out, seed, GROUPS, n, only)


def _scorer(mx):
    class Scorer(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super(Scorer, self).__init__(**kwargs)
            with self.name_scope():
                self.w = self.params.get('w', shape=(4, 3))
                self.b = self.params.get('b', shape=(3,))

        def hybrid_forward(self, F, x, w, b):
            h = F.Activation(F.broadcast_add(F.dot(x, w), b), act_type='softrelu')
            return F.sum(h * h, axis=1)
    return Scorer


def run_case(mx, c, inputs):
    try:
        mx.nd.waitall()
    except Exception:  # noqa: BLE001
        pass
    x = [mx.nd.array(inputs['%s_in%d' % (c['key'], i)], dtype=inputs['%s_in%d' % (c['key'], i)]
                     .dtype) for i in range(c['n_in'])]
    env = {'os': os, 'mx': mx, 'nd': mx.nd, 'np': np, 'autograd': mx.autograd, 'gluon': mx.gluon,
           'amp': importlib.import_module(mx.__name__ + '.contrib.amp'), 'x': x,
           'Scorer': _scorer(mx)}
    exec(c['code'], env)
    mx.nd.waitall()
    arrays = []
    result = {'structure': np.array(_fuzz.structure(mx, env.get('res'), arrays))}
    for i, a in enumerate(arrays):
        result['out%d' % i] = a
    for i, a in enumerate(x):
        result['in%d' % i] = a.asnumpy()
    return result


def known(c, m, o, kind):
    err = str(m.get('error', ''))
    if kind == 'mx-error-ours-ok':
        if 'out=' not in c['code'] and ('valid ndim' in err or 'type_flag=-1' in err or
                                        'Shape is unknown' in err):
            return 'update-without-out'
        if 'data type do not match' in err or 'Incompatible attr' in err:
            return 'mixed-dtypes'
        if c['op'] == 'reset' and 'floating point' in err:
            return 'reset-integers'
        if 'unknown type for MKLDNN' in err:
            return 'mkldnn-cast'
        if c['group'] == 'cast' and err.startswith('CRASH'):
            return 'mkldnn-cast-heap'       # "malloc(): unaligned tcache chunk" after those
        if c['group'] == 'loop' and c['op'] == 'lars' and 'negative value -1' in err:
            return 'lars-without-aggregation'
        if c['group'] == 'loop' and "no attribute 'is_capable'" in err:
            return 'update-on-kvstore-without-store'
    if kind == 'diff' and c['op'] in ('all', 'multi') and 'init_output=False' in c['code']:
        return 'uninitialised-output'
    if kind == 'diff' and _float64_ulps_of_float32(m, o):
        return 'float-attribute-parse'
    return None


def _float64_ulps_of_float32(m, o):
    """Whether every difference is in float64 arrays and below float32's precision: MXNet's
    attribute parser reads ``"1.876"`` as ``float32(1) + float32(0.876)`` (1.8759999, not the
    nearest float32 1.876), which float64 updates show."""
    for k in m:
        if k in o and m[k].dtype.kind == 'f' and not _fuzz.close(o[k], m[k], TOL):
            scale = float(np.nanmax(np.abs(m[k]), initial=0))
            if m[k].dtype != np.float64 or not np.allclose(o[k], m[k], rtol=0, atol=5e-7 * scale,
                                                           equal_nan=True):
                return False
    return True


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case, quiet=True),
               lambda casedir: _fuzz.compare_cases(casedir, lambda c, m, o: _fuzz.check_case(
                   m, o, TOL_LOOP if c['group'] == 'loop' else TOL), known), n=40, timeout=300)


if __name__ == '__main__':
    main()
