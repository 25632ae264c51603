"""Helpers shared by the graph operators ``_cond`` and ``_while_loop`` (whose bodies are subgraphs).

* :class:`SubgraphOp`: attaching and checking the subgraphs, one cached
  :class:`~minigluon.executor.CachedOp` per subgraph, the node's input and output names.
* :func:`run_body`, :func:`body_grads`: one recorded run of a subgraph on fresh variables, and
  the gradients of its inputs from the gradients of its outputs (as ``_foreach`` does per step).
* :func:`infer_through`: shapes or dtypes of a subgraph's inputs and outputs from what the node
  knows about its own inputs.

In every location list (``cond_input_locs``, ``then_input_locs``...), item ``j`` is the position
among the node's inputs of the array that feeds input ``j`` of the subgraph's ``list_inputs()``.
"""
import numpy as np

from minigluon import autograd
from minigluon.base import MXNetError
from minigluon.ndarray.ndarray import NDArray
from minigluon.ops.registry import Op

__all__ = ['SubgraphOp', 'run_body', 'body_grads', 'infer_through', 'truth']


class SubgraphOp(Op):
    """Base of ``_cond`` and ``_while_loop``: ``num_args - len(subgraph_names)`` array inputs."""

    arguments = None
    subgraph_names = ()                 # what each subgraph is, for messages
    subgraph_locs = ()                  # the location attribute of each subgraph
    subgraph_outputs = ()               # how many outputs each has: an int or an attribute name

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.subgraphs = None
        self._runner = {}           # shared by every instance made from one node: the CachedOps

    @property
    def num_inputs(self):
        return self.num_args - len(self.subgraph_names)

    def check_locs(self):
        """Every location must name one of the node's inputs."""
        if self.num_inputs < 0:
            raise ValueError('%s: num_args=%d must be at least the number of subgraphs (%d)'
                             % (self.name, self.num_args, len(self.subgraph_names)))
        for attr in self.subgraph_locs:
            locs = getattr(self, attr)
            if any(not 0 <= loc < self.num_inputs for loc in locs):
                raise ValueError('%s: every location in %s=%s must lie in [0, %d) (num_args - %d)'
                                 % (self.name, attr, locs, self.num_inputs, len(self.subgraph_names)))

    def set_subgraphs(self, subgraphs):
        """Attach the bodies (Symbols, in MXNet's order); check them against the attributes."""
        if len(subgraphs) != len(self.subgraph_names):
            raise ValueError('%s: needs %d subgraphs (%s), got %d'
                             % (self.name, len(self.subgraph_names), ', '.join(self.subgraph_names),
                                len(subgraphs)))
        for what, attr, n_out, sub in zip(self.subgraph_names, self.subgraph_locs,
                                          self.subgraph_outputs, subgraphs):
            n_out = getattr(self, n_out) if isinstance(n_out, str) else n_out
            names, locs = sub.list_inputs(), getattr(self, attr)
            if len(names) != len(locs):
                raise ValueError('%s: the %s subgraph has %d inputs %s, %s gives %d locations'
                                 % (self.name, what, len(names), names, attr, len(locs)))
            if len(sub.list_outputs()) != n_out:
                raise ValueError('%s: the %s subgraph has %d outputs, expected %d'
                                 % (self.name, what, len(sub.list_outputs()), n_out))
        self.subgraphs = list(subgraphs)

    def list_arguments(self):
        return ['data%d' % i for i in range(self.num_inputs)]

    def runner(self, k):
        """The CachedOp running subgraph ``k``."""
        if not self.subgraphs:
            raise MXNetError('%s: this node has no subgraphs; build it with sym.contrib.%s or load '
                             'it from -symbol.json' % (self.name, self.name[1:]))
        op = self._runner.get(k)
        if op is None:
            from minigluon.executor import CachedOp
            op = self._runner[k] = CachedOp(self.subgraphs[k])
        return op

    def recording(self):
        needs = getattr(self, 'needs_input_grad', None)
        return autograd.is_recording() and (needs is None or any(needs))

    def predicate(self, k, arrays, what):
        """Run the one-output subgraph ``k`` unrecorded; its value as a Python bool."""
        with autograd.pause():
            out = self.runner(k)(*[NDArray(a) for a in arrays])[0]
        return truth(out._data, '%s: the %s' % (self.name, what))

    def infer_subgraphs(self, in_values, kind):
        """Run :func:`infer_through` on each subgraph; return the filled-in node inputs and each
        subgraph's output values (None where unknown)."""
        if not self.subgraphs:
            raise MXNetError('%s: this node has no subgraphs' % self.name)
        new_in, outs = list(in_values), []
        for sub, attr in zip(self.subgraphs, self.subgraph_locs):
            locs = getattr(self, attr)
            got_in, got_out = infer_through(sub, [new_in[loc] for loc in locs], kind)
            for loc, value in zip(locs, got_in):
                if new_in[loc] is None and value is not None:
                    new_in[loc] = value
            outs.append(got_out)
        return new_in, outs


def truth(value, what):
    """``bool`` of a one-element array; ValueError naming ``what`` otherwise."""
    if value.size != 1:
        raise ValueError('%s must give one element, got an array of shape %s'
                         % (what, tuple(value.shape)))
    return bool(value.reshape(-1)[0].item())


def run_body(runner, arrays, record):
    """Run a subgraph on fresh variables holding ``arrays``; ``(variables, outputs)``."""
    variables = [NDArray(a) for a in arrays]
    if record:
        for v in variables:
            v.attach_grad()
    return variables, runner(*variables)


def body_grads(xp, variables, outputs, out_grads):
    """Gradients (arrays) of a recorded run's variables, given those of its outputs (None: zero)."""
    heads, head_grads = [], []
    for r, g in zip(outputs, out_grads):
        if g is not None and (r._entry is not None or r._grad is not None):
            heads.append(r)
            head_grads.append(NDArray(xp.ascontiguousarray(g)))
    if heads:
        return [g._data for g in autograd.grad(heads, variables, head_grads, retain_graph=True)]
    return [xp.zeros(v.shape, dtype=v.dtype) for v in variables]


def _known_shape(shape):
    return shape is not None and len(shape) > 0 and 0 not in shape


def infer_through(sub, in_values, kind):
    """Shapes (``kind='shape'``) or dtypes (``'type'``) through a subgraph.

    ``in_values`` holds one value (or None) per subgraph input; returns ``(inputs, outputs)``
    with what the subgraph determines filled in (None where still unknown). Shapes follow the
    graph sweep's convention: ``()`` or a 0 dimension means unknown.
    """
    names = sub.list_inputs()
    if kind == 'shape':
        known = {n: tuple(v) for n, v in zip(names, in_values) if _known_shape(v)}
        args, outs, aux = sub.infer_shape_partial(**known)
        ok, conv = _known_shape, tuple
    else:
        known = {n: v for n, v in zip(names, in_values) if v is not None}
        args, outs, aux = sub.infer_type_partial(**known)
        ok, conv = (lambda t: t is not None), np.dtype
    found = dict(zip(sub.list_arguments(), args))
    found.update(zip(sub.list_auxiliary_states(), aux))
    new_in = []
    for n, v in zip(names, in_values):
        if n in known:
            new_in.append(conv(known[n]))
        else:
            f = found.get(n)
            new_in.append(conv(f) if ok(f) else None)
    return new_in, [conv(o) if ok(o) else None for o in outs]
