"""Fused recurrent operators: ``RNN`` (modes rnn_relu, rnn_tanh, lstm, gru) and ``_rnn_param_concat``.

Semantics follow MXNet 1.9.1's ``RNN`` operator (``src/operator/rnn.cc``), which uses cuDNN's
formulas and parameter layout. For one layer and direction, with ``x_t`` the input and ``h`` the
previous state (``G`` gates of size ``H`` each, gate blocks stacked along the rows of the weights):

* rnn_tanh / rnn_relu: ``h' = act(W_x x_t + b_x + W_h h + b_h)``
* lstm, gates ``[i, f, g, o]``: ``i, f, o = sigmoid(.)``, ``g = tanh(.)``, ``c' = f c + i g``,
  ``h' = o tanh(c')``
* gru, gates ``[r, z, n]``: ``r, z = sigmoid(W_x x + b_x + W_h h + b_h)`` (their blocks),
  ``n = tanh(W_xn x + b_xn + r * (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``

The flat ``parameters`` vector holds first all weights, for each layer and then each direction
``W_x (G*H, in)`` then ``W_h (G*H, H)``, and then all biases ``b_x (G*H,)``, ``b_h (G*H,)`` in the
same order. Layer ``l > 0`` reads the concatenated outputs of both directions (``in = D*H``).

The per-direction kernels (forward and exact BPTT) live in :mod:`minigluon.ops._rnn_kernels`.
"""
import functools

import numpy as np

from minigluon import autograd
from minigluon.base import ShapeConflictError
from minigluon.ops import _parallel
from minigluon.ops._rnn_kernels import (  # noqa: F401  (GATES, rnn_param_size: public helpers)
    GATES, dir_backward, dir_forward, rnn_param_size, split_params)
from minigluon.ops.registry import Attr, Op, check_given_shapes, register, require_float, shape_error
from minigluon.ops.shape import _Joining, _same_dtype


