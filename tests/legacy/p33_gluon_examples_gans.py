# MXNet 1.x example/gluon programs, shrunk: dc_gan (Conv2DTranspose generator, LeakyReLU
# discriminator, Adam with beta1=0.5, two Trainers, fake.detach()), sn_gan (spectral norm with a
# power-iteration Parameter written through set_data), super_resolution (pixel shuffle by
# reshape/transpose, Orthogonal weight_initializer) and style_transfer (ReflectionPad2D,
# InstanceNorm, Gram matrices by batch_dot, the Inspiration layer). Layers are given their input
# sizes so that weights can be set before the first forward: MXNet 1.9.1 with MKL-DNN refuses
# set_data on a convolution weight that has been used. BatchNorm running statistics are not
# printed: MXNet's CPU build updates them in backward, minigluon in forward (as cuDNN).
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

tmp = tempfile.mkdtemp()

# ---------------------------------------------------------------- dc_gan
nz, ngf, ndf, nc, bs = 8, 4, 4, 3, 4
netG = nn.Sequential()
with netG.name_scope():
    netG.add(nn.Conv2DTranspose(ngf * 4, 4, 1, 0, use_bias=False, in_channels=nz))
    netG.add(nn.BatchNorm(in_channels=ngf * 4))
    netG.add(nn.Activation('relu'))
    netG.add(nn.Conv2DTranspose(ngf * 2, 4, 2, 1, use_bias=False, in_channels=ngf * 4))
    netG.add(nn.BatchNorm(in_channels=ngf * 2))
    netG.add(nn.Activation('relu'))
    netG.add(nn.Conv2DTranspose(nc, 4, 2, 1, use_bias=False, in_channels=ngf * 2))
    netG.add(nn.Activation('tanh'))
netD = nn.Sequential()
with netD.name_scope():
    netD.add(nn.Conv2D(ndf, 4, 2, 1, use_bias=False, in_channels=nc))
    netD.add(nn.LeakyReLU(0.2))
    netD.add(nn.Conv2D(ndf * 2, 4, 2, 1, use_bias=False, in_channels=ndf))
    netD.add(nn.BatchNorm(in_channels=ndf * 2))
    netD.add(nn.LeakyReLU(0.2))
    netD.add(nn.Conv2D(1, 4, 1, 0, use_bias=False, in_channels=ndf * 2))
print(netG)
loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
netG.initialize(mx.init.Normal(0.02))
netD.initialize(mx.init.Normal(0.02))
set_weights(netG, 1, 0.2)
set_weights(netD, 2, 0.2)
trainerG = gluon.Trainer(netG.collect_params(), 'adam', {'learning_rate': 0.01, 'beta1': 0.5})
trainerD = gluon.Trainer(netD.collect_params(), 'adam', {'learning_rate': 0.01, 'beta1': 0.5})
real_label, fake_label = nd.ones((bs,)), nd.zeros((bs,))


def facc(label, pred):
    return ((pred.ravel() > 0.5) == label.ravel()).mean()


metric = mx.metric.CustomMetric(facc)
rng = np.random.RandomState(0)
for it in range(3):
    data = nd.array(rng.uniform(-1, 1, (bs, nc, 16, 16)))
    latent_z = nd.array(rng.normal(0, 1, (bs, nz, 1, 1)))
    with autograd.record():
        output = netD(data).reshape((-1, 1))
        errD_real = loss(output, real_label)
        metric.update([real_label, ], [output, ])
        fake = netG(latent_z)
        output = netD(fake.detach()).reshape((-1, 1))
        errD_fake = loss(output, fake_label)
        errD = errD_real + errD_fake
        errD.backward()
        metric.update([fake_label, ], [output, ])
    trainerD.step(bs)
    with autograd.record():
        fake = netG(latent_z)
        output = netD(fake).reshape((-1, 1))
        errG = loss(output, real_label)
        errG.backward()
    trainerG.step(bs)
    name, acc = metric.get()
    print('dcgan iter %d D %.6f G %.6f %s=%.4f' % (it, nd.mean(errD).asscalar(),
                                                  nd.mean(errG).asscalar(), name, acc))
show('dcgan D w', netD[0].weight.data())
show('dcgan fake', fake)
netG.save_parameters(os.path.join(tmp, 'g.params'))
netG.load_parameters(os.path.join(tmp, 'g.params'))
show('dcgan G reloaded', netG[0].weight.data())


