"""Programs run on minigluon by tests/test_breaker22_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker22_fixtures.py (``mx`` is either package): the Python protocol of NDArray.

* :func:`operators`: every arithmetic, comparison, bitwise and in-place operator of a float32 and
  an int32 array with operands of every kind (Python and NumPy numbers, huge ints, NaN, str,
  None, sequences, fractions, decimals, NumPy arrays, NDArrays of other dtypes and shapes), on
  either side;
* :func:`protocol`: ``bool``, ``len``, iteration, ``float`` / ``int``, formatting, hashing,
  ``in``, copying and pickling of arrays of one and several elements;
* :func:`indexing`: ``x[key]`` and ``x[key] = -1`` with odd keys;
* :func:`scalars`: integer arrays meeting Python ints beyond their range;
* :func:`values`: ``x[key] = value`` and ``nd.full`` with values of every kind;
* :func:`mod_signs`: the sign of the zeros ``%`` gives;
* :func:`bfloat16_values`: the float32 values of the bfloat16 arrays that
  :func:`write_bfloat16` saves (MXNet only: minigluon cannot make bfloat16 arrays).

Each case gives an outcome in the form of tests/_outcome.py (:func:`_outcome.outcome`), shared
with the other breaker programs.
"""
import copy
import decimal
import fractions
import math
import operator
import os
import pickle

import numpy as np

from _outcome import describe, outcome

BINARY = {'add': operator.add, 'sub': operator.sub, 'mul': operator.mul,
          'truediv': operator.truediv, 'mod': operator.mod, 'pow': operator.pow,
          'eq': operator.eq, 'ne': operator.ne, 'lt': operator.lt, 'le': operator.le,
          'gt': operator.gt, 'ge': operator.ge}
MISSING = {'floordiv': operator.floordiv, 'matmul': operator.matmul, 'and': operator.and_,
           'or': operator.or_, 'xor': operator.xor, 'lshift': operator.lshift,
           'rshift': operator.rshift, 'divmod': divmod}
INPLACE = {'iadd': operator.iadd, 'isub': operator.isub, 'imul': operator.imul,
           'itruediv': operator.itruediv, 'imod': operator.imod, 'ipow': operator.ipow,
           'ifloordiv': operator.ifloordiv}


def _operands(mx):
    """name -> a function making the other operand (fresh each time)."""
    nd = mx.nd
    return {
        'int': lambda: 2, 'float': lambda: 2.5, 'bool': lambda: True, 'complex': lambda: 1 + 2j,
        'huge': lambda: 2 ** 70, 'neghuge': lambda: -2 ** 70, 'nan': lambda: float('nan'),
        'inf': lambda: float('inf'), 'str': lambda: 'a', 'none': lambda: None,
        'list': lambda: [1, 2, 3], 'tuple': lambda: (1, 2, 3),
        'fraction': lambda: fractions.Fraction(1, 2), 'decimal': lambda: decimal.Decimal('1.5'),
        'np_float16': lambda: np.float16(2.5), 'np_int64': lambda: np.int64(2),
        'np_bool': lambda: np.bool_(True), 'np_float64': lambda: np.float64(2.5),
        'np_uint8': lambda: np.uint8(200),
        'nd_int32': lambda: nd.array([1, 2, 3], dtype='int32'),
        'nd_float16': lambda: nd.array([1, 2, 3], dtype='float16'),
        'nd_float64': lambda: nd.array([1, 2, 3], dtype='float64'),
        'nd_uint8': lambda: nd.array([1, 2, 3], dtype='uint8'),
        'nd_one': lambda: nd.array([2.0]),
    }


# NumPy arrays and scalars meet the operators NDArray lacks too (there NumPy's reflected
# operator would answer)
NUMPY_OPERANDS = {
    'np_f64': lambda: np.array([1.0, 2.0, 3.0]), 'np_i64': lambda: np.array([1, 2, 3]),
    'np_bool_arr': lambda: np.array([True, False, True]), 'np_0d': lambda: np.array(2.0),
    'np_float16': lambda: np.float16(2.5), 'np_int64': lambda: np.int64(2),
    'np_float64': lambda: np.float64(2.5),
}


