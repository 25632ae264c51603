import math

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, initializer, nd
from minigluon.gluon import nn, rnn
from minigluon.gluon.contrib.rnn import LSTMPCell

# Patterns met running a third set of public MXNet 1.x Gluon sources unchanged (GluonNLP's model
# blocks, insightface's Symbol backbones, the Straight Dope's batch norm from scratch, GluonCV's
# losses). Parameters come from seeded NumPy values.


def seeded(block, seed, low=-0.5, high=0.5, skip=()):
    rs = np.random.RandomState(seed)
    for name, p in sorted(block.collect_params().items()):
        if not any(s in name for s in skip):
            p.set_data(nd.array(rs.uniform(low, high, size=p.shape)))


# (1) A registered Initializer subclass given as a Dense bias_initializer: its _init_weight fills
# the bias (half one value, half another) although the parameter's name ends in 'bias'.
@initializer.register
class GateBias(initializer.Initializer):
    def __init__(self, carry=0.0, gate=-2.0, **kwargs):
        super().__init__(**kwargs)
        self.carry, self.gate = carry, gate

    def _init_weight(self, name, arr):
        half = arr.shape[0] // 2
        arr[:half] = self.carry
        arr[half:] = self.gate


class Highway(gluon.HybridBlock):
    def __init__(self, size, layers, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hnet = nn.HybridSequential()
            with self.hnet.name_scope():
                for _ in range(layers):
                    self.hnet.add(nn.Dense(size * 2, in_units=size, flatten=False,
                                           bias_initializer=GateBias(0.5, -2.0)))
            self.act = nn.Activation('relu')

    def hybrid_forward(self, F, x):
        for layer in self.hnet:
            candidate, gate = layer(x).split(num_outputs=2, axis=-1)
            gate = gate.sigmoid()
            x = (1 - gate) * x + gate * self.act(candidate)
        return x


hw = Highway(3, 2)
hw.initialize()
print('gate bias', hw.hnet[1].bias.data().asnumpy().tolist(), sorted(hw.collect_params().keys())[:2])
seeded(hw, 0, skip=('bias',))
x = nd.array(np.random.RandomState(1).randn(2, 4, 3))
eager = hw(x)
hw.hybridize()
print('highway', eager.asnumpy().round(4)[1, 2].tolist(), float((hw(x) - eager).abs().max().asscalar()) < 1e-6)


# (2) A character CNN: HybridConcurrent of Conv1D + HybridLambda max-over-time + tanh branches,
# on masked TNC input transposed to NCW, then the highway and a projection; one gradient.
class CharEncoder(gluon.HybridBlock):
    def __init__(self, embed, filters=(2, 3), widths=(1, 2), out=4, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.convs = gluon.contrib.nn.HybridConcurrent()
            with self.convs.name_scope():
                for channels, width in zip(filters, widths):
                    branch = nn.HybridSequential()
                    branch.add(nn.Conv1D(channels, width, in_channels=embed),
                               nn.HybridLambda(lambda F, y: F.max(y, axis=2)),
                               nn.Activation('tanh'))
                    self.convs.add(branch)
            self.highway = Highway(sum(filters), 1)
            self.proj = nn.Dense(out, in_units=sum(filters))

    def hybrid_forward(self, F, inputs, mask):
        inputs = F.broadcast_mul(inputs, mask.expand_dims(-1))
        return self.proj(self.highway(self.convs(F.transpose(inputs, axes=(1, 2, 0)))))


enc = CharEncoder(3)
enc.initialize()
seeded(enc, 2)
chars = nd.array(np.random.RandomState(3).randn(5, 2, 3))
mask = nd.array([[1, 1], [1, 1], [1, 1], [1, 0], [0, 0]])
enc.hybridize()
with autograd.record():
    encoded = enc(chars, mask)
    weighted = (encoded * nd.array([[1, -1, 2, 0.5], [0, 1, -1, 1]])).sum()
weighted.backward()
print('char encoder', encoded.asnumpy().round(4).tolist(), enc.proj.weight.grad().asnumpy().round(4)[0].tolist())


# (3) A sampled-softmax output layer: the weight is declared with grad_stype='row_sparse' and
# looked up by Embedding(sparse_grad=True) for the sampled and true classes; slice with None
# ends, FullyConnected on looked-up rows, accidental hits pushed to -1e37, -log(expected count).
# Run eagerly: MXNet 1.9.1 aborts (segmentation fault) in this block's hybridized backward.
class SampledOutput(gluon.HybridBlock):
    def __init__(self, classes, sampled, units, remove_hits, sparse, **kwargs):
        super().__init__(**kwargs)
        self._classes, self._sampled, self._units, self._remove = classes, sampled, units, remove_hits
        self._sparse = sparse
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(classes, units),
                                          grad_stype='row_sparse' if sparse else 'default')
            self.bias = self.params.get('bias', shape=(classes,), init='zeros')

    def hybrid_forward(self, F, x, sampled_values, label, weight, bias):
        candidates, count_sampled, count_true = sampled_values
        ids = F.concat(candidates, F.reshape(label, shape=(-1,)), dim=0)
        w_all = F.Embedding(data=ids, weight=weight, input_dim=self._classes,
                            output_dim=self._units, sparse_grad=self._sparse)
        b_all = F.take(bias, indices=ids)
        w_sampled = w_all.slice(begin=(0, 0), end=(self._sampled, None))
        w_true = w_all.slice(begin=(self._sampled, 0), end=(None, None))
        b_sampled = b_all.slice(begin=(0,), end=(self._sampled,))
        b_true = b_all.slice(begin=(self._sampled,), end=(None,))
        pred_true = (w_true * x).sum(axis=1) + b_true - F.log(count_true.reshape((-1,)))
        pred_sampled = F.FullyConnected(x, weight=w_sampled, bias=b_sampled, num_hidden=self._sampled)
        if self._remove:
            hits = F.broadcast_equal(F.reshape(label, (-1, 1)), F.reshape(candidates, (1, -1)))
            pred_sampled = pred_sampled + hits * -1e37
        pred_sampled = F.broadcast_sub(pred_sampled, F.log(F.reshape(count_sampled, shape=(1, -1))))
        return F.concat(pred_true.reshape((-1, 1)), pred_sampled, dim=1)


samples = (nd.array([1, 3, 5, 7]), nd.array([0.5, 0.4, 0.3, 0.2]), nd.array([0.6, 0.1]))
feats = nd.array(np.random.RandomState(5).randn(2, 3))
label = nd.array([3, 8])
for remove_hits in (True, False):
    out_layer = SampledOutput(10, 4, 3, remove_hits, sparse=remove_hits)
    out_layer.initialize()
    seeded(out_layer, 4, skip=('bias',))
    out_layer.bias.set_data(nd.arange(10) / 10)
    with autograd.record():
        logits = out_layer(feats, samples, label)
        loss = gluon.loss.SoftmaxCrossEntropyLoss()(logits, nd.zeros((2,)))
    loss.backward()
    shown = nd.where(logits < -1e30, -nd.ones_like(logits) * 999, logits)
    print('sampled', remove_hits, shown.asnumpy().round(3).tolist(), loss.asnumpy().round(4).tolist())
    print(' rows', out_layer.weight.grad().asnumpy().sum(axis=1).round(3).tolist())


# (4) A Symbol backbone as insightface writes it: input scaling on the Variable, PReLU through
# LeakyReLU, a squeeze-excitation broadcast_mul, fix_gamma BatchNorms, a spatial attention made
# with a whole-array mean, broadcast_div and tile, an attribute set with _set_attr; run by a
# SymbolBlock eagerly, in training mode and hybridized.
def conv_bn_act(data, channels, stride, name):
    body = mx.sym.Convolution(data=data, num_filter=channels, kernel=(3, 3), stride=stride, pad=(1, 1),
                              no_bias=True, workspace=256, name=name + '_conv')
    body = mx.sym.BatchNorm(data=body, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + '_bn')
    return mx.sym.LeakyReLU(data=body, act_type='prelu', name=name + '_relu')


data = mx.sym.Variable('data')
body = conv_bn_act((data - 127.5) * 0.0078125, 8, (1, 1), 'stem')
unit = conv_bn_act(body, 8, (2, 2), 'unit')
squeeze = mx.sym.Pooling(data=unit, global_pool=True, kernel=(7, 7), pool_type='avg', name='se_pool')
squeeze = mx.sym.Convolution(data=squeeze, num_filter=2, kernel=(1, 1), name='se_conv1')
squeeze = mx.sym.Activation(data=mx.sym.Convolution(data=mx.sym.LeakyReLU(data=squeeze, act_type='prelu', name='se_relu'),
                                                    num_filter=8, kernel=(1, 1), name='se_conv2'), act_type='sigmoid')
shortcut = mx.sym.BatchNorm(data=mx.sym.Convolution(data=body, num_filter=8, kernel=(1, 1), stride=(2, 2), no_bias=True,
                                                    name='sc_conv'), fix_gamma=False, eps=2e-5, name='sc_bn')
shortcut._set_attr(mirror_stage='True')
body = mx.sym.broadcast_mul(unit, squeeze) + shortcut
body = mx.sym.BatchNorm(data=body, fix_gamma=True, eps=2e-5, name='bn6f')
norm = mx.sym.sqrt(mx.sym.sum(data=body * body, axis=1, keepdims=True))
body = body * mx.sym.tile(mx.sym.broadcast_div(mx.sym.mean(norm), norm), reps=(1, 8, 1, 1))
fc1 = mx.sym.FullyConnected(data=mx.sym.Flatten(mx.sym.Pooling(body, kernel=(7, 7), global_pool=True, pool_type='avg')),
                            num_hidden=4, name='pre_fc1')
fc1 = mx.sym.BatchNorm(data=fc1, fix_gamma=True, eps=2e-5, momentum=0.9, name='fc1')
print('symbol', fc1.infer_shape(data=(2, 3, 12, 12))[1], len(fc1.list_arguments()), fc1.list_auxiliary_states()[:2],
      shortcut.attr('mirror_stage'), sorted(shortcut.list_attr().items()))
backbone = gluon.SymbolBlock(fc1, data)
backbone.initialize()
faces = nd.array(np.random.RandomState(1).uniform(0, 255, size=(2, 3, 12, 12)))
backbone(faces)
rs = np.random.RandomState(7)
for name, p in sorted(backbone.collect_params().items()):
    scale_like = name.endswith(('_var', 'gamma'))
    p.set_data(nd.array(rs.uniform(0.5, 1.5, size=p.shape) if scale_like else rs.uniform(-0.3, 0.3, size=p.shape)))
served = backbone(faces)
with autograd.record():
    trained = backbone(faces)
    head = (trained * nd.array([[1, -2, 0.5, 1], [0, 1, 1, -1]])).sum()
head.backward()
grad = backbone.collect_params()['unit_conv_weight'].grad().asnumpy()
backbone.hybridize()
print('backbone', served.asnumpy().round(3).tolist(), trained.asnumpy().round(3).tolist(),
      (grad / np.abs(grad).max()).round(3).ravel()[:4].tolist(),
      float(((backbone(faces) - served).abs().max() / served.abs().max()).asscalar()) < 1e-5)


# (5) A bidirectional LM encoder: an LSTMPCell subclass with cell and projection clips (through
# F._internal._plus/_mul), each in its own HybridSequentialRNNCell, run by F.contrib.foreach over
# nested lists of states; the backward direction reversed with SequenceReverse and the lengths
# from mask.sum(axis=1).
class ClippedLSTMP(LSTMPCell):
    def __init__(self, hidden, projection, cell_clip, proj_clip, input_size):
        super().__init__(hidden, projection, input_size=input_size)
        self._cell_clip, self._proj_clip = cell_clip, proj_clip

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias, h2h_bias):
        gates = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=self._hidden_size * 4) + \
            F.FullyConnected(data=states[0], weight=h2h_weight, bias=h2h_bias, num_hidden=self._hidden_size * 4)
        i, f, c, o = F.SliceChannel(gates, num_outputs=4)
        next_c = F._internal._plus(F.sigmoid(f) * states[1], F.sigmoid(i) * F.tanh(c)).clip(-self._cell_clip, self._cell_clip)
        hidden = F._internal._mul(F.sigmoid(o), F.tanh(next_c))
        next_r = F.FullyConnected(data=hidden, num_hidden=self._projection_size, weight=h2r_weight, no_bias=True)
        next_r = next_r.clip(-self._proj_clip, self._proj_clip)
        return next_r, [next_r, next_c]