# ---------------------------------------------------------------- sn_gan
class SNConv2D(gluon.Block):
    def __init__(self, num_filter, kernel_size, strides, padding, in_channels, ctx=mx.cpu()):
        super(SNConv2D, self).__init__()
        self.num_filter, self.kernel_size = num_filter, kernel_size
        self.strides, self.padding, self.ctx = strides, padding, ctx
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(num_filter, in_channels, kernel_size,
                                                           kernel_size))
            self.u = self.params.get('u', init=mx.init.Normal(), shape=(1, num_filter))

    def _spectral_norm(self):
        w = self.params.get('weight').data(self.ctx)
        w_mat = nd.reshape(w, [w.shape[0], -1])
        _u = self.u.data(self.ctx)
        _v = nd.L2Normalization(nd.dot(_u, w_mat))
        _u = nd.L2Normalization(nd.dot(_v, w_mat.T))
        sigma = nd.sum(nd.dot(_u, w_mat) * _v)
        if sigma == 0.:
            sigma = 1e-8
        with autograd.pause():
            self.params.get('u').set_data(_u)
        return w / sigma

    def forward(self, x):
        self.ctx = x.context
        return nd.Convolution(data=x, weight=self._spectral_norm(),
                              kernel=(self.kernel_size, self.kernel_size),
                              pad=(self.padding, self.padding), stride=(self.strides, self.strides),
                              num_filter=self.num_filter, no_bias=True)


class SNDense(gluon.HybridBlock):
    def __init__(self, units, in_units):
        super(SNDense, self).__init__()
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(units, in_units))
            self.u = self.params.get('u', shape=(1, units), init=mx.init.Normal(), grad_req='null',
                                     differentiable=False)

    def hybrid_forward(self, F, x, weight, u):
        v = F.L2Normalization(F.dot(u, weight))
        u2 = F.L2Normalization(F.dot(v, weight, transpose_b=True))
        sigma = F.sum(F.dot(u2, weight) * v)
        return F.FullyConnected(x, F.broadcast_div(weight, sigma), no_bias=True,
                                num_hidden=self.weight.shape[0])


snD = gluon.nn.Sequential()
snD.add(SNConv2D(4, 4, 2, 1, in_channels=3), gluon.nn.LeakyReLU(0.2),
        SNConv2D(8, 4, 2, 1, in_channels=4), gluon.nn.LeakyReLU(0.2),
        SNConv2D(1, 4, 1, 0, in_channels=8))
snD.initialize(mx.init.Xavier(factor_type='in', magnitude=2.34))
print(sorted(snD.collect_params().keys()))
set_weights(snD, 11, 0.3)
trainer = gluon.Trainer(snD.collect_params(), 'adam', {'learning_rate': 0.001, 'beta1': 0.0,
                                                       'beta2': 0.9})
rng = np.random.RandomState(2)
for i in range(3):
    x = nd.array(rng.uniform(-1, 1, (2, 3, 16, 16)))
    with autograd.record():
        out = snD(x).reshape((-1, 1))
        err = loss(out, nd.ones((2, 1)))
    err.backward()
    trainer.step(2)
    show('sngan loss %d' % i, err)
show('sngan u', snD[0].u.data())
snd = SNDense(3, 4)
snd.initialize()
set_weights(snd, 12, 0.5)
snd.hybridize()
xx = nd.array(rng.uniform(size=(2, 4)))
with autograd.record():
    o = snd(xx)
o.backward()
show('sn dense', o)
show('sn dense grad', snd.weight.grad())


# ---------------------------------------------------------------- super_resolution
def _rearrange(raw, F, upscale_factor):
    splitted = F.reshape(raw, shape=(0, -4, -1, upscale_factor ** 2, 0, 0))
    unflatten = F.reshape(splitted, shape=(0, 0, -4, upscale_factor, upscale_factor, 0, 0))
    swapped = F.transpose(unflatten, axes=(0, 1, 4, 2, 5, 3))
    return F.reshape(swapped, shape=(0, 0, -3, -3))


class SuperResolutionNet(gluon.HybridBlock):
    def __init__(self, upscale_factor):
        super(SuperResolutionNet, self).__init__()
        with self.name_scope():
            self.conv1 = nn.Conv2D(8, (5, 5), padding=(2, 2), in_channels=1,
                                   weight_initializer=mx.init.Orthogonal(scale=2))
            self.conv2 = nn.Conv2D(8, (3, 3), padding=(1, 1), in_channels=8,
                                   weight_initializer=mx.init.Orthogonal(scale=2))
            self.conv3 = nn.Conv2D(4, (3, 3), padding=(1, 1), in_channels=8,
                                   weight_initializer=mx.init.Orthogonal(scale=2))
            self.conv4 = nn.Conv2D(upscale_factor ** 2, (3, 3), padding=(1, 1), in_channels=4,
                                   weight_initializer=mx.init.Orthogonal())
        self.upscale_factor = upscale_factor

    def hybrid_forward(self, F, x):
        x = F.Activation(self.conv1(x), act_type='relu')
        x = F.Activation(self.conv2(x), act_type='relu')
        x = F.Activation(self.conv3(x), act_type='relu')
        return _rearrange(self.conv4(x), F, self.upscale_factor)


