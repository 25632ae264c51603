"""gluon.data.vision datasets read from local files (MNIST, FashionMNIST, CIFAR10, CIFAR100).

Golden items from MXNet 1.9.1 (tools/gen_vision_datasets_fixtures.py, tests/fixtures/vision_datasets):
the fixture folders hold tiny synthetic files in the real formats, laid out as MXNet keeps them.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetError, MXNetFormatError, MXNetTypeError
from minigluon.gluon.data import DataLoader
from minigluon.gluon.data.vision import datasets, transforms

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'vision_datasets')
with open(os.path.join(FIX, 'expected.json')) as _f:
    META = json.load(_f)
ARR = dict(np.load(os.path.join(FIX, 'expected.npz'), allow_pickle=False))
SHA_WARNING = 'differ.* from the files? MXNet 1.9.1 publishes'


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def make(cls, root, **kwargs):
    """The dataset over ``root``; the synthetic fixture files never have MXNet's hashes."""
    with pytest.warns(UserWarning, match=SHA_WARNING):
        return cls(root=str(root), **kwargs)


CASES = []
for _split, _train in (('train', True), ('test', False)):
    CASES += [('mnist/' + _split, datasets.MNIST, 'mnist', {'train': _train}),
              ('fashion-mnist/' + _split, datasets.FashionMNIST, 'fashion-mnist', {'train': _train}),
              ('cifar10/' + _split, datasets.CIFAR10, 'cifar10', {'train': _train})]
    CASES += [('cifar100/%s/fine%d' % (_split, fine), datasets.CIFAR100, 'cifar100',
               {'train': _train, 'fine_label': bool(fine)}) for fine in (0, 1)]


@pytest.mark.parametrize('key, cls, folder, kwargs', CASES, ids=[c[0] for c in CASES])
def test_items_match_mxnet(key, cls, folder, kwargs):
    exp = META[key]
    ds = make(cls, os.path.join(FIX, folder), **kwargs)
    assert len(ds) == exp['len']
    item = ds[0]
    assert type(item).__name__ == exp['item_type']
    img, label = item
    assert isinstance(img, mx.nd.NDArray) and exp['image_type'] == 'NDArray'
    assert np.dtype(img.dtype).name == exp['image_dtype']
    assert list(img.shape) == exp['image_shape']
    # MXNet's nd.array(data) puts the images on the current context (cpu(0) where it ran)
    assert exp['image_context'] == 'cpu(0)' and img.context == mx.current_context()
    assert type(label).__name__ == exp['label_type'] and label.dtype.name == exp['label_dtype']
    assert [int(ds[i][1]) for i in range(len(ds))] == exp['labels']
    sums = [int(ds[i][0].asnumpy().astype(np.int64).sum()) for i in range(len(ds))]
    np.testing.assert_array_equal(sums, ARR[key + '/sums'])
    for i in (0, len(ds) // 2, -1):
        np.testing.assert_array_equal(ds[i][0].asnumpy(), ARR['%s/img%d' % (key, i)])
    # the attributes scripts read, and slicing (a batch of images, a NumPy array of labels)
    assert type(ds._data).__name__ == exp['data_attr_type']
    assert list(ds._data.shape) == exp['data_attr_shape']
    assert type(ds._label).__name__ == exp['label_attr_type']
    assert ds._label.dtype.name == exp['label_attr_dtype']
    batch = ds[1:3]
    assert [type(batch).__name__, type(batch[0]).__name__, type(batch[1]).__name__] == exp['slice_types']
    assert [list(batch[0].shape), list(batch[1].shape)] == exp['slice_shapes']
    # iteration stops at the end as in MXNet: an IndexError past the last item
    assert exp['past_end'][0] == 'IndexError'
    with pytest.raises(IndexError, match='out of bounds'):
        ds[len(ds)]
    assert len(list(iter(ds))) == len(ds)


def test_transform_called_with_data_and_label():
    seen = []
    ds = make(datasets.CIFAR10, os.path.join(FIX, 'cifar10'), train=False,
              transform=lambda d, lab: seen.append((type(d).__name__, type(lab).__name__)) or (lab, d))
    lab, img = ds[2]
    assert seen == [tuple(META['cifar10/test']['transform_args'])]
    assert int(lab) == META['cifar10/test']['labels'][2] and img.shape == (32, 32, 3)


def test_names_and_default_roots(tmp_path, monkeypatch):
    vision = mx.gluon.data.vision
    for name in ('MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100'):
        assert getattr(vision, name) is getattr(datasets, name)
    assert vision.datasets is datasets
    # $MXNET_HOME/datasets/<name>, looked up when the dataset is created
    cases = [('MNIST', 'mnist'), ('FashionMNIST', 'fashion-mnist'), ('CIFAR10', 'cifar10'),
             ('CIFAR100', 'cifar100')]
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'home'))
    for name, folder in cases:
        shutil.copytree(os.path.join(FIX, folder), tmp_path / 'home' / META['default_roots'][name])
        with pytest.warns(UserWarning, match=SHA_WARNING):
            ds = getattr(vision, name)(train=False)
        assert ds._root == str(tmp_path / 'home' / META['default_roots'][name])
    # ~/.mxnet without MXNET_HOME
    monkeypatch.delenv('MXNET_HOME')
    monkeypatch.setenv('HOME', str(tmp_path))
    with pytest.raises(datasets.DatasetNotFoundError) as err:
        vision.MNIST()
    assert os.path.join(str(tmp_path), '.mxnet', 'datasets', 'mnist', 'train-images-idx3-ubyte.gz') \
        in str(err.value)


