"""mx.image.det (detection augmenters, ImageDetIter) and mx.io.ImageDetRecordIter.

Golden values from MXNet 1.9.1 (tools/gen_image_det_fixtures.py, tests/fixtures/image_det). The
augmenters draw from Python's ``random`` in MXNet's order, so the seeded crops, pads, flips and
iterator batches are compared exactly (labels to float32 rounding, images to the byte, float
pipelines to 1e-4). Other tests check properties of the random crops and pads over many seeds,
and minigluon's own choices (errors; where MXNet 1.9.1 fails).
"""
import json
import logging
import os
import random

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetTypeError, MXNetValueError, NotSupportedError

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'image_det')
with open(os.path.join(FIX, 'augs.json')) as _f:
    AUGS = json.load(_f)
with open(os.path.join(FIX, 'iters.json')) as _f:
    ITERS = json.load(_f)
AUG_ARR = dict(np.load(os.path.join(FIX, 'augs.npz')))
ITER_ARR = dict(np.load(os.path.join(FIX, 'iters.npz')))
PATH_KEYS = ('path_imgrec', 'path_imgidx', 'path_imglist', 'path_root')
LABEL = AUG_ARR['label_in']


def fix(name):
    return os.path.join(FIX, name)


def image(i):
    return mx.nd.array(AUG_ARR['image/%d' % i], dtype='uint8')


