"""Numba kernel for Adam's update on the CPU (optional; see
:func:`minigluon.ops.update_kernels.adam`, which calls it when Numba is installed).

The array form is about fifteen NumPy calls per parameter, ~30 us for a typical layer's weights
(12 parameters of the ctc benchmark model: 0.38 ms a step, against 0.06 ms here). This is the
same update in one pass, element by element, in the same order of operations and the weight's
dtype. Numba compiles it without fast-math, so nothing is contracted into a fused multiply-add and
division and square root are IEEE's: bit for bit the array form's numbers, hence MXNet's
(tests/test_optimizer.py's fixtures). It is the CPU twin of :mod:`minigluon.ops._update_cuda`.
"""
import numpy as np

from minigluon.ops._numba import njit

_jit = njit(error_model='numpy', nogil=True)


@_jit
def adam_update(w, grad, mean, var, rescale, wd, clip, use_clip, b1, one_b1, b2, one_b2, lr,
                eps):
    """Flat ``w``, ``grad``, ``mean``, ``var`` of one dtype; the scalars already in that dtype
    (``use_clip`` a bool): ``g = rescale * grad + wd * w`` (also at ``wd == 0``, as MXNet: an inf
    weight gives NaN), clipped, the two moments, ``w -= lr * mean / (sqrt(var) + eps)``."""
    for k in range(w.size):
        g = grad[k] * rescale
        g = g + wd * w[k]
        if use_clip:
            g = -clip if g < -clip else (clip if g > clip else g)
        m = b1 * mean[k] + one_b1 * g
        v = b2 * var[k] + one_b2 * g * g
        mean[k] = m
        var[k] = v
        w[k] = w[k] - lr * m / (np.sqrt(v) + eps)
