"""Reductions: ``sum``, ``mean``, ``max``, ``min``, ``prod``, ``nansum``, ``nanprod``, ``norm``,
``argmax``, ``argmin``, ``argmax_channel``.

Semantics follow MXNet 1.9.1 legacy NDArray (``src/operator/tensor/broadcast_reduce_op*.cc``):

* ``axis`` is ``None`` or ``()`` (all axes), an int or a tuple of ints; ``exclude=True`` reduces over
  the axes *not* listed; ``keepdims=True`` keeps reduced axes with length 1.
* A reduction over every axis without ``keepdims`` returns shape ``(1,)``, never a 0-d array.
* Integer inputs give integer outputs (``mean`` of int32 truncates, as MXNet does).
* ``max``/``min`` send the gradient to every element equal to the result (ties all receive it).
* ``prod``'s gradient is the product of the other elements (exact with zeros, where MXNet's
  ``out / x`` gives NaN); ``norm``'s gradient at a zero vector is 0 (MXNet gives NaN).
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register, shape_error


def reduce_axes(op, ndim, axis, exclude=False):
    """The sorted tuple of axes to reduce; raise ValueError naming the operator if out of range."""
    if axis is None or axis == ():      # MXNet: both mean every axis, with or without exclude
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    norm = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError('%s: axis %d is out of range for an input of %d dimensions'
                             % (op.name, a, ndim))
        norm.append(a % ndim)
    if len(set(norm)) != len(norm):
        raise ValueError('%s: axis %s contains a repeated axis' % (op.name, axes))
    if exclude:
        return tuple(i for i in range(ndim) if i not in norm)
    return tuple(sorted(norm))


def _finish_shape(out, in_shape, axes, keepdims):
    """Apply MXNet's output-shape rule: keepdims keeps ones; a full reduction gives (1,)."""
    if keepdims:
        return out.reshape(tuple(1 if i in axes else n for i, n in enumerate(in_shape)))
    if out.ndim == 0:
        return out.reshape((1,))
    return out


class _Reduce(Op):
    """Base of axis reductions; subclasses define ``compute(xp, x, axes)`` and ``grad(xp, g)``.

    ``grad`` receives the incoming gradient already reshaped to broadcast against the input.
    """

    attrs = {'axis': Attr('shape', None), 'keepdims': Attr('bool', False),
             'exclude': Attr('bool', False)}

    def forward(self, xp, data):
        self.x = data
        self.axes = reduce_axes(self, data.ndim, self.axis, self.exclude)
        out = self.compute(xp, data, self.axes)
        out = xp.asarray(out)
        if out.dtype != data.dtype:
            out = out.astype(data.dtype)
        self.out_kept = out.reshape(tuple(1 if i in self.axes else n
                                          for i, n in enumerate(data.shape)))
        return _finish_shape(out, data.shape, self.axes, self.keepdims)

    def backward(self, xp, grad):
        g = grad.reshape(self.out_kept.shape)
        return (self.grad(xp, g).astype(self.x.dtype, copy=False),)


def _reduction(name, compute, grad, aliases=(), doc=''):
    cls = type(name, (_Reduce,), {'name': name, 'aliases': tuple(aliases), '__doc__': doc,
                                  'compute': compute, 'grad': grad})
    return register(cls)


def _exclusive_prod(xp, x, axes):
    """For each element, the product of the *other* elements in its reduction group."""
    if x.size == 0:       # no elements: nothing to multiply (the shifts below assume one)
        return xp.zeros_like(x)
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = xp.transpose(x, keep + list(axes))
    lead = moved.shape[:len(keep)]
    flat = moved.reshape(lead + (-1,))
    ones = xp.ones(lead + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], ones], axis=-1), -1),
                               axis=-1), -1)
    others = (left * right).reshape(moved.shape)
    return xp.transpose(others, np.argsort(keep + list(axes)))


