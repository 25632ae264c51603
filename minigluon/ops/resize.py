"""Resizing NCHW images: ``_contrib_BilinearResize2D``, ``_contrib_AdaptiveAvgPooling2D``.

Both are MXNet 1.9.1 contrib operators (``src/operator/contrib/bilinear_resize.cc``,
``adaptive_avg_pooling.cc``), used by segmentation models (PSPNet's pyramid pooling, DeepLab's
upsampling); they appear as ``nd.contrib.BilinearResize2D`` / ``sym.contrib.AdaptiveAvgPooling2D``
and are written under their ``_contrib_`` names into ``-symbol.json``.

Both are linear maps applied separably along height and width, so each is written once as a pair
of small dense matrices ``(out_size, in_size)``: the forward is ``A_h @ x @ A_w.T`` over the last
two axes and the backward ``A_h.T @ g @ A_w``, on NumPy and CuPy alike.
"""
import functools

import numpy as np

from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


@functools.lru_cache(maxsize=128)
def _bilinear_matrix(in_size, out_size, align_corners):
    """The ``(out_size, in_size)`` linear-interpolation matrix of MXNet's bilinear resize.

    Source coordinate of output ``i``: ``i * (in - 1) / (out - 1)`` with ``align_corners``, else
    the half-pixel rule ``(i + 0.5) * in / out - 0.5`` clamped at 0; an output of size 1 reads
    input 0. The two neighbours ``floor(src)`` and the next one (the last row repeats itself) get
    the weights ``1 - frac`` and ``frac``.
    """
    m = np.zeros((out_size, in_size), dtype=np.float64)
    if out_size > 1:
        scale = (in_size - 1) / (out_size - 1) if align_corners else in_size / out_size
    else:
        scale = 0.0
    for i in range(out_size):
        src = scale * i if align_corners else max(scale * (i + 0.5) - 0.5, 0.0)
        lo = min(int(src), in_size - 1)
        hi = lo + 1 if lo < in_size - 1 else lo
        frac = src - lo
        m[i, lo] += 1.0 - frac
        m[i, hi] += frac
    m.setflags(write=False)      # cached and shared: never written
    return m


