"""MXNet 1.9.1's dense linear-algebra operators ``_linalg_<name>`` (BLAS/LAPACK-style).

Semantics, names, attributes and defaults follow MXNet 1.9.1 (``src/operator/tensor/la_op.cc`` and
the ``mx.nd.linalg`` documentation). Every operator works on the last two axes of its inputs (the
matrices) and is batched over the leading ones; an operator whose result is a scalar per matrix
(``sumlogdiag``, ``det``, ``slogdet``) returns shape ``(1,)`` for a single 2-d matrix, as MXNet does.
Inputs must be floating point; float16 is computed in float32 and cast back (LAPACK has no float16).

This module holds the products, factorizations and solves (``gemm``, ``potrf``, ``potri``, ``trmm``,
``trsm``, ``syrk``, ``inverse``, ``det``, ``slogdet``, ``gelqf``, ``syevd``); the diagonal and
triangle helpers are in :mod:`minigluon.ops.linalg_tri`. ``gemm2`` is in :mod:`minigluon.ops.linalg`.
"""
import numpy as np

from minigluon.ops.linalg import LinalgGemm2
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def T(x):
    """Transpose the last two axes (the matrices of a batch)."""
    return x.swapaxes(-1, -2)


def work(op, xp, arr, arg='A', square=True):
    """Check ``arr`` (>= 2-d, floating, square when asked) and return it in a LAPACK dtype."""
    require_float(op, arr, arg)
    if arr.ndim < 2:
        raise shape_error(op, '%s must have at least 2 dimensions (a matrix or a batch of '
                          'matrices), got %d' % (arg, arr.ndim), arr)
    if square and arr.shape[-1] != arr.shape[-2]:
        raise shape_error(op, '%s must hold square matrices (last two axes equal), got %s'
                          % (arg, tuple(arr.shape)), arr)
    return arr.astype(np.float32) if arr.dtype == np.float16 else arr


def scalar_shape(out, ndim):
    """MXNet gives a single matrix's scalar result the shape ``(1,)``."""
    return out.reshape(1) if ndim == 2 else out


class LinalgOp(Op):
    """Shared shape inference: run the forward on identity matrices (valid for every factorization)."""

    def output_shapes(self, in_shapes):
        dummies = []
        for s in in_shapes:
            d = np.ones(s, dtype=np.float32)
            if len(s) >= 2 and s[-1] == s[-2]:
                d = np.broadcast_to(np.eye(s[-1], dtype=np.float32), s).copy()
            dummies.append(d)
        outs = self.forward(np, *dummies)
        outs = outs if isinstance(outs, (tuple, list)) else (outs,)
        return [tuple(o.shape) for o in outs]


def _lapack(op, fn, what, *args):
    """Call ``fn(*args)`` and turn a NumPy LinAlgError into a ValueError naming the input."""
    try:
        return fn(*args)
    except np.linalg.LinAlgError as err:
        raise ValueError('%s: %s (%s)' % (op.name, what, err)) from None


def _nan_matrices(xp, a):
    """Boolean ``(...)``: which matrices of ``a`` hold a NaN (LAPACK's LU takes a NaN pivot for a
    zero one, so NumPy calls such a matrix singular; MXNet and here the result is NaN)."""
    return xp.isnan(a).any(axis=(-2, -1))


def _inv(op, xp, a, what):
    """``inv(a)`` per matrix; a matrix holding NaN gives all-NaN, a singular one a ValueError."""
    bad = _nan_matrices(xp, a)
    if not bool(bad.any()):
        return _lapack(op, xp.linalg.inv, what, a)
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    inv = _lapack(op, xp.linalg.inv, what, xp.where(bad[..., None, None], eye, a))
    return xp.where(bad[..., None, None], xp.nan, inv).astype(a.dtype, copy=False)


@register
class LinalgGemm(LinalgGemm2):
    """``alpha * op(A) @ op(B) + beta * C`` with ``op`` an optional transpose (BLAS gemm).

    Shapes as for ``gemm2``; ``C`` has the output's shape. ``axis`` names the rows' axis.
    Raises ValueError naming the shapes when they do not fit.
    """

    name = '_linalg_gemm'
    mxnet_input_names = True
    aliases = ('linalg_gemm',)
    arguments = ('A', 'B', 'C')
    attrs = {'transpose_a': Attr('bool', False), 'transpose_b': Attr('bool', False),
             'alpha': Attr('float', 1.0), 'beta': Attr('float', 1.0), 'axis': Attr('int', -2)}

    def forward(self, xp, A, B, C):
        prod = super().forward(xp, A, B)
        if C.shape != prod.shape:
            raise shape_error(self, 'C must have the shape of op(A) @ op(B), %s'
                              % (tuple(prod.shape),), A, B, C)
        return (prod + self.beta * C).astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        da, db = super().backward(xp, grad)
        return da, db, self.beta * grad


