"""Normalisation operators: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, L2Normalization.

Semantics, attributes and defaults follow MXNet 1.9.1 (``mxnet.ndarray.BatchNorm`` ...; Ioffe &
Szegedy 2015, Ba et al. 2016, Ulyanov et al. 2016, Wu & He 2018). float16 data is normalised in
float32 and cast back; variances are computed as ``mean((x - mean)^2)`` (two passes), so inputs of
magnitude 1e4 keep full precision. BatchNorm has compiled passes where Numba is installed
(:mod:`minigluon.ops._norm_numba_kernels`): with moving statistics the NumPy form's values bit for
bit, in training the same roundings per element with per-channel sums in float64.
"""
import numpy as np

from minigluon import autograd
from minigluon.base import MXNetError
from minigluon.ops import _numba
from minigluon.ops.registry import (Attr, Op, normalize_axis, register, require_float, require_float_type,
                                     shape_error)


def _f32(x):
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _narrow(xp, x, dtype):
    """Cast float32 statistics to ``dtype``, saturating at its largest finite value (a float16
    variance of inputs near 1e4 does not fit) instead of overflowing to inf."""
    dtype = np.dtype(dtype)
    if dtype.kind == 'f' and dtype.itemsize < x.dtype.itemsize:
        big = np.finfo(dtype).max
        x = xp.clip(x, -big, big)
    return x.astype(dtype, copy=False)


def _affine(x, axis, mean, scale, beta):
    """``(x - mean) * scale + beta`` with per-channel ``mean``, ``scale`` and ``beta`` shaped to
    broadcast along ``axis`` of ``x``, as one new array: one compiled pass for contiguous float32
    or float64 NumPy data (:mod:`minigluon.ops._norm_numba_kernels`, the same values bit for bit),
    else three NumPy passes (subtract, then multiply and add in place)."""
    kernels = None
    if (isinstance(x, np.ndarray) and x.dtype.char in 'fd' and x.dtype.isnative
            and x.flags.c_contiguous and mean.dtype == scale.dtype == beta.dtype == x.dtype):
        kernels = _numba.kernels('_norm_numba_kernels')
    if kernels is None:
        out = x - mean
        out *= scale
        out += beta
        return out
    out = np.empty_like(x)
    kernels.affine_per_channel(_by_channel(x, axis), mean.ravel(), scale.ravel(), beta.ravel(),
                               _by_channel(out, axis))
    return out


def _by_channel(x, axis):
    """``x`` seen as ``(outer, C, inner)`` with the channel axis in the middle."""
    return x.reshape(int(np.prod(x.shape[:axis])), x.shape[axis], int(np.prod(x.shape[axis + 1:])))


def _batch_kernels(x):
    """The compiled training kernels (:mod:`minigluon.ops._norm_numba_kernels`) when they cover
    ``x``: non-empty contiguous float32/float64 NumPy data; else None (the NumPy form)."""
    if (isinstance(x, np.ndarray) and x.dtype.char in 'fd' and x.dtype.isnative
            and x.flags.c_contiguous and x.size):
        return _numba.kernels('_norm_numba_kernels')
    return None


def _batch_statistics(kernels, x, axis, eps):
    """``(mean, var, inv_std)`` per channel, ``(C,)`` in ``x``'s dtype, by the compiled sums:
    the mean and the biased variance of ``x - mean`` (two passes), each summed in float64.

    A sum past the largest value of ``x``'s dtype is taken as the infinity that summing in that
    dtype gives (the NumPy form, and MXNet 1.9.1, which sums float16/float32 data in float32):
    float32 channels whose sum, or sum of squares, passes 3.4e38 have an infinite mean or
    variance (NaN or ``beta`` outputs) there, as in both, not the finite quotient of the float64
    sum. (A float32 sum that overflows only in a partial sum, cancelled later, is not mimicked.)"""
    x3 = _by_channel(x, axis)
    count = x3.shape[0] * x3.shape[2]
    total = np.empty(x3.shape[1])
    big = np.finfo(x.dtype).max
    kernels.channel_sums(x3, total)
    # (rare: one test per call, the fix only then; element-wise, since the max of sums with a
    # NaN channel's among them is NaN and would hide another channel's overflow)
    if (np.abs(total) > big).any():
        total = np.where(np.abs(total) > big, np.copysign(np.inf, total), total)
    mean = (total / count).astype(x.dtype)
    kernels.centred_square_sums(x3, mean, total)
    if (total > big).any():
        total = np.where(total > big, np.inf, total)
    var = (total / count).astype(x.dtype)
    return mean, var, 1.0 / np.sqrt(var + eps)


