import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import rnn


def fill(block, seed):
    rng = np.random.RandomState(seed)
    for name in sorted(block.collect_params().keys()):
        p = block.collect_params()[name]
        p.set_data(nd.array(rng.uniform(-0.3, 0.3, p.shape)))


cell = rnn.LSTMCell(4, input_size=3, prefix='lstm_')
cell.initialize()
fill(cell, 0)
print(sorted(cell.collect_params().keys()))
x = nd.array(np.random.RandomState(1).randn(2, 5, 3))
outputs, states = cell.unroll(5, x, layout='NTC', merge_outputs=True)
print('merged', outputs.shape, len(states), states[0].shape, states[1].shape)
print('last h', ' '.join('%.6f' % v for v in states[0].asnumpy().ravel()))
outs, _ = cell.unroll(5, x, layout='NTC', merge_outputs=False)
print('list', type(outs).__name__, len(outs), outs[0].shape, float(abs(outs[-1] - outputs[:, -1]).max().asscalar()) < 1e-6)
tnc = nd.transpose(x, axes=(1, 0, 2))
o2, s2 = cell.unroll(5, tnc, layout='TNC', merge_outputs=True)
print('TNC', o2.shape, float(abs(s2[0] - states[0]).max().asscalar()) < 1e-6)
begin = cell.begin_state(batch_size=2)
print('begin', [s.shape for s in begin], cell.state_info(2))
out1, st1 = cell(x[:, 0, :], begin)
print('step', out1.shape, '%.6f' % out1.sum().asscalar())
valid = nd.array([5, 2])
o3, s3 = cell.unroll(5, x, layout='NTC', merge_outputs=True, valid_length=valid)
print('valid_length', o3.shape, '%.6f' % o3[1, 3].abs().sum().asscalar(), '%.6f' % s3[0][1].sum().asscalar())
stack = rnn.SequentialRNNCell(prefix='stack_')
with stack.name_scope():
    stack.add(rnn.GRUCell(4, input_size=3))
    stack.add(rnn.RNNCell(2, input_size=4, activation='tanh'))
stack.initialize()
fill(stack, 2)
print(sorted(stack.collect_params().keys()))
so, ss = stack.unroll(5, x, layout='NTC', merge_outputs=True)
print('stack', so.shape, len(ss), ' '.join('%.6f' % v for v in so[:, -1].asnumpy().ravel()))
x.attach_grad()
with autograd.record():
    o, _ = cell.unroll(5, x, layout='NTC', merge_outputs=True)
    o.sum().backward()
print('grad', x.grad.shape, '%.6f' % x.grad.sum().asscalar())
layer = rnn.LSTM(4, num_layers=1, layout='NTC', input_size=3, prefix='layer_')
layer.initialize()
fill(layer, 0)
print(sorted(layer.collect_params().keys()))
lo = layer(x)
print('layer', lo.shape, '%.6f' % lo.sum().asscalar())
lo, (h, c) = layer(x, layer.begin_state(batch_size=2))
print('layer states', h.shape, c.shape)
