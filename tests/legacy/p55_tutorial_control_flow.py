# MXNet 1.x's control-flow tutorial ("Hybridize Gluon models with control flows") and the code
# that followed it, shrunk: F.contrib.foreach as a map and as a scan, an RNN cell unrolled by
# foreach inside a HybridBlock (eager, hybridized, exported and reloaded as a SymbolBlock),
# F.contrib.while_loop with a Python cond / func and max_iterations (the padded outputs, the final
# loop variables), a greedy decoder that runs a cell inside while_loop until every sequence
# has ended (GluonNLP's hybridizable samplers do this), F.contrib.cond choosing a branch per
# call, and gradients through all three. Random draws are NumPy values; the cells' weights come
# from an initializer seeded by parameter name.
import json
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import HybridBlock, rnn
from _common import named_uniform, show

rng = np.random.RandomState(55)
tmp = tempfile.mkdtemp()
SeededInit = named_uniform(mx, default_scale=0.4)


# ---------------------------------------------------------------- foreach as map and scan
class ScaleData(HybridBlock):
    def hybrid_forward(self, F, data):
        def body(data, states):
            return data * 2, states
        outs, _ = F.contrib.foreach(body, data, [])
        return outs


class ScanData(HybridBlock):
    def hybrid_forward(self, F, data):
        def body(data, states):
            total = data + states[0]
            return total, [total]
        outs, states = F.contrib.foreach(body, data, [F.zeros_like(data.slice_axis(axis=0,
                                                                                    begin=0,
                                                                                    end=1))
                                                       .reshape((-1,))])
        return outs, states[0]


data = nd.arange(12).reshape((4, 3))
for hybrid in (False, True):
    scale, scan = ScaleData(), ScanData()
    if hybrid:
        scale.hybridize()
        scan.hybridize()
    outs, last = scan(data)
    print('hybridized' if hybrid else 'eager', scale(data).asnumpy().tolist(),
          outs.asnumpy().tolist(), last.asnumpy().tolist())


