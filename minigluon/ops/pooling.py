"""Pooling over 1, 2 or 3 spatial dimensions (MXNet 1.9.1 ``Pooling``: max, avg, sum, lp).

How it is computed: the input is padded once, then each window reduction is one element-wise pass
per kernel position over strided slices of the padded input (:func:`_window_reduce`), never a loop
over pixels. The max gradient goes to the first maximum of each window (:meth:`Pooling._max_backward`).
The window view and padding helpers are shared with Convolution (:mod:`minigluon.ops.conv`).
"""
import numpy as np

from minigluon.ops._pool_argmax import scatter_positions, winning_positions
from minigluon.ops._pool_argmax import window_slices as _window_slices
from minigluon.ops._workspace import buffer, workspace_of
from minigluon.ops._window_geometry import pad_spatial
from minigluon.ops.conv import _LAYOUTS, windows
from minigluon.base import MXNetError, ShapeConflictError
from minigluon.ops.registry import Attr, Op, register, shape_error

_CHANNEL_LAST = ('NWC', 'NHWC', 'NDHWC')


def _window_reduce(xp, x, kernel, stride, out_sp, ufunc, out=None):
    """Reduce the pooling windows of ``x`` ``(N, C, *S)`` with a binary ``ufunc`` (maximum or add):
    one element-wise pass per kernel position, each over contiguous-ish strided slices (reducing the
    6-D window view along its kernel axes is several times slower). ``out``: where to write.

    2-D windows that tile the input (stride == kernel, as ``MaxPool2D(2)``) are reduced rows
    first, then columns (:func:`_tiled_reduce_2d`)."""
    if len(kernel) == 2 and tuple(stride) == tuple(kernel) and kernel[0] * kernel[1] > 1:
        return _tiled_reduce_2d(xp, x, kernel, out_sp, ufunc, out)
    slices = _window_slices(kernel, stride, out_sp)
    first = x[next(slices)]
    if out is None:
        acc = first.copy()
    else:
        acc = out
        acc[...] = first
    for sl in slices:
        ufunc(acc, x[sl], out=acc)
    return acc


def _tiled_reduce_2d(xp, x, kernel, out_sp, ufunc, out=None):
    """:func:`_window_reduce` for 2-D windows with stride == kernel: reduce the ``k0`` rows of
    each window band first (whole rows: contiguous reads), then the ``k1`` columns of the
    ``1/k0``-size result (strided). ``k0 + k1 - 2`` passes instead of ``k0 * k1 - 1``, and only
    the second stage reads with a stride along the rows: 2x2 max pooling of a (64, 16, 32, 100)
    float32 batch 2.35 -> 1.43 ms on one core. Maxima are the same; sums are added rows-first
    (a different rounding order from the per-position loop, within float tolerance)."""
    (k0, k1), (o0, o1) = kernel, out_sp
    band = lambda i: x[:, :, i:k0 * o0:k0, :k1 * o1]
    first = band(0)
    rows = _zeros_in_layout_of(xp, None, None, first, x.dtype, zero=False)
    if k0 == 1:
        rows[...] = first
    else:
        ufunc(first, band(1), out=rows)
        for i in range(2, k0):
            ufunc(rows, band(i), out=rows)
    if out is None:
        out = xp.empty(x.shape[:2] + (o0, o1), dtype=x.dtype)
    if k1 == 1:
        out[...] = rows
        return out
    ufunc(rows[..., 0::k1], rows[..., 1::k1], out=out)
    for j in range(2, k1):
        ufunc(out, rows[..., j::k1], out=out)
    return out


def _real_root(xp, total, p):
    """The real ``p``-th root of Lp pooling's window sums: ``cbrt`` for ``p = 3`` and a
    sign-keeping root for other odd ``p`` (a window of negative values has a negative sum of odd
    powers: MXNet 1.9.1 takes ``cbrt`` there, where ``total ** (1/p)`` would give NaN)."""
    if p == 1:
        return total
    if p == 3:
        return xp.cbrt(total)
    if p % 2:
        return xp.sign(total) * xp.abs(total) ** (1.0 / p)
    return total ** (1.0 / p)


