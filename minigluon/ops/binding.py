"""Binding a Python call to an operator: which arguments are inputs, which are attributes.

``nd.Convolution(x, w, b, kernel=(3, 3), num_filter=8)`` and ``sym.Convolution(...)`` are both
generated from the one operator class (:mod:`minigluon.ops.registry`); this module turns their
``*args, **kwargs`` into what the class needs. The terms:

* an **input** (MXNet: an *argument*, the names ``op.list_arguments()`` returns) is an array the
  operator computes on: an NDArray for ``nd``, a Symbol for ``sym``. ``is_input`` is the test
  the caller passes in (``isinstance(x, NDArray)`` or ``isinstance(x, Symbol)``);
* an **attribute** is any other value (``kernel``, ``num_filter``), parsed by its
  :class:`~minigluon.ops.attr.Attr` when the operator instance is made.

The rules are those of MXNet 1.9.1's generated functions (``python/mxnet/ndarray/register.py``
and ``symbol/register.py``): leading positional arrays fill the declared inputs in order, further
positional values fill the attributes in declaration order (``nd.transpose(x, (1, 0))``) once
every input slot of MXNet's signature is passed (``nd.softmax(x, 0)`` gives ``length`` a number,
refused: :func:`input_slots`), and a keyword names an input or an attribute. Where the inputs
depend on the attributes (``no_bias=True`` drops ``bias``; ``use_sequence_length=True`` adds
one), the positional inputs fill the inputs of those attributes, ``None`` dropped. Values past
the last attribute fill the keywords that follow the attributes in MXNet's functions (``out``,
``name``; for ``sym``, ``name``, ``attr``, ``out``): :func:`trailing_keywords`.

:func:`bind_call` does this for ``nd`` (:func:`minigluon.ndarray.dispatch.call_op`); ``sym``
splits its calls itself (:func:`minigluon.symbol.creation._split_call`: a Symbol input may be
left out and becomes a variable) and shares the error helpers below, so both say the same
thing for the same mistake. :func:`call_signature` is the signature ``help()`` shows for both.
"""
import inspect
from numbers import Number

import numpy as np

from minigluon.base import TypeAssertionError
from minigluon.ops.attr import _REQUIRED


def call_signature(cls, trailing):
    """The :class:`inspect.Signature` shown for a generated ``nd.<op>`` / ``sym.<op>`` function
    (``help()``, IDEs): the inputs (default None; ``*data`` for a variable count), then the
    attributes with their defaults (shown keyword-only, the documented way to pass them; a
    required one has no default; :func:`bind_call` also takes them positionally after the
    inputs, as MXNet does), then the keyword-only ``trailing`` names (``out``, ``name``...)
    defaulting to None. None when a name is not a valid parameter name."""
    P = inspect.Parameter
    params = []
    if cls.arguments is None:
        params.append(P('data', P.VAR_POSITIONAL))
    else:
        params += [P(a, P.POSITIONAL_OR_KEYWORD, default=None) for a in cls.arguments]
    inputs = set(cls.arguments or ())
    try:
        for key, attr in cls.attrs.items():
            if key not in inputs and not (cls.arguments is None and key == 'num_args'):
                default = P.empty if attr.default is _REQUIRED else attr.default
                params.append(P(key, P.KEYWORD_ONLY, default=default))
        params += [P(t, P.KEYWORD_ONLY, default=None) for t in trailing if t not in cls.attrs]
        return inspect.Signature(params)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------
# Errors shared by nd (bind_call) and sym (symbol/creation.py): each returns the exception, the
# caller raises it


