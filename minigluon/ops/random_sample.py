"""Samplers with array parameters: ``_sample_exponential``, ``_sample_gamma``,
``_sample_poisson``, ``_sample_negative_binomial`` and ``_sample_generalized_negative_binomial``
(MXNet 1.9.1 ``src/operator/random/multisample_op.cc``; ``nd.random.gamma(alpha=NDArray, ...)``,
``nd.sample_gamma``).

Like ``_sample_uniform`` / ``_sample_normal`` (:mod:`minigluon.ops.random_ops`): the parameter
arrays share one shape ``P``, each element gets its own block of ``shape`` draws, and the output
has shape ``P + shape`` and ``dtype`` (float32 by default, whatever the parameters' dtype). The
draws come from the per-device generator of :mod:`minigluon.random`, so ``mx.random.seed``
makes them reproducible; the counts of the discrete distributions are floating-point, and the
negative binomials are gamma-Poisson mixtures as in :mod:`minigluon.ops.random_nb`. No gradient.

MXNet 1.9.1 does not check the parameters' values (a negative Poisson mean gives made-up
counts, ``p = 0`` never returns); here a value outside the distribution's domain raises a
ValueError naming the parameter.
"""
import numpy as np

from minigluon import random as _rnd
from minigluon.ops.random_ops import _FLOATS, _float_dtype, _ParamSampler
from minigluon.ops.registry import Attr, register, shape_error


class _ArraySampler(_ParamSampler):
    """Base: ``domain`` maps each parameter to (test, wording); ``_draw(gen, shape, *params)``
    gets the parameters as float64 arrays broadcastable to the output ``shape``."""

    attrs = {'shape': Attr('shape', (), minimum=0), 'dtype': Attr('str', 'None', choices=_FLOATS)}
    domain = {}

    def forward(self, xp, *params):
        names = self.arguments
        for name, p in zip(names[1:], params[1:]):
            if p.shape != params[0].shape:
                raise shape_error(self, '%s must all have one shape' % ', '.join(names), *params)
        ps = [self._expand(xp, p.astype(np.float64)) for p in params]
        for name, p in zip(names, ps):
            test, wording = self.domain[name]
            bad = ~test(p)
            if bool(bad.any()):
                raise ValueError('%s: every %s must be %s, got %r' % (
                    self.name, name, wording, float(p[bad].ravel()[0])))
        out = self._draw(_rnd.generator(xp), self._out_shape(params[0]), *ps)
        return out.astype(_float_dtype(self.dtype), copy=False)

    def infer_shape(self, in_shapes):
        # Not the default (a forward pass on zeros): zeros can be outside the domain, and the
        # pass would consume random draws.
        known = next((tuple(s) for s in in_shapes if s is not None), None)
        if known is None:
            raise ValueError('%s: the shape of %s must be known' % (self.name, self.arguments))
        return [known] * len(in_shapes), [known + tuple(self.shape or ())]


_POSITIVE = (lambda v: v > 0, 'positive')
_NON_NEGATIVE = (lambda v: v >= 0, 'non-negative')


def _gamma_poisson(gen, shape_param, scale, shape):
    return gen.poisson(gen.gamma(shape_param, scale, size=shape)).astype(np.float64)


@register
class SampleExponential(_ArraySampler):
    """Exponential samples with per-element rates ``lam`` (mean ``1/lam``)."""

    name = '_sample_exponential'
    mxnet_input_names = True
    aliases = ('sample_exponential',)
    arguments = ('lam',)
    domain = {'lam': _POSITIVE}

    def _draw(self, gen, shape, lam):
        return gen.exponential(1.0 / lam, size=shape)


@register
class SampleGamma(_ArraySampler):
    """Gamma samples with per-element shapes ``alpha`` and scales ``beta`` (mean
    ``alpha*beta``; ``random_pdf_gamma`` reads its ``beta`` as a rate)."""

    name = '_sample_gamma'
    mxnet_input_names = True
    aliases = ('sample_gamma',)
    arguments = ('alpha', 'beta')
    domain = {'alpha': _POSITIVE, 'beta': _POSITIVE}

    def _draw(self, gen, shape, alpha, beta):
        return gen.gamma(alpha, beta, size=shape)


@register
class SamplePoisson(_ArraySampler):
    """Poisson counts (floating-point) with per-element means ``lam``."""

    name = '_sample_poisson'
    mxnet_input_names = True
    aliases = ('sample_poisson',)
    arguments = ('lam',)
    domain = {'lam': _NON_NEGATIVE}

    def _draw(self, gen, shape, lam):
        return gen.poisson(lam, size=shape).astype(np.float64)


@register
class SampleNegativeBinomial(_ArraySampler):
    """Negative binomial counts: failures before the ``k``-th success with success
    probability ``p`` (per element; ``k`` need not be an integer, ``k = 0`` gives 0)."""

    name = '_sample_negative_binomial'
    mxnet_input_names = True
    aliases = ('sample_negative_binomial',)
    arguments = ('k', 'p')
    domain = {'k': _NON_NEGATIVE, 'p': (lambda v: (v > 0) & (v <= 1), 'in (0, 1]')}

    def _draw(self, gen, shape, k, p):
        return _gamma_poisson(gen, k, (1. - p) / p, shape)


@register
class SampleGeneralizedNegativeBinomial(_ArraySampler):
    """Generalized negative binomial counts of per-element mean ``mu`` and dispersion
    ``alpha`` (variance ``mu + alpha*mu**2``; ``alpha = 0`` draws Poisson counts)."""

    name = '_sample_generalized_negative_binomial'
    mxnet_input_names = True
    aliases = ('sample_generalized_negative_binomial',)
    arguments = ('mu', 'alpha')
    domain = {'mu': _NON_NEGATIVE, 'alpha': _NON_NEGATIVE}

    def _draw(self, gen, shape, mu, alpha):
        poisson = alpha == 0
        a = alpha + poisson                           # 1 where alpha == 0 (a placeholder)
        rate = gen.gamma(1. / a, a * mu, size=shape)
        rate = rate * ~poisson + mu * poisson          # the Poisson limit takes mu itself
        return gen.poisson(rate).astype(np.float64)