def operators(mx):
    nd = mx.nd
    arrays = {'f32': lambda: nd.array([1.5, -2.0, 3.0]),
              'i32': lambda: nd.array([1, -2, 3], dtype='int32')}
    out = {}
    for an, make in arrays.items():
        for on, other in _operands(mx).items():
            for name, op in BINARY.items():
                out['%s(%s,%s)' % (name, an, on)] = outcome(lambda: op(make(), other()))
                out['%s(%s,%s)' % (name, on, an)] = outcome(lambda: op(other(), make()))
            for name, op in INPLACE.items():
                def inplace(op=op, make=make, other=other):
                    x = make()
                    y = op(x, other())
                    return (y, x, y is x)
                out['%s(%s,%s)' % (name, an, on)] = outcome(inplace)
        for on, other in list(_operands(mx).items()) + list(NUMPY_OPERANDS.items()):
            for name, op in MISSING.items():
                out['%s(%s,%s)' % (name, an, on)] = outcome(lambda: op(make(), other()))
                out['%s(%s,%s)' % (name, on, an)] = outcome(lambda: op(other(), make()))
        out['invert(%s)' % an] = outcome(lambda: ~make())
        out['neg(%s)' % an] = outcome(lambda: -make())
        out['abs(%s)' % an] = outcome(lambda: abs(make()))
    return out


def protocol(mx):
    nd = mx.nd
    arrays = {'one': lambda: nd.array([2.5]), 'one_2d': lambda: nd.array([[-3.75]]),
              'vec': lambda: nd.array([1.5, -2.0, 3.0]),
              'mat': lambda: nd.array([[1.0, 2.0], [3.0, 4.0]]),
              'int_one': lambda: nd.array([7], dtype='int32')}
    uses = {
        'bool': bool, 'len': len, 'list': list, 'float': float, 'int': int, 'complex': complex,
        'floor': math.floor, 'isnan': math.isnan, 'format': lambda x: '{}'.format(x),
        'format_2f': lambda x: '{:.2f}'.format(x), 'str': str, 'round': round,
        'hash_is_int': lambda x: isinstance(hash(x), int), 'dict_key': lambda x: len({x: 1}),
        'in_2_5': lambda x: 2.5 in x, 'in_1_5': lambda x: 1.5 in x,
        'copy': copy.copy, 'deepcopy': copy.deepcopy,
        'pickle': lambda x: pickle.loads(pickle.dumps(x)),
        'copy_is_new': lambda x: copy.copy(x) is not x,
        'sorted': sorted, 'max': max, 'sum': sum, 'divmod': lambda x: divmod(x, 2),
        'np_shape': np.shape, 'asscalar': lambda x: x.asscalar(),
    }
    out = {}
    for an, make in arrays.items():
        for un, use in uses.items():
            out['%s(%s)' % (un, an)] = outcome(lambda: use(make()))
    x = nd.array([1.5, -2.0, 3.0])
    x.attach_grad()
    out['deepcopy_grad'] = outcome(lambda: copy.deepcopy(x).grad)
    return out


