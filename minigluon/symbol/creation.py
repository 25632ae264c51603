"""Creating symbols: ``var``, ``Group`` and the operator functions ``minigluon.symbol.<op>``.

An operator function splits its call into inputs (Symbols, positionally in the operator's input
order or by input name), attributes (the rest, positionally in declaration order or by keyword)
and hidden attributes (``ctx_group``, ``__key__``), validates the attributes by building the
operator instance, names the node through the current :class:`~minigluon.name.NameManager`, and
creates ``<node name>_<input name>`` variables for the inputs not given, as MXNet 1.9.1 does.
"""
import numpy as np

from minigluon.attribute import AttrScope
from minigluon.base import MXNetError, raises_mxnet_errors
from minigluon.name import NameManager
from minigluon.ops.attr import is_hidden_attribute
from minigluon.ops.binding import (attribute_given_twice_error, call_signature,
                                   input_given_twice_error, input_slots, list_of_inputs_error,
                                   not_an_array_error, positional_attribute_names,
                                   too_many_inputs_error, too_many_positional_error, trailing_keywords,
                                   unused_inputs_error, variadic_positional_error,
                                   wrong_mode_error)
from minigluon.symbol.op_names import (DTYPE_TO_FLAG, HIDDEN_KEYS, accepts_any_attr, INPUT_VAR_INIT, STYPE_TO_FLAG,
                                       json_op_name)
from minigluon.symbol.symbol import (Symbol, _hidden_key, _Node, new_op_node, resolve_op,
                                     update_versions)

__all__ = ['var', 'Variable', 'Group', 'make_function']


def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None, stype=None,
        **kwargs):
    """A variable: a named graph input (data or parameter), ``mx.sym.var`` in MXNet 1.9.1.

    Parameters
    ----------
    name : str
    attr : dict of str to str, optional
        Extra attributes (merged over the current :class:`~minigluon.attribute.AttrScope`).
    shape : tuple of int, optional
        Stored as ``__shape__`` (``0`` marks an unknown dimension).
    lr_mult, wd_mult : float, optional
        Stored as ``__lr_mult__`` / ``__wd_mult__``.
    dtype : str or numpy dtype, optional
        Stored as ``__dtype__``, MXNet's type flag (``'0'`` for float32).
    init : str or Initializer, optional
        Stored as ``__init__`` (an initializer's ``dumps()``).
    stype : {'default', 'row_sparse', 'csr'}, optional
        Stored as ``__storage_type__``.
    **kwargs : str
        Further attributes, whose names must look like ``__name__``.

    Returns
    -------
    Symbol

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        For an unsupported dtype, storage type or attribute name.
    """
    if not isinstance(name, str):
        raise TypeError('var: name must be a str, got %s' % type(name).__name__)
    attrs = dict(AttrScope.current.get(attr))
    if shape is not None:
        # NumPy integers as Python ints: "(2, 3)", not NumPy 2's "(np.int64(2), np.int64(3))"
        # (a list stays a list: MXNet writes "[4, 0, 3, 3]" for one)
        attrs['__shape__'] = str(type(shape)(int(d) if isinstance(d, np.integer) else d for d in shape)
                                 if isinstance(shape, (tuple, list)) else shape)
    if lr_mult is not None:
        attrs['__lr_mult__'] = str(lr_mult)
    if wd_mult is not None:
        attrs['__wd_mult__'] = str(wd_mult)
    if dtype is not None:
        try:
            attrs['__dtype__'] = str(DTYPE_TO_FLAG[np.dtype(dtype)])
        except (KeyError, TypeError):
            raise ValueError('var %r: unsupported dtype %r; expected one of %s' % (
                name, dtype, sorted(d.name for d in DTYPE_TO_FLAG))) from None
    if init is not None:
        attrs['__init__'] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        if stype not in STYPE_TO_FLAG:
            raise ValueError("var %r: stype must be one of %s, got %r"
                             % (name, sorted(STYPE_TO_FLAG), stype))
        attrs['__storage_type__'] = str(STYPE_TO_FLAG[stype])
    for key, value in kwargs.items():
        if not (key.startswith('__') and key.endswith('__')):
            raise ValueError('var %r: attribute name %r is not supported; additional attributes '
                             'must look like __name__' % (name, key))
        attrs[key] = str(value)
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise ValueError('var %r: attribute %r must be a string, got %r' % (name, key, value))
    node = _Node(name, {_hidden_key(k): v for k, v in attrs.items()})
    return Symbol([(node, 0)])


