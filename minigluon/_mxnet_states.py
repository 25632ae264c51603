"""Reading the optimizer-states files that MXNet 1.9.1's ``Trainer.save_states`` writes, without
running anything the file asks for.

What such a file is (MXNet 1.9.1, ``mxnet/gluon/trainer.py`` and ``mxnet/optimizer/optimizer.py``):
``Updater.get_states(dump_optimizer=True)``, i.e. a Python pickle (protocol 3 or 4, as Python 3
writes by default; 5 is read too) of the tuple ``(states, optimizer)``:

* ``states`` maps each parameter index (an int) to that parameter's optimizer state: None, an
  NDArray, or a tuple of them (Adam's ``(mean, var)``, ``(float32 master, state)`` with
  ``multi_precision``...). An NDArray pickles through ``NDArray.__reduce__`` as
  ``NDArray(None)`` followed by ``__setstate__({'handle': bytearray})``, the bytearray holding the
  array in MXNet's binary layout (``MXNDArraySaveRawBytes``: one array of a ``.params`` file).
* ``optimizer`` is the optimizer object itself (``mxnet.optimizer.optimizer.Adam``...), pickled as
  its ``__dict__`` less ``param_dict``: hyper-parameters (``lr``, ``wd``, ``beta1``...),
  ``num_update``, the per-index update counts (``_index_update_count`` and, per device,
  ``_all_index_update_counts``) and the ``lr_scheduler`` object (``mxnet.lr_scheduler.*``), also as
  its ``__dict__``. ``kvstore.save_optimizer_states(dump_optimizer=False)`` writes ``states``
  alone.

How it is read: :class:`_Unpickler` is a ``pickle.Unpickler`` whose ``find_class`` hands out only
inert stand-ins, never the class a file names: MXNet's ``NDArray`` becomes :class:`_NDArray`,
which decodes the raw bytes with minigluon's own ``.params`` reader; MXNet's optimizer and
``lr_scheduler`` classes become :class:`Record` objects that only keep the attribute dict;
``builtins.bytearray`` and NumPy's scalar/dtype pair (a hyper-parameter that was a NumPy number)
become checked functions that accept only bytes and plain numeric dtypes. Any other global
(``os.system``, ``builtins.eval``, a user's own class...) stops the load with
:class:`~minigluon.base.MXNetFormatError` before it could be called. Before unpickling, the opcodes
are listed with ``pickletools.genops`` (which parses and builds nothing): only the opcodes that
protocols 3-5 use for plain data and objects are allowed (no persistent ids, no extension
registry, no out-of-band buffers), memo indices are bounded by the opcode count, so a file
cannot make the unpickler allocate a huge memo, and containers built from the opcode stream may
nest at most ``MAX_NESTING`` deep (hashing a tuple nested millions deep, a few bytes per level,
crashes the interpreter). A mutable container fetched back from the memo can still be made to
contain itself; the reading of the states that follows stops at ``MAX_DEPTH``.
"""
import io
import pickle   # only for the whitelisting _Unpickler below (tests/reliability checks this)
import pickletools
import reprlib

import numpy as np

from minigluon import serialization
from minigluon.base import MXNetFormatError

__all__ = ['looks_like_pickle', 'read', 'MXNetStates', 'Record']

PROTOCOLS = (3, 4, 5)      # Python 3 pickles by default with 3 (<= 3.7), 4 (3.8+) or 5 (3.14+)
MAX_DEPTH = 8            # nesting of a state (tuples of tuples...)
MAX_NESTING = 32         # nesting of any object in the pickle (MXNet's files nest about 6 deep)

# opcodes of protocols 3-5 for plain values, containers, the memo, globals and object building
_ALLOWED_OPCODES = frozenset({
    'PROTO', 'FRAME', 'STOP', 'MARK', 'POP', 'POP_MARK', 'DUP',
    'NONE', 'NEWTRUE', 'NEWFALSE', 'BININT', 'BININT1', 'BININT2', 'LONG1', 'LONG4', 'BINFLOAT',
    'SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8', 'SHORT_BINBYTES', 'BINBYTES', 'BINBYTES8',
    'BYTEARRAY8', 'EMPTY_TUPLE', 'TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3', 'EMPTY_LIST', 'APPEND',
    'APPENDS', 'LIST', 'EMPTY_DICT', 'DICT', 'SETITEM', 'SETITEMS', 'EMPTY_SET', 'ADDITEMS',
    'FROZENSET', 'BINGET', 'LONG_BINGET', 'BINPUT', 'LONG_BINPUT', 'MEMOIZE', 'GLOBAL',
    'STACK_GLOBAL', 'REDUCE', 'BUILD', 'NEWOBJ'})

