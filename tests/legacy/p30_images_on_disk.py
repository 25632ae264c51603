import io
import os
import random
import tempfile

import minigluon as mx
import numpy as np
from PIL import Image
from minigluon import gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.data import DataLoader
from minigluon.gluon.data.vision import ImageFolderDataset, ImageRecordDataset, transforms
from _common import set_weights, show

# Images on disk, the way a legacy pipeline meets them: a class-per-folder tree of PNG files,
# the same images packed into a RecordIO file with an index, then mx.image preprocessing for
# inference. PNG keeps every pixel exact in both frameworks.
rng = np.random.RandomState(30)
root = tempfile.mkdtemp()
pictures = []
for label, cls in enumerate(['cat', 'dog', 'emu']):
    os.makedirs(os.path.join(root, 'tree', cls))
    for k in range(3):
        h, w = 9 + 2 * k, 12 - k
        pixels = rng.randint(0, 256, size=(h, w, 3)).astype('uint8')
        path = os.path.join(root, 'tree', cls, 'img%d.png' % k)
        Image.fromarray(pixels).save(path)
        pictures.append((label, path, pixels))

folder = ImageFolderDataset(os.path.join(root, 'tree'))
print('folder', len(folder), folder.synsets)
img, label = folder[4]
print('item', img.shape, img.dtype, label, bool((img.asnumpy() == pictures[4][2]).all()))
gray, _ = ImageFolderDataset(os.path.join(root, 'tree'), flag=0)[4]
print('gray', gray.shape, gray.dtype)
show('gray pixels', gray[0, :, 0])

# The same images in a RecordIO file: header (label, id), PNG bytes.
rec_path, idx_path = os.path.join(root, 'data.rec'), os.path.join(root, 'data.idx')
writer = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'w')
for i, (label, path, _) in enumerate(pictures):
    header = mx.recordio.IRHeader(0, float(label), i, 0)
    writer.write_idx(i, mx.recordio.pack(header, open(path, 'rb').read()))
writer.close()
reader = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'r')
header, payload = mx.recordio.unpack(reader.read_idx(7))
print('record 7', header.flag, header.label, header.id, header.id2, len(payload) > 0)
decoded = mx.image.imdecode(payload)
print('decoded', decoded.shape, bool((decoded.asnumpy() == pictures[7][2]).all()))
reader.close()

# Multi-label headers round-trip as float32 arrays.
packed = mx.recordio.pack(mx.recordio.IRHeader(0, [1.5, 2.0, 3.25], 11, 0), b'xyz')
header, payload = mx.recordio.unpack(packed)
print('multi-label', header.flag, header.label.tolist(), header.id, payload)

records = ImageRecordDataset(rec_path)
print('records', len(records))
# (float32 before Resize)
pipeline = transforms.Compose([transforms.Cast('float32'), transforms.Resize((8, 8)), transforms.ToTensor(),
                               transforms.Normalize(mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))])
loader = DataLoader(records.transform_first(pipeline), batch_size=4, shuffle=False)
net = nn.HybridSequential()
net.add(nn.Conv2D(4, 3, activation='relu'), nn.GlobalAvgPool2D(), nn.Dense(3))
net.initialize()
net(nd.zeros((1, 3, 8, 8)))
set_weights(net, seed=30)
for data, label in loader:
    out = net(data)
    print('batch', data.shape, label.asnumpy().tolist())
    show('logits', out)

# Inference preprocessing with mx.image.
img = mx.image.imread(pictures[2][1])
print('imread', img.shape, img.dtype)
small = mx.image.resize_short(img, 6)
print('resize_short', small.shape)
crop, box = mx.image.center_crop(small, (6, 5))
print('center_crop', crop.shape, box)
fixed = mx.image.fixed_crop(img, 1, 2, 5, 4, size=(8, 8))
show('fixed_crop', fixed[3, :, 1])
print('scale_down', mx.image.scale_down((10, 12), (16, 8)))
for interp in (0, 1, 2, 3, 4):
    show('imresize interp %d' % interp, mx.image.imresize(img.astype('float32'), 7, 5, interp=interp)[2, :, 0])
normed = mx.image.color_normalize(crop.astype('float32') / 255, mean=nd.array([0.485, 0.456, 0.406]),
                                  std=nd.array([0.229, 0.224, 0.225]))
show('color_normalize', normed[0, :, 2])
random.seed(3)
np.random.seed(3)
rc, rbox = mx.image.random_crop(img, (5, 4))
print('random_crop', rc.shape, rbox)
x = nd.transpose(normed, (2, 0, 1)).expand_dims(0)
x = nd.contrib.BilinearResize2D(x, height=8, width=8)
show('prediction', nd.softmax(net(x)))
