"""minigluon.test_utils: the helpers named after mxnet.test_utils, including the Symbol form of
check_numeric_gradient (location given as a dict or a list, aux_states, grad_nodes)."""
import numpy as np
import pytest

import minigluon as mg
from minigluon import nd
from minigluon import symbol as sym
from minigluon import test_utils as tu


def test_assert_almost_equal_and_same():
    tu.assert_almost_equal(nd.array([1.0, 2.0]), np.array([1.0, 2.0000001]))
    with pytest.raises(AssertionError, match='worst at'):
        tu.assert_almost_equal(np.array([1.0, 2.0]), np.array([1.0, 2.5]))
    with pytest.raises(AssertionError, match='shape mismatch'):
        tu.assert_almost_equal(np.zeros(2), np.zeros(3))
    assert tu.almost_equal(np.ones(2), np.ones(2)) and not tu.almost_equal(np.ones(2), np.zeros(2))
    assert tu.same(nd.array([1, 2]), np.array([1.0, 2.0]))
    assert not tu.same(nd.array([1, 2]), np.array([1.0, 2.0001]))


def test_default_context_and_set_default_context():
    assert tu.default_context() == mg.cpu()
    try:
        tu.set_default_context(mg.cpu(2))
        assert tu.default_context() == mg.cpu(2)
        assert tu.rand_ndarray((2, 3)).context == mg.cpu(2)
    finally:
        tu.set_default_context(mg.cpu(0))
    assert tu.default_context() == mg.cpu(0)


def test_list_gpus_counts_the_devices(monkeypatch):
    from minigluon import context
    assert tu.list_gpus() == list(range(context.num_gpus()))
    monkeypatch.setattr(context, 'num_gpus', lambda: 2)
    assert tu.list_gpus() == [0, 1]
    monkeypatch.setattr(context, 'num_gpus', lambda: 0)
    assert tu.list_gpus() == []


def test_rand_shape_nd_and_rand_ndarray():
    for _ in range(5):
        shape = tu.rand_shape_nd(3, dim=4)
        assert len(shape) == 3 and all(1 <= d <= 4 for d in shape)
        assert all(isinstance(d, int) for d in shape)
    x = tu.rand_ndarray((3, 4), dtype='float64')
    assert x.shape == (3, 4) and x.dtype == np.float64
    assert (np.abs(x.asnumpy()) <= 1).all()
    with pytest.raises(NotImplementedError, match='dense'):
        tu.rand_ndarray((2, 2), stype='csr')


def _fc_tanh():
    x = sym.var('x')
    return sym.tanh(sym.FullyConnected(x, num_hidden=3, name='fc'))


def _fc_values(rng):
    return {'x': rng.randn(2, 4), 'fc_weight': rng.randn(3, 4), 'fc_bias': rng.randn(3)}


def test_check_numeric_gradient_accepts_a_symbol_and_a_location_dict():
    rng = np.random.RandomState(0)
    net = _fc_tanh()
    grads = tu.check_numeric_gradient(net, _fc_values(rng))
    assert sorted(grads) == ['fc_bias', 'fc_weight', 'x']
    assert grads['fc_weight'].shape == (3, 4)
    # a list is read in list_arguments() order; grad_nodes limits what is differentiated
    values = _fc_values(rng)
    grads = tu.check_numeric_gradient(net, [values[n] for n in net.list_arguments()],
                                      grad_nodes=['fc_weight'])
    assert list(grads) == ['fc_weight']


def test_check_numeric_gradient_with_aux_states_in_train_mode():
    x = sym.var('x')
    net = sym.BatchNorm(x, fix_gamma=False, name='bn')
    rng = np.random.RandomState(1)
    loc = {'x': rng.randn(4, 2), 'bn_gamma': rng.rand(2) + 0.5, 'bn_beta': rng.randn(2)}
    aux = {'bn_moving_mean': np.zeros(2), 'bn_moving_var': np.ones(2)}
    grads = tu.check_numeric_gradient(net, loc, aux_states=aux)
    assert sorted(grads) == ['bn_beta', 'bn_gamma', 'x']
    with pytest.raises(ValueError, match='aux_states'):
        tu.check_numeric_gradient(net, loc)


def test_check_numeric_gradient_catches_a_wrong_gradient():
    class BadSquare(mg.autograd.Function):      # derivative off by a factor 3/2
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return 3 * dy * x

    tu.check_numeric_gradient(lambda a: a * a, [np.array([0.5, -1.0])])
    with pytest.raises(AssertionError, match='gradient mismatch'):
        tu.check_numeric_gradient(lambda a: BadSquare()(a), [np.array([0.5, -1.0])])


def test_check_numeric_gradient_rejects_bad_locations():
    net = _fc_tanh()
    with pytest.raises(ValueError, match="missing.*fc_bias"):
        tu.check_numeric_gradient(net, {'x': np.ones((2, 4)), 'fc_weight': np.ones((3, 4))})
    with pytest.raises(ValueError, match="unknown.*'y'"):
        tu.check_numeric_gradient(net, dict(_fc_values(np.random.RandomState(0)), y=np.ones(1)))
    with pytest.raises(ValueError, match='1 arrays, the symbol needs 3'):
        tu.check_numeric_gradient(net, [np.ones((2, 4))])
