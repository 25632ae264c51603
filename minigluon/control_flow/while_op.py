"""The graph operator ``_while_loop``: a loop whose condition and body are subgraphs.

A ``_while_loop`` node (MXNet 1.9.1's, src/operator/control_flow.cc) holds two subgraphs: the
condition (one output, one element) and the body ``func`` (``num_out_data`` step outputs, then
one new value per loop variable). It reads ``num_args - 2`` arrays; ``cond_input_locs`` and
``func_input_locs`` say which of them feeds each subgraph input, and ``func_var_locs[i]`` which
input of ``func`` is loop variable ``i``. Loop variable ``i`` therefore lives at node input
``func_input_locs[func_var_locs[i]]``; after each step that input holds the variable's new
value, for the condition as for the body.

Outputs: each step output stacked on a new axis 0 and padded with zeros to ``max_iterations``
rows (MXNet leaves the padding uninitialised), then the final loop variables. Backward runs
back through the steps that ran, as ``_foreach`` does: each step keeps its own tape and is
differentiated with the gradients of its step outputs and of the loop variables the next step
carried back. Padding rows get no gradient.
"""
from minigluon.base import MXNetError, MXNetValueError
from minigluon.control_flow._subgraph import SubgraphOp, body_grads, run_body
from minigluon.control_flow.ops import _Locs
from minigluon.ops.registry import Attr, register

__all__ = ['WhileLoop']


