"""Automatic differentiation: recording scopes, the tape, ``backward`` and custom ``Function``.

Semantics follow ``mxnet.autograd`` (MXNet 1.9.1). While :func:`record` is active, every operator
call whose inputs need a gradient creates a :class:`Node` (operator instance, inputs, output
shapes) and its outputs point back to it. Each node carries a sequence number in execution order,
so :func:`backward` visits the reachable nodes in reverse execution order with an explicit stack:
no recursion, so a chain of 100,000 operations back-propagates fine. The graph lives on the arrays
(no global list), so graphs that are dropped are freed by Python, and two threads record
independently (recording and training flags are thread-local).

After ``backward`` without ``retain_graph`` the nodes release their saved arrays; a second
``backward`` through them raises :class:`~minigluon.base.MXNetError`. An array of such a freed graph
that is used again under :func:`record` is a constant there (no gradient flows back through it), as
in MXNet 1.9.1, which forgets the graph of every array it back-propagated through. Legacy training
loops rely on this: a recurrent state carried from one batch to the next needs no ``detach``.

Terms used here and in :mod:`minigluon.ndarray.dispatch`: the **tape** (or the recorded
**graph**; both words name the same thing) is the set of :class:`Node` objects reachable from
arrays' ``_entry`` links; a node is **freed** (``op`` set to None) by a ``backward`` without
``retain_graph``. The autograd state an ``NDArray`` carries:

- ``_entry``: ``(node, output index)`` for the output of a recorded operator, else None;
- ``_grad`` / ``_grad_req``: the gradient buffer and ``'write'``/``'add'``/``'null'`` of a
  *variable* (``attach_grad``, :func:`mark_variables`); ``_fresh_grad``: ``backward`` wrote
  ``_grad`` since ``Trainer.step`` last looked;
- ``_joined``: the array is *in the graph* without being a recorded output (see :class:`Node`);
- ``_zero_src``: the recorded arrays an output of a non-differentiable operator hangs off, to
  which ``backward`` from it sends zeros (:func:`minigluon.ndarray.dispatch._zero_path`);
- ``_before_attach``: what earlier nodes saw before ``attach_grad`` (:func:`_keep_history`).

Reading order: :func:`record`, :class:`Node`, then :func:`backward` and the steps of
:func:`_run_backward` (seed the heads, collect the reachable nodes, run their ``backward`` in
reverse execution order, write the variables' ``.grad``).
"""
import itertools
import threading

from minigluon import base as _base
from minigluon._fp_errors import fp_errors_ignored, with_numpy_defaults
from minigluon.base import (MXNetError, RuntimeAssertionError, TypeAssertionError,
                            ValueAssertionError)

_state = threading.local()
_seq = itertools.count()


def _get(name):
    return getattr(_state, name, False)


def is_recording():
    """True inside ``record()`` (and not inside a nested ``pause()``)."""
    return _get('recording')


def is_training():
    """True in training mode: layers such as Dropout and BatchNorm use batch behaviour."""
    return _get('training')


def set_recording(is_recording):  # noqa: F811 -- MXNet's parameter name shadows the function
    """Set the recording flag of this thread to ``is_recording``; return the previous value."""
    prev = _get('recording')
    _state.recording = bool(is_recording)
    return prev


def set_training(train_mode):
    """Set the training flag of this thread; return the previous value."""
    prev = is_training()
    _state.training = bool(train_mode)
    return prev


class _RecordingStateScope:
    """Context manager that sets recording and/or training flags and restores them on exit."""

    def __init__(self, is_record, train_mode):
        self._enter_record = is_record
        self._enter_train = train_mode
        self._prev = None

    def __enter__(self):
        self._prev = (is_recording(), is_training())
        if self._enter_record is not None:
            set_recording(self._enter_record)
        if self._enter_train is not None:
            set_training(self._enter_train)
        return self

    def __exit__(self, *exc):
        set_recording(self._prev[0])
        set_training(self._prev[1])


def record(train_mode=True):
    """Scope in which operator calls are recorded for :func:`backward`.

    Parameters
    ----------
    train_mode : bool, default True
        Also switch to training mode (Dropout active, BatchNorm uses batch statistics).
    """
    return _RecordingStateScope(True, train_mode)


