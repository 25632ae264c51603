import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

# A "pretrained" feature extractor, exported the way model-zoo users shipped networks.
tmp = tempfile.mkdtemp()
base = nn.HybridSequential(prefix='base_')
with base.name_scope():
    base.add(nn.Dense(8, activation='relu', in_units=5), nn.Dense(6, activation='tanh', in_units=8))
base.initialize()
set_weights(base, seed=11, scale=0.5)
base.hybridize()
rng = np.random.RandomState(11)
x = nd.array(rng.randn(10, 5))
y = nd.array(rng.randint(0, 3, size=(10,)))
show('base features', base(x)[0])
base.export(os.path.join(tmp, 'base'))

# Re-import it, freeze it, put a new classifier head on top.
features = gluon.SymbolBlock.imports(os.path.join(tmp, 'base-symbol.json'), ['data'],
                                     os.path.join(tmp, 'base-0000.params'))
print('imported params', sorted(features.collect_params().keys()))
features.collect_params().setattr('grad_req', 'null')
head = nn.Dense(3, in_units=6, prefix='head_')
head.initialize()
set_weights(head, seed=12, scale=0.3)
head.collect_params().setattr('lr_mult', 10)
print('head lr_mult', [p.lr_mult for p in head.collect_params().values()])

net = nn.HybridSequential()
net.add(features, head)
net.hybridize()
params = net.collect_params()
print('all params', sorted(params.keys()))
print('grad_req', sorted((k, p.grad_req) for k, p in params.items()))
frozen_before = features.collect_params()['base_dense0_weight'].data().copy()
trainer = gluon.Trainer(params, 'sgd', {'learning_rate': 0.05, 'momentum': 0.5})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
acc = mx.metric.Accuracy()
for epoch in range(4):
    with autograd.record():
        out = net(x)
        loss = loss_fn(out, y)
    loss.backward()
    trainer.step(x.shape[0])
    acc.update([y], [out])
    print('epoch', epoch, 'loss %.6f' % loss.mean().asscalar(), acc.get())
diff = (features.collect_params()['base_dense0_weight'].data() - frozen_before).abs().sum()
print('frozen weight moved %.6f' % diff.asscalar())
show('head weight', head.weight.data())
show('head bias', head.bias.data())
show('predictions', net(x).argmax(axis=1))
