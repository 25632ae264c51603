"""The programs of the seventh trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_7.py),
each rewritten in our own words from the sources named above it. Each program function returns its
results as nested dicts and lists.

The test runs this file as it is, on minigluon; tools/gen_wild7_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return, not rounded, in tests/fixtures/wild7/wild7.json.
"""
import json
import os
import tempfile
import warnings

import numpy as np

import minigluon as mx
from _wild_common import program_helpers

autograd, gluon, nd = mx.autograd, mx.gluon, mx.nd
nn, rnn = gluon.nn, gluon.rnn
estimator = gluon.contrib.estimator

L, set_params = program_helpers(nd)[:2]     # tests/_wild_common.py, shared with _wild.py


# ---------------------------------------------------------------- 1 a captcha trainer's fit loop
# a captcha OCR trainer: Estimator.fit with CheckpointHandler(save_best=True) on a function metric
def first_digit_acc(label, pred):
    return float(np.mean(pred.argmax(axis=-1)[:, 0] == label[:, 0]))


def auto_mode_warnings():
    """How many warnings naming the metric CheckpointHandler(save_best=True) and
    EarlyStoppingHandler give in mode 'auto' (and 'max' / 'min', or save_best=False) for a metric
    made by ``mx.metric.create(function)``."""
    metric = mx.metric.create(first_digit_acc)
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
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


def checkpoint_files():
    """The files two epochs of that fit loop leave (save_best on the function metric), the metric
    names of the Estimator and the last layer's trained weight."""
    net = nn.HybridSequential()
    net.add(nn.Dense(12, flatten=False), nn.Dense(5, flatten=False))
    net.initialize()
    net(nd.zeros((2, 3, 4)))
    set_params(net, 3)
    rs = np.random.RandomState(4)
    data = gluon.data.ArrayDataset(rs.uniform(0, 1, (8, 3, 4)).astype('float32'),
                                   rs.randint(0, 4, (8, 2)).astype('float32'))
    loader = gluon.data.DataLoader(data, batch_size=4)
    metric = mx.metric.create(first_digit_acc)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    with tempfile.TemporaryDirectory() as tmp:
        handler = estimator.CheckpointHandler(tmp, model_prefix='my_model', monitor=metric, save_best=True)
        est = estimator.Estimator(net=net, loss=gluon.loss.CTCLoss(layout='NTC', label_layout='NT'),
                                  train_metrics=metric, trainer=trainer)
        est.fit(train_data=loader, val_data=loader, epochs=2, event_handlers=[handler])
        files = sorted(os.listdir(tmp))
    return {'files': files, 'metric_names': [m.name for m in est.train_metrics + est.val_metrics],
            'weight': L(net[1].weight.data())}


# ---------------------------------------------------------------- 2 a tied word language model
# MXNet's example/gluon/word_language_model (its cell model with tie_weights)
class TiedLM(gluon.Block):
    """An Embedding whose params a decoder Dense shares, a SequentialRNNCell of LSTMCells unrolled
    over TNC input."""

    def __init__(self, vocab, width, **kwargs):
        super(TiedLM, self).__init__(**kwargs)
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
    """Two truncated-BPTT steps with detached states, ``clip_global_norm`` and SGD: the parameter
    names, losses, gradient norms and the weights after them."""
    model = TiedLM(6, 4, prefix='lm_')
    model.initialize()
    model(nd.zeros((2, 2)), model.rnn.begin_state(batch_size=2))
    set_params(model, 0)
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
            step_loss = loss(output, target)
            step_loss.backward()
        grads = [p.grad() for p in model.collect_params().values()]
        norms.append(float(gluon.utils.clip_global_norm(grads, 0.5)))
        trainer.step(2)
        losses.append(float(step_loss.sum().asscalar()))
    return {'names': sorted(model.collect_params().keys()), 'losses': losses, 'norms': norms,
            'weights': {k: L(v.data()) for k, v in model.collect_params().items()}}


# ---------------------------------------------------------------- 3 a composed lr schedule
# GluonCV gluoncv/utils/lr_scheduler.py (LRSequential of a linear warm-up and a cosine), in a few lines
class Ramp(mx.lr_scheduler.LRScheduler):
    """Linear from base to target over niters updates, counted from offset (GluonCV's idea)."""

    def __init__(self, base, target, niters, cosine=False):
        super(Ramp, self).__init__()
        self.base, self.target, self.niters, self.cosine, self.offset = base, target, niters, cosine, 0

    def __call__(self, num_update):
        t = min(max(num_update - self.offset, 0), self.niters - 1) / (self.niters - 1)
        factor = (1 + np.cos(np.pi * t)) / 2 if self.cosine else 1 - t
        return self.target + (self.base - self.target) * factor


