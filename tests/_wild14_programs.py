"""The programs of the fourteenth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_14.py),
each rewritten in our own words from the source named above it, keeping its calls, shapes and
idioms (channel counts and sizes shrunk, random draws replaced by seeded NumPy data). Each program
function returns its outputs, gradients and losses as nested dicts of lists.

The test runs this file as it is, on minigluon; tools/gen_wild14_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild14/wild14.json.
"""
import numpy as np

import minigluon as mx
from _wild_common import attempt as _try, program_helpers, training_helpers

autograd, gluon, nd, init = mx.autograd, mx.gluon, mx.nd, mx.init
nn, rnn = gluon.nn, gluon.rnn
HybridBlock, Block = gluon.HybridBlock, gluon.Block

L, set_params, rnd = program_helpers(nd)     # tests/_wild_common.py, shared with _wild.py
norms, build = training_helpers(mx)



# ---------------------------------------------------------------- 1 PSPNet head
# dmlc/gluon-cv gluoncv/model_zoo/pspnet.py (_PSP1x1Conv, _PyramidPooling pooling with
# F.contrib.AdaptiveAvgPooling2D to 1, 2, 3, 4 and resizing back with
# F.contrib.BilinearResize2D(height=, width=) read from ``x.shape`` inside hybrid_forward, _PSPHead
# whose HybridSequential has ``prefix=''``, the pyramid made outside the head's name scope) and
# model_zoo/fcn.py (_FCNHead as the auxiliary head); PSPNet sets ``lr_mult`` 10 on both heads by
# ``collect_params().setattr``. 2048 channels shrunk to 8, the head's Dropout rate made 0 for
# training (a random mask would differ between frameworks).
def psp_conv1x1(in_channels, out_channels):
    block = nn.HybridSequential()
    with block.name_scope():
        block.add(nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=1, use_bias=False))
        block.add(nn.BatchNorm(in_channels=out_channels))
        block.add(nn.Activation('relu'))
    return block


class PyramidPooling(HybridBlock):
    def __init__(self, in_channels, **kwargs):
        super(PyramidPooling, self).__init__(**kwargs)
        quarter = in_channels // 4
        with self.name_scope():
            self.branches = []
            for i in range(4):
                branch = psp_conv1x1(in_channels, quarter)
                setattr(self, 'conv%d' % (i + 1), branch)
                self.branches.append(branch)

    def hybrid_forward(self, F, x):
        _, _, h, w = x.shape
        feats = [x]
        for size, branch in zip((1, 2, 3, 4), self.branches):
            pooled = F.contrib.AdaptiveAvgPooling2D(x, output_size=size)
            feats.append(F.contrib.BilinearResize2D(branch(pooled), height=h, width=w))
        return F.concat(*feats, dim=1)


class PSPHead(HybridBlock):
    def __init__(self, nclass, in_channels, drop, **kwargs):
        super(PSPHead, self).__init__(**kwargs)
        self.psp = PyramidPooling(in_channels)
        with self.name_scope():
            self.block = nn.HybridSequential(prefix='')
            self.block.add(nn.Conv2D(in_channels=2 * in_channels, channels=6, kernel_size=3, padding=1, use_bias=False))
            self.block.add(nn.BatchNorm(in_channels=6))
            self.block.add(nn.Activation('relu'))
            self.block.add(nn.Dropout(drop))
            self.block.add(nn.Conv2D(in_channels=6, channels=nclass, kernel_size=1))

    def hybrid_forward(self, F, x):
        return self.block(self.psp(x))


class FCNHead(HybridBlock):
    def __init__(self, in_channels, channels, **kwargs):
        super(FCNHead, self).__init__()
        with self.name_scope():
            self.block = nn.HybridSequential()
            inter = in_channels // 4
            with self.block.name_scope():
                self.block.add(nn.Conv2D(in_channels=in_channels, channels=inter, kernel_size=3, padding=1,
                                         use_bias=False))
                self.block.add(nn.BatchNorm(in_channels=inter))
                self.block.add(nn.Activation('relu'))
                self.block.add(nn.Dropout(0.0))
                self.block.add(nn.Conv2D(in_channels=inter, channels=channels, kernel_size=1))

    def hybrid_forward(self, F, x):
        return self.block(x)


class PSPTop(HybridBlock):
    """The PSPNet forward after its backbone: both heads resized to the crop size."""
    def __init__(self, nclass, crop, **kwargs):
        super(PSPTop, self).__init__(**kwargs)
        self._up_kwargs = {'height': crop, 'width': crop}
        with self.name_scope():
            self.head = PSPHead(nclass, 8, 0.0)
            self.auxlayer = FCNHead(8, nclass)

    def hybrid_forward(self, F, c3, c4):
        x = F.contrib.BilinearResize2D(self.head(c4), **self._up_kwargs)
        aux = F.contrib.BilinearResize2D(self.auxlayer(c3), **self._up_kwargs)
        return x, aux


def psp_head():
    c3, c4 = rnd(1401, 2, 8, 5, 5), rnd(1402, 2, 8, 6, 6)
    label = nd.array(np.random.RandomState(1403).randint(0, 3, (2, 9, 9)))
    out = {}
    for mode in ('eager', 'hybrid'):
        out[mode] = _try(lambda: psp_train(mode, c3, c4, label))
    net = PSPTop(3, 9)
    net.initialize()
    net.head.collect_params().setattr('lr_mult', 10)
    net.auxlayer.collect_params().setattr('lr_mult', 10)
    names = sorted(net.collect_params().keys())
    out['lr_mult'] = sorted(set(net.collect_params()[n].lr_mult for n in names))
    out['n_params'] = len(names)
    pooled = nd.contrib.AdaptiveAvgPooling2D(nd.arange(2 * 25).reshape((1, 2, 5, 5)), output_size=(3, 2))
    out['adaptive'] = L(pooled)
    out['resize_odd'] = L(nd.contrib.BilinearResize2D(nd.arange(12).reshape((1, 1, 3, 4)), height=5, width=7))
    return out


def psp_train(mode, c3, c4, label):
    """Two SGD steps of the PSPNet top, eager or hybridized (where ``x.shape`` inside
    hybrid_forward meets a Symbol)."""
    net = PSPTop(3, 9)
    net.initialize()
    net.head.collect_params().setattr('lr_mult', 10)
    net.auxlayer.collect_params().setattr('lr_mult', 10)
    build(net, 1404, c3, c4)
    if mode == 'hybrid':
        net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(axis=1)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01, 'momentum': 0.9, 'wd': 1e-4})
    losses = []
    for _ in range(2):
        with autograd.record():
            x, aux = net(c3, c4)
            loss = loss_fn(x, label) + 0.2 * loss_fn(aux, label)
        loss.backward()
        trainer.step(2)
        losses.append(L(loss))
    x, aux = net(c3, c4)
    return {'losses': losses, 'norms': norms(net), 'pred': L(x[0, :, :2, :4]), 'aux': L(aux[1, 0, 3:5]),
            'shapes': [list(x.shape), list(aux.shape)]}


