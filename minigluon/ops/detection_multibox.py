"""SSD training targets and detections: ``_contrib_MultiBoxTarget``, ``_contrib_MultiBoxDetection``.

Names, inputs, attributes, defaults and results follow MXNet 1.9.1's CPU operators
(``src/operator/contrib/multibox_target.cc``, ``multibox_detection.cc``), measured against it
(``tools/gen_detection_fixtures.py``); they appear as ``nd.contrib.MultiBoxTarget`` /
``nd.contrib.MultiBoxDetection`` and in ``sym.contrib``. Neither has a gradient: backward sends
zeros to the inputs, as MXNet's does. MXNet 1.9.1 runs both on float32 only; here every floating
dtype works (the outputs take ``anchor``'s / ``cls_prob``'s dtype).

The matching and suppression run on the host in NumPy (inputs on a GPU are copied over and the
results copied back).
"""
import numpy as np

from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.detection_nms import _greedy_nms
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error

_VARIANCES = Attr('floats', (0.1, 0.1, 0.2, 0.2))


def _check_variances(op):
    if len(op.variances) != 4 or min(op.variances) <= 0:
        raise ValueError('%s: variances must be 4 positive numbers (x, y, width, height), got %s'
                         % (op.name, tuple(op.variances)))


def _iou_matrix(a, b):
    """IoU of every corner box of ``a`` (n, 4) with every one of ``b`` (m, 4): (n, m)."""
    a, b = a[:, None, :], b[None, :, :]
    iw = np.maximum(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0)
    ih = np.maximum(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0)
    inter = iw * ih
    union = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
             + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter)
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def _center_form(boxes):
    """Corner boxes (..., 4) as centre x, centre y, width, height (four arrays)."""
    w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return boxes[..., 0] + w / 2, boxes[..., 1] + h / 2, w, h


