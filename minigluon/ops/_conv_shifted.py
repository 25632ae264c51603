"""Stride-1 convolution as a sum of shifted matrix products (no im2col matrix).

For stride 1 the window of an output position ``q`` of the padded grid starts at ``q`` itself, so
with the padded input laid out channel-first and flattened, ``X (C, N * prod(grid))``, the input
seen by kernel position ``k`` is the *column range* ``X[:, off_k : off_k + span]`` where
``off_k = sum_i k_i * dilate_i * grid_stride_i``. Hence::

    Y[:, :span] = sum_k  W[:, :, k] @ X[:, off_k : off_k + span]          (F, span)

computed on the whole padded grid (a few per cent of wasted border columns) and cropped to the
valid outputs afterwards. Every operand is a strided *view* that BLAS reads in place; compared with
the im2col route this saves the ``prod(kernel)``-times larger column matrix (231 MB for a
(32, 64, 56, 56) batch and a 3x3 kernel) and the copies into and out of it. The backward pass is
the same loop: ``dW[:, :, k] = dY @ X[:, off_k:].T`` and ``dX[:, off_k:] += W[:, :, k].T @ dY``.

Used by ``Convolution`` (ops/conv.py) when every stride is 1; the maths is the definition of MXNet's
``Convolution`` (cross-correlation), nothing more.
"""
import itertools

import numpy as np


def offsets(kernel, dilate, grid):
    """Flat offset, in a C-order array of spatial shape ``grid``, of every kernel position
    (row-major order, the order of the weight's trailing axes)."""
    strides = [int(np.prod(grid[i + 1:], dtype=np.int64)) for i in range(len(grid))]
    return [sum(k[i] * dilate[i] * strides[i] for i in range(len(kernel)))
            for k in itertools.product(*[range(n) for n in kernel])]


def forward(xp, xpad, weight, groups, kernel, dilate, out_sp):
    """Convolution of ``xpad (N, C, *grid)`` (already padded) with ``weight (F, C/G, *kernel)``.

    Returns ``(y, xf)``: the contiguous output ``(N, F, *out_sp)`` and the flattened channel-first
    input ``xf (C, N * prod(grid))`` that :func:`backward` needs.
    """
    n, c = xpad.shape[:2]
    f = weight.shape[0]
    grid = tuple(xpad.shape[2:])
    xf = xp.ascontiguousarray(xpad.swapaxes(0, 1)).reshape(c, -1)
    offs = offsets(kernel, dilate, grid)
    span = xf.shape[1] - offs[-1]
    cg, fg = c // groups, f // groups
    wk = weight.reshape(f, cg, -1)
    y = xp.zeros((f, xf.shape[1]), dtype=xp.result_type(xf.dtype, weight.dtype))
    for g in range(groups):
        yg = y[g * fg:(g + 1) * fg, :span]
        for i, off in enumerate(offs):
            yg += wk[g * fg:(g + 1) * fg, :, i] @ xf[g * cg:(g + 1) * cg, off:off + span]
    y = y.reshape((f, n) + grid)[(slice(None), slice(None)) + tuple(slice(0, o) for o in out_sp)]
    return xp.ascontiguousarray(y.swapaxes(0, 1)), xf


def backward(xp, grad, xf, weight, groups, kernel, dilate, grid, pad, data_sp):
    """Gradients ``(d data (N, C, *data_sp), d weight)`` of :func:`forward` for ``grad (N, F, *out)``."""
    n, f = grad.shape[:2]
    c = xf.shape[0]
    out_sp = grad.shape[2:]
    grid = tuple(grid)
    offs = offsets(kernel, dilate, grid)
    span = xf.shape[1] - offs[-1]
    cg, fg = c // groups, f // groups
    gyf = xp.zeros((f, n) + grid, dtype=grad.dtype)
    gyf[(slice(None), slice(None)) + tuple(slice(0, o) for o in out_sp)] = grad.swapaxes(0, 1)
    gyf = gyf.reshape(f, -1)[:, :span]
    wk = weight.reshape(f, cg, -1)
    gw = xp.empty(wk.shape, dtype=grad.dtype)
    gxf = xp.zeros(xf.shape, dtype=grad.dtype)
    for g in range(groups):
        fs, cs = slice(g * fg, (g + 1) * fg), slice(g * cg, (g + 1) * cg)
        for i, off in enumerate(offs):
            gw[fs, :, i] = gyf[fs] @ xf[cs, off:off + span].T
            gxf[cs, off:off + span] += wk[fs, :, i].T @ gyf[fs]
    crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, data_sp))
    gx = gxf.reshape((c, n) + grid)[crop]
    return xp.ascontiguousarray(gx.swapaxes(0, 1)), gw.reshape(weight.shape)