# x of shape (2, 3, 4) (values 0..23); ``key(nd)`` makes the key
KEYS = {
    'none': lambda nd: None, 'ellipsis': lambda nd: Ellipsis,
    'ellipsis_none': lambda nd: (Ellipsis, None), 'neg_step': lambda nd: slice(None, None, -1),
    'neg_step2': lambda nd: (slice(None), slice(None, None, -2)),
    'neg_step_start': lambda nd: slice(1, None, -1), 'np_int': lambda nd: np.int64(1),
    'np_int_tuple': lambda nd: (np.int64(1), np.int32(2)),
    'float': lambda nd: 1.0, 'float_tuple': lambda nd: (1, 1.0), 'str': lambda nd: 'a',
    'np_float': lambda nd: np.float32(1.0), 'slice_float': lambda nd: slice(0.0, 1.0),
    'nd_float_index': lambda nd: nd.array([1.7, 0.2]),
    'nd_int_index': lambda nd: nd.array([1, 0], dtype='int64'),
    'nd_one': lambda nd: nd.array([1]), 'nested_list': lambda nd: [[0, 1], [1, 0]],
    'tuple_lists': lambda nd: ([0, 1], [1, 2]),
    'out_of_range': lambda nd: 2, 'neg_out_of_range': lambda nd: -3,
    'slice_out_of_range': lambda nd: slice(5, 10), 'step_zero': lambda nd: slice(None, None, 0),
    'two_ellipses': lambda nd: (Ellipsis, Ellipsis),
}


def indexing(mx):
    nd = mx.nd
    out = {}
    for name, key in KEYS.items():
        def get(key=key):
            return nd.arange(24).reshape((2, 3, 4))[key(nd)]

        def put(key=key):
            x = nd.arange(24).reshape((2, 3, 4))
            x[key(nd)] = -1
            return x
        out['get[%s]' % name] = outcome(get)
        out['set[%s]' % name] = outcome(put)
    return out


# Python ints beyond the range of an integer array's dtype (MXNet hands every scalar to its
# kernels as a double, which the kernel converts to the dtype)
BIG_INTS = [2 ** 31, 2 ** 32, 2 ** 32 + 5, -2 ** 31 - 1, 2 ** 63, 2 ** 70, -2 ** 70]


def scalars(mx):
    nd = mx.nd
    out = {}
    for dtype in ('int32', 'int64', 'uint8'):
        for s in BIG_INTS:
            make = (lambda dtype=dtype: nd.array([7, 100, 1], dtype=dtype))
            for name, fn in [('add', lambda x, s: x + s), ('rsub', lambda x, s: s - x),
                             ('mul', lambda x, s: x * s), ('lt', lambda x, s: x < s),
                             ('ge', lambda x, s: x >= s), ('eq', lambda x, s: x == s),
                             ('iadd', lambda x, s: operator.iadd(x, s))]:
                out['%s %s %d' % (dtype, name, s)] = outcome(lambda: fn(make(), s))

            def put(dtype=dtype, s=s):
                x = nd.zeros((2,), dtype=dtype)
                x[0] = s
                return x
            out['%s setitem %d' % (dtype, s)] = outcome(put)
            out['%s full %d' % (dtype, s)] = outcome(
                lambda: nd.full((2,), s, dtype=dtype))
    return out


# dividends and divisors of ``%`` whose results include zeros of either sign
MOD_A = [2.0, -2.0, 0.0, -0.0, 5.5, -5.5, 3.0, -3.0]
MOD_B = [2.0, -2.0, 1.5, -1.5, float('inf'), float('-inf'), 0.0, 1.0, -1.0]


def mod_signs(mx):
    """``a % b`` for every pair of :data:`MOD_A` x :data:`MOD_B`, as arrays (float32 and
    float64), array % number and number % array: each result's values and the sign bits (a zero's
    sign does not show in a comparison)."""
    nd = mx.nd
    a = [x for x in MOD_A for _ in MOD_B]
    b = [y for _ in MOD_A for y in MOD_B]
    out = {}
    for dtype in ('float32', 'float64'):
        res = nd.array(a, dtype=dtype) % nd.array(b, dtype=dtype)
        out['arrays ' + dtype] = res.asnumpy().astype('float64').tolist()
    for y in MOD_B:
        out['array %% %r' % y] = (nd.array(MOD_A) % y).asnumpy().astype('float64').tolist()
    for x in MOD_A:
        out['%r %% array' % x] = (x % nd.array(MOD_B)).asnumpy().astype('float64').tolist()
    return {k: [[None if math.isnan(v) else v for v in vals],
                [math.copysign(1.0, v) < 0 for v in vals]] for k, vals in out.items()}


