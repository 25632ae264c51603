"""``mxnet.optimizer.contrib``: GroupAdaGrad (defined in :mod:`minigluon.optimizer.legacy`)."""
from minigluon.optimizer.legacy import GroupAdaGrad  # noqa: F401

__all__ = ['GroupAdaGrad']
