"""Depthwise convolution (``num_group`` equal to the input's channels, as MobileNet's 3x3 layers):
each output channel reads a single input channel, so there is no matrix product to make.

The general paths of :mod:`minigluon.ops.conv` would run one GEMM per group, and a depthwise
layer has as many groups as channels: a (1, 9) by (9, N * P) product per channel (576 of them in
MobileNet's last blocks), each too small for BLAS, plus a whole im2col matrix. Here the output is
built directly, one pass per kernel position::

    y[n, c * M + j, o] = sum_k  w[c * M + j, 0, k] * x_padded[n, c, o * stride + k * dilate]

(``M = num_filter / C`` filters per input channel, the *depth multiplier*). The backward pass
takes the same positions the other way: the data gradient adds ``w[., k] * dY`` into the same
strided slices, the weight gradient of position ``k`` is the sum over images and output positions
of ``dY * x_padded[slice k]``.

Two forms of the same sums:

* NumPy (any number of spatial axes, any dtype, and CuPy, where it is a handful of element-wise
  kernels instead of one GEMM launch per channel): one broadcast multiply-add per kernel position;
* compiled, for 2-D float32/float64 NumPy arrays when Numba is installed
  (:mod:`minigluon.ops._conv_depthwise_numba_kernels`): the padded image split into its phase
  planes (:class:`_Phases`; with stride 1 just the padded image), in which every kernel position
  reads one contiguous run per image plane, multiplied and added in L1-sized blocks. MobileNet's
  3x3 depthwise layers on one core, forward + backward, as measured with bench/bench_conv.py in
  multiples of PyTorch's time: 8.9, 12.3 and 28 with the GEMM-per-group path, 1.7-3.0 with this
  one; the stride-2 layer 0.8.

The compiled rows also run over a few scratch columns, where the output gradient is zero; the
products there change no sum unless the weight or the input holds an inf or NaN (0 * inf is NaN),
so :func:`backward` makes the data gradient again in the NumPy form when the weight is not
finite, and the weight gradient when it comes out non-finite.

Images are independent: with CPU worker threads they are shared out in chunks
(:func:`minigluon.ops._parallel.image_chunks`); the weight gradient is summed per chunk, then over
the chunks in order, so its value does not depend on the number of workers.
"""
import numpy as np

from minigluon.ops import _numba, _parallel
from minigluon.ops._window_geometry import pad_spatial, phase_positions, window_slices


def applies(channels, groups):
    """Whether a convolution of ``channels`` inputs in ``groups`` groups is depthwise (one input
    channel per group, more than one group)."""
    return groups > 1 and channels == groups


def _compiled(*arrays):
    """The compiled kernels when they cover this call (2-D NumPy float32/float64 arrays of one
    dtype in native byte order), else None."""
    first = arrays[0]
    if (first.ndim == 4 and all(isinstance(a, np.ndarray) and a.dtype == first.dtype for a in arrays)
            and first.dtype.char in 'fd' and first.dtype.isnative):
        return _numba.kernels('_conv_depthwise_numba_kernels')
    return None


