"""Deformable convolution: ``_contrib_DeformableConvolution`` (v1, Dai et al., "Deformable
Convolutional Networks", ICCV 2017) and ``_contrib_ModulatedDeformableConvolution`` (v2, Zhu et
al., "Deformable ConvNets v2", CVPR 2019).

Names, inputs, attributes and results follow MXNet 1.9.1's CPU operators
(``src/operator/contrib/deformable_convolution*``, ``modulated_deformable_convolution*``), measured
against it (``tools/gen_deformable_fixtures.py``); both are ``nd.contrib.<name>`` and
``sym.contrib.<name>``, and :mod:`minigluon.contrib.cnn` wraps them as Gluon blocks.

A deformable convolution is a convolution whose kernel taps are moved: tap ``k = (i, j)`` of the
output pixel ``(y, x)`` reads the input at

    ``(y * stride_h - pad_h + i * dilate_h + dy,  x * stride_w - pad_w + j * dilate_w + dx)``

by bilinear interpolation, where ``(dy, dx)`` is read from ``offset`` ``(N, 2 * DG * K, Ho, Wo)``
(``K = kh * kw``; for deformable group ``g`` and tap ``k``, channel ``g * 2K + 2k`` holds ``dy``
and the next one ``dx``). The input channels are split into ``num_deformable_group`` (DG) groups
that each have their own offsets. v2 also multiplies every sampled value by ``mask``
``(N, DG * K, Ho, Wo)`` (channel ``g * K + k``). The sampled values form the im2col matrix of an
ordinary (grouped) convolution, which one GEMM per group turns into the output.

How it is computed: the sampled values form the im2col matrix ``(C * K, N * Ho * Wo)`` (row
``c * K + k``, column ``n * L + l``, ``L = Ho * Wo``), built image range by image range (on NumPy
the chunks of :func:`minigluon.ops._parallel.image_chunks`, which CPU workers may share; one range
on CuPy), each range followed by its block of the GEMM ``W @ cols`` (one per group). The backward
does, per range, the weight gradient's part ``gout @ cols.T``, the column gradient ``W.T @ gout``
and its adjoint: the data gradient (each column entry added into its four corners) and the offset
and mask gradients (summed over the channels of each deformable group). The columns and that
adjoint come from a *sampler*:

* :class:`_CompiledSampler`: Numba kernels (:mod:`minigluon.ops._deformable_numba_kernels`) for
  NumPy float32/float64 arrays when Numba is installed: per tap a table of the corners of every
  output pixel, then one pass per channel over it;
* :class:`_ArraySampler`: whole-array operations (NumPy without Numba, and CuPy): the corners of
  all points at once, gathered for all channels with ``take_along_axis``, the data gradient
  scattered with one ``bincount`` (NumPy) or ``scatter_add`` (CuPy).

(16, 64, 32, 32) input, 64 filters, 3x3, forward + backward: about 2.5x a plain Convolution's
with the kernels, 8-9x with the array form (the whole-batch array form this replaced: 14x for v1,
23x for v2; ``bench/bench_deformable.py``).

The two versions read points near the border differently, as in MXNet:

* v1 (``DeformableConvolution``): a point reads 0 unless ``0 <= y < H`` and ``0 <= x < W``; a
  point in the last row (column), ``y >= H - 1``, reads that row without interpolating towards
  the row below (the derivative along y is 0 there);
* v2 (``ModulatedDeformableConvolution``): a point reads 0 unless ``-1 < y < H`` and
  ``-1 < x < W``; its corners outside the image read 0 (a point half a pixel outside reads half
  the border pixel).
"""
import numpy as np

from minigluon.backend import scatter_add
from minigluon.base import MXNetError
from minigluon.ops import _numba, _parallel
from minigluon.ops._workspace import buffer, workspace_of
from minigluon.ops.conv import Convolution, _ConvBase
from minigluon.ops.registry import Attr, ShapeConflictError, check_given_shapes, compute_dtype, \
    register, require_float, shape_error


