"""The ``Custom`` operator: operators written in Python by the user (MXNet 1.9.1 ``mx.operator``).

A user subclasses :class:`minigluon.operator.CustomOpProp` (the operator's description: input,
output and auxiliary-state names, shape and dtype rules) and :class:`minigluon.operator.CustomOp`
(its ``forward`` and ``backward`` on NDArrays), registers the description under a name with
``@mx.operator.register('name')`` and calls it as ``nd.Custom(x, op_type='name', **attrs)`` or
``sym.Custom(...)`` (``F.Custom`` in ``hybrid_forward``). This module holds the registry operator
that runs them: eagerly, inside a hybridized graph and from an exported ``-symbol.json`` (node
``"op": "Custom"``, attributes ``op_type`` and the user's own, all strings, as MXNet writes them).

What the description says is read per call, as MXNet does: the attributes are turned into strings
and passed to the description's constructor, ``list_arguments()`` + ``list_auxiliary_states()``
are the operator's inputs (auxiliary states last, written in place by ``forward`` like
BatchNorm's running statistics), ``list_outputs()`` its outputs, ``infer_shape`` / ``infer_type``
its shape and dtype rules, and ``create_operator`` gives the :class:`CustomOp` that computes.

Differences from MXNet 1.9.1 (it crashes or misbehaves in these cases):

* inputs may be passed by name (``nd.Custom(data=x, label=y, op_type=...)``); MXNet's
  ``nd.Custom`` ends the process with a segmentation fault there (``sym.Custom`` accepts them);
* ``backward`` always receives the gradients of the outputs, also when the description says
  ``need_top_grad=False``; MXNet then hands arrays of unknown shape that fail when read;
* ``CustomOp.assign`` refuses a ``req`` other than ``'null'``, ``'write'``, ``'inplace'`` and
  ``'add'`` (MXNet ignores it silently);
* an exception raised by the user's code (the description's constructor, ``list_*``,
  ``create_operator``, the operator's ``forward`` / ``backward``) becomes an ``MXNetError`` whose
  message starts ``Custom(op_type=...): <Class>.<method> raised <Type>: ...``, chained to the
  original (``ValueError`` / ``TypeError`` / ``IndexError`` keep their type as
  ``MXNetValueError``...); MXNet's message names neither the operator nor the method. A
  ``create_operator`` that returns no operator (an object without ``forward`` and ``backward``)
  is refused by name (MXNet fails on an attribute assignment);
* an ``infer_shape`` that gives an output a 0 dimension (or ``()``) leaves that output unknown,
  as 0 means unknown in MXNet 1.x shapes: ``Symbol.infer_shape`` warns naming the output and
  returns ``(None, None, None)``, ``nd.Custom`` raises naming the op_type and output; MXNet takes
  the 0 as a size, returns the shape and makes an empty output whose ``backward`` then fails;
  when an input is itself empty (a zero-size batch), ``nd.Custom`` takes the 0 as a size and
  runs the operator on empty arrays (MXNet 1.9.1 fails to infer the shapes);
* a custom operator inside a hybridized ``contrib.foreach`` / ``while_loop`` / ``cond`` body
  runs as it does eagerly; MXNet passes the subgraph's ``__subgraph_name__`` attribute to the
  description's constructor, which refuses it, and the process ends with a segmentation fault.
"""
import numpy as np

from minigluon._fp_errors import with_numpy_defaults
from minigluon.base import MXNetError, MXNetIndexError, MXNetTypeError, MXNetValueError
from minigluon.ops.attr import python_scalar
from minigluon.ops.registry import Op, register

PROPS = {}      # op_type -> CustomOpProp subclass (filled by minigluon.operator.register)


def prop_class(op_type):
    """The description class registered as ``op_type``; MXNetError naming the registered ones."""
    cls = PROPS.get(op_type)
    if cls is None:
        known = ', '.join(repr(k) for k in sorted(PROPS)) or 'none yet'
        raise MXNetError("Custom: no custom operator is registered as op_type=%r (registered: %s); "
                         "register its CustomOpProp subclass with @mx.operator.register(%r) first"
                         % (op_type, known, op_type))
    return cls


