"""Random sampling operators: ``_random_uniform``, ``_random_normal``, ``_random_randint``,
``_random_exponential``, ``_random_gamma``, ``_random_poisson``, their ``_like`` forms
(``_random_uniform_like`` ...), ``_sample_uniform``, ``_sample_normal``, ``_sample_multinomial`` and
``_shuffle``.

Semantics follow MXNet 1.9.1 (``src/operator/random/sample_op.cc``, ``multisample_op.cc``,
``shuffle_op.cc``). The ``_random_*`` operators take no array input: they read ``shape``, ``dtype``
and ``ctx`` from their attributes, and :func:`minigluon.ndarray.invoke` places the result on ``ctx``
(or the current context when ``ctx`` is empty). Draws come from the per-context generator of
:mod:`minigluon.random`, so ``minigluon.random.seed`` makes them reproducible. Sampling operators
have no gradient with respect to their parameters (as in MXNet).
"""
import numpy as np

from minigluon import random as _rnd
from minigluon.ops.registry import Attr, Op, register, shape_error

_FLOATS = ('None', 'float16', 'float32', 'float64')


def _float_dtype(dtype):
    return np.dtype('float32' if dtype in (None, 'None') else dtype)


class _Sampler(Op):
    """Base of the zero-input samplers: no gradient, output on the ``ctx`` attribute's device.
    Called with ``out=`` and no ``dtype`` or ``shape``, they draw ``out``'s (MXNet 1.9.1 infers
    them from its output array; :func:`minigluon.ndarray.dispatch.attrs_from_out`)."""

    arguments = ()
    differentiable = False
    attrs_from_out = ('dtype', 'shape')

    def _shape(self):
        return tuple(self.shape) if self.shape else (1,)   # MXNet's default shape is (1,)

    def backward(self, xp, *grads):
        return ()

    def infer_type(self, in_types):
        default = 'int32' if self.name == '_random_randint' else 'float32'
        return [], [np.dtype(default if self.dtype == 'None' else self.dtype)]


@register
class RandomUniform(_Sampler):
    """Samples from the uniform distribution on ``[low, high)``.

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32).
    Raises ValueError when ``high < low``.
    """

    name = '_random_uniform'
    aliases = ('uniform', 'random_uniform')
    attrs = {'low': Attr('float', 0.0), 'high': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0),
             'ctx': Attr('str', ''), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        if self.high < self.low:
            raise ValueError('%s: high (%g) must be >= low (%g)' % (self.name, self.high, self.low))

    def forward(self, xp):
        return _rnd.draw_uniform(xp, self._shape(), self.low, self.high, _float_dtype(self.dtype))


@register
class RandomNormal(_Sampler):
    """Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``.

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32).
    Raises ValueError when ``scale < 0``.
    """

    name = '_random_normal'
    aliases = ('normal', 'random_normal')
    attrs = {'loc': Attr('float', 0.0), 'scale': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0),
             'ctx': Attr('str', ''), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        if self.scale < 0:
            raise ValueError('%s: scale (%g) must be non-negative' % (self.name, self.scale))

    def forward(self, xp):
        return _rnd.draw_normal(xp, self._shape(), self.loc, self.scale, _float_dtype(self.dtype))


@register
class RandomRandint(_Sampler):
    """Samples integers uniformly from ``[low, high)``; dtype int32 (default) or int64."""

    name = '_random_randint'
    aliases = ('random_randint',)
    attrs = {'low': Attr('int'), 'high': Attr('int'), 'shape': Attr('shape', None, minimum=0),
             'ctx': Attr('str', ''), 'dtype': Attr('str', 'None', choices=('None', 'int32', 'int64'))}

    def check_attrs(self):
        if self.high <= self.low:
            raise ValueError('%s: high (%d) must be > low (%d)' % (self.name, self.high, self.low))

    def forward(self, xp):
        dtype = np.dtype('int32' if self.dtype == 'None' else self.dtype)
        return _rnd.draw_integers(xp, self._shape(), self.low, self.high, dtype)


