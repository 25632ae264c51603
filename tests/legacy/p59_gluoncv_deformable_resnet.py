# GluonCV 0.x style deformable backbones, shrunk: a ResNetV1b bottleneck whose 3x3 convolution is
# gluon.contrib.cnn.DeformableConvolution (DCN v1, the offset convolution inside the block), a
# CenterNet-style DeconvResnet up-sampling stage that picks DCN v1 or v2 by a use_dcnv2 flag
# (ModulatedDeformableConvolution, whose 2 * sigmoid mask comes out of the same offset
# convolution), a few SGD steps of the v1 network with the offsets moving, then hybridize, export
# and SymbolBlock.imports of both kinds. MXNet 1.9.1 has no CPU backward for the modulated
# operator, so the v2 network only runs forward. Weights come from a NumPy RandomState (the
# offset convolutions too, so the sampling points start off the grid); the first pass that
# settles deferred shapes runs in train mode, as in p48.
import os
import shutil
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.contrib.cnn import DeformableConvolution, ModulatedDeformableConvolution
from _common import set_weights, show

rng = np.random.RandomState(59)


class DeformableBottleneck(gluon.HybridBlock):
    expansion = 2

    def __init__(self, planes, strides=1, downsample=None, norm_layer=nn.BatchNorm,
                 norm_kwargs=None, num_deformable_group=1, **kwargs):
        super(DeformableBottleneck, self).__init__(**kwargs)
        norm_kwargs = norm_kwargs if norm_kwargs is not None else {}
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels=planes, kernel_size=1, use_bias=False)
            self.bn1 = norm_layer(in_channels=planes, **norm_kwargs)
            self.conv2 = DeformableConvolution(planes, kernel_size=3, strides=strides,
                                               padding=1, use_bias=False,
                                               num_deformable_group=num_deformable_group)
            self.bn2 = norm_layer(in_channels=planes, **norm_kwargs)
            self.conv3 = nn.Conv2D(channels=planes * self.expansion, kernel_size=1,
                                   use_bias=False)
            self.bn3 = norm_layer(in_channels=planes * self.expansion, **norm_kwargs)
            self.downsample = downsample

    def hybrid_forward(self, F, x):
        residual = x
        out = F.Activation(self.bn1(self.conv1(x)), act_type='relu')
        out = F.Activation(self.bn2(self.conv2(out)), act_type='relu')
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        return F.Activation(out + residual, act_type='relu')


class DeformResNet(gluon.HybridBlock):
    def __init__(self, classes=4, norm_kwargs=None, **kwargs):
        super(DeformResNet, self).__init__(**kwargs)
        norm_kwargs = norm_kwargs if norm_kwargs is not None else {}
        with self.name_scope():
            self.conv1 = nn.Conv2D(4, kernel_size=3, strides=1, padding=1, use_bias=False)
            self.bn1 = nn.BatchNorm(**norm_kwargs)
            self.layer1 = nn.HybridSequential(prefix='layers1_')
            with self.layer1.name_scope():
                down = nn.HybridSequential(prefix='down1_')
                with down.name_scope():
                    down.add(nn.Conv2D(8, kernel_size=1, strides=2, use_bias=False))
                    down.add(nn.BatchNorm(**norm_kwargs))
                self.layer1.add(DeformableBottleneck(4, strides=2, downsample=down,
                                                     norm_kwargs=norm_kwargs))
                self.layer1.add(DeformableBottleneck(4, norm_kwargs=norm_kwargs,
                                                     num_deformable_group=2))
            self.pool = nn.GlobalAvgPool2D()
            self.fc = nn.Dense(classes)

    def features(self, F, x):
        return self.layer1(F.Activation(self.bn1(self.conv1(x)), act_type='relu'))

    def hybrid_forward(self, F, x):
        return self.fc(self.pool(self.features(F, x)))


x = nd.array(rng.uniform(-1, 1, (2, 3, 8, 8)))
y = nd.array([1, 3])
net = DeformResNet(norm_kwargs={'use_global_stats': True})
net.initialize(mx.init.Xavier(magnitude=2))
with autograd.train_mode():
    net(x)
print('offset weight init', net.layer1[0].conv2.offset_weight.data().abs().sum().asscalar(),
      net.layer1[0].conv2.offset_weight.shape, net.layer1[1].conv2.offset_weight.shape)
set_weights(net, 59, 0.3)
for name, param in sorted(net.collect_params().items()):
    if name.endswith('gamma'):
        param.set_data(1 + param.data())
