# FlowNetC in the style of the MXNet ports of FlowNet / FlowNet2, shrunk: one convolution tower
# applied to both frames (shared weights), the Correlation layer (multiplicative, as FlowNetC,
# and the absolute-difference mode with is_multiply=False, the "subtract" variant) over a
# displacement window, LeakyReLU(0.1), a 1x1 "conv_redir" of the first frame concatenated with
# the cost volume, a flow predictor, deconvolution up-sampling with a skip concat and a
# multi-scale endpoint-error loss; a few Adam steps, hybridized. Then contrib.RROIAlign (rotated
# RoIAlign, as in rotated text detectors) forward on a feature map for rotated boxes; MXNet
# 1.9.1 has no backward for it, so it only runs forward.
import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(62)


class FlowNetC(gluon.HybridBlock):
    def __init__(self, is_multiply=True, max_displacement=2, stride2=1, **kwargs):
        super(FlowNetC, self).__init__(**kwargs)
        self._corr = dict(kernel_size=1, max_displacement=max_displacement, stride1=1,
                          stride2=stride2, pad_size=max_displacement, is_multiply=is_multiply)
        with self.name_scope():
            self.conv1 = nn.Conv2D(6, 3, strides=2, padding=1, prefix='conv1_')
            self.conv2 = nn.Conv2D(8, 3, strides=1, padding=1, prefix='conv2_')
            self.conv_redir = nn.Conv2D(4, 1, prefix='conv_redir_')
            self.conv3_1 = nn.Conv2D(8, 3, padding=1, prefix='conv3_1_')
            self.predict_flow3 = nn.Conv2D(2, 3, padding=1, prefix='predict_flow3_')
            self.deconv2 = nn.Conv2DTranspose(4, 4, strides=2, padding=1, prefix='deconv2_')
            self.upsample_flow3to2 = nn.Conv2DTranspose(2, 4, strides=2, padding=1,
                                                        use_bias=False,
                                                        prefix='upsample_flow3to2_')
            self.predict_flow2 = nn.Conv2D(2, 3, padding=1, prefix='predict_flow2_')
            self.relu = nn.LeakyReLU(0.1)

    def tower(self, x):
        c1 = self.relu(self.conv1(x))
        return c1, self.relu(self.conv2(c1))

    def hybrid_forward(self, F, img1, img2):
        c1a, conv_a = self.tower(img1)
        _, conv_b = self.tower(img2)
        corr = self.relu(F.Correlation(conv_a, conv_b, **self._corr))
        redir = self.relu(self.conv_redir(conv_a))
        conv3 = self.relu(self.conv3_1(F.concat(redir, corr, dim=1)))
        flow3 = self.predict_flow3(conv3)
        up3 = self.upsample_flow3to2(flow3)
        deconv2 = self.relu(self.deconv2(conv3))
        concat2 = F.concat(F.contrib.BilinearResize2D(img1, like=up3, mode='like'),
                           deconv2, up3, dim=1)
        flow2 = self.predict_flow2(concat2)
        return flow2, flow3, corr


def epe(F, pred, target):
    return F.mean(F.sqrt(F.sum(F.square(pred - target), axis=1) + 1e-8))


def multiscale_loss(flows, target, weights=(0.32, 0.08)):
    loss = 0
    for w, flow in zip(weights, flows):
        # sizes given: with like=flow here MXNet 1.9.1's gradients turn to garbage after a
        # few steps (uninitialised memory, 1e17 to 1e33, changing from run to run)
        scaled = nd.contrib.BilinearResize2D(target, height=flow.shape[2],
                                             width=flow.shape[3]) * 0.5
        loss = loss + w * epe(nd, flow, scaled)
    return loss


img1 = nd.array(rng.uniform(-1, 1, (2, 3, 12, 12)))
img2 = nd.array(np.roll(img1.asnumpy(), shift=1, axis=3) + rng.normal(0, 0.05, (2, 3, 12, 12)))
flow_gt = nd.array(np.concatenate([np.ones((2, 1, 12, 12)),
                                   rng.uniform(-0.5, 0.5, (2, 1, 12, 12))], axis=1))
for is_multiply in (True, False):
    tag = 'multiply' if is_multiply else 'subtract'
    net = FlowNetC(is_multiply=is_multiply, max_displacement=2, stride2=1 if is_multiply else 2,
                   prefix='flownetc%d_' % is_multiply)
    net.initialize()
    with autograd.train_mode():
        net(img1, img2)
    set_weights(net, 62 + is_multiply, 0.3)
    net.hybridize()
    flow2, flow3, corr = net(img1, img2)
    print(tag, 'shapes', flow2.shape, flow3.shape, corr.shape)
    show('%s cost volume' % tag, corr[0, :, 2, 3])
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    for step in range(3):
        with autograd.record():
            flow2, flow3, corr = net(img1, img2)
            loss = multiscale_loss([flow2, flow3], flow_gt)
        loss.backward()
        trainer.step(1)
        print('%s step %d loss %.6f' % (tag, step, loss.asscalar()))
    show('%s conv1 grad' % tag, net.conv1.weight.grad()[0, 0])
    show('%s conv2 grad' % tag, net.conv2.weight.grad()[1, :, 1, 1])
    show('%s flow2' % tag, net(img1, img2)[0][1, :, 3, :6])

# the operator on its own, both inputs' gradients, stride1 > 1 and kernel_size 3
a = nd.array(rng.uniform(-1, 1, (1, 2, 7, 7)))
b = nd.array(rng.uniform(-1, 1, (1, 2, 7, 7)))
a.attach_grad()
b.attach_grad()
for is_multiply in (True, False):
    with autograd.record():
        c = nd.Correlation(a, b, kernel_size=3, max_displacement=2, stride1=2, stride2=1,
                           pad_size=3, is_multiply=is_multiply)
        (c * nd.arange(c.size).reshape(c.shape) / c.size).sum().backward()
    print('correlation', is_multiply, c.shape)
    show('  out', c[0, :, 1, 1])
    show('  grad a', a.grad[0, 1, 2])
    show('  grad b', b.grad[0, 0, 3])

# rotated RoIAlign: rows (batch, centre x, centre y, width, height, angle in degrees)
feat = nd.array(rng.uniform(-1, 1, (2, 3, 10, 12)))
rois = nd.array([[0, 10, 8, 12, 6, 0],
                 [0, 10, 8, 12, 6, 30],
                 [1, 12, 10, 8, 14, -45],
                 [1, 6.5, 9.3, 9, 5, 90],
                 [0, 18, 4, 10, 4, 150]])
for pooled, ratio in (((2, 3), 2), ((3, 3), -1)):
    out = nd.contrib.RROIAlign(feat, rois, pooled_size=pooled, spatial_scale=0.5,
                               sampling_ratio=ratio)
    print('rroialign', pooled, ratio, out.shape)
    for r in range(out.shape[0]):
        show('  roi %d' % r, out[r, 1])
sym_out = mx.sym.contrib.RROIAlign(mx.sym.var('data'), mx.sym.var('rois'), pooled_size=(2, 2),
                                   spatial_scale=0.5)
show('rroialign symbol', sym_out.eval(ctx=mx.cpu(), data=feat, rois=rois)[0][2])
