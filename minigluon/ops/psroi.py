"""Position-sensitive region pooling of R-FCN (Dai et al., "R-FCN: Object Detection via
Region-based Fully Convolutional Networks", NIPS 2016): ``_contrib_PSROIPooling``, and its
deformable form of Deformable ConvNets (Dai et al., ICCV 2017): ``_contrib_DeformablePSROIPooling``.

Names, inputs, attributes and results follow MXNet 1.9.1's CPU operators
(``src/operator/contrib/psroi_pooling.cc``, ``deformable_psroi_pooling.cc``), measured against it
(``tools/gen_vision_contrib_fixtures.py``). Both are ``nd.contrib.<name>`` / ``sym.contrib.<name>``.

``rois`` is ``(R, 5)``: rows ``(batch_index, x1, y1, x2, y2)`` in image coordinates, rounded to
integers (halves away from zero) and scaled by ``spatial_scale`` (in ``[0, 1]``, read as a
float32 as MXNet's, also for float64 inputs). The output ``(R, output_dim,
P, P)`` (``P = pooled_size``) reads, for output channel ``c`` at bin ``(i, j)``, the input channel
``(c * G + gi) * G + gj`` with ``G = group_size`` and ``(gi, gj) = (i * G // P, j * G // P)``, so
``data`` has ``output_dim * G * G`` channels. As for ROIPooling here, a row with a negative batch
index is padding (output and gradient 0) and one past the batch a ValueError; MXNet 1.9.1 reads
outside its arrays for both.
"""
import numpy as np

from minigluon.base import MXNetError
from minigluon.ops.deformable_conv import _scatter_sum
from minigluon.ops.registry import Attr, Op, compute_dtype, register, shape_error
from minigluon.ops.roi import _check_inputs, _check_spatial_scale, _round_half_away


class _PSBase(Op):
    """Attributes and checks the two operators share."""

    def _groups(self):
        return self.group_size if self.group_size > 0 else self.pooled_size

    def check_attrs(self):
        if self.pooled_size < 1 or self.output_dim < 1 or self.group_size < 0:
            raise ValueError('%s: pooled_size and output_dim must be positive and group_size not '
                             'negative, got %d, %d, %d' % (self.name, self.pooled_size,
                                                          self.output_dim, self.group_size))
        _check_spatial_scale(self)

    def _check(self, data, rois, *extra):
        boxes, index = _check_inputs(self, data, rois)
        g = self._groups()
        if data.shape[1] < self.output_dim * g * g:
            raise shape_error(self, 'data needs output_dim * group_size ** 2 = %d channels, has %d'
                              % (self.output_dim * g * g, data.shape[1]), data, rois, *extra)
        return boxes, index

    def _channels(self):
        """``(output_dim, P, P)``: the input channel each output channel and bin reads."""
        p, g = self.pooled_size, self._groups()
        bins = np.minimum(np.arange(p) * g // p, g - 1)
        return ((np.arange(self.output_dim)[:, None, None] * g + bins[:, None]) * g
                + bins[None, :])

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t] * len(in_types), [t]


