"""Convolution and pooling layers: Conv1D/2D/3D, Conv1D/2D/3DTranspose, Max/Avg/GlobalMax/GlobalAvg
Pool1D/2D/3D, ReflectionPad2D.

Arguments, parameter shapes, names (all convolutions are ``conv<n>_``, all poolings ``pool<n>_``)
and reprs follow ``mxnet.gluon.nn.conv_layers`` (MXNet 1.9.1). ``in_channels=0`` defers the weight's
input dimension to the first forward pass.
"""
import inspect
from numbers import Integral

from minigluon.block import HybridBlock
from minigluon.nn.activations import Activation

__all__ = ['Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose',
           'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D', 'AvgPool3D',
           'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D', 'GlobalAvgPool1D', 'GlobalAvgPool2D',
           'GlobalAvgPool3D', 'ReflectionPad2D']

_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _tuple(value, n, name):
    """An int becomes an n-tuple; a sequence must have n ints."""
    if isinstance(value, Integral):
        return (int(value),) * n
    value = tuple(value)
    if len(value) != n or not all(isinstance(v, Integral) for v in value):
        raise ValueError('%s must be a number or a list of %d ints, got %r' % (name, n, value))
    return tuple(int(v) for v in value)


def _pool_padding(padding, n):
    """A pooling layer's ``padding``: as :func:`_tuple`, or ``2 * n`` equal ints, the same
    padding on every side, which MXNet 1.9.1's layers pass on and its ``Pooling`` operator takes
    (``MaxPool2D(3, 1, (1, 1, 1, 1))``); kept as given, so that ``repr`` and an exported graph
    show MXNet's value. Longer pads that differ by side are refused here as by the operator."""
    if not isinstance(padding, Integral):
        value = tuple(padding)
        if (len(value) == 2 * n and len(set(value)) == 1
                and all(isinstance(v, Integral) for v in value)):
            return tuple(int(v) for v in value)
    return _tuple(padding, n, 'padding')


def _check_layout(layout, n, cls):
    if layout not in _LAYOUTS[n]:
        raise ValueError("%s: only supports %s layout for now, got %r"
                         % (cls, ' and '.join("'%s'" % lay for lay in _LAYOUTS[n]), layout))


class _Conv(HybridBlock):
    """Shared implementation of (transposed) convolutions over ``op_name``.

    Weight shape: ``(channels, in_channels/groups, *kernel)`` for ``Convolution`` (channels-first
    layouts) or ``(channels, *kernel, in_channels/groups)`` for channels-last ones; ``(in_channels,
    channels/groups, *kernel)`` for ``Deconvolution``. Bias: ``(channels,)``.
    """

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels=0,
                 activation=None, use_bias=True, weight_initializer=None, bias_initializer='zeros',
                 op_name='Convolution', adj=None, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        n = len(kernel_size)
        if groups < 1 or channels % groups or (in_channels and in_channels % groups):
            raise ValueError('%s: channels (%d) and in_channels (%d) must be multiples of groups (%d)'
                             % (type(self).__name__, channels, in_channels, groups))
        with self.name_scope():
            self._channels, self._in_channels = channels, in_channels
            self._op_name = op_name
            self._kwargs = {'kernel': kernel_size, 'stride': _tuple(strides, n, 'strides'),
                            'dilate': _tuple(dilation, n, 'dilation'), 'pad': _tuple(padding, n, 'padding'),
                            'num_filter': channels, 'num_group': groups, 'no_bias': not use_bias,
                            'layout': layout}
            if adj is not None:
                self._kwargs['adj'] = adj
            in_per_group = in_channels // groups
            if op_name == 'Convolution':
                wshape = ((channels, in_per_group) + kernel_size if layout.index('C') == 1
                          else (channels,) + kernel_size + (in_per_group,))
            else:
                wshape = (in_channels, channels // groups) + kernel_size
            self.weight = self.params.get('weight', shape=wshape, init=weight_initializer,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + '_') if activation is not None else None

    def _alias(self):
        return 'conv'

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        if bias is None:
            out = op(x, weight, name='fwd', **self._kwargs)
        else:
            out = op(x, weight, bias, name='fwd', **self._kwargs)
        if self.act is not None:
            out = self.act(out)
        return out

    def __repr__(self):
        kw = self._kwargs
        n = len(kw['kernel'])
        s = '{name}({mapping}, kernel_size={kernel}, stride={stride}'
        if kw['pad'] != (0,) * n:
            s += ', padding={pad}'
        if kw['dilate'] != (1,) * n:
            s += ', dilation={dilate}'
        # MXNet 1.9.1 never prints output_padding (its repr tests a misspelt attribute); nor do we
        if kw['num_group'] != 1:
            s += ', groups={num_group}'
        if self.bias is None:
            s += ', bias=False'
        if self.act:
            s += ', %s' % self.act
        s += ')'
        shape = self.weight.shape
        return s.format(name=type(self).__name__,
                        mapping='{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0]), **kw)


def _conv_signature(n, transposed):
    """MXNet 1.9.1's constructor signature of ConvND / ConvNDTranspose (what ``help()`` shows;
    ``__init__`` itself takes ``*args, **kwargs`` and sorts them in this order)."""
    ones, zeros = (1 if n == 1 else (1,) * n), (0 if n == 1 else (0,) * n)
    names = [('channels', inspect.Parameter.empty), ('kernel_size', inspect.Parameter.empty),
             ('strides', ones), ('padding', zeros)]
    names += [('output_padding', zeros)] if transposed else []
    names += [('dilation', ones), ('groups', 1), ('layout', _LAYOUTS[n][0]), ('activation', None),
              ('use_bias', True), ('weight_initializer', None), ('bias_initializer', 'zeros'),
              ('in_channels', 0)]
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter('self', kind)] +
                             [inspect.Parameter(k, kind, default=d) for k, d in names] +
                             [inspect.Parameter('kwargs', inspect.Parameter.VAR_KEYWORD)])