# ---------------------------------------------------------------- 2 pose heatmap decoding
# dmlc/gluon-cv gluoncv/data/transforms/pose.py: get_max_pred (argmax / max over the flattened
# heatmap, tile to x and y, ``%`` and floor of a division written into column slices, a mask by
# ``greater`` cast to float32), get_final_preds' quarter-pixel step toward the larger neighbour
# (``hm[py][px+1] - hm[py][px-1]`` read by chained integer indexing, nd.concat of those, ``+=`` of
# ``nd.sign(diff) * .25`` into ``coords[n][p]``), heatmap_to_coord (column writes into
# ``preds[i][:, 0]``), and the AlphaPose pieces: alpha_pose_detection_processor (column-list
# assignment of nd.clip), heatmap_to_coord_alpha_pose (argmax with keepdims, ``%=`` and ``/=`` on
# column slices, a broadcast mask, nd.concatenate), the padding of alpha_pose_image_cropper
# (nd.pad constant with value 0.5); plus gluoncv's simple-pose training loss (L2Loss weighted by
# the joints' target weights).
def get_max_pred(batch_heatmaps):
    batch_size, num_joints, _, width = batch_heatmaps.shape
    flat = batch_heatmaps.reshape((batch_size, num_joints, -1))
    idx = nd.argmax(flat, 2)
    maxvals = nd.max(flat, 2).reshape((batch_size, num_joints, 1))
    idx = idx.reshape((batch_size, num_joints, 1))
    preds = nd.tile(idx, (1, 1, 2)).astype(np.float32)
    preds[:, :, 0] = preds[:, :, 0] % width
    preds[:, :, 1] = nd.floor(preds[:, :, 1] / width)
    mask = nd.tile(nd.greater(maxvals, 0.0), (1, 1, 2)).astype(np.float32)
    preds *= mask
    return preds, maxvals


def quarter_offsets(coords, batch_heatmaps):
    height, width = batch_heatmaps.shape[2:]
    for n in range(coords.shape[0]):
        for p in range(coords.shape[1]):
            hm = batch_heatmaps[n][p]
            px = int(nd.floor(coords[n][p][0] + 0.5).asscalar())
            py = int(nd.floor(coords[n][p][1] + 0.5).asscalar())
            if 1 < px < width - 1 and 1 < py < height - 1:
                diff = nd.concat(hm[py][px + 1] - hm[py][px - 1], hm[py + 1][px] - hm[py - 1][px], dim=0)
                coords[n][p] += nd.sign(diff) * .25
    return coords


def heatmap_to_coord(heatmaps, bbox_list):
    height, width = heatmaps.shape[2:]
    coords, maxvals = get_max_pred(heatmaps)
    preds = nd.zeros_like(coords)
    for i, (x0, y0, x1, y1) in enumerate(bbox_list):
        w, h = (x1 - x0) / 2, (y1 - y0) / 2
        center, scale = np.array([x0 + w, y0 + h]), np.array([w, h])
        preds[i][:, 0] = scale[0] * 2 * (coords[i][:, 0] / width) + center[0] - scale[0]
        preds[i][:, 1] = scale[1] * 2 * (coords[i][:, 1] / height) + center[1] - scale[1]
    return preds, maxvals


def heatmap_to_coord_alpha(hms, boxes):
    hm_h, hm_w = hms.shape[2], hms.shape[3]
    aspect = float(hm_h) / hm_w
    pt1 = nd.array(boxes[:, (0, 2)])
    pt2 = nd.array(boxes[:, (1, 3)])
    flat = hms.reshape(hms.shape[0], hms.shape[1], -1)
    idxs = nd.argmax(flat, 2, keepdims=True)
    maxval = nd.max(flat, 2, keepdims=True)
    preds = idxs.tile(reps=[1, 1, 2])
    preds[:, :, 0] %= hms.shape[3]
    preds[:, :, 1] /= hms.shape[3]
    preds *= (maxval > 0).tile(reps=[1, 1, 2])
    box_size = pt2 - pt1
    len_h = nd.maximum(box_size[:, 1:2], box_size[:, 0:1] * aspect)
    len_w = len_h / aspect
    canvas = nd.concatenate([len_w, len_h], axis=1)
    offsets = pt1 - nd.maximum(0, canvas / 2 - box_size / 2)
    return preds * len_h / hm_h + offsets, maxval


def pose_decode():
    rs = np.random.RandomState(1411)
    heat = rs.uniform(-0.2, 1, (2, 3, 6, 5)).astype(np.float32)
    heat[1, 2] = -np.abs(heat[1, 2]) - 0.01        # a joint with no positive peak: masked to (0, 0)
    heat[0, 0, 0, 4] = 2.0                         # a peak on the border: no quarter step
    heatmaps = nd.array(heat)
    coords, maxvals = get_max_pred(heatmaps)
    out = {'coords': L(coords), 'maxvals': L(maxvals)}
    out['final'] = L(quarter_offsets(coords.copy(), heatmaps))
    bboxes = [[10.0, 20.0, 50.0, 100.0], [0.0, 5.0, 30.0, 35.0]]
    preds, _ = heatmap_to_coord(heatmaps, bboxes)
    out['to_coord'] = L(preds)
    boxes = nd.array([[-3.0, 2.0, 40.0, 30.0], [5.0, -1.0, 70.0, 90.0]])
    boxes[:, [0, 2]] = nd.clip(boxes[:, [0, 2]], 0., 63.)
    boxes[:, [1, 3]] = nd.clip(boxes[:, [1, 3]], 0., 47.)
    out['clipped'] = L(boxes)
    # (as written, ``preds * len_h`` broadcasts (boxes, joints, 2) with (boxes, 1): it runs when
    # there are as many joints as boxes, each joint then scaled by one box's height)
    out['alpha_3_joints'] = _try(lambda: heatmap_to_coord_alpha(heatmaps, boxes.asnumpy()))
    alpha, alpha_max = heatmap_to_coord_alpha(heatmaps[:, :2], boxes.asnumpy())
    out['alpha'] = [L(alpha), L(alpha_max)]
    tensor = nd.arange(2 * 3 * 4).reshape((1, 2, 3, 4))
    out['pad'] = L(nd.pad(tensor, mode='constant', constant_value=0.5, pad_width=(0, 0, 0, 0, 1, 2, 0, 1)))
    # the simple-pose loss: a deconvolution head regressing heatmaps, joints weighted
    head = nn.HybridSequential()
    head.add(nn.Conv2DTranspose(4, 4, strides=2, padding=1, use_bias=False), nn.BatchNorm(), nn.Activation('relu'),
             nn.Conv2D(3, 1))
    head.initialize()
    x = rnd(1412, 2, 2, 3, 3)
    build(head, 1413, x)
    target = nd.abs(rnd(1414, 2, 3, 6, 6))
    weight = nd.array([[1, 0, 1], [1, 1, 0]]).reshape((2, 3, 1, 1))
    loss_fn = gluon.loss.L2Loss()
    trainer = gluon.Trainer(head.collect_params(), 'adam', {'learning_rate': 0.01})
    losses = []
    for _ in range(2):
        with autograd.record():
            pred = head(x)
            loss = loss_fn(pred, target, weight)
        loss.backward()
        trainer.step(2)
        losses.append(L(loss))
    out['train'] = {'losses': losses, 'norms': norms(head), 'shape': list(pred.shape)}
    return out


