# awslabs/handwritten-text-recognition-for-apache-mxnet, shrunk: the line recogniser (a grey-scale
# first convolution whose weights are the channel mean of a ResNet's, the ResNet's next stages, one
# bidirectional-LSTM encoder per feature scale with a Conv-BN-ReLU-MaxPool down-sampler between
# them, a Dense(flatten=False) decoder over the alphabet plus blank, gluon.loss.CTCLoss on -1
# padded labels), its data path (ArrayDataset.transform, DataLoader with shuffle and
# last_batch='rollover', split_and_load over a context list), its training loop (Adam with
# clip_gradient and a FactorScheduler whose base_lr is set afterwards, record(train_mode=...)),
# the decoders (softmax().topk(axis=2) best path, and a CTC prefix beam search in NumPy), the word
# model's length-weighted loss (CTCLoss(weight=0.2) times the label length), checkpoints.
# Weights come from an initializer seeded by each parameter's name: the ResNet's BatchNorm layers
# learn their sizes at the first forward, and MXNet 1.9.1 with MKL-DNN refuses set_data on a
# convolution weight once it has been used. Dropout rate is 0 (its masks would come from each
# framework's own random stream); skimage's affine warp is replaced by a column shift.
import os
import random
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon.model_zoo.vision import resnet18_v1
from _common import named_uniform, show

tmp = tempfile.mkdtemp()
np.random.seed(3)
random.seed(3)

alphabet_encoding = " -.abdehlnort"
alphabet_dict = {alphabet_encoding[i]: i for i in range(len(alphabet_encoding))}
max_seq_len = 8
ctx = [mx.cpu()]


NamedUniform = named_uniform(mx)

class EncoderLayer(gluon.HybridBlock):
    def __init__(self, hidden_states=4, rnn_layers=1, max_seq_len=8, **kwargs):
        self.max_seq_len = max_seq_len
        super(EncoderLayer, self).__init__(**kwargs)
        with self.name_scope():
            self.lstm = mx.gluon.rnn.LSTM(hidden_states, rnn_layers, bidirectional=True)

    def hybrid_forward(self, F, x):
        x = x.transpose((0, 3, 1, 2))
        x = x.flatten()
        x = x.split(num_outputs=self.max_seq_len, axis=1)      # (SEQ_LEN, N, CHANNELS)
        x = F.concat(*[elem.expand_dims(axis=0) for elem in x], dim=0)
        x = self.lstm(x)
        x = x.transpose((1, 0, 2))                              # (N, SEQ_LEN, HIDDEN_UNITS)
        return x


class Network(gluon.HybridBlock):
    FEATURE_EXTRACTOR_FILTER = 64

    def __init__(self, num_downsamples=2, resnet_layer_id=4, rnn_hidden_states=4, rnn_layers=1,
                 max_seq_len=8, ctx=mx.cpu(), **kwargs):
        super(Network, self).__init__(**kwargs)
        self.p_dropout = 0.0
        self.num_downsamples = num_downsamples
        self.max_seq_len = max_seq_len
        self.ctx = ctx
        with self.name_scope():
            self.body = self.get_body(resnet_layer_id=resnet_layer_id)
            self.encoders = gluon.nn.HybridSequential()
            with self.encoders.name_scope():
                for i in range(self.num_downsamples):
                    encoder = self.get_encoder(rnn_hidden_states=rnn_hidden_states,
                                               rnn_layers=rnn_layers, max_seq_len=max_seq_len)
                    self.encoders.add(encoder)
            self.decoder = self.get_decoder()
            self.downsampler = self.get_down_sampler(self.FEATURE_EXTRACTOR_FILTER)

    def get_down_sampler(self, num_filters):
        out = gluon.nn.HybridSequential()
        with out.name_scope():
            for _ in range(2):
                out.add(gluon.nn.Conv2D(num_filters, 3, strides=1, padding=1))
                out.add(gluon.nn.BatchNorm(in_channels=num_filters))
                out.add(gluon.nn.Activation('relu'))
            out.add(gluon.nn.MaxPool2D(2))
            out.collect_params().initialize(NamedUniform(0.05), ctx=self.ctx)
        out.hybridize()
        return out

    def get_body(self, resnet_layer_id):
        pretrained = resnet18_v1(pretrained=False, ctx=self.ctx)
        pretrained.initialize(NamedUniform(0.08), ctx=self.ctx)
        pretrained_2 = resnet18_v1(pretrained=False, ctx=mx.cpu(0))
        pretrained_2.initialize(NamedUniform(0.08), ctx=mx.cpu(0))
        pretrained_2.features[0](nd.zeros((1, 3, 8, 8)))   # the zoo's first layer infers in_channels
        first_weights = pretrained_2.features[0].weight.data().mean(axis=1).expand_dims(axis=1)
        body = gluon.nn.HybridSequential()
        with body.name_scope():
            first_layer = gluon.nn.Conv2D(channels=64, kernel_size=(7, 7), padding=(3, 3),
                                          strides=(2, 2), in_channels=1, use_bias=False)
            first_layer.initialize(mx.init.Xavier(), ctx=self.ctx)
            first_layer.weight.set_data(first_weights)
            body.add(first_layer)
            body.add(*pretrained.features[1:-resnet_layer_id])
        return body

    def get_encoder(self, rnn_hidden_states, rnn_layers, max_seq_len):
        encoder = gluon.nn.HybridSequential()
        with encoder.name_scope():
            encoder.add(EncoderLayer(hidden_states=rnn_hidden_states, rnn_layers=rnn_layers,
                                     max_seq_len=max_seq_len))
            encoder.add(gluon.nn.Dropout(self.p_dropout))
        encoder.collect_params().initialize(NamedUniform(0.3), ctx=self.ctx)
        return encoder

    def get_decoder(self):
        alphabet_size = len(alphabet_encoding) + 1
        decoder = mx.gluon.nn.Dense(units=alphabet_size, flatten=False)
        decoder.collect_params().initialize(NamedUniform(0.3), ctx=self.ctx)
        return decoder

    def hybrid_forward(self, F, x):
        features = self.body(x)
        hidden_states = []
        hs = self.encoders[0](features)
        hidden_states.append(hs)
        for i, _ in enumerate(range(self.num_downsamples - 1)):
            features = self.downsampler(features)
            hs = self.encoders[i + 1](features)
            hidden_states.append(hs)
        hs = F.concat(*hidden_states, dim=2)
        output = self.decoder(hs)
        return output


