"""``CachedOp``: run a symbol graph on NDArrays, node by node (the engine behind ``hybridize``).

Everything that does not depend on the input values is worked out once, when the ``CachedOp`` is
made: the topological order of the operator nodes, each node's operator class and parsed
attribute state (so an instance is rebuilt with :meth:`Op._fast`, skipping attribute parsing and
validation), the slot each input is read from, the slots its outputs go to, and which slots are no
longer needed after each step (so intermediate arrays are freed as early as possible). A call is
then a plain loop over that plan. Every node runs through :func:`minigluon.ndarray.invoke`, the
same entry point as eager calls, so the autograd tape records a hybridized call exactly as it
records the eager one, and auxiliary states (BatchNorm's running statistics) are updated in place
by the operator itself. Semantics follow MXNet 1.9.1's ``CachedOp`` as used by Gluon.
"""
from minigluon.base import MXNetError
from minigluon.ndarray.ndarray import NDArray, invoke

__all__ = ['CachedOp']


class _Step:
    __slots__ = ('cls', 'state', 'given', 'ins', 'outs', 'free', 'multi', 'name')

    def __init__(self, node, ins, outs, free):
        self.cls = node.cls
        self.state = node.state
        self.given = node.state['given']
        self.ins = ins
        self.outs = outs
        self.free = free
        self.multi = node.num_visible > 1
        self.name = node.name


class CachedOp:
    """An execution plan for ``symbol``, callable on NDArrays.

    Parameters
    ----------
    symbol : Symbol
        The graph. Its inputs (``symbol.list_inputs()``) must have distinct names.
    flags : sequence of (str, value), optional
        MXNet's CachedOp flags (``static_alloc``, ``static_shape``, ...); accepted and kept in
        ``self.flags``, they change nothing here.

    Raises
    ------
    MXNetError
        If two inputs share a name, or the graph reads a hidden output of an operator (e.g.
        BatchNorm's saved mean), which :func:`~minigluon.ndarray.invoke` does not return.

    Examples
    --------
    >>> op = CachedOp(sym.FullyConnected(sym.var('x'), num_hidden=3, name='fc'))
    >>> y, = op(x, weight, bias)        # in symbol.list_inputs() order
    """

    def __init__(self, symbol, flags=()):
        self.symbol = symbol
        self.flags = tuple(flags)
        nodes = symbol._nodes()
        self.input_names = [n.name for n in nodes if n.is_variable]
        if len(set(self.input_names)) != len(self.input_names):
            dup = sorted({n for n in self.input_names if self.input_names.count(n) > 1})
            raise MXNetError('CachedOp: the graph has several inputs named %s; input names must '
                             'be unique' % dup)
        slot_of = {}
        for node in nodes:
            if node.is_variable:
                slot_of[(id(node), 0)] = len(slot_of)
        self.num_inputs = len(slot_of)
        plan = []
        for node in nodes:
            if node.is_variable:
                continue
            for src, idx, _ in node.inputs:
                if not src.is_variable and idx >= src.num_visible:
                    raise MXNetError("CachedOp: node '%s' reads hidden output %d of '%s' (%s), "
                                     'which is not supported' % (node.name, idx, src.name, src.op))
            ins = [slot_of[(id(src), idx)] for src, idx, _ in node.inputs]
            outs = []
            for i in range(node.num_visible):
                slot_of[(id(node), i)] = len(slot_of)
                outs.append(slot_of[(id(node), i)])
            plan.append((node, ins, outs))
        for node, idx in symbol._outputs:
            if not node.is_variable and idx >= node.num_visible:
                raise MXNetError("CachedOp: output %d of '%s' (%s) is hidden and cannot be a graph "
                                 'output' % (idx, node.name, node.op))
        self.out_slots = [slot_of[(id(n), i)] for n, i in symbol._outputs]
        self.num_slots = len(slot_of)
        # A slot can be dropped after its last reader, unless it is an input or a graph output.
        last_use = {}
        for step, (_, ins, _) in enumerate(plan):
            for s in ins:
                last_use[s] = step
        keep = set(self.out_slots) | set(range(self.num_inputs))
        frees = [[] for _ in plan]
        for s, step in last_use.items():
            if s not in keep:
                frees[step].append(s)
        self._plan = [_Step(node, ins, outs, tuple(frees[i]))
                      for i, (node, ins, outs) in enumerate(plan)]
        self._monitor = None

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, op_name, array)`` for every operator output as the graph runs.

        ``name`` is ``<node name>_output`` (``_output<i>`` for several visible outputs); with
        ``monitor_all`` the inputs come first, as ``<node name>_<argument name>``. This is what
        ``HybridBlock.register_op_hook`` installs; MXNet 1.9.1 passes byte strings and a raw
        handle, minigluon passes ``str`` names and the :class:`NDArray`. ``callback=None`` removes it.
        """
        if callback is not None and not callable(callback):
            raise TypeError('set_monitor_callback: callback must be callable or None, got %s'
                            % type(callback).__name__)
        self._monitor = None if callback is None else (callback, bool(monitor_all))

    def _report(self, step, op, inputs, res):
        callback, monitor_all = self._monitor
        if monitor_all:
            for arg, arr in zip(op.list_arguments(), inputs):
                callback('%s_%s' % (step.name, arg), op.name, arr)
        outs = res if step.multi else [res]
        for i, arr in enumerate(outs):
            callback('%s_output%s' % (step.name, i if step.multi else ''), op.name, arr)

    def __call__(self, *args):
        """Run the graph on NDArrays given in ``symbol.list_inputs()`` order.

        Returns
        -------
        list of NDArray
            One per graph output.

        Raises
        ------
        ValueError
            If the number of arrays differs from the number of graph inputs.
        TypeError
            If an argument is not an NDArray.
        MXNetError
            If an operator fails; the message names the node.
        """
        if len(args) != self.num_inputs:
            raise ValueError('CachedOp: expected %d inputs %s, got %d'
                             % (self.num_inputs, self.input_names, len(args)))
        for name, a in zip(self.input_names, args):
            if not isinstance(a, NDArray):
                raise TypeError("CachedOp: input '%s' must be an NDArray, got %s"
                                % (name, type(a).__name__))
        slots = list(args) + [None] * (self.num_slots - self.num_inputs)
        for step in self._plan:
            op = step.cls._fast(step.state, step.given)
            inputs = [slots[i] for i in step.ins]
            try:
                res = invoke(op, inputs)
            except MXNetError:
                raise
            except (ValueError, TypeError) as err:
                raise type(err)("node '%s': %s" % (step.name, err)) from err
            if self._monitor is not None:
                self._report(step, op, inputs, res)
            if step.multi:
                for s, r in zip(step.outs, res):
                    slots[s] = r
            else:
                slots[step.outs[0]] = res
            for s in step.free:
                slots[s] = None
        return [slots[s] for s in self.out_slots]

    def __repr__(self):
        return 'CachedOp(%d inputs, %d operator nodes, %d outputs)' % (
            self.num_inputs, len(self._plan), len(self.out_slots))
