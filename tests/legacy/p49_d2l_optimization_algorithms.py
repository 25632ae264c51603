# "Dive into Deep Learning" (MXNet edition, d2lzh) style: the optimization-algorithms chapter.
# Gradient descent on a 2-d quadratic (train_2d with the update written in Python), mini-batch
# SGD, momentum, AdaGrad, RMSProp, AdaDelta and Adam written from scratch on NDArrays (state
# arrays updated in place with `s[:] = ...`, `p[:] -= ...`, hyperparams dicts with a step counter
# for Adam's bias correction), each followed by the book's gluon twin (gluon.Trainer by name with
# its hyperparameters: momentum, gamma1, rho, ...) on the same data, and the learning-rate
# scheduling section (a scheduler class of our own called per epoch with trainer.set_learning_rate,
# mx.lr_scheduler FactorScheduler / MultiFactorScheduler / CosineScheduler with warmup given to
# the Trainer as 'lr_scheduler'). The airfoil data set is a small NumPy array, normalized as the
# book does; the loader does not shuffle (its order would come from each framework's generator),
# and the Gluon network's Normal(0.01) initialization is overwritten by NumPy values.
import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, init, lr_scheduler, nd
from minigluon.gluon import data as gdata, loss as gloss, nn
from _common import set_weights, show

rng = np.random.RandomState(49)

# ---------------------------------------------------------------- gradient descent in 2-d
eta = 0.4


def f_2d(x1, x2):
    return 0.1 * x1 ** 2 + 2 * x2 ** 2


def gd_2d(x1, x2, s1, s2):
    return (x1 - eta * 0.2 * x1, x2 - eta * 4 * x2, 0, 0)


def momentum_2d(x1, x2, v1, v2):
    v1 = gamma * v1 + eta * 0.2 * x1
    v2 = gamma * v2 + eta * 4 * x2
    return x1 - v1, x2 - v2, v1, v2


def train_2d(trainer):
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(20):
        x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print('epoch %d, x1 %f, x2 %f, f %f' % (i + 1, x1, x2, f_2d(x1, x2)))
    return results


train_2d(gd_2d)
eta, gamma = 0.4, 0.5
train_2d(momentum_2d)

# ---------------------------------------------------------------- the data
raw = rng.normal(size=(60, 6)).astype('float32')
raw[:, 5] = raw[:, :5].dot(np.array([0.5, -1.0, 0.3, 2.0, -0.7], dtype='float32')) + 0.1 * raw[:, 5]
data = (raw - raw.mean(axis=0)) / raw.std(axis=0)
features, labels = nd.array(data[:, :-1]), nd.array(data[:, -1])
print('features', features.shape, 'labels', labels.shape)
show('features[0]', features[0])


def linreg(X, w, b):
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def train_ch7(trainer_fn, states, hyperparams, features, labels, batch_size=10, num_epochs=2):
    net, loss = linreg, squared_loss
    w = nd.array(rng.normal(scale=0.01, size=(features.shape[1], 1)))
    b = nd.zeros(1)
    w.attach_grad()
    b.attach_grad()

    def eval_loss():
        return loss(net(features, w, b), labels).mean().asscalar()

    ls = [eval_loss()]
    data_iter = gdata.DataLoader(gdata.ArrayDataset(features, labels), batch_size, shuffle=False)
    for _ in range(num_epochs):
        for batch_i, (X, y) in enumerate(data_iter):
            with autograd.record():
                l = loss(net(X, w, b), y).mean()
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            if (batch_i + 1) * batch_size % 20 == 0:
                ls.append(eval_loss())
    print('loss: %f' % ls[-1], 'curve', ' '.join('%.5f' % v for v in ls))
    return w, b


def train_gluon_ch7(trainer_name, trainer_hyperparams, features, labels, batch_size=10,
                    num_epochs=2):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=0.01))
    net(features[:1])
    set_weights(net, seed=7, scale=0.01)
    loss = gloss.L2Loss()

    def eval_loss():
        return loss(net(features), labels).mean().asscalar()

    ls = [eval_loss()]
    data_iter = gdata.DataLoader(gdata.ArrayDataset(features, labels), batch_size, shuffle=False)
    trainer = gluon.Trainer(net.collect_params(), trainer_name, trainer_hyperparams)
    for _ in range(num_epochs):
        for batch_i, (X, y) in enumerate(data_iter):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
            if (batch_i + 1) * batch_size % 20 == 0:
                ls.append(eval_loss())
    print('loss: %f' % ls[-1], 'curve', ' '.join('%.5f' % v for v in ls))
    return net


# ---------------------------------------------------------------- mini-batch SGD
def sgd(params, states, hyperparams):
    for p in params:
        p[:] -= hyperparams['lr'] * p.grad


w, b = train_ch7(sgd, None, {'lr': 0.05}, features, labels)
show('sgd w', w)
net = train_gluon_ch7('sgd', {'learning_rate': 0.05}, features, labels)
show('gluon sgd w', net[0].weight.data())


# ---------------------------------------------------------------- momentum
def init_momentum_states():
    v_w = nd.zeros((features.shape[1], 1))
    v_b = nd.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        v[:] = hyperparams['momentum'] * v + hyperparams['lr'] * p.grad
        p[:] -= v


train_ch7(sgd_momentum, init_momentum_states(), {'lr': 0.02, 'momentum': 0.5}, features, labels)
train_gluon_ch7('sgd', {'learning_rate': 0.02, 'momentum': 0.5}, features, labels)


# ---------------------------------------------------------------- AdaGrad
def init_adagrad_states():
    s_w = nd.zeros((features.shape[1], 1))
    s_b = nd.zeros(1)
    return (s_w, s_b)


