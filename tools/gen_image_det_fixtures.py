"""Golden values of MXNet 1.9.1's ``mx.image.det`` (the detection augmenters and
``ImageDetIter``) and of ``mx.io.ImageDetRecordIter``, for tests/test_image_det.py.

Run in the MXNet venv: ``/opt/mxvenv/bin/python tools/gen_image_det_fixtures.py``. Writes under
``tests/fixtures/image_det/``:

* the inputs: 7 random RGB PNG images of sizes 14x18 to 20x24 with detection labels, as
  ``det.rec`` / ``det.idx`` (label ``[4, 6, width, height, objects of 6 values...]``, im2rec's
  layout with the image size in the header and a "difficult" column) and as PNG files under
  ``png/`` with ``det.lst`` (label ``[2, 5, objects of 5 values...]``). Record 3 has an empty box
  (dropped when parsed), record 5 only objects of class -1 (skipped in batches);
* ``augs.json``: each augmenter case (augmenter, arguments, Python ``random`` seed, input image
  key and label) with MXNet's output label and image shape, ``augs.npz`` the input and output
  images; the ``dumps()`` of ``CreateDetAugmenter`` lists;
* ``iters.json``: each iterator case (class, arguments, seed, epochs) with MXNet's
  provide_data / provide_label, and per batch the pad and label; ``iters.npz`` the batch data.

MXNet's augmenters draw from Python's ``random`` (and ``numpy.random`` for the PCA noise), as
minigluon's, so the seeded cases are compared exactly.
"""
import io
import json
import os
import random

import mxnet as mx
import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'image_det')
os.makedirs(os.path.join(OUT, 'png'), exist_ok=True)
rs = np.random.RandomState(7)


def path(name):
    return os.path.join(OUT, name)


def png(a):
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format='PNG')
    return buf.getvalue()


def objects(n, width=5):
    """``n`` random objects (class, xmin, ymin, xmax, ymax[, difficult]), boxes rounded to 1/32."""
    xy = np.round(rs.uniform(0, 0.6, (n, 2)) * 32) / 32
    wh = np.round(rs.uniform(0.1, 0.4, (n, 2)) * 32) / 32
    out = np.zeros((n, width), np.float32)
    out[:, 0] = rs.randint(0, 3, n)
    out[:, 1:3], out[:, 3:5] = xy, xy + wh
    if width > 5:
        out[:, 5] = rs.randint(0, 2, n)
    return out


SIZES = [(16, 20), (20, 16), (18, 18), (14, 22), (20, 24), (16, 16), (18, 14)]
COUNTS = [2, 1, 3, 2, 4, 1, 2]
images = [rs.randint(0, 256, (h, w, 3)).astype(np.uint8) for h, w in SIZES]
rec = mx.recordio.MXIndexedRecordIO(path('det.idx'), path('det.rec'), 'w')
with open(path('det.lst'), 'w') as lst:
    for i, (img, count) in enumerate(zip(images, COUNTS)):
        objs = objects(count, 6)
        if i == 3:
            objs[1, 3] = objs[1, 1]                 # an empty box: dropped when parsed
        if i == 5:
            objs[:, 0] = -1                         # no valid object: skipped in batches
        label = np.concatenate([[4, 6, img.shape[1], img.shape[0]], objs.ravel()])
        rec.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), png(img)))
        Image.fromarray(img).save(path('png/%d.png' % i))
        short = np.concatenate([[2, 5], objs[:, :5].ravel()])
        lst.write('%d\t%s\t%d.png\n' % (i, '\t'.join('%g' % v for v in short), i))
rec.close()

# ---------------------------------------------------------------------------------------------
# augmenters
aug_arrays, aug_cases = {}, []
LABEL = np.array([[0, 0.1, 0.2, 0.45, 0.6, 1], [1, 0.5, 0.4, 0.9, 0.95, 0],
                  [2, 0.05, 0.7, 0.3, 0.98, 0]], np.float32)
