"""The nodes of a symbolic graph and the walks over them, used by :class:`~minigluon.symbol.Symbol`.

A graph is made of :class:`_Node` objects. A variable node has ``op=None``; an operator node holds
the operator class from the registry, the attribute strings MXNet writes to ``-symbol.json``, the
parsed attribute state and its inputs as ``(node, output_index, version)`` entries. This module
builds operator nodes (:func:`new_op_node`), stamps variable versions the way nnvm does
(:func:`update_versions`), resolves function and JSON names to operator classes
(:func:`resolve_op`) and orders a graph's nodes (:func:`topo_order`, post-order DFS with an explicit
stack, nnvm's order, so deep graphs never hit Python's recursion limit).

None of this needs the ``Symbol`` class, so it lives apart from :mod:`minigluon.symbol.symbol`
(which re-exports these names) and can be read on its own. Semantics: MXNet 1.9.1 / nnvm.
"""
from minigluon.base import MXNetError
from minigluon.ops.registry import OPS, Op
from minigluon.symbol.op_names import MX_ALIASES, OUTPUT_NAMES, mx_hidden_outputs


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
    elif node.out_names == ['output'] and mx_hidden_outputs(node.cls.name, node.state):
        node.out_names = ['output0']      # MXNet's name: its operator has hidden outputs too
    node.num_outputs = int(op.num_outputs)
    node.num_visible = int(op.n_visible)
    node.mutate = tuple(getattr(op, 'mutate_inputs', ()) or ())
    node.inputs = list(inputs)
    return node


def hook_names(node):
    """``(input names, output names)``: what MXNet 1.9.1's op hook calls the inputs and the visible
    outputs of operator node ``node``, after ``<node name>_``: the operator's own names where
    MXNet registers them (``data``, ``weight``; ``output``, ``output0``: see
    ``Op.mxnet_input_names``), else ``input0, input1...`` and ``0, 1...``."""
    cls = node.cls
    ins = (list(node.arg_names) if cls.mxnet_names('input', node.op)
           else ['input%d' % i for i in range(len(node.inputs))])
    outs = (list(node.out_names[:node.num_visible]) if cls.mxnet_names('output', node.op)
            else [str(i) for i in range(node.num_visible)])
    return ins, outs


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
