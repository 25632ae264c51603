"""gluon.contrib.nn PixelShuffle1D/2D/3D, SyncBatchNorm and SparseEmbedding against MXNet 1.9.1
(fixtures: tools/gen_diff4b_fixtures.py) and NumPy references, eager and hybridized."""
import json
import os
import warnings

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.contrib import nn as cnn
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'diff4b')
DATA = np.load(os.path.join(FIX, 'contrib_nn.npz'))
with open(os.path.join(FIX, 'contrib_nn.json')) as _f:
    META = json.load(_f)


def _check_against_mxnet(name, block, hybridize, xgrad=True):
    """Load MXNet's parameter values, run forward+backward in training, compare everything."""
    x = nd.array(DATA[name + '/x'])
    block.initialize()
    if hybridize:
        block.hybridize()
    block(x)
    params = block.collect_params()
    assert list(params.keys()) == META[name]['names']
    assert [list(p.shape) for p in params.values()] == META[name]['shapes']
    assert repr(block) == META[name]['repr']
    for k, p in params.items():
        p.set_data(nd.array(DATA['%s/init/%s' % (name, k)]))
    if xgrad:
        x.attach_grad()
    with autograd.record():
        out = block(x)
    out.backward(nd.array(DATA[name + '/head']))
    assert_almost_equal(out.asnumpy(), DATA[name + '/out'], rtol=1e-5, atol=1e-5)
    if xgrad:
        assert_almost_equal(x.grad.asnumpy(), DATA[name + '/xgrad'], rtol=1e-4, atol=1e-5)
    for k, p in params.items():
        if p.grad_req != 'null':
            assert_almost_equal(p.grad().asnumpy(), DATA['%s/grad/%s' % (name, k)], rtol=1e-4, atol=1e-5)
        if 'running' in k:
            assert_almost_equal(p.data().asnumpy(), DATA['%s/after/%s' % (name, k)], rtol=1e-5, atol=1e-6)
    assert_almost_equal(block(x).asnumpy(), DATA[name + '/predict'], rtol=1e-5, atol=1e-5)


def _shuffle_reference(x, factors):
    """out[n, c, s1*f1 + i1, ...] = x[n, c*F + (i1*f2 + i2)*f3 + ..., s1, ...]."""
    k = len(factors)
    n, cf = x.shape[:2]
    spatial = x.shape[2:]
    c = cf // int(np.prod(factors))
    out = np.empty((n, c) + tuple(s * f for s, f in zip(spatial, factors)), x.dtype)
    for idx in np.ndindex(*factors):
        channel_offset = np.ravel_multi_index(idx, factors)
        target = (slice(None), slice(None)) + tuple(slice(i, None, f) for i, f in zip(idx, factors))
        out[target] = x[:, channel_offset::int(np.prod(factors))][:, :c]
    assert k == len(spatial)
    return out


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name, cls, factor', [('ps1', cnn.PixelShuffle1D, 3),
                                               ('ps2', cnn.PixelShuffle2D, (2, 3)),
                                               ('ps3', cnn.PixelShuffle3D, (2, 1, 3))])
def test_pixel_shuffle_matches_mxnet(name, cls, factor, hybridize):
    _check_against_mxnet(name, cls(factor), hybridize)


@pytest.mark.parametrize('factors', [(2,), (3, 2), (2, 2, 3), (1, 3, 1)])
def test_pixel_shuffle_numpy_reference(factors):
    cls = {1: cnn.PixelShuffle1D, 2: cnn.PixelShuffle2D, 3: cnn.PixelShuffle3D}[len(factors)]
    x = np.random.RandomState(0).randn(2, 2 * int(np.prod(factors)), *range(2, 2 + len(factors)))
    out = cls(factors)(nd.array(x, dtype='float64')).asnumpy()
    np.testing.assert_array_equal(out, _shuffle_reference(x, factors))


