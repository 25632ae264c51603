"""Event handlers of :class:`~minigluon.contrib.estimator.Estimator` (MXNet 1.9.1's
``gluon.contrib.estimator.event_handler``).

A handler subclasses the mixins of the events it reacts to (:class:`TrainBegin`,
:class:`EpochBegin`, :class:`BatchBegin`, :class:`BatchEnd`, :class:`EpochEnd`,
:class:`TrainEnd`); ``batch_end`` and ``epoch_end`` return True to stop training. Handlers run in
ascending ``priority`` (0 when absent; ties keep the order given, the user's before the defaults):
:class:`GradientUpdateHandler` -2000, :class:`MetricHandler` and :class:`ValidationHandler` -1000,
:class:`LoggingHandler` +inf.
"""
import math
import time
import warnings

from minigluon.base import MXNetTypeError, MXNetValueError
from minigluon.metric import CompositeEvalMetric, EvalMetric
from minigluon.metric import Loss as LossMetric

__all__ = ['TrainBegin', 'TrainEnd', 'EpochBegin', 'EpochEnd', 'BatchBegin', 'BatchEnd',
           'StoppingHandler', 'MetricHandler', 'ValidationHandler', 'LoggingHandler',
           'CheckpointHandler', 'EarlyStoppingHandler', 'GradientUpdateHandler']


