"""Evaluation metrics: ``EvalMetric`` base, Accuracy, TopKAccuracy, F1, MCC, MAE, MSE, RMSE,
CrossEntropy, Perplexity, PearsonCorrelation, Loss, CustomMetric, CompositeEvalMetric and ``create``.

Semantics follow ``mxnet.metric`` (MXNet 1.9.1): each metric keeps a local sum/count (cleared by
``reset_local``) and a global one (cleared only by ``reset``); ``get()`` returns
``(name, sum_metric / num_inst)``, NaN before any update. ``update(labels, preds)`` takes lists of
NDArrays (a single NDArray or NumPy array is accepted too). MAE/MSE/RMSE and macro-averaged F1/MCC/
Pearson average per-``update`` values, as MXNet 1.9.1 does, rather than per sample.
"""
import math

import numpy

from minigluon.ndarray import NDArray

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'Accuracy', 'TopKAccuracy', 'F1', 'MCC', 'MAE', 'MSE',
           'RMSE', 'CrossEntropy', 'Perplexity', 'PearsonCorrelation', 'Loss', 'CustomMetric',
           'create', 'register', 'check_label_shapes', 'np']

_REGISTRY = {}


def register(klass, *aliases):
    """Register a metric class under its lowercase name and ``aliases`` for :func:`create`."""
    for name in (klass.__name__.lower(),) + aliases:
        _REGISTRY[name] = klass
    return klass


def _alias(*aliases):
    return lambda klass: register(klass, *aliases)


def _np(x):
    if isinstance(x, NDArray):
        return x.asnumpy()
    return numpy.asarray(x)


def _is_array(x):
    return isinstance(x, (NDArray, numpy.ndarray))


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in count (or in shape when ``shape``).

    With ``wrap``, a single array is wrapped in a list. Raises ValueError on a mismatch.
    """
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError('Shape of labels {} does not match shape of predictions {}'
                         .format(label_shape, pred_shape))
    if wrap:
        labels = [labels] if _is_array(labels) else labels
        preds = [preds] if _is_array(preds) else preds
    return labels, preds


class EvalMetric:
    """Base class of metrics.

    Parameters
    ----------
    name : str
    output_names, label_names : list of str, optional
        Keys used by :meth:`update_dict`.
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop('has_global_stats', False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return 'EvalMetric: {}'.format(dict(self.get_name_value()))

    def get_config(self):
        """A dict that :func:`create` turns back into an equal metric."""
        config = dict(self._kwargs)
        config.update({'metric': type(self).__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from dicts of named arrays, picking ``label_names``/``output_names`` (all if None)."""
        preds = [pred[n] for n in self.output_names] if self.output_names is not None else list(pred.values())
        labels = [label[n] for n in self.label_names] if self.label_names is not None else list(label.values())
        self.update(labels, preds)

    def update(self, labels, preds):
        raise NotImplementedError('%s must implement update' % type(self).__name__)

    def _add(self, value, count):
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def reset(self):
        """Clear local and global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clear the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)`` of the local statistics; value is NaN before any update."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        """``(name, value)`` of the statistics since the last :meth:`reset`."""
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.global_sum_metric / self.global_num_inst)

    def get_name_value(self):
        """A list of ``(name, value)`` pairs."""
        name, value = self.get()
        if not isinstance(name, list):
            name, value = [name], [value]
        return list(zip(name, value))

    def get_global_name_value(self):
        name, value = self.get_global()
        if not isinstance(name, list):
            name, value = [name], [value]
        return list(zip(name, value))


@_alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values."""

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        self.metrics = [create(m) for m in (metrics or [])]
        super().__init__(name, output_names=output_names, label_names=label_names)

    def add(self, metric):
        """Add a metric (instance, name or callable)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``; raises ValueError when out of range."""
        if not 0 <= index < len(self.metrics):
            raise ValueError('Metric index {} is out of range 0 and {}'.format(index, len(self.metrics)))
        return self.metrics[index]

    def update_dict(self, labels, preds):
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', []):
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            if isinstance(name, str):
                name, value = [name], [value]
            names.extend(name)
            values.extend(value)
        return names, values

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super().get_config()
        config['metrics'] = [m.get_config() for m in self.metrics]
        return config


@_alias('acc')
class Accuracy(EvalMetric):
    """Fraction of correct predictions. Predictions shaped unlike the labels are arg-maxed over
    ``axis`` first; both are then compared as int32."""

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names)
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

    Raises
    ------
    ValueError
        ``top_k < 2`` (use :class:`Accuracy`).
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        if top_k <= 1:
            raise ValueError('Please use Accuracy if top_k is no more than 1 (got top_k=%r)' % (top_k,))
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names)
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

    @staticmethod
    def fscore(c):
        tp, fp, fn, _ = c
        precision = tp / (tp + fp) if tp + fp > 0 else 0.
        recall = tp / (tp + fn) if tp + fn > 0 else 0.
        return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.

    @staticmethod
    def mcc(c):
        tp, fp, fn, tn = c
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
        super().__init__(name, output_names=output_names, label_names=label_names, average=average)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.stats.update(type(self).__name__, label, pred)
        score = type(self)._score
        if self.average == 'macro':       # one score per update() call, averaged
            self._add(score(self.stats.local), 1)
            self.stats.local[:] = 0
        else:                             # one score over everything seen
            n, gn = self.stats.local.sum(), self.stats.glob.sum()
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
    """F1 score of a binary classifier (label 1 is positive; predictions ``(N, 2)`` are arg-maxed)."""
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
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _batch_value(diff):
        return numpy.abs(diff).mean()


