"""Exception root, the ``MXNet*Error`` classes, and small shared helpers (argument checks, and
``open_regular`` / ``read_file``, through which minigluon's loaders read data files).

MXNet raises ``MXNetError`` (a ``RuntimeError``) for most failures; minigluon keeps that name as the
root of its own errors so that ``except mx.base.MXNetError`` in legacy code still works.

``_as_list`` is MXNet's private helper of the same name, which third-party code imports; ``py_str``
is MXNet's bytes-to-str helper, which MXNet's unit tests import (and copies of them in other
projects: ``from mxnet.base import py_str, MXNetError, _as_list``).

``integer_types``, ``numeric_types`` and ``string_types`` are the type tuples of MXNet 1.9.1's
``mxnet.base`` that legacy code passes to ``isinstance``; they hold the same types (Python 3, where
MXNet's ``long`` and ``basestring`` are ``int`` and ``str``).

:func:`data_dir` is MXNet's data folder, where minigluon looks for the files MXNet downloaded
(datasets, model-zoo parameters, embeddings); minigluon itself downloads nothing.

Names that MXNet 1.9.1 lacks, asked for anyway, get errors that say what to do, while ``hasattr``
stays False as on MXNet: :func:`out_of_scope_getattr` is the one module ``__getattr__`` for the
parts of MXNet out of minigluon's scope and for other libraries' names (``nd.matmul``,
``gluon.nn.Linear``: the Gluon name to use), :class:`_OutOfScopeImports` gives the same messages
to ``import`` statements, and :class:`OtherFrameworkName` / :class:`OtherFrameworkFlag` do it for
attributes of minigluon's classes (``net.eval()``, ``p.requires_grad = False``).
"""
import errno
import functools
import operator
import os
import platform
import stat
import sys as _sys

import numpy as _np

integer_types = (int, _np.int32, _np.int64)
numeric_types = (float, int, _np.generic)
string_types = (str,)


def data_dir():
    """MXNet 1.9.1's data folder (``mxnet.base.data_dir``): ``$MXNET_HOME``, else
    ``%APPDATA%\\mxnet`` on Windows and ``~/.mxnet`` elsewhere.

    Read at each call (MXNet reads ``MXNET_HOME`` once, when a module using it is imported); an
    empty ``MXNET_HOME`` counts as unset. A ``~`` in ``MXNET_HOME`` is left for the caller to
    expand, as MXNet's callers do.
    """
    home = os.environ.get('MXNET_HOME')
    if home:
        return home
    if platform.system() == 'Windows':
        return os.path.join(os.environ.get('APPDATA', ''), 'mxnet')
    return os.path.join(os.path.expanduser('~'), '.mxnet')


class MXNetError(RuntimeError):
    """Root of minigluon's errors (same name and base class as MXNet's)."""


class NotImplementedForSymbol(MXNetError):
    """An NDArray method called on a Symbol (``asnumpy``, ``wait_to_read``, ``backward``...: a
    Symbol is a node of a graph being built and holds no values). MXNet 1.9.1's name and base
    class; the message names the method and what to use instead."""


class ShapeConflictError(MXNetError):
    """An operator's known input (or output) dimensions contradict each other. Raised by shape
    rules even while other dimensions are unknown, so that ``infer_shape_partial`` reports it at
    once, as MXNet does, instead of leaving the output unknown."""


class TypeConflictError(MXNetError):
    """An operator's known input dtype is one it refuses (integer data for BatchNorm). Raised by
    type rules even while other dtypes are unknown, so that ``infer_type_partial`` reports it at
    once, as MXNet does, instead of leaving the output unknown."""


class NotSupportedError(MXNetError, NotImplementedError):
    """An MXNet feature that minigluon deliberately does not provide (sparse storage, Module API)."""


class MissingDependencyError(ImportError, MXNetError):
    """An optional dependency (Pillow for images, graphviz for ``mx.viz.plot_network``) is needed
    and not installed; the message says what to ``pip install``."""


class ValueAssertionError(ValueError, AssertionError):
    """Bad input that MXNet 1.9.1 rejects with a Python ``assert`` (an ``AssertionError``) where
    minigluon raises a ``ValueError`` (or the reverse: MXNet's ``ValueError`` where minigluon
    checks with an assertion helper). Both, so legacy ``except AssertionError`` and
    ``except ValueError`` both catch it. The root of :class:`minigluon.parameter.ParameterMismatchError`."""


