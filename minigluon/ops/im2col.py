"""``im2col`` and ``col2im``: the sliding-block copies behind convolution, as operators of their
own (MXNet 1.9.1 ``im2col`` / ``col2im``, ``src/operator/nn/im2col.cc``; PyTorch's ``unfold`` /
``fold`` are the same pair).

Both reuse the convolution's own copies in :mod:`minigluon.ops.conv`: the strided window view
(:func:`~minigluon.ops.conv.windows`) for im2col and its adjoint
(:func:`~minigluon.ops.conv.col2im`, one slice-add per kernel position) for col2im. Each is the
other's gradient.

Layout (as MXNet): a column block holds, for one output position ``l`` (row-major over the
output's spatial sizes), the window's values channel by channel, each channel's kernel positions
in row-major order: row ``c * prod(kernel) + k``.
"""
import numpy as np

from minigluon.ops._window_geometry import pad_spatial
from minigluon.ops.conv import col2im as _col2im_add, windows
from minigluon.ops.registry import Attr, Op, register, shape_error


def _geometry_attrs(with_output_size):
    extra = {'output_size': Attr('shape')} if with_output_size else {}
    return {**extra, 'kernel': Attr('shape', minimum=1), 'stride': Attr('shape', (), minimum=1),
            'dilate': Attr('shape', (), minimum=1), 'pad': Attr('shape', (), minimum=0)}


class _SlidingBlocks(Op):
    """Attribute checks and the output-size rule shared by im2col and col2im."""

    def check_attrs(self):
        nsp = len(self.kernel)
        if not 1 <= nsp <= 3:
            raise ValueError('%s: kernel must have 1, 2 or 3 entries ((w,), (h, w) or (d, h, w)), '
                             'got %s' % (self.name, self.kernel))
        for key, default in (('stride', 1), ('dilate', 1), ('pad', 0)):
            val = tuple(getattr(self, key) or (default,) * nsp)
            if len(val) != nsp:
                raise ValueError('%s: %s=%s must have %d entries like kernel=%s'
                                 % (self.name, key, val, nsp, self.kernel))
            setattr(self, '_' + key, val)

    def _blocks(self, spatial, *arrays):
        """The number of block positions per spatial axis for an image of sizes ``spatial``."""
        out = [(s + 2 * p - d * (k - 1) - 1) // st + 1 for s, p, d, k, st
               in zip(spatial, self._pad, self._dilate, self.kernel, self._stride)]
        if min(out) < 1:
            raise shape_error(self, 'the padded image %s is smaller than the dilated kernel %s '
                              '(pad %s, dilate %s)' % (tuple(spatial), self.kernel, self._pad,
                                                       self._dilate), *arrays)
        return out

    def _unfold(self, xp, image, out_sp):
        """``(N, C, *S)`` -> ``(N, C * prod(kernel), prod(out_sp))`` (a copy)."""
        xpad = pad_spatial(xp, image, self._pad, self._pad)
        win = windows(xp, xpad, self.kernel, self._stride, self._dilate, out_sp)
        n, c = image.shape[:2]
        return xp.ascontiguousarray(win).reshape(n, c * int(np.prod(self.kernel)),
                                                 int(np.prod(out_sp)))

    def _fold(self, xp, cols, image_shape, out_sp):
        """Adjoint of :meth:`_unfold`: add ``(N, C * K, L)`` blocks into zeros ``image_shape``."""
        n, c = image_shape[:2]
        nsp = len(self.kernel)
        blocks = cols.reshape((n, c) + tuple(self.kernel) + tuple(out_sp))
        # conv.col2im reads the GEMM order (C, *K, N, *O)
        blocks = blocks.transpose((1,) + tuple(range(2, 2 + nsp)) + (0,) + tuple(range(2 + nsp, 2 + 2 * nsp)))
        padded = (n, c) + tuple(s + 2 * p for s, p in zip(image_shape[2:], self._pad))
        out = _col2im_add(xp, blocks, padded, self.kernel, self._stride, self._dilate, out_sp)
        if any(self._pad):
            crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s
                                                      in zip(self._pad, image_shape[2:]))
            out = xp.ascontiguousarray(out[crop])
        return out


