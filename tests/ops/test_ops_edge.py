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
import os

import pytest

from minigluon import autograd, nd
from minigluon.test_utils import check_gradient
from ops_golden import _dec, compare_grads, compare_outputs, load_cases, run_case

_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'ops_edge')


@pytest.mark.parametrize('case', load_cases('edge', _FOLDER))
def test_mxnet_edge_golden(case):
    res = run_case(case, train=case['train'])
    if res is None:
        return
    inputs, outs = res
    wrong = case.get('mxnet_wrong', '')
    records = case['outputs'][:1] if wrong == 'grads' else case['outputs']
    compare_outputs(outs, records, mxnet_nan=(wrong == 'nan'))
    if wrong == 'grads':
        _check_numeric(case)
    elif case.get('grads'):
        compare_grads(inputs, outs, case, mxnet_nan=(wrong == 'nan'))


def _check_numeric(case):
    """Where MXNet's gradient is wrong: minigluon's against central differences (float64)."""
    arrays = [_dec(r) for r in case['inputs']]
    wrt = [int(k) for k in case['grads']]

    def fn(*xs):
        with autograd.train_mode() if case['train'] else autograd.predict_mode():
            out = getattr(nd, case['op'])(*xs, **case['attrs'])
        return out[0] if isinstance(out, (list, tuple)) else out
    check_gradient(fn, arrays, wrt=wrt)
