"""Patterns met running a second set of public MXNet 1.x Gluon scripts unchanged, against MXNet
1.9.1 (fixture: tools/gen_wild2_fixtures.py).

* BatchNorm's running statistics round as MXNet's: ``momentum`` is a float32 attribute and
  ``1 - momentum`` is formed in the accumulation type (MXNet's normalization tutorial prints
  ``running_mean: [0.55000013 0.9500002 ]`` after one step, not ``[0.55 0.95]``). Checked bit for
  bit on the tutorial's data, whose batch statistics are exact; on other data MXNet's kernels
  round the batch variance their own ways (last bits).
* The gradient of a PReLU's ``alpha`` in GluonFR's Conv -> BatchNorm -> PReLU -> SELayer block:
  minigluon gives MXNet's eager gradient both eagerly and hybridized; MXNet 1.9.1's hybridized
  graph gives a quarter of it (a deliberate difference, docs/PORTING.md).
"""

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.gluon import nn
from _wild import load_fixture

FIX = load_fixture('wild2')


def _case_id(case):
    return '%s-%s-%s' % ('x'.join(map(str, case['shape'])), case['momentum'], case['dtype'])


@pytest.mark.parametrize('case', FIX['bn_running'], ids=_case_id)
def test_batchnorm_running_statistics_round_as_mxnet(case):
    dtype = case['dtype']
    net = nn.BatchNorm(momentum=case['momentum'])
    net.initialize()
    net.cast(dtype)
    x = nd.array(np.arange(int(np.prod(case['shape']))).reshape(case['shape']), dtype=dtype)
    for want_mean, want_var in case['steps']:
        with autograd.record():
            out = net(x)
        out.backward()
        mean, var = net.running_mean.data().asnumpy(), net.running_var.data().asnumpy()
        assert mean.dtype == np.dtype(case['running_dtype'])
        np.testing.assert_array_equal(mean, np.array(want_mean, dtype=mean.dtype))
        np.testing.assert_array_equal(var, np.array(want_var, dtype=var.dtype))


class SELayer(nn.HybridBlock):
    """GluonFR's squeeze-and-excitation block, as in the generator."""

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


@pytest.mark.parametrize('hybrid', [False, True])
def test_prelu_alpha_gradient_under_an_se_block_is_the_eager_one(hybrid):
    fix = FIX['prelu_se']
    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, 3, padding=1), nn.BatchNorm(), nn.PReLU(), SELayer(16, 16))
    net.initialize(mx.init.Constant(0.05))
    if hybrid:
        net.hybridize()
    with autograd.record():
        y = net(nd.array(fix['x']))
    y.backward(nd.array(fix['head']))
    want = fix['eager']
    np.testing.assert_allclose(net[2].alpha.grad().asscalar(), want['alpha_grad'], rtol=1e-5)
    np.testing.assert_allclose(net[3].fc[1].alpha.grad().asscalar(), want['inner_alpha_grad'], rtol=1e-4)
    np.testing.assert_allclose(net[0].weight.grad().abs().sum().asscalar(), want['conv_grad_abs_sum'],
                               rtol=1e-5)
    # MXNet's hybridized graph: a quarter of its own eager alpha gradients, the data gradient intact
    mx_hybrid = fix['hybrid']
    assert abs(mx_hybrid['alpha_grad'] * 4 - want['alpha_grad']) < 1e-5
    assert mx_hybrid['conv_grad_abs_sum'] == want['conv_grad_abs_sum']