@register
class RNN(Op):
    """Fused multi-layer recurrent network (MXNet ``RNN``), forward and exact BPTT.

    Inputs: ``data (T, N, I)``, ``parameters`` (flat, see the module docstring; length
    :func:`rnn_param_size`), ``state (L*D, N, R)``, ``state_cell (L*D, N, H)`` (lstm only),
    ``sequence_length (N,)`` (only with ``use_sequence_length``). Float32 or float64.
    ``R = H``, except for an LSTM with ``projection_size`` ``P`` (LSTMP, Sak et al. 2014):
    each step's ``o * tanh(c')`` is projected by ``W_r (P, H)`` to the recurrent state
    ``r = W_r (o * tanh(c'))`` of size ``P``, which is also the output and feeds ``W_h (4H, P)``;
    the flat vector then holds ``W_r`` after ``W_h`` of each layer and direction (MXNet 1.9.1's
    layout, checked against its CPU build).

    Outputs: ``out (T, N, D*R)``; with ``state_outputs`` also ``hy (L*D, N, R)`` and for lstm
    ``cy (L*D, N, H)``. State index ``l*D + d`` holds layer ``l``, direction ``d`` (0 forward,
    1 reverse).

    ``p`` is dropout on the inputs of layers 1..L-1, applied only in training mode
    (``autograd.is_training()``). ``lstm_state_clip_min/max`` clip the cell state after each step
    (its gradient stops where clipped). With ``use_sequence_length``, steps at or beyond a sequence's
    length output 0 and leave its state unchanged, and the reverse direction starts at its last
    valid step. Both follow MXNet's cuDNN (GPU) path: MXNet 1.9.1's CPU build silently ignores the
    lengths and the clip (observed), which minigluon does not copy.
    ``lstm_state_clip_nan`` turns a NaN
    cell value into ``lstm_state_clip_min`` (NaN-ignoring min/max, as cuDNN's non-propagating clip).

    A ``state``/``state_cell`` of batch size 0, ``(L*D, 0, H)``, reads as zeros: MXNet graphs
    exported from Gluon layers called on Symbols hold ``_zeros(shape=(L*D, 0, H))`` begin states
    whose batch size MXNet's shape inference fills in.

    Raises
    ------
    ValueError
        When an input's shape does not match the attributes (the message lists every input), or
        a ``sequence_length`` lies outside ``[0, T]`` (cuDNN rejects those too; MXNet's CPU build
        ignores the lengths). Fractional lengths are truncated.
    """

    name = 'RNN'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'parameters', 'state', 'state_cell', 'sequence_length')
    uses_workspace = True    # a static_alloc CachedOp sets ``self.static_workspace`` (ops/_workspace.py)
    attrs = {
        'state_size': Attr('int'),
        'num_layers': Attr('int'),
        'bidirectional': Attr('bool', False),
        'mode': Attr('str', choices=('rnn_relu', 'rnn_tanh', 'lstm', 'gru')),
        'p': Attr('number', 0.0),
        'state_outputs': Attr('bool', False),
        'projection_size': Attr('int', None),
        'lstm_state_clip_min': Attr('float', None),
        'lstm_state_clip_max': Attr('float', None),
        'lstm_state_clip_nan': Attr('bool', False),
        'use_sequence_length': Attr('bool', False),
    }

    def check_attrs(self):
        if self.state_size <= 0 or self.num_layers <= 0:
            raise ValueError('RNN: state_size and num_layers must be positive, got %d and %d'
                             % (self.state_size, self.num_layers))
        if not 0.0 <= self.p < 1.0:
            raise ValueError('RNN: p (dropout) must be in [0, 1), got %r' % self.p)
        if (self.lstm_state_clip_min is None) != (self.lstm_state_clip_max is None):
            raise ValueError('RNN: give both lstm_state_clip_min and lstm_state_clip_max, or neither')
        self.num_outputs = (3 if self.mode == 'lstm' else 2) if self.state_outputs else 1

    def list_arguments(self):
        names = ['data', 'parameters', 'state']
        if self.mode == 'lstm':
            names.append('state_cell')
        if self.use_sequence_length:
            names.append('sequence_length')
        return names

    def list_outputs(self):
        return ['output', 'state_output', 'statecell_output'][:self.num_outputs]

    def _dims(self):
        return self.num_layers, 2 if self.bidirectional else 1, self.state_size

    def _recurrent_size(self):
        """Size of the recurrent state and of the output per direction: the projection, or H."""
        if self.projection_size is not None:
            if self.mode != 'lstm' or self.projection_size <= 0:
                raise ValueError('RNN: projection_size must be a positive int and needs '
                                 "mode='lstm', got %r with mode=%r" % (self.projection_size, self.mode))
            return self.projection_size
        return self.state_size

    def _rank_message(self, shape):
        """Why data of ``shape`` has the wrong rank: the rank and layout wanted, the rank given."""
        return ('data must be 3-D, layout TNC (sequence length, batch size, features per step), '
                'got %d-D data of shape %s' % (len(shape), tuple(shape)))

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is not None and len(data) != 3:     # known, of the wrong rank: a conflict
            raise ShapeConflictError('RNN: ' + self._rank_message(data))
        if data is None or data[2] == 0:
            raise ValueError('RNN: the data shape (T, N, I) must be known, at least I (T and N may '
                             'be 0, unknown), got %s' % (data,))
        layers, dirs, hid = self._dims()
        rec = self._recurrent_size()
        T, N, ni = data
        state, cell = (layers * dirs, N, rec), (layers * dirs, N, hid)
        shapes = [data, (rnn_param_size(self.mode, layers, ni, hid, self.bidirectional,
                                        self.projection_size),), state]
        if self.mode == 'lstm':
            shapes.append(cell)
        if self.use_sequence_length:
            shapes.append((N,))
        check_given_shapes(self, in_shapes, shapes)
        return shapes, [(T, N, dirs * rec), state, cell][:self.num_outputs]

    def _check_inputs(self, arrays):
        layers, dirs, hid = self._dims()
        names = self.list_arguments()
        if len(arrays) != len(names):
            raise ValueError('RNN: expected %d inputs %s for mode=%r, use_sequence_length=%r, got %d'
                             % (len(names), names, self.mode, self.use_sequence_length, len(arrays)))
        data = arrays[0]
        if data.ndim != 3:
            raise shape_error(self, self._rank_message(data.shape), *arrays)
        want = self.infer_shape([tuple(data.shape)] + [None] * (len(arrays) - 1))[0]
        for name, arr, shape in zip(names, arrays, want):
            if name in ('state', 'state_cell') and arr.shape == (shape[0], 0, shape[2]):
                continue   # a zero-batch begin state reads as zeros (see the class docstring)
            if name != 'sequence_length' and tuple(arr.shape) != shape:
                raise shape_error(self, self._mismatch_message(name, arr.shape, shape, data.shape[2]),
                                  *arrays)
        if self.use_sequence_length:
            lengths = arrays[-1]
            if lengths.shape != (data.shape[1],):
                raise shape_error(self, 'sequence_length must have shape (N,)', *arrays)
            if lengths.size and not (0 <= float(lengths.min()) and float(lengths.max()) <= data.shape[0]):
                raise ValueError('RNN: sequence_length must hold lengths between 0 and the number of '
                                 'steps T=%d, got %s' % (data.shape[0], lengths.tolist()))

    def _param_input_size(self, size):
        """The input size (features per step) for which a flat parameter vector of ``size``
        entries was made, or None if no input size gives that length (only the first layer's
        ``W_x`` depends on it, linearly)."""
        layers, dirs, hid = self._dims()
        fixed = rnn_param_size(self.mode, layers, 0, hid, self.bidirectional, self.projection_size)
        per_feature = dirs * GATES[self.mode] * hid
        ni, left = divmod(size - fixed, per_feature)
        return ni if ni > 0 and not left else None

    def _mismatch_message(self, name, got, want, features):
        """What is wrong when input ``name`` has shape ``got`` instead of ``want``: for the
        parameters, usually data with another number of features than the layer was built for."""
        built_for = self._param_input_size(got[0]) if name == 'parameters' and len(got) == 1 else None
        if built_for is not None and built_for != features:
            return ('data has %d features per step, but the parameters %s were made for input_size=%d '
                    '(mode=%r, state_size=%d, num_layers=%d%s)'
                    % (features, tuple(got), built_for, self.mode, self.state_size, self.num_layers,
                       ', bidirectional' if self.bidirectional else ''))
        return 'input %r must have shape %s' % (name, want)

    def forward(self, xp, data, parameters, state, *rest):
        require_float(self, data)        # as MXNet 1.9.1 (bool data failed inside a kernel)
        self._check_inputs((data, parameters, state) + rest)
        rest = list(rest)
        state_cell = rest.pop(0) if self.mode == 'lstm' else None
        self.empty_states = state.shape[1] != data.shape[1]
        if self.empty_states:
            state = xp.zeros(state.shape[:1] + data.shape[1:2] + state.shape[2:], dtype=data.dtype)
        seq_len = rest.pop(0) if self.use_sequence_length else None
        layers, dirs, hid = self._dims()
        rec = self._recurrent_size()
        T, N, ni = data.shape
        dt = data.dtype
        if state_cell is not None and state_cell.shape[1] != N:
            state_cell = xp.zeros((layers * dirs, N, hid), dtype=dt)
        weights = split_params(parameters.astype(dt, copy=False), self.mode, layers, dirs, ni, hid,
                               self.projection_size)
        clip = None
        if self.mode == 'lstm' and self.lstm_state_clip_min is not None:
            clip = (self.lstm_state_clip_min, self.lstm_state_clip_max, self.lstm_state_clip_nan)
        mask = None
        if seq_len is not None:
            lengths = seq_len.astype(np.int64)
            mask = (xp.arange(T)[:, None] < lengths[None, :])[:, :, None]
        training = self.p > 0 and autograd.is_training()
        x = data
        # a hybridized graph with static_alloc lends a dict per call site: buffers reused across calls
        workspace = getattr(self, 'static_workspace', None)
        hy = xp.empty((layers * dirs, N, rec), dtype=dt)
        cy = xp.empty((layers * dirs, N, hid), dtype=dt) if self.mode == 'lstm' else None
        self.caches, self.drop_masks = [], []
        for layer in range(layers):
            if layer > 0 and training:
                from minigluon.random import draw_uniform
                keep = (draw_uniform(xp, x.shape, dtype=dt) >= self.p).astype(dt) / dt.type(1 - self.p)
                x = x * keep
                self.drop_masks.append(keep)
            out = xp.empty((T, N, dirs * rec), dtype=dt)
            jobs = []       # the directions are independent: worker threads may run them at once
            for d in range(dirs):
                k = layer * dirs + d
                rev = slice(None, None, -1) if d == 1 else slice(None)
                jobs.append(functools.partial(
                    dir_forward, xp, self.mode, x[rev], *weights[k][:4], state[k],
                    None if state_cell is None else state_cell[k],
                    None if mask is None else mask[rev], clip,
                    None if workspace is None else workspace.setdefault(k, {}), wr=weights[k][4]))
            for d, (o, h_last, c_last, cache) in enumerate(_parallel.run(jobs, xp)):
                k = layer * dirs + d
                rev = slice(None, None, -1) if d == 1 else slice(None)
                hy[k] = h_last
                if c_last is not None:
                    cy[k] = c_last
                out[:, :, d * rec:(d + 1) * rec] = o[rev]
                self.caches.append(cache)
            x = out
        self.shapes = (data.shape, parameters.shape, parameters.dtype, state.shape,
                       None if cy is None else cy.shape, seq_len)
        outs = (x, hy, cy)[:self.num_outputs]
        return outs if self.num_outputs > 1 else x

    def backward(self, xp, dout, dhy=None, dcy=None):
        layers, dirs, hid = self._dims()
        rec = self._recurrent_size()
        data_shape, p_shape, p_dtype, s_shape, c_shape, seq_len = self.shapes
        T, N, ni = data_shape
        dgrads = [None] * (layers * dirs)
        dstate = xp.zeros(s_shape, dtype=dout.dtype)
        dcell = xp.zeros(c_shape, dtype=dout.dtype) if self.mode == 'lstm' else None
        need = getattr(self, 'needs_input_grad', None)     # set by autograd / CachedOp
        need_data = need is None or need[0]
        for layer in range(layers - 1, -1, -1):
            dx = None
            need_x = layer > 0 or need_data
            jobs = []       # the directions are independent: worker threads may run them at once
            for d in range(dirs):
                k = layer * dirs + d
                rev = slice(None, None, -1) if d == 1 else slice(None)
                jobs.append(functools.partial(
                    dir_backward, xp, self.caches[k], dout[rev][:, :, d * rec:(d + 1) * rec],
                    None if dhy is None else dhy[k], None if dcy is None else dcy[k], need_x))
            for d, g in enumerate(_parallel.run(jobs, xp)):
                k = layer * dirs + d
                rev = slice(None, None, -1) if d == 1 else slice(None)
                dgrads[k] = g[1:5] + (g[7],)      # dW_x, dW_h, db_x, db_h, dW_r (None: no projection)
                dstate[k] = g[5]
                if dcell is not None:
                    dcell[k] = g[6]
                if need_x:
                    dx = g[0][rev] if dx is None else dx + g[0][rev]
            if layer > 0 and self.drop_masks:     # (dx is always computed for layer > 0)
                dx = dx * self.drop_masks[layer - 1]
            dout = dx
        # MXNet's layout: every (W_x, W_h[, W_r]) by layer and direction, then every (b_x, b_h)
        flat = ([w.ravel() for g in dgrads for w in (g[0], g[1], g[4]) if w is not None]
                + [b for g in dgrads for b in g[2:4]])
        dparams = xp.concatenate(flat).astype(p_dtype, copy=False)
        grads = [dout, dparams, dstate]
        if self.mode == 'lstm':
            grads.append(dcell)
        if self.empty_states:   # zero-batch begin states (constants) get empty gradients
            grads[2:] = [xp.zeros((g.shape[0], 0, g.shape[2]), dtype=g.dtype) for g in grads[2:]]
        if self.use_sequence_length:
            grads.append(None)
        return tuple(grads)


