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
inert stand-ins, never the class a file names: MXNet's ``NDArray`` becomes a maker of
:class:`_NDArray`, which keeps the raw bytes (decoded later, once, by minigluon's own ``.params``
reader, and only for the arrays the states use); MXNet's optimizer and ``lr_scheduler`` classes
become :class:`Record` classes, made afresh for each load, whose objects only keep the attribute
dict; ``builtins.bytearray`` and NumPy's scalar/dtype pair (a hyper-parameter that was a NumPy
number) become checked makers that accept only bytes and plain numeric dtypes. Nothing
``find_class`` returns can be changed by the file: the makers are objects of classes with
``__slots__ = ()`` whose ``__setstate__`` refuses (a ``BUILD`` on them), the Record classes have a
metaclass that refuses setting attributes and a ``__setstate__`` that refuses a ``BUILD`` on the
class itself. Any other global (``os.system``, ``builtins.eval``, a user's own class...) stops the
load with :class:`~minigluon.base.MXNetFormatError` before it could be called.

Before unpickling, the opcodes are listed with ``pickletools.genops`` (which parses and builds
nothing): only the opcodes that protocols 3-5 use for plain data and objects are allowed (no
persistent ids, no extension registry, no out-of-band buffers); memo indices are bounded by the
opcode count, so a file cannot make the unpickler allocate a huge memo; integers may be 64 bits
wide at most (MXNet's files hold small ones; a wider one is slow to print, cannot be printed past
4300 digits, and multiples of ``2**61 - 1`` all hash alike); dict keys and set members must be
plain values (numbers, strings, bytes, None), so no tuple is hashed while unpickling (a tuple
built from shared references takes exponential time to hash, and tuples can be crafted to
collide); and containers built from the opcode stream may nest at most ``MAX_NESTING`` deep
(hashing a tuple nested millions deep, a few bytes per level, crashes the interpreter).

Reading the states that follows refuses any array, handle, tuple or list that is met twice
(MXNet's states never share one: sharing turns a small file into an exponentially large tree, or
one handle into thousands of decoded copies), so the work is bounded by the number of opcodes;
the arrays decoded may take at most what the same bytes could as a ``.params`` file
(:data:`minigluon.serialization.SPARSE_EXPANSION` times the file size, at least 64 MiB, for sparse
arrays made dense); nesting stops at ``MAX_DEPTH``. Messages show values from the file cut short.

MXNet 1.9.1 and minigluon order the state of a float16 weight with ``multi_precision`` differently
for a few optimizers; :func:`to_own_layout` converts (see there for every optimizer's layout).
"""
import io
import math
import pickle   # only for the whitelisting _Unpickler below (tests/reliability checks this)
import pickletools
import reprlib

import numpy as np

from minigluon import serialization
from minigluon.base import MXNetFormatError

__all__ = ['looks_like_pickle', 'read', 'MXNetStates', 'Record']

PROTOCOLS = serialization.PICKLE_PROTOCOLS
MAX_DEPTH = 8            # nesting of a state (tuples of tuples...)
MAX_NESTING = 32         # nesting of any object in the pickle (MXNet's files nest about 6 deep)
MAX_INT_BITS = 64        # widest integer (MXNet's files hold indices, counts and hyper-parameters)

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
_REPR.maxlevel = 3
_REPR.maxtuple = _REPR.maxlist = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdict = 6
_LAYOUT_REPR = reprlib.Repr()       # a state's layout: MAX_DEPTH tuples, then (shape, dtype) leaves
_LAYOUT_REPR.maxlevel = MAX_DEPTH + 3
_LAYOUT_REPR.maxtuple = 8
_MAX_SHOWN = 300                    # characters of a value or layout in a message


def _cut(text):
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + '...'


def _show(value):
    """A short repr of a value from the file, for messages."""
    return _cut(_REPR.repr(value))


def show_layout(layout):
    """A short text of a state's layout (nested tuples of ``(shape, dtype)``), for messages."""
    return _cut(_LAYOUT_REPR.repr(layout))


looks_like_pickle = serialization.looks_like_pickle     # (the one test all loaders share)


class _Refused(Exception):
    """Raised inside the unpickler; turned into MXNetFormatError by :func:`read`."""


# -- stand-ins handed out by find_class ------------------------------------------------------------

_UNSET = object()


class _Sealed(type):
    """Metaclass of the classes :func:`_allowed` hands out: nothing can be set on them."""

    def __setattr__(cls, name, value):
        raise _Refused('the file tries to change %s' % cls.__name__)

    def __delattr__(cls, name):
        raise _Refused('the file tries to change %s' % cls.__name__)


class _StandIn(metaclass=_Sealed):
    """A function-like global as :func:`_allowed` hands it out: callable, without attributes
    (``__slots__ = ()``), and a ``BUILD`` on it (``__setstate__``) is refused, so a file cannot
    change it for the rest of the process."""

    __slots__ = ()
    what = None

    def __setstate__(self, state):
        raise _Refused('the file tries to set the state of %s' % self.what)

    def __call__(self, *args):
        raise NotImplementedError


class _NDArray:
    """Stands for an ``mxnet.ndarray.ndarray.NDArray``: ``NDArray(None)`` then ``__setstate__``
    with ``{'handle': raw bytes}``. The bytes are kept as they are: :class:`_StateReader` decodes
    them (:func:`minigluon.serialization.loads_array`) when the states use this array."""

    __slots__ = ('raw',)

    def __init__(self, *args):
        if args != (None,):
            raise _Refused('NDArray is rebuilt as NDArray(None), got %d arguments' % len(args))
        self.raw = None

    def __setstate__(self, state):
        if self.raw is not None or not isinstance(state, dict) or len(state) != 1 \
                or 'handle' not in state:
            raise _Refused("an NDArray's state must be {'handle': bytes}, once")
        raw = state['handle']
        if not isinstance(raw, (bytes, bytearray)):
            raise _Refused("an NDArray's handle must be bytes, got %s" % type(raw).__name__)
        self.raw = raw


class _MakeNDArray(_StandIn):
    """``mxnet.ndarray.ndarray.NDArray``."""

    __slots__ = ()
    what = 'NDArray'

    def __call__(self, *args):
        return _NDArray(*args)


class _MakeBytes(_StandIn):
    """``builtins.bytearray`` as pickles use it: ``bytearray(b'...')`` (never ``bytearray(n)``,
    which would allocate n bytes); the result is bytes."""

    __slots__ = ()
    what = 'bytearray'

    def __call__(self, *args):
        if len(args) != 1 or not isinstance(args[0], (bytes, bytearray)):
            raise _Refused('bytearray() is only rebuilt from bytes')
        return bytes(args[0])


class _DType:
    """``numpy.dtype(name, align, copy)`` for plain numeric dtypes only; ``__setstate__`` takes the
    byte order from NumPy's dtype state tuple, once."""

    __slots__ = ('dtype', 'built')

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
        self.built = False

    def __setstate__(self, state):
        if self.built or not isinstance(state, tuple) or len(state) < 2 or \
                state[1] not in ('<', '>', '|', '='):
            raise _Refused('unexpected numpy dtype state')
        if state[1] in '<>':
            self.dtype = self.dtype.newbyteorder(state[1])
        self.built = True


class _MakeDType(_StandIn):
    """``numpy.dtype``."""

    __slots__ = ()
    what = 'numpy.dtype'

    def __call__(self, *args):
        return _DType(*args)


class _MakeScalar(_StandIn):
    """``numpy.core.multiarray.scalar(dtype, bytes)``: a NumPy number (e.g. a ``numpy.float64``
    learning rate)."""

    __slots__ = ()
    what = 'numpy scalar'

    def __call__(self, *args):
        if len(args) != 2 or not isinstance(args[0], _DType) or not isinstance(args[1], bytes) \
                or len(args[1]) != args[0].dtype.itemsize:
            raise _Refused('a NumPy scalar is only rebuilt from a numeric dtype and its bytes')
        dtype = args[0].dtype
        return np.frombuffer(args[1], dtype=dtype)[0].astype(dtype.newbyteorder('='))


_MAKERS = {('mxnet.ndarray.ndarray', 'NDArray'): _MakeNDArray(),
           ('builtins', 'bytearray'): _MakeBytes(),
           ('numpy.core.multiarray', 'scalar'): _MakeScalar(),
           ('numpy._core.multiarray', 'scalar'): _MakeScalar(),
           ('numpy', 'dtype'): _MakeDType()}


class Record(metaclass=_Sealed):
    """An MXNet optimizer or ``lr_scheduler`` object as it was pickled: ``kind`` (``'optimizer'``
    or ``'lr_scheduler'``), ``name`` (its class name) and ``attrs`` (its ``__dict__``). Inert:
    nothing of the class it names is imported or called. Each load makes its own subclasses
    (:func:`_record_class`), which nothing in the file can change."""

    kind = name = None

    def __new__(cls, *args):
        if cls is Record or args:
            raise _Refused('%s objects are rebuilt without arguments' % cls.name)
        self = object.__new__(cls)
        self.attrs = None
        return self

    def __setstate__(self, state=_UNSET):
        if state is _UNSET:     # a BUILD on the class itself calls Record.__setstate__(state)
            raise _Refused('the file tries to set the state of an MXNet class')
        if self.attrs is not None or not isinstance(state, dict) or \
                not all(isinstance(k, str) for k in state):
            raise _Refused("the state of %s must be a dict of attribute names, once" % self.name)
        self.attrs = dict(state)

    def __repr__(self):
        return '<MXNet %s %s>' % (self.kind, self.name)


def _record_class(kind, name):
    return _Sealed('Recorded' + name, (Record,), {'kind': kind, 'name': name})


def _allowed(module, name, records):
    """The stand-in for the global ``module.name``, or None when it is not allowed. ``records``
    caches the Record classes of one load."""
    maker = _MAKERS.get((module, name))
    if maker is not None:
        return maker
    key = None
    if module in _OPTIMIZER_MODULES:
        from minigluon.optimizer import Optimizer
        known = Optimizer.opt_registry.get(name.lower())
        if known is not None and known.__name__ == name:
            key = ('optimizer', name)
    if module == 'mxnet.lr_scheduler' and name in _SCHEDULER_PROBES:
        key = ('lr_scheduler', name)
    if key is None:
        return None
    if key not in records:
        records[key] = _record_class(*key)
    return records[key]


class _Unpickler(pickle.Unpickler):
    """An unpickler that resolves globals only to the stand-ins of :func:`_allowed`."""

    def __init__(self, file):
        super().__init__(file)
        self.records = {}

    def find_class(self, module, name):
        found = _allowed(module, name, self.records)
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
    them), ``optimizer`` (a :class:`Record`, or None for a file of states alone) and
    ``open_sums`` (int index -> NumPy array: LBSGD's gradient sums of a macro-batch still open,
    pickled with the optimizer as ``cumgrads``)."""

    def __init__(self, states, optimizer, open_sums=None):
        self.states = states
        self.optimizer = optimizer
        self.open_sums = open_sums or {}


_MARK = object()
# opcodes that take their items down to the last MARK and push one object made of them
_FROM_MARK = frozenset({'TUPLE', 'LIST', 'DICT', 'FROZENSET'})
# opcodes that take their items down to the last MARK and add them to the object below
_INTO_FROM_MARK = frozenset({'APPENDS', 'SETITEMS', 'ADDITEMS'})
_PUSH_FIXED = {'TUPLE1': 1, 'TUPLE2': 2, 'TUPLE3': 3}
_INTO = {'APPEND': 1, 'SETITEM': 2, 'BUILD': 1}             # items added to the object below
_CALL = {'REDUCE': 2, 'NEWOBJ': 2, 'STACK_GLOBAL': 2}       # popped, then one object pushed
# opcodes that push a plain value, cheap to hash (numbers, strings, bytes, None, booleans)
_ATOMS = frozenset({'NONE', 'NEWTRUE', 'NEWFALSE', 'BININT', 'BININT1', 'BININT2', 'LONG1',
                    'LONG4', 'BINFLOAT', 'SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8',
                    'SHORT_BINBYTES', 'BINBYTES', 'BINBYTES8'})


def _prescan(buf, fail):
    """Check the opcodes of ``buf`` without building anything (``pickletools.genops``); return
    how many there are.

    Besides the opcode whitelist and the width of integers, a small model of the unpickler's stack
    follows how deeply objects nest (a tuple nested a million deep takes a few bytes per level,
    and hashing one overflows the C stack: nesting beyond :data:`MAX_NESTING` is refused) and
    whether each object is a plain value: only those may be dict keys or set members.
    """
    count = 0
    end = None
    stack, memo = [], {}     # each entry: (how deeply the object nests, whether it is plain)

    def pop_to_mark():
        """The entries down to the last MARK, in stack order; the MARK is removed."""
        at = len(stack) - 1
        while at >= 0 and stack[at] is not _MARK:
            at -= 1
        if at < 0:
            fail('malformed pickle (no MARK for %s at byte %d)' % (op.name, pos))
        items = stack[at + 1:]
        del stack[at:]
        return items

    def pop(n):
        if len(stack) < n or any(x is _MARK for x in stack[len(stack) - n:]):
            fail('malformed pickle (%s at byte %d lacks its operands)' % (op.name, pos))
        items = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        return items

    def push(depth, atom=False):
        if depth > MAX_NESTING:
            fail('objects nest more than %d deep (at byte %d)' % (MAX_NESTING, pos))
        stack.append((depth, atom))

    def plain_keys(keys):
        if not all(atom for _depth, atom in keys):
            fail('a dict key or set member at byte %d is not a plain value (number, string, '
                 'bytes or None), which MXNet states files never use' % pos)

    def deepest(items):
        return max((depth for depth, _atom in items), default=0)

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
            fail('not a complete pickle (%s)' % _cut(bad))
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
        if name in ('LONG1', 'LONG4') and arg.bit_length() > MAX_INT_BITS:
            fail('an integer of %d bits at byte %d; MXNet states files hold none wider than %d bits'
                 % (arg.bit_length(), pos, MAX_INT_BITS))
        if name == 'STOP':
            end = pos + 1
            break
        if name == 'MARK':
            stack.append(_MARK)
        elif name in _FROM_MARK:
            items = pop_to_mark()
            if name == 'DICT':
                plain_keys(items[0::2])
            elif name == 'FROZENSET':
                plain_keys(items)
            push(1 + deepest(items))
        elif name in _INTO_FROM_MARK:
            items = pop_to_mark()
            if name == 'SETITEMS':
                plain_keys(items[0::2])
            elif name == 'ADDITEMS':
                plain_keys(items)
            target = pop(1)
            push(max(1 + deepest(items), deepest(target)))
        elif name in _PUSH_FIXED:
            push(1 + deepest(pop(_PUSH_FIXED[name])))
        elif name in _INTO:
            items = pop(_INTO[name])
            if name == 'SETITEM':
                plain_keys(items[:1])
            target = pop(1)
            push(max(1 + deepest(items), deepest(target)))
        elif name in _CALL:
            push(1 + deepest(pop(_CALL[name])))
        elif name == 'POP':
            pop(1)
        elif name == 'POP_MARK':
            pop_to_mark()
        elif name == 'DUP':
            entry, = pop(1)
            stack.extend([entry, entry])
        elif name == 'MEMOIZE' or name in ('BINPUT', 'LONG_BINPUT'):
            if not stack or stack[-1] is _MARK:
                fail('malformed pickle (%s at byte %d of nothing)' % (name, pos))
            memo[len(memo) if name == 'MEMOIZE' else arg] = stack[-1]
        elif name in ('BINGET', 'LONG_BINGET'):
            if arg not in memo:
                fail('malformed pickle (memo entry %d at byte %d was never stored)' % (arg, pos))
            stack.append(memo[arg])
        elif name not in ('PROTO', 'FRAME'):     # a plain value, an empty container, a GLOBAL
            push(0, name in _ATOMS)
    if end is None:
        fail('not a complete pickle (no STOP opcode)')
    if end != len(buf):
        fail('%d unexpected bytes after the end of the pickle' % (len(buf) - end))
    return count


class _StateReader:
    """Turns the pickled states into None, NumPy arrays and tuples of them, refusing what a file
    written by MXNet never holds and what would cost more than the file is worth: an object
    (NDArray, handle, tuple, list) met a second time, more objects than the pickle has opcodes,
    decoded arrays larger than ``max(SPARSE_EXPANSION * file size, 64 MiB)`` in all, nesting
    deeper than :data:`MAX_DEPTH`."""

    def __init__(self, file_size, opcodes):
        self.seen = set()                   # ids of the objects met (all alive in the states)
        self.objects_left = opcodes
        self.bytes_left = max(serialization.SPARSE_EXPANSION * file_size, 64 << 20)

    def _once(self, obj, index, what):
        if id(obj) in self.seen:
            raise _Refused('the state of parameter index %d refers again to %s met before in the '
                           'states (MXNet never shares one between states or within a state)'
                           % (index, what))
        self.seen.add(id(obj))

    def state(self, value, index, depth=0):
        """A pickled state as None, a NumPy array or a tuple of them."""
        self.objects_left -= 1
        if self.objects_left < 0:
            raise _Refused('the states hold more objects than the pickle has opcodes')
        if value is None:
            return None
        if isinstance(value, _NDArray):
            return self._array(value, index)
        if isinstance(value, (tuple, list)):
            if value:          # (an empty tuple is one object in Python, and costs nothing)
                self._once(value, index, 'a %s' % type(value).__name__)
            if depth >= MAX_DEPTH:
                raise _Refused('the state of parameter index %d nests tuples more than %d deep'
                               % (index, MAX_DEPTH))
            return tuple(self.state(v, index, depth + 1) for v in value)
        raise _Refused('the state of parameter index %d holds %s; expected None, NDArrays and '
                       'tuples or lists of them' % (index, type(value).__name__))

    def open_sums(self, cumgrads):
        """LBSGD's pickled ``cumgrads`` (``{index: {'cum_grad': NDArray, or 0 once the
        macro-batch's update has run, 'num_cums': calls so far}}``, MXNet 1.9.1
        ``LBSGD._cumulate_gradient``) as ``{index: NumPy array}`` for the sums still open."""
        if not isinstance(cumgrads, dict):
            raise _Refused("the optimizer's cumgrads is %s; expected a dict of parameter index "
                           "to gradient sum" % type(cumgrads).__name__)
        out = {}
        for index, entry in cumgrads.items():
            if isinstance(index, bool) or not isinstance(index, int):
                raise _Refused('cumgrads key %s is not a parameter index (int)' % _show(index))
            if not (isinstance(entry, dict) and set(entry) == {'cum_grad', 'num_cums'} and
                    _count(entry['num_cums'])):
                raise _Refused("cumgrads[%d] is %s; expected {'cum_grad': NDArray or 0, "
                               "'num_cums': count}" % (index, _show(entry)))
            total = entry['cum_grad']
            if isinstance(total, _NDArray):
                self.objects_left -= 1
                out[index] = self._array(total, index)
            elif not (_finite_number(total) and total == 0):
                raise _Refused("cumgrads[%d]['cum_grad'] is %s; expected an NDArray or 0"
                               % (index, _show(total)))
        return out

    def _array(self, value, index):
        self._once(value, index, 'an NDArray')
        if value.raw is None:
            raise _Refused('the state of parameter index %d holds an NDArray without data' % index)
        self._once(value.raw, index, "an NDArray's handle (its bytes)")
        arr = serialization.loads_array(bytes(value.raw), source='pickled NDArray')
        if arr is None:
            raise _Refused('a pickled NDArray holds no array (an empty "none" NDArray)')
        self.bytes_left -= arr.nbytes
        if self.bytes_left < 0:
            raise _Refused('the arrays of the states take more than %d times the file size when '
                           'decoded' % serialization.SPARSE_EXPANSION)
        return arr


def read(buf, source):
    """Parse the bytes of an MXNet 1.9.1 ``Trainer.save_states`` file into :class:`MXNetStates`.

    Raises
    ------
    MXNetFormatError
        Naming ``source`` and what was expected, when the bytes are not such a file, refer to
        anything outside the whitelist, or hold what MXNet never writes (see the module's
        docstring); nothing the file names is imported or run.
    """
    def fail(why):
        raise MXNetFormatError('%s: not a readable MXNet Trainer.save_states file: %s'
                               % (source, why))
    buf = bytes(buf)
    opcodes = _prescan(buf, fail)
    try:
        loaded = _Unpickler(io.BytesIO(buf)).load()
        if isinstance(loaded, tuple) and len(loaded) == 2:     # as MXNet's Updater.set_states
            states, optimizer = loaded
        else:
            states, optimizer = loaded, None
        if not isinstance(states, dict):
            raise _Refused('the states are %s; expected a dict of parameter index to state'
                           % type(states).__name__)
        reader = _StateReader(len(buf), opcodes)
        out = {}
        for index, value in states.items():
            if isinstance(index, bool) or not isinstance(index, int):
                raise _Refused('state key %s is not a parameter index (int)' % _show(index))
            out[index] = reader.state(value, index)
        if optimizer is not None and not (isinstance(optimizer, Record) and
                                          optimizer.kind == 'optimizer'):
            raise _Refused('the second item is %s; expected an MXNet optimizer'
                           % type(optimizer).__name__)
        if optimizer is not None and optimizer.attrs is None:
            raise _Refused('the optimizer %s has no attributes' % optimizer.name)
        open_sums = reader.open_sums(optimizer.attrs['cumgrads']) \
            if optimizer is not None and 'cumgrads' in optimizer.attrs else {}
    except (_Refused, MXNetFormatError) as err:    # MXNetFormatError: a bad NDArray inside
        why = _cut(str(err))
    except (pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError, EOFError,
            AttributeError, RecursionError, OverflowError, MemoryError) as err:
        why = _cut('%s: %s' % (type(err).__name__, err))
    else:
        return MXNetStates(out, optimizer, open_sums)
    fail(why)


def to_own_layout(optimizer, multi_precision, states):
    """MXNet 1.9.1's states (index -> state, as :func:`read` returns them) in the order
    ``optimizer`` keeps them; ``multi_precision`` is the setting they were saved with.

    Without ``multi_precision`` (or for a weight that is not float16) a state is the optimizer's
    own (``create_state``): None, an array, or a tuple of arrays, nested alike in MXNet and
    minigluon. (For a float16 or float64 weight, MXNet's AdaDelta, AdaGrad, Ftrl, RMSProp and
    GroupAdaGrad make float32 arrays, then fail at their first update, so no file saved after a
    step holds them; minigluon, whose states take the weight's dtype, refuses them as a layout
    mismatch.)
    With ``multi_precision`` the state of a float16 weight adds a float32 master copy, and
    MXNet 1.9.1 (measured with ``create_state_multi_precision``) orders it:

    * ``(momentum or None, master)``: SGD, ccSGD and NAG (their own
      ``create_state_multi_precision``), and LARS;
    * ``(master, state)``, from ``Optimizer.create_state_multi_precision``: every other one
      (Adam: ``(master, (mean, var))``, RMSProp: ``(master, (n,))`` or ``(master, (n, g,
      delta))``, AdaGrad, AdaDelta, Adamax, Ftrl, FTML, Nadam, LAMB, Signum: ``(master,
      momentum)``, DCASGD: ``(master, (momentum or None, previous weight))``, LBSGD, SGLD:
      ``(master, None)``, GroupAdaGrad, Test).

    minigluon keeps ``(master, state)`` for all of them except LARS, which has MXNet's order, so
    the two arrays of an SGD (ccSGD) or NAG state are swapped here. (Both have the same shape and
    dtype: the layout check cannot tell them apart.)
    """
    from minigluon.optimizer import NAG, SGD
    if not (multi_precision and isinstance(optimizer, (SGD, NAG))):
        return states
    return {index: (state[1], state[0]) if isinstance(state, tuple) and len(state) == 2 else state
            for index, state in states.items()}


# -- what minigluon takes from the pickled optimizer -----------------------------------------------

# attributes kept as the Trainer has them: a Trainer fills param_dict (which takes precedence over
# lr_mult/wd_mult, so those are unused there too) and idx2name; sym_info is unused
_KEEP = frozenset({'param_dict', 'idx2name', 'sym_info', 'lr_mult', 'wd_mult', 'lr_scheduler'})
_NUMBERS = (bool, int, float, np.bool_, np.integer, np.floating)
_BOOLS = (bool, np.bool_)

# The kind of each hyper-parameter minigluon's optimizers take from the file (by MXNet's name);
# an attribute not listed has the kind of its current value (a number, a bool or a string).
# Booleans:
_BOOL_ATTRS = frozenset({'multi_precision', 'lazy_update', 'centered', 'bias_correction',
                         'momentum_correction'})
# numbers that are None by default in MXNet 1.9.1 (clip_gradient=None: no clipping; RMSProp's
# clip_weights, LAMB's lower_bound/upper_bound; LARS's last_lr/cur_lr before its first update):
_OPTIONAL_NUMBERS = frozenset({'clip_gradient', 'clip_weights', 'lower_bound', 'upper_bound',
                               'last_lr', 'cur_lr'})
# ints >= 0 (num_update is checked with the update counts)
_COUNTS = frozenset({'num_update', 'begin_num_update'})
# 'lr' is a number, or None when the optimizer has an lr_scheduler (MXNet leaves lr None when it
# is created with a scheduler and no learning_rate); LBSGD's batch_scale is an int >= 1 and its
# warmup_strategy one of its four (see _check_value)
_WARMUP_MODES = ('linear', 'constant')      # of the lr_schedulers


def _plain(value):
    return value is None or isinstance(value, _NUMBERS + (str,))


def _count(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, _BOOLS) and value >= 0


def _finite_number(value):
    """A real number (not a bool) that is finite as a float."""
    if not isinstance(value, _NUMBERS) or isinstance(value, _BOOLS):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:       # an int too large for a float
        return False


def _check_value(key, value, current, fail, what=None):
    """Raise (``fail``) unless ``value`` is of the kind the hyper-parameter ``key`` needs."""
    from minigluon.optimizer.legacy import _WARMUPS
    what = what or repr(key)
    if key in _BOOL_ATTRS or (key not in _OPTIONAL_NUMBERS and isinstance(current, _BOOLS)):
        ok, expected = isinstance(value, _BOOLS), 'a bool'
    elif key in ('warmup_strategy', 'warmup_mode'):
        choices = _WARMUPS if key == 'warmup_strategy' else _WARMUP_MODES
        ok = isinstance(value, str) and value in choices
        expected = 'one of %s' % ', '.join(map(repr, choices))
    elif isinstance(current, str):
        ok, expected = isinstance(value, str), 'a string'
    elif key in _COUNTS:
        ok, expected = _count(value), 'an int >= 0'
    elif key == 'batch_scale':
        ok, expected = _count(value) and value >= 1, 'an int >= 1'
    elif key in _OPTIONAL_NUMBERS or key == 'lr' or current is None:
        ok, expected = value is None or _finite_number(value), 'a finite number or None'
    else:
        ok, expected = _finite_number(value), 'a finite number'
    if not ok:
        fail('%s is %s; expected %s' % (what, _show(value), expected))


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
    probe = vars(cls(**_SCHEDULER_PROBES[record.name]))
    needed = sorted(probe)
    missing = [k for k in needed if k not in record.attrs]
    if missing:
        fail('the %s lacks %s' % (record.name, ', '.join(missing)))
    state = {}
    for key in needed:
        value = record.attrs[key]
        what = '%s.%s' % (record.name, key)
        if isinstance(probe[key], list):
            if not (isinstance(value, list) and all(_finite_number(v) for v in value)):
                fail('%s is %s; expected a list of finite numbers' % (what, _show(value)))
        else:
            _check_value(key, value, probe[key], fail, what)
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
    ``beta1``, ``centered``, Nadam's ``m_schedule``, SGD's, LARS's and LAMB's
    ``aggregate_num``...; the names are MXNet's), ``num_update``, the per-index update counts,
    and the ``lr_scheduler``. Attributes minigluon does not have (``allow_np_array``...) and
    those a Trainer sets itself
    (``param_dict``, ``idx2name``, ``lr_mult``, ``wd_mult``) are left alone.

    Each value must be of the kind the optimizer needs (:func:`_check_value`): booleans
    (``multi_precision``, ``centered``...) are bools; numbers are finite real numbers, not bools,
    and may be None only where MXNet has None (``clip_gradient``, ``clip_weights``,
    ``lower_bound``, ``upper_bound``, LARS's ``last_lr``/``cur_lr``, and ``lr`` when the optimizer
    has an ``lr_scheduler`` after loading); counts are ints >= 0; strings are strings of the
    values allowed (LBSGD's ``warmup_strategy``, a scheduler's ``warmup_mode``). The scheduler's
    attributes are checked alike, against those of a new scheduler of its class.

    Raises
    ------
    ValueError
        When the file's optimizer is another class than ``optimizer`` (MXNet would switch to it).
    MXNetFormatError
        When an attribute minigluon takes is malformed, naming it.
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
        if not _plain(value):
            fail('%r is %s; expected a number, a bool, a string or None' % (key, _show(value)))
        _check_value(key, value, have[key], fail)
        attrs[key] = value
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
    has_scheduler = optimizer.lr_scheduler is not None if scheduler[0] == 'keep' else \
        scheduler[0] == 'update' or scheduler[1] is not None
    if attrs.get('lr', optimizer.lr) is None and not has_scheduler:
        fail("'lr' is None, and the optimizer has no lr_scheduler; expected a finite number")
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
