"""Regression cases for what ``tools/fuzz_vision_contrib.py`` found, with MXNet 1.9.1's outcomes;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_vision_contrib_fuzz_fixtures.py

A case is an operator case of the fuzzer (``op``, ``kw``, ``mode``, ``wrt``, ``cfg`` for the
heads), run with its ``run_op``. What the fuzzer found, and these cases pin:

* ``spatial_scale`` is a C ``float`` in MXNet: float64 regions are scaled by the float32 value
  of 0.202 (not by the double 0.202), which moves DeformablePSROIPooling's, RROIAlign's and the
  older ROIAlign's float64 results by ~1e-7 (minigluon multiplied by the double);
* MXNet bounds ``spatial_scale`` of PSROIPooling, DeformablePSROIPooling and RROIAlign (and of
  the older ROIAlign and ROIPooling) by ``[0, 1]`` and ``trans_std`` by ``[0, 1]``: larger
  values are MXNetErrors (minigluon ran);
* RROIAlign cannot be hybridized in MXNet 1.9.1; its eager outputs are recorded so that the test
  checks minigluon's hybridized and exported ones against them.

Output: ``tests/fixtures/vision_contrib_fuzz/cases.json`` (name -> the case, plus ``error`` and
``mro`` where MXNet raised) and ``values.npz`` (``<name>/in<i>``, ``<name>/out<j>``,
``<name>/grad<i>``).
"""
import os
import sys
import zlib

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from fuzz_vision_contrib import run_op  # noqa: E402  (the fuzzer's runner: one way to run a case)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'vision_contrib_fuzz')


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


CASES = {}


def case(name, op, kw, inputs, wrt=(), mode='eager'):
    CASES[name] = {'op': op, 'kw': kw, 'inputs': inputs, 'wrt': list(wrt), 'mode': mode,
                   'cfg': name}


def rois(name, n_img, count, extent, dtype):
    """``count`` regions ``(batch, x1, y1, x2, y2)`` inside ``extent`` image pixels, rounded."""
    r = rng(name + '/rois')
    xy = r.uniform(0, extent * 0.6, (count, 2))
    wh = r.uniform(1, extent * 0.6, (count, 2))
    b = r.randint(0, n_img, (count, 1))
    return np.round(np.concatenate([b, xy, xy + wh], 1), 1).astype(dtype)


# -- float32 spatial_scale (and trans_std) on float64 inputs --------------------------------------
for scale in (0.202, 0.709, 0.157):
    name = 'dpsroi_f64_scale_%g' % scale
    r = rng(name)
    case(name, 'contrib.DeformablePSROIPooling',
         dict(spatial_scale=scale, output_dim=2, group_size=1, pooled_size=3, sample_per_part=2,
              trans_std=0.3),
         [r.uniform(-1, 1, (2, 2, 6, 7)), rois(name, 2, 4, 6 / scale, np.float64),
          r.uniform(-1, 1, (4, 2, 3, 3))], wrt=(0, 2))
    name = 'psroi_f64_scale_%g' % scale
    case(name, 'contrib.PSROIPooling', dict(spatial_scale=scale, output_dim=1, pooled_size=2),
         [rng(name).uniform(-1, 1, (1, 4, 7, 6)), rois(name, 1, 5, 6 / scale, np.float64)],
         wrt=(0,))
    name = 'rroi_f64_scale_%g' % scale
    rr = rng(name)
    boxes = np.concatenate([np.zeros((3, 1)), rr.uniform(1, 5 / scale, (3, 4)),
                            rr.uniform(-90, 90, (3, 1))], 1)
    case(name, 'contrib.RROIAlign', dict(pooled_size=(2, 2), spatial_scale=scale,
                                         sampling_ratio=2),
         [rr.uniform(-1, 1, (1, 2, 6, 7)), np.round(boxes, 2)])

    name = 'roialign_f64_scale_%g' % scale
    case(name, 'contrib.ROIAlign', dict(pooled_size=(3, 2), spatial_scale=scale, sample_ratio=2),
         [rng(name).uniform(-1, 1, (2, 2, 9, 8)), rois(name, 2, 4, 8 / scale, np.float64)],
         wrt=(0,))

