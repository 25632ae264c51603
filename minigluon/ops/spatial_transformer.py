"""The spatial-transformer family: ``GridGenerator``, ``BilinearSampler`` and
``SpatialTransformer`` (Jaderberg et al., "Spatial Transformer Networks", NIPS 2015; names,
inputs, attributes and coordinate conventions of MXNet 1.9.1, ``src/operator/grid_generator*``,
``bilinear_sampler*``, ``spatial_transformer*``).

Coordinates are normalised: ``-1`` is the first pixel's centre and ``+1`` the last's, along each
axis, so that a sampling grid does not depend on the image size. A grid ``(N, 2, Ho, Wo)`` holds
the source x (channel 0) and y (channel 1) of every output pixel. MXNet 1.9.1 runs these on
float32 only (BilinearSampler also on float16 and float64); here all three floating types work.
"""
import numpy as np

from minigluon.backend import scatter_add
from minigluon.ops.registry import Attr, Op, compute_dtype, register, require_float, shape_error


def _axis_coords(xp, size, dtype):
    """``size`` evenly spaced normalised coordinates from -1 to 1 (``[-1]`` for one pixel)."""
    if size == 1:
        return xp.full((1,), -1.0, dtype=dtype)
    return (xp.arange(size, dtype=dtype) * dtype.type(2.0 / (size - 1)) - 1).astype(dtype)


def _half_extent(size):
    """Pixels per unit of normalised coordinate along an axis of ``size`` pixels (1 for one pixel,
    where MXNet 1.9.1 divides by zero)."""
    return (size - 1) / 2.0 if size > 1 else 1.0


# ---------------------------------------------------------------------------------------------------
# GridGenerator


@register
class GridGenerator(Op):
    """A sampling grid for :class:`BilinearSampler` (MXNet 1.9.1 ``GridGenerator``).

    ``transform_type='affine'``: ``data`` ``(N, 6)`` holds each sample's 2x3 affine matrix
    ``theta`` row by row; the output ``(N, 2, H, W)``, ``(H, W) = target_shape``, is
    ``theta @ (x_t, y_t, 1)`` for the normalised target coordinates (``x_t`` from -1 to 1 over W
    columns, ``y_t`` over H rows). ``target_shape`` is required here.

    ``transform_type='warp'``: ``data`` ``(N, 2, H, W)`` is an optical flow in pixels (x, then
    y); the output, same shape, is the normalised position ``(j + flow_x) / ((W - 1) / 2) - 1``
    (and likewise for y with row ``i`` and H). ``target_shape`` is ignored.

    Output dtype = ``data``'s (float16, float32 or float64; MXNet 1.9.1 float32 only). An axis of
    one pixel gets the coordinate -1 (affine) or a scale of 1 (warp), where MXNet 1.9.1 divides
    by zero and returns NaN. Differentiable with respect to ``data``. MXNet also computes a
    hidden second output (the target grid); it is never visible, so it is not produced here.
    Raises ValueError naming ``data`` or ``target_shape`` for a wrong shape.
    """

    name = 'GridGenerator'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'transform_type': Attr('str', choices=['affine', 'warp']),
             'target_shape': Attr('shape', (0, 0))}

    def check_attrs(self):
        if len(self.target_shape) != 2:
            raise ValueError('GridGenerator: target_shape must be (H, W), got %s' % (self.target_shape,))

    def _target(self, data):
        h, w = self.target_shape
        if h < 1 or w < 1:
            raise shape_error(self, "transform_type='affine' needs target_shape=(H, W) with "
                              "positive sizes, got %s" % (tuple(self.target_shape),), data)
        return h, w

    def forward(self, xp, data):
        require_float(self, data)
        dt = compute_dtype(data.dtype)
        if self.transform_type == 'affine':
            if data.ndim != 2 or data.shape[1] != 6:
                raise shape_error(self, "transform_type='affine' needs data of shape (N, 6): "
                                  "one 2x3 affine matrix per sample, row by row", data)
            h, w = self._target(data)
            ys, xs = _axis_coords(xp, h, dt), _axis_coords(xp, w, dt)
            target = xp.stack([xp.tile(xs, h), xp.repeat(ys, w), xp.ones(h * w, dtype=dt)])
            self.target = target                                      # (3, H * W)
            theta = data.astype(dt, copy=False).reshape(-1, 2, 3)
            return (theta @ target).reshape(-1, 2, h, w).astype(data.dtype, copy=False)
        if data.ndim != 4 or data.shape[1] != 2:
            raise shape_error(self, "transform_type='warp' needs data of shape (N, 2, H, W): an "
                              "optical flow, x then y, in pixels", data)
        h, w = data.shape[2:]
        self.scale = xp.asarray([_half_extent(w), _half_extent(h)], dtype=dt).reshape(1, 2, 1, 1)
        pix = xp.stack([xp.broadcast_to(xp.arange(w, dtype=dt), (h, w)),
                        xp.broadcast_to(xp.arange(h, dtype=dt)[:, None], (h, w))])
        out = (data.astype(dt, copy=False) + pix) / self.scale - 1
        return out.astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        dt = compute_dtype(grad.dtype)
        g = grad.astype(dt, copy=False)
        if self.transform_type == 'affine':
            gtheta = g.reshape(g.shape[0], 2, -1) @ self.target.T      # (N, 2, 3)
            return (gtheta.reshape(-1, 6).astype(grad.dtype, copy=False),)
        return ((g / self.scale).astype(grad.dtype, copy=False),)


