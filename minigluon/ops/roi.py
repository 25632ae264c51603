"""Region-of-interest pooling for two-stage detectors: ``ROIPooling`` and ``_contrib_ROIAlign``.

Names, inputs, attributes and results follow MXNet 1.9.1's CPU operators
(``src/operator/roi_pooling.cc``, ``src/operator/contrib/roi_align.cc``), measured against it
(``tools/gen_detection_fixtures.py``); ROIPooling is ``nd.ROIPooling`` and ROIAlign
``nd.contrib.ROIAlign``, as the R-CNN chapter of "Dive into Deep Learning" (MXNet edition) calls
them. Both have gradients with respect to ``data`` (none with respect to ``rois``, as in MXNet).

``rois`` is ``(R, 5)``: rows ``(batch_index, x1, y1, x2, y2)`` in image coordinates, which
``spatial_scale`` (in ``[0, 1]``, read as a float32 as MXNet's, also for float64 regions) maps
onto the feature map. A row with a negative batch index is padding: its
output and gradient are 0 (MXNet 1.9.1 reads outside its arrays for such a row, and its ROIAlign
then spoils another region's output). A batch index past the batch raises ValueError (MXNet
reads outside the array).
"""
import numpy as np

from minigluon import backend
from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _check_spatial_scale(op):
    """``spatial_scale`` in ``[0, 1]``, MXNet 1.9.1's bound for every ROI operator (0 maps every
    region onto the map's first pixel, as in MXNet)."""
    if not 0 <= op.spatial_scale <= 1:
        raise ValueError('%s: spatial_scale must be in [0, 1] (MXNet 1.9.1 bounds it so), got %s'
                         % (op.name, op.spatial_scale))


def _check_pooled(op):
    if len(op.pooled_size) != 2 or min(op.pooled_size) < 1:
        raise ValueError('%s: pooled_size must be two positive integers (height, width), got %s'
                         % (op.name, tuple(op.pooled_size)))
    _check_spatial_scale(op)


def _check_inputs(op, data, rois, row='(batch_index, x1, y1, x2, y2)'):
    """Check float ``data`` ``(N, C, H, W)`` and float ``rois`` ``(R, len(row))`` (its rows
    described by ``row``, starting with the batch index); return the regions on the host and
    their batch indices."""
    require_float(op, data)
    require_float(op, rois, 'rois')
    if data.ndim != 4:
        raise shape_error(op, 'data must be 4-d (batch, channel, height, width)', data, rois)
    width = row.count(',') + 1
    if rois.ndim != 2 or rois.shape[1] != width:
        raise shape_error(op, 'rois must be (num_rois, %d): rows of %s' % (width, row),
                          data, rois)
    boxes = to_host(rois)
    index = boxes[:, 0].astype(np.int64)           # truncated, as MXNet casts it
    if (index >= data.shape[0]).any():
        raise shape_error(op, 'rois batch index %d is past the batch of %d images'
                          % (index.max(), data.shape[0]), data, rois)
    return boxes, index


