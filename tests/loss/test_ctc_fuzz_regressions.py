"""CTC cases from the differential fuzzer ``tools/fuzz_ctc.py``, against MXNet 1.9.1's numbers
(``tests/fixtures/ctc_fuzz``, written by ``tools/gen_ctc_fuzz_fixtures.py``).

Each operator case runs through its MXNet name (``nd.ctc_loss``, ``nd.CTCLoss``,
``nd.contrib.ctc_loss``, ``nd.contrib.CTCLoss``); each ``gluon.loss.CTCLoss`` case runs eagerly,
hybridized, and exported then re-imported with ``SymbolBlock.imports``. Labels and lengths given a
gradient buffer must receive none. The ``mx_fault_*`` cases hold what MXNet 1.9.1 returns where it
is wrong; minigluon is checked against the brute-force value there.
"""
import json
import os
import sys

import numpy as np
import pytest

from minigluon import autograd, gluon, nd
from minigluon.base import MXNetError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'ops'))
from ctc_reference import brute_force_nll, log_softmax  # noqa: E402

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ctc_fuzz')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(FIX, 'values.npz'))
GOLDEN = [c for c in CASES if not c['name'].startswith('mx_fault')]


def inputs(case):
    n = sum(1 for k in VALUES.files if k.startswith(case['name'] + '_in'))
    return [VALUES['%s_in%d' % (case['name'], i)] for i in range(n)]


def as_nd(arrays):
    out = [nd.array(a, dtype=a.dtype) for a in arrays]
    for a in out:
        if np.dtype(a.dtype).kind == 'f':
            a.attach_grad()
    return out


