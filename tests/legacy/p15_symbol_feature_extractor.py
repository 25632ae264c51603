import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import gluon, nd
from _common import show

# Build a classifier with the symbol API, as MXNet 1.x Module-era code did.
data = mx.sym.var('data')
conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=3, pad=(1, 1), name='conv1')
relu = mx.sym.Activation(conv, act_type='relu', name='relu1')
pool = mx.sym.Pooling(relu, kernel=(2, 2), stride=(2, 2), pool_type='avg', name='pool1')
fc1 = mx.sym.FullyConnected(mx.sym.flatten(pool), num_hidden=5, name='fc1')
fc2 = mx.sym.FullyConnected(mx.sym.tanh(fc1, name='tanh1'), num_hidden=3, name='fc2')
net = mx.sym.softmax(fc2, name='prob')
print(net.list_arguments())
arg_shapes, out_shapes, _ = net.infer_shape(data=(2, 1, 6, 6))
print(dict(zip(net.list_arguments(), arg_shapes)))
print(out_shapes)

# JSON round trip through a file
tmp = tempfile.mkdtemp()
net.save(os.path.join(tmp, 'clf-symbol.json'))
loaded = mx.sym.load(os.path.join(tmp, 'clf-symbol.json'))
print('same graph', loaded.tojson() == net.tojson())

# Parameters from a seeded NumPy generator, saved the way Module checkpoints were ('arg:' prefix)
rng = np.random.RandomState(15)
params = {name: nd.array(rng.uniform(-0.4, 0.4, size=shape))
          for name, shape in zip(net.list_arguments(), arg_shapes) if name != 'data'}
nd.save(os.path.join(tmp, 'clf-0000.params'), {'arg:' + k: v for k, v in params.items()})
x = nd.array(rng.rand(2, 1, 6, 6))

internals = loaded.get_internals()
print([o for o in internals.list_outputs() if o.endswith('_output')])
features = internals['fc1_output']
both = mx.sym.Group([internals['pool1_output'], features])
print(both.list_outputs())
extractor = gluon.SymbolBlock(features, mx.sym.var('data'))
extractor.collect_params().load(os.path.join(tmp, 'clf-0000.params'), ignore_extra=True)
show('fc1 features', extractor(x))
group_block = gluon.SymbolBlock(both, mx.sym.var('data'))
group_block.collect_params().load(os.path.join(tmp, 'clf-0000.params'), ignore_extra=True)
pooled, feats = group_block(x)
print('group outputs', pooled.shape, feats.shape)
show('pooled channel sums', pooled.sum(axis=(2, 3)))
full = gluon.SymbolBlock.imports(os.path.join(tmp, 'clf-symbol.json'), ['data'],
                                 os.path.join(tmp, 'clf-0000.params'))
show('probabilities', full(x))
print('rows sum to one', np.round(full(x).sum(axis=1).asnumpy(), 5).tolist())

# eval a symbol directly with bound NDArrays
ex = (fc1 * 2 + 1).eval(data=x, **{k: v for k, v in params.items() if k.startswith('fc1') or
                                   k.startswith('conv1')})
show('eval', ex[0])
