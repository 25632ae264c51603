"""NDArray/autograd surface edge cases against MXNet 1.9.1 golden values.

Fixtures come from ``tools/gen_surface_edge_fixtures.py`` (run in the MXNet venv).
"""
import os

import numpy as np
import pytest

import minigluon as mg
from minigluon import autograd, nd

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'surface_edge')


def _mod():
    return np.load(os.path.join(FIX, 'mod.npz'))


def test_mod_array_array_sign_of_divisor_and_zero_divisor():
    f = _mod()
    x, y = nd.array(f['a']), nd.array(f['b'])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = x % y
    z.backward()
    np.testing.assert_array_equal(z.asnumpy(), f['aa'])
    np.testing.assert_array_equal(x.grad.asnumpy(), f['aa_da'])
    np.testing.assert_array_equal(y.grad.asnumpy(), f['aa_db'])


def test_mod_array_scalar_negative_and_zero_scalar():
    f = _mod()
    for tag, s in [('pos', 2.0), ('neg', -2.0), ('zero', 0.0)]:
        x = nd.array(f['a'])
        x.attach_grad()
        with autograd.record():
            z = x % s
        z.backward()
        np.testing.assert_array_equal(z.asnumpy(), f['as_' + tag], err_msg=tag)
        np.testing.assert_array_equal(x.grad.asnumpy(), f['as_' + tag + '_da'], err_msg=tag)


def test_rmod_scalar_array_value_and_gradient():
    f = _mod()
    for tag, s in [('pos', 7.0), ('neg', -7.0)]:
        x = nd.array(f['b'])
        x.attach_grad()
        with autograd.record():
            z = s % x
        z.backward()
        np.testing.assert_array_equal(z.asnumpy(), f['sa_' + tag], err_msg=tag)
        np.testing.assert_array_equal(x.grad.asnumpy(), f['sa_' + tag + '_db'], err_msg=tag)


def test_mod_int32_follows_divisor_sign():
    f = _mod()
    a, b = nd.array(f['ai'], dtype='int32'), nd.array(f['bi'], dtype='int32')
    out = a % b
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.asnumpy(), f['ii'])
    np.testing.assert_array_equal((a % 3).asnumpy(), f['is_3'])
    np.testing.assert_array_equal((a % -3).asnumpy(), f['is_m3'])


def test_mod_matches_python_semantics_independently():
    # Independent reference: Python's % on floats, 0 where the divisor is 0 (MXNet's rule).
    f = _mod()
    ref = [0.0 if bb == 0 else float(aa) % float(bb) for aa, bb in zip(f['a'], f['b'])]
    out = (nd.array(f['a'], dtype='float64') % nd.array(f['b'], dtype='float64')).asnumpy()
    np.testing.assert_allclose(out, ref)
    assert mg.nd.broadcast_mod(nd.array([[-7.0], [7.0]]), nd.array([2.0, -2.0])).shape == (2, 2)


def test_backward_out_grad_of_wrong_shape_is_a_clear_error():
    # MXNet 1.9.1 reads a wrongly sized out_grad without complaint; minigluon names the problem
    # instead of failing inside NumPy's reshape.
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(ValueError, match=r'head_grads\[0\].*\(3,\).*\(2,\)'):
        y.backward(out_grad=nd.array([1.0, 1.0, 1.0]))
    y.backward(out_grad=nd.array([1.0, 3.0]))         # the right shape still works
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 6.0])
