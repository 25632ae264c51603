"""Record MXNet 1.9.1 golden values for the operators in minigluon/ops/{layout,resize,misc,detection}.py
(and the contrib straight-through estimators and gradient multiplier of unary.py / elemwise.py,
SVMOutput of nn_output.py, choose_element_0index and fill_element_0index of indexing.py).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_ops_missing_fixtures.py

Writes tests/fixtures/ops_missing/cases.json (one entry per call: the function path under
``nd``, its attributes, the inputs' keys, and the op name and attributes MXNet writes into
``-symbol.json`` for the same call through ``sym``) and values.npz (inputs, outputs, the head
gradients fed to backward and the resulting input gradients).
"""
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'ops_missing')
RNG = np.random.RandomState(0)


def U(*shape):
    return RNG.uniform(-1, 1, size=shape).astype(np.float32)


REC = Recorder(mx, RNG)


def case(path, inputs, grad=True, sym=True, args=(), **attrs):
    """Record ``mx.nd.<path>(*inputs, *args, **attrs)`` (see ``_golden.Recorder.case``); with
    ``grad``, differentiate the first input (and index_copy's new_tensor) where floating, never
    indices or masks."""
    wanted = (0, 2) if path == 'contrib.index_copy' else (0,)
    wrt = tuple(i for i, x in enumerate(inputs) if grad and x.dtype.kind == 'f' and i in wanted)
    REC.case(path, inputs, wrt=wrt, sym=sym, args=args, **attrs)


