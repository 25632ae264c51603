"""Regressions found by breaker17 (a hostile but fair user with MXNet 1.9.1 beside minigluon)."""
import json

import numpy as np

import minigluon as mx
from minigluon import nd


def test_norm_out_dtype_none_means_the_input_dtype():
    # MXNet 1.9.1's out_dtype is a dmlc::optional: x.norm(2, 1, None, True) (ord, axis, out_dtype,
    # keepdims by position) and out_dtype=None work there; minigluon raised "must not be None"
    x = nd.array([[3., 1, 2], [0, 5, 4]])
    out = x.norm(2, 1, None, True)
    assert out.dtype == np.float32 and out.shape == (2, 1)
    np.testing.assert_allclose(out.asnumpy().ravel(), np.sqrt([14., 41.]), rtol=1e-6)  # 9+1+4, 25+16
    assert nd.norm(x, out_dtype=None).asnumpy() == nd.norm(x).asnumpy()
    node = mx.sym.norm(mx.sym.var('x'), out_dtype=None)
    attrs = [n for n in json.loads(node.tojson())['nodes'] if n['op'] == 'norm'][0]['attrs']
    assert attrs['out_dtype'] == 'None'       # as MXNet writes an unset optional


def test_test_utils_take_mxnet_positional_arguments():
    # MXNet 1.9.1: rand_ndarray(shape, stype, density, dtype, modifier_func, shuffle_csr_indices,
    # distribution, ctx), rand_shape_nd(num_dim, dim, allow_zero_size), almost_equal(a, b, rtol,
    # atol, equal_nan, use_broadcast); minigluon took ctx fifth and lacked the others (TypeError)
    from minigluon import test_utils
    arr = test_utils.rand_ndarray((2, 3), 'default', None, 'float64', None, False, None, mx.cpu(1))
    assert arr.shape == (2, 3) and arr.dtype == np.float64 and arr.context == mx.cpu(1)
    np.random.seed(0)
    shapes = {test_utils.rand_shape_nd(3, 1, True) for _ in range(40)}
    assert any(0 in s for s in shapes) and all(len(s) == 3 and max(s) <= 1 for s in shapes)
    assert all(min(test_utils.rand_shape_nd(3, 2, False)) >= 1 for _ in range(20))
    assert test_utils.almost_equal(np.ones(2), np.ones(2), None, None, False, True)


def test_check_numeric_gradient_takes_none_tolerances_and_mxnet_positional_order():
    # MXNet 1.9.1: check_numeric_gradient(sym, location, aux_states, numeric_eps, rtol, atol,
    # grad_nodes, use_forward_train, ctx, grad_stype_dict, dtype), None tolerances picking defaults;
    # minigluon failed on None ("NoneType * float") and had dtype where grad_stype_dict is
    from minigluon.test_utils import check_numeric_gradient
    s = mx.sym.sin(mx.sym.var('x'))
    loc = [np.array([0.3, -1.2])]
    grads = check_numeric_gradient(s, loc, None, None, None, None, None, True, None, None, np.float64)
    assert list(grads) == ['x'] and grads['x'].shape == (2,)


def test_symbol_functions_accept_out_none_so_hybridized_blocks_match_eager():
    # MXNet 1.9.1's Symbol functions take out=None; minigluon's raised "unexpected attribute 'out'",
    # so a hybrid_forward passing out=None through ran eagerly but failed hybridized
    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.Activation(x, act_type='relu', out=None) + F.relu(x, out=None)

    net = Net()
    x = nd.array([-1.0, 2.0])
    eager = net(x).asnumpy()
    net.hybridize()
    assert np.array_equal(net(x).asnumpy(), eager) and eager.tolist() == [0.0, 4.0]
    assert mx.sym.Activation(mx.sym.var('x'), act_type='relu', out=None).list_arguments() == ['x']


class _Square(mx.autograd.Function):
    def forward(self, a):
        self.save_for_backward(a)
        return a * a

    def backward(self, grad):
        a, = self.saved_tensors
        return 2 * a * grad


def test_function_instance_is_used_once():
    # breaker17: a reused instance overwrote saved_tensors, so the first call's backward read the
    # second call's input: d(b^2)/db at b=3 came out 20 (2 * 10) instead of 6, silently.
    # MXNet 1.9.1 asserts "Each Function instance can only be called once" at the second call.
    import pytest
    from minigluon import autograd
    b, c = nd.array([3.0]), nd.array([10.0])
    b.attach_grad()
    c.attach_grad()
    f = _Square()
    with autograd.record():
        y = f(b)
        with pytest.raises(AssertionError, match='only be called once'):
            f(c)
        z = y + _Square()(c)
    z.backward()
    assert b.grad.asnumpy().tolist() == [6.0] and c.grad.asnumpy().tolist() == [20.0]


