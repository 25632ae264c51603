"""Indexing: ``take``, ``pick``, ``one_hot``, ``where``, ``gather_nd``, ``scatter_nd``, ``batch_take``,
``topk``, ``sort``, ``argsort`` (the Sequence* operators are in :mod:`minigluon.ops.sequence`).

Semantics follow MXNet 1.9.1 (``src/operator/tensor/indexing_op.cc``, ``ordering_op.cc``,
``control_flow_op.cc``). Index inputs may be floating point (they
are truncated toward zero, as MXNet casts them). Index and length inputs receive a zero gradient.
"""
import numpy as np

from minigluon import backend
from minigluon.ops.registry import Attr, Op, normalize_axis, register, shape_error


def put_along_axis(xp, target, idx, values, axis):
    """``target[..., idx, ...] = values`` along ``axis`` (NumPy's ``put_along_axis``, for any xp)."""
    if hasattr(xp, 'put_along_axis'):
        xp.put_along_axis(target, idx, values, axis=axis)
        return
    key = [xp.arange(n).reshape([-1 if i == d else 1 for i in range(idx.ndim)])
           for d, n in enumerate(idx.shape)]
    key[axis] = idx
    target[tuple(key)] = values


def _as_index(xp, idx, n, mode, op):
    """Integer indices into an axis of length ``n`` after MXNet's ``clip``/``wrap``/``raise`` rule."""
    idx = idx.astype(np.int64)
    if mode == 'wrap':
        return idx % n
    if mode == 'raise':
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
            raise IndexError('%s: index out of range [0, %d) with mode=\'raise\' (min %d, max %d)'
                             % (op.name, n, int(idx.min()), int(idx.max())))
        return idx
    return xp.clip(idx, 0, n - 1)


@register
class Take(Op):
    """Take slices of ``a`` along ``axis`` at ``indices``; out shape
    ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``.

    ``mode``: ``'clip'`` (default) clamps, ``'wrap'`` wraps around, ``'raise'`` raises IndexError.
    """

    name = 'take'
    mxnet_input_names = True
    arguments = ('a', 'indices')
    attrs = {'axis': Attr('int', 0), 'mode': Attr('str', 'clip', choices=('clip', 'raise', 'wrap'))}

    def forward(self, xp, a, indices):
        self.ax = normalize_axis(self.axis, a.ndim, self.name)
        self.idx = _as_index(xp, indices, a.shape[self.ax], self.mode, self)
        self.a_shape, self.indices = a.shape, indices
        return xp.take(a, self.idx, axis=self.ax)

    def backward(self, xp, grad):
        g = xp.zeros(self.a_shape, dtype=grad.dtype)
        key = (slice(None),) * self.ax + (self.idx,)
        backend.scatter_add(xp, g, key, grad)
        return g, xp.zeros_like(self.indices)


@register
class BatchTake(Op):
    """``out[i] = a[i, indices[i]]`` with ``a`` seen as ``(N, a.shape[-1])`` (indices clipped)."""

    name = 'batch_take'
    mxnet_input_names = True
    arguments = ('a', 'indices')

    def forward(self, xp, a, indices):
        if a.ndim == 0:
            raise shape_error(self, 'a must have at least 1 dimension', a, indices)
        m = a.shape[-1]
        flat = a.reshape(-1, m)
        if indices.size != flat.shape[0]:
            raise shape_error(self, 'indices must have one entry per row (%d)' % flat.shape[0],
                              a, indices)
        self.rows = xp.arange(flat.shape[0])
        self.cols = _as_index(xp, indices.reshape(-1), m, 'clip', self)
        self.a_shape, self.indices = a.shape, indices
        return flat[self.rows, self.cols].reshape(indices.shape)

    def backward(self, xp, grad):
        g = xp.zeros((self.rows.shape[0], self.a_shape[-1]), dtype=grad.dtype)
        g[self.rows, self.cols] = grad.reshape(-1)
        return g.reshape(self.a_shape), xp.zeros_like(self.indices)


