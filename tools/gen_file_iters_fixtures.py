"""Golden batches of MXNet 1.9.1's file iterators, for tests/data/test_file_iters.py.

Run in the MXNet venv: ``/opt/mxvenv/bin/python tools/gen_file_iters_fixtures.py``. Writes under
``tests/fixtures/file_iters/``:

* the inputs: MNIST idx files (``mnist-images.idx``, 23 random 28x28 images;
  ``mnist-labels.idx``), CSV files (``data.csv`` 7 rows of 6 values, ``label.csv``,
  ``label2.csv`` two values a row), RecordIO files of 7 random 10x12 RGB PNG images
  (``images.rec`` / ``.idx`` scalar labels, ``images2.rec`` / ``.idx`` two labels a record), the
  same images as PNG files under ``png/`` with an image list ``images.lst``;
* ``cases.json``: each case (iterator, arguments, epochs) with what MXNet returned per batch
  (pad, labels, provide_data / provide_label shapes); ``batches.npz``: each batch's data.

The tests build the same iterators with minigluon and compare.
"""
import io
import json
import os
import random
import struct

import mxnet as mx
import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'file_iters')
os.makedirs(os.path.join(OUT, 'png'), exist_ok=True)
rs = np.random.RandomState(11)


def path(name):
    return os.path.join(OUT, name)


def write_idx(name, arr):
    with open(path(name), 'wb') as f:
        f.write(struct.pack('>I', 0x0800 + arr.ndim))
        f.write(struct.pack('>%dI' % arr.ndim, *arr.shape))
        f.write(arr.tobytes())


write_idx('mnist-images.idx', rs.randint(0, 256, (23, 28, 28)).astype(np.uint8))
write_idx('mnist-labels.idx', (np.arange(23) % 10).astype(np.uint8))

rows = (rs.randint(-40, 40, (7, 6)) * 0.25).astype(np.float32)
np.savetxt(path('data.csv'), rows, delimiter=',', fmt='%g')
np.savetxt(path('label.csv'), np.arange(7) * 1.5, delimiter=',', fmt='%g')
np.savetxt(path('label2.csv'), np.arange(14).reshape(7, 2), delimiter=',', fmt='%d')

images = rs.randint(0, 256, (7, 10, 12, 3)).astype(np.uint8)


def png(a):
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format='PNG')
    return buf.getvalue()


w = mx.recordio.MXIndexedRecordIO(path('images.idx'), path('images.rec'), 'w')
w2 = mx.recordio.MXIndexedRecordIO(path('images2.idx'), path('images2.rec'), 'w')
with open(path('images.lst'), 'w') as lst:
    for i, a in enumerate(images):
        w.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, float(i), i, 0), png(a)))
        w2.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, [i, 10.0 + i], i, 0), png(a)))
        Image.fromarray(a).save(path('png/%d.png' % i))
        lst.write('%d\t%g\t%g\t%d.png\n' % (i, 2.0 * i, -i, i))
w.close()
w2.close()