def _momentum_weights(momentum, dtype):
    """``(momentum, 1 - momentum)`` as MXNet 1.9.1's BatchNorm forms them: the attribute is a float32
    and ``1 - momentum`` is taken in the accumulation type ``dtype`` (float32 for float16 and
    float32 data, float64 for float64). With 0.9 the weights are 0.9f and 0.100000024, so one
    update of zero statistics by a batch mean of 5.5 gives 0.55000013, as MXNet prints."""
    kind = np.dtype(dtype).type
    m = kind(np.float32(momentum))
    return m, kind(1) - m


def _normalize(xp, x, axes, eps):
    """``(xhat, mean, var, inv_std)``, statistics over ``axes`` (kept as size-1 dimensions).
    Two new arrays of ``x``'s size (the centred values, scaled in place into ``xhat``, and their
    squares): each large new array costs page faults on top of its pass over memory."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / xp.sqrt(var + eps)
    centred *= inv_std
    return centred, mean, var, inv_std


def _normalize_backward(g_xhat, xhat, inv_std, axes):
    """Gradient through ``xhat = (x - mean) * inv_std`` with batch statistics over ``axes``:
    ``(g_xhat - mean(g_xhat) - xhat * mean(g_xhat * xhat)) * inv_std``, in one new array after
    the product's."""
    m1 = g_xhat.mean(axis=axes, keepdims=True)
    m2 = (g_xhat * xhat).mean(axis=axes, keepdims=True)
    gx = xhat * m2
    gx -= g_xhat
    gx += m1
    gx *= -inv_std
    return gx


# ---------------------------------------------------------------------------------------------------
# BatchNorm

