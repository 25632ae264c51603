"""Convolutional recurrent cells of ``gluon.contrib.rnn`` (MXNet 1.9.1 ``conv_rnn_cell.py``).

``Conv{1,2,3}D{RNN,LSTM,GRU}Cell`` replace the matrix products of the plain cells by convolutions
(ConvLSTM: Shi et al. 2015, https://arxiv.org/abs/1506.04214): ``i2h = conv(x, W_i2h)`` with the
given kernel, padding and dilation, ``h2h = conv(h, W_h2h)`` with an odd kernel and the padding
that keeps the state's spatial size. The gate maths is that of RNNCell / LSTMCell ([i, f, c, o])
/ GRUCell ([r, z, o]) with the gates stacked on the channel axis. Parameters:
``i2h_weight (G*C_h, C_in, *i2h_kernel)``, ``h2h_weight (G*C_h, C_h, *h2h_kernel)``,
``i2h_bias``, ``h2h_bias (G*C_h,)`` (channel-last layouts put ``C`` last in the weights, as MXNet).

minigluon's Convolution (like MXNet's CPU one) runs channel-first layouts only: channel-last cells
get MXNet's parameter and state shapes but a step raises NotImplementedError.
"""
from numbers import Integral

from minigluon.base import MXNetValueError, ValueAssertionError
from minigluon.ndarray import NDArray
from minigluon.rnn.rnn_cell import HybridRecurrentCell, check_step_states

__all__ = ['Conv1DRNNCell', 'Conv2DRNNCell', 'Conv3DRNNCell',
           'Conv1DLSTMCell', 'Conv2DLSTMCell', 'Conv3DLSTMCell',
           'Conv1DGRUCell', 'Conv2DGRUCell', 'Conv3DGRUCell']


_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _conv_out_size(dimensions, kernels, paddings, dilations):
    """Spatial output size of a stride-1 convolution (0 stays 0: unknown)."""
    return tuple(x + 2 * p - d * (k - 1) if x else 0
                 for x, k, p, d in zip(dimensions, kernels, paddings, dilations))