_OPTIMIZER_MODULES = ('mxnet.optimizer.optimizer', 'mxnet.optimizer.contrib', 'mxnet.optimizer')
# the schedulers MXNet 1.9.1 has, each with the arguments of one instance (to list the attributes
# that minigluon's class of the same name needs)
_SCHEDULER_PROBES = {'FactorScheduler': {'step': 1}, 'MultiFactorScheduler': {'step': [1]},
                     'PolyScheduler': {'max_update': 1}, 'CosineScheduler': {'max_update': 1}}
_NUMERIC_KINDS = 'biuf'


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def _show(value):
    """A short repr of a value from the file, for messages."""
    return _REPR.repr(value)


def looks_like_pickle(buf):
    """Whether ``buf`` starts as a pickle of protocol 3 to 5 does (``0x80``, protocol byte)."""
    return len(buf) >= 2 and buf[0] == 0x80 and buf[1] in PROTOCOLS


class _Refused(Exception):
    """Raised inside the unpickler; turned into MXNetFormatError by :func:`read`."""


# -- stand-ins handed out by find_class ------------------------------------------------------------

class _NDArray:
    """Stands for ``mxnet.ndarray.ndarray.NDArray``: ``NDArray(None)`` then ``__setstate__``
    with ``{'handle': raw bytes}``, decoded by :func:`minigluon.serialization.loads_array`."""

    value = None
    built = False

    def __init__(self, *args):
        if args != (None,):
            raise _Refused('NDArray is rebuilt as NDArray(None), got %d arguments' % len(args))
        self.value = None
        self.built = False

    def __setstate__(self, state):
        if self.built or not isinstance(state, dict) or set(state) != {'handle'}:
            raise _Refused("an NDArray's state must be {'handle': bytes}, once")
        raw = state['handle']
        if not isinstance(raw, (bytes, bytearray)):
            raise _Refused("an NDArray's handle must be bytes, got %s" % type(raw).__name__)
        self.value = serialization.loads_array(bytes(raw), source='pickled NDArray')
        if self.value is None:
            raise _Refused('a pickled NDArray holds no array (an empty "none" NDArray)')
        self.built = True


class Record:
    """An MXNet optimizer or ``lr_scheduler`` object as it was pickled: ``kind`` (``'optimizer'``
    or ``'lr_scheduler'``), ``name`` (its class name) and ``attrs`` (its ``__dict__``). Inert:
    nothing of the class it names is imported or called."""

    kind = name = None

    def __new__(cls, *args):
        if cls is Record or args:
            raise _Refused('%s objects are rebuilt without arguments' % cls.name)
        self = object.__new__(cls)
        self.attrs = None
        return self

    def __setstate__(self, state):
        if self.attrs is not None or not isinstance(state, dict) or \
                not all(isinstance(k, str) for k in state):
            raise _Refused("the state of %s must be a dict of attribute names, once" % self.name)
        self.attrs = dict(state)

    def __repr__(self):
        return '<MXNet %s %s>' % (self.kind, self.name)


_RECORD_CLASSES = {}


def _record_class(kind, name):
    key = (kind, name)
    if key not in _RECORD_CLASSES:
        _RECORD_CLASSES[key] = type('Recorded' + name, (Record,), {'kind': kind, 'name': name})
    return _RECORD_CLASSES[key]


def _bytearray(*args):
    """``builtins.bytearray`` as pickles use it: ``bytearray(b'...')`` (never ``bytearray(n)``,
    which would allocate n bytes)."""
    if len(args) != 1 or not isinstance(args[0], (bytes, bytearray)):
        raise _Refused('bytearray() is only rebuilt from bytes')
    return bytes(args[0])


