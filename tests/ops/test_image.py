"""nd.image / sym.image operators: MXNet 1.9.1 golden values (tools/gen_image_fixtures.py), NumPy
references of MXNet's formulas, gradients, randomness and errors."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon import image as mx_image
from minigluon import random as mxrandom
from minigluon.executor import CachedOp
from minigluon.ops.image import LIGHTING_EIG
from minigluon.ops.image_random import LUMA, hue
from minigluon.test_utils import assert_almost_equal, check_gradient

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'image')
FX = np.load(os.path.join(HERE, 'image_ops.npz'))
MEAN, STD = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
I = nd.image


def a(key):
    return nd.array(FX[key], dtype=FX[key].dtype)


# (fixture key, call, tolerance): tolerance 1 where MXNet's uint8 arithmetic rounds differently
GOLDEN = [
    ('to_tensor_f', lambda: I.to_tensor(a('img_f')), 0),
    ('to_tensor_u8', lambda: I.to_tensor(a('img_u8')), 0),
    ('to_tensor_batch', lambda: I.to_tensor(a('batch_u8')), 0),
    ('normalize_chw', lambda: I.normalize(a('chw'), mean=MEAN, std=STD), 1e-6),
    ('normalize_nchw', lambda: I.normalize(a('nchw'), mean=MEAN, std=STD), 1e-6),
    ('normalize_scalar', lambda: I.normalize(a('chw'), mean=0.4, std=0.2), 1e-6),
    ('flip_lr_f', lambda: I.flip_left_right(a('img_f')), 0),
    ('flip_lr_u8', lambda: I.flip_left_right(a('img_u8')), 0),
    ('crop_f', lambda: I.crop(a('img_f'), 1, 2, 3, 2), 0),
    ('crop_batch', lambda: I.crop(a('batch_u8'), 2, 0, 4, 3), 0),
    ('resize_down_f', lambda: I.resize(a('img_f'), (4, 3)), 1e-4),
    ('resize_up_f', lambda: I.resize(a('img_f'), (9, 7)), 1e-4),
    ('resize_int_f', lambda: I.resize(a('img_f'), 4), 1e-4),
    ('resize_keep_f', lambda: I.resize(a('img_f'), 4, keep_ratio=True), 1e-4),
    ('resize_keep_tall_f', lambda: I.resize(nd.array(FX['img_f'].transpose(1, 0, 2)), 4,
                                            keep_ratio=True), 1e-4),
    ('resize_nearest_down', lambda: I.resize(a('img_f'), (4, 3), interp=0), 0),
    ('resize_nearest_up', lambda: I.resize(a('img_u8'), (9, 7), interp=0), 0),
    ('resize_down_u8', lambda: I.resize(a('img_u8'), (4, 3)), 0),      # OpenCV fixed point
    ('resize_up_u8', lambda: I.resize(a('img_u8'), (9, 7)), 0),
    ('resize_batch_f', lambda: I.resize(a('batch_f'), (4, 7)), 1e-4),
    ('lighting_f', lambda: I.adjust_lighting(a('img_f'), alpha=(0.5, -1.0, 2.0)), 1e-4),
    ('lighting_u8', lambda: I.adjust_lighting(a('img_u8'), alpha=(1.5, -1.0, 2.0)), 0),
    ('brightness_f', lambda: I.random_brightness(a('img_f'), 0.7, 0.7), 1e-4),
    ('brightness_u8', lambda: I.random_brightness(a('img_u8'), 1.6, 1.6), 0),
    ('contrast_f', lambda: I.random_contrast(a('img_f'), 0.6, 0.6), 1e-4),
    ('contrast_u8', lambda: I.random_contrast(a('img_u8'), 1.7, 1.7), 1),
    ('contrast_gray', lambda: I.random_contrast(a('gray_f'), 0.6, 0.6), 1e-4),
    ('hue_f', lambda: I.random_hue(a('img_f'), 0.15, 0.15), 1e-3),
    ('hue_f2', lambda: I.random_hue(a('img_f'), 0.8, 0.8), 1e-3),
    ('hue_u8', lambda: I.random_hue(a('img_u8'), 0.3, 0.3), 1),
]


@pytest.mark.parametrize('key, call, tol', GOLDEN, ids=[g[0] for g in GOLDEN])
def test_matches_mxnet(key, call, tol):
    got, want = call(), FX['op_' + key]
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got.asnumpy().astype(np.float64) - want).max() <= tol


def test_flip_top_bottom_matches_mxnet_except_its_unwritten_middle_row():
    # MXNet 1.9.1 swaps row pairs and never writes the middle row of an odd height (garbage there)
    for key in ('f', 'u8'):
        got, want = I.flip_top_bottom(a('img_' + key)).asnumpy(), FX['op_flip_tb_' + key]
        keep = np.arange(5) != 2
        assert np.array_equal(got[keep], want[keep])
        assert np.array_equal(got, FX['img_' + key][::-1])


RESIZE_FX = np.load(os.path.join(HERE, 'resize_interp.npz'))


@pytest.mark.parametrize('interp', [2, 3, 4])
@pytest.mark.parametrize('size', [(4, 3), (9, 10), (3, 9), (11, 2)])
def test_resize_interp_codes_are_opencvs_as_in_mxnet(interp, size):
    # MXNet hands interp to OpenCV unchanged: 2 bicubic, 3 area, 4 Lanczos-4 (golden values from
    # tools/gen_image_resize_fixtures.py); minigluon had 2 and 3 swapped and used Pillow's
    # filters, up to 160 (of 255) away from MXNet's pixels.
    for kind, tol in (('f', 1e-3), ('u8', 0)):
        img = RESIZE_FX['img_' + kind]
        got = I.resize(nd.array(img, dtype=img.dtype), size, False, interp)
        want = RESIZE_FX['%d_%s_%dx%d' % (interp, kind, size[0], size[1])]
        assert got.dtype == img.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.asnumpy().astype(np.float64), want, rtol=0, atol=tol)


def test_uint8_bilinear_resize_is_opencvs_fixed_point():
    got = I.resize(a('img_u8'), (9, 7)).asnumpy()
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, FX['op_resize_up_u8'])


UINT8_FX = np.load(os.path.join(HERE, 'resize_uint8.npz'))


def _uint8_case(row):
    """Run one case of tools/gen_image_resize_uint8_fixtures.py: ``(image, width, height,
    interp, call)``, call 0 ``nd.image.resize``, 1 ``mx.image.imresize``, 2 ``keep_ratio``."""
    k, width, height, interp, call = (int(v) for v in row)
    img = nd.array(UINT8_FX['img%d' % k], dtype=UINT8_FX['img%d' % k].dtype)
    if call == 1:
        return mx_image.imresize(img, width, height, interp)
    if call == 2:
        return I.resize(img, width, True, interp)
    return I.resize(img, (width, height), False, interp)


@pytest.mark.parametrize('interp', [0, 1, 2, 3, 4])
def test_uint8_resizes_are_mxnets_bytes(interp):
    # MXNet 1.9.1 (OpenCV 3.4.2) on random and structured images, 1-4 channels, up, down, mixed,
    # unchanged and integer-factor sizes, a batch, imresize, keep_ratio; interp 0 also int32/int8
    rows = [(i, r) for i, r in enumerate(UINT8_FX['spec']) if r[3] == interp]
    assert len(rows) > 200
    wrong = []
    for i, row in rows:
        got, want = _uint8_case(row).asnumpy(), UINT8_FX['out%d' % i]
        if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
            wrong.append((tuple(int(v) for v in row), UINT8_FX['img%d' % row[0]].shape,
                          int((got != want).sum()) if got.shape == want.shape else 'shape'))
    assert not wrong, '%d of %d cases differ, e.g. %s' % (len(wrong), len(rows), wrong[:5])


def test_uint8_lanczos_where_mxnet_divides_by_zero():
    # 1 -> 49 rows: output row 24 samples a hair above source row 0's centre, OpenCV rounds the
    # offset to 1.0 and its Lanczos weights to NaN; MXNet writes 0s and 255s there. minigluon
    # gives the row the value of a plain 1-row resample (MXNet's own 41 x 1 result).
    img = nd.array(UINT8_FX['lanczos_nan_img'], dtype='uint8')
    got = I.resize(img, (41, 49), False, 4).asnumpy()
    want, row = UINT8_FX['lanczos_nan_out'], UINT8_FX['lanczos_nan_row'][0]
    keep = np.arange(49) != 24
    np.testing.assert_array_equal(got[keep], want[keep])
    np.testing.assert_array_equal(got[24], row)
    assert np.abs(want[24].astype(int) - row).max() > 100          # MXNet's garbage row
    np.testing.assert_array_equal(I.resize(img, (41, 1), False, 4).asnumpy()[0], row)
    # float: MXNet's row 24 is NaN; a one-row image gives every output row the same values
    flt = I.resize(img.astype('float32'), (41, 49), False, 4).asnumpy()
    assert np.isfinite(flt).all()
    np.testing.assert_allclose(flt, np.broadcast_to(flt[:1], flt.shape), rtol=0, atol=1e-4)


def test_gradients_match_mxnet():
    x = a('chw')
    x.attach_grad()
    with autograd.record():
        y = I.normalize(x, mean=MEAN, std=STD)
    y.backward(a('head_chw'))
    assert_almost_equal(x.grad, FX['grad_normalize'], rtol=1e-6, atol=1e-7)
    x = a('img_f')
    x.attach_grad()
    with autograd.record():
        y = I.crop(x, 1, 2, 3, 2)
    y.backward(a('head_crop'))
    assert np.array_equal(x.grad.asnumpy(), FX['grad_crop'])


def test_flip_and_to_tensor_gradients():
    head = FX['head_hwc'].astype(np.float64)
    for fn, ref in ((I.flip_left_right, head[:, ::-1]), (I.flip_top_bottom, head[::-1])):
        x = nd.array(FX['img_f'], dtype='float64')
        x.attach_grad()
        with autograd.record():
            y = fn(x)
        y.backward(nd.array(head, dtype='float64'))
        assert np.array_equal(x.grad.asnumpy(), ref)
    x = nd.array(FX['batch_f'])
    x.attach_grad()
    g = np.random.RandomState(0).uniform(-1, 1, (2, 3, 5, 6)).astype(np.float32)
    with autograd.record():
        y = I.to_tensor(x)
    y.backward(nd.array(g))
    assert_almost_equal(x.grad, g.transpose(0, 2, 3, 1) / 255, rtol=1e-6, atol=1e-9)
    check_gradient(lambda v: I.crop(v, 0, 1, 2, 2), [FX['img_f'][:4, :4]])
    check_gradient(lambda v: I.normalize(v, mean=0.3, std=(2.0, 3.0, 4.0)), [FX['chw']])


def test_normalize_integer_images_truncate_as_mxnet():
    """Integer images are computed in float32 and truncated toward zero, keeping their dtype.
    Values measured on MXNet 1.9.1: uint8 [139, 182, 153] with mean (10, 20, 30), std (2, 3, 4)
    gives [64, 54, 30]; int8/int32/int64 [-100, 5, 127] give [-55, -5, 24]; 256 uint8 values
    with mean 10.3, std 2.7 give floor((x - 10.3) / 2.7) in float32 where that is >= 0."""
    u8 = nd.array(np.array([139, 182, 153], np.uint8).reshape(3, 1, 1), dtype='uint8')
    out = I.normalize(u8, mean=(10, 20, 30), std=(2, 3, 4))
    assert out.dtype == np.uint8 and out.asnumpy().ravel().tolist() == [64, 54, 30]
    for dt in ('int8', 'int32', 'int64'):
        x = nd.array(np.array([-100, 5, 127]).reshape(3, 1, 1), dtype=dt)
        out = I.normalize(x, mean=(10, 20, 30), std=(2, 3, 4))
        assert out.dtype == np.dtype(dt) and out.asnumpy().ravel().tolist() == [-55, -5, 24]
    values = np.arange(256, dtype=np.uint8)
    got = I.normalize(nd.array(values.reshape(1, 16, 16), dtype='uint8'), mean=10.3, std=2.7)
    exact = (values.astype(np.float32) - np.float32(10.3)) / np.float32(2.7)   # float32, as MXNet
    keep = exact >= 0
    assert np.array_equal(got.asnumpy().ravel()[keep], np.trunc(exact[keep]).astype(np.uint8))
    # float64 arithmetic would give 8.99999985, 12.9999995, 18.9999996 here and truncate to
    # [8, 12, 18]; MXNet 1.9.1 gives [9, 13, 19] (measured)
    x = nd.array(np.array([1, 4, 21], np.uint8).reshape(3, 1, 1), dtype='uint8')
    assert I.normalize(x, mean=0.1, std=(0.1, 0.3, 1.1)).asnumpy().ravel().tolist() == [9, 13, 19]


def test_normalize_integer_results_out_of_range_saturate():
    """MXNet's C cast is undefined out of range (x86 builds wrap: uint8 -3.8 came out as 253,
    -100 as 156, 500 as 244, measured); here results saturate to the dtype's range."""
    x = nd.array(np.array([0, 100, 250], np.uint8).reshape(1, 1, 3), dtype='uint8')
    out = I.normalize(x, mean=100.0, std=0.4).asnumpy().ravel().tolist()
    assert out == [0, 0, 255]
    x = nd.array(np.array([-128, 0, 127], np.int8).reshape(1, 1, 3), dtype='int8')
    assert I.normalize(x, mean=0.0, std=0.5).asnumpy().ravel().tolist() == [-128, 0, 127]
    for dt, big in (('int32', 2 ** 31 - 1), ('int64', 2 ** 32)):   # float32(int32 max) rounds
        x = nd.array(np.array([2 ** 30, -2 ** 30, 5]).reshape(1, 1, 3), dtype=dt)   # above it
        got = I.normalize(x, mean=0.0, std=0.25).asnumpy().ravel().tolist()
        assert got == [big, -big - (dt == 'int32'), 20]
    batch = nd.array(np.full((2, 3, 1, 1), 7, np.uint8), dtype='uint8')
    out = I.normalize(batch, mean=(10, 20, 30), std=(2, 3, 4))
    assert out.shape == (2, 3, 1, 1) and not out.asnumpy().any()


