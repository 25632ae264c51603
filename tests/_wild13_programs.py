"""The programs of the thirteenth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_13.py),
each rewritten in our own words from the source named above it, keeping its calls, shapes and
idioms (channel counts and sizes shrunk, random draws replaced by seeded NumPy data). Each program
function returns its outputs, gradients and losses as nested dicts of lists.

The test runs this file as it is, on minigluon; tools/gen_wild13_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild13/wild13.json.
"""
import re

import numpy as np

import minigluon as mx
from _wild_common import attempt as _try, program_helpers, training_helpers

autograd, gluon, nd, init = mx.autograd, mx.gluon, mx.nd, mx.init
nn = gluon.nn
HybridBlock, Block = gluon.HybridBlock, gluon.Block

L, set_params, rnd = program_helpers(nd)     # tests/_wild_common.py, shared with _wild.py
norms, build = training_helpers(mx)



# ---------------------------------------------------------------- 1 U-Net with F.Crop
# smarthi/satellite-images beam/unet.py (a copy of chinakook/U-Net): conv_block / down_block as
# HybridSequentials of Conv2D(use_bias=False) + BatchNorm + relu, up_block upsampling by
# Conv2DTranspose(kernel 4, stride 2, padding 1) and center-cropping to the skip input with
# ``F.Crop(*[x, s], center_crop=True)`` before adding it, MaxPool2D(2, 2, ceil_mode=True) between
# stages. Four stages of 64..1024 channels shrunk to two of 4 and 8; odd 9 x 9 inputs make the
# ceil-mode pooling and the crop do something.
def unet_conv_block(channels, kernel_size):
    out = nn.HybridSequential()
    out.add(nn.Conv2D(channels, kernel_size, padding=1, use_bias=False), nn.BatchNorm(), nn.Activation('relu'))
    return out


def unet_down_block(channels):
    out = nn.HybridSequential()
    out.add(unet_conv_block(channels, 3), unet_conv_block(channels, 3))
    return out


class UNetUpBlock(HybridBlock):
    def __init__(self, channels, shrink=True, **kwargs):
        super(UNetUpBlock, self).__init__(**kwargs)
        self.upsampler = nn.Conv2DTranspose(channels=channels, kernel_size=4, strides=2, padding=1, use_bias=False)
        self.conv1 = unet_conv_block(channels, 1)
        self.conv3_0 = unet_conv_block(channels, 3)
        self.conv3_1 = unet_conv_block(channels // 2 if shrink else channels, 3)

    def hybrid_forward(self, F, x, s):
        x = self.upsampler(x)
        x = self.conv1(x)
        x = F.relu(x)
        x = F.Crop(*[x, s], center_crop=True)
        x = s + x
        x = self.conv3_0(x)
        return self.conv3_1(x)


class UNet(HybridBlock):
    def __init__(self, **kwargs):
        super(UNet, self).__init__(**kwargs)
        with self.name_scope():
            self.d0 = unet_down_block(4)
            self.d1 = nn.HybridSequential()
            self.d1.add(nn.MaxPool2D(2, 2, ceil_mode=True), unet_down_block(8))
            self.u0 = UNetUpBlock(4, shrink=False)
            self.conv = nn.Conv2D(2, 1)

    def hybrid_forward(self, F, x):
        x0 = self.d0(x)
        x1 = self.d1(x0)
        y = self.u0(x1, x0)
        return self.conv(y)


def unet_crop():
    x = rnd(1301, 2, 3, 9, 9)
    label = nd.array(np.random.RandomState(1302).randint(0, 2, (2, 9, 9)))
    out = {}
    for mode in ('eager', 'hybrid'):
        net = UNet()
        net.initialize()
        build(net, 1303, x)
        if mode == 'hybrid':
            net.hybridize()
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(axis=1)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
        losses = []
        for _ in range(2):
            with autograd.record():
                y = net(x)
                loss = loss_fn(y, label)
            loss.backward()
            trainer.step(2)
            losses.append(L(loss))
        out[mode] = {'shape': list(y.shape), 'losses': losses, 'norms': norms(net), 'pred': L(net(x)[0, :, :3, :3])}
    crop = nd.Crop(nd.arange(50).reshape((1, 2, 5, 5)), nd.zeros((1, 1, 3, 2)), center_crop=True)
    crop_off = nd.Crop(nd.arange(50).reshape((1, 2, 5, 5)), h_w=(2, 3), offset=(1, 2))
    out['crop'] = [L(crop), L(crop_off)]
    return out


# ---------------------------------------------------------------- 2 center loss
# ShownX/mxnet-center-loss center_loss.py as wangx404/Center_Loss_in_MXNet keeps it: a CenterLoss
# HybridBlock with ``params.get('centers', shape=(classes, features))`` whose hybrid_forward
# counts the labels with np.bincount of ``label.asnumpy()`` and turns the histogram into an
# NDArray with F.array, takes the per-sample counts and centers by F.take, and returns
# lambda * 0.5 * sum of squared distances divided by the counts; plus that repository's own form
# with an nn.Embedding giving each label's center. Joint supervision with SoftmaxCrossEntropyLoss,
# two Trainers (the centers get their own SGD, as its train.py's center_trainer).
class CenterLoss(HybridBlock):
    def __init__(self, num_classes, feature_size, lmbd, **kwargs):
        super(CenterLoss, self).__init__(**kwargs)
        self._num_classes = num_classes
        self._feature_size = feature_size
        self._lmda = lmbd
        self.centers = self.params.get('centers', shape=(num_classes, feature_size))

    def hybrid_forward(self, F, feature, label, centers):
        hist = F.array(np.bincount(label.asnumpy().astype(int)))
        centers_count = F.take(hist, label)
        centers_selected = F.take(centers, label)
        diff = feature - centers_selected
        loss = self._lmda * 0.5 * F.sum(F.square(diff), 1) / centers_count
        return F.mean(loss, axis=0, exclude=True)


class EmbeddingCenterLoss(HybridBlock):
    def __init__(self, num_classes, feature_size, lmbd, **kwargs):
        super(EmbeddingCenterLoss, self).__init__(**kwargs)
        self._lmda = lmbd
        with self.name_scope():
            self.embedding = nn.Embedding(num_classes, feature_size)

    def hybrid_forward(self, F, feature, label):
        centers = self.embedding(label)
        return self._lmda * 0.5 * F.sum(F.square(feature - centers), axis=1)


class CenterNet(HybridBlock):
    def __init__(self, classes, feature_size, **kwargs):
        super(CenterNet, self).__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
                              nn.MaxPool2D(2), nn.Flatten(), nn.Dense(feature_size))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        feature = self.features(x)
        return self.output(feature), feature


def center_loss():
    x = rnd(1311, 6, 1, 6, 6)
    label = nd.array([0, 1, 2, 1, 0, 1])
    out = {}
    for kind in ('params', 'embedding'):
        net = CenterNet(3, 2)
        net.initialize()
        build(net, 1312, x)
        closs = CenterLoss(3, 2, 0.5) if kind == 'params' else EmbeddingCenterLoss(3, 2, 0.5)
        closs.initialize()
        if kind == 'embedding':
            closs(nd.zeros((1, 2)), nd.zeros((1,)))
        set_params(closs, 1313)
        softmax = gluon.loss.SoftmaxCrossEntropyLoss()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 1e-4})
        center_trainer = gluon.Trainer(closs.collect_params(), 'sgd', {'learning_rate': 0.5})
        losses = []
        for _ in range(3):
            with autograd.record():
                y, feat = net(x)
                l_soft = softmax(y, label)
                l_center = closs(feat, label)
                loss = l_soft + l_center
            loss.backward()
            trainer.step(6)
            center_trainer.step(6)
            losses.append([L(l_soft), L(l_center)])
        out[kind] = {'losses': losses, 'centers': L(list(closs.collect_params().values())[0].data()),
                     'norms': norms(net)}
    return out


# ---------------------------------------------------------------- 3 focal and distillation losses
# dmlc/gluon-cv gluoncv/loss.py: FocalLoss (sigmoid of logits, one_hot of sparse labels, F.where
# choosing p or 1 - p and alpha or 1 - alpha, log of ``minimum(pt + eps, 1)``, mean over every
# axis but the batch axis with ``exclude=True``, _apply_weighting with a sample weight) and
# DistillationSoftmaxCrossEntropyLoss (a SoftmaxCrossEntropyLoss(sparse_label=False) of the
# student's logits over the temperature against the teacher's softmax, times T squared, mixed
# with the hard-label loss by hard_weight), as its distillation training script calls it
# (teacher outputs computed outside autograd.record).
class FocalLoss(gluon.loss.Loss):
    def __init__(self, axis=-1, alpha=0.25, gamma=2, sparse_label=True, from_logits=False, batch_axis=0,
                 num_class=None, eps=1e-12, size_average=True, **kwargs):
        super(FocalLoss, self).__init__(None, batch_axis, **kwargs)
        self._axis = axis
        self._alpha = alpha
        self._gamma = gamma
        self._sparse_label = sparse_label
        self._from_logits = from_logits
        self._num_class = num_class
        self._eps = eps
        self._size_average = size_average

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.sigmoid(pred)
        if self._sparse_label:
            one_hot = F.one_hot(label, self._num_class)
        else:
            one_hot = label > 0
        pt = F.where(one_hot, pred, 1 - pred)
        t = F.ones_like(one_hot)
        alpha = F.where(one_hot, self._alpha * t, (1 - self._alpha) * t)
        loss = -alpha * ((1 - pt) ** self._gamma) * F.log(F.minimum(pt + self._eps, 1))
        loss = gluon.loss._apply_weighting(F, loss, self._weight, sample_weight)
        if self._size_average:
            return F.mean(loss, axis=self._batch_axis, exclude=True)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class DistillationSoftmaxCrossEntropyLoss(HybridBlock):
    def __init__(self, temperature=1, hard_weight=0.5, sparse_label=True, **kwargs):
        super(DistillationSoftmaxCrossEntropyLoss, self).__init__(**kwargs)
        self._temperature = temperature
        self._hard_weight = hard_weight
        with self.name_scope():
            self.soft_loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False, **kwargs)
            self.hard_loss = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=sparse_label, **kwargs)

    def hybrid_forward(self, F, output, label, soft_target):
        if self._hard_weight == 0:
            return (self._temperature ** 2) * self.soft_loss(output / self._temperature, soft_target)
        if self._hard_weight == 1:
            return self.hard_loss(output, label)
        soft_loss = (self._temperature ** 2) * self.soft_loss(output / self._temperature, soft_target)
        hard_loss = self.hard_loss(output, label)
        return (1 - self._hard_weight) * soft_loss + self._hard_weight * hard_loss


