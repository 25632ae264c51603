"""``Symbol``: an immutable graph of operator nodes, MXNet 1.9.1's ``mx.sym`` in legacy mode.

A graph is made of :class:`_Node` objects (defined, with the graph walks, in
:mod:`minigluon.symbol.graph` and re-exported here). A variable node has ``op=None``; an operator
node holds the operator class from the registry, the attribute strings MXNet writes to
``-symbol.json``, the parsed attribute state (what :meth:`Op._fast` needs to rebuild an instance
cheaply) and its inputs as ``(node, output_index, version)`` entries. A :class:`Symbol` is a list of output entries
``(node, index)``; it never changes after creation (only the string attributes can be set, as in
MXNet). Graph walks are iterative (post-order DFS with an explicit stack, nnvm's order), so deep
graphs never hit Python's recursion limit.

Node naming follows MXNet: ``name=`` if given, else the current :class:`~minigluon.name.NameManager`
gives ``<function name lower-cased><counter>`` (``fullyconnected0``, ``_plus0``, ``_mulscalar0``);
inputs not given become variables ``<node name>_<input name>`` (``fc1_weight``).
"""
import numbers

import numpy as np

from minigluon.base import NotImplementedForSymbol
from minigluon.ops.attr import python_scalar
from minigluon.symbol.graph import (  # noqa: F401 (all re-exported)
    _Node, new_op_node, resolve_op, topo_order, update_versions)
from minigluon.symbol.op_names import HIDDEN_KEYS

__all__ = ['Symbol', 'resolve_op']


# MXNet 1.9.1 stores these attributes as ``__key__`` and lists a plain ``key`` copy next to each
# (``list_attr``/``attr_dict``). ``profiler_scope`` is also a hidden key there, but kept under its
# own name (no ``__`` form, no copy).
_COPIED_KEYS = tuple(k for k in HIDDEN_KEYS if k != 'profiler_scope')


def _hidden_key(key):
    return '__%s__' % key if key in _COPIED_KEYS else key


def _with_plain_copies(attrs):
    """``attrs`` plus ``key: value`` for every ``__key__`` of :data:`_COPIED_KEYS` (MXNet's listing)."""
    out = {}
    for k, v in attrs.items():
        out[k] = v
        if k.startswith('__') and k.endswith('__') and k[2:-2] in _COPIED_KEYS:
            out[k[2:-2]] = v
    return out