Variable = var


def Group(symbols):
    """One symbol whose outputs are the outputs of ``symbols`` in order.

    Raises
    ------
    TypeError
        If ``symbols`` is empty or holds something other than Symbols.
    """
    symbols = list(symbols)
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError('Group: expected a non-empty list of Symbols, got %r' % (symbols,))
    return Symbol([o for s in symbols for o in s._outputs])


def _is_symbol(value):
    return isinstance(value, Symbol)


def _split_call(cls, fn_name, args, kwargs):
    """Separate the call ``sym.<fn_name>(*args, **kwargs)`` of the operator class ``cls``.

    Returns ``(pos, named, attrs, extra)``: the leading positional input Symbols (``None`` for
    an input left out), the input Symbols given by keyword, the operator attributes (the
    remaining positional values in declaration order, and the other keywords) and the hidden
    attributes (``ctx_group``, ``__key__``: text the node carries, no operator attribute).
    The rules and errors are those of :func:`minigluon.ops.binding.bind_call`.
    """
    declared = cls.arguments
    args = list(args)
    if declared is None:
        _check_variadic_positionals(cls, fn_name, args)
    pos = []
    limit = len(args) if declared is None else len(declared)
    while args and len(pos) < limit and (args[0] is None or isinstance(args[0], Symbol)):
        pos.append(args.pop(0))
    if args and declared is not None and len(pos) < len(declared):
        # an NDArray where an input goes (MXNet 1.9.1 asserts "Argument data must be Symbol
        # instances"), not "too many positional arguments"
        wrong = wrong_mode_error(cls, repr(declared[len(pos)]), args[0], _is_symbol)
        if wrong is not None:
            raise wrong
        if pos and len(pos) < input_slots(cls):   # sym.softmax(s, 0): length=0, MXNet asserts
            raise not_an_array_error(cls, declared[len(pos)], args[0], 'a Symbol', positional=True)
    named, attrs, extra = {}, {}, {}
    for key, value in kwargs.items():
        if isinstance(value, Symbol):
            if declared is None or key not in declared:
                raise TypeError('%s: %r is not an input of this operator (inputs: %s)'
                                % (fn_name, key, declared or 'positional only'))
            named[key] = value
        elif key in HIDDEN_KEYS or is_hidden_attribute(key):
            extra[_hidden_key(key)] = str(value)
        elif declared is not None and key in declared and key not in cls.attrs:
            wrong = wrong_mode_error(cls, repr(key), value, _is_symbol)
            if wrong is not None:
                raise wrong
            if value is not None:
                raise TypeError('%s: input %r must be a Symbol, got %s'
                                % (fn_name, key, type(value).__name__))
        else:
            attrs[key] = value
    order = positional_attribute_names(cls, declared is None)
    if len(args) > len(order):
        raise too_many_positional_error(cls, fn_name, order, args)
    for key, value in zip(order, args):
        if key in attrs:
            raise attribute_given_twice_error(fn_name, key, value, attrs[key])
        attrs[key] = value
    return pos, named, attrs, extra


def _check_variadic_positionals(cls, fn_name, args):
    """A variadic operator (Concat, add_n) takes only its inputs positionally, as MXNet 1.9.1
    (which asserts "Positional arguments must be Symbol instances"): raise a TypeError naming
    the first positional argument that is no Symbol."""
    for i, value in enumerate(args):
        wrong = wrong_mode_error(cls, '%d' % i, value, _is_symbol)
        if wrong is not None:
            raise wrong
        if not isinstance(value, Symbol):
            unpack = list_of_inputs_error(fn_name, value, _is_symbol)
            if unpack:
                raise unpack
            raise variadic_positional_error(fn_name, i, value, 'a Symbol')


