"""Golden values for the patterns met in the seventh trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild7_fixtures.py

Writes tests/fixtures/wild7/wild7.json, read by tests/test_wild_scripts_7.py:

* ``auto_mode_warnings``: how many warnings CheckpointHandler(save_best=True) and
  EarlyStoppingHandler give in mode 'auto' (and 'max' / 'min', or save_best=False) for a metric
  made by ``mx.metric.create(function)`` (a captcha trainer's fit loop).
* ``checkpoint_files``: the files that fit loop leaves (two epochs, save_best on that metric).
* ``tied_lm``: MXNet's word_language_model cell model: an Embedding whose params a decoder Dense
  shares (tie_weights), a SequentialRNNCell of LSTMCells unrolled over TNC input, two truncated-BPTT
  steps with detached states, ``clip_global_norm`` and SGD; parameter names, losses, norms, weights.
* ``lr_sequential``: a GluonCV-style composed schedule (linear warm-up, then cosine) given to a
  Trainer as its lr_scheduler: ``trainer.learning_rate`` after each step.
* ``empty_prefix_names``: parameter names of blocks built with ``prefix=''`` inside a
  ``stage1_`` HybridSequential's name scope (GluonCV's ResNeXt stages).
* ``seg_ce``: GluonCV's segmentation cross-entropy (SoftmaxOutput with use_ignore, multi_output,
  normalization='valid', then pick / log / where) with an auxiliary head: loss and input gradients,
  and the error its hybridized form raises (a Symbol has no dtype).
* ``export_preprocess``: a block with ``params.get_constant`` mean / scale and a transpose ahead of a
  Dense, hybridized and exported: graph nodes, parameter file keys, output.
* ``metrics``: MCC(average='micro'), F1 + Accuracy in a CompositeEvalMetric, F1(average='micro'),
  PearsonCorrelation macro / micro, Perplexity(ignore_label=0), Accuracy of ``sigmoid() > 0.5``
  predictions, an Accuracy never updated.
* ``pad_batchify``: a detection loader's label padding batchify, with Dataset.shard / filter,
  FilterSampler and a rollover BatchSampler.
* ``multitask``: ``autograd.backward([l1, l2])`` over two heads of one network: the gradients.
* ``static_running_stats``: BatchNorm running statistics after each step of a network hybridized
  with static_alloc / static_shape (read after ``nd.waitall()``: MXNet's read right after the step
  can return the value from before it).
"""
import glob
import json
import os
import shutil
import tempfile
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from mxnet.gluon import nn, rnn  # noqa: E402
from mxnet.gluon.contrib import estimator  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'wild7')


def _list(a):
    return a.asnumpy().tolist() if hasattr(a, 'asnumpy') else np.asarray(a).tolist()


def _set_params(block, seed):
    """Every parameter from RandomState(seed), in sorted-name order (kept in step with the test)."""
    rs = np.random.RandomState(seed)
    for name in sorted(block.collect_params().keys()):
        p = block.collect_params()[name]
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, p.shape)))


def _first_digit_acc(label, pred):
    return float(np.mean(pred.argmax(axis=-1)[:, 0] == label[:, 0]))


def auto_mode_warnings(tmp):
    metric = mx.metric.create(_first_digit_acc)
    counts = {}
    cases = {'checkpoint_auto': lambda: estimator.CheckpointHandler(tmp, monitor=metric, save_best=True),
             'checkpoint_max': lambda: estimator.CheckpointHandler(tmp, monitor=metric, save_best=True,
                                                                   mode='max'),
             'checkpoint_no_best': lambda: estimator.CheckpointHandler(tmp, monitor=metric),
             'early_auto': lambda: estimator.EarlyStoppingHandler(metric),
             'early_min': lambda: estimator.EarlyStoppingHandler(metric, mode='min')}
    for key, make in cases.items():
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter('always')
            make()
        counts[key] = sum(metric.name in str(w.message) for w in got)
    return counts


