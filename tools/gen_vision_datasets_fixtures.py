"""Golden files for ``gluon.data.vision`` datasets read from local files, from MXNet 1.9.1.

Run in the MXNet venv: ``/opt/mxvenv/bin/python tools/gen_vision_datasets_fixtures.py``.

Writes small synthetic files in the real formats under ``tests/fixtures/vision_datasets/``, laid
out as MXNet 1.9.1 keeps them under ``$MXNET_HOME/datasets``:

* ``mnist/`` and ``fashion-mnist/``: the four gzipped idx files;
* ``cifar10/``: ``data_batch_{1..5}.bin`` and ``test_batch.bin`` (flat in the root, where MXNet
  1.9.1 reads them);
* ``cifar100/``: ``train.bin`` and ``test.bin``;

* ``images/``: a class folder of small PNGs (``folder/``, with files and folders that MXNet skips),
  an im2rec-style ``images.lst`` over it, and ``images.rec`` / ``images.idx`` written with
  ``mxnet.recordio`` (PNG payloads made with Pillow);

then has MXNet read them (its download and SHA-1 check are replaced, in this process only, by a
lookup of the local file, so nothing touches the network) and records what it returns in
``expected.npz`` (arrays) and ``expected.json`` (lengths, types, shapes, labels).
"""
import gzip
import json
import os
import shutil
import struct
import tarfile
import tempfile

import io
import warnings

import mxnet as mx
import numpy as np
from mxnet.gluon.data.vision import datasets as D
from PIL import Image

OUT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures',
                                   'vision_datasets'))
rs = np.random.RandomState(7)


def _fake_download(url, path=None, sha1_hash=None, **kwargs):
    """Stand-in for ``mxnet.gluon.utils.download``: the local file, never the network."""
    fname = os.path.join(path, url.split('/')[-1])
    if not os.path.exists(fname):
        raise RuntimeError('fixture generator: %s missing (no download here)' % fname)
    return fname


D.download = _fake_download
D.check_sha1 = lambda filename, sha1: True


def _blocky(n, h, w, c, levels):
    """Low-entropy images (a few flat rectangles) so that the fixtures compress well."""
    imgs = np.zeros((n, h, w, c), np.uint8)
    for i in range(n):
        for _ in range(3):
            y0, x0 = rs.randint(0, h - 4), rs.randint(0, w - 4)
            y1, x1 = y0 + rs.randint(2, h - y0), x0 + rs.randint(2, w - x0)
            imgs[i, y0:y1, x0:x1] = rs.choice(levels, size=c)
        imgs[i, rs.randint(0, h), rs.randint(0, w)] = 255   # one odd pixel
    return imgs


def write_idx_gz(path, arr):
    magic = 0x0803 if arr.ndim == 3 else 0x0801
    head = struct.pack('>I', magic) + b''.join(struct.pack('>I', d) for d in arr.shape)
    with open(path, 'wb') as raw:
        # mtime=0: the same bytes on every run
        with gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0) as f:
            f.write(head + arr.astype(np.uint8).tobytes())


def make_mnist(name, n_train, n_test):
    root = os.path.join(OUT, name)
    os.makedirs(root, exist_ok=True)
    for prefix, n in (('train', n_train), ('t10k', n_test)):
        imgs = _blocky(n, 28, 28, 1, [60, 128, 200, 255])[..., 0]
        labels = rs.randint(0, 10, n).astype(np.uint8)
        write_idx_gz(os.path.join(root, '%s-images-idx3-ubyte.gz' % prefix), imgs)
        write_idx_gz(os.path.join(root, '%s-labels-idx1-ubyte.gz' % prefix), labels)
    return root


def cifar_records(n, n_labels_cols, n_classes):
    imgs = _blocky(n, 32, 32, 3, [0, 50, 100, 150, 200, 250])
    labels = np.stack([rs.randint(0, k, n) for k in n_classes], axis=1).astype(np.uint8)
    assert labels.shape[1] == n_labels_cols
    return np.concatenate([labels, imgs.transpose(0, 3, 1, 2).reshape(n, -1)], axis=1).tobytes()


def make_cifar10():
    root = os.path.join(OUT, 'cifar10')
    os.makedirs(root, exist_ok=True)
    names = ['data_batch_%d.bin' % i for i in range(1, 6)] + ['test_batch.bin']
    for i, fname in enumerate(names):
        with open(os.path.join(root, fname), 'wb') as f:
            f.write(cifar_records(2 + i % 2, 1, [10]))
    return root, names


