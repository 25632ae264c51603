"""``HybridBlock``: a Block whose ``hybrid_forward(F, ...)`` runs eagerly or as a cached graph.

Semantics follow ``mxnet.gluon.HybridBlock`` (MXNet 1.9.1, ``python/mxnet/gluon/block.py``;
docs/MXNET_SPEC.md sections 1.2 and 9). Eagerly, ``F`` is :mod:`minigluon.ndarray` and parameters
arrive as keyword arguments named by their attribute. ``export`` writes the cached graph and its
parameters in MXNet's formats.

Terms
-----
symbol, graph node
    A :class:`minigluon.symbol.Symbol` is a list of outputs of a graph of nodes: variables
    (named inputs: ``data``, ``data0, data1...``, or a Parameter's name, from
    :meth:`Parameter.var`) and operator nodes, one per ``F.<op>`` call made with ``F =
    minigluon.symbol``.
trace
    Calling ``hybrid_forward`` once with ``F = minigluon.symbol``, on variables, so that it builds
    the graph of what it computes (:meth:`HybridBlock._get_graph`). Children called on Symbols
    add their nodes to it (:meth:`HybridBlock.forward`'s Symbol branch).
argument structure
    The code of how a call's nested arguments map to the graph's flat inputs
    (:mod:`minigluon.block._graph`). A graph is traced per argument structure (and per
    :meth:`HybridBlock._graph_variant`), not per shape: calls with other shapes reuse it.
cached graph, CachedOp
    ``_cached_graph`` is ``(data variables, Group of the outputs)``; ``_cached_op`` is the
    :class:`minigluon.executor.CachedOp` that runs it from an execution plan made once;
    ``_cached_op_args`` says where each graph input comes from (a call argument or a Parameter).

A hybridized call, in the order it runs
---------------------------------------
``net.hybridize(...)`` (:meth:`HybridBlock.hybridize`) only sets ``_active`` and the CachedOp
flags on the block and its descendants and drops their cached graphs: nothing is traced yet.
``net(x)`` is ``Block.__call__`` -> :meth:`HybridBlock.forward`, which finds NDArrays on an active
block and calls :meth:`HybridBlock._call_cached_op`:

1. at the first call, :meth:`_build_cache`: :meth:`_get_graph` traces ``hybrid_forward``, then
   the inputs are checked, ``_cached_op_args`` planned and the ``CachedOp`` made (its
   constructor makes the execution plan, :mod:`minigluon.executor_plan`);
2. a call of another argument structure or graph variant switches graphs
   (:meth:`_switch_graph`, which traces a new one on first use);
3. :meth:`_graph_inputs` gathers the graph's arrays: the call's and each Parameter's data. At
   the first call a Parameter still waiting for its shape raises DeferredInitializationError;
   :meth:`_init_pending_params` infers the shapes over the graph and initialises them;
4. ``CachedOp.__call__`` runs the plan on the raw arrays and, while recording, puts one node on
   the autograd tape; its outputs are regrouped as ``hybrid_forward`` returned them.

Later calls only check the structure and do steps 3 and 4. ``loss.backward()`` reaches the
CachedOp's node as any other (:class:`minigluon.executor._GraphGrad`).
"""
import warnings

import numpy as np

from minigluon import ndarray
from minigluon.block._graph import flatten, regroup, same_structure
from minigluon.base import MXNetError, MXNetIndexError, MXNetTypeError, MXNetValueError
from minigluon.block.block import Block, _parents_of, _remember_pending
from minigluon.ndarray import NDArray
from minigluon.parameter import DeferredInitializationError


def _symbol_module():
    from minigluon import symbol
    return symbol


_SYMBOL_TYPE = []     # [minigluon.symbol.Symbol] once the symbol package imports


def _symbol_type():
    if not _SYMBOL_TYPE:
        try:
            _SYMBOL_TYPE.append(_symbol_module().Symbol)
        except (ImportError, AttributeError):    # symbol package not available yet
            return ()
    return _SYMBOL_TYPE[0]


# What makes up one traced graph of a HybridBlock: the attributes :meth:`HybridBlock._switch_graph`
# sets aside, per argument structure and graph variant, when a call needs another graph.
_GRAPH_ENTRY_FIELDS = ('_cached_graph', '_cached_op', '_cached_op_args', '_in_format',
                       '_out_format', '_traced_variant')


def _refused_in_block(block, err):
    """``err``, raised while inferring ``block``'s graph from inputs, as the ValueError (an
    MXNetValueError where it was another kind, keeping its ``graph_node``) named with the layer
    whose node failed (:func:`_in_graph_block`)."""
    if not isinstance(err, ValueError):
        node = getattr(err, 'graph_node', None)
        err = MXNetValueError(str(err)).with_traceback(err.__traceback__)
        err.graph_node = node
    return _in_graph_block(block, err)


