"""Patterns met running a seventh set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(fixture: tools/gen_wild7_fixtures.py).

* CheckpointHandler(save_best=True) and EarlyStoppingHandler in mode 'auto' warn which way they
  will compare the monitored metric, as MXNet's do (a captcha trainer's fit loop on a metric made by
  ``mx.metric.create(function)``): minigluon chose silently.
* Behaviours checked against MXNet and pinned: that fit loop's checkpoint files; the word-language
  model example's tied embedding / decoder weights over truncated BPTT with detached states and
  ``clip_global_norm``; a GluonCV-style composed warm-up + cosine lr_scheduler under a Trainer; the
  names of GluonCV ResNeXt-style units built with ``prefix=''`` in a stage's name scope; GluonCV's
  SoftmaxOutput-based segmentation cross-entropy with an auxiliary head (and its hybridized form
  failing as MXNet's does); export of a block with ``params.get_constant`` preprocessing; GLUE-style
  metrics (MCC / F1 micro, PearsonCorrelation micro and macro, Perplexity with ignore_label); a
  detection loader's label padding with shard / filter / FilterSampler / rollover; and
  ``autograd.backward([l1, l2])`` over two heads.
"""
import json
import os
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from minigluon.gluon.contrib import estimator
from _wild import close, FIXTURES, load_fixture, set_params

HERE = os.path.join(FIXTURES, 'wild7')
FIX = load_fixture('wild7')


def _first_digit_acc(label, pred):
    return float(np.mean(pred.argmax(axis=-1)[:, 0] == label[:, 0]))


def _warnings_naming(metric, make):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter('always')
        make()
    return sum(metric.name in str(w.message) for w in got)


def test_auto_mode_says_which_way_it_compares(tmp_path):
    metric = mx.metric.create(_first_digit_acc)
    counts = {
        'checkpoint_auto': _warnings_naming(metric, lambda: estimator.CheckpointHandler(
            str(tmp_path), monitor=metric, save_best=True)),
        'checkpoint_max': _warnings_naming(metric, lambda: estimator.CheckpointHandler(
            str(tmp_path), monitor=metric, save_best=True, mode='max')),
        'checkpoint_no_best': _warnings_naming(metric, lambda: estimator.CheckpointHandler(
            str(tmp_path), monitor=metric)),
        'early_auto': _warnings_naming(metric, lambda: estimator.EarlyStoppingHandler(metric)),
        'early_min': _warnings_naming(metric, lambda: estimator.EarlyStoppingHandler(metric, mode='min'))}
    assert counts == FIX['auto_mode_warnings']
    with pytest.warns(UserWarning, match="mode='auto' will minimise validation loss"):
        assert not estimator.EarlyStoppingHandler(mx.metric.Loss('validation loss')).greater


def test_fit_loop_checkpoints_on_a_function_metric(tmp_path):
    want = FIX['checkpoint_files']
    net = nn.HybridSequential()
    net.add(nn.Dense(12, flatten=False), nn.Dense(5, flatten=False))
    net.initialize()
    net(nd.zeros((2, 3, 4)))
    set_params(net, 3)
    rs = np.random.RandomState(4)
    data = gluon.data.ArrayDataset(rs.uniform(0, 1, (8, 3, 4)).astype('float32'),
                                   rs.randint(0, 4, (8, 2)).astype('float32'))
    loader = gluon.data.DataLoader(data, batch_size=4)
    metric = mx.metric.create(_first_digit_acc)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    with pytest.warns(UserWarning, match='maximise'):
        handler = estimator.CheckpointHandler(str(tmp_path), model_prefix='my_model', monitor=metric,
                                              save_best=True)
    est = estimator.Estimator(net=net, loss=gluon.loss.CTCLoss(layout='NTC', label_layout='NT'),
                              train_metrics=metric, trainer=trainer)
    est.fit(train_data=loader, val_data=loader, epochs=2, event_handlers=[handler])
    assert sorted(os.listdir(tmp_path)) == want['files']
    assert [m.name for m in est.train_metrics + est.val_metrics] == want['metric_names']
    close(net[1].weight.data(), want['weight'])


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


def test_tied_word_lm_with_detached_states_and_global_norm_clipping():
    want = FIX['tied_lm']
    model = _TiedLM(6, 4, prefix='lm_')
    model.initialize()
    model(nd.zeros((2, 2)), model.rnn.begin_state(batch_size=2))
    set_params(model, 0)
    assert sorted(model.collect_params().keys()) == want['names']   # the decoder owns no parameter
    assert model.decoder.weight is model.encoder.weight
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
    close(losses, want['losses'])
    close(norms, want['norms'])
    for name, value in want['weights'].items():
        close(model.collect_params()[name].data(), value)


class _Ramp(mx.lr_scheduler.LRScheduler):
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


