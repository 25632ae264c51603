"""Non-maximum suppression: ``_contrib_box_nms`` (also ``_contrib_box_non_maximum_suppression``),
and the greedy suppression and IoU helpers that ``detection_multibox.py`` shares.

Name, input, attributes, defaults, output layout, the order of the output rows and the gradient
follow MXNet 1.9.1's CPU operator (``src/operator/contrib/bounding_box.cc``), measured against it
(``tools/gen_detection_fixtures.py``). It appears as ``nd.contrib.box_nms`` /
``nd.contrib.box_non_maximum_suppression`` and in ``sym.contrib``; the JSON names it
``_contrib_box_nms`` whichever name built it, as MXNet does.

The selection (sorting, greedy suppression) runs on the host in NumPy, one Python loop step per
kept box over IoU rows computed a block at a time; inputs on a GPU are copied over and the
results copied back.
"""
import numpy as np

from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _corners(boxes, fmt):
    """``(..., 4)`` boxes as corners ``(xmin, ymin, xmax, ymax)``; ``fmt`` is the input form."""
    if fmt == 'corner':
        return boxes
    half = boxes[..., 2:] / 2
    return np.concatenate([boxes[..., :2] - half, boxes[..., :2] + half], axis=-1)


def _centers(boxes):
    """Corner boxes as ``(x, y, width, height)``."""
    return np.concatenate([(boxes[..., :2] + boxes[..., 2:]) / 2, boxes[..., 2:] - boxes[..., :2]],
                          axis=-1)


def _areas(boxes):
    """Areas of ``(..., 4)`` corner boxes; 0 for a box with negative width or height."""
    w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return np.where((w > 0) & (h > 0), w * h, 0)