def _write_param_dtypes(sym, params):
    """Set the ``__dtype__`` of ``sym``'s Parameter variables to their Parameters' dtypes now,
    so that ``export`` after a ``Parameter.cast`` of a traced block writes the new dtype beside
    the parameters it saves (the graph is re-traced at the next call; see
    :meth:`HybridBlock._params_recast`)."""
    from minigluon.symbol.op_names import DTYPE_TO_FLAG
    for node in sym._nodes():
        if node.op is None and '__dtype__' in node.attrs and node.name in params._params:
            dtype = params._params[node.name].dtype
            if dtype is not None:
                flag = DTYPE_TO_FLAG.get(np.dtype(dtype))
                if flag is not None:
                    node.attrs['__dtype__'] = str(flag)


def _input_kinds(args):
    """``(has_symbol, has_ndarray, contexts, first_ctx)`` over nested lists of ``args``."""
    sym_type = _symbol_type()
    has_sym = has_nd = False
    ctxs, first = set(), None
    pending = list(reversed(args))
    while pending:
        a = pending.pop()
        if isinstance(a, NDArray):
            has_nd = True
            ctxs.add(a.context)
            if first is None:
                first = a.context
        elif isinstance(a, (list, tuple)):
            pending.extend(reversed(a))
        elif sym_type and isinstance(a, sym_type):
            has_sym = True
    return has_sym, has_nd, ctxs, first


def _data_variables(symbol, flat_args, args):
    """The graph's data variables (made with ``symbol``, the :mod:`minigluon.symbol` module) for
    a call's flattened arguments ``flat_args``: ``(inputs,
    data_vars)``, where ``inputs`` holds a variable per non-None argument (``data`` when there is
    one, else ``data0, data1...``) and None for each None, and ``data_vars`` the variables alone.

    Raises
    ------
    ValueError
        When every argument is None (``args``, the call's arguments, are named in the message).
    """
    real = sum(a is not None for a in flat_args)
    if real == 0:
        raise ValueError('All args are None and we do not support such a case. Received '
                         'args={}'.format(args))
    inputs, data_vars = [], []
    for a in flat_args:
        if a is None:
            inputs.append(None)
            continue
        v = symbol.var('data%d' % len(data_vars) if real > 1 else 'data')
        inputs.append(v)
        data_vars.append(v)
    return inputs, data_vars


def _type_names(args):
    """The types of a call's arguments, for an error message: ``numpy.ndarray, int``; a list or
    tuple is named with its items' types: ``Symbol, list of NDArray``."""
    names = []
    for a in args:
        name = _type_name(a)
        if isinstance(a, (list, tuple)) and a:
            name += ' of ' + '/'.join(sorted({_type_name(item) for item in a}))
        names.append(name)
    return ', '.join(names)


def _type_name(value):
    """``NDArray``, ``Symbol``, a builtin's name, else ``module.Class``."""
    kind = type(value)
    short = kind.__module__ == 'builtins' or kind.__name__ in ('NDArray', 'Symbol')
    return kind.__name__ if short else '%s.%s' % (kind.__module__, kind.__name__)


