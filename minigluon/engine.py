"""``mx.engine``: the bulk-execution size, kept for legacy scripts; it changes nothing here.

MXNet 1.9.1 (``python/mxnet/engine.py``) runs operators on an asynchronous engine that can
bundle up to ``size`` of them into one scheduled unit ("bulk execution"); ``set_bulk_size`` and
``with mx.engine.bulk(size):`` set that limit. minigluon has no asynchronous engine: every
operator runs when it is called. These functions only record the value, per thread and starting
at 0, as MXNet's engine keeps it (measured on MXNet 1.9.1), so code that sets and restores it
runs and reads back what it set.
"""
import threading

from minigluon.base import check_int

__all__ = ['set_bulk_size', 'bulk']

_local = threading.local()


def set_bulk_size(size):
    """Set this thread's bulk-execution size and return the previous one.

    Records the value only: minigluon has no asynchronous engine, so operators run one by one
    whatever the size (see the module docstring).

    Parameters
    ----------
    size : int
        At least 0 (MXNet: the most operators bundled into one bulk).

    Returns
    -------
    int
        The previous size of this thread (0 before any call).

    Raises
    ------
    TypeError
        When ``size`` is not an int.
    ValueError
        When ``size`` is negative (MXNet 1.9.1 fails inside its engine).
    """
    size = check_int(size, 'set_bulk_size: size', minimum=0)
    previous = getattr(_local, 'size', 0)
    _local.size = size
    return previous


class _BulkScope:
    """The ``with`` scope returned by :func:`bulk`."""

    def __init__(self, size):
        self._size = check_int(size, 'bulk: size', minimum=0)
        self._old_size = None

    def __enter__(self):
        self._old_size = set_bulk_size(self._size)
        return self

    def __exit__(self, ptype, value, trace):
        set_bulk_size(self._old_size)


def bulk(size):
    """A ``with`` scope that sets this thread's bulk-execution size and restores it on exit.

    As :func:`set_bulk_size`, it only records the value: minigluon runs every operator when it
    is called.

    Parameters
    ----------
    size : int
        At least 0.

    Returns
    -------
    context manager

    Raises
    ------
    TypeError, ValueError
        As :func:`set_bulk_size`, when the scope is made.

    Examples
    --------
    >>> with mx.engine.bulk(10):
    ...     x = mx.nd.zeros((1,))
    ...     for i in range(100):
    ...         x += 1
    """
    return _BulkScope(size)