def _luma(x):
    return (x * np.array(LUMA)).sum(-1, keepdims=True)


@pytest.mark.parametrize('name, ref', [
    ('random_brightness', lambda x, al: x * al),
    ('random_contrast', lambda x, al: x * al + (1 - al) * _luma(x).mean()),
    ('random_saturation', lambda x, al: x * al + (1 - al) * _luma(x)),
])
def test_random_colour_ops_use_the_drawn_factor(name, ref):
    """Exact values for the factor drawn from minigluon.random (reseeded, drawn again here)."""
    x = FX['img_f'].astype(np.float64)
    mxrandom.seed(3)
    got = getattr(I, name)(nd.array(x, dtype='float64'), 0.5, 1.5).asnumpy()
    mxrandom.seed(3)
    alpha = 0.5 + mxrandom.draw_uniform(np, (1,), dtype=np.float64)[0]
    assert_almost_equal(got, ref(x, alpha), rtol=1e-10, atol=1e-9)
    check_gradient(lambda v: (mxrandom.seed(5), getattr(I, name)(v, 0.5, 1.5))[1], [x[:3, :3]])


def test_saturation_uses_true_luma_not_mxnets_blue_only_gray():
    x = FX['img_f'].astype(np.float64)
    got = I.random_saturation(nd.array(x, dtype='float64'), 0.3, 0.3).asnumpy()
    assert_almost_equal(got, 0.3 * x + 0.7 * _luma(x), rtol=1e-10, atol=1e-9)


