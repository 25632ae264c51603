"""Programs run on minigluon by tests/test_breaker23_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker23_fixtures.py (``mx`` is either package): every optimizer MXNet 1.9.1
registers, driven through ``optimizer.create`` and ``get_updater`` for several steps on seeded
random weights and gradients (weight decay, clipping, rescaling, multipliers by index and by
name, ``param_idx2name``, ``begin_num_update``, float16 weights with and without
``multi_precision``, ``lazy_update`` on dense gradients, ``lr=0``, negative ``wd``, NaN / inf
gradients, zero-size weights); the learning-rate schedulers stepped through ``num_update``;
``gluon.Trainer`` (``step`` / ``allreduce_grads`` + ``update``, stale gradients, ``grad_req``
'add' and 'null', kvstores, ``update_on_kvstore``, parameters given as a ParameterDict, a list
or a dict, ``save_states`` / ``load_states`` mid-training, two Trainers on shared parameters,
an optimizer instance, bad ``optimizer_params``, integer parameters).

Each case gives an outcome (:func:`describe`): ``['value', dtype, shape, values]`` for arrays,
``['python', type, value]`` for other objects, nested lists / dicts, or ``['error', [classes]]``
naming which builtin exception classes of :data:`KINDS` the error is an instance of.
"""
import math
import os
import tempfile
import warnings

import numpy as np

KINDS = (TypeError, ValueError, IndexError, AssertionError, AttributeError, RuntimeError,
         KeyError, NotImplementedError, UserWarning)


def _num(v):
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return v


def _values(a):
    a = np.asarray(a, dtype=np.float64)
    return [_num(v) for v in a.reshape(-1).tolist()]


def describe(value):
    if type(value).__name__ == 'NDArray':
        return ['value', np.dtype(value.dtype).name, list(value.shape), _values(value.asnumpy())]
    if isinstance(value, np.ndarray):
        return ['value', value.dtype.name, list(value.shape), _values(value)]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [describe(v) for v in value]]
    if isinstance(value, dict):
        return ['dict', {str(k): describe(v) for k, v in sorted(value.items())}]
    if isinstance(value, float):
        return ['python', 'float', _num(value)]
    if isinstance(value, (bool, int, str)) or value is None:
        return ['python', type(value).__name__, value]
    return ['python', type(value).__name__, repr(value)]


def outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            value = fn()
    except Exception as err:      # noqa: BLE001 -- an error is a result here
        return ['error', [k.__name__ for k in KINDS if isinstance(err, k)]]
    return describe(value)


# -- optimizers through create / get_updater -------------------------------------------------------

NAMES = ['fc_weight', 'fc_bias', 'bn_gamma', 'bn_beta']
SHAPES = [(3, 4), (4,), (2, 3), (3,)]
STEPS = 4

OPTIMIZERS = {
    'sgd': ('sgd', {}),
    'sgd_mom': ('sgd', {'momentum': 0.9}),
    'nag': ('nag', {}),
    'nag_mom': ('nag', {'momentum': 0.8}),
    'adam': ('adam', {}),
    'adam_b': ('adam', {'beta1': 0.7, 'beta2': 0.95, 'epsilon': 1e-4}),
    'adamax': ('adamax', {}),
    'nadam': ('nadam', {'schedule_decay': 0.01}),
    'adagrad': ('adagrad', {'eps': 1e-5}),
    'adadelta': ('adadelta', {'rho': 0.8, 'epsilon': 1e-4}),
    'rmsprop': ('rmsprop', {}),
    'rmsprop_c': ('rmsprop', {'centered': True, 'gamma2': 0.8}),
    'rmsprop_cw': ('rmsprop', {'centered': True, 'clip_weights': 0.9}),
    'ftrl': ('ftrl', {'lamda1': 0.02, 'beta': 0.5}),
    'ftml': ('ftml', {'beta1': 0.7}),
    'signum': ('signum', {}),
    'signum_wdlh': ('signum', {'wd_lh': 0.05, 'momentum': 0.8}),
    'signum_nomom': ('signum', {'momentum': 0.0}),
    'lamb': ('lamb', {}),
    'lamb_nobc': ('lamb', {'bias_correction': False, 'lower_bound': 0.1, 'upper_bound': 2.0}),
    'lars': ('lars', {'momentum': 0.9, 'eta': 0.01}),
    'lbsgd': ('lbsgd', {'momentum': 0.9, 'warmup_strategy': 'linear', 'warmup_epochs': 2,
                        'batch_scale': 2, 'updates_per_epoch': 2}),
    'lbsgd_lars': ('lbsgd', {'warmup_strategy': 'lars', 'batch_scale': 1}),
    'dcasgd': ('dcasgd', {'momentum': 0.5, 'lamda': 0.1}),
    'dcasgd_nomom': ('dcasgd', {}),
    'groupadagrad': ('groupadagrad', {}),
    'ccsgd': ('ccsgd', {'momentum': 0.9}),
    'test': ('test', {}),
}

