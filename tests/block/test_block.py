"""Block: naming (MXNet golden names), attributes, hooks, apply, collect_params, cast, ctx, sharing."""
import json
import os
import pickle

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.block import Block, HookHandle, HybridSequential, Sequential
from minigluon.context import cpu
from minigluon.name import NameManager
from minigluon.parameter import Parameter
from minigluon.test_utils import assert_almost_equal

from ._blocks import Dense, Model, Scale

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block')
NAMING = json.load(open(os.path.join(FIX, 'naming.json')))


def _seq(scoped=True):
    seq = HybridSequential()
    if scoped:
        with seq.name_scope():
            seq.add(Dense(3, in_units=2), Dense(2, in_units=3))
    else:
        seq.add(Dense(3, in_units=2), Dense(2, in_units=3))
    return seq


def test_names_scoped_sequential(fresh_names):
    seq = _seq()
    assert list(seq.collect_params().keys()) == NAMING['seq']['params']
    assert list(seq._collect_params_with_prefix().keys()) == NAMING['seq']['keys']
    assert [seq.prefix, seq[0].prefix, seq[1].prefix] == NAMING['seq']['prefixes']
    assert seq.name == 'hybridsequential0' and seq[0].params.prefix == seq[0].prefix


def test_names_nested_model(fresh_names):
    m, m2 = Model(), Model()
    assert list(m.collect_params().keys()) == NAMING['model']['params']
    assert list(m._collect_params_with_prefix().keys()) == NAMING['model']['keys']
    assert (m2.prefix, m2.fc1.prefix) == (NAMING['model']['second_prefix'], NAMING['model']['second_fc1'])


def test_name_scope_entered_again_inside_itself(fresh_names):
    # MXNet 1.9.1 (and minigluon before) failed at the inner exit ('NoneType' object has no
    # attribute '__exit__') and left the block's scope current, so later blocks took its prefix
    seq = HybridSequential()
    with seq.name_scope():
        with seq.name_scope():
            a = Dense(3, in_units=2)
        b = Dense(2, in_units=3)
    assert (a.prefix, b.prefix) == ('hybridsequential0_dense0_', 'hybridsequential0_dense1_')
    assert Dense(2, in_units=3).prefix == 'dense0_'


def test_names_without_scope(fresh_names):
    seq = _seq(scoped=False)
    assert list(seq.collect_params().keys()) == NAMING['no_scope']['params']
    assert [seq.prefix, seq[0].prefix, seq[1].prefix] == NAMING['no_scope']['prefixes']


def test_names_empty_and_explicit_prefix(fresh_names):
    m = Model(prefix='')
    assert list(m.collect_params().keys()) == NAMING['empty_prefix']['params']
    assert (m.prefix, m.name) == ('', '')
    with NameManager():
        outer = HybridSequential()
        with outer.name_scope():
            inner = HybridSequential(prefix='')
            with inner.name_scope():
                inner.add(Dense(2, in_units=2))
            named = Dense(2, in_units=2, prefix='x_')
            outer.add(inner, named)
        exp = NAMING['nested_prefix']
        assert list(outer.collect_params().keys()) == exp['params']
        assert (inner.prefix, named.prefix) == (exp['inner_prefix'], exp['named_prefix'])


def test_names_shared_params(fresh_names):
    net = HybridSequential()
    with net.name_scope():
        a = Dense(2, in_units=2)
        b = Dense(2, in_units=2, params=a.params)
        net.add(a, b)
    exp = NAMING['shared']
    assert list(net.collect_params().keys()) == exp['params']
    assert b.prefix == exp['b_prefix'] and list(b.params.keys()) == exp['b_params']
    assert b.weight is a.weight


def test_global_counter_and_fresh_manager():
    with NameManager():
        names = [Dense(1).prefix, Dense(1).prefix]
        with NameManager():
            names.append(Dense(1).prefix)
        names.append(Dense(1).prefix)
    assert names == NAMING['counter']


def test_setattr_rules(fresh_names):
    m = Model()
    with pytest.raises(TypeError, match='Changing attribute type for fc1'):
        m.fc1 = 3
    with pytest.raises(AssertionError, match='Overriding Parameter attribute w'):
        m.w = Parameter('other', shape=(1,))
    m.extra = None
    assert 'extra' not in m._children
    m.fc1 = Dense(2, in_units=2)      # same type: allowed, re-registered under the same key
    assert m._children['fc1'] is m.fc1


def test_unregistered_container_warns(fresh_names):
    class Holder(Block):
        def __init__(self):
            super().__init__()
            self.layers = [Dense(2, in_units=2)]

        def forward(self, x):
            return self.layers[0](x)
    with pytest.warns(UserWarning, match='unregistered container with Blocks'):
        Holder().collect_params()


def test_collect_params_select(fresh_names):
    m = Model()
    assert list(m.collect_params('.*weight').keys()) == [
        'model0_dense0_weight', 'model0_hybridsequential0_dense0_weight',
        'model0_hybridsequential0_dense1_weight']
    # re.match anchors at the start only
    assert list(m.collect_params('model0_dense').keys()) == ['model0_dense0_weight', 'model0_dense0_bias']


def test_repr(fresh_names):
    m = Model()
    text = repr(m)
    assert text.startswith('Model(\n  (fc1): Dense(\n')
    assert '  (body): HybridSequential(\n    (0): Dense(' in text
    assert repr(Sequential()) == 'Sequential(\n\n)'


def test_apply_is_post_order(fresh_names):
    m = Model()
    seen = []
    assert m.apply(lambda b: seen.append(b.name)) is m
    assert seen == ['model0_dense0', 'model0_hybridsequential0_dense0', 'model0_hybridsequential0_dense1',
                    'model0_hybridsequential0', 'model0']


