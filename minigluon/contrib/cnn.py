"""``gluon.contrib.cnn``: the deformable convolution blocks of MXNet 1.9.1
(``mxnet.gluon.contrib.cnn.DeformableConvolution`` and ``ModulatedDeformableConvolution``).

Each block holds two convolutions: an ordinary ``Convolution`` that computes the sampling offsets
(and, for the modulated block, the masks) from the input, and the deformable convolution that
uses them (:mod:`minigluon.ops.deformable_conv`). The offset convolution starts at zero
(``offset_weight_initializer`` and ``offset_bias_initializer`` default to ``'zeros'``), so a
fresh block computes an ordinary convolution (the modulated one with every mask at
``2 * sigmoid(0) = 1``) and learns to move its taps. Arguments, parameter names and shapes,
initialisers, the exported graph and the reprs are MXNet's; 2-D and the NCHW layout only, as the
MXNet operators.
"""
from numbers import Integral

from minigluon.block import HybridBlock
from minigluon.nn.activations import Activation

__all__ = ['DeformableConvolution', 'ModulatedDeformableConvolution']


def _pair(value, name):
    """An int becomes a pair; a sequence must hold two ints."""
    if isinstance(value, Integral):
        return (int(value),) * 2
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, Integral) for v in value):
        raise ValueError('%s must be an int or a pair of ints (height, width), got %r'
                         % (name, value))
    return tuple(int(v) for v in value)


class _DeformableBlock(HybridBlock):
    """The parameters and keyword arguments both blocks share; see the subclasses."""

    _offsets_per_tap = 2          # offset-convolution channels per tap and deformable group

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups,
                 num_deformable_group, layout, use_bias, in_channels, activation,
                 weight_initializer, bias_initializer, offset_weight_initializer,
                 offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params):
        super().__init__(prefix=prefix, params=params)
        if layout != 'NCHW':
            raise ValueError("%s: layout must be 'NCHW' (MXNet 1.9.1's deformable convolution "
                             "operators take no other), got %r" % (type(self).__name__, layout))
        kernel = _pair(kernel_size, 'kernel_size')
        geometry = {'kernel': kernel, 'stride': _pair(strides, 'strides'),
                    'dilate': _pair(dilation, 'dilation'), 'pad': _pair(padding, 'padding')}
        offset_channels = self._offsets_per_tap * kernel[0] * kernel[1] * num_deformable_group
        if groups < 1 or channels % groups or offset_channels % groups or in_channels % groups:
            raise ValueError('%s: channels (%d), in_channels (%d) and the %d offset channels '
                             'must be multiples of groups (%d)' % (type(self).__name__, channels,
                                                                   in_channels, offset_channels,
                                                                   groups))
        self._channels, self._in_channels, self._op_name = channels, in_channels, op_name
        self._kwargs_offset = dict(geometry, num_filter=offset_channels, num_group=groups,
                                   no_bias=not offset_use_bias, layout=layout)
        self._kwargs_deformable_conv = dict(geometry, num_filter=channels, num_group=groups,
                                            num_deformable_group=num_deformable_group,
                                            no_bias=not use_bias, layout=layout)
        if adj:
            self._kwargs_offset['adj'] = adj
            self._kwargs_deformable_conv['adj'] = adj
        self._init = (weight_initializer, bias_initializer, offset_weight_initializer,
                      offset_bias_initializer)

    def _offset_params(self):
        """``offset_weight`` ``(offset channels, in_channels / groups, kh, kw)`` (0: deferred)
        and, with ``offset_use_bias``, ``offset_bias``."""
        kw = self._kwargs_offset
        shape = (kw['num_filter'], self._in_channels // kw['num_group']) + kw['kernel']
        self.offset_weight = self.params.get('offset_weight', shape=shape, init=self._init[2],
                                             allow_deferred_init=True)
        self.offset_bias = None if kw['no_bias'] else self.params.get(
            'offset_bias', shape=(kw['num_filter'],), init=self._init[3],
            allow_deferred_init=True)

    def _conv_params(self):
        """``deformable_conv_weight`` ``[channels, 0, kh, kw]`` (its input size always found on
        the first call, as in MXNet, which writes it as a list) and, with ``use_bias``,
        ``deformable_conv_bias``."""
        kernel = self._kwargs_deformable_conv['kernel']
        self.deformable_conv_weight = self.params.get(
            'deformable_conv_weight', shape=[self._channels, 0, kernel[0], kernel[1]],
            init=self._init[0], allow_deferred_init=True)
        self.deformable_conv_bias = None if self._kwargs_deformable_conv['no_bias'] else \
            self.params.get('deformable_conv_bias', shape=(self._channels,), init=self._init[1],
                            allow_deferred_init=True)

    def _activation(self, activation):
        self.act = Activation(activation, prefix=activation + '_') if activation else None

    def _offsets(self, F, x, offset_weight, offset_bias):
        extra = () if offset_bias is None else (offset_bias,)
        return F.Convolution(x, offset_weight, *extra, cudnn_off=True, **self._kwargs_offset)

    def _finish(self, out):
        return self.act(out) if self.act else out


class DeformableConvolution(_DeformableBlock):
    """2-D deformable convolution v1 (Dai et al., 2017): a convolution whose taps are moved by
    offsets that a second convolution computes from the same input.

    Parameters (MXNet 1.9.1's): ``channels``; ``kernel_size``, ``strides``, ``padding``,
    ``dilation`` (an int or a pair; defaults ``(1, 1)``, ``(1, 1)``, ``(0, 0)``, ``(1, 1)``);
    ``groups``; ``num_deformable_group``; ``layout`` (``'NCHW'`` only); ``use_bias``;
    ``in_channels`` (0: found on the first call); ``activation``; ``weight_initializer``,
    ``bias_initializer`` (``'zeros'``) for the deformable convolution;
    ``offset_weight_initializer``, ``offset_bias_initializer`` (both ``'zeros'``) and
    ``offset_use_bias`` for the offset convolution, which has ``2 * kh * kw *
    num_deformable_group`` output channels and the same kernel, stride, padding, dilation and
    groups. ``op_name`` is kept, unused, as in MXNet.

    Parameters made: ``offset_weight``, ``offset_bias``, ``deformable_conv_weight``
    ``(channels, in_channels / groups, kh, kw)``, ``deformable_conv_bias``; prefix
    ``deformable_conv<n>_``.

    Input ``(N, in_channels, H, W)``; output ``(N, channels, Ho, Wo)`` with Convolution's
    ``Ho, Wo``.
    """

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, num_deformable_group=1, layout='NCHW', use_bias=True,
                 in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True,
                 op_name='DeformableConvolution', adj=None, prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         num_deformable_group, layout, use_bias, in_channels, activation,
                         weight_initializer, bias_initializer, offset_weight_initializer,
                         offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params)
        with self.name_scope():
            self._offset_params()
            self._conv_params()
            self._activation(activation)

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        offset = self._offsets(F, x, offset_weight, offset_bias)
        extra = {} if deformable_conv_bias is None else {'bias': deformable_conv_bias}
        out = F.contrib.DeformableConvolution(data=x, offset=offset, weight=deformable_conv_weight,
                                              name='fwd', **extra, **self._kwargs_deformable_conv)
        return self._finish(out)

    def _alias(self):
        return 'deformable_conv'

    def __repr__(self):
        kw = self._kwargs_deformable_conv
        s = '{name}({mapping}, kernel_size={kernel}, stride={stride}'
        if kw['pad'] != (0, 0):
            s += ', padding={pad}'
        if kw['dilate'] != (1, 1):
            s += ', dilation={dilate}'
        if kw['num_group'] != 1:
            s += ', groups={num_group}'
        if self.deformable_conv_bias is None:
            s += ', bias=False'
        if self.act:
            s += ', %s' % self.act
        s += ')'
        shape = self.deformable_conv_weight.shape
        return s.format(name=type(self).__name__,
                        mapping='{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0]),
                        **kw)


