"""Sequential / HybridSequential: add, indexing, slicing, len, repr, forward, warnings."""
import numpy as np
import pytest

from minigluon import nd
from minigluon.block import HybridSequential, Sequential
from minigluon.test_utils import assert_almost_equal

from ._blocks import Dense, Scale


def test_add_index_slice_len(fresh_names):
    net = HybridSequential()
    with net.name_scope():
        net.add(Dense(3, in_units=2), Dense(4, in_units=3))
        net.add(Dense(5, in_units=4))
    assert len(net) == 3
    assert net[1].prefix == 'hybridsequential0_dense1_'
    part = net[1:]
    assert type(part) is HybridSequential and part.prefix == net.prefix and len(part) == 2
    assert part[0] is net[1]
    net.initialize()
    x = nd.ones((2, 2))
    assert_almost_equal(part(net[0](x)), net(x))


def test_sequential_forward_and_repr(fresh_names):
    net = Sequential()
    with net.name_scope():
        net.add(Scale(), Dense(2, in_units=1))
    net.initialize()
    net[0].alpha.set_data(nd.array([3.0]))
    x = nd.array([[1.0], [2.0]])
    w = net[1].weight.data().asnumpy()
    assert_almost_equal(net(x), (3 * x.asnumpy()) @ w.T)
    assert repr(net) == 'Sequential(\n  (0): Scale(\n  \n  )\n  (1): Dense(\n  \n  )\n)'
    assert type(net[:1]) is Sequential


def test_sequential_hybridize_warning(fresh_names):
    net = Sequential()
    with net.name_scope():
        net.add(Dense(2, in_units=2))
    with pytest.warns(UserWarning, match='Consider using HybridSequential'):
        net.hybridize()
    assert net[0]._active


def test_multi_output_chain(fresh_names):
    from minigluon.block import HybridBlock

    class Split(HybridBlock):
        def hybrid_forward(self, F, x):
            return x * 2, x * 3

    class Join(HybridBlock):
        def hybrid_forward(self, F, a, b):
            return a + b
    net = HybridSequential()
    net.add(Split(), Join())
    x = nd.array([1.0, 2.0])
    assert_almost_equal(net(x), np.array([5.0, 10.0]))
    net.hybridize()
    assert_almost_equal(net(x), np.array([5.0, 10.0]))
