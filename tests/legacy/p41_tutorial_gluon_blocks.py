# MXNet 1.x's own Gluon tutorials on blocks, shrunk: nn (layers and blocks: a Sequential of our
# own over _children, get_constant, nesting), custom-layer, hybridize (and its list of what a
# hybridized block cannot do), naming, parameters, save_load_params, activations and init.
# MNIST is replaced by small synthetic images, random draws by NumPy RandomState values, the
# pretrained AlexNet (a download) by an untrained one, and random initializers by one seeded by
# parameter name wherever numbers are printed. What the tutorials print with plots or timings is
# printed as numbers or left out.
import os
import tempfile
import warnings

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, init, nd, sym
from minigluon.gluon import nn
from minigluon.gluon.data.vision import transforms
from _common import named_uniform, show

rng = np.random.RandomState(41)
tmp = tempfile.mkdtemp()
os.chdir(tmp)                       # the tutorials save to the working directory


SeededInit = named_uniform(mx)

# ---------------------------------------------------------------- nn (layers and blocks)
x = nd.array(rng.uniform(size=(2, 20)))


class MySequential(nn.Block):
    def __init__(self, **kwargs):
        super(MySequential, self).__init__(**kwargs)

    def add(self, block):
        self._children[block.name] = block

    def forward(self, x):
        for block in self._children.values():
            x = block(x)
        return x


net = MySequential()
net.add(nn.Dense(16, activation='relu'))
net.add(nn.Dense(10))
net.initialize(SeededInit())
show('MySequential', net(x))
print(sorted(net.collect_params().keys()))
print(net)


class MLP(nn.Block):
    def __init__(self, **kwargs):
        super(MLP, self).__init__(**kwargs)
        self.hidden = nn.Dense(16, activation='relu')
        self.output = nn.Dense(10)

    def forward(self, x):
        hidden_out = self.hidden(x)
        return self.output(hidden_out)


net = MLP()
net.initialize(SeededInit())
show('MLP', net(x))


class FancyMLP(nn.Block):
    def __init__(self, **kwargs):
        super(FancyMLP, self).__init__(**kwargs)
        self.rand_weight = self.params.get_constant(
            'rand_weight', nd.array(rng.uniform(size=(20, 20))))
        self.dense = nn.Dense(20, activation='relu')

    def forward(self, x):
        x = self.dense(x)
        x = nd.relu(nd.dot(x, self.rand_weight.data()) + 1)
        x = self.dense(x)
        while x.norm().asscalar() > 1:
            x /= 2
        if x.norm().asscalar() < 0.8:
            x *= 10
        return x.sum()


net = FancyMLP()
net.initialize(SeededInit())
show('FancyMLP', net(x))
print(net.rand_weight, net.rand_weight.grad_req)
print(net.collect_params())


class NestMLP(nn.Block):
    def __init__(self, **kwargs):
        super(NestMLP, self).__init__(**kwargs)
        self.net = nn.Sequential()
        self.net.add(nn.Dense(16, activation='relu'),
                     nn.Dense(12, activation='relu'))
        self.dense = nn.Dense(8, activation='relu')

    def forward(self, x):
        return self.dense(self.net(x))


chimera = nn.Sequential()
chimera.add(NestMLP(), nn.Dense(20), FancyMLP())
chimera.initialize(SeededInit())
show('chimera', chimera(x))
print(chimera)


# ---------------------------------------------------------------- custom-layer
class CenteredLayer(nn.Block):
    def __init__(self, **kwargs):
        super(CenteredLayer, self).__init__(**kwargs)

    def forward(self, x):
        return x - x.mean()


layer = CenteredLayer()
print(layer(nd.array([1, 2, 3, 4, 5])))
print(layer)
net = nn.Sequential()
net.add(nn.Dense(16), CenteredLayer())
net.initialize(SeededInit())
print(net)
y = net(nd.array(rng.uniform(size=(4, 8))))
print('mean close to 0:', abs(y.mean().asscalar()) < 1e-6)

params = gluon.ParameterDict()
params.get('param2', shape=(2, 3))
print(params)


class MyDense(nn.Block):
    def __init__(self, units, in_units, **kwargs):
        super(MyDense, self).__init__(**kwargs)
        self.weight = self.params.get('weight', shape=(in_units, units))
        self.bias = self.params.get('bias', shape=(units,))

    def forward(self, x):
        linear = nd.dot(x, self.weight.data()) + self.bias.data()
        return nd.relu(linear)


