"""Record MXNet 1.9.1 golden values for the operators in minigluon/ops/{im2col,
spatial_transformer,legacy_extra}.py: im2col, col2im, GridGenerator, BilinearSampler,
SpatialTransformer, Crop, khatri_rao and histogram.

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_ops_extra_fixtures.py

Writes tests/fixtures/ops_extra/cases.json (one entry per call: the function path under ``nd``,
its attributes (tuples as lists), the inputs' keys, which inputs were differentiated, and the op
name and attributes MXNet writes into ``-symbol.json`` for the same call through ``sym``) and
values.npz (inputs, outputs, the head gradients fed to backward and the resulting gradients).
"""
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'ops_extra')
RNG = np.random.RandomState(0)


def U(lo, hi, *shape, dtype=np.float32):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


REC = Recorder(mx, RNG)
case = REC.case


def main():
    # im2col / col2im: 2-D, with stride, padding and dilation (MXNet 1.9.1 fails on 1-D and 3-D
    # images, in the forward pass already: tests/ops/test_ops_extra.py checks those against a loop)
    case('im2col', [U(-1, 1, 2, 3, 5, 6)], kernel=(2, 2))
    case('im2col', [U(-1, 1, 2, 2, 7, 6)], kernel=(3, 2), stride=(2, 1), pad=(1, 2), dilate=(1, 2))
    case('im2col', [U(-1, 1, 2, 2, 4, 5, dtype=np.float64)], kernel=(2, 3), pad=(1, 1))
    case('col2im', [U(-1, 1, 2, 12, 20)], output_size=(5, 6), kernel=(2, 2))
    case('col2im', [U(-1, 1, 2, 12, 32)], output_size=(7, 6), kernel=(3, 2), stride=(2, 1),
         pad=(1, 2), dilate=(1, 2))
    case('col2im', [U(-1, 1, 2, 12, 25, dtype=np.float64)], output_size=(4, 5), kernel=(2, 3),
         pad=(1, 1))
    # GridGenerator: affine and warp
    case('GridGenerator', [U(-1, 1, 2, 6)], transform_type='affine', target_shape=(3, 4))
    case('GridGenerator', [U(-1, 1, 3, 6)], transform_type='affine', target_shape=(5, 2))
    case('GridGenerator', [U(-2, 2, 2, 2, 3, 4)], transform_type='warp')
    # BilinearSampler: grids reaching outside the image (zero padding), float64
    case('BilinearSampler', [U(-1, 1, 2, 3, 4, 5), U(-1.3, 1.3, 2, 2, 3, 4)], wrt=(0, 1))
    case('BilinearSampler', [U(-1, 1, 1, 2, 5, 3), U(-0.9, 0.9, 1, 2, 4, 6)], wrt=(0, 1))
    case('BilinearSampler', [U(-1, 1, 2, 2, 3, 4, dtype=np.float64),
                             U(-1.2, 1.2, 2, 2, 2, 3, dtype=np.float64)], wrt=(0, 1))
    # SpatialTransformer: near the identity, and a zoom out that samples outside the image
    near = np.array([[0.9, 0.1, 0.05, -0.1, 0.8, 0.02], [1.0, -0.2, 0.1, 0.15, 0.9, -0.1]],
                    dtype=np.float32)
    case('SpatialTransformer', [U(-1, 1, 2, 3, 5, 6), near], wrt=(0, 1), target_shape=(3, 4),
         transform_type='affine', sampler_type='bilinear')
    zoom = np.array([[1.4, 0.1, 0.1, 0.05, 1.3, -0.2]], dtype=np.float32)
    case('SpatialTransformer', [U(-1, 1, 1, 2, 4, 5), zoom], wrt=(0, 1), target_shape=(5, 4),
         transform_type='affine', sampler_type='bilinear')
    # Crop: one input with h_w, two inputs (crop_like) with offset, center_crop
    case('Crop', [U(-1, 1, 2, 3, 6, 7)], num_args=1, h_w=(3, 4), offset=(1, 2))
    case('Crop', [U(-1, 1, 2, 3, 6, 7), U(-1, 1, 1, 1, 4, 3)], wrt=(0, 1), offset=(2, 1))
    case('Crop', [U(-1, 1, 1, 2, 7, 6), U(-1, 1, 1, 5, 4, 3)], wrt=(0, 1), center_crop=True)
    case('Crop', [U(-1, 1, 1, 2, 7, 6)], num_args=1, h_w=(2, 5), center_crop=True)
    # khatri_rao (no gradient in MXNet)
    case('khatri_rao', [U(-1, 1, 2, 3), U(-1, 1, 4, 3)], wrt=())
    case('khatri_rao', [U(-1, 1, 3, 2), U(-1, 1, 2, 2), U(-1, 1, 4, 2)], wrt=())
    case('khatri_rao', [U(-1, 1, 3, 4, dtype=np.float64)], wrt=())
    # histogram (not differentiable): bins with a range, bin edges, edge values, integer data
    data = np.array([[0.0, 0.25, 0.3, 1.0], [0.5, -0.1, 0.75, 1.2]], dtype=np.float32)
    case('histogram', [data], wrt=(), bins=4, range=(0, 1))
    case('histogram', [U(-2, 2, 3, 50)], wrt=(), bins=7, range=(-1.5, 1.0))
    case('histogram', [data, np.array([0.0, 0.3, 0.5, 1.0], dtype=np.float32)], wrt=())
    case('histogram', [np.array([1, 2, 3, 7, 0, 4], dtype=np.int32)], wrt=(), bins=3, range=(0, 4))
    case('histogram', [U(-1, 1, 40, dtype=np.float64)], wrt=(), bins=5, range=(-0.5, 0.5))
    case('histogram', [np.array([2.0, 2.0, 1.0], dtype=np.float32)], wrt=(), bins=2, range=(2, 2))

    REC.save(OUT)
    print('wrote %d cases to %s' % (len(REC.cases), os.path.abspath(OUT)))


if __name__ == '__main__':
    main()
