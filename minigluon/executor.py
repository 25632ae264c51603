"""``CachedOp``: run a symbol graph on NDArrays from a plan made once (the engine behind ``hybridize``).

Semantics follow MXNet 1.9.1's ``CachedOp`` (``src/imperative/cached_op.cc``; its flags are the
``CachedOpConfig`` of ``cached_op.h``) as Gluon uses it: ``HybridBlock`` makes one per traced
graph, with the flags given to ``hybridize``.

Terms
-----
symbol, graph node
    The graph is a :class:`~minigluon.symbol.Symbol`; its nodes (``Symbol._nodes()``, in
    topological order) are variables (the graph inputs: data and Parameters) and operator nodes
    (an operator class, its parsed attributes, its input entries).
plan step, slot
    Each operator node becomes a *step* of the plan (:class:`minigluon.executor_plan._Step`); a
    *slot* is an index into the call's list of raw arrays: the graph inputs first (in
    ``symbol.list_inputs()`` order), then every step's visible outputs. The autograd *node* of
    a recorded call (:class:`minigluon.autograd.Node`) is another thing.
workspace
    With ``static_alloc``, a dict per plan step and thread, kept from call to call, in which an
    operator keeps its large buffers (:mod:`minigluon.ops._workspace`).
flags
    MXNet's CachedOp flags, ``(name, value)`` pairs as ``hybridize(...)`` passes them:
    ``static_alloc`` (MXNet: allocate the graph's memory statically, once; here: lend
    workspaces, let max Pooling keep its winners, and never inline); ``static_shape`` (MXNet:
    optimise for input shapes that stay the same between calls; here only checked: it needs
    ``static_alloc``, as in MXNet); ``inline_limit`` (default 2; MXNet: a graph of at most this
    many operators, without ``static_alloc``, is recorded operator by operator instead of as
    one node; :class:`_GraphGrad` says what that changes here); ``forward_bulk_size`` /
    ``backward_bulk_size`` (MXNet: how many operators run as one engine segment; kept, no
    effect).

When the ``CachedOp`` is made, everything that does not depend on the input values is worked out
(:meth:`CachedOp.__init__`): the topological order of the operator nodes, each node's operator
class and parsed attribute state (an instance is rebuilt with :meth:`Op._fast`, skipping
attribute parsing), the slot each input is read from, the slots its outputs go to, and which slots
are dead after each step (so intermediate arrays are freed as early as possible). The plan and its
rewrites (relu moved after max pooling; relu in place over a fresh output; max pooling and its
relu as one pass; a convolution, its relu and a 2x2 max pooling image by image) are made in
:mod:`minigluon.executor_plan`; the symbol, hence ``export``, is
never changed.

A call (:meth:`CachedOp.__call__` -> :meth:`CachedOp._call_planned`) is then a plain loop over raw
arrays: unwrap the inputs; while recording, find the slots on a gradient path
(:meth:`CachedOp._live`, cached per pattern of inputs wanting a gradient); run each step's
``forward``; wrap the outputs as NDArrays. As MXNet's ``CachedOp``, a recorded call is **one**
node on the autograd tape (:class:`_GraphGrad`): its backward, which ``loss.backward()`` reaches
like any other node's, walks the plan in reverse, only through the steps that lie between an
input that wants a gradient and an output, and accumulates gradients in a dict keyed by slot.
Operators, gradients, summation order and auxiliary-state updates (BatchNorm's running
statistics, written in place by the operator) are those of eager mode, so results are the same.

With ``static_alloc`` (``hybridize(static_alloc=True)``), operators that declare
``uses_workspace`` (the fused ``RNN``, Convolution, DeformableConvolution, Pooling) receive a
per-step dict kept across calls, in which they keep their large buffers and reuse them once
nothing else references them (checked with the reference count, so a graph still waiting for its
backward never shares memory with a new call).

Before a recorded step runs, its operator gets ``op.needs_input_grad`` (one bool per input: is it
on a gradient path?), so its backward can skip gradients nobody reads (autograd sets the same flag
in eager mode). A Convolution whose only reader is a Pooling gets ``op.strided_output_ok`` and,
on CuPy, returns its output in the layout its batch GEMM wrote (channel-first memory, an
``(N, C, ...)`` view; on NumPy its per-image GEMMs write the batch-first output anyway).
With ``static_alloc``, a recorded max Pooling whose input wants a gradient gets ``op.keep_argmax``:
its forward writes each window's winning kernel position into a workspace buffer that lives until
the backward, which then scatters the gradient without recomputing the maxima (same gradient,
bit for bit; eager calls never keep it, and the symbol is unchanged).

With an op hook installed (:meth:`CachedOp.set_monitor_callback`) the graph runs node by node
through :func:`minigluon.ndarray.invoke`, unrewritten, so the hook sees every node's true inputs and
outputs (and autograd records each node, as in eager mode).
"""
import threading

