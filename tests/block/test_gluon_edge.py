"""Regression tests for Gluon-layer edge cases found by hostile use (Parameter, Block, Trainer).

Each expected value is worked out by hand from MXNet 1.9.1's documented semantics (and was
checked against MXNet itself when the bug was found).
"""
import numpy as np

from minigluon import autograd, gluon, init, nd, optimizer
from minigluon.test_utils import assert_almost_equal

nn = gluon.nn


def _one_sgd_step(trainer, net, batch_size=1):
    with autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()
    trainer.step(batch_size)


def test_trainer_uses_rescale_grad_of_optimizer_instance():
    # MXNet's Trainer takes its scale from the optimizer (optimizer.rescale_grad), so an instance
    # built with rescale_grad=0.5 halves the step: w = 1 - lr * 0.5 * grad(=1) = 0.5.
    net = nn.Dense(1, in_units=2)
    net.initialize(init.One())
    trainer = gluon.Trainer(net.collect_params(), optimizer.SGD(learning_rate=1.0, rescale_grad=0.5))
    _one_sgd_step(trainer, net)
    assert_almost_equal(net.weight.data().asnumpy(), np.full((1, 2), 0.5, np.float32))
    # step() keeps dividing that scale by batch_size: 0.5 - 1.0 * (0.5 / 2) * 1 = 0.25
    _one_sgd_step(trainer, net, batch_size=2)
    assert_almost_equal(net.weight.data().asnumpy(), np.full((1, 2), 0.25, np.float32))


def test_trainer_rescale_grad_by_name_still_applies():
    net = nn.Dense(1, in_units=2)
    net.initialize(init.One())
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1.0, 'rescale_grad': 0.25})
    _one_sgd_step(trainer, net)
    assert_almost_equal(net.weight.data().asnumpy(), np.full((1, 2), 0.75, np.float32))