def test_function_backward_returning_numpy_names_the_function():
    # was "'numpy.ndarray' object has no attribute '_data'" from inside the tape
    import pytest
    from minigluon import autograd

    class Twice(autograd.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return grad.asnumpy() * 2

    a = nd.array([1.0, 2.0])
    a.attach_grad()
    with autograd.record():
        y = Twice()(a)
    with pytest.raises(mx.base.MXNetError, match='Twice.backward must return NDArrays.*ndarray for input 0'):
        y.backward()


def _fixture():
    import os
    from _breaker import read_fixture
    path = os.path.join(os.path.dirname(__file__), 'fixtures', 'breaker17', 'breaker17.json')
    return read_fixture(path)


def _data_grad(fn, data, head=None):
    from minigluon import autograd
    x = nd.array(data)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward(None if head is None else nd.array(head))
    return x.grad.asnumpy()


def test_mae_regression_output_gradient_at_a_tie_is_minus_one():
    # MXNet 1.9.1's backward is (out - label > 0 ? 1 : -1): where out equals label it is -1,
    # minigluon's sign() gave 0 (tools/gen_breaker17_fixtures.py)
    for case in _fixture()['mae']:
        got = _data_grad(lambda x: nd.MAERegressionOutput(x, nd.array(case['label']),
                                                          grad_scale=case['grad_scale']), case['data'])
        np.testing.assert_allclose(got, case['grad'], rtol=0, atol=0)


def test_softmax_output_out_grad_multiplies_by_the_head_gradient():
    # MXNet 1.9.1 ignores the head gradient with out_grad=True and multiplies by the softmax
    # output (its numbers are the same for both heads: pinned as the fault); minigluon multiplies
    # (softmax - onehot) by the head gradient, as MXNet documents
    for case in _fixture()['softmax_out_grad']:
        x = np.array(case['data'])
        p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
        onehot = np.eye(3)[case['label']]
        got = _data_grad(lambda v: nd.SoftmaxOutput(v, nd.array(case['label']), out_grad=True),
                         case['data'], case['head'])
        np.testing.assert_allclose(got, (p - onehot) * np.array(case['head']), rtol=1e-6)
        np.testing.assert_allclose(case['mxnet_grad'], (p - onehot) * p, rtol=1e-6)


def test_full_takes_a_one_element_array_as_its_value():
    # MXNet 1.9.1's nd.full takes float(val), so a one-element NDArray (a reduced loss, a mean)
    # fills the array; minigluon raised "val must be a number"
    import pytest
    assert nd.full((2,), nd.array([3.5])).asnumpy().tolist() == [3.5, 3.5]
    assert nd.full((2, 1), np.array([[2.7]]), dtype='int32').asnumpy().ravel().tolist() == [2, 2]
    with pytest.raises(TypeError, match='one-element array, got an array of shape \\(2,\\)'):
        nd.full((2,), nd.array([1.0, 2.0]))


def test_layers_sized_with_numpy_integers():
    # breaker17: under NumPy 2 a NumPy integer in a Parameter's shape printed as np.int64(3), so
    # nn.Dense(np.int64(3)) failed at its first call ("__shape__ '(np.int64(3), 0)' is not a
    # shape"); MXNet 1.9.1 builds the layer (sizes computed with NumPy are common in scripts)
    from minigluon.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(np.int32(4), (np.int64(3), 3), strides=np.int64(2), padding=np.int32(1)),
            nn.Dense(np.int64(3)))
    net.initialize()
    assert net(nd.ones((1, 1, 5, 5))).shape == (1, 3)
    net.hybridize()
    assert net(nd.ones((1, 1, 5, 5))).shape == (1, 3)
    shapes = [p.shape for p in net.collect_params().values()]
    assert shapes == [(4, 1, 3, 3), (4,), (3, 36), (3,)]
    assert all(type(d) is int for s in shapes for d in s)
    p = mx.gluon.Parameter('w', shape=np.int64(2))
    assert p.shape == (2,) and repr(p).startswith('Parameter w (shape=(2,), dtype=')
    p.shape = (np.int64(2),)
    assert type(p.shape[0]) is int


def test_symbol_attributes_with_numpy_integers_print_as_mxnet_writes_them():
    # under NumPy 2, str((np.int64(2), 3)) is "(np.int64(2), 3)": sym.var(shape=...) made a
    # variable whose __shape__ could not be read back (infer_shape failed) and slice(begin=...)
    # wrote "(np.int64(0), None)" into -symbol.json, which MXNet cannot parse; MXNet writes "(2, 3)"
    x = mx.sym.var('x', shape=(np.int64(2), np.int64(3)))
    assert x.list_attr()['__shape__'] == '(2, 3)'
    assert x.infer_shape()[1] == [(2, 3)]
    s = mx.sym.slice(x, begin=(np.int64(0), None), end=(np.int64(1), None))
    attrs = [n for n in json.loads(s.tojson())['nodes'] if n['op'] == 'slice'][0]['attrs']
    assert attrs == {'begin': '(0, None)', 'end': '(1, None)'}
    assert s.infer_shape()[1] == [(1, 3)]
    out = nd.slice(nd.arange(6).reshape((2, 3)), begin=(np.int64(1), None), end=(np.int64(2), None))
    assert out.asnumpy().tolist() == [[3.0, 4.0, 5.0]]