def _zeros_in_layout_of(xp, ws, key, a, dtype, zero=True):
    """Zeros of ``a``'s shape laid out in memory in ``a``'s axis order (a channel-first array seen
    as ``(N, C, ...)`` gives a channel-first gradient: no layout copy for its producer), taken
    from the workspace ``ws`` under ``key`` when it is free (:mod:`minigluon.ops._workspace`).
    ``zero=False``: contents undefined (for a caller that writes every element)."""
    order = sorted(range(a.ndim), key=lambda i: -a.strides[i])
    buf = buffer(xp, ws, key, tuple(a.shape[i] for i in order), dtype, zero=zero)
    return buf.transpose(np.argsort(order).tolist())


# Why a pad of per-side entries is refused unless they are all equal.
_PAD_PER_SIDE = (" (or twice as many, all equal: the same padding on every side); MXNet 1.9.1 "
                 "reads only the first len(kernel) entries of a longer pad, so a (before, after) pad "
                 "that differs by side is not what it pads there: pad each axis evenly, or pad the "
                 "data first with F.pad")


def _is_same_on_every_side(pad, kernel):
    """Whether ``pad`` gives every side of every spatial axis the same padding in MXNet's
    per-side form, ``2 * len(kernel)`` equal entries (ResNeSt's DropBlock writes
    ``pad=(p, p, p, p)`` for a 2-D max pool). MXNet 1.9.1 reads the first ``len(kernel)`` entries
    of a longer pad; for such a pad that is the same padding, so it is taken as ``pad[:len(kernel)]``.
    """
    return len(pad) == 2 * len(kernel) and len(set(pad)) == 1