class Chain(mx.lr_scheduler.LRScheduler):
    def __init__(self, parts):
        super(Chain, self).__init__()
        self.parts, count = parts, 0
        for part in parts:
            part.offset, count = count, count + part.niters

    def __call__(self, num_update):
        for part in self.parts:
            if num_update < part.offset + part.niters:
                return part(num_update)
        return self.parts[-1](num_update)


def lr_sequential():
    """``trainer.learning_rate`` after each of eight steps under the composed schedule (given
    beside a 'learning_rate'), and the weight after them."""
    net = nn.Dense(1, in_units=2)
    net.initialize(mx.init.Zero())
    sched = Chain([Ramp(0.0, 0.1, 3), Ramp(0.1, 0.0, 6, cosine=True)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5, 'lr_scheduler': sched,
                                                         'momentum': 0.9})
    rates = []
    for _ in range(8):
        with autograd.record():
            y = net(nd.ones((1, 2)))
        y.backward()
        trainer.step(1)
        rates.append(trainer.learning_rate)
    return {'rates': rates, 'weight': L(net.weight.data())}


# ---------------------------------------------------------------- 4 blocks with prefix=''
# GluonCV gluoncv/model_zoo/resnext.py: units built with prefix='' in a stage's name scope
class Unit(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(Unit, self).__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.Conv2D(2, 1, use_bias=False), nn.BatchNorm())
        self.extra = nn.HybridSequential(prefix='')
        self.extra.add(nn.Conv2D(2, 1))

    def hybrid_forward(self, F, x):
        return self.body(x) + self.extra(x)


def empty_prefix_names():
    """The parameter names (and structural names) of two such units in a ``stage1_`` stage."""
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Conv2D(2, 1))
        stage = nn.HybridSequential(prefix='stage1_')
        with stage.name_scope():
            stage.add(Unit(prefix=''), Unit(prefix=''))
        net.add(stage, nn.Dense(3))
    net.initialize()
    net(nd.zeros((1, 1, 3, 3)))
    return {'names': list(net.collect_params().keys()),
            'structural': sorted(net._collect_params_with_prefix().keys())}


# ---------------------------------------------------------------- 5 a segmentation cross-entropy
# GluonCV gluoncv/loss.py MixSoftmaxCrossEntropyLoss / SoftmaxCrossEntropyLoss (SoftmaxOutput based)
class SegCE(gluon.loss.Loss):
    def __init__(self, aux_weight=None, ignore_label=-1, size_average=True, **kwargs):
        super(SegCE, self).__init__(None, 0, **kwargs)
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


def seg_ce():
    """The loss with an auxiliary head and without, and the inputs' gradients; hybridized, the
    error it raises (``label.astype(pred.dtype)``: a Symbol has no dtype)."""
    rs = np.random.RandomState(5)
    p1, p2 = nd.array(rs.normal(0, 1, (2, 4, 3, 3))), nd.array(rs.normal(0, 1, (2, 4, 3, 3)))
    label = nd.array(rs.randint(-1, 4, (2, 3, 3)))
    p1.attach_grad()
    p2.attach_grad()
    with autograd.record():
        aux = SegCE(aux_weight=0.4)(p1, p2, label)
    aux.backward()
    res = {'aux': L(aux), 'aux_g1': L(p1.grad), 'aux_g2': L(p2.grad)}
    with autograd.record():
        plain = SegCE(size_average=False)(p1, label)
    plain.backward()
    res.update(plain=L(plain), plain_g1=L(p1.grad))
    crit = SegCE()
    crit.hybridize()
    try:
        crit(p1, label)
    except AttributeError as err:
        res['hybrid_error'] = [type(err).__name__, 'dtype' in str(err)]
    return res


# ---------------------------------------------------------------- 6 export with constant preprocessing
# a deployment script's preprocessing block: params.get_constant mean / scale and a transpose
class Preprocess(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(Preprocess, self).__init__(**kwargs)
        with self.name_scope():
            self.init_mean = self.params.get_constant('init_mean', nd.array([[[[10., 20., 30.]]]]))
            self.init_scale = self.params.get_constant('init_scale', nd.array([[[[2., 4., 5.]]]]))

    def hybrid_forward(self, F, x, init_mean, init_scale):
        return F.transpose(F.broadcast_div(F.broadcast_minus(x, init_mean), init_scale), axes=(0, 3, 1, 2))


def export_preprocess():
    """The preprocessing ahead of a small conv head, hybridized and exported: the graph's nodes,
    the parameter file's keys and the output."""
    wrapper = nn.HybridSequential(prefix='wrap_')
    pre = Preprocess(prefix='pre_')
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
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'exp')
        wrapper.export(path)
        with open(path + '-symbol.json') as f:
            nodes = [[n['op'], n['name']] for n in json.load(f)['nodes']]
        keys = sorted(nd.load(path + '-0000.params').keys())
    return {'nodes': nodes, 'keys': keys, 'out': L(y)}


