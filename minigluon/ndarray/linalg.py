"""``nd.linalg``: the operators MXNet registers as ``_linalg_<name>``, under ``<name>``.

MXNet 1.9.1 files every operator whose registered name starts with ``_linalg_`` into
``mx.nd.linalg`` with the prefix removed: ``_linalg_gemm2`` is ``nd.linalg.gemm2`` (and, through
its alias, ``nd.linalg_gemm2``); ``-symbol.json`` files name it ``_linalg_gemm2`` either way. The
list is read from the operator registry (:mod:`minigluon.ops.linalg`, ``linalg_la``,
``linalg_tri``), so an operator registered later appears here after :func:`refresh`. Inside
``hybrid_forward`` the same functions are ``F.linalg.<name>`` when ``F`` is ``nd``.
"""
from minigluon.ndarray._prefixed import fill as _fill

_PREFIX = '_linalg_'


def refresh():
    """Add functions for ``_linalg_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX)


refresh()
