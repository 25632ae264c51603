# MXNet 1.x's own tutorials, shrunk: getting-started/crash-course (manipulate data with ndarray,
# create a network, autograd, train, predict, use GPUs with the mx.cpu() fallback and data
# parallelism over two CPU contexts), packages/ndarray (intro, operations, contexts, the NumPy
# gotchas) and packages/autograd. FashionMNIST is replaced by small synthetic uint8 images, the
# random draws by NumPy RandomState values, the pretrained ResNet-50 (a download) by the LeNet
# just trained, and the weights come from an initializer seeded by parameter name (MXNet 1.9.1 with
# MKL-DNN refuses set_data on a convolution weight that has been used).
import math
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, image, nd
from minigluon.gluon import nn
from minigluon.gluon.data.vision import transforms
from _common import named_uniform, show

rng = np.random.RandomState(40)
tmp = tempfile.mkdtemp()


SeededInit = named_uniform(mx)

# ---------------------------------------------------------------- crash course 1: ndarray
print(nd.array(((1, 2, 3), (5, 6, 7))))
x = nd.ones((2, 3))
print(x)
y = nd.array(rng.uniform(-1, 1, (2, 3)))
print(y)
x = nd.full((2, 3), 2.0)
print(x)
print((x.shape, x.size, x.dtype))
print(x * y)
show('y.exp()', y.exp())
show('nd.dot(x, y.T)', nd.dot(x, y.T))
print(y[1, 2])
print(y[:, 1:3])
y[:, 1:3] = 2
print(y)
y[1:2, 0:2] = 4
print(y)
a = x.asnumpy()
print((type(a), a))
print(nd.array(a))

# ---------------------------------------------------------------- crash course 2: create a network
layer = nn.Dense(2)
print(layer)
layer.initialize(SeededInit(0.7))
x = nd.array(rng.uniform(-1, 1, (3, 4)))
show('layer(x)', layer(x))
print(layer)
print(layer.weight.data())

net = nn.Sequential()
net.add(nn.Conv2D(channels=6, kernel_size=5, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=3, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Dense(120, activation="relu"),
        nn.Dense(84, activation="relu"),
        nn.Dense(10))
print(net)
net.initialize(SeededInit())
x = nd.array(rng.uniform(size=(4, 1, 14, 14)))
y = net(x)
print(y.shape)
show('lenet out', y)
print((net[0].weight.data().shape, net[5].bias.data().shape))
print(net)


class MixMLP(nn.Block):
    def __init__(self, **kwargs):
        super(MixMLP, self).__init__(**kwargs)
        self.blk = nn.Sequential()
        self.blk.add(nn.Dense(3, activation='relu'),
                     nn.Dense(4, activation='relu'))
        self.dense = nn.Dense(5)

    def forward(self, x):
        y = nd.relu(self.blk(x))
        show('relu(blk(x))', y)
        return self.dense(y)


net = MixMLP()
print(net)
net.initialize(SeededInit(0.5))
x = nd.array(rng.uniform(size=(2, 2)))
show('mixmlp', net(x))
print(net.blk[1].weight.data())

# ---------------------------------------------------------------- crash course 3: autograd
x = nd.array([[1, 2], [3, 4]])
x.attach_grad()
with autograd.record():
    y = 2 * x * x
y.backward()
print(x.grad)


def f(a):
    b = a * 2
    while b.norm().asscalar() < 1000:
        b = b * 2
    if b.sum().asscalar() >= 0:
        c = b[0]
    else:
        c = b[1]
    return c


for values in ([0.3, 0.8], [-0.7, 0.2]):
    a = nd.array(values)
    a.attach_grad()
    with autograd.record():
        c = f(a)
    c.backward()
    print([a.grad, c / a])

# ---------------------------------------------------------------- crash course 4: train
text_labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']


def fake_fashion(n, seed):
    r = np.random.RandomState(seed)
    labels = r.randint(0, 10, size=n)
    images = r.randint(0, 60, size=(n, 14, 14, 1))
    for i, lab in enumerate(labels):       # a bright band whose row says the class
        images[i, lab:lab + 4, :, 0] += 150
    return gluon.data.ArrayDataset(nd.array(images, dtype='uint8'), labels.astype('int32'))


mnist_train = fake_fashion(48, 1)
X, y = mnist_train[0]
print('X shape: ', X.shape, 'X dtype', X.dtype, 'y:', y)
X, y = mnist_train[0:6]
print(type(X).__name__, len(X), [text_labels[int(yi)] for yi in y])
transformer = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize(0.13, 0.31)])
mnist_train = mnist_train.transform_first(transformer)
batch_size = 16
np.random.seed(4)
train_data = gluon.data.DataLoader(mnist_train, batch_size=batch_size, shuffle=True, num_workers=2)
for data, label in train_data:
    print(data.shape, label.shape, data.dtype, label.dtype)
    break
