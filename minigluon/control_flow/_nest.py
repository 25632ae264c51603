"""Nested lists of arrays (or symbols) as flat lists plus a structure code, for the control flow.

The code follows MXNet 1.9.1's ``contrib._flatten``: a leaf is ``0``, a list or tuple is the list
of its items' codes (so ``[a, [b, c]]`` has code ``[0, [0, 0]]``). :func:`regroup` rebuilds the
structure (lists, never tuples) from a flat list and a code.
"""

__all__ = ['flatten', 'regroup', 'check_callable', 'to_python_scalar']


def flatten(args, leaf_type, what):
    """``(leaves, code)`` for ``args``: a ``leaf_type`` or a (nested) list/tuple of them.

    Raises
    ------
    TypeError
        Naming ``what`` when an item is neither a ``leaf_type`` nor a list or tuple.
    """
    if isinstance(args, leaf_type):
        return [args], 0
    if not isinstance(args, (list, tuple)):
        raise TypeError('%s must be a %s or a (nested) list of %ss, got %s'
                        % (what, leaf_type.__name__, leaf_type.__name__, type(args).__name__))
    flat, codes = [], []
    for item in args:
        leaves, code = flatten(item, leaf_type, what)
        flat.extend(leaves)
        codes.append(code)
    return flat, codes


def regroup(flat, code):
    """The nested structure ``code`` describes, filled from the flat list ``flat`` in order."""
    out, rest = _take(list(flat), code)
    if rest:
        raise ValueError('regroup: %d items left over for structure %r' % (len(rest), code))
    return out


def _take(flat, code):
    if code == 0:
        return flat[0], flat[1:]
    out = []
    for item in code:
        value, flat = _take(flat, item)
        out.append(value)
    return out, flat


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