def wrong_mode_error(cls, slot, value, is_input):
    """The error for an array of the other mode (a Symbol given to an ``nd`` function, an NDArray
    to a ``sym`` one), or None. MXNet 1.9.1 refuses both with an ``AssertionError`` ("Argument data
    must have NDArray type, but got <Symbol a>"): the usual cause is an ``mx.nd`` call left inside a
    ``hybrid_forward`` that is being hybridized (GluonCV's monodepth2 SSIM calls ``mx.nd.clip``)."""
    if value is None or is_input(value):
        return None
    from minigluon.ndarray.ndarray import NDArray
    from minigluon.symbol.symbol import Symbol
    if isinstance(value, Symbol):
        got, wanted, space = 'a Symbol', 'an NDArray', 'nd'
    elif isinstance(value, NDArray):
        got, wanted, space = 'an NDArray', 'a Symbol', 'sym'
    else:
        return None
    return TypeAssertionError("%s: input %s must be %s, got %s (an mx.%s function called on %s; "
                              "inside hybrid_forward call the F. function of that name instead)"
                              % (cls.name, slot, wanted, got, space, got))


def list_of_inputs_error(fn_name, value, is_input):
    """The TypeError for ``concat([a, b], dim=0)`` (or ``None`` when ``value`` is no such list):
    a variadic operator (``concat``, ``stack``, ``add_n``) takes its arrays as separate
    positional arguments in MXNet 1.9.1, where other libraries take one list."""
    if isinstance(value, (list, tuple)) and value and all(is_input(x) for x in value):
        return TypeError('%s takes its inputs as separate positional arguments, not one %s: '
                         'unpack it, %s(*arrays, ...)' % (fn_name, type(value).__name__, fn_name))
    return None


def variadic_positional_error(fn_name, index, value, kind):
    """The error for the value ``value`` at positional place ``index`` of a call of a variadic
    operator (``concat(a, b, 1)``), which takes only its input arrays (``kind``: ``'an NDArray'``
    or ``'a Symbol'``) positionally. MXNet 1.9.1 asserts it in both modes ("Positional arguments
    must have NDArray type"), so a ``TypeAssertionError``; taking the number as ``dim`` eagerly
    only would make a block that runs eagerly fail once hybridized."""
    return TypeAssertionError('%s: positional argument %d must be %s (an input), got %r; give '
                              'attributes by keyword (%s(..., dim=1))'
                              % (fn_name, index, kind, value, fn_name))


def input_slots(cls):
    """How many leading positional places of a call of ``cls`` (which declares its inputs)
    are input slots: MXNet 1.9.1's generated functions list every input before the attributes,
    so a value there that is no array fills the input (and is refused), not the first attribute
    (``nd.softmax(x, 0)``: ``length=0``). :attr:`Op.positional_inputs`, or all the inputs."""
    slots = cls.positional_inputs
    return len(cls.arguments) if slots is None else slots


def not_an_array_error(cls, slot, value, kind='an array of this framework (e.g. nd.array(...))',
                       positional=False):
    """The TypeError for ``value``, no array, given where the input ``slot`` goes.
    ``positional``: given positionally in an input slot before the attributes (``nd.softmax(x,
    0)``), where a number, text or tuple was probably meant as an attribute: the message says to
    name it, and the error is a TypeAssertionError, as MXNet 1.9.1 asserts ("Argument length
    must have NDArray type")."""
    hint = ''
    if positional and isinstance(value, (Number, str, tuple)) and cls.attrs:
        hint = ('; every input (%s) comes before the attributes: give attributes by keyword, '
                'e.g. %s=%r' % (', '.join(cls.arguments), next(iter(cls.attrs)), value))
    return (TypeAssertionError if positional else TypeError)(
        "%s: input '%s' must be %s, got %s%s" % (cls.name, slot, kind, type(value).__name__, hint))


def positional_attribute_names(cls, variadic):
    """The attributes that positional values fill, in declaration order: all of them (but a
    variadic operator's ``num_args``, which counts the inputs). MXNet 1.9.1's generated
    functions are Python functions with the attributes as parameters in this order, so the
    first value is the first attribute whether or not a later keyword names another one, and a
    keyword naming a filled one is an error (:func:`attribute_given_twice_error`)."""
    return [k for k in cls.attrs if not (variadic and k == 'num_args')]


