"""``gluon.nn``: neural network layers (MXNet 1.9.1 ``mxnet.gluon.nn``)."""
from minigluon.block import Block, HybridBlock, HybridSequential, Sequential  # noqa: F401
from minigluon.nn.activations import *  # noqa: F401,F403
from minigluon.nn.basic_layers import *  # noqa: F401,F403
from minigluon.nn.conv_layers import *  # noqa: F401,F403
try:  # SymbolBlock lives with the symbol engineer's block code
    from minigluon.block import SymbolBlock  # noqa: F401
except ImportError:  # pragma: no cover
    pass
