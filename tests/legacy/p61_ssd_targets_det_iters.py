# The SSD training-target path of GluonCV 0.x and MXNet's example/ssd, shrunk: a folder of tiny
# PNG images with a detection .lst (im2rec's layout: header width 2, object width 5) read by
# mx.image.ImageDetIter with CreateDetAugmenter (seeded random crops and mirrors, as the
# iterator draws from Python's random), the same images packed by mx.recordio into an indexed
# .rec and read by mx.io.ImageDetRecordIter (no shuffle, no mirror, mean subtraction, padded
# labels), MultiBoxPrior anchors, GluonCV's BipartiteMatcher (F.contrib.bipartite_matching)
# composed with a MaximumMatcher over contrib.box_iou, a MultiClassEncoder and a
# NormalizedBoxCenterEncoder, and two SGD steps of a tiny SSD head on those targets.
import os
import random
import shutil
import tempfile

import minigluon as mx
import numpy as np
from PIL import Image
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(61)
root = tempfile.mkdtemp()
records = []
for i in range(5):
    h, w = 18 + 3 * i, 26 - 2 * i
    pixels = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
    fname = 'img_%d.png' % i
    Image.fromarray(pixels).save(os.path.join(root, fname))
    objects = []
    for k in range(1 + i % 2):
        x0, y0 = np.round(rng.uniform(0, 0.45, 2) * 16) / 16
        bw, bh = np.round(rng.uniform(0.3, 0.5, 2) * 16) / 16
        objects.append([rng.randint(0, 3), x0, y0, x0 + bw, y0 + bh])
    records.append((fname, np.array(objects, 'float32')))

with open(os.path.join(root, 'train.lst'), 'w') as f:
    for i, (fname, objects) in enumerate(records):
        label = [2, 5] + objects.ravel().tolist()
        f.write('%d\t%s\t%s\n' % (i, '\t'.join('%.4f' % v for v in label), fname))

rec_path, idx_path = os.path.join(root, 'train.rec'), os.path.join(root, 'train.idx')
record = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'w')
for i, (fname, objects) in enumerate(records):
    with open(os.path.join(root, fname), 'rb') as img_file:
        payload = img_file.read()
    label = np.concatenate([[2, 5], objects.ravel()]).astype('float32')
    record.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), payload))
record.close()

# ------------------------------------------------------------------ ImageDetIter over the .lst
data_shape = (3, 16, 16)
random.seed(61)
augs = mx.image.CreateDetAugmenter(data_shape, rand_crop=0.5, rand_mirror=True,
                                   min_object_covered=0.5, area_range=(0.3, 1.0),
                                   mean=np.array([123.68, 116.28, 103.53]),
                                   std=np.array([58.395, 57.12, 57.375]))
print([type(a).__name__ for a in augs])
train_iter = mx.image.ImageDetIter(batch_size=2, data_shape=data_shape,
                                   path_imglist=os.path.join(root, 'train.lst'), path_root=root,
                                   shuffle=True, aug_list=augs)
print('label shape', train_iter.label_shape, train_iter.provide_data[0][1],
      train_iter.provide_label[0][1])
batches = []
for epoch in range(2):
    train_iter.reset()
    for batch in train_iter:
        batches.append(batch)
        print('epoch %d pad %d' % (epoch, batch.pad), 'data mean %.5f' %
              batch.data[0].mean().asscalar())
        for row in batch.label[0].asnumpy():
            print('   ', ' '.join('%.4f' % v for v in row.ravel()))

# ------------------------------------------------------------------ ImageDetRecordIter over the .rec
rec_iter = mx.io.ImageDetRecordIter(path_imgrec=rec_path, path_imgidx=idx_path, batch_size=2,
                                    data_shape=data_shape, label_pad_width=16, shuffle=False,
                                    mean_r=123.68, mean_g=116.28, mean_b=103.53, std_r=58.395,
                                    std_g=57.12, std_b=57.375)
print('rec provide', rec_iter.provide_data[0][1], rec_iter.provide_label[0][1])
for batch in rec_iter:
    label = batch.label[0].asnumpy()
    print('rec pad %d' % batch.pad, 'data mean %.5f' % batch.data[0].mean().asscalar(),
          'first pixels', ' '.join('%.4f' % v for v in batch.data[0][0, :, 0, 0].asnumpy()))
    for row in label:
        header, width = 4 + int(row[4]), int(row[5])
        print('    head', row[:4].tolist(), 'objects',
              np.round(row[header:header + 2 * width], 4).reshape((-1, width)).tolist(),
              'pad', row[header + 2 * width:].tolist())
rec_iter.reset()
rec_batch = rec_iter.next()


