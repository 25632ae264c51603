"""Object-detection helpers: ``_contrib_MultiBoxPrior`` (SSD anchor boxes) and ``_contrib_box_iou``.

Names, inputs, attributes and defaults follow MXNet 1.9.1 (``src/operator/contrib/
multibox_prior.cc``, ``bounding_box.cc``); they appear as ``nd.contrib.MultiBoxPrior`` /
``nd.contrib.box_iou`` and in ``sym.contrib``, as the "Dive into Deep Learning" (MXNet edition)
anchor-box and SSD chapters call them. Neither has a gradient: backward sends zeros to the
inputs, as MXNet's does.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register, shape_error


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
    cell by cell, row-major. Only ``data``'s shape is read (no gradient).

    Raises ValueError when ``data`` is not 4-d, ``sizes`` or ``ratios`` is empty or not
    positive, or ``steps`` / ``offsets`` do not hold two values.
    """

    name = '_contrib_MultiBoxPrior'
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
        step_y = self.steps[0] if self.steps[0] > 0 else 1.0 / h
        step_x = self.steps[1] if self.steps[1] > 0 else 1.0 / w
        root = np.sqrt(np.array(self.ratios, dtype=np.float64))
        # (size, sqrt(ratio)) of each box of a cell, in MXNet's order
        pairs = [(s, root[0]) for s in self.sizes] + [(self.sizes[0], q) for q in root[1:]]
        half_w = np.array([s * h / w * q / 2 for s, q in pairs])
        half_h = np.array([s / q / 2 for s, q in pairs])
        cy = (np.arange(h) + self.offsets[0]) * step_y
        cx = (np.arange(w) + self.offsets[1]) * step_x
        cy, cx = cy[:, None, None], cx[None, :, None]          # (H, 1, 1), (1, W, 1)
        boxes = np.stack(np.broadcast_arrays(cx - half_w, cy - half_h, cx + half_w, cy + half_h),
                         axis=-1).astype(np.float32)           # (H, W, boxes per cell, 4)
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
    overlap, or whose union is empty, give 0. No gradient.

    Raises ValueError when the last axis of either input is not 4.
    """

    name = '_contrib_box_iou'
    aliases = ('box_iou',)
    arguments = ('lhs', 'rhs')
    differentiable = False
    attrs = {'format': Attr('str', 'corner', choices=['corner', 'center'])}

    def forward(self, xp, lhs, rhs):
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
        return iou.astype(lhs.dtype, copy=False).reshape(lhs.shape[:-1] + rhs.shape[:-1])

    def backward(self, xp, grad):
        return (None, None)