def check(case, loss, xs, n_weights=0):
    """Loss and pred gradient as MXNet's; no gradient into labels and lengths."""
    name = case['name']
    np.testing.assert_allclose(loss.asnumpy(), VALUES[name + '_loss'], rtol=1e-5, atol=1e-5)
    grad, want = xs[0].grad.asnumpy(), VALUES[name + '_grad']
    nan = np.isnan(VALUES[name + '_loss'])
    if nan.any():
        # A NaN sample (operator layout (T, N, C)): MXNet 1.9.1 leaves some of its gradient finite
        # (the softmax, where its occupancy sums are structurally empty) and the rest NaN.
        # minigluon makes all of it NaN, on the CPU and the GPU alike: the loss is NaN. The
        # other samples are compared below.
        assert np.isnan(want[:, nan]).any() and np.isnan(grad[:, nan]).all()
        grad, want = grad[:, ~nan], want[:, ~nan]
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-5)
    for x in xs[1:len(xs) - n_weights]:
        if np.dtype(x.dtype).kind == 'f':
            assert not x.grad.asnumpy().any()
    if n_weights:
        np.testing.assert_allclose(xs[-1].grad.asnumpy(), VALUES[name + '_swgrad'], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('case', [c for c in GOLDEN if c['kind'] == 'op'], ids=lambda c: c['name'])
def test_operator_matches_mxnet(case):
    arrays = inputs(case)
    if case['name'].startswith('int_lengths'):
        # MXNet 1.9.1 requires data_lengths in data's dtype and label_lengths in label's dtype
        # ("data type do not match"); minigluon takes integer lengths and gives the same loss.
        arrays[2:] = [arrays[2].astype(np.int32), arrays[3].astype(np.int64)]
    fn = nd
    for part in case['path'].split('.'):
        fn = getattr(fn, part)
    xs = as_nd(arrays)
    with autograd.record():
        loss = fn(*xs, **case['attrs'])
    loss.backward()
    check(case, loss, xs)


def _export_and_import(net, call_args, tmp_path):
    net.hybridize()
    net(*call_args)
    prefix = str(tmp_path / 'ctc')
    net.export(prefix)
    names = ['data%d' % i for i in range(sum(a is not None for a in call_args))]
    return gluon.SymbolBlock.imports(prefix + '-symbol.json', names, prefix + '-0000.params')


@pytest.mark.parametrize('mode', ['eager', 'hybrid', 'export'])
@pytest.mark.parametrize('case', [c for c in GOLDEN if c['kind'] == 'gluon'], ids=lambda c: c['name'])
def test_block_matches_mxnet(case, mode, tmp_path):
    xs = as_nd(inputs(case))
    it = iter(xs)
    args = [None if a is None else next(it) for a in case['args']]
    net = gluon.loss.CTCLoss(**case['kwargs'])
    if mode == 'hybrid':
        net.hybridize()
    elif mode == 'export':
        net = _export_and_import(net, args, tmp_path)
        args = xs
    with autograd.record():
        loss = net(*args)
    loss.backward()
    check(case, loss, xs, n_weights=1 if len(case['args']) == 5 else 0)


def _fault(name):
    case = next(c for c in CASES if c['name'] == name)
    x, label = inputs(case)
    data = nd.array(x)
    data.attach_grad()
    with autograd.record():
        loss = nd.ctc_loss(data, nd.array(label), **case['attrs'])
    loss.backward()
    return x, loss.asnumpy(), data.grad.asnumpy()


@pytest.mark.parametrize('name', ['mx_fault_certain_one_frame', 'mx_fault_certain_two_frames'])
def test_near_certain_label_has_a_vanishing_gradient(name):
    """MXNet 1.9.1 returns softmax, without the occupancy term, as the gradient of a sample whose
    label is nearly certain (its float32 alpha/beta lose it): a 1 at the label's class, where the
    true gradient ``softmax - occupancy`` is ~0 (one frame, logits [40, 0], label [0], blank 1:
    ``[-e, e]`` with ``e = 1 / (1 + exp(40))``)."""
    x, loss, grad = _fault(name)
    assert np.abs(VALUES[name + '_grad']).max() == pytest.approx(1.0)      # MXNet's
    assert np.abs(grad).max() < 1e-6
    assert loss[0] == pytest.approx(brute_force_nll(x[:, 0], [0], 1), abs=1e-7)
    if name.endswith('one_frame'):
        e = 1 / (1 + np.exp(40.0))
        np.testing.assert_allclose(grad[0, 0], [-e, e], rtol=0, atol=1e-17)


def test_nan_in_one_sample_as_mxnet():
    """NaN in one sample's activations: that sample's loss is NaN, the others are MXNet's."""
    name = 'nan_one_sample'
    assert np.isnan(VALUES[name + '_loss'][1]) and np.isfinite(VALUES[name + '_loss'][[0, 2]]).all()
    x, _ = inputs(next(c for c in CASES if c['name'] == name))
    assert np.isnan(log_softmax(x[:, 1])).any()


def test_hybridized_tn_label_gets_a_zero_gradient():
    """MXNet 1.9.1: a hybridized ``CTCLoss(label_layout='TN')`` leaves the operator's label gradient
    unwritten and its transpose copies that uninitialised memory into ``label.grad`` (measured:
    values near 5.6e14). The label is not differentiable: its gradient is zero."""
    case = next(c for c in CASES if c['name'] == 'gluon_tnc_tn_weights')
    pred, label = (nd.array(a) for a in inputs(case)[:2])
    label.attach_grad()
    net = gluon.loss.CTCLoss(layout='TNC', label_layout='TN')
    net.hybridize()
    with autograd.record():
        loss = net(pred, label)
    loss.backward()
    assert not label.grad.asnumpy().any()


@pytest.mark.parametrize('bad, words', [
    ({'pred_lengths': [6, 5]}, ['pred_lengths[0] = 6.0', 'pred.shape[1], the time axis']),
    ({'label': [0, 1]}, ['label must be 2-D']),
    ({'label': [[0, 5], [1, -1]]}, ['label[0, 1] = 5.0', 'pred.shape[2]']),
    ({'sample_weight': [1.0, 2.0, 3.0]}, ['sample_weight must have shape (2,) or (2, 1)']),
])
@pytest.mark.parametrize('hybridize', [False, True])
def test_block_errors_name_the_block_arguments(bad, words, hybridize):
    """Bad input to ``gluon.loss.CTCLoss`` (NTC) raises an MXNetValueError in the block's terms,
    eager or hybridized (a hybridized block used to report the operator's ``data_lengths`` /
    ``data.shape[0]``, and a wrong ``sample_weight`` shape as an ``elemwise_mul`` broadcast).
    MXNet 1.9.1 computes garbage for the first two and fails to broadcast the third (an
    MXNetError; the eager block raised a plain ValueError)."""
    pred = nd.array(np.random.RandomState(0).randn(2, 5, 3))
    args = {'label': [[0, 1], [1, -1]], 'pred_lengths': None, 'label_lengths': None,
            'sample_weight': None}
    args.update(bad)
    net = gluon.loss.CTCLoss()
    if hybridize:
        net.hybridize()
    call = [None if args[k] is None else nd.array(args[k])
            for k in ('label', 'pred_lengths', 'label_lengths', 'sample_weight')]
    while call[-1] is None:
        call.pop()
    with pytest.raises(MXNetError) as info:        # MXNet's class; also a ValueError
        net(pred, *call)
    assert isinstance(info.value, ValueError)
    for w in words:
        assert w in str(info.value)
