import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import nn

rng = np.random.RandomState(11)
X = nd.array(rng.randn(12, 3))
Y = nd.array(rng.randn(12, 1))
net = nn.Dense(1, in_units=3)
net.initialize(mx.init.Constant(0.2))
net.collect_params().setattr('grad_req', 'add')
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
loss_fn = gluon.loss.L2Loss()
for it in range(2):
    for i in range(0, 12, 4):
        with autograd.record():
            loss = loss_fn(net(X[i:i + 4]), Y[i:i + 4])
        loss.backward()
    print('accumulated', ' '.join('%.6f' % v for v in net.weight.grad().asnumpy().ravel()),
          '%.6f' % net.bias.grad().asscalar())
    trainer.step(12)
    net.collect_params().zero_grad()
    print('after zero', float(net.weight.grad().abs().sum().asscalar()))
print('weight', ' '.join('%.6f' % v for v in net.weight.data().asnumpy().ravel()))
v = nd.array([1.0, 2.0, 3.0])
v.attach_grad(grad_req='add')
for k in range(3):
    with autograd.record():
        y = (v * (k + 1)).sum()
    y.backward()
print('nd add', v.grad.asnumpy().tolist())
v.grad[:] = 0
with autograd.record():
    (v ** 2).sum().backward()
print('after manual zero', v.grad.asnumpy().tolist())
w = nd.array([1.0, 1.0])
w.attach_grad(grad_req='null')
with autograd.record():
    q = (w * 3).sum()
print('null req recording', q.asscalar())
print('grad req', net.weight.grad_req)
