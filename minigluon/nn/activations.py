"""Activation blocks: Activation, LeakyReLU, PReLU, ELU, SELU, GELU, Swish.

Semantics, names and reprs follow ``mxnet.gluon.nn.activations`` (MXNet 1.9.1). Each one is a thin
HybridBlock over the ``Activation`` / ``LeakyReLU`` / ``sigmoid`` operators.
"""
from minigluon import initializer
from minigluon._docs import shared_sections
from minigluon.block import HybridBlock

__all__ = ['Activation', 'LeakyReLU', 'PReLU', 'ELU', 'SELU', 'Swish', 'GELU']


# The Inputs/Outputs/Raises sections of the element-wise activations (see minigluon/_docs.py).
_elementwise_doc = shared_sections({'    <elementwise input, output and errors>\n': """\
    Inputs
    ------
    x : NDArray, any shape, float16, float32 or float64

    Outputs
    -------
    NDArray, same shape and dtype as ``x``

    Raises
    ------
    TypeError
        ``x`` is not floating point.
"""})


class Activation(HybridBlock):
    """Applies a named activation function elementwise (MXNet 1.9.1 ``mxnet.gluon.nn.Activation``,
    over the ``Activation`` operator).

    ``'relu'``: ``max(x, 0)``; ``'sigmoid'``: ``1 / (1 + exp(-x))``; ``'tanh'``; ``'softrelu'``:
    ``log(1 + exp(x))``; ``'softsign'``: ``x / (1 + |x|)``. Its automatic name is the activation
    (``relu0_``), as in MXNet.

    Parameters
    ----------
    activation : str
        One of ``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'softrelu'``, ``'softsign'``.

    Inputs
    ------
    x : NDArray, any shape, float16, float32 or float64

    Outputs
    -------
    NDArray, same shape and dtype as ``x``

    Raises
    ------
    TypeError
        ``activation`` is not a str (at construction); ``x`` is not floating point.
    ValueError
        ``activation`` is not one of the names above (at the first forward call, as MXNet 1.9.1;
        for ``'gelu'``, ``'swish'``, ``'elu'``... it names the layer that computes it,
        ``nn.GELU()``...).
    """

    def __init__(self, activation, **kwargs):
        if not isinstance(activation, str):
            raise TypeError("Activation: activation must be a str such as 'relu', got %r" % (activation,))
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        try:
            return F.Activation(x, act_type=self._act_type, name='fwd')
        except ValueError as err:
            layer = _LAYERS_OF_THEIR_OWN.get(self._act_type.lower())
            if layer is None:
                raise
            raise type(err)('%s; %r is a layer of its own: nn.%s' % (err, self._act_type, layer)) from None

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, self._act_type)


# activation names (as other libraries spell them) that Activation refuses but a layer computes
_LAYERS_OF_THEIR_OWN = {'gelu': 'GELU()', 'swish': 'Swish()', 'silu': 'Swish()', 'elu': 'ELU()',
                        'selu': 'SELU()', 'leaky_relu': 'LeakyReLU(alpha)',
                        'leakyrelu': 'LeakyReLU(alpha)', 'leaky': 'LeakyReLU(alpha)',
                        'prelu': 'PReLU()'}


class LeakyReLU(HybridBlock):
    """Leaky rectifier: ``x`` for ``x >= 0``, ``alpha * x`` otherwise (Maas et al. 2013; MXNet 1.9.1
    ``mxnet.gluon.nn.LeakyReLU``, over the ``LeakyReLU`` operator with ``act_type='leaky'``).

    Parameters
    ----------
    alpha : float
        Slope for negative inputs; must be ``>= 0``.

    Inputs
    ------
    x : NDArray, any shape, float16, float32 or float64

    Outputs
    -------
    NDArray, same shape and dtype as ``x``

    Raises
    ------
    ValueError
        ``alpha < 0`` (at construction).
    TypeError
        ``x`` is not floating point.
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
    """Parametric ReLU: a leaky rectifier whose slope is learned, one per channel (He et al. 2015;
    MXNet 1.9.1 ``mxnet.gluon.nn.PReLU``).

    ``y = x`` for ``x >= 0``, ``alpha[c] * x`` otherwise, with ``c`` the index on axis 1.

    Parameters
    ----------
    alpha_initializer : Initializer, default ``Constant(0.25)``
        Initializer of the learned ``alpha`` parameter.
    in_channels : int, default 1
        Length of ``alpha``: 1 shares one slope across all channels; otherwise the size of axis 1.

    Inputs
    ------
    x : NDArray, shape (N, C, ...), float16, float32 or float64
        ``C`` must equal ``in_channels`` unless ``in_channels`` is 1.

    Outputs
    -------
    NDArray, same shape and dtype as ``x``

    Raises
    ------
    ValueError
        ``alpha`` is neither ``(1,)`` nor ``(C,)`` for the channel axis of ``x``.
    TypeError
        ``x`` is not floating point.
    """

    def __init__(self, alpha_initializer=None, in_channels=1, **kwargs):
        super().__init__(**kwargs)
        if alpha_initializer is None:
            alpha_initializer = initializer.Constant(0.25)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type='prelu', name='fwd')


@_elementwise_doc
class ELU(HybridBlock):
    r"""Exponential linear unit (Clevert et al. 2015; MXNet 1.9.1 ``mxnet.gluon.nn.ELU``).

    .. math:: y = x \ (x > 0), \qquad y = \alpha (e^{x} - 1) \ (x \le 0)

    Parameters
    ----------
    alpha : float, default 1.0
        Scale of the negative branch (its limit is ``-alpha``).

    <elementwise input, output and errors>
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='elu', slope=self._alpha)


@_elementwise_doc
class SELU(HybridBlock):
    r"""Scaled exponential linear unit (Klambauer et al. 2017; MXNet 1.9.1 ``mxnet.gluon.nn.SELU``).

    .. math:: y = \lambda x \ (x > 0), \qquad y = \lambda \alpha (e^{x} - 1) \ (x \le 0)

    with the paper's constants ``lambda = 1.0507009873554805``, ``alpha = 1.6732632423543772``.
    No arguments besides ``prefix`` / ``params``. **Differs from MXNet:** the gradient for
    ``x < 0`` is the true derivative ``lambda * alpha * exp(x)`` (MXNet 1.9.1 computes
    ``lambda * (y + alpha)`` there).

    <elementwise input, output and errors>
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='selu', name='fwd')


@_elementwise_doc
class GELU(HybridBlock):
    r"""Gaussian error linear unit (Hendrycks & Gimpel 2016; MXNet 1.9.1 ``mxnet.gluon.nn.GELU``).

    .. math:: y = x\, \Phi(x) = \tfrac{x}{2} \left(1 + \operatorname{erf}(x / \sqrt{2})\right)

    The exact erf form, not the tanh approximation. No arguments besides ``prefix`` / ``params``.

    <elementwise input, output and errors>
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='gelu', name='fwd')


class Swish(HybridBlock):
    r"""Swish activation (Ramachandran et al. 2017; MXNet 1.9.1 ``mxnet.gluon.nn.Swish``).

    .. math:: y = x \cdot \operatorname{sigmoid}(\beta x)

    Parameters
    ----------
    beta : float, default 1.0
        Sharpness of the gate; ``beta = 1`` is the SiLU.

    Inputs
    ------
    x : NDArray, any shape, floating point

    Outputs
    -------
    NDArray, same shape and dtype as ``x``
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name='fwd')
