"""Residual and bottleneck blocks of the model zoo against NumPy references, and their gradients.

The references are written from the papers (He et al. 2015 for V1, He et al. 2016 for V2, Sandler
et al. 2018 for the linear bottleneck) with loop convolutions and inference-mode BatchNorm.
"""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.gluon.model_zoo import vision
from minigluon.test_utils import assert_almost_equal, check_gradient


def conv2d(x, w, stride=1, pad=0, groups=1, bias=None):
    n, _, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, f, ho, wo))
    fg = f // groups
    for g in range(groups):
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[:, g * fg:(g + 1) * fg, i, j] = np.einsum('nchw,fchw->nf', patch,
                                                              w[g * fg:(g + 1) * fg])
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def relu(x):
    return np.maximum(x, 0)


class Weights:
    """Gives every parameter of a block random values (positive variances) and reads them back."""

    def __init__(self, block, x):
        block.initialize()
        block(nd.array(x))                                   # finishes deferred shapes
        rng = np.random.RandomState(1)
        self.values = {}
        for name, p in block.collect_params().items():
            if name.endswith(('running_var', 'gamma')):
                v = rng.uniform(0.5, 1.5, p.shape)
            else:
                v = rng.uniform(-0.5, 0.5, p.shape)
            p.set_data(nd.array(v))
            self.values[p] = v

    def __call__(self, param):
        return self.values[param]


def bn(w, layer, x, eps=1e-5):
    shape = (1, -1, 1, 1)
    gamma = w(layer.gamma).reshape(shape)
    beta = w(layer.beta).reshape(shape)
    mean = w(layer.running_mean).reshape(shape)
    var = w(layer.running_var).reshape(shape)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


X = np.random.RandomState(0).uniform(-1, 1, (2, 4, 6, 6))


def test_basic_block_v1_with_projection():
    block = vision.BasicBlockV1(6, 2, downsample=True, in_channels=4)
    w = Weights(block, X)
    b = block.body
    body = bn(w, b[4], conv2d(relu(bn(w, b[1], conv2d(X, w(b[0].weight), 2, 1))), w(b[3].weight), 1, 1))
    shortcut = bn(w, block.downsample[1], conv2d(X, w(block.downsample[0].weight), 2))
    assert_almost_equal(block(nd.array(X)), relu(body + shortcut), rtol=1e-4, atol=1e-5)


def test_bottleneck_v1_identity_shortcut():
    block = vision.BottleneckV1(4, 1, downsample=False, in_channels=4)
    w = Weights(block, X)
    b = block.body
    h = relu(bn(w, b[1], conv2d(X, w(b[0].weight), bias=w(b[0].bias))))
    h = relu(bn(w, b[4], conv2d(h, w(b[3].weight), 1, 1)))
    h = bn(w, b[7], conv2d(h, w(b[6].weight), bias=w(b[6].bias)))
    assert block.downsample is None
    assert_almost_equal(block(nd.array(X)), relu(h + X), rtol=1e-4, atol=1e-5)


def test_basic_block_v2_preactivation_projection():
    block = vision.BasicBlockV2(8, 2, downsample=True, in_channels=4)
    w = Weights(block, X)
    pre = relu(bn(w, block.bn1, X))
    shortcut = conv2d(pre, w(block.downsample.weight), 2)
    h = conv2d(pre, w(block.conv1.weight), 2, 1)
    h = conv2d(relu(bn(w, block.bn2, h)), w(block.conv2.weight), 1, 1)
    assert_almost_equal(block(nd.array(X)), h + shortcut, rtol=1e-4, atol=1e-5)


def test_bottleneck_v2_identity_shortcut_adds_raw_input():
    block = vision.BottleneckV2(4, 1, downsample=False, in_channels=4)
    w = Weights(block, X)
    h = conv2d(relu(bn(w, block.bn1, X)), w(block.conv1.weight))
    h = conv2d(relu(bn(w, block.bn2, h)), w(block.conv2.weight), 1, 1)
    h = conv2d(relu(bn(w, block.bn3, h)), w(block.conv3.weight))
    assert_almost_equal(block(nd.array(X)), h + X, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('stride, channels, shortcut', [(1, 4, True), (2, 4, False), (1, 6, False)])
def test_linear_bottleneck(stride, channels, shortcut):
    block = vision.LinearBottleneck(4, channels, t=2, stride=stride)
    assert block.use_shortcut is shortcut
    w = Weights(block, X)
    s = block.out
    relu6 = lambda v: np.clip(v, 0, 6)          # noqa: E731
    h = relu6(bn(w, s[1], conv2d(X, w(s[0].weight))))
    h = relu6(bn(w, s[4], conv2d(h, w(s[3].weight), stride, 1, groups=8)))
    h = bn(w, s[7], conv2d(h, w(s[6].weight)))      # linear: no activation after the projection
    assert len(s) == 8
    assert_almost_equal(block(nd.array(X)), h + X if shortcut else h, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('make', [lambda: vision.BasicBlockV1(4, 2, True, in_channels=4),
                                  lambda: vision.BottleneckV2(8, 1, True, in_channels=4),
                                  lambda: vision.LinearBottleneck(4, 4, t=2, stride=1)])
def test_block_gradient_float64(make):
    block = make()
    Weights(block, X)
    block.cast('float64')

    def fn(x):
        with autograd.predict_mode():      # BatchNorm on running statistics in both evaluations
            return block(x)

    check_gradient(fn, [X[:1, :, :4, :4]])
