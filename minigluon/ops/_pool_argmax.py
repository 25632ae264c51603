"""Max pooling that keeps each window's winner for its backward (see ``Pooling._keeps_argmax``).

The winner of a window is its first maximum in row-major kernel order, or its first NaN when the
maximum is NaN: the choice of ``Pooling._max_backward``, which recomputes the maxima instead.
Keeping it in the forward, as the index of the winning kernel position (:func:`winning_positions`),
spares the backward a second look at the input; :func:`scatter_positions` then gives that
backward's gradient bit for bit (the same products ``g * hit``, in the same order).

Under static_alloc the kept positions live in the operator's workspace
(:mod:`minigluon.ops._workspace`) and are handed out again only once the graph holding them is gone.

With Numba installed, 2-D windows on NumPy float32/64 arrays run as two compiled kernels
instead, with the same results bit for bit (:mod:`minigluon.ops._pool_numba_kernels`): 2x2 windows
with stride 2 (``MaxPool2D``'s default) by kernels written for them (captcha's first pool forward
~5 -> ~1 ms, backward ~3.5 -> ~1.5 ms), other windows by general ones (ResNet's 3x3 stride-2
pool of a (8, 64, 112, 112) batch, forward + backward, measured with bench/bench_conv.py: 1.4-1.7
times PyTorch's time with the NumPy passes, 1.1 times compiled); with several CPU workers, each
takes a range of the images. On a GPU the 2x2 stride-2 windows run as two CUDA kernels
(:mod:`minigluon.ops._pool_cuda`), also bit for bit.

Measured and not adopted: for 2x2 windows with stride 2, finding the winner of each horizontal
pair, then of the two rows (two passes over half of the input and two over a quarter, instead of
twelve quarter-size passes with strided reads), converted to positions with uint8 arithmetic.
Bit-identical, but the captcha training step moved by -4% eager and +-1% hybridized (interleaved
A/B, 15-25 pairs of steps): not worth a second code path.
"""
import functools

import numpy as np

from minigluon.ops import _numba, _parallel, _pool_cuda
from minigluon.ops import _window_geometry as _geometry
from minigluon.ops._workspace import buffer


def window_slices(kernel, stride, out_sp):
    """Per kernel position (row-major order), the slices ``(:, :, k0::s0, k1::s1...)`` of an
    ``(N, C, *S)`` input that pick the window elements at that position for every output
    position (pooling has no dilation)."""
    lead = (slice(None), slice(None))
    for sl in _geometry.window_slices(kernel, stride, (1,) * len(kernel), out_sp):
        yield lead + sl


def _compiled(xp, kernel, dtype):
    """The compiled kernels when they cover this call (see the module docstring), else None."""
    if (xp is np and len(kernel) == 2
            and np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64))):
        return _numba.kernels('_pool_numba_kernels')
    return None


def _is_2x2(kernel, stride):
    return tuple(kernel) == (2, 2) and tuple(stride) == (2, 2)


def _by_images(kernel, *arrays, flags=()):
    """``kernel(*arrays, *flags)``, or with several CPU workers (:mod:`minigluon.ops._parallel`)
    one call per worker on a contiguous range of images (the first axis of each array): every
    window is computed alone, so the results are the same bit for bit."""
    n, count = arrays[0].shape[0], _parallel.workers()
    if count == 1 or n < 2:
        kernel(*arrays, *flags)
        return
    _parallel.run([functools.partial(kernel, *(a[lo:hi] for a in arrays), *flags)
                   for lo, hi in _parallel.image_chunks(n, count)], np)