sr = SuperResolutionNet(3)
sr.initialize()
w = sr.conv1.weight.data().asnumpy().reshape(8, -1)
print('orthogonal rows (scale 2)', np.allclose(w @ w.T, 4 * np.eye(8), atol=1e-4))
w = sr.conv4.weight.data().asnumpy().reshape(9, -1)
print('orthogonal rows (scale 1)', np.allclose(w @ w.T, np.eye(9), atol=1e-4))
set_weights(sr, 4, 0.3)
sr.hybridize()
rng = np.random.RandomState(0)
x = nd.array(rng.uniform(size=(2, 1, 6, 6)))
y = nd.array(rng.uniform(size=(2, 1, 18, 18)))
trainer = gluon.Trainer(sr.collect_params(), 'adam', {'learning_rate': 0.01})
mse = mx.metric.MSE()
for i in range(3):
    with autograd.record():
        out = sr(x)
        l = gluon.loss.L2Loss()(out, y)
    l.backward()
    trainer.step(2)
    mse.update([y], [out])
    print('sr', i, out.shape, '%.6f' % l.mean().asscalar(), '%.6f' % mse.get()[1])
show('sr out', nd.reshape(sr(x[:1]), shape=(-3, -2)))


# ---------------------------------------------------------------- style_transfer
class ConvLayer(gluon.HybridBlock):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        self.pad = nn.ReflectionPad2D(int(np.floor(kernel_size / 2)))
        self.conv2d = nn.Conv2D(in_channels=in_channels, channels=out_channels,
                                kernel_size=kernel_size, strides=(stride, stride), padding=0)

    def hybrid_forward(self, F, x):
        return self.conv2d(self.pad(x))


def gram_matrix(y):
    (b, ch, h, w) = y.shape
    features = y.reshape((b, ch, w * h))
    return nd.batch_dot(features, features, transpose_b=True) / (ch * h * w)


class Inspiration(gluon.Block):
    def __init__(self, C, B=1):
        super(Inspiration, self).__init__()
        self.weight = self.params.get('weight', shape=(1, C, C), init=mx.initializer.Uniform(),
                                      allow_deferred_init=True)
        self.gram = self.params.get('gram', shape=(B, C, C), init=mx.initializer.Uniform(),
                                    allow_deferred_init=True, lr_mult=0)
        self.C = C

    def setTarget(self, target):
        self.gram.set_data(target)

    def forward(self, X):
        self.P = nd.batch_dot(nd.broadcast_to(self.weight.data(), shape=(self.gram.shape)),
                              self.gram.data())
        return nd.batch_dot(nd.SwapAxis(self.P, 1, 2).broadcast_to((X.shape[0], self.C, self.C)),
                            X.reshape((0, 0, X.shape[2] * X.shape[3]))).reshape(X.shape)


class StyleNet(gluon.Block):
    def __init__(self):
        super(StyleNet, self).__init__()
        with self.name_scope():
            self.model1 = nn.Sequential()
            self.model1.add(ConvLayer(3, 8, kernel_size=7, stride=1),
                            nn.InstanceNorm(in_channels=8), nn.Activation('relu'))
            self.ins = Inspiration(8)
            self.model = nn.Sequential()
            self.model.add(self.model1, self.ins, ConvLayer(8, 3, kernel_size=3, stride=1))

    def setTarget(self, Xs):
        self.ins.setTarget(gram_matrix(self.model1(Xs)))

    def forward(self, x):
        return self.model(x)


style = StyleNet()
style.initialize(mx.initializer.Uniform())
set_weights(style, 9, 0.2)
print(sorted(style.collect_params().keys()))
rng = np.random.RandomState(1)
style.setTarget(nd.array(rng.uniform(size=(1, 3, 8, 8))))
content = nd.array(rng.uniform(size=(2, 3, 8, 8)))
trainer = gluon.Trainer(style.collect_params(), 'adam', {'learning_rate': 0.01})
for i in range(3):
    with autograd.record():
        y = style(content)
        gy = gram_matrix(y)
        l = 2 * gluon.loss.L2Loss()(y, content) + gluon.loss.L2Loss()(
            gy, gram_matrix(content).broadcast_to(gy.shape))
    l.backward()
    trainer.step(2)
    show('style loss %d' % i, l)
show('style gram', style.ins.gram.data())
show('style P', style.ins.P)
