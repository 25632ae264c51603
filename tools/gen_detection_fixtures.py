"""Record MXNet 1.9.1 golden values for the detection operators of minigluon/ops/detection_nms.py,
detection_multibox.py and roi.py (box_nms, MultiBoxTarget, MultiBoxDetection, ROIPooling, ROIAlign).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_detection_fixtures.py

Writes tests/fixtures/detection/cases.json (one entry per call: the function path under ``nd``,
its attributes, which inputs were differentiated, and the operator name and attributes MXNet
writes into ``-symbol.json`` for the same call through ``sym``) and values.npz (inputs, outputs,
the head gradients fed to backward and the resulting input gradients).
"""
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'detection')
RNG = np.random.RandomState(0)
REC = Recorder(mx, RNG)


def case(path, inputs, wrt=(), **attrs):
    """Record ``mx.nd.<path>(*inputs, **attrs)`` (``_golden.Recorder.case``), differentiating
    only the inputs in ``wrt``."""
    return REC.case(path, inputs, wrt=wrt, **attrs)


def boxes(*shape, lo=0.0, hi=1.0, size=(0.05, 0.4)):
    """Random corner boxes (..., 4) inside [lo, hi], rounded to 1/64 so that some coincide."""
    xy = RNG.uniform(lo, hi - size[1], shape + (2,))
    wh = RNG.uniform(size[0], size[1], shape + (2,))
    return (np.round(np.concatenate([xy, xy + wh], axis=-1) * 64) / 64).astype(np.float32)


def nms_rows(batch, n, classes=3, scores=(0.2, 0.5, 0.8)):
    """Rows (id, score, xmin, ymin, xmax, ymax) with tied scores and overlapping boxes."""
    rows = np.zeros((batch, n, 6), np.float32)
    rows[..., 0] = RNG.randint(0, classes, (batch, n))
    rows[..., 1] = RNG.choice(scores, (batch, n))
    rows[..., 2:] = boxes(batch, n, size=(0.2, 0.5))
    return rows


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def nms_cases():
    small = np.array([[0, 0.5, 0.1, 0.1, 0.4, 0.4], [1, 0.5, 0.12, 0.1, 0.42, 0.4],
                      [0, 0.9, 0.5, 0.5, 0.9, 0.9], [0, 0.5, 0.11, 0.1, 0.41, 0.4],
                      [1, 0.05, 0, 0, 1, 1], [0, 0.7, 0.52, 0.5, 0.9, 0.92]], np.float32)
    case('contrib.box_nms', [small], wrt=(0,), overlap_thresh=0.5, id_index=0, valid_thresh=0.05)
    case('contrib.box_nms', [small.reshape(2, 3, 6)], wrt=(0,))
    case('contrib.box_nms', [small], wrt=(0,), id_index=0, background_id=0, out_format='center')
    case('contrib.box_nms', [small], wrt=(0,), id_index=0, force_suppress=True, topk=3)
    case('contrib.box_non_maximum_suppression', [small], wrt=(0,), overlap_thresh=0.3)
    many = nms_rows(3, 40)
    many[1, 30:] = -1                                 # padding rows (score -1)
    case('contrib.box_nms', [many], wrt=(0,), id_index=0)
    case('contrib.box_nms', [many], wrt=(0,), id_index=0, force_suppress=True, overlap_thresh=0.3)
    case('contrib.box_nms', [many], wrt=(0,), topk=10, valid_thresh=0.2)
    case('contrib.box_nms', [many.astype(np.float64)], wrt=(0,), id_index=0, overlap_thresh=0.6)
    # IoU exactly 0.5 (boxes of area 2 and 1 sharing the smaller) and exactly 1 (duplicates)
    edge = np.array([[0.9, 0, 0, 2, 1, 7], [0.8, 0, 0, 1, 1, 7], [0.8, 0, 0, 1, 1, 7],
                     [0.7, 5, 5, 6, 6, 7], [0.7, 5, 5, 6, 6, 8]], np.float32)
    case('contrib.box_nms', [edge], wrt=(0,), overlap_thresh=0.5, score_index=0, coord_start=1)
    case('contrib.box_nms', [edge], wrt=(0,), overlap_thresh=0.5, score_index=0, coord_start=1,
         id_index=5)
    # centre-format input, another column layout, 4-d data and a background class
    wide = np.zeros((1, 2, 12, 7), np.float32)
    wide[..., 4] = RNG.choice([0.1, 0.4, 0.6], (1, 2, 12))
    wide[..., 5] = RNG.randint(0, 3, (1, 2, 12))
    wide[..., 0:2] = RNG.uniform(0.2, 0.8, (1, 2, 12, 2)).round(2)
    wide[..., 2:4] = RNG.uniform(0.1, 0.5, (1, 2, 12, 2)).round(2)
    wide[..., 6] = RNG.uniform(-1, 1, (1, 2, 12))
    case('contrib.box_nms', [wide], wrt=(0,), coord_start=0, score_index=4, id_index=5,
         background_id=1, in_format='center', overlap_thresh=0.4)
    case('contrib.box_nms', [wide], wrt=(0,), coord_start=0, score_index=4, in_format='center',
         out_format='corner', valid_thresh=0.3)