def _names(values, op_type, method, allow_empty=True):
    """``values`` (what the description's ``method`` returned) as a list of strings."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)) \
            or not all(isinstance(v, str) for v in values):
        raise TypeError("Custom(op_type=%r): %s() must return a list of strings, got %r"
                        % (op_type, method, values))
    if not allow_empty and not values:
        raise ValueError("Custom(op_type=%r): %s() returned no names; an operator needs at "
                         "least one output" % (op_type, method))
    return list(values)


_ERROR_TWINS = {ValueError: MXNetValueError, TypeError: MXNetTypeError,
                IndexError: MXNetIndexError}


def _user_call(op_type, what, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, a method of the user's description or operator (``what`` names it
    in messages); an exception it raises comes back as an ``MXNetError`` whose message names
    ``op_type`` and the method, chained to the original (whose traceback shows the user's line).
    A ``ValueError`` / ``TypeError`` / ``IndexError`` stays one (``MXNetValueError``...), so
    ``except ValueError`` around the call still works; MXNet 1.9.1 reports every failure as an
    ``MXNetError`` that does not say which custom operator failed."""
    try:
        return fn(*args, **kwargs)
    except Exception as err:   # noqa: BLE001 - the user's code: say which operator failed
        if str(err).startswith('Custom(op_type='):
            raise                    # a nested custom operator already said which one it is
        twin = _ERROR_TWINS.get(type(err))
        if twin is None:
            twin = next((t for t in _ERROR_TWINS.values() if type(err) is t), MXNetError)
        raise twin('Custom(op_type=%r): %s raised %s: %s'
                   % (op_type, what, type(err).__name__, err)) from err


def _attr_string(value):
    """An attribute value as the string MXNet passes to the description (``str``). NumPy scalars
    in a tuple or list print as Python numbers, ``"(2, 3)"`` as under MXNet's NumPy, not NumPy 2's
    ``"(np.int64(2), np.int64(3))"``, which a property's ``eval`` / ``int`` cannot read."""
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)):
        value = type(value)(python_scalar(v) for v in value)
    return str(value)


