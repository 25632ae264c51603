"""The graph operator ``_foreach``: a loop whose body is a subgraph (MXNet 1.9.1's ``_foreach`` node).

A ``_foreach`` node reads ``num_args - 1`` arrays (MXNet counts the subgraph as argument 0): the
data arrays, then the initial states, then the "remaining" inputs (weights and other arrays
the body reads from outside). Its attributes say where each of them enters the subgraph
(``in_data_locs``, ``in_state_locs``, ``remain_locs``: positions in the subgraph's
``list_inputs()``). The subgraph returns ``num_out_data`` step outputs followed by the new
states; the node returns the step outputs stacked along a new axis 0, then the final states.

Forward runs the subgraph once per step through a :class:`~minigluon.executor.CachedOp`. When
autograd is recording, each step runs on fresh variables and keeps its own tape; backward walks
the steps in reverse, calling :func:`minigluon.autograd.grad` on each step with the gradients of
its outputs and of the states that the next step carried back (back-propagation through time).

The ``_cond`` and ``_while_loop`` nodes, which hold several subgraphs, are in
:mod:`~minigluon.control_flow.cond_op` and :mod:`~minigluon.control_flow.while_op`.
"""
from minigluon.base import MXNetError
from minigluon.control_flow._subgraph import SubgraphOp, body_grads, infer_through, run_body
from minigluon.ops.registry import Attr, register

__all__ = ['ForEach']


class _Locs(Attr):
    """A list of ints written as MXNet writes it (``"[0, 2]"``)."""

    def __init__(self):
        super().__init__('any')

    def _convert(self, value):
        if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, '__iter__'):
            raise ValueError('not a list of ints')
        value = list(value)
        if any(isinstance(v, float) and not v.is_integer() for v in value):
            raise ValueError('not a list of ints')      # int(0.5) would read it as 0
        return [int(v) for v in value]

    def to_str(self, value):
        return str([int(v) for v in value])