def _mean(self, xp, x, axes):
    n = max(int(np.prod([x.shape[a] for a in axes])), 1)
    if x.dtype.kind in 'iub':
        # The integer quotient truncated toward zero, as MXNet's (-8 / 12 is 0, not floor's -1).
        total = x.sum(axis=axes)
        return xp.floor_divide(xp.abs(total), n) * xp.sign(total)
    return x.mean(axis=axes)


def _mean_grad(self, xp, g):
    n = max(int(np.prod([self.x.shape[a] for a in self.axes])), 1)
    return xp.broadcast_to(g / n, self.x.shape)


def _extreme_grad(self, xp, g):
    return g * (self.x == self.out_kept)


def _nan_grad(self, xp, g):
    return xp.where(xp.isnan(self.x), 0, g)


def _nanprod_grad(self, xp, g):
    clean = xp.where(xp.isnan(self.x), 1, self.x)
    return xp.where(xp.isnan(self.x), 0, g * _exclusive_prod(xp, clean, self.axes))


Sum = _reduction('sum', lambda self, xp, x, axes: x.sum(axis=axes),
                 lambda self, xp, g: xp.broadcast_to(g, self.x.shape), ('sum_axis',),
                 'Sum over ``axis`` (MXNet ``sum``, alias ``sum_axis``).')
Mean = _reduction('mean', _mean, _mean_grad, (),
                  'Mean over ``axis``. Its gradient is added as is to a gradient being '
                  "accumulated (``grad_req='add'``, an array that a hybridized loop body reads "
                  'at every step); MXNet 1.9.1 divides the sum already there by the count too.')
def _not_empty(op, x, axes):
    """Raise a ValueError naming ``op`` when one of ``axes`` of ``x`` has size 0: a maximum
    or minimum (or its index) over no elements has no value (MXNet 1.9.1 refuses size-0 arrays)."""
    if x.size == 0 and any(x.shape[a] == 0 for a in axes):
        raise shape_error(op, 'no %s over an empty axis (axis %s has size 0)'
                          % (op.name, [a for a in axes if x.shape[a] == 0][0]), x)


def _max(self, xp, x, axes):
    _not_empty(self, x, axes)
    return x.max(axis=axes)


def _min(self, xp, x, axes):
    _not_empty(self, x, axes)
    return x.min(axis=axes)


Max = _reduction('max', _max, _extreme_grad, ('max_axis',),
                 'Maximum over ``axis``; ties all receive the gradient.')
Min = _reduction('min', _min, _extreme_grad, ('min_axis',),
                 'Minimum over ``axis``; ties all receive the gradient.')
Prod = _reduction('prod', lambda self, xp, x, axes: x.prod(axis=axes),
                  lambda self, xp, g: g * _exclusive_prod(xp, self.x, self.axes), (),
                  'Product over ``axis``.')
NanSum = _reduction('nansum', lambda self, xp, x, axes: xp.nansum(x, axis=axes), _nan_grad, (),
                    'Sum over ``axis`` treating NaN as 0 (NaN positions get zero gradient).')
NanProd = _reduction('nanprod', lambda self, xp, x, axes: xp.nanprod(x, axis=axes), _nanprod_grad,
                     (), 'Product over ``axis`` treating NaN as 1 (NaN positions get zero gradient).')


