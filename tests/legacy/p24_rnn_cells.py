import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import rnn
from _common import set_weights, show

rng = np.random.RandomState(24)
ntc = nd.array(rng.randn(2, 5, 3))
tnc = ntc.transpose((1, 0, 2))

# Single cells stepped by hand.
gru = rnn.GRUCell(4, input_size=3, prefix='gru_')
gru.initialize()
set_weights(gru, seed=24, scale=0.5)
print(gru, sorted(gru.collect_params().keys()))
print('state info', gru.state_info(2))
states = gru.begin_state(batch_size=2)
for t in range(2):
    out, states = gru(ntc[:, t, :], states)
show('gru step 2', out)

for act in ['tanh', 'relu']:
    cell = rnn.RNNCell(4, activation=act, input_size=3, prefix='rnn_%s_' % act)
    cell.initialize()
    set_weights(cell, seed=25, scale=0.6)
    outputs, last = cell.unroll(5, ntc, layout='NTC', merge_outputs=True)
    show('rnn %s merged' % act, outputs[1, 4])
    outputs, last = cell.unroll(5, tnc, layout='TNC', merge_outputs=False)
    print('unmerged', len(outputs), outputs[0].shape, 'state', last[0].shape)
    show('rnn %s last' % act, last[0])

# A stack: GRU -> residual GRU -> dropout (identity outside training) -> LSTM.
stack = rnn.SequentialRNNCell()
with stack.name_scope():
    stack.add(rnn.GRUCell(3, input_size=3))
    stack.add(rnn.ResidualCell(rnn.GRUCell(3, input_size=3)))
    stack.add(rnn.DropoutCell(0.5))
    stack.add(rnn.LSTMCell(4, input_size=3))
stack.initialize()
set_weights(stack, seed=26, scale=0.5)
print(stack)
print(sorted(stack.collect_params().keys()))
print('stack states', [s['shape'] for s in stack.state_info(2)])
outputs, states = stack.unroll(5, ntc, layout='NTC', merge_outputs=True)
show('stack outputs', outputs[0, -1])
show('stack lstm c', states[-1])
valid = nd.array([3, 5])
outputs, states = stack.unroll(5, ntc, layout='NTC', merge_outputs=True, valid_length=valid)
show('stack masked step', outputs[0, 3])
show('stack state at length', states[0])
outputs, states = stack.unroll(5, tnc, layout='TNC', merge_outputs=False, valid_length=valid)
show('stack TNC list', outputs[2])


# The hybrid stack inside a HybridBlock, trained a few steps.
class Encoder(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.cells = rnn.HybridSequentialRNNCell()
            self.cells.add(rnn.RNNCell(4, activation='relu', input_size=3, prefix='r0_'))
            self.cells.add(rnn.ResidualCell(rnn.GRUCell(4, input_size=4, prefix='g1_')))
            self.out = gluon.nn.Dense(2, in_units=4)

    def hybrid_forward(self, F, x):
        outputs, states = self.cells.unroll(5, x, layout='NTC', merge_outputs=True)
        return self.out(F.mean(outputs, axis=1)), states


enc = Encoder()
enc.initialize()
set_weights(enc, seed=27, scale=0.5)
print(sorted(enc.collect_params().keys()))
eager, _ = enc(ntc)
enc.hybridize()
hybrid, states = enc(ntc)
show('encoder eager', eager)
show('encoder hybrid', hybrid)
print('encoder states', [s.shape for s in states])
trainer = gluon.Trainer(enc.collect_params(), 'sgd', {'learning_rate': 0.2})
target = nd.array([[1.0, -1.0], [0.5, 0.0]])
for step in range(3):
    with autograd.record():
        pred, _ = enc(ntc)
        loss = gluon.loss.L2Loss()(pred, target)
    loss.backward()
    trainer.step(2)
    show('step %d' % step, loss)
show('gru i2h grad', enc.cells[1].base_cell.i2h_weight.grad()[0])
