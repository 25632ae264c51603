import minigluon as mx
from minigluon import nd, autograd

x = nd.arange(24).reshape((2, 3, 4))
print('shape', x.shape, x.dtype.__name__ if hasattr(x.dtype, '__name__') else x.dtype)
print('x[1]', x[1].shape, x[1].asnumpy().ravel().tolist())
print('x[1,2]', x[1, 2].asnumpy().tolist())
print('x[:, 1:3, ::2]', x[:, 1:3, ::2].asnumpy().ravel().tolist())
print('x[-1, -1, -1]', x[-1, -1, -1].asnumpy().tolist())
print('fancy', x[[0, 1], [2, 0]].asnumpy().ravel().tolist())
idx = nd.array([1, 0, 1])
print('nd-index', x[idx].shape)
x[0, 1] = 7
x[1, :, 0] = nd.array([-1, -2, -3])
x[:, 2] += 100
print('after set', x.asnumpy().ravel().tolist())
y = nd.zeros((3, 2))
y[:] = 3
y[1] = nd.array([5, 6])
print('y', y.asnumpy().ravel().tolist())

# manual SGD with in-place updates, as in d2l's "linear regression from scratch"
true_w = nd.array([2, -3.4])
X = nd.array([[0.1, 0.2], [0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.0, 1.0], [1.0, 1.0]])
labels = nd.dot(X, true_w) + 4.2
w = nd.zeros((2, 1))
b = nd.zeros((1,))
for p in (w, b):
    p.attach_grad()
for epoch in range(5):
    for i in range(0, 6, 3):
        xb, yb = X[i:i + 3], labels[i:i + 3]
        with autograd.record():
            l = ((nd.dot(xb, w) + b - yb.reshape((-1, 1))) ** 2 / 2).sum()
        l.backward()
        for p in (w, b):
            p[:] = p - 0.1 * p.grad / 3
    print('epoch %d loss %.6f' % (epoch, (((nd.dot(X, w) + b - labels.reshape((-1, 1))) ** 2) / 2).mean().asscalar()))
print('w', w.asnumpy().ravel().tolist(), 'b', b.asscalar())
z = nd.ones((2, 2))
z += 1
z *= 3
z -= nd.array([[1, 2], [3, 4]])
z /= 2
print('z', z.asnumpy().ravel().tolist())
nd.elemwise_add(z, z, out=z)
print('out=', z.asnumpy().ravel().tolist())
print('reshape', nd.arange(12).reshape((3, -1)).shape,
      nd.zeros((2, 3, 4)).reshape((0, -1)).shape, nd.zeros((2, 3, 4)).reshape((-3, 4)).shape,
      nd.zeros((2, 3, 4)).reshape((-4, 1, 2, 0, 0)).shape)
print('T', nd.zeros((2, 5)).T.shape, 'expand', nd.zeros((3,)).expand_dims(0).shape, 'size', x.size, 'len', len(x))
