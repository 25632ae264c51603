# "Dive into Deep Learning" (MXNet edition) style: an RNN language model from scratch and a
# gluon.rnn.GRU one, trained with consecutive sampling. The hidden state is carried from batch to
# batch with the book's `for s in state: s.detach()`, which in MXNet 1.x discards its result: it
# works because the previous backward freed the graph behind the state. Also the anchor boxes
# of the object-detection chapter (contrib.nd.MultiBoxPrior, box_iou).
import minigluon as mx
import math
import numpy as np
from minigluon import autograd, contrib, gluon, init, nd
from minigluon.gluon import loss as gloss, nn, rnn
from _common import set_weights, show

rng = np.random.RandomState(32)
vocab_size, num_hiddens, batch_size, num_steps = 10, 12, 3, 4
corpus = list(rng.randint(0, vocab_size, 80))


def data_iter_consecutive(corpus_indices, batch_size, num_steps):
    corpus_indices = nd.array(corpus_indices)
    batch_len = len(corpus_indices) // batch_size
    indices = corpus_indices[0: batch_size * batch_len].reshape((batch_size, batch_len))
    for i in range((batch_len - 1) // num_steps):
        i = i * num_steps
        yield indices[:, i: i + num_steps], indices[:, i + 1: i + num_steps + 1]


def to_onehot(X, size):
    return [nd.one_hot(x, size) for x in X.T]


def get_params():
    params = [nd.array(rng.normal(scale=0.1, size=s)) for s in
              [(vocab_size, num_hiddens), (num_hiddens, num_hiddens)]]
    params += [nd.zeros(num_hiddens), nd.array(rng.normal(scale=0.1, size=(num_hiddens, vocab_size))),
               nd.zeros(vocab_size)]
    for param in params:
        param.attach_grad()
    return params


def rnn_scratch(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = nd.tanh(nd.dot(X, W_xh) + nd.dot(H, W_hh) + b_h)
        outputs.append(nd.dot(H, W_hq) + b_q)
    return outputs, (H,)


def grad_clipping(params, theta):
    norm = nd.array([0])
    for param in params:
        norm += (param.grad ** 2).sum()
    norm = norm.sqrt().asscalar()
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


loss = gloss.SoftmaxCrossEntropyLoss()
params = get_params()
for epoch in range(2):
    state = (nd.zeros((batch_size, num_hiddens)),)
    l_sum, n = 0.0, 0
    for X, Y in data_iter_consecutive(corpus, batch_size, num_steps):
        for s in state:
            s.detach()
        with autograd.record():
            outputs, state = rnn_scratch(to_onehot(X, vocab_size), state, params)
            l = loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,))).mean()
        l.backward()
        grad_clipping(params, 0.5)
        sgd(params, 1, 1)
        l_sum += l.asscalar() * Y.size
        n += Y.size
    print('scratch epoch %d, perplexity %.5f' % (epoch + 1, math.exp(l_sum / n)))
show('W_hh', params[1])


class RNNModel(nn.Block):
    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.dense = nn.Dense(vocab_size)

    def forward(self, inputs, state):
        X = nd.one_hot(inputs.T, self.vocab_size)
        Y, state = self.rnn(X, state)
        return self.dense(Y.reshape((-1, Y.shape[-1]))), state

    def begin_state(self, *args, **kwargs):
        return self.rnn.begin_state(*args, **kwargs)


model = RNNModel(rnn.GRU(num_hiddens), vocab_size)
model.initialize(init.Normal(0.01))
model(nd.zeros((batch_size, num_steps)), model.begin_state(batch_size=batch_size))
set_weights(model, seed=32, scale=0.3)
trainer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 1, 'momentum': 0, 'wd': 0})
for epoch in range(2):
    state = model.begin_state(batch_size=batch_size)
    l_sum, n = 0.0, 0
    for X, Y in data_iter_consecutive(corpus, batch_size, num_steps):
        for s in state:
            s.detach()
        with autograd.record():
            output, state = model(X, state)
            l = loss(output, Y.T.reshape((-1,))).mean()
        l.backward()
        grads = [p.grad() for p in model.collect_params().values()]
        gluon.utils.clip_global_norm(grads, 0.5)
        trainer.step(1)
        l_sum += l.asscalar() * Y.size
        n += Y.size
    print('gluon epoch %d, perplexity %.5f' % (epoch + 1, math.exp(l_sum / n)))
show('state', state[0])

fmap = nd.zeros((1, 3, 4, 5))
anchors = contrib.nd.MultiBoxPrior(fmap, sizes=[0.75, 0.5, 0.25], ratios=[1, 2, 0.5])
print(anchors.shape)
boxes = anchors.reshape((4, 5, 5, 4))
show('anchors at (2, 2)', boxes[2, 2, :, :] * nd.array([5, 4, 5, 4]))
ground_truth = nd.array([[0.1, 0.08, 0.52, 0.92], [0.55, 0.2, 0.9, 0.88]])
show('iou', contrib.nd.box_iou(boxes[2, 2, :, :], ground_truth))
