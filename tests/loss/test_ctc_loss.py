"""gluon.loss.CTCLoss block: layouts, weighting, lengths, hybridize/export, MXNet fixtures."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.loss import CTCLoss
from minigluon.test_utils import assert_almost_equal, check_gradient

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ctc', 'ctc_cases.npz')
PRED_B = np.random.RandomState(0).randn(2, 4, 4).astype(np.float32)
LABEL_B = np.array([[0, 1, -1], [2, -1, -1]], np.float32)
LOSS_B = np.array([2.251522, 5.539857], np.float32)


def test_repr_and_layout_errors():
    assert repr(CTCLoss()) == 'CTCLoss(batch_axis=0, w=None)'
    assert repr(CTCLoss(label_layout='TN', weight=2.0)) == 'CTCLoss(batch_axis=1, w=2.0)'
    with pytest.raises(ValueError, match='layout'):
        CTCLoss(layout='NCT')
    with pytest.raises(ValueError, match='label_layout'):
        CTCLoss(label_layout='NN')


def test_mxnet_case_b_variants():
    loss = CTCLoss()
    assert_almost_equal(loss(nd.array(PRED_B), nd.array(LABEL_B)), LOSS_B, rtol=1e-5)
    tnc = CTCLoss(layout='TNC', label_layout='TN')
    assert_almost_equal(tnc(nd.array(PRED_B.transpose(1, 0, 2)), nd.array(LABEL_B.T)), LOSS_B, rtol=1e-5)
    assert_almost_equal(CTCLoss(weight=3.0)(nd.array(PRED_B), nd.array(LABEL_B)),
                        np.array([6.754565, 16.619572], np.float32), rtol=1e-5)
    lengths = loss(nd.array(PRED_B), nd.array([[0, 1, 2], [2, 0, 0]]), None, nd.array([2, 1]))
    assert_almost_equal(lengths, LOSS_B, rtol=1e-5)
    frames = loss(nd.array(PRED_B), nd.array(LABEL_B), nd.array([4, 2]))
    assert_almost_equal(frames, np.array([2.251522, 1.943054], np.float32), rtol=1e-5)


@pytest.mark.parametrize('shape', [(2,), (2, 1)])
def test_sample_weight_shapes_give_per_sample_loss(shape):
    sw = nd.array(np.array([2.0, 0.5]).reshape(shape))
    out = CTCLoss()(nd.array(PRED_B), nd.array(LABEL_B), None, None, sw)
    assert out.shape == (2,)
    assert_almost_equal(out, np.array([4.503044, 2.769929], np.float32), rtol=1e-5)


def test_bad_inputs():
    loss = CTCLoss()
    with pytest.raises(ValueError, match='sample_weight'):
        loss(nd.array(PRED_B), nd.array(LABEL_B), None, None, nd.ones((2, 2)))
    with pytest.raises(ValueError, match='pred must be 3-D'):
        loss(nd.ones((2, 4)), nd.array(LABEL_B))
    with pytest.raises(ValueError, match='label must be 2-D'):
        loss(nd.array(PRED_B), nd.array([0, 1]))
    with pytest.raises(ValueError, match=r'label\[0, 1\] = 3.0'):
        loss(nd.array(PRED_B), nd.array([[0, 3], [1, -1]]))


@pytest.mark.parametrize('label_layout, label_shape, axis', [('NT', (3, 4), 0), ('TN', (4, 3), 1)])
def test_batch_size_error_names_the_axes_of_the_arrays_given(label_layout, label_shape, axis):
    # the operator sees the label transposed to (N, T); the error speaks of the label as given
    loss = CTCLoss(label_layout=label_layout)
    with pytest.raises(ValueError, match=r'pred has 2 sequences \(pred.shape\[0\], the batch axis\) but '
                                         r'label has 3 sequences \(label.shape\[%d\], the batch axis '
                                         r"of label_layout '%s'\)" % (axis, label_layout)):
        loss(nd.ones((2, 5, 4)), nd.ones(label_shape))


def test_mxnet_golden_fixture_block():
    cases = np.load(FIXTURES)
    for name in ('case_a', 'case_b', 'case_b_sample_weight', 'random0', 'random1', 'random2', 'random3'):
        pred = nd.array(cases[name + '_pred'])
        pred.attach_grad()
        opt = [nd.array(cases['%s_%s' % (name, k)]) if '%s_%s' % (name, k) in cases.files else None
               for k in ('pred_lengths', 'label_lengths', 'sample_weight')]
        with autograd.record():
            out = CTCLoss()(pred, nd.array(cases[name + '_label']), *opt)
        out.backward()
        assert_almost_equal(out, cases[name + '_loss'], rtol=1e-4, atol=1e-4, names=(name, 'mxnet'))
        assert_almost_equal(pred.grad, cases[name + '_grad'], rtol=1e-4, atol=1e-4, names=(name, 'mxnet'))


def test_infeasible_and_zero_infinity():
    pred = nd.array(np.random.RandomState(1).randn(2, 3, 4))
    label = nd.array([[0, 0, 0], [1, 2, -1]])
    assert CTCLoss()(pred, label).asnumpy()[0] == np.inf
    out = CTCLoss(zero_infinity=True)(pred, label).asnumpy()
    assert out[0] == 0 and np.isfinite(out[1]) and out[1] > 0


def test_gradient_float64_through_block():
    rng = np.random.RandomState(3)
    label = nd.array([[0, 1, 1], [2, -1, -1]])
    sw = nd.array([1.5, 0.5], dtype=np.float64)
    block = CTCLoss(weight=0.7)
    check_gradient(lambda p: block(p, label, None, None, sw), [rng.randn(2, 6, 4)], rtol=1e-6, atol=1e-8)


def test_hybridized_matches_eager_and_exports(tmp_path):
    rng = np.random.RandomState(4)
    pred = rng.randn(3, 8, 5).astype(np.float32)
    label = nd.array([[0, 1, 2], [3, 3, -1], [-1, -1, -1]])
    frames = nd.array([8, 6, 5])
    eager_block = CTCLoss()
    hybrid_block = CTCLoss()
    hybrid_block.hybridize()
    grads = []
    for block in (eager_block, hybrid_block):
        x = nd.array(pred)
        x.attach_grad()
        with autograd.record():
            out = block(x, label, frames)
        out.backward()
        grads.append((out.asnumpy(), x.grad.asnumpy()))
    assert_almost_equal(grads[1][0], grads[0][0], rtol=1e-6)
    assert_almost_equal(grads[1][1], grads[0][1], rtol=1e-6, atol=1e-7)
    hybrid_block.export(str(tmp_path / 'ctc'))
    graph = json.loads((tmp_path / 'ctc-symbol.json').read_text())
    ctc_nodes = [n for n in graph['nodes'] if n['op'] == 'CTCLoss']
    assert len(ctc_nodes) == 1
    assert ctc_nodes[0]['attrs'] == {'blank_label': 'last', 'use_data_lengths': 'True',
                                     'use_label_lengths': 'False'}
    assert len(graph['heads']) == 1


def test_export_matches_mxnet_graph(tmp_path):
    from minigluon.name import NameManager
    with NameManager():
        block = CTCLoss()
        block.hybridize()
        block(nd.ones((2, 5, 4)), nd.array([[0, 1], [2, -1]]), nd.array([5, 4]))
        block.export(str(tmp_path / 'ctc'))
    ours = json.loads((tmp_path / 'ctc-symbol.json').read_text())
    golden = os.path.join(os.path.dirname(FIXTURES), 'ctcloss_lengths-symbol.json')
    with open(golden) as f:
        theirs = json.load(f)
    assert ours == theirs
