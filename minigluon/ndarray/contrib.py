"""``nd.contrib``: the operators MXNet registers as ``_contrib_<name>``, under ``<name>``.

MXNet 1.9.1 files every operator whose registered name starts with ``_contrib_`` into the
``mx.nd.contrib`` namespace with the prefix removed (``_contrib_ctc_loss`` is
``mx.nd.contrib.ctc_loss``); legacy code (the OCR examples, for one) calls them that way. The list
is read from the operator registry, so an operator registered later as ``_contrib_<name>`` appears
here after :func:`refresh`. The same functions are ``minigluon.contrib.nd`` / ``contrib.ndarray``.

The control-flow functions ``foreach``, ``while_loop`` and ``cond`` (Python functions in MXNet
too) come from :mod:`minigluon.control_flow.eager`.
"""
from minigluon.control_flow.eager import cond, foreach, while_loop  # noqa: F401
from minigluon.ndarray._prefixed import fill as _fill

_PREFIX = '_contrib_'


def refresh():
    """Add functions for ``_contrib_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX)


refresh()
