"""SqueezeNet 1.0 and 1.1 (MXNet 1.9.1 ``gluon.model_zoo.vision.squeezenet``).

Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size"
(arXiv:1602.07360). A fire module squeezes with a 1x1 convolution, then concatenates a 1x1 and a 3x3
expansion along channels. Version 1.1 (from the authors' repository) uses a 3x3 stem with 64 filters
and pools earlier, for about 2.4x less computation.

All convolutions are numbered directly under ``squeezenet0_`` (``squeezenet0_conv25_weight`` is the
classifier). The head ends in a 13x13 average pool, so the input must be 224x224 (1.1: 224 or 227).
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.contrib.nn import HybridConcurrent
from minigluon.gluon.model_zoo.model_store import get_model_file

__all__ = ['SqueezeNet', 'get_squeezenet', 'squeezenet1_0', 'squeezenet1_1']


def _conv_relu(channels, kernel_size, padding=0):
    seq = nn.HybridSequential(prefix='')
    seq.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation('relu'))
    return seq


def _fire(squeeze, expand1x1, expand3x3):
    """Fire module: output channels ``expand1x1 + expand3x3``."""
    seq = nn.HybridSequential(prefix='')
    seq.add(_conv_relu(squeeze, 1))     # created first: layer numbering follows creation order
    expand = HybridConcurrent(axis=1, prefix='')
    expand.add(_conv_relu(expand1x1, 1), _conv_relu(expand3x3, 3, 1))
    seq.add(expand)
    return seq


def _pool():
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


class SqueezeNet(HybridBlock):
    """SqueezeNet.

    Parameters
    ----------
    version : str
        ``'1.0'`` or ``'1.1'``.
    classes : int, default 1000

    Input ``(N, 3, 224, 224)`` float32; output ``(N, classes)`` (a 1x1 convolution, ReLU, 13x13
    average pool and Flatten form the classifier).

    Raises
    ------
    ValueError
        For another ``version``.
    """

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        if version not in ('1.0', '1.1'):
            raise ValueError("Unsupported SqueezeNet version %r: '1.0' or '1.1' expected" % (version,))
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            if version == '1.0':
                self.features.add(nn.Conv2D(96, kernel_size=7, strides=2), nn.Activation('relu'),
                                  _pool(), _fire(16, 64, 64), _fire(16, 64, 64), _fire(32, 128, 128),
                                  _pool(), _fire(32, 128, 128), _fire(48, 192, 192),
                                  _fire(48, 192, 192), _fire(64, 256, 256), _pool(),
                                  _fire(64, 256, 256))
            else:
                self.features.add(nn.Conv2D(64, kernel_size=3, strides=2), nn.Activation('relu'),
                                  _pool(), _fire(16, 64, 64), _fire(16, 64, 64), _pool(),
                                  _fire(32, 128, 128), _fire(32, 128, 128), _pool(),
                                  _fire(48, 192, 192), _fire(48, 192, 192), _fire(64, 256, 256),
                                  _fire(64, 256, 256))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation('relu'),
                            nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=None, root=None, **kwargs):
    """SqueezeNet ``version`` ('1.0' or '1.1'); ``classes``, ``prefix``, ``params`` in ``kwargs``.

    Raises
    ------
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        net.load_parameters(get_model_file('squeezenet%s' % version, root), ctx=ctx)
    return net


def squeezenet1_0(**kwargs):
    """SqueezeNet 1.0 (arguments: classes, pretrained, ctx, root)."""
    return get_squeezenet('1.0', **kwargs)


def squeezenet1_1(**kwargs):
    """SqueezeNet 1.1 (arguments: classes, pretrained, ctx, root)."""
    return get_squeezenet('1.1', **kwargs)