def pause(train_mode=False):
    """Scope in which recording is off (e.g. metric computation inside a training step)."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    """Scope in training mode without changing the recording flag."""
    return _RecordingStateScope(None, True)


def predict_mode():
    """Scope in prediction mode without changing the recording flag."""
    return _RecordingStateScope(None, False)


class Node:
    """One recorded operator call.

    ``op`` is the operator instance (holding what its backward needs), ``inputs`` the input
    NDArrays (a list or tuple, never mutated), ``out_meta`` the ``(shape, dtype)`` pair of every
    output, given by the caller (used to build zero gradients for outputs that received none).
    ``op`` and ``inputs`` are set to ``None`` when freed, and ``freed_seq`` then says when.
    Creating nodes is on the path of every recorded operator call, so the constructor only
    stores its arguments.

    The inputs that are no operator output (plain arrays and variables) **join the graph** when
    the node is recorded: whoever records it sets their ``_joined`` flag, and :meth:`release`
    clears it. As in MXNet 1.9.1 (which gives such an array a graph node of its own), a joined
    array cannot be written into in place while recording (:mod:`minigluon.ndarray.inplace`),
    since the node's backward may read it; the operators that a joined array feeds are recorded
    too (their outputs join), and it may be one of several heads of ``backward`` (it sends
    nothing). It stays joined until a ``backward`` without ``retain_graph`` frees a node that
    reads it, even if the graph was dropped, as in MXNet. Writing into it outside ``record()``
    before that ``backward`` is allowed, as in MXNet: the backward then reads the new values
    where the operator kept its input (``x * w``: ``w.grad`` is the new ``x``, as in MXNet).
    """

    __slots__ = ('seq', 'op', 'inputs', 'out_meta', 'xp', 'freed_seq', '__weakref__')

    def __init__(self, op, inputs, out_meta, xp):
        self.seq = next(_seq)
        self.op = op
        self.inputs = inputs
        self.out_meta = out_meta
        self.xp = xp

    def release(self):
        """Free the node (``backward`` without ``retain_graph``): its inputs, as it recorded them
        (not a variable attached to the array since: see :func:`_keep_history`), leave the graph,
        as MXNet frees their nodes."""
        for x in _inputs(self):
            if x is not None:
                _leave_graph(x)
        self.op = None
        self.inputs = None
        self.freed_seq = next(_seq)    # nodes recorded later take this node's outputs as constants


def _join_inputs(inputs):
    """The inputs of a node just recorded that are no operator output (plain arrays and
    variables) join the graph (see :class:`Node`). Every place that records a node calls this:
    :func:`minigluon.ndarray.dispatch.invoke`, :class:`Function`, the graph executor."""
    for x in inputs:
        if x._entry is None and not x._joined:
            x._joined = True


def _drop_join(arr):
    """Take ``arr`` itself out of the graph: no longer joined, and a ``grad_req='null'``
    variable becomes a plain array again (``.grad`` None), as in MXNet. Returns what
    ``arr._joined`` was: False, True, or a tuple of weak references to the arrays it was
    computed from (see :func:`_unjoin`)."""
    joined = arr._joined
    arr._joined = False
    if arr._grad_req == 'null':
        arr._grad = None
    return joined


def _leave_graph(arr):
    """``arr`` leaves the graph, and so do the plain arrays it was computed from (:func:`_unjoin`)."""
    joined = _drop_join(arr)
    if joined.__class__ is tuple:
        _unjoin(joined)


def _unjoin(sources):
    """Take out of the graph the plain arrays that a joined array was computed from.

    An operator not put on the tape whose inputs include plain arrays of the graph (``x * w`` with
    ``x`` joined, ``o > t`` with ``o`` recorded and ``t`` plain: see
    :func:`minigluon.ndarray.dispatch._zero_path`) makes them join the graph and gives outputs
    whose ``_joined`` is the tuple of weak references to those inputs. MXNet records such an
    operator as a node, so a ``backward`` that reaches its output frees the node and, with it,
    its inputs: here the release of a node reading that output follows these references, so
    that ``t[:] = v`` under ``record()`` is allowed again afterwards, as in MXNet. Weak references,
    so that a chain of such arrays (``m = m * 0.9 + x`` in a loop) keeps no memory alive; each
    tuple also holds the live arrays its inputs' tuples named, so a freed intermediate array
    breaks no chain.
    """
    stack = [sources]
    while stack:
        for ref in stack.pop():
            a = ref()
            if a is None or not a._joined:
                continue
            joined = _drop_join(a)
            if joined.__class__ is tuple:
                stack.append(joined)


def on_tape(arr):
    """True if ``arr`` is the output of a recorded operator whose graph is still held.

    An array whose graph an earlier ``backward`` freed loses its link here and counts as a constant
    from then on (see the module docstring).
    """
    entry = arr._entry
    if entry is None:
        return False
    if entry[0].op is None:
        arr._entry = None
        return False
    return True


def needs_grad(arr):
    """True if ``arr`` is on a recorded path to a variable that wants a gradient."""
    return on_tape(arr) or (arr._grad is not None and arr._grad_req != 'null')


def mark_variables(variables, gradients, grad_reqs='write'):
    """Mark NDArrays as variables whose gradients ``backward`` writes into ``gradients``.

    Parameters
    ----------
    variables : NDArray or list of NDArray
    gradients : NDArray or list of NDArray
        Buffers of the same shapes.
    grad_reqs : str or list of str
        ``'write'``, ``'add'`` or ``'null'``. A ``'null'`` variable wants no gradient but is in
        the graph, as in MXNet 1.9.1: see :meth:`minigluon.ndarray.NDArray.attach_grad`.

    As in MXNet 1.9.1, each array given as a gradient buffer becomes an array of the graph that
    wants no gradient (``grad_req='null'``, see :meth:`~minigluon.ndarray.NDArray.attach_grad`):
    it may be one of the heads of ``backward`` (it sends nothing), writing into it in place while
    recording raises, one that was a variable (another one's, or the variable itself:
    ``mark_variables([x], [x])``) stops being one, and one computed by recorded operators is
    read as a constant by the operations recorded from then on (those recorded before keep
    their graph, see :func:`_keep_history`). ``attach_grad``'s own buffer is not given by the
    caller, so it stays a plain array (MXNet's ``.grad`` is a copy of the handle, without the
    node). When two variables share one buffer with ``'write'``, the one whose gradient is
    written last wins: minigluon writes them in the order the backward pass reaches them (from
    the last recorded operation back), MXNet in an order its backward graph sets (docs/PORTING.md's
    differences).

    Raises
    ------
    TypeError
        When one of ``variables`` and ``gradients`` is a list and the other not (a
        ``TypeAssertionError``: MXNet 1.9.1 asserts that a single variable has a single buffer,
        and takes a list of variables with one buffer array).
    ValueError
        When the lists differ in length, for another ``grad_req``, or for a buffer whose shape
        or dtype differs from its variable's (MXNet 1.9.1 fails in the backward pass).
    """
    if isinstance(variables, (list, tuple)) != isinstance(gradients, (list, tuple)):
        raise TypeAssertionError('mark_variables: variables and gradients must both be NDArrays '
                                 'or both lists of NDArrays, got %s and %s'
                                 % (type(variables).__name__, type(gradients).__name__))
    if not isinstance(variables, (list, tuple)):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not len(variables) == len(gradients) == len(grad_reqs):
        raise ValueError('mark_variables: variables, gradients and grad_reqs differ in length '
                         '(%d, %d, %d)' % (len(variables), len(gradients), len(grad_reqs)))
    for var, grad, req in zip(variables, gradients, grad_reqs):
        if tuple(grad.shape) != tuple(var.shape):
            raise ValueError('mark_variables: gradient buffer shape %s differs from variable shape %s'
                             % (grad.shape, var.shape))
        if grad._data.dtype != var._data.dtype:
            raise ValueError('mark_variables: gradient buffer dtype %s differs from variable dtype %s'
                             % (grad._data.dtype, var._data.dtype))
        _make_variable(var, grad, req, 'mark_variables')
        _keep_history(grad)         # the buffer: in the graph, wanting no gradient (see above)
        grad._entry = None
        grad._grad = None
        grad._grad_req = 'null'
        grad._joined = True


def _make_variable(var, grad, req, caller):
    """Make ``var`` a variable whose gradient ``backward`` writes into ``grad`` (for
    :func:`mark_variables` and ``NDArray.attach_grad``, named ``caller`` in the error).

    Raises
    ------
    ValueError
        When ``req`` is not 'write', 'add' or 'null'.
    """
    if req not in ('write', 'add', 'null'):
        raise ValueError("%s: grad_req must be 'write', 'add' or 'null', got %r" % (caller, req))
    _keep_history(var)
    var._entry = None
    var._grad = grad
    var._grad_req = req
    if req == 'null' and not var._joined:
        var._joined = True      # in the graph, without a gradient (see Node)


def _keep_history(var):
    """Before ``var`` becomes a new variable, keep what the recorded operators that read it saw.

    As in MXNet 1.9.1, ``attach_grad`` (or :func:`mark_variables`) on an array that recorded
    operators already read makes it a new variable for the operations recorded from then on
    only: those recorded before keep their graph. Their backward still goes through the array's
    earlier place in the graph (an operator output: on to its inputs), sends the gradient to its
    earlier buffer (a variable), or nowhere (a plain array), and the new ``.grad`` gets nothing
    from them. The earlier state is kept as a shell NDArray sharing the values, with the time of
    the change (``_before_attach = (seq, shell)``); ``backward`` reads it for nodes recorded
    before that time (:func:`_as_recorded`). It is kept only when a recorded operator may still
    read the array (an operator output, or ``_joined``), else the history is dropped.
    """
    if var._joined or (var._entry is not None and on_tape(var)):
        from minigluon.ndarray.ndarray import NDArray
        shell = NDArray(var._data, var._ctx)
        shell._entry, shell._grad, shell._grad_req = var._entry, var._grad, var._grad_req
        shell._zero_src, shell._before_attach = var._zero_src, var._before_attach
        var._before_attach = (next(_seq), shell)
        global _histories_kept
        _histories_kept = True
    else:
        var._before_attach = None


# Whether any array ever kept a history (:func:`_keep_history`): until then (in almost every
# program) :func:`_inputs` returns a node's inputs without looking at them.
_histories_kept = False


def _as_recorded(arr, seq):
    """``arr`` as the node numbered ``seq`` recorded it (see :func:`_keep_history`)."""
    while arr._before_attach is not None and arr._before_attach[0] > seq:
        arr = arr._before_attach[1]
    return arr


def _inputs(node):
    """The node's inputs as they were when it was recorded."""
    if not _histories_kept:
        return node.inputs
    for x in node.inputs:
        if x is not None and x._before_attach is not None:
            break
    else:
        return node.inputs
    return [None if x is None else _as_recorded(x, node.seq) for x in node.inputs]


