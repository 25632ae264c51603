"""The ``nd`` namespace: NDArray, creation functions, file I/O and one function per registered operator.

Operator functions are generated from the registry (as MXNet generates ``mx.nd`` from its C++
registry): ``nd.FullyConnected(x, w, b, num_hidden=3)``, ``nd.relu(x)``, ``nd.CTCLoss(...)``.
"""
import sys as _sys

from minigluon import ops as _ops
from minigluon.ndarray.ndarray import NDArray, call_op, invoke  # noqa: F401
from minigluon.ndarray.creation import (  # noqa: F401
    DEFAULT_DTYPE, arange, array, empty, eye, from_dlpack, from_numpy, full, linspace, ones, ones_like,
    to_dlpack_for_read, to_dlpack_for_write, waitall, zeros, zeros_like)


def _make_function(op_name):
    def fn(*args, **kwargs):
        return call_op(op_name, *args, **kwargs)
    fn.__name__ = op_name
    cls = _ops.OPS[op_name]
    fn.__doc__ = cls.__doc__
    return fn


def _populate(namespace):
    for _name in list(_ops.OPS):
        if _name not in namespace and not _name.startswith('_getitem'):
            namespace[_name] = _make_function(_name)


_populate(globals())

try:  # file I/O lives in serialization (written separately); optional until present
    from minigluon.serialization import load, load_frombuffer, save  # noqa: F401
except ImportError:  # pragma: no cover
    pass

ndarray = _sys.modules[__name__]
