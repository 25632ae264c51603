"""Losses (``mxnet.gluon.loss``): the ``Loss`` base, the classic losses, ``SDMLLoss`` and ``CTCLoss``."""
from minigluon.loss.loss import (  # noqa: F401
    HuberLoss, L1Loss, L2Loss, Loss, PoissonNLLLoss, _apply_weighting, _reshape_like)
from minigluon.loss.classification import (  # noqa: F401
    HingeLoss, KLDivLoss, LogisticLoss, SigmoidBCELoss, SigmoidBinaryCrossEntropyLoss, SoftmaxCELoss,
    SoftmaxCrossEntropyLoss, SquaredHingeLoss)
from minigluon.loss.embedding import CosineEmbeddingLoss, SDMLLoss, TripletLoss  # noqa: F401
from minigluon.loss.ctc import CTCLoss  # noqa: F401
