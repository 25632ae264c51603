"""gluon.nn behaviour beyond the fixtures: naming, parameter attributes, deferred init, training
vs inference, gradients (float64 numerical checks), Lambda blocks, contrib containers, errors."""
import numpy as np
import pytest

from minigluon import autograd, nd, nn
from minigluon.contrib import nn as cnn
from minigluon.name import NameManager
from minigluon.parameter import DeferredInitializationError
from minigluon.test_utils import assert_almost_equal, check_gradient


def test_dense_naming_and_inner_activation():
    with NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(3, activation='relu'), nn.Dense(2))
    assert list(net.collect_params().keys()) == [
        'hybridsequential0_dense0_weight', 'hybridsequential0_dense0_bias',
        'hybridsequential0_dense1_weight', 'hybridsequential0_dense1_bias']
    assert net[0].act.prefix == 'hybridsequential0_dense0_relu_'
    assert repr(net[0]) == 'Dense(None -> 3, Activation(relu))'
    assert nn.Sequential is not None and nn.HybridSequential is net.__class__


def test_layer_parameter_attributes():
    with NameManager():
        d = nn.Dense(4, in_units=2, dtype='float64', weight_initializer='ones')
        bn = nn.BatchNorm(scale=False, center=False)
        conv = nn.Conv2DTranspose(6, 3, groups=2, in_channels=4)
    assert d.weight.shape == (4, 2) and d.bias.init == 'zeros' and d.weight.init == 'ones'
    assert np.dtype(d.weight.dtype) == np.float64
    assert bn.gamma.grad_req == 'null' and bn.beta.grad_req == 'null'
    assert bn.running_mean.grad_req == 'null' and bn.running_var.init == 'ones'
    assert conv.weight.shape == (4, 3, 3, 3) and conv.bias.shape == (6,)
    bn16 = nn.BatchNorm(in_channels=2)
    bn16.initialize()
    bn16.cast('float16')                          # BatchNorm stays float32, as in MXNet
    assert np.dtype(bn16.gamma.dtype) == np.float32


def test_deferred_init_and_error():
    d = nn.Dense(3)
    d.initialize()
    with pytest.raises(DeferredInitializationError, match='has not been initialized yet'):
        d.weight.data()
    d(nd.ones((2, 4, 5)))
    assert d.weight.shape == (3, 20)
    flat = nn.Dense(3, flatten=False)
    flat.initialize()
    assert flat(nd.ones((2, 4, 5))).shape == (2, 4, 3)


def test_dense_matches_numpy_and_gradient():
    rng = np.random.RandomState(1)
    x = rng.normal(size=(3, 4))
    d = nn.Dense(2, activation='tanh', in_units=4, dtype='float64')
    d.initialize()
    w, b = d.weight.data().asnumpy(), rng.normal(size=2)
    d.bias.set_data(nd.array(b, dtype='float64'))
    assert_almost_equal(d(nd.array(x, dtype='float64')), np.tanh(x @ w.T + b), rtol=1e-10, atol=1e-12)
    check_gradient(lambda v: d(v), [x])


def test_conv_pool_gradient_float64():
    rng = np.random.RandomState(2)
    net = nn.HybridSequential()
    net.add(nn.Conv2D(2, 3, padding=1, in_channels=2), nn.AvgPool2D(2), nn.Flatten())
    net.initialize()
    net.cast('float64')
    check_gradient(lambda v: net(v), [rng.normal(size=(1, 2, 4, 4))], rtol=1e-4)


def test_dropout_train_vs_inference():
    drop = nn.Dropout(0.5)
    x = nd.ones((100, 100))
    assert_almost_equal(drop(x), np.ones((100, 100)))      # identity outside training
    with autograd.record():
        y = drop(x).asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
    assert repr(nn.Dropout(0.2, axes=(1,))) == 'Dropout(p = 0.2, axes=(1,))'
    assert_almost_equal(nn.Dropout(0.0)(x), np.ones((100, 100)))
    with pytest.raises(ValueError, match='rate'):
        nn.Dropout(1.5)


def test_batchnorm_uses_running_stats_outside_training():
    bn = nn.BatchNorm(in_channels=1)
    bn.initialize()
    x = nd.array([[1.0], [2.0], [3.0], [6.0]]).reshape((4, 1))
    out = bn(x)                                    # running mean 0, var 1
    assert_almost_equal(out, x.asnumpy() / np.sqrt(1 + 1e-5), rtol=1e-5)
    with autograd.record():
        out = bn(x)
    xs = x.asnumpy()
    assert_almost_equal(out, (xs - xs.mean()) / np.sqrt(xs.var() + 1e-5), rtol=1e-4, atol=1e-5)


