# "Deep Learning - The Straight Dope" (zackchase/mxnet-the-straight-dope), its Gluon chapters 2 and
# 3, shrunk: linear regression with gluon (Dense(1, in_units=2), L2Loss, the parameters printed by
# name), logistic regression (SigmoidBinaryCrossEntropyLoss), softmax regression and the MLP
# (mx.metric.Accuracy in evaluate_accuracy), the MLP with Dropout (train_mode / predict_mode,
# autograd.is_training), regularization (weight decay in the Trainer, wd_mult on the biases),
# "plumbing" (an MLP Block, collect_params() before and after deferred initialization, in_units),
# custom layers (CenteredLayer, a lone gluon.Parameter, a ParameterDict of our own, MyDense with
# `with x.context:`) and serialization (nd.save / nd.load of lists and dicts, save_params and
# load_params). MNIST and the synthetic regression data become small NumPy arrays; Xavier and
# Normal initialization is overwritten by NumPy values; Dropout masks come from each framework's
# own generator, so only their properties are printed.
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import Block, nn
from _common import set_weights, show

rng = np.random.RandomState(43)
tmp = tempfile.mkdtemp()
data_ctx = mx.cpu()
model_ctx = mx.cpu()

# ---------------------------------------------------------------- linear regression with gluon
num_inputs, num_examples = 2, 40
X = nd.array(rng.randn(num_examples, num_inputs))
noise = nd.array(0.01 * rng.randn(num_examples))
y = 2 * X[:, 0] - 3.4 * X[:, 1] + 4.2 + noise
batch_size = 8
train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=batch_size,
                                   shuffle=False)
net = gluon.nn.Dense(1, in_units=2)
print(net.weight)
print(net.bias)
print(net.collect_params())
print(type(net.collect_params()).__name__)
net.collect_params().initialize(mx.init.Normal(sigma=1.), ctx=model_ctx)
set_weights(net, 1, 1.0)
print(net.weight.data().shape, net.bias.data())
square_loss = gluon.loss.L2Loss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.05})
num_batches = num_examples / batch_size
for e in range(3):
    cumulative_loss = 0
    for i, (data, label) in enumerate(train_data):
        data = data.as_in_context(model_ctx)
        label = label.as_in_context(model_ctx)
        with autograd.record():
            output = net(data)
            loss = square_loss(output, label)
        loss.backward()
        trainer.step(batch_size)
        cumulative_loss += nd.mean(loss).asscalar()
    print("Epoch %s, loss: %.6f" % (e, cumulative_loss / num_examples))
params = net.collect_params()
for param in params.values():
    print(param.name, param.data().shape)
    show('  ' + param.name, param.data())

# ---------------------------------------------------------------- logistic regression with gluon
Xl = nd.array(rng.randn(24, 5))
yl = nd.array((rng.rand(24) > 0.5).astype('float32'))
net = gluon.nn.Dense(1)
net.collect_params().initialize(mx.init.Normal(sigma=1.), ctx=model_ctx)
net(Xl[:1])
set_weights(net, 2, 0.5)
sigmoid_bce = gluon.loss.SigmoidBinaryCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
for e in range(3):
    cumulative_loss = 0
    for data, label in gluon.data.DataLoader(gluon.data.ArrayDataset(Xl, yl), batch_size=8):
        with autograd.record():
            output = net(data)
            loss = sigmoid_bce(output, label)
        loss.backward()
        trainer.step(data.shape[0])
        cumulative_loss += nd.sum(loss).asscalar()
    print("logistic epoch %d loss %.6f" % (e, cumulative_loss))


def logistic(z):
    return 1. / (1. + nd.exp(-z))


num_correct = 0.0
num_total = len(Xl)
for data, label in gluon.data.DataLoader(gluon.data.ArrayDataset(Xl, yl), batch_size=8):
    output = net(data)
    prediction = (nd.sign(output) + 1) / 2
    num_correct += nd.sum(prediction == label.reshape((-1, 1)))
print("logistic accuracy: %.4f (%s)" % ((num_correct / num_total).asscalar(),
                                         type(num_correct).__name__))
show('logistic', logistic(net(Xl[:4])))

# ---------------------------------------------------------------- softmax regression, MLP
num_outputs = 4
images = rng.randint(0, 256, size=(32, 6, 6, 1)).astype(np.uint8)
labels = rng.randint(0, num_outputs, size=32).astype(np.float32)


def transform(data, label):
    return data.astype(np.float32) / 255, label.astype(np.float32)


dataset = gluon.data.ArrayDataset(nd.array(images, dtype='uint8'), nd.array(labels))
train_data = gluon.data.DataLoader(dataset.transform(transform), 8, shuffle=False)
test_data = gluon.data.DataLoader(dataset.transform(transform), 16, shuffle=False)