VARIANTS = {
    'plain': ({'learning_rate': 0.05}, {}),
    'wd_clip_rescale': ({'learning_rate': 0.05, 'wd': 0.01, 'clip_gradient': 0.3,
                         'rescale_grad': 0.5}, {}),
    'names': ({'learning_rate': 0.05, 'wd': 0.02, 'param_idx2name': dict(enumerate(NAMES))},
              {}),
    'mults': ({'learning_rate': 0.05, 'wd': 0.02, 'param_idx2name': dict(enumerate(NAMES))},
              {'lr_mult': {0: 0.5, 'fc_bias': 2.0, 'bn_beta': 3.0},
               'wd_mult': {1: 0.5, 'bn_gamma': 0.0, 'bn_beta': 2.0}}),
    'begin': ({'learning_rate': 0.05, 'begin_num_update': 5}, {}),
    'lr0': ({'learning_rate': 0.0, 'wd': 0.01}, {}),
    'negwd': ({'learning_rate': 0.05, 'wd': -0.1}, {}),
    'nan': ({'learning_rate': 0.05}, {'bad_grad': True}),
    'nan_clip': ({'learning_rate': 0.05, 'clip_gradient': 1.0}, {'bad_grad': True}),
    'f16_mp': ({'learning_rate': 0.05, 'multi_precision': True, 'wd': 0.01}, {'dtype': 'float16'}),
    'f16': ({'learning_rate': 0.05}, {'dtype': 'float16'}),
    'f64': ({'learning_rate': 0.05}, {'dtype': 'float64'}),
    'zero_size': ({'learning_rate': 0.05}, {'zero': True}),
    'lazy': ({'learning_rate': 0.05, 'lazy_update': True, 'wd': 0.01}, {}),
    'sched': ({'learning_rate': 0.1, 'lr_scheduler': ('factor', 2, 0.5)}, {}),
    'begin_sched': ({'lr_scheduler': ('factor', 2, 0.5), 'begin_num_update': 3}, {}),
    'bad_weight': ({'learning_rate': 0.05}, {'bad_weight': True}),
    'bad_weight_wd': ({'learning_rate': 0.05, 'wd': 0.01}, {'bad_weight': True}),
}

# which optimizers take lazy_update
LAZY = ('sgd', 'sgd_mom', 'adam', 'adam_b')


def _make_scheduler(mx, spec):
    kind = spec[0]
    if kind == 'factor':
        return mx.lr_scheduler.FactorScheduler(step=spec[1], factor=spec[2])
    raise ValueError(kind)


