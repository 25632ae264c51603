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


def load_cases(area, folder=_DIR):
    """The golden cases of ``folder/area.json`` as pytest params with readable ids."""
    with open(os.path.join(folder, area + '.json')) as f:
        cases = json.load(f)['cases']
    params = []
    for i, c in enumerate(cases):
        attrs = ','.join('%s=%s' % kv for kv in sorted(c['attrs'].items()))
        params.append(pytest.param(c, id='%d-%s(%s)' % (i, c['op'], attrs)))
    return params


def run_case(case, train=True):
    """Run one case through ``minigluon.nd`` under ``record(train_mode=train)``.

    A case MXNet rejects must raise here too; it returns None. Otherwise returns ``(inputs, outs)``
    with gradients attached to the inputs the case has gradients for.
    """
    inputs = [nd.array(_dec(r), dtype=r['dtype']) for r in case['inputs']]
    fn = getattr(nd, case['op'])
    if 'error' in case:
        with pytest.raises((ValueError, IndexError, TypeError, MXNetError)):
            fn(*inputs, **case['attrs'])
        return None
    for key in case.get('grads', {}):
        inputs[int(key)].attach_grad()
    with autograd.record(train_mode=train):
        out = fn(*inputs, **case['attrs'])
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == len(case['outputs'])
    return inputs, outs


def compare_outputs(outs, records, mxnet_nan=False):
    """Shapes, dtypes and values against MXNet's; ``mxnet_nan``: MXNet gave NaN where 0 is right."""
    for got, rec in zip(outs, records):
        want = _dec(rec)
        if mxnet_nan:
            assert np.isnan(want).any()   # MXNet's NaN, still present in the fixture
            want = np.nan_to_num(want, nan=0.0)
        assert got.shape == want.shape, (got.shape, want.shape)
        assert np.dtype(got.dtype) == want.dtype, (got.dtype, want.dtype)
        assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5, equal_nan=True)


def compare_grads(inputs, outs, case, mxnet_nan=False):
    """Back-propagate the stored head gradients and compare the input gradients with MXNet's."""
    heads = [nd.array(_dec(r), dtype=r['dtype']) for r in case['head_grads']]
    autograd.backward(outs, heads)
    for key, rec in case['grads'].items():
        want = _dec(rec)
        if mxnet_nan:
            want = np.nan_to_num(want, nan=0.0)
        assert_almost_equal(inputs[int(key)].grad.asnumpy(), want, rtol=1e-5, atol=1e-5)


def check_case(case):
    """Run one golden case and compare outputs, dtypes and gradients with MXNet's."""
    res = run_case(case)
    if res is None:
        return
    inputs, outs = res
    compare_outputs(outs, case['outputs'])
    if case.get('grads'):
        compare_grads(inputs, outs, case)
