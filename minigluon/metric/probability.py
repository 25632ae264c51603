"""Metrics on predicted probabilities: CrossEntropy, NegativeLogLikelihood and Perplexity (MXNet 1.9.1 ``mxnet.metric``)."""
import math

import numpy

from minigluon.metric.base import EvalMetric, _alias, _np, check_label_shapes


@_alias('ce')
class CrossEntropy(EvalMetric):
    """Mean of ``-log(p[label] + eps)`` over samples; predictions are probabilities ``(N, C)``."""

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _np(label).ravel(), _np(pred)
            if label.shape[0] != pred.shape[0]:
                raise ValueError('CrossEntropy: %d labels for %d predictions' % (label.shape[0], pred.shape[0]))
            prob = pred[numpy.arange(label.shape[0]), label.astype(numpy.int64)].astype(numpy.float64)
            self._add(float((-numpy.log(prob + self.eps)).sum()), label.shape[0])


@_alias()
class Perplexity(EvalMetric):
    """``exp`` of the mean negative log-probability of the labels; labels equal to
    ``ignore_label`` are left out. Probabilities are floored at 1e-10.

    ``axis`` is the class axis of ``pred``; ``label`` holds one class index per position of the
    other axes. **Differs from MXNet 1.9.1**, which counts the labels against ``pred.shape[-1]``
    whatever ``axis`` is, so it rejects a ``(C, N)`` prediction with ``axis=0`` and ``N`` labels
    and fails on ``(N, T, C)`` predictions: minigluon counts them against ``pred.shape[axis]``.

    Raises
    ------
    ValueError
        The label count is not ``pred.size / pred.shape[axis]``, or the lists differ in length.
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None, label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.ignore_label, self.axis = ignore_label, axis

    def update(self, labels, preds):
        if len(labels) != len(preds):
            raise ValueError('Perplexity: %d labels for %d predictions' % (len(labels), len(preds)))
        loss, num = 0., 0
        for label, pred in zip(labels, preds):
            label, pred = _np(label), _np(pred)
            if pred.ndim == 0 or label.size != pred.size // max(pred.shape[self.axis], 1):
                raise ValueError('shape mismatch: %s vs. %s' % (label.shape, pred.shape))
            label = label.reshape(-1).astype(numpy.int64)
            pred = numpy.moveaxis(pred, self.axis, -1).reshape(-1, pred.shape[self.axis])
            prob = pred[numpy.arange(label.size), numpy.clip(label, 0, pred.shape[1] - 1)].astype(numpy.float64)
            if self.ignore_label is not None:
                ignore = label == self.ignore_label
                num -= int(ignore.sum())
                prob = numpy.where(ignore, 1.0, prob)
            loss -= float(numpy.log(numpy.maximum(1e-10, prob)).sum())
            num += prob.size
        self._add(loss, num)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


@_alias('nll_loss')
class NegativeLogLikelihood(CrossEntropy):
    """Negative log-likelihood of the labels: the same mean of ``-log(p[label] + eps)`` as
    :class:`CrossEntropy`, under MXNet 1.9.1's name ``'nll-loss'`` (``create('nll_loss')``)."""

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(eps=eps, name=name, output_names=output_names, label_names=label_names)