# ---------------------------------------------------------------------------------------------------
# BilinearSampler


def _corners(xp, data, grid):
    """The sampling geometry of ``grid`` over ``data``: ``(x0, y0, fx, fy)``, each ``(N, P)``:
    the top-left neighbour of every source position (in pixels, as whole-number floats) and the
    position's fractional offsets from it."""
    n, _, h, w = data.shape
    points = int(np.prod(grid.shape[2:]))          # (spelt out: an empty batch has no -1)
    gx = grid[:, 0].reshape(n, points)
    gy = grid[:, 1].reshape(n, points)
    x = (gx + 1) * gx.dtype.type((w - 1) / 2.0)
    y = (gy + 1) * gy.dtype.type((h - 1) / 2.0)
    x0, y0 = xp.floor(x), xp.floor(y)
    return x0, y0, x - x0, y - y0


def _gather(xp, flat, h, w, yy, xx):
    """``flat (N, C, H * W)`` at pixel ``(yy, xx)`` per position ``(N, P)`` (floats holding whole
    numbers), 0 outside the image; also the in-image mask and the flat index."""
    inside = (xx >= 0) & (xx <= w - 1) & (yy >= 0) & (yy <= h - 1)
    idx = (xp.clip(yy, 0, h - 1) * w + xp.clip(xx, 0, w - 1)).astype(np.int64)
    idx = xp.where(inside, idx, 0)
    vals = xp.take_along_axis(flat, xp.broadcast_to(idx[:, None, :], flat.shape[:2] + idx.shape[1:]), axis=2)
    return vals * inside[:, None, :].astype(flat.dtype), inside, idx


@register
class BilinearSampler(Op):
    """Sample ``data`` at the positions of ``grid`` with bilinear interpolation
    (MXNet 1.9.1 ``BilinearSampler``, the sampler of Spatial Transformer Networks).

    ``data`` ``(N, C, H, W)``, ``grid`` ``(N, 2, Ho, Wo)`` of normalised source coordinates (x,
    then y; -1 and 1 are the first and last pixel centres); output ``(N, C, Ho, Wo)`` in
    ``data``'s dtype (float16, float32 or float64; both inputs must have the same dtype). Pixels
    outside the image count as zeros. Differentiable with respect to both inputs (the grid
    gradient is the derivative of the interpolation, defined almost everywhere; at whole-pixel
    positions the right-hand derivative is taken, as in MXNet). ``cudnn_off`` is accepted for
    compatibility and has no effect. Raises ValueError naming the inputs for wrong ranks, a grid
    without 2 channels or different batch sizes.
    """

    name = 'BilinearSampler'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'grid')
    attrs = {'cudnn_off': Attr('bool', None)}

    def forward(self, xp, data, grid):
        require_float(self, data)
        require_float(self, grid, 'grid')
        if data.ndim != 4 or grid.ndim != 4 or grid.shape[1] != 2 or grid.shape[0] != data.shape[0]:
            raise shape_error(self, 'expected data (N, C, H, W) and grid (N, 2, Ho, Wo) with the '
                              'same N', data, grid)
        if grid.dtype != data.dtype:
            raise TypeError('BilinearSampler: data and grid must have the same dtype, got %s and %s'
                            % (data.dtype, grid.dtype))
        dt = compute_dtype(data.dtype)
        self.data = data.astype(dt, copy=False)
        self.grid_shape, self.out_dtype = grid.shape, data.dtype
        self.geom = _corners(xp, self.data, grid.astype(dt, copy=False))
        out = self._sample(xp)[0]
        return out.reshape(data.shape[:2] + grid.shape[2:]).astype(data.dtype, copy=False)

    def _sample(self, xp):
        """The output ``(N, C, P)`` and the four corners' values and flat indices."""
        n, c, h, w = self.data.shape
        flat = self.data.reshape(n, c, h * w)
        x0, y0, fx, fy = self.geom
        corners = []
        for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
            corners.append(_gather(xp, flat, h, w, y0 + dy, x0 + dx))
        (tl, _, _), (tr, _, _), (bl, _, _), (br, _, _) = corners
        one = fx.dtype.type(1)
        fx3, fy3 = fx[:, None, :], fy[:, None, :]
        out = ((tl * (one - fx3) + tr * fx3) * (one - fy3) + (bl * (one - fx3) + br * fx3) * fy3)
        return out, corners

    def backward(self, xp, grad):
        n, c, h, w = self.data.shape
        g = grad.astype(self.data.dtype, copy=False).reshape(n, c, int(np.prod(grad.shape[2:])))
        need = getattr(self, 'needs_input_grad', None) or (True, True)
        _, corners = self._sample(xp)
        x0, y0, fx, fy = self.geom
        one = fx.dtype.type(1)
        gdata = None
        if need[0]:
            gflat = xp.zeros(n * c * h * w, dtype=g.dtype)
            base = (xp.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1)
            weights = ((one - fx) * (one - fy), fx * (one - fy), (one - fx) * fy, fx * fy)
            for (_, inside, idx), wt in zip(corners, weights):
                contrib = g * (wt * inside.astype(g.dtype))[:, None, :]
                full_idx = xp.broadcast_to(base + idx[:, None, :], contrib.shape)
                scatter_add(xp, gflat, full_idx.reshape(-1), contrib.reshape(-1))
            gdata = gflat.reshape(self.data.shape).astype(self.out_dtype, copy=False)
        ggrid = None
        if need[1]:
            (tl, _, _), (tr, _, _), (bl, _, _), (br, _, _) = corners
            fx3, fy3 = fx[:, None, :], fy[:, None, :]
            dx = (g * ((tr - tl) * (one - fy3) + (br - bl) * fy3)).sum(axis=1)
            dy = (g * ((bl - tl) * (one - fx3) + (br - tr) * fx3)).sum(axis=1)
            ggrid = xp.stack([dx * dx.dtype.type((w - 1) / 2.0), dy * dy.dtype.type((h - 1) / 2.0)], axis=1)
            ggrid = ggrid.reshape(self.grid_shape).astype(self.out_dtype, copy=False)
        return gdata, ggrid


