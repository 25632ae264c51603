"""``gluon.contrib.rnn``: ``LSTMPCell``, ``VariationalDropoutCell`` and the convolutional cells
(MXNet 1.9.1 ``mxnet.gluon.contrib.rnn``).

The cells follow the protocol of :mod:`minigluon.rnn` (one step per call, ``unroll``,
``begin_state``, ``state_info``) and compute with registered operators through ``F`` only, so they
run eagerly, hybridized, exported and re-imported with ``SymbolBlock.imports``. Parameter names,
shapes, defaults and reprs are MXNet's. The convolutional cells live in
:mod:`minigluon.contrib.conv_rnn` and are re-exported here.
"""
from numbers import Number

from minigluon.base import ValueAssertionError
from minigluon.contrib.conv_rnn import (  # noqa: F401  (re-exported)
    Conv1DGRUCell, Conv1DLSTMCell, Conv1DRNNCell, Conv2DGRUCell, Conv2DLSTMCell, Conv2DRNNCell,
    Conv3DGRUCell, Conv3DLSTMCell, Conv3DRNNCell)
from minigluon.ndarray import NDArray
from minigluon.rnn import _sequence as seq
from minigluon.rnn.rnn_cell import (HybridRecurrentCell, SequentialRNNCell, check_sizes,
                                    check_step_states)
from minigluon.rnn.rnn_modifiers import BidirectionalCell, ModifierCell

__all__ = ['VariationalDropoutCell', 'LSTMPCell',
           'Conv1DRNNCell', 'Conv2DRNNCell', 'Conv3DRNNCell',
           'Conv1DLSTMCell', 'Conv2DLSTMCell', 'Conv3DLSTMCell',
           'Conv1DGRUCell', 'Conv2DGRUCell', 'Conv3DGRUCell']