class _DType:
    """``numpy.dtype(name, align, copy)`` for plain numeric dtypes only; ``__setstate__`` takes the
    byte order from NumPy's dtype state tuple."""

    def __init__(self, name, align=False, copy=False):
        if not isinstance(name, str) or len(name) > 8:
            raise _Refused('numpy.dtype is only rebuilt from a short type code')
        try:
            dtype = np.dtype(name)
        except (TypeError, ValueError):
            raise _Refused('numpy.dtype(%r) is no NumPy type' % name) from None
        if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
            raise _Refused('numpy.dtype(%r) is not a plain numeric type' % name)
        self.dtype = dtype

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in ('<', '>', '|', '='):
            raise _Refused('unexpected numpy dtype state')
        if state[1] in '<>':
            self.dtype = self.dtype.newbyteorder(state[1])


def _numpy_scalar(dtype, data):
    """``numpy.core.multiarray.scalar(dtype, bytes)``: a NumPy number (e.g. a ``numpy.float64``
    learning rate)."""
    if not isinstance(dtype, _DType) or not isinstance(data, bytes) or \
            len(data) != dtype.dtype.itemsize:
        raise _Refused('a NumPy scalar is only rebuilt from a numeric dtype and its bytes')
    value = np.frombuffer(data, dtype=dtype.dtype)[0]
    return value.astype(dtype.dtype.newbyteorder('='))


def _allowed(module, name):
    """The stand-in for the global ``module.name``, or None when it is not allowed."""
    if (module, name) == ('mxnet.ndarray.ndarray', 'NDArray'):
        return _NDArray
    if (module, name) == ('builtins', 'bytearray'):
        return _bytearray
    if module in ('numpy.core.multiarray', 'numpy._core.multiarray') and name == 'scalar':
        return _numpy_scalar
    if (module, name) == ('numpy', 'dtype'):
        return _DType
    if module in _OPTIMIZER_MODULES:
        from minigluon.optimizer import Optimizer
        known = Optimizer.opt_registry.get(name.lower())
        if known is not None and known.__name__ == name:
            return _record_class('optimizer', name)
    if module == 'mxnet.lr_scheduler' and name in _SCHEDULER_PROBES:
        return _record_class('lr_scheduler', name)
    return None


class _Unpickler(pickle.Unpickler):
    """An unpickler that resolves globals only to the stand-ins of :func:`_allowed`."""

    def find_class(self, module, name):
        found = _allowed(module, name)
        if found is None:
            raise _Refused('it refers to %.100s.%.100s, which is not allowed: only MXNet\'s NDArray, '
                           'optimizer and lr_scheduler classes, bytearray and NumPy numbers may '
                           'appear (nothing was imported or run)' % (module, name))
        return found

    def persistent_load(self, pid):
        raise _Refused('persistent ids are not allowed')


# -- reading ---------------------------------------------------------------------------------------

class MXNetStates:
    """What an MXNet states file holds: ``states`` (int index -> None, NumPy array or tuple of
    them) and ``optimizer`` (a :class:`Record`, or None for a file of states alone)."""

    def __init__(self, states, optimizer):
        self.states = states
        self.optimizer = optimizer


_MARK = object()
# opcodes that take their items down to the last MARK and push one object made of them
_FROM_MARK = frozenset({'TUPLE', 'LIST', 'DICT', 'FROZENSET'})
# opcodes that take their items down to the last MARK and add them to the object below
_INTO_FROM_MARK = frozenset({'APPENDS', 'SETITEMS', 'ADDITEMS'})
_PUSH_FIXED = {'TUPLE1': 1, 'TUPLE2': 2, 'TUPLE3': 3}
_INTO = {'APPEND': 1, 'SETITEM': 2, 'BUILD': 1}             # items added to the object below
_CALL = {'REDUCE': 2, 'NEWOBJ': 2, 'STACK_GLOBAL': 2}       # popped, then one object pushed


