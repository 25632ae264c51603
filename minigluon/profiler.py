"""``mx.profiler``: time every operator, and marks of your own, as MXNet 1.9.1's profiler does.

::

    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename='profile.json')
    mx.profiler.set_state('run')
    ...                                  # train a few steps
    mx.profiler.set_state('stop')
    print(mx.profiler.dumps())           # a table per category: count, total, min, max, average
    mx.profiler.dump()                   # Chrome trace JSON (chrome://tracing, Perfetto)

How it works: while the profiler runs, the ``forward`` and ``backward`` methods of every operator
class (the registry's, and the hybridized executor's fused plan steps) are replaced by timed
wrappers, and put back when it stops, so a program that does not profile pays nothing. An
operator's forward is recorded under its MXNet name (``FullyConnected``, ``_mul_scalar``), its
backward under MXNet's backward name (``_backward_FullyConnected``, ``_backward_mul_scalar``),
both in the category ``operator``; a timed method that calls another (a subclass's
``super().forward``) counts once. A Python operator (``nd.Custom``) is listed as MXNet lists
it, in the category ``Custom Operator`` (see :func:`_timed_custom`). Eager calls and hybridized graphs are timed alike. Each
weight's update in ``Trainer.step`` is recorded under MXNet's update operator (``adam_update``,
``multi_sgd_mom_update``, ``nag_mom_update``, ``rmsprop_update``...; optimizers MXNet runs as
several small operators get one ``<name>_update`` row), once per weight where MXNet's SGD and
LAMB update up to four weights per call. Creation functions (``nd.zeros``, ``nd.ones``) are not
operators here and make no rows. On a GPU each operator is synchronised before and after, so its time includes its
kernels (and profiling slows the program down); MXNet records GPU kernels asynchronously.
``Domain`` / ``Task`` / ``Frame`` / ``Event`` / ``Counter`` / ``Marker`` add events of your own.

Times are wall-clock microseconds (``time.perf_counter``). Events are kept in memory until
``dump(finished=True)`` (``dumps(reset=True)`` resets the statistics); as in MXNet, those not
dumped when the program ends are written to the configured ``filename`` then. As in MXNet
nothing bounds them (about 400 bytes an operator call): in a long run, ``dump()`` now and then.
The profiler is process-wide; events carry the recording thread's id. Differences from MXNet
1.9.1: no C API, memory or engine rows;
``profile_process='server'`` (a kvstore server) is refused; ``stop()`` of a ``Task``, ``Frame``
or ``Event`` that was not started raises ``MXNetValueError`` (MXNet records a nonsense
interval); a ``Counter`` takes numbers only and keeps them as given (see ``Counter``).
"""
import atexit
import collections
import functools
import json
import numbers
import os
import threading
import time
import warnings

import numpy as np

from minigluon.base import MXNetError, MXNetTypeError, MXNetValueError
from minigluon.serialization import atomic_write

__all__ = ['set_config', 'set_state', 'pause', 'resume', 'dump', 'dumps', 'Domain', 'Task',
           'Frame', 'Event', 'Counter', 'Marker', 'profiler_set_config', 'profiler_set_state',
           'dump_profile']

# set_config's keys in MXNet 1.9.1 (all accepted; the ones that change what minigluon records
# are profile_all / profile_imperative / profile_symbolic and filename)
_CONFIG_KEYS = {'filename', 'profile_all', 'profile_symbolic', 'profile_imperative',
                'profile_memory', 'profile_api', 'contiguous_dump', 'continuous_dump',
                'dump_period', 'aggregate_stats', 'profile_process'}
_config = {'filename': 'profile.json'}
_lock = threading.Lock()
_events = []            # Chrome trace events (dicts)
_stats = collections.defaultdict(lambda: [0, 0.0, float('inf'), 0.0])   # (cat, name): count, total, min, max (us)
_state = {'running': False, 'paused': False}
_originals = {}         # (class, method name) -> the method the wrapper replaced
_depth = threading.local()


