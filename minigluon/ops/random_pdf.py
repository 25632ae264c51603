"""Probability densities of MXNet 1.9.1's distributions: ``_random_pdf_normal``, ``_uniform``,
``_gamma``, ``_exponential``, ``_poisson``, ``_negative_binomial``,
``_generalized_negative_binomial`` and ``_dirichlet`` (``nd.random_pdf_normal(sample, mu,
sigma, is_log=False)`` ...; MXNet ``src/operator/random/pdf_op.cc``).

Layout. The parameters all have one shape ``P``; ``sample`` has shape ``P + D``: its leading
dimensions pick the distribution and its trailing ones ``D`` (possibly none) are draws from it.
The output has the sample's shape. The Dirichlet's parameter ``alpha`` has shape ``P + (k,)``
and ``sample`` shape ``P + D + (k,)``; its output drops the last axis (``(1,)`` rather than a
0-d array). With ``is_log=True`` the output is the log-density.

Each operator differentiates with respect to the sample (zero for the discrete distributions,
as in MXNet) and to every parameter; a parameter's gradient sums over the draws ``D``.

Where this differs from MXNet 1.9.1 (which evaluates its formula everywhere):

* a sample outside the support has density 0 (log-density ``-inf``) and zero gradients: a
  negative sample of the exponential, gamma, Poisson and negative binomials, a uniform sample
  outside ``[low, high]``, a Dirichlet sample with a negative component (MXNet gives
  ``1/(high-low)`` outside the uniform's interval, ``lam*exp(-lam*x)`` for a negative
  exponential sample, NaN or made-up values for the others);
* the degenerate limits take their values: Poisson ``lam=0`` and negative binomial ``p=1`` put
  all mass at 0, the generalized negative binomial with ``alpha=0`` is the Poisson of mean
  ``mu`` (its ``alpha`` gradient is the limit ``((x-mu)**2 - x)/2``), the gamma with ``alpha=1``
  at ``x=0`` has density ``beta`` (MXNet: NaN for all of these);
* parameters outside their domain (``sigma <= 0``, ``high <= low``, ``lam <= 0`` for the
  exponential, ``lam < 0``, ``alpha`` or ``beta <= 0``, ``k <= 0``, ``p`` outside ``(0, 1]``,
  negative ``mu`` or ``alpha``, a Dirichlet ``alpha`` component ``<= 0``) give NaN (MXNet:
  NaN, or a negative "density" for ``sigma < 0``).

Like MXNet, non-integer counts of the discrete distributions use the continuous extension of
their formula (``lgamma`` in place of the factorials), and the Dirichlet does not check that a
sample sums to 1. Computed in float64 and returned in the sample's dtype.
"""
import math

import numpy as np

from minigluon.ops import _special
from minigluon.ops.registry import Attr, Op, register, shape_error

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _xlogy(xp, a, x):
    """``a * log(x)``, 0 where ``a == 0`` (so ``0 * log(0) = 0``)."""
    return xp.where(a == 0, 0.0, a * xp.log(xp.where(a == 0, 1.0, x)))


def _div0(xp, a, x):
    """``a / x``, 0 where ``a == 0``."""
    return xp.where(a == 0, 0.0, a / xp.where(a == 0, 1.0, x))


