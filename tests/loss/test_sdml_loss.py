"""SDMLLoss: MXNet 1.9.1 golden values, a NumPy reference, gradients, hybridize/export, dtypes, errors."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, loss as gloss, nd
from minigluon.test_utils import assert_almost_equal, check_gradient

FIXTURE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'diff4a', 'sdml.npz')


def sdml_reference(x1, x2, smoothing):
    """Independent NumPy form of the paper's loss: KL(targets || softmax(-squared distances))."""
    n = x1.shape[0]
    dist = ((x1[:, None, :] - x2[None, :, :]) ** 2).sum(-1)
    logits = -dist
    logp = logits - logits.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    target = np.full((n, n), smoothing / (n - 1))
    np.fill_diagonal(target, 1 - smoothing)
    return (target * (np.log(target + 1e-12) - logp)).sum(1)


@pytest.mark.parametrize('tag', ['s03', 's01'])
def test_sdml_matches_mxnet_forward_and_gradients(tag):
    fx = np.load(FIXTURE)
    x1, x2 = nd.array(fx[tag + '_x1']), nd.array(fx[tag + '_x2'])
    x1.attach_grad()
    x2.attach_grad()
    loss_fn = gloss.SDMLLoss(smoothing_parameter=float(fx[tag + '_smoothing']))
    with autograd.record():
        out = loss_fn(x1, x2)
    out.backward()
    assert out.shape == fx[tag + '_out'].shape and out.dtype == np.float32
    assert_almost_equal(out.asnumpy(), fx[tag + '_out'], rtol=1e-5, atol=1e-6)
    assert_almost_equal(x1.grad.asnumpy(), fx[tag + '_grad_x1'], rtol=1e-4, atol=1e-5)
    assert_almost_equal(x2.grad.asnumpy(), fx[tag + '_grad_x2'], rtol=1e-4, atol=1e-5)


def test_sdml_numpy_reference_and_gradient_float64():
    rng = np.random.RandomState(3)
    x1, x2 = rng.randn(4, 3), rng.randn(4, 3)
    out = gloss.SDMLLoss(smoothing_parameter=0.2)(nd.array(x1, dtype=np.float64), nd.array(x2, dtype=np.float64))
    assert out.dtype == np.float64
    assert_almost_equal(out.asnumpy(), sdml_reference(x1, x2, 0.2), rtol=1e-10, atol=1e-12)
    loss_fn = gloss.SDMLLoss()
    check_gradient(lambda a, b: loss_fn(a, b), [x1, x2], rtol=1e-5, atol=1e-7)


def test_sdml_hybridized_exported_float16_and_weight(tmp_path):
    rng = np.random.RandomState(5)
    x1, x2 = rng.randn(3, 2).astype(np.float32), rng.randn(3, 2).astype(np.float32)
    eager = gloss.SDMLLoss()(nd.array(x1), nd.array(x2)).asnumpy()
    block = gloss.SDMLLoss()
    block.hybridize()
    assert_almost_equal(block(nd.array(x1), nd.array(x2)).asnumpy(), eager, rtol=1e-5, atol=1e-6)
    block.export(str(tmp_path / 'sdml'))
    ops = {node['op'] for node in json.load(open(tmp_path / 'sdml-symbol.json'))['nodes']}
    assert {'log_softmax', '_contrib_arange_like'} <= ops
    half = gloss.SDMLLoss()(nd.array(x1, dtype=np.float16), nd.array(x2, dtype=np.float16))
    assert half.dtype == np.float16
    assert_almost_equal(half.asnumpy().astype(np.float32), eager, rtol=1e-2, atol=1e-2)
    scaled = gloss.SDMLLoss(weight=0.5)(nd.array(x1), nd.array(x2)).asnumpy()
    assert_almost_equal(scaled, 0.5 * eager, rtol=1e-6, atol=1e-7)
    assert 'kl_loss' in block._children


def test_sdml_errors():
    with pytest.raises(ValueError, match='x1 and x2'):
        gloss.SDMLLoss()(nd.ones((3, 2)), nd.ones((3, 4)))
    with pytest.raises(ValueError, match='x1 and x2'):
        gloss.SDMLLoss()(nd.ones((3,)), nd.ones((3,)))
    with pytest.raises(TypeError, match='weight'):
        gloss.SDMLLoss(weight='big')
