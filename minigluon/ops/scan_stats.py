"""``moments`` (mean and variance over axes) and ``cumsum`` (MXNet 1.9.1 ``_np_cumsum``).

Semantics follow MXNet 1.9.1 (``src/operator/nn/moments-inl.h``, ``src/operator/numpy/np_cumsum.cc``):

* ``moments(data, axes, keepdims)`` returns two arrays, the mean and the (biased, divide-by-N)
  variance over ``axes``. ``axes`` must be given (MXNet refuses empty axes: pass every axis for
  global moments); a reduction over every axis without ``keepdims`` gives shape ``(1,)``. Integer
  inputs stay integer: the mean and the variance are truncated quotients, as MXNet's kernels do.
* ``cumsum(a, axis=None, dtype=None)``: the running sum along ``axis``; ``axis=None`` runs over the
  flattened array (output 1-d). The output has ``dtype`` if given, else the input's dtype (an int8
  input stays int8 in MXNet 1.9.1, unlike NumPy). Its gradient is the reversed running sum of the
  incoming gradient.
"""
import numpy as np

from minigluon.ops.reduce import reduce_axes
from minigluon.ops.registry import Attr, Op, normalize_axis, register

_DTYPES = ('None', 'float16', 'float32', 'float64', 'int32', 'int64', 'int8')


def _trunc_div(xp, total, n):
    """``total / n`` for integer arrays, truncated toward zero (C's integer division)."""
    return xp.floor_divide(xp.abs(total), n) * xp.sign(total)


@register
class Moments(Op):
    """Mean and variance of ``data`` over ``axes``.

    Parameters (attributes): ``axes`` (tuple of ints, negative allowed; required in practice),
    ``keepdims`` (bool, default False: reduced axes are dropped).

    Returns two arrays of ``data``'s dtype: the mean and the biased variance
    ``mean((data - mean)**2)``. Shape: ``data.shape`` without the reduced axes (length 1 with
    ``keepdims``; ``(1,)`` when every axis is reduced). Raises ValueError for missing, repeated or
    out-of-range axes (MXNet 1.9.1 ``moments``).
    """

    name = 'moments'
    mxnet_input_names = True
    attrs = {'axes': Attr('shape', None), 'keepdims': Attr('bool', False)}
    num_outputs = 2

    def forward(self, xp, data):
        if not self.axes:
            raise ValueError('moments: axes must name at least one axis (MXNet does not support '
                             'empty axes); for global moments pass every axis, e.g. axes=%s'
                             % (tuple(range(data.ndim)),))
        axes = reduce_axes(self, data.ndim, tuple(self.axes))
        n = max(int(np.prod([data.shape[a] for a in axes])), 1)
        self.x, self.axes_, self.n = data, axes, n
        if data.dtype.kind in 'iub':
            mean = _trunc_div(xp, data.sum(axis=axes, keepdims=True), n).astype(data.dtype)
            var = _trunc_div(xp, ((data - mean) ** 2).sum(axis=axes, keepdims=True), n)
        elif data.size == 0 or any(data.shape[a] == 0 for a in axes):
            # nothing to average: NaN (as NumPy's mean, without its RuntimeWarnings)
            kept = tuple(1 if i in axes else s for i, s in enumerate(data.shape))
            mean = xp.full(kept, np.nan, dtype=data.dtype)
            var = xp.full(kept, np.nan, dtype=data.dtype)
        else:
            mean = data.mean(axis=axes, keepdims=True)
            var = ((data - mean) ** 2).mean(axis=axes, keepdims=True)
        self.mean = mean
        return self._shape_out(mean.astype(data.dtype)), self._shape_out(var.astype(data.dtype))

    def _shape_out(self, kept):
        if self.keepdims:
            return kept
        shape = tuple(s for i, s in enumerate(kept.shape) if i not in self.axes_)
        return kept.reshape(shape or (1,))

    def backward(self, xp, grad_mean, grad_var):
        kept = tuple(1 if i in self.axes_ else s for i, s in enumerate(self.x.shape))
        gm = grad_mean.reshape(kept) / self.n
        gv = grad_var.reshape(kept) * (2.0 / self.n) * (self.x - self.mean)
        return ((gm + gv).astype(self.x.dtype, copy=False),)


@register
class Cumsum(Op):
    """Cumulative sum of ``a`` along ``axis`` (the flattened array when ``axis`` is None).

    Attributes: ``axis`` (int or None, default None), ``dtype`` (output and accumulator type,
    one of float16/32/64, int32/64, int8; default the input's dtype). Output shape: ``a.shape``,
    or ``(a.size,)`` when ``axis`` is None. Raises ValueError for an out-of-range axis
    (MXNet 1.9.1 ``cumsum``, registered as ``_np_cumsum``).
    """

    name = '_np_cumsum'
    mxnet_input_names = True
    aliases = ('cumsum',)
    arguments = ('a',)
    attrs = {'axis': Attr('int', None), 'dtype': Attr('str', 'None', choices=_DTYPES)}

    def _out_dtype(self, in_dtype):
        return np.dtype(in_dtype if self.dtype == 'None' else self.dtype)

    def forward(self, xp, a):
        self.in_shape, self.in_dtype = a.shape, a.dtype
        dtype = self._out_dtype(a.dtype)
        if self.axis is None:
            self.ax = 0
            return xp.cumsum(a.reshape(-1), dtype=dtype)
        self.ax = normalize_axis(self.axis, a.ndim, self.name)
        return xp.cumsum(a, axis=self.ax, dtype=dtype)

    def backward(self, xp, grad):
        rev = xp.flip(xp.cumsum(xp.flip(grad, self.ax), axis=self.ax), self.ax)
        return (rev.reshape(self.in_shape).astype(self.in_dtype, copy=False),)

    def infer_type(self, in_types):
        known = in_types[0]
        if known is None:
            return in_types, [None if self.dtype == 'None' else np.dtype(self.dtype)]
        return in_types, [self._out_dtype(known)]
