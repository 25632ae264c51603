"""Argument checks shared by the control-flow functions (nested lists are flattened by
:mod:`minigluon._nest`)."""

__all__ = ['check_callable', 'to_python_scalar']


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
