"""``nd.contrib.foreach``, ``nd.contrib.while_loop`` and ``nd.contrib.cond``: control flow on NDArrays.

Imperatively these are plain Python loops and branches over recorded operators (slices,
``stack``, ``concat``), so autograd differentiates through them like any other code. Calling
conventions and return structures are those of ``mxnet.ndarray.contrib`` in MXNet 1.9.1 (see
its documentation of ``foreach``, ``while_loop`` and ``cond``); the differences are listed in
each function's notes.
"""
from minigluon._nest import flatten, regroup
from minigluon.base import MXNetValueError
from minigluon.control_flow._checks import check_callable, to_python_scalar, unpack_pair
from minigluon.ndarray.creation import zeros
from minigluon.ndarray.ndarray import NDArray, call_op

__all__ = ['foreach', 'while_loop', 'cond']


def foreach(body, data, init_states):
    """Run ``body`` on each slice of ``data`` along axis 0, carrying loop states.

    Equivalent to::

        states = init_states
        for i in range(data.shape[0]):
            out, states = body(data[i], states)
            outs.append(out)
        return stack(outs), states

    Parameters
    ----------
    body : callable
        ``body(data_slice, states) -> (outputs, new_states)``. ``data_slice`` has the structure
        of ``data`` (an NDArray, or a list of slices); ``states`` that of ``init_states``.
        ``outputs`` is an NDArray or a (nested) list of them (possibly empty); ``new_states``
        must have the structure of ``init_states``.
    data : NDArray or (nested) list of NDArray
        Sliced along axis 0; every array must have the same length ``T >= 1`` there.
    init_states : NDArray or (nested) list of NDArray
        The initial loop states.

    Returns
    -------
    (outputs, states)
        ``outputs`` has the structure of one step's outputs, each array the ``T`` step outputs
        stacked on a new axis 0 (shape ``(T,) + step shape``); ``states`` is what the last step
        returned.

    Raises
    ------
    TypeError
        If ``body`` is not callable, ``data`` or ``init_states`` holds something other than
        NDArrays, or ``body`` returns something else than a pair (an NDArray: a
        :class:`~minigluon.control_flow._checks.NotAPairError`, also a ``ValueError``) or a
        pair holding something else than NDArrays.
    ValueError
        If ``body`` returns a list or tuple of another length than 2 (MXNet's unpacking
        error), the data arrays differ in length along axis 0 or are empty (or 0-d), the states
        ``body`` returns are structured unlike ``init_states``, or the outputs change
        structure or shape between steps.

    Notes
    -----
    Semantics of ``mx.nd.contrib.foreach`` (MXNet 1.9.1). Deliberate differences: nested data
    lists are sliced leaf by leaf (MXNet slices only the top-level items), and structure,
    length and empty-data mistakes raise the errors above, where MXNet does not check (it
    loops over the first array's length; states of another structure fail later, with an
    ``IndexError`` or a ``TypeError``, or not at all) or, for empty data, fails with an
    ``UnboundLocalError``.
    """
    check_callable(body, 'body', 'foreach')
    flat_data, data_fmt = flatten(data, NDArray, 'foreach: data')
    flat_states, state_fmt = flatten(init_states, NDArray, 'foreach: init_states')
    if not flat_data:
        raise ValueError('foreach: data must hold at least one NDArray')
    num_iters = _common_length(flat_data, 'foreach')
    states = init_states
    outputs, out_fmt = [], None
    for i in range(num_iters):
        eles = regroup([d[i] for d in flat_data], data_fmt)
        outs, states = unpack_pair(body(eles, states), 'foreach', 'body', 'outputs', 'states')
        outs, fmt = flatten(outs, NDArray, 'foreach: the outputs returned by body')
        _, new_state_fmt = flatten(states, NDArray, 'foreach: the states returned by body')
        if new_state_fmt != state_fmt:
            raise ValueError('foreach: body must return states structured like init_states '
                             '(structure %r), got structure %r at step %d'
                             % (state_fmt, new_state_fmt, i))
        if out_fmt is not None and fmt != out_fmt:
            raise ValueError('foreach: body returned outputs of structure %r at step %d but %r '
                             'before; every step must return the same structure' % (fmt, i, out_fmt))
        out_fmt = fmt
        outputs.append(outs)
    stacked = [_stack(items, 'foreach') for items in zip(*outputs)]
    return regroup(stacked, out_fmt), states


def _common_length(arrays, fname):
    lengths = []
    for a in arrays:
        if a.ndim == 0:
            raise ValueError('%s: data arrays must have at least one dimension (sliced along '
                             'axis 0), got a 0-d array' % fname)
        lengths.append(a.shape[0])
    if len(set(lengths)) != 1:
        raise ValueError('%s: every data array must have the same length along axis 0, got shapes '
                         '%s' % (fname, [tuple(a.shape) for a in arrays]))
    if lengths[0] == 0:
        raise ValueError('%s: data has length 0 along axis 0; at least one step is needed to '
                         'know the outputs' % fname)
    return lengths[0]