# ---------------------------------------------------------------- 3 neural style transfer
# d2l-ai/d2l-zh (MXNet 1.x edition) chapter_computer-vision/neural-style.md: the image being
# synthesized is the only Parameter of a GeneratedImage Block (``self.params.get('weight',
# shape=img_shape)``, its forward returning ``self.weight.data()``), initialized with
# ``init.Constant(content_X)`` (an NDArray) and trained by Adam; features read layer by layer from
# a Sequential at the style / content indices; content loss (mean squared difference), style loss
# on Gram matrices (``nd.dot(X, X.T)`` over channels, divided by c * hw), total-variation loss,
# the weighted sum, and the learning rate cut by ``trainer.set_learning_rate`` after some epochs.
# The pretrained VGG-19 replaced by a small Sequential with seeded weights.
class GeneratedImage(nn.Block):
    def __init__(self, img_shape, **kwargs):
        super(GeneratedImage, self).__init__(**kwargs)
        self.weight = self.params.get('weight', shape=img_shape)

    def forward(self):
        return self.weight.data()


def style_extract(net, X, content_layers, style_layers):
    contents, styles = [], []
    for i in range(len(net)):
        X = net[i](X)
        if i in style_layers:
            styles.append(X)
        if i in content_layers:
            contents.append(X)
    return contents, styles


def gram(X):
    num_channels, n = X.shape[1], X.size // X.shape[1]
    X = X.reshape((num_channels, n))
    return nd.dot(X, X.T) / (num_channels * n)


def tv_loss(Y_hat):
    return 0.5 * ((Y_hat[:, :, 1:, :] - Y_hat[:, :, :-1, :]).abs().mean()
                  + (Y_hat[:, :, :, 1:] - Y_hat[:, :, :, :-1]).abs().mean())


def style_transfer():
    features = nn.Sequential()
    features.add(nn.Conv2D(4, 3, padding=1, activation='relu'), nn.Conv2D(4, 3, padding=1, activation='relu'),
                 nn.MaxPool2D(2), nn.Conv2D(6, 3, padding=1, activation='relu'),
                 nn.Conv2D(6, 3, padding=1, activation='relu'))
    features.initialize()
    content_X, style_X = rnd(1421, 1, 3, 8, 8), rnd(1422, 1, 3, 8, 8)
    features(content_X)
    set_params(features, 1423)
    style_layers, content_layers = [0, 3, 4], [3]
    contents_Y, _ = style_extract(features, content_X, content_layers, style_layers)
    _, styles_Y = style_extract(features, style_X, content_layers, style_layers)
    styles_Y_gram = [gram(Y) for Y in styles_Y]
    gen_img = GeneratedImage(content_X.shape)
    gen_img.initialize(init.Constant(content_X))
    trainer = gluon.Trainer(gen_img.collect_params(), 'adam', {'learning_rate': 0.05})
    content_weight, style_weight, tv_weight = 1, 1e3, 10
    history = []
    for epoch in range(4):
        with autograd.record():
            X = gen_img()
            contents_Y_hat, styles_Y_hat = style_extract(features, X, content_layers, style_layers)
            contents_l = [nd.square(Y_hat - Y).mean() * content_weight for Y_hat, Y in zip(contents_Y_hat, contents_Y)]
            styles_l = [nd.square(gram(Y_hat) - Y).mean() * style_weight
                        for Y_hat, Y in zip(styles_Y_hat, styles_Y_gram)]
            tv_l = tv_loss(X) * tv_weight
            l = nd.add_n(*styles_l) + nd.add_n(*contents_l) + tv_l
        l.backward()
        trainer.step(1)
        nd.waitall()
        if epoch == 1:
            trainer.set_learning_rate(trainer.learning_rate * 0.1)
        history.append([float(nd.add_n(*contents_l).asscalar()), float(nd.add_n(*styles_l).asscalar()),
                        float(tv_l.asscalar())])
    # the content image given for an image of another size: refused, and the image Parameter is
    # then not initialized
    wrong = GeneratedImage((1, 3, 4, 4))
    bad_init = _try(lambda: wrong.initialize(init.Constant(content_X)))
    after_bad = _try(lambda: wrong.weight.data())
    return {'bad_init': bad_init, 'after_bad': after_bad,
            'history': history, 'image': L(gen_img.weight.data()[0, :, :2, :3]), 'lr': trainer.learning_rate,
            'grad': L(gen_img.weight.grad()[0, 1, 2:4]), 'gram': L(styles_Y_gram[1]),
            'names': list(gen_img.collect_params().keys()) == [gen_img.prefix + 'weight']}