def _create(fn_name, args, kwargs, hint=None, cls=None):
    """Build the operator node for ``minigluon.symbol.<fn_name>(*args, **kwargs)``; automatic
    node names start with ``hint`` (default: ``fn_name`` in lower case). ``cls``: the operator
    class, when not the one registered as ``fn_name``.

    This is what each ``F.<op>(...)`` call of a traced ``hybrid_forward`` runs. The steps:
    split the call (:func:`_split_call`); take the node's name; check the attributes from
    ``attr=`` / :class:`~minigluon.attribute.AttrScope` (:func:`_check_scope_attrs`); build the
    operator instance, which validates its attributes; put the input Symbols in the operator's
    input order (:func:`_inputs_in_order`); make the node (:func:`new_op_node`) and its input
    entries, with a variable for each input not given (:func:`_input_entries`). Returns a
    Symbol of the node's visible outputs.
    """
    cls = cls or resolve_op(fn_name)
    if cls is None:
        raise MXNetError('unknown operator %r' % fn_name)
    args, kwargs = trailing_keywords(cls, fn_name, args, kwargs, _is_symbol, _SYM_TRAILING)
    kwargs = dict(kwargs)
    if 'out' in kwargs and kwargs['out'] is None:
        # MXNet's generated Symbol functions take (and ignore) out=None, so F.relu(x, out=None)
        # in a hybrid_forward works hybridized as it does eagerly; an out= Symbol stays an error
        del kwargs['out']
    name = kwargs.pop('name', None)
    scope_attrs = AttrScope.current.get(kwargs.pop('attr', None))
    pos, named, attrs, extra = _split_call(cls, fn_name, args, kwargs)
    # As MXNet 1.9.1, the automatic name is taken before the attributes are checked: a call
    # that they fail still uses up its number (the next node is reshape1, not reshape0).
    name = NameManager.current.get(name, (hint or fn_name).lower())
    _check_scope_attrs(cls, fn_name, scope_attrs)
    extra = dict({_hidden_key(k): v for k, v in scope_attrs.items()}, **extra)
    if cls.arguments is None and 'num_args' in cls.attrs:
        attrs.setdefault('num_args', len(pos))
    if attrs and not cls.attrs and cls.name != 'Custom':
        # an operator without parameters ignores keyword attributes (Op.__init__); MXNet 1.9.1
        # keeps them on the node as text (sym.broadcast_mul(a, b, axis=-1) writes axis '-1')
        extra = dict(extra, **{key: str(value) for key, value in attrs.items()})
    op = cls(**attrs)
    inputs = _inputs_in_order(cls, op, fn_name, pos, named, attrs)
    node = new_op_node(op, json_op_name(fn_name, cls), name, extra, [])
    node.inputs = _input_entries(node, inputs, fn_name)
    update_versions(node)
    return Symbol([(node, i) for i in range(node.num_visible)])


# the keyword parameters of MXNet's sym functions after the attributes, which may be given
# positionally (sym.sum(s, 1, False, False, 'nm')): ops.binding.trailing_keywords
_SYM_TRAILING = (('name', lambda value: value is None or isinstance(value, str)),
                 ('attr', lambda value: value is None or isinstance(value, dict)),
                 ('out', lambda value: value is None))


def _check_scope_attrs(cls, fn_name, scope_attrs):
    """Refuse an attribute from ``attr=`` or the AttrScope that an operator node cannot carry.

    An operator with parameters keeps only hidden attributes: MXNet rejects any other key at
    creation ("Cannot find argument"), and a file holding one would not load again. Operators
    without parameters and the regression outputs keep any key (op_names.accepts_any_attr).
    """
    for key in scope_attrs:
        if not accepts_any_attr(cls) and key not in HIDDEN_KEYS and not is_hidden_attribute(key):
            raise ValueError('%s: attribute %r from attr=/AttrScope is not an argument of this operator; '
                             'only hidden attributes (%s, or __name__ keys) can be attached to operator '
                             'nodes' % (fn_name, key, ', '.join(HIDDEN_KEYS)))


