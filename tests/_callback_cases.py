"""The callback scenarios, defined once for both frameworks: ``tools/gen_kvcallback_fixtures.py``
runs them on MXNet 1.9.1 (the oracle) and ``tests/test_callback.py`` on minigluon.

``run(mx, name)`` feeds the callback of case ``name`` with ``BatchEndParam``s and a metric
updated from seeded batches; the caller replaces ``time`` in the callback module by a
:class:`FakeClock` and collects ``logging`` messages with a :class:`Capture` handler.
"""
import logging

import numpy as np


class FakeClock:
    """``time.time()`` replacement: 100.0, then each call 0.5 s, 1.25 s, 0.5 s, ... later."""

    def __init__(self):
        self.now = 100.0
        self.calls = 0

    def time(self):
        self.calls += 1
        self.now += 0.5 if self.calls % 2 else 1.25
        return self.now


class Capture(logging.Handler):
    """A handler keeping the formatted messages it receives, in order."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def metric_feed(mx, metric, epoch, nbatch):
    rng = np.random.RandomState(100 * epoch + nbatch)
    pred = rng.uniform(0.05, 1, (4, 3))
    pred = pred / pred.sum(axis=1, keepdims=True)
    label = rng.randint(0, 3, (4,))
    metric.update([mx.nd.array(label)], [mx.nd.array(pred)])


def cases(mx):
    """name -> (make callback, make metric, epochs, batches per epoch)."""
    def composite():
        m = mx.metric.CompositeEvalMetric()
        m.add(mx.metric.Accuracy())
        m.add(mx.metric.CrossEntropy())
        return m
    return {
        'speedometer_reset': (lambda: mx.callback.Speedometer(4, 2), composite, 2, 6),
        'speedometer_noreset': (lambda: mx.callback.Speedometer(4, 3, auto_reset=False),
                                mx.metric.Accuracy, 2, 6),
        'speedometer_nometric': (lambda: mx.callback.Speedometer(16, 2), lambda: None, 2, 6),
        'log_train_metric': (lambda: mx.callback.log_train_metric(2), composite, 2, 6),
        'log_train_metric_reset': (lambda: mx.callback.log_train_metric(3, auto_reset=True),
                                   mx.metric.Accuracy, 2, 6),
        'progressbar': (lambda: mx.callback.ProgressBar(total=4, length=10), lambda: None, 1, 6),
        'validation': (lambda: mx.callback.LogValidationMetricsCallback(), composite, 2, 2),
        'validation_none': (lambda: mx.callback.LogValidationMetricsCallback(), lambda: None, 1, 1),
    }


def run(mx, name):
    """Drive case ``name``'s callback through its epochs and batches."""
    make_cb, make_metric, epochs, batches = cases(mx)[name]
    cb = make_cb()
    metric = make_metric()
    for epoch in range(epochs):
        if metric is not None:
            metric.reset()
        for nbatch in range(batches):
            if metric is not None:
                metric_feed(mx, metric, epoch, nbatch)
            cb(mx.model.BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=metric, locals=None))


def run_checkpoint(mx, prefix):
    """``do_checkpoint(prefix, period=2)`` called for epochs 0 to 4 on a one-layer graph."""
    sym = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    args = {'fc_weight': mx.nd.array([[1., 2.], [3., 4.]]), 'fc_bias': mx.nd.array([0.5, -0.5])}
    cb = mx.callback.do_checkpoint(prefix, period=2)
    for iter_no in range(5):
        cb(iter_no, sym, args, {})