class BiEncoder(gluon.HybridBlock):
    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self._layers = layers
        with self.name_scope():
            self.fwd, self.bwd = rnn.HybridSequentialRNNCell(), rnn.HybridSequentialRNNCell()
            for stack in (self.fwd, self.bwd):
                with stack.name_scope():
                    for layer in range(layers):
                        cell = rnn.HybridSequentialRNNCell()
                        with cell.name_scope():
                            lstmp = ClippedLSTMP(5, 3, 2.0, 0.6, 4 if layer == 0 else 3)
                            cell.add(lstmp if layer == 0 else rnn.ResidualCell(lstmp))
                        stack.add(cell)

    def begin_state(self, **kwargs):
        return ([self.fwd[0][0].begin_state(**kwargs) for _ in range(self._layers)],
                [self.bwd[0][0].begin_state(**kwargs) for _ in range(self._layers)])

    def hybrid_forward(self, F, inputs, states, mask):
        states_fwd, states_bwd = states
        lengths = mask.sum(axis=1)
        outs_fwd, outs_bwd = [], []
        for layer in range(self._layers):
            out, states_fwd[layer] = F.contrib.foreach(self.fwd[layer], outs_fwd[-1] if outs_fwd else inputs,
                                                       states_fwd[layer])
            outs_fwd.append(out)
            reverse = F.SequenceReverse(outs_bwd[-1] if outs_bwd else inputs, sequence_length=lengths,
                                        use_sequence_length=True, axis=0)
            out, states_bwd[layer] = F.contrib.foreach(self.bwd[layer], reverse, states_bwd[layer])
            outs_bwd.append(F.SequenceReverse(out, sequence_length=lengths, use_sequence_length=True, axis=0))
        return F.concat(F.stack(*outs_fwd, axis=0), F.stack(*outs_bwd, axis=0), dim=-1), [states_fwd, states_bwd]


