"""``sym.linalg``: the operators MXNet registers as ``_linalg_<name>``, under ``<name>``.

As ``mx.sym.linalg`` in MXNet 1.9.1: ``sym.linalg.gemm2(a, b)`` builds the same node as
``sym.linalg_gemm2`` (written as ``_linalg_gemm2`` in ``-symbol.json``) but names it as MXNet
does, after the short name: ``gemm20``, ``gemm21``... (``sym.linalg_gemm2`` gives
``linalg_gemm20``). :func:`refresh` adds operators registered later. Inside ``hybrid_forward``
these are ``F.linalg.<name>`` when ``F`` is ``sym``.
"""
from minigluon.ndarray._prefixed import fill as _fill
from minigluon.ndarray.linalg import _PREFIX
from minigluon.symbol.creation import make_function as _make_function


def refresh():
    """Add functions for ``_linalg_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX, lambda full, short: _make_function(full, hint=short))


refresh()
