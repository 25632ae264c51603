"""Optimizer states vs weight precision with ``multi_precision=True`` (fixtures:
tools/gen_leftovers_fixtures.py, multi_precision.json).

Casting a network after the optimizer made its states left states of the wrong layout: minigluon
failed with NumPy's unpacking/broadcast errors (or could update the wrong arrays); MXNet 1.9.1
fails too, inside its update operator ("Incompatible attr in node ... at 2-th input"). Now a clear
MXNetError names the parameter, what happened and the fix.
"""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, gluon, init, nd, optimizer
from minigluon.base import MXNetError

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'leftovers', 'multi_precision.json')) as _f:
    FIX = json.load(_f)


@pytest.mark.parametrize('key', sorted(FIX))
def test_updater_with_state_of_other_precision_fails_clearly(key):
    assert FIX[key]['raises'] is not None         # MXNet fails too (opaquely)
    name, change = key.split()
    first, then = change.split('->')
    kw = {'momentum': 0.9} if name == 'sgd' else {}
    updater = optimizer.get_updater(optimizer.create(name, learning_rate=0.1, multi_precision=True, **kw))
    weight = nd.ones((2, 3), dtype=first)
    updater(0, nd.ones((2, 3), dtype=first), weight)
    weight = weight.astype(then)
    with pytest.raises(MXNetError, match='cast after the optimizer made its states') as err:
        updater(0, nd.ones((2, 3), dtype=then), weight)
    assert 'new Trainer' in str(err.value) and then in str(err.value)


@pytest.mark.parametrize('name', ['sgd', 'adam', 'rmsprop', 'adagrad'])
def test_net_cast_between_trainer_steps_names_the_parameter(name):
    net = gluon.nn.Dense(2, in_units=3, prefix='fc_')
    net.initialize(init.Constant(0.5))
    trainer = gluon.Trainer(net.collect_params(), name, {'learning_rate': 0.1, 'multi_precision': True})
    x = nd.ones((4, 3))
    with autograd.record():
        net(x).sum().backward()
    trainer.step(4)
    net.cast('float16')
    with autograd.record():
        net(x.astype('float16')).sum().backward()
    with pytest.raises(MXNetError, match=r"parameter 'fc_(weight|bias)'.*float16 now"):
        trainer.step(4)


@pytest.mark.parametrize('name', ['sgd', 'adam'])
def test_consistent_precision_still_updates(name):
    # float16 from the start (master copy) and float32 throughout: unchanged behaviour.
    for dtype in ('float16', 'float32'):
        kw = {'momentum': 0.9} if name == 'sgd' else {}
        opt = optimizer.create(name, learning_rate=0.1, multi_precision=True, **kw)
        updater = optimizer.get_updater(opt)
        weight = nd.ones((2, 3), dtype=dtype)
        for _ in range(2):
            updater(0, nd.ones((2, 3), dtype=dtype), weight)
        assert weight.dtype == np.dtype(dtype)
        assert (weight.asnumpy() < 1).all()
        if dtype == 'float16':
            master = updater.states[0][0]
            assert master.dtype == np.float32
            np.testing.assert_allclose(weight.asnumpy(), master.asnumpy().astype(np.float16))
