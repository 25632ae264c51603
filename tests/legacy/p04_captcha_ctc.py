import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show


class OCR(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.proj = nn.Dense(16, activation='relu', flatten=False)
            self.lstm = rnn.LSTM(8, bidirectional=True, layout='NTC')
            self.out = nn.Dense(11, flatten=False)

    def hybrid_forward(self, F, x):
        return self.out(self.lstm(self.proj(x)))


rng = np.random.RandomState(4)
x = nd.array(rng.rand(3, 20, 12))                # (N, T, features): image columns
label = nd.array([[1, 2, 3, -1], [4, 4, -1, -1], [5, 6, 7, 8]])
net = OCR()
net.initialize()
net(x)
set_weights(net, scale=0.3)
ctc = gluon.loss.CTCLoss()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
for step in range(4):
    with autograd.record():
        loss = ctc(net(x), label)
    loss.backward()
    trainer.step(3)
    show('step %d loss' % step, loss)
net.hybridize()
show('hybridized loss', ctc(net(x), label))
