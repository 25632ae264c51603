"""NDArray methods whose signature is MXNet 1.9.1's own rather than their operator's.

Most operator methods (``x.sum(axis=1)``) are the ``nd`` function with the array first
(:func:`minigluon.ndarray._method`). MXNet 1.9.1's ``NDArray`` writes a few by hand, with
arguments the operator lacks, and scripts use them:

* ``flatten(inplace=False)``, ``expand_dims(axis, inplace=False)``, ``squeeze(axis=None,
  inplace=False)``: ``inplace=True`` returns a view sharing this array's memory (a reshape),
  ``False`` a new array (the operator);
* ``broadcast_to(shape)``: ``shape`` may have more dimensions than the array; the array is
  first viewed with leading axes of length 1 (``nd.broadcast_to`` itself needs as many).

:func:`install` puts them on the class (``minigluon/ndarray/__init__.py`` calls it once the
operator methods are made, replacing those of the same names).
"""
import numpy as np

from minigluon.base import ValueAssertionError
from minigluon.ndarray.ndarray import _OP_FUNCTIONS


def flatten(self, inplace=False):
    """The array as 2-d, ``(d0, d1*...*dk)``: a view sharing memory when ``inplace`` (a
    reshape to ``(0, -1)``), else a new array (``nd.flatten``), as MXNet 1.9.1."""
    if inplace:
        return self.reshape((0, -1))
    return _OP_FUNCTIONS['flatten'](self)


def expand_dims(self, axis, inplace=False):
    """The array with a new axis of length 1 at ``axis`` (in ``[-ndim-1, ndim]``): a view
    sharing memory when ``inplace``, else a new array (``nd.expand_dims``), as MXNet 1.9.1.

    Raises
    ------
    ValueAssertionError
        When ``inplace`` and ``axis`` is out of range (MXNet 1.9.1 asserts it).
    """
    if not inplace:
        return _OP_FUNCTIONS['expand_dims'](self, axis=axis)
    shape = list(self.shape)
    if not -len(shape) - 1 <= axis <= len(shape):
        raise ValueAssertionError('expand_dims: axis %r is out of range for a %d-d array (from '
                                  '%d to %d)' % (axis, len(shape), -len(shape) - 1, len(shape)))
    shape.insert(axis + len(shape) + 1 if axis < 0 else axis, 1)
    return self.reshape(shape)


def squeeze(self, axis=None, inplace=False):
    """The array without axes of length 1 (those of ``axis``, an int or tuple, or all when
    None; at least one axis is left): a view sharing memory when ``inplace``, else a new array
    (``nd.squeeze``), as MXNet 1.9.1.

    Raises
    ------
    ValueAssertionError
        When ``inplace`` and ``axis`` repeats an axis, is out of range or names an axis whose
        length is not 1 (MXNet 1.9.1 asserts these).
    """
    if not inplace:
        return _OP_FUNCTIONS['squeeze'](self, axis=axis)
    shape = list(self.shape)
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis or ())
    if len(set(axes)) != len(axes):
        raise ValueAssertionError('squeeze: axis %r repeats an axis' % (axis,))
    for a in axes:
        if not -len(shape) <= a < len(shape):
            raise ValueAssertionError('squeeze: axis %r is out of range for a %d-d array'
                                      % (a, len(shape)))
        if shape[a] != 1:
            raise ValueAssertionError('squeeze: axis %r has length %d, not 1' % (a, shape[a]))
    drop = {a % len(shape) for a in axes} if axes else {i for i, n in enumerate(shape) if n == 1}
    return self.reshape([n for i, n in enumerate(shape) if i not in drop] or [1])


def broadcast_to(self, shape):
    """A new array of ``shape``, this array repeated along its axes of length 1, as MXNet
    1.9.1's method: ``shape`` may have more dimensions (the array gains leading axes of length
    1 first), and every axis whose length differs must be 1 here (a 0 in ``shape`` is a length
    too, unlike in ``nd.broadcast_to``, where it keeps the input's).

    Raises
    ------
    ValueError
        When ``shape`` has fewer dimensions, or an axis of length other than 1 would change
        (MXNet 1.9.1's message: 'operands could not be broadcast together').
    """
    shape = tuple(shape)
    have = (1,) * (len(shape) - self.ndim) + self.shape
    if len(shape) < self.ndim or any(a != b and a != 1 for a, b in zip(have, shape)):
        raise ValueError('broadcast_to: operands could not be broadcast together with remapped '
                         'shapes [original->remapped]: %s and requested shape %s'
                         % (self.shape, shape))
    data = self.reshape(have) if have != self.shape else self
    return _OP_FUNCTIONS['broadcast_to'](data, shape=shape)


def install(cls):
    """Set the methods above on ``cls`` (NDArray)."""
    for fn in (flatten, expand_dims, squeeze, broadcast_to):
        fn.__qualname__ = '%s.%s' % (cls.__name__, fn.__name__)
        setattr(cls, fn.__name__, fn)
