# "Deep Learning - The Straight Dope" (zackchase/mxnet-the-straight-dope), chapters 4 and 7, shrunk:
# convolutional networks in gluon (Conv2D / MaxPool2D / Flatten / Dense), batch normalization in
# gluon (BatchNorm(axis=1, center=True, scale=True) after convolutions and after a Dense layer, a
# hybridized HybridSequential), AlexNet and VGG built from vgg_block / vgg_stack helpers, a residual
# block written as a gluon.Block; data parallelism from scratch (a LeNet written with
# nd.Convolution / nd.Pooling, parameters copied to each context with copyto, gradients summed by
# a hand-written allreduce) and with gluon (initialize(ctx=[...]), split_and_load,
# weight.data(ctx=c) and weight.grad(ctx=c), NDArrayIter batches, Trainer over two contexts), and
# the hybridize chapter (hybrid_forward called once with F = symbol, the Symbol a network returns
# for sym.var('data'), tojson, saving the program and the parameters). GPUs are two CPU contexts,
# MNIST and CIFAR-10 small NumPy images, random draws NumPy values. Weights come from an
# initializer seeded by parameter name (MXNet 1.9.1 with MKL-DNN refuses set_data on a convolution
# weight that has been used); Dropout has rate 0 wherever numbers are printed.
import json
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd, sym
from minigluon.gluon import nn
from minigluon.io import NDArrayIter
from _common import named_uniform, show

rng = np.random.RandomState(44)
tmp = tempfile.mkdtemp()
os.chdir(tmp)
ctx = mx.cpu()


SeededInit = named_uniform(mx, default_scale=0.2)

images = rng.randint(0, 256, size=(16, 1, 12, 12)).astype('float32') / 255
labels = rng.randint(0, 4, size=16).astype('float32')
num_outputs = 4


def evaluate_accuracy(data_iterator, net):
    acc = mx.metric.Accuracy()
    for i, (data, label) in enumerate(data_iterator):
        output = net(data.as_in_context(ctx))
        predictions = nd.argmax(output, axis=1)
        acc.update(preds=predictions, labels=label.as_in_context(ctx))
    return acc.get()[1]


def fit(net, lr, epochs=2, batch_size=8, data=images):
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(nd.array(data), nd.array(labels)),
                                   batch_size, shuffle=False)
    softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    for e in range(epochs):
        cumulative = 0.0
        for i, (d, label) in enumerate(loader):
            with autograd.record():
                output = net(d.as_in_context(ctx))
                loss = softmax_cross_entropy(output, label.as_in_context(ctx))
            loss.backward()
            trainer.step(d.shape[0])
            cumulative += nd.sum(loss).asscalar()
        print("Epoch %d. Loss: %.6f, Train_acc %.4f" % (e, cumulative / len(data),
                                                         evaluate_accuracy(loader, net)))


# ---------------------------------------------------------------- cnn-gluon
num_fc = 16
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.nn.Conv2D(channels=4, kernel_size=3, activation='relu'))
    net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
    net.add(gluon.nn.Conv2D(channels=6, kernel_size=3, activation='relu'))
    net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
    net.add(gluon.nn.Flatten())
    net.add(gluon.nn.Dense(num_fc, activation="relu"))
    net.add(gluon.nn.Dense(num_outputs))
net.collect_params().initialize(SeededInit(), ctx=ctx)
print(net)
fit(net, 0.5)
print(net)
show('cnn conv0 weight', net[0].weight.data())

# ---------------------------------------------------------------- cnn-batch-norm-gluon
net = gluon.nn.HybridSequential()
with net.name_scope():
    net.add(gluon.nn.Conv2D(channels=4, kernel_size=3))
    net.add(gluon.nn.BatchNorm(axis=1, center=True, scale=True))
    net.add(gluon.nn.Activation(activation='relu'))
    net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
    net.add(gluon.nn.Conv2D(channels=6, kernel_size=3))
    net.add(gluon.nn.BatchNorm(axis=1, center=True, scale=True))
    net.add(gluon.nn.Activation(activation='relu'))
    net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
    net.add(gluon.nn.Flatten())
    net.add(gluon.nn.Dense(num_fc))
    net.add(gluon.nn.BatchNorm(axis=1, center=True, scale=True))
    net.add(gluon.nn.Activation(activation='relu'))
    net.add(gluon.nn.Dense(num_outputs))
net.collect_params().initialize(SeededInit(), ctx=ctx)
net.hybridize()
print(net)
fit(net, 0.2)
print(sorted(k for k in net.collect_params().keys() if 'batchnorm' in k))
show('bn running_mean', net[1].running_mean.data())
show('bn running_var', net[1].running_var.data())
show('bn gamma', net[10].gamma.data())
show('bn predict', net(nd.array(images[:2])))