@register
class MultiBoxTarget(Op):
    """Training targets of SSD: which anchors match which ground-truth box, and the offsets.

    Inputs: ``anchor`` ``(1, A, 4)`` corner boxes (as MultiBoxPrior makes them), ``label``
    ``(B, M, W)`` with ``W >= 5`` rows ``(class, xmin, ymin, xmax, ymax, ...)`` whose first row
    with class ``-1`` ends the list of a batch element (padding), ``cls_pred`` ``(B, C + 1, A)``
    class scores (background first), read only for negative mining. A padding row followed by
    a ground-truth row raises ValueError (as MXNet 1.9.1 checks). No anchors give empty
    outputs (MXNet 1.9.1 fails to infer their shapes).

    Matching, per batch element: first, repeatedly the pair (anchor, ground truth) of largest IoU
    among unmatched anchors and unmatched ground truths (IoU above 1e-6) is matched, until every
    ground truth has an anchor; then every other anchor whose largest IoU exceeds
    ``overlap_threshold`` matches that ground truth. Matched anchors are positives (class target
    ``class + 1``). With ``negative_mining_ratio <= 0`` every other anchor is a negative (class
    target 0); otherwise ``max(minimum_negative_samples, int(positives * ratio))`` of the
    unmatched anchors whose largest IoU is below ``negative_mining_thresh`` become negatives, those
    with the lowest softmax background probability first (ties in anchor order), and the rest get
    ``ignore_label``. A batch element without ground truth gets ``ignore_label`` everywhere.

    Deliberate difference: MXNet 1.9.1's CPU operator never reads ``minimum_negative_samples``
    (it mines ``int(positives * ratio)``); here the minimum applies, as the parameter says, so
    with it set there can be more negatives than MXNet's (the same ones first).

    Outputs: ``loc_target`` ``(B, A * 4)`` (for positives
    ``((gx - ax) / aw / v0, (gy - ay) / ah / v1, log(gw / aw) / v2, log(gh / ah) / v3)`` from the
    centres and sizes of anchor and ground truth and ``variances``, else 0), ``loc_mask``
    ``(B, A * 4)`` (1 for positives) and ``cls_target`` ``(B, A)``.

    Raises ValueError for shapes that do not fit these forms or bad ``variances``, TypeError for
    integer inputs.
    """

    name = '_contrib_MultiBoxTarget'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('anchor', 'label', 'cls_pred')
    num_outputs = 3
    differentiable = False
    attrs = {'overlap_threshold': Attr('float', 0.5), 'ignore_label': Attr('float', -1.0),
             'negative_mining_ratio': Attr('float', -1.0),
             'negative_mining_thresh': Attr('float', 0.5),
             'minimum_negative_samples': Attr('int', 0), 'variances': _VARIANCES}

    def check_attrs(self):
        _check_variances(self)

    def list_outputs(self):
        return ['loc_target', 'loc_mask', 'cls_target']

    def forward(self, xp, anchor, label, cls_pred):
        for arg, a in (('anchor', anchor), ('label', label), ('cls_pred', cls_pred)):
            require_float(self, a, arg)
        if anchor.ndim != 3 or anchor.shape[0] != 1 or anchor.shape[2] != 4:
            raise shape_error(self, 'anchor must be (1, num_anchors, 4)', anchor, label, cls_pred)
        if label.ndim != 3 or label.shape[2] < 5:
            raise shape_error(self, 'label must be (batch, num_labels, 5 or more): rows of '
                              '(class, xmin, ymin, xmax, ymax)', anchor, label, cls_pred)
        num_anchors = anchor.shape[1]
        if cls_pred.ndim != 3 or cls_pred.shape[0] != label.shape[0] or \
                cls_pred.shape[2] != num_anchors:
            raise shape_error(self, 'cls_pred must be (batch, num_classes + 1, num_anchors) with '
                              "the batch size of label and anchor's number of anchors",
                              anchor, label, cls_pred)
        dtype = anchor.dtype
        work = np.promote_types(dtype, np.float32)     # IoU ties and thresholds as MXNet sees them
        anchors = to_host(anchor)[0].astype(work)
        labels, preds = to_host(label), to_host(cls_pred).astype(np.float64)
        batch = labels.shape[0]
        loc_target = np.zeros((batch, num_anchors, 4))
        loc_mask = np.zeros((batch, num_anchors, 4))
        cls_target = np.full((batch, num_anchors), self.ignore_label)
        ax, ay, aw, ah = _center_form(anchors)
        v = self.variances
        for b in range(batch):
            ends = np.flatnonzero(labels[b, :, 0] == -1)
            gts = labels[b, :ends[0] if ends.size else labels.shape[1]].astype(work)
            if ends.size and (labels[b, ends[0]:, 0] != -1).any():
                raise shape_error(self, 'label of batch element %d has a ground-truth row after '
                                  'a padding row (class -1); padding must come last' % b,
                                  anchor, label, cls_pred)
            if not len(gts) or not num_anchors:
                continue
            match, positive = self._match(_iou_matrix(anchors, gts[:, 1:5]))
            flags = np.where(positive, 1, -1)
            flags[self._negatives(match, positive, preds[b])] = 0
            pos = np.flatnonzero(flags == 1)
            gx, gy, gw, gh = _center_form(gts[match[1][pos], 1:5])
            loc_target[b, pos] = np.stack([(gx - ax[pos]) / aw[pos] / v[0],
                                           (gy - ay[pos]) / ah[pos] / v[1],
                                           np.log(gw / aw[pos]) / v[2],
                                           np.log(gh / ah[pos]) / v[3]], axis=-1)
            loc_mask[b, pos] = 1
            cls_target[b] = np.where(flags == 1, gts[match[1], 0] + 1,
                                     np.where(flags == 0, 0, self.ignore_label))
        return (xp.asarray(loc_target.reshape(batch, -1).astype(dtype)),
                xp.asarray(loc_mask.reshape(batch, -1).astype(dtype)),
                xp.asarray(cls_target.astype(dtype)))

    def _match(self, iou):
        """``((best IoU, ground truth) per anchor, positive flags)``; best IoU is -1 where an
        anchor overlaps no ground truth (by more than 1e-6)."""
        num_anchors, num_gt = iou.shape
        best = np.full(num_anchors, -1.0)
        which = np.zeros(num_anchors, dtype=np.int64)
        positive = np.zeros(num_anchors, dtype=bool)
        free = iou.copy()
        for _ in range(num_gt):          # bipartite: the largest remaining pair, one at a time
            j, k = np.unravel_index(np.argmax(free), free.shape)   # first largest, row-major
            if not free[j, k] > 1e-6:
                break
            best[j], which[j], positive[j] = free[j, k], k, True
            free[j, :] = -np.inf
            free[:, k] = -np.inf
        if self.overlap_threshold > 0:
            rest = ~positive
            k = np.argmax(iou, axis=1)
            top = iou[np.arange(num_anchors), k]
            seen = rest & (top > 1e-6)
            best[seen], which[seen] = top[seen], k[seen]
            positive |= seen & (top > self.overlap_threshold)
        return (best, which), positive

    def _negatives(self, match, positive, pred):
        """Indices of the anchors that become negatives."""
        if self.negative_mining_ratio <= 0:
            return np.flatnonzero(~positive)
        num_pos = int(positive.sum())
        count = max(int(num_pos * self.negative_mining_ratio), self.minimum_negative_samples)
        count = min(count, positive.size - num_pos)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        cand = np.flatnonzero(~positive & (match[0] < self.negative_mining_thresh))
        logits = pred[:, cand]
        e = np.exp(logits - logits.max(axis=0))
        background = e[0] / e.sum(axis=0)
        return cand[np.argsort(background, kind='stable')[:count]]

    def backward(self, xp, *grads):
        return (None, None, None)

    def infer_shape(self, in_shapes):
        anchor, label, cls_pred = in_shapes
        if anchor is None or label is None:
            raise shape_error(self, 'needs the shapes of anchor and label')
        batch, num_anchors = label[0], anchor[1]
        cls_pred = cls_pred or (batch, 0, num_anchors)
        return [tuple(anchor), tuple(label), tuple(cls_pred)], \
            [(batch, num_anchors * 4), (batch, num_anchors * 4), (batch, num_anchors)]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t] * 3, [t] * 3


