# Training-script idioms of MXNet 1.x Gluon code bases, shrunk: GluonNLP 0.x's BERT fine-tuning
# loop (no weight decay on beta / gamma / bias through a regex collect_params and wd_mult,
# Trainer(update_on_kvstore=False), gradient accumulation with grad_req 'add', linear warmup and
# decay by set_learning_rate, trainer.allreduce_grads() + clip_global_norm + trainer.update(),
# zero_grad, Accuracy / F1 / CompositeEvalMetric), GluonCV's training scripts (a kvstore from
# mx.kv.create handed to the Trainer, two CPU contexts, split_and_load with even_split=False,
# autograd.backward over a list of losses, the same run with update_on_kvstore True and False),
# and the Gluon data and fit tutorials' record files and estimator (MXIndexedRecordIO written
# with recordio.pack / IRHeader, read back sequentially with MXRecordIO and as a
# gluon.data.RecordFileDataset with a transform, the Estimator with a ValidationHandler-driven
# EarlyStoppingHandler). Data are small NumPy arrays, loaders do not shuffle, Dropout is 0, and
# the initializer is seeded by parameter name.
import logging
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.contrib.estimator import estimator
from minigluon.gluon.contrib.estimator.event_handler import EarlyStoppingHandler
from _common import named_uniform, show

rng = np.random.RandomState(54)
tmp = tempfile.mkdtemp()
SeededInit = named_uniform(mx, default_scale=0.3)

features = rng.normal(size=(48, 10)).astype('float32')
labels = (features[:, :3].sum(axis=1) > 0).astype('float32')


def classifier(prefix=None):
    net = nn.HybridSequential(prefix=prefix)
    with net.name_scope():
        net.add(nn.Dense(16, activation='relu'))
        net.add(nn.LayerNorm())
        net.add(nn.Dropout(0.0))
        net.add(nn.Dense(2))
    return net


# ---------------------------------------------------------------- BERT-style fine-tuning loop
ctx = mx.cpu()
model = classifier()
model.initialize(SeededInit(), ctx=ctx)
model.hybridize(static_alloc=True)
lr, epsilon, accumulate, batch_size, epochs = 5e-3, 1e-6, 2, 4, 2
optimizer_params = {'learning_rate': lr, 'epsilon': epsilon, 'wd': 0.01}
trainer = gluon.Trainer(model.collect_params(), 'adam', optimizer_params,
                        update_on_kvstore=False)
for _, v in model.collect_params('.*beta|.*gamma|.*bias').items():
    v.wd_mult = 0.0
print('no wd', sorted(k for k, v in model.collect_params().items() if v.wd_mult == 0.0))
params = [p for p in model.collect_params().values() if p.grad_req != 'null']
if accumulate and accumulate > 1:
    for p in params:
        p.grad_req = 'add'

train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(features[:40], labels[:40]),
                                   batch_size=batch_size, shuffle=False, last_batch='discard')
dev_data = gluon.data.DataLoader(gluon.data.ArrayDataset(features[40:], labels[40:]),
                                 batch_size=batch_size)
loss_function = gluon.loss.SoftmaxCELoss()
metric = mx.metric.CompositeEvalMetric()
metric.add(mx.metric.Accuracy())
metric.add(mx.metric.F1(average='micro'))
num_train_steps = int(len(train_data) / accumulate * epochs)
num_warmup_steps = int(num_train_steps * 0.2)
step_num = 0
for epoch_id in range(epochs):
    metric.reset()
    step_loss = 0
    for batch_id, (data, label) in enumerate(train_data):
        if not accumulate or (batch_id + 1) % accumulate == 0:
            step_num += 1
            if step_num < num_warmup_steps:
                new_lr = lr * step_num / num_warmup_steps
            else:
                non_warmup_steps = step_num - num_warmup_steps
                offset = non_warmup_steps / (num_train_steps - num_warmup_steps)
                new_lr = lr - offset * lr
            trainer.set_learning_rate(new_lr)
        with mx.autograd.record():
            out = model(data.as_in_context(ctx))
            ls = loss_function(out, label.as_in_context(ctx)).mean()
            if accumulate:
                ls = ls / accumulate
        ls.backward()
        if not accumulate or (batch_id + 1) % accumulate == 0:
            trainer.allreduce_grads()
            grads = [p.grad(ctx) for p in params]
            norm = gluon.utils.clip_global_norm(grads, 1)
            trainer.update(accumulate if accumulate else 1)
            if accumulate > 1:
                for p in params:
                    p.zero_grad()
        step_loss += ls.asscalar()
        metric.update([label], [out])
        if (batch_id + 1) % 5 == 0:
            names, values = metric.get()
            print('[Epoch %d Batch %d/%d] loss=%.4f, lr=%.7f, norm=%.4f, %s' % (
                epoch_id, batch_id + 1, len(train_data), step_loss / 5, trainer.learning_rate,
                norm, ', '.join('%s=%.4f' % nv for nv in zip(names, values))))
            step_loss = 0
    metric.reset()
    for data, label in dev_data:
        metric.update([label], [model(data)])
    print('validation metrics:', ', '.join('%s=%.4f' % nv for nv in zip(*metric.get())))