def _live(arr):
    # inside backward: the array's node is in the graph being walked (not one freed earlier)
    return arr._entry is not None and arr._entry[0].op is not None


def _wants_grad(arr):
    # a variable whose .grad backward writes (a grad_req='null' one is in the graph but wants none)
    return arr._grad is not None and arr._grad_req != 'null'


def _accumulate(store, key, value):
    prev = store.get(key)
    store[key] = value if prev is None else prev + value


class _Gradients:
    """The raw gradient arrays one backward pass collects, summed where they meet (fan-out)."""

    __slots__ = ('nodes', 'leaves', 'arrays')

    def __init__(self):
        self.nodes = {}     # (node, output index) -> gradient of that output
        self.leaves = {}    # id(array) -> gradient of an array without a node (a variable)
        self.arrays = {}    # id(array) -> that array

    def to_node(self, entry, g):
        _accumulate(self.nodes, entry, g)

    def to_leaf(self, arr, g):
        _accumulate(self.leaves, id(arr), g)
        self.arrays[id(arr)] = arr


@fp_errors_ignored        # inf/nan gradients without NumPy's RuntimeWarnings, as in MXNet
def _run_backward(heads, head_grads, retain_graph, train_mode, variables=None):
    """Back-propagate from ``heads``; write into variable grads, or return grads of ``variables``.

    The steps: :func:`_seed_heads` (each head's gradient goes to its node or variable),
    :func:`_reachable_nodes` (which nodes lie behind the heads, in reverse execution order), the
    checks that something wants a gradient, :func:`_propagate` (each node's ``backward``), then
    :func:`_write_grads` (into ``.grad`` by ``grad_req``), or the list :func:`grad` returns.
    """
    from minigluon.ndarray.ndarray import NDArray  # local: ndarray imports this module

    if isinstance(heads, NDArray):
        heads = [heads]
    heads = list(heads)
    if head_grads is None:
        head_grads = [None] * len(heads)
    elif isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise ValueError('backward: got %d heads but %d head_grads' % (len(heads), len(head_grads)))
    for i, (head, hg) in enumerate(zip(heads, head_grads)):
        if not isinstance(head, NDArray):
            raise TypeError('backward: heads[%d] must be an NDArray, got %s' % (i, type(head).__name__))
        if hg is not None and not isinstance(hg, NDArray):
            raise TypeError('backward: head_grads[%d] must be an NDArray or None, got %s'
                            % (i, type(hg).__name__))

    grads = _Gradients()
    roots, passive = _seed_heads(heads, head_grads, grads)
    order, reached, wanted = _reachable_nodes(roots, grads.arrays)
    if variables is None and not wanted:
        raise MXNetError('backward: no array that requires a gradient leads to the heads (they '
                         'were computed only from arrays without attach_grad, or with '
                         "grad_req='null'); MXNet 1.9.1 raises too")
    if variables is not None:
        for i, v in enumerate(variables):
            if id(v) not in reached:    # checked before anything runs or is freed, as MXNet
                raise MXNetError('autograd.grad: variables[%d] is unreachable from the heads (no '
                                 'recorded operation leads from it to them), so it has no gradient'
                                 % i)
    _propagate(order, grads, retain_graph, train_mode)
    if not retain_graph:
        for head in passive:          # leave the graph, as the inputs of released nodes do
            head._zero_src = None     # (x == y).min() too: MXNet frees its node, writes are allowed
            _leave_graph(head)

    if variables is not None:
        out = []
        for v in variables:
            g = grads.leaves.get(id(v))
            out.append(NDArray(g if g is not None else v._xp.zeros(v.shape, dtype=v.dtype)))
        return out
    _write_grads(grads)
    return None


