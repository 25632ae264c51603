"""Patterns met running a fourth set of public MXNet 1.x Gluon sources unchanged, against MXNet
1.9.1 (fixture: tools/gen_wild4_fixtures.py).

* ``zeros_like`` / ``ones_like`` take a ``dtype`` attribute and ignore it, as MXNet 1.9.1 does
  (GluonCV's CenterNetDecoder writes ``F.zeros_like(x, dtype='int64')``; minigluon refused the
  attribute, so the decoder could not be built, eager or hybridized).
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import gluon, nd

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'wild4', 'wild4.json')) as _f:
    FIX = json.load(_f)


@pytest.mark.parametrize('case', FIX['like_dtype'],
                         ids=lambda c: '%s-%s-%s' % (c['op'], c['in_dtype'], c['dtype']))
def test_like_operators_accept_and_ignore_dtype(case):
    x = nd.array([[1.5, -2.0, 3.0]], dtype=case['in_dtype'])
    y = getattr(nd, case['op'])(x, dtype=case['dtype'])
    assert np.dtype(y.dtype).name == case['out_dtype']
    np.testing.assert_array_equal(y.asnumpy(), np.array(case['values'], dtype=case['out_dtype']))
    s = getattr(mx.sym, case['op'])(mx.sym.var('a'), dtype=case['dtype'])
    assert json.loads(s.tojson())['nodes'][1].get('attrs', {}) == case['node_attrs']
    assert np.dtype(s.infer_type(a=case['in_dtype'])[1][0]).name == case['sym_out_dtype']


class TopkDecode(gluon.HybridBlock):
    """A CenterNet-style heat-map decoder (as in tools/gen_wild4_fixtures.py)."""

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self._k = k

    def hybrid_forward(self, F, heat, offset):
        _, _, h, w = heat.shape_array().split(num_outputs=4, axis=0)
        scores, idx = heat.reshape((0, -1)).topk(k=self._k, ret_typ='both')
        idx = F.cast(idx, 'int64')
        cls = F.cast(F.broadcast_div(idx, h * w), 'float32')
        pos = F.broadcast_mod(idx, h * w)
        ys, xs = F.broadcast_div(pos, w), F.broadcast_mod(pos, w)
        flat = offset.transpose((0, 2, 3, 1)).reshape((0, -1, 2))
        rows = F.cast(F.arange(256).slice_like(flat, axes=(0)).expand_dims(-1).tile(reps=(1, self._k)),
                      'int64')
        zero = F.zeros_like(rows, dtype='int64')
        dx = F.gather_nd(flat, F.concat(rows, pos, zero, dim=0).reshape((3, -1))).reshape((-1, self._k))
        return cls, scores, F.cast(xs, 'float32') + dx, F.cast(ys, 'float32')


@pytest.mark.parametrize('hybrid', [False, True])
def test_centernet_style_decoder_runs_as_in_mxnet(hybrid):
    fix = FIX['topk_decode']
    block = TopkDecode(6)
    if hybrid:
        block.hybridize()
    res = block(nd.array(fix['heat']), nd.array(fix['offset']))
    assert [np.dtype(r.dtype).name for r in res] == fix['dtypes']
    for got, want in zip(res, fix['hybrid' if hybrid else 'eager']):
        np.testing.assert_allclose(got.asnumpy(), np.array(want), rtol=1e-6, atol=1e-6)
