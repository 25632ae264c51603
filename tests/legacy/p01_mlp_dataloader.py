import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(1)
X = rng.randn(64, 10).astype('float32')
y = (X[:, 0] + X[:, 1] > 0).astype('float32')
loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=16, shuffle=False)
net = nn.Sequential()
with net.name_scope():
    net.add(nn.Dense(16, activation='relu'), nn.Dense(2))
net.initialize()
net(nd.zeros((1, 10)))
set_weights(net)
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
metric = mx.metric.Accuracy()
for epoch in range(3):
    total = 0.0
    for data, label in loader:
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(data.shape[0])
        total += loss.sum().asscalar()
    print('epoch', epoch, 'loss %.6f' % (total / 64))
for data, label in loader:
    metric.update([label], [net(data)])
print('accuracy', metric.get())
show('first logits', net(nd.array(X[:2])))
