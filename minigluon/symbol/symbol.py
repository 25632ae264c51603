"""``Symbol``: an immutable graph of operator nodes, MXNet 1.9.1's ``mx.sym`` in legacy mode.

A graph is made of :class:`_Node` objects. A variable node has ``op=None``; an operator node holds
the operator class from the registry, the attribute strings MXNet writes to ``-symbol.json``, the
parsed attribute state (what :meth:`Op._fast` needs to rebuild an instance cheaply) and its inputs as
``(node, output_index, version)`` entries. A :class:`Symbol` is a list of output entries
``(node, index)``; it never changes after creation (only the string attributes can be set, as in
MXNet). Graph walks are iterative (post-order DFS with an explicit stack, nnvm's order), so deep
graphs never hit Python's recursion limit.

Node naming follows MXNet: ``name=`` if given, else the current :class:`~minigluon.name.NameManager`
gives ``<function name lower-cased><counter>`` (``fullyconnected0``, ``_plus0``, ``_mulscalar0``);
inputs not given become variables ``<node name>_<input name>`` (``fc1_weight``).
"""
import numpy as np

from minigluon.attribute import AttrScope
from minigluon.base import MXNetError
from minigluon.name import NameManager
from minigluon.ops.registry import OPS, Op
from minigluon.symbol.op_names import (DTYPE_TO_FLAG, HIDDEN_KEYS, INPUT_VAR_INIT, MX_ALIASES,
                                       OUTPUT_NAMES, STYPE_TO_FLAG, json_op_name)

__all__ = ['Symbol', 'var', 'Variable', 'Group', 'resolve_op']


class _Node:
    """One graph node (variable when ``op`` is None). Internal: build graphs through :class:`Symbol`."""

    __slots__ = ('op', 'cls', 'name', 'attrs', 'inputs', 'state', 'arg_names', 'out_names',
                 'num_outputs', 'num_visible', 'mutate', 'version', '__weakref__')

    def __init__(self, name, attrs=None):
        self.op = None
        self.cls = None
        self.name = name
        self.attrs = dict(attrs or {})
        self.inputs = []
        self.state = None
        self.arg_names = []
        self.out_names = ['output']
        self.num_outputs = 1
        self.num_visible = 1
        self.mutate = ()
        self.version = 0          # a variable's mutation counter (nnvm's VariableParam.version)

    @property
    def is_variable(self):
        return self.op is None

    def make_op(self):
        """A fresh operator instance with this node's attributes (no validation: the hot path)."""
        return self.cls._fast(self.state, self.state['given'])

    def clone(self, inputs):
        new = _Node(self.name, self.attrs)
        for slot in ('op', 'cls', 'state', 'arg_names', 'out_names', 'num_outputs',
                     'num_visible', 'mutate', 'version'):
            setattr(new, slot, getattr(self, slot))
        new.inputs = inputs
        return new


def resolve_op(name):
    """The operator class for a function or JSON name (registered name, alias or MXNet alias)."""
    cls = OPS.get(name)
    if cls is None and name in MX_ALIASES:
        cls = OPS.get(MX_ALIASES[name])
    return cls


def new_op_node(op, op_name, name, extra_attrs, inputs):
    """Make an operator node from a validated operator instance and its input entries."""
    node = _Node(name)
    node.op = op_name
    node.cls = type(op)
    node.attrs = op.attrs_to_strings()
    node.attrs.update(extra_attrs)
    node.state = dict(op.__dict__)
    node.arg_names = list(op.list_arguments())
    node.out_names = list(op.list_outputs())
    if type(op).list_outputs is Op.list_outputs and node.cls.name in OUTPUT_NAMES:
        node.out_names = list(OUTPUT_NAMES[node.cls.name][:op.num_outputs])
    node.num_outputs = int(op.num_outputs)
    node.num_visible = int(op.n_visible)
    node.mutate = tuple(getattr(op, 'mutate_inputs', ()) or ())
    node.inputs = list(inputs)
    return node