def _tuples(value):
    """JSON lists back to the tuples the generator passed (lists of ranges stay lists)."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return [tuple(v) for v in value]
    return tuple(value) if isinstance(value, list) and not any(
        isinstance(v, list) for v in value) and len(value) in (2, 3) else value


def _kwargs(kwargs):
    return {k: (fix(v) if k in PATH_KEYS else _tuples(v)) for k, v in kwargs.items()}


# --------------------------------------------------------------------------------------------
# augmenters against MXNet


@pytest.mark.parametrize('case', AUGS['augs'], ids=[c['key'] for c in AUGS['augs']])
def test_augmenter_matches_mxnet(case):
    kwargs = _kwargs(case['kwargs'])
    if case['name'] == 'multi_crop':          # lists of values, one per crop augmenter
        kwargs['min_object_covered'] = list(case['kwargs']['min_object_covered'])
    random.seed(case['seed'])
    aug = getattr(mx.image, case['kind'])(**kwargs)
    out, label = aug(image(case['image']), LABEL.copy())
    want = AUG_ARR[case['key']]
    assert out.shape == want.shape and out.dtype == want.dtype
    np.testing.assert_array_equal(out.asnumpy(), want)
    assert label.dtype == np.dtype(case['label_dtype'])
    np.testing.assert_array_equal(label, np.array(case['label'], label.dtype))


@pytest.mark.parametrize('case', AUGS['pipelines'], ids=[c['key'] for c in AUGS['pipelines']])
def test_create_det_augmenter_pipeline_matches_mxnet(case):
    random.seed(case['seed'])
    img, label = image(case['image']), LABEL.copy()
    for aug in mx.image.CreateDetAugmenter(**_kwargs(case['kwargs'])):
        img, label = aug(img, label)
    np.testing.assert_allclose(img.asnumpy(), AUG_ARR[case['key']], rtol=0, atol=1e-4)
    np.testing.assert_array_equal(label, np.array(case['label'], np.float32))


@pytest.mark.parametrize('case', AUGS['dumps'], ids=range(len(AUGS['dumps'])))
def test_create_det_augmenter_dumps_match_mxnet(case):
    kwargs = _kwargs(case['kwargs'])
    if 'min_object_covered' in kwargs:
        kwargs['min_object_covered'] = list(case['kwargs']['min_object_covered'])
    got = [a.dumps() for a in mx.image.CreateDetAugmenter(**kwargs)]
    assert json.loads(json.dumps(got)) == case['dumps']


def test_names_exported_as_mxnet():
    names = ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
             'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter',
             'CreateDetAugmenter', 'ImageDetIter']
    for name in names:
        assert getattr(mx.image, name) is getattr(mx.image.det, name)
        assert getattr(mx.image.detection, name) is getattr(mx.image.det, name)
        assert name in mx.image.__all__
    assert sorted(mx.image.det.__all__) == sorted(names)
    import minigluon.image.det
    from minigluon.image.detection import ImageDetIter
    assert minigluon.image.det is mx.image.det and ImageDetIter is mx.image.ImageDetIter


# --------------------------------------------------------------------------------------------
# properties of the random crops and pads


def _random_label(rng, n):
    xy = rng.uniform(0, 0.7, (n, 2))
    wh = rng.uniform(0.05, 0.3, (n, 2))
    out = np.zeros((n, 5), np.float32)
    out[:, 0] = rng.randint(0, 4, n)
    out[:, 1:3], out[:, 3:5] = xy, xy + wh
    return out


def test_random_crop_keeps_boxes_inside_and_meets_coverage():
    """Over 40 seeds: crops fit the image and the area range, every kept box lies in [0, 1],
    and mapping a kept box back to the image gives an original box clipped to the crop."""
    rng = np.random.RandomState(0)
    aug = mx.image.DetRandomCropAug(min_object_covered=0.3, area_range=(0.2, 0.9),
                                    min_eject_coverage=0.4)
    src = mx.nd.zeros((40, 50, 3), dtype='uint8')
    cropped = 0
    for seed in range(40):
        label = _random_label(rng, 4)
        random.seed(seed)
        proposal = aug._random_crop_proposal(label, 40, 50)
        random.seed(seed)
        out, new = aug(src, label.copy())
        if not proposal:
            assert out.shape == src.shape and np.array_equal(new, label)
            continue
        cropped += 1
        x, y, w, h, _ = proposal
        assert out.shape == (h, w, 3) and x + w <= 50 and y + h <= 40
        assert 0.2 * 2000 <= w * h <= 0.9 * 2000
        assert (new[:, 1:5] >= 0).all() and (new[:, 1:5] <= 1).all()
        assert (new[:, 3] > new[:, 1]).all() and (new[:, 4] > new[:, 2]).all()
        back = new[:, 1:5] * [w / 50, h / 40, w / 50, h / 40] + [x / 50, y / 40, x / 50, y / 40]
        clipped = np.clip(label[:, 1:5], [x / 50, y / 40] * 2, [(x + w) / 50, (y + h) / 40] * 2)
        assert all(np.isclose(b, clipped, atol=1e-5).all(axis=1).any() for b in back)
    assert cropped > 10


def test_random_pad_contains_the_image():
    aug = mx.image.DetRandomPadAug(area_range=(1.2, 3.0), pad_val=(1, 2, 3))
    src = mx.nd.full((20, 30, 3), 200, dtype='uint8')
    rng = np.random.RandomState(1)
    for seed in range(20):
        label = _random_label(rng, 3)
        random.seed(seed)
        out, new = aug(src, label.copy())
        h, w = out.shape[:2]
        assert h >= 22 and w >= 32 and 1.2 * 600 <= h * w <= 3.0 * 600 + w + h
        pixels = out.asnumpy()
        rows, cols = np.nonzero((pixels == 200).all(axis=2))
        y, x = rows.min(), cols.min()
        assert (rows.max() - y, cols.max() - x) == (19, 29)
        assert (pixels[0 if y else -1, 0 if x else -1] == [1, 2, 3]).all()
        np.testing.assert_allclose(new[:, 1:5] * [w, h, w, h],
                                   label[:, 1:5] * [30, 20, 30, 20] + [x, y, x, y], atol=1e-3)


def test_a_number_pad_val_fills_every_channel():
    """MXNet 1.9.1 fills the first channel with it and the others with 0."""
    random.seed(0)
    out, _ = mx.image.DetRandomPadAug(pad_val=50)(mx.nd.full((10, 12, 3), 200, dtype='uint8'),
                                                  LABEL.copy())
    # seed 0 draws MXNet's canvas too: 16 x 20 with the image away from the top-left corner
    assert out.shape == (16, 20, 3) and out.asnumpy()[0, 0].tolist() == [50, 50, 50]


def test_seeded_runs_repeat():
    augs = mx.image.CreateDetAugmenter((3, 24, 24), rand_crop=0.8, rand_pad=0.5, rand_mirror=True)
    runs = []
    for _ in range(2):
        random.seed(11)
        outs = []
        for i in range(5):
            img, label = image(i), LABEL.copy()
            for aug in augs:
                img, label = aug(img, label)
            outs.append((img.asnumpy(), label))
        runs.append(outs)
    for (a, la), (b, lb) in zip(*runs):
        assert np.array_equal(a, b) and np.array_equal(la, lb)


def test_invalid_ranges_warn_and_disable():
    """MXNet 1.9.1 passes the range as the warning category and fails with TypeError."""
    with pytest.warns(UserWarning, match='area_range'):
        crop = mx.image.DetRandomCropAug(area_range=(0.8, 0.2))
    with pytest.warns(UserWarning, match='aspect_ratio_range'):
        pad = mx.image.DetRandomPadAug(aspect_ratio_range=(0, 1))
    src = image(0)
    for aug in (crop, pad):
        out, label = aug(src, LABEL.copy())
        assert out is src and np.array_equal(label, LABEL)


def test_augmenter_argument_errors():
    with pytest.raises(TypeError, match='Augmenter'):
        mx.image.DetBorrowAug(lambda x: x)
    with pytest.raises(ValueError, match='DetAugmenter'):
        mx.image.DetRandomSelectAug([mx.image.CastAug()])
    with pytest.raises(MXNetValueError, match='every list'):
        mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.2],
                                              max_attempts=[1, 2, 3])
    with pytest.raises(MXNetValueError, match='data_shape'):
        mx.image.CreateDetAugmenter((24, 24))
    with pytest.raises(MXNetValueError, match='mean'):
        mx.image.CreateDetAugmenter((3, 24, 24), mean=[1, 2])
    with pytest.raises(MXNetTypeError, match='aspect_ratio_range'):
        mx.image.DetRandomCropAug(aspect_ratio_range='wide')
    empty = mx.image.DetRandomSelectAug([])
    assert empty.skip_prob == 1


# --------------------------------------------------------------------------------------------
# ImageDetIter and ImageDetRecordIter against MXNet


def _make(case):
    kwargs = _kwargs(case['kwargs'])
    if case['kind'] == 'ImageDetIter':
        return mx.image.ImageDetIter(**kwargs)
    return mx.io.ImageDetRecordIter(**kwargs)


@pytest.mark.parametrize('case', ITERS['iters'], ids=[c['name'] for c in ITERS['iters']])
def test_iterator_matches_mxnet(case):
    if case['seed'] is not None:
        random.seed(case['seed'])
        np.random.seed(case['seed'])
    it = _make(case)
    assert [[d[0], list(d[1])] for d in it.provide_data] == case['provide_data']
    assert [[d[0], list(d[1])] for d in it.provide_label] == case['provide_label']
    if 'label_shape' in case:
        assert list(it.label_shape) == case['label_shape']
    got = []
    for _ in range(case['epochs']):
        got.extend(it)
        it.reset()
    assert len(got) == len(case['batches'])
    for batch, want in zip(got, case['batches']):
        rows = len(want['label']) - (want['pad'] if case['name'].endswith('noround') else 0)
        data, ref = batch.data[0].asnumpy(), ITER_ARR[want['key']]
        assert data.dtype == ref.dtype == np.float32 and data.shape == ref.shape
        np.testing.assert_allclose(data[:rows], ref[:rows], rtol=0, atol=1e-4, err_msg=want['key'])
        assert batch.pad == want['pad'], want['key']
        label = batch.label[0].asnumpy()
        assert label.dtype == np.float32
        np.testing.assert_array_equal(label[:rows], np.array(want['label'], np.float32)[:rows],
                                      err_msg=want['key'])


def test_sync_label_shape_and_reshape_match_mxnet():
    want = ITERS['sync']
    a = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=fix('det.rec'))
    b = mx.image.ImageDetIter(2, (3, 16, 16), imglist=[[[2, 6, 0, 0.1, 0.1, 0.5, 0.6, 0], '0.png']],
                              path_root=fix('png'))
    assert b.label_shape == (1, 6)
    assert a.sync_label_shape(b) is b
    assert [list(a.label_shape), list(b.label_shape), list(b.provide_label[0].shape)] == \
        [want['a'], want['b'], want['b_provide_label']]
    a.reshape(None, (9, 6))
    assert list(a.provide_label[0].shape) == want['reshaped_label']
    np.testing.assert_array_equal(a.next().label[0].asnumpy(),
                                  np.array(want['reshaped_batch_label'], np.float32))


def test_reshape_data_shape_resizes_with_the_default_augmenters():
    """MXNet 1.9.1 keeps resizing to the old data_shape and then fails to fill the batch."""
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=fix('det.rec'))
    it.reshape((3, 10, 12))
    batch = it.next()
    assert batch.data[0].shape == (2, 3, 10, 12) and it.provide_data[0].shape == (2, 3, 10, 12)


def test_label_shape_errors():
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=fix('det.rec'))
    with pytest.raises(ValueError, match='reduce'):
        it.reshape(None, (2, 6))
    with pytest.raises(ValueError, match='width'):
        it.reshape(None, (5, 7))
    with pytest.raises(ValueError, match='objects, object_width'):
        it.reshape(None, (5,))
    with pytest.raises(MXNetTypeError, match='must be an ImageDetIter, got ImageIter'):
        it.sync_label_shape(mx.image.ImageIter(2, (3, 8, 8), path_imgrec=fix('det.rec')))
    other = mx.image.ImageDetIter(2, (3, 16, 16), path_imglist=fix('det.lst'),
                                  path_root=fix('png'))
    with pytest.raises(MXNetValueError, match='widths differ'):
        it.sync_label_shape(other)


def test_an_augmented_image_of_another_shape_is_refused():
    it = mx.image.ImageDetIter(2, (3, 16, 16), path_imgrec=fix('det.rec'),
                               aug_list=[mx.image.DetBorrowAug(mx.image.CastAug())])
    with pytest.raises(MXNetValueError, match='ForceResizeAug'):
        it.next()


def test_unparsable_labels_are_refused_when_measuring():
    bad = [[[2, 5, 0, 0.1, 0.1], '0.png']]                          # 5 values: too short
    with pytest.raises(MXNetValueError, match='at least 7 values'):
        mx.image.ImageDetIter(1, (3, 8, 8), imglist=bad, path_root=fix('png'))
    uneven = [[[2, 5, 0, 0.1, 0.1, 0.5, 0.5, 1], '0.png']]
    with pytest.raises(MXNetValueError, match='objects of 5 values'):
        mx.image.ImageDetIter(1, (3, 8, 8), imglist=uneven, path_root=fix('png'))


def test_invalid_samples_are_skipped(caplog):
    """Record 5 holds only class -1 objects: MXNet and minigluon skip it (logged at DEBUG)."""
    it = mx.image.ImageDetIter(7, (3, 8, 8), path_imgrec=fix('det.rec'))
    with caplog.at_level(logging.DEBUG):
        batch = it.next()
    assert batch.pad == 1 and 'no valid object' in caplog.text


def test_draw_next_draws_boxes_in_bgr():
    it = mx.image.ImageDetIter(1, (3, 16, 16), imglist=[[[2, 5, 0, 0.25, 0.25, 0.75, 0.75],
                                                        '0.png']], path_root=fix('png'))
    images = list(it.draw_next(color=(255, 0, 0), thickness=1))
    assert len(images) == 1
    img = images[0]
    assert img.shape == (16, 16, 3) and img.dtype == np.uint8
    # the box from (4, 4) to (12, 12): its edges in red, written BGR
    assert (img[4, 4:13] == [0, 0, 255]).all() and (img[4:13, 12] == [0, 0, 255]).all()
    with pytest.raises(NotSupportedError, match='OpenCV'):
        next(it.draw_next(waitKey=0))



# --------------------------------------------------------------------------------------------
# ImageDetRecordIter: minigluon's choices


def _write_rec(path, labels, size=(8, 8)):
    """A .rec file of grey PNG images with the given raw labels."""
    import io as _io
    Image = pytest.importorskip('PIL.Image')
    buf = _io.BytesIO()
    Image.fromarray(np.full(size + (3,), 100, np.uint8)).save(buf, format='PNG')
    writer = mx.recordio.MXRecordIO(str(path), 'w')
    for i, label in enumerate(labels):
        header = mx.recordio.IRHeader(0, np.asarray(label, np.float32), i, 0)
        writer.write(mx.recordio.pack(header, buf.getvalue()))
    writer.close()
    return str(path)


def test_det_record_iter_drops_only_empty_boxes(tmp_path):
    """As MXNet 1.9.1 (measured): objects with xmax <= xmin or ymax <= ymin go; class -1 and
    coordinates outside [0, 1] stay; the automatic width is the longest raw label (37 values
    here, before dropping) plus the 4 leading values."""
    objs = [[0, 0.1, 0.1, 0.5, 0.5], [1, 0.5, 0.1, 0.5, 0.6], [2, 0.2, 0.6, 0.4, 0.6],
            [3, 0.6, 0.6, 0.4, 0.9], [-1, 0.1, 0.1, 0.3, 0.3], [4, -0.2, 0.1, 1.3, 0.5],
            [5, 0.3, 0.3, 0.2, 0.2]]
    labels = [[2, 5] + sum(objs, []), [3, 5, 7, 1, 0.1, 0.2, 0.3, 0.4]]
    rec = _write_rec(tmp_path / 'odd.rec', labels)
    it = mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(3, 8, 8))
    label = it.next().label[0].asnumpy()
    assert label.shape == (2, 41)
    kept = np.array([2, 5] + objs[0] + objs[4] + objs[5], np.float32)
    np.testing.assert_array_equal(label[0, :4 + kept.size], np.r_[[3, 8, 8, kept.size], kept])
    assert (label[0, 4 + kept.size:] == -1).all()
    np.testing.assert_array_equal(label[1, :12], np.array([3, 8, 8, 8, 3, 5, 7, 1, 0.1, 0.2, 0.3,
                                                           0.4], np.float32))


def test_det_record_iter_mirror_flips_pixels_and_boxes(tmp_path):
    plain = mx.io.ImageDetRecordIter(path_imgrec=fix('det.rec'), batch_size=7,
                                     data_shape=(3, 16, 16), round_batch=False)
    flipped = mx.io.ImageDetRecordIter(path_imgrec=fix('det.rec'), batch_size=7,
                                       data_shape=(3, 16, 16), rand_mirror_prob=1.0)
    a, b = plain.next(), flipped.next()
    np.testing.assert_array_equal(b.data[0].asnumpy(), a.data[0].asnumpy()[..., ::-1])
    la, lb = a.label[0].asnumpy(), b.label[0].asnumpy()
    for ra, rb in zip(la, lb):
        n, hw = int(ra[3]), int(ra[4])
        objects_a = ra[4 + hw:4 + n].reshape(-1, int(ra[5]))
        objects_b = rb[4 + hw:4 + n].reshape(-1, int(ra[5]))
        np.testing.assert_allclose(objects_b[:, [1, 3]], 1 - objects_a[:, [3, 1]], atol=1e-6)
        np.testing.assert_array_equal(objects_b[:, [0, 2, 4, 5]], objects_a[:, [0, 2, 4, 5]])


def test_det_record_iter_shuffle_repeats_with_the_seed():
    def order(seed):
        it = mx.io.ImageDetRecordIter(path_imgrec=fix('det.rec'), batch_size=7,
                                      data_shape=(3, 8, 8), shuffle=True, seed=seed)
        return [int(v) for v in it.next().index]
    assert order(3) == order(3) and sorted(order(3)) == list(range(7))


def test_det_record_iter_filler_rows_hold_the_pad_value():
    it = mx.io.ImageDetRecordIter(path_imgrec=fix('det.rec'), batch_size=5, data_shape=(3, 8, 8),
                                  round_batch=False, label_pad_value=-3)
    last = list(it)[-1]
    assert last.pad == 3
    assert (last.label[0].asnumpy()[2:] == -3).all() and (last.data[0].asnumpy()[2:] == 0).all()


def test_det_record_iter_argument_errors(tmp_path):
    rec = fix('det.rec')
    with pytest.raises(NotSupportedError, match='rand_crop_prob'):
        mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(3, 8, 8),
                                 rand_crop_prob=0.5)
    with pytest.raises(NotSupportedError, match='resize_mode'):
        mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(3, 8, 8),
                                 resize_mode='fit')
    # defaults of the unsupported augmentations, and the ignored arguments, are accepted
    mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(3, 8, 8),
                             rand_pad_prob=0, max_crop_trials=(25,), resize_mode='force',
                             preprocess_threads=4, fill_value=127)
    with pytest.raises(MXNetTypeError, match='unexpected argument'):
        mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(3, 8, 8), rand_crop=1)
    with pytest.raises(MXNetValueError, match='label_pad_width=10'):
        mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(3, 8, 8),
                                 label_pad_width=10)
    with pytest.raises(MXNetValueError, match='data_shape'):
        mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=2, data_shape=(2, 8, 8))
    with pytest.raises(mx.base.MXNetFormatError, match='label_width is 16'):
        mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=7, data_shape=(3, 8, 8),
                                 label_width=16).next()
    short = _write_rec(tmp_path / 'short.rec', [[2, 5, 1, 0.1, 0.2, 0.3]])
    with pytest.raises(mx.base.MXNetFormatError, match='at least 7'):
        mx.io.ImageDetRecordIter(path_imgrec=short, batch_size=1, data_shape=(3, 8, 8)).next()
    assert isinstance(mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=1, data_shape=(3, 8, 8)),
                      mx.io.MXDataIter)


def test_errors_of_the_shared_iterator_code_name_imagedetiter():
    # ImageDetIter is built on ImageIter: its argument errors name the class the user called
    with pytest.raises(MXNetValueError, match=r'^ImageDetIter: data_shape must have 3 values'):
        mx.image.ImageDetIter(2, (32, 32), imglist=[[[2, 5, 0, 0, .5, .5, 1], 'a.png']])
    with pytest.raises(MXNetValueError, match=r'^ImageIter: data_shape must have 3 values'):
        mx.image.ImageIter(2, (32, 32), imglist=[[1, 'a.png']])