def make_cifar100():
    root = os.path.join(OUT, 'cifar100')
    os.makedirs(root, exist_ok=True)
    for fname, n in (('train.bin', 6), ('test.bin', 3)):
        with open(os.path.join(root, fname), 'wb') as f:
            f.write(cifar_records(n, 2, [20, 100]))
    return root, ['train.bin', 'test.bin']


arrays, meta = {}, {}


def record(key, ds):
    """Length, item types and shapes, all labels, per-item pixel sums and a few whole images."""
    n = len(ds)
    img0, lab0 = ds[0]
    entry = {'len': n,
             'item_type': type(ds[0]).__name__,
             'image_type': type(img0).__name__, 'image_dtype': np.dtype(img0.dtype).name,
             'image_shape': list(img0.shape), 'image_context': str(img0.context),
             'label_type': type(lab0).__name__, 'label_dtype': np.dtype(lab0.dtype).name,
             'labels': [int(ds[i][1]) for i in range(n)],
             'data_attr_type': type(ds._data).__name__, 'data_attr_shape': list(ds._data.shape),
             'label_attr_type': type(ds._label).__name__,
             'label_attr_dtype': np.dtype(ds._label.dtype).name}
    sl = ds[1:3]
    entry['slice_types'] = [type(sl).__name__, type(sl[0]).__name__, type(sl[1]).__name__]
    entry['slice_shapes'] = [list(sl[0].shape), list(sl[1].shape)]
    try:
        ds[n]
        entry['past_end'] = None
    except Exception as err:     # noqa: BLE001 -- recording the oracle's exception type
        entry['past_end'] = [c.__name__ for c in type(err).__mro__]
    seen = []
    ds._transform = lambda d, lab: seen.append((type(d).__name__, type(lab).__name__)) or (d, lab)
    ds[0]
    ds._transform = None
    entry['transform_args'] = list(seen[0])
    arrays[key + '/sums'] = np.array([int(ds[i][0].asnumpy().astype(np.int64).sum())
                                      for i in range(n)], np.int64)
    for i in (0, n // 2, -1):
        arrays['%s/img%d' % (key, i)] = ds[i][0].asnumpy()
    meta[key] = entry


def _png(arr, mode):
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, 'PNG')
    return buf.getvalue()


def make_images():
    """Folder, list and record fixtures; returns the image root."""
    irs = np.random.RandomState(11)
    root = os.path.join(OUT, 'images')
    folder = os.path.join(root, 'folder')
    # (class, file name, PIL mode, height, width); PNG payloads whatever the extension says
    files = [('cat', 'a.png', 'RGB', 5, 7), ('cat', 'b.png', 'L', 6, 4), ('cat', 'c.JPG', 'RGB', 3, 3),
             ('cat', 'notes.txt', None, 0, 0), ('dog', 'd.png', 'RGBA', 4, 6),
             ('dog', 'e.jpeg', 'RGB', 2, 5), ('dog', 'f.gif', None, 0, 0),
             ('empty', 'list.csv', None, 0, 0)]   # a class of no images (git keeps no empty folder)
    for cls in ('cat', 'dog', 'empty'):
        os.makedirs(os.path.join(folder, cls))
    with open(os.path.join(folder, 'README.md'), 'w') as f:
        f.write('not a class folder\n')
    payloads = {}
    for cls, name, mode, h, w in files:
        path = os.path.join(folder, cls, name)
        if mode is None:
            with open(path, 'wb') as f:
                f.write(b'skipped')
            continue
        channels = {'L': (), 'RGB': (3,), 'RGBA': (4,)}[mode]
        arr = irs.choice([0, 64, 128, 255], size=(h, w) + channels).astype(np.uint8)
        payloads['%s/%s' % (cls, name)] = _png(arr, mode)
        with open(path, 'wb') as f:
            f.write(payloads['%s/%s' % (cls, name)])
    # im2rec's list format: index <TAB> label(s) <TAB> path relative to the root
    lst = [(0, [0.0], 'cat/a.png'), (1, [0.0], 'cat/b.png'), (5, [1.0, 2.5], 'dog/d.png'),
           (2, [1.0], 'dog/e.jpeg')]
    with open(os.path.join(root, 'images.lst'), 'w') as f:
        for idx, labels, path in lst:
            f.write('%d\t%s\t%s\n' % (idx, '\t'.join('%f' % v for v in labels), 'folder/' + path))
    rec = mx.recordio.MXIndexedRecordIO(os.path.join(root, 'images.idx'),
                                        os.path.join(root, 'images.rec'), 'w')
    for key, label, name in ((3, 1.0, 'cat/a.png'), (1, 0.0, 'dog/d.png'),
                             (7, [2.0, 5.0], 'cat/b.png'), (4, 3.0, 'dog/e.jpeg')):
        rec.write_idx(key, mx.recordio.pack(mx.recordio.IRHeader(0, label, key, 0), payloads[name]))
    rec.close()
    return root


