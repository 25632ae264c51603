"""``minigluon.init``: the same module content as :mod:`minigluon.initializer` (MXNet's ``mx.init``)."""
from minigluon.initializer import *  # noqa: F401,F403
from minigluon.initializer import (  # noqa: F401
    Bilinear, Constant, FusedRNN, InitDesc, Initializer, Load, LSTMBias, Mixed, MSRAPrelu, Normal, One, Orthogonal,
    Uniform, Xavier, Zero, alias, create, register)
