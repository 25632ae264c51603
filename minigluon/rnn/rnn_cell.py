"""Recurrent cells (``mxnet.gluon.rnn`` cells, MXNet 1.9.1): one time step per call, plus ``unroll``.

A cell maps ``(input (N, C), states)`` to ``(output, new_states)``; ``unroll(length, inputs)`` runs it
over a sequence given as one ``(N, T, C)``/``(T, N, C)`` array or a list of ``(N, C)`` steps. The
gate maths and parameter names (``i2h_weight``, ``h2h_weight``, ``i2h_bias``, ``h2h_bias``) match
MXNet's cells and the fused ``RNN`` operator (LSTM gates ``[i, f, g, o]``; GRU gates ``[r, z, n]``
with the h2h bias inside the reset product), so weights move between cells and fused layers.
Containers and modifiers: ``SequentialRNNCell``, ``HybridSequentialRNNCell``, ``BidirectionalCell``,
``DropoutCell``, ``ZoneoutCell`` (Krueger et al. 2016), ``ResidualCell``.
"""
import numbers

from minigluon import ndarray
from minigluon.base import (MXNetIndexError, MXNetValueError, RuntimeAssertionError,
                            ValueAssertionError)
from minigluon.block import Block, HybridBlock
from minigluon.ndarray import NDArray
from minigluon.rnn import _sequence as seq

# MXNet 1.9.1's private helpers of this module under their names there: user cells (a child-sum
# Tree-LSTM, gluon-ts's zoneout cell, GluonNLP's GNMT and Fold) import them to write their own unroll.
_format_sequence = seq.format_sequence
_get_begin_state = seq.get_begin_state
_mask_sequence_variable_length = seq.mask_variable_length


def _cells_state_info(cells, batch_size):
    return sum([c.state_info(batch_size) for c in cells], [])


def _cells_begin_state(cells, **kwargs):
    return sum([c.begin_state(**kwargs) for c in cells], [])


class RecurrentCell(Block):
    """Abstract base of the recurrent cells; subclasses define ``state_info`` and the step."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Reset the step counter before a new sequence (``unroll`` calls it)."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size=0):
        """A list of ``{'shape': ..., '__layout__': ...}`` describing each state."""
        raise NotImplementedError()

    def _check_unmodified(self):
        if self._modified:   # MXNet 1.9.1 asserts: an AssertionError too
            raise RuntimeAssertionError('After applying modifier cells (e.g. ZoneoutCell) the base cell cannot '
                               'be called directly. Call the modifier cell instead.')

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """Initial states: ``func(name=..., shape=..., **kwargs)`` for each entry of ``state_info``.

        Parameters
        ----------
        batch_size : int
            The batch size the states are made for: ``[(batch_size, hidden_size)]`` for an
            ``RNNCell`` or ``GRUCell``, two such arrays (``h``, ``c``) for an ``LSTMCell``.
            ``0`` leaves it to be inferred, which only a graph can do (a Symbol made with
            ``func=F.zeros`` while hybridized): NDArrays need the real batch size.
        func : callable, default ``nd.zeros``
            Makes each state. Inside ``hybrid_forward`` pass ``F.zeros``, so that the states are
            Symbols while the block is traced (``nd.zeros`` there makes NDArrays, which cannot
            join the graph); or make the states outside and pass them in as inputs.
        **kwargs
            Passed to ``func`` (``ctx``, ``dtype``...).

        Returns
        -------
        list of NDArray or Symbol, in the order of ``state_info``

        Raises
        ------
        RuntimeAssertionError
            When the cell is wrapped by a modifier cell (call the modifier's ``begin_state``);
            a ``RuntimeError`` and, as MXNet 1.9.1's assertion, an ``AssertionError``.
        """
        self._check_unmodified()
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info or {}, **kwargs)
            states.append(func(name='%sbegin_state_%d' % (self._prefix, self._init_counter), **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Run the cell over ``length`` steps.

        Parameters
        ----------
        length : int
        inputs : NDArray or Symbol ``(N, T, C)``/``(T, N, C)``, or a list of ``length`` ``(N, C)``
        begin_state : list, optional
            Default: ``begin_state`` zeros.
        layout : {'NTC', 'TNC'}
            Another string raises ``MXNetValueError`` (MXNet 1.9.1 reads the positions of ``T``
            and ``N`` from any string, then fails or runs on the wrong axes).
        merge_outputs : bool, optional
            True: one array in ``layout``; False: a list of steps; None: as the inputs.
        valid_length : NDArray ``(N,)``, optional
            Outputs beyond each length are zero and states are those at its last valid step
            (the begin states for a length of 0, where MXNet 1.9.1 returns garbage).

        Returns
        -------
        (outputs, states)
        """
        self.reset()
        inputs, axis, F, batch_size = seq.format_sequence(length, inputs, layout, False)
        states = seq.get_begin_state(self, F, begin_state, inputs, batch_size)
        first_states = states
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            # a length of 0 keeps the begin state (MXNet's SequenceLast reads out of bounds)
            states = [F.where(valid_length,
                              F.SequenceLast(F.stack(*steps, axis=0), sequence_length=valid_length,
                                             use_sequence_length=True, axis=0), first)
                      for steps, first in zip(zip(*all_states), first_states)]
            outputs = seq.mask_variable_length(F, outputs, length, valid_length, axis, True)
        outputs, _, _, _ = seq.format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F, inputs, activation, **kwargs):
        func = {'tanh': F.tanh, 'relu': F.relu, 'sigmoid': F.sigmoid,
                'softsign': F.softsign}.get(activation) if isinstance(activation, str) else None
        if func is not None:
            return func(inputs, **kwargs)
        if isinstance(activation, str):
            return F.Activation(inputs, act_type=activation, **kwargs)
        if type(activation).__name__ == 'LeakyReLU' and hasattr(activation, '_alpha'):
            return F.LeakyReLU(inputs, act_type='leaky', slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs, states):
        """One step: ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell whose step is a ``hybrid_forward(F, inputs, states, **params)``."""

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


