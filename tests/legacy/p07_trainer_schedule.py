import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(7)
x = nd.array(rng.randn(8, 3))
y = nd.array(rng.randn(8, 1))
net = nn.Dense(1, in_units=3)
net.initialize()
set_weights(net)
schedule = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.2)
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.2, 'momentum': 0.9,
                                                      'lr_scheduler': schedule, 'wd': 0.01})
loss_fn = gluon.loss.L2Loss()
for step in range(6):
    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(8)
    print('step', step, 'lr %.6g' % trainer.learning_rate, 'loss %.6f' % loss.mean().asscalar())
show('weight', net.weight.data())
show('bias', net.bias.data())