def focal_distillation():
    pred = rnd(1321, 4, 5, 3)
    label = nd.array(np.random.RandomState(1322).randint(0, 3, (4, 5)))
    weight = nd.array(np.random.RandomState(1323).uniform(0, 1, (4, 5, 1)))
    out = {}
    for name, kw in (('sparse', {'num_class': 3}), ('gamma0', {'num_class': 3, 'gamma': 0, 'size_average': False}),
                     ('logits', {'num_class': 3, 'from_logits': True})):
        fl = FocalLoss(**kw)
        p = nd.sigmoid(pred) if kw.get('from_logits') else pred
        p.attach_grad()
        with autograd.record():
            loss = fl(p, label, weight)
        loss.backward()
        out['focal_' + name] = [L(loss), L(p.grad)]
    dense = (nd.one_hot(label, 3) > 0)
    fl = FocalLoss(sparse_label=False)
    fl.hybridize()
    out['focal_dense_hybrid'] = L(fl(pred, dense))
    teacher = nn.Dense(4)
    student = nn.HybridSequential()
    student.add(nn.Dense(6, activation='relu'), nn.Dense(4))
    x = rnd(1324, 5, 7)
    y = nd.array([0, 3, 1, 2, 3])
    for net, seed in ((teacher, 1325), (student, 1326)):
        net.initialize()
        net(x)
        set_params(net, seed)
    for hw in (0.5, 0.0, 1.0):
        loss_fn = DistillationSoftmaxCrossEntropyLoss(temperature=4, hard_weight=hw)
        loss_fn.hybridize()
        soft = nd.softmax(teacher(x) / 4)
        with autograd.record():
            loss = loss_fn(student(x), y, soft)
        loss.backward()
        out['distill_%g' % hw] = [L(loss), L(student[0].weight.grad())]
    return out


# ---------------------------------------------------------------- 4 graph attention (dense)
# dmlc/dgl examples/mxnet/gat/gat.py (GraphAttention: a bias-free Dense projection reshaped to
# (N, heads, out), ``params.get('attn_l' / 'attn_r', shape=(1, heads, out), init=Xavier())``,
# feature and attention Dropout, LeakyReLU(alpha) of the edge scores, edge_softmax, a residual
# Dense when the widths differ, ELU between layers, the last layer's heads averaged) and train.py
# (SoftmaxCrossEntropyLoss over the training mask's nodes, Adam with weight decay, accuracy of
# the argmax). DGL's message passing on the graph is written here as a dense masked softmax over
# a seeded adjacency matrix with self loops.
class GraphAttention(Block):
    def __init__(self, adj, in_dim, out_dim, num_heads, feat_drop, attn_drop, alpha, residual=False):
        super(GraphAttention, self).__init__()
        self.adj = adj
        self.num_heads = num_heads
        self.out_dim = out_dim
        with self.name_scope():
            self.fc = nn.Dense(num_heads * out_dim, use_bias=False, weight_initializer=init.Xavier())
            self.feat_drop = nn.Dropout(feat_drop) if feat_drop else (lambda x: x)
            self.attn_drop = nn.Dropout(attn_drop) if attn_drop else (lambda x: x)
            self.attn_l = self.params.get('attn_l', shape=(1, num_heads, out_dim), init=init.Xavier())
            self.attn_r = self.params.get('attn_r', shape=(1, num_heads, out_dim), init=init.Xavier())
            self.leaky_relu = nn.LeakyReLU(alpha)
            self.residual = residual
            if residual:
                self.res_fc = nn.Dense(num_heads * out_dim, use_bias=False) if in_dim != out_dim * num_heads \
                    else None

    def forward(self, inputs):
        h = self.feat_drop(inputs)
        ft = self.fc(h).reshape((h.shape[0], self.num_heads, -1))
        a1 = (ft * self.attn_l.data()).sum(axis=-1).expand_dims(-1)      # (N, H, 1)
        a2 = (ft * self.attn_r.data()).sum(axis=-1).expand_dims(-1)
        e = self.leaky_relu(a1.transpose((1, 0, 2)) + a2.transpose((1, 2, 0)))      # (H, dst, src)
        e = nd.where(nd.broadcast_like(self.adj.expand_dims(0), e) > 0, e, -1e9 * nd.ones_like(e))
        a = self.attn_drop(nd.softmax(e, axis=-1))
        ret = nd.batch_dot(a, ft.transpose((1, 0, 2))).transpose((1, 0, 2))      # (N, H, out)
        if self.residual:
            resval = self.res_fc(h).reshape((h.shape[0], self.num_heads, -1)) if self.res_fc is not None \
                else nd.expand_dims(h, axis=1)
            ret = resval + ret
        return ret


class GAT(Block):
    def __init__(self, adj, num_layers, in_dim, num_hidden, num_classes, heads, activation, feat_drop, attn_drop,
                 alpha, residual):
        super(GAT, self).__init__()
        self.num_layers = num_layers
        self.gat_layers = []
        self.activation = activation
        self.gat_layers.append(GraphAttention(adj, in_dim, num_hidden, heads[0], feat_drop, attn_drop, alpha, False))
        for l in range(1, num_layers):
            self.gat_layers.append(GraphAttention(adj, num_hidden * heads[l - 1], num_hidden, heads[l], feat_drop,
                                                  attn_drop, alpha, residual))
        self.gat_layers.append(GraphAttention(adj, num_hidden * heads[-2], num_classes, heads[-1], feat_drop,
                                              attn_drop, alpha, residual))
        for i, layer in enumerate(self.gat_layers):
            self.register_child(layer, 'gat_layer_{}'.format(i))

    def forward(self, inputs):
        h = inputs
        for l in range(self.num_layers):
            h = self.gat_layers[l](h).flatten()
            h = self.activation(h)
        return self.gat_layers[-1](h).mean(1)


def dgl_gat():
    rs = np.random.RandomState(1331)
    n = 7
    adj = (rs.uniform(0, 1, (n, n)) < 0.35).astype('float32')
    adj = np.maximum(adj, adj.T)
    np.fill_diagonal(adj, 1)
    features = rnd(1332, n, 5)
    labels = nd.array(rs.randint(0, 3, n))
    mask = nd.array([1, 1, 1, 1, 0, 0, 0])
    elu = lambda h: nd.LeakyReLU(h, act_type='elu', slope=1.0)
    model = GAT(nd.array(adj), 1, 5, 3, 3, [2, 1], elu, 0.0, 0.0, 0.2, True)
    model.initialize()
    model(features)
    set_params(model, 1333)
    loss_fcn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': 0.05, 'wd': 5e-4})
    losses, accs = [], []
    for _ in range(3):
        with autograd.record():
            logits = model(features)
            loss = loss_fcn(logits, labels, mask.expand_dims(1))
            loss = loss.sum() / mask.sum()
        loss.backward()
        trainer.step(1)
        losses.append(float(loss.asscalar()))
        accs.append(float(((logits.argmax(axis=1) == labels) * mask).sum().asscalar()))
    names = sorted(model.collect_params().keys())
    return {'losses': losses, 'accs': accs, 'logits': L(model(features)), 'norms': norms(model),
            'param_suffixes': [k.split('_', 1)[-1] for k in names]}


# ---------------------------------------------------------------- 5 variational autoencoder
# dingran/vae-mxnet code/vae-gluon.ipynb: a VAE HybridBlock with ``soft_zero`` and batch size
# kept as attributes set before HybridBlock.__init__, encoder / decoder HybridSequentials
# made with ``prefix='encoder'`` / ``'decoder'`` inside its name scope, ``F.split(h, axis=1,
# num_outputs=2)`` into mean and log-variance, the KL term ``0.5 * F.sum(1 + lv - mu * mu -
# F.exp(lv), axis=1)``, the Bernoulli log-likelihood with soft_zero, hybridized, Adam and
# ``trainer.step(batch_size)``. The notebook draws eps with F.random_normal; here eps is a
# seeded input (the two frameworks' generators differ).
class VAE(HybridBlock):
    def __init__(self, n_hidden=8, n_latent=2, n_layers=1, n_output=12, batch_size=4, act_type='relu', **kwargs):
        self.soft_zero = 1e-10
        self.n_latent = n_latent
        self.batch_size = batch_size
        self.output = None
        self.mu = None
        super(VAE, self).__init__(**kwargs)
        with self.name_scope():
            self.encoder = nn.HybridSequential(prefix='encoder')
            for i in range(n_layers):
                self.encoder.add(nn.Dense(n_hidden, activation=act_type))
            self.encoder.add(nn.Dense(n_latent * 2, activation=None))
            self.decoder = nn.HybridSequential(prefix='decoder')
            for i in range(n_layers):
                self.decoder.add(nn.Dense(n_hidden, activation=act_type))
            self.decoder.add(nn.Dense(n_output, activation='sigmoid'))

    def hybrid_forward(self, F, x, eps):
        h = self.encoder(x)
        mu_lv = F.split(h, axis=1, num_outputs=2)
        mu = mu_lv[0]
        lv = mu_lv[1]
        self.mu = mu
        z = mu + F.exp(0.5 * lv) * eps
        y = self.decoder(z)
        self.output = y
        KL = 0.5 * F.sum(1 + lv - mu * mu - F.exp(lv), axis=1)
        logloss = F.sum(x * F.log(y + self.soft_zero) + (1 - x) * F.log(1 - y + self.soft_zero), axis=1)
        return -logloss - KL


def vae():
    rs = np.random.RandomState(1341)
    data = nd.array((rs.uniform(0, 1, (8, 12)) > 0.5).astype('float32'))
    eps = [nd.array(np.random.RandomState(1342 + i).normal(0, 1, (4, 2))) for i in range(4)]
    net = VAE()
    net.initialize(mx.init.Xavier())
    net(data[:4], eps[0])
    set_params(net, 1343)
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': .01})
    losses = []
    for epoch in range(2):
        for i in range(2):
            batch = data[i * 4:(i + 1) * 4]
            with autograd.record():
                loss = net(batch, eps[epoch * 2 + i])
            loss.backward()
            trainer.step(batch.shape[0])
            losses.append(L(loss))
    names = sorted(net.collect_params().keys())
    return {'losses': losses, 'norms': norms(net), 'mu_type': type(net.mu).__name__,
            'names': [k.split('_', 1)[1] for k in names], 'output_none': net.output is None}