@register
class LinalgPotrf(LinalgOp):
    """Cholesky factor ``L`` (lower triangular, ``A = L @ L.T``) of symmetric positive-definite ``A``.

    ``A``: ``(..., n, n)``; output the same shape. The symmetric part ``(A + A.T) / 2`` is factored:
    for the symmetric input MXNet asks for this is ``A`` itself (MXNet reads only the lower
    triangle), and the gradient -- MXNet's symmetric one -- is then the true derivative.
    Raises ValueError naming ``A`` when it is not positive definite.
    """

    name = '_linalg_potrf'
    mxnet_input_names = True
    aliases = ('linalg_potrf',)
    arguments = ('A',)

    def forward(self, xp, A):
        a = work(self, xp, A)
        self.L = _lapack(self, xp.linalg.cholesky, 'A must be symmetric positive definite',
                         (a + T(a)) / 2)
        if not bool(xp.isfinite(self.L).all()):     # CuPy returns NaN instead of raising
            raise ValueError('%s: A must be symmetric positive definite' % self.name)
        return self.L.astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        L = self.L
        P = T(L) @ grad.astype(L.dtype)
        P = xp.tril(P) - 0.5 * xp.tril(xp.triu(P))             # lower part, diagonal halved
        Linv = xp.linalg.inv(L)
        G = T(Linv) @ P @ Linv
        return ((G + T(G)) / 2).astype(grad.dtype, copy=False)


@register
class LinalgPotri(LinalgOp):
    """``inv(L @ L.T)`` from a Cholesky factor ``L`` (only its lower triangle is read).

    ``A``: ``(..., n, n)``; output the same shape. Raises ValueError when ``L`` is singular.
    """

    name = '_linalg_potri'
    mxnet_input_names = True
    aliases = ('linalg_potri',)
    arguments = ('A',)

    def forward(self, xp, A):
        self.L = xp.tril(work(self, xp, A))
        Linv = _lapack(self, xp.linalg.inv, 'A (a Cholesky factor) is singular', self.L)
        self.Y = T(Linv) @ Linv
        return self.Y.astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        g = grad.astype(self.Y.dtype)
        return xp.tril(-(self.Y @ (g + T(g)) @ self.Y @ self.L)).astype(grad.dtype, copy=False)


class _Triangular(LinalgOp):
    """Shared by trmm/trsm: the triangle of ``A`` in use, ``op(A)`` and the side checks."""

    arguments = ('A', 'B')
    attrs = {'transpose': Attr('bool', False), 'rightside': Attr('bool', False),
             'lower': Attr('bool', True), 'alpha': Attr('float', 1.0)}
    dtype_from_inputs = (1,)         # the forwards return B's dtype

    def _prepare(self, xp, A, B):
        a, b = work(self, xp, A), work(self, xp, B, 'B', square=False)
        n = b.shape[-1] if self.rightside else b.shape[-2]
        if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != n:
            raise shape_error(self, 'A must be (..., n, n) and B (..., n, k) (or (..., k, n) with '
                              'rightside=True) with the same batch axes', A, B)
        self.tri = xp.tril(a) if self.lower else xp.triu(a)
        return (T(self.tri) if self.transpose else self.tri), b

    def _grad_a(self, xp, d_op_a, dtype):
        """Gradient for ``A`` from the one for ``op(A)``: undo the transpose, keep the triangle."""
        d = T(d_op_a) if self.transpose else d_op_a
        return (xp.tril(d) if self.lower else xp.triu(d)).astype(dtype, copy=False)


@register
class LinalgTrmm(_Triangular):
    """``alpha * op(A) @ B`` (or ``alpha * B @ op(A)`` with ``rightside``), ``A`` triangular.

    ``A``: ``(..., n, n)``, only the triangle named by ``lower`` is read; ``B``: ``(..., n, k)``
    (``(..., k, n)`` with ``rightside``); output ``B``'s shape.
    """

    name = '_linalg_trmm'
    mxnet_input_names = True
    aliases = ('linalg_trmm',)

    def forward(self, xp, A, B):
        self.m, self.b = self._prepare(xp, A, B)
        out = self.b @ self.m if self.rightside else self.m @ self.b
        return (self.alpha * out).astype(B.dtype, copy=False)

    def backward(self, xp, grad):
        g = self.alpha * grad.astype(self.b.dtype)
        if self.rightside:
            d_m, d_b = T(self.b) @ g, g @ T(self.m)
        else:
            d_m, d_b = g @ T(self.b), T(self.m) @ g
        return self._grad_a(xp, d_m, grad.dtype), d_b.astype(grad.dtype, copy=False)


