"""``sym.contrib.while_loop`` and ``sym.contrib.cond``: trace Python functions into one node.

Each function (``cond`` and ``func`` of a loop; the predicate and the two branches of ``cond``)
is traced as :mod:`minigluon.control_flow.symbolic` traces a ``foreach`` body: inside
``AttrScope(__subgraph_name__=<unique name>)`` (``while_loop_cond0``, ``while_loop_func0``,
``cond_pred0``, ``cond_then0``, ``cond_else0``), then cut from the caller's graph. The node's
inputs are the union of the subgraphs' inputs, collected subgraph by subgraph in
``list_inputs()`` order, and shared as MXNet 1.9.1's ``_union_inputs`` shares them:

* ``while_loop``: only the loop variables are shared (an outside array that both ``cond`` and
  ``func`` read is two inputs of the node, as in MXNet's files);
* ``cond``: a subgraph input is shared with an earlier one of the same name (a variable read
  by two branches is one input; an outside operator output is not, as in MXNet).
"""
from minigluon.attribute import AttrScope
from minigluon.base import ValueAssertionError
from minigluon._nest import flatten, regroup
from minigluon.control_flow._checks import check_callable, to_python_scalar, unpack_pair
from minigluon.control_flow.cond_op import Cond
from minigluon.control_flow.symbolic import (_KEY, _check_unique_loop_vars, _cut, _loop_var_name,
                                             _make_heads, _make_node, _single,
                                             _unique_subgraph_name)
from minigluon.control_flow.while_op import WhileLoop
from minigluon.symbol.creation import var
from minigluon.symbol.symbol import Symbol, topo_order

__all__ = ['while_loop', 'cond']


def _trace(stem, args_syms, fmt, fn, fname):
    """Trace ``fn`` on fresh variables named after ``args_syms`` (``<name>-<index>``).

    ``fn(args)`` returns a flat list of output Symbols. Returns ``(subgraph, [(input name,
    outside Symbol or None)], extra)``: None for a loop variable's own input.
    """
    sg = _unique_subgraph_name(stem)
    with AttrScope(**{_KEY: sg}):
        made = {}
        for s in args_syms:
            made.setdefault(_loop_var_name(s), None)
        new_vars = {n: var(n) for n in made}
        args = regroup([new_vars[_loop_var_name(s)] for s in args_syms], fmt) if args_syms else []
        outs, extra = fn(args)
        for s in outs:
            _single(s, 'the symbols returned by %s' % fname)
        heads = _make_heads(outs, [], sg)
    sub, outside = _cut(heads, sg)
    names = sub.list_inputs()
    if len(set(names)) != len(names):
        raise ValueAssertionError('%s: the inputs of the subgraph do not have unique names: %s'
                                  % (fname, names))
    body_vars = {n.name: n for n in topo_order(heads) if n.is_variable}
    sources = []
    for n in names:
        if n in new_vars:
            sources.append((n, None))
        elif n in outside:
            sources.append((n, outside[n]))
        else:
            sources.append((n, Symbol([(body_vars[n], 0)])))
    return sub, sources, extra