def _seed_heads(heads, head_grads, grads):
    """Put each head's gradient (ones when not given) where ``backward`` starts from it: on its
    node, on itself (a variable), or as zeros on the recorded arrays an output of operators
    without a gradient hangs off (``_zero_src``). Returns ``(roots, passive)``: the heads'
    nodes, and the heads that are in the graph but send nothing (a ``'null'`` variable, a
    joined array; they leave the graph with it).

    Raises
    ------
    ValueError
        When a head gradient's shape differs from its head's.
    MXNetError
        When a head was not recorded, or its graph was freed.
    """
    roots = []
    passive = []
    for i, (head, hg) in enumerate(zip(heads, head_grads)):
        xp = head._xp
        if hg is not None and tuple(hg.shape) != tuple(head.shape):
            raise ValueError('backward: head_grads[%d] (out_grad) has shape %s, expected the shape '
                             'of its head %s' % (i, tuple(hg.shape), tuple(head.shape)))
        g = xp.ones(head.shape, dtype=head.dtype) if hg is None else hg._data.astype(head.dtype, copy=False)
        if head._entry is not None:
            node, idx = head._entry
            if node.op is None:
                raise MXNetError('backward: the graph of this array was freed by an earlier backward; '
                                 'call backward(retain_graph=True) the first time to go through it twice')
            grads.to_node((node, idx), g)
            roots.append(node)
        elif head._grad is not None:
            if head._grad_req != 'null':     # (a 'null' variable sends nothing, as in MXNet)
                grads.to_leaf(head, g)
            else:
                passive.append(head)
        elif head._zero_src is not None:     # made by operators without a gradient: zeros go down
            passive.append(head)             # (and it leaves the graph with it)
            for src in head._zero_src:
                zero = src._xp.zeros(src.shape, dtype=src.dtype)
                if src._entry is not None:
                    grads.to_node(src._entry, zero)
                    roots.append(src._entry[0])
                else:
                    grads.to_leaf(src, zero)
        elif head._joined:           # (a joined array among the heads sends nothing, as in MXNet)
            passive.append(head)
        else:
            raise MXNetError('backward: cannot differentiate an array that was not computed inside '
                             'autograd.record() from arrays with attach_grad() (or whose graph an '
                             'earlier backward freed: pass retain_graph=True to go through it twice)')
    return roots, passive


