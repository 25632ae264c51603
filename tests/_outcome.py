"""What a call gave, as JSON, written once for both frameworks: the breaker programs
(``tests/_breaker22_program.py``, ``tests/_breaker22c_program.py``) record each case with
:func:`outcome` on minigluon (the tests) and on MXNet 1.9.1 (``tools/gen_breaker22*_fixtures.py``,
which import the programs from this folder), and compare the two. Imports NumPy only.

The forms, by what the call gave:

* an NDArray: ``['value', dtype, shape, values]``, the values flattened, as floats, NaN as the
  string ``'nan'`` (JSON has no NaN);
* a NumPy array: ``['array', dtype, shape, values]``, the values as for an NDArray, or the string
  ``'objects'`` for an array of Python objects;
* a list or tuple: ``['list', [outcomes]]`` / ``['tuple', [outcomes]]``; a dict: ``['dict',
  {str(key): outcome}]`` in key order;
* another object: ``['python', type name, value]``, the value itself for ``None``, a bool, int,
  float (NaN as ``'nan'``) or str, else its ``repr``;
* an exception: ``['error', [classes]]``, the names of the builtin classes of :data:`KINDS` it is
  an instance of (the classes' own names differ between the two packages).
"""
import math

import numpy as np

KINDS = (TypeError, ValueError, IndexError, AssertionError, AttributeError, RuntimeError,
         KeyError, NotImplementedError)


def outcome(fn):
    """What ``fn()`` gives, in the module docstring's form; an exception is a result here."""
    try:
        value = fn()
    except Exception as err:      # noqa: BLE001 -- an error is a result here
        return ['error', [k.__name__ for k in KINDS if isinstance(err, k)]]
    return describe(value)


def _values(a):
    """The numbers of the NumPy array ``a`` flattened, as Python floats, NaN as ``'nan'``."""
    return [v if not math.isnan(v) else 'nan'
            for v in np.asarray(a, dtype=np.float64).reshape(-1).tolist()]


def describe(value):
    """``value`` in the module docstring's form."""
    if type(value).__name__ == 'NDArray':
        return ['value', np.dtype(value.dtype).name, list(value.shape), _values(value.asnumpy())]
    if isinstance(value, np.ndarray):
        return ['array', value.dtype.name, list(value.shape),
                _values(value) if value.dtype.kind in 'biuf' else 'objects']
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [describe(v) for v in value]]
    if isinstance(value, dict):
        return ['dict', {str(k): describe(v) for k, v in sorted(value.items())}]
    if isinstance(value, float) and math.isnan(value):
        value = 'nan'
    if isinstance(value, (bool, int, float, str)) or value is None:
        return ['python', type(value).__name__, value]
    return ['python', type(value).__name__, repr(value)]