show('fine-tuned dense0', model[0].weight.data()[0, :8])

# ---------------------------------------------------------------- GluonCV-style, two contexts
ctx_list = [mx.cpu(0), mx.cpu(1)]


def train_two_contexts(update_on_kvstore):
    net = classifier(prefix='cv_')   # the same parameter names, so the same initial weights
    net.initialize(SeededInit(), ctx=ctx_list)
    net(nd.array(features[:2], ctx=ctx_list[0]))
    net.collect_params().reset_ctx(ctx_list)
    kv = mx.kv.create('device')
    trainer = gluon.Trainer(net.collect_params(), 'nag',
                            {'learning_rate': 0.05, 'wd': 1e-4, 'momentum': 0.9},
                            kvstore=kv, update_on_kvstore=update_on_kvstore)
    L = gluon.loss.SoftmaxCrossEntropyLoss()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(features, labels), batch_size=10,
                                   last_batch='keep')
    for epoch in range(2):
        train_metric = mx.metric.Accuracy()
        for i, batch in enumerate(loader):
            data = gluon.utils.split_and_load(batch[0], ctx_list=ctx_list, batch_axis=0,
                                              even_split=False)
            label = gluon.utils.split_and_load(batch[1], ctx_list=ctx_list, batch_axis=0,
                                               even_split=False)
            with autograd.record():
                outputs = [net(X) for X in data]
                loss = [L(yhat, y) for yhat, y in zip(outputs, label)]
            autograd.backward(loss)
            trainer.step(batch[0].shape[0])
            train_metric.update(label, outputs)
        name, acc = train_metric.get()
        print('[Epoch %d] update_on_kvstore=%s training: %s=%f' % (epoch, update_on_kvstore,
                                                                  name, acc))
    print('shards', [d.shape[0] for d in data], [d.context for d in data])
    return net


a = train_two_contexts(True)
b = train_two_contexts(False)
show('kvstore update', a[3].weight.data(ctx_list[1])[0, :6])
print('same weights on both paths', np.allclose(a[3].weight.data().asnumpy(),
                                                b[3].weight.data().asnumpy(), atol=1e-6),
      'contexts agree', np.array_equal(a[3].weight.data(ctx_list[0]).asnumpy(),
                                       a[3].weight.data(ctx_list[1]).asnumpy()))

# ---------------------------------------------------------------- record files
rec_path, idx_path = os.path.join(tmp, 'data.rec'), os.path.join(tmp, 'data.idx')
record = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'w')
for i in range(6):
    header = mx.recordio.IRHeader(0, float(labels[i]), i, 0)
    s = mx.recordio.pack(header, features[i].tobytes())
    record.write_idx(i, s)
record.close()

record = mx.recordio.MXRecordIO(rec_path, 'r')
count = 0
while True:
    item = record.read()
    if not item:
        break
    header, payload = mx.recordio.unpack(item)
    count += 1
record.reset()
header, payload = mx.recordio.unpack(record.read())
record.close()
print('records', count, 'first header', header.flag, header.label, header.id, header.id2,
      'payload bytes', len(payload))

record = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'r')
header, payload = mx.recordio.unpack(record.read_idx(4))
record.close()
print('record 4', header.label, header.id, np.frombuffer(payload, dtype='float32')[:3].tolist())


def decode(item):
    header, payload = mx.recordio.unpack(item)
    return nd.array(np.frombuffer(payload, dtype='float32')), header.label


dataset = gluon.data.RecordFileDataset(rec_path)
print('RecordFileDataset', len(dataset), type(dataset[0]).__name__)
decoded = dataset.transform(decode)
for x, y in gluon.data.DataLoader(decoded, batch_size=4, last_batch='keep'):
    print('batch', x.shape, y.shape, y.asnumpy().tolist())

# ---------------------------------------------------------------- estimator, early stopping
net = classifier()
net.initialize(SeededInit(), ctx=ctx)
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
train_acc = mx.metric.Accuracy()
val_loss_metric = mx.metric.Loss('loss')
est = estimator.Estimator(net=net, loss=gluon.loss.SoftmaxCrossEntropyLoss(),
                          train_metrics=train_acc, val_metrics=[mx.metric.Accuracy(),
                                                                val_loss_metric],
                          trainer=trainer, context=ctx)
est.logger.setLevel(logging.ERROR)          # its log carries wall-clock timings
early_stopping = EarlyStoppingHandler(monitor=val_loss_metric, patience=1, mode='min')
est.fit(train_data=train_data, val_data=dev_data, epochs=8, event_handlers=[early_stopping])
print('stopped at epoch', early_stopping.stopped_epoch, 'current', early_stopping.current_epoch,
      'best %.5f' % early_stopping.best)
for metric in est.train_metrics + est.val_metrics:
    name, value = metric.get()
    print('%s %.6f' % (name, value))
