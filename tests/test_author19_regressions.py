"""Mistakes a newcomer to Gluon makes, found by writing five models from scratch (a Transformer
classifier, a ResNet, a VAE, a GRU seq2seq with attention, a GAN): each now fails (or warns) at
the call that has the mistake, with a message naming the argument and the fix.

Where MXNet 1.9.1 defines the behaviour it failed too, later or with an unrelated message (noted
per test); a warning is minigluon's addition where MXNet is silent.
"""
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.base import TypeAssertionError
from minigluon.gluon import nn, rnn


class _Wrapper(gluon.HybridBlock):
    """A block with no Parameters of its own: all of them belong to its child ``body``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.Dense(2, in_units=3)

    def hybrid_forward(self, F, x):
        return self.body(x)


def test_trainer_without_parameters_names_collect_params():
    # MXNet 1.9.1 fails here too, with "TypeError: 'NoneType' object is not iterable"; minigluon
    # used to build a Trainer whose step() silently updated nothing.
    net = _Wrapper()
    net.initialize()
    assert not list(net.params.keys()) and len(list(net.collect_params().keys())) == 2
    for empty in (net.params, net.collect_params('.*encoder.*'), []):
        with pytest.raises(ValueError, match=r'holds no Parameters.*net\.collect_params\(\)'):
            gluon.Trainer(empty, 'sgd', {'learning_rate': 0.1})
    gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})      # the fix works


def test_clip_global_norm_refuses_parameters_and_changes_nothing():
    # MXNet 1.9.1: "AttributeError: 'Parameter' object has no attribute 'context'".
    net = nn.Dense(2, in_units=3)
    net.initialize()
    with autograd.record():
        loss = (net(nd.ones((4, 3))) * 10).sum()
    loss.backward()
    params = list(net.collect_params().values())
    before = [p.grad().asnumpy().copy() for p in params]
    with pytest.raises(TypeError, match=r'p\.grad\(\).*got Parameter'):
        gluon.utils.clip_global_norm(params, 1.0)
    with pytest.raises(TypeError, match='got Parameter'):      # a Parameter after an NDArray
        gluon.utils.clip_global_norm([params[0].grad(), params[1]], 1.0)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.grad().asnumpy(), b)
    # the documented form clips: the joint norm becomes max_norm
    grads = [p.grad() for p in params]
    norm = gluon.utils.clip_global_norm(grads, 1.0)
    expected = np.sqrt(sum((b.astype(np.float64) ** 2).sum() for b in before))
    assert abs(float(norm) - expected) < 1e-4 * expected
    after = np.sqrt(sum((g.asnumpy().astype(np.float64) ** 2).sum() for g in grads))
    assert abs(after - 1.0) < 1e-5


@pytest.mark.parametrize('how', ['block', 'layer_argument', 'parameter'])
def test_initializer_class_instead_of_instance_fails_at_initialize(how):
    # MXNet 1.9.1 asserts "initializer must be of string type" (Block.initialize) or fails at the
    # first forward (a layer's weight_initializer); minigluon used to call Xavier(desc, array) at
    # the first forward: "Xavier: rnd_type must be 'uniform' or 'gaussian', got 'dense0_weight'".
    if how == 'block':
        net = nn.Dense(2)
        call = lambda: net.initialize(mx.init.Xavier)          # noqa: E731
    elif how == 'layer_argument':
        net = nn.Dense(2, weight_initializer=mx.init.Xavier)
        call = net.initialize
    else:
        net = nn.Dense(2, in_units=3)
        call = lambda: net.weight.initialize(init=mx.init.Xavier)   # noqa: E731
    with pytest.raises(TypeAssertionError, match=r"class Xavier; write mx\.init\.Xavier\(\).*'xavier'"):
        call()
    assert net.weight._data is None and not net.weight._deferred_init   # nothing half-done
    try:
        call()
    except AssertionError:           # MXNet's class, for code written against it
        pass
    if how == 'layer_argument':                                          # the fix works
        net = nn.Dense(2, weight_initializer=mx.init.Xavier())
    net.initialize(mx.init.Xavier(), force_reinit=True)
    assert net(nd.ones((1, 3))).shape == (1, 2)


def _hybridized_pair():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(2))
    net.initialize()
    net.hybridize()
    return net


def test_hook_on_a_block_inside_a_hybridized_one_warns():
    # MXNet 1.9.1 warns only when a block that has hooks is hybridized; a hook added after
    # hybridize() stays silent there (the cached graph never calls the child).
    net = _hybridized_pair()
    x = nd.ones((1, 2))
    net(x)
    seen = []
    with pytest.warns(UserWarning, match=r'"%s" is inside the hybridized block "%s"'
                      % (net[0].name, net.name)):
        net[0].register_forward_hook(lambda blk, inputs, out: seen.append(blk.name))
    with pytest.warns(UserWarning, match='inside the hybridized block'):
        net[1].register_forward_pre_hook(lambda blk, inputs: seen.append(blk.name))
    net(x)
    assert seen == []           # what the warning says: cached calls skip the children's hooks
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        net.register_forward_hook(lambda blk, inputs, out: seen.append(blk.name))   # top block
        unhybridized = nn.HybridSequential()
        unhybridized.add(nn.Dense(3))
        unhybridized[0].register_forward_hook(lambda blk, inputs, out: None)
    net(x)
    assert seen == [net.name]
    net.hybridize(active=False)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        net[0].register_forward_hook(lambda blk, inputs, out: seen.append(blk.name))
    net(x)
    assert net[0].name in seen


class _StateInside(gluon.HybridBlock):
    """A recurrent step whose begin state is made inside hybrid_forward."""

    def __init__(self, func_from_F, **kwargs):
        super().__init__(**kwargs)
        self.func_from_F = func_from_F
        with self.name_scope():
            self.cell = rnn.GRUCell(4, input_size=3)

    def hybrid_forward(self, F, x):
        if self.func_from_F:
            state = self.cell.begin_state(batch_size=0, func=F.zeros)
        else:
            state = self.cell.begin_state(batch_size=0)     # NDArrays, also when tracing
        out, _ = self.cell(x, state)
        return out


def test_ndarray_state_inside_a_traced_graph_says_how_to_make_it():
    # MXNet 1.9.1 fails too ("Operator _zeros inferring shapes failed", shape (0, 4)).
    x = nd.ones((2, 3))
    bad = _StateInside(False)
    bad.initialize()
    bad.hybridize()
    with pytest.raises(ValueError, match=r'got Symbol, list of NDArray\).*begin_state\(batch_size=0, '
                                         r'func=F\.zeros\) when F is mx\.sym'):
        bad(x)
    good = _StateInside(True)
    good.initialize()
    good.hybridize()
    assert good(x).shape == (2, 4)


def test_setattr_on_an_empty_selection_warns():
    # MXNet 1.9.1 is silent: freezing or wd_mult=0 by a pattern that matches nothing (attribute
    # names where Parameter names are prefixes) quietly does nothing.
    net = _Wrapper()
    with pytest.warns(UserWarning, match=r"setattr\('grad_req', \.\.\.\) changes nothing.*dense0_weight"):
        net.collect_params('.*body.*').setattr('grad_req', 'null')
    assert all(p.grad_req == 'write' for p in net.collect_params().values())
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        net.collect_params('.*bias').setattr('wd_mult', 0)
    assert net.body.bias.wd_mult == 0 and net.body.weight.wd_mult == 1


def test_setattr_on_an_empty_selection_names_a_childs_collect_params_and_it_works():
    # what a PyTorch user means by a pattern of attribute names: the child's own Parameters
    net = nn.HybridSequential()
    with net.name_scope():
        net.fc1, net.fc2 = nn.Dense(2, in_units=3), nn.Dense(2, in_units=2)
    with pytest.warns(UserWarning, match=r"not attribute names; for the Parameters of a child "
                                         r"block held as net.fc1, call net.fc1.collect_params\(\)$"):
        net.collect_params('.*fc1.*').setattr('grad_req', 'null')
    net.fc1.collect_params().setattr('grad_req', 'null')
    assert [p.grad_req for p in net.collect_params().values()] == ['null', 'null', 'write', 'write']


def test_load_parameters_of_an_export_file_says_how_to_load_it(tmp_path):
    # MXNet 1.9.1 fails on both loads below (AssertionError, listing doubled prefixes such as
    # 'two1_two0_dense0_weight'); minigluon loads the file into a network of the exported prefix.
    def two(**kwargs):
        net = _Wrapper(**kwargs)
        net.initialize()
        net.hybridize()
        net(nd.ones((1, 3)))
        return net
    net = two(prefix='model_')
    net.export(str(tmp_path / 'm'))
    with pytest.raises(ValueError, match=r"'arg:model_dense0_weight'.*SymbolBlock\.imports"):
        two(prefix='other_').load_parameters(str(tmp_path / 'm-0000.params'))
    same = two(prefix='model_')
    same.load_parameters(str(tmp_path / 'm-0000.params'))
    np.testing.assert_array_equal(same.body.weight.data().asnumpy(), net.body.weight.data().asnumpy())


def test_set_data_of_the_wrong_shape_names_each_shape_rightly():
    # MXNet 1.9.1 asserts "Expected shape (2, 2) is incompatible with given shape (1, 1)" for a
    # (1, 1) Parameter given (2, 2) data: the two shapes the other way round.
    net = nn.Dense(1, in_units=1)
    net.initialize()
    with pytest.raises(AssertionError, match=r"'%s' has shape \(1, 1\); the given shape \(2, 2\) "
                       r"is incompatible" % net.weight.name):
        net.weight.set_data(nd.ones((2, 2)))
    assert net.weight.shape == (1, 1)


@pytest.mark.parametrize('hybridize', [False, True])
def test_activation_names_the_layer_for_gelu_and_swish(hybridize):
    # MXNet 1.9.1's Activation takes relu, sigmoid, tanh, softrelu and softsign only, and fails at
    # the first forward; GELU, Swish, ELU... are layers of their own.
    for name, layer in (('gelu', r'nn\.GELU\(\)'), ('swish', r'nn\.Swish\(\)'), ('elu', r'nn\.ELU\(\)')):
        net = nn.Dense(2, activation=name, in_units=3)
        net.initialize()
        if hybridize:
            net.hybridize()
        with pytest.raises(ValueError, match=r"got '%s'; '%s' is a layer of its own: %s" % (name, name, layer)):
            net(nd.ones((1, 3)))
    other = nn.Activation('foo')
    with pytest.raises(ValueError, match=r"got 'foo'$"):
        other(nd.ones((1, 3)))


@pytest.mark.parametrize('op', ['sigmoid', 'Activation'])
def test_sigmoid_is_mxnets_formula_float16_through_float32(op):
    # 1 / (1 + e^-x), as MXNet's mshadow_op::sigmoid; minigluon computed exp(-logaddexp(0, -x)),
    # 7x slower (GRUCell steps spent 15% of their time there). float16 goes through float32 as in
    # MXNet: sigmoid(-12) = 1 / (1 + e^12) = 6.144e-6, whose nearest float16 is 6.139e-6 (MXNet
    # 1.9.1 gives 6.139278411865234e-06), where e^12 = 162755 overflows float16 (max 65504).
    f = (lambda a: nd.sigmoid(a)) if op == 'sigmoid' else (lambda a: nd.Activation(a, act_type='sigmoid'))
    x = np.array([-1000, -88, -12, -3, 0, 0.1, 5, 30, 1000], dtype=np.float64)
    exact = 0.5 * (1 + np.tanh(x / 2))          # the logistic function, in float64
    with warnings.catch_warnings():
        warnings.simplefilter('error')           # e^1000 overflows silently, as in MXNet
        y32 = f(nd.array(x, dtype='float32')).asnumpy()
        y16 = f(nd.array(x, dtype='float16')).asnumpy()
    assert y32.dtype == np.float32 and y16.dtype == np.float16
    np.testing.assert_allclose(y32, exact, rtol=1e-6, atol=1e-38)
    np.testing.assert_array_equal(y16, exact.astype(np.float32).astype(np.float16))
    assert y16[2] == np.float16(6.139278411865234e-06)


def test_unknown_shape_without_deferred_init_says_how_to_defer():
    # MXNet 1.9.1: "Cannot initialize Parameter 'p0_w' because it has invalid shape: (3, 0)."
    class Own(gluon.HybridBlock):
        def __init__(self, defer, **kwargs):
            super().__init__(**kwargs)
            self.w = self.params.get('w', shape=(3, 0), allow_deferred_init=defer)

        def hybrid_forward(self, F, x, w):
            return F.FullyConnected(x, w, no_bias=True, num_hidden=3)
    with pytest.raises(ValueError, match=r"invalid shape: \(3, 0\)\. .*allow_deferred_init=True"):
        Own(False).initialize()
    deferred = Own(True)                  # the fix: the 0 is inferred from x at the first call
    deferred.initialize()
    assert deferred(nd.ones((2, 4))).shape == (2, 3) and deferred.w.shape == (3, 4)


def test_saving_into_a_missing_folder_says_to_create_it(tmp_path):
    # MXNet 1.9.1: "No such file or directory" from its C++ writer; the error now also says how.
    net = nn.Dense(2, in_units=3)
    net.initialize()
    folder = tmp_path / 'runs' / 'exp1'
    with pytest.raises(FileNotFoundError, match=r"create it first: os\.makedirs\(.*exp1', exist_ok=True\)"):
        net.save_parameters(str(folder / 'net.params'))
    assert not (tmp_path / 'runs').exists()
    folder.mkdir(parents=True)
    net.save_parameters(str(folder / 'net.params'))      # the fix works
    assert (folder / 'net.params').is_file()