def test_shape_attributes_given_as_lists_print_back_as_lists():
    # MXNet 1.9.1 writes an attribute as given: transpose(axes=[1, 0]) is "[1, 0]" in -symbol.json
    # (minigluon wrote "(1, 0)"); a file read back keeps the brackets
    x = mx.sym.var('x')
    s = mx.sym.Pooling(mx.sym.transpose(x, axes=[0, 1, 3, 2]), kernel=[2, 2], pool_type='max',
                       stride=(1, 1))
    nodes = [n for n in json.loads(s.tojson())['nodes'] if n['op'] != 'null']
    assert nodes[0]['attrs'] == {'axes': '[0, 1, 3, 2]'}
    assert nodes[1]['attrs'] == {'kernel': '[2, 2]', 'pool_type': 'max', 'stride': '(1, 1)'}
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()
    assert s.infer_shape(x=(1, 1, 3, 4))[1] == [(1, 1, 3, 2)]


def test_custom_op_attributes_with_numpy_integers_reach_the_property_as_mxnet_text():
    # a property gets its attributes as strings; a tuple of NumPy integers arrived as
    # "(np.int64(1), np.int64(2))" under NumPy 2, which its eval() could not read back
    import ast
    from minigluon import operator

    class Reshape(operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0].reshape(out_data[0].shape))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0].reshape(in_data[0].shape))

    @operator.register('breaker17_reshape')
    class ReshapeProp(operator.CustomOpProp):
        def __init__(self, shape):
            super().__init__(need_top_grad=True)
            self.shape = tuple(ast.literal_eval(shape))

        def infer_shape(self, in_shape):
            return in_shape, [self.shape], []

        def create_operator(self, ctx, shapes, dtypes):
            return Reshape()

    out = nd.Custom(nd.arange(6), op_type='breaker17_reshape', shape=(np.int64(2), np.int64(3)))
    assert out.shape == (2, 3)


def test_numpy_integer_sizes_in_transforms_dataloader_and_lbsgd():
    # MXNet 1.9.1 takes sizes computed with NumPy; minigluon's int checks refused np.int64:
    # Resize((np.int64(2), np.int64(3))), CenterCrop(np.int64(2)), DataLoader(num_workers=
    # np.int64(0)), LBSGD(batch_scale=np.int64(2))
    from minigluon.gluon.data import ArrayDataset, DataLoader
    from minigluon.gluon.data.vision import transforms
    img = nd.array(np.arange(48).reshape(4, 4, 3), dtype='uint8')
    assert transforms.Resize((np.int64(2), np.int64(3)))(img).shape == (3, 2, 3)
    assert transforms.CenterCrop(np.int64(2))(img).shape == (2, 2, 3)
    loader = DataLoader(ArrayDataset(np.arange(6)), batch_size=np.int64(2), num_workers=np.int64(0))
    assert len(list(loader)) == 3
    assert mx.optimizer.LBSGD(batch_scale=np.int64(2)).batch_scale == 2


def test_save_states_with_numpy_hyperparameters_round_trips(tmp_path):
    # breaker17: save_states failed ("Object of type float32 is not JSON serializable") for
    # {'learning_rate': np.float32(0.1)}, and a scheduler whose base_lr had become a NumPy float
    # (FactorScheduler(factor=np.float32(0.5)): 0.1 * factor) was silently not saved, so a resumed
    # run went back to the initial rate; MXNet 1.9.1 pickles both
    from minigluon import autograd, gluon

    def make(net):
        sched = mx.lr_scheduler.FactorScheduler(step=2, factor=np.float32(0.5),
                                                base_lr=np.float32(0.1))   # the optimizer's lr
        return gluon.Trainer(net.collect_params(), 'sgd', {
            'momentum': np.float32(0.9), 'wd': np.float64(1e-4), 'lr_scheduler': sched})

    def step(net, trainer):
        with autograd.record():
            loss = (net(nd.array([[1.0, 2.0]])) ** 2).sum()
        loss.backward()
        trainer.step(1)

    net = gluon.nn.Dense(2, in_units=2)
    net.initialize(mx.init.One())
    trainer = make(net)
    for _ in range(3):
        step(net, trainer)
    fname = str(tmp_path / 'np.states')
    trainer.save_states(fname)
    net.save_parameters(str(tmp_path / 'np.params'))
    step(net, trainer)                                   # the uninterrupted run
    resumed = gluon.nn.Dense(2, in_units=2)
    resumed.load_parameters(str(tmp_path / 'np.params'))
    trainer2 = make(resumed)
    trainer2.load_states(fname)
    assert abs(trainer2.learning_rate - trainer.learning_rate) < 1e-9     # 0.1 * 0.5 after 3 updates
    step(resumed, trainer2)
    np.testing.assert_allclose(resumed.weight.data().asnumpy(), net.weight.data().asnumpy(), rtol=1e-6)
    plain = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': np.float32(0.25)})
    step(net, plain)
    plain.save_states(fname)                             # failed: float32 not JSON serializable
    plain2 = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1.0})
    plain2.load_states(fname)
    assert plain2.learning_rate == 0.25
