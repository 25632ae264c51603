"""Recurrent layers and cells (``mxnet.gluon.rnn``): fused ``RNN``/``LSTM``/``GRU`` and the cells."""
from minigluon.rnn.rnn_cell import (  # noqa: F401
    BidirectionalCell, DropoutCell, GRUCell, HybridRecurrentCell, HybridSequentialRNNCell, LSTMCell,
    ModifierCell, RecurrentCell, ResidualCell, RNNCell, SequentialRNNCell, ZoneoutCell)
from minigluon.rnn.rnn_layer import GRU, LSTM, RNN  # noqa: F401
