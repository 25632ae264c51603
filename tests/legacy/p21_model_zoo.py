import os
import tempfile
import zlib

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon.model_zoo import vision
from _common import show


class SeededUniform(mx.init.Initializer):
    """He-uniform weights (bound gain * sqrt(6 / fan_in)) from a NumPy RandomState seeded by the
    parameter's name (no framework RNG).

    Used instead of set_data after a first forward: MXNet 1.9.1 with MKL-DNN keeps convolution weights
    in its own layout once they have been used, and set_data then fails.
    """

    def __init__(self, gain=1.0):
        super().__init__(gain=gain)
        self.gain = gain

    def _init_weight(self, name, arr):
        rng = np.random.RandomState(zlib.crc32(name.encode()))
        bound = self.gain * np.sqrt(6.0 / np.prod(arr.shape[1:]))
        arr[:] = nd.array(rng.uniform(-bound, bound, size=arr.shape))


rng = np.random.RandomState(21)
img = nd.array(rng.rand(4, 3, 48, 48))
net = vision.get_model('resnet18_v1', classes=10)
print(net.prefix, len(net.features), type(net.features[4]).__name__, type(net.output).__name__)
net.initialize(SeededUniform(0.5))
params = net.collect_params()
print('params', len(list(params.keys())), sum(int(np.prod(p.shape)) for p in params.values()))
print([k for k in params.keys()][:6])
show('logits', net(img))
feats = net.features(img)
print('features', feats.shape)
show('features', feats[0, :12])
net.summary(img[:1])

# Train the head on features extracted once (in predict mode), then one step of the whole
# network. (Not: a training-mode forward through a frozen BatchNorm. MXNet's CPU build updates
# the running statistics during backward, which a frozen BatchNorm never gets; its GPU build
# and minigluon update them in the forward pass.)
net.hybridize()
label = nd.array([3, 7, 0, 3])
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
feats = net.features(img)
head_trainer = gluon.Trainer(net.output.collect_params(), 'sgd', {'learning_rate': 0.05})
for step in range(3):
    with autograd.record():
        loss = loss_fn(net.output(feats), label)
    loss.backward()
    head_trainer.step(4)
    show('head step %d loss' % step, loss)
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01, 'momentum': 0.9})
with autograd.record():
    loss = loss_fn(net(img), label)
loss.backward()
trainer.step(4)
show('full step loss', loss)
show('bn0 running_mean', net.features[1].running_mean.data())
show('last bn running_var', net.features[7][1].body[4].running_var.data())
show('predict after step', net(img))
tmp = tempfile.mkdtemp()
net.save_parameters(os.path.join(tmp, 'resnet.params'))
fresh = vision.resnet18_v1(classes=10)
fresh.load_parameters(os.path.join(tmp, 'resnet.params'))
show('reloaded', fresh(img))
keys = sorted(nd.load(os.path.join(tmp, 'resnet.params')).keys())
print('saved keys', len(keys), keys[:3], keys[-2:])

# A second, smaller zoo member with a thumbnail-free input and its own names.
mob = vision.get_model('mobilenet0.25', classes=5)
mob.initialize(SeededUniform())
print(mob.prefix, len(list(mob.collect_params().keys())), mob.output)
show('mobilenet', mob(img))
mob.hybridize()
show('mobilenet hybrid', mob(img))