def _reachable_nodes(roots, leaves):
    """Walk the graph back from the nodes ``roots`` with an explicit stack (no recursion).

    Returns ``(order, reached, wanted)``: the reachable nodes from the last recorded to the
    first; the ids of the arrays without a node that the walk reaches (``leaves``, the heads'
    own variables, included); and whether one of those wants a gradient.

    Raises
    ------
    MXNetError
        When part of the graph was freed by an earlier ``backward``.
    """
    seen = {}
    reached = set(leaves)
    wanted = bool(leaves)
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        if node.op is None:
            raise MXNetError('backward: part of the graph was freed by an earlier backward; '
                             'use retain_graph=True to back-propagate through it twice')
        seen[id(node)] = node
        for inp in _inputs(node):
            if inp is None:
                continue
            if inp._entry is not None:
                src = inp._entry[0]
                if not (src.op is None and src.freed_seq < node.seq):
                    stack.append(src)
                    continue        # else freed before this node was recorded: a constant here
            reached.add(id(inp))
            if _wants_grad(inp):
                wanted = True
            if inp._zero_src is not None:     # (x > 0) * y reaches x, with a zero gradient
                reached.update(id(a) for a in inp._zero_src)
                wanted = True
    order = sorted(seen.values(), key=lambda n: n.seq, reverse=True)
    return order, reached, wanted


