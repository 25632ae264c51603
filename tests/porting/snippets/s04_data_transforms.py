import minigluon as mx
import numpy as np
from minigluon import nd, gluon
from minigluon.gluon.data.vision import transforms

rng = np.random.RandomState(0)
imgs = rng.randint(0, 256, size=(10, 8, 8, 3)).astype('uint8')
labels = np.arange(10) % 3
ds = gluon.data.ArrayDataset(nd.array(imgs, dtype='uint8'), labels)
print('len', len(ds), type(ds[0][0]).__name__, ds[0][0].shape, ds[0][0].dtype, ds[0][1])
tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))])
ds_t = ds.transform_first(tf)
img, lab = ds_t[3]
print('transformed', img.shape, img.dtype, '%.6f %.6f' % (img.mean().asscalar(), img[1, 2, 3].asscalar()), lab)
loader = gluon.data.DataLoader(ds_t, batch_size=4, shuffle=False, last_batch='keep')
for data, label in loader:
    print('batch', data.shape, label.shape, label.dtype, label.asnumpy().tolist())
print('len keep', len(loader))
print('len discard', len(gluon.data.DataLoader(ds_t, batch_size=4, last_batch='discard')))
roll = gluon.data.DataLoader(ds_t, batch_size=4, last_batch='rollover')
print('rollover', [b[0].shape[0] for b in roll], [b[0].shape[0] for b in roll])
sq = gluon.data.SimpleDataset(list(range(6))).transform(lambda v: v * v)
print('simple', [sq[i] for i in range(len(sq))])
pairs = gluon.data.ArrayDataset(np.arange(6).reshape(6, 1).astype('float32'), np.arange(6))
lazy = pairs.transform(lambda d, l: (d * 2, l + 1), lazy=False)
print('tuple transform', lazy[2][0].tolist() if hasattr(lazy[2][0], 'tolist') else lazy[2][0], lazy[2][1])
print('take', len(pairs.take(4)), 'filter', len(pairs.filter(lambda s: s[1] % 2 == 0)))
tt = transforms.ToTensor()(nd.array(imgs[0], dtype='uint8'))
print('ToTensor', tt.shape, tt.dtype, '%.6f' % tt.sum().asscalar())
cast = transforms.Cast('float16')(nd.ones((2, 2)))
print('Cast', cast.dtype)
r = transforms.Resize(4)(nd.array(imgs[0], dtype='uint8'))
print('Resize', r.shape, r.dtype)
cc = transforms.CenterCrop(4)(nd.array(imgs[0], dtype='uint8'))
print('CenterCrop', cc.shape, cc[0, 0].asnumpy().tolist())
batches = list(gluon.data.DataLoader(gluon.data.ArrayDataset(np.ones((5, 2), 'float32'), np.arange(5)), batch_size=2,
                                     sampler=gluon.data.SequentialSampler(5)))
print('sampler', len(batches))
bs = gluon.data.BatchSampler(gluon.data.SequentialSampler(7), 3, 'keep')
print('batch sampler', list(bs))
big = nd.array(rng.randint(0, 256, size=(6, 10, 3)), dtype='uint8')
for size in [(4, 2), 5, (8, 8), (12, 3)]:
    out = transforms.CenterCrop(size)(big)
    print('CenterCrop', size, out.shape, out.dtype)
    if size in [(4, 2), 5]:
        print('cropped values', out[:, :, 0].asnumpy().ravel().tolist()[:8])
img0 = nd.array(imgs[0], dtype='uint8')
mx.random.seed(1)
flips = [transforms.RandomFlipLeftRight()(img0) for _ in range(20)]
kinds = set()
for f in flips:
    if (f == img0).asnumpy().all():
        kinds.add('same')
    elif (f == nd.flip(img0, axis=1)).asnumpy().all():
        kinds.add('lr')
print('flip lr kinds', sorted(kinds), flips[0].shape, flips[0].dtype)
tb = [transforms.RandomFlipTopBottom()(img0) for _ in range(20)]
print('flip tb kinds', sorted(set('same' if (f == img0).asnumpy().all() else
                                   'tb' if (f == nd.flip(img0, axis=0)).asnumpy().all() else 'other' for f in tb)))
try:
    transforms.RandomFlipLeftRight()(nd.array(imgs[:4], dtype='uint8'))
except Exception as e:
    print('batch flip fails', 'must have shape' in str(e) or '3-D' in str(e))
aug = transforms.Compose([transforms.RandomFlipLeftRight(), transforms.CenterCrop(6), transforms.ToTensor()])
print('train aug', aug(img0).shape, aug(img0).dtype)