def _new_lock_in_child():
    """A forked child's own lock: one that another thread of the parent held at the fork would
    never be released in the child (a DataLoader worker recording an operator would hang)."""
    global _lock
    _lock = threading.Lock()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _now_us():
    return time.perf_counter() * 1e6


def _record(cat, name, start, end):
    """Keep one finished event (times in microseconds)."""
    duration = end - start
    with _lock:
        _events.append({'name': name, 'cat': cat, 'ph': 'X', 'ts': start, 'dur': duration,
                        'pid': os.getpid(), 'tid': threading.get_ident()})
        entry = _stats[(cat, name)]
        entry[0] += 1
        entry[1] += duration
        entry[2] = min(entry[2], duration)
        entry[3] = max(entry[3], duration)


def _check_process(profile_process):
    if profile_process != 'worker':
        raise MXNetValueError("profile_process must be 'worker' (minigluon has no kvstore server), "
                              "got %r" % (profile_process,))


def set_config(**kwargs):
    """Set the profiler's options (MXNet 1.9.1 ``mx.profiler.set_config``).

    Parameters
    ----------
    filename : str, default 'profile.json'
        Where :func:`dump` writes the trace.
    profile_all, profile_imperative, profile_symbolic : bool
        Record operators (eager calls, hybridized graphs): recorded when any of them is true or
        none is given.
    profile_memory, profile_api, aggregate_stats, continuous_dump, dump_period, contiguous_dump : any
        Accepted for MXNet's scripts; minigluon always aggregates and has no memory or C API rows.
    profile_process : {'worker'}

    Raises
    ------
    MXNetValueError
        For a key MXNet's ``set_config`` does not know, or ``profile_process='server'``.
    """
    unknown = sorted(set(kwargs) - _CONFIG_KEYS)
    if unknown:
        raise MXNetValueError('set_config: unknown option%s %s; known: %s'
                              % ('s' * (len(unknown) > 1), ', '.join(unknown), ', '.join(sorted(_CONFIG_KEYS))))
    _check_process(kwargs.get('profile_process', 'worker'))
    if 'filename' in kwargs and not isinstance(kwargs['filename'], (str, os.PathLike)):
        raise MXNetTypeError('set_config: filename must be a path, got %s' % type(kwargs['filename']).__name__)
    _config.update(kwargs)


def _records_operators():
    flags = [_config[k] for k in ('profile_all', 'profile_imperative', 'profile_symbolic') if k in _config]
    return not flags or any(flags)


def _operator_classes():
    from minigluon import executor_plan
    from minigluon.ops.registry import OPS
    return set(OPS.values()) | {c for c in vars(executor_plan).values()
                                if isinstance(c, type) and hasattr(c, 'forward')}


def _sync_if_gpu(args):
    """Wait for the GPU when an operator's arrays are CuPy's (its kernels run asynchronously)."""
    from minigluon import backend
    if backend.cupy_available():
        arrays = [a for a in args if backend.is_array(a)]
        xp = backend.get_array_module(*arrays) if arrays else np
        if xp is not np:
            xp.cuda.Device().synchronize()


def _timed(fn, name):
    @functools.wraps(fn)
    def timed(self, *args, **kwargs):
        if getattr(_depth, 'n', 0) or _state['paused']:   # inside another timed call: counted there
            return fn(self, *args, **kwargs)
        _depth.n = 1
        custom = getattr(_depth, 'custom', None)
        try:
            _sync_if_gpu(args)
            start = _now_us()
            try:
                return fn(self, *args, **kwargs)
            finally:
                _sync_if_gpu(args)
                label = name if isinstance(name, str) else name(self)
                if custom:         # called by a custom operator's Python code (see _timed_custom)
                    _record(_CUSTOM_CAT, '%s::%s' % (custom, label), start, _now_us())
                else:
                    _record('operator', label, start, _now_us())
        finally:
            _depth.n = 0
    return timed


_CUSTOM_CAT = 'Custom Operator'


