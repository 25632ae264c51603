"""``sym.op``: every operator function of ``sym`` under its public name (MXNet 1.9.1's
``mx.sym.op`` module: ``mx.sym.op.Convolution is mx.sym.Convolution``); the same selection as
:mod:`minigluon.ndarray.op`, over ``sym``'s functions (MXNet's aliases included)."""
from minigluon.ndarray.op import _operator_functions
from minigluon.ops import OPS as _OPS
from minigluon.symbol.op_names import MX_ALIASES as _MX_ALIASES


def _fill():
    import sys
    sym = sys.modules['minigluon.symbol']
    globals().update(_operator_functions(vars(sym), list(_OPS) + list(_MX_ALIASES)))


_fill()
