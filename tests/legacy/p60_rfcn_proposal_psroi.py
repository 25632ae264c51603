# R-FCN in the style of MXNet's example/rcnn and the Deformable-ConvNets MXNet code, shrunk to
# Gluon: a small backbone, an RPN head whose scores go through the reshape / softmax / reshape
# trick into contrib.Proposal (one image, with scores) and contrib.MultiProposal (the batch),
# proposal targets labelled by IoU in NumPy, the position-sensitive score maps pooled by
# contrib.PSROIPooling and averaged into class scores and class-agnostic box deltas, and the
# deformable variant: DeformablePSROIPooling with no_trans pooling the offset maps, a Dense layer
# turning them into part offsets and a second DeformablePSROIPooling reading the score maps at
# the moved bins. A few SGD steps of each head (the proposals hold no gradient, as in MXNet).
import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(60)
STRIDE, SCALES, RATIOS = 4, (2, 4), (0.5, 1, 2)
NUM_ANCHORS = len(SCALES) * len(RATIOS)
NUM_CLASSES, K = 3, 2


class RPN(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(RPN, self).__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='body_')
            with self.body.name_scope():
                self.body.add(nn.Conv2D(6, 3, strides=2, padding=1), nn.Activation('relu'))
                self.body.add(nn.Conv2D(8, 3, strides=2, padding=1), nn.Activation('relu'))
            self.rpn_conv = nn.Conv2D(8, 3, padding=1, prefix='rpn_conv_3x3_')
            self.rpn_cls_score = nn.Conv2D(2 * NUM_ANCHORS, 1, prefix='rpn_cls_score_')
            self.rpn_bbox_pred = nn.Conv2D(4 * NUM_ANCHORS, 1, prefix='rpn_bbox_pred_')

    def hybrid_forward(self, F, x):
        feat = self.body(x)
        rpn = F.Activation(self.rpn_conv(feat), act_type='relu')
        score = self.rpn_cls_score(rpn)
        score_reshape = F.Reshape(score, shape=(0, 2, -1, 0))
        prob = F.softmax(score_reshape, axis=1)
        prob = F.Reshape(prob, shape=(0, 2 * NUM_ANCHORS, -1, 0))
        return feat, score_reshape, prob, self.rpn_bbox_pred(rpn)


x = nd.array(rng.uniform(0, 1, (2, 3, 16, 16)))
im_info = nd.array([[16, 16, 1], [16, 16, 1]])
rpn = RPN()
rpn.initialize()
with autograd.train_mode():
    rpn(x)
set_weights(rpn, 60, 0.4)
rpn.hybridize()
feat, score_reshape, prob, bbox_pred = rpn(x)
print('rpn', feat.shape, score_reshape.shape, prob.shape, bbox_pred.shape)
rois0, scores0 = nd.contrib.Proposal(prob[0:1], bbox_pred[0:1], im_info[0:1], feature_stride=STRIDE,
                                     scales=SCALES, ratios=RATIOS, rpn_pre_nms_top_n=60,
                                     rpn_post_nms_top_n=6, threshold=0.7, rpn_min_size=2,
                                     output_score=True)
print('proposal', rois0.shape, scores0.shape)
for r, s in zip(rois0.asnumpy(), scores0.asnumpy()):
    print('  roi', ' '.join('%.4f' % v for v in r), 'score %.6f' % s[0])
rois = nd.contrib.MultiProposal(prob, bbox_pred, im_info, feature_stride=STRIDE, scales=SCALES,
                                ratios=RATIOS, rpn_pre_nms_top_n=60, rpn_post_nms_top_n=6,
                                threshold=0.7, rpn_min_size=2)
print('multiproposal', rois.shape, 'batch ids', rois[:, 0].asnumpy().astype(int).tolist())
print('first image equal', float(nd.abs(rois[:6] - rois0).max().asscalar()))
show('second image rois', rois[6:8])

