"""ResNet V1 and V2 (MXNet 1.9.1 ``gluon.model_zoo.vision.resnet``).

V1 follows He et al., "Deep Residual Learning for Image Recognition" (arXiv:1512.03385): conv -> BN
-> ReLU inside the residual branch, ReLU after the addition. V2 follows He et al., "Identity
Mappings in Deep Residual Networks" (arXiv:1603.05027): BN -> ReLU before each convolution
(pre-activation), a plain addition at the end of a block.

Parameter names match MXNet's: the network is ``resnetv10_`` / ``resnetv20_`` (fresh NameManager),
stages are ``stage1_`` ... ``stage4_``, and every residual block shares its stage's prefix, so layers
are numbered across the stage (``resnetv10_stage2_conv3_weight``).
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.gluon.model_zoo.model_store import get_model_file

__all__ = ['ResNetV1', 'ResNetV2', 'BasicBlockV1', 'BasicBlockV2', 'BottleneckV1', 'BottleneckV2',
           'resnet18_v1', 'resnet34_v1', 'resnet50_v1', 'resnet101_v1', 'resnet152_v1',
           'resnet18_v2', 'resnet34_v2', 'resnet50_v2', 'resnet101_v2', 'resnet152_v2', 'get_resnet']


def _conv3x3(channels, stride, in_channels):
    """3x3 convolution with padding 1 and no bias."""
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _conv1x1(channels, stride, in_channels=0):
    return nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False, in_channels=in_channels)


def _projection_v1(channels, stride, in_channels):
    """Shortcut of a V1 block whose shape changes: 1x1 strided convolution then BatchNorm."""
    seq = nn.HybridSequential(prefix='')
    seq.add(_conv1x1(channels, stride, in_channels), nn.BatchNorm())
    return seq


class BasicBlockV1(HybridBlock):
    """Two 3x3 convolutions with BatchNorm, a shortcut, ReLU after the sum (ResNet-18/34 V1).

    Parameters
    ----------
    channels : int
        Output channels.
    stride : int
        Stride of the first convolution (and of the projection shortcut).
    downsample : bool, default False
        Use a 1x1 convolution + BatchNorm on the shortcut (needed when the shape changes).
    in_channels : int, default 0
        Input channels; 0 defers the weight shape to the first forward.

    Input ``(N, in_channels, H, W)``; output ``(N, channels, ceil(H/stride), ceil(W/stride))``.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(_conv3x3(channels, stride, in_channels), nn.BatchNorm(), nn.Activation('relu'),
                      _conv3x3(channels, 1, channels), nn.BatchNorm())
        self.downsample = _projection_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        out = self.body(x)
        shortcut = self.downsample(x) if self.downsample is not None else x
        return F.Activation(shortcut + out, act_type='relu')


class BottleneckV1(HybridBlock):
    """1x1 (reduce to channels/4) -> 3x3 -> 1x1 (expand) bottleneck (ResNet-50/101/152 V1).

    Parameters are those of :class:`BasicBlockV1`; the stride sits on the first 1x1 convolution and
    the two 1x1 convolutions of the body keep their bias, as in MXNet's definition.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        mid = channels // 4
        self.body = nn.HybridSequential(prefix='')
        self.body.add(nn.Conv2D(mid, kernel_size=1, strides=stride), nn.BatchNorm(),
                      nn.Activation('relu'),
                      _conv3x3(mid, 1, mid), nn.BatchNorm(), nn.Activation('relu'),
                      nn.Conv2D(channels, kernel_size=1, strides=1), nn.BatchNorm())
        self.downsample = _projection_v1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        out = self.body(x)
        shortcut = self.downsample(x) if self.downsample is not None else x
        return F.Activation(out + shortcut, act_type='relu')


class BasicBlockV2(HybridBlock):
    """Pre-activation basic block: (BN, ReLU, 3x3 conv) twice plus the shortcut (ResNet-18/34 V2).

    The projection shortcut (a 1x1 strided convolution without BatchNorm) is applied to the
    pre-activated input, as in the paper. Parameters as for :class:`BasicBlockV1`.
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = _conv1x1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        pre = F.Activation(self.bn1(x), act_type='relu')
        shortcut = self.downsample(pre) if self.downsample is not None else x
        out = self.conv1(pre)
        out = self.conv2(F.Activation(self.bn2(out), act_type='relu'))
        return out + shortcut