class LSTMPCell(HybridRecurrentCell):
    r"""LSTM cell with a projection of the hidden state (LSTMP, Sak et al. 2014,
    https://arxiv.org/abs/1402.1128), MXNet 1.9.1 ``gluon.contrib.rnn.LSTMPCell``.

    .. math::
        [i, f, g, o] = W_{i2h} x_t + b_{i2h} + W_{h2h} r_{t-1} + b_{h2h} \\
        c_t = \sigma(f) c_{t-1} + \sigma(i) \tanh(g), \quad
        h_t = \sigma(o) \tanh(c_t), \quad r_t = W_{h2r} h_t

    Parameters
    ----------
    hidden_size : int
        Units of the cell state ``c`` (H).
    projection_size : int
        Units of the projected output ``r`` (P).
    i2h_weight_initializer, h2h_weight_initializer, h2r_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0
        Input units C; 0 infers them at the first call (deferred initialisation).
    prefix : str, default 'lstmp<n>_'
    params : ParameterDict, optional

    Parameters created: ``i2h_weight (4H, C)``, ``h2h_weight (4H, P)``, ``h2r_weight (P, H)``,
    ``i2h_bias (4H,)``, ``h2h_bias (4H,)``; gates in the order ``[i, f, g, o]``.

    Inputs ``(N, C)`` and states ``[r (N, P), c (N, H)]``; outputs ``r_t (N, P)`` and
    ``[r_t, c_t]``. Any float dtype.

    Raises
    ------
    ValueError
        At construction when ``hidden_size`` or ``projection_size`` is not a positive int.
    TypeError, IndexError, ValueError
        On a step whose states are not a list (TypeError), fewer than two (IndexError, as
        MXNet 1.9.1) or not of the ``state_info`` shapes (ValueError); see
        :func:`minigluon.rnn.rnn_cell.check_step_states`.
    """

    def __init__(self, hidden_size, projection_size, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, h2r_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        check_sizes('LSTMPCell', input_size, hidden_size=hidden_size,
                    projection_size=projection_size)
        self._hidden_size = hidden_size
        self._input_size = input_size
        self._projection_size = projection_size
        gh = 4 * hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(gh, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(gh, projection_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.h2r_weight = self.params.get('h2r_weight', shape=(projection_size, hidden_size),
                                          init=h2r_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(gh,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(gh,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._projection_size), '__layout__': 'NC'},
                {'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}]

    def _alias(self):
        return 'lstmp'

    def __repr__(self):
        shape = self.i2h_weight.shape
        return '%s(%s -> %s -> %s)' % (type(self).__name__, shape[1] if shape[1] else None,
                                       shape[0], self.h2r_weight.shape[0])

    def infer_shape(self, inputs, *args):
        """Set ``i2h_weight``'s input size from the step input ``(N, C)`` (deferred initialisation)."""
        self.i2h_weight.shape = (4 * self._hidden_size, inputs.shape[-1])

    def forward(self, inputs, states):
        """One step: ``(r_t, [r_t, c_t])``; see the class docstring for shapes and errors."""
        check_step_states(self, inputs, states)
        if isinstance(inputs, NDArray) and inputs.ndim != 2:
            raise ValueError('LSTMPCell: the step input must be (batch, input_size), got shape %s'
                             % (inputs.shape,))
        return super().forward(inputs, states)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias,
                       h2h_bias):
        prefix = 't%d_' % self._counter
        num = 4 * self._hidden_size
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=num,
                               name=prefix + 'i2h')
        h2h = F.FullyConnected(data=states[0], weight=h2h_weight, bias=h2h_bias, num_hidden=num,
                               name=prefix + 'h2h')
        gates = F.SliceChannel(i2h + h2h, num_outputs=4, name=prefix + 'slice')
        in_gate = F.Activation(gates[0], act_type='sigmoid', name=prefix + 'i')
        forget_gate = F.Activation(gates[1], act_type='sigmoid', name=prefix + 'f')
        in_transform = F.Activation(gates[2], act_type='tanh', name=prefix + 'c')
        out_gate = F.Activation(gates[3], act_type='sigmoid', name=prefix + 'o')
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform,
                                name=prefix + 'state')
        hidden = F.elemwise_mul(out_gate, F.Activation(next_c, act_type='tanh'),
                                name=prefix + 'hidden')
        next_r = F.FullyConnected(data=hidden, weight=h2r_weight, num_hidden=self._projection_size,
                                  no_bias=True, name=prefix + 'out')
        return next_r, [next_r, next_c]


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal & Ghahramani 2016, https://arxiv.org/abs/1512.05287) around a cell:
    one dropout mask per sequence, the same at every step (MXNet 1.9.1
    ``gluon.contrib.rnn.VariationalDropoutCell``).

    Masks are separate for the inputs, the first state (``h``) and the outputs; each is drawn at
    the first step after :meth:`reset` (``unroll`` resets) as ``Dropout(ones_like(x), p)``, so its
    entries are 0 or ``1 / (1 - p)``. Outside training mode Dropout is the identity and the cell
    equals its base cell. When stepping by hand, call ``reset()`` between sequences.

    Parameters
    ----------
    base_cell : RecurrentCell
    drop_inputs, drop_states, drop_outputs : float, default 0.
        Dropout rates; 0 applies no dropout there. ``drop_states`` drops only ``states[0]``.

    Raises
    ------
    ValueAssertionError
        When ``drop_states`` is set on a BidirectionalCell (or a bidirectional stack), which
        cannot be stepped: wrap the cells underneath instead (MXNet 1.9.1 asserts).
    ValueError
        When a rate is outside [0, 1).
    TypeError
        When a rate is not a number.
    """

    def __init__(self, base_cell, drop_inputs=0., drop_states=0., drop_outputs=0.):
        for arg, rate in [('drop_inputs', drop_inputs), ('drop_states', drop_states),
                          ('drop_outputs', drop_outputs)]:
            if not isinstance(rate, Number) or isinstance(rate, bool):
                raise TypeError('VariationalDropoutCell: %s must be a number in [0, 1), got %r'
                                % (arg, rate))
            if not 0 <= rate < 1:
                raise ValueError('VariationalDropoutCell: %s must be in [0, 1), got %r'
                                 % (arg, rate))
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise ValueAssertionError(
                "BidirectionalCell doesn't support variational state dropout. Please add "
                "VariationalDropoutCell to the cells underneath instead.")
        if (drop_states and isinstance(base_cell, SequentialRNNCell)
                and getattr(base_cell, '_bidirectional', False)):
            raise ValueAssertionError(
                "Bidirectional SequentialRNNCell doesn't support variational state dropout. "
                "Please add VariationalDropoutCell to the cells underneath instead.")
        super().__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _alias(self):
        return 'vardrop'

    def reset(self):
        super().reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def __repr__(self):
        # MXNet's format, spaces around '=' included
        return '%s(p_out = %s, p_state = %s)' % (type(self).__name__, self.drop_outputs,
                                                 self.drop_states)

    def hybrid_forward(self, F, inputs, states):
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = F.Dropout(F.ones_like(states[0]), p=self.drop_states)
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = F.Dropout(F.ones_like(inputs), p=self.drop_inputs)
        if self.drop_states:
            states = list(states)
            states[0] = states[0] * self.drop_states_mask   # h only, always the first state
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        output, next_states = self.base_cell(inputs, states)
        if self.drop_outputs:
            if self.drop_outputs_mask is None:
                self.drop_outputs_mask = F.Dropout(F.ones_like(output), p=self.drop_outputs)
            output = output * self.drop_outputs_mask
        return output, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Unroll as :meth:`minigluon.rnn.RecurrentCell.unroll`.

        Without state dropout the input and output masks are applied to the whole sequence at
        once (``Dropout`` with ``axes`` = the time axis: one mask shared over time), around one
        ``unroll`` of the base cell, as MXNet does; with state dropout the cell is stepped.
        """
        if self.drop_states:
            return super().unroll(length, inputs, begin_state, layout, merge_outputs,
                                  valid_length=valid_length)
        self.reset()
        inputs, axis, F, batch_size = seq.format_sequence(length, inputs, layout, True)
        states = seq.get_begin_state(self, F, begin_state, inputs, batch_size)
        if self.drop_inputs:
            inputs = F.Dropout(inputs, p=self.drop_inputs, axes=(axis,))
        outputs, states = self.base_cell.unroll(length, inputs, states, layout, merge_outputs=True,
                                                valid_length=valid_length)
        if self.drop_outputs:
            outputs = F.Dropout(outputs, p=self.drop_outputs, axes=(axis,))
        if merge_outputs is None:
            merge_outputs = seq._is_tensor(outputs)
        outputs, _, _, _ = seq.format_sequence(length, outputs, layout, merge_outputs)
        if valid_length is not None:
            outputs = seq.mask_variable_length(F, outputs, length, valid_length, axis,
                                               merge_outputs)
        return outputs, states