def test_missing_files_error(tmp_path):
    with pytest.raises(datasets.DatasetNotFoundError) as err:
        datasets.MNIST(root=str(tmp_path), train=False)
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, MXNetError)
    msg = str(err.value)
    for name in ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
        assert os.path.join(str(tmp_path), name) in msg
    assert 'never downloads' in msg and 'gluon/dataset/mnist/' in msg
    # only one of the two files present still names both
    shutil.copy(os.path.join(FIX, 'mnist', 't10k-images-idx3-ubyte.gz'), tmp_path)
    with pytest.raises(FileNotFoundError, match='t10k-labels-idx1-ubyte.gz'):
        datasets.MNIST(root=str(tmp_path), train=False)
    with pytest.raises(datasets.DatasetNotFoundError) as err:
        datasets.CIFAR10(root=str(tmp_path / 'none'))
    msg = str(err.value)
    for name in ['data_batch_%d.bin' % i for i in range(1, 6)] + ['cifar-10-binary.tar.gz']:
        assert os.path.join(str(tmp_path / 'none'), name) in msg
    assert 'cifar.html' in msg and not (tmp_path / 'none').exists()   # nothing created


def test_sha1_warning_names_file_and_hash(tmp_path):
    with pytest.warns(UserWarning) as rec:
        datasets.CIFAR100(root=os.path.join(FIX, 'cifar100'), train=False)
    assert len(rec) == 1
    msg = str(rec[0].message)
    assert os.path.join(FIX, 'cifar100', 'test.bin') in msg
    assert datasets.CIFAR100._test_files[0][1] in msg
    assert rec[0].filename == __file__          # points at the caller
    # files whose hash is the published one load silently (hashes computed here)
    class Mine(datasets.MNIST):
        _files = {name: hashlib.sha1(_read(os.path.join(FIX, 'mnist', name))).hexdigest()
                  for name in datasets.MNIST._files}
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(Mine(root=os.path.join(FIX, 'mnist'))) == META['mnist/train']['len']


def _tar(path, members):
    """Write a tar.gz of ``members``: (name, bytes) or (name, TarInfo-type, link target)."""
    with tarfile.open(str(path), 'w:gz') as tar:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if len(member) == 3:
                info.type, info.linkname = member[1], member[2]
                tar.addfile(info)
            else:
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))


def _cifar10_bytes():
    names = [n for n, _ in datasets.CIFAR10._train_files + datasets.CIFAR10._test_files]
    return {n: _read(os.path.join(FIX, 'cifar10', n)) for n in names}


@pytest.mark.parametrize('prefix', ['', './', 'cifar-10-batches-bin/'])
def test_archive_is_extracted(tmp_path, prefix):
    files = _cifar10_bytes()
    _tar(tmp_path / 'cifar-10-binary.tar.gz', [(prefix + n, b) for n, b in files.items()]
         + [(prefix + 'readme.html', b'<html/>')])
    ds = make(datasets.CIFAR10, tmp_path)
    ref = make(datasets.CIFAR10, os.path.join(FIX, 'cifar10'))
    np.testing.assert_array_equal(ds._data.asnumpy(), ref._data.asnumpy())
    np.testing.assert_array_equal(ds._label, ref._label)
    # the batch files land flat in the root, where MXNet 1.9.1 reads them; nothing else
    assert sorted(os.listdir(tmp_path)) == sorted(['cifar-10-binary.tar.gz'] + list(files))
    assert META['cifar10_from_archive_same']


def test_official_folder_layout_is_read(tmp_path):
    shutil.copytree(os.path.join(FIX, 'cifar100'), tmp_path / 'cifar-100-binary')
    ds = make(datasets.CIFAR100, tmp_path, fine_label=True, train=False)
    assert [int(x) for x in ds._label] == META['cifar100/test/fine1']['labels']


@pytest.mark.parametrize('member', [('../test_batch.bin',), ('/tmp/test_batch.bin',),
                                    ('test_batch.bin', tarfile.SYMTYPE, '/etc/passwd'),
                                    ('test_batch.bin', tarfile.LNKTYPE, 'other')])
def test_archive_refuses_unsafe_members(tmp_path, member):
    root = tmp_path / 'root'
    root.mkdir()
    data = _cifar10_bytes()['test_batch.bin']
    _tar(root / 'cifar-10-binary.tar.gz', [member + (data,) if len(member) == 1 else member])
    with pytest.raises(MXNetFormatError, match='refusing to extract member') as err:
        datasets.CIFAR10(root=str(root), train=False)
    assert 'cifar-10-binary.tar.gz' in str(err.value)
    assert sorted(os.listdir(root)) == ['cifar-10-binary.tar.gz']
    assert sorted(os.listdir(tmp_path)) == ['root']


