import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show


class FocalLoss(gluon.loss.Loss):
    """Focal loss (Lin et al. 2017) with a per-class weight, written as users wrote custom losses."""

    def __init__(self, gamma=2.0, class_weight=None, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._gamma = gamma
        with self.name_scope():
            self.class_weight = self.params.get_constant('class_weight', class_weight)

    def hybrid_forward(self, F, pred, label, class_weight):
        logp = F.log_softmax(pred, axis=-1)
        logp_t = F.pick(logp, label, axis=-1, keepdims=True)
        p_t = F.exp(logp_t)
        focal = -F.power(1 - p_t, self._gamma) * logp_t
        alpha = F.pick(F.broadcast_mul(F.ones_like(pred), class_weight), label, axis=-1,
                       keepdims=True)
        loss = F.broadcast_mul(focal, alpha)
        # ignore samples labelled -1 by zeroing their loss
        loss = F.where(label.reshape((-1, 1)) >= 0, loss, F.zeros_like(loss))
        return F.mean(loss, axis=self._batch_axis, exclude=True)


rng = np.random.RandomState(12)
x = nd.array(rng.randn(12, 6))
label = nd.array([0, 1, 2, 3, 1, 2, 0, 3, 2, 1, -1, 0])
net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Dense(10, activation='softrelu'), nn.Dense(4))
net.initialize()
net(x)
set_weights(net, seed=12, scale=0.4)
loss_fn = FocalLoss(gamma=2.0, class_weight=nd.array([[1.0, 2.0, 0.5, 1.5]]))
loss_fn.initialize()
net.hybridize()
loss_fn.hybridize()
print('loss params', sorted(loss_fn.collect_params().keys()))
trainer = gluon.Trainer(net.collect_params(), 'adagrad', {'learning_rate': 0.1})
valid = nd.array([0, 1, 2, 3, 1, 2, 0, 3, 2, 1, 0])
for step in range(5):
    with autograd.record():
        loss = loss_fn(net(x), nd.clip(label, -1, 3))
    loss.backward()
    trainer.step(x.shape[0])
    show('step %d loss' % step, loss)
    print('mean loss %.6f' % loss.mean().asscalar())

out = net(x)[:11]
metric = mx.metric.CompositeEvalMetric()
metric.add(mx.metric.Accuracy())
metric.add(mx.metric.TopKAccuracy(top_k=2))
metric.add(mx.metric.CrossEntropy())
metric.update([valid], [nd.softmax(out)])
for name, value in zip(*metric.get()):
    print(name, '%.6f' % value)

# Binary task: is the class even? F1 and MCC want two-column probabilities.
binary = nd.stack(out[:, 0] + out[:, 2], out[:, 1] + out[:, 3], axis=1)
truth = (valid % 2 == 1)
for m in [mx.metric.F1(), mx.metric.MCC(), mx.metric.Accuracy()]:
    m.update([truth], [nd.softmax(binary)])
    print(m.get()[0], '%.6f' % m.get()[1])
reg = mx.metric.create(['mae', 'mse', 'rmse'])
reg.update([valid], [out.argmax(axis=1)])
print(reg.get())