import numpy as np

from minigluon import autograd, backend
from minigluon._fp_errors import fp_errors_ignored
from minigluon.base import MXNetError, MXNetIndexError, MXNetTypeError, MXNetValueError
from minigluon.context import current_context
from minigluon.executor_plan import _optimise, make_plan, set_free_lists
from minigluon.ndarray.dispatch import _own, _zero_path
from minigluon.ndarray.helpers import _name_the_operator, _parse_ctx
from minigluon.ndarray.ndarray import NDArray, invoke

__all__ = ['CachedOp']

_state = autograd._state
_accumulate = autograd._accumulate


class _GraphGrad:
    """The autograd operator of one recorded call: backward runs the plan's steps in reverse.

    Made by :meth:`CachedOp._call_planned` and put on the tape as the ``op`` of one
    :class:`minigluon.autograd.Node` whose inputs are the call's NDArrays (the graph inputs) and
    whose outputs are the graph outputs. Autograd's backward calls :meth:`backward` as any
    operator's, with ``None`` for the outputs that received no gradient (``takes_missing_grads``).

    ``plan`` is the execution plan the call ran; ``ops[i]`` the operator instance that ran step
    ``i`` (None when the step is not on a path from an input that wants a gradient), ``metas[i]``
    the ``(shape, dtype)`` of its outputs; ``live`` the slots on such a path; ``out_slots`` the
    slots of the graph outputs; ``num_inputs`` the number of graph inputs (slots ``0 ..
    num_inputs-1``). Gradients of outputs that received none are zeros (eager semantics), and a
    step none of whose outputs received a gradient is skipped, as autograd skips such a node.

    ``in_metas`` (the inputs' ``(shape, dtype)``), when given, makes every input that wants a
    gradient get one: zeros when no step sends it any (an unused output's branch, a path through
    BlockGrad). MXNet 1.9.1's CachedOp node runs its whole backward graph, so such parameters
    get fresh zero gradients and ``Trainer.step`` does not call them stale. A graph MXNet
    inlines (at most ``inline_limit`` operators, without ``static_alloc``) is recorded there
    operator by operator, which leaves those gradients untouched; here it is still one node, made
    without ``in_metas`` so that they stay untouched too.

    Where MXNet 1.9.1's hybridized backward is wrong (measured), every input gets its true
    gradient here: MXNet never writes the gradient of an input that ``+`` adds straight into an
    output (``x*b + c``: ``c`` keeps its old gradient, which ``Trainer.step`` applies again);
    with ``grad_req='add'`` an inlined graph reads that input's accumulated gradient as the
    head gradient of the other addend; the parameters of the branch ``contrib.cond`` did not
    take keep their old gradients (and are not called stale); the parameters a hybridized
    ``contrib.while_loop`` body reads get wrong gradients (uninitialised memory when
    ``max_iterations`` exceeds the steps run); and a ``BlockGrad`` path with ``grad_req``
    ``'null'`` beside ``'add'``, or a ``contrib.foreach`` body that carries a new state ``s``
    and outputs ``s * 1``, fails in the backward pass.
    """

    name = 'CachedOp'
    takes_missing_grads = True     # autograd passes None (not zeros) for outputs without gradient

    def __init__(self, plan, ops, metas, live, out_slots, num_inputs, in_metas=None):
        self.plan, self.ops, self.metas, self.live = plan, ops, metas, live
        self.out_slots, self.num_inputs, self.in_metas = out_slots, num_inputs, in_metas

    def backward(self, xp, *head_grads):
        """The gradients of the graph inputs, a list in input order, from ``head_grads`` (one
        per graph output, None where none arrived). An input that no step sends a gradient
        gets None, or zeros where ``in_metas`` was given and it is on a gradient path."""
        grads = {}          # slot -> gradient, summed where a slot feeds several steps
        live = self.live
        for s, g in zip(self.out_slots, head_grads):
            if g is not None and s in live:
                _accumulate(grads, s, g)
        for i in range(len(self.plan) - 1, -1, -1):
            op = self.ops[i]
            if op is None:
                continue
            step = self.plan[i]
            gouts = [grads.pop(s, None) for s in step.outs]
            if all(g is None for g in gouts):
                continue
            metas = self.metas[i]
            gouts += [None] * (len(metas) - len(gouts))           # hidden outputs
            gouts = [xp.zeros(shape, dtype=dtype) if g is None else g
                     for g, (shape, dtype) in zip(gouts, metas)]
            gins = op.backward(xp, *gouts)
            if not isinstance(gins, (tuple, list)):
                gins = (gins,)
            for s, g in zip(step.ins, gins):
                if g is not None and s in live:
                    _accumulate(grads, s, g)
        gins = [grads.get(s) for s in range(self.num_inputs)]
        if self.in_metas is not None:
            gins = [xp.zeros(shape, dtype=dtype) if g is None and s in live else g
                    for s, (g, (shape, dtype)) in enumerate(zip(gins, self.in_metas))]
        return gins


