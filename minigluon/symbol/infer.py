"""Shape and dtype inference over a symbol graph (``Symbol.infer_shape`` / ``infer_type``).

Known shapes come from the caller (positionally in :meth:`Symbol.list_arguments` order, or by
input name) and from variables' ``__shape__`` attributes; ``0`` marks an unknown dimension, as in
MXNet 1.x legacy mode. The graph is swept in topological order, each operator's ``infer_shape``
filling what it can (operators with weights derive the weight shapes from the data), until a sweep
learns nothing new. dtypes work the same way through each operator's ``infer_type`` and the
``__dtype__`` attributes.
"""
import warnings

import numpy as np

from minigluon.base import MXNetError, ShapeConflictError, TypeConflictError
from minigluon.ops._literal import parse_literal as _parse_literal
from minigluon.symbol.op_names import FLAG_TO_DTYPE


def _known(shape):
    return shape is not None and 0 not in shape


def _merge(old, new, where):
    """Combine two partial shapes; raise when they disagree."""
    if new is None:
        return old
    new = tuple(int(d) for d in new)
    if old is None or len(old) != len(new) and not _known(old):
        return new
    if len(old) != len(new):
        raise MXNetError('infer_shape: %s has inconsistent shapes %s and %s' % (where, old, new))
    out = []
    for a, b in zip(old, new):
        if a and b and a != b:
            raise MXNetError('infer_shape: %s has inconsistent shapes %s and %s' % (where, old, new))
        out.append(a or b)
    return tuple(out)


def _given(symbol, args, kwargs, what, convert):
    """Map user-given values (positional over list_arguments, or by input name) to input names."""
    names = symbol.list_arguments()
    inputs = symbol.list_inputs()
    if len(args) > len(names):
        raise ValueError('%s: %d positional values given, the symbol has %d arguments %s'
                         % (what, len(args), len(names), names))
    given = {n: v for n, v in zip(names, args) if v is not None}
    for key, value in kwargs.items():
        if key not in inputs:
            raise ValueError('%s: %r is not an input of the symbol; its inputs are %s'
                             % (what, key, inputs))
        if value is not None:
            given[key] = value
    return {k: convert(k, v) for k, v in given.items()}


def _as_shape(name, value):
    try:
        return tuple(int(d) for d in (value if isinstance(value, (tuple, list)) else (value,)))
    except (TypeError, ValueError, OverflowError):      # OverflowError: a shape of 1e309
        raise ValueError('infer_shape: the shape of %r must be a tuple of ints, got %r'
                         % (name, value)) from None


def _attr_shape(node):
    text = node.attrs.get('__shape__')
    if text is None:
        return None
    value = _parse_literal(text)
    try:
        return _as_shape(node.name, value)
    except ValueError:
        raise MXNetError("variable '%s': __shape__ %r is not a shape" % (node.name, text)) from None


def _as_dtype(name, value):
    try:
        return np.dtype(value)
    except TypeError:
        raise ValueError('infer_type: the dtype of %r must be a NumPy dtype, got %r'
                         % (name, value)) from None


def _attr_dtype(node):
    text = node.attrs.get('__dtype__')
    if text is None:
        return None
    try:
        return FLAG_TO_DTYPE[int(text)]
    except (ValueError, KeyError):
        raise MXNetError("variable '%s': __dtype__ %r is not an MXNet type flag"
                         % (node.name, text)) from None


def _describe(node, shapes):
    return ', '.join('%s=%s' % (a, s) for a, s in zip(node.arg_names, shapes))


def _differs(new, old):
    """Whether an entry changed; None (unknown) is compared by identity, since NumPy reads
    ``np.dtype('float64') == None`` as True (``np.dtype(None)`` is float64)."""
    if new is None or old is None:
        return new is not old
    return new != old


def _sweep(symbol, seed, op_rule, merge, complete, dtypes=None):
    """Propagate values over entries ``(id(node), index)`` until a fixed point. Returns
    ``(vals, failures)``: ``failures`` maps each node whose rule still failed on partly known
    inputs at the end to the error's description (for the "cannot decide" warning)."""
    nodes = symbol._nodes()
    vals = {}
    failures = {}
    for node in nodes:
        if node.is_variable:
            vals[(id(node), 0)] = seed(node)
    for _ in range(len(nodes) + 1):
        changed = False
        for node in nodes:
            if node.is_variable:
                continue
            keys = [(id(src), idx) for src, idx, _ in node.inputs]
            ins = [vals.get(k) for k in keys]
            outs_before = [vals.get((id(node), i)) for i in range(node.num_outputs)]
            if all(complete(v) for v in ins) and all(complete(v) for v in outs_before):
                continue
            op = node.make_op()
            op._infer_outputs = outs_before   # lets an operator infer inputs backwards from outputs
            op._infer_op_name = node.op       # the name used (elemwise_add or its alias broadcast_add)
            if dtypes is not None:
                op._infer_dtypes = [dtypes.get(k) or np.float32 for k in keys]
            try:
                new_ins, new_outs = op_rule(op, list(ins))
            except Exception as err:   # noqa: BLE001 - an operator may fail until inputs are known
                text = str(err)
                if type(err) is IndexError and 'index out of range' in text:
                    # a rule read a dimension that an input of too low a rank lacks
                    text = 'an input has fewer dimensions than %s reads (%s)' % (node.op, text)
                where = "%s '%s' (%s): %s" % (node.op, node.name, _describe(node, ins), text)
                if isinstance(err, (ShapeConflictError, TypeConflictError)) or \
                        all(complete(v) for v in ins):
                    refused = MXNetError(where)
                    refused.graph_node = node.name     # lets a hybridized block name its layer
                    raise refused from None
                failures[node.name] = where
                continue
            failures.pop(node.name, None)
            for k, arg, v in zip(keys, node.arg_names, new_ins):
                m = merge(vals.get(k), v, "input '%s' of %s '%s'" % (arg, node.op, node.name))
                changed |= _differs(m, vals.get(k))
                vals[k] = m
            for i, v in enumerate(list(new_outs)[:node.num_outputs]):
                k = (id(node), i)
                m = merge(vals.get(k), v, "output %d of %s '%s'" % (i, node.op, node.name))
                changed |= _differs(m, vals.get(k))
                vals[k] = m
        if not changed:
            break
    return vals, failures


