"""``mx.init.FusedRNN``, ``mx.init.Load`` and ``mx.contrib.autograd`` against MXNet 1.9.1.

Golden values: tools/gen_surface6_fixtures.py (tests/fixtures/surface6): the pieces FusedRNN
hands to its initializer and the vectors it writes, what Load reads from a checkpoint-style file,
the flags and gradients of the legacy autograd API.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import init, nd
from minigluon.contrib import autograd as cag
from minigluon.ops._rnn_kernels import split_params

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'surface6')
with open(os.path.join(FIX, 'surface6.json')) as _f:
    INFO = json.load(_f)
ARR = dict(np.load(os.path.join(FIX, 'arrays.npz')))


@init.register
class Counting(init.Initializer):
    """The fixture's initializer: ``1000 * call + position`` into each array, recording calls."""
    calls = []

    def _fill(self, name, arr):
        Counting.calls.append([str(name), list(arr.shape)])
        arr[:] = (1000 * len(Counting.calls) + np.arange(arr.size)).reshape(arr.shape)

    _init_weight = _fill
    _init_bias = _fill


def _fused(case, inner):
    return init.FusedRNN(inner, case['hidden'], case['layers'], case['mode'], case['bidirectional'],
                         case['forget_bias'])


def _run_fused(case, inner):
    fused = _fused(case, inner)
    arr = nd.zeros((case['size'],))
    fused(init.InitDesc('rnn_parameters', {'__init__': fused}), arr)
    return arr.asnumpy()


@pytest.mark.parametrize('case', INFO['fused'], ids=[c['name'] for c in INFO['fused']])
def test_fused_rnn_matches_mxnet(case):
    Counting.calls = []
    np.testing.assert_array_equal(_run_fused(case, Counting()), ARR['fused/%s/explicit' % case['name']])
    assert Counting.calls == case['calls']
    np.testing.assert_array_equal(_run_fused(case, init.One()), ARR['fused/%s/one' % case['name']])
    assert json.loads(_fused(case, init.One()).dumps()) == json.loads(case['dumps'])


@pytest.mark.parametrize('case', INFO['fused'][:3], ids=[c['name'] for c in INFO['fused'][:3]])
def test_fused_rnn_without_init_uses_gluon_default_init(case):
    Counting.calls = []
    p = mx.gluon.Parameter('rnn_parameters', shape=(case['size'],), init=_fused(case, None))
    p.initialize(default_init=Counting())
    np.testing.assert_array_equal(p.data().asnumpy(), ARR['fused/%s/global' % case['name']])
    assert Counting.calls == case['global_calls']


def test_fused_rnn_pieces_are_the_rnn_operators_layout():
    # the piece named l1_i2h_z_weight is the z rows of layer 1's input weight as the fused RNN
    # operator's own splitter cuts the vector; biases follow the weights
    case = next(c for c in INFO['fused'] if c['name'] == 'gru_2')
    Counting.calls = []
    flat = _run_fused(case, Counting())
    (wx0, wh0, bx0, bh0, _), (wx1, wh1, bx1, bh1, _) = split_params(
        flat, 'gru', 2, 1, case['input'], case['hidden'])
    order = [name for name, _ in Counting.calls]
    h = case['hidden']

    def filled(name, size):     # the values Counting wrote into that piece
        return 1000 * (order.index(name) + 1) + np.arange(size)

    np.testing.assert_array_equal(wx1[h:2 * h].ravel(), filled('l1_i2h_z_weight', h * h))
    np.testing.assert_array_equal(wh0[2 * h:].ravel(), filled('l0_h2h_o_weight', h * h))
    np.testing.assert_array_equal(bx0[:h], filled('l0_i2h_r_bias', h))
    np.testing.assert_array_equal(bh1[h:2 * h], filled('l1_h2h_z_bias', h))


def test_fused_rnn_gives_each_piece_its_own_xavier_scale():
    # Xavier on a (3, 4) gate block: bound sqrt(3 / ((4 + 3) / 2)); on the whole (12, 4) block it
    # would be sqrt(3 / 8), smaller, so values above that bound show the per-piece fan
    mx.random.seed(1)
    fused = init.FusedRNN(init.Xavier(), 3, 1, 'lstm', forget_bias=0.5)
    size = 4 * 3 * (4 + 3 + 2)
    arr = nd.zeros((size,))
    fused(init.InitDesc('p', {'__init__': fused}), arr)
    wx = arr.asnumpy()[:48]
    assert np.abs(wx).max() <= np.sqrt(3 / 3.5) + 1e-6
    assert np.abs(wx).max() > np.sqrt(3 / 8.0)
    biases = arr.asnumpy()[-24:].reshape(2, 4, 3)          # i2h then h2h, gates i f c o
    np.testing.assert_array_equal(biases[:, 1], 0.5)
    np.testing.assert_array_equal(biases[:, [0, 2, 3]], 0)


