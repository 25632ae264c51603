"""Neural-network layer operators: FullyConnected, activations, softmax family, Dropout, Embedding
(the Module-era output heads SoftmaxOutput, MakeLoss... are in :mod:`minigluon.ops.nn_output`).

Semantics, names, attributes and defaults follow the MXNet 1.9.1 operator reference
(``mxnet.ndarray.FullyConnected`` ...). float16 inputs are computed in float32 internally and cast
back, so that no NaN or inf appears from finite input.
"""
import math

import numpy as np

from minigluon import autograd, backend
from minigluon.base import MXNetError
from minigluon.ops._special import erf
from minigluon.ops.registry import (Attr, Op, check_given_shapes, fill_unknown, normalize_axis, register, require_float,
                                    shape_error)


def _f32(x):
    """float16 -> float32 for the arithmetic (returns other dtypes unchanged)."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _generator(xp):
    from minigluon import random as _random
    return _random.generator(xp)


def _softmax(xp, z, axis):
    """Numerically stable softmax of ``z`` along ``axis`` (rows of -inf give zeros)."""
    m = z.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    e = xp.exp(z - m)
    s = e.sum(axis=axis, keepdims=True)
    return e / xp.where(s == 0, 1, s)


def _log_softmax(xp, z, axis):
    m = z.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    s = xp.exp(z - m).sum(axis=axis, keepdims=True)
    return z - m - xp.log(xp.where(s == 0, 1, s))


# ---------------------------------------------------------------------------------------------------
# FullyConnected

@register
class FullyConnected(Op):
    """``out = data @ weight.T + bias`` (MXNet ``FullyConnected``).

    ``data`` is ``(N, ...)``: with ``flatten=True`` it is viewed as ``(N, in_units)`` (1-D data
    ``(N,)`` as ``(N, 1)``, as in MXNet 1.9.1); with
    ``flatten=False`` the product acts on the last axis, giving ``(..., num_hidden)``.
    ``weight`` is ``(num_hidden, in_units)``, ``bias`` ``(num_hidden,)`` (absent if ``no_bias``).
    The gradient of each input is computed whatever the others' ``grad_req``: a frozen weight
    (``grad_req='null'``) still gives the bias its gradient (MXNet 1.9.1's float32 CPU kernel
    leaves it at zero then).
    """

    name = 'FullyConnected'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'weight', 'bias')
    dtype_from_inputs = (0, 1, 2)
    attrs = {'num_hidden': Attr('int'), 'no_bias': Attr('bool', False), 'flatten': Attr('bool', True)}

    def check_attrs(self):
        if self.num_hidden < 1:
            raise ValueError('FullyConnected: num_hidden must be positive, got %d' % self.num_hidden)

    def list_arguments(self):
        return ['data', 'weight'] if self.no_bias else ['data', 'weight', 'bias']

    def _in_units(self, shape):
        return int(np.prod(shape[1:])) if self.flatten else shape[-1]

    def forward(self, xp, data, weight, bias=None):
        if data.ndim < 1:
            raise shape_error(self, 'data must have at least 1 dimension', data, weight, bias)
        # with flatten, (N, ...) is viewed as (N, prod(...)): 1-D data (N,) as (N, 1), as MXNet does
        # (sizes spelt out: -1 cannot be inferred for an empty batch)
        x = data.reshape(data.shape[0], self._in_units(data.shape)) if self.flatten else data
        if weight.shape != (self.num_hidden, x.shape[-1]):
            if weight.ndim == 2 and weight.shape[0] == self.num_hidden:
                # the usual case: a layer built for in_units features gets another number
                raise shape_error(self, 'data has %d features per sample%s, but the weight %s '
                                  'expects in_units=%d' % (
                                      x.shape[-1], ' (flattened)' if self.flatten else '',
                                      tuple(weight.shape), weight.shape[1]), data, weight, bias)
            raise shape_error(self, 'weight must have shape (num_hidden, in_units) = %s'
                              % ((self.num_hidden, x.shape[-1]),), data, weight, bias)
        if bias is not None and bias.shape != (self.num_hidden,):
            raise shape_error(self, 'bias must have shape (%d,)' % self.num_hidden, data, weight, bias)
        self.data_shape, self.x, self.weight = data.shape, x, weight
        out = xp.matmul(x, weight.T)
        return out + bias if bias is not None else out

    def backward(self, xp, grad):
        g2 = grad.reshape(-1, self.num_hidden)
        need = getattr(self, 'needs_input_grad', None)     # set by autograd / CachedOp
        gx = xp.matmul(grad, self.weight).reshape(self.data_shape) if need is None or need[0] else None
        gw = xp.matmul(g2.T, self.x.reshape(-1, self.weight.shape[1])) if need is None or need[1] else None
        return (gx, gw) if self.no_bias else (gx, gw, g2.sum(axis=0))

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or (len(data) > 1 and 0 in (data[1:] if self.flatten else data[-1:])):
            raise MXNetError('FullyConnected: the shape of data is needed to infer weight and bias')
        in_units = self._in_units(data)
        outs = getattr(self, '_infer_outputs', None)      # set by the graph's shape inference
        if outs and outs[0] is not None and 0 in data:
            # batch dimension(s) unknown (a cell's zero begin state): read them off the output
            lead = outs[0][:1] if self.flatten else outs[0][:-1]
            data = tuple(d or o for d, o in zip(data[:len(lead)], lead)) + tuple(data[len(lead):])
        want = [tuple(data), (self.num_hidden, in_units)] + ([] if self.no_bias else [(self.num_hidden,)])
        check_given_shapes(self, in_shapes, want)
        out = (data[0], self.num_hidden) if self.flatten else tuple(data[:-1]) + (self.num_hidden,)
        return want, [out]


# ---------------------------------------------------------------------------------------------------
# Activations

def _sigmoid(xp, x):
    """``1 / (1 + e^-x)``, MXNet's formula (mshadow_op::sigmoid): in the input's dtype, float16
    through float32 (as MXNet, whose ``exp`` of a half is a float; in float16 ``e^12`` would
    overflow and ``sigmoid(-12)``, 6.1e-6, become 0). For large negative ``x``, ``e^-x``
    overflows to inf and the result is 0, silently: operator kernels run with NumPy's
    floating-point errors ignored (minigluon/_fp_errors.py). About 7x faster than the
    overflow-free ``exp(-logaddexp(0, -x))`` (48 against 330 us for 12,288 float32 values)."""
    if x.dtype == xp.float16:
        return (1 / (1 + xp.exp(-x.astype(xp.float32)))).astype(xp.float16)
    return 1 / (1 + xp.exp(-x))


def _sigmoid_grad(xp, g, y):
    """sigmoid's backward from its output ``y`` (of the data's dtype) as MXNet 1.9.1 computes it
    (mshadow_op::sigmoid_grad, then the product with the head gradient): ``g * (y * (1 - y))``,
    the derivative rounded to the dtype before the product; for float16 each of the two steps
    computed in float32 and rounded once (NumPy's float16 ``(1 - y)`` would round first: the
    gradient at -8 came out one float16 step below MXNet's)."""
    if y.dtype == xp.float16:
        y32 = y.astype(xp.float32)
        d = (y32 * (1 - y32)).astype(xp.float16)
        return (g.astype(xp.float32) * d).astype(xp.float16)
    return g * (y * (1 - y))


_ACT = {  # act_type -> (forward f(x), derivative d(x, y)); sigmoid's backward: _sigmoid_grad
    'relu': (lambda xp, x: xp.maximum(x, 0), lambda xp, x, y: (x > 0).astype(x.dtype)),
    'sigmoid': (_sigmoid, None),
    'tanh': (lambda xp, x: xp.tanh(x), lambda xp, x, y: 1 - y * y),
    'softrelu': (lambda xp, x: xp.logaddexp(0, x), lambda xp, x, y: _sigmoid(xp, x)),
    'softsign': (lambda xp, x: x / (1 + xp.abs(x)), lambda xp, x, y: 1 / (1 + xp.abs(x)) ** 2),
}


@register
class Activation(Op):
    """Element-wise activation ``act_type``: relu, sigmoid, tanh, softrelu (``log(1 + e^x)``) or
    softsign (``x / (1 + |x|)``) (MXNet ``Activation``). Any shape; output has the input's dtype.

    NaN stays NaN under relu, as in ``relu``; MXNet 1.9.1's ``Activation`` relu turns it into 0
    (its ``relu`` operator keeps it), which would hide a diverged network."""

    name = 'Activation'
    mxnet_output_names = True
    attrs = {'act_type': Attr('str', choices=sorted(_ACT))}
    same_shape = True

    def forward(self, xp, data):
        require_float(self, data)
        self.x = _f32(data)
        self.y = _ACT[self.act_type][0](xp, self.x)
        out = self.y.astype(data.dtype, copy=False)
        if self.act_type == 'sigmoid':
            self.y = out        # its backward reads the output, as MXNet's
        return out

    def backward(self, xp, grad):
        if self.act_type == 'sigmoid':
            return (_sigmoid_grad(xp, grad, self.y),)
        d = _ACT[self.act_type][1](xp, self.x, self.y)
        return ((_f32(grad) * d).astype(grad.dtype, copy=False),)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


@register
class LeakyReLU(Op):
    """Leaky rectifiers (MXNet ``LeakyReLU``); ``x > 0`` passes unchanged except for selu/gelu.

    act_type: ``leaky`` (``slope * x`` below 0), ``prelu`` (learned ``gamma``, shape ``(C,)`` on
    axis 1 or ``(1,)``), ``elu`` (``slope * (e^x - 1)``), ``selu`` (Klambauer et al. 2017 constants),
    ``gelu`` (``x * Phi(x)``, erf form), ``rrelu`` (random slope in ``[lower_bound, upper_bound]``
    while training, their mean otherwise; a second output ``mask`` holds the slopes -- in eval
    mode that mean, where MXNet 1.9.1 leaves the mask and hence the gradient uninitialised).

    The selu gradient below 0 is the true derivative ``lambda * alpha * e^x``; MXNet 1.9.1 returns
    ``lambda * (out + alpha)`` there, which is not the derivative of its own forward.
    On float64 data minigluon computes in float64; MXNet 1.9.1 computes ``leaky``, ``prelu``,
    ``selu`` and ``gelu`` at float32 precision (relative differences around 1e-8).
    """

    name = 'LeakyReLU'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'gamma')
    attrs = {'act_type': Attr('str', 'leaky', choices=['elu', 'gelu', 'leaky', 'prelu', 'rrelu', 'selu']),
             'slope': Attr('float', 0.25), 'lower_bound': Attr('float', 0.125),
             'upper_bound': Attr('float', 0.334)}

    def check_attrs(self):
        if self.act_type == 'rrelu':   # MXNet shows the slopes as a second output ('mask')
            self.num_outputs = 2
            if not self.lower_bound <= self.upper_bound:
                raise ValueError('LeakyReLU: lower_bound must not exceed upper_bound (%g > %g)'
                                 % (self.lower_bound, self.upper_bound))

    def list_arguments(self):
        return ['data', 'gamma'] if self.act_type == 'prelu' else ['data']

    def _gamma(self, gamma, x):
        if gamma.size == 1:
            return gamma.reshape(())
        if x.ndim < 2 or gamma.shape != (x.shape[1],):
            raise shape_error(self, 'gamma must have shape (1,) or (channels,) matching axis 1',
                              x, gamma)
        return gamma.reshape((1, -1) + (1,) * (x.ndim - 2))

    def forward(self, xp, data, gamma=None):
        require_float(self, data)
        x = self.x = _f32(data)
        act = self.act_type
        pos = x > 0
        if act in ('leaky', 'prelu', 'rrelu'):
            if act == 'leaky':
                slope = self.slope
            elif act == 'prelu':
                self.gamma = gamma
                slope = self._gamma(_f32(gamma), x)
            elif autograd.is_training():
                slope = _generator(xp).uniform(self.lower_bound, self.upper_bound, x.shape).astype(x.dtype)
            else:
                slope = xp.full(x.shape, (self.lower_bound + self.upper_bound) / 2, dtype=x.dtype)
            self.deriv = xp.where(pos, 1, slope).astype(x.dtype)
            out = (x * self.deriv).astype(data.dtype, copy=False)
            return (out, slope.astype(data.dtype)) if act == 'rrelu' else out
        neg = xp.minimum(x, 0)      # keeps exp() from overflowing in the branch that is not taken
        if act == 'elu':
            out = xp.where(pos, x, self.slope * xp.expm1(neg))
            self.deriv = xp.where(pos, 1, self.slope * xp.exp(neg))
        elif act == 'selu':
            out = _SELU_LAMBDA * xp.where(pos, x, _SELU_ALPHA * xp.expm1(neg))
            self.deriv = _SELU_LAMBDA * xp.where(pos, 1, _SELU_ALPHA * xp.exp(neg))
        else:  # gelu
            cdf = 0.5 * (1 + erf(xp, x / math.sqrt(2)))
            out = x * cdf
            self.deriv = cdf + x * xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return out.astype(data.dtype, copy=False)

    def backward(self, xp, grad, grad_mask=None):
        g = _f32(grad)
        gx = (g * self.deriv).astype(grad.dtype, copy=False)
        if self.act_type != 'prelu':
            return (gx,)
        gg = g * xp.where(self.x > 0, 0, self.x)
        if self.gamma.size == 1:
            gg = gg.sum().reshape(self.gamma.shape)
        else:
            gg = gg.sum(axis=tuple(i for i in range(gg.ndim) if i != 1))
        return gx, gg.astype(self.gamma.dtype, copy=False)

    def infer_shape(self, in_shapes):
        # element-wise: data may also learn its shape from a known output
        data = fill_unknown(in_shapes[0], (getattr(self, '_infer_outputs', None) or [None])[0])
        if data is None:
            raise MXNetError('LeakyReLU: the shape of data is needed')
        outs = [tuple(data)] * (2 if self.act_type == 'rrelu' else 1)
        if self.act_type == 'prelu':
            gamma = in_shapes[1] if in_shapes[1] is not None else (data[1],)
            return [tuple(data), tuple(gamma)], outs
        return [tuple(data)], outs


