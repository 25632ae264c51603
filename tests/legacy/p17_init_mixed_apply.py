import minigluon as mx
import numpy as np
from minigluon import gluon, nd
from minigluon.gluon import nn
from _common import show


class Ramp(mx.init.Initializer):
    """A deterministic custom initializer: weights ramp from -scale to scale, biases get 0.01."""

    def __init__(self, scale=0.5):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, name, arr):
        arr[:] = nd.array(np.linspace(-self.scale, self.scale, arr.size).reshape(arr.shape))

    def _init_bias(self, name, arr):
        arr[:] = 0.01


net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Dense(6, activation='relu', in_units=4), nn.BatchNorm(in_channels=6),
            nn.Dense(3, in_units=6))
print(net)
net.initialize(Ramp(0.3))
x = nd.array(np.arange(8).reshape(2, 4) / 8.0)
show('ramp out', net(x))
show('dense0 bias', net[0].bias.data())
show('bn gamma', net[1].gamma.data())

# Regular expressions pick parameter subsets; re-initialise only those.
weights = net.collect_params('.*weight')
print('weights', sorted(weights.keys()))
both = net.collect_params('.*dense1_weight|.*bias')
print('subset', sorted(both.keys()))
weights.initialize(mx.init.Constant(0.2), force_reinit=True)
show('constant out', net(x))
both.initialize(mx.init.One(), force_reinit=True)
show('dense1 weight after One', net[2].weight.data())
show('dense0 bias after One', net[0].bias.data())

# A single parameter re-initialised on its own (mx.init.Mixed is not accepted by Gluon's
# initialize in MXNet 1.9.1, so per-parameter calls are how scripts mixed schemes).
net[1].gamma.initialize(mx.init.Constant(2.0), force_reinit=True)
net[0].weight.initialize(Ramp(0.1), force_reinit=True)
show('mixed out', net(x))
show('mixed gamma', net[1].gamma.data())
show('ramp dense0 weight', net[0].weight.data())

# Per-parameter init given at construction wins over the global one.
layer = nn.Dense(2, in_units=3, weight_initializer=mx.init.Constant(-0.5),
                 bias_initializer=mx.init.Constant(3.0))
layer.initialize(mx.init.One())
show('own init', layer(nd.ones((1, 3))))

# Block.apply: visit every child, here to scale Dense weights in place.
visited = []


def halve_dense(block):
    visited.append(type(block).__name__)
    if isinstance(block, nn.Dense):
        block.weight.set_data(block.weight.data() * 0.5)


net.apply(halve_dense)
print('visited', visited)
show('after apply', net(x))
print('shapes', [(k, v.shape) for k, v in sorted(net.collect_params().items())])
print('init of dense0 weight', net[0].weight.init)
