"""Convolution as one matrix product per image (im2col into a small reused buffer).

The im2col route writes the whole batch's column matrix ``(C * K, N * P)`` (K kernel positions, P
output positions): 231 MB for a (32, 64, 56, 56) batch and a 3x3 kernel, written and read back
from main memory. The previous stride-1 route (nine shifted GEMMs of inner size C, each summed
into the output) moved even more memory: a (F, N * P) temporary written and added per kernel
position. Here the column matrix is built for *one image* (or a block of its output rows) at a
time, ``(C * K, P)`` (7 MB for the example), reused for every image, and multiplied by the
weight ``(F, C * K)`` in a single GEMM of inner size ``C * K`` that writes the image's output
``(F, P)`` in place: channel-first in, channel-first out, no layout copies.

Building the columns is a copy per kernel position: for position ``k`` the output positions whose
window element ``k`` falls inside the (unpadded) input form a box, and they read a strided box of
the input (:func:`moves`). Window elements in the padding are zeros written once, when the buffer
is made, and never overwritten. The backward pass is the transpose of the same steps::

    dW += dY_n @ cols_n.T              (F, C * K)      one GEMM per image
    dcols = W.T @ dY_n                 (C * K, P)      one GEMM per image
    dX_n[box_k] += dcols[k][box_k]     per kernel position (col2im, the adjoint of the copies)

A pointwise convolution (1x1 kernel, stride 1, no padding) skips the copies: the image itself is
its column matrix and the data gradient's GEMM writes the image's gradient directly.

With Numba installed, the copies and their adjoint of 2-D stride-1 convolutions on NumPy float
arrays are compiled (:mod:`minigluon.ops._conv_numba_kernels`, the same values bit for bit); the
kernel positions come in row-major order from :mod:`minigluon.ops._window_geometry`.

Used by ``Convolution`` (ops/conv.py) on the CPU when the inner size ``C / num_group`` is at least
16 (on a GPU every convolution takes the batch path of ops/conv.py: a loop over images would cost
kernel launches per image; the functions here still take ``xp`` NumPy or CuPy). The maths is the
definition of MXNet 1.9.1's ``Convolution`` (cross-correlation with stride, dilation, zero
padding and groups), nothing more.
"""
import itertools

import numpy as np

from minigluon.ops import _numba, _parallel
from minigluon.ops._window_geometry import kernel_positions
from minigluon.ops._workspace import buffer

BLOCK_BYTES = 16 << 20    # column buffer budget: larger images are processed in blocks of output rows


