"""``mx.contrib.autograd``: the autograd API of MXNet before 1.0 (MXNet 1.9.1 still ships it),
a thin layer over :mod:`minigluon.autograd`.

Old scripts write::

    grads, loss = contrib.autograd.grad_and_loss(loss_fn)(x, y)

or mark variables and compute under ``train_section()``. Here one flag, "training", switches
both of today's flags: :func:`set_is_training` sets recording *and* training mode, and the two
sections set both on entry. New code uses ``autograd.record()`` and ``NDArray.attach_grad()``.
"""
import functools

from minigluon import autograd as _autograd
from minigluon.base import TypeAssertionError, ValueAssertionError
from minigluon.ndarray import NDArray, zeros_like

# one way to mark variables: the modern function, which takes the same arguments
mark_variables = _autograd.mark_variables

__all__ = ['set_is_training', 'TrainingStateScope', 'train_section', 'test_section',
           'mark_variables', 'backward', 'compute_gradient', 'grad_and_loss', 'grad']


def set_is_training(is_train):
    """Set both the training and the recording flag of this thread to ``is_train``.

    Returns the previous *recording* flag (as MXNet 1.9.1, whose second C call's previous value
    is the one returned).
    """
    _autograd.set_training(is_train)
    return _autograd.set_recording(is_train)


class TrainingStateScope:
    """``with`` scope that calls :func:`set_is_training(enter_state) <set_is_training>` on entry
    and, on exit, sets both flags back to the recording flag found on entry, when that differs
    from ``enter_state`` (MXNet 1.9.1's rule: inside ``autograd.train_mode()`` without
    recording, a ``test_section()`` leaves training mode off after it)."""

    def __init__(self, enter_state):
        self._enter_state = enter_state
        self._prev = None

    def __enter__(self):
        self._prev = set_is_training(self._enter_state)

    def __exit__(self, *exc):
        if self._prev != self._enter_state:
            set_is_training(self._prev)


def train_section():
    """Scope that records operations in training mode (``autograd.record()`` today)."""
    return TrainingStateScope(True)


def test_section():
    """Scope with recording and training mode off (``autograd.pause()`` today)."""
    return TrainingStateScope(False)


def backward(outputs, out_grads=None, retain_graph=False):
    """Back-propagate from ``outputs`` (a list or tuple of NDArrays) into the marked variables,
    with ``out_grads`` as their head gradients (ones where None), in training mode.

    Raises
    ------
    TypeError
        When ``outputs`` is not a list or tuple (also an ``AssertionError``, as MXNet asserts).
    ValueError
        When ``out_grads`` has another length than ``outputs`` (also an ``AssertionError``).
    """
    if not isinstance(outputs, (list, tuple)):
        raise TypeAssertionError('contrib.autograd.backward: outputs must be a list or tuple of '
                                 'NDArrays, got %s' % type(outputs).__name__)
    if out_grads is not None and len(out_grads) != len(outputs):
        raise ValueAssertionError('contrib.autograd.backward: outputs and out_grads must have the '
                                  'same length, got %d and %d' % (len(outputs), len(out_grads)))
    _autograd.backward(list(outputs), None if out_grads is None else list(out_grads),
                       retain_graph=retain_graph)


def compute_gradient(outputs):
    """Deprecated in MXNet: :func:`backward` with ones as head gradients."""
    backward(outputs)


def grad_and_loss(func, argnum=None):
    """Wrap ``func`` so that a call returns ``(gradients, outputs)``.

    Parameters
    ----------
    func : callable
        Takes NDArrays, returns an NDArray or a list of them (each back-propagated with ones).
    argnum : int or list of int, optional
        The positions of the arguments to differentiate (default: all).

    The wrapped function runs ``func`` under :func:`train_section` and returns a list of fresh
    gradient arrays, one per differentiated argument, and what ``func`` returned.

    Raises
    ------
    TypeError
        When a differentiated argument is not an NDArray (also an ``AssertionError``, as MXNet
        asserts).
    """
    @functools.wraps(func)
    def wrapped(*args):
        variables = args
        if argnum is not None:
            positions = argnum if isinstance(argnum, list) else [argnum]
            variables = [args[i] for i in positions]
        for x in variables:
            if not isinstance(x, NDArray):
                raise TypeAssertionError('contrib.autograd: the arguments to differentiate must be '
                                         'NDArrays, got %s' % type(x).__name__)
        grads = [zeros_like(x) for x in variables]
        mark_variables(list(variables), grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if isinstance(outputs, NDArray) else outputs)
        return grads, outputs
    return wrapped


def grad(func, argnum=None):
    """Wrap ``func`` so that a call returns only the gradients of :func:`grad_and_loss`."""
    grad_with_loss_func = grad_and_loss(func, argnum)

    @functools.wraps(grad_with_loss_func)
    def wrapped(*args):
        return grad_with_loss_func(*args)[0]
    return wrapped
