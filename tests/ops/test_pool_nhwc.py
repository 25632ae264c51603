"""Channel-last pooling (``Pooling`` with ``layout`` NWC, NHWC, NDHWC and the Gluon pooling layers
built with those layouts), as MXNet 1.9.1's CPU operator runs it.

MXNet golden values come from tools/gen_pool_nhwc_fixtures.py (fixture folder pool_nhwc); the
other checks compare with the channel-first pooling of the transposed input (an independent
path: no axis moves), with central differences, and across hybridize / export / import.
"""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.base import MXNetError
from minigluon.executor import CachedOp
from minigluon.gluon import SymbolBlock, nn
from minigluon.ops import _numba
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops._golden import FIXTURES, Golden, standard_tests

GOLD = Golden('pool_nhwc')
with open(os.path.join(FIXTURES, 'pool_nhwc', 'layers.json')) as _f:
    LAYERS = json.load(_f)['layers']
LAYER_VALUES = np.load(os.path.join(FIXTURES, 'pool_nhwc', 'layers.npz'))
LAST = {1: 'NWC', 2: 'NHWC', 3: 'NDHWC'}


(test_mxnet_golden_outputs_and_gradients, test_exported_json_node_matches_mxnet,
 test_graph_run_after_a_json_round_trip_matches_mxnet) = standard_tests(GOLD)


def _run_layer(block, x, head):
    xa = nd.array(x, dtype=x.dtype)
    xa.attach_grad()
    with autograd.record():
        y = block(xa)
    y.backward(nd.array(head, dtype=head.dtype))
    return y, xa.grad


@pytest.mark.parametrize('mode', ['eager', 'hybrid', 'static'])
@pytest.mark.parametrize('entry', LAYERS, ids=['%s-%s' % (e['key'], e['cls']) for e in LAYERS])
def test_gluon_layers_match_mxnet_eager_and_hybridized(entry, mode):
    key = entry['key']
    x, head = LAYER_VALUES[key + '_in'], LAYER_VALUES[key + '_head']
    block = getattr(nn, entry['cls'])(**entry['kwargs'])
    if mode != 'eager':
        block.hybridize(static_alloc=mode == 'static', static_shape=mode == 'static')
    mx_mode = 'eager' if mode == 'eager' else 'hybrid'
    for _ in range(2):        # a static graph's second call reuses its workspace buffers
        y, g = _run_layer(block, x, head)
        assert y.dtype == x.dtype
        assert_almost_equal(y, LAYER_VALUES['%s_%s_out' % (key, mx_mode)], rtol=1e-5, atol=1e-6)
        assert_almost_equal(g, LAYER_VALUES['%s_%s_grad' % (key, mx_mode)], rtol=1e-5, atol=1e-6)


def _pool_both_ways(x, head, **kw):
    """Channel-last pooling of ``x`` and channel-first pooling of its transpose, with gradients,
    the latter moved back to channel-last."""
    nsp = x.ndim - 2
    res = []
    for layout in (LAST[nsp], None):
        data = x if layout else np.moveaxis(x, -1, 1)
        h = head if layout else np.moveaxis(head, -1, 1)
        a = nd.array(data, dtype=x.dtype)
        a.attach_grad()
        with autograd.record():
            y = nd.Pooling(a, layout=layout, **kw) if layout else nd.Pooling(a, **kw)
        y.backward(nd.array(h, dtype=x.dtype))
        y, g = y.asnumpy(), a.grad.asnumpy()
        res.append((y, g) if layout else (np.moveaxis(y, 1, -1), np.moveaxis(g, 1, -1)))
    return res


POOLS = [dict(kernel=(3,), stride=(2,), pad=(1,)),
         dict(kernel=(2, 2), stride=(2, 2)),
         dict(kernel=(3, 2), stride=(1, 2), pad=(1, 0), pooling_convention='full'),
         dict(kernel=(2, 3), stride=(2, 2), pooling_convention='same'),
         dict(kernel=(2, 2, 2), stride=(1, 2, 1), pad=(1, 0, 1)),
         dict(kernel=(1, 1), global_pool=True)]


