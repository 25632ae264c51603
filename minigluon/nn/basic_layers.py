"""Basic layers: Dense, Dropout, BatchNorm, InstanceNorm, LayerNorm, GroupNorm, Embedding, Flatten,
Lambda, HybridLambda (and Sequential/HybridSequential, re-exported from ``minigluon.block``).

Constructor arguments, parameter names (``weight``, ``bias``, ``gamma``, ``beta``,
``running_mean``, ``running_var``), initializers and reprs follow ``mxnet.gluon.nn.basic_layers``
(MXNet 1.9.1; docs/MXNET_SPEC.md sections 2.2, 3.1, 8.1, 8.2). An input size left at 0 is inferred at the
first forward pass (deferred initialization).
"""
import functools

import numpy as np

from minigluon import ndarray
from minigluon.base import ValueAssertionError
from minigluon.block import Block, HybridBlock, HybridSequential, Sequential
from minigluon.nn.activations import Activation

__all__ = ['Sequential', 'HybridSequential', 'Dense', 'Dropout', 'Embedding', 'BatchNorm', 'BatchNormReLU',
           'InstanceNorm', 'LayerNorm', 'GroupNorm', 'Flatten', 'Lambda', 'HybridLambda']


def _kwargs_repr(kwargs):
    return ', '.join('%s=%r' % (k, v) for k, v in kwargs.items())


class Dense(HybridBlock):
    """Fully connected layer: ``activation(dot(x, weight.T) + bias)``.

    Parameters
    ----------
    units : int
        Output size; ``weight`` is ``(units, in_units)``, ``bias`` is ``(units,)``.
    activation : str, optional
        An :class:`Activation` child named ``<prefix><act>_`` is applied to the output.
    use_bias : bool, default True
    flatten : bool, default True
        Flatten all input axes but the first (input ``(N, ...)``, output ``(N, units)``);
        otherwise apply to the last axis (output ``(..., units)``).
    dtype : str, default 'float32'
    weight_initializer, bias_initializer
        Default: the block's ``initialize`` initializer for the weight, ``'zeros'`` for the bias.
    in_units : int, default 0
        0 means inferred from the first input.
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get('weight', shape=(units, in_units), init=weight_initializer,
                                          dtype=dtype, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(units,), init=bias_initializer, dtype=dtype,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + '_') if activation is not None else None

    def hybrid_forward(self, F, x, weight, bias=None):
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name='fwd')
        if self.act is not None:
            out = self.act(out)
        return out

    def __repr__(self):
        shape = self.weight.shape
        return '%s(%s -> %s, %s)' % (type(self).__name__, shape[1] if shape[1] else None, shape[0],
                                     self.act if self.act else 'linear')


class Dropout(HybridBlock):
    """Zero each element with probability ``rate`` during training (scaling the rest by
    ``1/(1-rate)``); identity otherwise (MXNet 1.9.1 ``gluon.nn.Dropout``; Srivastava et al. 2014).

    Parameters
    ----------
    rate : float
        Probability in ``[0, 1]`` that an element is zeroed.
    axes : tuple of int, default ()
        Axes along which one mask is shared (variational dropout).

    Input and output have the same shape and dtype (any shape, floating point). The mask is drawn
    from :func:`minigluon.random.generator`, only while ``autograd.is_training()`` (inside
    ``autograd.record()`` or ``autograd.train_mode()``).

    Raises
    ------
    ValueError
        ``rate`` outside ``[0, 1]``.
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError('Dropout: rate must be in [0, 1], got %r' % (rate,))
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name='fwd', cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return '%s(p = %s, axes=%s)' % (type(self).__name__, self._rate, self._axes)


class BatchNorm(HybridBlock):
    """Batch normalization (Ioffe & Szegedy 2015) over ``axis`` (channels).

    Batch statistics are used inside ``autograd.record()``/``train_mode()``, running statistics
    otherwise. ``scale=False`` fixes gamma at 1 (``fix_gamma``); running stats have
    ``grad_req='null'``. See the ``BatchNorm`` operator for when running stats update.

    Parameters
    ----------
    axis : int, default 1
    momentum : float, default 0.9
    epsilon : float, default 1e-5
    center, scale : bool, default True
    use_global_stats : bool, default False
        Always use the running statistics.
    beta_initializer, gamma_initializer, running_mean_initializer, running_variance_initializer
        Defaults 'zeros', 'ones', 'zeros', 'ones'.
    in_channels : int, default 0
        0 means inferred from the first input. Data whose ``axis`` has another size raises a
        ``ValueError`` naming both shapes (MXNet 1.9.1 runs, reading past its parameters).
    """

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones',
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'axis': axis, 'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale, 'use_global_stats': use_global_stats}
        self._axis = axis
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null', shape=(in_channels,),
                                     init=gamma_initializer, allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null', shape=(in_channels,),
                                    init=beta_initializer, allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get('running_mean', grad_req='null', shape=(in_channels,),
                                            init=running_mean_initializer, allow_deferred_init=True,
                                            differentiable=False)
        self.running_var = self.params.get('running_var', grad_req='null', shape=(in_channels,),
                                           init=running_variance_initializer, allow_deferred_init=True,
                                           differentiable=False)

    def cast(self, dtype):
        # float16 networks keep BatchNorm parameters in float32, as MXNet does
        if np.dtype(dtype).name == 'float16':
            dtype = 'float32'
        super().cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name='fwd', **self._kwargs)

    def __repr__(self):
        in_channels = self.gamma.shape[0]
        return '%s(%s, in_channels=%s)' % (type(self).__name__, _kwargs_repr(self._kwargs),
                                           in_channels if in_channels else None)