def _at_node(step, err):
    """``err`` re-worded to start with the graph node that raised it, ``node 'dense0_fwd': ...``;
    the node's name is kept as ``err.graph_node`` so that a hybridized block can also name the
    child block the node belongs to (:func:`minigluon.block.hybrid._in_graph_block`)."""
    named = type(err)("node '%s': %s" % (step.name, err))
    named.graph_node = step.name
    return named


# MXNet 1.9.1's CachedOp flags (CachedOpConfig) by kind; another name is refused, as there
_BOOL_FLAGS = ('static_alloc', 'static_shape', 'is_dynamic')
_INT_FLAGS = ('inline_limit', 'forward_bulk_size', 'backward_bulk_size')
_LIST_FLAGS = ('data_indices', 'param_indices')


def _flag_on(flags, name):
    """Whether the boolean flag ``name`` of ``flags`` (``(name, value)`` pairs) is on: its value
    reads ``true`` or ``1`` (``True``, ``'True'``, ``'1'``...; MXNet's flags are strings).
    :func:`_check_flags` has refused other values."""
    return str(dict(flags).get(name, False)).lower() in ('true', '1')


def _check_flag(name, value):
    """Refuse a flag MXNet 1.9.1's CachedOp does not have, or a value it does not read as the
    flag's kind: a boolean reads as ``true``/``false``/``1``/``0`` in any case (``'yes'``,
    ``2``, ``None`` are refused: here they silently meant off), a count as an integer, at
    least 0 for the bulk sizes (MXNet 1.9.1 crashes on -1 with 'vector::reserve')."""
    text = str(value).lower()
    if name in _BOOL_FLAGS:
        ok = text in ('true', 'false', '1', '0')
        expected = 'a boolean (True/False, 1/0)'
    elif name in _INT_FLAGS:
        ok = text.lstrip('-').isdigit() and (name == 'inline_limit' or not text.startswith('-'))
        expected = 'an integer' if name == 'inline_limit' else 'an integer >= 0'
    elif name in _LIST_FLAGS:
        return
    else:
        raise MXNetValueError('CachedOp: unknown flag %r (MXNet 1.9.1\'s flags: %s)'
                              % (name, ', '.join(_BOOL_FLAGS + _INT_FLAGS + _LIST_FLAGS)))
    if not ok:
        raise MXNetValueError('CachedOp: flag %s expects %s, got %r' % (name, expected, value))


def _check_flags(flags):
    """Refuse unknown flags and values of the wrong kind (:func:`_check_flag`), and
    ``static_shape`` without ``static_alloc``, as MXNet 1.9.1's CachedOp does."""
    for name, value in flags:
        _check_flag(name, value)
    if _flag_on(flags, 'static_shape') and not _flag_on(flags, 'static_alloc'):
        raise MXNetValueError('CachedOp: static_alloc must be True when static_shape is True '
                              '(hybridize(static_alloc=True, static_shape=True))')


def _unique_input_names(nodes):
    """The names of the graph's variables, in ``nodes`` order; they must be unique, since a call
    gives one array per name."""
    names = [n.name for n in nodes if n.is_variable]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise MXNetError('CachedOp: the graph has several inputs named %s; input names must '
                         'be unique' % dup)
    return names


