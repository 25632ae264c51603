"""The pre-Gluon operators ``BatchNorm_v1``, ``Convolution_v1`` and ``Pooling_v1``.

MXNet kept them (marked DEPRECATED) so that symbol files of its 0.x model zoo load; graphs that
name them run here too. Each is the current operator's kernel under the old name and attribute
set (:class:`~minigluon.ops.norm.BatchNorm`, :class:`~minigluon.ops.conv.Convolution`,
:class:`~minigluon.ops.pooling.Pooling`); ``Pooling_v1`` differs in its arithmetic (zero padding,
a fixed divisor and ties in the max gradient, as MXNet's old pooling), which lives here.

Names, inputs, attributes, defaults and results follow MXNet 1.9.1 (``src/operator/batch_norm_v1*``,
``convolution_v1*``, ``pooling_v1*``), measured with its CPU build.
"""
import numpy as np

from minigluon.ops._pool_argmax import window_slices
from minigluon.ops._window_geometry import pad_spatial
from minigluon.ops.conv import Convolution, _conv_attrs
from minigluon.ops.norm import BatchNorm
from minigluon.ops.pooling import Pooling, _window_reduce
from minigluon.ops.registry import Attr, register, shape_error


@register
class BatchNormV1(BatchNorm):
    """Batch normalisation over axis 1, the pre-1.0 operator (MXNet 1.9.1 ``BatchNorm_v1``).

    Inputs ``data (N, C, ...)``, ``gamma``, ``beta`` and the auxiliary states ``moving_mean``,
    ``moving_var``, all ``(C,)``; attributes ``eps`` (1e-3), ``momentum`` (0.9), ``fix_gamma``
    (True), ``use_global_stats`` and ``output_mean_var`` (False): the maths, the moving-average
    update and ``fix_gamma`` of :class:`~minigluon.ops.norm.BatchNorm`. The outputs with
    ``output_mean_var`` are ``(out, mean, var)``: the batch mean and biased variance in training,
    the moving ones otherwise (``BatchNorm`` gives ``1 / sqrt(var + eps)`` instead of ``var``).

    MXNet 1.9.1 runs it on float32 ``(N, C)`` or ``(N, C, H, W)`` data only ("dimension do not
    match" for other ranks, "data type do not match" for float16 / float64); here any rank of at
    least 2 and the float dtypes of ``BatchNorm`` work. ``mx.nd.BatchNorm_v1`` in MXNet 1.9.1
    cannot be called at all (its generated function takes three arrays and the operator wants
    five); here it takes the five inputs of ``nd.BatchNorm``.

    Raises
    ------
    ValueError
        ``data`` has fewer than 2 dimensions, or a parameter is not ``(C,)``.
    """

    name = 'BatchNorm_v1'
    mxnet_input_names = True
    mxnet_output_names = True
    positional_inputs = 3       # MXNet 1.9.1's signature: (data, gamma, beta, eps, ...)
    attrs = {'eps': Attr('float', 1e-3), 'momentum': Attr('float', 0.9), 'fix_gamma': Attr('bool', True),
             'use_global_stats': Attr('bool', False), 'output_mean_var': Attr('bool', False)}
    axis = 1
    var_output = True

    def list_outputs(self):
        return ['output', 'mean', 'var']

    def forward(self, xp, data, *params):
        if data.ndim < 2:
            raise shape_error(self, 'data must have at least 2 dimensions (N, C, ...)', data, *params)
        return super().forward(xp, data, *params)


@register
class ConvolutionV1(Convolution):
    """Convolution, the pre-1.0 operator (MXNet 1.9.1 ``Convolution_v1``).

    Inputs, shapes, attributes and results of :class:`~minigluon.ops.conv.Convolution` (default
    ``workspace=1024``), for 2-D and 3-D kernels; ``layout`` takes ``NCHW`` / ``NCDHW`` (MXNet
    also lists ``NHWC`` / ``NDHWC`` but refuses them when it runs). MXNet 1.9.1's CPU build runs
    2-D float32 and float64 only ("Volume convolution is not implemented" for 3-D, "FP16 gemm on
    cpu not implemented"); those work here. MXNet 1.9.1's data gradient ignores ``dilate`` (the
    inputs a dilated kernel skips get gradients, measured against numerical differences); here
    it is ``Convolution``'s, exact.

    Raises
    ------
    ValueError
        A 1-D kernel ("1D convolution not supported", as MXNet), or any error of ``Convolution``.
    """

    name = 'Convolution_v1'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = dict(_conv_attrs(1024, False), layout=Attr('str', None, choices=['NCDHW', 'NCHW', 'NDHWC', 'NHWC']))

    def check_attrs(self):
        if len(self.kernel) == 1:
            raise ValueError('Convolution_v1: 1D convolution not supported (kernel=%s); use '
                             'Convolution' % (self.kernel,))
        super().check_attrs()


