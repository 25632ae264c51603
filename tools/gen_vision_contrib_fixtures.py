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


def main():
    correlation_cases()
    REC.save(OUT)


if __name__ == '__main__':
    main()