# ---------------------------------------------------------------- foreach RNN
class ForeachRNN(HybridBlock):
    def __init__(self, cell, prefix=None, params=None):
        super(ForeachRNN, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.cell = cell

    def hybrid_forward(self, F, inputs, states):
        def body(data, states):
            return self.cell(data, states)
        outputs, states = F.contrib.foreach(body, inputs, states)
        return outputs, states


seq_len, batch, n_in, n_hidden = 5, 2, 3, 4
inputs = nd.array(rng.normal(size=(seq_len, batch, n_in)))
results = []
for hybrid in (False, True):
    cell = rnn.LSTMCell(n_hidden, input_size=n_in, prefix='lstm_')
    layer = ForeachRNN(cell, prefix='frnn_')
    layer.initialize(SeededInit())
    if hybrid:
        layer.hybridize()
    states = [nd.zeros((batch, n_hidden)), nd.zeros((batch, n_hidden))]
    inputs.attach_grad()
    with autograd.record():
        out, new_states = layer(inputs, states)
        loss = (out ** 2).sum() + new_states[1].sum()
    loss.backward()
    results.append(out)
    show('foreach LSTM out (hybridized=%s)' % hybrid, out[-1])
    show('  input grad', inputs.grad[0])
    show('  i2h weight grad', cell.i2h_weight.grad()[0])
unrolled, _ = cell.unroll(seq_len, inputs, layout='TNC', merge_outputs=True)
print('foreach equals unroll', np.allclose(unrolled.asnumpy(), results[0].asnumpy(), atol=1e-6),
      'eager equals hybridized', np.allclose(results[0].asnumpy(), results[1].asnumpy(),
                                             atol=1e-6))
print(sorted(layer.collect_params().keys()))
layer.export(os.path.join(tmp, 'frnn'))
sym = mx.sym.load(os.path.join(tmp, 'frnn-symbol.json'))
print('exported ops', sorted(set(n['op'] for n in json.loads(sym.tojson())['nodes']
                                 if n['op'] != 'null')))
loaded = gluon.SymbolBlock.imports(os.path.join(tmp, 'frnn-symbol.json'),
                                   ['data0', 'data1', 'data2'],
                                   os.path.join(tmp, 'frnn-0000.params'))
again = loaded(inputs, *states)
print('reloaded', len(again), np.allclose(again[0].asnumpy(), results[1].asnumpy(), atol=1e-6))


# ---------------------------------------------------------------- while_loop
class SumUntil(HybridBlock):
    def hybrid_forward(self, F, limit):
        def cond(i, s):
            return i <= limit

        def func(i, s):
            return [i + s], [i + 1, s + i]
        outputs, states = F.contrib.while_loop(cond=cond, func=func,
                                               loop_vars=(F.ones_like(limit),
                                                          F.zeros_like(limit)),
                                               max_iterations=8)
        return outputs[0], states[0], states[1]


for hybrid in (False, True):
    block = SumUntil()
    if hybrid:
        block.hybridize()
    outputs, i, s = block(nd.array([5]))
    print('while_loop hybridized=%s' % hybrid, outputs.shape, 'steps', i.asscalar() - 1,
          'sum', s.asscalar(), 'valid outputs', outputs[:int(i.asscalar()) - 1].asnumpy().ravel().tolist())


class GreedyDecoder(HybridBlock):
    def __init__(self, vocab_size, n_hidden, max_len, eos, **kwargs):
        super(GreedyDecoder, self).__init__(**kwargs)
        self.max_len, self.eos = max_len, eos
        with self.name_scope():
            self.embed = gluon.nn.Embedding(vocab_size, n_hidden)
            self.cell = rnn.GRUCell(n_hidden, input_size=n_hidden)
            self.proj = gluon.nn.Dense(vocab_size, flatten=False, in_units=n_hidden)

    def hybrid_forward(self, F, start, state):
        def cond(step, token, state, alive):
            return F.sum(alive) > 0

        def func(step, token, state, alive):
            out, new_state = self.cell(self.embed(token), [state])
            logits = self.proj(out)
            next_token = F.argmax(logits, axis=-1)
            new_alive = alive * (next_token != self.eos)
            return ([next_token, F.max(logits, axis=-1) * alive],
                    [step + 1, next_token, new_state[0], new_alive])

        loop_vars = [F.zeros((1,)), start, state, F.ones_like(start)]
        (tokens, scores), (steps, _, _, alive) = F.contrib.while_loop(
            cond, func, loop_vars, max_iterations=self.max_len)
        return tokens, scores, steps


decoder = GreedyDecoder(vocab_size=6, n_hidden=5, max_len=6, eos=0, prefix='greedy_')
decoder.initialize(SeededInit())
start = nd.array([1, 3, 4])
state = nd.array(rng.normal(size=(3, 5)))
eager = decoder(start, state)
decoder.hybridize()
hybrid = decoder(start, state)
for name, e, h in zip(['tokens', 'scores', 'steps'], eager, hybrid):
    print('greedy', name, e.shape, 'eager equals hybridized', np.allclose(
        e.asnumpy()[:int(eager[2].asscalar())], h.asnumpy()[:int(eager[2].asscalar())],
        atol=1e-6))
n = int(eager[2].asscalar())
print('greedy steps', n, 'tokens', eager[0][:n].asnumpy().astype('int64').T.tolist())
show('greedy scores', eager[1][:n].T)


# ---------------------------------------------------------------- cond
class ChooseBranch(HybridBlock):
    def hybrid_forward(self, F, data, weight):
        return F.contrib.cond(F.sum(data) > 0.5,
                              lambda: F.broadcast_mul(data, weight) * 2,
                              lambda: F.tanh(data) + weight)


x = nd.array(rng.uniform(size=(3,)))
w = nd.array(rng.uniform(size=(3,)))
for hybrid in (False, True):
    block = ChooseBranch()
    if hybrid:
        block.hybridize()
    for scale in (1.0, 0.1):
        xs = x * scale
        w.attach_grad()
        with autograd.record():
            y = block(xs, w)
        y.backward()
        show('cond hybridized=%s scale=%s' % (hybrid, scale), nd.concat(y, w.grad, dim=0))