def test_pixel_shuffle_exported_graph_stays_within_mxnet_limits():
    """The 3-D graph uses no transpose (MXNet 1.9.1 stops at 6 dims) and at most 7 dims."""
    out = cnn.PixelShuffle3D(2)(sym.var('data'))
    graph = json.loads(out.tojson())
    assert {node['op'] for node in graph['nodes']} <= {'null', 'Reshape', 'SwapAxis'}
    _, shapes, _ = out.get_internals().infer_shape(data=(1, 16, 2, 3, 4))
    assert max(len(s) for s in shapes) <= 7


@pytest.mark.parametrize('cls, factor', [(cnn.PixelShuffle1D, 0), (cnn.PixelShuffle1D, 1.5),
                                         (cnn.PixelShuffle2D, (2,)), (cnn.PixelShuffle2D, 'a'),
                                         (cnn.PixelShuffle3D, (2, 2, -1))])
def test_pixel_shuffle_bad_factor(cls, factor):
    with pytest.raises(ValueError, match='factor'):
        cls(factor)


def test_pixel_shuffle_indivisible_channels():
    with pytest.raises(ValueError, match=r'PixelShuffle2D: .*divisible by 4.*\(1, 6, 2, 2\)'):
        cnn.PixelShuffle2D(2)(nd.ones((1, 6, 2, 2)))


def test_pixel_shuffle_wrong_rank_names_the_block():
    with pytest.raises(ValueError, match=r'PixelShuffle3D: the input must be \(N, C\*8, D, H, W\)'):
        cnn.PixelShuffle3D(2)(nd.ones((1, 8, 4, 4)))


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('name, kwargs', [('syncbn', {'num_devices': 1, 'momentum': 0.8}),
                                          ('syncbn_fixed', {'in_channels': 3, 'scale': False,
                                                            'center': False, 'epsilon': 1e-3})])
def test_sync_batch_norm_matches_mxnet(name, kwargs, hybridize):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with NameManager():
            block = cnn.SyncBatchNorm(**kwargs)
    _check_against_mxnet(name, block, hybridize)


def test_sync_batch_norm_defaults_warn_and_export_key():
    with pytest.warns(UserWarning, match='num_devices'):
        with NameManager():
            block = cnn.SyncBatchNorm()
    out = block(sym.var('data'))
    node = [n for n in json.loads(out.tojson())['nodes'] if n['op'] != 'null'][0]
    assert node['op'] == '_contrib_SyncBatchNorm'
    assert node['attrs']['key'] == 'syncbatchnorm0_' and int(node['attrs']['ndev']) >= 1
    assert out.list_auxiliary_states() == ['syncbatchnorm0_running_mean', 'syncbatchnorm0_running_var']


def test_sync_batch_norm_op_outputs_mean_and_variance():
    x = np.random.RandomState(1).randn(4, 3, 5)
    ones, zeros = nd.ones(3, dtype='float64'), nd.zeros(3, dtype='float64')
    with autograd.train_mode():
        out, mean, var = nd.contrib.SyncBatchNorm(nd.array(x, dtype='float64'), ones, zeros, zeros.copy(),
                                                  ones.copy(), key='k', output_mean_var=True, eps=1e-5)
    assert_almost_equal(mean.asnumpy(), x.mean(axis=(0, 2)))
    assert_almost_equal(var.asnumpy(), x.var(axis=(0, 2)))
    expected = (x - x.mean(axis=(0, 2), keepdims=True)) / np.sqrt(x.var(axis=(0, 2), keepdims=True) + 1e-5)
    assert_almost_equal(out.asnumpy(), expected)
    with pytest.raises(TypeError, match='key'):
        nd.contrib.SyncBatchNorm(nd.ones((2, 3)), ones, zeros, zeros, ones)
    with pytest.raises(ValueError, match='ndev'):
        nd.contrib.SyncBatchNorm(nd.ones((2, 3)), ones, zeros, zeros, ones, key='k', ndev=0)


def test_sparse_embedding_matches_mxnet():
    with NameManager():
        block = cnn.SparseEmbedding(7, 3)
    _check_against_mxnet('sparseemb', block, False, xgrad=False)
