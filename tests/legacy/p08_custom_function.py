import minigluon as mx
import numpy as np
from minigluon import autograd, nd
from _common import show


class Softsign(autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x / (1 + nd.abs(x))

    def backward(self, dy):
        x, = self.saved_tensors
        return dy / (1 + nd.abs(x)) ** 2


x = nd.array([[-2., -0.5, 0.], [0.25, 1., 3.]])
x.attach_grad()
with autograd.record():
    y = Softsign()(x)
    z = (y * y).sum()
z.backward()
show('y', y)
show('grad', x.grad)
w = nd.array([1., 2., 3.])
w.attach_grad(grad_req='add')
for _ in range(2):
    with autograd.record():
        (w * w).sum().backward()
show('accumulated', w.grad)
