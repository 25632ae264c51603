"""``nd.contrib``: the operators MXNet registers as ``_contrib_<name>``, under ``<name>``.

MXNet 1.9.1 files every operator whose registered name starts with ``_contrib_`` into the
``mx.nd.contrib`` namespace with the prefix removed (``_contrib_ctc_loss`` is
``mx.nd.contrib.ctc_loss``); legacy code (the OCR examples, for one) calls them that way. The list
is read from the operator registry, so an operator registered later as ``_contrib_<name>`` appears
here after :func:`refresh`. The same functions are ``minigluon.contrib.nd`` / ``contrib.ndarray``.

The control-flow functions ``foreach``, ``while_loop`` and ``cond`` (Python functions in MXNet
too) come from :mod:`minigluon.control_flow.eager`.
"""
from minigluon import ops as _ops
from minigluon.control_flow.eager import cond, foreach, while_loop  # noqa: F401

_PREFIX = '_contrib_'


def _contrib_names():
    """``{short name: registered name}`` for every registered ``_contrib_`` operator or alias."""
    return {name[len(_PREFIX):]: name for name in _ops.OPS if name.startswith(_PREFIX)}


def refresh():
    """Add functions for ``_contrib_`` operators registered after this module was imported."""
    from minigluon.ndarray import _make_function
    namespace = globals()
    for short, full in _contrib_names().items():
        if short not in namespace:
            fn = _make_function(full)
            fn.__name__ = short
            namespace[short] = fn


refresh()
