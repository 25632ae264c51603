"""Fused recurrent layers ``RNN``, ``LSTM`` and ``GRU`` (``mxnet.gluon.rnn``, MXNet 1.9.1).

Each layer owns per-layer, per-direction Parameters named ``l0_i2h_weight``, ``l0_h2h_weight``,
``l0_i2h_bias``, ``l0_h2h_bias`` (``r0_...`` for the reverse direction), flattens and joins them with
``_rnn_param_concat`` in the fused ``RNN`` operator's layout, and calls ``RNN``. Hybridized, the
exported graph is MXNet's: ``Reshape`` per parameter, ``_rnn_param_concat``, ``RNN`` (plus
``SwapAxis`` around it for layout ``'NTC'``). ``save_parameters`` writes MXNet's legacy keys
``_unfused.<layer>.<l|r>_cell.<i2h|h2h>_<weight|bias>`` (``_unfused.<layer>.<...>`` when
unidirectional), so files are interchangeable with MXNet's.
"""
import re

import numpy as np

from minigluon import ndarray, symbol
from minigluon.base import MXNetValueAssertionError, MXNetValueError, ValueAssertionError
from minigluon.block import HybridBlock
from minigluon.ndarray import NDArray
from minigluon.rnn.rnn_cell import check_sizes

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}
_KEY = re.compile(r'(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z')


def _check_arguments(owner, hidden_size, num_layers, input_size, mode, projection_size,
                     clip_min, clip_max, dtype):
    """Raise naming the argument where a layer's constructor gets one MXNet 1.9.1 cannot run:

    * ``hidden_size`` / ``num_layers`` not positive ints, ``input_size`` not an int >= 0 or
      ``projection_size`` not an int >= 0 (0 or None: no projection): ValueError (MXNet fails at
      the first call in a shape check that names no argument; a negative ``input_size`` was
      taken silently here, as if it were 0);
    * ``projection_size`` for ``RNN`` / ``GRU``: TypeError at construction, as MXNet, whose
      RNN and GRU have no such argument (it was taken here and refused at the first call);
    * ``state_clip_min`` above ``state_clip_max``: ValueError (MXNet's CPU kernel ignores the
      bounds; clipping to them gave every cell state the value ``state_clip_max``);
    * a ``dtype`` that is not a floating type: TypeError (MXNet's RNN operator refuses it at the
      first call; integer parameters were made here and the layer ran with them).
    """
    check_sizes(owner, input_size, hidden_size=hidden_size, num_layers=num_layers)
    if projection_size is not None and projection_size != 0:
        if mode != 'lstm':
            raise TypeError('%s: projection_size is only for LSTM (got projection_size=%r)'
                            % (owner, projection_size))
        check_sizes(owner, projection_size=projection_size)
    if clip_min is not None and clip_max is not None and clip_min > clip_max:
        raise ValueError('%s: state_clip_min (%r) must not be above state_clip_max (%r)'
                         % (owner, clip_min, clip_max))
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind != 'f':
        raise TypeError("%s: dtype must be a floating type ('float16', 'float32' or 'float64'), "
                        'got %r' % (owner, dtype))