mnist_valid = fake_fashion(20, 2)
valid_data = gluon.data.DataLoader(mnist_valid.transform_first(transformer),
                                   batch_size=batch_size, num_workers=2)

net = nn.Sequential()
net.add(nn.Conv2D(channels=6, kernel_size=5, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=3, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Flatten(),
        nn.Dense(120, activation="relu"),
        nn.Dense(84, activation="relu"),
        nn.Dense(10))
net.initialize(init=SeededInit(0.2))
softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})


def acc(output, label):
    return (output.argmax(axis=1) == label.astype('float32')).mean().asscalar()


for epoch in range(3):
    train_loss, train_acc, valid_acc = 0., 0., 0.
    for data, label in train_data:
        with autograd.record():
            output = net(data)
            loss = softmax_cross_entropy(output, label)
        loss.backward()
        trainer.step(batch_size)
        train_loss += loss.mean().asscalar()
        train_acc += acc(output, label)
    for data, label in valid_data:
        valid_acc += acc(net(data), label)
    print("Epoch %d: loss %.4f, train acc %.3f, test acc %.3f" % (
        epoch, train_loss / len(train_data), train_acc / len(train_data),
        valid_acc / len(valid_data)))
net.save_parameters(os.path.join(tmp, 'net.params'))

# ---------------------------------------------------------------- crash course 5: predict
net = nn.Sequential()
net.add(nn.Conv2D(channels=6, kernel_size=5, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=3, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Flatten(),
        nn.Dense(120, activation="relu"),
        nn.Dense(84, activation="relu"),
        nn.Dense(10))
net.load_parameters(os.path.join(tmp, 'net.params'))
X, y = mnist_valid[:6]
preds = []
for x in X:
    x = transformer(x).expand_dims(axis=0)
    pred = net(x).argmax(axis=1)
    preds.append(pred.astype('int32').asscalar())
print('truth', [text_labels[int(yi)] for yi in y])
print('preds', [text_labels[p] for p in preds])

# the model-zoo part of the tutorial, on a float image of our own: resize_short, center_crop,
# then mean/std normalisation, softmax and topk
x = nd.array(rng.uniform(0, 255, size=(20, 28, 1)))
x = image.resize_short(x, 16)
print('resize_short', x.shape)
x, _ = image.center_crop(x, (14, 14))
print('center_crop', x.shape, _)


def transform(data):
    data = data.transpose((2, 0, 1)).expand_dims(axis=0)
    rgb_mean = nd.array([0.485]).reshape((1, 1, 1, 1))
    rgb_std = nd.array([0.229]).reshape((1, 1, 1, 1))
    return (data.astype('float32') / 255 - rgb_mean) / rgb_std


prob = net(transform(x)).softmax()
idx = prob.topk(k=5)[0]
for i in idx:
    i = int(i.asscalar())
    print('With prob = %.5f, it contains %s' % (prob[0, i].asscalar(), text_labels[i]))

# ---------------------------------------------------------------- crash course 6: use GPUs (or not)
ctx = mx.gpu() if mx.context.num_gpus() else mx.cpu()
print('num_gpus', mx.context.num_gpus(), ctx)
x = nd.ones((3, 4), ctx=ctx)
print(x)
print(x.copyto(mx.cpu(0)).context)
y = nd.array(rng.uniform(size=(3, 4)), ctx=ctx)
print(x + y)
net.load_parameters(os.path.join(tmp, 'net.params'), ctx=ctx)
x = nd.array(rng.uniform(size=(1, 1, 14, 14)), ctx=ctx)
show('on ctx', net(x))

devices = [mx.cpu(0), mx.cpu(1)]
net.collect_params().initialize(SeededInit(0.2), force_reinit=True, ctx=devices)
print(net[0].weight.list_ctx())
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
for epoch in range(2):
    train_loss = 0.
    for data, label in train_data:
        data_list = gluon.utils.split_and_load(data, devices)
        label_list = gluon.utils.split_and_load(label, devices)
        with autograd.record():
            losses = [softmax_cross_entropy(net(X), y) for X, y in zip(data_list, label_list)]
        for l in losses:
            l.backward()
        trainer.step(batch_size)
        train_loss += sum([l.sum().asscalar() for l in losses])
    print("Epoch %d: loss %.4f" % (epoch, train_loss / len(train_data) / batch_size))
show('replica 0', net[5].weight.data(mx.cpu(0))[0])
show('replica 1', net[5].weight.data(mx.cpu(1))[0])

# ---------------------------------------------------------------- packages/ndarray: intro
x = nd.array([1, 2, 3])
print(x)
y = nd.array([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]])
print(y)
x = nd.empty((3, 3))
print(x.shape, x.dtype)
x = nd.full((3, 3), 7)
print(x)
print(nd.zeros((3, 10)))
print(nd.ones((3, 4)))
y = nd.random_normal(0, 1, shape=(3, 4))
print(y.shape, y.dtype, y.context)
z = nd.zeros_like(y)
print(z)
print(y.shape, y.size, y.dtype)
a = nd.array([1, 2, 3])
b = nd.array([1, 2, 3], dtype=np.int32)
c = nd.array([1.2, 2.3], dtype=np.float16)
print((a.dtype, b.dtype, c.dtype))
print(c)
print(y.context)