def optimizer_case(mx, opt_key, variant):
    name, okw = OPTIMIZERS[opt_key]
    vkw, extra = VARIANTS[variant]
    kw = dict(okw)
    kw.update(vkw)
    if 'lr_scheduler' in kw:
        kw['lr_scheduler'] = _make_scheduler(mx, kw['lr_scheduler'])
    dtype = extra.get('dtype', 'float32')
    shapes = SHAPES
    if opt_key == 'groupadagrad':      # 2-D weights only
        shapes = [(3, 4), (1, 4), (2, 3), (3, 1)]
    if extra.get('zero'):
        shapes = [(0, 4), (0,), (2, 3), (3, 0)] if opt_key != 'groupadagrad' else \
            [(0, 4), (0, 4), (2, 3), (3, 0)]
    # one random stream per weight, seeded by the optimizer's name and the weight's position:
    # every variant of an optimizer draws the same numbers (the float64 and zero-size variants
    # are compared with the float32 ones where MXNet cannot run them)
    seed = sum(map(ord, opt_key)) * 10

    def go():
        opt = mx.optimizer.create(name, **kw)
        if 'lr_mult' in extra:
            opt.set_lr_mult(extra['lr_mult'])
        if 'wd_mult' in extra:
            opt.set_wd_mult(extra['wd_mult'])
        upd = mx.optimizer.get_updater(opt)
        rngs = [np.random.RandomState(seed + i) for i in range(len(shapes))]
        ws = [mx.nd.array(r.uniform(-1, 1, s), dtype=dtype) for r, s in zip(rngs, shapes)]
        trace = []
        for t in range(STEPS):
            for i, w in enumerate(ws):
                g = rngs[i].uniform(-1, 1, w.shape)
                if t == 0 and extra.get('bad_weight') and w.size:
                    v = w.asnumpy()
                    v.reshape(-1)[i % v.size] = [np.inf, -np.inf, np.nan][i % 3]
                    w[:] = mx.nd.array(v, dtype=dtype)
                if extra.get('bad_grad') and g.size:
                    g.reshape(-1)[(t + i) % g.size] = [np.nan, np.inf, -np.inf][(t + i) % 3]
                upd(i, mx.nd.array(g, dtype=dtype), w)
            trace.append([w.copy() for w in ws])
        return {'trace': trace, 'num_update': opt.num_update,
                'learning_rate': float(opt.learning_rate),
                'states': [upd.states[i] for i in range(len(ws))]}
    return outcome(go)


def optimizer_cases(mx):
    out = {}
    for opt_key in OPTIMIZERS:
        for variant in VARIANTS:
            if variant == 'lazy' and opt_key not in LAZY:
                continue
            out['%s.%s' % (opt_key, variant)] = optimizer_case(mx, opt_key, variant)
    # sgld: its noise is random; with lr=0 it is scaled to nothing, and its state layout
    out['sgld.lr0'] = optimizer_case_sgld(mx)
    # unknown / bad arguments
    out['bad.unknown_key'] = outcome(lambda: mx.optimizer.create('adam', learning_rate=0.1,
                                                                 foo=1))
    out['bad.unknown_name'] = outcome(lambda: mx.optimizer.create('nosuch'))
    out['bad.lr_kw'] = outcome(lambda: mx.optimizer.create('sgd', lr=0.1))
    out['bad.idx2name'] = outcome(lambda: mx.optimizer.create('sgd', param_idx2name=[1]))
    out['bad.groupadagrad_wd'] = outcome(lambda: _one_update(mx, 'groupadagrad', {'wd': 0.1},
                                                             (2, 3)))
    out['bad.groupadagrad_1d'] = outcome(lambda: _one_update(mx, 'groupadagrad', {}, (3,)))
    out['bad.set_lr_with_sched'] = outcome(lambda: _set_lr_with_sched(mx))
    out['api.lr_setter'] = outcome(lambda: _lr_setter(mx))
    out['api.set_learning_rate'] = outcome(lambda: _set_learning_rate(mx))
    out['api.update_direct_mp'] = _update_direct(mx, True)     # {optimizer: outcome}
    out['api.update_direct'] = _update_direct(mx, False)
    out['api.update_updater_mp'] = _update_direct(mx, True, via_updater=True)
    out['api.repr'] = outcome(lambda: [type(mx.optimizer.create(n)).__name__
                                       for n in sorted(set(o for o, _ in OPTIMIZERS.values()))])
    out['api.defaults'] = outcome(lambda: _defaults(mx))
    for dt in ('float16', 'float32'):
        out['api.multi_lamb_' + dt] = outcome(lambda dt=dt: _multi_lamb(mx, dt))
    return out


def _one_update(mx, name, kw, shape):
    opt = mx.optimizer.create(name, **kw)
    w = mx.nd.ones(shape)
    upd = mx.optimizer.get_updater(opt)
    upd(0, mx.nd.ones(shape) * 0.5, w)
    return w


def _set_lr_with_sched(mx):
    opt = mx.optimizer.create('sgd', lr_scheduler=mx.lr_scheduler.FactorScheduler(2))
    opt.set_learning_rate(0.3)
    return opt.learning_rate


def _lr_setter(mx):
    opt = mx.optimizer.create('sgd', learning_rate=0.1)
    opt.learning_rate = 0.3
    return opt.learning_rate


