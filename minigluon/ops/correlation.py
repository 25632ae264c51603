"""``Correlation``: the patch correlation layer of FlowNet (MXNet 1.9.1 ``Correlation``,
``src/operator/correlation*``; Dosovitskiy et al., "FlowNet: Learning Optical Flow with
Convolutional Networks", ICCV 2015).

How it is computed: both inputs are zero-padded once; for each displacement of the neighbourhood
grid and each position of the kernel window, one element-wise product (or absolute difference)
of two strided slices is summed over the channels, so the loops run over
``(2 * max_displacement / stride2 + 1) ** 2 * kernel_size ** 2`` slices, never over pixels.
"""
import itertools
import math

from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


@register
class Correlation(Op):
    """Correlate the patches of ``data1`` with the patches of ``data2`` around them (MXNet 1.9.1
    ``Correlation``).

    ``data1`` and ``data2`` are ``(N, C, H, W)`` of the same shape and float dtype, both padded
    with ``pad_size`` zeros. With ``r = max_displacement // stride2``, ``D = 2 * r + 1`` and
    ``k = kernel_size`` (odd), the output is ``(N, D * D, top_h, top_w)`` with
    ``top_h = ceil((H + 2 * pad_size - 2 * (max_displacement + (k - 1) // 2)) / stride1)``
    (``top_w`` alike). Output channel ``q = dy_index * D + dx_index`` at ``(i, j)`` compares the
    ``k x k`` window of padded ``data1`` starting at ``(y, x) = (i * stride1 + max_displacement,
    j * stride1 + max_displacement)`` with the window of padded ``data2`` starting at
    ``(y + (dy_index - r) * stride2, x + (dx_index - r) * stride2)``: the sum over the window
    and the channels of the products (``is_multiply=True``) or of the absolute differences,
    divided by ``k * k * C``. Gradients for both inputs (the absolute difference's is
    ``sign(a - b)``, 0 where they are equal). MXNet also declares two hidden outputs, the padded
    inputs in ``(N, H + 2 * pad, W + 2 * pad, C)`` layout; they are outputs 1 and 2 here too, so
    that graphs count the same outputs.

    Raises
    ------
    ValueError
        An even ``kernel_size``, ``stride1`` or ``stride2`` below 1, inputs that are not 4-D of
        one shape, or a padded input too small for the window and the displacement (an empty
        output).
    TypeError
        The inputs are not floating-point or have different dtypes.
    """

    name = 'Correlation'
    arguments = ('data1', 'data2')
    attrs = {'kernel_size': Attr('int', 1), 'max_displacement': Attr('int', 1),
             'stride1': Attr('int', 1), 'stride2': Attr('int', 1), 'pad_size': Attr('int', 0),
             'is_multiply': Attr('bool', True)}
    num_outputs = 3
    num_visible_outputs = 1

    def list_outputs(self):
        return ['output', 'tmp1', 'tmp2']

    def check_attrs(self):
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError('Correlation: kernel_size must be a positive odd number, got %d'
                             % self.kernel_size)
        for key in ('stride1', 'stride2'):
            if getattr(self, key) < 1:
                raise ValueError('Correlation: %s must be at least 1, got %d'
                                 % (key, getattr(self, key)))
        if self.max_displacement < 0 or self.pad_size < 0:
            raise ValueError('Correlation: max_displacement and pad_size must be non-negative, '
                             'got %d and %d' % (self.max_displacement, self.pad_size))

    def _geometry(self, shape):
        """``(top_h, top_w, grid radius, grid width)`` for inputs of ``shape``."""
        border = self.max_displacement + (self.kernel_size - 1) // 2
        top = [int(math.ceil((s + 2 * self.pad_size - 2 * border) / self.stride1))
               for s in shape[2:]]
        radius = self.max_displacement // self.stride2
        return top[0], top[1], radius, 2 * radius + 1

    def _pairs(self, shape):
        """For each output channel and kernel position, the slices of the padded ``data1`` and
        ``data2`` (``(N, C, top_h, top_w)`` views after slicing) that it compares."""
        top_h, top_w, radius, width = self._geometry(shape)
        start, s1 = self.max_displacement, self.stride1
        for q, (gy, gx) in enumerate(itertools.product(range(width), repeat=2)):
            dy, dx = (gy - radius) * self.stride2, (gx - radius) * self.stride2
            for h, w in itertools.product(range(self.kernel_size), repeat=2):
                y, x = start + h, start + w
                first = (slice(None), slice(None), slice(y, y + s1 * (top_h - 1) + 1, s1),
                         slice(x, x + s1 * (top_w - 1) + 1, s1))
                second = (slice(None), slice(None), slice(y + dy, y + dy + s1 * (top_h - 1) + 1, s1),
                          slice(x + dx, x + dx + s1 * (top_w - 1) + 1, s1))
                yield q, first, second

    def _check(self, data1, data2):
        for arr, arg in ((data1, 'data1'), (data2, 'data2')):
            require_float(self, arr, arg)
        if data1.dtype != data2.dtype:
            raise TypeError('Correlation: data1 and data2 must have the same dtype, got %s and %s'
                            % (data1.dtype, data2.dtype))
        if data1.ndim != 4 or data1.shape != data2.shape:
            raise shape_error(self, 'data1 and data2 must be 4-D (N, C, H, W) of the same shape',
                              data1, data2)
        top_h, top_w, _, _ = self._geometry(data1.shape)
        if top_h < 1 or top_w < 1:
            raise shape_error(self, 'the padded input is smaller than the kernel window and the '
                              'displacement need (kernel_size=%d, max_displacement=%d, pad_size=%d)'
                              % (self.kernel_size, self.max_displacement, self.pad_size),
                              data1, data2)

    def forward(self, xp, data1, data2):
        self._check(data1, data2)
        p = self.pad_size
        pads = [(0, 0), (0, 0), (p, p), (p, p)]
        self.pad1, self.pad2 = xp.pad(data1, pads), xp.pad(data2, pads)
        top_h, top_w, _, width = self._geometry(data1.shape)
        n, c = data1.shape[:2]
        out = xp.zeros((n, width * width, top_h, top_w), dtype=data1.dtype)
        for q, first, second in self._pairs(data1.shape):
            a, b = self.pad1[first], self.pad2[second]
            out[:, q] += (a * b if self.is_multiply else xp.abs(a - b)).sum(axis=1)
        self.scale = 1.0 / (self.kernel_size ** 2 * c)
        self.shape = data1.shape
        hidden = [xp.ascontiguousarray(t.transpose(0, 2, 3, 1)) for t in (self.pad1, self.pad2)]
        return (out * self.scale).astype(data1.dtype, copy=False), hidden[0], hidden[1]

    def backward(self, xp, grad, *unused):
        g1, g2 = xp.zeros_like(self.pad1), xp.zeros_like(self.pad2)
        for q, first, second in self._pairs(self.shape):
            g = grad[:, q:q + 1] * self.scale
            if self.is_multiply:
                g1[first] += g * self.pad2[second]
                g2[second] += g * self.pad1[first]
            else:
                sign = xp.sign(self.pad1[first] - self.pad2[second])
                g1[first] += g * sign
                g2[second] -= g * sign
        crop = (slice(None), slice(None)) + (slice(self.pad_size, self.pad_size + self.shape[2]),
                                             slice(self.pad_size, self.pad_size + self.shape[3]))
        return g1[crop], g2[crop]

    def infer_shape(self, in_shapes):
        known = next((s for s in in_shapes if s is not None), None)
        if known is None or len(known) != 4 or 0 in known:
            return super().infer_shape(in_shapes)
        top_h, top_w, _, width = self._geometry(known)
        n, c, h, w = known
        padded = (n, h + 2 * self.pad_size, w + 2 * self.pad_size, c)
        return [tuple(known)] * 2, [(n, width * width, top_h, top_w), padded, padded]
