"""The file iterators: mx.io.MNISTIter, CSVIter, ImageRecordIter and mx.image.ImageIter.

Golden batches from MXNet 1.9.1 (tools/gen_file_iters_fixtures.py, tests/fixtures/file_iters):
values, pads, labels, provide_data / provide_label over several epochs with reset(). The other
tests check minigluon's own choices (errors, shuffling, where MXNet 1.9.1 is wrong).
"""
import gzip
import json
import os
import random
import shutil

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import (MXNetFileNotFoundError, MXNetFormatError, MXNetTypeError,
                            MXNetValueError, NotSupportedError)

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'file_iters')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)
ARR = dict(np.load(os.path.join(FIX, 'batches.npz'), allow_pickle=False))
PATH_KEYS = ('image', 'label', 'data_csv', 'label_csv', 'path_imgrec', 'path_imgidx', 'path_imglist',
             'path_root')


def fix(name):
    return os.path.join(FIX, name)


def make(kind, **kwargs):
    kwargs = {k: (fix(v) if k in PATH_KEYS else tuple(v) if k in ('data_shape', 'label_shape') else v)
              for k, v in kwargs.items()}
    if kind == 'ImageIter':
        return mx.image.ImageIter(**kwargs)
    return getattr(mx.io, kind)(**kwargs)


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_matches_mxnet(case):
    if case['seed'] is not None:
        random.seed(case['seed'])
    it = make(case['kind'], **case['kwargs'])
    assert [[d[0], list(d[1])] for d in it.provide_data] == case['provide_data']
    assert [[d[0], list(d[1])] for d in it.provide_label] == case['provide_label']
    got = []
    for _ in range(case['epochs']):
        got.extend(it)
        it.reset()
    assert len(got) == len(case['batches'])
    for batch, want in zip(got, case['batches']):
        data = batch.data[0].asnumpy()
        ref = ARR[want['key']]
        assert data.dtype == ref.dtype and data.shape == ref.shape, want['key']
        if case['atol']:
            np.testing.assert_allclose(data, ref, rtol=0, atol=case['atol'], err_msg=want['key'])
        else:
            np.testing.assert_array_equal(data, ref, err_msg=want['key'])
        assert batch.pad == want['pad'], want['key']
        assert batch.label[0].asnumpy().tolist() == want['label'], want['key']


def mnist(**kwargs):
    args = dict(image=fix('mnist-images.idx'), label=fix('mnist-labels.idx'), batch_size=5,
                shuffle=False, silent=True)
    args.update(kwargs)
    return mx.io.MNISTIter(**args)


def test_mnist_protocol_and_index():
    it = mnist()
    assert it.batch_size == 5
    assert it.iter_next()
    assert it.getdata().shape == (5, 1, 28, 28) and it.getlabel().shape == (5,)
    assert it.getindex().dtype == np.uint64 and it.getindex().tolist() == [0, 1, 2, 3, 4]
    assert it.getpad() == 0
    batch = it.next()
    assert batch.index.tolist() == [5, 6, 7, 8, 9]
    it.reset()      # a reset in the middle of an epoch starts again at the first image
    assert it.next().index.tolist() == [0, 1, 2, 3, 4]
    part = mnist(batch_size=2, num_parts=3, part_index=1)
    assert part.next().index.tolist() == [7, 8]     # indices are positions in the file


def test_mnist_shuffle_is_fixed_across_epochs_and_seeded():
    it = mnist(shuffle=True, seed=3)
    first = [b.index.tolist() for b in it]
    it.reset()
    assert [b.index.tolist() for b in it] == first     # MXNet shuffles once, at creation
    assert sorted(sum(first, [])) != sum(first, []) and len(set(sum(first, []))) == 20
    again = mnist(shuffle=True, seed=3)
    assert [b.index.tolist() for b in again] == first
    again.reset()
    b = next(again)
    assert b.label[0].asnumpy().tolist() == [float(i % 10) for i in b.index.tolist()]
    whole = mnist(batch_size=23).next().data[0].asnumpy()
    np.testing.assert_array_equal(b.data[0].asnumpy(), whole[b.index.astype(np.int64)])