@register
class PSROIPooling(_PSBase):
    """Position-sensitive average pooling of each region (MXNet 1.9.1 ``contrib.PSROIPooling``).

    A region spans ``round(x1) * spatial_scale`` to ``(round(x2) + 1) * spatial_scale`` (at
    least 0.1 wide; likewise in y), split into ``P x P`` bins; bin ``(i, j)`` covers the pixels
    from ``floor`` of its start to ``ceil`` of its end, clipped to the map, and its output is the
    mean of its input channel over them (0 for an empty bin). ``group_size`` 0 means
    ``pooled_size``.

    Inputs ``data`` ``(N, C, H, W)`` with ``C >= output_dim * group_size ** 2``, ``rois``
    ``(R, 5)``; output ``(R, output_dim, P, P)`` in ``data``'s dtype. The gradient of ``data``
    spreads each output's gradient evenly over its bin; ``rois`` gets none. MXNet 1.9.1 does not
    check the channel count and reads outside ``data`` when it is too small; here that is a
    ValueError.
    """

    name = '_contrib_PSROIPooling'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'rois')
    attrs = {'spatial_scale': Attr('float'), 'output_dim': Attr('int'),
             'pooled_size': Attr('int'), 'group_size': Attr('int', 0)}

    def forward(self, xp, data, rois):
        boxes, index = self._check(data, rois)
        n, c, h, w = data.shape
        work = np.promote_types(rois.dtype, np.float32)
        rows, cols = self._bins(boxes.astype(work), h, w)               # (R, P, 2) each
        # summed-area table (float64 sums: no cancellation worth speaking of)
        table = xp.zeros((n, c, h + 1, w + 1), dtype=np.float64)
        table[:, :, 1:, 1:] = data.astype(np.float64).cumsum(axis=2).cumsum(axis=3)
        chan = xp.asarray(self._channels())[None]                        # (1, D, P, P)
        img = xp.asarray(np.maximum(index, 0))[:, None, None, None]
        hs, he = (xp.asarray(rows[:, :, k])[:, None, :, None] for k in (0, 1))
        ws, we = (xp.asarray(cols[:, :, k])[:, None, None, :] for k in (0, 1))
        total = (table[img, chan, he, we] - table[img, chan, hs, we]
                 - table[img, chan, he, ws] + table[img, chan, hs, ws])  # (R, D, P, P)
        area = (he - hs) * (we - ws)
        live = (area > 0) & xp.asarray(index >= 0)[:, None, None, None]
        out = xp.where(live, total / xp.maximum(area, 1), 0)
        self._saved = (rows, cols, index, data.shape, data.dtype)
        return out.astype(data.dtype)

    def _bins(self, boxes, h, w):
        """Per region and bin, the clipped ``[start, end)`` rows ``(R, P, 2)`` and columns
        ``(R, P, 2)``, computed in the rois' precision (at least float32) as MXNet does."""
        dt = boxes.dtype.type
        scale, p = dt(np.float32(self.spatial_scale)), self.pooled_size
        corner = _round_half_away(boxes[:, 1:])
        start = corner[:, :2] * scale                                    # (R, 2): x, y
        end = (corner[:, 2:] + dt(1)) * scale
        size = np.maximum(end - start, dt(0.1))
        step = size / dt(p)
        i = np.arange(p, dtype=boxes.dtype)
        out = []
        for axis, extent in ((1, h), (0, w)):
            lo = np.floor(i[None] * step[:, axis:axis + 1] + start[:, axis:axis + 1])
            hi = np.ceil((i[None] + dt(1)) * step[:, axis:axis + 1] + start[:, axis:axis + 1])
            lo, hi = (np.clip(np.nan_to_num(v), 0, extent).astype(np.int64) for v in (lo, hi))
            out.append(np.stack([lo, hi], axis=-1))
        return out

    def backward(self, xp, grad):
        rows, cols, index, (n, c, h, w), dtype = self._saved
        chan = self._channels()[None]                                    # (1, D, P, P)
        hs, he = rows[:, None, :, None, 0], rows[:, None, :, None, 1]
        ws, we = cols[:, None, None, :, 0], cols[:, None, None, :, 1]
        area = (he - hs) * (we - ws)
        live = (area > 0) & (index >= 0)[:, None, None, None]
        g = xp.where(xp.asarray(live), grad.astype(np.float64) / xp.asarray(np.maximum(area, 1)), 0)
        # each bin adds g over a rectangle: four corners of a difference table, then two cumsums
        plane = (np.maximum(index, 0)[:, None, None, None] * c + chan) * (h + 1)
        shape = np.broadcast_shapes(plane.shape, hs.shape, ws.shape)
        corners = [(hs, ws, 1), (hs, we, -1), (he, ws, -1), (he, we, 1)]
        flat = np.concatenate([np.broadcast_to((plane + y) * (w + 1) + x, shape).reshape(-1)
                               for y, x, _ in corners])
        vals = xp.concatenate([(s * g).reshape(-1) for _, _, s in corners])
        diff = _scatter_sum(xp, xp.asarray(flat), vals, n * c * (h + 1) * (w + 1))
        gx = diff.reshape(n, c, h + 1, w + 1).cumsum(axis=2).cumsum(axis=3)[:, :, :h, :w]
        return gx.astype(dtype), None

    def infer_shape(self, in_shapes):
        data, rois = in_shapes
        if data is None or rois is None:
            raise MXNetError('%s: needs the shapes of data and rois' % self.name)
        p = self.pooled_size
        return [tuple(data), tuple(rois)], [(rois[0], self.output_dim, p, p)]