def update_versions(node):
    """Stamp input entries with their variables' versions; bump mutated variables (nnvm rule)."""
    entries = []
    for i, (src, idx, _) in enumerate(node.inputs):
        version = 0
        if src.is_variable:
            if i in node.mutate:
                src.version += 1
            version = src.version
        elif i in node.mutate:
            raise MXNetError("%s '%s': input %d (%s) is written by the operator, so it must be a "
                             "variable, not the output of '%s'"
                             % (node.op, node.name, i, node.arg_names[i], src.name))
        entries.append((src, idx, version))
    node.inputs = entries


def topo_order(heads):
    """Nodes reachable from ``heads`` (``(node, index)`` pairs) in post-order DFS, inputs in order."""
    order, seen = [], set()
    for head, _ in heads:
        if id(head) in seen:
            continue
        seen.add(id(head))
        stack = [(head, 0)]
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def _hidden_key(key):
    return '__%s__' % key if key in HIDDEN_KEYS else key


class Symbol:
    """A symbolic graph output (or a group of outputs); see the module docstring.

    Create symbols with :func:`var`, the operator functions ``minigluon.symbol.<op>``, Python
    arithmetic on symbols, :func:`Group` or :func:`~minigluon.symbol.load`.
    """

    __slots__ = ('_outputs', '_topo', '__weakref__')

    def __init__(self, outputs):
        self._outputs = list(outputs)
        self._topo = None

    # -- graph walks ---------------------------------------------------------------------------------
    def _nodes(self):
        if self._topo is None:
            self._topo = topo_order(self._outputs)
        return self._topo

    def _input_roles(self):
        """Variable nodes in DFS order, each with True when some operator mutates it (aux state)."""
        aux = set()
        for node in self._nodes():
            for i in node.mutate:
                if i < len(node.inputs):
                    aux.add(id(node.inputs[i][0]))
        return [(n, id(n) in aux) for n in self._nodes() if n.is_variable]

    def list_arguments(self):
        """Names of the variables that are arguments (every input but auxiliary states)."""
        return [n.name for n, is_aux in self._input_roles() if not is_aux]

    def list_auxiliary_states(self):
        """Names of the variables an operator updates in place (BatchNorm's running statistics)."""
        return [n.name for n, is_aux in self._input_roles() if is_aux]

    def list_inputs(self):
        """Names of all variables (arguments and auxiliary states) in graph (DFS) order."""
        return [n.name for n in self._nodes() if n.is_variable]

    def list_outputs(self):
        """Output names: a variable's own name, ``<node>_<output>`` for operators (``fc1_output``)."""
        return [n.name if n.is_variable else '%s_%s' % (n.name, n.out_names[i])
                for n, i in self._outputs]

    def get_internals(self):
        """A group of every visible output of every node, in graph order."""
        outs = []
        for node in self._nodes():
            outs.extend((node, i) for i in range(node.num_visible))
        return Symbol(outs)

    def get_children(self):
        """A group of the inputs of this symbol's output nodes, or None for a variable."""
        heads, seen = [], set()
        for node, _ in self._outputs:
            if id(node) not in seen:
                seen.add(id(node))
                heads.append(node)
        outs = [(src, idx) for node in heads for src, idx, _ in node.inputs]
        return Symbol(outs) if outs else None

    # -- names and attributes ------------------------------------------------------------------------
    @property
    def name(self):
        """The node name when every output comes from one node; None for a group of nodes."""
        node = self._single_node()
        return node.name if node is not None else None

    def _single_node(self):
        first = self._outputs[0][0]
        return first if all(n is first for n, _ in self._outputs) else None

    def attr(self, key):
        """The string attribute ``key`` of this symbol's node, or None (also for a group)."""
        node = self._single_node()
        if node is None:
            return None
        if key == 'name':
            return node.name
        return node.attrs.get(_hidden_key(key))

    def list_attr(self, recursive=False):
        """The string attributes of this symbol's node (``recursive=True``: see :meth:`attr_dict`)."""
        if recursive:
            raise DeprecationWarning('Symbol.list_attr with recursive=True has been deprecated. '
                                     'Please use attr_dict instead.')
        node = self._single_node()
        return dict(node.attrs) if node is not None else {}

    def attr_dict(self):
        """``{node name: {key: value}}`` for every node of the graph that has attributes."""
        return {n.name: dict(n.attrs) for n in self._nodes() if n.attrs}

    def _set_attr(self, **kwargs):
        """Set string attributes on this symbol's node(s) (hidden keys become ``__key__``)."""
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError('Symbol._set_attr: attribute %r must be a string, got %s'
                                 % (key, type(value).__name__))
            for node, _ in self._outputs:
                node.attrs[_hidden_key(key)] = value

    # -- outputs -------------------------------------------------------------------------------------
    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (Symbol([o]) for o in self._outputs)

    def __getitem__(self, index):
        """One output by position or name (``sym['fc1_output']``), or a group for a slice."""
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if isinstance(index, str):
            names = self.list_outputs()
            hits = [i for i, n in enumerate(names) if n == index]
            if len(hits) != 1:
                raise ValueError('Symbol[%r]: %s; the outputs are %s' % (
                    index, 'no such output' if not hits else 'several outputs have this name',
                    names))
            index = hits[0]
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError('Symbol index must be an int, str or slice, got %s'
                            % type(index).__name__)
        n = len(self._outputs)
        if not -n <= index < n:
            raise IndexError('Symbol index %d is out of range for %d output(s)' % (index, n))
        return Symbol([self._outputs[index]])

    def __repr__(self):
        if len(self._outputs) == 1:
            return '<Symbol %s>' % self.name
        return '<Symbol group [%s]>' % ', '.join(s.name for s in self)

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise TypeError('the truth value of a Symbol is undefined (comparisons build graph nodes)')

    def __copy__(self):
        return self._compose({}, [])

    def __deepcopy__(self, memo):
        return self._compose({}, [])

    # -- composition ---------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """A copy of the graph with variables replaced: positionally in :meth:`list_arguments`
        order, or by variable name (``net(data=x)``)."""
        kwargs.pop('name', None)
        return self._compose(kwargs, args)

    def _compose(self, by_name, positional):
        for key, value in list(by_name.items()) + [(i, v) for i, v in enumerate(positional)]:
            if not isinstance(value, Symbol) or len(value._outputs) != 1:
                raise TypeError('compose: argument %r must be a single-output Symbol, got %r'
                                % (key, value))
        names = self.list_arguments()
        if len(positional) > len(names):
            raise TypeError('compose: %d positional arguments given, the symbol has %d (%s)'
                            % (len(positional), len(names), names))
        repl = dict(zip(names, positional))
        repl.update(by_name)
        unknown = set(repl) - set(self.list_inputs())
        if unknown:
            raise ValueError('compose: %s not among the symbol inputs %s'
                             % (sorted(unknown), self.list_inputs()))
        mapping = {}                      # id(old node) -> its copy

        def entry(src, idx):
            if src.is_variable and src.name in repl:
                return repl[src.name]._outputs[0]
            return mapping[id(src)], idx

        for node in self._nodes():
            if node.is_variable and node.name in repl:
                continue
            mapping[id(node)] = node.clone([entry(s, i) + (v,) for s, i, v in node.inputs])
        return Symbol([entry(n, i) for n, i in self._outputs])

    # -- shape and type inference, serialisation (implemented in sibling modules) -------------------
    def infer_shape(self, *args, **kwargs):
        """Infer all shapes from known input shapes; see :func:`minigluon.symbol.infer.infer_shape`."""
        from minigluon.symbol.infer import infer_shape
        return infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args, **kwargs):
        """Like :meth:`infer_shape` but returns what could be inferred (unknown shapes are ``()``)."""
        from minigluon.symbol.infer import infer_shape
        return infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        """Infer all dtypes from known input dtypes; see :func:`minigluon.symbol.infer.infer_type`."""
        from minigluon.symbol.infer import infer_type
        return infer_type(self, args, kwargs, partial=False)

    def infer_type_partial(self, *args, **kwargs):
        from minigluon.symbol.infer import infer_type
        return infer_type(self, args, kwargs, partial=True)

    def tojson(self, remove_amp_cast=True):
        """The graph as MXNet's ``-symbol.json`` text (byte-compatible with MXNet 1.9.1)."""
        from minigluon.symbol.json_io import tojson
        return tojson(self)

    def save(self, fname, remove_amp_cast=True):
        """Write :meth:`tojson` to ``fname`` atomically (write to a temporary file, then rename)."""
        from minigluon.symbol.json_io import save
        save(self, fname)

    def eval(self, ctx=None, **kwargs):
        """Run the graph on NDArrays given by input name; returns the list of outputs."""
        from minigluon.executor import CachedOp
        missing = [n for n in self.list_inputs() if n not in kwargs]
        if missing:
            raise ValueError('Symbol.eval: no value for input(s) %s' % missing)
        return CachedOp(self)(*[kwargs[n] for n in self.list_inputs()])

    # -- Python operators ------------------------------------------------------------------------------
    def _binary(self, other, sym_fn, scalar_fn, reflected_scalar_fn=None, swap=False):
        if isinstance(other, Symbol):
            return _create(sym_fn, (other, self) if swap else (self, other), {})
        if isinstance(other, (int, float, bool, np.number)):
            scalar = other.item() if isinstance(other, np.number) else other
            return _create(reflected_scalar_fn if swap else scalar_fn, (self,), {'scalar': scalar})
        raise TypeError('type %s not supported with a Symbol' % type(other).__name__)

    def __add__(self, o):
        return self._binary(o, '_Plus', '_PlusScalar')

    __radd__ = __add__

    def __sub__(self, o):
        return self._binary(o, '_Minus', '_MinusScalar')

    def __rsub__(self, o):
        return self._binary(o, '_Minus', None, '_RMinusScalar', swap=True)

    def __mul__(self, o):
        return self._binary(o, '_Mul', '_MulScalar')

    __rmul__ = __mul__

    def __truediv__(self, o):
        return self._binary(o, '_Div', '_DivScalar')

    def __rtruediv__(self, o):
        return self._binary(o, '_Div', None, '_RDivScalar', swap=True)

    def __mod__(self, o):
        return self._binary(o, '_Mod', '_ModScalar')

    def __rmod__(self, o):
        return self._binary(o, '_Mod', None, '_RModScalar', swap=True)

    def __pow__(self, o):
        return self._binary(o, '_Power', '_PowerScalar')

    def __rpow__(self, o):
        return self._binary(o, '_Power', None, '_RPowerScalar', swap=True)

    def __neg__(self):
        return self.__mul__(-1.0)       # MXNet writes -x as _mul_scalar(scalar=-1.0)

    def __abs__(self):
        return _create('abs', (self,), {})

    def __eq__(self, o):
        return self._binary(o, '_equal', '_EqualScalar')

    def __ne__(self, o):
        return self._binary(o, '_not_equal', '_NotEqualScalar')

    def __gt__(self, o):
        return self._binary(o, '_greater', '_GreaterScalar')

    def __ge__(self, o):
        return self._binary(o, '_greater_equal', '_GreaterEqualScalar')

    def __lt__(self, o):
        return self._binary(o, '_lesser', '_LesserScalar')

    def __le__(self, o):
        return self._binary(o, '_lesser_equal', '_LesserEqualScalar')

    def astype(self, dtype):
        return _create('Cast', (self,), {'dtype': np.dtype(dtype).name})

    def __getattr__(self, name):
        # Fluent methods: x.reshape((0, -1)), x.sum(axis=1) build the operator of that name.
        if name.startswith('_') or resolve_op(name) is None:
            raise AttributeError("'Symbol' object has no attribute %r" % name)

        def method(*args, **kwargs):
            return _create(name, (self,) + args, kwargs)
        method.__name__ = name
        return method