class BottleneckV2(HybridBlock):
    """Pre-activation bottleneck: BN-ReLU-1x1, BN-ReLU-3x3 (strided), BN-ReLU-1x1, plus shortcut.

    Parameters as for :class:`BasicBlockV1` (ResNet-50/101/152 V2).
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        mid = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv1x1(mid, 1)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(mid, stride, mid)
        self.bn3 = nn.BatchNorm()
        self.conv3 = _conv1x1(channels, 1)
        self.downsample = _conv1x1(channels, stride, in_channels) if downsample else None

    def hybrid_forward(self, F, x):
        pre = F.Activation(self.bn1(x), act_type='relu')
        shortcut = self.downsample(pre) if self.downsample is not None else x
        out = self.conv1(pre)
        out = self.conv2(F.Activation(self.bn2(out), act_type='relu'))
        out = self.conv3(F.Activation(self.bn3(out), act_type='relu'))
        return out + shortcut


def _check_spec(cls, layers, channels):
    if len(layers) != len(channels) - 1:
        raise ValueError('%s: channels must have one entry more than layers (the stem width first), '
                         'got layers=%s, channels=%s' % (cls, list(layers), list(channels)))


def _stage(block, num_blocks, channels, stride, index, in_channels):
    """One stage ``stage<index>_``: a first block that may change shape, then identity blocks."""
    stage = nn.HybridSequential(prefix='stage%d_' % index)
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels, prefix=''))
        for _ in range(num_blocks - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=''))
    return stage


def _stem(features, channels, thumbnail):
    """7x7/2 conv, BN, ReLU, 3x3/2 max-pool; or one 3x3 conv for small (CIFAR-sized) inputs."""
    if thumbnail:
        features.add(_conv3x3(channels, 1, 0))
    else:
        features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False), nn.BatchNorm(),
                     nn.Activation('relu'), nn.MaxPool2D(3, 2, 1))


class ResNetV1(HybridBlock):
    """ResNet V1: stem, four stages of residual blocks, global average pooling, Dense classifier.

    Parameters
    ----------
    block : type
        :class:`BasicBlockV1` or :class:`BottleneckV1`.
    layers : list of int
        Blocks per stage.
    channels : list of int
        Stem width followed by each stage's output channels (``len(layers) + 1`` entries).
    classes : int, default 1000
    thumbnail : bool, default False
        Replace the stem by a single 3x3 convolution (for 32x32 inputs).

    Input ``(N, 3, H, W)`` float32; output ``(N, classes)``.

    Raises
    ------
    ValueError
        If ``channels`` does not have ``len(layers) + 1`` entries.
    """

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        _check_spec(type(self).__name__, layers, channels)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            _stem(self.features, channels[0], thumbnail)
            for i, num_blocks in enumerate(layers):
                self.features.add(_stage(block, num_blocks, channels[i + 1], 1 if i == 0 else 2,
                                         i + 1, channels[i]))
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV2(HybridBlock):
    """ResNet V2 (pre-activation): input BatchNorm without scale/shift, stem, four stages, BN-ReLU,
    global average pooling, Flatten, Dense. Parameters as for :class:`ResNetV1` (``block`` is
    :class:`BasicBlockV2` or :class:`BottleneckV2`)."""

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        _check_spec(type(self).__name__, layers, channels)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.BatchNorm(scale=False, center=False))
            _stem(self.features, channels[0], thumbnail)
            for i, num_blocks in enumerate(layers):
                self.features.add(_stage(block, num_blocks, channels[i + 1], 1 if i == 0 else 2,
                                         i + 1, channels[i]))
            self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.GlobalAvgPool2D(),
                              nn.Flatten())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (block kind, blocks per stage, stem width + stage widths)
resnet_spec = {18: ('basic', [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ('basic', [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ('bottleneck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ('bottleneck', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
               152: ('bottleneck', [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
_VERSIONS = {1: (ResNetV1, {'basic': BasicBlockV1, 'bottleneck': BottleneckV1}),
             2: (ResNetV2, {'basic': BasicBlockV2, 'bottleneck': BottleneckV2})}


def get_resnet(version, num_layers, pretrained=False, ctx=None, root=None, **kwargs):
    """Build ResNet ``version`` (1 or 2) with ``num_layers`` (18, 34, 50, 101, 152) layers.

    Parameters
    ----------
    version : int
    num_layers : int
    pretrained : bool, default False
        Load MXNet's pretrained file ``<root>/resnet<num_layers>_v<version>-<hash>.params``,
        already on disk (minigluon downloads nothing; see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    ctx : Context or list of Context, optional
        Where the pretrained parameters are loaded (``load_parameters``' ``ctx``); unused otherwise.
    root : str, optional
        MXNet's model cache folder (default ``$MXNET_HOME/models``, ``~`` expanded).
    **kwargs
        ``classes``, ``thumbnail``, ``prefix``, ``params``.

    Raises
    ------
    ValueError
        For an unknown version or depth.
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    if num_layers not in resnet_spec:
        raise ValueError('Invalid number of layers: %s. Options are %s'
                         % (num_layers, sorted(resnet_spec)))
    if version not in _VERSIONS:
        raise ValueError('Invalid resnet version: %s. Options are 1 and 2.' % (version,))
    kind, layers, channels = resnet_spec[num_layers]
    net_class, blocks = _VERSIONS[version]
    net = net_class(blocks[kind], layers, channels, **kwargs)
    if pretrained:
        net.load_parameters(get_model_file('resnet%d_v%d' % (num_layers, version), root), ctx=ctx)
    return net


def _constructor(version, depth):
    def build(**kwargs):
        return get_resnet(version, depth, **kwargs)
    build.__name__ = 'resnet%d_v%d' % (depth, version)
    build.__doc__ = ('ResNet-%d V%d (see :func:`get_resnet` for the arguments: classes, pretrained, '
                     'ctx, root, thumbnail).' % (depth, version))
    return build


resnet18_v1, resnet34_v1, resnet50_v1, resnet101_v1, resnet152_v1 = [
    _constructor(1, d) for d in (18, 34, 50, 101, 152)]
resnet18_v2, resnet34_v2, resnet50_v2, resnet101_v2, resnet152_v2 = [
    _constructor(2, d) for d in (18, 34, 50, 101, 152)]
