"""``gluon.model_zoo.vision`` against MXNet 1.9.1 (names, shapes, save keys) and reference maths.

``tests/fixtures/model_zoo/names.json`` (tools/gen_modelzoo_fixtures.py) holds, for 16 networks built
by MXNet under a fresh NameManager with ``classes=10``, every parameter name with its shape, the
``save_parameters`` keys, the prefix and the output shape. Shapes are checked through shape inference
(no forward pass) to keep the big networks cheap; numerical agreement with MXNet is in
``tests/test_interop.py``.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, current_context, nd
from minigluon.gluon.model_zoo import vision
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'model_zoo', 'names.json')
with open(FIX) as _f:
    NAMES = json.load(_f)
BIG = {'densenet121', 'inceptionv3', 'resnet50_v1', 'resnet50_v2', 'mobilenetv2_1.0'}


def _build(name, **kwargs):
    with NameManager():
        return vision.get_model(name, **kwargs)


def _out_shape(net, shape):
    """Output shape from the traced graph's shape inference (no computation)."""
    net.hybridize()
    _, graph = net._get_graph(nd.zeros(shape))
    return graph.infer_shape(data=shape)[1][0]


@pytest.mark.parametrize('name', [pytest.param(n, marks=pytest.mark.slow) if n in BIG else n
                                  for n in NAMES])
def test_names_shapes_and_save_keys_match_mxnet(name):
    ref = NAMES[name]
    net = _build(name, classes=10)
    assert net.prefix == ref['prefix']
    shape = (1, 3, ref['size'], ref['size'])
    net.infer_shape(nd.zeros(shape))
    got = [[k, list(p.shape)] for k, p in net.collect_params().items()]
    assert [k for k, _ in got] == [k for k, _ in ref['params']]
    assert got == ref['params']
    assert list(net._collect_params_with_prefix().keys()) == ref['save_keys']
    assert list(_out_shape(net, shape)) == ref['out_shape']


# Classifier input width of every constructor: ResNet/DenseNet/MobileNet widths from the papers.
WIDTHS = {'resnet18_v1': 512, 'resnet34_v1': 512, 'resnet50_v1': 2048, 'resnet101_v1': 2048,
          'resnet152_v1': 2048, 'resnet18_v2': 512, 'resnet34_v2': 512, 'resnet50_v2': 2048,
          'resnet101_v2': 2048, 'resnet152_v2': 2048, 'densenet121': 1024, 'densenet161': 2208,
          'densenet169': 1664, 'densenet201': 1920, 'mobilenet1.0': 1024, 'mobilenet0.75': 768,
          'mobilenet0.5': 512, 'mobilenet0.25': 256, 'mobilenetv2_1.0': 1280,
          'mobilenetv2_0.75': 1280, 'mobilenetv2_0.5': 1280, 'mobilenetv2_0.25': 1280,
          'squeezenet1.0': 512, 'squeezenet1.1': 512, 'inceptionv3': 2048, 'alexnet': 4096,
          'vgg11': 4096, 'vgg13': 4096, 'vgg16': 4096, 'vgg19': 4096, 'vgg11_bn': 4096,
          'vgg13_bn': 4096, 'vgg16_bn': 4096, 'vgg19_bn': 4096}
SIZES = {'resnet': 32, 'mobilenet': 32, 'inceptionv3': 299}


@pytest.mark.parametrize('name', sorted(set(WIDTHS) - set(NAMES)))
def test_constructors_not_in_fixture_classify(name):
    net = _build(name, classes=7)
    size = next((s for k, s in SIZES.items() if name.startswith(k)), 224)
    net.infer_shape(nd.zeros((1, 3, size, size)))
    last = list(net.collect_params().values())[-1]
    last = last if last.name.endswith('weight') else list(net.collect_params().values())[-2]
    assert last.shape[:2] == (7, WIDTHS[name])
    assert tuple(_out_shape(net, (1, 3, size, size))) == (1, 7)


# Trainable parameter counts with 1000 classes, as published for the same architectures
# (torchvision's model documentation lists identical definitions for these five).
COUNTS = {'resnet18_v1': 11689512, 'alexnet': 61100840, 'vgg16': 138357544,
          'densenet121': 7978856, 'squeezenet1.1': 1235496}