def _prescan(buf, fail):
    """Check the opcodes of ``buf`` without building anything (``pickletools.genops``).

    Besides the opcode whitelist, a small model of the unpickler's stack follows how deeply
    objects nest: a tuple nested a million deep takes a few bytes per level, and hashing one (as
    a dict key) overflows the C stack. Nesting beyond :data:`MAX_NESTING` is refused.
    """
    count = 0
    end = None
    stack, memo = [], {}

    def pop_to_mark():
        items = []
        while stack and stack[-1] is not _MARK:
            items.append(stack.pop())
        if not stack:
            fail('malformed pickle (no MARK for %s at byte %d)' % (op.name, pos))
        stack.pop()
        return items

    def pop(n):
        if len(stack) < n or any(x is _MARK for x in stack[len(stack) - n:]):
            fail('malformed pickle (%s at byte %d lacks its operands)' % (op.name, pos))
        items = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        return items

    def push(depth):
        if depth > MAX_NESTING:
            fail('objects nest more than %d deep (at byte %d)' % (MAX_NESTING, pos))
        stack.append(depth)

    ops = pickletools.genops(buf)
    while True:
        bad = None
        try:
            op, arg, pos = next(ops)
        except StopIteration:
            break
        except ValueError as err:     # genops: an unknown opcode or a truncated argument
            bad = str(err)
        if bad is not None:
            fail('not a complete pickle (%s)' % bad)
        count += 1
        name = op.name
        if name not in _ALLOWED_OPCODES:
            fail('opcode %s at byte %d is not one MXNet states files use' % (name, pos))
        if name == 'PROTO' and arg not in PROTOCOLS:
            fail('pickle protocol %r; expected 3 to 5' % (arg,))
        if name == 'FRAME' and arg > len(buf) - pos - 9:
            fail('not a complete pickle (a frame of %d bytes at byte %d, but only %d remain)'
                 % (arg, pos, len(buf) - pos - 9))
        if name in ('BINPUT', 'LONG_BINPUT', 'BINGET', 'LONG_BINGET') and arg > count:
            fail('memo index %d at byte %d is beyond the %d opcodes read' % (arg, pos, count))
        if name == 'STOP':
            end = pos + 1
            break
        # the stack model: each entry is how deeply the object it stands for nests
        if name == 'MARK':
            stack.append(_MARK)
        elif name in _FROM_MARK:
            push(1 + max(pop_to_mark(), default=0))
        elif name in _INTO_FROM_MARK:
            items = pop_to_mark()
            push(max([1 + d for d in items] + pop(1)))
        elif name in _PUSH_FIXED:
            push(1 + max(pop(_PUSH_FIXED[name]), default=0))
        elif name in _INTO:
            items = pop(_INTO[name])
            push(max([1 + d for d in items] + pop(1)))
        elif name in _CALL:
            push(1 + max(pop(_CALL[name])))
        elif name == 'POP':
            pop(1)
        elif name == 'POP_MARK':
            pop_to_mark()
        elif name == 'DUP':
            depth, = pop(1)
            push(depth)
            push(depth)
        elif name == 'MEMOIZE' or name in ('BINPUT', 'LONG_BINPUT'):
            if not stack or stack[-1] is _MARK:
                fail('malformed pickle (%s at byte %d of nothing)' % (name, pos))
            memo[len(memo) if name == 'MEMOIZE' else arg] = stack[-1]
        elif name in ('BINGET', 'LONG_BINGET'):
            if arg not in memo:
                fail('malformed pickle (memo entry %d at byte %d was never stored)' % (arg, pos))
            push(memo[arg])
        elif name not in ('PROTO', 'FRAME'):     # a plain value or an empty container
            push(0)
    if end is None:
        fail('not a complete pickle (no STOP opcode)')
    if end != len(buf):
        fail('%d unexpected bytes after the end of the pickle' % (len(buf) - end))


def _state(value, index, depth=0):
    """A pickled state as None, a NumPy array or a tuple of them."""
    if value is None:
        return None
    if isinstance(value, _NDArray):
        if not value.built:
            raise _Refused('the state of parameter index %d holds an NDArray without data' % index)
        return value.value
    if isinstance(value, (tuple, list)):
        if depth >= MAX_DEPTH:     # (a list that contains itself ends here too)
            raise _Refused('the state of parameter index %d nests tuples more than %d deep'
                           % (index, MAX_DEPTH))
        return tuple(_state(v, index, depth + 1) for v in value)
    raise _Refused('the state of parameter index %d holds %s; expected None, NDArrays and tuples '
                   'or lists of them' % (index, type(value).__name__))