def test_hue_rotation_properties():
    x = FX['img_f']
    for turn in (0.0, 1.0):              # a full turn (or none) gives the image back
        assert_almost_equal(hue(np, x, turn), x, rtol=1e-4, atol=1e-3)
    third = hue(np, x, 1 / 3)            # a third of a turn permutes R -> G -> B
    assert_almost_equal(third, x[..., [2, 0, 1]], rtol=1e-4, atol=1e-3)
    gray = np.repeat(FX['gray_f'], 3, axis=2)
    assert_almost_equal(hue(np, gray, 0.37), gray, rtol=1e-5, atol=1e-3)


def test_lighting_and_random_lighting():
    x = FX['img_f'].astype(np.float64)
    out = I.adjust_lighting(nd.array(x, dtype='float64'), alpha=(0.5, -1.0, 2.0)).asnumpy()
    assert_almost_equal(out, x + LIGHTING_EIG.astype(np.float64) @ [0.5, -1.0, 2.0], rtol=1e-6, atol=1e-4)
    mxrandom.seed(11)
    got = I.random_lighting(nd.array(x, dtype='float64'), alpha_std=0.3).asnumpy()
    mxrandom.seed(11)
    alpha = mxrandom.draw_normal(np, (3,), 0.0, 0.3, dtype=np.float64)
    assert_almost_equal(got, x + LIGHTING_EIG @ alpha.astype(np.float32), rtol=1e-6, atol=1e-4)
    assert np.array_equal(I.adjust_lighting(a('gray_f'), alpha=(1, 2, 3)).asnumpy(), FX['gray_f'])