class _BaseConvRNNCell(HybridRecurrentCell):
    """Shared parameters, shapes, checks and the two convolutions of the convolutional cells.

    Subclasses set ``_gate_names`` (one per gate) and ``_nstates`` and define ``_gates``.
    """

    _gate_names = ('',)
    _nstates = 1

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
                 h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, dims, conv_layout, activation, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        name = type(self).__name__
        if conv_layout not in _LAYOUTS[dims]:
            raise ValueError('%s: conv_layout must be one of %s, got %r'
                             % (name, ' or '.join(repr(v) for v in _LAYOUTS[dims]), conv_layout))
        try:
            input_shape = tuple(int(v) for v in input_shape)
        except (TypeError, ValueError):
            input_shape = None
        if input_shape is None or len(input_shape) != dims + 1:
            raise ValueError('%s: input_shape must be the %d sizes of one step without the batch '
                             'axis, in the order of %r without N, got %r'
                             % (name, dims + 1, conv_layout, input_shape))
        if not isinstance(hidden_channels, Integral) or hidden_channels <= 0:
            raise ValueError('%s: hidden_channels must be a positive int, got %r'
                             % (name, hidden_channels))
        self._hidden_channels = hidden_channels
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        self._i2h_kernel = self._spec('i2h_kernel', i2h_kernel, dims, 1)
        self._h2h_kernel = self._spec('h2h_kernel', h2h_kernel, dims, 1)
        self._i2h_pad = self._spec('i2h_pad', i2h_pad, dims, 0)
        self._i2h_dilate = self._spec('i2h_dilate', i2h_dilate, dims, 1)
        self._h2h_dilate = self._spec('h2h_dilate', h2h_dilate, dims, 1)
        self._stride = (1,) * dims
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise ValueAssertionError('%s: h2h_kernel must be odd (the state keeps its size), got %s'
                             % (name, h2h_kernel))
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate, self._h2h_kernel))
        first = conv_layout.find('C') == 1
        self._channel_axis = 1 if first else dims + 1
        self._in_channels = input_shape[0] if first else input_shape[-1]
        spatial = input_shape[1:] if first else input_shape[:-1]
        out = _conv_out_size(spatial, self._i2h_kernel, self._i2h_pad, self._i2h_dilate)
        if any(v <= 0 for v, x in zip(out, spatial) if x):
            raise ValueError('%s: i2h_kernel %s (dilate %s, pad %s) is larger than the input %s'
                             % (name, self._i2h_kernel, self._i2h_dilate, self._i2h_pad, spatial))
        total = hidden_channels * len(self._gate_names)
        if first:
            i2h_shape = (total, self._in_channels) + self._i2h_kernel
            h2h_shape = (total, hidden_channels) + self._h2h_kernel
            self._state_shape = (hidden_channels,) + out
        else:
            i2h_shape = (total,) + self._i2h_kernel + (self._in_channels,)
            h2h_shape = (total,) + self._h2h_kernel + (hidden_channels,)
            self._state_shape = out + (hidden_channels,)
        self.i2h_weight = self.params.get('i2h_weight', shape=i2h_shape,
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=h2h_shape,
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(total,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(total,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _spec(self, arg, value, dims, minimum):
        """An int or a tuple of ``dims`` ints (each >= minimum) as a tuple; else a
        ValueAssertionError (a tuple of another length: MXNet 1.9.1 asserts) or ValueError."""
        if isinstance(value, Integral) and not isinstance(value, bool):
            value = (int(value),) * dims
        elif (isinstance(value, (tuple, list)) and len(value) == dims
              and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value)):
            value = tuple(int(v) for v in value)
        else:
            raise ValueAssertionError('%s: for %dD convolution %s must be an int or a tuple of '
                                      '%d ints, got %r' % (type(self).__name__, dims, arg, dims,
                                                           value))
        if any(v < minimum for v in value):
            raise ValueError('%s: %s must be >= %d, got %r'
                             % (type(self).__name__, arg, minimum, value))
        return value

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size,) + self._state_shape, '__layout__': self._conv_layout}
                for _ in range(self._nstates)]

    def __repr__(self):
        shape = self.i2h_weight.shape
        in_channels = shape[1 if self._channel_axis == 1 else -1]
        act = self._activation if isinstance(self._activation, str) else repr(self._activation)
        return '%s(%s -> %s, %s, %s)' % (type(self).__name__, in_channels or None, shape[0], act,
                                         self._conv_layout)

    def forward(self, inputs, states):
        """One step; checks the step input against ``input_shape`` and the states' shapes.

        Raises
        ------
        TypeError, MXNetValueError
            When the input is not ``(N,) + input_shape`` or the states do not match
            ``state_info`` (MXNet 1.9.1 fails in the convolution: an ``MXNetError``; but an
            input whose i2h convolution broadcasts against the state's h2h one, e.g. one of a
            larger width for a state of width 1, runs there on the wrong shapes).
        """
        if isinstance(inputs, NDArray) and tuple(inputs.shape[1:]) != self._input_shape:
            raise MXNetValueError('%s: the step input must have shape (batch,) + input_shape = '
                                  '(N,) + %s, got %s' % (type(self).__name__, self._input_shape,
                                                         inputs.shape))
        check_step_states(self, inputs, states)
        return super().forward(inputs, states)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        num = self._hidden_channels * len(self._gate_names)
        i2h = F.Convolution(data=inputs, weight=i2h_weight, bias=i2h_bias, num_filter=num,
                            kernel=self._i2h_kernel, stride=self._stride, pad=self._i2h_pad,
                            dilate=self._i2h_dilate, layout=self._conv_layout, name=prefix + 'i2h')
        h2h = F.Convolution(data=states[0], weight=h2h_weight, bias=h2h_bias, num_filter=num,
                            kernel=self._h2h_kernel, dilate=self._h2h_dilate, pad=self._h2h_pad,
                            stride=self._stride, layout=self._conv_layout, name=prefix + 'h2h')
        return self._gates(F, i2h, h2h, states, prefix)

    def _gates(self, F, i2h, h2h, states, prefix):
        """The cell's maths on the two convolutions: ``(output, new_states)``."""
        raise NotImplementedError


class _ConvRNNCell(_BaseConvRNNCell):
    """``h_t = act(W_i * x_t + b_i + R * h_{t-1} + b_h)``."""

    def _alias(self):
        return 'conv_rnn'

    def _gates(self, F, i2h, h2h, states, prefix):
        output = self._get_activation(F, i2h + h2h, self._activation, name=prefix + 'out')
        return output, [output]


class _ConvLSTMCell(_BaseConvRNNCell):
    """ConvLSTM: gates ``[i, f, c, o]`` on the channel axis; states ``[h, c]``."""

    _gate_names = ('_i', '_f', '_c', '_o')
    _nstates = 2

    def _alias(self):
        return 'conv_lstm'

    def _gates(self, F, i2h, h2h, states, prefix):
        gates = F.SliceChannel(i2h + h2h, num_outputs=4, axis=self._channel_axis,
                               name=prefix + 'slice')
        in_gate = F.Activation(gates[0], act_type='sigmoid', name=prefix + 'i')
        forget_gate = F.Activation(gates[1], act_type='sigmoid', name=prefix + 'f')
        in_transform = self._get_activation(F, gates[2], self._activation, name=prefix + 'c')
        out_gate = F.Activation(gates[3], act_type='sigmoid', name=prefix + 'o')
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform,
                                name=prefix + 'state')
        next_h = F.elemwise_mul(out_gate, self._get_activation(F, next_c, self._activation),
                                name=prefix + 'out')
        return next_h, [next_h, next_c]