AUGS = [
    ('flip', 'DetHorizontalFlipAug', dict(p=1.0), [0]),
    ('noflip', 'DetHorizontalFlipAug', dict(p=0.0), [0]),
    ('flip_half', 'DetHorizontalFlipAug', dict(p=0.5), [1, 2, 3]),
    ('crop', 'DetRandomCropAug', dict(), [0, 1, 2, 3, 4, 5]),
    ('crop_tight', 'DetRandomCropAug', dict(min_object_covered=0.7, area_range=(0.3, 0.8),
                                            min_eject_coverage=0.5), [0, 1, 2, 3]),
    ('crop_fixed_ratio', 'DetRandomCropAug', dict(aspect_ratio_range=1.0, area_range=(0.2, 0.6)),
     [4, 5, 6]),
    ('crop_none', 'DetRandomCropAug', dict(min_object_covered=0.99, area_range=(0.05, 0.1),
                                           max_attempts=5), [0]),
    ('pad', 'DetRandomPadAug', dict(), [0, 1, 2, 3]),
    ('pad_val', 'DetRandomPadAug', dict(area_range=(1.5, 2.5), pad_val=(10, 200, 30)), [4, 5]),
    ('multi_crop', 'CreateMultiRandCropAugmenter',
     dict(min_object_covered=[0.1, 0.3, 0.5], area_range=[(0.1, 1.0), (0.3, 1.0), (0.5, 1.0)],
          skip_prob=0.2), [0, 1, 2, 3, 4, 5]),
]


def make_aug(kind, kwargs):
    return getattr(mx.image, kind)(**kwargs)


for name, kind, kwargs, seeds in AUGS:
    for seed in seeds:
        img = images[seed % len(images)]
        random.seed(seed)
        out, label = make_aug(kind, kwargs)(mx.nd.array(img, dtype='uint8'), LABEL.copy())
        key = '%s/%d' % (name, seed)
        aug_arrays[key] = out.asnumpy()
        aug_cases.append({'name': name, 'kind': kind, 'kwargs': kwargs, 'seed': seed,
                          'image': seed % len(images), 'key': key,
                          'label': np.asarray(label).tolist(),
                          'label_dtype': str(np.asarray(label).dtype)})
aug_arrays['label_in'] = LABEL
for i, img in enumerate(images):
    aug_arrays['image/%d' % i] = img

DET_ARGS = [dict(data_shape=(3, 30, 30)),
            dict(data_shape=(3, 300, 300), rand_crop=0.5, rand_pad=0.5, rand_mirror=True,
                 mean=True, brightness=0.125, contrast=0.125, saturation=0.125, pca_noise=0.05,
                 inter_method=10, min_object_covered=[0.3, 0.5, 0.9], area_range=(0.3, 3.0)),
            dict(data_shape=(3, 20, 20), resize=24, std=True, hue=0.1, rand_gray=0.2)]
dumps = []
for kwargs in DET_ARGS:
    dumps.append({'kwargs': kwargs,
                  'dumps': [a.dumps() for a in mx.image.CreateDetAugmenter(**kwargs)]})

# the whole CreateDetAugmenter pipeline on one image, seeded
pipelines = []
for seed, kwargs in enumerate([dict(data_shape=(3, 24, 24), rand_crop=1, rand_mirror=True),
                               dict(data_shape=(3, 20, 28), rand_pad=1, rand_crop=0.5,
                                    mean=True, std=True)]):
    random.seed(seed)
    augs = mx.image.CreateDetAugmenter(**kwargs)
    img, label = mx.nd.array(images[4], dtype='uint8'), LABEL.copy()
    for aug in augs:
        img, label = aug(img, label)
    key = 'pipeline/%d' % seed
    aug_arrays[key] = img.asnumpy()
    pipelines.append({'kwargs': kwargs, 'seed': seed, 'key': key, 'image': 4,
                      'label': np.asarray(label).tolist()})

np.savez_compressed(path('augs.npz'), **aug_arrays)
with open(path('augs.json'), 'w') as f:
    json.dump({'mxnet_version': mx.__version__, 'augs': aug_cases, 'dumps': dumps,
               'pipelines': pipelines}, f, indent=1)

