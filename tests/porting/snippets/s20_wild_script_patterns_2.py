import copy
import os
import shutil
import tempfile
from abc import abstractmethod
from functools import lru_cache

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.loss import Loss, SoftmaxCrossEntropyLoss

# Patterns met running a second set of public MXNet 1.x Gluon scripts unchanged (MXNet's tutorials,
# the Straight Dope, GluonFR, Sockeye 2). (1) The normalization tutorial: BatchNorm's running
# statistics after one step and after many, LayerNorm and InstanceNorm on the same data.
data = nd.arange(start=0, stop=16).reshape(2, 2, 2, 2)
bn = nn.BatchNorm()
bn.initialize()
for step in range(12):
    with autograd.record():
        loss = bn(data).abs()
    loss.backward()
    if step in (0, 11):
        print('running', bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy())
print('gamma grad', bn.gamma.grad().asnumpy(), 'inference', bn(data)[0, 0].asnumpy().round(5).tolist())
ln, inorm = nn.LayerNorm(), nn.InstanceNorm()
ln.initialize()
inorm.initialize()
print('layernorm', ln(nd.arange(16).reshape(2, 4, 2))[1].asnumpy().round(5).tolist())
print('instancenorm', inorm(data)[1, 1].asnumpy().round(5).tolist())


# (2) A custom Loss written as a HybridBlock (the custom-loss tutorial's contrastive loss), eager
# and hybridized, on a Siamese pair of outputs.
class ContrastiveLoss(Loss):
    def __init__(self, margin=6., weight=None, batch_axis=0, **kwargs):
        super(ContrastiveLoss, self).__init__(weight, batch_axis, **kwargs)
        self.margin = margin

    def hybrid_forward(self, F, image1, image2, label):
        distances_squared = F.sum(F.square(image1 - image2), 1, keepdims=True)
        d = F.clip(self.margin - F.sqrt(distances_squared + 0.0001), 0, self.margin)
        return 0.5 * ((1 - label) * distances_squared + label * F.square(d))


out1 = nd.array([[0.5, 1.0], [2.0, -1.0], [0.0, 0.3]])
out2 = nd.array([[0.4, 1.5], [-2.0, 1.0], [0.1, 0.3]])
same = nd.array([[0.0], [1.0], [1.0]])
closs = ContrastiveLoss(margin=3.0)
for hybrid in (False, True):
    if hybrid:
        closs.hybridize()
    print('contrastive hybrid=%s' % hybrid, closs(out1, out2, same).asnumpy().round(5).tolist())


# (3) GluonFR's margin losses: a normalised classifier (L2Normalization of weight and features,
# FullyConnected without bias) under ArcFace's additive angular margin, built with F.pick,
# F.arccos, F.where and one_hot; the whole net exported and imported back, whose Symbol call
# gives both outputs.
class NormDense(nn.HybridBlock):
    def __init__(self, classes, in_units, **kwargs):
        super().__init__(**kwargs)
        self._classes = classes
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(classes, in_units))

    def hybrid_forward(self, F, x, weight):
        weight = F.L2Normalization(weight, mode='instance')
        x = F.L2Normalization(x, mode='instance', name='fc1n')
        return F.FullyConnected(data=x, weight=weight, no_bias=True, num_hidden=self._classes, name='fc7')


class ArcLoss(SoftmaxCrossEntropyLoss):
    def __init__(self, classes, m=0.5, s=16, **kwargs):
        super().__init__(**kwargs)
        self.s, self.m, self._classes = s, m, classes

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        cos_t = F.pick(pred, label, axis=1)
        cond = F.Activation(data=cos_t, act_type='relu')
        new_zy = F.where(cond, F.cos(F.arccos(cos_t) + self.m), cos_t)
        body = F.broadcast_mul(F.one_hot(label, depth=self._classes, on_value=1.0, off_value=0.0),
                               F.expand_dims(new_zy - cos_t, 1))
        return super().hybrid_forward(F, pred=(pred + body) * self.s, label=label, sample_weight=sample_weight)


class Face(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Dense(6, activation='tanh'), nn.Dense(4))
            self.output = NormDense(3, 4, prefix='output_')

    def hybrid_forward(self, F, x):
        embedding = self.features(x)
        return embedding, self.output(embedding)