@pytest.mark.parametrize('name', sorted(COUNTS))
def test_parameter_count_matches_published(name):
    net = _build(name)
    net.infer_shape(nd.zeros((1, 3, 224, 224)))
    total = sum(int(np.prod(p.shape)) for p in net.collect_params().values() if p.grad_req != 'null')
    assert total == COUNTS[name]


def test_get_model_is_case_insensitive_and_lists_names_on_error():
    assert type(vision.get_model('ResNet18_V1')).__name__ == 'ResNetV1'
    with pytest.raises(ValueError, match='resnet18_v1') as err:
        vision.get_model('resnet19_v1')
    assert 'not supported' in str(err.value)
    assert mx.gluon.model_zoo.get_model is vision.get_model


def test_ctx_and_root_are_accepted_without_pretrained():
    net = vision.resnet18_v2(pretrained=False, ctx=mx.cpu(), root='/nonexistent', classes=3)
    net.initialize()
    assert net(nd.ones((1, 3, 32, 32))).shape == (1, 3)


def test_bad_specs_raise_value_error_naming_the_argument():
    with pytest.raises(ValueError, match='layers'):
        vision.get_resnet(1, 20)
    with pytest.raises(ValueError, match='version'):
        vision.get_resnet(3, 18)
    with pytest.raises(ValueError, match='channels'):
        vision.ResNetV1(vision.BasicBlockV1, [2, 2], [64, 64])
    with pytest.raises(ValueError, match='version'):
        vision.SqueezeNet('1.2')
    with pytest.raises(ValueError, match='filters'):
        vision.VGG([1, 1], [64])
    with pytest.raises(ValueError, match='layers'):
        vision.get_vgg(12)
    with pytest.raises(ValueError, match='layers'):
        vision.get_densenet(100)


def test_mobilenet_v2_wide_multiplier_widens_the_last_layer():
    net = vision.MobileNetV2(1.4, classes=5)
    net.infer_shape(nd.zeros((1, 3, 32, 32)))
    assert net.output[0].weight.shape == (5, int(1280 * 1.4), 1, 1)


def test_resnet_thumbnail_stem_keeps_resolution():
    net = vision.resnet18_v1(classes=4, thumbnail=True)
    net.initialize()
    x = nd.ones((1, 3, 8, 8))
    assert net.features[0](x).shape == (1, 64, 8, 8)
    assert net(x).shape == (1, 4)


def test_relu6_is_clip_0_6():
    x = np.array([-3.0, 0.0, 2.5, 6.0, 9.0], np.float32)
    assert_almost_equal(vision.RELU6()(nd.array(x)), np.clip(x, 0, 6))


def test_eager_and_hybridized_agree_in_forward_and_gradients():
    x = nd.array(np.random.uniform(-1, 1, (2, 3, 32, 32)))
    results = []
    for hybrid in (False, True):
        net = _build('resnet18_v2', classes=5)
        net.initialize(mx.init.Xavier())
        net(x)
        for i, p in enumerate(net.collect_params().values()):   # same weights in both runs
            p.set_data(nd.array(np.random.RandomState(i).uniform(-0.2, 0.2, p.shape)))
            if 'running_var' in p.name:
                p.set_data(nd.ones(p.shape))
        if hybrid:
            net.hybridize()
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        results.append((loss.asscalar(), [p.grad().asnumpy() for p in net.collect_params().values()
                                           if p.grad_req != 'null']))
    assert_almost_equal(results[0][0], results[1][0], rtol=1e-5, atol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        assert_almost_equal(a, b, rtol=1e-4, atol=1e-5)


def test_save_and_load_parameters_round_trip(tmp_path):
    x = nd.array(np.random.uniform(size=(1, 3, 32, 32)))
    net = vision.mobilenet0_25(classes=3)
    net.initialize(mx.init.Xavier())
    y = net(x)
    path = str(tmp_path / 'm.params')
    net.save_parameters(path)
    other = vision.mobilenet0_25(classes=3)        # a different prefix: keys are structural
    other.load_parameters(path, ctx=current_context())
    assert_almost_equal(other(x), y, rtol=1e-6, atol=1e-6)
