"""box_nms, MultiBoxTarget, MultiBoxDetection, ROIPooling and ROIAlign against MXNet 1.9.1.

Golden values come from tools/gen_detection_fixtures.py (outputs, input gradients for random head
gradients, and the operator name and attributes of the exported JSON node). Float64 numerical
gradients, eager-against-graph and float16 runs are in the operator sweep (tests/ops/op_cases.py).
Two fixture cases record where minigluon deliberately differs (MXNet 1.9.1 ignores
``minimum_negative_samples`` and ``background_id``); their tests say how.
"""

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.test_utils import assert_almost_equal
from tests.ops._golden import Golden, listify as _listify, resolve as _resolve

GOLD = Golden('detection')
CASES, VALUES, IDS = GOLD.cases, GOLD.values, Golden.ids(GOLD.cases)
_attrs, _inputs = Golden.attrs, GOLD.inputs


def _differs(case):
    """The cases where MXNet 1.9.1 ignores an attribute that minigluon applies."""
    return 'minimum_negative_samples' in case['attrs']


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_outputs_and_gradients_match_mxnet(case):
    if _differs(case):
        pytest.skip('deliberate difference: test_minimum_negative_samples_is_applied')
    GOLD.check_outputs_and_gradients(case, atol=1e-5)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_graph_run_after_a_json_round_trip_matches_mxnet(case):
    if _differs(case):
        pytest.skip('deliberate difference: test_minimum_negative_samples_is_applied')
    GOLD.check_graph_round_trip(case, atol=1e-5)


def _case(path, **attrs):
    return next(c for c in CASES if c['path'] == path and _attrs(c) == attrs)


def test_minimum_negative_samples_is_applied():
    """MXNet 1.9.1 (CPU) never reads minimum_negative_samples: it mines
    ``int(positives * ratio)`` negatives. minigluon mines at least the minimum, hardest first,
    so its negatives extend MXNet's; positives and box targets are the same."""
    case = _case('contrib.MultiBoxTarget', minimum_negative_samples=20, negative_mining_ratio=2.5)
    ins = _inputs(case)
    loc, mask, cls = [o.asnumpy() for o in nd.contrib.MultiBoxTarget(*ins, **_attrs(case))]
    want = [VALUES['%s_out%d' % (case['key'], j)] for j in range(3)]
    assert_almost_equal(loc, want[0], rtol=1e-5, atol=1e-5)
    assert_almost_equal(mask, want[1], rtol=0, atol=0)
    assert np.array_equal(cls > 0, want[2] > 0) and np.array_equal(cls[cls > 0], want[2][cls > 0])
    for b in range(cls.shape[0]):
        positives = int((cls[b] > 0).sum())
        if not positives:
            assert (cls[b] == -1).all() and (want[2][b] == -1).all()
            continue
        mx_neg, neg = want[2][b] == 0, cls[b] == 0
        assert mx_neg.sum() == int(positives * 2.5)
        assert neg.sum() == max(20, int(positives * 2.5)) and (neg | ~mx_neg).all()


def test_background_id_is_applied():
    """MXNet 1.9.1 (CPU) ignores background_id (class 0 is always the background). minigluon
    leaves out class ``background_id``: with it at 2, the result is MXNet's for the probabilities
    with class 2 moved to the front."""
    # the generator's last MultiBoxDetection case without attributes on four classes
    moved = [c for c in CASES if c['path'] == 'contrib.MultiBoxDetection' and not c['attrs']
             and VALUES['%s_in0' % c['key']].shape[1] == 4][-1]
    probs, loc, anchor = [VALUES['%s_in%d' % (moved['key'], i)] for i in range(3)]
    original = probs[:, [1, 2, 0, 3]]
    got = nd.contrib.MultiBoxDetection(nd.array(original), nd.array(loc), nd.array(anchor),
                                       background_id=2)
    assert_almost_equal(got, VALUES['%s_out0' % moved['key']], rtol=1e-5, atol=1e-5)
    default = nd.contrib.MultiBoxDetection(nd.array(original), nd.array(loc), nd.array(anchor))
    assert not np.allclose(got.asnumpy(), default.asnumpy())


@pytest.mark.parametrize('path', ['ROIPooling', 'contrib.ROIAlign'])
def test_padding_rois_give_zeros(path):
    """A region with a negative batch index is padding: zero output, no gradient, and the other
    regions are untouched (MXNet 1.9.1 reads, and for ROIAlign writes, outside its arrays)."""
    case = [c for c in CASES if c['path'] == path][0]
    data, rois = _inputs(case)
    pad = nd.concat(rois[:2], nd.array([[-1, 0, 0, 3, 3]]), rois[2:], dim=0)
    outs, grads = [], []
    for r in (rois, pad):
        x = data.copy()
        x.attach_grad()
        with autograd.record():
            y = _resolve(nd, path)(x, r, **_attrs(case))
        y.backward(nd.ones_like(y))
        outs.append(y.asnumpy())
        grads.append(x.grad.asnumpy())
    assert (outs[1][2] == 0).all()
    assert_almost_equal(np.delete(outs[1], 2, axis=0), outs[0], rtol=0, atol=0)
    assert_almost_equal(grads[1], grads[0], rtol=1e-6, atol=1e-6)


