"""Small operators legacy models use: ``smooth_l1``, ``_contrib_div_sqrt_dim``,
``_contrib_arange_like``, ``_contrib_boolean_mask``, ``_contrib_index_copy``,
``_contrib_index_array``, ``_contrib_quadratic`` and ``_contrib_allclose``.

Names, inputs, attributes and defaults follow MXNet 1.9.1
(``src/operator/tensor/elemwise_binary_scalar_op_extended.cc``, ``src/operator/contrib/
transformer.cc``, ``boolean_mask.cc``, ``index_copy.cc``, ``index_array.cc``, ``quadratic_op.cc``,
``allclose_op.cc``, ``src/operator/tensor/init_op.cc``).
The ``_contrib_`` ones appear as ``nd.contrib.<name>`` / ``sym.contrib.<name>``.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, normalize_axis, register, shape_error


def _as_dtype_of(values, data):
    """``values`` (computed in floating point) in ``data``'s dtype; integers truncate toward
    zero, as MXNet's C++ kernels cast."""
    return values if values.dtype == data.dtype else values.astype(data.dtype)


def _threshold(bsq):
    """``1 / sigma**2``, infinite for ``sigma = 0`` (every ``x`` is then inside: ``f = 0``)."""
    return 1.0 / bsq if bsq else float('inf')


@register
class SmoothL1(Op):
    """The smooth L1 (Huber-like) function of Fast R-CNN, element-wise, with ``sigma = scalar``.

    ``f(x) = 0.5 * (sigma * x)**2`` where ``|x| < 1 / sigma**2``, else ``|x| - 0.5 / sigma**2``;
    the gradient is ``sigma**2 * x`` inside and ``sign(x)`` outside (Girshick, "Fast R-CNN", 2015;
    MXNet 1.9.1 ``smooth_l1``). ``sigma = 0`` gives 0 and a zero gradient, as in MXNet. The output
    keeps ``data``'s shape and dtype; integer results are truncated toward zero as in MXNet.
    """

    name = 'smooth_l1'
    same_shape = True
    attrs = {'scalar': Attr('float', 1.0)}

    def forward(self, xp, data):
        self.data = data
        x = data if data.dtype.kind == 'f' else data.astype(np.float64)
        bsq = self.scalar * self.scalar
        inside = xp.abs(x) < _threshold(bsq)
        out = xp.where(inside, 0.5 * bsq * x * x, xp.abs(x) - 0.5 * _threshold(bsq))
        return _as_dtype_of(out, data)

    def backward(self, xp, grad):
        x, bsq = self.data, self.scalar * self.scalar
        local = xp.where(xp.abs(x) < _threshold(bsq), bsq * x, xp.sign(x))
        return ((grad * local).astype(grad.dtype, copy=False),)


@register
class DivSqrtDim(Op):
    """``data / sqrt(data.shape[-1])``: the attention-score scaling of the Transformer
    (Vaswani et al., 2017; MXNet 1.9.1 ``_contrib_div_sqrt_dim``). Same shape and dtype; integer
    results are the truncated quotient (MXNet 1.9.1 truncates the divisor ``sqrt(dim)`` to an
    integer first, so for ``dim = 3`` it returns ``data`` unchanged; not followed here). An empty
    last axis gives an empty result (MXNet fails). Raises ValueError for a 0-d input."""

    name = '_contrib_div_sqrt_dim'

    def forward(self, xp, data):
        if data.ndim == 0:
            raise shape_error(self, 'data must have at least 1 dimension', data)
        dim = data.shape[-1]
        self.factor = 1.0 / float(np.sqrt(dim)) if dim else 1.0     # an empty axis: empty result
        x = data if data.dtype.kind == 'f' else data.astype(np.float64)
        return _as_dtype_of(x * x.dtype.type(self.factor), data)

    def backward(self, xp, grad):
        return (grad * grad.dtype.type(self.factor),)


