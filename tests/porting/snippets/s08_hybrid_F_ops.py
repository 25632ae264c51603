import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import nn


class MaskedCE(gluon.HybridBlock):
    def __init__(self, num_classes, **kw):
        super(MaskedCE, self).__init__(**kw)
        self.num_classes = num_classes
        with self.name_scope():
            self.fc = nn.Dense(num_classes, flatten=False)

    def hybrid_forward(self, F, x, label, mask):
        logits = self.fc(x)
        logp = F.log_softmax(logits, axis=-1)
        picked = F.pick(logp, label, axis=-1)
        oh = F.one_hot(label, self.num_classes)
        alt = F.sum(logp * oh, axis=-1)
        nll = F.where(mask > 0, -picked, F.zeros_like(picked))
        ce = F.softmax_cross_entropy(logits, label)
        return nll, alt, ce, F.argmax(logits, axis=-1), F.topk(logits, k=2, ret_typ='indices')


net = MaskedCE(4)
net.initialize()
x = nd.array(np.random.RandomState(0).randn(5, 3))
label = nd.array([0, 3, 1, 2, 3])
mask = nd.array([1, 1, 0, 1, 0])
net(x, label, mask)
rng = np.random.RandomState(1)
for name in sorted(net.collect_params().keys()):
    p = net.collect_params()[name]
    p.set_data(nd.array(rng.uniform(-1, 1, p.shape)))
print(sorted(net.collect_params().keys()))
eager = net(x, label, mask)
for name, v in zip(['nll', 'alt', 'ce', 'argmax', 'topk'], eager):
    print(name, v.shape, ' '.join('%.6f' % a for a in v.asnumpy().ravel()))
net.hybridize()
hyb = net(x, label, mask)
print('hybrid same', [float(abs(a - b).max().asscalar()) < 1e-6 for a, b in zip(eager, hyb)])
with autograd.record():
    nll = net(x, label, mask)[0]
    total = nll.sum()
total.backward()
print('grad w', ' '.join('%.6f' % a for a in net.fc.weight.grad().asnumpy().ravel()))
print('where', nd.where(nd.array([1, 0, 1]), nd.array([1, 2, 3]), nd.array([-1, -2, -3])).asnumpy().tolist())
print('pick keepdims', nd.pick(nd.array([[1, 2], [3, 4]]), nd.array([1, 0]), keepdims=True).asnumpy().tolist())
print('pick wrap', nd.pick(nd.array([[1, 2], [3, 4]]), nd.array([3, -1]), mode='wrap').asnumpy().tolist())
print('sce', nd.softmax_cross_entropy(nd.array([[1, 2, 3], [1, 1, 1]]), nd.array([2, 0])).asnumpy().tolist())
