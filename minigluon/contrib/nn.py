"""``gluon.contrib.nn``: HybridConcurrent, Concurrent, Identity, SparseEmbedding, SyncBatchNorm,
PixelShuffle1D/2D/3D (MXNet 1.9.1 ``mxnet.gluon.contrib.nn``).

Concurrent containers feed the same input to every child and concatenate the outputs along
``axis`` (Inception and DenseNet branches). Names, arguments, parameters and reprs are MXNet's.
"""
import warnings
from numbers import Integral

from minigluon import context, ndarray
from minigluon.block import Block, HybridBlock, HybridSequential, Sequential
from minigluon.nn.basic_layers import BatchNorm

__all__ = ['Concurrent', 'HybridConcurrent', 'Identity', 'SparseEmbedding', 'SyncBatchNorm',
           'PixelShuffle1D', 'PixelShuffle2D', 'PixelShuffle3D']


class Concurrent(Sequential):
    """Run every child on the input and ``concat`` the outputs along ``axis`` (default -1)."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        return ndarray.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Hybridizable :class:`Concurrent`."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input unchanged (a placeholder branch in a concurrent block)."""

    def hybrid_forward(self, F, x):
        return x


class SparseEmbedding(Block):
    """Embedding whose weight gradient MXNet stores row-sparse (MXNet 1.9.1
    ``gluon.contrib.nn.SparseEmbedding``).

    Parameters
    ----------
    input_dim, output_dim : int
        Vocabulary size and vector length; ``weight`` is ``(input_dim, output_dim)``.
    dtype : str, default 'float32'
    weight_initializer : str or Initializer, optional

    Inputs: indices of any shape ``S`` (clipped to ``[0, input_dim - 1]``, as ``nn.Embedding``).
    Output: ``S + (output_dim,)``. The values and gradients equal MXNet's, but minigluon has no
    sparse storage: ``weight`` and its gradient are dense, and (unlike MXNet, which raises until a
    ``Trainer`` holds the parameter) the block runs without a ``Trainer``. Not hybridizable, as
    in MXNet.

    **Training differs from MXNet 1.9.1**: there the row-sparse gradient makes SGD and Adam (with
    their default ``lazy_update=True``) update only the rows looked up in the batch, so the other
    rows get no weight decay and keep their momentum/moment states (its sparse AdaGrad rejects
    ``wd`` and leaves the weight unchanged); here every row is updated densely. Without ``wd``
    and momentum (plain SGD) the weights agree.
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': True}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim), init=weight_initializer,
                                      dtype=dtype)

    def forward(self, x):
        return ndarray.Embedding(x, self.weight.data(x.context), name='fwd', **self._kwargs)

    def __repr__(self):
        return '{name}({input_dim} -> {output_dim}, {dtype})'.format(name=type(self).__name__, **self._kwargs)


class SyncBatchNorm(BatchNorm):
    """Batch normalization synchronised across devices (MXNet 1.9.1
    ``gluon.contrib.nn.SyncBatchNorm``; Zhang et al., "Context Encoding for Semantic
    Segmentation", CVPR 2018), over the ``_contrib_SyncBatchNorm`` operator.

    Same parameters (``gamma``, ``beta``, ``running_mean``, ``running_var``), statistics and
    training/inference behaviour as :class:`~minigluon.nn.BatchNorm` with ``axis=1``; minigluon
    computes each call on one device, so the batch statistics are those of the input given.

    Parameters
    ----------
    in_channels : int, default 0
        0 defers the channel count to the first input.
    num_devices : int, optional
        Default: the number of GPUs (at least 1), with a warning, as MXNet.
    momentum, epsilon, center, scale, use_global_stats : see :class:`~minigluon.nn.BatchNorm`
    beta_initializer, gamma_initializer, running_mean_initializer, running_variance_initializer

    Input ``(N, C, ...)``, output of the same shape.
    """

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones', **kwargs):
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                         use_global_stats=use_global_stats, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer,
                         in_channels=in_channels, **kwargs)
        if num_devices is None:
            warnings.warn('Caution using SyncBatchNorm: if not using all the GPUs, please set '
                          'num_devices', UserWarning)
            num_devices = max(context.num_gpus(), 1)
        self._kwargs = {'eps': epsilon, 'momentum': momentum, 'fix_gamma': not scale,
                        'use_global_stats': use_global_stats, 'ndev': num_devices, 'key': self.prefix}

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F._contrib_SyncBatchNorm(x, gamma, beta, running_mean, running_var, name='fwd', **self._kwargs)


def _factors(factor, n, cls):
    """``factor`` (an int, or n ints) as an n-tuple of positive ints."""
    values = (factor,) * n if isinstance(factor, Integral) else tuple(factor) if isinstance(
        factor, (tuple, list)) else None
    if values is None or len(values) != n or not all(isinstance(f, Integral) and f >= 1 for f in values):
        raise ValueError('%s: factor must be a positive int%s, got %r'
                         % (cls, ' or a tuple of %d positive ints' % n if n > 1 else '', factor))
    return tuple(int(f) for f in values)


class _PixelShuffle(HybridBlock):
    """Move ``prod(factors)`` channel groups into the spatial axes (Shi et al., "Real-Time Single
    Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network",
    CVPR 2016).

    Input ``(N, C*f1*...*fk, S1, ..., Sk)``; output ``(N, C, S1*f1, ..., Sk*fk)`` with
    ``out[n, c, s1*f1 + i1, ...] = x[n, ((c*f1 + i1)*f2 + i2)... , s1, ...]``; any dtype. An
    NDArray input of another rank, or whose channel count ``prod(factors)`` does not divide,
    raises ``ValueError`` naming the block.

    The graph uses only reshape and swapaxes on at most 7 dimensions, so exported files load in
    MXNet 1.9.1 (whose ``transpose`` stops at 6).
    """

    def __init__(self, factor, ndim, **kwargs):
        super().__init__(**kwargs)
        self._factors = _factors(factor, ndim, type(self).__name__)

    def forward(self, x):
        if isinstance(x, ndarray.NDArray):       # a Symbol has no shape to check yet
            k, group = len(self._factors), 1
            for f in self._factors:
                group *= f
            if x.ndim != k + 2 or x.shape[1] % group:
                raise ValueError('%s: the input must be (N, C*%d, %s) with a channel count '
                                 'divisible by %d (the product of the factors %s), got shape %s'
                                 % (type(self).__name__, group, ', '.join('DHW'[3 - k:]), group,
                                    self._factors, x.shape))
        return super().forward(x)

    def hybrid_forward(self, F, x):
        k = len(self._factors)
        rest = 1
        for f in self._factors:
            rest *= f
        # (N, C*F, S1..Sk) -> (N, C, F, S1..Sk)
        x = F.reshape(x, shape=(0, -4, -1, rest) + (0,) * k)
        for i, f in enumerate(self._factors):
            p = 2 + i              # axes: N, C, S1*f1 .. S_i*f_i (done), [f_i*rest], S_i+1 ...
            rest //= f
            last = i == k - 1
            if not last:           # split off f_i (rest may be 1): (.., f_i, rest, S_i, ..)
                x = F.reshape(x, shape=(0,) * p + (-4, f, rest) + (0,) * (k - i))
                x = F.swapaxes(x, dim1=p + 1, dim2=p + 2)      # (.., f_i, S_i, rest, ..)
            x = F.swapaxes(x, dim1=p, dim2=p + 1)              # (.., S_i, f_i, [rest], ..)
            x = F.reshape(x, shape=(0,) * p + (-3,) + (0,) * (k - i - last))
        return x

    def __repr__(self):
        factors = self._factors[0] if len(self._factors) == 1 else self._factors
        return '%s(%s)' % (type(self).__name__, factors)


class PixelShuffle1D(_PixelShuffle):
    """Pixel shuffle along W: ``(N, f*C, W)`` -> ``(N, C, W*f)``; ``factor`` an int (or 1-tuple).
    See :class:`_PixelShuffle`. Raises ``ValueError`` for a factor that is not a positive int."""

    def __init__(self, factor, **kwargs):
        super().__init__(factor, 1, **kwargs)


class PixelShuffle2D(_PixelShuffle):
    """Pixel shuffle along H and W: ``(N, f1*f2*C, H, W)`` -> ``(N, C, H*f1, W*f2)``; ``factor``
    an int or 2 ints. See :class:`_PixelShuffle`. Raises ``ValueError`` for bad factors."""

    def __init__(self, factor, **kwargs):
        super().__init__(factor, 2, **kwargs)


class PixelShuffle3D(_PixelShuffle):
    """Pixel shuffle along D, H and W: ``(N, f1*f2*f3*C, D, H, W)`` -> ``(N, C, D*f1, H*f2, W*f3)``;
    ``factor`` an int or 3 ints. See :class:`_PixelShuffle`. Raises ``ValueError`` for bad factors."""

    def __init__(self, factor, **kwargs):
        super().__init__(factor, 3, **kwargs)