class Symbol:
    """A symbolic graph output (or a group of outputs); see the module docstring.

    Create symbols with :func:`var`, the operator functions ``minigluon.symbol.<op>``, Python
    arithmetic on symbols, :func:`Group` or :func:`~minigluon.symbol.load`.
    """

    __slots__ = ('_outputs', '_topo', '__weakref__')

    def __init__(self, outputs):
        self._outputs = list(outputs) if outputs is not None else []   # None: see __reduce__
        self._topo = None

    # -- graph walks ---------------------------------------------------------------------------------
    def _nodes(self):
        """Every node the outputs depend on, inputs before their readers (:func:`topo_order`);
        computed once, and again only where the outputs change (:meth:`_compose`, unpickling)."""
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
        """The string attributes of this symbol's node, as MXNet 1.9.1 lists them: each hidden
        ``__lr_mult__``-style key (ctx_group, lr_mult, wd_mult, force_mirroring, mirror_stage) also
        appears as a plain copy (``lr_mult``). For a group: the first output's node.
        ``recursive=True`` raises DeprecationWarning (use :meth:`attr_dict`)."""
        if recursive:
            raise DeprecationWarning('Symbol.list_attr with recursive=True has been deprecated. '
                                     'Please use attr_dict instead.')
        return _with_plain_copies(self._outputs[0][0].attrs) if self._outputs else {}

    def attr_dict(self):
        """``{node name: {key: value}}`` for every node of the graph that has attributes, with the
        plain copies of hidden keys that :meth:`list_attr` shows. Nodes of one name (two
        variables ``'x'``, a layer applied twice) share an entry: their attributes are merged,
        a later node's value winning for a key both have, as in MXNet 1.9.1."""
        out = {}
        for n in self._nodes():
            if n.attrs:
                out.setdefault(n.name, {}).update(_with_plain_copies(n.attrs))
        return out

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
            outputs = self._outputs[index]
            if not outputs:
                # MXNet 1.9.1 groups the selected outputs and refuses a group of none (TypeError);
                # a one-output symbol sliced [1:] (GluonNLP's TAR loss, hybridized) lands here
                raise TypeError('Symbol[%s:%s:%s] selects none of the %d output(s) of %s'
                                % (index.start, index.stop, index.step, len(self._outputs),
                                   self.name or 'this group'))
            return Symbol(outputs)
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
        # one node's outputs (a SliceChannel, Group([v, v])) show as that node, as MXNet 1.9.1
        if self.name is not None:
            return '<Symbol %s>' % self.name
        return '<Symbol group [%s]>' % ', '.join(s.name for s in self)

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise _SymbolTruthError('the truth value of a Symbol is undefined (comparisons build graph '
                                'nodes; F.where / contrib.cond choose on values)')

    def __copy__(self):
        return self._composed({}, [])

    def __deepcopy__(self, memo):
        return self._composed({}, [])

    def __reduce__(self):
        """Pickle as MXNet 1.9.1 does: ``Symbol(None)`` then ``__setstate__({'handle': json})``,
        the JSON being :meth:`tojson`'s (so groups, attributes and subgraphs travel, and the
        operator classes are looked up again by name when loading). Pickles MXNet made load here
        when ``mxnet`` is :func:`minigluon.compat.install_mxnet_alias`'s alias."""
        return Symbol, (None,), {'handle': self.tojson() if self._outputs else None}

    def __setstate__(self, state):
        """Rebuild a ``Symbol(None)`` from :meth:`__reduce__`'s state with
        :func:`minigluon.symbol.load_json` (which raises MXNetFormatError on bad JSON); an
        empty handle gives an empty Symbol, as MXNet's handle-less one."""
        from minigluon.symbol.json_io import load_json
        text = state.get('handle') if isinstance(state, dict) else None
        self._outputs = list(load_json(text)._outputs) if text is not None else []
        self._topo = None

    # -- composition ---------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """A copy of the graph with variables replaced: positionally in :meth:`list_arguments`
        order, or by variable name (``net(data=x)``); ``name=`` renames the copy's output node
        (``net(data=x, name='g').name == 'g'``, as in MXNet). MXNet 1.9.1 accepts positional
        symbols only for a lone operator node ("General composition only support kwargs");
        here they work for any graph (docs/PORTING.md's table)."""
        name = kwargs.pop('name', None)
        return self._composed(kwargs, args, name)

    def _compose(self, *args, **kwargs):
        """MXNet's in-place composition: replace variables of this symbol (as :meth:`__call__`)
        and return None. Unlike MXNet, which rewires the shared graph nodes themselves (so
        other symbols built on them change too), only this Symbol object changes."""
        name = kwargs.pop('name', None)
        self._outputs = self._composed(kwargs, args, name)._outputs
        self._topo = None

    def _composed(self, by_name, positional, name=None):
        """The composed copy behind :meth:`__call__`, :meth:`_compose` and copying: variables
        replaced from ``by_name`` (variable name -> single-output Symbol) and ``positional``
        (in :meth:`list_arguments` order); ``name``: the new name of the output node."""
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
        outputs = [entry(n, i) for n, i in self._outputs]
        if name is not None and id(self._outputs[0][0]) in mapping:
            mapping[id(self._outputs[0][0])].name = str(name)
        return Symbol(outputs)

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
        """The graph as MXNet's ``-symbol.json`` text (byte-compatible with MXNet 1.9.1); with
        ``remove_amp_cast`` (the default, as MXNet) without the ``amp_cast`` / ``amp_multicast``
        nodes of :func:`minigluon.contrib.amp.convert_symbol`."""
        from minigluon.symbol.json_io import tojson
        return tojson(self._without_amp_casts() if remove_amp_cast else self)

    def save(self, fname, remove_amp_cast=True):
        """Write :meth:`tojson` to ``fname`` atomically (write to a temporary file, then rename)."""
        from minigluon.symbol.json_io import save
        save(self._without_amp_casts() if remove_amp_cast else self, fname)

    def _without_amp_casts(self):
        """This graph without AMP's cast nodes (itself when it has none: the common case)."""
        for node in self._nodes():
            if node.op in ('amp_cast', 'amp_multicast'):
                from minigluon.contrib.amp.convert import strip_amp_casts
                return strip_amp_casts(self)
        return self

    def debug_str(self):
        """A readable listing of the graph in nnvm's ``PrintGraphIR`` format (MXNet 1.9.1
        ``Symbol.debug_str``): the outputs, then every node in graph order, a variable as
        ``Variable:<name>``, an operator as its name, inputs (``arg[i]=<node>(<output>)``, with
        the variable's version) and sorted attributes."""
        if len(self._outputs) == 1 and not self._outputs[0][0].inputs:    # nnvm's atomic case
            head = self._outputs[0][0]
            if head.is_variable:
                return 'Variable:%s\n' % head.name
            return 'AtomicFunctor  Op:%s\n' % head.op
        lines = ['Symbol Outputs:']
        lines += ['\toutput[%d]=%s(%d)' % (i, n.name, j) for i, (n, j) in enumerate(self._outputs)]
        for node in self._nodes():
            if node.is_variable:
                lines.append('Variable:%s' % node.name)
                continue
            lines += ['-' * 20, 'Op:%s, Name=%s' % (node.op, node.name), 'Inputs:']
            for i, (src, idx, version) in enumerate(node.inputs):
                tail = ' version=%d' % version if src.is_variable else ''
                lines.append('\targ[%d]=%s(%d)%s' % (i, src.name, idx, tail))
            if node.attrs:
                lines.append('Attrs:')
                lines += ['\t%s=%s' % kv for kv in sorted(node.attrs.items())]
        return '\n'.join(lines) + '\n'

    def as_nd_ndarray(self):
        """This symbol itself (MXNet 1.9.1: the legacy-mode view of a ``np``-mode symbol)."""
        return self

    # NDArray methods a Symbol has only to refuse them, as in MXNet 1.9.1 (so hasattr() is True
    # for them there and here): NotImplementedForSymbol naming the method and the way out
    def wait_to_read(self):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol`: a Symbol holds no values."""
        _not_for_symbol('wait_to_read', _NO_VALUES)

    def asnumpy(self):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol`: a Symbol holds no values."""
        _not_for_symbol('asnumpy', _NO_VALUES)

    def asscalar(self):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol`: a Symbol holds no values."""
        _not_for_symbol('asscalar', _NO_VALUES)

    def copy(self):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol` (``copy.copy(sym)`` copies a
        Symbol; ``F.identity(x)`` adds a copy node to the graph)."""
        _not_for_symbol('copy', ': copy.copy(sym) copies the Symbol itself, F.identity(x) adds a '
                                'copy node to the graph')

    def as_in_context(self, *args, **kwargs):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol`: a graph runs on the context of
        the arrays it is given."""
        _not_for_symbol('as_in_context', ': a graph runs on the context of the arrays it is given; '
                                         'move the inputs before the call')

    def detach(self):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol` (``F.stop_gradient(x)`` is the
        graph's form)."""
        _not_for_symbol('detach', ': write F.stop_gradient(x) (BlockGrad), which works on both')

    def backward(self, *args, **kwargs):
        """Raise :class:`~minigluon.base.NotImplementedForSymbol`: call ``backward`` on the
        NDArray a block's call returns."""
        _not_for_symbol('backward', ": call backward() on the NDArray the block's call returns")

    def split_v2(self, indices_or_sections, axis=0, squeeze_axis=False):
        """``sym.split_v2(self, ...)`` as a method; see :func:`minigluon.symbol.split_v2`."""
        from minigluon.symbol import split_v2
        return split_v2(self, indices_or_sections, axis=axis, squeeze_axis=squeeze_axis)

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
        if isinstance(other, (int, float, bool, np.number, np.bool_)):
            scalar = python_scalar(other)
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
        return self._binary(o, '_Power', None, '_rpower_scalar', swap=True)

    def __neg__(self):
        return self.__mul__(-1.0)       # MXNet writes -x as _mul_scalar(scalar=-1.0)

    def __abs__(self):
        return _create('abs', (self,), {})

    def __eq__(self, o):
        return self._binary(o, '_equal', '_equal_scalar')

    def __ne__(self, o):
        return self._binary(o, '_not_equal', '_not_equal_scalar')

    def __gt__(self, o):
        return self._binary(o, '_greater', '_greater_scalar')

    def __ge__(self, o):
        return self._binary(o, '_greater_equal', '_greater_equal_scalar')

    def __lt__(self, o):
        return self._binary(o, '_lesser', '_lesser_scalar')

    def __le__(self, o):
        return self._binary(o, '_lesser_equal', '_lesser_equal_scalar')

    def astype(self, dtype):
        return _create('Cast', (self,), {'dtype': np.dtype(dtype).name})

    def reshape(self, *args, **kwargs):
        """The ``Reshape`` of this Symbol: ``x.reshape((0, -1))``, ``x.reshape(shape=(0, -1),
        reverse=True)``, or the shape as separate ints, ``x.reshape(0, 2, -1)``, as
        ``NDArray.reshape`` takes it (ResNeSt's radix softmax writes that in a
        ``hybrid_forward``). MXNet 1.9.1 passes separate ints on to the operator's ``shape,
        reverse, target_shape, keep_highest`` and fails once hybridized ("Invalid Parameter format
        for keep_highest"); minigluon reads them as the shape, so the block runs the same eagerly
        and hybridized. Other positional arguments (``x.reshape((0, -1), True)``) keep MXNet's
        meaning. One int stays the ``shape`` value as given (``x.reshape(-1)`` writes ``"shape":
        "-1"``, as MXNet does)."""
        if len(args) > 1 and all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                                 for a in args):
            args = (tuple(args),)
        return _create('reshape', (self,) + args, kwargs)

    def __getattr__(self, name):
        # Fluent methods: x.reshape((0, -1)), x.sum(axis=1) build the operator of that name.
        if name.startswith('_') or resolve_op(name) is None:
            raise AttributeError("'Symbol' object has no attribute %r%s"
                                 % (name, _NDARRAY_ONLY.get(name, '') or _OUT_OF_SCOPE.get(name, '')))

        def method(*args, **kwargs):
            return _create(name, (self,) + args, kwargs)
        method.__name__ = name
        return method