def _naming_the_node(step, run, *args):
    """``run(*args)`` (one node's forward), whose errors start with the node's name
    (:func:`_at_node`): an ``MXNetValueError``/``MXNetTypeError``/``MXNetIndexError`` (keeping
    its traceback and cause), or a plain ``ValueError``/``TypeError`` (also a subclass that the
    operator naming kept: a custom operator's). Other ``MXNetError`` kinds pass unchanged. Both
    ways of running a graph use it: the plan (:meth:`CachedOp._forward`) and, with an op hook,
    node by node through ``invoke``, so that the error names the node, and the hybridized block
    the child it belongs to, either way."""
    try:
        return run(*args)
    except (MXNetValueError, MXNetTypeError, MXNetIndexError) as err:
        raise _at_node(step, err).with_traceback(
            err.__traceback__) from err.__cause__    # keeps a custom op's own error
    except MXNetError:
        raise
    except (ValueError, TypeError) as err:
        raise _at_node(step, err) from err


def _forward_named_op(step, op, raws, xp, ctx):
    """``op.forward`` on the raw arrays (a node without array inputs, ``_zeros``..., on its
    ``ctx`` attribute, which must be the call's context); a plain ``ValueError``/``IndexError``/
    ``TypeError`` re-worded to name the operator and its inputs, as
    :func:`~minigluon.ndarray.invoke` does."""
    try:
        if step.ins:
            return op.forward(xp, *raws)
        octx = _parse_ctx(getattr(op, 'ctx', None)) or ctx
        if octx != ctx:
            raise _at_node(step, MXNetError('creates an array on %s inside a graph running on %s'
                                            % (octx, ctx)))
        with ctx.device():
            return op.forward(ctx.xp)
    except (ValueError, IndexError, TypeError) as err:
        named = _name_the_operator(op, err, raws)
        if named is err:
            raise
        raise named.with_traceback(err.__traceback__) from None