@register
class ArangeLike(Op):
    """Evenly spaced values shaped like ``data`` (or along one of its axes).

    Element ``i`` (in row-major order) is ``start + (i // repeat) * step``. Without ``axis`` the
    output has ``data``'s shape; with ``axis`` it is 1-d, as long as that axis. The output has
    ``data``'s dtype (for an integer dtype ``start`` and ``step`` are truncated first, as MXNet's
    kernel casts them; MXNet 1.9.1 truncates them for float16 too, a bug not followed) and device: ``ctx`` is accepted for MXNet compatibility and ignored, the
    input decides. Only ``data``'s shape is read, so the operator has no gradient (MXNet 1.9.1
    ``_contrib_arange_like``). Raises ValueError for ``repeat < 1`` or an out-of-range axis.
    """

    name = '_contrib_arange_like'
    differentiable = False
    attrs = {'start': Attr('float', 0.0), 'step': Attr('float', 1.0), 'repeat': Attr('int', 1),
             'ctx': Attr('str', ''), 'axis': Attr('int', None)}

    def check_attrs(self):
        if self.repeat < 1:
            raise ValueError('_contrib_arange_like: repeat must be >= 1, got %d' % self.repeat)

    def forward(self, xp, data):
        if self.axis is None:
            shape = data.shape
        else:
            shape = (data.shape[normalize_axis(self.axis, data.ndim, self.name)],)
        start, step = self.start, self.step
        if data.dtype.kind in 'iub':
            start, step = float(int(start)), float(int(step))
        n = int(np.prod(shape))
        values = (xp.arange(n, dtype=np.int64) // self.repeat) * step + start
        return values.reshape(shape).astype(data.dtype)

    def backward(self, xp, grad):
        return (None,)


@register
class BooleanMask(Op):
    """The slices of ``data`` along ``axis`` whose entry in ``index`` is non-zero.

    ``index`` is 1-d with one entry (any dtype) per position of ``data`` along ``axis``; the
    output keeps ``data``'s other axes and dtype, and its length along ``axis`` is the number of
    non-zero entries, so it depends on the values (MXNet 1.9.1 ``_contrib_boolean_mask``, which
    only supports ``axis=0``; any axis works here). The gradient scatters back into zeros;
    ``index`` gets none.

    Hybridized, the graph runs node by node, so the data-dependent length works as in eager
    mode; ``Symbol.infer_shape`` reports that output axis as unknown (0), as MXNet does for its
    dynamic-shape operators. Raises ValueError when ``index`` is not 1-d or its length differs
    from ``data.shape[axis]``.
    """

    name = '_contrib_boolean_mask'
    mxnet_input_names = True
    arguments = ('data', 'index')
    attrs = {'axis': Attr('int', 0)}

    def forward(self, xp, data, index):
        if data.ndim == 0:
            raise shape_error(self, 'data must have at least 1 dimension', data, index)
        ax = normalize_axis(self.axis, data.ndim, self.name)
        if index.ndim != 1 or index.shape[0] != data.shape[ax]:
            raise shape_error(self, "'index' must be 1-d with one entry per position of data "
                              "along axis %d (length %d)" % (self.axis, data.shape[ax]),
                              data, index)
        self.key = (slice(None),) * ax + (xp.nonzero(index)[0],)
        self.in_shape = data.shape
        return xp.ascontiguousarray(data[self.key])

    def backward(self, xp, grad):
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        g[self.key] = grad
        return g, None

    def infer_shape(self, in_shapes):
        data, index = in_shapes
        if data is None or not data:
            return super().infer_shape(in_shapes)
        ax = normalize_axis(self.axis, len(data), self.name)
        out = tuple(0 if i == ax else d for i, d in enumerate(data))
        return [data, index if index is not None else (data[ax],)], [out]


@register
class IndexCopy(Op):
    """A copy of ``old_tensor`` whose rows ``index_vector[i]`` are replaced by ``new_tensor[i]``.

    ``old_tensor`` has shape ``(M, ...)``, ``new_tensor`` ``(K, ...)`` with the same trailing
    axes and ``K <= M``, ``index_vector`` ``K`` integers in ``[0, M)`` (any dtype, truncated). A
    repeated index keeps the last row written. Gradients: ``old_tensor`` gets the output gradient
    with the overwritten rows zeroed, ``new_tensor`` the gradient rows it was copied to (MXNet
    1.9.1 ``_contrib_index_copy``). The output has ``old_tensor``'s dtype. Raises ValueError for
    mismatched shapes and IndexError for an index out of range.
    """

    name = '_contrib_index_copy'
    mxnet_input_names = True
    arguments = ('old_tensor', 'index_vector', 'new_tensor')

    def forward(self, xp, old, index, new):
        if (old.ndim < 1 or index.ndim != 1 or new.shape[1:] != old.shape[1:]
                or new.ndim != old.ndim or index.shape[0] != new.shape[0]):
            raise shape_error(self, "expected old_tensor (M, ...), index_vector (K,) and "
                              "new_tensor (K, ...) with the same trailing axes", old, index, new)
        idx = index.astype(np.int64)
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= old.shape[0]):
            raise IndexError('_contrib_index_copy: index_vector entries must lie in [0, %d), '
                             'got %d..%d' % (old.shape[0], int(idx.min()), int(idx.max())))
        self.idx = idx
        out = old.copy()
        out[idx] = new.astype(old.dtype, copy=False)
        return out

    def backward(self, xp, grad):
        g_old = grad.copy()
        g_old[self.idx] = 0
        return g_old, None, xp.ascontiguousarray(grad[self.idx])