MEAN, STD = 0.9425, 0.1593


def transform(image, label):
    image = np.expand_dims(image, axis=0).astype(np.float32)
    if image[0, 0, 0] > 1:
        image = image / 255.
    image = (image - MEAN) / STD
    label_encoded = np.zeros(max_seq_len, dtype=np.float32) - 1
    i = 0
    for word in label:
        for letter in word:
            label_encoded[i] = alphabet_dict[letter]
            i += 1
    return image, label_encoded


def augment_transform(image, label):
    tx = random.uniform(-0.1, 0.1)
    shifted = np.roll(image, int(round(tx * image.shape[1])), axis=1)
    return transform(shifted * 1.0, label)


def decode(prediction):
    results = []
    for word in prediction:
        result = []
        for i, index in enumerate(word):
            if i < len(word) - 1 and word[i] == word[i + 1] and word[-1] != -1:
                continue
            if index == len(alphabet_dict) or index == -1:
                continue
            else:
                # (index is topk's 1-element axis: NumPy 2 refuses int() on it, hence .item())
                result.append(alphabet_encoding[int(np.asarray(index).item())])
        results.append(result)
    return [''.join(word) for word in results]


def ctc_beam_search(mat, classes, beam_width):
    """Prefix beam search over (T, C) probabilities; the blank is the last class."""
    blank = len(classes)
    beams = {(): (1.0, 0.0)}                      # labelling -> (p ending in blank, p ending in char)
    for t in range(mat.shape[0]):
        best = sorted(beams.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam_width]
        nxt = {}
        for lab, (pb, pnb) in best:
            b, n = nxt.get(lab, (0.0, 0.0))
            stay = pnb * mat[t, lab[-1]] if lab else 0.0
            nxt[lab] = (b + (pb + pnb) * mat[t, blank], n + stay)
            for c in range(mat.shape[1] - 1):
                new = lab + (c,)
                extend = mat[t, c] * (pb if lab and lab[-1] == c else pb + pnb)
                b2, n2 = nxt.get(new, (0.0, 0.0))
                nxt[new] = (b2, n2 + extend)
        beams = nxt
    ranked = sorted(beams.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam_width]
    return [(''.join(classes[c] for c in lab), pb + pnb) for lab, (pb, pnb) in ranked]