# ---------------------------------------------------------------------------------------------------
# softmax, log_softmax, softmin

class _SoftmaxBase(Op):
    """Shared code: ``kind`` is 'softmax', 'log_softmax' or 'softmin'."""

    arguments = ('data', 'length')
    attrs = {'axis': Attr('int', -1), 'temperature': Attr('float', None),
             'dtype': Attr('str', None, choices=['float16', 'float32', 'float64']),
             'use_length': Attr('bool', False, optional=True)}
    kind = 'softmax'
    same_shape = True

    def list_arguments(self):
        return ['data', 'length'] if self.use_length else ['data']

    def forward(self, xp, data, length=None):
        require_float(self, data)
        axis = self.ax = normalize_axis(self.axis, data.ndim, self.name)
        t = self.t = 1.0 if self.temperature is None else self.temperature
        z = _f32(data) / t
        if self.kind == 'softmin':
            z = -z
        self.mask = None
        if self.use_length:
            if length.dtype.kind not in 'iu':
                # as MXNet 1.9.1 ("only support integer types"), which also refuses int8 and
                # uint8 lengths; every integer dtype works here
                raise TypeError("%s: length must be an integer array (e.g. int32), got %s; "
                                "convert it first, e.g. length.astype('int32')"
                                % (self.name, length.dtype))
            if length.shape != data.shape[:axis] + data.shape[axis + 1:]:
                raise shape_error(self, 'length must have the shape of data without axis %d' % axis,
                                  data, length)
            pos = xp.arange(data.shape[axis]).reshape((-1,) + (1,) * (data.ndim - axis - 1))
            self.mask = pos < xp.expand_dims(length.astype(np.int64), axis)
            z = xp.where(self.mask, z, -xp.inf)
        y = _log_softmax(xp, z, axis) if self.kind == 'log_softmax' else _softmax(xp, z, axis)
        if self.mask is not None:
            y = xp.where(self.mask, y, 0)
        self.y, self.in_dtype = y, data.dtype
        out_dtype = np.dtype(self.dtype or data.dtype)
        if self.kind == 'log_softmax' and out_dtype.itemsize < y.dtype.itemsize:
            # A log-probability below float16's range saturates at its lowest finite value rather
            # than -inf, so ``0 * log p`` (a dense-label cross-entropy) stays 0 instead of NaN.
            y = xp.maximum(y, np.finfo(out_dtype).min)
        return y.astype(out_dtype, copy=False)

    def backward(self, xp, grad, *unused):
        g = _f32(grad).astype(self.y.dtype, copy=False)
        if self.mask is not None:
            g = xp.where(self.mask, g, 0)
        if self.kind == 'log_softmax':
            p = xp.where(self.mask, xp.exp(self.y), 0) if self.mask is not None else xp.exp(self.y)
            gx = g - p * g.sum(axis=self.ax, keepdims=True)
        else:
            gx = self.y * (g - (g * self.y).sum(axis=self.ax, keepdims=True))
            if self.kind == 'softmin':
                gx = -gx
        gx = (gx / self.t).astype(self.in_dtype, copy=False)
        return (gx, None) if self.use_length else (gx,)