bilm = BiEncoder(2)
bilm.initialize()
seeded(bilm, 0, -0.6, 0.6)
tokens = nd.array(np.random.RandomState(1).randn(5, 2, 4))
lengths_mask = nd.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
for hybrid in (False, True):
    if hybrid:
        bilm.hybridize()
    with autograd.record():
        out, (sf, sb) = bilm(tokens, bilm.begin_state(func=nd.zeros, batch_size=2), lengths_mask)
        energy = (out * out).sum()
    energy.backward()
    print('bilm hybrid=%s' % hybrid, out.shape, out.asnumpy().round(4)[1, :, 1].tolist(),
          sf[1][1].asnumpy().round(4).tolist(), sb[0][0].asnumpy().round(4)[1].tolist())
    print(' grad', bilm.fwd[1][0].base_cell.h2r_weight.grad().asnumpy().round(4)[0].tolist())


# (6) Batch norm written with nd as the Straight Dope does: moving statistics in a global dict,
# NDArrays printed through str.format, nansum(exclude=True), and an accuracy accumulated from 0.
def batch_norm(X, gamma, beta, scope, training, momentum=0.9, eps=1e-5):
    global MOVING
    N, C, H, W = X.shape
    mean = nd.mean(X, axis=(0, 2, 3))
    var = nd.mean((X - mean.reshape((1, C, 1, 1))) ** 2, axis=(0, 2, 3))
    try:
        MOVING
    except NameError:
        MOVING = {}
    if training:
        X_hat = (X - mean.reshape((1, C, 1, 1))) / nd.sqrt(var.reshape((1, C, 1, 1)) + eps)
    else:
        X_hat = (X - MOVING[scope][0].reshape((1, C, 1, 1))) / nd.sqrt(MOVING[scope][1].reshape((1, C, 1, 1)) + eps)
    if scope not in MOVING:
        MOVING[scope] = (mean, var)
    else:
        MOVING[scope] = (MOVING[scope][0] * momentum + mean * (1.0 - momentum),
                         MOVING[scope][1] * momentum + var * (1.0 - momentum))
    return gamma.reshape((1, C, 1, 1)) * X_hat + beta.reshape((1, C, 1, 1))


