"""Custom Python operators in harder uses, against MXNet 1.9.1 (tests/fixtures/custom_op/more.npz,
made by tools/gen_custom_op_fixtures.py from the operators of tests/_custom_ops.py): attributes
that decide the inputs, gradients of some outputs only, ``retain_graph``, ``autograd.grad``,
deferred initialisation through ``infer_shape``, ``infer_type``, failing user code, control
flow, the profiler, and errors for descriptions that break the rules.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError

import _custom_ops

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'custom_op')
_custom_ops.define(mx)
_custom_ops.define_more(mx)


@pytest.fixture(scope='module')
def more():
    return np.load(os.path.join(FIX, 'more.npz'), allow_pickle=False)


def close(a, b, tol=1e-5):
    a = a.asnumpy() if hasattr(a, 'asnumpy') else a
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_num_inputs_attribute_decides_the_inputs(more):
    xs = [nd.array(more['sum_x%d' % i]) for i in range(3)]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        out = nd.Custom(*xs, op_type='t_sum_n', num_inputs=3)
        (out * out).sum().backward()
    close(out, more['sum_out'])
    for i, x in enumerate(xs):
        close(x.grad, more['sum_dx%d' % i])
    sym = mx.sym.Custom(op_type='t_sum_n', num_inputs=3, name='s')
    assert sym.list_arguments() == list(more['sum_args'])


def test_one_output_in_the_loss_retain_graph_and_autograd_grad(more):
    x, y = nd.array(more['two_x']), nd.array(more['two_y'])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        a, _ = nd.Custom(x, y, op_type='t_scale_add', scale=1.5)
        loss = (a * a).sum()
    loss.backward(retain_graph=True)
    close(x.grad, more['first_dx'])
    close(y.grad, more['first_dy'])
    loss.backward()
    close(x.grad, more['again_dx'])
    close(y.grad, more['again_dy'])
    with autograd.record():
        a, b = nd.Custom(x, y, op_type='t_scale_add', scale=1.5)
        loss = (a * b).sum()
    gx, gy = autograd.grad(loss, [x, y])
    close(gx, more['grad_dx'])
    close(gy, more['grad_dy'])


@pytest.mark.parametrize('mode', ['eager', 'hybrid', 'static'])
def test_deferred_initialisation_through_infer_shape(more, mode):
    net = _custom_ops.flat_dense_class(mx)(prefix='fd_')
    net.initialize(mx.init.One())
    if mode != 'eager':
        net.hybridize(static_alloc=mode == 'static', static_shape=mode == 'static')
    for i in range(3):
        data = nd.array(more['deferred_x%d' % i])
        data.attach_grad()
        with autograd.record():
            out = net(data)
            loss = (out * out).sum()
        loss.backward()
        close(out, more['deferred_%s_out%d' % (mode, i)])
        close(data.grad, more['deferred_%s_dx%d' % (mode, i)])
    close(net.dense.weight.grad(), more['deferred_%s_wgrad' % mode], tol=1e-4)


@pytest.mark.parametrize('in_dtype', ['float16', 'float32', 'float64', 'int32', 'uint8'])
@pytest.mark.parametrize('out_dtype', ['float16', 'float64'])
def test_infer_type_sets_each_output_dtype(more, in_dtype, out_dtype):
    out, same = nd.Custom(nd.array([[1, 2], [3, 4]], dtype=in_dtype), op_type='t_cast',
                          dtype=out_dtype)
    key = 'cast_%s_%s' % (in_dtype, out_dtype)
    assert out.dtype == more[key + '_out'].dtype and same.dtype == more[key + '_same'].dtype
    close(out, more[key + '_out'])
    close(same, more[key + '_same'])
    sym = mx.sym.Custom(mx.sym.var('x'), op_type='t_cast', dtype=out_dtype)
    assert sym.infer_type(x=in_dtype)[1] == [more[key + '_out'].dtype.type,
                                             more[key + '_same'].dtype.type]


def test_gradient_through_an_output_of_another_dtype(more):
    x = nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    with autograd.record():
        out, same = nd.Custom(x, op_type='t_cast', dtype='float64')
        loss = out.sum().astype('float32') + (same * same).sum()
    loss.backward()
    close(x.grad, more['cast_grad'])


@pytest.mark.parametrize('mode', ['eager', 'hybrid', 'static'])
def test_failing_forward_names_the_op_type_and_the_next_call_works(more, mode):
    net = _custom_ops.dense_fail_class(mx)(prefix='df_')
    net.initialize(mx.init.One())
    if mode != 'eager':
        net.hybridize(static_alloc=mode == 'static', static_shape=mode == 'static')
    bad = nd.array(-more['fail_good'])
    with pytest.raises(ValueError, match=r"Custom\(op_type='t_fail_neg'\): FailNeg.forward "
                                         r"raised ValueError: t_fail_neg wants") as info:
        with autograd.record():
            net(bad)
    assert isinstance(info.value, MXNetError)
    assert isinstance(info.value.__cause__, ValueError)        # the user's own traceback
    assert not autograd.is_recording() and not autograd.is_training()
    data = nd.array(more['fail_good'])
    data.attach_grad()
    with autograd.record():
        out = net(data)
    out.backward()
    close(out, more['fail_%s_out' % mode])
    close(data.grad, more['fail_%s_dx' % mode])


def test_failing_backward_and_create_operator_name_the_op_type():
    class Op(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            raise RuntimeError('no gradient here')

    @mx.operator.register('e_bad_backward')
    class Prop(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Op()

    @mx.operator.register('e_bad_create')
    class BadCreate(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            raise KeyError('no such thing')

    @mx.operator.register('e_not_an_op')
    class NotAnOp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return object()

    @mx.operator.register('e_bad_init')
    class BadInit(mx.operator.CustomOpProp):
        def __init__(self, size='1'):
            super().__init__()
            self.size = int(size)

    x = nd.ones((2,))
    x.attach_grad()
    with autograd.record():
        y = nd.Custom(x, op_type='e_bad_backward')
    with pytest.raises(MXNetError, match=r"op_type='e_bad_backward'\): Op.backward raised "
                                         r"RuntimeError: no gradient here"):
        y.backward()
    with pytest.raises(MXNetError, match=r"op_type='e_bad_create'\): BadCreate.create_operator "
                                         r"raised KeyError"):
        nd.Custom(x, op_type='e_bad_create')
    with pytest.raises(TypeError, match=r"op_type='e_not_an_op'\): NotAnOp.create_operator must "
                                        r"return an mx.operator.CustomOp .*got <object"):
        nd.Custom(x, op_type='e_not_an_op')
    with pytest.raises(ValueError, match=r"op_type='e_bad_init'\): BadInit\(\*\*\{'size': "
                                         r"'two'\}\) raised ValueError"):
        nd.Custom(x, op_type='e_bad_init', size='two')
    with autograd.record():                 # the failures left nothing behind
        y = nd.Custom(x, op_type='t_fail_neg')
    y.backward()
    close(x.grad, [1, 1])


def test_loss_layer_trained_with_trainer(more):
    for hybridize in (False, True):
        net = _custom_ops.loss_net_class(mx)(prefix='ln_')
        net.initialize(mx.init.Constant(0.1))
        if hybridize:
            net.hybridize()
        trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
        for _ in range(3):
            with autograd.record():
                prob = net(nd.array(more['train_x']), nd.array(more['train_label']))
            prob.backward()
            trainer.step(5)
        close(net.dense.weight.data(), more['train_weight'])
        close(net.dense.bias.data(), more['train_bias'])


@pytest.mark.parametrize('name', ['foreach', 'while', 'cond'])
@pytest.mark.parametrize('hybridize', [False, True])
def test_custom_ops_in_control_flow_bodies(more, name, hybridize):
    # MXNet 1.9.1 crashes (segmentation fault) on hybridized ones; its eager numbers are the
    # reference for both here.
    net = getattr(_custom_ops, name + '_class')(mx)()
    if hybridize:
        net.hybridize()
    data = nd.array(more['flow_x'])
    data.attach_grad()
    with autograd.record():
        out = net(data)
        loss = (out * out).sum()
    loss.backward()
    close(out, more['flow_%s_out' % name])
    close(data.grad, more['flow_%s_dx' % name])


def test_profiler_lists_custom_operators_as_mxnet(more, tmp_path):
    mx.profiler.set_config(profile_all=True, aggregate_stats=True,
                           filename=str(tmp_path / 'profile.json'))
    data = nd.array(more['fail_good'])
    data.attach_grad()
    mx.profiler.dumps(reset=True)
    mx.profiler.set_state('run')
    try:
        with autograd.record():
            a, b = nd.Custom(nd.Custom(data, op_type='t_fail_neg'), data, op_type='t_scale_add')
            loss = (a + b).sum()
        loss.backward()
    finally:
        mx.profiler.set_state('stop')
    table = json.loads(mx.profiler.dumps(format='json', reset=True))
    mx.profiler.dump()
    ours, theirs = set(table['Custom Operator']), set(more['profile_custom_rows'])
    assert {r for r in ours if r.endswith('::pure_python')} == \
        {r for r in theirs if r.endswith('::pure_python')}
    # the operators the Python code ran: MXNet's names, but for minigluon's element-wise
    # arithmetic on equal shapes (elemwise_* where MXNet's NDArray uses broadcast_*); MXNet's
    # copies and engine rows (CopyCPU2CPU, DeleteVariable) have no counterpart here
    assert {r for r in ours if '::elemwise_' not in r} <= theirs
    assert 't_fail_neg::_plus_scalar' in ours and 't_fail_neg::sum' in ours
    assert not any('Custom' in r for r in table.get('operator', {}))


def test_operator_without_inputs(more):
    close(nd.Custom(op_type='t_const', value=2.5), more['const_nd'])
    graph = mx.sym.Custom(op_type='t_const', value=1.5, name='c') * mx.sym.var('x')
    assert graph.infer_shape(x=(2, 3))[1][0] == tuple(more['const_shapes'])
    x = nd.array(more['flow_x'].T)
    close(graph.eval(x=x)[0], more['const_graph'])

    class Scaled(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.Custom(op_type='t_const', value=1.5) * x
    block = Scaled()
    block.hybridize()
    close(block(x), more['const_graph'])


def test_output_left_unknown_by_infer_shape_is_named():
    # MXNet 1.9.1 takes the 0 as a size: infer_shape returns (2, 0) and nd.Custom makes an empty
    # output whose backward then fails; here the 0 is unknown, and both say which output.
    class Op(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0])

    @mx.operator.register('e_open_output')
    class Prop(mx.operator.CustomOpProp):
        def infer_shape(self, in_shape):
            return in_shape, [[in_shape[0][0], 0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return Op()

    sym = mx.sym.Custom(mx.sym.var('x'), op_type='e_open_output', name='o')
    with pytest.warns(UserWarning, match=r"not the output\(s\) \['o_output'\].*\(2, 0\)"):
        assert sym.infer_shape(x=(2, 2)) == (None, None, None)
    assert sym.infer_shape_partial(x=(2, 2))[1] == [(2, 0)]
    with pytest.raises(MXNetError, match=r"op_type='e_open_output'.*output 'output' unknown"):
        nd.Custom(nd.ones((2, 2)), op_type='e_open_output')


def test_zero_size_batch_runs_the_operator_on_empty_arrays():
    # MXNet 1.9.1 fails to infer the shapes of an empty batch; an input that is itself empty
    # makes the 0 in the output shapes a size, not "unknown"
    x, other = nd.zeros((0, 3)), nd.zeros((0, 3))
    x.attach_grad()
    with autograd.record():
        out, plus = nd.Custom(x, other, op_type='t_scale_add', scale=2)
    out.backward()
    assert out.shape == plus.shape == (0, 3) and x.grad.shape == (0, 3)


def test_too_many_inputs_are_counted_not_printed():
    # (the message used to be "too many positional arguments (1 extra: [<NDArray repr>])")
    with pytest.raises(TypeError, match=r"Custom: takes 2 input\(s\) \['data', 'other'\], "
                                        r"got 3 arrays"):
        nd.Custom(nd.ones(2), nd.ones(2), nd.ones(2), op_type='t_scale_add')
    # (nd.relu(a, b) writes into b: MXNet 1.9.1's relu(data, out, name))
    with pytest.raises(TypeError, match=r"relu: takes 1 input\(s\) \['data'\], got 3 arrays"):
        nd.relu(nd.ones(2), nd.ones(2), nd.ones(2))
