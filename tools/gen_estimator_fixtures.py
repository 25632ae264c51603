"""Record what MXNet 1.9.1's gluon.contrib.estimator does on a tiny deterministic model (run in
the MXNet venv):

    /opt/mxvenv/bin/python tools/gen_estimator_fixtures.py

Writes tests/fixtures/estimator/expected.json (per-epoch ``metric.get()`` of the train and
validation metrics, the checkpoint file names present after each epoch and at the end, when
early stopping stopped, the order custom handlers ran in, the log lines with times blanked) and
weights_<scenario>.npz (final weights, in ``collect_params()`` order as p0, p1...).
tests/test_estimator.py imports :func:`run_scenarios` from here and runs it on minigluon, so
both sides run the same code.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'estimator')


def _net(mx):
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(5, activation='tanh', in_units=3), mx.gluon.nn.Dense(3, in_units=5))
    net.initialize()
    rng = np.random.RandomState(7)
    for param in net.collect_params().values():
        param.set_data(mx.nd.array(rng.uniform(-0.8, 0.8, param.shape)))
    return net


def _loaders(mx):
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (20, 3)).astype('float32')
    y = (x.sum(axis=1) > 0).astype('float32') + (x[:, 0] > 0.5)
    vx = rng.uniform(-1, 1, (10, 3)).astype('float32')
    vy = (vx.sum(axis=1) > 0).astype('float32') + (vx[:, 0] > 0.5)
    data = mx.gluon.data
    train = data.DataLoader(data.ArrayDataset(mx.nd.array(x), mx.nd.array(y)), batch_size=6,
                            shuffle=False)
    val = data.DataLoader(data.ArrayDataset(mx.nd.array(vx), mx.nd.array(vy)), batch_size=5,
                          shuffle=False)
    return train, val


def _weights(net):
    return {'p%d' % i: p.data().asnumpy() for i, p in enumerate(net.collect_params().values())}


def _make(mx, **trainer_kw):
    net = _net(mx)
    est_mod = mx.gluon.contrib.estimator
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', dict({'learning_rate': 0.2}, **trainer_kw))
    # the net's own context: without one, the Estimator takes gpu(0) wherever a GPU is present
    est = est_mod.Estimator(net, mx.gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer,
                            context=mx.current_context())
    lines = []

    class Capture(__import__('logging').Handler):
        def emit(self, record):
            # blank the timings, keep everything else
            msg = re.sub(r'\d+\.\d+s', 'Ts', record.getMessage())
            lines.append(re.sub(r'total \d+s', 'total Ts', msg))
    est.logger.handlers = [Capture()]
    return net, est, lines


def _recorder(mx, est, model_dir, log):
    est_mod = mx.gluon.contrib.estimator

    class Record(est_mod.EpochEnd):
        def epoch_end(self, estimator, *args, **kwargs):
            log.append({'train': [list(m.get()) for m in estimator.train_metrics],
                        'val': [list(m.get()) for m in estimator.val_metrics],
                        'files': sorted(os.listdir(model_dir)) if model_dir else []})
            return False
    return Record()


def _files(model_dir):
    return sorted(os.listdir(model_dir))


def run_scenarios(mx, workdir):
    """Run every scenario with ``mx`` (mxnet or minigluon), files under ``workdir``; returns
    (results for expected.json, {scenario: weights dict})."""
    est_mod = mx.gluon.contrib.estimator
    results, weights = {}, {}
    warnings.simplefilter('ignore')

    # 1. epochs, validation, checkpoints by epoch and batch with a best model, early stopping
    train, val = _loaders(mx)
    net, est, lines = _make(mx)
    model_dir = os.path.join(workdir, 'ckpt1')
    epochs = []
    ckpt = est_mod.CheckpointHandler(model_dir, model_prefix='m', monitor=est.val_metrics[1],
                                     save_best=True, mode='min', epoch_period=1, batch_period=3,
                                     max_checkpoints=3)
    # validation loss falls, so mode='max' sees no improvement after the first epoch
    stop = est_mod.EarlyStoppingHandler(monitor=est.val_metrics[1], mode='max', patience=2)
    est.fit(train, val_data=val, epochs=6, event_handlers=[ckpt, stop, _recorder(mx, est, model_dir, epochs)])
    results['fit_epochs'] = {'epochs': epochs, 'files': _files(model_dir), 'log': lines,
                             'stopped_epoch': stop.stopped_epoch, 'best': float(ckpt.best),
                             'metric_names': [m.name for m in est.train_metrics + est.val_metrics]}
    weights['fit_epochs'] = _weights(net)

    # 2. batches= crossing an epoch boundary, logging every 2 batches, checkpoints every 2 batches
    train, val = _loaders(mx)
    net, est, lines = _make(mx, momentum=0.9)
    model_dir = os.path.join(workdir, 'ckpt2')
    epochs = []
    ckpt = est_mod.CheckpointHandler(model_dir, epoch_period=None, batch_period=2)
    logging_handler = est_mod.LoggingHandler(log_interval=2, metrics=est.train_metrics)
    est.fit(train, val_data=val, batches=6,
            event_handlers=[ckpt, logging_handler, _recorder(mx, est, model_dir, epochs)])
    results['fit_batches'] = {'epochs': epochs, 'files': _files(model_dir), 'log': lines}
    weights['fit_batches'] = _weights(net)

    # 3. resume: 2 epochs with momentum, then a fresh estimator resumes to 4 epochs
    train, val = _loaders(mx)
    net, est, lines = _make(mx, momentum=0.9)
    model_dir = os.path.join(workdir, 'ckpt3')
    est.fit(train, epochs=2, event_handlers=[est_mod.CheckpointHandler(model_dir, epoch_period=1)])
    first = _files(model_dir)
    net, est, lines = _make(mx, momentum=0.9)
    epochs = []
    est.fit(train, epochs=4, event_handlers=[
        est_mod.CheckpointHandler(model_dir, epoch_period=1, resume_from_checkpoint=True),
        _recorder(mx, est, model_dir, epochs)])
    results['resume'] = {'first': first, 'epochs': epochs, 'files': _files(model_dir),
                         'log': lines}
    weights['resume'] = _weights(net)

    # 4. evaluate alone
    train, val = _loaders(mx)
    net, est, lines = _make(mx)
    est.evaluate(val)
    results['evaluate'] = {'val': [list(m.get()) for m in est.val_metrics], 'log': lines}

    # 5. the order custom handlers run in, around the default ones
    train, val = _loaders(mx)
    net, est, lines = _make(mx)
    calls = []
    loss_metric = est.train_metrics[1]

    class Probe(est_mod.TrainBegin, est_mod.TrainEnd, est_mod.EpochBegin, est_mod.EpochEnd,
                est_mod.BatchBegin, est_mod.BatchEnd):
        def __init__(self, tag, priority=None):
            self.tag = tag
            if priority is not None:
                self.priority = priority

        def _note(self, event):
            # num_inst tells whether MetricHandler already ran on this batch
            calls.append([self.tag, event, loss_metric.num_inst])

        def train_begin(self, estimator, *args, **kwargs):
            self._note('train_begin')

        def train_end(self, estimator, *args, **kwargs):
            self._note('train_end')

        def epoch_begin(self, estimator, *args, **kwargs):
            self._note('epoch_begin')

        def epoch_end(self, estimator, *args, **kwargs):
            self._note('epoch_end')
            return False

        def batch_begin(self, estimator, *args, **kwargs):
            self._note('batch_begin')

        def batch_end(self, estimator, *args, **kwargs):
            self._note('batch_end')
            return False
    handlers = [Probe('late', 10), Probe('plain'), Probe('first', -5000), Probe('between', -1500),
                Probe('after_metric', -999), Probe('last', float('inf'))]
    est.fit(train, batches=2, event_handlers=handlers)
    results['order'] = calls
    return results, weights


def main():
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    workdir = tempfile.mkdtemp()
    try:
        results, weights = run_scenarios(mx, workdir)
    finally:
        shutil.rmtree(workdir)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(results, f, indent=1, sort_keys=True)
    for name, arrays in weights.items():
        np.savez(os.path.join(OUT, 'weights_%s.npz' % name), **arrays)
    print('wrote', sorted(os.listdir(OUT)), file=sys.stderr)


if __name__ == '__main__':
    main()