class CachedOp:
    """An execution plan for ``symbol``, callable on NDArrays.

    Parameters
    ----------
    symbol : Symbol
        The graph. Its inputs (``symbol.list_inputs()``) must have distinct names.
    flags : sequence of (str, value), optional
        MXNet's CachedOp flags (``static_alloc``, ``static_shape``, ...); kept in ``self.flags``.

    Raises
    ------
    MXNetError
        If two inputs share a name, or the graph reads a hidden output of an operator (e.g.
        BatchNorm's saved mean), which :func:`~minigluon.ndarray.invoke` does not return.
        ``MXNetValueError`` if ``static_shape`` is set without ``static_alloc`` (MXNet 1.9.1's
        CachedOp check, so a block hybridized that way raises at its first call).

    Examples
    --------
    >>> op = CachedOp(sym.FullyConnected(sym.var('x'), num_hidden=3, name='fc'))
    >>> y, = op(x, weight, bias)        # in symbol.list_inputs() order
    """

    def __init__(self, symbol, flags=()):
        self.symbol = symbol
        self.flags = tuple(flags)
        _check_flags(self.flags)
        nodes = symbol._nodes()
        self.input_names = _unique_input_names(nodes)
        plan, slot_of = make_plan(nodes, symbol._outputs)
        self.num_inputs = len(self.input_names)
        self.out_slots = [slot_of[(id(n), i)] for n, i in symbol._outputs]
        self.num_slots = len(slot_of)
        # A slot can be dropped after its last reader, unless it is an input or a graph output.
        keep = set(self.out_slots) | set(range(self.num_inputs))
        set_free_lists(plan, keep)
        self._plan = plan                          # node by node, as the symbol says
        self._exec_plan = _optimise(plan, keep)    # what a call runs (module docstring)
        self._live_cache = {}       # inputs wanting a gradient (tuple of bool) -> _live's answer
        # Fill nodes (``_zeros``...) whose shape has a 0: sized per call by shape inference
        self._open_fills = {slot_of[(id(n), 0)]: n for n in nodes
                            if not n.is_variable and not n.inputs and 0 in (n.state.get('shape') or ())}
        self._fill_cache = {}       # the inputs' shapes -> _fill_shapes's answer
        self._monitor = None        # (callback, monitor_all) while an op hook is set
        # static_alloc: operators that declare ``uses_workspace`` get a dict per step (and thread),
        # kept across calls, in which they keep large buffers for reuse (see ops/_workspace.py)
        self._static_alloc = _flag_on(self.flags, 'static_alloc')
        self._workspaces = {}       # (thread id, index of the step in _exec_plan) -> workspace
        # The output slots an op hook reports: those some step reads and the graph's outputs, as
        # MXNet 1.9.1 frees an output nobody reads before its hook runs; with static_alloc it
        # keeps (and reports) them all
        self._hooked_outputs = (set(slot_of.values()) if self._static_alloc else
                                {s for step in plan for s in step.ins} | set(self.out_slots))
        # MXNet records a graph of at most inline_limit operators (without static_alloc) operator
        # by operator ("inlined"); here it stays one node, made as _GraphGrad says
        self._inlined = (not self._static_alloc and
                         len(plan) <= int(dict(self.flags).get('inline_limit', 2)))

    def __reduce__(self):
        """Pickle (and copy) as the graph and the flags: the Symbol goes as its JSON and the plan is
        made again when loading, so no operator instance is pickled; a monitor callback is not
        kept. (MXNet 1.9.1's CachedOp is a C handle and cannot be pickled; a HybridBlock never
        pickles its own, see ``HybridBlock.__getstate__``.)"""
        return CachedOp, (self.symbol, self.flags)

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, op_name, array)`` for every operator output as the graph runs.

        ``name`` is ``<node name>_<output name>``, with MXNet 1.9.1's names: the operator's own
        (``output``, ``output0``...) where MXNet registers names for its outputs
        (``FullyConnected``, ``Activation``), else the output's index (``relu0_0``); with
        ``monitor_all`` the inputs come first, as ``<node name>_<input name>`` (``data``,
        ``lhs``; ``input0``... for the operators that register no input names: ``relu``,
        ``sum``, ``Reshape``). See :func:`minigluon.symbol.graph.hook_names`. As in MXNet, an
        output that no node reads and that is not a graph output (``split``'s unused parts) is
        not reported, except with ``static_alloc``. This is what ``HybridBlock.register_op_hook`` installs; MXNet 1.9.1 passes
        byte strings and a raw handle, minigluon passes ``str`` names and the :class:`NDArray`.
        ``callback=None`` removes it.
        While a callback is set, calls run node by node without the plan rewrites.
        """
        if callback is not None and not callable(callback):
            raise TypeError('set_monitor_callback: callback must be callable or None, got %s'
                            % type(callback).__name__)
        self._monitor = None if callback is None else (callback, bool(monitor_all))

    def _report(self, step, op, inputs, res):
        """Hand one node's inputs (with ``monitor_all``) and outputs to the op hook."""
        callback, monitor_all = self._monitor
        op_name = step.op_name or op.name      # the node's operator (broadcast_add, not elemwise_add)
        in_names, out_names = step.hook_names
        if monitor_all:
            for name, arr in zip(in_names, inputs):
                callback('%s_%s' % (step.name, name), op_name, arr)
        outs = res if step.multi else [res]
        for name, arr, slot in zip(out_names, outs, step.outs):
            if slot in self._hooked_outputs:
                callback('%s_%s' % (step.name, name), op_name, arr)

    def __call__(self, *args):
        """Run the graph on NDArrays given in ``symbol.list_inputs()`` order.

        Returns
        -------
        list of NDArray
            One per graph output.

        Raises
        ------
        MXNetValueError
            If the number of arrays differs from the number of graph inputs (an ``MXNetError``,
            as MXNet 1.9.1's).
        TypeError
            If an argument is not an NDArray.
        MXNetError
            If the inputs are on different devices (CPU contexts mix, as in eager calls), or an
            operator fails; the message names the node.
        """
        if len(args) != self.num_inputs:
            raise MXNetValueError('CachedOp: expected %d inputs %s, got %d'
                                  % (self.num_inputs, self.input_names, len(args)))
        for name, a in zip(self.input_names, args):
            if not isinstance(a, NDArray):
                raise TypeError("CachedOp: input '%s' must be an NDArray, got %s"
                                % (name, type(a).__name__))
        if self._monitor is not None:
            return self._call_node_by_node(args)
        return self._call_planned(args)

    def _fill_shapes(self, args):
        """``{slot: shape}`` for the fill nodes whose shape has a 0 (unknown) dimension, as shape
        inference from the input shapes completes it. MXNet sizes them the same way: the zero
        begin state ``_zeros(shape=(0, H))`` of a cell unrolled in a hybridized block takes the
        batch size of the data. Cached per input shapes; a node left incomplete keeps its shape."""
        if not self._open_fills:
            return None
        key = tuple(a.shape for a in args)
        found = self._fill_cache.get(key)
        if found is None:
            from minigluon.symbol import infer
            given = {n: tuple(a.shape) for n, a in zip(self.input_names, args)}
            dtypes = {(id(n), 0): np.dtype(a.dtype) for n, a in zip(
                [n for n in self.symbol._nodes() if n.is_variable], args)}
            try:
                vals = infer.sweep_shapes(self.symbol, lambda node: given.get(node.name), dtypes)[0]
            except MXNetError:
                vals = {}
            found = {slot: vals[(id(node), 0)] for slot, node in self._open_fills.items()
                     if infer._known(vals.get((id(node), 0)))}
            self._fill_cache[key] = found
        return found

    # -- node by node through invoke (op hooks) ------------------------------------------------------
    def _call_node_by_node(self, args):
        """Run ``_plan`` (node by node, unrewritten) through :func:`invoke`, as eager calls run:
        each node is recorded on its own while recording, and the op hook sees each node's
        inputs and outputs (:meth:`_report`). Slots hold NDArrays here, not raw arrays."""
        slots = list(args) + [None] * (self.num_slots - self.num_inputs)
        fills = self._fill_shapes(args)
        inference = not autograd.is_recording()
        for step in self._plan:
            op = step.cls._fast(step.state, step.given)
            if fills and step.outs[0] in fills:
                op.shape = fills[step.outs[0]]
            op.graph_inference = inference
            inputs = [slots[i] for i in step.ins]
            res = _naming_the_node(step, invoke, op, inputs)
            self._report(step, op, inputs, res)
            if step.multi:
                for s, r in zip(step.outs, res):
                    slots[s] = r
            else:
                slots[step.outs[0]] = res
            for s in step.free:
                slots[s] = None
        return [slots[s] for s in self.out_slots]

    # -- the plan on raw arrays, one autograd node ----------------------------------------------------
    def _live(self, wants):
        """``(live, needs)``: the slots on a path from an input that wants a gradient, through
        differentiable steps, and per step the tuple telling which of its inputs are live (set
        as ``op.needs_input_grad``: an operator's backward may skip the gradients nobody reads)."""
        cached = self._live_cache.get(wants)
        if cached is None:
            live = {i for i, w in enumerate(wants) if w}
            for step in self._exec_plan:
                if step.cls.differentiable and any(s in live for s in step.ins):
                    live.update(step.outs)
            needs = [tuple(s in live for s in step.ins) for step in self._exec_plan]
            self._live_cache[wants] = cached = (frozenset(live), needs)
        return cached

    @fp_errors_ignored      # the graph's kernels, as invoke runs eager ones (see _fp_errors)
    def _call_planned(self, args):
        """Run ``_exec_plan`` on the raw arrays of ``args``. The steps: unwrap the inputs
        (:meth:`_raw_inputs`); while recording, find the slots on a gradient path
        (:meth:`_live`); run each step's operator (keeping the instances a backward needs);
        if an output is on a gradient path, record the whole call as one autograd node
        (:class:`_GraphGrad`); wrap the outputs as NDArrays (:meth:`_wrap_outputs`)."""
        raws, ctx, xp = self._raw_inputs(args)
        record = getattr(_state, 'recording', False)
        live = needs = None
        if record:
            wants = tuple(autograd.needs_grad(a) for a in args)
            if any(wants):
                live, needs = self._live(wants)
        plan = self._exec_plan          # run the steps: slots hold the raw arrays
        ops = [None] * len(plan) if live is not None else None      # what the backward runs
        metas = [None] * len(plan) if live is not None else None    # (shape, dtype) of outputs
        slots = raws + [None] * (self.num_slots - self.num_inputs)
        tid = threading.get_ident() if self._static_alloc else None
        fills = self._fill_shapes(args)
        for i, step in enumerate(plan):
            op = step.cls._fast(step.state, step.given)
            if fills and step.outs[0] in fills:
                op.shape = fills[step.outs[0]]
            if tid is not None and getattr(step.cls, 'uses_workspace', False):
                op.static_workspace = self._workspaces.setdefault((tid, i), {})
            if live is not None:
                op.needs_input_grad = needs[i]
                if step.argmax_ok and tid is not None and needs[i][0]:
                    op.keep_argmax = True
            if step.layout_free:
                op.strided_output_ok = True
            op.graph_inference = not record
            res = self._forward(step, op, [slots[s] for s in step.ins], xp, ctx)
            if type(res) is not np.ndarray:
                res = list(res) if isinstance(res, (tuple, list)) else [res]
                res = [o if backend.is_array(o) else xp.asarray(o) for o in res]
                for s, r in zip(step.outs, res):
                    slots[s] = r
                if live is not None and step.outs[0] in live:
                    ops[i], metas[i] = op, [(r.shape, r.dtype) for r in res]
            else:
                slots[step.outs[0]] = res
                if live is not None and step.outs[0] in live:
                    ops[i], metas[i] = op, ((res.shape, res.dtype),)
            for s in step.free:
                slots[s] = None
        node = None                     # the call's autograd node
        if live is not None and any(s in live for s in self.out_slots):
            grad_op = _GraphGrad(plan, ops, metas, live, self.out_slots, self.num_inputs,
                                 None if self._inlined else [(r.shape, r.dtype) for r in raws])
            node = autograd.Node(grad_op, args, [(slots[s].shape, slots[s].dtype)
                                                 for s in self.out_slots], xp)
            autograd._join_inputs(args)
        return self._wrap_outputs(args, raws, slots, ctx, node, live, record)

    def _raw_inputs(self, args):
        """``(raws, ctx, xp)``: the NumPy/CuPy arrays of the NDArrays ``args``, the context of
        the first (the current context when there are none) and the array module to run on.

        Raises
        ------
        MXNetError
            When the inputs are on different devices (CPU contexts mix, as in eager calls).
        """
        ctx = args[0]._ctx if args else current_context()
        raws = []
        for a in args:
            if a._ctx is not ctx and a._ctx != ctx and (ctx.is_gpu or a._ctx.is_gpu):
                raise MXNetError('CachedOp: inputs are on different contexts (%s and %s); move '
                                 'them with as_in_context()' % (ctx, a._ctx))
            raws.append(a._data)
        xp = ctx.xp if backend.cupy is None or not raws else backend.get_array_module(*raws)
        return raws, ctx, xp

    def _wrap_outputs(self, args, raws, slots, ctx, node, live, record):
        """The call's outputs as NDArrays on ``ctx``, one per graph output: a graph input passed
        straight through is returned as it is; any other output is a new array (a copy where it
        is a view of an input, as MXNet copies), pointing at output ``k`` of the autograd
        ``node`` when it is on a gradient path (slot in ``live``), else, while recording, sent
        down the zero path (:func:`~minigluon.ndarray.dispatch._zero_path`: its backward sends
        zeros, as for an argmax)."""
        outs = []
        for k, s in enumerate(self.out_slots):
            if s < self.num_inputs:
                outs.append(args[s])         # an input passed straight through
                continue
            out = NDArray(_own(slots[s], raws), ctx)     # not a view of an input (MXNet copies)
            if node is not None and s in live:
                out._entry = (node, k)
            elif record:           # no gradient path (e.g. an argmax): backward sends zeros
                _zero_path(args, (out,))
            outs.append(out)
        return outs

    @staticmethod
    def _forward(step, op, raws, xp, ctx):
        """``op.forward`` with the errors of :func:`~minigluon.ndarray.invoke`, naming the node.

        Two layers: :func:`_forward_named_op` re-words a plain ``ValueError``/``IndexError``/
        ``TypeError`` to name the operator and its inputs, as :func:`~minigluon.ndarray.invoke`
        does; :func:`_naming_the_node` puts the graph node's name in front."""
        return _naming_the_node(step, _forward_named_op, step, op, raws, xp, ctx)

    def __repr__(self):
        return 'CachedOp(%d inputs, %d operator nodes, %d outputs)' % (
            self.num_inputs, len(self._plan), len(self.out_slots))


# MXNet's Executor (Symbol.bind) is out of scope: asking for it says so (hasattr() stays False)
from minigluon import base as _base  # noqa: E402
__getattr__ = _base.out_of_scope_getattr('minigluon.executor', {
    'Executor': 'the Module API (mx.executor.Executor, made by Symbol.bind)'},
    'run a Symbol with sym.eval(ctx=mx.cpu(), **arrays) or wrap it in gluon.SymbolBlock(outputs, inputs)')
