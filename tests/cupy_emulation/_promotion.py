"""CuPy 13's dtype rule for scalars mixed with device arrays in elementwise operations.

CuPy 13 keeps NumPy 1's *value-based* promotion for scalar operands of ufuncs (operators,
``cupy.add``..., ``where``, ``clip``): when the arrays' kind (bool < integer < floating/complex)
is at least the scalars' kind, a scalar counts only as the smallest dtype that holds its value
(``numpy.min_scalar_type``; a non-negative integer may also count as the signed type of that
size). This holds for NumPy scalars too: ``float32 device array * numpy.float64(0.5)`` is float32
on CuPy 13, while NumPy 2 (NEP 50) makes it float64 on the CPU. 0-d device arrays are arrays, not
scalars, in both. Source: CuPy 13's ``cupy/_core/_kernel.pyx`` (``_check_should_use_min_scalar``,
``_min_scalar_type``); https://numpy.org/neps/nep-0050-scalar-promotion.html for NumPy 2.

:func:`cupy_scalars` rewrites the (already unwrapped) inputs of such an operation so that NumPy 2
computes the dtype CuPy 13 would: each scalar becomes a 0-d NumPy array of the type of the kernel
CuPy picks (its value converted to that type, as CuPy passes it to the kernel). On NumPy 1.26,
whose value-based rule also covers 0-d arrays, a 0-d device array beside arrays of higher rank
is passed as a 1-element 1-d array, which broadcasts to the same shape but is typed as an array.
"""
import numpy as np

_SCALAR_TYPES = (bool, int, float, complex, np.generic)
_KIND_SCORE = {'b': 0, 'u': 1, 'i': 1, 'f': 2, 'c': 2}


def _is_scalar(x):
    return isinstance(x, _SCALAR_TYPES) and not isinstance(x, np.ndarray)


def _score(dtype):
    return _KIND_SCORE.get(dtype.kind, -1)


def _candidates(value):
    """The dtypes CuPy may give a scalar of this value (unsigned and signed for small non-negative ints)."""
    dtype = np.min_scalar_type(value)
    if dtype.kind == 'u':
        signed = np.dtype(dtype.char.lower())
        if value <= np.iinfo(signed).max:
            return (dtype, signed)
    return (dtype,)


_EXACT = (bool, int, float, complex)


def check_scalar_types(args, where):
    """CuPy accepts only the exact Python scalar types (``type(x) in {int, float, bool, complex}``,
    ``cupy/_core/_scalar.pyx``) or NumPy scalars: a subclass of ``float`` raises TypeError there."""
    for a in args:
        if isinstance(a, _EXACT) and type(a) not in _EXACT and not isinstance(a, np.generic):
            raise TypeError('Unsupported type %s (%s): CuPy takes only exact int/float/bool/complex '
                            'or NumPy scalars; convert with float()' % (type(a), where))
    return args


_NUMPY_1 = np.lib.NumpyVersion(np.__version__) < '2.0.0'


def _zero_d_as_arrays(args):
    """NumPy 1 types a 0-d array by its value, as a scalar; CuPy (and NumPy 2) by its dtype. Beside
    an array of rank >= 1, a 0-d array reshaped to (1,) broadcasts alike and is typed by dtype."""
    if not any(type(a) is np.ndarray and a.ndim for a in args):
        return args
    return type(args)(a.reshape(1) if type(a) is np.ndarray and a.ndim == 0 else a for a in args)


def cupy_scalars(args):
    """``args`` (NumPy arrays standing for device arrays, and scalars) with each scalar replaced by
    a 0-d array of the type CuPy 13 computes in; unchanged when NumPy 2 already agrees."""
    if _NUMPY_1:
        args = _zero_d_as_arrays(args)
    arrays = [a for a in args if type(a) is np.ndarray]
    scalars = [i for i, a in enumerate(args) if _is_scalar(a)]
    if not arrays or not scalars:
        return args
    scalar_kind = max(_score(np.asarray(args[i]).dtype) for i in scalars)
    if scalar_kind < 0 or max(_score(a.dtype) for a in arrays) < scalar_kind:
        return args        # e.g. int array * 0.5: the scalar keeps its own (64-bit) dtype, as in NumPy 2
    array_dtypes = [a.dtype for a in arrays]
    values = {i: args[i].item() if isinstance(args[i], np.generic) else args[i] for i in scalars}
    # the narrowest result; on a tie the one that keeps the arrays' kind (int64 array + 2**53 + 1:
    # int64, as NumPy 1's value-based rule, not float64 through uint64)
    typed = [min(_candidates(v), key=lambda d: (np.result_type(*array_dtypes, d).itemsize,
                                                np.result_type(*array_dtypes, d).kind == 'f'))
             for v in values.values()]
    common = np.result_type(*array_dtypes, *typed)   # the kernel's type: scalars are cast to it
    out = list(args)
    for i, value in values.items():
        out[i] = np.asarray(value, dtype=common)
    return type(args)(out)