dense = MyDense(units=3, in_units=5)
print(dense.params)
dense.initialize(SeededInit(0.5))
show('mydense', dense(nd.array(rng.uniform(size=(2, 5)))))
print(dense)
net = nn.Sequential()
net.add(MyDense(8, in_units=16), MyDense(1, in_units=8))
net.initialize(SeededInit(0.5))
show('mydense net', net(nd.array(rng.uniform(size=(2, 16)))))
print(net)


# ---------------------------------------------------------------- hybridize
def get_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation='relu'),
            nn.Dense(8, activation='relu'),
            nn.Dense(2))
    net.initialize(SeededInit(0.3))
    return net


x = nd.array(rng.normal(size=(1, 12)))
net = get_net()
show('imperative', net(x))
net.hybridize()
show('hybridized', net(x))
for i in range(20):
    _ = net(x)
nd.waitall()
net.export('my_mlp')
print(sorted(os.listdir('.')))
x = sym.var('data')
print(net(x))
print(net(x).list_arguments())


class HybridNet(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(HybridNet, self).__init__(**kwargs)
        self.hidden = nn.Dense(10)
        self.output = nn.Dense(2)

    def hybrid_forward(self, F, x):
        print('F: ', F.__name__.split('.')[-1])
        print('x: ', x)
        x = F.relu(self.hidden(x))
        if isinstance(x, sym.Symbol):
            print('hidden: ', x)
        else:
            show('hidden: ', x)
        return self.output(x)


net = HybridNet()
net.initialize(SeededInit(0.4))
x = nd.array(rng.normal(size=(1, 4)))
for i in range(2):
    show('eager', net(x))
net.hybridize()
for i in range(2):
    show('hybridized', net(x))


class Limitation(nn.HybridBlock):
    def __init__(self, what, **kwargs):
        super(Limitation, self).__init__(**kwargs)
        self.what = what

    def hybrid_forward(self, F, x):
        if self.what == 'index':
            return x[0, 0]
        if self.what == 'dtype':
            return x if x.dtype == 'float16' else x * 2
        if self.what == 'context':
            return x if x.context == mx.cpu() else x * 2
        if self.what == 'shape':
            return x * x.shape[0]
        x[0] = 2
        return x


x = nd.array([[1, 2, 3], [4, 5, 6]])
for what in ['index', 'dtype', 'context', 'shape', 'assign']:
    blk = Limitation(what)
    print(what, 'imperative:', blk(x.copy()).shape)
    blk.hybridize()
    try:
        blk(x.copy())
        print(what, 'hybridized: no error')
    except (TypeError, AttributeError) as e:
        print(what, 'hybridized:', type(e).__name__)
x = nd.array([1, 2, 3])
value = nd.ones_like(x) * 2
condition = nd.array([0, 1, 1])
print(nd.where(condition=condition, x=x, y=value))


# ---------------------------------------------------------------- naming
mydense = gluon.nn.Dense(100, prefix='mydense_')
print(mydense.prefix)
dense0 = gluon.nn.Dense(100)
print(dense0.prefix)
dense1 = gluon.nn.Dense(100)
print(dense1.prefix)
print(dense0.collect_params())


class Model(gluon.Block):
    def __init__(self, **kwargs):
        super(Model, self).__init__(**kwargs)
        with self.name_scope():
            self.dense0 = gluon.nn.Dense(20)
            self.dense1 = gluon.nn.Dense(20)
            self.mydense = gluon.nn.Dense(20, prefix='mydense_')

    def forward(self, x):
        x = mx.nd.relu(self.dense0(x))
        x = mx.nd.relu(self.dense1(x))
        return mx.nd.relu(self.mydense(x))


model0 = Model()
model0.initialize(SeededInit())
model0(mx.nd.zeros((1, 20)))
print(model0.prefix, model0.dense0.prefix, model0.dense1.prefix, model0.mydense.prefix)
model1 = Model()
print(model1.prefix, model1.dense0.prefix, model1.dense1.prefix, model1.mydense.prefix)
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.nn.Dense(20))
    net.add(gluon.nn.Dense(20))
print(net.prefix, net[0].prefix, net[1].prefix)
net = gluon.nn.Sequential()
with net.name_scope():
    net.add(gluon.model_zoo.vision.alexnet(pretrained=False))
    net.add(gluon.model_zoo.vision.alexnet(pretrained=False))
print(net.prefix, net[0].prefix, net[1].prefix)
print(model0.collect_params(), '\n')
print(model1.collect_params())
model0.collect_params().save('model.params')
try:
    model1.collect_params().load('model.params', mx.cpu())
except AssertionError as e:      # MXNet asserts; minigluon's error is also a ValueError
    print('AssertionError naming the parameter and the file:',
          "'model1_dense0_weight'" in str(e) and 'model.params' in str(e))