# ---------------------------------------------------------------- 4 seq2seq with attention
# d2l-ai/d2l-zh (MXNet 1.x edition) chapter_natural-language-processing/machine-translation.md:
# an Encoder (Embedding, ``rnn.GRU(num_hiddens, num_layers)`` fed ``inputs.swapaxes(0, 1)``,
# begin_state), the attention model (Dense(tanh, use_bias=False, flatten=False) then Dense(1,
# use_bias=False, flatten=False)) and attention_forward (the decoder state broadcast over time by
# ``nd.broadcast_axis(expand_dims(0), axis=0, size=)``, concat on axis 2, softmax over axis 0, a
# weighted sum), a Decoder concatenating the context with the embedded input and stepping its GRU
# on ``expand_dims(0)``, and batch_loss's loop over target steps with a mask that ends at EOS;
# Adam on both halves. Dropout 0 (random masks would differ).
class S2SEncoder(nn.Block):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, **kwargs):
        super(S2SEncoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = rnn.GRU(num_hiddens, num_layers)

    def forward(self, inputs, state):
        embedding = self.embedding(inputs).swapaxes(0, 1)
        return self.rnn(embedding, state)

    def begin_state(self, *args, **kwargs):
        return self.rnn.begin_state(*args, **kwargs)


def attention_model(attention_size):
    model = nn.Sequential()
    model.add(nn.Dense(attention_size, activation='tanh', use_bias=False, flatten=False),
              nn.Dense(1, use_bias=False, flatten=False))
    return model


def attention_forward(model, enc_states, dec_state):
    dec_states = nd.broadcast_axis(dec_state.expand_dims(0), axis=0, size=enc_states.shape[0])
    enc_and_dec_states = nd.concat(enc_states, dec_states, dim=2)
    e = model(enc_and_dec_states)
    alpha = nd.softmax(e, axis=0)
    return (alpha * enc_states).sum(axis=0)


class S2SDecoder(nn.Block):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, attention_size, **kwargs):
        super(S2SDecoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.attention = attention_model(attention_size)
        self.rnn = rnn.GRU(num_hiddens, num_layers)
        self.out = nn.Dense(vocab_size, flatten=False)

    def forward(self, cur_input, state, enc_states):
        c = attention_forward(self.attention, enc_states, state[0][-1])
        input_and_c = nd.concat(self.embedding(cur_input), c, dim=1)
        output, state = self.rnn(input_and_c.expand_dims(0), state)
        return self.out(output).squeeze(axis=0), state

    def begin_state(self, enc_state):
        return enc_state


def seq2seq_attention():
    vocab, embed, hidden, layers, att = 7, 4, 5, 2, 6
    BOS, EOS = 1, 2
    X = nd.array([[3, 4, 5, 2], [6, 3, 2, 0], [4, 4, 6, 2]])
    Y = nd.array([[5, 6, 2, 0], [3, 2, 0, 0], [4, 3, 5, 2]])
    encoder = S2SEncoder(vocab, embed, hidden, layers)
    decoder = S2SDecoder(vocab, embed, hidden, layers, att)
    encoder.initialize()
    decoder.initialize()
    enc_state = encoder.begin_state(batch_size=3)
    enc_out, enc_state = encoder(X, enc_state)
    decoder(nd.array([BOS] * 3), decoder.begin_state(enc_state), enc_out)
    set_params(encoder, 1431)
    set_params(decoder, 1432)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    enc_trainer = gluon.Trainer(encoder.collect_params(), 'adam', {'learning_rate': 0.01})
    dec_trainer = gluon.Trainer(decoder.collect_params(), 'adam', {'learning_rate': 0.01})

    def batch_loss():
        batch_size = X.shape[0]
        enc_state = encoder.begin_state(batch_size=batch_size)
        enc_outputs, enc_state = encoder(X, enc_state)
        dec_state = decoder.begin_state(enc_state)
        dec_input = nd.array([BOS] * batch_size)
        mask, num_not_pad_tokens = nd.ones(shape=(batch_size,)), 0
        total = nd.array([0])
        for y in Y.T:
            dec_output, dec_state = decoder(dec_input, dec_state, enc_outputs)
            total = total + (mask * loss(dec_output, y)).sum()
            dec_input = y
            num_not_pad_tokens += mask.sum().asscalar()
            mask = mask * (y != EOS)
        return total / num_not_pad_tokens

    losses = []
    for _ in range(3):
        with autograd.record():
            l = batch_loss()
        l.backward()
        enc_trainer.step(1)
        dec_trainer.step(1)
        losses.append(float(l.asscalar()))
    # greedy translation of one sentence
    enc_state = encoder.begin_state(batch_size=1)
    enc_output, enc_state = encoder(X[0:1], enc_state)
    dec_input, dec_state, tokens = nd.array([BOS]), decoder.begin_state(enc_state), []
    for _ in range(5):
        dec_output, dec_state = decoder(dec_input, dec_state, enc_output)
        pred = dec_output.argmax(axis=1)
        tokens.append(int(pred.asscalar()))
        if tokens[-1] == EOS:
            break
        dec_input = pred
    return {'losses': losses, 'enc': norms(encoder), 'dec': norms(decoder), 'tokens': tokens,
            'enc_shape': list(enc_out.shape), 'state_shape': list(enc_state[0].shape)}


# ---------------------------------------------------------------- 5 GAN and a spectral-norm conv
# d2l-ai/d2l-en (MXNet NDArray edition, 0.x) chapter_generative-adversarial-networks/gan.md:
# Gaussian data ``nd.dot(X, A) + b``, a Dense(2) generator, a tanh MLP discriminator, update_D
# (ones / zeros labels, SigmoidBinaryCrossEntropyLoss on real and ``fake.detach()``, halved) and
# update_G, two Adam trainers with beta1 0.5, every parameter re-initialized with
# ``init=init.Normal(0.02), force_reinit=True``; plus apache/mxnet example/gluon/sn_gan/model.py's
# SNConv2D as that example builds it: a Block with its weight and a power-iteration vector
# ``u`` from ``self.params.get`` (u with grad_req 'null'), the weight divided by its largest
# singular value estimated with nd.dot / nd.L2Normalization, ``u`` updated by set_data under
# ``autograd.pause()``, and nd.Convolution called with that weight.
class SNConv2D(Block):
    def __init__(self, num_filter, kernel_size, strides, padding, in_channels, iterations=1, **kwargs):
        super(SNConv2D, self).__init__(**kwargs)
        self.num_filter, self.kernel_size, self.strides, self.padding = num_filter, kernel_size, strides, padding
        self.iterations = iterations
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(num_filter, in_channels, kernel_size, kernel_size))
            self.u = self.params.get('u', init=init.Normal(), shape=(1, num_filter), grad_req='null')

    def _spectral_norm(self):
        w = self.params.get('weight').data()
        w_mat = nd.reshape(w, [w.shape[0], -1])
        _u = self.u.data()
        _v = None
        for _ in range(self.iterations):
            _v = nd.L2Normalization(nd.dot(_u, w_mat))
            _u = nd.L2Normalization(nd.dot(_v, w_mat.T))
        sigma = nd.sum(nd.dot(_u, w_mat) * _v)
        if sigma == 0.:
            sigma = 1e-8
        with autograd.pause():
            self.u.set_data(_u)
        return w / sigma

    def forward(self, x):
        return nd.Convolution(data=x, weight=self._spectral_norm(), kernel=(self.kernel_size, self.kernel_size),
                              pad=(self.padding, self.padding), stride=(self.strides, self.strides),
                              num_filter=self.num_filter, no_bias=True)


def gan_update_D(X, Z, net_D, net_G, loss, trainer_D):
    batch_size = X.shape[0]
    ones, zeros = nd.ones((batch_size,)), nd.zeros((batch_size,))
    with autograd.record():
        real_Y = net_D(X)
        fake_X = net_G(Z)
        fake_Y = net_D(fake_X.detach())
        loss_D = (loss(real_Y, ones) + loss(fake_Y, zeros)) / 2
    loss_D.backward()
    trainer_D.step(batch_size)
    return float(loss_D.sum().asscalar())


def gan_update_G(Z, net_D, net_G, loss, trainer_G):
    batch_size = Z.shape[0]
    ones = nd.ones((batch_size,))
    with autograd.record():
        fake_X = net_G(Z)
        fake_Y = net_D(fake_X)
        loss_G = loss(fake_Y, ones)
    loss_G.backward()
    trainer_G.step(batch_size)
    return float(loss_G.sum().asscalar())