# ---------------------------------------------------------------- AlexNet (shrunk)
alex_net = gluon.nn.Sequential()
with alex_net.name_scope():
    alex_net.add(gluon.nn.Conv2D(channels=6, kernel_size=5, strides=2, activation='relu'))
    alex_net.add(gluon.nn.MaxPool2D(pool_size=3, strides=2))
    alex_net.add(gluon.nn.Conv2D(channels=8, kernel_size=3, padding=1, activation='relu'))
    alex_net.add(gluon.nn.Conv2D(channels=8, kernel_size=3, padding=1, activation='relu'))
    alex_net.add(gluon.nn.MaxPool2D(pool_size=3, strides=2))
    alex_net.add(gluon.nn.Flatten())
    alex_net.add(gluon.nn.Dense(16, activation="relu"))
    alex_net.add(gluon.nn.Dropout(0.))
    alex_net.add(gluon.nn.Dense(num_outputs))
alex_net.collect_params().initialize(SeededInit(), ctx=ctx)
colour = np.repeat(images, 3, axis=1)
big = nd.array(colour).transpose((0, 2, 3, 1))
big = nd.stack(*[mx.image.imresize(big[i] * 255, 24, 24) / 255 for i in range(len(colour))])
print('resized', big.shape)
big = big.transpose((0, 3, 1, 2))
fit(alex_net, 0.3, data=big.asnumpy())
print(alex_net)


# ---------------------------------------------------------------- VGG
def vgg_block(num_convs, channels):
    out = nn.Sequential()
    for _ in range(num_convs):
        out.add(nn.Conv2D(channels=channels, kernel_size=3, padding=1, activation='relu'))
    out.add(nn.MaxPool2D(pool_size=2, strides=2))
    return out


blk = vgg_block(2, 4)
blk.initialize(SeededInit())
x = nd.array(rng.uniform(size=(2, 3, 8, 8)))
y = blk(x)
print(y.shape)


def vgg_stack(architecture):
    out = nn.Sequential()
    for (num_convs, channels) in architecture:
        out.add(vgg_block(num_convs, channels))
    return out


architecture = ((1, 4), (2, 8))
net = nn.Sequential()
with net.name_scope():
    net.add(vgg_stack(architecture))
    net.add(nn.Flatten())
    net.add(nn.Dense(16, activation="relu"))
    net.add(nn.Dropout(0.))
    net.add(nn.Dense(num_outputs))
net.collect_params().initialize(SeededInit(), ctx=ctx)
print(net)
fit(net, 0.3)
print([k for k in net.collect_params().keys()])


# ---------------------------------------------------------------- residual block
class Residual(gluon.Block):
    def __init__(self, channels, same_shape=True, **kwargs):
        super(Residual, self).__init__(**kwargs)
        self.same_shape = same_shape
        with self.name_scope():
            strides = 1 if same_shape else 2
            self.conv1 = nn.Conv2D(channels, kernel_size=3, padding=1, strides=strides)
            self.bn1 = nn.BatchNorm()
            self.conv2 = nn.Conv2D(channels, kernel_size=3, padding=1)
            self.bn2 = nn.BatchNorm()
            if not same_shape:
                self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=strides)

    def forward(self, x):
        out = nd.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.same_shape:
            x = self.conv3(x)
        return nd.relu(out + x)


class ResNet(gluon.Block):
    def __init__(self, num_classes, **kwargs):
        super(ResNet, self).__init__(**kwargs)
        with self.name_scope():
            b1 = nn.Conv2D(4, kernel_size=3, padding=1)
            b2 = nn.Sequential()
            b2.add(Residual(4), Residual(4))
            b3 = nn.Sequential()
            b3.add(Residual(8, same_shape=False), Residual(8))
            b4 = nn.Sequential()
            b4.add(nn.GlobalAvgPool2D(), nn.Dense(num_classes))
            self.net = nn.Sequential()
            self.net.add(b1, b2, b3, b4)

    def forward(self, x):
        out = x
        for i, b in enumerate(self.net):
            out = b(out)
        return out


blk = Residual(3)
blk.initialize(SeededInit())
print(blk(x).shape)
blk2 = Residual(8, same_shape=False)
blk2.initialize(SeededInit())
print(blk2(x).shape)
resnet = ResNet(num_outputs)
resnet.initialize(SeededInit(), ctx=ctx)
fit(resnet, 0.1)
print(resnet)
show('resnet', resnet(nd.array(images[:2])))

