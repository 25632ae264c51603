"""Operator edge cases checked against MXNet 1.9.1 (a hostile porting user's attack list).

Golden values come from ``tools/gen_ops_edge_fixtures.py`` (run in the MXNet oracle venv) and
live in ``tests/fixtures/ops_edge/edge.json``: strided/dilated/grouped 1-D and 3-D convolutions
and transposed convolutions, pooling conventions and ``count_include_pad``, normalisation axes
in train and eval mode, index modes, reverse reshape, negative-step slices, ``topk`` return
types, ``norm`` over axis tuples and reductions with ``exclude=True``.

Cases tagged ``mxnet_wrong`` are where MXNet 1.9.1 itself is wrong and minigluon deliberately
differs (documented in the operators' docstrings): 'nan' -- MXNet yields NaN (0/0 for an
average-pooling window wholly in the padding with ``count_include_pad=False``, 0*inf for
``Dropout(p=1)``) where minigluon yields 0; 'grads' -- MXNet's gradient (selu, BatchNorm in
eval mode without ``use_global_stats``) or eval-mode rrelu mask is wrong, so minigluon's
gradient is checked against central differences instead.
"""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops.ops_golden import _dec

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'ops_edge',
                     'edge.json')


def _cases():
    with open(_PATH) as f:
        cases = json.load(f)['cases']
    return [pytest.param(c, id='%d-%s(%s)' % (i, c['op'], ','.join(
        '%s=%s' % kv for kv in sorted(c['attrs'].items())))) for i, c in enumerate(cases)]


@pytest.mark.parametrize('case', _cases())
def test_mxnet_edge_golden(case):
    inputs = [nd.array(_dec(r), dtype=r['dtype']) for r in case['inputs']]
    fn = getattr(nd, case['op'])
    if 'error' in case:
        with pytest.raises((ValueError, IndexError, TypeError, MXNetError)):
            fn(*inputs, **case['attrs'])
        return
    grads = case.get('grads', {})
    for key in grads:
        inputs[int(key)].attach_grad()
    with autograd.record(train_mode=case['train']):
        out = fn(*inputs, **case['attrs'])
    outs = out if isinstance(out, (list, tuple)) else [out]
    wrong = case.get('mxnet_wrong', '')
    assert len(outs) == len(case['outputs'])
    for got, rec in list(zip(outs, case['outputs']))[:1 if wrong == 'grads' else None]:
        want = _dec(rec)
        if wrong == 'nan':
            assert np.isnan(want).any()   # MXNet's NaN, still present in the fixture
            want = np.nan_to_num(want, nan=0.0)
        assert got.shape == want.shape, (got.shape, want.shape)
        assert np.dtype(got.dtype) == want.dtype, (got.dtype, want.dtype)
        assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-5, equal_nan=True)
    if wrong == 'grads':
        _check_numeric(case)
    elif grads:
        heads = [nd.array(_dec(r), dtype=r['dtype']) for r in case['head_grads']]
        autograd.backward(outs, heads)
        for key, rec in grads.items():
            want = _dec(rec)
            if wrong == 'nan':
                want = np.nan_to_num(want, nan=0.0)
            assert_almost_equal(inputs[int(key)].grad.asnumpy(), want, rtol=1e-5, atol=1e-5)


def _check_numeric(case):
    """Where MXNet's gradient is wrong: minigluon's against central differences (float64)."""
    arrays = [_dec(r) for r in case['inputs']]
    wrt = [int(k) for k in case['grads']]

    def fn(*xs):
        with autograd.train_mode() if case['train'] else autograd.predict_mode():
            out = getattr(nd, case['op'])(*xs, **case['attrs'])
        return out[0] if isinstance(out, (list, tuple)) else out
    check_gradient(fn, arrays, wrt=wrt)