def test_hooks_and_detach(fresh_names):
    net = Dense(2, in_units=3)
    net.initialize()
    calls = []
    pre = net.register_forward_pre_hook(lambda b, inp: calls.append(('pre', type(inp), len(inp))))
    post = net.register_forward_hook(lambda b, inp, out: calls.append(('post', out.shape)))
    x = nd.ones((4, 3))
    net(x)
    assert calls == [('pre', tuple, 1), ('post', (4, 2))]
    pre.detach()
    pre.detach()                                   # idempotent
    net(x)
    assert calls[-1] == ('post', (4, 2)) and len(calls) == 3
    with post:
        pass
    net(x)
    assert len(calls) == 3
    h = HookHandle()
    h.attach(net._forward_hooks, print)
    with pytest.raises(RuntimeError, match='attached twice'):
        h.attach(net._forward_hooks, print)
    restored = pickle.loads(pickle.dumps(h))
    restored.detach()                              # detached from a copy: must not fail


def test_initialize_default_uniform_and_ctx(fresh_names):
    m = Model()
    m.initialize(ctx=[cpu(0), cpu(1)])
    w = m.fc1.weight
    assert w.list_ctx() == [cpu(0), cpu(1)]
    vals = w.data(cpu(0)).asnumpy()
    assert np.abs(vals).max() <= 0.07 and np.abs(vals).max() > 0
    assert (m.fc1.bias.data(cpu(0)).asnumpy() == 0).all()    # explicit init wins
    m.reset_ctx(cpu(2))
    assert w.list_ctx() == [cpu(2)]


def test_zero_grad_and_backward(fresh_names):
    net = Dense(2, in_units=3)
    net.initialize()
    x = nd.array(np.arange(6).reshape(2, 3))
    with autograd.record():
        y = net(x)
    y.backward()
    assert_almost_equal(net.weight.grad(), np.tile(x.asnumpy().sum(0), (2, 1)))
    net.zero_grad()
    assert (net.weight.grad().asnumpy() == 0).all()


def test_cast_float16_forward(fresh_names):
    # better than MXNet: runs on CPU
    net = _seq()
    net.initialize()
    x = nd.array([[1.0, 2.0]])
    ref = net(x).asnumpy()
    net.cast('float16')
    assert net[0].weight.data().dtype == np.float16
    out = net(x.astype('float16'))
    assert out.dtype == np.float16
    assert_almost_equal(out, ref, rtol=1e-2, atol=1e-2)


def test_share_parameters(fresh_names):
    a, b = _seq(), _seq()
    a.initialize()
    b.initialize()
    b.share_parameters(a._collect_params_with_prefix())
    assert b[0].weight is a[0].weight
    assert list(b.collect_params().values())[0] is a[0].weight
    x = nd.array([[1.0, 2.0]])
    assert_almost_equal(a(x), b(x))
    with pytest.warns(UserWarning, match='not in the current model'):
        b.share_parameters({'nope.weight': a[0].weight})
    with pytest.raises(ValueError, match='dict'):
        b.share_parameters([1])


def test_plain_block_forward(fresh_names):
    s = Scale()
    s.initialize()
    assert_almost_equal(s(nd.array([2.0])), np.array([2.0]))
    with pytest.raises(NotImplementedError, match='must implement forward'):
        Block()(nd.ones(1))


def test_keyword_inputs_raise_a_type_error_that_gives_the_order():
    # MXNet 1.9.1's Block.__call__(self, *args) takes positional inputs only, and Python's own
    # message ("unexpected keyword argument") says neither that nor in which order to pass them;
    # CTCLoss's optional pred_lengths / label_lengths / sample_weight invite keywords.
    from minigluon import gluon
    from minigluon.gluon import nn, rnn
    pred, label = nd.random.normal(shape=(2, 6, 4)), nd.array([[0, 1], [2, -1]])
    ctc = gluon.loss.CTCLoss()
    hooks = []
    ctc.register_forward_pre_hook(lambda block, args: hooks.append(args))
    with pytest.raises(TypeError, match=r"^ctcloss\d+ \(CTCLoss\) got the keyword input 'label_lengths', but "
                       r"a Block takes its inputs by position only \(Block.__call__\(\*args\), as in "
                       r"MXNet 1.x\): pass them in the order of hybrid_forward\(F, pred, label, "
                       r"pred_lengths=None, label_lengths=None, sample_weight=None\), None for an "
                       r"optional one left out$"):
        ctc(pred, label, label_lengths=nd.array([2, 1]))
    assert hooks == []                  # refused before any hook ran
    by_position = ctc(pred, label, None, nd.array([2, 1])).asnumpy()
    assert np.array_equal(by_position, ctc(pred, label).asnumpy())   # -1 padding says the same lengths
    dense = nn.Dense(2)
    dense.initialize()
    with pytest.raises(TypeError, match=r"inputs 'x', 'y', but .* hybrid_forward\(F, x\),"):
        dense(x=nd.ones((1, 3)), y=1)    # its Parameters (weight, bias) are not inputs
    assert dense.weight._deferred_init  # still pending: nothing ran
    lstm = rnn.LSTM(3)
    lstm.initialize()
    with pytest.raises(TypeError, match=r"\(LSTM\) got the keyword input 'valid_length'"):
        lstm(nd.ones((4, 2, 3)), None, valid_length=nd.ones(2))

    class Eager(Block):
        def forward(self, x, scale=2):
            return x * scale
    with pytest.raises(TypeError, match=r"order of forward\(x, scale=2\),"):
        Eager()(nd.ones(2), scale=3)
    assert Eager()(nd.ones(2), 3).asnumpy().tolist() == [3.0, 3.0]
