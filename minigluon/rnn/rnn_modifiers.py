"""Cells that wrap other cells: ``DropoutCell``, ``ZoneoutCell``, ``ResidualCell``, ``BidirectionalCell``.

Semantics follow ``mxnet.gluon.rnn`` (MXNet 1.9.1). Zoneout: Krueger et al. 2016, "Zoneout:
Regularizing RNNs by Randomly Preserving Hidden Activations".
"""
from numbers import Number

from minigluon import ndarray
from minigluon.base import TypeAssertionError, ValueAssertionError
from minigluon.rnn import _sequence as seq
from minigluon.rnn.rnn_cell import (HybridRecurrentCell, RecurrentCell, SequentialRNNCell,
                                    _cells_begin_state, _cells_state_info)


class DropoutCell(HybridRecurrentCell):
    """Dropout on the step input (stateless), active in training mode only.

    Parameters
    ----------
    rate : float
        Fraction of the input units to drop.
    axes : tuple of int, default ()
        Axes along which one mask is shared.

    Raises
    ------
    TypeAssertionError
        When ``rate`` is not a number (a ``TypeError``; MXNet 1.9.1 asserts).
    """

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super().__init__(prefix, params)
        if not isinstance(rate, Number):
            raise TypeAssertionError('DropoutCell: rate must be a number, got %r' % (rate,))
        self._rate = rate
        self._axes = axes

    def __repr__(self):
        return '%s(rate=%s, axes=%s)' % (type(self).__name__, self._rate, self._axes)

    def state_info(self, batch_size=0):
        return []

    def _alias(self):
        return 'dropout'

    def hybrid_forward(self, F, inputs, states):
        if self._rate > 0:
            inputs = F.Dropout(data=inputs, p=self._rate, axes=self._axes,
                               name='t%d_fwd' % self._counter)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        self.reset()
        inputs, _, F, _ = seq.format_sequence(length, inputs, layout, merge_outputs)
        if seq._is_tensor(inputs):   # one call over the whole sequence
            return self.hybrid_forward(F, inputs, begin_state if begin_state else [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs, valid_length=None)


class ModifierCell(HybridRecurrentCell):
    """Base of cells that modify one ``base_cell``; the base cell can then only be used through it.

    Raises
    ------
    TypeError
        When ``base_cell`` is not a recurrent cell.
    ValueAssertionError
        When ``base_cell`` is already wrapped by another modifier (MXNet 1.9.1 asserts).
    """

    def __init__(self, base_cell):
        if not isinstance(base_cell, RecurrentCell):
            raise TypeError('%s: base_cell must be a recurrent cell (e.g. rnn.LSTMCell), got %s'
                            % (type(self).__name__, type(base_cell).__name__))
        if base_cell._modified:
            raise ValueAssertionError('Cell %s is already modified. One cell cannot be modified twice'
                             % base_cell.name)
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self):
        return self.base_cell.params

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, func=ndarray.zeros, **kwargs):
        """The base cell's begin states (see :meth:`RecurrentCell.begin_state`).

        ``func`` defaults to ``nd.zeros``, as for every other cell: MXNet 1.9.1's modifier
        cells default to ``symbol.zeros``, so there ``begin_state(batch_size=N)`` returns
        Symbols that an eager step or ``unroll`` then refuses ("mixed NDArrays and Symbols").
        """
        self._check_unmodified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def hybrid_forward(self, F, inputs, states):
        raise NotImplementedError

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self.base_cell)


class ZoneoutCell(ModifierCell):
    """Zoneout: in training, each output/state unit keeps its previous value with probability p.

    Parameters
    ----------
    base_cell : RecurrentCell (not bidirectional)
    zoneout_outputs, zoneout_states : float, default 0
    """

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        if isinstance(base_cell, BidirectionalCell):
            raise ValueAssertionError("BidirectionalCell doesn't support zoneout since it doesn't support "
                             "step. Please add ZoneoutCell to the cells underneath instead.")
        if isinstance(base_cell, SequentialRNNCell) and getattr(base_cell, '_bidirectional', False):
            raise ValueAssertionError("Bidirectional SequentialRNNCell doesn't support zoneout.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def __repr__(self):
        return '%s(p_out=%s, p_state=%s, %r)' % (type(self).__name__, self.zoneout_outputs,
                                                  self.zoneout_states, self.base_cell)

    def _alias(self):
        return 'zoneout'

    def reset(self):
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F, inputs, states):
        p_out, p_state = self.zoneout_outputs, self.zoneout_states
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, like):   # 1 where the new value is used (Dropout of ones: 0 or 1/(1-p))
            return F.Dropout(F.ones_like(like), p=p)
        prev_output = self._prev_output
        if prev_output is None:
            prev_output = F.zeros_like(next_output)
        output = (F.where(keep_new(p_out, next_output), next_output, prev_output)
                  if p_out != 0. else next_output)
        new_states = ([F.where(keep_new(p_state, new), new, old)
                       for new, old in zip(next_states, states)] if p_state != 0. else next_states)
        self._prev_output = output
        return output, new_states


