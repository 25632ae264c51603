"""Object-detection helpers: ``_contrib_MultiBoxPrior`` (SSD anchor boxes), ``_contrib_box_iou``
and the box coding pair ``_contrib_box_encode`` / ``_contrib_box_decode``.

Names, inputs, attributes and defaults follow MXNet 1.9.1 (``src/operator/contrib/
multibox_prior.cc``, ``bounding_box.cc``); they appear as ``nd.contrib.MultiBoxPrior``,
``nd.contrib.box_iou``, ``nd.contrib.box_encode``... and in ``sym.contrib``, as the "Dive into
Deep Learning" (MXNet edition) anchor-box and SSD chapters and GluonCV-style code call them. None
has a gradient: backward sends zeros to the inputs, as MXNet's does. Non-maximum suppression and
the SSD targets are in ``detection_nms.py`` / ``detection_multibox.py``, ROI pooling in
``roi.py``.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


@register
class MultiBoxPrior(Op):
    """Anchor boxes centred on every cell of a feature map ``data`` of shape ``(N, C, H, W)``.

    For each cell (row ``r``, column ``c``) the centre is ``((c + offsets[1]) * steps[1],
    (r + offsets[0]) * steps[0])``, with steps ``1/H`` and ``1/W`` when ``steps`` is ``(-1, -1)``.
    Around it go ``len(sizes) + len(ratios) - 1`` boxes: every size with the first ratio, then the
    first size with each further ratio. A box of size ``s`` and ratio ``q`` is
    ``s * H / W * sqrt(q)`` wide and ``s / sqrt(q)`` high (fractions of the image, so square on a
    non-square map), written as corners ``(xmin, ymin, xmax, ymax)``, clipped to ``[0, 1]`` with
    ``clip=True``. The output ``(1, H * W * boxes_per_cell, 4)`` is float32 and lists the boxes
    cell by cell, row-major. Only ``data``'s shape is read (no gradient). A map with no rows or
    no columns has no cells, hence no anchors: ``(1, 0, 4)`` (MXNet 1.9.1 fails to infer the
    shape).

    Raises ValueError when ``data`` is not 4-d, ``sizes`` or ``ratios`` is empty or not
    positive, or ``steps`` / ``offsets`` do not hold two values.
    """

    name = '_contrib_MultiBoxPrior'
    mxnet_input_names = True
    mxnet_output_names = True
    aliases = ('MultiBoxPrior',)
    differentiable = False
    attrs = {'sizes': Attr('floats', (1.0,)), 'ratios': Attr('floats', (1.0,)),
             'clip': Attr('bool', False), 'steps': Attr('floats', (-1.0, -1.0)),
             'offsets': Attr('floats', (0.5, 0.5))}

    def check_attrs(self):
        for key in ('sizes', 'ratios'):
            values = getattr(self, key)
            if not values or min(values) <= 0:
                raise ValueError('%s: %s must be a non-empty tuple of positive numbers, got %s'
                                 % (self.name, key, values))
        for key in ('steps', 'offsets'):
            if len(getattr(self, key)) != 2:
                raise ValueError('%s: %s must hold two values (y, x), got %s'
                                 % (self.name, key, getattr(self, key)))

    def forward(self, xp, data):
        if data.ndim != 4:
            raise shape_error(self, 'data must be 4-d (N, C, H, W)', data)
        h, w = data.shape[2:]
        if h == 0 or w == 0:
            return xp.zeros((1, 0, 4), dtype=np.float32)
        # float32 throughout, in the order of MXNet's CPU kernel (multibox_prior.cc), so that the
        # anchors are MXNet's to the last bit: ties between anchors (equal IoUs with a box) then
        # break the same way in MultiBoxTarget.
        f32 = np.float32
        step_y = f32(self.steps[0]) if self.steps[0] > 0 else f32(1) / f32(h)
        step_x = f32(self.steps[1]) if self.steps[1] > 0 else f32(1) / f32(w)
        sizes = np.array(self.sizes, dtype=f32)
        root = np.sqrt(np.array(self.ratios, dtype=f32))
        # (size, sqrt(ratio)) of each box of a cell, in MXNet's order
        size = np.concatenate([sizes, np.full(len(root) - 1, sizes[0], dtype=f32)])
        ratio = np.concatenate([np.full(len(sizes), root[0], dtype=f32), root[1:]])
        half_w = size * f32(h) / f32(w) * ratio / f32(2)
        half_h = size / ratio / f32(2)
        cy = (np.arange(h, dtype=f32) + f32(self.offsets[0])) * step_y
        cx = (np.arange(w, dtype=f32) + f32(self.offsets[1])) * step_x
        cy, cx = cy[:, None, None], cx[None, :, None]          # (H, 1, 1), (1, W, 1)
        boxes = np.stack(np.broadcast_arrays(cx - half_w, cy - half_h, cx + half_w, cy + half_h),
                         axis=-1)                              # (H, W, boxes per cell, 4)
        if self.clip:
            boxes = np.clip(boxes, 0.0, 1.0)
        return xp.asarray(boxes.reshape(1, -1, 4))

    def backward(self, xp, grad):
        return (None,)

    def infer_type(self, in_types):
        return [in_types[0] or np.dtype(np.float32)], [np.dtype(np.float32)]


@register
class BoxIou(Op):
    """Intersection over union of every box in ``lhs`` with every box in ``rhs``.

    ``lhs`` is ``(..., 4)`` and ``rhs`` is ``(..., 4)``; the output is
    ``lhs.shape[:-1] + rhs.shape[:-1]``. ``format='corner'`` reads boxes as
    ``(xmin, ymin, xmax, ymax)``, ``'center'`` as ``(x, y, width, height)``. Boxes that do not
    overlap, or whose union is empty, give 0; a pair with a NaN coordinate gives NaN (MXNet
    1.9.1 gives NaN or 0 depending on which coordinate is NaN). No gradient.

    Raises ValueError when the last axis of either input is not 4, TypeError for integer boxes
    (MXNet 1.9.1 refuses them too; an integer IoU would truncate to 0 or 1).
    """

    name = '_contrib_box_iou'
    mxnet_input_names = True
    aliases = ('box_iou',)
    arguments = ('lhs', 'rhs')
    differentiable = False
    attrs = {'format': Attr('str', 'corner', choices=['corner', 'center'])}

    def forward(self, xp, lhs, rhs):
        require_float(self, lhs, 'lhs')
        require_float(self, rhs, 'rhs')
        if lhs.shape[-1:] != (4,) or rhs.shape[-1:] != (4,):
            raise shape_error(self, 'the last axis of lhs and rhs must hold the 4 box coordinates',
                              lhs, rhs)
        a, b = lhs.reshape(-1, 4), rhs.reshape(-1, 4)
        if self.format == 'center':
            a, b = (xp.concatenate([t[:, :2] - t[:, 2:] / 2, t[:, :2] + t[:, 2:] / 2], axis=1)
                    for t in (a, b))
        a, b = a[:, None, :], b[None, :, :]
        iw = xp.maximum(xp.minimum(a[..., 2], b[..., 2]) - xp.maximum(a[..., 0], b[..., 0]), 0)
        ih = xp.maximum(xp.minimum(a[..., 3], b[..., 3]) - xp.maximum(a[..., 1], b[..., 1]), 0)
        inter = iw * ih
        union = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
                 + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter)
        safe = xp.where(union > 0, union, 1)
        iou = xp.where((inter > 0) & (union > 0), inter / safe, 0)
        iou = xp.where(xp.isnan(a).any(-1) | xp.isnan(b).any(-1), xp.nan, iou)
        return iou.astype(lhs.dtype, copy=False).reshape(lhs.shape[:-1] + rhs.shape[:-1])

    def backward(self, xp, grad):
        return (None, None)


def _center_parts(xp, boxes, fmt):
    """Centre x, centre y, width, height of ``(..., 4)`` boxes given in ``fmt``."""
    if fmt == 'center':
        return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return boxes[..., 0] + w / 2, boxes[..., 1] + h / 2, w, h


@register
class BoxEncode(Op):
    """Regression targets of matched anchors (Faster R-CNN / SSD box coding).

    Inputs: ``samples`` ``(B, N)`` (positive where > 0.5), ``matches`` ``(B, N)`` (the row of
    ``refs`` each anchor matches), ``anchors`` ``(B, N, 4)`` and ``refs`` ``(B, M, 4)`` corner
    boxes, ``means`` and ``stds`` ``(4,)``. For a positive anchor the targets are
    ``((rx - ax) / aw - means[0]) / stds[0]``, the same for y, and
    ``(log(rw / aw) - means[2]) / stds[2]``, the same for the height, from the centres and sizes
    of anchor and matched reference; its masks are 1. Other anchors get 0 and 0. Outputs
    ``targets`` and ``masks``, both ``(B, N, 4)``. A box of zero width gives ``inf`` or ``nan``,
    as in MXNet. No gradient (backward sends zeros, as MXNet's does).

    Raises ValueError for shapes that do not fit these forms or a match index outside ``refs``.
    """

    name = '_contrib_box_encode'
    mxnet_input_names = True
    arguments = ('samples', 'matches', 'anchors', 'refs', 'means', 'stds')
    num_outputs = 2
    differentiable = False

    def forward(self, xp, samples, matches, anchors, refs, means, stds):
        require_float(self, anchors, 'anchors')     # integer targets truncate (MXNet refuses)
        args = (samples, matches, anchors, refs, means, stds)
        b_n = samples.shape
        if len(b_n) != 2 or matches.shape != b_n or anchors.shape != b_n + (4,) or \
                refs.ndim != 3 or refs.shape[0] != b_n[0] or refs.shape[2] != 4 or \
                means.shape != (4,) or stds.shape != (4,):
            raise shape_error(self, 'expected samples and matches (B, N), anchors (B, N, 4), refs '
                              '(B, M, 4), means and stds (4,)', *args)
        index = matches.astype(np.int64)
        positive = samples > 0.5
        if refs.shape[1] == 0 and bool(positive.any()) or \
                bool(((index < 0) | (index >= refs.shape[1]))[positive].any()):
            raise shape_error(self, 'matches of positive samples must index rows of refs '
                              '(0 to %d)' % (refs.shape[1] - 1), *args)
        index = xp.clip(index, 0, max(refs.shape[1] - 1, 0))
        ref = xp.take_along_axis(refs, index[..., None], axis=1) if refs.shape[1] else \
            xp.zeros_like(anchors)
        rx, ry, rw, rh = _center_parts(xp, ref, 'corner')
        ax, ay, aw, ah = _center_parts(xp, anchors, 'corner')
        t = xp.stack([(rx - ax) / aw, (ry - ay) / ah, xp.log(rw / aw), xp.log(rh / ah)],
                     axis=-1)
        t = (t - means) / stds
        mask = xp.broadcast_to(positive[..., None], t.shape)
        dtype = anchors.dtype
        return (xp.where(mask, t, 0).astype(dtype, copy=False),
                mask.astype(dtype))

    def backward(self, xp, *grads):
        return (None,) * 6

    def infer_shape(self, in_shapes):
        anchors = in_shapes[2]
        if anchors is None:
            raise shape_error(self, 'needs the shape of anchors')
        b, n = anchors[:2]
        shapes = [in_shapes[0] or (b, n), in_shapes[1] or (b, n), anchors,
                  in_shapes[3] or (b, 0, 4), in_shapes[4] or (4,), in_shapes[5] or (4,)]
        return [tuple(s) for s in shapes], [tuple(anchors), tuple(anchors)]

    def infer_type(self, in_types):
        t = in_types[2] or next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [x or t for x in in_types], [t, t]


@register
class BoxDecode(Op):
    """Boxes from regression offsets and anchors (the inverse of ``box_encode``, without means).

    ``data`` ``(B, N, 4)`` holds offsets ``(dx, dy, dw, dh)``; ``anchors`` ``(1, N, 4)`` or
    ``(B, N, 4)`` in ``format`` (``'center'`` ``(x, y, width, height)`` or ``'corner'``). The box
    centre is ``(dx * std0 * aw + ax, dy * std1 * ah + ay)`` and its size
    ``(exp(dw * std2) * aw, exp(dh * std3) * ah)``, with ``dw * std2`` and ``dh * std3`` first
    cut to at most ``clip`` when ``clip > 0``. The output ``(B, N, 4)`` is in corners, in
    ``data``'s dtype. No gradient (backward sends zeros, as MXNet's does).

    ``anchors`` of shape ``(B, N, 4)`` (one set per batch element) work here; MXNet 1.9.1 accepts
    the shape but then fails with an internal error.

    Raises ValueError when the shapes do not fit these forms.
    """

    name = '_contrib_box_decode'
    mxnet_input_names = True
    arguments = ('data', 'anchors')
    differentiable = False
    attrs = {'std0': Attr('float', 1.0), 'std1': Attr('float', 1.0), 'std2': Attr('float', 1.0),
             'std3': Attr('float', 1.0), 'clip': Attr('float', -1.0),
             'format': Attr('str', 'center', choices=['center', 'corner'])}

    def forward(self, xp, data, anchors):
        require_float(self, data)       # integer boxes truncate (MXNet 1.9.1 refuses them)
        if data.ndim != 3 or data.shape[2] != 4 or anchors.ndim != 3 or \
                anchors.shape[0] not in (1, data.shape[0]) or anchors.shape[1:] != data.shape[1:]:
            raise shape_error(self, 'expected data (B, N, 4) and anchors (1, N, 4) or (B, N, 4)',
                              data, anchors)
        ax, ay, aw, ah = _center_parts(xp, anchors.astype(data.dtype, copy=False), self.format)
        ox = data[..., 0] * self.std0 * aw + ax
        oy = data[..., 1] * self.std1 * ah + ay
        dw, dh = data[..., 2] * self.std2, data[..., 3] * self.std3
        if self.clip > 0:
            dw, dh = xp.minimum(dw, self.clip), xp.minimum(dh, self.clip)
        ow, oh = xp.exp(dw) * aw / 2, xp.exp(dh) * ah / 2
        return xp.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1).astype(data.dtype,
                                                                             copy=False)

    def backward(self, xp, grad):
        return (None, None)