def _conv_doc(n, transposed, name):
    """The docstring of ConvND / ConvNDTranspose."""
    axes = {1: ['W'], 2: ['H', 'W'], 3: ['D', 'H', 'W']}[n]
    size = 'int or tuple of %d ints' % n if n > 1 else 'int'
    first, last = _LAYOUTS[n]
    if transposed:
        what = ('Transposed %d-D convolution layer (MXNet 1.9.1 ``gluon.nn.%s``): the gradient of '
                'a convolution\nwith respect to its data, ``activation(deconvolution(data, weight) '
                '+ bias)``; it up-samples\nwith ``strides`` > 1.' % (n, name))
        out = ('(x - 1) * strides - 2 * padding + dilation * (kernel_size - 1) + output_padding '
               '+ 1')
        weight = '(in_channels, channels / groups, %s)' % ', '.join(['k'] * n)
        extra = ('output_padding : %s, default 0\n'
                 '    Added to one side of each output spatial size (several input sizes give '
                 'the same\n    output size without it).\n' % size)
    else:
        what = ('%d-D convolution layer (MXNet 1.9.1 ``gluon.nn.%s``): '
                '``activation(convolution(data, weight)\n+ bias)``, a cross-correlation as in '
                'every framework.' % (n, name))
        out = 'floor((x + 2 * padding - dilation * (kernel_size - 1) - 1) / strides) + 1'
        weight = '(channels, in_channels / groups, %s)' % ', '.join(['k'] * n)
        extra = ''
    return (
        what + '\n\n'
        'Parameters\n----------\n'
        'channels : int\n'
        '    The number of output channels (filters). The input channels are found at the first\n'
        '    call (or given as ``in_channels``): PyTorch\'s ``%s(in, out, k)`` is\n'
        '    ``%s(out, k)`` here.\n'
        'kernel_size : %s\n'
        'strides : %s, default 1\n'
        'padding : %s, default 0\n'
        '    Zeros added on both sides of each spatial axis.\n'
        '%s'
        'dilation : %s, default 1\n'
        'groups : int, default 1\n'
        '    Channel groups convolved separately; ``channels`` and ``in_channels`` must be\n'
        '    multiples of it (``groups`` = ``in_channels``: a depthwise convolution).\n'
        'layout : {%r, %r}, default %r\n'
        '    Where the channel axis is: %s (batch, channels, spatial axes) or %s.\n'
        'activation : str, optional\n'
        '    Applied to the output, as ``nn.Activation(activation)`` (``\'relu\'``...).\n'
        'use_bias : bool, default True\n'
        'weight_initializer, bias_initializer : Initializer or str, optional\n'
        '    The weight\'s default is the initializer given to ``initialize()``; the bias\'s\n'
        '    ``\'zeros\'``.\n'
        'in_channels : int, default 0\n'
        '    The input channels; 0 finds them at the first call.\n\n'
        'Shapes (layout %s): input ``(N, in_channels, %s)``; output ``(N, channels, %s)``, each\n'
        'spatial size ``x`` becoming ``%s``;\n'
        '``weight`` ``%s`` (``k``: the kernel sizes); ``bias`` ``(channels,)``.\n'
        % ('ConvTranspose%dd' % n if transposed else 'Conv%dd' % n, name, size, size, size, extra,
           size, first, last, first, first, last, first, ', '.join(axes),
           ', '.join(a + "'" for a in axes), out, weight))