def attribute_given_twice_error(fn_name, key, positional, keyword):
    """The TypeError for an attribute given both positionally and by keyword: Python's "got
    multiple values for argument", which MXNet 1.9.1's generated functions raise
    (``nd.clip(x, 0, a_min=1)``: the 0 is ``a_min``)."""
    return TypeError('%s: attribute %r given twice, positionally (%r) and by keyword (%r)'
                     % (fn_name, key, positional, keyword))


def too_many_positional_error(cls, fn_name, free_attrs, args):
    """The TypeError for more positional values than there are attributes left to fill
    (``free_attrs``, in declaration order: :func:`positional_attribute_names`); for
    ``x.transpose(1, 0)`` it says that the integers
    form one tuple."""
    return TypeError('%s: too many positional arguments (%d extra: %r)%s'
                     % (fn_name, len(args) - len(free_attrs), args[len(free_attrs):],
                        _tuple_attribute_hint(cls, fn_name, free_attrs, args)))


def _tuple_attribute_hint(cls, fn_name, free_attrs, args):
    """For ``x.transpose(1, 0)``: when the first attribute left to fill positionally is a tuple
    (``axes``, ``reps``) and the extra positional arguments are all integers, say that they
    form one tuple (``''`` otherwise)."""
    if free_attrs and cls.attrs[free_attrs[0]].kind == 'shape' and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return '; %s is one tuple: %s(..., %r)' % (free_attrs[0], fn_name, tuple(args))
    return ''


def too_many_inputs_error(cls, fn_name, n_given, order, attrs):
    """The TypeError for ``n_given`` positional inputs where the attributes ``attrs`` select
    fewer inputs (``order``), naming the flags that would take more (``softmax(x, length)``
    without ``use_length=True``)."""
    return TypeError('%s: %d positional inputs given, but with these attributes it takes %s%s'
                     % (fn_name, n_given, order, _input_flags_hint(cls, attrs, len(order))))


def _input_flags_hint(cls, attrs, n_inputs):
    """Name the flags that would make ``cls`` take more than ``n_inputs`` inputs (``''`` when
    there are none)."""
    flags = []
    for key in cls.attrs:
        if attrs.get(key, False) is not False:
            continue
        try:
            more = len(cls(**dict(attrs, **{key: True})).list_arguments()) > n_inputs
        except Exception:         # not a flag, or True is no valid value for it
            more = False
        if more:
            flags.append('%s=True' % key)
    return ('; the further inputs are taken only with %s' % ' or '.join(flags)) if flags else ''


def input_given_twice_error(fn_name, key):
    """The TypeError for an input given both positionally and by name."""
    return TypeError('%s: input %r given twice' % (fn_name, key))


def unused_inputs_error(fn_name, unused, op):
    """The TypeError for inputs given by name that the instance ``op``'s attributes do not take
    (``bias=b`` with ``no_bias=True``)."""
    return TypeError('%s: input(s) %s given but not used with these attributes (inputs: %s)'
                     % (fn_name, unused, op.list_arguments()))


def leading_inputs(cls, args, is_input):
    """How many of the positional ``args`` of a call of ``cls`` (not variadic) are its leading
    inputs: values ``is_input`` accepts, or None (an input left out), at most one per declared
    input; the attributes' values follow them."""
    n = 0
    while n < len(args) and n < len(cls.arguments) and (args[n] is None or is_input(args[n])):
        n += 1
    return n


