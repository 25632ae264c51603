"""``ravel_multi_index`` and ``unravel_index`` (MXNet 1.9.1 ``_ravel_multi_index``,
``_unravel_index``, ``src/operator/tensor/ravel.cc``): conversions between flat indices and
coordinates in an array of ``shape`` (row-major), on index arrays of any dtype.

Neither checks bounds, as in MXNet: ``ravel_multi_index`` is the plain dot product of the
coordinates with the row-major strides, and ``unravel_index`` peels coordinates off with C's
truncating ``%`` and ``/`` from the last axis, leaving what remains in the first coordinate
(``7`` in shape ``(2, 3)`` gives ``(2, 1)``, ``-1`` gives ``(0, -1)``). The leading size is
thus never used, and ``-1`` may stand for it (``shape=(-1, 6)``, as MXNet documents). Both have
a zero gradient (MXNet registers ``MakeZeroGradNodes``); here they are simply not differentiable.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register, shape_error


def _strides(shape):
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return strides[::-1]


class _IndexConversion(Op):
    """Shared by both: the required ``shape`` attribute, checked, and no gradient."""

    attrs = {'shape': Attr('shape', None)}
    differentiable = False

    def check_attrs(self):
        # the leading size never enters either conversion: MXNet documents -1 as its placeholder
        if (not self.shape or any(n <= 0 for n in self.shape[1:])
                or not (self.shape[0] > 0 or self.shape[0] == -1)):
            raise ValueError('%s: shape must be a non-empty tuple of positive ints (the first '
                             'may be -1, unspecified), got %r' % (self.name, self.shape))


@register
class RavelMultiIndex(_IndexConversion):
    """Flat (row-major) indices of the coordinates in ``data`` for an array of ``shape``.

    ``data``: shape ``(len(shape), ...)``, one row of coordinates per axis, any dtype.
    Output: ``data.shape[1:]``, ``data``'s dtype. Raises ValueError when ``shape`` is missing,
    empty or not positive, or when ``data.shape[0]`` is not ``len(shape)``.
    """

    name = '_ravel_multi_index'
    mxnet_input_names = True
    aliases = ('ravel_multi_index',)

    def forward(self, xp, data):
        if data.ndim < 1 or data.shape[0] != len(self.shape):
            raise shape_error(self, 'data must have shape (%d, ...) (one row per axis of shape=%s)'
                              % (len(self.shape), self.shape), data)
        stride = xp.asarray(_strides(self.shape), dtype=np.float64 if data.dtype.kind == 'f'
                            else np.int64).reshape((-1,) + (1,) * (data.ndim - 1))
        return (data * stride).sum(axis=0).astype(data.dtype)


@register
class UnravelIndex(_IndexConversion):
    """Coordinates of the flat indices in ``data`` within an array of ``shape``.

    ``data``: any shape and dtype (floats are truncated to integers first). Output:
    ``(len(shape),) + data.shape``, ``data``'s dtype. Raises ValueError when ``shape`` is
    missing, empty or not positive.
    """

    name = '_unravel_index'
    mxnet_input_names = True
    aliases = ('unravel_index',)

    def forward(self, xp, data):
        idx = data.astype(np.int64)          # truncates toward zero, as C's cast does
        coords = []
        for n in reversed(self.shape[1:]):
            rem = xp.fmod(idx, n)              # C's %: takes the dividend's sign
            coords.append(rem)
            idx = (idx - rem) // n             # exact, so this is C's truncating division
        coords.append(idx)
        return xp.stack(coords[::-1]).astype(data.dtype)