def moves(in_sp, out_sp, kernel, stride, dilate, pad, rows=None):
    """Per kernel position (row-major, the order of the weight's trailing axes), the pair
    ``(dst, src)`` of slice tuples with ``cols[:, k][dst] = image[:, src]``; ``None`` for a position
    that only ever reads padding.

    ``rows`` ``(r0, r1)`` restricts the first output axis to ``r0 <= o < r1`` (``dst`` is then
    relative to ``r0``). Input index ``i = o * stride + k * dilate - pad`` must satisfy
    ``0 <= i < in_size``.
    """
    per_axis = []
    for axis, (size, n_out, kn, st, dl, pd) in enumerate(zip(in_sp, out_sp, kernel, stride, dilate, pad)):
        r0, r1 = rows if axis == 0 and rows is not None else (0, n_out)
        spans = []
        for k in range(kn):
            off = k * dl - pd
            lo = max(r0, -(off // st))                  # first o with o * st + off >= 0
            hi = min(r1, (size - 1 - off) // st + 1)     # one past the last o with o * st + off < size
            spans.append(None if hi <= lo else
                         (slice(lo - r0, hi - r0), slice(lo * st + off, (hi - 1) * st + off + 1, st)))
        per_axis.append(spans)
    result = []
    for combo in itertools.product(*per_axis):
        if any(s is None for s in combo):
            result.append(None)
        else:
            result.append((tuple(s[0] for s in combo), tuple(s[1] for s in combo)))
    return result


def _blocks(channels, kernel, out_sp, itemsize):
    """Ranges ``(r0, r1)`` of the first output axis whose column block fits in BLOCK_BYTES."""
    per_row = channels * int(np.prod(kernel)) * int(np.prod(out_sp[1:], dtype=np.int64)) * itemsize
    step = max(1, BLOCK_BYTES // max(per_row, 1))
    return [(r, min(r + step, out_sp[0])) for r in range(0, out_sp[0], step)]


class _Columns:
    """The reused column buffer ``(C, K, rows, *out_sp[1:])``, the copies that fill it from one
    image and their adjoint (:meth:`scatter_add`).

    Fast case (stride 1 and the output as large as the input on every axis but the first, e.g. a
    3x3 convolution with pad 1): flattened over its trailing axes, the block of kernel position
    ``k`` is one *contiguous* range of the flattened image, shifted by ``k``'s offset; a single
    long-row copy per kernel position, after which the few entries that wrapped around a row edge
    are set to zero. Otherwise each kernel position copies a strided box (:func:`moves`).
    """

    def __init__(self, xp, data, kernel, stride, dilate, pad, out_sp):
        in_sp = tuple(data.shape[2:])
        self.geometry = (in_sp, tuple(out_sp), kernel, stride, dilate, pad)
        self.c, self.k = data.shape[1], int(np.prod(kernel))
        self.tail = tuple(out_sp[1:])
        self.row = int(np.prod(self.tail, dtype=np.int64))       # elements per first-axis row
        self.shifted = max(stride) == 1 and self.tail == in_sp[1:]
        self.blocks = _blocks(self.c, kernel, out_sp, data.dtype.itemsize)
        rows = self.blocks[0][1] - self.blocks[0][0]
        self.size = self.c * self.k * rows * self.row      # elements of the largest block
        # a 1x1 kernel with stride 1 and no padding: the columns are the image itself
        self.identity = _is_identity(kernel, stride, pad)
        # zeros: entries that read padding stay zero; a block of other geometry re-zeroes it
        self.flat = None if self.identity else xp.zeros(self.size, dtype=data.dtype)
        self.filled_for = None
        self._plans = {}

    def _plan(self, block):
        """Per kernel position: ``None`` (only padding), a window move ``(dst, src)``, or in the fast
        case ``(q0, q1, shift, zero_boxes)``: ``cols_k.flat[q0:q1] = image.flat[q0 + shift:q1 + shift]``
        and then zeros in the boxes of wrapped entries."""
        if block in self._plans:
            return self._plans[block]
        in_sp, _, kernel, _, dilate, pad = self.geometry
        todo = moves(*self.geometry, rows=block)
        plan = todo
        if self.shifted:
            strides = [int(np.prod(in_sp[a + 1:], dtype=np.int64)) for a in range(len(in_sp))]
            total = in_sp[0] * self.row
            plan = []
            for k, mv in zip(kernel_positions(kernel), todo):
                if mv is None:
                    plan.append(None)
                    continue
                dst = mv[0]
                shift = block[0] * self.row + sum((ki * d - p) * st for ki, d, p, st
                                                  in zip(k, dilate, pad, strides))
                q0 = max(dst[0].start * self.row, -shift)
                q1 = min(dst[0].stop * self.row, total - shift)
                boxes = []
                for a in range(1, len(in_sp)):       # entries whose window wrapped around an edge
                    for lo, hi in ((0, dst[a].start), (dst[a].stop, in_sp[a])):
                        if hi > lo:
                            boxes.append((slice(None), dst[0]) + (slice(None),) * (a - 1)
                                         + (slice(lo, hi),))
                plan.append((q0, q1, shift, boxes))
        self._plans[block] = (plan, (block[1] - block[0], _shape_of(todo)))
        return self._plans[block]

    def _compiled(self, target, dcols):
        """The compiled im2col / col2im kernels when they cover this call (2-D, stride 1, NumPy
        float32 or float64 arrays of one dtype in the machine's byte order: Numba cannot type a
        big-endian array on x86), else None (see :mod:`minigluon.ops._numba`)."""
        kernel, stride = self.geometry[2], self.geometry[3]
        if (len(kernel) == 2 and max(stride) == 1 and isinstance(target, np.ndarray)
                and target.dtype == dcols.dtype and target.dtype.char in 'fd'
                and target.dtype.isnative):
            return _numba.kernels('_conv_numba_kernels')
        return None

    def _view(self, buf, block):
        rows = block[1] - block[0]
        return buf[:self.c * self.k * rows * self.row].reshape((self.c, self.k, rows) + self.tail)

    def fill(self, image, block):
        """Gather the window elements of ``image (C, *S)`` for output rows ``block``; returns the
        buffer as ``(C * K, rows * prod(out_sp[1:]))``. 2-D with stride 1 on NumPy float arrays,
        with Numba installed: one compiled pass (:mod:`minigluon.ops._conv_numba_kernels`). A 1x1
        kernel with stride 1 and no padding copies nothing: the image's rows are the columns (a
        view of ``image``, which must then not be written while the columns are in use)."""
        if self.identity:
            return image[:, block[0]:block[1]].reshape(self.c, -1)
        cols = self._view(self.flat, block)
        compiled = self._compiled(image, cols)
        if compiled is not None:
            _, _, kernel, _, dilate, pad = self.geometry
            compiled.im2col_stride1_2d(image, cols, block[0], kernel[0], kernel[1], dilate[0],
                                       dilate[1], pad[0], pad[1])
            self.filled_for = self._plan(block)[1]   # as the NumPy form leaves it
            return cols.reshape(self.c * self.k, -1)
        plan, written = self._plan(block)
        if self.filled_for is not None and self.filled_for != written:
            cols[...] = 0          # another block shape: entries written before may be padding now
        self.filled_for = written
        if self.shifted:
            src = image.reshape(self.c, -1)
            flat = cols.reshape(self.c, self.k, -1)
            for k, step in enumerate(plan):
                if step is not None:
                    q0, q1, shift, boxes = step
                    flat[:, k, q0:q1] = src[:, q0 + shift:q1 + shift]
                    for box in boxes:
                        cols[:, k][box] = 0
        else:
            lead = (slice(None),)
            for k, mv in enumerate(plan):
                if mv is not None:
                    cols[(slice(None), k) + mv[0]] = image[lead + mv[1]]
        return cols.reshape(self.c * self.k, -1)

    def scatter_add(self, target, dbuf, block):
        """``target (C, *S) += `` the adjoint of :meth:`fill` applied to ``dbuf`` (the buffer
        layout, which may be overwritten: the NumPy form sets its wrapped entries to zero first).
        2-D with stride 1 on NumPy float arrays, with Numba installed: one compiled pass, the
        same sums bit for bit (:mod:`minigluon.ops._conv_numba_kernels`)."""
        dcols = self._view(dbuf, block)
        compiled = self._compiled(target, dcols)
        if compiled is not None:
            _, _, kernel, _, dilate, pad = self.geometry
            compiled.col2im_stride1_2d(dcols, target, block[0], kernel[0], kernel[1], dilate[0],
                                       dilate[1], pad[0], pad[1])
            return
        plan, _ = self._plan(block)
        if self.shifted:
            dst = target.reshape(self.c, -1)
            flat = dcols.reshape(self.c, self.k, -1)
            for k, step in enumerate(plan):
                if step is not None:
                    q0, q1, shift, boxes = step
                    for box in boxes:
                        dcols[:, k][box] = 0
                    dst[:, q0 + shift:q1 + shift] += flat[:, k, q0:q1]
        else:
            lead = (slice(None),)
            for k, mv in enumerate(plan):
                if mv is not None:
                    target[lead + mv[1]] += dcols[(slice(None), k) + mv[0]]


def _is_identity(kernel, stride, pad):
    """Whether im2col is the identity: a 1x1 kernel, stride 1, no padding (a pointwise
    convolution, as ResNet's bottleneck 1x1 layers), where dilation changes nothing."""
    return max(kernel) == 1 and max(stride) == 1 and not any(pad)


def _shape_of(todo):
    """A hashable summary of which column entries a list of moves writes."""
    return tuple(None if mv is None else tuple((s.start, s.stop) for s in mv[0]) for mv in todo)


def _columns(xp, ws, data, kernel, stride, dilate, pad, out_sp, worker=0):
    """A :class:`_Columns` for this geometry, kept in the workspace ``ws`` (when given) for the
    next call: its buffer never leaves a call, and each worker thread has its own (``worker``)."""
    key = (tuple(data.shape[1:]), data.dtype.str, tuple(kernel), tuple(stride), tuple(dilate),
           tuple(pad), tuple(out_sp))
    slot = 'columns' if worker == 0 else 'columns%d' % worker
    cached = None if ws is None else ws.get(slot)
    if cached is not None and cached[0] == key:
        return cached[1]
    columns = _Columns(xp, data, kernel, stride, dilate, pad, out_sp)
    if ws is not None:
        ws[slot] = (key, columns)
    return columns


def forward(xp, data, weight, bias, groups, kernel, stride, dilate, pad, out_sp, ws=None):
    """Convolution of ``data (N, C, *S)`` with ``weight (F, C/G, *kernel)`` (and ``bias (F,)`` or
    None): the output ``(N, F, *out_sp)``. ``ws``: a static_alloc workspace dict
    (:mod:`minigluon.ops._workspace`) the output buffer is reused from, or None. Images are
    independent: with CPU worker threads they are shared out in chunks
    (:func:`minigluon.ops._parallel.image_chunks`)."""
    n, f = data.shape[0], weight.shape[0]
    dtype = xp.result_type(data.dtype, weight.dtype)
    out = buffer(xp, ws, 'out', (n, f) + tuple(out_sp), dtype)
    wm = weight.reshape(groups, f // groups, -1)                  # (G, F/G, C/G * K)
    chunks = _parallel.image_chunks(n)

    def work(worker, which):
        columns = _columns(xp, ws, data, kernel, stride, dilate, pad, out_sp, worker)
        for j in which:
            for i in range(*chunks[j]):
                image_forward(xp, columns, data[i], wm, out[i])
                if bias is not None:
                    out[i] += bias.reshape((f,) + (1,) * len(out_sp))
    _parallel.share(xp, chunks, work)
    return out


def backward(xp, grad, data, weight, groups, kernel, stride, dilate, pad, need_x=True, need_w=True,
             ws=None):
    """Gradients ``(d data, d weight)`` of :func:`forward` for ``grad (N, F, *out_sp)``; None for
    one that is not needed (``need_x``, ``need_w`` False). ``ws`` as in :func:`forward`. The
    weight gradient is summed per chunk of images, then over the chunks in order, whatever the
    number of worker threads (:func:`minigluon.ops._parallel.image_chunks`)."""
    grad = xp.ascontiguousarray(grad)
    n, f = grad.shape[:2]
    c = data.shape[1]
    cg, fg = c // groups, f // groups
    wm = weight.reshape(groups, fg, -1)
    chunks = _parallel.image_chunks(n)
    k = int(np.prod(kernel))
    ck = cg * k
    # per chunk, transposed: cols @ dY.T is the faster GEMM; a product per image and column
    # block is added, so float16 ones are summed in float32 (the rounding grows with the batch)
    acc = np.float32 if grad.dtype == np.float16 else grad.dtype
    gw_parts = xp.zeros((max(len(chunks), 1), groups, ck, fg), dtype=acc) if need_w else None
    # a 1x1 pointwise convolution writes each image's gradient whole (no col2im adds): no zeros
    identity = _is_identity(kernel, stride, pad)
    gx = buffer(xp, ws, 'gx', data.shape, grad.dtype, zero=not identity) if need_x else None

    def work(worker, which):
        columns = _columns(xp, ws, data, kernel, stride, dilate, pad, tuple(grad.shape[2:]), worker)
        part = xp.empty((ck, fg), dtype=grad.dtype)
        dflat = data_grad_scratch(xp, ws, columns, grad.dtype, worker) if need_x else None
        for j in which:
            for i in range(*chunks[j]):
                image_backward(xp, columns, data[i], grad[i], wm,
                               gw_parts[j] if need_w else None, part,
                               gx[i] if need_x else None, dflat)
    _parallel.share(xp, chunks, work)
    gw = weight_gradient(xp, gw_parts, grad.dtype, weight.shape) if need_w else None
    return gx, gw


def weight_gradient(xp, parts, dtype, shape):
    """The weight gradient ``shape`` ``(F, C/G, *kernel)`` in ``dtype`` from its per-chunk
    partial sums ``parts`` ``(chunks, G, C/G * K, F/G)`` (transposed, as the per-image GEMMs make
    them): added in chunk order (:func:`minigluon.ops._parallel.sum_in_order`, the same value
    whatever the number of worker threads), then transposed back. Shared by :func:`backward`,
    the batch path of ops/conv.py and the fused step of ops/_conv_pool_relu.py."""
    return xp.ascontiguousarray(_parallel.sum_in_order(parts).transpose(0, 2, 1),
                                dtype=dtype).reshape(shape)


def data_grad_scratch(xp, ws, columns, dtype, worker=0):
    """The scratch :func:`image_backward` makes an image's column gradients in before their
    col2im (``columns.size`` elements of ``dtype``, worker ``worker``'s own, reused from the
    workspace ``ws`` when given); None for a pointwise convolution, which needs none."""
    if columns.identity:
        return None
    return buffer(xp, ws, 'dflat' if worker == 0 else 'dflat%d' % worker, (columns.size,), dtype)


def image_forward(xp, columns, image, wm, out):
    """One image's convolution, written into ``out (F, *out_sp)``: per column block of
    ``columns`` (:func:`_columns`), the im2col copy of ``image (C, *S)`` and one GEMM per group
    with ``wm (G, F/G, C/G * K)``. No bias. (:func:`forward` per image; the fused step of
    :mod:`minigluon.ops._conv_pool_relu` into a scratch.)"""
    groups, fg = wm.shape[:2]
    ck = wm.shape[2]
    for block in columns.blocks:
        cols = columns.fill(image, block)
        dst = out[:, block[0]:block[1]].reshape(groups * fg, -1)    # a view: one block's rows
        for g in range(groups):
            _matmul(xp, wm[g], cols[g * ck:(g + 1) * ck], dst[g * fg:(g + 1) * fg])


def image_backward(xp, columns, image, gy_image, wm, gw_part, part, gx_image, dflat):
    """One image's share of :func:`backward`, from its output gradient ``gy_image (F,
    *out_sp)``: ``gw_part (G, C/G * K, F/G) +=`` its weight-gradient products (transposed; None:
    not needed), made in ``part (C/G * K, F/G)``; ``gx_image (C, *S)`` (None: not needed)
    receives its data gradient, through the scratch ``dflat`` (:func:`data_grad_scratch`; None
    for a pointwise convolution, whose gradient rows are written directly)."""
    groups, fg = wm.shape[:2]
    ck = wm.shape[2]
    c = columns.c
    for block in columns.blocks:
        gy = gy_image[:, block[0]:block[1]].reshape(groups * fg, -1)
        cols = columns.fill(image, block) if gw_part is not None else None
        dcols = None
        if gx_image is not None:      # (pointwise: the image's gradient rows themselves)
            dcols = (gx_image[:, block[0]:block[1]].reshape(c, -1) if columns.identity
                     else dflat[:c * columns.k * gy.shape[1]].reshape(c * columns.k, -1))
        for g in range(groups):
            fs, cs = slice(g * fg, (g + 1) * fg), slice(g * ck, (g + 1) * ck)
            if gw_part is not None:
                _matmul(xp, cols[cs], gy[fs].T, part)
                gw_part[g] += part
            if gx_image is not None:
                _matmul(xp, wm[g].T, gy[fs], dcols[cs])
        if gx_image is not None and not columns.identity:
            columns.scatter_add(gx_image, dflat, block)


def _matmul(xp, a, b, out):
    """``out[...] = a @ b`` for 2-D operands, written in place (one BLAS call on NumPy when ``out``
    is contiguous, which it is unless an image is split into blocks of rows)."""
    xp.matmul(a, b, out=out)