@register
class PoolingV1(Pooling):
    """Max, average or sum pooling, the pre-1.0 operator (MXNet 1.9.1 ``Pooling_v1``).

    ``data (N, C, H, W)`` or ``(N, C, D, H, W)``; attributes ``kernel``, ``pool_type`` (``max``,
    ``avg``, ``sum``), ``global_pool``, ``pooling_convention`` (``valid``, ``full``), ``stride``
    and ``pad``, with the output sizes of :class:`~minigluon.ops.pooling.Pooling`. Where the
    arithmetic differs from ``Pooling``, it is MXNet's old pooling:

    * ``pad`` adds zeros, which max pooling compares too (a window of negative values that
      reaches into the padding gives 0); the part of a ``'full'`` window past the padded input
      is left out;
    * average pooling always divides by the kernel size ``prod(kernel)`` (``Pooling`` divides a
      ``'full'`` window that runs past the padded input by the part inside it);
    * the max gradient goes to every element equal to its window's maximum (``Pooling``: the
      first one).

    MXNet 1.9.1's CPU build runs 2-D pooling only ("3D kernel not implemented"); 3-D works here,
    with the same arithmetic (MXNet's GPU build hands 3-D windows to cuDNN instead).

    Raises
    ------
    ValueError
        ``data`` is not 4-D or 5-D, or any error of ``Pooling``.
    """

    name = 'Pooling_v1'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'kernel': Attr('shape', (), minimum=1),
             'pool_type': Attr('str', 'max', choices=['avg', 'max', 'sum']),
             'global_pool': Attr('bool', False),
             'pooling_convention': Attr('str', 'valid', choices=['full', 'valid']),
             'stride': Attr('shape', (), minimum=1), 'pad': Attr('shape', (), minimum=0)}
    # the attributes of Pooling this operator does not have, at the values that mean "none"
    layout = None
    p_value = None
    count_include_pad = True
    cudnn_off = False

    def check_attrs(self):
        if not self.global_pool and len(self.kernel) not in (2, 3):
            raise ValueError('Pooling_v1: kernel must have 2 or 3 entries (data (N, C, H, W) or '
                             '(N, C, D, H, W)) unless global_pool=True, got %s' % (self.kernel,))
        super().check_attrs()

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is not None and len(data) not in (4, 5):
            raise ValueError('Pooling_v1: data must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), '
                             'got shape %s' % (tuple(data),))
        return super().infer_shape(in_shapes)

    def forward(self, xp, data):
        if data.ndim not in (4, 5):
            raise shape_error(self, 'data must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W)', data)
        return super().forward(xp, data)

    def _pool(self, xp, data, given):
        if self.pool_type == 'sum':      # (the sum is the same as Pooling's)
            return super()._pool(xp, data, given)
        k, s, before, after, out = self._geometry(data.shape[2:])
        if min(out) < 1:
            raise shape_error(self, 'kernel %s is larger than the padded input' % (k,), given)
        self.geom, self.dshape = (k, s, before, after, out), data.shape
        x = data.astype(np.float32) if data.dtype == np.float16 and self.pool_type == 'avg' else data
        # zeros for ``pad``; past them ('full' windows) a value no window reduction picks up
        beyond = xp.finfo(x.dtype).min if self.pool_type == 'max' else 0
        self.xpad = pad_spatial(xp, pad_spatial(xp, x, before, before), (0,) * len(k),
                         tuple(a - b for a, b in zip(after, before)), beyond)
        if self.pool_type == 'max':
            best = _window_reduce(xp, self.xpad, k, s, out, xp.maximum)
            return best.astype(data.dtype, copy=False)
        self.count = int(np.prod(k))         # read by Pooling's average backward
        return (_window_reduce(xp, self.xpad, k, s, out, xp.add) / self.count).astype(data.dtype,
                                                                                      copy=False)

    def _max_backward(self, xp, g, gpad, disjoint):
        """Add each window's gradient to every element equal to its maximum (MXNet's old
        ``unpool``: tied elements each get it)."""
        k, s, _, _, out = self.geom
        best = _window_reduce(xp, self.xpad, k, s, out, xp.maximum)
        for sl in window_slices(k, s, out):
            gpad[sl] += g * (self.xpad[sl] == best)