@register
class Softmax(_SoftmaxBase):
    """``exp(x / T) / sum(exp(x / T))`` along ``axis`` (MXNet ``softmax``).

    ``temperature`` T defaults to 1; ``dtype`` sets the output dtype; with ``use_length`` an
    integer ``length`` input (data's shape without ``axis``) masks positions at or beyond it to 0.
    """
    name = 'softmax'
    mxnet_input_names = True
    mxnet_output_names = True


@register
class LogSoftmax(_SoftmaxBase):
    """``log(softmax(x / T))`` along ``axis``, computed stably (MXNet ``log_softmax``)."""
    name = 'log_softmax'
    mxnet_input_names = True
    kind = 'log_softmax'
    positional_inputs = 1       # MXNet 1.9.1's has no length input: (x, 0) is axis 0


@register
class Softmin(_SoftmaxBase):
    """``softmax(-x / T)`` along ``axis`` (MXNet ``softmin``)."""
    name = 'softmin'
    mxnet_output_names = True
    kind = 'softmin'
    positional_inputs = 1       # MXNet 1.9.1's has no length input: (x, 0) is axis 0


@register
class SoftmaxActivation(Op):
    """Deprecated MXNet ``SoftmaxActivation``: softmax over the last axis (``mode='instance'``) or
    over axis 1 (``mode='channel'``, data of at least 3 dimensions, as MXNet 1.9.1 requires).

    Raises ``ValueError`` for data of fewer than 2 dimensions (3 with ``mode='channel'``).
    """

    name = 'SoftmaxActivation'
    mxnet_output_names = True
    same_shape = True
    attrs = {'mode': Attr('str', 'instance', choices=['channel', 'instance'])}

    def forward(self, xp, data):
        require_float(self, data)       # int32 gave all zeros (MXNet 1.9.1 refuses it)
        least = 3 if self.mode == 'channel' else 2
        if data.ndim < least:
            raise shape_error(self, 'data must have at least %d dimensions with mode=%r'
                              % (least, self.mode), data)
        self.axis = 1 if self.mode == 'channel' else data.ndim - 1
        self.y = _softmax(xp, _f32(data), self.axis)
        return self.y.astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        g = _f32(grad)
        gx = self.y * (g - (g * self.y).sum(axis=self.axis, keepdims=True))
        return (gx.astype(grad.dtype, copy=False),)


