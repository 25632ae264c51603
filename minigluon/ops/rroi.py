"""``_contrib_RROIAlign``: ROIAlign over rotated regions, for oriented text detection (Ma et al.,
"Arbitrary-Oriented Scene Text Detection via Rotation Proposals", IEEE TMM 2018).

Name, inputs, attributes and results follow MXNet 1.9.1's CPU operator
(``src/operator/contrib/rroi_align.cc``, after Caffe2's ``RoIAlignRotated``), measured against
it (``tools/gen_vision_contrib_fixtures.py``); it is ``nd.contrib.RROIAlign`` /
``sym.contrib.RROIAlign``.
"""
import numpy as np

from minigluon.base import MXNetError
from minigluon.ops.deformable_conv import _scatter_sum
from minigluon.ops.registry import Attr, Op, register
from minigluon.ops.roi import _check_inputs, _check_pooled


@register
class RROIAlign(Op):
    """Average of bilinearly sampled points in each bin of each rotated region.

    ``rois`` ``(R, 6)``: rows ``(batch_index, centre_x, centre_y, width, height, angle)``,
    positions and sizes in image coordinates (scaled by ``spatial_scale``, in ``[0, 1]`` and read
    as a float32 as MXNet's; sizes then at least 1), the angle in degrees, counter-clockwise. The region is split into ``pooled_size``
    ``(PH, PW)`` bins; each bin averages a grid of ``sampling_ratio`` x ``sampling_ratio``
    points (``sampling_ratio <= 0``: ``ceil`` of the bin's height and width), placed at the
    centres of the grid's cells in the unrotated region and then rotated about its centre. A
    point more than one pixel outside the map reads 0 (and still counts in the average); one
    just outside reads the border.

    Inputs ``data`` ``(N, C, H, W)``, ``rois`` ``(R, 6)``; output ``(R, C, PH, PW)`` in
    ``data``'s dtype. A row with a negative batch index is padding (output 0) and one past the
    batch a ValueError (MXNet 1.9.1 reads outside ``data`` for both).

    MXNet 1.9.1 has no gradient for this operator (its backward raises); here ``data`` has one:
    each output's gradient is spread over the pixels its points read, with the same weights.
    ``rois`` gets none. For the same reason MXNet 1.9.1 cannot run it in a hybridized block (its
    cached graph raises 'non-differentiable' even outside ``autograd.record()``); here it runs
    hybridized and exported.
    """

    name = '_contrib_RROIAlign'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'rois')
    attrs = {'pooled_size': Attr('shape'), 'spatial_scale': Attr('float'),
             'sampling_ratio': Attr('int', -1)}

    def check_attrs(self):
        _check_pooled(self)

    def _check(self, data, rois):
        return _check_inputs(self, data, rois, '(batch_index, centre_x, centre_y, width, height, '
                                               'angle in degrees)')

    def _points(self, box, h, w, dt):
        """One region's sample points: the four corners' flat positions ``(4, PH * PW, G)`` and
        weights ``(4, PH * PW, G)``, already divided by the points per bin ``G``."""
        t = dt.type
        ph_n, pw_n = self.pooled_size
        scale = t(np.float32(self.spatial_scale))                      # a C float, as MXNet's
        cx, cy = box[1] * scale, box[2] * scale
        rw, rh = max(box[3] * scale, t(1)), max(box[4] * scale, t(1))
        theta = t(float(box[5]) * np.pi / 180.0)
        bin_h, bin_w = rh / t(ph_n), rw / t(pw_n)
        grid_h = self.sampling_ratio if self.sampling_ratio > 0 else int(np.ceil(rh / t(ph_n)))
        grid_w = self.sampling_ratio if self.sampling_ratio > 0 else int(np.ceil(rw / t(pw_n)))
        iy = (np.arange(grid_h, dtype=dt) + t(0.5)) * bin_h / t(grid_h)
        ix = (np.arange(grid_w, dtype=dt) + t(0.5)) * bin_w / t(grid_w)
        yy = (-rh / t(2) + np.arange(ph_n, dtype=dt) * bin_h)[:, None, None, None] \
            + iy[None, None, :, None]                                    # (PH, 1, gh, 1)
        xx = (-rw / t(2) + np.arange(pw_n, dtype=dt) * bin_w)[None, :, None, None] \
            + ix[None, None, None, :]                                    # (1, PW, 1, gw)
        cos, sin = np.cos(theta), np.sin(theta)
        x = (xx * cos + yy * sin + cx).astype(dt)
        y = (yy * cos - xx * sin + cy).astype(dt)
        inside = (y >= -1) & (y <= h) & (x >= -1) & (x <= w)
        y, x = np.maximum(y, 0), np.maximum(x, 0)
        y0, x0 = y.astype(np.int64), x.astype(np.int64)
        top_y, top_x = y0 >= h - 1, x0 >= w - 1
        y0, x0 = np.where(top_y, h - 1, y0), np.where(top_x, w - 1, x0)
        y1, x1 = np.where(top_y, y0, y0 + 1), np.where(top_x, x0, x0 + 1)
        ly = np.where(top_y, t(0), y - y0).astype(dt)
        lx = np.where(top_x, t(0), x - x0).astype(dt)
        hy, hx = t(1) - ly, t(1) - lx
        count = t(grid_h * grid_w)
        keep = inside.astype(dt) / count
        pos = np.stack([y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1])
        wts = np.stack([hy * hx, hy * lx, ly * hx, ly * lx]) * keep
        return (pos.reshape(4, ph_n * pw_n, -1), wts.reshape(4, ph_n * pw_n, -1))

    def forward(self, xp, data, rois):
        boxes, index = self._check(data, rois)
        n, c, h, w = data.shape
        ph_n, pw_n = self.pooled_size
        work = np.promote_types(data.dtype, np.float32)
        boxes = boxes.astype(work)
        out = xp.zeros((len(boxes), c, ph_n * pw_n), dtype=work)
        x = data.astype(work, copy=False).reshape(n, c, h * w)
        self._points_of = []
        for r, b in enumerate(index):
            if b < 0:
                self._points_of.append(None)
                continue
            pos, wts = self._points(boxes[r], h, w, work)
            self._points_of.append((pos, wts))
            vals = x[int(b)][:, xp.asarray(pos)]                         # (C, 4, PP, G)
            out[r] = (vals * xp.asarray(wts)[None]).sum(axis=(1, 3))
        self._index, self._shape = index, data.shape
        return out.reshape(len(boxes), c, ph_n, pw_n).astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        n, c, h, w = self._shape
        g = grad.reshape(grad.shape[0], c, -1)
        flat, vals = [], []
        for r, (b, pts) in enumerate(zip(self._index, self._points_of)):
            if pts is None:
                continue
            pos, wts = pts
            plane = ((int(b) * c + np.arange(c)) * (h * w))[:, None, None, None]
            flat.append(np.broadcast_to(plane + pos[None], (c,) + pos.shape).reshape(-1))
            vals.append((g[r][:, None, :, None] * xp.asarray(wts)[None]).reshape(-1))
        if not flat:
            return xp.zeros(self._shape, dtype=grad.dtype), None
        gx = _scatter_sum(xp, xp.asarray(np.concatenate(flat)), xp.concatenate(vals),
                          n * c * h * w)
        return gx.reshape(self._shape).astype(grad.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        data, rois = in_shapes
        if data is None or rois is None:
            raise MXNetError('RROIAlign: needs the shapes of data and rois')
        return [tuple(data), tuple(rois)], [(rois[0], data[1]) + tuple(self.pooled_size)]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t, t], [t]
