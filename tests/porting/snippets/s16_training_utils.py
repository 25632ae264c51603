import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import nn

x = nd.array(np.arange(12).reshape(6, 2))
parts = gluon.utils.split_and_load(x, [mx.cpu(0), mx.cpu(0)])
print('split', [p.shape for p in parts], [p.context for p in parts])
print('split_data', [p.shape for p in gluon.utils.split_data(x, 3)])
grads = [nd.array([3.0, 4.0]), nd.array([12.0])]
norm = gluon.utils.clip_global_norm(grads, 6.5)
print('clip', '%.6f' % norm, [g.asnumpy().round(6).tolist() for g in grads])
net = nn.Sequential()
net.add(nn.Dense(3, in_units=2, activation='relu'), nn.Dropout(0.5), nn.Dense(1, in_units=3))
net.initialize(mx.init.Constant(0.3))
print(net)
net.initialize(mx.init.One(), force_reinit=True)
print('reinit', net[0].weight.data().asnumpy().ravel().tolist())
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
with autograd.record():
    l1 = net(x).sum()
    l2 = (net(x) ** 2).mean()
autograd.backward([l1, l2])
trainer.step(6)
print('after step', ' '.join('%.6f' % v for v in net[2].weight.data().asnumpy().ravel()))
import tempfile, os, shutil
tmp = tempfile.mkdtemp()
trainer.save_states(os.path.join(tmp, 't.states'))
trainer.load_states(os.path.join(tmp, 't.states'))
print('states reloaded', trainer.learning_rate)
shutil.rmtree(tmp)
y = nd.zeros((2, 3))
y[:] = np.array([[1, 2, 3], [4, 5, 6]])
print('np assign', y.asnumpy().tolist())
z = nd.zeros((2, 3))
y.copyto(z)
print('copyto', z.asnumpy().tolist())
a = nd.array([[1, 2], [3, 4]])
print('broadcast_to', nd.broadcast_to(nd.array([[1], [2]]), shape=(2, 3)).asnumpy().tolist())
print('tile', nd.tile(a, reps=(1, 2)).shape, 'repeat', nd.repeat(a, repeats=2, axis=0).shape)
print('batch_dot', nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 4, 5))).shape,
      nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 5, 4)), transpose_b=True).shape)
print('gather_nd', nd.gather_nd(a, nd.array([[1, 0], [0, 1]])).asnumpy().tolist())
print('take', nd.take(a, nd.array([1, 0, 1])).asnumpy().tolist())
print('slice_axis', nd.slice_axis(a, axis=1, begin=1, end=2).asnumpy().tolist(),
      nd.slice(a, begin=(0, 1), end=(2, 2)).asnumpy().tolist())
print('dense flatten=False', nn.Dense(4, flatten=False, in_units=3).collect_params().keys().__len__())
d = nn.Dense(4, flatten=False)
d.initialize()
print(d(nd.ones((2, 5, 3))).shape, d.weight.shape)
print('softmax', nd.softmax(nd.array([[1, 2, 3]]), temperature=2.0).asnumpy().round(6).tolist())
print('log_softmax', ['%.5f' % v for v in nd.log_softmax(nd.array([1, 2, 3])).asnumpy()])
print('argmax_channel', nd.argmax_channel(a).asnumpy().tolist(), 'topk', nd.topk(nd.array([3, 1, 2]), k=2).asnumpy().tolist())
print('norm', nd.norm(a, ord=1, axis=1).asnumpy().tolist(), nd.L2Normalization(a).asnumpy().round(6).tolist())
