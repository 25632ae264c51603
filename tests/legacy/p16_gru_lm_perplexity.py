import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show


class GRULM(gluon.HybridBlock):
    """Word-level language model (the MXNet word_language_model example, GRU flavour)."""

    def __init__(self, vocab, embed, hidden, layers, dropout=0.0, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(vocab, embed)
            self.rnn = rnn.GRU(hidden, num_layers=layers, dropout=dropout, input_size=embed)
            self.decoder = nn.Dense(vocab, in_units=hidden, flatten=False)
        self.hidden = hidden

    def hybrid_forward(self, F, inputs, hidden):
        emb = self.drop(self.encoder(inputs))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden

    def begin_state(self, *args, **kwargs):
        return self.rnn.begin_state(*args, **kwargs)


def batchify(ids, batch_size):
    nbatch = len(ids) // batch_size
    return nd.array(ids[:nbatch * batch_size]).reshape((batch_size, nbatch)).T


vocab, bptt, batch_size = 15, 5, 3
rng = np.random.RandomState(16)
corpus = rng.randint(0, vocab, size=64)
train_data = batchify(corpus[:48], batch_size)          # (16, 3)
val_data = batchify(corpus[48:], batch_size)            # (5, 3)
model = GRULM(vocab, 6, 8, 2, dropout=0.2)
model.initialize()
set_weights(model, seed=16, scale=0.3)
model.hybridize()
trainer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 2.0, 'momentum': 0,
                                                        'wd': 0})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()


def evaluate(source):
    metric = mx.metric.Perplexity(ignore_label=None)
    hidden = model.begin_state(func=nd.zeros, batch_size=batch_size)
    for i in range(0, source.shape[0] - 1, bptt):
        seq_len = min(bptt, source.shape[0] - 1 - i)
        data, target = source[i:i + seq_len], source[i + 1:i + 1 + seq_len]
        output, hidden = model(data, hidden)
        metric.update([target.reshape((-1,))], [nd.softmax(output.reshape((-1, vocab)))])
    return metric.get()


print('initial val', evaluate(val_data))
for epoch in range(2):
    hidden = model.begin_state(func=nd.zeros, batch_size=batch_size)
    total, count = 0.0, 0
    for i in range(0, train_data.shape[0] - 1, bptt):
        seq_len = min(bptt, train_data.shape[0] - 1 - i)
        data, target = train_data[i:i + seq_len], train_data[i + 1:i + 1 + seq_len]
        hidden = [h.detach() for h in hidden]
        # train_mode=False keeps dropout off: its masks depend on each framework's RNG stream
        with autograd.record(train_mode=False):
            output, hidden = model(data, hidden)
            loss = loss_fn(output.reshape((-1, vocab)), target.reshape((-1,)))
        loss.backward()
        grads = [p.grad() for p in model.collect_params().values() if p.grad_req != 'null']
        norm = gluon.utils.clip_global_norm(grads, 0.25 * bptt * batch_size)
        trainer.step(bptt * batch_size)
        total += loss.sum().asscalar()
        count += loss.size
        print('epoch %d batch %d loss %.6f norm %.6f' % (epoch, i // bptt, loss.mean().asscalar(), norm))
    print('epoch %d train ppl %.6f' % (epoch, np.exp(total / count)), 'val', evaluate(val_data))
show('final hidden', hidden[0][1, 0])
show('decoder bias', model.decoder.bias.data())