# ------------------------------------------------------------------ GluonCV-style matchers/encoders
class CompositeMatcher(gluon.HybridBlock):
    def __init__(self, matchers):
        super(CompositeMatcher, self).__init__()
        assert len(matchers) > 0, "At least one matcher required."
        for matcher in matchers:
            assert isinstance(matcher, gluon.HybridBlock)
        self._matchers = nn.HybridSequential()
        for m in matchers:
            self._matchers.add(m)

    def hybrid_forward(self, F, x):
        matches = [matcher(x) for matcher in self._matchers]
        return self._compose_matches(F, matches)

    def _compose_matches(self, F, matches):
        result = matches[0]
        for match in matches[1:]:
            result = F.where(result > -0.5, result, match)
        return result


class BipartiteMatcher(gluon.HybridBlock):
    def __init__(self, threshold=1e-12, is_ascend=False, eps=1e-12, share_max=True):
        super(BipartiteMatcher, self).__init__()
        self._threshold, self._is_ascend = threshold, is_ascend
        self._eps, self._share_max = eps, share_max

    def hybrid_forward(self, F, x):
        match = F.contrib.bipartite_matching(x, threshold=self._threshold,
                                             is_ascend=self._is_ascend)
        pos = match[0]
        if self._share_max:
            # an anchor whose best overlap ties the matched maximum of some object also matches
            mask = F.broadcast_greater_equal(x + self._eps, F.max(x, 1, keepdims=True))
            masked = F.where(mask, x, F.ones_like(x) * -1)
            pos = F.where(pos > -0.5, pos, F.where(F.max(masked, -1) > 0,
                                                   F.argmax(masked, -1), pos))
        return pos


class MaximumMatcher(gluon.HybridBlock):
    def __init__(self, threshold):
        super(MaximumMatcher, self).__init__()
        self._threshold = threshold

    def hybrid_forward(self, F, x):
        argmax = F.argmax(x, axis=-1)
        match = F.where(F.pick(x, argmax, axis=-1) >= self._threshold, argmax,
                        F.ones_like(argmax) * -1)
        return match