def evaluate_accuracy(data_iterator, net):
    acc = mx.metric.Accuracy()
    for i, (data, label) in enumerate(data_iterator):
        data = data.as_in_context(model_ctx).reshape((-1, 36))
        label = label.as_in_context(model_ctx)
        output = net(data)
        predictions = nd.argmax(output, axis=1)
        acc.update(preds=predictions, labels=label)
    return acc.get()[1]


def train(net, epochs, lr, wd=0.0):
    softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr, 'wd': wd})
    for e in range(epochs):
        cumulative_loss = 0
        for i, (data, label) in enumerate(train_data):
            data = data.as_in_context(model_ctx).reshape((-1, 36))
            label = label.as_in_context(model_ctx)
            with autograd.record():
                output = net(data)
                loss = softmax_cross_entropy(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            cumulative_loss += nd.sum(loss).asscalar()
        print("Epoch %s. Loss: %.6f, Train_acc %.4f, Test_acc %.4f" % (
            e, cumulative_loss / 32, evaluate_accuracy(train_data, net),
            evaluate_accuracy(test_data, net)))
    return trainer


net = gluon.nn.Dense(num_outputs)
net.collect_params().initialize(mx.init.Normal(sigma=1.), ctx=model_ctx)
net(nd.zeros((1, 36)))
set_weights(net, 3, 0.3)
print('softmax regression')
train(net, 2, 0.5)
num_hidden = 16
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net.add(gluon.nn.Dense(num_outputs))
net.collect_params().initialize(mx.init.Normal(sigma=.1), ctx=model_ctx)
net(nd.zeros((1, 36)))
set_weights(net, 4, 0.3)
print(net)
print('mlp')
train(net, 2, 0.2)

# ---------------------------------------------------------------- MLP with dropout
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net.add(gluon.nn.Dropout(.5))
    net.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net.add(gluon.nn.Dropout(.5))
    net.add(gluon.nn.Dense(num_outputs))
net.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=model_ctx)
net(nd.zeros((1, 36)))
set_weights(net, 5, 0.3)
print(net)
x = nd.array(rng.uniform(size=(4, 36)))
print('is_training outside', autograd.is_training())
plain = net(x)
with autograd.predict_mode():
    print('is_training predict_mode', autograd.is_training())
    predicted = net(x)
print('predict equals plain', bool((plain == predicted).min().asscalar()))
show('dropout predict', predicted)
with autograd.record():
    print('is_training record', autograd.is_training())
    trained = net(x)
with autograd.record(train_mode=False):
    print('is_training record(train_mode=False)', autograd.is_training())
    eval_out = net(x)
print('record(train_mode=False) equals plain', bool((eval_out == plain).min().asscalar()))
print('record() output shape', trained.shape)
drop = gluon.nn.Dropout(.5)
ones = nd.ones((200, 50))
with autograd.train_mode():
    dropped = drop(ones).asnumpy()
kept = dropped[dropped != 0]
print('dropout keeps 1/(1-p)', bool(np.allclose(kept, 2.0)),
      'fraction dropped near half', 0.4 < (dropped == 0).mean() < 0.6)
print(drop)

# ---------------------------------------------------------------- regularization with gluon
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.nn.Dense(num_outputs))
net.collect_params().initialize(mx.init.Normal(sigma=1.), ctx=model_ctx)
net(nd.zeros((1, 36)))
set_weights(net, 6, 0.3)
net.collect_params('.*bias').setattr('wd_mult', 0)
print(sorted(net.collect_params('.*weight').keys()), sorted(net.collect_params('.*bias').keys()))
print('regularized')
trainer = train(net, 2, 0.5, wd=0.1)
print('wd', trainer.optimizer.wd, 'wd_mult', net[0].bias.wd_mult, net[0].weight.wd_mult)
show('regularized weight', net[0].weight.data())
show('regularized bias', net[0].bias.data())
print('weight l2 %.6f' % nd.sum(net[0].weight.data() ** 2).asscalar())


# ---------------------------------------------------------------- plumbing
class MLP(Block):
    def __init__(self, **kwargs):
        super(MLP, self).__init__(**kwargs)
        with self.name_scope():
            self.dense0 = nn.Dense(8)
            self.dense1 = nn.Dense(6)
            self.dense2 = nn.Dense(3)

    def forward(self, x):
        x = nd.relu(self.dense0(x))
        x = nd.relu(self.dense1(x))
        return self.dense2(x)


net2 = MLP()
net2.initialize(ctx=model_ctx)
print(net2)
data = nd.array(rng.uniform(size=(2, 36)))
out = net2(data[0:1])
print(out.shape, net2.dense0.weight.shape)
set_weights(net2, 7, 0.3)
print(net2(data[0:1]))
print(net2.forward(data[0:1]) == net2(data[0:1]))
net1 = gluon.nn.Sequential()
with net1.name_scope():
    net1.add(gluon.nn.Dense(8, activation="relu"))
    net1.add(gluon.nn.Dense(6, activation="relu"))
    net1.add(gluon.nn.Dense(3))