def run_epoch(e, network, dataloader, trainer, print_name, is_train):
    total_loss = [nd.zeros(1, ctx_) for ctx_ in ctx]
    for i, (x_, y_) in enumerate(dataloader):
        X = gluon.utils.split_and_load(x_, ctx)
        Y = gluon.utils.split_and_load(y_, ctx)
        with autograd.record(train_mode=is_train):
            output = [network(x) for x in X]
            loss_ctc = [ctc_loss(o, y) for o, y in zip(output, Y)]
        if is_train:
            [l.backward() for l in loss_ctc]
            trainer.step(x_.shape[0])
        if i == 0:
            predictions = output[0][:4].softmax().topk(axis=2).asnumpy()
            decoded_text = decode(predictions)
            print('{} epoch {} first decoded text = {} | labels {}'.format(
                print_name, e, decoded_text, decode(Y[0][:4].asnumpy())))
        for i, l in enumerate(loss_ctc):
            total_loss[i] += l.mean()
    epoch_loss = float(sum([tl.asscalar() for tl in total_loss])) / (len(dataloader) * len(ctx))
    return epoch_loss


# ---------------------------------------------------------------- data
rng = np.random.RandomState(37)
texts = ['hello', 'the', 'red dot', 'a-b', 'note.', 'ton', 'bled', 'herd']
train_images = [(rng.rand(16, 32) * 255).astype(np.float32) for _ in texts]
test_images = [(rng.rand(16, 32) * 255).astype(np.float32) for _ in texts[:4]]
train_ds = gluon.data.ArrayDataset(train_images, texts)
test_ds = gluon.data.ArrayDataset(test_images, texts[:4])
print('samples', len(train_ds), len(test_ds))
train_data = gluon.data.DataLoader(train_ds.transform(augment_transform), 3, shuffle=True,
                                   last_batch='rollover')
test_data = gluon.data.DataLoader(test_ds.transform(transform), 2, shuffle=False,
                                  last_batch='discard')
print('batches', len(train_data), len(test_data))
img0, lab0 = train_ds.transform(transform)[1]
print('sample', img0.shape, img0.dtype, lab0)

# ---------------------------------------------------------------- network
net = Network(num_downsamples=2, resnet_layer_id=4, rnn_hidden_states=4, rnn_layers=1,
              max_seq_len=max_seq_len, ctx=ctx[0])
print(net.body[0].weight.shape, len(net.body), [type(b).__name__ for b in net.body])
names = sorted(net.collect_params().keys())
print(len(names), names[:4], names[-6:])
x0 = nd.array(np.stack([transform(im, t)[0] for im, t in zip(train_images[:2], texts[:2])]))
print('features', net.body(x0).shape, 'output', net(x0).shape)
show('first weights', net.body[0].weight.data()[:2])
show('output', net(x0)[0, 0])

# ---------------------------------------------------------------- train
learning_rate, lr_period, lr_scale = 0.002, 2, 0.5
schedule = mx.lr_scheduler.FactorScheduler(step=lr_period * len(train_data), factor=lr_scale)
schedule.base_lr = learning_rate
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': learning_rate,
                                                       'lr_scheduler': schedule,
                                                       'clip_gradient': 2})
ctc_loss = gluon.loss.CTCLoss()
checkpoint = os.path.join(tmp, 'handwriting_line.params')
best_test_loss = 10e10
for e in range(3):
    if e == 1:
        net.hybridize()
    train_loss = run_epoch(e, net, train_data, trainer, print_name='train', is_train=True)
    test_loss = run_epoch(e, net, test_data, trainer, print_name='test', is_train=False)
    if test_loss < best_test_loss:
        net.save_parameters(checkpoint)
        best_test_loss = test_loss
    print('Epoch {0}, train_loss {1:.6f}, test_loss {2:.6f}, lr {3:.6f}'.format(
        e, train_loss, test_loss, trainer.learning_rate))
show('decoder weight', net.decoder.weight.data()[0])
show('lstm grad', net.encoders[0][0].lstm.l0_i2h_weight.grad()[0])

# ---------------------------------------------------------------- inference and decoders
net2 = Network(ctx=ctx[0])
net2.load_parameters(checkpoint, ctx=ctx[0])
line = test_images[0]
image = mx.nd.array(line) / 255.
image = (image - MEAN) / STD
image = image.expand_dims(0).expand_dims(0)
out = net2(image)
print('reloaded best', out.shape, decode(out.softmax().topk(axis=2).asnumpy()))
probs = out.softmax()[0].asnumpy()
show('probs t0', probs[0])
for text, p in ctc_beam_search(probs, alphabet_encoding, 3):
    print('beam %r %.6g' % (text, p))

# ---------------------------------------------------------------- word model's loss
word_loss = gluon.loss.CTCLoss(weight=0.2)
x_, y_ = next(iter(test_data))
with autograd.record():
    output = net(x_)
    loss = word_loss(output, y_)
    loss = (y_ != -1).sum(axis=1) * loss
loss.backward()
show('word loss', loss)
show('word grad', net.decoder.bias.grad())
trainer.step(x_.shape[0])
show('word step bias', net.decoder.bias.data())
