"""minigluon gives the same results on NumPy 1.26 and NumPy 2 (the suite runs on both): cases
where the two NumPy versions convert Python numbers differently (NEP 50: NumPy 2 keeps a Python
number "weak" and refuses one that does not fit; NumPy 1.26 casts it by its value, or wraps it
around with a DeprecationWarning). Found by running the suite on NumPy 1.26.4."""
import warnings

import numpy as np
import pytest

from minigluon import nd


@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
@pytest.mark.parametrize('value', [2 ** 64, -2 ** 63 - 1, 2 ** 70, -2 ** 70])
def test_in_place_operator_with_an_int_beyond_int64_is_the_operator(dtype, value):
    """``x += 2**70`` on a float array raised NumPy 1.26's UFuncTypeError (an object operand
    cannot be cast back to float32), where NumPy 2 and the out-of-place ``x + 2**70`` compute."""
    for op in ('+', '-', '*', '/'):
        x = nd.array([1.5, -2.0, 3.0], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)       # float16 overflows to inf
            want = eval('x %s value' % op).asnumpy()
            exec('x %s= value' % op)
        assert x.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(x.asnumpy(), want)