@register
class MultiBoxDetection(Op):
    """SSD detections: decode each anchor's offsets, take its best class, then suppress.

    Inputs: ``cls_prob`` ``(B, C + 1, A)`` class probabilities (background is class
    ``background_id``), ``loc_pred`` ``(B, A * 4)`` offsets as MultiBoxTarget encodes them, and
    ``anchor`` ``(1, A, 4)`` corner boxes. Per anchor, the class of largest probability other
    than the background wins (the first on ties); the anchor is a detection when that probability
    is at least ``threshold``. Its box is the anchor moved by
    ``(dx * v0 * aw, dy * v1 * ah)`` and scaled by ``(exp(dw * v2), exp(dh * v3))``, in corners,
    clipped to ``[0, 1]`` with ``clip``.

    The output ``(B, A, 6)`` holds rows ``(class, score, xmin, ymin, xmax, ymax)`` with ``class``
    counted without the background (``class - 1`` for the usual ``background_id=0``). The
    detections come first, then rows of ``-1``. When ``nms_threshold`` is in ``(0, 1]`` the
    detections are sorted by decreasing score (ties in anchor order), and walking down the first
    ``nms_topk`` of them (``nms_topk <= 0``: all), each kept detection suppresses every later one
    whose IoU with it is at least ``nms_threshold`` (of the same class unless
    ``force_suppress``): a suppressed row keeps its score and box but its class becomes ``-1``.
    As in MXNet, the rows past ``nms_topk`` hold the detections of those positions in anchor
    order with class ``-1``, and with ``nms_threshold`` outside ``(0, 1]`` the detections stay in
    anchor order, unsuppressed.

    With no class besides the background every row is ``-1``, as in MXNet.

    Deliberate difference: MXNet 1.9.1's CPU operator ignores ``background_id`` (class 0 is
    always the background); here class ``background_id`` is left out and the others are
    numbered without it.

    Raises ValueError for shapes that do not fit these forms or bad ``variances``, TypeError for
    integer inputs.
    """

    name = '_contrib_MultiBoxDetection'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('cls_prob', 'loc_pred', 'anchor')
    differentiable = False
    attrs = {'clip': Attr('bool', True), 'threshold': Attr('float', 0.01),
             'background_id': Attr('int', 0), 'nms_threshold': Attr('float', 0.5),
             'force_suppress': Attr('bool', False), 'variances': _VARIANCES,
             'nms_topk': Attr('int', -1)}

    def check_attrs(self):
        _check_variances(self)

    def forward(self, xp, cls_prob, loc_pred, anchor):
        for arg, a in (('cls_prob', cls_prob), ('loc_pred', loc_pred), ('anchor', anchor)):
            require_float(self, a, arg)
        if cls_prob.ndim != 3:
            raise shape_error(self, 'cls_prob must be (batch, num_classes + 1, num_anchors)',
                              cls_prob, loc_pred, anchor)
        batch, num_classes, num_anchors = cls_prob.shape
        if anchor.shape != (1, num_anchors, 4) or loc_pred.shape != (batch, num_anchors * 4):
            raise shape_error(self, 'anchor must be (1, num_anchors, 4) and loc_pred '
                              '(batch, num_anchors * 4), with num_anchors = cls_prob.shape[2]',
                              cls_prob, loc_pred, anchor)
        if not 0 <= self.background_id < num_classes:
            raise shape_error(self, 'background_id=%d is not a class of cls_prob (0 to %d)'
                              % (self.background_id, num_classes - 1), cls_prob, loc_pred, anchor)
        dtype = cls_prob.dtype
        prob = to_host(cls_prob).astype(np.float64)
        anchors = to_host(anchor)[0].astype(np.float64)
        boxes = self._decode(anchors, to_host(loc_pred).astype(np.float64).reshape(batch, -1, 4))
        out = np.full((batch, num_anchors, 6), -1.0)
        classes = np.array([c for c in range(num_classes) if c != self.background_id],
                           dtype=np.int64)
        if not classes.size or not num_anchors:       # no foreground class: no detections
            return xp.asarray(out.astype(dtype))
        work = np.promote_types(dtype, np.float32)      # suppression on the values written out
        for b in range(batch):
            p = prob[b, classes]
            which = np.argmax(p, axis=0)                 # first largest on ties
            score = p[which, np.arange(num_anchors)]
            det = np.flatnonzero(score >= self.threshold)
            rows = np.concatenate([which[det, None].astype(np.float64), score[det, None],
                                   boxes[b, det]], axis=1).astype(dtype).astype(work)
            if 0 < self.nms_threshold <= 1:
                rows = self._suppress(rows)
            out[b, :len(det)] = rows
        return xp.asarray(out.astype(dtype))

    def _suppress(self, rows):
        """Sort detections (anchor order) by score, keep ``nms_topk``, suppress."""
        order = np.argsort(-rows[:, 1], kind='stable')
        keep = len(order) if self.nms_topk <= 0 else min(self.nms_topk, len(order))
        # past nms_topk MXNet leaves the rows of the unsorted list there, with class -1
        out = rows.copy()
        out[:keep] = rows[order[:keep]]
        out[keep:, 0] = -1
        top = out[:keep]
        kept = np.zeros(keep, dtype=bool)
        kept[_greedy_nms(top[:, 2:], None if self.force_suppress else top[:, 0],
                         self.nms_threshold, strict=False)] = True
        top[~kept, 0] = -1
        return out

    def _decode(self, anchors, offsets):
        ax = (anchors[:, 0] + anchors[:, 2]) / 2
        ay = (anchors[:, 1] + anchors[:, 3]) / 2
        aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
        v = self.variances
        ox = offsets[..., 0] * v[0] * aw + ax
        oy = offsets[..., 1] * v[1] * ah + ay
        ow = np.exp(offsets[..., 2] * v[2]) * aw / 2
        oh = np.exp(offsets[..., 3] * v[3]) * ah / 2
        boxes = np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
        return np.clip(boxes, 0, 1) if self.clip else boxes

    def backward(self, xp, grad):
        return (None, None, None)

    def infer_shape(self, in_shapes):
        cls_prob, loc_pred, anchor = in_shapes
        if cls_prob is None:
            raise shape_error(self, 'needs the shape of cls_prob')
        batch, _, num_anchors = cls_prob
        return [tuple(cls_prob), tuple(loc_pred or (batch, num_anchors * 4)),
                tuple(anchor or (1, num_anchors, 4))], [(batch, num_anchors, 6)]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t] * 3, [t]
