# MXNet 1.x example/gluon/image_classification.py, shrunk: model_zoo networks built with
# classes= (and the script's ctx/pretrained/thumbnail/batch_norm keywords), learning-rate
# schedulers, split_and_load over two CPU contexts, mixup with label smoothing,
# metric.create(['acc', TopKAccuracy]), the isinstance(train_data, mx.io.MXDataIter) check the
# script makes before each epoch, save_parameters / load_parameters, export and
# SymbolBlock.imports, Trainer states. Weights come from an initializer seeded by parameter
# name (SeededUniform), since MXNet 1.9.1 with MKL-DNN refuses set_data on a used conv weight.
import os
import tempfile
import zlib

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon import lr_scheduler as lrs
from minigluon.gluon.model_zoo import vision as models
from _common import show


class SeededUniform(mx.init.Initializer):
    def __init__(self, gain=1.0):
        super().__init__(gain=gain)
        self.gain = gain

    def _init_weight(self, name, arr):
        rng = np.random.RandomState(zlib.crc32(name.encode()))
        bound = self.gain * np.sqrt(6.0 / np.prod(arr.shape[1:]))
        arr[:] = nd.array(rng.uniform(-bound, bound, size=arr.shape))


tmp = tempfile.mkdtemp()
sch = lrs.MultiFactorScheduler(step=[3, 6], factor=0.1, base_lr=0.1, warmup_steps=2,
                               warmup_begin_lr=0.01, warmup_mode='linear')
print('multifactor', ['%.6f' % sch(i) for i in range(10)])
sch = lrs.PolyScheduler(max_update=10, base_lr=0.1, pwr=2, final_lr=0.001, warmup_steps=2)
print('poly', ['%.6f' % sch(i) for i in range(12)])
sch = lrs.CosineScheduler(max_update=10, base_lr=0.1, final_lr=0.0, warmup_steps=3,
                          warmup_mode='constant', warmup_begin_lr=0.05)
print('cosine', ['%.6f' % sch(i) for i in range(12)])

context = [mx.cpu(0), mx.cpu(1)]
for model in ['resnet18_v1', 'resnet50_v2', 'vgg11', 'mobilenet0.25', 'squeezenet1.1', 'densenet121']:
    kwargs = {'ctx': context, 'pretrained': False, 'classes': 5}
    if model.startswith('resnet'):
        kwargs['thumbnail'] = True
    elif model.startswith('vgg'):
        kwargs['batch_norm'] = True
    net = models.get_model(model, **kwargs)
    print(model, type(net).__name__, len(net.collect_params().keys()))

net = models.get_model('resnet18_v1', classes=5, thumbnail=True)
net.initialize(SeededUniform(0.2), ctx=context)
net.hybridize()
rng = np.random.RandomState(0)
train_data = gluon.data.DataLoader(
    gluon.data.ArrayDataset(rng.uniform(size=(8, 3, 16, 16)).astype('float32'),
                            np.array([0, 1, 2, 3, 4, 0, 1, 2], dtype='float32')), batch_size=4)
metric = mx.metric.create(['acc', mx.metric.TopKAccuracy(2)])
trainer = gluon.Trainer(net.collect_params(), 'nag',
                        {'learning_rate': 0.01, 'wd': 1e-4, 'momentum': 0.9, 'multi_precision': True,
                         'lr_scheduler': lrs.MultiFactorScheduler(step=[2], factor=0.1, base_lr=0.01)})
L = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)


def smooth(label, classes, eta=0.1):
    return [l.one_hot(classes, on_value=1 - eta + eta / classes, off_value=eta / classes)
            for l in label]


for epoch in range(1):
    if isinstance(train_data, mx.io.MXDataIter):
        train_data.reset()
    metric.reset()
    for i, batch in enumerate(train_data):
        data = gluon.utils.split_and_load(batch[0], ctx_list=context, batch_axis=0)
        label = gluon.utils.split_and_load(batch[1], ctx_list=context, batch_axis=0)
        lam = 0.7
        data = [lam * X + (1 - lam) * X[::-1] for X in data]
        label_s = [lam * a + (1 - lam) * b for a, b in
                   zip(smooth(label, 5), smooth([l[::-1] for l in label], 5))]
        with autograd.record():
            outputs = [net(X) for X in data]
            losses = [L(yhat, y) for yhat, y in zip(outputs, label_s)]
        autograd.backward(losses)
        trainer.step(batch[0].shape[0])
        metric.update(label, outputs)
        print('epoch %d batch %d lr %g' % (epoch, i, trainer.learning_rate),
              ['%.6f' % l.sum().asscalar() for l in losses])
    name, acc = metric.get()
    print(name, ['%.4f' % a for a in acc])
x = nd.array(rng.uniform(size=(4, 3, 16, 16)))
show('logits', net(x.as_in_context(context[1])))
net.save_parameters(os.path.join(tmp, 'net.params'))
net.export(os.path.join(tmp, 'net'), epoch=2)
net2 = models.get_model('resnet18_v1', classes=5, thumbnail=True)
net2.load_parameters(os.path.join(tmp, 'net.params'), ctx=context)
show('reloaded', net2(x))
sb = gluon.nn.SymbolBlock.imports(os.path.join(tmp, 'net-symbol.json'), ['data'],
                                  os.path.join(tmp, 'net-0002.params'))
show('imported', sb(x))
trainer.save_states(os.path.join(tmp, 'net.states'))
trainer.load_states(os.path.join(tmp, 'net.states'))
print('updates', trainer.optimizer.num_update, trainer.learning_rate)
