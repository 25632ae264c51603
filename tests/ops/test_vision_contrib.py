"""Correlation (FlowNet), PSROIPooling and DeformablePSROIPooling (R-FCN) against MXNet 1.9.1 (tools/gen_vision_contrib_fixtures.py); float64
numerical gradients are in the operator sweep (tests/ops/op_cases.py)."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal
from tests.ops._golden import Golden

GOLD = Golden('vision_contrib')
CASES, IDS = GOLD.cases, Golden.ids(GOLD.cases)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_outputs_and_gradients_match_mxnet(case):
    GOLD.check_outputs_and_gradients(case, atol=1e-5, grad_atol=1e-5)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_graph_run_after_a_json_round_trip_matches_mxnet(case):
    GOLD.check_graph_round_trip(case, atol=1e-5)


def test_correlation_bad_inputs_raise_clear_errors():
    x = nd.zeros((1, 2, 6, 7))
    with pytest.raises(ValueError, match='of the same shape'):
        nd.Correlation(x, nd.zeros((1, 3, 6, 7)))        # MXNet 1.9.1 crashes
    with pytest.raises(ValueError, match='kernel_size must be odd'):
        nd.Correlation(x, x, kernel_size=2)
    with pytest.raises(ValueError, match='do not fit in the padded 6x7 map'):
        nd.Correlation(x, x, max_displacement=5)


def _first(path):
    return next(c for c in CASES if c['path'] == path)


@pytest.mark.parametrize('path', ['contrib.PSROIPooling', 'contrib.DeformablePSROIPooling'])
def test_padding_rois_give_zeros(path):
    """A region with a negative batch index is padding: zero output, no gradient, the other
    regions untouched (MXNet 1.9.1 reads outside data for it)."""
    case = _first(path)
    ins = GOLD.inputs(case)
    rois = ins[1]
    padded = nd.concat(rois[:2], nd.array([[-1, 0, 0, 5, 5]]), rois[2:], dim=0)
    extra = [] if len(ins) == 2 else [nd.concat(ins[2][:2], ins[2][:1], ins[2][2:], dim=0)]
    outs, grads = [], []
    for args in ([ins[0], rois] + ins[2:], [ins[0], padded] + extra):
        x = args[0].copy()
        x.attach_grad()
        with autograd.record():
            y = getattr(nd.contrib, path.split('.')[1])(x, *args[1:], **GOLD.attrs(case))
        y.backward(nd.ones_like(y))
        outs.append(y.asnumpy())
        grads.append(x.grad.asnumpy())
    assert (outs[1][2] == 0).all()
    assert_almost_equal(np.delete(outs[1], 2, axis=0), outs[0], rtol=0, atol=0)
    assert_almost_equal(grads[1], grads[0], rtol=1e-6, atol=1e-6)


def test_psroi_bad_inputs_raise_clear_errors():
    rois = nd.array([[0, 1, 1, 5, 5]])
    with pytest.raises(ValueError, match='needs output_dim \\* group_size \\*\\* 2 = 18 channels, has 8'):
        nd.contrib.PSROIPooling(nd.zeros((1, 8, 6, 6)), rois, spatial_scale=1, output_dim=2,
                                pooled_size=3)
    with pytest.raises(ValueError, match=r'trans must be \(num_rois, 2 \* classes, part_size, '
                                         r'part_size\) = \(1, 2 \* classes, 3, 3\)'):
        nd.contrib.DeformablePSROIPooling(nd.zeros((1, 18, 6, 6)), rois, nd.zeros((1, 2, 2, 2)),
                                          spatial_scale=1, output_dim=2, pooled_size=3,
                                          group_size=3, trans_std=0.1)
    with pytest.raises(ValueError, match='past the batch'):
        nd.contrib.PSROIPooling(nd.zeros((1, 8, 6, 6)), nd.array([[1, 1, 1, 5, 5]]),
                                spatial_scale=1, output_dim=2, pooled_size=2)


def test_proposal_bad_inputs_raise_clear_errors():
    case = _first('contrib.MultiProposal')
    cls, deltas, info = GOLD.inputs(case)
    attrs = GOLD.attrs(case)
    with pytest.raises(ValueError, match='takes one image'):
        nd.contrib.Proposal(cls, deltas, info, **attrs)
    # MXNet 1.9.1 aborts the process here (MultiProposal) or raises (Proposal)
    with pytest.raises(ValueError, match='larger than the feature map'):
        nd.contrib.MultiProposal(cls, deltas, info * nd.array([[2, 1, 1]]), **attrs)
    with pytest.raises(ValueError, match=r'bbox_pred must be \(batch, 4 \* anchors'):
        nd.contrib.MultiProposal(cls, deltas[:, :-4], info, **attrs)


def test_rroialign_padding_rows_give_zeros_and_its_gradient_is_the_adjoint():
    """A negative batch index gives zeros; MXNet 1.9.1 has no RROIAlign gradient, so the data
    gradient is checked as the adjoint of the (linear in data) forward: <y(x), g> = <x, grad>."""
    case = _first('contrib.RROIAlign')
    data, rois = GOLD.inputs(case)
    padded = nd.concat(rois[:1], nd.array([[-1, 3, 3, 4, 4, 10]]), rois[1:], dim=0)
    data.attach_grad()
    with autograd.record():
        y = nd.contrib.RROIAlign(data, padded, **GOLD.attrs(case))
    head = nd.array(np.random.RandomState(2).uniform(-1, 1, y.shape))
    y.backward(head)
    assert (y[1].asnumpy() == 0).all()
    assert_almost_equal(np.delete(y.asnumpy(), 1, axis=0), GOLD.value(case, 'out', 0),
                        rtol=1e-6, atol=1e-6)
    assert np.isclose(float((y * head).sum().asscalar()), float((data * data.grad).sum().asscalar()),
                      rtol=1e-5)
