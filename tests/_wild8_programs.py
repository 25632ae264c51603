"""The programs of the eighth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_8.py),
each rewritten in our own words from the sources named above it. Each program function returns its
results as nested dicts and lists.

The test runs this file as it is, on minigluon; tools/gen_wild8_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild8/wild8.json.
"""
import os
import random
import tempfile

import numpy as np

import minigluon as mx
from _wild_common import error_line, program_helpers

autograd, gluon, nd = mx.autograd, mx.gluon, mx.nd
nn = gluon.nn

L, set_params = program_helpers(nd)[:2]     # tests/_wild_common.py, shared with _wild.py


# ---------------------------------------------------------------- 1 foreach over a 1-D array
# MXNet's control-flow tutorial (docs/.../tutorials/control_flow/ControlFlowTutorial)
class Scan(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.foreach(lambda d, s: (d * s, d * s + 1), x, F.ones((1,)))


class Plus1(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.foreach(lambda d, _: (d + 1, []), x, [])[0]


def foreach_1d():
    """``contrib.foreach`` over a 1-D array, eager and hybridized: a stateless body's stacked
    outputs, and a scan's outputs, final state and the data's gradient, with their shapes."""
    res = {}
    for hyb in (False, True):
        plus = Plus1()
        scan = Scan()
        if hyb:
            plus.hybridize()
            scan.hybridize()
        plus1 = plus(nd.arange(5))
        x = nd.arange(1, 5)
        x.attach_grad()
        with autograd.record():
            out, state = scan(x)
            loss = (out * nd.arange(1, 5).reshape((4, 1))).sum() + 3 * state.sum()
        loss.backward()
        res['hybrid' if hyb else 'eager'] = {
            'plus1': L(plus1), 'out': L(out), 'state': L(state), 'grad': L(x.grad),
            'shapes': [list(a.shape) for a in (plus1, out, state, x.grad)]}
    return res


# ---------------------------------------------------------------- 2 CTC with the last blank
# a CRNN trainer's own loss (an OCR repository's crnn/losses): contrib.CTCLoss(blank_label='last')
def ctc_last():
    """The halved CTC loss of NTC predictions and its gradient, without and with lengths (labels
    padded with -1)."""
    rs = np.random.RandomState(0)
    pred = nd.array(rs.normal(size=(3, 8, 5)))
    label = nd.array([[0, 1, 1, -1], [2, 3, -1, -1], [3, 0, 2, 1]])
    res = {}
    for key, lengths in (('plain', ()), ('lengths', (nd.array([8, 6, 7]), nd.array([3, 2, 4])))):
        x = pred.copy()
        x.attach_grad()
        with autograd.record():
            loss = nd.contrib.CTCLoss(nd.swapaxes(x, 0, 1), label, *lengths,
                                      use_data_lengths=bool(lengths), use_label_lengths=bool(lengths),
                                      blank_label='last') * 0.5
        loss.backward()
        res[key] = {'loss': L(loss), 'grad': L(x.grad)}
    return res


# ---------------------------------------------------------------- 3 a SymbolBlock on internals
# an AlphaZero-style policy/value network's feature extraction: SymbolBlock over get_internals()
def internals_graph():
    d = mx.sym.var('data')
    r = mx.sym.Activation(mx.sym.BatchNorm(mx.sym.Convolution(d, num_filter=4, kernel=(3, 3), pad=(1, 1),
                                                             name='conv0'), name='bn0'),
                          act_type='relu', name='relu0')
    policy = mx.sym.Flatten(mx.sym.Convolution(r, num_filter=2, kernel=(1, 1), name='conv1'), name='flatten0')
    value = mx.sym.Activation(mx.sym.FullyConnected(r, num_hidden=1, name='value_fc0'), act_type='tanh',
                              name='value_tanh0')
    return mx.sym.Group([mx.sym.SoftmaxOutput(policy, name='policy'),
                         mx.sym.LinearRegressionOutput(value, name='value')])


def internals_block():
    """A checkpoint with ``arg:`` / ``aux:`` keys loaded by ``SymbolBlock(Group([two
    get_internals() outputs]), data)`` and ``collect_params().load``: the parameter names and both
    outputs, eager and hybridized."""
    full = internals_graph()
    rs = np.random.RandomState(0)
    arg_shapes, _, aux_shapes = full.infer_shape(data=(2, 3, 5, 5))
    saved = {'arg:' + n: nd.array(rs.uniform(-0.5, 0.5, s)) for n, s in zip(full.list_arguments(), arg_shapes)
             if n not in ('data', 'policy_label', 'value_label')}
    saved.update({'aux:' + n: nd.array(rs.uniform(0.5, 1.5, s))
                  for n, s in zip(full.list_auxiliary_states(), aux_shapes)})
    internals = full.get_internals()
    net = gluon.SymbolBlock(mx.sym.Group([internals['value_tanh0_output'], internals['flatten0_output']]),
                            mx.sym.var('data', dtype='float32'))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'ck-0001.params')
        nd.save(path, saved)
        net.collect_params().load(path, mx.cpu())
    x = nd.array(rs.normal(size=(2, 3, 5, 5)))
    res = {'names': sorted(net.collect_params().keys())}
    for hyb in (False, True):
        if hyb:
            net.hybridize()
        value, policy = net(x)
        res['hybrid' if hyb else 'eager'] = {'value': L(value), 'policy': L(policy)}
    return res


# ---------------------------------------------------------------- 4 an OCR attention decoder step
# an OCR repository's attention decoder (sizes shrunk)
class Decoder(nn.HybridBlock):
    """One attention-decoder step: an Embedding, a (B, 1, 1) energy broadcast against a (B, S, 1)
    mask by ``*``, ``SliceChannel`` of the LSTM state."""

    def __init__(self, **kwargs):
        super(Decoder, self).__init__(**kwargs)
        with self.name_scope():
            self.inp = nn.Dense(6, activation='tanh', flatten=False)
            self.score = nn.Dense(1, flatten=False)
            self.embedding = nn.Embedding(7, 4)
            self.lstm = gluon.rnn.LSTM(5, 2, layout='NTC')
            self.fc = nn.Dense(7, flatten=False)

    def hybrid_forward(self, F, en_out, en_mask, h, c, cur):
        last = F.transpose(F.SliceChannel(h, num_outputs=2, axis=0, squeeze_axis=False)[1], axes=(1, 0, 2))
        emb = self.embedding(cur)
        energy = self.score(F.tanh(self.inp(F.concat(last, emb, dim=2))))
        energy = energy * en_mask + (1.0 - en_mask) * (-10000.0)      # (B, 1, 1) against (B, S, 1)
        ctx = F.batch_dot(F.softmax(energy, axis=1).transpose(axes=(0, 2, 1)), en_out)
        lstm_in = F.concat(emb, ctx, dim=2)
        out, (h, c) = self.lstm(lstm_in, [h, c])
        return self.fc(F.concat(lstm_in, out, dim=2)), h, c


def att_decoder():
    """The decoder's outputs and states of one step, eager and hybridized (where MXNet 1.9.1 fails:
    its graph ``*`` does not broadcast, and its error is recorded instead)."""
    rs = np.random.RandomState(0)
    en_out = nd.array(rs.normal(size=(2, 6, 8)))
    mask = nd.array([[1] * 6, [1] * 4 + [0] * 2]).reshape((2, 6, 1))
    h, c = nd.array(rs.normal(size=(2, 2, 5))), nd.array(rs.normal(size=(2, 2, 5)))
    cur = nd.array([[6], [2]])
    dec = Decoder(prefix='dec_')
    dec.initialize()
    dec(en_out, mask, h, c, cur)
    set_params(dec, 3)
    res = {'names': sorted(dec.collect_params().keys())}
    for hyb in (False, True):
        if hyb:
            dec.hybridize()
        try:
            out, h2, c2 = dec(en_out, mask, h, c, cur)
        except Exception as e:
            res['hybrid_error'] = error_line(e)
            continue
        res['hybrid' if hyb else 'eager'] = {'out': L(out), 'h2': L(h2), 'c2': L(c2)}
    return res


# ---------------------------------------------------------------- 5 zoneout ModifierCells
# gluon-ts src/gluonts/mx/block/rnn.py (its zoneout cell, a ModifierCell subclass)
class Zoneout(gluon.rnn.ModifierCell):
    """Keeps the previous output where a dropout mask of the output is zero (one mask for all
    steps until reset), and every state where the new state's own mask is zero."""

    def __init__(self, base_cell, p):
        super(Zoneout, self).__init__(base_cell)
        self.p = p
        self.mask = None
        self.prev = None

    def reset(self):
        super(Zoneout, self).reset()
        self.mask = self.prev = None

    def hybrid_forward(self, F, inputs, states):
        out, new_states = self.base_cell(inputs, states)
        if self.mask is None:
            self.mask = F.Dropout(F.ones_like(out), p=self.p)
        prev = F.zeros_like(out) if self.prev is None else self.prev
        out = F.where(self.mask, out, prev)
        new_states = [F.where(F.Dropout(F.ones_like(n), p=self.p), n, o) for n, o in zip(new_states, states)]
        self.prev = out
        return out, new_states


def zoneout_net(p):
    """A zoneout over a ResidualCell over an LSTMCell, then one over an LSTMCell, in a
    HybridSequentialRNNCell with seeded parameters."""
    net = gluon.rnn.HybridSequentialRNNCell(prefix='seq_')
    with net.name_scope():
        net.add(Zoneout(gluon.rnn.ResidualCell(gluon.rnn.LSTMCell(4, input_size=4)), p))
        net.add(Zoneout(gluon.rnn.LSTMCell(3, input_size=4), p))
    net.initialize()
    set_params(net, 5)
    return net


def zoneout_stack():
    """``unroll`` outside training (dropout masks of ones), the parameter gradients of a recorded
    unroll, and five steps from ``begin_state(func=nd.ones)``, eager and hybridized."""
    x = nd.array(np.random.RandomState(0).normal(size=(2, 5, 4)))
    net = zoneout_net(0.5)
    out, states = net.unroll(5, x, layout='NTC', merge_outputs=True)
    res = {'names': sorted(net.collect_params().keys()), 'predict': [L(out)] + [L(s) for s in states]}
    net = zoneout_net(0.0)
    with autograd.record():
        out, states = net.unroll(5, x, layout='NTC', merge_outputs=True)
        loss = out.sum() + sum(s.sum() for s in states)
    loss.backward()
    res['grads'] = [L(p.grad()) for _, p in sorted(net.collect_params().items())]
    for hyb in (False, True):
        if hyb:
            net.hybridize()
        net.reset()
        states = net.begin_state(batch_size=2, func=nd.ones)
        outs = []
        for t in range(5):
            out, states = net(x[:, t, :], states)
            outs.append(out)
        res['stepped_hybrid' if hyb else 'stepped'] = [L(nd.stack(*outs, axis=1))] + [L(s) for s in states]
    return res


# ---------------------------------------------------------------- 6 a seeded ImageIter
# a fine-tuning script's training iterator: ImageIter over a .lst with a SequentialAug
def seeded_image_iter():
    """An ``mx.image.ImageIter`` over a ``.lst`` of small PNG files with CastAug, ForceResizeAug,
    RandomCropAug, HorizontalFlipAug and ColorJitterAug, Python's ``random`` seeded: its
    ``provide_data`` / ``provide_label`` and every batch of two epochs."""
    from PIL import Image
    with tempfile.TemporaryDirectory() as tmp:
        rs = np.random.RandomState(0)
        with open(os.path.join(tmp, 'train.lst'), 'w') as f:
            for i in range(4):
                img = rs.randint(0, 256, size=(8 + i, 9, 3)).astype('uint8')
                Image.fromarray(img).save(os.path.join(tmp, 'im%d.png' % i))
                f.write('%d\t%d\tim%d.png\n' % (i, i % 3, i))
        random.seed(7)
        it = mx.image.ImageIter(3, (3, 6, 6), path_root=tmp, path_imglist=os.path.join(tmp, 'train.lst'),
                                aug_list=[mx.image.SequentialAug([
                                    mx.image.CastAug(typ='float32'), mx.image.ForceResizeAug([7, 7]),
                                    mx.image.RandomCropAug((6, 6)), mx.image.HorizontalFlipAug(0.5),
                                    mx.image.ColorJitterAug(0.1, 0.1, 0.1)])])
        batches = []
        for _ in range(2):
            batches += [{'data': L(b.data[0]), 'label': L(b.label[0]), 'pad': b.pad} for b in it]
            it.reset()
    return {'provide_data': it.provide_data, 'provide_label': it.provide_label, 'batches': batches}


PROGRAMS = ['foreach_1d', 'ctc_last', 'internals_block', 'att_decoder', 'zoneout_stack', 'seeded_image_iter']
