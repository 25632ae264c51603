"""Edge cases of the recurrent layers and cells found by breaking them (MXNet 1.9.1 semantics)."""
import numpy as np
import pytest

from minigluon import nd, rnn
from minigluon.test_utils import assert_almost_equal


@pytest.mark.parametrize('make', [lambda: rnn.LSTMCell(3, input_size=2),
                                  lambda: rnn.BidirectionalCell(rnn.GRUCell(3, input_size=2),
                                                                rnn.RNNCell(3, input_size=2))])
def test_unroll_list_of_steps_with_layout_tnc(make):
    # Each step of a list is (N, C) whatever the layout: the batch size is its axis 0 (N=4 != T=5).
    cell = make()
    cell.initialize()
    x = np.random.randn(5, 4, 2)                       # TNC
    merged, states = cell.unroll(5, nd.array(x), layout='TNC', merge_outputs=True)
    steps, states2 = cell.unroll(5, [nd.array(x[t]) for t in range(5)], layout='TNC',
                                 merge_outputs=True)
    assert merged.shape[:2] == (5, 4)
    assert_almost_equal(steps, merged)
    for a, b in zip(states2, states):
        assert a.shape[0] == 4
        assert_almost_equal(a, b)