def test_composed_schedule_counts_updates_from_one():
    net = nn.Dense(1, in_units=2)
    net.initialize(mx.init.Zero())
    sched = _Chain([_Ramp(0.0, 0.1, 3), _Ramp(0.1, 0.0, 6, cosine=True)])
    # as MXNet 1.9.1, learning_rate next to a scheduler overwrites the scheduler's base rate and says so
    with pytest.warns(UserWarning, match='has been overwritten by ``learning_rate``'):
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5, 'lr_scheduler': sched,
                                                             'momentum': 0.9})
    rates = []
    for _ in range(8):
        with autograd.record():
            y = net(nd.ones((1, 2)))
        y.backward()
        trainer.step(1)
        rates.append(trainer.learning_rate)
    # the first step sees num_update 1, halfway up the 3-update warm-up: 0.1 + (0 - 0.1) * (1 - 1/2)
    assert rates[0] == pytest.approx(0.05)
    close(rates, FIX['lr_sequential']['rates'], 1e-12)
    close(net.weight.data(), FIX['lr_sequential']['weight'])


class _Unit(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_Unit, self).__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.Conv2D(2, 1, use_bias=False), nn.BatchNorm())
        self.extra = nn.HybridSequential(prefix='')
        self.extra.add(nn.Conv2D(2, 1))

    def hybrid_forward(self, F, x):
        return self.body(x) + self.extra(x)


def test_units_with_empty_prefixes_share_their_stage_counters():
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Conv2D(2, 1))
        stage = nn.HybridSequential(prefix='stage1_')
        with stage.name_scope():
            stage.add(_Unit(prefix=''), _Unit(prefix=''))
        net.add(stage, nn.Dense(3))
    net.initialize()
    net(nd.zeros((1, 1, 3, 3)))
    assert list(net.collect_params().keys()) == FIX['empty_prefix_names']['names']
    assert sorted(net._collect_params_with_prefix().keys()) == FIX['empty_prefix_names']['structural']


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


def test_segmentation_cross_entropy_through_softmax_output():
    want = FIX['seg_ce']
    rs = np.random.RandomState(5)
    p1, p2 = nd.array(rs.normal(0, 1, (2, 4, 3, 3))), nd.array(rs.normal(0, 1, (2, 4, 3, 3)))
    label = nd.array(rs.randint(-1, 4, (2, 3, 3)))
    p1.attach_grad()
    p2.attach_grad()
    with autograd.record():
        aux = _SegCE(aux_weight=0.4)(p1, p2, label)
    aux.backward()
    close(aux, want['aux'])
    close(p1.grad, want['aux_g1'])
    close(p2.grad, want['aux_g2'])
    with autograd.record():
        plain = _SegCE(size_average=False)(p1, label)
    plain.backward()
    close(plain, want['plain'])
    close(p1.grad, want['plain_g1'])
    crit = _SegCE()
    crit.hybridize()
    with pytest.raises(AttributeError, match='dtype') as err:
        crit(p1, label)
    assert [type(err.value).__name__, True] == want['hybrid_error']


class _Preprocess(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_Preprocess, self).__init__(**kwargs)
        with self.name_scope():
            self.init_mean = self.params.get_constant('init_mean', nd.array([[[[10., 20., 30.]]]]))
            self.init_scale = self.params.get_constant('init_scale', nd.array([[[[2., 4., 5.]]]]))

    def hybrid_forward(self, F, x, init_mean, init_scale):
        return F.transpose(F.broadcast_div(F.broadcast_minus(x, init_mean), init_scale), axes=(0, 3, 1, 2))


def test_export_with_constant_preprocessing(tmp_path):
    want = FIX['export_preprocess']
    wrapper = nn.HybridSequential(prefix='wrap_')
    pre = _Preprocess(prefix='pre_')
    pre.initialize()
    head = nn.HybridSequential(prefix='head_')
    with head.name_scope():
        head.add(nn.Conv2D(2, 1), nn.GlobalAvgPool2D(), nn.Dense(2))
    head.initialize()
    head(nd.zeros((1, 3, 2, 2)))
    set_params(head, 6)
    wrapper.add(pre, head)
    wrapper.hybridize()
    y = wrapper(nd.array(np.random.RandomState(7).uniform(0, 40, (2, 2, 2, 3))))
    close(y, want['out'])
    path = str(tmp_path / 'exp')
    wrapper.export(path)
    with open(path + '-symbol.json') as f:
        assert [[n['op'], n['name']] for n in json.load(f)['nodes']] == want['nodes']
    assert sorted(nd.load(path + '-0000.params').keys()) == want['keys']


def test_glue_style_metrics():
    want = FIX['metrics']
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
    ppl = mx.metric.Perplexity(ignore_label=0)
    ppl.update([nd.array(rs.randint(0, 6, (10,)))], [probs])
    odd = nd.array(rs.randint(0, 2, (6, 1)))
    acc = mx.metric.Accuracy(name='odd_even')
    acc.update(odd, nd.array(rs.normal(0, 1, (6, 1))).sigmoid() > 0.5)
    got = {'mcc': mcc.get()[1], 'f1acc': f1acc.get()[1], 'f1m': f1m.get()[1], 'pmic': pmic.get()[1],
           'pmac': pmac.get()[1], 'ppl': ppl.get()[1]}
    for key, value in got.items():
        close(value, want[key], 1e-6)
    assert list(acc.get()) == want['acc']
    assert repr(mx.metric.Accuracy(name='digits').get()) == want['empty']


