"""Custom Python operators (``mx.operator``, ``nd.Custom``, ``sym.Custom``) against MXNet 1.9.1.

The operators are defined once in tests/_custom_ops.py; tools/gen_custom_op_fixtures.py ran the
same code on MXNet 1.9.1 for tests/fixtures/custom_op/.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, current_context, nd
from minigluon.base import MXNetError

import _custom_ops

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'custom_op')
_custom_ops.define(mx)


@pytest.fixture(scope='module')
def eager():
    return np.load(os.path.join(FIX, 'eager.npz'), allow_pickle=False)


@pytest.fixture(scope='module')
def netdata():
    return np.load(os.path.join(FIX, 'net.npz'), allow_pickle=False)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a.asnumpy() if hasattr(a, 'asnumpy') else a, b, rtol=tol, atol=tol)


# -- eager calls ------------------------------------------------------------------------------------

def test_two_outputs_and_gradients_match_mxnet(eager):
    x, y = nd.array(eager['scale_x']), nd.array(eager['scale_y'])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        a, b = nd.Custom(x, y, op_type='t_scale_add', scale=2.5)
        loss = (a * nd.array(eager['scale_w1']) + b * nd.array(eager['scale_w2'])).sum()
    loss.backward()
    close(a, eager['scale_out'])
    close(b, eager['scale_plus'])
    close(x.grad, eager['scale_dx'])
    close(y.grad, eager['scale_dy'])


def test_inputs_by_name_give_the_same_result(eager):
    # MXNet 1.9.1's nd.Custom crashes the process with keyword inputs; here they bind by name.
    x, y = nd.array(eager['scale_x']), nd.array(eager['scale_y'])
    a, b = nd.Custom(other=y, data=x, op_type='t_scale_add', scale=2.5)
    close(a, eager['scale_out'])
    close(b, eager['scale_plus'])


def test_gradient_matches_numerical_differentiation():
    rng = np.random.RandomState(0)
    x0 = rng.uniform(-1, 1, (2, 3))
    y0 = rng.uniform(-1, 1, (2, 3))
    w1, w2 = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))

    def loss(xv, yv):
        a, b = nd.Custom(nd.array(xv, dtype='float64'), nd.array(yv, dtype='float64'),
                         op_type='t_scale_add', scale=1.5)
        return float((a.asnumpy() * w1 + b.asnumpy() * w2).sum())

    x, y = nd.array(x0, dtype='float64'), nd.array(y0, dtype='float64')
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        a, b = nd.Custom(x, y, op_type='t_scale_add', scale=1.5)
        total = (a * nd.array(w1, dtype='float64') + b * nd.array(w2, dtype='float64')).sum()
    total.backward()
    eps = 1e-6
    for var, base, analytic in ((0, x0, x.grad.asnumpy()), (1, y0, y.grad.asnumpy())):
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            plus, minus = base.copy(), base.copy()
            plus[idx] += eps
            minus[idx] -= eps
            args_p = (plus, y0) if var == 0 else (x0, plus)
            args_m = (minus, y0) if var == 0 else (x0, minus)
            numeric[idx] = (loss(*args_p) - loss(*args_m)) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert a.dtype == np.float64


def test_loss_layer_without_top_grad_matches_mxnet(eager):
    data = nd.array(eager['ce_data'])
    data.attach_grad()
    with autograd.record():
        prob = nd.Custom(data, nd.array(eager['ce_label']), op_type='t_softmax_ce')
    prob.backward()
    close(prob, eager['ce_prob'])
    close(data.grad, eager['ce_grad'])


def test_auxiliary_state_updates_in_training_only(eager):
    running = nd.array(eager['centre_running0'])
    with autograd.train_mode():
        out = nd.Custom(nd.array(eager['centre_x']), running, op_type='t_centre')
    close(out, eager['centre_out_train'])
    close(running, eager['centre_running1'])
    out = nd.Custom(nd.array(eager['centre_x']), running, op_type='t_centre')
    close(out, eager['centre_out_predict'])
    close(running, eager['centre_running2'])


def test_backward_gets_write_or_null_per_input():
    seen = {}

    class Op(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            seen['is_train'] = is_train
            self.assign(out_data[0], req[0], in_data[0] * in_data[1])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            seen['req'] = list(req)
            self.assign(in_grad[0], req[0], out_grad[0] * in_data[1])
            self.assign(in_grad[1], req[1], out_grad[0] * in_data[0])

    @mx.operator.register('t_mul_req')
    class Prop(mx.operator.CustomOpProp):
        def list_arguments(self):
            return ['a', 'b']

        def create_operator(self, ctx, shapes, dtypes):
            return Op()

    a, b = nd.array([1., 2.]), nd.array([3., 4.])
    a.attach_grad()
    with autograd.record():
        out = nd.Custom(a, b, op_type='t_mul_req')
    assert seen['is_train'] is True
    out.backward()
    assert seen['req'] == ['write', 'null']
    close(a.grad, [3., 4.])
    nd.Custom(a, b, op_type='t_mul_req')
    assert seen['is_train'] is False


# -- graphs: hybridize, export, import -----------------------------------------------------------------

def _net_with_fixture_params(d):
    net = _custom_ops.net_class(mx)(prefix='net_')
    net.initialize()
    net(nd.array(d['x']), nd.array(d['label']))
    for name, p in net.collect_params().items():
        p.set_data(nd.array(d['param:' + name]))
    return net


@pytest.mark.parametrize('hybridize', [False, True])
def test_network_step_matches_mxnet(netdata, hybridize):
    net = _net_with_fixture_params(netdata)
    if hybridize:
        net.hybridize()
    with autograd.record():
        prob = net(nd.array(netdata['x']), nd.array(netdata['label']))
    prob.backward()
    close(prob, netdata['prob_train'])
    for name, p in net.collect_params().items():
        if p.grad_req != 'null':
            close(p.grad(), netdata['grad:' + name])
    close(net.running.data(), netdata['running_after'])


def test_export_writes_what_mxnet_writes(netdata, tmp_path):
    net = _net_with_fixture_params(netdata)
    net.hybridize()
    with autograd.record():
        net(nd.array(netdata['x']), nd.array(netdata['label']))
    net.export(str(tmp_path / 'net'))
    ours = json.loads((tmp_path / 'net-symbol.json').read_text())
    theirs = json.loads(open(os.path.join(FIX, 'net-symbol.json')).read())
    assert ours == theirs
    ours_params = nd.load(str(tmp_path / 'net-0000.params'))
    theirs_params = nd.load(os.path.join(FIX, 'net-0000.params'))
    assert sorted(ours_params) == sorted(theirs_params)
    for key in theirs_params:
        close(ours_params[key], theirs_params[key].asnumpy())


def test_mxnet_export_imports_and_predicts(netdata):
    block = mx.gluon.SymbolBlock.imports(os.path.join(FIX, 'net-symbol.json'), ['data0', 'data1'],
                                         os.path.join(FIX, 'net-0000.params'), ctx=current_context())
    close(block(nd.array(netdata['x']), nd.array(netdata['label'])), netdata['prob_imported'])


def test_symbol_names_missing_inputs_and_shapes():
    x = mx.sym.var('x')
    s = mx.sym.Custom(x, op_type='t_centre', name='c')
    assert s.list_arguments() == ['x']
    assert s.list_auxiliary_states() == ['c_running']
    assert s.list_outputs() == ['c_output']
    args, outs, auxs = s.infer_shape(x=(4, 3))
    assert (args, outs, auxs) == ([(4, 3)], [(4, 3)], [(3,)])
    two = mx.sym.Custom(data=x, other=mx.sym.var('y'), op_type='t_scale_add', name='two')
    assert two.list_arguments() == ['x', 'y']
    assert two.list_outputs() == ['two_output', 'two_plus']
    with mx.name.Prefix('p_'):
        auto = mx.sym.Custom(x, op_type='t_centre')
    assert auto.list_auxiliary_states() == [auto.name + '_running'] and auto.name.startswith('p_custom')
    assert two.infer_shape_partial(x=(2, 3))[1] == [(2, 3), (2, 3)]
    node = json.loads(two.tojson())['nodes'][-1]
    assert node['op'] == 'Custom' and node['attrs'] == {'op_type': 't_scale_add'}


# -- errors -----------------------------------------------------------------------------------------

def test_unknown_op_type_names_it_and_the_registered_ones():
    with pytest.raises(MXNetError, match=r"op_type='t_nope'.*t_scale_add"):
        nd.Custom(nd.ones((2,)), op_type='t_nope')
    with pytest.raises(MXNetError, match='t_nope'):
        mx.sym.Custom(mx.sym.var('x'), op_type='t_nope')


def test_missing_op_type_and_refused_attribute():
    with pytest.raises(TypeError, match='op_type is required'):
        nd.Custom(nd.ones((2,)))
    with pytest.raises(TypeError, match=r"t_scale_add.*factor"):
        nd.Custom(nd.ones((2,)), nd.ones((2,)), op_type='t_scale_add', factor=2)


def test_wrong_number_of_inputs():
    with pytest.raises(TypeError, match="'other' is missing"):
        nd.Custom(nd.ones((2,)), op_type='t_scale_add')


def test_bad_rule_results_are_reported():
    class Prop(mx.operator.CustomOpProp):
        def infer_shape(self, in_shape):
            return in_shape, []            # one output declared, none given

        def create_operator(self, ctx, shapes, dtypes):
            raise AssertionError('not reached')

    mx.operator.register('t_bad_shape')(Prop)
    with pytest.raises(MXNetError, match=r"t_bad_shape.*infer_shape must return three lists"):
        nd.Custom(nd.ones((2,)), op_type='t_bad_shape')


def test_assign_refuses_an_unknown_req():
    op = mx.operator.CustomOp()
    dst = nd.ones((3,))
    op.assign(dst, 'add', nd.ones((3,)))
    close(dst, [2, 2, 2])
    op.assign(dst, 'null', nd.zeros((3,)))
    close(dst, [2, 2, 2])
    with pytest.raises(ValueError, match="req must be one of"):
        op.assign(dst, 'bogus', nd.zeros((3,)))


def test_register_checks_its_arguments():
    with pytest.raises(TypeError, match='reg_name'):
        mx.operator.register('')
    with pytest.raises(TypeError, match='CustomOpProp'):
        mx.operator.register('t_not_a_prop')(object)


def test_loading_a_graph_with_an_unregistered_op_type(tmp_path):
    text = open(os.path.join(FIX, 'net-symbol.json')).read().replace('t_centre', 't_unregistered')
    with pytest.raises(MXNetError, match="t_unregistered.*mx.operator.register"):
        mx.sym.load_json(text)


@pytest.mark.gpu
def test_custom_op_on_gpu_matches_cpu(eager):
    from minigluon import backend
    if not backend.cupy_available():
        pytest.skip('needs CuPy and a CUDA device')
    results = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        x = nd.array(eager['scale_x'], ctx=ctx)
        y = nd.array(eager['scale_y'], ctx=ctx)
        x.attach_grad()
        with autograd.record():
            a, b = nd.Custom(x, y, op_type='t_scale_add', scale=2.5)
            loss = (a * nd.array(eager['scale_w1'], ctx=ctx)
                    + b * nd.array(eager['scale_w2'], ctx=ctx)).sum()
        loss.backward()
        assert a.context == ctx and x.grad.context == ctx
        results.append((a.asnumpy(), b.asnumpy(), x.grad.asnumpy()))
    for cpu_value, gpu_value in zip(*results):
        np.testing.assert_allclose(gpu_value, cpu_value, rtol=1e-6, atol=1e-6)


def test_an_eager_call_builds_its_description_once():
    built = []

    class Op(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] + 1)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0])

    @mx.operator.register('t_counted')
    class Prop(mx.operator.CustomOpProp):
        def __init__(self, **attrs):
            built.append(attrs)
            super().__init__()

        def create_operator(self, ctx, shapes, dtypes):
            return Op()

    for _ in range(3):
        close(nd.Custom(nd.zeros((2,)), op_type='t_counted', k=1), [1, 1])
    assert len(built) == 4 and all(b == {'k': '1'} for b in built)   # one probe, then one a call
