"""Binary functions that take arrays or Python numbers on either side: ``nd.power(2, x)``,
``nd.maximum(x, 0)``, ``nd.greater(0.5, x)``, and the Symbol versions in ``sym``.

MXNet 1.9.1 defines these in Python (``mxnet/ndarray/ndarray.py`` and ``mxnet/symbol/symbol.py``)
over its operators: two arrays go to the broadcasting operator (``broadcast_maximum``; for two
Symbols MXNet writes the element-wise ``_maximum`` into the graph), an array and a number to the
scalar operator (``_maximum_scalar``), a number on the left to the reflected scalar operator where
the order matters (``power(2, x)`` is ``_rpower_scalar``, ``greater(0.5, x)`` is
``_lesser_scalar``), and two numbers to plain Python arithmetic.
"""
import numbers
import operator

import numpy as np

__all__ = ['make_binary_functions']

# name: (array op for NDArrays, array op for Symbols, scalar op, reflected scalar op or None when
#        the op is symmetric, Python function for two numbers)
_TABLE = {
    'add': ('broadcast_add', 'elemwise_add', '_plus_scalar', None, operator.add),
    'subtract': ('broadcast_sub', 'elemwise_sub', '_minus_scalar', '_rminus_scalar', operator.sub),
    'multiply': ('broadcast_mul', 'elemwise_mul', '_mul_scalar', None, operator.mul),
    'divide': ('broadcast_div', 'elemwise_div', '_div_scalar', '_rdiv_scalar', operator.truediv),
    'modulo': ('broadcast_mod', '_mod', '_mod_scalar', '_rmod_scalar', operator.mod),
    'power': ('broadcast_power', '_power', '_power_scalar', '_rpower_scalar', operator.pow),
    'maximum': ('broadcast_maximum', '_maximum', '_maximum_scalar', None, max),
    'minimum': ('broadcast_minimum', '_minimum', '_minimum_scalar', None, min),
    'hypot': ('broadcast_hypot', '_hypot', '_hypot_scalar', None,
              lambda a, b: (a * a + b * b) ** 0.5),
    'equal': ('broadcast_equal', '_equal', '_equal_scalar', None,
              lambda a, b: float(a == b)),
    'not_equal': ('broadcast_not_equal', '_not_equal', '_not_equal_scalar', None,
                  lambda a, b: float(a != b)),
    'greater': ('broadcast_greater', '_greater', '_greater_scalar', '_lesser_scalar',
                lambda a, b: float(a > b)),
    'greater_equal': ('broadcast_greater_equal', '_greater_equal', '_greater_equal_scalar',
                      '_lesser_equal_scalar', lambda a, b: float(a >= b)),
    'lesser': ('broadcast_lesser', '_lesser', '_lesser_scalar', '_greater_scalar',
               lambda a, b: float(a < b)),
    'lesser_equal': ('broadcast_lesser_equal', '_lesser_equal', '_lesser_equal_scalar',
                     '_greater_equal_scalar', lambda a, b: float(a <= b)),
    'logical_and': ('broadcast_logical_and', '_logical_and', '_logical_and_scalar', None,
                    lambda a, b: int(bool(a) and bool(b))),
    'logical_or': ('broadcast_logical_or', '_logical_or', '_logical_or_scalar', None,
                   lambda a, b: int(bool(a) or bool(b))),
    'logical_xor': ('broadcast_logical_xor', '_logical_xor', '_logical_xor_scalar', None,
                    lambda a, b: int(bool(a) != bool(b))),
}


# MXNet's parameter names where they are not ``lhs, rhs`` (``nd.power(base, exp)``; the Symbol
# ``maximum``, ``minimum`` and ``hypot`` take ``left, right``), so keyword calls port unchanged.
_ARG_NAMES = {'power': ('base', 'exp')}
_SYMBOL_ARG_NAMES = {'maximum': ('left', 'right'), 'minimum': ('left', 'right'),
                     'hypot': ('left', 'right')}