class _Phases:
    """The phase planes the compiled kernels read (see
    :mod:`minigluon.ops._conv_depthwise_numba_kernels`) for data of ``shape (N, C, H, W)``: the
    zero-padded image ``xpad`` as ``xpad[p0::sh, p1::sw]`` for each phase ``(p0, p1)`` that a
    kernel position reads (one, the padded image, with stride 1), each ``(hq, wq)``, and per
    kernel position (row-major) its plane (``phase_of``) and flat offset in it (``shift_of``);
    ``length`` is the span of flat wide-output positions that hold outputs."""

    def __init__(self, shape, kernel, stride, dilate, pad, out_sp):
        self.padded = tuple(s + 2 * p for s, p in zip(shape[2:], pad))
        self.shape, self.stride, self.pad = tuple(shape), tuple(stride), tuple(pad)
        self.hq, self.wq = (-(-s // st) for s, st in zip(self.padded, stride))
        self.phases, phase_of, shift_of = [], [], []
        for _, phase, start in phase_positions(kernel, stride, dilate):
            if phase not in self.phases:
                self.phases.append(phase)
            phase_of.append(self.phases.index(phase))
            shift_of.append(start[0] * self.wq + start[1])
        self.phase_of, self.shift_of = np.array(phase_of), np.array(shift_of)
        self.phase_rows, self.phase_cols = (np.array(axis) for axis in zip(*self.phases))
        self.length = (out_sp[0] - 1) * self.wq + out_sp[1]

    def _args(self):
        return (self.phase_rows, self.phase_cols) + self.stride + self.pad + (self.wq,)

    def split(self, kernels, x):
        """``x (N, C, H, W)`` as its zero-padded phase planes ``(N, C, P, hq * wq)``: with stride
        1 the padded image (a NumPy copy into zeros); otherwise one compiled pass
        (:func:`~minigluon.ops._conv_depthwise_numba_kernels.split_phases`, whose per-row
        copies cost more than NumPy's single copy on the small planes of stride 1)."""
        n, c, h, w = x.shape
        planes = np.empty((n, c, len(self.phases), self.hq * self.wq), x.dtype)
        if self.stride == (1, 1):
            (ph, pw), padded = self.pad, planes.reshape((n, c) + self.padded)
            if ph or pw:
                padded.fill(0)
            padded[:, :, ph:ph + h, pw:pw + w] = x
        else:
            kernels.split_phases(x, planes, *self._args())
        return planes

    def merge(self, kernels, planes):
        """The gradient of :meth:`split`'s input from the gradient of its phase planes (each
        image element sits in one plane; those of a phase no kernel position reads get 0)."""
        n, c, h, w = self.shape
        if self.stride == (1, 1):
            (ph, pw), padded = self.pad, planes.reshape((n, c) + self.padded)
            return np.ascontiguousarray(padded[:, :, ph:ph + h, pw:pw + w])
        full = len(self.phases) == self.stride[0] * self.stride[1]
        gx = (np.empty if full else np.zeros)(self.shape, planes.dtype)
        kernels.merge_phases(planes, gx, *self._args())
        return gx


def forward(xp, data, weight, bias, kernel, stride, dilate, pad, out_sp, keep=None):
    """Depthwise convolution of ``data (N, C, *S)`` with ``weight (C * M, 1, *kernel)`` (and
    ``bias (C * M,)`` or None): the output ``(N, C * M, *out_sp)`` in the dtype of
    ``data`` and ``weight`` combined. ``keep``: a dict in which the compiled form leaves the
    input's phase planes for :func:`backward` (which would otherwise make them again)."""
    n, c = data.shape[:2]
    f = weight.shape[0]
    dtype = xp.result_type(data.dtype, weight.dtype)
    compiled = _compiled(data, weight)
    if compiled is not None:
        w = np.ascontiguousarray(weight.reshape(f, -1))
        geo = _Phases(data.shape, kernel, stride, dilate, pad, out_sp)
        xph = geo.split(compiled, data)
        if keep is not None:
            keep['phases'] = xph
        wide = np.empty((n, f, out_sp[0] * geo.wq), dtype)        # rows of Wq, OW of them used
        chunks = _parallel.image_chunks(n)

        def work(worker, which):
            for j in which:
                lo, hi = chunks[j]
                compiled.forward_wide(xph[lo:hi], w, wide[lo:hi], geo.phase_of, geo.shift_of,
                                      geo.length)
        _parallel.share(xp, chunks, work)
        out = np.ascontiguousarray(wide.reshape((n, f, out_sp[0], geo.wq))[..., :out_sp[1]])
    else:
        xpad = pad_spatial(xp, data, pad, pad).astype(_acc_dtype(dtype), copy=False)
        m = f // c
        acc = xp.zeros((n, c, m) + tuple(out_sp), xpad.dtype)
        w = weight.reshape((c, m, -1)).astype(xpad.dtype, copy=False)
        bcast = (None, slice(None), slice(None)) + (None,) * len(out_sp)    # (1, C, M, 1...)
        for i, sl in enumerate(window_slices(kernel, stride, dilate, out_sp)):
            acc += w[:, :, i][bcast] * xpad[(slice(None), slice(None), None) + sl]
        out = acc.reshape((n, f) + tuple(out_sp)).astype(dtype, copy=False)
    if bias is not None:
        out += bias.reshape((f,) + (1,) * len(out_sp))
    return out


def backward(xp, grad, data, weight, kernel, stride, dilate, pad, need_x=True, need_w=True,
             kept=None):
    """Gradients ``(d data, d weight)`` of :func:`forward` for ``grad (N, C * M, *out_sp)``; None
    for one that is not needed. ``kept``: the dict given to the forward as ``keep``, or None."""
    compiled = _compiled(grad, data, weight)
    if compiled is None:
        return _backward_numpy(xp, grad, data, weight, kernel, stride, dilate, pad, need_x, need_w)
    gx, gw = _backward_compiled(compiled, grad, data, weight, kernel, stride, dilate, pad, need_x,
                                need_w, kept)
    # The compiled rows also run over their scratch columns, where the gradient is 0: terms
    # 0 * w in the data gradient and 0 * x in the weight gradient, which change no sum unless w
    # or x holds an inf or NaN there (0 * inf is NaN). A non-finite weight, or a non-finite
    # weight gradient, is then the sign: that gradient (a rare case) is made again by the NumPy
    # form, whose products are those of the real output positions only. (Both checks read
    # F * K values.)
    redo_x = need_x and not np.isfinite(weight).all()
    redo_w = need_w and not np.isfinite(gw).all()
    if redo_x or redo_w:
        again_x, again_w = _backward_numpy(xp, grad, data, weight, kernel, stride, dilate, pad,
                                           redo_x, redo_w)
        gx = again_x if redo_x else gx
        gw = again_w if redo_w else gw
    return gx, gw


def _backward_compiled(compiled, grad, data, weight, kernel, stride, dilate, pad, need_x, need_w,
                       kept):
    """:func:`backward` by the compiled kernels (``compiled``) over the phase planes."""
    n, c = data.shape[:2]
    f = weight.shape[0]
    out_sp = tuple(grad.shape[2:])
    w = np.ascontiguousarray(weight.reshape(f, -1))
    geo = _Phases(data.shape, kernel, stride, dilate, pad, out_sp)
    gy = np.empty((n, f, out_sp[0], geo.wq), grad.dtype)
    gy[..., :out_sp[1]] = grad
    gy[..., out_sp[1]:] = 0                                    # scratch columns zero
    gy = gy.reshape(n, f, -1)
    xph = None
    if need_w:
        xph = kept.get('phases') if kept else None
        xph = geo.split(compiled, data) if xph is None else xph
    gxph = np.empty((n, c, len(geo.phases), geo.hq * geo.wq), grad.dtype) if need_x else None
    chunks = _parallel.image_chunks(n)
    parts = np.zeros((len(chunks), f, w.shape[1]), np.float64) if need_w else None

    def work(worker, which):
        for j in which:
            lo, hi = chunks[j]
            if need_x:
                compiled.grad_data_wide(gy[lo:hi], w, gxph[lo:hi], geo.phase_of, geo.shift_of,
                                        geo.length)
            if need_w:
                compiled.grad_weight_wide(gy[lo:hi], xph[lo:hi], parts[j], geo.phase_of,
                                          geo.shift_of, geo.length)
    _parallel.share(np, chunks, work)
    gx = geo.merge(compiled, gxph) if need_x else None
    gw = _parallel.sum_in_order(parts).astype(grad.dtype).reshape(weight.shape) if need_w else None
    return gx, gw


def _backward_numpy(xp, grad, data, weight, kernel, stride, dilate, pad, need_x, need_w):
    """:func:`backward` in NumPy (or CuPy) operations: one broadcast product per kernel
    position."""
    n, c = data.shape[:2]
    f = weight.shape[0]
    out_sp = tuple(grad.shape[2:])
    m = f // c
    acc = _acc_dtype(grad.dtype)
    gy = grad.reshape((n, c, m) + out_sp).astype(acc, copy=False)
    w = weight.reshape((c, m, -1)).astype(acc, copy=False)
    xpad = pad_spatial(xp, data, pad, pad).astype(acc, copy=False) if need_w else None
    gxpad = xp.zeros(data.shape[:2] + tuple(s + 2 * p for s, p in zip(data.shape[2:], pad)),
                     acc) if need_x else None
    gw = xp.empty((c, m, w.shape[2]), acc) if need_w else None
    bcast = (None, slice(None), slice(None)) + (None,) * len(out_sp)       # (1, C, M, 1...)
    axes = (0,) + tuple(range(3, 3 + len(out_sp)))                         # images and positions
    for i, sl in enumerate(window_slices(kernel, stride, dilate, out_sp)):
        if need_x:
            gxpad[(slice(None), slice(None)) + sl] += (gy * w[:, :, i][bcast]).sum(axis=2)
        if need_w:
            gw[:, :, i] = (gy * xpad[(slice(None), slice(None), None) + sl]).sum(axis=axes)
    gx = None
    if need_x:
        gx = xp.ascontiguousarray(gxpad[(slice(None), slice(None)) + tuple(
            slice(p, p + s) for p, s in zip(pad, data.shape[2:]))], dtype=grad.dtype)
    return gx, None if gw is None else gw.reshape(weight.shape).astype(grad.dtype, copy=False)


def _acc_dtype(dtype):
    """The dtype the NumPy form computes in: float32 for float16 (nine or more float16 roundings
    per output, and a weight gradient summed over whole batches, would lose too much), else
    ``dtype`` itself."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)
