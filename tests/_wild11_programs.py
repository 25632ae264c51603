"""The programs of the eleventh trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_11.py),
each rewritten in our own words from the source named above it, keeping its calls, shapes and
idioms (channel counts and sizes shrunk, random draws replaced by seeded NumPy data). Each program
function returns its outputs, gradients and losses as nested dicts of lists.

The test runs this file as it is, on minigluon; tools/gen_wild11_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild11/wild11.json.
"""
import math
import os
import re
import tempfile

import numpy as np

import minigluon as mx
from _wild_common import error_line as err, natural, program_helpers, training_helpers

autograd, gluon, nd, init = mx.autograd, mx.gluon, mx.nd, mx.init
nn, rnn = gluon.nn, gluon.rnn
HybridBlock, Block = gluon.HybridBlock, gluon.Block


L, set_params, rnd = program_helpers(nd)     # tests/_wild_common.py, shared with _wild.py
norms, build = training_helpers(mx)


# ---------------------------------------------------------------- 1 LipNet
# apache/mxnet example/gluon/lipnet/models/network.py (channels and GRU width shrunk),
# trainer.py (the training step and the softmax of its beam-search input) and main.py's
# transforms (ToTensor + Normalize of each mouth frame).
class LipNet(nn.Block):
    def __init__(self, dr_rate, channels=(4, 6, 8), hidden=8, **kwargs):
        super(LipNet, self).__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv3D(channels[0], kernel_size=(3, 5, 5), strides=(1, 2, 2), padding=(1, 2, 2))
            self.bn1 = nn.InstanceNorm(in_channels=channels[0])
            self.dr1 = nn.Dropout(dr_rate, axes=(1, 2))
            self.pool1 = nn.MaxPool3D((1, 2, 2), (1, 2, 2))
            self.conv2 = nn.Conv3D(channels[1], kernel_size=(3, 5, 5), strides=(1, 1, 1), padding=(1, 2, 2))
            self.bn2 = nn.InstanceNorm(in_channels=channels[1])
            self.dr2 = nn.Dropout(dr_rate, axes=(1, 2))
            self.pool2 = nn.MaxPool3D((1, 2, 2), (1, 2, 2))
            self.conv3 = nn.Conv3D(channels[2], kernel_size=(3, 3, 3), strides=(1, 1, 1), padding=(1, 2, 2))
            self.bn3 = nn.InstanceNorm(in_channels=channels[2])
            self.dr3 = nn.Dropout(dr_rate, axes=(1, 2))
            self.pool3 = nn.MaxPool3D((1, 2, 2), (1, 2, 2))
            self.gru1 = rnn.GRU(hidden, bidirectional=True)
            self.gru2 = rnn.GRU(hidden, bidirectional=True)
            self.dense = nn.Dense(27 + 1, flatten=False)

    def forward(self, x):
        out = self.conv1(x)
        out = self.bn1(out)
        out = nd.relu(out)
        out = self.dr1(out)
        out = self.pool1(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = nd.relu(out)
        out = self.dr2(out)
        out = self.pool2(out)
        out = self.conv3(out)
        out = self.bn3(out)
        out = nd.relu(out)
        out = self.dr3(out)
        out = self.pool3(out)
        out = nd.transpose(out, (2, 0, 1, 3, 4))
        out = out.reshape((out.shape[0], out.shape[1], -1))
        out = self.gru1(out)
        out = self.gru2(out)
        out = self.dense(out)
        out = nd.log_softmax(out, axis=2)
        out = nd.transpose(out, (1, 0, 2))
        return out


class _MouthFrames(gluon.data.Dataset):
    """A stand-in for LipsDataset: seeded uint8 mouth crops (T, H, W, 3) and padded labels."""

    def __init__(self, transform):
        rs = np.random.RandomState(11)
        self.videos = rs.randint(0, 256, (4, 5, 16, 16, 3)).astype('uint8')
        self.labels = np.array([[3, 8, 1], [26, 0, -1], [5, 5, 2], [1, -1, -1]], dtype='float32')
        self.transform = transform

    def __getitem__(self, idx):
        frames = [self.transform(nd.array(frame, dtype='uint8')) for frame in self.videos[idx]]
        return nd.stack(*frames), self.labels[idx]

    def __len__(self):
        return len(self.videos)


def lipnet():
    """LipNet's Conv3D / InstanceNorm on 5-D data / Dropout(axes) / MaxPool3D / bidirectional GRUs,
    a CTC training step (``backward`` inside ``record`` + ``train_mode``) with Adam, then the
    softmax of each prediction (``out[idx].softmax()``)."""
    transforms = gluon.data.vision.transforms
    input_transform = transforms.Compose([transforms.ToTensor(),
                                          transforms.Normalize((0.7136, 0.4906, 0.3283), (0.1138, 0.1078, 0.0917))])
    loader = gluon.data.DataLoader(_MouthFrames(input_transform), batch_size=2, shuffle=False)
    ctx = mx.cpu()
    net = LipNet(0.0)       # the example's 0.5: a rate of 0 keeps the step free of random masks
    net.initialize(ctx=ctx)
    out = {}
    for i, (input_data, label) in enumerate(loader):
        input_data = nd.transpose(input_data, (0, 2, 1, 3, 4))
        input_data = input_data.copyto(ctx)
        label = label.copyto(ctx)
        if i == 0:
            build(net, 1, input_data)
            loss_fn = gluon.loss.CTCLoss()
            trainer = gluon.Trainer(net.collect_params(), optimizer='adam',
                                    optimizer_params={'learning_rate': 1e-3, 'beta1': 0.9, 'beta2': 0.999})
        with autograd.record():
            with autograd.train_mode():
                pred = net(input_data)
                loss_val = loss_fn(pred, label)
                loss_val.backward()
        trainer.step(input_data.shape[0])
        out['loss%d' % i] = L(loss_val)
        out['mean%d' % i] = float(loss_val.mean().asscalar())
    out['input'] = [list(input_data.shape), float(input_data.sum().asscalar())]
    out['norms'] = norms(net)
    pred = net(input_data)
    out['pred_shape'] = list(pred.shape)
    out['probs'] = [L(pred[idx].softmax()[:2]) for idx in range(pred.shape[0])]
    return out


# ---------------------------------------------------------------- 2 urban sounds
# apache/mxnet example/gluon/audio/transforms.py (Scale, PadTrim: Blocks whose attributes are set
# before Block.__init__), audio/urban_sounds/datasets.py (labels as nd.array([i]).reshape((1,)),
# transform_first(lazy=False)) and model.py (the MLP); the loop of urban_sounds/train.py.
class Scale(Block):
    def __init__(self, scale_factor=2**31):
        self.scale_factor = scale_factor
        super(Scale, self).__init__()

    def forward(self, x):
        if self.scale_factor == 0:
            return x
        if isinstance(x, np.ndarray):
            return nd.array(x / self.scale_factor)
        return x / self.scale_factor


class PadTrim(Block):
    def __init__(self, max_len, fill_value=0):
        self._max_len = max_len
        self._fill_value = fill_value
        super(PadTrim, self).__init__()

    def forward(self, x):
        if isinstance(x, np.ndarray):
            x = nd.array(x)
        if self._max_len > x.size:
            pad = nd.ones((self._max_len - x.size,)) * self._fill_value
            x = nd.concat(x, pad, dim=0)
        elif self._max_len < x.size:
            x = x[:self._max_len]
        return x


class AudioFolderDataset(gluon.data.Dataset):
    def __init__(self, signals, labels):
        self.synsets = []
        self.items = []
        for signal, label in zip(signals, labels):
            if label not in self.synsets:
                self.synsets.append(label)
            self.items.append((signal, nd.array([self.synsets.index(label)]).reshape((1,))))

    def __getitem__(self, idx):
        signal, label = self.items[idx]
        return nd.array(signal), label

    def __len__(self):
        return len(self.items)

    def transform_first(self, fn, lazy=False):
        return super(AudioFolderDataset, self).transform_first(fn, lazy=lazy)


def get_net(num_labels=10):
    net = gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(16, activation="relu"))
        net.add(gluon.nn.Dense(16, activation="relu"))
        net.add(gluon.nn.Dense(num_labels))
    net.collect_params().initialize(mx.init.Xavier())
    return net


def urban_sounds():
    """Audio transforms as Blocks in a Compose, a Dataset transformed eagerly, batches of (1,)
    NDArray labels, an MLP trained by Adam with SoftmaxCrossEntropyLoss and Accuracy."""
    transforms = gluon.data.vision.transforms
    rs = np.random.RandomState(5)
    signals = [rs.randint(-2**15, 2**15, n).astype('float32') for n in (10, 20, 12, 16, 30, 8)]
    names = ['siren', 'dog_bark', 'siren', 'drilling', 'dog_bark', 'siren']
    out = {'scale_doc': L(Scale(scale_factor=2)(nd.array([2, 3, 4]))),
           'padtrim_doc': L(PadTrim(max_len=9, fill_value=0)(nd.array([1, 2, 3, 4, 5]))),
           'scale_numpy': L(Scale(scale_factor=4)(np.array([8., 2.])))}
    dataset = AudioFolderDataset(signals, names)
    out['synsets'] = dataset.synsets
    tsfm = transforms.Compose([Scale(scale_factor=2**15), PadTrim(max_len=16, fill_value=0.5)])
    dataset = dataset.transform_first(tsfm, lazy=False)
    out['first'] = [L(dataset[0][0]), L(dataset[0][1])]
    loader = gluon.data.DataLoader(dataset, batch_size=4, shuffle=False)
    net = get_net(num_labels=len(out['synsets']))
    build(net, 2, nd.zeros((1, 16)))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    metric = mx.metric.Accuracy()
    for epoch in range(2):
        cumulative_loss = 0
        for data, label in loader:
            with autograd.record():
                output = net(data)
                l = loss(output, label)
            l.backward()
            trainer.step(data.shape[0])
            cumulative_loss += mx.nd.sum(l).asscalar()
            metric.update(label, output)
        out['epoch%d' % epoch] = [float(cumulative_loss), list(label.shape), metric.get()[1]]
    out['pred'] = L(net(nd.stack(*[dataset[i][0] for i in range(3)])))
    return out


# ---------------------------------------------------------------- 3 speech recognition CNN + CTC
# apache/mxnet example/gluon/gluon_speech_recognition/HybridSequential_CNN_CTC.py: blocks whose
# hybrid_forward takes *args / **kwargs, a model built inside ``with mx.Context(...)``, CTCLoss on
# NWC outputs with zero-padded labels, and the loss printed through ``str(l)[2:8]``.
class Resnet1D(nn.HybridBlock):
    def __init__(self, num_channels, **kwargs):
        super(Resnet1D, self).__init__(**kwargs)
        self.conv1 = nn.Conv1D(num_channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1D(num_channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm()
        self.bn2 = nn.BatchNorm()

    def hybrid_forward(self, F, x, *args, **kwargs):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + x)


class CBR(nn.HybridBlock):
    def __init__(self, num_channels, kernel_size=3, padding=1, **kwargs):
        super(CBR, self).__init__(**kwargs)
        self.conv = nn.Conv1D(num_channels, kernel_size=kernel_size, padding=padding)
        self.bn = nn.BatchNorm()
        self.relu = nn.Activation('relu')

    def hybrid_forward(self, F, x, *args, **kwargs):
        return F.relu(self.bn(self.conv(x)))


class SwapAxes(nn.HybridBlock):
    def __init__(self, dim1, dim2):
        super(SwapAxes, self).__init__()
        self.dim1 = dim1
        self.dim2 = dim2

    def hybrid_forward(self, F, x, *args, **kwargs):
        return F.swapaxes(x, self.dim1, self.dim2)


def _speech_model():
    with mx.Context(mx.cpu(0)):
        model = nn.HybridSequential()
        # the example's widths 40 / 80 / 160 / 240, 34 residual blocks, Dropout(0.3) and 3000
        # classes shrunk to 4 / 6 / 8, two blocks, rate 0 and 12 classes
        model.add(SwapAxes(1, 2), CBR(4, 1), CBR(4), nn.MaxPool1D(2), CBR(6, 1), CBR(6), nn.MaxPool1D(2),
                  CBR(8, 1), nn.Dropout(0.0), CBR(8), nn.MaxPool1D(2))
        for i in range(2):
            model.add(Resnet1D(8))
        model.add(nn.Dropout(0.0), nn.Conv1D(12, 1, 1), SwapAxes(1, 2))
    return model


def speech_ctc():
    """Eager and hybridized: two Adam steps on CTCLoss, the loss's string form, the outputs."""
    rs = np.random.RandomState(3)
    x = nd.array(rs.uniform(-1, 1, (2, 32, 5)) + 1)
    y = nd.array([[3, 5, 0], [7, 0, 0]])          # 0-padded as the example's labelsArr (0 is a class)
    out = {}
    for mode in ('eager', 'hybrid'):
        model = _speech_model()
        model.initialize(init=init.Xavier(), ctx=[mx.cpu()])
        build(model, 4, x)
        if mode == 'hybrid':
            model.hybridize()
        my_ctcloss = gluon.loss.CTCLoss()
        trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': 0.001})
        res = {'shape': list(model(x).shape)}
        train_ls = []
        for step in range(2):
            with autograd.record():
                l = my_ctcloss(model(x), y)
            l.backward()
            res['loss%d' % step] = L(l)
            l = l.mean()
            trainer.step(2)
            train_ls.append(l)
            res['shown%d' % step] = str(l)[2:8]
        res['out'] = L(model(x)[0, :2])
        res['norms'] = norms(model)
        out[mode] = res
    return out



# ---------------------------------------------------------------- 4 insightface (Gluon)
# deepinsight/insightface gluon/blocks/fresnet.py (BasicBlockV1 / V2, ResNet popping its own
# kwargs, ``prefix=''`` everywhere), gluon/blocks/UDD.py (EmbeddingBlock, ArcMarginBlock with a
# ``params.get`` weight passed to hybrid_forward, GABlock returning a list) and gluon/train.py
# (AccMetric / MAEMetric, nd.SoftmaxOutput as the loss, ag.backward of a list, an SGD Trainer with
# multi_precision over a 'device' KVStore, set_learning_rate at lr steps, export; the symbolic
# branch: the net called on Symbols, SoftmaxCrossEntropyLoss, MakeLoss and BlockGrad grouped).
def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False, in_channels=in_channels)


def _act(act_type):
    if act_type == 'prelu':
        return nn.PReLU()
    return nn.Activation(act_type)


class BasicBlockV1(HybridBlock):
    def __init__(self, channels, stride, downsample=False, in_channels=0, act_type='relu', **kwargs):
        super(BasicBlockV1, self).__init__(**kwargs)
        self.act_type = act_type
        self.body = nn.HybridSequential(prefix='')
        self.body.add(_conv3x3(channels, 1, in_channels))
        self.body.add(nn.BatchNorm(epsilon=2e-5))
        self.body.add(_act(act_type))
        self.body.add(_conv3x3(channels, stride, channels))
        self.body.add(nn.BatchNorm(epsilon=2e-5))
        if self.act_type == 'prelu':
            self.prelu = nn.PReLU()
        if downsample:
            self.downsample = nn.HybridSequential(prefix='')
            self.downsample.add(nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                                          in_channels=in_channels))
            self.downsample.add(nn.BatchNorm(epsilon=2e-5))
        else:
            self.downsample = None

    def hybrid_forward(self, F, x):
        residual = x
        x = self.body(x)
        if self.downsample:
            residual = self.downsample(residual)
        if self.act_type == 'prelu':
            x = self.prelu(x + residual)
        else:
            x = F.Activation(x + residual, act_type=self.act_type)
        return x


class BasicBlockV2(HybridBlock):
    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        kwargs.pop('act_type', None)
        super(BasicBlockV2, self).__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        if downsample:
            self.downsample = nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
        else:
            self.downsample = None

    def hybrid_forward(self, F, x):
        residual = x
        x = self.bn1(x)
        x = F.Activation(x, act_type='relu')
        if self.downsample:
            residual = self.downsample(x)
        x = self.conv1(x)
        x = self.bn2(x)
        x = F.Activation(x, act_type='relu')
        x = self.conv2(x)
        return x + residual