MN = dict(image='mnist-images.idx', label='mnist-labels.idx', silent=True)
CSV = dict(data_csv='data.csv')
REC = dict(path_imgrec='images.rec')
IDX = dict(path_imgrec='images.rec', path_imgidx='images.idx')
# (name, iterator, arguments, epochs, python random seed or None, atol of the data)
CASES = [
    ('mnist', 'MNISTIter', dict(MN, batch_size=5, shuffle=False), 2, None, 0),
    ('mnist_flat', 'MNISTIter', dict(MN, batch_size=4, shuffle=False, flat=True), 1, None, 0),
    ('mnist_part_3_1', 'MNISTIter', dict(MN, batch_size=2, shuffle=False, num_parts=3, part_index=1), 1, None, 0),
    ('mnist_part_4_3', 'MNISTIter', dict(MN, batch_size=2, shuffle=False, num_parts=4, part_index=3), 1, None, 0),
    ('mnist_whole', 'MNISTIter', dict(MN, batch_size=23, shuffle=False), 2, None, 0),
    ('csv_round', 'CSVIter', dict(CSV, data_shape=(2, 3), label_csv='label.csv', batch_size=3), 3, None, 0),
    ('csv_noround', 'CSVIter', dict(CSV, data_shape=(6,), label_csv='label.csv', batch_size=3, round_batch=False), 2, None, 0),
    ('csv_nolabel', 'CSVIter', dict(CSV, data_shape=(6,), batch_size=4), 2, None, 0),
    ('csv_label2', 'CSVIter', dict(CSV, data_shape=(3, 2), label_csv='label2.csv', label_shape=(2,), batch_size=3), 1, None, 0),
    ('csv_int32', 'CSVIter', dict(CSV, data_shape=(6,), label_csv='label2.csv', label_shape=(2,), batch_size=7, dtype='int32'), 1, None, 0),
    ('csv_int64', 'CSVIter', dict(CSV, data_shape=(6,), batch_size=2, dtype='int64', round_batch=False), 1, None, 0),
    ('rec', 'ImageRecordIter', dict(REC, data_shape=(3, 10, 12), batch_size=3), 3, None, 0),
    ('rec_crop', 'ImageRecordIter', dict(REC, data_shape=(3, 6, 8), batch_size=4), 1, None, 0),
    ('rec_norm', 'ImageRecordIter', dict(REC, data_shape=(3, 10, 12), batch_size=7, mean_r=10, mean_g=20,
                                         mean_b=30, std_r=2, std_g=3, std_b=4, scale=0.5), 1, None, 0),
    ('rec_label2', 'ImageRecordIter', dict(path_imgrec='images2.rec', data_shape=(3, 10, 12), batch_size=3, label_width=2), 1, None, 0),
    ('rec_gray', 'ImageRecordIter', dict(REC, data_shape=(1, 10, 12), batch_size=3), 1, None, 0),
    ('rec_upscale', 'ImageRecordIter', dict(REC, data_shape=(3, 14, 16), batch_size=7), 1, None, 0),
    ('rec_resize', 'ImageRecordIter', dict(REC, data_shape=(3, 6, 8), resize=8, batch_size=7), 1, None, 0),
    ('rec_bigbatch', 'ImageRecordIter', dict(REC, data_shape=(3, 10, 12), batch_size=9), 1, None, 0),
    ('iter_pad', 'ImageIter', dict(REC, batch_size=3, data_shape=(3, 10, 12)), 3, None, 0),
    ('iter_discard', 'ImageIter', dict(REC, batch_size=3, data_shape=(3, 10, 12), last_batch_handle='discard'), 2, None, 0),
    ('iter_roll', 'ImageIter', dict(REC, batch_size=3, data_shape=(3, 10, 12), last_batch_handle='roll_over'), 3, None, 0),
    ('iter_part', 'ImageIter', dict(IDX, batch_size=3, data_shape=(3, 6, 8), num_parts=2, part_index=1), 1, None, 0),
    ('iter_shuffle', 'ImageIter', dict(IDX, batch_size=3, data_shape=(3, 6, 8), shuffle=True), 2, 5, 0),
    ('iter_label2', 'ImageIter', dict(path_imgrec='images2.rec', batch_size=3, data_shape=(3, 10, 12), label_width=2), 1, None, 0),
    ('iter_bigbatch', 'ImageIter', dict(REC, batch_size=9, data_shape=(3, 10, 12)), 1, None, 0),
    ('iter_lst', 'ImageIter', dict(path_imglist='images.lst', path_root='png', batch_size=4, data_shape=(3, 8, 8),
                                   label_width=2), 1, None, 0),
    ('iter_list', 'ImageIter', dict(imglist=[[float(i), '%d.png' % i] for i in range(7)], path_root='png',
                                    batch_size=4, data_shape=(3, 10, 12)), 1, None, 0),
    ('iter_norm', 'ImageIter', dict(REC, batch_size=7, data_shape=(3, 10, 12), mean=True, std=True), 1, None, 1e-5),
]
PATH_KEYS = ('image', 'label', 'data_csv', 'label_csv', 'path_imgrec', 'path_imgidx', 'path_imglist', 'path_root')


def make(kind, kwargs):
    kwargs = {k: (path(v) if k in PATH_KEYS else v) for k, v in kwargs.items()}
    if kind == 'ImageIter':
        return mx.image.ImageIter(**kwargs)
    return getattr(mx.io, kind)(**kwargs)


arrays, cases = {}, []
for name, kind, kwargs, epochs, seed, atol in CASES:
    if seed is not None:
        random.seed(seed)
    it = make(kind, kwargs)
    record = {'name': name, 'kind': kind, 'kwargs': kwargs, 'epochs': epochs, 'seed': seed, 'atol': atol,
              'provide_data': [[d[0], list(d[1])] for d in it.provide_data],
              'provide_label': [[d[0], list(d[1])] for d in it.provide_label], 'batches': []}
    for epoch in range(epochs):
        for number, batch in enumerate(it):
            key = '%s/%d/%d' % (name, epoch, number)
            arrays[key] = batch.data[0].asnumpy()
            record['batches'].append({'key': key, 'pad': int(batch.pad), 'dtype': str(batch.data[0].dtype.__name__),
                                      'label': batch.label[0].asnumpy().tolist()})
        it.reset()
    cases.append(record)

np.savez_compressed(path('batches.npz'), **arrays)
with open(path('cases.json'), 'w') as f:
    json.dump(cases, f, indent=1)
print('wrote %d cases, %d batches' % (len(cases), len(arrays)))
