"""Numba kernels of BatchNorm (optional; :class:`minigluon.ops.norm.BatchNorm` calls them for
contiguous float32/float64 NumPy data when Numba is installed): the inference form, and the
training form below (batch statistics, forward and backward).

With moving statistics BatchNorm is a per-channel affine map, ``(x - mean) * scale + beta``. The
NumPy form makes it in three passes over a new array (subtract, multiply, add in place; NumPy's
broadcast subtract alone took ~6.5 ms for a (8, 256, 56, 56) float32 batch on one core, measured
in session 19); :func:`affine_per_channel` makes it in one pass, with the same three roundings
per element in the same order, so the values are the NumPy form's bit for bit.

In training (batch statistics) the forward is three passes (:func:`channel_sums`,
:func:`centred_square_sums`, then :func:`normalize_per_channel`) and the backward two
(:func:`gradient_sums`, then :func:`batch_grad_data`), with no normalised copy of the data kept.
Every element is rounded as in the NumPy form; the per-channel sums are taken in float64, so
they are as close or closer to exact than NumPy's pairwise sums in the data's dtype, but not
bit-identical to them (the comment above the training kernels has the details and the
measurement).
"""
from minigluon.ops._numba import njit

_jit = njit(error_model='numpy', boundscheck=False, nogil=True)


@_jit
def affine_per_channel(x, mean, scale, beta, out):
    """``out[i, c, j] = (x[i, c, j] - mean[c]) * scale[c] + beta[c]`` for ``x`` and ``out`` of
    shape ``(outer, C, inner)`` (the channel axis in the middle) and per-channel ``(C,)``
    vectors."""
    outer, C, inner = x.shape
    for i in range(outer):
        for c in range(C):
            m, s, b = mean[c], scale[c], beta[c]
            src, dst = x[i, c], out[i, c]
            for j in range(inner):
                dst[j] = (src[j] - m) * s + b


# ---------------------------------------------------------------------------------------------------
# Training: batch statistics (BatchNorm.forward / backward with autograd.is_training())
#
# The NumPy form makes five new arrays of the data's size and passes over memory ten times (mean,
# centred, squares, their mean, scaled in place, times gamma, plus beta; the backward as many);
# these kernels pass three times in the forward (two sums, then the output) and four in the
# backward (two sums reading gy and x, then the data gradient), and keep no normalised copy of
# the data (the backward makes each element of it again, with the forward's roundings). Each
# element is rounded as in the NumPy form, in the same order; the per-channel sums (mean,
# variance, sum(gy), sum(gy * xhat)) are accumulated in float64 in vector lanes instead of NumPy's
# pairwise sums in the data's dtype, so they are as close or closer to exact, not bit-identical
# (a mean or variance sum past the dtype's largest value is made infinite by the caller,
# minigluon.ops.norm._batch_statistics, as summing in the dtype makes it).
# Measured in session 20 with bench/bench_conv.py's (8, 256, 56, 56) float32 batch on one core,
# x PyTorch, in-process A/B against the NumPy form: forward 1.19 -> 0.30, forward + backward
# 1.07 -> 0.41.

_sums = njit(error_model='numpy', boundscheck=False, nogil=True, fastmath={'reassoc'})


@_sums
def channel_sums(x, total):
    """``total[c] = sum(x[:, c, :])`` in float64, ``x (outer, C, inner)``."""
    outer, C, inner = x.shape
    for c in range(C):
        total[c] = 0.0
    for i in range(outer):
        for c in range(C):
            src = x[i, c]
            t = 0.0
            for j in range(inner):
                t += float(src[j])
            total[c] += t


@_sums
def centred_square_sums(x, mean, total):
    """``total[c] = sum((x[:, c, :] - mean[c]) ** 2)``, each difference rounded in the data's
    dtype (as NumPy's ``x - mean``), squared and summed in float64."""
    outer, C, inner = x.shape
    for c in range(C):
        total[c] = 0.0
    for i in range(outer):
        for c in range(C):
            src, m = x[i, c], mean[c]
            t = 0.0
            for j in range(inner):
                d = float(src[j] - m)
                t += d * d
            total[c] += t


@_jit
def normalize_per_channel(x, mean, inv_std, gamma, beta, out):
    """``out = ((x - mean) * inv_std) * gamma + beta`` per channel, rounded after each operation
    (the NumPy form's ``xhat * gamma + beta``)."""
    outer, C, inner = x.shape
    for i in range(outer):
        for c in range(C):
            m, s, g, b = mean[c], inv_std[c], gamma[c], beta[c]
            src, dst = x[i, c], out[i, c]
            for j in range(inner):
                dst[j] = ((src[j] - m) * s) * g + b


@_sums
def gradient_sums(gy, x, mean, inv_std, sum_gy, sum_gy_xhat):
    """Per channel ``sum(gy)`` and ``sum(gy * xhat)``, ``xhat = (x - mean) * inv_std`` (made
    again as the forward made it), in float64."""
    outer, C, inner = x.shape
    for c in range(C):
        sum_gy[c] = 0.0
        sum_gy_xhat[c] = 0.0
    for i in range(outer):
        for c in range(C):
            g, src, m, s = gy[i, c], x[i, c], mean[c], inv_std[c]
            t0 = t1 = 0.0
            for j in range(inner):
                gj = float(g[j])
                t0 += gj
                t1 += gj * float((src[j] - m) * s)
            sum_gy[c] += t0
            sum_gy_xhat[c] += t1


@_jit
def batch_grad_data(gy, x, mean, inv_std, k_xhat, k_const, neg_scale, gx):
    """``gx = (((xhat * k_xhat) - gy) + k_const) * neg_scale`` per channel, rounded after each
    operation as the NumPy form (``xhat = (x - mean) * inv_std`` made again)."""
    outer, C, inner = x.shape
    for i in range(outer):
        for c in range(C):
            m, s, k1, k2, ns = mean[c], inv_std[c], k_xhat[c], k_const[c], neg_scale[c]
            g, src, dst = gy[i, c], x[i, c], gx[i, c]
            for j in range(inner):
                dst[j] = ((((src[j] - m) * s) * k1 - g[j]) + k2) * ns