@register
class BatchNorm(Op):
    """Batch normalisation over every axis except ``axis`` (MXNet ``BatchNorm``).

    Inputs: ``data`` (any rank >= 1, channels on ``axis``), ``gamma``, ``beta``, ``moving_mean``,
    ``moving_var``, all ``(C,)``. The last two are auxiliary states (``mutate_inputs``).

    * Training (``autograd.is_training()`` and not ``use_global_stats``): normalise with the batch
      mean and biased batch variance, and update the moving statistics **in the forward pass**,
      in place: ``moving = moving * momentum + batch * (1 - momentum)``. (MXNet's CPU build makes
      the same update during backward; minigluon follows its GPU build, so a forward in
      ``train_mode`` without backward also updates them.) An empty batch (a 0 on an axis other
      than ``axis``) leaves them unchanged and gives NaN batch statistics (MXNet 1.9.1 cannot
      make an empty batch).
    * Otherwise: normalise with the moving statistics.

    ``fix_gamma=True`` (the raw operator's default; Gluon passes ``fix_gamma=not scale``) uses
    gamma = 1, writes 1 into the ``gamma`` input in place (as MXNet 1.9.1 does: in eager calls
    and recorded graph calls, not in a hybridized or ``SymbolBlock`` call outside
    ``autograd.record()``, ``graph_inference``, whose stored gamma stays as it was, so that
    ``save_parameters`` and ``export`` write it unchanged) and gives gamma a zero gradient. Outputs ``(out, mean, inv_std)``; the last two,
    per channel, are visible only with ``output_mean_var``: as in MXNet they are the batch (or
    moving) mean and ``1 / sqrt(var + eps)``.

    Backward differentiates what forward computed (batch or moving statistics). MXNet instead
    picks the formula from the backward's ``train_mode``, so an eval-mode forward followed by a
    default ``backward()`` gives a different data gradient there.
    """

    name = 'BatchNorm'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'gamma', 'beta', 'moving_mean', 'moving_var')
    attrs = {'eps': Attr('float', 1e-3), 'momentum': Attr('float', 0.9), 'fix_gamma': Attr('bool', True),
             'use_global_stats': Attr('bool', False), 'output_mean_var': Attr('bool', False),
             'axis': Attr('int', 1), 'cudnn_off': Attr('bool', False),
             'min_calib_range': Attr('float', None), 'max_calib_range': Attr('float', None)}
    num_outputs = 3
    mutate_inputs = (3, 4)
    # True: the third output is the variance (batch or moving) instead of 1 / sqrt(var + eps)
    # (SyncBatchNorm and BatchNorm_v1 in MXNet 1.9.1)
    var_output = False

    def check_attrs(self):
        self.num_visible_outputs = 3 if self.output_mean_var else 1
        if self.eps <= 0:
            raise ValueError('%s: eps must be positive, got %g' % (self.name, self.eps))

    def forward(self, xp, data, gamma, beta, moving_mean, moving_var):
        require_float(self, data)
        if data.ndim < 1:
            raise shape_error(self, 'data must have at least one dimension', data)
        ax = normalize_axis(self.axis, data.ndim, self.name)
        c = data.shape[ax]
        for arr in (gamma, beta, moving_mean, moving_var):
            if arr.shape != (c,):
                raise shape_error(self, 'gamma, beta, moving_mean and moving_var must have shape '
                                  '(%d,) (the size of axis %d of data)' % (c, ax),
                                  data, gamma, beta, moving_mean, moving_var)
        bshape = tuple(c if i == ax else 1 for i in range(data.ndim))
        axes = tuple(i for i in range(data.ndim) if i != ax)
        x = _f32(data)
        self.batch = autograd.is_training() and not self.use_global_stats
        # (compiled only where gamma and beta have the data's dtype: NumPy would promote)
        same = _f32(gamma).dtype == _f32(beta).dtype == x.dtype
        kernels = _batch_kernels(x) if self.batch and same else None
        self.compiled, self.ax = kernels is not None, ax      # (no module on the op: it is copied)
        if self.batch and x.size == 0:
            # an empty batch has no statistics: the moving ones stay as they are (averaging in
            # the NaN of an empty mean would spoil them for good); the hidden outputs are NaN
            nan = xp.full(bshape, np.nan, dtype=x.dtype)
            xhat, mean, inv_std, self.var = x, nan, nan, nan.reshape(c)
        elif self.batch:
            if kernels is not None:         # compiled: no normalised copy kept (xhat None)
                mean, var, inv_std = (v.reshape(bshape) for v in _batch_statistics(kernels, x, ax,
                                                                                   self.eps))
                xhat = None
            else:
                xhat, mean, var, inv_std = _normalize(xp, x, axes, self.eps)
            self.var = var.reshape(c)
            m, rest = _momentum_weights(self.momentum, x.dtype)
            moving_mean[...] = _narrow(xp, _f32(moving_mean) * m + mean.reshape(c) * rest,
                                       moving_mean.dtype)
            moving_var[...] = _narrow(xp, _f32(moving_var) * m + var.reshape(c) * rest, moving_var.dtype)
        else:
            mean = _f32(moving_mean).reshape(bshape)
            self.var = _f32(moving_var)
            # a negative or zero stored variance gives NaN/inf, as in MXNet
            inv_std = 1.0 / xp.sqrt(self.var.reshape(bshape) + self.eps)
            xhat = None         # (x - mean) * inv_std, made by backward if gamma's gradient is read
        if self.fix_gamma:
            # MXNet writes the 1 it uses into the stored gamma (seen with its synchronous
            # NaiveEngine; its threaded engine makes the write a race), so the parameter reads,
            # saves and reloads as ones; its graph inference (a CachedOp call outside
            # autograd.record()) skips the write
            if not self.graph_inference:
                gamma[...] = 1
            g = xp.ones(bshape, dtype=x.dtype)
        else:
            g = _f32(gamma).reshape(bshape)
        self.xhat, self.inv_std, self.g, self.axes, self.dtype = xhat, inv_std, g, axes, data.dtype
        self.x, self.mean, self.pdtype = x, mean, gamma.dtype
        if kernels is not None:
            out = np.empty_like(x)
            kernels.normalize_per_channel(_by_channel(x, ax), mean.ravel(), inv_std.ravel(),
                                          g.ravel(), _f32(beta).ravel(),
                                          _by_channel(out, ax))
        elif xhat is None:        # moving statistics: one new array
            out = _affine(x, ax, mean, g * inv_std, _f32(beta).reshape(bshape))
        else:
            out = xhat * g
            out += _f32(beta).reshape(bshape)
        spread = self.var if self.var_output else inv_std
        return (out.astype(data.dtype, copy=False), mean.reshape(c).astype(data.dtype),
                spread.reshape(c).astype(data.dtype))

    def backward(self, xp, grad, *unused):
        """Batch statistics: with ``s = gamma * inv_std`` and ``M`` elements per channel,
        ``gx = s * (gy - sum(gy) / M - xhat * sum(gy * xhat) / M)``, where ``sum(gy)`` and
        ``sum(gy * xhat)`` are also beta's and gamma's gradients (two new arrays of the data's
        size in all; one with the compiled kernels, :meth:`_compiled_backward`). Moving
        statistics: ``gx = s * gy``."""
        gy = _f32(grad)
        scale = self.g * self.inv_std
        if self.compiled and isinstance(gy, np.ndarray) and gy.dtype == self.x.dtype:
            gy = np.ascontiguousarray(gy)
            kernels = _batch_kernels(gy)
            if kernels is not None:
                return self._compiled_backward(kernels, gy, scale)
        gbeta = gy.sum(axis=self.axes)
        batch = self.batch and gy.size
        xhat, dot = self.xhat, None
        if batch or not self.fix_gamma:
            if xhat is None:
                xhat = (self.x - self.mean) * self.inv_std
            dot = (gy * xhat).sum(axis=self.axes)
        ggamma = xp.zeros_like(gbeta) if self.fix_gamma else dot
        if batch:
            per_channel = gy.size // gbeta.size
            gx = xhat * (dot.reshape(scale.shape) / per_channel)
            gx -= gy
            gx += gbeta.reshape(scale.shape) / per_channel
            gx *= -scale
        else:
            gx = gy * scale         # (an empty batch: an empty gradient)
        return (gx.astype(self.dtype, copy=False), ggamma.astype(self.pdtype),
                gbeta.astype(self.pdtype), None, None)

    def _compiled_backward(self, kernels, gy, scale):
        """:meth:`backward` with batch statistics by the compiled ``kernels`` (where the forward
        used them): the same formula, each element rounded as there, the two sums in float64."""
        x3, g3 = _by_channel(self.x, self.ax), _by_channel(gy, self.ax)
        mean, inv_std = self.mean.ravel(), self.inv_std.ravel()
        sum_gy, sum_gy_xhat = np.empty(x3.shape[1]), np.empty(x3.shape[1])
        kernels.gradient_sums(g3, x3, mean, inv_std, sum_gy, sum_gy_xhat)
        gbeta, dot = sum_gy.astype(gy.dtype), sum_gy_xhat.astype(gy.dtype)
        per_channel = x3.shape[0] * x3.shape[2]
        gx = np.empty_like(gy)
        kernels.batch_grad_data(g3, x3, mean, inv_std, dot / per_channel, gbeta / per_channel,
                                     (-scale).ravel().astype(gy.dtype, copy=False),
                                     _by_channel(gx, self.ax))
        ggamma = np.zeros_like(gbeta) if self.fix_gamma else dot
        return (gx.astype(self.dtype, copy=False), ggamma.astype(self.pdtype),
                gbeta.astype(self.pdtype), None, None)

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None:
            raise MXNetError('BatchNorm: the shape of data is needed')
        ax = normalize_axis(self.axis, len(data), self.name)
        c = (data[ax],)
        return [tuple(data)] + [c] * 4, [tuple(data), c, c]

    def infer_type(self, in_types):
        # MXNet: float16 data keeps float32 parameters and statistics; otherwise all follow data;
        # integer data is refused (as MXNet 1.9.1, even while the parameters' dtypes are unknown).
        # Nothing is learnt before the data's dtype is known (float32 parameters may go with
        # float16 or float32 data), as in MXNet.
        data = in_types[0]
        if data is None:
            return list(in_types), [None, None, None]
        require_float_type(self, data)
        param = np.dtype(np.float32) if np.dtype(data) == np.float16 else np.dtype(data)
        ins = [np.dtype(data)] + [param if t is None else t for t in in_types[1:]]
        return ins, [np.dtype(data), param, param]