def _set_learning_rate(mx):
    opt = mx.optimizer.create('adam', learning_rate=0.1)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array([0.5, -0.5])
    upd(0, mx.nd.array([0.1, 0.2]), w)
    opt.set_learning_rate(0.01)
    upd(0, mx.nd.array([0.1, 0.2]), w)
    return {'w': w, 'lr': opt.learning_rate, 'n': opt.num_update}


def _update_direct(mx, mp, via_updater=False):
    """Two updates of a (1, 3) weight by each optimizer, through ``opt.update`` (or
    ``update_multi_precision`` with ``mp``) called with one index, or through an Updater."""
    out = {}
    for key, (name, kw) in OPTIMIZERS.items():
        if key in ('groupadagrad', 'dcasgd', 'signum_wdlh'):
            continue

        def go(name=name, kw=kw):
            opt = mx.optimizer.create(name, learning_rate=0.05, multi_precision=mp, **kw)
            w = mx.nd.array([[0.5, -0.25, 1.0]], dtype='float16' if mp else 'float32')
            st = opt.create_state_multi_precision(0, w) if mp else opt.create_state(0, w)
            upd = mx.optimizer.get_updater(opt)
            for t in range(2):
                g = mx.nd.array([[0.1, -0.3, 0.2 * t]], dtype=w.dtype)
                if via_updater:
                    upd(0, g, w)
                    st = upd.states[0]
                elif mp:
                    opt.update_multi_precision(0, w, g, st)
                else:
                    opt.update(0, w, g, st)
            return {'w': w, 'state': st}
        out[key] = outcome(go)
    return out


def _multi_lamb(mx, dtype):
    """``nd.contrib.multi_lamb_update`` on a weight whose gradient has one small element: its
    second moment underflows in float16 and its direction is a few hundred."""
    w = mx.nd.array([0.5, -0.3, 0.2, 0.9], dtype=dtype)
    m, v = mx.nd.zeros((4,), dtype=dtype), mx.nd.zeros((4,), dtype=dtype)
    for t in (1, 2):
        g = mx.nd.array([0.5, 0.3, 0.005, -0.2], dtype=dtype)
        mx.nd.contrib.multi_lamb_update([w], [g], [m], [v], out=[w], step_count=[t], lrs=[0.05],
                                        wds=[0.0], bias_correction=False)
    return [w, m, v]


def _defaults(mx):
    out = {}
    for name in sorted(set(o for o, _ in OPTIMIZERS.values())):
        opt = mx.optimizer.create(name)
        attrs = {}
        for a in ['lr', 'wd', 'rescale_grad', 'clip_gradient', 'momentum', 'beta1', 'beta2',
                  'epsilon', 'gamma1', 'gamma2', 'rho', 'lamda1', 'beta', 'eta', 'eps',
                  'float_stable_eps', 'lazy_update', 'centered', 'clip_weights', 'wd_lh',
                  'schedule_decay', 'lower_bound', 'upper_bound', 'bias_correction', 'lamda',
                  'multi_precision', 'begin_num_update', 'num_update', 'batch_scale',
                  'warmup_strategy', 'warmup_epochs', 'updates_per_epoch', 'epsilon']:
            if hasattr(opt, a):
                v = getattr(opt, a)
                attrs[a] = v if isinstance(v, (int, float, str, bool)) or v is None else repr(v)
        out[name] = attrs
    return out


def optimizer_case_sgld(mx):
    def go():
        opt = mx.optimizer.create('sgld', learning_rate=0.0, wd=0.1)
        upd = mx.optimizer.get_updater(opt)
        w = mx.nd.array([[0.5, -0.5, 1.0]])
        upd(0, mx.nd.array([[1.0, 2.0, 3.0]]), w)
        return {'w': w, 'n': opt.num_update}
    return outcome(go)


# -- learning-rate schedulers ------------------------------------------------------------------------

