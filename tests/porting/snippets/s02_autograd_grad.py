import minigluon as mx
from minigluon import nd, autograd

x = nd.array([1.0, 2.0, -3.0])
x.attach_grad()
with autograd.record():
    y = x ** 3
dy = autograd.grad(y, [x], retain_graph=True)[0]
print('dy', dy.asnumpy().tolist(), 'x.grad untouched', x.grad.asnumpy().tolist())
y.backward()
print('backward after grad', x.grad.asnumpy().tolist())

a = nd.array([[1.0, 2.0], [3.0, 4.0]])
a.attach_grad()
with autograd.record():
    b = nd.sigmoid(a) * 2
g = autograd.grad(b, [a], head_grads=nd.ones_like(b) * 0.5)
print('grad list', type(g).__name__, len(g), ['%.6f' % v for v in g[0].asnumpy().ravel()])

print('is_recording', autograd.is_recording(), 'is_training', autograd.is_training())
with autograd.record():
    print('in record', autograd.is_recording(), autograd.is_training())
    with autograd.pause():
        print('paused', autograd.is_recording(), autograd.is_training())
    with autograd.predict_mode():
        print('predict', autograd.is_training())
with autograd.record(train_mode=False):
    print('record predict', autograd.is_recording(), autograd.is_training())
with autograd.train_mode():
    print('train_mode', autograd.is_training(), autograd.is_recording())

x = nd.array([0.5, -1.0])
x.attach_grad()
with autograd.record():
    y = x * 2
    w = y.detach() * x
w.backward(nd.array([1.0, 10.0]))
print('detach grad', x.grad.asnumpy().tolist())

x = nd.array([1.0, 2.0])
x.attach_grad()
with autograd.record():
    y = nd.exp(x)
    s = y.sum()
s.backward(retain_graph=True)
first = x.grad.copy()
s.backward()
print('retain', ['%.5f' % v for v in first.asnumpy()], ['%.5f' % v for v in x.grad.asnumpy()])

u = nd.array([3.0])
v = nd.array([4.0])
gu, gv = nd.zeros((1,)), nd.zeros((1,))
autograd.mark_variables([u, v], [gu, gv])
with autograd.record():
    r = nd.sqrt(u * u + v * v)
r.backward()
print('mark_variables', gu.asscalar(), gv.asscalar())
