"""Regressions found by the training-utilities fuzzer (``tools/fuzz_training_utils.py``): each
fixture case is the fuzzer's code, run here on minigluon and compared with MXNet 1.9.1's
results (``tools/gen_training_utils_fuzz_fixtures.py`` -> ``tests/fixtures/training_utils_fuzz``),
plus the one place where minigluon deliberately differs (a negative ``clip_gradient``).
"""
import json
import os
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
from fuzz_training_utils import run_case  # noqa: E402  (the fuzzer's runner: one way to run a case)

FIX = os.path.join(HERE, 'fixtures', 'training_utils_fuzz')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = dict(np.load(os.path.join(FIX, 'values.npz')))


@pytest.mark.parametrize('case', CASES, ids=[c['key'] for c in CASES])
def test_matches_mxnet(case):
    if case['error']:
        with pytest.raises(ValueError if case['error'] == 'ValueError' else Exception):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                run_case(mx, case, VALUES)
        return
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = run_case(mx, case, VALUES)
    expected = {k.split(':', 1)[1]: v for k, v in VALUES.items()
                if k.startswith(case['key'] + ':')}
    assert sorted(res) == sorted(expected)
    for name, want in expected.items():
        got = res[name]
        if want.dtype.kind in 'US':
            assert got == want, name
        else:
            np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                       rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=name)


def _adagrad_steps(clip):
    opt = mx.optimizer.create('adagrad', learning_rate=0.1, clip_gradient=clip)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array([1.0, -2.0, 0.5])
    for g in ([0.5, -3.0, 0.0], [2.0, 0.25, -0.5]):
        upd(0, mx.nd.array(g), w)
    return w.asnumpy()


@pytest.mark.parametrize('name', ['adagrad', 'adadelta', 'adamax', 'nadam', 'dcasgd', 'groupadagrad'])
def test_negative_clip_gradient_means_no_clipping(name):
    """MXNet 1.9.1's Python-clipping optimizers clip to the reversed interval [1, -1] for
    ``clip_gradient=-1`` (every gradient becomes +-1); minigluon does not clip (docs/PORTING.md table)."""
    def run(clip):
        opt = mx.optimizer.create(name, clip_gradient=clip)
        upd = mx.optimizer.get_updater(opt)
        w = mx.nd.array([[1.0, -2.0, 0.5]])
        for g in ([[0.5, -3.0, 0.1]], [[2.0, 0.25, -0.5]]):
            upd(0, mx.nd.array(g), w)
        return w.asnumpy()
    np.testing.assert_array_equal(run(-1.0), run(None))
    assert not np.array_equal(run(0.1), run(None))


def test_adagrad_negative_clip_by_hand():
    """AdaGrad without clipping, by hand: h += g^2; w -= lr * g / sqrt(h + 1e-7)."""
    w, h = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    for g in (np.array([0.5, -3.0, 0.0]), np.array([2.0, 0.25, -0.5])):
        h += g * g
        w -= 0.1 * g / np.sqrt(h + 1e-7)
    np.testing.assert_allclose(_adagrad_steps(-1.0), w, rtol=1e-6)