SCHEDULERS = {
    'factor': ('FactorScheduler', {'step': 3, 'factor': 0.5}),
    'factor_stop': ('FactorScheduler', {'step': 2, 'factor': 0.5, 'stop_factor_lr': 0.02,
                                        'base_lr': 0.3}),
    'factor_warm_lin': ('FactorScheduler', {'step': 4, 'factor': 0.7, 'warmup_steps': 5,
                                            'warmup_begin_lr': 0.01, 'warmup_mode': 'linear'}),
    'factor_warm_const': ('FactorScheduler', {'step': 4, 'factor': 0.7, 'warmup_steps': 5,
                                              'warmup_begin_lr': 0.02, 'warmup_mode': 'constant'}),
    'multi': ('MultiFactorScheduler', {'step': [2, 5, 9], 'factor': 0.3}),
    'multi_warm': ('MultiFactorScheduler', {'step': [6, 8], 'factor': 0.5, 'base_lr': 0.2,
                                            'warmup_steps': 4, 'warmup_begin_lr': 0.05}),
    'poly': ('PolyScheduler', {'max_update': 12, 'base_lr': 0.1, 'pwr': 2}),
    'poly_final': ('PolyScheduler', {'max_update': 10, 'base_lr': 0.1, 'pwr': 1.5,
                                     'final_lr': 0.01, 'warmup_steps': 3}),
    'poly_warm_const': ('PolyScheduler', {'max_update': 10, 'base_lr': 0.1, 'warmup_steps': 3,
                                          'warmup_mode': 'constant', 'warmup_begin_lr': 0.03}),
    'cosine': ('CosineScheduler', {'max_update': 12, 'base_lr': 0.1}),
    'cosine_final': ('CosineScheduler', {'max_update': 10, 'base_lr': 0.2, 'final_lr': 0.05,
                                         'warmup_steps': 4, 'warmup_begin_lr': 0.01}),
    'cosine_warm_const': ('CosineScheduler', {'max_update': 8, 'base_lr': 0.2,
                                              'warmup_steps': 3, 'warmup_mode': 'constant'}),
}

SCHED_ORDERS = {
    'up': list(range(0, 18)),
    'jumps': [0, 7, 3, 12, 12, 1, 20, 5, 30],
}


def scheduler_cases(mx):
    out = {}
    for key, (cls, kw) in SCHEDULERS.items():
        for order, nums in SCHED_ORDERS.items():
            def go(cls=cls, kw=kw, nums=nums):
                s = getattr(mx.lr_scheduler, cls)(**kw)
                vals = [float(s(n)) for n in nums]
                s.base_lr = 0.5          # a base_lr change mid-way
                vals += [float(s(n)) for n in nums]
                return vals
            out['%s.%s' % (key, order)] = outcome(go)
        # driven by an optimizer's num_update
        def through_opt(cls=cls, kw=kw):
            kw2 = {k: v for k, v in kw.items() if k != 'base_lr'}
            s = getattr(mx.lr_scheduler, cls)(**kw2)
            opt = mx.optimizer.create('sgd', learning_rate=0.4, lr_scheduler=s)
            upd = mx.optimizer.get_updater(opt)
            w = mx.nd.ones((2,))
            lrs = []
            for _ in range(10):
                upd(0, mx.nd.ones((2,)), w)
                lrs.append(float(opt.learning_rate))
            return {'lrs': lrs, 'w': w}
        out['%s.opt' % key] = outcome(through_opt)
    bad = {
        'factor_step0': ('FactorScheduler', {'step': 0}),
        'factor_gt1': ('FactorScheduler', {'step': 2, 'factor': 1.5}),
        'multi_unsorted': ('MultiFactorScheduler', {'step': [5, 2]}),
        'multi_step0': ('MultiFactorScheduler', {'step': [0, 2]}),
        'poly_max0': ('PolyScheduler', {'max_update': 0}),
        'cosine_max0': ('CosineScheduler', {'max_update': 0}),
        'warm_mode': ('FactorScheduler', {'step': 2, 'warmup_steps': 2, 'warmup_mode': 'foo'}),
        'warm_begin_gt': ('CosineScheduler', {'max_update': 8, 'base_lr': 0.1,
                                              'warmup_steps': 2, 'warmup_begin_lr': 0.5}),
        'warm_neg': ('PolyScheduler', {'max_update': 8, 'warmup_steps': -1}),
    }
    for key, (cls, kw) in bad.items():
        def mk(cls=cls, kw=kw):
            s = getattr(mx.lr_scheduler, cls)(**kw)
            return [float(s(n)) for n in range(4)]
        out['bad.' + key] = outcome(mk)
    return out


# -- Trainer ---------------------------------------------------------------------------------------