@register
class Pick(Op):
    """Pick one element along ``axis`` for each position of ``index``.

    ``index`` has ``data``'s shape without ``axis`` (or with it of length 1). ``mode`` is
    ``'clip'`` or ``'wrap'``; ``axis=None`` picks from the flattened array.
    """

    name = 'pick'
    mxnet_input_names = True
    aliases = ('choose_element_0index',)     # the legacy name; MXNet writes 'pick' to JSON
    arguments = ('data', 'index')
    attrs = {'axis': Attr('int', -1, optional=True), 'keepdims': Attr('bool', False),
             'mode': Attr('str', 'clip', choices=('clip', 'wrap'))}

    def forward(self, xp, data, index):
        self.in_shape, self.index = data.shape, index
        work = data.reshape(-1) if self.axis is None else data
        ax = 0 if self.axis is None else normalize_axis(self.axis, data.ndim, self.name)
        expected = work.shape[:ax] + work.shape[ax + 1:]
        idx = index.reshape(expected) if index.size == int(np.prod(expected)) else None
        if idx is None:
            raise shape_error(self, 'index must have shape %s' % (expected,), data, index)
        self.ax = ax
        self.idx = xp.expand_dims(_as_index(xp, idx, work.shape[ax], self.mode, self), ax)
        out = xp.take_along_axis(work, self.idx, axis=ax)
        if self.keepdims or work.ndim == 1:     # from a 1-d input: (1,), never 0-d (MXNet)
            return out
        return out.squeeze(axis=ax)

    def backward(self, xp, grad):
        work_shape = (int(np.prod(self.in_shape)),) if self.axis is None else self.in_shape
        g = xp.zeros(work_shape, dtype=grad.dtype)
        g_sel = grad.reshape(self.idx.shape)
        put_along_axis(xp, g, self.idx, g_sel, self.ax)
        return g.reshape(self.in_shape), xp.zeros_like(self.index)


@register
class FillElement0Index(Op):
    """Row ``i`` of ``lhs`` with its element at column ``rhs[i]`` replaced by ``mhs[i]``
    (MXNet 1.9.1 ``fill_element_0index``, a legacy operator; ``pick`` is its reading twin).

    ``lhs``: ``(N, M)``; ``mhs`` and ``rhs``: ``(N,)``, ``rhs`` holding column indices (floats
    are truncated toward zero, as MXNet casts them). The output has ``lhs``'s shape and dtype.
    Gradients: ``lhs`` gets the head gradient with the replaced elements zeroed, ``mhs`` the
    head gradient at them, ``rhs`` none. MXNet 1.9.1 registers no gradient, cannot build the
    symbol with its three inputs ("Not enough argument"), and silently skips rows whose index is
    outside ``[0, M)``; here all three work and such an index raises.

    Raises
    ------
    ValueError
        When the shapes do not fit or an index is outside ``[0, M)``.
    """

    name = 'fill_element_0index'
    arguments = ('lhs', 'mhs', 'rhs')

    def forward(self, xp, lhs, mhs, rhs):
        if lhs.ndim != 2 or mhs.shape != (lhs.shape[0],) or rhs.shape != (lhs.shape[0],):
            raise shape_error(self, 'lhs must be (N, M) and mhs, rhs (N,)', lhs, mhs, rhs)
        cols = rhs.astype(np.int64)
        if cols.size and (int(cols.min()) < 0 or int(cols.max()) >= lhs.shape[1]):
            raise shape_error(self, 'every rhs must be a column index in [0, %d)' % lhs.shape[1],
                              lhs, mhs, rhs)
        self.rows, self.cols, self.mhs_dtype = xp.arange(lhs.shape[0]), cols, mhs.dtype
        out = lhs.copy()
        out[self.rows, cols] = mhs.astype(lhs.dtype, copy=False)
        return out

    def backward(self, xp, grad):
        g_mhs = grad[self.rows, self.cols].astype(self.mhs_dtype, copy=False)
        g_lhs = grad.copy()
        g_lhs[self.rows, self.cols] = 0
        return g_lhs, g_mhs, None


@register
class OneHot(Op):
    """One-hot encode ``indices``: output ``indices.shape + (depth,)``; out-of-range rows are off."""

    name = 'one_hot'
    mxnet_input_names = True
    arguments = ('indices',)
    attrs = {'depth': Attr('int'), 'on_value': Attr('float', 1.0), 'off_value': Attr('float', 0.0),
             'dtype': Attr('dtype', 'float32', choices=('float16', 'float32', 'float64', 'int32',
                                                        'int64', 'int8', 'uint8'))}
    differentiable = False

    def check_attrs(self):
        if self.depth < 0:
            raise ValueError('one_hot: depth must be a non-negative integer, got %d' % self.depth)

    def infer_type(self, in_types):
        return in_types, [np.dtype(self.dtype)]

    def forward(self, xp, indices):
        idx = indices.astype(np.int64)[..., None]
        hot = idx == xp.arange(self.depth)
        return xp.where(hot, self.on_value, self.off_value).astype(self.dtype)


