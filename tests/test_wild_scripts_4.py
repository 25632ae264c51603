"""Patterns met running a fourth set of public MXNet 1.x Gluon sources unchanged, against MXNet
1.9.1 (fixture: tools/gen_wild4_fixtures.py).

* ``zeros_like`` / ``ones_like`` take a ``dtype`` attribute and ignore it, as MXNet 1.9.1 does
  (GluonCV's CenterNetDecoder writes ``F.zeros_like(x, dtype='int64')``; minigluon refused the
  attribute, so the decoder could not be built, eager or hybridized).
* An ``nd`` function given a Symbol (an ``mx.nd.clip`` left in a ``hybrid_forward``, as in an early
  GluonCV monodepth2 SSIM, once hybridized) or a ``sym`` function given an NDArray raises an error
  naming the input, a ``TypeError`` that is also the ``AssertionError`` MXNet 1.9.1 raises; it was
  "too many positional arguments" or an attribute-parsing error.
* Behaviours checked against MXNet and pinned: the NDArray idioms of an early GluonCV
  region-proposal step (columns of a ``broadcast_to`` result updated with ``+=``, strided column
  slices read and assigned, rows picked by a NumPy index array, ``box_nms`` with positional
  thresholds); a CustomOp with auxiliary states behind a HybridBlock with deferred ``(0, 0)``
  parameters, trained through a regex-selected ParameterDict (MXNet's RBM example); a HybridBlock
  that branches in Python on a one-element NDArray (the single-path one-shot NAS supernet); and
  GluonCV's DANet attention with a ``(1,)`` gamma multiplying a feature map, hybridized (MXNet 1.9.1
  cannot: ``*`` does not broadcast between Symbols, a documented difference).
"""
import json

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from _wild import load_fixture

FIX = load_fixture('wild4')


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


def test_region_proposal_column_idioms_as_mxnet():
    fix = FIX['box_columns']
    grid = nd.array(fix['base']).reshape((1, -1, 1, 1)).broadcast_to((1, 8, 2, 3))
    for i in range(2):
        grid[:, i * 4] += nd.arange(3).reshape((1, 3)).broadcast_to((2, 3))
        grid[:, i * 4 + 3] += nd.arange(2).reshape((2, 1)).broadcast_to((2, 3))
    np.testing.assert_allclose(grid.asnumpy(), fix['grid'], rtol=1e-6)
    deltas = nd.array(fix['deltas'])
    boxes = nd.zeros(deltas.shape)
    boxes[:, 0::4] = deltas[:, 0::4] * 2 + 1
    boxes[:, 2::4] = nd.exp(deltas[:, 2::4]) - deltas[:, 1::4]
    boxes[:, 1] = nd.maximum(boxes[:, 1], nd.zeros(5) + 0.25)
    np.testing.assert_allclose(boxes.asnumpy(), fix['boxes'], rtol=1e-6)
    keep = np.where(boxes.asnumpy()[:, 0] > 0.5)[0]
    assert keep.tolist() == fix['keep']
    np.testing.assert_allclose(boxes[keep, :].asnumpy(), fix['picked'], rtol=1e-6)
    cand = nd.array(fix['cand'])
    for valid, want in fix['nms'].items():
        got = nd.contrib.box_nms(cand, 0.5, float(valid), coord_start=1, score_index=0, id_index=-1,
                                 force_suppress=True)
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


class GibbsOp(mx.operator.CustomOp):
    """Threshold Gibbs step with two auxiliary states (as in tools/gen_wild4_fixtures.py)."""

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


def test_custom_op_with_aux_states_behind_deferred_parameters_trains_as_mxnet():
    fix = FIX['gibbs_op']
    data = nd.array(fix['data'])
    block = GibbsBlock(3, prefix='gibbs_')
    block.initialize(mx.init.Uniform(1.0))
    block(data)
    for name, p in block.collect_params().items():
        p.set_data(nd.array(fix['init'][name]))
    block.hybridize()
    trainable = block.collect_params('^(?!.*_aux_.*).*$')
    assert sorted(trainable.keys()) == fix['trainable']
    trainer = gluon.Trainer(trainable, 'sgd', {'learning_rate': 0.5, 'momentum': 0.3})
    for want in fix['steps']:
        with autograd.record():
            out = block(data)
        out[0].backward()
        trainer.step(4)
        for got, w in zip(out, want['out']):
            np.testing.assert_allclose(got.asnumpy(), w, rtol=1e-5, atol=1e-6)
        for name, p in block.collect_params().items():
            np.testing.assert_allclose(p.data().asnumpy(), want['params'][name], rtol=1e-5, atol=1e-6)
    # a block built on the selected dictionary shares those parameters (the example's showcase RBM)
    twin = GibbsBlock(3, params=trainable)
    assert sorted(twin.collect_params().keys()) == ['gibbs_aux_h', 'gibbs_aux_v'] + fix['trainable']
    assert twin.weight is block.weight