def _net(mx, prefix='net_'):
    net = mx.gluon.nn.HybridSequential(prefix=prefix)
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(3, in_units=4, activation='tanh'))
        net.add(mx.gluon.nn.Dense(2, in_units=3))
    net.initialize()
    for i, (_, p) in enumerate(sorted(net.collect_params().items())):
        n = int(np.prod(p.shape))
        p.set_data(mx.nd.array((np.sin(np.arange(n) * 0.37 + i) * 0.5).reshape(p.shape)))
    return net


def _batch(mx, seed, n=5):
    rng = np.random.RandomState(seed)
    return (mx.nd.array(rng.uniform(-1, 1, (n, 4))), mx.nd.array(rng.uniform(-1, 1, (n, 2))))


def _loss(mx, net, seed):
    x, y = _batch(mx, seed)
    with mx.autograd.record():
        loss = ((net(x) - y) ** 2).sum()
    loss.backward()


def _weights(net):
    return {k: p.data() for k, p in sorted(net.collect_params().items())}


def _train(mx, net, trainer, steps=3, seed=0, how='step', bs=5):
    lrs = []
    for t in range(steps):
        _loss(mx, net, seed + t)
        if how == 'step':
            trainer.step(bs)
        elif how == 'update':
            trainer.allreduce_grads()
            trainer.update(bs)
        lrs.append(float(trainer.learning_rate))
    return lrs


TRAINER_CONFIGS = {
    'sgd': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01}),
    'adam': ('adam', {'learning_rate': 0.05, 'wd': 0.01, 'clip_gradient': 0.5}),
    'nag': ('nag', {'learning_rate': 0.1, 'momentum': 0.8}),
    'rmsprop_c': ('rmsprop', {'learning_rate': 0.02, 'centered': True}),
    'lamb': ('lamb', {'learning_rate': 0.02, 'wd': 0.01}),
    'lars': ('lars', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.001}),
    'ftml': ('ftml', {'learning_rate': 0.02}),
    'signum': ('signum', {'learning_rate': 0.01}),
    'nadam': ('nadam', {'learning_rate': 0.02}),
    'adadelta': ('adadelta', {}),
    'ftrl': ('ftrl', {'learning_rate': 0.1}),
    'dcasgd': ('dcasgd', {'learning_rate': 0.1, 'lamda': 0.5}),
    'adagrad': ('adagrad', {'learning_rate': 0.1}),
    'adamax': ('adamax', {'learning_rate': 0.05}),
}

KV = {'device_true': ('device', True), 'device_false': ('device', False),
      'local_none': ('local', None), 'none': (None, None), 'local_false': ('local', False)}


def trainer_cases(mx, folder):
    out = {}
    for key, (name, kw) in TRAINER_CONFIGS.items():
        for kvk, (kv, uok) in KV.items():
            for how in ['step', 'update']:
                def go(name=name, kw=kw, kv=kv, uok=uok, how=how):
                    net = _net(mx)
                    tr = mx.gluon.Trainer(net.collect_params(), name, dict(kw), kvstore=kv,
                                          update_on_kvstore=uok)
                    lrs = _train(mx, net, tr, how=how)
                    return {'lrs': lrs, 'w': _weights(net)}
                out['%s.%s.%s' % (key, kvk, how)] = outcome(go)
        out['%s.save_load' % key] = outcome(lambda name=name, kw=kw: _save_load(
            mx, name, kw, folder, key))
    out['sched_trainer'] = outcome(lambda: _sched_trainer(mx))
    out['set_lr'] = outcome(lambda: _set_lr(mx))
    out['set_lr_sched'] = outcome(lambda: _set_lr_sched(mx))
    out['stale'] = outcome(lambda: _stale(mx, False))
    out['stale_ignored'] = outcome(lambda: _stale(mx, True))
    out['accumulate'] = outcome(lambda: _accumulate(mx))
    out['frozen'] = outcome(lambda: _frozen(mx))
    out['params_list'] = outcome(lambda: _params_as(mx, 'list'))
    out['params_dict'] = outcome(lambda: _params_as(mx, 'dict'))
    out['params_pdict'] = outcome(lambda: _params_as(mx, 'pdict'))
    out['params_bad'] = outcome(lambda: _params_as(mx, 'bad'))
    out['params_dup'] = outcome(lambda: _params_as(mx, 'dup'))
    out['two_trainers'] = outcome(lambda: _two_trainers(mx))
    out['instance'] = outcome(lambda: _instance(mx, False))
    out['instance_with_params'] = outcome(lambda: _instance(mx, True))
    out['bad_key'] = outcome(lambda: _bad_params(mx, {'learning_rate': 0.1, 'foo': 1}))
    out['bad_lr_key'] = outcome(lambda: _bad_params(mx, {'lr': 0.1}))
    out['bad_name'] = outcome(lambda: _bad_params(mx, None, 'nosuch'))
    out['bad_params_type'] = outcome(lambda: _bad_params(mx, [('learning_rate', 0.1)]))
    out['int_null'] = outcome(lambda: _int_null(mx))
    out['mults'] = outcome(lambda: _mults(mx))
    out['zero_size'] = outcome(lambda: _zero_size(mx))
    out['lr0'] = outcome(lambda: _lr0(mx))
    out['batch_change'] = outcome(lambda: _batch_change(mx))
    out['f16_mp'] = outcome(lambda: _f16(mx))
    return out