print(net1.collect_params())
net1.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=model_ctx)
print(net1.collect_params())
net1(data)
print(net1.collect_params())
set_weights(net1, 8, 0.3)
show('net1', net1(data))
net2 = gluon.nn.Sequential()
with net2.name_scope():
    net2.add(gluon.nn.Dense(8, in_units=36, activation="relu"))
    net2.add(gluon.nn.Dense(6, in_units=8, activation="relu"))
    net2.add(gluon.nn.Dense(3, in_units=6))
net2.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=model_ctx)
print(net2.collect_params())
print([p.shape for p in net2.collect_params().values()])


# ---------------------------------------------------------------- custom layers
class CenteredLayer(Block):
    def __init__(self, **kwargs):
        super(CenteredLayer, self).__init__(**kwargs)

    def forward(self, x):
        return x - nd.mean(x)


net = CenteredLayer()
print(net(nd.array([1, 2, 3, 4, 5])))
net2 = nn.Sequential()
net2.add(nn.Dense(8))
net2.add(nn.Dense(4))
net2.add(CenteredLayer())
net2.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=model_ctx)
net2(data[0:1])
set_weights(net2, 9, 0.3)
output = net2(data[0:1])
show('centered', output)
print('centered mean below 1e-6', abs(nd.mean(output).asscalar()) < 1e-6)
my_param = gluon.Parameter("exciting_parameter_yay", grad_req='write', shape=(3, 3))
print(my_param)
my_param.initialize(mx.init.Xavier(magnitude=2.24), ctx=model_ctx)
print(my_param.data().shape, my_param.grad().shape, my_param.list_ctx())
my_param.set_data(nd.array(rng.uniform(-1, 1, (3, 3))))
print(my_param.data())
pd = gluon.ParameterDict(prefix="block1_")
print(pd.get("exciting_parameter_yay", grad_req='write', shape=(3, 3)))
print(pd["block1_exciting_parameter_yay"])
print(list(pd.keys()), pd.prefix)
print(pd)


def relu(X):
    return nd.maximum(X, 0)


class MyDense(Block):
    def __init__(self, units, in_units=0, **kwargs):
        super(MyDense, self).__init__(**kwargs)
        with self.name_scope():
            self.units = units
            self._in_units = in_units
            self.weight = self.params.get('weight', init=mx.init.Xavier(magnitude=2.24),
                                          shape=(in_units, units))
            self.bias = self.params.get('bias', shape=(units,))

    def forward(self, x):
        with x.context:
            linear = nd.dot(x, self.weight.data()) + self.bias.data()
            activation = relu(linear)
            return activation


dense = MyDense(5, in_units=4)
dense.collect_params().initialize(ctx=model_ctx)
print(dense.params)
print(dense(nd.ones(shape=(2, 4))).shape)
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(MyDense(8, in_units=36))
    net.add(MyDense(6, in_units=8))
    net.add(MyDense(num_outputs, in_units=6))
net.collect_params().initialize(ctx=model_ctx)
set_weights(net, 10, 0.3)
print(sorted(net.collect_params().keys()))
print('custom mlp')
train(net, 2, 0.5)
show('custom mlp out', net(data))

# ---------------------------------------------------------------- serialization
X = nd.ones((3, 4))
Y = nd.zeros((3, 4))
dir_name = os.path.join(tmp, 'checkpoints')
if not os.path.exists(dir_name):
    os.makedirs(dir_name)
filename = os.path.join(dir_name, "test1.params")
nd.save(filename, [X, Y])
A, B = nd.load(filename)
print(A)
print(B)
mydict = {"X": X, "Y": Y}
filename = os.path.join(dir_name, "test2.params")
nd.save(filename, mydict)
C = nd.load(filename)
print(sorted(C.keys()), C['X'].shape, C['Y'].sum().asscalar())
num_hidden = 8
num_outputs = 1
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net.add(gluon.nn.Dense(num_outputs))
net.collect_params().initialize(mx.init.Normal(sigma=1.), ctx=model_ctx)
net(nd.ones((1, 10), ctx=model_ctx))
set_weights(net, 11, 1.0)
print(net(nd.ones((1, 10), ctx=model_ctx)))
filename = os.path.join(dir_name, "testnet.params")
net.save_params(filename)
net2 = gluon.nn.Sequential()
with net2.name_scope():
    net2.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net2.add(gluon.nn.Dense(num_hidden, activation="relu"))
    net2.add(gluon.nn.Dense(num_outputs))
net2.load_params(filename, ctx=model_ctx)
print(net2(nd.ones((1, 10), ctx=model_ctx)))
print(sorted(nd.load(filename).keys()))