def _ocr_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(12, flatten=False), nn.Dense(5, flatten=False))
    return net


def checkpoint_files(tmp):
    net = _ocr_net()
    net.initialize()
    net(nd.zeros((2, 3, 4)))
    _set_params(net, 3)
    rs = np.random.RandomState(4)
    data = gluon.data.ArrayDataset(rs.uniform(0, 1, (8, 3, 4)).astype('float32'),
                                   rs.randint(0, 4, (8, 2)).astype('float32'))
    loader = gluon.data.DataLoader(data, batch_size=4)
    metric = mx.metric.create(_first_digit_acc)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    handler = estimator.CheckpointHandler(tmp, model_prefix='my_model', monitor=metric, save_best=True)
    est = estimator.Estimator(net=net, loss=gluon.loss.CTCLoss(layout='NTC', label_layout='NT'),
                              train_metrics=metric, trainer=trainer)
    est.fit(train_data=loader, val_data=loader, epochs=2, event_handlers=[handler])
    return {'files': sorted(os.path.basename(f) for f in glob.glob(os.path.join(tmp, '*'))),
            'metric_names': [m.name for m in est.train_metrics + est.val_metrics],
            'weight': _list(net[1].weight.data())}


class _TiedLM(gluon.Block):
    def __init__(self, vocab, width, **kwargs):
        super(_TiedLM, self).__init__(**kwargs)
        with self.name_scope():
            self.encoder = nn.Embedding(vocab, width)
            self.rnn = rnn.SequentialRNNCell()
            self.rnn.add(rnn.LSTMCell(width))
            self.rnn.add(rnn.LSTMCell(width))
            self.decoder = nn.Dense(vocab, in_units=width, params=self.encoder.params)
        self.width = width

    def forward(self, inputs, hidden):
        out, hidden = self.rnn.unroll(inputs.shape[0], self.encoder(inputs), hidden, layout='TNC',
                                      merge_outputs=True)
        return self.decoder(out.reshape((-1, self.width))), hidden


def tied_lm():
    model = _TiedLM(6, 4, prefix='lm_')
    model.initialize()
    model(nd.zeros((2, 2)), model.rnn.begin_state(batch_size=2))
    _set_params(model, 0)
    trainer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 1.0})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    corpus = nd.array(np.random.RandomState(1).randint(0, 6, (7, 2)))
    hidden = model.rnn.begin_state(func=nd.zeros, batch_size=2)
    losses, norms = [], []
    for i in (0, 3):
        data, target = corpus[i:i + 3], corpus[i + 1:i + 4].reshape((-1,))
        hidden = [h.detach() for h in hidden]
        with autograd.record():
            output, hidden = model(data, hidden)
            L = loss(output, target)
            L.backward()
        grads = [p.grad() for p in model.collect_params().values()]
        norms.append(float(gluon.utils.clip_global_norm(grads, 0.5)))
        trainer.step(2)
        losses.append(float(L.sum().asscalar()))
    return {'names': sorted(model.collect_params().keys()), 'losses': losses, 'norms': norms,
            'weights': {k: _list(v.data()) for k, v in model.collect_params().items()}}


class _Ramp(mx.lr_scheduler.LRScheduler):
    """Linear from base to target over niters updates, counted from offset (GluonCV's idea)."""
    def __init__(self, base, target, niters, cosine=False):
        super(_Ramp, self).__init__()
        self.base, self.target, self.niters, self.cosine, self.offset = base, target, niters, cosine, 0

    def __call__(self, num_update):
        t = min(max(num_update - self.offset, 0), self.niters - 1) / (self.niters - 1)
        factor = (1 + np.cos(np.pi * t)) / 2 if self.cosine else 1 - t
        return self.target + (self.base - self.target) * factor