def _timed_custom(fn, backward):
    """The timed ``forward`` / ``backward`` of the ``Custom`` operator, as MXNet 1.9.1 lists a
    Python operator: in the category ``Custom Operator``, its own Python code as
    ``<op_type>::pure_python`` (``_backward_<op_type>::pure_python``) and each operator that code
    runs as ``<op_type>::<operator>`` (``my_op::_plus_scalar``), not in ``operator``. Here the
    ``pure_python`` time includes those operators (MXNet runs them asynchronously)."""
    @functools.wraps(fn)
    def timed(self, *args, **kwargs):
        if getattr(_depth, 'n', 0) or _state['paused']:
            return fn(self, *args, **kwargs)
        label = ('_backward_' if backward else '') + self.op_type
        outer = getattr(_depth, 'custom', None)
        _depth.custom = label
        try:
            _sync_if_gpu(args)
            start = _now_us()
            try:
                return fn(self, *args, **kwargs)
            finally:
                _sync_if_gpu(args)
                _record(_CUSTOM_CAT, label + '::pure_python', start, _now_us())
        finally:
            _depth.custom = outer
    return timed


_INHERITED = object()     # _originals' mark for a method the class did not define itself


def _install():
    """Wrap ``forward``/``backward`` on every operator class, inherited ones included (each
    class is timed under its own name; the wrapper of a base class called through a subclass's
    wrapper does not count twice)."""
    for cls in _operator_classes():
        op_name = getattr(cls, 'name', None) or cls.__name__
        for meth, name in (('forward', op_name), ('backward', '_backward_' + op_name.lstrip('_'))):
            fn = getattr(cls, meth, None)
            if fn is None or (cls, meth) in _originals:
                continue
            _originals[(cls, meth)] = cls.__dict__.get(meth, _INHERITED)
            if op_name == 'Custom':
                setattr(cls, meth, _timed_custom(fn, meth == 'backward'))
            else:
                setattr(cls, meth, _timed(fn, name))
    for cls in _optimizer_classes():     # Trainer.step's updates, one event per weight
        fn = getattr(cls, '_step', None)
        if fn is not None and (cls, '_step') not in _originals:
            _originals[(cls, '_step')] = cls.__dict__.get('_step', _INHERITED)
            setattr(cls, '_step', _timed(fn, lambda opt: opt._update_op_name()))


def _optimizer_classes():
    """Every subclass of :class:`minigluon.optimizer.Optimizer` (registered or the user's own)."""
    from minigluon.optimizer.base import Optimizer
    found, todo = set(), [Optimizer]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def _uninstall():
    for (cls, meth), fn in _originals.items():
        if fn is _INHERITED:
            delattr(cls, meth)
        else:
            setattr(cls, meth, fn)
    _originals.clear()


def set_state(state='stop', profile_process='worker'):
    """Start (``'run'``) or stop (``'stop'``) recording (MXNet 1.9.1 ``mx.profiler.set_state``).

    Raises
    ------
    MXNetValueError
        For another ``state``, or ``profile_process='server'``.
    """
    _check_process(profile_process)
    if state not in ('run', 'stop'):
        raise MXNetValueError("state must be 'run' or 'stop', got %r" % (state,))
    with _lock:
        if state == 'run' and not _state['running']:
            _state['pid'] = os.getpid()       # the process whose exit writes what is left
            if _records_operators():
                _install()
        elif state == 'stop' and _state['running']:
            _uninstall()
        _state['running'], _state['paused'] = state == 'run', False


def pause(profile_process='worker'):
    """Stop recording operators for a while; :func:`resume` goes on (the profiler stays on)."""
    _check_process(profile_process)
    _state['paused'] = True


def resume(profile_process='worker'):
    """Go on recording after :func:`pause`."""
    _check_process(profile_process)
    _state['paused'] = False