def trailing_keywords(cls, fn_name, args, kwargs, is_input, trailing):
    """Take the keyword parameters that follow the attributes positionally off ``args``.

    MXNet 1.9.1's generated functions are ``nd.<op>(inputs..., attributes..., out=None,
    name=None)`` and ``sym.<op>(inputs..., attributes..., name=None, attr=None, out=None)``, so
    a value past the last attribute fills the first of those, the next one the second
    (``x.sum(1, False, False, o)``; ``nd.relu(x, y)`` writes into ``y``; ``sym.sum(s, 1, False,
    False, 'nm')`` names the node). ``trailing`` lists them as ``(keyword, accepts)`` pairs,
    ``accepts(value)`` true for a value that keyword takes. A variadic operator's call is
    returned unchanged: MXNet's functions for them take ``(*data, **kwargs)``.

    Returns ``args`` without those values and ``kwargs`` with them added; both unchanged when
    there is no such value, or one that its keyword does not take (the binding then reports
    too many positional arguments).

    Raises TypeError when one of them is also given by keyword, as Python does for MXNet's
    functions ("got multiple values for argument 'out'")."""
    # (a cheap test first, as most calls have no such value: are there more values than one
    # input, when the operator has any, and every attribute?)
    if cls.arguments is None or len(args) <= bool(cls.arguments) + len(cls.attrs):
        return args, kwargs
    first = leading_inputs(cls, args, is_input) + len(positional_attribute_names(cls, False))
    rest = args[first:]
    if not rest or len(rest) > len(trailing) or not all(
            accepts(value) for (_, accepts), value in zip(trailing, rest)):
        return args, kwargs
    kwargs = dict(kwargs)
    for (key, _), value in zip(trailing, rest):
        if kwargs.get(key) is not None:
            raise TypeError("%s() got multiple values for argument '%s'" % (fn_name, key))
        kwargs[key] = value
    return args[:first], kwargs


# ---------------------------------------------------------------------------------------------------
# nd: bind_call


