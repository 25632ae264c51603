"""VGG 11/13/16/19, with or without BatchNorm (MXNet 1.9.1 ``gluon.model_zoo.vision.vgg``).

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(arXiv:1409.1556). Five groups of 3x3 convolutions (padding 1) each closed by a 2x2/2 max-pool,
then two 4096-unit Dense layers with dropout and the classifier. Input ``(N, 3, 224, 224)``.

Initializers follow MXNet's definition: convolutions Xavier(gaussian, 'out', magnitude 2), Dense
layers ``normal``, all biases zero.
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.gluon.model_zoo.model_store import get_model_file
from minigluon.initializer import Xavier

__all__ = ['VGG', 'get_vgg', 'vgg11', 'vgg13', 'vgg16', 'vgg19',
           'vgg11_bn', 'vgg13_bn', 'vgg16_bn', 'vgg19_bn']


class VGG(HybridBlock):
    """VGG network.

    Parameters
    ----------
    layers : list of int
        Convolutions in each of the groups.
    filters : list of int
        Channels of each group (same length as ``layers``).
    classes : int, default 1000
    batch_norm : bool, default False
        Insert BatchNorm after every convolution.

    Input ``(N, 3, 224, 224)`` float32 (the first Dense layer expects 512*7*7 features); output
    ``(N, classes)``.

    Raises
    ------
    ValueError
        If ``layers`` and ``filters`` differ in length.
    """

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise ValueError('VGG: layers and filters must have the same length, got %s and %s'
                             % (list(layers), list(filters)))
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation='relu', weight_initializer='normal',
                                           bias_initializer='zeros'),
                                  nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer='normal', bias_initializer='zeros')

    @staticmethod
    def _make_features(layers, filters, batch_norm):
        features = nn.HybridSequential(prefix='')
        for count, channels in zip(layers, filters):
            for _ in range(count):
                features.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                       weight_initializer=Xavier(rnd_type='gaussian', factor_type='out',
                                                                 magnitude=2),
                                       bias_initializer='zeros'))
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation('relu'))
            features.add(nn.MaxPool2D(strides=2))
        return features

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (convolutions per group, channels per group)
vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """VGG with ``num_layers`` (11, 13, 16, 19) layers; ``batch_norm``, ``classes`` in ``kwargs``.

    Raises
    ------
    ValueError
        For another depth.
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    if num_layers not in vgg_spec:
        raise ValueError('Invalid number of layers: %s. Options are %s' % (num_layers, sorted(vgg_spec)))
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        name = 'vgg%d%s' % (num_layers, '_bn' if kwargs.get('batch_norm') else '')
        net.load_parameters(get_model_file(name, root), ctx=ctx)
    return net


def _constructor(depth, batch_norm):
    def build(**kwargs):
        if batch_norm:
            kwargs['batch_norm'] = True
        return get_vgg(depth, **kwargs)
    build.__name__ = 'vgg%d%s' % (depth, '_bn' if batch_norm else '')
    build.__doc__ = ('VGG-%d%s (arguments: classes, pretrained, ctx, root).'
                     % (depth, ' with BatchNorm' if batch_norm else ''))
    return build


vgg11, vgg13, vgg16, vgg19 = [_constructor(d, False) for d in (11, 13, 16, 19)]
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = [_constructor(d, True) for d in (11, 13, 16, 19)]
