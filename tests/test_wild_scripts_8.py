"""Patterns met running an eighth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(fixture: tools/gen_wild8_fixtures.py).

* ``contrib.foreach`` over a 1-D array, hybridized (MXNet's control-flow tutorial): each step sees
  shape ``(1,)`` and the outputs stack to ``(T, 1)``, as eagerly and in MXNet; minigluon's graph
  loop gave the body 0-d slices and returned ``(T,)``.
* Behaviours checked against MXNet and pinned: a CRNN trainer's own loss on
  ``contrib.CTCLoss(blank_label='last')`` with and without lengths; a feature-extraction
  ``SymbolBlock`` over two ``get_internals()`` outputs loading an ``arg:``/``aux:`` checkpoint through
  ``collect_params().load``; an OCR attention-decoder step whose (B, 1, 1) energy broadcasts
  against a (B, S, 1) mask (hybridized, minigluon gives the eager numbers: MXNet's graph ``*``
  does not broadcast, a PORTING row); zoneout ``ModifierCell`` subclasses stepped from
  ``begin_state(func=nd.ones)``; a seeded ``mx.image.ImageIter`` over a ``.lst`` with a fine-tuning
  script's augmenter chain (its ``provide_data`` are ``DataDesc``, tuples equal to MXNet's plain ones).
* A predictive-maintenance trainer's ``set_data`` on the weights of ``HybridLambda`` transpose + two
  ``Conv1D`` after an inference call (MXNet's oneDNN build fails there: ``to.IsDefaultData()``).
"""
import os
import random

import numpy as np

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _wild import close, FIXTURES, load_fixture, set_params

HERE = os.path.join(FIXTURES, 'wild8')
FIX = load_fixture('wild8')