def dump(finished=True, profile_process='worker'):
    """Write the events recorded so far to the configured ``filename`` as Chrome trace JSON
    (``{"traceEvents": [...]}``; open it in chrome://tracing or Perfetto). The file is written
    atomically. With ``finished`` (the default) the events written are dropped afterwards (not
    when the file cannot be written: the error, an ``OSError`` that is also an ``MXNetError``,
    leaves them for another try); the aggregate statistics of :func:`dumps` are kept."""
    _check_process(profile_process)
    with _lock:
        events = list(_events)
    base = min((e['ts'] for e in events), default=0.0)
    trace = [dict(e, ts=round(e['ts'] - base, 3), dur=round(e['dur'], 3)) if 'dur' in e
             else dict(e, ts=round(e['ts'] - base, 3)) for e in events]
    with atomic_write(_config['filename'], 'w') as f:
        json.dump({'traceEvents': trace, 'displayTimeUnit': 'ms'}, f)
    if finished:              # only once written: a trace that could not be written is kept
        with _lock:
            del _events[:len(events)]


@atexit.register
def _dump_at_exit():
    """Write the events not dumped yet when the process that started the profiler ends (as
    MXNet 1.9.1 does; a forked child leaves the file to its parent)."""
    if _state.get('pid') == os.getpid() and _events:
        try:
            dump(True)
        except MXNetError as err:
            warnings.warn('mx.profiler: the trace left at exit could not be written: %s' % err,
                          RuntimeWarning)


_SORT_KEYS = {'total': 1, 'avg': None, 'min': 2, 'max': 3, 'count': 0}


def dumps(reset=False, format='table', sort_by='total', ascending=False):
    """The aggregate statistics as text (MXNet 1.9.1 ``mx.profiler.dumps``): per category
    (``operator``, and each ``Domain``), per name: count, total, min, max and average time in
    milliseconds.

    Parameters
    ----------
    reset : bool
        Clear the statistics afterwards.
    format : {'table', 'json'}
        A text table as MXNet's, or JSON ``{category: {name: {"Count", "Total", "Min", "Max",
        "Avg"}}}`` (milliseconds).
    sort_by : {'total', 'avg', 'min', 'max', 'count'}
    ascending : bool

    Raises
    ------
    MXNetValueError
        For another ``format`` or ``sort_by``.
    """
    if format not in ('table', 'json'):
        raise MXNetValueError("format must be 'table' or 'json', got %r" % (format,))
    if sort_by not in _SORT_KEYS:
        raise MXNetValueError('sort_by must be one of %s, got %r' % (', '.join(_SORT_KEYS), sort_by))
    with _lock:
        rows = {key: list(v) for key, v in _stats.items()}
        if reset:
            _stats.clear()
    by_cat = collections.defaultdict(list)
    for (cat, name), (count, total, low, high) in rows.items():
        by_cat[cat].append((name, count, total / 1e3, low / 1e3, high / 1e3, total / 1e3 / count))
    column = {'count': 1, 'total': 2, 'min': 3, 'max': 4, 'avg': 5}[sort_by]
    for lines in by_cat.values():
        lines.sort(key=lambda r: r[column], reverse=not ascending)
    if format == 'json':
        return json.dumps({cat: {r[0]: dict(zip(('Count', 'Total', 'Min', 'Max', 'Avg'), r[1:]))
                                 for r in lines} for cat, lines in sorted(by_cat.items())}, indent=1)
    out = ['', 'Profile Statistics:', '\tNote that times are in milliseconds.']
    for cat in sorted(by_cat):
        out += [cat, '=================',
                '%-30s%11s%17s%17s%17s%17s' % ('Name', 'Total Count', 'Time (ms)', 'Min Time (ms)',
                                              'Max Time (ms)', 'Avg Time (ms)'),
                '%-30s%11s%17s%17s%17s%17s' % ('----', '-----------', '---------', '-------------',
                                              '-------------', '-------------')]
        out += ['%-30s%11d%17.4f%17.4f%17.4f%17.4f' % r for r in by_cat[cat]]
        out.append('')
    return '\n'.join(out) + '\n'


class Domain:
    """A category of events of your own (MXNet 1.9.1 ``mx.profiler.Domain``)."""

    def __init__(self, name):
        if not isinstance(name, str):
            raise MXNetTypeError('Domain name must be a str, got %s' % type(name).__name__)
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)