@register
class Im2Col(_SlidingBlocks):
    """Copy every sliding block of an image batch into a column (MXNet 1.9.1 ``im2col``).

    ``data`` ``(N, C, *S)`` with 1, 2 or 3 spatial axes (as many as ``kernel`` has entries) gives
    ``(N, C * prod(kernel), L)``: column ``l`` holds the block at output position ``l`` (row-major
    over ``O = (S + 2 * pad - dilate * (kernel - 1) - 1) // stride + 1``, ``L = prod(O)``), row
    ``c * prod(kernel) + k`` its channel ``c`` at kernel position ``k``; zero padding. Same dtype
    as ``data``; any numeric dtype (MXNet 1.9.1 takes floating types only). The gradient is
    :class:`Col2Im` of the output gradient. Raises ValueError naming the argument for a wrong
    rank, mismatched ``stride``/``dilate``/``pad`` lengths or a kernel larger than the padded
    image.
    """

    name = 'im2col'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = _geometry_attrs(False)

    def forward(self, xp, data):
        if data.ndim != 2 + len(self.kernel):
            raise shape_error(self, 'data must have %d dimensions (N, C, *spatial) for kernel %s'
                              % (2 + len(self.kernel), self.kernel), data)
        out_sp = self._blocks(data.shape[2:], data)
        self.dshape, self.out_sp = data.shape, out_sp
        return self._unfold(xp, data, out_sp)

    def backward(self, xp, grad):
        return (self._fold(xp, grad, self.dshape, self.out_sp),)


@register
class Col2Im(_SlidingBlocks):
    """Sum columns of sliding blocks back into an image batch (MXNet 1.9.1 ``col2im``), the
    adjoint of :class:`Im2Col`.

    ``data`` ``(N, C * prod(kernel), L)`` with ``L`` the number of block positions that
    ``output_size`` (the image's spatial sizes ``(w,)``, ``(h, w)`` or ``(d, h, w)``, one per
    kernel entry) gives with this kernel, stride, dilation and padding; output
    ``(N, C, *output_size)`` in ``data``'s dtype, each pixel the sum of every column entry that
    covers it (entries in the padding are dropped). The gradient is :class:`Im2Col` of the output
    gradient. Raises ValueError naming the argument when ``output_size`` has the wrong length or
    ``data``'s second or third axis does not fit the geometry (MXNet 1.9.1 reports only a failed
    check).
    """

    name = 'col2im'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = _geometry_attrs(True)

    def check_attrs(self):
        super().check_attrs()
        if len(self.output_size) != len(self.kernel) or min(self.output_size) < 1:
            raise ValueError('col2im: output_size=%s must hold %d positive sizes, one per entry of '
                             'kernel=%s' % (self.output_size, len(self.kernel), self.kernel))

    def forward(self, xp, data):
        k = int(np.prod(self.kernel))
        out_sp = self._blocks(self.output_size, data)
        length = int(np.prod(out_sp))
        if data.ndim != 3 or data.shape[1] % k or data.shape[1] == 0 or data.shape[2] != length:
            raise shape_error(self, 'data must have shape (N, C * %d, %d) for kernel %s, '
                              'output_size %s, stride %s, dilate %s and pad %s' % (
                                  k, length, self.kernel, self.output_size, self._stride,
                                  self._dilate, self._pad), data)
        self.out_sp = out_sp
        shape = (data.shape[0], data.shape[1] // k) + tuple(self.output_size)
        return self._fold(xp, data, shape, out_sp)

    def backward(self, xp, grad):
        return (self._unfold(xp, grad, self.out_sp),)