def gan_sn():
    rs = np.random.RandomState(1441)
    X = nd.dot(nd.array(rs.normal(0, 1, (8, 2))), nd.array([[1, 2], [-0.1, 0.5]])) + nd.array([1, 2])
    Z = nd.array(rs.normal(0, 1, (8, 2)))
    net_G = nn.Sequential()
    net_G.add(nn.Dense(2))
    net_D = nn.Sequential()
    net_D.add(nn.Dense(5, activation='tanh'), nn.Dense(3, activation='tanh'), nn.Dense(1))
    loss = gluon.loss.SigmoidBCELoss()
    net_D.initialize(init=init.Normal(0.02), force_reinit=True)
    net_G.initialize(init=init.Normal(0.02), force_reinit=True)
    net_D(X)
    net_G(Z)
    set_params(net_D, 1442)
    set_params(net_G, 1443)
    trainer_D = gluon.Trainer(net_D.collect_params(), 'adam', {'learning_rate': 0.05, 'beta1': 0.5})
    trainer_G = gluon.Trainer(net_G.collect_params(), 'adam', {'learning_rate': 0.005, 'beta1': 0.5})
    losses = []
    for _ in range(3):
        losses.append([gan_update_D(X, Z, net_D, net_G, loss, trainer_D),
                       gan_update_G(Z, net_D, net_G, loss, trainer_G)])
    out = {'losses': losses, 'D': norms(net_D), 'G': norms(net_G), 'fake': L(net_G(Z)[:3])}
    sn = SNConv2D(3, 3, 1, 1, 2, iterations=2)
    sn.initialize()
    set_params(sn, 1444)
    x = rnd(1445, 2, 2, 4, 4)
    trainer = gluon.Trainer(sn.collect_params(), 'sgd', {'learning_rate': 0.1})
    sn_losses = []
    for _ in range(2):
        with autograd.record():
            y = sn(x)
            l = (y * y).mean()
        l.backward()
        trainer.step(2)
        sn_losses.append(float(l.asscalar()))
    out['sn'] = {'losses': sn_losses, 'u': L(sn.u.data()), 'weight_grad': L(sn.weight.grad()[1, 0]),
                 'y': L(y[0, 0, :2]), 'grad_req': sn.u.grad_req,
                 'names': sorted(k[len(sn.prefix):] for k in sn.collect_params().keys())}
    return out


# ---------------------------------------------------------------- 6 transformer encoder pieces
# dmlc/gluon-nlp src/gluonnlp/model/transformer.py and attention_cell.py (0.x): the sinusoid
# table of _position_encoding_init kept by ``params.get_constant`` and read with F.Embedding of
# ``F.contrib.arange_like(inputs, axis=1)``, broadcast_add over the batch; PositionwiseFFN
# (Dense(flatten=False) with a GELU by ``F.LeakyReLU(act_type='gelu')``, Dense back, residual,
# LayerNorm); MultiHeadAttentionCell over a DotProductAttentionCell (Q / K / V projections
# without bias, heads split by ``reshape(shape=(0, 0, heads, -1))``, ``transpose((0, 2, 1, 3))``
# and ``reshape(shape=(-1, 0, 0), reverse=True)``, scaled by F.contrib.div_sqrt_dim, batch_dot
# with ``transpose_b=True``, the length mask by ``broadcast_lesser`` of the steps and the valid
# lengths, _masked_softmax by F.where and ``-1e18``), then the
# heads merged back; eager and hybridized, with a gradient step.
def position_encoding_init(max_length, dim):
    rates = np.power(10000, (2. / dim) * np.arange(dim).reshape((1, -1)))
    position_enc = np.arange(max_length).reshape((-1, 1)) / rates
    position_enc[:, 0::2] = np.sin(position_enc[:, 0::2])
    position_enc[:, 1::2] = np.cos(position_enc[:, 1::2])
    return position_enc


class PositionwiseFFN(HybridBlock):
    def __init__(self, units, hidden_size, **kwargs):
        super(PositionwiseFFN, self).__init__(**kwargs)
        with self.name_scope():
            self.ffn_1 = nn.Dense(hidden_size, flatten=False, prefix='ffn_1_')
            self.ffn_2 = nn.Dense(units, flatten=False, prefix='ffn_2_')
            self.layer_norm = nn.LayerNorm(in_channels=units)

    def hybrid_forward(self, F, inputs):
        outputs = self.ffn_1(inputs)
        outputs = F.LeakyReLU(outputs, act_type='gelu')
        outputs = self.ffn_2(outputs)
        return self.layer_norm(outputs + inputs)


def masked_softmax(F, att_score, mask):
    neg = -1e18
    att_score = F.where(mask, att_score, neg * F.ones_like(att_score))
    return F.softmax(att_score, axis=-1) * mask


class MultiHeadSelfAttention(HybridBlock):
    def __init__(self, units, num_heads, **kwargs):
        super(MultiHeadSelfAttention, self).__init__(**kwargs)
        self._num_heads = num_heads
        with self.name_scope():
            self.proj_query = nn.Dense(units, use_bias=False, flatten=False, prefix='query_')
            self.proj_key = nn.Dense(units, use_bias=False, flatten=False, prefix='key_')
            self.proj_value = nn.Dense(units, use_bias=False, flatten=False, prefix='value_')

    def _heads(self, F, x):
        x = F.transpose(x.reshape(shape=(0, 0, self._num_heads, -1)), axes=(0, 2, 1, 3))
        return x.reshape(shape=(-1, 0, 0), reverse=True)

    def hybrid_forward(self, F, x, mask):
        query = self._heads(F, self.proj_query(x))
        key = self._heads(F, self.proj_key(x))
        value = self._heads(F, self.proj_value(x))
        mask = F.broadcast_axis(F.expand_dims(mask, axis=1), axis=1, size=self._num_heads)\
            .reshape(shape=(-1, 0, 0), reverse=True)
        query = F.contrib.div_sqrt_dim(query)
        att_score = F.batch_dot(query, key, transpose_b=True)
        att_weights = masked_softmax(F, att_score, mask)
        context = F.batch_dot(att_weights, value)
        context = F.transpose(context.reshape(shape=(-1, self._num_heads, 0, 0), reverse=True), axes=(0, 2, 1, 3))
        return context.reshape(shape=(0, 0, -1)), att_weights


class TinyEncoder(HybridBlock):
    def __init__(self, units, hidden, heads, max_length, **kwargs):
        super(TinyEncoder, self).__init__(**kwargs)
        self._units, self._max_length = units, max_length
        with self.name_scope():
            self.position_weight = self.params.get_constant('const', position_encoding_init(max_length, units))
            self.attention = MultiHeadSelfAttention(units, heads)
            self.proj = nn.Dense(units, flatten=False, use_bias=False, prefix='proj_')
            self.layer_norm = nn.LayerNorm()
            self.ffn = PositionwiseFFN(units, hidden)

    def hybrid_forward(self, F, inputs, valid_length, position_weight):
        steps = F.contrib.arange_like(inputs, axis=1)
        positional = F.Embedding(steps, position_weight, self._max_length, self._units)
        inputs = F.broadcast_add(inputs * np.sqrt(self._units), F.expand_dims(positional, axis=0))
        mask = F.broadcast_lesser(F.reshape(steps, shape=(1, -1)), F.reshape(valid_length, shape=(-1, 1)))
        mask = F.broadcast_mul(F.expand_dims(mask, axis=1), F.expand_dims(mask, axis=-1))
        context, weights = self.attention(inputs, mask)
        out = self.layer_norm(self.proj(context) + inputs)
        return self.ffn(out), weights


