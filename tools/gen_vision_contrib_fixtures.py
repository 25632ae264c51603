"""Record MXNet 1.9.1 golden values for the FlowNet and R-FCN operators of
minigluon/ops/correlation.py, psroi.py, proposal.py and rroi.py (Correlation, PSROIPooling,
DeformablePSROIPooling, Proposal, MultiProposal, RROIAlign).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_vision_contrib_fixtures.py

Writes tests/fixtures/vision_contrib/cases.json and values.npz through ``_golden.Recorder``
(inputs, outputs, head gradients, the differentiated inputs' gradients and the exported JSON
node of each call). RROIAlign has no backward in MXNet 1.9.1: its cases record outputs only.
"""
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'vision_contrib')
RNG = np.random.RandomState(0)
REC = Recorder(mx, RNG)


def U(lo, hi, *shape, dtype=np.float32):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def correlation_cases():
    pair = [U(-1, 1, 2, 3, 6, 7), U(-1, 1, 2, 3, 6, 7)]
    REC.case('Correlation', pair, wrt=(0, 1))
    REC.case('Correlation', pair, wrt=(0, 1), kernel_size=3, max_displacement=2, pad_size=2)
    REC.case('Correlation', pair, wrt=(0, 1), kernel_size=1, max_displacement=4, stride2=2,
             pad_size=4, stride1=2)
    REC.case('Correlation', pair, wrt=(0, 1), kernel_size=3, max_displacement=1, stride1=2,
             pad_size=1, is_multiply=False)
    # a displacement that is not a multiple of stride2, no padding (MXNet refuses even kernels)
    REC.case('Correlation', [U(-1, 1, 1, 2, 10, 11), U(-1, 1, 1, 2, 10, 11)], wrt=(0, 1),
             kernel_size=3, max_displacement=3, stride2=2)
    REC.case('Correlation', [x.astype(np.float64) for x in pair], wrt=(0, 1), kernel_size=3,
             max_displacement=3, stride1=3, stride2=3, pad_size=3, is_multiply=False)
    # ties for the absolute difference: equal inputs (MXNet's subgradient at 0)
    same = np.round(U(-2, 2, 1, 2, 5, 5))
    REC.case('Correlation', [same, same.copy()], wrt=(0, 1), max_displacement=1, pad_size=1,
             is_multiply=False)


ROIS = np.array([[0, 0, 0, 15, 13], [1, 2.5, 3.5, 9.5, 12.5], [0, 6, 6, 6, 6],
                 [1, -4, -3, 30, 25], [0, 12.2, 1.4, 19.8, 4.2], [1, 9, 8, 3, 2]], np.float32)


def psroi_cases():
    data = U(-1, 1, 2, 18, 6, 8)                       # output_dim 2, group 3
    REC.case('contrib.PSROIPooling', [data, ROIS], spatial_scale=0.5, output_dim=2, pooled_size=3)
    REC.case('contrib.PSROIPooling', [data, ROIS], spatial_scale=0.6, output_dim=2, pooled_size=4,
             group_size=3)
    REC.case('contrib.PSROIPooling', [data[:, :8], ROIS], spatial_scale=0.5, output_dim=2,
             pooled_size=2, group_size=2)
    REC.case('contrib.PSROIPooling', [data.astype(np.float64), ROIS.astype(np.float64)],
             spatial_scale=0.25, output_dim=18, pooled_size=2, group_size=1)


def deformable_psroi_cases():
    data = U(-1, 1, 2, 18, 6, 8)
    r_n = len(ROIS)
    trans = U(-1, 1, r_n, 4, 3, 3)                      # two classes, 3x3 parts
    REC.case('contrib.DeformablePSROIPooling', [data, ROIS, trans], wrt=(0, 2), spatial_scale=0.5,
             output_dim=2, group_size=3, pooled_size=3, trans_std=0.2, sample_per_part=2)
    REC.case('contrib.DeformablePSROIPooling', [data, ROIS, U(-1, 1, r_n, 2, 2, 2)], wrt=(0, 2),
             spatial_scale=0.6, output_dim=2, group_size=3, pooled_size=4, part_size=2,
             trans_std=0.5, sample_per_part=3)
    # part_size left at 0 (pooled_size), one class, large shifts: points past the border
    REC.case('contrib.DeformablePSROIPooling', [data[:, :8], ROIS, U(-2, 2, r_n, 2, 2, 2)],
             wrt=(0, 2), spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2,
             trans_std=0.7, sample_per_part=2)
    REC.case('contrib.DeformablePSROIPooling', [data, ROIS], wrt=(0,), spatial_scale=0.5,
             output_dim=2, group_size=3, pooled_size=3, no_trans=True, sample_per_part=4)
    REC.case('contrib.DeformablePSROIPooling',
             [data.astype(np.float64), ROIS.astype(np.float64),
              U(-1, 1, r_n, 2, 3, 3, dtype=np.float64)], wrt=(0, 2), spatial_scale=0.3,
             output_dim=2, group_size=3, pooled_size=3, trans_std=0.1)


