"""Golden values for the patterns met in the fourth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild4_fixtures.py

Writes tests/fixtures/wild4/wild4.json, read by tests/test_wild_scripts_4.py:

* ``like_dtype``: ``zeros_like`` / ``ones_like`` given ``dtype=`` (GluonCV's CenterNetDecoder passes
  ``dtype='int64'``). MXNet 1.9.1 accepts the attribute and ignores it: the result keeps the input's
  dtype, and the exported node carries the attribute.
* ``topk_decode``: a heat-map decoder written in the style of CenterNet's (topk with
  ``ret_typ='both'``, int64 indices split by ``broadcast_div`` / ``broadcast_mod``, batch indices from
  ``arange(256).slice_like``, ``zeros_like(..., dtype='int64')``, ``gather_nd``), eager and hybridized.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import gluon, nd  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'wild4')


def like_dtype():
    cases = []
    for op in ('zeros_like', 'ones_like'):
        for in_dtype in ('float32', 'int64', 'float16'):
            for dtype in ('int64', 'float64', 'uint8'):
                x = nd.array([[1.5, -2.0, 3.0]], dtype=in_dtype)
                y = getattr(nd, op)(x, dtype=dtype)
                s = getattr(mx.sym, op)(mx.sym.var('a'), dtype=dtype)
                node = json.loads(s.tojson())['nodes'][1]
                cases.append({'op': op, 'in_dtype': in_dtype, 'dtype': dtype,
                              'out_dtype': np.dtype(y.dtype).name, 'values': y.asnumpy().tolist(),
                              'node_attrs': node.get('attrs', {}),
                              'sym_out_dtype': np.dtype(s.infer_type(a=in_dtype)[1][0]).name})
    return cases


class TopkDecode(gluon.HybridBlock):
    """Kept in step with the copy in tests/test_wild_scripts_4.py."""

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


def topk_decode():
    rs = np.random.RandomState(4)
    heat = rs.uniform(size=(2, 3, 4, 5)).astype('float32')
    offset = rs.uniform(-1, 1, size=(2, 2, 4, 5)).astype('float32')
    out = {'heat': heat.tolist(), 'offset': offset.tolist()}
    block = TopkDecode(6)
    for hybrid in (False, True):
        if hybrid:
            block.hybridize()
        res = block(nd.array(heat), nd.array(offset))
        out['hybrid' if hybrid else 'eager'] = [r.asnumpy().astype('float64').tolist() for r in res]
        out['dtypes'] = [np.dtype(r.dtype).name for r in res]
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    fix = {'like_dtype': like_dtype(), 'topk_decode': topk_decode()}
    with open(os.path.join(OUT, 'wild4.json'), 'w') as f:
        json.dump(fix, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
