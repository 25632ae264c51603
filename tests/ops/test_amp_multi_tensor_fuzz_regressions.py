"""Regressions of ``tools/fuzz_amp_multi_tensor.py`` replayed against MXNet 1.9.1's results
(``tests/fixtures/amp_multi_tensor_fuzz/``, made by
``tools/gen_amp_multi_tensor_fuzz_fixtures.py``; its docstring lists what each case pins).

Each case is a snippet run on NDArrays ``x[i]`` made from the recorded inputs; its results
(the list ``res``) must equal MXNet's bit for bit (NaN for NaN), or raise where MXNet raised.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'amp_multi_tensor_fuzz')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(HERE, 'values.npz'))


@pytest.mark.parametrize('name', sorted(CASES))
def test_as_mxnet(name):
    case = CASES[name]
    inputs = [VALUES['%s/in%d' % (name, i)] for i in range(case['n_in'])]
    env = {'mx': mx, 'nd': mx.nd, 'x': [mx.nd.array(a, dtype=a.dtype) for a in inputs]}
    if 'error' in case:
        with pytest.raises(Exception) as err:
            exec(case['code'], env)
            mx.nd.waitall()
        assert case['mro'][0] in [k.__name__ for k in type(err.value).__mro__]
        return
    exec(case['code'], env)
    for i, got in enumerate(env['res']):
        want = VALUES['%s/out%d' % (name, i)]
        got = got.asnumpy()
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
