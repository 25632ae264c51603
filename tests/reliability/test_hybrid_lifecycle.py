"""Hybridized blocks changed between calls must give what a fresh eager block gives.

Found by hostile use; the expected values are those of the same block run eagerly. Where MXNet
1.9.1 keeps a stale cached graph, minigluon retraces (noted in each test).
"""
import warnings

import numpy as np
import pytest

from minigluon import gluon, nd
from minigluon.parameter import DeferredInitializationError
from minigluon.test_utils import assert_almost_equal

nn = gluon.nn


class _Inner(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x):
        return self.dense(x)


class _Outer(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.inner = _Inner()

    def hybrid_forward(self, F, x):
        return self.inner(x) * 2


def _x():
    return nd.array(np.random.RandomState(0).uniform(size=(2, 4)))


def test_replacing_a_grandchild_retraces_the_hybridized_ancestors():
    # MXNet 1.9.1 clears only the direct parent's cache and keeps running the old Dense(3).
    net = _Outer()
    net.initialize()
    net.hybridize()
    x = _x()
    assert net(x).shape == (2, 3)
    net.inner.dense = nn.Dense(6, in_units=4)
    net.inner.dense.initialize()
    out = net(x)
    assert out.shape == (2, 6)
    assert_almost_equal(out, net.inner.dense(x) * 2, rtol=1e-6, atol=1e-6)


def test_block_shared_by_two_hybridized_parents_clears_both():
    shared = _Inner()
    a, b = nn.HybridSequential(), nn.HybridSequential()
    a.add(shared)
    b.add(shared, nn.Dense(2, in_units=3))
    a.initialize()
    b[1].initialize()
    a.hybridize()
    b.hybridize()
    x = _x()
    a(x), b(x)
    shared.dense = nn.Dense(3, in_units=4)
    shared.dense.initialize()
    assert_almost_equal(a(x), shared(x), rtol=1e-6, atol=1e-6)
    assert_almost_equal(b(x), b[1](shared(x)), rtol=1e-6, atol=1e-6)


def test_share_parameters_after_a_hybridized_call_uses_the_new_parameters():
    x = _x()
    net = _Outer()
    net.initialize()
    net.hybridize()
    net(x)
    other = _Outer()
    other.initialize()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        net.share_parameters(other._collect_params_with_prefix())
    assert_almost_equal(net(x), other(x), rtol=1e-6, atol=1e-6)


class _NeedsBatchOfTwo(nn.HybridBlock):
    """A user layer that rejects some inputs after its first child has already run."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.first = nn.Dense(4)
            self.second = nn.Dense(2)

    def hybrid_forward(self, F, x):
        h = self.first(x)
        if F is nd and x.shape[0] != 2:
            raise ValueError('batch of two expected')
        return self.second(h)


@pytest.mark.parametrize('hybridize', [False, True])
def test_a_failed_first_call_does_not_fix_the_deferred_shapes(hybridize):
    # MXNet 1.9.1 keeps whatever shapes a failed first call inferred, so later calls with the
    # right input can fail until the network is rebuilt. Here the first input has no features
    # (0 columns: nothing to infer the weight from); a 1-D input would not do, since Dense takes
    # (N,) as (N, 1), as MXNet does.
    net = nn.HybridSequential()
    net.add(nn.Dense(4), nn.Dense(2))
    net.initialize()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match='shape cannot be inferred'), warnings.catch_warnings():
        warnings.simplefilter('ignore')        # the graph's "cannot decide shape" warning
        net(nd.ones((3, 0)))
    assert net[0].weight.shape == (4, 0)
    out = net(_x())
    assert out.shape == (2, 2) and net[0].weight.shape == (4, 4)


def test_a_failed_first_eager_call_rolls_back_every_child_it_initialized():
    net = nn.Sequential()
    net.add(_NeedsBatchOfTwo())
    net.initialize()
    with pytest.raises(ValueError, match='batch of two'):
        net(nd.ones((3, 5)))
    inner = net[0]
    assert inner.first.weight.shape == (4, 0)
    with pytest.raises(DeferredInitializationError, match='has not been initialized yet'):
        inner.first.weight.data()
    assert net(_x()).shape == (2, 2)
    assert inner.first.weight.shape == (4, 4)


def test_a_hybridized_block_called_with_another_argument_structure_traces_a_graph_for_it():
    """A loss called with and without sample_weight (MXNet 1.9.1 raises 'argument structure does
    not match'): each structure gets its own graph, kept, and results equal the eager block's."""
    from minigluon.gluon import loss as gloss
    rng = np.random.RandomState(0)
    pred = nd.array(rng.randn(4, 7, 5))
    label = nd.array([[0, 1, -1], [2, -1, -1], [1, 1, 3], [3, 2, 1]])
    weight = nd.array([1.0, 0.5, 2.0, 0.0])
    eager, hybrid = gloss.CTCLoss(), gloss.CTCLoss()
    hybrid.hybridize()
    for args in [(pred, label), (pred, label, None, None, weight), (pred, label),
                 (pred, label, None, None, weight)]:
        assert_almost_equal(hybrid(*args).asnumpy(), eager(*args).asnumpy(), rtol=1e-6, atol=1e-6)
    hybrid(pred, label)
    plain = hybrid._cached_op
    hybrid(pred, label, None, None, weight)
    weighted = hybrid._cached_op
    assert plain is not weighted
    hybrid(pred, label)
    assert hybrid._cached_op is plain                # no new trace: both graphs are kept
    hybrid(pred, label, None, None, weight)
    assert hybrid._cached_op is weighted


class _OptionalBias(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(3)

    def hybrid_forward(self, F, x, y=None):
        out = self.dense(x)
        return out if y is None else out + y


def test_op_hook_reaches_every_argument_structure_graph():
    """register_op_hook (or its removal) after a second structure was traced applies to the
    first structure's graph too (it used to reach only the graph of the latest call)."""
    net = _OptionalBias()
    net.initialize()
    net.hybridize(static_alloc=True)
    x, y = nd.ones((2, 4)), nd.ones((2, 3))
    net(x)
    net(x, y)
    seen = []
    net.register_op_hook(lambda name, op_name, arr: seen.append(name))
    net(x)
    assert seen, 'the hook did not fire for the first graph'
    net(x, y)
    assert any(name.startswith('_plus') or 'plus' in name for name in seen)
    net.register_op_hook(None)
    del seen[:]
    net(x)
    net(x, y)
    assert seen == []
