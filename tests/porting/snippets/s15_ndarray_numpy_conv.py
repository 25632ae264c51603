import minigluon as mx
import numpy as np
from minigluon import nd

a = nd.array([1, 2, 3])
print(a.dtype, nd.array(np.arange(3)).dtype, nd.array(np.ones(2, dtype='float64')).dtype,
      nd.array([1.5], dtype='float64').dtype, nd.array(nd.array([1], dtype='int32')).dtype)
print(nd.array([[True, False]]).dtype, nd.array(np.array([1, 2], dtype='int64')).dtype)
n = a.asnumpy()
n[0] = 100
print('copy', a.asnumpy().tolist(), type(n).__name__, n.dtype)
print(a)
print(repr(nd.array([[1.5, 2.0]])))
print(nd.zeros((2, 3), dtype='int32'))
print(a.asscalar() if a.size == 1 else 'not scalar', nd.array([4.5]).asscalar(), type(nd.array([4.5]).asscalar()).__name__)
print(bool(nd.array([1])), bool(nd.array([0])))
try:
    bool(nd.array([1, 2]))
except Exception as e:
    print('bool multi', type(e).__name__)
try:
    nd.array([1, 2]).asscalar()
except Exception as e:
    print('asscalar multi', type(e).__name__)
print((a == 2).asnumpy().tolist(), (a == 2).dtype, (a > 1).asnumpy().tolist(), (2 < a).asnumpy().tolist())
print((a + 1).asnumpy().tolist(), (1 - a).asnumpy().tolist(), (2 ** a).asnumpy().tolist(), (a / 2).asnumpy().tolist(), (a % 2).asnumpy().tolist())
print(-a, abs(nd.array([-1.5])).asnumpy().tolist())
b = a.astype('int32')
print(b.dtype, (b / 2).asnumpy().tolist(), b.astype(np.float16).dtype)
print(nd.array([[1, 2], [3, 4]]).asnumpy().sum(axis=0).tolist())
print(a.context, a.ctx, a.as_in_context(mx.cpu()).context, a.copyto(mx.cpu()).shape, mx.cpu(), mx.current_context())
print(a.shape, a.ndim, a.size, a.stype, len(a))
print([float(v.asscalar()) for v in a], [v.shape for v in a])
print(nd.concat(a, a, dim=0).shape, nd.stack(a, a).shape, nd.concatenate([a, a]).shape)
print(nd.array([1, 2]).tostype('default').stype)
s = nd.array([[1, 2], [3, 4]]).sum(axis=1, keepdims=True)
print(s.asnumpy().tolist(), nd.array([[1, 2], [3, 4]]).max().asscalar(), nd.array([[1, 2], [3, 4]]).argmax(axis=1).asnumpy().tolist())
print(nd.array([[1, 2], [3, 4]]).norm().asscalar(), nd.array([3, 1, 2]).sort().asnumpy().tolist(), nd.array([3, 1, 2]).argsort().asnumpy().tolist())
print(nd.full((2,), 7).asnumpy().tolist(), nd.ones_like(a).asnumpy().tolist(), nd.linspace(0, 1, 5).asnumpy().tolist())
print(nd.eye(2).asnumpy().tolist(), nd.arange(2, 8, 2).asnumpy().tolist(), nd.empty((2, 2)).shape)
print(a.flatten().shape, nd.zeros((2, 3, 4)).flatten().shape, a.clip(1.5, 2.5).asnumpy().tolist(), a.square().asnumpy().tolist())
print(nd.waitall(), a.wait_to_read())
