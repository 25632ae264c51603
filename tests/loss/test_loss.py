"""Classic Gluon losses: NumPy references, MXNet golden fixtures, gradients, hybridize, errors."""
import math
import os

import numpy as np
import pytest

from minigluon import autograd, loss as gloss, nd
from minigluon.test_utils import assert_almost_equal, check_gradient

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ctc', 'losses.npz')


def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def per_sample(v):
    return v.reshape(v.shape[0], -1).mean(1)


RNG = np.random.RandomState(0)
X, Y = RNG.randn(4, 5), RNG.randn(4, 5)
BIN = RNG.randint(0, 2, (4, 5)).astype(np.float64)
SIGN = BIN * 2 - 1
PROB = RNG.dirichlet(np.ones(5), size=4)
CLS = RNG.randint(0, 5, size=4).astype(np.float64)
POS = RNG.uniform(0.5, 2, (5,))
P = RNG.uniform(0.05, 0.95, (4, 5))
COUNT = RNG.randint(0, 5, (4, 5)).astype(np.float64)

# (block, inputs, NumPy reference of the output)
CASES = [
    (lambda: gloss.L2Loss(), [X, Y], lambda: per_sample(0.5 * (X - Y) ** 2)),
    (lambda: gloss.L1Loss(weight=2.0), [X, Y], lambda: per_sample(2 * np.abs(X - Y))),
    (lambda: gloss.SoftmaxCrossEntropyLoss(), [X, CLS],
     lambda: -log_softmax(X)[np.arange(4), CLS.astype(int)]),
    (lambda: gloss.SoftmaxCELoss(sparse_label=False), [X, PROB], lambda: per_sample(-(log_softmax(X) * PROB).sum(1))),
    (lambda: gloss.SigmoidBinaryCrossEntropyLoss(), [X, BIN], lambda: per_sample(softplus(X) - X * BIN)),
    (lambda: gloss.SigmoidBCELoss(from_sigmoid=True), [P, BIN],
     lambda: per_sample(-(BIN * np.log(P + 1e-12) + (1 - BIN) * np.log(1 - P + 1e-12)))),
    (lambda: gloss.SigmoidBCELoss(), [X, BIN, None, POS],
     lambda: per_sample(POS * BIN * softplus(-X) + (1 - BIN) * softplus(X))),
    (lambda: gloss.KLDivLoss(), [X, PROB], lambda: (PROB * (np.log(PROB + 1e-12) - X)).sum(1)),
    (lambda: gloss.KLDivLoss(from_logits=False), [X, PROB],
     lambda: (PROB * (np.log(PROB + 1e-12) - log_softmax(X))).sum(1)),
    (lambda: gloss.HuberLoss(rho=0.7), [X, Y],
     lambda: per_sample(np.where(np.abs(X - Y) > 0.7, np.abs(X - Y) - 0.35, 0.5 / 0.7 * (X - Y) ** 2))),
    (lambda: gloss.HingeLoss(), [X, SIGN], lambda: per_sample(np.maximum(0, 1 - X * SIGN))),
    (lambda: gloss.SquaredHingeLoss(margin=2), [X, SIGN], lambda: per_sample(np.maximum(0, 2 - X * SIGN) ** 2)),
    (lambda: gloss.LogisticLoss(), [X, SIGN], lambda: per_sample(np.log1p(np.exp(-X * SIGN)))),
    (lambda: gloss.LogisticLoss(label_format='binary'), [X, BIN], lambda: per_sample(np.log1p(np.exp(-X * SIGN)))),
    (lambda: gloss.TripletLoss(), [X, Y, P],
     lambda: np.maximum(0, ((Y - X) ** 2 - (P - X) ** 2).sum(1) + 1)),
    (lambda: gloss.PoissonNLLLoss(), [X, COUNT], lambda: np.mean(np.exp(X) - COUNT * X)),
    (lambda: gloss.PoissonNLLLoss(from_logits=False, compute_full=True), [P, COUNT],
     lambda: np.mean(P - COUNT * np.log(P + 1e-8) + np.where(
         COUNT > 1, COUNT * np.log(np.maximum(COUNT, 1)) - COUNT + 0.5 * np.log(2 * math.pi * np.maximum(COUNT, 1)), 0))),
    (lambda: gloss.CosineEmbeddingLoss(margin=0.1), [X, Y, np.array([1., -1, 1, -1])],
     lambda: cosine_ref(X, Y, np.array([1., -1, 1, -1]), 0.1)),
]


def cosine_ref(a, b, label, margin):
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.where(label == 1, 1 - cos, np.maximum(0, cos - margin)).reshape(-1, 1)


def call(block, inputs, dtype=np.float64):
    return block(*[None if a is None else nd.array(a, dtype=dtype) for a in inputs])


@pytest.mark.parametrize('case', range(len(CASES)))
def test_forward_against_numpy(case):
    make, inputs, ref = CASES[case]
    out = call(make(), inputs)
    expected = np.asarray(ref())
    assert_almost_equal(out.asnumpy().reshape(expected.shape), expected, rtol=1e-10, atol=1e-12)
    assert out.shape == expected.shape or (expected.ndim == 0 and out.size == 1)