class _Pdf(Op):
    """Base of the density operators: subclasses give ``arguments`` (``sample`` first) and
    ``_log_pdf(xp, x, *params) -> (log density, inside, derivatives)`` on float64 arrays, where
    ``inside`` marks samples in the support and ``derivatives`` holds the derivative of the
    log-density with respect to the sample (``None`` for discrete distributions) and to each
    parameter."""

    attrs = {'is_log': Attr('bool', False)}
    event = 0          # 1 for the Dirichlet: the last axis is one draw

    def _split(self, sample, params):
        """Check dtypes and shapes; return the number of parameter dimensions."""
        names = self.list_arguments()
        for name, a in zip(names, (sample,) + params):
            if a.dtype.kind != 'f':
                raise TypeError('%s: %s must be a floating-point array (float16, float32 or '
                                'float64), got %s' % (self.name, name, a.dtype))
        for name, a in zip(names[1:], params):
            if a.dtype != sample.dtype:
                raise TypeError('%s: %s has dtype %s but sample has %s; all inputs must have one '
                                'dtype' % (self.name, name, a.dtype, sample.dtype))
            if a.shape != params[0].shape:
                raise shape_error(self, 'the parameters %s must all have one shape'
                                  % ', '.join(names[1:]), sample, *params)
        pshape = params[0].shape
        lead = pshape[:len(pshape) - self.event]
        if (sample.ndim < len(pshape) or sample.shape[:len(lead)] != lead
                or sample.shape[sample.ndim - self.event:] != pshape[len(lead):]):
            want = ('the parameters\' shape followed by draw dimensions' if not self.event else
                    'alpha.shape[:-1] + draw dimensions + alpha.shape[-1:]')
            raise shape_error(self, 'sample must have shape %s' % want, sample, *params)
        return len(lead)

    def forward(self, xp, sample, *params):
        nlead = self._split(sample, params)
        ndraw = sample.ndim - nlead - self.event
        x = sample.astype(np.float64)
        ps = [p.astype(np.float64) for p in params]
        if self.event:
            ps = [p.reshape(p.shape[:-1] + (1,) * ndraw + p.shape[-1:]) for p in ps]
        else:
            ps = [p.reshape(p.shape + (1,) * ndraw) for p in ps]
        valid = self._valid(*ps)
        ps = [xp.where(valid, p, np.nan) for p in ps]
        logp, inside, derivs = self._log_pdf(xp, x, *ps)
        bad = ~valid[..., 0] if self.event else ~valid
        logp = xp.where(bad, np.nan, xp.where(inside, logp, -np.inf))
        out = logp if self.is_log else xp.exp(logp)
        self.saved = (out, derivs, nlead, ndraw, sample.dtype,
                      [p.shape for p in params])
        result = out.astype(sample.dtype)
        return result.reshape((1,)) if result.ndim == 0 else result

    def backward(self, xp, grad):
        out, derivs, nlead, ndraw, dtype, pshapes = self.saved
        g = grad.reshape(out.shape).astype(np.float64)
        factor = g if self.is_log else g * out
        # no gradient where the density is 0 (outside the support, or at an edge of it)
        keep = out != (-np.inf if self.is_log else 0)
        if self.event:
            factor, keep = factor[..., None], keep[..., None]
        axes = tuple(range(nlead, nlead + ndraw))
        grads = []
        for i, d in enumerate(derivs):
            if d is None:      # discrete distribution: the sample gets zeros, as in MXNet
                grads.append(xp.zeros(out.shape, dtype=dtype))
                continue
            full = xp.where(keep, factor * d, 0.0)
            if i == 0:
                grads.append(full.astype(dtype))
            else:
                grads.append(full.sum(axis=axes).reshape(pshapes[i - 1]).astype(dtype))
        return tuple(grads)

    def infer_shape(self, in_shapes):
        # Parameters take their shape from each other; the output is the sample's shape (minus
        # the Dirichlet's last axis).
        in_shapes = list(in_shapes)
        known = next((s for s in in_shapes[1:] if s is not None), None)
        in_shapes[1:] = [known if s is None else s for s in in_shapes[1:]]
        if in_shapes[0] is None or known is None:
            raise ValueError('%s: cannot infer the shapes of %s from the other inputs (given %s)'
                             % (self.name, self.list_arguments(), in_shapes))
        in_shapes = [tuple(s) for s in in_shapes]
        out = in_shapes[0][:len(in_shapes[0]) - self.event]
        return in_shapes, [out or (1,)]


@register
class PdfNormal(_Pdf):
    """Density of the normal distributions of means ``mu`` and standard deviations ``sigma``
    at ``sample`` (see the module docstring for shapes and edge cases)."""

    name = '_random_pdf_normal'
    mxnet_input_names = True
    aliases = ('random_pdf_normal',)
    arguments = ('sample', 'mu', 'sigma')

    def _valid(self, mu, sigma):
        return sigma > 0

    def _log_pdf(self, xp, x, mu, sigma):
        z = (x - mu) / sigma
        logp = -0.5 * z * z - xp.log(sigma) - _HALF_LOG_2PI
        dmu = z / sigma
        return logp, xp.ones(logp.shape, bool), (-dmu, dmu, (z * z - 1) / sigma)


@register
class PdfUniform(_Pdf):
    """Density of the uniform distributions on ``[low, high]`` at ``sample``: ``1/(high-low)``
    inside, 0 outside (MXNet 1.9.1 returns ``1/(high-low)`` everywhere)."""

    name = '_random_pdf_uniform'
    mxnet_input_names = True
    aliases = ('random_pdf_uniform',)
    arguments = ('sample', 'low', 'high')

    def _valid(self, low, high):
        return high > low

    def _log_pdf(self, xp, x, low, high):
        inv = xp.broadcast_to(1 / (high - low), x.shape)
        return xp.log(inv), ~((x < low) | (x > high)), (xp.zeros(x.shape), inv, -inv)


@register
class PdfExponential(_Pdf):
    """Density of the exponential distributions of rates ``lam`` at ``sample`` (0 for a
    negative sample)."""

    name = '_random_pdf_exponential'
    mxnet_input_names = True
    aliases = ('random_pdf_exponential',)
    arguments = ('sample', 'lam')

    def _valid(self, lam):
        return lam > 0

    def _log_pdf(self, xp, x, lam):
        logp = xp.log(lam) - lam * x
        return logp, ~(x < 0), (xp.broadcast_to(-lam, x.shape), 1 / lam - x)


