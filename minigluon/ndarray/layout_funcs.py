"""``split_v2`` and ``moveaxis``: MXNet 1.9.1's Python-level functions over ``_split_v2`` and
``transpose`` (``mxnet/ndarray/ndarray.py``, ``mxnet/symbol/symbol.py``).

``nd.split_v2(x, 3)`` computes the split points from the array's shape and writes them into the
operator's ``indices``; ``sym.split_v2(s, 3)`` cannot see a shape, so it passes ``sections=3``
instead, and the two write different (both valid) ``_split_v2`` attributes, as in MXNet.
``moveaxis`` needs the number of axes, so it exists for NDArrays only (as in MXNet).
"""
import numbers

__all__ = ['make_layout_functions']


def _split_args(indices_or_sections):
    """``(indices, sections)`` for ``_split_v2`` from the user's argument; raise a clear error."""
    is_int = isinstance(indices_or_sections, numbers.Integral)
    if is_int and not isinstance(indices_or_sections, bool):
        if indices_or_sections < 1:
            raise ValueError('split_v2: indices_or_sections as an int must be >= 1, got %d'
                             % indices_or_sections)
        return None, int(indices_or_sections)
    if isinstance(indices_or_sections, (tuple, list)) and all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool)
            for i in indices_or_sections):
        return [0] + [int(i) for i in indices_or_sections], 0
    raise TypeError('split_v2: indices_or_sections must be an int (equal sections) or a tuple of '
                    'ints (split points), got %r' % (indices_or_sections,))


def _normalize_axes(axes, ndim, what):
    axes = [axes] if isinstance(axes, numbers.Integral) else list(axes)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or not -ndim <= a < ndim:
            raise ValueError('moveaxis: %s axis %r is out of range for an array of %d dimensions'
                             % (what, a, ndim))
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError('moveaxis: repeated axis in %s %r' % (what, axes))
    return out


def make_layout_functions(namespace, symbolic=False):
    """``{'split_v2': ..., 'moveaxis': ...}`` over ``namespace['_split_v2']`` and ``transpose``
    (only ``split_v2`` for Symbols)."""
    split_op = namespace['_split_v2']

    def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
        """Split ``ary`` along ``axis`` into equal sections (an int) or at split points (a tuple
        of increasing ints: ``(2, 3)`` gives ``ary[:2]``, ``ary[2:3]``, ``ary[3:]``).

        Returns a list of arrays (Symbol: a grouped Symbol with one output per part). With
        ``squeeze_axis=True`` every part must have length 1 along ``axis`` and loses it.
        Raises ValueError when the sections are unequal or a split point lies outside the axis,
        TypeError for an argument that is neither an int nor a tuple of ints (MXNet 1.9.1
        ``split_v2``).
        """
        indices, sections = _split_args(indices_or_sections)
        if symbolic:
            return split_op(ary, indices=indices or [], axis=axis, squeeze_axis=squeeze_axis,
                            sections=sections)
        if indices is None:
            n = ary.shape[axis]
            if n % sections:
                raise ValueError('split_v2: axis %d of length %d does not split into %d equal '
                                 'sections' % (axis, n, sections))
            indices = [i * (n // sections) for i in range(sections)]
        out = split_op(ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    funcs = {'split_v2': split_v2}
    if symbolic:
        return funcs
    transpose = namespace['transpose']

    def moveaxis(tensor, source, destination):
        """Move axes ``source`` (an int or a sequence of ints, negative allowed) to positions
        ``destination``, the other axes keeping their order: a ``transpose`` (MXNet 1.9.1
        ``nd.moveaxis``, NumPy ``moveaxis``). Raises ValueError for out-of-range or repeated
        axes or when the two have different lengths."""
        src = _normalize_axes(source, tensor.ndim, 'source')
        dst = _normalize_axes(destination, tensor.ndim, 'destination')
        if len(src) != len(dst):
            raise ValueError('moveaxis: source %r and destination %r must have the same number '
                             'of elements' % (source, destination))
        order = [n for n in range(tensor.ndim) if n not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return transpose(tensor, axes=tuple(order))

    funcs['moveaxis'] = moveaxis
    return funcs