@register
class BatchNormWithReLU(BatchNorm):
    """``relu(BatchNorm(...))`` as one operator (MXNet ``_contrib_BatchNormWithReLU``, the op behind
    ``gluon.nn.BatchNormReLU``).

    Inputs, attributes (with the raw operator's defaults) and statistics are those of
    :class:`BatchNorm`. MXNet declares a fourth, hidden output (the ReLU mask); it is kept here so
    that exported graphs count the same outputs (``node_row_ptr``). The gradient passes only where
    the output is positive.
    """

    name = '_contrib_BatchNormWithReLU'
    mxnet_input_names = True
    mxnet_output_names = True
    num_outputs = 4

    def forward(self, xp, *inputs):
        out, mean, inv_std = super().forward(xp, *inputs)
        self.mask = out > 0
        return out * self.mask, mean, inv_std, self.mask.astype(out.dtype)

    def backward(self, xp, grad, *unused):
        return super().backward(xp, grad * self.mask)

    def infer_shape(self, in_shapes):
        ins, outs = super().infer_shape(in_shapes)
        return ins, outs + [outs[0]]

    def infer_type(self, in_types):
        ins, outs = super().infer_type(in_types)
        return ins, outs + [outs[0]]


@register
class SyncBatchNorm(BatchNorm):
    """Batch normalisation synchronised across devices (MXNet ``_contrib_SyncBatchNorm``, the op
    behind ``gluon.contrib.nn.SyncBatchNorm``; Zhang et al., CVPR 2018).

    minigluon runs one device per operator call, so this is :class:`BatchNorm` over ``axis=1``
    (MXNet's SyncBatchNorm has no ``axis``): same inputs, statistics and moving-average update.
    ``ndev`` (the number of devices) and ``key`` (a string naming the layer, required) are kept
    for MXNet's graph files. As in MXNet, the visible statistics with ``output_mean_var`` are the
    mean and the *variance* (BatchNorm gives ``1 / sqrt(var + eps)``).

    Raises
    ------
    ValueError
        ``ndev`` is below 1, or any error of :class:`BatchNorm`.
    """

    name = '_contrib_SyncBatchNorm'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'eps': Attr('float', 1e-3), 'momentum': Attr('float', 0.9), 'fix_gamma': Attr('bool', True),
             'use_global_stats': Attr('bool', False), 'output_mean_var': Attr('bool', False),
             'ndev': Attr('int', 1), 'key': Attr('str')}
    axis = 1
    var_output = True

    def check_attrs(self):
        super().check_attrs()
        if self.ndev < 1:
            raise ValueError('_contrib_SyncBatchNorm: ndev must be at least 1, got %d' % self.ndev)

    def list_outputs(self):
        return ['output', 'mean', 'var']