def main():
    # depth_to_space / space_to_depth
    case('depth_to_space', [U(1, 8, 2, 3)], block_size=2)
    case('depth_to_space', [U(2, 9, 1, 2)], block_size=3)
    case('space_to_depth', [U(1, 2, 4, 6)], block_size=2)
    # BilinearResize2D in each mode
    case('contrib.BilinearResize2D', [U(1, 2, 3, 4)], height=5, width=7)
    case('contrib.BilinearResize2D', [U(1, 2, 3, 4)], height=5, width=7, align_corners=False)
    case('contrib.BilinearResize2D', [U(1, 1, 5, 7)], height=3, width=2, align_corners=False)
    case('contrib.BilinearResize2D', [U(1, 1, 5, 7)], height=1, width=4)
    case('contrib.BilinearResize2D', [U(1, 1, 4, 5)], scale_height=1.5, scale_width=0.6)
    case('contrib.BilinearResize2D', [U(1, 1, 4, 5)], scale_height=2.0, scale_width=2.0,
         mode='odd_scale')
    case('contrib.BilinearResize2D', [U(1, 1, 4, 5)], scale_height=0.5, scale_width=0.5,
         mode='odd_scale', align_corners=False)
    for mode in ('to_even_down', 'to_even_up', 'to_odd_down', 'to_odd_up'):
        case('contrib.BilinearResize2D', [U(1, 1, 4, 5)], mode=mode)
    case('contrib.BilinearResize2D', [U(1, 2, 3, 3), U(1, 1, 4, 6)], mode='like')
    # AdaptiveAvgPooling2D
    case('contrib.AdaptiveAvgPooling2D', [U(1, 2, 5, 7)], output_size=(3, 2))
    case('contrib.AdaptiveAvgPooling2D', [U(2, 1, 4, 4)], output_size=2)
    case('contrib.AdaptiveAvgPooling2D', [U(1, 2, 3, 5)])
    case('contrib.AdaptiveAvgPooling2D', [U(1, 1, 3, 4)], output_size=(5, 6))
    # diag
    case('diag', [U(3)])
    case('diag', [U(3)], k=1)
    case('diag', [U(2)], k=-2)
    case('diag', [U(3, 4)], k=1)
    case('diag', [U(3, 4)], k=-2)
    case('diag', [U(2, 3, 3)], axis1=-2, axis2=-1)
    case('diag', [U(2, 3, 4, 5)], k=1, axis1=0, axis2=2)
    # smooth_l1 (values away from the kinks at +-1/sigma^2)
    case('smooth_l1', [np.array([-2.0, -0.6, -0.1, 0.3, 0.8, 1.7], np.float32)])
    case('smooth_l1', [np.array([[-2.0, -0.6, -0.1], [0.1, 0.3, 1.7]], np.float32)], scalar=2.0)
    case('smooth_l1', [np.array([1, 2, -3], np.int32)], grad=False, sym=False, scalar=1.0)
    # split_v2 (nd gives the split points, sym the sections)
    case('split_v2', [U(3, 4)], args=(2,), axis=1)
    case('split_v2', [U(3, 4)], args=((1, 3),), axis=1)
    case('split_v2', [U(3, 4)], args=(3,), axis=0, squeeze_axis=True)
    case('moveaxis', [U(2, 3, 4)], sym=False, args=(0, -1))
    case('moveaxis', [U(2, 3, 4)], sym=False, args=([0, 1], [-1, -2]))
    # contrib helpers
    case('contrib.div_sqrt_dim', [U(2, 4)])
    case('contrib.div_sqrt_dim', [np.array([[4, 2, 3, 8]], np.int32)], grad=False, sym=False)
    case('contrib.arange_like', [U(2, 3)], grad=False)
    case('contrib.arange_like', [U(2, 3)], grad=False, start=1.5, step=0.5, repeat=2)
    case('contrib.arange_like', [U(2, 5)], grad=False, axis=-1, repeat=2)
    case('contrib.arange_like', [np.zeros((2, 3), np.int32)], grad=False, sym=False,
         start=1.0, step=2.0)
    case('contrib.boolean_mask', [U(4, 3), np.array([0, 1, 0, 1], np.float32)])
    case('contrib.boolean_mask', [U(3, 2, 2), np.array([1, 1, 0], np.int32)])
    case('contrib.index_copy', [U(5, 3), np.array([0, 4, 2], np.float32), U(3, 3)])
    # index_array (int64 indices: no gradient) and quadratic (float32 coefficients in every dtype)
    case('contrib.index_array', [U(2, 3)], grad=False)
    case('contrib.index_array', [U(3, 2, 2)], grad=False, axes=(1, 0))
    case('contrib.index_array', [U(2, 3, 4)], grad=False, axes=(-1, 0, 0))
    case('contrib.index_array', [np.zeros((2, 2), np.int32)], grad=False, sym=False, axes=(1,))
    case('contrib.quadratic', [U(3, 4)], a=1.5, b=-2.0, c=0.7)
    case('contrib.quadratic', [U(2, 3)])
    case('contrib.quadratic', [U(2, 3)], a=0.1, b=2.5)
    case('contrib.quadratic', [U(2, 3).astype(np.float64)], sym=False, a=1.5, b=2.5, c=0.7)
    case('contrib.quadratic', [U(2, 3).astype(np.float16)], sym=False, a=1.5, b=2.5, c=0.7)
    case('contrib.quadratic', [np.array([1, 2, 3, -4], np.int32)], grad=False, sym=False, a=1.5,
         b=2.5, c=0.7)
    # straight-through estimators, gradient multiplier and allclose (appended last: the earlier
    # cases keep their random inputs)
    steps = np.array([-2.5, -1.6, -0.5, -0.4, 0.0, 0.4, 0.5, 1.5, 2.7], np.float32)
    case('contrib.round_ste', [steps])
    case('contrib.sign_ste', [steps])
    case('contrib.round_ste', [U(2, 3) * 4])
    case('contrib.sign_ste', [np.array([[-3, 0, 2]], np.int32)], grad=False, sym=False)
    case('contrib.gradientmultiplier', [U(2, 3)], scalar=0.5)
    case('contrib.gradientmultiplier', [U(3)], scalar=-2)
    case('contrib.gradientmultiplier', [U(2, 2).astype(np.float16)], sym=False, scalar=0.3)
    near = U(2, 3)
    case('contrib.allclose', [near, near + 5e-6], grad=False)
    case('contrib.allclose', [near, near + 1e-3], grad=False)
    case('contrib.allclose', [near, near + 1e-3], grad=False, rtol=0.01, atol=0.001)
    case('contrib.allclose', [np.array([np.nan, 1], np.float32), np.array([np.nan, 1], np.float32)],
         grad=False, equal_nan=False)
    case('contrib.allclose', [np.array([1, 2], np.int32), np.array([1, 3], np.int32)], grad=False,
         sym=False, atol=1)
    # SSD anchor boxes and box IoU (minigluon/ops/detection.py; no gradient: zeros go back)
    fmap = U(2, 3, 4, 5)
    case('contrib.MultiBoxPrior', [fmap])
    case('contrib.MultiBoxPrior', [fmap], sizes=(0.75, 0.5, 0.25), ratios=(1, 2, 0.5))
    case('contrib.MultiBoxPrior', [U(1, 2, 3, 3)], sizes=(0.5, 0.25), ratios=(4,), clip=True,
         steps=(0.3, 0.2), offsets=(0.1, 0.9))
    case('contrib.MultiBoxPrior', [U(1, 1, 2, 6)], sizes=(0.9,), ratios=(1, 3), clip=True)
    corners = np.sort(RNG.uniform(0, 1, size=(2, 3, 2, 2)), axis=-2).reshape(2, 3, 4)
    corners = corners[..., [0, 2, 1, 3]].astype(np.float32)     # xmin <= xmax, ymin <= ymax
    case('contrib.box_iou', [corners, corners[0]])
    case('contrib.box_iou', [np.array([[0, 0, 1, 1], [0, 0, 0, 0], [0.2, 0.3, 0.5, 0.4]],
                                      np.float32),
                             np.array([[0.5, 0.5, 1, 1], [0, 0, 0, 0], [2, 2, 3, 3]], np.float32)])
    case('contrib.box_iou', [np.abs(U(3, 4)), np.abs(U(2, 4))], format='center')
    # SVMOutput (nn_output.py): L2 and L1 hinge gradients, classes on the last axis
    svm_label = np.array([0, 2, 3, 1], np.float32)
    case('SVMOutput', [U(4, 4) * 2, svm_label])
    case('SVMOutput', [U(4, 4) * 2, svm_label], use_linear=True)
    case('SVMOutput', [U(4, 4) * 2, svm_label], margin=0.5, regularization_coefficient=2.0)
    case('SVMOutput', [U(2, 3, 5) * 2, np.array([[0, 4, 1], [3, 3, 2]], np.float32)],
         margin=1, use_linear=1)
    # the legacy indexing pair: choose_element_0index (pick) and fill_element_0index, whose
    # symbol MXNet 1.9.1 cannot build and whose gradient it does not register
    case('choose_element_0index', [U(3, 4), np.array([5, -1, 1.7], np.float32)])
    case('fill_element_0index', [U(3, 4), U(3), np.array([3, 0, 1.7], np.float32)], grad=False,
         sym=False)
    REC.save(OUT)


if __name__ == '__main__':
    main()
