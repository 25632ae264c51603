"""``CheckpointHandler``: periodic (and best-so-far) saves of the parameters and trainer states
during ``Estimator.fit``, and resuming from the latest one."""
import contextlib
import errno
import math
import os
import re
import tempfile

from minigluon.base import (MXNetFileNotFoundError, MXNetNotADirectoryError, MXNetValueError,
                            as_mxnet_error, check_int)
from minigluon.metric import EvalMetric
from minigluon.utils import replace_file
from minigluon.contrib.estimator.event_handler import (BatchEnd, EpochEnd, TrainBegin, _comparison,
                                                       _monitor_value)

__all__ = ['CheckpointHandler']


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Save ``<model_prefix>-epoch<E>batch<B>.params`` and ``.states`` (``net.save_parameters``
    and ``trainer.save_states``, both atomic, no pickle) in ``model_dir`` every ``epoch_period``
    epochs and every ``batch_period`` batches (None or 0 turns either off). ``E`` is the 0-based
    epoch being trained and ``B`` the number of batches trained before this one (at an epoch's
    end: all batches so far). Only the newest ``max_checkpoints`` of these are kept.

    With ``save_best=True``, ``monitor`` (a metric of ``estimator.train_metrics`` or
    ``estimator.val_metrics``) is checked at each save and ``<model_prefix>-best.params`` /
    ``.states`` are written when it improves (``mode`` 'min', 'max', or 'auto': max for names
    holding 'acc' or 'f1'). After the first batch a hybridized net's graph is written as
    ``<model_prefix>-symbol.json``.

    With ``resume_from_checkpoint=True``, training starts from the newest checkpoint in
    ``model_dir`` (highest epoch, then highest batch) and only runs the epochs or batches left;
    save by the same kind of period that ``fit`` counts (``epochs`` with ``epoch_period`` only,
    ``batches`` with ``batch_period`` only).
    """

    def __init__(self, model_dir, model_prefix='model', monitor=None, verbose=0, save_best=False,
                 mode='auto', epoch_period=1, batch_period=None, max_checkpoints=5,
                 resume_from_checkpoint=False):
        if not isinstance(model_prefix, str) or not model_prefix or os.sep in model_prefix:
            raise MXNetValueError('CheckpointHandler: model_prefix must be a non-empty file name '
                                  'without %r, got %r' % (os.sep, model_prefix))
        for what, value in (('epoch_period', epoch_period), ('batch_period', batch_period)):
            if value is not None:
                check_int(value, 'CheckpointHandler: ' + what, 0)
        self.max_checkpoints = check_int(max_checkpoints, 'CheckpointHandler: max_checkpoints', 1)
        if save_best and not isinstance(monitor, EvalMetric):
            raise MXNetValueError('CheckpointHandler: save_best=True needs monitor, one of the metrics '
                                  'of estimator.train_metrics or estimator.val_metrics; got %r'
                                  % (monitor,))
        if os.path.exists(model_dir) and not os.path.isdir(model_dir):
            raise MXNetNotADirectoryError(errno.ENOTDIR, 'CheckpointHandler: model_dir is a file, '
                                          'not a folder', model_dir)
        try:
            os.makedirs(model_dir, exist_ok=True)
        except OSError as err:       # unwritable parent, a file on the way...
            raise as_mxnet_error(err) from None
        self.model_dir = model_dir
        self.model_prefix = model_prefix
        self.monitor = monitor
        self.verbose = verbose
        self.save_best = save_best
        self.greater = _comparison(monitor, mode, 'CheckpointHandler') if save_best else False
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.resume_from_checkpoint = resume_from_checkpoint
        self.saved_checkpoints = []
        self.current_batch = 0
        self.current_epoch = 0
        self.trained_epoch = self.trained_batch = -1
        self.best = None

    def train_begin(self, estimator, *args, **kwargs):
        self.current_epoch = 0
        self.current_batch = 0
        self.trained_epoch = self.trained_batch = -1
        self.best = -math.inf if self.greater else math.inf
        if self.resume_from_checkpoint:
            if estimator.max_batch and (not self.batch_period or self.epoch_period):
                raise MXNetValueError('CheckpointHandler: to resume a fit(batches=...), save by '
                                      'batch_period only (set epoch_period=None)')
            if estimator.max_epoch and (not self.epoch_period or self.batch_period):
                raise MXNetValueError('CheckpointHandler: to resume a fit(epochs=...), save by '
                                      'epoch_period only (set batch_period=None)')
            self._resume(estimator)

    def batch_end(self, estimator, *args, **kwargs):
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator, *args, **kwargs):
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    def _save_checkpoint(self, estimator):
        epoch, batch = self.current_epoch, self.current_batch
        if self.trained_epoch >= 0:  # resumed: continue the numbering of the loaded checkpoint
            epoch += self.trained_epoch + 1
            batch += self.trained_batch + (0 if estimator.max_epoch else 1)
        prefix = '%s-epoch%dbatch%d' % (self.model_prefix, epoch, batch)
        self._save(estimator, prefix)
        self.saved_checkpoints.append(prefix)
        while len(self.saved_checkpoints) > self.max_checkpoints:
            old = self.saved_checkpoints.pop(0)
            for ext in ('.params', '.states'):
                path = os.path.join(self.model_dir, old + ext)
                if os.path.exists(path):
                    os.remove(path)
        if self.verbose > 0:
            estimator.logger.info('[Epoch %d] CheckpointHandler: trained total %d batches, saving '
                                  'model at %s with prefix: %s', self.current_epoch,
                                  self.current_batch + 1, self.model_dir, prefix)
        if self.save_best:
            value = _monitor_value(self.monitor, 'CheckpointHandler')
            if value is None:
                return
            if (value > self.best) if self.greater else (value < self.best):
                if self.verbose > 0:
                    estimator.logger.info('[Epoch %d] CheckpointHandler: %s improved from %0.5f to '
                                          '%0.5f, updating best model at %s with prefix: %s-best',
                                          self.current_epoch, self.monitor.get()[0], self.best,
                                          value, self.model_dir, self.model_prefix)
                self._save(estimator, self.model_prefix + '-best')
                self.best = value
            elif self.verbose > 0:
                estimator.logger.info('[Epoch %d] CheckpointHandler: %s did not improve from '
                                      '%0.5f, skipping updating best model', self.current_epoch,
                                      self.monitor.get()[0], self.best)

    def _save(self, estimator, prefix):
        """Write ``prefix.params`` and ``prefix.states`` as a pair: both are saved under
        ``.part`` names first and renamed only once both are complete, so a failure (a full disk)
        leaves neither a new ``.params`` without its ``.states`` (a resume would stop at it) nor,
        for ``-best``, a new ``.params`` beside the previous ``.states``."""
        base = os.path.join(self.model_dir, prefix)
        parts = {base + '.params.part': base + '.params', base + '.states.part': base + '.states'}
        try:
            params_part, states_part = parts
            estimator.net.save_parameters(params_part)
            estimator.trainer.save_states(states_part)
            replace_file(states_part, parts[states_part])   # .states first: a resume starts
            replace_file(params_part, parts[params_part])   # from the .params it finds
        finally:
            for part in parts:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(part)

    def _save_symbol(self, estimator):
        symbol_file = os.path.join(self.model_dir, self.model_prefix + '-symbol.json')
        graph = getattr(estimator.net, '_cached_graph', None)
        if graph:
            graph[1].save(symbol_file)
        else:
            estimator.logger.info('Model architecture (symbol file) is not saved: build the model '
                                  'from HybridBlocks and call net.hybridize() before fit to save '
                                  'it as %s.', symbol_file)

    def _resume(self, estimator):
        pattern = re.compile(r'^%s-epoch(\d+)batch(\d+)\.params$' % re.escape(self.model_prefix))
        found = [tuple(int(g) for g in m.groups())
                 for m in map(pattern.match, os.listdir(self.model_dir)) if m]
        if not found:
            estimator.logger.info('CheckpointHandler: No checkpoint found, training from scratch '
                                  'for %d %s', estimator.max_batch or estimator.max_epoch,
                                  'batches' if estimator.max_batch else 'epochs')
            return
        epoch = max(e for e, _ in found)
        batch = max(b for e, b in found if e == epoch)
        if estimator.max_epoch:
            if epoch >= estimator.max_epoch - 1:
                raise MXNetValueError('CheckpointHandler: the checkpoint found (epoch %d) already '
                                      'reached epochs=%d; pass resume_from_checkpoint=False to train '
                                      'from scratch' % (epoch, estimator.max_epoch))
        else:
            if batch >= estimator.max_batch - 1:
                raise MXNetValueError('CheckpointHandler: the checkpoint found (batch %d) already '
                                      'reached batches=%d; pass resume_from_checkpoint=False to '
                                      'train from scratch' % (batch, estimator.max_batch))
        base = os.path.join(self.model_dir, '%s-epoch%dbatch%d' % (self.model_prefix, epoch, batch))
        if not os.path.exists(base + '.states'):
            raise MXNetFileNotFoundError('CheckpointHandler: cannot resume, %s.params has no '
                                         'matching %s.states' % (base, base))
        self._load(estimator, base)
        if estimator.max_epoch:
            estimator.max_epoch -= epoch + 1
            left = '%d epochs' % estimator.max_epoch
        else:
            estimator.max_batch -= batch + 1
            left = '%d batches' % estimator.max_batch
        self.trained_epoch, self.trained_batch = epoch, batch
        estimator.logger.warning('CheckpointHandler: Checkpoint resumed from epoch %d batch %d, '
                                 'continue to train for %s ', epoch, batch, left)

    @staticmethod
    def _load(estimator, base):
        """Load ``base.states`` into the trainer and ``base.params`` into the net, all or nothing:
        both loads are transactional, and when the second fails the trainer gets its own states
        back, so a corrupt checkpoint leaves the net and the trainer as they were."""
        with tempfile.TemporaryDirectory() as tmp:
            backup = os.path.join(tmp, 'trainer.states')
            estimator.trainer.save_states(backup)
            estimator.trainer.load_states(base + '.states')
            try:
                estimator.net.load_parameters(base + '.params', ctx=estimator.context)
            except BaseException:
                estimator.trainer.load_states(backup)
                raise