# ---------------------------------------------------------------------------------------------------
# LayerNorm, InstanceNorm, GroupNorm


class _StatNorm(Op):
    """Shared backward of the norms that always use the statistics of their own input."""

    arguments = ('data', 'gamma', 'beta')
    num_outputs = 3

    def check_attrs(self):
        self.num_visible_outputs = 3 if getattr(self, 'output_mean_var', False) else 1

    def _finish(self, xp, data, xhat, inv_std, gamma, beta, pshape):
        self.xhat, self.inv_std, self.dtype, self.pdtype = xhat, inv_std, data.dtype, gamma.dtype
        self.gamma_b = _f32(gamma).reshape(pshape)
        return xhat * self.gamma_b + _f32(beta).reshape(pshape)

    def _backward(self, xp, grad, norm_axes, xshape, param_axes):
        gy = _f32(grad).reshape(xshape)
        gx = _normalize_backward(gy * self.gamma_b, self.xhat, self.inv_std, norm_axes)
        ggamma = (gy * self.xhat).sum(axis=param_axes)
        gbeta = gy.sum(axis=param_axes)
        return (gx.reshape(grad.shape).astype(self.dtype, copy=False),
                ggamma.astype(self.pdtype), gbeta.astype(self.pdtype))


@register
class LayerNorm(_StatNorm):
    """Layer normalisation over ``axis`` (MXNet ``LayerNorm``): ``gamma``/``beta`` have shape
    ``(data.shape[axis],)``. Outputs ``(out, mean, std)``; mean and std keep ``axis`` as size 1 and
    are visible only with ``output_mean_var``."""

    name = 'LayerNorm'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'axis': Attr('int', -1), 'eps': Attr('float', 1e-5), 'output_mean_var': Attr('bool', False)}

    def forward(self, xp, data, gamma, beta):
        require_float(self, data)
        ax = self.ax = normalize_axis(self.axis, data.ndim, self.name)
        c = data.shape[ax]
        if gamma.shape != (c,) or beta.shape != (c,):
            raise shape_error(self, 'gamma and beta must have shape (%d,)' % c, data, gamma, beta)
        pshape = tuple(c if i == ax else 1 for i in range(data.ndim))
        xhat, mean, _, inv_std = _normalize(xp, _f32(data), ax, self.eps)
        out = self._finish(xp, data, xhat, inv_std, gamma, beta, pshape)
        return (out.astype(data.dtype, copy=False), mean.astype(data.dtype),
                (1.0 / inv_std).astype(data.dtype))

    def backward(self, xp, grad, *unused):
        axes = tuple(i for i in range(grad.ndim) if i != self.ax)
        return self._backward(xp, grad, self.ax, grad.shape, axes)

    def infer_shape(self, in_shapes):
        d = tuple(in_shapes[0])
        ax = normalize_axis(self.axis, len(d), self.name)
        stat = tuple(1 if i == ax else n for i, n in enumerate(d))
        return [d, (d[ax],), (d[ax],)], [d, stat, stat]


