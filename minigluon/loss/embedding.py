"""Embedding losses (MXNet 1.9.1 ``mxnet.gluon.loss``): ``TripletLoss``, ``CosineEmbeddingLoss`` and
``SDMLLoss``.

Shapes, ``sample_weight`` broadcasting and the shared constructor arguments follow the conventions
in :mod:`minigluon.loss.loss`.
"""
from minigluon import ndarray
from minigluon.base import ValueAssertionError
from minigluon.loss.classification import KLDivLoss
from minigluon.loss.loss import Loss, _apply_weighting, _reshape_like

__all__ = ['TripletLoss', 'CosineEmbeddingLoss', 'SDMLLoss']


class TripletLoss(Loss):
    r"""Triplet loss of an anchor, a positive and a negative embedding (MXNet 1.9.1
    ``mxnet.gluon.loss.TripletLoss``; Schroff et al. 2015, FaceNet).

    .. math:: L_i = weight \cdot w_i \max\left(0,\
              \sum_j (a_{ij} - p^+_{ij})^2 - (a_{ij} - p^-_{ij})^2 + margin\right)

    with anchors ``a`` = pred, ``p+`` = positive, ``p-`` = negative.

    The squared differences are *summed*, not averaged, over the non-batch axes, and the margin is
    applied to that sum.

    Parameters
    ----------
    margin : float, default 1
        How much farther the negative must be (in squared distance) than the positive.
    weight : float or None, default None
        Global scale of the loss; ``None`` means 1.
    batch_axis : int, default 0
        Axis that indexes samples; the sum is taken over all other axes.

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
        The anchors.
    positive, negative : NDArray, same number of elements as ``pred``
    sample_weight : NDArray, optional
        minigluon extension (MXNet 1.9.1's ``TripletLoss`` takes none): multiplies the ``(N,)``
        result, so give shape ``(N,)`` (a ``(N, 1)`` weight broadcasts the result to ``(N, N)``).

    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``positive`` or ``negative`` has a different number of elements, or ``sample_weight``
        does not broadcast.
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative, sample_weight=None):
        positive = _reshape_like(F, positive, pred, name='positive')
        negative = _reshape_like(F, negative, pred, name='negative')
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred), axis=self._batch_axis,
                     exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class CosineEmbeddingLoss(Loss):
    r"""Cosine embedding loss between two batches of vectors (MXNet 1.9.1
    ``mxnet.gluon.loss.CosineEmbeddingLoss``).

    With ``c = cos(x1, x2) = x1.x2 / max(|x1| |x2|, 1e-12)`` per row:

    .. math:: l = 1 - c \quad (y = 1), \qquad l = \max(0,\ c - margin) \quad (y = -1)

    and 0 for any other label value.

    Parameters
    ----------
    weight : float or None, default None
        Global scale of the loss; ``None`` means 1.
    batch_axis : int, default 0
        Kept for the common signature; rows are always along axis 0.
    margin : float, default 0
        Cosine similarity above which a dissimilar pair (``y = -1``) is penalised.

    Inputs
    ------
    input1 : NDArray, same number of elements as ``input2`` (reshaped to its shape)
    input2 : NDArray, shape (N, D), floating point; the cosine is taken over the last axis
    label : NDArray, N elements, values 1 (similar) or -1 (dissimilar)
    sample_weight : NDArray, optional
        Multiplies the ``(N, 1)`` result: give ``(N, 1)`` (a ``(N,)`` weight broadcasts the result
        to ``(N, N)``, as in MXNet).

    Outputs
    -------
    NDArray, shape (N, 1)
        Not reduced to ``(N,)``, as in MXNet 1.9.1.

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``input1`` has a different number of elements than ``input2``, or ``sample_weight`` does
        not broadcast.
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2, name='input1', like='input2')
        label = F.reshape(label, shape=(-1, 1))
        norms = F.reshape(F.norm(input1, axis=-1) * F.norm(input2, axis=-1), shape=(-1, 1))
        dot = F.reshape(F.sum(input1 * input2, axis=-1), shape=(-1, 1))
        cos_sim = dot / F._maximum_scalar(norms, scalar=1e-12)
        loss = (1 - cos_sim) * (label == 1) + F.relu((label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, loss, self._weight, sample_weight)


class SDMLLoss(Loss):
    r"""Batchwise smoothed deep metric learning loss (MXNet 1.9.1 ``mxnet.gluon.loss.SDMLLoss``;
    Bonadiman, Kumar and Mittal 2019, "Large Scale Question Paraphrase Retrieval with Smoothed Deep
    Metric Learning", arXiv:1905.12786).

    Row ``i`` of ``x2`` is the positive partner of row ``i`` of ``x1``; every other row of the batch
    serves as a negative. With squared Euclidean distances ``D_ij = |x1_i - x2_j|^2``,
    ``q_i = log_softmax(-D_i)`` and smoothed targets ``t_ii = 1 - s``, ``t_ij = s / (N - 1)``:

    .. math:: L_i = weight \cdot \sum_j t_{ij} \left(\log(t_{ij} + 10^{-12}) - q_{ij}\right)

    (the :class:`KLDivLoss` of ``q`` against ``t``, held as the child block ``kl_loss``).

    **Differs from MXNet 1.9.1**, where the loss only runs eagerly on float32: minigluon's also
    hybridizes and exports (MXNet reads ``x1.shape`` and fails on a Symbol), accepts float64 and
    float16 (MXNet's float32 target matrix clashes with them) and honours ``weight`` (MXNet
    ignores it; with the default 1 both agree).

    Parameters
    ----------
    smoothing_parameter : float, default 0.3
        Probability mass ``s`` spread over the negatives; below 1.
    weight : float or None, default 1.0
        Global scale of the loss.
    batch_axis : int, default 0
        Kept for the common signature; samples are the rows.

    Inputs
    ------
    x1 : NDArray, shape (N, D), floating point
    x2 : NDArray, shape (N, D), same dtype; ``x2[i]`` is the positive of ``x1[i]``

    Outputs
    -------
    NDArray, shape (N,)
        With ``N = 1`` the target has no negatives and the result is NaN, as in MXNet.

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``x1`` is not 2-D, or ``x2`` has a different shape (checked when called eagerly); a
        ``ValueAssertionError``, also an ``AssertionError``, which MXNet's ``assert`` raises.
    """

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _smoothed_targets(self, F, x1):
        """``(N, N)``: ``1 - s`` on the diagonal, ``s / (N - 1)`` elsewhere, in ``x1``'s dtype."""
        rows = F.contrib.arange_like(x1, axis=0)
        gold = F.broadcast_equal(F.expand_dims(rows, axis=1), F.expand_dims(rows, axis=0))
        off = 1 - gold
        negatives = F.sum(off, axis=1, keepdims=True)             # N - 1 in every row
        s = self.smoothing_parameter
        return gold * (1 - s) + F.broadcast_div(off * s, negatives)

    def hybrid_forward(self, F, x1, x2):
        if F is ndarray and (x1.ndim != 2 or x1.shape != x2.shape):
            raise ValueAssertionError('SDMLLoss: x1 and x2 must both have shape (batch_size, dim), '
                                      'got %s and %s' % (x1.shape, x2.shape))
        diffs = F.broadcast_sub(F.expand_dims(x1, axis=1), F.expand_dims(x2, axis=0))
        distances = F.sum(F.square(diffs), axis=2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        loss = self.kl_loss(log_probabilities, self._smoothed_targets(F, x1))
        return _apply_weighting(F, loss, self._weight)
