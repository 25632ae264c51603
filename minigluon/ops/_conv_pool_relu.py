"""``Convolution -> relu -> 2x2 max Pooling`` image by image (a step of the hybridized plan only).

:mod:`minigluon.executor_plan` makes this one step (:class:`ConvMaxPoolRelu`) where a Convolution's
only reader is a :class:`~minigluon.executor_plan._MaxPoolRelu` (captcha's Conv -> relu -> max
pool). On NumPy, for 2-D float32/float64 convolutions in one group and 2x2 windows of stride 2
without padding, each image's convolution output is made into a small per-worker scratch that stays
in the cache and is pooled (with the relu, by the compiled 2x2 kernel of
:mod:`minigluon.ops._pool_numba_kernels`) right away: the whole ``(N, F, H, W)`` output is never
written to memory and read back. The backward scatters each image's pooled gradient into such a
scratch and makes that image's share of the convolution's gradients from it.

Everything is computed as the two unfused steps compute it, bit for bit: the same GEMMs per image
(:mod:`minigluon.ops._conv_per_image` for inputs of at least 16 channels, the batch path of
:class:`~minigluon.ops.conv.Convolution` for thinner ones, whose im2col matrix is still built for
the whole batch), the bias added to each image as there, the weight gradient summed per chunk of
images then over the chunks in order, and the bias gradient as NumPy's ``grad.sum(axis=(0, 2,
3))`` sums it: one pairwise sum per row ``(image, filter)``, added image after image (the tests
compare with eager mode bit for bit, so a NumPy that changed that order would be caught there).

Anything else (CuPy, float16, other dtypes or windows, groups, channel-last layouts, no Numba, a
thin input whose data gradient is wanted, known before the forward from ``needs_input_grad``) runs
the two steps one after the other, unchanged.
"""
import numpy as np

from minigluon.ops import _conv_per_image, _numba, _parallel
from minigluon.ops._workspace import buffer, workspace_of
from minigluon.ops.conv import Convolution, _column_matrix, _fill_columns, _padded
from minigluon.ops.registry import Op


def fusable(conv_state, pool_state):
    """Whether the plan may make ``Convolution -> _MaxPoolRelu`` one step (attributes only: the
    call still checks the arrays, :meth:`ConvMaxPoolRelu._fused_applies`)."""
    kernel = conv_state.get('kernel') or ()
    return (len(kernel) == 2 and conv_state.get('num_group', 1) == 1
            and conv_state.get('layout') in (None, 'NCHW')
            and not pool_state.get('global_pool')
            and tuple(pool_state.get('kernel') or ()) == (2, 2)
            and tuple(pool_state.get('stride') or ()) == (2, 2)
            and not any(pool_state.get('pad') or ())
            and pool_state.get('pooling_convention', 'valid') == 'valid'
            and pool_state.get('layout') in (None, 'NCHW'))