model0.save_parameters('model.params')
model1.load_parameters('model.params')
print(sorted(mx.nd.load('model.params').keys()))
show('model1 reloaded', model1(mx.nd.ones((1, 20))))
alexnet = gluon.model_zoo.vision.alexnet(pretrained=False)
print(alexnet.output)
print(alexnet.output.prefix)
with alexnet.name_scope():
    alexnet.output = gluon.nn.Dense(100)
alexnet.output.initialize(SeededInit())
print(alexnet.output)
print(alexnet.output.prefix)


# ---------------------------------------------------------------- parameters
net = nn.Sequential()
net.add(nn.Dense(24, activation='relu'))
net.add(nn.Dense(10))
net.initialize(SeededInit())
x = nd.array(rng.uniform(size=(2, 20)))
show('mlp', net(x))
print(net[0].params)
print(net[1].params)
print(net[1].bias)
print(net[1].bias.data())
w_name = net[0].weight.name
print(net[0].params[w_name])
show('by name', net[0].params[w_name].data())
print(net[0].weight.grad().shape, net[0].weight.grad().sum().asscalar())
print(net[0].collect_params())
print(net.collect_params())
print(net.collect_params()[net[1].bias.name].data())
print(net.collect_params('.*weight'))
print(net.collect_params(net[0].prefix + '.*'))


def block1():
    net = nn.Sequential()
    net.add(nn.Dense(8, activation='relu'))
    net.add(nn.Dense(6, activation='relu'))
    return net


def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add(block1())
    return net


rgnet = nn.Sequential()
rgnet.add(block2())
rgnet.add(nn.Dense(10))
rgnet.initialize(SeededInit(0.3))
show('rgnet', rgnet(x))
print(rgnet.collect_params)
print(rgnet.collect_params())
print(rgnet[0][1][0].bias.data())
rgnet.save_parameters('model.params')
rgnet.load_parameters('model.params')
show('rgnet reloaded', rgnet(x))

net.initialize(init=init.Normal(sigma=0.01), force_reinit=True)
print(net[0].weight.data()[0].shape, float(net[0].weight.data().abs().max().asscalar()) < 0.1)
net.initialize(init=init.Constant(1), force_reinit=True)
print(net[0].weight.data()[0])
net[1].initialize(init=init.Constant(42), force_reinit=True)
net[0].weight.initialize(init=init.Xavier(), force_reinit=True)
print(net[1].weight.data()[0, 0])
bound = np.sqrt(3.0 / ((20 + 24) / 2.0))
print('xavier within bound:', float(net[0].weight.data().abs().max().asscalar()) <= bound)


class MyInit(init.Initializer):
    def _init_weight(self, name, data):
        print('Init', name, data.shape)
        r = np.random.RandomState(len(name) + data.size)
        data[:] = nd.array(r.uniform(low=-10, high=10, size=data.shape))
        data *= data.abs() >= 5


net.initialize(MyInit(), force_reinit=True)
print(net[0].weight.data()[0])
net[0].weight.data()[:] += 1
net[0].weight.data()[0, 0] = 42
print(net[0].weight.data()[0])

net = nn.Sequential()
shared = nn.Dense(8, activation='relu')
net.add(nn.Dense(8, activation='relu'),
        shared,
        nn.Dense(8, activation='relu', params=shared.params),
        nn.Dense(10))
net.initialize(SeededInit(0.3))
x = nd.array(rng.uniform(size=(2, 20)))
with autograd.record():
    out = net(x)
out.backward()
print(net[1].weight.data()[0] == net[2].weight.data()[0])
net[1].weight.data()[0, 0] = 100
print(net[1].weight.data()[0] == net[2].weight.data()[0])
print(net[1].weight is net[2].weight, sorted(net.collect_params().keys()))
show('shared grad', shared.weight.grad()[0])


# ---------------------------------------------------------------- init
def getnet():
    net = nn.Sequential()
    net.add(nn.Dense(24, activation='relu'))
    net.add(nn.Dense(10))
    return net


net = getnet()
print(net.collect_params())
net.initialize()
print(net.collect_params())
try:
    net[0].weight.data()
except Exception as e:
    print(type(e).__name__)
x = nd.array(rng.uniform(size=(2, 20)))
net(x)
print(net.collect_params())


class PrintInit(init.Initializer):
    def _init_weight(self, name, data):
        print('Init', name, data.shape)


net = getnet()
net.initialize(init=PrintInit())
print('initialize printed nothing yet')
y = net(x)
y = net(x)
net.initialize(init=MyInit(), force_reinit=True)
net = nn.Sequential()
net.add(nn.Dense(24, in_units=20, activation='relu'))
net.add(nn.Dense(10, in_units=24))
net.initialize(init=MyInit())
net[0].weight.initialize(init=init.Xavier(), force_reinit=True)
net[1].initialize(init=init.Constant(42), force_reinit=True)
print(net[0].bias.data()[0])
print(net[1].weight.data()[0, 0])
print(net[1].bias.data()[0])


