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
* ``box_columns``: the NDArray idioms of an early GluonCV region-proposal step: columns of a
  ``broadcast_to`` result updated with ``+=``, strided column slices read and assigned
  (``deltas[:, 0::4]``, ``boxes[:, 2::4] = ...``), rows picked by a NumPy index array, and
  ``contrib.box_nms`` called with positional thresholds (the third is ``valid_thresh``).
* ``gibbs_op``: a Python CustomOp with two auxiliary states, called through ``F.Custom`` from a
  HybridBlock whose parameters (auxiliary ones included) have deferred ``(0, 0)`` shapes, trained by a
  Trainer over ``collect_params('^(?!.*_aux_.*).*$')`` (the pattern of MXNet's restricted-Boltzmann-
  machine example; sampling is a threshold here, so the result is deterministic), hybridized.
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


def box_columns():
    rs = np.random.RandomState(6)
    base = nd.array(rs.uniform(0, 4, size=(8,)))
    grid = base.reshape((1, -1, 1, 1)).broadcast_to((1, 8, 2, 3))
    for i in range(2):
        grid[:, i * 4] += nd.arange(3).reshape((1, 3)).broadcast_to((2, 3))
        grid[:, i * 4 + 3] += nd.arange(2).reshape((2, 1)).broadcast_to((2, 3))
    deltas = nd.array(rs.uniform(-1, 1, size=(5, 8)))
    boxes = nd.zeros(deltas.shape)
    boxes[:, 0::4] = deltas[:, 0::4] * 2 + 1
    boxes[:, 2::4] = nd.exp(deltas[:, 2::4]) - deltas[:, 1::4]
    boxes[:, 1] = nd.maximum(boxes[:, 1], nd.zeros(5) + 0.25)
    keep = np.where(boxes.asnumpy()[:, 0] > 0.5)[0]
    picked = boxes[keep, :]
    scores = nd.array(rs.uniform(size=(6, 1)))
    cand = nd.concat(scores, nd.array(rs.uniform(0, 4, size=(6, 4))).sort(axis=1), dim=1)
    nms = {str(v): nd.contrib.box_nms(cand, 0.5, v, coord_start=1, score_index=0, id_index=-1,
                                       force_suppress=True).asnumpy().tolist() for v in (0.0, 0.4, 60)}
    return {'grid': grid.asnumpy().tolist(), 'deltas': deltas.asnumpy().tolist(),
            'boxes': boxes.asnumpy().tolist(), 'keep': keep.tolist(), 'picked': picked.asnumpy().tolist(),
            'base': base.asnumpy().tolist(), 'cand': cand.asnumpy().tolist(), 'nms': nms}


class GibbsOp(mx.operator.CustomOp):
    """Kept in step with the copy in tests/test_wild_scripts_4.py."""

    def forward(self, is_train, req, in_data, out_data, aux):
        v, vb, hb, w = in_data
        h_prob = nd.sigmoid(nd.dot(v, w) + hb)
        h = aux[1] if is_train else (h_prob > 0.5)
        v_prob = nd.sigmoid(nd.dot(h, w, transpose_b=True) + vb)
        if is_train:
            aux[0][:] = v_prob > 0.5
            aux[1][:] = nd.sigmoid(nd.dot(aux[0], w) + hb) > 0.5
        self.assign(out_data[0], req[0], v_prob)
        self.assign(out_data[1], req[1], h_prob)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        v, h_prob = in_data[0], out_data[1]
        self.assign(in_grad[1], req[1], (aux[0] - v).mean(axis=0))
        self.assign(in_grad[2], req[2], (aux[1] - h_prob).mean(axis=0))
        self.assign(in_grad[3], req[3], (nd.dot(aux[0], aux[1], transpose_a=True)
                                         - nd.dot(v, h_prob, transpose_a=True)) / v.shape[0])


@mx.operator.register('wild4_gibbs')
class GibbsProp(mx.operator.CustomOpProp):
    def __init__(self, num_hidden):
        super().__init__(need_top_grad=False)
        self.num_hidden = int(num_hidden)

    def list_arguments(self):
        return ['data', 'vbias', 'hbias', 'weight']

    def list_outputs(self):
        return ['v_prob', 'h_prob']

    def list_auxiliary_states(self):
        return ['aux_v', 'aux_h']

    def infer_shape(self, in_shape):
        n, d = in_shape[0]
        k = self.num_hidden
        return [(n, d), (d,), (k,), (d, k)], [(n, d), (n, k)], [(n, d), (n, k)]

    def create_operator(self, ctx, shapes, dtypes):
        return GibbsOp()


class GibbsBlock(gluon.HybridBlock):
    def __init__(self, num_hidden, **kwargs):
        super().__init__(**kwargs)
        self.num_hidden = num_hidden
        with self.name_scope():
            self.vbias = self.params.get('vbias', shape=(0,), allow_deferred_init=True)
            self.hbias = self.params.get('hbias', shape=(0,), allow_deferred_init=True)
            self.weight = self.params.get('weight', shape=(0, 0), allow_deferred_init=True)
            self.aux_v = self.params.get('aux_v', shape=(0, 0), allow_deferred_init=True)
            self.aux_h = self.params.get('aux_h', shape=(0, 0), allow_deferred_init=True)

    def hybrid_forward(self, F, data, vbias, hbias, weight, aux_v, aux_h):
        return F.Custom(data, vbias, hbias, weight, aux_v, aux_h, num_hidden=self.num_hidden,
                        op_type='wild4_gibbs')


def gibbs_op():
    rs = np.random.RandomState(8)
    data = (rs.uniform(size=(4, 6)) > 0.5).astype('float32')
    block = GibbsBlock(3, prefix='gibbs_')
    block.initialize(mx.init.Uniform(1.0))
    block(nd.array(data))     # settles the deferred shapes
    init = {}
    for name, p in sorted(block.collect_params().items()):
        value = rs.uniform(-1, 1, size=p.shape).astype('float32')
        p.set_data(nd.array(value))
        init[name] = value.tolist()
    block.hybridize()
    trainable = block.collect_params('^(?!.*_aux_.*).*$')
    trainer = gluon.Trainer(trainable, 'sgd', {'learning_rate': 0.5, 'momentum': 0.3})
    steps = []
    for _ in range(3):
        with mx.autograd.record():
            out = block(nd.array(data))
        out[0].backward()
        trainer.step(4)
        steps.append({'out': [o.asnumpy().tolist() for o in out],
                      'params': {k: p.data().asnumpy().tolist() for k, p in sorted(block.collect_params().items())}})
    return {'data': data.tolist(), 'init': init, 'trainable': sorted(trainable.keys()), 'steps': steps}


def main():
    os.makedirs(OUT, exist_ok=True)
    fix = {'like_dtype': like_dtype(), 'topk_decode': topk_decode(), 'box_columns': box_columns(),
           'gibbs_op': gibbs_op()}
    with open(os.path.join(OUT, 'wild4.json'), 'w') as f:
        json.dump(fix, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