# ---------------------------------------------------------------- 6 recommender systems
# d2l-ai/d2l-en chapter_recommender-systems: mf.md (MF: user / item Embeddings and per-user /
# per-item bias Embeddings, ``(P_u * Q_i).sum(axis=1) + squeeze(b_u) + squeeze(b_i)``, L2Loss,
# Adam with wd) and deepfm.md (DeepFM: one Embedding over the summed field sizes for the factors,
# another of width 1 for the linear part, ``0.5 * (square_of_sum - sum_of_square).sum(1,
# keepdims=True)``, an MLP of Dense(dim, 'relu', True, in_units=...) and Dropout, sigmoid,
# SigmoidBinaryCrossEntropyLoss). The chapter writes them with mx.np / npx; here with the nd
# operators of the same names, and field offsets added to the raw feature ids as its data loader
# does. Dropout rate 0 (the two frameworks' random masks differ).
class MF(Block):
    def __init__(self, num_factors, num_users, num_items, **kwargs):
        super(MF, self).__init__(**kwargs)
        self.P = nn.Embedding(input_dim=num_users, output_dim=num_factors)
        self.Q = nn.Embedding(input_dim=num_items, output_dim=num_factors)
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)

    def forward(self, user_id, item_id):
        P_u = self.P(user_id)
        Q_i = self.Q(item_id)
        b_u = self.user_bias(user_id)
        b_i = self.item_bias(item_id)
        outputs = (P_u * Q_i).sum(axis=1) + nd.squeeze(b_u) + nd.squeeze(b_i)
        return outputs.flatten()


class DeepFM(Block):
    def __init__(self, field_dims, num_factors, mlp_dims, drop_rate=0.1):
        super(DeepFM, self).__init__()
        num_inputs = int(sum(field_dims))
        self.embedding = nn.Embedding(num_inputs, num_factors)
        self.fc = nn.Embedding(num_inputs, 1)
        self.linear_layer = nn.Dense(1, use_bias=True)
        input_dim = self.embed_output_dim = len(field_dims) * num_factors
        self.mlp = nn.Sequential()
        for dim in mlp_dims:
            self.mlp.add(nn.Dense(dim, 'relu', True, in_units=input_dim))
            self.mlp.add(nn.Dropout(rate=drop_rate))
            input_dim = dim
        self.mlp.add(nn.Dense(in_units=input_dim, units=1))

    def forward(self, x):
        embed_x = self.embedding(x)
        square_of_sum = nd.sum(embed_x, axis=1) ** 2
        sum_of_square = nd.sum(embed_x ** 2, axis=1)
        inputs = nd.reshape(embed_x, (-1, self.embed_output_dim))
        x = self.linear_layer(self.fc(x).sum(1)) \
            + 0.5 * (square_of_sum - sum_of_square).sum(1, keepdims=True) \
            + self.mlp(inputs)
        return nd.sigmoid(x)


def d2l_recsys():
    rs = np.random.RandomState(1351)
    users, items = nd.array(rs.randint(0, 5, 12)), nd.array(rs.randint(0, 7, 12))
    scores = nd.array(rs.randint(1, 6, 12))
    mf = MF(3, 5, 7)
    mf.initialize(ctx=mx.cpu(), force_reinit=True, init=mx.init.Normal(0.01))
    mf(users, items)
    set_params(mf, 1352)
    loss = gluon.loss.L2Loss()
    trainer = gluon.Trainer(mf.collect_params(), 'adam', {'learning_rate': 0.02, 'wd': 1e-5})
    mf_losses = []
    for i in range(3):
        u, it, r = users[i * 4:(i + 1) * 4], items[i * 4:(i + 1) * 4], scores[i * 4:(i + 1) * 4]
        with autograd.record():
            l = loss(mf(u, it), r)
        l.backward()
        trainer.step(4)
        mf_losses.append(L(l))
    rmse = mx.metric.RMSE()
    rmse.update(labels=scores, preds=mf(users, items))
    field_dims = [3, 4, 2]
    offsets = np.array((0, *np.cumsum(field_dims)[:-1]))
    raw = np.stack([rs.randint(0, d, 8) for d in field_dims], axis=1)
    x = nd.array(raw + offsets)
    y = nd.array(rs.randint(0, 2, (8, 1)))
    net = DeepFM(field_dims, num_factors=4, mlp_dims=[6, 5], drop_rate=0.0)
    net.initialize(init.Xavier())
    net(x)
    set_params(net, 1353)
    bce = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.02})
    fm_losses = []
    for _ in range(3):
        with autograd.record():
            l = bce(net(x), y)
        l.backward()
        trainer.step(8)
        fm_losses.append(L(l))
    return {'mf_losses': mf_losses, 'rmse': list(rmse.get()), 'mf_norms': norms(mf), 'fm_losses': fm_losses,
            'fm_pred': L(net(x)), 'fm_norms': norms(net)}


# ---------------------------------------------------------------- 7 PPO
# A public Gluon PPO (its header credits dai-dao/PPO-Gluon and OpenAI baselines' ppo1) and a
# public gluonbook-era actor-critic: an Actor Block (Dense(64, relu), ``nd.softmax`` of a second
# Dense) and a Critic, advantages by generalised advantage estimation in NumPy, the old policy's
# probabilities taken outside autograd.record, ``nd.pick`` of the chosen actions, the ratio
# clipped with ``nd.clip`` and ``nd.minimum`` of the two surrogates, an entropy bonus, a value loss
# by L2Loss, one Trainer over both networks' parameters (``update`` into a ParameterDict), a few
# epochs of shuffled minibatches (np.random seeded). The rollout is seeded data, not a gym run.
class PPOActor(Block):
    def __init__(self, n_action, **kwargs):
        super(PPOActor, self).__init__(**kwargs)
        self.n_action = n_action
        self.dense0 = nn.Dense(8, activation='relu')
        self.dense1 = nn.Dense(n_action)

    def forward(self, x):
        return nd.softmax(self.dense1(self.dense0(x)))


class PPOCritic(Block):
    def __init__(self, **kwargs):
        super(PPOCritic, self).__init__(**kwargs)
        self.dense0 = nn.Dense(8, activation='relu')
        self.dense1 = nn.Dense(1)

    def forward(self, x):
        return self.dense1(self.dense0(x))


def ppo():
    rs = np.random.RandomState(1361)
    T, gamma, lam, clip_param = 8, 0.99, 0.95, 0.2
    states = nd.array(rs.normal(0, 1, (T, 4)))
    actions = rs.randint(0, 2, T)
    rewards = rs.uniform(0, 1, T)
    dones = np.zeros(T)
    dones[4] = 1
    actor, critic = PPOActor(2), PPOCritic()
    for net, seed in ((actor, 1362), (critic, 1363)):
        net.initialize(init.Xavier())
        net(states)
        set_params(net, seed)
    params = actor.collect_params()
    params.update(critic.collect_params())
    trainer = gluon.Trainer(params, 'adam', {'learning_rate': 0.01})
    l2 = gluon.loss.L2Loss()
    values = critic(states).asnumpy().ravel()
    adv = np.zeros(T)
    last = 0.0
    for t in reversed(range(T)):
        next_value = values[t + 1] if t + 1 < T else 0.0
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * nonterminal - values[t]
        adv[t] = last = delta + gamma * lam * nonterminal * last
    returns = adv + values
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    old_probs = nd.pick(actor(states), nd.array(actions), axis=1)
    np.random.seed(1364)
    losses = []
    for epoch in range(2):
        idx = np.random.permutation(T)
        for start in range(0, T, 4):
            b = idx[start:start + 4]
            s, a = states[nd.array(b)], nd.array(actions[b])
            with autograd.record():
                probs = actor(s)
                ratio = nd.pick(probs, a, axis=1) / old_probs[nd.array(b)]
                surr1 = ratio * nd.array(adv[b])
                surr2 = nd.clip(ratio, 1.0 - clip_param, 1.0 + clip_param) * nd.array(adv[b])
                pol_loss = -nd.mean(nd.minimum(surr1, surr2))
                entropy = -nd.mean(nd.sum(probs * nd.log(probs + 1e-8), axis=1))
                v_loss = nd.mean(l2(critic(s), nd.array(returns[b]).reshape((-1, 1))))
                loss = pol_loss + 0.5 * v_loss - 0.01 * entropy
            loss.backward()
            trainer.step(1)
            losses.append([float(pol_loss.asscalar()), float(v_loss.asscalar()), float(entropy.asscalar())])
    return {'adv': adv.tolist(), 'losses': losses, 'probs': L(actor(states)), 'norms': norms(actor),
            'critic_norms': norms(critic), 'n_params': len(params.keys())}


# ---------------------------------------------------------------- 8 DDPG
# A public gluonbook-era Gluon DDPG: an OrnsteinUhlenbeck noise keeping its state as an NDArray
# (``nd.ones(action_dim) * mu``, reset, ``dx = theta * (mu - X) + sigma * noise``), an actor of
# Dense layers ending in tanh scaled by the action bound, a critic over ``nd.concat`` of state and
# action, target networks made as copies by set_data and soft-updated parameter by parameter
# (``tau * param.data() + (1 - tau) * target.data()`` over zipped collect_params values), a
# replay memory (a deque sampled by random.sample, here by a seeded NumPy choice), the critic fit
# by L2Loss to ``r + gamma * (1 - done) * Q'(s', mu'(s'))``, the actor by ``-critic(s,
# actor(s)).mean()`` with only the actor's Trainer stepping. The noise draws come from np.random
# seeded instead of nd.random.normal.
class OrnsteinUhlenbeck:
    def __init__(self, action_dim, mu=0, theta=0.15, sigma=0.05):
        self.action_dim = action_dim
        self.mu = mu
        self.theta = theta
        self.sigma = sigma
        self.X = nd.ones(self.action_dim) * self.mu

    def reset(self):
        self.X = nd.ones(self.action_dim) * self.mu

    def sample(self):
        dx = self.theta * (self.mu - self.X)
        dx = dx + self.sigma * nd.array(np.random.randn(self.action_dim))
        self.X = self.X + dx
        return self.X


class DDPGActor(Block):
    def __init__(self, action_dim, action_bound, **kwargs):
        super(DDPGActor, self).__init__(**kwargs)
        self.action_bound = action_bound
        self.dense0 = nn.Dense(8, activation='relu')
        self.dense1 = nn.Dense(action_dim, activation='tanh')

    def forward(self, x):
        return self.dense1(self.dense0(x)) * self.action_bound