def _conv_class(n, transposed):
    """Build ConvND / ConvNDTranspose with MXNet's signature for n spatial dimensions."""
    default_layout = _LAYOUTS[n][0]
    ones, zeros = (1 if n == 1 else (1,) * n), (0 if n == 1 else (0,) * n)

    def __init__(self, channels, kernel_size, strides=ones, padding=zeros, *args, **kwargs):
        if transposed:
            names = ('output_padding', 'dilation', 'groups', 'layout', 'activation', 'use_bias',
                     'weight_initializer', 'bias_initializer', 'in_channels')
        else:
            names = ('dilation', 'groups', 'layout', 'activation', 'use_bias', 'weight_initializer',
                     'bias_initializer', 'in_channels')
        if len(args) > len(names):
            raise TypeError('%s takes at most %d positional arguments' % (type(self).__name__, 4 + len(names)))
        opts = dict(zip(names, args))
        for key in opts:
            if key in kwargs:
                raise TypeError('%s got multiple values for argument %r' % (type(self).__name__, key))
        opts.update(kwargs)
        layout = opts.pop('layout', default_layout)
        _check_layout(layout, n, type(self).__name__)
        kernel_size = _tuple(kernel_size, n, 'kernel_size')
        conv_kw = dict(dilation=opts.pop('dilation', ones), groups=opts.pop('groups', 1), layout=layout,
                       in_channels=opts.pop('in_channels', 0), activation=opts.pop('activation', None),
                       use_bias=opts.pop('use_bias', True),
                       weight_initializer=opts.pop('weight_initializer', None),
                       bias_initializer=opts.pop('bias_initializer', 'zeros'))
        if transposed:
            self.outpad = _tuple(opts.pop('output_padding', zeros), n, 'output_padding')
            conv_kw.update(op_name='Deconvolution', adj=self.outpad)
        _Conv.__init__(self, channels, kernel_size, strides, padding, **conv_kw, **opts)

    __init__.__signature__ = _conv_signature(n, transposed)
    name = 'Conv%dD%s' % (n, 'Transpose' if transposed else '')
    doc = _conv_doc(n, transposed, name)
    return type(name, (_Conv,), {'__init__': __init__, '__doc__': doc, '__module__': __name__})


Conv1D, Conv2D, Conv3D = (_conv_class(n, False) for n in (1, 2, 3))
Conv1DTranspose, Conv2DTranspose, Conv3DTranspose = (_conv_class(n, True) for n in (1, 2, 3))


