# GluonCV 0.x model and training code beyond detection, shrunk: semantic segmentation (a
# SegBaseModel-style network over a small dilated backbone with the FCN head, PSPNet's pyramid
# pooling through contrib.AdaptiveAvgPooling2D and contrib.BilinearResize2D, DeepLabV3's ASPP as a
# HybridConcurrent of atrous convolutions and an image-pooling branch, the auxiliary head, the
# SoftmaxCrossEntropyLoss with ignore_label built from log_softmax / pick / where and
# MixSoftmaxCrossEntropyLoss adding the auxiliary loss, pixel accuracy and mIoU in NumPy),
# simple-pose estimation (Conv2DTranspose up-sampling to joint heatmaps, an L2Loss weighted per
# joint, get_max_pred with reshape((0, J, -1)), argmax, tile, floor and masked slice assignment)
# and TSN action recognition (segments folded into the batch and averaged by a consensus reshape).
# Images are small NumPy arrays; Dropout is 0; weights come from an initializer seeded by
# parameter name. MXNet 1.9.1's CPU build dies with a floating-point exception (SIGFPE) in MKL-DNN
# during the backward pass of the PSP head (pooled branches through 1x1 convolutions, resized,
# concatenated with the input and convolved 3x3) on this 4x5 feature map, so the program turns
# MKL-DNN off, as users did; minigluon has no such switch and ignores the variable.
import os
os.environ.setdefault('MXNET_MKLDNN_ENABLED', '0')

import minigluon as mx  # noqa: E402
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.nn import HybridBlock
from _common import named_uniform, show

rng = np.random.RandomState(57)
SeededInit = named_uniform(mx, default_scale=0.2)
norm_layer, norm_kwargs = nn.BatchNorm, {}


# ---------------------------------------------------------------- segmentation
class DilatedBase(HybridBlock):
    def __init__(self, **kwargs):
        super(DilatedBase, self).__init__(**kwargs)
        with self.name_scope():
            self.stem = nn.HybridSequential()
            self.stem.add(nn.Conv2D(8, 3, strides=2, padding=1, use_bias=False),
                          norm_layer(**norm_kwargs), nn.Activation('relu'))
            self.layer3 = nn.HybridSequential()
            self.layer3.add(nn.Conv2D(12, 3, strides=2, padding=1, use_bias=False),
                            norm_layer(**norm_kwargs), nn.Activation('relu'))
            self.layer4 = nn.HybridSequential()
            self.layer4.add(nn.Conv2D(16, 3, padding=2, dilation=2, use_bias=False),
                            norm_layer(**norm_kwargs), nn.Activation('relu'))

    def hybrid_forward(self, F, x):
        c3 = self.layer3(self.stem(x))
        return c3, self.layer4(c3)


class _FCNHead(HybridBlock):
    def __init__(self, in_channels, channels, norm_layer=nn.BatchNorm, norm_kwargs=None,
                 **kwargs):
        super(_FCNHead, self).__init__()
        with self.name_scope():
            self.block = nn.HybridSequential()
            inter_channels = in_channels // 4
            with self.block.name_scope():
                self.block.add(nn.Conv2D(in_channels=in_channels, channels=inter_channels,
                                         kernel_size=3, padding=1, use_bias=False))
                self.block.add(norm_layer(in_channels=inter_channels,
                                          **({} if norm_kwargs is None else norm_kwargs)))
                self.block.add(nn.Activation('relu'))
                self.block.add(nn.Dropout(0.0))
                self.block.add(nn.Conv2D(in_channels=inter_channels, channels=channels,
                                         kernel_size=1))

    def hybrid_forward(self, F, x):
        return self.block(x)


def _PSP1x1Conv(in_channels, out_channels, norm_layer, norm_kwargs):
    block = nn.HybridSequential()
    with block.name_scope():
        block.add(nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=1,
                            use_bias=False))
        block.add(norm_layer(in_channels=out_channels, **norm_kwargs))
        block.add(nn.Activation('relu'))
    return block


