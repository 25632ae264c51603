"""``sym._internal``: the ``sym`` functions of the operators whose names start with ``_`` (MXNet
1.9.1 ``mx.sym._internal``; the same selection as :mod:`minigluon.ndarray._internal`), so that
``F._internal._plus(a, b, name='t0_state')`` also works in a hybridized block."""
from minigluon.ndarray._internal import internal_functions
from minigluon.ops import OPS as _OPS
from minigluon.symbol.op_names import MX_ALIASES as _MX_ALIASES


def refresh():
    """Add the operators registered after this module was imported."""
    import sys
    sym = sys.modules['minigluon.symbol']
    globals().update(internal_functions(vars(sym), list(_OPS) + list(_MX_ALIASES)))


refresh()