# ---------------------------------------------------------------- packages/ndarray: operations
x = nd.ones((3, 4))
y = nd.array(rng.normal(0, 1, size=(3, 4)))
print('x=', x)
print('y=', y)
x = x + y
print('x = x + y, x=', x)
x = nd.array([1, 2, 3])
y = nd.array([2, 2, 2])
print(x * y)
show('nd.exp(x)', nd.exp(x))
print(nd.dot(x, y.T))
before = id(y)
y = y + x
print('after y=y+x, y=', y, 'same id:', id(y) == before)
z = nd.zeros_like(x)
before = id(z)
z[:] = x + y
print('z[:] = x + y, z=', z, 'same id:', id(z) == before)
nd.elemwise_add(x, y, out=z)
print('after nd.elemwise_add(x, y, out=z), z=', z, 'same id:', id(z) == before)
before = id(x)
x += y
print('x=', x, 'same id:', id(x) == before)
x = nd.array([1, 2, 3])
print('slicing the 2nd and 3rd elements, s=', x[1:3])
x = nd.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
print('slicing the 2nd and 3rd rows, s=', x[1:3])
x[2] = 9.0
print('replaced entire row with x[2] = 9.0, x=', x)
x[0, 2] = 9.0
print('replaced specific element with x[0,2] = 9.0, x=', x)
x[1:2, 1:3] = 5.0
print('replaced range of elements with x[1:2,1:3] = 5.0, x=', x)
x = nd.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
print('plucking specific elements with x[1:2,1:3]', x[1:2, 1:3])
print('first column with x[:,:1]', x[:, :1])
print('first row with x[:1,:]', x[:1, :])
print('last column with x[:,3:]', x[:, 3:])
print('last row with x[2:,:]', x[2:, :])
x = nd.ones(shape=(3, 6))
y = nd.arange(6)
print('y = ', y)
print('x + y = ', x + y)
try:                                     # the tutorial's own mistake: 6 values into (3, 1)
    y = y.reshape((3, 1))
except ValueError as e:
    print('reshape (6,) to (3, 1) raises a ValueError:', 'size 6' in str(e))
y = nd.arange(3).reshape((3, 1))
print('y = ', y)
print('x + y = ', x + y)
y = nd.arange(6).reshape((3, 2))
print('y = ', y)
a = x.asnumpy()
print(type(a), a.dtype, a.shape)
y = nd.array(a)
print(id(a) != id(y), (y == x).min().asscalar())

