import minigluon as mx
import numpy as np
from minigluon import nd
from minigluon.gluon import nn
from _common import set_weights

net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Dense(8, activation='relu', in_units=4), nn.BatchNorm(in_channels=8), nn.Dense(2, in_units=8))
net.initialize()
set_weights(net)
seen = []


def pre(block, inputs):
    seen.append(('pre', block.name, tuple(inputs[0].shape)))


def post(block, inputs, output):
    seen.append(('post', block.name, tuple(output.shape)))


h1 = net[0].register_forward_pre_hook(pre)
h2 = net[2].register_forward_hook(post)
net(nd.ones((3, 4)))
print(seen)
h1.detach()
h2.detach()
seen.clear()
net(nd.ones((3, 4)))
print('after detach', seen)
order = []
net.apply(lambda b: order.append(b.name))
print(order)
net.summary(nd.ones((3, 4)))