@register
class Pooling(Op):
    """Max, average, sum or Lp pooling over 1, 2 or 3 spatial dimensions (MXNet ``Pooling``).

    ``data (N, C, *S)`` -> ``(N, C, *O)``, or with a channel-last ``layout`` (NWC, NHWC, NDHWC,
    as MXNet 1.9.1's CPU op) ``(N, *S, C)`` -> ``(N, *O, C)``; a given ``layout`` must match the
    rank of ``data`` (MXNetError otherwise). ``stride`` defaults to 1 and ``pad`` to 0 per
    dimension (``pad`` may also give all ``2 * len(kernel)`` sides the same padding,
    ``(p, p, p, p)`` for a 2-D kernel, as MXNet accepts; a longer pad that differs by side is
    refused: MXNet 1.9.1 reads its first entries as the per-axis padding, which pads other axes
    than the code means); ``global_pool`` pools each whole feature map. Output size per dimension:
    ``pooling_convention='valid'``: ``(S + 2p - k) // s + 1``; ``'full'`` (Caffe): ``ceil((S + 2p -
    k) / s) + 1``; ``'same'``: ``ceil(S / s)`` with TensorFlow-style padding (MXNet 1.9.1's own
    'same' is broken outside 1-D, so this one is minigluon's). Max pooling ignores padding; average
    pooling divides by the window size including padding (clipped to the padded input) when
    ``count_include_pad`` is True or None (MXNet's default), else by the number of real elements
    (a window lying wholly in the padding, possible with 'full', then averages to 0, where MXNet
    1.9.1 returns NaN from 0/0).
    Lp pooling computes ``(sum x^p)^(1/p)`` with ``p_value`` (default 2; MXNet 1.9.1 takes 1, 2
    or 3, minigluon any positive integer), the real root for odd ``p`` (negative windows give
    negative outputs, MXNet's ``cbrt``); its gradient is 0 where the output is 0, except for
    ``p = 1`` (the window sum: 1 everywhere), as MXNet's. The max gradient goes to
    the first maximum of each window. A NaN in a max-pooling window makes its output NaN (and the
    gradient goes to the first NaN), as ``numpy.maximum`` propagates it; MXNet 1.9.1's CPU kernel
    skips NaNs instead and returns the lowest float for an all-NaN window, hiding the NaN.
    """

    name = 'Pooling'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'kernel': Attr('shape', (), minimum=1),
             'pool_type': Attr('str', 'max', choices=['avg', 'lp', 'max', 'sum']),
             'global_pool': Attr('bool', False), 'cudnn_off': Attr('bool', False),
             'pooling_convention': Attr('str', 'valid', choices=['full', 'same', 'valid']),
             'stride': Attr('shape', (), minimum=1), 'pad': Attr('shape', (), minimum=0),
             'p_value': Attr('int', None, minimum=1),
             'count_include_pad': Attr('bool', None), 'layout': Attr('str', None, choices=_LAYOUTS[1:])}
    uses_workspace = True    # static_alloc graphs lend a dict of reused buffers (ops/_workspace.py)
    needs_grad_hint = True   # recorded eager calls say whether data wants a gradient (keep_argmax)
    fused_relu = False       # a relu inside the kept-argmax pass (executor_plan._MaxPoolRelu)

    def check_attrs(self):
        if not self.global_pool and not 1 <= len(self.kernel) <= 3:
            raise ValueError('Pooling: kernel must have 1, 2 or 3 entries unless global_pool=True, '
                             'got %s' % (self.kernel,))
        if self.pad and not self.global_pool and _is_same_on_every_side(self.pad, self.kernel):
            self.pad = self.pad[:len(self.kernel)]
        for key in ('stride', 'pad'):
            val = getattr(self, key)
            if val and not self.global_pool and len(val) != len(self.kernel):
                raise ValueError('Pooling: %s=%s must have as many entries as kernel=%s%s'
                                 % (key, val, self.kernel, _PAD_PER_SIDE if key == 'pad' else ''))

    def infer_shape(self, in_shapes):
        """With every spatial size known, the default rule (a pass on zeros, which also checks
        them). With unknown (0) spatial sizes, the output shape from the window geometry without
        a pass: an unknown input size gives an unknown output size (1 under ``global_pool``); a
        probe could not tell, since a stride larger than the probe sizes gives one window for
        each. (MXNet 1.9.1 computes with an unknown size as -1, in every layout: a kernel
        larger than ``2 * pad - 1`` fails, "kernel size (2) exceeds input (-1 padded to 1)", a
        smaller one gives a made-up size; only ``global_pool`` gives 1 as here. minigluon leaves
        such sizes unknown.)

        A rank that does not fit the kernel, and a known spatial size smaller than the kernel,
        raise :class:`~minigluon.base.ShapeConflictError` even while other sizes are unknown, as
        MXNet 1.9.1 checks them in ``infer_shape_partial`` too.
        """
        data = in_shapes[0]
        if data is None:
            return super().infer_shape(in_shapes)
        data = tuple(data)
        self._check_rank(len(data), data)
        last = self.layout in _CHANNEL_LAST
        sp = data[1:-1] if last else data[2:]
        if not 1 <= len(sp) <= 3 or (not self.global_pool and len(sp) != len(self.kernel)):
            raise ShapeConflictError('Pooling: data must be %s with %s spatial dimensions, got '
                                     'shape %s' % (self._form(), len(self.kernel) or '1 to 3', data))
        size = max(self.kernel or (1,)) + 2 * max(self.pad or (0,))   # a valid stand-in size
        out = self._geometry(tuple(n or size for n in sp))[4]
        if min(out) < 1:        # (only a known size can be too small: the stand-in fits)
            raise ShapeConflictError('Pooling: kernel %s is larger than the padded input %s'
                                     % (self.kernel, data))
        if 0 not in sp:
            return super().infer_shape(in_shapes)
        out = tuple(o if n else (1 if self.global_pool else 0) for n, o in zip(sp, out))
        return [data], [data[:1] + out + data[-1:] if last else data[:2] + out]

    def _form(self):
        """The expected data form, for messages."""
        return '(N, *spatial, C)' if self.layout in _CHANNEL_LAST else '(N, C, *spatial)'

    def _check_rank(self, ndim, shape):
        """An explicit ``layout`` fixes the rank of ``data`` (MXNet 1.9.1 refuses a mismatch with
        MXNetError "Need 2D layout" and the like, or, under ``global_pool``, computes something and
        later aborts the process: minigluon raises the error in both cases)."""
        if self.layout is not None and ndim != len(self.layout):
            raise MXNetError('Pooling: layout=%r needs %d-D data %s, got shape %s'
                             % (self.layout, len(self.layout), self._form(), tuple(shape)))

    def _geometry(self, sp):
        """``(kernel, stride, pad_before, pad_after, out)`` for spatial input size ``sp``."""
        nsp = len(sp)
        if self.global_pool:
            return tuple(sp), (1,) * nsp, (0,) * nsp, (0,) * nsp, (1,) * nsp
        k = self.kernel
        s = self.stride or (1,) * nsp
        p = self.pad or (0,) * nsp
        if self.pooling_convention == 'same':
            out = tuple(-(-n // st) for n, st in zip(sp, s))
            total = [max((o - 1) * st + kk - n, 0) for o, st, kk, n in zip(out, s, k, sp)]
            return k, s, tuple(t // 2 for t in total), tuple(t - t // 2 for t in total), out
        if self.pooling_convention == 'full':
            out = tuple(-(-(n + 2 * pp - kk) // st) + 1 for n, pp, kk, st in zip(sp, p, k, s))
        else:
            out = tuple((n + 2 * pp - kk) // st + 1 for n, pp, kk, st in zip(sp, p, k, s))
        # Padding after the input that the last window reaches ('full' can go past 2 * pad).
        after = tuple(max((o - 1) * st + kk - n - pp, pp) for o, st, kk, n, pp in zip(out, s, k, sp, p))
        return k, s, tuple(p), after, out

    def forward(self, xp, data):
        """Channel-last data (``layout`` NWC, NHWC or NDHWC) is pooled as its channel-first view
        (the channel axis moved to position 1, no copy) and the result moved back (a contiguous
        array, as ``transpose`` gives); the backward moves the gradient the same way."""
        self._check_rank(data.ndim, data.shape)
        nsp = data.ndim - 2
        if not 1 <= nsp <= 3 or (not self.global_pool and nsp != len(self.kernel)):
            raise shape_error(self, 'data must be %s with %s spatial dimensions'
                              % (self._form(), len(self.kernel) or '1 to 3'), data)
        if data.dtype.kind != 'f':
            raise TypeError('Pooling: data must be a floating-point array, got %s' % data.dtype)
        if self.layout not in _CHANNEL_LAST:
            return self._pool(xp, data, data)
        out = self._pool(xp, xp.moveaxis(data, -1, 1), data)
        return xp.ascontiguousarray(xp.moveaxis(out, 1, -1))

    def _pool(self, xp, data, given):
        """The forward on channel-first ``data`` (``given``: the caller's array, for messages)."""
        k, s, before, after, out = self._geometry(data.shape[2:])
        if min(out) < 1:
            raise shape_error(self, 'kernel %s is larger than the padded input' % (k,), given)
        self.geom, self.dshape = (k, s, before, after, out), data.shape
        if self.pool_type == 'max':
            self.xpad = pad_spatial(xp, data, before, after, xp.finfo(data.dtype).min)
            ws = workspace_of(self)
            if self._keeps_argmax(ws):     # (see minigluon.ops._pool_argmax)
                self.argpos, best = winning_positions(xp, self.xpad, k, s, out, data.dtype, ws,
                                                      relu=self.fused_relu)
                return best
            return _window_reduce(xp, self.xpad, k, s, out, xp.maximum, None if ws is None else
                                  buffer(xp, ws, 'out', data.shape[:2] + tuple(out), data.dtype))
        x = data.astype(np.float32) if data.dtype == np.float16 else data
        if self.pool_type == 'lp':
            self.xin, x = x, x ** (self.p_value or 2)
        self.xpad = pad_spatial(xp, x, before, after)
        total = _window_reduce(xp, self.xpad, k, s, out, xp.add)
        if self.pool_type == 'avg':
            self.count = self._count(xp, data.shape[2:], x.dtype)
            total = total / self.count
        elif self.pool_type == 'lp':
            self.out = total = _real_root(xp, total, self.p_value or 2)
        return total.astype(data.dtype, copy=False)

    def _keeps_argmax(self, ws):
        """Whether the forward keeps each window's winning position for the backward: when a
        static_alloc graph asks (``keep_argmax``, its workspace holds the positions until the
        backward) or, without a workspace, when the call is recorded and ``data`` wants a
        gradient (``needs_input_grad``, set before the forward by ``invoke`` or the CachedOp).
        The backward then scatters the gradient without recomputing the maxima (captcha's first
        2x2 pool, forward + backward, ~12.3 -> ~8.7 ms on one core); the gradient is the same bit
        for bit. The kept positions are made and used in :mod:`minigluon.ops._pool_argmax`."""
        if ws is not None:
            return getattr(self, 'keep_argmax', False)
        needs = getattr(self, 'needs_input_grad', None)
        return bool(needs and needs[0])

    def _count(self, xp, sp, dtype):
        """Divisor of average pooling per output position, shape ``(1, 1, *O)``."""
        k, s, before, after, out = self.geom
        ones = xp.ones((1, 1) + tuple(sp), dtype=dtype)
        if self.count_include_pad is None or self.count_include_pad:
            # The padding counts, but not the extra border that 'full' windows run into.
            ones = pad_spatial(xp, ones, before, before, 1)
            ones = pad_spatial(xp, ones, (0,) * len(sp), tuple(a - b for a, b in zip(after, before)))
        else:
            ones = pad_spatial(xp, ones, before, after)
        cnt = windows(xp, ones, k, s, (1,) * len(sp), out).sum(axis=tuple(range(2, 2 + len(sp))))
        return xp.maximum(cnt, 1)

    def _max_backward(self, xp, g, gpad, disjoint):
        """Route ``g`` to the first maximum of each window (row-major kernel order, as argmax).

        One pass of a few element-wise operations per kernel position, written into preallocated
        boolean buffers: ``hit`` marks the windows whose maximum sits at this position and that had
        no earlier hit (``taken``). A window whose maximum is NaN sends its gradient to its first NaN.
        """
        k, s, _, _, out = self.geom
        ws = workspace_of(self)
        best = _window_reduce(xp, self.xpad, k, s, out, xp.maximum,   # recomputed: outputs may be mutated
                              None if ws is None else buffer(xp, ws, 'best', g.shape, self.xpad.dtype))
        nan_windows = xp.isnan(best)
        if not nan_windows.any():
            nan_windows = None
        taken = buffer(xp, ws, 'taken', g.shape, np.dtype(bool), zero=True)
        hit = buffer(xp, ws, 'hit', g.shape, np.dtype(bool))
        for sl in _window_slices(k, s, out):
            vals = self.xpad[sl]
            xp.equal(vals, best, out=hit)
            if nan_windows is not None:
                hit |= nan_windows & xp.isnan(vals)
            xp.greater(hit, taken, out=hit)          # hit and not taken
            taken |= hit
            if disjoint:
                xp.multiply(g, hit, out=gpad[sl])
            else:
                gpad[sl] += g * hit

    def backward(self, xp, grad):
        if self.layout not in _CHANNEL_LAST:
            return self._unpool(xp, grad)
        gx, = self._unpool(xp, xp.moveaxis(grad, -1, 1))
        return (xp.moveaxis(gx, 1, -1),)

    def _unpool(self, xp, grad):
        """The backward on the channel-first gradient ``grad``."""
        k, s, before, after, out = self.geom
        lead = (slice(None), slice(None))
        g = grad.astype(np.float32) if grad.dtype == np.float16 and self.pool_type != 'max' else grad
        if self.pool_type == 'avg':
            g = g / self.count
        elif self.pool_type == 'lp' and (self.p_value or 2) != 1:
            # d out / d x = x^(p-1) * out^(1-p); 0 where out is 0 (MXNet's choice; for p = 1 the
            # derivative is 1 everywhere, the window sum's)
            p = self.p_value or 2
            safe = xp.where(self.out == 0, 1, self.out)
            g = g * xp.where(self.out == 0, 0, safe ** (1 - p))
        disjoint = all(st >= kk for st, kk in zip(s, k))   # each input element in one window at most
        argpos = getattr(self, 'argpos', None)
        # windows that tile the padded input exactly write every element of gpad: no zero fill
        tiled = (argpos is not None and all(st == kk for st, kk in zip(s, k))
                 and all(o * st == n for o, st, n in zip(out, s, self.xpad.shape[2:])))
        gpad = _zeros_in_layout_of(xp, workspace_of(self), 'gpad', self.xpad, g.dtype, zero=not tiled)
        if argpos is not None:
            scatter_positions(xp, argpos, k, s, out, g, gpad, disjoint, workspace_of(self))
            self.argpos = None
        elif self.pool_type == 'max':
            self._max_backward(xp, g, gpad, disjoint)
        else:
            for sl in _window_slices(k, s, out):
                if disjoint:
                    gpad[sl] = g
                else:
                    gpad[sl] += g
        crop = lead + tuple(slice(b, b + n) for b, n in zip(before, self.dshape[2:]))
        gx = gpad[crop]
        if self.pool_type == 'lp':   # d out / d x = x^(p-1) * out^(1-p)
            gx = gx * self.xin ** ((self.p_value or 2) - 1)
        return (gx.astype(grad.dtype, copy=False),)