def read(buf, source):
    """Parse the bytes of an MXNet 1.9.1 ``Trainer.save_states`` file into :class:`MXNetStates`.

    Raises
    ------
    MXNetFormatError
        Naming ``source`` and what was expected, when the bytes are not such a file or refer to
        anything outside the whitelist; nothing the file names is imported or run.
    """
    def fail(why):
        raise MXNetFormatError('%s: not a readable MXNet Trainer.save_states file: %s'
                               % (source, why))
    buf = bytes(buf)
    _prescan(buf, fail)
    try:
        loaded = _Unpickler(io.BytesIO(buf)).load()
        if isinstance(loaded, tuple) and len(loaded) == 2:     # as MXNet's Updater.set_states
            states, optimizer = loaded
        else:
            states, optimizer = loaded, None
        if not isinstance(states, dict):
            raise _Refused('the states are %s; expected a dict of parameter index to state'
                           % type(states).__name__)
        out = {}
        for index, value in states.items():
            if isinstance(index, bool) or not isinstance(index, int):
                raise _Refused('state key %s is not a parameter index (int)' % _show(index))
            out[index] = _state(value, index)
        if optimizer is not None and not (isinstance(optimizer, Record) and
                                          optimizer.kind == 'optimizer'):
            raise _Refused('the second item is %s; expected an MXNet optimizer'
                           % type(optimizer).__name__)
        if optimizer is not None and optimizer.attrs is None:
            raise _Refused('the optimizer %s has no attributes' % optimizer.name)
    except (_Refused, MXNetFormatError) as err:    # MXNetFormatError: a bad NDArray inside
        why = str(err)
    except (pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError, EOFError,
            AttributeError, RecursionError, OverflowError, MemoryError) as err:
        why = '%s: %s' % (type(err).__name__, err)
    else:
        return MXNetStates(out, optimizer)
    fail(why)


# -- what minigluon takes from the pickled optimizer -----------------------------------------------

# attributes kept as the Trainer has them: a Trainer fills param_dict (which takes precedence over
# lr_mult/wd_mult, so those are unused there too) and idx2name; sym_info is unused
_KEEP = frozenset({'param_dict', 'idx2name', 'sym_info', 'lr_mult', 'wd_mult', 'lr_scheduler'})
_NUMBERS = (bool, int, float, np.bool_, np.integer, np.floating)


def _plain(value):
    return value is None or isinstance(value, _NUMBERS + (str,))


def _count(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) \
        and value >= 0


class Settings:
    """What :func:`optimizer_settings` checked and :func:`apply_settings` sets."""

    def __init__(self, attrs, num_update, counts, device_counts, scheduler):
        self.attrs = attrs                    # attribute -> plain value
        self.num_update = num_update
        self.counts = counts                  # index -> count (the saving device's)
        self.device_counts = device_counts    # device id -> {index -> count}
        self.scheduler = scheduler            # ('keep',), ('set', scheduler or None), ('update', state)


def _counts_table(value, what, fail):
    if not isinstance(value, dict):
        fail('%s is %s; expected a dict of parameter index to update count'
             % (what, type(value).__name__))
    for k, v in value.items():
        if isinstance(k, bool) or not isinstance(k, int) or not _count(v):
            fail('%s maps %s to %s; expected int indices and counts >= 0' % (what, _show(k), _show(v)))
    return {k: int(v) for k, v in value.items()}


def _scheduler_action(record, current, fail):
    from minigluon import lr_scheduler
    if record is None:
        return ('set', None)
    if not isinstance(record, Record) or record.kind != 'lr_scheduler' or record.attrs is None:
        fail("'lr_scheduler' is %s; expected None or an MXNet lr_scheduler" % _show(record))
    # spelled out, not looked up by name: this module reaches nothing by a name a file gives
    # (tests/reliability/test_no_code_execution.py)
    cls = {'FactorScheduler': lr_scheduler.FactorScheduler,
           'MultiFactorScheduler': lr_scheduler.MultiFactorScheduler,
           'PolyScheduler': lr_scheduler.PolyScheduler,
           'CosineScheduler': lr_scheduler.CosineScheduler}[record.name]
    needed = sorted(vars(cls(**_SCHEDULER_PROBES[record.name])))
    missing = [k for k in needed if k not in record.attrs]
    if missing:
        fail('the %s lacks %s' % (record.name, ', '.join(missing)))
    state = {}
    for key in needed:
        value = record.attrs[key]
        ok = _plain(value) or (isinstance(value, list) and all(
            isinstance(v, _NUMBERS) for v in value))
        if not ok:
            fail('%s.%s is %s; expected a number, a string or a list of numbers'
                 % (record.name, key, _show(value)))
        state[key] = list(value) if isinstance(value, list) else value
    if type(current) is cls:      # noqa: E721 (exactly this class, not a user's subclass)
        return ('update', state)
    new = cls.__new__(cls)
    vars(new).update(state)
    return ('set', new)


