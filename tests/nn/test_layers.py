"""gluon.nn layers against MXNet 1.9.1: outputs for fixed weights, parameter names/shapes, reprs,
deferred shape inference, and eager vs hybridized equality (fixtures: tools/gen_layers_fixtures.py)."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, nn, ops
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'layers')
with open(os.path.join(FIX, 'layers.json')) as _f:
    CASES = json.load(_f)
DATA = np.load(os.path.join(FIX, 'layers.npz'))

_OP_OF = {'BatchNorm': 'BatchNorm', 'LayerNorm': 'LayerNorm', 'InstanceNorm': 'InstanceNorm',
          'GroupNorm': 'GroupNorm', 'ReflectionPad2D': 'pad'}


def _build(case):
    with NameManager():
        return getattr(nn, case['cls'])(*[tuple(a) if isinstance(a, list) else a for a in case['args']],
                                        **{k: tuple(v) if isinstance(v, list) else v
                                           for k, v in case['kwargs'].items()})


def _skip_missing_op(case):
    op = _OP_OF.get(case['cls'])
    # (was a skip: an operator missing from the registry must fail the test, not hide it)
    assert not op or op in ops.OPS, 'operator %s is not registered' % op


def _run(net, x, train):
    if train:
        with autograd.record():
            return net(x)
    return net(x)


@pytest.mark.parametrize('i', range(len(CASES)), ids=['%d-%s' % (i, c['cls']) for i, c in enumerate(CASES)])
def test_layer_matches_mxnet(i):
    case = CASES[i]
    _skip_missing_op(case)
    net = _build(case)
    assert repr(net) == case['repr_before']
    x = nd.array(DATA['%d_in' % i])
    net.initialize()
    net(x)                                        # deferred shapes are inferred here
    params = net.collect_params()
    assert [[n, list(p.shape)] for n, p in params.items()] == case['params']
    assert repr(net) == case['repr_after']
    for name, p in params.items():
        p.set_data(nd.array(DATA['%d_p_%s' % (i, name)]))
    out = _run(net, x, case['train'])
    assert_almost_equal(out, DATA['%d_out' % i], rtol=1e-4, atol=1e-5)
    net.hybridize()
    hyb = _run(net, x, case['train'])
    assert_almost_equal(hyb, out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('layer,shape,rank', [
    (lambda: nn.Conv2D(8, 3), (4, 28), 4),
    (lambda: nn.Conv1D(8, 3), (4, 3, 28, 28), 3),
    (lambda: nn.Conv2DTranspose(8, 3), (2, 3, 4), 4),
])
@pytest.mark.parametrize('hybridize', [False, True])
def test_deferred_convolution_names_a_wrong_data_rank(layer, shape, rank, hybridize):
    """A known input of the wrong rank is a conflict, reported as such, not as "unknown shape"."""
    net = layer()
    net.initialize()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match=r'data must be %d-D, layout NC.*got %d-D data of shape \%s'
                       % (rank, len(shape), str(shape).replace(')', r'\)'))) as info:
        net(nd.ones(shape))
    assert 'Deferred initialization failed' not in str(info.value)


@pytest.mark.parametrize('in_units', [0, 3])
@pytest.mark.parametrize('hybridize', [False, True])
def test_dense_with_an_unknown_activation_names_the_block_and_the_choices(in_units, hybridize):
    # refused when the operator runs, as in MXNet 1.9.1; not reported as an uninferable shape
    net = nn.Dense(10, activation='rellu', in_units=in_units)
    net.initialize()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match=r"^dense\d+_rellu \(Activation\): Activation: attribute "
                                         r"'act_type' must be one of \['relu', 'sigmoid', 'softrelu', "
                                         r"'softsign', 'tanh'\], got 'rellu'$"):
        net(nd.ones((2, 3)))


@pytest.mark.parametrize('layer,shape,expects', [
    (lambda: nn.Conv2D(4, 3, in_channels=1), (2, 3, 8, 8), r'weight \(4, 1, 3, 3\) expects in_channels=1'),
    (lambda: nn.Conv1D(4, 3, in_channels=2), (2, 3, 8), r'weight \(4, 2, 3\) expects in_channels=2'),
    (lambda: nn.Conv3D(4, 3, in_channels=2), (1, 3, 5, 5, 5), r'weight \(4, 2, 3, 3, 3\) expects in_channels=2'),
    (lambda: nn.Conv2DTranspose(4, 3, in_channels=2), (2, 3, 8, 8),
     r'weight \(2, 4, 3, 3\) expects in_channels=2'),
])
@pytest.mark.parametrize('hybridize', [False, True])
def test_convolution_given_other_channels_names_data_and_weight(layer, shape, expects, hybridize):
    net = layer()
    net.initialize()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match=r'data has 3 channels, but the ' + expects):
        net(nd.ones(shape))