# ---------------------------------------------------------------- packages/ndarray: contexts
z = nd.ones(shape=(3, 3), ctx=ctx)
print(z)
x = nd.array(rng.uniform(size=(3, 3)))
x_gpu = x.copyto(ctx)
print(x_gpu)
print(x_gpu + z)
before = id(z)
z = z.copyto(ctx)
print('copyto makes a new array:', id(z) != before)
before = id(z)
z = z.as_in_context(ctx)
print('as_in_context on the same context is a no-op:', id(z) == before)
print(z)

# ---------------------------------------------------------------- packages/ndarray: NumPy gotchas
np_y = np.full_like(a=np.arange(6, dtype=int), fill_value=10)
nd_y = nd.ones(shape=(6,)) * 10
print(np.array_equal(np_y, nd_y.asnumpy()))


def pad_array(data, max_length):
    data_expanded = data.reshape(1, 1, 1, data.shape[0])
    data_padded = nd.pad(data_expanded, mode='constant',
                         pad_width=[0, 0, 0, 0, 0, 0, 0, max_length - data.shape[0]],
                         constant_value=0)
    return data_padded.reshape(max_length)


print(pad_array(nd.array([1, 2, 3]), max_length=10))


class LossBuffer(object):
    def __init__(self):
        self._loss = None

    def new_loss(self, loss):
        ret = self._loss
        self._loss = loss
        return ret

    @property
    def loss(self):
        return self._loss


net = gluon.nn.Dense(10, in_units=20)
ce = gluon.loss.SoftmaxCELoss()
net.initialize(SeededInit(0.3))
data = nd.array(rng.uniform(size=(64, 20)))
label = nd.array(rng.randint(0, 10, (64,)), dtype='int32')
train_dataset = gluon.data.ArrayDataset(data, label)
np.random.seed(5)
train_data = gluon.data.DataLoader(train_dataset, batch_size=16, shuffle=True, num_workers=2)
trainer = gluon.Trainer(net.collect_params(), optimizer='sgd')
print('default sgd learning rate', trainer.learning_rate)
loss_buffer = LossBuffer()
for data, label in train_data:
    with autograd.record():
        out = net(data)
        prev_loss = loss_buffer.new_loss(ce(out, label))
    loss_buffer.loss.backward()
    trainer.step(data.shape[0])
    if prev_loss is not None:
        print("Loss: {:.6f}".format(np.mean(prev_loss.asnumpy())))

# ---------------------------------------------------------------- packages/autograd
net = nn.HybridSequential()
net.add(nn.Dense(units=3))
net.add(nn.Dense(units=1))
net.initialize(SeededInit(0.5))
loss_fn = gluon.loss.L2Loss()
x = nd.array([[0.3, 0.5]])
y = nd.array([[1.5]])
with autograd.record():
    y_hat = net(x)
    loss = loss_fn(y_hat, y)
loss.backward()
show('dense0 weight grad', net[0].weight.grad())

dropout = nn.Dropout(rate=0.5)
data = nd.ones(shape=(3, 3))
output = dropout(data)
print('is_training:', autograd.is_training(), output)
with autograd.record():
    output = dropout(data)
    print('is_training:', autograd.is_training())
print('training output only 0 or 2:', set(output.asnumpy().ravel().tolist()) <= {0.0, 2.0})
print(nd.Dropout(data, p=0.5, mode='always').shape)

net[0].weight.grad_req = 'null'
with autograd.record():
    loss = loss_fn(net(x), y)
loss.backward()
print(net[0].weight.grad_req)
show('dense1 weight grad', net[1].weight.grad())

x = nd.array([1, 2, 3])
x.attach_grad()
with autograd.record():
    y = 2 * x ** 2
y.backward()
print(x.grad)


def f(x):
    y = x
    if x < 0.75:
        num_loops = math.floor(1 / (1 - x.asscalar()))
        for i in range(num_loops):
            y = y * x
    else:
        y = y * 0
    return y


def get_grad(f, x):
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad


xs = nd.arange(0.0, 1.0, step=0.1)
grads = [get_grad(f, x).asscalar() for x in xs]
print(['%.5f' % g for g in grads])

x = nd.array([2, ])
x.attach_grad()
with autograd.record():
    y = x ** 3
y_np = y.asnumpy()
dzdy = nd.array(2 * y_np)
y.backward(dzdy)
print(x.grad)
