"""Classification metrics: Accuracy, TopKAccuracy, and the binary-classifier scores F1 and MCC.

Semantics follow ``mxnet.metric`` (MXNet 1.9.1); see :mod:`minigluon.metric` for the shared rules.
"""
import math

import numpy

from minigluon.metric.base import EvalMetric, _alias, _np, check_label_shapes


@_alias('acc')
class Accuracy(EvalMetric):
    """Fraction of correct predictions. Predictions shaped unlike the labels are arg-maxed over
    ``axis`` first; both are then compared as int32."""

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred, label = _np(pred), _np(label)
            if pred.shape != label.shape:
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype('int32').ravel()
            label = label.astype('int32').ravel()
            check_label_shapes(label, pred)
            self._add(int((pred == label).sum()), len(pred))


@_alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest-scored classes.

    A 1-D prediction is taken as predicted class indices and compared with the labels.
    **Differs from MXNet 1.9.1**, which compares the labels with the positions returned by an
    ``argpartition`` of the 1-D scores, a number with no meaning. A ``top_k`` of at least the
    number of classes counts every sample as correct (MXNet 1.9.1 fails: NumPy's "kth out of
    bounds" from its ``argpartition``).

    Raises
    ------
    ValueError
        ``top_k < 2`` (use :class:`Accuracy`).
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        if top_k <= 1:
            raise ValueError('Please use Accuracy if top_k is no more than 1 (got top_k=%r)' % (top_k,))
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.top_k = top_k
        self.name += '_%d' % top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred, label = _np(pred).astype('float32'), _np(label).astype('int32').ravel()
            if pred.ndim == 1:
                self._add(int((pred.astype('int32') == label).sum()), pred.shape[0])
                continue
            if pred.ndim != 2:
                raise ValueError('TopKAccuracy: predictions must be 1-D or 2-D, got shape %s' % (pred.shape,))
            k = min(self.top_k, pred.shape[1])
            top = numpy.argpartition(pred, -k, axis=1)[:, -k:]
            self._add(int((top == label[:, None]).any(axis=1).sum()), pred.shape[0])


class _BinaryStats:
    """Confusion counts of a binary classifier (local and global)."""

    def __init__(self):
        self.local = numpy.zeros(4)      # tp, fp, fn, tn
        self.glob = numpy.zeros(4)

    def update(self, metric_name, label, pred):
        pred, label = _np(pred), _np(label).astype('int32')
        pred_label = numpy.argmax(pred, axis=1) if pred.ndim > 1 else (pred > 0.5).astype('int32')
        check_label_shapes(label.ravel(), pred_label.ravel())
        if len(numpy.unique(label)) > 2:
            raise ValueError('%s currently only supports binary classification.' % metric_name)
        p, t = pred_label.ravel() == 1, label.ravel() == 1
        counts = numpy.array([(p & t).sum(), (p & ~t).sum(), (~p & t).sum(), (~p & ~t).sum()], float)
        self.local += counts
        self.glob += counts

    # Scores are Python floats, as every other metric's: a NumPy 2 scalar would print as
    # np.float64(...) inside the (name, value) tuple of get().
    @staticmethod
    def fscore(c):
        tp, fp, fn, _ = (float(v) for v in c)
        precision = tp / (tp + fp) if tp + fp > 0 else 0.
        recall = tp / (tp + fn) if tp + fn > 0 else 0.
        return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.

    @staticmethod
    def mcc(c):
        tp, fp, fn, tn = (float(v) for v in c)
        denom = 1.
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            if term != 0:
                denom *= term
        return (tp * tn - fp * fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    _score = None

    def __init__(self, name, output_names=None, label_names=None, average='macro'):
        if average not in ('macro', 'micro'):
            raise ValueError("average must be 'macro' or 'micro', got %r" % (average,))
        self.average = average
        self.stats = _BinaryStats()
        super().__init__(name, output_names=output_names, label_names=label_names, average=average,
                         has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.stats.update(type(self).__name__, label, pred)
        score = type(self)._score
        if self.average == 'macro':       # one score per update() call, averaged
            self._add(score(self.stats.local), 1)
            self.stats.local[:] = 0
        else:                             # one score over everything seen
            n, gn = float(self.stats.local.sum()), float(self.stats.glob.sum())
            self.sum_metric, self.num_inst = score(self.stats.local) * n, n
            self.global_sum_metric, self.global_num_inst = score(self.stats.glob) * gn, gn

    def reset(self):
        super().reset()
        self.stats = _BinaryStats()

    def reset_local(self):
        super().reset_local()
        self.stats.local[:] = 0


@_alias()
class F1(_BinaryMetric):
    """F1 score of a binary classifier (label 1 is positive; predictions ``(N, 2)`` are arg-maxed).

    ``get_config()`` includes ``average`` (MXNet 1.9.1 leaves it out, so a metric re-created from
    its config would silently fall back to 'macro').
    """
    _score = staticmethod(_BinaryStats.fscore)

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        super().__init__(name, output_names, label_names, average)


@_alias()
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier (zero factors of the denominator
    are skipped, as in MXNet)."""
    _score = staticmethod(_BinaryStats.mcc)

    def __init__(self, name='mcc', output_names=None, label_names=None, average='macro'):
        super().__init__(name, output_names, label_names, average)


def _pcc(cm):
    """The multiclass Matthews correlation (Gorodkin 2004) of a confusion matrix ``cm``
    (rows: predicted class, columns: true class); NaN when every prediction or every label is
    one class."""
    n = cm.sum()
    pred_counts, true_counts = cm.sum(axis=1), cm.sum(axis=0)
    var_pred = float((pred_counts * (n - pred_counts)).sum())
    var_true = float((true_counts * (n - true_counts)).sum())
    if var_pred == 0 or var_true == 0:
        return float('nan')
    cov = float((cm.diagonal() * n - pred_counts * true_counts).sum())
    return cov / math.sqrt(var_pred * var_true)


@_alias()
class PCC(EvalMetric):
    """Multiclass Matthews correlation coefficient over a confusion matrix (MXNet 1.9.1
    ``mx.metric.PCC``; Gorodkin, "Comparing two K-category assignments by a K-category
    correlation coefficient", 2004).

    ``update(labels, preds)``: labels are class indices ``(N,)``; predictions are either class
    scores ``(N, K)`` (arg-maxed) or class indices shaped like the labels. The confusion matrix
    grows to the largest class seen (at least 2 x 2) and accumulates over every update since the
    last reset; ``get()`` is the coefficient of the whole matrix (1 for perfect predictions; the
    minimum lies between -1 and 0 for more than two classes), NaN before any update or when all
    predictions (or all labels) are one class. The value is a Python float.

    Raises
    ------
    ValueError
        For a negative or non-integral class index (MXNet fails inside NumPy's indexing).
    """

    def __init__(self, name='pcc', output_names=None, label_names=None, has_global_stats=True):
        self.k = 2
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, k):
        pad = ((0, k - self.k), (0, k - self.k))
        self.lcm, self.gcm = numpy.pad(self.lcm, pad), numpy.pad(self.gcm, pad)
        self.k = k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _np(label), _np(pred)
            pred = numpy.argmax(pred, axis=1) if pred.shape != label.shape else pred
            classes = []
            for what, values in (('label', label), ('prediction', pred)):
                values = values.ravel()
                if values.size and (values.min() < 0 or (numpy.asarray(values, float) % 1).any()):
                    raise ValueError('PCC: every %s must be a class index >= 0, got %s'
                                     % (what, values[:10]))
                classes.append(values.astype(numpy.int64))
            true, predicted = classes
            if predicted.size:
                k = int(max(predicted.max(), true.max())) + 1
                if k > self.k:
                    self._grow(k)
            cm = numpy.zeros((self.k, self.k))
            numpy.add.at(cm, (predicted, true), 1)
            self.lcm += cm
            self.gcm += cm
        self.num_inst += 1
        self.global_num_inst += 1
        self.sum_metric = _pcc(self.lcm) * self.num_inst
        self.global_sum_metric = _pcc(self.gcm) * self.global_num_inst

    def reset(self):
        super().reset()
        self.gcm = numpy.zeros((self.k, self.k))
        self.lcm = numpy.zeros((self.k, self.k))

    def reset_local(self):
        super().reset_local()
        self.lcm = numpy.zeros((self.k, self.k))