def test_archive_without_members_or_corrupt(tmp_path):
    _tar(tmp_path / 'cifar-100-binary.tar.gz', [('train.bin', b'x' * 3074)])
    with pytest.raises(MXNetFormatError, match='holds no member test.bin'):
        datasets.CIFAR100(root=str(tmp_path), train=False)
    (tmp_path / 'cifar-100-binary.tar.gz').write_bytes(b'\x1f\x8b not really gzip')
    with pytest.raises(MXNetFormatError, match='cifar-100-binary.tar.gz: not a readable tar'):
        datasets.CIFAR100(root=str(tmp_path), train=False)


def _idx_gz(path, magic, dims, payload):
    head = b''.join(int(v).to_bytes(4, 'big') for v in [magic] + list(dims))
    path.write_bytes(gzip.compress(head + payload))


@pytest.mark.parametrize('case, match', [
    ('bad_magic', 'bad idx magic number 0x00000803, expected 0x00000801'),
    ('short_data', r'announces 3 = 3 bytes of data, the file holds 2'),
    ('truncated_gz', 'not a complete gzip file'),
    ('header_only', 'truncated idx file'),
    ('count_mismatch', 'holds 2 images but .* holds 3 labels'),
])
def test_corrupt_mnist_files(tmp_path, case, match):
    images, labels = tmp_path / 't10k-images-idx3-ubyte.gz', tmp_path / 't10k-labels-idx1-ubyte.gz'
    _idx_gz(images, 0x803, (2, 28, 28), bytes(2 * 784))
    _idx_gz(labels, 0x801, (3,), b'\x01\x02\x03')
    if case == 'bad_magic':
        _idx_gz(labels, 0x803, (3,), b'\x01\x02\x03')
    elif case == 'short_data':
        _idx_gz(labels, 0x801, (3,), b'\x01\x02')
    elif case == 'truncated_gz':
        labels.write_bytes(labels.read_bytes()[:-6])
    elif case == 'header_only':
        labels.write_bytes(gzip.compress(b'\x00\x00\x08'))
    with pytest.warns(UserWarning, match=SHA_WARNING), pytest.raises(MXNetFormatError, match=match) as err:
        datasets.MNIST(root=str(tmp_path), train=False)
    assert isinstance(err.value, MXNetError)
    if case != 'count_mismatch':
        assert str(labels) in str(err.value)


def test_uncompressed_mnist_files(tmp_path):
    for name in ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        with gzip.open(os.path.join(FIX, 'mnist', name + '.gz')) as f:
            (tmp_path / name).write_bytes(f.read())
    ds = datasets.MNIST(root=str(tmp_path), train=False)   # no published hash: no warning
    assert [int(x) for x in ds._label] == META['mnist/test']['labels']


def test_corrupt_cifar_record_size(tmp_path):
    shutil.copytree(os.path.join(FIX, 'cifar100'), tmp_path / 'c')
    path = tmp_path / 'c' / 'test.bin'
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.warns(UserWarning), pytest.raises(MXNetFormatError, match='not a whole number of 3074-byte'):
        datasets.CIFAR100(root=str(tmp_path / 'c'), train=False)
    # a CIFAR-100 batch (2 label bytes a record) where CIFAR-10 expects its own
    shutil.copy(os.path.join(FIX, 'cifar100', 'test.bin'), tmp_path / 'c' / 'test_batch.bin')
    with pytest.warns(UserWarning), pytest.raises(MXNetFormatError, match='test_batch.bin: 9222 bytes'):
        datasets.CIFAR10(root=str(tmp_path / 'c'), train=False)


def test_bad_arguments():
    with pytest.raises(MXNetTypeError, match='root must be a path'):
        datasets.MNIST(root=3)
    with pytest.raises(MXNetTypeError, match='transform must be None or a callable'):
        datasets.CIFAR10(root=os.path.join(FIX, 'cifar10'), transform='flip')


def test_transform_first_to_tensor_and_dataloader_workers():
    cifar = make(datasets.CIFAR10, os.path.join(FIX, 'cifar10')).transform_first(transforms.ToTensor())
    img, label = cifar[0]
    assert img.shape == (3, 32, 32) and img.dtype == np.float32
    mnist = make(datasets.MNIST, os.path.join(FIX, 'mnist'))
    tensors = mnist.transform_first(transforms.ToTensor())
    got_x, got_y = [], []
    for x, y in DataLoader(tensors, batch_size=8, num_workers=2):
        assert x.shape[1:] == (1, 28, 28) and x.dtype == np.float32
        got_x.append(x.asnumpy())
        got_y.append(y.asnumpy())
    np.testing.assert_allclose(np.concatenate(got_x),
                               mnist._data.asnumpy().transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.concatenate(got_y), META['mnist/train']['labels'])
