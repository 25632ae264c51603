"""``nd.contrib``: the operators MXNet registers as ``_contrib_<name>``, under ``<name>``.

MXNet 1.9.1 files every operator whose registered name starts with ``_contrib_`` into the
``mx.nd.contrib`` namespace with the prefix removed (``_contrib_ctc_loss`` is
``mx.nd.contrib.ctc_loss``); legacy code (the OCR examples, for one) calls them that way. The list
is read from the operator registry, so an operator registered later as ``_contrib_<name>`` appears
here after :func:`refresh`. The same functions are ``minigluon.contrib.nd`` / ``contrib.ndarray``.

``isinf``, ``isnan`` and ``isfinite`` are Python functions over comparison operators, as in
MXNet 1.9.1 (there is no ``_contrib_isfinite`` operator; ``mx.sym.contrib`` has none of them).

The control-flow functions ``foreach``, ``while_loop`` and ``cond`` (Python functions in MXNet
too) come from :mod:`minigluon.control_flow.eager`.
"""
import numpy as np

from minigluon.control_flow.eager import cond, foreach, while_loop  # noqa: F401
from minigluon.ndarray._prefixed import fill as _fill

_PREFIX = '_contrib_'


def refresh():
    """Add functions for ``_contrib_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX)


refresh()


def isinf(data):
    """1 where ``data`` is +inf or -inf, else 0 (float array of ``data``'s shape and dtype;
    MXNet 1.9.1 ``nd.contrib.isinf``: ``abs(data) == inf``)."""
    return data.abs() == np.inf


def isnan(data):
    """1 where ``data`` is NaN, else 0 (``data != data``; MXNet 1.9.1 ``nd.contrib.isnan``)."""
    return data != data  # noqa: PLR0124 -- NaN is the one value unequal to itself


def isfinite(data):
    """1 where ``data`` is neither infinite nor NaN, else 0 (MXNet 1.9.1 ``nd.contrib.isfinite``)."""
    from minigluon.ndarray import logical_and
    return logical_and(data.abs() != np.inf, data == data)  # noqa: PLR0124
