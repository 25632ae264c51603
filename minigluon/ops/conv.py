"""Convolution, Deconvolution and UpSampling over 1, 2 or 3 spatial dimensions (NC* layouts).
Pooling, which reuses this module's window view, lives in :mod:`minigluon.ops.pooling`.

Semantics, attributes and defaults follow MXNet 1.9.1 (``mxnet.ndarray.Convolution`` ...).

How it is computed: on the CPU, when the inner size ``C / num_group`` is at least 16, Convolution
builds the im2col matrix of one image at a time into a reused buffer and does one GEMM per image
(:mod:`minigluon.ops._conv_per_image`). For thinner inputs (an RGB or grey first layer, where the
per-image products are too small) a strided *window view* of the padded input, shape
``(N, C, *kernel, *out)``, is built with ``as_strided`` without copying (:func:`windows`) and
copied into the batch's im2col matrix (with a stride, from the input's phases:
:func:`_fill_columns`), chunk by chunk of images (on NumPy at most 8 chunks, fixed by the batch
size, which CPU worker threads may share: :mod:`minigluon.ops._parallel`), then multiplied with
one GEMM per image and group that writes the output in place, its bias added while the image is
in the cache (on CuPy one GEMM per group for the whole batch, then a layout copy); its backward
makes the weight gradient with one more GEMM per image (on CuPy per chunk), and the data gradient
with a GEMM per chunk and a *col2im* that loops over kernel positions (9 for a 3x3 kernel), never
over pixels (:func:`col2im`). On a
GPU every convolution takes that batch path, in one chunk (a loop over images would cost kernel
launches per image). Deconvolution is the same pair of passes in the other order. A depthwise
convolution (one input channel per group, MobileNet's 3x3 layers), CPU or GPU, makes no matrix
product at all: :mod:`minigluon.ops._conv_depthwise` sums its kernel positions directly.
"""

import numpy as np

from minigluon.base import MXNetError, NotSupportedError, ShapeConflictError
from minigluon.ops import _conv_depthwise, _conv_per_image, _parallel
from minigluon.ops._window_geometry import (kernel_positions, pad_spatial, phase_positions,
                                            window_slices)
from minigluon.ops._workspace import buffer, workspace_of
from minigluon.ops.registry import Attr, Op, check_given_shapes, register, shape_error

_LAYOUTS = [None, 'NCW', 'NCHW', 'NCDHW', 'NWC', 'NHWC', 'NDHWC']


