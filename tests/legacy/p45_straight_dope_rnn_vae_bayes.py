# "Deep Learning - The Straight Dope" (zackchase/mxnet-the-straight-dope), chapters 5, 13 and 18,
# shrunk: recurrent networks with gluon (the RNNModel over rnn.RNN relu / tanh, rnn.LSTM and
# rnn.GRU, with the decoder's weight tied to the embedding through params=, begin_state(func=
# mx.nd.zeros, batch_size=, ctx=), the hidden state carried from batch to batch through detach,
# gluon.utils.clip_global_norm over p.grad(ctx), perplexity, save_params / load_params and
# Trainer._init_optimizer to lower the learning rate after a worse validation loss), the
# variational autoencoder (a HybridBlock whose hybrid_forward returns the loss and keeps its
# decoder output in an attribute, F.split, NDArrayIter, save_parameters / load_parameters into a
# second network that is not hybridized) and Bayes by Backprop with gluon (BayesDense subclassing
# nn.Dense with extra deferred-shape parameters and calling Dense.hybrid_forward with sampled
# weights, a HybridSequential that sums a per-child loss over _reg_params, a Loss subclass holding
# the network as a child). The Penn Treebank and MNIST are small NumPy arrays. Random draws
# (F.random_normal, Dropout) come from each framework's own generator, so the noise is a fixed
# constant and the dropout rate 0. In MXNet 1.9.1 Block._children is an OrderedDict, so the
# chapter's `for c in self._children` (written when it was a list) is `self._children.values()`
# and `net._children[0]` is `net[0]`.
import math
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show

rng = np.random.RandomState(45)
tmp = tempfile.mkdtemp()
context = mx.cpu(0)


# ---------------------------------------------------------------- RNNs with gluon
class RNNModel(gluon.Block):
    """A model with an encoder, recurrent layer, and a decoder."""

    def __init__(self, mode, vocab_size, num_embed, num_hidden,
                 num_layers, dropout=0.5, tie_weights=False, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        with self.name_scope():
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(vocab_size, num_embed,
                                        weight_initializer=mx.init.Uniform(0.1))
            if mode == 'rnn_relu':
                self.rnn = rnn.RNN(num_hidden, num_layers, activation='relu', dropout=dropout,
                                   input_size=num_embed)
            elif mode == 'rnn_tanh':
                self.rnn = rnn.RNN(num_hidden, num_layers, dropout=dropout,
                                   input_size=num_embed)
            elif mode == 'lstm':
                self.rnn = rnn.LSTM(num_hidden, num_layers, dropout=dropout,
                                    input_size=num_embed)
            elif mode == 'gru':
                self.rnn = rnn.GRU(num_hidden, num_layers, dropout=dropout,
                                   input_size=num_embed)
            else:
                raise ValueError("Invalid mode %s. Options are rnn_relu, "
                                 "rnn_tanh, lstm, and gru" % mode)
            if tie_weights:
                self.decoder = nn.Dense(vocab_size, in_units=num_hidden,
                                        params=self.encoder.params)
            else:
                self.decoder = nn.Dense(vocab_size, in_units=num_hidden)
            self.num_hidden = num_hidden

    def forward(self, inputs, hidden):
        emb = self.drop(self.encoder(inputs))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output.reshape((-1, self.num_hidden)))
        return decoded, hidden

    def begin_state(self, *args, **kwargs):
        return self.rnn.begin_state(*args, **kwargs)


ntokens = 12
corpus_train = mx.nd.array(rng.randint(0, ntokens, 70), dtype='int32')
corpus_valid = mx.nd.array(rng.randint(0, ntokens, 30), dtype='int32')
args_nhid = args_emsize = 6
args_nlayers = 2
args_clip = 0.2
args_batch_size = 3
args_bptt = 5
args_dropout = 0.0


def batchify(data, batch_size):
    """Reshape data into (num_example, batch_size)"""
    nbatch = data.shape[0] // batch_size
    data = data[:nbatch * batch_size]
    data = data.reshape((batch_size, nbatch)).T
    return data


train_data = batchify(corpus_train, args_batch_size).as_in_context(context)
val_data = batchify(corpus_valid, args_batch_size).as_in_context(context)
print(train_data.shape, train_data.dtype, val_data.shape)


def get_batch(source, i):
    seq_len = min(args_bptt, source.shape[0] - 1 - i)
    data = source[i: i + seq_len]
    target = source[i + 1: i + 1 + seq_len]
    return data, target.reshape((-1,))


def detach(hidden):
    if isinstance(hidden, (tuple, list)):
        hidden = [i.detach() for i in hidden]
    else:
        hidden = hidden.detach()
    return hidden


