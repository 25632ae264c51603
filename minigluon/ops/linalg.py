"""Matrix products: ``dot``, ``batch_dot`` and ``_linalg_gemm2`` (alias ``linalg_gemm2``).

Semantics follow MXNet 1.9.1 (``src/operator/tensor/dot.cc``, ``src/operator/tensor/la_op.cc``):

* ``dot`` contracts the last axis of ``lhs`` with the first axis of ``rhs``; ``transpose_a``
  contracts the *first* axis of ``lhs`` instead and ``transpose_b`` the *last* axis of ``rhs``.
  The output shape is ``lhs.shape[:-1] + rhs.shape[1:]`` (adjusted for the transposes); a
  vector-vector product has shape ``(1,)``.
* ``batch_dot`` multiplies the last two axes, batched over the leading ones (which must agree).
* ``_linalg_gemm2`` computes ``alpha * op(A) @ op(B)``, batched, with the matrix rows on ``axis``.
"""
import math

from minigluon.ops.registry import Attr, Op, normalize_axis, register, require_float, shape_error

_STYPES = ('None', 'csr', 'default', 'row_sparse')


@register
class Dot(Op):
    """Tensor product of ``lhs`` and ``rhs`` (see the module notes for shapes).

    Raises ValueError naming both shapes when the contracted axes differ in length.
    """

    name = 'dot'
    mxnet_input_names = True
    arguments = ('lhs', 'rhs')
    dtype_from_inputs = (0, 1)
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'forward_stype': Attr('str', 'None', choices=_STYPES, optional=True)}

    def forward(self, xp, lhs, rhs):
        if lhs.ndim == 0 or rhs.ndim == 0:
            raise shape_error(self, 'inputs must have at least one dimension', lhs, rhs)
        # explicit sizes, not -1: a size-0 axis leaves -1 undetermined (dot of (2, 0) and (0, 3)
        # is a (2, 3) array of zeros)
        lf, ll = lhs.shape[0], _size(lhs.shape[1:])
        rf, rl = _size(rhs.shape[:-1]), rhs.shape[-1]
        a = lhs.reshape(lf, ll).T if self.transpose_a else lhs.reshape(_size(lhs.shape[:-1]), lhs.shape[-1])
        b = rhs.reshape(rf, rl).T if self.transpose_b else rhs.reshape(rhs.shape[0], _size(rhs.shape[1:]))
        if a.shape[1] != b.shape[0]:
            raise shape_error(self, 'contracted axes differ (%d vs %d; transpose_a=%s, '
                              'transpose_b=%s)' % (a.shape[1], b.shape[0], self.transpose_a,
                                                   self.transpose_b), lhs, rhs)
        self.a, self.b, self.shapes = a, b, (lhs.shape, rhs.shape)
        out_shape = (lhs.shape[1:] if self.transpose_a else lhs.shape[:-1]) + \
            (rhs.shape[:-1] if self.transpose_b else rhs.shape[1:])
        return (a @ b).reshape(out_shape or (1,))

    def backward(self, xp, grad):
        g = grad.reshape(self.a.shape[0], self.b.shape[1])
        da, db = g @ self.b.T, self.a.T @ g
        ls, rs = self.shapes
        dl = da.T.reshape(ls) if self.transpose_a else da.reshape(ls)
        dr = db.T.reshape(rs) if self.transpose_b else db.reshape(rs)
        return dl, dr


def _size(shape):
    return int(math.prod(shape))


def _t(x, flag):
    return x.swapaxes(-1, -2) if flag else x


@register
class BatchDot(Op):
    """Batched matrix product over the last two axes: ``(..., M, K) x (..., K, N) -> (..., M, N)``.

    ``transpose_a``/``transpose_b`` swap the last two axes of an input first. The batch axes must
    be equal and each input at least 3-d.
    """

    name = 'batch_dot'
    mxnet_input_names = True
    arguments = ('lhs', 'rhs')
    dtype_from_inputs = (0, 1)
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'forward_stype': Attr('str', 'None', choices=_STYPES, optional=True)}

    def forward(self, xp, lhs, rhs):
        if lhs.ndim < 3 or lhs.ndim != rhs.ndim or lhs.shape[:-2] != rhs.shape[:-2]:
            raise shape_error(self, 'inputs must be >= 3-d with equal batch axes', lhs, rhs)
        a, b = _t(lhs, self.transpose_a), _t(rhs, self.transpose_b)
        if a.shape[-1] != b.shape[-2]:
            raise shape_error(self, 'contracted axes differ (%d vs %d)' % (a.shape[-1], b.shape[-2]),
                              lhs, rhs)
        self.a, self.b = a, b
        return xp.matmul(a, b)

    def backward(self, xp, grad):
        da = xp.matmul(grad, self.b.swapaxes(-1, -2))
        db = xp.matmul(self.a.swapaxes(-1, -2), grad)
        return _t(da, self.transpose_a), _t(db, self.transpose_b)


@register
class LinalgGemm2(Op):
    """``alpha * op(A) @ op(B)`` over the last two axes (rows on ``axis``), batched over the rest."""

    name = '_linalg_gemm2'
    mxnet_input_names = True
    aliases = ('linalg_gemm2',)
    arguments = ('A', 'B')
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'alpha': Attr('float', 1.0), 'axis': Attr('int', -2)}

    def forward(self, xp, A, B):
        require_float(self, A, 'A')     # as every linalg operator (MXNet 1.9.1 refuses integers)
        if A.ndim < 2 or A.ndim != B.ndim:
            raise shape_error(self, 'A and B must have the same number (>= 2) of dimensions', A, B)
        self.ax = normalize_axis(self.axis, A.ndim, self.name)
        if self.ax == A.ndim - 1:
            raise shape_error(self, 'axis must not be the last axis', A, B)
        a = _t(xp.moveaxis(A, self.ax, -2), self.transpose_a)
        b = _t(xp.moveaxis(B, self.ax, -2), self.transpose_b)
        if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
            raise shape_error(self, 'matrix shapes do not match for the product', A, B)
        self.a, self.b = a, b
        return xp.moveaxis(self.alpha * xp.matmul(a, b), -2, self.ax).astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        g = xp.moveaxis(grad, self.ax, -2) * self.alpha
        da = _t(xp.matmul(g, self.b.swapaxes(-1, -2)), self.transpose_a)
        db = _t(xp.matmul(self.a.swapaxes(-1, -2), g), self.transpose_b)
        return xp.moveaxis(da, -2, self.ax), xp.moveaxis(db, -2, self.ax)