def test_mnist_gzip_dtype_and_message(tmp_path, capsys):
    for name in ('mnist-images.idx', 'mnist-labels.idx'):
        with open(fix(name), 'rb') as src, gzip.open(str(tmp_path / (name + '.gz')), 'wb') as dst:
            shutil.copyfileobj(src, dst)
    gz = mnist(image=str(tmp_path / 'mnist-images.idx.gz'), label=str(tmp_path / 'mnist-labels.idx.gz'))
    np.testing.assert_array_equal(gz.next().data[0].asnumpy(), mnist().next().data[0].asnumpy())
    f64 = mnist(dtype='float64').next()
    assert f64.data[0].dtype == np.float64 and f64.label[0].dtype == np.float64
    mnist(silent=False)
    assert 'MNISTIter: load 23 images, shuffle=0, shape=[5,1,28,28]' in capsys.readouterr().err


def test_mnist_errors(tmp_path):
    with pytest.raises(MXNetFileNotFoundError, match='nope'):
        mnist(image=str(tmp_path / 'nope'))
    with pytest.raises(MXNetFormatError, match='magic'):
        mnist(image=fix('mnist-labels.idx'), label=fix('mnist-images.idx'))
    with pytest.raises(MXNetValueError, match='batch_size'):
        mnist(batch_size=0)
    with pytest.raises(MXNetValueError, match='batch_size .24. is larger'):
        mnist(batch_size=24)
    with pytest.raises(MXNetValueError, match='part_index'):
        mnist(num_parts=2, part_index=2)
    with pytest.raises(MXNetValueError, match='dtype'):
        mnist(dtype='uint8')
    labels = tmp_path / 'short.idx'
    raw = open(fix('mnist-labels.idx'), 'rb').read()
    labels.write_bytes(raw[:4] + (22).to_bytes(4, 'big') + raw[8:-1])
    with pytest.raises(MXNetFormatError, match='23 images but .* 22 labels'):
        mnist(label=str(labels))
    with pytest.raises(MXNetValueError, match='no current batch'):
        mnist().getdata()


def csv(**kwargs):
    args = dict(data_csv=fix('data.csv'), data_shape=(6,), batch_size=3)
    args.update(kwargs)
    return mx.io.CSVIter(**args)


def test_csv_index_and_wrapping_batches():
    it = csv()
    assert [b.index.tolist() for b in it] == [[0, 1, 2], [3, 4, 5], [6, 0, 1]]
    big = csv(batch_size=16)        # MXNet 1.9.1 fails; here the data wraps as often as needed
    batch = big.next()
    assert batch.pad == 9 and batch.index.tolist() == list(range(7)) * 2 + [0, 1]
    assert csv(label_csv='NULL').next().label[0].asnumpy().tolist() == [0.0, 0.0, 0.0]


def test_csv_parsing(tmp_path):
    path = tmp_path / 'x.csv'
    path.write_text('1, 2 ,3,\n\n-4.5,nan,6e1\r\n')
    values = csv(data_csv=str(path), data_shape=(3,), batch_size=2).next().data[0].asnumpy()
    np.testing.assert_array_equal(values, [[1, 2, 3], [-4.5, np.nan, 60]])
    path.write_text('3.9,-0.5,7\n')
    assert csv(data_csv=str(path), data_shape=(3,), batch_size=1, dtype='int32').next().data[0].asnumpy().tolist() == [[3, 0, 7]]
    folder = tmp_path / 'dir'
    folder.mkdir()
    (folder / 'b.csv').write_text('4,5,6\n')
    (folder / 'a.csv').write_text('1,2,3\n')
    assert csv(data_csv=str(folder), data_shape=(3,), batch_size=2).next().data[0].asnumpy().tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize('text, match', [('a,b,c\n1,2,3\n', "line 1, value 1: 'a' is not a number"),
                                         ('1,,3\n', "value 2: '' is not a number"),
                                         ('1,2\n', 'line 1 holds 2 values, but the shape'),
                                         ('1,2,3,4\n', 'holds 4 values'),
                                         ('0x10,2,3\n', "'0x10' is not a number"),
                                         ('\n\n', 'holds no rows')])