# ---------------------------------------------------------------------------------------------------
# Creating symbols


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
        attrs['__shape__'] = str(shape)
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


def _split_call(cls, fn_name, args, kwargs):
    """Separate a call into positional/named inputs, operator attributes and hidden attributes."""
    declared = cls.arguments
    args = list(args)
    pos = []
    limit = len(args) if declared is None else len(declared)
    while args and len(pos) < limit and (args[0] is None or isinstance(args[0], Symbol)):
        pos.append(args.pop(0))
    named, attrs, extra = {}, {}, {}
    for key, value in kwargs.items():
        if isinstance(value, Symbol):
            if declared is None or key not in declared:
                raise TypeError('%s: %r is not an input of this operator (inputs: %s)'
                                % (fn_name, key, declared or 'positional only'))
            named[key] = value
        elif key in HIDDEN_KEYS or (key.startswith('__') and key.endswith('__')):
            extra[_hidden_key(key)] = str(value)
        elif declared is not None and key in declared and key not in cls.attrs:
            if value is not None:
                raise TypeError('%s: input %r must be a Symbol, got %s'
                                % (fn_name, key, type(value).__name__))
        else:
            attrs[key] = value
    free = [k for k in cls.attrs if k not in attrs and not (declared is None and k == 'num_args')]
    if len(args) > len(free):
        raise TypeError('%s: too many positional arguments (%d extra: %r)'
                        % (fn_name, len(args) - len(free), args[len(free):]))
    attrs.update(zip(free, args))
    return pos, named, attrs, extra


