"""``mx.gluon``: the MXNet-compatible namespace over minigluon's modules.

``from minigluon.gluon import nn, rnn, loss, data, utils`` and ``import minigluon.gluon.nn`` both work,
as ``from mxnet.gluon import nn`` does: the submodules are registered under this package's name.
"""
import sys as _sys

from minigluon import contrib, data, loss, nn, rnn, utils  # noqa: F401
from minigluon import block, parameter, trainer  # noqa: F401
from minigluon.block import Block, HybridBlock, SymbolBlock  # noqa: F401
from minigluon.parameter import Constant, DeferredInitializationError, Parameter, ParameterDict  # noqa: F401
from minigluon.trainer import Trainer  # noqa: F401
from minigluon.gluon import model_zoo  # noqa: F401
from minigluon.parameter import tensor_types  # noqa: F401  (MXNet's; gluon-ts's zoneout cell uses it)

for _name, _module in [('nn', nn), ('rnn', rnn), ('loss', loss), ('data', data), ('utils', utils),
                       ('contrib', contrib), ('block', block), ('parameter', parameter),
                       ('trainer', trainer)]:
    _sys.modules['%s.%s' % (__name__, _name)] = _module
