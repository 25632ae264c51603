"""Helpers of the recurrent cells: sequence formatting, default begin states, variable-length masks.

A sequence is either one array with a time axis (``layout`` 'NTC' or 'TNC') or a list of per-step
``(N, C)`` arrays; NDArrays and Symbols are both accepted (``F`` is the matching namespace).
"""
from minigluon import ndarray
from minigluon.base import MXNetValueError, ValueAssertionError
from minigluon.ndarray import NDArray


def _symbol_type():
    try:
        from minigluon.symbol import Symbol
        return Symbol
    except ImportError:   # pragma: no cover - the symbol package is optional here
        return ()


def _is_tensor(x):
    return isinstance(x, NDArray) or isinstance(x, _symbol_type())


def _steps(split):
    """The list of steps ``F.split`` returned: one NDArray when it made one, else its outputs (a
    Symbol of several outputs iterates over them, as in MXNet)."""
    return [split] if isinstance(split, NDArray) else list(split)


def _namespace(x):
    if isinstance(x, NDArray):
        return ndarray
    from minigluon import symbol
    return symbol


def format_sequence(length, inputs, layout, merge, in_layout=None):
    """Bring ``inputs`` to one array in ``layout`` (``merge=True``), a list of steps (False) or leave it.

    Returns
    -------
    (inputs, time_axis, F, batch_size)
        ``batch_size`` is 0 for Symbols.

    Raises
    ------
    MXNetValueError
        When ``layout`` is not 'NTC'/'TNC' (MXNet 1.9.1 does not check it and fails in an
        operator, an ``MXNetError``).
    ValueAssertionError
        When ``inputs`` is None or the number of steps differs from ``length`` (MXNet 1.9.1
        asserts both).
    """
    if layout not in ('NTC', 'TNC'):
        raise MXNetValueError("unroll: layout must be 'NTC' or 'TNC', got %r" % (layout,))
    if inputs is None:
        raise ValueAssertionError('unroll: inputs must be given')
    axis, batch_axis = layout.find('T'), layout.find('N')
    in_axis = in_layout.find('T') if in_layout is not None else axis
    batch_size = 0
    if _is_tensor(inputs):
        F = _namespace(inputs)
        if isinstance(inputs, NDArray):
            batch_size = inputs.shape[batch_axis]
            if length is not None and length != inputs.shape[in_axis]:
                raise ValueAssertionError('unroll: length=%d but the inputs have %d steps on axis %d'
                                 % (length, inputs.shape[in_axis], in_axis))
        if merge is False:
            steps = inputs.shape[in_axis] if isinstance(inputs, NDArray) else length
            inputs = F.split(inputs, axis=in_axis, num_outputs=steps, squeeze_axis=1)
            inputs = _steps(inputs)
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise ValueAssertionError('unroll: length=%d but %d input steps were given' % (length, len(inputs)))
        F = _namespace(inputs[0])
        if isinstance(inputs[0], NDArray):
            batch_size = inputs[0].shape[0]    # each step is (N, C), whatever the layout
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if _is_tensor(inputs) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def get_begin_state(cell, F, begin_state, inputs, batch_size):
    """``begin_state`` if given, else the cell's zero states on the inputs' context."""
    if begin_state is not None:
        return begin_state
    if F is ndarray:
        first = inputs if isinstance(inputs, NDArray) else inputs[0]
        with first.context:
            return cell.begin_state(func=ndarray.zeros, batch_size=batch_size, dtype=first.dtype)
    if not hasattr(F, 'zeros'):
        raise ValueError('unroll on Symbols needs begin_state (minigluon.symbol has no zeros)')
    return cell.begin_state(func=F.zeros, batch_size=batch_size)


def mask_variable_length(F, data, length, valid_length, time_axis, merge):
    """Zero the steps of ``data`` at or beyond ``valid_length`` (``SequenceMask``)."""
    if not _is_tensor(data):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                             axis=time_axis)
    if not merge:
        outputs = F.split(outputs, num_outputs=length, axis=time_axis, squeeze_axis=True)
        outputs = _steps(outputs)
    return outputs


def reverse_sequences(sequences, unroll_step, valid_length=None):
    """Reverse a list of steps in time (each sequence within its ``valid_length``)."""
    if valid_length is None:
        return list(reversed(sequences))
    F = _namespace(sequences[0])
    rev = F.SequenceReverse(F.stack(*sequences, axis=0), sequence_length=valid_length,
                            use_sequence_length=True)
    if unroll_step > 1 or F is not ndarray:
        rev = F.split(rev, axis=0, num_outputs=unroll_step, squeeze_axis=True)
        return _steps(rev)
    return [rev[0]]
