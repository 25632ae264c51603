import minigluon as mx
import numpy as np
from minigluon import nd, gluon, autograd
from minigluon.gluon import nn

emb = nn.Embedding(10, 3)
emb.initialize()
emb.weight.set_data(nd.array(np.arange(30).reshape(10, 3) / 10.0))
tokens = nd.array([[1, 2, 3, 0], [4, 5, 0, 0]])
e = emb(tokens)
print('emb', e.shape, e.dtype, e[1, 1].asnumpy().tolist())
lengths = nd.array([3, 2])
masked = nd.SequenceMask(e, sequence_length=lengths, use_sequence_length=True, axis=1, value=-1)
print('masked', masked[0, 3].asnumpy().tolist(), masked[1, 2].asnumpy().tolist(), masked[1, 1].asnumpy().tolist())
tnc = e.transpose((1, 0, 2))
m2 = nd.SequenceMask(tnc, sequence_length=lengths, use_sequence_length=True)
print('axis0', m2[2, 1].asnumpy().tolist(), m2[2, 0].asnumpy().tolist())
print('noop', float((nd.SequenceMask(tnc) - tnc).abs().sum().asscalar()))
last = nd.SequenceLast(tnc, sequence_length=lengths, use_sequence_length=True)
print('last', last.asnumpy().tolist())
rev = nd.SequenceReverse(tnc, sequence_length=lengths, use_sequence_length=True)
print('reverse', rev[:, 0, 0].asnumpy().tolist(), rev[:, 1, 0].asnumpy().tolist())
emb.weight.grad_req = 'write'
with autograd.record():
    out = nd.SequenceMask(emb(tokens), sequence_length=lengths, use_sequence_length=True, axis=1)
    loss = (out * out).sum()
loss.backward()
print('emb grad rows', emb.weight.grad().asnumpy().sum(axis=1).round(4).tolist())
sparse_emb = nn.Embedding(5, 2, sparse_grad=False, dtype='float64')
sparse_emb.initialize(mx.init.One())
print('float64 emb', sparse_emb(nd.array([0, 4])).dtype, sparse_emb.weight.dtype)
print(emb)
oh = nd.one_hot(nd.array([0, 2, -1]), 3, on_value=5, off_value=-1)
print('one_hot', oh.asnumpy().tolist())
