import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.data import BatchSampler, DataLoader, SequentialSampler, SimpleDataset
from minigluon.gluon.data.vision import transforms
from _common import set_weights, show

rng = np.random.RandomState(28)

# HWC uint8 images, the way they come off disk, with integer labels.
images = [nd.array(rng.randint(0, 256, size=(6, 6, 3)), dtype='uint8') for _ in range(10)]
labels = [i % 3 for i in range(10)]
dataset = SimpleDataset(list(zip(images, labels)))
print('dataset', len(dataset), dataset[0][0].shape, dataset[0][0].dtype, dataset[0][1])
to_tensor = transforms.ToTensor()
show('ToTensor', to_tensor(images[0])[:, 0, 0])
normalize = transforms.Normalize(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))
pipeline = transforms.Compose([transforms.Cast('float32'), transforms.ToTensor(), normalize])
# (No print(pipeline): MXNet 1.9.1's Compose regroups the hybrid transforms into a HybridSequential
# whose children print as empty 'Cast(\n\n)' boxes, losing their arguments.)
sample = pipeline(images[1])
print('pipeline', sample.shape, sample.dtype)
show('pipeline pixel', sample[:, 2, 3])
half = transforms.Cast('float16')(images[2])
print('cast', half.dtype, half[0, 0].asnumpy().tolist())
train = dataset.transform_first(pipeline)

# Samplers and the two ways to drop a short last batch.
print('batch sampler keep', list(BatchSampler(SequentialSampler(7), 3, 'keep')))
print('batch sampler discard', list(BatchSampler(SequentialSampler(7), 3, 'discard')))
rollover = BatchSampler(SequentialSampler(7), 3, 'rollover')
print('rollover epoch 1', list(rollover), 'epoch 2', list(rollover))
for last in ['discard', 'rollover']:
    loader = DataLoader(train, batch_size=4, shuffle=False, last_batch=last)
    for epoch in range(2):
        print(last, 'epoch', epoch, [(b[0].shape, b[1].asnumpy().tolist()) for b in loader])


class Net(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(4, 3, padding=1, activation='relu'), nn.MaxPool2D(),
                              nn.Flatten(), nn.Dense(6, activation='relu'))
            self.output = nn.Dense(3)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


net = Net()
net.initialize()
net(sample.expand_dims(0))
set_weights(net, seed=28, scale=0.3)
net.hybridize()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
loader = DataLoader(train, batch_size=4, shuffle=False, last_batch='discard')
for epoch in range(2):
    for data, label in loader:
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(data.shape[0])
    print('epoch', epoch, 'last loss %.6f' % loss.mean().asscalar())

# Export, reload the graph, cut out the feature layer and keep both heads in one SymbolBlock.
tmp = tempfile.mkdtemp()
net.export(os.path.join(tmp, 'net'), epoch=3)
print(sorted(os.listdir(tmp)))
sym = mx.sym.load(os.path.join(tmp, 'net-symbol.json'))
internals = sym.get_internals()
outs = internals.list_outputs()
print(outs[-6:])
feature_name = [o for o in outs if o.endswith('relu_fwd_output') or
                o.endswith('dense0_relu_fwd_output')][-1]
feat = internals[feature_name]
arg_types, out_types, aux_types = feat.infer_type(data='float32')
print('infer_type', [np.dtype(t).name for t in arg_types], [np.dtype(t).name for t in out_types])
# (Not feat.infer_type(data='float16'): the exported weights carry __dtype__ float32 and MXNet
# 1.9.1 rejects the mix; minigluon infers float16 without complaint.)
arg_types, out_types, _ = mx.sym.Cast(feat, dtype='float16').infer_type(data='float32')
print('infer_type cast', [np.dtype(t).name for t in out_types])
half = mx.sym.var('x', dtype='float16')
arg_types, out_types, _ = (2 * half - mx.sym.var('y') / 4).infer_type()
print('infer_type from var dtype', [np.dtype(t).name for t in arg_types + out_types])
scaled = 1 - (feat - 0.5) / 2 + 3 * feat ** 2
two = mx.sym.Group([sym, scaled])
print(two.list_outputs())
block = gluon.SymbolBlock(two, mx.sym.var('data'))
block.collect_params().load(os.path.join(tmp, 'net-0003.params'), ignore_extra=True)
batch = nd.stack(*[pipeline(im) for im in images[:2]])
logits, features = block(batch)
show('reloaded logits', logits)
show('net logits', net(batch))
show('scaled features', features[0])
show('direct features', 1 - (net.features(batch)[0] - 0.5) / 2 + 3 * net.features(batch)[0] ** 2)