class _PyramidPooling(HybridBlock):
    def __init__(self, in_channels, height, width, norm_layer, norm_kwargs):
        super(_PyramidPooling, self).__init__()
        out_channels = int(in_channels / 4)
        self._up_kwargs = {'height': height, 'width': width}
        with self.name_scope():
            self.conv1 = _PSP1x1Conv(in_channels, out_channels, norm_layer, norm_kwargs)
            self.conv2 = _PSP1x1Conv(in_channels, out_channels, norm_layer, norm_kwargs)
            self.conv3 = _PSP1x1Conv(in_channels, out_channels, norm_layer, norm_kwargs)
            self.conv4 = _PSP1x1Conv(in_channels, out_channels, norm_layer, norm_kwargs)

    def pool(self, F, x, size):
        return F.contrib.AdaptiveAvgPooling2D(x, output_size=size)

    def upsample(self, F, x):
        return F.contrib.BilinearResize2D(x, **self._up_kwargs)

    def hybrid_forward(self, F, x):
        feat1 = self.upsample(F, self.conv1(self.pool(F, x, 1)))
        feat2 = self.upsample(F, self.conv2(self.pool(F, x, 2)))
        feat3 = self.upsample(F, self.conv3(self.pool(F, x, 3)))
        feat4 = self.upsample(F, self.conv4(self.pool(F, x, 6)))
        return F.concat(x, feat1, feat2, feat3, feat4, dim=1)


def _ASPPConv(in_channels, out_channels, atrous_rate, norm_layer, norm_kwargs):
    block = nn.HybridSequential()
    with block.name_scope():
        block.add(nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=3,
                            padding=atrous_rate, dilation=atrous_rate, use_bias=False))
        block.add(norm_layer(in_channels=out_channels, **norm_kwargs))
        block.add(nn.Activation('relu'))
    return block


class _AsppPooling(nn.HybridBlock):
    def __init__(self, in_channels, out_channels, norm_layer, norm_kwargs, height, width,
                 **kwargs):
        super(_AsppPooling, self).__init__()
        self._up_kwargs = {'height': height, 'width': width}
        self.gap = nn.HybridSequential()
        with self.gap.name_scope():
            self.gap.add(nn.GlobalAvgPool2D())
            self.gap.add(nn.Conv2D(in_channels=in_channels, channels=out_channels,
                                   kernel_size=1, use_bias=False))
            self.gap.add(norm_layer(in_channels=out_channels, **norm_kwargs))
            self.gap.add(nn.Activation('relu'))

    def hybrid_forward(self, F, x):
        pool = self.gap(x)
        return F.contrib.BilinearResize2D(pool, **self._up_kwargs)


class _ASPP(nn.HybridBlock):
    def __init__(self, in_channels, atrous_rates, norm_layer, norm_kwargs, height, width):
        super(_ASPP, self).__init__()
        out_channels = 8
        b0 = nn.HybridSequential()
        with b0.name_scope():
            b0.add(nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=1,
                             use_bias=False))
            b0.add(norm_layer(in_channels=out_channels, **norm_kwargs))
            b0.add(nn.Activation('relu'))
        rate1, rate2 = tuple(atrous_rates)
        b1 = _ASPPConv(in_channels, out_channels, rate1, norm_layer, norm_kwargs)
        b2 = _ASPPConv(in_channels, out_channels, rate2, norm_layer, norm_kwargs)
        b3 = _AsppPooling(in_channels, out_channels, norm_layer, norm_kwargs, height, width)
        self.concurent = gluon.contrib.nn.HybridConcurrent(axis=1)
        with self.concurent.name_scope():
            self.concurent.add(b0)
            self.concurent.add(b1)
            self.concurent.add(b2)
            self.concurent.add(b3)
        self.project = nn.HybridSequential()
        with self.project.name_scope():
            self.project.add(nn.Conv2D(in_channels=4 * out_channels, channels=out_channels,
                                       kernel_size=1, use_bias=False))
            self.project.add(norm_layer(in_channels=out_channels, **norm_kwargs))
            self.project.add(nn.Activation('relu'))
            self.project.add(nn.Dropout(0.0))

    def hybrid_forward(self, F, x):
        return self.project(self.concurent(x))


