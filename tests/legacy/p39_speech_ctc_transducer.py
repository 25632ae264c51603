# Gluon acoustic models on TIMIT-style features (HawkAaron/RNN-Transducer), shrunk: the CTC model
# (an NTC bidirectional LSTM with a Dense(flatten=False) output, a gluon.loss.Loss subclass that
# calls F.contrib.CTCLoss with blank_label='first' and both length inputs, zero-padded batches with
# their lengths, SGD with momentum, clip_global_norm over p.grad(ctx), step(ignore_stale_grad=True),
# ParameterDict save/load to roll back a rejected epoch and halve the learning rate, greedy decoding
# by log_softmax and fancy indexing, a token error rate), and the RNN transducer (a NumPy
# transducer loss registered as a CustomOp and called through F.Custom from a Loss subclass, a
# prediction LSTM fed one_hot labels after a zero frame, the joint network over broadcast_axis-ed
# encoder and prediction outputs, step-wise greedy decoding with carried LSTM states).
# Dropout is 0 (its masks would come from each framework's own random stream); feature files
# (Kaldi) are replaced by arrays, editdistance by a small Levenshtein function.
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon
from minigluon.gluon import nn, rnn
from _common import set_weights, show

tmp = tempfile.mkdtemp()
context = mx.cpu(0)


class CTCLoss(gluon.loss.Loss):
    def __init__(self, layout='NTC', label_layout='NT', weight=None, **kwargs):
        assert layout in ['NTC', 'TNC'], "Only 'NTC' and 'TNC' layouts for pred are supported."
        assert label_layout in ['NT', 'TN'], "Only 'NT' and 'TN' layouts for label are supported."
        self._layout = layout
        self._label_layout = label_layout
        batch_axis = label_layout.find('N')
        super(CTCLoss, self).__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None):
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        return F.contrib.CTCLoss(pred, label, pred_lengths, label_lengths,
                                 use_data_lengths=pred_lengths is not None,
                                 use_label_lengths=label_lengths is not None,
                                 blank_label='first')


class RNNModel(gluon.Block):
    def __init__(self, vocab_size, num_hidden, num_layers, dropout=0, bidirectional=False):
        super(RNNModel, self).__init__()
        with self.name_scope():
            self.rnn = rnn.LSTM(num_hidden, num_layers, 'NTC', dropout=dropout,
                                bidirectional=bidirectional)
            if bidirectional:
                num_hidden *= 2
            self.decoder = nn.Dense(vocab_size, flatten=False, in_units=num_hidden)

    def forward(self, xs):
        return self.decoder(self.rnn(xs))

    def greedy_decode(self, xs):
        xs = self(xs)[0]
        xs = mx.nd.log_softmax(xs, axis=1)
        pred = mx.nd.argmax(xs, axis=1)
        logp = xs[list(range(xs.shape[0])), pred].sum().asscalar()
        return pred.asnumpy(), -logp


def zero_pad_concat(inputs):
    max_t = max(inp.shape[0] for inp in inputs)
    shape = (len(inputs), max_t) + inputs[0].shape[1:]
    input_mat = np.zeros(shape, dtype=np.float32)
    for e, inp in enumerate(inputs):
        input_mat[e, :inp.shape[0]] = inp
    return input_mat


def convert(inputs, labels, ctx):
    xlen = mx.nd.array([i.shape[0] for i in inputs])
    ylen = mx.nd.array([i.shape[0] for i in labels])
    xs = mx.nd.array(zero_pad_concat(inputs), ctx=ctx)
    ys = mx.nd.array(zero_pad_concat(labels), ctx=ctx)
    return xs, ys, xlen, ylen


