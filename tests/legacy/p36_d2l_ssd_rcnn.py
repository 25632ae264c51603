# "Dive into Deep Learning" (MXNet edition) style: the object-detection chapters. Labelling anchors
# with contrib.nd.MultiBoxTarget, non-maximum suppression with MultiBoxDetection and box_nms, a
# tiny SSD trained for a few steps and used for prediction, and the R-CNN chapter's
# nd.ROIPooling example (with contrib.nd.ROIAlign beside it), gradients included.
import minigluon as mx
import numpy as np
from minigluon import autograd, contrib, gluon, nd
from minigluon.gluon import loss as gloss, nn
from _common import set_weights, show

# -- labelling anchors (the book's dog and cat)
ground_truth = nd.array([[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]])
anchors = nd.array([[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                    [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]])
labels = contrib.nd.MultiBoxTarget(anchors.expand_dims(axis=0), ground_truth.expand_dims(axis=0),
                                   nd.zeros((1, 3, 5)))
show('bbox offsets', labels[0])
show('bbox masks', labels[1])
show('class labels', labels[2])

# -- non-maximum suppression
anchors = nd.array([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                    [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]])
offset_preds = nd.array([0] * anchors.size)
cls_probs = nd.array([[0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]])
output = contrib.ndarray.MultiBoxDetection(cls_probs.expand_dims(axis=0),
                                           offset_preds.expand_dims(axis=0),
                                           anchors.expand_dims(axis=0), nms_threshold=0.5)
for row in output[0].asnumpy():
    print('detection', ' '.join('%.4f' % v for v in row))
rows = nd.concat(nd.array([[0], [0], [0], [1]]), cls_probs[1:].max(axis=0).reshape((-1, 1)), anchors,
                 dim=1)
show('box_nms', contrib.nd.box_nms(rows, overlap_thresh=0.5, id_index=0, topk=3))


# -- a tiny SSD
def cls_predictor(num_anchors, num_classes):
    return nn.Conv2D(num_anchors * (num_classes + 1), kernel_size=3, padding=1)


def bbox_predictor(num_anchors):
    return nn.Conv2D(num_anchors * 4, kernel_size=3, padding=1)


def flatten_pred(pred):
    return pred.transpose((0, 2, 3, 1)).flatten()


def concat_preds(preds):
    return nd.concat(*[flatten_pred(p) for p in preds], dim=1)


def down_sample_blk(num_channels):
    blk = nn.Sequential()
    for _ in range(2):
        blk.add(nn.Conv2D(num_channels, kernel_size=3, padding=1),
                nn.BatchNorm(in_channels=num_channels), nn.Activation('relu'))
    blk.add(nn.MaxPool2D(2))
    return blk


sizes = [[0.2, 0.272], [0.37, 0.447], [0.54, 0.619]]
ratios = [[1, 2, 0.5]] * 3
num_anchors = len(sizes[0]) + len(ratios[0]) - 1


def blk_forward(X, blk, size, ratio, cls_predictor, bbox_predictor):
    Y = blk(X)
    anchors = contrib.nd.MultiBoxPrior(Y, sizes=size, ratios=ratio)
    return Y, anchors, cls_predictor(Y), bbox_predictor(Y)


class TinySSD(nn.Block):
    def __init__(self, num_classes, **kwargs):
        super(TinySSD, self).__init__(**kwargs)
        self.num_classes = num_classes
        self.blk_0, self.blk_1 = down_sample_blk(8), down_sample_blk(8)
        self.blk_2 = nn.GlobalMaxPool2D()
        for i in range(3):
            setattr(self, 'cls_%d' % i, cls_predictor(num_anchors, num_classes))
            setattr(self, 'bbox_%d' % i, bbox_predictor(num_anchors))

    def forward(self, X):
        anchors, cls_preds, bbox_preds = [None] * 3, [None] * 3, [None] * 3
        for i in range(3):
            X, anchors[i], cls_preds[i], bbox_preds[i] = blk_forward(
                X, getattr(self, 'blk_%d' % i), sizes[i], ratios[i],
                getattr(self, 'cls_%d' % i), getattr(self, 'bbox_%d' % i))
        return (nd.concat(*anchors, dim=1),
                concat_preds(cls_preds).reshape((0, -1, self.num_classes + 1)),
                concat_preds(bbox_preds))


net = TinySSD(num_classes=2)
net.initialize()
X = nd.array(np.random.RandomState(33).uniform(0, 1, (2, 3, 16, 16)))
with autograd.record():      # (a first inference pass would let MXNet's oneDNN reorder the
    net(X)                   # convolution weights, which set_data then refuses)
set_weights(net, seed=33, scale=0.3)
anchors, cls_preds, bbox_preds = net(X)
print('anchors', anchors.shape, 'class preds', cls_preds.shape, 'bbox preds', bbox_preds.shape)

Y = nd.array([[[0, 0.1, 0.1, 0.6, 0.5], [1, 0.5, 0.4, 0.95, 0.9], [-1, -1, -1, -1, -1]],
              [[1, 0.2, 0.3, 0.7, 0.8], [-1, -1, -1, -1, -1], [-1, -1, -1, -1, -1]]])
cls_loss, bbox_loss = gloss.SoftmaxCrossEntropyLoss(), gloss.L1Loss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'wd': 5e-4})
for step in range(3):
    with autograd.record():
        anchors, cls_preds, bbox_preds = net(X)
        bbox_labels, bbox_masks, cls_labels = contrib.nd.MultiBoxTarget(
            anchors, Y, cls_preds.transpose((0, 2, 1)), negative_mining_ratio=3)
        l = (cls_loss(cls_preds, cls_labels)
             + bbox_loss(bbox_preds * bbox_masks, bbox_labels * bbox_masks))
    l.backward()
    trainer.step(2)
    print('step %d loss %.5f positives %d negatives %d' % (
        step, l.mean().asscalar(), (cls_labels > 0).sum().asscalar(),
        (cls_labels == 0).sum().asscalar()))

anchors, cls_preds, bbox_preds = net(X[:1])
cls_probs = cls_preds.softmax().transpose((0, 2, 1))
output = contrib.nd.MultiBoxDetection(cls_probs, bbox_preds, anchors, nms_topk=20)
kept = [row for row in output[0].asnumpy() if row[0] != -1]
print('kept', len(kept))
for row in kept[:3]:
    print('kept row', ' '.join('%.4f' % v for v in row))

# -- region-of-interest pooling (the R-CNN chapter)
X = nd.arange(16).reshape((1, 1, 4, 4))
rois = nd.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]])
show('ROIPooling', nd.ROIPooling(X, rois, pooled_size=(2, 2), spatial_scale=0.1))
X = nd.array(np.random.RandomState(34).uniform(-1, 1, (2, 2, 6, 6)))
X.attach_grad()
rois = nd.array([[0, 0, 0, 40, 40], [1, 10, 5, 50, 35], [1, 0, 0, 15, 15]])
with autograd.record():
    Y = contrib.nd.ROIAlign(X, rois, pooled_size=(2, 2), spatial_scale=0.1, sample_ratio=2)
    Z = nd.ROIPooling(X, rois, pooled_size=(3, 3), spatial_scale=0.1)
    total = Y.sum() + (Z * Z).sum()
total.backward()
show('ROIAlign', Y)
show('ROI gradient', X.grad[1])
