"""Shared runner for the MXNet 1.9.1 golden cases in ``tests/fixtures/ops/<area>.json``.

The files are written by ``tools/gen_ops_fixtures.py`` in the MXNet oracle venv. Each case holds
an operator name, inputs, attributes, MXNet's outputs and (for differentiable cases) the input
gradients for a stored head gradient, or the fact that MXNet rejects the call.
"""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.test_utils import assert_almost_equal

_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'ops')


def _dec(rec):
    data = [float(v) if isinstance(v, str) else v for v in rec['data']]
    return np.array(data, dtype=rec['dtype']).reshape(rec['shape'])


def load_cases(area):
    """The golden cases of ``area`` as pytest params with readable ids."""
    with open(os.path.join(_DIR, area + '.json')) as f:
        cases = json.load(f)['cases']
    params = []
    for i, c in enumerate(cases):
        attrs = ','.join('%s=%s' % kv for kv in sorted(c['attrs'].items()))
        params.append(pytest.param(c, id='%d-%s(%s)' % (i, c['op'], attrs)))
    return params


def check_case(case):
    """Run one golden case through ``minigluon.nd`` and compare outputs, dtypes and gradients."""
    inputs = [nd.array(_dec(r), dtype=r['dtype']) for r in case['inputs']]
    fn = getattr(nd, case['op'])
    if 'error' in case:
        with pytest.raises((ValueError, IndexError, TypeError, MXNetError)):
            fn(*inputs, **case['attrs'])
        return
    grads = case.get('grads', {})
    for key in grads:
        inputs[int(key)].attach_grad()
    with autograd.record():
        out = fn(*inputs, **case['attrs'])
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == len(case['outputs'])
    for got, rec in zip(outs, case['outputs']):
        want = _dec(rec)
        assert got.shape == want.shape, (got.shape, want.shape)
        assert np.dtype(got.dtype) == want.dtype, (got.dtype, want.dtype)
        assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5, equal_nan=True)
    if grads:
        heads = [nd.array(_dec(r), dtype=r['dtype']) for r in case['head_grads']]
        autograd.backward(outs, heads)
        for key, rec in grads.items():
            assert_almost_equal(inputs[int(key)].grad.asnumpy(), _dec(rec), rtol=1e-5, atol=1e-5)
