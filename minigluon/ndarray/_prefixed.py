"""Namespaces of prefixed operators, shared by ``nd.contrib``/``sym.contrib`` and
``nd.linalg``/``sym.linalg``.

MXNet 1.9.1 files every operator whose registered name starts with ``_contrib_`` (or
``_linalg_``) into the ``contrib`` (or ``linalg``) namespace with the prefix removed:
``_contrib_ctc_loss`` is ``nd.contrib.ctc_loss``, ``_linalg_gemm2`` is ``nd.linalg.gemm2``.
The names are read from the operator registry, so calling :func:`fill` again adds operators
registered later.
"""
from minigluon import ops as _ops


def prefixed_names(prefix):
    """``{short name: registered name}`` for every registered operator or alias starting with
    ``prefix``."""
    return {name[len(prefix):]: name for name in _ops.OPS if name.startswith(prefix)}


def nd_function(full, short):
    """The ``nd`` function of the operator ``full``, named ``short``."""
    from minigluon.ndarray import _make_function
    fn = _make_function(full)
    fn.__name__ = short
    return fn


def fill(namespace, prefix, make=nd_function):
    """Add ``make(registered name, short name)`` to ``namespace`` for each operator starting with
    ``prefix`` that it does not hold yet."""
    for short, full in prefixed_names(prefix).items():
        if short not in namespace:
            namespace[short] = make(full, short)


def taken(name, spaces):
    """Where the operator name ``name`` would get no function because a namespace already holds
    something under it (:func:`fill` and ``_populate`` keep what is there): the first
    ``'<label>.<short name>'`` among ``spaces``, ``(label, namespace dict, prefix)`` triples
    (prefix ``''`` for the top-level namespace), or None. ``name`` is not registered yet, so what
    the namespace holds is no function of this operator (``nd.zeros``, ``nd.contrib.isinf``)."""
    for label, namespace, prefix in spaces:
        if name.startswith(prefix) and name[len(prefix):] in namespace:
            return '%s.%s' % (label, name[len(prefix):])
    return None