class _Pooling(HybridBlock):
    """Shared implementation of pooling layers over the ``Pooling`` operator."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type, layout,
                 count_include_pad=None, **kwargs):
        super().__init__(**kwargs)
        n = len(pool_size)
        if strides is None:
            strides = pool_size
        self._kwargs = {'kernel': pool_size, 'stride': _tuple(strides, n, 'strides'),
                        'pad': _pool_padding(padding, n), 'global_pool': global_pool,
                        'pool_type': pool_type, 'layout': layout,
                        'pooling_convention': 'full' if ceil_mode else 'valid'}
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._kwargs)

    def __repr__(self):
        s = ('{name}(size={kernel}, stride={stride}, padding={pad}, ceil_mode={ceil_mode}, '
             'global_pool={global_pool}, pool_type={pool_type}, layout={layout})')
        return s.format(name=type(self).__name__, ceil_mode=self._kwargs['pooling_convention'] == 'full',
                        **self._kwargs)


# MXNet 1.9.1 orders the positional parameters of its pooling layers differently per class:
# ``layout`` before ``ceil_mode`` in MaxPool1D, MaxPool2D and AvgPool1D, after it in the others.
_LAYOUT_FIRST = ((1, 'max'), (2, 'max'), (1, 'avg'))


def _pool_signature(n, pool_type):
    order = ['layout', 'ceil_mode'] if (n, pool_type) in _LAYOUT_FIRST else ['ceil_mode', 'layout']
    names = ['pool_size', 'strides', 'padding'] + order
    defaults = {'pool_size': 2 if n == 1 else (2,) * n, 'strides': None, 'padding': 0,
                'layout': _LAYOUTS[n][0], 'ceil_mode': False, 'count_include_pad': True}
    if pool_type == 'avg':
        names.append('count_include_pad')
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter('self', kind)]
    params += [inspect.Parameter(k, kind, default=defaults[k]) for k in names]
    params.append(inspect.Parameter('kwargs', inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _pool_class(n, pool_type):
    signature = _pool_signature(n, pool_type)

    def __init__(self, *args, **kwargs):
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as err:
            raise TypeError('%s%s: %s' % (type(self).__name__, signature, err)) from None
        bound.apply_defaults()
        a = dict(bound.arguments)
        _check_layout(a['layout'], n, type(self).__name__)
        pool_size = _tuple(a['pool_size'], n, 'pool_size')
        _Pooling.__init__(self, pool_size, a['strides'], a['padding'], a['ceil_mode'], False,
                          pool_type, a['layout'], a.get('count_include_pad'), **a['kwargs'])
    __init__.__signature__ = signature

    name = '%sPool%dD' % ('Max' if pool_type == 'max' else 'Avg', n)
    return type(name, (_Pooling,), {'__init__': __init__, '__doc__': _pool_doc(n, pool_type, name),
                                    '__module__': __name__})


def _pool_doc(n, pool_type, name):
    """The docstring of MaxPoolND / AvgPoolND."""
    axes = {1: ['W'], 2: ['H', 'W'], 3: ['D', 'H', 'W']}[n]
    size = 'int or tuple of %d ints' % n if n > 1 else 'int'
    first, last = _LAYOUTS[n]
    what = 'maximum' if pool_type == 'max' else 'mean'
    avg = ('count_include_pad : bool, default True\n'
           "    Whether the padding's zeros count in each window's divisor (as in PyTorch's\n"
           '    default too).\n') if pool_type == 'avg' else ''
    return (
        '%d-D %s pooling layer (MXNet 1.9.1 ``gluon.nn.%s``): the %s of each window, per channel.\n\n'
        'Parameters\n----------\n'
        'pool_size : %s, default %s\n'
        '    The window size.\n'
        'strides : %s, optional\n'
        '    The step between windows; None (the default) means ``pool_size``, as PyTorch\'s\n'
        '    ``stride=None``.\n'
        'padding : %s, default 0\n'
        '    Added on both sides of each spatial axis (%s).\n'
        'layout : {%r, %r}, default %r\n'
        'ceil_mode : bool, default False\n'
        '    Round the output size up instead of down (MXNet\'s ``pooling_convention=\'full\'``).\n'
        '%s\n'
        'Shapes (layout %s): input ``(N, C, %s)``; output ``(N, C, %s)``, each spatial size ``x``\n'
        'becoming ``floor((x + 2 * padding - pool_size) / strides) + 1`` (``ceil`` with '
        '``ceil_mode``).\n'
        % (n, 'max' if pool_type == 'max' else 'average', name, what, size,
           2 if n == 1 else (2,) * n, size, size,
           'padding that never wins a maximum' if pool_type == 'max' else 'zeros', first, last,
           first, avg, first, ', '.join(axes), ', '.join(a + "'" for a in axes)))


def _global_pool_class(n, pool_type):
    default_layout = _LAYOUTS[n][0]

    def __init__(self, layout=default_layout, **kwargs):
        _check_layout(layout, n, type(self).__name__)
        _Pooling.__init__(self, (1,) * n, None, 0, True, True, pool_type, layout, **kwargs)

    name = 'Global%sPool%dD' % ('Max' if pool_type == 'max' else 'Avg', n)
    doc = 'Global %s pooling over the %d spatial axes of a %s input (output size 1 on each).' % (
        pool_type, n, default_layout)
    return type(name, (_Pooling,), {'__init__': __init__, '__doc__': doc, '__module__': __name__})


MaxPool1D, MaxPool2D, MaxPool3D = (_pool_class(n, 'max') for n in (1, 2, 3))
AvgPool1D, AvgPool2D, AvgPool3D = (_pool_class(n, 'avg') for n in (1, 2, 3))
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (_global_pool_class(n, 'max') for n in (1, 2, 3))
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (_global_pool_class(n, 'avg') for n in (1, 2, 3))


class ReflectionPad2D(HybridBlock):
    """Pad the two spatial axes of ``(N, C, H, W)`` by reflection: ``padding`` on every side, or
    an 8-tuple ``pad_width`` as for the ``pad`` operator."""

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, Integral):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        padding = tuple(padding)
        if len(padding) != 8:
            raise ValueError('ReflectionPad2D: padding must be an int or 8 ints, got %r' % (padding,))
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)
