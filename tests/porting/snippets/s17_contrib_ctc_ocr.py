import minigluon as mx
import json
import os
import shutil
import tempfile
import numpy as np
from minigluon import nd, gluon, autograd

# The symbol of MXNet's old LSTM-OCR example (example/ctc), with a FullyConnected in place of the LSTM.
seq_len, batch, num_classes, feat = 6, 2, 5, 4
data = mx.sym.Variable('data')
label = mx.sym.Variable('label')
pred = mx.sym.FullyConnected(data=data, num_hidden=num_classes, name='pred')
pred_ctc = mx.sym.Reshape(data=pred, shape=(-4, seq_len, -1, 0))
loss = mx.sym.contrib.ctc_loss(data=pred_ctc, label=label)
ctc_loss = mx.sym.MakeLoss(loss)
softmax_class = mx.symbol.SoftmaxActivation(data=pred)
softmax_loss = mx.sym.BlockGrad(mx.sym.MakeLoss(softmax_class))
net = mx.sym.Group([softmax_loss, ctc_loss])
print(loss.name, loss.list_outputs())
print(net.list_arguments(), net.list_outputs())
print([n['op'] for n in json.loads(net.tojson())['nodes']])
print('ctc_loss' in dir(mx.sym.contrib), 'ctc_loss' in dir(mx.contrib.sym), 'CTCLoss' in dir(mx.contrib.symbol))

rng = np.random.RandomState(7)
x = nd.array(rng.uniform(-1, 1, (seq_len * batch, feat)))
lab = nd.array([[1, 2, 3], [4, 2, 0]])
block = gluon.SymbolBlock(net, [data, label])
params = block.collect_params()
params.initialize()
block(x, lab)
for name in sorted(params.keys()):
    params[name].set_data(nd.array(rng.uniform(-0.5, 0.5, params[name].shape)))
print(sorted(params.keys()))
with autograd.record():
    probs, ctc = block(x, lab)
ctc.backward()
print('probs', probs.shape, ' '.join('%.6f' % v for v in probs.asnumpy()[:2].ravel()))
print('ctc', ' '.join('%.6f' % v for v in ctc.asnumpy()))
print('grad w', ' '.join('%.6f' % v for v in params['pred_weight'].grad().asnumpy().ravel()))
print('grad b', ' '.join('%.6f' % v for v in params['pred_bias'].grad().asnumpy()))

logits = nd.FullyConnected(x, params['pred_weight'].data(), params['pred_bias'].data(), num_hidden=num_classes)
eager = nd.contrib.ctc_loss(logits.reshape((seq_len, batch, num_classes)), lab)
print('eager', ' '.join('%.6f' % v for v in eager.asnumpy()))
print('contrib.nd', float((mx.contrib.nd.ctc_loss(logits.reshape((-4, seq_len, -1, 0)), lab) - eager).abs().max().asscalar()))
print('lengths', ' '.join('%.6f' % v for v in nd.contrib.CTCLoss(
    logits.reshape((seq_len, batch, num_classes)), lab, nd.array([6, 4]), nd.array([3, 1]),
    use_data_lengths=True, use_label_lengths=True).asnumpy()))

tmp = tempfile.mkdtemp()
block.hybridize()
block(x, lab)
block.export(os.path.join(tmp, 'ocr'))
with open(os.path.join(tmp, 'ocr-symbol.json')) as f:
    print('exported ops', [n['op'] for n in json.load(f)['nodes'] if n['op'] != 'null'])
back = gluon.SymbolBlock.imports(os.path.join(tmp, 'ocr-symbol.json'), ['data', 'label'],
                                 os.path.join(tmp, 'ocr-0000.params'))
p2, c2 = back(x, lab)
print('reloaded', ' '.join('%.6f' % v for v in c2.asnumpy()), float((p2 - probs).abs().max().asscalar()) < 1e-6)
shutil.rmtree(tmp)
