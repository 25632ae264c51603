import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

tmp = tempfile.mkdtemp()
net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Dense(6, activation='tanh', in_units=4), nn.BatchNorm(in_channels=6), nn.Dense(3, in_units=6))
net.initialize()
set_weights(net)
x = nd.array(np.linspace(-1, 1, 8).reshape(2, 4))
show('net', net(x))
net.save_parameters(os.path.join(tmp, 'net.params'))
print('keys', sorted(nd.load(os.path.join(tmp, 'net.params')).keys()))
net2 = nn.HybridSequential()
with net2.name_scope():
    net2.add(nn.Dense(6, activation='tanh'), nn.BatchNorm(), nn.Dense(3))
net2.load_parameters(os.path.join(tmp, 'net.params'))
show('reloaded', net2(x))
net.hybridize()
net(x)
net.export(os.path.join(tmp, 'model'), epoch=3)
print('export keys', sorted(nd.load(os.path.join(tmp, 'model-0003.params')).keys()))
imported = gluon.SymbolBlock.imports(os.path.join(tmp, 'model-symbol.json'), ['data'],
                                     os.path.join(tmp, 'model-0003.params'))
show('imported', imported(x))