def transformer_pieces():
    x, valid = rnd(1451, 2, 5, 8), nd.array([5, 3])
    out = {}
    for mode in ('eager', 'hybrid'):
        net = TinyEncoder(8, 12, 2, 10)
        net.initialize()
        build(net, 1452, x, valid)
        if mode == 'hybrid':
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
        losses = []
        for _ in range(2):
            with autograd.record():
                y, w = net(x, valid)
                loss = (y.sum(axis=2) * nd.arange(5).reshape((1, 5)) + (y * y).mean(axis=2)).sum()
            loss.backward()
            trainer.step(2)
            losses.append(float(loss.asscalar()))
        y, w = net(x, valid)
        out[mode] = {'losses': losses, 'norms': norms(net), 'y': L(y[1, :2, :4]), 'w': L(w[2:4, 1]),
                     'const_grad_req': net.position_weight.grad_req}
    out['table'] = L(net.position_weight.data()[:3, :4])
    out['names'] = sorted(k[len(net.prefix):] for k in net.collect_params().keys())
    return out


# ---------------------------------------------------------------- 7 skip-gram with negative sampling
# dmlc/gluon-nlp scripts/word_embeddings/model.py and train_sg_cbow.py (0.x): an SG HybridBlock of
# two Embeddings with ``sparse_grad=True`` (input and output vectors), scores by batch_dot of the
# center's ``expand_dims(1)`` with the context-and-negatives block (``transpose_b=True``),
# SigmoidBinaryCrossEntropyLoss masked by the valid contexts and scaled by
# ``mask.shape[1] / mask.sum(axis=1)``, trained with the 'groupadagrad' optimizer
# (mx.optimizer.contrib.GroupAdaGrad); plus d2l's center / context batching of a toy corpus with
# negatives drawn by a seeded NumPy sampler.
class SkipGram(HybridBlock):
    def __init__(self, vocab, dim, **kwargs):
        super(SkipGram, self).__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab, dim, sparse_grad=True, weight_initializer=init.Uniform(0.1))
            self.embedding_out = nn.Embedding(vocab, dim, sparse_grad=True, weight_initializer=init.Zero())

    def hybrid_forward(self, F, center, context):
        emb_center = self.embedding(center).expand_dims(1)
        emb_context = self.embedding_out(context)
        return F.batch_dot(emb_center, emb_context, transpose_b=True).squeeze(axis=1)


def skipgram_negative():
    rs = np.random.RandomState(1461)
    center = nd.array([0, 3, 5, 7, 2, 9])
    positives = rs.randint(0, 12, (6, 2))
    negatives = rs.randint(0, 12, (6, 3))
    context = nd.array(np.concatenate([positives, negatives], axis=1))
    label = nd.array(np.concatenate([np.ones((6, 2)), np.zeros((6, 3))], axis=1))
    mask = nd.array(np.concatenate([np.ones((6, 2)), np.ones((6, 3))], axis=1))
    mask[1, 1] = 0
    mask[4, 3:] = 0
    out = {}
    for mode in ('eager', 'hybrid'):
        net = SkipGram(12, 4)
        net.initialize()
        net(center, context)
        set_params(net.embedding, 1462)
        set_params(net.embedding_out, 1463)
        if mode == 'hybrid':
            net.hybridize()
        loss_fn = gluon.loss.SigmoidBinaryCrossEntropyLoss()
        trainer = gluon.Trainer(net.collect_params(), 'groupadagrad', {'learning_rate': 0.2})
        losses = []
        for _ in range(3):
            with autograd.record():
                pred = net(center, context)
                loss = loss_fn(pred, label, mask) * mask.shape[1] / mask.sum(axis=1)
            loss.backward()
            trainer.step(center.shape[0])
            losses.append(L(loss))
        out[mode] = {'losses': losses, 'in': L(net.embedding.weight.data()[:4]),
                     'out': L(net.embedding_out.weight.data()[:4]),
                     'grad_stype': net.embedding.weight.grad().stype}
    out['similar'] = L(nd.dot(net.embedding.weight.data()[3:4], net.embedding.weight.data().T))
    return out


# ---------------------------------------------------------------- 8 MNIST training plumbing
# apache/mxnet example/gluon/mnist/mnist.py (1.x) with the pieces its variants add: a Dense MLP,
# ``gluon.utils.split_and_load`` of each batch over ``[mx.cpu(0), mx.cpu(1)]`` with the
# parameters initialized on both, one backward per slice, ``trainer.step(batch_size)``; the
# Trainer's optimizer given ``clip_gradient``, ``rescale_grad`` overridden by step and a
# FactorScheduler as ``lr_scheduler``; metrics: Accuracy updated with per-device lists,
# ``mx.metric.CustomMetric`` over a NumPy feval (``mx.metric.np`` too), TopKAccuracy, Loss and
# CrossEntropy, read with get / get_name_value and reset.
def mnist_plumbing():
    rs = np.random.RandomState(1471)
    data = nd.array(rs.uniform(0, 1, (8, 1, 4, 4)))
    label = nd.array(rs.randint(0, 5, (8,)))
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation='relu'), nn.Dense(8, activation='relu'), nn.Dense(5))
    net.initialize(ctx=ctx)
    net(data.as_in_context(ctx[0]))
    set_params(net, 1472)
    net.hybridize()
    schedule = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5, 'momentum': 0.9,
                                                          'clip_gradient': 0.05, 'lr_scheduler': schedule})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    def feval(label, pred):
        return float((pred.argmax(axis=1) == label).mean())

    @mx.metric.np
    def top_err(label, pred):
        return float((pred.argmax(axis=1) != label).mean())

    acc = mx.metric.Accuracy()
    custom = mx.metric.CustomMetric(feval, name='my_acc')
    topk = mx.metric.TopKAccuracy(top_k=2)
    lossm = mx.metric.Loss()
    ce = mx.metric.CrossEntropy()
    history = []
    for epoch in range(3):
        for m in (acc, custom, top_err, topk, lossm, ce):
            m.reset()
        datas = gluon.utils.split_and_load(data, ctx_list=ctx, batch_axis=0)
        labels = gluon.utils.split_and_load(label, ctx_list=ctx, batch_axis=0)
        outputs, ls = [], []
        with autograd.record():
            for x, y in zip(datas, labels):
                z = net(x)
                ls.append(loss_fn(z, y))
                outputs.append(z)
        for l in ls:
            l.backward()
        trainer.step(data.shape[0])
        acc.update(labels, outputs)
        custom.update(labels, outputs)
        top_err.update(labels, outputs)
        topk.update(labels, outputs)
        lossm.update(0, ls)
        ce.update(labels, [nd.softmax(o) for o in outputs])
        history.append({'lr': trainer.learning_rate, 'acc': acc.get(), 'custom': custom.get(),
                        'top_err': list(top_err.get()), 'topk': topk.get(), 'loss': lossm.get(), 'ce': ce.get(),
                        'names': [list(x) for x in custom.get_name_value()]})
    def top_k_of(k):
        m = mx.metric.TopKAccuracy(top_k=k)
        m.update(labels, outputs)
        return list(m.get())
    out = {'history': history, 'norms': norms(net), 'top_k_all': _try(lambda: top_k_of(5)),
           'top_k_over': _try(lambda: top_k_of(7)),
           'ctx_grads_equal': [bool((p.list_grad()[0] - p.list_grad()[1]).abs().sum().asscalar() > 0)
                               for p in net.collect_params().values()],
           'data_ctx': [str(p.list_ctx()) for p in list(net.collect_params().values())[:1]]}
    return out


