"""Initializers: registry, dumps/create, distributions and their bounds, errors."""
import json

import numpy as np
import pytest

import minigluon.init as mginit
from minigluon import initializer as init
from minigluon import nd
from minigluon.parameter import Parameter
from minigluon.test_utils import assert_almost_equal


def _run(initializer, shape, name='w_weight'):
    arr = nd.zeros(shape)
    initializer(init.InitDesc(name, {'__init__': initializer}), arr)
    return arr.asnumpy()


def test_alias_module():
    assert mginit.Xavier is init.Xavier and mginit.create is init.create


def test_create_from_names_and_dumps():
    assert isinstance(init.create('zeros'), init.Zero)
    assert isinstance(init.create('ones'), init.One)
    x = init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2)
    text = x.dumps()
    assert json.loads(text) == ['xavier', {'rnd_type': 'gaussian', 'factor_type': 'in', 'magnitude': 2}]
    y = init.create(text)
    assert isinstance(y, init.Xavier) and y.rnd_type == 'gaussian' and y.magnitude == 2
    assert init.Uniform().dumps() == '["uniform", {"scale": 0.07}]'
    assert json.loads(init.MSRAPrelu().dumps()) == ['msraprelu', {'factor_type': 'avg', 'slope': 0.25}]
    assert json.loads(init.Constant(nd.array([1, 2])).dumps()) == ['constant', {'value': [1.0, 2.0]}]
    with pytest.raises(ValueError, match='unknown initializer'):
        init.create('nope')
    with pytest.raises(TypeError, match='init must be an Initializer, a name or a JSON string, got int'):
        init.create(3)


def test_constant_zero_one():
    assert (_run(init.Zero(), (2, 3)) == 0).all()
    assert (_run(init.One(), (2, 3)) == 1).all()
    assert (_run(init.Constant(2.5), (2, 3)) == 2.5).all()
    assert_almost_equal(_run(init.Constant([1, 2, 3]), (2, 3)), np.tile([1, 2, 3], (2, 1)))


def test_constant_of_a_wrong_shape_is_refused_and_leaves_the_parameter_uninitialized():
    # d2l's style transfer fills its image Parameter with init.Constant(content_X); a value of
    # another shape: a ValueError naming both shapes and the parameter (MXNet 1.9.1: NumPy's
    # broadcast error), and the Parameter then reads as not initialized (MXNet's RuntimeError),
    # not as waiting for a deferred initialization
    p = Parameter('img_weight', shape=(2, 3))
    with pytest.raises(ValueError, match=r"init.Constant: a value of shape \(6,\) cannot fill img_weight "
                                         r"of shape \(2, 3\)"):
        p.initialize(init=init.Constant(nd.arange(6)))
    with pytest.raises(RuntimeError, match="Parameter 'img_weight' has not been initialized"):
        p.data()
    p.initialize(init=init.Constant(nd.arange(3)), force_reinit=True)
    assert_almost_equal(p.data().asnumpy(), np.tile(np.arange(3), (2, 1)))


def test_uniform_and_normal_statistics():
    vals = _run(init.Uniform(0.5), (200, 50))
    assert np.abs(vals).max() <= 0.5 and abs(vals.mean()) < 0.02
    assert abs(vals.std() - 0.5 / np.sqrt(3)) < 0.01
    vals = _run(init.Normal(0.2), (200, 50))
    assert abs(vals.std() - 0.2) < 0.01 and abs(vals.mean()) < 0.01


@pytest.mark.parametrize('factor_type', ['avg', 'in', 'out'])
def test_xavier_scale(factor_type):
    shape = (64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    factor = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    scale = np.sqrt(3 / factor)
    vals = _run(init.Xavier(factor_type=factor_type), shape)
    assert np.abs(vals).max() <= scale and np.abs(vals).max() > 0.95 * scale
    vals = _run(init.Xavier(rnd_type='gaussian', factor_type=factor_type, magnitude=2), shape)
    assert abs(vals.std() - np.sqrt(2 / factor)) < 0.05 * np.sqrt(2 / factor)


def test_xavier_rejects_vector_and_bad_args():
    with pytest.raises(ValueError, match='Xavier initializer cannot be applied to vector w_weight'):
        _run(init.Xavier(), (5,))
    with pytest.raises(ValueError, match='rnd_type'):
        init.Xavier(rnd_type='cauchy')
    with pytest.raises(ValueError, match='factor_type'):
        init.Xavier(factor_type='sum')


def test_msraprelu():
    shape = (100, 50)
    vals = _run(init.MSRAPrelu(), shape)
    expected = np.sqrt(2 / (1 + 0.25 ** 2) / 75)
    assert abs(vals.std() - expected) < 0.05 * expected


def test_orthogonal():
    vals = _run(init.Orthogonal(scale=1.0), (4, 6))
    assert_almost_equal(vals @ vals.T, np.eye(4), atol=1e-5, rtol=1e-5)
    vals = _run(init.Orthogonal(scale=2.0, rand_type='normal'), (6, 4))
    assert_almost_equal(vals.T @ vals, 4 * np.eye(4), atol=1e-4, rtol=1e-4)


def test_lstm_bias_and_bilinear():
    vals = _run(init.LSTMBias(forget_bias=2.0), (8,))
    assert_almost_equal(vals, np.array([0, 0, 2, 2, 0, 0, 0, 0.0]))
    k = _run(init.Bilinear(), (1, 1, 4, 4))[0, 0]
    assert_almost_equal(k, np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25]))