def windows(xp, x, kernel, stride, dilate, out_sp):
    """Read-only view ``(N, C, *kernel, *out_sp)`` of ``x`` ``(N, C, *S)``: element
    ``[n, c, k..., o...]`` is ``x[n, c, o * stride + k * dilate]`` (no copy)."""
    st = x.strides
    nsp = len(kernel)
    shape = tuple(x.shape[:2]) + tuple(kernel) + tuple(out_sp)
    strides = (tuple(st[:2]) + tuple(st[2 + i] * dilate[i] for i in range(nsp))
               + tuple(st[2 + i] * stride[i] for i in range(nsp)))
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def col2im(xp, cols, shape, kernel, stride, dilate, out_sp):
    """Adjoint of :func:`windows`: add the columns into zeros of ``shape`` ``(N, C, *S)``.

    ``cols`` is in im2col order ``(C, *kernel, N, *out_sp)`` (as the GEMMs produce it). One
    strided slice-add per kernel position (a loop of ``prod(kernel)`` steps); the sums are made in
    a channel-first buffer (contiguous reads) and transposed once at the end."""
    out = xp.zeros((shape[1], shape[0]) + tuple(shape[2:]), dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for k, sl in zip(kernel_positions(kernel), window_slices(kernel, stride, dilate, out_sp)):
        out[lead + sl] += cols[(slice(None),) + k]
    return xp.ascontiguousarray(out.swapaxes(0, 1))


def _channels_first(xp, v, groups, ws=None, key=None):
    """Copy a window view ``(N, C, *K, *O)`` into the im2col matrix ``(G, C/G * K, N * O)`` (no
    copy when ``v`` already has that memory order; with a workspace ``ws`` the copy goes into its
    buffer ``key``)."""
    nsp = (v.ndim - 2) // 2
    order = (1,) + tuple(range(2, 2 + nsp)) + (0,) + tuple(range(2 + nsp, v.ndim))
    vt = v.transpose(order)
    if ws is not None and not vt.flags.c_contiguous:
        out = buffer(xp, ws, key, vt.shape, v.dtype)
        out[...] = vt
        vt = out
    return xp.ascontiguousarray(vt).reshape(groups, -1, v.shape[0] * int(np.prod(v.shape[2 + nsp:])))


def _fill_columns(xp, by_image, xpad, lo, hi, kernel, stride, dilate, out_sp):
    """Copy the windows of images ``lo .. hi - 1`` of ``xpad`` ``(N, C, *S)`` into their slice of
    the im2col matrix seen as ``by_image`` ``(C, *kernel, N, *O)``.

    With stride 1, one copy from the window view (:func:`windows`). With a larger stride that view
    reads every ``stride``-th element, a slow gather; instead the images are first split into
    their *phases* (``x[..., q::stride]`` for each residue ``q`` that a kernel position needs, one
    contiguous copy each), in which every kernel position reads a unit-stride box: a ResNet stem
    (7x7, stride 2) fills its columns in ~0.7x the time."""
    nsp = len(kernel)
    lead = (slice(None), slice(None))
    x = xpad[lo:hi]
    if max(stride) == 1:
        order = (1,) + tuple(range(2, 2 + nsp)) + (0,) + tuple(range(2 + nsp, 2 + 2 * nsp))
        by_image[(slice(None),) * (1 + nsp) + (slice(lo, hi),)] = windows(
            xp, x, kernel, stride, dilate, out_sp).transpose(order)
        return
    phases = {}
    for k, phase, start in phase_positions(kernel, stride, dilate):
        if phase not in phases:          # (C, images, *S / stride): the rows by_image receives
            phases[phase] = xp.ascontiguousarray(x[lead + tuple(
                slice(q, None, st) for q, st in zip(phase, stride))].swapaxes(0, 1))
        box = tuple(slice(b, b + n) for b, n in zip(start, out_sp))
        by_image[(slice(None),) + k + (slice(lo, hi),)] = phases[phase][lead + box]


def _column_matrix(xp, ws, xpad, groups, kernel, out_sp):
    """The batch path's im2col matrix ``(G, C/G * K, N * P)`` for the padded input ``xpad (N, C,
    *S)`` (reused from the workspace ``ws`` when given; filled by :func:`_fill_columns`), and the
    same memory seen as ``by_image`` ``(C, *kernel, N, *O)``, where a range of images is a slice
    of the N axis: column block ``i * P .. (i + 1) * P`` belongs to image ``i``."""
    n, c = xpad.shape[:2]
    cols = buffer(xp, ws, 'cols', (groups, c // groups * int(np.prod(kernel)),
                                   n * int(np.prod(out_sp))), xpad.dtype)
    return cols, cols.reshape((c,) + tuple(kernel) + (n,) + tuple(out_sp))


def _padded(xp, ws, data, pad):
    """``data (N, C, *S)`` zero-padded by ``pad`` on each spatial axis, in the static_alloc
    workspace ``ws``'s reused buffer when there is one (its border written once, only the
    interior per call), else a new array (``data`` itself when there is nothing to pad)."""
    if ws is None or not any(pad):
        return pad_spatial(xp, data, pad, pad)
    xpad = buffer(xp, ws, 'xpad', data.shape[:2] + tuple(
        s + 2 * p for s, p in zip(data.shape[2:], pad)), data.dtype, zero=True)
    xpad[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in
                                            zip(pad, data.shape[2:]))] = data
    return xpad


def _gemm(xp, a, b, trans_a=False, trans_b=False, out=None):
    """Per-group 2-D matrix products ``a[g] @ b[g]`` (NumPy's stacked matmul is far slower than
    one BLAS call per group), written into ``out`` when given."""
    if out is not None:
        for g in range(a.shape[0]):
            xp.matmul(a[g].T if trans_a else a[g], b[g].T if trans_b else b[g], out=out[g])
        return out
    outs = [(a[g].T if trans_a else a[g]) @ (b[g].T if trans_b else b[g]) for g in range(a.shape[0])]
    return outs[0][None] if len(outs) == 1 else xp.stack(outs)


def _batch_first(xp, y, n, spatial):
    """``(G, F/G, N * O)`` -> contiguous ``(N, F, *O)``."""
    y = y.reshape((-1, n) + tuple(spatial))
    return xp.ascontiguousarray(xp.moveaxis(y, 1, 0))


def _empty_batch_output(xp, op, data, weight, out_sp):
    """The output of a convolution over an empty batch, ``(0, F, *out_sp)`` (MXNet 1.9.1 cannot
    make an empty batch; the im2col reshapes cannot infer their sizes from it). Backward then
    gives zero gradients: :func:`_empty_batch_grads`."""
    op.dshape, op.wshape = data.shape, weight.shape
    return xp.zeros((0, op.num_filter) + tuple(out_sp), dtype=xp.result_type(data, weight))