# ---------------------------------------------------------------- 9 DeepLabV3 ASPP head
# dmlc/gluon-cv gluoncv/model_zoo/deeplabv3.py (_ASPPConv: a dilated 3x3 Conv2D with
# ``padding=atrous_rate, dilation=atrous_rate`` + BatchNorm + relu; _AsppPooling: GlobalAvgPool2D
# and a 1x1 conv resized back with F.contrib.BilinearResize2D(height=, width=); _ASPP: five
# branches concatenated and projected with Dropout; _DeepLabHead) as its forward at a fixed
# size; BilinearResize2D's other modes (``scale_height`` / ``scale_width``, ``mode='like'``) as
# segmentation scripts use them to match a label's size.
class ASPPPooling(HybridBlock):
    def __init__(self, in_channels, out_channels, height, width, **kwargs):
        super(ASPPPooling, self).__init__(**kwargs)
        self._up_kwargs = {'height': height, 'width': width}
        with self.name_scope():
            self.gap = nn.HybridSequential()
            with self.gap.name_scope():
                self.gap.add(nn.GlobalAvgPool2D(), nn.Conv2D(in_channels=in_channels, channels=out_channels,
                                                             kernel_size=1, use_bias=False),
                             nn.BatchNorm(in_channels=out_channels), nn.Activation('relu'))

    def hybrid_forward(self, F, x):
        return F.contrib.BilinearResize2D(self.gap(x), **self._up_kwargs)


def aspp_conv(in_channels, out_channels, rate):
    block = nn.HybridSequential()
    with block.name_scope():
        block.add(nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=3, padding=rate,
                            dilation=rate, use_bias=False))
        block.add(nn.BatchNorm(in_channels=out_channels), nn.Activation('relu'))
    return block


class ASPP(HybridBlock):
    def __init__(self, in_channels, rates, height, width, **kwargs):
        super(ASPP, self).__init__(**kwargs)
        out_channels = 4
        with self.name_scope():
            b0 = nn.HybridSequential()
            with b0.name_scope():
                b0.add(nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=1, use_bias=False),
                       nn.BatchNorm(in_channels=out_channels), nn.Activation('relu'))
            b1, b2, b3 = (aspp_conv(in_channels, out_channels, r) for r in rates)
            b4 = ASPPPooling(in_channels, out_channels, height, width)
            self.concurent = gluon.contrib.nn.HybridConcurrent(axis=1)
            with self.concurent.name_scope():
                for b in (b0, b1, b2, b3, b4):
                    self.concurent.add(b)
            self.project = nn.HybridSequential()
            with self.project.name_scope():
                self.project.add(nn.Conv2D(in_channels=5 * out_channels, channels=out_channels, kernel_size=1,
                                           use_bias=False), nn.BatchNorm(in_channels=out_channels),
                                 nn.Activation('relu'), nn.Dropout(0.0))

    def hybrid_forward(self, F, x):
        return self.project(self.concurent(x))


class DeepLabHead(HybridBlock):
    def __init__(self, nclass, height, width, **kwargs):
        super(DeepLabHead, self).__init__(**kwargs)
        with self.name_scope():
            self.aspp = ASPP(6, [1, 2, 3], height, width)
            self.block = nn.HybridSequential()
            self.block.add(nn.Conv2D(in_channels=4, channels=4, kernel_size=3, padding=1, use_bias=False),
                           nn.BatchNorm(in_channels=4), nn.Activation('relu'), nn.Dropout(0.0),
                           nn.Conv2D(in_channels=4, channels=nclass, kernel_size=1))

    def hybrid_forward(self, F, x):
        return self.block(self.aspp(x))


def deeplab_aspp():
    x = rnd(1481, 2, 6, 5, 5)
    label = nd.array(np.random.RandomState(1482).randint(0, 3, (2, 10, 10)))
    out = {}
    for mode in ('eager', 'hybrid'):
        head = DeepLabHead(3, 5, 5)
        head.initialize()
        build(head, 1483, x)
        if mode == 'hybrid':
            head.hybridize()
        trainer = gluon.Trainer(head.collect_params(), 'nag', {'learning_rate': 0.05, 'momentum': 0.9})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(axis=1)
        losses = []
        for _ in range(2):
            with autograd.record():
                y = head(x)
                y = nd.contrib.BilinearResize2D(y, scale_height=2., scale_width=2.)
                loss = loss_fn(y, label)
            loss.backward()
            trainer.step(2)
            losses.append(L(loss))
        out[mode] = {'losses': losses, 'norms': norms(head), 'y': L(y[0, :, 4, 3:7])}
    out['like'] = _try(lambda: L(nd.contrib.BilinearResize2D(nd.arange(6).reshape((1, 1, 2, 3)),
                                                              nd.zeros((1, 1, 3, 5)), mode='like')))
    out['n_params'] = len(list(head.collect_params().keys()))
    out['len_params'] = _try(lambda: len(head.collect_params()))
    return out