class HybridBlock(Block):
    """A Block that can be hybridized (compiled to a cached symbolic graph) and exported.

    Subclasses define ``hybrid_forward(self, F, x, *args, **params)`` using only ``F.<op>`` calls and
    operators, so the same code runs on NDArrays and on Symbols.

    Parameters
    ----------
    prefix : str, optional
    params : ParameterDict, optional
        As for :class:`Block`.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = None
        self._in_format = None
        self._out_format = None
        self._active = False
        self._flags = []
        self._callback = None
        self._monitor_all = False

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def register_child(self, block, name=None):
        """Register a child; it must be a HybridBlock.

        Raises
        ------
        ValueError
            When ``block`` is not a HybridBlock.
        """
        if not isinstance(block, HybridBlock):
            raise ValueError(
                'Children of HybridBlock must also be HybridBlock, but %s has type %s. If you are '
                'using Sequential, please try HybridSequential instead.' % (str(block), str(type(block))))
        super().register_child(block, name)
        self._clear_cached_op()

    def _cache_cleared(self):
        """The attribute values that drop this block's cached graph and executor (a traced graph
        is made again by the next hybridized call)."""
        return {'_cached_graph': (), '_cached_op': None, '_cached_op_args': None}

    def _drop_cached_graphs(self, state):
        """Remove from ``state`` (this block's ``__dict__``, or a copy of it) the cached graph,
        its executor and the graphs kept for other argument structures (``_other_graphs``)."""
        state.update(self._cache_cleared())
        state.pop('_other_graphs', None)

    def _clear_cached_op(self):
        """Drop this block's cached graph and those of all HybridBlocks it is nested in (their
        graphs were traced through it). MXNet 1.9.1 clears only the block itself, so replacing a
        grandchild of a hybridized block there keeps running the old layer."""
        pending, seen = [self], set()
        while pending:
            block = pending.pop()
            if id(block) in seen or not isinstance(block, HybridBlock):
                continue
            seen.add(id(block))
            block._drop_cached_graphs(block.__dict__)
            pending.extend(_parents_of(block))

    def __getstate__(self):
        """What pickling (and ``copy.deepcopy``) keeps: everything but the cached graph and its
        executor, as :meth:`_clear_cached_op` drops them. A hybridized block stays hybridized
        and traces ``hybrid_forward`` again at its first call, with the same result. MXNet
        1.9.1 keeps the traced graph but cannot pickle a block that ran hybridized (its CachedOp
        is a C handle: 'ctypes objects containing pointers cannot be pickled')."""
        state = dict(self.__dict__)
        self._drop_cached_graphs(state)
        return state

    def hybridize(self, active=True, backend=None, clear=True, static_alloc=False, static_shape=False,
                  inline_limit=2, forward_bulk_size=None, backward_bulk_size=None, **kwargs):
        """Turn graph caching on (or off with ``active=False``) for this block and its descendants.

        Nothing is traced here: the next call traces ``hybrid_forward`` and makes the
        :class:`~minigluon.executor.CachedOp` (see the module docstring). ``clear`` (the
        default) drops the graph cached so far; ``clear=False`` keeps it (with the flags it was
        made with, as in MXNet 1.9.1) while the descendants drop theirs.

        ``static_alloc``, ``static_shape``, ``inline_limit`` and the bulk sizes are passed to
        the CachedOp as MXNet's CachedOp flags (more in :mod:`minigluon.executor`).
        ``static_alloc=True`` lends the operators that declare ``uses_workspace`` a workspace of
        buffers kept across calls (there is no memory planner) and lets a recorded max Pooling
        keep its winners for the backward. A graph of at most ``inline_limit`` operators without
        ``static_alloc`` (one MXNet inlines) leaves the gradients of the inputs its backward does
        not reach untouched, where other graphs give them zeros. ``static_shape`` has no effect
        beyond its check (below), nor have the bulk sizes. ``backend`` and its options
        (``**kwargs``) are accepted and ignored: MXNet's subgraph backends are out of scope
        (:meth:`optimize_for` ignores them too).

        Hooks: the hooks of the block that is called still run around every call (hybridized or
        not). Hooks of its descendants run only while the graph is traced (first call per argument
        structure, with Symbol inputs and outputs), never for cached calls; hybridizing a block
        that has hooks warns about this. ``HookHandle.detach()`` works at any time.
        ``hybridize(active=False)`` never warns (MXNet 1.9.1's test ``active and hooks or
        pre_hooks`` warns about a forward pre-hook even when turning hybridization off).

        ``static_shape=True`` needs ``static_alloc=True``: otherwise the first call raises
        ``MXNetValueError``, as MXNet's CachedOp does (the flags also reach the children).
        """
        self._active = active
        self._flags = [('static_alloc', static_alloc), ('static_shape', static_shape),
                       ('inline_limit', inline_limit)]
        if forward_bulk_size is not None:
            self._flags.append(('forward_bulk_size', forward_bulk_size))
        if backward_bulk_size is not None:
            self._flags.append(('backward_bulk_size', backward_bulk_size))
        if clear:
            self._clear_cached_op()
        else:       # the children's clearing below reaches this block's graph: keep it
            keys = list(self._cache_cleared()) + ['_other_graphs']
            kept = {k: self.__dict__[k] for k in keys if k in self.__dict__}
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn('"{block}" is being hybridized while still having forward hook/pre-hook. '
                          'If "{block}" is a child of HybridBlock, the hooks will not take effect.'
                          .format(block=self), stacklevel=2)
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          inline_limit=inline_limit, forward_bulk_size=forward_bulk_size,
                          backward_bulk_size=backward_bulk_size)
        if not clear:
            self.__dict__.update(kept)

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def register_op_hook(self, callback, monitor_all=False):
        """Call ``callback(name, op_name, array)`` for each operator of the hybridized graph.

        As in MXNet 1.9.1 the hook only fires for hybridized (cached-graph) calls, never eagerly;
        ``name`` is ``<node name>_<output name>`` (with ``monitor_all``, also
        ``<node name>_<input name>`` for every input, before the outputs), named as MXNet names
        them: ``dense0_fwd_output``, ``dense0_fwd_data``, but ``relu0_0`` and ``relu0_input0``
        for the operators that register no names with MXNet. minigluon passes ``str`` names and
        NDArrays where MXNet passes bytes and raw handles. See
        :meth:`minigluon.executor.CachedOp.set_monitor_callback`.
        """
        if callback is not None and not callable(callback):
            raise TypeError('register_op_hook: callback must be callable or None, got %s'
                            % type(callback).__name__)
        self._callback = callback
        self._monitor_all = monitor_all
        if self._cached_op is not None:
            self._cached_op.set_monitor_callback(callback, monitor_all)
        super().register_op_hook(callback, monitor_all)

    # -- graph --------------------------------------------------------------------------------------
    def _get_graph(self, *args):
        """The traced graph ``(data variables, Group of the outputs)``, traced at the first call:
        ``hybrid_forward`` runs with ``F = minigluon.symbol`` on a variable per non-None argument
        (``data``, or ``data0, data1...``) and each Parameter's :meth:`~Parameter.var`; the
        structure codes of the arguments and outputs are kept (:mod:`minigluon.block._graph`)."""
        if not self._cached_graph:
            symbol = _symbol_module()
            flat_args, self._in_format = flatten(args, 'input')
            inputs, data_vars = _data_variables(symbol, flat_args, args)
            out = self._trace_hybrid_forward(symbol, *regroup(inputs, self._in_format))
            flat_out, self._out_format = flatten(out, 'output')
            if not flat_out or any(o is None for o in flat_out):
                # (eagerly a None output is returned as it is; a graph has no None outputs)
                raise ValueError(
                    '%s (%s): when hybridized, hybrid_forward must return Symbols (one, or a '
                    '(nested) list or tuple of them), but it returned %s: a graph cannot have '
                    '%s output; return F.<op> results only' % (
                        self.name, type(self).__name__, _describe_output(out),
                        'no' if not flat_out else 'a None'))
            self._cached_graph = data_vars, symbol.Group(flat_out)
            self._traced_variant = self._graph_variant()
        return self._cached_graph

    def _trace_hybrid_forward(self, symbol, *inputs):
        """``hybrid_forward(F=symbol, *inputs, **params)`` on Symbol ``inputs``, each Parameter
        passed as its variable (:meth:`Parameter.var`), inside this block's name scope (so that
        its nodes and children are named ``<prefix>...``): the Symbol(s) it returns."""
        params = {name: p.var() for name, p in self._reg_params.items()}
        with self.name_scope():
            return self._named_hybrid_forward(symbol, *inputs, **params)

    def _graph_variant(self):
        """What, besides the structure of the call's arguments, decides the graph a trace writes
        (hashable; ``None`` here). A block whose ``hybrid_forward`` branches on its own state
        returns that state, and each value gets its own cached graph, as each argument structure
        does (see :meth:`_switch_graph`). The rnn layers return whether the call passed states."""
        return None

    def _infer_attrs(self, infer_fn, attr, *args):
        """Run the graph's ``infer_fn`` (``'infer_shape'`` / ``'infer_type'``) on the arguments'
        ``attr`` (``'shape'`` / ``'dtype'``) and set what it finds on the Parameters."""
        inputs, out = self._get_graph(*args)
        flat_args, _ = flatten(args, 'input')
        given = [a for a in flat_args if a is not None]
        arg_attrs, _, aux_attrs = getattr(out, infer_fn)(
            **{v.name: getattr(a, attr) for v, a in zip(inputs, given)})
        if arg_attrs is None:
            raise _NotInferred('%s: could not infer the %s of every graph input of %s'
                               % (infer_fn, attr, self.name))
        found = dict(zip(out.list_arguments(), arg_attrs))
        found.update(zip(out.list_auxiliary_states(), aux_attrs))
        for param in self.collect_params().values():
            if param.name in found and found[param.name] is not None:
                setattr(param, attr, found[param.name])

    def infer_shape(self, *args):
        """Assign the shapes inferred from inputs ``args`` to all parameters (they stay uninitialized).

        Parameters the graph does not read (those of a child that ``hybrid_forward`` never calls)
        are left as they are, so their deferred initialisation waits for a call that uses them.
        MXNet 1.9.1 raises a ``KeyError`` naming such a parameter here, which makes the first call
        of the block fail ("Deferred initialization failed because shape cannot be inferred.
        'dense0_weight'"), eager or hybridized (docs/PORTING.md, "deliberately differs").
        """
        self._infer_attrs('infer_shape', 'shape', *args)

    def infer_type(self, *args):
        """Assign the dtypes inferred from inputs ``args`` to all parameters."""
        self._infer_attrs('infer_type', 'dtype', *args)

    def _deferred_infer_shape(self, *args):
        """Infer the pending parameters' shapes from the call's ``args``.

        Only when inference left some shape unknown does the error say "Deferred initialization
        failed because shape cannot be inferred" (MXNet's words for every failure here). When an
        operator, a layer's own check or ``hybrid_forward`` itself refused the inputs, that error
        is raised, named with the block as an eager call's error is; it stays a ``ValueError`` (an
        ``MXNetValueError`` where it was another kind), as MXNet 1.9.1 raises ``ValueError`` here.
        """
        _remember_pending(self.collect_params().values())
        if type(self).infer_shape is not HybridBlock.infer_shape:
            # MXNet 1.9.1 infers by tracing the graph, which makes (and caches) every parameter's
            # variable with the shape it has before inference, so a later export writes
            # '__shape__': '(20, 0)'. The generic infer_shape traces too; a block that sets the
            # shapes itself (the RNN layers and cells) gets its variables made here.
            for param in self.collect_params().values():
                param.var()
        try:
            self.infer_shape(*args)
        except _NotInferred as err:
            raise ValueError('Deferred initialization failed because shape cannot be inferred. {}'
                             .format(err)) from err
        except Exception as err:     # noqa: BLE001 - any refusal is reported as a ValueError
            raise _refused_in_block(self, err) from err.__cause__

    def _init_pending_params(self, args, params):
        """What a first call does when a Parameter raised DeferredInitializationError: infer
        the unknown shapes from the call's ``args`` (:meth:`_deferred_infer_shape`), then finish
        the deferred initialisation of ``params`` (an iterable of Parameters, read after the
        inference)."""
        self._deferred_infer_shape(*args)
        for param in params:
            param._finish_deferred_init()

    def _build_cache(self, *args):
        """Step 1 of a hybridized call (module docstring): trace the graph (:meth:`_get_graph`),
        check that every graph input is a data variable or one of this block's Parameters,
        warn, as MXNet, about arguments and Parameters the graph does not use, note where each
        graph input comes from (``_cached_op_args``) and make the
        :class:`~minigluon.executor.CachedOp` with this block's flags (which builds the plan)."""
        data_vars, out = self._get_graph(*args)
        data_index = {v.name: i for i, v in enumerate(data_vars)}
        params = self.collect_params()
        input_names = out.list_inputs()
        expected = set(input_names)
        for name in input_names:
            if name not in data_index and name not in params._params:
                raise ValueError('Unknown input to HybridBlock %s: %s' % (self.name, name))
        unused_data = [str(i) for name, i in data_index.items() if name not in expected]
        if unused_data:
            warnings.warn('The %s-th input to HybridBlock is not used by any computation. Is this '
                          'intended?' % ', '.join(unused_data), stacklevel=4)
        unused_params = [name for name in params.keys() if name not in expected]
        if unused_params:
            warnings.warn('Parameter %s is not used by any computation. Is this intended?'
                          % ', '.join(unused_params), stacklevel=4)
        # Planned once: for each graph input, ``(True, position among the non-None call
        # arguments)`` or ``(False, the Parameter whose data goes there)`` (see _graph_inputs).
        self._cached_op_args = [(True, data_index[name]) if name in data_index else (False, params[name])
                                for name in input_names]
        from minigluon.executor import CachedOp
        self._cached_op = CachedOp(out, self._flags)
        # the dtypes the graph's Parameter variables were traced with (see _params_recast)
        self._cached_op.param_dtypes = [(p, p._dtype) for is_arg, p in self._cached_op_args
                                        if not is_arg]
        if self._callback is not None:
            self._cached_op.set_monitor_callback(self._callback, self._monitor_all)

    def _params_recast(self):
        """Whether a Parameter of the graph in use changed dtype since the trace
        (``Parameter.cast``, ``load_parameters(..., dtype_source='saved')``): the next call then
        traces again, as after ``Block.cast`` (MXNet 1.9.1 keeps the graph, whose variables
        still carry the old ``__dtype__``)."""
        for param, dtype in getattr(self._cached_op, 'param_dtypes', ()):
            if param._dtype is not dtype and param._dtype != dtype:
                return True
        return False

    def _switch_graph(self, fmt, variant, args):
        """Use the cached graph traced for argument structure ``fmt`` and :meth:`_graph_variant`
        ``variant`` (tracing it on first use) and keep the current one aside: a loss called with
        and without ``sample_weight`` then runs two graphs. MXNet 1.9.1 raises 'The argument
        structure of HybridBlock does not match' instead. ``export`` writes the graph of the
        latest call."""
        others = self.__dict__.setdefault('_other_graphs', {})   # repr((format, variant)) -> entry
        current = self._graph_entry()
        current_key = repr((self._in_format, getattr(self, '_traced_variant', None)))
        others[current_key] = current
        entry = others.pop(repr((fmt, variant)), None)
        if entry is None:
            self._cached_graph, self._cached_op, self._cached_op_args = (), None, None
            try:
                self._build_cache(*args)
            except BaseException:       # a failed trace leaves the graph in use as it was
                self._use_graph_entry(others.pop(current_key))
                raise
        else:
            self._use_graph_entry(entry)
            if self._cached_op is not None:    # the op hook as it is now (set or removed since)
                self._cached_op.set_monitor_callback(self._callback, self._monitor_all)

    def _graph_entry(self):
        """The graph in use, as a tuple of the values of :data:`_GRAPH_ENTRY_FIELDS`."""
        return tuple(getattr(self, name, None) for name in _GRAPH_ENTRY_FIELDS)

    def _use_graph_entry(self, entry):
        """Make ``entry`` (from :meth:`_graph_entry`) the graph in use."""
        for name, value in zip(_GRAPH_ENTRY_FIELDS, entry):
            setattr(self, name, value)

    def _call_cached_op(self, *args):
        """A hybridized call (steps 1 to 4 of the module docstring): the graph for this
        argument structure (traced at the first call, see :meth:`_build_cache` and
        :meth:`_switch_graph`), pending Parameters initialised from the call's shapes, then the
        CachedOp, whose list of outputs is regrouped as ``hybrid_forward`` returned them."""
        try:
            flat_args, fmt = flatten(args, 'input')
        except ValueError as err:       # a NumPy array or a number among the inputs
            raise _in_block(self, err) from None
        if self._cached_op is None:
            self._build_cache(*args)
        variant = self._graph_variant()
        if ((fmt != self._in_format and not same_structure(fmt, self._in_format))
                or variant != getattr(self, '_traced_variant', None)):
            self._switch_graph(fmt, variant, args)
        if self._params_recast():
            self._clear_cached_op()
            self._build_cache(*args)
        given = [a for a in flat_args if a is not None]
        ctx = given[0].context
        try:
            inputs = self._graph_inputs(given, ctx)
        except DeferredInitializationError:
            self._init_pending_params(args, [p for is_arg, p in self._cached_op_args if not is_arg])
            inputs = self._graph_inputs(given, ctx)
        try:
            outs = self._cached_op(*inputs)
        except (ValueError, TypeError, IndexError, MXNetError) as err:
            if getattr(err, 'graph_node', None) is None:
                raise
            raise _in_graph_block(self, err) from err.__cause__
        return regroup(outs, self._out_format)

    def _graph_inputs(self, given, ctx):
        """The cached graph's inputs, in its order: the call's non-None arguments ``given`` and
        the Parameters' data on ``ctx`` (raises DeferredInitializationError while pending)."""
        return [given[src] if is_arg else src.data(ctx) for is_arg, src in self._cached_op_args]

    # -- calls --------------------------------------------------------------------------------------
    def forward(self, x, *args):
        """Dispatch on the inputs: NDArrays run eagerly or through the cached graph; Symbols compose.

        Raises
        ------
        ValueError
            When NDArrays and Symbols are mixed, when there is neither, when a hybridized call has
            inputs on several contexts, or when deferred shapes cannot be inferred.
        """
        inputs = [x] + list(args)
        has_sym, has_nd, ctxs, ctx = _input_kinds(inputs)
        if has_sym and has_nd:
            raise _in_block(self, ValueError(
                'the inputs mix NDArrays and Symbols (got %s); pass NDArrays to compute, or '
                'Symbols to build a graph. While a graph is traced (hybridize), an NDArray made '
                'inside hybrid_forward (nd.zeros(...), a cell\'s begin_state() without '
                'func=F.zeros) cannot join it: make it with F (F.zeros; '
                'begin_state(batch_size=0, func=F.zeros) when F is mx.sym, 0 being inferred), or '
                'pass it in as an input'
                % _type_names(inputs)))
        if not has_sym and not has_nd:
            hint = ('; convert NumPy arrays with mx.nd.array(...)'
                    if any(isinstance(a, np.ndarray) for a in inputs) else '')
            raise _in_block(self, ValueError(
                'the inputs need an NDArray (to compute) or a Symbol (to build a graph), got %s%s'
                % (_type_names(inputs), hint)))
        if has_nd:
            if self._active:
                if len(ctxs) > 1:
                    raise ValueError('Find multiple contexts in the input, After hybridized, the '
                                     'HybridBlock only supports one input context. Find all contexts '
                                     '= {}'.format(ctxs))
                with ctx:
                    return self._call_cached_op(x, *args)
            with ctx:
                try:
                    params = {k: v.data(ctx) for k, v in self._reg_params.items()}
                except DeferredInitializationError:
                    self._init_pending_params((x,) + args, self.params.values())
                    params = {k: v.data(ctx) for k, v in self._reg_params.items()}
                return self._named_hybrid_forward(ndarray, x, *args, **params)
        return self._trace_hybrid_forward(_symbol_module(), x, *args)

    def _named_hybrid_forward(self, F, *args, **params):
        """``hybrid_forward(F, *args, **params)``, eager or traced, whose operator errors name this
        block (:func:`_in_block`)."""
        try:
            return self.hybrid_forward(F, *args, **params)
        except (MXNetValueError, MXNetTypeError, MXNetIndexError) as err:
            raise _in_block(self, err) from err.__cause__
        except TypeError as err:
            hint = _signature_hint(self, args, params)
            if hint is None:        # raised inside hybrid_forward: not about the call itself
                raise
            raise TypeError('%s (%s): %s (%s)' % (self.name, type(self).__name__, hint, err)) from err

    def hybrid_forward(self, F, x, *args, **kwargs):
        """Compute the output with ``F.<op>`` (``F`` is the nd or the sym module); override this."""
        raise NotImplementedError('%s must implement hybrid_forward()' % type(self).__name__)

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (keys ``arg:<name>``/``aux:<name>``).

        The JSON is the cached graph of the latest call (:meth:`Symbol.tojson`, MXNet's
        ``-symbol.json`` layout, :mod:`minigluon.symbol.json_io`), without AMP's cast nodes when
        ``remove_amp_cast``; the parameters file holds each graph input that is a Parameter,
        ``aux:`` for those an operator updates (BatchNorm's running statistics), as the mean of
        its copies on the CPU (MXNet's ``.params`` format, :mod:`minigluon.serialization`).
        Parameters the graph does not read are left out, with a warning. Both payloads are
        built, and both files written beside their targets, before either is replaced
        (:func:`minigluon.serialization.atomic_write_files`): a full disk leaves the previous
        pair, not a new graph beside old parameters. The graph's data inputs are
        named ``data`` for a block called with one array and ``data0``, ``data1``... for more, in
        call order (as MXNet 1.9.1 names them): the ``input_names`` of
        :meth:`SymbolBlock.imports`.

        Returns
        -------
        (str, str)
            The two file names (MXNet 1.9.1 returns None; MXNet 2 returns the pair).

        Raises
        ------
        RuntimeError
            When the block was not hybridized and called at least once.
        """
        if not self._cached_graph:
            message = ('Please first call block.hybridize() and then run forward with this block at '
                       'least once before calling export.')
            if type(self).forward is not HybridBlock.forward:
                message += (' %s overrides forward(), which runs in place of HybridBlock.forward: '
                            'hybridize() has nothing to trace there. Write the computation as '
                            'hybrid_forward(self, F, x), with F.<op> for the operators'
                            % type(self).__name__)
            raise RuntimeError(message)
        from minigluon import serialization
        sym = self._cached_graph[1]
        _write_param_dtypes(sym, self.collect_params())
        sym_filename = '%s-symbol.json' % path
        params_filename = '%s-%04d.params' % (path, epoch)
        # Build both payloads first, so a failure here leaves both files as they were.
        sym_text = sym.tojson(remove_amp_cast=remove_amp_cast).encode('utf-8')
        params_blob = serialization.dumps(_exported_arrays(sym, self.collect_params()))
        serialization.atomic_write_files({sym_filename: sym_text, params_filename: params_blob})
        return sym_filename, params_filename

    def optimize_for(self, x, *args, backend=None, clear=False, static_alloc=False,
                     static_shape=False, inline_limit=2, forward_bulk_size=None,
                     backward_bulk_size=None, **kwargs):
        """Hybridize and build the graph for the inputs ``x, *args`` without running it, as
        MXNet 1.9.1's ``optimize_for`` (``hybridize(True, backend, clear, ...)`` plus the graph
        traced for these inputs; deferred Parameters are initialised from their shapes, so that
        ``export`` can follow at once). ``backend`` is
        required (``ValueError`` without it, as in MXNet) and, with its options (``**kwargs``),
        accepted and ignored, as :meth:`hybridize` does: MXNet's subgraph backends (``'MKLDNN'``
        fuses operators for its CPU kernels) are out of scope and change no number, so the
        outputs are MXNet's and ``export`` writes the plain graph, which loads anywhere (MXNet's
        holds ``_sg_mkldnn_*`` nodes only its oneDNN build runs). ``Symbol.optimize_for`` (a
        partitioned Symbol) remains out of scope."""
        if not backend:
            raise ValueError('optimize_for: a backend name is required (backend=...); minigluon '
                             'accepts it and ignores it, as hybridize(backend=...) does')
        self.hybridize(True, backend, clear, static_alloc, static_shape, inline_limit,
                       forward_bulk_size, backward_bulk_size, **kwargs)
        inputs = [x] + list(args)
        has_sym, has_nd, ctxs, ctx = _input_kinds(inputs)
        if not has_nd:
            raise _in_block(self, ValueError(
                'optimize_for: the inputs need an NDArray (the graph is built for their shapes '
                'and dtypes), got %s' % _type_names(inputs)))
        if len(ctxs) > 1:
            raise ValueError('optimize_for: the inputs are on several contexts (%s); a '
                             'hybridized block takes its inputs on one' % sorted(map(str, ctxs)))
        try:
            flat, _ = flatten(inputs, 'input')
        except ValueError as err:
            raise _in_block(self, err) from None
        with ctx:
            self._build_cache(x, *args)
            given = [a for a in flat if a is not None]
            try:        # deferred Parameters get their shapes now, as in MXNet (export can follow)
                self._graph_inputs(given, ctx)
            except DeferredInitializationError:
                self._init_pending_params(tuple(inputs), [p for is_arg, p in self._cached_op_args
                                                          if not is_arg])
            else:
                self._check_input_shapes(given)

    def _check_input_shapes(self, given):
        """For :meth:`optimize_for` with initialised Parameters: the graph's shape inference
        over the inputs ``given`` and the Parameters' shapes, so that inputs that do not fit are
        refused now, with the error the first call would raise, as MXNet 1.9.1 refuses them at
        ``optimize_for`` ('Shape inconsistent')."""
        data_vars, out = self._cached_graph
        shapes = {v.name: a.shape for v, a in zip(data_vars, given)}
        shapes.update((p.name, p.shape) for is_arg, p in self._cached_op_args if not is_arg)
        try:
            out.infer_shape(**shapes)
        except Exception as err:     # noqa: BLE001 - any refusal is reported as a ValueError
            raise _refused_in_block(self, err) from err.__cause__


def _exported_arrays(sym, params):
    """What ``export`` writes to its ``.params`` file: ``{'arg:<name>' or 'aux:<name>': NDArray}``
    for each input of the graph ``sym`` that is one of the Parameters ``params`` (a
    ParameterDict of full names), in the graph's input order; ``aux:`` for the auxiliary states
    (inputs an operator updates: BatchNorm's running statistics), the value being the mean of
    the Parameter's copies, on the CPU (``Parameter._reduce``). Warns for each Parameter the
    graph does not read (MXNet 1.9.1 ``HybridBlock.export``, ``python/mxnet/gluon/block.py``)."""
    graph_inputs = sym.list_inputs()
    aux_names = set(sym.list_auxiliary_states())
    arg_dict = {}
    for name in graph_inputs:
        if name in params._params:
            kind = 'aux' if name in aux_names else 'arg'
            arg_dict['%s:%s' % (kind, name)] = params[name]._reduce()
    in_graph = set(graph_inputs)
    for name in params.keys():
        if name not in in_graph:
            warnings.warn('Parameter "{name}" is not found in the graph. '.format(name=name),
                          stacklevel=3)     # (the caller of export)
    return arg_dict


def _describe_output(out):
    """``None``, ``[]``, or a list/tuple's items named by kind (``(Symbol, None)``)."""
    if isinstance(out, (list, tuple)) and out:
        items = ', '.join('None' if o is None else
                          _describe_output(o) if isinstance(o, (list, tuple)) else 'Symbol'
                          for o in out)
        return ('(%s)' if isinstance(out, tuple) else '[%s]') % items
    return repr(out)


class _NotInferred(ValueError):
    """Shape (or dtype) inference left the shape of some graph input unknown."""


def _in_graph_block(block, err):
    """``err``, raised by the node ``err.graph_node`` of ``block``'s graph (running it, or
    inferring its shapes), named with the innermost block whose prefix the node's name carries:
    ``net0_dense1 (Dense): node 'net0_dense1_fwd': ...`` names the layer that failed, as the
    eager call's error does; a node of ``block``'s own ``hybrid_forward`` (``net0__plus0``), or
    one without a name, gets ``block``'s name (:func:`_in_block`)."""
    owner, longest = block, len(block.prefix)
    stack = list(block._children.values())
    node = getattr(err, 'graph_node', None) or ''
    while stack:
        child = stack.pop()
        stack.extend(child._children.values())
        if len(child.prefix) > longest and node.startswith(child.prefix):
            owner, longest = child, len(child.prefix)
    return _in_block(owner, err)


def _signature_hint(block, args, params):
    """What ``block.hybrid_forward`` should look like when it cannot take the call
    ``hybrid_forward(F, *args, **params)`` (a PyTorch-style ``hybrid_forward(self, x)`` without
    ``F``, a Parameter left out); None when the call binds, so that the TypeError came from inside."""
    import inspect
    try:
        signature = inspect.signature(block.hybrid_forward)
        signature.bind(None, *args, **params)
    except TypeError:
        pass
    except ValueError:      # no signature to read (a builtin): nothing to say
        return None
    else:
        return None
    inputs = ['x'] if len(args) == 1 else ['x%d' % i for i in range(len(args))]
    own = '(self%s%s' % (', ' if str(signature) != '()' else '', str(signature)[1:])
    return ('hybrid_forward%s cannot take the call hybrid_forward(%s): F (mx.nd, or mx.sym when '
            "hybridized) comes first, then the inputs the block is called with, then the block's "
            'own Parameters by name, so for this call it reads hybrid_forward(%s)' % (
                own, ', '.join(['F'] + inputs + ['%s=...' % name for name in params]),
                ', '.join(['self', 'F'] + inputs + list(params))))


def _in_block(block, err):
    """``err`` (from an operator of ``block``'s ``hybrid_forward``, run eagerly or traced on
    Symbols, or from the deferred shape inference of its parameters) re-worded to start with
    the block's name and class, ``dense0 (Dense): FullyConnected: ...``, so that the user learns
    which layer failed, as a hybridized graph's error names its node; only the innermost block
    names itself."""
    if getattr(err, '_block_named', False):
        return err
    try:
        named = type(err)('%s (%s): %s' % (block.name, type(block).__name__, err))
    except Exception:      # noqa: BLE001 - an error type with another constructor: keep it as is
        return err
    named._block_named = True
    return named.with_traceback(err.__traceback__)