class DDPGCritic(Block):
    def __init__(self, **kwargs):
        super(DDPGCritic, self).__init__(**kwargs)
        self.dense0 = nn.Dense(8, activation='relu')
        self.dense1 = nn.Dense(1)

    def forward(self, state, action):
        return self.dense1(self.dense0(nd.concat(state, action, dim=1)))


def ddpg():
    np.random.seed(1371)
    sd, ad, bound, tau, gamma = 3, 1, 2.0, 0.1, 0.9
    actor, critic = DDPGActor(ad, bound), DDPGCritic()
    actor_t, critic_t = DDPGActor(ad, bound), DDPGCritic()
    s0 = nd.array(np.random.normal(0, 1, (1, sd)))
    for net, seed in ((actor, 1372), (critic, 1373), (actor_t, 0), (critic_t, 0)):
        net.initialize(init.Normal(0.1))
        if isinstance(net, DDPGActor):
            net(s0)
        else:
            net(s0, nd.zeros((1, ad)))
        if seed:
            set_params(net, seed)
    for target, source in ((actor_t, actor), (critic_t, critic)):
        for tp, p in zip(target.collect_params().values(), source.collect_params().values()):
            tp.set_data(p.data())
    actor_trainer = gluon.Trainer(actor.collect_params(), 'adam', {'learning_rate': 0.01})
    critic_trainer = gluon.Trainer(critic.collect_params(), 'adam', {'learning_rate': 0.02})
    noise = OrnsteinUhlenbeck(ad)
    memory = []
    state = np.random.normal(0, 1, sd)
    for t in range(10):
        a = actor(nd.array(state).expand_dims(0))[0] + noise.sample()
        a = nd.clip(a, -bound, bound).asnumpy()
        nxt = np.random.normal(0, 1, sd)
        memory.append((state, a, -float(np.sum(a ** 2)) + 0.1 * state[0], nxt, float(t == 9)))
        state = nxt
    noise.reset()
    l2 = gluon.loss.L2Loss()
    out = {'noise_after_reset': L(noise.X), 'critic_losses': [], 'actor_losses': []}
    for step in range(3):
        batch = [memory[i] for i in np.random.choice(len(memory), 4, replace=False)]
        s = nd.array([b[0] for b in batch])
        a = nd.array([b[1] for b in batch])
        r = nd.array([b[2] for b in batch]).reshape((-1, 1))
        s2 = nd.array([b[3] for b in batch])
        d = nd.array([b[4] for b in batch]).reshape((-1, 1))
        y = r + gamma * (1 - d) * critic_t(s2, actor_t(s2))
        with autograd.record():
            c_loss = l2(critic(s, a), y)
        c_loss.backward()
        critic_trainer.step(4)
        with autograd.record():
            a_loss = -critic(s, actor(s)).mean()
        a_loss.backward()
        actor_trainer.step(1)
        for target, source in ((actor_t, actor), (critic_t, critic)):
            for tp, p in zip(target.collect_params().values(), source.collect_params().values()):
                tp.set_data(tau * p.data() + (1 - tau) * tp.data())
        out['critic_losses'].append(L(c_loss))
        out['actor_losses'].append(float(a_loss.asscalar()))
    out['actions'] = [m[1].tolist() for m in memory]
    out['norms'] = [norms(actor), norms(critic), norms(actor_t)['value'], norms(critic_t)['value']]
    return out


# ---------------------------------------------------------------- 9 gluon.data samplers
# apache/mxnet tests/python/unittest/test_gluon_data.py as 1.x scripts use these pieces:
# ArrayDataset of an NDArray and a NumPy label, SimpleDataset(...).transform_first(fn, lazy=False)
# and transform(fn, lazy=True), Dataset.filter / take / shard / sample(sampler), RandomSampler
# (np.random seeded), SequentialSampler, BatchSampler with last_batch 'keep' / 'discard' /
# 'rollover', FilterSampler, contrib.data.IntervalSampler with and without rollover, DataLoader
# given a batch_sampler, DataLoader(shuffle=True, last_batch='rollover') over two epochs, and a
# batchify_fn returning a tuple.
def data_samplers():
    data = gluon.data
    X = nd.arange(20).reshape((10, 2))
    y = np.arange(10) % 3
    ds = data.ArrayDataset(X, y)
    out = {'len': len(ds), 'item3': [L(ds[3][0]), int(ds[3][1])]}
    simple = data.SimpleDataset([(i, i * i) for i in range(7)])
    tf = simple.transform_first(lambda x: x * 10, lazy=False)
    out['transform_first'] = [list(tf[i]) for i in range(len(tf))]
    out['transform_first_list'] = data.SimpleDataset([[1, 2]]).transform_first(lambda x: x * 2)[0]
    lazy = ds.transform(lambda a, b: (a.sum(), b + 100))
    out['transform_lazy'] = [[float(lazy[i][0].asscalar()), int(lazy[i][1])] for i in range(3)]
    out['filter'] = [int(v[1]) for v in ds.filter(lambda s: s[1] == 1)]
    out['take'] = [int(v[1]) for v in ds.take(4)]
    out['shard'] = [[float(v[0][0].asscalar()) for v in ds.shard(3, i)] for i in range(3)]
    out['sample'] = [int(v) for v in data.SimpleDataset(list(range(10))).sample(data.SequentialSampler(4, 3))]
    np.random.seed(1381)
    out['random_sampler'] = [int(i) for i in data.RandomSampler(7)]
    for lb in ('keep', 'discard', 'rollover'):
        bs = data.BatchSampler(data.SequentialSampler(7), 3, lb)
        out['batch_' + lb] = [list(map(int, b)) for b in bs] + [[len(bs)]] + [list(map(int, b)) for b in bs]
    fs = data.FilterSampler(lambda s: s[1] != 0, ds)
    out['filter_sampler'] = [list(map(int, fs)), [len(fs)]]
    from_contrib = gluon.contrib.data.IntervalSampler(7, 3)
    no_rollover = gluon.contrib.data.IntervalSampler(7, 3, rollover=False)
    out['contrib_interval'] = [list(map(int, from_contrib)), len(from_contrib), list(map(int, no_rollover)),
                               len(no_rollover)]
    np.random.seed(1382)
    loader = data.DataLoader(ds, batch_sampler=data.BatchSampler(data.RandomSampler(len(ds)), 4, 'keep'))
    out['batch_sampler_loader'] = [[L(xb), L(yb)] for xb, yb in loader]
    np.random.seed(1383)
    loader = data.DataLoader(ds, batch_size=4, shuffle=True, last_batch='rollover')
    epochs = []
    for _ in range(2):
        epochs.append([L(yb) for _, yb in loader])
    out['rollover_epochs'] = epochs
    out['rollover_len'] = len(loader)

    def batchify(samples):
        xs, ys = zip(*samples)
        return nd.stack(*xs), nd.array(ys) * 2
    loader = data.DataLoader(ds, batch_size=3, batchify_fn=batchify, last_batch='discard')
    out['batchify'] = [[L(a), L(b)] for a, b in loader]
    out['bad_last_batch'] = _try(lambda: list(data.BatchSampler(data.SequentialSampler(3), 2, 'drop')))
    return out



# ---------------------------------------------------------------- 10 schedules, metrics, split step
# apache/mxnet python/mxnet/lr_scheduler.py as GluonCV / GluonNLP training scripts drive it:
# PolyScheduler(max_update, base_lr, pwr, final_lr, warmup_steps, warmup_begin_lr),
# CosineScheduler with a linear and a constant warm-up, FactorScheduler with stop_factor_lr,
# MultiFactorScheduler, each handed to a Trainer as ``lr_scheduler`` and read back through
# ``trainer.learning_rate`` step by step; ``set_learning_rate`` refused while a scheduler is set;
# the split step of GluonNLP's BERT scripts (``trainer.allreduce_grads()``,
# ``gluon.utils.clip_global_norm`` of the gradients, ``trainer.update(batch_size)``); and
# mx.metric.CompositeEvalMetric of Accuracy, TopKAccuracy(top_k=2), F1, CrossEntropy and
# Perplexity built from ``mx.metric.create``, read by get / get_name_value / reset.
def schedules_metrics():
    sch = mx.lr_scheduler
    out = {}
    makers = {
        'poly': lambda: sch.PolyScheduler(max_update=8, base_lr=0.1, pwr=2, final_lr=0.01, warmup_steps=2,
                                          warmup_begin_lr=0.02),
        'cosine_linear': lambda: sch.CosineScheduler(max_update=8, base_lr=0.1, final_lr=0.001, warmup_steps=3,
                                                     warmup_begin_lr=0.0, warmup_mode='linear'),
        'cosine_constant': lambda: sch.CosineScheduler(max_update=6, base_lr=0.1, warmup_steps=2,
                                                       warmup_begin_lr=0.05, warmup_mode='constant'),
        'factor': lambda: sch.FactorScheduler(step=2, factor=0.5, stop_factor_lr=0.02, base_lr=0.1),
        'multifactor': lambda: sch.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=0.1, warmup_steps=1),
    }
    x = rnd(1391, 4, 3)
    y = rnd(1392, 4, 2)
    for name in sorted(makers):
        out['direct_' + name] = [float(makers[name]()(i)) for i in range(10)]
        net = nn.Dense(2)
        net.initialize()
        net(x)
        set_params(net, 1393)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9,
                                                                'lr_scheduler': makers[name]()})
        lrs = []
        for _ in range(9):
            with autograd.record():
                l = gluon.loss.L2Loss()(net(x), y)
            l.backward()
            trainer.allreduce_grads()
            grads = [p.grad() for p in net.collect_params().values()]
            gluon.utils.clip_global_norm(grads, 0.5)
            trainer.update(4)
            lrs.append(trainer.learning_rate)
        out['trainer_' + name] = {'lrs': lrs, 'weight': L(net.weight.data())}
    out['set_lr_refused'] = _try(lambda: trainer.set_learning_rate(0.5))
    plain = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    plain.set_learning_rate(0.25)
    out['set_lr'] = plain.learning_rate
    comp = mx.metric.CompositeEvalMetric()
    for m in (mx.metric.create('acc'), mx.metric.TopKAccuracy(top_k=2), mx.metric.create('f1'),
              mx.metric.CrossEntropy(), mx.metric.Perplexity(ignore_label=None)):
        comp.add(m)
    preds = [nd.softmax(rnd(1394, 6, 2) * 3), nd.softmax(rnd(1395, 5, 2) * 3)]
    labels = [nd.array([0, 1, 1, 0, 1, 1]), nd.array([1, 0, 0, 1, 1])]
    comp.update(labels[:1], preds[:1])
    first = comp.get_name_value()
    comp.update(labels[1:], preds[1:])
    out['metrics'] = [[n, float(v)] for n, v in first] + [[n, float(v)] for n, v in comp.get_name_value()]
    names, values = comp.get()
    out['get'] = [names, [float(v) for v in values]]
    out['child'] = list(comp.get_metric(1).get())
    comp.reset()
    out['after_reset'] = [[n, v if isinstance(v, str) else (None if v != v else float(v))]
                          for n, v in comp.get_name_value()]
    multi = mx.metric.create(['acc', 'mse'])
    multi.update([nd.array([1, 0])], [nd.array([[0.2, 0.8], [0.9, 0.1]])])
    out['create_list'] = [type(multi).__name__, [[n, float(v)] for n, v in multi.get_name_value()]]
    return out


