"""Regressions found by fuzzing ``nd.save`` files and ``Trainer.save_states`` files both ways
against MXNet 1.9.1. The MXNet-made files and numbers come from
``tools/gen_states_fuzz_fixtures.py``; MXNet is never imported here."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, cpu, gluon, nd
from minigluon.test_utils import assert_almost_equal

DIR = os.path.join(os.path.dirname(__file__), 'fixtures', 'states_fuzz')
with open(os.path.join(DIR, 'configs.json')) as _f:
    CONFIG = json.load(_f)
EXPECTED = np.load(os.path.join(DIR, 'expected.npz'))
W0 = np.array([[0.3, -0.2, 0.5], [-0.4, 0.1, 0.25]], dtype=np.float32)
CTXS = [cpu(0), cpu(1)]


def _param():
    p = gluon.Parameter('w', shape=(2, 3))
    p.initialize(ctx=CTXS)
    p.set_data(nd.array(W0))
    return p


def _step(p, trainer, c1, c2):
    with autograd.record():
        losses = [(nd.array(c1[i], ctx=c) * p.data(c) + nd.array(c2[i], ctx=c) * p.data(c) *
                   p.data(c)).sum() for i, c in enumerate(CTXS)]
    for loss in losses:
        loss.backward()
    trainer.step(2)
    return np.stack([p.data(c).asnumpy() for c in CTXS])


@pytest.mark.parametrize('tag', sorted(CONFIG['kvnone']))
def test_without_a_kvstore_each_context_takes_its_own_gradient(tag):
    """kvstore=None on two contexts: MXNet 1.9.1 sums nothing over the contexts, so copies fed
    different batches drift apart (minigluon used to sum the gradients, as with a kvstore)."""
    cfg = CONFIG['kvnone'][tag]
    c1, c2 = EXPECTED[tag + '/c1'], EXPECTED[tag + '/c2']
    p = _param()
    trainer = gluon.Trainer([p], cfg['optimizer'], dict(cfg['kwargs']), kvstore=None)
    got = np.stack([_step(p, trainer, c1[t], c2[t]) for t in range(len(c1))])
    assert_almost_equal(got, EXPECTED[tag + '/straight'], rtol=1e-5, atol=1e-6)
    assert not np.allclose(got[-1][0], got[-1][1])


@pytest.mark.parametrize('tag', sorted(CONFIG['kvnone']))
def test_mxnet_states_of_a_trainer_without_kvstore_resume(tag):
    """MXNet's file holds cpu(0)'s states; loaded into both contexts' updaters, the next steps
    (each context its own batch) are MXNet's."""
    cfg, before = CONFIG['kvnone'][tag], CONFIG['before']
    c1, c2 = EXPECTED[tag + '/c1'], EXPECTED[tag + '/c2']
    p = _param()
    p.set_data(nd.load(os.path.join(DIR, tag + '.params'))['w'])
    trainer = gluon.Trainer([p], cfg['optimizer'], kvstore=None)
    trainer.load_states(os.path.join(DIR, tag + '.states'))
    got = np.stack([_step(p, trainer, c1[t], c2[t]) for t in range(before, len(c1))])
    assert_almost_equal(got, EXPECTED[tag + '/resumed'], rtol=1e-5, atol=1e-6)


def test_a_named_kvstore_on_two_contexts_runs_the_optimizer_once_per_step():
    """kvstore='device' on two contexts: MXNet 1.9.1 makes a store that runs the optimizer once
    per step on the summed gradient. Nadam's momentum schedule (one product over the run) then
    advances once per step and both copies stay equal; minigluon used to run one updater per
    context, advancing it twice and letting the copies drift."""
    c1, c2 = EXPECTED['kvdevice_nadam/c1'], EXPECTED['kvdevice_nadam/c2']
    p = _param()
    trainer = gluon.Trainer([p], 'nadam', {'learning_rate': 0.1}, kvstore='device')
    got = np.stack([_step(p, trainer, c1[t], c2[t]) for t in range(len(c1))])
    assert trainer._update_on_kvstore is True
    assert_almost_equal(got, EXPECTED['kvdevice_nadam/straight'], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[:, 0], got[:, 1])