class _RNNLayer(HybridBlock):
    """Shared implementation of the fused layers; see :class:`RNN`, :class:`LSTM`, :class:`GRU`."""

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size=None, h2r_weight_initializer=None,
                 lstm_state_clip_min=None, lstm_state_clip_max=None, lstm_state_clip_nan=False,
                 dtype='float32', use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        if layout not in ('TNC', 'NTC'):     # MXNet 1.9.1 asserts
            raise ValueAssertionError("Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout)
        _check_arguments(type(self).__name__, hidden_size, num_layers, input_size, mode,
                         projection_size, lstm_state_clip_min, lstm_state_clip_max, dtype)
        self._hidden_size = hidden_size
        self._projection_size = projection_size or None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self._gates = _GATES[mode]
        ng, ni, nh = self._gates, input_size, hidden_size
        nr = self._projection_size or nh      # the recurrent state's size (LSTMP: the projection)
        inits = {'i2h_weight': i2h_weight_initializer, 'h2h_weight': h2h_weight_initializer,
                 'i2h_bias': i2h_bias_initializer, 'h2h_bias': h2h_bias_initializer,
                 'h2r_weight': h2r_weight_initializer}
        for i in range(num_layers):
            for j in ['l', 'r'][:self._dir]:
                shapes = {'i2h_weight': (ng * nh, ni), 'h2h_weight': (ng * nh, nr),
                          'i2h_bias': (ng * nh,), 'h2h_bias': (ng * nh,)}
                if self._projection_size:
                    shapes['h2r_weight'] = (nr, nh)
                for kind, shape in shapes.items():
                    name = '%s%d_%s' % (j, i, kind)
                    param = self.params.get(name, shape=shape, init=inits[kind],
                                            allow_deferred_init=True, dtype=dtype)
                    setattr(self, name, param)
            ni = nr * self._dir

    def __repr__(self):
        text = '{name}({mapping}, {layout}'
        if self._num_layers != 1:
            text += ', num_layers={num_layers}'
        if self._dropout != 0:
            text += ', dropout={dropout}'
        if self._dir == 2:
            text += ', bidirectional'
        text += ')'
        shape = self.l0_i2h_weight.shape
        mapping = '{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0] // self._gates)
        return text.format(name=type(self).__name__, mapping=mapping, layout=self._layout,
                           num_layers=self._num_layers, dropout=self._dropout)

    def _collect_params_with_prefix(self, prefix=''):
        # MXNet keeps the key layout of the old unfused cells so that older files still load.
        if prefix:
            prefix += '.'
        bidirectional = any(_KEY.match(k).group(1) == 'r' for k in self._reg_params)

        def convert(key):
            d, layer, gate, kind = _KEY.match(key).groups()
            if bidirectional:
                return '_unfused.%s.%s_cell.%s_%s' % (layer, d, gate, kind)
            return '_unfused.%s.%s_%s' % (layer, gate, kind)
        ret = {prefix + convert(key): val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size=0):
        """Shape, layout and dtype of each begin state (``'LNC'``, ``(L*D, N, H)``; with a
        projection the first, ``h``, is ``(L*D, N, P)``)."""
        info = {'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                '__layout__': 'LNC', 'dtype': self._dtype}
        if self._mode != 'lstm':
            return [info]
        first = dict(info)
        if self._projection_size:
            first['shape'] = info['shape'][:2] + (self._projection_size,)
        return [first, info]

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """Initial recurrent states: a list of ``func(shape=(L*D, batch_size, H), ...)``.

        Parameters
        ----------
        batch_size : int
        func : callable, default ``nd.zeros``
            Called with ``name``, ``shape``, ``__layout__``, ``dtype`` and ``kwargs`` (e.g. ``ctx``).

        Returns
        -------
        list of NDArray
            One state for RNN and GRU, two (``h``, ``c``) for LSTM.
        """
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info.update(kwargs)
            if func is ndarray.zeros:   # nd.zeros takes no name/__layout__
                info.pop('__layout__', None)
                states.append(func(**info))
            else:
                states.append(func(name='%sh0_%d' % (self.prefix, i), **info))
        return states

    def _check_rank(self, shape):
        """Raise ``MXNetValueError`` unless data of ``shape`` is 3-D, saying the layout wanted."""
        if len(shape) != 3:
            axes = {'TNC': 'sequence length, batch size, features per step',
                    'NTC': 'batch size, sequence length, features per step'}[self._layout]
            raise MXNetValueError('%s: data must be 3-D, layout %s (%s), got %d-D data of shape %s'
                                  % (type(self).__name__, self._layout, axes, len(shape),
                                     tuple(shape)))

    def infer_shape(self, inputs, *args):
        """Set the input-to-hidden weight shapes from ``inputs`` (deferred initialisation)."""
        self._check_rank(inputs.shape)
        ni = inputs.shape[2]
        for i in range(self._num_layers):
            for j in ['l', 'r'][:self._dir]:
                getattr(self, '%s%d_i2h_weight' % (j, i)).shape = (self._gates * self._hidden_size, ni)
            ni = (self._projection_size or self._hidden_size) * self._dir

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        """Run the layer: ``layer(x)`` returns the output; ``layer(x, states)`` returns ``(out, states)``.

        Parameters
        ----------
        inputs : NDArray or Symbol
            ``(T, N, C)`` for layout ``'TNC'``, ``(N, T, C)`` for ``'NTC'``.
        states : NDArray or list of NDArray, optional
            Initial states ``(L*D, N, H)`` (two for LSTM); zeros when omitted.
        sequence_length : NDArray, optional
            ``(N,)`` valid lengths, only with ``use_sequence_length=True``.

        Notes
        -----
        A hybridized layer keeps one graph for ``layer(x)`` and one for ``layer(x, states)`` (see
        :meth:`_graph_variant`), so each call returns its documented structure, in any order of
        calls. MXNet 1.9.1 reuses the first graph it traced and returns ``[out, states]`` for
        ``layer(x)`` or ``out`` for ``layer(x, s)``.

        Raises
        ------
        MXNetValueError
            When the input is not rank 3, ``states`` holds the wrong number of arrays, or
            ``sequence_length`` is missing from a layer built with ``use_sequence_length=True``
            (MXNet 1.9.1's ``RNN`` operator fails on these: an ``MXNetError``). For the number
            of states it is an :class:`~minigluon.base.MXNetValueAssertionError`, also an
            ``AssertionError``: hybridized, MXNet 1.9.1 asserts on too few ("Unknown input to
            HybridBlock").
        ValueError
            When a state has the wrong shape, or ``sequence_length`` is given to a layer built
            without ``use_sequence_length=True`` (MXNet 1.9.1 silently ignores it).
        """
        if self._use_sequence_length and sequence_length is None:
            raise MXNetValueError('%s was built with use_sequence_length=True: call it as '
                             'layer(inputs, states, sequence_length) with sequence_length of '
                             'shape (batch_size,)' % type(self).__name__)
        if not self._use_sequence_length and sequence_length is not None:
            raise ValueError('%s got a sequence_length but was built without '
                             'use_sequence_length=True, so it would be ignored; build the layer '
                             'with use_sequence_length=True' % type(self).__name__)
        self.skip_states = states is None
        if states is None:
            if isinstance(inputs, NDArray):
                # (data of another rank gets zero-batch states: hybrid_forward names the problem)
                batch_size = inputs.shape[self._layout.find('N')] if inputs.ndim == 3 else 0
                states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
            else:   # a parent is being hybridized: ``_zeros`` nodes whose batch size 0 means "the data's"
                states = self.begin_state(0, func=symbol.zeros)
        if states is not None and not isinstance(states, (list, tuple)):
            states = [states]
        if len(states) != len(self.state_info()):
            raise MXNetValueAssertionError('%s: states must be a list of %s, got %d'
                             % (type(self).__name__, '2 arrays [h, c]' if self._mode == 'lstm'
                                else '1 array [h]', len(states)))
        if self._use_sequence_length:
            return super().__call__(inputs, _as_list(states), sequence_length, **kwargs)
        return super().__call__(inputs, _as_list(states), **kwargs)

    def _graph_variant(self):
        # Both forms pass a states list to hybrid_forward (zeros when omitted), so the argument
        # structure is the same; what differs is whether the graph returns the states.
        return getattr(self, 'skip_states', None)

    def hybrid_forward(self, F, inputs, states, sequence_length=None, **kwargs):
        if F is ndarray:
            self._check_rank(inputs.shape)
            batch_size = inputs.shape[self._layout.find('N')]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info['shape']:
                    raise ValueError('Invalid recurrent state shape. Expecting %s, got %s.'
                                     % (str(info['shape']), str(state.shape)))
        out = self._forward_kernel(F, inputs, states, sequence_length, **kwargs)
        return out[0] if self.skip_states else out

    def _forward_kernel(self, F, inputs, states, sequence_length, **kwargs):
        if self._layout == 'NTC':
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        params = [F.reshape(kwargs['%s%d_%s_%s' % (d, layer, g, t)], shape=-1)
                  for t in ['weight', 'bias']
                  for layer in range(self._num_layers)
                  for d in ['l', 'r'][:self._dir]
                  for g in ['i2h', 'h2h', 'h2r']
                  if g != 'h2r' or (t == 'weight' and self._projection_size)]
        params = F._rnn_param_concat(*params, dim=0)
        rnn_args = list(states)
        if self._use_sequence_length:
            rnn_args.append(sequence_length)
        rnn = F.RNN(inputs, params, *rnn_args, use_sequence_length=self._use_sequence_length,
                    state_size=self._hidden_size, projection_size=self._projection_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2, p=self._dropout,
                    state_outputs=True, mode=self._mode,
                    lstm_state_clip_min=self._lstm_state_clip_min,
                    lstm_state_clip_max=self._lstm_state_clip_max,
                    lstm_state_clip_nan=self._lstm_state_clip_nan)
        if self._mode == 'lstm':
            outputs, states = rnn[0], [rnn[1], rnn[2]]
        else:
            outputs, states = rnn[0], [rnn[1]]
        if self._layout == 'NTC':
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, states


def _as_list(states):
    return None if states is None else list(states)


_LAYER_DOC = """{summary}

    Parameters
    ----------
    hidden_size : int
        Number of features in the hidden state.
    num_layers : int, default 1
        Number of stacked layers.
    {extra}layout : {{'TNC', 'NTC'}}, default 'TNC'
        Input and output layout: T time, N batch, C features.
    dropout : float, default 0
        Dropout on the outputs of each layer but the last (training mode only).
    bidirectional : bool, default False
        Also run a reverse-time direction; outputs have ``2 * hidden_size`` features.
    input_size : int, default 0
        Number of input features; 0 infers it from the first input (deferred initialisation).
    i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer
        Initializers of the parameters (default: the global initializer for weights, zeros for biases).
    dtype : str, default 'float32'
        Of the parameters. Data of another float dtype is computed in the promoted one (float64
        data and float32 parameters give float64 outputs and states, float32 parameter
        gradients), as ``Dense`` and ``Conv2D`` compute here; MXNet 1.9.1's ``RNN`` operator,
        like its ``Convolution`` and ``FullyConnected``, refuses the mix ("This layer requires
        uniform type").
    use_sequence_length : bool, default False
        Take a ``sequence_length`` argument (``(N,)``) masking steps beyond each length.

    Inputs: ``data`` ``(T, N, C)`` ('TNC') or ``(N, T, C)`` ('NTC'); optional ``states`` (list of
    {nstates} ``(num_layers * D, N, hidden_size)`` arrays, D = 2 if bidirectional).
    Outputs: ``out`` ``(T, N, D * hidden_size)`` (or NTC) and, only when states were given, the
    final states in the same form. Semantics and parameter layout: MXNet 1.9.1 ``gluon.rnn.{name}``
    and the fused ``RNN`` operator ({formula}).

    MXNet 1.9.1's CPU build gets float64 layers of more than one layer wrong where minigluon
    computes them as its float32 ones (and numerical differentiation): the gradients of the
    layers below the last (all of them when the input takes no gradient, some when it does),
    and, recorded outside training mode with ``dropout > 0``, the dropout it then applies
    between layers.
    """


class RNN(_RNNLayer):
    __doc__ = _LAYER_DOC.format(
        summary='Multi-layer Elman RNN, ``h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``.',
        extra="activation : {'relu', 'tanh'}, default 'relu'\n    ", nstates='one', name='RNN',
        formula='modes rnn_relu, rnn_tanh')

    def __init__(self, hidden_size, num_layers=1, activation='relu', layout='TNC', dropout=0,
                 bidirectional=False, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 dtype='float32', use_sequence_length=False, **kwargs):
        if activation not in ('relu', 'tanh'):
            raise ValueError("RNN: activation must be 'relu' or 'tanh', got %r" % activation)
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'rnn_' + activation, dtype=dtype,
                         use_sequence_length=use_sequence_length, **kwargs)


class LSTM(_RNNLayer):
    __doc__ = _LAYER_DOC.format(
        summary='Multi-layer long short-term memory (Hochreiter & Schmidhuber 1997), gates [i, f, g, o].',
        extra='', nstates='two (h, c)', name='LSTM', formula='mode lstm; with ``projection_size`` '
        '``P`` (LSTMP, Sak et al. 2014) the state ``h`` and the output are ``W_r (o * tanh(c))`` '
        'of ``P`` units, with parameters ``h2r_weight (P, H)`` and ``h2h_weight (4H, P)``; '
        '``state_clip_min/max/nan`` clip the cell state')

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', projection_size=None,
                 h2r_weight_initializer=None, state_clip_min=None, state_clip_max=None,
                 state_clip_nan=False, dtype='float32', use_sequence_length=False, **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'lstm', projection_size, h2r_weight_initializer,
                         state_clip_min, state_clip_max, state_clip_nan, dtype,
                         use_sequence_length, **kwargs)


class GRU(_RNNLayer):
    __doc__ = _LAYER_DOC.format(
        summary='Multi-layer gated recurrent unit (Cho et al. 2014; cuDNN variant), gates [r, z, n].',
        extra='', nstates='one', name='GRU',
        formula='mode gru, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``')

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', dtype='float32',
                 use_sequence_length=False, **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'gru', dtype=dtype,
                         use_sequence_length=use_sequence_length, **kwargs)
