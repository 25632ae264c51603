"""Shared runner for the MXNet 1.9.1 golden cases in ``tests/fixtures/nn/`` (nn, conv and norm ops).

The files are written by ``tools/gen_nn_fixtures.py`` in the MXNet oracle venv: ``cases.json`` lists
each case (operator, attributes, train mode, which inputs get gradients) and ``<name>.npz`` holds the
inputs, MXNet's outputs, the head gradient and MXNet's input gradients.
"""
import json
import os

import numpy as np

from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'nn')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']


def cases_for(ops):
    """The golden cases of the operators ``ops``."""
    return [c for c in CASES if c['op'] in ops]


def run_golden(case, rtol=1e-4, atol=1e-5, outputs=None, backward=True, compare_grads=True):
    """Replay one MXNet golden case; return ``(npz, input arrays, outputs)``.

    Compares the first ``outputs`` outputs (all by default); with ``backward`` back-propagates the
    stored head gradient from output 0 and, with ``compare_grads``, compares the input gradients.
    """
    d = np.load(os.path.join(FIX, case['name'] + '.npz'))
    arrays = [nd.array(d['in%d' % i], dtype=d['in%d' % i].dtype) for i in range(case['n_inputs'])]
    for i in case['wrt']:
        arrays[i].attach_grad()
    with autograd.record(train_mode=case['train']):
        outs = getattr(nd, case['op'])(*arrays, **case['attrs'])
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == case['n_outputs']
    for i, o in enumerate(outs[:outputs]):
        assert_almost_equal(o, d['out%d' % i], rtol=rtol, atol=atol, names=('minigluon', 'mxnet'))
    if backward:
        outs[0].backward(nd.array(d['head']))
        if compare_grads:
            for i in case['wrt']:
                assert_almost_equal(arrays[i].grad, d['grad%d' % i], rtol=rtol, atol=atol,
                                    names=('minigluon grad%d' % i, 'mxnet'))
    return d, arrays, outs