class _Chain(mx.lr_scheduler.LRScheduler):
    def __init__(self, parts):
        super(_Chain, self).__init__()
        self.parts, count = parts, 0
        for part in parts:
            part.offset, count = count, count + part.niters

    def __call__(self, num_update):
        for part in self.parts:
            if num_update < part.offset + part.niters:
                return part(num_update)
        return self.parts[-1](num_update)


def lr_sequential():
    net = nn.Dense(1, in_units=2)
    net.initialize(mx.init.Zero())
    sched = _Chain([_Ramp(0.0, 0.1, 3), _Ramp(0.1, 0.0, 6, cosine=True)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5, 'lr_scheduler': sched,
                                                         'momentum': 0.9})
    rates = []
    for _ in range(8):
        with autograd.record():
            y = net(nd.ones((1, 2)))
        y.backward()
        trainer.step(1)
        rates.append(trainer.learning_rate)
    return {'rates': rates, 'weight': _list(net.weight.data())}


class _Unit(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_Unit, self).__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.Conv2D(2, 1, use_bias=False), nn.BatchNorm())
        self.extra = nn.HybridSequential(prefix='')
        self.extra.add(nn.Conv2D(2, 1))

    def hybrid_forward(self, F, x):
        return self.body(x) + self.extra(x)


def _staged_net():
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Conv2D(2, 1))
        stage = nn.HybridSequential(prefix='stage1_')
        with stage.name_scope():
            stage.add(_Unit(prefix=''), _Unit(prefix=''))
        net.add(stage, nn.Dense(3))
    return net


def empty_prefix_names():
    net = _staged_net()
    net.initialize()
    net(nd.zeros((1, 1, 3, 3)))
    return {'names': list(net.collect_params().keys()),
            'structural': sorted(net._collect_params_with_prefix().keys())}


class _SegCE(gluon.loss.Loss):
    def __init__(self, aux_weight=None, ignore_label=-1, size_average=True, **kwargs):
        super(_SegCE, self).__init__(None, 0, **kwargs)
        self.aux_weight, self.ignore, self.size_average = aux_weight, ignore_label, size_average

    def _one(self, F, pred, label):
        prob = F.SoftmaxOutput(pred, label.astype(pred.dtype), ignore_label=self.ignore, multi_output=True,
                               use_ignore=True, normalization='valid' if self.size_average else 'null')
        loss = -F.pick(F.log(prob), label, axis=1, keepdims=True)
        loss = F.where(label.expand_dims(axis=1) == self.ignore, F.zeros_like(loss), loss)
        return F.mean(loss, axis=0, exclude=True)

    def hybrid_forward(self, F, *args):
        if self.aux_weight is None:
            return self._one(F, *args)
        pred1, pred2, label = args
        return self._one(F, pred1, label) + self.aux_weight * self._one(F, pred2, label)


def seg_inputs():
    rs = np.random.RandomState(5)
    return (rs.normal(0, 1, (2, 4, 3, 3)), rs.normal(0, 1, (2, 4, 3, 3)), rs.randint(-1, 4, (2, 3, 3)))


def seg_ce():
    a, b, lab = seg_inputs()
    p1, p2, label = nd.array(a), nd.array(b), nd.array(lab)
    p1.attach_grad()
    p2.attach_grad()
    with autograd.record():
        aux = _SegCE(aux_weight=0.4)(p1, p2, label)
    aux.backward()
    fix = {'aux': _list(aux), 'aux_g1': _list(p1.grad), 'aux_g2': _list(p2.grad)}
    with autograd.record():
        plain = _SegCE(size_average=False)(p1, label)
    plain.backward()
    fix.update(plain=_list(plain), plain_g1=_list(p1.grad))
    crit = _SegCE()
    crit.hybridize()
    try:
        crit(p1, label)
    except AttributeError as err:
        fix['hybrid_error'] = [type(err).__name__, 'dtype' in str(err)]
    return fix