class _Scan(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.foreach(lambda d, s: (d * s, d * s + 1), x, F.ones((1,)))


class _Plus1(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.foreach(lambda d, _: (d + 1, []), x, [])[0]


def test_foreach_over_a_1d_array_steps_on_shape_1():
    for key, hyb in (('eager', False), ('hybrid', True)):
        want = FIX['foreach_1d'][key]
        plus, scan = _Plus1(), _Scan()
        if hyb:
            plus.hybridize()
            scan.hybridize()
        got = plus(nd.arange(5))
        assert got.shape == (5, 1)
        close(got, want['plus1'])
        x = nd.arange(1, 5)
        x.attach_grad()
        with autograd.record():
            out, state = scan(x)
            loss = (out * nd.arange(1, 5).reshape((4, 1))).sum() + 3 * state.sum()
        loss.backward()
        assert out.shape == (4, 1) and x.grad.shape == (4,)
        close(out, want['out'])
        close(state, want['state'])
        close(x.grad, want['grad'])
    s = mx.sym.contrib.foreach(lambda d, _: (d + 1, []), mx.sym.var('x'), [])[0]
    assert s.infer_shape(x=(5,))[1] == [(5, 1)]


def test_ctc_blank_last_in_a_loss_of_ones_own():
    want = FIX['ctc_last']
    pred, label = nd.array(want['pred']), nd.array(want['label'])
    for key, lengths in (('plain', ()), ('lengths', (nd.array(want['pred_len']), nd.array(want['label_len'])))):
        x = pred.copy()
        x.attach_grad()
        with autograd.record():
            loss = nd.contrib.CTCLoss(nd.swapaxes(x, 0, 1), label, *lengths, use_data_lengths=bool(lengths),
                                      use_label_lengths=bool(lengths), blank_label='last') * 0.5
        loss.backward()
        close(loss, want[key]['loss'])
        close(x.grad, want[key]['grad'])


def test_symbolblock_on_internals_loads_a_checkpoint(tmp_path):
    want = FIX['internals_block']
    d = mx.sym.var('data')
    r = mx.sym.Activation(mx.sym.BatchNorm(mx.sym.Convolution(d, num_filter=4, kernel=(3, 3), pad=(1, 1),
                                                             name='conv0'), name='bn0'),
                          act_type='relu', name='relu0')
    policy = mx.sym.Flatten(mx.sym.Convolution(r, num_filter=2, kernel=(1, 1), name='conv1'), name='flatten0')
    value = mx.sym.Activation(mx.sym.FullyConnected(r, num_hidden=1, name='value_fc0'), act_type='tanh',
                              name='value_tanh0')
    full = mx.sym.Group([mx.sym.SoftmaxOutput(policy, name='policy'),
                         mx.sym.LinearRegressionOutput(value, name='value')])
    path = str(tmp_path / 'ck-0001.params')
    nd.save(path, {k: nd.array(v) for k, v in want['params'].items()})
    internals = full.get_internals()
    net = gluon.SymbolBlock(mx.sym.Group([internals['value_tanh0_output'], internals['flatten0_output']]),
                            mx.sym.var('data', dtype='float32'))
    net.collect_params().load(path, mx.cpu())
    assert sorted(net.collect_params().keys()) == want['names']
    for hyb in (False, True):
        if hyb:
            net.hybridize()
        value, policy = net(nd.array(want['x']))
        close(value, want['value'])
        close(policy, want['policy'])


class _Decoder(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_Decoder, self).__init__(**kwargs)
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


def test_attention_decoder_step_eager_and_hybridized():
    want = FIX['att_decoder']
    args = [nd.array(want[k]) for k in ('en_out', 'mask', 'h', 'c')] + [nd.array([[6], [2]])]
    dec = _Decoder(prefix='dec_')
    dec.initialize()
    dec(*args)
    set_params(dec, 3)
    assert sorted(dec.collect_params().keys()) == want['names']
    for hyb in (False, True):
        if hyb:
            dec.hybridize()
        out, h2, c2 = dec(*args)
        close(out, want['out'])
        close(h2, want['h2'])
        close(c2, want['c2'])


class _Zoneout(gluon.rnn.ModifierCell):
    """Keeps the previous output where a dropout mask of the output is zero (one mask for all
    steps until reset), and every state where the new state's own mask is zero."""

    def __init__(self, base_cell, p):
        super(_Zoneout, self).__init__(base_cell)
        self.p = p
        self.mask = None
        self.prev = None

    def reset(self):
        super(_Zoneout, self).reset()
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


def _zoneout_net(p):
    net = gluon.rnn.HybridSequentialRNNCell(prefix='seq_')
    with net.name_scope():
        net.add(_Zoneout(gluon.rnn.ResidualCell(gluon.rnn.LSTMCell(4, input_size=4)), p))
        net.add(_Zoneout(gluon.rnn.LSTMCell(3, input_size=4), p))
    net.initialize()
    set_params(net, 5)
    return net


def test_modifier_cells_of_ones_own_in_a_hybrid_sequential_cell():
    want = FIX['zoneout_stack']
    x = nd.array(want['x'])
    net = _zoneout_net(0.5)
    assert sorted(net.collect_params().keys()) == want['names']
    out, states = net.unroll(5, x, layout='NTC', merge_outputs=True)
    for got, exp in zip([out] + list(states), want['predict']):
        close(got, exp)
    net = _zoneout_net(0.0)
    with autograd.record():
        out, states = net.unroll(5, x, layout='NTC', merge_outputs=True)
        loss = out.sum() + sum(s.sum() for s in states)
    loss.backward()
    for (_, p), exp in zip(sorted(net.collect_params().items()), want['grads']):
        close(p.grad(), exp, tol=1e-4)
    for hyb in (False, True):
        if hyb:
            net.hybridize()
        net.reset()
        states = net.begin_state(batch_size=2, func=nd.ones)
        outs = []
        for t in range(5):
            out, states = net(x[:, t, :], states)
            outs.append(out)
        for got, exp in zip([nd.stack(*outs, axis=1)] + list(states), want['stepped']):
            close(got, exp)


def test_seeded_image_iter_over_a_list_file(tmp_path):
    from PIL import Image
    want = FIX['seeded_image_iter']
    with open(str(tmp_path / 'train.lst'), 'w') as f:
        for i, img in enumerate(want['images']):
            Image.fromarray(np.array(img, dtype=np.uint8)).save(str(tmp_path / ('im%d.png' % i)))
            f.write('%d\t%d\tim%d.png\n' % (i, i % 3, i))
    random.seed(7)
    it = mx.image.ImageIter(3, (3, 6, 6), path_root=str(tmp_path), path_imglist=str(tmp_path / 'train.lst'),
                            aug_list=[mx.image.SequentialAug([
                                mx.image.CastAug(typ='float32'), mx.image.ForceResizeAug([7, 7]),
                                mx.image.RandomCropAug((6, 6)), mx.image.HorizontalFlipAug(0.5),
                                mx.image.ColorJitterAug(0.1, 0.1, 0.1)])])
    assert it.provide_data == [('data', (3, 3, 6, 6))] and it.provide_label == [('softmax_label', (3,))]
    got = []
    for _ in range(2):
        got += list(it)
        it.reset()
    assert [b.pad for b in got] == [b['pad'] for b in want['batches']]
    for batch, exp in zip(got, want['batches']):
        close(batch.data[0], exp['data'], tol=1e-3)     # resize and jitter in float32: ~5e-5 apart
        close(batch.label[0], exp['label'])


def test_set_data_after_an_inference_call_through_conv1d():
    net = nn.HybridSequential()
    net.add(nn.HybridLambda(lambda F, x: x.transpose((0, 2, 1))),
            nn.Conv1D(8, 3, padding=1), nn.Conv1D(8, 3, padding=1))
    net.initialize(mx.init.Normal())
    x = nd.ones((2, 7, 4))
    net(x)
    for p in net.collect_params().values():
        p.set_data(nd.ones(p.shape))
    # all ones: the first conv gives 4*3+1 = 13 inside and 4*2+1 = 9 at both ends of the 7 steps;
    # the second sums 8 channels of three neighbours plus 1: 8*(9+13)+1, 8*(9+13+13)+1, then 8*39+1
    row = [177, 281, 313, 313, 313, 281, 177]
    close(net(x), np.tile(row, (2, 8, 1)))