@register
class LinalgTrsm(_Triangular):
    """Solve ``op(A) @ X = alpha * B`` (or ``X @ op(A) = alpha * B`` with ``rightside``) for ``X``.

    Shapes as for ``trmm``. Raises ValueError when the triangle of ``A`` is singular.
    """

    name = '_linalg_trsm'
    mxnet_input_names = True
    aliases = ('linalg_trsm',)

    def forward(self, xp, A, B):
        m, b = self._prepare(xp, A, B)
        self.m = m
        if self.rightside:        # X M = alpha B  <=>  M.T X.T = alpha B.T
            x = T(_lapack(self, xp.linalg.solve, 'A is singular', T(m), T(self.alpha * b)))
        else:
            x = _lapack(self, xp.linalg.solve, 'A is singular', m, self.alpha * b)
        self.x = x
        return x.astype(B.dtype, copy=False)

    def backward(self, xp, grad):
        g = grad.astype(self.x.dtype)
        if self.rightside:
            z = T(xp.linalg.solve(self.m, T(g)))          # g @ inv(M).T
            d_m = -(T(self.x) @ z)
        else:
            z = xp.linalg.solve(T(self.m), g)             # inv(M).T @ g
            d_m = -(z @ T(self.x))
        return self._grad_a(xp, d_m, grad.dtype), (self.alpha * z).astype(grad.dtype, copy=False)


@register
class LinalgSyrk(LinalgOp):
    """``alpha * A @ A.T`` (or ``alpha * A.T @ A`` with ``transpose``): ``(..., m, n)`` -> square."""

    name = '_linalg_syrk'
    mxnet_input_names = True
    aliases = ('linalg_syrk',)
    arguments = ('A',)
    attrs = {'transpose': Attr('bool', False), 'alpha': Attr('float', 1.0)}

    def forward(self, xp, A):
        self.a = work(self, xp, A, square=False)
        out = T(self.a) @ self.a if self.transpose else self.a @ T(self.a)
        return (self.alpha * out).astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        g = grad.astype(self.a.dtype)
        s = self.alpha * (g + T(g))
        return (self.a @ s if self.transpose else s @ self.a).astype(grad.dtype, copy=False)


@register
class LinalgInverse(LinalgOp):
    """Inverse of each square matrix of ``A`` ``(..., n, n)``; ValueError naming ``A`` if singular.

    A matrix holding NaN has an all-NaN inverse, as in MXNet 1.9.1.
    """

    name = '_linalg_inverse'
    mxnet_input_names = True
    aliases = ('linalg_inverse',)
    arguments = ('A',)

    def forward(self, xp, A):
        self.inv = _inv(self, xp, work(self, xp, A), 'A is singular')
        return self.inv.astype(A.dtype, copy=False)

    def backward(self, xp, grad):
        it = T(self.inv)
        return -(it @ grad.astype(it.dtype) @ it).astype(grad.dtype, copy=False)


@register
class LinalgDet(LinalgOp):
    """Determinant of each square matrix of ``A`` ``(..., n, n)``: shape ``(...)``, ``(1,)`` for 2-d.

    A singular matrix gives 0, one holding NaN gives NaN (MXNet 1.9.1).
    """

    name = '_linalg_det'
    mxnet_input_names = True
    aliases = ('linalg_det',)
    arguments = ('A',)

    def forward(self, xp, A):
        self.a = work(self, xp, A)
        self.det = xp.where(_nan_matrices(xp, self.a), xp.nan, xp.linalg.det(self.a))
        return scalar_shape(self.det, A.ndim).astype(A.dtype, copy=False)

    def backward(self, xp, grad):        # d det / dA = det * inv(A).T
        g = grad.reshape(self.det.shape).astype(self.a.dtype) * self.det
        inv_t = T(_inv(self, xp, self.a, 'the gradient of det needs A invertible'))
        return (g[..., None, None] * inv_t).astype(grad.dtype, copy=False)


