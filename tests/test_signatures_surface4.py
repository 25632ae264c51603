"""Parameter names, order and defaults that MXNet 1.9.1 scripts pass by keyword or position
(fixture: tools/gen_surface4_fixtures.py)."""
import inspect
import json
import os

import numpy as np
import pytest

import minigluon as mx

SIGS = json.load(open(os.path.join(os.path.dirname(__file__), 'fixtures', 'surface4',
                                   'surface4.json')))['signatures']


def _get(path):
    obj = mx
    for part in path.split('.'):
        obj = getattr(obj, part)
    return obj


def _params(fn):
    return [[p.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
            for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize('path', sorted(k for k in SIGS if not k.startswith('io.')))
def test_signature_matches_mxnet(path):
    assert _params(_get(path)) == SIGS[path]


def test_pool_positional_arguments_follow_mxnet_order():
    x = mx.nd.arange(25).reshape((1, 1, 5, 5))
    # AvgPool2D(pool_size, strides, padding, ceil_mode, ...): the 4th positional is ceil_mode.
    assert mx.gluon.nn.AvgPool2D(2, 2, 0, True)(x).shape == (1, 1, 3, 3)
    assert mx.gluon.nn.AvgPool2D(2, 2, 0, False)(x).shape == (1, 1, 2, 2)
    # MaxPool2D(pool_size, strides, padding, layout, ceil_mode).
    assert mx.gluon.nn.MaxPool2D(2, 2, 0, 'NCHW', True)(x).shape == (1, 1, 3, 3)
    x3 = mx.nd.ones((1, 1, 3, 3, 3))
    assert mx.gluon.nn.MaxPool3D(2, 2, 0, True)(x3).shape == (1, 1, 2, 2, 2)
    # count_include_pad by position (AvgPool1D's 6th) and by keyword.
    x1 = mx.nd.ones((1, 1, 2))
    inc = mx.gluon.nn.AvgPool1D(2, 1, 1, 'NCW', False, True)(x1).asnumpy()
    exc = mx.gluon.nn.AvgPool1D(2, 1, 1, count_include_pad=False)(x1).asnumpy()
    np.testing.assert_allclose(inc.ravel(), [0.5, 1.0, 0.5])
    np.testing.assert_allclose(exc.ravel(), [1.0, 1.0, 1.0])


def test_pool_errors_name_the_class():
    with pytest.raises(TypeError, match='MaxPool2D.*too many positional'):
        mx.gluon.nn.MaxPool2D(2, 2, 0, 'NCHW', False, True)
    with pytest.raises(TypeError, match='count_include_pad'):
        mx.gluon.nn.MaxPool2D(count_include_pad=True)


def test_binary_functions_take_mxnet_keywords():
    a = mx.nd.array([2., 3.])
    np.testing.assert_allclose(mx.nd.power(base=a, exp=2).asnumpy(), [4., 9.])
    np.testing.assert_allclose(mx.nd.power(base=2, exp=a).asnumpy(), [4., 8.])
    x = mx.sym.var('x')
    out = mx.sym.maximum(left=x, right=2.5).eval(x=a)[0].asnumpy()
    np.testing.assert_allclose(out, [2.5, 3.])
    out = mx.sym.pow(base=x, exp=x).eval(x=a)[0].asnumpy()
    np.testing.assert_allclose(out, [4., 27.])


def test_set_recording_keyword_and_jitter_keywords():
    prev = mx.autograd.set_recording(is_recording=True)
    try:
        assert mx.autograd.is_recording()
    finally:
        mx.autograd.set_recording(prev)
    t = mx.gluon.data.vision.transforms
    img = mx.nd.ones((4, 4, 3)) * 100
    for cls, kw in ((t.RandomBrightness, 'brightness'), (t.RandomContrast, 'contrast'),
                    (t.RandomSaturation, 'saturation'), (t.RandomHue, 'hue')):
        assert cls(**{kw: 0})(img).shape == (4, 4, 3)
        with pytest.raises(ValueError, match='>= 0'):
            cls(**{kw: -1})
