"""Patterns met running a second set of public MXNet 1.x Gluon scripts unchanged, against MXNet
1.9.1 (the programs: tests/_wild2_programs.py; fixture: tools/gen_wild2_fixtures.py, which runs the
same file with its import line switched to MXNet).

* BatchNorm's running statistics round as MXNet's: ``momentum`` is a float32 attribute and
  ``1 - momentum`` is formed in the accumulation type (MXNet's normalization tutorial prints
  ``running_mean: [0.55000013 0.9500002 ]`` after one step, not ``[0.55 0.95]``). Checked bit for
  bit on the tutorial's data, whose batch statistics are exact; on other data MXNet's kernels
  round the batch variance their own ways (last bits).
* The gradient of a PReLU's ``alpha`` in GluonFR's Conv -> BatchNorm -> PReLU -> SELayer block:
  minigluon gives MXNet's eager gradient both eagerly and hybridized; MXNet 1.9.1's hybridized
  graph gives a quarter of it (a deliberate difference, docs/PORTING.md).
"""

import numpy as np
import pytest

from _wild import load_fixture
import _wild2_programs as P

FIX = load_fixture('wild2')


@pytest.fixture(scope='module')
def bn_running():
    """What the BatchNorm program gives on minigluon, run once for all its cases."""
    return P.bn_running()


@pytest.mark.parametrize('case', sorted(FIX['bn_running']))
def test_batchnorm_running_statistics_round_as_mxnet(case, bn_running):
    got, want = bn_running[case], FIX['bn_running'][case]
    assert got['running_dtype'] == want['running_dtype']
    dtype = np.dtype(want['running_dtype'])
    assert len(got['steps']) == len(want['steps']) == 3
    for (mean, var), (want_mean, want_var) in zip(got['steps'], want['steps']):
        # the values as the running statistics' dtype holds them, bit for bit
        np.testing.assert_array_equal(np.array(mean, dtype), np.array(want_mean, dtype))
        np.testing.assert_array_equal(np.array(var, dtype), np.array(want_var, dtype))


@pytest.fixture(scope='module')
def prelu_se():
    """What the PReLU program gives on minigluon, eager and hybridized."""
    return P.prelu_se()


@pytest.mark.parametrize('mode', ['eager', 'hybrid'])
def test_prelu_alpha_gradient_under_an_se_block_is_the_eager_one(mode, prelu_se):
    got, fix = prelu_se[mode], FIX['prelu_se']
    want = fix['eager']
    np.testing.assert_allclose(got['alpha_grad'], want['alpha_grad'], rtol=1e-5)
    np.testing.assert_allclose(got['inner_alpha_grad'], want['inner_alpha_grad'], rtol=1e-4)
    np.testing.assert_allclose(got['conv_grad_abs_sum'], want['conv_grad_abs_sum'], rtol=1e-5)
    # MXNet's hybridized graph: a quarter of its own eager alpha gradients, the data gradient intact
    mx_hybrid = fix['hybrid']
    assert abs(mx_hybrid['alpha_grad'] * 4 - want['alpha_grad']) < 1e-5
    assert mx_hybrid['conv_grad_abs_sum'] == want['conv_grad_abs_sum']