def test_box_decode_takes_anchors_per_batch_element():
    """(MXNet 1.9.1 fails on anchors of shape (B, N, 4).)"""
    rng = np.random.RandomState(5)
    data, anchors = nd.array(rng.standard_normal((3, 4, 4))), nd.array(rng.uniform(0, 1, (3, 4, 4)))
    got = nd.contrib.box_decode(data, anchors, std2=0.5, clip=0.8)
    for b in range(3):
        assert_almost_equal(got[b:b + 1], nd.contrib.box_decode(data[b:b + 1], anchors[b:b + 1],
                                                                std2=0.5, clip=0.8))


def test_bad_input_raises_clear_errors():
    rows = nd.zeros((2, 6))
    with pytest.raises(ValueError, match='coord_start=3 does not fit rows of 6 values'):
        nd.contrib.box_nms(rows, coord_start=3)
    with pytest.raises(ValueError, match='id_index=6 does not fit'):
        nd.contrib.box_nms(rows, id_index=6)
    with pytest.raises(TypeError, match='box_nms: data must be a floating-point array'):
        nd.contrib.box_nms(rows.astype('int32'))
    with pytest.raises(ValueError, match="in_format' must be one of"):
        nd.contrib.box_nms(rows, in_format='xywh')
    anchor, cls = nd.zeros((1, 3, 4)), nd.zeros((2, 2, 3))
    with pytest.raises(ValueError, match=r'label must be \(batch, num_labels, 5 or more\)'):
        nd.contrib.MultiBoxTarget(anchor, nd.zeros((2, 1, 4)), cls)
    with pytest.raises(ValueError, match=r'anchor must be \(1, num_anchors, 4\)'):
        nd.contrib.MultiBoxTarget(nd.zeros((3, 4)), nd.zeros((2, 1, 5)), cls)
    with pytest.raises(ValueError, match='cls_pred must be'):
        nd.contrib.MultiBoxTarget(anchor, nd.zeros((2, 1, 5)), nd.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match='variances must be 4 positive numbers'):
        nd.contrib.MultiBoxTarget(anchor, nd.zeros((2, 1, 5)), cls, variances=(0.1, 0.2))
    with pytest.raises(ValueError, match='loc_pred'):
        nd.contrib.MultiBoxDetection(cls, nd.zeros((2, 8)), anchor)
    with pytest.raises(ValueError, match='background_id=2 is not a class'):
        nd.contrib.MultiBoxDetection(cls, nd.zeros((2, 12)), anchor, background_id=2)
    with pytest.raises(ValueError, match='matches of positive samples must index rows of refs'):
        nd.contrib.box_encode(nd.ones((1, 2)), nd.array([[0, 3]]), nd.zeros((1, 2, 4)),
                              nd.zeros((1, 3, 4)), nd.zeros(4), nd.ones(4))
    with pytest.raises(ValueError, match=r'anchors \(1, N, 4\) or \(B, N, 4\)'):
        nd.contrib.box_decode(nd.zeros((2, 3, 4)), nd.zeros((1, 2, 4)))
    data = nd.zeros((2, 3, 4, 4))
    with pytest.raises(ValueError, match='pooled_size must be two positive integers'):
        nd.ROIPooling(data, nd.zeros((1, 5)), pooled_size=2, spatial_scale=1)
    with pytest.raises(TypeError, match="required attribute 'spatial_scale'"):
        nd.contrib.ROIAlign(data, nd.zeros((1, 5)), pooled_size=(2, 2))
    with pytest.raises(ValueError, match=r'rois must be \(num_rois, 5\)'):
        nd.contrib.ROIAlign(data, nd.zeros((1, 4)), pooled_size=(2, 2), spatial_scale=1)
    with pytest.raises(ValueError, match='batch index 2 is past the batch of 2 images'):
        nd.ROIPooling(data, nd.array([[2, 0, 0, 1, 1]]), pooled_size=(2, 2), spatial_scale=1)
    with pytest.raises(ValueError, match='multiple of pooled_size'):
        nd.contrib.ROIAlign(data, nd.zeros((1, 5)), pooled_size=(2, 2), spatial_scale=1,
                            position_sensitive=True)


def test_alias_and_hidden_outputs():
    x = sym.var('x')
    nms = sym.contrib.box_non_maximum_suppression(x)
    assert nms.name.startswith('box_non_maximum_suppression') and nms.list_outputs() == \
        [nms.name + '_output0']
    pool = sym.ROIPooling(x, sym.var('r'), pooled_size=(2, 2), spatial_scale=1)
    assert pool.list_outputs() == [pool.name + '_output']
    target = sym.contrib.MultiBoxTarget(sym.var('a'), sym.var('l'), sym.var('c'))
    assert target.list_outputs() == [target.name + '_' + n for n in
                                     ('loc_target', 'loc_mask', 'cls_target')]


