"""Shape manipulation: ``Reshape``, ``Flatten``, ``transpose``, ``SwapAxis``, ``expand_dims``, ``squeeze``,
``Concat``, ``stack``, ``SliceChannel``, ``slice``, ``slice_axis``, ``slice_like``, ``tile``, ``repeat``,
``Pad``, ``broadcast_to``/``_like``/``_axis``, ``reshape_like``, ``reverse``, ``shape_array``, ``size_array``.

Names, aliases, attributes and defaults follow MXNet 1.9.1 (``src/operator/tensor/matrix_op.cc``,
``broadcast_reduce_op_value.cc``, ``src/operator/pad.cc``, ``slice_channel.cc``, ``concat.cc``).
Inputs that only lend their shape (``shape_like``, ``broadcast_like``'s ``rhs``) get a zero gradient.
"""
import math

import numpy as np

from minigluon.base import MXNetError, ShapeConflictError
from minigluon.ops.elemwise import fill_value, promote
from minigluon.ops.registry import Attr, Op, normalize_axes, normalize_axis, register, shape_error


def infer_reshape(op, in_shape, spec, reverse=False):
    """Output shape of MXNet's ``Reshape`` for ``spec`` with the special codes.

    ``0`` copies the input dimension, ``-1`` is inferred from the remaining size, ``-2`` copies all
    remaining input dimensions, ``-3`` merges two consecutive input dimensions, ``-4 a b`` splits
    one input dimension into ``a * b`` (one of them may be ``-1``). With ``reverse=True`` the codes
    are matched from the right. Raises ValueError naming the operator when the sizes disagree.
    """
    src = list(in_shape)[::-1] if reverse else list(in_shape)
    spec = list(spec)[::-1] if reverse else list(spec)
    out, si, infer_at, i = [], 0, None, 0

    def need(k, code):
        if si + k > len(src):
            raise ValueError('%s: code %d in shape %s needs more input dimensions than %s'
                             % (op.name, code, tuple(op.shape), tuple(in_shape)))
    while i < len(spec):
        code = spec[i]
        if code == 0:
            need(1, 0)
            out.append(src[si])
            si += 1
        elif code == -1:
            if infer_at is not None:
                raise ValueError('%s: shape %s has more than one -1' % (op.name, tuple(op.shape)))
            infer_at = len(out)
            out.append(1)
            si += 1
        elif code == -2:
            out.extend(src[si:])
            si = len(src)
        elif code == -3:
            need(2, -3)
            out.append(src[si] * src[si + 1])
            si += 2
        elif code == -4:
            need(1, -4)
            if i + 2 >= len(spec):
                raise ValueError('%s: -4 in shape %s must be followed by two dimensions'
                                 % (op.name, tuple(op.shape)))
            d0, d1, d2 = src[si], spec[i + 1], spec[i + 2]
            if d1 == -1 and d2 == -1:
                raise ValueError('%s: the two dimensions after -4 cannot both be -1' % op.name)
            d1 = d0 // d2 if d1 == -1 else d1
            d2 = d0 // d1 if d2 == -1 else d2
            if d1 * d2 != d0:
                raise ValueError('%s: split dimensions %d, %d do not divide input dimension %d'
                                 % (op.name, d1, d2, d0))
            out.extend([d1, d2])
            si += 1
            i += 2
        elif code > 0:
            out.append(code)
            si += 1
        else:
            raise ValueError('%s: invalid code %d in shape %s (allowed: positive, 0, -1, -2, -3, -4)'
                             % (op.name, code, tuple(op.shape)))
        i += 1
    total = int(math.prod(in_shape))      # (math.prod: np.prod costs ~3 us on a short tuple)
    if infer_at is not None:
        rest = int(math.prod(out))
        if rest == 0 or total % rest:
            raise ValueError('%s: cannot infer -1 in shape %s for an input of shape %s'
                             % (op.name, tuple(op.shape), tuple(in_shape)))
        out[infer_at] = total // rest
    if reverse:
        out = out[::-1]
    if int(math.prod(out)) != total:
        raise ValueError('%s: cannot reshape an input of shape %s (size %d) into shape %s (from %s)'
                         % (op.name, tuple(in_shape), total, tuple(out), tuple(op.shape)))
    return tuple(out)