def test_csv_bad_files(tmp_path, text, match):
    path = tmp_path / 'bad.csv'
    path.write_text(text)
    with pytest.raises(MXNetFormatError, match=match):
        csv(data_csv=str(path), data_shape=(3,))


def test_csv_errors(tmp_path):
    with pytest.raises(MXNetFileNotFoundError, match=r'nope\.csv'):
        csv(data_csv=str(tmp_path / 'nope.csv'))
    with pytest.raises(MXNetFormatError, match='7 rows but label_csv .* 5'):
        (tmp_path / 'l.csv').write_text('1\n2\n3\n4\n5\n')
        csv(label_csv=str(tmp_path / 'l.csv'))
    with pytest.raises(MXNetValueError, match='batch_size is required'):
        mx.io.CSVIter(data_csv=fix('data.csv'), data_shape=(6,))
    with pytest.raises(MXNetValueError, match='data_shape'):
        csv(data_shape=(0,))
    with pytest.raises(MXNetTypeError, match='data_csv'):
        csv(data_csv=3)
    with pytest.raises(MXNetValueError, match='dtype'):
        csv(dtype='uint8')


def rec(**kwargs):
    args = dict(path_imgrec=fix('images.rec'), data_shape=(3, 10, 12), batch_size=3)
    args.update(kwargs)
    return mx.io.ImageRecordIter(**args)


def test_image_record_iter_parts():
    # MXNet's splits (measured): by bytes without an index, by record count with one
    def parts(n, **kw):
        return [sum((b.index.tolist()[:3 - b.pad] if b.pad else b.index.tolist() for b in
                     rec(batch_size=3, num_parts=n, part_index=i, **kw)), []) for i in range(n)]
    assert parts(3) == [[0, 1, 2], [3, 4], [5, 6]]
    assert parts(3, path_imgidx=fix('images.idx')) == [[0, 1, 2], [3, 4, 5], [6]]
    assert parts(2) == parts(2, path_imgidx=fix('images.idx')) == [[0, 1, 2, 3], [4, 5, 6]]


def test_image_record_iter_no_round_pads_with_zeros():
    it = rec(round_batch=False)
    batches = list(it)
    last = batches[-1]
    assert last.pad == 2       # MXNet 1.9.1 reports 0 and leaves uninitialised rows
    assert not last.data[0].asnumpy()[1:].any() and last.label[0].asnumpy().tolist() == [6, 0, 0]
    it.reset()
    assert it.next().index.tolist() == [0, 1, 2]


def test_image_record_iter_random_and_shape_fallback():
    plain = rec(data_shape=(3, 6, 8), batch_size=7).next().data[0].asnumpy()
    mirrored = rec(data_shape=(3, 6, 8), batch_size=7, mirror=True).next().data[0].asnumpy()
    np.testing.assert_array_equal(mirrored, plain[..., ::-1])
    a = [b.index.tolist() for b in rec(shuffle=True, seed=4, rand_crop=True, rand_mirror=True, data_shape=(3, 6, 8))]
    b = [b.index.tolist() for b in rec(shuffle=True, seed=4, rand_crop=True, rand_mirror=True, data_shape=(3, 6, 8))]
    assert a == b and a != [[0, 1, 2], [3, 4, 5], [6, 0, 1]]
    # taller than the image, as wide: centre-cropped across, resized up (MXNet reads outside)
    tall = rec(data_shape=(3, 12, 10), batch_size=1).next().data[0].asnumpy()[0]
    src = mx.image.imdecode(mx.recordio.unpack(mx.recordio.MXRecordIO(fix('images.rec'), 'r').read())[1])
    want = mx.image.imresize(src[:, 1:11], 10, 12, interp=1).asnumpy().transpose(2, 0, 1)
    np.testing.assert_array_equal(tall, want)