def _propagate(order, grads, retain_graph, train_mode):
    """Run the backward of each node of ``order`` (reverse execution order), in ``train_mode``:
    a node's output gradients are complete when it runs, since every node that read its outputs
    was recorded later. Input gradients go on to the input's node or to the variable; without
    ``retain_graph`` each node is freed once it ran (or was passed over for want of a gradient)."""
    prev_train = set_training(train_mode)
    try:
        for node in order:
            gouts = [grads.nodes.pop((node, i), None) for i in range(len(node.out_meta))]
            if all(g is None for g in gouts):
                # reachable, but the nodes that read it sent no gradient (CTC's labels): nothing
                # to run, and freed all the same, as MXNet frees every node behind the heads
                if not retain_graph:
                    node.release()
                continue
            if not getattr(node.op, 'takes_missing_grads', False):    # a CachedOp makes its own
                gouts = [node.xp.zeros(shape, dtype=dtype) if g is None else g
                         for g, (shape, dtype) in zip(gouts, node.out_meta)]
            op = node.op
            inputs = _inputs(node)
            # which inputs want a gradient (operators may skip the others: see Op docs / executor)
            op.needs_input_grad = tuple(inp is not None and (_live(inp) or _wants_grad(inp))
                                        for inp in inputs)
            gins = op.backward(node.xp, *gouts)
            if not isinstance(gins, (tuple, list)):
                gins = (gins,)
            for inp, g in zip(inputs, gins):
                if g is None or inp is None:
                    continue
                if _live(inp):
                    grads.to_node(inp._entry, g)
                elif _wants_grad(inp):
                    grads.to_leaf(inp, g)
            if not retain_graph:
                node.release()
    finally:
        set_training(prev_train)