class BatchNormReLU(BatchNorm):
    """:class:`BatchNorm` followed by ReLU, fused into one operator (``_contrib_BatchNormWithReLU``).

    Same arguments, parameters, defaults and repr as :class:`BatchNorm` (MXNet 1.9.1
    ``gluon.nn.BatchNormReLU``); the automatic prefix is ``batchnormrelu<N>_``.
    """

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F._contrib_BatchNormWithReLU(x, gamma, beta, running_mean, running_var, name='fwd',
                                            **self._kwargs)


class _GammaBetaNorm(HybridBlock):
    """Shared constructor of the instance/layer/group norms: ``gamma`` and ``beta`` of ``shape``."""

    def _make_params(self, scale, center, shape, gamma_initializer, beta_initializer):
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null', shape=shape,
                                     init=gamma_initializer, allow_deferred_init=True)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null', shape=shape,
                                    init=beta_initializer, allow_deferred_init=True)

    def __repr__(self):
        return '%s(%s, in_channels=%s)' % (type(self).__name__, _kwargs_repr(self._kwargs), self.gamma.shape[0])


class InstanceNorm(_GammaBetaNorm):
    r"""Instance normalization (Ulyanov et al. 2016; MXNet 1.9.1 ``mxnet.gluon.nn.InstanceNorm``).

    Each sample and channel is normalized over its remaining (spatial) axes:

    .. math:: y_{nc\ldots} = \frac{x_{nc\ldots} - \mu_{nc}}{\sqrt{\sigma^2_{nc} + \epsilon}}\,
              \gamma_c + \beta_c

    Parameters
    ----------
    axis : int, default 1
        The channel axis (moved to axis 1 for the ``InstanceNorm`` operator and back).
    epsilon : float, default 1e-5
        Added to the variance.
    center : bool, default True
        Learn ``beta``; when False it stays at its initial value (0), not trained.
    scale : bool, default False
        Learn ``gamma``; False by default, as in MXNet, so ``gamma`` stays at 1.
    beta_initializer, gamma_initializer : str or Initializer, default 'zeros', 'ones'
    in_channels : int, default 0
        Number of channels (shape of ``gamma`` and ``beta``); 0 defers it to the first input.

    Inputs: ``x`` of shape ``(N, C, *spatial)`` (channels on ``axis``, at least one spatial axis),
    floating point. Output: same shape and dtype.

    Raises
    ------
    ValueError
        ``x`` has no spatial axis, or its channel count differs from ``gamma``'s length.
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False, beta_initializer='zeros',
                 gamma_initializer='ones', in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis, self._epsilon = axis, epsilon
        self._make_params(scale, center, (in_channels,), gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name='fwd', eps=self._epsilon)
        x = F.swapaxes(x, dim1=1, dim2=self._axis)
        return F.swapaxes(F.InstanceNorm(x, gamma, beta, name='fwd', eps=self._epsilon), dim1=1, dim2=self._axis)


class LayerNorm(_GammaBetaNorm):
    """Layer normalization (Ba et al. 2016) over ``axis`` (default the last), as MXNet 1.9.1's
    ``gluon.nn.LayerNorm``: ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Parameters
    ----------
    axis : int, default -1
        The axis normalized; ``gamma`` and ``beta`` have its length, shape ``(in_channels,)``.
    epsilon : float, default 1e-5
        Added to the variance.
    center, scale : bool, default True
        Learn ``beta`` / ``gamma``; when False it stays at its initial value (0 / 1), not trained.
    beta_initializer, gamma_initializer : str or Initializer
    in_channels : int, default 0
        Length of ``axis``; 0 defers the parameter shape to the first input.

    Input and output have the same shape and dtype (floating point).
    """

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True, beta_initializer='zeros',
                 gamma_initializer='ones', in_channels=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis, self._epsilon = axis, epsilon
        self._make_params(scale, center, (in_channels,), gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)


class GroupNorm(_GammaBetaNorm):
    """Group normalization (Wu & He 2018): channels (axis 1) split into ``num_groups`` groups.

    As in MXNet 1.9.1, ``gamma`` and ``beta`` have one value per *group*: shape ``(num_groups,)``.
    """

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True, beta_initializer='zeros',
                 gamma_initializer='ones', prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'num_groups': num_groups, 'center': center, 'scale': scale}
        self._num_groups, self._epsilon = num_groups, epsilon
        self._make_params(scale, center, (num_groups,), gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups, eps=self._epsilon)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, _kwargs_repr(self._kwargs))


class Embedding(HybridBlock):
    """Lookup table mapping integer indices to dense vectors (MXNet 1.9.1
    ``mxnet.gluon.nn.Embedding``, over the ``Embedding`` operator).

    Parameters
    ----------
    input_dim : int
        Vocabulary size: indices run over ``0 .. input_dim - 1``.
    output_dim : int
        Length of each vector; the ``weight`` parameter is ``(input_dim, output_dim)``.
    dtype : str, default 'float32'
        Dtype of ``weight`` and of the output.
    weight_initializer : str or Initializer, optional
        Default: the initializer given to ``initialize()``.
    sparse_grad : bool, default False
        Accepted for compatibility; the gradient of ``weight`` is always dense (minigluon has no
        row-sparse storage).

    Inputs: indices of any shape ``S``, float or int; they are cast to int and, as in MXNet,
    clipped to ``[0, input_dim - 1]`` rather than rejected. Output: shape ``S + (output_dim,)``,
    dtype ``dtype``. Only ``weight`` receives a gradient.
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None, sparse_grad=False,
                 **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': sparse_grad}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim), init=weight_initializer,
                                      dtype=dtype, allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        return '{name}({input_dim} -> {output_dim}, {dtype})'.format(name=type(self).__name__, **self._kwargs)