@register
class Norm(Op):
    """L1 (``ord=1``) or L2 (``ord=2``, default) norm over ``axis`` (all axes by default).

    Output shape follows the reduction rules of this module; ``out_dtype`` casts the result.
    The L2 norm of float16 data is computed in float32 and rounded once (MXNet 1.9.1 accumulates
    it in float16: 0.6694 for a norm of 0.7063; 16 of 30 random float16 arrays were off).
    Raises ValueError for another ``ord``.
    """

    name = 'norm'
    attrs = {'ord': Attr('int', 2), 'axis': Attr('shape', None),
             # optional, as MXNet's dmlc::optional<int>: out_dtype=None (x.norm(2, 1, None, True))
             # means the input's dtype, as 'None' does
             'out_dtype': Attr('str', 'None', choices=('None', 'float16', 'float32', 'float64',
                                                       'int32', 'int64', 'int8'), optional=True),
             'keepdims': Attr('bool', False)}

    def check_attrs(self):
        if self.ord not in (1, 2):
            raise ValueError('norm: ord must be 1 or 2, got %d' % self.ord)

    def forward(self, xp, data):
        self.x = data
        self.axes = reduce_axes(self, data.ndim, self.axis)
        if self.ord == 1:
            out = xp.abs(data).sum(axis=self.axes, keepdims=True)
        else:
            # float16 squares in float32: in float16 they overflow past 256 (a norm of 3192 was
            # inf) and round each step; the result is rounded to float16 once at the end
            work = data.astype(np.float64 if data.dtype.kind != 'f' else
                               np.promote_types(data.dtype, np.float32), copy=False)
            out = xp.sqrt((work * work).sum(axis=self.axes, keepdims=True))
        self.out_kept = out
        dtype = data.dtype if self.out_dtype in (None, 'None') else np.dtype(self.out_dtype)
        out = _finish_shape(out.reshape([n for i, n in enumerate(out.shape) if i not in self.axes]),
                            data.shape, self.axes, self.keepdims)
        return out.astype(dtype, copy=False)

    def backward(self, xp, grad):
        g = grad.reshape(self.out_kept.shape).astype(self.x.dtype, copy=False)
        if self.ord == 1:
            return (g * xp.sign(self.x),)
        safe = xp.where(self.out_kept == 0, 1, self.out_kept)
        return ((g * self.x / safe).astype(self.x.dtype, copy=False),)


class _ArgReduce(Op):
    """Index of the extreme value along ``axis`` (flattened when None), as the input's dtype."""

    attrs = {'axis': Attr('int', None), 'keepdims': Attr('bool', False)}
    differentiable = False

    def forward(self, xp, data):
        _not_empty(self, data, range(data.ndim) if self.axis is None
                   else reduce_axes(self, data.ndim, self.axis))
        if self.axis is None:
            idx = self.pick(xp, data.reshape(-1), 0)
            out = xp.asarray(idx).reshape((1,) * data.ndim if self.keepdims else (1,))
        else:
            axis = reduce_axes(self, data.ndim, self.axis)[0]
            out = self.pick(xp, data, axis)
            if self.keepdims:
                out = xp.expand_dims(out, axis)
            elif out.ndim == 0:     # a 1-d input: shape (1,), as every full reduction in MXNet
                out = out.reshape((1,))
        # the input's dtype, as MXNet 1.9.1 (int32 data gives int32 indices; bool gives float32)
        dtype = np.float32 if data.dtype.kind == 'b' else data.dtype
        return out.astype(dtype)


@register
class ArgMax(_ArgReduce):
    """Indices of the maxima along ``axis``, in the input's dtype (as in MXNet)."""

    name = 'argmax'

    @staticmethod
    def pick(xp, x, axis):
        return xp.argmax(x, axis=axis)


@register
class ArgMin(_ArgReduce):
    """Indices of the minima along ``axis``, in the input's dtype (as in MXNet)."""

    name = 'argmin'

    @staticmethod
    def pick(xp, x, axis):
        return xp.argmin(x, axis=axis)


@register
class ArgMaxChannel(Op):
    """Indices of the maxima along axis 1, the channel axis, in the input's dtype.

    MXNet's documentation says "the last axis", which is the same for its 2-D examples; for
    higher ranks its implementation (and minigluon) reduces axis 1.
    """

    name = 'argmax_channel'
    differentiable = False

    def forward(self, xp, data):
        dtype = np.float32 if data.dtype.kind == 'b' else data.dtype
        _not_empty(self, data, (1 if data.ndim > 1 else 0,) if data.ndim else ())
        out = xp.argmax(data, axis=1 if data.ndim > 1 else 0).astype(dtype)
        return out.reshape((1,)) if out.ndim == 0 else out    # a 1-d input: (1,), never 0-d
