"""Patterns met running a fifth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(fixture: tools/gen_wild5_fixtures.py).

* MXNet's private helpers that third-party code imports exist under their MXNet names:
  ``mxnet.base._as_list`` (GluonNLP's GNMT encoder/decoder: the import failed, so the module could
  not be loaded), ``_format_sequence`` / ``_get_begin_state`` / ``_mask_sequence_variable_length``
  of ``mxnet.gluon.rnn.rnn_cell`` (a child-sum Tree-GRU cell, gluon-ts's zoneout cell, GluonNLP's
  Fold), ``_flatten`` / ``_regroup`` of ``mxnet.gluon.block`` (gluon-ts's mx/util.py),
  ``mxnet.gluon.utils._indent`` and ``tensor_types`` in ``mxnet.gluon`` and ``mxnet.gluon.parameter``.
* ``ctx=mx.cpu`` (the function, as CapsNet_Mxnet's DigitCaps) is refused with a hint to call it.
* Behaviours checked against MXNet and pinned: a BidirectionalCell unrolled with ``valid_length``
  and default or given begin states (GluonNLP's GNMTEncoder), the learning rates a Trainer reports
  for the scheduler idioms of the trial, and a HybridBlock whose ``forward`` passes a throwaway
  input and stashed state to ``HybridBlock.forward`` (a message-passing GGNN), hybridized with
  MXNet's unused-input warning.
"""

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.base import _as_list
from minigluon.gluon import rnn
from minigluon.gluon.rnn.rnn_cell import (_format_sequence, _get_begin_state,
                                          _mask_sequence_variable_length)
from _wild import load_fixture

FIX = load_fixture('wild5')


def _set_lstm(cell, seed):
    """Seeded uniform weights by sorted parameter name (as tools/gen_wild5_fixtures.py)."""
    rs = np.random.RandomState(seed)
    for name, p in sorted(cell.collect_params().items()):
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, size=p.shape)))


@pytest.mark.parametrize('case', FIX['as_list'], ids=lambda c: c['given'])
def test_as_list_as_mxnet(case):
    value = eval(case['given'])     # one of (1, 2), [3], 4, None: literals written by the fixture
    result = _as_list(value)
    assert repr(result) == case['result']
    assert (result is value) == case['same']


def test_mxnet_private_names_reached_through_the_alias():
    import minigluon.compat as compat
    compat.install_mxnet_alias()
    import mxnet.gluon.rnn.rnn_cell as rnn_cell
    from mxnet.base import _as_list as alias_as_list
    from mxnet.gluon import tensor_types
    from mxnet.gluon.block import _flatten, _regroup
    from mxnet.gluon.parameter import tensor_types as parameter_tensor_types
    from mxnet.gluon.utils import _indent
    assert alias_as_list is _as_list
    assert rnn_cell._format_sequence is _format_sequence
    assert tensor_types == (mx.sym.Symbol, nd.NDArray) and parameter_tensor_types is tensor_types
    # MXNet 1.9.1's structure codes: an array is 0, None -1, a list the list of its items' codes
    a, b = nd.ones(1), nd.zeros(2)
    flat, fmt = _flatten([a, [b, None]], 'input')
    assert fmt == [0, [0, -1]] and flat[0] is a and flat[1] is b and flat[2] is None
    rebuilt = _regroup(flat, fmt)
    assert rebuilt[0] is a and rebuilt[1][0] is b and rebuilt[1][1] is None
    assert isinstance(nd.ones(1), tensor_types) and isinstance(mx.sym.var('a'), tensor_types)
    # MXNet 1.9.1: the lines after the first are indented; a single line is left alone
    assert _indent('a\nb\nc', 2) == 'a\n  b\n  c'
    assert _indent('a', 4) == 'a'


def test_custom_unroll_with_the_private_rnn_helpers():
    fix = FIX['custom_unroll']
    cell = rnn.LSTMCell(3, input_size=2, prefix='lstm_')
    cell.initialize()
    _set_lstm(cell, 0)
    x = nd.array(np.linspace(-1, 1, 16).reshape(2, 4, 2))
    steps, axis, F, batch_size = _format_sequence(4, x, 'NTC', False)
    assert (axis, batch_size, len(steps)) == (fix['axis'], fix['batch_size'], fix['num_steps'])
    states = _get_begin_state(cell, F, None, steps, batch_size)
    outs = []
    for step in steps:
        out, states = cell(step, states)
        outs.append(out)
    merged = _mask_sequence_variable_length(F, outs, 4, nd.array([4, 2]), axis, True)
    np.testing.assert_allclose(merged.asnumpy(), fix['outputs'], rtol=1e-5, atol=1e-6)
    for got, want in zip(states, fix['states']):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError, match='length=3'):
        _format_sequence(3, x, 'NTC', False)