class _Preprocess(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_Preprocess, self).__init__(**kwargs)
        with self.name_scope():
            self.init_mean = self.params.get_constant('init_mean', nd.array([[[[10., 20., 30.]]]]))
            self.init_scale = self.params.get_constant('init_scale', nd.array([[[[2., 4., 5.]]]]))

    def hybrid_forward(self, F, x, init_mean, init_scale):
        return F.transpose(F.broadcast_div(F.broadcast_minus(x, init_mean), init_scale), axes=(0, 3, 1, 2))


def _exported_net():
    wrapper = nn.HybridSequential(prefix='wrap_')
    pre = _Preprocess(prefix='pre_')
    pre.initialize()
    head = nn.HybridSequential(prefix='head_')
    with head.name_scope():
        head.add(nn.Conv2D(2, 1), nn.GlobalAvgPool2D(), nn.Dense(2))
    head.initialize()
    head(nd.zeros((1, 3, 2, 2)))
    _set_params(head, 6)
    wrapper.add(pre, head)
    return wrapper


def export_preprocess(tmp):
    net = _exported_net()
    net.hybridize()
    x = nd.array(np.random.RandomState(7).uniform(0, 40, (2, 2, 2, 3)))
    y = net(x)
    path = os.path.join(tmp, 'exp')
    net.export(path)
    with open(path + '-symbol.json') as f:
        nodes = [[n['op'], n['name']] for n in json.load(f)['nodes']]
    return {'nodes': nodes, 'keys': sorted(nd.load(path + '-0000.params').keys()), 'out': _list(y)}


def metrics():
    rs = np.random.RandomState(8)
    logits, lab = nd.array(rs.normal(0, 1, (10, 2))), nd.array(rs.randint(0, 2, 10))
    mcc, f1m = mx.metric.MCC(average='micro'), mx.metric.F1(average='micro')
    f1acc = mx.metric.CompositeEvalMetric()
    f1acc.add(mx.metric.F1())
    f1acc.add(mx.metric.Accuracy())
    for s in (slice(0, 6), slice(6, 10)):
        for m in (mcc, f1acc, f1m):
            m.update([lab[s]], [logits[s]])
    pmic, pmac = mx.metric.PearsonCorrelation(average='micro'), mx.metric.PearsonCorrelation()
    for n in (4, 6):
        a = nd.array(rs.normal(0, 1, (n,)))
        b = a * 0.5 + nd.array(rs.normal(0, 1, (n,)))
        pmic.update([a], [b])
        pmac.update([a], [b])
    probs = nd.softmax(nd.array(rs.normal(0, 1, (10, 6))), axis=-1)
    toks = nd.array(rs.randint(0, 6, (10,)))
    ppl = mx.metric.Perplexity(ignore_label=0)
    ppl.update([toks], [probs])
    odd = nd.array(rs.randint(0, 2, (6, 1)))
    acc = mx.metric.Accuracy(name='odd_even')
    acc.update(odd, nd.array(rs.normal(0, 1, (6, 1))).sigmoid() > 0.5)
    return {'mcc': mcc.get()[1], 'f1acc': f1acc.get()[1], 'f1m': f1m.get()[1], 'pmic': pmic.get()[1],
            'pmac': pmac.get()[1], 'ppl': ppl.get()[1], 'acc': list(acc.get()),
            'empty': repr(mx.metric.Accuracy(name='digits').get())}


def _pad_batchify(data):
    """GluonCV's detection batchify in a few lines: stack arrays, pad label rows with -1."""
    if isinstance(data[0], nd.NDArray):
        return nd.stack(*data)
    if isinstance(data[0], tuple):
        return [_pad_batchify(list(part)) for part in zip(*data)]
    rows = max([len(x) for x in data] + [1])
    buf = np.full((len(data), rows, data[0].shape[-1]), -1, dtype=data[0].dtype)
    for i, x in enumerate(data):
        buf[i, :len(x)] = x
    return nd.array(buf, dtype=data[0].dtype)