def evaluate(model, data_source):
    total_L = 0.0
    ntotal = 0
    hidden = model.begin_state(func=mx.nd.zeros, batch_size=args_batch_size, ctx=context)
    for i in range(0, data_source.shape[0] - 1, args_bptt):
        data, target = get_batch(data_source, i)
        output, hidden = model(data, hidden)
        L = loss(output, target)
        total_L += mx.nd.sum(L).asscalar()
        ntotal += L.size
    return total_L / ntotal


loss = gluon.loss.SoftmaxCrossEntropyLoss()
for mode, tied, args_lr in [('rnn_relu', True, 1.0), ('rnn_tanh', False, 0.5),
                            ('lstm', True, 1.0), ('gru', False, 1.0)]:
    args_save = os.path.join(tmp, mode + '.param')
    model = RNNModel(mode, ntokens, args_emsize, args_nhid, args_nlayers, args_dropout, tied)
    model.collect_params().initialize(mx.init.Xavier(), ctx=context)
    set_weights(model, 5, 0.4)
    print(mode, 'tied' if tied else 'untied', sorted(model.collect_params().keys()))
    print(model.decoder.weight is model.encoder.weight)
    trainer = gluon.Trainer(model.collect_params(), 'sgd',
                            {'learning_rate': args_lr, 'momentum': 0, 'wd': 0})
    best_val = float("Inf")
    for epoch in range(3):
        total_L = 0.0
        hidden = model.begin_state(func=mx.nd.zeros, batch_size=args_batch_size, ctx=context)
        for ibatch, i in enumerate(range(0, train_data.shape[0] - 1, args_bptt)):
            data, target = get_batch(train_data, i)
            hidden = detach(hidden)
            with autograd.record():
                output, hidden = model(data, hidden)
                L = loss(output, target)
                L.backward()
            grads = [i.grad(context) for i in model.collect_params().values()]
            norm = gluon.utils.clip_global_norm(grads, args_clip * args_bptt * args_batch_size)
            trainer.step(args_batch_size)
            total_L += mx.nd.sum(L).asscalar()
        cur_L = total_L / train_data.shape[0] / args_batch_size
        val_L = evaluate(model, val_data)
        print('[Epoch %d] loss %.5f, perplexity %.5f, last norm %.5f, validation loss %.5f, '
              'validation perplexity %.5f' % (epoch + 1, cur_L, math.exp(cur_L), norm, val_L,
                                              math.exp(val_L)))
        if val_L < best_val:
            best_val = val_L
            model.save_params(args_save)
        else:
            args_lr = args_lr * 0.25
            trainer._init_optimizer('sgd', {'learning_rate': args_lr, 'momentum': 0, 'wd': 0})
            model.load_params(args_save, context)
            print('  reloaded the best model, learning rate', trainer.learning_rate)
    print('  hidden', [h.shape for h in (hidden if isinstance(hidden, list) else [hidden])])
    show('  decoder weight', model.decoder.weight.data())
    show('  state', hidden[0])


# ---------------------------------------------------------------- variational autoencoder
class VAE(gluon.HybridBlock):
    def __init__(self, n_hidden=400, n_latent=2, n_layers=1, n_output=784, batch_size=100,
                 act_type='relu', **kwargs):
        self.soft_zero = 1e-10
        self.n_latent = n_latent
        self.batch_size = batch_size
        self.output = None
        self.mu = None
        super(VAE, self).__init__(**kwargs)
        with self.name_scope():
            self.encoder = nn.HybridSequential(prefix='encoder')
            for i in range(n_layers):
                self.encoder.add(nn.Dense(n_hidden, activation=act_type))
            self.encoder.add(nn.Dense(n_latent * 2, activation=None))
            self.decoder = nn.HybridSequential(prefix='decoder')
            for i in range(n_layers):
                self.decoder.add(nn.Dense(n_hidden, activation=act_type))
            self.decoder.add(nn.Dense(n_output, activation='sigmoid'))

    def hybrid_forward(self, F, x):
        h = self.encoder(x)
        mu_lv = F.split(h, axis=1, num_outputs=2)
        mu = mu_lv[0]
        lv = mu_lv[1]
        self.mu = mu
        eps = F.ones_like(mu) * 0.3       # F.random_normal(loc=0, scale=1, shape=...) in the book
        z = mu + F.exp(0.5 * lv) * eps
        y = self.decoder(z)
        self.output = y
        KL = 0.5 * F.sum(1 + lv - mu * mu - F.exp(lv), axis=1)
        logloss = F.sum(x * F.log(y + self.soft_zero) + (1 - x) * F.log(1 - y + self.soft_zero),
                        axis=1)
        loss = -logloss - KL
        return loss


n_hidden, n_latent, n_layers, n_output, batch_size = 8, 2, 2, 16, 4
train_images = (rng.rand(12, n_output) > 0.5).astype('float32')
test_images = (rng.rand(4, n_output) > 0.5).astype('float32')
train_iter = mx.io.NDArrayIter(data={'data': train_images}, label={'label': np.zeros(12)},
                               batch_size=batch_size)
