import minigluon as mx
import os
import tempfile
import numpy as np
from minigluon import nd

tmp = tempfile.mkdtemp()
x = nd.array([[1, 2], [3, 4]])
y = nd.arange(5, dtype='int32')
z = nd.ones((2, 1, 3), dtype='float64')
f1 = os.path.join(tmp, 'list.nd')
nd.save(f1, [x, y, z])
l = nd.load(f1)
print(type(l).__name__, len(l), [(a.shape, a.dtype) for a in l])
print(l[1].asnumpy().tolist())
f2 = os.path.join(tmp, 'dict.nd')
nd.save(f2, {'weight': x, 'idx': y})
d = nd.load(f2)
print(type(d).__name__, sorted(d.keys()), d['weight'].asnumpy().tolist())
f3 = os.path.join(tmp, 'single.nd')
nd.save(f3, x)
s = nd.load(f3)
print('single', type(s).__name__, len(s), s[0].shape)
f4 = os.path.join(tmp, 'u8.nd')
nd.save(f4, {'a': nd.array([1, 255], dtype='uint8'), 'h': nd.array([0.5], dtype='float16'),
             'scalar_like': nd.array([7.0])})
u = nd.load(f4)
print([(k, u[k].dtype, u[k].asnumpy().tolist()) for k in sorted(u)])
empty = os.path.join(tmp, 'empty.nd')
nd.save(empty, [])
print('empty', nd.load(empty))
print('size', os.path.getsize(f1), os.path.getsize(f2), os.path.getsize(f3))
try:
    nd.save(os.path.join(tmp, 'bad.nd'), {'a': np.ones(2)})
except Exception as e:
    print('bad save', type(e).__name__)
try:
    nd.save(os.path.join(tmp, 'bad2.nd'), [1, 2])
except Exception as e:
    print('bad save list', type(e).__name__)
import shutil
shutil.rmtree(tmp)
