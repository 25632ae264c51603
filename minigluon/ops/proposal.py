"""Region proposals of Faster R-CNN's region proposal network (Ren et al., "Faster R-CNN", NIPS
2015): ``_contrib_Proposal`` (one image) and ``_contrib_MultiProposal`` (a batch).

Names, inputs, attributes and results follow MXNet 1.9.1's CPU operators
(``src/operator/contrib/proposal.cc``, ``multi_proposal.cc``), measured against it
(``tools/gen_vision_contrib_fixtures.py``). The arithmetic is float32, as MXNet's (which runs
these operators on float32 only), step by step, so that the boxes and their order match.

Per image:

1. anchors: for each ratio ``r`` (outer loop) and scale ``s`` (inner loop) a box centred on the
   ``feature_stride`` x ``feature_stride`` cell at the origin, ``floor(sqrt(floor(fs * fs / r))
   + 0.5) * s`` wide and ``floor(width / s * r + 0.5) * s`` high; moved by ``feature_stride``
   to each feature-map position; the anchors are ordered (row, column, anchor);
2. each anchor's score is ``cls_prob[b, A + a, y, x]`` (the foreground half of the channels);
   its box is moved by ``bbox_pred[b, 4a:4a + 4, y, x]`` (centre shifts relative to the size
   and log size ratios, or with ``iou_loss`` corner shifts) and clipped to the image
   ``im_info[b] = (height, width, scale)``; positions past ``int(height / feature_stride)``
   rows or the like columns score -1;
3. a box narrower or lower than ``rpn_min_size * scale`` is widened by that size on every side
   and scores -1;
4. the ``rpn_pre_nms_top_n`` best scores (all when it is not positive) go through greedy
   non-maximum suppression (IoU above ``threshold``, with MXNet's ``+ 1`` pixel areas), which
   stops after ``rpn_post_nms_top_n`` boxes;
5. the output holds ``rpn_post_nms_top_n`` rows ``(batch_index, x1, y1, x2, y2)``: the kept
   boxes, then the kept boxes again from the first, until the rows are full; with
   ``output_score`` a second output ``(rows, 1)`` holds their scores.

Equal scores keep the anchors' order here; MXNet 1.9.1 sorts with ``std::sort``, which leaves
the order of equal scores (the -1 of every filtered box, say) unspecified. Neither operator has
a gradient: as MXNet's, their backward gives zeros.
"""
import numpy as np

from minigluon.base import MXNetError
from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error

f32 = np.float32


def anchors(feature_stride, ratios, scales):
    """The ``(len(ratios) * len(scales), 4)`` base anchors ``(x1, y1, x2, y2)`` (float32),
    ratios in the outer loop."""
    side = f32(feature_stride)
    centre = f32(0.5 * (float(side) - 1.0))
    out = []
    for r in ratios:
        for s in scales:
            w = f32(np.floor(np.sqrt(np.floor(side * side / f32(r))) + f32(0.5))) * f32(s)
            h = f32(np.floor(w / f32(s) * f32(r) + f32(0.5))) * f32(s)
            out.append([centre - f32(0.5) * (w - f32(1)), centre - f32(0.5) * (h - f32(1)),
                        centre + f32(0.5) * (w - f32(1)), centre + f32(0.5) * (h - f32(1))])
    return np.array(out, dtype=f32)


def _to_f32(x):
    """Round a float64 intermediate to float32, as a C ``float`` assignment does."""
    return x.astype(f32)


