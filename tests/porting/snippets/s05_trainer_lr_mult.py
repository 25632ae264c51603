import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import nn

rng = np.random.RandomState(5)
X = nd.array(rng.randn(8, 4))
Y = nd.array(rng.randn(8, 2))
net = nn.HybridSequential(prefix='net_')
with net.name_scope():
    net.add(nn.Dense(3, activation='tanh'), nn.Dense(2))
net.initialize(mx.init.Constant(0.1))
net(X)
for i, name in enumerate(sorted(net.collect_params().keys())):
    p = net.collect_params()[name]
    p.set_data(nd.array(np.random.RandomState(i).uniform(-0.5, 0.5, p.shape)))
print(sorted(net.collect_params('.*weight').keys()))
print(sorted(net.collect_params('net_dense0_.*').keys()))
net.collect_params('.*weight').setattr('lr_mult', 0.5)
net.collect_params('.*bias').setattr('wd_mult', 0.0)
net[1].weight.lr_mult = 2.0
print('mults', [(k, p.lr_mult, p.wd_mult) for k, p in sorted(net.collect_params().items())])
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'wd': 0.05, 'momentum': 0.5})
loss_fn = gluon.loss.L2Loss()
for step in range(4):
    if step == 2:
        trainer.set_learning_rate(0.05)
    with autograd.record():
        loss = loss_fn(net(X), Y)
    loss.backward()
    trainer.step(8)
    print('step %d lr %.4f loss %.6f' % (step, trainer.learning_rate, loss.mean().asscalar()))
for k, p in sorted(net.collect_params().items()):
    print(k, ' '.join('%.6f' % v for v in p.data().asnumpy().ravel()[:4]))
print('optimizer', type(trainer.optimizer).__name__, trainer.optimizer.wd, trainer.optimizer.momentum)
net.collect_params().setattr('grad_req', 'null')
print('grad_req', sorted(set(p.grad_req for p in net.collect_params().values())))
adam = gluon.Trainer(net.collect_params(), mx.optimizer.Adam(learning_rate=0.01, beta1=0.8))
print('adam lr', adam.learning_rate, adam.optimizer.beta1)