@pytest.mark.parametrize('case', range(len(CASES)))
def test_gradient_float64(case):
    make, inputs, _ = CASES[case]
    block = make()
    rest = [None if a is None else nd.array(a, dtype=np.float64) for a in inputs[1:]]
    check_gradient(lambda x: block(x, *rest), [inputs[0]], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('case', range(len(CASES)))
def test_hybridized_equals_eager(case):
    make, inputs, _ = CASES[case]
    eager = call(make(), inputs, np.float32).asnumpy()
    block = make()
    block.hybridize()
    hybrid = call(block, inputs, np.float32).asnumpy()
    assert_almost_equal(hybrid, eager, rtol=1e-5, atol=1e-6)


# The case table of tools/gen_ctc_fixtures.py (name -> class, arguments).
GOLDEN = {
    'l2': ('L2Loss', {}), 'l2_w': ('L2Loss', {'weight': 3.0}), 'l1': ('L1Loss', {}),
    'sce': ('SoftmaxCrossEntropyLoss', {}), 'sce_dense': ('SoftmaxCrossEntropyLoss', {'sparse_label': False}),
    'sce_logits_axis': ('SoftmaxCrossEntropyLoss', {'from_logits': True, 'axis': 1}),
    'bce': ('SigmoidBinaryCrossEntropyLoss', {}), 'bce_sig': ('SigmoidBinaryCrossEntropyLoss', {'from_sigmoid': True}),
    'bce_pos': ('SigmoidBinaryCrossEntropyLoss', {}), 'kl': ('KLDivLoss', {}),
    'kl_logits': ('KLDivLoss', {'from_logits': False}), 'huber': ('HuberLoss', {'rho': 0.7}),
    'hinge': ('HingeLoss', {}), 'sqhinge': ('SquaredHingeLoss', {'margin': 2}), 'logistic': ('LogisticLoss', {}),
    'logistic_bin': ('LogisticLoss', {'label_format': 'binary'}), 'triplet': ('TripletLoss', {}),
    'poisson': ('PoissonNLLLoss', {}),
    'poisson_full': ('PoissonNLLLoss', {'from_logits': False, 'compute_full': True}),
    'cosine': ('CosineEmbeddingLoss', {'margin': 0.1}),
}


@pytest.mark.parametrize('name', sorted(GOLDEN))
def test_mxnet_golden_fixtures(name):
    data = np.load(FIXTURES)
    cls, kwargs = GOLDEN[name]
    n_in = 1 + max(int(k[len(name) + 3:]) for k in data.files if k.startswith(name + '_in'))
    inputs = [nd.array(data['%s_in%d' % (name, i)]) if '%s_in%d' % (name, i) in data.files else None
              for i in range(n_in)]
    inputs[0].attach_grad()
    with autograd.record():
        out = getattr(gloss, cls)(**kwargs)(*inputs)
    out.backward()
    expected = data[name + '_loss']
    assert_almost_equal(out.asnumpy().reshape(expected.shape), expected, rtol=1e-5, atol=1e-6)
    if name + '_grad' in data.files:
        assert_almost_equal(inputs[0].grad, data[name + '_grad'], rtol=1e-4, atol=1e-5)


def test_repr_weighting_and_sample_weight():
    assert repr(gloss.L2Loss()) == 'L2Loss(batch_axis=0, w=1.0)'
    assert repr(gloss.SoftmaxCrossEntropyLoss()) == 'SoftmaxCrossEntropyLoss(batch_axis=0, w=None)'
    sw = RNG.rand(4, 1)
    out = gloss.L1Loss(weight=3.0)(nd.array(X), nd.array(Y), nd.array(sw)).asnumpy()
    assert_almost_equal(out, (3 * sw * np.abs(X - Y)).mean(1).astype(np.float32), rtol=1e-5)
    batch1 = gloss.L2Loss(batch_axis=1)(nd.array(X), nd.array(Y)).asnumpy()
    assert_almost_equal(batch1, (0.5 * (X - Y) ** 2).mean(0).astype(np.float32), rtol=1e-5)


def test_loss_errors():
    with pytest.raises(ValueError, match='label_format'):
        gloss.LogisticLoss(label_format='onehot')
    with pytest.raises(TypeError, match='weight'):
        gloss.L1Loss(weight='big')
    with pytest.raises(ValueError, match=r'\(3,\).*\(4, 5\)'):
        gloss.L2Loss()(nd.array(X), nd.array([1., 2., 3.]))


def test_one_hot_labels_with_sparse_label_hint_at_sparse_label_false():
    one_hot = np.eye(X.shape[1])[[0, 2, 1, 0]]
    with pytest.raises(ValueError, match='pick: .*for one-hot or probability labels, construct the loss '
                                         'with sparse_label=False'):
        gloss.SoftmaxCrossEntropyLoss()(nd.array(X), nd.array(one_hot))
    # another wrong shape gets pick's error alone
    with pytest.raises(ValueError, match='pick: ') as info:
        gloss.SoftmaxCrossEntropyLoss()(nd.array(X), nd.ones((4, 2)))
    assert 'sparse_label' not in str(info.value)


@pytest.mark.parametrize('sample_weight', [0.5, [1., 2., 3., 4.], np.ones((4, 1))])
def test_sample_weight_that_is_not_an_ndarray_is_named(sample_weight):
    # loss(pred, label, 0.5): MXNet 1.9.1 fails inside broadcast_mul ("rhs must have NDArray type")
    with pytest.raises(TypeError, match='sample_weight must be an NDArray.*weight='):
        gloss.L2Loss()(nd.array(X), nd.array(Y), sample_weight)


def test_bce_extreme_logits_are_finite():
    x = nd.array([[1e4, -1e4, 0.0]])
    x.attach_grad()
    with autograd.record():
        out = gloss.SigmoidBCELoss()(x, nd.array([[0., 1., 1.]]))
    out.backward()
    assert_almost_equal(out.asnumpy(), np.array([(1e4 + 1e4 + math.log(2)) / 3], np.float32), rtol=1e-5)
    assert np.isfinite(x.grad.asnumpy()).all()