@register
class DeformablePSROIPooling(_PSBase):
    """Deformable position-sensitive pooling (MXNet 1.9.1 ``contrib.DeformablePSROIPooling``).

    A region spans ``round(x1) * spatial_scale - 0.5`` to ``(round(x2) + 1) * spatial_scale -
    0.5`` (at least 0.1; likewise in y), split into ``P x P`` bins. Bin ``(i, j)`` is moved by
    ``trans_std * trans[r, 2k, pi, pj] * region_width`` right and ``trans_std *
    trans[r, 2k + 1, pi, pj] * region_height`` down, where ``k`` is the class of the output
    channel (``output_dim / (trans channels / 2)`` output channels per class) and
    ``(pi, pj) = (floor(i / P * part_size), floor(j / P * part_size))``. The bin averages
    ``sample_per_part ** 2`` points on a grid from its top-left corner (steps of bin size /
    ``sample_per_part``); a point more than half a pixel outside the map is skipped, the others
    are clamped to the map and read bilinearly. A bin without points gives 0.

    Inputs ``data`` ``(N, C, H, W)``, ``rois`` ``(R, 5)`` and, unless ``no_trans``, ``trans``
    ``(R, 2 * classes, part_size, part_size)`` (``part_size`` 0 means ``pooled_size``, as does
    ``group_size`` 0); ``trans_std`` in ``[0, 1]`` (MXNet 1.9.1's bound); output
    ``(R, output_dim, P, P)`` in ``data``'s dtype. Gradients for
    ``data`` and ``trans`` (the derivative of the bilinear reading; 0 along an axis where a
    point is clamped); none for ``rois``. MXNet 1.9.1 does not check the shapes of ``data``'s
    channels and of ``trans`` and reads outside them when they are too small, or the wrong
    elements; here those are ValueErrors.
    """

    name = '_contrib_DeformablePSROIPooling'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'rois', 'trans')
    attrs = {'spatial_scale': Attr('float'), 'output_dim': Attr('int'),
             'group_size': Attr('int'), 'pooled_size': Attr('int'),
             'part_size': Attr('int', 0), 'sample_per_part': Attr('int', 1),
             'trans_std': Attr('float', 0.0), 'no_trans': Attr('bool', False)}

    def check_attrs(self):
        super().check_attrs()
        if self.sample_per_part < 1 or self.part_size < 0:
            raise ValueError('%s: sample_per_part must be positive and part_size not negative, '
                             'got %d, %d' % (self.name, self.sample_per_part, self.part_size))
        if not 0 <= self.trans_std <= 1:
            raise ValueError('%s: trans_std must be in [0, 1] (as MXNet 1.9.1), got %s'
                             % (self.name, self.trans_std))

    def list_arguments(self):
        return ['data', 'rois'] if self.no_trans else ['data', 'rois', 'trans']

    def _parts(self):
        return self.part_size if self.part_size > 0 else self.pooled_size

    def _classes(self, data, rois, trans):
        """The number of classes ``trans`` holds offsets for (1 without ``trans``)."""
        if trans is None:
            return 1
        parts = self._parts()
        if trans.ndim != 4 or trans.shape[0] != rois.shape[0] or trans.shape[1] % 2 or \
                trans.shape[1] < 2 or trans.shape[2:] != (parts, parts) or \
                self.output_dim % (trans.shape[1] // 2):
            raise shape_error(self, 'trans must be (num_rois, 2 * classes, part_size, part_size) '
                              '= (%d, 2 * classes, %d, %d) with output_dim (%d) a multiple of '
                              'classes' % (rois.shape[0], parts, parts, self.output_dim),
                              data, rois, trans)
        return trans.shape[1] // 2

    def forward(self, xp, data, rois, trans=None):
        boxes, index = self._check(data, rois, *([] if trans is None else [trans]))
        classes = self._classes(data, rois, trans)
        work = compute_dtype(data.dtype)
        pts = self._points(xp, boxes.astype(work), index, trans, classes, data.shape, work)
        image = data.astype(work, copy=False).reshape(-1)
        vals = sum(wt * image[ix] for ix, wt in zip(pts['index'], pts['weight']))
        out = vals.sum(axis=-1) / xp.maximum(pts['count'], 1)           # (R, D, P, P)
        self._saved = (pts, image, data.shape, data.dtype, classes,
                       None if trans is None else trans.dtype)
        return out.astype(data.dtype)

    def _points(self, xp, boxes, index, trans, classes, shape, work):
        """The sample points of every bin, laid out ``(R, D, P, P, S * S)`` (region, output
        channel, bin row, bin column, sample ``ih * S + iw``): per bilinear corner (``(y1, x1)``,
        ``(y2, x1)``, ``(y1, x2)``, ``(y2, x2)``, floors and ceilings) the flat ``index`` into
        ``data`` and the ``weight`` (0 for a skipped point); ``count``, the points per bin; and
        what the trans gradient needs."""
        n, c, h, w = shape
        dt, r_n = work.type, len(boxes)
        p, s = self.pooled_size, self.sample_per_part
        half = dt(0.5)
        corner = _round_half_away(boxes[:, 1:])
        scale = dt(np.float32(self.spatial_scale))                       # a C float, as MXNet's
        start = corner[:, :2] * scale - half                             # (R, 2): x, y
        size = np.maximum((corner[:, 2:] + dt(1)) * scale - half - start,
                          dt(0.1))
        bin_size = size / dt(p)
        sub = bin_size / dt(s)
        parts = self._parts()
        part = np.floor(np.arange(p, dtype=work) / dt(p) * dt(parts)).astype(np.int64)
        d = self.output_dim
        cls = np.arange(d) // (d // classes)                             # class of each channel
        if trans is None:
            shift = xp.zeros((2, r_n, d, p, p), dtype=work)
        else:
            t = trans.astype(work, copy=False).reshape(r_n, classes, 2, parts, parts)
            t = t[:, xp.asarray(cls)][:, :, :, xp.asarray(part)][..., xp.asarray(part)]
            shift = xp.moveaxis(t, 2, 0) * dt(np.float32(self.trans_std))  # (2, R, D, P, P): x, y
        step = xp.asarray(np.arange(s, dtype=work))
        bins = np.arange(p, dtype=work)

        def axis_points(a, lead):
            """x (a = 0) or y (a = 1) of every point."""
            first = bins[None] * bin_size[:, a:a + 1] + start[:, a:a + 1]        # (R, P)
            first = xp.asarray(first).reshape((r_n, 1) + lead + (1,))
            offsets = (xp.tile(step, s) if a == 0 else xp.repeat(step, s))[None] * \
                xp.asarray(sub[:, a:a + 1])                                        # (R, S*S)
            moved = shift[a] * xp.asarray(size[:, a]).reshape(r_n, 1, 1, 1)
            return first + moved[..., None] + offsets.reshape(r_n, 1, 1, 1, s * s)
        x = axis_points(0, (1, p))
        y = axis_points(1, (p, 1))
        keep = (x >= -half) & (x <= dt(w) - half) & (y >= -half) & (y <= dt(h) - half)
        keep &= xp.asarray(index >= 0).reshape(r_n, 1, 1, 1, 1)
        x, y = xp.clip(x, 0, w - 1), xp.clip(y, 0, h - 1)
        x1, y1, x2, y2 = xp.floor(x), xp.floor(y), xp.ceil(x), xp.ceil(y)
        fx, fy = x - x1, y - y1
        x1, y1, x2, y2 = (v.astype(np.int64) for v in (x1, y1, x2, y2))
        chan = xp.asarray(self._channels()).reshape(1, d, p, p, 1)
        img = xp.asarray(np.maximum(index, 0)).reshape(r_n, 1, 1, 1, 1)
        base = (img * c + chan) * (h * w)
        kf = keep.astype(work)
        return {'index': [base + y1 * w + x1, base + y2 * w + x1, base + y1 * w + x2,
                          base + y2 * w + x2],
                'weight': [(1 - fx) * (1 - fy) * kf, (1 - fx) * fy * kf, fx * (1 - fy) * kf,
                           fx * fy * kf],
                'd_x': [-(1 - fy) * kf, -fy * kf, (1 - fy) * kf, fy * kf],
                'd_y': [-(1 - fx) * kf, (1 - fx) * kf, -fx * kf, fx * kf],
                'count': keep.sum(axis=-1), 'size': size, 'cls': cls, 'part': part}

    def backward(self, xp, grad):
        pts, image, shape, dtype, classes, trans_dtype = self._saved
        g = grad.astype(image.dtype, copy=False) / xp.maximum(pts['count'], 1)
        g = g[..., None]                                                 # (R, D, P, P, 1)
        index = xp.concatenate([ix.reshape(-1) for ix in pts['index']])
        vals = xp.concatenate([(g * wt).reshape(-1) for wt in pts['weight']])
        gx = _scatter_sum(xp, index, vals, image.size).reshape(shape).astype(dtype)
        if self.no_trans:
            return gx, None
        r_n, d, p = grad.shape[0], self.output_dim, self.pooled_size
        parts = self._parts()
        grads = []
        for a, key in enumerate(('d_x', 'd_y')):
            slope = sum(dw * image[ix] for ix, dw in zip(pts['index'], pts[key]))
            per_bin = (g * slope).sum(axis=-1) * image.dtype.type(np.float32(self.trans_std))
            grads.append(per_bin * xp.asarray(pts['size'][:, a]).reshape(r_n, 1, 1, 1))
        # each bin's (x, y) gradient goes to trans[r, 2 * class + (0, 1), part_i, part_j]
        cls, part = pts['cls'], pts['part']
        slot = ((np.arange(r_n)[:, None, None, None] * classes + cls[None, :, None, None]) * 2
                * parts + part[None, None, :, None]) * parts + part[None, None, None, :]
        slot = np.broadcast_to(slot, (r_n, d, p, p)).reshape(-1)
        index = xp.asarray(np.concatenate([slot, slot + parts * parts]))
        vals = xp.concatenate([v.reshape(-1) for v in grads])
        gt = _scatter_sum(xp, index, vals, r_n * classes * 2 * parts * parts)
        return gx, None, gt.reshape(r_n, 2 * classes, parts, parts).astype(trans_dtype)

    def infer_shape(self, in_shapes):
        data, rois = in_shapes[:2]
        if data is None or rois is None or (not self.no_trans and in_shapes[2] is None):
            raise MXNetError('%s: needs the shapes of data, rois%s' % (
                self.name, '' if self.no_trans else ' and trans'))
        p = self.pooled_size
        return [tuple(s) for s in in_shapes], [(rois[0], self.output_dim, p, p)]