def test_activation_blocks_numpy():
    x = np.linspace(-2, 2, 9).astype(np.float32)
    cases = [(nn.Activation('relu'), np.maximum(x, 0)), (nn.LeakyReLU(0.2), np.where(x > 0, x, 0.2 * x)),
             (nn.ELU(0.5), np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
             (nn.Swish(), x / (1 + np.exp(-x)))]
    for block, ref in cases:
        assert_almost_equal(block(nd.array(x)), ref, rtol=1e-5, atol=1e-6)
    with NameManager():
        assert nn.Activation('tanh').prefix == 'tanh0_'
    with pytest.raises(ValueError, match='no less than 0'):
        nn.LeakyReLU(-1)
    p = nn.PReLU()
    p.initialize()
    assert_almost_equal(p.alpha.data(), np.array([0.25]))


def test_lambda_blocks():
    lam = nn.Lambda('tanh')
    assert repr(lam) == 'Lambda(tanh)'
    assert_almost_equal(lam(nd.array([0.5])), np.tanh([0.5]))
    lam2 = nn.Lambda(lambda a, b: a * b)
    assert_almost_equal(lam2(nd.array([2.0]), nd.array([3.0])), np.array([6.0]))
    hl = nn.HybridLambda(lambda F, x: F.relu(x) + 1)
    hl.hybridize()
    assert_almost_equal(hl(nd.array([-1.0, 2.0])), np.array([1.0, 3.0]))
    assert_almost_equal(nn.HybridLambda('exp')(nd.array([0.0])), np.array([1.0]))
    with pytest.raises(ValueError, match='not found'):
        nn.Lambda('no_such_op')
    with pytest.raises(ValueError, match='Unrecognized'):
        nn.HybridLambda(3)


def test_lambda_unknown_name_is_also_an_assertion_error():
    """MXNet 1.9.1 asserts the name (measured: AssertionError "Function name no_such_op_xyz is
    not found in ndarray." / "... in symbol/ndarray."); legacy code catches that."""
    with pytest.raises(AssertionError, match='no_such_op_xyz is not found in ndarray'):
        nn.Lambda('no_such_op_xyz')
    with pytest.raises(AssertionError, match='not found in symbol/ndarray') as err:
        nn.HybridLambda('no_such_op_xyz')
    assert isinstance(err.value, ValueError)


def test_contrib_concurrent():
    with NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            conc = cnn.HybridConcurrent(axis=1, prefix='')
            with conc.name_scope():
                conc.add(nn.Dense(2, in_units=3), cnn.Identity(), nn.Dense(1, in_units=3))
            net.add(conc)
    assert list(net.collect_params().keys())[0] == 'hybridsequential0_dense0_weight'
    net.initialize()
    x = nd.array(np.arange(6.0).reshape(2, 3))
    out = net(x)
    assert out.shape == (2, 6)
    assert_almost_equal(out[:, 2:5], x.asnumpy())
    net.hybridize()
    assert_almost_equal(net(x), out)
    seq = cnn.Concurrent(axis=0)
    seq.add(nn.Lambda('relu'), nn.Lambda('negative'))
    assert seq(nd.array([[1.0, -1.0]])).shape == (2, 2)


def test_constructor_errors():
    with pytest.raises(ValueError, match='layout'):
        nn.Conv2D(2, 3, layout='NCW')
    with pytest.raises(ValueError, match='kernel_size'):
        nn.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match='groups'):
        nn.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match='layout'):
        nn.MaxPool1D(layout='NCHW')
    with pytest.raises(ValueError, match='padding'):
        nn.ReflectionPad2D((1, 2))
    with pytest.raises(TypeError, match='activation'):
        nn.Activation(None)


def test_batchnormrelu_exports_mxnet_op_and_imports_back(tmp_path):
    """MXNet 1.9.1 exports BatchNormReLU as ``_contrib_BatchNormWithReLU`` with 4 outputs."""
    import json
    from minigluon.block import SymbolBlock
    with NameManager():
        net = nn.BatchNormReLU(in_channels=3)
    assert net.prefix == 'batchnormrelu0_'
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.RandomState(0).randn(2, 3, 2, 2))
    y = net(x)
    assert_almost_equal(y, np.maximum(x.asnumpy() / np.sqrt(1 + 1e-5), 0), rtol=1e-5, atol=1e-6)
    sym_file, params_file = net.export(str(tmp_path / 'bnr'))
    graph = json.load(open(sym_file))
    node = graph['nodes'][-1]
    assert node['op'] == '_contrib_BatchNormWithReLU' and node['name'] == 'batchnormrelu0_fwd'
    assert node['attrs'] == {'axis': '1', 'eps': '1e-05', 'fix_gamma': 'False', 'momentum': '0.9',
                             'use_global_stats': 'False'}
    assert graph['node_row_ptr'][-1] - graph['node_row_ptr'][-2] == 4
    back = SymbolBlock.imports(sym_file, 'data', params_file, ctx=x.context)
    assert_almost_equal(back(x), y)
