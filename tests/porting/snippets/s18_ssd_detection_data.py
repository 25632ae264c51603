import minigluon as mx
import io
import os
import random
import shutil
import tempfile
import numpy as np
from PIL import Image
from minigluon import nd, gluon

# The object-detection data path of MXNet's example/ssd and GluonCV 0.x's SSD targets: a
# detection .rec (im2rec's label layout), ImageDetIter with CreateDetAugmenter, the C++-era
# ImageDetRecordIter behind example/ssd's DetRecordIter, and GluonCV's BipartiteMatcher.
rng = np.random.RandomState(5)
folder = tempfile.mkdtemp()
REC, IDX = os.path.join(folder, 'ssd.rec'), os.path.join(folder, 'ssd.idx')
writer = mx.recordio.MXIndexedRecordIO(IDX, REC, 'w')
for i in range(5):
    h, w = 20 + 2 * i, 24 - i
    buf = io.BytesIO()
    Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8)).save(buf, format='PNG')
    count = 1 + i % 3
    xy = np.round(rng.uniform(0, 0.5, (count, 2)) * 16) / 16
    wh = np.round(rng.uniform(0.2, 0.45, (count, 2)) * 16) / 16
    objects = np.concatenate([rng.randint(0, 4, (count, 1)), xy, xy + wh], axis=1)
    label = np.concatenate([[2, 5], objects.ravel()]).astype(np.float32)
    writer.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), buf.getvalue()))
writer.close()
val_image = Image.fromarray(rng.randint(0, 256, (12, 12, 3)).astype(np.uint8))
val_image.save(os.path.join(folder, 'val.png'))

random.seed(3)
train = mx.image.ImageDetIter(batch_size=2, data_shape=(3, 16, 16), path_imgrec=REC,
                              path_imgidx=IDX, shuffle=True, rand_crop=0.5, rand_pad=0.5,
                              rand_mirror=True, mean=True, std=True)
val = mx.image.ImageDetIter(batch_size=2, data_shape=(3, 16, 16), imglist=[
    [[2, 5, 1, 0.1, 0.1, 0.6, 0.7], 'val.png']], path_root=folder)
val = train.sync_label_shape(val)
print(train.label_shape, val.label_shape, train.provide_label[0][1], train.provide_data[0][1])
for epoch in range(2):
    for batch in train:
        print(epoch, batch.pad, np.round(batch.label[0].asnumpy(), 4).tolist(),
              round(float(batch.data[0].sum().asscalar()), 1))
    train.reset()

# example/ssd's DetRecordIter reads the header width at column 4 and the objects after it
rec = mx.io.ImageDetRecordIter(path_imgrec=REC, batch_size=2, data_shape=(3, 16, 16),
                               label_pad_width=20, mean_r=123.68, mean_g=116.779, mean_b=103.939)
batch = rec.next()
first = batch.label[0][0].asnumpy()
start, width = 4 + int(first[4]), int(first[5])
print(rec.provide_label[0][1], start, width, first[start:start + 2 * width].tolist())
print(round(float(batch.data[0].mean().asscalar()), 3))


class BipartiteMatcher(gluon.HybridBlock):
    """GluonCV's matcher: each ground truth takes the anchor it overlaps most."""
    def hybrid_forward(self, F, x):
        match = F.contrib.bipartite_matching(x, threshold=1e-12, is_ascend=False)
        return match[0]


anchors = nd.contrib.MultiBoxPrior(nd.zeros((1, 1, 3, 3)), sizes=(0.4, 0.2), ratios=(1, 2))
gt = batch.label[0][:, start:start + 2 * width].reshape((2, 2, width))[:, :, 1:5]
ious = nd.transpose(nd.contrib.box_iou(anchors[0], gt), (1, 0, 2))
matcher = BipartiteMatcher()
matcher.hybridize()
print(ious.shape, matcher(ious).asnumpy().astype(int).tolist())
shutil.rmtree(folder)