def _bias_grad(grad, axes):
    """The bias gradient: ``grad`` summed over ``axes`` (all but the channel one), a float16
    gradient in float32 (summed in float16, the rounding grows with the batch and image size:
    0.3% off at batch 256 of 12x20 images), returned in ``grad``'s dtype."""
    acc = np.float32 if grad.dtype == np.float16 else None
    return grad.sum(axis=axes, dtype=acc).astype(grad.dtype, copy=False)


def _empty_batch_grads(xp, op, grad):
    """Zero gradients of data, weight (and bias) after :func:`_empty_batch_output`."""
    gx, gw = xp.zeros(op.dshape, grad.dtype), xp.zeros(op.wshape, grad.dtype)
    return (gx, gw) if op.no_bias else (gx, gw, xp.zeros(op.num_filter, grad.dtype))


class _ConvBase(Op):
    """What Convolution and Deconvolution share: the attribute checks (:meth:`check_attrs`
    fills ``_stride``, ``_dilate``, ``_pad`` (and ``_adj``) with one entry per spatial axis), the
    inputs (``bias`` only without ``no_bias``), the shape checks with their messages, and the
    shape rule that gives the weight and bias their shapes from the data (deferred
    initialisation). A subclass gives ``_weight_shape(channels)``, ``_in_channels(weight_shape)``
    and ``_out_spatial(input spatial sizes)``."""

    dtype_from_inputs = (0, 1)       # (a bias is added into the output, in its dtype)

    def check_attrs(self):
        nsp = len(self.kernel)
        if not 1 <= nsp <= 3:
            raise ValueError('%s: kernel must have 1, 2 or 3 dimensions, got %s' % (self.name, self.kernel))
        for key, default in (('stride', 1), ('dilate', 1), ('pad', 0)) + (
                (('adj', 0),) if hasattr(self, 'adj') else ()):
            val = getattr(self, key) or (default,) * nsp
            if len(val) != nsp:
                raise ValueError('%s: %s=%s must have %d entries like kernel=%s'
                                 % (self.name, key, val, nsp, self.kernel))
            setattr(self, '_' + key, tuple(val))
        if hasattr(self, 'adj') and not all(0 <= a < st for a, st in zip(self._adj, self._stride)):
            raise ValueError('%s: adj (output_padding) %s must be below stride %s in each '
                             'dimension (MXNet 1.9.1 refuses it too)'
                             % (self.name, self._adj, self._stride))
        if self.num_filter < 1 or self.num_group < 1 or self.num_filter % self.num_group:
            raise ValueError('%s: num_filter (%d) must be a positive multiple of num_group (%d)'
                             % (self.name, self.num_filter, self.num_group))
        if self.layout not in (None, 'NCW', 'NCHW', 'NCDHW'):
            raise NotSupportedError('%s: layout %r is not supported by minigluon; use the '
                                      'channel-first layout %s' % (self.name, self.layout,
                                                                   ['NCW', 'NCHW', 'NCDHW'][nsp - 1]))

    def list_arguments(self):
        return ['data', 'weight'] if self.no_bias else ['data', 'weight', 'bias']

    def _rank_message(self, shape):
        """Why data of ``shape`` has the wrong rank: the rank and layout wanted, the rank given."""
        nsp = len(self.kernel)
        return ('data must be %d-D, layout %s (batch, channel, %d spatial %s) for kernel %s, got '
                '%d-D data of shape %s' % (2 + nsp, self.layout or _LAYOUTS[nsp], nsp,
                                           'axis' if nsp == 1 else 'axes', self.kernel, len(shape),
                                           tuple(shape)))

    def _channel_message(self, c, weight):
        """What is wrong when data with ``c`` channels does not fit ``weight``: usually a layer
        built for another number of input channels; None when the weight is wrong otherwise."""
        g = self.num_group
        has = 'data has %d channel%s' % (c, '' if c == 1 else 's')
        if c % g:
            return '%s, which num_group=%d does not divide' % (has, g)
        per_group = self._weight_shape(c)
        expects = self._in_channels(weight.shape)
        if weight.ndim != len(per_group) or expects == c or \
                self._weight_shape(expects) != tuple(weight.shape):
            return None
        if g == 1 or self.name == 'Deconvolution':
            return '%s, but the weight %s expects in_channels=%d' % (has, tuple(weight.shape), expects)
        return ('%s (%d per group, num_group=%d), but the weight %s expects in_channels=%d (%d per '
                'group)' % (has, c // g, g, tuple(weight.shape), expects, expects // g))

    def _check_data(self, data, weight, bias):
        """Check data's rank and the weight and bias shapes; return ``(n, c, num_group, num_filter)``."""
        if data.ndim != 2 + len(self.kernel):
            raise shape_error(self, self._rank_message(data.shape), data, weight, bias)
        n, c = data.shape[:2]
        g, f = self.num_group, self.num_filter
        if weight.ndim != data.ndim:      # (_channel_message reads the weight's channel axes)
            raise shape_error(self, 'weight must have shape %s' % (self._weight_shape(c),),
                              data, weight, bias)
        if c % g or weight.shape != self._weight_shape(c):
            raise shape_error(self, self._channel_message(c, weight) or 'weight must have shape %s'
                              % (self._weight_shape(c),), data, weight, bias)
        if bias is not None and bias.shape != (f,):
            raise shape_error(self, 'bias must have shape (%d,)' % f, data, weight, bias)
        return n, c, g, f

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data and len(data) != 2 + len(self.kernel):     # known, of the wrong rank: a conflict
            raise ShapeConflictError('%s: %s' % (self.name, self._rank_message(data)))
        if data is None or len(data) != 2 + len(self.kernel) or data[1] == 0:
            raise MXNetError('%s: the shape of data (N, C, *spatial) is needed to infer the weight '
                             'shape (kernel %s)' % (self.name, self.kernel))
        outs = getattr(self, '_infer_outputs', None)      # set by the graph's shape inference
        if outs and outs[0] is not None and data[0] == 0:
            # batch unknown (a conv cell's zero begin state in a hybridized unroll): the output's
            data = (outs[0][0],) + tuple(data[1:])
        want = [tuple(data), self._weight_shape(data[1])] + ([] if self.no_bias else [(self.num_filter,)])
        check_given_shapes(self, in_shapes, want)
        spatial = self._partial_spatial(tuple(data[2:]))
        if any(s and o < 1 for s, o in zip(data[2:], spatial)):
            # refused here as the forward refuses it (MXNet: "kernel size exceed input"); left as a 0
            # it read "could not infer the shape" in a deferred initialization
            raise ShapeConflictError('%s: %s (data %s)' % (self.name, self._empty_output_message(
                tuple(data[2:])), tuple(data)))
        return want, [(data[0], self.num_filter) + spatial]

    def _partial_spatial(self, sp):
        """The output's spatial sizes for input sizes ``sp`` in which 0 means unknown: an unknown
        input size gives an unknown output size (as MXNet), except where a Deconvolution's
        ``target_shape`` fixes it."""
        target = getattr(self, 'target_shape', None)
        if 0 not in sp:
            return tuple(self._out_spatial(sp))
        if target:
            return tuple(target)
        known = self._out_spatial(tuple(s or 1 for s in sp))      # (the unknown ones replaced)
        return tuple(o if s else 0 for s, o in zip(sp, known))


def _conv_attrs(workspace, no_bias, deconv=False):
    """The attributes of Convolution (or, with ``deconv``, Deconvolution, which adds ``adj`` and
    ``target_shape``) in MXNet 1.9.1's order, with the defaults that differ between the two
    (``workspace``, ``no_bias``). ``workspace``, ``cudnn_tune`` and ``cudnn_off`` are accepted
    and written to JSON as in MXNet; they change nothing here."""
    extra = {'adj': Attr('shape', (), minimum=0), 'target_shape': Attr('shape', ())} if deconv else {}
    return {'kernel': Attr('shape', minimum=1), 'stride': Attr('shape', (), minimum=1),
            'dilate': Attr('shape', (), minimum=1), 'pad': Attr('shape', (), minimum=0), **extra,
            'num_filter': Attr('int'), 'num_group': Attr('int', 1),
            'workspace': Attr('int', workspace), 'no_bias': Attr('bool', no_bias),
            'cudnn_tune': Attr('str', None, choices=['fastest', 'limited_workspace', 'off']),
            'cudnn_off': Attr('bool', False), 'layout': Attr('str', None, choices=_LAYOUTS[1:])}


@register
class Convolution(_ConvBase):
    """N-D convolution (cross-correlation, as in every framework) (MXNet ``Convolution``).

    Shapes: ``data (N, C, *S)``, ``weight (num_filter, C / num_group, *kernel)``, ``bias
    (num_filter,)``, output ``(N, num_filter, *O)`` with
    ``O = (S + 2 * pad - dilate * (kernel - 1) - 1) // stride + 1``. 1-D, 2-D and 3-D; groups and
    dilation. Raises ValueError (naming every input's shape) on inconsistent shapes.
    """

    name = 'Convolution'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'weight', 'bias')
    attrs = _conv_attrs(1024, False)
    uses_workspace = True    # static_alloc graphs lend a dict of reused buffers (ops/_workspace.py)

    def _weight_shape(self, channels):
        return (self.num_filter, channels // self.num_group) + tuple(self.kernel)

    def _in_channels(self, weight_shape):
        return weight_shape[1] * self.num_group

    def _out_spatial(self, sp):
        return [(s + 2 * p - d * (k - 1) - 1) // st + 1 for s, p, d, k, st
                in zip(sp, self._pad, self._dilate, self.kernel, self._stride)]

    def _empty_output_message(self, sp):
        """Why input spatial sizes ``sp`` give an empty output (0 in ``sp``: unknown)."""
        return ('the padded input %s is smaller than the dilated kernel %s (input %s, pad %s, '
                'dilate %s)' % (tuple(s + 2 * p if s else 0 for s, p in zip(sp, self._pad)),
                                tuple(d * (k - 1) + 1 for d, k in zip(self._dilate, self.kernel)),
                                tuple(sp), self._pad, self._dilate))

    def forward(self, xp, data, weight, bias=None):
        n, c, g, f = self._check_data(data, weight, bias)
        out_sp = self._out_spatial(data.shape[2:])
        if min(out_sp) < 1:
            raise shape_error(self, self._empty_output_message(data.shape[2:]), data, weight, bias)
        if n == 0:
            return _empty_batch_output(xp, self, data, weight, out_sp)
        self.dshape, self.wshape, self.out_sp = data.shape, weight.shape, out_sp
        ws = workspace_of(self)
        self.depthwise = _conv_depthwise.applies(c, g)
        if self.depthwise:              # one input channel per group: no matrix product to make
            self.data, self.weight = data, weight
            return _conv_depthwise.forward(xp, data, weight, bias, self.kernel, self._stride,
                                           self._dilate, self._pad, out_sp)
        # On the CPU one GEMM per image (inner size C/G * K) beats the batch's im2col; on a GPU the
        # per-image loop would cost several kernel launches per image, so the batch path runs there.
        if c // g >= 16 and xp is np:
            self.data, self.weight = data, weight
            return _conv_per_image.forward(xp, data, weight, bias, g, self.kernel, self._stride,
                                           self._dilate, self._pad, out_sp, ws=ws)
        self.data = None
        xpad = _padded(xp, ws, data, self._pad)
        self.pshape = xpad.shape
        w = weight.reshape(g, f // g, -1)                          # (G, F/G, C/G * K)
        cols, out = self._batch_forward(xp, xpad, w, bias, n, out_sp, ws)
        self.cols, self.w = cols, w
        return out

    def _chunks(self, xp, n):
        """Ranges of images the batch path works on one at a time: on NumPy those of
        :func:`minigluon.ops._parallel.image_chunks`, fixed by ``n`` alone, so that CPU worker
        threads can share them without changing any result; one range on CuPy."""
        return _parallel.image_chunks(n) if xp is np else ([(0, n)] if n else [])

    def _batch_forward(self, xp, xpad, w, bias, n, out_sp, ws):
        """The batch path's im2col matrix ``(G, C/G * K, N * P)``, built chunk by chunk of images
        (:meth:`_chunks`; column block ``lo * P .. hi * P`` belongs to images ``lo .. hi - 1``),
        and the output ``(N, F, *O)`` with ``bias`` (or None) added. On NumPy one GEMM per image
        and group writes straight into the output (BLAS reads the image's column block in place:
        no layout copy), and the bias is added to each image while it is still in the cache. On
        CuPy one GEMM per group for the whole batch writes ``(G, F/G, N * P)``, turned batch-first
        by a copy, or, when a graph plan says the only reader takes any layout
        (``strided_output_ok``), seen as ``(N, F, *O)`` through a transposed view; the bias is
        added to the result."""
        g = self.num_group
        fg = w.shape[1]
        p = int(np.prod(out_sp))
        dtype = xp.result_type(w.dtype, xpad.dtype)
        cols, by_image = _column_matrix(xp, ws, xpad, g, self.kernel, out_sp)
        if xp is np:
            out = buffer(xp, ws, 'y', (n, g, fg, p), dtype)
        else:
            y = buffer(xp, ws, 'y', (g, fg, n * p), dtype)
        chunks = self._chunks(xp, n)

        def work(worker, which):
            for j in which:
                lo, hi = chunks[j]
                _fill_columns(xp, by_image, xpad, lo, hi, self.kernel, self._stride, self._dilate,
                              out_sp)
                if xp is not np:
                    for gi in range(g):
                        xp.matmul(w[gi], cols[gi][:, lo * p:hi * p], out=y[gi][:, lo * p:hi * p])
                    continue
                for i in range(lo, hi):
                    for gi in range(g):
                        xp.matmul(w[gi], cols[gi][:, i * p:(i + 1) * p], out=out[i, gi])
                    if bias is not None:
                        out[i] += bias.reshape(g, fg, 1)
        _parallel.share(xp, chunks, work)
        if xp is np:
            return cols, out.reshape((n, g * fg) + tuple(out_sp))
        if getattr(self, 'strided_output_ok', False):
            y = xp.moveaxis(y.reshape((g * fg, n) + tuple(out_sp)), 0, 1)
        else:
            y = _batch_first(xp, y, n, out_sp)
        if bias is not None:
            y += bias.reshape((1, g * fg) + (1,) * len(out_sp))
        return cols, y

    def backward(self, xp, grad):
        n, g = grad.shape[0], self.num_group
        if n == 0:
            return _empty_batch_grads(xp, self, grad)
        # inputs nobody reads the gradient of (e.g. the image) are skipped: None
        need = getattr(self, 'needs_input_grad', None)
        need_x, need_w = need is None or need[0], need is None or need[1]
        need_b = not self.no_bias and (need is None or need[2])     # (a bias nobody trains: None)
        if self.data is not None:
            gb = _bias_grad(grad, (0,) + tuple(range(2, grad.ndim))) if need_b else None
            if self.depthwise:
                gx, gw = _conv_depthwise.backward(xp, grad, self.data, self.weight, self.kernel,
                                                  self._stride, self._dilate, self._pad,
                                                  need_x=need_x, need_w=need_w)
                return (gx, gw) if self.no_bias else (gx, gw, gb)
            gx, gw = _conv_per_image.backward(xp, grad, self.data, self.weight, g, self.kernel,
                                              self._stride, self._dilate, self._pad, need_x=need_x,
                                              need_w=need_w, ws=workspace_of(self))
            return (gx, gw) if self.no_bias else (gx, gw, gb)
        p = int(np.prod(self.out_sp))
        fg, ck = self.w.shape[1], self.cols.shape[1]
        # contiguous, so that the sums below run in one order whatever the layout of ``grad``
        gy = xp.ascontiguousarray(grad).reshape(n, g, fg, p)
        gb = _bias_grad(gy, (0, 3)).reshape(-1) if need_b else None
        # The head gradient channel-first, (G, F/G, N * P): what the data gradient's GEMMs read,
        # and on CuPy the weight gradient's (one GEMM per chunk). On NumPy the weight gradient
        # reads each image's gradient in place instead (one GEMM per image), sparing a copy
        # of the whole gradient (a grey first layer, where only the weight is trained: 4.6 ->
        # 2.0 ms for the captcha example's, one core).
        gout = None
        if need_x or xp is not np:
            gout = _channels_first(xp, grad.reshape(grad.shape[:2] + (1,) * len(self.out_sp)
                                                    + grad.shape[2:]), g, workspace_of(self), 'gout')
        chunks = self._chunks(xp, n)
        # per chunk of images (the weight gradient's partial sums, added in chunk order below),
        # transposed: cols @ dY.T is the faster GEMM. On NumPy they add one product per image,
        # so float16 ones are summed in float32 (else the rounding grows with the batch size)
        acc = np.float32 if xp is np and gy.dtype == np.float16 else gy.dtype
        parts = xp.zeros((max(len(chunks), 1), g, ck, fg), acc) if need_w else None
        gx = xp.empty(self.dshape, dtype=gy.dtype) if need_x else None
        crop = (slice(None), slice(None)) + tuple(slice(q, q + s) for q, s
                                                  in zip(self._pad, self.dshape[2:]))

        def work(worker, which):
            image_part = xp.empty((ck, fg), gy.dtype) if need_w and xp is np else None
            for j in which:
                lo, hi = chunks[j]
                cs = slice(lo * p, hi * p)
                if need_w and xp is np:
                    for i in range(lo, hi):
                        for gi in range(g):
                            xp.matmul(self.cols[gi][:, i * p:(i + 1) * p], gy[i, gi].T,
                                      out=image_part)
                            parts[j, gi] += image_part
                elif need_w:
                    for gi in range(g):
                        xp.matmul(self.cols[gi][:, cs], gout[gi][:, cs].T, out=parts[j, gi])
                if need_x:                     # (G, C/G * K, images * P), then col2im
                    gcols = xp.stack([self.w[gi].T @ gout[gi][:, cs] for gi in range(g)])
                    gcols = gcols.reshape((self.dshape[1],) + tuple(self.kernel) + (hi - lo,)
                                          + tuple(self.out_sp))
                    gx[lo:hi] = col2im(xp, gcols, (hi - lo,) + tuple(self.pshape[1:]), self.kernel,
                                       self._stride, self._dilate, self.out_sp)[crop]
        _parallel.share(xp, chunks, work)
        gw = _conv_per_image.weight_gradient(xp, parts, gy.dtype, self.wshape) if need_w else None
        return (gx, gw) if self.no_bias else (gx, gw, gb)


@register
class Deconvolution(_ConvBase):
    """Transposed convolution, the gradient of Convolution with respect to its data
    (MXNet ``Deconvolution``).

    Shapes: ``data (N, C, *S)``, ``weight (C, num_filter / num_group, *kernel)``, ``bias
    (num_filter,)``, output ``(N, num_filter, *O)`` with
    ``O = stride * (S - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj``. When ``target_shape`` is
    given, ``pad`` and ``adj`` are derived from it as MXNet does (``O == target_shape``).
    Note MXNet's default ``no_bias=True`` for this operator.
    """

    name = 'Deconvolution'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'weight', 'bias')
    attrs = _conv_attrs(512, True, deconv=True)

    def _weight_shape(self, channels):
        return (channels, self.num_filter // self.num_group) + tuple(self.kernel)

    def _in_channels(self, weight_shape):
        return weight_shape[0]

    def _pads(self, sp):
        """``(pad, adj)`` per spatial dimension for input spatial size ``sp``."""
        if not self.target_shape:
            return self._pad, self._adj
        if len(self.target_shape) != len(sp):
            raise ValueError('Deconvolution: target_shape=%s must have %d entries'
                             % (self.target_shape, len(sp)))
        pads, adjs = [], []
        for s, k, st, d, t in zip(sp, self.kernel, self._stride, self._dilate, self.target_shape):
            total = st * (s - 1) + d * (k - 1) + 1 - t
            if total < 0:
                raise ValueError('Deconvolution: target_shape %s is larger than the largest output '
                                 'this kernel and stride can produce' % (self.target_shape,))
            if total % 2 >= st:     # the odd pixel is an output padding (adj) below the stride
                raise ValueError('Deconvolution: target_shape %s needs an output padding (adj) of '
                                 '1, which must be below the stride %s (MXNet 1.9.1 refuses it too)'
                                 % (self.target_shape, self._stride))
            pads.append((total + 1) // 2)
            adjs.append(total % 2)
        return tuple(pads), tuple(adjs)

    def _empty_output_message(self, sp):
        """Why input spatial sizes ``sp`` give an empty output: the padding trims it all."""
        return 'pad %s leaves an empty output' % (self._pads(sp)[0],)

    def _out_spatial(self, sp):
        pad, adj = self._pads(sp)
        return [st * (s - 1) + d * (k - 1) + 1 - 2 * p + a for s, p, a, d, k, st
                in zip(sp, pad, adj, self._dilate, self.kernel, self._stride)]

    def forward(self, xp, data, weight, bias=None):
        n, c, g, f = self._check_data(data, weight, bias)
        in_sp = data.shape[2:]
        pad, _ = self._pads(in_sp)
        out_sp = self._out_spatial(in_sp)
        if min(out_sp) < 1:
            raise shape_error(self, self._empty_output_message(in_sp), data, weight, bias)
        if n == 0:
            return _empty_batch_output(xp, self, data, weight, out_sp)
        full = [st * (s - 1) + d * (k - 1) + 1 for s, d, k, st in zip(in_sp, self._dilate, self.kernel, self._stride)]
        buf_sp = tuple(max(fl, p + o) for fl, p, o in zip(full, pad, out_sp))
        x = _channels_first(xp, data.reshape(data.shape[:2] + (1,) * len(in_sp) + in_sp), g)
        w = weight.reshape(g, c // g, -1)                          # (G, C/G, F/G * K)
        cols = _gemm(xp, w, x, trans_a=True)                       # (G, F/G * K, N * P_in)
        cols = cols.reshape((f,) + tuple(self.kernel) + (n,) + tuple(in_sp))
        buf = col2im(xp, cols, (n, f) + buf_sp, self.kernel, self._stride, self._dilate, in_sp)
        self.crop = (slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad, out_sp))
        self.x, self.w, self.buf_sp, self.wshape, self.dshape = x, w, buf_sp, weight.shape, data.shape
        out = xp.ascontiguousarray(buf[self.crop])
        if bias is not None:
            out += bias.reshape((1, f) + (1,) * len(out_sp))
        return out

    def backward(self, xp, grad):
        n, f = grad.shape[:2]
        if n == 0:
            return _empty_batch_grads(xp, self, grad)
        g = self.num_group
        buf = xp.zeros((n, f) + self.buf_sp, dtype=grad.dtype)
        buf[self.crop] = grad
        in_sp = self.dshape[2:]
        cols = _channels_first(xp, windows(xp, buf, self.kernel, self._stride, self._dilate, in_sp), g)
        gx = _batch_first(xp, _gemm(xp, self.w, cols), n, in_sp)  # cols: (G, F/G * K, N * P_in)
        gw = _gemm(xp, self.x, cols, trans_b=True).reshape(self.wshape)
        if self.no_bias:
            return gx, gw
        return gx, gw, _bias_grad(grad, (0,) + tuple(range(2, grad.ndim)))


# ---------------------------------------------------------------------------------------------------
# UpSampling

@register
class UpSampling(Op):
    """Upsample 4-D ``(N, C, H, W)`` inputs by ``scale`` (MXNet ``UpSampling``).

    ``sample_type='nearest'``: any number of inputs (``num_args``); each is repeated to
    ``(H0 * scale, W0 * scale)`` of the first input (its own integer factor), then the results are
    concatenated on channels (``multi_input_mode='concat'``) or summed (``'sum'``).
    ``sample_type='bilinear'``: inputs ``data`` and ``weight`` ``(C, 1, k, k)`` with
    ``k = 2 * scale - scale % 2``, computed as a grouped Deconvolution (stride ``scale``, pad
    ``ceil((scale - 1) / 2)``, ``num_filter = num_group = C``), as MXNet does.
    """

    name = 'UpSampling'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = None
    attrs = {'scale': Attr('int'), 'num_filter': Attr('int', 0),
             'sample_type': Attr('str', choices=['bilinear', 'nearest']),
             'multi_input_mode': Attr('str', 'concat', choices=['concat', 'sum']),
             'num_args': Attr('int', 1), 'workspace': Attr('int', 512)}

    def check_attrs(self):
        if self.scale < 1:
            raise ValueError('UpSampling: scale must be positive, got %d' % self.scale)

    def list_arguments(self):
        if self.sample_type == 'bilinear':
            return ['data', 'weight']
        return ['arg%d' % i for i in range(self.num_args)]

    def infer_shape(self, in_shapes):
        """Bilinear: the weight ``(C, 1, k, k)`` follows from the data's channels (so a graph
        that leaves the weight out, which then becomes the variable ``<name>_weight``, can be
        initialised from the data shape, as in MXNet)."""
        data = in_shapes[0]
        if self.sample_type == 'bilinear' and in_shapes[1] is None and data is not None \
                and len(data) == 4 and data[1]:
            k = 2 * self.scale - self.scale % 2
            in_shapes = [data, (data[1], 1, k, k)]
        return super().infer_shape(in_shapes)

    def _deconv(self, channels):
        k = 2 * self.scale - self.scale % 2
        p = -(-(self.scale - 1) // 2)
        return Deconvolution(kernel=(k, k), stride=(self.scale,) * 2, pad=(p, p), num_filter=channels,
                             num_group=channels, no_bias=True)

    def forward(self, xp, *inputs):
        for x in inputs:
            if x.ndim != 4:
                raise shape_error(self, 'every input must be 4-D (N, C, H, W)', *inputs)
        if self.sample_type == 'bilinear':
            if len(inputs) != 2:
                raise TypeError('UpSampling: bilinear sampling takes data and weight, got %d inputs'
                                % len(inputs))
            self.deconv = self._deconv(inputs[0].shape[1])
            return self.deconv.forward(xp, *inputs)
        if len(inputs) != self.num_args:
            raise TypeError('UpSampling: num_args=%d but %d inputs given' % (self.num_args, len(inputs)))
        oh, ow = inputs[0].shape[2] * self.scale, inputs[0].shape[3] * self.scale
        self.factors, outs = [], []
        self.channels = [x.shape[1] for x in inputs]
        for x in inputs:
            fh, fw = oh // x.shape[2], ow // x.shape[3]
            if fh * x.shape[2] != oh or fw * x.shape[3] != ow or fh != fw:
                raise shape_error(self, 'each input must upsample by an integer factor to (%d, %d)'
                                  % (oh, ow), *inputs)
            self.factors.append(fh)
            outs.append(x.repeat(fh, axis=2).repeat(fh, axis=3))
        if self.multi_input_mode == 'sum':
            if len({o.shape for o in outs}) != 1:
                raise shape_error(self, "multi_input_mode='sum' needs equal channel counts", *inputs)
            return sum(outs[1:], outs[0])
        return xp.concatenate(outs, axis=1) if len(outs) > 1 else outs[0]

    def backward(self, xp, grad):
        if self.sample_type == 'bilinear':
            return self.deconv.backward(xp, grad)
        out, start = [], 0
        n, _, oh, ow = grad.shape
        for f, c in zip(self.factors, self.channels):
            g = grad if self.multi_input_mode == 'sum' else grad[:, start:start + c]
            start += c
            out.append(g.reshape(n, c, oh // f, f, ow // f, f).sum(axis=(3, 5)))
        return tuple(out)


# Pooling moved to ops/pooling.py (it imports this module's window helpers, so it is imported last);
# re-exported so ``from minigluon.ops.conv import Pooling`` keeps working.
from minigluon.ops.pooling import Pooling  # noqa: E402,F401
