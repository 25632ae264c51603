"""gluon.data.vision.transforms as HybridBlocks over nd.image, the transforms added with them
(CropResize, RandomApply, colour jitters, Rotate, RandomRotation, HybridCompose), MXNet 1.9.1
golden values and an exported pipeline (tools/gen_image_fixtures.py)."""
import json
import os
import random

import numpy as np
import pytest

from minigluon import nd
from minigluon import random as mxrandom
from minigluon.block import HybridBlock, HybridSequential
from minigluon.data.vision import transforms as T
from minigluon.test_utils import assert_almost_equal

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'image')
FX = np.load(os.path.join(HERE, 'image_ops.npz'))
MEAN, STD = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)


def a(key):
    return nd.array(FX[key], dtype=FX[key].dtype)


GOLDEN = [
    ('ToTensor', lambda: T.ToTensor()(a('img_u8')), 0),
    ('Normalize', lambda: T.Normalize(MEAN, STD)(a('chw')), 1e-6),
    ('Resize', lambda: T.Resize((4, 3))(a('img_u8')), 1),
    ('Resize_keep', lambda: T.Resize(4, keep_ratio=True)(a('img_f')), 1e-4),
    ('CropResize', lambda: T.CropResize(1, 1, 4, 3)(a('img_f')), 0),
    ('CropResize_size', lambda: T.CropResize(1, 1, 4, 3, size=(6, 5), interpolation=1)(a('img_f')), 1e-4),
    ('CropResize_batch', lambda: T.CropResize(0, 1, 5, 2)(a('batch_u8')), 0),
    ('Rotate', lambda: T.Rotate(30)(a('chw')), 1e-5),
    ('Rotate_zoom_in', lambda: T.Rotate(-20, zoom_in=True)(a('chw')), 1e-5),
    ('Rotate_zoom_out', lambda: T.Rotate(45, zoom_out=True)(a('nchw')), 1e-5),
    ('Cast', lambda: T.Cast('float16')(a('img_u8')), 0),
]


@pytest.mark.parametrize('key, call, tol', GOLDEN, ids=[g[0] for g in GOLDEN])
def test_transforms_match_mxnet(key, call, tol):
    got, want = call(), FX['tf_' + key]
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got.asnumpy().astype(np.float64) - want).max() <= tol


def test_hybrid_transforms_are_hybrid_blocks_and_hybridize():
    hybrid = [T.Cast(), T.ToTensor(), T.Normalize(), T.Resize(3), T.CropResize(0, 0, 2, 2),
              T.RandomFlipLeftRight(), T.RandomFlipTopBottom(), T.RandomBrightness(0.1),
              T.RandomContrast(0.1), T.RandomSaturation(0.1), T.RandomHue(0.1),
              T.RandomColorJitter(0.1), T.RandomLighting(0.1)]
    assert all(isinstance(t, HybridBlock) for t in hybrid)
    for t in (T.CenterCrop(2), T.RandomResizedCrop(2), T.Rotate(10), T.RandomRotation((0, 1)),
              T.RandomApply(T.ToTensor())):
        assert not isinstance(t, HybridBlock)
    chain = T.HybridCompose([T.Resize((4, 3)), T.Cast('float32'), T.ToTensor(), T.Normalize(MEAN, STD)])
    eager = chain(a('img_u8')).asnumpy()
    chain.hybridize()
    assert np.array_equal(chain(a('img_u8')).asnumpy(), eager)
    assert np.array_equal(chain(a('img_u8')).asnumpy(), eager)        # the cached graph again
    with pytest.raises(TypeError, match='HybridBlock'):
        T.HybridCompose([T.ToTensor(), T.CenterCrop(2)])


def test_compose_groups_hybrid_runs_like_mxnet():
    f = T.Compose([T.Resize(4), T.ToTensor(), T.CenterCrop(2), lambda x: x * 2, T.Cast('float16')])
    kinds = [type(c).__name__ for c in f._children.values()]
    assert kinds == ['HybridSequential', 'CenterCrop', '_Call', 'Cast']
    img = a('img_u8')
    want = T.Cast('float16')(T.CenterCrop(2)(T.ToTensor()(T.Resize(4)(img))) * 2)
    assert_almost_equal(f(img), want.asnumpy())
    with pytest.raises(TypeError, match='callable'):
        T.Compose([T.ToTensor(), 3])