# ---------------------------------------------------------------- 11 contrib layers
# apache/mxnet tests/python/unittest/test_gluon_contrib.py (1.x) as scripts build with these
# layers: HybridConcurrent(axis=1) of a Dense, a HybridSequential and contrib.nn.Identity,
# Concurrent(axis=-1) in eager mode, a sub-pixel (ESPCN-style) upsampler of Conv2D followed by
# contrib.nn.PixelShuffle2D(2), PixelShuffle1D and PixelShuffle3D on arange inputs, SyncBatchNorm
# (num_devices=1) trained like a BatchNorm, the parameter names and the printed network.
class ESPCN(HybridBlock):
    def __init__(self, factor=2, **kwargs):
        super(ESPCN, self).__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(4, 3, padding=1, activation='tanh'),
                          gluon.contrib.nn.SyncBatchNorm(num_devices=1),
                          nn.Conv2D(factor ** 2, 3, padding=1),
                          gluon.contrib.nn.PixelShuffle2D(factor))

    def hybrid_forward(self, F, x):
        return self.body(x)


def contrib_layers():
    cnn = gluon.contrib.nn
    out = {}
    model = cnn.HybridConcurrent(axis=1)
    model.add(nn.Dense(3, activation='tanh', in_units=4))
    seq = nn.HybridSequential()
    seq.add(nn.Dense(2, in_units=4), nn.Activation('relu'))
    model.add(seq)
    model.add(cnn.Identity())
    model.initialize()
    set_params(model, 1401)
    x = rnd(1402, 3, 4)
    eager = model(x)
    model.hybridize()
    x.attach_grad()
    with autograd.record():
        y = model(x)
    y.backward(nd.ones_like(y) * nd.arange(9).reshape((1, 9)))
    out['hybrid_concurrent'] = [L(eager), L(y), L(x.grad), sorted(model.collect_params().keys()).__len__()]
    model2 = cnn.Concurrent(axis=-1)
    model2.add(nn.Dense(2, in_units=4), cnn.Identity(), nn.Dense(1, in_units=4))
    model2.initialize()
    set_params(model2, 1403)
    out['concurrent'] = L(model2(x))
    out['ps1d'] = L(cnn.PixelShuffle1D(2)(nd.arange(12).reshape((1, 4, 3))))
    out['ps2d'] = L(cnn.PixelShuffle2D((2, 3))(nd.arange(36).reshape((1, 6, 2, 3))))
    out['ps3d'] = L(cnn.PixelShuffle3D((1, 2, 2))(nd.arange(32).reshape((1, 8, 1, 2, 2))))
    net = ESPCN(2)
    lr_img = rnd(1404, 2, 1, 4, 4)
    hr_img = rnd(1405, 2, 1, 8, 8)
    net.initialize(init.Orthogonal())
    build(net, 1406, lr_img)
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    losses = []
    for _ in range(3):
        with autograd.record():
            l = gluon.loss.L2Loss()(net(lr_img), hr_img)
        l.backward()
        trainer.step(2)
        losses.append(L(l))
    out['espcn'] = {'losses': losses, 'norms': norms(net), 'shape': list(net(lr_img).shape),
                    'repr': [re.sub(r'espcn\d+_', 'espcn_', line) for line in repr(net).splitlines()]}
    return out


# ---------------------------------------------------------------- 12 estimator event handlers
# apache/mxnet tests/python/unittest/test_gluon_event_handler.py and the Estimator's 1.x docs:
# Estimator(net, loss, train_metrics, val_metrics, trainer, context), fit(train_data, val_data,
# epochs / batches) with StoppingHandler limits, EarlyStoppingHandler(monitor=a validation
# metric, patience, mode='min'), custom handlers subclassing TrainBegin / BatchEnd / EpochEnd /
# TrainEnd (a BatchEnd returning True stops training), ValidationHandler with an epoch_period,
# evaluate on a DataLoader, and the estimator's own metrics read after fit.
def estimator_handlers():
    est_mod = eh = gluon.contrib.estimator
    rs = np.random.RandomState(1411)
    X = nd.array(rs.normal(0, 1, (12, 3)))
    Y = nd.array(rs.randint(0, 2, 12))
    train = gluon.data.DataLoader(gluon.data.ArrayDataset(X[:8], Y[:8]), batch_size=4)
    val = gluon.data.DataLoader(gluon.data.ArrayDataset(X[8:], Y[8:]), batch_size=2)

    class Recorder(eh.TrainBegin, eh.BatchEnd, eh.EpochEnd, eh.TrainEnd):
        def __init__(self, stop_at=None):
            self.events, self.stop_at, self.batches = [], stop_at, 0

        def train_begin(self, estimator, *args, **kwargs):
            self.events.append('train_begin')

        def batch_end(self, estimator, *args, **kwargs):
            self.batches += 1
            self.events.append(['batch_end', float(kwargs['loss'][0].mean().asscalar())
                                if isinstance(kwargs['loss'], list) else float(kwargs['loss'].mean().asscalar())])
            return self.stop_at is not None and self.batches >= self.stop_at

        def epoch_end(self, estimator, *args, **kwargs):
            self.events.append(['epoch_end'] + [[m.get()[0], float(m.get()[1])] for m in estimator.train_metrics])

        def train_end(self, estimator, *args, **kwargs):
            self.events.append('train_end')

    out = {}
    for case, kw in (('epochs', {'epochs': 2}), ('batches', {'batches': 3}), ('stop', {'epochs': 3}),
                     ('early', {'epochs': 6})):
        net = nn.Dense(2)
        net.initialize()
        net(X)
        set_params(net, 1412)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
        acc = mx.metric.Accuracy()
        est = est_mod.Estimator(net=net, loss=gluon.loss.SoftmaxCrossEntropyLoss(), train_metrics=acc,
                                val_metrics=mx.metric.Loss('val_ce'), trainer=trainer, context=mx.cpu())
        rec = Recorder(stop_at=3 if case == 'stop' else None)
        handlers = [rec]
        if case == 'early':
            handlers.append(eh.EarlyStoppingHandler(monitor=est.val_metrics[0], patience=1, mode='min',
                                                    min_delta=0.05))
        est.fit(train_data=train, val_data=val if case in ('early', 'epochs') else None, event_handlers=handlers, **kw)
        out[case] = {'events': rec.events, 'weight': L(net.weight.data()),
                     'val': [[m.get()[0], float(m.get()[1])] for m in est.val_metrics]}
    est.evaluate(val_data=val)
    out['evaluate'] = [[m.get()[0], float(m.get()[1])] for m in est.val_metrics]
    return out



