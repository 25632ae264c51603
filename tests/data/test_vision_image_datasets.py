"""ImageFolderDataset, ImageListDataset, ImageRecordDataset over small PNG fixtures.

Golden values from MXNet 1.9.1 (tools/gen_vision_datasets_fixtures.py writes
tests/fixtures/vision_datasets/images/ and records what MXNet returns). ImageListDataset is not in
MXNet 1.9.1: its images are compared with MXNet's ``mx.image.imread`` of the same files and its
labels with the ``.lst`` file parsed here.
"""
import csv
import json
import os
import re
import shutil
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetError, MXNetFormatError, MXNetTypeError, MXNetValueError
from minigluon.gluon.data import DataLoader
from minigluon.gluon.data.vision import datasets, transforms

pytest.importorskip('PIL')

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'vision_datasets')
IMAGES = os.path.join(FIX, 'images')
FOLDER = os.path.join(IMAGES, 'folder')
with open(os.path.join(FIX, 'expected.json')) as _f:
    META = json.load(_f)['images']
ARR = dict(np.load(os.path.join(FIX, 'expected.npz'), allow_pickle=False))


def folder_dataset(root=FOLDER, **kwargs):
    with pytest.warns(UserWarning, match='^Ignoring ') as rec:
        ds = datasets.ImageFolderDataset(root, **kwargs)
    return ds, rec


def test_exported_names():
    vision = mx.gluon.data.vision
    for name in ('ImageFolderDataset', 'ImageListDataset', 'ImageRecordDataset'):
        assert getattr(vision, name) is getattr(datasets, name)
    assert issubclass(datasets.ImageRecordDataset, mx.gluon.data.RecordFileDataset)


@pytest.mark.parametrize('flag', [1, 0])
def test_image_folder_matches_mxnet(flag):
    ds, rec = folder_dataset(flag=flag)
    assert ds.synsets == META['folder_synsets']
    assert [[os.path.relpath(p, FOLDER), lab] for p, lab in ds.items] == META['folder_items']
    # the same files skipped, in the same order, each with a warning that starts "Ignoring <path>"
    skipped = [re.match(r'Ignoring <root>(\S+?)(,| of)', m).group(1) for m in META['folder_warnings']]
    assert [str(w.message).split(':')[0] for w in rec] == ['Ignoring ' + FOLDER + s for s in skipped]
    assert all(w.filename == __file__ for w in rec)
    img, label = ds[0]
    assert [type(img).__name__, np.dtype(img.dtype).name, type(label).__name__] == META['folder_item_types']
    for i in range(len(ds)):
        np.testing.assert_array_equal(ds[i][0].asnumpy(), ARR['folder/flag%d/%d' % (flag, i)])
    assert len(list(iter(ds))) == len(ds)


def test_image_folder_transform_and_errors(tmp_path):
    seen = []
    ds, _ = folder_dataset(transform=lambda d, lab: seen.append((type(d).__name__, type(lab).__name__)) or lab)
    assert ds[3] == META['folder_items'][3][1]
    assert seen == [tuple(META['folder_transform_args'])]
    with pytest.raises(IndexError, match='out of range'):
        ds[len(ds)]
    with pytest.raises(MXNetTypeError, match='indices must be integers'):
        ds[1:3]
    with pytest.raises(FileNotFoundError) as err:
        datasets.ImageFolderDataset(str(tmp_path / 'nowhere'))
    assert isinstance(err.value, MXNetError) and 'nowhere' in str(err.value)
    (tmp_path / 'file').write_bytes(b'')
    with pytest.raises(NotADirectoryError, match='Not a directory'):
        datasets.ImageFolderDataset(str(tmp_path / 'file'))
    # an image file that does not decode fails when read, naming the file
    (tmp_path / 'r' / 'c').mkdir(parents=True)
    (tmp_path / 'r' / 'c' / 'bad.png').write_bytes(b'not a png')
    bad = datasets.ImageFolderDataset(str(tmp_path / 'r'))
    with pytest.raises(MXNetFormatError, match='bad.png'):
        bad[0]


def test_image_folder_dataloader_workers():
    ds, _ = folder_dataset()
    resize = transforms.Compose([transforms.Resize((4, 3)), transforms.ToTensor()])
    loader = DataLoader(ds.transform_first(resize), batch_size=2, num_workers=2)
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(2, 3, 3, 4), (2, 3, 3, 4), (1, 3, 3, 4)]
    assert np.concatenate([b[1].asnumpy() for b in batches]).tolist() == [lab for _, lab in META['folder_items']]


@pytest.mark.parametrize('flag', [1, 0])
def test_image_record_matches_mxnet(flag):
    ds = datasets.ImageRecordDataset(os.path.join(IMAGES, 'images.rec'), flag=flag)
    assert len(ds) == META['rec_len'] and os.path.basename(ds.idx_file) == META['rec_idx_file']
    for i in range(len(ds)):
        img, label = ds[i]
        assert [type(img).__name__, np.dtype(img.dtype).name] == META['rec_image_types']
        assert type(label).__name__ == META['rec_label_types'][i]
        assert np.asarray(label).tolist() == META['rec_labels'][i]
        np.testing.assert_array_equal(img.asnumpy(), ARR['rec/flag%d/%d' % (flag, i)])


