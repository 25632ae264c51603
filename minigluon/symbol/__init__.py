"""The ``sym`` namespace: Symbol, variables, groups, JSON I/O and one function per registered operator.

Operator functions are generated from the registry, as MXNet generates ``mx.sym`` from its C++
registry: ``sym.FullyConnected(data, num_hidden=3, name='fc1')`` creates the variables
``fc1_weight`` and ``fc1_bias`` for the inputs not given.
"""
import sys as _sys

from minigluon import ops as _ops
from minigluon.symbol.symbol import Symbol  # noqa: F401
from minigluon.symbol.creation import Group, Variable, make_function as _make_function, var  # noqa: F401
from minigluon.symbol.json_io import load, load_json  # noqa: F401
from minigluon.symbol.op_names import MX_ALIASES as _MX_ALIASES


def _populate(namespace):
    names = list(_ops.OPS) + [a for a, target in _MX_ALIASES.items() if target in _ops.OPS]
    for name in names:
        if name not in namespace and not name.startswith('_getitem'):
            namespace[name] = _make_function(name)


_populate(globals())


def refresh():
    """Add functions for operators registered after this module was imported."""
    _populate(globals())


symbol = _sys.modules[__name__]
