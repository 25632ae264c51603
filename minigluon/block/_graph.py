"""Argument-structure codes of hybridized blocks (MXNet's ``_flatten``/``_regroup``, spec section 9).

Not the graph itself (a Symbol, traced by ``HybridBlock._get_graph``): the code of how a call's
nested arguments and outputs map to the graph's flat inputs and outputs. The simpler codes of
control flow and ``summary`` (no ``None``, no multi-output Symbols) are in :mod:`minigluon._nest`.

A nested argument list is flattened to its leaves plus a code: an NDArray is ``0``, ``None`` is
``-1``, a Symbol with ``n > 1`` outputs is ``n`` (one Symbol with 1 output is ``0``), and a list or
tuple is the list of its items' codes. A cached graph is reused only for an equal code (trailing
``-1`` entries may differ).
"""

from minigluon.base import describe_value
from minigluon.ndarray import NDArray


def flatten(args, inout_str):
    """Return ``(leaves, code)`` for nested ``args``.

    Raises
    ------
    ValueError
        For a leaf that is neither NDArray, Symbol nor None.
    """
    if isinstance(args, NDArray):
        return [args], 0
    if args is None:
        return [None], -1
    if isinstance(args, (list, tuple)):
        flat, fmts = [], []
        for item in args:
            leaves, fmt = flatten(item, inout_str)
            flat.extend(leaves)
            fmts.append(fmt)
        return flat, fmts
    outputs = getattr(args, 'list_outputs', None)
    if outputs is not None:     # a Symbol
        n = len(outputs())
        return [args], n if n > 1 else 0
    raise ValueError('When hybridized, the %s of HybridBlock must be (nested) list of Symbol or '
                     'NDArray, but got %s%s' % (inout_str, describe_value(args),
                                                '; convert it with mx.nd.array(...)'
                                                if inout_str == 'input' else ''))


def regroup(args, fmt):
    """Rebuild the nested structure described by ``fmt`` from the flat list ``args``."""
    return _merge(args, fmt)[0]


def _merge(args, fmt):
    if isinstance(fmt, int):
        if fmt < -1:
            raise ValueError('Unsupported encoded format {}.'.format(fmt))
        if fmt == 0:
            return args[0], args[1:]
        if fmt == -1:
            if args[0] is not None:
                raise ValueError('We do not support passing types that are not None when the '
                                 'initial HybridBlock has received NoneType and has been hybridized. '
                                 'Received arg = {}, fmt = {}.'.format(args[0], fmt))
            return None, args[1:]
        return args[:fmt], args[fmt:]
    ret = []
    for item in fmt:
        res, args = _merge(args, item)
        ret.append(res)
    return ret, args


def same_structure(fmt, stored):
    """True when ``fmt`` equals ``stored`` up to trailing ``-1`` (None) entries at the top level."""
    if fmt == stored:
        return True
    if not isinstance(fmt, list) or not isinstance(stored, list):
        return False
    short, long_ = (fmt, stored) if len(fmt) < len(stored) else (stored, fmt)
    return long_[:len(short)] == short and all(f == -1 for f in long_[len(short):])
