"""Gluon losses (``mxnet.gluon.loss``, MXNet 1.9.1): the ``Loss`` base and the regression losses.

The classification losses live in :mod:`minigluon.loss.classification`, the embedding losses in
:mod:`minigluon.loss.embedding` and ``CTCLoss`` (documented on its own) in
:mod:`minigluon.loss.ctc`.

Every loss is a :class:`~minigluon.block.HybridBlock` whose ``hybrid_forward(F, pred, label, ...)``
uses only ``F.<op>`` calls, so it runs eagerly, hybridized and exported alike. Unless stated
otherwise a loss returns one value per sample: the elementwise loss, scaled by ``sample_weight``
(broadcast) and the constant ``weight``, then averaged over every axis but ``batch_axis``.
Formulas follow MXNet 1.9.1's ``python/mxnet/gluon/loss.py`` documentation.

Conventions shared by the classic losses unless a class says otherwise (``p`` = pred,
``y`` = label, ``N`` = batch size):

* ``label`` may have any shape with as many elements as ``pred``; it is reshaped to ``pred``'s
  shape first (a different element count is a ``ValueError`` naming both shapes; an
  ``MXNetValueError``, so ``except mx.base.MXNetError`` catches it as it catches MXNet's).
* ``sample_weight`` is multiplied into the elementwise loss with NumPy broadcasting, trailing
  axes aligned. For a ``(N, D)`` prediction a per-sample weight is ``(N, 1)``; a ``(N,)`` array
  lines up with the *last* axis (a ``ValueError`` unless ``N == D``, then silently per column).
* Every constructor also takes ``prefix`` and ``params`` keywords, passed to ``HybridBlock``.
* The output dtype is the floating dtype of the inputs (float32 unless float64 is given).
"""
import math
from numbers import Number

from minigluon import ndarray
from minigluon._docs import shared_sections
from minigluon.base import MXNetValueError, TypeAssertionError
from minigluon.block import HybridBlock

__all__ = ['Loss', 'L2Loss', 'L1Loss', 'HuberLoss', 'PoissonNLLLoss']


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """``loss * sample_weight`` (broadcast), then ``* weight`` (a Python number)."""
    if sample_weight is not None:
        if isinstance(sample_weight, (Number, list, tuple)) or type(sample_weight).__module__ == 'numpy':
            # loss(pred, label, 0.5): MXNet 1.9.1 fails inside broadcast_mul; say which argument
            raise TypeError('sample_weight must be an NDArray broadcastable to the loss, got %s; '
                            'for one scale for every sample pass weight= to the loss constructor'
                            % type(sample_weight).__name__)
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, Number):
            raise TypeAssertionError('weight must be a number, got %s' % type(weight).__name__)
        loss = loss * weight
    return loss


def _reshape_like(F, x, y, name='label', like='pred'):
    """``x`` (the argument ``name``) reshaped to the shape of ``y`` (the argument ``like``).

    Eagerly a size mismatch is an ``MXNetValueError`` naming both arguments and shapes: a
    ``ValueError`` that is also an ``MXNetError``, as MXNet 1.9.1 raises ``ValueError`` outside
    ``autograd.record()`` and ``MXNetError`` inside it (and when hybridized).
    """
    if F is ndarray:
        if x.size != y.size:
            raise MXNetValueError('%s of shape %s cannot be reshaped to the shape %s of %s (they '
                                  'must have the same number of elements)'
                                  % (name, x.shape, y.shape, like))
        return x.reshape(y.shape)
    return F.reshape_like(x, y)


# Docstring sections that the per-sample losses share (see minigluon/_docs.py).
_DOC_SECTIONS = {
    '    <weight and batch_axis>\n': """\
    weight : float or None, default None
        Global scale of the loss; ``None`` means 1.
    batch_axis : int, default 0
        Axis of ``pred`` that indexes samples; the mean is taken over all other axes.
""",
    '    <sample_weight>\n': """\
    sample_weight : NDArray, optional
        Broadcast against ``pred`` (per sample: ``(N, 1, ...)``).
""",
    '    <per-sample output and errors>\n': """\
    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``label`` has a different number of elements, or ``sample_weight`` does not broadcast.
""",
}


_shared_doc = shared_sections(_DOC_SECTIONS)