class _ScalarSampler(_Sampler):
    """Zero-input sampler of a NumPy/CuPy generator distribution: ``_draw(gen, shape)`` gives
    float64 samples, cast to ``dtype`` (default float32)."""

    def forward(self, xp):
        sample = self._draw(_rnd.generator(xp), self._shape())
        return sample.astype(_float_dtype(self.dtype), copy=False)


@register
class RandomExponential(_ScalarSampler):
    """Samples from the exponential distribution with rate ``lam`` (mean ``1 / lam``).

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32).
    Raises ValueError unless ``lam > 0`` (MXNet ``random_exponential``).
    """

    name = '_random_exponential'
    aliases = ('random_exponential',)
    attrs = {'lam': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0), 'ctx': Attr('str', ''),
             'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        if not self.lam > 0:
            raise ValueError('%s: lam (%g) must be positive' % (self.name, self.lam))

    def _draw(self, gen, shape):
        return gen.exponential(1.0 / self.lam, size=shape)


@register
class RandomGamma(_ScalarSampler):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta`` (mean
    ``alpha * beta``).

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32).
    Raises ValueError unless ``alpha > 0`` and ``beta > 0`` (MXNet ``random_gamma``).
    """

    name = '_random_gamma'
    aliases = ('random_gamma',)
    attrs = {'alpha': Attr('float', 1.0), 'beta': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0),
             'ctx': Attr('str', ''), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        for key in ('alpha', 'beta'):
            if not getattr(self, key) > 0:
                raise ValueError('%s: %s (%g) must be positive' % (self.name, key, getattr(self, key)))

    def _draw(self, gen, shape):
        return gen.gamma(self.alpha, self.beta, size=shape)


@register
class RandomPoisson(_ScalarSampler):
    """Samples from the Poisson distribution with mean ``lam``, as floating-point counts.

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32).
    Raises ValueError when ``lam < 0`` (MXNet ``random_poisson``).
    """

    name = '_random_poisson'
    aliases = ('random_poisson',)
    attrs = {'lam': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0), 'ctx': Attr('str', ''),
             'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        if not self.lam >= 0:
            raise ValueError('%s: lam (%g) must be non-negative' % (self.name, self.lam))

    def _draw(self, gen, shape):
        return gen.poisson(self.lam, size=shape)


class _LikeSampler(Op):
    """Base of the ``_random_*_like`` samplers: one input ``data`` whose shape and dtype the
    samples take (its values are not read); ``_draw(gen, shape)`` gives float64 samples.

    MXNet 1.9.1 ``src/operator/random/sample_op.cc`` (``_random_uniform_like`` ...). No gradient.
    """

    differentiable = False

    def infer_shape(self, in_shapes):
        # Not the default (a forward pass on zeros): that would consume random draws.
        if in_shapes[0] is None:
            raise ValueError('%s: the shape of data must be known' % self.name)
        return list(in_shapes), [tuple(in_shapes[0])]

    def forward(self, xp, data):
        sample = self._draw(xp, data.shape)
        return sample.astype(data.dtype, copy=False)

    def backward(self, xp, *grads):
        return (None,)


@register
class RandomUniformLike(_LikeSampler):
    """Uniform samples on ``[low, high)`` in the shape and dtype of ``data``.

    Raises ValueError when ``high < low``.
    """

    name = '_random_uniform_like'
    aliases = ('random_uniform_like',)
    attrs = {'low': Attr('float', 0.0), 'high': Attr('float', 1.0)}
    check_attrs = RandomUniform.check_attrs

    def _draw(self, xp, shape):
        return _rnd.draw_uniform(xp, shape, self.low, self.high, np.float64)


@register
class RandomNormalLike(_LikeSampler):
    """Normal samples (mean ``loc``, standard deviation ``scale``) in the shape and dtype of
    ``data``. Raises ValueError when ``scale < 0``."""

    name = '_random_normal_like'
    aliases = ('random_normal_like',)
    attrs = {'loc': Attr('float', 0.0), 'scale': Attr('float', 1.0)}
    check_attrs = RandomNormal.check_attrs

    def _draw(self, xp, shape):
        return _rnd.draw_normal(xp, shape, self.loc, self.scale, np.float64)


@register
class RandomExponentialLike(_LikeSampler):
    """Exponential samples with rate ``lam`` in the shape and dtype of ``data``.
    Raises ValueError unless ``lam > 0``."""

    name = '_random_exponential_like'
    aliases = ('random_exponential_like',)
    attrs = {'lam': Attr('float', 1.0)}
    check_attrs = RandomExponential.check_attrs

    def _draw(self, xp, shape):
        return _rnd.generator(xp).exponential(1.0 / self.lam, size=shape)


@register
class RandomGammaLike(_LikeSampler):
    """Gamma samples (shape ``alpha``, scale ``beta``) in the shape and dtype of ``data``.
    Raises ValueError unless both are positive."""

    name = '_random_gamma_like'
    aliases = ('random_gamma_like',)
    attrs = {'alpha': Attr('float', 1.0), 'beta': Attr('float', 1.0)}
    check_attrs = RandomGamma.check_attrs

    def _draw(self, xp, shape):
        return _rnd.generator(xp).gamma(self.alpha, self.beta, size=shape)


@register
class RandomPoissonLike(_LikeSampler):
    """Poisson samples with mean ``lam`` (as floating-point counts) in the shape and dtype of
    ``data``. Raises ValueError when ``lam < 0``."""

    name = '_random_poisson_like'
    aliases = ('random_poisson_like',)
    attrs = {'lam': Attr('float', 1.0)}
    check_attrs = RandomPoisson.check_attrs

    def _draw(self, xp, shape):
        return _rnd.generator(xp).poisson(self.lam, size=shape)


class _ParamSampler(Op):
    """Base of ``_sample_*``: one draw block of ``shape`` per element of the parameter arrays.

    Output shape is ``params.shape + shape``; called with ``out=`` and no ``dtype``, the
    samples have ``out``'s dtype, as MXNet 1.9.1 infers it.
    """

    differentiable = False
    attrs_from_out = ('dtype',)

    def _out_shape(self, param):
        return tuple(param.shape) + tuple(self.shape or ())

    def _expand(self, xp, param):
        return param.reshape(param.shape + (1,) * len(self.shape or ()))

    def infer_type(self, in_types):
        """The output has ``dtype`` (float32 by default, whatever the parameters' dtype, as the
        forwards draw it); unknown parameters take a known one's dtype, else float32."""
        known = next((t for t in in_types if t is not None), np.dtype(np.float32))
        return [known if t is None else t for t in in_types], [_float_dtype(self.dtype)]

    def backward(self, xp, *grads):
        return (None,) * len(self.arguments)


