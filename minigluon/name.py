"""Automatic naming of symbols and blocks: ``NameManager`` and ``Prefix``.

Semantics follow ``mxnet.name`` (MXNet 1.9.1). A name manager hands out ``hint + counter`` names
(``fullyconnected0``, ``dense1``...) with one counter per hint. Outside any ``with`` scope the
counters are process-wide (MXNet's observed behaviour: ``dense0_``, then ``dense1_``); ``with
NameManager():`` installs a fresh set of counters for the current thread and restores the previous
manager on exit, so tests can reset the numbering.
"""
import threading

__all__ = ['NameManager', 'Prefix']


class _ClassProperty:
    """A read-only property on the class (``NameManager.current``)."""

    def __init__(self, fget):
        self.fget = fget

    def __get__(self, obj, owner):
        return self.fget(owner)


class NameManager:
    """Hands out unique names for operators and blocks that were not given one.

    Use ``NameManager.current.get(name, hint)``; use ``with NameManager():`` to start counting
    afresh in a scope.

    Examples
    --------
    >>> with NameManager():
    ...     NameManager.current.get(None, 'dense'), NameManager.current.get(None, 'dense')
    ('dense0', 'dense1')
    """

    _current = None        # a threading.local whose ``value`` is the active manager (set below)

    def __init__(self):
        self._counter = {}
        # the manager each __enter__ not yet exited replaced: a manager may be entered again
        # inside itself (MXNet 1.9.1 keeps one and fails on the outer exit's next name)
        self._entered = []

    def get(self, name, hint):
        """Return ``name`` if it is given (not None or empty), else ``hint`` plus its next number.

        Parameters
        ----------
        name : str or None
            A name the user chose.
        hint : str
            The stem of an automatic name (e.g. ``'fullyconnected'``).

        Returns
        -------
        str
        """
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return '%s%d' % (hint, count)

    def __enter__(self):
        self._entered.append(NameManager._current.value)
        NameManager._current.value = self
        return self

    def __exit__(self, ptype, value, trace):
        NameManager._current.value = self._entered.pop()

    @_ClassProperty
    def current(cls):
        """The manager in effect for this thread (the process-wide default outside any scope)."""
        return NameManager._current.value


class Prefix(NameManager):
    """A name manager that prepends ``prefix`` to every name, given or automatic.

    Parameters
    ----------
    prefix : str
        The prefix, e.g. ``'mlp_'``; ``with Prefix('mlp_'): sym.FullyConnected(...)`` names the
        node ``mlp_fullyconnected0``.
    """

    def __init__(self, prefix):
        super().__init__()
        if not isinstance(prefix, str):
            raise TypeError('Prefix: prefix must be a str, got %s' % type(prefix).__name__)
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


_DEFAULT = NameManager()


class _Current(threading.local):
    # Each thread starts on the process-wide default manager.
    def __init__(self):
        super().__init__()
        self.value = _DEFAULT


NameManager._current = _Current()
