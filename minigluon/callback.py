"""``mx.callback``: the training-progress callbacks of MXNet 1.9.1, for hand-written loops.

MXNet's ``Module.fit`` calls these; Gluon scripts call them themselves, once per batch with a
:data:`minigluon.model.BatchEndParam` and once per epoch for checkpoints::

    speedometer = mx.callback.Speedometer(batch_size, 50)
    for nbatch, (data, label) in enumerate(train_data):
        ...
        metric.update([label], [output])
        speedometer(mx.model.BatchEndParam(epoch, nbatch, metric, locals()))

They report through :func:`logging.info` with MXNet's message formats (for example
``'Epoch[%d] Batch [%d-%d]\\tSpeed: %.2f samples/sec\\t%s=%f'``), so the log lines read as
MXNet's. ``module_checkpoint`` needs the Module API and raises
:class:`~minigluon.base.NotSupportedError`.
"""
import logging
import math
import time

from minigluon.base import NotSupportedError, check_int
from minigluon.model import save_checkpoint

__all__ = ['module_checkpoint', 'do_checkpoint', 'log_train_metric', 'Speedometer', 'ProgressBar',
           'LogValidationMetricsCallback']


def _period(period, what):
    """``period`` as an int of at least 1 (smaller values become 1, as in MXNet)."""
    if isinstance(period, float) and period.is_integer():
        period = int(period)
    return max(1, check_int(period, '%s: period' % what))


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """Not supported: it saves through ``Module.save_checkpoint``, and minigluon has no Module
    API. Use :func:`do_checkpoint` with ``net.export``'s symbol and parameters, or
    ``net.save_parameters`` and ``trainer.save_states``.

    Raises
    ------
    NotSupportedError
        Always.
    """
    raise NotSupportedError('mx.callback.module_checkpoint needs the Module API (mx.mod), which '
                            'minigluon does not provide; use mx.callback.do_checkpoint, or '
                            'net.save_parameters and trainer.save_states')


def do_checkpoint(prefix, period=1):
    """A callback ``f(iter_no, sym, arg, aux)`` that, after every ``period``-th epoch (when
    ``(iter_no + 1) % period == 0``), writes ``prefix-symbol.json`` and
    ``prefix-%04d.params`` (epoch ``iter_no + 1``) with :func:`minigluon.model.save_checkpoint`
    (atomically; it logs ``Saved checkpoint to "<file>"``).

    Parameters
    ----------
    prefix : str
        Path prefix of the files.
    period : int, default 1
        Epochs between checkpoints; values below 1 mean 1.
    """
    period = _period(period, 'do_checkpoint')

    def _callback(iter_no, sym, arg, aux):
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def log_train_metric(period, auto_reset=False):
    """A batch-end callback that logs ``'Iter[%d] Batch[%d] Train-%s=%f'`` (epoch, ``nbatch``,
    name, value) for each of the metric's values when ``nbatch % period == 0`` (batch 0
    included); with ``auto_reset`` the metric's local statistics are then reset
    (``reset_local``). Nothing is logged when ``eval_metric`` is None.

    Parameters
    ----------
    period : int
        Batches between logs (must be at least 1; MXNet divides by it).
    auto_reset : bool, default False
    """
    period = check_int(period, 'log_train_metric: period', minimum=1)

    def _callback(param):
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info('Iter[%d] Batch[%d] Train-%s=%f', param.epoch, param.nbatch, name, value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer:
    """A batch-end callback that logs the training speed, and the metric, every ``frequent``
    batches.

    The first call (and the first after ``nbatch`` goes down, i.e. a new epoch) starts the
    clock. Later, when ``nbatch % frequent == 0``, it logs the speed over the last ``frequent``
    batches, ``frequent * batch_size / seconds`` (``inf`` if no time passed), then restarts the
    clock:

    * with a metric and ``auto_reset``: ``'Epoch[%d] Batch [%d-%d]\\tSpeed: %.2f samples/sec'``
      followed by ``'\\t%s=%f'`` per metric value (the batches since the last log), after which
      the metric's local statistics are reset (``reset_local``; the values logged are read
      first);
    * with a metric, without ``auto_reset``: ``'Epoch[%d] Batch [0-%d]\\tSpeed: ...'`` and the
      values accumulated since the metric was last reset;
    * without a metric (``eval_metric`` None): ``'Iter[%d] Batch [%d]\\tSpeed: %.2f samples/sec'``.

    Parameters
    ----------
    batch_size : int
        Samples per batch.
    frequent : int, default 50
        Batches between logs (at least 1).
    auto_reset : bool, default True
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = check_int(frequent, 'Speedometer: frequent', minimum=1)
        self.init = False
        self.tic = 0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param):
        count = param.nbatch
        if self.last_count > count:          # a new epoch: start timing again
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed else float('inf')
        metric = param.eval_metric
        if metric is None:
            logging.info('Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec', param.epoch, count, speed)
        else:
            pairs = metric.get_name_value()
            values = [item for pair in pairs for item in pair]
            fmt = '\t%s=%f' * len(pairs)
            if self.auto_reset:
                metric.reset_local()
                logging.info('Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec' + fmt,
                             param.epoch, count - self.frequent, count, speed, *values)
            else:
                logging.info('Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec' + fmt,
                             param.epoch, count, speed, *values)
        self.tic = time.time()


class ProgressBar:
    """A batch-end callback that logs a text progress bar, ``'[%s] %s%s\\r'``: ``length``
    characters of ``=`` (done, rounded) and ``-``, the percentage ``ceil(100 * nbatch / total)``
    and ``%``.

    Parameters
    ----------
    total : int
        Batches per epoch (at least 1).
    length : int, default 80
        Characters in the bar.
    """

    def __init__(self, total, length=80):
        self.total = check_int(total, 'ProgressBar: total', minimum=1)
        self.bar_len = check_int(length, 'ProgressBar: length', minimum=0)

    def __call__(self, param):
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = '=' * filled + '-' * (self.bar_len - filled)
        logging.info('[%s] %s%s\r', bar, percents, '%')


class LogValidationMetricsCallback:
    """An epoch-end callback that logs ``'Epoch[%d] Validation-%s=%f'`` for each value of
    ``param.eval_metric`` (nothing when it is None)."""

    def __call__(self, param):
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info('Epoch[%d] Validation-%s=%f', param.epoch, name, value)