# What an NDArray has and a Symbol (a node of a graph being built, as in a hybridized block's
# hybrid_forward) cannot have, with what to write instead. (The attributes stay missing, so that
# hasattr(x, 'shape') still tells an NDArray from a Symbol.)
_TRACED = ('while a graph is traced (by hybridize(), a Symbol input, or the first call inferring '
           "a block's deferred parameter shapes)")
_EAGER = ("run the block eagerly: do not hybridize it, and give its parameters' shapes "
          '(in_units=..., in_channels=...)')
_NO_SHAPE = (': a Symbol has no shape %s; use F.shape_array(x) or shape-free operators (reshape '
             'with 0/-1 codes, *_like operators), or %s' % (_TRACED, _EAGER))
_NO_VALUES = ': a Symbol holds no values %s; compute with F.<operator> calls, or %s' % (_TRACED, _EAGER)
_NDARRAY_ONLY = {'shape': _NO_SHAPE, 'ndim': _NO_SHAPE, 'size': _NO_SHAPE}


class _SymbolTruthError(NotImplementedForSymbol, TypeError):
    """``bool(sym)``: MXNet 1.9.1's NotImplementedForSymbol, and the TypeError Python raises
    for a value without a truth value."""


def _not_for_symbol(method, hint):
    raise NotImplementedForSymbol('Symbol.%s is only available on an NDArray%s' % (method, hint))

# MXNet 1.9.1 Symbol methods of parts that are out of scope (docs/PORTING.md, "Out of scope"):
# asking for them says so, and what to use instead (hasattr() stays False).
_NO_EXECUTORS = (": the Module API (Symbol.bind, simple_bind) is out of scope in minigluon "
                 "(docs/PORTING.md, 'Out of scope'); run a Symbol with sym.eval(ctx=mx.cpu(), **arrays) "
                 "or wrap it in gluon.SymbolBlock(outputs, inputs)")
_NO_PARTITIONING = (": backend partitioning (Symbol.optimize_for) is out of scope in minigluon "
                    "(docs/PORTING.md, 'Out of scope'); a hybridized block runs its graph as traced")
_OUT_OF_SCOPE = {'bind': _NO_EXECUTORS, 'simple_bind': _NO_EXECUTORS,
                 'optimize_for': _NO_PARTITIONING, 'get_backend_symbol': _NO_PARTITIONING}


# Operator nodes are built in creation.py, which needs Symbol: import it last.
from minigluon.symbol.creation import _create  # noqa: E402
