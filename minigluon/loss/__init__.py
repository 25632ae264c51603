"""Losses (``mxnet.gluon.loss``): the ``Loss`` base, the classic losses, ``SDMLLoss`` and ``CTCLoss``."""
from minigluon.loss.loss import (  # noqa: F401
    HuberLoss, L1Loss, L2Loss, Loss, PoissonNLLLoss, _apply_weighting, _reshape_like)
from minigluon.loss.classification import (  # noqa: F401
    HingeLoss, KLDivLoss, LogisticLoss, SigmoidBCELoss, SigmoidBinaryCrossEntropyLoss, SoftmaxCELoss,
    SoftmaxCrossEntropyLoss, SquaredHingeLoss)
from minigluon.loss.embedding import CosineEmbeddingLoss, SDMLLoss, TripletLoss  # noqa: F401
from minigluon.loss.ctc import CTCLoss  # noqa: F401

from minigluon import base as _base  # noqa: E402

# PyTorch's loss names (torch.nn.<name>) that MXNet 1.9.1's gluon.loss lacks (checked against it:
# tests/fixtures/other_frameworks): asking for one names the Gluon loss, which returns one value
# per sample (shape (N,)); gluon.nn gives the same hints, where PyTorch keeps its losses
_OTHER_FRAMEWORKS = {
    'CrossEntropyLoss': 'use gluon.loss.SoftmaxCrossEntropyLoss(), which takes class indices as '
                        'the label and the classes on the last axis (axis=1 for (N, C, H, W) '
                        'scores)',
    'MSELoss': 'use gluon.loss.L2Loss(), which is half the squared error: 0.5 * (pred - label)**2, '
               'averaged over each sample',
    'BCEWithLogitsLoss': 'use gluon.loss.SigmoidBinaryCrossEntropyLoss(), which takes scores '
                         '(from_sigmoid=False)',
    'BCELoss': 'use gluon.loss.SigmoidBinaryCrossEntropyLoss(from_sigmoid=True), for '
               'probabilities',
    'NLLLoss': 'use gluon.loss.SoftmaxCrossEntropyLoss(from_logits=True), given '
               'log-probabilities',
    'SmoothL1Loss': 'use gluon.loss.HuberLoss(rho=beta)',
}

__getattr__ = _base.out_of_scope_getattr(__name__, other_frameworks=_OTHER_FRAMEWORKS)
