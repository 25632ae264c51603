import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show


class LM(gluon.Block):
    def __init__(self, vocab, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.embed = nn.Embedding(vocab, 8)
            self.lstm = rnn.LSTM(12, num_layers=2, input_size=8)
            self.decoder = nn.Dense(vocab, in_units=12, flatten=False)

    def forward(self, x, state):
        out, state = self.lstm(self.embed(x), state)
        return self.decoder(out), state


rng = np.random.RandomState(3)
data = nd.array(rng.randint(0, 20, size=(6, 4)))      # (T, N) token ids
target = nd.array(rng.randint(0, 20, size=(6, 4)))
model = LM(20)
model.initialize()
set_weights(model)
print(sorted(model.collect_params().keys()))
trainer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 1.0})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
state = model.lstm.begin_state(batch_size=4)
for step in range(3):
    state = [s.detach() for s in state]
    with autograd.record():
        out, state = model(data, state)
        loss = loss_fn(out.reshape((-1, 20)), target.reshape((-1,)))
    loss.backward()
    grads = [p.grad() for p in model.collect_params().values()]
    norm = gluon.utils.clip_global_norm(grads, 0.5)
    trainer.step(24)
    print('step', step, 'loss %.6f' % loss.mean().asscalar(), 'norm %.6f' % norm)
show('state h', state[0][1, 0])
