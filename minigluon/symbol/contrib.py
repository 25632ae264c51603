"""``sym.contrib``: the operators MXNet registers as ``_contrib_<name>``, under ``<name>``.

As ``mx.sym.contrib`` in MXNet 1.9.1: ``sym.contrib.ctc_loss(data=..., label=...)`` builds the same
node as ``sym.ctc_loss`` (written as ``CTCLoss`` in ``-symbol.json``, the name MXNet writes for
every alias of that operator) and names it ``ctc_loss0``, ``ctc_loss1``... The list is read from
the operator registry; :func:`refresh` adds operators registered later. The same functions are
``minigluon.contrib.sym`` / ``contrib.symbol``.

The control-flow functions ``foreach``, ``while_loop`` and ``cond`` come from
:mod:`minigluon.control_flow.symbolic`.
"""
from minigluon.control_flow.symbolic import cond, foreach, while_loop  # noqa: F401
from minigluon.ndarray._prefixed import fill as _fill
from minigluon.ndarray.contrib import _PREFIX
from minigluon.symbol.creation import make_function as _make_function


def refresh():
    """Add functions for ``_contrib_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX, lambda full, short: _make_function(full, hint=short))


refresh()