@_alias()
class MSE(_Regression):
    """Mean squared error, averaged per ``update`` batch."""

    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _batch_value(diff):
        return (diff ** 2).mean()


@_alias()
class RMSE(_Regression):
    """Root mean squared error of each batch, averaged over batches."""

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _batch_value(diff):
        return numpy.sqrt((diff ** 2).mean())


@_alias('ce')
class CrossEntropy(EvalMetric):
    """Mean of ``-log(p[label] + eps)`` over samples; predictions are probabilities ``(N, C)``."""

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names)
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
    ``ignore_label`` are left out. Probabilities are floored at 1e-10."""

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None, label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names, label_names=label_names)
        self.ignore_label, self.axis = ignore_label, axis

    def update(self, labels, preds):
        if len(labels) != len(preds):
            raise ValueError('Perplexity: %d labels for %d predictions' % (len(labels), len(preds)))
        loss, num = 0., 0
        for label, pred in zip(labels, preds):
            label, pred = _np(label), _np(pred)
            if label.size != pred.size // pred.shape[-1]:
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


@_alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels: ``'macro'`` averages one coefficient per
    label/pred pair; ``'micro'`` pools every sample seen since :meth:`reset` (as in MXNet,
    ``reset_local`` does not clear the pooled sums)."""

    def __init__(self, name='pearsonr', output_names=None, label_names=None, average='macro'):
        if average not in ('macro', 'micro'):
            raise ValueError("average must be 'macro' or 'micro', got %r" % (average,))
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names, average=average)

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
        n, sx, sy, sxx, syy, sxy = s
        return (sxy - sx * sy / n) / math.sqrt((sxx - sx * sx / n) * (syy - sy * sy / n))

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


@_alias()
class Loss(EvalMetric):
    """Mean of loss values: the sum of every prediction array over its number of elements."""

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    def update(self, _, preds):
        if _is_array(preds):
            preds = [preds]
        for pred in preds:
            pred = _np(pred)
            self._add(float(pred.sum()), pred.size)


@_alias()
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred) -> value`` or ``(sum, count)`` on NumPy arrays."""

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None, label_names=None):
        if name is None:
            name = feval.__name__
            if '<' in name:
                name = 'custom(%s)' % name
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names)
        self._feval, self._allow_extra_outputs = feval, allow_extra_outputs

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        if not self._allow_extra_outputs:
            check_label_shapes(labels, preds)
        for label, pred in zip(labels, preds):
            res = self._feval(_np(label), _np(pred))
            if isinstance(res, tuple):
                self._add(res[0], res[1])
            else:
                self._add(res, 1)


def np(numpy_feval, name=None, allow_extra_outputs=False):   # noqa: F811 (MXNet's name: metric.np)
    """Wrap a NumPy function ``f(label, pred)`` as a :class:`CustomMetric`."""
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)


def create(metric, *args, **kwargs):
    """A metric from an instance (returned as is), a registered name (``'acc'``, ``'f1'``...), a
    callable (wrapped in :class:`CustomMetric`) or a list of these (a composite).

    Raises
    ------
    ValueError
        For an unknown name or an unsupported type.
    """
    if callable(metric) and not isinstance(metric, EvalMetric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, EvalMetric):
        return metric
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, str):
        if metric.lower() not in _REGISTRY:
            raise ValueError('Metric %r is not registered; known metrics: %s'
                             % (metric, ', '.join(sorted(_REGISTRY))))
        return _REGISTRY[metric.lower()](*args, **kwargs)
    raise ValueError('metric must be an EvalMetric, a name, a callable or a list, got %s'
                     % type(metric).__name__)