@register
class Where(Op):
    """``x`` where ``condition`` is non-zero, else ``y``.

    ``condition`` has the shape of ``x`` (and ``y``), or is 1-d with one entry per row of ``x``.
    """

    name = 'where'
    mxnet_input_names = True
    arguments = ('condition', 'x', 'y')
    dtype_from_inputs = (1, 2)

    def forward(self, xp, condition, x, y):
        if x.shape != y.shape:
            raise shape_error(self, 'x and y must have the same shape', condition, x, y)
        if condition.shape == x.shape:
            mask = condition != 0
        elif condition.ndim == 1 and x.ndim >= 1 and condition.shape[0] == x.shape[0]:
            mask = (condition != 0).reshape((-1,) + (1,) * (x.ndim - 1))
        else:
            raise shape_error(self, 'condition must have the shape of x or be 1-d of length '
                              'x.shape[0]', condition, x, y)
        self.mask, self.cond = mask, condition
        return xp.where(mask, x, y)

    def infer_type(self, in_types):
        """The output has the dtype of ``x`` and ``y`` (``dtype_from_inputs``: their NumPy
        ``result_type`` when they differ, as :meth:`forward` computes it); ``condition`` keeps
        its own (an int64 mask over float32 data gives float32) and, unknown, takes theirs."""
        ins, outs = super().infer_type([None] + list(in_types[1:]))
        return [in_types[0] if in_types[0] is not None else ins[0]] + ins[1:], outs

    def backward(self, xp, grad):
        zero = xp.zeros((), dtype=grad.dtype)
        return (xp.zeros_like(self.cond), xp.where(self.mask, grad, zero),
                xp.where(self.mask, zero, grad))


@register
class GatherND(Op):
    """``out[y...] = data[indices[0, y...], ..., indices[M-1, y...]]``.

    ``indices`` has shape ``(M, ...)`` with ``M <= data.ndim``; out shape
    ``indices.shape[1:] + data.shape[M:]``. Repeated indices accumulate in the gradient.
    """

    name = 'gather_nd'
    mxnet_input_names = True
    arguments = ('data', 'indices')

    def forward(self, xp, data, indices):
        if indices.ndim < 1 or indices.shape[0] > data.ndim:
            raise shape_error(self, 'indices.shape[0] must be <= data.ndim', data, indices)
        idx = indices.astype(np.int64)
        self.key = tuple(idx[i] for i in range(idx.shape[0]))
        self.in_shape, self.indices = data.shape, indices
        return data[self.key]

    def backward(self, xp, grad):
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        backend.scatter_add(xp, g, self.key, grad)
        return g, xp.zeros_like(self.indices)


@register
class ScatterND(Op):
    """The inverse of ``gather_nd``: a zero array of ``shape`` with
    ``out[indices[0, y...], ..., indices[M-1, y...]] = data[y...]``.

    ``data`` has shape ``indices.shape[1:] + shape[M:]``. A repeated index keeps the last value
    written (what MXNet 1.9.1 gives on CPU; its documentation calls it undefined). Out-of-range
    indices raise IndexError. The gradient of ``data`` is ``gather_nd`` of the output gradient.
    """

    name = 'scatter_nd'
    mxnet_input_names = True
    arguments = ('data', 'indices')
    attrs = {'shape': Attr('shape')}

    def forward(self, xp, data, indices):
        shape, m = tuple(self.shape), indices.shape[0] if indices.ndim else 0
        if indices.ndim < 1 or m > len(shape) or data.shape != indices.shape[1:] + shape[m:]:
            raise shape_error(self, 'indices must be (M, ...) with M <= len(shape) and data '
                              'shaped indices.shape[1:] + shape[M:] (shape=%s)' % (shape,),
                              data, indices)
        idx = indices.astype(np.int64)
        for i in range(m):
            if idx[i].size and (int(idx[i].min()) < 0 or int(idx[i].max()) >= shape[i]):
                raise IndexError('scatter_nd: indices[%d] must lie in [0, %d), got %d..%d'
                                 % (i, shape[i], int(idx[i].min()), int(idx[i].max())))
        self.key, self.indices = tuple(idx[i] for i in range(m)), indices
        out = xp.zeros(shape, dtype=data.dtype)
        out[self.key] = data
        return out

    def backward(self, xp, grad):
        return grad[self.key], xp.zeros_like(self.indices)


_IDX_TYPES = ('float16', 'float32', 'float64', 'int32', 'int64', 'uint8')


