"""MXNet 1.9.1's diagonal and triangle operators: ``_linalg_sumlogdiag``, ``extractdiag``,
``makediag``, ``extracttrian`` and ``maketrian`` (``src/operator/tensor/la_op.cc``).

All act on the last two axes (batched over the leading ones). ``offset`` picks a diagonal: 0 the
main one, ``k < 0`` the ``|k|``-th below it, ``k > 0`` the ``k``-th above it.

Triangles are packed as MXNet packs them: a lower triangle row by row (``(0,0), (1,0), (1,1),
(2,0), ...``), an upper triangle column by column (``(0,0), (0,1), (1,1), (0,2), ...``, i.e. the
lower triangle of the transpose row by row). ``lower`` matters only for ``offset=0``; a negative
offset always means the lower triangle and a positive one the upper.
"""
import math

import numpy as np

from minigluon.ops.layout import _diag_index
from minigluon.ops.linalg_la import LinalgOp, scalar_shape, work
from minigluon.ops.registry import Attr, register, shape_error

_OFFSET = Attr('int', 0)


def _trian_index(n, offset, lower):
    """Row and column indices of the packed triangle (see the module notes), in packing order."""
    if offset < 0 or (offset == 0 and lower):
        return np.tril_indices(n, offset)
    rows, cols = np.tril_indices(n, -offset)       # the lower triangle of the transpose
    return cols, rows


def _place(xp, shape, idx, values):
    """Zeros of ``shape`` with ``values`` written at the matrix positions ``idx`` (row and column
    index arrays) of every matrix: the make* operators' forward and the extract* ones' backward."""
    out = xp.zeros(shape, dtype=values.dtype)
    out[(Ellipsis,) + idx] = values
    return out


@register
class LinalgSumlogdiag(LinalgOp):
    """Sum of the logs of the diagonal of each matrix of ``A`` ``(..., n, n)``: shape ``(...)``
    (``(1,)`` for a 2-d ``A``). A non-positive diagonal entry gives NaN or -inf, as in MXNet."""

    name = '_linalg_sumlogdiag'
    mxnet_input_names = True
    aliases = ('linalg_sumlogdiag',)
    arguments = ('A',)

    def forward(self, xp, A):
        a = work(self, xp, A)
        self.shape = A.shape
        self.diag = xp.diagonal(a, axis1=-2, axis2=-1)
        return scalar_shape(xp.log(self.diag).sum(axis=-1), A.ndim).astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        g = grad.reshape(self.shape[:-2])[..., None] / self.diag
        idx = _diag_index(xp, 0, self.diag.shape[-1])
        return _place(xp, self.shape, idx, g.astype(grad.dtype, copy=False))


@register
class LinalgExtractdiag(LinalgOp):
    """Diagonal ``offset`` of each matrix of ``A`` ``(..., n, n)``: shape ``(..., n - |offset|)``."""

    name = '_linalg_extractdiag'
    mxnet_input_names = True
    aliases = ('linalg_extractdiag',)
    arguments = ('A',)
    attrs = {'offset': _OFFSET}

    def forward(self, xp, A):
        a = work(self, xp, A)
        if abs(self.offset) >= a.shape[-1]:
            raise shape_error(self, 'offset=%d is out of range for %dx%d matrices'
                              % (self.offset, a.shape[-1], a.shape[-1]), A)
        self.shape = A.shape
        self.idx = _diag_index(xp, self.offset, a.shape[-1] - abs(self.offset))
        return A[(Ellipsis,) + self.idx]

    def backward(self, xp, grad):
        return _place(xp, self.shape, self.idx, grad)


@register
class LinalgMakediag(LinalgOp):
    """Square matrices with ``A`` ``(..., k)`` on diagonal ``offset``: ``(..., k+|offset|, k+|offset|)``."""

    name = '_linalg_makediag'
    mxnet_input_names = True
    aliases = ('linalg_makediag',)
    arguments = ('A',)
    attrs = {'offset': _OFFSET}

    def forward(self, xp, A):
        if A.ndim < 1:
            raise shape_error(self, 'A must have at least 1 dimension (a vector of diagonal '
                              'entries)', A)
        n = A.shape[-1] + abs(self.offset)
        self.idx = _diag_index(xp, self.offset, A.shape[-1])
        return _place(xp, A.shape[:-1] + (n, n), self.idx, A)

    def backward(self, xp, grad):
        return grad[(Ellipsis,) + self.idx]


@register
class LinalgExtracttrian(LinalgOp):
    """The triangle of each matrix of ``A`` ``(..., n, n)`` packed into a vector (module notes):
    shape ``(..., m(m+1)/2)`` with ``m = n - |offset|``."""

    name = '_linalg_extracttrian'
    mxnet_input_names = True
    aliases = ('linalg_extracttrian',)
    arguments = ('A',)
    attrs = {'offset': _OFFSET, 'lower': Attr('bool', True)}

    def forward(self, xp, A):
        a = work(self, xp, A)
        if abs(self.offset) >= a.shape[-1]:
            raise shape_error(self, 'offset=%d is out of range for %dx%d matrices'
                              % (self.offset, a.shape[-1], a.shape[-1]), A)
        self.shape = A.shape
        self.idx = tuple(xp.asarray(i) for i in _trian_index(a.shape[-1], self.offset, self.lower))
        return A[(Ellipsis,) + self.idx]

    def backward(self, xp, grad):
        return _place(xp, self.shape, self.idx, grad)


@register
class LinalgMaketrian(LinalgOp):
    """Triangular matrices from packed vectors ``A`` ``(..., k)`` with ``k = m(m+1)/2`` (the inverse
    of ``extracttrian``): shape ``(..., m+|offset|, m+|offset|)``, zero outside the triangle.
    Raises ValueError naming ``A`` when ``k`` is not a triangular number."""

    name = '_linalg_maketrian'
    mxnet_input_names = True
    aliases = ('linalg_maketrian',)
    arguments = ('A',)
    attrs = {'offset': _OFFSET, 'lower': Attr('bool', True)}

    def forward(self, xp, A):
        if A.ndim < 1:
            raise shape_error(self, 'A must have at least 1 dimension (packed triangles)', A)
        k = A.shape[-1]
        m = (math.isqrt(8 * k + 1) - 1) // 2
        if m * (m + 1) // 2 != k or k == 0:
            raise shape_error(self, 'the last axis of A must have a triangular length m(m+1)/2 '
                              '(1, 3, 6, 10, ...), got %d' % k, A)
        n = m + abs(self.offset)
        self.idx = tuple(xp.asarray(i) for i in _trian_index(n, self.offset, self.lower))
        return _place(xp, A.shape[:-1] + (n, n), self.idx, A)

    def backward(self, xp, grad):
        return grad[(Ellipsis,) + self.idx]
