"""Record MXNet 1.9.1 golden values for ``contrib.bipartite_matching``
(minigluon/ops/detection_matching.py): ties, thresholds on both sides of the scores, ``is_ascend``,
``topk``, batch axes and the floating dtypes.

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_bipartite_fixtures.py

Writes tests/fixtures/bipartite/cases.json and values.npz in the layout of ``_golden.Recorder``
(read by tests/ops/test_bipartite_matching.py). No gradients are recorded: MXNet's backward
sends zeros, which the test checks by itself.
"""
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'bipartite')
RNG = np.random.RandomState(0)
REC = Recorder(mx, RNG)


def case(inputs, **attrs):
    return REC.case('contrib.bipartite_matching', inputs, wrt=(), **attrs)


def main():
    scores = RNG.rand(5, 4).astype(np.float32)
    for topk in (-1, 0, 1, 2, 3):
        case([scores], threshold=1e-12, topk=topk)
    case([scores], threshold=0.5)
    case([scores], threshold=0.5, is_ascend=True)
    case([scores], threshold=2.0, is_ascend=True, topk=1)
    # ties: equal scores are taken in row-major order
    ties = np.array([[0.5, 0.5, 0.7], [0.5, 0.5, 0.2], [0.7, 0.1, 0.5]], np.float32)
    for threshold in (0.1, 0.5, 0.7):
        case([ties], threshold=threshold)
        case([ties], threshold=threshold, is_ascend=True)
    case([np.full((3, 4), 0.25, np.float32)], threshold=0.2)
    case([np.full((3, 4), 0.25, np.float32)], threshold=0.25)       # not strictly above
    # scores rounded to 1/8 so that many tie, with batch axes; float64 and float16
    batch = (np.round(RNG.rand(2, 3, 4, 5) * 8) / 8).astype(np.float32)
    case([batch], threshold=0.3)
    case([batch.astype(np.float64)], threshold=0.3, is_ascend=True)
    case([batch[0].astype(np.float16)], threshold=0.3)
    # GluonCV's SSD use: IoU of (batch, ground truths, anchors), a threshold of 1e-12
    iou = np.zeros((2, 3, 8), np.float32)
    iou[:, :, :6] = np.round(RNG.rand(2, 3, 6) * 16) / 16
    case([iou], threshold=1e-12)
    # more rows than columns, a 1 x N and an N x 1 matrix; a threshold float32 cannot hold
    case([RNG.rand(6, 2).astype(np.float32)], threshold=0.3, is_ascend=True)
    case([RNG.rand(1, 5).astype(np.float32)], threshold=0.0)
    case([RNG.rand(5, 1).astype(np.float32)], threshold=0.0)
    near = np.array([[0.1, 0.3], [0.2, 0.4]], np.float64)
    case([near], threshold=0.1 + 1e-12)
    REC.save(OUT)


if __name__ == '__main__':
    main()