def bind_call(cls, args, kwargs, is_input):
    """Split a Python call ``op(*args, **kwargs)`` into an operator instance and its inputs.

    Parameters
    ----------
    cls : type
        The operator class (a subclass of :class:`~minigluon.ops.registry.Op`).
    args, kwargs : tuple, dict
        The call's arguments, without ``out=`` / ``name=`` (taken off by the caller).
    is_input : callable
        True for a value that is an input array (an NDArray).

    Returns
    -------
    (Op, list)
        The instance ``cls(**attributes)`` and its inputs ordered as ``op.list_arguments()``.

    Leading positional arguments that are inputs (``is_input``) or ``None`` fill the declared
    ``arguments`` in order; the remaining positional arguments are attributes in declaration order
    (MXNet's generated functions accept ``nd.transpose(x, (1, 0))``). Keyword arguments are inputs if
    they name an input, else attributes. The steps are numbered below; everything that is not
    raising an error runs on each call of ``call_op`` (the cached fast path of
    ``ndarray._make_function`` skips this function), so the error messages are built by the
    helpers above only once a check has failed.

    Raises
    ------
    TypeError
        For inputs that are missing, given twice, not arrays, of the other mode (a Symbol), in
        one list for a variadic operator, or not used with these attributes, and for too many
        positional values. ``ValueError`` from the attributes' parsing (:class:`Attr`).
    """
    declared = cls.arguments
    args = list(args)
    # 1. the leading positional inputs, and keyword arguments sorted into inputs and attributes
    pos_inputs = []
    limit = len(args) if declared is None else len(declared)
    while args and len(pos_inputs) < limit and (args[0] is None or is_input(args[0])):
        pos_inputs.append(args.pop(0))
    if args and not isinstance(args[0], (Number, str, tuple, list)):   # (attributes: skip the check)
        slot = ("'%s'" % declared[len(pos_inputs)] if declared and len(pos_inputs) < len(declared)
                else '%d' % len(pos_inputs))
        wrong = wrong_mode_error(cls, slot, args[0], is_input)
        if wrong is not None:
            raise wrong
    attrs = {}
    named = {}
    for key, value in kwargs.items():
        if declared is not None and key in declared and key not in cls.attrs:
            named[key] = value
        else:
            attrs[key] = value
    # 2. a number or list where an input is expected (nd.relu([1, 2]), nd.broadcast_mul(x, 0.5),
    # nd.dot(x, 2)) is taken as an attribute below and fails further on; name the input instead.
    slot = declared[len(pos_inputs)] if declared and len(pos_inputs) < len(declared) else None
    if slot in named or not (args and isinstance(args[0], (Number, list, np.ndarray))):
        slot = None
    not_an_array = not_an_array_error(cls, slot, args[0]) if slot else None
    if not_an_array and not pos_inputs and isinstance(args[0], (list, np.ndarray)):
        raise not_an_array
    if args and pos_inputs and declared is not None and len(pos_inputs) < input_slots(cls):
        # a later input slot in MXNet's signature (nd.softmax(x, 0): length=0), not an attribute
        # (a number first is the data: not_an_array below)
        raise not_an_array_error(cls, declared[len(pos_inputs)], args[0], positional=True)
    # 3. the remaining positional arguments are attributes, in declaration order
    if declared is None and args:
        raise (list_of_inputs_error(cls.name, args[0], is_input)
               or variadic_positional_error(cls.name, len(pos_inputs), args[0], 'an NDArray'))
    if args and declared is not None and is_input(args[0]):
        raise _surplus_arrays_error(cls, pos_inputs, args, is_input)
    order = positional_attribute_names(cls, declared is None)
    if len(args) > len(order):
        raise not_an_array or too_many_positional_error(cls, cls.name, order, args)
    for key, value in zip(order, args):
        if key in attrs:       # (a number where an input belongs is the likelier mistake)
            raise not_an_array or attribute_given_twice_error(cls.name, key, value, attrs[key])
        attrs[key] = value
    # 4. the operator: variadic ones take the positional inputs as they are
    if declared is None:
        if any(x is None for x in pos_inputs):
            # MXNet 1.9.1 refuses it too; dropping the None would concatenate (add, stack...) the
            # other inputs without a word
            raise TypeError('%s: input %d is None; each input must be an array'
                            % (cls.name, [x is None for x in pos_inputs].index(True)))
        if 'num_args' in cls.attrs:
            attrs.setdefault('num_args', len(pos_inputs))
        op = cls(**attrs)
        return op, pos_inputs
    try:
        op = cls(**attrs)
    except (TypeError, ValueError):
        if not_an_array:     # nd.slice(1.5, begin=..., end=...): the number is no attribute
            raise not_an_array from None
        raise
    # 5. the inputs in op.list_arguments() order (which may depend on the attributes)
    order = op.list_arguments()
    if order != list(declared):
        # As MXNet's generated functions: drop None inputs and fill the inputs these attributes
        # take, in order (``RNN(x, p, h, seq_len, mode='gru', use_sequence_length=True)``).
        pos_inputs = [x for x in pos_inputs if x is not None]
        if len(pos_inputs) > len(order):
            raise too_many_inputs_error(cls, cls.name, len(pos_inputs), order, attrs)
    by_name = dict(zip(order if order != list(declared) else declared, pos_inputs))
    for key, value in named.items():
        if key in by_name and by_name[key] is not None:
            raise input_given_twice_error(cls.name, key)
        by_name[key] = value
    inputs = []
    for key in order:
        value = by_name.pop(key, None)
        if value is None or not is_input(value):
            raise (not_an_array if value is None and not_an_array and key == slot
                   else _bad_input_error(cls, op, key, value, is_input))
        inputs.append(value)
    extra = [k for k, v in by_name.items() if v is not None]
    if extra:
        raise unused_inputs_error(cls.name, extra, op)
    return op, inputs


def _surplus_arrays_error(cls, pos_inputs, args, is_input):
    """The TypeError for more arrays than the operator has inputs (``args[0]`` is the first
    array beyond them): it counts them, where "extra attribute <array repr>" would mislead."""
    extra = 1
    while extra < len(args) and (args[extra] is None or is_input(args[extra])):
        extra += 1
    return TypeError('%s: takes %d input(s) %s, got %d arrays'
                     % (cls.name, len(cls.arguments), list(cls.arguments), len(pos_inputs) + extra))


def _bad_input_error(cls, op, key, value, is_input):
    """The TypeError for the input ``key`` of ``op``: missing (``value`` None), an array of the
    other mode (:func:`wrong_mode_error`), or not an array at all."""
    if value is None:
        return TypeError('%s: input %r is missing (inputs for these attributes: %s)'
                         % (cls.name, key, op.list_arguments()))
    return wrong_mode_error(cls, repr(key), value, is_input) or TypeError(
        '%s: input %r must be an array, got %s' % (cls.name, key, type(value).__name__))
