"""``sym.contrib.foreach``: trace a body into a ``_foreach`` node (``while_loop`` and ``cond``:
:mod:`minigluon.control_flow.symbolic_cond`, re-exported here).

``foreach`` calls the Python body once on fresh variables inside
``AttrScope(__subgraph_name__=<unique name>)``, so every node the body creates carries that
attribute. The traced graph is then cut, as MXNet 1.9.1's ``sym.contrib.foreach`` cuts it: an
input entry from a node without the attribute (an array computed outside the body, or a
variable made outside it) becomes a new variable named by that entry's output name (``a``,
``fc_output``), and the outside entry becomes an input of the ``_foreach`` node. Variables the
body created itself (a Gluon parameter first used inside the body) are copied into the
subgraph and the original variable is the node's input. Unlike MXNet, the caller's graph is
never modified (the subgraph is a copy) and an outside entry read twice gives one variable.
"""
import collections

from minigluon.attribute import AttrScope
from minigluon.base import ValueAssertionError
from minigluon._nest import flatten, regroup
from minigluon.control_flow._checks import check_callable, unpack_pair
from minigluon.control_flow.ops import ForEach
from minigluon.name import NameManager
from minigluon.symbol.creation import var
from minigluon.symbol.symbol import Symbol, _hidden_key, _Node, new_op_node, topo_order, update_versions

__all__ = ['foreach', 'while_loop', 'cond']

_SUBGRAPH_COUNTS = collections.defaultdict(int)
_KEY = '__subgraph_name__'


def _unique_subgraph_name(name):
    """``foreach0``, ``foreach1``...; inside another body ``<outer>$foreach0`` (MXNet's rule)."""
    outer = AttrScope.current._attr.get(_KEY, '')
    if outer:
        name = outer + '$' + name
    _SUBGRAPH_COUNTS[name] += 1
    return name + str(_SUBGRAPH_COUNTS[name] - 1)


def _single(sym, what):
    if len(sym._outputs) != 1:
        raise ValueError('foreach: every symbol in %s must have one output, got a group of %d'
                         % (what, len(sym._outputs)))
    return sym._outputs[0]


def _loop_var_name(sym):
    node, idx = sym._outputs[0]
    return '%s-%d' % (node.name, idx)


def _check_unique_loop_vars(syms, fname):
    """One array given twice as data, states or loop variables (``[h, h]``) would be one input
    of the body: MXNet 1.9.1 asserts that the body's inputs have unique names."""
    names = [_loop_var_name(s) for s in syms]
    if len(set(names)) != len(names):
        raise ValueAssertionError("%s: the inputs of the subgraph don't have unique names: %s "
                                  "(an array is given twice as data, state or loop variable)"
                                  % (fname, names))


def _entry_name(node, idx):
    return node.name if node.is_variable else '%s_%s' % (node.name, node.out_names[idx])


def _in_body(node, sg):
    return node.attrs.get(_KEY) == sg


def _make_heads(outs, states, sg):
    """Subgraph heads; an output that is an input or comes from outside goes through identity
    (as MXNet's ``_construct_subgraph``), so that outputs are nodes of the body."""
    from minigluon import symbol as _sym
    group = Symbol([o for s in outs + states for o in s._outputs])
    input_names = set(group.list_inputs())
    out_names = {s.name for s in outs}
    heads = []
    for k, s in enumerate(outs + states):
        node = s._outputs[0][0]
        wrap = s.name in input_names or not _in_body(node, sg) or (k >= len(outs) and s.name in out_names)
        heads.append((_sym.identity(s) if wrap else s)._outputs[0])
    return heads


def _cut(heads, sg):
    """Copy the body reachable from ``heads``; return ``(subgraph, {input name: outside entry})``."""
    copies, outside = {}, {}
    for node in topo_order(heads):
        if not _in_body(node, sg):
            continue
        if node.is_variable:
            copies[id(node)] = _Node(node.name, node.attrs)
            continue
        entries = []
        for src, idx, version in node.inputs:
            if _in_body(src, sg):
                entries.append((copies[id(src)], idx, version))
                continue
            key = (id(src), idx)
            if key not in copies:
                name = _entry_name(src, idx)
                copies[key] = _Node(name)
                outside[name] = Symbol([(src, idx)])
            entries.append((copies[key], 0, 0))
        copies[id(node)] = node.clone(entries)
    return Symbol([(copies[id(n)], i) for n, i in heads]), outside


def _make_node(op, op_name, subgraphs, inputs):
    """Attach ``subgraphs`` to ``op``; one node of it on ``inputs``; its outputs as Symbols."""
    op.set_subgraphs(subgraphs)
    hidden = {_hidden_key(k): v for k, v in AttrScope.current.get(None).items()}
    node = new_op_node(op, op_name, NameManager.current.get(None, op_name), hidden,
                       [s._outputs[0] + (0,) for s in inputs])
    update_versions(node)
    return [Symbol([(node, i)]) for i in range(node.num_outputs)]


