"""``nd.op`` / ``sym.op`` (MXNet 1.9.1's modules of generated operator functions) and
``nd.CachedOp`` (minigluon/ndarray/op.py, minigluon/symbol/op.py); MXNet's names recorded by
tools/gen_legacy_ops_fixtures.py."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.ops import OPS
from minigluon.symbol.op_names import MX_ALIASES
from minigluon.test_utils import assert_almost_equal

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'legacy_ops', 'op_namespaces.json')) as _f:
    MX_NAMES = json.load(_f)


@pytest.mark.parametrize('ns_name', ['nd', 'sym'])
def test_op_namespace_holds_the_namespaces_own_functions(ns_name):
    ns = {'nd': nd, 'sym': sym}[ns_name]
    mine = {n for n in dir(ns.op) if not n.startswith('_')}
    shared = [n for n in MX_NAMES[ns_name] if n in mine]
    # MXNet's names that minigluon has are there, as the very functions of nd / sym
    assert len(shared) > 240
    for name in shared:
        assert getattr(ns.op, name) is getattr(ns, name), name
    # every MXNet name missing from nd.op is missing from nd too (an operator minigluon lacks)
    assert [n for n in MX_NAMES[ns_name] if n not in mine and hasattr(ns, n)] == []
    # and nothing else: public operator names only (and CachedOp)
    public = {n for n in list(OPS) + list(MX_ALIASES) if not n.startswith('_')} | {'CachedOp'}
    assert mine <= public
    # Python functions over operators stay outside, as in MXNet
    assert 'maximum' not in mine and 'split_v2' not in mine and 'histogram' not in mine


def test_cached_op_calls_a_symbol_as_mxnet():
    x, w = sym.var('x'), sym.var('w')
    fc = sym.FullyConnected(x, w, num_hidden=2, no_bias=True, name='fc')
    op = nd.CachedOp(fc)
    assert nd.op.CachedOp is nd.CachedOp
    a, b = nd.ones((3, 4)), nd.ones((2, 4))
    y = op(a, b)
    assert isinstance(y, nd.NDArray) and y.asnumpy().tolist() == [[4, 4]] * 3
    both = nd.CachedOp(sym.Group([fc, fc * 2]), flags=[('static_alloc', True)])(a, b)
    assert isinstance(both, list) and both[1].asnumpy()[0, 0] == 8
    out = nd.zeros((3, 2))
    assert op(a, b, out=out) is out and out.asnumpy()[0, 0] == 4
    b.attach_grad()
    with autograd.record():
        y = op(a, b)
    y.backward()
    assert b.grad.asnumpy().tolist() == [[3, 3, 3, 3]] * 2      # sum over the 3 rows of ones
    with pytest.raises(ValueError, match='expected 2 inputs'):
        op(a)
    with pytest.raises(TypeError, match='unexpected keyword'):
        op(a, b, foo=1)
    with pytest.raises(ValueError, match='out holds 2'):
        op(a, b, out=[out, out])


def test_cached_op_takes_auxiliary_states_in_list_inputs_order():
    bn = sym.BatchNorm(sym.var('data'), name='bn', fix_gamma=False)
    rng = np.random.RandomState(0)
    arrays = {n: nd.array(rng.rand(2, 3) if n == 'data' else rng.rand(3) + 0.5)
              for n in bn.list_inputs()}
    got = nd.CachedOp(bn)(*[arrays[n] for n in bn.list_inputs()])
    want = nd.BatchNorm(*[arrays[n] for n in ('data', 'bn_gamma', 'bn_beta', 'bn_moving_mean',
                                              'bn_moving_var')], fix_gamma=False)
    assert_almost_equal(got, want)