def record_images(root):
    folder = os.path.join(root, 'folder')
    out = {}
    for flag in (1, 0):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            ds = D.ImageFolderDataset(folder, flag=flag)
        out['folder_warnings'] = [str(w.message).replace(folder, '<root>') for w in caught]
        out['folder_synsets'] = ds.synsets
        out['folder_items'] = [[os.path.relpath(p, folder), lab] for p, lab in ds.items]
        img, lab = ds[0]
        out['folder_item_types'] = [type(img).__name__, np.dtype(img.dtype).name, type(lab).__name__]
        for i in range(len(ds)):
            arrays['folder/flag%d/%d' % (flag, i)] = ds[i][0].asnumpy()
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            D.ImageFolderDataset(folder, flag, lambda d, lab: seen.append(
                (type(d).__name__, type(lab).__name__)))[1]
        out['folder_transform_args'] = list(seen[0])
        rds = D.ImageRecordDataset(os.path.join(root, 'images.rec'), flag=flag)
        out['rec_len'] = len(rds)
        out['rec_labels'] = [np.asarray(rds[i][1]).tolist() for i in range(len(rds))]
        out['rec_label_types'] = [type(rds[i][1]).__name__ for i in range(len(rds))]
        out['rec_image_types'] = [type(rds[0][0]).__name__, np.dtype(rds[0][0].dtype).name]
        out['rec_idx_file'] = os.path.basename(rds.idx_file)
        for i in range(len(rds)):
            arrays['rec/flag%d/%d' % (flag, i)] = rds[i][0].asnumpy()
        # the list file's images, decoded by MXNet (ImageListDataset is not in MXNet 1.9.1)
        for name in ('cat/a.png', 'cat/b.png', 'dog/d.png', 'dog/e.jpeg'):
            arrays['imread/flag%d/%s' % (flag, name)] = mx.image.imread(
                os.path.join(folder, name), flag=flag).asnumpy()
    meta['images'] = out


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    mnist_root = make_mnist('mnist', 30, 12)
    fashion_root = make_mnist('fashion-mnist', 10, 6)
    c10_root, c10_names = make_cifar10()
    c100_root, c100_names = make_cifar100()
    for train in (True, False):
        split = 'train' if train else 'test'
        record('mnist/' + split, D.MNIST(root=mnist_root, train=train))
        record('fashion-mnist/' + split, D.FashionMNIST(root=fashion_root, train=train))
        record('cifar10/' + split, D.CIFAR10(root=c10_root, train=train))
        for fine in (False, True):
            record('cifar100/%s/fine%d' % (split, fine),
                   D.CIFAR100(root=c100_root, train=train, fine_label=fine))
    # An archive holding the batch files at its top level (the layout MXNet 1.9.1's extraction
    # needs, since it reads the files from the root it extracts into) is read identically.
    with tempfile.TemporaryDirectory() as tmp:
        for src, names, arch in ((c10_root, c10_names, 'cifar-10-binary.tar.gz'),
                                 (c100_root, c100_names, 'cifar-100-binary.tar.gz')):
            with tarfile.open(os.path.join(tmp, arch), 'w:gz') as tar:
                for fname in names:
                    tar.add(os.path.join(src, fname), arcname=fname)
        c10 = D.CIFAR10(root=tmp, train=False)
        same = bool((c10._data.asnumpy() == D.CIFAR10(root=c10_root, train=False)._data.asnumpy()).all())
        meta['cifar10_from_archive_same'] = same
        meta['cifar10_from_archive_extracted'] = sorted(os.listdir(tmp))
    # MXNet reads the default root once, at import: $MXNET_HOME or ~/.mxnet, then datasets/<name>
    import inspect
    meta['default_roots'] = {
        name: os.path.relpath(inspect.signature(getattr(D, name)).parameters['root'].default,
                              os.environ.get('MXNET_HOME', os.path.expanduser('~/.mxnet')))
        for name in ('MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100')}
    record_images(make_images())
    np.savez_compressed(os.path.join(OUT, 'expected.npz'), **arrays)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
