"""``mx.registry``: name -> class tables for one base class each, as MXNet 1.9.1's module.

A library registers subclasses of its own base class under lower-case names and builds them back
from a name (or a JSON config); GluonNLP 0.10 keeps its token embeddings, subword functions and
evaluation functions this way. One table per base class, shared by every function below.

    register = get_register_func(Base, 'thing')   # @register on a subclass of Base
    alias = get_alias_func(Base, 'thing')         # @alias('a', 'b') registers under both names
    create = get_create_func(Base, 'thing')       # create('sub', *args, **kwargs) -> Sub(...)
"""
import json
import warnings

from minigluon.base import TypeAssertionError, ValueAssertionError

_REGISTRY = {}


def _table(base_class):
    """The (mutable) name -> class dict of ``base_class``, made empty on first use."""
    return _REGISTRY.setdefault(base_class, {})


def get_registry(base_class):
    """A copy of the name -> class dict registered for ``base_class`` (empty when none)."""
    return dict(_table(base_class))


def get_register_func(base_class, nickname):
    """A function ``register(klass, name=None)`` that records subclass ``klass`` of
    ``base_class`` under ``name.lower()`` (default: the class name) and returns ``klass`` (so it
    works as a decorator). Registering a taken name warns (UserWarning) and replaces it, as MXNet.

    Raises TypeAssertionError (MXNet's AssertionError) when ``klass`` is not a subclass."""
    table = _table(base_class)

    def register(klass, name=None):
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise TypeAssertionError('register: can only register a subclass of %s, got %r'
                                     % (base_class.__name__, klass))
        name = (klass.__name__ if name is None else name).lower()
        if name in table:
            warnings.warn('%s %s.%s registered as %r replaces %s.%s' % (
                nickname, klass.__module__, klass.__name__, name,
                table[name].__module__, table[name].__name__), UserWarning, stacklevel=2)
        table[name] = klass
        return klass

    register.__doc__ = 'Register a %s class (a subclass of %s).' % (nickname, base_class.__name__)
    return register


def get_alias_func(base_class, nickname):
    """A decorator factory ``alias(*names)``: ``@alias('a', 'b')`` registers the class under each
    name with :func:`get_register_func`'s rules."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases):
        def reg(klass):
            for name in aliases:
                register(klass, name)
            return klass
        return reg
    return alias


def get_create_func(base_class, nickname):
    """A function ``create(spec, *args, **kwargs)`` (or ``create(**{nickname: spec, ...})``) that
    builds an instance from ``spec``, as MXNet 1.9.1:

    * an instance of ``base_class``: returned as is (no further arguments allowed);
    * a dict: its items are the keyword arguments (the name under the key ``nickname``);
    * a str starting with '[': JSON ``[name, kwargs]``; with '{': JSON of the keyword arguments;
    * any other str: a registered name (case-insensitive), called with ``*args, **kwargs``.

    Raises ValueAssertionError for an unknown name or extra arguments, TypeAssertionError when
    ``spec`` is of another type (both MXNet's AssertionError), KeyError (as MXNet) when neither a
    positional spec nor the keyword ``nickname`` is given."""
    table = _table(base_class)

    def create(*args, **kwargs):
        if args:
            spec, args = args[0], args[1:]
        else:
            spec = kwargs.pop(nickname)
        if isinstance(spec, base_class):
            if args or kwargs:
                raise ValueAssertionError('create: %s is already an instance; extra arguments '
                                          'are not allowed' % nickname)
            return spec
        if isinstance(spec, dict):
            return create(**spec)
        if not isinstance(spec, str):
            raise TypeAssertionError('create: %s must be a str, a dict or a %s, got %s'
                                     % (nickname, base_class.__name__, type(spec).__name__))
        if spec.startswith('[') or spec.startswith('{'):
            if args or kwargs:
                raise ValueAssertionError('create: a JSON %s takes no further arguments' % nickname)
            config = json.loads(spec)
            return create(config[0], **config[1]) if spec.startswith('[') else create(**config)
        name = spec.lower()
        if name not in table:
            raise ValueAssertionError('create: %s %r is not registered (known: %s)'
                                      % (nickname, name, ', '.join(sorted(table)) or 'none'))
        return table[name](*args, **kwargs)

    create.__doc__ = 'Create a %s instance from a name, dict, JSON string or instance.' % nickname
    return create