# ---------------------------------------------------------------------------------------------------
# Dropout and Embedding

@register
class Dropout(Op):
    """Inverted dropout (MXNet ``Dropout``; Srivastava et al. 2014).

    While ``autograd.is_training()`` (or always with ``mode='always'``) each element is zeroed
    with probability ``p`` and the rest scaled by ``1 / (1 - p)``; otherwise the input passes
    unchanged. ``axes`` lists axes along which one mask value is shared (variational dropout).
    The mask is drawn from :func:`minigluon.random.generator`; it is a hidden second output.
    ``p=1`` drops everything: output and gradient are 0 (MXNet 1.9.1 gives NaN from 0 * inf).
    """

    name = 'Dropout'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'p': Attr('float', 0.5), 'mode': Attr('str', 'training', choices=['always', 'training']),
             'axes': Attr('shape', ()), 'cudnn_off': Attr('bool', False, optional=True)}
    num_outputs, num_visible_outputs = 2, 1

    def check_attrs(self):
        if not 0 <= self.p <= 1:
            raise ValueError('Dropout: p must be in [0, 1], got %g' % self.p)

    def forward(self, xp, data):
        require_float(self, data)
        shape = list(data.shape)
        for a in self.axes:      # checked when predicting too, as MXNet 1.9.1's shape rule does
            shape[normalize_axis(a, data.ndim, self.name, 'axes')] = 1
        if not (self.mode == 'always' or autograd.is_training()) or self.p == 0:
            self.mask = None
            return data, xp.broadcast_to(xp.ones((), dtype=data.dtype), data.shape)
        if self.p >= 1:
            mask = xp.zeros(shape, dtype=data.dtype)
        else:
            keep = _generator(xp).uniform(0, 1, tuple(shape)) >= self.p
            mask = keep.astype(data.dtype) * data.dtype.type(1 / (1 - self.p))
        self.mask = mask
        return data * mask, xp.broadcast_to(mask, data.shape)

    def backward(self, xp, grad, grad_mask=None):
        return (grad if self.mask is None else grad * self.mask,)

    def infer_shape(self, in_shapes):
        # not a forward pass on zeros (that would draw a mask); data may learn from the output
        data = fill_unknown(in_shapes[0], (getattr(self, '_infer_outputs', None) or [None])[0])
        if data is None:
            raise MXNetError('Dropout: the shape of data is needed')
        return [tuple(data)], [tuple(data)] * 2


