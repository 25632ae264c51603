"""Record MXNet 1.9.1 golden values for the FlowNet and R-FCN operators of
minigluon/ops/correlation.py and minigluon/ops/psroi.py (Correlation, PSROIPooling,
DeformablePSROIPooling).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_vision_contrib_fixtures.py

Writes tests/fixtures/vision_contrib/cases.json and values.npz through ``_golden.Recorder``
(inputs, outputs, head gradients, the differentiated inputs' gradients and the exported JSON
node of each call).
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
    data = U(-1, 1, 2, 18, 8, 10)                       # output_dim 2, group 3
    REC.case('contrib.PSROIPooling', [data, ROIS], spatial_scale=0.5, output_dim=2, pooled_size=3)
    REC.case('contrib.PSROIPooling', [data, ROIS], spatial_scale=0.6, output_dim=2, pooled_size=4,
             group_size=3)
    REC.case('contrib.PSROIPooling', [data[:, :8], ROIS], spatial_scale=0.5, output_dim=2,
             pooled_size=2, group_size=2)
    REC.case('contrib.PSROIPooling', [data.astype(np.float64), ROIS.astype(np.float64)],
             spatial_scale=0.25, output_dim=18, pooled_size=2, group_size=1)


def deformable_psroi_cases():
    data = U(-1, 1, 2, 18, 8, 10)
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


def main():
    correlation_cases()
    psroi_cases()
    deformable_psroi_cases()
    REC.save(OUT)


if __name__ == '__main__':
    main()
