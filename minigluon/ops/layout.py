"""Layout operators: ``depth_to_space``, ``space_to_depth``, ``diag`` and ``_split_v2``.

Names, attributes and defaults follow MXNet 1.9.1 (``src/operator/tensor/matrix_op.cc``,
``diag_op.cc``; ``_split_v2`` is the operator behind the Python functions ``nd.split_v2`` and
``sym.split_v2``, which live in :mod:`minigluon.ndarray.layout_funcs`). Every one of them only
moves elements, so each gradient moves the output gradient back (``diag`` scatters it into zeros).
"""
from minigluon.ops.registry import Attr, Op, normalize_axis, register, shape_error


def _depth_to_space(xp, x, b):
    """``(N, C, H, W) -> (N, C/b^2, H*b, W*b)`` in MXNet's (and ONNX DCR) element order."""
    n, c, h, w = x.shape
    y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    return xp.ascontiguousarray(y.reshape(n, c // (b * b), h * b, w * b))


def _space_to_depth(xp, x, b):
    """``(N, C, H, W) -> (N, C*b^2, H/b, W/b)``: the exact inverse of :func:`_depth_to_space`."""
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return xp.ascontiguousarray(y.reshape(n, c * b * b, h // b, w // b))


class _BlockMove(Op):
    """Base of the two block rearrangements: a 4-d input and a positive ``block_size``."""

    attrs = {'block_size': Attr('int')}

    def check_attrs(self):
        if self.block_size < 1:
            raise ValueError('%s: block_size must be a positive integer, got %d'
                             % (self.name, self.block_size))

    def _check_4d(self, data):
        if data.ndim != 4:
            raise shape_error(self, 'data must be 4-dimensional (N, C, H, W)', data)


@register
class DepthToSpace(_BlockMove):
    """Move channel blocks into ``block_size x block_size`` spatial tiles.

    ``(N, C, H, W) -> (N, C / b**2, H * b, W * b)`` with ``b = block_size``: the input is read as
    ``(N, b, b, C / b**2, H, W)``, transposed to ``(N, C / b**2, H, b, W, b)`` and reshaped, the
    element order of MXNet 1.9.1's ``depth_to_space`` (ONNX ``DepthToSpace`` in DCR mode). Any
    dtype. Raises ValueError unless ``data`` is 4-d with ``C`` divisible by ``b**2``.
    """

    name = 'depth_to_space'
    mxnet_input_names = True

    def forward(self, xp, data):
        self._check_4d(data)
        b = self.block_size
        if data.shape[1] % (b * b):
            raise shape_error(self, 'the channel axis (%d) must be divisible by block_size**2 = %d'
                              % (data.shape[1], b * b), data)
        return _depth_to_space(xp, data, b)

    def backward(self, xp, grad):
        return (_space_to_depth(xp, grad, self.block_size),)


@register
class SpaceToDepth(_BlockMove):
    """Move ``block_size x block_size`` spatial tiles into the channel axis.

    ``(N, C, H, W) -> (N, C * b**2, H / b, W / b)``, the inverse of ``depth_to_space`` (MXNet
    1.9.1 ``space_to_depth``). Any dtype. Raises ValueError unless ``data`` is 4-d with ``H`` and
    ``W`` divisible by ``b``.
    """

    name = 'space_to_depth'
    mxnet_input_names = True

    def forward(self, xp, data):
        self._check_4d(data)
        b = self.block_size
        if data.shape[2] % b or data.shape[3] % b:
            raise shape_error(self, 'height (%d) and width (%d) must be divisible by block_size=%d'
                              % (data.shape[2], data.shape[3], b), data)
        return _space_to_depth(xp, data, b)

    def backward(self, xp, grad):
        return (_depth_to_space(xp, grad, self.block_size),)


def _diag_index(xp, k, length):
    """Row and column indices of the ``k``-th diagonal, ``length`` elements long."""
    i = xp.arange(length)
    return (i, i + k) if k >= 0 else (i - k, i)


@register
class Diag(Op):
    """Build a diagonal matrix from a vector, or take diagonals out of an array.

    * 1-d ``data`` of length ``n``: a ``(n + |k|, n + |k|)`` matrix with ``data`` on diagonal ``k``
      (``axis1``/``axis2`` ignored);
    * ``d``-d data, ``d >= 2``: the ``k``-th diagonals of the sub-arrays spanned by ``axis1`` and
      ``axis2``; those axes are removed and one of the diagonal's length is appended last
      (``(2, 3, 4, 5)`` with ``axis1=0, axis2=2`` gives ``(3, 5, 2)``), as ``numpy.diagonal``.

    ``k > 0`` is above the main diagonal, ``k < 0`` below (MXNet 1.9.1 ``diag``,
    ``src/operator/tensor/diag_op.cc``). Any dtype. Raises ValueError for a 0-d input, equal or
    out-of-range axes, or a ``k`` outside ``[-S1, S2]`` where ``S1, S2`` are the two axis
    lengths (the two ends give an empty diagonal, as in MXNet).
    """

    name = 'diag'
    mxnet_input_names = True
    attrs = {'k': Attr('int', 0), 'axis1': Attr('int', 0), 'axis2': Attr('int', 1)}

    def forward(self, xp, data):
        self.in_shape = data.shape
        if data.ndim == 0:
            raise shape_error(self, 'data must have at least 1 dimension', data)
        if data.ndim == 1:
            return xp.diag(data, self.k)
        a1 = normalize_axis(self.axis1, data.ndim, self.name, 'axis1')
        a2 = normalize_axis(self.axis2, data.ndim, self.name, 'axis2')
        if a1 == a2:
            raise ValueError('diag: axis1 and axis2 must differ, both are %d' % a1)
        s1, s2 = data.shape[a1], data.shape[a2]
        if not -s1 <= self.k <= s2:
            raise shape_error(self, 'k=%d must lie in [-%d, %d], the lengths of axis1 and axis2'
                              % (self.k, s1, s2), data)
        self.axes = (a1, a2)
        return xp.ascontiguousarray(xp.diagonal(data, self.k, a1, a2))

    def backward(self, xp, grad):
        k = self.k
        if len(self.in_shape) == 1:
            return (xp.ascontiguousarray(xp.diagonal(grad, k)),)
        g = xp.zeros(self.in_shape, dtype=grad.dtype)
        view = xp.moveaxis(g, self.axes, (-2, -1))     # a view: writing it writes g
        rows, cols = _diag_index(xp, k, grad.shape[-1])
        view[..., rows, cols] = grad
        return (g,)


class _ListShape(Attr):
    """A tuple-of-ints attribute printed as a Python list (``"[0, 1, 3]"``).

    MXNet's Python wrappers pass ``_split_v2``'s ``indices`` as a list, so its ``-symbol.json``
    holds the list form; keeping it makes an exported file byte-identical.
    """

    __slots__ = ()

    def to_str(self, value):
        return str([int(v) for v in value])


@register
class SplitV2(Op):
    """Split ``data`` along ``axis`` at ``indices`` or into ``sections`` equal parts.

    The operator behind ``nd.split_v2`` / ``sym.split_v2`` (MXNet 1.9.1 ``_split_v2``,
    ``src/operator/tensor/matrix_op.cc``). With ``sections > 0`` the axis is cut into that many
    equal parts (``indices`` ignored); otherwise ``indices`` holds the start of every part, the
    first being 0 (``(0, 2, 3)`` gives ``data[:2]``, ``data[2:3]``, ``data[3:]``). With
    ``squeeze_axis=True`` every part must have length 1 there and loses the axis. The gradient
    puts the output gradients back in place. Raises ValueError for unequal sections, decreasing
    indices, an index past the axis length (MXNet's check; its docstring's promise of empty parts
    is not what it does) or a part longer than 1 with ``squeeze_axis``.
    """

    name = '_split_v2'
    mxnet_input_names = True
    attrs = {'indices': _ListShape('shape'), 'axis': Attr('int', 1),
             'squeeze_axis': Attr('bool', False), 'sections': Attr('int', 0)}

    def check_attrs(self):
        if self.sections < 0:
            raise ValueError('_split_v2: sections must be >= 0, got %d' % self.sections)
        if self.sections == 0 and not self.indices:
            raise ValueError('_split_v2: give indices_or_sections as a positive int or a tuple '
                             'of split points')
        self.num_outputs = self.sections or len(self.indices)

    def list_outputs(self):
        return ['output%d' % i for i in range(self.num_outputs)]

    def _bounds(self, data, n):
        if self.sections:
            if n % self.sections:
                raise shape_error(self, 'axis %d of length %d does not split into %d equal '
                                  'sections' % (self.axis, n, self.sections), data)
            size = n // self.sections
            starts = [i * size for i in range(self.sections)]
        else:
            starts = list(self.indices)
        ends = starts[1:] + [n]
        for s, e in zip(starts, ends):
            if not 0 <= s <= e <= n:
                raise shape_error(self, 'split points %s must increase within [0, %d] along '
                                  'axis %d' % (tuple(starts[1:]), n, self.axis), data)
        return list(zip(starts, ends))

    def forward(self, xp, data):
        self.ax = normalize_axis(self.axis, data.ndim, self.name)
        self.in_shape = data.shape
        self.parts = self._bounds(data, data.shape[self.ax])
        outs = []
        for s, e in self.parts:
            key = (slice(None),) * self.ax + (slice(s, e),)
            part = data[key]
            if self.squeeze_axis:
                if e - s != 1:
                    raise shape_error(self, 'squeeze_axis=True needs every part to have '
                                      'length 1 along axis %d, part %d..%d has %d'
                                      % (self.axis, s, e, e - s), data)
                part = part.squeeze(axis=self.ax)     # 0-d parts of a 1-d input, as MXNet
            outs.append(xp.ascontiguousarray(part) if part.ndim else part.copy())
        return tuple(outs)

    def backward(self, xp, *grads):
        g = xp.zeros(self.in_shape, dtype=grads[0].dtype)
        for (s, e), grad in zip(self.parts, grads):
            key = (slice(None),) * self.ax + (slice(s, e),)
            g[key] = grad.reshape(g[key].shape)
        return (g,)

