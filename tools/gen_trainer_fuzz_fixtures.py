"""Regression cases for what ``tools/fuzz_trainer.py`` found, with MXNet 1.9.1's outcomes; run in
the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_trainer_fuzz_fixtures.py

A case is a configuration of the fuzzer (``fuzz_trainer.run_config``, the one way to run it):
blocks, optimizer, scheduler, contexts, kvstore and the operations. The differences found, now
fixed in minigluon:

* the order of a step's updates: MXNet updates every weight of the first context, then every
  weight of the second (one ``Updater`` call per context); with per-context update counts and a
  scheduler, a weight skipped as stale in an earlier step takes another rate on the second
  context than on the first (``ctx_order_*``);
* SGD and LARS update a context's weights in groups (``aggregate_num``, 4): all the counts of a
  group advance before its learning rates are taken (``group_counts_*``), and LARS's momentum
  correction (``momentum * lr / last_lr``) moves once per group (``lars_group_*``); LAMB groups
  too (45) but counts weight by weight (``group_counts_lamb_*`` pins that);
* a grouped LAMB update with ``multi_precision`` takes the norm of the float16 weight, not of
  its float32 master copy (``lamb_mp_set_data_*``: ``set_data`` moves the weight away from
  the master copy);
* AdaDelta never calls its ``lr_scheduler`` (it has no learning rate), so a Poly or Cosine
  scheduler past ``max_update`` still returns its first rate to ``trainer.learning_rate``
  (``adadelta_scheduler_*``);
* a batch size that is not a number (a str, None) is a ``TypeError`` (``batch_size_*``).

Output: ``tests/fixtures/trainer_fuzz/cases.json`` (name -> ``cfg``, ``raised``: per operation ''
or the class names of what MXNet raised) and ``values.npz`` (``<name>/<result>``: the final
weights ``w:<param>:<ctx>``, optimizer states ``state:<index>:<i>``, ``lr``, ``num_update``).
"""
import json
import os
import sys
import tempfile
import warnings

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_trainer import run_config  # noqa: E402  (the fuzzer's runner: one way to run a case)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'trainer_fuzz')


def step(bs=4, use=None, ignore_stale=False, mode='step'):
    return {'op': 'step', 'bs': bs, 'use': use, 'accum': 1, 'ignore_stale': ignore_stale,
            'mode': mode, 'backward': True}


def config(optimizer, params, blocks, ops, scheduler=None, nctx=1, kvstore=None, seed=0):
    kinds = [{'kind': k, 'dtype': 'float32', 'frozen': False} for k in blocks]
    for op in ops:
        if op.get('use') is None and op['op'] == 'step':
            op['use'] = list(range(len(blocks)))
    return {'seed': seed, 'optimizer': optimizer, 'params': params, 'scheduler': scheduler,
            'blocks': kinds, 'nctx': nctx, 'kvstore': kvstore, 'update_on_kvstore': None,
            'accum': False, 'as_list': False, 'mults': [], 'ops': ops}


CASES = {}
# block 1 alone first (block 0 skipped as stale), then both: block 0's counts lag behind
LAGGING = [step(use=[1], ignore_stale=True), step(), step(bs=2)]
for opt, params in [('nag', {'learning_rate': 0.5, 'momentum': 0.9}),
                    ('adam', {'learning_rate': 0.1})]:
    CASES['ctx_order_%s' % opt] = config(
        opt, params, ['dense', 'dense'], [dict(o) for o in LAGGING], nctx=2,
        scheduler=['CosineScheduler', {'max_update': 4, 'final_lr': 0.001}])
CASES['ctx_order_sgd_allreduce'] = config(
    'sgd', {'learning_rate': 0.5, 'momentum': 0.9}, ['dense', 'lstm'],
    [step(use=[1], ignore_stale=True, mode='allreduce'), step(mode='allreduce'), step()],
    nctx=2, scheduler=['FactorScheduler', {'step': 1, 'factor': 0.5}])
for opt, params, sched in [
        ('sgd', {'learning_rate': 0.5}, ['FactorScheduler', {'step': 1, 'factor': 0.5}]),
        ('sgd', {'learning_rate': 0.5, 'momentum': 0.9, 'wd': 0.01},
         ['PolyScheduler', {'max_update': 5, 'pwr': 2}]),
        ('lamb', {'learning_rate': 0.1}, ['FactorScheduler', {'step': 1, 'factor': 0.5}]),
        ('lars', {'learning_rate': 0.5, 'momentum': 0.9},
         ['MultiFactorScheduler', {'step': [1, 2], 'factor': 0.5}])]:
    CASES['group_counts_%s_%s' % (opt, sched[0])] = config(
        opt, params, ['dense', 'dense'], [dict(o) for o in LAGGING], scheduler=sched)
# LARS with momentum under a changing rate: every step's group shares one correction factor
for sched in (['FactorScheduler', {'step': 1, 'factor': 0.5}],
              ['CosineScheduler', {'max_update': 4, 'warmup_steps': 2}]):
    CASES['lars_group_%s' % sched[0]] = config(
        'lars', {'learning_rate': 0.5, 'momentum': 0.9}, ['dense', 'lstm'],
        [step(), step(bs=2), step(), step(bs=8)], scheduler=sched)
# LAMB with multi_precision in a Trainer's step: the norm of the float16 weight, which set_data
# moves away from the float32 master copy
for bias_correction in (True, False):
    cfg = config('lamb', {'learning_rate': 0.5, 'wd': 0.1, 'multi_precision': True,
                          'bias_correction': bias_correction}, ['emb', 'emb'],
                 [step(), {'op': 'set_data', 'block': 0}, step(), step(bs=2)])
    for block in cfg['blocks']:
        block['dtype'] = 'float16'
    CASES['lamb_mp_set_data_%s' % bias_correction] = cfg
# AdaDelta never asks its scheduler for a rate: past max_update, Poly and Cosine still hold
# their first rate, which trainer.learning_rate reads
for sched in (['CosineScheduler', {'max_update': 3, 'final_lr': 0.001}],
              ['PolyScheduler', {'max_update': 2, 'warmup_steps': 1, 'warmup_begin_lr': 0.005}]):
    CASES['adadelta_scheduler_%s' % sched[0]] = config(
        'adadelta', {'learning_rate': 0.1}, ['dense'], [step(), step(), step(), step(bs=2)],
        scheduler=sched)
for name, bs in [('str', '4'), ('none', None)]:
    CASES['batch_size_%s' % name] = config(
        'sgd', {'learning_rate': 0.1}, ['dense'], [step(bs=bs), step(bs=bs, mode='allreduce'),
                                                  step()])


def main():
    warnings.simplefilter('ignore')
    os.makedirs(OUT, exist_ok=True)
    meta, values = {}, {}
    for name, cfg in sorted(CASES.items()):
        with tempfile.TemporaryDirectory() as d:
            res = run_config(mx, cfg, d)
        meta[name] = {'cfg': cfg, 'raised': json.loads(str(res.pop('raised')))}
        res.pop('messages')
        for k, v in res.items():
            values['%s/%s' % (name, k)] = v
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'cases': meta}, f, indent=1, sort_keys=True)
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **values)
    print('%d cases' % len(CASES))


if __name__ == '__main__':
    main()