def optimizer_settings(record, optimizer, source):
    """Check the pickled optimizer ``record`` against ``optimizer`` and return the
    :class:`Settings` to apply; changes nothing.

    MXNet 1.9.1's ``Trainer.load_states`` replaces the Trainer's optimizer with the unpickled one
    (then sets its ``param_dict``), so every hyper-parameter comes from the file. minigluon keeps
    its optimizer object and sets on it each attribute of the record that it also has and that is
    a plain value (``lr``, ``wd``, ``rescale_grad`` (which the next ``Trainer.step`` sets again
    from its batch size, as in MXNet), ``clip_gradient``, ``multi_precision``, ``momentum``,
    ``beta1``, ``centered``, Nadam's ``m_schedule``...; the names are MXNet's),
    ``num_update``, the per-index update counts, and the ``lr_scheduler``. Attributes minigluon
    does not have (``aggregate_num``, ``allow_np_array``...) and those a Trainer sets itself
    (``param_dict``, ``idx2name``, ``lr_mult``, ``wd_mult``) are left alone.

    Raises
    ------
    ValueError
        When the file's optimizer is another class than ``optimizer`` (MXNet would switch to it).
    MXNetFormatError
        When an attribute minigluon takes is malformed.
    """
    def fail(why):
        raise MXNetFormatError('%s: not a readable MXNet Trainer.save_states file: the pickled '
                               'optimizer %s: %s' % (source, record.name, why))
    mine = type(optimizer).__name__
    if record.name.lower() != mine.lower():
        raise ValueError('%s holds the states of MXNet optimizer %s, but this Trainer uses %s; '
                         'MXNet 1.9.1 would switch to the saved optimizer, minigluon keeps the '
                         'one it was given: create the Trainer with %r'
                         % (source, record.name, mine, record.name.lower()))
    theirs = record.attrs
    have = vars(optimizer)
    attrs = {}
    for key, value in theirs.items():
        if key.startswith('_') or key in _KEEP or key not in have or not _plain(have[key]):
            continue
        current = have[key]
        if not _plain(value) or (current is not None and value is not None
                                 and isinstance(current, str) != isinstance(value, str)):
            fail('%r is %s; expected %s' % (key, _show(value), 'a string' if isinstance(current, str)
                                            else 'a number or None'))
        attrs[key] = value
    for key in ('num_update', 'begin_num_update'):
        if key in attrs and not _count(attrs[key]):
            fail('%r is %s; expected an int >= 0' % (key, _show(attrs[key])))
    if 'num_update' not in attrs or '_index_update_count' not in theirs:
        fail('it has no num_update or _index_update_count')
    num_update = int(attrs.pop('num_update'))
    counts = _counts_table(theirs['_index_update_count'], '_index_update_count', fail)
    device_counts = {}
    for device, table in (theirs.get('_all_index_update_counts') or {}).items():
        if isinstance(device, bool) or not isinstance(device, int):
            fail('_all_index_update_counts has the key %s; expected device ids' % _show(device))
        device_counts[device] = _counts_table(table, '_all_index_update_counts[%d]' % device, fail)
    if 'lr_scheduler' in theirs:
        scheduler = _scheduler_action(theirs['lr_scheduler'], optimizer.lr_scheduler, fail)
    else:
        scheduler = ('keep',)
    return Settings(attrs, num_update, counts, device_counts, scheduler)


def apply_settings(optimizer, settings, device_ids):
    """Set what :func:`optimizer_settings` returned on ``optimizer``: every device in
    ``device_ids`` (and every device it already counts for) gets the saved counts of that device,
    or those of the device that saved (as minigluon's own format does: MXNet would restart the
    counts, and Adam's bias correction, of a device the file does not list)."""
    have = vars(optimizer)
    have.update(settings.attrs)
    have.pop('_own_state_layouts', None)        # precision.check_state_layout's cache
    optimizer.num_update = settings.num_update
    optimizer._restore_update_counts(
        device_ids, lambda device: settings.device_counts.get(device, settings.counts))
    action = settings.scheduler
    if action[0] == 'set':
        optimizer.lr_scheduler = action[1]
    elif action[0] == 'update':
        vars(optimizer.lr_scheduler).update(action[1])