def adagrad(params, states, hyperparams):
    eps = 1e-6
    for p, s in zip(params, states):
        s[:] += p.grad.square()
        p[:] -= hyperparams['lr'] * p.grad / (s + eps).sqrt()


train_ch7(adagrad, init_adagrad_states(), {'lr': 0.1}, features, labels)
train_gluon_ch7('adagrad', {'learning_rate': 0.1}, features, labels)


# ---------------------------------------------------------------- RMSProp
def init_rmsprop_states():
    s_w = nd.zeros((features.shape[1], 1))
    s_b = nd.zeros(1)
    return (s_w, s_b)


def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams['gamma'], 1e-6
    for p, s in zip(params, states):
        s[:] = gamma * s + (1 - gamma) * p.grad.square()
        p[:] -= hyperparams['lr'] * p.grad / (s + eps).sqrt()


train_ch7(rmsprop, init_rmsprop_states(), {'lr': 0.01, 'gamma': 0.9}, features, labels)
train_gluon_ch7('rmsprop', {'learning_rate': 0.01, 'gamma1': 0.9}, features, labels)


# ---------------------------------------------------------------- AdaDelta
def init_adadelta_states():
    s_w, s_b = nd.zeros((features.shape[1], 1)), nd.zeros(1)
    delta_w, delta_b = nd.zeros((features.shape[1], 1)), nd.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))


def adadelta(params, states, hyperparams):
    rho, eps = hyperparams['rho'], 1e-5
    for p, (s, delta) in zip(params, states):
        s[:] = rho * s + (1 - rho) * p.grad.square()
        g = ((delta + eps).sqrt() / (s + eps).sqrt()) * p.grad
        p[:] -= g
        delta[:] = rho * delta + (1 - rho) * g * g


train_ch7(adadelta, init_adadelta_states(), {'rho': 0.9}, features, labels)
train_gluon_ch7('adadelta', {'rho': 0.9}, features, labels)


# ---------------------------------------------------------------- Adam
def init_adam_states():
    v_w, v_b = nd.zeros((features.shape[1], 1)), nd.zeros(1)
    s_w, s_b = nd.zeros((features.shape[1], 1)), nd.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        v[:] = beta1 * v + (1 - beta1) * p.grad
        s[:] = beta2 * s + (1 - beta2) * p.grad.square()
        v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
        s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
        p[:] -= hyperparams['lr'] * v_bias_corr / (s_bias_corr.sqrt() + eps)
    hyperparams['t'] += 1


hyper = {'lr': 0.01, 't': 1}
train_ch7(adam, init_adam_states(), hyper, features, labels)
print('adam steps taken', hyper['t'] - 1)
net = train_gluon_ch7('adam', {'learning_rate': 0.01}, features, labels)
show('gluon adam w', net[0].weight.data())

# ---------------------------------------------------------------- learning-rate scheduling
lr_net = nn.HybridSequential()
lr_net.add(nn.Dense(8, activation='relu'), nn.Dense(1))
lr_net.initialize()
lr_net(features[:1])
lr_net.hybridize()
loss = gloss.L2Loss()


def train_sched(net, num_epochs, trainer, scheduler=None):
    loader = gdata.DataLoader(gdata.ArrayDataset(features, labels), 20, shuffle=False)
    for epoch in range(num_epochs):
        total = 0.0
        for X, y in loader:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(X.shape[0])
            total += l.sum().asscalar()
        if scheduler:
            trainer.set_learning_rate(scheduler(epoch))
        print('epoch %d, loss %.5f, lr %.5f' % (epoch + 1, total / features.shape[0],
                                                trainer.learning_rate))


set_weights(lr_net, seed=1, scale=0.3)
trainer = gluon.Trainer(lr_net.collect_params(), 'sgd', {'learning_rate': 0.3})
train_sched(lr_net, 2, trainer)


class SquareRootScheduler:
    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


set_weights(lr_net, seed=1, scale=0.3)
scheduler = SquareRootScheduler(lr=0.2)
trainer = gluon.Trainer(lr_net.collect_params(), 'sgd', {'learning_rate': 0.2})
train_sched(lr_net, 3, trainer, scheduler)

scheduler = lr_scheduler.FactorScheduler(step=1, factor=0.9, stop_factor_lr=1e-2, base_lr=2)
print('factor', ' '.join('%.5f' % scheduler(t) for t in range(0, 50, 5)))
scheduler = lr_scheduler.MultiFactorScheduler(step=[15, 30], factor=0.5, base_lr=0.5)
print('multifactor', ' '.join('%.5f' % scheduler(t) for t in range(0, 50, 5)))
scheduler = lr_scheduler.CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)
print('cosine', ' '.join('%.5f' % scheduler(t) for t in range(0, 30, 3)))
scheduler = mx.lr_scheduler.CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
print('cosine warmup', ' '.join('%.5f' % scheduler(t) for t in range(0, 30, 3)))

set_weights(lr_net, seed=1, scale=0.3)
scheduler = lr_scheduler.CosineScheduler(max_update=6, base_lr=0.3, final_lr=0.01,
                                         warmup_steps=2)
trainer = gluon.Trainer(lr_net.collect_params(), 'sgd', {'lr_scheduler': scheduler})
train_sched(lr_net, 3, trainer)
print('num_update', trainer._optimizer.num_update, 'final lr %.5f' % trainer.learning_rate)
try:
    trainer.set_learning_rate(0.1)
except UserWarning as e:
    print('set_learning_rate refused:', type(e).__name__)
