# Two Gluon CRNN text recognisers, shrunk.
# (1) diaomin/crnn-mxnet-chinese-text-recognition (cnocr 1.x), its Gluon parts: the DenseNet
# feature extractor (HybridConcurrent/Identity residual concatenation, prefix='' sub-blocks, a
# grouped (2, 3) convolution with strides (2, 1)), the CRnn HybridBlock called on a Symbol to build
# the training graph (FullyConnected, contrib.ctc_loss with blank 0, MakeLoss, SoftmaxActivation,
# BlockGrad, Group), get_internals().infer_shape, save/load_checkpoint, and CtcMetrics through
# mx.metric.np(allow_extra_outputs=True). cnocr trains that graph with the Module API (out of
# scope); here the checkpoint is imported as a SymbolBlock and trained under autograd (backward
# from every output, as Module runs it) with AdaDelta and a PolyScheduler, and the same loss is
# trained on the Gluon side.
# (2) WenmuZhou/crnn.gluon: VGG feature extraction with (2, 1)-strided padded pooling, two stacked
# NTC bidirectional LSTMs, a Dense CTC head returning (prediction, input), a Dataset that decodes
# PNG files with mx.image (imresize, zero padding by nd.concat, random_crop) and encodes labels in
# an NDArray by item assignment, transform_first(ToTensor), rollover DataLoaders balanced by
# nd.concat, an optimizer object built by name with its scheduler, split_and_load, greedy decoding
# and edit distance, trainer state checkpoints, export and SymbolBlock.imports.
# Weights come from an initializer seeded by each parameter's name (the layers learn their input
# sizes at the first forward, and MXNet 1.9.1 with MKL-DNN refuses set_data on a convolution
# weight once used). No dropout and no colour jitter (their draws come from each framework's RNG).
# The PNG images are as tall as the network input, so imresize keeps their size: OpenCV's uint8
# bilinear resize (fixed-point weights) and minigluon's differ by one grey level here and there.
import os
import random
import tempfile
from copy import deepcopy

import minigluon as mx
import numpy as np
from PIL import Image
from minigluon import autograd, gluon, image, nd
from minigluon.gluon import HybridBlock, nn
from minigluon.gluon.contrib.nn import HybridConcurrent, Identity
from minigluon.gluon.data import DataLoader, Dataset
from minigluon.gluon.data.vision import transforms
from minigluon.gluon.rnn.rnn_layer import LSTM, GRU
from _common import named_uniform, show

tmp = tempfile.mkdtemp()
np.random.seed(38)
random.seed(38)


NamedUniform = named_uniform(mx)

# ============================================================== (1) cnocr
def _make_dense_block(num_layers, bn_size, growth_rate, dropout, stage_index):
    out = nn.HybridSequential(prefix='stage%d_' % stage_index)
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return out


