"""Patterns met running a fourth set of public MXNet 1.x Gluon sources unchanged, against MXNet
1.9.1 (the programs: tests/_wild4_programs.py; fixture: tools/gen_wild4_fixtures.py, which runs
the same file with its import line switched to MXNet).

* ``zeros_like`` / ``ones_like`` take a ``dtype`` attribute and ignore it, as MXNet 1.9.1 does
  (GluonCV's CenterNetDecoder writes ``F.zeros_like(x, dtype='int64')``; minigluon refused the
  attribute, so the decoder could not be built, eager or hybridized).
* An ``nd`` function given a Symbol (an ``mx.nd.clip`` left in a ``hybrid_forward``, as in an early
  GluonCV monodepth2 SSIM, once hybridized) or a ``sym`` function given an NDArray raises an error
  naming the input, a ``TypeError`` that is also the ``AssertionError`` MXNet 1.9.1 raises; it was
  "too many positional arguments" or an attribute-parsing error.
* Behaviours checked against MXNet and pinned: the NDArray idioms of an early GluonCV
  region-proposal step (columns of a ``broadcast_to`` result updated with ``+=``, strided column
  slices read and assigned, rows picked by a NumPy index array, ``box_nms`` with positional
  thresholds); a CustomOp with auxiliary states behind a HybridBlock with deferred ``(0, 0)``
  parameters, trained through a regex-selected ParameterDict (MXNet's RBM example); a HybridBlock
  that branches in Python on a one-element NDArray (the single-path one-shot NAS supernet); and
  GluonCV's DANet attention with a ``(1,)`` gamma multiplying a feature map, hybridized (MXNet 1.9.1
  cannot: ``*`` does not broadcast between Symbols, a documented difference).
"""
import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from _wild import load_fixture
import _wild4_programs as P

FIX = load_fixture('wild4')


@pytest.fixture(scope='module')
def like_dtype():
    """What the ``*_like`` program gives on minigluon, for all its cases."""
    return P.like_dtype()


@pytest.mark.parametrize('case', sorted(FIX['like_dtype']))
def test_like_operators_accept_and_ignore_dtype(case, like_dtype):
    got, want = like_dtype[case], FIX['like_dtype'][case]
    assert got['out_dtype'] == want['out_dtype']
    np.testing.assert_array_equal(np.array(got['values'], dtype=got['out_dtype']),
                                  np.array(want['values'], dtype=want['out_dtype']))
    assert got['node_attrs'] == want['node_attrs']
    assert got['sym_out_dtype'] == want['sym_out_dtype']


@pytest.fixture(scope='module')
def topk_decode():
    """What the decoder program gives on minigluon, eager and hybridized."""
    return P.topk_decode()


@pytest.mark.parametrize('mode', ['eager', 'hybrid'])
def test_centernet_style_decoder_runs_as_in_mxnet(mode, topk_decode):
    got, want = topk_decode[mode], FIX['topk_decode'][mode]
    assert got['dtypes'] == want['dtypes']
    assert len(got['values']) == len(want['values']) == 4
    for value, want_value in zip(got['values'], want['values']):
        np.testing.assert_allclose(value, want_value, rtol=1e-6, atol=1e-6)


def test_region_proposal_column_idioms_as_mxnet():
    got, want = P.box_columns(), FIX['box_columns']
    for key in ('grid', 'boxes', 'picked'):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6, err_msg=key)
    assert got['keep'] == want['keep']
    assert sorted(got['nms']) == sorted(want['nms'])
    for valid in want['nms']:
        np.testing.assert_allclose(got['nms'][valid], want['nms'][valid], rtol=1e-6, err_msg=valid)


def test_custom_op_with_aux_states_behind_deferred_parameters_trains_as_mxnet():
    got, want = P.gibbs_op(), FIX['gibbs_op']
    assert got['trainable'] == want['trainable']
    assert len(got['steps']) == len(want['steps']) == 3
    for step, want_step in zip(got['steps'], want['steps']):
        for out, want_out in zip(step['out'], want_step['out']):
            np.testing.assert_allclose(out, want_out, rtol=1e-5, atol=1e-6)
        assert sorted(step['params']) == sorted(want_step['params'])
        for name in want_step['params']:
            np.testing.assert_allclose(step['params'][name], want_step['params'][name], rtol=1e-5,
                                       atol=1e-6, err_msg=name)


def test_block_built_on_a_selected_parameter_dict_shares_it():
    # the RBM example's showcase: a block built on the selected dictionary shares those parameters
    block = P.GibbsBlock(3, prefix='gibbs_')
    trainable = block.collect_params(P.TRAINABLE)
    assert sorted(trainable.keys()) == FIX['gibbs_op']['trainable']
    twin = P.GibbsBlock(3, params=trainable)
    assert sorted(twin.collect_params().keys()) == ['gibbs_aux_h', 'gibbs_aux_v'] + FIX['gibbs_op']['trainable']
    assert twin.weight is block.weight


