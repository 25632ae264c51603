import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from _common import show


class ScaleShift(gluon.HybridBlock):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.scale = self.params.get('scale', shape=(1, units), init=mx.init.One())
            self.shift = self.params.get('shift', shape=(1, units), init=mx.init.Zero())

    def hybrid_forward(self, F, x, scale, shift):
        y = F.broadcast_mul(x, scale)
        y = F.broadcast_add(y, shift)
        return F.broadcast_add(F.relu(y), F.sum(x, axis=1, keepdims=True) * 0.5)


net = ScaleShift(5)
net.initialize()
print(net.prefix, sorted(net.collect_params().keys()))
net.scale.set_data(nd.array([[1., -2., 3., 0.5, 1.]]))
net.shift.set_data(nd.array([[0.1, 0.2, -0.3, 0., 1.]]))
x = nd.array(np.arange(10).reshape(2, 5) / 10.0)
eager = net(x)
show('eager', eager)
net.hybridize()
show('hybrid', net(x))
x.attach_grad()
with autograd.record():
    y = net(x)
y.backward()
show('x grad', x.grad)
show('scale grad', net.scale.grad())
