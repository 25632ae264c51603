"""The graph operator ``_cond``: if-then-else whose predicate and branches are subgraphs.

A ``_cond`` node (MXNet 1.9.1's, src/operator/control_flow.cc) holds three subgraphs: the
predicate (one output, one element), the then-branch and the else-branch (``num_outputs``
outputs each). It reads ``num_args - 3`` arrays; ``cond_input_locs``, ``then_input_locs`` and
``else_input_locs`` say which of them feeds each subgraph input. Forward runs the predicate,
then only the branch it selects; backward goes through that branch (inputs the branch does not
read get zero gradients).
"""
from minigluon.base import MXNetError
from minigluon.control_flow._subgraph import SubgraphOp, body_grads, run_body
from minigluon.control_flow.ops import _Locs
from minigluon.ops.registry import Attr, register

__all__ = ['Cond']


@register
class Cond(SubgraphOp):
    """``_cond``: ``then`` subgraph if the predicate subgraph is true (non-zero), else ``else``.

    Inputs: ``num_args - 3`` arrays, of any shapes. Outputs: ``num_outputs`` arrays, those of
    the branch that ran (both branches must give the same shapes and dtypes).

    Raises
    ------
    ValueError
        Locations outside the inputs, subgraphs that do not fit the attributes, a predicate
        that is not one element, or branches whose output shapes differ (shape inference).
    MXNetError
        When the node has no subgraphs, or backward without a recorded forward.

    Notes
    -----
    Semantics of MXNet 1.9.1's ``_cond`` operator. MXNet 1.9.1's own backward of a ``_cond``
    whose branches read more than one input fails (storage type inference), as does that of a
    ``_cond`` holding another control-flow node (``bwd_input_eid``), and a float64 ``_cond``
    does not run (the identity node that passes the predicate computed outside is typed
    float32); minigluon's work (``tools/fuzz_control_flow.py``).
    """

    name = '_cond'
    attrs = {
        'num_args': Attr('int'),
        'num_outputs': Attr('int'),
        'cond_input_locs': _Locs(),
        'then_input_locs': _Locs(),
        'else_input_locs': _Locs(),
    }
    subgraph_names = ('condition', 'then-branch', 'else-branch')
    subgraph_locs = ('cond_input_locs', 'then_input_locs', 'else_input_locs')
    subgraph_outputs = (1, 'num_outputs', 'num_outputs')

    def check_attrs(self):
        if self.num_outputs < 1:
            raise ValueError('_cond: num_outputs=%d must be at least 1' % self.num_outputs)
        self.check_locs()

    def forward(self, xp, *arrays):
        pred = self.predicate(0, [arrays[loc] for loc in self.cond_input_locs], 'condition')
        branch = 1 if pred else 2
        locs = self.then_input_locs if pred else self.else_input_locs
        record = self.recording()
        variables, outputs = run_body(self.runner(branch), [arrays[loc] for loc in locs], record)
        self._meta = [(a.shape, a.dtype) for a in arrays]
        self._ran = (locs, variables, outputs) if record else None
        return tuple(o._data for o in outputs)

    def backward(self, xp, *grad_outputs):
        if getattr(self, '_ran', None) is None:
            raise MXNetError('_cond: backward needs a forward run under autograd.record()')
        locs, variables, outputs = self._ran
        grads = [xp.zeros(shape, dtype=dtype) for shape, dtype in self._meta]
        for loc, g in zip(locs, body_grads(xp, variables, outputs, grad_outputs)):
            grads[loc] = grads[loc] + g
        return grads

    # -- shapes and dtypes ----------------------------------------------------------------------------
    def _infer(self, in_values, kind):
        new_in, (_, then_out, else_out) = self.infer_subgraphs(in_values, kind)
        outs = []
        for k, (a, b) in enumerate(zip(then_out, else_out)):
            if a is not None and b is not None and a != b:
                raise ValueError('_cond: output %d has %s %s in the then-branch but %s in the '
                                 'else-branch; both branches must agree' % (k, kind, a, b))
            outs.append(a if a is not None else b)
        return new_in, outs

    def infer_shape(self, in_shapes):
        """Input shapes the subgraphs determine are filled in; outputs from either branch."""
        return self._infer(in_shapes, 'shape')

    def infer_type(self, in_types):
        """Dtypes as :meth:`infer_shape` does shapes."""
        return self._infer(in_types, 'type')