@register
class InstanceNorm(_StatNorm):
    """Instance normalisation (MXNet ``InstanceNorm``): each ``(n, c)`` feature map of ``data``
    ``(N, C, *spatial)`` is normalised over its spatial axes, then scaled by ``gamma (C,)`` and
    shifted by ``beta (C,)``. Hidden outputs: mean and variance ``(N, C)``. float64 and float16
    work; MXNet 1.9.1's CPU build refuses every dtype but float32 ("Unsupported data type")."""

    name = 'InstanceNorm'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'eps': Attr('float', 1e-3)}

    def forward(self, xp, data, gamma, beta):
        require_float(self, data)
        if data.ndim < 3:
            raise shape_error(self, 'data must be (N, C, *spatial) with at least one spatial axis', data)
        c = data.shape[1]
        if gamma.shape != (c,) or beta.shape != (c,):
            raise shape_error(self, 'gamma and beta must have shape (%d,)' % c, data, gamma, beta)
        axes = tuple(range(2, data.ndim))
        xhat, mean, var, inv_std = _normalize(xp, _f32(data), axes, self.eps)
        out = self._finish(xp, data, xhat, inv_std, gamma, beta, (1, c) + (1,) * len(axes))
        n = data.shape[0]
        var = 1.0 / (inv_std * inv_std) - self.eps
        return (out.astype(data.dtype, copy=False), _narrow(xp, mean.reshape(n, c), data.dtype),
                _narrow(xp, var.reshape(n, c), data.dtype))

    def backward(self, xp, grad, *unused):
        axes = tuple(range(2, grad.ndim))
        return self._backward(xp, grad, axes, grad.shape, (0,) + axes)

    def infer_shape(self, in_shapes):
        d = tuple(in_shapes[0])
        return [d, (d[1],), (d[1],)], [d, d[:2], d[:2]]

    def infer_type(self, in_types):
        if in_types[0] is not None:     # integer data is refused, as MXNet 1.9.1
            require_float_type(self, in_types[0])
        return super().infer_type(in_types)


