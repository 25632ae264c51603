import minigluon as mx
import numpy as np
from minigluon import nd, gluon
from minigluon.gluon import nn

net = nn.HybridSequential()
net.add(nn.Dense(4, activation='relu', in_units=3), nn.BatchNorm(in_channels=4), nn.Dense(2, in_units=4))
net.initialize(mx.init.Xavier())
net.cast('float64')
print('dtypes', sorted(set(str(np.dtype(p.dtype)) for p in net.collect_params().values())))
out = net(nd.ones((2, 3), dtype='float64'))
print('out dtype', out.dtype, out.shape)
net.hybridize()
print('hybrid dtype', net(nd.ones((2, 3), dtype='float64')).dtype)
net.cast('float32')
print('back', net(nd.ones((2, 3))).dtype)

metric = mx.metric.create(['acc', 'ce'])
print(type(metric).__name__)
labels = [nd.array([0, 1, 1, 2])]
preds = [nd.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])]
metric.update(labels, preds)
names, values = metric.get()
print(names, ['%.6f' % v for v in values])
print([(n, '%.6f' % v) for n, v in metric.get_name_value()])
metric.reset()
print('reset', metric.get()[1])
single = mx.metric.create('top_k_accuracy', top_k=2)
single.update(labels, preds)
print(single.get()[0], '%.4f' % single.get()[1])
f1 = mx.metric.F1()
f1.update([nd.array([0, 1, 1, 0])], [nd.array([[0.3, 0.7], [0.2, 0.8], [0.9, 0.1], [0.6, 0.4]])])
print(f1.get()[0], '%.6f' % f1.get()[1])
mae = mx.metric.create('mae')
mae.update([nd.array([1.0, 2.0])], [nd.array([1.5, 1.0])])
print(mae.get())


def custom(label, pred):
    return float(np.abs(label - pred).max())


cm = mx.metric.np(custom, name='maxerr')
cm.update([nd.array([1.0, 2.0])], [nd.array([1.5, 4.0])])
print(cm.get())
comp = mx.metric.CompositeEvalMetric()
comp.add(mx.metric.Accuracy())
comp.add(mx.metric.TopKAccuracy(top_k=3))
comp.update(labels, preds)
print(comp.get())
loss_m = mx.metric.Loss()
loss_m.update(None, [nd.array([1.0, 2.0, 3.0])])
print(loss_m.get())