def test_image_record_transform_workers_and_errors(tmp_path):
    ds = datasets.ImageRecordDataset(os.path.join(IMAGES, 'images.rec'),
                                     transform=lambda d, lab: (d.shape[2], lab))
    assert ds[0] == (3, META['rec_labels'][0])
    tensors = datasets.ImageRecordDataset(os.path.join(IMAGES, 'images.rec')).transform_first(
        transforms.ToTensor())
    shapes = [x.shape for x, _ in DataLoader(tensors, batch_size=1, num_workers=2)]
    assert shapes == [(1, 3) + ARR['rec/flag1/%d' % i].shape[:2] for i in range(META['rec_len'])]
    with pytest.raises(MXNetTypeError, match='transform must be None or a callable'):
        datasets.ImageRecordDataset(os.path.join(IMAGES, 'images.rec'), transform=3)
    with pytest.raises(FileNotFoundError, match=r'missing\.rec'):
        datasets.ImageRecordDataset(str(tmp_path / 'missing.rec'))


def _lst_rows():
    """The fixture's .lst parsed here: (relative path, labels)."""
    with open(os.path.join(IMAGES, 'images.lst'), newline='') as f:
        return [(row[-1], [float(v) for v in row[1:-1]]) for row in csv.reader(f, delimiter='\t')]


@pytest.mark.parametrize('flag', [1, 0])
def test_image_list_from_lst_file(flag):
    rows = _lst_rows()
    for root, imglist in ((IMAGES, 'images.lst'), ('/nonexistent', os.path.join(IMAGES, 'images.lst'))):
        ds = datasets.ImageListDataset(root=root, imglist=imglist, flag=flag)
        assert [(os.path.relpath(p, root), lab.tolist()) for p, lab in ds.items] == rows
    ds = datasets.ImageListDataset(root=IMAGES, imglist='images.lst', flag=flag)
    assert len(ds) == len(rows)
    for i, (path, labels) in enumerate(rows):
        img, label = ds[i]
        assert isinstance(label, mx.nd.NDArray) and label.dtype == np.float32
        assert label.asnumpy().tolist() == labels
        np.testing.assert_array_equal(img.asnumpy(), ARR['imread/flag%d/%s' % (flag, path[len('folder/'):])])


def test_image_list_from_python_list():
    entries = [[0, 'cat/a.png'], [[1, 2.5], 'dog/d.png'], [1.0, 2.0, 'dog/e.jpeg'], (3, 'cat/b.png')]
    ds = datasets.ImageListDataset(root=FOLDER, imglist=entries)
    assert [ds[i][1].asnumpy().tolist() for i in range(len(ds))] == [[0.0], [1.0, 2.5], [1.0, 2.0], [3.0]]
    np.testing.assert_array_equal(ds[3][0].asnumpy(), ARR['imread/flag1/cat/b.png'])


def test_image_list_errors(tmp_path):
    with pytest.raises(MXNetValueError, match='imglist must be the path of a .lst file or a list'):
        datasets.ImageListDataset(root=FOLDER)
    with pytest.raises(MXNetValueError, match=r'imglist\[1\] must be \[label\(s\), path\]'):
        datasets.ImageListDataset(root=FOLDER, imglist=[[0, 'cat/a.png'], ['cat/b.png']])
    with pytest.raises(MXNetFormatError, match=r'imglist\[0\]: labels must be numbers'):
        datasets.ImageListDataset(root=FOLDER, imglist=[['cat', 'cat/a.png']])
    lst = tmp_path / 'bad.lst'
    for text, match in (('0\t1.0\ta.png\n\n1\ta.png\n', 'bad.lst line 3: expected index<TAB>'),
                        ('x\t1.0\ta.png\n', 'bad.lst line 1: the index .x. is not an integer'),
                        ('0\tdog\ta.png\n', 'bad.lst line 1: labels must be numbers')):
        lst.write_text(text)
        with pytest.raises(MXNetFormatError, match=match):
            datasets.ImageListDataset(root=str(tmp_path), imglist='bad.lst')
    with pytest.raises(FileNotFoundError) as err:
        datasets.ImageListDataset(root=str(tmp_path), imglist='none.lst')
    assert isinstance(err.value, MXNetError)
    # an image named by the list but missing fails when read, naming it
    shutil.copy(os.path.join(FOLDER, 'cat', 'a.png'), tmp_path / 'a.png')
    ds = datasets.ImageListDataset(root=str(tmp_path), imglist=[[0, 'a.png'], [1, 'gone.png']])
    assert ds[0][0].shape == tuple(ARR['imread/flag1/cat/a.png'].shape)
    with pytest.raises(FileNotFoundError, match='gone.png'):
        ds[1]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(datasets.ImageListDataset(root=str(tmp_path), imglist=[])) == 0
