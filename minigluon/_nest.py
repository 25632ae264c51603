"""Nested lists as a flat list plus a structure code (MXNet 1.9.1's ``_flatten``/``_regroup`` for
control flow and ``summary``).

A leaf is ``0``, a list or tuple is the list of its items' codes (so ``[a, [b, c]]`` has code
``[0, [0, 0]]``). :func:`regroup` rebuilds the structure (lists, never tuples) from a flat list
and a code. The hybridized blocks' argument codes, which also encode ``None`` and multi-output
symbols, are in :mod:`minigluon.block._graph`.
"""

__all__ = ['flatten', 'regroup']


def flatten(args, leaf_type=None, what='argument'):
    """``(leaves, code)`` for ``args``: a ``leaf_type`` or a (nested) list/tuple of them (with
    ``leaf_type`` None, anything that is not a list or tuple is a leaf).

    Raises
    ------
    TypeError
        Naming ``what`` when an item is neither a ``leaf_type`` nor a list or tuple.
    """
    is_leaf = (not isinstance(args, (list, tuple)) if leaf_type is None
               else isinstance(args, leaf_type))
    if is_leaf:
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
