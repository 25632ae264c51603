"""Losses (``mxnet.gluon.loss``): the ``Loss`` base, the classic losses and ``CTCLoss``."""
from minigluon.loss.loss import (  # noqa: F401
    CosineEmbeddingLoss, HingeLoss, HuberLoss, KLDivLoss, L1Loss, L2Loss, LogisticLoss, Loss,
    PoissonNLLLoss, SigmoidBCELoss, SigmoidBinaryCrossEntropyLoss, SoftmaxCELoss, SoftmaxCrossEntropyLoss,
    SquaredHingeLoss, TripletLoss, _apply_weighting, _reshape_like)
from minigluon.loss.ctc import CTCLoss  # noqa: F401