def _result(symbol, swept, complete, partial, empty, what):
    vals, failures = swept
    roles = symbol._input_roles()
    args = [vals.get((id(n), 0)) for n, aux in roles if not aux]
    auxs = [vals.get((id(n), 0)) for n, aux in roles if aux]
    outs = [vals.get((id(n), i)) for n, i in symbol._outputs]
    unknown = [n.name for n, _ in roles if not complete(vals.get((id(n), 0)))]
    if not partial and (unknown or not all(complete(o) for o in outs)):
        failed = ''.join('\n  %s' % f for f in failures.values())
        # every argument known but an output not: an operator's rule left it open (a custom
        # operator's infer_shape returning a 0 dimension); name those outputs, not an empty list
        open_outs = '' if unknown else (
            '\nEvery argument is known, but not the output(s) %s (as its operator\'s rule '
            'left them: %s)' % ([n for n, o in zip(symbol.list_outputs(), outs) if not complete(o)],
                                [o for o in outs if not complete(o)]))
        warnings.warn('Cannot decide %s for the following arguments (0s in shape means unknown '
                      'dimensions). Consider providing them as input: %s%s%s'
                      % (what, unknown, open_outs,
                         ('\nOperators that failed on the partly known %ss (a '
                          'conflict among known dimensions shows here):%s'
                          % (what, failed)) if failed else ''),
                      stacklevel=3)
        return None, None, None
    fix = (lambda v: empty if v is None else v)
    return [fix(v) for v in args], [fix(v) for v in outs], [fix(v) for v in auxs]


def _dtype_vals(symbol, given):
    def seed(node):
        return given.get(node.name) or _attr_dtype(node)

    def rule(op, ins):
        return op.infer_type(ins)

    def merge(old, new, where):
        return old if new is None else (old if old is not None else np.dtype(new))
    return _sweep(symbol, seed, rule, merge, lambda v: v is not None)[0]


def infer_shape(symbol, args, kwargs, partial):
    """Return ``(arg_shapes, out_shapes, aux_shapes)``; see :meth:`Symbol.infer_shape`.

    Unknown shapes are ``()`` with ``partial``; without it an incomplete result warns and
    returns ``(None, None, None)``, as MXNet does.

    Raises
    ------
    ValueError
        For a value that is not a shape or a name that is not an input.
    MXNetError
        When shapes contradict each other or an operator rejects its input shapes (the message
        names the node, its operator and every input shape).
    """
    given = _given(symbol, args, kwargs, 'infer_shape', _as_shape)
    try:
        dtypes = _dtype_vals(symbol, {})
    except MXNetError:
        dtypes = {}

    def seed(node):
        # As nnvm: a variable's __shape__ attribute counts only when the shape given for it is
        # not fully known ((2, 0) given, (0, 3) attribute: (0, 3)).
        shape = given.get(node.name)
        if shape is not None and _known(tuple(shape)):
            return tuple(int(d) for d in shape)
        attr = _attr_shape(node)
        return attr if attr is not None else _merge(None, shape, "input '%s'" % node.name)

    return _result(symbol, sweep_shapes(symbol, seed, dtypes), _known, partial, (), 'shape')


def _shape_rule(op, ins):
    return op.infer_shape(ins)


def sweep_shapes(symbol, seed, dtypes=None):
    """:func:`_sweep` for shapes: ``seed(variable node)`` gives a variable's known shape (or
    None); ``dtypes`` maps entries ``(id(node), index)`` to dtypes the operators' shape rules may
    read. Used by :func:`infer_shape` and by ``CachedOp`` to size fill nodes per call."""
    return _sweep(symbol, seed, _shape_rule, _merge, _known, dtypes)


def infer_type(symbol, args, kwargs, partial):
    """Return ``(arg_types, out_types, aux_types)`` as NumPy scalar types (``numpy.float32``).

    Unknown dtypes are None with ``partial``; otherwise an incomplete result warns and returns
    ``(None, None, None)``.
    """
    given = _given(symbol, args, kwargs, 'infer_type', _as_dtype)
    vals = _dtype_vals(symbol, given)
    vals = {k: (v.type if v is not None else None) for k, v in vals.items()}
    return _result(symbol, (vals, {}), lambda v: v is not None, partial, None, 'type')