def _make_dense_layer(growth_rate, bn_size, dropout):
    new_features = nn.HybridSequential(prefix='')
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation('relu'))
    new_features.add(nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False))
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation('relu'))
    new_features.add(nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    return _make_residual(new_features)


def _make_residual(cell_net):
    out = HybridConcurrent(axis=1, prefix='')
    out.add(Identity())
    out.add(cell_net)
    return out


def _make_first_stage_net(out_channels):
    features = nn.HybridSequential(prefix='stage%d_' % 0)
    with features.name_scope():
        features.add(nn.Conv2D(out_channels[0], kernel_size=3, strides=1, padding=1, use_bias=False))
        features.add(nn.BatchNorm())
        features.add(nn.Activation('relu'))
        features.add(nn.Conv2D(out_channels[1], kernel_size=3, strides=1, padding=1, use_bias=False))
    return _make_residual(features)


def _make_transition(num_output_features, strides=2):
    out = nn.HybridSequential(prefix='')
    out.add(nn.BatchNorm())
    out.add(nn.Activation('relu'))
    out.add(nn.Conv2D(num_output_features, kernel_size=1, use_bias=False))
    out.add(nn.MaxPool2D(pool_size=2, strides=strides))
    return out


def _make_last_transition(num_output_features):
    out = nn.HybridSequential(prefix='last_trans_')
    with out.name_scope():
        out.add(nn.BatchNorm())
        out.add(nn.Activation('relu'))
        out.add(nn.Conv2D(num_output_features, kernel_size=1, use_bias=False))
        out.add(nn.Activation('relu'))
        out.add(nn.Conv2D(num_output_features, groups=num_output_features, kernel_size=(2, 3),
                          strides=(2, 1), padding=(0, 1), use_bias=False))
    return out


def _make_final_stage_net(stage_index, out_channels):
    features = nn.HybridSequential(prefix='stage%d_' % stage_index)
    with features.name_scope():
        features.add(nn.BatchNorm())
        features.add(nn.Activation('relu'))
        features.add(nn.MaxPool2D(pool_size=(2, 1), strides=(2, 1)))
    return features


class DenseNet(HybridBlock):
    def __init__(self, layer_channels, **kwargs):
        assert len(layer_channels) == 4
        super(DenseNet, self).__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(_make_first_stage_net((layer_channels[0], layer_channels[1])))
            self.features.add(_make_transition(layer_channels[1]))
            self.features.add(_make_dense_block(2, 2, layer_channels[0], 0.0, 1))
            self.features.add(_make_transition(layer_channels[2]))
            self.features.add(_make_dense_block(2, 2, layer_channels[1], 0.0, 2))
            self.features.add(_make_last_transition(layer_channels[3]))
            self.features.add(_make_final_stage_net(3, out_channels=layer_channels[3]))

    def hybrid_forward(self, F, x):
        x = self.features(x)               # (batch, embed, 2, width // 4)
        x = F.reshape(x, (0, -3, 0))       # (batch, embed * 2, width // 4)
        return F.expand_dims(x, axis=2)    # (batch, embed * 2, 1, width // 4)


def cal_num_params(net):
    return sum([np.prod(p.shape) for p in net.collect_params().values()])


class HyperParams(object):
    def __init__(self):
        self.img_height, self.img_width = 32, 24
        self.batch_size, self.num_label = 2, 3
        self.num_hidden, self.num_lstm_layer = 4, 1
        self.dropout = 0.0
        self.num_classes = 6                # blank 0 and five characters
        self.loss_type = 'ctc'

    def set_seq_length(self, seq_len):
        self.seq_length = seq_len


def gen_seq_model(hp):
    if hp.seq_model_type.lower() == 'lstm':
        return LSTM(hp.num_hidden, hp.num_lstm_layer, bidirectional=True)
    return GRU(hp.num_hidden, hp.num_lstm_layer, bidirectional=True)


class CRnn(nn.HybridBlock):
    def __init__(self, hp, emb_model, **kw):
        super().__init__(**kw)
        self.hp = hp
        self.emb_model = emb_model
        self.dropout = nn.Dropout(hp.dropout)
        self.seq_model = gen_seq_model(hp)

    def hybrid_forward(self, F, X):
        embs = self.emb_model(X)
        if self.hp.dropout > 0:
            embs = self.dropout(embs)
        embs = F.squeeze(embs, axis=2)                 # bz x emb_size x seq_len
        embs = F.transpose(embs, axes=(2, 0, 1))       # seq_len x bz x emb_size
        return self.seq_model(embs)


def add_ctc_loss(pred, seq_len, num_label, loss_type):
    label = mx.sym.Variable('label')
    pred_ctc = mx.sym.Reshape(data=pred, shape=(-4, seq_len, -1, 0))
    loss = mx.sym.contrib.ctc_loss(data=pred_ctc, label=label)
    ctc_loss = mx.sym.MakeLoss(loss)
    softmax_class = mx.symbol.SoftmaxActivation(data=pred)
    softmax_loss = mx.sym.MakeLoss(softmax_class)
    softmax_loss = mx.sym.BlockGrad(softmax_loss)
    return mx.sym.Group([softmax_loss, ctc_loss])


def pipline(model, hp, data=None):
    data = data if data is not None else mx.sym.Variable('data')
    output = model(data)
    output = mx.symbol.reshape(output, shape=(-3, -2))          # (seq_len * bz, c)
    pred = mx.sym.FullyConnected(data=output, num_hidden=hp.num_classes, name='pred_fc')
    if hp.loss_type:
        return add_ctc_loss(pred, hp.seq_length, hp.num_label, hp.loss_type)
    return mx.sym.softmax(data=pred, name='softmax')


def gen_network(model_name, hp):
    hp = deepcopy(hp)
    hp.seq_model_type = model_name.rsplit('-', maxsplit=1)[-1]
    hp.seq_len_cmpr_ratio = 4
    hp.set_seq_length(hp.img_width // 4)
    densenet = DenseNet((4, 8, 8, 8))
    densenet.hybridize()
    model = CRnn(hp, densenet)
    return model, pipline(model, hp), hp


def get_infer_shape(sym_model, hp):
    init_states = {'data': (hp.batch_size, 1, hp.img_height, hp.img_width),
                   'label': (hp.batch_size, hp.num_label)}
    internals = sym_model.get_internals()
    _, out_shapes, _ = internals.infer_shape(**init_states)
    return dict(zip(internals.list_outputs(), out_shapes))


class CtcMetrics(object):
    def __init__(self, seq_len):
        self.seq_len = seq_len

    @staticmethod
    def ctc_label(p):
        ret = []
        p1 = [0] + p
        for i, _ in enumerate(p):
            c1, c2 = p1[i], p1[i + 1]
            if (c2 == 0 or c2 != c1) and c1 != 0 and len(ret) > 0:
                ret[-1][-1] = i
            if c2 == 0 or c2 == c1:
                continue
            ret.append([c2, i, -1])
        if len(ret) == 0:
            return [], []
        if ret[-1][-1] < 0:
            ret[-1][-1] = len(p)
        return [ele[0] for ele in ret], [(ele[1], ele[2]) for ele in ret]

    @staticmethod
    def _remove_blank(l):
        ret = []
        for i, _ in enumerate(l):
            if l[i] == 0:
                break
            ret.append(l[i])
        return ret

    @staticmethod
    def _lcs(p, l):
        if len(p) == 0:
            return 0
        P = np.array(list(p)).reshape((1, len(p)))
        L = np.array(list(l)).reshape((len(l), 1))
        M = np.int32(P == L)
        for i in range(M.shape[0]):
            for j in range(M.shape[1]):
                up = 0 if i == 0 else M[i - 1, j]
                left = 0 if j == 0 else M[i, j - 1]
                M[i, j] = max(up, left, M[i, j] if (i == 0 or j == 0) else M[i, j] + M[i - 1, j - 1])
        return M.max()

    def _predicted(self, pred, i, batch_size):
        p = [int(np.argmax(pred[k * batch_size + i])) for k in range(self.seq_len)]
        return self.ctc_label(p)[0]

    def accuracy(self, label, pred):
        hit, batch_size = 0., label.shape[0]
        for i in range(batch_size):
            if self._predicted(pred, i, batch_size) == [int(c) for c in self._remove_blank(label[i])]:
                hit += 1.0
        return hit / batch_size

    def accuracy_lcs(self, label, pred):
        hit, batch_size = 0., label.shape[0]
        for i in range(batch_size):
            l = self._remove_blank(label[i])
            hit += self._lcs(self._predicted(pred, i, batch_size), l) * 1.0 / len(l)
        return hit / batch_size


hp = HyperParams()
model, network, hp = gen_network('densenet-lite-lstm', hp)
print('seq_length', hp.seq_length, hp.seq_model_type)
print(network.list_outputs())
args = network.list_arguments()
print(len(args), args[:3], args[-4:], network.list_auxiliary_states()[:2])
shape_dict = get_infer_shape(network, hp)
for key in sorted(shape_dict):
    if key.startswith(('pred_fc', 'softmaxactivation', 'ctc', 'makeloss', 'blockgrad', 'reshape')):
        print(key, shape_dict[key])
print('internals', len(shape_dict))

model.initialize(NamedUniform(0.3))
rng = np.random.RandomState(380)
data = nd.array(rng.rand(hp.batch_size, 1, hp.img_height, hp.img_width))
label = nd.array([[1, 2, 3], [4, 5, 0]])
hidden = model(data)
print('gluon crnn', hidden.shape, 'densenet params', cal_num_params(model.emb_model))
show('gluon crnn', hidden[:, 0])
arg_params, aux_params = {}, {}
for name, p in model.collect_params().items():
    (aux_params if 'running' in name else arg_params)[name] = p.data()
arg_params['pred_fc_weight'] = nd.array(rng.uniform(-0.3, 0.3, (hp.num_classes, 2 * hp.num_hidden)))
arg_params['pred_fc_bias'] = nd.zeros((hp.num_classes,))
prefix = os.path.join(tmp, 'cnocr-densenet-lite-lstm')
mx.model.save_checkpoint(prefix, 0, network, arg_params, aux_params)
sym, arg_loaded, aux_loaded = mx.model.load_checkpoint(prefix, 0)
print('checkpoint', sym.tojson() == network.tojson(), len(arg_loaded), len(aux_loaded))

net = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data', 'label'], prefix + '-0000.params')
metrics = CtcMetrics(hp.seq_length)
acc = mx.metric.np(metrics.accuracy, allow_extra_outputs=True)
acc_lcs = mx.metric.np(metrics.accuracy_lcs, allow_extra_outputs=True)
# The DenseNet stays frozen (grad_req 'null'), in both trainings below: MXNet 1.9.1 with MKL-DNN
# cannot back-propagate through this shrunk DenseNet (every array read after such a backward
# fails with "could not construct a sub-memory").
net.collect_params('densenet.*').setattr('grad_req', 'null')
lr_scheduler = mx.lr_scheduler.PolyScheduler(base_lr=0.5, final_lr=0.005, max_update=10, pwr=2)
trainer = gluon.Trainer(net.collect_params(), 'AdaDelta', {'lr_scheduler': lr_scheduler})
for step in range(3):
    with autograd.record():
        outputs = net(data, label)
    autograd.backward(outputs)
    if step == 2:     # read before the update: MXNet's AdaDelta rescales the gradient in place
        show('cnocr pred_fc grad', net.collect_params()['pred_fc_weight'].grad()[0])
        show('cnocr lstm grad', net.collect_params()['lstm0_l0_i2h_weight'].grad()[0])
    trainer.step(hp.batch_size)
    acc.update([label], outputs)
    acc_lcs.update([label], outputs)
    show('cnocr step %d ctc' % step, outputs[1])
print('cnocr', outputs[0].shape, '%s %.6f %s %.6f' % (acc.get() + acc_lcs.get()),
      '%.6f' % trainer.learning_rate)
show('cnocr softmax', outputs[0][0])

# The same loss on the Gluon side: the CRnn block, a Dense head and nd.contrib.ctc_loss.
model.emb_model.collect_params().setattr('grad_req', 'null')
head = nn.Dense(hp.num_classes, flatten=False, in_units=2 * hp.num_hidden)
head.initialize()
head.weight.set_data(arg_params['pred_fc_weight'])
head.bias.set_data(arg_params['pred_fc_bias'])
params = model.collect_params()
params.update(head.collect_params())
gtrainer = gluon.Trainer(params, 'AdaDelta', {'lr_scheduler': mx.lr_scheduler.PolyScheduler(
    base_lr=0.5, final_lr=0.005, max_update=10, pwr=2)})
for step in range(3):
    # predict-mode BatchNorm: MXNet's CPU build updates running statistics in backward, which
    # never reaches the frozen DenseNet; minigluon updates them in a training-mode forward
    with autograd.record(train_mode=False):
        pred = head(model(data))
        loss = nd.MakeLoss(nd.contrib.ctc_loss(pred, label))
    loss.backward()
    if step == 2:
        show('gluon head grad', head.weight.grad()[0])
    gtrainer.step(hp.batch_size)
    show('gluon crnn step %d ctc' % step, loss)

params_file = os.path.join(tmp, 'trained.params')
head_params = {'pred_fc_weight': head.weight.data(), 'pred_fc_bias': head.bias.data()}
nd.save(params_file, dict({k: v.data() for k, v in model.collect_params().items()}, **head_params))
hp_infer = deepcopy(hp)
hp_infer.loss_type = None
pipline(model, hp_infer).save(os.path.join(tmp, 'infer-symbol.json'))
infer = gluon.SymbolBlock.imports(os.path.join(tmp, 'infer-symbol.json'), ['data'], params_file)
prob = infer(data)
show('cnocr infer', prob[1])
p = [int(np.argmax(prob[k * hp.batch_size].asnumpy())) for k in range(hp.seq_length)]
print('cnocr first sample', p, metrics.ctc_label(p))


# ============================================================== (2) crnn.gluon
class VGG(HybridBlock):
    def __init__(self, **kwargs):
        super(VGG, self).__init__()
        with self.name_scope():
            self.features = nn.HybridSequential()
            with self.features.name_scope():
                self.features.add(
                    nn.Conv2D(kernel_size=(3, 3), padding=(1, 1), channels=4, activation='relu'),
                    nn.BatchNorm(),
                    nn.MaxPool2D(pool_size=(2, 2), strides=(2, 2)),
                    nn.Conv2D(kernel_size=(3, 3), padding=(1, 1), channels=6, activation='relu'),
                    nn.BatchNorm(),
                    nn.MaxPool2D(pool_size=(2, 2), strides=(2, 2)),
                    nn.Conv2D(kernel_size=(3, 3), padding=(1, 1), channels=8, activation='relu'),
                    nn.BatchNorm(),
                    nn.MaxPool2D(pool_size=(2, 2), strides=(2, 1), padding=(0, 1)),
                    nn.Conv2D(kernel_size=(3, 3), padding=(1, 1), channels=8, activation='relu'),
                    nn.BatchNorm(),
                    nn.MaxPool2D(pool_size=(2, 2), strides=(2, 1), padding=(0, 1)),
                    nn.Conv2D(kernel_size=(2, 2), channels=8, activation='relu'),
                    nn.BatchNorm())

    def hybrid_forward(self, F, x, *args, **kwargs):
        return self.features(x)


class BidirectionalLSTM(HybridBlock):
    def __init__(self, hidden_size, num_layers):
        super(BidirectionalLSTM, self).__init__()
        with self.name_scope():
            self.rnn = mx.gluon.rnn.LSTM(hidden_size, num_layers, bidirectional=True, layout='NTC')

    def hybrid_forward(self, F, x, *args, **kwargs):
        return self.rnn(x)


class RNNDecoder(HybridBlock):
    def __init__(self, hidden_size=4, num_layers=1):
        super(RNNDecoder, self).__init__()
        with self.name_scope():
            self.lstm = nn.HybridSequential()
            with self.lstm.name_scope():
                self.lstm.add(BidirectionalLSTM(hidden_size, num_layers))
                self.lstm.add(BidirectionalLSTM(hidden_size, num_layers))

    def hybrid_forward(self, F, x, *args, **kwargs):
        x = x.squeeze(axis=2)
        x = x.transpose((0, 2, 1))       # (batch, width, channel)
        return self.lstm(x)


class Model(HybridBlock):
    def __init__(self, n_class, hidden_size):
        super(Model, self).__init__()
        self.feature_extraction = VGG()
        self.sequence_model = RNNDecoder(hidden_size)
        self.prediction = nn.Dense(units=n_class, flatten=False)
        self.model_name = 'VGG_RNN_CTC'

    def get_batch_max_length(self, sample_input):
        return self.feature_extraction(sample_input).shape[-1]

    def hybrid_forward(self, F, x, *args, **kwargs):
        visual_feature = self.feature_extraction(x)
        contextual_feature = self.sequence_model(visual_feature)
        return self.prediction(contextual_feature), x


class ImageDataset(Dataset):
    def __init__(self, data_list, img_h, img_w, img_channel, num_label, alphabet, phase='train'):
        super(ImageDataset, self).__init__()
        self.data_list, self.img_h, self.img_w = data_list, img_h, img_w
        self.img_channel, self.num_label, self.phase = img_channel, num_label, phase
        self.label_dict = {char: i for i, char in enumerate(alphabet)}

    def __getitem__(self, idx):
        img_path, label = self.data_list[idx]
        return self.pre_processing(img_path), self.label_enocder(label.replace(' ', ''))

    def __len__(self):
        return len(self.data_list)

    def label_enocder(self, label):
        tmp_label = nd.zeros(self.num_label, dtype=np.float32) - 1
        for i, ch in enumerate(label):
            tmp_label[i] = self.label_dict[ch]
        return tmp_label

    def pre_processing(self, img_path):
        data_augment = self.phase == 'train' and np.random.rand() > 0.5
        img_h, img_w = (32, 26) if data_augment else (self.img_h, self.img_w)
        img = image.imdecode(open(img_path, 'rb').read(), 1 if self.img_channel == 3 else 0)
        h, w = img.shape[:2]
        new_w = int(w * float(img_h) / h)
        if new_w < img_w:
            img = image.imresize(img, w=new_w, h=img_h)
            step = nd.zeros((img_h, img_w - new_w, self.img_channel), dtype=img.dtype)
            img = nd.concat(img, step, dim=1)
        else:
            img = image.imresize(img, w=img_w, h=img_h)
        if data_augment:
            img, _ = image.random_crop(img, (self.img_w, self.img_h))
        return img


def decode(preds, alphabet):
    if len(preds.shape) > 2:
        preds_idx, preds_prob = preds.argmax(axis=2), preds.max(axis=2)
    else:
        preds_idx, preds_prob = preds, np.ones_like(preds)
    result_list = []
    for word, prob in zip(preds_idx, preds_prob):
        result, conf = [], []
        for i, index in enumerate(word):
            if i < len(word) - 1 and word[i] == word[i + 1] and word[-1] != -1:
                continue
            if index == -1 or index == len(alphabet) - 1:
                continue
            result.append(alphabet[int(index)])
            conf.append(prob[i])
        result_list.append((''.join(result), conf))
    return result_list


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


alphabet = 'abcdeh_'                      # the last symbol stands for CTC's blank
img_dir = os.path.join(tmp, 'images')
os.makedirs(img_dir)
rng = np.random.RandomState(381)
data_list = []
for k, text in enumerate(['abc', 'bad', 'cab', 'he', 'dee', 'ace', 'bed', 'ha']):
    h, w = 32, 12 + 2 * (k % 4)
    path = os.path.join(img_dir, '%d.png' % k)
    Image.fromarray(rng.randint(0, 256, size=(h, w, 3)).astype('uint8')).save(path)
    data_list.append((path, text))

ctx = [mx.cpu()]
crnn = Model(len(alphabet), 4)
crnn.hybridize()
crnn.initialize(NamedUniform(0.25), ctx=ctx)
sample_input = nd.zeros((2, 3, 32, 20), ctx[0])
num_label = crnn.get_batch_max_length(sample_input)
print('num_label', num_label, crnn.model_name)
train_ds = ImageDataset(data_list[:6], 32, 20, 3, num_label, alphabet, phase='train')
val_ds = ImageDataset(data_list[6:], 32, 20, 3, num_label, alphabet, phase='test')
img, lab = train_ds[0]
print('sample', img.shape, img.dtype, lab)
train_transfroms = transforms.Compose([transforms.ToTensor()])
train_loader = DataLoader(dataset=train_ds.transform_first(train_transfroms), batch_size=2,
                          shuffle=True, last_batch='rollover', num_workers=0)
train_loader.dataset_len = len(train_ds)
val_loader = DataLoader(dataset=val_ds.transform_first(transforms.ToTensor()), batch_size=2,
                        shuffle=False, last_batch='rollover')
print('loaders', len(train_loader), len(val_loader))

criterion = gluon.loss.CTCLoss()
lr_config = {'type': 'FactorScheduler', 'args': {'step': 2, 'factor': 0.5}}
lr_config['args']['step'] *= len(train_loader)
schedule = getattr(mx.lr_scheduler, lr_config['type'])(**lr_config['args'])
optimizer = getattr(mx.optimizer, 'Adam')(learning_rate=0.01, lr_scheduler=schedule)
trainer = gluon.Trainer(crnn.collect_params(), optimizer=optimizer)


def accuracy_batch(predictions, labels):
    n_correct, edit_dis = 0, 0.0
    for gpu_prediction, gpu_label in zip(predictions, labels):
        gpu_prediction = gpu_prediction.softmax().asnumpy()
        for (pred, pred_conf), (target, _) in zip(decode(gpu_prediction, alphabet),
                                                  decode(gpu_label.asnumpy(), alphabet)):
            edit_dis += edit_distance(pred, target)
            n_correct += pred == target
    return {'n_correct': n_correct, 'edit_dis': edit_dis}


global_step = 0
for epoch in range(1, 4):
    train_loss = 0.
    for i, (images, labels) in enumerate(train_loader):
        global_step += 1
        cur_batch_size = images.shape[0]
        gpu_images = gluon.utils.split_and_load(images, ctx)
        gpu_labels = gluon.utils.split_and_load(labels, ctx)
        with autograd.record():
            preds = [crnn(x)[0] for x in gpu_images]
            ls = [criterion(pred, gpu_y) for pred, gpu_y in zip(preds, gpu_labels)]
        for l in ls:
            l.backward()
        trainer.step(cur_batch_size)
        loss = sum([x.sum().asscalar() for x in ls]) / sum([x.shape[0] for x in ls])
        train_loss += loss
        batch_dict = accuracy_batch(preds, gpu_labels)
        print('[{}] step {} loss {:.6f} acc {:.4f} edit_dis {:.4f} lr {:.6f}'.format(
            epoch, global_step, loss, batch_dict['n_correct'] / cur_batch_size,
            batch_dict['edit_dis'] / cur_batch_size, trainer.learning_rate))
    print('epoch {} train_loss {:.6f}'.format(epoch, train_loss / len(train_loader)))

n_correct, edit_dis = 0, 0
for images, labels in val_loader:
    preds = [crnn(x)[0] for x in gluon.utils.split_and_load(images, ctx)]
    batch_dict = accuracy_batch(preds, gluon.utils.split_and_load(labels, ctx))
    n_correct += batch_dict['n_correct']
    edit_dis += batch_dict['edit_dis']
print('val', n_correct, edit_dis)


class BalancedBatches(object):
    def __init__(self, dataset_list, ratio_list, all_batch_size, dataset_transfroms):
        self.data_loader_list, self.dataloader_iter_list, self.dataset_len = [], [], 0
        for _dataset, batch_ratio_d in zip(dataset_list, ratio_list):
            _batch_size = max(round(all_batch_size * float(batch_ratio_d)), 1)
            loader = DataLoader(dataset=_dataset.transform_first(dataset_transfroms),
                                batch_size=_batch_size, shuffle=True, last_batch='rollover')
            self.data_loader_list.append(loader)
            self.dataloader_iter_list.append(iter(loader))
            self.dataset_len += len(_dataset)

    def __len__(self):
        return min([len(x) for x in self.data_loader_list])

    def __next__(self):
        images, texts = [], []
        for i, data_loader_iter in enumerate(self.dataloader_iter_list):
            try:
                image_, text = next(data_loader_iter)
            except StopIteration:
                self.dataloader_iter_list[i] = iter(self.data_loader_list[i])
                image_, text = next(self.dataloader_iter_list[i])
            images.append(image_)
            texts.append(text)
        return nd.concat(*images, dim=0), nd.concat(*texts, dim=0)


balanced = BalancedBatches([train_ds, val_ds], [0.5, 0.5], 4, transforms.ToTensor())
print('balanced', len(balanced), balanced.dataset_len)
for _ in range(3):
    images, labels = next(balanced)
    print('balanced batch', images.shape, labels.asnumpy()[:, :2].tolist())

checkpoint_dir = os.path.join(tmp, 'checkpoint')
os.makedirs(checkpoint_dir)
params_filename = os.path.join(checkpoint_dir, 'model_latest.params')
crnn.save_parameters(params_filename)
trainer.save_states(params_filename.replace('.params', '.train_states'))
again = Model(len(alphabet), 4)
again.load_parameters(params_filename, ctx=ctx, ignore_extra=True, allow_missing=True)
again_trainer = gluon.Trainer(again.collect_params(), optimizer=getattr(mx.optimizer, 'Adam')(
    learning_rate=0.01, lr_scheduler=getattr(mx.lr_scheduler, 'FactorScheduler')(step=4, factor=0.5)))
again_trainer.load_states(params_filename.replace('.params', '.train_states'))
print('resumed lr %.6f' % again_trainer.learning_rate)

again.hybridize()
img = val_ds.pre_processing(data_list[7][0])
tensor = transforms.ToTensor()(img).expand_dims(axis=0).as_in_context(ctx[0])
preds, nd_img = again(tensor)
print('predict', preds.shape, nd_img.shape, decode(preds.softmax().asnumpy(), alphabet)[0][0])
show('predict', preds.softmax()[0, 0])
again.export(os.path.join(tmp, 'crnn_lite'))
deployed = gluon.SymbolBlock.imports(os.path.join(tmp, 'crnn_lite-symbol.json'), ['data'],
                                     os.path.join(tmp, 'crnn_lite-0000.params'), ctx=ctx[0])
dep_preds, dep_img = deployed(tensor)
print('deployed', (dep_preds - preds).abs().max().asscalar() < 1e-6, dep_img.shape)