@register
class Custom(Op):
    """An operator written in Python: see :mod:`minigluon.operator` and this module's docstring.

    Attributes: ``op_type`` (str, required: the name given to ``mx.operator.register``) and any
    other keyword, passed as a string to the description's constructor. Inputs: the description's
    ``list_arguments()`` then its ``list_auxiliary_states()``; outputs: ``list_outputs()``.

    Raises
    ------
    TypeError
        Without ``op_type``, or when the description refuses the attributes.
    MXNetError
        When no description is registered under ``op_type``.
    """

    name = 'Custom'
    arguments = None        # they depend on op_type: see bound_class and list_arguments
    attrs = {}

    def __init__(self, op_type=None, **kwargs):
        if op_type is None:
            raise TypeError("Custom: the attribute op_type is required (the name its CustomOpProp "
                            "was registered under with mx.operator.register)")
        if not isinstance(op_type, str):
            raise TypeError('Custom: op_type must be a string, got %r' % (op_type,))
        strings = {k: _attr_string(v) for k, v in kwargs.items()}
        prop_cls = prop_class(op_type)
        try:
            prop = prop_cls(**strings)
        except TypeError as err:
            raise TypeError('Custom(op_type=%r): %s(**%r) failed: %s'
                            % (op_type, prop_cls.__name__, strings, err)) from None
        except Exception as err:   # noqa: BLE001 - the user's constructor (int('abc')...)
            _user_call(op_type, '%s(**%r)' % (prop_cls.__name__, strings), _raise, err)
        self.op_type = op_type
        self.prop = prop
        name = type(prop).__name__

        def listed(method, **kw):
            values = _user_call(op_type, '%s.%s()' % (name, method), getattr(prop, method))
            return _names(values, op_type, method, **kw)
        self.arg_names = listed('list_arguments')
        self.aux_names = listed('list_auxiliary_states')
        self.out_names = listed('list_outputs', allow_empty=False)
        self.num_outputs = len(self.out_names)
        n = len(self.arg_names)
        self.mutate_inputs = tuple(range(n, n + len(self.aux_names)))
        self.given = dict(strings, op_type=op_type)

    def attr_values(self):
        return dict(self.given)

    def attrs_to_strings(self, only_given=True):
        return dict(sorted(self.given.items()))

    def list_arguments(self):
        return self.arg_names + self.aux_names

    def list_outputs(self):
        return list(self.out_names)

    # -- the description's rules ---------------------------------------------------------------------
    def _rule(self, method, given):
        """Call the description's ``infer_shape`` / ``infer_type`` on the argument entries ``given``
        and return its three lists (arguments, outputs, auxiliary states), checked."""
        try:
            res = getattr(self.prop, method)(given)
        except Exception as err:   # noqa: BLE001 - the user's rule; say which one failed
            raise MXNetError('Custom(op_type=%r): %s.%s(%r) failed: %s: %s'
                             % (self.op_type, type(self.prop).__name__, method, given,
                                type(err).__name__, err)) from None
        res = list(res) if isinstance(res, (list, tuple)) else None
        if res is not None and len(res) == 2:
            res.append([])          # MXNet accepts (arguments, outputs) without auxiliary states
        wanted = (len(self.arg_names), self.num_outputs, len(self.aux_names))
        if res is None or len(res) != 3 or any(
                not isinstance(r, (list, tuple)) or len(r) != w for r, w in zip(res, wanted)):
            raise MXNetError('Custom(op_type=%r): %s must return three lists of %d, %d and %d '
                             'entries (arguments, outputs, auxiliary states), got %r'
                             % (self.op_type, method, wanted[0], wanted[1], wanted[2], res))
        return res

    def infer_shape(self, in_shapes):
        n = len(self.arg_names)
        given = [[] if s is None else [int(d) for d in s] for s in list(in_shapes)[:n]]
        ins, outs, auxs = self._rule('infer_shape', given)

        def shape(s):
            s = tuple(int(d) for d in s)
            return s if s else None        # () is "unknown" in MXNet 1.x's shape convention
        return [shape(s) for s in list(ins) + list(auxs)], [shape(s) for s in outs]

    def output_shapes(self, in_shapes):
        return self.infer_shape(in_shapes)[1]

    def infer_type(self, in_types):
        n = len(self.arg_names)
        given = [None if t is None else np.dtype(t).type for t in list(in_types)[:n]]
        if given and all(t is None for t in given):
            # nothing known yet (a later sweep asks again); an operator without inputs (it
            # makes its output from nothing) is asked at once, as MXNet does
            return list(in_types), [None] * self.num_outputs
        ins, outs, auxs = self._rule('infer_type', given)

        def dtype(t):
            return None if t is None else np.dtype(t)
        return [dtype(t) for t in list(ins) + list(auxs)], [dtype(t) for t in outs]

    # -- maths ---------------------------------------------------------------------------------------
    def forward(self, xp, *inputs):
        from minigluon import autograd
        from minigluon.context import context_of, current_context
        from minigluon.ndarray.ndarray import NDArray
        from minigluon.serialization import DTYPE_TO_FLAG
        n, n_aux = len(self.arg_names), len(self.aux_names)
        if len(inputs) != n + n_aux:
            raise TypeError('Custom(op_type=%r) takes %d inputs %s, got %d'
                            % (self.op_type, n + n_aux, self.list_arguments(), len(inputs)))
        ctx = context_of(inputs[0]) if inputs else current_context()
        in_shapes = [list(a.shape) for a in inputs[:n]]
        in_shapes_full, out_shapes = self.infer_shape([a.shape for a in inputs])
        out_types = self.infer_type([a.dtype for a in inputs])[1]
        # a 0 in an output shape means unknown, unless an input is empty too (a zero-size batch)
        empty_input = any(0 in a.shape for a in inputs)
        for i, (s, t) in enumerate(zip(out_shapes, out_types)):
            if s is None or (0 in s and not empty_input) or t is None:
                raise MXNetError('Custom(op_type=%r): infer_shape/infer_type left output %r '
                                 'unknown (shape %s, dtype %s)'
                                 % (self.op_type, self.out_names[i], s, t))
        in_data = [NDArray(a, ctx) for a in inputs[:n]]
        aux = [NDArray(a, ctx) for a in inputs[n:]]
        with ctx.device():
            out_data = [NDArray(xp.zeros(s, dtype=t), ctx) for s, t in zip(out_shapes, out_types)]
        prop_name = type(self.prop).__name__
        operator = _user_call(
            self.op_type, '%s.create_operator' % prop_name, self.prop.create_operator,
            ctx, in_shapes, [DTYPE_TO_FLAG.get(np.dtype(a.dtype), -1) for a in inputs[:n]])
        if not (callable(getattr(operator, 'forward', None))
                and callable(getattr(operator, 'backward', None))):
            raise MXNetTypeError('Custom(op_type=%r): %s.create_operator must return an '
                                 'mx.operator.CustomOp (an object with forward and backward '
                                 'methods), got %r' % (self.op_type, prop_name, operator))
        is_train = autograd.is_training()
        with autograd.pause(train_mode=is_train):
            _user_call(self.op_type, '%s.forward' % type(operator).__name__,
                       with_numpy_defaults(operator.forward),
                       is_train=is_train, req=['write'] * self.num_outputs,
                       in_data=in_data, out_data=out_data, aux=aux)
        self._saved = (operator, in_data, out_data, aux, ctx)
        return tuple(o._data for o in out_data)

    def backward(self, xp, *grad_outputs):
        from minigluon import autograd
        from minigluon.ndarray.ndarray import NDArray
        operator, in_data, out_data, aux, ctx = self._saved
        needs = getattr(self, 'needs_input_grad', None) or (True,) * len(in_data)
        req = ['write' if needs[i] else 'null' for i in range(len(in_data))]
        with ctx.device():
            in_grad = [NDArray(xp.zeros(x.shape, dtype=x._data.dtype), ctx) for x in in_data]
        out_grad = [NDArray(g, ctx) for g in grad_outputs]
        with autograd.pause(train_mode=autograd.is_training()):
            _user_call(self.op_type, '%s.backward' % type(operator).__name__,
                       with_numpy_defaults(operator.backward),
                       req=req, out_grad=out_grad, in_data=in_data, out_data=out_data,
                       in_grad=in_grad, aux=aux)
        grads = [g._data if r != 'null' else None for g, r in zip(in_grad, req)]
        return grads + [None] * len(aux)