# ---------------------------------------------------------------- save_load_params
ctx = mx.gpu() if mx.context.num_gpus() else mx.cpu()
num_outputs = 10
batch_size = 8


def fake_mnist(n, seed):
    r = np.random.RandomState(seed)
    labels = r.randint(0, 10, size=n).astype('float32')
    images = r.randint(0, 80, size=(n, 16, 16, 1))
    for i, lab in enumerate(labels.astype(int)):
        images[i, :, lab:lab + 5, 0] += 170
    return gluon.data.ArrayDataset(nd.array(images, dtype='uint8'), labels)


train_data = gluon.data.DataLoader(fake_mnist(32, 3).transform_first(transforms.ToTensor()),
                                   batch_size, shuffle=False)


def build_lenet(net):
    with net.name_scope():
        net.add(gluon.nn.Conv2D(channels=6, kernel_size=5, activation='relu'))
        net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
        net.add(gluon.nn.Conv2D(channels=8, kernel_size=3, activation='relu'))
        net.add(gluon.nn.MaxPool2D(pool_size=2, strides=2))
        net.add(gluon.nn.Flatten())
        net.add(gluon.nn.Dense(32, activation="relu"))
        net.add(gluon.nn.Dense(num_outputs))
        return net


def train_model(model):
    model.collect_params().initialize(SeededInit(0.3), ctx=ctx)
    softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': .01})
    for epoch in range(2):
        for batch_num, (data, label) in enumerate(train_data):
            data = data.as_in_context(ctx)
            label = label.as_in_context(ctx)
            with autograd.record():
                output = model(data)
                loss = softmax_cross_entropy(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            if batch_num % 2 == 0:
                curr_loss = nd.mean(loss).asscalar()
                print("Epoch: %d; Batch %d; Loss %f" % (epoch, batch_num, curr_loss))


net = build_lenet(gluon.nn.Sequential())
train_model(net)
file_name = "net.params"
net.save_parameters(file_name)
new_net = build_lenet(gluon.nn.Sequential())
new_net.load_parameters(file_name, ctx=ctx)


def verify_loaded_model(net):
    def transform(data, label):
        return data.astype(np.float32) / 255, label.astype(np.float32)

    sample_data = mx.gluon.data.DataLoader(fake_mnist(10, 4).transform(transform), 10,
                                           shuffle=False)
    for data, label in sample_data:
        img = nd.transpose(data, (1, 0, 2, 3))
        img = nd.reshape(img, (16, 10 * 16, 1))
        imtiles = nd.tile(img, (1, 1, 3))
        print('tiles', imtiles.shape)
        data = nd.transpose(data, (0, 3, 1, 2))
        out = net(data.as_in_context(ctx))
        predictions = nd.argmax(out, axis=1)
        print('Model predictions: ', predictions.asnumpy(), 'labels: ', label.asnumpy())
        break


verify_loaded_model(new_net)
net = build_lenet(gluon.nn.HybridSequential())
net.hybridize()
train_model(net)
net.export("lenet", epoch=1)
print(sorted(f for f in os.listdir('.') if f.startswith('lenet')))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    deserialized_net = gluon.nn.SymbolBlock.imports("lenet-symbol.json", ['data'],
                                                    "lenet-0001.params", ctx=ctx)
verify_loaded_model(deserialized_net)


# ---------------------------------------------------------------- activations
def visualize_activation(activation_fn, low=-10):
    data = np.linspace(low, 10, 21)
    x = mx.nd.array(data)
    x.attach_grad()
    with mx.autograd.record():
        y = activation_fn(x)
    y.backward()
    activation = activation_fn.__class__.__name__[:-1]
    print(activation_fn)
    show("{} activation".format(activation), y)
    show("{} gradient".format(activation), x.grad)


for act in ['sigmoid', 'tanh', 'softsign', 'relu', 'softrelu']:
    visualize_activation(mx.gluon.nn.Activation(act))
visualize_activation(mx.gluon.nn.LeakyReLU(0.05))
prelu = mx.gluon.nn.PReLU(mx.init.Constant(0.05))
prelu.initialize()
visualize_activation(prelu)
print(prelu.alpha.grad())
visualize_activation(mx.gluon.nn.ELU())
visualize_activation(mx.gluon.nn.SELU(), low=0)   # MXNet 1.9.1's selu gradient is wrong below 0
visualize_activation(mx.gluon.nn.Swish())
visualize_activation(mx.gluon.nn.GELU())