@register
class PdfGamma(_Pdf):
    """Density of the gamma distributions of shapes ``alpha`` and **rates** ``beta`` at
    ``sample`` (0 for a negative sample).

    ``beta`` is the rate here, as in MXNet 1.9.1's ``random_pdf_gamma`` (mean ``alpha/beta``),
    whereas ``nd.random.gamma`` and ``_sample_gamma`` read ``beta`` as the scale.
    """

    name = '_random_pdf_gamma'
    mxnet_input_names = True
    aliases = ('random_pdf_gamma',)
    arguments = ('sample', 'alpha', 'beta')

    def _valid(self, alpha, beta):
        return (alpha > 0) & (beta > 0)

    def _log_pdf(self, xp, x, a, b):
        logp = a * xp.log(b) + _xlogy(xp, a - 1, x) - b * x - _special.gammaln(xp, a)
        dx = _div0(xp, a - 1, x) - b
        da = xp.log(b) + xp.log(x) - _special.digamma(xp, a)
        return logp, ~(x < 0), (dx, da, a / b - x)


@register
class PdfPoisson(_Pdf):
    """Probability of the counts ``sample`` under the Poisson distributions of means ``lam``
    (0 for a negative count; ``lam=0`` puts all mass at 0)."""

    name = '_random_pdf_poisson'
    mxnet_input_names = True
    aliases = ('random_pdf_poisson',)
    arguments = ('sample', 'lam')

    def _valid(self, lam):
        return lam >= 0

    def _log_pdf(self, xp, x, lam):
        logp = _xlogy(xp, x, lam) - lam - _special.gammaln(xp, x + 1)
        return logp, ~(x < 0), (None, _div0(xp, x, lam) - 1)


@register
class PdfNegativeBinomial(_Pdf):
    """Probability of ``sample`` failures before the ``k``-th success with success
    probability ``p`` (0 for a negative count; ``p=1`` puts all mass at 0)."""

    name = '_random_pdf_negative_binomial'
    mxnet_input_names = True
    aliases = ('random_pdf_negative_binomial',)
    arguments = ('sample', 'k', 'p')

    def _valid(self, k, p):
        return (k > 0) & (p > 0) & (p <= 1)

    def _log_pdf(self, xp, x, k, p):
        logp = (_special.gammaln(xp, x + k) - _special.gammaln(xp, x + 1)
                - _special.gammaln(xp, k) + k * xp.log(p) + _xlogy(xp, x, 1 - p))
        dk = _special.digamma(xp, x + k) - _special.digamma(xp, k) + xp.log(p)
        dp = k / p - _div0(xp, x, 1 - p)
        return logp, ~(x < 0), (None, dk, dp)


@register
class PdfGeneralizedNegativeBinomial(_Pdf):
    """Probability of the counts ``sample`` under the negative binomial of mean ``mu`` and
    dispersion ``alpha`` (variance ``mu + alpha*mu**2``): ``k = 1/alpha`` successes with success
    probability ``1/(1 + alpha*mu)``; ``alpha=0`` is the Poisson of mean ``mu``."""

    name = '_random_pdf_generalized_negative_binomial'
    mxnet_input_names = True
    aliases = ('random_pdf_generalized_negative_binomial',)
    arguments = ('sample', 'mu', 'alpha')

    def _valid(self, mu, alpha):
        return (mu >= 0) & (alpha >= 0)

    def _log_pdf(self, xp, x, mu, alpha):
        poisson = alpha == 0
        a = xp.where(poisson, 1.0, alpha)            # placeholder where the Poisson limit holds
        k = 1 / a
        log1p_am = xp.log1p(a * mu)                  # -log p
        nb = (_special.gammaln(xp, x + k) - _special.gammaln(xp, x + 1) - _special.gammaln(xp, k)
              - (k + x) * log1p_am + _xlogy(xp, x, a * mu))
        pois = _xlogy(xp, x, mu) - mu - _special.gammaln(xp, x + 1)
        one_am = 1 + alpha * mu
        dmu = xp.where(x == 0, -1 / one_am, (x - mu) / (mu * one_am))
        dalpha_nb = (-(_special.digamma(xp, x + k) - _special.digamma(xp, k) - log1p_am) / (a * a)
                     + (x - mu) / (a * one_am))
        dalpha = xp.where(poisson, ((x - mu) ** 2 - x) / 2, dalpha_nb)
        return xp.where(poisson, pois, nb), ~(x < 0), (None, dmu, dalpha)


@register
class PdfDirichlet(_Pdf):
    """Density of the Dirichlet distributions of concentrations ``alpha`` (last axis: the
    ``k`` components) at ``sample`` (0 when a component is negative; the sum is not checked)."""

    name = '_random_pdf_dirichlet'
    mxnet_input_names = True
    aliases = ('random_pdf_dirichlet',)
    arguments = ('sample', 'alpha')
    event = 1

    def _valid(self, alpha):
        return (alpha > 0).all(axis=-1, keepdims=True)

    def _log_pdf(self, xp, x, a):
        total = a.sum(axis=-1)
        logp = (_xlogy(xp, a - 1, x).sum(axis=-1) + _special.gammaln(xp, total)
                - _special.gammaln(xp, a).sum(axis=-1))
        dx = _div0(xp, a - 1, x)
        da = xp.log(x) + _special.digamma(xp, total)[..., None] - _special.digamma(xp, a)
        return logp, ~(x < 0).any(axis=-1), (dx, da)