# the RPN losses: softmax on the reshaped scores (the examples' SoftmaxOutput with
# multi_output=True and ignore_label=-1) and a weighted smooth L1 on the box deltas
rpn_label = nd.array(rng.randint(-1, 2, (2, NUM_ANCHORS * 4 * 4)))
rpn_bbox_target = nd.array(rng.uniform(-1, 1, (2, 4 * NUM_ANCHORS, 4, 4)))
rpn_bbox_weight = nd.array(rng.randint(0, 2, (2, 4 * NUM_ANCHORS, 4, 4)))
rpn_trainer = gluon.Trainer(rpn.collect_params(), 'sgd', {'learning_rate': 0.1})
with autograd.record():
    _, score_reshape, prob, bbox_pred = rpn(x)
    logits = score_reshape.reshape((0, 2, -1)).transpose((0, 2, 1))
    rpn_cls_loss = gluon.loss.SoftmaxCrossEntropyLoss()(logits, rpn_label,
                                                        (rpn_label >= 0).expand_dims(-1))
    rpn_box_loss = nd.smooth_l1(rpn_bbox_weight * (bbox_pred - rpn_bbox_target), scalar=3.0)
    rpn_box_loss = rpn_box_loss.sum(axis=0, exclude=True) / 64
    proposals = nd.contrib.MultiProposal(prob, bbox_pred, im_info, feature_stride=STRIDE,
                                         scales=SCALES, ratios=RATIOS, rpn_pre_nms_top_n=60,
                                         rpn_post_nms_top_n=6, threshold=0.7, rpn_min_size=2)
autograd.backward([rpn_cls_loss, rpn_box_loss])
print('rpn cls loss', ' '.join('%.6f' % v for v in rpn_cls_loss.asnumpy()))
print('rpn box loss', ' '.join('%.6f' % v for v in rpn_box_loss.asnumpy()))
print('proposals under record', proposals.shape, float(nd.abs(proposals - rois).max().asscalar()))
show('rpn cls grad', rpn.rpn_cls_score.weight.grad()[0])
show('rpn bbox grad', rpn.rpn_bbox_pred.weight.grad()[0])
rpn_trainer.step(2)
# a step on the classification loss alone: the box branch of the hybridized RPN gets zero
# gradients from its graph, so the Trainer does not call them stale
with autograd.record():
    _, score_reshape, _, _ = rpn(x)
    logits = score_reshape.reshape((0, 2, -1)).transpose((0, 2, 1))
    rpn_cls_loss = gluon.loss.SoftmaxCrossEntropyLoss()(logits, rpn_label,
                                                        (rpn_label >= 0).expand_dims(-1))
rpn_cls_loss.backward()
rpn_trainer.step(2)
print('rpn cls-only loss', ' '.join('%.6f' % v for v in rpn_cls_loss.asnumpy()),
      'box grad', rpn.rpn_bbox_pred.weight.grad().abs().sum().asscalar())

# proposal targets: IoU with the ground truth in NumPy
gt = [np.array([[1, 1, 9, 10, 1], [6, 4, 15, 12, 2]], 'float32'),
      np.array([[2, 6, 12, 15, 2]], 'float32')]


