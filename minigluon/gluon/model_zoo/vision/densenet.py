"""DenseNet 121/161/169/201 (MXNet 1.9.1 ``gluon.model_zoo.vision.densenet``).

Huang et al., "Densely Connected Convolutional Networks" (arXiv:1608.06993), DenseNet-BC: each
layer is BN-ReLU-1x1 conv (``bn_size * growth_rate`` channels) - BN-ReLU-3x3 conv (``growth_rate``)
and its output is concatenated to its input; transitions halve the channels (1x1 conv) and the
resolution (2x2 average pool). The head ends in a 7x7 average pool: input ``(N, 3, 224, 224)``.

Names: ``densenet0_conv0_weight`` for the stem, ``densenet0_stage2_conv5_weight`` inside dense
blocks (numbered across the stage), transitions and the final BatchNorm directly under the net.
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.contrib.nn import HybridConcurrent, Identity
from minigluon.gluon.model_zoo.model_store import get_model_file

__all__ = ['DenseNet', 'get_densenet', 'densenet121', 'densenet161', 'densenet169', 'densenet201']


def _bn_relu_conv(seq, channels, kernel_size, padding=0):
    seq.add(nn.BatchNorm(), nn.Activation('relu'),
            nn.Conv2D(channels, kernel_size=kernel_size, padding=padding, use_bias=False))


def _dense_layer(growth_rate, bn_size, dropout):
    """``concat(x, f(x))`` along channels: adds ``growth_rate`` channels."""
    new = nn.HybridSequential(prefix='')
    _bn_relu_conv(new, bn_size * growth_rate, 1)
    _bn_relu_conv(new, growth_rate, 3, padding=1)
    if dropout:
        new.add(nn.Dropout(dropout))
    layer = HybridConcurrent(axis=1, prefix='')
    layer.add(Identity(), new)
    return layer


def _dense_block(num_layers, bn_size, growth_rate, dropout, index):
    block = nn.HybridSequential(prefix='stage%d_' % index)
    with block.name_scope():
        for _ in range(num_layers):
            block.add(_dense_layer(growth_rate, bn_size, dropout))
    return block


def _transition(channels):
    seq = nn.HybridSequential(prefix='')
    _bn_relu_conv(seq, channels, 1)
    seq.add(nn.AvgPool2D(pool_size=2, strides=2))
    return seq


class DenseNet(HybridBlock):
    """DenseNet-BC.

    Parameters
    ----------
    num_init_features : int
        Channels of the 7x7/2 stem convolution.
    growth_rate : int
        Channels added by each dense layer.
    block_config : list of int
        Dense layers in each block.
    bn_size : int, default 4
        Bottleneck width multiplier (of ``growth_rate``) of the 1x1 convolutions.
    dropout : float, default 0
        Dropout rate after each dense layer (none when 0).
    classes : int, default 1000

    Input ``(N, 3, 224, 224)`` float32; output ``(N, classes)``.
    """

    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0,
                 classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2, padding=3,
                                        use_bias=False),
                              nn.BatchNorm(), nn.Activation('relu'),
                              nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            channels = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_dense_block(num_layers, bn_size, growth_rate, dropout, i + 1))
                channels += num_layers * growth_rate
                if i < len(block_config) - 1:
                    channels //= 2
                    self.features.add(_transition(channels))
            self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.AvgPool2D(pool_size=7),
                              nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (stem channels, growth rate, layers per dense block)
densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """DenseNet with ``num_layers`` (121, 161, 169, 201); ``bn_size``, ``dropout``, ``classes`` in
    ``kwargs``.

    Raises
    ------
    ValueError
        For another depth.
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    if num_layers not in densenet_spec:
        raise ValueError('Invalid number of layers: %s. Options are %s'
                         % (num_layers, sorted(densenet_spec)))
    stem, growth, config = densenet_spec[num_layers]
    net = DenseNet(stem, growth, config, **kwargs)
    if pretrained:
        net.load_parameters(get_model_file('densenet%d' % num_layers, root), ctx=ctx)
    return net


def _constructor(depth):
    def build(**kwargs):
        return get_densenet(depth, **kwargs)
    build.__name__ = 'densenet%d' % depth
    build.__doc__ = 'DenseNet-%d (arguments: classes, pretrained, ctx, root, dropout).' % depth
    return build


densenet121, densenet161, densenet169, densenet201 = [_constructor(d) for d in (121, 161, 169, 201)]