@register
class IndexArray(Op):
    """The index of every element of ``data``: for ``data`` of shape ``(d_1, ..., d_n)`` an int64
    array ``idx`` of shape ``(d_1, ..., d_n, m)`` with ``idx[i_1, ..., i_n, j] = i_{axes[j]}``.

    ``axes`` (negative values count from the end; repeats allowed) defaults to every axis in
    order, so ``m = n``; ``axes=()`` gives ``m = 0``. Only ``data``'s shape is read: the output
    is int64 whatever ``data``'s dtype, and ``data`` gets no gradient (MXNet 1.9.1
    ``_contrib_index_array``). Raises ValueError for 0-d ``data`` (MXNet fails its shape
    inference) or an axis out of range (MXNet returns indices of some other axis).
    """

    name = '_contrib_index_array'
    mxnet_input_names = True
    mxnet_output_names = True
    differentiable = False
    attrs = {'axes': Attr('shape', None)}

    def _axes(self, ndim):
        if ndim == 0:
            raise ValueError('_contrib_index_array: data must have at least 1 dimension, got a '
                             '0-d array')
        if self.axes is None:
            return tuple(range(ndim))
        return tuple(normalize_axis(a, ndim, self.name, 'axes') for a in self.axes)

    def forward(self, xp, data):
        axes = self._axes(data.ndim)
        out = xp.empty(data.shape + (len(axes),), dtype=np.int64)
        for j, ax in enumerate(axes):
            along = [1] * data.ndim
            along[ax] = data.shape[ax]
            out[..., j] = xp.arange(data.shape[ax], dtype=np.int64).reshape(along)
        return out

    def backward(self, xp, grad):
        return (None,)

    def infer_shape(self, in_shapes):
        (data,) = in_shapes
        if data is None or 0 in data:
            return super().infer_shape(in_shapes)      # raises: the shape cannot be inferred
        return [tuple(data)], [tuple(data) + (len(self._axes(len(data))),)]

    def infer_type(self, in_types):
        return list(in_types), [np.dtype(np.int64)]


def _quadratic_arith(dtype):
    """``(work dtype, rounding step)`` of MXNet's kernel for data of ``dtype``: float64 works in
    float64; everything else in float32 (C++ promotes an integer times a float coefficient to
    float), and float16 rounds every intermediate result to float16 (mshadow's ``half_t``
    operators return ``half_t``)."""
    if dtype == np.float64:
        return np.dtype(np.float64), None
    if dtype == np.float16:
        return np.dtype(np.float32), lambda v: v.astype(np.float16).astype(np.float32)
    return np.dtype(np.float32), None


