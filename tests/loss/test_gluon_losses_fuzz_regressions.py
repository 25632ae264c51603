"""Regressions of ``tools/fuzz_gluon_losses.py`` replayed against MXNet 1.9.1's outcomes
(``tests/fixtures/gluon_losses_fuzz/``, made by ``tools/gen_gluon_losses_fuzz_fixtures.py``).

Where MXNet raised, minigluon must raise an exception of MXNet's class (``MXNetError`` is
``minigluon.base.MXNetError``; a builtin class by name): a label of the wrong size (``ValueError``
outside ``record()``, ``MXNetError`` inside it), ``SDMLLoss`` inputs of two shapes
(``AssertionError``), a ``weight`` that is not a number (``AssertionError``; minigluon already
refuses it at construction). Elsewhere outputs and gradients must match MXNet's.
"""
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import base

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from fuzz_gluon_losses import run_loss  # noqa: E402  (the fuzzer's runner: one way to run a case)

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'gluon_losses_fuzz')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(HERE, 'values.npz'))

TOL = {'float16': (2e-2, 2e-2), 'float32': (1e-5, 1e-6), 'float64': (1e-10, 1e-12)}


def run(name, c):
    """The case on minigluon, with MXNet's inputs and head."""
    return run_loss(mx, c, [VALUES['%s/in%d' % (name, i)] for i in range(c['n_in'])],
                    lambda out: VALUES[name + '/head'])


def _is_instance_of_named(err, cls_name):
    if cls_name == 'MXNetError':
        return isinstance(err, base.MXNetError)
    return cls_name in [k.__name__ for k in type(err).__mro__]


RAISING = sorted(n for n, c in CASES.items() if 'error' in c)
RUNNING = sorted(n for n, c in CASES.items() if 'error' not in c)


@pytest.mark.parametrize('name', RAISING)
def test_error_class_as_mxnet(name):
    c = CASES[name]
    with pytest.raises(Exception) as info:
        run(name, c)
    assert _is_instance_of_named(info.value, c['mro'][0]), (
        'MXNet raised %s, minigluon %r' % (c['error'], info.value))
    if name.startswith('size_mismatch'):
        # the message names the argument (label, target, negative, input1) and both shapes
        msg = str(info.value)
        assert any(a in msg for a in ('label', 'target', 'negative', 'input1'))
    if name.startswith('weight_not_number'):
        assert isinstance(info.value, TypeError) and 'weight must be a number' in str(info.value)


def test_weight_not_number_refused_at_construction():
    """minigluon refuses it earlier than MXNet 1.9.1 (docs/PORTING.md's table of deliberate differences)."""
    with pytest.raises(AssertionError, match='weight must be a number'):
        mx.gluon.loss.L1Loss(weight='2')
    with pytest.raises(TypeError, match='weight must be a number'):
        mx.gluon.loss.L1Loss(weight=[0.5])


def test_l2_weight_none_and_huber_rho_refused_at_construction():
    # L2Loss(weight=None) failed at the call (None / 2), HuberLoss(rho=0) with ZeroDivisionError
    with pytest.raises(TypeError, match='L2Loss: weight must be a number'):
        mx.gluon.loss.L2Loss(weight=None)
    for rho in (0, -1.0, float('nan'), '1', True):
        with pytest.raises(ValueError, match='HuberLoss: rho must be a positive number'):
            mx.gluon.loss.HuberLoss(rho=rho)
    assert mx.gluon.loss.HuberLoss(rho=0.5)._rho == 0.5


def test_size_mismatch_is_mxnet_error_and_value_error():
    loss = mx.gluon.loss.TripletLoss()
    x = mx.nd.ones((3, 2))
    with pytest.raises(base.MXNetError, match='negative of shape \\(7,\\)'):
        loss(x, x, mx.nd.ones((7,)))
    with pytest.raises(ValueError, match='positive of shape \\(5,\\)'):
        loss(x, mx.nd.ones((5,)), x)


@pytest.mark.filterwarnings('ignore::RuntimeWarning')
@pytest.mark.parametrize('name', RUNNING)
def test_values_as_mxnet(name):
    c = CASES[name]
    res = run(name, c)
    for key in ['out'] + ['grad%d' % i for i in c['wrt']]:
        if key in c['differs']:
            continue
        want = VALUES['%s/%s' % (name, key)]
        got = res[key]
        assert got.dtype == want.dtype and got.shape == want.shape, key
        rtol, atol = TOL[str(want.dtype)]
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                                   atol=atol, err_msg='%s %s' % (name, key))


@pytest.mark.filterwarnings('ignore::RuntimeWarning')     # log(0) of the zero label: NaN in both
def test_kldiv_float16_tiny_label_gradient_is_finite():
    """docs/PORTING.md's table: MXNet's float16 ``log`` gradient multiplies by ``1/x`` rounded to float16,
    so a label below 2**-16 gets an infinite gradient; minigluon's is the true derivative
    ``head * (log(q) - p + 1)`` (the 1e-12 of ``log(q + 1e-12)`` is 0 in float16), up to the
    coarse rounding of float16 subnormals (1.79e-7 holds 2 significant bits)."""
    name = 'kldiv_f16_tiny_label'
    res = run(name, CASES[name])
    p, q = (VALUES['%s/in%d' % (name, i)].astype(np.float64) for i in (0, 1))
    head = VALUES[name + '/head'].astype(np.float64)[:, None]
    with np.errstate(divide='ignore', invalid='ignore'):
        want = head * (np.log(q) - p + q / q)
    got = res['grad1']
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=2e-3, atol=0.2)
    mx_grad = VALUES[name + '/grad1']
    finite = np.isfinite(mx_grad)
    assert (~finite & np.isfinite(got)).sum() == 2          # MXNet's two infinities
    np.testing.assert_allclose(got[finite], mx_grad[finite], rtol=2e-2, atol=2e-2)
