"""The programs of the fourth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_4.py),
each rewritten in our own words from the sources named above it. Each program function returns its
results as nested dicts and lists.

The test runs this file as it is, on minigluon; tools/gen_wild4_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return, not rounded, in tests/fixtures/wild4/wild4.json.
"""
import json

import numpy as np

import minigluon as mx

autograd, gluon, nd = mx.autograd, mx.gluon, mx.nd


# ---------------------------------------------------------------- 1 zeros_like / ones_like with dtype
# GluonCV gluoncv/model_zoo/center_net/target_generator.py, CenterNetDecoder: F.zeros_like(x, dtype='int64')
def like_case_id(op, in_dtype, dtype):
    """The key of one ``*_like`` case: ``zeros_like-float32-int64``."""
    return '%s-%s-%s' % (op, in_dtype, dtype)


def like_dtype():
    """``zeros_like`` / ``ones_like`` given ``dtype=``, on NDArrays of three dtypes and on a Symbol:
    the result's dtype and values, the exported node's attributes and the Symbol's inferred
    output dtype, keyed by :func:`like_case_id`."""
    cases = {}
    for op in ('zeros_like', 'ones_like'):
        for in_dtype in ('float32', 'int64', 'float16'):
            for dtype in ('int64', 'float64', 'uint8'):
                x = nd.array([[1.5, -2.0, 3.0]], dtype=in_dtype)
                y = getattr(nd, op)(x, dtype=dtype)
                s = getattr(mx.sym, op)(mx.sym.var('a'), dtype=dtype)
                node = json.loads(s.tojson())['nodes'][1]
                cases[like_case_id(op, in_dtype, dtype)] = {
                    'out_dtype': np.dtype(y.dtype).name, 'values': y.asnumpy().tolist(),
                    'node_attrs': node.get('attrs', {}),
                    'sym_out_dtype': np.dtype(s.infer_type(a=in_dtype)[1][0]).name}
    return cases


# ---------------------------------------------------------------- 2 a CenterNet-style decoder
# GluonCV gluoncv/model_zoo/center_net/target_generator.py, CenterNetDecoder.hybrid_forward
class TopkDecode(gluon.HybridBlock):
    """A heat-map decoder: topk with ``ret_typ='both'``, int64 indices split by ``broadcast_div`` /
    ``broadcast_mod``, batch indices from ``arange(256).slice_like``, ``zeros_like(..., dtype=
    'int64')`` and ``gather_nd``."""

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
    """The decoder's four outputs (values and dtypes), eager and then hybridized."""
    rs = np.random.RandomState(4)
    heat = rs.uniform(size=(2, 3, 4, 5)).astype('float32')
    offset = rs.uniform(-1, 1, size=(2, 2, 4, 5)).astype('float32')
    out = {}
    block = TopkDecode(6)
    for hybrid in (False, True):
        if hybrid:
            block.hybridize()
        res = block(nd.array(heat), nd.array(offset))
        out['hybrid' if hybrid else 'eager'] = {
            'values': [r.asnumpy().astype('float64').tolist() for r in res],
            'dtypes': [np.dtype(r.dtype).name for r in res]}
    return out


# ---------------------------------------------------------------- 3 region-proposal column idioms
# an early GluonCV region-proposal step (gluoncv/model_zoo/rpn/proposal.py and its anchor generator)
def box_columns():
    """Columns of a ``broadcast_to`` result updated with ``+=``, strided column slices read and
    assigned (``deltas[:, 0::4]``, ``boxes[:, 2::4] = ...``), rows picked by a NumPy index array,
    and ``contrib.box_nms`` with positional thresholds (the third is ``valid_thresh``)."""
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
    return {'grid': grid.asnumpy().tolist(), 'boxes': boxes.asnumpy().tolist(), 'keep': keep.tolist(),
            'picked': picked.asnumpy().tolist(), 'nms': nms}


# ---------------------------------------------------------------- 4 a CustomOp with auxiliary states
# MXNet's restricted-Boltzmann-machine example (example/restricted-boltzmann-machine/binary_rbm.py,
# binary_rbm_gluon.py); sampling is a threshold here, so the result is deterministic
class GibbsOp(mx.operator.CustomOp):
    """A threshold Gibbs step keeping the sampled visible and hidden units as auxiliary states."""

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
    """Calls the Gibbs step through ``F.Custom``; its parameters, auxiliary ones included, have
    deferred ``(0, 0)`` shapes."""

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


TRAINABLE = '^(?!.*_aux_.*).*$'      # the example's pattern: every parameter but the auxiliary ones


def gibbs_op():
    """The block hybridized and trained three SGD steps through a Trainer over
    ``collect_params(TRAINABLE)``: the selected names, the outputs and every parameter after
    each step."""
    rs = np.random.RandomState(8)
    data = (rs.uniform(size=(4, 6)) > 0.5).astype('float32')
    block = GibbsBlock(3, prefix='gibbs_')
    block.initialize(mx.init.Uniform(1.0))
    block(nd.array(data))     # settles the deferred shapes
    for name, p in sorted(block.collect_params().items()):
        p.set_data(nd.array(rs.uniform(-1, 1, size=p.shape).astype('float32')))
    block.hybridize()
    trainable = block.collect_params(TRAINABLE)
    trainer = gluon.Trainer(trainable, 'sgd', {'learning_rate': 0.5, 'momentum': 0.3})
    steps = []
    for _ in range(3):
        with autograd.record():
            out = block(nd.array(data))
        out[0].backward()
        trainer.step(4)
        steps.append({'out': [o.asnumpy().tolist() for o in out],
                      'params': {k: p.data().asnumpy().tolist() for k, p in sorted(block.collect_params().items())}})
    return {'trainable': sorted(trainable.keys()), 'steps': steps}


PROGRAMS = ['like_dtype', 'topk_decode', 'box_columns', 'gibbs_op']