def test_exported_pipeline_matches_mxnet_graph(tmp_path):
    pipe = HybridSequential()
    pipe.add(T.Resize((4, 3)), T.RandomFlipLeftRight(), T.RandomBrightness(0.3), T.Cast('float32'),
             T.ToTensor(), T.Normalize(MEAN, STD))
    pipe.hybridize()
    out = pipe(a('img_u8'))
    assert out.shape == (3, 3, 4) and out.dtype == np.float32
    pipe.export(str(tmp_path / 'pipeline'))
    ours = json.loads((tmp_path / 'pipeline-symbol.json').read_text())['nodes']
    with open(os.path.join(HERE, 'pipeline-symbol.json')) as f:
        theirs = json.load(f)['nodes']

    def ops(nodes):
        return [(n['op'], n.get('attrs', {})) for n in nodes]

    assert ops(ours) == ops(theirs)
    assert [n['name'].split('_', 1)[1] for n in ours[1:]] == [n['name'].split('_', 1)[1] for n in theirs[1:]]


def test_colour_transforms_ranges():
    img = a('img_f')
    mxrandom.seed(1)
    for _ in range(20):
        out = T.RandomBrightness(0.5)(img).asnumpy()
        ratio = out / FX['img_f']
        assert np.allclose(ratio, ratio.flat[0], rtol=1e-4) and 0.5 - 1e-6 <= ratio.flat[0] <= 1.5 + 1e-6
    for t in (T.RandomContrast(0.4), T.RandomSaturation(0.4), T.RandomHue(0.4),
              T.RandomColorJitter(0.2, 0.2, 0.2, 0.1), T.RandomLighting(0.1)):
        out = t(a('img_u8'))
        assert out.shape == (5, 6, 3) and out.dtype == np.uint8
    assert np.array_equal(T.RandomBrightness(0)(img).asnumpy(), FX['img_f'])
    assert np.array_equal(T.RandomColorJitter()(img).asnumpy(), FX['img_f'])
    with pytest.raises(ValueError, match='>= 0'):
        T.RandomContrast(-0.1)
    with pytest.raises(ValueError, match='hue must be'):
        T.RandomColorJitter(hue=-1)


def test_random_apply():
    random.seed(4)          # Python's generator, as MXNet's RandomApply
    t = T.RandomApply(T.Cast('float64'), p=0.3)
    kinds = [t(a('img_f')).dtype == np.float64 for _ in range(200)]
    assert 35 < sum(kinds) < 85
    assert T.RandomApply(lambda x: x + 1, p=1.0)(a('img_f')).asnumpy()[0, 0, 0] == FX['img_f'][0, 0, 0] + 1
    with pytest.raises(ValueError, match='p must be'):
        T.RandomApply(T.ToTensor(), p=2)


def test_rotate_properties_and_random_rotation():
    chw = a('chw')
    assert_almost_equal(T.Rotate(0)(chw), FX['chw'], rtol=1e-6, atol=1e-6)
    assert_almost_equal(T.Rotate(180)(chw), FX['chw'][:, ::-1, ::-1], rtol=1e-5, atol=1e-5)
    np.random.seed(2)       # NumPy's global generator, as MXNet's RandomRotation
    got = T.RandomRotation((-30, 30))(a('nchw'))
    np.random.seed(2)
    np.random.random()
    angles = np.random.uniform(-30.0, 30.0, size=2)
    for i in range(2):
        assert_almost_equal(got[i], T.Rotate(float(angles[i]))(a('nchw')[i]), rtol=1e-6, atol=1e-6)
    assert T.RandomRotation((0, 90), rotate_with_proba=0.0)(chw) is chw
    with pytest.raises(TypeError, match='float32'):
        T.Rotate(10)(a('img_u8'))
    with pytest.raises(ValueError, match='both'):
        T.Rotate(10, zoom_in=True, zoom_out=True)
    with pytest.raises(ValueError, match='lower < upper'):
        T.RandomRotation((10, 0))


@pytest.mark.parametrize('make, error, match', [
    (lambda: T.RandomBrightness(float('nan')), ValueError, '>= 0'),
    (lambda: T.RandomColorJitter(saturation=float('nan')), ValueError, 'saturation must be'),
    (lambda: T.Rotate('ten'), TypeError, 'rotation_degrees must be a number'),
    (lambda: T.RandomRotation(30), ValueError, 'angle_limits must be a pair'),
    (lambda: T.RandomRotation((1, 2, 3)), ValueError, 'angle_limits must be a pair'),
    (lambda: T.RandomResizedCrop(3, scale=(0.5,)), ValueError, 'scale must be'),
    (lambda: T.Cast('no-such-type'), TypeError, 'Cast: dtype must be'),
])
def test_transform_arguments_give_clear_errors(make, error, match):
    """Bad constructor arguments name the argument (were NumPy/unpacking errors or accepted NaN)."""
    with pytest.raises(error, match=match):
        make()
