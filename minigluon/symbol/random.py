"""``sym.random``: random sampling nodes, as ``mx.sym.random`` in MXNet 1.9.1.

Inside ``hybrid_forward`` these are ``F.random.uniform(...)`` when ``F`` is ``sym``, so a block that
samples works hybridized as it does eagerly (``F = nd``, where ``nd.random`` is
:mod:`minigluon.random`). Number parameters give the ``_random_<dist>`` node (no inputs); Symbol
parameters give ``_sample_<dist>``, one block of ``shape`` samples per element of the
parameters, output shape ``params.shape + shape`` (all but ``randint``, as in
:mod:`minigluon.random`). The ``<dist>_like`` functions sample in the shape and dtype of their
input. Node names follow MXNet: ``_random_uniform0``, ``_sample_normal0``, ``uniform_like0``.
"""
import numbers

import numpy as np

from minigluon.random import _LIKE_PARAMS, bind_positional
from minigluon.symbol.creation import make_function as _make_function
from minigluon.symbol.symbol import Symbol

__all__ = ['uniform', 'normal', 'randn', 'randint', 'exponential', 'gamma', 'poisson', 'multinomial',
           'shuffle', 'uniform_like', 'normal_like', 'exponential_like', 'gamma_like',
           'poisson_like', 'negative_binomial', 'generalized_negative_binomial',
           'negative_binomial_like', 'generalized_negative_binomial_like']

_OPS = {}


def _op(name, hint=None):
    fn = _OPS.get((name, hint))
    if fn is None:
        fn = _OPS[(name, hint)] = _make_function(name, hint)
    return fn


def _sample(fname, params, shape, dtype, kwargs, array_op=None):
    """One node for distribution ``fname`` with ``params`` (an ordered dict of attribute name to
    value): the ``_random_`` node for numbers, the ``_sample_`` node (``array_op``) for Symbols."""
    symbolic = [isinstance(v, Symbol) for v in params.values()]
    for key, value in params.items():
        if not isinstance(value, (Symbol, numbers.Number)) or isinstance(value, bool):
            raise TypeError('sym.random.%s: %s must be a number or a Symbol, got %s'
                            % (fname, key, type(value).__name__))
    if shape is not None:
        kwargs['shape'] = shape
    if dtype is not None:
        kwargs['dtype'] = np.dtype(dtype).name
    if any(symbolic):
        if not all(symbolic):
            raise TypeError('sym.random.%s: the parameters %s must all be Symbols or all numbers'
                            % (fname, ', '.join(params)))
        if array_op is None:
            raise TypeError('sym.random.%s: Symbol parameters (MXNet\'s _sample_%s) are not '
                            'supported; pass numbers' % (fname, fname))
        return _op(array_op)(*params.values(), **kwargs)
    return _op('_random_' + fname)(**dict(params, **kwargs))


def uniform(low=0, high=1, shape=None, dtype=None, **kwargs):
    """Samples from ``U[low, high)``: a ``_random_uniform`` node, or ``_sample_uniform`` when
    ``low`` and ``high`` are Symbols (output shape ``low.shape + shape``).

    Parameters
    ----------
    low, high : float or Symbol
        Bounds; both numbers or both Symbols of the same shape.
    shape : int or tuple of int, optional
        Output shape for number bounds (default ``(1,)``), per-element block for Symbol bounds.
    dtype : {'float16', 'float32', 'float64'}, optional
        Default float32.
    **kwargs
        ``name``, ``attr``.

    Raises
    ------
    TypeError
        For a bound that is neither a number nor a Symbol, or a mix of the two.
    """
    return _sample('uniform', {'low': low, 'high': high}, shape, dtype, kwargs, '_sample_uniform')


def normal(loc=0, scale=1, shape=None, dtype=None, **kwargs):
    """Samples from ``N(loc, scale**2)``: ``_random_normal``, or ``_sample_normal`` for Symbol
    parameters. Arguments and errors as in :func:`uniform`."""
    return _sample('normal', {'loc': loc, 'scale': scale}, shape, dtype, kwargs, '_sample_normal')


