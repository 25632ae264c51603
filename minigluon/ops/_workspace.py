"""Buffers kept across calls of a hybridized graph (``hybridize(static_alloc=True)``).

A **workspace** is a plain dict ``{key: array}``. A ``CachedOp`` made with ``static_alloc`` gives
every operator that declares ``uses_workspace`` one of its own (one per plan step and thread,
held in ``CachedOp._workspaces`` for as long as the CachedOp lives), kept from one call to the
next, as ``op.static_workspace`` (not ``workspace``: that is an MXNet attribute of
Convolution). An operator asks :func:`buffer` for its large arrays under fixed keys (``'cols'``,
``'gout'``...); the array kept under a key from an earlier call is handed out again only when
*nothing else* references it any more (its reference count shows only the dict), so a graph
still waiting for its backward, a saved output, an array the user kept or a view of any of them
never shares memory with a new call. On CPU this avoids allocating, and page-faulting in, the
same large buffers on every training step, which is what MXNet's ``static_alloc`` ("statically
allocate memory to improve speed", MXNet 1.9.1's ``CachedOpConfig``) is for; minigluon has no
memory planner beyond this. Without a workspace (eager calls, or no ``static_alloc``),
:func:`buffer` is ``xp.empty``/``xp.zeros``.
"""
import sys


def _references_when_free(ws, key):
    """``sys.getrefcount`` of ``ws[key]`` read as :func:`buffer` reads it, when only ``ws`` holds
    it. Measured rather than assumed (3 on CPython 3.11: the dict, the local, the argument):
    CPython 3.14 borrows references for locals loaded onto the stack and reports fewer, and a
    hard-coded 3 would then hand out an array that someone still holds."""
    arr = ws.get(key)
    return sys.getrefcount(arr)


_FREE_REFS = _references_when_free({'k': bytearray(1)}, 'k')


def workspace_of(op):
    """The workspace dict a static_alloc graph lent ``op``, or None."""
    return getattr(op, 'static_workspace', None)


def buffer(xp, ws, key, shape, dtype, zero=False):
    """An array of ``shape`` and ``dtype`` (zero-filled with ``zero=True``; otherwise its contents
    are undefined): the one kept in ``ws[key]`` when nothing else references it, else a new one
    (then kept there for the next call). ``ws`` None: a plain new array."""
    if ws is None:
        return xp.zeros(shape, dtype=dtype) if zero else xp.empty(shape, dtype=dtype)
    arr = ws.get(key)
    # references when free: the dict entry, ``arr`` and getrefcount's argument (_FREE_REFS)
    if arr is None or arr.shape != tuple(shape) or arr.dtype != dtype or sys.getrefcount(arr) > _FREE_REFS:
        arr = ws[key] = xp.zeros(shape, dtype=dtype) if zero else xp.empty(shape, dtype=dtype)
    elif zero:
        arr.fill(0)
    return arr
