import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show


class ScaledTanh(autograd.Function):
    """y = a * tanh(x / a): a custom op with a hand-written gradient, used inside a model."""

    def __init__(self, a):
        super().__init__()
        self.a = a

    def forward(self, x):
        y = self.a * nd.tanh(x / self.a)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * (1 - (y / self.a) ** 2)


class Net(gluon.Block):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.fc1 = nn.Dense(6, in_units=3)
            self.fc2 = nn.Dense(1, in_units=6)

    def forward(self, x):
        return self.fc2(ScaledTanh(2.0)(self.fc1(x)))


rng = np.random.RandomState(19)
X = nd.array(rng.randn(12, 3))
Y = nd.array(rng.randn(12, 1))
net = Net()
net.initialize()
set_weights(net, seed=19, scale=0.5)
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
loss_fn = gluon.loss.L2Loss()
for epoch in range(3):
    for i in range(0, 12, 4):
        with autograd.record():
            loss = loss_fn(net(X[i:i + 4]), Y[i:i + 4])
        loss.backward()
        trainer.step(4)
    print('epoch', epoch, 'loss %.6f' % loss_fn(net(X), Y).mean().asscalar())

# Gradient accumulation: grad_req='add' sums over micro-batches until zero_grad.
net.collect_params().setattr('grad_req', 'add')
for i in range(0, 12, 4):
    with autograd.record():
        loss = loss_fn(net(X[i:i + 4]), Y[i:i + 4])
    loss.backward()
show('accumulated fc1 grad', net.fc1.weight.grad())
micro = net.fc2.bias.grad().copy()
net.collect_params().zero_grad()
show('after zero_grad', net.fc2.bias.grad())
with autograd.record():
    loss = loss_fn(net(X), Y)
loss.backward()
show('one full batch bias grad', net.fc2.bias.grad())
show('sum of micro-batch bias grads', micro)
trainer.step(12)
net.collect_params().zero_grad()
show('fc2 weight after accumulated step', net.fc2.weight.data())

# autograd.grad: gradients returned instead of written into .grad
x = nd.array([[0.5, -1.0, 2.0]])
x.attach_grad()
with autograd.record():
    y = nd.sum(nd.exp(x) * nd.sin(x))
dx = autograd.grad(y, [x])[0]
show('autograd.grad', dx)
print('x.grad untouched', x.grad.asnumpy().tolist())
with autograd.record():
    z = (x ** 3).sum()
g = autograd.grad(z, x, head_grads=nd.array([2.0]), retain_graph=True)
show('head_grads', g[0])
z.backward()
show('backward after retain', x.grad)

# mark_variables with our own gradient buffers
u = nd.array([1., 2., 3.])
v = nd.array([0.5, 0.5, 0.5])
gu, gv = nd.zeros(3), nd.zeros(3)
autograd.mark_variables([u, v], [gu, gv])
with autograd.record():
    w = u * v + nd.log(u)
w.backward(nd.array([1., 0., 2.]))
show('gu', gu)
show('gv', gv)

# record/pause, is_recording/is_training, predict_mode
with autograd.record():
    print('recording', autograd.is_recording(), 'training', autograd.is_training())
    with autograd.pause():
        print('paused', autograd.is_recording())
    with autograd.predict_mode():
        print('predict', autograd.is_training())
    h = u * 2
    frozen = h.detach() * u
    out = (frozen + h).sum()
out.backward()
show('detach grad', gu)
# (No Dropout or BatchNorm gradient under record(train_mode=False) here: MXNet 1.9.1's Dropout
# backward reads an uninitialised mask in that mode, and its BatchNorm backward uses batch statistics.)
a = nd.array([3.0])
a.attach_grad()
with autograd.record(train_mode=False):
    print('train_mode=False', autograd.is_training())
    b = nd.softmax(nd.stack(a * a, a, nd.ones_like(a), axis=1))
    c = nd.sum(b * nd.array([[1., 2., 3.]]))
c.backward()
show('eval softmax', b)
show('eval softmax grad', a.grad)
