"""``mx.contrib.amp`` against MXNet 1.9.1 (fixtures from tools/gen_amp_fixtures.py): the AMP
training idiom with dynamic loss scaling, ``convert_symbol``'s graphs, the casts ``amp.init()``
adds; and the float16 training on the CPU that MXNet cannot run."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.base import MXNetError
from minigluon.contrib import amp

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'amp')
TRAIN = json.load(open(os.path.join(FIX, 'train.json')))
ARRAYS = np.load(os.path.join(FIX, 'train.npz'))
INIT = json.load(open(os.path.join(FIX, 'init.json')))
CONVERT = json.load(open(os.path.join(FIX, 'convert.json')))


@pytest.fixture
def amp_on():
    """``amp.init`` for one test; the wrapped nd/sym functions are restored afterwards."""
    yield amp
    amp.amp._restore()


def _tiny_net(trainer_params):
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.weight.set_data(nd.array(ARRAYS['w0']))
    net.bias.set_data(nd.array(ARRAYS['b0']))
    return net, gluon.Trainer(net.collect_params(), 'sgd', trainer_params)


def test_training_idiom_matches_mxnet(amp_on):
    """Ten steps of the legacy AMP idiom: the loss scale in use, the trainer's scale, the scaled
    (and unscaled) gradients and the weights after each step, with two injected overflows (steps
    4 and 5 are skipped and halve the scale) and growth after 3 clean steps, as MXNet 1.9.1."""
    amp.init(target_precision_ops=[])       # as recorded: MXNet's CPU float16 Dense cannot train
    net, trainer = _tiny_net({'learning_rate': 0.05, 'momentum': 0.5})
    amp.init_trainer(trainer)
    trainer._amp_loss_scaler._scale_seq_len = 3
    loss_fn = gluon.loss.L2Loss()
    for rec in TRAIN['steps']:
        step = rec['step']
        x, y = nd.array(ARRAYS['x%d' % step]), nd.array(ARRAYS['y%d' % step])
        assert trainer._amp_loss_scaler.loss_scale == rec['loss_scale']
        with autograd.record():
            out = net(x)
            if step == 8:
                losses = [loss_fn(out[:2], y[:2]), loss_fn(out[2:], y[2:])]
                with amp.scale_loss(losses, trainer) as scaled:
                    assert isinstance(scaled, list) and len(scaled) == 2
                    autograd.backward(scaled)
            else:
                with amp.scale_loss(loss_fn(out, y), trainer) as scaled:
                    autograd.backward(scaled)
        assert trainer._scale == rec['trainer_scale']
        np.testing.assert_allclose(net.weight.grad().asnumpy(), ARRAYS['grad%d' % step],
                                   rtol=1e-5, equal_nan=True)
        if step == 7:
            amp.unscale(trainer)
            assert trainer._scale == rec['trainer_scale_after_unscale']
            np.testing.assert_allclose(net.weight.grad().asnumpy(), ARRAYS['unscaled7'],
                                       rtol=1e-6)
        trainer.step(4)
        assert trainer._amp_loss_scaler._next_loss_scale == rec['next_loss_scale']
        assert trainer._optimizer.rescale_grad == rec['rescale_grad']
        np.testing.assert_allclose(net.weight.data().asnumpy(), ARRAYS['w%d' % (step + 1)],
                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(net.bias.data().asnumpy(), ARRAYS['b%d' % (step + 1)],
                                   rtol=1e-6, atol=1e-7)
    # the overflowing steps changed nothing
    np.testing.assert_array_equal(ARRAYS['w5'], ARRAYS['w4'])
    np.testing.assert_array_equal(net.weight.data().asnumpy(), ARRAYS['w10'])


def test_second_trainer_gets_its_own_scaler(amp_on):
    amp.init()
    _, first = _tiny_net({'learning_rate': 0.1})
    _, second = _tiny_net({'learning_rate': 0.1})
    amp.init_trainer(first)
    amp.init_trainer(second)
    assert first._amp_loss_scaler is not second._amp_loss_scaler
    defaults = TRAIN['defaults']
    assert not defaults['second_trainer_shares_scaler']
    scaler = second._amp_loss_scaler
    assert (scaler.loss_scale, scaler._max_loss_scale, scaler._scale_seq_len) == (
        defaults['loss_scale'], defaults['max_loss_scale'], defaults['scale_seq_len'])


def test_init_casts_as_mxnet_or_as_its_gpu_rule(amp_on):
    """The output dtypes after a plain amp.init(): as MXNet 1.9.1 on the CPU, except that a
    float16 array reaching a float32 operator is cast (MXNet's CPU rule casts only float32
    arrays; its GPU rule, which minigluon follows everywhere, casts both)."""
    amp.init()
    x, h = nd.ones((2, 3)), nd.ones((2, 3), dtype='float16')
    got = {
        'FullyConnected(float32)': nd.FullyConnected(x, nd.ones((4, 3)), nd.ones((4,)),
                                                     num_hidden=4).dtype,
        'softmax(float16)': nd.softmax(h).dtype,
        'softmax(float32)': nd.softmax(x).dtype,
        'elemwise_add(float16, float32)': nd.elemwise_add(h, x).dtype,
        'broadcast_add(float16, float16)': nd.broadcast_add(h, h).dtype,
        'relu(float16)': nd.relu(h).dtype,
    }
    with mx.name.NameManager():        # MXNet's block and operator counters from 0
        net = gluon.nn.HybridSequential(prefix='hybridsequential0_')
        net.add(gluon.nn.Dense(4, in_units=3, prefix='dense0_'),
                gluon.nn.Activation('softrelu', prefix='softrelu0_'),
                gluon.nn.Dense(2, in_units=4, prefix='dense1_'))
        net.initialize()
        net.hybridize()
        got['hybridized Dense forward'] = net(x).dtype
        S = mx.sym
        graphs = {'hybridized': net._cached_graph[1],
                  'sym.FullyConnected': S.FullyConnected(S.var('data'), num_hidden=3, name='fc'),
                  'sym.elemwise_add': S.elemwise_add(S.var('a'), S.var('b'), name='add'),
                  'sym.softmax': S.softmax(S.var('a'), name='sm')}
    want = dict(INIT['dtypes'], **{'softmax(float16)': 'float32'})
    assert {k: np.dtype(v).name for k, v in got.items()} == want
    # the graphs of the patched sym functions: amp_cast on every input of a float16 or float32
    # operator (the parameter variables too), amp_multicast before a widest-type one
    assert set(graphs) == set(INIT['graphs'])
    for name, graph in graphs.items():
        assert json.loads(graph.tojson(remove_amp_cast=False)) == json.loads(INIT['graphs'][name])
    assert INIT['dtypes']['softmax(float16)'] == 'float16'       # MXNet's CPU rule
    sizes = {'lp16': amp.list_lp16_ops('float16'), 'fp32': amp.list_fp32_ops('float16'),
             'lp16_fp32': amp.list_lp16_fp32_ops('float16'),
             'conditional_fp32': amp.list_conditional_fp32_ops('float16'),
             'widest': amp.list_widest_type_cast('float16'),
             'loss_output': amp.list_loss_output_functions('float16')}
    assert {k: len(v) for k, v in sizes.items()} == INIT['list_sizes']


def test_float16_training_runs_on_cpu(amp_on):
    """What MXNet 1.9.1 cannot do on the CPU (its float16 FullyConnected has no CPU backward):
    amp.init(), a hybridized MLP whose Dense layers run in float16 with float32 parameters,
    dynamic loss scaling; the loss goes down, the graph holds amp_cast nodes, and the exported
    JSON drops them (remove_amp_cast=True, as MXNet)."""
    amp.init()
    mx.random.seed(0)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation='relu', in_units=4), gluon.nn.Dense(1, in_units=8))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.05})
    amp.init_trainer(trainer)
    rs = np.random.RandomState(0)
    x = nd.array(rs.standard_normal((16, 4)))
    y = nd.array(x.asnumpy() @ np.array([[1.0], [-2.0], [0.5], [0.0]]))
    losses = []
    for _ in range(30):
        with autograd.record():
            out = net(x)
            loss = gluon.loss.L2Loss()(out.astype('float32'), y)
            with amp.scale_loss(loss, trainer) as scaled:
                autograd.backward(scaled)
        trainer.step(16)
        losses.append(float(loss.mean().asnumpy()[0]))
    assert out.dtype == np.float16
    assert net[0].weight.data().dtype == np.float32
    assert np.isfinite(losses).all() and losses[-1] < 0.5 * losses[0]
    sym = net._cached_graph[1]
    ops = [n['op'] for n in json.loads(sym.tojson(remove_amp_cast=False))['nodes']]
    assert ops.count('amp_cast') >= 6           # data, weights and biases of both layers
    assert 'amp_cast' not in sym.tojson()


@pytest.mark.parametrize('name', sorted(CONVERT))
def test_convert_symbol_matches_mxnet(name):
    case = CONVERT[name]
    source = mx.sym.load_json(case['source'])
    converted = amp.convert_symbol(source, **case['kwargs'])
    mine = json.loads(converted.tojson(remove_amp_cast=False))
    want = json.loads(case['converted'])
    for key in ('nodes', 'arg_nodes', 'heads'):
        assert mine[key] == want[key], key
    assert json.loads(converted.tojson()) == json.loads(case['removed'])
    assert converted.list_arguments() == case['arguments']
    assert converted.list_outputs() == case['outputs']
    assert json.loads(source.tojson()) == json.loads(case['source'])     # source left alone


def test_converted_symbol_runs_in_float16():
    """The converted MLP evaluates (eval with float32 data and parameters) close to the float32
    graph: float16 products, float32 softmax."""
    case = CONVERT['mlp']
    source = mx.sym.load_json(case['source'])
    converted = amp.convert_symbol(source)
    rs = np.random.RandomState(1)
    args = {'data': nd.array(rs.standard_normal((2, 3)))}
    for name, shape in (('fc1_weight', (4, 3)), ('fc1_bias', (4,)), ('fc2_weight', (4, 4)),
                        ('fc2_bias', (4,))):
        args[name] = nd.array(rs.standard_normal(shape) * 0.5)
    want = source.eval(**args)[0].asnumpy()
    got = converted.eval(**args)[0]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), want, rtol=0, atol=5e-3)


def test_convert_hybrid_block_and_model():
    mx.random.seed(2)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(5, activation='relu', in_units=3), gluon.nn.Dense(2, in_units=5))
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.RandomState(2).standard_normal((4, 3)))
    want = net(x).asnumpy()
    for optional in (False, True):
        converted = amp.convert_hybrid_block(net, cast_optional_params=optional)
        got = converted(x)
        np.testing.assert_allclose(got.asnumpy().astype(np.float32), want, atol=1e-2)
        dtypes = {np.dtype(p.data().dtype) for p in converted.collect_params().values()}
        assert dtypes == ({np.dtype(np.float16)} if optional else {np.dtype(np.float32)})
    sym = net._cached_graph[1]
    params = {p.name: p.data() for p in net.collect_params().values()}
    new_sym, arg_params, aux_params = amp.convert_model(sym, params, {},
                                                        cast_optional_params=True)
    assert aux_params == {}
    assert {np.dtype(v.dtype) for v in arg_params.values()} == {np.dtype(np.float16)}
    with pytest.raises(ValueError, match='not inputs'):
        amp.convert_model(sym, {'nope': nd.ones((1,))}, {})


def test_bad_uses_raise_clearly(amp_on):
    net, trainer = _tiny_net({'learning_rate': 0.1})
    with pytest.raises(MXNetError, match='amp.init'):
        amp.init_trainer(trainer)
    with pytest.raises(MXNetError, match='init_trainer'):
        with amp.scale_loss(nd.ones((1,)), trainer):
            pass
    with pytest.raises(ValueError, match='bfloat16'):
        amp.init(target_dtype='bfloat16')
    amp.init()
    with pytest.raises(TypeError, match='Trainer'):
        amp.init_trainer(mx.optimizer.SGD())
    with pytest.raises(ValueError, match='two lists'):
        amp.convert_symbol(mx.sym.var('x'), target_dtype_ops=['softmax'], fp32_ops=['softmax'])
    with pytest.raises(ValueError, match='not in'):
        amp.convert_symbol(mx.sym.var('x'), fp32_ops=['no_such_op'])
    with pytest.raises(TypeError, match='Symbol'):
        amp.convert_symbol(nd.ones((1,)))


def test_mx_contrib_amp_is_the_module():
    from minigluon.contrib import amp as again
    assert mx.contrib.amp is again
    assert again.lists.symbol_fp16.FP16_FUNCS == ['Convolution', 'Deconvolution',
                                                  'FullyConnected', 'RNN']


def test_loss_output_layers_follow_the_loss_scale(amp_on):
    """After amp.init(), nd.SoftmaxOutput's gradient is multiplied by the loss scale (MXNet
    wraps its grad_scale), on top of a grad_scale the caller gives."""
    x, label = nd.array([[1.0, 2.0, 0.5]]), nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        out = nd.SoftmaxOutput(x, label, grad_scale=0.5)
    out.backward()
    plain = x.grad.asnumpy().copy()
    amp.init()
    with autograd.record():
        out = nd.SoftmaxOutput(x, label, grad_scale=0.5)
    out.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), plain * 2.0 ** 16, rtol=1e-6)