class ChoiceBlock(gluon.HybridBlock):
    """Branches in Python on a one-element NDArray, as the NAS supernet's blocks do (eager only)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = gluon.nn.Dense(2, in_units=3)
            self.b = gluon.nn.Dense(2, in_units=3)

    def hybrid_forward(self, F, x, choice):
        if choice == 0:
            return self.a(x)
        elif choice == 1:
            return self.b(x)
        return x


def test_python_branch_on_a_one_element_ndarray():
    block = ChoiceBlock()
    block.initialize()
    x = nd.ones((2, 3))
    arch = nd.array([1, 0, 2])
    for i, expected in enumerate((block.b(x), block.a(x), x)):
        with autograd.record():
            y = block(x, nd.slice(arch, begin=i, end=i + 1))
        np.testing.assert_array_equal(y.asnumpy(), expected.asnumpy())


class PositionAttention(gluon.HybridBlock):
    """A (1,) gamma Parameter scaling an attention result added to the input (GluonCV's DANet)."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.query = gluon.nn.Conv2D(channels // 2, 1, in_channels=channels)
            self.gamma = self.params.get('gamma', shape=(1,), init=mx.init.Zero())

    def hybrid_forward(self, F, x, gamma):
        q = F.reshape(self.query(x), (0, 0, -1))
        att = F.softmax(F.batch_dot(q, q, transpose_a=True))
        out = F.batch_dot(F.reshape(x, (0, 0, -1)), att, transpose_b=True)
        return gamma * F.reshape_like(out, x, lhs_begin=2, lhs_end=None, rhs_begin=2, rhs_end=None) + x


def test_danet_gamma_times_feature_map_hybridizes():
    block = PositionAttention(4)
    block.initialize(mx.init.Uniform(0.5))
    block.gamma.set_data(nd.array([0.7]))
    x = nd.array(np.random.RandomState(2).uniform(-1, 1, size=(2, 4, 3, 3)))
    grads = []
    for hybrid in (False, True):
        if hybrid:
            block.hybridize()
        with autograd.record():
            y = block(x)
        y.backward(nd.ones_like(y) * 0.5)
        grads.append((y.asnumpy(), block.gamma.grad().asnumpy(), block.query.weight.grad().asnumpy()))
    for eager, hybrid in zip(*grads):
        np.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('call,match', [
    (lambda s, x: nd.clip(s, 0, 1), "clip: input 'data' must be an NDArray, got a Symbol"),
    (lambda s, x: nd.relu(data=s), "relu: input 'data' must be an NDArray, got a Symbol"),
    (lambda s, x: nd.batch_dot(x, s), "batch_dot: input 'rhs' must be an NDArray, got a Symbol"),
    (lambda s, x: nd.concat(x, s, dim=0), "Concat: input 1 must be an NDArray, got a Symbol"),
    (lambda s, x: nd.FullyConnected(x, s, num_hidden=2, no_bias=True),
     "FullyConnected: input 'weight' must be an NDArray"),
    (lambda s, x: mx.sym.relu(x), "relu: input 'data' must be a Symbol, got an NDArray"),
    (lambda s, x: mx.sym.clip(x, 0, 1), "clip: input 'data' must be a Symbol, got an NDArray"),
    (lambda s, x: mx.sym.concat(s, x, dim=0), "Concat: input 1 must be a Symbol, got an NDArray"),
    (lambda s, x: mx.sym.relu(data=x), "relu: input 'data' must be a Symbol, got an NDArray"),
])
def test_array_of_the_other_mode_is_named(call, match):
    # MXNet 1.9.1: AssertionError "Argument data must have NDArray type, but got <Symbol a>" (and
    # "... must be Symbol instances" the other way round)
    with pytest.raises(AssertionError, match=match) as info:
        call(mx.sym.var('a'), nd.ones((2, 2)))
    assert isinstance(info.value, TypeError)


class NdClipInside(gluon.HybridBlock):
    """An mx.nd call left in hybrid_forward (an early GluonCV monodepth2 SSIM ends in mx.nd.clip)."""

    def hybrid_forward(self, F, x, y):
        return nd.clip((1 - F.broadcast_mul(x, y)) / 2, 0, 1)


def test_nd_call_inside_hybrid_forward_fails_when_hybridized_naming_the_input():
    block = NdClipInside()
    x = nd.array([[0.5, -1.0]])
    np.testing.assert_allclose(block(x, x).asnumpy(), [[0.375, 0.0]])
    block.hybridize()
    with pytest.raises(AssertionError, match="clip: input 'data' must be an NDArray, got a Symbol"):
        block(x, x)