def check_sizes(owner, input_size=None, **sizes):
    """Raise ValueError naming the argument unless each of ``sizes`` is a positive int (a cell's
    ``hidden_size``, ``projection_size``...) and ``input_size`` (when given) an int of at least 0
    (0: inferred at the first call); MXNet 1.9.1 accepts them and fails later, deep in a shape
    check (a negative ``input_size`` was taken silently here, as if it were 0)."""
    for name, value in sizes.items():
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
            raise ValueError('%s: %s must be a positive int, got %r' % (owner, name, value))
    if input_size is not None and (not isinstance(input_size, numbers.Integral)
                                   or isinstance(input_size, bool) or input_size < 0):
        raise ValueError('%s: input_size must be an int >= 0 (0: inferred at the first call), '
                         'got %r' % (owner, input_size))


def check_step_states(cell, inputs, states):
    """Check the ``states`` given to one step of ``cell`` against ``cell.state_info``.

    Only NDArrays are checked (a Symbol has no shape yet); the batch size is the input's first
    axis. States beyond those of ``state_info`` are ignored, as MXNet 1.9.1 ignores them when
    stepping (its ``unroll`` then fails when the cell is hybridized or its input size deferred:
    minigluon's ignores them there too). Where
    MXNet 1.9.1 fails later, inside an operator (``MXNetError``), minigluon names the state (a
    plain cell's ``elemwise_add`` would otherwise broadcast a state of batch 1).

    Raises
    ------
    TypeError
        When ``states`` is not a list or tuple.
    MXNetIndexError
        When there are fewer states than ``state_info`` lists (MXNet: an ``IndexError``).
    MXNetValueError
        When the shape of one of them differs from ``state_info``.
    """
    name = type(cell).__name__
    if not isinstance(states, (list, tuple)):
        raise TypeError('%s: states must be a list of %d arrays (see state_info), got %s'
                        % (name, len(cell.state_info()), type(states).__name__))
    if not isinstance(inputs, NDArray):
        return
    expected = cell.state_info(inputs.shape[0])
    if len(states) < len(expected):
        raise MXNetIndexError('%s: expected %d states (%s), got %d' % (
            name, len(expected), ', '.join(str(e['shape']) for e in expected), len(states)))
    for i, (state, info) in enumerate(zip(states, expected)):
        if isinstance(state, NDArray) and tuple(state.shape) != tuple(info['shape']):
            raise MXNetValueError('%s: state %d must have shape %s (state_info for a batch of '
                                  '%d), got %s' % (name, i, tuple(info['shape']),
                                                   inputs.shape[0], state.shape))


