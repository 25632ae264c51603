import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show


class Tagger(gluon.HybridBlock):
    """A bidirectional LSTM cell unrolled over padded sequences, then a CTC head."""

    def __init__(self, hidden, classes, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.cell = rnn.BidirectionalCell(rnn.LSTMCell(hidden, input_size=4, prefix='l_'),
                                              rnn.LSTMCell(hidden, input_size=4, prefix='r_'))
            self.out = nn.Dense(classes, flatten=False, in_units=2 * hidden)

    def hybrid_forward(self, F, x, valid_length):
        outputs, states = self.cell.unroll(6, x, layout='NTC', merge_outputs=True,
                                           valid_length=valid_length)
        return self.out(outputs), states


rng = np.random.RandomState(13)
x = nd.array(rng.randn(3, 6, 4))
lengths = nd.array([6, 4, 5])
labels = nd.array([[1, 2, -1], [3, -1, -1], [2, 2, 1]])     # padded with -1
label_lengths = nd.array([2, 1, 3])
net = Tagger(5, 5)                     # 4 classes + the CTC blank (last)
net.initialize()
net(x, lengths)
set_weights(net, seed=13, scale=0.4)
print(sorted(net.collect_params().keys()))
out, states = net(x, lengths)
print('output', out.shape, 'states', [s.shape for s in states])
show('padded step of sample 1', out[1, 5])
show('forward final h', states[0])

# Masking and last-step selection on time-major data, the SequenceMask / SequenceLast way.
tnc = out.transpose((1, 0, 2))
masked = nd.SequenceMask(tnc, sequence_length=lengths, use_sequence_length=True, value=-1.0)
show('masked sample 1 t=4', masked[4, 1])
last = nd.SequenceLast(tnc, sequence_length=lengths, use_sequence_length=True)
show('last', last)
rev = nd.SequenceReverse(tnc, sequence_length=lengths, use_sequence_length=True)
show('reversed first step', rev[0])

# gluon's CTCLoss: blank is the last class; pred_lengths / label_lengths bound each sample
ctc = gluon.loss.CTCLoss(layout='NTC', label_layout='NT')
trainer = gluon.Trainer(net.collect_params(), 'rmsprop', {'learning_rate': 0.01})
net.hybridize()
for step in range(3):
    with autograd.record():
        pred, _ = net(x, lengths)
        loss = ctc(pred, labels, lengths, label_lengths)
    loss.backward()
    trainer.step(3)
    show('step %d ctc' % step, loss)
# the contrib operator with blank 'first': shift the labels up by one (padding -1 becomes 0)
raw = nd.contrib.ctc_loss(pred.transpose((1, 0, 2)), labels + 1, lengths, label_lengths,
                          use_data_lengths=True, use_label_lengths=True, blank_label='first')
show('contrib ctc_loss', raw)
