"""Floating-point errors inside minigluon's kernels are ignored, as MXNet 1.9.1 ignores them.

MXNet computes ``log(0) = -inf``, ``sqrt(-1) = nan``, ``x / 0``, a float16 overflow... silently:
its C++ kernels never report IEEE floating-point errors, and never raise ``FloatingPointError``.
NumPy, by default, prints ``RuntimeWarning: divide by zero encountered in log`` for each, which
would fill a legacy user's training log (a loss taking the log of a softmax that underflowed).
So every operator kernel runs with NumPy's floating-point error handling set to ``'ignore'``:
the values are NumPy's own (inf and nan where IEEE says so), only the report goes.

Where: :func:`~minigluon.ndarray.invoke` (every eager operator, inline: it is the per-operator
overhead of the framework), :meth:`minigluon.executor.CachedOp._call_planned` (a hybridized
graph, once per call) and the backward pass (:func:`minigluon.autograd._run_backward`, eager and
hybridized nodes alike), with :func:`fp_errors_ignored`; so operator kernels
(:mod:`minigluon.ops`) need no ``np.errstate`` of their own (the CTC kernel keeps its own: its
functions are also called directly, as the reference of the compiled kernels). The other places that compute on
arrays outside an operator, where MXNet runs C++ code, use the decorator too: the optimizers'
``update`` / ``update_multi_precision``, in-place arithmetic (``x /= 0``), ``__setitem__``,
``nd.array`` and ``copyto`` (a float16 overflow in the cast), ``Parameter.cast``, the key-value
stores' sums and copies, and the ``loss`` metric. The worker threads of
:mod:`minigluon.ops._parallel` take the calling thread's state, hence ``'ignore'`` too. The
metrics written with NumPy in MXNet too (``CrossEntropy``, ``NegativeLogLikelihood``,
``PearsonCorrelation``) keep NumPy's warnings, as there.

The user's own settings are left alone: the state is set for the duration of our call and the
caller's state is restored afterwards, also when the kernel raises. A user's
``np.seterr(all='raise')`` therefore holds for their own NumPy code before and after each
minigluon call, but not inside our kernels (MXNet never raises there either). The user's Python
code that an operator or a backward pass calls back (a ``CustomOp``'s ``forward`` and
``backward``, an ``autograd.Function``'s ``backward``) runs under NumPy's default state
(:data:`DEFAULTS`: warn about division by zero, overflow and invalid values, ignore underflow;
:func:`with_numpy_defaults`), not under ``'ignore'``: MXNet 1.9.1 runs those callbacks on a
thread of its own, which has NumPy's defaults whatever the calling thread set, so a
``CustomOp`` written in NumPy prints the same ``RuntimeWarning`` there (and a user's
``np.seterr(all='raise')`` does not reach it there either). The user's code that an optimizer
update or a key-value store push calls back (a Python optimizer's own ``update``, an
``lr_scheduler``, a ``set_updater`` function) runs under the caller's own state
(:func:`call_as_caller`, kept by :func:`fp_errors_ignored_calling_back`), as MXNet runs it in
the caller's thread. ``warnings.warn`` calls of minigluon's own (deprecations, notes) are not
floating-point errors and are not affected.

The mechanism is chosen for speed (``with np.errstate(all='ignore')`` costs about 1.2 us per
call, against about 2.7 us for a whole recorded tiny operator):

* NumPy 2.x keeps the error state in a context variable (``numpy._core._ufunc_config.
  _extobj_contextvar``, what ``np.errstate`` itself sets): :data:`enter` sets it to a value
  built once, at import, and returns a token, :data:`leave` resets it with the token (about
  0.15 us for both). The prebuilt value carries the buffer size and error callback in force at
  import (NumPy's defaults unless changed before): with every error ignored the callback is never
  called, and the buffer size changes speed only;
* NumPy 1.26 has ``np.geterrobj`` / ``np.seterrobj`` (the state of the thread);
* otherwise ``np.errstate(all='ignore')``, entered and exited by hand.

Usage (a hot path; elsewhere use the decorator)::

    token = enter(IGNORE)
    try:
        ...                # kernels
    finally:
        leave(token)
"""
import functools
import threading

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
except ImportError:           # NumPy 1.x
    _extobj_contextvar = None

