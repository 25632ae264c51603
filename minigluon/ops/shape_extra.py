"""More shape operators (part of the ``shape`` family, imported by :mod:`minigluon.ops.shape`):
``tile``, ``repeat``, ``Pad``, ``broadcast_to``, ``broadcast_like``, ``broadcast_axis``, ``reshape_like``,
``reverse``, ``shape_array``, ``size_array``.

Semantics follow MXNet 1.9.1 (``src/operator/tensor/matrix_op.cc``, ``broadcast_reduce_op_value.cc``,
``src/operator/pad.cc``). MXNet's ``Pad`` accepts only 4-D and 5-D inputs; minigluon accepts any
rank (a superset).
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, normalize_axes, normalize_axis, register, shape_error, unbroadcast


@register
class Tile(Op):
    """Repeat the whole array ``reps`` times along each axis (NumPy ``tile`` rules).

    A shorter ``reps`` is padded with leading 1s; a longer one promotes ``data`` with leading axes.
    Any number of axes may be repeated (MXNet 1.9.1 fails with "Too many reduction axes" when
    reading a result that repeats more than two axes, ``nd.tile(nd.ones((2, 2, 2)), (2, 2, 2))``).
    """

    name = 'tile'
    mxnet_input_names = True
    attrs = {'reps': Attr('shape')}

    def forward(self, xp, data):
        reps = tuple(self.reps)
        ndim = max(data.ndim, len(reps))
        self.in_shape = data.shape
        self.full_in = (1,) * (ndim - data.ndim) + data.shape
        self.full_reps = (1,) * (ndim - len(reps)) + reps
        if any(r < 0 for r in reps):
            raise shape_error(self, 'reps=%s must be non-negative' % (reps,), data)
        return xp.tile(data, reps)

    def backward(self, xp, grad):
        interleaved = []
        for r, n in zip(self.full_reps, self.full_in):
            interleaved += [r, n]
        g = grad.reshape(interleaved).sum(axis=tuple(range(0, len(interleaved), 2)))
        return (g.reshape(self.in_shape),)


@register
class Repeat(Op):
    """Repeat each element ``repeats`` times along ``axis`` (the flattened array when None)."""

    name = 'repeat'
    mxnet_input_names = True
    attrs = {'repeats': Attr('int'), 'axis': Attr('int', None)}

    def check_attrs(self):
        if self.repeats < 0:
            raise ValueError('repeat: repeats must be >= 0, got %d' % self.repeats)

    def forward(self, xp, data):
        self.in_shape = data.shape
        if self.axis is None:
            return xp.repeat(data.reshape(-1), self.repeats)
        self.ax = normalize_axis(self.axis, data.ndim, self.name)
        return xp.repeat(data, self.repeats, axis=self.ax)

    def backward(self, xp, grad):
        if self.axis is None:
            return (grad.reshape(-1, self.repeats).sum(axis=1).reshape(self.in_shape),)
        a = self.ax
        shape = self.in_shape[:a + 1] + (self.repeats,) + self.in_shape[a + 1:]
        return (grad.reshape(shape).sum(axis=a + 1),)


def _pad_index(n, before, after, mode):
    """Source index of each padded position along one axis (-1 for constant padding)."""
    idx = np.arange(n)
    if mode == 'constant':
        return np.concatenate([np.full(before, -1), idx, np.full(after, -1)])
    return np.pad(idx, (before, after), mode=mode)


@register
class Pad(Op):
    """Pad ``data`` with ``mode`` ``'constant'`` (``constant_value``), ``'edge'`` or ``'reflect'``.

    ``pad_width`` holds ``(before, after)`` for every axis in order, ``2 * ndim`` integers.
    Arrays of any rank are padded (MXNet 1.9.1 pads only 4-D and 5-D ones).
    Raises ValueError for a wrong length, or reflect padding wider than the axis allows.
    """

    name = 'Pad'
    mxnet_input_names = True
    mxnet_output_names = True
    aliases = ('pad',)
    attrs = {'mode': Attr('str', choices=('constant', 'edge', 'reflect')),
             'pad_width': Attr('shape', minimum=0), 'constant_value': Attr('float', 0.0)}

    def forward(self, xp, data):
        pw = self.pad_width
        if len(pw) != 2 * data.ndim:
            raise shape_error(self, 'pad_width needs 2 * ndim = %d entries, got %d'
                              % (2 * data.ndim, len(pw)), data)
        self.pairs = [(pw[2 * i], pw[2 * i + 1]) for i in range(data.ndim)]
        if self.mode == 'reflect' and any(max(p) >= n for p, n in zip(self.pairs, data.shape)):
            raise shape_error(self, "reflect padding must be smaller than each padded axis", data)
        self.in_shape = data.shape
        if self.mode == 'constant':
            return xp.pad(data, self.pairs, mode='constant', constant_values=self.constant_value)
        return xp.pad(data, self.pairs, mode=self.mode)

    def backward(self, xp, grad):
        g = grad
        for axis, ((before, after), n) in enumerate(zip(self.pairs, self.in_shape)):
            if before == 0 and after == 0:
                continue
            src = _pad_index(n, before, after, self.mode)
            # (padded, n) matrix sending each padded position to its source element.
            onehot = (src[:, None] == np.arange(n)[None, :]).astype(grad.dtype)
            g = xp.moveaxis(xp.tensordot(g, xp.asarray(onehot), axes=([axis], [0])), -1, axis)
        return (g,)


class _BroadcastBase(Op):
    def backward(self, xp, grad, *rest):
        return (unbroadcast(xp, grad, self.in_shape),) + tuple(xp.zeros_like(r) for r in self.rest)


@register
class BroadcastTo(_BroadcastBase):
    """Broadcast ``data`` to ``shape``; a 0 in ``shape`` keeps that input dimension."""

    name = 'broadcast_to'
    attrs = {'shape': Attr('shape', ())}

    def forward(self, xp, data):
        if len(self.shape) != data.ndim:
            raise shape_error(self, 'shape %s must have %d dimensions' % (self.shape, data.ndim), data)
        target = tuple(d if s == 0 else s for s, d in zip(self.shape, data.shape))
        if any(d != 1 and d != t for d, t in zip(data.shape, target)):
            raise shape_error(self, 'cannot broadcast to %s' % (target,), data)
        self.in_shape, self.rest = data.shape, ()
        return xp.ascontiguousarray(xp.broadcast_to(data, target))


@register
class BroadcastAxis(_BroadcastBase):
    """Broadcast length-1 axes ``axis`` of ``data`` to the lengths ``size``."""

    name = 'broadcast_axis'
    aliases = ('broadcast_axes',)
    attrs = {'axis': Attr('shape', ()), 'size': Attr('shape', ())}

    def forward(self, xp, data):
        if len(self.axis) != len(self.size):
            raise shape_error(self, 'axis %s and size %s differ in length' % (self.axis, self.size),
                              data)
        target = list(data.shape)
        for a, s in zip(normalize_axes(self.axis, data.ndim, self.name), self.size):
            if data.shape[a] != 1:
                raise shape_error(self, 'axis %d has length %d, not 1' % (a, data.shape[a]), data)
            target[a] = s
        self.in_shape, self.rest = data.shape, ()
        return xp.ascontiguousarray(xp.broadcast_to(data, tuple(target)))


@register
class BroadcastLike(_BroadcastBase):
    """Broadcast ``lhs`` to the shape of ``rhs`` (or only ``lhs_axes`` to ``rhs``'s ``rhs_axes``)."""

    name = 'broadcast_like'
    mxnet_input_names = True
    arguments = ('lhs', 'rhs')
    attrs = {'lhs_axes': Attr('shape', None), 'rhs_axes': Attr('shape', None)}

    def forward(self, xp, lhs, rhs):
        if self.lhs_axes is None and self.rhs_axes is None:
            target = rhs.shape
        else:
            la, ra = self.lhs_axes or (), self.rhs_axes or ()
            if len(la) != len(ra):
                raise shape_error(self, 'lhs_axes %s and rhs_axes %s differ in length' % (la, ra),
                                  lhs, rhs)
            target = list(lhs.shape)
            for a, b in zip(la, ra):
                target[normalize_axis(a, lhs.ndim, self.name, 'lhs_axes')] = \
                    rhs.shape[normalize_axis(b, rhs.ndim, self.name, 'rhs_axes')]
        try:
            out = xp.broadcast_to(lhs, tuple(target))
        except ValueError:
            raise shape_error(self, 'cannot broadcast lhs to %s' % (tuple(target),), lhs, rhs) from None
        self.in_shape, self.rest = lhs.shape, (rhs,)
        return xp.ascontiguousarray(out)


@register
class ReshapeLike(Op):
    """Reshape ``lhs`` so that ``lhs.shape[lhs_begin:lhs_end]`` becomes ``rhs.shape[rhs_begin:rhs_end]``.

    With the defaults, ``lhs`` takes the whole shape of ``rhs``. The sizes must agree.
    """

    name = 'reshape_like'
    mxnet_input_names = True
    arguments = ('lhs', 'rhs')
    attrs = {'lhs_begin': Attr('int', None), 'lhs_end': Attr('int', None),
             'rhs_begin': Attr('int', None), 'rhs_end': Attr('int', None)}

    def forward(self, xp, lhs, rhs):
        ls, rs = lhs.shape, rhs.shape
        target = ls[:self._pos(self.lhs_begin, len(ls), 0)] + \
            rs[self._pos(self.rhs_begin, len(rs), 0):self._pos(self.rhs_end, len(rs), len(rs))] + \
            ls[self._pos(self.lhs_end, len(ls), len(ls)):]
        if int(np.prod(target)) != lhs.size:
            raise shape_error(self, 'target shape %s has a different size' % (target,), lhs, rhs)
        self.in_shape, self.rhs = ls, rhs
        return lhs.reshape(target)

    @staticmethod
    def _pos(v, n, default):
        return default if v is None else (v % n if v < 0 else v)

    def backward(self, xp, grad):
        return grad.reshape(self.in_shape), xp.zeros_like(self.rhs)


@register
class Reverse(Op):
    """Reverse the order of elements along ``axis`` (an int or tuple)."""

    name = 'reverse'
    mxnet_input_names = True
    aliases = ('flip',)
    attrs = {'axis': Attr('shape')}

    def forward(self, xp, data):
        self.axes = tuple(normalize_axis(a, data.ndim, self.name) for a in self.axis)
        return xp.ascontiguousarray(xp.flip(data, self.axes))

    def backward(self, xp, grad):
        return (xp.flip(grad, self.axes),)


@register
class ShapeArray(Op):
    """The shape of ``data`` as a 1-d int64 array."""

    name = 'shape_array'
    differentiable = False

    def infer_type(self, in_types):
        return in_types, [np.dtype(np.int64)]

    def forward(self, xp, data):
        return xp.asarray(data.shape, dtype=np.int64)


@register
class SizeArray(Op):
    """The number of elements of ``data`` as a ``(1,)`` int64 array."""

    name = 'size_array'
    differentiable = False

    def infer_type(self, in_types):
        return in_types, [np.dtype(np.int64)]

    def forward(self, xp, data):
        return xp.asarray([data.size], dtype=np.int64)