class _Span:
    """A named interval: ``start()`` then ``stop()`` records one event in ``category``."""

    def __init__(self, category, name):
        self.category, self.name, self._start = category, name, None

    def start(self):
        self._start = _now_us()

    def stop(self):
        if self._start is None:
            raise MXNetValueError('%s %r: stop() without start()' % (type(self).__name__, self.name))
        if _state['running'] and not _state['paused']:
            _record(self.category, self.name, self._start, _now_us())
        self._start = None

    def __str__(self):
        return self.name


def _domain(domain):
    if not isinstance(domain, Domain):
        raise MXNetTypeError('domain must be a profiler.Domain, got %s' % type(domain).__name__)
    return domain


class Task(_Span):
    """A task in a ``Domain``: ``start()`` ... ``stop()`` (MXNet 1.9.1 ``mx.profiler.Task``)."""

    def __init__(self, domain, name):
        self.domain = _domain(domain)
        super().__init__(domain.name, name)


class Frame(Task):
    """A frame (e.g. one training step) in a ``Domain`` (MXNet 1.9.1 ``mx.profiler.Frame``)."""


class Event(_Span):
    """An interval of your own outside any domain (MXNet 1.9.1 ``mx.profiler.Event``), recorded in
    the category ``Custom Events``."""

    def __init__(self, name):
        super().__init__('Custom Events', name)


class Counter:
    """A number recorded over time (MXNet 1.9.1 ``mx.profiler.Counter``): ``set_value``,
    ``increment``, ``decrement``, ``+=`` and ``-=`` each record a Chrome counter event. The value
    must be a number (an ``int``, ``float`` or NumPy scalar; else :class:`MXNetTypeError`); it
    is kept as given, where MXNet truncates it to an unsigned 64-bit integer (2.7 is 2, -1 is
    2**64 - 1)."""

    def __init__(self, domain, name, value=None):
        self.domain, self.name, self.value = _domain(domain), name, 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise MXNetTypeError('Counter %r: the value must be a number, got %r' % (self.name, value))
        value = int(value) if isinstance(value, numbers.Integral) else float(value)
        self.value = value
        if _state['running'] and not _state['paused']:
            with _lock:
                _events.append({'name': self.name, 'cat': self.domain.name, 'ph': 'C',
                                'ts': _now_us(), 'pid': os.getpid(), 'tid': threading.get_ident(),
                                'args': {self.name: value}})

    def increment(self, delta=1):
        self.set_value(self.value + delta)

    def decrement(self, delta=1):
        self.set_value(self.value - delta)

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return self.name


class Marker:
    """An instant of your own in a ``Domain`` (MXNet 1.9.1 ``mx.profiler.Marker``)."""

    _SCOPES = {'global': 'g', 'process': 'p', 'thread': 't', 'task': 't', 'marker': 't'}

    def __init__(self, domain, name):
        self.domain, self.name = _domain(domain), name

    def mark(self, scope='process'):
        """Record the instant; ``scope`` is 'global', 'process', 'thread', 'task' or 'marker'."""
        if scope not in self._SCOPES:
            raise MXNetValueError('scope must be one of %s, got %r' % (', '.join(self._SCOPES), scope))
        if _state['running'] and not _state['paused']:
            with _lock:
                _events.append({'name': self.name, 'cat': self.domain.name, 'ph': 'i',
                                's': self._SCOPES[scope], 'ts': _now_us(), 'pid': os.getpid(),
                                'tid': threading.get_ident()})


# -- MXNet's deprecated spellings ----------------------------------------------------------------------
def profiler_set_config(mode='symbolic', filename='profile.json'):
    """Deprecated in MXNet: ``set_config(profile_all=(mode == 'all'), ...)``."""
    set_config(profile_symbolic=True, profile_imperative=mode == 'all', filename=filename)


def profiler_set_state(state='stop'):
    """Deprecated in MXNet: :func:`set_state`."""
    set_state(state)


def dump_profile():
    """Deprecated in MXNet: :func:`dump`."""
    dump(True)
