"""Classification losses (MXNet 1.9.1 ``mxnet.gluon.loss``): sigmoid and softmax cross-entropy,
Kullback-Leibler divergence, hinge, squared hinge and logistic losses.

Shapes, ``sample_weight`` broadcasting and the shared constructor arguments follow the conventions
in :mod:`minigluon.loss.loss`.
"""
from minigluon.loss.loss import Loss, _apply_weighting, _reshape_like, _shared_doc

__all__ = ['SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss', 'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss',
           'KLDivLoss', 'HingeLoss', 'SquaredHingeLoss', 'LogisticLoss']


def _softrelu(F, x):
    return F.Activation(x, act_type='softrelu')


@_shared_doc
class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy, optionally on logits, averaged per sample (MXNet 1.9.1
    ``mxnet.gluon.loss.SigmoidBinaryCrossEntropyLoss``; alias ``SigmoidBCELoss``).

    With probabilities ``s`` (``s = sigmoid(p)`` or ``p`` itself) and targets ``y`` in [0, 1]:

    .. math:: l = -\left(\beta\, y \log s + (1 - y) \log(1 - s)\right)

    where ``beta`` is ``pos_weight`` (1 when not given). For logits the numerically stable
    ``max(p, 0) - p*y + log(1 + exp(-|p|))`` (and its ``pos_weight`` variant) is used, finite for
    any ``p``; for probabilities ``log(s + 1e-12)`` and ``log(1 - s + 1e-12)`` guard against 0.

    Parameters
    ----------
    from_sigmoid : bool, default False
        False: ``pred`` holds logits. True: ``pred`` already holds probabilities in [0, 1].
    <weight and batch_axis>

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
    label : NDArray, same number of elements as ``pred``, values in [0, 1]
    <sample_weight>
    pos_weight : NDArray, optional
        Weight of the positive term, broadcast against ``label`` (e.g. ``(C,)`` for a per-class
        weight of a ``(N, C)`` prediction).

    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``label`` has a different number of elements, or ``sample_weight`` / ``pos_weight`` does
        not broadcast.
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
    r"""Softmax cross-entropy over ``axis``, averaged per sample (MXNet 1.9.1
    ``mxnet.gluon.loss.SoftmaxCrossEntropyLoss``; alias ``SoftmaxCELoss``).

    With ``q = log_softmax(p, axis)`` (or ``q = p`` when ``from_logits``), at every position:

    .. math:: l = -q_{y} \quad (\text{sparse label}), \qquad l = -\sum_c y_c\, q_c \quad (\text{dense label})

    then scaled and averaged over all axes but ``batch_axis``.

    Parameters
    ----------
    axis : int, default -1
        The class axis of ``pred``.
    sparse_label : bool, default True
        True: ``label`` holds class indices. False: ``label`` holds a distribution over classes.
    from_logits : bool, default False
        True: ``pred`` already holds log-probabilities, no log-softmax is applied.
    weight : float or None, default None
        Global scale of the loss; ``None`` means 1.
    batch_axis : int, default 0
        Axis of ``pred`` that indexes samples.

    Inputs
    ------
    pred : NDArray, shape (N, ..., C, ...), floating point; ``C`` (classes) lies on ``axis``
    label : NDArray
        Sparse: class indices (float or int) with ``pred``'s shape without ``axis`` (or with it of
        length 1), e.g. ``(N,)`` for a ``(N, C)`` prediction; indices outside ``[0, C-1]`` are
        clipped into range, as MXNet's ``pick``. Dense: as many elements as ``pred``.
    sample_weight : NDArray, optional
        Broadcast against the per-position loss, which keeps ``axis`` with length 1: weight the
        samples of a ``(N, C)`` prediction with ``(N, 1)``. A ``(N,)`` weight broadcasts to
        ``(N, N)`` and every sample ends up scaled by the *mean* weight (as in MXNet 1.9.1).
        Likewise mask the steps of a ``(N, T, C)`` prediction with ``(N, T, 1)``: a ``(N, T)``
        mask does not broadcast (a ``ValueError``), or, when ``N == T``, broadcasts to
        ``(N, T, T)`` and mixes the samples' masks.

    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``label`` has the wrong shape (sparse) or element count (dense), or ``sample_weight``
        does not broadcast.
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
            try:
                loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
            except ValueError as err:
                raise _hint_dense_label(err, pred, label) from err.__cause__
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


def _hint_dense_label(err, pred, label):
    """``err`` (``pick`` refused ``label`` as class indices) with a hint when ``label`` has
    ``pred``'s shape: one-hot or probability labels need ``sparse_label=False``."""
    if getattr(label, 'shape', None) is None or tuple(label.shape) != tuple(pred.shape):
        return err
    hinted = type(err)('%s; label has the shape of pred: for one-hot or probability labels, '
                       'construct the loss with sparse_label=False' % err)
    return hinted.with_traceback(err.__traceback__)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


