"""Resizing NCHW images: ``_contrib_BilinearResize2D``, ``_contrib_AdaptiveAvgPooling2D``.

Both are MXNet 1.9.1 contrib operators (``src/operator/contrib/bilinear_resize.cc``,
``adaptive_avg_pooling.cc``), used by segmentation models (PSPNet's pyramid pooling, DeepLab's
upsampling); they appear as ``nd.contrib.BilinearResize2D`` / ``sym.contrib.AdaptiveAvgPooling2D``
and are written under their ``_contrib_`` names into ``-symbol.json``.

Both are linear maps applied separably along height and width. Each output along an axis reads a
few inputs ("taps": the two bilinear neighbours, or the pooling window) with fixed weights, so the
forward gathers those taps and sums them with their weights, first along height, then width; the
backward is the transposed map, written as a pair of small dense matrices ``(out_size, in_size)``
(``A_h.T @ g @ A_w``), on NumPy and CuPy alike. The forward does not use the dense matrices: their
zero entries would multiply every input, so one NaN or inf pixel would spoil whole rows and
columns of the output instead of the outputs that read it (as in MXNet).
"""
import functools

import numpy as np

from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


@functools.lru_cache(maxsize=128)
def _bilinear_taps(in_size, out_size, align_corners):
    """Indices and weights ``(out_size, 2)`` of MXNet's bilinear resize along one axis.

    Source coordinate of output ``i``: ``i * (in - 1) / (out - 1)`` with ``align_corners``, else
    the half-pixel rule ``(i + 0.5) * in / out - 0.5`` clamped at 0; an output of size 1 reads
    input 0. The two neighbours ``floor(src)`` and the next one (the last row repeats itself) get
    the weights ``1 - frac`` and ``frac``; both are read even when a weight is 0, as in MXNet.
    """
    idx = np.zeros((out_size, 2), dtype=np.int64)
    w = np.zeros((out_size, 2), dtype=np.float64)
    if out_size > 1:
        scale = (in_size - 1) / (out_size - 1) if align_corners else in_size / out_size
    else:
        scale = 0.0
    for i in range(out_size):
        src = scale * i if align_corners else max(scale * (i + 0.5) - 0.5, 0.0)
        lo = min(int(src), in_size - 1)
        idx[i] = lo, (lo + 1 if lo < in_size - 1 else lo)
        w[i] = 1.0 - (src - lo), src - lo
    return _frozen(idx), _frozen(w)


@functools.lru_cache(maxsize=128)
def _adaptive_taps(in_size, out_size):
    """Indices and weights ``(out_size, K)`` of adaptive average pooling along one axis: output
    ``i`` is the mean of inputs ``floor(i * in / out)`` up to ``ceil((i + 1) * in / out)``
    (exclusive). Shorter windows are padded with their own first index and weight 0."""
    bounds = [((i * in_size) // out_size, -((-(i + 1) * in_size) // out_size))
              for i in range(out_size)]
    k = max(end - start for start, end in bounds)
    idx = np.zeros((out_size, k), dtype=np.int64)
    w = np.zeros((out_size, k), dtype=np.float64)
    for i, (start, end) in enumerate(bounds):
        idx[i] = start
        idx[i, :end - start] = np.arange(start, end)
        w[i, :end - start] = 1.0 / (end - start)
    return _frozen(idx), _frozen(w)


def _frozen(a):
    a.setflags(write=False)      # cached and shared: never written
    return a


def taps_matrix(index, weight, n_in):
    """The dense ``(n_out, n_in)`` float64 matrix of a resampling map given by per-output taps
    ``index``/``weight`` ``(n_out, K)``; indices outside the input are clamped to its border
    (OpenCV's replicated border). Used by this module's backward and by ``image.resize``."""
    m = np.zeros((index.shape[0], n_in), dtype=np.float64)
    np.add.at(m, (np.arange(index.shape[0])[:, None], np.clip(index, 0, n_in - 1)), weight)
    return m


def _gather(xp, x, taps, axis, dtype):
    """``sum_k w[i, k] * x[..., idx[i, k], ...]`` along ``axis`` (-2 or -1)."""
    idx, w = xp.asarray(taps[0]), xp.asarray(taps[1], dtype=dtype)
    # (inf * a zero tap is NaN, as in MXNet)
    if axis == -2:
        g = xp.take(x, idx.ravel(), axis=-2).reshape(x.shape[:-2] + idx.shape + x.shape[-1:])
        return (g * w[..., None]).sum(axis=-2)
    g = xp.take(x, idx.ravel(), axis=-1).reshape(x.shape[:-1] + idx.shape)
    return (g * w).sum(axis=-1)


class _Separable(Op):
    """Base: the taps of ``self.taps`` applied along height, then width, of a 4-d float input."""

    def _apply(self, xp, data, out_h, out_w):
        require_float(self, data)
        th, tw = self.taps(data.shape[2], data.shape[3], out_h, out_w)
        self.saved = th, tw, data.shape[2], data.shape[3], data.dtype    # for the backward
        work = np.float32 if data.dtype == np.float16 else data.dtype     # float16 sums in float32
        x = data.astype(work, copy=False)
        out = _gather(xp, _gather(xp, x, th, -2, work), tw, -1, work)
        return out.astype(data.dtype, copy=False)

    def _grad(self, xp, grad):
        th, tw, in_h, in_w, dtype = self.saved
        mh = xp.asarray(taps_matrix(*th, in_h), dtype=dtype)
        mw = xp.asarray(taps_matrix(*tw, in_w), dtype=dtype)
        return xp.matmul(xp.matmul(mh.T, grad), mw)

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
    mxnet_input_names = True
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

    def taps(self, h, w, out_h, out_w):
        return (_bilinear_taps(h, out_h, self.align_corners),
                _bilinear_taps(w, out_w, self.align_corners))

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

    def taps(self, h, w, out_h, out_w):
        return _adaptive_taps(h, out_h), _adaptive_taps(w, out_w)

    def forward(self, xp, data):
        self._check_4d(data)
        return self._apply(xp, data, *self.out_hw)

    def backward(self, xp, grad):
        return (self._grad(xp, grad),)