test_iter = mx.io.NDArrayIter(data={'data': test_images}, label={'label': np.zeros(4)},
                              batch_size=batch_size)
net = VAE(n_hidden=n_hidden, n_latent=n_latent, n_layers=n_layers, n_output=n_output,
          batch_size=batch_size)
net.collect_params().initialize(mx.init.Xavier(), ctx=context)
net(nd.array(train_images[:batch_size]))
set_weights(net, 6, 0.5)
net.hybridize()
print(sorted(net.collect_params().keys()))
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': .01})
for epoch in range(3):
    epoch_loss = 0
    train_iter.reset()
    test_iter.reset()
    n_batch_train = 0
    for batch in train_iter:
        n_batch_train += 1
        data = batch.data[0].as_in_context(context)
        with autograd.record():
            loss = net(data)
        loss.backward()
        trainer.step(data.shape[0])
        epoch_loss += nd.mean(loss).asscalar()
    epoch_val_loss = 0
    n_batch_val = 0
    for batch in test_iter:
        n_batch_val += 1
        data = batch.data[0].as_in_context(context)
        loss = net(data)
        epoch_val_loss += nd.mean(loss).asscalar()
    print('Epoch{}, Training loss {:.5f}, Validation loss {:.5f}'.format(
        epoch, epoch_loss / n_batch_train, epoch_val_loss / n_batch_val))
print('hybridized output attribute', type(net.output).__name__)
filename = os.path.join(tmp, 'vae.params')
net.save_parameters(filename)
net2 = VAE(n_hidden=n_hidden, n_latent=n_latent, n_layers=n_layers, n_output=n_output,
           batch_size=batch_size)
net2.load_parameters(filename, ctx=context)
test_iter.reset()
test_batch = test_iter.next()
show('vae loss', net2(test_batch.data[0].as_in_context(context)))
result = net2.output.asnumpy()
print(type(net2.output).__name__, result.shape)
show('vae reconstruction', result)
show('vae mu', net2.mu)
grid = nd.array(np.array([[x, y] for x in (-1.0, 0.0, 1.0) for y in (-0.5, 0.5)], 'float32'))
show('vae decoded grid', net2.decoder(grid))
print(net2.decoder)

# ---------------------------------------------------------------- Bayes by Backprop with gluon
config = {"num_hidden_layers": 2, "num_hidden_units": 8, "batch_size": 4, "epochs": 2,
          "learning_rate": 0.01, "num_samples": 1}


def normal_noise(F, shape):
    """Stands in for F.random_normal(shape=shape): a constant, the same in both frameworks."""
    return F.ones(shape=shape) * 0.5


class BayesDense(gluon.nn.Dense):
    def __init__(self, *args, weight_std_initializer=None, bias_std_initializer='zeros', **kwargs):
        super(BayesDense, self).__init__(*args, **kwargs)
        with self.name_scope():
            self.weight_std = self.params.get('weight_std', shape=(self._units, self._in_units),
                                              init=weight_std_initializer,
                                              allow_deferred_init=True)
            if self.bias is not None:
                self.bias_std = self.params.get('bias_std', shape=(self._units,),
                                                init=bias_std_initializer,
                                                allow_deferred_init=True)
            else:
                self.bias_std = None

    def _soft_add(self, F, x):
        return F.sqrt(x ** 2 + 1e-5)

    def get_shapes(self, weight_std, bias_std):
        if not hasattr(weight_std, 'shape'):
            r_shape = (self._units, self._in_units)
        else:
            r_shape = self.weight_std.shape
        return r_shape, (self._units,)

    def bayes_loss(self, F, weight_std, bias_std=None, **kwargs):
        rw_shape, rb_shape = self.get_shapes(weight_std, bias_std)
        loss = nd.sum(
            F.log(self._soft_add(F, weight_std)) +
            normal_noise(F, rw_shape) ** 2 / (2.0 * self._soft_add(F, weight_std) ** 2)
        )
        if bias_std is not None:
            loss = loss + nd.sum(
                F.log(self._soft_add(F, bias_std)) +
                normal_noise(F, rb_shape) / (2.0 * self._soft_add(F, bias_std) ** 2)
            )
        return loss

    def hybrid_forward(self, F, x, weight, weight_std, bias=None, bias_std=None):
        rw_shape, rb_shape = self.get_shapes(self.weight_std, self.bias_std)
        w = weight + normal_noise(F, rw_shape) * self._soft_add(F, weight_std)
        if bias is not None:
            b = bias + normal_noise(F, rb_shape) * self._soft_add(F, bias_std)
        else:
            b = None
        return super(BayesDense, self).hybrid_forward(F, x, weight=w, bias=b)