# ---------------------------------------------------------------- multiple devices from scratch
ctxs = [mx.cpu(0), mx.cpu(1)]
scale = .05
W1 = nd.array(rng.uniform(-scale, scale, (4, 1, 3, 3)))
b1 = nd.zeros(4)
W2 = nd.array(rng.uniform(-scale, scale, (6, 4, 3, 3)))
b2 = nd.zeros(6)
W3 = nd.array(rng.uniform(-scale, scale, (6, 16)))
b3 = nd.zeros(16)
W4 = nd.array(rng.uniform(-scale, scale, (16, 4)))
b4 = nd.zeros(4)
params = [W1, b1, W2, b2, W3, b3, W4, b4]


def lenet(X, params):
    h1_conv = nd.Convolution(data=X, weight=params[0], bias=params[1], kernel=(3, 3),
                             num_filter=4)
    h1_activation = nd.relu(h1_conv)
    h1 = nd.Pooling(data=h1_activation, pool_type="avg", kernel=(2, 2), stride=(2, 2))
    h2_conv = nd.Convolution(data=h1, weight=params[2], bias=params[3], kernel=(3, 3),
                             num_filter=6)
    h2_activation = nd.relu(h2_conv)
    h2 = nd.Pooling(data=h2_activation, pool_type="avg", kernel=(2, 2), stride=(2, 2))
    h2 = nd.flatten(h2)
    h3_linear = nd.dot(h2, params[4]) + params[5]
    h3 = nd.relu(h3_linear)
    yhat = nd.dot(h3, params[6]) + params[7]
    return yhat


loss = gluon.loss.SoftmaxCrossEntropyLoss()


def SGD(params, lr):
    for p in params:
        p[:] = p - lr * p.grad


def get_params(params, ctx):
    new_params = [p.copyto(ctx) for p in params]
    for p in new_params:
        p.attach_grad()
    return new_params


new_params = get_params(params, ctxs[1])
print('b1 weight = ', new_params[1])
print('b1 grad = ', new_params[1].grad)


def allreduce(data):
    for i in range(1, len(data)):
        data[0][:] += data[i].copyto(data[0].context)
    for i in range(1, len(data)):
        data[0].copyto(data[i])


data = [nd.ones((1, 2), ctx=ctxs[i]) * (i + 1) for i in range(2)]
print('Before:', data)
allreduce(data)
print('After:', data)


def split_and_load(data, ctx):
    n, k = data.shape[0], len(ctx)
    m = n // k
    assert m * k == n, '# examples is not divided by # devices'
    return [data[i * m:(i + 1) * m].as_in_context(ctx[i]) for i in range(k)]


batch = nd.arange(16).reshape((4, 4))
print('Input: ', batch)
print('Load into', ctxs)
print('Output:', split_and_load(batch, ctxs))


def train_batch(data, label, params, ctx, lr):
    data_list = split_and_load(data, ctx)
    label_list = split_and_load(label, ctx)
    with autograd.record():
        losses = [loss(lenet(X, W), Y) for X, Y, W in zip(data_list, label_list, params)]
    for l in losses:
        l.backward()
    for i in range(len(params[0])):
        allreduce([params[c][i].grad for c in range(len(ctx))])
    for p in params:
        SGD(p, lr / data.shape[0])


dev_params = [get_params(params, c) for c in ctxs]
for epoch in range(2):
    for i in range(0, 16, 8):
        train_batch(nd.array(images[i:i + 8]), nd.array(labels[i:i + 8]), dev_params, ctxs, 0.5)
    nd.waitall()
    out = lenet(nd.array(images), dev_params[0])
    acc = nd.mean(nd.argmax(out, axis=1) == nd.array(labels)).asscalar()
    print('scratch epoch %d accuracy %.4f' % (epoch, acc))
show('scratch W1 on cpu(0)', dev_params[0][0])
print('replicas equal', bool((dev_params[0][0] == dev_params[1][0].as_in_context(ctxs[0])).min().asscalar()))