def test_random_flips_flip_half_the_time_and_are_reproducible():
    x = a('img_f')
    mxrandom.seed(0)
    outs = [I.random_flip_left_right(x).asnumpy() for _ in range(200)]
    flipped = [np.array_equal(o, FX['img_f'][:, ::-1]) for o in outs]
    assert all(f or np.array_equal(o, FX['img_f']) for f, o in zip(flipped, outs))
    assert 70 < sum(flipped) < 130
    mxrandom.seed(0)
    assert all(np.array_equal(I.random_flip_left_right(x).asnumpy(), o) for o in outs[:10])
    head = FX['head_hwc']
    for _ in range(4):
        v = a('img_f')
        v.attach_grad()
        with autograd.record():
            y = I.random_flip_top_bottom(v)
        y.backward(nd.array(head))
        did = np.array_equal(y.asnumpy(), FX['img_f'][::-1])
        assert np.array_equal(v.grad.asnumpy(), head[::-1] if did else head)


def test_color_jitter_applies_the_drawn_steps_in_the_drawn_order():
    from minigluon.ops.image_random import STEPS
    x = FX['img_f'].astype(np.float64)
    amounts = {'brightness': 0.3, 'contrast': 0.2, 'saturation': 0.4, 'hue': 0.1}
    mxrandom.seed(9)
    got = I.random_color_jitter(nd.array(x, dtype='float64'), **amounts).asnumpy()
    mxrandom.seed(9)
    ref = x
    for i in mxrandom.draw_permutation(np, 4):
        kind = ('brightness', 'contrast', 'saturation', 'hue')[int(i)]
        u = mxrandom.draw_uniform(np, (1,), -amounts[kind], amounts[kind], dtype=np.float64)[0]
        ref = STEPS[kind][0](np, ref, u if kind == 'hue' else 1 + u)
    assert_almost_equal(got, ref, rtol=1e-10, atol=1e-8)
    out = I.random_color_jitter(a('img_u8'), 0.5, 0.5, 0.5, 0.5)
    assert out.dtype == np.uint8 and out.shape == (5, 6, 3)
    assert np.array_equal(I.random_color_jitter(a('img_f'), 0, 0, 0, 0).asnumpy(), FX['img_f'])