def _named(apply, names):
    """``apply(a, b)`` behind a function whose two parameters carry ``names``."""
    if names == ('base', 'exp'):
        def fn(base, exp):
            return apply(base, exp)
    elif names == ('left', 'right'):
        def fn(left, right):
            return apply(left, right)
    else:
        def fn(lhs, rhs):
            return apply(lhs, rhs)
    return fn


def _make(name, tensor_type, array_op, scalar_op, rscalar_op, py_fn, ops, names=('lhs', 'rhs'),
          symbolic=False):
    def apply(lhs, rhs):
        left, right = isinstance(lhs, tensor_type), isinstance(rhs, tensor_type)
        for arg, value, ok in ((names[0], lhs, left), (names[1], rhs, right)):
            if not ok and not isinstance(value, (numbers.Number, np.bool_)):   # (np.bool_: no Number)
                raise TypeError('%s: %s must be a %s or a number, got %s'
                                % (name, arg, tensor_type.__name__, type(value).__name__))
        if left and right:
            return ops[array_op](lhs, rhs)
        if not symbolic and (left or right):
            # MXNet's NDArray functions pass float(number) on (True is 1.0); its Symbol ones
            # pass the number as it is, and a bool is then refused as a scalar attribute
            lhs, rhs = _bool_as_float(lhs), _bool_as_float(rhs)
        if left:
            return ops[scalar_op](lhs, scalar=rhs)
        if right:
            return ops[rscalar_op or scalar_op](rhs, scalar=lhs)
        return py_fn(lhs, rhs)
    fn = _named(apply, names)
    fn.__name__ = fn.__qualname__ = name     # a TypeError then says 'power() got ...'
    fn.__doc__ = (
        '``%s`` of ``%s`` and ``%s``, each a %s or a Python number (MXNet 1.9.1 ``%s``).\n\n'
        'Two arrays use ``%s`` (shapes broadcast), an array and a number ``%s``%s, two numbers\n'
        'give a Python number.\n\nRaises\n------\nTypeError\n    When an argument is neither.\n'
        % (name, names[0], names[1], tensor_type.__name__, name, array_op, scalar_op,
           '' if rscalar_op is None else ' (``%s`` with the number on the left)' % rscalar_op))
    return fn


def _bool_as_float(value):
    """A Python or NumPy bool as ``float(value)``; anything else unchanged."""
    return float(value) if isinstance(value, (bool, np.bool_)) else value


# The Symbol functions call MXNet's legacy operator names, as MXNet does, so that the nodes get
# MXNet's default names (``_rpowerscalar0``, ``_maximum0``).
_SYMBOLIC = {'_power': '_Power', '_power_scalar': '_PowerScalar', '_rpower_scalar': '_RPowerScalar',
             '_maximum': '_Maximum', '_maximum_scalar': '_MaximumScalar', '_minimum': '_Minimum',
             '_minimum_scalar': '_MinimumScalar', '_hypot': '_Hypot', '_hypot_scalar': '_HypotScalar'}


def make_binary_functions(tensor_type, namespace, symbolic=False):
    """``{name: function}`` for ``tensor_type`` (NDArray or Symbol), calling the operator functions
    found in the dict ``namespace``; ``symbolic`` picks the graph operator names MXNet writes."""
    out = {}
    for name, (nd_op, sym_op, scalar_op, rscalar_op, py_fn) in _TABLE.items():
        array_op = sym_op if symbolic else nd_op
        if symbolic:
            array_op, scalar_op = _SYMBOLIC.get(array_op, array_op), _SYMBOLIC.get(scalar_op, scalar_op)
            rscalar_op = _SYMBOLIC.get(rscalar_op, rscalar_op)
        if all(op in namespace for op in (array_op, scalar_op, rscalar_op or scalar_op)):
            names = (_SYMBOL_ARG_NAMES if symbolic else {}).get(name) or _ARG_NAMES.get(name)
            out[name] = _make(name, tensor_type, array_op, scalar_op, rscalar_op, py_fn, namespace,
                              names or ('lhs', 'rhs'), symbolic)
    return out