def while_loop(cond, func, loop_vars, max_iterations=None, name='while_loop'):
    """Symbolic ``while_loop``: one ``_while_loop`` node.

    Parameters
    ----------
    cond : callable
        ``cond(*loop_vars)`` returns a one-output Symbol (one element when evaluated).
    func : callable
        ``func(*loop_vars) -> (step_output, new_loop_vars)`` on Symbols (see
        :func:`minigluon.control_flow.eager.while_loop`).
    loop_vars : Symbol or (nested) list of Symbol
    max_iterations : int or one-element NDArray
        Required: the bound on the steps and the number of rows of the stacked outputs.
    name : str, default 'while_loop'
        The stem of the subgraph names (``while_loop_cond0``, ``while_loop_func0``).

    Returns
    -------
    (outputs, states)
        Step outputs (each of shape ``(max_iterations,) + step shape``; rows after the last
        step are zeros), structured as ``func`` returns them, and the final loop variables,
        structured as ``loop_vars``.

    Raises
    ------
    TypeError
        If ``cond``/``func`` is not callable, ``loop_vars`` holds non-Symbols, or ``func``
        does not return a pair of Symbols (or None).
    ValueError
        If ``max_iterations`` is missing, not an integer or below 1 (MXNet's bound for the
        graph operator; eagerly 0 runs no step), ``loop_vars`` is empty, ``cond``
        does not return a Symbol, ``func`` returns another number of loop variables (or a
        list or tuple of another length than 2 instead of a pair), or a loop variable is not
        used by ``func``; a ``ValueAssertionError`` (also MXNet's ``AssertionError``) if one
        array is given twice in ``loop_vars``.

    Notes
    -----
    Same node, attributes and subgraphs as MXNet 1.9.1's ``mx.sym.contrib.while_loop``.
    """
    check_callable(cond, 'cond', 'while_loop')
    check_callable(func, 'func', 'while_loop')
    if max_iterations is None:
        raise ValueError('while_loop: max_iterations should be specified (an int)')
    max_iterations = to_python_scalar(max_iterations, int, 'while_loop: max_iterations')
    flat_vars, var_fmt = flatten(loop_vars, Symbol, 'while_loop: loop_vars')
    if not flat_vars:
        raise ValueError('while_loop: loop_vars should contain at least one element')
    for s in flat_vars:
        _single(s, 'loop_vars')
    _check_unique_loop_vars(flat_vars, 'while_loop')
    as_args = (lambda args: [args]) if var_fmt == 0 else (lambda args: args)

    def run_cond(args):
        result = cond(*as_args(args))
        if not isinstance(result, Symbol):
            raise ValueError('while_loop: cond must return a Symbol, got %s' % type(result).__name__)
        return [result], None

    def run_func(args):
        step_output, new_vars = unpack_pair(func(*as_args(args)), 'while_loop', 'func',
                                             'step_output', 'new_loop_vars')
        step_output = [] if step_output is None else step_output
        new_vars = [] if new_vars is None else new_vars
        flat_out, out_fmt = flatten(step_output, Symbol, 'while_loop: the step_output returned by func')
        flat_new, _ = flatten(new_vars, Symbol, 'while_loop: the loop variables returned by func')
        if len(flat_new) != len(flat_vars):
            raise ValueError('while_loop: func returned %d loop variables, expected %d (the number '
                             'of loop_vars must stay the same)' % (len(flat_new), len(flat_vars)))
        return flat_out + flat_new, (len(flat_out), out_fmt)

    cond_g, cond_src, _ = _trace(name + '_cond', flat_vars, var_fmt, run_cond, 'cond')
    func_g, func_src, (nod, out_fmt) = _trace(name + '_func', flat_vars, var_fmt, run_func, 'func')
    var_syms = {_loop_var_name(s): s for s in flat_vars}
    inputs, shared = [], {}

    def locate(sources):
        locs = []
        for in_name, outside in sources:
            if outside is None:            # a loop variable: one node input for both subgraphs
                if in_name not in shared:
                    shared[in_name] = len(inputs)
                    inputs.append(var_syms[in_name])
                locs.append(shared[in_name])
            else:
                locs.append(len(inputs))
                inputs.append(outside)
        return locs
    cond_locs, func_locs = locate(cond_src), locate(func_src)
    func_names = [n for n, _ in func_src]
    var_locs = []
    for i, s in enumerate(flat_vars, 1):
        if _loop_var_name(s) not in func_names:
            raise ValueError("while_loop: the %d-th loop_var doesn't involve into the computation "
                             "(func does not use it)" % i)
        var_locs.append(func_names.index(_loop_var_name(s)))
    op = WhileLoop(num_args=len(inputs) + 2, num_outputs=nod + len(flat_vars), num_out_data=nod,
                   max_iterations=max_iterations, cond_input_locs=cond_locs,
                   func_input_locs=func_locs, func_var_locs=var_locs)
    results = _make_node(op, '_while_loop', [cond_g, func_g], inputs)
    outputs = regroup(results[:nod], out_fmt) if nod else []
    return outputs, regroup(results[nod:], var_fmt)


def cond(pred, then_func, else_func, name='cond'):
    """Symbolic ``cond``: one ``_cond`` node running ``then_func`` or ``else_func``.

    Parameters
    ----------
    pred : Symbol
        One output, one element when evaluated; true when non-zero.
    then_func, else_func : callable
        Functions of no arguments returning a Symbol or a (nested) list of Symbols; both must
        return as many, with the same shapes and dtypes.
    name : str, default 'cond'
        The stem of the subgraph names (``cond_pred0``, ``cond_then0``, ``cond_else0``).

    Returns
    -------
    Symbol or list of Symbol
        Structured as ``then_func``'s result.

    Raises
    ------
    TypeError
        If ``pred`` is not a Symbol, a function is not callable, or returns non-Symbols.
    ValueError
        If ``pred`` has several outputs or the branches return different numbers of outputs.

    Notes
    -----
    Same node, attributes and subgraphs as MXNet 1.9.1's ``mx.sym.contrib.cond``.
    """
    if not isinstance(pred, Symbol):
        raise TypeError('cond: pred must be a Symbol (for NDArrays use nd.contrib.cond), got %s'
                        % type(pred).__name__)
    if len(pred._outputs) != 1:
        raise ValueError('cond: pred should always be a single output, got a group of %d'
                         % len(pred._outputs))
    check_callable(then_func, 'then_func', 'cond')
    check_callable(else_func, 'else_func', 'cond')

    def branch(fn, what):
        def run(_):
            flat, fmt = flatten(fn(), Symbol, 'cond: the outputs of %s' % what)
            return flat, (len(flat), fmt)
        return run
    graphs, srcs, counts = [], [], []
    for stem, fn, what in (('_pred', lambda: pred, 'pred'), ('_then', then_func, 'then_func'),
                           ('_else', else_func, 'else_func')):
        g, src, extra = _trace(name + stem, [], 0, branch(fn, what), what)
        graphs.append(g)
        srcs.append(src)
        counts.append(extra)
    (n_then, then_fmt), (n_else, _) = counts[1], counts[2]
    if n_then != n_else:
        raise ValueError('cond: number of outputs differs between then-branch (%d) and '
                         'else-branch (%d)' % (n_then, n_else))
    inputs, names, all_locs = [], [], []
    for src in srcs:
        earlier = {n: i for i, n in enumerate(names)}
        locs = []
        for in_name, outside in src:
            if in_name in earlier:
                locs.append(earlier[in_name])
                continue
            locs.append(len(inputs))
            inputs.append(outside)
            names.append(outside.name)
        all_locs.append(locs)
    op = Cond(num_args=len(inputs) + 3, num_outputs=n_then, cond_input_locs=all_locs[0],
              then_input_locs=all_locs[1], else_input_locs=all_locs[2])
    results = _make_node(op, '_cond', graphs, inputs)
    return regroup(results, then_fmt)
