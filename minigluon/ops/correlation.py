"""``Correlation``: the correlation layer of FlowNet (Dosovitskiy et al., "FlowNet: Learning
Optical Flow with Convolutional Networks", ICCV 2015), which compares patches of two feature maps
at a grid of displacements.

Name, inputs, attributes and results follow MXNet 1.9.1's CPU operator
(``src/operator/correlation.cc``), measured against it (``tools/gen_correlation_fixtures.py``).

How it is computed: one pass per displacement (``(2 * max_displacement // stride2 + 1) ** 2`` of
them) over the whole batch: the channel sum of the products (or absolute differences) of the
first map and the shifted second map, then the ``kernel_size`` x ``kernel_size`` patch sums at
the output positions. The backward runs the same passes in reverse.
"""
import numpy as np

from minigluon.base import MXNetError
from minigluon.ops.registry import Attr, Op, check_given_shapes, compute_dtype, register, \
    require_float, shape_error


@register
class Correlation(Op):
    """Patch correlation of ``data1`` and ``data2`` at a grid of displacements (MXNet 1.9.1
    ``Correlation``).

    Inputs ``data1`` and ``data2`` ``(N, C, H, W)`` of the same shape, both zero-padded by
    ``pad_size`` on each side (``Hp = H + 2 * pad_size``). With ``r = (kernel_size - 1) // 2``,
    ``border = max_displacement + r`` and ``D = max_displacement // stride2``, the output is
    ``(N, (2D + 1) ** 2, Ho, Wo)`` with ``Ho = ceil((Hp - 2 * border) / stride1)`` (likewise
    ``Wo``). Output channel ``q`` is the displacement ``(dy, dx) = ((q // (2D + 1) - D) * stride2,
    (q % (2D + 1) - D) * stride2)``; the value at ``(i, j)`` is the mean over the channels and the
    ``kernel_size`` x ``kernel_size`` patch whose top-left corner is
    ``(i * stride1 + max_displacement, j * stride1 + max_displacement)`` (padded coordinates) of
    ``data1[p] * data2[p + (dy, dx)]`` (``is_multiply=True``) or ``|data1[p] - data2[p + (dy,
    dx)]|`` (``is_multiply=False``).

    ``kernel_size`` must be odd. Output in ``data1``'s dtype (float16 computed in float32). Gradients for both inputs; for
    ``is_multiply=False`` the derivative of ``|a - b|`` at ``a == b`` is taken as ``+1`` for ``a``
    and ``-1`` for ``b``, as MXNet's. Raises ValueError when the displacements and kernel do not
    fit in the padded map (as MXNet's check; MXNet 1.9.1 aborts the process instead for some
    such shapes: (2, 3, 8, 4) inputs with kernel_size=5, max_displacement=1, stride1=3,
    stride2=2) and when ``data2``'s shape differs from ``data1``'s
    (MXNet 1.9.1 does not check it and reads outside ``data2``, or crashes).
    """

    name = 'Correlation'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data1', 'data2')
    attrs = {'kernel_size': Attr('int', 1), 'max_displacement': Attr('int', 1),
             'stride1': Attr('int', 1), 'stride2': Attr('int', 1), 'pad_size': Attr('int', 0),
             'is_multiply': Attr('bool', True)}
    # MXNet declares two hidden outputs, the padded inputs in (N, Hp, Wp, C) layout; they are
    # outputs 1 and 2 here too, so that graphs count, name and save the same outputs
    num_outputs = 3
    num_visible_outputs = 1

    def list_outputs(self):
        return ['output', 'tmp1', 'tmp2']

    def check_attrs(self):
        for key in ('kernel_size', 'stride1', 'stride2'):
            if getattr(self, key) < 1:
                raise ValueError('Correlation: %s must be positive, got %d'
                                 % (key, getattr(self, key)))
        if self.kernel_size % 2 == 0:
            raise ValueError('Correlation: kernel_size must be odd (as MXNet 1.9.1 requires), got %d'
                             % self.kernel_size)
        for key in ('max_displacement', 'pad_size'):
            if getattr(self, key) < 0:
                raise ValueError('Correlation: %s must not be negative, got %d'
                                 % (key, getattr(self, key)))

    def _grid(self):
        """``(D, 2D + 1)``: the displacement radius and width in steps of ``stride2``."""
        radius = self.max_displacement // self.stride2
        return radius, 2 * radius + 1

    def _out_spatial(self, h, w, *arrays):
        border = self.max_displacement + (self.kernel_size - 1) // 2
        sizes = [-(-(s + 2 * self.pad_size - 2 * border) // self.stride1) for s in (h, w)]
        if min(sizes) < 1:
            raise shape_error(self, 'the displacements (max_displacement=%d) and the kernel '
                              '(kernel_size=%d) do not fit in the padded %dx%d map'
                              % (self.max_displacement, self.kernel_size,
                                 h + 2 * self.pad_size, w + 2 * self.pad_size), *arrays)
        return sizes

    def _displacements(self):
        radius, width = self._grid()
        for q in range(width * width):
            yield q, (q // width - radius) * self.stride2, (q % width - radius) * self.stride2

    def _windows(self, out_sp):
        """The rows and columns (padded coordinates) data1's patches cover: ``span`` of each
        starting at ``max_displacement``."""
        md, k, s1 = self.max_displacement, self.kernel_size, self.stride1
        return [slice(md, md + (o - 1) * s1 + k) for o in out_sp]

    def forward(self, xp, data1, data2):
        require_float(self, data1, 'data1')
        require_float(self, data2, 'data2')
        if data1.ndim != 4 or data2.shape != data1.shape:
            raise shape_error(self, 'data1 and data2 must be 4-D (batch, channel, height, width) '
                              'of the same shape', data1, data2)
        n, c, h, w = data1.shape
        out_sp = self._out_spatial(h, w, data1, data2)
        work = compute_dtype(np.result_type(data1.dtype, data2.dtype))
        pad = [(0, 0), (0, 0)] + [(self.pad_size, self.pad_size)] * 2
        a = xp.pad(data1.astype(work, copy=False), pad)
        b = xp.pad(data2.astype(work, copy=False), pad)
        rows, cols = self._windows(out_sp)
        count = work.type(self.kernel_size * self.kernel_size * c)
        out = xp.empty((n, self._grid()[1] ** 2) + tuple(out_sp), dtype=work)
        for q, dy, dx in self._displacements():
            pa, pb = a[:, :, rows, cols], self._shifted(b, rows, cols, dy, dx)
            m = (pa * pb if self.is_multiply else xp.abs(pa - pb)).sum(axis=1)
            out[:, q] = self._patch_sums(xp, m, out_sp) / count
        self._saved = (a, b, data1.shape, out_sp, count, data1.dtype, data2.dtype)
        hidden = [xp.ascontiguousarray(t.transpose(0, 2, 3, 1)).astype(data1.dtype, copy=False)
                  for t in (a, b)]
        return out.astype(data1.dtype, copy=False), hidden[0], hidden[1]

    @staticmethod
    def _shifted(b, rows, cols, dy, dx):
        return b[:, :, rows.start + dy:rows.stop + dy, cols.start + dx:cols.stop + dx]

    def _patch_sums(self, xp, m, out_sp):
        """``(N, Ho, Wo)``: the sums of ``m`` ``(N, span_h, span_w)`` over the patches whose
        top-left corners are every ``stride1``-th position."""
        k, s1 = self.kernel_size, self.stride1
        (oh, ow), total = out_sp, 0
        for i in range(k):
            for j in range(k):
                total = total + m[:, i:i + (oh - 1) * s1 + 1:s1, j:j + (ow - 1) * s1 + 1:s1]
        return total

    def _spread(self, xp, g, span):
        """Adjoint of :meth:`_patch_sums`: ``g`` ``(N, Ho, Wo)`` added over each patch."""
        k, s1 = self.kernel_size, self.stride1
        oh, ow = g.shape[1:]
        m = xp.zeros((g.shape[0],) + tuple(span), dtype=g.dtype)
        for i in range(k):
            for j in range(k):
                m[:, i:i + (oh - 1) * s1 + 1:s1, j:j + (ow - 1) * s1 + 1:s1] += g
        return m

    def backward(self, xp, grad, *hidden_grads):
        a, b, shape, out_sp, count, t1, t2 = self._saved
        rows, cols = self._windows(out_sp)
        span = (rows.stop - rows.start, cols.stop - cols.start)
        ga, gb = xp.zeros_like(a), xp.zeros_like(b)
        g = grad.astype(a.dtype, copy=False) / count
        for q, dy, dx in self._displacements():
            gm = self._spread(xp, g[:, q], span)[:, None]              # (N, 1, span_h, span_w)
            pa, pb = a[:, :, rows, cols], self._shifted(b, rows, cols, dy, dx)
            if self.is_multiply:
                da, db = gm * pb, gm * pa
            else:
                da = gm * xp.where(pa >= pb, a.dtype.type(1), a.dtype.type(-1))
                db = -da
            ga[:, :, rows, cols] += da
            self._shifted(gb, rows, cols, dy, dx)[...] += db
        p, (h, w) = self.pad_size, shape[2:]
        crop = (slice(None), slice(None), slice(p, p + h), slice(p, p + w))
        return ga[crop].astype(t1, copy=False), gb[crop].astype(t2, copy=False)

    def infer_shape(self, in_shapes):
        known = next((s for s in in_shapes if s is not None), None)
        if known is None or len(known) != 4 or 0 in known[2:]:
            raise MXNetError('Correlation: needs the shape (N, C, H, W) of data1 or data2')
        check_given_shapes(self, in_shapes, [tuple(known)] * 2)
        out_sp = self._out_spatial(known[2], known[3])
        n, c, h, w = known
        padded = (n, h + 2 * self.pad_size, w + 2 * self.pad_size, c)
        return [tuple(known), tuple(known)], [(n, self._grid()[1] ** 2) + tuple(out_sp), padded, padded]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t, t], [t, t, t]
