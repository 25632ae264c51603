"""Regression metrics: MAE, MSE, RMSE (averaged per ``update`` batch, as in MXNet 1.9.1) and
PearsonCorrelation.
"""
import math

import numpy

from minigluon.metric.base import EvalMetric, _alias, _np, check_label_shapes


class _Regression(EvalMetric):
    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _np(label), _np(pred)
            if label.ndim == 1:
                label = label.reshape(label.shape[0], 1)
            if pred.ndim == 1:
                pred = pred.reshape(pred.shape[0], 1)
            self._add(float(self._batch_value(label.astype(numpy.float64) - pred.astype(numpy.float64))), 1)


@_alias()
class MAE(_Regression):
    """Mean absolute error, averaged per ``update`` batch."""

    def __init__(self, name='mae', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _batch_value(diff):
        return numpy.abs(diff).mean()


@_alias()
class MSE(_Regression):
    """Mean squared error, averaged per ``update`` batch."""

    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _batch_value(diff):
        return (diff ** 2).mean()


@_alias()
class RMSE(_Regression):
    """Root mean squared error of each batch, averaged over batches."""

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _batch_value(diff):
        return numpy.sqrt((diff ** 2).mean())


@_alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels: ``'macro'`` averages one coefficient per
    label/pred pair; ``'micro'`` pools every sample seen since :meth:`reset` (as in MXNet,
    ``reset_local`` does not clear the pooled sums)."""

    def __init__(self, name='pearsonr', output_names=None, label_names=None, average='macro'):
        if average not in ('macro', 'micro'):
            raise ValueError("average must be 'macro' or 'micro', got %r" % (average,))
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names, average=average,
                         has_global_stats=True)

    def reset(self):
        super().reset()
        self._sums = numpy.zeros(6)     # n, sum x, sum y, sum xx, sum yy, sum xy

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            y, x = _np(label).ravel().astype(numpy.float64), _np(pred).ravel().astype(numpy.float64)
            if self.average == 'macro':
                self._add(float(numpy.corrcoef(x, y)[0, 1]), 1)
            else:
                self._sums += [x.size, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()]
                self._add(0.0, 1)

    @staticmethod
    def _pooled(s):
        """The pooled coefficient of the sums ``s``; NaN (0/0) when a single sample or a
        constant series leaves no variance, as MXNet's NumPy division gives."""
        n, sx, sy, sxx, syy, sxy = (float(v) for v in s)     # a Python float, as get() gives
        num = sxy - sx * sy / n
        den = math.sqrt(max((sxx - sx * sx / n) * (syy - sy * sy / n), 0.0))
        if den == 0:
            return float('nan') if num == 0 else math.copysign(float('inf'), num)
        return num / den

    def get(self):
        if self.num_inst == 0 or self.average == 'macro':
            return super().get()
        return (self.name, self._pooled(self._sums))

    def get_global(self):
        # MXNet 1.9.1 returns 0.0 here in 'micro' mode (it never fills the global sums); minigluon
        # returns the pooled coefficient, which is what the method promises.
        if self.global_num_inst == 0 or self.average == 'macro':
            return super().get_global()
        return (self.name, self._pooled(self._sums))