@register
class LinalgSlogdet(LinalgOp):
    """Sign and log of the absolute determinant of each matrix of ``A`` (two outputs, shape ``(...)``).

    The sign gets no gradient; the log-determinant's is ``inv(A).T``. A singular matrix gives sign
    0 and log -inf; one holding NaN gives a NaN log (as MXNet 1.9.1) and a NaN sign (MXNet's 0
    would claim a singular matrix).
    """

    name = '_linalg_slogdet'
    mxnet_input_names = True
    aliases = ('linalg_slogdet',)
    arguments = ('A',)
    num_outputs = 2

    def forward(self, xp, A):
        self.a = work(self, xp, A)
        sign, logdet = xp.linalg.slogdet(self.a)
        bad = _nan_matrices(xp, self.a)
        sign, logdet = xp.where(bad, xp.nan, sign), xp.where(bad, xp.nan, logdet)
        return (scalar_shape(sign, A.ndim).astype(A.dtype, copy=False),
                scalar_shape(logdet, A.ndim).astype(A.dtype, copy=False))

    def backward(self, xp, grad_sign, grad_logdet):
        g = grad_logdet.reshape(self.a.shape[:-2]).astype(self.a.dtype)
        inv_t = T(_inv(self, xp, self.a, 'the gradient of slogdet needs A invertible'))
        return (g[..., None, None] * inv_t).astype(grad_logdet.dtype, copy=False)


@register
class LinalgGelqf(LinalgOp):
    """LQ factorization ``A = L @ Q`` of ``A`` ``(..., m, n)`` with ``m <= n``: two outputs, ``Q``
    ``(..., m, n)`` with orthonormal rows and ``L`` ``(..., m, m)`` lower triangular.

    Computed as the QR factorization of ``A.T`` (LAPACK's Householder signs, as MXNet's gelqf).
    The gradient is MXNet's documented one. Raises ValueError naming ``A`` when ``m > n``.
    """

    name = '_linalg_gelqf'
    mxnet_input_names = True
    aliases = ('linalg_gelqf',)
    arguments = ('A',)
    num_outputs = 2

    def forward(self, xp, A):
        a = work(self, xp, A, square=False)
        if a.shape[-2] > a.shape[-1]:
            raise shape_error(self, 'A must have no more rows than columns (m <= n)', A)
        q, r = xp.linalg.qr(T(a))
        self.Q, self.L = T(q), T(r)
        return self.Q.astype(A.dtype, copy=False), self.L.astype(A.dtype, copy=False)

    def backward(self, xp, grad_q, grad_l):
        Q, L = self.Q, self.L
        dq, dl = grad_q.astype(Q.dtype), grad_l.astype(Q.dtype)
        M = T(L) @ dl - dq @ T(Q)
        sym = xp.tril(M) + T(xp.tril(M, -1))              # lower triangle copied to the upper
        return xp.linalg.solve(T(L), dq + sym @ Q).astype(grad_q.dtype, copy=False)


@register
class LinalgSyevd(LinalgOp):
    """Eigen-decomposition ``A = U.T @ diag(lam) @ U`` of symmetric ``A`` ``(..., n, n)``: two
    outputs, ``U`` ``(..., n, n)`` (eigenvectors as rows) and ``lam`` ``(..., n)`` ascending.

    Each eigenvector's sign is chosen so that its largest-magnitude entry is positive (what
    MXNet 1.9.1 returns). The symmetric part ``(A + A.T) / 2`` is decomposed (see ``potrf``);
    the gradient assumes distinct eigenvalues, as MXNet's does.
    """

    name = '_linalg_syevd'
    mxnet_input_names = True
    aliases = ('linalg_syevd',)
    arguments = ('A',)
    num_outputs = 2

    def forward(self, xp, A):
        a = work(self, xp, A)
        lam, v = _lapack(self, xp.linalg.eigh, 'the eigendecomposition of A failed (NaN or '
                         'inf in A? MXNet 1.9.1 fails too)', (a + T(a)) / 2)
        U = T(v)
        big = xp.take_along_axis(U, xp.abs(U).argmax(axis=-1)[..., None], axis=-1)
        self.U, self.lam = U * xp.where(big < 0, -1.0, 1.0).astype(U.dtype), lam
        return self.U.astype(A.dtype, copy=False), lam.astype(A.dtype, copy=False)

    def backward(self, xp, grad_u, grad_lam):
        U, lam = self.U, self.lam
        gap = lam[..., None, :] - lam[..., :, None]                  # lam_j - lam_i
        n = lam.shape[-1]
        off = ~xp.eye(n, dtype=bool)
        F = xp.where(off, 1.0 / xp.where(off, gap, 1.0), 0.0).astype(U.dtype)
        inner = F * (U @ T(grad_u.astype(U.dtype)))
        i = xp.arange(n)
        inner[..., i, i] += grad_lam.astype(U.dtype)
        G = T(U) @ inner @ U
        return ((G + T(G)) / 2).astype(grad_u.dtype, copy=False)