def _round_half_away(x):
    """C's ``round``: halves go away from zero (NumPy's ``round`` goes to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


@register
class ROIPooling(Op):
    """Max pooling of each region of interest into a ``pooled_size`` grid (Fast R-CNN).

    A region's corners are ``round(coordinate * spatial_scale)`` (halves away from zero); it
    covers ``max(x2 - x1 + 1, 1)`` columns and ``max(y2 - y1 + 1, 1)`` rows, split into
    ``pooled_size`` bins of fractional size; bin ``i`` spans ``floor(i * size)`` to
    ``ceil((i + 1) * size)`` from the region's start, clipped to the map. Each output is the
    largest value in its bin (the first one, row-major, on ties), 0 for an empty bin.

    Inputs: ``data`` ``(N, C, H, W)``, ``rois`` ``(R, 5)``. Output ``(R, C, PH, PW)`` in
    ``data``'s dtype, and a hidden second output (``maxidx``, as in MXNet): the flat
    ``h * W + w`` position of each maximum, ``-1`` for empty bins. The gradient of each output
    goes to the position of its maximum.

    A region with a NaN or infinite coordinate is treated as padding (output and gradient 0,
    as ROIAlign does here); MXNet 1.9.1 casts such coordinates to integers and pools whatever
    region that gives.
    """

    name = 'ROIPooling'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'rois')
    num_outputs = 2
    num_visible_outputs = 1
    attrs = {'pooled_size': Attr('shape'), 'spatial_scale': Attr('float')}

    def check_attrs(self):
        _check_pooled(self)

    def list_outputs(self):
        return ['output', 'maxidx']

    def forward(self, xp, data, rois):
        boxes, index = _check_inputs(self, data, rois)
        n, c, h, w = data.shape
        ph_n, pw_n = self.pooled_size
        work = np.promote_types(rois.dtype, np.float32)
        scale = work.type(np.float32(self.spatial_scale))               # a C float, as MXNet's
        corner = _round_half_away(boxes[:, 1:].astype(work) * scale)
        out = xp.zeros((len(boxes), c, ph_n, pw_n), dtype=data.dtype)
        argmax = xp.full((len(boxes), c, ph_n, pw_n), -1, dtype=np.int64)
        for r, b in enumerate(index):
            if b < 0 or not np.isfinite(corner[r]).all():
                continue
            x1, y1, x2, y2 = corner[r]
            hs, he = self._bins(y1, y2, ph_n, h, work)
            ws, we = self._bins(x1, x2, pw_n, w, work)
            kh, kw = max(int((he - hs).max()), 1), max(int((we - ws).max()), 1)
            hh = hs[:, None] + np.arange(kh)                       # (PH, kh)
            ww = ws[:, None] + np.arange(kw)                       # (PW, kw)
            inside = (hh < he[:, None])[:, :, None, None] & (ww < we[:, None])[None, None]
            flat = (np.minimum(hh, h - 1)[:, :, None, None] * w
                    + np.minimum(ww, w - 1)[None, None])            # (PH, kh, PW, kw)
            flat = flat.transpose(0, 2, 1, 3).reshape(ph_n, pw_n, kh * kw)
            inside = inside.transpose(0, 2, 1, 3).reshape(ph_n, pw_n, kh * kw)
            vals = data[int(b)].reshape(c, h * w)[:, xp.asarray(flat)]   # (C, PH, PW, k)
            vals = xp.where(xp.asarray(inside), vals, -xp.inf)
            best = xp.argmax(vals, axis=-1)                        # first maximum, row-major
            top = xp.take_along_axis(vals, best[..., None], axis=-1)[..., 0]
            pos = xp.take_along_axis(xp.asarray(flat)[None], best[..., None], axis=-1)[..., 0]
            empty = xp.asarray(~inside.any(-1))
            out[r] = xp.where(empty, 0, top).astype(data.dtype)
            argmax[r] = xp.where(empty, -1, pos)
        self._argmax, self._index, self._shape = argmax, index, data.shape
        return out, argmax.astype(data.dtype)

    @staticmethod
    def _bins(start, end, bins, size, work):
        """Clipped ``(starts, ends)`` of the ``bins`` bins of a region from ``start`` to ``end``
        (integers), computed in ``work`` precision as MXNet does."""
        extent = max(int(end) - int(start) + 1, 1)
        step = work.type(extent) / work.type(bins)
        i = np.arange(bins, dtype=work)
        lo = np.floor(i * step).astype(np.int64) + int(start)
        hi = np.ceil((i + 1) * step).astype(np.int64) + int(start)
        return np.clip(lo, 0, size), np.clip(hi, 0, size)

    def backward(self, xp, grad, grad_hidden=None):
        n, c, h, w = self._shape
        gx = xp.zeros(n * c * h * w, dtype=grad.dtype)
        plane = (xp.asarray(self._index)[:, None, None, None] * c
                 + xp.arange(c)[None, :, None, None]) * (h * w)
        take = self._argmax >= 0
        backend.scatter_add(xp, gx, (plane + self._argmax)[take], grad[take])
        return gx.reshape(self._shape), None

    def infer_shape(self, in_shapes):
        data, rois = in_shapes
        if data is None or rois is None:
            raise shape_error(self, 'needs the shapes of data and rois')
        shape = (rois[0], data[1]) + tuple(self.pooled_size)
        return [tuple(data), tuple(rois)], [shape, shape]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t, t], [t, t]


@register
class ROIAlign(Op):
    """Average of bilinearly sampled points in each bin of each region of interest (Mask R-CNN).

    A region spans ``coordinate * spatial_scale`` (minus 0.5 with ``aligned=True``); without
    ``aligned`` it is at least 1 wide and high. Each of its ``pooled_size`` bins averages a grid
    of ``sample_ratio`` x ``sample_ratio`` points (``sample_ratio <= 0``: ``ceil`` of the bin size
    in each direction), evenly placed at the centres of the grid cells. A point is read by
    bilinear interpolation; points more than one pixel outside the map read 0, points just
    outside read the border.

    With ``position_sensitive=True`` (R-FCN), output channel ``c`` at bin ``(i, j)`` reads input
    channel ``c * PH * PW + i * PW + j``, so the output has ``C / (PH * PW)`` channels.

    Inputs: ``data`` ``(N, C, H, W)``, ``rois`` ``(R, 5)``; output ``(R, C', PH, PW)`` in
    ``data``'s dtype. The gradient spreads each output's gradient over the pixels it read, with
    the same weights.

    With ``aligned=True`` MXNet 1.9.1 aborts the whole process on a region of zero or negative
    width or height; here such a region's bins average the points the same formulas place (with
    ``sample_ratio <= 0``: none, so 0).
    """

    name = '_contrib_ROIAlign'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'rois')
    attrs = {'pooled_size': Attr('shape'), 'spatial_scale': Attr('float'),
             'sample_ratio': Attr('int', -1), 'position_sensitive': Attr('bool', False),
             'aligned': Attr('bool', False)}

    def check_attrs(self):
        _check_pooled(self)

    def forward(self, xp, data, rois):
        boxes, index = _check_inputs(self, data, rois)
        n, c, h, w = data.shape
        ph_n, pw_n = self.pooled_size
        if self.position_sensitive and c % (ph_n * pw_n):
            raise shape_error(self, 'with position_sensitive=True the channels (%d) must be a '
                              'multiple of pooled_size[0] * pooled_size[1] (%d)'
                              % (c, ph_n * pw_n), data, rois)
        work = np.promote_types(data.dtype, np.float32)
        my, mx = self._weights(boxes.astype(work), index, h, w)
        self._my, self._mx, self._index, self._shape = my, mx, index, data.shape
        x = data.astype(work, copy=False)
        out = xp.zeros((len(boxes), c, ph_n, pw_n), dtype=work)
        for b in np.unique(index[index >= 0]):
            sel = np.flatnonzero(index == b)
            # matrix products (BLAS), (R, 1, PH, H) @ (C, H, W) and then @ (R, 1, W, PW)
            rows = xp.matmul(xp.asarray(my[sel])[:, None], x[int(b)])
            out[xp.asarray(sel)] = xp.matmul(rows, xp.asarray(mx[sel]).transpose(0, 2, 1)[:, None])
        if self.position_sensitive:
            out = self._diagonal(xp, out)
        return out.astype(data.dtype, copy=False)

    def _weights(self, boxes, index, h, w):
        """Per region, the interpolation matrices ``(R, PH, H)`` and ``(R, PW, W)`` whose
        products give the bin averages (bilinear weights separate into rows and columns)."""
        ph_n, pw_n = self.pooled_size
        dt = boxes.dtype.type
        offset = dt(0.5) if self.aligned else dt(0)
        scale = dt(np.float32(self.spatial_scale))                      # a C float, as MXNet's
        start = boxes[:, 1:3] * scale - offset                          # (R, 2): x, y
        size = boxes[:, 3:5] * scale - offset - start
        if not self.aligned:
            size = np.maximum(size, dt(1))
        bins = size / np.array([pw_n, ph_n], dtype=boxes.dtype)
        if self.sample_ratio > 0:
            grid = np.full(size.shape, self.sample_ratio, dtype=np.int64)
        else:
            grid = np.ceil(size / np.array([pw_n, ph_n], dtype=boxes.dtype)).astype(np.int64)
        count = np.maximum(grid[:, 0] * grid[:, 1], 1).astype(boxes.dtype)
        mats = []
        for axis, pooled, extent in ((1, ph_n, h), (0, pw_n, w)):
            mats.append(self._axis_matrix(start[:, axis], bins[:, axis], grid[:, axis], pooled,
                                          extent))
        my, mx = mats
        my = my / count[:, None, None]
        my[index < 0] = 0
        return my, mx

    @staticmethod
    def _axis_matrix(start, bin_size, grid, pooled, extent):
        """``(R, pooled, extent)``: the summed interpolation weights of the sample points of each
        bin along one axis."""
        r_n, dt = len(start), start.dtype.type
        g_max = max(int(grid.max(initial=0)), 1)
        k = np.arange(g_max, dtype=start.dtype)
        p = np.arange(pooled, dtype=start.dtype)
        gridf = np.maximum(grid, 1).astype(start.dtype)
        pos = (start[:, None, None] + p[None, :, None] * bin_size[:, None, None]
               + (k[None, None, :] + dt(0.5)) * bin_size[:, None, None] / gridf[:, None, None])
        used = (k[None, None, :] < grid[:, None, None]) & (pos >= -1) & (pos <= extent)
        pos = np.maximum(pos, 0)
        low = np.floor(pos).astype(np.int64)
        top = low >= extent - 1
        low = np.where(top, extent - 1, low)
        high = np.where(top, extent - 1, low + 1)
        frac = np.where(top, 0, pos - low).astype(start.dtype)
        mat = np.zeros((r_n, pooled, extent), dtype=start.dtype)
        r, i, _ = np.indices(pos.shape)
        np.add.at(mat, (r[used], i[used], low[used]), (1 - frac)[used])
        np.add.at(mat, (r[used], i[used], high[used]), frac[used])
        return mat

    def _diagonal(self, xp, full):
        """Position-sensitive selection: bin (i, j) of output channel c from input channel
        ``c * PH * PW + i * PW + j``."""
        r_n, c, ph_n, pw_n = full.shape
        full = full.reshape(r_n, c // (ph_n * pw_n), ph_n * pw_n, ph_n * pw_n)
        k = xp.arange(ph_n * pw_n)
        return full[:, :, k, k].reshape(r_n, -1, ph_n, pw_n)

    def backward(self, xp, grad):
        n, c, h, w = self._shape
        ph_n, pw_n = self.pooled_size
        work = self._my.dtype
        g = grad.astype(work, copy=False)
        if self.position_sensitive:
            full = xp.zeros((g.shape[0], g.shape[1], ph_n * pw_n, ph_n * pw_n), dtype=work)
            k = xp.arange(ph_n * pw_n)
            full[:, :, k, k] = g.reshape(g.shape[0], g.shape[1], -1)
            g = full.reshape(g.shape[0], c, ph_n, pw_n)
        gx = xp.zeros((n, c, h, w), dtype=work)
        for b in np.unique(self._index[self._index >= 0]):
            sel = np.flatnonzero(self._index == b)
            rows = xp.matmul(g[xp.asarray(sel)], xp.asarray(self._mx[sel])[:, None])
            gx[int(b)] = xp.einsum('rph,rcpw->chw', xp.asarray(self._my[sel]), rows)
        return gx.astype(grad.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        data, rois = in_shapes
        if data is None or rois is None:
            raise shape_error(self, 'needs the shapes of data and rois')
        c = data[1] // (self.pooled_size[0] * self.pooled_size[1]) if self.position_sensitive \
            else data[1]
        return [tuple(data), tuple(rois)], [(rois[0], c) + tuple(self.pooled_size)]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t, t], [t]