def _check_metrics(metrics, what='metrics'):
    """``metrics`` as a list of EvalMetric (a CompositeEvalMetric is flattened; None is [])."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for child in metrics.metrics for m in _check_metrics(child, what)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    if metrics is None:
        return []
    if not isinstance(metrics, (list, tuple)) or not all(isinstance(m, EvalMetric) for m in metrics):
        raise MXNetValueError('%s must be an EvalMetric or a list of EvalMetric (mx.metric), got %r'
                              % (what, metrics))
    return list(metrics)


class EventHandler(object):
    """Base of the event mixins."""


def _check_event_handlers(handlers):
    """``handlers`` as a new list of EventHandler (None is [])."""
    if isinstance(handlers, EventHandler):
        return [handlers]
    if handlers is None:
        return []
    if not isinstance(handlers, (list, tuple)) or not all(isinstance(h, EventHandler) for h in handlers):
        raise MXNetValueError('event_handlers must be an EventHandler or a list of EventHandler '
                              '(subclasses of TrainBegin, EpochEnd, BatchEnd...), got %r' % (handlers,))
    return list(handlers)


class TrainBegin(EventHandler):
    """Mixin: ``train_begin(estimator)`` runs once before the first epoch of ``fit``."""

    def train_begin(self, estimator, *args, **kwargs):
        pass


class TrainEnd(EventHandler):
    """Mixin: ``train_end(estimator)`` runs once after the last epoch of ``fit``."""

    def train_end(self, estimator, *args, **kwargs):
        pass


class EpochBegin(EventHandler):
    """Mixin: ``epoch_begin(estimator)`` runs before each pass over the data."""

    def epoch_begin(self, estimator, *args, **kwargs):
        pass


class EpochEnd(EventHandler):
    """Mixin: ``epoch_end(estimator)`` runs after each pass; returning True ends training."""

    def epoch_end(self, estimator, *args, **kwargs):
        return False


class BatchBegin(EventHandler):
    """Mixin: ``batch_begin(estimator, batch=...)`` runs before each batch."""

    def batch_begin(self, estimator, *args, **kwargs):
        pass


class BatchEnd(EventHandler):
    """Mixin: ``batch_end(estimator, batch=, pred=, label=, loss=)`` runs after each batch;
    returning True ends the epoch (and, through :class:`StoppingHandler`, training)."""

    def batch_end(self, estimator, *args, **kwargs):
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops ``fit`` after ``estimator.max_epoch`` epochs or ``estimator.max_batch`` batches
    (counted over all epochs). ``fit`` always adds one."""

    def __init__(self, max_epoch=None, max_batch=None):
        self.max_epoch = max_epoch
        self.max_batch = max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.max_epoch = estimator.max_epoch
        self.max_batch = estimator.max_batch
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.current_batch == self.max_batch:
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.current_epoch == self.max_epoch:
            self.stop_training = True
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Resets ``metrics`` at each epoch's start and updates them after each batch: an
    ``mx.metric.Loss`` with the batch's losses, any other metric with ``(label, pred)``."""

    def __init__(self, metrics, priority=-1000):
        self.metrics = _check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            if isinstance(metric, LossMetric):
                metric.update(0, kwargs['loss'])
            else:
                metric.update(kwargs['label'], kwargs['pred'])


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Calls ``eval_fn(val_data=, batch_axis=, event_handlers=)`` (normally
    ``estimator.evaluate``) every ``epoch_period`` epochs and every ``batch_period`` batches
    (None or 0 turns either off). ``fit`` adds one when given ``val_data``."""

    def __init__(self, val_data, eval_fn, epoch_period=1, batch_period=None, priority=-1000,
                 event_handlers=None):
        if not callable(eval_fn):
            raise MXNetTypeError('ValidationHandler: eval_fn must be callable (such as '
                                 'estimator.evaluate), got %r' % (eval_fn,))
        self.val_data = val_data
        self.eval_fn = eval_fn
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.priority = priority
        self.event_handlers = event_handlers
        self.current_batch = 0
        self.current_epoch = 0

    def _evaluate(self, estimator):
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis,
                     event_handlers=self.event_handlers)

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._evaluate(estimator)

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._evaluate(estimator)


def _metric_text(metrics):
    return ', '.join('%s: %.4f' % metric.get() for metric in metrics)


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Logs progress and ``metrics`` to ``estimator.logger``: at training start and end, at each
    epoch's start and end, and with an int ``log_interval`` also every ``log_interval`` batches
    (from batch 0 of each epoch)."""

    def __init__(self, log_interval='epoch', metrics=None, priority=math.inf):
        if log_interval != 'epoch' and (isinstance(log_interval, bool) or not isinstance(log_interval, int)):
            raise MXNetValueError("LoggingHandler: log_interval must be an int or the string 'epoch', "
                                  "got %r" % (log_interval,))
        if isinstance(log_interval, int) and log_interval < 1:
            raise MXNetValueError('LoggingHandler: log_interval must be >= 1, got %d' % log_interval)
        self.metrics = _check_metrics(metrics)
        self.log_interval = log_interval
        self.priority = priority
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.log_interval_time = 0
        self.train_start = self.epoch_start = self.batch_start = time.time()

    def _log(self, estimator, msg, *args):
        estimator.logger.info(msg, *args)

    def train_begin(self, estimator, *args, **kwargs):
        self.train_start = time.time()
        trainer = estimator.trainer
        self._log(estimator, 'Training begin: using optimizer %s with current learning rate %.4f ',
                  type(trainer.optimizer).__name__, trainer.learning_rate)
        if estimator.max_epoch:
            self._log(estimator, 'Train for %d epochs.', estimator.max_epoch)
        else:
            self._log(estimator, 'Train for %d batches.', estimator.max_batch)
        self.current_epoch = 0
        self.batch_index = 0
        self.processed_samples = 0
        self.log_interval_time = 0

    def train_end(self, estimator, *args, **kwargs):
        msg = 'Train finished using total %ds with %d epochs. ' % (time.time() - self.train_start,
                                                                  self.current_epoch)
        self._log(estimator, (msg + _metric_text(self.metrics)).rstrip(', '))

    def batch_begin(self, estimator, *args, **kwargs):
        if self.log_interval != 'epoch':
            self.batch_start = time.time()

    def batch_end(self, estimator, *args, **kwargs):
        if self.log_interval != 'epoch':
            self.processed_samples += kwargs['batch'][0].shape[0]
            self.log_interval_time += time.time() - self.batch_start
            if self.batch_index % self.log_interval == 0:
                msg = '[Epoch %d][Batch %d][Samples %s] time/interval: %.3fs ' % (
                    self.current_epoch, self.batch_index, self.processed_samples,
                    self.log_interval_time)
                self.log_interval_time = 0
                self._log(estimator, (msg + _metric_text(self.metrics)).rstrip(', '))
        self.batch_index += 1

    def epoch_begin(self, estimator, *args, **kwargs):
        self.epoch_start = time.time()
        if any('training' in metric.name for metric in self.metrics):
            self._log(estimator, '[Epoch %d] Begin, current learning rate: %.4f',
                      self.current_epoch, estimator.trainer.learning_rate)
        else:
            self._log(estimator, 'Validation Begin')

    def epoch_end(self, estimator, *args, **kwargs):
        msg = '[Epoch %d] Finished in %.3fs, ' % (self.current_epoch, time.time() - self.epoch_start)
        self._log(estimator, (msg + _metric_text(self.metrics)).rstrip(', '))
        self.current_epoch += 1
        self.batch_index = 0