A = nd.array([1, 7, 5, 4, 6, 10]).reshape((3, 2))
print('columns {}'.format((A - nd.mean(A, axis=0)) / nd.sqrt(nd.mean((A - nd.mean(A, axis=0)) ** 2, axis=0) + 1e-5)))
rs = np.random.RandomState(2)
W1, b1 = nd.array(rs.normal(0, 0.1, (4, 1, 3, 3))), nd.array(rs.normal(0, 0.1, 4))
g1, be1 = nd.array(rs.normal(1, 0.1, 4)), nd.array(rs.normal(0, 0.1, 4))
W2, b2 = nd.array(rs.normal(0, 0.1, (36, 3))), nd.zeros(3)
params = [W1, b1, g1, be1, W2, b2]
for p in params:
    p.attach_grad()


def scratch_net(X, training):
    h = nd.Convolution(data=X, weight=W1, bias=b1, kernel=(3, 3), num_filter=4)
    h = nd.maximum(batch_norm(h, g1, be1, 'bn1', training), 0)
    h = nd.flatten(nd.Pooling(data=h, pool_type='avg', kernel=(2, 2), stride=(2, 2)))
    return nd.dot(h, W2) + b2


images = nd.array(np.random.RandomState(0).rand(6, 1, 8, 8))
labels = nd.array([0, 1, 2, 0, 1, 2])
for step in range(3):
    with autograd.record():
        loss = -nd.nansum(nd.one_hot(labels, 3) * nd.log_softmax(scratch_net(images, True)), axis=0, exclude=True)
    loss.backward()
    for p in params:
        p[:] = p - 0.1 * p.grad
