"""Negative binomial samplers: ``_random_negative_binomial`` and
``_random_generalized_negative_binomial`` and their ``_like`` forms (MXNet 1.9.1
``src/operator/random/sample_op.cc``; the array-parameter ``_sample_*`` forms are in
:mod:`minigluon.ops.random_sample`).

Both draw a gamma-distributed rate and then a Poisson count with that rate (the gamma-Poisson
mixture MXNet's sampler uses), from the per-context generator of :mod:`minigluon.random`:

* ``negative_binomial(k, p)``: failures before the ``k``-th success with success probability
  ``p``; rate ``Gamma(k, (1-p)/p)``, mean ``k(1-p)/p``, variance ``k(1-p)/p**2``;
* ``generalized_negative_binomial(mu, alpha)``: mean ``mu``, variance ``mu + alpha*mu**2``; rate
  ``Gamma(1/alpha, alpha*mu)``, or exactly ``mu`` (a Poisson draw) when ``alpha == 0``.

MXNet does not check ``k`` and ``p`` (``p=0`` gives garbage counts there); here ``k < 0`` or ``p``
outside ``(0, 1]`` raise ValueError, as do a negative ``mu`` or ``alpha`` (which MXNet refuses too).
"""
import numpy as np

from minigluon.ops.random_ops import _FLOATS, _LikeSampler, _ScalarSampler
from minigluon import random as _rnd
from minigluon.ops.registry import Attr, register


def _gamma_poisson(gen, shape_param, scale, shape):
    counts = gen.poisson(gen.gamma(shape_param, scale, size=shape))
    # shape () (a ``_like`` of a 0-d array) gives a Python int, not an array
    return counts.astype('float64') if hasattr(counts, 'astype') else np.float64(counts)


@register
class RandomNegativeBinomial(_ScalarSampler):
    """Samples of the negative binomial distribution (failures before ``k`` successes, success
    probability ``p``) as floating-point counts.

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32). Raises
    ValueError unless ``k >= 0`` and ``0 < p <= 1`` (MXNet 1.9.1 ``random_negative_binomial``).
    """

    name = '_random_negative_binomial'
    aliases = ('random_negative_binomial',)
    attrs = {'k': Attr('int', 1), 'p': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0),
             'ctx': Attr('str', ''), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        if self.k < 0:
            raise ValueError('%s: k (%d) must be non-negative' % (self.name, self.k))
        if not 0 < self.p <= 1:
            raise ValueError('%s: p (%g) must be in (0, 1]' % (self.name, self.p))

    def _draw(self, gen, shape):
        return _gamma_poisson(gen, self.k, (1. - self.p) / self.p, shape)


@register
class RandomGeneralizedNegativeBinomial(_ScalarSampler):
    """Samples of the generalized negative binomial distribution of mean ``mu`` and dispersion
    ``alpha`` (variance ``mu + alpha*mu**2``) as floating-point counts.

    Output: an array of ``shape`` (default ``(1,)``) and ``dtype`` (default float32). Raises
    ValueError for a negative ``mu`` or ``alpha`` (MXNet 1.9.1
    ``random_generalized_negative_binomial``).
    """

    name = '_random_generalized_negative_binomial'
    aliases = ('random_generalized_negative_binomial',)
    attrs = {'mu': Attr('float', 1.0), 'alpha': Attr('float', 1.0), 'shape': Attr('shape', None, minimum=0),
             'ctx': Attr('str', ''), 'dtype': Attr('str', 'None', choices=_FLOATS)}

    def check_attrs(self):
        for key in ('mu', 'alpha'):
            if not getattr(self, key) >= 0:
                raise ValueError('%s: %s (%g) must be non-negative'
                                 % (self.name, key, getattr(self, key)))

    def _draw(self, gen, shape):
        if self.alpha == 0:
            return gen.poisson(self.mu, size=shape).astype('float64')
        return _gamma_poisson(gen, 1. / self.alpha, self.alpha * self.mu, shape)


@register
class RandomNegativeBinomialLike(_LikeSampler):
    """Negative binomial counts (``k`` successes, success probability ``p``) in the shape and
    dtype of ``data``. Raises ValueError unless ``k >= 0`` and ``0 < p <= 1``."""

    name = '_random_negative_binomial_like'
    aliases = ('random_negative_binomial_like',)
    attrs = {'k': Attr('int', 1), 'p': Attr('float', 1.0)}
    check_attrs = RandomNegativeBinomial.check_attrs

    def _draw(self, xp, shape):
        return RandomNegativeBinomial._draw(self, _rnd.generator(xp), shape)


@register
class RandomGeneralizedNegativeBinomialLike(_LikeSampler):
    """Generalized negative binomial counts (mean ``mu``, dispersion ``alpha``) in the shape and
    dtype of ``data``. Raises ValueError for a negative ``mu`` or ``alpha``."""

    name = '_random_generalized_negative_binomial_like'
    aliases = ('random_generalized_negative_binomial_like',)
    attrs = {'mu': Attr('float', 1.0), 'alpha': Attr('float', 1.0)}
    check_attrs = RandomGeneralizedNegativeBinomial.check_attrs

    def _draw(self, xp, shape):
        return RandomGeneralizedNegativeBinomial._draw(self, _rnd.generator(xp), shape)
