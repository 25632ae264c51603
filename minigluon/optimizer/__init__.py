"""Optimizers: ``Optimizer`` base with a registry, SGD, NAG, Adam, AdamW, RMSProp, AdaGrad, AdaDelta,
Adamax, Ftrl, Signum, Nadam, LAMB, FTML, LARS, DCASGD, ccSGD, SGLD, LBSGD,
GroupAdaGrad, Test, and the ``Updater`` that a Trainer uses to keep per-parameter states.

Semantics follow ``mxnet.optimizer`` (MXNet 1.9.1) and the update operators it calls
(``sgd_mom_update``, ``adam_update``, ``rmspropalex_update``...; see MXNet's operator docs); AdamW
follows MXNet 2.0's ``AdamW`` (bias correction folded into the rate, decoupled weight decay).
Updates change the weight and the states in place, directly on the underlying NumPy/CuPy arrays:
nothing is recorded by autograd. ``weight``, ``grad`` and states may be NDArrays or raw arrays.

Layout: :mod:`~minigluon.optimizer.base` (Optimizer, registry, Updater),
:mod:`~minigluon.optimizer.sgd` (SGD, NAG, Signum), :mod:`~minigluon.optimizer.adaptive` (Adam,
AdamW, RMSProp, AdaGrad, AdaDelta, Adamax, Ftrl), :mod:`~minigluon.optimizer.extra` (Nadam, LAMB,
FTML, LARS, DCASGD), :mod:`~minigluon.optimizer.legacy` (ccSGD, SGLD, LBSGD,
GroupAdaGrad, Test): every optimizer MXNet 1.9.1 registers (GroupAdaGrad also as
``optimizer.contrib.GroupAdaGrad``). Importing this package registers them all.
"""
from minigluon.optimizer.base import Optimizer, Updater, create, get_updater, register  # noqa: F401
from minigluon.optimizer.sgd import NAG, SGD, Signum  # noqa: F401
from minigluon.optimizer.adaptive import (  # noqa: F401
    AdaDelta, AdaGrad, Adam, Adamax, AdamW, Ftrl, RMSProp)
from minigluon.optimizer.extra import DCASGD, FTML, LAMB, LARS, Nadam  # noqa: F401
from minigluon.optimizer.legacy import LBSGD, SGLD, GroupAdaGrad, Test, ccSGD  # noqa: F401
from minigluon.optimizer import contrib  # noqa: F401

__all__ = ['Optimizer', 'register', 'create', 'Updater', 'get_updater', 'SGD', 'NAG', 'Adam', 'AdamW',
           'RMSProp', 'AdaGrad', 'AdaDelta', 'Adamax', 'Ftrl', 'Signum',
           'Nadam', 'LAMB', 'FTML', 'LARS', 'DCASGD', 'ccSGD', 'SGLD', 'LBSGD', 'GroupAdaGrad', 'Test']