face = Face()
face.initialize(mx.init.Constant(0.05))
x = nd.array(np.cos(np.arange(20)).reshape(4, 5))
face(x)
params = face.collect_params()
for i, name in enumerate(sorted(params.keys())):
    params[name].set_data(nd.array(np.sin(np.arange(np.prod(params[name].shape)) + i).reshape(params[name].shape)))
y = nd.array([0, 2, 1, 2])
arc = ArcLoss(3)
with autograd.record():
    loss = arc(face(x)[1], y)
loss.backward()
print('arcface', loss.asnumpy().round(4).tolist(), round(float(face.output.weight.grad().abs().sum().asscalar()), 4))
folder = tempfile.mkdtemp()
face.hybridize()
face(x)
face.export(os.path.join(folder, 'face'))
served = gluon.SymbolBlock.imports(os.path.join(folder, 'face-symbol.json'), ['data'],
                                   os.path.join(folder, 'face-0000.params'))
outs = served(mx.sym.var('data'))
print('imported', type(outs).__name__, [o.list_outputs() for o in outs],
      served(x)[1].asnumpy().round(5).tolist()[0])
shutil.rmtree(folder)


# (4) Sockeye 2's layers: a weight shared by a second block through params.update (tied output
# layer), an lru_cache'd slice keyed by an NDArray, the -4 / -3 reshape codes around the
# interleaved attention products, and a layer overriding Block.prefix with an abstract property
# whose recurrence runs through F.contrib.foreach.
class OutputLayer(nn.HybridBlock):
    def __init__(self, vocab_size, weight, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        with self.name_scope():
            self.weight = weight
            self.params.update({weight.name: weight})
            self.bias = self.params.get('bias', shape=(vocab_size,), init='zeros')

    @lru_cache(maxsize=1)
    def _take_slice(self, ids):
        return self.weight.data().take(ids), self.bias.data().take(ids)

    def forward(self, data, ids):
        if ids is not None:
            weight, bias = self._take_slice(ids)
            return nd.FullyConnected(data=data, num_hidden=ids.shape[0], weight=weight, bias=bias, flatten=False)
        return super().forward(data)

    def hybrid_forward(self, F, data, weight, bias):
        return F.FullyConnected(data=data, num_hidden=self.vocab_size, weight=weight, bias=bias, flatten=False)


embed = nn.Embedding(7, 4, prefix='embed_')
embed.initialize(mx.init.Constant(0.0))
embed.weight.set_data(nd.array(np.linspace(-1, 1, 28).reshape(7, 4)))
tied = OutputLayer(7, embed.weight, prefix='out_')
tied.initialize()
print('tied', sorted(tied.collect_params().keys()), tied(nd.ones((1, 4)), None).shape)
ids = nd.array([5, 1])
print('sliced', tied(nd.ones((1, 4)), ids).asnumpy().round(5).tolist(), tied(nd.ones((1, 4)), ids).shape,
      tied._take_slice.cache_info().hits)


class Attention(nn.HybridBlock):
    def __init__(self, heads, **kwargs):
        super().__init__(**kwargs)
        self.heads = heads

    def hybrid_forward(self, F, queries, key_values, lengths):
        logits = F.contrib.interleaved_matmul_encdec_qk(queries, key_values, heads=self.heads)
        lengths = F.reshape(F.repeat(F.expand_dims(lengths, axis=1), repeats=self.heads, axis=1), shape=[-3])
        logits = F.transpose(F.SequenceMask(F.transpose(logits, axes=(2, 0, 1)), use_sequence_length=True,
                                            sequence_length=lengths, value=-99999999.), axes=(1, 2, 0))
        ctx = F.contrib.interleaved_matmul_encdec_valatt(key_values, F.softmax(logits, axis=-1), heads=self.heads)
        heads = F.transpose(F.reshape(ctx, shape=(0, -1, self.heads, 2)), axes=(0, 2, 1, 3))
        heads = F.reshape(F.reshape(heads, shape=(-3, 0, 0)), shape=(-4, -1, self.heads, 0, 2))
        return F.reshape(F.transpose(heads, axes=(0, 2, 1, 3)), shape=(-1, 0, 4))


queries = nd.array(np.sin(np.arange(12)).reshape(3, 1, 4))
memory = nd.array(np.cos(np.arange(16)).reshape(2, 1, 8))
att = Attention(2)
for hybrid in (False, True):
    if hybrid:
        att.hybridize()
    print('attention hybrid=%s' % hybrid, att(queries, memory, nd.array([1])).asnumpy().round(5).tolist()[0])


class AutoregressiveLayer(nn.HybridBlock):
    @property
    @abstractmethod
    def prefix(self):
        raise NotImplementedError


class SSRU(AutoregressiveLayer):
    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.transform = self._training_transform
        with self.name_scope():
            self.forget_gate = nn.Dense(size, in_units=size, activation='sigmoid', flatten=False, prefix='forget_gate_')

    @property
    def prefix(self):
        return 'ssru_'

    @staticmethod
    def _training_transform(F, state, inputs, forget):
        def step(step_inputs, previous):
            current = step_inputs[1] * previous + step_inputs[0]
            return current, current
        return F.contrib.foreach(step, [inputs, forget], state)

    def hybrid_forward(self, F, inputs, state):
        forget = self.forget_gate(inputs)
        cells, last = self.transform(F, state, (1 - forget) * inputs, forget)
        return F.relu(cells), last


ssru = SSRU(2, prefix='ssru_')
ssru.initialize(mx.init.Constant(0.3))
seq = nd.array(np.sin(np.arange(12)).reshape(3, 2, 2))
for hybrid in (False, True):
    if hybrid:
        ssru.hybridize()
    cells, last = ssru(seq, nd.zeros((2, 2)))
    print('ssru hybrid=%s' % hybrid, ssru.prefix, ssru.name, cells.shape, last.asnumpy().round(5).tolist())


# (5) The advanced learning-rate tutorial: a Python schedule given as an optimizer's lr_scheduler
# (it needs a base_lr attribute), a MultiFactorScheduler copied before being called, and the
# learning-rate finder's endless batch sampler (no __len__) feeding a DataLoader.
class Triangular():
    def __init__(self, min_lr, max_lr, cycle_length):
        self.min_lr, self.max_lr, self.cycle_length = min_lr, max_lr, cycle_length

    def __call__(self, iteration):
        unit = 1 - abs(2.0 * (iteration % self.cycle_length) / self.cycle_length - 1)
        return self.min_lr + unit * (self.max_lr - self.min_lr)


steps = mx.lr_scheduler.MultiFactorScheduler(step=[2, 4], factor=0.5)
steps.base_lr = 1
print('copied schedule', [copy.copy(steps)(i) for i in (1, 3, 5)], [steps(i) for i in (1, 3, 5)])
schedule = Triangular(0.05, 0.5, 4)
schedule.base_lr = 0.1
dense = nn.Dense(2, in_units=3)
dense.initialize(mx.init.Constant(0.1))
trainer = gluon.Trainer(dense.collect_params(), mx.optimizer.SGD(learning_rate=0.1, lr_scheduler=schedule))
lrs = []
for _ in range(5):
    with autograd.record():
        loss = dense(nd.ones((2, 3))).sum()
    loss.backward()
    trainer.step(2)
    lrs.append(round(trainer.learning_rate, 4))
print('scheduled', lrs, dense.weight.data().asnumpy().round(5).tolist()[0])


class ContinuousBatchSampler():
    def __init__(self, sampler, batch_size):
        self._sampler, self._batch_size = sampler, batch_size

    def __iter__(self):
        batch = []
        while True:
            for i in self._sampler:
                batch.append(i)
                if len(batch) == self._batch_size:
                    yield batch
                    batch = []


np.random.seed(3)
dataset = gluon.data.ArrayDataset(np.arange(10, dtype='float32').reshape(5, 2), np.arange(5))
loader = gluon.data.DataLoader(dataset, batch_sampler=ContinuousBatchSampler(gluon.data.RandomSampler(5), 2))
batches = iter(loader)
print('endless', [next(batches)[1].asnumpy().tolist() for _ in range(4)])

# (6) KL divergence as the tutorial computes it, from log-probabilities and from logits.
p, q = np.array([0.2, 0.5, 0.2, 0.1]), np.array([0.3, 0.4, 0.1, 0.2])
kl = gluon.loss.KLDivLoss(from_logits=True)
print('kl', round(float(kl(nd.array(p).expand_dims(0).log(), nd.array(q).expand_dims(0)).asscalar()), 5),
      round(float(gluon.loss.KLDivLoss(from_logits=False)(nd.array([[0.39, 1.31, 0.39, -0.30]]),
                                                          nd.array(q).expand_dims(0)).asscalar()), 5))