@pytest.mark.parametrize('begin', ['zeros', 'given'])
def test_bidirectional_unroll_with_valid_length(begin):
    fix = FIX['bidir_valid_length'][begin]
    cell = rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=2, prefix='l_'),
                                 rnn.LSTMCell(2, input_size=2, prefix='r_'))
    cell.initialize()
    _set_lstm(cell, 1)
    x = nd.array(np.linspace(-1, 1, 12).reshape(2, 3, 2))
    x.attach_grad()
    states0 = None if begin == 'zeros' else [nd.ones((2, 2)) * 0.1 * (j + 1) for j in range(4)]
    with autograd.record():
        out, states = cell.unroll(3, x, begin_state=states0, layout='NTC', merge_outputs=True,
                                  valid_length=nd.array([3, 1]))
        loss = (out ** 2).sum() + sum((s ** 2).sum() for s in states)
    loss.backward()
    np.testing.assert_allclose(out.asnumpy(), fix['outputs'], rtol=1e-5, atol=1e-6)
    for got, want in zip(states, fix['states']):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), fix['dx'], rtol=1e-4, atol=1e-6)


def _lrs(make_trainer, steps=8):
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    trainer = make_trainer(net)
    x = nd.array([[1., 2., 3.], [-1., 0.5, 2.]])
    lrs = []
    for _ in range(steps):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        trainer.step(2)
        lrs.append(float(trainer.learning_rate))
    return lrs


def test_learning_rate_schedule_idioms():
    sched = mx.lr_scheduler
    want = FIX['lr_schedules']
    with pytest.warns(UserWarning, match='overwritten'):
        # a DGL example: CosineScheduler(max_update, base_lr, final_lr, warmup_steps,
        # warmup_begin_lr) positionally, beside another 'learning_rate' (the cosine keeps its own)
        got = _lrs(lambda n: gluon.Trainer(n.collect_params(), 'adam', {
            'learning_rate': 0.01, 'lr_scheduler': sched.CosineScheduler(6, 0.1, 0, 0, 0.002)}))
    np.testing.assert_allclose(got, want['positional_cosine'], rtol=1e-12)
    got = _lrs(lambda n: gluon.Trainer(n.collect_params(), optimizer=mx.optimizer.SGD(
        learning_rate=0.1, momentum=0.9, wd=0.0005, lr_scheduler=sched.CosineScheduler(
            base_lr=0.1, final_lr=0.001, max_update=6, warmup_steps=3))))
    np.testing.assert_allclose(got, want['optimizer_object'], rtol=1e-12)
    got = _lrs(lambda n: gluon.Trainer(n.collect_params(), 'nag', {
        'learning_rate': 0.3, 'momentum': 0.5, 'lr_scheduler': sched.MultiFactorScheduler(
            step=[2, 5], factor=0.1, base_lr=0.3, warmup_steps=1, warmup_begin_lr=0.05,
            warmup_mode='constant')}))
    np.testing.assert_allclose(got, want['multifactor_warmup'], rtol=1e-12)


@pytest.mark.parametrize('init', ['parameter', 'block', 'reset_ctx'])
def test_ctx_given_the_cpu_function_says_to_call_it(init):
    # CapsNet_Mxnet's DigitCaps defaults context=cpu (the function) and calls
    # W.initialize(ctx=self.context); MXNet 1.9.1: TypeError "'function' object is not iterable"
    def call():
        if init == 'parameter':
            gluon.Parameter('w', shape=(2,)).initialize(ctx=mx.cpu)
        elif init == 'block':
            gluon.nn.Dense(2).initialize(ctx=mx.cpu)
        else:
            net = gluon.nn.Dense(2, in_units=2)
            net.initialize()
            net.collect_params().reset_ctx(mx.cpu)
    with pytest.raises(ValueError, match=r'got <function cpu .*>; cpu is a function, call it: cpu\(\)$'):
        call()


class _StashingBlock(gluon.HybridBlock):
    """A message-passing mixin's pattern (Open-Vocabulary-Learning-on-Source-Code's MPNN): forward
    stashes the graph object, passes a throwaway array and the unpacked arrays to
    HybridBlock.forward, and hybrid_forward reads the rest from the stash."""

    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.msg = gluon.nn.Dense(3, in_units=3)

    def hybrid_forward(self, F, x, feats, adj):
        h = feats
        for _ in range(self.graph['iters']):
            h = F.tanh(F.dot(adj, self.msg(h)))
        return h

    def forward(self, graph):
        self.graph = graph
        return super().forward(nd.zeros((1,)), graph['feats'], graph['adj'])


def test_forward_override_passing_a_throwaway_input_to_hybrid_forward():
    rs = np.random.RandomState(15)
    graph = {'iters': 2, 'feats': nd.array(rs.uniform(-1, 1, size=(4, 3))),
             'adj': nd.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])}
    net = _StashingBlock()
    net.initialize(mx.init.Constant(0.3))
    eager = net(graph)
    # by hand: the weight is all 0.3 and the bias keeps its own 'zeros' initializer, so every Dense
    # output entry of a row is 0.3 * sum(row); a round applies tanh(adj @ that), the same in each column
    row_sum = graph['feats'].asnumpy().sum(axis=1)
    first = np.tanh(graph['adj'].asnumpy() @ (0.3 * row_sum))
    second = np.tanh(graph['adj'].asnumpy() @ (0.3 * 3 * first))
    np.testing.assert_allclose(eager.asnumpy(), np.repeat(second[:, None], 3, axis=1), rtol=1e-5)
    net.hybridize()
    # MXNet 1.9.1 warns about the unused throwaway input when it builds the graph
    with pytest.warns(UserWarning, match='The 0-th input to HybridBlock is not used'):
        hybrid = net(graph)
    np.testing.assert_allclose(hybrid.asnumpy(), eager.asnumpy(), rtol=1e-6)