class Loss(HybridBlock):
    """Base class of losses.

    Parameters
    ----------
    weight : float or None
        Global scalar weight applied to the loss.
    batch_axis : int
        The axis that indexes samples; the per-sample loss is averaged over all other axes.
    prefix, params
        Passed to :class:`~minigluon.block.HybridBlock` (name prefix, shared ParameterDict).

    Subclasses implement ``hybrid_forward(F, pred, label, ...)``; calling the base raises
    ``NotImplementedError``. Semantics: MXNet 1.9.1 ``mxnet.gluon.loss.Loss``. A loss of your
    own is written as MXNet's are, with the helpers they use (``from minigluon.gluon.loss
    import _apply_weighting, _reshape_like``, MXNet's names)::

        class LogCoshLoss(gluon.loss.Loss):
            def __init__(self, weight=None, batch_axis=0, **kwargs):
                super().__init__(weight, batch_axis, **kwargs)

            def hybrid_forward(self, F, pred, label, sample_weight=None):
                label = _reshape_like(F, label, pred)
                loss = F.log(F.cosh(pred - label))
                loss = _apply_weighting(F, loss, self._weight, sample_weight)
                return F.mean(loss, axis=self._batch_axis, exclude=True)   # shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None: at construction, a ``TypeAssertionError`` (also
        an ``AssertionError``). **Differs from MXNet 1.9.1**, which asserts only when the loss is
        called (``AssertionError: weight must be a number``).
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        if weight is not None and not isinstance(weight, Number):
            raise TypeAssertionError('%s: weight must be a number or None, got %s'
                                     % (type(self).__name__, type(weight).__name__))
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return '%s(batch_axis=%s, w=%s)' % (type(self).__name__, self._batch_axis, self._weight)

    def _mean(self, F, loss):
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError('%s must implement hybrid_forward()' % type(self).__name__)


@_shared_doc
class L2Loss(Loss):
    r"""Half squared error, averaged per sample (MXNet 1.9.1 ``mxnet.gluon.loss.L2Loss``).

    .. math:: L_i = \frac{1}{M} \sum_j \tfrac{1}{2}\, weight \cdot w_{ij} (y_{ij} - p_{ij})^2

    where ``j`` runs over the ``M`` elements of sample ``i`` and ``w`` is ``sample_weight``.

    Parameters
    ----------
    weight : float, default 1.0
        Global scale of the loss. Must be a number (``None`` is not supported by this loss).
    batch_axis : int, default 0
        Axis of ``pred`` that indexes samples; the mean is taken over all other axes.

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
    label : NDArray, same number of elements as ``pred``
    <sample_weight>

    Outputs
    -------
    NDArray, shape (N,)

    Raises
    ------
    TypeError
        ``weight`` is not a number, None included (at construction, a ``TypeAssertionError``;
        MXNet 1.9.1 fails at the call: ``None / 2``).
    ValueError
        ``label`` has a different number of elements, or ``sample_weight`` does not broadcast.
    """

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        if weight is None:
            raise TypeAssertionError('L2Loss: weight must be a number (it scales the half squared '
                                     'error; None is not supported by this loss), got None')
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight / 2, sample_weight))


@_shared_doc
class L1Loss(Loss):
    r"""Absolute error, averaged per sample (MXNet 1.9.1 ``mxnet.gluon.loss.L1Loss``).

    .. math:: L_i = \frac{1}{M} \sum_j weight \cdot w_{ij} \lvert y_{ij} - p_{ij} \rvert

    Parameters
    ----------
    <weight and batch_axis>

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
    label : NDArray, same number of elements as ``pred``
    <sample_weight>

    <per-sample output and errors>
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


@_shared_doc
class HuberLoss(Loss):
    r"""Huber (smoothed L1) loss, averaged per sample (MXNet 1.9.1 ``mxnet.gluon.loss.HuberLoss``).

    With ``d = |y - p|``:

    .. math:: l = \frac{d^2}{2\rho} \text{ if } d \le \rho, \qquad l = d - \frac{\rho}{2} \text{ otherwise}

    (Huber 1964; MXNet's scaling by ``1/rho`` makes the two branches meet with slope 1).

    Parameters
    ----------
    rho : float, default 1
        Threshold between the quadratic and the linear part; must be a positive number
        (``ValueError`` at construction otherwise; MXNet 1.9.1 divides by 0 at the call for 0,
        and computes ``d + |rho|/2`` everywhere for a negative one).
    <weight and batch_axis>

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
    label : NDArray, same number of elements as ``pred``
    <sample_weight>

    <per-sample output and errors>
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        if isinstance(rho, bool) or not isinstance(rho, Number) or not rho > 0:
            raise ValueError('HuberLoss: rho must be a positive number (the threshold between the '
                             'quadratic and the linear part), got %r' % (rho,))
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho, (0.5 / self._rho) * F.square(loss))
        return self._mean(F, _apply_weighting(F, loss, self._weight, sample_weight))


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of a Poisson distribution, averaged over **all** elements
    (MXNet 1.9.1 ``mxnet.gluon.loss.PoissonNLLLoss``).

    With ``t`` = target and ``p`` = pred:

    .. math:: l = e^{p} - t\,p \quad (\text{from\_logits}), \qquad
              l = p - t \log(p + \epsilon) \quad (\text{otherwise})

    (the constant ``log(t!)`` is dropped). ``compute_full`` adds Stirling's approximation of it,
    ``t log t - t + 0.5 log(2 pi t)``, for targets ``t > 1`` only.

    Unlike the other losses the result is one number, not one per sample: the mean over every
    element, batch included. **Differs from MXNet:** with ``compute_full=True`` a target of 0
    gives MXNet a NaN loss (``0 * log 0`` is computed before being masked); minigluon never takes
    the logarithm where the term is unused, so the loss stays finite.

    Parameters
    ----------
    weight : float or None, default None
        Global scale of the loss; ``None`` means 1.
    from_logits : bool, default True
        True: ``pred`` is the log of the rate. False: ``pred`` is the rate itself (positive).
    batch_axis : int, default 0
        Kept for the common signature; the mean covers every axis.
    compute_full : bool, default False
        Add the Stirling term described above.

    Inputs
    ------
    pred : NDArray, shape (N, ...), floating point
    target : NDArray, same number of elements as ``pred``; non-negative counts
    sample_weight : NDArray, optional
        Broadcast against ``pred`` before the mean.
    epsilon : float, default 1e-08
        Added to ``pred`` inside the logarithm when ``from_logits`` is False (a keyword of the
        call, not of the constructor, as in MXNet).

    Outputs
    -------
    NDArray, shape (1,)

    Raises
    ------
    TypeError
        ``weight`` is neither a number nor None (at construction).
    ValueError
        ``target`` has a different number of elements, or ``sample_weight`` does not broadcast.
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred, name='target')
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