numerator = 0.
numerator += nd.sum(nd.argmax(scratch_net(images, False), axis=1) == labels)
print('scratch bn', type(numerator).__name__, (numerator / 6).asscalar(), loss.asnumpy().round(4).tolist())
print('moving mean = {}'.format(MOVING['bn1'][0].asnumpy().round(4).tolist()))


# (7) A segmentation loss whose hybrid_forward takes *inputs (main and auxiliary predictions),
# calling its parent's hybrid_forward twice; ignored labels zeroed with where.
class IgnoreCE(gluon.loss.Loss):
    def __init__(self, ignore_label=-1, **kwargs):
        super().__init__(None, 0, **kwargs)
        self._ignore = ignore_label

    def hybrid_forward(self, F, pred, label):
        loss = -F.pick(F.log_softmax(pred, axis=1), label, axis=1, keepdims=True)
        loss = F.where(label.expand_dims(axis=1) == self._ignore, F.zeros_like(loss), loss)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class IgnoreCEWithAux(IgnoreCE):
    def __init__(self, aux_weight=0.4, **kwargs):
        super().__init__(**kwargs)
        self.aux_weight = aux_weight

    def hybrid_forward(self, F, *inputs):
        pred1, pred2, label = inputs
        return super().hybrid_forward(F, pred1, label) + self.aux_weight * super().hybrid_forward(F, pred2, label)


rs = np.random.RandomState(0)
main, aux = nd.array(rs.randn(2, 3, 2, 2)), nd.array(rs.randn(2, 3, 2, 2))
seg = nd.array([[[0, -1], [2, 1]], [[-1, -1], [1, 0]]])
crit = IgnoreCEWithAux()
for hybrid in (False, True):
    if hybrid:
        crit.hybridize()
    main.attach_grad()
    with autograd.record():
        l = crit(main, aux, seg)
    l.backward()
    print('aux loss hybrid=%s' % hybrid, l.asnumpy().round(5).tolist(), main.grad.asnumpy().round(4)[0, :, 0, 0].tolist())


# (8) GELU through F.erf (the branch taken where mx.__version__ is not >= '1.5.0') against
# LeakyReLU(act_type='gelu'), and an L2 normalisation with F.norm(keepdims=True).
z = nd.array(np.random.RandomState(0).randn(2, 5))
erf_gelu = z * 0.5 * (1.0 + nd.erf(z / math.sqrt(2.0)))
print('gelu', erf_gelu.asnumpy().round(4)[0].tolist(),
      float((nd.LeakyReLU(z, act_type='gelu') - erf_gelu).abs().max().asscalar()) < 1e-5,
      nd.broadcast_div(z, nd.norm(z, axis=-1, keepdims=True) + 1e-6).asnumpy().round(4)[1].tolist())
