# "Dive into Deep Learning" (MXNet edition, d2lzh) style: the computer-vision chapters on
# transposed convolution and fully convolutional networks (a convolution written as a matrix
# product and its transpose, Conv2D / Conv2DTranspose initialized with init.Constant of an
# NDArray, the bilinear-interpolation kernel, an FCN cut from model_zoo's resnet18_v2 by slicing
# `features[:-2]`, SoftmaxCrossEntropyLoss(axis=1) over pixels, the VOC colormap lookup through an
# NDArray index and voc_rand_crop with image.random_crop / image.fixed_crop), fine-tuning
# (`finetune_net.features = pretrained_net.features`, a new output layer whose parameters get
# lr_mult 10 through collect_params().setattr, gdata.vision.transforms with transform_first) and
# neural style transfer (the layers of a model_zoo VGG picked by index, a GeneratedImage Block
# holding the image as its only Parameter and initialized with init.Constant, Gram matrices,
# content / style / total-variation losses summed with nd.add_n, Adam with set_learning_rate).
# "Pretrained" networks are model_zoo networks with weights from an initializer seeded by
# parameter name (no download; MXNet 1.9.1 with MKL-DNN refuses set_data on a used convolution
# weight; the VGG layers carry their own Xavier initializer, so it is replaced through
# setattr('init', ...)), Xavier initializations are that initializer too, the VOC, hot-dog and
# style images are small NumPy arrays, the loaders do not shuffle, and the random augmentations
# are left out except random_crop, whose corner Python's random module draws in both frameworks.
# The backbone is frozen (grad_req 'null'): trained from random weights on a few tiny images, a
# ResNet-18 is so ill-conditioned that the frameworks' different float rounding takes them apart
# within two steps (after one step, weights 1e-7 apart give gradients up to 1% apart). The FCN's prediction is printed by its shape only: MXNet 1.9.1 (CPU) never
# updates the running statistics of the ResNet's input BatchNorm, whose backward nothing needs.
import random

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, image, init, nd
from minigluon.gluon import data as gdata, loss as gloss, model_zoo, nn
from _common import named_uniform, show

rng = np.random.RandomState(50)
random.seed(50)
ctx = mx.cpu()
SeededInit = named_uniform(mx, default_scale=0.1)

# ---------------------------------------------------------------- transposed convolution
X = nd.arange(1, 17).reshape((1, 1, 4, 4))
K = nd.arange(1, 10).reshape((1, 1, 3, 3))
conv = nn.Conv2D(channels=1, kernel_size=3)
conv.initialize(init.Constant(K))
print(conv(X), K)

W, k = nd.zeros((4, 16)), nd.zeros(11)
k[:3], k[4:7], k[8:] = K[0, 0, 0, :], K[0, 0, 1, :], K[0, 0, 2, :]
W[0, 0:11], W[1, 1:12], W[2, 4:15], W[3, 5:16] = k, k, k, k
print(nd.dot(W, X.reshape(16)).reshape((1, 1, 2, 2)))

Y = conv(X)
conv_trans = nn.Conv2DTranspose(1, kernel_size=3)
conv_trans.initialize(init.Constant(K))
print(conv_trans(Y))
print(nd.dot(W.T, Y.reshape(4)).reshape((1, 1, 4, 4)))

conv = nn.Conv2D(10, kernel_size=4, padding=1, strides=2)
conv.initialize()
X = nd.array(rng.uniform(size=(1, 3, 16, 16)))
Y = conv(X)
conv_trans = nn.Conv2DTranspose(3, kernel_size=4, padding=1, strides=2)
conv_trans.initialize()
print('shapes', Y.shape, conv_trans(Y).shape == X.shape)


# ---------------------------------------------------------------- FCN
def bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    if kernel_size % 2 == 1:
        center = factor - 1
    else:
        center = factor - 0.5
    og = np.ogrid[:kernel_size, :kernel_size]
    filt = (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)
    weight = np.zeros((in_channels, out_channels, kernel_size, kernel_size), dtype='float32')
    weight[range(in_channels), range(out_channels), :, :] = filt
    return nd.array(weight)


