import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import nd
from _common import show

rng = np.random.RandomState(18)
x = nd.array(rng.randn(3, 4, 5))
scores = nd.array([[0.1, 0.9, 0.3, 0.7], [0.5, 0.2, 0.8, 0.4], [0.6, 0.0, 0.1, 0.95]])

# slicing and gathering
show('slice_axis', nd.slice_axis(x, axis=1, begin=1, end=3))
show('slice_axis neg', x.slice_axis(axis=2, begin=-2, end=None))
show('take rows', nd.take(scores, nd.array([2, 0, 2])))
show('take axis1 clip', nd.take(scores, nd.array([[0, 5], [-1, 1]]), axis=1, mode='clip'))
show('take wrap', nd.take(scores, nd.array([4, -1]), axis=1, mode='wrap'))
show('pick', nd.pick(scores, nd.array([1, 2, 3]), axis=1))
show('pick keepdims', scores.pick(nd.array([0, 3, 1, 2]), axis=0, keepdims=True))

# batched matrix products
a = nd.array(rng.randn(2, 3, 4))
b = nd.array(rng.randn(2, 4, 2))
show('batch_dot', nd.batch_dot(a, b))
show('batch_dot transpose_a', nd.batch_dot(a, a, transpose_a=True)[1])
show('dot transpose_b', nd.dot(scores, scores, transpose_b=True))

# sorting and top-k
show('topk indices', nd.topk(scores, k=2))
val, idx = nd.topk(scores, axis=1, k=2, ret_typ='both')
show('topk value', val)
show('topk idx', idx)
show('topk mask', nd.topk(scores, k=1, ret_typ='mask', axis=0))
show('topk ascending', nd.topk(scores, k=3, is_ascend=True, ret_typ='value'))
show('argsort', nd.argsort(scores, axis=-1, is_ascend=False))
show('sort', nd.sort(scores, axis=0))
show('argmax', scores.argmax(axis=1))
show('argmin', nd.argmin(scores, axis=0))

# one_hot, where, clip, norm
labels = nd.array([0, 3, 1])
show('one_hot', nd.one_hot(labels, 4, on_value=2.0, off_value=-1.0))
cond = scores > 0.5
show('where', nd.where(cond, scores, -scores))
show('clip', nd.clip(x[0], -0.5, 0.5))
print('norm %.6f' % nd.norm(x).asscalar())
show('norm axis', nd.norm(x, ord=1, axis=(1, 2)))
show('L2 keepdims', x.norm(axis=2, keepdims=True)[1])

# broadcasting and shape tricks
row = nd.array([1., 2., 3.])
show('broadcast_to', nd.broadcast_to(row.reshape((1, 3)), shape=(2, 3)))
show('broadcast_axis', nd.broadcast_axis(row.reshape((3, 1)), axis=1, size=2))
print('expand_dims', nd.expand_dims(x, axis=1).shape, x.expand_dims(-1).shape)
print('reshape 0 -1', x.reshape((0, -1)).shape)
print('reshape -2', x.reshape((-2,)).shape, x.reshape((3, -2)).shape)
print('reshape -3', x.reshape((-3, 0)).shape, x.reshape((0, -3)).shape)
print('reshape -4', x.reshape((-4, 1, 3, 0, 0)).shape, x.reshape((0, -4, 2, -1, 0)).shape)
print('reshape reverse', x.reshape((-1, 0), reverse=True).shape)
print('reshape_like', nd.reshape_like(nd.arange(12), scores).shape)
print('squeeze', nd.ones((1, 3, 1)).squeeze().shape, nd.squeeze(nd.ones((1, 3, 1)), axis=0).shape)
st = nd.stack(row, row * 2, row * 3, axis=1)
show('stack', st)
cat = nd.concat(scores, scores[:, :1], dim=1)
print('concat', cat.shape)
parts = nd.split(x, num_outputs=5, axis=2)
print('split', len(parts), parts[0].shape)
sq = nd.split(x, num_outputs=4, axis=1, squeeze_axis=True)
print('split squeeze', sq[3].shape)
show('split value', sq[2][1])
show('tile', nd.tile(row, reps=(2, 2)))
show('repeat', nd.repeat(row, repeats=2))
show('flip', nd.flip(scores, axis=1))
show('transpose', nd.transpose(x, axes=(2, 0, 1))[4])
show('swapaxes', nd.swapaxes(x, 0, 2)[1])

# dtypes, scalars, contexts
ints = (scores * 10).astype('int32')
print('astype', ints.dtype, ints.asnumpy().tolist())
print('float16', (scores * 3).astype(np.float16).dtype)
print('asscalar', nd.array([2.5]).asscalar(), type(nd.array([7], dtype='int32').asscalar()).__name__)
moved = x.as_in_context(mx.cpu(0))
print('context', moved.context, x.copyto(mx.cpu()).context, moved.shape == x.shape)
print('size ndim', x.size, x.ndim, len(x))
show('arange', nd.arange(2, 8, 1.5))
show('linspace', nd.linspace(0, 1, 5))
show('eye', nd.eye(3, k=1))
show('full', nd.full((2, 2), 7))

# save/load lists and dicts
tmp = tempfile.mkdtemp()
nd.save(os.path.join(tmp, 'list.nd'), [scores, ints])
loaded = nd.load(os.path.join(tmp, 'list.nd'))
print('list', type(loaded).__name__, len(loaded), loaded[1].dtype)
show('list value', loaded[0])
nd.save(os.path.join(tmp, 'dict.nd'), {'w': x, 'b': row})
d = nd.load(os.path.join(tmp, 'dict.nd'))
print('dict', sorted(d.keys()), d['w'].shape)
show('dict value', d['b'])