def _pad_batchify(data):
    if isinstance(data[0], nd.NDArray):
        return nd.stack(*data)
    if isinstance(data[0], tuple):
        return [_pad_batchify(list(part)) for part in zip(*data)]
    rows = max([len(x) for x in data] + [1])
    buf = np.full((len(data), rows, data[0].shape[-1]), -1, dtype=data[0].dtype)
    for i, x in enumerate(data):
        buf[i, :len(x)] = x
    return nd.array(buf, dtype=data[0].dtype)


def test_detection_label_padding_and_dataset_views():
    want = FIX['pad_batchify']
    rs = np.random.RandomState(9)
    ds = gluon.data.SimpleDataset([(nd.array(rs.uniform(0, 1, (3, 2, 2))),
                                    rs.uniform(0, 9, (i % 3, 5)).astype('float32')) for i in range(7)])
    batches = list(gluon.data.DataLoader(ds, batch_size=3, batchify_fn=_pad_batchify))
    assert len(batches) == len(want['batches'])
    for batch, expect in zip(batches, want['batches']):
        for part, value in zip(batch, expect):
            close(part, value, 1e-7)
    assert [len(x[1]) for x in ds.shard(3, 1)] == want['shard']
    assert [len(x[1]) for x in ds.filter(lambda item: len(item[1]) >= 2)] == want['filter']
    keep = gluon.data.FilterSampler(lambda item: len(item[1]) != 1, ds)
    assert list(keep) == want['sampler']
    rollover = gluon.data.BatchSampler(keep, 3, 'rollover')
    assert [list(rollover) for _ in range(3)] == want['rollover']


class _TwoHeads(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(_TwoHeads, self).__init__(**kwargs)
        self.shared = nn.Dense(5, activation='relu')
        self.out1 = nn.Dense(4)
        self.out2 = nn.Dense(1)

    def hybrid_forward(self, F, x):
        y = self.shared(x)
        return self.out1(y), self.out2(y)


def test_backward_of_a_list_of_head_losses():
    net = _TwoHeads()
    net.initialize()
    net(nd.zeros((1, 3)))
    set_params(net, 10)
    net.hybridize()
    rs = np.random.RandomState(11)
    x, digits, odd = nd.array(rs.normal(0, 1, (4, 3))), nd.array([0, 3, 1, 2]), nd.array([[0], [1], [1], [0]])
    with autograd.record():
        o1, o2 = net(x)
        l1 = 0.5 * gluon.loss.SoftmaxCELoss()(o1, digits)
        l2 = 0.5 * gluon.loss.SigmoidBCELoss()(o2, odd)
    autograd.backward([l1, l2])
    params = net._collect_params_with_prefix()
    assert sorted(params) == sorted(FIX['multitask'])
    for name, value in FIX['multitask'].items():
        close(params[name].grad(), value)


@pytest.mark.parametrize('hybrid', [None, {'static_alloc': True, 'static_shape': True}])
def test_running_stats_read_right_after_a_static_step(hybrid):
    # MXNet's read straight after trainer.step of a static_alloc/static_shape network can return the
    # value from before the step (seen in an ImageNet trainer's ResNeXt); the fixture reads after waitall
    want = FIX['static_running_stats']
    net = nn.HybridSequential(prefix='bnnet_')
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, use_bias=False), nn.BatchNorm(), nn.Activation('relu'), nn.Dense(2))
    net.initialize()
    net(nd.zeros((1, 2, 5, 5)))
    set_params(net, 12)
    net[1].running_mean.set_data(nd.zeros((3,)))
    net[1].running_var.set_data(nd.ones((3,)))
    if hybrid is not None:
        net.hybridize(**hybrid)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.array(np.random.RandomState(13).uniform(-1, 1, (4, 2, 5, 5)))
    for mean in want['means']:
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        trainer.step(4)
        close(net[1].running_mean.data(), mean)
    close(net[1].running_var.data(), want['var'])


@pytest.mark.parametrize('hybrid', [False, True])
def test_freezing_batchnorm_through_its_kwargs(hybrid):
    # GluonCV's freeze_bn sets BatchNorm._kwargs['use_global_stats'] before the first call; as on
    # MXNet 1.9.1 the layer then normalizes with the running statistics and leaves them alone
    conv = nn.Conv2D(3, 1, in_channels=2)
    bn = nn.BatchNorm(in_channels=3)
    net = nn.HybridSequential()
    net.add(conv, bn)
    net.initialize()
    bn._kwargs['use_global_stats'] = True
    if hybrid:
        net.hybridize()
    x = nd.array(np.random.RandomState(14).uniform(-1, 1, (4, 2, 3, 3)))
    with autograd.record():
        y = net(x)
        z = conv(x)
    y.backward()
    # running mean 0 and variance 1, gamma 1, beta 0: y = z / sqrt(1 + eps)
    close(y, z.asnumpy() / np.sqrt(1 + 1e-5), 1e-6)
    close(bn.running_mean.data(), np.zeros(3), 0)
    close(bn.running_var.data(), np.ones(3), 0)