conv_trans = nn.Conv2DTranspose(3, kernel_size=4, padding=1, strides=2)
conv_trans.initialize(init.Constant(bilinear_kernel(3, 3, 4)))
img = nd.array(rng.randint(0, 256, size=(6, 8, 3)), dtype='uint8')
X = img.astype('float32').transpose((2, 0, 1)).expand_dims(axis=0) / 255
Y = conv_trans(X)
out_img = Y[0].transpose((1, 2, 0))
print('input image shape:', img.shape, 'output image shape:', out_img.shape)
show('upsampled corner', out_img[:2, :2, :])
show('upsampled centre', out_img[5:7, 7:9, 0])

pretrained_net = model_zoo.vision.resnet18_v2(pretrained=False)
pretrained_net.initialize(SeededInit())
print(pretrained_net.features[-4:], pretrained_net.output)
pretrained_net.features.collect_params().setattr('grad_req', 'null')
net = nn.HybridSequential()
for layer in pretrained_net.features[:-2]:
    net.add(layer)
X = nd.array(rng.uniform(size=(1, 3, 64, 96)))
print('features shape', net(X).shape)

num_classes = 4
net.add(nn.Conv2D(num_classes, kernel_size=1),
        nn.Conv2DTranspose(num_classes, kernel_size=64, padding=16, strides=32))
net[-1].initialize(init.Constant(bilinear_kernel(num_classes, num_classes, 64)))
net[-2].initialize(init=SeededInit())

VOC_COLORMAP = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
VOC_CLASSES = ['background', 'aeroplane', 'bicycle', 'bird']
colormap2label = nd.zeros(256 ** 3)
for i, colormap in enumerate(VOC_COLORMAP):
    colormap2label[(colormap[0] * 256 + colormap[1]) * 256 + colormap[2]] = i


def voc_label_indices(colormap, colormap2label):
    colormap = colormap.astype('int32')
    idx = ((colormap[:, :, 0] * 256 + colormap[:, :, 1]) * 256 + colormap[:, :, 2])
    return colormap2label[idx]


def voc_rand_crop(feature, label, height, width):
    feature, rect = image.random_crop(feature, (width, height))
    label = image.fixed_crop(label, *rect)
    return feature, label


def make_voc_pair(h, w):
    feature = nd.array(rng.randint(0, 256, size=(h, w, 3)), dtype='uint8')
    classes = rng.randint(0, num_classes, size=(h // 8 + 1, w // 8 + 1)).repeat(8, 0).repeat(8, 1)
    label = np.array(VOC_COLORMAP, dtype='uint8')[classes[:h, :w]]
    return feature, nd.array(label, dtype='uint8')


class VOCSegDataset(gdata.Dataset):
    def __init__(self, is_train, crop_size, pairs, colormap2label):
        self.rgb_mean = nd.array([0.485, 0.456, 0.406])
        self.rgb_std = nd.array([0.229, 0.224, 0.225])
        self.crop_size = crop_size
        features, labels = zip(*pairs)
        self.features = [self.normalize_image(im) for im in self.filter(features)]
        self.labels = self.filter(labels)
        self.colormap2label = colormap2label
        print('read ' + str(len(self.features)) + ' examples')

    def normalize_image(self, img):
        return (img.astype('float32') / 255 - self.rgb_mean) / self.rgb_std

    def filter(self, imgs):
        return [img for img in imgs if (
            img.shape[0] >= self.crop_size[0] and img.shape[1] >= self.crop_size[1])]

    def __getitem__(self, idx):
        feature, label = voc_rand_crop(self.features[idx], self.labels[idx], *self.crop_size)
        return (feature.transpose((2, 0, 1)), voc_label_indices(label, self.colormap2label))

    def __len__(self):
        return len(self.features)


pairs = [make_voc_pair(h, w) for h, w in [(72, 100), (64, 96), (40, 50), (80, 120), (66, 98)]]
print('label indices', voc_label_indices(pairs[0][1], colormap2label)[0:2, 6:10])
crop_size = (64, 96)
voc_train = VOCSegDataset(True, crop_size, pairs, colormap2label)
train_iter = gdata.DataLoader(voc_train, 2, shuffle=False, last_batch='discard')
for X, Y in train_iter:
    print('batch', X.shape, X.dtype, Y.shape, Y.dtype)
    break


def accuracy(y_hat, y):
    return (y_hat.argmax(axis=1) == y.astype('float32')).sum().asscalar()


loss = gloss.SoftmaxCrossEntropyLoss(axis=1)
net.collect_params().reset_ctx(ctx)
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'wd': 1e-3})
for epoch in range(2):
    train_l_sum, train_acc_sum, n, m = 0.0, 0.0, 0, 0
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        trainer.step(X.shape[0])
        train_l_sum += l.sum().asscalar()
        train_acc_sum += accuracy(y_hat, y)
        n += y.size
        m += y.shape[0]
    print('epoch %d, loss %.4f, train acc %.3f' % (epoch + 1, train_l_sum / m, train_acc_sum / n))