@register
class ForEach(SubgraphOp):
    """``_foreach``: run a subgraph on each slice (axis 0) of the data, carrying states.

    Inputs: data arrays (each of shape ``(T, ...)``, the same ``T >= 1``), initial states,
    remaining inputs, in that order (``num_args - 1`` arrays). Outputs: ``num_out_data`` arrays
    of shape ``(T,) + step output shape``, then ``num_outputs - num_out_data`` final states.
    Gradients flow to every input (data, initial states, weights).

    Raises
    ------
    ValueError
        Locations that do not cover the subgraph's inputs, counts that disagree, data arrays of
        different lengths, or a step that changes a state's shape or dtype.
    MXNetError
        When the node has no subgraph (``_foreach`` is only made by ``sym.contrib.foreach`` or
        read from ``-symbol.json``).

    Notes
    -----
    Semantics of MXNet 1.9.1's ``_foreach`` operator (src/operator/control_flow.cc), where
    MXNet 1.9.1 works (``tools/fuzz_control_flow.py``). Where it does not, minigluon gives the
    results of the eager loop: MXNet cannot run a body holding a ``_cond`` or a
    ``_while_loop`` (its shape inference fails), returns uninitialised memory as the final
    states of data of length 0 (minigluon raises the ValueError above), and its backward
    fails (storage type inference, another control-flow node in the body) or gives wrong
    gradients in some graphs: a state that starts from an array the body also reads, an
    outside array read through ``mean`` (whose MXNet backward mis-adds).
    """

    name = '_foreach'
    attrs = {
        'num_args': Attr('int'),
        'num_outputs': Attr('int'),
        'num_out_data': Attr('int'),
        'in_state_locs': _Locs(),
        'in_data_locs': _Locs(),
        'remain_locs': _Locs(),
    }
    subgraph_names = ('body',)

    def check_attrs(self):
        n_in = len(self.in_data_locs) + len(self.in_state_locs) + len(self.remain_locs)
        if self.num_args != n_in + 1:
            raise ValueError('_foreach: num_args=%d must be 1 + the number of data, state and '
                             'remaining inputs (%d)' % (self.num_args, n_in))
        if not 0 <= self.num_out_data <= self.num_outputs:
            raise ValueError('_foreach: num_out_data=%d must lie in [0, num_outputs=%d]'
                             % (self.num_out_data, self.num_outputs))
        if self.num_outputs - self.num_out_data != len(self.in_state_locs):
            raise ValueError('_foreach: num_outputs - num_out_data (%d) must equal the number of '
                             'states (%d, len(in_state_locs))'
                             % (self.num_outputs - self.num_out_data, len(self.in_state_locs)))
        if any(not 0 <= loc < n_in for loc in self.in_data_locs + self.in_state_locs + self.remain_locs):
            raise ValueError('_foreach: every location must lie in [0, %d), got in_data_locs=%s, '
                             'in_state_locs=%s, remain_locs=%s' % (n_in, self.in_data_locs,
                                                                   self.in_state_locs, self.remain_locs))

    def set_subgraph(self, subgraph):
        """Attach the body (a Symbol); check that its inputs and outputs fit the attributes."""
        n_in = self.num_args - 1
        names = subgraph.list_inputs()
        if len(names) != n_in:
            raise ValueError('_foreach: the subgraph has %d inputs %s, num_args - 1 = %d'
                             % (len(names), names, n_in))
        if len(subgraph.list_outputs()) != self.num_outputs:
            raise ValueError('_foreach: the subgraph has %d outputs, num_outputs = %d'
                             % (len(subgraph.list_outputs()), self.num_outputs))
        covered = set(self.in_data_locs) | set(self.in_state_locs) | set(self.remain_locs)
        if covered != set(range(n_in)):
            missing = [names[i] for i in range(n_in) if i not in covered]
            raise ValueError('_foreach: subgraph inputs %s are given by no location' % missing)
        self.subgraphs = [subgraph]

    def set_subgraphs(self, subgraphs):
        """Attach the subgraphs as read from JSON (``_foreach`` has exactly one)."""
        if len(subgraphs) != 1:
            raise ValueError('_foreach: needs 1 subgraph (the loop body), got %d' % len(subgraphs))
        self.set_subgraph(subgraphs[0])

    # -- running the subgraph -------------------------------------------------------------------------
    def _split(self, arrays):
        nd_, ns = len(self.in_data_locs), len(self.in_state_locs)
        return list(arrays[:nd_]), list(arrays[nd_:nd_ + ns]), list(arrays[nd_ + ns:])

    def _placement(self):
        """``(kind, index, loc)`` per input; a location given twice is fed by its first input."""
        seen, out = set(), []
        for kind, locs in (('data', self.in_data_locs), ('state', self.in_state_locs),
                           ('remain', self.remain_locs)):
            for i, loc in enumerate(locs):
                out.append((kind, i, loc if loc not in seen else None))
                seen.add(loc)
        return out

    def forward(self, xp, *arrays):
        runner = self.runner(0)
        data, states, remain = self._split(arrays)
        lengths = {a.shape[0] if a.ndim else None for a in data}
        if not data or len(lengths) != 1 or None in lengths or 0 in lengths:
            raise ValueError('_foreach: data inputs must be arrays of the same length >= 1 along '
                             'axis 0, got shapes %s' % [tuple(a.shape) for a in data])
        num_iters = lengths.pop()
        record = self.recording()
        self._steps = [] if record else None
        self._data_shapes = [a.shape for a in data]
        placement = self._placement()
        step_outs = []
        for t in range(num_iters):
            step_in = [None] * self.num_inputs
            for kind, i, loc in placement:
                if loc is not None:
                    step_in[loc] = (_step_slice(data[i], t) if kind == 'data' else
                                    states[i] if kind == 'state' else remain[i])
            sub, res = run_body(runner, step_in, record)
            if record:
                self._steps.append((sub, res))
            new_states = [r._data for r in res[self.num_out_data:]]
            for j, (old, new) in enumerate(zip(states, new_states)):
                if old.shape != new.shape or old.dtype != new.dtype:
                    raise ValueError('_foreach: state %d changed from %s %s to %s %s in step %d; '
                                     'the body must keep each state\'s shape and dtype'
                                     % (j, tuple(old.shape), old.dtype, tuple(new.shape), new.dtype, t))
            states = new_states
            step_outs.append([r._data for r in res[:self.num_out_data]])
        stacked = [xp.stack(list(items), axis=0) for items in zip(*step_outs)]
        if self.num_out_data and not stacked:
            stacked = [xp.zeros((0,))] * self.num_out_data
        return tuple(stacked) + tuple(states)

    def backward(self, xp, *grad_outputs):
        if self._steps is None:
            raise MXNetError('_foreach: backward needs a forward run under autograd.record()')
        nod = self.num_out_data
        placement = self._placement()
        data_grads = [None] * len(self.in_data_locs)
        remain_grads = [None] * len(self.remain_locs)
        carried = list(grad_outputs[nod:])
        num_iters = len(self._steps)
        for t in range(num_iters - 1, -1, -1):
            sub, res = self._steps[t]
            gins = body_grads(xp, sub, res, [g[t] for g in grad_outputs[:nod]] + carried)
            for kind, i, loc in placement:
                if kind == 'state':
                    carried[i] = gins[loc] if loc is not None else xp.zeros_like(carried[i])
                elif loc is None:
                    continue
                elif kind == 'data':
                    if data_grads[i] is None:
                        data_grads[i] = xp.zeros(self._data_shapes[i], dtype=gins[loc].dtype)
                    data_grads[i][t] = gins[loc].reshape(self._data_shapes[i][1:])
                else:
                    remain_grads[i] = gins[loc] if remain_grads[i] is None else remain_grads[i] + gins[loc]
        return data_grads + carried + remain_grads

    # -- shapes ---------------------------------------------------------------------------------------
    def infer_shape(self, in_shapes):
        """Shapes through the subgraph: a data slice is the data shape without axis 0; inputs the
        subgraph determines (e.g. a weight) are filled in; outputs gain the loop length."""
        if not self.subgraphs:
            raise MXNetError('_foreach: this node has no subgraph')
        sub = self.subgraphs[0]
        names = sub.list_inputs()
        data, states, remain = self._split(list(in_shapes))
        known = {}
        lengths = set()
        for kind, i, loc in self._placement():
            shape = data[i] if kind == 'data' else states[i] if kind == 'state' else remain[i]
            if kind == 'data' and shape is not None and len(shape) and shape[0]:
                lengths.add(shape[0])
            if loc is None or shape is None or 0 in shape:
                continue
            known[names[loc]] = (tuple(shape[1:]) or (1,)) if kind == 'data' else tuple(shape)
        arg_shapes, out_shapes, aux_shapes = sub.infer_shape_partial(**known)
        found = dict(zip(sub.list_arguments(), arg_shapes))
        found.update(zip(sub.list_auxiliary_states(), aux_shapes))
        length = lengths.pop() if len(lengths) == 1 else None

        def sub_shape(loc):
            name = names[loc]
            shape = known.get(name, found.get(name))
            return tuple(shape) if shape and 0 not in shape else known.get(name)

        new_in = list(in_shapes)
        for pos, (kind, i, loc) in enumerate(self._placement()):
            if loc is None:
                continue
            shape = sub_shape(loc)
            if shape is None:
                continue
            if kind == 'data':
                step = () if in_shapes[pos] is not None and len(in_shapes[pos]) == 1 else shape
                new_in[pos] = None if length is None else (length,) + step
            else:
                new_in[pos] = shape
        outs = []
        for k, shape in enumerate(out_shapes):
            shape = tuple(shape) if shape and 0 not in shape else None
            if shape is not None and k < self.num_out_data:
                shape = None if length is None else (length,) + shape
            outs.append(shape)
        return new_in, outs        # None where unknown: the graph sweep may learn it later

    def infer_type(self, in_types):
        """Dtypes through the subgraph: what the body fixes (a weight multiplied with float64
        data is float64) reaches the node's inputs; outputs keep the body's output dtypes."""
        if not self.subgraphs:
            raise MXNetError('_foreach: this node has no subgraph')
        fed = [(pos, loc) for pos, (_, _, loc) in enumerate(self._placement()) if loc is not None]
        sub_in = [None] * self.num_inputs
        for pos, loc in fed:
            sub_in[loc] = in_types[pos]
        got_in, out_types = infer_through(self.subgraphs[0], sub_in, 'type')
        new_in = list(in_types)
        for pos, loc in fed:
            if new_in[pos] is None:
                new_in[pos] = got_in[loc]
        return new_in, out_types


def _step_slice(array, t):
    """Step ``t`` of a data array: ``array[t]``, where a 1-D array gives shape ``(1,)`` (MXNet 1.9.1
    has no 0-d arrays outside numpy mode: its loop body sees ``(1,)``, so outputs stack to
    ``(T, 1)`` as the eager ``foreach`` does)."""
    return array[t] if array.ndim > 1 else array[t:t + 1]
