"""Patterns met running a fifth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(the programs: tests/_wild5_programs.py; fixture: tools/gen_wild5_fixtures.py, which runs the
same file with its import line switched to MXNet).

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
from minigluon import gluon, nd
from minigluon.base import _as_list
from minigluon.gluon.rnn.rnn_cell import _format_sequence
from _wild import load_fixture
import _wild5_programs as P

FIX = load_fixture('wild5')


@pytest.fixture(scope='module')
def as_list():
    """What the ``_as_list`` program gives on minigluon, for all its inputs."""
    return P.as_list()


@pytest.mark.parametrize('given', sorted(FIX['as_list']))
def test_as_list_as_mxnet(given, as_list):
    assert as_list[given] == FIX['as_list'][given]


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
    got, want = P.custom_unroll(), FIX['custom_unroll']
    assert [got[k] for k in ('axis', 'batch_size', 'num_steps')] == \
        [want[k] for k in ('axis', 'batch_size', 'num_steps')]
    np.testing.assert_allclose(got['outputs'], want['outputs'], rtol=1e-5, atol=1e-6)
    assert len(got['states']) == len(want['states']) == 2
    for state, want_state in zip(got['states'], want['states']):
        np.testing.assert_allclose(state, want_state, rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError, match='length=3'):
        _format_sequence(3, nd.zeros((2, 4, 2)), 'NTC', False)


@pytest.fixture(scope='module')
def bidir_valid_length():
    """What the BidirectionalCell program gives on minigluon, for both begin states."""
    return P.bidir_valid_length()


@pytest.mark.parametrize('begin', ['zeros', 'given'])
def test_bidirectional_unroll_with_valid_length(begin, bidir_valid_length):
    got, want = bidir_valid_length[begin], FIX['bidir_valid_length'][begin]
    np.testing.assert_allclose(got['outputs'], want['outputs'], rtol=1e-5, atol=1e-6)
    assert len(got['states']) == len(want['states']) == 4
    for state, want_state in zip(got['states'], want['states']):
        np.testing.assert_allclose(state, want_state, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got['dx'], want['dx'], rtol=1e-4, atol=1e-6)


def test_learning_rate_schedule_idioms():
    with pytest.warns(UserWarning, match='overwritten'):     # the positional cosine's, below
        got = P.lr_schedules()
    want = FIX['lr_schedules']
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, err_msg=name)


def test_scheduler_beside_another_learning_rate_warns():
    # MXNet 1.9.1 prints this UserWarning instead of issuing it; minigluon warns
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    with pytest.warns(UserWarning, match='learning rate from ``lr_scheduler`` has been overwritten'):
        P.positional_cosine(net.collect_params())


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