def _write_grads(grads):
    """Write (``grad_req='write'``) or add (``'add'``) each variable's gradient into its ``.grad``
    buffer, in the buffer's shape and dtype, and mark it fresh for ``Trainer.step``."""
    for key, g in grads.leaves.items():
        var = grads.arrays[key]
        buf = var._grad
        g = g.reshape(buf.shape).astype(buf.dtype, copy=False)
        if var._grad_req == 'add':
            buf._data += g
        else:
            buf._data[...] = g
        var._fresh_grad = True


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute the gradients of ``heads`` with respect to the marked variables.

    Parameters
    ----------
    heads : NDArray or list of NDArray
        Outputs computed under :func:`record`.
    head_grads : NDArray or list of NDArray, optional
        Gradient of some scalar with respect to each head; ones by default.
    retain_graph : bool, default False
        Keep the graph for another backward pass.
    train_mode : bool, default True
        Whether operators' backward runs in training mode.

    Raises
    ------
    MXNetError
        When a head was not recorded, or its graph was already freed, or no array that wants a
        gradient leads to the heads.
    TypeError
        When a head is no NDArray, or a head gradient is neither an NDArray nor None.
    ValueError
        When ``head_grads`` has another length than ``heads``, or a head gradient another shape
        than its head.
    """
    _run_backward(heads, head_grads, retain_graph, train_mode)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """Return the list of gradients of ``heads`` with respect to ``variables`` (an NDArray or a list).

    The variables' own ``.grad`` buffers are not touched. ``retain_graph`` defaults to
    ``create_graph``, as in MXNet 1.9.1.

    ``create_graph=True`` asks for gradients that are themselves differentiable. minigluon has
    no higher-order gradients: the gradients are computed, and while recording they are put on
    the tape as the outputs of an operation whose own backward raises :class:`MXNetError`
    (see :class:`_FirstOrderOnly`), as MXNet 1.9.1 raises when a backward reaches an operator
    without a second-order gradient (a convolution's, a Dense layer's activation). Code that
    only reads them, or cuts them from the graph (``attach_grad``, ``detach``), runs as on
    MXNet: a Gluon WGAN-GP trainer's gradient penalty does.

    Raises
    ------
    ValueAssertionError
        When ``variables`` is empty (an ``AssertionError`` in MXNet 1.9.1).
    MXNetError
        When a variable has no ``attach_grad`` or has ``grad_req='null'``, or is unreachable
        from the heads (no recorded operation leads from it to them; MXNet 1.9.1 raises too,
        rather than returning zeros).
    """
    from minigluon.ndarray.ndarray import NDArray
    if isinstance(variables, NDArray):     # MXNet returns a list even for one variable
        variables = [variables]
    variables = list(variables)
    if not variables:
        raise ValueAssertionError('autograd.grad: variables cannot be an empty list (MXNet '
                                  '1.9.1 asserts it too); list the arrays to take the gradients '
                                  'with respect to')
    for i, v in enumerate(variables):
        if v._grad is None:
            raise MXNetError('autograd.grad: variables[%d] has no attach_grad(); every variable '
                             'needs attach_grad() before recording' % i)
        if v._grad_req == 'null':
            raise MXNetError("autograd.grad: variables[%d] has grad_req='null', so it requires no "
                             "gradient (MXNet 1.9.1 raises too); attach_grad() it with 'write'" % i)
    if retain_graph is None:
        retain_graph = create_graph
    # Route variable gradients into the returned list instead of their buffers.
    grads = _run_backward(heads, head_grads, bool(retain_graph), train_mode, variables=variables)
    if create_graph and is_recording():
        _record_first_order_only(grads, variables)
    return grads


class _FirstOrderOnly:
    """The tape operation of the gradients that ``grad(create_graph=True)`` returns, reading the
    variables they were taken for: its backward raises, since minigluon computes no gradient of
    a gradient (higher-order gradients are out of scope, docs/PORTING.md)."""

    name = '_backward_grad'

    def backward(self, xp, *grad_outputs):
        raise MXNetError('autograd: a backward reached gradients computed by autograd.grad('
                         'create_graph=True), which minigluon cannot differentiate (no '
                         'higher-order gradients); MXNet 1.9.1 raises the same way for operators '
                         'without a second-order gradient, such as Convolution. Use the '
                         'gradients as values (detach() them), or leave them out of the loss')


def _record_first_order_only(grads, variables):
    """Put ``grads`` (NDArrays returned by :func:`grad`) on the tape as the outputs of a
    :class:`_FirstOrderOnly` operation of ``variables``."""
    node = Node(_FirstOrderOnly(), list(variables), [(g.shape, g.dtype) for g in grads],
                variables[0]._xp)
    _join_inputs(variables)
    for i, g in enumerate(grads):
        g._entry = (node, i)


def get_symbol(x):
    """Not supported: minigluon's tape records operator instances, not a symbolic graph."""
    raise NotImplementedError('autograd.get_symbol is not supported; hybridize a HybridBlock and '
                              'use export() to obtain a symbol graph')


# ---------------------------------------------------------------------------------------------------
# Custom differentiable functions


class _FunctionOp:
    """Adapter that lets a user :class:`Function` sit on the tape like an operator."""

    name = 'Function'

    def __init__(self, func, in_shapes):
        self.func = func
        self.in_shapes = [tuple(s) for s in in_shapes]
        self.n_in = len(self.in_shapes)

    def backward(self, xp, *grad_outputs):
        from minigluon.ndarray.ndarray import NDArray
        with pause():
            # the user's code: NumPy's default error state, as MXNet's callback thread has
            gins = with_numpy_defaults(self.func.backward)(*[NDArray(g) for g in grad_outputs])
        if not isinstance(gins, (tuple, list)):
            gins = (gins,)
        name = type(self.func).__name__
        if len(gins) != self.n_in:
            raise MXNetError('%s.backward returned %d gradients for %d inputs'
                             % (name, len(gins), self.n_in))
        for i, (g, shape) in enumerate(zip(gins, self.in_shapes)):
            if g is not None and not isinstance(g, NDArray):
                raise MXNetError('%s.backward must return NDArrays (or None for no gradient), got '
                                 '%s for input %d' % (name, type(g).__name__, i))
            if g is not None and tuple(g.shape) != shape:     # (MXNet fails the backward too)
                raise MXNetError('%s.backward returned a gradient of shape %s for input %d, '
                                 'whose shape is %s' % (name, tuple(g.shape), i, shape))
        return [None if g is None else g._data for g in gins]