def _inputs_in_order(cls, op, fn_name, pos, named, attrs):
    """The input Symbols of the call, one per ``op.list_arguments()`` (None where not given),
    from the positional inputs ``pos`` and the inputs given by name ``named`` (``attrs``, the
    call's attributes, name the flags that would take more inputs in the error).

    Raises
    ------
    TypeError
        When an input is given twice, too many are given, or one is given that these attributes
        do not use.
    """
    given = {}
    if cls.arguments is not None:
        order = op.list_arguments()
        if order != list(cls.arguments):
            # As MXNet's generated functions: positional inputs fill the inputs these attributes
            # select, None dropped (``RNN(x, p, h, seq_len, use_sequence_length=True)``).
            pos = [p for p in pos if p is not None]
            if len(pos) > len(order):
                raise too_many_inputs_error(cls, fn_name, len(pos), order, attrs)
        else:
            order = list(cls.arguments)
        given = dict(zip(order, pos))
    for key, value in named.items():
        if given.get(key) is not None:
            raise input_given_twice_error(fn_name, key)
        given[key] = value
    if cls.arguments is None:
        # Inputs these attributes call for but the call leaves out become variables named
        # ``<node>_<input>``, as for fixed-input operators (MXNet: UpSampling's bilinear weight).
        inputs = pos + [None] * (len(op.list_arguments()) - len(pos))
    else:
        inputs = [given.pop(a, None) for a in op.list_arguments()]
    leftover = [k for k, v in given.items() if v is not None]
    if leftover:
        raise unused_inputs_error(fn_name, leftover, op)
    return inputs


def _input_entries(node, inputs, fn_name):
    """The input entries ``(source node, output index, version 0)`` of the operator ``node``
    for ``inputs`` (one Symbol or None per input): an input not given becomes a new variable
    ``<node name>_<input name>`` carrying the node's attributes (``fc1_weight``), and a
    variable the operator gives an initialiser (BatchNorm's statistics) gets it as ``__init__``
    unless it has one."""
    init_attrs = INPUT_VAR_INIT.get(node.op, {})
    entries = []
    for i, (arg, value) in enumerate(zip(node.arg_names, inputs)):
        if value is None:
            value = Symbol([(_Node('%s_%s' % (node.name, arg), node.attrs), 0)])
        elif len(value._outputs) != 1:
            raise TypeError('%s: input %r is a group of %d outputs; pass a single output'
                            % (fn_name, arg, len(value._outputs)))
        src, idx = value._outputs[0]
        if i in init_attrs and src.is_variable and '__init__' not in src.attrs:
            src.attrs['__init__'] = init_attrs[i]
        entries.append((src, idx, 0))
    return entries


def make_function(fn_name, hint=None):
    """The ``minigluon.symbol.<fn_name>`` function for a registered operator name or alias.

    ``hint`` is the function's public name when it differs from ``fn_name`` (``sym.contrib.ctc_loss``
    calls ``_contrib_ctc_loss`` and, as in MXNet, names its nodes ``ctc_loss0``, ``ctc_loss1``...).
    """
    @raises_mxnet_errors      # a bad argument is an MXNetError too, as in MXNet
    def fn(*args, **kwargs):
        return _create(fn_name, args, kwargs, hint)
    fn.__name__ = hint or fn_name
    cls = resolve_op(fn_name)
    fn.__doc__ = cls.__doc__ if cls is not None else None
    if cls is not None:
        fn.__signature__ = call_signature(cls, ('name', 'attr'))
    return fn


@raises_mxnet_errors
def Custom(*data, **kwargs):
    """A node running a Python operator registered with :func:`minigluon.operator.register`:
    ``sym.Custom(x, op_type='name', **attrs)``; inputs also by name, and a variable
    ``<name>_<input>`` for each input not given (as MXNet creates). See :mod:`minigluon.operator`."""
    from minigluon.ops.custom import bound_class
    cls = bound_class(kwargs, lambda v: isinstance(v, Symbol))
    return _create('Custom', data, kwargs, 'custom', cls)
