"""``Estimator``: the fit/evaluate loop of MXNet 1.9.1's ``gluon.contrib.estimator``."""
import copy
import logging
import sys
import warnings

from minigluon.base import MXNetValueError, check_int
from minigluon.context import Context, cpu, gpu, num_gpus
from minigluon.data import DataLoader
from minigluon.loss import Loss as GluonLoss
from minigluon.loss import SoftmaxCrossEntropyLoss
from minigluon.metric import Accuracy
from minigluon.metric import Loss as LossMetric
from minigluon.trainer import Trainer
from minigluon.contrib.estimator.batch_processor import BatchProcessor
from minigluon.contrib.estimator.event_handler import (
    BatchBegin, BatchEnd, EpochBegin, EpochEnd, GradientUpdateHandler, LoggingHandler, MetricHandler,
    StoppingHandler, TrainBegin, TrainEnd, ValidationHandler, _check_event_handlers, _check_metrics)

__all__ = ['Estimator']

_EVENTS = [(TrainBegin, 'train_begin'), (EpochBegin, 'epoch_begin'), (BatchBegin, 'batch_begin'),
           (BatchEnd, 'batch_end'), (EpochEnd, 'epoch_end'), (TrainEnd, 'train_end')]


class Estimator(object):
    """Train ``net`` with ``loss`` through event handlers (MXNet 1.9.1's
    ``gluon.contrib.estimator.Estimator``).

    Parameters
    ----------
    net : Block
        The model; initialized here (with ``initializer``) unless all its parameters already are.
    loss : gluon.loss.Loss
        The training loss (and the validation loss unless ``val_loss`` is given).
    train_metrics, val_metrics : EvalMetric or list of EvalMetric, optional
        Renamed ``'training <name>'`` / ``'validation <name>'``. Without ``train_metrics``:
        ``Accuracy`` for a ``SoftmaxCrossEntropyLoss``, plus an ``mx.metric.Loss`` named after the
        loss (``'training softmaxcrossentropyloss'``). Without ``val_metrics``: copies of the
        training metrics.
    initializer : Initializer, optional
    trainer : Trainer, optional
        Default: SGD with learning rate 0.001 (with a warning).
    context : Context or list of Context, optional
        Default: ``gpu(0)`` when a GPU is present, else ``cpu()``.
    val_net : Block, optional
        The model for validation (default ``net``), usually sharing ``net``'s parameters.
    val_loss : gluon.loss.Loss, optional
    batch_processor : BatchProcessor, optional
        Anything with ``fit_batch`` and ``evaluate_batch`` methods.

    Attributes
    ----------
    logger : logging.Logger
        A logger of its own ('Estimator', INFO, to ``sys.stdout``) used by the handlers.
    """

    logger = None

    def __init__(self, net, loss, train_metrics=None, val_metrics=None, initializer=None,
                 trainer=None, context=None, val_net=None, val_loss=None, batch_processor=None):
        self.net = net
        self.loss = self._check_loss(loss, 'loss')
        self._train_metrics = _check_metrics(train_metrics, 'train_metrics')
        self._val_metrics = _check_metrics(val_metrics, 'val_metrics')
        if not self._train_metrics:
            if isinstance(self.loss, SoftmaxCrossEntropyLoss):
                self._train_metrics.append(Accuracy())
            self._train_metrics.append(LossMetric(self.loss.name.rstrip('0123456789')))
        for metric in self._train_metrics:
            metric.name = 'training ' + metric.name
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(metric) for metric in self._train_metrics]
        for metric in self._val_metrics:
            if 'training' in metric.name:
                metric.name = metric.name.replace('training', 'validation')
            else:
                metric.name = 'validation ' + metric.name
        self.val_loss = self.loss if val_loss is None else self._check_loss(val_loss, 'val_loss')
        self.val_net = net if val_net is None else val_net
        self.logger = logging.Logger(name='Estimator', level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch = self.max_batch = None
        self.batch_axis = 0

    # -- argument checks ------------------------------------------------------------------------
    @staticmethod
    def _check_loss(loss, what):
        if not isinstance(loss, GluonLoss):
            raise MXNetValueError('Estimator: %s must be a gluon.loss.Loss, got %r' % (what, loss))
        return loss

    @staticmethod
    def _check_context(context):
        if context is None or context == []:
            return [gpu(0)] if num_gpus() > 0 else [cpu()]
        if isinstance(context, Context):
            context = [context]
        if not isinstance(context, (list, tuple)) or not all(isinstance(c, Context) for c in context):
            raise MXNetValueError('Estimator: context must be a Context or a list of Context, such '
                                  'as mx.cpu() or [mx.gpu(0), mx.gpu(1)]; got %r' % (context,))
        gpus = num_gpus()
        for ctx in context:
            if ctx.device_type == 'gpu' and ctx.device_id >= gpus:
                raise MXNetValueError('Estimator: context %s is not available (%d GPUs); use mx.cpu()'
                                      '%s' % (ctx, gpus, ''.join(', mx.gpu(%d)' % i for i in range(gpus))))
        return list(context)

    def _initialize(self, initializer):
        params = self.net.collect_params()
        try:
            for name in params:
                params[name].list_ctx()
            initialized = True
        except RuntimeError:
            initialized = False
        if not initialized:
            if initializer is not None:
                self.net.initialize(init=initializer, ctx=self.context)
            else:
                self.net.initialize(ctx=self.context)
        elif initializer is not None:
            warnings.warn('Estimator: the network is already initialized, so initializer is not '
                          'used; call net.initialize(init=..., force_reinit=True) to re-initialize')

    def _check_trainer(self, trainer):
        if trainer is None:
            warnings.warn('Estimator: no trainer given, using SGD with learning rate 0.001')
            return Trainer(self.net.collect_params(), 'sgd', {'learning_rate': 0.001})
        if not isinstance(trainer, Trainer):
            raise MXNetValueError('Estimator: trainer must be a gluon.Trainer, got %r' % (trainer,))
        return trainer

    @staticmethod
    def _check_batch_processor(batch_processor):
        if batch_processor is None:
            return BatchProcessor()
        if not (callable(getattr(batch_processor, 'fit_batch', None))
                and callable(getattr(batch_processor, 'evaluate_batch', None))):
            raise MXNetValueError('Estimator: batch_processor must have fit_batch() and '
                                  'evaluate_batch() methods (subclass BatchProcessor), got %r'
                                  % (batch_processor,))
        return batch_processor

    @staticmethod
    def _check_loader(data, what):
        if not isinstance(data, DataLoader):
            raise MXNetValueError('Estimator: %s must be a gluon.data.DataLoader (wrap arrays in '
                                  'gluon.data.ArrayDataset and a DataLoader), got %s'
                                  % (what, type(data).__name__))

    @property
    def train_metrics(self):
        """The training metrics (a list of EvalMetric)."""
        return self._train_metrics

    @property
    def val_metrics(self):
        """The validation metrics (a list of EvalMetric)."""
        return self._val_metrics

    # -- handlers -------------------------------------------------------------------------------
    def _with_defaults(self, event_handlers, defaults, known_metrics):
        """The user's handlers, then each default whose class the user did not give, sorted by
        priority (stable, so ties keep this order)."""
        handlers = _check_event_handlers(event_handlers)
        added = [h for h in defaults
                 if isinstance(h, StoppingHandler) or not any(isinstance(u, type(h)) for u in handlers)]
        if handlers and added:
            # defaults update and log the estimator's metrics; a handler holding others would
            # see metrics nobody updates
            for handler in handlers + added:
                for attr, value in vars(handler).items():
                    if 'metric' not in attr or not value:
                        continue
                    for metric in value if isinstance(value, list) else [value]:
                        if not any(metric is known for known in known_metrics):
                            raise MXNetValueError(
                                'Estimator: event handler %s refers to metric %r (attribute %s) '
                                'that is not one of estimator.train_metrics or '
                                'estimator.val_metrics; use those instances'
                                % (type(handler).__name__, metric, attr))
        handlers.extend(added)
        handlers.sort(key=lambda h: getattr(h, 'priority', 0))
        return {method: [h for h in handlers if isinstance(h, mixin)] for mixin, method in _EVENTS}

    # -- loops ----------------------------------------------------------------------------------
    def evaluate(self, val_data, batch_axis=0, event_handlers=None):
        """Run ``val_net`` over ``val_data`` and update :attr:`val_metrics` (reset first).

        A MetricHandler and a LoggingHandler over the validation metrics are added unless
        ``event_handlers`` holds one of that class; epoch and batch events are sent, train events
        are not.
        """
        self._check_loader(val_data, 'val_data')
        for metric in self.val_metrics:
            metric.reset()
        events = self._with_defaults(
            event_handlers, [MetricHandler(metrics=self.val_metrics),
                             LoggingHandler(metrics=self.val_metrics)], self.val_metrics)
        for handler in events['epoch_begin']:
            handler.epoch_begin(self)
        for batch in val_data:
            for handler in events['batch_begin']:
                handler.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            for handler in events['batch_end']:
                handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for handler in events['epoch_end']:
            handler.epoch_end(self)

    def fit(self, train_data, val_data=None, epochs=None, event_handlers=None, batches=None,
            batch_axis=0):
        """Train on ``train_data`` for ``epochs`` passes or ``batches`` batches (exactly one).

        Besides ``event_handlers``, a StoppingHandler is always added, and a
        GradientUpdateHandler, MetricHandler (training metrics), LoggingHandler (training
        metrics) and, with ``val_data``, a ValidationHandler (``self.evaluate`` each epoch) unless
        a handler of that class is given. An epoch ends early when a ``batch_end`` returns True,
        training when an ``epoch_end`` does.
        """
        self._check_loader(train_data, 'train_data')
        if val_data is not None:
            self._check_loader(val_data, 'val_data')
        if (epochs is None) == (batches is None):
            raise MXNetValueError('Estimator.fit: give exactly one of epochs and batches, got '
                                  'epochs=%r, batches=%r' % (epochs, batches))
        self.max_epoch = None if epochs is None else check_int(epochs, 'Estimator.fit: epochs', 1)
        self.max_batch = None if batches is None else check_int(batches, 'Estimator.fit: batches', 1)
        self.batch_axis = check_int(batch_axis, 'Estimator.fit: batch_axis')
        defaults = [StoppingHandler(self.max_epoch, self.max_batch), GradientUpdateHandler(),
                    MetricHandler(metrics=self.train_metrics)]
        if val_data is not None:
            defaults.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        defaults.append(LoggingHandler(metrics=self.train_metrics))
        events = self._with_defaults(event_handlers, defaults,
                                     self.train_metrics + self.val_metrics)
        for handler in events['train_begin']:
            handler.train_begin(self)
        while True:
            for handler in events['epoch_begin']:
                handler.epoch_begin(self)
            for batch in train_data:
                for handler in events['batch_begin']:
                    handler.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                # every handler sees the batch, then any True ends the epoch
                stop = [handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                        for handler in events['batch_end']]
                if any(stop):
                    break
            stop = [handler.epoch_end(self) for handler in events['epoch_end']]
            if any(stop):
                break
        for handler in events['train_end']:
            handler.train_end(self)