def _create(fn_name, args, kwargs):
    """Build the operator node for ``minigluon.symbol.<fn_name>(*args, **kwargs)``."""
    cls = resolve_op(fn_name)
    if cls is None:
        raise MXNetError('unknown operator %r' % fn_name)
    kwargs = dict(kwargs)
    name = kwargs.pop('name', None)
    scope_attrs = AttrScope.current.get(kwargs.pop('attr', None))
    pos, named, attrs, extra = _split_call(cls, fn_name, args, kwargs)
    extra = dict({_hidden_key(k): v for k, v in scope_attrs.items()}, **extra)
    if cls.arguments is None:
        pos = [p for p in pos if p is not None]
        if 'num_args' in cls.attrs:
            attrs.setdefault('num_args', len(pos))
    op = cls(**attrs)
    name = NameManager.current.get(name, fn_name.lower())
    given = {}
    if cls.arguments is not None:
        order = op.list_arguments()
        if order != list(cls.arguments):
            # As MXNet's generated functions: positional inputs fill the inputs these attributes
            # select, None dropped (``RNN(x, p, h, seq_len, use_sequence_length=True)``).
            pos = [p for p in pos if p is not None]
            if len(pos) > len(order):
                raise TypeError('%s: %d positional inputs given, but with these attributes it '
                                'takes %s' % (fn_name, len(pos), order))
        else:
            order = list(cls.arguments)
        given = dict(zip(order, pos))
    for key, value in named.items():
        if given.get(key) is not None:
            raise TypeError('%s: input %r given twice' % (fn_name, key))
        given[key] = value
    inputs = pos if cls.arguments is None else [given.pop(a, None) for a in op.list_arguments()]
    leftover = [k for k, v in given.items() if v is not None]
    if leftover:
        raise TypeError('%s: input(s) %s given but not used with these attributes (inputs: %s)'
                        % (fn_name, leftover, op.list_arguments()))
    node = new_op_node(op, json_op_name(fn_name, cls), name, extra, [])
    init_attrs = INPUT_VAR_INIT.get(node.op, {})
    entries = []
    for i, (arg, value) in enumerate(zip(node.arg_names, inputs)):
        if value is None:
            value = Symbol([(_Node('%s_%s' % (name, arg), node.attrs), 0)])
        elif len(value._outputs) != 1:
            raise TypeError('%s: input %r is a group of %d outputs; pass a single output'
                            % (fn_name, arg, len(value._outputs)))
        src, idx = value._outputs[0]
        if i in init_attrs and src.is_variable and '__init__' not in src.attrs:
            src.attrs['__init__'] = init_attrs[i]
        entries.append((src, idx, 0))
    node.inputs = entries
    update_versions(node)
    return Symbol([(node, i) for i in range(node.num_visible)])


def make_function(fn_name):
    """The ``minigluon.symbol.<fn_name>`` function for a registered operator name or alias."""
    def fn(*args, **kwargs):
        return _create(fn_name, args, kwargs)
    fn.__name__ = fn_name
    cls = resolve_op(fn_name)
    fn.__doc__ = cls.__doc__ if cls is not None else None
    return fn