names = sorted(net.collect_params().keys())
print(len(names), [n for n in names if 'offset' in n or 'conv_weight' in n][:5])
print(net.layer1[1].conv2)
net.hybridize()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.2, 'momentum': 0.9,
                                                      'wd': 1e-4})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
for step in range(3):
    with autograd.record():
        l = loss_fn(net(x), y)
    l.backward()
    trainer.step(2)
    print('step %d loss %.6f' % (step, l.mean().asscalar()))
show('offset weight grad', net.layer1[0].conv2.offset_weight.grad())
show('offset bias grad', net.layer1[1].conv2.offset_bias.grad()[12:])
show('deformable weight grad per filter',
     net.layer1[1].conv2.deformable_conv_weight.grad().abs().sum(axis=(1, 2, 3)))
show('offset bias after training', net.layer1[0].conv2.offset_bias.data())
out = net(x)
show('logits', out)

tmp = tempfile.mkdtemp()
net.export(os.path.join(tmp, 'dcn_resnet'), epoch=3)
print('exported', sorted(k for k in nd.load(os.path.join(tmp, 'dcn_resnet-0003.params'))
                         if 'offset' in k))
imported = gluon.SymbolBlock.imports(os.path.join(tmp, 'dcn_resnet-symbol.json'), ['data'],
                                     os.path.join(tmp, 'dcn_resnet-0003.params'))
show('imported logits', imported(x))


class DeconvHead(gluon.HybridBlock):
    """CenterNet's DeconvResnet stage: a deformable 3x3 then a 2x transposed convolution."""

    def __init__(self, channels, use_dcnv2=False, **kwargs):
        super(DeconvHead, self).__init__(**kwargs)
        with self.name_scope():
            self.deconv = nn.HybridSequential('deconv_')
            with self.deconv.name_scope():
                if use_dcnv2:
                    self.deconv.add(ModulatedDeformableConvolution(channels, kernel_size=3,
                                                                   padding=1, use_bias=False))
                else:
                    self.deconv.add(DeformableConvolution(channels, kernel_size=3, padding=1,
                                                          use_bias=False))
                self.deconv.add(nn.BatchNorm(use_global_stats=True))
                self.deconv.add(nn.Activation('relu'))
                self.deconv.add(nn.Conv2DTranspose(channels, kernel_size=4, strides=2,
                                                   padding=1, output_padding=0,
                                                   use_bias=False))
            self.heatmap = nn.Conv2D(2, kernel_size=1)

    def hybrid_forward(self, F, x):
        return F.sigmoid(self.heatmap(self.deconv(x)))


feat = net.features(nd, x)
for use_dcnv2 in (False, True):
    head = DeconvHead(4, use_dcnv2=use_dcnv2, prefix='head%d_' % use_dcnv2)
    head.initialize()
    with autograd.train_mode():
        head(feat)
    set_weights(head, 60 + use_dcnv2, 0.4)
    head.deconv[1].gamma.set_data(1 + head.deconv[1].gamma.data())
    print(sorted(head.collect_params().keys())[:3], head.deconv[0].offset_weight.shape)
    head.hybridize()
    hm = head(feat)
    print('heatmap', hm.shape)
    show('dcnv%d heatmap' % (1 + use_dcnv2), hm[1])
    prefix = os.path.join(tmp, 'head%d' % use_dcnv2)
    head.export(prefix)
    back = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data'], prefix + '-0000.params')
    show('dcnv%d imported heatmap' % (1 + use_dcnv2), back(feat)[1])
    direct = nd.contrib.ModulatedDeformableConvolution if use_dcnv2 else \
        nd.contrib.DeformableConvolution
    d = head.deconv[0]
    off = nd.Convolution(feat, d.offset_weight.data(), d.offset_bias.data(), kernel=(3, 3),
                         pad=(1, 1), num_filter=d.offset_weight.shape[0])
    if use_dcnv2:
        args = (feat, off.slice_axis(axis=1, begin=0, end=18),
                2 * nd.sigmoid(off.slice_axis(axis=1, begin=18, end=27)))
    else:
        args = (feat, off)
    raw = direct(*args, weight=d.deformable_conv_weight.data(), kernel=(3, 3), pad=(1, 1),
                 num_filter=4, no_bias=True)
    show('dcnv%d operator' % (1 + use_dcnv2), raw[0, 0])
shutil.rmtree(tmp)