class BayesSequential(gluon.nn.HybridSequential):
    def bayes_loss(self, F, **kwargs):
        def params(child):
            if F is mx.ndarray:
                return {i: j.data() for i, j in child._reg_params.items()}
            elif F is mx.symbol:
                return {i: j.var() for i, j in child._reg_params.items()}
            else:
                return {}

        return sum(
            c.bayes_loss(F, **params(c), **kwargs)
            if type(c) == BayesDense else 0.0
            for c in self._children.values()
        )


class BayesSoftmaxCrossEntropyLoss(gluon.loss.SoftmaxCrossEntropyLoss):
    def __init__(self, bayes_net, *args, prior_scale=1, **kwargs):
        assert hasattr(bayes_net, 'bayes_loss')
        super(BayesSoftmaxCrossEntropyLoss, self).__init__(*args, **kwargs)
        self.prior_scale = prior_scale
        with self.name_scope():
            self.bayes_net = bayes_net

    def hybrid_forward(self, F, *args, **kwargs):
        return (
            super(BayesSoftmaxCrossEntropyLoss, self).hybrid_forward(F, *args, **kwargs) +
            self.prior_scale * self.bayes_net.bayes_loss(F)
        )


num_inputs, num_outputs = 10, 3
features = rng.randn(16, num_inputs).astype('float32') / 1.26
classes = rng.randint(0, num_outputs, 16).astype('float32')
train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(features, classes),
                                   config['batch_size'], shuffle=False)
num_train = sum([config['batch_size'] for i in train_data])
num_batches = num_train / config['batch_size']
num_layers = config['num_hidden_layers']
num_hidden = config['num_hidden_units']
net = BayesSequential()
with net.name_scope():
    for i in range(num_layers):
        net.add(BayesDense(num_hidden, activation="relu", weight_std_initializer=mx.init.Constant(0.05)))
    net.add(BayesDense(num_outputs, weight_std_initializer=mx.init.Constant(0.05)))
net.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=context)
print(net.collect_params())
softmax_cross_entropy = BayesSoftmaxCrossEntropyLoss(net, prior_scale=1.0 / num_batches)
print(softmax_cross_entropy)
net(nd.array(features[:1]))
print([p.shape for p in net.collect_params().values()])
set_weights(net, 7, 0.3)
for name, p in sorted(net.collect_params().items()):
    if name.endswith('_std'):
        p.set_data(nd.abs(p.data()) + 0.05)
print(sorted(net[0]._reg_params.keys()))
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': config['learning_rate']})


def evaluate_accuracy(data_iterator, net, samples=3):
    numerator = 0.
    denominator = 0.
    for i, (data, label) in enumerate(data_iterator):
        data = data.as_in_context(context).reshape((-1, num_inputs))
        label = label.as_in_context(context)
        output = sum(net(data) for i in range(samples)) / samples
        predictions = nd.argmax(output, axis=1)
        numerator += nd.sum(predictions == label)
        denominator += data.shape[0]
    return (numerator / denominator).asscalar()


smoothing_constant = .01
for e in range(config['epochs']):
    for i, (data, label) in enumerate(train_data):
        data = data.as_in_context(context).reshape((-1, num_inputs))
        label = label.as_in_context(context)
        with autograd.record():
            output = net(data)
            loss = softmax_cross_entropy(output, label)
            loss.backward()
        trainer.step(data.shape[0])
        curr_loss = nd.mean(loss).asscalar()
        moving_loss = (curr_loss if ((i == 0) and (e == 0))
                       else (1 - smoothing_constant) * moving_loss + smoothing_constant * curr_loss)
    print("Epoch %s. Loss: %.5f, Train_acc %.4f" % (e, moving_loss,
                                                     evaluate_accuracy(train_data, net)))
print('bayes loss term %.5f' % net.bayes_loss(nd).asscalar())
mu = net[0].weight.data().asnumpy().flatten()[0]
var = net[0].weight_std.data().asnumpy().flatten()[0]
print('first weight mean %.5f std %.5f' % (mu, var))
show('weight_std grad', net[0].weight_std.grad())
net.hybridize()
show('hybridized bayes net', net(nd.array(features[:2])))


def signal_to_noise_ratio(mus, sigmas):
    sign_to_noise = []
    for j in range(len(mus)):
        sign_to_noise.extend([nd.abs(mus[j]) / sigmas[j]])
    return sign_to_noise


mus = [net[i].weight.data() for i in range(len(net))]
sigmas = [nd.sqrt(net[i].weight_std.data() ** 2 + 1e-5) for i in range(len(net))]
snr = signal_to_noise_ratio(mus, sigmas)
flat = np.concatenate([s.asnumpy().ravel() for s in snr])
print('snr sizes', [s.size for s in snr], 'median %.5f' % np.median(flat))