# ---------------------------------------------------------------- 13 CNN text classifier
# A public Gluon sentence classifier (CNNTextClassifier: a HybridBlock taking ``prefix`` and
# ``params`` through to HybridBlock.__init__, an Embedding whose output is given a channel axis by
# ``expand_dims(axis=1)``, an encoder HybridSequential made in its own name scope of
# Conv2D(filters, (k, emb_dim)) + MaxPool2D over the remaining rows, Flatten, Dropout and a Dense
# output; a second instance sharing the first's parameters through ``params=``), trained with
# SoftmaxCrossEntropyLoss and Adam over a DataLoader of padded token ids; and the
# d2l-zh textCNN's ``constant_embedding`` (grad_req 'null') concatenated with a trained one
# before GlobalMaxPool1D-ed Conv1D branches. Vocabulary and widths shrunk; dropout 0.
class CNNTextClassifier(HybridBlock):
    def __init__(self, emb_input_dim, emb_output_dim, num_classes=2, prefix=None, params=None):
        super(CNNTextClassifier, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.embedding = gluon.nn.Embedding(emb_input_dim, emb_output_dim)
            self.encoder = gluon.nn.HybridSequential()
            with self.encoder.name_scope():
                self.encoder.add(gluon.nn.Conv2D(3, kernel_size=(2, emb_output_dim), activation='relu'))
                self.encoder.add(gluon.nn.MaxPool2D(pool_size=(5, 1)))
            self.flatten = gluon.nn.Flatten()
            self.dropout = gluon.nn.Dropout(0.0)
            self.output = gluon.nn.Dense(num_classes)

    def hybrid_forward(self, F, data):
        embedded = self.embedding(data).expand_dims(axis=1)
        encoded = self.encoder(embedded)
        return self.output(self.dropout(self.flatten(encoded)))


class TextCNN(Block):
    def __init__(self, vocab_size, embed_size, kernel_sizes, num_channels, **kwargs):
        super(TextCNN, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.constant_embedding = nn.Embedding(vocab_size, embed_size)
        self.dropout = nn.Dropout(0.0)
        self.decoder = nn.Dense(2)
        self.pool = nn.GlobalMaxPool1D()
        self.convs = nn.Sequential()
        for c, k in zip(num_channels, kernel_sizes):
            self.convs.add(nn.Conv1D(c, k, activation='relu'))

    def forward(self, inputs):
        embeddings = nd.concat(self.embedding(inputs), self.constant_embedding(inputs), dim=2)
        embeddings = embeddings.transpose((0, 2, 1))
        encoding = nd.concat(*[nd.flatten(self.pool(conv(embeddings))) for conv in self.convs], dim=1)
        return self.decoder(self.dropout(encoding))


def text_cnn():
    rs = np.random.RandomState(1421)
    tokens = nd.array(rs.randint(0, 9, (6, 6)))
    labels = nd.array(rs.randint(0, 2, 6))
    net = CNNTextClassifier(9, 4, prefix='cnn_')
    net.initialize(mx.init.Xavier())
    net(tokens)
    set_params(net, 1422)
    twin = CNNTextClassifier(9, 4, prefix='cnn_', params=net.collect_params())
    net.hybridize()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(tokens, labels), batch_size=3)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
    losses = []
    for epoch in range(2):
        for data, label in loader:
            with autograd.record():
                l = loss_fn(net(data), label)
            l.backward()
            trainer.step(data.shape[0])
            losses.append(L(l))
    out = {'losses': losses, 'twin': L(twin(tokens)), 'net': L(net(tokens)),
           'names': sorted(net.collect_params().keys()), 'twin_names': sorted(twin.collect_params().keys())}
    d2l = TextCNN(9, 3, [2, 3], [2, 3])
    d2l.initialize(init.Xavier())
    d2l(tokens)
    set_params(d2l, 1423)
    d2l.constant_embedding.weight.grad_req = 'null'
    trainer = gluon.Trainer(d2l.collect_params(), 'adam', {'learning_rate': 0.05})
    before = L(d2l.constant_embedding.weight.data())
    for _ in range(2):
        with autograd.record():
            l = loss_fn(d2l(tokens), labels)
        l.backward()
        trainer.step(6)
    out['d2l'] = {'loss': L(l), 'const_same': L(d2l.constant_embedding.weight.data()) == before,
                  'norms': norms(d2l)}
    return out


# ---------------------------------------------------------------- 14 metric-learning losses
# Triplet-loss training of a shared embedding network as public Gluon face / re-identification
# scripts write it (anchor, positive and negative through the same HybridSequential, L2Normalization,
# gluon.loss.TripletLoss(margin)), with the loss zoo such scripts switch between
# (CosineEmbeddingLoss with +1 / -1 labels, HingeLoss, SquaredHingeLoss, LogisticLoss with
# 'signed' and 'binary' labels, HuberLoss(rho), PoissonNLLLoss from log inputs and with
# compute_full), and label smoothing through ``nd.one_hot(label, n, on_value, off_value)`` into a
# SoftmaxCrossEntropyLoss(sparse_label=False), mixed with mixup's reversed batch.
def metric_losses():
    x = rnd(1431, 3, 4, 5)
    emb = nn.HybridSequential()
    emb.add(nn.Dense(6, activation='relu'), nn.Dense(3))
    emb.initialize()
    emb(x[0])
    set_params(emb, 1432)
    emb.hybridize()
    triplet = gluon.loss.TripletLoss(margin=0.5)
    trainer = gluon.Trainer(emb.collect_params(), 'sgd', {'learning_rate': 0.2})
    out = {'triplet': []}
    for _ in range(3):
        with autograd.record():
            a, p, n = [nd.L2Normalization(emb(x[i])) for i in range(3)]
            l = triplet(a, p, n)
        l.backward()
        trainer.step(4)
        out['triplet'].append(L(l))
    pred, other = rnd(1433, 4, 3), rnd(1434, 4, 3)
    signed = nd.array([1, -1, 1, -1])
    binary = nd.array([1, 0, 1, 0])
    losses = {
        'cosine': lambda: gluon.loss.CosineEmbeddingLoss(margin=0.1)(pred, other, signed),
        'hinge': lambda: gluon.loss.HingeLoss()(pred[:, 0], signed),
        'sqhinge': lambda: gluon.loss.SquaredHingeLoss(margin=0.5)(pred[:, 0], signed),
        'logistic_signed': lambda: gluon.loss.LogisticLoss()(pred[:, 0], signed),
        'logistic_binary': lambda: gluon.loss.LogisticLoss(label_format='binary')(pred[:, 0], binary),
        'huber': lambda: gluon.loss.HuberLoss(rho=0.3)(pred, other),
        'poisson': lambda: gluon.loss.PoissonNLLLoss()(pred, nd.abs(other) * 3),
        'poisson_full': lambda: gluon.loss.PoissonNLLLoss(from_logits=False, compute_full=True)(
            nd.abs(pred) + 0.1, nd.abs(other) * 3),
    }
    def with_grad(name):
        pred.attach_grad()
        with autograd.record():
            l = losses[name]()
        l.backward()
        return [L(l), L(pred.grad)]
    for name in sorted(losses):
        out[name] = _try(lambda: with_grad(name))
    out['poisson_full_predict'] = L(losses['poisson_full']())      # outside autograd.record
    label = nd.array([0, 2, 1, 2])
    smooth = nd.one_hot(label, 3, on_value=1 - 0.1 + 0.1 / 3, off_value=0.1 / 3)
    lam = 0.7
    mixed = lam * smooth + (1 - lam) * smooth[::-1]
    data = lam * pred + (1 - lam) * pred[::-1]
    sce = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    out['smooth_mixup'] = [L(mixed), L(sce(data, mixed))]
    return out



# ---------------------------------------------------------------- 15 SRGAN
# A public Gluon SRGAN (its generator: a Conv2D(9x9) + PReLU head, residual blocks of Conv2D +
# BatchNorm + PReLU with a skip add, a Conv2D + BatchNorm trunk joined to the head, upsampling by
# Conv2D to 4x channels then ``F.depth_to_space(x, 2)`` and PReLU, a tanh Conv2D out; its
# discriminator of strided Conv2D + BatchNorm + LeakyReLU(0.2) ending in Dense(1); the content loss
# on a VGG's ``features[:n]`` Sequential slice; SigmoidBinaryCrossEntropyLoss for the adversarial
# terms, the generator's loss weighted 1e-3; two Adam Trainers; hybridized as the script runs it,
# and eagerly). Residual blocks 16 -> 1, widths
# 64 -> 4, a model-zoo vgg11 with thumbnail-sized inputs for the features; space_to_depth checked
# as depth_to_space's inverse; the gradient of a PReLU's alpha between two convolutions checked
# against a central difference.
class SRResidual(HybridBlock):
    def __init__(self, channels, **kwargs):
        super(SRResidual, self).__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(channels, 3, padding=1), nn.BatchNorm(), nn.PReLU(),
                          nn.Conv2D(channels, 3, padding=1), nn.BatchNorm())

    def hybrid_forward(self, F, x):
        return x + self.body(x)


class SRGenerator(HybridBlock):
    def __init__(self, channels=4, **kwargs):
        super(SRGenerator, self).__init__(**kwargs)
        with self.name_scope():
            self.head = nn.HybridSequential()
            self.head.add(nn.Conv2D(channels, 9, padding=4), nn.PReLU())
            self.res = nn.HybridSequential()
            self.res.add(SRResidual(channels))
            self.trunk = nn.HybridSequential()
            self.trunk.add(nn.Conv2D(channels, 3, padding=1), nn.BatchNorm())
            self.up_conv = nn.Conv2D(channels * 4, 3, padding=1)
            self.up_act = nn.PReLU()
            self.tail = nn.Conv2D(3, 9, padding=4, activation='tanh')

    def hybrid_forward(self, F, x):
        h = self.head(x)
        y = self.trunk(self.res(h)) + h
        y = self.up_act(F.depth_to_space(self.up_conv(y), 2))
        return self.tail(y)


