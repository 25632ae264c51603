"""Regression files for what the Trainer-states fuzz (both directions against MXNet 1.9.1) found;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_states_fuzz_fixtures.py

``kvnone_<opt>``: one Parameter ``w`` (2, 3) on cpu(0) and cpu(1), a Trainer with
``kvstore=None``. Each context gets its own batch (loss ``sum(c1 * w + c2 * w * w)`` with that
context's ``c1``, ``c2``), so the two copies drift apart: without a kvstore MXNet 1.9.1 updates
each copy with its own gradient (nothing is summed over contexts). After ``BEFORE`` steps
``<tag>.params`` (cpu(0)'s copy) and ``<tag>.states`` (``Trainer.save_states``: the states of
cpu(0)'s updater) are written; ``expected.npz`` holds the weights of both copies after each step
from the start (``<tag>/straight``, shape (BEFORE + AFTER, 2, 2, 3)) and after each of ``AFTER``
steps of a fresh Trainer that loaded both files into both contexts (``<tag>/resumed``, shape
(AFTER, 2, 2, 3)), and the batches (``<tag>/c1``, ``<tag>/c2``: (steps, 2 contexts, 2, 3)).

``kvdevice_nadam``: the same Parameter and batches with ``kvstore='device'`` and Nadam, whose
momentum schedule is one product over the whole run: MXNet 1.9.1 creates a store for several
contexts and runs the optimizer there once per step on the summed gradient, so both copies stay
equal (``<tag>/straight``: both copies after each of ``BEFORE + AFTER`` steps).

Output: ``tests/fixtures/states_fuzz/``.
"""
import json
import os
import warnings

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'states_fuzz')
BEFORE, AFTER = 2, 3
KVNONE = {'kvnone_sgd': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9}),
          'kvnone_adam': ('adam', {'learning_rate': 0.05, 'beta1': 0.8})}
W0 = np.array([[0.3, -0.2, 0.5], [-0.4, 0.1, 0.25]], dtype=np.float32)


def _param(ctxs):
    p = gluon.Parameter('w', shape=(2, 3))
    p.initialize(ctx=ctxs)
    p.set_data(nd.array(W0))
    return p


def _step(p, trainer, ctxs, c1, c2):
    with autograd.record():
        losses = [(nd.array(c1[i], ctx=c) * p.data(c) + nd.array(c2[i], ctx=c) * p.data(c) *
                   p.data(c)).sum() for i, c in enumerate(ctxs)]
    for loss in losses:
        loss.backward()
    trainer.step(2)


def _both(p, ctxs):
    return np.stack([p.data(c).asnumpy() for c in ctxs])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(11)
    ctxs = [mx.cpu(0), mx.cpu(1)]
    expected = {}
    for tag, (name, kwargs) in KVNONE.items():
        c1 = rng.randn(BEFORE + AFTER, 2, 2, 3).astype(np.float32)
        c2 = rng.rand(BEFORE + AFTER, 2, 2, 3).astype(np.float32)
        p = _param(ctxs)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            trainer = gluon.Trainer([p], name, dict(kwargs), kvstore=None)
        straight = []
        for t in range(BEFORE):
            _step(p, trainer, ctxs, c1[t], c2[t])
            straight.append(_both(p, ctxs))
        nd.save(os.path.join(OUT, tag + '.params'), {'w': p.data(ctxs[0])})
        trainer.save_states(os.path.join(OUT, tag + '.states'))
        for t in range(BEFORE, BEFORE + AFTER):
            _step(p, trainer, ctxs, c1[t], c2[t])
            straight.append(_both(p, ctxs))
        p2 = _param(ctxs)
        p2.set_data(nd.load(os.path.join(OUT, tag + '.params'))['w'])
        trainer2 = gluon.Trainer([p2], name, dict(kwargs), kvstore=None)
        trainer2.load_states(os.path.join(OUT, tag + '.states'))
        resumed = []
        for t in range(BEFORE, BEFORE + AFTER):
            _step(p2, trainer2, ctxs, c1[t], c2[t])
            resumed.append(_both(p2, ctxs))
        assert not np.array_equal(straight[-1][0], straight[-1][1]), 'the copies should differ'
        expected.update({tag + '/straight': np.stack(straight), tag + '/resumed': np.stack(resumed),
                         tag + '/c1': c1, tag + '/c2': c2})
    c1 = rng.randn(BEFORE + AFTER, 2, 2, 3).astype(np.float32)
    c2 = rng.rand(BEFORE + AFTER, 2, 2, 3).astype(np.float32)
    p = _param(ctxs)
    trainer = gluon.Trainer([p], 'nadam', {'learning_rate': 0.1}, kvstore='device')
    straight = []
    for t in range(BEFORE + AFTER):
        _step(p, trainer, ctxs, c1[t], c2[t])
        straight.append(_both(p, ctxs))
    assert trainer._update_on_kvstore is True
    expected.update({'kvdevice_nadam/straight': np.stack(straight), 'kvdevice_nadam/c1': c1,
                     'kvdevice_nadam/c2': c2})
    np.savez(os.path.join(OUT, 'expected.npz'), **expected)
    with open(os.path.join(OUT, 'configs.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'before': BEFORE, 'after': AFTER,
                   'kvnone': {t: {'optimizer': n, 'kwargs': k} for t, (n, k) in KVNONE.items()}},
                  f, indent=1, sort_keys=True)
    print('wrote', sorted(KVNONE), 'to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
