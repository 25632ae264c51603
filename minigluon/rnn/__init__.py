"""Recurrent layers and cells (``mxnet.gluon.rnn``): fused ``RNN``/``LSTM``/``GRU`` and the cells;
also, as ``mx.rnn``, the Module-era ``encode_sentences`` and ``BucketSentenceIter``."""
from minigluon.rnn.rnn_cell import (  # noqa: F401
    BidirectionalCell, DropoutCell, GRUCell, HybridRecurrentCell, HybridSequentialRNNCell, LSTMCell,
    ModifierCell, RecurrentCell, ResidualCell, RNNCell, SequentialRNNCell, ZoneoutCell)
from minigluon.rnn.io import BucketSentenceIter, encode_sentences  # noqa: F401
from minigluon.rnn.rnn_layer import GRU, LSTM, RNN  # noqa: F401


# mx.rnn is Gluon's rnn here; the pre-Gluon symbolic mx.rnn API (but its data helpers, above) is
# out of scope: asking for one of its names says so (hasattr() stays False)
from minigluon import base as _base  # noqa: E402
__getattr__ = _base.out_of_scope_getattr('minigluon.rnn', {
    name: 'the pre-Gluon symbolic mx.rnn API (mx.rnn.%s)' % name
    for name in ('BaseRNNCell', 'FusedRNNCell', 'RNNParams', 'BaseConvRNNCell', 'ConvRNNCell',
                 'ConvLSTMCell', 'ConvGRUCell', 'save_rnn_checkpoint', 'load_rnn_checkpoint', 'do_rnn_checkpoint')},
    'use gluon.rnn (LSTM, GRU, LSTMCell... with unroll) and gluon.contrib.rnn (Conv2DLSTMCell...)')
