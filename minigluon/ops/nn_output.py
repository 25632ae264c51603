"""Output heads and losses of Module-era graphs: SoftmaxOutput, softmax_cross_entropy, MakeLoss and
the regression outputs (MXNet 1.9.1 names, attributes and defaults).

Their backward ignores the incoming head gradient (as in MXNet): each head *is* a loss whose
gradient is fixed by its label. Registered on import of :mod:`minigluon.ops.nn`.
"""
import warnings

import numpy as np

from minigluon.base import MXNetError, ShapeConflictError
from minigluon.ops.nn import _f32, _log_softmax, _sigmoid, _softmax
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _normalizer(mode, label, valid, spatial=1):
    """MXNet's ``normalization``: 'null' -> 1 (``spatial`` for multi_output), 'batch' -> number of
    labels, 'valid' -> number of labels that count (at least 1)."""
    if mode == 'batch':
        return float(label.size)
    if mode == 'valid':
        return max(float(valid), 1.0)
    return float(spatial)


def _check_class_label(dshape, lshape, per_position):
    """Refuse a class label of 2-D data whose shape is not ``(N,)``, as MXNet 1.9.1's shape rule
    does (other ranks keep minigluon's element-count check; shapes with unknown dimensions, 0 or
    None in a partial shape inference, are left to the later, complete pass)."""
    if len(dshape) == 2 and not per_position and all(dshape) and all(lshape) \
            and tuple(lshape) != tuple(dshape[:1]):
        raise ShapeConflictError('SoftmaxOutput: Shape inconsistent, Provided = %s, inferred shape=%s'
                                 % (list(lshape), list(dshape[:1])))


