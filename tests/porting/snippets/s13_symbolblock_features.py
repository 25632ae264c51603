import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import nn

net = nn.HybridSequential(prefix='model_')
with net.name_scope():
    net.add(nn.Conv2D(4, kernel_size=3, padding=1, activation='relu'))
    net.add(nn.MaxPool2D())
    net.add(nn.Flatten())
    net.add(nn.Dense(6, activation='relu'))
    net.add(nn.Dense(2))
net.initialize()
x = nd.array(np.random.RandomState(0).rand(2, 1, 6, 6))
net(x)
rng = np.random.RandomState(3)
for name in sorted(net.collect_params().keys()):
    p = net.collect_params()[name]
    p.set_data(nd.array(rng.uniform(-0.5, 0.5, p.shape)))
net.hybridize()
full = net(x)
data = mx.sym.var('data')
sym = net(data)
internals = sym.get_internals()
names = [n for n in internals.list_outputs() if n.endswith('_output')]
print(names)
feat_sym = internals['model_dense0_relu_fwd_output']
extractor = gluon.SymbolBlock(feat_sym, data, params=net.collect_params())
feats = extractor(x)
print('features', feats.shape, ' '.join('%.6f' % v for v in feats.asnumpy().ravel()))
print('extractor params', sorted(extractor.collect_params().keys()))
both = gluon.SymbolBlock([feat_sym, sym], data, params=net.collect_params())
f2, o2 = both(x)
print('two outputs', f2.shape, o2.shape, float(abs(o2 - full).max().asscalar()) < 1e-6)
pool = internals['model_pool0_fwd_output']
pooled = gluon.SymbolBlock(pool, data, params=net.collect_params())(x)
print('pool', pooled.shape, '%.6f' % pooled.sum().asscalar())
head = nn.Dense(3, in_units=6, prefix='head_')
head.initialize(mx.init.Constant(0.1))
with autograd.record():
    out = head(extractor(x))
    out.sum().backward()
print('head grad', '%.6f' % head.weight.grad().sum().asscalar(),
      'shared grad', '%.6f' % net[3].weight.grad().sum().asscalar())
