"""MobileNet V1 and V2 (MXNet 1.9.1 ``gluon.model_zoo.vision.mobilenet``).

V1: Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications" (arXiv:1704.04861): a 3x3/2 convolution then 13 depthwise-separable pairs
(depthwise 3x3 + pointwise 1x1, each followed by BatchNorm and ReLU).
V2: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (arXiv:1801.04381):
17 linear bottlenecks (1x1 expand, depthwise 3x3, 1x1 linear projection, ReLU6 = clip(x, 0, 6)).

Widths are multiplied by ``multiplier`` and truncated with ``int()``, as MXNet does. Parameter
names: ``mobilenet0_conv0_weight``... (V1, all layers directly under the net's prefix) and
``mobilenetv20_features_linearbottleneck3_conv1_weight``, ``mobilenetv20_output_pred_weight`` (V2).
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.gluon.model_zoo.model_store import get_model_file

__all__ = ['MobileNet', 'MobileNetV2', 'RELU6', 'LinearBottleneck', 'get_mobilenet', 'get_mobilenet_v2',
           'mobilenet1_0', 'mobilenet0_75', 'mobilenet0_5', 'mobilenet0_25',
           'mobilenet_v2_1_0', 'mobilenet_v2_0_75', 'mobilenet_v2_0_5', 'mobilenet_v2_0_25']


class RELU6(HybridBlock):
    """``min(max(x, 0), 6)`` as one ``clip`` node named ``relu6``."""

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name='relu6')


def _conv_bn(seq, channels, kernel=1, stride=1, pad=0, groups=1, active=True, relu6=False):
    """Append Conv2D (no bias) + BatchNorm (+ ReLU or ReLU6 when ``active``) to ``seq``."""
    seq.add(nn.Conv2D(channels, kernel, stride, pad, groups=groups, use_bias=False))
    seq.add(nn.BatchNorm(scale=True))
    if active:
        seq.add(RELU6() if relu6 else nn.Activation('relu'))


def _separable(seq, dw_channels, channels, stride):
    """Depthwise 3x3 (one group per channel) then pointwise 1x1, both with BN and ReLU."""
    _conv_bn(seq, dw_channels, kernel=3, stride=stride, pad=1, groups=dw_channels)
    _conv_bn(seq, channels)


class LinearBottleneck(HybridBlock):
    """Inverted residual: 1x1 expand by ``t`` (ReLU6), depthwise 3x3 (ReLU6), 1x1 linear projection.

    Parameters
    ----------
    in_channels : int
    channels : int
        Output channels.
    t : int
        Expansion factor.
    stride : int
        Stride of the depthwise convolution.

    The input is added to the output when ``stride == 1`` and ``in_channels == channels``.
    """

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        hidden = in_channels * t
        with self.name_scope():
            self.out = nn.HybridSequential()
            _conv_bn(self.out, hidden, relu6=True)
            _conv_bn(self.out, hidden, kernel=3, stride=stride, pad=1, groups=hidden, relu6=True)
            _conv_bn(self.out, channels, active=False)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


def _scaled(widths, multiplier):
    return [int(w * multiplier) for w in widths]


class MobileNet(HybridBlock):
    """MobileNet V1.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier applied to every layer.
    classes : int, default 1000

    Input ``(N, 3, H, W)`` float32 (224x224 in the paper; any size >= 32 works since the head is a
    global pool); output ``(N, classes)``.
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        dw_channels = _scaled([32, 64, 128, 128, 256, 256] + [512] * 6 + [1024], multiplier)
        channels = _scaled([64, 128, 128, 256, 256] + [512] * 6 + [1024, 1024], multiplier)
        strides = [1, 2, 1, 2, 1, 2] + [1] * 5 + [2, 1]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                _conv_bn(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1)
                for dw, ch, stride in zip(dw_channels, channels, strides):
                    _separable(self.features, dw, ch, stride)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNet V2.

    Parameters
    ----------
    multiplier : float, default 1.0
        Width multiplier; the last 1x1 convolution keeps 1280 channels unless ``multiplier > 1``.
    classes : int, default 1000

    The classifier is a 1x1 convolution without bias (``output_pred_weight`` of shape
    ``(classes, 1280, 1, 1)``) followed by Flatten. Output ``(N, classes)``.
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        in_widths = _scaled([32, 16, 24, 24, 32, 32, 32] + [64] * 4 + [96] * 3 + [160] * 3, multiplier)
        out_widths = _scaled([16, 24, 24, 32, 32, 32] + [64] * 4 + [96] * 3 + [160] * 3 + [320],
                             multiplier)
        expansions = [1] + [6] * 16
        strides = [1, 2, 1, 2, 1, 1, 2] + [1] * 6 + [2, 1, 1, 1]
        last = int(1280 * multiplier) if multiplier > 1.0 else 1280
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='features_')
            with self.features.name_scope():
                _conv_bn(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1, relu6=True)
                for cin, cout, t, stride in zip(in_widths, out_widths, expansions, strides):
                    self.features.add(LinearBottleneck(in_channels=cin, channels=cout, t=t,
                                                       stride=stride))
                _conv_bn(self.features, last, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix='output_')
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix='pred_'), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _suffix(multiplier):
    """MXNet's file-name spelling of a multiplier: 1.0, 0.75, 0.5, 0.25."""
    text = '%.2f' % multiplier
    return text[:-1] if text in ('1.00', '0.50') else text


def get_mobilenet(multiplier, pretrained=False, ctx=None, root=None, **kwargs):
    """MobileNet V1 of width ``multiplier`` (``classes``, ``prefix``, ``params`` in ``kwargs``).

    Raises
    ------
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        net.load_parameters(get_model_file('mobilenet' + _suffix(multiplier), root), ctx=ctx)
    return net


def get_mobilenet_v2(multiplier, pretrained=False, ctx=None, root=None, **kwargs):
    """MobileNet V2 of width ``multiplier``; arguments and errors as for :func:`get_mobilenet`."""
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        net.load_parameters(get_model_file('mobilenetv2_' + _suffix(multiplier), root), ctx=ctx)
    return net


def _constructor(getter, multiplier, name):
    def build(**kwargs):
        return getter(multiplier, **kwargs)
    build.__name__ = name
    build.__doc__ = ('%s with width multiplier %s (arguments: classes, pretrained, ctx, root).'
                     % ('MobileNet V2' if getter is get_mobilenet_v2 else 'MobileNet', multiplier))
    return build


mobilenet1_0 = _constructor(get_mobilenet, 1.0, 'mobilenet1_0')
mobilenet0_75 = _constructor(get_mobilenet, 0.75, 'mobilenet0_75')
mobilenet0_5 = _constructor(get_mobilenet, 0.5, 'mobilenet0_5')
mobilenet0_25 = _constructor(get_mobilenet, 0.25, 'mobilenet0_25')
mobilenet_v2_1_0 = _constructor(get_mobilenet_v2, 1.0, 'mobilenet_v2_1_0')
mobilenet_v2_0_75 = _constructor(get_mobilenet_v2, 0.75, 'mobilenet_v2_0_75')
mobilenet_v2_0_5 = _constructor(get_mobilenet_v2, 0.5, 'mobilenet_v2_0_5')
mobilenet_v2_0_25 = _constructor(get_mobilenet_v2, 0.25, 'mobilenet_v2_0_25')