def _iou_rows(rows, others, row_areas, other_areas):
    """IoU ``(R, M)`` of each of ``rows`` ``(R, 4)`` with each of ``others`` ``(M, 4)`` (corner
    boxes; their areas given); 0 where boxes do not overlap or the union is empty."""
    iw = np.minimum(rows[:, None, 2], others[None, :, 2]) - np.maximum(rows[:, None, 0], others[None, :, 0])
    ih = np.minimum(rows[:, None, 3], others[None, :, 3]) - np.maximum(rows[:, None, 1], others[None, :, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0)
    union = row_areas[:, None] + other_areas[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


_NMS_BLOCK = 256      # boxes whose IoU rows are computed at once: a (256, N) array per step


def _greedy_keep(n, hits_of_block):
    """Indices of the boxes ``0 .. n-1`` (in decreasing score order) that survive greedy
    suppression, where ``hits_of_block(start, stop)`` is the ``(stop - start, n)`` boolean array
    of "box i suppresses box j if i is kept" for the boxes ``i`` of one block.

    The rows of a block of boxes are computed at once; the Python loop then only walks the
    block, each kept box striking the later boxes it suppresses (one vector step per kept box,
    as GluonCV's R-CNN and FPN heads keep thousands of boxes).
    """
    alive = np.ones(n, dtype=bool)
    for start in range(0, n, _NMS_BLOCK):
        stop = min(start + _NMS_BLOCK, n)
        if not alive[start:stop].any():
            continue
        hits = hits_of_block(start, stop)
        for i in range(start, stop):
            if alive[i]:
                hit = hits[i - start]
                hit[:i + 1] = False            # only later boxes are suppressed
                alive &= ~hit
    return np.flatnonzero(alive)


def _greedy_nms(boxes, classes, thresh, strict):
    """Indices into corner ``boxes`` (already in decreasing score order) that survive greedy
    suppression: a box is dropped when its IoU with an earlier kept box of the same class
    (``classes`` None: any class) is above ``thresh`` (``strict``) or at least ``thresh``."""
    areas = _areas(boxes)

    def hits_of_block(start, stop):
        iou = _iou_rows(boxes[start:stop], boxes, areas[start:stop], areas)
        hits = iou > thresh if strict else iou >= thresh
        if classes is not None:
            hits &= classes[start:stop, None] == classes[None, :]
        return hits
    return _greedy_keep(len(boxes), hits_of_block)


def _mxnet_areas(boxes, fmt):
    """Areas of ``(N, 4)`` boxes in format ``fmt``, in their own dtype, as MXNet 1.9.1's box_nms
    computes them: ``width * height`` (``width`` is ``xmax - xmin``, or the box's own width in
    the center format), 0 when the width or height is negative (a NaN stays NaN)."""
    w, h = (boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) if fmt == 'corner' \
        else (boxes[:, 2], boxes[:, 3])
    return np.where((w < 0) | (h < 0), boxes.dtype.type(0), w * h)


def _mxnet_overlap(ref, pos, axis, fmt):
    """``(R, M)`` overlap along ``axis`` (0: x, 1: y) of the kept boxes ``ref`` ``(R, 4)`` with
    the later boxes ``pos`` ``(M, 4)``, in their dtype, as MXNet 1.9.1 computes it: its
    comparisons pick the other box's edge when one is NaN, so they are written out here
    (``np.maximum`` would give NaN); a negative or NaN overlap is 0."""
    a1, a2 = ref[:, None, axis], ref[:, None, axis + 2]
    b1, b2 = pos[None, :, axis], pos[None, :, axis + 2]
    if fmt == 'corner':
        left, right = np.where(a1 > b1, a1, b1), np.where(a2 < b2, a2, b2)
    else:
        al, ar = a1 - a2 / 2, a1 + a2 / 2
        bl, br = b1 - b2 / 2, b1 + b2 / 2
        left, right = np.where(bl > al, bl, al), np.where(br < ar, br, ar)
    w = right - left
    return np.where(w > 0, w, w.dtype.type(0))


def _class_ids(ids):
    """Class ids as MXNet 1.9.1 compares them, cast to a C ``int``: truncated toward zero
    (0.5 and 0.7 are both class 0); NaN and values outside the int range become ``INT_MIN``,
    as an x86 CPU converts them."""
    with np.errstate(invalid='ignore'):
        inside = np.abs(ids) < 2.0 ** 31
    return np.where(inside, np.trunc(np.where(inside, ids, 0)), -2.0 ** 31).astype(np.int64)


@register
class BoxNMS(Op):
    """Greedy non-maximum suppression over the boxes of each batch element.

    ``data`` is ``(..., N, K)``: every leading axis is a batch axis, each of the ``N`` rows is one
    box of ``K >= 5`` values holding its score (column ``score_index``), its four coordinates
    (columns ``coord_start`` to ``coord_start + 3``, in ``in_format``: ``'corner'``
    ``(xmin, ymin, xmax, ymax)`` or ``'center'`` ``(x, y, width, height)``) and, with
    ``id_index >= 0``, its class id.

    Per batch element: boxes with score ``<= valid_thresh`` (and, with ``id_index >= 0``, those
    whose id equals ``background_id``, the default ``-1`` included, compared as numbers: ``-1.5``
    is not ``-1``) are dropped; the rest are sorted by decreasing score (ties keep their input
    order) and cut to the first ``topk`` (``topk < 0``: all); walking down that list, each kept
    box drops every later box whose IoU with it exceeds ``overlap_thresh``, of the same class
    unless ``force_suppress`` or ``id_index < 0``. The output has ``data``'s shape and dtype:
    the kept rows first, whole, in decreasing score order, with the coordinates rewritten in
    ``out_format``; every other row is all ``-1``.

    As in MXNet 1.9.1: class ids are compared as C ints (truncated: 0.5 and 0.7 are one class,
    NaN is ``INT_MIN``); ``valid_thresh`` and ``overlap_thresh`` are float32 values; IoU is
    computed in the data's dtype (float16 rounding after each step) with the center format's
    own width and height as the area, and an empty union gives a NaN IoU that suppresses
    nothing (``overlap_thresh < 0`` drops all boxes but such ones).

    Deliberate difference: a kept box whose first coordinate is negative is converted to
    ``out_format`` like any other; MXNet 1.9.1 skips the conversion of such rows (its test for
    the ``-1`` padding rows), so its output mixes the two formats.

    Gradient (as MXNet's): each kept output row's gradient goes, unchanged and whole, to the
    input row it came from (whatever the formats); dropped rows get 0. A hidden second output
    holds each output row's input row index (``-1`` for padding), as MXNet keeps one.

    ``topk=0`` turns the operator off, as in MXNet 1.9.1: the output is ``data`` unchanged (no
    thresholding, sorting, suppression or format conversion) and the gradient passes straight
    through. ``data`` with no boxes (``N == 0``) gives an empty output (MXNet 1.9.1 fails to
    infer its shape).

    Raises TypeError for integer data (MXNet 1.9.1 also refuses it) and ValueError when the
    column indices do not fit in ``K``, the score or class column is one of the coordinates or
    the class column is the score column (as MXNet checks), or ``data`` has fewer than 2 axes.
    """

    name = '_contrib_box_nms'
    aliases = ('_contrib_box_non_maximum_suppression',)
    num_outputs = 2
    num_visible_outputs = 1
    attrs = {'overlap_thresh': Attr('float', 0.5), 'valid_thresh': Attr('float', 0.0),
             'topk': Attr('int', -1), 'coord_start': Attr('int', 2),
             'score_index': Attr('int', 1), 'id_index': Attr('int', -1),
             'background_id': Attr('int', -1), 'force_suppress': Attr('bool', False),
             'in_format': Attr('str', 'corner', choices=('center', 'corner')),
             'out_format': Attr('str', 'corner', choices=('center', 'corner'))}

    def list_outputs(self):
        return ['output0', 'output1']

    def _check(self, data):
        require_float(self, data)
        if data.ndim < 2:
            raise shape_error(self, 'data must have at least 2 axes (..., num_boxes, box_width)',
                              data)
        width = data.shape[-1]
        for key, lo in (('coord_start', 0), ('score_index', 0), ('id_index', -1)):
            value = getattr(self, key)
            hi = width - 4 if key == 'coord_start' else width - 1
            if not lo <= value <= hi:
                raise shape_error(self, '%s=%d does not fit rows of %d values (expected %d to %d)'
                                  % (key, value, width, lo, hi), data)
        coords = range(self.coord_start, self.coord_start + 4)
        for key in ('score_index', 'id_index'):
            if getattr(self, key) in coords:
                raise shape_error(self, '%s=%d is one of the coordinate columns %d to %d'
                                  % (key, getattr(self, key), coords[0], coords[-1]), data)
        if self.id_index == self.score_index:
            raise shape_error(self, 'id_index and score_index are both %d; they must name '
                              'different columns' % self.id_index, data)

    def forward(self, xp, data):
        self._check(data)
        host = to_host(data)
        rows = host.reshape((int(np.prod(host.shape[:-2])),) + host.shape[-2:])
        if self.topk == 0:                 # MXNet's off switch: data passes through unchanged
            index = np.broadcast_to(np.arange(rows.shape[1]), rows.shape[:2]).copy()
            self._index, self._shape = index, data.shape
            return (data.copy(),
                    xp.asarray(index.reshape(data.shape[:-1]).astype(data.dtype)))
        out = np.full_like(rows, -1)
        index = np.full(rows.shape[:2], -1, dtype=np.int64)
        cs = self.coord_start
        # MXNet's thresholds are C floats; it compares scores with valid_thresh in the data's
        # type (float16 included) and IoU with overlap_thresh as a float (float64 for float64)
        valid_thresh = data.dtype.type(np.float32(self.valid_thresh))
        overlap_thresh = np.promote_types(data.dtype, np.float32).type(
            np.float32(self.overlap_thresh))
        for b, batch in enumerate(rows):
            scores = batch[:, self.score_index]
            valid = scores > valid_thresh
            if self.id_index >= 0:         # the default -1 too; the id as it is, not truncated
                valid &= batch[:, self.id_index] != self.background_id
            cand = np.flatnonzero(valid)
            cand = cand[np.argsort(-scores[cand], kind='stable')]
            if self.topk > 0:
                cand = cand[:self.topk]
            kept = cand[self._suppress(batch[cand], overlap_thresh)]
            out[b, :len(kept)] = batch[kept]
            if self.in_format != self.out_format:
                conv = _corners(batch[kept, cs:cs + 4], 'center') if self.out_format == 'corner' \
                    else _centers(batch[kept, cs:cs + 4])
                out[b, :len(kept), cs:cs + 4] = conv
            index[b, :len(kept)] = kept
        self._index, self._shape = index, data.shape
        return (xp.asarray(out.reshape(data.shape)),
                xp.asarray(index.reshape(data.shape[:-1]).astype(data.dtype)))

    def _suppress(self, cand, thresh):
        """Indices into the candidate rows ``cand`` ``(M, K)`` (in decreasing score order) kept
        by greedy suppression. Overlaps, areas and IoU are computed in the data's dtype with
        MXNet 1.9.1's formulas (float16 rounding after each step, as its half type does; the
        center format's own width and height as the area), so boxes at the threshold fall as
        in MXNet; a box is dropped when its IoU with a kept box is above ``thresh`` (an empty
        union gives NaN, which drops nothing)."""
        boxes = cand[:, self.coord_start:self.coord_start + 4]
        areas = _mxnet_areas(boxes, self.in_format)
        classes = None
        if self.id_index >= 0 and not self.force_suppress:
            classes = _class_ids(cand[:, self.id_index])

        def hits_of_block(start, stop):
            ref = boxes[start:stop]
            with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
                inter = (_mxnet_overlap(ref, boxes, 0, self.in_format)
                         * _mxnet_overlap(ref, boxes, 1, self.in_format))
                iou = inter / (areas[start:stop, None] + areas[None, :] - inter)
            hits = iou.astype(type(thresh), copy=False) > thresh
            if classes is not None:
                hits &= classes[start:stop, None] == classes[None, :]
            return hits
        return _greedy_keep(len(cand), hits_of_block)

    def backward(self, xp, grad, grad_index=None):
        g = grad.reshape(self._index.shape + grad.shape[-1:])
        gx = xp.zeros_like(g)
        b, row = np.nonzero(self._index >= 0)
        if b.size:
            src = self._index[b, row]
            gx[xp.asarray(b), xp.asarray(src)] = g[xp.asarray(b), xp.asarray(row)]
        return (gx.reshape(self._shape),)

    def infer_shape(self, in_shapes):
        shape = in_shapes[0]
        if shape is None:
            return super().infer_shape(in_shapes)
        shape = tuple(shape)
        return [shape], [shape, shape[:-1]]

    def infer_type(self, in_types):
        t = in_types[0] or np.dtype(np.float32)
        return [t], [t, t]