def winning_positions(xp, xpad, kernel, stride, out_sp, dtype, ws, relu=False):
    """Per window of the padded input ``xpad``, its winning kernel position (row-major index, in
    the smallest unsigned type that holds ``prod(kernel)``; workspace key ``'argpos'``), and the
    maxima (``'out'``). One pass per kernel position ``p`` keeps the running maximum and marks
    where ``p`` is strictly greater; positions only grow, so ``pos = maximum(pos, p * greater)``
    ends at the last strict increase, the first maximum (a masked ``copyto`` is several times
    slower). Windows whose maximum is NaN are redone: their first NaN wins (rare).

    ``relu=True`` (a relu fused after the pooling by the hybridized executor's plan): the maxima
    become ``maximum(max, 0)``, and windows whose maximum is not above 0 (NaN included) get the
    position ``prod(kernel)``, which :func:`scatter_positions` matches nowhere, so their gradient
    is ``g * 0`` everywhere: the relu's backward ``g * (y > 0)`` followed by the scatter, bit for
    bit. (Not for float16, whose NumPy ``maximum(-0.0, 0)`` keeps ``-0.0`` where eager's relu,
    computed in float32, gives ``+0.0``: :class:`~minigluon.executor_plan._MaxPoolRelu` runs
    eager's relu for float16.)"""
    shape = xpad.shape[:2] + tuple(out_sp)
    slices = list(window_slices(kernel, stride, out_sp))
    best = buffer(xp, ws, 'out', shape, dtype)
    postype = np.min_scalar_type(len(slices))
    if _pool_cuda.supported(xp, kernel, stride, xpad.dtype):     # a GPU: one launch
        pos = buffer(xp, ws, 'argpos', shape, postype)
        _pool_cuda.argmax_pool_2x2(xp, xpad, best, pos, relu)
        return pos, best
    compiled = _compiled(xp, kernel, xpad.dtype)
    if compiled is not None:
        pos = buffer(xp, ws, 'argpos', shape, postype)
        if _is_2x2(kernel, stride):
            _by_images(compiled.argmax_pool_2x2, xpad, best, pos, flags=(bool(relu),))
        else:
            _by_images(compiled.argmax_pool_2d, xpad, best, pos,
                       flags=tuple(kernel) + tuple(stride) + (bool(relu),))
        return pos, best
    best[...] = xpad[slices[0]]
    pos = buffer(xp, ws, 'argpos', shape, postype, zero=True)
    up = buffer(xp, ws, 'hit', shape, np.dtype(bool))
    term = buffer(xp, ws, 'term', shape, postype)
    for p in range(1, len(slices)):
        vals = xpad[slices[p]]
        xp.greater(vals, best, out=up)
        xp.maximum(best, vals, out=best)
        xp.multiply(up, postype.type(p), out=term)
        xp.maximum(pos, term, out=pos)
    nan_windows = xp.isnan(best)
    if nan_windows.any():
        taken = nan_windows.copy()             # windows with a NaN: the first NaN wins
        pos[nan_windows] = 0
        for p, sl in enumerate(slices):
            xp.isnan(xpad[sl], out=up)
            up &= taken
            pos[up] = p
            taken &= ~up
    if relu:
        xp.greater(best, 0, out=up)
        pos[~up] = len(slices)
        xp.maximum(best, 0, out=best)
    return pos, best


def scatter_positions(xp, pos, kernel, stride, out_sp, g, gpad, disjoint, ws):
    """The backward of :func:`winning_positions`: per kernel position, ``g`` where that position
    won and ``g * 0`` elsewhere, written (``disjoint`` windows) or added into ``gpad``."""
    if (_pool_cuda.supported(xp, kernel, stride, g.dtype) and gpad.dtype == g.dtype
            and pos.dtype == np.uint8 and pos.flags.c_contiguous
            and _pool_cuda.planes(gpad) is not None):         # a GPU: one launch
        _pool_cuda.scatter_2x2(xp, g, pos, gpad)
        return
    compiled = _compiled(xp, kernel, g.dtype)
    if compiled is not None and gpad.dtype == g.dtype:
        if _is_2x2(kernel, stride):                         # (always disjoint)
            _by_images(compiled.scatter_2x2, g, pos, gpad)
        else:
            _by_images(compiled.scatter_2d, g, pos, gpad,
                       flags=tuple(kernel) + tuple(stride) + (bool(disjoint),))
        return
    hit = buffer(xp, ws, 'hit', g.shape, np.dtype(bool))
    for p, sl in enumerate(window_slices(kernel, stride, out_sp)):
        xp.equal(pos, p, out=hit)
        if disjoint:
            xp.multiply(g, hit, out=gpad[sl])
        else:
            gpad[sl] += g * hit