@pytest.mark.parametrize('pool_type', ['max', 'avg', 'sum', 'lp'])
@pytest.mark.parametrize('pool', POOLS)
def test_channel_last_equals_the_transposed_channel_first_pooling(pool, pool_type):
    rng = np.random.RandomState(2)
    nsp = len(pool['kernel'])
    x = rng.randn(*((2,) + (5, 6, 4)[:nsp] + (3,)))
    out_shape = nd.Pooling(nd.array(x), layout=LAST[nsp], pool_type=pool_type, **pool).shape
    assert out_shape[0] == 2 and out_shape[-1] == 3
    head = rng.randn(*out_shape)
    (y, g), (y_cf, g_cf) = _pool_both_ways(x, head, pool_type=pool_type, **pool)
    np.testing.assert_array_equal(y, y_cf)
    np.testing.assert_array_equal(g, g_cf)


@pytest.mark.parametrize('pool_type', ['max', 'avg', 'lp'])
@pytest.mark.parametrize('pool', POOLS[:3] + POOLS[4:])
def test_channel_last_gradient_matches_central_differences(pool, pool_type):
    nsp = len(pool['kernel'])
    # distinct values, away from ties (max) and from zero (lp's root)
    x = np.random.RandomState(4).permutation(2 * 3 * 4 ** nsp)[:2 * 3 * 3 ** nsp] + 1.0
    x = (x * 0.37 * np.where(np.arange(x.size) % 2, 1, -1)).reshape((2,) + (3,) * nsp + (3,))
    kw = dict(pool, layout=LAST[nsp], pool_type=pool_type)
    if pool_type == 'lp':
        x = np.abs(x)
    check_gradient(lambda a: nd.Pooling(a, **kw), [x], rtol=1e-4, atol=1e-6)


def _relu_pool_graph(relu_first, **pool):
    x = sym.var('x')
    if relu_first:
        return sym.Pooling(sym.Activation(x, act_type='relu'), pool_type='max', **pool)
    return sym.Activation(sym.Pooling(x, pool_type='max', **pool), act_type='relu')


@pytest.mark.parametrize('compiled', [False, True])
@pytest.mark.parametrize('static', [False, True])
@pytest.mark.parametrize('relu_first', [False, True])
@pytest.mark.parametrize('pool', [dict(kernel=(2, 2), stride=(2, 2)),
                                  dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1))])
def test_executor_plan_rewrites_stay_exact_with_a_channel_last_layout(monkeypatch, pool,
                                                                       relu_first, static,
                                                                       compiled):
    """The plan moves a relu after the max pooling, fuses them into one step that keeps the
    winners (a workspace under static_alloc) and runs relu in place: with NHWC the results are
    eager's bit for bit, over repeated calls."""
    if compiled and _numba.kernels('_pool_numba_kernels') is None:
        pytest.skip('Numba is not installed')
    monkeypatch.setattr(_numba, 'enabled', compiled)
    op = CachedOp(_relu_pool_graph(relu_first, layout='NHWC', **pool),
                  [('static_alloc', static)])
    assert '_MaxPoolRelu' in [s.cls.__name__ for s in op._exec_plan]
    rng = np.random.RandomState(9)
    for _ in range(3):
        x = rng.randint(-3, 4, size=(2, 6, 8, 3)).astype(np.float32)   # ties and zeros
        xa, xb = nd.array(x), nd.array(x)
        xa.attach_grad()
        xb.attach_grad()
        with autograd.record():
            if relu_first:
                want = nd.Pooling(nd.relu(xa), pool_type='max', layout='NHWC', **pool)
            else:
                want = nd.relu(nd.Pooling(xa, pool_type='max', layout='NHWC', **pool))
            got, = op(xb)
        head = rng.randn(*want.shape).astype(np.float32)
        want.backward(nd.array(head))
        got.backward(nd.array(head))
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
        np.testing.assert_array_equal(xb.grad.asnumpy(), xa.grad.asnumpy())
        assert (xa.grad.asnumpy() != 0).any()


