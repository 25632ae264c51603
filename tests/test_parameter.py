"""Parameter, Constant and ParameterDict (docs/MXNET_SPEC.md section 3)."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import initializer as init
from minigluon.context import cpu, current_context
from minigluon.parameter import (Constant, DeferredInitializationError, Parameter, ParameterDict,
                                 ParameterMismatchError)
from minigluon.test_utils import assert_almost_equal


def test_parameter_basics():
    p = Parameter('weight', shape=(10, 10))
    p.initialize(init='xavier', ctx=[cpu(0), cpu(1)])
    assert len(p.list_data()) == 2 and len(p.list_grad()) == 2
    assert p.data(cpu(1)).context == cpu(1)
    assert p.data(cpu(0)).shape == (10, 10)
    assert p.list_ctx() == [cpu(0), cpu(1)]
    assert_almost_equal(p.data(cpu(0)), p.data(cpu(1)))
    # Xavier(magnitude 3, avg): uniform on +-sqrt(3 / 10)
    vals = p.data(cpu(0)).asnumpy()
    assert np.abs(vals).max() <= np.sqrt(0.3) + 1e-7 and vals.std() > 0.05
    p.reset_ctx(ctx=[cpu(1), cpu(2)])
    assert p.list_ctx() == [cpu(1), cpu(2)]


def test_var_attributes():
    p = Parameter('fc_weight', shape=(3, 0), lr_mult=2.0, init=init.Xavier(magnitude=2))
    v = p.var()
    assert v is p.var() and v.name == 'fc_weight'
    assert v.attr('__shape__') == '(3, 0)'
    assert v.attr('__lr_mult__') == '2.0' and v.attr('__dtype__') == '0'
    assert v.attr('__init__') == init.Xavier(magnitude=2).dumps()
    assert Parameter('b', shape=(2,), init='zeros').var().attr('__init__') == 'zeros'


def test_parameter_repr_and_shape():
    p = Parameter('w', shape=3)
    assert p.shape == (3,)
    assert repr(p) == "Parameter w (shape=(3,), dtype=<class 'numpy.float32'>)"
    assert repr(Parameter('w', shape=(2, 3), dtype='float32')) == 'Parameter w (shape=(2, 3), dtype=float32)'
    q = Parameter('q', shape=(0, 3))
    q.shape = (4, 3)
    assert q.shape == (4, 3)
    with pytest.raises(ValueError, match='incompatible'):
        q.shape = (5, 3)
    with pytest.raises(AssertionError, match='incompatible'):   # MXNet asserts here; ours is both
        q.shape = (4,)


def test_parameter_invalid_access():
    p = Parameter('weight', shape=(3, 2))
    with pytest.raises(RuntimeError, match='has not been initialized'):
        p.data()
    with pytest.raises(RuntimeError, match='has not been initialized'):
        p.list_ctx()
    with pytest.raises(ValueError, match='grad_req'):
        Parameter('x', grad_req='sometimes')
    p.initialize(ctx=cpu(0))
    with pytest.raises(RuntimeError, match='was not initialized on context cpu\\(1\\)'):
        p.data(cpu(1))
    q = Parameter('bar', shape=(0, 3))
    with pytest.raises(ValueError, match="Cannot initialize Parameter 'bar' because it has invalid shape"):
        q.initialize()


def test_parameter_already_initialized_warns():
    p = Parameter('w', shape=(2,))
    p.initialize(init='ones')
    with pytest.warns(UserWarning, match='already initialized'):
        p.initialize(init='zeros')
    assert (p.data().asnumpy() == 1).all()
    p.initialize(init='zeros', force_reinit=True)
    assert (p.data().asnumpy() == 0).all()


def test_refused_calls_leave_the_parameter_as_it_was():
    # initialize(force_reinit=True) with a bad ctx refuses before dropping the data; set_data on
    # a parameter never initialized refuses before filling its shape in (MXNet 1.9.1 loses the
    # data in the first case and keeps the shape of the refused array in the second)
    p = Parameter('w', shape=(2,))
    p.initialize(init='ones')
    with pytest.raises(ValueError, match='ctx must be a Context'):
        p.initialize(ctx='cpu', force_reinit=True)
    assert (p.data().asnumpy() == 1).all() and p.grad() is not None
    q = Parameter('q', shape=(0, 3))
    with pytest.raises(ParameterMismatchError, match="'q' has not been initialized"):
        q.set_data(nd.ones((4, 3)))
    assert q.shape == (0, 3)


def test_set_data_pending_keeps_the_parameter_dtype():
    # as set_data on an initialized parameter, whose copies cast the values; MXNet 1.9.1 keeps
    # the float64 array and its FullyConnected then refuses the float32 data
    p = Parameter('w', shape=(0, 3), allow_deferred_init=True)
    p.initialize()
    p.set_data(nd.ones((4, 3), dtype='float64'))
    p._finish_deferred_init()
    assert p.data().dtype == np.float32 and p.grad().dtype == np.float32
    assert (p.data().asnumpy() == 1).all()
    q = Parameter('q', shape=(0, 3), allow_deferred_init=True)   # cast after set_data, too
    q.initialize()
    q.set_data(nd.ones((4, 3)))
    q.cast('float64')
    q._finish_deferred_init()
    assert q.data().dtype == np.float64 and q.grad().dtype == np.float64


def test_init_always_uses_chosen_initializer():
    # The name suffix does not matter in Gluon: a '*_bias' param gets uniform values (MXNet obs).
    p = Parameter('foo_bias', shape=(50,))
    p.initialize()
    vals = p.data().asnumpy()
    assert np.abs(vals).max() <= 0.07 and np.abs(vals).max() > 0
    # param.init wins over the default
    q = Parameter('foo_weight', shape=(4,), init=init.One())
    q.initialize(default_init=init.Zero())
    assert (q.data().asnumpy() == 1).all()


def test_deferred_init():
    p = Parameter('w', shape=(3, 0), allow_deferred_init=True)
    p.initialize(init='ones', ctx=cpu())
    with pytest.raises(DeferredInitializationError, match='deferred'):
        p.data()
    assert p.list_ctx() == [cpu()]
    p.shape = (3, 7)
    p._finish_deferred_init()
    assert p.data().shape == (3, 7) and (p.data().asnumpy() == 1).all()


def test_deferred_set_data_used_at_finish():
    p = Parameter('w', shape=(2, 0), allow_deferred_init=True)
    p.initialize()
    p.set_data(nd.array([[1, 2], [3, 4]]))
    assert p.shape == (2, 2)
    p._finish_deferred_init()
    assert_almost_equal(p.data(), np.array([[1, 2], [3, 4]]))


def test_deferred_set_data_takes_a_numpy_array_in_the_parameters_dtype():
    # MXNet 1.9.1 fails at the first forward ('numpy.ndarray' object has no attribute 'copyto')
    from minigluon.gluon import nn
    dense = nn.Dense(3)
    dense.initialize()
    weight = np.arange(12, dtype=np.float64).reshape(3, 4) / 10
    dense.weight.set_data(weight)
    out = dense(nd.ones((2, 4)))
    assert dense.weight.data().dtype == np.float32
    assert_almost_equal(out, np.ones((2, 4)) @ weight.T, rtol=1e-6)
    assert_almost_equal(dense.weight.data(ctx=current_context()), weight.astype(np.float32))


def test_grad_req_and_backward():
    p = Parameter('w', shape=(3,))
    p.initialize(init='ones')
    x = nd.array([1., 2., 3.])
    with autograd.record():
        y = p.data() * x
    y.backward()
    assert_almost_equal(p.grad(), x.asnumpy())
    assert p._fresh_grad
    p._fresh_grad = False
    assert not p._fresh_grad
    p.zero_grad()
    assert (p.grad().asnumpy() == 0).all()
    p.grad_req = 'null'
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    p.grad_req = 'add'
    for _ in range(2):
        with autograd.record():
            y = p.data() * x
        y.backward()
    assert_almost_equal(p.grad(), 2 * x.asnumpy())
    q = Parameter('q', shape=(2,), differentiable=False)
    assert q.grad_req == 'null'


def test_cast():
    p = Parameter('w', shape=(2, 2))
    p.initialize(init='ones')
    p.cast('float16')
    assert p.data().dtype == np.float16 and p.grad().dtype == np.float16
    p.dtype = np.float64
    assert p.data().dtype == np.float64
    with autograd.record():
        y = p.data() * 2
    y.backward()
    assert_almost_equal(p.grad(), np.full((2, 2), 2.0))


def test_load_init_checks_and_fills():
    p = Parameter('w', shape=(3, 0))
    p._load_init(nd.ones((3, 4)), None)
    assert p.shape == (3, 4) and p.list_ctx() == [cpu()]
    with pytest.raises(ParameterMismatchError, match="Failed loading Parameter 'w'.*shape incompatible"):
        p._load_init(nd.ones((4, 3)), None)
    with pytest.raises(AssertionError, match='dtype incompatible'):
        p._load_init(nd.ones((3, 4), dtype='float16'), None)
    assert (p.data().asnumpy() == 1).all()
    p._load_init(nd.full((3, 4), 2, dtype='float16'), None, cast_dtype=True)
    assert p.dtype == np.float32 and (p.data().asnumpy() == 2).all()
    p._load_init(nd.full((3, 4), 3, dtype='float16'), None, cast_dtype=True, dtype_source='saved')
    assert p.data().dtype == np.float16


def test_constant():
    c = Constant('c', [[1, 2], [3, 4]])
    assert repr(c) == "Constant c (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    c.initialize()
    assert_almost_equal(c.data(), np.array([[1, 2], [3, 4]]))
    assert c.grad_req == 'null'
    with pytest.warns(UserWarning, match='does not support grad_req'):
        c.grad_req = 'write'
    assert c.grad_req == 'null'


def test_parameter_dict_get_and_repr():
    pd = ParameterDict('net_')
    w = pd.get('weight', shape=(10, 0))
    assert pd.get('weight') is w
    assert pd.get('weight', shape=(0, 5)).shape == (10, 5)   # unknown dims fill each other
    with pytest.raises(AssertionError, match="desired attribute does not match"):
        pd.get('weight', shape=(3, 5))
    assert pd.get('weight', dtype='float32') is w
    assert list(pd.keys()) == ['net_weight']
    assert repr(pd) == ('net_ (\n  Parameter net_weight (shape=(10, 5), dtype=<class '
                        "'numpy.float32'>)\n)")
    assert repr(ParameterDict()) == '(\n\n)'


def test_parameter_dict_shared_and_update():
    a = ParameterDict('a_')
    w = a.get('w', shape=(2,))
    b = ParameterDict('a_', shared=a)
    assert b.get('w') is w
    c = ParameterDict('a_')
    c.get('w', shape=(2,))
    with pytest.raises(AssertionError, match='different Parameters with the same name'):
        b.update(c)


def test_parameter_dict_constant():
    pd = ParameterDict('p_')
    with pytest.raises(KeyError, match='No constant named'):
        pd.get_constant('c')
    c = pd.get_constant('c', [1, 2])
    assert pd.get_constant('c') is c
    assert pd.get_constant('c', [1, 2]) is c
    with pytest.raises(AssertionError, match="doesn't match"):
        pd.get_constant('c', [1, 3])
    pd.get('w', shape=(1,))
    with pytest.raises(AssertionError, match='not a constant'):
        pd.get_constant('w', [1])


def test_parameter_dict_setattr_list_ctx_zero_grad():
    pd = ParameterDict('p_')
    pd.get('a', shape=(2,))
    pd.get('b', shape=(3,))
    pd.initialize(ctx=[cpu(0), cpu(1)])
    assert pd.list_ctx() == [cpu(0), cpu(1)]
    pd.setattr('lr_mult', 0.5)
    assert all(p.lr_mult == 0.5 for p in pd.values())
    pd.setattr('grad_req', 'null')
    assert all(p._grad is None for p in pd.values())


def test_parameter_dict_save_load(tmp_path):
    pd = ParameterDict('net_')
    pd.get('w', shape=(2, 3))
    pd.get('b', shape=(2,))
    pd.initialize()
    fname = str(tmp_path / 'p.params')
    pd.save(fname, strip_prefix='net_')
    from minigluon import serialization
    assert sorted(serialization.load(fname)) == ['b', 'w']
    with pytest.raises(ValueError, match='is to be striped'):
        pd.save(fname, strip_prefix='other_')
    pd2 = ParameterDict('net_')
    pd2.get('w', shape=(2, 0))
    pd2.get('b', shape=(2,))
    pd2.load(fname, restore_prefix='net_')
    for name in ('net_w', 'net_b'):
        assert_almost_equal(pd2[name].data(), pd[name].data())
    # arg:/aux: prefixes are stripped
    pd3 = ParameterDict('net_')
    pd3.get('w', shape=(2, 3))
    pd3.load_dict({'arg:net_w': nd.ones((2, 3))})
    assert (pd3['net_w'].data().asnumpy() == 1).all()


def test_parameter_dict_load_is_all_or_nothing():
    pd = ParameterDict('n_')
    pd.get('a', shape=(2,))
    pd.get('b', shape=(3,))
    pd.initialize(init='zeros')
    with pytest.raises(ParameterMismatchError, match="'n_b'.*shape incompatible"):
        pd.load_dict({'n_a': nd.ones((2,)), 'n_b': nd.ones((4,))})
    assert (pd['n_a'].data().asnumpy() == 0).all()
    with pytest.raises(ParameterMismatchError, match="'n_b' is missing"):
        pd.load_dict({'n_a': nd.ones((2,))})
    with pytest.raises(ParameterMismatchError, match="'n_c' loaded from param_dict is not present"):
        pd.load_dict({'n_a': nd.ones((2,)), 'n_b': nd.ones((3,)), 'n_c': nd.ones(1)})
    pd.load_dict({'n_a': nd.ones((2,)), 'n_c': nd.ones(1)}, allow_missing=True, ignore_extra=True)
    assert (pd['n_a'].data().asnumpy() == 1).all()


def test_row_sparse_grad_stype_gives_a_dense_gradient():
    # GluonNLP's ISDense/NCEDense (sparse_grad=True, their default) declare their weight with
    # grad_stype='row_sparse'; the gradient is kept dense, as for nn.Embedding(sparse_grad=True).
    from minigluon.base import NotSupportedError
    params = ParameterDict('isdense0_')
    w = params.get('weight', shape=(4, 2), grad_stype='row_sparse')
    w.initialize(init='ones')
    assert w._grad_stype == 'default'
    with autograd.record():
        out = nd.Embedding(nd.array([1, 3, 3]), w.data(), input_dim=4, output_dim=2, sparse_grad=True)
    out.backward()
    # rows 0 and 2 were not looked up; row 3 was looked up twice
    assert w.grad().asnumpy().tolist() == [[0, 0], [1, 1], [0, 0], [2, 2]]
    with pytest.raises(NotSupportedError, match="grad_stype='csr'"):
        Parameter('w', shape=(2,), grad_stype='csr')
    with pytest.raises(NotSupportedError, match="stype='row_sparse'"):
        Parameter('w', shape=(2,), stype='row_sparse')
    with pytest.raises(ValueError, match='grad_stype must be'):
        Parameter('w', shape=(2,), grad_stype='dense')
