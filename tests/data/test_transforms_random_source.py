"""Each random transform draws from the generator MXNet 1.9.1's draws from, in the same calls, so
seeding that generator reproduces MXNet's crops, rotations and choices: RandomResizedCrop and
RandomApply from Python's ``random``, RandomRotation from ``numpy.random`` (the flips and colour
transforms go through ``nd.image.random_*`` operators and ``mx.random``, tested in
tests/ops/test_image.py).

Every expected value below was measured on MXNet 1.9.1 (/opt/mxvenv) with the same images, seeds
and calls.
"""
import random

import numpy as np
import pytest

from minigluon import nd
from minigluon import random as mxrandom
from minigluon.data.vision import transforms as T
from minigluon.test_utils import assert_almost_equal


def _image():
    return nd.array(np.arange(10 * 12 * 3).reshape(10, 12, 3) % 251, dtype='float32')


def _chw():
    return nd.array(np.arange(3 * 6 * 8).reshape(3, 6, 8) / 10.0, dtype='float32')


# (size, scale, ratio) -> the (x0, y0, w, h) windows of six calls after random.seed(0), and the
# sums of the six outputs, both measured on MXNet 1.9.1 (windows from mx.image.random_size_crop,
# which RandomResizedCrop calls with the same arguments)
RRC = [
    ((6, 6), (0.08, 1.0), (3 / 4., 4 / 3.),
     [(1, 0, 11, 9), (3, 2, 6, 6), (1, 4, 5, 6), (0, 1, 11, 9), (5, 3, 4, 5), (2, 0, 8, 9)],
     [11846.688, 14868.0, 12798.0, 12132.0, 16006.5, 11794.5]),
    ((5, 4), (0.5, 1.0), (0.5, 2.0),
     [(2, 0, 9, 10), (0, 1, 12, 7), (2, 2, 10, 7), (0, 1, 11, 9), (0, 2, 10, 8), (0, 0, 12, 7)],
     [7095.0, 7308.638, 8155.188, 7524.375, 7102.5, 7482.938]),
    ((4, 4), 0.3, (1.0, 1.0),          # a number as scale means (scale, 1.0), as in MXNet
     [(1, 0, 10, 10), (3, 1, 8, 8), (0, 2, 7, 7), (0, 0, 10, 10), (5, 2, 7, 7), (3, 1, 9, 9)],
     [5604.0, 5748.0, 6108.0, 5460.0, 6690.734, 6225.141]),
]


@pytest.mark.parametrize('size, scale, ratio, windows, sums', RRC)
def test_random_resized_crop_after_random_seed_takes_mxnets_windows(size, scale, ratio, windows, sums):
    img = _image()
    random.seed(0)
    crop = T.RandomResizedCrop(size, scale=scale, ratio=ratio)
    outs = [crop(img) for _ in range(6)]
    for out, (x0, y0, w, h), total in zip(outs, windows, sums):
        want = T.CropResize(x0, y0, w, h, size=size)(img) if (w, h) != size else \
            T.CropResize(x0, y0, w, h)(img)
        assert_almost_equal(out, want, rtol=1e-5, atol=1e-3)
        assert abs(float(out.sum().asscalar()) - total) < 5e-3


def test_random_resized_crop_is_not_driven_by_mx_random_seed():
    img = _image()
    random.seed(0)
    first = T.RandomResizedCrop(6)(img).asnumpy()
    random.seed(0)
    mxrandom.seed(123)
    assert np.array_equal(T.RandomResizedCrop(6)(img).asnumpy(), first)


def test_random_resized_crop_fallback_consumes_mxnets_draws():
    """No window fits in 10 tries: the center crop, after 20 draws (measured: the next
    random.random() is 0.3101475693193326 on MXNet 1.9.1)."""
    random.seed(0)
    out = T.RandomResizedCrop((4, 4), scale=(1.0, 1.0), ratio=(4.0, 4.0))(_image())
    assert out.shape == (4, 4, 3)
    assert random.random() == 0.3101475693193326


def test_random_apply_draws_python_random():
    img = _image()
    random.seed(0)
    apply = T.RandomApply(T.Cast('float64'), p=0.5)
    got = [apply(img).dtype == np.float64 for _ in range(12)]
    # measured on MXNet 1.9.1
    assert got == [False, False, True, True, False, True, False, True, True, False, False, False]
    random.seed(3)
    apply = T.RandomApply(T.Cast('float64'), p=0.3)
    got = [apply(img).dtype == np.float64 for _ in range(12)]
    assert got == [True, False, False, False, False, True, True, False, True, True, False, False]


def test_random_rotation_draws_numpy_random():
    chw = _chw()
    nchw = nd.stack(chw, chw * 0.5)
    np.random.seed(0)
    rotate = T.RandomRotation((-30, 30))
    one, batch = rotate(chw), rotate(nchw)
    # sums measured on MXNet 1.9.1; its angles were 12.91136198234517 for the image and
    # [2.692990979813814, -4.580712039665716] for the batch (np.random.uniform after the
    # np.random.random() of rotate_with_proba)
    assert abs(float(one.sum().asscalar()) - 932.0137) < 1e-3
    assert abs(float(batch[0].sum().asscalar()) - 1005.3759) < 1e-3
    assert abs(float(batch[1].sum().asscalar()) - 494.7912) < 1e-3
    assert_almost_equal(one, T.Rotate(12.91136198234517)(chw), rtol=1e-6, atol=1e-6)
    assert_almost_equal(batch[1], T.Rotate(-4.580712039665716)(chw * 0.5), rtol=1e-6, atol=1e-6)
    np.random.seed(5)
    zoomed = T.RandomRotation((-10, 10), zoom_in=True)(chw)
    assert abs(float(zoomed.sum().asscalar()) - 1028.8071) < 1e-3
    assert np.random.random() == 0.20671915533942642        # the next draw, as on MXNet


def test_random_rotation_probability_draw_comes_first():
    """``np.random.random() > rotate_with_proba`` returns the input itself; otherwise one
    ``np.random.uniform`` follows (seed 1 draws 0.417, 0.720, 0.000114, ...: every proba draw
    lands below 0.5, so ten calls rotate ten times, as measured on MXNet 1.9.1)."""
    chw = _chw()
    np.random.seed(1)
    rotate = T.RandomRotation((0, 90), rotate_with_proba=0.5)
    assert [rotate(chw) is chw for _ in range(10)] == [False] * 10
    assert np.random.random() == 0.8007445686755367          # measured next draw
    np.random.seed(0)           # 0.549 > 0.3: kept, one draw used
    rotate = T.RandomRotation((0, 90), rotate_with_proba=0.3)
    assert rotate(chw) is chw
    assert np.random.random() == np.random.RandomState(0).random_sample(2)[1]