def srgan_train(hybrid):
    lr_img = rnd(1441, 2, 3, 4, 4)
    hr_img = rnd(1442, 2, 3, 8, 8)
    gen = SRGenerator()
    gen.initialize(init.Normal(0.02))
    build(gen, 1443, lr_img)
    disc = nn.HybridSequential()
    disc.add(nn.Conv2D(4, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2D(4, 3, strides=2, padding=1), nn.BatchNorm(),
             nn.LeakyReLU(0.2), nn.Dense(1))
    disc.initialize(init.Normal(0.02))
    build(disc, 1444, hr_img)
    vgg = gluon.model_zoo.vision.vgg11(pretrained=False)
    vgg.initialize()
    build(vgg, 1445, nd.zeros((1, 3, 32, 32)))
    feat = vgg.features[:4]
    if hybrid:
        gen.hybridize()
        disc.hybridize()
    bce = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    mse = gluon.loss.L2Loss()
    g_tr = gluon.Trainer(gen.collect_params(), 'adam', {'learning_rate': 1e-3, 'beta1': 0.9})
    d_tr = gluon.Trainer(disc.collect_params(), 'adam', {'learning_rate': 1e-3, 'beta1': 0.9})
    ones, zeros = nd.ones((2, 1)), nd.zeros((2, 1))
    losses = []
    for _ in range(2):
        with autograd.record():
            fake = gen(lr_img)
            d_loss = bce(disc(hr_img), ones) + bce(disc(fake.detach()), zeros)
        d_loss.backward()
        d_tr.step(2)
        with autograd.record():
            fake = gen(lr_img)
            content = mse(feat(fake), feat(hr_img))
            g_loss = mse(fake, hr_img) + 0.006 * content + 1e-3 * bce(disc(fake), ones)
        g_loss.backward()
        g_tr.step(2)
        losses.append([L(d_loss), L(g_loss), L(content)])
    return {'losses': losses, 'gen': norms(gen), 'sr': L(gen(lr_img)[0, 0, :3, :3]), 'feat_len': len(feat),
            'feat_type': type(feat).__name__}


def srgan():
    x = nd.arange(48).reshape((1, 12, 2, 2))
    d2s = nd.depth_to_space(x, 2)
    return {'hybrid': srgan_train(True), 'eager': srgan_train(False), 'd2s': L(d2s),
            's2d_roundtrip': L(nd.space_to_depth(d2s, 2) - x), 'prelu_check': prelu_alpha_check()}


class ConvPReLU(HybridBlock):
    def __init__(self, **kwargs):
        super(ConvPReLU, self).__init__(**kwargs)
        with self.name_scope():
            self.conv0 = nn.Conv2D(3, 3, padding=1)
            self.act = nn.PReLU()
            self.conv1 = nn.Conv2D(3, 3, padding=1)

    def hybrid_forward(self, F, x):
        return self.conv1(self.act(self.conv0(x)))


def prelu_alpha_check():
    """The gradient of a PReLU's alpha between two convolutions (SRGAN's head and upsampler),
    eager and hybridized, beside the central difference of the loss it differentiates."""
    x, w = rnd(1446, 2, 3, 4, 4), rnd(1447, 2, 3, 4, 4)
    out = {}
    for alpha in (0.25, -0.2):
        for mode in ('eager', 'hybrid'):
            net = ConvPReLU()
            net.initialize()
            net(x)
            set_params(net, 1448)
            net.act.alpha.set_data(nd.array([alpha]))
            if mode == 'hybrid':
                net.hybridize()
            with autograd.record():
                l = (net(x) * w).sum()
            l.backward()
            analytic = float(net.act.alpha.grad().asscalar())

            def f(a):
                net.act.alpha.set_data(nd.array([a]))
                return float((net(x) * w).sum().asnumpy().astype('float64')[0])
            numeric = (f(alpha + 1e-2) - f(alpha - 1e-2)) / 2e-2
            out['%s_%g' % (mode, alpha)] = [analytic, numeric]
    return out


# ---------------------------------------------------------------- 16 CutMix / mixup batches
# A public Gluon CutMix training step (a beta-distributed lambda from np.random, a box from
# ``np.random.randint`` around a random centre clipped with np.clip, the batch's patch replaced by
# slice assignment ``data[:, :, bby1:bby2, bbx1:bbx2] = data[index, :, bby1:bby2, bbx1:bbx2]``
# with an NDArray index from np.random.permutation, lambda recomputed from the box area, labels
# mixed as one-hot NDArrays), next to GluonCV's mixup ``X = lam * X + (1 - lam) * X[::-1]``;
# SoftmaxCrossEntropyLoss(sparse_label=False), a small CNN, SGD with momentum.
def cutmix_mixup():
    np.random.seed(1452)          # a seed whose boxes are not empty (see 'empty_box')
    data = rnd(1452, 4, 3, 8, 8)
    label = nd.array([0, 1, 2, 1])
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1, activation='relu'), nn.GlobalAvgPool2D(), nn.Dense(3))
    net.initialize()
    build(net, 1453, data)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    out = {'cut': [], 'mix': []}
    for step in range(2):
        lam = np.random.beta(1.0, 1.0)
        index = np.random.permutation(data.shape[0])
        H, W = data.shape[2], data.shape[3]
        cut_rat = np.sqrt(1. - lam)
        cut_w, cut_h = int(W * cut_rat), int(H * cut_rat)
        cx, cy = np.random.randint(W), np.random.randint(H)
        bbx1, bby1 = np.clip(cx - cut_w // 2, 0, W), np.clip(cy - cut_h // 2, 0, H)
        bbx2, bby2 = np.clip(cx + cut_w // 2, 0, W), np.clip(cy + cut_h // 2, 0, H)
        x = data.copy()
        x[:, :, bby1:bby2, bbx1:bbx2] = x[nd.array(index), :, bby1:bby2, bbx1:bbx2]
        lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (W * H))
        one_hot = nd.one_hot(label, 3)
        y = lam * one_hot + (1 - lam) * one_hot[nd.array(index)]
        with autograd.record():
            l = loss_fn(net(x), y)
        l.backward()
        trainer.step(4)
        out['cut'].append([float(lam), [int(v) for v in (bbx1, bby1, bbx2, bby2)], L(l), L(x[0, 0])])
        lam = np.random.beta(0.2, 0.2)
        x = lam * data + (1 - lam) * data[::-1]
        y = lam * nd.one_hot(label, 3) + (1 - lam) * nd.one_hot(label[::-1], 3)
        with autograd.record():
            l = loss_fn(net(x), y)
        l.backward()
        trainer.step(4)
        out['mix'].append([float(lam), L(l)])
    out['norms'] = norms(net)
    # a box empty along one axis (lambda drawn near 1, or clipped at the border), as the
    # script's indexing meets it
    out['empty_box'] = _try(lambda: list(data[nd.array([1, 0, 3, 2]), :, 4:4, 1:5].shape))
    out['empty_box_basic'] = _try(lambda: list(data[:, :, 4:4, 1:5].shape))
    return out


# ---------------------------------------------------------------- 17 ESIM
# dmlc/gluon-nlp scripts/natural_language_inference/esim.py (ESIMModel: an Embedding and Dropout, a
# bidirectional LSTM encoder in NTC layout, soft alignment by ``F.batch_dot(p, h, transpose_b=True)``
# and softmax on both sides, the enhancement ``F.concat(p, p_hat, p - p_hat, p * p_hat, dim=-1)``
# through a Dense projection, a second bidirectional LSTM, max and mean pooling over time
# concatenated, a tanh Dense classifier) with SoftmaxCrossEntropyLoss and Adam. Widths shrunk,
# dropout 0.
class ESIM(HybridBlock):
    def __init__(self, vocab_size, num_classes, word_embed_size, hidden_size, dense_size, dropout=0., **kwargs):
        super(ESIM, self).__init__(**kwargs)
        with self.name_scope():
            self.word_emb = nn.Embedding(vocab_size, word_embed_size)
            self.embedding_dropout = nn.Dropout(dropout, axes=1)
            self.lstm_encoder1 = gluon.rnn.LSTM(hidden_size, layout='NTC', bidirectional=True)
            self.ff_proj = nn.Dense(hidden_size, in_units=hidden_size * 2 * 4, flatten=False, activation='relu')
            self.lstm_encoder2 = gluon.rnn.LSTM(hidden_size, layout='NTC', bidirectional=True)
            self.classifier = nn.HybridSequential()
            self.classifier.add(nn.Dropout(dropout), nn.Dense(units=hidden_size, activation='tanh'),
                                nn.Dropout(dropout), nn.Dense(units=num_classes))

    def _soft_attention_align(self, F, x1, x2):
        attention = F.batch_dot(x1, x2, transpose_b=True)
        x1_align = F.batch_dot(attention.softmax(), x2)
        x2_align = F.batch_dot(attention.transpose([0, 2, 1]).softmax(), x1)
        return x1_align, x2_align

    def _submul(self, F, x1, x2):
        return F.concat(x1 - x2, x1 * x2, dim=-1)

    def _pool(self, F, x):
        return F.concat(F.mean(x, axis=1), F.max(x, axis=1), dim=-1)

    def hybrid_forward(self, F, x1, x2):
        x1_embed = self.embedding_dropout(self.word_emb(x1))
        x2_embed = self.embedding_dropout(self.word_emb(x2))
        x1_lstm_encode = self.lstm_encoder1(x1_embed)
        x2_lstm_encode = self.lstm_encoder1(x2_embed)
        x1_algin, x2_algin = self._soft_attention_align(F, x1_lstm_encode, x2_lstm_encode)
        x1_combined = F.concat(x1_lstm_encode, x1_algin, self._submul(F, x1_lstm_encode, x1_algin), dim=-1)
        x2_combined = F.concat(x2_lstm_encode, x2_algin, self._submul(F, x2_lstm_encode, x2_algin), dim=-1)
        x1_compose = self.lstm_encoder2(self.ff_proj(x1_combined))
        x2_compose = self.lstm_encoder2(self.ff_proj(x2_combined))
        x = F.concat(self._pool(F, x1_compose), self._pool(F, x2_compose), dim=-1)
        return self.classifier(x)


def esim():
    rs = np.random.RandomState(1461)
    p = nd.array(rs.randint(0, 11, (3, 5)))
    h = nd.array(rs.randint(0, 11, (3, 4)))
    y = nd.array(rs.randint(0, 3, 3))
    out = {}
    for mode in ('eager', 'hybrid'):
        net = ESIM(11, 3, 4, 3, 5)
        net.initialize(init.Xavier())
        net(p, h)
        set_params(net, 1462)
        if mode == 'hybrid':
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01, 'clip_gradient': 5})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        losses = []
        for _ in range(2):
            with autograd.record():
                l = loss_fn(net(p, h), y)
            l.backward()
            trainer.step(3)
            losses.append(L(l))
        out[mode] = {'losses': losses, 'norms': norms(net), 'logits': L(net(p, h))}
    return out


# ---------------------------------------------------------------- 18 RealNVP coupling flow
# A public Gluon normalizing-flow (RealNVP) implementation: affine coupling HybridBlocks with a
# checkerboard-free alternating mask held by ``params.get_constant``, a shared Dense trunk
# producing scale and shift by ``F.split(h, num_outputs=2, axis=-1)``, ``F.tanh`` on the scale,
# ``y = x * mask + (1 - mask) * (x * F.exp(s) + t)``, the log-determinant ``F.sum((1 - mask) * s,
# axis=-1)``, the inverse pass, a standard-normal prior's log-likelihood, the negative mean
# log-likelihood minimised by Adam. Layers and widths shrunk.
class Coupling(HybridBlock):
    def __init__(self, dim, hidden, parity, **kwargs):
        super(Coupling, self).__init__(**kwargs)
        mask = np.array([(i + parity) % 2 for i in range(dim)], dtype='float32').reshape((1, dim))
        with self.name_scope():
            self.mask = self.params.get_constant('mask', mask)
            self.net = nn.HybridSequential()
            self.net.add(nn.Dense(hidden, activation='relu'), nn.Dense(2 * dim))

    def hybrid_forward(self, F, x, mask):
        h = self.net(F.broadcast_mul(x, mask))
        s, t = F.split(h, num_outputs=2, axis=-1)
        s = F.tanh(s)
        inv = 1 - mask
        y = F.broadcast_mul(x, mask) + F.broadcast_mul(inv, x * F.exp(s) + t)
        logdet = F.sum(F.broadcast_mul(inv, s), axis=-1)
        return y, logdet

    def inverse(self, y):
        mask = self.mask.data()
        h = self.net(y * mask)
        s, t = nd.split(h, num_outputs=2, axis=-1)
        s = nd.tanh(s)
        return y * mask + (1 - mask) * ((y - t) * nd.exp(-s))


class RealNVP(HybridBlock):
    def __init__(self, dim, hidden, n_layers, **kwargs):
        super(RealNVP, self).__init__(**kwargs)
        with self.name_scope():
            self.layers = nn.HybridSequential()
            for i in range(n_layers):
                self.layers.add(Coupling(dim, hidden, i % 2))

    def hybrid_forward(self, F, x):
        total = F.zeros_like(F.sum(x, axis=-1))
        for layer in self.layers:
            x, logdet = layer(x)
            total = total + logdet
        log_prior = -0.5 * F.sum(x ** 2, axis=-1) - 0.5 * x.shape[-1] * np.log(2 * np.pi) \
            if F is nd else -0.5 * F.sum(x ** 2, axis=-1) - 0.5 * 4 * np.log(2 * np.pi)
        return x, log_prior + total