class NaiveSampler(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        marker = F.ones_like(x)
        return F.where(x >= 0, marker, marker * -1)


class MultiClassEncoder(gluon.HybridBlock):
    def __init__(self, ignore_label=-1):
        super(MultiClassEncoder, self).__init__()
        self._ignore_label = ignore_label

    def hybrid_forward(self, F, samples, matches, refs):
        refs = F.broadcast_like(F.reshape(refs, (0, 1, -1)), matches, lhs_axes=1, rhs_axes=1)
        target_ids = F.pick(refs, matches, axis=2) + 1
        targets = F.where(samples > 0.5, target_ids, F.ones_like(target_ids) * self._ignore_label)
        return F.where(samples < -0.5, F.zeros_like(targets), targets)


class NormalizedBoxCenterEncoder(gluon.Block):
    def __init__(self, stds=(0.1, 0.1, 0.2, 0.2), means=(0., 0., 0., 0.)):
        super(NormalizedBoxCenterEncoder, self).__init__()
        self._stds, self._means = stds, means

    def forward(self, samples, matches, anchors, refs):
        F = nd
        ref_boxes = F.repeat(refs.reshape((0, 1, -1, 4)), axis=1, repeats=matches.shape[1])
        ref_boxes = F.split(ref_boxes, axis=-1, num_outputs=4, squeeze_axis=True)
        ref_boxes = F.concat(*[F.pick(ref_boxes[i], matches, axis=2).reshape((0, -1, 1))
                               for i in range(4)], dim=2)
        g = [F.slice_axis(ref_boxes, axis=-1, begin=i, end=i + 1) for i in range(4)]
        a = [F.slice_axis(anchors, axis=-1, begin=i, end=i + 1) for i in range(4)]
        gw, gh = g[2] - g[0], g[3] - g[1]
        aw, ah = a[2] - a[0], a[3] - a[1]
        t0 = ((g[0] + gw / 2 - a[0] - aw / 2) / aw - self._means[0]) / self._stds[0]
        t1 = ((g[1] + gh / 2 - a[1] - ah / 2) / ah - self._means[1]) / self._stds[1]
        t2 = (F.log(gw / aw) - self._means[2]) / self._stds[2]
        t3 = (F.log(gh / ah) - self._means[3]) / self._stds[3]
        codecs = F.concat(t0, t1, t2, t3, dim=2)
        temp = F.tile(samples.reshape((0, -1, 1)), reps=(1, 1, 4)) > 0.5
        targets = F.where(temp, codecs, F.zeros_like(codecs))
        return targets, F.where(temp, F.ones_like(temp), F.zeros_like(temp))


class SSDTargetGenerator(gluon.Block):
    def __init__(self, iou_thresh=0.5, **kwargs):
        super(SSDTargetGenerator, self).__init__(**kwargs)
        self._matcher = CompositeMatcher([BipartiteMatcher(share_max=False),
                                          MaximumMatcher(iou_thresh)])
        self._matcher.hybridize()
        self._sampler = NaiveSampler()
        self._cls_encoder = MultiClassEncoder()
        self._box_encoder = NormalizedBoxCenterEncoder()

    def forward(self, anchors, gt_boxes, gt_ids):
        anchors = anchors.reshape((-1, 4))
        ious = nd.transpose(nd.contrib.box_iou(anchors, gt_boxes), (1, 0, 2))
        valid = (gt_ids.reshape((0, 1, -1)) >= 0).broadcast_like(ious)
        ious = nd.where(valid, ious, nd.ones_like(ious) * -1)
        matches = self._matcher(ious)
        samples = self._sampler(matches)
        cls_targets = self._cls_encoder(samples, matches, gt_ids)
        box_targets, box_masks = self._box_encoder(samples, matches, anchors.expand_dims(0),
                                                   gt_boxes)
        return cls_targets, box_targets, box_masks, matches


anchors = nd.contrib.MultiBoxPrior(nd.zeros((1, 4, 4, 4)), sizes=(0.3, 0.5), ratios=(1, 2, 0.5),
                                   clip=True)
print('anchors', anchors.shape)
show('anchors', anchors[0, :3])
label = batches[1].label[0]
gt_ids, gt_boxes = label.slice_axis(axis=-1, begin=0, end=1), label.slice_axis(axis=-1, begin=1,
                                                                                 end=5)
target_gen = SSDTargetGenerator(iou_thresh=0.4)
cls_targets, box_targets, box_masks, matches = target_gen(anchors, gt_boxes, gt_ids)
print('matched anchors', [[(i, int(m)) for i, m in enumerate(row) if m >= 0]
                          for row in matches.asnumpy()])
print('positive anchors', [np.nonzero(c > 0)[0].tolist() for c in cls_targets.asnumpy()])
print('cls targets at positives', [c[c > 0].astype(int).tolist() for c in cls_targets.asnumpy()])
pos = np.nonzero(cls_targets.asnumpy()[0] > 0)[0]
show('box targets first positive', box_targets[0, int(pos[0])])
print('box mask sum', box_masks.sum().asscalar())

bip = BipartiteMatcher(share_max=True)
bip.hybridize()
ious = nd.transpose(nd.contrib.box_iou(anchors.reshape((-1, 4)), gt_boxes), (1, 0, 2))
print('share_max matches', [[(i, int(m)) for i, m in enumerate(row) if m >= 0]
                             for row in bip(ious).asnumpy()])
# topk=2 with two objects per image: MXNet 1.9.1 stops after topk + 1 matches, which two
# columns cannot reach
raw = nd.contrib.bipartite_matching(ious, threshold=0.1, is_ascend=False, topk=2)
print('raw bipartite rows', [np.nonzero(r >= 0)[0].tolist() for r in raw[0].asnumpy()],
      'cols', raw[1].asnumpy().astype(int).tolist())


# ------------------------------------------------------------------ a tiny SSD head on the targets
class TinySSD(gluon.HybridBlock):
    def __init__(self, num_anchors, num_classes, **kwargs):
        super(TinySSD, self).__init__(**kwargs)
        self._num_classes = num_classes
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(6, 3, strides=2, padding=1), nn.Activation('relu'),
                          nn.Conv2D(6, 3, strides=2, padding=1), nn.Activation('relu'))
            self.cls = nn.Conv2D(num_anchors * (num_classes + 1), 3, padding=1)
            self.box = nn.Conv2D(num_anchors * 4, 3, padding=1)

    def hybrid_forward(self, F, x):
        feat = self.body(x)
        cls = F.transpose(self.cls(feat), (0, 2, 3, 1)).reshape((0, -1, self._num_classes + 1))
        box = F.transpose(self.box(feat), (0, 2, 3, 1)).reshape((0, -1, 4))
        return cls, box


ssd = TinySSD(4, 3)
ssd.initialize()
images = batches[1].data[0]
with autograd.train_mode():
    ssd(images)
set_weights(ssd, 61, 0.2)
ssd.hybridize()
trainer = gluon.Trainer(ssd.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
cls_loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
box_loss_fn = gluon.loss.HuberLoss()
for step, (x, tgt) in enumerate([(images, (cls_targets, box_targets, box_masks)),
                                 (rec_batch.data[0], None)]):
    if tgt is None:
        rows = rec_batch.label[0]
        start, width = 4 + int(rows[0, 4].asscalar()), int(rows[0, 5].asscalar())
        objs = rows.slice_axis(axis=-1, begin=start, end=start + 2 * width).reshape((0, -1, 5))
        tgt = target_gen(anchors, objs.slice_axis(axis=-1, begin=1, end=5),
                         objs.slice_axis(axis=-1, begin=0, end=1))[:3]
    with autograd.record():
        cls_pred, box_pred = ssd(x)
        l_cls = cls_loss_fn(cls_pred, tgt[0], (tgt[0] >= 0).expand_dims(-1))
        l_box = box_loss_fn(box_pred * tgt[2], tgt[1])
        loss = l_cls + l_box
    loss.backward()
    trainer.step(2)
    print('ssd step %d cls %.6f box %.6f' % (step, l_cls.mean().asscalar(),
                                             l_box.mean().asscalar()))
show('ssd cls grad', ssd.cls.weight.grad()[:, 0, 0, 0])
shutil.rmtree(root)