class GradientUpdateHandler(BatchEnd):
    """Calls ``estimator.trainer.step(batch_size)`` after each batch, ``batch_size`` being the
    summed first dimension of the batch's losses. ``fit`` adds one unless given one."""

    def __init__(self, priority=-2000):
        self.priority = priority

    def batch_end(self, estimator, *args, **kwargs):
        loss = kwargs['loss']
        if not isinstance(loss, (list, tuple)):
            loss = [loss]
        estimator.trainer.step(sum(value.shape[0] for value in loss))


def _comparison(monitor, mode, who):
    """(greater, mode) for ``mode`` 'min', 'max' or 'auto' (max when the monitored metric's
    name holds 'acc' or 'f1', min otherwise)."""
    if mode not in ('auto', 'min', 'max'):
        warnings.warn("%s: mode %r is unknown, using 'auto'" % (who, mode), RuntimeWarning)
        mode = 'auto'
    if mode == 'auto':
        name = monitor.get()[0]
        mode = 'max' if ('acc' in name.lower() or 'f1' in name.lower()) else 'min'
        # MXNet 1.9.1 warns here too, so that a choice made from the name is never silent
        warnings.warn("%s: mode='auto' will %s %s; pass mode='max' or mode='min' to choose "
                      "(and silence this warning)"
                      % (who, 'maximise' if mode == 'max' else 'minimise', name), UserWarning)
    return mode == 'max'


def _monitor_value(monitor, who):
    """The monitor's value, or None (with a warning) while it has no updates."""
    name, value = monitor.get()
    if isinstance(value, float) and math.isnan(value):
        warnings.warn('%s: %s has no value yet (NaN); make sure the monitor is one of '
                      'estimator.train_metrics or estimator.val_metrics' % (who, name), RuntimeWarning)
        return None
    return value


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops training when ``monitor`` (a metric of ``estimator.train_metrics`` or
    ``estimator.val_metrics``) has not improved on the best value by more than ``min_delta`` for
    ``patience`` epochs in a row (``patience=0`` stops at the first epoch without improvement).
    ``mode``: 'min', 'max', or 'auto' (max for names holding 'acc' or 'f1'). ``baseline``: the
    value to beat at the start (default: none).
    """

    def __init__(self, monitor, min_delta=0, patience=0, mode='auto', baseline=None):
        if not isinstance(monitor, EvalMetric):
            raise MXNetValueError('EarlyStoppingHandler: monitor must be one of the metrics of '
                                  'estimator.train_metrics or estimator.val_metrics, got %r' % (monitor,))
        if isinstance(monitor, CompositeEvalMetric):
            raise MXNetValueError('EarlyStoppingHandler: monitor cannot be a CompositeEvalMetric; '
                                  'pass one of its metrics')
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.greater = _comparison(monitor, mode, 'EarlyStoppingHandler')
        # improvement means value - min_delta > best (max) or value + min_delta < best (min)
        self.min_delta = min_delta if self.greater else -min_delta
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.best = None

    def train_begin(self, estimator, *args, **kwargs):
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = -math.inf if self.greater else math.inf

    def epoch_end(self, estimator, *args, **kwargs):
        value = _monitor_value(self.monitor, 'EarlyStoppingHandler')
        if value is not None:
            shifted = value - self.min_delta
            if (shifted > self.best) if self.greater else (shifted < self.best):
                self.best = value
                self.wait = 0
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = self.current_epoch
                    self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator, *args, **kwargs):
        if self.stopped_epoch > 0:
            estimator.logger.info('[Epoch %d] EarlyStoppingHandler: early stopping due to %s '
                                  'not improving', self.stopped_epoch, self.monitor.get()[0])


# defined in its own file; imported last because it builds on the mixins above
from minigluon.contrib.estimator.checkpoint import CheckpointHandler  # noqa: E402,F401