def iou(boxes, gt_boxes):
    lt = np.maximum(boxes[:, None, :2], gt_boxes[None, :, :2])
    rb = np.minimum(boxes[:, None, 2:4], gt_boxes[None, :, 2:4])
    wh = np.clip(rb - lt + 1, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda b: (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return inter / (area(boxes)[:, None] + area(gt_boxes)[None, :] - inter)


roi_np = rois.asnumpy()
labels, box_targets = np.zeros(len(roi_np), 'float32'), np.zeros((len(roi_np), 8), 'float32')
for i, r in enumerate(roi_np):
    g = gt[int(r[0])]
    overlaps = iou(r[None, 1:], g)[0]
    j = overlaps.argmax()
    if overlaps[j] >= 0.3:
        labels[i] = g[j, 4]
        w, h = r[3] - r[1] + 1, r[4] - r[2] + 1
        gw, gh = g[j, 2] - g[j, 0] + 1, g[j, 3] - g[j, 1] + 1
        box_targets[i, 4:] = [(g[j, 0] + 0.5 * gw - r[1] - 0.5 * w) / w,
                              (g[j, 1] + 0.5 * gh - r[2] - 0.5 * h) / h,
                              np.log(gw / w), np.log(gh / h)]
print('labels', labels.astype(int).tolist())
labels, box_targets = nd.array(labels), nd.array(box_targets)
box_mask = nd.array(np.repeat((labels.asnumpy() > 0)[:, None], 8, 1) *
                    np.array([0, 0, 0, 0, 1, 1, 1, 1], 'float32'))


class RFCNHead(gluon.HybridBlock):
    def __init__(self, deformable=False, **kwargs):
        super(RFCNHead, self).__init__(**kwargs)
        self._deformable = deformable
        with self.name_scope():
            self.conv_new = nn.Conv2D(8, 1, prefix='conv_new_1_')
            self.rfcn_cls = nn.Conv2D(NUM_CLASSES * K * K, 1, prefix='rfcn_cls_')
            self.rfcn_bbox = nn.Conv2D(8 * K * K, 1, prefix='rfcn_bbox_')
            if deformable:
                self.offset_t = nn.Conv2D(2 * K * K, 1, prefix='rfcn_offset_t_')
                self.offset = nn.Dense(2 * K * K, prefix='rfcn_offset_')

    def _pool(self, F, data, rois, dim, trans=None):
        if not self._deformable:
            return F.contrib.PSROIPooling(data, rois, spatial_scale=1. / STRIDE, output_dim=dim,
                                          pooled_size=K, group_size=K)
        return F.contrib.DeformablePSROIPooling(data, rois, trans, spatial_scale=1. / STRIDE,
                                                output_dim=dim, group_size=K, pooled_size=K,
                                                part_size=K, sample_per_part=2, trans_std=0.1,
                                                no_trans=False)

    def hybrid_forward(self, F, feat, rois):
        conv = F.Activation(self.conv_new(feat), act_type='relu')
        trans = None
        if self._deformable:
            offset_t = F.contrib.DeformablePSROIPooling(
                self.offset_t(conv), rois, spatial_scale=1. / STRIDE, output_dim=2, group_size=K,
                pooled_size=K, sample_per_part=2, no_trans=True, part_size=K)
            trans = F.reshape(self.offset(offset_t), (-1, 2, K, K))
        cls = self._pool(F, self.rfcn_cls(conv), rois, NUM_CLASSES, trans)
        bbox = self._pool(F, self.rfcn_bbox(conv), rois, 8, trans)
        cls_score = F.reshape(F.Pooling(cls, global_pool=True, kernel=(K, K), pool_type='avg'),
                              (-1, NUM_CLASSES))
        bbox_pred = F.reshape(F.Pooling(bbox, global_pool=True, kernel=(K, K), pool_type='avg'),
                              (-1, 8))
        return cls_score, bbox_pred


feat = rpn(x)[0].detach()
cls_loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
box_loss_fn = gluon.loss.HuberLoss(rho=1.0)
for deformable in (False, True):
    head = RFCNHead(deformable, prefix='rfcn%d_' % deformable)
    head.initialize(mx.init.Normal(0.01))
    with autograd.train_mode():
        head(feat, rois)
    set_weights(head, 61 + deformable, 0.5)
    head.hybridize()
    trainer = gluon.Trainer(head.collect_params(), 'sgd', {'learning_rate': 0.5, 'momentum': 0.9})
    tag = 'deformable' if deformable else 'psroi'
    for step in range(3):
        with autograd.record():
            cls_score, bbox_pred = head(feat, rois)
            l_cls = cls_loss_fn(cls_score, labels)
            l_box = box_loss_fn(bbox_pred * box_mask, box_targets)
            loss = l_cls + l_box
        loss.backward()
        trainer.step(len(labels))
        print('%s step %d cls %.6f box %.6f' % (tag, step, l_cls.mean().asscalar(),
                                                l_box.mean().asscalar()))
    show('%s rfcn_cls grad' % tag, head.rfcn_cls.weight.grad()[:, :2])
    show('%s rfcn_bbox grad' % tag, head.rfcn_bbox.weight.grad()[16:24].abs().sum(axis=1))
    if deformable:
        show('offset dense grad', head.offset.weight.grad()[:, :2])
        show('offset_t conv grad', head.offset_t.weight.grad()[:, :2])
    cls_score, bbox_pred = head(feat, rois)
    show('%s class probs' % tag, nd.softmax(cls_score)[:4])
    show('%s box deltas' % tag, bbox_pred[0])

# the pooling operators on their own: a data gradient through PSROIPooling
maps = nd.array(rng.uniform(-1, 1, (1, 2 * 9, 6, 6)))
maps.attach_grad()
boxes = nd.array([[0, 0, 0, 20, 16], [0, 6.3, 2.7, 23.6, 20.2]])
with autograd.record():
    pooled = nd.contrib.PSROIPooling(maps, boxes, spatial_scale=0.25, output_dim=2, pooled_size=3)
    (pooled * nd.arange(36).reshape((2, 2, 3, 3))).sum().backward()
show('psroi pooled', pooled[1])
show('psroi data grad', maps.grad[0, 4:6])