def _scatter_sum(xp, index, values, size):
    """``out[index] += values`` (repeats accumulate) into zeros of ``size``: ``bincount`` on NumPy
    (much faster than ``np.add.at``), :func:`minigluon.backend.scatter_add` on CuPy."""
    if xp is np:
        return np.bincount(index, weights=values, minlength=size).astype(values.dtype, copy=False)
    out = xp.zeros(size, dtype=values.dtype)       # pragma: no cover - GPU only
    scatter_add(xp, out, index, values)             # pragma: no cover - GPU only
    return out                                      # pragma: no cover - GPU only


class _Sampling:
    """The bilinear corners of every sampling point of one call.

    Points are laid out ``(DG, K, N, L)`` (deformable group, kernel tap, image, output pixel,
    ``L = Ho * Wo``). For each of the four corners (``(low, low)``, ``(low, high)``,
    ``(high, low)``, ``(high, high)`` in (y, x)): ``index`` ``(4, DG, 1, K * N * L)``, the flat
    position ``n * H * W + y * W + x`` in the image batch (any valid position where the weight
    is 0); ``weight`` ``(4, DG, 1, K * N * L)``, its bilinear weight (0 for a corner or point
    that reads 0); ``d_y`` and ``d_x``, the derivatives of the weight with respect to the
    point's y and x.
    """

    def __init__(self, xp, py, px, h, w, clamp_last):
        dt = py.dtype.type
        if clamp_last:      # v1: 0 <= y < H; the last row reads itself
            inside = (py >= 0) & (px >= 0) & (py < h) & (px < w)
        else:               # v2: -1 < y < H; corners outside read 0
            inside = (py > -1) & (px > -1) & (py < h) & (px < w)
        y0, x0 = xp.floor(py), xp.floor(px)
        ly, lx = py - y0, px - x0
        y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
        if clamp_last:
            last_y, last_x = y0 >= h - 1, x0 >= w - 1
            y0, x0 = xp.where(last_y, h - 1, y0), xp.where(last_x, w - 1, x0)
            ly, lx = xp.where(last_y, dt(0), ly), xp.where(last_x, dt(0), lx)
            y1, x1 = xp.where(last_y, y0, y0 + 1), xp.where(last_x, x0, x0 + 1)
        else:
            y1, x1 = y0 + 1, x0 + 1
        hy, hx = 1 - ly, 1 - lx
        zero = xp.zeros_like(ly)
        rows = ((y0, hy, -1), (y1, ly, 1))     # (row, its weight, d weight / d y)
        cols = ((x0, hx, -1), (x1, lx, 1))
        n_img = py.shape[2]
        base = (xp.arange(n_img) * (h * w)).reshape(1, 1, n_img, 1)
        index, weight, d_y, d_x = [], [], [], []
        for yy, wy, sy in rows:
            for xx, wx, sx in cols:
                ok = inside & (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                index.append(base + xp.clip(yy, 0, h - 1) * w + xp.clip(xx, 0, w - 1))
                weight.append(xp.where(ok, wy * wx, zero))
                d_y.append(xp.where(ok, sy * wx, zero))
                d_x.append(xp.where(ok, sx * wy, zero))
        flat = (4, py.shape[0], 1, -1)
        self.index = xp.stack(index).reshape(flat)
        self.weight = xp.stack(weight).reshape(flat)
        self.d_y = xp.stack(d_y).reshape(flat)
        self.d_x = xp.stack(d_x).reshape(flat)

    def gather(self, xp, image):
        """The four corners' values ``(4, DG, C / DG, K * N * L)`` of ``image``
        ``(DG, C / DG, N * H * W)``."""
        return xp.stack([xp.take_along_axis(image, self.index[c], axis=2) for c in range(4)])


class _DeformableBase(_ConvBase):
    """What DeformableConvolution and ModulatedDeformableConvolution share: attributes, shape
    rules, the sampling, the GEMMs and their adjoints."""

    modulated = False
    uses_workspace = True    # static_alloc graphs lend a dict of reused buffers (ops/_workspace.py)

    def check_attrs(self):
        super().check_attrs()
        if len(self.kernel) != 2:
            raise ValueError('%s: only 2-D kernels (kh, kw) are supported (as MXNet 1.9.1), got '
                             'kernel=%s' % (self.name, tuple(self.kernel)))
        if self.layout not in (None, 'NCHW'):
            raise ValueError("%s: layout must be 'NCHW' (as MXNet 1.9.1), got %r"
                             % (self.name, self.layout))
        if self.num_deformable_group < 1:
            raise ValueError('%s: num_deformable_group must be positive, got %d'
                             % (self.name, self.num_deformable_group))

    def list_arguments(self):
        args = ['data', 'offset'] + (['mask'] if self.modulated else []) + ['weight']
        return args if self.no_bias else args + ['bias']

    # the weight's shape and the output's spatial size are Convolution's
    _weight_shape = Convolution._weight_shape
    _in_channels = Convolution._in_channels
    _out_spatial = Convolution._out_spatial

    def _taps(self):
        return int(self.kernel[0] * self.kernel[1])

    def _side_shapes(self, n, out_sp):
        """The shapes ``offset`` (and ``mask``) must have for ``n`` images and output ``out_sp``."""
        dg, k = self.num_deformable_group, self._taps()
        shapes = [(n, 2 * dg * k) + tuple(out_sp)]
        return shapes + [(n, dg * k) + tuple(out_sp)] if self.modulated else shapes

    # -- shapes -------------------------------------------------------------------------------------
    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or len(data) != 4 or 0 in data:
            if data is not None and len(data) != 4:
                raise ShapeConflictError('%s: %s' % (self.name, self._rank_message(data)))
            raise MXNetError('%s: the shape of data (N, C, H, W) is needed to infer the shapes '
                             'of offset, weight and bias (kernel %s)' % (self.name, tuple(self.kernel)))
        out_sp = tuple(self._out_spatial(data[2:]))
        want = [tuple(data)] + self._side_shapes(data[0], out_sp) + [self._weight_shape(data[1])]
        want += [] if self.no_bias else [(self.num_filter,)]
        check_given_shapes(self, in_shapes, want)
        return want, [(data[0], self.num_filter) + out_sp]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t] * len(in_types), [t]

    def _check_all(self, data, offset, mask, weight, bias):
        """Check dtypes and shapes; return the output's spatial size."""
        arrays = [data, offset] + ([mask] if self.modulated else []) + [weight, bias]
        for name, a in zip(self.list_arguments(), arrays):
            require_float(self, a, name)
        if data.ndim != 4:
            raise shape_error(self, self._rank_message(data.shape), *arrays)
        c, f = data.shape[1], self.num_filter
        if weight.ndim != 4:      # (_channel_message reads the weight's channel axes)
            raise shape_error(self, 'weight must have shape %s' % (self._weight_shape(c),), *arrays)
        if c % self.num_group or weight.shape != self._weight_shape(c):
            raise shape_error(self, self._channel_message(c, weight) or 'weight must have shape %s'
                              % (self._weight_shape(c),), *arrays)
        if bias is not None and bias.shape != (f,):
            raise shape_error(self, 'bias must have shape (%d,)' % f, *arrays)
        if c % self.num_deformable_group:
            raise shape_error(self, 'the %d data channels must be a multiple of '
                              'num_deformable_group=%d' % (c, self.num_deformable_group), *arrays)
        out_sp = self._out_spatial(data.shape[2:])
        if min(out_sp) < 1:
            raise shape_error(self, 'the padded input is smaller than the dilated kernel %s'
                              % (tuple(self.kernel),), *arrays)
        names = ['offset', 'mask']
        for name, a, want in zip(names, arrays[1:], self._side_shapes(data.shape[0], out_sp)):
            if tuple(a.shape) != want:
                raise shape_error(self, '%s must have shape %s: (batch, %s, out_height, '
                                  'out_width) for this kernel and num_deformable_group'
                                  % (name, want, '2 * num_deformable_group * kh * kw'
                                     if name == 'offset' else 'num_deformable_group * kh * kw'),
                                  *arrays)
        return out_sp

    # -- maths --------------------------------------------------------------------------------------
    def _grids(self, xp, out_sp, dtype):
        """The undeformed tap positions, ``grid_y (K, Ho)`` and ``grid_x (K, Wo)`` in ``dtype``:
        tap ``k = (i, j)`` of output row ``oy`` reads row ``oy * stride_h - pad_h + i * dilate_h``
        before its offset is added (columns alike)."""
        (kh, kw), (ho, wo) = self.kernel, out_sp
        (sh, sw), (ph, pw), (dh, dw) = self._stride, self._pad, self._dilate
        tap_i = xp.repeat(xp.arange(kh), kw)[:, None]          # (K, 1): the tap's row in the kernel
        tap_j = xp.tile(xp.arange(kw), kh)[:, None]
        grid_y = xp.arange(ho)[None, :] * sh - ph + tap_i * dh
        grid_x = xp.arange(wo)[None, :] * sw - pw + tap_j * dw
        return grid_y.astype(dtype), grid_x.astype(dtype)

    def _sampler(self, xp, data_shape, out_sp, dtype):
        """What builds the columns and their adjoint for this call: the compiled kernels
        (:class:`_CompiledSampler`) for NumPy float32/float64 arrays (planes under 2**31 pixels:
        the kernels' positions are int32) when Numba is installed, else the array form
        (:class:`_ArraySampler`, also CuPy's)."""
        grid_y, grid_x = self._grids(xp, out_sp, dtype)
        clamp_last = not self.modulated
        plane = (data_shape[2] + 2) * (data_shape[3] + 2)        # the kernels pad by 1
        if xp is np and dtype.char in 'fd' and dtype.isnative and plane < 2 ** 31:
            kernels = _numba.kernels('_deformable_numba_kernels')
            if kernels is not None:
                return _CompiledSampler(kernels, grid_y, grid_x, clamp_last)
        return _ArraySampler(xp, grid_y, grid_x, clamp_last)

    @staticmethod
    def _chunks(xp, n):
        """Image ranges worked on one at a time (CPU workers may share them): those of
        :func:`minigluon.ops._parallel.image_chunks` on NumPy, one range on CuPy."""
        return _parallel.image_chunks(n) if xp is np else [(0, n)]

    def forward(self, xp, data, offset, *rest):
        rest = list(rest)                      # ([mask,] weight[, bias]) as list_arguments
        mask = rest.pop(0) if self.modulated else None
        weight = rest.pop(0)
        bias = rest.pop(0) if rest else None
        out_sp = self._check_all(data, offset, mask, weight, bias)
        n, c = data.shape[:2]
        g, f, k = self.num_group, self.num_filter, self._taps()
        work = compute_dtype(np.result_type(data.dtype, offset.dtype, weight.dtype))
        l_out = int(out_sp[0] * out_sp[1])
        image, off = (xp.ascontiguousarray(a, dtype=work) for a in (data, offset))
        m = xp.ascontiguousarray(mask, dtype=work) if self.modulated else None
        sampler = self._sampler(xp, data.shape, out_sp, work)
        wmat = weight.astype(work, copy=False).reshape(g, f // g, -1)   # (G, F/G, C/G * K)
        cols = buffer(xp, workspace_of(self), 'cols', (g, (c // g) * k, n * l_out), work)
        by_image = cols.reshape(c, k, n, l_out)       # the same memory, one image range a slice
        out = xp.empty((g, f // g, n * l_out), dtype=work)
        chunks = self._chunks(xp, n)

        def fill(worker, which):
            """The columns of each image range, then its block of the GEMM output."""
            for j in which:
                lo, hi = chunks[j]
                sampler.columns(image[lo:hi], off[lo:hi], None if m is None else m[lo:hi],
                                by_image[:, :, lo:hi])
                for gi in range(g):
                    xp.matmul(wmat[gi], cols[gi][:, lo * l_out:hi * l_out],
                              out=out[gi][:, lo * l_out:hi * l_out])
        _parallel.share(xp, chunks, fill)
        out = xp.ascontiguousarray(out.reshape(f, n, l_out).transpose(1, 0, 2))
        if bias is not None:
            out += bias.astype(work, copy=False)[None, :, None]
        self._saved = (image, off, m, cols, wmat, sampler, out_sp)
        self._dtypes = [a.dtype for a in (data, offset, mask, weight, bias) if a is not None]
        return out.reshape((n, f) + tuple(out_sp)).astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        image, off, m, cols, wmat, sampler, out_sp = self._saved
        n, c = image.shape[:2]
        g, k = self.num_group, self._taps()
        l_out = int(out_sp[0] * out_sp[1])
        gout = grad.astype(wmat.dtype, copy=False).reshape(n, -1, l_out).transpose(1, 0, 2)
        gout = xp.ascontiguousarray(gout).reshape(g, -1, n * l_out)     # (G, F/G, N * L)
        chunks = self._chunks(xp, n)
        g_data = xp.zeros(image.shape, dtype=image.dtype)
        g_off = xp.empty(off.shape, dtype=off.dtype)
        g_mask = None if m is None else xp.empty(m.shape, dtype=m.dtype)
        parts = xp.empty((len(chunks),) + wmat.shape[:2] + (cols.shape[1],), dtype=cols.dtype)
        most = max(hi - lo for lo, hi in chunks)
        ws = workspace_of(self)

        def scatter(worker, which):
            """Per image range: its part of the weight gradient, its column gradient
            ``W.T @ gout`` (in one buffer per worker, reused for its ranges), and that scattered
            back by the sampler."""
            flat = buffer(xp, ws, 'gcols%d' % worker, (cols.shape[1] * g * most * l_out,),
                          cols.dtype)
            for j in which:
                lo, hi = chunks[j]
                cs = slice(lo * l_out, hi * l_out)
                for gi in range(g):
                    xp.matmul(gout[gi][:, cs], cols[gi][:, cs].T, out=parts[j, gi])
                gcols = flat[:cols.shape[1] * g * (hi - lo) * l_out].reshape(g, -1, (hi - lo) * l_out)
                for gi in range(g):
                    xp.matmul(wmat[gi].T, gout[gi][:, cs], out=gcols[gi])
                sampler.grads(image[lo:hi], off[lo:hi], None if m is None else m[lo:hi],
                              gcols.reshape(c, k, hi - lo, l_out), g_data[lo:hi], g_off[lo:hi],
                              None if m is None else g_mask[lo:hi])
        _parallel.share(xp, chunks, scatter)
        grads = [g_data, g_off] + ([] if m is None else [g_mask])
        grads.append(_parallel.sum_in_order(parts).reshape((self.num_filter, c // g)
                                                           + tuple(self.kernel)))
        if not self.no_bias:
            grads.append(gout.sum(axis=2).reshape(-1))
        return tuple(x.astype(t, copy=False) for x, t in zip(grads, self._dtypes))


class _CompiledSampler:
    """The deformable columns and their adjoint by the Numba kernels
    (:mod:`minigluon.ops._deformable_numba_kernels`), on one range of images at a time. The
    kernels read images padded with a border of zeros (a corner outside the image reads it), and
    add the data gradient into a padded buffer, cropped here."""

    def __init__(self, kernels, grid_y, grid_x, clamp_last):
        self.kernels, self.grid_y, self.grid_x = kernels, grid_y, grid_x
        self.clamp_last = clamp_last

    @staticmethod
    def _padded(data):
        """``data (n, C, H, W)`` with one row and column of zeros on each side."""
        n, c, h, w = data.shape
        padded = np.zeros((n, c, h + 2, w + 2), dtype=data.dtype)
        padded[:, :, 1:-1, 1:-1] = data
        return padded

    def _mask(self, mask, like):
        """The kernels take a 4-D array of the work dtype even without a mask (then unread)."""
        return (mask, True) if mask is not None else (np.empty((0,) * 4, like.dtype), False)

    def columns(self, data, offset, mask, cols):
        """``cols (C, K, n, L)`` = the sampled (and masked) values of images ``data (n, C, H, W)``."""
        mask, modulated = self._mask(mask, data)
        self.kernels.deformable_im2col(self._padded(data), offset, mask, modulated, self.grid_y,
                                       self.grid_x, self.clamp_last, cols)

    def grads(self, data, offset, mask, gcols, g_data, g_off, g_mask):
        """Given ``gcols (C, K, n, L)``: adds the data gradient into ``g_data``, writes the offset
        gradient into ``g_off`` and the mask gradient into ``g_mask`` (modulated)."""
        mask, modulated = self._mask(mask, data)
        g_mask = g_mask if modulated else mask
        padded = self._padded(data)
        g_padded = np.zeros_like(padded)
        self.kernels.deformable_col2im(padded, offset, mask, modulated, self.grid_y, self.grid_x,
                                       self.clamp_last, gcols, g_padded, g_off, g_mask)
        g_data += g_padded[:, :, 1:-1, 1:-1]


class _ArraySampler:
    """The same as :class:`_CompiledSampler` with whole-array operations (NumPy or CuPy): every
    sampling point's corners at once (:class:`_Sampling`), each corner gathered for all channels
    with ``take_along_axis``, the data gradient scattered with one ``bincount``
    (:func:`_scatter_sum`)."""

    def __init__(self, xp, grid_y, grid_x, clamp_last):
        self.xp, self.clamp_last = xp, clamp_last
        k, ho, wo = grid_y.shape[0], grid_y.shape[1], grid_x.shape[1]
        # (K, L): the undeformed position of every tap of every output pixel
        self.base_y = xp.broadcast_to(grid_y[:, :, None], (k, ho, wo)).reshape(k, ho * wo)
        self.base_x = xp.broadcast_to(grid_x[:, None, :], (k, ho, wo)).reshape(k, ho * wo)

    def _sampling(self, data, offset):
        """The sampling points of images ``data``, laid out ``(DG, K, n, L)``, and the images as
        ``(DG, C/DG, n * H * W)`` (what :meth:`_Sampling.gather` reads)."""
        n, c, h, w = data.shape
        k, l_out = self.base_y.shape
        dg = offset.shape[1] // (2 * k)
        off = offset.reshape(n, dg, k, 2, l_out).transpose(3, 1, 2, 0, 4)   # (2, DG, K, n, L)
        py = self.base_y[None, :, None, :] + off[0]
        px = self.base_x[None, :, None, :] + off[1]
        image = data.transpose(1, 0, 2, 3).reshape(dg, c // dg, n * h * w)
        return _Sampling(self.xp, py, px, h, w, self.clamp_last), image

    @staticmethod
    def _mask_rows(mask, dg, k):
        """``mask (n, DG * K, Ho, Wo)`` as ``(DG, 1, K * n * L)``, the columns' order."""
        n = mask.shape[0]
        return mask.reshape(n, dg, 1, k, -1).transpose(1, 2, 3, 0, 4).reshape(dg, 1, -1)

    def columns(self, data, offset, mask, cols):
        samp, image = self._sampling(data, offset)
        vals = (samp.gather(self.xp, image) * samp.weight).sum(axis=0)  # (DG, C/DG, K * n * L)
        if mask is not None:
            vals = vals * self._mask_rows(mask, image.shape[0], self.base_y.shape[0])
        cols[...] = vals.reshape(cols.shape)

    def grads(self, data, offset, mask, gcols, g_data, g_off, g_mask):
        xp = self.xp
        n, c, h, w = data.shape
        k, l_out = self.base_y.shape
        samp, image = self._sampling(data, offset)
        dg = image.shape[0]
        gcols = gcols.reshape(dg, c // dg, k * n * l_out)
        corners = samp.gather(xp, image)                                 # (4, DG, C/DG, KnL)
        gvals = gcols                                                    # d loss / d vals
        if mask is not None:
            gvals = gcols * self._mask_rows(mask, dg, k)
            vals = (corners * samp.weight).sum(axis=0)
            g_mask[...] = (gcols * vals).sum(axis=1).reshape(dg, k, n, l_out).transpose(2, 0, 1, 3) \
                .reshape(g_mask.shape)
        plane = (xp.arange(c).reshape(dg, c // dg, 1) * (n * h * w))    # (DG, C/DG, 1)
        index = (plane[None] + samp.index).reshape(-1)
        flat = _scatter_sum(xp, index, (gvals[None] * samp.weight).reshape(-1), c * n * h * w)
        g_data += flat.reshape(c, n, h, w).transpose(1, 0, 2, 3)
        d_y = (gvals * (corners * samp.d_y).sum(axis=0)).sum(axis=1)     # (DG, KnL)
        d_x = (gvals * (corners * samp.d_x).sum(axis=0)).sum(axis=1)
        g_off[...] = xp.stack([d_y, d_x]).reshape(2, dg, k, n, l_out).transpose(3, 1, 2, 0, 4) \
            .reshape(g_off.shape)


def _attrs(modulated):
    extra = {'im2col_step': Attr('int', 64)} if modulated else {}
    return {'kernel': Attr('shape', minimum=1), 'stride': Attr('shape', (), minimum=1),
            'dilate': Attr('shape', (), minimum=1), 'pad': Attr('shape', (), minimum=0),
            'num_filter': Attr('int'), 'num_group': Attr('int', 1),
            'num_deformable_group': Attr('int', 1), 'workspace': Attr('int', 1024),
            'no_bias': Attr('bool', False), **extra,
            'layout': Attr('str', None, choices=['NCW', 'NCHW', 'NCDHW'])}


@register
class DeformableConvolution(_DeformableBase):
    """2-D deformable convolution v1 (MXNet 1.9.1 ``contrib.DeformableConvolution``).

    Inputs: ``data`` ``(N, C, H, W)``; ``offset`` ``(N, 2 * DG * kh * kw, Ho, Wo)`` (for
    deformable group ``g`` and tap ``k = i * kw + j``, channel ``2 * (g * kh * kw + k)`` moves the
    tap down, the next one right, in pixels); ``weight`` ``(num_filter, C / num_group, kh, kw)``;
    ``bias`` ``(num_filter,)`` unless ``no_bias``. ``Ho, Wo`` are Convolution's:
    ``(H + 2 * pad - dilate * (kernel - 1) - 1) // stride + 1``. ``C`` must be a multiple of
    ``num_group`` and of ``num_deformable_group`` (DG). Output ``(N, num_filter, Ho, Wo)`` in
    ``data``'s dtype (float16 computed in float32). With zero offsets it equals ``Convolution``.

    A tap's point reads 0 unless it lies in ``[0, H) x [0, W)``; in the last row or column it
    reads that row or column without interpolating further (see the module docstring).
    Gradients for every input; the offset gradient is the derivative of that reading, so it is
    0 along an axis where the point is in the last row or column. ``workspace`` is accepted and
    ignored. Raises ValueError naming the input whose shape is wrong.
    """

    name = '_contrib_DeformableConvolution'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'offset', 'weight', 'bias')
    attrs = _attrs(False)


@register
class ModulatedDeformableConvolution(_DeformableBase):
    """2-D modulated deformable convolution, DCN v2 (MXNet 1.9.1
    ``contrib.ModulatedDeformableConvolution``).

    As :class:`DeformableConvolution`, plus ``mask`` ``(N, DG * kh * kw, Ho, Wo)``, after
    ``offset``: the value sampled for tap ``k`` of deformable group ``g`` is multiplied by mask
    channel ``g * kh * kw + k``. A point reads 0 unless it lies in ``(-1, H) x (-1, W)``; its
    corners outside the image read 0 (see the module docstring). Gradients for every input.
    ``im2col_step`` (how many images MXNet unfolds at once) and ``workspace`` are accepted and
    ignored: they change memory use, not results (MXNet 1.9.1 refuses a batch larger than
    ``im2col_step`` and not a multiple of it; here any batch works).

    MXNet 1.9.1 has no CPU backward for this operator (it raises 'only implemented in GPU');
    here every input has its gradient (checked against numerical differentiation). MXNet 1.9.1
    also refuses a ``num_filter`` that is not a multiple of ``num_deformable_group`` (nothing in
    the computation needs it; here any works) and, as for v1, float16 on CPU ('FP16 gemm on cpu
    not implemented'; here computed in float32).
    """

    name = '_contrib_ModulatedDeformableConvolution'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'offset', 'mask', 'weight', 'bias')
    attrs = _attrs(True)
    modulated = True
