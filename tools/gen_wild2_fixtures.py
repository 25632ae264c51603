"""Golden values for the patterns met in the second trial of public MXNet 1.x Gluon scripts
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild2_fixtures.py

Writes tests/fixtures/wild2/wild2.json, read by tests/test_wild_scripts_2.py:

* ``bn_running``: BatchNorm's moving mean and variance after each of three training steps on the
  normalization tutorial's data (``arange(16).reshape(2, 2, 2, 2)``, whose batch statistics are
  exact, so the only rounding is the update's), for several momenta, float32 and float64. MXNet
  keeps ``momentum`` as a float32 and forms ``1 - momentum`` in the accumulation type: 0.55000013
  where 0.55 is expected. (On other data MXNet's oneDNN and native kernels also round the batch
  variance their own ways, the native one through ``1 / sqrt(var + eps)`` and back: last-bit
  differences minigluon does not reproduce.)
* ``prelu_se``: the gradient of a PReLU's ``alpha`` in Conv -> BatchNorm -> PReLU -> SELayer (GluonFR's
  basic blocks), eager and hybridized.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'wild2')


def bn_running():
    cases = []
    for shape in ((2, 2, 2, 2),):
        for momentum in (0.9, 0.99, 0.7, 0.1):
            for dtype in ('float32', 'float64'):
                data = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
                net = nn.BatchNorm(momentum=momentum)
                net.initialize()
                net.cast(dtype)
                x = nd.array(data, dtype=dtype)
                steps = []
                for _ in range(3):
                    with autograd.record():
                        out = net(x)
                    out.backward()
                    steps.append([net.running_mean.data().asnumpy().astype('float64').tolist(),
                                  net.running_var.data().asnumpy().astype('float64').tolist()])
                cases.append({'shape': list(shape), 'momentum': momentum, 'dtype': dtype,
                              'running_dtype': np.dtype(net.running_mean.data().dtype).name,
                              'steps': steps})
    return cases


class SELayer(nn.HybridBlock):
    """GluonFR's squeeze-and-excitation block (gluonfr/nn/basic_blocks.py)."""

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
    rs = np.random.RandomState(0)
    x = rs.randn(2, 3, 4, 4).astype('float32')
    head = np.random.RandomState(1).randn(2, 16, 4, 4).astype('float32')
    out = {'x': x.tolist(), 'head': head.tolist()}
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


def main():
    out = {'mxnet_version': mx.__version__, 'bn_running': bn_running(), 'prelu_se': prelu_se()}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'wild2.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print('wrote', os.path.join(OUT, 'wild2.json'))


if __name__ == '__main__':
    main()