def _save_load(mx, name, kw, folder, key):
    path = os.path.join(folder, 'tr_%s.states' % key)
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), name, dict(kw))
    _train(mx, net, tr, steps=2)
    tr.save_states(path)
    w_mid = {k: v.copy() for k, v in _weights(net).items()}
    lrs = _train(mx, net, tr, steps=2, seed=10)
    straight = _weights(net)
    net2 = _net(mx)
    for k, p in net2.collect_params().items():
        p.set_data(w_mid[k])
    tr2 = mx.gluon.Trainer(net2.collect_params(), name, dict(kw))
    tr2.load_states(path)
    lrs2 = _train(mx, net2, tr2, steps=2, seed=10)
    resumed = _weights(net2)
    return {'straight': straight, 'lrs': lrs, 'lrs2': lrs2, 'resumed': resumed,
            'num_update': tr2._optimizer.num_update}


def _sched_trainer(mx):
    net = _net(mx)
    s = mx.lr_scheduler.CosineScheduler(max_update=4, base_lr=0.2, warmup_steps=2,
                                        warmup_begin_lr=0.05, final_lr=0.01)
    tr = mx.gluon.Trainer(net.collect_params(), 'sgd', {'lr_scheduler': s, 'momentum': 0.5})
    lrs = _train(mx, net, tr, steps=6)
    return {'lrs': lrs, 'w': _weights(net)}


def _set_lr(mx):
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
    lr0 = tr.learning_rate
    _train(mx, net, tr, steps=1)
    tr.set_learning_rate(0.01)
    lrs = _train(mx, net, tr, steps=2)
    return {'lr0': lr0, 'lrs': lrs, 'w': _weights(net), 'opt_lr': tr.optimizer.lr}


def _set_lr_sched(mx):
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), 'sgd',
                          {'lr_scheduler': mx.lr_scheduler.FactorScheduler(2, 0.5)})
    tr.set_learning_rate(0.3)
    return tr.learning_rate


def _stale(mx, ignore):
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    _train(mx, net, tr, steps=1)
    # only the first layer gets a fresh gradient
    x, _ = _batch(mx, 3)
    with mx.autograd.record():
        loss = net[0](x).sum()
    loss.backward()
    tr.step(5, ignore_stale_grad=ignore)
    _train(mx, net, tr, steps=1, seed=4)
    return {'w': _weights(net), 'n': tr._optimizer.num_update}


def _accumulate(mx):
    net = _net(mx)
    for p in net.collect_params().values():
        p.grad_req = 'add'
    tr = mx.gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
    for t in range(3):
        _loss(mx, net, t)
        _loss(mx, net, t + 10)
        tr.step(10)
        net.collect_params().zero_grad()
    return _weights(net)


def _frozen(mx):
    net = _net(mx)
    net[0].collect_params().setattr('grad_req', 'null')
    tr = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    _train(mx, net, tr, steps=3)
    f = os.path.join(tempfile.mkdtemp(), 'f.states')
    tr.save_states(f)
    tr.load_states(f)
    _train(mx, net, tr, steps=1, seed=7)
    return _weights(net)


def _params_as(mx, kind):
    net = _net(mx)
    pd = net.collect_params()
    if kind == 'list':
        params = list(pd.values())[::-1]
    elif kind == 'dict':
        params = dict(pd.items())
    elif kind == 'pdict':
        params = pd
    elif kind == 'dup':
        params = list(pd.values()) + [list(pd.values())[0]]
    else:
        params = 5
    tr = mx.gluon.Trainer(params, 'adam', {'learning_rate': 0.05, 'wd': 0.1})
    _train(mx, net, tr, steps=3)
    return _weights(net)


