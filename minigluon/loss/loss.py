"""Gluon losses (``mxnet.gluon.loss``, MXNet 1.9.1): the ``Loss`` base and the classic losses.

Every loss is a :class:`~minigluon.block.HybridBlock` whose ``hybrid_forward(F, pred, label, ...)``
uses only ``F.<op>`` calls, so it runs eagerly, hybridized and exported alike. Unless stated
otherwise a loss returns one value per sample: the elementwise loss, scaled by ``sample_weight``
(broadcast) and the constant ``weight``, then averaged over every axis but ``batch_axis``.
Formulas follow MXNet 1.9.1's ``python/mxnet/gluon/loss.py`` documentation.
"""
import math
from numbers import Number

from minigluon import ndarray
from minigluon.block import HybridBlock

__all__ = ['Loss', 'L2Loss', 'L1Loss', 'SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss',
           'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss', 'KLDivLoss', 'HuberLoss', 'HingeLoss',
           'SquaredHingeLoss', 'LogisticLoss', 'TripletLoss', 'PoissonNLLLoss', 'CosineEmbeddingLoss']


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """``loss * sample_weight`` (broadcast), then ``* weight`` (a Python number)."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, Number):
            raise TypeError('weight must be a number, got %s' % type(weight).__name__)
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """``x`` reshaped to ``y``'s shape (eagerly checked, so a size mismatch names both shapes)."""
    if F is ndarray:
        if x.size != y.size:
            raise ValueError('label of shape %s cannot be reshaped to the prediction shape %s'
                             % (x.shape, y.shape))
        return x.reshape(y.shape)
    return F.reshape_like(x, y)


def _softrelu(F, x):
    return F.Activation(x, act_type='softrelu')


class Loss(HybridBlock):
    """Base class of losses.

    Parameters
    ----------
    weight : float or None
        Global scalar weight applied to the loss.
    batch_axis : int
        The axis that indexes samples; the per-sample loss is averaged over all other axes.
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        if weight is not None and not isinstance(weight, Number):
            raise TypeError('%s: weight must be a number or None, got %s'
                            % (type(self).__name__, type(weight).__name__))
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return '%s(batch_axis=%s, w=%s)' % (type(self).__name__, self._batch_axis, self._weight)

    def _mean(self, F, loss):
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError('%s must implement hybrid_forward()' % type(self).__name__)


class L2Loss(Loss):
    r"""``0.5 * weight * (label - pred)**2``, averaged per sample. Shapes: pred and label (N, ...)
    with the same number of elements; output (N,)."""

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight / 2, sample_weight))


class L1Loss(Loss):
    """``|label - pred|``, averaged per sample; output (N,)."""

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy with a sigmoid: ``-(pos_weight*z*log(p) + (1-z)*log(1-p))``.

    With ``from_sigmoid=False`` (default) ``pred`` are logits and the stable form
    ``max(x, 0) - x*z + log(1 + exp(-|x|))`` is used; with ``from_sigmoid=True`` ``pred`` are
    probabilities (``log(p + 1e-12)``). ``pos_weight`` (broadcast to label) weights positives.
    Output (N,).
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            soft = _softrelu(F, -F.abs(pred))
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + soft
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (soft + F.relu(-pred))
        else:
            eps = 1e-12
            pos = F.log(pred + eps) * label
            if pos_weight is not None:
                pos = F.broadcast_mul(pos, pos_weight)
            loss = -(pos + F.log(1. - pred + eps) * (1. - label))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of a softmax over ``axis``.

    ``sparse_label=True``: label holds class indices (shape of pred without ``axis``);
    ``False``: label is a distribution with pred's shape. ``from_logits=True``: pred already holds
    log-probabilities. Output (N,).
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``sum(label * (log(label + 1e-12) - pred))`` per sample.

    As MXNet 1.9.1 (checked against it), the terms are summed, not averaged, over the non-batch axes.

    ``from_logits=True`` (default): pred holds log-probabilities; else a log-softmax over ``axis`` is
    applied first. Output (N,).
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class HuberLoss(Loss):
    """Smoothed L1: ``0.5/rho * d**2`` where ``|d| <= rho``, else ``|d| - 0.5*rho``. Output (N,)."""

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho, (0.5 / self._rho) * F.square(loss))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class HingeLoss(Loss):
    """``max(0, margin - pred * label)`` with labels in {-1, 1}. Output (N,)."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class SquaredHingeLoss(Loss):
    """``max(0, margin - pred * label)**2`` with labels in {-1, 1}. Output (N,)."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))``; ``label_format`` 'signed' ({-1, 1}) or 'binary' ({0, 1}).

    Raises
    ------
    ValueError
        For another label_format.
    """

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ('signed', 'binary'):
            raise ValueError("label_format must be 'signed' or 'binary', got %r" % (label_format,))
        self._label_format = label_format

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == 'signed':
            label = (label + 1.0) / 2.0
        loss = F.relu(pred) - pred * label + _softrelu(F, -F.abs(pred))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class TripletLoss(Loss):
    """``max(0, sum(|pos - pred|^2 - |neg - pred|^2) + margin)`` per sample (summed, not averaged,
    over the non-batch axes). ``hybrid_forward(F, pred, positive, negative, sample_weight=None)``;
    output (N,)."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative, sample_weight=None):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred), axis=self._batch_axis,
                     exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood, averaged over **all** elements (a scalar, as MXNet).

    ``from_logits=True``: ``exp(pred) - target * pred``; else ``pred - target * log(pred + epsilon)``.
    ``compute_full`` adds Stirling's term ``t*log(t) - t + 0.5*log(2*pi*t)`` where ``t > 1``.
    ``hybrid_forward(F, pred, target, sample_weight=None, epsilon=1e-08)``.
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            big = target > 1
            safe = F.where(big, target, F.ones_like(target))      # no log(0) where the term is unused
            stirling = safe * F.log(safe) - safe + 0.5 * F.log(2 * math.pi * safe)
            loss = loss + stirling * big
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """``1 - cos(x1, x2)`` for label 1, ``max(0, cos(x1, x2) - margin)`` for label -1.

    ``hybrid_forward(F, input1, input2, label, sample_weight=None)``; inputs (N, D), label (N,);
    output (N, 1) as MXNet 1.9.1.
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, shape=(-1, 1))
        norms = F.reshape(F.norm(input1, axis=-1) * F.norm(input2, axis=-1), shape=(-1, 1))
        dot = F.reshape(F.sum(input1 * input2, axis=-1), shape=(-1, 1))
        cos_sim = dot / F._maximum_scalar(norms, scalar=1e-12)
        loss = (1 - cos_sim) * (label == 1) + F.relu((label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, loss, self._weight, sample_weight)
