import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show

rng = np.random.RandomState(25)

# Vanilla RNN layers: two stacked relu layers, a bidirectional tanh layer in batch-major layout.
relu2 = rnn.RNN(5, num_layers=2, activation='relu', input_size=3)
tanh_bi = rnn.RNN(4, activation='tanh', layout='NTC', bidirectional=True, input_size=3)
for i, layer in enumerate([relu2, tanh_bi]):
    layer.initialize()
    set_weights(layer, seed=25 + i, scale=0.5)
    print(layer)
    print([(k, v.shape) for k, v in sorted(layer.collect_params().items())])
x_tnc = nd.array(rng.randn(6, 2, 3))
out = relu2(x_tnc)                                   # no state given: only the output
print('relu2 output only', out.shape)
show('relu2 out t=5', out[5])
states = relu2.begin_state(batch_size=2, func=nd.ones)
print('begin_state', [s.shape for s in states])
out, states = relu2(x_tnc, [s * 0.1 for s in states])
show('relu2 h layer 1', states[0][1])
x_ntc = x_tnc.transpose((1, 0, 2))
out, h = tanh_bi(x_ntc, tanh_bi.begin_state(2))
print('bi output', out.shape, 'state', h[0].shape)
show('bi first step', out[0, 0])
show('bi states', h[0])
tanh_bi.hybridize()
out2, h2 = tanh_bi(x_ntc, tanh_bi.begin_state(2))
show('bi hybrid', out2[1, -1])


# A sequence regressor trained with truncated back-propagation through time: the state carries
# over between chunks of one long series, detached so gradients stop at the chunk boundary.
class Regressor(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.rnn = rnn.RNN(6, num_layers=2, activation='tanh', input_size=2)
            self.head = nn.Dense(1, flatten=False, in_units=6)

    def hybrid_forward(self, F, x, *state):
        out, state = self.rnn(x, list(state))
        return self.head(out), state


t = np.arange(40, dtype='float32') * 0.3
series = np.stack([np.sin(t), np.cos(0.5 * t)], axis=-1)          # (40, 2)
batch = nd.array(np.stack([series, series[::-1].copy()], axis=1))  # (T=40, N=2, 2)
target = nd.array(np.roll(series[:, :1], -1, axis=0))              # next sin value
target = nd.stack(target, target[::-1], axis=1)
model = Regressor()
model.initialize()
set_weights(model, seed=27, scale=0.3)
model.hybridize()
trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': 0.02})
l2 = gluon.loss.L2Loss()
for epoch in range(2):
    state = model.rnn.begin_state(batch_size=2)
    total = 0.0
    for start in range(0, 40, 10):
        state = [s.detach() for s in state]
        with autograd.record():
            pred, state = model(batch[start:start + 10], *state)
            loss = l2(pred, target[start:start + 10])
        loss.backward()
        trainer.step(2)
        total += loss.mean().asscalar()
    print('epoch', epoch, 'loss %.6f' % (total / 4))
show('carried state', state[0][:, 1])
show('l0 h2h grad', model.rnn.l0_h2h_weight.grad()[0])
show('prediction', model(batch[:4], *model.rnn.begin_state(batch_size=2))[0][:, 0])