class _ConvGRUCell(_BaseConvRNNCell):
    """ConvGRU (cuDNN variant, reset applied to the h2h term): gates ``[r, z, o]``."""

    _gate_names = ('_r', '_z', '_o')

    def _alias(self):
        return 'conv_gru'

    def _gates(self, F, i2h, h2h, states, prefix):
        i2h_r, i2h_z, i2h = F.SliceChannel(i2h, num_outputs=3, axis=self._channel_axis,
                                           name=prefix + 'i2h_slice')
        h2h_r, h2h_z, h2h = F.SliceChannel(h2h, num_outputs=3, axis=self._channel_axis,
                                           name=prefix + 'h2h_slice')
        reset_gate = F.Activation(i2h_r + h2h_r, act_type='sigmoid', name=prefix + 'r_act')
        update_gate = F.Activation(i2h_z + h2h_z, act_type='sigmoid', name=prefix + 'z_act')
        candidate = self._get_activation(F, i2h + reset_gate * h2h, self._activation,
                                         name=prefix + 'h_act')
        next_h = F.elemwise_add((1. - update_gate) * candidate, update_gate * states[0],
                                name=prefix + 'out')
        return next_h, [next_h]


_DOC = """{dims}D convolutional {kind} cell (MXNet 1.9.1 ``gluon.contrib.rnn.{cls}``).

    {math}

    Parameters
    ----------
    input_shape : tuple of {n} ints
        One step's input without the batch axis, in ``conv_layout`` order (e.g. ``{example}``).
    hidden_channels : int
        Channels of the state(s) ``C_h``.
    i2h_kernel : int or tuple of {dims} ints
    h2h_kernel : int or tuple of {dims} odd ints
    i2h_pad : int or tuple, default {zeros}
    i2h_dilate, h2h_dilate : int or tuple, default {ones}
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    conv_layout : {{{layouts}}}, default {layout!r}
        Channel-last layouts build but cannot run (Convolution is channel-first only).
    activation : str or Block, default 'tanh'
    prefix : str, default '{alias}<n>_'
    params : ParameterDict, optional

    Inputs ``(N,) + input_shape`` and ``{nstates}`` state(s) of ``state_info`` shape
    ``(N, C_h, *out)`` (``out`` = the i2h convolution's output size), in the parameters' float
    dtype (float32 unless cast); outputs ``h_t`` and the new states, same dtype.

    Raises
    ------
    ValueError
        At construction for a bad ``conv_layout``, ``input_shape``, kernel, pad or dilation (an
        even ``h2h_kernel`` or a spec of the wrong length is also an ``AssertionError``, as MXNet
        1.9.1 asserts); at a step for inputs or states of the wrong shape (also an
        ``MXNetError``, as MXNet's convolution fails).
    """

_MATH = {'RNN': 'h_t = act(W_i * x_t + b_i + R * h_{t-1} + b_h)',
         'LSTM': 'c_t = f * c_{t-1} + i * act(g), h_t = o * act(c_t), [i, f, g, o] = gates',
         'GRU': 'h_t = (1 - z) * act(W_n * x_t + r * (R_n * h_{t-1})) + z * h_{t-1}'}


def _make(dims, kind, base):
    layout = _LAYOUTS[dims][0]
    zeros, ones = (0,) * dims, (1,) * dims

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad=zeros,
                 i2h_dilate=ones, h2h_dilate=ones, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', conv_layout=layout, activation='tanh',
                 prefix=None, params=None):
        base.__init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                      i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                      i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout, activation,
                      prefix=prefix, params=params)

    name = 'Conv%dD%sCell' % (dims, kind)
    doc = _DOC.format(dims=dims, kind=kind, cls=name, math=_MATH[kind], n=dims + 1,
                      example=str(('C',) + tuple('DHW'[3 - dims:])).replace("'", ''),
                      zeros=zeros, ones=ones, layouts=', '.join(_LAYOUTS[dims]), layout=layout,
                      alias=base._alias(None), nstates=base._nstates)
    return type(name, (base,), {'__init__': __init__, '__doc__': doc, '__module__': __name__})


Conv1DRNNCell = _make(1, 'RNN', _ConvRNNCell)
Conv2DRNNCell = _make(2, 'RNN', _ConvRNNCell)
Conv3DRNNCell = _make(3, 'RNN', _ConvRNNCell)
Conv1DLSTMCell = _make(1, 'LSTM', _ConvLSTMCell)
Conv2DLSTMCell = _make(2, 'LSTM', _ConvLSTMCell)
Conv3DLSTMCell = _make(3, 'LSTM', _ConvLSTMCell)
Conv1DGRUCell = _make(1, 'GRU', _ConvGRUCell)
Conv2DGRUCell = _make(2, 'GRU', _ConvGRUCell)
Conv3DGRUCell = _make(3, 'GRU', _ConvGRUCell)
