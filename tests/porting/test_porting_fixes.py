"""Regression tests for the gaps the porting snippets found: ``mx.AttrScope``, ``nd.concatenate``,
``transforms.CenterCrop`` / ``RandomFlipLeftRight`` / ``RandomFlipTopBottom`` and the
``nd.random.exponential`` / ``gamma`` / ``poisson`` samplers. MXNet values come from
tests/fixtures/porting/ (recorded by tools/gen_porting_fixtures.py).
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.gluon.data.vision import transforms

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'porting')


def test_attrscope_is_exported_at_top_level():
    with mx.AttrScope(group='g1'):
        v = mx.sym.var('v')
    assert mx.AttrScope is mx.attribute.AttrScope
    assert v.attr('group') == 'g1'


def test_concatenate_matches_numpy():
    a = nd.array(np.arange(6).reshape(2, 3))
    b = nd.array(np.arange(3).reshape(1, 3) + 10)
    np.testing.assert_array_equal(nd.concatenate([a, b]).asnumpy(),
                                  np.concatenate([a.asnumpy(), b.asnumpy()]))
    np.testing.assert_array_equal(nd.concatenate([a, a], axis=1).asnumpy(),
                                  np.concatenate([a.asnumpy()] * 2, axis=1))
    assert nd.concatenate([a], always_copy=False) is a
    copy = nd.concatenate([a])
    assert copy is not a and np.array_equal(copy.asnumpy(), a.asnumpy())


@pytest.mark.parametrize('bad', [[], 'x', [np.ones(2)]])
def test_concatenate_rejects_bad_arrays(bad):
    with pytest.raises(ValueError, match='concatenate: '):
        nd.concatenate(bad)


def test_center_crop_matches_mxnet():
    fix = np.load(os.path.join(FIX, 'center_crop.npz'))
    image = nd.array(fix['image'], dtype='uint8')
    for key in fix.files:
        if not key.startswith('crop_'):
            continue
        w, h = (int(v) for v in key.split('_')[1:])
        got = transforms.CenterCrop((w, h))(image)
        want = fix[key]
        assert got.shape == want.shape and got.dtype == np.uint8, key
        if w <= 10 and h <= 6:          # a pure crop: exact
            np.testing.assert_array_equal(got.asnumpy(), want, err_msg=key)
        else:                           # upsampled: bilinear, OpenCV's fixed-point rounding within 1
            assert np.abs(got.asnumpy().astype(int) - want.astype(int)).max() <= 1, key


def test_center_crop_errors():
    with pytest.raises(ValueError, match='CenterCrop: size'):
        transforms.CenterCrop((0, 3))
    with pytest.raises(ValueError, match='CenterCrop: expected a 3-D'):
        transforms.CenterCrop(2)(nd.zeros((1, 4, 4, 3), dtype='uint8'))


@pytest.mark.parametrize('cls, axis', [(transforms.RandomFlipLeftRight, 1),
                                       (transforms.RandomFlipTopBottom, 0)])
def test_random_flip(cls, axis):
    image = nd.array(np.random.RandomState(0).randint(0, 256, (4, 5, 3)), dtype='uint8')
    host = image.asnumpy()
    mx.random.seed(3)
    first = [cls()(image).asnumpy() for _ in range(40)]
    mx.random.seed(3)
    again = [cls()(image).asnumpy() for _ in range(40)]
    flipped = [bool(np.array_equal(f, np.flip(host, axis))) for f in first]
    assert all(f or np.array_equal(o, host) for f, o in zip(flipped, first))
    assert 5 < sum(flipped) < 35                       # about half of 40
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    with pytest.raises(ValueError, match='3-D'):
        cls()(nd.zeros((2, 4, 5, 3)))


@pytest.mark.parametrize('fn, kwargs, mean, var', [
    (nd.random.exponential, {'scale': 2.0}, 2.0, 4.0),
    (nd.random.gamma, {'alpha': 9.0, 'beta': 0.5}, 4.5, 2.25),
    (nd.random.poisson, {'lam': 3.0}, 3.0, 3.0),
])
def test_scalar_samplers(fn, kwargs, mean, var):
    mx.random.seed(11)
    x = fn(shape=(20000,), **kwargs)
    mx.random.seed(11)
    y = fn(shape=(20000,), **kwargs)
    assert x.dtype == np.float32 and x.shape == (20000,)
    assert np.array_equal(x.asnumpy(), y.asnumpy())
    s = x.asnumpy().astype(np.float64)
    assert abs(s.mean() - mean) < 5 * np.sqrt(var / s.size)
    assert abs(s.var() - var) < 0.1 * var
    assert fn(shape=(2, 3), dtype='float64', **kwargs).dtype == np.float64
    assert fn(**kwargs).shape == (1,)


def test_scalar_sampler_errors_and_names():
    with pytest.raises(ValueError, match='scale'):
        nd.random.exponential(scale=0)
    with pytest.raises(ValueError, match='alpha'):
        nd.random.gamma(alpha=-1, shape=(2,))
    with pytest.raises(ValueError, match='beta'):
        nd.random.gamma(beta=0, shape=(2,))
    with pytest.raises(ValueError, match='lam'):
        nd.random.poisson(lam=-1, shape=(2,))
    assert nd.random.exponential(nd.array([1.0, 2.0])).shape == (2,)     # _sample_exponential
    assert nd.random_exponential(lam=4.0, shape=(3,)).shape == (3,)
    assert nd.random_poisson(lam=0.0, shape=(3,)).asnumpy().tolist() == [0.0, 0.0, 0.0]
    s = mx.sym.random_gamma(alpha=2.0, shape=(2, 2))
    assert s.infer_shape()[1] == [(2, 2)]


def test_autograd_grad_single_variable_returns_list_like_mxnet():
    fix = json.load(open(os.path.join(FIX, 'autograd_grad.json')))
    a = nd.array([[1.0, 2.0], [3.0, 4.0]])
    a.attach_grad()
    with mx.autograd.record():
        b = nd.sigmoid(a) * 2
    g = mx.autograd.grad(b, a)
    assert type(g).__name__ == fix['single_variable_type'] and len(g) == fix['length']
    np.testing.assert_allclose(g[0].asnumpy(), fix['grad'], rtol=1e-5)   # float32 sigmoid rounding