def levenshtein(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


class TokenAcc():
    def __init__(self, blank=0):
        self.err = self.cnt = 0
        self.blank = blank

    def update(self, pred, label, xlen, ylen):
        e = sum(self._distance(pred[i, :int(j)], label[i, :int(k)])
                for i, (j, k) in enumerate(zip(xlen, ylen)))
        c = sum(ylen)
        self.err += e
        self.cnt += c
        return 100 * e / c

    def getAll(self):
        return 100 * self.err / self.cnt

    def _distance(self, y, t):
        if len(y.shape) > 1:
            y = np.argmax(y, axis=1)
        prev, hyp = self.blank, []
        for i in y:
            if i != self.blank and i != prev:
                hyp.append(i)
            prev = i
        return levenshtein(hyp, list(t))


# ---------------------------------------------------------------- data: 5 phones + blank 0
rng = np.random.RandomState(39)
utterances = []
for n in range(6):
    T = 7 + n % 3
    labels = rng.randint(1, 6, size=2 + n % 2)
    utterances.append((rng.randn(T, 5).astype(np.float32), labels.astype(np.float32)))
trainset = [convert([u[0] for u in utterances[i:i + 2]], [u[1] for u in utterances[i:i + 2]],
                    context) for i in (0, 2)]
devset = [convert([u[0] for u in utterances[4:]], [u[1] for u in utterances[4:]], context)]
xs, ys, xlen, ylen = trainset[0]
print('batch', xs.shape, ys.asnumpy().tolist(), xlen.asnumpy(), ylen.asnumpy())

# ---------------------------------------------------------------- CTC acoustic model
model = RNNModel(6, 4, 1, 0, bidirectional=True)
model.initialize(mx.init.Uniform(0.1), ctx=context)
model(xs)
set_weights(model, 39, 0.4)
print(sorted(model.collect_params().keys()))
trainer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 0.4, 'momentum': 0.9})
criterion = CTCLoss()


def evaluate(ctx=context):
    losses = []
    for xs, ys, xlen, ylen in devset:
        out = model(xs)
        loss = criterion(out, ys, xlen, ylen)
        losses.append(float(loss.sum().asscalar()))
    return sum(losses) / len(devset), sum(losses) / sum(float(y[3].sum().asscalar()) for y in devset)


prev_loss, best_model = 1000, None
for epoch in range(1, 6):
    losses = []
    for i, (xs, ys, xlen, ylen) in enumerate(trainset):
        with autograd.record():
            out = model(xs)
            loss = criterion(out, ys, xlen, ylen)
            loss.backward()
        losses.append(float(loss.sum().asscalar()))
        grads = [p.grad(context) for p in model.collect_params().values()]
        norm = gluon.utils.clip_global_norm(grads, 2.0)
        trainer.step(2, ignore_stale_grad=True)
        print('epoch %d batch %d loss %.5f norm %.5f' % (epoch, i, losses[-1], norm))
    train_loss = sum(losses) / len(trainset)
    val_l, logl = evaluate()
    print('[Epoch %d] train loss %.5f; cv loss %.5f, log_loss %.5f; lr %.4f' % (
        epoch, train_loss, val_l, logl, trainer.learning_rate))
    if val_l < prev_loss:
        prev_loss = val_l
        best_model = os.path.join(tmp, 'params_epoch%03d' % epoch)
        model.collect_params().save(best_model)
    else:
        model.collect_params().save(os.path.join(tmp, 'params_epoch%03d_rejected' % epoch))
        model.collect_params().load(best_model, context)
        trainer.set_learning_rate(trainer.learning_rate / 2)
        print('rejected, back to', os.path.basename(best_model), 'lr %.4f' % trainer.learning_rate)
show('decoder weight', model.decoder.weight.data())

acc = TokenAcc()
for xs, ys, xlen, ylen in devset:
    out = mx.nd.log_softmax(model(xs), axis=2).asnumpy()
    print('PER %.4f' % acc.update(out, ys.asnumpy(), xlen.asnumpy(), ylen.asnumpy()))
pred, nll = model.greedy_decode(devset[0][0][:1])
print('greedy', pred.tolist(), '%.5f' % nll)

# TNC/TN layouts through the same subclass, and with no lengths (padded -1 labels would be
# wrong with blank 0: every label is full length here).
out = model(xs)
tn = CTCLoss(layout='TNC', label_layout='TN')
show('TNC loss', tn(out.swapaxes(0, 1), ys.swapaxes(0, 1), xlen, ylen))
show('no lengths loss', criterion(out[:, :7], ys[:, :2]))


