"""The pre-Gluon operators BatchNorm_v1, Convolution_v1 and Pooling_v1 (minigluon/ops/legacy_v1.py)
against MXNet 1.9.1 (tools/gen_legacy_ops_fixtures.py), numerical gradients and the differences
from MXNet that the docstrings state."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.executor import CachedOp
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops._golden import FIXTURES, Golden, standard_tests

GOLD = Golden('legacy_ops')
test_outputs, test_json_node, test_graph_round_trip = standard_tests(GOLD)
FIX = os.path.join(FIXTURES, 'legacy_ops')
RNG = np.random.RandomState(5)

with open(os.path.join(FIX, 'bn_v1.json')) as _f:
    BN_CASES = json.load(_f)['cases']
BN = np.load(os.path.join(FIX, 'bn_v1.npz'))
BN_INPUTS = ('data', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var')


@pytest.mark.parametrize('case', BN_CASES, ids=[c['key'] for c in BN_CASES])
def test_batchnorm_v1_matches_mxnet(case):
    key = case['key']
    ins = [nd.array(BN['%s_%s' % (key, n)]) for n in BN_INPUTS]
    for a in ins[:3]:
        a.attach_grad()
    with autograd.record(train_mode=case['is_train']):
        outs = nd.BatchNorm_v1(*ins, **case['attrs'])
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == case['n_out']
    for j, o in enumerate(outs):
        assert_almost_equal(o, BN['%s_out%d' % (key, j)], rtol=1e-5, atol=1e-5)
    autograd.backward(outs, [nd.array(BN['%s_head%d' % (key, j)]) for j in range(len(outs))])
    for a, n in zip(ins[:3], BN_INPUTS[:3]):
        assert_almost_equal(a.grad, BN['%s_grad_%s' % (key, n)], rtol=1e-4, atol=1e-5)
    for a, n in zip(ins[1:], BN_INPUTS[1:]):
        if n != 'bn_beta':       # the moving statistics (updated in training) and fix_gamma's 1
            assert_almost_equal(a, BN['%s_after_%s' % (key, n)], rtol=1e-5, atol=1e-6)


def test_batchnorm_v1_symbol_json_is_mxnets():
    graph = sym.BatchNorm_v1(sym.var('data'), name='bn', eps=2e-5, fix_gamma=False)
    with open(os.path.join(FIX, 'bn_v1-symbol.json')) as f:
        assert graph.tojson() == f.read()
    assert graph.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']
    both = sym.BatchNorm_v1(sym.var('data'), name='bn', output_mean_var=True)
    assert both.list_outputs() == ['bn_output', 'bn_mean', 'bn_var']


def test_batchnorm_v1_numerical_gradient_and_ranks():
    x = RNG.randn(3, 2, 4)           # a 3-D batch: MXNet 1.9.1 refuses this rank, minigluon not
    gamma, beta = RNG.rand(2) + 0.5, RNG.randn(2)

    def fn(x, g, b):
        return nd.BatchNorm_v1(x, g, b, nd.zeros(2, dtype='float64'), nd.ones(2, dtype='float64'),
                               fix_gamma=False) * nd.array(np.arange(24).reshape(3, 2, 4) % 5,
                                                            dtype='float64')
    with autograd.train_mode():
        check_gradient(fn, [x, gamma, beta], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match='at least 2 dimensions'):
        nd.BatchNorm_v1(nd.ones(3), nd.ones(3), nd.ones(3), nd.zeros(3), nd.ones(3))


def test_pooling_v1_numerical_gradients():
    x = RNG.randn(1, 2, 5, 6)         # distinct values: the max gradient is a true derivative
    for attrs in ({'kernel': (3, 3), 'stride': (2, 2), 'pad': (1, 1), 'pool_type': 'avg',
                   'pooling_convention': 'full'},
                  {'kernel': (2, 3), 'stride': (2, 2), 'pad': (1, 1), 'pooling_convention': 'full'},
                  {'kernel': (3, 2), 'stride': (1, 2), 'pool_type': 'sum'}):
        check_gradient(lambda a: nd.Pooling_v1(a, **attrs) * 1.5, [x], rtol=1e-4, atol=1e-7)


def test_pooling_v1_differs_from_pooling_where_mxnet_does():
    x = -nd.ones((1, 1, 6, 6))
    # zero padding enters the maximum; Pooling pads with the lowest float
    assert nd.Pooling_v1(x, kernel=(3, 3), pad=(1, 1)).asnumpy()[0, 0, 0, 0] == 0
    assert nd.Pooling(x, kernel=(3, 3), pad=(1, 1)).asnumpy()[0, 0, 0, 0] == -1
    # a 'full' window past the input is divided by the whole kernel size (4 of 9 cells inside)
    ones = nd.ones((1, 1, 6, 6))
    v1 = nd.Pooling_v1(ones, kernel=(3, 3), stride=(2, 2), pool_type='avg',
                       pooling_convention='full')
    assert_almost_equal(v1.asnumpy()[0, 0, 2], [2 / 3, 2 / 3, 4 / 9])
    # every tied maximum gets the gradient (a 3x3 window over four equal values: each gets 1)
    y = nd.ones((1, 1, 2, 2))
    y.attach_grad()
    with autograd.record():
        out = nd.Pooling_v1(y, kernel=(2, 2))
    out.backward()
    assert y.grad.asnumpy().tolist() == [[[[1, 1], [1, 1]]]]


def test_pooling_v1_3d_float16_and_errors():
    x = RNG.uniform(-1, 1, (1, 2, 4, 4, 4)).astype('f')
    got = nd.Pooling_v1(nd.array(x), kernel=(2, 2, 2), stride=(2, 2, 2), pool_type='avg')
    want = x.reshape(1, 2, 2, 2, 2, 2, 2, 2).mean(axis=(3, 5, 7))
    assert_almost_equal(got, want, rtol=1e-6, atol=1e-7)
    half = nd.Pooling_v1(nd.array(x[:, :, 0]).astype('float16'), kernel=(2, 2))
    assert half.dtype == np.float16
    with pytest.raises(ValueError, match='kernel must have 2 or 3 entries'):
        nd.Pooling_v1(nd.ones((1, 1, 4)), kernel=(2,))
    with pytest.raises(ValueError, match='4-D'):
        nd.Pooling_v1(nd.ones((1, 4, 4)), global_pool=True)
    with pytest.raises(ValueError, match='pool_type'):
        nd.Pooling_v1(nd.ones((1, 1, 4, 4)), kernel=(2, 2), pool_type='lp')


def test_convolution_v1_is_convolution_and_refuses_1d():
    x, w, b = (RNG.randn(*s) for s in ((1, 2, 3, 4, 4), (3, 2, 2, 2, 2), (3,)))
    args = dict(kernel=(2, 2, 2), num_filter=3, pad=(1, 0, 1))
    got = nd.Convolution_v1(nd.array(x), nd.array(w), nd.array(b), **args)
    assert_almost_equal(got, nd.Convolution(nd.array(x), nd.array(w), nd.array(b), **args),
                        rtol=1e-6, atol=1e-6)
    check_gradient(lambda *a: nd.Convolution_v1(*a, **args), [x, w, b], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match='1D convolution not supported'):
        nd.Convolution_v1(nd.ones((1, 1, 4)), nd.ones((1, 1, 2)), nd.ones(1), kernel=(2,),
                          num_filter=1)
    with pytest.raises(ValueError, match='layout'):
        sym.Convolution_v1(sym.var('x'), kernel=(2, 2), num_filter=1, layout='NCW')


def test_convolution_v1_data_gradient_with_dilation():
    # MXNet 1.9.1's Convolution_v1 ignores dilate in its data gradient (measured: with
    # dilate=(1, 2) the columns the kernel skips get gradients); the numerical gradient decides
    x, w = RNG.randn(1, 2, 2, 6), RNG.randn(2, 2, 1, 3)
    args = dict(kernel=(1, 3), num_filter=2, stride=(1, 2), pad=(0, 1), dilate=(1, 2),
                no_bias=True)
    check_gradient(lambda *a: nd.Convolution_v1(*a, **args), [x, w], rtol=1e-4, atol=1e-6)


def test_v1_operators_in_a_hybridized_graph():
    data = sym.var('data')
    net = sym.Pooling_v1(sym.Convolution_v1(sym.BatchNorm_v1(data, name='bn'), kernel=(3, 3),
                                            num_filter=2, name='c'), kernel=(2, 2), name='p')
    net = sym.load_json(net.tojson())
    shapes = {'data': (2, 3, 6, 6), 'bn_gamma': (3,), 'bn_beta': (3,), 'bn_moving_mean': (3,),
              'bn_moving_var': (3,), 'c_weight': (2, 3, 3, 3), 'c_bias': (2,)}
    assert sorted(net.list_inputs()) == sorted(shapes)
    arrays = {n: nd.array(RNG.rand(*s) + 0.5) for n, s in shapes.items()}
    got = CachedOp(net)(*[arrays[n] for n in net.list_inputs()])[0]
    bn = nd.BatchNorm_v1(arrays['data'], arrays['bn_gamma'], arrays['bn_beta'],
                         arrays['bn_moving_mean'], arrays['bn_moving_var'])
    conv = nd.Convolution_v1(bn, arrays['c_weight'], arrays['c_bias'], kernel=(3, 3), num_filter=2)
    assert_almost_equal(got, nd.Pooling_v1(conv, kernel=(2, 2)), rtol=1e-6, atol=1e-6)
    assert net.infer_shape(data=(2, 3, 6, 6))[1] == [(2, 2, 3, 3)]


def test_legacy_graph_json_and_internals_are_mxnets():
    """Correlation's two hidden outputs and BatchNorm_v1's count in node_row_ptr; internals list
    the visible outputs under MXNet's names."""
    with open(os.path.join(FIX, 'legacy_graph.json')) as f:
        want = json.load(f)
    with NameManager():      # automatic names (sum0, _plus0) counted from 0, as in the fixture
        a = sym.var('a')
        corr = sym.Correlation(a, sym.var('b'), name='c', kernel_size=3, max_displacement=2,
                               pad_size=2)
        pooled = sym.Pooling_v1(a, kernel=(2, 2), pool_type='avg', name='p')
        graph = sym.relu(corr, name='r') + sym.BatchNorm_v1(pooled, name='bn').sum()
    assert graph.tojson() == want['json']
    assert graph.get_internals().list_outputs() == want['internals']
    assert sym.load_json(want['json']).tojson() == want['json']