# ---------------------------------------------------------------- multiple devices with gluon
net = gluon.nn.Sequential(prefix='cnn_')
with net.name_scope():
    net.add(gluon.nn.Conv2D(channels=4, kernel_size=3, activation='relu'))
    net.add(gluon.nn.MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    net.add(gluon.nn.Conv2D(channels=6, kernel_size=3, activation='relu'))
    net.add(gluon.nn.MaxPool2D(pool_size=(2, 2), strides=(2, 2)))
    net.add(gluon.nn.Flatten())
    net.add(gluon.nn.Dense(16, activation="relu"))
    net.add(gluon.nn.Dense(num_outputs))
loss = gluon.loss.SoftmaxCrossEntropyLoss()
net.collect_params().initialize(SeededInit(), ctx=ctxs)
mnist = {'train_data': images, 'train_label': labels,
         'test_data': images[:8], 'test_label': labels[:8]}
batch = mnist['train_data'][0:4, :]
data = gluon.utils.split_and_load(batch, ctxs)
print(net(data[0]))
print(net(data[1]))
weight = net.collect_params()['cnn_conv0_weight']  # 'cnn_conv2d0_weight' before MXNet 1.3
for c in ctxs:
    print('=== channel 0 of the first conv2d on {} ==={}'.format(c, weight.data(ctx=c)[0]))


def forward_backward(net, data, label):
    with autograd.record():
        losses = [loss(net(X), Y) for X, Y in zip(data, label)]
    for l in losses:
        l.backward()


label = gluon.utils.split_and_load(mnist['train_label'][0:4], ctxs)
forward_backward(net, data, label)
for c in ctxs:
    print('=== grad of channel 0 of the first conv2d on {} ==={}'.format(c, weight.grad(ctx=c)[0]))


def train_batch(batch, ctx, net, trainer):
    data = gluon.utils.split_and_load(batch.data[0], ctx)
    label = gluon.utils.split_and_load(batch.label[0], ctx)
    forward_backward(net, data, label)
    trainer.step(batch.data[0].shape[0])


def valid_batch(batch, ctx, net):
    data = batch.data[0].as_in_context(ctx[0])
    pred = nd.argmax(net(data), axis=1)
    return nd.sum(pred == batch.label[0].as_in_context(ctx[0])).asscalar()


def run(num_gpus, batch_size, lr):
    ctx = [mx.cpu(i) for i in range(num_gpus)]
    print('Running on {}'.format(ctx))
    train_data = NDArrayIter(mnist["train_data"], mnist["train_label"], batch_size)
    valid_data = NDArrayIter(mnist["test_data"], mnist["test_label"], batch_size)
    print('Batch size is {}'.format(batch_size))
    net.collect_params().initialize(SeededInit(), ctx=ctx, force_reinit=True)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    for epoch in range(2):
        train_data.reset()
        for batch in train_data:
            train_batch(batch, ctx, net, trainer)
        nd.waitall()
        valid_data.reset()
        correct, num = 0.0, 0.0
        for batch in valid_data:
            correct += valid_batch(batch, ctx, net)
            num += batch.data[0].shape[0]
        print('Epoch %d, validation accuracy = %.4f' % (epoch, correct / num))
    show('  conv0 weight', net[0].weight.data(ctx[-1]))
    print('  contexts', net[0].weight.list_ctx())


run(1, 4, .3)
run(2, 8, .6)


# ---------------------------------------------------------------- hybridize
def get_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation="relu"))
        net.add(nn.Dense(8, activation="relu"))
        net.add(nn.Dense(2))
    net.collect_params().initialize(SeededInit())
    return net


x = nd.array(rng.normal(size=(1, 12)))
net = get_net()
print('=== net(x) ==={}'.format(net(x)))
net.hybridize()
print('=== net(x) ==={}'.format(net(x)))
x = sym.var('data')
print('=== input data holder ===')
print(x)
y = net(x)
print('\n=== the symbolic program of net===')
print(y)
y_json = y.tojson()
print('\n=== the according json definition===')
graph = json.loads(y_json)
for node in graph['nodes']:
    print(node['op'], node['name'], node.get('attrs', node.get('attr', {})), node['inputs'])
print(graph['arg_nodes'], graph['heads'])
y.save('model.json')
net.save_params('model.params')
print(sorted(os.listdir(tmp)))
print(sym.load('model.json').list_arguments())
print(sorted(nd.load('model.params').keys()))


class Net(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Net, self).__init__(**kwargs)
        with self.name_scope():
            self.fc1 = nn.Dense(16)
            self.fc2 = nn.Dense(8)
            self.fc3 = nn.Dense(2)

    def hybrid_forward(self, F, x):
        print('type(x): {}, F: {}'.format(type(x).__name__, F.__name__.split('.')[-1]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
net.collect_params().initialize(SeededInit())
x = nd.array(rng.normal(size=(1, 12)))
print('=== 1st forward ===')
y = net(x)
print('=== 2nd forward ===')
y = net(x)
net.hybridize()
print('=== 1st forward ===')
y = net(x)
print('=== 2nd forward ===')
y = net(x)
show('hybrid net', y)
