"""Regressions of leftovers22a: differences from MXNet 1.9.1 left by earlier trials (integer
overflow in creation and arithmetic, non-number operands, CTC with excluded infeasible samples,
dtypes after a cast of a traced block, optimize_for with inputs that do not fit)."""
import fractions

import numpy as np
import pytest

from minigluon import nd


@pytest.mark.parametrize('other', [fractions.Fraction(1, 2), fractions.Fraction(2, 1)])
def test_power_with_a_fraction_is_a_type_error_naming_the_accepted_operands(other):
    """``x ** Fraction(1, 2)`` computed ``x ** 0.5`` (Fraction's reflected power converted
    itself); MXNet 1.9.1 raises TypeError for a Fraction with every operator."""
    x = nd.array([4.0, 9.0])
    for use in (lambda: x ** other, lambda: x + other, lambda: x * other):
        with pytest.raises(TypeError, match=r"Fraction.*a number \(int, float, bool or a NumPy "
                                            r"scalar\), an NDArray or a NumPy array"):
            use()
    y = x
    with pytest.raises(TypeError, match='Fraction'):
        y **= other
    np.testing.assert_array_equal(x.asnumpy(), [4, 9])
