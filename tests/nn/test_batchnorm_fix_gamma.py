"""``nn.BatchNorm(scale=False)`` / ``BatchNorm(fix_gamma=True)`` vs MXNet 1.9.1 (fixtures:
tools/gen_leftovers_fixtures.py, batchnorm_fix_gamma.json).

MXNet uses gamma = 1, gives gamma a zero gradient (Gluon: ``grad_req='null'``) and writes the 1
into the stored gamma on every forward, so after one forward the parameter reads and saves as ones
(before any forward, ``save_parameters`` still writes the value set). minigluon kept the stored
value.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.gluon import nn
from minigluon.test_utils import assert_almost_equal

with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'leftovers', 'batchnorm_fix_gamma.json')) as _f:
    FIX = json.load(_f)


@pytest.mark.parametrize('case', FIX['gluon'], ids=lambda c: 'hyb%d-train%d' % (c['hybridize'], c['train']))
def test_gluon_batchnorm_without_scale_matches_mxnet(case, tmp_path):
    net = nn.BatchNorm(scale=False, in_channels=3)
    net.initialize()
    net.gamma.set_data(nd.array([2., 3., 4.]))
    net.beta.set_data(nd.array([0.1, 0.2, 0.3]))
    fname = str(tmp_path / 'bn.params')
    net.save_parameters(fname)
    assert nd.load(fname)['gamma'].asnumpy().tolist() == case['saved_before']
    if case['hybridize']:
        net.hybridize()
    with autograd.record(train_mode=case['train']):
        y = net(nd.array(FIX['x']))
        (y * y).sum().backward()
    net.save_parameters(fname)
    assert net.gamma.grad_req == case['gamma_grad_req']
    assert_almost_equal(y.asnumpy(), np.array(case['out']), rtol=1e-4, atol=1e-5)
    assert_almost_equal(net.beta.grad().asnumpy(), np.array(case['beta_grad']), rtol=1e-4, atol=1e-5)
    assert net.gamma.data().asnumpy().tolist() == case['gamma_after']
    assert nd.load(fname)['gamma'].asnumpy().tolist() == case['saved_after']


@pytest.mark.parametrize('case', FIX['op'], ids=lambda c: 'train%d-global%d' % (c['train'], c['use_global_stats']))
def test_raw_operator_writes_one_into_gamma(case):
    gamma = nd.array([2., 3.])
    gamma.attach_grad()
    with autograd.record(train_mode=case['train']):
        y = nd.BatchNorm(nd.array([[1., 2.], [3., 5.]]), gamma, nd.array([0., 0.]), nd.zeros(2), nd.ones(2),
                         fix_gamma=True, use_global_stats=case['use_global_stats'])
    y.backward()
    assert_almost_equal(y.asnumpy(), np.array(case['out']), rtol=1e-4, atol=1e-5)
    assert gamma.asnumpy().tolist() == case['gamma_after']
    assert gamma.grad.asnumpy().tolist() == case['gamma_grad']


def test_fix_gamma_false_leaves_gamma_alone():
    gamma = nd.array([2., 3.])
    y = nd.BatchNorm(nd.array([[1., 2.], [3., 5.]]), gamma, nd.array([0., 0.]), nd.zeros(2), nd.ones(2),
                     fix_gamma=False, use_global_stats=True)
    assert gamma.asnumpy().tolist() == [2., 3.]
    expected = np.array([[1., 2.], [3., 5.]]) / np.sqrt(1 + 1e-3) * np.array([2., 3.])
    assert_almost_equal(y.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_symbolic_batchnorm_fix_gamma_resets_gamma_through_symbol_block():
    # Recorded, as in MXNet (NaiveEngine). MXNet's CachedOp leaves gamma alone in a forward that
    # is not recorded; minigluon writes the 1 there too (documented in ops.norm.BatchNorm).
    data = mx.sym.var('data')
    out = mx.sym.BatchNorm(data, fix_gamma=True, name='bn')
    block = mx.gluon.SymbolBlock(out, [data])
    block.collect_params().initialize()
    x = nd.array(np.arange(6, dtype='float32').reshape(3, 2))
    block(x)
    block.collect_params()['bn_gamma'].set_data(nd.array([5., 7.]))
    with autograd.record():
        block(x)
    assert block.collect_params()['bn_gamma'].data().asnumpy().tolist() == [1., 1.]


def test_negative_stored_variance_gives_nan_without_a_warning():
    # a SymbolBlock initializes moving_var like any parameter (MXNet 1.9.1 too: uniform draws,
    # some negative): predict mode then gives NaN, as MXNet does, and no NumPy RuntimeWarning
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = nd.BatchNorm(nd.ones((2, 2)), nd.ones(2), nd.zeros(2), nd.zeros(2), nd.array([-1., 1.]),
                         use_global_stats=True)
    out = y.asnumpy()
    assert np.isnan(out[:, 0]).all() and np.isfinite(out[:, 1]).all()