def test_fused_rnn_json_forms_work_where_mxnet_fails():
    # MXNet 1.9.1: KeyError for a JSON init and for create(dumps()) (its registry lookup is wrong)
    assert INFO['fused_errors']['json_init'] == 'KeyError'
    assert INFO['fused_errors']['create_dumps'] == 'KeyError'
    case = INFO['fused'][1]
    from_json = init.FusedRNN('["one", {}]', case['hidden'], case['layers'], case['mode'],
                              case['bidirectional'], case['forget_bias'])
    rebuilt = init.create(from_json.dumps())
    assert isinstance(rebuilt, init.FusedRNN)
    arr = nd.zeros((case['size'],))
    rebuilt(init.InitDesc('p', {'__init__': rebuilt.dumps()}), arr)
    np.testing.assert_array_equal(arr.asnumpy(), ARR['fused/%s/one' % case['name']])


def test_fused_rnn_errors():
    fused = init.FusedRNN(init.One(), 3, 1, 'lstm')
    assert INFO['fused_errors']['wrong_size'] == 'AssertionError'
    with pytest.raises(AssertionError, match='does not fit'):
        fused(init.InitDesc('p', {'__init__': fused}), nd.zeros((4 * 3 * 9 + 1,)))
    with pytest.raises(ValueError, match='1-D'):
        fused(init.InitDesc('p', {'__init__': fused}), nd.zeros((2, 54)))
    with pytest.raises(ValueError, match='mode'):
        init.FusedRNN(init.One(), 3, 1, 'lstmp')
    with pytest.raises(TypeError, match='init must be'):
        init.FusedRNN(3.0, 3, 1, 'lstm')
    bare = init.FusedRNN(None, 3, 1, 'gru')
    with pytest.raises(ValueError, match='global'):
        bare(init.InitDesc('p', {'__init__': bare}), nd.zeros((3 * 3 * 9,)))


def test_load_matches_mxnet():
    loader = init.Load(os.path.join(FIX, 'load.params'), default_init=init.Constant(7.0))
    assert sorted(loader.param) == INFO['load']['keys']
    for name, shape in (('fc_weight', (3, 2)), ('bn_moving_var', (3,)), ('plain_bias', (2,)),
                        ('other_weight', (2, 2))):
        arr = nd.zeros(shape)
        loader(name, arr)
        np.testing.assert_array_equal(arr.asnumpy(), ARR['load/' + name])


def test_load_errors_are_mxnets_assertions():
    bare = init.Load(os.path.join(FIX, 'load.params'))
    for key, call, match in [
            ('missing_no_default', lambda: bare('other_weight', nd.zeros((2, 2))), 'no default_init'),
            ('shape_mismatch', lambda: bare('fc_weight', nd.zeros((2, 3))), 'shape mismatch'),
            ('not_a_dict', lambda: init.Load([nd.zeros(2)]), 'dict')]:
        assert INFO['load'][key] == 'AssertionError'
        with pytest.raises(AssertionError, match=match):
            call()


def test_load_verbose_names_the_source(capsys):
    loader = init.Load({'arg:w': nd.ones((2,))}, default_init=init.Zero(), verbose=True)
    loader('w', nd.zeros((2,)))
    loader('v', nd.zeros((2,)))
    out = capsys.readouterr().out
    assert 'Initialized w by loading' in out and 'Initialized v by default' in out


def _flags_run():
    flags = []

    def snap(tag, ret=None):
        flags.append([tag, mx.autograd.is_recording(), mx.autograd.is_training(), ret])

    snap('start')
    snap('set_true', cag.set_is_training(True))
    snap('set_true_again', cag.set_is_training(True))
    snap('set_false', cag.set_is_training(False))
    with cag.train_section():
        snap('train_section')
        with cag.test_section():
            snap('test_in_train')
        snap('after_test')
    snap('after_train')
    with mx.autograd.train_mode():
        with cag.test_section():
            snap('test_in_train_mode')
        snap('after_test_in_train_mode')
    snap('end')
    return flags


def test_contrib_autograd_flags_match_mxnet():
    assert mx.contrib.autograd is cag
    assert _flags_run() == INFO['contrib_autograd_flags']


