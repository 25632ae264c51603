"""The operator lists of AMP (MXNet 1.9.1 ``mxnet.contrib.amp.lists``)."""
from minigluon.contrib.amp.lists import symbol_fp16

__all__ = ['symbol_fp16']
