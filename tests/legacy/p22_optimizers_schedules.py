import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(22)
X = nd.array(rng.randn(16, 5))
Y = nd.array(rng.randn(16, 2))
loss_fn = gluon.loss.HuberLoss(rho=0.5)


def make_net():
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation='tanh', in_units=5), nn.Dense(2, in_units=8))
    net.initialize()
    set_weights(net, seed=22, scale=0.4)
    return net


def train(name, params, steps=4, batch=8):
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), name, params)
    lrs = []
    for step in range(steps):
        i = (step * batch) % 16
        with autograd.record():
            loss = loss_fn(net(X[i:i + batch]), Y[i:i + batch])
        loss.backward()
        trainer.step(batch)
        lrs.append('%.6g' % trainer.learning_rate)
    print(name, 'lr', ' '.join(lrs), 'loss %.6f' % loss_fn(net(X), Y).mean().asscalar())
    show('  ' + name + ' w0', net[0].weight.data())
    show('  ' + name + ' b1', net[1].bias.data())
    return net, trainer


train('nag', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01})
train('adadelta', {'rho': 0.9, 'epsilon': 1e-6, 'wd': 0.001})
train('ftrl', {'learning_rate': 0.2, 'lamda1': 0.01, 'beta': 1.0})
train('signum', {'learning_rate': 0.01, 'momentum': 0.9, 'wd_lh': 0.01})
train('adamax', {'learning_rate': 0.02, 'beta1': 0.8, 'clip_gradient': 0.05})
train('rmsprop', {'learning_rate': 0.01, 'gamma1': 0.95, 'gamma2': 0.9, 'centered': True,
                  'clip_weights': 0.3})
train('adagrad', {'learning_rate': 0.1, 'eps': 1e-7, 'rescale_grad': 0.5, 'wd': 0.1})

# Learning-rate schedules with warm-up, stepped by the trainer.
poly = mx.lr_scheduler.PolyScheduler(max_update=6, base_lr=0.2, pwr=2, final_lr=0.01,
                                     warmup_steps=2, warmup_begin_lr=0.05)
train('sgd', {'learning_rate': 0.2, 'lr_scheduler': poly}, steps=8)
cosine = mx.lr_scheduler.CosineScheduler(max_update=5, base_lr=0.1, final_lr=0.001,
                                         warmup_steps=2, warmup_mode='constant',
                                         warmup_begin_lr=0.02)
train('adam', {'learning_rate': 0.1, 'lr_scheduler': cosine}, steps=7)
multi = mx.lr_scheduler.MultiFactorScheduler(step=[2, 4], factor=0.3, base_lr=0.5)
print('multifactor', ['%.6g' % multi(n) for n in range(1, 7)])
print('poly', ['%.6g' % mx.lr_scheduler.PolyScheduler(10, base_lr=1.0, pwr=1)(n)
               for n in [0, 3, 10, 12]])

# Changing the learning rate by hand, per-parameter multipliers, optimizer objects.
net, trainer = train('sgd', {'learning_rate': 0.05, 'momentum': 0.5, 'clip_gradient': 0.1},
                     steps=2)
trainer.set_learning_rate(0.5)
net[0].weight.lr_mult = 0.0
net[1].bias.wd_mult = 0.0
before = net[0].weight.data().copy()
with autograd.record():
    loss = loss_fn(net(X), Y)
loss.backward()
trainer.step(16)
print('lr now', trainer.learning_rate, 'optimizer', type(trainer.optimizer).__name__)
print('moved by momentum despite lr_mult 0', (net[0].weight.data() - before).abs().sum().asscalar())
show('b1 after manual lr', net[1].bias.data())

opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9, wd=0.1, rescale_grad=0.5)
updater = mx.optimizer.get_updater(opt)
w = nd.array([1.0, -2.0, 3.0])
for i in range(3):
    updater(0, nd.array([0.5, 0.5, -1.0]), w)
show('updater sgd', w)
opt = mx.optimizer.NAG(learning_rate=0.1, momentum=0.9)
state = opt.create_state(0, w)
opt.update(0, w, nd.array([1.0, 0.0, -1.0]), state)
show('NAG.update', w)
