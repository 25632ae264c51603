"""Layers and operators on an empty batch (a 0 on the batch axis), eagerly and hybridized.

MXNet 1.9.1 cannot make such a batch (a 0 in a shape means "unknown" there: ``nd.ones((0, 3))``
fails to infer its shape), so there is no MXNet behaviour to match; what is asked of minigluon is
what an empty batch means: an empty output of the right shape, zero gradients for the weights,
and no change to any state (BatchNorm's running statistics). Each of these used to fail inside
NumPy ("cannot reshape array of size 0 into shape (0,newaxis)") or, for BatchNorm, to average
the NaN statistics of the empty batch into the running ones.
"""
import warnings

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.gluon import nn

LAYERS = [
    ('dense', lambda: nn.Dense(2, in_units=3), (0, 3), (0, 2)),
    ('dense_flatten', lambda: nn.Dense(2, in_units=12), (0, 3, 2, 2), (0, 2)),
    ('conv2d', lambda: nn.Conv2D(4, 3, in_channels=3), (0, 3, 6, 6), (0, 4, 4, 4)),
    ('conv2d_wide', lambda: nn.Conv2D(4, 3, in_channels=32, padding=1), (0, 32, 5, 5),
     (0, 4, 5, 5)),
    ('conv1d_groups', lambda: nn.Conv1D(4, 3, in_channels=4, groups=2), (0, 4, 7), (0, 4, 5)),
    ('conv2d_transpose', lambda: nn.Conv2DTranspose(4, 3, strides=2, in_channels=3),
     (0, 3, 5, 5), (0, 4, 11, 11)),
]


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name,make,in_shape,out_shape', LAYERS, ids=[c[0] for c in LAYERS])
def test_layers_give_empty_outputs_and_zero_weight_gradients(name, make, in_shape, out_shape,
                                                             hybridize):
    layer = make()
    layer.initialize()
    if hybridize:
        layer.hybridize()
    x = nd.zeros(in_shape)
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward()
    assert y.shape == out_shape and x.grad.shape == in_shape
    for p in layer.collect_params().values():
        assert not p.grad().asnumpy().any(), p.name


@pytest.mark.parametrize('hybridize', [False, True])
def test_batchnorm_keeps_its_running_statistics(hybridize):
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    bn.running_mean.set_data(nd.array([1., 2, 3]))
    if hybridize:
        bn.hybridize()
    x = nd.zeros((0, 3, 4, 4))
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter('error')          # no "Mean of empty slice"
        with autograd.record():
            y = bn(x)
        y.backward()
    assert y.shape == (0, 3, 4, 4) and x.grad.shape == (0, 3, 4, 4)
    assert bn.running_mean.data().asnumpy().tolist() == [1, 2, 3]
    assert bn.running_var.data().asnumpy().tolist() == [1, 1, 1]
    assert not bn.beta.grad().asnumpy().any()


def test_operators_that_flatten_the_batch():
    x4 = nd.zeros((0, 3, 5, 5))
    assert nd.SoftmaxOutput(nd.zeros((0, 3, 2)), nd.zeros((0,))).shape == (0, 3, 2)
    assert nd.im2col(x4, kernel=(3, 3)).shape == (0, 27, 9)
    grid = nd.zeros((0, 2, 4, 4))
    grid.attach_grad()
    with autograd.record():
        out = nd.BilinearSampler(x4, grid)
    out.backward()
    assert out.shape == (0, 3, 4, 4) and grid.grad.shape == (0, 2, 4, 4)
    assert nd.SpatialTransformer(x4, nd.zeros((0, 6)), target_shape=(4, 4),
                                 transform_type='affine',
                                 sampler_type='bilinear').shape == (0, 3, 4, 4)
    np.testing.assert_array_equal(nd.FullyConnected(nd.zeros((0, 2)), nd.ones((3, 2)),
                                                    nd.ones(3), num_hidden=3).asnumpy(),
                                  np.zeros((0, 3)))
