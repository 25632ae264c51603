"""Embedding losses (MXNet 1.9.1 ``mxnet.gluon.loss``): ``TripletLoss`` and ``CosineEmbeddingLoss``.

Shapes, ``sample_weight`` broadcasting and the shared constructor arguments follow the conventions
in :mod:`minigluon.loss.loss`.
"""
from minigluon.loss.loss import Loss, _apply_weighting, _reshape_like

__all__ = ['TripletLoss', 'CosineEmbeddingLoss']


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
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
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
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, shape=(-1, 1))
        norms = F.reshape(F.norm(input1, axis=-1) * F.norm(input2, axis=-1), shape=(-1, 1))
        dot = F.reshape(F.sum(input1 * input2, axis=-1), shape=(-1, 1))
        cos_sim = dot / F._maximum_scalar(norms, scalar=1e-12)
        loss = (1 - cos_sim) * (label == 1) + F.relu((label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, loss, self._weight, sample_weight)