def target_cases():
    # d2l's anchor-labelling example: five anchors, a dog and a cat
    anchors = np.array([[[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                         [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]]], np.float32)
    labels = np.array([[[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]]], np.float32)
    case('contrib.MultiBoxTarget', [anchors, labels, np.zeros((1, 3, 5), np.float32)])
    fmap = mx.nd.zeros((1, 1, 4, 4))
    prior = mx.nd.contrib.MultiBoxPrior(fmap, sizes=(0.5, 0.25), ratios=(1, 2, 0.5)).asnumpy()
    num = prior.shape[1]
    gts = np.full((4, 4, 6), -1, np.float32)          # batch of 4, up to 4 objects, 6 columns
    for b, count in enumerate((3, 1, 0, 4)):
        gts[b, :count, 0] = RNG.randint(0, 3, count)
        gts[b, :count, 1:5] = boxes(count, size=(0.15, 0.6))
        gts[b, :count, 5] = 0.5
    pred = RNG.standard_normal((4, 4, num)).astype(np.float32)
    case('contrib.MultiBoxTarget', [prior, gts, pred])
    case('contrib.MultiBoxTarget', [prior, gts[:, :, :5], pred], overlap_threshold=0.3,
         negative_mining_ratio=3, negative_mining_thresh=0.4, ignore_label=-2,
         variances=(0.2, 0.2, 0.1, 0.1))
    case('contrib.MultiBoxTarget', [prior, gts, pred], negative_mining_ratio=2.5,
         minimum_negative_samples=20)
    # every background probability tied: mining picks by anchor order
    case('contrib.MultiBoxTarget', [prior, gts, np.zeros_like(pred)], negative_mining_ratio=2)
    case('contrib.MultiBoxTarget', [prior, gts, pred], overlap_threshold=0)


def detection_cases():
    # d2l's non-maximum-suppression example
    anchors = np.array([[[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                         [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]]], np.float32)
    probs = np.array([[[0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]]], np.float32)
    case('contrib.MultiBoxDetection', [probs, np.zeros((1, 16), np.float32), anchors],
         nms_threshold=0.5)
    fmap = mx.nd.zeros((1, 1, 3, 3))
    prior = mx.nd.contrib.MultiBoxPrior(fmap, sizes=(0.6, 0.3), ratios=(1, 2)).asnumpy()
    num = prior.shape[1]
    probs = softmax(RNG.standard_normal((2, 4, num)) * 2, axis=1)
    probs[1, :, :4] = np.array([0.1, 0.3, 0.3, 0.3], np.float32)[:, None]   # tied classes/scores
    loc = (RNG.standard_normal((2, num * 4)) * 0.5).astype(np.float32)
    for attrs in ({}, {'force_suppress': True}, {'nms_topk': 5}, {'clip': False, 'threshold': 0.3},
                  {'nms_threshold': 0.0},
                  {'nms_threshold': 0.3, 'variances': (0.2, 0.2, 0.3, 0.3)}):
        case('contrib.MultiBoxDetection', [probs, loc, prior], **attrs)
    # MXNet 1.9.1 ignores background_id (class 0 is always the background); the test runs
    # minigluon's background_id=2 on the original probabilities against this, where class 2 is
    # moved to the front
    case('contrib.MultiBoxDetection', [probs[:, [2, 0, 1, 3]], loc, prior])
    # IoU exactly 0.5 between two detections of one class
    anchors = np.array([[[0, 0, 0.5, 0.25], [0, 0, 0.25, 0.25], [0.5, 0.5, 1, 1]]], np.float32)
    probs = np.array([[[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]]], np.float32)
    case('contrib.MultiBoxDetection', [probs, np.zeros((1, 12), np.float32), anchors])


def roi_cases():
    data = RNG.standard_normal((2, 3, 8, 10)).astype(np.float32)
    ties = np.round(RNG.uniform(0, 3, (2, 3, 8, 10))).astype(np.float32)   # many equal maxima
    rois = np.array([[0, 0, 0, 9, 7], [1, 2.5, 1.5, 7.5, 6.5], [0, 3, 3, 3, 3],
                     [1, -4, -3, 30, 25], [0, 6.2, 0.4, 9.8, 2.2], [1, 8, 7, 2, 1]], np.float32)
    doubled = rois * np.array([1, 2, 2, 2, 2], np.float32)     # coordinates only
    case('ROIPooling', [data, rois], wrt=(0,), pooled_size=(2, 3), spatial_scale=1.0)
    case('ROIPooling', [ties, rois], wrt=(0,), pooled_size=(3, 3), spatial_scale=0.5)
    case('ROIPooling', [data.astype(np.float64), doubled.astype(np.float64)], wrt=(0,),
         pooled_size=(4, 2), spatial_scale=0.5)
    case('contrib.ROIAlign', [data, rois], wrt=(0,), pooled_size=(2, 3), spatial_scale=1.0)
    case('contrib.ROIAlign', [data, doubled], wrt=(0,), pooled_size=(3, 2), spatial_scale=0.5,
         sample_ratio=2)
    # aligned=True: MXNet aborts the process on a region of zero or negative width (rows 2, 5)
    proper = rois[[0, 1, 3, 4]]
    case('contrib.ROIAlign', [data, proper], wrt=(0,), pooled_size=(2, 2), spatial_scale=1.0,
         aligned=True)
    # (a row with batch index -1 makes MXNet 1.9.1 write over another region's output)
    case('contrib.ROIAlign', [data, proper], wrt=(0,), pooled_size=(3, 3), spatial_scale=0.8,
         sample_ratio=3, aligned=True)
    ps = RNG.standard_normal((2, 8, 6, 7)).astype(np.float32)
    case('contrib.ROIAlign', [ps, rois], wrt=(0,), pooled_size=(2, 2), spatial_scale=0.6,
         position_sensitive=True)
    case('contrib.ROIAlign', [ps.astype(np.float64), rois.astype(np.float64)], wrt=(0,),
         pooled_size=(1, 2), spatial_scale=1.0, sample_ratio=1)


def coding_cases():
    anchors = boxes(2, 6, size=(0.1, 0.5))
    refs = boxes(2, 3, size=(0.1, 0.5))
    samples = np.array([[1, -1, 0, 1, 1, 0], [1, 1, -1, -1, 1, 1]], np.float32)
    matches = np.array([[0, 1, 0, 2, 2, 5], [1, 0, 2, 1, 0, 2]], np.float32)
    means = np.array([0, 0.1, -0.1, 0], np.float32)
    stds = np.array([0.1, 0.1, 0.2, 0.2], np.float32)
    case('contrib.box_encode', [samples, matches, anchors, refs, means, stds])
    case('contrib.box_encode', [x.astype(np.float64) for x in
                                (samples, matches, anchors, refs, means, stds)])
    offsets = RNG.standard_normal((2, 6, 4)).astype(np.float32)
    centred = np.concatenate([anchors[..., :2], anchors[..., 2:] - anchors[..., :2]], axis=-1)
    case('contrib.box_decode', [offsets, centred[:1]])
    # (anchors of shape (B, N, 4) pass MXNet's shape check, then fail in its kernel)
    case('contrib.box_decode', [offsets, anchors[1:]], std0=0.1, std1=0.1, std2=0.2, std3=0.2,
         clip=0.3, format='corner')
    case('contrib.box_decode', [offsets.astype(np.float64), anchors[:1].astype(np.float64)],
         std2=2, clip=1, format='corner')


def edge_cases():
    """Found by the adversarial pass: topk=0 switches box_nms off (the data passes through
    unchanged, formats and thresholds included), and a MultiBoxDetection without a foreground class gives only -1 rows."""
    rows = nms_rows(2, 6)
    rows[0, 4, 1] = -0.5                                # below valid_thresh
    case('contrib.box_nms', [rows], wrt=(0,), topk=0, id_index=0, out_format='center',
         valid_thresh=0.3)
    case('contrib.box_nms', [rows[0, :, 1:]], wrt=(0,), topk=0, coord_start=1, score_index=0)
    anchors = boxes(1, 3)
    case('contrib.MultiBoxDetection', [np.full((2, 1, 3), 0.5, np.float32),
                                       np.zeros((2, 12), np.float32), anchors])


def main():
    nms_cases()
    coding_cases()
    target_cases()
    detection_cases()
    roi_cases()
    edge_cases()
    REC.save(OUT)


if __name__ == '__main__':
    main()