@_shared_doc
class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence of ``label`` from the distribution in ``pred`` (MXNet 1.9.1
    ``mxnet.gluon.loss.KLDivLoss``).

    .. math:: L_i = \sum_j weight \cdot w_{ij}\, y_{ij} \left(\log(y_{ij} + 10^{-12}) - q_{ij}\right)

    with ``q = pred`` (log-probabilities) or ``q = log_softmax(pred, axis)``. As MXNet 1.9.1
    (checked against it), the terms are *summed*, not averaged, over the non-batch axes.

    **Differs from MXNet 1.9.1** in float16: a label below 2**-16 gets its true (finite) gradient,
    where MXNet's ``log`` gradient multiplies by the float16 reciprocal and gives ``inf``.

    Parameters
    ----------
    from_logits : bool, default True
        True: ``pred`` holds log-probabilities. False: a log-softmax over ``axis`` is applied first.
    axis : int, default -1
        Class axis for that log-softmax (unused when ``from_logits`` is True).
    weight : float or None, default None
        Global scale of the loss; ``None`` means 1.
    batch_axis : int, default 0
        Axis that indexes samples; the sum is taken over all other axes.

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
    label : NDArray, shape broadcastable to ``pred`` (normally equal), a probability distribution
        (not reshaped: unlike most losses, it must broadcast as it is)
    <sample_weight>

    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``label`` or ``sample_weight`` does not broadcast against ``pred``.
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


@_shared_doc
class HingeLoss(Loss):
    r"""Hinge loss of SVMs, averaged per sample (MXNet 1.9.1 ``mxnet.gluon.loss.HingeLoss``).

    .. math:: l = \max(0,\ margin - p \cdot y)

    Parameters
    ----------
    margin : float, default 1
        The margin the product ``p * y`` must reach for a zero loss.
    <weight and batch_axis>

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
        Raw scores (not probabilities).
    label : NDArray, same number of elements as ``pred``, values -1 or 1
    <sample_weight>

    <per-sample output and errors>
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


@_shared_doc
class SquaredHingeLoss(Loss):
    r"""Squared hinge loss, averaged per sample (MXNet 1.9.1
    ``mxnet.gluon.loss.SquaredHingeLoss``).

    .. math:: l = \max(0,\ margin - p \cdot y)^2

    Parameters
    ----------
    margin : float, default 1
        The margin the product ``p * y`` must reach for a zero loss.
    <weight and batch_axis>

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
        Raw scores (not probabilities).
    label : NDArray, same number of elements as ``pred``, values -1 or 1
    <sample_weight>

    <per-sample output and errors>
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


@_shared_doc
class LogisticLoss(Loss):
    r"""Logistic loss of raw scores, averaged per sample (MXNet 1.9.1
    ``mxnet.gluon.loss.LogisticLoss``).

    .. math:: l = \log(1 + \exp(-p \cdot y)) \quad (y \in \{-1, 1\})

    computed in the stable form ``max(p, 0) - p*z + log(1 + exp(-|p|))`` with ``z = (y + 1) / 2``
    (``z = y`` for binary labels), so it is finite for any ``p``.

    Parameters
    ----------
    <weight and batch_axis>
    label_format : {'signed', 'binary'}, default 'signed'
        'signed': labels are -1 or 1. 'binary': labels are 0 or 1.

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
        Raw scores (logits).
    label : NDArray, same number of elements as ``pred``, values as ``label_format`` says
    <sample_weight>

    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    ValueError
        ``label_format`` is neither 'signed' nor 'binary' (at construction); ``label`` has a
        different number of elements, or ``sample_weight`` does not broadcast.
    TypeError
        ``weight`` is neither a number nor None (at construction).
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