class _GatedCell(HybridRecurrentCell):
    """Parameters and repr shared by RNNCell, LSTMCell and GRUCell (``gates`` blocks of ``H`` rows)."""

    _ngates = 1
    _nstates = 1

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None, activation='tanh', recurrent_activation='sigmoid'):
        # MXNet 1.9.1's LSTMCell signature (GRUCell uses it too: MXNet's GRUCell has no
        # activation / recurrent_activation, accepting them is an extra; RNNCell orders its own)
        super().__init__(prefix=prefix, params=params)
        check_sizes(type(self).__name__, input_size, hidden_size=hidden_size)
        self._hidden_size = hidden_size
        self._input_size = input_size
        self._activation = activation
        self._recurrent_activation = recurrent_activation
        gh = self._ngates * hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(gh, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(gh, hidden_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(gh,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(gh,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}
                for _ in range(self._nstates)]

    def infer_shape(self, inputs, *args):
        """Set ``i2h_weight``'s input size from the step input ``(N, C)`` (deferred initialisation)."""
        self.i2h_weight.shape = (self._ngates * self._hidden_size, inputs.shape[-1])

    def forward(self, inputs, states):
        """One step: ``(output, new_states)``; the states are checked by :func:`check_step_states`."""
        check_step_states(self, inputs, states)
        return super().forward(inputs, states)

    def __repr__(self):
        # MXNet prints the i2h weight's row count (4H for LSTMCell, 3H for GRUCell); so do we.
        shape = self.i2h_weight.shape
        mapping = '{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0])
        if type(self) is RNNCell:
            return '%s(%s, %s)' % (type(self).__name__, mapping, self._activation)
        return '%s(%s)' % (type(self).__name__, mapping)

    def _projections(self, F, inputs, state, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        num = self._ngates * self._hidden_size
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=num,
                               name=prefix + 'i2h')
        h2h = F.FullyConnected(data=state, weight=h2h_weight, bias=h2h_bias, num_hidden=num,
                               name=prefix + 'h2h')
        return prefix, i2h, h2h


class RNNCell(_GatedCell):
    """Elman RNN cell: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``.

    Parameters
    ----------
    hidden_size : int
    activation : str or callable, default 'tanh'
    i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer
    input_size : int, default 0 (inferred)
    prefix, params : as for Block

    Inputs ``(N, C)`` and ``[h (N, H)]``; outputs ``h'`` and ``[h']``.
    """

    def __init__(self, hidden_size, activation='tanh', i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params,
                         activation)

    def _alias(self):
        return 'rnn'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix, i2h, h2h = self._projections(F, inputs, states[0], i2h_weight, h2h_weight,
                                             i2h_bias, h2h_bias)
        output = self._get_activation(F, F.elemwise_add(i2h, h2h, name=prefix + 'plus0'),
                                      self._activation, name=prefix + 'out')
        return output, [output]


class LSTMCell(_GatedCell):
    """LSTM cell (Hochreiter & Schmidhuber 1997), gates ``[i, f, g, o]`` as MXNet and cuDNN.

    ``c' = f * c + i * g``, ``h' = o * act(c')`` with ``i, f, o = recurrent_activation(.)`` and
    ``g = activation(.)``. States ``[h (N, H), c (N, H)]``; parameters ``(4H, C)``, ``(4H, H)``.
    Arguments as :class:`RNNCell`, plus ``activation`` (default 'tanh') and
    ``recurrent_activation`` (default 'sigmoid').
    """

    _ngates, _nstates = 4, 2

    def _alias(self):
        return 'lstm'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix, i2h, h2h = self._projections(F, inputs, states[0], i2h_weight, h2h_weight,
                                             i2h_bias, h2h_bias)
        gates = F.SliceChannel(F.elemwise_add(i2h, h2h, name=prefix + 'plus0'), num_outputs=4,
                               name=prefix + 'slice')
        act, ract = self._activation, self._recurrent_activation
        in_gate = self._get_activation(F, gates[0], ract, name=prefix + 'i')
        forget_gate = self._get_activation(F, gates[1], ract, name=prefix + 'f')
        in_transform = self._get_activation(F, gates[2], act, name=prefix + 'c')
        out_gate = self._get_activation(F, gates[3], ract, name=prefix + 'o')
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1], name=prefix + 'mul0'),
                                F.elemwise_mul(in_gate, in_transform, name=prefix + 'mul1'),
                                name=prefix + 'state')
        next_h = F.elemwise_mul(out_gate, F.Activation(next_c, act_type=act,
                                                       name=prefix + 'activation0'),
                                name=prefix + 'out')
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    """GRU cell (Cho et al. 2014), cuDNN variant, gates ``[r, z, n]``.

    ``n = act(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``. State
    ``[h (N, H)]``; parameters ``(3H, C)``, ``(3H, H)``. Arguments as :class:`LSTMCell`.
    """

    _ngates = 3

    def _alias(self):
        return 'gru'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prev_h = states[0]
        prefix, i2h, h2h = self._projections(F, inputs, prev_h, i2h_weight, h2h_weight,
                                             i2h_bias, h2h_bias)
        i2h_r, i2h_z, i2h_n = F.SliceChannel(i2h, num_outputs=3, name=prefix + 'i2h_slice')
        h2h_r, h2h_z, h2h_n = F.SliceChannel(h2h, num_outputs=3, name=prefix + 'h2h_slice')
        ract = self._recurrent_activation
        # MXNet 1.9.1 writes the three GRU nonlinearities as ``Activation`` nodes (where the LSTM
        # cell writes ``sigmoid`` / ``tanh``), and ``1 - z`` as ``elemwise_sub`` named ``minus0``:
        # exported graphs then match its -symbol.json node for node
        act = (lambda x, a, name: F.Activation(x, act_type=a, name=name)
               if isinstance(a, str) else self._get_activation(F, x, a, name=name))
        reset = act(F.elemwise_add(i2h_r, h2h_r, name=prefix + 'plus0'), ract, prefix + 'r_act')
        update = act(F.elemwise_add(i2h_z, h2h_z, name=prefix + 'plus1'), ract, prefix + 'z_act')
        cand = act(F.elemwise_add(i2h_n, F.elemwise_mul(reset, h2h_n, name=prefix + 'mul0'),
                                  name=prefix + 'plus2'), self._activation, prefix + 'h_act')
        ones = F.ones_like(update, name=prefix + 'ones_like0')
        next_h = F.elemwise_add(
            F.elemwise_mul(F.elemwise_sub(ones, update, name=prefix + 'minus0'), cand,
                           name=prefix + 'mul1'),
            F.elemwise_mul(update, prev_h, name=prefix + 'mul20'), name=prefix + 'out')
        return next_h, [next_h]