@register
class SampleUniform(_ParamSampler):
    """Uniform samples with per-element bounds ``low`` and ``high`` (same shape)."""

    name = '_sample_uniform'
    mxnet_input_names = True
    aliases = ('sample_uniform',)
    arguments = ('low', 'high')
    attrs = {'shape': Attr('shape', (), minimum=0), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def forward(self, xp, low, high):
        if low.shape != high.shape:
            raise shape_error(self, 'low and high must have the same shape', low, high)
        u = _rnd.draw_uniform(xp, self._out_shape(low), 0.0, 1.0, _float_dtype(self.dtype))
        lo, hi = self._expand(xp, low), self._expand(xp, high)
        return (lo + u * (hi - lo)).astype(u.dtype, copy=False)


@register
class SampleNormal(_ParamSampler):
    """Normal samples with per-element ``mu`` and ``sigma`` (same shape)."""

    name = '_sample_normal'
    mxnet_input_names = True
    aliases = ('sample_normal',)
    arguments = ('mu', 'sigma')
    attrs = {'shape': Attr('shape', (), minimum=0), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def forward(self, xp, mu, sigma):
        if mu.shape != sigma.shape:
            raise shape_error(self, 'mu and sigma must have the same shape', mu, sigma)
        z = _rnd.draw_normal(xp, self._out_shape(mu), 0.0, 1.0, _float_dtype(self.dtype))
        return (self._expand(xp, mu) + z * self._expand(xp, sigma)).astype(z.dtype, copy=False)


@register
class SampleMultinomial(_ParamSampler):
    """Draw category indices from the distributions in the last axis of ``data``.

    ``data`` of shape ``(..., k)`` holds probabilities (each row sums to 1; a row of
    non-negative weights is drawn from in proportion to them, as MXNet does; a negative or NaN
    entry, or a row of zeros, raises ValueError, where MXNet draws meaningless indices); the
    output has shape
    ``data.shape[:-1] + shape`` and ``dtype`` (int32 by default). With ``get_prob=True`` a second
    output holds the log-probability of each drawn sample, differentiable as in MXNet 1.9.1 (the
    REINFORCE estimator): ``data`` receives, per class, the head gradients of the samples that
    drew it divided by its probability.
    """

    name = '_sample_multinomial'
    aliases = ('sample_multinomial',)
    arguments = ('data',)
    differentiable = True
    attrs = {'shape': Attr('shape', (), minimum=0), 'get_prob': Attr('bool', False),
             'dtype': Attr('str', 'int32', choices=('float16', 'float32', 'float64', 'int32', 'uint8'))}

    def check_attrs(self):
        self.num_outputs = 2 if self.get_prob else 1

    def infer_type(self, in_types):
        prob = in_types[0] or np.dtype(np.float32)
        return [prob], [np.dtype(self.dtype), prob][:self.num_outputs]

    def forward(self, xp, data):
        if data.ndim < 1 or data.shape[-1] == 0:
            raise shape_error(self, 'data must have a non-empty last axis of probabilities', data)
        k = data.shape[-1]
        rows = data.reshape(-1, k).astype(np.float64)
        if rows.size and bool((~(rows >= 0)).any() | ~(rows.sum(axis=1) > 0).all()):
            # (MXNet 1.9.1 draws from such rows all the same: meaningless indices)
            raise shape_error(self, 'data must hold non-negative probabilities (no NaN), each '
                              'row with a positive sum', data)
        cdf = xp.cumsum(rows, axis=1)
        n = int(np.prod(self.shape)) if self.shape else 1
        u = _rnd.draw_uniform(xp, (rows.shape[0], n), 0.0, 1.0, np.dtype(np.float64))
        u = u * cdf[:, -1:]
        idx = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        idx = xp.minimum(idx, k - 1)
        out_shape = data.shape[:-1] + tuple(self.shape or ()) or (1,)   # MXNet: never 0-d
        out = idx.reshape(out_shape).astype(self.dtype)
        if not self.get_prob:
            return out
        prob = xp.take_along_axis(rows, idx, axis=1)
        self.rows, self.idx, self.in_shape, self.in_dtype = rows, idx, data.shape, data.dtype
        return out, xp.log(prob).reshape(out_shape).astype(data.dtype)

    def backward(self, xp, *grads):
        if not self.get_prob or grads[1] is None:     # the indices pass no gradient
            return (None,)
        rows, idx = self.rows, self.idx
        g = grads[1].reshape(idx.shape).astype(np.float64)
        per_draw = g / xp.take_along_axis(rows, idx, axis=1)       # d log p[c] / d p[c] = 1 / p[c]
        hot = idx[:, :, None] == xp.arange(rows.shape[1])
        grad = (hot * per_draw[:, :, None]).sum(axis=1)
        return (grad.reshape(self.in_shape).astype(self.in_dtype),)


@register
class Shuffle(Op):
    """Randomly permute ``data`` along its first axis (a new array; no gradient)."""

    name = '_shuffle'
    aliases = ('shuffle',)
    differentiable = False

    def forward(self, xp, data):
        if data.ndim == 0:
            return data.copy()
        perm = _rnd.draw_permutation(xp, data.shape[0])
        return data[perm]