def test_random_ops_in_a_graph_draw_per_call():
    data = sym.var('data')
    net = sym.image.random_brightness(data, min_factor=0.2, max_factor=2.0)
    assert net.name.startswith('random_brightness')
    node = json.loads(net.tojson())['nodes'][1]
    assert node['op'] == '_image_random_brightness'
    run = CachedOp(net)
    first = run(a('img_f'))[0].asnumpy()
    second = run(a('img_f'))[0].asnumpy()
    assert not np.array_equal(first, second)
    assert net.infer_shape(data=(5, 6, 3))[1] == [(5, 6, 3)]
    assert sym.image.to_tensor(data).infer_type(data='uint8')[1] == [np.float32]


@pytest.mark.parametrize('call, err, words', [
    (lambda: I.to_tensor(nd.zeros((4, 3))), ValueError, 'data must be a 3-D image'),
    (lambda: I.normalize(nd.zeros((3, 4, 4)), mean=(1, 2)), ValueError, "'mean' must have 1 or 3"),
    (lambda: I.normalize(nd.zeros((3, 4, 4)), std=(1, 0, 1)), ValueError, "'std' must not contain 0"),
    (lambda: I.flip_left_right(nd.zeros((2, 4, 4, 3))), ValueError, '(height, width, channels)'),
    (lambda: I.crop(nd.zeros((4, 4, 3)), 2, 0, 3, 2), ValueError, 'does not fit'),
    (lambda: I.crop(nd.zeros((4, 4, 3)), 0, 0, 0, 2), ValueError, 'width and height must be positive'),
    (lambda: I.resize(nd.zeros((4, 4, 3))), ValueError, 'size must be a positive int'),
    (lambda: I.resize(nd.zeros((4, 4, 3)), (2, 2, 2)), ValueError, 'size must be'),
    (lambda: I.resize(nd.zeros((4, 4, 3)), 2, interp=7), ValueError, 'interp'),
    (lambda: I.resize(nd.zeros((4, 4, 3), dtype='int32'), 2), TypeError, 'uint8 or floating'),
    (lambda: I.adjust_lighting(nd.zeros((4, 4, 3)), alpha=(1, 2)), ValueError, 'alpha must hold 3'),
    (lambda: I.adjust_lighting(nd.zeros((4, 4, 2)), alpha=(1, 2, 3)), ValueError, '1 or 3 channels'),
    (lambda: I.random_brightness(nd.zeros((4, 4, 3)), -0.5, 1), ValueError, 'min_factor must be >= 0'),
    (lambda: I.random_saturation(nd.zeros((4, 4, 3)), 0.5, float('nan')), ValueError,
     'max_factor must be >= 0'),
    (lambda: I.random_hue(nd.zeros((4, 4, 3)), 1.5, 0.5), ValueError, 'must not exceed'),
    (lambda: I.random_contrast(nd.zeros((2, 4, 4, 3)), 1, 1), ValueError, 'data must be a 3-D image'),
    (lambda: I.random_color_jitter(nd.zeros((4, 4, 3)), -1, 0, 0, 0), ValueError, 'brightness must be'),
])
def test_errors_name_the_argument(call, err, words):
    with pytest.raises(err, match=None) as info:
        call()
    assert words in str(info.value)