class RuntimeAssertionError(RuntimeError, AssertionError):
    """A call in the wrong state that MXNet 1.9.1 rejects with a Python ``assert`` where minigluon
    raises a ``RuntimeError`` (``begin_state`` of a recurrent cell wrapped by a modifier cell).
    Both, so ``except RuntimeError`` and legacy ``except AssertionError`` both catch it."""


class TypeAssertionError(TypeError, AssertionError):
    """A value of the wrong kind that MXNet 1.9.1 rejects with a Python ``assert`` (an
    ``AssertionError``) where minigluon raises a ``TypeError`` (a loss's ``weight`` that is not a
    number). Both, so ``except TypeError`` and legacy ``except AssertionError`` both catch it."""


# MXNet reports every failure of an operator (a bad shape, argument or index) and of a file read
# as ``MXNetError``; minigluon raises the Python type that says what went wrong. The classes below
# are both, so ``except ValueError`` and a legacy ``except mx.base.MXNetError`` both catch them.

class MXNetValueError(ValueError, MXNetError):
    """A ``ValueError`` that is also an :class:`MXNetError` (an operator's bad argument or shape)."""


class MXNetValueAssertionError(MXNetValueError, ValueAssertionError):
    """Bad input that MXNet 1.9.1 rejects with an ``MXNetError`` on one path and an ``assert`` on
    another (a fused recurrent layer given too few states: eagerly its operator fails, hybridized
    the graph builder asserts); all three, so any of those ``except`` clauses catches it."""


class MXNetFormatError(MXNetValueError):
    """A file or string in MXNet's formats is malformed (``.params`` binary, ``-symbol.json``,
    RecordIO ``.rec`` / ``.idx``, image files, the vision datasets' files and archives).

    Also a ``ValueError``, so callers that validate input can catch one type.
    """


class MXNetTypeError(TypeError, MXNetError):
    """A ``TypeError`` that is also an :class:`MXNetError` (an operator given the wrong kind of value)."""


class MXNetIndexError(IndexError, MXNetError):
    """An ``IndexError`` that is also an :class:`MXNetError` (an index out of range in an operator)."""


class MXNetIndexValueError(IndexError, ValueError, MXNetError):
    """An index of a kind no array takes (``x[1.0]``, ``x['a']``): an ``IndexError``, as NumPy
    raises, and a ``ValueError``, as MXNet 1.9.1's NDArray raises."""


class MXNetKeyError(KeyError, MXNetError):
    """A ``KeyError`` that is also an :class:`MXNetError` (a key missing from an index, such as a
    ``.idx`` file of :class:`minigluon.recordio.MXIndexedRecordIO`)."""


class MXNetFileNotFoundError(FileNotFoundError, MXNetError):
    """A ``FileNotFoundError`` that is also an :class:`MXNetError` (a missing file to load)."""


class MXNetPermissionError(PermissionError, MXNetError):
    """A ``PermissionError`` that is also an :class:`MXNetError` (a file that cannot be read)."""


class MXNetIsADirectoryError(IsADirectoryError, MXNetError):
    """An ``IsADirectoryError`` that is also an :class:`MXNetError` (a directory given as a file)."""


class MXNetNotADirectoryError(NotADirectoryError, MXNetError):
    """A ``NotADirectoryError`` that is also an :class:`MXNetError` (a file used as a folder in a
    path)."""


_ALSO_MXNET = {ValueError: MXNetValueError, TypeError: MXNetTypeError, IndexError: MXNetIndexError,
               FileNotFoundError: MXNetFileNotFoundError, PermissionError: MXNetPermissionError,
               IsADirectoryError: MXNetIsADirectoryError,
               NotADirectoryError: MXNetNotADirectoryError}


def as_mxnet_error(err):
    """``err`` as an exception that is also an :class:`MXNetError`, with the same message (and,
    for file errors, the same ``errno``, ``strerror`` and file names): a new instance of the
    matching class above, or ``err`` itself when it already is an ``MXNetError`` or is of another
    type."""
    cls = _ALSO_MXNET.get(type(err))
    if cls is None:
        return err
    if isinstance(err, OSError) and err.errno is not None:
        return cls(err.errno, err.strerror, err.filename, None, err.filename2)
    return cls(*err.args)