# ---------------------------------------------------------------- 7 GLUE-style metrics
# GluonNLP's GLUE fine-tuning scripts (MCC, F1 + Accuracy, PearsonCorrelation), a language model's
# Perplexity(ignore_label=0), a multi-task trainer's Accuracy of sigmoid() > 0.5
def metrics():
    """MCC(average='micro'), F1 + Accuracy in a CompositeEvalMetric, F1(average='micro'),
    PearsonCorrelation macro / micro, Perplexity(ignore_label=0), Accuracy of ``sigmoid() > 0.5``
    predictions and an Accuracy never updated."""
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


# ---------------------------------------------------------------- 8 detection label padding
# GluonCV gluoncv/data/batchify.py (Tuple(Stack(), Pad(pad_val=-1))), in a few lines
def pad_batchify_fn(data):
    """Stack arrays, pad label rows with -1."""
    if isinstance(data[0], nd.NDArray):
        return nd.stack(*data)
    if isinstance(data[0], tuple):
        return [pad_batchify_fn(list(part)) for part in zip(*data)]
    rows = max([len(x) for x in data] + [1])
    buf = np.full((len(data), rows, data[0].shape[-1]), -1, dtype=data[0].dtype)
    for i, x in enumerate(data):
        buf[i, :len(x)] = x
    return nd.array(buf, dtype=data[0].dtype)


def pad_batchify():
    """The padded batches of a detection dataset, and its ``shard`` / ``filter`` views, a
    FilterSampler and a rollover BatchSampler over it."""
    rs = np.random.RandomState(9)
    ds = gluon.data.SimpleDataset([(nd.array(rs.uniform(0, 1, (3, 2, 2))),
                                    rs.uniform(0, 9, (i % 3, 5)).astype('float32')) for i in range(7)])
    batches = [[L(part) for part in batch]
               for batch in gluon.data.DataLoader(ds, batch_size=3, batchify_fn=pad_batchify_fn)]
    keep = gluon.data.FilterSampler(lambda item: len(item[1]) != 1, ds)
    rollover = gluon.data.BatchSampler(keep, 3, 'rollover')
    return {'batches': batches, 'shard': [len(x[1]) for x in ds.shard(3, 1)],
            'filter': [len(x[1]) for x in ds.filter(lambda item: len(item[1]) >= 2)],
            'sampler': list(keep), 'rollover': [list(rollover) for _ in range(3)]}


# ---------------------------------------------------------------- 9 backward of a list of losses
# a multi-task MNIST tutorial: autograd.backward([l1, l2]) over two heads
class TwoHeads(nn.HybridBlock):
    def __init__(self, **kwargs):
        super(TwoHeads, self).__init__(**kwargs)
        self.shared = nn.Dense(5, activation='relu')
        self.out1 = nn.Dense(4)
        self.out2 = nn.Dense(1)

    def hybrid_forward(self, F, x):
        y = self.shared(x)
        return self.out1(y), self.out2(y)


def multitask():
    """Every parameter's gradient, by structural name."""
    net = TwoHeads()
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
    return {k: L(v.grad()) for k, v in sorted(net._collect_params_with_prefix().items())}


# ---------------------------------------------------------------- 10 running statistics of a static step
# an ImageNet trainer's ResNeXt hybridized with static_alloc / static_shape
def bn_net():
    net = nn.HybridSequential(prefix='bnnet_')
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, use_bias=False), nn.BatchNorm(), nn.Activation('relu'), nn.Dense(2))
    net.initialize()
    net(nd.zeros((1, 2, 5, 5)))
    set_params(net, 12)
    net[1].running_mean.set_data(nd.zeros((3,)))
    net[1].running_var.set_data(nd.ones((3,)))
    return net


def static_running_stats(wait=True):
    """BatchNorm's running mean after each of three SGD steps, and its variance after them, eager
    and hybridized with static_alloc / static_shape. With ``wait`` each is read after
    ``nd.waitall()``: MXNet 1.9.1's read right after ``trainer.step`` of the static network can
    return the value from before the step (the read does not wait for the backward pass that
    writes it on CPU), so the fixture is recorded so; the test reads minigluon's right away."""
    res = {}
    for mode, hybrid in (('eager', None), ('static', {'static_alloc': True, 'static_shape': True})):
        net = bn_net()
        if hybrid is not None:
            net.hybridize(**hybrid)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
        x = nd.array(np.random.RandomState(13).uniform(-1, 1, (4, 2, 5, 5)))
        means = []
        for _ in range(3):
            with autograd.record():
                loss = net(x).sum()
            loss.backward()
            trainer.step(4)
            if wait:
                nd.waitall()
            means.append(L(net[1].running_mean.data()))
        res[mode] = {'means': means, 'var': L(net[1].running_var.data())}
    return res


PROGRAMS = ['auto_mode_warnings', 'checkpoint_files', 'tied_lm', 'lr_sequential', 'empty_prefix_names',
            'seg_ce', 'export_preprocess', 'metrics', 'pad_batchify', 'multitask', 'static_running_stats']