def _ordered(xp, data, axis, ascend):
    """Stable sort order of ``data`` along ``axis``; ties keep index order in both directions.
    (CuPy always sorts stably, and older CuPy versions have no ``kind`` argument.)"""
    stable = {'kind': 'stable'} if xp is np else {}
    if not ascend:
        data = -(data.astype(np.int64) if data.dtype.kind in 'ub' else data)
    return xp.argsort(data, axis=axis, **stable)


class _Ordering(Op):
    def _prep(self, data):
        if self.axis is None:
            return data.reshape(-1), 0
        return data, normalize_axis(self.axis, data.ndim, self.name)


@register
class Sort(_Ordering):
    """Sort along ``axis`` (flattened when None), ascending unless ``is_ascend=False``.

    Equal values keep their index order (a stable sort; MXNet 1.9.1's CPU sort is not stable on
    longer arrays, so its order among equal values can differ). float16 data is sorted too
    (MXNet's CPU ``sort`` and ``argsort`` refuse it)."""

    name = 'sort'
    attrs = {'axis': Attr('int', -1, optional=True), 'is_ascend': Attr('bool', True)}

    def forward(self, xp, data):
        work, ax = self._prep(data)
        self.order, self.ax, self.in_shape = _ordered(xp, work, ax, self.is_ascend), ax, data.shape
        return xp.take_along_axis(work, self.order, axis=ax)

    def backward(self, xp, grad):
        g = xp.zeros(self.order.shape, dtype=grad.dtype)
        put_along_axis(xp, g, self.order, grad, self.ax)
        return (g.reshape(self.in_shape),)


@register
class ArgSort(_Ordering):
    """Indices that sort ``data`` along ``axis``, as ``dtype`` (float32 by default); equal
    values keep their index order, float16 data is sorted too (see :class:`Sort`)."""

    name = 'argsort'
    attrs = {'axis': Attr('int', -1, optional=True), 'is_ascend': Attr('bool', True),
             'dtype': Attr('dtype', 'float32', choices=_IDX_TYPES)}
    differentiable = False

    def infer_type(self, in_types):
        return in_types, [np.dtype(self.dtype)]

    def forward(self, xp, data):
        work, ax = self._prep(data)
        return _ordered(xp, work, ax, self.is_ascend).astype(self.dtype)


@register
class TopK(_Ordering):
    """The ``k`` largest (or smallest with ``is_ascend``) elements along ``axis``.

    ``ret_typ``: ``'indices'`` (default, as ``dtype``), ``'value'``, ``'both'`` (``[value, indices]``)
    or ``'mask'`` (1 at selected positions, data's shape). ``k < 1`` sorts the whole axis.
    Only the values carry a gradient.
    """

    name = 'topk'
    attrs = {'axis': Attr('int', -1, optional=True), 'k': Attr('int', 1),
             'ret_typ': Attr('str', 'indices', choices=('both', 'indices', 'mask', 'value')),
             'is_ascend': Attr('bool', False), 'dtype': Attr('dtype', 'float32', choices=_IDX_TYPES)}

    def check_attrs(self):
        self.num_outputs = 2 if self.ret_typ == 'both' else 1

    def infer_type(self, in_types):
        data, idx = in_types[0] or np.dtype(np.float32), np.dtype(self.dtype)
        return [data], {'value': [data], 'mask': [data], 'indices': [idx],
                        'both': [data, idx]}[self.ret_typ]

    def forward(self, xp, data):
        work, ax = self._prep(data)
        n = work.shape[ax]
        k = n if self.k < 1 else self.k
        if k > n:
            raise shape_error(self, 'k=%d exceeds the axis length %d' % (k, n), data)
        order = xp.take(_ordered(xp, work, ax, self.is_ascend), xp.arange(k), axis=ax)
        self.order, self.ax, self.in_shape, self.work_shape = order, ax, data.shape, work.shape
        if self.ret_typ == 'mask':
            mask = xp.zeros(work.shape, dtype=data.dtype)
            put_along_axis(xp, mask, order, 1, ax)
            return mask.reshape(data.shape)
        values = xp.take_along_axis(work, order, axis=ax)
        indices = order.astype(self.dtype)
        return {'value': values, 'indices': indices, 'both': (values, indices)}[self.ret_typ]

    def backward(self, xp, grad, *rest):
        if self.ret_typ not in ('value', 'both'):
            return (xp.zeros(self.in_shape, dtype=grad.dtype),)
        g = xp.zeros(self.work_shape, dtype=grad.dtype)
        put_along_axis(xp, g, self.order, grad, self.ax)
        return (g.reshape(self.in_shape),)
