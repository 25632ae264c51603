import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.data import ArrayDataset, DataLoader, SimpleDataset
from _common import set_weights, show

rng = np.random.RandomState(14)
features = rng.randn(20, 3).astype('float32')
targets = (features @ np.array([1.0, -2.0, 0.5], dtype='float32') + 0.3).reshape(-1, 1)


def scale(x):
    return x * 2.0 - 0.5


def pad_batch(samples):
    # a custom batchify_fn: stack the features, append a constant column, stack the targets
    xs = nd.stack(*[nd.array(s[0]) for s in samples])
    ys = nd.stack(*[nd.array(s[1]) for s in samples])
    return nd.concat(xs, nd.ones((xs.shape[0], 1)), dim=1), ys


data = SimpleDataset(list(zip(features, targets))).transform_first(scale)
print('dataset', len(data), 'first', np.round(data[0][0], 4).tolist())
loader = DataLoader(data, batch_size=6, shuffle=False, last_batch='keep', batchify_fn=pad_batch)
print('batches', [b[0].shape for b in loader])
pairs = ArrayDataset(features, targets)
print('ArrayDataset', len(pairs), pairs[3][1].tolist())


def build():
    net = nn.Dense(1, in_units=4)
    net.initialize()
    set_weights(net, seed=14)
    return net


def train(net, trainer, epochs):
    for epoch in epochs:
        total = 0.0
        for x, y in loader:
            with autograd.record():
                loss = gluon.loss.L1Loss()(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
            total += loss.sum().asscalar()
        print('epoch', epoch, 'lr %.6g' % trainer.learning_rate, 'loss %.6f' % (total / 20))


tmp = tempfile.mkdtemp()
sched = mx.lr_scheduler.FactorScheduler(step=3, factor=0.7, base_lr=0.05)
net = build()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05, 'lr_scheduler': sched})
train(net, trainer, range(2))
net.save_parameters(os.path.join(tmp, 'ckpt.params'))
trainer.save_states(os.path.join(tmp, 'ckpt.states'))
train(net, trainer, range(2, 4))
show('uninterrupted weight', net.weight.data())

# resume from the checkpoint in a fresh network and trainer
net2 = build()
net2.load_parameters(os.path.join(tmp, 'ckpt.params'))
sched2 = mx.lr_scheduler.FactorScheduler(step=3, factor=0.7, base_lr=0.05)
trainer2 = gluon.Trainer(net2.collect_params(), 'adam', {'learning_rate': 0.05, 'lr_scheduler': sched2})
trainer2.load_states(os.path.join(tmp, 'ckpt.states'))
train(net2, trainer2, range(2, 4))
show('resumed weight', net2.weight.data())