@functools.lru_cache(maxsize=128)
def _adaptive_matrix(in_size, out_size):
    """The ``(out_size, in_size)`` averaging matrix of adaptive pooling: output ``i`` is the mean of
    inputs ``floor(i * in / out)`` up to ``ceil((i + 1) * in / out)`` (exclusive)."""
    m = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        start = (i * in_size) // out_size
        end = -((-(i + 1) * in_size) // out_size)
        m[i, start:end] = 1.0 / (end - start)
    m.setflags(write=False)
    return m


class _Separable(Op):
    """Base: ``out = A_h @ x @ A_w.T`` on the last two axes of a 4-d float input."""

    def _apply(self, xp, data, out_h, out_w):
        require_float(self, data)
        mh, mw = self.matrices(data.shape[2], data.shape[3], out_h, out_w)
        self.mh, self.mw = xp.asarray(mh, dtype=data.dtype), xp.asarray(mw, dtype=data.dtype)
        return xp.matmul(xp.matmul(self.mh, data), self.mw.T)

    def _grad(self, xp, grad):
        return xp.matmul(xp.matmul(self.mh.T, grad), self.mw)

    def _check_4d(self, data):
        if data.ndim != 4:
            raise shape_error(self, 'data must be 4-dimensional (N, C, H, W)', data)


_MODES = ('like', 'odd_scale', 'size', 'to_even_down', 'to_even_up', 'to_odd_down', 'to_odd_up')


@register
class BilinearResize2D(_Separable):
    """Resize ``(N, C, H, W)`` images to ``(N, C, H', W')`` by bilinear interpolation.

    The output size depends on ``mode`` (MXNet 1.9.1 ``_contrib_BilinearResize2D``):

    * ``'size'``: ``(height, width)``, or ``(int(H * scale_height), int(W * scale_width))`` when
      the scales are given (both of them: MXNet fails with "bad optional access" on one alone,
      here a ValueError says so);
    * ``'odd_scale'``: per axis ``int(L * scale)`` for an even length ``L``, ``int((L - 1) *
      scale) + 1`` for an odd one (scales required);
    * ``'like'``: the height and width of the second input ``like`` (only this mode takes it;
      ``like`` gets a zero gradient);
    * ``'to_even_down'``, ``'to_even_up'``, ``'to_odd_down'``, ``'to_odd_up'``: each length moved
      by one to the nearest even (odd) length below (above) when it is not already.

    ``align_corners=True`` (the default) maps the corner pixels onto each other; ``False`` uses
    half-pixel centres, as PyTorch's ``interpolate(..., align_corners=False)``. Float16/32/64;
    the output keeps the dtype. Raises ValueError for a non-4-d input, a missing or non-positive
    size, and TypeError for an integer input.
    """

    name = '_contrib_BilinearResize2D'
    arguments = ('data', 'like')
    attrs = {'height': Attr('int', 1), 'width': Attr('int', 1),
             'scale_height': Attr('float', None), 'scale_width': Attr('float', None),
             'mode': Attr('str', 'size', choices=_MODES), 'align_corners': Attr('bool', True)}

    def check_attrs(self):
        scales = (self.scale_height, self.scale_width)
        if self.mode in ('size', 'odd_scale') and (None in scales) != (scales == (None, None)):
            raise ValueError('%s: give both scale_height and scale_width or neither, got '
                             'scale_height=%r, scale_width=%r' % (self.name, *scales))
        if self.mode == 'odd_scale' and None in scales:
            raise ValueError("%s: mode='odd_scale' needs scale_height and scale_width"
                             % self.name)
        if any(s is not None and s <= 0 for s in scales):
            raise ValueError('%s: scale_height and scale_width must be positive, got %r, %r'
                             % (self.name, *scales))

    def list_arguments(self):
        return ['data', 'like'] if self.mode == 'like' else ['data']

    def matrices(self, h, w, out_h, out_w):
        return (_bilinear_matrix(h, out_h, self.align_corners),
                _bilinear_matrix(w, out_w, self.align_corners))

    def out_size(self, data, like):
        h, w = data.shape[2], data.shape[3]
        mode, sh, sw = self.mode, self.scale_height, self.scale_width
        if mode == 'like':
            if like.ndim != 4:
                raise shape_error(self, "mode='like' needs a 4-dimensional 'like' input",
                                  data, like)
            return like.shape[2], like.shape[3]
        if mode == 'size':
            return (self.height, self.width) if sh is None else (int(h * sh), int(w * sw))
        if mode == 'odd_scale':
            return tuple(int(n * s) if n % 2 == 0 else int((n - 1) * s) + 1
                         for n, s in ((h, sh), (w, sw)))
        want_odd = mode.startswith('to_odd')
        step = 1 if mode.endswith('_up') else -1
        return tuple(n if (n % 2 == 1) == want_odd else n + step for n in (h, w))

    def forward(self, xp, data, like=None):
        self._check_4d(data)
        out_h, out_w = self.out_size(data, like)
        if out_h < 1 or out_w < 1:
            raise shape_error(self, 'the output size (%d, %d) must be positive (mode=%r)'
                              % (out_h, out_w, self.mode), data)
        self.like = like
        return self._apply(xp, data, out_h, out_w)

    def backward(self, xp, grad):
        g = self._grad(xp, grad)
        return (g,) if self.like is None else (g, xp.zeros_like(self.like))


@register
class AdaptiveAvgPooling2D(_Separable):
    """Average-pool ``(N, C, H, W)`` images to a fixed ``output_size``, whatever ``H`` and ``W``.

    ``output_size`` is ``()`` (a 1x1 output, global average pooling), one int ``s`` (``s x s``)
    or ``(height, width)``. Output cell ``(i, j)`` averages rows ``floor(i * H / h)`` to
    ``ceil((i + 1) * H / h)`` and the same for columns, so neighbouring windows may overlap
    (MXNet 1.9.1 ``_contrib_AdaptiveAvgPooling2D``, PyTorch ``adaptive_avg_pool2d``).
    Float16/32/64. Raises ValueError for a non-4-d input or an ``output_size`` with more than two
    entries or a non-positive one, TypeError for an integer input.
    """

    name = '_contrib_AdaptiveAvgPooling2D'
    attrs = {'output_size': Attr('shape', ())}

    def check_attrs(self):
        size = tuple(self.output_size)
        if len(size) > 2 or any(s < 1 for s in size):
            raise ValueError('%s: output_size must be (), an int or (height, width) of positive '
                             'ints, got %r' % (self.name, size))
        self.out_hw = (1, 1) if not size else (size[0], size[-1])

    def matrices(self, h, w, out_h, out_w):
        return _adaptive_matrix(h, out_h), _adaptive_matrix(w, out_w)

    def forward(self, xp, data):
        self._check_4d(data)
        return self._apply(xp, data, *self.out_hw)

    def backward(self, xp, grad):
        return (self._grad(xp, grad),)