class ModulatedDeformableConvolution(_DeformableBlock):
    """2-D modulated deformable convolution, DCN v2 (Zhu et al., 2019): as
    :class:`DeformableConvolution`, and each moved tap's value is also scaled by a mask in
    ``(0, 2)``.

    The offset convolution has ``3 * kh * kw * num_deformable_group`` output channels: the first
    two thirds are the offsets, the rest go through ``2 * sigmoid`` to give the masks (so the
    zero-initialised block starts with masks of 1). Same parameters as
    :class:`DeformableConvolution` (``op_name`` defaults to
    ``'ModulatedDeformableConvolution'``); the parameters are made in MXNet's order:
    ``deformable_conv_weight``, ``deformable_conv_bias``, ``offset_weight``, ``offset_bias``;
    prefix ``modulated_deformable_conv<n>_``. Its repr is the generic block one, as in MXNet
    1.9.1 (which gives this block no repr of its own).
    """

    _offsets_per_tap = 3

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, num_deformable_group=1, layout='NCHW', use_bias=True,
                 in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True,
                 op_name='ModulatedDeformableConvolution', adj=None, prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         num_deformable_group, layout, use_bias, in_channels, activation,
                         weight_initializer, bias_initializer, offset_weight_initializer,
                         offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params)
        kernel = self._kwargs_offset['kernel']
        self.offset_split_index = num_deformable_group * 2 * kernel[0] * kernel[1]
        with self.name_scope():
            self._conv_params()
            self._offset_params()
            self._activation(activation)

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        both = self._offsets(F, x, offset_weight, offset_bias)
        offset = F.slice_axis(both, axis=1, begin=0, end=self.offset_split_index)
        mask = F.slice_axis(both, axis=1, begin=self.offset_split_index, end=None)
        mask = F.sigmoid(mask) * 2
        extra = {} if deformable_conv_bias is None else {'bias': deformable_conv_bias}
        out = F.contrib.ModulatedDeformableConvolution(
            data=x, offset=offset, mask=mask, weight=deformable_conv_weight, name='fwd', **extra,
            **self._kwargs_deformable_conv)
        return self._finish(out)

    def _alias(self):
        return 'modulated_deformable_conv'