class _ProposalBase(Op):
    """What Proposal and MultiProposal share; see the module docstring."""

    arguments = ('cls_prob', 'bbox_pred', 'im_info')
    num_outputs = 2
    attrs = {'rpn_pre_nms_top_n': Attr('int', 6000), 'rpn_post_nms_top_n': Attr('int', 300),
             'threshold': Attr('float', 0.7), 'rpn_min_size': Attr('int', 16),
             'scales': Attr('floats', (4.0, 8.0, 16.0, 32.0)),
             'ratios': Attr('floats', (0.5, 1.0, 2.0)),
             'feature_stride': Attr('int', 16), 'output_score': Attr('bool', False),
             'iou_loss': Attr('bool', False)}

    def check_attrs(self):
        self.num_visible_outputs = 2 if self.output_score else 1
        if self.rpn_post_nms_top_n < 1 or self.feature_stride < 1:
            raise ValueError('%s: rpn_post_nms_top_n and feature_stride must be positive, got '
                             '%d, %d' % (self.name, self.rpn_post_nms_top_n, self.feature_stride))
        if not self.scales or not self.ratios or min(self.ratios) <= 0:
            raise ValueError('%s: scales and ratios must be non-empty, ratios positive, got %s, %s'
                             % (self.name, tuple(self.scales), tuple(self.ratios)))

    def list_outputs(self):
        return ['output', 'score']

    def _check(self, cls_prob, bbox_pred, im_info):
        for name, a in zip(self.arguments, (cls_prob, bbox_pred, im_info)):
            require_float(self, a, name)
        a_n = len(self.scales) * len(self.ratios)
        n = cls_prob.shape[0] if cls_prob.ndim == 4 else -1
        if cls_prob.ndim != 4 or cls_prob.shape[1] != 2 * a_n:
            raise shape_error(self, 'cls_prob must be (batch, 2 * anchors, height, width) with '
                              '%d anchors (len(scales) * len(ratios))' % a_n,
                              cls_prob, bbox_pred, im_info)
        if bbox_pred.shape != (n, 4 * a_n) + cls_prob.shape[2:]:
            raise shape_error(self, 'bbox_pred must be (batch, 4 * anchors, height, width) = %s'
                              % ((n, 4 * a_n) + cls_prob.shape[2:],), cls_prob, bbox_pred, im_info)
        if im_info.shape != (n, 3):
            raise shape_error(self, 'im_info must be (batch, 3): rows (height, width, scale)',
                              cls_prob, bbox_pred, im_info)

    def _image(self, scores, deltas, info):
        """The kept boxes ``(K, 4)`` and scores ``(K,)`` of one image (host float32 arrays:
        ``scores`` ``(A, H, W)``, ``deltas`` ``(4A, H, W)``, ``info`` ``(3,)``)."""
        a_n, h, w = scores.shape
        fs = self.feature_stride
        base = anchors(fs, self.ratios, self.scales)                       # (A, 4)
        yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
        shift = np.stack([xx, yy, xx, yy], axis=-1)[:, :, None, :] * fs    # (H, W, 1, 4)
        boxes = (base[None, None] + shift.astype(f32)).reshape(-1, 4)      # (H * W * A, 4)
        score = scores.transpose(1, 2, 0).reshape(-1).copy()
        d = deltas.reshape(a_n, 4, h, w).transpose(2, 3, 0, 1).reshape(-1, 4)
        im_h, im_w, im_scale = info
        boxes = self._move(boxes, d, im_h, im_w)
        real_h, real_w = int(im_h / f32(fs)), int(im_w / f32(fs))
        if h < real_h or w < real_w:
            raise ValueError('%s: im_info (%s, %s) is larger than the feature map (%d, %d) times '
                             'feature_stride=%d' % (self.name, im_h, im_w, h, w, fs))
        padded = ((yy >= real_h) | (xx >= real_w))[:, :, None].repeat(a_n, axis=2).reshape(-1)
        score[padded] = -1
        min_size = f32(self.rpn_min_size) * im_scale
        small = ((boxes[:, 2] - boxes[:, 0] + f32(1)) < min_size) | \
            ((boxes[:, 3] - boxes[:, 1] + f32(1)) < min_size)
        grow = f32(min_size / f32(2))
        boxes[small] += np.array([-grow, -grow, grow, grow], dtype=f32)
        score[small] = -1
        count = len(score)
        pre = min(self.rpn_pre_nms_top_n if self.rpn_pre_nms_top_n > 0 else count, count)
        order = np.argsort(-score, kind='stable')[:pre]
        keep = self._nms(boxes[order], min(self.rpn_post_nms_top_n, pre))
        return boxes[order][keep], score[order][keep]

    def _move(self, boxes, d, im_h, im_w):
        """Apply the deltas ``d`` ``(K, 4)`` to ``boxes`` and clip them to the image, in
        MXNet's float32 (and double) steps."""
        if self.iou_loss:
            moved = boxes + d
        else:
            b = boxes.astype(np.float64)
            width = _to_f32(b[:, 2] - b[:, 0] + 1.0).astype(np.float64)
            height = _to_f32(b[:, 3] - b[:, 1] + 1.0).astype(np.float64)
            cx = _to_f32(b[:, 0] + 0.5 * (width - 1.0)).astype(np.float64)
            cy = _to_f32(b[:, 1] + 0.5 * (height - 1.0)).astype(np.float64)
            dd = d.astype(np.float64)
            px = _to_f32(dd[:, 0] * width + cx).astype(np.float64)
            py = _to_f32(dd[:, 1] * height + cy).astype(np.float64)
            pw = _to_f32(np.exp(dd[:, 2]) * width).astype(np.float64)
            ph = _to_f32(np.exp(dd[:, 3]) * height).astype(np.float64)
            moved = _to_f32(np.stack([px - 0.5 * (pw - 1.0), py - 0.5 * (ph - 1.0),
                                      px + 0.5 * (pw - 1.0), py + 0.5 * (ph - 1.0)], axis=1))
        limit = np.array([im_w, im_h, im_w, im_h], dtype=f32) - f32(1)
        return np.maximum(np.minimum(moved, limit), f32(0)).astype(f32)

    def _nms(self, dets, limit):
        """Indices of the boxes greedy suppression keeps, at most ``limit`` (``dets`` sorted)."""
        area = (dets[:, 2] - dets[:, 0] + f32(1)) * (dets[:, 3] - dets[:, 1] + f32(1))
        suppressed = np.zeros(len(dets), dtype=bool)
        keep = []
        thresh = f32(self.threshold)
        for i in range(len(dets)):
            if len(keep) >= limit:
                break
            if suppressed[i]:
                continue
            keep.append(i)
            rest = np.arange(i + 1, len(dets))
            rest = rest[~suppressed[rest]]
            if not len(rest):
                continue
            lo = np.maximum(dets[i, :2], dets[rest, :2])
            hi = np.minimum(dets[i, 2:], dets[rest, 2:])
            wh = np.maximum(f32(0), hi - lo + f32(1))
            inter = wh[:, 0] * wh[:, 1]
            overlap = inter / (area[i] + area[rest] - inter)
            suppressed[rest[overlap > thresh]] = True
        return np.array(keep, dtype=np.int64)

    def _rows(self, boxes, scores, batch_index):
        """``rpn_post_nms_top_n`` output rows and scores: the kept boxes, repeated cyclically."""
        pick = np.arange(self.rpn_post_nms_top_n) % len(boxes)
        rows = np.concatenate([np.full((len(pick), 1), batch_index, dtype=f32), boxes[pick]],
                              axis=1)
        return rows, scores[pick][:, None]

    def forward(self, xp, cls_prob, bbox_pred, im_info):
        self._check(cls_prob, bbox_pred, im_info)
        self._shapes = [(a.shape, a.dtype) for a in (cls_prob, bbox_pred, im_info)]
        probs, deltas, info = (to_host(a).astype(f32) for a in (cls_prob, bbox_pred, im_info))
        a_n = probs.shape[1] // 2
        rows, scores = [], []
        for b in range(probs.shape[0]):
            r, s = self._rows(*self._image(probs[b, a_n:], deltas[b], info[b]), b)
            rows.append(r)
            scores.append(s)
        dtype = cls_prob.dtype
        return (xp.asarray(np.concatenate(rows)).astype(dtype),
                xp.asarray(np.concatenate(scores)).astype(dtype))

    def backward(self, xp, grad, grad_score=None):
        return tuple(xp.zeros(shape, dtype=dtype) for shape, dtype in self._shapes)

    def infer_shape(self, in_shapes):
        cls_prob = in_shapes[0]
        if cls_prob is None or len(cls_prob) != 4:
            raise MXNetError('%s: needs the shape of cls_prob (batch, 2 * anchors, height, '
                             'width)' % self.name)
        n, c = cls_prob[:2]
        a_n = c // 2
        rows = self.rpn_post_nms_top_n * self._batch(n)
        want = [tuple(cls_prob), (n, 4 * a_n) + tuple(cls_prob[2:]), (n, 3)]
        return want, [(rows, 5), (rows, 1)]

    def infer_type(self, in_types):
        t = next((x for x in in_types if x is not None), np.dtype(np.float32))
        return [t] * 3, [t, t]


