"""``mx.nd.contrib`` / ``mx.sym.contrib`` / ``mx.contrib.{nd,ndarray,sym,symbol}`` vs MXNet 1.9.1
(fixtures: tools/gen_leftovers_fixtures.py, contrib.json).

Every registered ``_contrib_<name>`` operator is offered as ``<name>``; symbols built through them
name their nodes after the short name, write MXNet's operator name into the JSON and load back.
"""
import importlib
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd, ops
from minigluon.ops.registry import Op, register
from minigluon.test_utils import assert_almost_equal

FIX_DIR = os.path.join(os.path.dirname(__file__), 'fixtures', 'leftovers')
with open(os.path.join(FIX_DIR, 'contrib.json')) as _f:
    FIX = json.load(_f)

NAMESPACES = {'nd.contrib': lambda: mx.nd.contrib, 'sym.contrib': lambda: mx.sym.contrib,
              'contrib.nd': lambda: mx.contrib.nd, 'contrib.ndarray': lambda: mx.contrib.ndarray,
              'contrib.sym': lambda: mx.contrib.sym, 'contrib.symbol': lambda: mx.contrib.symbol}


def test_every_registered_contrib_operator_is_offered():
    shorts = sorted(n[len('_contrib_'):] for n in ops.OPS if n.startswith('_contrib_'))
    assert shorts, 'the registry has _contrib_ operators (CTCLoss, ctc_loss, BatchNormWithReLU)'
    for short in shorts:
        for where, ns in NAMESPACES.items():
            assert callable(getattr(ns(), short)), (where, short)


@pytest.mark.parametrize('name', sorted(FIX['names']))
def test_names_available_as_in_mxnet(name):
    for where, present in FIX['names'][name].items():
        assert hasattr(NAMESPACES[where](), name) == present, (where, name)


def test_namespace_modules_are_shared_and_importable():
    assert mx.contrib.nd is mx.contrib.ndarray is mx.nd.contrib
    assert mx.contrib.sym is mx.contrib.symbol is mx.sym.contrib
    for mod in ('minigluon.contrib.nd', 'minigluon.contrib.ndarray', 'minigluon.contrib.sym',
                'minigluon.contrib.symbol', 'minigluon.nd.contrib', 'minigluon.sym.contrib',
                'minigluon.ndarray.contrib', 'minigluon.symbol.contrib'):
        assert importlib.import_module(mod) in (mx.nd.contrib, mx.sym.contrib), mod
    assert mx.contrib.nn.Concurrent is mx.gluon.contrib.nn.Concurrent     # gluon.contrib kept
    assert mx.nd.contrib.ctc_loss.__name__ == 'ctc_loss'


def test_symbols_match_mxnet():
    d, l = mx.sym.var('data'), mx.sym.var('label')
    with mx.name.NameManager():
        for case in FIX['symbols']:
            s = eval(case['src'], {'mx': mx, 'd': d, 'l': l})     # noqa: S307 -- fixture source lines
            assert s.name == case['name'], case['src']
            assert s.list_outputs() == case['outputs'], case['src']
            assert s.list_arguments() == case['arguments'], case['src']
            assert s.list_auxiliary_states() == case['aux'], case['src']
            assert s.get_internals().list_outputs() == case['internals'], case['src']
            assert json.loads(s.tojson())['nodes'][-1]['op'] == case['op'], case['src']
            back = mx.sym.load_json(s.tojson())
            assert back.list_outputs() == case['outputs'] and back.tojson() == s.tojson()


def test_eager_contrib_ctc_loss_matches_mxnet():
    e = FIX['eager']
    data, label = nd.array(e['data']), nd.array(e['label'])
    assert_almost_equal(nd.contrib.ctc_loss(data, label).asnumpy(), np.array(e['loss']), rtol=1e-5, atol=1e-5)
    assert_almost_equal(mx.contrib.nd.CTCLoss(data, label - 1, blank_label='last').asnumpy(),
                        np.array(e['loss_last']), rtol=1e-5, atol=1e-5)
    assert_almost_equal(nd.contrib.ctc_loss(data, label).asnumpy(), nd.CTCLoss(data, label).asnumpy())


def test_contrib_symbol_binds_through_symbol_block_and_trains():
    d, l = mx.sym.var('data'), mx.sym.var('label')
    loss = mx.sym.MakeLoss(mx.sym.contrib.ctc_loss(data=d, label=l))
    block = mx.gluon.SymbolBlock(loss, [d, l])
    e = FIX['eager']
    data = nd.array(e['data'])
    data.attach_grad()
    with mx.autograd.record():
        out = block(data, nd.array(e['label']))
    out.backward()
    assert_almost_equal(out.asnumpy(), np.array(e['loss']), rtol=1e-5, atol=1e-5)
    assert np.isfinite(data.grad.asnumpy()).all() and abs(data.grad.asnumpy()).sum() > 0


def test_refresh_picks_up_contrib_operators_registered_later():
    @register
    class _LateContrib(Op):
        """Test-only operator: doubles its input."""
        name = '_contrib_late_double_for_test'
        arguments = ('data',)

        def forward(self, xp, data):
            return data * 2

        def backward(self, xp, grad):
            return (grad * 2,)
    try:
        mx.nd.contrib.refresh()
        mx.sym.contrib.refresh()
        assert mx.nd.contrib.late_double_for_test(nd.array([1., 2.])).asnumpy().tolist() == [2., 4.]
        s = mx.sym.contrib.late_double_for_test(mx.sym.var('x'))
        assert s.name.startswith('late_double_for_test')
    finally:
        ops.OPS.pop('_contrib_late_double_for_test', None)
        for ns in (mx.nd.contrib, mx.sym.contrib):
            ns.__dict__.pop('late_double_for_test', None)
