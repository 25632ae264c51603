"""Golden trajectories of MXNet 1.9.1's Nadam, LAMB, FTML, LARS, DCASGD, ccSGD, LBSGD, GroupAdaGrad
and Test, and of every optimizer with ``clip_gradient=0`` (off for some, clip-to-zero for others).

Run in the MXNet venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_optimizer_extra_fixtures.py

Three parameters of different shapes (names ``fc_weight``, ``fc_bias``, ``conv_weight``) are
updated in that order for 8 steps on the problem ``grad = 2*(w - 1) + noise``; the initial weights
and the noise are stored with the trajectories in ``tests/fixtures/optimizer_extra/``. A config's
optional fifth field lists the parameters it updates (GroupAdaGrad takes 2-D weights only).
"""
import json
import os

import numpy as np

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'optimizer_extra')
SHAPES = [(3, 4), (4,), (2, 1, 3)]
NAMES = ['fc_weight', 'fc_bias', 'conv_weight']
STEPS = 8

# (name, create() kwargs, weight dtype, scheduler or None)
CONFIGS = [
    ('nadam', {'learning_rate': 0.05}, 'float32', None),
    ('nadam', {'learning_rate': 0.05, 'wd': 0.01, 'rescale_grad': 0.5, 'clip_gradient': 0.6,
               'beta1': 0.8, 'beta2': 0.99, 'epsilon': 1e-6, 'schedule_decay': 0.1}, 'float32', None),
    ('nadam', {'learning_rate': 0.05, 'multi_precision': True}, 'float16', None),
    ('lamb', {'learning_rate': 0.05}, 'float32', None),
    ('lamb', {'learning_rate': 0.05, 'wd': 0.01, 'rescale_grad': 0.5, 'clip_gradient': 0.6,
              'beta1': 0.8, 'beta2': 0.99, 'epsilon': 1e-5, 'lower_bound': 1.5,
              'upper_bound': 2.0}, 'float32', None),
    ('lamb', {'learning_rate': 0.05, 'wd': 0.01, 'bias_correction': False}, 'float32',
     ('FactorScheduler', {'step': 6, 'factor': 0.5, 'base_lr': 0.05})),
    ('lamb', {'learning_rate': 0.05, 'multi_precision': True}, 'float16', None),
    ('ftml', {}, 'float32', None),
    ('ftml', {'learning_rate': 0.05, 'wd': 0.01, 'rescale_grad': 0.5, 'clip_gradient': 0.6,
              'beta1': 0.5, 'beta2': 0.99, 'epsilon': 1e-6}, 'float32', None),
    ('lars', {'learning_rate': 0.5, 'eta': 0.1}, 'float32', None),
    ('lars', {'learning_rate': 0.5, 'momentum': 0.9, 'eta': 0.1, 'eps': 1e-3, 'wd': 0.01,
              'rescale_grad': 0.5, 'clip_gradient': 0.6}, 'float32',
     ('FactorScheduler', {'step': 6, 'factor': 0.5, 'base_lr': 0.5})),
    ('lars', {'learning_rate': 0.5, 'momentum': 0.9, 'eta': 0.1, 'momentum_correction': False},
     'float32', ('MultiFactorScheduler', {'step': [9, 15], 'factor': 0.3, 'base_lr': 0.5})),
    ('lars', {'learning_rate': 0.5, 'momentum': 0.9, 'eta': 0.1, 'multi_precision': True},
     'float16', None),
    # MXNet 1.9.1's DCASGD with momentum != 0 fails (it tests the momentum array for truth)
    ('dcasgd', {'learning_rate': 0.1, 'lamda': 0.5}, 'float32', None),
    ('dcasgd', {'learning_rate': 0.1, 'lamda': 0.5, 'wd': 0.01, 'rescale_grad': 0.5,
                'clip_gradient': 0.6}, 'float32',
     ('FactorScheduler', {'step': 6, 'factor': 0.5, 'base_lr': 0.1})),
    ('ccsgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01}, 'float32', None),
    ('lbsgd', {'learning_rate': 0.1}, 'float32', None),
    ('lbsgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01, 'rescale_grad': 0.5,
               'clip_gradient': 0.6, 'batch_scale': 2, 'warmup_epochs': 1,
               'updates_per_epoch': 4}, 'float32', None),
    ('lbsgd', {'learning_rate': 0.1, 'warmup_strategy': 'power2', 'batch_scale': 3,
               'warmup_epochs': 2, 'updates_per_epoch': 3, 'begin_epoch': 1}, 'float32', None),
    ('lbsgd', {'learning_rate': 0.1, 'momentum': 0.5, 'warmup_strategy': 'sqrt', 'batch_scale': 2,
               'warmup_epochs': 1, 'updates_per_epoch': 6}, 'float32',
     ('FactorScheduler', {'step': 3, 'factor': 0.5, 'base_lr': 0.1})),
    ('lbsgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01, 'warmup_strategy': 'lars'},
     'float32', None),
    ('lbsgd', {'learning_rate': 0.1, 'momentum': 0.9, 'multi_precision': True, 'batch_scale': 2,
               'warmup_epochs': 1, 'updates_per_epoch': 4}, 'float16', None),
    ('groupadagrad', {'learning_rate': 0.1}, 'float32', None, [0]),
    ('groupadagrad', {'learning_rate': 0.1, 'eps': 1e-3, 'rescale_grad': 0.5,
                      'clip_gradient': 0.6}, 'float32',
     ('FactorScheduler', {'step': 4, 'factor': 0.5, 'base_lr': 0.1}), [0]),
    ('test', {'rescale_grad': 0.5}, 'float32', None),
]
# clip_gradient=0: MXNet 1.9.1 turns clipping off in the optimizers that call a fused operator and
# clips every gradient to 0 in those that clip in Python (Adamax is left out: it divides by 0)
CONFIGS += [(name, {'learning_rate': 0.1, 'clip_gradient': 0}, 'float32', None)
            for name in ('sgd', 'nag', 'signum', 'adam', 'rmsprop', 'ftrl', 'ftml', 'lamb', 'lars',
                         'lbsgd', 'adagrad', 'adadelta', 'nadam', 'dcasgd')]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(7)
    w0 = [rng.uniform(-1, 1, s) for s in SHAPES]
    noise = [rng.normal(0, 0.5, (STEPS,) + s) for s in SHAPES]
    out = {}
    for j in range(len(SHAPES)):
        out['w0_%d' % j] = w0[j]
        out['noise_%d' % j] = noise[j]
    for i, (name, kw, dtype, sched, *only) in enumerate(CONFIGS):
        kw = dict(kw)
        if sched is not None:
            kw['lr_scheduler'] = getattr(mx.lr_scheduler, sched[0])(**sched[1])
        opt = mx.optimizer.create(name, param_idx2name=dict(enumerate(NAMES)), **kw)
        params = only[0] if only else range(len(SHAPES))
        ws = {j: mx.nd.array(w0[j], dtype=dtype) for j in params}
        states = {j: opt.create_state_multi_precision(j, w) for j, w in ws.items()}
        traj = {j: [] for j in ws}
        for k in range(STEPS):
            for j, w in ws.items():
                g = 2.0 * (w.asnumpy().astype(np.float64) - 1.0) + noise[j][k]
                opt.update_multi_precision(j, w, mx.nd.array(g, dtype=dtype), states[j])
                traj[j].append(w.asnumpy().astype(np.float32))
        for j in ws:
            out['traj_%d_%d' % (i, j)] = np.stack(traj[j])
    np.savez_compressed(os.path.join(OUT, 'trajectories.npz'), **out)
    with open(os.path.join(OUT, 'configs.json'), 'w') as f:
        json.dump({'configs': CONFIGS, 'names': NAMES, 'steps': STEPS}, f, indent=1)


if __name__ == '__main__':
    main()