class ConvMaxPoolRelu(Op):
    """The fused step (see the module docstring). ``conv_state`` / ``pool_state``: the parsed
    states of the two plan steps it replaces; inputs those of the Convolution (``data (N, C, H_in,
    W_in)``, ``weight (F, C, kh, kw)``, ``bias (F,)`` unless ``no_bias``), output the pooling's,
    ``(N, F, H // 2, W // 2)`` for the convolution output's ``(H, W)``, in the data's dtype.
    Errors are the Convolution's and the Pooling's own (the fallback runs them)."""

    name = 'Convolution'
    arguments = ('data', 'weight', 'bias')
    uses_workspace = True

    def _parts(self):
        """The Convolution and ``_MaxPoolRelu`` operators this step replaces, rebuilt from their
        parsed states with this step's flags passed on (``needs_input_grad``, its workspace,
        ``graph_inference``): what the unfused path runs, and the geometry the fused passes read."""
        from minigluon.executor_plan import _MaxPoolRelu
        conv = Convolution._fast(self.conv_state, self.conv_state['given'])
        pool = _MaxPoolRelu._fast(self.pool_state, self.pool_state['given'])
        ws = workspace_of(self)
        need = getattr(self, 'needs_input_grad', None)
        if need is not None:
            conv.needs_input_grad = need
            pool.needs_input_grad = (any(need),)
            pool.keep_argmax = ws is not None and any(need)
        if ws is not None:
            conv.static_workspace = ws.setdefault('conv', {})
            pool.static_workspace = ws.setdefault('pool', {})
        conv.strided_output_ok = True
        conv.graph_inference = pool.graph_inference = getattr(self, 'graph_inference', False)
        return conv, pool

    def _fused_applies(self, xp, data, weight, bias):
        """Whether the arrays allow the fused passes: NumPy, 4-D, a non-empty batch, float32 or
        float64 in the machine's byte order for all of them, and Numba's 2x2 pooling kernels
        (the attributes were checked by :func:`fusable`)."""
        dt = data.dtype
        return (xp is np and dt.char in 'fd' and dt.isnative and data.ndim == 4
                and weight.dtype == dt and (bias is None or bias.dtype == dt)
                and data.shape[0] > 0 and _numba.kernels('_pool_numba_kernels') is not None)

    def forward(self, xp, data, weight, bias=None):
        conv, pool = self._parts()
        self.fused = False
        if self._fused_applies(xp, data, weight, bias):
            conv._check_data(data, weight, bias)
            out_sp = conv._out_spatial(data.shape[2:])
            # a thin input (the batch path) whose data gradient is wanted runs unfused: that
            # gradient's col2im needs the whole output gradient (the backward has no per-image form)
            need = getattr(self, 'needs_input_grad', None)
            thin_data_grad = data.shape[1] < 16 and need is not None and need[0]
            if min(out_sp) >= 2 and not thin_data_grad:
                self.fused = True
                return self._fused_forward(conv, data, weight, bias, tuple(out_sp))
        self.conv, self.pool = conv, pool
        return pool.forward(xp, conv.forward(xp, data, weight, bias))

    def backward(self, xp, grad):
        if not self.fused:
            gy, = self.pool.backward(xp, grad)
            return self.conv.backward(xp, gy)
        return self._fused_backward(grad)

    # -- the fused passes ----------------------------------------------------------------------------
    def _fused_forward(self, conv, data, weight, bias, out_sp):
        xp = np
        n, c = data.shape[:2]
        f = weight.shape[0]
        h, w = out_sp
        p = h * w
        ws = workspace_of(self)
        kernels = _numba.kernels('_pool_numba_kernels')
        pooled_shape = (n, f, h // 2, w // 2)
        best = buffer(xp, ws, 'out', pooled_shape, data.dtype)
        pos = buffer(xp, ws, 'argpos', pooled_shape, np.dtype(np.uint8))
        wm = weight.reshape(f, -1)
        kernel, stride, dilate, pad = conv.kernel, conv._stride, conv._dilate, conv._pad
        per_image = c >= 16
        cols = None
        if not per_image:     # the batch path's im2col matrix, as Convolution._batch_forward
            xpad = _padded(xp, ws, data, pad)
            cols, by_image = _column_matrix(xp, ws, xpad, 1, kernel, out_sp)
            cols = cols[0]                                           # (C * K, N * P)
        chunks = _parallel.image_chunks(n)
        bias3 = None if bias is None else bias.reshape(f, 1, 1)

        def work(worker, which):
            scratch = buffer(xp, ws, 'scratch%d' % worker, (1, f, h, w), data.dtype)
            flat = scratch.reshape(f, p)
            if per_image:
                columns = _conv_per_image._columns(xp, ws, data, kernel, stride, dilate, pad,
                                                   out_sp, worker)
            for j in which:
                lo, hi = chunks[j]
                if not per_image:
                    _fill_columns(xp, by_image, xpad, lo, hi, kernel, stride, dilate, out_sp)
                for i in range(lo, hi):
                    if per_image:
                        _conv_per_image.image_forward(xp, columns, data[i], wm[None], scratch[0])
                    else:
                        xp.matmul(wm, cols[:, i * p:(i + 1) * p], out=flat)
                    if bias3 is not None:
                        scratch[0] += bias3
                    kernels.argmax_pool_2x2(scratch, best[i:i + 1], pos[i:i + 1], True)
        _parallel.share(xp, chunks, work)
        self.data, self.weight, self.cols, self.pos = data, weight, cols, pos
        self.no_bias = bias is None
        self.geometry = (kernel, stride, dilate, pad, out_sp)
        return best

    def _fused_backward(self, grad):
        xp = np
        data, weight, cols, pos = self.data, self.weight, self.cols, self.pos
        kernel, stride, dilate, pad, out_sp = self.geometry
        n, c = data.shape[:2]
        f = weight.shape[0]
        h, w = out_sp
        p = h * w
        need = getattr(self, 'needs_input_grad', None)
        need_x, need_w = need is None or need[0], need is None or need[1]
        need_b = not self.no_bias and (need is None or need[2])
        per_image = cols is None       # (a thin input's data gradient never comes here: forward)
        ws = workspace_of(self)
        kernels = _numba.kernels('_pool_numba_kernels')
        grad = xp.ascontiguousarray(grad)
        chunks = _parallel.image_chunks(n)
        k = int(np.prod(kernel))
        ck = c * k
        # (one group: _conv_per_image.image_backward's (G, C * K, F) with G = 1)
        gw_parts = xp.zeros((len(chunks), 1, ck, f), dtype=grad.dtype) if need_w else None
        rows = xp.empty((n, f), dtype=grad.dtype) if need_b else None
        identity = _conv_per_image._is_identity(kernel, stride, pad)
        gx = (buffer(xp, ws, 'gx', data.shape, grad.dtype, zero=not identity) if need_x
              else None)
        wm = weight.reshape(f, -1)
        # (a conv output of odd height or width: the scatter never writes the row / column no
        # window holds, zero in the scratch as in the unfused pooling's gradient)
        def work(worker, which):
            scratch = buffer(xp, ws, 'gscratch%d' % worker, (1, f, h, w), grad.dtype,
                             zero=bool(h % 2 or w % 2))
            gy = scratch.reshape(f, p)
            part = xp.empty((ck, f), dtype=grad.dtype)
            if per_image:
                columns = _conv_per_image._columns(xp, ws, data, kernel, stride, dilate, pad,
                                                   out_sp, worker)
                dflat = (_conv_per_image.data_grad_scratch(xp, ws, columns, grad.dtype, worker)
                         if need_x else None)
            for j in which:
                lo, hi = chunks[j]
                for i in range(lo, hi):
                    kernels.scatter_2x2(grad[i:i + 1], pos[i:i + 1], scratch)
                    if rows is not None:
                        gy.sum(axis=1, out=rows[i])
                    if per_image:
                        _conv_per_image.image_backward(
                            xp, columns, data[i], scratch[0], wm[None],
                            gw_parts[j] if need_w else None, part,
                            gx[i] if need_x else None, dflat)
                    elif need_w:
                        xp.matmul(cols[:, i * p:(i + 1) * p], gy.T, out=part)
                        gw_parts[j, 0] += part
        _parallel.share(xp, chunks, work)
        gw = (_conv_per_image.weight_gradient(xp, gw_parts, grad.dtype, weight.shape) if need_w
              else None)
        gb = None
        if need_b:
            gb = xp.zeros(f, dtype=grad.dtype)      # NumPy's order (module docstring)
            for i in range(n):
                gb += rows[i]
        return (gx, gw) if self.no_bias else (gx, gw, gb)