class SegNet(HybridBlock):
    def __init__(self, nclass, kind, height, width, aux=True, **kwargs):
        super(SegNet, self).__init__(**kwargs)
        self.aux = aux
        self._up_kwargs = {'height': height, 'width': width}
        with self.name_scope():
            self.base = DilatedBase()
            if kind == 'fcn':
                self.head = _FCNHead(16, nclass, norm_layer=norm_layer, norm_kwargs=norm_kwargs)
            elif kind == 'psp':
                self.head = nn.HybridSequential()
                self.head.add(_PyramidPooling(16, height // 4, width // 4, norm_layer,
                                              norm_kwargs),
                              _FCNHead(32, nclass, norm_layer=norm_layer,
                                       norm_kwargs=norm_kwargs))
            else:
                self.head = nn.HybridSequential()
                self.head.add(_ASPP(16, [2, 3], norm_layer, norm_kwargs, height // 4,
                                    width // 4),
                              nn.Conv2D(in_channels=8, channels=nclass, kernel_size=1))
            if self.aux:
                self.auxlayer = _FCNHead(12, nclass, norm_layer=norm_layer,
                                         norm_kwargs=norm_kwargs)

    def hybrid_forward(self, F, x):
        c3, c4 = self.base(x)
        outputs = []
        x = self.head(c4)
        x = F.contrib.BilinearResize2D(x, **self._up_kwargs)
        outputs.append(x)
        if self.aux:
            auxout = self.auxlayer(c3)
            auxout = F.contrib.BilinearResize2D(auxout, **self._up_kwargs)
            outputs.append(auxout)
        return tuple(outputs)


class SoftmaxCrossEntropyLoss(gluon.loss.Loss):
    def __init__(self, sparse_label=True, batch_axis=0, ignore_label=-1, size_average=True,
                 **kwargs):
        super(SoftmaxCrossEntropyLoss, self).__init__(None, batch_axis, **kwargs)
        self._sparse_label = sparse_label
        self._ignore_label = ignore_label
        self._size_average = size_average
        self._axis = 1

    def hybrid_forward(self, F, pred, label):
        pred = F.log_softmax(pred, axis=self._axis)
        loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        loss = F.where(label.expand_dims(axis=self._axis) == self._ignore_label,
                       F.zeros_like(loss), loss)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class MixSoftmaxCrossEntropyLoss(SoftmaxCrossEntropyLoss):
    def __init__(self, aux=True, aux_weight=0.2, ignore_label=-1, **kwargs):
        super(MixSoftmaxCrossEntropyLoss, self).__init__(ignore_label=ignore_label, **kwargs)
        self.aux = aux
        self.aux_weight = aux_weight

    def _aux_forward(self, F, pred1, pred2, label, **kwargs):
        loss1 = super(MixSoftmaxCrossEntropyLoss, self).hybrid_forward(F, pred1, label, **kwargs)
        loss2 = super(MixSoftmaxCrossEntropyLoss, self).hybrid_forward(F, pred2, label, **kwargs)
        return loss1 + self.aux_weight * loss2

    def hybrid_forward(self, F, *inputs, **kwargs):
        if self.aux:
            return self._aux_forward(F, *inputs, **kwargs)
        return super(MixSoftmaxCrossEntropyLoss, self).hybrid_forward(F, *inputs, **kwargs)


def batch_pix_accuracy(output, target):
    predict = np.argmax(output.asnumpy(), 1).astype('int64') + 1
    target = target.asnumpy().astype('int64') + 1
    pixel_labeled = np.sum(target > 0)
    pixel_correct = np.sum((predict == target) * (target > 0))
    return pixel_correct, pixel_labeled


def batch_intersection_union(output, target, nclass):
    mini, maxi, nbins = 1, nclass, nclass
    predict = np.argmax(output.asnumpy(), 1).astype('int64') + 1
    target = target.asnumpy().astype('int64') + 1
    predict = predict * (target > 0).astype(predict.dtype)
    intersection = predict * (predict == target)
    area_inter, _ = np.histogram(intersection, bins=nbins, range=(mini, maxi))
    area_pred, _ = np.histogram(predict, bins=nbins, range=(mini, maxi))
    area_lab, _ = np.histogram(target, bins=nbins, range=(mini, maxi))
    return area_inter, area_pred + area_lab - area_inter


nclass, height, width = 3, 16, 20
images = nd.array(rng.uniform(size=(4, 3, height, width)))
masks = np.argmax(rng.uniform(size=(4, nclass, height // 4, width // 4)), axis=1)
masks = masks.repeat(4, axis=1).repeat(4, axis=2).astype('float32')
masks[:, :2, :] = -1                                       # ignored pixels
masks = nd.array(masks)
criterion = MixSoftmaxCrossEntropyLoss(aux=True, aux_weight=0.4)
for kind in ('fcn', 'psp', 'deeplab'):
    net = SegNet(nclass, kind, height, width, prefix=kind + '_')
    net.initialize(SeededInit())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'learning_rate': 0.05, 'momentum': 0.9, 'wd': 1e-4})
    for epoch in range(3):
        with autograd.record(True):
            outputs = net(images)
            losses = criterion(*outputs, masks)
        autograd.backward(losses)
        trainer.step(images.shape[0])
        print('%s epoch %d, loss %.5f' % (kind, epoch, losses.mean().asscalar()))
    print(kind, 'outputs', [o.shape for o in outputs], len(net.collect_params().keys()),
          'parameters')
    with autograd.predict_mode():
        pred = net(images)[0]
    correct, labeled = batch_pix_accuracy(pred, masks)
    inter, union = batch_intersection_union(pred, masks, nclass)
    print('pixAcc %.4f, mIoU %.4f, labeled %d' % (
        1.0 * correct / labeled, (1.0 * inter / (np.spacing(1) + union)).mean(), labeled))

pyramid = _PyramidPooling(4, 6, 6, norm_layer, norm_kwargs)
pyramid.initialize(SeededInit())
show('adaptive pooling 3x3', nd.contrib.AdaptiveAvgPooling2D(images[:1, :1], output_size=3))
print('pyramid pooling', pyramid(nd.array(rng.uniform(size=(1, 4, 6, 6)))).shape)

# ---------------------------------------------------------------- simple pose
num_joints = 4


class SimplePose(HybridBlock):
    def __init__(self, **kwargs):
        super(SimplePose, self).__init__(**kwargs)
        with self.name_scope():
            self.backbone = nn.HybridSequential()
            self.backbone.add(nn.Conv2D(8, 3, strides=2, padding=1, use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'),
                              nn.Conv2D(8, 3, strides=2, padding=1, use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'))
            self.deconv_layers = nn.HybridSequential()
            for i in range(2):
                self.deconv_layers.add(nn.Conv2DTranspose(channels=8, kernel_size=4, strides=2,
                                                          padding=1, output_padding=0,
                                                          use_bias=False))
                self.deconv_layers.add(nn.BatchNorm())
                self.deconv_layers.add(nn.Activation('relu'))
            self.final_layer = nn.Conv2D(channels=num_joints, kernel_size=1, strides=1,
                                         padding=0)

    def hybrid_forward(self, F, x):
        return self.final_layer(self.deconv_layers(self.backbone(x)))


def get_max_pred(batch_heatmaps):
    num_joints = batch_heatmaps.shape[1]
    width = batch_heatmaps.shape[3]
    heatmaps_reshaped = batch_heatmaps.reshape((0, num_joints, -1))
    idx = nd.argmax(heatmaps_reshaped, 2)
    maxvals = nd.max(heatmaps_reshaped, 2)
    maxvals = maxvals.expand_dims(axis=2)
    idx = idx.expand_dims(axis=2)
    preds = nd.tile(idx, reps=(1, 1, 2)).astype(np.float32, copy=False)
    preds[:, :, 0] = (preds[:, :, 0]) % width
    preds[:, :, 1] = nd.floor((preds[:, :, 1]) / width)
    pred_mask = nd.tile(nd.greater(maxvals, 0.0), reps=(1, 1, 2))
    pred_mask = pred_mask.astype(np.float32, copy=False)
    preds *= pred_mask
    return preds, maxvals


pose_images = nd.array(rng.uniform(size=(3, 3, 16, 12)))
joints = rng.randint(0, 12, size=(3, num_joints, 2))
heat = np.zeros((3, num_joints, 16, 12), dtype='float32')
for n in range(3):
    for j in range(num_joints):
        heat[n, j, joints[n, j, 0], joints[n, j, 1]] = 1.0
target_weight = nd.array(np.ones((3, num_joints, 1, 1), dtype='float32'))
target_weight[1, 2] = 0
pose = SimplePose(prefix='pose_')
pose.initialize(SeededInit())
pose.hybridize()
L = gluon.loss.L2Loss()
trainer = gluon.Trainer(pose.collect_params(), 'adam', {'learning_rate': 1e-2})
for epoch in range(3):
    with autograd.record():
        out = pose(pose_images)
        loss = L(out, nd.array(heat), target_weight)
    loss.backward()
    trainer.step(3)
    print('pose epoch %d, loss %.6f' % (epoch, loss.mean().asscalar()))
preds, maxvals = get_max_pred(pose(pose_images))
print('keypoints', preds.shape, preds[0].asnumpy().astype('int64').tolist())
show('max values', maxvals[:, :, 0])
preds, maxvals = get_max_pred(nd.array(heat) - 0.5)
print('true keypoints', preds[1].asnumpy().astype('int64').tolist(),
      joints[1][:, ::-1].tolist(), 'masked by sign', get_max_pred(-nd.ones((1, 2, 3, 3)))[0]
      .asnumpy().tolist())


# ---------------------------------------------------------------- TSN action recognition
class ActionRecTSN(HybridBlock):
    def __init__(self, nclass, num_segments=3, **kwargs):
        super(ActionRecTSN, self).__init__(**kwargs)
        self.num_segments, self.nclass = num_segments, nclass
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(6, 3, padding=1), nn.Activation('relu'),
                              nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(units=nclass, in_units=6)

    def hybrid_forward(self, F, x):
        x = self.features(x)
        x = self.output(x)
        x = F.reshape(x, shape=(-1, self.num_segments, self.nclass))
        x = F.mean(x, axis=1)
        return x


clips = nd.array(rng.uniform(size=(2, 3, 3, 8, 8)))          # (N, segments, C, H, W)
clip_labels = nd.array([1, 3])
tsn = ActionRecTSN(nclass=5, num_segments=3, prefix='tsn_')
tsn.initialize(SeededInit())
tsn.hybridize()
trainer = gluon.Trainer(tsn.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
L = gluon.loss.SoftmaxCrossEntropyLoss()
acc = mx.metric.Accuracy()
for epoch in range(3):
    data = clips.reshape((-1,) + clips.shape[2:])
    with autograd.record():
        output = tsn(data)
        loss = L(output, clip_labels)
    loss.backward()
    trainer.step(clips.shape[0])
    acc.update(clip_labels, output)
    print('tsn epoch %d, loss %.5f, %s %.3f' % ((epoch, loss.mean().asscalar()) + acc.get()))
show('tsn scores', tsn(clips.reshape((-1,) + clips.shape[2:])))