@pytest.mark.parametrize('path', ['contrib.MultiBoxTarget', 'contrib.MultiBoxDetection',
                                  'contrib.box_nms', 'contrib.box_encode'])
@pytest.mark.parametrize('dtype', ['float16', 'float64'])
def test_other_float_dtypes(path, dtype):
    """MXNet 1.9.1's MultiBoxTarget and MultiBoxDetection take float32 only; here the results
    keep the input dtype and, in float64, equal the float32 ones."""
    case = [c for c in CASES if c['path'] == path and not _differs(c)][1]
    ins = _inputs(case)
    want = _listify(_resolve(nd, case['path'])(*ins, **_attrs(case)))
    got = _listify(_resolve(nd, case['path'])(*[x.astype(dtype) for x in ins], **_attrs(case)))
    for g, w in zip(got, want):
        assert g.dtype == np.dtype(dtype)
        if dtype == 'float64':
            assert_almost_equal(g, w.astype('float64'), rtol=1e-5, atol=1e-5)


def test_empty_inputs_give_empty_outputs():
    """No cells, boxes or anchors: empty results of the right shape (MXNet 1.9.1 fails to infer
    the output shapes; minigluon used to divide by zero or fail inside NumPy)."""
    assert nd.contrib.MultiBoxPrior(nd.zeros((1, 3, 0, 4)), sizes=(0.5,)).shape == (1, 0, 4)
    assert nd.contrib.MultiBoxPrior(nd.zeros((2, 3, 5, 0)), sizes=(0.5, 0.2),
                                    ratios=(1, 2)).shape == (1, 0, 4)
    assert nd.contrib.box_nms(nd.zeros((0, 6))).shape == (0, 6)
    assert nd.contrib.box_nms(nd.zeros((3, 0, 6)), topk=0).shape == (3, 0, 6)
    outs = nd.contrib.MultiBoxTarget(nd.zeros((1, 0, 4)), nd.array([[[0, .1, .1, .5, .5]]]),
                                     nd.zeros((1, 3, 0)))
    assert [o.shape for o in outs] == [(1, 0), (1, 0), (1, 0)]


def test_box_nms_rejects_overlapping_columns():
    """As MXNet 1.9.1 checks: the score and class columns may not be coordinates, nor the same
    column (minigluon used to read a coordinate as the score)."""
    rows = nd.ones((3, 6))
    with pytest.raises(ValueError, match='score_index=2 is one of the coordinate columns 2 to 5'):
        nd.contrib.box_nms(rows, score_index=2)
    with pytest.raises(ValueError, match='id_index=3 is one of the coordinate columns'):
        nd.contrib.box_nms(rows, id_index=3)
    with pytest.raises(ValueError, match='id_index and score_index are both 1'):
        nd.contrib.box_nms(rows, id_index=1)


def test_multibox_target_rejects_ground_truth_after_padding():
    """A ground-truth row after a padding row (class -1) would be silently dropped; MXNet 1.9.1
    refuses it too."""
    label = nd.array([[[-1, 0, 0, 0, 0], [0, 0.1, 0.1, 0.5, 0.5]]])
    with pytest.raises(ValueError, match='ground-truth row after a padding row'):
        nd.contrib.MultiBoxTarget(nd.array([[[0, 0, .5, .5]]]), label, nd.zeros((1, 2, 1)))


def test_roi_pooling_treats_non_finite_regions_as_padding():
    """(minigluon used to fail with NumPy's 'cannot convert float NaN to integer'.)"""
    data = nd.array(np.arange(60, dtype=np.float32).reshape(2, 1, 5, 6))
    data.attach_grad()
    rois = nd.array([[0, np.nan, 0, 3, 2], [1, 0, 0, np.inf, 2], [0, 0, 0, 3, 2]])
    with autograd.record():
        out = nd.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.0)
    out.backward(nd.ones_like(out))
    assert (out[:2].asnumpy() == 0).all()
    assert_almost_equal(out[2:], nd.ROIPooling(data, rois[2:], pooled_size=(2, 2),
                                               spatial_scale=1.0))
    assert data.grad.asnumpy().sum() == 4       # only the finite region's four maxima


def test_box_iou_refuses_integers_and_keeps_nan():
    """Integer boxes would truncate every IoU to 0 or 1 (MXNet 1.9.1 refuses them too); a box
    with a NaN coordinate has no IoU (MXNet 1.9.1 gives NaN or 0 depending on the coordinate)."""
    with pytest.raises(TypeError, match='box_iou: lhs must be a floating-point array'):
        nd.contrib.box_iou(nd.array([[0, 0, 2, 2]], dtype='int32'), nd.array([[0, 0, 1, 1]]))
    lhs = nd.array([[0, 0, np.nan, 2], [np.nan, 0, 2, 2], [0, 0, 2, 2]])
    got = nd.contrib.box_iou(lhs, nd.array([[0, 0, 1, 1], [5, 5, 6, 6]])).asnumpy()
    assert np.isnan(got[:2]).all() and got[2].tolist() == [0.25, 0]