def rpn_inputs(n, anchors, h, w, spread=0.3):
    """Random RPN outputs: softmax-normalised (background, foreground) probabilities (distinct
    foreground scores), box deltas and one ``im_info`` row per image."""
    logits = RNG.standard_normal((n, 2, anchors, h, w))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    cls = probs.reshape(n, 2 * anchors, h, w).astype(np.float32)
    deltas = (RNG.standard_normal((n, 4 * anchors, h, w)) * spread).astype(np.float32)
    return cls, deltas


def proposal_cases():
    cls, deltas = rpn_inputs(1, 12, 4, 5)
    info = np.array([[64, 80, 1.0]], np.float32)
    REC.case('contrib.Proposal', [cls, deltas, info], wrt=(0, 1, 2), rpn_pre_nms_top_n=60,
             rpn_post_nms_top_n=12, rpn_min_size=4, output_score=True)
    REC.case('contrib.Proposal', [cls, deltas, info], wrt=(), rpn_pre_nms_top_n=100,
             rpn_post_nms_top_n=20, threshold=0.5, rpn_min_size=4)
    # the real image smaller than the feature map (padded positions score -1), larger boxes
    # filtered by rpn_min_size, fewer boxes kept than rows (the kept boxes repeat)
    REC.case('contrib.Proposal', [cls, deltas, np.array([[40, 56, 2.0]], np.float32)], wrt=(),
             rpn_pre_nms_top_n=15, rpn_post_nms_top_n=30, threshold=0.3, rpn_min_size=12,
             output_score=True)
    cls3, deltas3 = rpn_inputs(1, 3, 3, 4, spread=2.0)
    REC.case('contrib.Proposal', [cls3, deltas3, np.array([[48, 64, 1.0]], np.float32)], wrt=(),
             rpn_pre_nms_top_n=-1, rpn_post_nms_top_n=8, scales=(2, 4, 8), ratios=(1,),
             feature_stride=16, rpn_min_size=2, output_score=True, iou_loss=True)
    cls2, deltas2 = rpn_inputs(2, 6, 3, 4)
    info2 = np.array([[48, 64, 1.0], [40, 50, 0.5]], np.float32)
    REC.case('contrib.MultiProposal', [cls2, deltas2, info2], wrt=(0, 1, 2), rpn_pre_nms_top_n=40,
             rpn_post_nms_top_n=10, scales=(2, 4, 8), ratios=(0.5, 2), rpn_min_size=4,
             output_score=True)
    REC.case('contrib.MultiProposal', [cls2, deltas2, info2], wrt=(), rpn_pre_nms_top_n=30,
             rpn_post_nms_top_n=6, scales=(2, 4, 8), ratios=(0.5, 2), threshold=0.4,
             rpn_min_size=3)
    # (an im_info larger than the feature map times feature_stride aborts MXNet 1.9.1's process
    # in MultiProposal and raises in Proposal; minigluon raises ValueError)


def rroi_cases():
    data = U(-1, 1, 2, 3, 8, 10)
    rois = np.array([[0, 4, 3, 6, 4, 0], [1, 5.5, 4.2, 7, 3, 30], [0, 2, 2, 3, 8, -75],
                     [1, 9, 7, 12, 10, 135], [0, 5, 4, 0.5, 0.2, 10], [1, -3, 12, 4, 4, 45]],
                    np.float32)
    REC.case('contrib.RROIAlign', [data, rois], wrt=(), pooled_size=(2, 3), spatial_scale=1.0)
    REC.case('contrib.RROIAlign', [data, rois * np.array([1, 2, 2, 2, 2, 1], np.float32)],
             wrt=(), pooled_size=(3, 2), spatial_scale=0.5, sampling_ratio=2)
    REC.case('contrib.RROIAlign', [data.astype(np.float64), rois.astype(np.float64)], wrt=(),
             pooled_size=(2, 2), spatial_scale=0.8, sampling_ratio=3)


def main():
    correlation_cases()
    psroi_cases()
    deformable_psroi_cases()
    proposal_cases()
    rroi_cases()
    REC.save(OUT)


if __name__ == '__main__':
    main()