def test_infer_shape_with_unknown_sizes():
    """Unknown (0) batch, spatial or channel sizes stay unknown; under global_pool an unknown
    spatial size pools to 1 (MXNet 1.9.1 refuses unknown spatial sizes in channel-last layouts)."""
    data = sym.var('d')
    p = sym.Pooling(data, kernel=(2, 2), layout='NHWC')
    assert p.infer_shape_partial(d=(0, 5, 6, 3))[1] == [(0, 4, 5, 3)]     # MXNet's answers
    assert p.infer_shape_partial(d=(2, 5, 6, 0))[1] == [(2, 4, 5, 0)]
    assert p.infer_shape_partial(d=(2, 0, 6, 3))[1] == [(2, 0, 5, 3)]
    assert p.infer_shape_partial(d=(2, 0, 0, 0))[1] == [(2, 0, 0, 0)]
    g = sym.Pooling(data, kernel=(1, 1), global_pool=True, layout='NHWC')
    assert g.infer_shape_partial(d=(2, 0, 6, 3))[1] == [(2, 1, 1, 3)]
    assert g.infer_shape_partial(d=(2, 5, 6, 0))[1] == [(2, 1, 1, 0)]
    p3 = sym.Pooling(data, kernel=(3,), stride=(2,), pad=(1,), layout='NWC',
                     pooling_convention='full')
    assert p3.infer_shape(d=(4, 8, 5))[1] == [(4, 5, 5)]


@pytest.mark.parametrize('layout,shape', [('NWC', (2, 5, 6, 3)), ('NDHWC', (2, 5, 6, 3)),
                                          ('NCW', (2, 5, 6, 3)), ('NHWC', (2, 5, 3))])
def test_a_layout_of_another_rank_is_refused(layout, shape):
    kernel = (2,) * (len(layout) - 2)
    with pytest.raises(MXNetError, match="layout='%s' needs %d-D data" % (layout, len(layout))):
        nd.Pooling(nd.ones(shape), kernel=kernel, layout=layout)
    with pytest.raises(MXNetError, match='layout'):      # under global_pool too
        nd.Pooling(nd.ones(shape), global_pool=True, kernel=kernel, layout=layout)
    with pytest.raises(MXNetError, match='layout'):
        sym.Pooling(sym.var('d'), kernel=kernel, layout=layout).infer_shape(d=shape)


def test_gluon_layers_validate_their_layout():
    with pytest.raises(ValueError, match="'NCHW' and 'NHWC'"):
        nn.MaxPool2D(layout='NWC')
    with pytest.raises(ValueError, match='layout'):
        nn.GlobalAvgPool1D(layout='NHWC')
    with pytest.raises(ValueError, match='layout'):
        nn.AvgPool3D(layout='NHWC')
    assert "layout=NHWC" in repr(nn.MaxPool2D(layout='NHWC'))


def test_hybridized_export_import_round_trip(tmp_path):
    net = nn.HybridSequential()
    net.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1, layout='NHWC'),
            nn.AvgPool2D(pool_size=2, ceil_mode=True, count_include_pad=False, layout='NHWC'),
            nn.GlobalMaxPool2D(layout='NHWC'))
    net.hybridize()
    x = nd.array(np.random.RandomState(1).randn(2, 9, 10, 3))
    y = net(x)
    assert y.shape == (2, 1, 1, 3)
    sym_file, params_file = net.export(str(tmp_path / 'pools'))
    graph = json.load(open(sym_file))
    pools = [n for n in graph['nodes'] if n['op'] == 'Pooling']
    assert [n['attrs']['layout'] for n in pools] == ['NHWC'] * 3
    # MXNet 1.9.1 (oneDNN) counts one output for a channel-last max Pooling, two channel-first
    rows = graph['node_row_ptr']
    ids = [graph['nodes'].index(n) for n in pools]
    assert [rows[i + 1] - rows[i] for i in ids] == [1, 1, 1]
    back = SymbolBlock.imports(sym_file, 'data', params_file)
    xa, xb = x.copy(), x.copy()
    xa.attach_grad()
    xb.attach_grad()
    with autograd.record():
        ya, yb = net(xa), back(xb)
    ya.backward()
    yb.backward()
    assert_almost_equal(yb, ya)
    assert_almost_equal(xb.grad, xa.grad)
    # channel-first reference: the same layers on the transposed input
    ref = nn.HybridSequential()
    ref.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1),
            nn.AvgPool2D(pool_size=2, ceil_mode=True, count_include_pad=False),
            nn.GlobalMaxPool2D())
    assert_almost_equal(y, np.moveaxis(ref(nd.transpose(x, (0, 3, 1, 2))).asnumpy(), 1, -1))