def detection_items():
    rs = np.random.RandomState(9)
    return [(nd.array(rs.uniform(0, 1, (3, 2, 2))), rs.uniform(0, 9, (i % 3, 5)).astype('float32'))
            for i in range(7)]


def pad_batchify():
    ds = gluon.data.SimpleDataset(detection_items())
    batches = [[_list(part) for part in batch]
               for batch in gluon.data.DataLoader(ds, batch_size=3, batchify_fn=_pad_batchify)]
    keep = gluon.data.FilterSampler(lambda item: len(item[1]) != 1, ds)
    rollover = gluon.data.BatchSampler(keep, 3, 'rollover')
    return {'batches': batches, 'shard': [len(x[1]) for x in ds.shard(3, 1)],
            'filter': [len(x[1]) for x in ds.filter(lambda item: len(item[1]) >= 2)],
            'sampler': list(keep), 'rollover': [list(rollover) for _ in range(3)]}


class _TwoHeads(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_TwoHeads, self).__init__(**kwargs)
        self.shared = nn.Dense(5, activation='relu')
        self.out1 = nn.Dense(4)
        self.out2 = nn.Dense(1)

    def hybrid_forward(self, F, x):
        y = self.shared(x)
        return self.out1(y), self.out2(y)


def multitask():
    net = _TwoHeads()
    net.initialize()
    net(nd.zeros((1, 3)))
    _set_params(net, 10)
    net.hybridize()
    rs = np.random.RandomState(11)
    x, digits, odd = nd.array(rs.normal(0, 1, (4, 3))), nd.array([0, 3, 1, 2]), nd.array([[0], [1], [1], [0]])
    with autograd.record():
        o1, o2 = net(x)
        l1 = 0.5 * gluon.loss.SoftmaxCELoss()(o1, digits)
        l2 = 0.5 * gluon.loss.SigmoidBCELoss()(o2, odd)
    autograd.backward([l1, l2])
    return {k: _list(v.grad()) for k, v in sorted(net._collect_params_with_prefix().items())}


def _bn_net():
    net = nn.HybridSequential(prefix='bnnet_')
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, use_bias=False), nn.BatchNorm(), nn.Activation('relu'), nn.Dense(2))
    net.initialize()
    net(nd.zeros((1, 2, 5, 5)))
    _set_params(net, 12)
    net[1].running_mean.set_data(nd.zeros((3,)))
    net[1].running_var.set_data(nd.ones((3,)))
    return net


def static_running_stats():
    """Running statistics after each of three SGD steps of a network hybridized with static_alloc and
    static_shape. MXNet's own read right after trainer.step can return the value from before the step
    (the read does not wait for the backward pass that writes it on CPU): waitall first."""
    net = _bn_net()
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.array(np.random.RandomState(13).uniform(-1, 1, (4, 2, 5, 5)))
    means = []
    for _ in range(3):
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        trainer.step(4)
        nd.waitall()
        means.append(_list(net[1].running_mean.data()))
    return {'means': means, 'var': _list(net[1].running_var.data())}


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    try:
        fix = {'auto_mode_warnings': auto_mode_warnings(os.path.join(tmp, 'a')),
               'checkpoint_files': checkpoint_files(os.path.join(tmp, 'b')),
               'tied_lm': tied_lm(), 'lr_sequential': lr_sequential(),
               'empty_prefix_names': empty_prefix_names(), 'seg_ce': seg_ce(),
               'export_preprocess': export_preprocess(tmp), 'metrics': metrics(),
               'pad_batchify': pad_batchify(), 'multitask': multitask(),
               'static_running_stats': static_running_stats()}
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(OUT, 'wild7.json'), 'w') as f:
        json.dump(fix, f, indent=1)
    print('wrote', os.path.join(OUT, 'wild7.json'))


if __name__ == '__main__':
    main()