def _stack(items, fname):
    shapes = {tuple(x.shape) for x in items}
    if len(shapes) != 1:
        # MXNet's stack / concat fail with MXNetError: this is both that and a ValueError
        raise MXNetValueError('%s: a step output changed shape between steps: %s'
                              % (fname, [tuple(x.shape) for x in items]))
    return call_op('stack', *items, axis=0, num_args=len(items))


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Run ``func`` while ``cond`` holds, at most ``max_iterations`` times.

    Parameters
    ----------
    cond : callable
        ``cond(*loop_vars)`` returns a one-element NDArray (or a Python value); the loop stops
        when it is false (zero).
    func : callable
        ``func(*loop_vars) -> (step_output, new_loop_vars)``. ``step_output`` is an NDArray, a
        (nested) list of them, or None; ``new_loop_vars`` an NDArray or a list with as many
        items as ``loop_vars``.
    loop_vars : NDArray or list of NDArray
        The initial loop variables (at least one).
    max_iterations : int or one-element NDArray
        Required: the bound on the number of steps, and the length of the stacked outputs.

    Returns
    -------
    (outputs, states)
        ``outputs``: each step output stacked on a new axis 0 and padded to ``max_iterations``
        rows (structured like one step's output; ``[]`` when no step ran). ``states``: the
        final loop variables, a list (an NDArray if ``loop_vars`` was one).

    Raises
    ------
    TypeError
        If ``cond`` or ``func`` is not callable or ``func`` returns something else than a
        pair (an NDArray: a :class:`~minigluon.control_flow._checks.NotAPairError`, also a
        ``ValueError``).
    ValueError
        If ``func`` returns a list or tuple of another length than 2, ``max_iterations`` is
        missing or not an integer, ``loop_vars`` is empty, ``cond``
        does not return a scalar, ``func`` returns a different number of loop variables or of
        step outputs, or a step output changes shape.

    Notes
    -----
    Semantics of ``mx.nd.contrib.while_loop`` (MXNet 1.9.1). The padding rows (after the last
    step) are zeros; MXNet leaves them uninitialised (``nd.empty``).
    """
    check_callable(cond, 'cond', 'while_loop')
    check_callable(func, 'func', 'while_loop')
    if max_iterations is None:
        raise ValueError('while_loop: max_iterations should be specified (an int)')
    max_iterations = to_python_scalar(max_iterations, int, 'while_loop: max_iterations')
    single = isinstance(loop_vars, NDArray)
    loop_vars = [loop_vars] if single else loop_vars
    if not isinstance(loop_vars, (list, tuple)):
        raise TypeError('while_loop: loop_vars must be an NDArray or a list of NDArrays, got %s'
                        % type(loop_vars).__name__)
    loop_vars = list(loop_vars)
    if not loop_vars:
        raise ValueError('while_loop: loop_vars should contain at least one element')
    flatten(loop_vars, NDArray, 'while_loop: loop_vars')
    steps, outputs, out_fmt = 0, [], None
    while steps < max_iterations and to_python_scalar(
            cond(*loop_vars), bool, 'while_loop: the return value of cond'):
        step_output, new_vars = unpack_pair(func(*loop_vars), 'while_loop', 'func',
                                             'step_output', 'new_loop_vars')
        step_output = [] if step_output is None else step_output
        new_vars = [] if new_vars is None else new_vars
        new_vars = [new_vars] if isinstance(new_vars, NDArray) else list(new_vars)
        if len(new_vars) != len(loop_vars):
            raise ValueError('while_loop: func returned %d loop variables, expected %d (the length '
                             'of loop_vars must stay the same)' % (len(new_vars), len(loop_vars)))
        flatten(new_vars, NDArray, 'while_loop: the loop variables returned by func')
        flat_out, fmt = flatten(step_output, NDArray, 'while_loop: the step_output returned by func')
        if out_fmt is not None and len(flat_out) != len(outputs[0]):
            raise ValueError('while_loop: number of elements in step_output should be the same '
                             'in each step (%d at step 0, %d at step %d)'
                             % (len(outputs[0]), len(flat_out), steps))
        out_fmt = fmt if out_fmt is None else out_fmt
        outputs.append(flat_out)
        loop_vars = new_vars
        steps += 1
    stacked = []
    for items in zip(*outputs):
        rows = _stack(list(items), 'while_loop')
        if steps < max_iterations:
            pad = zeros((max_iterations - steps,) + rows.shape[1:], ctx=rows.context,
                        dtype=rows.dtype)
            rows = call_op('concat', rows, pad, dim=0, num_args=2)
        stacked.append(rows)
    if out_fmt is not None:
        stacked = regroup(stacked, out_fmt)
    return stacked, (loop_vars[0] if single else loop_vars)


def cond(pred, then_func, else_func):
    """``then_func()`` if ``pred`` is true (non-zero), else ``else_func()``.

    Parameters
    ----------
    pred : one-element NDArray (or a Python value)
    then_func, else_func : callable
        Functions of no arguments returning an NDArray or a (nested) list of them.

    Returns
    -------
    What the chosen function returns.

    Raises
    ------
    TypeError
        If ``then_func`` or ``else_func`` is not callable.
    ValueError
        If ``pred`` has more than one element.

    Notes
    -----
    Semantics of ``mx.nd.contrib.cond`` (MXNet 1.9.1): only the chosen branch runs.
    """
    check_callable(then_func, 'then_func', 'cond')
    check_callable(else_func, 'else_func', 'cond')
    if to_python_scalar(pred, bool, 'cond: pred'):
        return then_func()
    return else_func()
