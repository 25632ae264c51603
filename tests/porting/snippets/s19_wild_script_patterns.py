import os
import shutil
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.contrib.io import DataLoaderIter

# Patterns met running public MXNet 1.x Gluon scripts unchanged. (1) A recurrent cell of one's own,
# derived from HybridRecurrentCell, joining its gates with F._internal as MXNet's LSTMCell does.


class PeepholeFreeGRU(gluon.rnn.HybridRecurrentCell):
    def __init__(self, hidden_size, input_size, **kwargs):
        super().__init__(**kwargs)
        self._hidden_size = hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(3 * hidden_size, input_size))
        self.h2h_weight = self.params.get('h2h_weight', shape=(3 * hidden_size, hidden_size))

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}]

    def hybrid_forward(self, F, x, states, i2h_weight, h2h_weight):
        tag = 't%d_' % self._counter
        i2h = F.FullyConnected(x, i2h_weight, no_bias=True, num_hidden=3 * self._hidden_size)
        h2h = F.FullyConnected(states[0], h2h_weight, no_bias=True, num_hidden=3 * self._hidden_size)
        i_r, i_z, i_n = F.SliceChannel(i2h, num_outputs=3)
        h_r, h_z, h_n = F.SliceChannel(h2h, num_outputs=3)
        reset = F.sigmoid(F._internal._plus(i_r, h_r, name=tag + 'r'))
        update = F.sigmoid(i_z + h_z)
        fresh = F.tanh(i_n + F._internal._mul(reset, h_n))
        out = F._internal._plus((1 - update) * fresh, update * states[0], name=tag + 'out')
        return out, [out]


cell = PeepholeFreeGRU(3, 2, prefix='gru_')
cell.initialize(mx.init.Constant(0.2))
cell.i2h_weight.set_data(nd.array(np.linspace(-0.5, 0.5, 18).reshape(6, 3).T.reshape(9, 2)))
seq = nd.array(np.arange(12).reshape(2, 3, 2) / 10.0)
for hybrid in (False, True):
    if hybrid:
        cell.hybridize()
    outs, last = cell.unroll(3, seq, layout='NTC', merge_outputs=True)
    print('gru hybrid=%s' % hybrid, outs.shape, ' '.join('%.6f' % v for v in last[0].asnumpy().ravel()))

# (2) A Gluon DataLoader handed to iterator-style code through contrib.io.DataLoaderIter.
data = np.arange(10, dtype='float32').reshape(5, 2)
loader = gluon.data.DataLoader(gluon.data.ArrayDataset(data, np.arange(5)), batch_size=2)
it = DataLoaderIter(loader)
print('provide', it.provide_data[0].name, it.provide_data[0].shape, it.provide_label[0].name)
for epoch in range(2):
    it.reset()
    for batch in it:
        real = it.batch_size - batch.pad
        print('epoch', epoch, 'pad', batch.pad, batch.data[0][:real].asnumpy().tolist(),
              batch.label[0][:real].asnumpy().tolist())

# (3) Writing through a row of an array (k-means centroid updates: centroid[j][:] = mean).
points = nd.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.2, 2.8]])
centroid = nd.array([[0.5, 0.5], [2.0, 2.0]])
for _ in range(2):
    assign = nd.argmin(((points.expand_dims(0) - centroid.expand_dims(1)) ** 2).sum(axis=2), axis=0)
    for j in range(2):
        members = np.where(assign.asnumpy() == j)[0]
        centroid[j][:] = nd.mean(nd.take(points, nd.array(members)), axis=0)
print('centroids', centroid.asnumpy().round(6).tolist())

# (4) The serving pattern: the Symbol of a trained net plus collect_params().save, reloaded into a
# SymbolBlock that shares a ParameterDict, then load_params.
folder = tempfile.mkdtemp()
net = gluon.nn.HybridSequential()
with net.name_scope():
    net.add(gluon.nn.Dense(4, activation='relu'), gluon.nn.Dense(3))
net.initialize(mx.init.Constant(0.1))
net.hybridize()
x = nd.array([[1.0, -2.0, 0.5], [0.0, 1.0, 2.0]])
net(x)
net[1].weight.set_data(nd.array(np.linspace(-1, 1, 12).reshape(3, 4)))
net(mx.sym.var('data')).save(os.path.join(folder, 'model.json'))
net.collect_params().save(os.path.join(folder, 'model.params'))
served = gluon.SymbolBlock(mx.sym.softmax(mx.sym.load(os.path.join(folder, 'model.json'))),
                           mx.sym.var('data'), gluon.ParameterDict('model_'))
served.load_params(os.path.join(folder, 'model.params'), ctx=mx.cpu())
print('served', served(x).asnumpy().round(6).tolist(), sorted(served.collect_params().keys())[:2])
shutil.rmtree(folder)

# (5) SSD anchors that tie exactly in IoU with a box: MultiBoxTarget gives the box to the first.
fmaps = [nd.zeros((1, 1, s, s)) for s in (8, 4, 2, 1)]
sizes = [[.37, .447], [.54, .619], [.71, .79], [.88, .961]]
anchors = nd.concat(*[nd.contrib.MultiBoxPrior(f, sizes=s, ratios=(1, 2, .5))
                      for f, s in zip(fmaps, sizes)], dim=1)
label = nd.array([[[1, .5, .5, .9, .9], [0, .1, .6, .3, .9]]])
with autograd.record():
    _, mask, cls_target = nd.contrib.MultiBoxTarget(anchors, label, nd.zeros((1, 4, anchors.shape[1])))
print('tie', cls_target[0, 167].asscalar(), cls_target[0, 199].asscalar(), mask.sum().asscalar())