class ResidualCell(ModifierCell):
    """Adds the step input to the base cell's output (Wu et al. 2016, GNMT); shapes must agree."""

    def hybrid_forward(self, F, inputs, states):
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs, name='t%d_fwd' % self._counter), states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs, begin_state=begin_state,
                                                    layout=layout, merge_outputs=merge_outputs,
                                                    valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        merge_outputs = seq._is_tensor(outputs) if merge_outputs is None else merge_outputs
        inputs, axis, F, _ = seq.format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            inputs = seq.mask_variable_length(F, inputs, length, valid_length, axis, merge_outputs)
        if merge_outputs:
            return F.elemwise_add(outputs, inputs), states
        return [F.elemwise_add(i, j) for i, j in zip(outputs, inputs)], states


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward in time and concatenates their outputs.

    Only :meth:`unroll` is supported (a bidirectional cell cannot be stepped). Children are
    registered as ``l_cell`` and ``r_cell`` (hence save keys ``l_cell.i2h_weight``...).

    With layout ``'NTC'``, a ``valid_length`` and ``merge_outputs=None`` (also inside a
    ``SequentialRNNCell``, which unrolls its inner cells so), MXNet 1.9.1 stacks the already
    merged reverse outputs a second time, swapping their batch and time axes: wrong values when
    the batch size equals the length, an error otherwise. minigluon stacks them once.
    """

    def __init__(self, l_cell, r_cell, output_prefix='bi_'):
        super().__init__(prefix='', params=None)
        self.register_child(l_cell, 'l_cell')
        self.register_child(r_cell, 'r_cell')
        self._output_prefix = output_prefix

    def __call__(self, inputs, states):
        raise NotImplementedError('Bidirectional cannot be stepped. Please use unroll')

    def __repr__(self):
        return '%s(forward=%r, backward=%r)' % (type(self).__name__, self._children['l_cell'],
                                                self._children['r_cell'])

    def state_info(self, batch_size=0):
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs):
        self._check_unmodified()
        return _cells_begin_state(self._children.values(), **kwargs)

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        self.reset()
        inputs, axis, F, batch_size = seq.format_sequence(length, inputs, layout, False)
        reversed_inputs = seq.reverse_sequences(inputs, length, valid_length)
        states = seq.get_begin_state(self, F, begin_state, inputs, batch_size)
        l_cell, r_cell = self._children['l_cell'], self._children['r_cell']
        n_left = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(length, inputs=inputs, begin_state=states[:n_left],
                                            layout=layout, merge_outputs=merge_outputs,
                                            valid_length=valid_length)
        r_outputs, r_states = r_cell.unroll(length, inputs=reversed_inputs,
                                            begin_state=states[n_left:], layout=layout,
                                            merge_outputs=False, valid_length=valid_length)
        reversed_r_outputs = seq.reverse_sequences(r_outputs, length, valid_length)
        if merge_outputs is None:
            merge_outputs = seq._is_tensor(l_outputs)
            l_outputs, _, _, _ = seq.format_sequence(None, l_outputs, layout, merge_outputs)
            reversed_r_outputs, _, _, _ = seq.format_sequence(None, reversed_r_outputs, layout,
                                                              merge_outputs)
        if merge_outputs:
            if not seq._is_tensor(reversed_r_outputs):
                reversed_r_outputs = F.stack(*reversed_r_outputs, axis=axis)
            outputs = F.concat(l_outputs, reversed_r_outputs, dim=2,
                               name='%sout' % self._output_prefix)
        else:
            outputs = [F.concat(lo, ro, dim=1, name='%st%d' % (self._output_prefix, i))
                       for i, (lo, ro) in enumerate(zip(l_outputs, reversed_r_outputs))]
        if valid_length is not None:
            outputs = seq.mask_variable_length(F, outputs, length, valid_length, axis, merge_outputs)
        return outputs, l_states + r_states