@register
class RNNParamConcat(_Joining):
    """Concatenate the fused RNN's weights and biases (MXNet ``_rnn_param_concat``).

    Like ``Concat`` along ``dim``; Gluon's ``rnn.LSTM/GRU/RNN`` layers flatten each parameter and
    join them in the ``RNN`` operator's layout. Inputs: ``num_args`` arrays equal in every axis but
    ``dim``.

    Raises
    ------
    ValueError
        When the shapes differ outside ``dim`` or ``num_args`` does not match the inputs.
    """

    name = '_rnn_param_concat'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = None
    attrs = {'num_args': Attr('int'), 'dim': Attr('int', 1)}

    def forward(self, xp, *arrays):
        if len(arrays) != self.num_args:
            raise ValueError('_rnn_param_concat: num_args=%d but %d inputs were given'
                             % (self.num_args, len(arrays)))
        ndim = arrays[0].ndim
        if not -ndim <= self.dim < ndim:
            raise ValueError('_rnn_param_concat: dim=%d is out of range for %d-D inputs' % (self.dim, ndim))
        axis = self.dim % ndim
        for a in arrays:
            if a.ndim != ndim or any(a.shape[i] != arrays[0].shape[i] for i in range(ndim) if i != axis):
                raise shape_error(self, 'inputs must match in every axis but dim=%d' % self.dim, *arrays)
        self.sizes = [a.shape[axis] for a in arrays]
        self.axis = axis
        return xp.concatenate(_same_dtype(arrays), axis=axis)

    def infer_shape(self, in_shapes):
        """Forward as ``Concat``; backwards, inputs of unknown shape share what the known output
        leaves (equally: they are the first layer's i2h weights, one per direction)."""
        out = (getattr(self, '_infer_outputs', None) or [None])[0]
        unknown = [i for i, s in enumerate(in_shapes) if s is None or 0 in s]
        if unknown and out is not None and 0 not in out:
            axis = self.dim % len(out)
            rest = out[axis] - sum(s[axis] for i, s in enumerate(in_shapes) if i not in unknown)
            if rest > 0 and rest % len(unknown) == 0:
                filled = list(in_shapes)
                for i in unknown:
                    filled[i] = tuple(rest // len(unknown) if a == axis else d
                                      for a, d in enumerate(out))
                return filled, [tuple(out)]
        return super().infer_shape(in_shapes)

    def backward(self, xp, grad):
        bounds = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(xp.split(grad, bounds, axis=self.axis))