def _two_trainers(mx):
    net = _net(mx)
    pd = net.collect_params()
    t1 = mx.gluon.Trainer(pd, 'sgd', {'learning_rate': 0.1, 'momentum': 0.5})
    t2 = mx.gluon.Trainer(net[1].collect_params(), 'adam', {'learning_rate': 0.05})
    for t in range(3):
        _loss(mx, net, t)
        t1.step(5)
        t2.step(5)
    return _weights(net)


def _instance(mx, with_params):
    net = _net(mx)
    opt = mx.optimizer.Adam(learning_rate=0.05, wd=0.01)
    tr = mx.gluon.Trainer(net.collect_params(), opt,
                          {'learning_rate': 0.1} if with_params else None)
    _train(mx, net, tr, steps=3)
    return {'w': _weights(net), 'rescale': tr._optimizer.rescale_grad,
            'same': tr._optimizer is opt}


def _bad_params(mx, params, name='adam'):
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), name, params)
    _train(mx, net, tr, steps=1)
    return _weights(net)


def _int_null(mx):
    net = _net(mx)
    p = mx.gluon.Parameter('counter', shape=(3,), dtype='int32', grad_req='null',
                           init=mx.init.Constant(2))
    p.initialize()
    params = list(net.collect_params().values()) + [p]
    tr = mx.gluon.Trainer(params, 'adam', {'learning_rate': 0.05})
    _train(mx, net, tr, steps=2)
    return {'w': _weights(net), 'counter': p.data()}


def _mults(mx):
    net = _net(mx)
    pd = net.collect_params()
    for k, p in pd.items():
        if k.endswith('dense0_weight'):
            p.lr_mult = 0.5
        if k.endswith('dense1_bias'):
            p.wd_mult = 3.0
            p.lr_mult = 2.0
    tr = mx.gluon.Trainer(pd, 'sgd', {'learning_rate': 0.1, 'wd': 0.05, 'momentum': 0.5})
    _train(mx, net, tr, steps=3)
    # set_lr_mult / set_wd_mult on the Trainer's optimizer: the Parameter's value wins
    tr.optimizer.set_lr_mult({0: 10.0})
    tr.optimizer.set_wd_mult({1: 10.0})
    _train(mx, net, tr, steps=1, seed=9)
    return _weights(net)


def _zero_size(mx):
    p = mx.gluon.Parameter('empty_weight', shape=(0, 3))
    q = mx.gluon.Parameter('full_weight', shape=(2, 3), init=mx.init.One())
    p.initialize()
    q.initialize()
    tr = mx.gluon.Trainer([p, q], 'adam', {'learning_rate': 0.1})
    with mx.autograd.record():
        loss = (q.data() * 2).sum() + p.data().sum()
    loss.backward()
    tr.step(1)
    return {'p': p.data(), 'q': q.data()}


def _lr0(mx):
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.0, 'wd': 0.5,
                                                       'momentum': 0.9})
    _train(mx, net, tr, steps=2)
    return _weights(net)


def _batch_change(mx):
    net = _net(mx)
    tr = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    _train(mx, net, tr, steps=1, bs=5)
    _train(mx, net, tr, steps=1, bs=3)
    return {'w': _weights(net), 'rescale': tr._optimizer.rescale_grad}


def _f16(mx):
    p = mx.gluon.Parameter('h_weight', shape=(2, 3), dtype='float16',
                           init=mx.init.Constant(0.3))
    p.initialize()
    tr = mx.gluon.Trainer([p], 'sgd', {'learning_rate': 0.1, 'momentum': 0.9,
                                       'multi_precision': True})
    for t in range(3):
        with mx.autograd.record():
            loss = (p.data() * mx.nd.array(np.arange(6).reshape(2, 3) * 0.01 + t,
                                           dtype='float16')).sum()
        loss.backward()
        tr.step(2)
    return p.data()


def run(mx, folder=None):
    if folder is None:
        folder = tempfile.mkdtemp()
    return {'optimizers': optimizer_cases(mx), 'schedulers': scheduler_cases(mx),
            'trainer': trainer_cases(mx, folder)}