# ---------------------------------------------------------------- RNN transducer
def forward_pass(log_probs, labels, blank):
    T, U, _ = log_probs.shape
    alphas = np.zeros((T, U))
    for t in range(1, T):
        alphas[t, 0] = alphas[t - 1, 0] + log_probs[t - 1, 0, blank]
    for u in range(1, U):
        alphas[0, u] = alphas[0, u - 1] + log_probs[0, u - 1, labels[u - 1]]
    for t in range(1, T):
        for u in range(1, U):
            no_emit = alphas[t - 1, u] + log_probs[t - 1, u, blank]
            emit = alphas[t, u - 1] + log_probs[t, u - 1, labels[u - 1]]
            alphas[t, u] = np.logaddexp(emit, no_emit)
    return alphas, alphas[T - 1, U - 1] + log_probs[T - 1, U - 1, blank]


def backward_pass(log_probs, labels, blank):
    T, U, _ = log_probs.shape
    betas = np.zeros((T, U))
    betas[T - 1, U - 1] = log_probs[T - 1, U - 1, blank]
    for t in reversed(range(T - 1)):
        betas[t, U - 1] = betas[t + 1, U - 1] + log_probs[t, U - 1, blank]
    for u in reversed(range(U - 1)):
        betas[T - 1, u] = betas[T - 1, u + 1] + log_probs[T - 1, u, labels[u]]
    for t in reversed(range(T - 1)):
        for u in reversed(range(U - 1)):
            no_emit = betas[t + 1, u] + log_probs[t, u, blank]
            emit = betas[t, u + 1] + log_probs[t, u, labels[u]]
            betas[t, u] = np.logaddexp(emit, no_emit)
    return betas, betas[0, 0]


def transduce(log_probs, labels, blank=0):
    alphas, ll_forward = forward_pass(log_probs, labels, blank)
    betas, _ = backward_pass(log_probs, labels, blank)
    T, U, _ = log_probs.shape
    grads = np.full(log_probs.shape, -np.inf)
    grads[T - 1, U - 1, blank] = alphas[T - 1, U - 1]
    grads[:T - 1, :, blank] = alphas[:T - 1, :] + betas[1:, :]
    for u, l in enumerate(labels):
        grads[:, u, l] = alphas[:, u] + betas[:, u + 1]
    return -ll_forward, -np.exp(grads - betas[0, 0])


def transduce_batch(log_probs, labels, flen, glen, blank=0):
    grads = np.zeros_like(log_probs)
    costs = []
    for b in range(log_probs.shape[0]):
        t, u = int(flen[b]), int(glen[b]) + 1
        ll, g = transduce(log_probs[b, :t, :u, :], labels[b, :u - 1], blank)
        grads[b, :t, :u, :] = g
        costs.append(ll)
    return costs, grads


class RNNTransducer(mx.operator.CustomOp):
    def __init__(self, blank):
        self.blank = blank

    def forward(self, is_train, req, in_data, out_data, aux):
        ytu, y, flen, glen = in_data
        logp = ytu.log()
        loss, grad = transduce_batch(logp.asnumpy(), y.asnumpy().astype(np.int32),
                                     flen.asnumpy(), glen.asnumpy(), self.blank)
        self.saved_tensors = mx.nd.array(grad, ctx=logp.context),
        self.assign(out_data[0], req[0], mx.nd.array(loss, ctx=logp.context))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        grad, = self.saved_tensors
        self.assign(in_grad[0], req[0], grad)


@mx.operator.register('Transducer')
class RNNTransducerProp(mx.operator.CustomOpProp):
    def __init__(self, blank=0):
        super(RNNTransducerProp, self).__init__()
        self.blank = int(blank)

    def list_arguments(self):
        return ['ytu', 'label', 'flen', 'glen']

    def list_outputs(self):
        return ['output']

    def infer_shape(self, in_shapes):
        return in_shapes, ((in_shapes[1][0],),), ()

    def create_operator(self, ctx, shapes, dtypes):
        return RNNTransducer(self.blank)