class FaceResNet(HybridBlock):
    def __init__(self, layers, channels, **kwargs):
        version_unit = kwargs.get('version_unit', 1)
        act_type = kwargs.get('version_act', 'prelu')
        self.act_type = act_type
        del kwargs['version_unit']
        del kwargs['version_act']
        super(FaceResNet, self).__init__(**kwargs)
        assert len(layers) == len(channels) - 1
        block = BasicBlockV1 if version_unit == 1 else BasicBlockV2
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(_conv3x3(channels[0], 1, 0))
            self.features.add(nn.BatchNorm(epsilon=2e-5))
            self.features.add(_act(act_type))
            in_channels = channels[0]
            for i, num_layer in enumerate(layers):
                stride = 2
                self.features.add(self._make_layer(block, num_layer, channels[i + 1], stride, i + 1,
                                                   in_channels=in_channels))
                in_channels = channels[i + 1]

    def _make_layer(self, block, layers, channels, stride, stage_index, in_channels=0):
        layer = nn.HybridSequential(prefix='stage%d_' % stage_index)
        with layer.name_scope():
            layer.add(block(channels, stride, True, in_channels=in_channels, act_type=self.act_type, prefix=''))
            for _ in range(layers - 1):
                layer.add(block(channels, 1, False, in_channels=channels, act_type=self.act_type, prefix=''))
        return layer

    def hybrid_forward(self, F, x):
        x = x - 127.5
        x = x * 0.0078125
        x = self.features(x)
        return x


resnet_spec = {2: ('basic_block', [1, 1], [4, 4, 8])}      # the spec of r18..r152, shrunk


def get_face_resnet(num_layers, **kwargs):
    block_type, layers, channels = resnet_spec[num_layers]
    return FaceResNet(layers, channels, **kwargs)


class EmbeddingBlock(HybridBlock):
    def __init__(self, emb_size=512, mode='E', **kwargs):
        super(EmbeddingBlock, self).__init__(**kwargs)
        self.emb_size = emb_size
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            if mode == 'D':
                self.body.add(nn.BatchNorm())
                self.body.add(nn.Activation('relu'))
                self.body.add(nn.GlobalAvgPool2D())
                self.body.add(nn.Flatten())
                self.body.add(nn.Dense(emb_size))
                self.body.add(nn.BatchNorm(scale=False, prefix='fc1'))
            elif mode == 'E':
                self.body.add(nn.BatchNorm(epsilon=2e-5))
                self.body.add(nn.Dropout(0.4))
                self.body.add(nn.Dense(emb_size))
                self.body.add(nn.BatchNorm(scale=False, epsilon=2e-5, prefix='fc1'))
            else:
                self.body.add(nn.BatchNorm(epsilon=2e-5))
                self.body.add(nn.Activation('relu'))
                self.body.add(nn.GlobalAvgPool2D())
                self.body.add(nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.body(x)


class ArcMarginBlock(HybridBlock):
    def __init__(self, args, **kwargs):
        super(ArcMarginBlock, self).__init__(**kwargs)
        self.margin_s = args.margin_s
        self.margin_m = args.margin_m
        self.margin_a = args.margin_a
        self.margin_b = args.margin_b
        self.num_classes = args.num_classes
        self.emb_size = args.emb_size
        with self.name_scope():
            self.fc7_weight = self.params.get('fc7_weight', shape=(self.num_classes, self.emb_size))
        self.body = nn.HybridSequential(prefix='')
        feat = get_face_resnet(args.num_layers, version_unit=args.version_unit, version_act=args.version_act)
        self.body.add(feat)
        self.body.add(EmbeddingBlock(args.emb_size, args.version_output, prefix=''))

    def feature(self, x):
        return self.body(x)

    def hybrid_forward(self, F, x, label, fc7_weight):
        feat = self.body(x)
        if self.margin_a == 0.0:
            return F.FullyConnected(feat, fc7_weight, no_bias=True, num_hidden=self.num_classes, name='fc7')
        nx = F.L2Normalization(feat, mode='instance', name='fc1n') * self.margin_s
        w = F.L2Normalization(fc7_weight, mode='instance')
        fc7 = F.FullyConnected(nx, w, no_bias=True, num_hidden=self.num_classes, name='fc7')
        if self.margin_a != 1.0 or self.margin_m != 0.0 or self.margin_b != 0.0:
            if self.margin_a == 1.0 and self.margin_m == 0.0:
                s_m = self.margin_s * self.margin_b
                gt_one_hot = F.one_hot(label, depth=self.num_classes, on_value=s_m, off_value=0.0)
                fc7 = fc7 - gt_one_hot
            else:
                zy = F.pick(fc7, label, axis=1)
                cos_t = zy / self.margin_s
                t = F.arccos(cos_t)
                if self.margin_a != 1.0:
                    t = t * self.margin_a
                if self.margin_m > 0.0:
                    t = t + self.margin_m
                body = F.cos(t)
                if self.margin_b > 0.0:
                    body = body - self.margin_b
                new_zy = body * self.margin_s
                diff = new_zy - zy
                diff = F.expand_dims(diff, 1)
                gt_one_hot = F.one_hot(label, depth=self.num_classes, on_value=1.0, off_value=0.0)
                body = F.broadcast_mul(gt_one_hot, diff)
                fc7 = fc7 + body
        return fc7


class _GABlock(HybridBlock):
    def __init__(self, args, num_classes, **kwargs):
        super(_GABlock, self).__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            feat = get_face_resnet(args.num_layers, version_unit=args.version_unit, version_act=args.version_act)
            self.body.add(feat)
            self.body.add(EmbeddingBlock(mode=args.version_output))
            self.body.add(nn.Dense(num_classes))

    def hybrid_forward(self, F, x):
        return self.body(x)


class GABlock(HybridBlock):
    def __init__(self, args, **kwargs):
        super(GABlock, self).__init__(**kwargs)
        with self.name_scope():
            self.bodyg = _GABlock(args, 2, prefix='gender_')
            self.bodya = _GABlock(args, 2 * AGE, prefix='age_')

    def hybrid_forward(self, F, x):
        g = self.bodyg(x)
        a = self.bodya(x)
        f = F.concat(g, a, dim=1, name='fc1')
        return [f, g, a]


AGE = 3          # insightface's 100 age bins, shrunk


class AccMetric(mx.metric.EvalMetric):
    def __init__(self):
        self.axis = 1
        super(AccMetric, self).__init__('acc', axis=self.axis, output_names=None, label_names=None)
        self.losses = []
        self.count = 0

    def update(self, labels, preds):
        self.count += 1
        for label, pred_label in zip(labels, preds):
            if pred_label.shape != label.shape:
                pred_label = mx.ndarray.argmax(pred_label, axis=self.axis)
            pred_label = pred_label.asnumpy().astype('int32').flatten()
            label = label.asnumpy()
            if label.ndim == 2:
                label = label[:, 0]
            label = label.astype('int32').flatten()
            assert label.shape == pred_label.shape
            self.sum_metric += (pred_label.flat == label.flat).sum()
            self.num_inst += len(pred_label.flat)


class MAEMetric(mx.metric.EvalMetric):
    def __init__(self):
        self.axis = 1
        super(MAEMetric, self).__init__('MAE', axis=self.axis, output_names=None, label_names=None)
        self.count = 0

    def update(self, labels, preds):
        self.count += 1
        label = labels[0].asnumpy()
        label_age = np.count_nonzero(label, axis=1)
        pred_age = np.zeros(label_age.shape, dtype=np.int64)
        pred = preds[0].asnumpy()
        for i in range(AGE):
            _pred = pred[:, i * 2:(i * 2 + 2)]
            _pred = np.argmax(_pred, axis=1)
            pred_age += _pred
        mae = np.mean(np.abs(label_age - pred_age))
        self.sum_metric += mae
        self.num_inst += 1.0


class _Args(object):
    margin_s, margin_m, margin_a, margin_b = 4.0, 0.5, 1.0, 0.0     # the default scale 64 saturates the softmax
    num_classes, emb_size, num_layers = 5, 6, 2
    version_unit, version_act, version_output = 1, 'prelu', 'D'
    lr, wd, mom = 0.1, 0.0005, 0.9


def insightface():
    """ArcFace training steps (eager, then hybridized), the exported symbol re-imported, the
    symbolic loss graph, and the gender / age GABlock with per-bin SoftmaxOutput losses."""
    args = _Args()
    rs = np.random.RandomState(8)
    images = nd.array(rs.uniform(0, 255, (4, 3, 8, 8)))
    labels = nd.array([0, 3, 1, 3])
    ctx = [mx.cpu()]
    out = {}
    for mode in ('eager', 'hybrid'):
        net = ArcMarginBlock(args, prefix='')
        if mode == 'hybrid':
            net.hybridize()
        net.initialize(mx.init.Xavier(rnd_type='gaussian', factor_type="out", magnitude=2))
        net.collect_params().reset_ctx(ctx)
        build(net, 9, images, labels)
        res = {'param_count': len(list(net.collect_params().keys()))}
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': args.lr, 'wd': args.wd,
                                                               'momentum': args.mom, 'multi_precision': True},
                                kvstore=mx.kv.create('device'))
        metric = mx.metric.CompositeEvalMetric([AccMetric()])
        lr, lr_steps = args.lr, [1]
        loss = nd.SoftmaxOutput
        for mbatch in range(2):
            for _lr in lr_steps:
                if mbatch == _lr:
                    lr *= 0.1
                    trainer.set_learning_rate(lr)
            data = gluon.utils.split_and_load(images, ctx_list=ctx, batch_axis=0)
            label = gluon.utils.split_and_load(labels, ctx_list=ctx, batch_axis=0)
            outputs, Ls = [], []
            with autograd.record():
                for x, y in zip(data, label):
                    z = net(x, y)
                    L_ = loss(z, y)
                    Ls.append(L_)
                    outputs.append(z)
                autograd.backward(Ls)
            trainer.step(images.shape[0])
            metric.update(label, outputs)
            res['step%d' % mbatch] = {'softmax': L(Ls[0]), 'fc7': L(outputs[0]), 'lr': trainer.learning_rate}
        res['metric'] = metric.get()
        res['norms'] = norms(net)
        res['feature'] = L(net.feature(images[:1]))
        if mode == 'hybrid':
            tmp = tempfile.mkdtemp()
            fname = os.path.join(tmp, 'model')
            net.export(fname, 1)
            sym = mx.sym.load(fname + '-symbol.json')
            inputs = [n for n in sym.list_arguments() if n.startswith('data')]
            res['export_inputs'] = inputs
            imported = gluon.SymbolBlock.imports(fname + '-symbol.json', inputs, fname + '-0001.params')
            res['imported'] = L(imported(images, labels))
            res['net_out'] = L(net(images, labels))
            # the symbolic branch of train.py, run through a SymbolBlock
            data = mx.sym.var('data')
            label = mx.sym.var('softmax_label')
            fc7 = net(data, label)
            ceop = gluon.loss.SoftmaxCrossEntropyLoss()
            sloss = mx.sym.mean(ceop(fc7, label))
            sym = mx.sym.Group([mx.symbol.BlockGrad(fc7), mx.symbol.MakeLoss(sloss, name='softmax')])
            res['sym_outputs'] = sym.list_outputs()
            res['sym_shapes'] = [list(s) for s in sym.infer_shape(data=(4, 3, 8, 8), softmax_label=(4,))[1]]
            block = gluon.SymbolBlock(sym, [data, label], params=net.collect_params())
            res['sym_run'] = [L(o) for o in block(images, labels)]
        out[mode] = res
    ga = GABlock(args)
    ga.initialize()
    build(ga, 10, images)
    age_labels = nd.array(np.random.RandomState(9).randint(0, 2, (4, AGE)))
    gender_labels = nd.array([1, 0, 0, 1])
    with autograd.record():
        z = ga(images)
        Ls = [loss(z[1], gender_labels)]          # task 'gender'
    autograd.backward(Ls)
    try:                                           # task 'age': a (4, 1) label for SoftmaxOutput
        with autograd.record():
            for k in range(AGE):
                _z = nd.slice_axis(z[2], axis=1, begin=k * 2, end=k * 2 + 2)
                _y = nd.slice_axis(age_labels, axis=1, begin=k, end=k + 1)
                _y = nd.flatten(_y)
                Ls.append(loss(_z, _y))
        age_error = None
    except Exception as e:          # noqa: BLE001 - the failure is the result
        age_error = err(e)
    mae = mx.metric.CompositeEvalMetric([MAEMetric()])
    mae.update([age_labels], [z[2]])
    out['ga'] = {'shapes': [list(t.shape) for t in z], 'f': L(z[0]), 'losses': [L(l) for l in Ls],
                 'norms': norms(ga), 'mae': mae.get(), 'param_count': len(list(ga.collect_params().keys())),
                 'age_error': age_error,
                 'age_running_stats': [i for i, n in enumerate(sorted(ga.collect_params().keys(), key=natural))
                                       if '_age_' in n and 'running_' in n]}
    return out