class Flatten(HybridBlock):
    """``(N, d1, d2, ...)`` -> ``(N, d1*d2*...)``."""

    def hybrid_forward(self, F, x):
        return F.Flatten(x)

    def __repr__(self):
        return type(self).__name__


def _resolve(function, where):
    if isinstance(function, str):
        if not hasattr(ndarray, function):     # MXNet 1.9.1 asserts this: AssertionError too
            raise ValueAssertionError('Function name %s is not found in %s.' % (function, where))
        return function
    if callable(function):
        return None
    raise ValueError('Unrecognized function in lambda: {} of type {}'.format(function, type(function)))


# Module-level, so a Lambda or HybridLambda made from an operator name pickles (through
# functools.partial); MXNet 1.9.1 stores the nd function or a local lambda, and cannot pickle them.
def _call_nd(name, *args):
    return getattr(ndarray, name)(*args)


def _call_f(name, F, *args):
    return getattr(F, name)(*args)


class Lambda(Block):
    """Wraps a function as a (non-hybridizable) Block (MXNet 1.9.1 ``mxnet.gluon.nn.Lambda``).

    ``Lambda('tanh')`` calls ``nd.tanh``; ``Lambda(f)`` calls ``f(*inputs)`` on the NDArrays given.

    Parameters
    ----------
    function : str or callable
        The name of an ``nd`` operator, or a callable taking and returning NDArrays.

    Inputs and outputs: whatever ``function`` takes and returns.

    Raises
    ------
    ValueError
        ``function`` is a str that names no ``nd`` operator (then also an ``AssertionError``, as
        MXNet raises: :class:`~minigluon.base.ValueAssertionError`), or is neither a str nor
        callable.
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        name = _resolve(function, 'ndarray')
        self._func = functools.partial(_call_nd, name) if name else function
        self._func_name = name or function.__name__

    def forward(self, *args):
        return self._func(*args)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._func_name)


class HybridLambda(HybridBlock):
    """Wraps a function as a HybridBlock (MXNet 1.9.1 ``mxnet.gluon.nn.HybridLambda``).

    ``HybridLambda('tanh')`` calls ``F.tanh``; ``HybridLambda(f)`` calls ``f(F, x, *args)``, where
    ``F`` is ``minigluon.nd`` when run eagerly and ``minigluon.sym`` once hybridized, so ``f`` must
    use only ``F.<op>`` calls to be hybridizable.

    Parameters
    ----------
    function : str or callable
        The name of an operator (looked up on ``F`` at call time), or ``function(F, x, *args)``.

    Inputs and outputs: whatever ``function`` takes and returns.

    Raises
    ------
    ValueError
        ``function`` is a str that names no operator (then also an ``AssertionError``, as MXNet
        raises: :class:`~minigluon.base.ValueAssertionError`), or is neither a str nor callable.
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        name = _resolve(function, 'symbol/ndarray')
        self._func = functools.partial(_call_f, name) if name else function
        self._func_name = name or function.__name__

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._func_name)