class _ShapeOnly(Op):
    """A view-like op: the gradient is the incoming gradient reshaped back to the input's shape."""

    def backward(self, xp, grad):
        return (grad.reshape(self.in_shape),)


@register
class Reshape(_ShapeOnly):
    """Reshape ``data`` to ``shape`` (with the special codes of :func:`infer_reshape`)."""

    name = 'Reshape'
    aliases = ('reshape',)
    attrs = {'shape': Attr('shape', ()), 'reverse': Attr('bool', False),
             'target_shape': Attr('shape', ()), 'keep_highest': Attr('bool', False)}

    def out_shape(self, in_shape):
        if self.shape:
            return infer_reshape(self, in_shape, self.shape, self.reverse)
        if self.target_shape:   # deprecated form: 0 marks the one inferred dimension
            spec = list(self.target_shape)
            if self.keep_highest:
                spec = [in_shape[0]] + spec
            spec = [-1 if d == 0 else d for d in spec]
            return infer_reshape(self, in_shape, spec)
        if 'shape' in self.given:      # shape=() given: a 0-d result, as MXNet 1.9.1 gives
            if int(np.prod(in_shape)) != 1:
                raise ValueError('Reshape: shape=() makes a 0-d array, which holds one element; the '
                                 'input %s holds %d' % (in_shape, int(np.prod(in_shape))))
            return ()
        raise ValueError('Reshape: give a target shape with shape=(...)')

    def forward(self, xp, data):
        self.in_shape = data.shape
        return data.reshape(self.out_shape(data.shape))

    def infer_shape(self, in_shapes):
        # A target of positive sizes only is the output whatever the input. Backward inference,
        # as MXNet's: one unknown input dimension follows from a known output (a Gluon RNN
        # layer's deferred input size reaches its weight through Reshape(-1)).
        data = in_shapes[0]
        out = (getattr(self, '_infer_outputs', None) or [None])[0]
        if out is None and self.shape and min(self.shape) > 0:
            out = tuple(self.shape)
        if data is not None and 0 in data and out is not None and 0 not in out:
            known, total = int(np.prod([d for d in data if d])), int(np.prod(out))
            if total % known:
                raise ShapeConflictError('Reshape: an input of shape %s cannot give %d elements '
                                         '(output %s)' % (tuple(data), total, tuple(out)))
            if list(data).count(0) == 1:
                data = tuple(total // known if d == 0 else d for d in data)
            return [tuple(data)], [tuple(out)]
        return super().infer_shape(in_shapes)


@register
class Flatten(_ShapeOnly):
    """Collapse all axes after the first: ``(N, a, b, ...) -> (N, a*b*...)``; 1-d gives ``(N, 1)``."""

    name = 'Flatten'
    aliases = ('flatten',)

    def forward(self, xp, data):
        self.in_shape = data.shape
        n = data.shape[0] if data.ndim else 1
        return data.reshape((n, -1) if data.size else (n, int(np.prod(data.shape[1:]))))


@register
class Transpose(Op):
    """Permute the axes (reversed when ``axes`` is empty). Negative axes count from the end (MXNet
    1.9.1 refuses them); an axis out of range or repeated is a ``ValueError`` (MXNet gives
    ``(2, 2)`` for ``axes=(0, 0)`` on a ``(2, 3)`` array)."""

    name = 'transpose'
    attrs = {'axes': Attr('shape', ())}

    def _permutation(self, ndim):
        """The axes as a permutation of ``range(ndim)`` (negative ones counted from the end), or
        None when they are not one."""
        axes = self.axes or tuple(range(ndim))[::-1]
        if (any(not -ndim <= a < ndim for a in axes)
                or sorted(a % max(ndim, 1) for a in axes) != list(range(ndim))):
            return None
        return tuple(a % ndim for a in axes)

    def forward(self, xp, data):
        self.perm = self._permutation(data.ndim)
        if self.perm is None:
            raise shape_error(self, 'axes=%s is not a permutation of the %d axes'
                              % (self.axes, data.ndim), data)
        return xp.ascontiguousarray(xp.transpose(data, self.perm))

    def backward(self, xp, grad):
        return (xp.transpose(grad, np.argsort(self.perm)),)

    def infer_shape(self, in_shapes):
        """The input's sizes permuted, unknown (0) ones included, without a pass over data (which
        would allocate arrays of the graph's size). Raises ``MXNetError`` for an unknown input
        or axes that are not a permutation of its axes."""
        data = in_shapes[0]
        if data is None:
            raise MXNetError('transpose: the shape of data is needed')
        data = tuple(data)
        perm = self._permutation(len(data))
        if perm is None:
            raise MXNetError('transpose: axes=%s is not a permutation of the %d axes of %s'
                             % (self.axes, len(data), data))
        return [data], [tuple(data[a] for a in perm)]


@register
class SwapAxis(Op):
    """Exchange axes ``dim1`` and ``dim2``."""

    name = 'SwapAxis'
    mxnet_input_names = True
    mxnet_output_names = True
    aliases = ('swapaxes',)
    attrs = {'dim1': Attr('int', 0), 'dim2': Attr('int', 0)}

    def forward(self, xp, data):
        if data.ndim == 0:
            raise shape_error(self, 'a 0-d array has no axes to swap', data)
        self.d1 = normalize_axis(self.dim1, data.ndim, self.name, 'dim1')
        self.d2 = normalize_axis(self.dim2, data.ndim, self.name, 'dim2')
        return xp.ascontiguousarray(xp.swapaxes(data, self.d1, self.d2))

    def backward(self, xp, grad):
        return (xp.swapaxes(grad, self.d1, self.d2),)


@register
class ExpandDims(_ShapeOnly):
    """Insert an axis of length 1 at ``axis`` (``-ndim-1 <= axis <= ndim``)."""

    name = 'expand_dims'
    attrs = {'axis': Attr('int')}

    def forward(self, xp, data):
        self.in_shape = data.shape
        axis = normalize_axis(self.axis, data.ndim + 1, self.name)
        return xp.expand_dims(data, axis)


@register
class Squeeze(_ShapeOnly):
    """Remove axes of length 1 (those in ``axis``, or all); never returns a 0-d array."""

    name = 'squeeze'
    mxnet_input_names = True
    attrs = {'axis': Attr('shape', None)}

    def forward(self, xp, data):
        self.in_shape = data.shape
        if self.axis is None:
            shape = [n for n in data.shape if n != 1]
        else:
            axes = normalize_axes(self.axis, data.ndim, self.name)
            bad = [a for a in axes if data.shape[a] != 1]
            if bad:
                raise shape_error(self, 'cannot squeeze axis %s of length != 1' % bad, data)
            shape = [n for i, n in enumerate(data.shape) if i not in axes]
        return data.reshape(tuple(shape) or (1,))


def _joined_dtype(dtypes):
    """The one dtype of joined arrays, by the rule of ``a + b`` (:func:`~minigluon.ops.elemwise.promote`:
    float32 with int32 is float32, where NumPy's concatenate gives float64; MXNet 1.9.1 refuses
    mixed dtypes)."""
    dt = np.dtype(dtypes[0])
    for d in dtypes[1:]:
        dt = promote(dt, np.dtype(d))
    return dt


def _same_dtype(arrays):
    """The arrays cast to their :func:`_joined_dtype`."""
    dt = _joined_dtype([a.dtype for a in arrays])
    return [a if a.dtype == dt else a.astype(dt) for a in arrays]


class _Joining(Op):
    """Concat, stack, _rnn_param_concat: any number of inputs joined in :func:`_joined_dtype`."""

    def infer_type(self, in_types):
        """With every input dtype known the output has their :func:`_joined_dtype`, as the
        forward computes it; otherwise the element-wise rule."""
        ins, outs = super().infer_type(in_types)
        if in_types and all(t is not None for t in in_types):
            outs = [_joined_dtype(in_types)] * self.num_outputs
        return ins, outs


def _check_num_args(op, arrays):
    """Refuse a ``num_args`` other than the number of ``arrays`` given (``nd.concat(x, y,
    num_args=3)``), as MXNet 1.9.1 does ("expects 3 inputs, but got 2"); ``add_n`` checks it too."""
    if len(arrays) != op.num_args:
        raise ValueError('%s: num_args=%d but %d arrays were given' % (op.name, op.num_args, len(arrays)))


@register
class Concat(_Joining):
    """Join arrays along ``dim``; every other dimension must agree."""

    name = 'Concat'
    mxnet_input_names = True
    mxnet_output_names = True
    aliases = ('concat',)
    arguments = None
    attrs = {'num_args': Attr('int'), 'dim': Attr('int', 1)}

    def forward(self, xp, *arrays):
        if not arrays:
            raise ValueError('Concat: needs at least one input')
        _check_num_args(self, arrays)
        ndim = arrays[0].ndim
        axis = normalize_axis(self.dim, ndim, self.name, 'dim')
        for a in arrays:
            if a.ndim != ndim or a.shape[:axis] + a.shape[axis + 1:] != \
                    arrays[0].shape[:axis] + arrays[0].shape[axis + 1:]:
                raise shape_error(self, 'shapes differ outside dim=%d' % self.dim, *arrays)
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(_same_dtype(arrays), axis=axis)

    def backward(self, xp, grad):
        return tuple(xp.split(grad, np.cumsum(self.sizes)[:-1].tolist(), axis=self.axis))

    def infer_shape(self, in_shapes):
        """Partly known shapes, as MXNet's rule: the inputs and the output agree outside ``dim``
        (an unknown dimension there takes the size another gives), the output's ``dim`` is the
        sum, unknown while one input's is, and a known output completes the one input whose
        ``dim`` is unknown."""
        if all(s is not None and 0 not in s for s in in_shapes):
            return super().infer_shape(in_shapes)
        out = (getattr(self, '_infer_outputs', None) or [None])[0]
        known = [tuple(s) for s in list(in_shapes) + [out] if s is not None]
        if not known or len({len(s) for s in known}) != 1:
            raise MXNetError('Concat: cannot infer shapes from %s (output %s)' % (list(in_shapes), out))
        ndim = len(known[0])
        axis = normalize_axis(self.dim, ndim, self.name, 'dim')
        common = [0] * ndim
        for s in known:
            for i, d in enumerate(s):
                if i != axis and d and common[i] not in (0, d):
                    raise ShapeConflictError('Concat: shapes %s (output %s) differ outside '
                                             'dim=%d' % (list(in_shapes), out, self.dim))
                common[i] = common[i] or d
        sizes = [0 if s is None else s[axis] for s in in_shapes]
        if out is not None and out[axis] and sizes.count(0) == 1 and out[axis] > sum(sizes):
            sizes[sizes.index(0)] = out[axis] - sum(sizes)
        shape = (lambda n: tuple(n if i == axis else d for i, d in enumerate(common)))
        return [shape(n) for n in sizes], [shape(sum(sizes) if all(sizes) else 0)]


@register
class Stack(_Joining):
    """Join same-shaped arrays along a new axis ``axis``."""

    name = 'stack'
    mxnet_input_names = True
    arguments = None
    attrs = {'axis': Attr('int', 0), 'num_args': Attr('int')}

    def forward(self, xp, *arrays):
        _check_num_args(self, arrays)
        if not arrays or any(a.shape != arrays[0].shape for a in arrays):
            raise shape_error(self, 'all inputs must have the same shape', *arrays)
        self.ax = normalize_axis(self.axis, arrays[0].ndim + 1, self.name)
        return xp.stack(_same_dtype(arrays), axis=self.ax)

    def backward(self, xp, grad):
        return tuple(xp.take(grad, i, axis=self.ax) for i in range(grad.shape[self.ax]))


@register
class SliceChannel(Op):
    """Split ``data`` into ``num_outputs`` equal parts along ``axis`` (a list of outputs).

    With ``squeeze_axis=True`` the split axis (then of length 1) is removed (the parts of a 1-d
    array are 0-d, as in MXNet 1.9.1). Raises ValueError when
    the axis length is not divisible by ``num_outputs``.
    """

    name = 'SliceChannel'
    mxnet_input_names = True
    mxnet_output_names = True
    aliases = ('split',)
    attrs = {'num_outputs': Attr('int'), 'axis': Attr('int', 1), 'squeeze_axis': Attr('bool', False)}

    def check_attrs(self):
        if self.num_outputs < 1:
            raise ValueError('SliceChannel: num_outputs must be >= 1, got %d' % self.num_outputs)

    def list_outputs(self):
        return ['output%d' % i for i in range(self.num_outputs)]

    def forward(self, xp, data):
        self.ax = normalize_axis(self.axis, data.ndim, self.name)
        n = data.shape[self.ax]
        if n % self.num_outputs:
            raise shape_error(self, 'axis %d of length %d is not divisible by num_outputs=%d'
                              % (self.axis, n, self.num_outputs), data)
        if self.squeeze_axis and n != self.num_outputs:
            raise shape_error(self, 'squeeze_axis=True needs num_outputs (%d) equal to the axis '
                              'length (%d)' % (self.num_outputs, n), data)
        parts = xp.split(data, self.num_outputs, axis=self.ax)
        if self.squeeze_axis:   # a 1-d input gives 0-d parts, as MXNet 1.9.1
            parts = [p.squeeze(axis=self.ax) for p in parts]
        return tuple(xp.ascontiguousarray(p) if p.ndim else p.copy() for p in parts)

    def backward(self, xp, *grads):
        if self.squeeze_axis:
            grads = [xp.expand_dims(g, self.ax) for g in grads]
        return (xp.concatenate(grads, axis=self.ax),)


class _Slicing(Op):
    """Base of ops whose output is ``data[self.key]``; the gradient scatters back."""

    def forward(self, xp, data):
        self.in_shape = data.shape
        self.key = self.make_key(data)
        return xp.ascontiguousarray(data[self.key])

    def backward(self, xp, grad, *rest):
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        g[self.key] = grad
        return (g,) + tuple(None for _ in rest)


@register
class Slice(_Slicing):
    """``data[begin0:end0:step0, begin1:end1:step1, ...]``; ``None`` entries take the default.

    ``begin``/``end``/``step`` may be shorter than ``data.ndim`` (the other axes are kept whole).
    Raises ValueError when their lengths differ or a step is 0.
    """

    name = 'slice'
    aliases = ('crop',)
    # step=None is the default steps, as MXNet 1.9.1 takes it (and writes "step": "None" to JSON)
    attrs = {'begin': Attr('any'), 'end': Attr('any'), 'step': Attr('any', (), optional=True)}

    def check_attrs(self):
        def ints(v, what):
            v = (v,) if isinstance(v, (int, type(None))) else tuple(v)
            try:
                return tuple(None if x is None else int(x) for x in v)
            except (TypeError, ValueError):
                raise ValueError('slice: %s must be a tuple of ints or None, got %r'
                                 % (what, v)) from None
        self.begin, self.end = ints(self.begin, 'begin'), ints(self.end, 'end')
        self.step = () if self.step is None else ints(self.step, 'step')
        if len(self.begin) != len(self.end) or (self.step and len(self.step) != len(self.begin)):
            raise ValueError('slice: begin %s, end %s and step %s must have the same length'
                             % (self.begin, self.end, self.step))
        if 0 in self.step:
            raise ValueError('slice: step must not be 0, got %s' % (self.step,))

    def make_key(self, data):
        if len(self.begin) > data.ndim:
            raise shape_error(self, 'begin has %d entries for %d axes' % (len(self.begin), data.ndim),
                              data)
        steps = self.step or (None,) * len(self.begin)
        return tuple(slice(b, e, s) for b, e, s in zip(self.begin, self.end, steps))

    def infer_shape(self, in_shapes):
        """The default rule, except that an unknown (0) size of a sliced axis stays unknown in the
        output, as in MXNet: its length depends on that size through ``begin``/``end``/``step`` in
        ways the default rule's probe sizes need not show (a step of 30 gives 1 for each)."""
        ins, outs = super().infer_shape(in_shapes)
        data = ins[0]
        if 0 in data[:len(self.begin)]:
            outs = [tuple(0 if i < len(self.begin) and data[i] == 0 else d
                          for i, d in enumerate(outs[0]))]
        return ins, outs


@register
class SliceAssign(Slice):
    """``lhs`` with the region ``lhs[begin:end:step]`` (as :class:`Slice` reads it) replaced by
    ``rhs``, as a new array; ``NDArray.slice_assign`` writes it back into ``lhs`` with ``out=``
    (MXNet 1.9.1's ``_slice_assign``). ``rhs`` must have the region's shape (ValueError
    otherwise, as MXNet refuses it) and is cast to ``lhs``'s dtype. Gradients: ``lhs`` gets the
    head gradient with the region zeroed, ``rhs`` the region of it.
    """

    name = '_slice_assign'
    mxnet_input_names = True
    aliases = ('_crop_assign',)
    arguments = ('lhs', 'rhs')

    def forward(self, xp, lhs, rhs):
        self.key = self.make_key(lhs)
        out = lhs.copy()
        if out[self.key].shape != rhs.shape:
            raise shape_error(self, 'rhs must have the shape %s of the region begin=%s, end=%s, '
                              'step=%s' % (out[self.key].shape, self.begin, self.end, self.step),
                              lhs, rhs)
        out[self.key] = rhs
        return out

    def backward(self, xp, grad):
        g = grad.copy()
        g[self.key] = 0
        return g, xp.ascontiguousarray(grad[self.key])

    def infer_shape(self, in_shapes):
        """The default rule (the output has lhs's shape; Slice's rule is for its region), after
        giving an unknown ``rhs`` the region's shape where ``lhs``'s is known, as MXNet infers it
        (``sym.var('r')`` as ``rhs``)."""
        lhs, rhs = in_shapes
        if rhs is None and lhs is not None and 0 not in lhs:
            region = np.broadcast_to(np.empty((), np.int8), tuple(lhs))    # (no memory of lhs's size)
            in_shapes = [lhs, region[self.make_key(region)].shape]
        return Op.infer_shape(self, in_shapes)


@register
class SliceAssignScalar(Slice):
    """``data`` with the region ``data[begin:end:step]`` set to ``scalar``, as a new array;
    ``NDArray.slice_assign_scalar`` writes it back with ``out=`` (MXNet 1.9.1's
    ``_slice_assign_scalar``). The gradient is the head gradient with the region zeroed."""

    name = '_slice_assign_scalar'
    aliases = ('_crop_assign_scalar',)
    attrs = {'scalar': Attr('float', 0.0), **Slice.attrs}

    def forward(self, xp, data):
        self.key = self.make_key(data)
        out = data.copy()
        out[self.key] = fill_value(self.scalar, out.dtype, '_slice_assign_scalar: scalar')
        return out

    def backward(self, xp, grad):
        g = grad.copy()
        g[self.key] = 0
        return (g,)

    infer_shape = Op.infer_shape


@register
class SliceAxis(_Slicing):
    """``data`` sliced to ``[begin, end)`` along ``axis`` (``end=None``: to the end; negative
    values count from the end). Raises ``ValueError`` unless ``0 <= begin < end <= size``."""

    name = 'slice_axis'
    # ``end`` is required (None allowed), as in MXNet 1.9.1
    attrs = {'axis': Attr('int'), 'begin': Attr('int'), 'end': Attr('int', optional=True)}

    def make_key(self, data):
        axis = normalize_axis(self.axis, data.ndim, self.name)
        size = data.shape[axis]
        begin = self.begin + size if self.begin < 0 else self.begin
        end = size if self.end is None else (self.end + size if self.end < 0 else self.end)
        if not 0 <= begin < end <= size:          # MXNet 1.9.1 refuses these too
            raise shape_error(self, 'begin=%d, end=%s must satisfy 0 <= begin < end <= %d (the '
                              'size of axis %d, negative values counting from its end)'
                              % (self.begin, self.end, size, axis), data)
        return (slice(None),) * axis + (slice(begin, end),)


@register
class SliceLike(_Slicing):
    """Slice ``data`` from the start to the shape of ``shape_like`` on ``axes`` (all if empty).
    Raises ``ValueError`` where ``shape_like`` is larger than ``data``."""

    name = 'slice_like'
    mxnet_input_names = True
    arguments = ('data', 'shape_like')
    attrs = {'axes': Attr('shape', ())}

    def forward(self, xp, data, shape_like):
        self.like = shape_like
        if data.ndim != shape_like.ndim and not self.axes:
            raise shape_error(self, 'data and shape_like need the same number of axes', data,
                              shape_like)
        axes = [normalize_axis(a, data.ndim, self.name, 'axes') for a in self.axes] or \
            range(data.ndim)
        key = [slice(None)] * data.ndim
        for a in axes:
            if shape_like.shape[a] > data.shape[a]:
                raise shape_error(self, 'shape_like is larger than data on axis %d (%d > %d)'
                                  % (a, shape_like.shape[a], data.shape[a]), data, shape_like)
            key[a] = slice(0, shape_like.shape[a])
        self.key = tuple(key)
        self.in_shape = data.shape
        return xp.ascontiguousarray(data[self.key])

    def backward(self, xp, grad):
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        g[self.key] = grad
        return g, xp.zeros_like(self.like)


from minigluon.ops import shape_extra  # noqa: E402,F401  (tile, repeat, pad, broadcast_*, ...)