def test_contrib_autograd_grad_and_loss_matches_mxnet():
    x, y = nd.array(ARR['cag/x']), nd.array(ARR['cag/y'])

    def f(a, b):
        return a * b + nd.exp(a) * b * b

    grads, loss = cag.grad_and_loss(f)(x, y)
    np.testing.assert_allclose(grads[0].asnumpy(), ARR['cag/all/dx'], rtol=1e-6)
    np.testing.assert_allclose(grads[1].asnumpy(), ARR['cag/all/dy'], rtol=1e-6)
    np.testing.assert_allclose(loss.asnumpy(), ARR['cag/all/loss'], rtol=1e-6)
    grads, _ = cag.grad_and_loss(f, argnum=1)(x, y)
    assert len(grads) == 1
    np.testing.assert_allclose(grads[0].asnumpy(), ARR['cag/arg1/dy'], rtol=1e-6)
    grads = cag.grad(lambda a, b: [a * b, nd.sin(a)], argnum=[0])(x, y)
    np.testing.assert_allclose(grads[0].asnumpy(), ARR['cag/two_outputs/dx'], rtol=1e-6)
    # and against the derivative by hand: d/da (a b + e^a b^2) = b + e^a b^2
    np.testing.assert_allclose(ARR['cag/all/dx'], ARR['cag/y'] + np.exp(ARR['cag/x']) * ARR['cag/y'] ** 2,
                               rtol=1e-5)


def test_contrib_autograd_mark_variables_backward_and_compute_gradient():
    x, y = nd.array(ARR['cag/x']), nd.array(ARR['cag/y'])
    gx = nd.ones(x.shape)
    cag.mark_variables([x], [gx], grad_reqs='add')
    head = nd.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    for _ in range(2):
        with cag.train_section():
            z = x * x * 3
        cag.backward([z], [head])
    np.testing.assert_allclose(gx.asnumpy(), ARR['cag/add/dx'], rtol=1e-6)
    gx2 = nd.zeros(x.shape)
    cag.mark_variables([x], [gx2])
    with cag.train_section():
        z = nd.sum(x * y)
    cag.compute_gradient([z])
    np.testing.assert_allclose(gx2.asnumpy(), ARR['cag/compute_gradient/dx'], rtol=1e-6)


def test_contrib_autograd_errors_are_mxnets_assertions():
    x = nd.ones((2,))
    x.attach_grad()
    with cag.train_section():
        z = x * 2
    assert set(INFO['contrib_autograd_errors'].values()) == {'AssertionError'}
    with pytest.raises(AssertionError, match='list or tuple'):
        cag.backward(z)
    with pytest.raises(AssertionError, match='same length'):
        cag.backward([z], [z, z])
    with pytest.raises(AssertionError, match='NDArrays'):
        cag.grad_and_loss(lambda a, b: a * b)(np.ones(2), x)


def test_contrib_grad_and_loss_names_an_output_that_is_not_an_ndarray():
    # every output is back-propagated, so a plain number among them is refused by name
    with pytest.raises(TypeError, match=r'heads\[1\] must be an NDArray, got int'):
        cag.grad_and_loss(lambda a: (a * 2, 3))(nd.array([1., 2.]))


def test_load_through_initialize_loads_parameters_that_have_their_own_init():
    # Dense's bias and BatchNorm's running statistics carry their own init ('zeros', 'ones'):
    # Gluon's initialize skipped Load for them, so a fine-tuning start kept zero biases and the
    # loaded running mean was lost without a word. Absent ones keep their own init (gamma 1,
    # not default_init's 0), as for any global initializer.
    from minigluon.gluon import nn
    net = nn.HybridSequential(prefix='')
    net.add(nn.Dense(2, in_units=3, prefix='fc_'), nn.BatchNorm(in_channels=2, prefix='bn_'))
    saved = {'arg:fc_weight': nd.ones((2, 3)), 'arg:fc_bias': nd.array([5., 6.]),
             'aux:bn_running_mean': nd.array([3., 4.])}
    net.initialize(init.Load(saved, default_init=init.Zero()))
    got = {k: p.data().asnumpy().tolist() for k, p in net.collect_params().items()}
    assert got == {'fc_weight': [[1.0] * 3] * 2, 'fc_bias': [5.0, 6.0], 'bn_gamma': [1.0, 1.0],
                   'bn_beta': [0.0, 0.0], 'bn_running_mean': [3.0, 4.0], 'bn_running_var': [1.0, 1.0]}
    # deferred shapes too (in_units inferred at the first call)
    late = nn.Dense(2, prefix='fc_')
    late.initialize(init.Load(saved))
    late(nd.ones((1, 3)))
    assert late.bias.data().asnumpy().tolist() == [5.0, 6.0]
    # without a default_init, a Parameter absent from the arrays that has its own init gets it
    # (Dense's bias); one without (the weight) is the error it always was
    bare = nn.Dense(2, in_units=3, prefix='other_')
    bare.bias.initialize(init=None, default_init=init.Load({}))
    assert bare.bias.data().asnumpy().tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match='cannot initialize other_weight'):
        bare.weight.initialize(init=None, default_init=init.Load({}))
