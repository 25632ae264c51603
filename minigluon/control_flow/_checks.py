"""Argument checks shared by the control-flow functions (nested lists are flattened by
:mod:`minigluon._nest`)."""

__all__ = ['NotAPairError', 'check_callable', 'unpack_pair', 'to_python_scalar']


class NotAPairError(TypeError, ValueError):
    """A body returned an array (or Symbol) where a pair was due. MXNet 1.9.1 unpacks it
    (``outs, states = body(...)``) and so raises ``ValueError`` unless it happens to have two
    rows, which it then takes as outputs and states; minigluon always refuses, with an error
    that is both the ``TypeError`` it always raised and MXNet's ``ValueError``."""


def unpack_pair(result, fname, fn_name, first, second):
    """``result`` if it is a pair (a list or tuple of two items).

    Raises
    ------
    ValueError
        A list or tuple of another length (MXNet's "not enough values to unpack").
    NotAPairError
        An array or Symbol (a ``TypeError`` and a ``ValueError``).
    TypeError
        Anything else (``None``, a number: MXNet's "cannot unpack non-iterable").
    """
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result
    if isinstance(result, (tuple, list)):
        cls, got = ValueError, 'a sequence of %d items' % len(result)
    else:
        cls = NotAPairError if hasattr(result, '__iter__') else TypeError
        got = type(result).__name__
    raise cls('%s: %s must return a pair (%s, %s), got %s' % (fname, fn_name, first, second, got))


def check_callable(fn, argname, fname):
    """Raise TypeError naming ``fname``'s argument ``argname`` unless ``fn`` is callable."""
    if not callable(fn):
        raise TypeError('%s: %s must be a Python function (callable), got %s'
                        % (fname, argname, type(fn).__name__))


def to_python_scalar(value, type_, what):
    """``type_(value)``, reading a one-element array first (MXNet's ``_to_python_scalar``).

    Raises
    ------
    ValueError
        Naming ``what`` if ``value`` has more than one element or does not convert.
    """
    if hasattr(value, 'asscalar'):
        if getattr(value, 'size', 1) != 1:
            raise ValueError('%s must be a scalar (a one-element array), got an array of shape %s'
                             % (what, tuple(value.shape)))
        value = value.asscalar()
    try:
        return type_(value)
    except (TypeError, ValueError):
        raise ValueError('cannot convert %s (%r) to a Python %s' % (what, value, type_.__name__)) from None