class Function:
    """A custom differentiable operation written with NDArray operations.

    Subclass it and define ``forward(self, *inputs)`` and ``backward(self, *output_grads)``, both
    taking and returning NDArrays; call :meth:`save_for_backward` in ``forward`` to keep arrays for
    ``backward`` (available as ``self.saved_tensors``). An input with ``grad_req='add'`` gets the
    gradient added, as with any operator (MXNet 1.9.1 leaves it at zero when the Function is
    applied to the variable itself). Use a fresh instance per call, as in MXNet (a second call
    raises :class:`~minigluon.base.RuntimeAssertionError`). A Function computes on NDArrays, so it
    runs eagerly only: a hybridized block cannot trace it (a ``TypeError`` says so), and an
    operation that must hybridize or export is written as ``mx.operator.CustomOp`` (or as a
    registered operator, :mod:`minigluon.ops.registry`)::

        class Sigmoid(autograd.Function):
            def forward(self, x):
                y = 1 / (1 + nd.exp(-x))
                self.save_for_backward(y)
                return y
            def backward(self, dy):
                y, = self.saved_tensors
                return dy * y * (1 - y)
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        from minigluon.ndarray.ndarray import NDArray
        if getattr(self, '_used', False):
            # as MXNet 1.9.1: a second call would overwrite saved_tensors, so the first call's
            # backward would read the second call's arrays (silently wrong gradients)
            raise RuntimeAssertionError('Each Function instance can only be called once. Please '
                                        'create another instance (%s)' % type(self).__name__)
        self._used = True
        for i, x in enumerate(inputs):
            if not isinstance(x, NDArray):     # (MXNet fails with an AttributeError on .handle)
                raise TypeError(_function_input_error(self, i, x))
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        if is_recording() and any(isinstance(x, NDArray) and needs_grad(x) for x in inputs):
            node = Node(_FunctionOp(self, [getattr(x, 'shape', ()) for x in inputs]), list(inputs),
                        [(o._data.shape, o._data.dtype) for o in outs], outs[0]._xp)
            _join_inputs(inputs)
            fresh = []
            for i, o in enumerate(outs):
                o = NDArray(o._data, ctx=o.context)
                o._entry = (node, i)
                fresh.append(o)
            outs = fresh
        elif is_recording():
            # outputs of arrays in the graph that want no gradient are in it too, as for any
            # operator (MXNet records the Function): they cannot be written into while recording
            from minigluon.ndarray.dispatch import _zero_path
            _zero_path(inputs, outs)
        return outs[0] if single else tuple(outs)


def _function_input_error(function, i, x):
    """The message for input ``i`` of a :class:`Function` call that is not an NDArray: a Symbol
    means a hybridized block traced it, where a Function cannot run (it computes on NDArrays)."""
    if type(x).__name__ == 'Symbol':
        return ('%s: input %d is a Symbol: an autograd.Function runs on NDArrays only, so it '
                'cannot be traced by a hybridized block (hybrid_forward with F = sym) or '
                'exported; call the block without hybridize(), or write the operation as an '
                'operator, which hybridizes and exports: a class registered with '
                'minigluon.ops.register (then F.<its name>; the recipe is in '
                'minigluon/ops/registry.py), or MXNet\'s mx.operator.CustomOp with F.Custom'
                % (type(function).__name__, i))
    return ('%s: input %d must be an NDArray, got %s; pass other values to the constructor '
            '(self.k = k in __init__) instead' % (type(function).__name__, i, type(x).__name__))


# Context managers of other frameworks (PyTorch's torch.no_grad...) that MXNet 1.9.1's autograd
# does not have: asking for one says what to use (hasattr() stays False; no new API).
_OTHER_FRAMEWORKS = {
    'no_grad': "nothing is recorded outside autograd.record(), so just compute there; inside "
               "record(), autograd.pause() stops recording (predict mode unless "
               "pause(train_mode=True))",
    'enable_grad': "use autograd.record() (and x.attach_grad() on the arrays to differentiate)",
    'inference_mode': "compute outside autograd.record() (predict mode, nothing recorded), or "
                      "use autograd.predict_mode()",
    'set_grad_enabled': "use autograd.record() / autograd.pause(), or set_recording(flag)",
}


__getattr__ = _base.out_of_scope_getattr(__name__, other_frameworks=_OTHER_FRAMEWORKS)
