"""``histogram``: MXNet 1.9.1's Python-level function over the ``_histogram`` operator
(``mxnet/ndarray/ndarray.py`` and ``mxnet/symbol/symbol.py``), for ``nd`` and ``sym``.

``bins`` is either a number of equal-width bins (with ``range``) or the bin edges (an array of
this namespace). In ``nd`` a number of bins without ``range`` takes the data's minimum and
maximum as the range; a Symbol has no values to read, so ``sym.histogram`` needs ``range``.
"""
import numbers

__all__ = ['make_histogram']


def make_histogram(namespace, array_type, symbolic=False):
    """``{'histogram': ...}`` over ``namespace['_histogram']``; ``array_type`` is NDArray or
    Symbol."""
    op = namespace['_histogram']

    def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002 (MXNet's argument name)
        """Count the values of ``a`` (all axes flattened) per bin; see
        :class:`minigluon.ops.legacy_extra.Histogram` for the binning rule.

        Parameters
        ----------
        a : NDArray or Symbol
            The data, any shape.
        bins : int or NDArray/Symbol (or, in ``nd``, a sequence of numbers)
            The number of equal-width bins over ``range``, or the increasing bin edges, the last
            one included in the last bin.
        range : (float, float), optional
            ``(lo, hi)`` for a number of bins; values outside are not counted. ``nd`` without it:
            ``(a.min(), a.max())``. Required by ``sym``. Ignored with bin edges.

        Returns
        -------
        (counts, edges)
            ``counts`` int64 of shape ``(number of bins,)`` and ``edges`` in ``a``'s dtype, one
            longer (a list of two NDArrays; for ``sym`` one Symbol with two outputs).

        Differences from MXNet 1.9.1: ``nd.histogram(a, n)`` without ``range`` runs the operator
        over the data's range, so ``counts`` is int64 and ``edges`` has ``a``'s dtype as in every
        other call (MXNet returns NumPy's result as two float32 arrays there, with a warning);
        ``nd`` also takes the edges as a list or tuple of numbers (MXNet raises). Raises
        ValueError naming ``bins`` or ``range`` for any other form.
        """
        if not isinstance(a, array_type):
            raise TypeError('histogram: a must be %s, got %s'
                            % ('a Symbol' if symbolic else 'an NDArray', type(a).__name__))
        if isinstance(bins, array_type):
            return op(a, bins, **kwargs)
        if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
            if range is None:
                if symbolic:
                    raise ValueError('sym.histogram: range=(lo, hi) is required with a number of '
                                     'bins (a Symbol has no values to take the range from)')
                range = (float(a.min().asscalar()), float(a.max().asscalar())) if a.size else (0.0, 1.0)
            return op(a, bin_cnt=int(bins), range=range, **kwargs)
        if not symbolic and isinstance(bins, (list, tuple)):
            edges = namespace['array'](list(bins), dtype=a.dtype, ctx=a.context)
            return op(a, edges, **kwargs)
        raise ValueError('histogram: bins must be an int (a number of equal-width bins, with '
                         'range) or %s of bin edges, got %r'
                         % ('a Symbol' if symbolic else 'an NDArray (or a list of numbers)', bins))

    return {'histogram': histogram}