def realnvp():
    x = nd.array(np.random.RandomState(1471).normal(0, 1, (6, 4)) * [1, 2, 0.5, 1] + [0, 1, 0, -1])
    flow = RealNVP(4, 5, 3)
    flow.initialize(init.Xavier())
    flow(x)
    set_params(flow, 1472)
    names = sorted(flow.collect_params().keys())
    trainer = gluon.Trainer(flow.collect_params(), 'adam', {'learning_rate': 0.01})
    out = {'nll': []}
    for mode in ('eager', 'hybrid'):
        if mode == 'hybrid':
            flow.hybridize()
        for _ in range(2):
            with autograd.record():
                z, ll = flow(x)
                loss = -ll.mean()
            loss.backward()
            trainer.step(1)
            out['nll'].append(float(loss.asscalar()))
    z, _ = flow(x)
    back = z
    for layer in reversed(list(flow.layers)):
        back = layer.inverse(back)
    out['roundtrip'] = float(nd.abs(back - x).max().asscalar())
    out['z'] = L(z)
    out['norms'] = norms(flow)
    out['const'] = [n.split('_', 1)[-1] for n in names if 'mask' in n]
    out['grad_reqs'] = [flow.collect_params()[n].grad_req for n in names]
    return out



# ---------------------------------------------------------------- 19 WaveNet vocoder
# seujung/WaveNet-gluon (models.py: a one-hot input Block by ``F.one_hot``, residual blocks of
# dilated Conv1D filter / gate convolutions ``F.tanh(f) * F.sigmoid(g)``, a 1x1 residual conv
# added to the input cut to the output length by slicing ``x[:, :, -length:]``, skip outputs
# summed, relu + 1x1 convolutions to mu-law logits; utils.py: mu-law encoding by np.sign /
# np.log1p and np.digitize, decoding; train.py: SoftmaxCrossEntropyLoss over the logits
# transposed to (N, T, C) against the next samples, Adam, gradient clipping by
# clip_global_norm; the last block's residual convolution feeds nothing, so the step ignores
# stale gradients; the unused-parameter refusal of a plain step is recorded first). Channels
# 32 -> 4, quantization 256 -> 16, a sine wave for the audio.
def encode_mu_law(x, mu=16):
    mu = mu - 1
    fx = np.sign(x) * np.log(1 + mu * np.abs(x)) / np.log(1 + mu)
    return np.floor((fx + 1) / 2 * mu + 0.5).astype(np.int64)


def decode_mu_law(y, mu=16):
    mu = mu - 1
    fx = (y - 0.5) / mu * 2 - 1
    return np.sign(fx) / mu * ((1 + mu) ** np.abs(fx) - 1)


class OneHot(Block):
    def __init__(self, depth):
        super(OneHot, self).__init__()
        self.depth = depth

    def forward(self, x):
        return nd.one_hot(x, self.depth)


class WaveResidual(Block):
    def __init__(self, dilation, res_channels=4, skip_channels=4):
        super(WaveResidual, self).__init__()
        with self.name_scope():
            self.filter_conv = nn.Conv1D(res_channels, 2, dilation=dilation, in_channels=res_channels)
            self.gate_conv = nn.Conv1D(res_channels, 2, dilation=dilation, in_channels=res_channels)
            self.res_conv = nn.Conv1D(res_channels, 1, in_channels=res_channels)
            self.skip_conv = nn.Conv1D(skip_channels, 1, in_channels=res_channels)

    def forward(self, x):
        out = nd.tanh(self.filter_conv(x)) * nd.sigmoid(self.gate_conv(x))
        skip = self.skip_conv(out)
        res = self.res_conv(out) + x[:, :, -out.shape[2]:]
        return res, skip


class WaveNet(Block):
    def __init__(self, mu=16, n_residue=4, n_skip=4, dilation_depth=3, n_repeat=1):
        super(WaveNet, self).__init__()
        self.dilations = [2 ** i for i in range(dilation_depth)] * n_repeat
        with self.name_scope():
            self.one_hot = OneHot(mu)
            self.from_input = nn.Conv1D(n_residue, 1, in_channels=mu)
            self.blocks = nn.Sequential()
            for d in self.dilations:
                self.blocks.add(WaveResidual(d, n_residue, n_skip))
            self.conv_post_1 = nn.Conv1D(n_skip, 1, in_channels=n_skip)
            self.conv_post_2 = nn.Conv1D(mu, 1, in_channels=n_skip)

    def forward(self, x):
        output = self.from_input(nd.transpose(self.one_hot(x), axes=(0, 2, 1)))
        skip_connections = []
        for block in self.blocks:
            output, skip = block(output)
            skip_connections.append(skip)
        length = skip_connections[-1].shape[2]
        output = sum([s[:, :, -length:] for s in skip_connections])
        output = self.conv_post_2(nd.relu(self.conv_post_1(nd.relu(output))))
        return output


def wavenet_vocoder():
    t = np.arange(40)
    audio = 0.8 * np.sin(t / 3.0) * np.cos(t / 11.0)
    q = encode_mu_law(audio)
    net = WaveNet()
    net.initialize(init.Xavier())
    x = nd.array(q[None, :-1])
    net(x)
    set_params(net, 1481)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})

    def plain_step():
        with autograd.record():
            l = net(x).sum()
        l.backward()
        trainer.step(1)
    refused = _try(plain_step)
    set_params(net, 1481)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    losses = []
    for _ in range(3):
        with autograd.record():
            logits = net(x)
            target = nd.array(q[None, -logits.shape[2]:])
            l = loss_fn(nd.transpose(logits, axes=(0, 2, 1)), target)
        l.backward()
        grads = [p.grad() for p in net.collect_params().values()]
        norm = gluon.utils.clip_global_norm(grads, 1.0)
        trainer.step(1, ignore_stale_grad=True)      # the last block's residual output is unused
        losses.append([L(l), float(norm)])
    pred = net(x).argmax(axis=1).asnumpy().astype(np.int64)[0]
    return {'q': q.tolist(), 'decoded': decode_mu_law(q.astype(np.float64)).tolist(), 'losses': losses,
            'pred': pred.tolist(), 'norms': norms(net), 'receptive': len(q) - 1 - net(x).shape[2],
            'refused': {'error': re.sub(r'wavenet\d+_', 'wavenet_', refused['error'])}}


# ---------------------------------------------------------------- 20 BiDAF attention flow
# dmlc/gluon-nlp scripts/question_answering (0.x, the BiDAF model): a LinearSimilarity over the
# combination 'x,y,x*y' (a params.get weight and bias, the context and query tiled against each
# other by expand_dims + broadcast, concatenated, reshaped for a dot), masked_softmax (``F.softmax(
# vector * mask)`` then re-masked and renormalised with an epsilon), the context-to-query
# attention by batch_dot, query-to-context by the row max's masked softmax, and the merged
# ``[c, c2q, c * c2q, c * q2c]`` fed to a bidirectional LSTM modelling layer and span start / end
# Dense scores; SoftmaxCrossEntropyLoss on both, Adam. Widths shrunk, no highway or char CNN.
class LinearSimilarity(HybridBlock):
    def __init__(self, dim, **kwargs):
        super(LinearSimilarity, self).__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(3 * dim, 1), init=init.Uniform(0.1))
            self.bias = self.params.get('bias', shape=(1,), init=init.Zero())

    def hybrid_forward(self, F, c, q, weight, bias):
        T, J = 5, 3
        c_t = F.broadcast_to(F.expand_dims(c, axis=2), shape=(0, 0, J, 0))
        q_t = F.broadcast_to(F.expand_dims(q, axis=1), shape=(0, T, 0, 0))
        combined = F.concat(c_t, q_t, c_t * q_t, dim=-1)
        sim = F.dot(combined, weight).reshape((0, 0, 0))
        return F.broadcast_add(sim, bias)


def masked_softmax(F, vector, mask, epsilon=1e-13):
    result = F.softmax(vector * mask, axis=-1)
    result = result * mask
    return F.broadcast_div(result, F.sum(result, axis=-1, keepdims=True) + epsilon)


class BiDAF(Block):
    def __init__(self, vocab, dim, **kwargs):
        super(BiDAF, self).__init__(**kwargs)
        with self.name_scope():
            self.embed = nn.Embedding(vocab, dim)
            self.encoder = gluon.rnn.LSTM(dim // 2, layout='NTC', bidirectional=True)
            self.similarity = LinearSimilarity(dim)
            self.modeling = gluon.rnn.LSTM(dim // 2, layout='NTC', bidirectional=True)
            self.start = nn.Dense(1, flatten=False)
            self.end = nn.Dense(1, flatten=False)

    def forward(self, context, query, c_mask, q_mask):
        c = self.encoder(self.embed(context))
        q = self.encoder(self.embed(query))
        sim = self.similarity(c, q)                                   # (N, T, J)
        qm = nd.broadcast_like(q_mask.expand_dims(1), sim)
        c2q_att = masked_softmax(nd, sim, qm)
        c2q = nd.batch_dot(c2q_att, q)
        q2c_att = masked_softmax(nd, nd.max(sim, axis=-1), c_mask)    # (N, T)
        q2c = nd.batch_dot(q2c_att.expand_dims(1), c)                 # (N, 1, D)
        q2c = nd.broadcast_like(q2c, c)
        g = nd.concat(c, c2q, c * c2q, c * q2c, dim=-1)
        m = self.modeling(g)
        start = self.start(m).reshape((0, -1)) + (c_mask - 1) * 1e30
        end = self.end(m).reshape((0, -1)) + (c_mask - 1) * 1e30
        return start, end


def bidaf():
    rs = np.random.RandomState(1491)
    context = nd.array(rs.randint(1, 12, (2, 5)))
    query = nd.array(rs.randint(1, 12, (2, 3)))
    c_mask = nd.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    q_mask = nd.array([[1, 1, 1], [1, 1, 0]])
    span = (nd.array([1, 0]), nd.array([3, 2]))
    net = BiDAF(12, 4)
    net.initialize(init.Xavier())
    net(context, query, c_mask, q_mask)
    set_params(net, 1492)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    losses = []
    for _ in range(2):
        with autograd.record():
            start, end = net(context, query, c_mask, q_mask)
            l = loss_fn(start, span[0]) + loss_fn(end, span[1])
        l.backward()
        trainer.step(2)
        losses.append(L(l))
    start, end = net(context, query, c_mask, q_mask)
    return {'losses': losses, 'start': L(nd.softmax(start)), 'end_arg': L(end.argmax(axis=1)),
            'norms': norms(net)}


PROGRAMS = ['unet_crop', 'center_loss', 'focal_distillation', 'dgl_gat', 'vae', 'd2l_recsys', 'ppo', 'ddpg',
            'data_samplers', 'schedules_metrics', 'contrib_layers', 'estimator_handlers', 'text_cnn',
            'metric_losses', 'srgan', 'cutmix_mixup', 'esim', 'realnvp', 'wavenet_vocoder', 'bidaf']