# ---------------------------------------------------------------- 10 Gluon layers on symbols
# The "mix symbolic and Gluon" idiom of MXNet 1.x scripts (apache/mxnet docs' gluon/hybridize
# tutorial and its SymbolBlock section): Gluon layers called on ``mx.sym.var('data')`` build a
# Symbol, symbol operators are added (``mx.sym.softmax``, ``mx.sym.concat``), the Symbol's
# list_arguments / infer_shape are read, and ``gluon.SymbolBlock(outputs, inputs,
# params=net.collect_params())`` runs it on the same parameter values; its gradient and output
# equal those of the Gluon network's own forward, and it trains with a Trainer.
def gluon_on_symbols():
    net = nn.HybridSequential(prefix='mix_')
    with net.name_scope():
        net.add(nn.Dense(6, activation='relu'), nn.Dense(4))
    net.initialize()
    x = rnd(1491, 3, 5)
    net(x)
    set_params(net, 1492)
    data = mx.sym.var('data')
    feat = net(data)
    sym = mx.sym.concat(mx.sym.softmax(feat, axis=1, name='prob'), feat, dim=1, name='joined')
    arg_shapes, out_shapes, _ = sym.infer_shape(data=(3, 5))
    block = gluon.SymbolBlock(sym, data, params=net.collect_params())
    with autograd.record():
        y_sym = block(x)
        l_sym = (y_sym * y_sym).sum()
    l_sym.backward()
    grads_sym = [L(p.grad()) for p in net.collect_params().values()]
    with autograd.record():
        f = net(x)
        y = nd.concat(nd.softmax(f, axis=1), f, dim=1)
        l = (y * y).sum()
    l.backward()
    grads = [L(p.grad()) for p in net.collect_params().values()]
    trainer = gluon.Trainer(block.collect_params(), 'rmsprop', {'learning_rate': 0.01})
    losses = []
    for _ in range(2):
        with autograd.record():
            y_sym = block(x)
            l_sym = (y_sym * y_sym).sum()
        l_sym.backward()
        trainer.step(3)
        losses.append(float(l_sym.asscalar()))
    return {'args': sym.list_arguments(), 'outputs': sym.list_outputs(), 'arg_shapes': [list(s) for s in arg_shapes],
            'out_shapes': [list(s) for s in out_shapes], 'y': L(y), 'grads_sym': grads_sym, 'grads': grads,
            'losses': losses, 'after': L(net(x))}


# ---------------------------------------------------------------- 11 ConvLSTM nowcasting with hooks
# A public Gluon precipitation-nowcasting encoder-forecaster (its ConvLSTM stack built from
# ``gluon.contrib.rnn.Conv2DLSTMCell(input_shape=(C, H, W), hidden_channels, i2h_kernel,
# h2h_kernel, i2h_pad)``, unrolled with ``layout='NTC'`` and ``merge_outputs=True`` over frames,
# the encoder's last states handed to the forecaster as its begin states, a 1x1 Conv2D reading
# each predicted frame) debugged the way MXNet 1.x tutorials show: ``register_forward_pre_hook``
# / ``register_forward_hook`` recording the types they are given, ``register_op_hook`` on the
# hybridized output head (and on a gate of broadcast operators) collecting node and operator
# names, and GluonCV's box coding by
# ``nd.contrib.box_encode`` / ``box_decode`` of matched anchors.
class NowcastNet(HybridBlock):
    def __init__(self, **kwargs):
        super(NowcastNet, self).__init__(**kwargs)
        with self.name_scope():
            self.encoder = gluon.contrib.rnn.Conv2DLSTMCell(input_shape=(1, 5, 5), hidden_channels=3,
                                                            i2h_kernel=(3, 3), h2h_kernel=(3, 3), i2h_pad=(1, 1))
            self.forecaster = gluon.contrib.rnn.Conv2DLSTMCell(input_shape=(1, 5, 5), hidden_channels=3,
                                                               i2h_kernel=(3, 3), h2h_kernel=(3, 3), i2h_pad=(1, 1))
            self.head = nn.Conv2D(1, 1, in_channels=3)

    def hybrid_forward(self, F, frames, future):
        _, states = self.encoder.unroll(3, frames, layout='NTC', merge_outputs=True)
        outputs, _ = self.forecaster.unroll(2, future, begin_state=states, layout='NTC', merge_outputs=True)
        outputs = F.reshape(outputs, shape=(-3, -2))
        return F.reshape(self.head(outputs), shape=(-4, -1, 2, -2))


class GateBlock(HybridBlock):
    """A gate scaling its input by its mean, written with broadcast operators."""
    def hybrid_forward(self, F, x):
        return F.broadcast_add(F.broadcast_mul(x, F.sigmoid(F.mean(x, axis=1, keepdims=True))), x) + x


def convlstm_hooks():
    frames, future = rnd(1501, 2, 3, 1, 5, 5), rnd(1502, 2, 2, 1, 5, 5)
    target = nd.abs(rnd(1503, 2, 2, 1, 5, 5))
    out = {}
    for mode in ('eager', 'hybrid'):
        net = NowcastNet()
        net.initialize()
        build(net, 1504, frames, future)
        calls = []
        net.head.register_forward_pre_hook(lambda block, inputs: calls.append(['pre', type(inputs[0]).__name__]))
        net.head.register_forward_hook(lambda block, inputs, output: calls.append(['post', type(output).__name__]))
        if mode == 'hybrid':
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
        losses = []
        for _ in range(2):
            with autograd.record():
                y = net(frames, future)
                loss = gluon.loss.L2Loss()(y, target)
            loss.backward()
            trainer.step(2)
            losses.append(L(loss))
        out[mode] = {'losses': losses, 'norms': norms(net), 'y': L(y[1, 1, 0, 2]), 'shape': list(y.shape),
                     'calls': calls}
    head = nn.HybridSequential(prefix='head_')     # node names free of the process's counters
    with head.name_scope():
        head.add(nn.Conv2D(2, 1, in_channels=3), nn.Activation('sigmoid'))
    head.initialize()
    set_params(head, 1505)
    head.hybridize()
    seen = {False: [], True: []}

    def text(name):     # MXNet passes bytes (scripts decode them with py_str), minigluon str
        return name.decode() if isinstance(name, bytes) else name
    for monitor_all in (False, True):
        head.register_op_hook(lambda name, op_name, arr: seen[monitor_all].append([text(name), text(op_name)]),
                              monitor_all=monitor_all)
        head(rnd(1506, 1, 3, 2, 2))
    out['op_hook'] = [seen[False], seen[True]]
    # the operators of broadcast nodes, as a hook reports them
    gate = GateBlock()
    gate.hybridize()
    ops = []
    gate.register_op_hook(lambda name, op_name, arr: ops.append(text(op_name)))
    gate(rnd(1507, 2, 3))
    out['op_hook_ops'] = ops
    anchors = nd.array([[[0, 0, 4, 4], [2, 2, 6, 8], [1, 3, 5, 5]]])
    refs = nd.array([[[1, 0, 5, 3], [0, 0, 2, 2]]])
    matches = nd.array([[0, 1, -1]])
    samples = nd.array([[1, 1, -1]])
    means, stds = nd.array([0, 0, 0, 0]), nd.array([0.1, 0.1, 0.2, 0.2])
    targets, masks = nd.contrib.box_encode(samples, matches, anchors, refs, means, stds)
    decoded = nd.contrib.box_decode(targets, anchors, 0.1, 0.1, 0.2, 0.2, format='corner')
    out['box'] = [L(targets), L(masks), L(decoded)]
    return out


PROGRAMS = ['psp_head', 'pose_decode', 'style_transfer', 'seq2seq_attention', 'gan_sn', 'transformer_pieces',
            'skipgram_negative', 'mnist_plumbing', 'deeplab_aspp', 'gluon_on_symbols', 'convlstm_hooks']