class _CellStack:
    """Behaviour shared by the sequential containers (mixed into Block subclasses)."""

    def add(self, cell):
        """Append a cell to the stack."""
        self.register_child(cell)

    def state_info(self, batch_size=0):
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs):
        self._check_unmodified()
        return _cells_begin_state(self._children.values(), **kwargs)

    def __repr__(self):
        modstr = '\n'.join('({i}): {m}'.format(i=i, m=repr(m).replace('\n', '\n  '))
                           for i, m in self._children.items())
        return '{name}(\n{modstr}\n)'.format(name=type(self).__name__, modstr=modstr)

    def __getitem__(self, i):
        return self._children[str(i)]

    def __len__(self):
        return len(self._children)

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Unroll each cell in turn over the whole sequence (see :meth:`RecurrentCell.unroll`)."""
        self.reset()
        inputs, _, F, batch_size = seq.format_sequence(length, inputs, layout, None)
        num_cells = len(self._children)
        begin_state = seq.get_begin_state(self, F, begin_state, inputs, batch_size)
        p, next_states = 0, []
        for i, cell in enumerate(self._children.values()):
            n = len(cell.state_info())
            states = begin_state[p:p + n]
            p += n
            inputs, states = cell.unroll(length, inputs=inputs, begin_state=states, layout=layout,
                                         merge_outputs=None if i < num_cells - 1 else merge_outputs,
                                         valid_length=valid_length)
            next_states.extend(states)
        return inputs, next_states

    def __call__(self, inputs, states):
        self._counter += 1
        next_states, p = [], 0
        for cell in self._children.values():
            if isinstance(cell, BidirectionalCell):   # MXNet 1.9.1 asserts
                raise ValueAssertionError('%s: a BidirectionalCell cannot be stepped; use unroll'
                                 % type(self).__name__)
            n = len(cell.state_info())
            state = states[p:p + n]
            p += n
            inputs, state = cell(inputs, state)
            next_states.append(state)
        return inputs, sum(next_states, [])


class SequentialRNNCell(_CellStack, RecurrentCell):
    """A stack of recurrent cells run one after another (the states are concatenated)."""

    def hybrid_forward(self, *args, **kwargs):
        raise NotImplementedError


class HybridSequentialRNNCell(_CellStack, HybridRecurrentCell):
    """A stack of hybrid recurrent cells (see :class:`SequentialRNNCell`)."""

    def hybrid_forward(self, F, inputs, states):
        return _CellStack.__call__(self, inputs, states)


from minigluon.rnn.rnn_modifiers import (  # noqa: E402,F401  (they subclass the cells above)
    BidirectionalCell, DropoutCell, ModifierCell, ResidualCell, ZoneoutCell)