# ---------------------------------------------------------------------------------------------
# iterators
REC = dict(path_imgrec='det.rec')
IDX = dict(path_imgrec='det.rec', path_imgidx='det.idx')
LST = dict(path_imglist='det.lst', path_root='png')
ITERS = [
    ('rec', 'ImageDetIter', dict(REC, batch_size=3, data_shape=(3, 16, 16)), 2, None),
    ('rec_discard', 'ImageDetIter', dict(REC, batch_size=4, data_shape=(3, 16, 16),
                                         last_batch_handle='discard'), 1, None),
    ('rec_roll', 'ImageDetIter', dict(REC, batch_size=4, data_shape=(3, 12, 14),
                                      last_batch_handle='roll_over'), 2, None),
    ('lst', 'ImageDetIter', dict(LST, batch_size=4, data_shape=(3, 20, 18)), 1, None),
    ('imglist', 'ImageDetIter', dict(imglist=[[[2, 5, 0, 0.1, 0.1, 0.5, 0.6], '0.png'],
                                              [[2, 5, 1, 0.2, 0.3, 0.4, 0.5, 2, 0.5, 0.5, 0.9,
                                                0.8], '1.png']],
                                     path_root='png', batch_size=2, data_shape=(3, 10, 10)), 1, None),
    ('shuffle_aug', 'ImageDetIter', dict(IDX, batch_size=3, data_shape=(3, 16, 16), shuffle=True,
                                         rand_crop=0.7, rand_pad=0.5, rand_mirror=True,
                                         inter_method=1), 2, 3),
    ('norm', 'ImageDetIter', dict(REC, batch_size=7, data_shape=(3, 16, 16), mean=True, std=True),
     1, None),
    ('detrec', 'ImageDetRecordIter', dict(REC, batch_size=3, data_shape=(3, 16, 16)), 2, None),
    ('detrec_pad', 'ImageDetRecordIter', dict(REC, batch_size=4, data_shape=(3, 12, 14),
                                              label_pad_width=40, label_pad_value=-2), 1, None),
    ('detrec_auto', 'ImageDetRecordIter', dict(REC, batch_size=2, data_shape=(3, 16, 16),
                                               label_pad_width=-1), 1, None),
    ('detrec_norm', 'ImageDetRecordIter', dict(REC, batch_size=7, data_shape=(3, 18, 20),
                                               mean_r=10, mean_g=20, mean_b=30, std_r=2,
                                               std_g=3, std_b=4, scale=0.5), 1, None),
    ('detrec_noround', 'ImageDetRecordIter', dict(REC, batch_size=5, data_shape=(3, 16, 16),
                                                  round_batch=False, inter_method=2), 1, None),
    ('detrec_gray', 'ImageDetRecordIter', dict(REC, batch_size=4, data_shape=(1, 16, 16)), 1, None),
    ('detrec_resize', 'ImageDetRecordIter', dict(REC, batch_size=4, data_shape=(3, 16, 16),
                                                 resize=20), 1, None),
    ('detrec_part', 'ImageDetRecordIter', dict(REC, batch_size=2, data_shape=(3, 8, 8),
                                               num_parts=2, part_index=1), 1, None),
    ('detrec_fixed', 'ImageDetRecordIter', dict(REC, batch_size=7, data_shape=(3, 8, 8),
                                                label_width=-1, label_pad_width=28), 1, None),
]
PATH_KEYS = ('path_imgrec', 'path_imgidx', 'path_imglist', 'path_root')
iter_arrays, iter_cases = {}, []
for name, kind, kwargs, epochs, seed in ITERS:
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed)
    full = {k: (path(v) if k in PATH_KEYS else v) for k, v in kwargs.items()}
    it = mx.image.ImageDetIter(**full) if kind == 'ImageDetIter' else mx.io.ImageDetRecordIter(**full)
    record = {'name': name, 'kind': kind, 'kwargs': kwargs, 'epochs': epochs, 'seed': seed,
              'provide_data': [[d[0], list(d[1])] for d in it.provide_data],
              'provide_label': [[d[0], list(d[1])] for d in it.provide_label], 'batches': []}
    if kind == 'ImageDetIter':
        record['label_shape'] = list(it.label_shape)
    for epoch in range(epochs):
        for number, batch in enumerate(it):
            key = '%s/%d/%d' % (name, epoch, number)
            iter_arrays[key] = batch.data[0].asnumpy()
            record['batches'].append({'key': key, 'pad': int(batch.pad),
                                      'label': batch.label[0].asnumpy().tolist()})
        it.reset()
    iter_cases.append(record)

# sync_label_shape / reshape
a = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=path('det.rec'))
b = mx.image.ImageDetIter(2, (3, 16, 16), imglist=[[[2, 6, 0, 0.1, 0.1, 0.5, 0.6, 0], '0.png']],
                          path_root=path('png'))
b = a.sync_label_shape(b)
sync = {'a': list(a.label_shape), 'b': list(b.label_shape),
        'b_provide_label': list(b.provide_label[0][1])}
# (a new data_shape would leave the default augmenters resizing to the old one: MXNet then
# fails to put the image into the batch; minigluon's test checks that it resizes instead)
a.reshape(None, (9, 6))
sync['reshaped_label'] = list(a.provide_label[0][1])
sync['reshaped_batch_label'] = a.next().label[0].asnumpy().tolist()

np.savez_compressed(path('iters.npz'), **iter_arrays)
with open(path('iters.json'), 'w') as f:
    json.dump({'mxnet_version': mx.__version__, 'iters': iter_cases, 'sync': sync}, f, indent=1)
print('wrote %d augmenter cases, %d iterator cases' % (len(aug_cases), len(iter_cases)))
