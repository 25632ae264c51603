"""Activation blocks: Activation, LeakyReLU, PReLU, ELU, SELU, GELU, Swish.

Semantics, names and reprs follow ``mxnet.gluon.nn.activations`` (MXNet 1.9.1). Each one is a thin
HybridBlock over the ``Activation`` / ``LeakyReLU`` / ``sigmoid`` operators.
"""
from minigluon import initializer
from minigluon.block import HybridBlock

__all__ = ['Activation', 'LeakyReLU', 'PReLU', 'ELU', 'SELU', 'Swish', 'GELU']


class Activation(HybridBlock):
    """Applies ``act_type`` elementwise: 'relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'.

    Its automatic name is the activation (``relu0_``), as in MXNet.
    """

    def __init__(self, activation, **kwargs):
        if not isinstance(activation, str):
            raise TypeError("Activation: activation must be a str such as 'relu', got %r" % (activation,))
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name='fwd')

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._act_type)


class LeakyReLU(HybridBlock):
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise (Maas et al. 2013).

    Raises
    ------
    ValueError
        When ``alpha < 0``.
    """

    def __init__(self, alpha, **kwargs):
        if alpha < 0:
            raise ValueError('Slope coefficient for LeakyReLU must be no less than 0, got %r' % (alpha,))
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='leaky', slope=self._alpha, name='fwd')

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._alpha)


class PReLU(HybridBlock):
    """Leaky ReLU with a learned slope ``alpha`` of shape ``(in_channels,)`` (He et al. 2015),
    broadcast along axis 1. Parameter ``alpha`` starts at ``Constant(0.25)``."""

    def __init__(self, alpha_initializer=None, in_channels=1, **kwargs):
        super().__init__(**kwargs)
        if alpha_initializer is None:
            alpha_initializer = initializer.Constant(0.25)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type='prelu', name='fwd')


class ELU(HybridBlock):
    """Exponential linear unit (Clevert et al. 2015): ``alpha * (exp(x) - 1)`` for ``x < 0``."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='elu', slope=self._alpha)


class SELU(HybridBlock):
    """Scaled ELU (Klambauer et al. 2017)."""

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='selu', name='fwd')


class GELU(HybridBlock):
    """Gaussian error linear unit, ``x * Phi(x)`` with the exact erf (Hendrycks & Gimpel 2016)."""

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='gelu', name='fwd')


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)`` (Ramachandran et al. 2017)."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name='fwd')