def predict(img):
    X = voc_train.normalize_image(img)
    X = X.transpose((2, 0, 1)).expand_dims(axis=0)
    pred = nd.argmax(net(X.as_in_context(ctx)), axis=1)
    return pred.reshape((pred.shape[1], pred.shape[2]))


def label2image(pred):
    colormap = nd.array(VOC_COLORMAP, ctx=ctx, dtype='uint8')
    X = pred.astype('int32')
    return colormap[X, :]


crop_rect = (0, 0, 96, 64)
X = image.fixed_crop(pairs[3][0], *crop_rect)
pred = label2image(predict(X))
print('prediction', pred.shape, pred.dtype)

# ---------------------------------------------------------------- fine-tuning
hotdog = [nd.array(rng.randint(0, 256, size=(rng.randint(36, 48), rng.randint(36, 48), 3)),
                   dtype='uint8') for _ in range(6)]
train_imgs = gdata.ArrayDataset(hotdog, [0, 1, 0, 1, 1, 0])
normalize = gdata.vision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
test_augs = gdata.vision.transforms.Compose([
    gdata.vision.transforms.Resize(36),
    gdata.vision.transforms.CenterCrop(32),
    gdata.vision.transforms.ToTensor(),
    normalize])

finetune_net = model_zoo.vision.resnet18_v2(classes=2)
finetune_net.features = pretrained_net.features
finetune_net.output.initialize(SeededInit())
finetune_net.output.collect_params().setattr('lr_mult', 10)
print(finetune_net.output, [p.lr_mult for p in finetune_net.collect_params().values()][-3:])


def train_fine_tuning(net, learning_rate, batch_size=3, num_epochs=2):
    train_iter = gdata.DataLoader(train_imgs.transform_first(test_augs), batch_size, shuffle=False)
    net.collect_params().reset_ctx(ctx)
    net.hybridize()
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': learning_rate,
                                                          'wd': 0.001})
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
        for X, y in train_iter:
            y = y.astype('float32')
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()
            l.backward()
            trainer.step(batch_size)
            train_l_sum += l.asscalar()
            train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
            n += y.size
        print('epoch %d, loss %.4f, train acc %.3f' % (epoch + 1, train_l_sum / n,
                                                       train_acc_sum / n))


before = finetune_net.output.weight.data().copy()
train_fine_tuning(finetune_net, 0.01)
show('output weight moved', (finetune_net.output.weight.data() - before)[0, :8])

# ---------------------------------------------------------------- neural style transfer
rgb_mean = nd.array([0.485, 0.456, 0.406])
rgb_std = nd.array([0.229, 0.224, 0.225])


def preprocess(img, image_shape):
    img = image.imresize(img, *image_shape)
    img = (img.astype('float32') / 255 - rgb_mean) / rgb_std
    return img.transpose((2, 0, 1)).expand_dims(axis=0)


def postprocess(img):
    img = img[0].as_in_context(rgb_std.context)
    return (img.transpose((1, 2, 0)) * rgb_std + rgb_mean).clip(0, 1)


vgg = model_zoo.vision.vgg11(pretrained=False)
style_layers, content_layers = [0, 3, 6], [8]
style_net = nn.Sequential()
for i in range(max(content_layers + style_layers) + 1):
    style_net.add(vgg.features[i])
style_net.collect_params().setattr('init', SeededInit())  # the VGG layers bring their own Xavier
style_net.initialize()


def extract_features(X, content_layers, style_layers):
    contents = []
    styles = []
    for i in range(len(style_net)):
        X = style_net[i](X)
        if i in style_layers:
            styles.append(X)
        if i in content_layers:
            contents.append(X)
    return contents, styles