@register
class GroupNorm(_StatNorm):
    """Group normalisation (MXNet ``GroupNorm``): the channels of ``data (N, C, ...)`` are split
    into ``num_groups`` groups, each normalised over its channels and spatial positions. As in
    MXNet 1.9.1, ``gamma`` and ``beta`` have shape ``(num_groups,)`` (one scale per group).
    Outputs ``(out, mean, std)``, the last two ``(N, num_groups)``, visible with ``output_mean_var``."""

    name = 'GroupNorm'
    mxnet_input_names = True
    mxnet_output_names = True
    # num_groups=0: MXNet 1.9.1 dies of a division by zero (SIGFPE)
    attrs = {'num_groups': Attr('int', 1, minimum=1), 'eps': Attr('float', 1e-5),
             'output_mean_var': Attr('bool', False)}

    def forward(self, xp, data, gamma, beta):
        require_float(self, data)
        g = self.num_groups
        if data.ndim < 2 or data.shape[1] % g:
            raise shape_error(self, 'data must be (N, C, ...) with C divisible by num_groups=%d' % g,
                              data, gamma, beta)
        if gamma.shape != (g,) or beta.shape != (g,):
            raise shape_error(self, 'gamma and beta must have shape (num_groups,) = (%d,)' % g,
                              data, gamma, beta)
        n = data.shape[0]
        # the group size spelled out: reshape cannot infer a -1 beside an empty batch (n = 0)
        x = _f32(data).reshape(n, g, int(np.prod(data.shape[1:])) // g)
        xhat, mean, _, inv_std = _normalize(xp, x, 2, self.eps)
        out = self._finish(xp, data, xhat, inv_std, gamma, beta, (1, g, 1))
        return (out.reshape(data.shape).astype(data.dtype, copy=False),
                mean.reshape(n, g).astype(data.dtype), (1.0 / inv_std).reshape(n, g).astype(data.dtype))

    def backward(self, xp, grad, *unused):
        n, g = grad.shape[0], self.num_groups
        return self._backward(xp, grad, 2, (n, g, int(np.prod(grad.shape[1:])) // g), (0, 2))

    def infer_shape(self, in_shapes):
        d = tuple(in_shapes[0])
        g = (self.num_groups,)
        return [d, g, g], [d, (d[0], self.num_groups), (d[0], self.num_groups)]


# ---------------------------------------------------------------------------------------------------
# L2Normalization

@register
class L2Normalization(Op):
    """``x / sqrt(sum(x^2) + eps)`` (MXNet ``L2Normalization``); the sum runs over every axis but
    the first (``mode='instance'``), over axis 1 (``'channel'``) or over axes 2 and up
    (``'spatial'``). A hidden second output holds the norms."""

    name = 'L2Normalization'
    mxnet_input_names = True
    mxnet_output_names = True
    same_shape = True
    attrs = {'eps': Attr('float', 1e-10), 'mode': Attr('str', 'instance', choices=['channel', 'instance', 'spatial'])}
    num_outputs, num_visible_outputs = 2, 1

    def _axes(self, ndim):
        if self.mode == 'instance':
            return tuple(range(1, ndim))
        if self.mode == 'channel':
            return (1,)
        return tuple(range(2, ndim))

    def forward(self, xp, data):
        require_float(self, data)
        need = 2 if self.mode == 'instance' else 3 if self.mode == 'spatial' else 2
        if data.ndim < need:
            raise shape_error(self, "data needs at least %d dimensions for mode '%s'" % (need, self.mode), data)
        x = _f32(data)
        self.axes = self._axes(data.ndim)
        self.norm = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True) + self.eps)
        self.y, self.dtype = x / self.norm, data.dtype
        norm_out = self.norm.reshape(self.norm.shape[:1] + tuple(
            n for i, n in enumerate(self.norm.shape) if i > 0 and i not in self.axes))
        return self.y.astype(data.dtype, copy=False), _narrow(xp, norm_out, data.dtype)

    def backward(self, xp, grad, *unused):
        g = _f32(grad)
        gx = (g - self.y * (g * self.y).sum(axis=self.axes, keepdims=True)) / self.norm
        return (gx.astype(self.dtype, copy=False),)