@register
class WhileLoop(SubgraphOp):
    """``_while_loop``: run ``func`` while ``cond`` is true, at most ``max_iterations`` times.

    Inputs: ``num_args - 2`` arrays (the loop variables' initial values among them). Outputs:
    ``num_out_data`` arrays of shape ``(max_iterations,) + step output shape``, then
    ``num_outputs - num_out_data`` final loop variables (shapes and dtypes of the initial ones).

    Raises
    ------
    ValueError
        ``max_iterations`` below 1 (as in MXNet), counts or locations that disagree, a loop
        variable sharing its node input with another body input, a condition that is not one
        element, or a step that changes a loop variable's shape or dtype.
    MXNetError
        When the node has no subgraphs, when no step ran and the step outputs' shapes cannot
        be inferred, or backward without a recorded forward.

    Notes
    -----
    Semantics of MXNet 1.9.1's ``_while_loop`` operator and ``mx.sym.contrib.while_loop``,
    where MXNet 1.9.1 works (``tools/fuzz_control_flow.py``). Where it does not, minigluon
    gives the results of the eager loop: MXNet cannot record a hybridized loop (in most
    graphs), fails when the loop runs no step and an operator reads its outputs (their shapes
    stay unknown; minigluon infers them through ``func``), lets a loop variable change shape
    (minigluon raises the ValueError above, as its documentation asks for the same shape),
    and its backward gives wrong gradients when a loop variable starts from an array that
    ``func`` also reads. The padding rows are zeros, not uninitialised memory.
    """

    name = '_while_loop'
    attrs = {
        'num_args': Attr('int'),
        'num_outputs': Attr('int'),
        'num_out_data': Attr('int'),
        'max_iterations': Attr('int'),
        'cond_input_locs': _Locs(),
        'func_input_locs': _Locs(),
        'func_var_locs': _Locs(),
    }
    subgraph_names = ('cond', 'func')
    subgraph_locs = ('cond_input_locs', 'func_input_locs')
    subgraph_outputs = (1, 'num_outputs')

    def check_attrs(self):
        self.check_locs()
        if self.max_iterations < 1:
            # MXNet 1.9.1's lower bound: a graph loop runs at least one step's worth of rows
            raise MXNetValueError('_while_loop: value %d for Parameter max_iterations should be '
                                  'greater equal to 1' % self.max_iterations)
        if not 0 <= self.num_out_data <= self.num_outputs:
            raise ValueError('_while_loop: num_out_data=%d must lie in [0, num_outputs=%d]'
                             % (self.num_out_data, self.num_outputs))
        if self.num_outputs - self.num_out_data != len(self.func_var_locs):
            raise ValueError('_while_loop: num_outputs - num_out_data (%d) must equal the number '
                             'of loop variables (%d, len(func_var_locs))'
                             % (self.num_outputs - self.num_out_data, len(self.func_var_locs)))
        n_func = len(self.func_input_locs)
        if any(not 0 <= j < n_func for j in self.func_var_locs):
            raise ValueError('_while_loop: func_var_locs=%s must index func_input_locs (length %d)'
                             % (self.func_var_locs, n_func))
        var_pos = self.var_positions()
        others = [loc for j, loc in enumerate(self.func_input_locs) if j not in self.func_var_locs]
        if len(set(var_pos)) != len(var_pos) or set(var_pos) & set(others):
            raise ValueError('_while_loop: each loop variable needs a node input of its own; '
                             'func_input_locs=%s, func_var_locs=%s share one'
                             % (self.func_input_locs, self.func_var_locs))

    def var_positions(self):
        """The node input holding each loop variable."""
        return [self.func_input_locs[j] for j in self.func_var_locs]

    def forward(self, xp, *arrays):
        current = list(arrays)
        var_pos = self.var_positions()
        nod = self.num_out_data
        record = self.recording()
        self._steps = [] if record else None
        self._meta = [(a.shape, a.dtype) for a in arrays]
        rows = []
        while len(rows) < self.max_iterations and self.predicate(
                0, [current[loc] for loc in self.cond_input_locs], 'condition'):
            variables, outputs = run_body(self.runner(1), [current[loc] for loc in self.func_input_locs],
                                          record)
            for i, (pos, new) in enumerate(zip(var_pos, outputs[nod:])):
                old, new = current[pos], new._data
                if old.shape != new.shape or old.dtype != new.dtype:
                    raise ValueError('_while_loop: loop variable %d changed from %s %s to %s %s in '
                                     'step %d; func must keep each loop variable\'s shape and dtype'
                                     % (i, tuple(old.shape), old.dtype, tuple(new.shape), new.dtype,
                                        len(rows)))
                current[pos] = new
            rows.append([o._data for o in outputs[:nod]])
            if record:
                self._steps.append((variables, outputs))
        stacked = self._stack(xp, rows, current)
        finals = [current[pos] if rows else xp.array(current[pos], copy=True) for pos in var_pos]
        return tuple(stacked) + tuple(finals)

    def _stack(self, xp, rows, current):
        """Step outputs stacked and zero-padded to ``max_iterations`` rows."""
        if rows:
            metas = [(r.shape, r.dtype) for r in rows[0]]
        else:
            metas = self._step_metas(current)
        out = []
        for k, (shape, dtype) in enumerate(metas):
            full = xp.zeros((self.max_iterations,) + tuple(shape), dtype=dtype)
            if rows:
                full[:len(rows)] = xp.stack([r[k] for r in rows], axis=0)
            out.append(full)
        return out

    def _step_metas(self, current):
        """Step output shapes and dtypes when no step ran: inferred through ``func``."""
        if not self.num_out_data:
            return []
        shapes = self.infer_subgraphs([tuple(a.shape) for a in current], 'shape')[1][1]
        types = self.infer_subgraphs([a.dtype for a in current], 'type')[1][1]
        metas = list(zip(shapes[:self.num_out_data], types[:self.num_out_data]))
        if any(s is None or t is None for s, t in metas):
            raise MXNetError('_while_loop: no step ran and the shapes of the step outputs cannot '
                             'be inferred from the inputs (%s)' % [tuple(a.shape) for a in current])
        return metas

    def backward(self, xp, *grad_outputs):
        if getattr(self, '_steps', None) is None:
            raise MXNetError('_while_loop: backward needs a forward run under autograd.record()')
        nod = self.num_out_data
        var_js = set(self.func_var_locs)
        grads = [xp.zeros(shape, dtype=dtype) for shape, dtype in self._meta]
        carried = list(grad_outputs[nod:])
        for t in range(len(self._steps) - 1, -1, -1):
            variables, outputs = self._steps[t]
            step_grads = [None if g is None else g[t] for g in grad_outputs[:nod]] + carried
            gins = body_grads(xp, variables, outputs, step_grads)
            for j, loc in enumerate(self.func_input_locs):
                if j not in var_js:
                    grads[loc] = grads[loc] + gins[j]
            carried = [gins[j] for j in self.func_var_locs]
        for pos, g in zip(self.var_positions(), carried):
            if g is not None:
                grads[pos] = grads[pos] + g
        return grads

    # -- shapes and dtypes ----------------------------------------------------------------------------
    def _infer(self, in_values, kind):
        new_in, (_, func_out) = self.infer_subgraphs(in_values, kind)
        nod = self.num_out_data
        outs = []
        for k, value in enumerate(func_out[:nod]):
            if kind == 'shape' and value is not None:
                value = (self.max_iterations,) + tuple(value)
            outs.append(value)
        for pos, value in zip(self.var_positions(), func_out[nod:]):
            if new_in[pos] is None and value is not None:
                new_in[pos] = value
            outs.append(new_in[pos] if new_in[pos] is not None else value)
        return new_in, outs

    def infer_shape(self, in_shapes):
        """Input shapes the subgraphs determine are filled in; step outputs gain
        ``max_iterations`` rows; final loop variables keep their initial shapes."""
        return self._infer(in_shapes, 'shape')

    def infer_type(self, in_types):
        """Dtypes as :meth:`infer_shape` does shapes (no extra axis)."""
        return self._infer(in_types, 'type')