class RNNTLoss(mx.gluon.loss.Loss):
    def __init__(self, blank=0, weight=None, **kwargs):
        self.blank = blank
        super(RNNTLoss, self).__init__(weight, 0, **kwargs)

    def hybrid_forward(self, F, ytu, label, flen, glen):
        return F.Custom(ytu, label, flen, glen, blank=self.blank, op_type='Transducer')


class Transducer(gluon.Block):
    def __init__(self, vocab_size, num_hidden, num_layers, dropout=0, blank=0, bidirectional=False):
        super(Transducer, self).__init__()
        self.num_hidden, self.vocab_size, self.blank = num_hidden, vocab_size, blank
        self.loss = RNNTLoss(blank=blank)
        with self.name_scope():
            self.encoder = RNNModel(num_hidden, num_hidden, num_layers, dropout, bidirectional)
            self.decoder = rnn.LSTM(num_hidden, 1, 'NTC', dropout=dropout,
                                    input_size=vocab_size - 1)
            self.fc1 = nn.Dense(num_hidden, flatten=False, in_units=2 * num_hidden)
            self.fc2 = nn.Dense(vocab_size, flatten=False, in_units=num_hidden)

    def joint(self, f, g):
        dim = len(f.shape) - 1
        out = mx.nd.concat(f, g, dim=dim)
        out = mx.nd.tanh(self.fc1(out))
        return self.fc2(out)

    def forward(self, xs, ys, xlen, ylen):
        f = self.encoder(xs)
        ymat = mx.nd.one_hot(ys - 1, self.vocab_size - 1)
        ymat = mx.nd.concat(mx.nd.zeros((ymat.shape[0], 1, ymat.shape[2]), ctx=ymat.context),
                            ymat, dim=1)
        g = self.decoder(ymat)
        f1 = mx.nd.expand_dims(f, axis=2)
        g1 = mx.nd.expand_dims(g, axis=1)
        f1 = mx.nd.broadcast_axis(f1, 2, g1.shape[2])
        g1 = mx.nd.broadcast_axis(g1, 1, f1.shape[1])
        ytu = mx.nd.softmax(self.joint(f1, g1), axis=3)
        return self.loss(ytu, ys, xlen, ylen)

    def greedy_decode(self, xs, max_symbols=3):
        ctx = xs.context
        h = self.encoder(xs)[0]
        y = mx.nd.zeros((1, 1, self.vocab_size - 1), ctx=ctx)
        hid = [mx.nd.zeros((1, 1, self.num_hidden), ctx=ctx)] * 2
        y, hid = self.decoder(y, hid)
        y_seq, logp = [], 0
        for xi in h:
            for _ in range(max_symbols):
                ytu = mx.nd.log_softmax(self.joint(xi, y[0][0]))
                yi = mx.nd.argmax(ytu, axis=0)
                pred = int(yi.asscalar())
                logp += float(ytu[yi].asscalar())
                if pred == self.blank:
                    break
                y_seq.append(pred)
                y = mx.nd.one_hot(yi.reshape((1, 1)) - 1, self.vocab_size - 1).as_in_context(ctx)
                y, hid = self.decoder(y, hid)
        return y_seq, -logp


transducer = Transducer(6, 4, 1)
transducer.initialize(mx.init.Uniform(0.1), ctx=context)
transducer.encoder(xs)
set_weights(transducer, 391, 0.5)
print(sorted(transducer.collect_params().keys())[:5])
rtrainer = gluon.Trainer(transducer.collect_params(), 'sgd',
                         {'learning_rate': 0.05, 'momentum': 0.9})
for epoch in range(3):
    for i, (xs, ys, xlen, ylen) in enumerate(trainset):
        with autograd.record():
            loss = transducer(xs, ys, xlen, ylen)
        loss.backward()
        rtrainer.step(2)
        show('rnnt epoch %d batch %d' % (epoch, i), loss)
show('rnnt fc2 grad', transducer.fc2.weight.grad())
show('rnnt decoder grad', transducer.decoder.l0_h2h_weight.grad())
seq, nll = transducer.greedy_decode(devset[0][0][:1])
print('rnnt greedy', seq, '%.5f' % nll)
