"""Which input elements a sliding window reads: the geometry that convolution and pooling share.

Per spatial axis, a window of kernel size ``K``, stride ``s`` and dilation ``d`` reads, at kernel
position ``k`` (``0 <= k < K``) and output position ``o``, element ``o * s + k * d`` of the padded
input. The operators loop over the kernel positions (9 for a 3x3 kernel), never over the output
pixels: at one kernel position the elements read by every output form one strided slice
(:func:`window_slices`), so each step is a single NumPy operation.

With a stride, the elements one kernel position reads all lie in one *phase* of the input, the
sub-array ``x[q::s]`` with ``q = k * d % s``, and there form a contiguous run that starts at
index ``k * d // s`` (:func:`phase_positions`). Copying each phase out once turns every later
strided read into a contiguous one (the batch im2col of :mod:`minigluon.ops.conv`, the compiled
depthwise convolution of :mod:`minigluon.ops._conv_depthwise`).
"""
import itertools


def kernel_positions(kernel):
    """Every kernel position, a tuple of one index per spatial axis, in row-major order (the
    order of a convolution weight's trailing axes)."""
    return itertools.product(*[range(n) for n in kernel])


def window_slices(kernel, stride, dilate, out_sp):
    """Per kernel position (row-major), the slices of the padded input's spatial axes read at
    that position by every output position: ``x_padded[(..., *slices)]`` has the output's
    spatial shape ``out_sp``."""
    for k in kernel_positions(kernel):
        yield tuple(slice(ki * d, ki * d + st * (o - 1) + 1, st)
                    for ki, d, st, o in zip(k, dilate, stride, out_sp))


def phase_positions(kernel, stride, dilate):
    """Per kernel position ``k`` (row-major), ``(k, phase, start)``: the phase ``k * dilate %
    stride`` that holds the elements it reads, and ``k * dilate // stride``, where their run
    starts in that phase (both one entry per spatial axis)."""
    for k in kernel_positions(kernel):
        offset = [ki * d for ki, d in zip(k, dilate)]
        yield (k, tuple(o % st for o, st in zip(offset, stride)),
               tuple(o // st for o, st in zip(offset, stride)))


def pad_spatial(xp, x, before, after, value=0):
    """``x`` ``(N, C, *S)`` padded with ``value`` by ``before[i]`` / ``after[i]`` on spatial axis
    ``i`` (``x`` itself when there is nothing to pad)."""
    if not any(before) and not any(after):
        return x
    return xp.pad(x, [(0, 0), (0, 0)] + list(zip(before, after)), mode='constant', constant_values=value)
