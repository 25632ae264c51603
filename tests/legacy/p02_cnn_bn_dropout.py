import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(2)
x = nd.array(rng.randn(4, 1, 8, 8))
label = nd.array([0, 1, 2, 1])
net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Conv2D(4, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
            nn.MaxPool2D(2), nn.Dropout(0.5), nn.Flatten(), nn.Dense(3))
net.initialize()
net(x)
set_weights(net)
print([k for k in net.collect_params().keys()])
show('eval output', net(x))
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
with autograd.record():
    loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), label)
loss.backward()
trainer.step(4)
bn = net[1]
show('running_mean', bn.running_mean.data())
show('running_var', bn.running_var.data())
