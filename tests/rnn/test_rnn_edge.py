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


@pytest.mark.parametrize('make', [lambda: rnn.LSTMCell(3, input_size=2),
                                  lambda: rnn.BidirectionalCell(rnn.GRUCell(3, input_size=2),
                                                                rnn.RNNCell(3, input_size=2))])
@pytest.mark.parametrize('hybrid', [False, True])
def test_unroll_valid_length_zero_returns_the_begin_states(make, hybrid):
    # A sequence of length 0 has no valid step: its outputs are zeros and its states are the
    # begin states (as the fused layers with use_sequence_length). MXNet 1.9.1's SequenceLast
    # reads out of bounds for a length of 0 and returns garbage.
    cell = make()
    cell.initialize()
    if hybrid:
        cell.hybridize()
    x = nd.array(np.random.randn(2, 4, 2))
    begin = [nd.array(np.random.randn(*s.shape)) for s in cell.begin_state(batch_size=2)]
    out, states = cell.unroll(4, x, begin_state=begin, layout='NTC', merge_outputs=True,
                              valid_length=nd.array([0, 4]))
    _, full = cell.unroll(4, x, begin_state=begin, layout='NTC', merge_outputs=True)
    assert np.abs(out.asnumpy()[0]).max() == 0
    for got, start, ref in zip(states, begin, full):
        assert_almost_equal(got[0], start[0])          # length 0: the begin state
        assert_almost_equal(got[1], ref[1])            # full length: the last step's state


@pytest.mark.parametrize('hybrid', [False, True])
def test_sequence_length_argument_must_match_use_sequence_length(hybrid):
    # MXNet 1.9.1 silently drops sequence_length when the layer was built without
    # use_sequence_length (every step then counts); minigluon says so instead.
    layer = rnn.GRU(3, input_size=2)
    masked = rnn.GRU(3, input_size=2, use_sequence_length=True)
    for net in (layer, masked):
        net.initialize()
        if hybrid:
            net.hybridize()
    x = nd.array(np.random.randn(4, 2, 2))
    with pytest.raises(ValueError, match='use_sequence_length=True'):
        layer(x, None, nd.array([4, 1]))
    with pytest.raises(ValueError, match='sequence_length'):
        masked(x)
    assert layer(x, None, None).shape == (4, 2, 3)
    assert masked(x, None, nd.array([4, 1])).shape == (4, 2, 3)


@pytest.mark.parametrize('hybrid', [False, True])
def test_wrong_number_of_begin_states_is_a_clear_error(hybrid):
    # hybridized, one state for an LSTM used to fail with "Unknown input to HybridBlock
    # lstm0: lstm0_rnn0_state_cell"
    layer = rnn.LSTM(4, input_size=2)
    layer.initialize()
    if hybrid:
        layer.hybridize()
    x = nd.array(np.random.randn(5, 3, 2))
    with pytest.raises(ValueError, match=r'states.*2 .*\[h, c\].*got 1'):
        layer(x, nd.zeros((1, 3, 4)))
    gru = rnn.GRU(4, input_size=2)
    gru.initialize()
    with pytest.raises(ValueError, match=r'states.*1 .*got 2'):
        gru(x, [nd.zeros((1, 3, 4))] * 2)
    out, states = layer(x, layer.begin_state(3))
    assert out.shape == (5, 3, 4) and len(states) == 2


@pytest.mark.parametrize('lengths', [[5, 1], [-1, 2]])
def test_sequence_length_outside_the_steps_is_rejected(lengths):
    layer = rnn.GRU(3, input_size=2, use_sequence_length=True)
    layer.initialize()
    x = nd.array(np.random.randn(4, 2, 2))                 # T = 4
    with pytest.raises(ValueError, match='sequence_length'):
        layer(x, None, nd.array(lengths))