def _raise(err):
    raise err


_BOUND = {}     # input names -> a Custom subclass declaring them (for binding a call's inputs)
_NAMES = {}     # (description class, attribute strings) -> its input names


def bound_class(kwargs, is_input):
    """The :class:`Custom` subclass whose ``arguments`` are the inputs of the operator that the
    attributes in ``kwargs`` describe, so that the generic call binding (``nd``) and node
    creation (``sym``) can take inputs by name and create variables for missing ones. Keywords
    for which ``is_input`` is true are inputs, not attributes. The input names are learnt once
    per description class and attribute strings (``list_arguments`` depends on nothing else),
    so an eager call builds its description once."""
    attrs = {k: v for k, v in kwargs.items() if not is_input(v) and v is not None
             and k not in ('name', 'attr', 'out')}
    op_type = attrs.get('op_type')
    key = None
    if isinstance(op_type, str) and op_type in PROPS:
        # the inputs of a description and its attributes: learnt once (a probe instance builds
        # the description, and the call builds it again), not on every call
        key = (PROPS[op_type], tuple(sorted((k, _attr_string(v)) for k, v in attrs.items())))
    names = _NAMES.get(key) if key is not None else None
    if names is None:
        names = tuple(Custom(**attrs).list_arguments())
        if key is not None:
            _NAMES[key] = names
    cls = _BOUND.get(names)
    if cls is None:
        cls = type('Custom', (Custom,), {'arguments': names, '__doc__': Custom.__doc__,
                                         '__module__': __name__})
        _BOUND[names] = cls
    return cls
