"""Golden values for the patterns met in the eighth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild8_fixtures.py

Writes tests/fixtures/wild8/wild8.json, read by tests/test_wild_scripts_8.py:

* ``foreach_1d``: ``contrib.foreach`` over a 1-D array (MXNet's control-flow tutorial): each step
  sees shape ``(1,)``, so step outputs stack to ``(T, 1)``, eager and hybridized; a scan with a
  state, its outputs, final state and the data's gradient.
* ``ctc_last``: a CRNN trainer's own loss calling ``F.contrib.CTCLoss(..., blank_label='last')``
  on NTC predictions with and without lengths (padding -1): losses and gradients.
* ``internals_block``: a checkpoint (``arg:`` / ``aux:`` keys) loaded by
  ``SymbolBlock(Group([two get_internals() outputs]), data)`` and
  ``collect_params().load``: parameter names and both outputs.
* ``att_decoder``: an OCR attention decoder step (an Embedding, a (B, 1, 1) energy broadcast
  against a (B, S, 1) mask by NDArray ``*``, ``SliceChannel`` of the LSTM state): outputs and
  states of one eager step.
* ``zoneout_stack``: gluon-ts-style ``ModifierCell`` subclasses (a zoneout over a ResidualCell over
  an LSTMCell, then one over an LSTMCell) in a HybridSequentialRNNCell: ``unroll`` outside training
  (dropout masks of ones), gradients of a recorded unroll, and steps from
  ``begin_state(func=nd.ones)``.
* ``seeded_image_iter``: an ``mx.image.ImageIter`` over a ``.lst`` of small PNG files with a fine-tuning
  script's SequentialAug (CastAug, ForceResizeAug, RandomCropAug, HorizontalFlipAug, ColorJitterAug),
  Python's ``random`` seeded: ``provide_data`` / ``provide_label`` and every batch of two epochs.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'wild8')


def _list(a):
    return a.asnumpy().tolist()


def _set_params(block, seed):
    """Every parameter from RandomState(seed), in sorted-name order (kept in step with the test)."""
    rs = np.random.RandomState(seed)
    for name in sorted(block.collect_params().keys()):
        p = block.collect_params()[name]
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, p.shape)))


class _Scan(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.foreach(lambda d, s: (d * s, d * s + 1), x, F.ones((1,)))


class _Plus1(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.contrib.foreach(lambda d, _: (d + 1, []), x, [])[0]


def foreach_1d():
    res = {}
    for hyb in (False, True):
        plus = _Plus1()
        scan = _Scan()
        if hyb:
            plus.hybridize()
            scan.hybridize()
        x = nd.arange(1, 5)
        x.attach_grad()
        with autograd.record():
            out, state = scan(x)
            loss = (out * nd.arange(1, 5).reshape((4, 1))).sum() + 3 * state.sum()
        loss.backward()
        res['hybrid' if hyb else 'eager'] = {
            'plus1': _list(plus(nd.arange(5))), 'out': _list(out), 'state': _list(state),
            'grad': _list(x.grad)}
    return res


def ctc_last():
    rs = np.random.RandomState(0)
    pred = nd.array(rs.normal(size=(3, 8, 5)))
    label = nd.array([[0, 1, 1, -1], [2, 3, -1, -1], [3, 0, 2, 1]])
    res = {'pred': _list(pred), 'label': _list(label), 'pred_len': [8, 6, 7], 'label_len': [3, 2, 4]}
    for key, lengths in (('plain', ()), ('lengths', (nd.array([8, 6, 7]), nd.array([3, 2, 4])))):
        x = pred.copy()
        x.attach_grad()
        with autograd.record():
            loss = nd.contrib.CTCLoss(nd.swapaxes(x, 0, 1), label, *lengths,
                                      use_data_lengths=bool(lengths), use_label_lengths=bool(lengths),
                                      blank_label='last') * 0.5
        loss.backward()
        res[key] = {'loss': _list(loss), 'grad': _list(x.grad)}
    return res


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


def internals_block(tmp):
    full = internals_graph()
    rs = np.random.RandomState(0)
    arg_shapes, _, aux_shapes = full.infer_shape(data=(2, 3, 5, 5))
    saved = {'arg:' + n: nd.array(rs.uniform(-0.5, 0.5, s)) for n, s in zip(full.list_arguments(), arg_shapes)
             if n not in ('data', 'policy_label', 'value_label')}
    saved.update({'aux:' + n: nd.array(rs.uniform(0.5, 1.5, s))
                  for n, s in zip(full.list_auxiliary_states(), aux_shapes)})
    path = os.path.join(tmp, 'ck-0001.params')
    nd.save(path, saved)
    internals = full.get_internals()
    net = gluon.SymbolBlock(mx.sym.Group([internals['value_tanh0_output'], internals['flatten0_output']]),
                            mx.sym.var('data', dtype='float32'))
    net.collect_params().load(path, mx.cpu())
    x = nd.array(rs.normal(size=(2, 3, 5, 5)))
    value, policy = net(x)
    return {'params': {k: _list(v) for k, v in saved.items()}, 'x': _list(x),
            'names': sorted(net.collect_params().keys()), 'value': _list(value), 'policy': _list(policy)}


class _Decoder(nn.HybridBlock):
    """One attention-decoder step as the OCR source writes it (sizes shrunk)."""

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
        energy = energy * en_mask + (1.0 - en_mask) * (-10000.0)
        ctx = F.batch_dot(F.softmax(energy, axis=1).transpose(axes=(0, 2, 1)), en_out)
        lstm_in = F.concat(emb, ctx, dim=2)
        out, (h, c) = self.lstm(lstm_in, [h, c])
        return self.fc(F.concat(lstm_in, out, dim=2)), h, c


def att_decoder():
    rs = np.random.RandomState(0)
    en_out = nd.array(rs.normal(size=(2, 6, 8)))
    mask = nd.array([[1] * 6, [1] * 4 + [0] * 2]).reshape((2, 6, 1))
    h, c = nd.array(rs.normal(size=(2, 2, 5))), nd.array(rs.normal(size=(2, 2, 5)))
    dec = _Decoder(prefix='dec_')
    dec.initialize()
    cur = nd.array([[6], [2]])
    dec(en_out, mask, h, c, cur)
    _set_params(dec, 3)
    out, h2, c2 = dec(en_out, mask, h, c, cur)
    return {'en_out': _list(en_out), 'mask': _list(mask), 'h': _list(h), 'c': _list(c),
            'names': sorted(dec.collect_params().keys()),
            'out': _list(out), 'h2': _list(h2), 'c2': _list(c2)}


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
    _set_params(net, 5)
    return net


def zoneout_stack():
    x = nd.array(np.random.RandomState(0).normal(size=(2, 5, 4)))
    net = _zoneout_net(0.5)
    out, states = net.unroll(5, x, layout='NTC', merge_outputs=True)
    res = {'x': _list(x), 'names': sorted(net.collect_params().keys()),
           'predict': [_list(out)] + [_list(s) for s in states]}
    net = _zoneout_net(0.0)
    with autograd.record():
        out, states = net.unroll(5, x, layout='NTC', merge_outputs=True)
        loss = out.sum() + sum(s.sum() for s in states)
    loss.backward()
    res['grads'] = [_list(p.grad()) for _, p in sorted(net.collect_params().items())]
    net.reset()
    states = net.begin_state(batch_size=2, func=nd.ones)
    outs = []
    for t in range(5):
        out, states = net(x[:, t, :], states)
        outs.append(out)
    res['stepped'] = [_list(nd.stack(*outs, axis=1))] + [_list(s) for s in states]
    return res


def seeded_image_iter(tmp):
    import random
    from PIL import Image
    rs = np.random.RandomState(0)
    images = [rs.randint(0, 256, size=(8 + i, 9, 3)).astype('uint8') for i in range(4)]
    with open(os.path.join(tmp, 'train.lst'), 'w') as f:
        for i, img in enumerate(images):
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
        batches += [{'data': _list(b.data[0]), 'label': _list(b.label[0]), 'pad': b.pad} for b in it]
        it.reset()
    return {'images': [img.tolist() for img in images], 'provide_data': it.provide_data,
            'provide_label': it.provide_label, 'batches': batches}


def main():
    import tempfile
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fix = {'foreach_1d': foreach_1d(), 'ctc_last': ctc_last(), 'internals_block': internals_block(tmp),
               'att_decoder': att_decoder(), 'zoneout_stack': zoneout_stack(),
               'seeded_image_iter': seeded_image_iter(tmp)}
    with open(os.path.join(OUT, 'wild8.json'), 'w') as f:
        json.dump(fix, f)


if __name__ == '__main__':
    main()