content_img = nd.array(rng.randint(0, 256, size=(30, 40, 3)), dtype='uint8')
style_img = nd.array(rng.randint(0, 256, size=(28, 36, 3)), dtype='uint8')
image_shape = (24, 16)


def get_contents(image_shape, ctx):
    content_X = preprocess(content_img, image_shape).copyto(ctx)
    contents_Y, _ = extract_features(content_X, content_layers, style_layers)
    return content_X, contents_Y


def get_styles(image_shape, ctx):
    style_X = preprocess(style_img, image_shape).copyto(ctx)
    _, styles_Y = extract_features(style_X, content_layers, style_layers)
    return style_X, styles_Y


def content_loss(Y_hat, Y):
    return (Y_hat - Y).square().mean()


def gram(X):
    num_channels, n = X.shape[1], X.size // X.shape[1]
    X = X.reshape((num_channels, n))
    return nd.dot(X, X.T) / (num_channels * n)


def style_loss(Y_hat, gram_Y):
    return (gram(Y_hat) - gram_Y).square().mean()


def tv_loss(Y_hat):
    return 0.5 * ((Y_hat[:, :, 1:, :] - Y_hat[:, :, :-1, :]).abs().mean() +
                  (Y_hat[:, :, :, 1:] - Y_hat[:, :, :, :-1]).abs().mean())


content_weight, style_weight, tv_weight = 1, 1e3, 10


def compute_loss(X, contents_Y_hat, styles_Y_hat, contents_Y, styles_Y_gram):
    contents_l = [content_loss(Y_hat, Y) * content_weight for Y_hat, Y in zip(
        contents_Y_hat, contents_Y)]
    styles_l = [style_loss(Y_hat, Y) * style_weight for Y_hat, Y in zip(
        styles_Y_hat, styles_Y_gram)]
    tv_l = tv_loss(X) * tv_weight
    l = nd.add_n(*styles_l) + nd.add_n(*contents_l) + tv_l
    return contents_l, styles_l, tv_l, l


class GeneratedImage(nn.Block):
    def __init__(self, img_shape, **kwargs):
        super(GeneratedImage, self).__init__(**kwargs)
        self.weight = self.params.get('weight', shape=img_shape)

    def forward(self):
        return self.weight.data()


def get_inits(X, ctx, lr, styles_Y):
    gen_img = GeneratedImage(X.shape)
    gen_img.initialize(init.Constant(X), ctx=ctx, force_reinit=True)
    trainer = gluon.Trainer(gen_img.collect_params(), 'adam', {'learning_rate': lr})
    styles_Y_gram = [gram(Y) for Y in styles_Y]
    return gen_img(), styles_Y_gram, trainer


def train_style(X, contents_Y, styles_Y, ctx, lr, num_epochs, lr_decay_epoch):
    X, styles_Y_gram, trainer = get_inits(X, ctx, lr, styles_Y)
    for i in range(num_epochs):
        with autograd.record():
            contents_Y_hat, styles_Y_hat = extract_features(X, content_layers, style_layers)
            contents_l, styles_l, tv_l, l = compute_loss(
                X, contents_Y_hat, styles_Y_hat, contents_Y, styles_Y_gram)
        l.backward()
        trainer.step(1)
        nd.waitall()
        if i % 2 == 0 and i != 0:
            print('epoch %3d, content loss %.4g, style loss %.4g, TV loss %.4f' % (
                i, nd.add_n(*contents_l).asscalar(), nd.add_n(*styles_l).asscalar(),
                tv_l.asscalar()))
        if i % lr_decay_epoch == 0 and i != 0:
            trainer.set_learning_rate(trainer.learning_rate * 0.1)
            print('change lr to %.1e' % trainer.learning_rate)
    return X


content_X, contents_Y = get_contents(image_shape, ctx)
_, styles_Y = get_styles(image_shape, ctx)
print('content', content_X.shape, [Y.shape for Y in contents_Y], [Y.shape for Y in styles_Y])
output = train_style(content_X, contents_Y, styles_Y, ctx, 0.01, 7, 4)
out = postprocess(output)
print('styled image', out.shape)
show('styled pixels', out[0, :4, :])
