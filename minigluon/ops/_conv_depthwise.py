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
  (:mod:`minigluon.ops._conv_depthwise_numba_kernels`): one image plane at a time, copied into a
  scratch array of its zero-padded phase planes (:class:`_Phases`; with stride 1 just the padded
  plane), in which every kernel position reads one contiguous run, multiplied and added in
  L1-sized blocks; the output plane written once, with its bias. MobileNet's 3x3 depthwise
  layers on one core, as measured by bench/bench_conv.py on the development machine (x PyTorch,
  forward + backward): 8.9, 12.3 and 28 with the GEMM-per-group path (session 19, before this
  module); 0.7-0.8 (32 @ 112), 1.0-1.1 (144 @ 28), 1.9-2.0 (576 @ 7: the cost of each 7 x 7
  plane's short loops) and 0.45 for the stride-2 layer with the kernels of session 20.

The compiled loops also multiply at a few positions that hold no output (the zero padding of the
phase planes), where the output gradient is zero; the products there change no sum unless the
weight or the input holds an inf or NaN (0 * inf is NaN), so :func:`backward` makes the data
gradient again in the NumPy form when the weight is not finite, and the weight gradient when it
comes out non-finite.

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
    kernel position (row-major) its plane (``phase_of``) and flat offset in it (``shift_of``)."""

    def __init__(self, shape, kernel, stride, dilate, pad):
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
        # the positions grouped by phase (ascending within each), phase k's from phase_bounds[k]
        self.by_phase = np.argsort(self.phase_of, kind='stable')
        self.phase_bounds = np.searchsorted(self.phase_of[self.by_phase], np.arange(len(self.phases) + 1))
        self.spans = np.array([_inside(p0, stride[0], pad[0], shape[2], self.hq)
                               + _inside(p1, stride[1], pad[1], shape[3], self.wq)
                               for p0, p1 in self.phases], np.int64).reshape(-1, 6)

    def args(self):
        """The geometry arguments of the compiled kernels, in their order: ``spans, sh, sw, hq,
        wq, phase_of, shift_of``. Row ``k`` of ``spans (P, 6)`` says which elements of phase
        ``k`` lie inside the image: its rows ``ilo .. ihi - 1`` (from image row ``y0``, ``sh``
        apart) and columns ``lo .. hi - 1`` (from image column ``x0``, ``sw`` apart), as
        ``(ilo, ihi, y0, lo, hi, x0)``."""
        return (self.spans,) + self.stride + (self.hq, self.wq, self.phase_of, self.shift_of)


def _inside(p, st, pad, size, count):
    """``(lo, hi, first)``: the indices ``j`` in ``lo .. hi - 1`` of phase ``p`` (``count`` of
    them) whose image index ``p + st * j - pad`` lies in ``0 .. size - 1``, and the image index
    of ``lo``."""
    lo = max(0, -(-(pad - p) // st))
    hi = max(lo, min(count, (size - 1 + pad - p) // st + 1))
    return lo, hi, p + st * lo - pad


def forward(xp, data, weight, bias, kernel, stride, dilate, pad, out_sp):
    """Depthwise convolution of ``data (N, C, *S)`` with ``weight (C * M, 1, *kernel)`` (and
    ``bias (C * M,)`` or None): the output ``(N, C * M, *out_sp)`` in the dtype of
    ``data`` and ``weight`` combined."""
    n, c = data.shape[:2]
    f = weight.shape[0]
    dtype = xp.result_type(data.dtype, weight.dtype)
    compiled = _compiled(data, weight)
    if compiled is not None:
        w = np.ascontiguousarray(weight.reshape(f, -1))
        geo = _Phases(data.shape, kernel, stride, dilate, pad)
        x = np.ascontiguousarray(data)
        # the bias added in the kernel when it has the data's dtype (else by NumPy, below)
        inside = isinstance(bias, np.ndarray) and bias.dtype == dtype
        b = np.ascontiguousarray(bias) if inside else w[0]       # (w[0]: unread)
        out = np.empty((n, f) + tuple(out_sp), dtype)
        chunks = _parallel.image_chunks(n)

        def work(worker, which):
            for j in which:
                lo, hi = chunks[j]
                compiled.forward(x[lo:hi], w, b, inside, out[lo:hi], *geo.args())
        _parallel.share(xp, chunks, work)
        if inside:
            bias = None
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


def backward(xp, grad, data, weight, kernel, stride, dilate, pad, need_x=True, need_w=True):
    """Gradients ``(d data, d weight)`` of :func:`forward` for ``grad (N, C * M, *out_sp)``; None
    for one that is not needed."""
    compiled = _compiled(grad, data, weight)
    if compiled is None:
        return _backward_numpy(xp, grad, data, weight, kernel, stride, dilate, pad, need_x, need_w)
    gx, gw = _backward_compiled(compiled, grad, data, weight, kernel, stride, dilate, pad, need_x,
                                need_w)
    # The compiled loops also multiply at positions that hold no output (the phase planes' zero
    # padding, the gradient's zeros there): terms 0 * w in the data gradient and 0 * x in the
    # weight gradient, which change no sum unless w or x holds an inf or NaN (0 * inf is NaN). A
    # non-finite weight, or a non-finite weight gradient, is then the sign: that gradient (a rare
    # case) is made again by the NumPy form, whose products are those of the real output
    # positions only. (Both checks read F * K values.)
    redo_x = need_x and not np.isfinite(weight).all()
    redo_w = need_w and not np.isfinite(gw).all()
    if redo_x or redo_w:
        again_x, again_w = _backward_numpy(xp, grad, data, weight, kernel, stride, dilate, pad,
                                           redo_x, redo_w)
        gx = again_x if redo_x else gx
        gw = again_w if redo_w else gw
    return gx, gw


def _backward_compiled(compiled, grad, data, weight, kernel, stride, dilate, pad, need_x, need_w):
    """:func:`backward` by the compiled kernels (``compiled``), plane by plane."""
    n, c = data.shape[:2]
    f = weight.shape[0]
    w = np.ascontiguousarray(weight.reshape(f, -1))
    geo = _Phases(data.shape, kernel, stride, dilate, pad)
    gy, x = np.ascontiguousarray(grad), np.ascontiguousarray(data)
    gx = np.empty(data.shape, grad.dtype) if need_x else None
    chunks = _parallel.image_chunks(n)
    parts = np.zeros((len(chunks), f, w.shape[1]), np.float64)
    spans, sh, sw, hq, wq, phase_of, shift_of = geo.args()

    def work(worker, which):
        for j in which:
            lo, hi = chunks[j]
            if need_x:
                compiled.grad_data(gy[lo:hi], w, gx[lo:hi], spans, sh, sw, hq, wq, shift_of,
                                   geo.by_phase, geo.phase_bounds)
            if need_w:
                compiled.grad_weight(gy[lo:hi], x[lo:hi], parts[j], spans, sh, sw, hq, wq,
                                     phase_of, shift_of)
    _parallel.share(np, chunks, work)
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