def raises_mxnet_errors(fn):
    """Decorate a public function so that the plain ``ValueError`` / ``TypeError`` /
    ``IndexError`` it raises for bad arguments come out as their :class:`MXNetError` twins
    (:func:`as_mxnet_error`), as MXNet reports them (for functions that do not run through an
    operator, whose errors :func:`minigluon.ndarray.dispatch.invoke` converts)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError) as err:
            converted = as_mxnet_error(err)
            if converted is err:       # already an MXNetError: keep its cause (a custom op's)
                raise
            raise converted.with_traceback(err.__traceback__) from None
    return wrapper


def special_file_kind(mode):
    """What a file that is not a regular file or a directory is, from its ``st_mode``: 'a FIFO',
    'a socket', 'a device' or 'a special file' (for error messages)."""
    if stat.S_ISFIFO(mode):
        return 'a FIFO'
    if stat.S_ISSOCK(mode):
        return 'a socket'
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return 'a device'
    return 'a special file'


def open_regular(fname):
    """``fname`` opened for binary reading (a file object); only a regular file is opened.

    A path that cannot be opened raises the usual ``OSError`` subclass, which is also an
    :class:`MXNetError`, as MXNet's loaders raise: :class:`MXNetFileNotFoundError`,
    :class:`MXNetPermissionError`, :class:`MXNetIsADirectoryError` (a directory) or
    :class:`MXNetNotADirectoryError` (a file used as a folder); other ``OSError`` (a failing
    disk) come as they are. A FIFO, socket or device (whose reads may block for ever or never
    end, as ``/dev/zero``) raises :class:`MXNetValueError` naming it: the file is opened
    non-blocking, so a FIFO is refused without waiting for a writer, then made blocking again.
    """
    try:
        fd = os.open(fname, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_BINARY', 0))
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as err:
        raise as_mxnet_error(err) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise MXNetIsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), fname)
        if not stat.S_ISREG(mode):
            raise MXNetValueError('%r is %s, not a regular file: minigluon reads data only from '
                                  'regular files' % (os.fsdecode(fname), special_file_kind(mode)))
        if hasattr(os, 'set_blocking'):
            os.set_blocking(fd, True)
        return os.fdopen(fd, 'rb')
    except BaseException:
        os.close(fd)
        raise


def read_file(fname):
    """The whole content (``bytes``) of the regular file ``fname``, opened by
    :func:`open_regular`, whose docstring lists the errors."""
    with open_regular(fname) as f:
        return f.read()


def _as_list(obj):
    """``obj`` itself when it is a list or tuple, else ``[obj]`` (MXNet 1.9.1's private
    ``mxnet.base._as_list``, imported by GluonNLP's sequence-to-sequence code)."""
    return obj if isinstance(obj, (list, tuple)) else [obj]


def py_str(x):
    """``x`` (bytes) decoded as UTF-8: MXNet 1.9.1's ``mxnet.base.py_str``."""
    return x.decode('utf-8')


def check_int(value, what, minimum=None):
    """``value`` as a Python int (ints and NumPy integers; not bools, floats or strings), else
    :class:`MXNetTypeError` naming ``what``; below ``minimum`` an :class:`MXNetValueError` naming
    it (a ``TypeError`` / ``ValueError`` that is also an ``MXNetError``)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise MXNetTypeError('%s must be an int, got %s %r' % (what, type(value).__name__, value)) from None
    if minimum is not None and number < minimum:
        raise MXNetValueError('%s must be >= %d, got %d' % (what, minimum, number))
    return number


def brief_list(names, limit=7):
    """Quote a list of names for an error message, eliding the middle of long lists.

    Follows MXNet's ``_brief_print_list`` shape: at most ``limit`` entries, first 3, ``...``, last 3.
    """
    names = [repr(str(n)) for n in names]
    if len(names) > limit:
        names = names[:3] + ['...'] + names[-3:]
    return ', '.join(names)


def describe_value(value):
    """``value`` for an error message about a wrong argument: a NumPy array by its type, shape
    and dtype (MXNet 1.9.1 prints the whole array), anything else by its type (with its module
    when not a builtin) and its repr, cut to 60 characters."""
    kind = type(value)
    name = kind.__name__ if kind.__module__ == 'builtins' else '%s.%s' % (kind.__module__,
                                                                           kind.__name__)
    if isinstance(value, _np.ndarray):
        return '%s of shape %s, dtype %s' % (name, value.shape, value.dtype)
    text = repr(value)
    return '%s %s' % (name, text if len(text) <= 60 else text[:57] + '...')


def _out_of_scope_message(what, name, part, advice):
    return ("%s %r: %s is out of scope in minigluon (docs/PORTING.md, 'Out of scope'); %s"
            % (what, name, part, advice))


def out_of_scope_getattr(module, parts=None, advice='', other_frameworks=None):
    """A module-level ``__getattr__`` for the module named ``module``: asking it for a name of
    ``parts`` (name -> what that part of MXNet 1.9.1 is) raises an ``AttributeError`` that says
    the part is out of scope in minigluon, where the scope is written down (docs/PORTING.md, "Out
    of scope"), and ``advice``; a name of ``other_frameworks`` (another library's name -> what to
    use instead, as :class:`OtherFrameworkName` gives for classes) raises it with that hint; any
    other name raises Python's usual ``AttributeError``, so ``hasattr`` stays False either way.
    This is the one way a module gives such hints (``nd``, ``sym``, ``gluon.nn``, ``gluon.loss``,
    ``autograd``: ``out_of_scope_getattr(__name__, other_frameworks={...})``).

    The parts are also registered with :class:`_OutOfScopeImports`, so that importing one as a
    submodule (``from mxnet import np``, ``import mxnet.contrib.onnx``) raises the same message
    instead of Python's bare "cannot import name"."""
    parts = parts or {}
    _OutOfScopeImports.parts.setdefault(module, {}).update((name, (part, advice))
                                                          for name, part in parts.items())

    hints = other_frameworks or {}
    _OutOfScopeImports.hints.setdefault(module, {}).update(hints)

    def __getattr__(name):
        if name in parts:
            raise AttributeError(_out_of_scope_message('module %r has no attribute' % module, name,
                                                       parts[name], advice))
        if name in hints:
            raise AttributeError('module %r has no attribute %r: %s' % (module, name, hints[name]))
        raise AttributeError('module %r has no attribute %r' % (module, name))
    return __getattr__


_NOT_FOUND = object()


class OtherFrameworkName:
    """A class attribute standing for a name that other libraries give their models and that
    MXNet 1.9.1's class lacks (PyTorch's ``net.eval()``, ``p.requires_grad``): reading it raises
    the ``AttributeError`` MXNet would, with ``hint`` (what Gluon does instead) in its message, so
    ``hasattr`` stays False and no new API appears.

    A non-data descriptor: an instance attribute of that name (``self.train = True`` in a
    subclass) is found first, and a subclass may define the name, as if the class had none; so
    may a base listed after the class (``class Agent(gluon.Block, Learner)``: Learner's
    ``train``, which Python finds past MXNet's Block, is returned by :meth:`__get__`). A
    descriptor, not a ``__getattr__``: a class with ``__getattr__`` makes every attribute
    access of its instances slower, hits included. :meth:`install` puts a table of them on a class.

    ``help()`` and ``dir()`` still list the name (it is in the class), so each one's ``__doc__``
    says that it is not there and gives the hint: ``help(nn.Dense)`` shows it under the name.
    """

    def __init__(self, name, hint):
        self.name, self.hint = name, hint
        self.__doc__ = ('Not in MXNet 1.9.1 or minigluon (another library\'s name; reading it '
                        'raises AttributeError): %s' % hint)

    def __get__(self, obj, owner=None):
        if owner is None:
            owner = type(obj)
        found = self._later_in_mro(owner)
        if found is not _NOT_FOUND:
            # a class after the hinted one in the MRO has the name (class Agent(gluon.Block,
            # Learner) with Learner.train): MXNet's Block, lacking it, lets Python find that one
            getter = getattr(type(found), '__get__', None)
            return found if getter is None else getter(found, obj, owner)
        what = ("type object %r" % owner.__name__ if obj is None
                else "'%s' object" % type(obj).__name__)
        raise AttributeError('%s has no attribute %r: %s' % (what, self.name, self.hint))

    def _later_in_mro(self, owner):
        """What a class after the one holding this descriptor in ``owner``'s MRO defines under
        the name (a user's mixin base listed after the minigluon class), or _NOT_FOUND."""
        mro = owner.__mro__
        for i, cls in enumerate(mro):
            if cls.__dict__.get(self.name) is self:
                for later in mro[i + 1:]:
                    value = later.__dict__.get(self.name, _NOT_FOUND)
                    if value is not _NOT_FOUND and not isinstance(value, OtherFrameworkName):
                        return value
                break
        return _NOT_FOUND

    @classmethod
    def install(cls, owner, hints):
        """Set ``owner.<name>`` to a descriptor for each ``name -> hint`` of ``hints``."""
        for name, hint in hints.items():
            setattr(owner, name, cls(name, hint))


class OtherFrameworkFlag(OtherFrameworkName):
    """An :class:`OtherFrameworkName` for a flag that another library's users *set*
    (``p.requires_grad = False`` freezes a PyTorch parameter): setting it on an instance of
    minigluon's own classes raises the ``AttributeError`` with the hint too, where MXNet 1.9.1
    would keep an attribute nothing reads, so the parameter silently went on training. A data
    descriptor (a plain one would let the assignment through).

    An instance of a user's subclass (a class defined outside minigluon) keeps the attribute,
    as in MXNet 1.9.1: such a class may use the name for its own purpose
    (``self.requires_grad = True`` in its ``__init__``), and it is read back. A subclass may
    also define the name itself.
    """

    def __get__(self, obj, owner=None):
        state = getattr(obj, '__dict__', None)
        if state is not None and self.name in state:     # set by a user's subclass (__set__)
            return state[self.name]
        return super().__get__(obj, owner)

    def __set__(self, obj, value):
        found = self._later_in_mro(type(obj))
        if hasattr(type(found), '__set__'):       # a mixin's property with a setter
            type(found).__set__(found, obj, value)
            return
        if _users_class(type(obj)):
            obj.__dict__[self.name] = value
            return
        raise AttributeError("'%s' object has no attribute %r to set: %s"
                             % (type(obj).__name__, self.name, self.hint))

    def __delete__(self, obj):
        if _users_class(type(obj)) and self.name in obj.__dict__:
            del obj.__dict__[self.name]
            return
        # (without it, del p.requires_grad said only "__delete__")
        raise AttributeError("'%s' object has no attribute %r: %s"
                             % (type(obj).__name__, self.name, self.hint))


def _users_class(cls):
    """True for a class defined outside minigluon (a user's subclass)."""
    return cls.__module__.partition('.')[0] != 'minigluon'



class _OutOfScopeImports:
    """The last finder on ``sys.meta_path``: a submodule import that no file satisfies, of a name
    an ``out_of_scope_getattr`` table lists, raises ``ModuleNotFoundError`` with the out-of-scope
    message (also under ``import mxnet`` aliases, ``minigluon.compat``: the parent is looked up by
    its module object). Other names are left to Python's usual "No module named" error.

    The error's ``name`` stays unset: Python's ``from package import name`` swallows a
    ``ModuleNotFoundError`` for exactly that submodule and then reports a bare "cannot import name".
    The same statement for a name another library uses (``from mxnet.gluon.nn import Linear``; an
    ``other_frameworks`` table) asks this finder for that submodule too, after the module's
    ``__getattr__`` refused it: it raises Python's "cannot import name" with the hint.

    Only an import raises: a question that merely looks for the module
    (``importlib.util.find_spec('mxnet.np')``, as code testing for a feature asks it) gets
    ``None``, the answer for a module that is not there.
    """
    parts = {}      # module __name__ -> {name: (what it is, advice)}
    hints = {}      # module __name__ -> {another library's name: what to use instead}

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        parent, _, name = fullname.rpartition('.')
        # the parent's own name: the same tables under an alias (mxnet.gluon.nn is minigluon.nn)
        module = getattr(_sys.modules.get(parent), '__name__', None)
        table = cls.parts.get(module, {})
        if name in table and cls._importing():
            part, advice = table[name]
            raise ModuleNotFoundError(_out_of_scope_message('No module named', fullname, part, advice))
        hint = cls.hints.get(module, {}).get(name)
        if hint is not None and cls._importing():
            # a ModuleNotFoundError (an ImportError), as the submodule import being answered
            # would raise: code catching either still does
            raise ModuleNotFoundError('cannot import name %r from %r: %s' % (name, parent, hint))
        return None

    @staticmethod
    def _importing():
        """Whether the finder was asked by an import (the import system's
        ``_find_and_load_unlocked`` a few frames up), not by ``importlib.util.find_spec``."""
        frame = _sys._getframe(2)
        for _ in range(4):
            if frame is None:
                return False
            if frame.f_code.co_name == '_find_and_load_unlocked':
                return True
            frame = frame.f_back
        return False


if _OutOfScopeImports not in _sys.meta_path:
    _sys.meta_path.append(_OutOfScopeImports)