class ChoiceBlock(gluon.HybridBlock):
    """Branches in Python on a one-element NDArray, as the NAS supernet's blocks do (eager only)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = gluon.nn.Dense(2, in_units=3)
            self.b = gluon.nn.Dense(2, in_units=3)

    def hybrid_forward(self, F, x, choice):
        if choice == 0:
            return self.a(x)
        elif choice == 1:
            return self.b(x)
        return x


def test_python_branch_on_a_one_element_ndarray():
    block = ChoiceBlock()
    block.initialize()
    x = nd.ones((2, 3))
    arch = nd.array([1, 0, 2])
    for i, expected in enumerate((block.b(x), block.a(x), x)):
        with autograd.record():
            y = block(x, nd.slice(arch, begin=i, end=i + 1))
        np.testing.assert_array_equal(y.asnumpy(), expected.asnumpy())


class PositionAttention(gluon.HybridBlock):
    """A (1,) gamma Parameter scaling an attention result added to the input (GluonCV's DANet)."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.query = gluon.nn.Conv2D(channels // 2, 1, in_channels=channels)
            self.gamma = self.params.get('gamma', shape=(1,), init=mx.init.Zero())

    def hybrid_forward(self, F, x, gamma):
        q = F.reshape(self.query(x), (0, 0, -1))
        att = F.softmax(F.batch_dot(q, q, transpose_a=True))
        out = F.batch_dot(F.reshape(x, (0, 0, -1)), att, transpose_b=True)
        return gamma * F.reshape_like(out, x, lhs_begin=2, lhs_end=None, rhs_begin=2, rhs_end=None) + x


def test_danet_gamma_times_feature_map_hybridizes():
    block = PositionAttention(4)
    block.initialize(mx.init.Uniform(0.5))
    block.gamma.set_data(nd.array([0.7]))
    x = nd.array(np.random.RandomState(2).uniform(-1, 1, size=(2, 4, 3, 3)))
    grads = []
    for hybrid in (False, True):
        if hybrid:
            block.hybridize()
        with autograd.record():
            y = block(x)
        y.backward(nd.ones_like(y) * 0.5)
        grads.append((y.asnumpy(), block.gamma.grad().asnumpy(), block.query.weight.grad().asnumpy()))
    for eager, hybrid in zip(*grads):
        np.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('call,match', [
    (lambda s, x: nd.clip(s, 0, 1), "clip: input 'data' must be an NDArray, got a Symbol"),
    (lambda s, x: nd.relu(data=s), "relu: input 'data' must be an NDArray, got a Symbol"),
    (lambda s, x: nd.batch_dot(x, s), "batch_dot: input 'rhs' must be an NDArray, got a Symbol"),
    (lambda s, x: nd.concat(x, s, dim=0), "Concat: input 1 must be an NDArray, got a Symbol"),
    (lambda s, x: nd.FullyConnected(x, s, num_hidden=2, no_bias=True),
     "FullyConnected: input 'weight' must be an NDArray"),
    (lambda s, x: mx.sym.relu(x), "relu: input 'data' must be a Symbol, got an NDArray"),
    (lambda s, x: mx.sym.clip(x, 0, 1), "clip: input 'data' must be a Symbol, got an NDArray"),
    (lambda s, x: mx.sym.concat(s, x, dim=0), "Concat: input 1 must be a Symbol, got an NDArray"),
    (lambda s, x: mx.sym.relu(data=x), "relu: input 'data' must be a Symbol, got an NDArray"),
])
def test_array_of_the_other_mode_is_named(call, match):
    # MXNet 1.9.1: AssertionError "Argument data must have NDArray type, but got <Symbol a>" (and
    # "... must be Symbol instances" the other way round)
    with pytest.raises(AssertionError, match=match) as info:
        call(mx.sym.var('a'), nd.ones((2, 2)))
    assert isinstance(info.value, TypeError)


class NdClipInside(gluon.HybridBlock):
    """An mx.nd call left in hybrid_forward (an early GluonCV monodepth2 SSIM ends in mx.nd.clip)."""

    def hybrid_forward(self, F, x, y):
        return nd.clip((1 - F.broadcast_mul(x, y)) / 2, 0, 1)


def test_nd_call_inside_hybrid_forward_fails_when_hybridized_naming_the_input():
    block = NdClipInside()
    x = nd.array([[0.5, -1.0]])
    np.testing.assert_allclose(block(x, x).asnumpy(), [[0.375, 0.0]])
    block.hybridize()
    with pytest.raises(AssertionError, match="clip: input 'data' must be an NDArray, got a Symbol"):
        block(x, x)