def test_image_record_iter_errors(tmp_path):
    with pytest.raises(MXNetFileNotFoundError, match=r'nope\.rec'):
        rec(path_imgrec=str(tmp_path / 'nope.rec'))
    with pytest.raises(MXNetValueError, match='data_shape'):
        rec(data_shape=(10, 12))
    with pytest.raises(MXNetValueError, match='data_shape'):
        rec(data_shape=(2, 10, 12))
    with pytest.raises(NotSupportedError, match='max_rotate_angle'):
        rec(max_rotate_angle=10)
    rec(max_rotate_angle=0, preprocess_threads=8, verbose=False)     # defaults and ignored ones
    with pytest.raises(MXNetTypeError, match='unexpected argument .bogus.'):
        rec(bogus=1)
    with pytest.raises(MXNetFormatError, match='1 label value but label_width is 2'):
        rec(label_width=2).next()
    with pytest.raises(MXNetFormatError, match='2 label values but label_width is 1'):
        rec(path_imgrec=fix('images2.rec')).next()
    bad = mx.recordio.MXRecordIO(str(tmp_path / 'bad.rec'), 'w')
    bad.write(mx.recordio.pack(mx.recordio.IRHeader(0, 1.0, 7, 0), b'not an image'))
    bad.close()
    with pytest.raises(MXNetFormatError, match='record 0 .id 7. .* not a decodable image'):
        rec(path_imgrec=str(tmp_path / 'bad.rec')).next()


def test_image_iter_hooks_and_errors(tmp_path):
    it = mx.image.ImageIter(2, (3, 10, 12), path_imgrec=fix('images.rec'), dtype='int32')
    assert it.next().label[0].dtype == np.int32     # MXNet 1.9.1 returns float32 whatever dtype
    with pytest.raises(MXNetValueError, match='path_imgrec, path_imglist or imglist'):
        mx.image.ImageIter(2, (3, 10, 12))
    with pytest.raises(MXNetValueError, match='3-channel'):
        mx.image.ImageIter(2, (1, 10, 12), path_imgrec=fix('images.rec'))
    with pytest.raises(MXNetValueError, match='need path_imgidx'):
        mx.image.ImageIter(2, (3, 10, 12), path_imgrec=fix('images.rec'), shuffle=True)
    with pytest.raises(MXNetValueError, match='last_batch_handle'):
        mx.image.ImageIter(2, (3, 10, 12), path_imgrec=fix('images.rec'), last_batch_handle='x')
    lst = tmp_path / 'bad.lst'
    lst.write_text('0\tx\ta.png\n')
    with pytest.raises(MXNetFormatError, match='line 1'):
        mx.image.ImageIter(2, (3, 10, 12), path_imglist=str(lst))
    missing = mx.image.ImageIter(2, (3, 10, 12), imglist=[[0.0, 'nope.png']], path_root=str(tmp_path))
    with pytest.raises(MXNetFileNotFoundError, match=r'nope\.png'):
        missing.next()
    (tmp_path / 'junk.png').write_bytes(b'junk')
    junk = mx.image.ImageIter(2, (3, 10, 12), imglist=[[0.0, 'junk.png']], path_root=str(tmp_path))
    with pytest.raises(MXNetFormatError, match="broken image, file 'junk.png'"):
        junk.next()
    # after a padded last batch the epoch stays over until reset()
    it = mx.image.ImageIter(3, (3, 10, 12), path_imgrec=fix('images.rec'))
    assert len(list(it)) == 3 and len(list(it)) == 0
    it.reset()
    assert len(list(it)) == 3


def test_file_iterators_are_mxdataiters_as_in_mxnet():
    # MXNet's file iterators are MXDataIter objects; scripts test for it before reset()
    # (example/gluon/image_classification.py); MXDataIter itself wraps a C++ handle we lack
    assert isinstance(csv(), mx.io.MXDataIter) and isinstance(csv(), mx.io.DataIter)
    with pytest.raises(NotImplementedError, match='no native'):
        mx.io.MXDataIter(None)
