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


@pytest.mark.parametrize('dtype,source', [
    ('uint8', [300]), ('uint8', -1), ('uint8', [[1, 2], [3, 300.0]]), ('int8', 128.0),
    ('int32', [2 ** 31]), ('int32', [0, -2 ** 31 - 1]), ('uint8', [np.int64(300)]),
    ('int32', [np.float64(3e9)]), ('uint16', np.float32(-1.0)), ('int64', [2.0 ** 63])])
def test_nd_array_refuses_a_number_that_does_not_fit_on_every_numpy(dtype, source):
    """NumPy 1.26 wrote these wrapped around (300 as uint8 was 44, with a DeprecationWarning for
    an int, silently for 300.0), where NumPy 2 refuses Python numbers; a NumPy scalar in the
    list was wrapped on both."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(TypeError, match=r'does not fit dtype %s' % dtype):
            nd.array(source, dtype=dtype)


@pytest.mark.parametrize('dtype,source,want', [
    ('int64', [2 ** 63 - 1, -2 ** 63], [2 ** 63 - 1, -2 ** 63]),
    ('uint64', [2 ** 64 - 1, 0], [2 ** 64 - 1, 0]),
    ('int32', [2147483647.9, -2147483648.9], [2 ** 31 - 1, -2 ** 31]),
    ('uint8', [255.5, -0.5, True], [255, 0, 1]), ('int8', [[-128], [127]], [[-128], [127]])])
def test_nd_array_keeps_every_number_that_fits(dtype, source, want):
    """The edges of each range, after truncation toward zero, exactly (float64 cannot hold
    2**63 - 1: the quick screen through float64 must not refuse it)."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        got = nd.array(source, dtype=dtype).asnumpy()
    assert got.dtype == np.dtype(dtype)
    assert got.tolist() == want