def randn(*shape, **kwargs):
    """Standard normal samples of the given shape: ``sym.random.randn(2, 3)``; ``loc``, ``scale``
    and ``dtype`` may be given as keywords."""
    loc, scale = kwargs.pop('loc', 0), kwargs.pop('scale', 1)
    return normal(loc, scale, shape or None, kwargs.pop('dtype', None), **kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Integers drawn uniformly from ``[low, high)`` (a ``_random_randint`` node); ``dtype``
    int32 (default) or int64. Raises TypeError for Symbol bounds."""
    return _sample('randint', {'low': low, 'high': high}, shape, dtype, kwargs)


def exponential(scale=1, shape=None, dtype=None, **kwargs):
    """Samples from the exponential distribution with mean ``scale``: a ``_random_exponential``
    node with rate ``lam = 1 / scale``, as MXNet writes it; for a Symbol ``scale``, a
    ``_sample_exponential`` node fed by ``1.0 / scale`` (an ``_rdiv_scalar`` node), also as
    MXNet writes it.

    Raises
    ------
    TypeError
        For a ``scale`` that is neither a number nor a Symbol.
    ValueError
        Unless ``scale > 0``.
    """
    if isinstance(scale, numbers.Number) and not scale > 0:
        raise ValueError('sym.random.exponential: scale (%r) must be positive' % (scale,))
    lam = 1.0 / scale if isinstance(scale, (numbers.Number, Symbol)) else scale
    return _sample('exponential', {'lam': lam}, shape, dtype, kwargs, '_sample_exponential')


def gamma(alpha=1, beta=1, shape=None, dtype=None, **kwargs):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``: a
    ``_random_gamma`` node, or ``_sample_gamma`` for Symbol parameters."""
    return _sample('gamma', {'alpha': alpha, 'beta': beta}, shape, dtype, kwargs, '_sample_gamma')


def poisson(lam=1, shape=None, dtype=None, **kwargs):
    """Samples from the Poisson distribution with mean ``lam`` as floating-point counts: a
    ``_random_poisson`` node, or ``_sample_poisson`` for a Symbol ``lam``."""
    return _sample('poisson', {'lam': lam}, shape, dtype, kwargs, '_sample_poisson')


def negative_binomial(k=1, p=1, shape=None, dtype=None, **kwargs):
    """Negative binomial samples (failures before ``k`` successes, success probability ``p``): a
    ``_random_negative_binomial`` node, or ``_sample_negative_binomial`` for Symbols."""
    return _sample('negative_binomial', {'k': k, 'p': p}, shape, dtype, kwargs,
                   '_sample_negative_binomial')


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, **kwargs):
    """Generalized negative binomial samples (mean ``mu``, variance ``mu + alpha*mu**2``): a
    ``_random_generalized_negative_binomial`` node, or ``_sample_generalized_negative_binomial``
    for Symbols."""
    return _sample('generalized_negative_binomial', {'mu': mu, 'alpha': alpha}, shape, dtype,
                   kwargs, '_sample_generalized_negative_binomial')


def multinomial(data, shape=None, get_prob=True, dtype='int32', **kwargs):
    """Category indices drawn from the distributions in the last axis of ``data`` (a
    ``_sample_multinomial`` node of shape ``data.shape[:-1] + shape``).

    ``get_prob`` defaults to True here, as in MXNet's ``sym.random.multinomial`` (``nd.random``'s
    default is False): the node then has a second output, the samples' log-probabilities.
    """
    if shape is not None:
        kwargs['shape'] = shape
    return _op('_sample_multinomial')(data, get_prob=get_prob, dtype=dtype, **kwargs)


def shuffle(data, **kwargs):
    """``data`` randomly permuted along its first axis (a ``_shuffle`` node)."""
    return _op('_shuffle')(data, **kwargs)


def _like(dist):
    full, short = '_random_%s_like' % dist, '%s_like' % dist
    # MXNet 1.9.1's order: sym.random.normal_like(data, loc, scale, name, attr, out)
    names = tuple(key for key, _ in _LIKE_PARAMS[dist]) + ('name', 'attr', 'out')

    def fn(data=None, *args, **kwargs):
        kwargs = bind_positional(short, names, args, kwargs)
        return _op(full, short)(data, **kwargs)
    fn.__name__ = short
    fn.__doc__ = ('Samples of the %s distribution in the shape and dtype of ``data``: a ``%s`` '
                  'node named ``%s0``... (attributes as in :func:`%s`).' % (dist, full, short, dist))
    return fn


uniform_like = _like('uniform')
normal_like = _like('normal')
exponential_like = _like('exponential')
gamma_like = _like('gamma')
poisson_like = _like('poisson')
negative_binomial_like = _like('negative_binomial')
generalized_negative_binomial_like = _like('generalized_negative_binomial')
