"""LR schedulers against sequences recorded from MXNet 1.9.1, plus closed forms and errors."""
import json
import math
import os

import pytest

from minigluon import lr_scheduler as lrs

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'layers', 'lr_scheduler.json')) as _f:
    CASES = json.load(_f)


@pytest.mark.parametrize('case', CASES, ids=['%s-%d' % (c['name'], i) for i, c in enumerate(CASES)])
def test_sequence_matches_mxnet(case):
    sched = getattr(lrs, case['name'])(**case['kwargs'])
    got = [sched(n) for n in range(len(case['lrs']))]
    assert got == pytest.approx(case['lrs'], rel=1e-12, abs=1e-15)


def test_cosine_closed_form():
    s = lrs.CosineScheduler(max_update=8, base_lr=2.0, final_lr=0.5)
    for n in range(9):
        assert s(n) == pytest.approx(0.5 + 1.5 * (1 + math.cos(math.pi * n / 8)) / 2)


def test_linear_warmup_reaches_base_lr():
    s = lrs.PolyScheduler(max_update=10, base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2)
    assert [s(n) for n in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert s(4) == pytest.approx(1.0)


@pytest.mark.parametrize('make, msg', [
    (lambda: lrs.FactorScheduler(step=0), 'greater or equal'),
    (lambda: lrs.FactorScheduler(step=2, factor=1.5), 'no more than 1'),
    (lambda: lrs.MultiFactorScheduler(step=[3, 2]), 'increasing'),
    (lambda: lrs.MultiFactorScheduler(step=[]), 'non-empty'),
    (lambda: lrs.PolyScheduler(max_update=0), 'max_update'),
    (lambda: lrs.CosineScheduler(max_update=5, base_lr=0.1, warmup_begin_lr=0.5), 'warmup_begin_lr'),
    (lambda: lrs.CosineScheduler(max_update=5, warmup_mode='cubic'), 'warmup_mode'),
])
def test_errors(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


def test_optimizer_learning_rate_overrides_scheduler_with_a_real_warning(capsys):
    """MXNet 1.9.1 print()s a UserWarning object to stdout here (found porting its learning-rate
    tutorial); minigluon warns through ``warnings`` and, as MXNet, the optimizer's rate wins."""
    from minigluon import optimizer
    sched = lrs.MultiFactorScheduler(step=[4], factor=0.1)             # base_lr 0.01
    with pytest.warns(UserWarning, match='overwritten by ``learning_rate``'):
        opt = optimizer.SGD(learning_rate=0.03, lr_scheduler=sched)
    assert capsys.readouterr().out == ''
    assert sched.base_lr == 0.03 and opt.learning_rate == pytest.approx(0.03)
    same = lrs.MultiFactorScheduler(step=[4], factor=0.1, base_lr=0.03)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        optimizer.SGD(learning_rate=0.03, lr_scheduler=same)          # equal rates: no warning