def foreach(body, data, init_states, name='foreach'):
    """Symbolic ``foreach``: one ``_foreach`` node running ``body`` over axis 0 of ``data``.

    Parameters
    ----------
    body : callable
        ``body(data_slice, states) -> (outputs, new_states)`` on Symbols; see
        :func:`minigluon.control_flow.eager.foreach`.
    data : Symbol or (nested) list of Symbol
    init_states : Symbol or (nested) list of Symbol
    name : str, default 'foreach'
        The stem of the subgraph's name (``foreach0``...), written as ``__subgraph_name__``.

    Returns
    -------
    (outputs, states)
        Outputs of the node, structured as the body's outputs and states.

    Raises
    ------
    TypeError
        If ``body`` is not callable, ``data``/``init_states`` hold non-Symbols, or ``body`` does
        not return an ``(outputs, states)`` pair of Symbols.
    ValueAssertionError
        (a ``ValueError`` and, as MXNet 1.9.1's ``assert``, an ``AssertionError``) If the
        returned states are structured unlike ``init_states``, a data or state variable is not
        used by the body, or two inputs of the body have the same name (one array given twice
        as data or state included).

    Notes
    -----
    Same node, attributes and subgraph as MXNet 1.9.1's ``mx.sym.contrib.foreach``.
    """
    check_callable(body, 'body', 'foreach')
    flat_data, data_fmt = flatten(data, Symbol, 'foreach: data')
    flat_states, state_fmt = flatten(init_states, Symbol, 'foreach: init_states')
    if not flat_data:
        raise ValueError('foreach: data must hold at least one Symbol')
    for s in flat_data:
        _single(s, 'data')
    for s in flat_states:
        _single(s, 'init_states')
    _check_unique_loop_vars(flat_data + flat_states, 'foreach')
    sg = _unique_subgraph_name(name)
    with AttrScope(**{_KEY: sg}):
        made = {}

        def loop_var(sym):
            vname = _loop_var_name(sym)
            if vname not in made:
                made[vname] = var(vname)
            return made[vname]
        in_vars = regroup([loop_var(s) for s in flat_data], data_fmt)
        st_vars = regroup([loop_var(s) for s in flat_states], state_fmt)
        outs, states = unpack_pair(body(in_vars, st_vars), 'foreach', 'body', 'outputs', 'states')
        flat_out, out_fmt = flatten(outs, Symbol, 'foreach: the outputs returned by body')
        flat_new, new_fmt = flatten(states, Symbol, 'foreach: the states returned by body')
        if new_fmt != state_fmt:
            raise ValueAssertionError('foreach: body must return states structured like '
                                      'init_states (structure %r), got structure %r'
                                      % (state_fmt, new_fmt))
        for s in flat_out + flat_new:
            _single(s, 'the outputs and states returned by body')
        heads = _make_heads(flat_out, flat_new, sg)
    sub, outside = _cut(heads, sg)
    names = sub.list_inputs()
    if len(set(names)) != len(names):
        raise ValueAssertionError('foreach: the inputs of the body do not have unique names: %s'
                                  % names)
    data_names = [_loop_var_name(s) for s in flat_data]
    state_names = [_loop_var_name(s) for s in flat_states]
    for what, wanted in (('data', data_names), ('state', state_names)):
        unused = [n for n in wanted if n not in names]
        if unused:
            raise ValueAssertionError('foreach: the %s arrays have to be used in the loop body '
                                      '(%s unused)' % (what, unused))
    ordered = list(flat_data) + list(flat_states)
    remain_locs = []
    body_vars = {n.name: n for n in topo_order(heads) if n.is_variable}
    for loc, in_name in enumerate(names):
        if in_name in outside:
            ordered.append(outside[in_name])
        elif in_name in data_names or in_name in state_names:
            continue
        else:
            ordered.append(Symbol([(body_vars[in_name], 0)]))
        remain_locs.append(loc)
    op = ForEach(num_args=len(ordered) + 1, num_outputs=len(flat_out) + len(flat_new),
                 num_out_data=len(flat_out), in_state_locs=[names.index(n) for n in state_names],
                 in_data_locs=[names.index(n) for n in data_names], remain_locs=remain_locs)
    results = _make_node(op, '_foreach', [sub], ordered)
    return regroup(results[:len(flat_out)], out_fmt), regroup(results[len(flat_out):], state_fmt)



# while_loop and cond share this module's tracing helpers; imported last (they import them)
from minigluon.control_flow.symbolic_cond import cond, while_loop  # noqa: E402,F401