# ---------------------------------------------------------------------------------------------------
# SpatialTransformer


@register
class SpatialTransformer(Op):
    """An affine spatial transformer: :class:`GridGenerator` (``'affine'``, ``target_shape``) on
    ``loc`` followed by :class:`BilinearSampler` of ``data`` (MXNet 1.9.1 ``SpatialTransformer``).

    ``data`` ``(N, C, H, W)``, ``loc`` ``(N, 6)`` (each sample's 2x3 affine matrix from target to
    source normalised coordinates, row by row; an identity start is ``(1, 0, 0, 0, 1, 0)``);
    output ``(N, C, *target_shape)`` in ``data``'s dtype (float16, float32 or float64; MXNet 1.9.1
    fails on float16). ``target_shape`` is required in practice: MXNet's default ``(0, 0)`` is
    refused. The only ``transform_type`` is ``'affine'`` and the only ``sampler_type``
    ``'bilinear'``, as in MXNet; both must be given. Source pixels outside the image count as
    zeros. Differentiable with respect to ``data`` and ``loc``. Raises ValueError naming the input
    or ``target_shape`` for wrong shapes.
    """

    name = 'SpatialTransformer'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'loc')
    attrs = {'target_shape': Attr('shape', (0, 0)),
             'transform_type': Attr('str', choices=['affine']),
             'sampler_type': Attr('str', choices=['bilinear']),
             'cudnn_off': Attr('bool', None)}

    def check_attrs(self):
        if len(self.target_shape) != 2:
            raise ValueError('SpatialTransformer: target_shape must be (H, W), got %s'
                             % (self.target_shape,))

    def forward(self, xp, data, loc):
        require_float(self, data)
        require_float(self, loc, 'loc')
        if loc.ndim != 2 or loc.shape[1] != 6 or data.ndim != 4 or loc.shape[0] != data.shape[0]:
            raise shape_error(self, 'expected data (N, C, H, W) and loc (N, 6) with the same N',
                              data, loc)
        if min(self.target_shape) < 1:
            raise shape_error(self, 'target_shape=(H, W) with positive sizes is required, got %s'
                              % (tuple(self.target_shape),), data, loc)
        self.grid_op = GridGenerator(transform_type='affine', target_shape=self.target_shape)
        self.sampler = BilinearSampler()
        self.loc_dtype = loc.dtype
        grid = self.grid_op.forward(xp, loc.astype(data.dtype, copy=False))
        return self.sampler.forward(xp, data, grid)

    def backward(self, xp, grad):
        need = getattr(self, 'needs_input_grad', None) or (True, True)
        self.sampler.needs_input_grad = (need[0], need[1])
        gdata, ggrid = self.sampler.backward(xp, grad)
        gloc = self.grid_op.backward(xp, ggrid)[0].astype(self.loc_dtype, copy=False) if need[1] else None
        return gdata, gloc