@register
class Embedding(Op):
    """Look up rows of ``weight`` ``(input_dim, output_dim)`` by the indices in ``data`` (any shape,
    float or int); output ``data.shape + (output_dim,)``. Indices are cast to int and clipped to
    ``[0, input_dim - 1]`` as MXNet does. The gradient reaches ``weight`` only (dense, even with
    ``sparse_grad=True``); a backward asked for the indices' gradient raises MXNetError, as in
    MXNet 1.9.1."""

    name = 'Embedding'
    mxnet_input_names = True
    arguments = ('data', 'weight')
    attrs = {'input_dim': Attr('int'), 'output_dim': Attr('int'),
             'dtype': Attr('dtype', 'float32'), 'sparse_grad': Attr('bool', False)}

    def forward(self, xp, data, weight):
        if weight.shape != (self.input_dim, self.output_dim):
            raise shape_error(self, 'weight must have shape (input_dim, output_dim) = %s'
                              % ((self.input_dim, self.output_dim),), data, weight)
        self.idx = xp.clip(data.astype(np.int64), 0, self.input_dim - 1)
        self.wshape, self.wdtype = weight.shape, weight.dtype
        return weight[self.idx]

    def backward(self, xp, grad):
        need = getattr(self, 'needs_input_grad', None)     # set by autograd / CachedOp / executor
        if need and need[0]:
            raise MXNetError("Embedding: the indices (data) have no gradient, but one was asked "
                             "for (attach_grad on them, or grad_req='write' for them in a bound "
                             "graph); MXNet 1.9.1 raises too (\"Embedding layer doesn't support "
                             "calculate data gradient\"). Leave the indices without a gradient")
        gw = xp.zeros(self.wshape, dtype=self.wdtype)
        backend.scatter_add(xp, gw, self.idx.reshape(-1), grad.reshape(-1, self.output_dim))
        return None, gw

    def infer_shape(self, in_shapes):
        if in_shapes[0] is None:
            raise MXNetError('Embedding: the shape of data is needed')
        return ([tuple(in_shapes[0]), (self.input_dim, self.output_dim)],
                [tuple(in_shapes[0]) + (self.output_dim,)])

    def infer_type(self, in_types):
        """The ``dtype`` attribute for an unknown weight; a weight's given dtype wins, as the
        forward (a row lookup of the weight) and MXNet 1.9.1's type inference have it."""
        weight = in_types[1] if len(in_types) > 1 and in_types[1] is not None else np.dtype(self.dtype)
        return [in_types[0] or np.dtype(np.float32), weight], [weight]


# The Module-era output heads live in their own module; importing it registers them.
from minigluon.ops import nn_output  # noqa: E402,F401