# a sampling grid at a boundary: with the float32 0.8 the float64 bins of the region (-2, 3) to
# (3, 9) are 2.0000000298 wide (ceil: 3 samples; 2 with the double 0.8), the float32 ones 2.0
for dt in ('float64', 'float32'):
    name = 'roialign_grid_boundary_%s' % dt
    case(name, 'contrib.ROIAlign', dict(pooled_size=(2, 2), spatial_scale=0.8),
         [rng(name).uniform(-1, 1, (1, 2, 5, 6)).astype(dt),
          np.array([[0, -2.0, 3.0, 3.0, 9.0]], dt)], wrt=(0,))

# -- RROIAlign: float32 eager outputs, for minigluon's hybridized and exported runs -----------------
name = 'rroi_f32_rotated'
rr = rng(name)
boxes = np.array([[0, 3.5, 2.5, 4, 3, 30], [1, 6, 4, 8, 2, -120], [0, 2, 2, 0.5, 0.5, 45],
                  [1, 20, 3, 4, 4, 0]], np.float32)
case(name, 'contrib.RROIAlign', dict(pooled_size=(2, 3), spatial_scale=1.0, sampling_ratio=-1),
     [rr.uniform(-1, 1, (2, 3, 6, 8)).astype(np.float32), boxes])

# -- attribute bounds: MXNetError in MXNet ----------------------------------------------------------
data, box = np.ones((1, 4, 4, 4), np.float32), np.array([[0, 0, 0, 3, 3]], np.float32)
for scale in (1.0001, 2.0):
    case('psroi_scale_%g' % scale, 'contrib.PSROIPooling',
         dict(spatial_scale=scale, output_dim=1, pooled_size=2), [data, box])
    case('dpsroi_scale_%g' % scale, 'contrib.DeformablePSROIPooling',
         dict(spatial_scale=scale, output_dim=1, group_size=2, pooled_size=2, no_trans=True),
         [data, box])
    case('rroi_scale_%g' % scale, 'contrib.RROIAlign',
         dict(pooled_size=(2, 2), spatial_scale=scale),
         [data, np.array([[0, 1, 1, 2, 2, 0]], np.float32)])
    # the same bound in the older region operators (minigluon/ops/roi.py)
    case('roialign_scale_%g' % scale, 'contrib.ROIAlign',
         dict(pooled_size=(2, 2), spatial_scale=scale), [data, box])
    case('roipooling_scale_%g' % scale, 'ROIPooling',
         dict(pooled_size=(2, 2), spatial_scale=scale), [data, box])
for std in (1.01, 1.5, -0.5):
    case('dpsroi_trans_std_%g' % std, 'contrib.DeformablePSROIPooling',
         dict(spatial_scale=1.0, output_dim=1, group_size=1, pooled_size=1, trans_std=std),
         [data[:, :1], box, np.zeros((1, 2, 1, 1), np.float32)])
# the bounds themselves are allowed
case('dpsroi_trans_std_1', 'contrib.DeformablePSROIPooling',
     dict(spatial_scale=1.0, output_dim=1, group_size=1, pooled_size=2, trans_std=1.0,
          sample_per_part=2),
     [rng('std1').uniform(-1, 1, (1, 1, 5, 5)).astype(np.float32), box,
      rng('std1t').uniform(-0.3, 0.3, (1, 2, 2, 2)).astype(np.float32)], wrt=(0, 2))


def run(name, c):
    return run_op(mx, c, c['inputs'])


def main():
    _fuzz.record_fixtures(OUT, CASES, run, mx.__version__)


if __name__ == '__main__':
    main()
