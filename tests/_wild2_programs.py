"""The programs of the second trial of public MXNet 1.x Gluon scripts (tests/test_wild_scripts_2.py),
each rewritten in our own words from the source named above it. Each program function returns its
results as nested dicts and lists.

The test runs this file as it is, on minigluon; tools/gen_wild2_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return, not rounded, in tests/fixtures/wild2/wild2.json.
"""
import numpy as np

import minigluon as mx

autograd, nd = mx.autograd, mx.nd
nn = mx.gluon.nn


# ---------------------------------------------------------------- 1 BatchNorm's running statistics
# MXNet's normalization tutorial (docs/python_docs/python/tutorials/packages/gluon/training/
# normalization): BatchNorm trained on arange(16).reshape(2, 2, 2, 2)
def bn_case_id(shape, momentum, dtype):
    """The key of one BatchNorm case: ``2x2x2x2-0.9-float32``."""
    return '%s-%s-%s' % ('x'.join(map(str, shape)), momentum, dtype)


def bn_running():
    """BatchNorm's running mean and variance after each of three recorded steps on the tutorial's
    data, whose batch statistics are exact (the only rounding is the update's), for several
    momenta in float32 and float64: ``{case id: {'running_dtype', 'steps': [[mean, var], ...]}}``."""
    cases = {}
    shape = (2, 2, 2, 2)
    for momentum in (0.9, 0.99, 0.7, 0.1):
        for dtype in ('float32', 'float64'):
            net = nn.BatchNorm(momentum=momentum)
            net.initialize()
            net.cast(dtype)
            x = nd.array(np.arange(int(np.prod(shape))).reshape(shape), dtype=dtype)
            steps = []
            for _ in range(3):
                with autograd.record():
                    out = net(x)
                out.backward()
                steps.append([net.running_mean.data().asnumpy().astype('float64').tolist(),
                              net.running_var.data().asnumpy().astype('float64').tolist()])
            cases[bn_case_id(shape, momentum, dtype)] = {
                'running_dtype': np.dtype(net.running_mean.data().dtype).name, 'steps': steps}
    return cases


# ---------------------------------------------------------------- 2 PReLU under an SE block
# GluonFR gluonfr/nn/basic_blocks.py: SELayer after Conv -> BatchNorm -> PReLU
class SELayer(nn.HybridBlock):
    """GluonFR's squeeze-and-excitation block."""

    def __init__(self, channel, in_channel, reduction=4, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.avg_pool = nn.GlobalAvgPool2D()
            self.fc = nn.HybridSequential()
            with self.fc.name_scope():
                self.fc.add(nn.Conv2D(channel // reduction, kernel_size=1, in_channels=in_channel))
                self.fc.add(nn.PReLU())
                self.fc.add(nn.Conv2D(channel, kernel_size=1, in_channels=channel // reduction))
                self.fc.add(nn.Activation('sigmoid'))

    def hybrid_forward(self, F, x):
        return F.broadcast_mul(x, self.fc(self.avg_pool(x)))


def prelu_se():
    """The gradients of both PReLU ``alpha``s and the summed magnitude of the conv weight's
    gradient in Conv -> BatchNorm -> PReLU -> SELayer, eager and hybridized."""
    x = np.random.RandomState(0).randn(2, 3, 4, 4).astype('float32')
    head = np.random.RandomState(1).randn(2, 16, 4, 4).astype('float32')
    out = {}
    for hybrid in (False, True):
        net = nn.HybridSequential()
        net.add(nn.Conv2D(16, 3, padding=1), nn.BatchNorm(), nn.PReLU(), SELayer(16, 16))
        net.initialize(mx.init.Constant(0.05))
        if hybrid:
            net.hybridize()
        with autograd.record():
            y = net(nd.array(x))
        y.backward(nd.array(head))
        out['hybrid' if hybrid else 'eager'] = {
            'alpha_grad': float(net[2].alpha.grad().asscalar()),
            'inner_alpha_grad': float(net[3].fc[1].alpha.grad().asscalar()),
            'conv_grad_abs_sum': float(net[0].weight.grad().abs().sum().asscalar())}
    return out


PROGRAMS = ['bn_running', 'prelu_se']