def test_name_dispatch_without_init_attr():
    base = init.Uniform()
    arr = nd.ones((3,))
    base(init.InitDesc('fc_bias'), arr)
    assert (arr.asnumpy() == 0).all()
    base(init.InitDesc('bn_gamma'), arr)
    assert (arr.asnumpy() == 1).all()
    base(init.InitDesc('q_max'), arr)
    assert (arr.asnumpy() == 1).all()
    # MXNet 1.9.1 rejects other names, moving statistics included (its graphs give those an
    # '__init__' attribute); the deprecated plain-name call still knows them
    for name in ('mystery', 'bn_running_var', 'bn_moving_var', 'upsampling0_weight_x'):
        with pytest.raises(ValueError, match='Unknown initialization pattern'):
            base(init.InitDesc(name), arr)
    with pytest.warns(DeprecationWarning):
        base('bn_moving_var', arr)
    assert (arr.asnumpy() == 1).all()


def test_mixed_and_load():
    mixed = init.Mixed(['.*bias', '.*'], [init.Zero(), init.One()])
    a, b = nd.ones((2,)), nd.zeros((2,))
    mixed('x_bias', a)
    mixed('x_weight', b)
    assert (a.asnumpy() == 0).all() and (b.asnumpy() == 1).all()
    with pytest.raises(ValueError, match='did not match any pattern'):
        init.Mixed(['a.*'], [init.Zero()])('b', a)
    loader = init.Load({'arg:w': nd.array([5.0, 6.0])}, default_init=init.Zero())
    loader('w', a)
    loader('other', b)
    assert_almost_equal(a, np.array([5.0, 6.0]))
    assert (b.asnumpy() == 0).all()
    with pytest.raises(ValueError, match='shape mismatch'):
        loader('w', nd.zeros((3,)))
    p = Parameter('p_weight', shape=(2,))
    p.initialize(init=init.Mixed(['.*'], [init.Constant(4.0)]))
    assert (p.data().asnumpy() == 4).all()


def test_seeded_reproducibility():
    from minigluon import random as mg_random
    mg_random.seed(7)
    a = _run(init.Uniform(), (3, 3))
    mg_random.seed(7)
    b = _run(init.Uniform(), (3, 3))
    assert_almost_equal(a, b, rtol=0, atol=0)


def test_mixed_and_load_keep_an_explicit_init_attribute():
    # MXNet 1.9.1 hands the InitDesc on unchanged, so a parameter's own '__init__' attribute (set
    # by e.g. var(init=...)) wins over the initializer the pattern chose, as with any global init.
    desc = init.InitDesc('fc_bias', {'__init__': init.Constant(3.0).dumps()})
    a, b = nd.zeros((2,)), nd.zeros((2,))
    init.Mixed(['.*'], [init.One()])(desc, a)
    init.Load({}, default_init=init.One())(desc, b)
    assert (a.asnumpy() == 3).all() and (b.asnumpy() == 3).all()


def test_mixed_and_load_take_initializer_names_and_refuse_what_is_not_callable():
    # a name ('zeros') failed only when called, with "'str' object is not callable" (as in MXNet
    # 1.9.1); it is built with create, as FusedRNN's init is
    a, b = nd.ones((2,)), nd.ones((2,))
    init.Mixed(['.*'], ['zeros'])('w', a)
    init.Load({}, default_init='zeros')('w', b)
    assert a.asnumpy().tolist() == [0.0, 0.0] and b.asnumpy().tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match=r'Mixed: initializers\[1\] must be an Initializer'):
        init.Mixed(['a.*', '.*'], [init.One(), 3])
    with pytest.raises(TypeError, match='Load: default_init must be an Initializer'):
        init.Load({}, default_init=3)