@register
class Quadratic(Op):
    """``a * data**2 + b * data + c``, element-wise; the gradient is ``2 * a * data + b``.

    Same shape and dtype as ``data`` (MXNet 1.9.1 ``_contrib_quadratic``). The arithmetic is
    MXNet's, to the last bit: Horner's form ``data * (a * data + b) + c``; ``a``, ``b`` and ``c``
    are float32 values (``c=0.7`` adds ``float32(0.7)`` to float64 data too); integer data is
    computed in float32 and truncated toward zero (its gradient too); float16 rounds to float16
    after every operation.
    """

    name = '_contrib_quadratic'
    mxnet_input_names = True
    attrs = {'a': Attr('float', 0.0), 'b': Attr('float', 0.0), 'c': Attr('float', 0.0)}

    def _coefficients(self, work, *names):
        return [work.type(np.float32(getattr(self, n))) for n in names]

    def forward(self, xp, data):
        self.data = data
        work, rnd = _quadratic_arith(data.dtype)
        rnd = rnd or (lambda v: v)
        a, b, c = self._coefficients(work, 'a', 'b', 'c')
        x = data.astype(work, copy=False)
        return _as_dtype_of(rnd(x * rnd(rnd(a * x) + b)) + c, data)

    def backward(self, xp, grad):
        work, rnd = _quadratic_arith(self.data.dtype)
        rnd = rnd or (lambda v: v)
        a, b = self._coefficients(work, 'a', 'b')
        x = self.data.astype(work, copy=False)
        local = rnd(rnd((work.type(2) * a) * x) + b)
        return (_as_dtype_of(grad.astype(work, copy=False) * local, grad),)


@register
class AllClose(Op):
    """Whether every element of ``a`` is close to ``b``: ``a == b`` or
    ``|a - b| <= atol + rtol * |b|`` (MXNet 1.9.1 ``_contrib_allclose``, ``numpy.allclose``'s
    test). Unlike NumPy, ``equal_nan`` defaults to True (NaNs in the same places count as close),
    as in MXNet.

    ``a`` and ``b`` have one shape (no broadcasting) and one dtype, any numeric dtype. The
    output is a 0-d uint8 array, 1 or 0 (an empty input gives 1). As in MXNet, ``rtol`` and
    ``atol`` are float32 values; the difference is taken in the inputs' dtype (integers
    exactly) and the tolerance in float32 (float64 for float64 inputs). An infinity is close
    only to the same infinity, as in NumPy; MXNet's kernel finds ``inf`` close to ``-inf`` and
    to every finite number (``inf <= atol + rtol * inf``). No gradient.

    Raises
    ------
    ValueError
        When the shapes differ.
    TypeError
        When the dtypes differ.
    """

    name = '_contrib_allclose'
    mxnet_input_names = True
    arguments = ('a', 'b')
    attrs = {'rtol': Attr('float', 1e-05), 'atol': Attr('float', 1e-08),
             'equal_nan': Attr('bool', True)}
    differentiable = False

    def forward(self, xp, a, b):
        if a.shape != b.shape:
            raise shape_error(self, 'a and b must have the same shape', a, b)
        if a.dtype != b.dtype:
            raise TypeError('%s: a and b must have the same dtype, got %s and %s'
                            % (self.name, a.dtype.name, b.dtype.name))
        tol_type = np.float64 if a.dtype == np.float64 else np.float32
        rtol, atol = tol_type(np.float32(self.rtol)), tol_type(np.float32(self.atol))
        if a.dtype.kind == 'f':
            # (inf - inf is NaN: replaced below)
            diff = xp.abs(a - b).astype(tol_type)
            close = (a == b) | (diff <= atol + rtol * xp.abs(b).astype(tol_type))
            finite = xp.isfinite(a) & xp.isfinite(b)
            nan = xp.isnan(a) | xp.isnan(b)
            close = xp.where(finite, close, a == b)
            close = xp.where(nan, bool(self.equal_nan) & (xp.isnan(a) == xp.isnan(b)), close)
        else:
            big = a.astype(np.int64), b.astype(np.int64)
            diff = xp.abs(big[0] - big[1]).astype(np.float64)
            close = diff <= float(atol) + float(rtol) * xp.abs(big[1]).astype(np.float64)
        return xp.asarray(bool(close.all()), dtype=np.uint8).reshape(())

    def backward(self, xp, grad):
        return (None, None)

    def infer_shape(self, in_shapes):
        a, b = in_shapes
        a = b if a is None else a
        b = a if b is None else b
        if a is None:
            return super().infer_shape(in_shapes)        # raises: nothing to infer from
        if tuple(a) != tuple(b):
            raise ValueError('%s: a and b must have the same shape, got %s and %s'
                             % (self.name, tuple(a), tuple(b)))
        return [tuple(a), tuple(b)], [()]

    def infer_type(self, in_types):
        known = next((t for t in in_types if t is not None), None)
        return [known, known], [np.dtype(np.uint8)]