@register
class Proposal(_ProposalBase):
    """Region proposals for one image (MXNet 1.9.1 ``contrib.Proposal``); see the module
    docstring.

    Inputs: ``cls_prob`` ``(1, 2A, H, W)`` (background then foreground probabilities of the
    ``A = len(scales) * len(ratios)`` anchors), ``bbox_pred`` ``(1, 4A, H, W)``, ``im_info``
    ``(1, 3)``. Outputs: ``(rpn_post_nms_top_n, 5)`` rows ``(0, x1, y1, x2, y2)`` and, visible
    with ``output_score``, their scores ``(rpn_post_nms_top_n, 1)``. A batch of more than one
    image is a ValueError, as in MXNet (use MultiProposal).
    """

    name = '_contrib_Proposal'
    mxnet_input_names = True
    mxnet_output_names = True

    def _batch(self, n):
        return 1

    def forward(self, xp, cls_prob, bbox_pred, im_info):
        if cls_prob.ndim == 4 and cls_prob.shape[0] != 1:
            raise shape_error(self, 'takes one image (a batch of 1), as MXNet 1.9.1; use '
                              'MultiProposal for a batch', cls_prob, bbox_pred, im_info)
        return super().forward(xp, cls_prob, bbox_pred, im_info)


@register
class MultiProposal(_ProposalBase):
    """Region proposals for a batch of images (MXNet 1.9.1 ``contrib.MultiProposal``): each
    image as :class:`Proposal`, the ``rpn_post_nms_top_n`` rows of image ``b`` (batch index
    ``b``) after those of image ``b - 1``. Outputs ``(N * rpn_post_nms_top_n, 5)`` and, with
    ``output_score``, ``(N * rpn_post_nms_top_n, 1)``.
    """

    name = '_contrib_MultiProposal'
    mxnet_input_names = True
    mxnet_output_names = True

    def _batch(self, n):
        return n
