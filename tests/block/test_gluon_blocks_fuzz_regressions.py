"""Regressions found by fuzzing the Gluon Block / Parameter API against MXNet 1.9.1
(``tools/fuzz_gluon_blocks.py``). Each program of
``tests/fixtures/gluon_blocks_fuzz/programs.json`` is replayed statement by statement and the
outcomes MXNet 1.9.1 gave (``expected.npz``, from ``tools/gen_gluon_blocks_fuzz_fixtures.py``)
are compared: whether each statement raised, then the named values (arrays, or the ``repr`` of
names, key lists and printed text). MXNet is never imported here."""
import json
import os
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from fuzz_gluon_blocks import replay  # noqa: E402  (the fixture generator's replay)

DIR = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'gluon_blocks_fuzz')
with open(os.path.join(DIR, 'programs.json')) as _f:
    PROGRAMS = json.load(_f)['programs']
EXPECTED = np.load(os.path.join(DIR, 'expected.npz'))


def _replay(lines, filedir):
    """Run ``lines`` one by one in one namespace; return (raised flags, warning counts,
    namespace): ``fuzz_gluon_blocks.replay``, which made the fixtures on MXNet."""
    return replay(mx, lines, filedir)


@pytest.mark.parametrize('name', sorted(PROGRAMS))
def test_program_matches_mxnet(name, tmp_path, fresh_names):
    """(Fresh name counters: the programs were recorded each in a new process.)"""
    prog = PROGRAMS[name]
    raised, warned, env = _replay(prog['lines'], tmp_path)
    want = EXPECTED[name + '/raised'].copy()
    for i in prog.get('differs', []):      # docs/PORTING.md "deliberately differs": MXNet raises there
        assert want[i] == 1, 'MXNet raised at statement %d' % i
        want[i] = 0
    np.testing.assert_array_equal(raised, want, err_msg='which statements raise (%s)' % name)
    if prog.get('warnings'):    # (otherwise not compared: an unused child warns, as in MXNet)
        np.testing.assert_array_equal(warned, EXPECTED[name + '/warned'],
                                      err_msg='which statements warn (%s)' % name)
    for key in prog['check']:
        want = EXPECTED['%s/%s' % (name, key)]
        got = env[key]
        if want.dtype.kind == 'U':
            assert repr(got) == str(want), key
        else:
            got = got.asnumpy()
            assert got.shape == want.shape and got.dtype == want.dtype, key
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=key)


def test_static_shape_without_static_alloc_names_both_flags():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize(static_shape=True)
    with pytest.raises(mx.base.MXNetError, match='static_alloc.*static_shape'):
        net(nd.ones((1, 3)))


def test_unused_child_parameters_stay_pending():
    class P(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.w = self.params.get('w', shape=(2, 0), allow_deferred_init=True)
            self.extra = gluon.nn.Dense(3)

        def hybrid_forward(self, F, x, w):
            return F.FullyConnected(x, w, no_bias=True, num_hidden=2)

    p = P()
    p.initialize(mx.init.One())
    assert p(nd.array([[1.0, 2.0, 3.0]])).asnumpy().tolist() == [[6.0, 6.0]]
    with pytest.raises(mx.gluon.parameter.DeferredInitializationError,
                       match='has not been initialized yet'):
        p.extra.weight.data()


def test_hybridize_off_with_pre_hook_does_not_warn():
    d = gluon.nn.Dense(2)
    d.register_forward_pre_hook(lambda block, args: None)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        d.hybridize(False)
    with pytest.warns(UserWarning, match='hybridized while still having forward hook'):
        d.hybridize()


def test_load_parameters_of_an_empty_file(tmp_path):
    empty = gluon.nn.HybridSequential()
    empty.initialize()
    empty.save_parameters(str(tmp_path / 'e.params'))
    d = gluon.nn.Dense(2, in_units=3)
    d.initialize(mx.init.One())
    d.load_parameters(str(tmp_path / 'e.params'), allow_missing=True)
    assert d.weight.data().asnumpy().sum() == 6.0
    with pytest.raises(AssertionError, match="'weight' is missing"):
        d.load_parameters(str(tmp_path / 'e.params'))


def test_batchnorm_with_the_wrong_channel_count_names_the_shape():
    # docs/PORTING.md "deliberately differs": MXNet 1.9.1 runs, reading past its (2,) parameters
    bn = gluon.nn.BatchNorm(in_channels=2)
    bn.initialize()
    x = nd.ones((2, 3))
    msg = r'must have shape \(3,\) \(the size of axis 1 of data\).*gamma\(2,\)'
    with pytest.raises(ValueError, match=msg):
        bn(x)
    with pytest.raises(ValueError, match=msg):
        bn.summary(x)
    bn.hybridize()
    with pytest.raises(ValueError, match=msg):
        bn(x)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_frozen_weight_still_gives_the_bias_its_gradient(dtype):
    # docs/PORTING.md "deliberately differs": MXNet 1.9.1's float32 kernel leaves the bias gradient at 0.
    # y = sum(x W^T + b) over a batch of 2: dy/db = 2 for every unit.
    d = gluon.nn.Dense(3, in_units=3, dtype=dtype)
    d.initialize(mx.init.Constant(0.3))
    d.weight.grad_req = 'null'
    x = nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=dtype)
    with autograd.record():
        y = d(x).sum()
    y.backward()
    assert d.bias.grad().asnumpy().tolist() == [2.0, 2.0, 2.0]


def test_grandchild_added_under_a_hybridized_block_rebuilds_its_graph():
    # docs/PORTING.md "deliberately differs": the ancestors' cached graphs are dropped at once, so the
    # next call rebuilds and warns that the new parameters go unused (MXNet still runs its old
    # graph until the block is hybridized again, and then warns alike: the fixture program
    # grandchild_added_under_hybridized)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dropout(0.5))
    net.initialize()
    net.hybridize()
    x = nd.array([[1.0, 2.0, 3.0]])
    net(x)
    net[0].d1 = gluon.nn.Dense(2, in_units=3)
    net[0].d1.initialize()
    with pytest.warns(UserWarning, match='is not used by any computation'):
        assert net(x).asnumpy().tolist() == [[1.0, 2.0, 3.0]]