# NumPy's default error handling (what a new thread starts with): see with_numpy_defaults
_DEFAULT_MODES = {'divide': 'warn', 'over': 'warn', 'under': 'ignore', 'invalid': 'warn'}

if _extobj_contextvar is not None:
    IGNORE = _make_extobj(all='ignore')
    DEFAULTS = _make_extobj(**_DEFAULT_MODES)
    enter = _extobj_contextvar.set        # (IGNORE, DEFAULTS or a current()) -> token
    leave = _extobj_contextvar.reset      # (token): the caller's state back
    current = _extobj_contextvar.get      # () -> the state in force, for enter
elif hasattr(np, 'seterrobj'):
    IGNORE = 0                            # the error mask with every error ignored
    with np.errstate(**_DEFAULT_MODES):
        DEFAULTS = np.geterrobj()[1]      # the error mask of the defaults

    def enter(mask):
        old = np.geterrobj()              # [buffer size, error mask, callback]
        np.seterrobj([old[0], mask, old[2]])
        return old

    leave = np.seterrobj

    def current():
        return np.geterrobj()[1]
else:
    IGNORE = {'all': 'ignore'}
    DEFAULTS = _DEFAULT_MODES

    def enter(modes):
        state = np.errstate(**modes)
        state.__enter__()
        return state

    def leave(state):
        state.__exit__(None, None, None)

    current = np.geterr


# what current() gives under enter(IGNORE)
_token = enter(IGNORE)
_IGNORING = current()
leave(_token)
del _token

# The state of the caller of the outermost fp_errors_ignored_calling_back call of this thread
# (None outside one): the state call_as_caller runs the user's callbacks under.
_callers = threading.local()


def fp_errors_ignored(func):
    """Decorate ``func`` to run with NumPy's floating-point errors ignored (see the module
    docstring), the caller's state restored afterwards."""
    @functools.wraps(func)
    def quiet(*args, **kwargs):
        token = enter(IGNORE)
        try:
            return func(*args, **kwargs)
        finally:
            leave(token)
    return quiet


def fp_errors_ignored_calling_back(func):
    """As :func:`fp_errors_ignored`, for a function that may call the user's code back with
    :func:`call_as_caller` (an optimizer's update, a key-value store's push): the caller's state
    is kept for it meanwhile (by the outermost such call of the thread)."""
    @functools.wraps(func)
    def quiet(*args, **kwargs):
        prev = current()
        outer = getattr(_callers, 'state', None)
        if outer is None or prev != _IGNORING:     # (not a call nested in one of ours)
            _callers.state = prev
        token = enter(IGNORE)
        try:
            return func(*args, **kwargs)
        finally:
            leave(token)
            _callers.state = outer
    return quiet


def call_as_caller(func, *args, **kwargs):
    """``func(*args, **kwargs)`` under the floating-point error state of the code that called
    minigluon (kept by the outermost :func:`fp_errors_ignored_calling_back` call running in this
    thread; the current state where none runs): for the user's code that minigluon calls back
    in the calling thread, as MXNet 1.9.1 calls it in the caller's thread, with the caller's
    settings (a Python optimizer's own ``update``, an ``lr_scheduler``, a key-value store
    updater)."""
    state = getattr(_callers, 'state', None)
    if state is None:
        return func(*args, **kwargs)
    token = enter(state)
    try:
        return func(*args, **kwargs)
    finally:
        leave(token)


def with_numpy_defaults(func):
    """``func`` wrapped to run under NumPy's default floating-point error handling
    (:data:`DEFAULTS`), the caller's state restored afterwards: for the user's code that an
    operator calls back (see the module docstring)."""
    @functools.wraps(func)
    def as_user_code(*args, **kwargs):
        token = enter(DEFAULTS)
        try:
            return func(*args, **kwargs)
        finally:
            leave(token)
    return as_user_code
