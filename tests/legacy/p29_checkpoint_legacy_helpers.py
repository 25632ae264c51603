import json
import os
import tempfile
import warnings

import minigluon as mx
import numpy as np
from minigluon import gluon, nd
from minigluon.gluon.data.dataloader import default_mp_batchify_fn
from _common import show

warnings.simplefilter('ignore')

# a Module-era checkpoint: symbol API graph, arg/aux dicts, reloaded into a SymbolBlock
tmp = tempfile.mkdtemp()
rng = np.random.RandomState(0)
net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
net = mx.sym.BatchNorm(net, fix_gamma=False, name='bn')
arg = {'fc_weight': nd.array(rng.uniform(-1, 1, (3, 4))), 'fc_bias': nd.array(rng.uniform(-1, 1, 3)),
       'bn_gamma': nd.array(rng.uniform(0.5, 1.5, 3)), 'bn_beta': nd.array(rng.uniform(-1, 1, 3))}
aux = {'bn_moving_mean': nd.array(rng.uniform(-1, 1, 3)),
       'bn_moving_var': nd.array(rng.uniform(0.5, 2, 3))}
mx.model.save_checkpoint(os.path.join(tmp, 'ck'), 5, net, arg, aux)
print('files', sorted(os.listdir(tmp)))
print('keys', list(nd.load(os.path.join(tmp, 'ck-0005.params'))))
sym, arg2, aux2 = mx.model.load_checkpoint(os.path.join(tmp, 'ck'), 5)
print('loaded', sorted(arg2), sorted(aux2), sym.list_outputs())
block = gluon.SymbolBlock(sym, mx.sym.var('data'))
params = block.collect_params()
for k, v in list(arg2.items()) + list(aux2.items()):
    params[k]._load_init(v, mx.cpu())
x = nd.array(rng.uniform(-1, 1, (2, 4)))
show('symbolblock', block(x))

# mx.base type tuples
print('integer_types', [isinstance(v, mx.base.integer_types) for v in (3, np.int32(3), np.int64(3), np.int16(3), 3.0)])
print('numeric_types', [isinstance(v, mx.base.numeric_types) for v in (3, 2.5, np.float16(1), np.bool_(1), '1')])
print('string_types', [isinstance(v, mx.base.string_types) for v in ('a', b'a', 1)])

# Context.default_ctx
print('default_ctx', mx.Context.default_ctx, mx.cpu(3).default_ctx)
with mx.cpu(1):
    print('in scope', mx.Context.default_ctx)
mx.Context.default_ctx = mx.cpu(2)
print('after set', mx.current_context(), nd.zeros(1).context)
with mx.cpu(4):
    pass
print('after scope', mx.current_context())
mx.Context.default_ctx = mx.cpu(0)

# engine bulk size (recorded only in minigluon)
print('bulk', mx.engine.set_bulk_size(8), mx.engine.set_bulk_size(0))
with mx.engine.bulk(4):
    print('inside bulk', mx.engine.set_bulk_size(4))
print('after bulk', mx.engine.set_bulk_size(0))

# runtime features: the names and the errors, not what this build has
features = mx.runtime.Features()
print('features', len(features), list(features)[:6], features is mx.runtime.Features())
print('feature_list', len(mx.runtime.feature_list()), type(mx.runtime.feature_list()[0]).__name__)
print('cuda agrees with num_gpus', features.is_enabled('cuda') == (mx.context.num_gpus() > 0))
print('repr', repr(features['CUDA'])[2:], str(features).startswith('['))
try:
    features.is_enabled('NO_SUCH_FEATURE')
except RuntimeError:
    print('unknown feature: RuntimeError')

# legacy nd.onehot_encode
out = nd.ones((4, 5)) * 7
res = nd.onehot_encode(nd.array([1, 4, -1, 2.7]), out)
print('onehot is out', res is out, out.dtype)
print('onehot', out.asnumpy().tolist())

# gluon.data and gluon.utils helpers
ds = gluon.data.ArrayDataset(np.arange(10), np.arange(10) * 2)
fs = gluon.data.FilterSampler(lambda s: s[0] % 3 == 0, ds)
print('filter', list(fs), len(fs), list(fs))
for data, label in gluon.data.DataLoader(ds, batch_size=2, sampler=fs):
    print('batch', data.asnumpy().tolist(), label.asnumpy().tolist())
batch = default_mp_batchify_fn([(nd.array([1, 2]), 1), (nd.array([3, 4]), 2)])
print('mp batch', [b.context for b in batch], [b.dtype for b in batch], batch[0].asnumpy().tolist())
print('mp numbers', default_mp_batchify_fn([1.5, 2]).dtype, default_mp_batchify_fn([1.5, 2]).context)
print('shape_is_known', [gluon.utils.shape_is_known(s) for s in ((2, 3), (2, 0), (), None, [4], (0, 5))])

# contrib.index_array and contrib.quadratic
x = nd.arange(24).reshape((2, 3, 4))
print('index_array', nd.contrib.index_array(x).shape, nd.contrib.index_array(x).dtype)
print('index_array axes', nd.contrib.index_array(x, axes=(2, -3))[1, 2].asnumpy().tolist())
y = nd.array([[1, 2], [-3, 0.5]])
y.attach_grad()
with mx.autograd.record():
    z = nd.contrib.quadratic(y, a=1.5, b=-2, c=4)
z.backward(nd.array([[1, 2], [3, 4]]))
show('quadratic', z)
show('quadratic grad', y.grad)
node = json.loads(mx.sym.contrib.quadratic(mx.sym.var('data'), a=1, b=2.5).tojson())['nodes'][1]
print('quadratic json', node['op'], node['name'], sorted(node['attrs'].items()))
node = json.loads(mx.sym.contrib.index_array(mx.sym.var('data'), axes=(1,)).tojson())['nodes'][1]
print('index_array json', node['op'], node['name'], sorted(node['attrs'].items()))
graph = mx.sym.contrib.index_array(mx.sym.var('data'))
print('infer', graph.infer_shape(data=(2, 3))[1], graph.infer_type(data='float32')[1])