@register
class SoftmaxOutput(Op):
    """Softmax with a cross-entropy gradient (MXNet ``SoftmaxOutput``, alias ``Softmax``).

    Forward is a softmax over ``data`` viewed as ``(N, -1)`` (over axis 1 with ``multi_output``,
    over the last axis with ``preserve_shape``). Backward ignores the incoming gradient (unless
    ``out_grad``) and returns ``(softmax - target) * grad_scale / norm``, where the target is the
    one-hot ``label`` (smoothed by ``smooth_alpha``), rows whose label equals ``ignore_label`` get
    zero gradient when ``use_ignore``, and ``norm`` follows ``normalization``: 'null' (1, or the
    number of spatial positions with ``multi_output``, as MXNet does), 'batch' (number of labels),
    'valid' (number of labels different from ``ignore_label``).

    With ``out_grad`` the gradient is multiplied by the head gradient, as MXNet documents; MXNet
    1.9.1 itself ignores the head gradient and multiplies by the softmax output instead.

    A ``label`` of the shape of ``data`` holds probabilities (soft targets): the gradient is then
    ``(softmax - label) * grad_scale``, without normalisation, ignored labels or smoothing, as
    in MXNet 1.9.1.

    For 2-D ``data`` (N, C) the class label must have shape ``(N,)``: a ``(N, 1)`` column is
    refused with MXNet 1.9.1's "Shape inconsistent" error (:class:`ShapeConflictError`), as
    insightface's age task meets it.
    """

    name = 'SoftmaxOutput'
    mxnet_input_names = True
    mxnet_output_names = True
    aliases = ('Softmax',)
    arguments = ('data', 'label')
    attrs = {'grad_scale': Attr('float', 1.0), 'ignore_label': Attr('float', -1.0),
             'multi_output': Attr('bool', False), 'use_ignore': Attr('bool', False),
             'preserve_shape': Attr('bool', False),
             'normalization': Attr('str', 'null', choices=['batch', 'null', 'valid']),
             'out_grad': Attr('bool', False), 'smooth_alpha': Attr('float', 0.0)}

    def forward(self, xp, data, label):
        require_float(self, data)
        if data.ndim == 0:
            raise shape_error(self, 'data must have at least 1 dimension', data, label)
        self.shape, self.dtype = data.shape, data.dtype
        z = _f32(data)
        if self.multi_output:
            self.axis, want = 1, data.shape[:1] + data.shape[2:]
        elif self.preserve_shape:
            self.axis, want = data.ndim - 1, data.shape[:-1]
        else:
            z = z.reshape(data.shape[0], int(np.prod(data.shape[1:])))    # (an empty batch too)
            self.axis, want = 1, data.shape[:1]
        self.soft = label.shape == data.shape       # probabilities (see the class docstring)
        if not self.soft:
            _check_class_label(data.shape, label.shape, self.multi_output or self.preserve_shape)
        if self.soft:
            self.label = _f32(label).reshape(z.shape)
        elif label.size != int(np.prod(want)):
            raise shape_error(self, 'label must have shape %s or that of data' % (tuple(want),),
                              data, label)
        else:
            self.label = label.reshape(want)
        self.y = _softmax(xp, z, self.axis)
        return self.y.reshape(data.shape).astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        y, axis = self.y, self.axis
        if self.soft:
            gx = (y - self.label) * self.grad_scale
            if self.out_grad:
                gx = gx * _f32(grad).reshape(gx.shape)
            return gx.reshape(self.shape).astype(self.dtype, copy=False), None
        ncls = y.shape[axis]
        lab = self.label.astype(np.int64)
        classes = xp.arange(ncls).reshape((-1,) + (1,) * (y.ndim - axis - 1))
        onehot = (classes == xp.expand_dims(lab, axis)).astype(y.dtype)
        if self.smooth_alpha:
            onehot = onehot * (1 - self.smooth_alpha) + (1 - onehot) * (self.smooth_alpha / (ncls - 1))
        gx = y - onehot
        keep = self.label != self.ignore_label
        if self.use_ignore:
            gx = gx * xp.expand_dims(keep, axis)
        spatial = int(np.prod(y.shape[2:])) if self.multi_output else 1
        norm = _normalizer(self.normalization, self.label, int(keep.sum()), spatial)
        gx = gx * (self.grad_scale / norm)
        if self.out_grad:
            gx = gx * _f32(grad).reshape(gx.shape)
        return gx.reshape(self.shape).astype(self.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        d = in_shapes[0]
        if d is None:
            raise MXNetError('SoftmaxOutput: the shape of data is needed')
        label = tuple(d[:1]) + tuple(d[2:]) if self.multi_output else tuple(d[:-1])
        given = in_shapes[1]
        if given is not None and len(given) == len(d):
            label = tuple(d)        # probabilities of the shape of data (see the docstring)
        elif given is not None:
            _check_class_label(d, given, self.multi_output or self.preserve_shape)
        return [tuple(d), label], [tuple(d)]


@register
class SoftmaxCrossEntropy(Op):
    """Sum over the batch of ``-log(softmax(data)[i, label[i]])`` (MXNet ``softmax_cross_entropy``).

    ``data`` is ``(N, C)``, ``label`` ``(N,)`` class indices; the output has shape ``(1,)``.
    """

    name = 'softmax_cross_entropy'
    mxnet_input_names = True
    arguments = ('data', 'label')

    def forward(self, xp, data, label):
        require_float(self, data)
        if data.ndim != 2 or label.shape != data.shape[:1]:
            raise shape_error(self, 'expected data (N, C) and label (N,)', data, label)
        logp = _log_softmax(xp, _f32(data), 1)
        self.lab = label.astype(np.int64)
        if label.size and (int(self.lab.min()) < 0 or int(self.lab.max()) >= data.shape[1]):
            raise ValueError('softmax_cross_entropy: label values must lie in [0, %d)' % data.shape[1])
        self.p, self.dtype = xp.exp(logp), data.dtype
        picked = xp.take_along_axis(logp, self.lab[:, None], axis=1)
        return (-picked.sum()).reshape(1).astype(data.dtype)

    def backward(self, xp, grad):
        onehot = (xp.arange(self.p.shape[1]) == self.lab[:, None]).astype(self.p.dtype)
        return ((self.p - onehot) * _f32(grad).reshape(())).astype(self.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        d = in_shapes[0]
        return [tuple(d), (d[0],)], [(1,)]


@register
class MakeLoss(Op):
    """Identity forward; backward ignores the head gradient and returns ``grad_scale / norm``
    everywhere (MXNet ``MakeLoss``): norm is 1 ('null'), the batch size ('batch') or the number of
    elements above ``valid_thresh`` ('valid')."""

    name = 'MakeLoss'
    mxnet_input_names = True
    mxnet_output_names = True
    attrs = {'grad_scale': Attr('float', 1.0), 'valid_thresh': Attr('float', 0.0),
             'normalization': Attr('str', 'null', choices=['batch', 'null', 'valid'])}

    def forward(self, xp, data):
        self.data = data
        return data

    def backward(self, xp, grad):
        d = self.data
        norm = {'null': 1.0, 'batch': float(d.shape[0]) if d.ndim else 1.0,
                'valid': max(float((d > self.valid_thresh).sum()), 1.0)}[self.normalization]
        return (xp.full(d.shape, self.grad_scale / norm, dtype=d.dtype),)


@register
class MakeLossPlain(Op):
    """MXNet 1.9.1's ``make_loss``, a separate operator from ``MakeLoss``: identity forward, and a
    gradient of ones whatever the head gradient. It accepts ``grad_scale``, ``valid_thresh`` and
    ``normalization`` and ignores them, as MXNet does (measured: ``make_loss(x, grad_scale=2)``
    back-propagates ones); minigluon warns when they are set, since ``MakeLoss`` applies them."""

    name = 'make_loss'
    mxnet_output_names = True
    attrs = {'grad_scale': Attr('float', 1.0), 'valid_thresh': Attr('float', 0.0),
             'normalization': Attr('str', 'null', choices=['batch', 'null', 'valid'])}

    def check_attrs(self):
        if (self.grad_scale, self.valid_thresh, self.normalization) != (1.0, 0.0, 'null'):
            warnings.warn('make_loss ignores grad_scale, valid_thresh and normalization, as MXNet '
                          '1.9.1 does (its gradient is all ones); MakeLoss applies them',
                          stacklevel=2)

    def list_outputs(self):
        return ['loss']         # MXNet 1.9.1's name: make_loss(x, name='m') outputs m_loss

    def forward(self, xp, data):
        self.shape, self.dtype = data.shape, data.dtype
        return data

    def backward(self, xp, grad):
        return (xp.ones(self.shape, dtype=self.dtype),)


class _Regression(Op):
    """Shared code of the regression output heads: ``grad = f'(out, label) * grad_scale / k`` where
    ``k = label.size / label.shape[0]`` (outputs per sample), ignoring the head gradient."""

    arguments = ('data', 'label')
    attrs = {'grad_scale': Attr('float', 1.0)}

    def forward(self, xp, data, label):
        require_float(self, data)       # an integer sigmoid or gradient truncates (MXNet refuses)
        if label.size != data.size:
            raise shape_error(self, 'label must have as many elements as data', data, label)
        self.out = self.transform(xp, _f32(data))
        self.label, self.dtype = _f32(label).reshape(data.shape), data.dtype
        return self.out.astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        per_sample = self.label.size / self.label.shape[0] if self.label.ndim else 1.0
        g = self.residual(xp, self.out - self.label) * (self.grad_scale / per_sample)
        return g.astype(self.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        d = tuple(in_shapes[0])
        return [d, d], [d]


@register
class LinearRegressionOutput(_Regression):
    """Identity forward, squared-error gradient ``out - label`` (MXNet ``LinearRegressionOutput``)."""
    name = 'LinearRegressionOutput'
    mxnet_input_names = True
    transform = staticmethod(lambda xp, x: x)
    residual = staticmethod(lambda xp, r: r)


@register
class LogisticRegressionOutput(_Regression):
    """Sigmoid forward, gradient ``sigmoid(x) - label`` (MXNet ``LogisticRegressionOutput``)."""
    name = 'LogisticRegressionOutput'
    mxnet_input_names = True
    transform = staticmethod(_sigmoid)
    residual = staticmethod(lambda xp, r: r)


@register
class MAERegressionOutput(_Regression):
    """Identity forward, gradient ``1 if out - label > 0 else -1`` (MXNet ``MAERegressionOutput``,
    whose ``minus_sign`` gives -1, not 0, where the output equals the label)."""
    name = 'MAERegressionOutput'
    mxnet_input_names = True
    transform = staticmethod(lambda xp, x: x)
    residual = staticmethod(lambda xp, r: xp.where(r > 0, 1.0, -1.0).astype(r.dtype, copy=False))


@register
class SVMOutput(Op):
    """Support-vector-machine output head: identity forward, hinge-loss gradient (MXNet 1.9.1
    ``SVMOutput``; Tang, "Deep Learning using Linear Support Vector Machines", 2013).

    ``data`` holds class scores on its last axis, shape ``(..., K)``; ``label`` the class indices,
    shape ``data.shape[:-1]`` (floats are truncated toward zero, as MXNet casts them). The output
    is ``data`` itself. The backward ignores the head gradient and returns, with ``m = margin`` and
    ``C = regularization_coefficient``, for the true class ``-C * [m - x > 0]`` and for every other
    class ``C * [m + x > 0]`` (``use_linear``: the L1-SVM), or twice ``C`` times the hinge,
    ``-2C * max(0, m - x)`` and ``2C * max(0, m + x)`` (default: the L2-SVM). ``label`` gets no
    gradient.

    Raises
    ------
    ValueError
        When ``label``'s shape is not ``data.shape[:-1]``, or a label is outside ``[0, K)`` (MXNet
        silently treats such a row as having no true class).
    """

    name = 'SVMOutput'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'label')
    attrs = {'margin': Attr('float', 1.0), 'regularization_coefficient': Attr('float', 1.0),
             'use_linear': Attr('bool', False)}

    def forward(self, xp, data, label):
        require_float(self, data)
        if data.ndim < 1 or tuple(label.shape) != tuple(data.shape[:-1]):
            raise shape_error(self, 'label must have the shape of data without its last (class) '
                              'axis, %s' % (tuple(data.shape[:-1]),), data, label)
        classes = label.astype(np.int64)
        if classes.size and (int(classes.min()) < 0 or int(classes.max()) >= data.shape[-1]):
            raise shape_error(self, 'every label must be a class index in [0, %d)' % data.shape[-1],
                              data, label)
        self.data, self.classes = data, classes
        return data

    def backward(self, xp, grad):
        x, m, c = _f32(self.data), self.margin, self.regularization_coefficient
        true = xp.arange(x.shape[-1]) == self.classes[..., None]
        if self.use_linear:
            g = xp.where(true, -c * (m - x > 0), c * (m + x > 0))
        else:
            g = xp.where(true, -2 * c * xp.maximum(m - x, 0), 2 * c * xp.maximum(m + x, 0))
        return g.astype(self.data.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        d = in_shapes[0]
        if d is None:
            return super().infer_shape(in_shapes)
        d = tuple(d)
        return [d, d[:-1]], [d]