# ---------------------------------------------------------------- 5 WGAN-GP
# Two public Gluon WGAN-GP trainers' gradient penalties: one (wgan_gp_resnet.py, "Piston Yang")
# interpolates under autograd.pause, copies the result with nd.array, and calls attach_grad on the
# penalty it returns; another takes ``.mean()`` of the penalty and keeps it in the graph. The
# critic and generator are small ones of our own; the loop is the first script's.
def _wgan_nets():
    netG = nn.HybridSequential()
    netG.add(nn.Conv2DTranspose(4, 4, 1, 0, use_bias=False), nn.BatchNorm(), nn.Activation('relu'),
             nn.Conv2DTranspose(3, 4, 2, 1, use_bias=False), nn.Activation('tanh'))
    netD = nn.HybridSequential()
    netD.add(nn.Conv2D(4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2D(8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Dense(1))
    return netG, netD


def calc_gradient_penalty_attach(netD, real_data, fake_data, LAMBDA, ctx, alpha):
    with autograd.pause():
        b_s = real_data.shape[0]
        alpha = alpha.broadcast_to(real_data.shape)
        interpolates = alpha * real_data + ((1 - alpha) * fake_data)
    interpolates = nd.array(interpolates, ctx=ctx)
    interpolates.attach_grad()
    disc_interpolates = netD(interpolates)
    gradients = autograd.grad(heads=disc_interpolates, variables=interpolates,
                              head_grads=nd.ones(shape=disc_interpolates.shape, ctx=ctx),
                              create_graph=True, retain_graph=True)[0]
    gradients = gradients.reshape((gradients.shape[0], -1))
    gradient_penalty = ((gradients.norm(2, axis=1) - 1) ** 2) * LAMBDA
    gradient_penalty.attach_grad()
    return gradient_penalty.reshape((b_s, 1))


def calc_gradient_penalty_mean(netD, real_data, fake_data, LAMBDA, ctx, alpha):
    real_data = real_data.as_in_context(ctx)
    alpha = alpha.broadcast_to(real_data.shape)
    interpolates = alpha * real_data + ((1 - alpha) * fake_data)
    interpolates = nd.array(interpolates)
    interpolates.attach_grad()
    disc_interpolates = netD(interpolates)
    gradients = autograd.grad(heads=disc_interpolates, variables=interpolates,
                              head_grads=nd.ones(shape=disc_interpolates.shape, ctx=ctx),
                              create_graph=True, retain_graph=True)[0]
    gradients = gradients.reshape((gradients.shape[0], -1))
    gradient_penalty = ((gradients.norm(2, axis=1, keepdims=True) - 1) ** 2).mean() * LAMBDA
    return gradient_penalty


def _wgan_run(calc, dense_critic):
    ctx = mx.cpu()
    batch_size, nz = 4, 3
    rs = np.random.RandomState(21)
    data = nd.array(rs.uniform(-1, 1, (batch_size, 3, 8, 8)))
    noise = nd.array(rs.normal(0, 1, (batch_size, nz, 1, 1)))
    alpha = nd.array(rs.uniform(0, 1, (batch_size, 1, 1, 1)))
    netG, netD = _wgan_nets()
    if dense_critic:
        netD = nn.HybridSequential()
        netD.add(nn.Dense(8, activation='tanh'), nn.Dense(1))
    netG.initialize(mx.init.Xavier(magnitude=2), ctx=ctx)
    netD.initialize(mx.init.Xavier(magnitude=2), ctx=ctx)
    build(netG, 22, noise)
    build(netD, 23, data)
    trainerG = gluon.Trainer(netG.collect_params(), 'adam', {'learning_rate': 1e-2, 'beta1': 0, 'beta2': 0.9})
    trainerD = gluon.Trainer(netD.collect_params(), 'adam', {'learning_rate': 1e-2, 'beta1': 0, 'beta2': 0.9})
    metric = mx.metric.Loss('Wasserstein_D')
    res = {}
    try:
        with autograd.record():
            output = netD(data)
            output = output.reshape((batch_size, 1))
            errD_real = output
            fake = netG(noise)
            output = netD(fake.detach())
            output = output.reshape((batch_size, 1))
            errD_fake = output
            gradient_penalty = calc(netD, data.detach(), fake.detach(), 10, ctx, alpha)
            errD = errD_real - errD_fake - gradient_penalty
            errD = -errD
            errD.backward()
        res['gp'] = L(gradient_penalty)
        res['errD'] = L(errD)
        res['D_grads'] = norms(netD)['grad']
    except Exception as e:          # noqa: BLE001 - the failure is the result
        res['error'] = err(e)
        return res
    trainerD.step(batch_size)
    D_cost = errD_real.mean() - errD_fake.mean() - gradient_penalty.mean()
    metric.update(0, D_cost)
    with autograd.record():
        output = netD(fake)
        output = output.reshape((-1, 1))
        errG = -output
        errG.backward()
    trainerG.step(batch_size)
    res['metric'] = list(metric.get())
    res['errG'] = L(errG)
    res['G'] = norms(netG)
    res['D'] = norms(netD)['value']
    return res


def wgan_gp():
    """The critic step and the generator step with each penalty: the penalty given attach_grad
    is cut from the graph (its gradient does not reach the critic); the one kept in the graph
    needs a second-order gradient of the critic, over a convolutional and a Dense critic."""
    return {'attach_conv': _wgan_run(calc_gradient_penalty_attach, False),
            'mean_conv': _wgan_run(calc_gradient_penalty_mean, False),
            'mean_dense': _wgan_run(calc_gradient_penalty_mean, True)}



# ---------------------------------------------------------------- 6 CycleGAN
# A public "CycleGAN, implemented in Gluon" models file: ConvolutionBlock whose default arguments
# are Blocks made once at class definition (norm_layer=nn.BatchNorm(), activation=...),
# Conv2DTranspose for strides=1/2, ResidualBlock given the InstanceNorm class, a Sigmoid block
# overriding forward(self, F, x), the Generator and PatchGAN Discriminator (names from global
# counters: no name_scope anywhere).
class ConvolutionBlock(HybridBlock):
    def __init__(self, kernal_size, filters, strides=1, norm_layer=nn.BatchNorm(),
                 activation=nn.Activation('relu')):
        super(ConvolutionBlock, self).__init__()
        self.net = nn.HybridSequential()
        if isinstance(strides, int):
            self.net.add(nn.Conv2D(filters, kernal_size, strides=strides, padding=((kernal_size - 1) >> 1)))
        else:
            strides = int(round(1 / strides))
            self.net.add(nn.Conv2DTranspose(filters, kernal_size, strides=strides,
                                            padding=((kernal_size - 1) >> 1)))
        if norm_layer is not None:
            self.net.add(norm_layer)
        self.net.add(activation)

    def hybrid_forward(self, F, x):
        return self.net(x)


class ResidualBlock(HybridBlock):
    def __init__(self, kernal_size, filters, strides=1, norm_layer=nn.BatchNorm):
        super(ResidualBlock, self).__init__()
        self.conv1 = nn.Conv2D(filters, kernal_size, strides=1, padding=1)
        self.bn1 = norm_layer()
        self.relu = nn.Activation('relu')
        self.conv2 = nn.Conv2D(filters, kernal_size, strides=1, padding=1)
        self.bn2 = norm_layer()

    def hybrid_forward(self, F, x):
        residual = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = out + residual
        out = self.relu(out)
        return out


class Sigmoid(HybridBlock):
    def __init__(self):
        super(Sigmoid, self).__init__()

    def forward(self, F, x):
        return 1 / (1 + nd.exp(-x))


class CycleGenerator(HybridBlock):
    def __init__(self, blocks):
        super(CycleGenerator, self).__init__()
        self.net = nn.HybridSequential()
        self.net.add(ConvolutionBlock(7, 8, strides=1, norm_layer=nn.InstanceNorm(), activation=nn.Activation('relu')),
                     ConvolutionBlock(3, 16, strides=2, norm_layer=nn.InstanceNorm(), activation=nn.Activation('relu')),
                     ConvolutionBlock(3, 32, strides=2, norm_layer=nn.InstanceNorm(), activation=nn.Activation('relu')))
        for _ in range(blocks):
            self.net.add(ResidualBlock(3, 32, norm_layer=nn.InstanceNorm))
        self.net.add(ConvolutionBlock(3, 16, strides=1 / 2, norm_layer=nn.InstanceNorm(),
                                      activation=nn.Activation('relu')),
                     ConvolutionBlock(3, 8, strides=1 / 2, norm_layer=nn.InstanceNorm(),
                                      activation=nn.Activation('relu')),
                     ConvolutionBlock(7, 3, strides=1, norm_layer=nn.InstanceNorm(), activation=nn.Activation('relu')))

    def hybrid_forward(self, F, x):
        return self.net(x)


class CycleDiscriminator(HybridBlock):
    def __init__(self, use_sigmoid=False):
        super(CycleDiscriminator, self).__init__()
        self.net = nn.HybridSequential()
        self.net.add(ConvolutionBlock(4, 8, strides=2, norm_layer=None, activation=nn.LeakyReLU(0.2)),
                     ConvolutionBlock(4, 16, strides=2, norm_layer=nn.InstanceNorm(), activation=nn.LeakyReLU(0.2)),
                     ConvolutionBlock(4, 32, strides=2, norm_layer=nn.InstanceNorm(), activation=nn.LeakyReLU(0.2)),
                     ConvolutionBlock(4, 64, strides=2, norm_layer=nn.InstanceNorm(), activation=nn.LeakyReLU(0.2)),
                     nn.Conv2D(1, 4, strides=1, padding=((4 - 1) >> 1)))
        if use_sigmoid:
            self.net.add(Sigmoid())

    def hybrid_forward(self, F, x):
        return self.net(x)


def cyclegan():
    """Generator (its Conv2DTranspose upsampling gives 33 x 33 from 35 x 35) and Discriminator,
    eager and hybridized: LSGAN losses and gradients; the cycle L1 loss between 33 x 33 and
    35 x 35 images fails; the Sigmoid block's forward(F, x) fails when called."""
    rs = np.random.RandomState(31)
    real = nd.array(rs.uniform(-1, 1, (1, 3, 35, 35)))
    out = {}
    for mode in ('eager', 'hybrid'):
        netG, netD = CycleGenerator(blocks=1), CycleDiscriminator()
        for net, seed, x in ((netG, 32, real), (netD, 33, real)):
            net.initialize()
            build(net, seed, x)
            if mode == 'hybrid':
                net.hybridize()
        l2 = gluon.loss.L2Loss()
        l1 = gluon.loss.L1Loss()
        with autograd.record():
            fake = netG(real)
            pred_fake = netD(fake)
            pred_real = netD(real)
            lossD = l2(pred_real, nd.ones_like(pred_real)) + l2(pred_fake, nd.zeros_like(pred_fake))
        lossD.backward()
        res = {'fake_shape': list(fake.shape), 'fake': L(fake[0, 0, :3, :3]), 'pred': [L(pred_fake), L(pred_real)],
               'lossD': L(lossD), 'G': norms(netG), 'D': norms(netD)}
        try:
            l1(netG(real), real)
        except Exception as e:          # noqa: BLE001 - the failure is the result
            res['cycle_error_is_value_error'] = isinstance(e, ValueError)
        out[mode] = res
    netS = CycleDiscriminator(use_sigmoid=True)
    netS.initialize()
    try:
        netS(real)
    except TypeError as e:
        out['sigmoid_error'] = 'forward() missing' in str(e)
    return out


# ---------------------------------------------------------------- 7 LSTNet (Gluon)
# safrooze/LSTNet-Gluon model.py: a Block with a Conv1D over NCW, GRUs in TNC layout, the skip
# GRU fed by negative slicing and positional reshapes, an autoregressive highway; the loop of
# its train.py (L1 loss, Adam, gradient clipping over the parameter gradients).
class LSTNet(gluon.Block):
    def __init__(self, num_series, conv_hid, gru_hid, skip_gru_hid, skip, ar_window):
        super(LSTNet, self).__init__()
        kernel_size = 6
        dropout_rate = 0.2
        self.skip = skip
        self.ar_window = ar_window
        with self.name_scope():
            self.conv = nn.Conv1D(conv_hid, kernel_size=kernel_size, layout='NCW', activation='relu')
            self.dropout = nn.Dropout(dropout_rate)
            self.gru = rnn.GRU(gru_hid, layout='TNC')
            self.skip_gru = rnn.GRU(skip_gru_hid, layout='TNC')
            self.fc = nn.Dense(num_series)
            self.ar_fc = nn.Dense(1)

    def forward(self, x):
        c = self.conv(x.transpose((0, 2, 1)))
        c = self.dropout(c)
        r = self.gru(c.transpose((2, 0, 1)))
        r = r[-1]
        r = self.dropout(r)
        skip_c = c[:, :, -(c.shape[2] // self.skip) * self.skip:]
        skip_c = skip_c.reshape(c.shape[0], c.shape[1], -1, self.skip)
        skip_c = skip_c.transpose((2, 0, 3, 1))
        skip_c = skip_c.reshape(skip_c.shape[0], -1, skip_c.shape[3])
        s = self.skip_gru(skip_c)
        s = s[-1]
        s = s.reshape(x.shape[0], -1)
        fc = self.fc(nd.concat(r, s))
        ar_x = x[:, -self.ar_window:, :]
        ar_x = ar_x.transpose((0, 2, 1))
        ar_x = ar_x.reshape(-1, ar_x.shape[2])
        ar = self.ar_fc(ar_x)
        ar = ar.reshape(x.shape[0], -1)
        res = fc + ar
        return res


def lstnet():
    """Two training steps (predict mode: the example's dropout is random) and a prediction."""
    rs = np.random.RandomState(41)
    x = nd.array(rs.uniform(-1, 1, (3, 15, 4)))
    y = nd.array(rs.uniform(-1, 1, (3, 4)))
    net = LSTNet(num_series=4, conv_hid=6, gru_hid=5, skip_gru_hid=2, skip=3, ar_window=4)
    net.initialize()
    build(net, 42, x)
    l1 = gluon.loss.L1Loss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01, 'clip_gradient': 10.})
    out = {}
    for step in range(2):
        with autograd.record(train_mode=False):
            output = net(x)
            loss = l1(output, y)
        loss.backward()
        grads = [p.grad() for p in net.collect_params().values()]
        gluon.utils.clip_global_norm(grads, 0.5)
        trainer.step(x.shape[0])
        out['loss%d' % step] = L(loss)
    out['pred'] = L(net(x))
    out['norms'] = norms(net)
    return out


# ---------------------------------------------------------------- 8 gluon-ts LSTNet
# awslabs/gluonts src/gluonts/model/lstnet/_network.py (LSTNetBase / LSTNetTrain / LSTNetPredict:
# a Conv2D over (series x kernel), HybridSequentialRNNCell of ZoneoutCell(GRUCell) unrolled with
# begin_state(func=F.zeros, batch_size=0) in a graph, ``with ctx:`` in NDArray mode, slice_axis
# with negative begins, L1Loss with a sample weight), src/gluonts/mx/block/scaler.py (MeanScaler).
class Scaler(nn.HybridBlock):
    def __init__(self, keepdims=False, axis=1):
        super().__init__()
        self.keepdims = keepdims
        self.axis = axis

    def compute_scale(self, F, data, observed_indicator):
        raise NotImplementedError()

    def hybrid_forward(self, F, data, observed_indicator):
        scale = self.compute_scale(F, data, observed_indicator)
        if self.keepdims:
            scale = scale.expand_dims(axis=self.axis)
            return F.broadcast_div(data, scale), scale
        return F.broadcast_div(data, scale.expand_dims(axis=self.axis)), scale


class MeanScaler(Scaler):
    def __init__(self, minimum_scale=1e-10, default_scale=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum_scale = minimum_scale
        self.default_scale = default_scale

    def compute_scale(self, F, data, observed_indicator):
        num_observed = F.sum(observed_indicator, axis=self.axis)
        sum_observed = (data.abs() * observed_indicator).sum(axis=self.axis)
        total_observed = num_observed.sum(axis=0)
        denominator = F.maximum(total_observed, 1.0)
        if self.default_scale is not None:
            default_scale = self.default_scale * F.ones_like(num_observed)
        else:
            default_scale = sum_observed.sum(axis=0) / denominator
        denominator = F.maximum(num_observed, 1.0)
        scale = sum_observed / denominator
        cond = F.broadcast_greater(sum_observed, F.zeros_like(sum_observed))
        scale = F.where(cond, scale, F.broadcast_mul(default_scale, F.ones_like(num_observed)))
        return F.maximum(scale, self.minimum_scale)


class LSTNetBase(nn.HybridBlock):
    def __init__(self, num_series, channels, kernel_size, rnn_cell_type, rnn_num_layers, rnn_num_cells,
                 skip_rnn_cell_type, skip_rnn_num_layers, skip_rnn_num_cells, skip_size, ar_window,
                 context_length, lead_time, prediction_length, dropout_rate, output_activation, scaling,
                 dtype, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.num_series = num_series
        self.channels = channels
        self.skip_size = skip_size
        self.ar_window = ar_window
        self.prediction_length = prediction_length
        self.horizon = lead_time
        self.context_length = context_length
        self.output_activation = output_activation
        self.conv_out = context_length - kernel_size + 1
        self.conv_skip = self.conv_out // skip_size
        self.channel_skip_count = self.conv_skip * skip_size
        self.dtype = dtype
        with self.name_scope():
            self.cnn = nn.Conv2D(channels, (num_series, kernel_size), activation="relu", layout="NCHW",
                                 in_channels=2)
            self.cnn.cast(dtype)
            self.dropout = nn.Dropout(dropout_rate)
            self.rnn = self._create_rnn_layer(rnn_num_cells, rnn_num_layers, rnn_cell_type, dropout_rate)
            self.rnn.cast(dtype)
            self.skip_rnn_num_cells = skip_rnn_num_cells
            self.skip_rnn = self._create_rnn_layer(skip_rnn_num_cells, skip_rnn_num_layers, skip_rnn_cell_type,
                                                   dropout_rate)
            self.skip_rnn.cast(dtype)
            self.fc = nn.Dense(num_series, dtype=dtype)
            self.ar_fc = nn.Dense(prediction_length, dtype=dtype, flatten=False)
            if scaling:
                self.scaler = MeanScaler(axis=2, keepdims=True)

    @staticmethod
    def _create_rnn_layer(num_cells, num_layers, cell_type, dropout_rate):
        RnnCell = {"lstm": mx.gluon.rnn.LSTMCell, "gru": mx.gluon.rnn.GRUCell}[cell_type]
        rnn_ = mx.gluon.rnn.HybridSequentialRNNCell()
        for _ in range(num_layers):
            cell = RnnCell(hidden_size=num_cells)
            cell = mx.gluon.rnn.ZoneoutCell(cell, zoneout_states=dropout_rate) if dropout_rate > 0.0 else cell
            rnn_.add(cell)
        return rnn_

    def _skip_rnn_layer(self, F, x):
        skip_c = F.slice_axis(x, axis=2, begin=-self.channel_skip_count, end=None)
        skip_c = F.reshape(skip_c, shape=(0, 0, -1, self.skip_size))
        skip_c = F.transpose(skip_c, axes=(2, 0, 3, 1))
        skip_c = F.reshape(skip_c, shape=(self.conv_skip, -1, self.channels))
        if F is mx.ndarray:
            ctx = skip_c.context if isinstance(skip_c, mx.gluon.tensor_types) else skip_c[0].context
            with ctx:
                begin_state = self.skip_rnn.begin_state(func=F.zeros, dtype=self.dtype, batch_size=skip_c.shape[1])
        else:
            begin_state = self.skip_rnn.begin_state(func=F.zeros, dtype=self.dtype, batch_size=0)
        s, _ = self.skip_rnn.unroll(inputs=skip_c, length=min(self.conv_skip, self.context_length), layout="TNC",
                                    merge_outputs=True, begin_state=begin_state)
        s = F.squeeze(F.slice_axis(s, axis=0, begin=-1, end=None), axis=0)
        s = F.reshape(s, shape=(-1, self.skip_size * self.skip_rnn_num_cells))
        return s

    def _ar_highway(self, F, x, observed):
        ar_x = F.slice_axis(x, axis=2, begin=-self.ar_window, end=None)
        ar_observed = F.slice_axis(observed, axis=2, begin=-self.ar_window, end=None)
        ar_fc_inputs = F.concat(ar_x, ar_observed, dim=-1)
        return self.ar_fc(ar_fc_inputs)

    def hybrid_forward(self, F, past_target, past_observed_values):
        context_target = past_target.slice_axis(axis=2, begin=-self.context_length, end=None)
        context_observed = past_observed_values.slice_axis(axis=2, begin=-self.context_length, end=None)
        scaled_context, scale = self.scaler(context_target, context_observed)
        cnn_inputs = F.concat(scaled_context.expand_dims(axis=1), context_observed.expand_dims(axis=1), dim=1)
        c = self.cnn(cnn_inputs)
        c = self.dropout(c)
        c = F.squeeze(c, axis=2)
        r = F.transpose(c, axes=(2, 0, 1))
        if F is mx.ndarray:
            ctx = r.context if isinstance(r, mx.gluon.tensor_types) else r[0].context
            with ctx:
                rnn_begin_state = self.rnn.begin_state(func=F.zeros, dtype=self.dtype, batch_size=r.shape[1])
        else:
            rnn_begin_state = self.rnn.begin_state(func=F.zeros, dtype=self.dtype, batch_size=0)
        r, _ = self.rnn.unroll(inputs=r, length=min(self.conv_out, self.context_length), layout="TNC",
                               merge_outputs=True, begin_state=rnn_begin_state)
        r = F.squeeze(F.slice_axis(r, axis=0, begin=-1, end=None), axis=0)
        s = self._skip_rnn_layer(F, c)
        fc = self.fc(F.concat(r, s, dim=1)).expand_dims(axis=2)
        if self.prediction_length:
            fc = F.tile(fc, reps=(1, 1, self.prediction_length))
        ar = self._ar_highway(F, scaled_context, context_observed)
        out = fc + ar
        if self.output_activation is None:
            return out, scale
        return (F.sigmoid(out) if self.output_activation == "sigmoid" else F.tanh(out)), scale


class LSTNetTrain(LSTNetBase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_fn = gluon.loss.L1Loss()

    def hybrid_forward(self, F, past_target, past_observed_values, future_target, future_observed_values):
        pred, scale = super().hybrid_forward(F, past_target, past_observed_values)
        return self.loss_fn(F.broadcast_mul(pred, scale), future_target, future_observed_values)


class LSTNetPredict(LSTNetBase):
    def hybrid_forward(self, F, past_target, past_observed_values):
        ret, scale = super().hybrid_forward(F, past_target, past_observed_values)
        ret = F.swapaxes(F.broadcast_mul(ret, scale), 1, 2)
        return ret.expand_dims(axis=1)


def gluonts_lstnet():
    """Training loss and gradients (predict mode: the zoneout cells are random in training), the
    predictor sharing the trained parameters; eager and hybridized."""
    rs = np.random.RandomState(51)
    n, series, past, pred_len = 2, 3, 12, 2
    past_target = nd.array(rs.uniform(0, 4, (n, series, past)))
    past_observed = nd.array((rs.uniform(0, 1, (n, series, past)) > 0.2).astype('float32'))
    past_observed[1, 2, :] = 0
    future_target = nd.array(rs.uniform(0, 4, (n, series, pred_len)))
    future_observed = nd.array((rs.uniform(0, 1, (n, series, pred_len)) > 0.3).astype('float32'))
    kwargs = dict(num_series=series, channels=4, kernel_size=3, rnn_cell_type='gru', rnn_num_layers=1,
                  rnn_num_cells=5, skip_rnn_cell_type='gru', skip_rnn_num_layers=1, skip_rnn_num_cells=2,
                  skip_size=2, ar_window=3, context_length=10, lead_time=0, prediction_length=pred_len,
                  dropout_rate=0.1, output_activation=None, scaling=True, dtype=np.float32)
    out = {}
    for mode in ('eager', 'hybrid'):
        train_net = LSTNetTrain(prefix='lstnet_', **kwargs)
        train_net.initialize()
        build(train_net, 52, past_target, past_observed, future_target, future_observed)
        pred_net = LSTNetPredict(prefix='lstnet_', params=train_net.collect_params(), **kwargs)
        if mode == 'hybrid':
            train_net.hybridize()
            pred_net.hybridize()
        with autograd.record(train_mode=False):
            loss = train_net(past_target, past_observed, future_target, future_observed)
        loss.backward()
        out[mode] = {'loss': L(loss), 'norms': norms(train_net),
                     'pred': L(pred_net(past_target, past_observed)),
                     'scaled': [L(t) for t in MeanScaler(axis=2, keepdims=True)(past_target, past_observed)]}
        if mode == 'hybrid':                # gluon-ts's predictor serialization (mx/util.py)
            model_dir = tempfile.mkdtemp()
            export_symb_block(pred_net, model_dir, 'prediction_net')
            imported = import_symb_block(2, model_dir, 'prediction_net')
            out[mode]['imported'] = L(imported(past_target, past_observed))
    return out


def export_symb_block(hb, model_dir, model_name, epoch=0):
    """gluon-ts src/gluonts/mx/util.py's export_symb_block (without its JSON post-processing)."""
    hb.export(path=os.path.join(model_dir, model_name), epoch=epoch)


def import_symb_block(num_inputs, model_dir, model_name, epoch=0):
    """gluon-ts src/gluonts/mx/util.py's import_symb_block."""
    if num_inputs == 1:
        input_names = ["data"]
    else:
        input_names = [f"data{i}" for i in range(num_inputs)]
    return mx.gluon.SymbolBlock.imports(symbol_file=os.path.join(model_dir, f"{model_name}-symbol.json"),
                                        input_names=input_names,
                                        param_file=os.path.join(model_dir, f"{model_name}-{epoch:04}.params"),
                                        ctx=mx.current_context())


# ---------------------------------------------------------------- 9 gluon-ts SNDense
# awslabs/gluonts src/gluonts/mx/block/sndense.py: spectral normalization with nd operators inside
# hybrid_forward, parameters received under their attribute names (_weight, _u, _bias), the power
# iteration's u written back with set_data under autograd.pause, ``if sigma == 0.0`` on an NDArray,
# an Orthogonal default initializer, the ``weight`` property.
EPSILON = 1e-12


class SNDense(mx.gluon.HybridBlock):
    def __init__(self, units, in_units, coeff=0.9, activation=None, use_bias=True, flatten=True,
                 weight_initializer=init.Orthogonal(scale=0.9), bias_initializer="zeros", dtype="float32",
                 num_power_iter=1, ctx=None, **kwargs):
        super().__init__(**kwargs)
        self._coeff = coeff
        self._flatten = flatten
        self._ctx = ctx if ctx is not None else mx.cpu()
        self._num_power_iter = num_power_iter
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self._weight = self.params.get("weight", shape=(units, in_units), init=weight_initializer, dtype=dtype)
            self._u = self.params.get("u", init=mx.init.Normal(), shape=(1, units))
            if use_bias:
                self._bias = self.params.get("bias", shape=(units,), init=bias_initializer, dtype=dtype)
            else:
                self._bias = None
            self._act = nn.Activation(activation, prefix=activation + "_") if activation is not None else None

    @property
    def weight(self):
        return self._spectral_norm(self._weight.data(self._ctx), self._u.data(self._ctx))

    def hybrid_forward(self, F, x, _weight, _u, _bias=None):
        act = nd.FullyConnected(data=x, weight=self._spectral_norm(_weight, _u), bias=_bias, no_bias=_bias is None,
                                num_hidden=self._units, flatten=self._flatten, name="fwd")
        if self._act is not None:
            act = self._act(act)
        return act

    def _spectral_norm(self, weight, u):
        w = weight
        w_mat = nd.reshape(w, [w.shape[0], -1])
        _u = u
        _v = None
        for _ in range(self._num_power_iter):
            _v = nd.L2Normalization(nd.dot(_u, w_mat))
            _u = nd.L2Normalization(nd.dot(_v, w_mat.T))
        sigma = nd.sum(nd.dot(_u, w_mat) * _v)
        sigma = nd.maximum(nd.ones(1, ctx=self._ctx), sigma / self._coeff)
        if sigma == 0.0:
            sigma = EPSILON
        with autograd.pause():
            self._u.set_data(_u)
        return w / sigma


def gluonts_sndense():
    """Two SNDense layers (one with a spectral norm under the bound, one over it): outputs, input
    and weight gradients, the u vector after each call, the normalized weight property."""
    rs = np.random.RandomState(61)
    x = nd.array(rs.uniform(-1, 1, (3, 4)))
    out = {}
    for name, scale in (('small', 0.3), ('large', 3.0)):
        layer = SNDense(units=3, in_units=4, activation='tanh', num_power_iter=2, prefix='sn_%s_' % name)
        layer.initialize()
        p = layer.collect_params()
        p['sn_%s_weight' % name].set_data(nd.array(rs.uniform(-scale, scale, (3, 4))))
        p['sn_%s_u' % name].set_data(nd.array(rs.normal(0, 1, (1, 3))))
        x.attach_grad()
        with autograd.record():
            y = layer(x)
        y.backward()
        res = {'y': L(y), 'xgrad': L(x.grad), 'wgrad': L(p['sn_%s_weight' % name].grad()),
               'u1': L(p['sn_%s_u' % name].data()), 'params': sorted(p.keys())}
        res['weight'] = L(layer.weight)
        res['u2'] = L(p['sn_%s_u' % name].data())
        out[name] = res
    return out


# ---------------------------------------------------------------- 10 CapsNet
# A public Gluon CapsNet's capsule layers (CapsLayers.py: squash with NumPy's float eps, Mask by
# the longest capsule with a division by eps, PrimaryCap reshaping to (0, -1, dim), CapsuleLayer
# with Reshape's -4 codes, tile, a 5-D linalg_gemm2 with transpose_a, stop_gradient and three
# routing iterations); the margin loss is the paper's, written by us.
eps = np.finfo(float).eps


def squash(F, vectors, axis=-1):
    s_squared_norm = F.sum(F.square(vectors), axis, keepdims=True)
    scale = s_squared_norm / ((1 + s_squared_norm) * F.sqrt(s_squared_norm + eps))
    return F.broadcast_mul(scale, vectors)


def length(F, inputs):
    return F.sqrt(F.sum(F.square(inputs), -1))


def Mask(F, inputs):
    if isinstance(inputs, list):
        assert len(inputs) == 2
        inputs, mask = inputs
        mask = F.expand_dims(mask, -1)
    else:
        x = F.sqrt(F.sum(F.square(inputs), -1, True))
        x = (x - F.max(x, 1, True)) / eps + 1
        mask = F.clip(x, 0, 1)
    return F.elemwise_mul(inputs, mask)


class PrimaryCap(gluon.HybridBlock):
    def __init__(self, dim_capsule, n_channels, kernel_size, strides, padding, **kwargs):
        super(PrimaryCap, self).__init__(**kwargs)
        self.dim_capsule = dim_capsule
        with self.name_scope():
            self.conv2vec = nn.Conv2D(channels=dim_capsule * n_channels, kernel_size=kernel_size, strides=strides,
                                      padding=padding)

    def hybrid_forward(self, F, x):
        vecs = self.conv2vec(x)
        vecs = F.reshape(vecs, shape=(0, -1, self.dim_capsule))
        vecs = squash(F, vecs)
        return vecs


def matmul(F, m1, m2, axis=1):
    bmul = F.broadcast_mul(m1, m2)
    return F.sum(bmul, axis=axis, keepdims=True)


class CapsuleLayer(gluon.HybridBlock):
    def __init__(self, num_capsule, dim_capsule, num_routing=3, in_shape=None, weight_initializer=None,
                 bias_initializer='zeros', **kwargs):
        super(CapsuleLayer, self).__init__(**kwargs)
        with self.name_scope():
            self.num_routing = num_routing
            assert in_shape is not None, "in_shape should not be none"
            self.input_num_capsule = in_shape[-2]
            self.input_dim_capsule = in_shape[-1]
            self.batch_size = in_shape[0]
            self.num_capsule = num_capsule
            self.dim_capsule = dim_capsule
            self.weight = self.params.get('weight', shape=(1, self.input_num_capsule, num_capsule,
                                                           self.input_dim_capsule, dim_capsule),
                                          init=weight_initializer, allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight):
        inputs_expand = F.reshape(x, (0, 0, -4, -1, 1))
        inputs_expand = F.reshape(inputs_expand, (0, 0, -4, 1, -1, 0))
        inputs_tiled = F.tile(inputs_expand, (1, 1, self.num_capsule, 1, 1))
        w_tiled = F.tile(weight, (self.batch_size, 1, 1, 1, 1))
        inputs_hat = F.linalg_gemm2(w_tiled, inputs_tiled, transpose_a=True)
        inputs_hat = F.swapaxes(data=inputs_hat, dim1=3, dim2=4)
        inputs_hat_stopped = F.stop_gradient(inputs_hat)
        bias = F.zeros((self.batch_size, self.input_num_capsule, self.num_capsule, 1, 1))
        bias_ = F.stop_gradient(bias)
        for i in range(self.num_routing):
            c = F.softmax(bias_, axis=2)
            if i == self.num_routing - 1:
                bsum = matmul(F, c, inputs_hat)
                outputs = squash(F, bsum)
            else:
                bsum = matmul(F, c, inputs_hat_stopped)
                outputs = squash(F, bsum)
                bias_ = bias_ + matmul(F, c, inputs_hat_stopped, axis=4)
        outputs = F.reshape(outputs, (-1, self.num_capsule, self.dim_capsule))
        return outputs


class CapsNet(gluon.HybridBlock):
    def __init__(self, batch_size, **kwargs):
        super(CapsNet, self).__init__(**kwargs)
        with self.name_scope():
            self.conv = nn.Conv2D(8, 3, activation='relu')
            self.primary = PrimaryCap(dim_capsule=4, n_channels=2, kernel_size=3, strides=2, padding=0)
            self.digit = CapsuleLayer(num_capsule=3, dim_capsule=5, in_shape=(batch_size, 32, 4))

    def hybrid_forward(self, F, x):
        caps = self.digit(self.primary(self.conv(x)))
        return length(F, caps), caps


def capsnet():
    """Eager and hybridized: capsule lengths, the margin loss and the gradients; both forms of
    Mask fail (an elemwise_mul of (2, 3, 5) capsules by a (2, 3, 1) mask)."""
    rs = np.random.RandomState(71)
    x = nd.array(rs.uniform(0, 1, (2, 1, 12, 12)))
    y = nd.one_hot(nd.array([2, 0]), 3)
    out = {}
    for mode in ('eager', 'hybrid'):
        net = CapsNet(2)
        net.initialize()
        build(net, 72, x)
        if mode == 'hybrid':
            net.hybridize()
        with autograd.record():
            lengths, caps = net(x)
            loss = (y * nd.relu(0.9 - lengths) ** 2 + 0.5 * (1 - y) * nd.relu(lengths - 0.1) ** 2).sum(axis=1)
        loss.backward()
        out[mode] = {'lengths': L(lengths), 'caps': L(caps[0]), 'loss': L(loss), 'norms': norms(net)}
    for name, args in (('mask_label', [caps, y]), ('mask_max', caps)):
        try:
            Mask(nd, args)
        except Exception as e:          # noqa: BLE001 - the failure is the result
            out[name + '_error'] = type(e).__name__
    return out


# ---------------------------------------------------------------- 11 gluon-ts blocks
# awslabs/gluonts src/gluonts/mx/block/cnn.py (CausalConv1D handing its **kwargs to the Conv1D
# too, DilatedCausalGated, ResidualSequential iterating self._children in hybrid_forward and
# returning Python's sum), feature.py (FeatureEmbedder with name-mangled embedders registered by
# register_child, FeatureAssembler with lambdas and astype on Symbols), regularization.py
# (ActivationRegularizationLoss / TemporalActivationRegularizationLoss over *states, lists
# stacked, ``__pow__(2).mean(axis=1, exclude=True)``, add_n).
def _get_int(a):
    if isinstance(a, (list, tuple)):
        assert len(a) == 1
        return a[0]
    return a


class CausalConv1D(gluon.HybridBlock):
    def __init__(self, channels, kernel_size, dilation=1, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.dilation = _get_int(dilation)
        self.kernel_size = _get_int(kernel_size)
        self.padding = self.dilation * (self.kernel_size - 1)
        self.conv1d = nn.Conv1D(channels=channels, kernel_size=self.kernel_size, dilation=self.dilation,
                                padding=self.padding, activation=activation, **kwargs)

    def hybrid_forward(self, F, data):
        ct = self.conv1d(data)
        if self.kernel_size > 0:
            ct = F.slice_axis(ct, axis=2, begin=0, end=-self.padding)
        return ct


class DilatedCausalGated(gluon.HybridBlock):
    def __init__(self, inner_channels, out_channels, kernel_size, dilation, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = CausalConv1D(channels=inner_channels, kernel_size=kernel_size, dilation=dilation,
                                      activation="tanh")
            self.conv2 = CausalConv1D(channels=inner_channels, kernel_size=kernel_size, dilation=dilation,
                                      activation="sigmoid")
            self.output_conv = gluon.nn.Conv1D(channels=out_channels, kernel_size=1)

    def hybrid_forward(self, F, x):
        x1 = self.conv1(x)
        x2 = self.conv2(x)
        return self.output_conv(x1 * x2)


class ResidualSequential(gluon.nn.HybridSequential):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def hybrid_forward(self, F, x):
        outs = []
        for i, block in enumerate(self._children.values()):
            out = block(x)
            outs.append(out)
            if i == 0:
                x = out
            else:
                x = x + out
        return sum(outs)


class FeatureEmbedder(nn.HybridBlock):
    def __init__(self, cardinalities, embedding_dims, dtype=np.float32, **kwargs):
        super().__init__(**kwargs)
        self.__num_features = len(cardinalities)
        self.dtype = dtype

        def create_embedding(i, c, d):
            embedding = nn.Embedding(c, d, prefix=f"cat_{i}_embedding_", dtype=self.dtype)
            self.register_child(embedding)
            return embedding

        with self.name_scope():
            self.__embedders = [create_embedding(i, c, d)
                                for i, (c, d) in enumerate(zip(cardinalities, embedding_dims))]

    def hybrid_forward(self, F, features):
        if self.__num_features > 1:
            cat_feature_slices = F.split(features, axis=-1, num_outputs=self.__num_features)
        else:
            cat_feature_slices = [features]
        return F.concat(*[embed(F.squeeze(cat_feature_slice, axis=-1))
                          for embed, cat_feature_slice in zip(self.__embedders, cat_feature_slices)], dim=-1)


class FeatureAssembler(nn.HybridBlock):
    def __init__(self, T, use_static_cat=False, use_static_real=False, use_dynamic_cat=False,
                 use_dynamic_real=False, embed_static=None, embed_dynamic=None, dtype=np.float32, **kwargs):
        super().__init__(**kwargs)
        self.T = T
        self.dtype = dtype
        self.use_static_cat = use_static_cat
        self.use_static_real = use_static_real
        self.use_dynamic_cat = use_dynamic_cat
        self.use_dynamic_real = use_dynamic_real
        self.embed_static = embed_static or (lambda x: x)
        self.embed_dynamic = embed_dynamic or (lambda x: x)

    def hybrid_forward(self, F, feat_static_cat, feat_static_real, feat_dynamic_cat, feat_dynamic_real):
        processed_features = [self.process_static_cat(F, feat_static_cat),
                              self.process_static_real(F, feat_static_real),
                              self.process_dynamic_cat(F, feat_dynamic_cat),
                              self.process_dynamic_real(F, feat_dynamic_real)]
        return F.concat(*processed_features, dim=-1)

    def process_static_cat(self, F, feature):
        feature = self.embed_static(feature.astype(self.dtype))
        return F.tile(feature.expand_dims(axis=1), reps=(1, self.T, 1))

    def process_dynamic_cat(self, F, feature):
        return self.embed_dynamic(feature.astype(self.dtype))

    def process_static_real(self, F, feature):
        return F.tile(feature.expand_dims(axis=1), reps=(1, self.T, 1))

    def process_dynamic_real(self, F, feature):
        return feature


class ActivationRegularizationLoss(gluon.loss.Loss):
    def __init__(self, alpha=0.0, weight=None, batch_axis=1, time_axis=0, **kwargs):
        super(ActivationRegularizationLoss, self).__init__(weight, batch_axis, **kwargs)
        self._alpha = alpha
        self._batch_axis = batch_axis
        self._time_axis = time_axis

    def hybrid_forward(self, F, *states):
        if self._alpha != 0 and states:
            means = []
            for state in states:
                if isinstance(state, list):
                    state = F.stack(*state, axis=self._time_axis)
                means.append(self._alpha * state.__pow__(2).mean(axis=self._batch_axis, exclude=True))
            return F.add_n(*means)
        return F.zeros(1)


class TemporalActivationRegularizationLoss(gluon.loss.Loss):
    def __init__(self, beta=0, weight=None, batch_axis=1, time_axis=0, **kwargs):
        super(TemporalActivationRegularizationLoss, self).__init__(weight, batch_axis, **kwargs)
        self._beta = beta
        self._batch_axis = batch_axis
        self._time_axis = time_axis

    def hybrid_forward(self, F, *states):
        if self._beta != 0 and states:
            means = []
            for state in states:
                if isinstance(state, list):
                    state = F.stack(*state, axis=self._time_axis)
                sub_state_1 = F.slice_axis(state, axis=self._time_axis, begin=1, end=None)
                sub_state_2 = F.slice_axis(state, axis=self._time_axis, begin=0, end=-1)
                sub_state_diff = F.elemwise_sub(sub_state_1, sub_state_2)
                means.append(self._beta * sub_state_diff.__pow__(2).mean(axis=self._batch_axis, exclude=True))
            return F.add_n(*means)
        return F.zeros(1)


def gluonts_blocks():
    """Eager and hybridized: the WaveNet-style convolutions (outputs, gradients, parameter
    names), the feature embedders and assembler, the AR / TAR regularization losses."""
    rs = np.random.RandomState(81)
    x = nd.array(rs.uniform(-1, 1, (2, 3, 7)))
    static_cat = nd.array([[1], [0]])
    static_real = nd.array(rs.uniform(-1, 1, (2, 2)))
    dynamic_cat = nd.array(rs.randint(0, 3, (2, 5, 2)))
    dynamic_real = nd.array(rs.uniform(-1, 1, (2, 5, 1)))
    states = nd.array(rs.uniform(-1, 1, (4, 2, 3)))
    state_list = [nd.array(rs.uniform(-1, 1, (2, 3))) for _ in range(4)]
    out = {}
    for mode in ('eager', 'hybrid'):
        causal = CausalConv1D(channels=3, kernel_size=2, dilation=2, activation='relu', prefix='causal_')
        gated = DilatedCausalGated(inner_channels=4, out_channels=3, kernel_size=2, dilation=1, prefix='gated_')
        residual = ResidualSequential(prefix='res_')
        with residual.name_scope():
            residual.add(CausalConv1D(3, 2, dilation=1), CausalConv1D(3, 2, dilation=2))
        embed_static = FeatureEmbedder(cardinalities=[2], embedding_dims=[3], prefix='embed_static_')
        embed_dynamic = FeatureEmbedder(cardinalities=[3, 4], embedding_dims=[2, 3], prefix='embed_dynamic_')
        assemble = FeatureAssembler(T=5, embed_static=embed_static, embed_dynamic=embed_dynamic)
        ar, tar = ActivationRegularizationLoss(alpha=2.0), TemporalActivationRegularizationLoss(beta=1.5)
        res = {}
        for seed, (name, blk, inputs) in enumerate((('causal', causal, (x,)), ('gated', gated, (x,)),
                                                    ('residual', residual, (x,)),
                                                    ('assemble', assemble, (static_cat, static_real, dynamic_cat,
                                                                            dynamic_real)))):
            blk.initialize()
            if name == 'assemble':          # its embedders are children: set each on its own
                with autograd.train_mode():
                    blk(*inputs)
                for emb in (embed_static, embed_dynamic):
                    set_params(emb, 90 + len(emb.collect_params().keys()))
            else:
                build(blk, 82 + seed, *inputs)
            if mode == 'hybrid':
                blk.hybridize()
                if name == 'assemble':
                    embed_static.hybridize()
                    embed_dynamic.hybridize()
            if name != 'assemble':          # (MXNet refuses an Embedding's index gradient)
                inputs[0].attach_grad()
            with autograd.record():
                y = blk(*inputs)
            y.backward()
            res[name] = {'y': L(y), 'params': sorted(blk.collect_params().keys())}
            if name != 'assemble':
                res[name]['xgrad'] = L(inputs[0].grad)
                res[name]['norms'] = norms(blk)
        res['embed_params'] = [sorted(embed_static.collect_params().keys()),
                               sorted(embed_dynamic.collect_params().keys())]
        res['embed_grads'] = norms(embed_dynamic)['grad']
        if mode == 'hybrid':
            ar.hybridize()
            tar.hybridize()
        states.attach_grad()
        with autograd.record():
            loss = ar(states, state_list) + tar(states, state_list)
        loss.backward()
        res['ar_tar'] = [L(loss), L(states.grad), L(TemporalActivationRegularizationLoss()(states))]
        out[mode] = res
    return out



# ---------------------------------------------------------------- 12 pix2pix
# A public Gluon pix2pix models file (UnetSkipUnit nesting a block built outside its name scope,
# blocks made in one name scope and added to a HybridSequential in another, BatchNorm(momentum=.1,
# in_channels=...), Conv2DTranspose, the PatchGAN Discriminator) and the Straight Dope's pix2pix
# chapter (param_init by parameter name with initialize + set_data per Parameter, ImagePool.query
# inside record(), SigmoidBinaryCrossEntropyLoss + lambda * L1Loss, Adam with beta1=0.5).
class UnetSkipUnit(HybridBlock):
    def __init__(self, inner_channels, outer_channels, inner_block=None, innermost=False, outermost=False,
                 use_dropout=False, use_bias=False):
        super(UnetSkipUnit, self).__init__()
        with self.name_scope():
            self.outermost = outermost
            en_conv = nn.Conv2D(channels=inner_channels, kernel_size=4, strides=2, padding=1,
                                in_channels=outer_channels, use_bias=use_bias)
            en_relu = nn.LeakyReLU(alpha=.2)
            en_norm = nn.BatchNorm(momentum=.1, in_channels=inner_channels)
            de_relu = nn.Activation(activation='relu')
            de_norm = nn.BatchNorm(momentum=.1, in_channels=outer_channels)
            if innermost:
                de_conv = nn.Conv2DTranspose(channels=outer_channels, kernel_size=4, strides=2, padding=1,
                                             in_channels=inner_channels, use_bias=use_bias)
                model = [en_relu, en_conv] + [de_relu, de_conv, de_norm]
            elif outermost:
                de_conv = nn.Conv2DTranspose(channels=outer_channels, kernel_size=4, strides=2, padding=1,
                                             in_channels=inner_channels * 2)
                model = [en_conv] + [inner_block] + [de_relu, de_conv, nn.Activation(activation='tanh')]
            else:
                de_conv = nn.Conv2DTranspose(channels=outer_channels, kernel_size=4, strides=2, padding=1,
                                             in_channels=inner_channels * 2, use_bias=use_bias)
                model = [en_relu, en_conv, en_norm] + [inner_block] + [de_relu, de_conv, de_norm]
            if use_dropout:
                model += [nn.Dropout(rate=.5)]
            self.model = nn.HybridSequential()
            with self.model.name_scope():
                for block in model:
                    self.model.add(block)

    def hybrid_forward(self, F, x):
        if self.outermost:
            return self.model(x)
        return F.concat(self.model(x), x, dim=1)


class UnetGenerator(HybridBlock):
    def __init__(self, in_channels, num_downs, ngf=64, use_dropout=True):
        super(UnetGenerator, self).__init__()
        unet = UnetSkipUnit(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            unet = UnetSkipUnit(ngf * 8, ngf * 8, unet, use_dropout=use_dropout)
        unet = UnetSkipUnit(ngf * 8, ngf * 4, unet)
        unet = UnetSkipUnit(ngf * 4, ngf * 2, unet)
        unet = UnetSkipUnit(ngf * 2, ngf * 1, unet)
        unet = UnetSkipUnit(ngf, in_channels, unet, outermost=True)
        with self.name_scope():
            self.model = unet

    def hybrid_forward(self, F, x):
        return self.model(x)


class PatchDiscriminator(HybridBlock):
    def __init__(self, in_channels, ndf=64, n_layers=1, use_sigmoid=False, use_bias=False):
        super(PatchDiscriminator, self).__init__()
        with self.name_scope():
            self.model = nn.HybridSequential()
            kernel_size = 4
            padding = int(np.ceil((kernel_size - 1) / 2))
            self.model.add(nn.Conv2D(channels=ndf, kernel_size=kernel_size, strides=2, padding=padding,
                                     in_channels=in_channels))
            self.model.add(nn.LeakyReLU(alpha=.2))
            nf_mult = 1
            for n in range(1, n_layers):
                nf_mult_prev = nf_mult
                nf_mult = min(2 ** n, 8)
                self.model.add(nn.Conv2D(channels=ndf * nf_mult, kernel_size=kernel_size, strides=2,
                                         padding=padding, in_channels=ndf * nf_mult_prev, use_bias=use_bias))
                self.model.add(nn.BatchNorm(momentum=.1, in_channels=ndf * nf_mult))
                self.model.add(nn.LeakyReLU(alpha=.2))
            nf_mult_prev = nf_mult
            nf_mult = min(2 ** n_layers, 8)
            self.model.add(nn.Conv2D(channels=ndf * nf_mult, kernel_size=kernel_size, strides=1, padding=padding,
                                     in_channels=ndf * nf_mult_prev, use_bias=use_bias))
            self.model.add(nn.BatchNorm(momentum=.1, in_channels=ndf * nf_mult))
            self.model.add(nn.LeakyReLU(alpha=.2))
            self.model.add(nn.Conv2D(channels=1, kernel_size=kernel_size, strides=1, padding=padding,
                                     in_channels=ndf * nf_mult))
            if use_sigmoid:
                self.model.add(nn.Activation(activation='sigmoid'))

    def hybrid_forward(self, F, x):
        return self.model(x)


def param_init(param, ctx):
    if param.name.find('conv') != -1:
        if param.name.find('weight') != -1:
            param.initialize(init=mx.init.Normal(0.02), ctx=ctx)
        else:
            param.initialize(init=mx.init.Zero(), ctx=ctx)
    elif param.name.find('batchnorm') != -1:
        param.initialize(init=mx.init.Zero(), ctx=ctx)
        if param.name.find('gamma') != -1:
            param.set_data(nd.random_normal(1, 0.02, param.data().shape))


class ImagePool():
    def __init__(self, pool_size):
        self.pool_size = pool_size
        if self.pool_size > 0:
            self.num_imgs = 0
            self.images = []

    def query(self, images):
        if self.pool_size == 0:
            return images
        ret_imgs = []
        for i in range(images.shape[0]):
            image = nd.expand_dims(images[i], axis=0)
            if self.num_imgs < self.pool_size:
                self.num_imgs = self.num_imgs + 1
                self.images.append(image)
                ret_imgs.append(image)
            else:                       # (a random swap once the pool is full: not reached here)
                ret_imgs.append(image)
        return nd.concat(*ret_imgs, dim=0)


def pix2pix():
    """Two pix2pix iterations, eager and hybridized: the discriminator and generator losses, the
    generator's output, parameter norms, the pool's content and the parameter names' shape."""
    ctx = mx.cpu()
    rs = np.random.RandomState(101)
    real_in = nd.array(rs.uniform(-1, 1, (2, 3, 32, 32)))
    real_out = nd.array(rs.uniform(-1, 1, (2, 3, 32, 32)))
    out = {}
    for mode in ('eager', 'hybrid'):
        netG = UnetGenerator(in_channels=3, num_downs=5, ngf=2, use_dropout=False)
        netD = PatchDiscriminator(in_channels=6, ndf=2, n_layers=2)
        for net, seed in ((netG, 102), (netD, 103)):
            for param in net.collect_params().values():
                param_init(param, ctx)
            set_params(net, seed)
            if mode == 'hybrid':
                net.hybridize()
        trainerG = gluon.Trainer(netG.collect_params(), 'adam', {'learning_rate': 0.01, 'beta1': 0.5})
        trainerD = gluon.Trainer(netD.collect_params(), 'adam', {'learning_rate': 0.01, 'beta1': 0.5})
        GAN_loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
        L1_loss = gluon.loss.L1Loss()
        image_pool = ImagePool(50)
        lambda1 = 100
        res = {'names': [len(netG.collect_params().keys()), len(netD.collect_params().keys())]}
        for it in range(2):
            with autograd.record():
                fake_out = netG(real_in)
                fake_concat = image_pool.query(nd.concat(real_in, fake_out, dim=1))
                output = netD(fake_concat)
                fake_label = nd.zeros(output.shape, ctx=ctx)
                errD_fake = GAN_loss(output, fake_label)
                real_concat = nd.concat(real_in, real_out, dim=1)
                output = netD(real_concat)
                real_label = nd.ones(output.shape, ctx=ctx)
                errD_real = GAN_loss(output, real_label)
                errD = (errD_real + errD_fake) * 0.5
                errD.backward()
            trainerD.step(real_in.shape[0])
            with autograd.record():
                fake_out = netG(real_in)
                fake_concat = nd.concat(real_in, fake_out, dim=1)
                output = netD(fake_concat)
                real_label = nd.ones(output.shape, ctx=ctx)
                errG = GAN_loss(output, real_label) + L1_loss(real_out, fake_out) * lambda1
                errG.backward()
            trainerG.step(real_in.shape[0])
            res['it%d' % it] = {'errD': L(errD), 'errG': L(errG), 'out_shape': list(output.shape)}
        res['fake'] = L(fake_out[0, 0, :2, :4])
        res['G'] = norms(netG)
        res['D'] = norms(netD)
        res['pool'] = [image_pool.num_imgs, float(sum(img.sum().asscalar() for img in image_pool.images))]
        out[mode] = res
    return out



# ---------------------------------------------------------------- 13 gluon-ts low-rank Gaussian
# awslabs/gluonts src/gluonts/mx/distribution/lowrank_multivariate_gaussian.py (capacitance matrix
# by linalg_gemm2 / potrf, sumlogdiag, trsm, ``F.eye``, ``dim`` as an array from
# ``ones_like(mu).sum(axis=-1).max()``, ``squeeze()``, the domain map's ``reshape((-2, dim, rank,
# -4), reverse=1)``) and distribution_output.py (ArgProj: Dense layers prefixed
# ``f"{prefix}_distr_{name}_"`` registered by register_child, a HybridLambda over a bound method);
# the training block around them is ours (GPVAR's loss, -log_prob).
def getF(var):
    if isinstance(var, mx.nd.NDArray):
        return mx.nd
    return mx.sym


def capacitance_tril(F, rank, W, D):
    Wt_D_inv_t = F.broadcast_div(W, D.expand_dims(axis=-1))
    K = F.linalg_gemm2(Wt_D_inv_t, W, transpose_a=True)
    Id = F.broadcast_mul(F.ones_like(K), F.eye(rank))
    return F.linalg.potrf(K + Id)


def log_det(F, batch_D, batch_capacitance_tril):
    log_D = batch_D.log().sum(axis=-1)
    log_C = 2 * F.linalg.sumlogdiag(batch_capacitance_tril)
    return log_C + log_D


def mahalanobis_distance(F, W, D, capacitance_tril, x):
    xx = x.expand_dims(axis=-1)
    Wt_Dinv_x = F.linalg_gemm2(F.broadcast_div(W, D.expand_dims(axis=-1)), xx, transpose_a=True)
    maholanobis_D_inv = F.broadcast_div(x.square(), D).sum(axis=-1)
    L_inv_Wt_Dinv_x = F.linalg_trsm(capacitance_tril, Wt_Dinv_x).squeeze(axis=-1)
    maholanobis_L = L_inv_Wt_Dinv_x.square().sum(axis=-1).squeeze()
    return F.broadcast_minus(maholanobis_D_inv, maholanobis_L)


def lowrank_log_likelihood(rank, mu, D, W, x):
    F = getF(mu)
    dim = F.ones_like(mu).sum(axis=-1).max()
    dim_factor = dim * math.log(2 * math.pi)
    if W is not None:
        batch_capacitance_tril = capacitance_tril(F=F, rank=rank, W=W, D=D)
        log_det_factor = log_det(F=F, batch_D=D, batch_capacitance_tril=batch_capacitance_tril)
        mahalanobis_factor = mahalanobis_distance(F=F, W=W, D=D, capacitance_tril=batch_capacitance_tril, x=x - mu)
    else:
        log_det_factor = D.log().sum(axis=-1)
        x_centered = x - mu
        mahalanobis_factor = F.broadcast_div(x_centered.square(), D).sum(axis=-1)
    return -0.5 * (F.broadcast_add(dim_factor, log_det_factor) + mahalanobis_factor)


class LowrankMultivariateGaussian(object):
    def __init__(self, dim, rank, mu, D, W=None):
        self.dim = dim
        self.rank = rank
        self.mu = mu
        self.D = D
        self.W = W
        self.Cov = None

    @property
    def F(self):
        return getF(self.mu)

    def log_prob(self, x):
        return lowrank_log_likelihood(rank=self.rank, mu=self.mu, D=self.D, W=self.W, x=x)

    @property
    def variance(self):
        F = self.F
        if self.Cov is not None:
            return self.Cov
        D_matrix = self.D.expand_dims(-1) * F.eye(self.dim)
        if self.W is not None:
            W_matrix = F.linalg_gemm2(self.W, self.W, transpose_b=True)
            self.Cov = D_matrix + W_matrix
        else:
            self.Cov = D_matrix
        return self.Cov


class ArgProj(gluon.HybridBlock):
    def __init__(self, args_dim, domain_map, dtype=np.float32, prefix=None, **kwargs):
        super().__init__(**kwargs)
        self.args_dim = args_dim
        self.dtype = dtype
        self.proj = [gluon.nn.Dense(dim, flatten=False, dtype=self.dtype, prefix=f"{prefix}_distr_{name}_")
                     for name, dim in args_dim.items()]
        for dense in self.proj:
            self.register_child(dense)
        self.domain_map = domain_map

    def hybrid_forward(self, F, x, **kwargs):
        params_unbounded = [proj(x) for proj in self.proj]
        return self.domain_map(*params_unbounded)


def inv_softplus(y):
    if y < 20.0:
        return np.log(np.exp(y) - 1)
    return y


class LowrankMultivariateGaussianOutput(object):
    def __init__(self, dim, rank, sigma_init=1.0, sigma_minimum=1e-3):
        self.distr_cls = LowrankMultivariateGaussian
        self.dim = dim
        self.rank = rank
        if rank == 0:
            self.args_dim = {"mu": dim, "D": dim}
        else:
            self.args_dim = {"mu": dim, "D": dim, "W": dim * rank}
        self.mu_bias = 0.0
        self.sigma_init = sigma_init
        self.sigma_minimum = sigma_minimum

    def get_args_proj(self, prefix=None):
        return ArgProj(args_dim=self.args_dim, domain_map=gluon.nn.HybridLambda(self.domain_map), prefix=prefix)

    def distribution(self, distr_args, loc=None, scale=None, **kwargs):
        return LowrankMultivariateGaussian(self.dim, self.rank, *distr_args)

    def domain_map(self, F, mu_vector, D_vector, W_vector=None):
        d_bias = inv_softplus(self.sigma_init ** 2) if self.sigma_init > 0.0 else 0.0
        D_diag = F.Activation(D_vector + d_bias, act_type="softrelu") + self.sigma_minimum ** 2
        if self.rank == 0:
            return mu_vector + self.mu_bias, D_diag
        W_matrix = W_vector.reshape((-2, self.dim, self.rank, -4), reverse=1)
        return mu_vector + self.mu_bias, D_diag, W_matrix


class _GPVARLoss(HybridBlock):
    """Ours: features -> distribution arguments -> negative log-likelihood of the targets."""

    def __init__(self, distr_output, **kwargs):
        super().__init__(**kwargs)
        self.distr_output = distr_output
        with self.name_scope():
            self.proj = distr_output.get_args_proj()

    def hybrid_forward(self, F, features, target):
        distr = self.distr_output.distribution(self.proj(features))
        return -distr.log_prob(target)


def gluonts_lowrank():
    """Ranks 2 and 0, eager and hybridized: the negative log-likelihood, the covariance, the
    gradients of the projection and of the features; parameter names."""
    rs = np.random.RandomState(111)
    features = nd.array(rs.uniform(-1, 1, (2, 3, 5)))
    target = nd.array(rs.normal(0, 1, (2, 3, 4)))
    out = {}
    for rank in (2, 0):
        for mode in ('eager', 'hybrid'):
            block = _GPVARLoss(LowrankMultivariateGaussianOutput(dim=4, rank=rank, sigma_init=0.5))
            block.initialize()
            build(block, 112 + rank, features, target)
            if mode == 'hybrid':
                block.hybridize()
            features.attach_grad()
            with autograd.record():
                nll = block(features, target)
            nll.backward()
            cov = block.distr_output.distribution(block.proj(features)).variance    # (eager only: a
            # Symbol's '*' does not broadcast its (..., 4, 1) by (4, 4) on MXNet)
            out['rank%d_%s' % (rank, mode)] = {
                'nll': L(nll), 'cov': L(cov[0, 0]), 'xgrad': L(features.grad[0]), 'norms': norms(block),
                'params': sorted(re.sub(r'^[a-z]+\d+_', '', k) for k in block.collect_params().keys())}
    return out



# ---------------------------------------------------------------- 14 GluonNLP GPT-2
# dmlc/gluon-nlp scripts/text_generation/model/gpt.py (GPT2SelfAttentionLayer's causal mask from
# contrib.arange_like and broadcast_lesser_equal / broadcast_like, past keys and values as states,
# Reshape's -4 and reverse=True; GPT2FFNLayer; GPT2Model with logits tied to the embedding by
# ``params=self._embed.params``, int32 positions, ``self._final_ln`` set in the loop); GELU and
# DotProductAttentionCell as gluonnlp/model/block.py and attention_cell.py write them.
class GELU(HybridBlock):
    def __init__(self, approximate=False, prefix=None, params=None):
        super(GELU, self).__init__(prefix=prefix, params=params)
        self._approximate = approximate

    def hybrid_forward(self, F, x):
        if self._approximate:
            return 0.5 * x * (1 + F.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * (x ** 3))))
        return F.LeakyReLU(x, act_type='gelu')


def _masked_softmax(F, att_score, mask):
    if mask is not None:
        att_score = F.where(mask, att_score, -1e18 * F.ones_like(att_score))
        return F.softmax(att_score, axis=-1) * mask
    return F.softmax(att_score, axis=-1)


class DotProductAttentionCell(HybridBlock):
    def __init__(self, scaled=True, dropout=0.0, prefix=None, params=None):
        super(DotProductAttentionCell, self).__init__(prefix=prefix, params=params)
        self._scaled = scaled
        self._dropout_layer = nn.Dropout(dropout)

    def _compute_weight(self, F, query, key, mask=None):
        if self._scaled:
            query = F.contrib.div_sqrt_dim(query)
        att_score = F.batch_dot(query, key, transpose_b=True)
        return self._dropout_layer(_masked_softmax(F, att_score, mask))

    def hybrid_forward(self, F, query, key, value=None, mask=None):
        if value is None:
            value = key
        att_weights = self._compute_weight(F, query, key, mask)
        return F.batch_dot(att_weights, value), att_weights


class GPT2SelfAttentionLayer(HybridBlock):
    def __init__(self, units, num_heads, dropout=0.0, weight_initializer=mx.init.Normal(0.02),
                 bias_initializer='zeros', prefix=None, params=None):
        super(GPT2SelfAttentionLayer, self).__init__(prefix=prefix, params=params)
        self._units = units
        self._num_heads = num_heads
        with self.name_scope():
            self._multi_head_qkv_proj = nn.Dense(units=units * 3, flatten=False, use_bias=True,
                                                 weight_initializer=weight_initializer,
                                                 bias_initializer=bias_initializer, prefix='qkv_proj_')
            self._base_attn_cell = DotProductAttentionCell(scaled=True, dropout=dropout, prefix='attn_')
            self._dropout_layer = nn.Dropout(dropout)
            self._out_proj = nn.Dense(units=units, flatten=False, use_bias=True, weight_initializer=weight_initializer,
                                      bias_initializer=bias_initializer, prefix='out_proj_')

    def hybrid_forward(self, F, data, states=None):
        if states is not None:
            prev_key, prev_value = states
            prev_len_range = F.contrib.arange_like(prev_key, axis=2)
            data_len_range = F.contrib.arange_like(data, axis=1)
            prev_len = F.broadcast_add(F.slice_axis(prev_len_range, axis=0, begin=-1, end=None), F.ones((1, )))
            data_pos = F.broadcast_add(F.contrib.arange_like(data, axis=1), prev_len)
            all_pos = F.contrib.arange_like(F.concat(prev_len_range, data_len_range, dim=0))
        else:
            prev_key, prev_value = None, None
            data_pos = F.contrib.arange_like(data, axis=1)
            all_pos = data_pos
        mask = F.broadcast_lesser_equal(all_pos.reshape((1, -1)), data_pos.reshape((-1, 1)))
        mask = F.broadcast_like(F.expand_dims(mask, axis=0), data, lhs_axes=(0, ), rhs_axes=(0, ))
        mask = F.concat(*[mask] * self._num_heads, dim=0)
        qkv = self._multi_head_qkv_proj(data)
        qkv = F.swapaxes(qkv, 1, 2)
        query, key, value = F.split(qkv, num_outputs=3, axis=1)
        query = query.reshape(shape=(0, -4, self._num_heads, -1, 0)).reshape(shape=(-1, 0, 0), reverse=True)
        key = key.reshape(shape=(0, -4, self._num_heads, -1, 0)).reshape(shape=(-1, 0, 0), reverse=True)
        value = value.reshape(shape=(0, -4, self._num_heads, -1, 0)).reshape(shape=(-1, 0, 0), reverse=True)
        query = F.swapaxes(query, 1, 2)
        key = F.swapaxes(key, 1, 2)
        value = F.swapaxes(value, 1, 2)
        if prev_key is not None:
            key = F.concat(prev_key.reshape((-1, 0, 0), reverse=True), key, dim=1)
        if prev_value is not None:
            value = F.concat(prev_value.reshape((-1, 0, 0), reverse=True), value, dim=1)
        out, _ = self._base_attn_cell(query, key, value, mask)
        out = F.transpose(out.reshape((-1, self._num_heads, 0, 0), reverse=True), axes=(0, 2, 1, 3)).reshape((0, 0, -1))
        out = self._out_proj(out)
        return out, [key.reshape((-1, self._num_heads, 0, 0), reverse=True),
                     value.reshape((-1, self._num_heads, 0, 0), reverse=True)]


class GPT2FFNLayer(HybridBlock):
    def __init__(self, units, hidden_size, weight_initializer=mx.init.Normal(0.02), bias_initializer='zeros',
                 prefix=None, params=None):
        super(GPT2FFNLayer, self).__init__(prefix=prefix, params=params)
        self._units = units
        self._hidden_size = hidden_size
        with self.name_scope():
            self._hidden_map = nn.Dense(flatten=False, units=hidden_size, weight_initializer=weight_initializer,
                                        bias_initializer=bias_initializer)
            self._out_map = nn.Dense(flatten=False, units=units, weight_initializer=weight_initializer,
                                     bias_initializer=bias_initializer)
            self._act = GELU(approximate=True)

    def hybrid_forward(self, F, data):
        return self._out_map(self._act(self._hidden_map(data)))


class GPT2Model(HybridBlock):
    def __init__(self, units, vocab_size, max_length, num_layers, num_heads, dropout=0.0, prefix=None, params=None):
        super(GPT2Model, self).__init__(prefix=prefix, params=params)
        self._units = units
        self._max_length = max_length
        self._num_layers = num_layers
        self._num_heads = num_heads
        with self.name_scope():
            self._pos_embed = nn.Embedding(input_dim=max_length, output_dim=units,
                                           weight_initializer=mx.init.Normal(0.01), prefix='pos_embed_')
            self._embed = nn.Embedding(input_dim=vocab_size, output_dim=units, prefix='embed_',
                                       weight_initializer=mx.init.Normal(0.02))
            self._logits_proj = nn.Dense(units=vocab_size, in_units=units, use_bias=False, flatten=False,
                                         params=self._embed.params)
            self._self_attention_layers = nn.HybridSequential()
            self._ffn_layers = nn.HybridSequential()
            self._attn_ln = nn.HybridSequential()
            self._ffn_ln = nn.HybridSequential()
            for i in range(num_layers):
                self._self_attention_layers.add(GPT2SelfAttentionLayer(
                    units=units, num_heads=num_heads, dropout=dropout, prefix='self_attn{}_'.format(i)))
                self._ffn_layers.add(GPT2FFNLayer(units=units, hidden_size=units * 4, prefix='ffn{}_'.format(i)))
                self._attn_ln.add(nn.LayerNorm(prefix='attn_ln{}_'.format(i)))
                self._ffn_ln.add(nn.LayerNorm(prefix='ffn_ln{}_'.format(i)))
                self._final_ln = nn.LayerNorm(prefix='final_ln{}_'.format(i))

    def hybrid_forward(self, F, data, states=None):
        new_states = []
        if states is not None:
            prev_len_range = F.contrib.arange_like(states[0], axis=2).astype('int32')
            prev_len = F.broadcast_add(F.slice_axis(prev_len_range, axis=0, begin=-1, end=None),
                                       F.ones((1, ), dtype='int32'))
            data_pos = F.broadcast_add(F.contrib.arange_like(data, axis=1).astype('int32'), prev_len)
        else:
            data_pos = F.contrib.arange_like(data, axis=1).astype('int32')
        if F is mx.nd:
            length = data.shape[1] + (states[0].shape[2] if states is not None else 0)
            assert length <= self._max_length
        data_pos = F.broadcast_like(F.expand_dims(data_pos, axis=0), data.astype('int32'),
                                    lhs_axes=(0, ), rhs_axes=(0, ))
        out = self._embed(data) + self._pos_embed(data_pos)
        for i in range(self._num_layers):
            attn_layer = self._self_attention_layers[i]
            ffn_layer = self._ffn_layers[i]
            attn_ln = self._attn_ln[i]
            ffn_ln = self._ffn_ln[i]
            layer_states = None if states is None else states[2 * i:(2 * i + 2)]
            h, new_layer_states = attn_layer(attn_ln(out), layer_states)
            out = out + h
            h = ffn_layer(ffn_ln(out))
            out = out + h
            new_states.extend(new_layer_states)
        out = self._final_ln(out)
        logits = self._logits_proj(out)
        return logits, new_states


def gpt2():
    """A tiny GPT-2: the LM loss on a prompt and its gradients (the tied embedding's), then greedy
    decoding one token at a time from the past keys and values, which must agree with running the
    whole sequence; eager, and hybridized (one model per argument structure)."""
    rs = np.random.RandomState(121)
    tokens = nd.array(rs.randint(0, 11, (2, 4)))
    out = {}
    for mode in ('eager', 'hybrid'):
        net = GPT2Model(units=8, vocab_size=11, max_length=12, num_layers=2, num_heads=2, prefix='gpt2_')
        net.initialize()
        build(net, 122, tokens)
        if mode == 'hybrid':
            net.hybridize()
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        with autograd.record():
            logits, states = net(tokens[:, :-1])
            loss = loss_fn(logits, tokens[:, 1:])
        loss.backward()
        res = {'loss': L(loss), 'norms': norms(net), 'state_shapes': [list(st.shape) for st in states],
               'tied': net._logits_proj.weight is net._embed.weight,
               'params': sorted(net.collect_params().keys())}
        step_net = net
        if mode == 'hybrid':            # a second hybridized model for the states structure
            step_net = GPT2Model(units=8, vocab_size=11, max_length=12, num_layers=2, num_heads=2, prefix='gpt2_',
                                 params=net.collect_params())
            step_net.hybridize()
        seq = tokens[:, :2]
        logits, states = net(seq)
        generated = []
        for _ in range(3):
            nxt = logits[:, -1:].argmax(axis=-1)
            generated.append(L(nxt))
            seq = nd.concat(seq, nxt, dim=1)
            logits, states = step_net(nxt, states)
        res['generated'] = generated
        res['last_logits'] = L(logits[:, -1])
        res['full_logits'] = L(net(seq)[0][:, -1])
        out[mode] = res
    return out



# ---------------------------------------------------------------- 15 gluon-ts mixtures
# awslabs/gluonts src/gluonts/mx/distribution/mixture.py (MixtureDistribution: shape checks on
# NDArrays only, log-sum-exp over F.stack-ed component log-likelihoods, mean / stddev through
# ``broadcast_mul(..., axis=-1)``; MixtureArgs: a HybridLambda("softmax") and component ArgProjs
# registered by register_child), gaussian.py, neg_binomial.py (gammaln / log1p; its scaled
# ``distribution`` passes NegativeBinomial a third argument), distribution.py (softplus, getF)
# and distribution_output.py (Output.eps); the training block around them is ours.
def softplus(F, x):
    return F.Activation(x, act_type="softrelu")


class _Output(object):
    _dtype = np.float32

    @classmethod
    def eps(cls):
        return np.finfo(cls._dtype).eps

    def get_args_proj(self, prefix=None):
        return ArgProj(args_dim=self.args_dim, domain_map=gluon.nn.HybridLambda(self.domain_map), prefix=prefix)

    def distribution(self, distr_args, loc=None, scale=None):
        return self.distr_cls(*distr_args)


class Gaussian(object):
    def __init__(self, mu, sigma):
        self.mu = mu
        self.sigma = sigma

    @property
    def F(self):
        return getF(self.mu)

    @property
    def batch_shape(self):
        return self.mu.shape

    def log_prob(self, x):
        F = self.F
        mu, sigma = self.mu, self.sigma
        return -1.0 * (F.log(sigma) + 0.5 * math.log(2 * math.pi) + 0.5 * F.square((x - mu) / sigma))

    @property
    def mean(self):
        return self.mu

    @property
    def stddev(self):
        return self.sigma


class GaussianOutput(_Output):
    args_dim = {"mu": 1, "sigma": 1}
    distr_cls = Gaussian

    @classmethod
    def domain_map(cls, F, mu, sigma):
        sigma = softplus(F, sigma)
        return mu.squeeze(axis=-1), sigma.squeeze(axis=-1)


class NegativeBinomial(object):
    def __init__(self, mu, alpha):
        self.mu = mu
        self.alpha = alpha

    @property
    def F(self):
        return getF(self.mu)

    @property
    def batch_shape(self):
        return self.mu.shape

    def log_prob(self, x):
        alphaInv = 1.0 / self.alpha
        alpha_times_mu = self.alpha * self.mu
        F = self.F
        return (x * F.log(alpha_times_mu / (1.0 + alpha_times_mu)) - alphaInv * F.log1p(alpha_times_mu)
                + F.gammaln(x + alphaInv) - F.gammaln(x + 1.0) - F.gammaln(alphaInv))

    @property
    def mean(self):
        return self.mu

    @property
    def stddev(self):
        return self.F.sqrt(self.mu * (1.0 + self.mu * self.alpha))


class NegativeBinomialOutput(_Output):
    args_dim = {"mu": 1, "alpha": 1}
    distr_cls = NegativeBinomial

    @classmethod
    def domain_map(cls, F, mu, alpha):
        mu = F.maximum(softplus(F, mu), cls.eps())
        alpha = F.maximum(softplus(F, alpha), cls.eps())
        return mu.squeeze(axis=-1), alpha.squeeze(axis=-1)

    def distribution(self, distr_args, loc=None, scale=None):
        mu, alpha = distr_args
        if scale is None:
            return NegativeBinomial(mu, alpha)
        F = getF(mu)
        mu = F.broadcast_mul(mu, scale)
        return NegativeBinomial(mu, alpha, F)


class MixtureDistribution(object):
    def __init__(self, mixture_probs, components, F=None):
        self.mixture_probs = mixture_probs
        self.components = components
        if not isinstance(mixture_probs, mx.sym.Symbol):
            assert np.all([d.batch_shape == self.batch_shape for d in components[1:]]), \
                "All component distributions must have the same batch_shape."
            expected_shape = self.batch_shape + (len(components),)
            assert len(expected_shape) == len(mixture_probs.shape)
            for expected_dim, given_dim in zip(expected_shape, mixture_probs.shape):
                assert (expected_dim == given_dim) or given_dim == 1

    @property
    def F(self):
        return getF(self.mixture_probs)

    @property
    def batch_shape(self):
        return self.components[0].batch_shape

    def log_prob(self, x):
        F = self.F
        log_mix_weights = F.log(self.mixture_probs)
        component_log_likelihood = F.stack(*[c.log_prob(x) for c in self.components], axis=-1)
        summands = log_mix_weights + component_log_likelihood
        max_val = F.max_axis(summands, axis=-1, keepdims=True)
        sum_exp = F.sum(F.exp(F.broadcast_minus(summands, max_val)), axis=-1, keepdims=True)
        log_sum_exp = F.log(sum_exp) + max_val
        return log_sum_exp.squeeze(axis=-1)

    @property
    def mean(self):
        F = self.F
        mean_values = F.stack(*[c.mean for c in self.components], axis=-1)
        return F.sum(F.broadcast_mul(mean_values, self.mixture_probs, axis=-1), axis=-1)

    @property
    def stddev(self):
        F = self.F
        sq_mean_values = F.square(F.stack(*[c.mean for c in self.components], axis=-1))
        sq_std_values = F.square(F.stack(*[c.stddev for c in self.components], axis=-1))
        return F.sqrt(F.sum(F.broadcast_mul(sq_mean_values + sq_std_values, self.mixture_probs, axis=-1), axis=-1)
                      - F.square(self.mean))


class MixtureArgs(gluon.HybridBlock):
    def __init__(self, distr_outputs, prefix=None):
        super().__init__()
        self.num_components = len(distr_outputs)
        self.component_projections = []
        with self.name_scope():
            self.proj_mixture_probs = gluon.nn.HybridSequential()
            self.proj_mixture_probs.add(gluon.nn.Dense(self.num_components, prefix=f"{prefix}_pi_", flatten=False))
            self.proj_mixture_probs.add(gluon.nn.HybridLambda("softmax"))
            for k, do in enumerate(distr_outputs):
                self.component_projections.append(do.get_args_proj(prefix=str(k)))
                self.register_child(self.component_projections[-1])

    def hybrid_forward(self, F, x):
        mixture_probs = self.proj_mixture_probs(x)
        component_args = [c_proj(x) for c_proj in self.component_projections]
        return tuple([mixture_probs] + component_args)


class MixtureDistributionOutput(object):
    def __init__(self, distr_outputs):
        self.num_components = len(distr_outputs)
        self.distr_outputs = distr_outputs

    def get_args_proj(self, prefix=None):
        return MixtureArgs(self.distr_outputs, prefix=prefix)

    def distribution(self, distr_args, loc=None, scale=None, **kwargs):
        mixture_probs = distr_args[0]
        component_args = distr_args[1:]
        return MixtureDistribution(mixture_probs=mixture_probs,
                                   components=[do.distribution(args, loc=loc, scale=scale)
                                               for do, args in zip(self.distr_outputs, component_args)])


class _MixtureLoss(HybridBlock):
    """Ours: features -> mixture arguments -> negative log-likelihood."""

    def __init__(self, distr_output, **kwargs):
        super().__init__(**kwargs)
        self.distr_output = distr_output
        with self.name_scope():
            self.proj = distr_output.get_args_proj()

    def hybrid_forward(self, F, features, target):
        return -self.distr_output.distribution(self.proj(features)).log_prob(target)


def gluonts_mixture():
    """A Gaussian / negative-binomial mixture, eager and hybridized: the negative log-likelihood
    and gradients; eagerly its mean and standard deviation (``broadcast_mul`` given ``axis``),
    the parameter names, and the scaled negative binomial's TypeError."""
    rs = np.random.RandomState(131)
    features = nd.array(rs.uniform(-1, 1, (2, 3, 4)))
    target = nd.array(rs.randint(0, 5, (2, 3)))
    out = {}
    for mode in ('eager', 'hybrid'):
        output = MixtureDistributionOutput([GaussianOutput(), NegativeBinomialOutput()])
        block = _MixtureLoss(output)
        block.initialize()
        build(block, 132, features, target)
        if mode == 'hybrid':
            block.hybridize()
        features.attach_grad()
        with autograd.record():
            nll = block(features, target)
        nll.backward()
        res = {'nll': L(nll), 'xgrad': L(features.grad[0]), 'norms': norms(block),
               'params': sorted(re.sub(r'^[a-z_]+\d+_', '', k) for k in block.collect_params().keys())}
        distr = output.distribution(block.proj(features))
        for name in ('mean', 'stddev'):
            try:
                res[name] = L(getattr(distr, name))
            except Exception as e:          # noqa: BLE001 - the failure is the result
                res[name] = err(e)
        out[mode] = res
    try:
        NegativeBinomialOutput().distribution([nd.ones((2,)), nd.ones((2,))], scale=nd.ones((2,)))
    except TypeError as e:
        out['scaled_error'] = 'positional argument' in str(e)
    return out



# ---------------------------------------------------------------- 16 DQN trainers
# Two public Gluon DQNs. A CartPole one (Dense nets initialized through collect_params(), the
# target updated by set_data from keys indexed as a list: a TypeError on Python 3, in both; the
# batch from a NumPy replay memory, ``nd.max_axis``, ``nd.pick`` with a (32, 1) index, L2Loss of
# transposed rows, a Trainer made at each step; ``argmax(...)[0].astype(int).asnumpy()[0]``),
# and an Atari one (q_network.py: the target "updated" by ParameterDict.update, which only adds
# the policy's Parameters to a dictionary and leaves the target network alone; frames from uint8
# NumPy / 255, ``nd.choose_element_0index``, a clipped absolute TD loss). Sizes shrunk, the
# replay sample and the frames seeded.
N_STATES, N_ACTIONS = 4, 2


def CartPoleNet():
    net = gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(10, in_units=N_STATES, activation="relu"))
        net.add(gluon.nn.Dense(N_ACTIONS, in_units=10))
    net.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=mx.cpu())
    return net


class CartPoleDQN(object):
    def __init__(self, memory):
        self.eval_net, self.target_net = CartPoleNet(), CartPoleNet()
        set_params(self.eval_net, 141)
        set_params(self.target_net, 142)
        self.learn_step_counter = 0
        self.memory = memory
        self.loss = gluon.loss.L2Loss()
        self.total_loss = 0

    def choose_action(self, observation):
        observation = nd.array(observation).reshape((1, 4))
        action_value = self.eval_net(observation)
        return nd.argmax(action_value, axis=1)[0].astype(int).asnumpy()[0]

    def replace_target(self):
        for i in range(len(self.target_net)):
            target_param_keys = self.target_net[i].collect_params().keys()
            eval_param_keys = self.eval_net[i].collect_params().keys()
            for j in range(len(target_param_keys)):
                self.target_net[i].collect_params()[target_param_keys[j]].set_data(
                    self.eval_net[i].collect_params()[eval_param_keys[j]].data(mx.cpu()))

    def learn(self, sample_index):
        self.learn_step_counter += 1
        b_memory = self.memory[sample_index, :]
        b_s = nd.array(b_memory[:, :N_STATES])
        b_a = nd.array(b_memory[:, N_STATES:N_STATES + 1])
        b_r = nd.array(b_memory[:, N_STATES + 1])
        b_s_ = nd.array(b_memory[:, -N_STATES:])
        q_next = self.target_net(b_s_)
        q_target = b_r + 0.9 * nd.max_axis(q_next, axis=1)
        eval_trainer = gluon.Trainer(self.eval_net.collect_params(), 'sgd', {'learning_rate': 0.01})
        data = b_s.as_in_context(mx.cpu())
        label = q_target.as_in_context(mx.cpu())
        with autograd.record():
            q_eval = self.eval_net(data)
            q_eval = nd.pick(q_eval, b_a, 1)
            loss = self.loss(nd.transpose(q_eval), nd.transpose(label))
        loss.backward()
        eval_trainer.step(32)
        self.total_loss = nd.sum(loss).asscalar()
        return q_eval.shape


class QLearning(object):
    def __init__(self, ctx, discount=0.99):
        self.ctx = ctx
        self.discount = discount
        self.policy_net = self.get_net(5)
        self.target_net = self.get_net(5)
        self.update_target_net()
        self.trainer = gluon.Trainer(self.policy_net.collect_params(), 'adam',
                                     {'learning_rate': 0.05, 'wd': 0})

    def update_target_net(self):
        p_params = self.policy_net.collect_params()
        t_params = self.target_net.collect_params()
        t_params.update(p_params)
        return t_params

    def train_policy_net(self, imgs, actions, rs, terminals):
        batch_size = actions.shape[0]
        states = imgs[:, :-1, :, :, :]
        next_states = imgs[:, 1:, :, :, :]
        s = states.shape
        states = states.reshape((s[0], -1, s[3], s[4]))
        next_states = next_states.reshape((s[0], -1, s[3], s[4]))
        st = nd.array(states, ctx=self.ctx, dtype=np.float32) / 255.0
        at = nd.array(actions[:, 0], ctx=self.ctx)
        rt = nd.array(rs[:, 0], ctx=self.ctx)
        tt = nd.array(terminals[:, 0], ctx=self.ctx)
        st1 = nd.array(next_states, ctx=self.ctx, dtype=np.float32) / 255.0
        next_qs = self.target_net(st1)
        next_q_out = nd.max(next_qs, axis=1)
        target = rt + next_q_out * (1.0 - tt) * self.discount
        with autograd.record():
            current_qs = self.policy_net(st)
            current_q = nd.choose_element_0index(current_qs, at)
            loss = nd.clip(target - current_q, -100, 100)
            total_loss = nd.sum(nd.abs(loss))
        total_loss.backward()
        self.trainer.step(batch_size)
        return total_loss.asnumpy()

    def get_net(self, action_num):
        net = nn.Sequential()
        with net.name_scope():
            net.add(nn.Conv2D(channels=4, kernel_size=8, strides=4, padding=4, activation='relu'),
                    nn.Conv2D(channels=4, kernel_size=4, strides=2, padding=2, activation='relu'),
                    nn.Conv2D(channels=4, kernel_size=3, strides=1, padding=1, activation='relu'),
                    nn.Flatten(),
                    nn.Dense(8, activation="relu"),
                    nn.Dense(action_num))
        net.initialize(init.Xavier(), ctx=self.ctx)
        return net


def dqn():
    """The CartPole DQN's action, target replacement (a TypeError) and two learning steps; the
    Atari one's ParameterDict.update (the target keeps its own parameters) and two steps."""
    rs = np.random.RandomState(141)
    memory = np.hstack([rs.uniform(-1, 1, (40, N_STATES)), rs.randint(0, N_ACTIONS, (40, 1)),
                        rs.uniform(-1, 1, (40, 1)), rs.uniform(-1, 1, (40, N_STATES))])
    agent = CartPoleDQN(memory)
    out = {'action': int(agent.choose_action(memory[0, :N_STATES])),
           'action_type': type(agent.choose_action(memory[1, :N_STATES])).__name__}
    try:
        agent.replace_target()
    except TypeError as e:
        out['replace_error'] = 'not subscriptable' in str(e)
    for step in range(2):
        out['q_shape'] = list(agent.learn(rs.choice(40, 32)))
        out['loss%d' % step] = float(agent.total_loss)
    out['eval'] = [L(p.data()) for p in agent.eval_net.collect_params().values()]

    q = QLearning(mx.cpu())
    frames = rs.randint(0, 256, (2, 3, 1, 16, 16)).astype('uint8')
    q.policy_net(nd.zeros((2, 2, 16, 16)))
    q.target_net(nd.zeros((2, 2, 16, 16)))
    set_params(q.policy_net, 143)
    set_params(q.target_net, 144)
    t_params = q.update_target_net()
    out['update'] = [len(list(t_params.keys())), len(list(q.target_net.collect_params().keys()))]
    actions = np.array([[1], [4]])
    rewards = np.array([[0.5], [-1.0]])
    terminals = np.array([[False], [True]])
    for step in range(2):
        out['atari_loss%d' % step] = q.train_policy_net(frames, actions, rewards, terminals).tolist()
    out['atari_norms'] = [norms(q.policy_net), norms(q.target_net)['value']]
    return out



# ---------------------------------------------------------------- 17 gluon-ts WaveNet
# awslabs/gluonts src/gluonts/model/wavenet/_network.py: LookupValues (a params.get_constant passed
# to hybrid_forward, F.take), conv1d with Uniform initializers, CausalDilatedResidue returning a
# dummy F.zeros(shape=(1,)), WaveNet (FeatureEmbedder of feature.py, Python's sum of the skip
# outputs, ELU), WaveNetTraining (int32 targets, SoftmaxCrossEntropyLoss with a (N, T, 1) weight)
# and WaveNetSampler (convolution queues, F.concat(..., num_args=2), greedy at temperature 0).
class LookupValues(gluon.HybridBlock):
    def __init__(self, values, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.bin_values = self.params.get_constant("bin_values", values)

    def hybrid_forward(self, F, indices, bin_values):
        return F.take(bin_values, indices)


def conv1d(channels, kernel_size, in_channels, use_bias=True, **kwargs):
    n = in_channels
    kernel_size = kernel_size if isinstance(kernel_size, list) else [kernel_size]
    for k in kernel_size:
        n *= k
    stdv = 1.0 / math.sqrt(n)
    winit = mx.initializer.Uniform(stdv)
    binit = mx.initializer.Uniform(stdv) if use_bias else "zeros"
    return nn.Conv1D(channels=channels, kernel_size=kernel_size, in_channels=in_channels, use_bias=use_bias,
                     weight_initializer=winit, bias_initializer=binit, **kwargs)


class CausalDilatedResidue(nn.HybridBlock):
    def __init__(self, n_residue, n_skip, dilation, return_dense_out, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.n_residue = n_residue
        self.n_skip = n_skip
        self.dilation = dilation
        self.kernel_size = kernel_size
        self.return_dense_out = return_dense_out
        with self.name_scope():
            self.conv_sigmoid = conv1d(in_channels=n_residue, channels=n_residue, kernel_size=kernel_size,
                                       dilation=dilation, activation="sigmoid")
            self.conv_tanh = conv1d(in_channels=n_residue, channels=n_residue, kernel_size=kernel_size,
                                    dilation=dilation, activation="tanh")
            self.skip = conv1d(in_channels=n_residue, channels=n_skip, kernel_size=1)
            self.residue = (conv1d(in_channels=n_residue, channels=n_residue, kernel_size=1)
                            if self.return_dense_out else None)

    def hybrid_forward(self, F, x):
        u = self.conv_sigmoid(x) * self.conv_tanh(x)
        s = self.skip(u)
        if not self.return_dense_out:
            return s, F.zeros(shape=(1,))
        output = self.residue(u)
        output = output + F.slice_axis(x, begin=(self.kernel_size - 1) * self.dilation, end=None, axis=-1)
        return s, output


class WaveNet(nn.HybridBlock):
    def __init__(self, bin_values, n_residue, n_skip, dilation_depth, n_stacks, act_type, cardinality,
                 embedding_dimension, pred_length, **kwargs):
        super().__init__(**kwargs)
        self.dilation_depth = dilation_depth
        self.pred_length = pred_length
        self.mu = len(bin_values)
        self.dilations = WaveNet._get_dilations(dilation_depth=dilation_depth, n_stacks=n_stacks)
        self.receptive_field = WaveNet.get_receptive_field(dilation_depth=dilation_depth, n_stacks=n_stacks)
        self.trim_lengths = [sum(self.dilations) - sum(self.dilations[: i + 1]) for i, _ in enumerate(self.dilations)]
        with self.name_scope():
            self.feature_embedder = FeatureEmbedder(cardinalities=cardinality,
                                                    embedding_dims=[embedding_dimension for _ in cardinality])
            self.target_embed = nn.Embedding(input_dim=self.mu, output_dim=n_residue)
            self.residuals = nn.HybridSequential()
            for i, d in enumerate(self.dilations):
                is_not_last = i + 1 < len(self.dilations)
                self.residuals.add(CausalDilatedResidue(n_residue=n_residue, n_skip=n_skip, dilation=d,
                                                        return_dense_out=is_not_last, kernel_size=2))
            std = 1.0 / math.sqrt(n_residue)
            self.conv_project = nn.Conv1D(channels=n_residue, kernel_size=1, use_bias=True,
                                          weight_initializer=mx.init.Uniform(std), bias_initializer="zero")
            self.conv1 = conv1d(in_channels=n_skip, channels=n_skip, kernel_size=1)
            self.conv2 = conv1d(in_channels=n_skip, channels=self.mu, kernel_size=1)
            self.output_act = nn.ELU() if act_type == "elu" else nn.Activation(activation=act_type)
            self.cross_entropy_loss = gluon.loss.SoftmaxCrossEntropyLoss()

    @staticmethod
    def _get_dilations(dilation_depth, n_stacks):
        return [2 ** i for i in range(dilation_depth)] * n_stacks

    @staticmethod
    def get_receptive_field(dilation_depth, n_stacks):
        dilations = WaveNet._get_dilations(dilation_depth=dilation_depth, n_stacks=n_stacks)
        return sum(dilations) + 1

    def is_last_layer(self, i):
        return i + 1 == len(self.dilations)

    def get_full_features(self, F, feat_static_cat, past_observed_values, past_time_feat, future_time_feat,
                          future_observed_values, scale):
        embedded_cat = self.feature_embedder(feat_static_cat)
        static_feat = F.concat(embedded_cat, F.log(scale + 1.0), dim=1)
        repeated_static_feat = F.repeat(F.expand_dims(static_feat, axis=-1),
                                        repeats=self.pred_length + self.receptive_field, axis=-1)
        if future_observed_values is None:
            future_observed_values = F.slice_axis(future_time_feat, begin=0, end=1, axis=1).squeeze(axis=1).ones_like()
        full_observed = F.expand_dims(F.concat(past_observed_values, future_observed_values, dim=-1), axis=1)
        full_time_features = F.concat(past_time_feat, future_time_feat, dim=-1)
        return F.concat(full_time_features, full_observed, repeated_static_feat, dim=1)

    def target_feature_embedding(self, F, target, features):
        o = self.target_embed(target).swapaxes(1, 2)
        o = F.concat(o, features, dim=1)
        return self.conv_project(o)

    def base_net(self, F, inputs, one_step_prediction=False, queues=None):
        skip_outs = []
        queues_next = []
        o = inputs
        for i, d in enumerate(self.dilations):
            skip, o = self.residuals[i](o)
            if one_step_prediction:
                skip_trim = skip
                if not self.is_last_layer(i):
                    q = queues[i]
                    o = F.concat(q, o, num_args=2, dim=-1)
                    queues_next.append(F.slice_axis(o, begin=1, end=None, axis=-1))
            else:
                skip_trim = F.slice_axis(skip, begin=self.trim_lengths[i], end=None, axis=-1)
            skip_outs.append(skip_trim)
        y = sum(skip_outs)
        y = self.output_act(y)
        y = self.conv1(y)
        y = self.output_act(y)
        y = self.conv2(y)
        return y.swapaxes(1, 2), queues_next


class WaveNetTraining(WaveNet):
    def hybrid_forward(self, F, feat_static_cat, past_target, past_observed_values, past_time_feat, future_time_feat,
                       future_target, future_observed_values, scale):
        full_target = F.concat(past_target, future_target, dim=-1).astype("int32")
        full_features = self.get_full_features(F, feat_static_cat=feat_static_cat,
                                               past_observed_values=past_observed_values,
                                               past_time_feat=past_time_feat, future_time_feat=future_time_feat,
                                               future_observed_values=future_observed_values, scale=scale)
        embedding = self.target_feature_embedding(F, F.slice_axis(full_target, begin=0, end=-1, axis=-1),
                                                  F.slice_axis(full_features, begin=1, end=None, axis=-1))
        unnormalized_output, _ = self.base_net(F, embedding)
        label = F.slice_axis(full_target, begin=self.receptive_field, end=None, axis=-1)
        full_observed = F.expand_dims(F.concat(past_observed_values, future_observed_values, dim=-1), axis=1)
        loss_weight = F.slice_axis(full_observed, begin=self.receptive_field, end=None, axis=-1)
        loss_weight = F.expand_dims(loss_weight, axis=2)
        return self.cross_entropy_loss(unnormalized_output, label, loss_weight)


class WaveNetSampler(WaveNet):
    def __init__(self, bin_values, num_samples, temperature=1.0, **kwargs):
        super().__init__(bin_values=bin_values, **kwargs)
        self.num_samples = num_samples
        self.temperature = temperature
        with self.name_scope():
            self.post_transform = LookupValues(mx.nd.array(bin_values))

    def get_initial_conv_queues(self, F, past_target, features):
        o = self.target_feature_embedding(F, past_target, features)
        queues = []
        for i, d in enumerate(self.dilations):
            sz = 1 if d == 2 ** (self.dilation_depth - 1) else d * 2
            _, o = self.residuals[i](o)
            if not self.is_last_layer(i):
                o_chunk = F.slice_axis(o, begin=-sz - 1, end=-1, axis=-1)
            else:
                o_chunk = o
            queues.append(o_chunk)
        return queues

    def hybrid_forward(self, F, feat_static_cat, past_target, past_observed_values, past_time_feat, future_time_feat,
                       scale):
        def blow_up(u):
            return F.repeat(u, repeats=self.num_samples, axis=0)

        past_target = past_target.astype("int32")
        full_features = self.get_full_features(F, feat_static_cat=feat_static_cat,
                                               past_observed_values=past_observed_values,
                                               past_time_feat=past_time_feat, future_time_feat=future_time_feat,
                                               future_observed_values=None, scale=scale)
        features_end_ix = -self.pred_length + 1 if self.pred_length > 1 else None
        queues = self.get_initial_conv_queues(
            F, past_target=F.slice_axis(past_target, begin=-self.receptive_field, end=None, axis=-1),
            features=F.slice_axis(full_features, begin=-self.pred_length - self.receptive_field + 1,
                                  end=features_end_ix, axis=-1))
        queues = [blow_up(queue) for queue in queues]
        res = F.slice_axis(past_target, begin=-2, end=None, axis=-1)
        res = blow_up(res)
        for n in range(self.pred_length):
            current_target = F.slice_axis(res, begin=-2, end=None, axis=-1)
            current_features = F.slice_axis(full_features, begin=self.receptive_field + n - 1,
                                            end=self.receptive_field + n + 1, axis=-1)
            embedding = self.target_feature_embedding(F, target=current_target, features=blow_up(current_features))
            unnormalized_outputs, queues = self.base_net(F, embedding, one_step_prediction=True, queues=queues)
            if self.temperature > 0:
                probs = F.softmax(unnormalized_outputs / self.temperature, axis=-1)
                y = F.sample_multinomial(probs)
            else:
                y = F.argmax(unnormalized_outputs, axis=-1)
            y = y.astype("int32")
            res = F.concat(res, y, num_args=2, dim=-1)
        samples = F.slice_axis(res, begin=-self.pred_length, end=None, axis=-1)
        samples = samples.reshape(shape=(-1, self.num_samples, self.pred_length))
        samples = self.post_transform(samples)
        return F.broadcast_mul(scale.expand_dims(axis=1), samples)


def gluonts_wavenet():
    """The training loss and gradients, and greedy samples from a sampler sharing the trained
    parameters; eager and hybridized."""
    rs = np.random.RandomState(151)
    n, rf, pred, bins = 2, 8, 3, 6          # dilation depth 3, one stack: a receptive field of 8
    bin_values = list(np.linspace(-1, 1, bins))
    feat_static_cat = nd.array([[1], [0]])
    past_target = nd.array(rs.randint(0, bins, (n, rf)))
    past_observed = nd.array((rs.uniform(0, 1, (n, rf)) > 0.2).astype('float32'))
    past_time_feat = nd.array(rs.uniform(-1, 1, (n, 2, rf)))
    future_time_feat = nd.array(rs.uniform(-1, 1, (n, 2, pred)))
    future_target = nd.array(rs.randint(0, bins, (n, pred)))
    future_observed = nd.array([[1, 1, 0], [1, 0, 1]])
    scale = nd.array([[1.5], [0.5]])
    kwargs = dict(n_residue=4, n_skip=3, dilation_depth=3, n_stacks=1, act_type='elu', cardinality=[2],
                  embedding_dimension=2, pred_length=pred)
    train_inputs = (feat_static_cat, past_target, past_observed, past_time_feat, future_time_feat, future_target,
                    future_observed, scale)
    out = {}
    for mode in ('eager', 'hybrid'):
        train_net = WaveNetTraining(bin_values=bin_values, prefix='wavenet_', **kwargs)
        train_net.initialize()
        build(train_net, 152, *train_inputs)
        for param in train_net.collect_params().values():      # weights in [-2, 2): outputs that vary
            param.set_data(param.data() * 4)
        sampler = WaveNetSampler(bin_values=bin_values, num_samples=2, temperature=0.0, prefix='wavenet_',
                                 params=train_net.collect_params(), **kwargs)
        sampler.post_transform.initialize()     # its constant: the one Parameter not shared
        if mode == 'hybrid':
            train_net.hybridize()
            sampler.hybridize()
        with autograd.record():
            loss = train_net(*train_inputs)
        loss.backward()
        samples = sampler(feat_static_cat, past_target, past_observed, past_time_feat, future_time_feat, scale)
        out[mode] = {'loss': L(loss), 'norms': norms(train_net), 'samples': L(samples),
                     'receptive_field': train_net.receptive_field, 'trim': train_net.trim_lengths}
    return out



# ---------------------------------------------------------------- 18 a pairwise ranking loss
# tswsxk/longling longling/framework/ML/MXnet/mx_gluon/gluon_sym/nn_sym.py: a Loss over
# (pos, neg) scores with batch_axis=-1, add_n of a negative, ``F.add`` of a Python margin (an
# NDArray function without a Symbol twin), relu and MakeLoss; driven by a scoring Dense of ours.
class PairwiseLoss(gluon.loss.Loss):
    def __init__(self, weight=None, batch_axis=-1, margin=0, **kwargs):
        super(PairwiseLoss, self).__init__(weight, batch_axis)
        self.margin = margin

    def hybrid_forward(self, F, pos, neg, *args, **kwargs):
        loss = F.add_n(F.negative(pos), neg)
        loss = F.add(loss, self.margin)
        sym = F.relu(loss)
        loss = F.MakeLoss(sym)
        return loss


def pairwise_loss():
    """An SGD step of a scorer under the pairwise hinge (MakeLoss's gradient of ones), eager;
    hybridized, ``F.add`` fails in both (``sym`` has no ``add``)."""
    rs = np.random.RandomState(161)
    items_pos = nd.array(rs.uniform(-1, 1, (5, 3)))
    items_neg = nd.array(rs.uniform(-1, 1, (5, 3)))
    scorer = nn.Dense(1, flatten=True)
    scorer.initialize()
    build(scorer, 162, items_pos)
    trainer = gluon.Trainer(scorer.collect_params(), 'sgd', {'learning_rate': 0.5})
    loss_fn = PairwiseLoss(margin=0.3)
    out = {}
    for step in range(2):
        with autograd.record():
            loss = loss_fn(scorer(items_pos).reshape((-1,)), scorer(items_neg).reshape((-1,)))
        loss.backward()
        trainer.step(5)
        out['loss%d' % step] = L(loss)
    out['scorer'] = [L(p.data()) for p in scorer.collect_params().values()]
    hybrid = PairwiseLoss(margin=0.3)
    hybrid.hybridize()
    try:
        hybrid(nd.ones(2), nd.zeros(2))
    except AttributeError as e:
        out['hybrid_error'] = "has no attribute 'add'" in str(e)
    return out


PROGRAMS = ['lipnet', 'urban_sounds', 'speech_ctc', 'insightface', 'wgan_gp', 'cyclegan', 'lstnet',
            'gluonts_lstnet', 'gluonts_sndense', 'capsnet', 'gluonts_blocks', 'pix2pix', 'gluonts_lowrank', 'gpt2',
            'gluonts_mixture', 'dqn', 'gluonts_wavenet', 'pairwise_loss']