# values written by x[key] = value and nd.full(shape, value)
VALUES = {
    'str': lambda nd: 'a', 'bytes': lambda nd: b'ab', 'none': lambda nd: None,
    'set': lambda nd: {1, 2, 3}, 'dict': lambda nd: {0: 1}, 'complex': lambda nd: 1 + 2j,
    'np_complex': lambda nd: np.complex64(1 + 2j), 'fraction': lambda nd: fractions.Fraction(1, 2),
    'decimal': lambda nd: decimal.Decimal('1.5'), 'np_float16': lambda nd: np.float16(2.5),
    'np_int8': lambda nd: np.int8(-3), 'np_bool': lambda nd: np.bool_(True),
    'np_0d': lambda nd: np.array(2.5), 'bool': lambda nd: True, 'nan': lambda nd: float('nan'),
    'list': lambda nd: [1, 2, 3], 'range': lambda nd: range(3), 'np_array': lambda nd: np.array([1.5, 2.5, 3.5]),
    'nd_int32': lambda nd: nd.array([1, 2, 3], dtype='int32'), 'nd_one': lambda nd: nd.array([4.5]),
}


def values(mx):
    nd = mx.nd
    out = {}
    for dtype in ('float32', 'int32'):
        for name, value in VALUES.items():
            for kn, key in [('all', slice(None)), ('first', 0)]:
                def put(value=value, key=key, dtype=dtype):
                    x = nd.zeros((3,), dtype=dtype)
                    x[key] = value(nd)
                    return x
                out['%s[%s] = %s' % (dtype, kn, name)] = outcome(put)
            out['full(%s, %s)' % (dtype, name)] = outcome(
                lambda: nd.full((2,), value(nd), dtype=dtype))
    return out


# float32 values saved as bfloat16 (MXNet truncates to the upper 16 bits)
BFLOAT16_SOURCE = [1.0, -2.5, 3.14159, 1e-40, 65504.0, 1e38, float('inf'), float('-inf'),
                   float('nan'), -0.0, 3.3895314e38, 1.17549435e-38]


def write_bfloat16(mx, folder):
    """MXNet only: save ``bfloat16.params`` (two bfloat16 arrays and a float32 one, by name)
    and ``bfloat16_list.params`` (the same arrays without names) in ``folder``."""
    nd = mx.nd
    bf16 = np.dtype([('bfloat16', np.uint16)])      # MXNet 1.9.1's name for the dtype
    arrays = {'w': nd.array(BFLOAT16_SOURCE).astype(bf16),
              'b': nd.array([[0.1, -0.2], [0.3, 7.0]]).astype(bf16),
              'f': nd.array([1.5, -0.25])}
    nd.save(os.path.join(folder, 'bfloat16.params'), arrays)
    nd.save(os.path.join(folder, 'bfloat16_list.params'), [arrays['w'], arrays['f']])


def bfloat16_values(mx, folder):
    """What ``nd.load`` gives for the files of :func:`write_bfloat16`: for each array its dtype
    (MXNet: the bfloat16 structured dtype's text) and its values as float32."""
    nd = mx.nd
    out = {}
    for name in ('bfloat16.params', 'bfloat16_list.params'):
        loaded = nd.load(os.path.join(folder, name))
        items = sorted(loaded.items()) if isinstance(loaded, dict) else enumerate(loaded)
        out[name] = [[str(k), str(np.dtype(v.dtype)) if v.dtype is not None else None,
                      describe(v.astype('float32'))] for k, v in items]
    return out


def run(mx):
    return {'operators': operators(mx), 'protocol': protocol(mx), 'indexing': indexing(mx),
            'scalars': scalars(mx), 'values': values(mx), 'mod_signs': mod_signs(mx)}
