"""Random number generation, as ``mxnet.random`` (MXNet 1.9.1).

Each device has its own generator: a ``numpy.random.Generator`` for the CPU and a
``cupy.random.RandomState`` per GPU. :func:`seed` resets them; :func:`generator` returns the one
for the current device, and operators (Dropout, the ``_random_*`` samplers) and initializers draw
from it through the ``draw_*`` helpers below, which hide the small API differences between NumPy
and CuPy. As in MXNet, a fresh process starts from a fixed seed, so results are reproducible
without calling :func:`seed`.

The user-facing samplers (:func:`uniform`, :func:`normal`, :func:`randint`, :func:`shuffle`,
:func:`multinomial`...) run the registered operators (``_random_uniform`` for number
parameters, ``_sample_uniform`` for NDArray parameters...), so they also exist as ``nd.<op>``
and in symbolic graphs.
"""
import numbers
import threading

import numpy as np

from minigluon.base import MXNetValueError
from minigluon.context import Context

_DEFAULT_SEED = 0
_lock = threading.Lock()
_generators = {}        # ('cpu', 0) or ('gpu', device_id) -> generator
_seeds = {}             # same keys -> seed to use when the generator is next created


def _check_seed(seed_state):
    if isinstance(seed_state, bool) or not isinstance(seed_state, (int, np.integer)):
        raise ValueError('seed: seed_state must be an int, got %r' % (seed_state,))
    return int(seed_state)


def seed(seed_state, ctx='all'):
    """Seed the random number generators.

    Parameters
    ----------
    seed_state : int
        The seed. The same seed gives the same sequence of draws on the same device.
    ctx : Context or 'all', default 'all'
        Seed only that device's generator, or every device's.

    Raises
    ------
    ValueError
        If ``seed_state`` is not an integer or ``ctx`` is neither ``'all'`` nor a Context.
    """
    value = _check_seed(seed_state)
    with _lock:
        if isinstance(ctx, str) and ctx == 'all':
            _generators.clear()
            _seeds.clear()
            _seeds['default'] = value
            return
        if not isinstance(ctx, Context):
            raise ValueError("seed: ctx must be 'all' or a Context, got %r" % (ctx,))
        key = ('gpu', ctx.device_id) if ctx.is_gpu else ('cpu', 0)
        _generators.pop(key, None)
        _seeds[key] = value


def _make(key, xp):
    value = _seeds.get(key, _seeds.get('default', _DEFAULT_SEED))
    if key[0] == 'cpu':
        return np.random.default_rng(value)
    with xp.cuda.Device(key[1]):
        return xp.random.RandomState(value)


def generator(xp=np):
    """The generator of the current device for array module ``xp``.

    Returns a ``numpy.random.Generator`` when ``xp`` is NumPy, else the ``cupy.random.RandomState``
    of CuPy's current device.
    """
    key = ('cpu', 0) if xp is np else ('gpu', xp.cuda.Device().id)
    gen = _generators.get(key)
    if gen is None:
        with _lock:
            gen = _generators.get(key)
            if gen is None:
                gen = _generators[key] = _make(key, xp)
    return gen


# ---------------------------------------------------------------------------------------------------
# Backend-neutral draws used by operators and initializers


def _finish(xp, sample, dtype):
    return sample if sample.dtype == dtype else sample.astype(dtype)


def draw_uniform(xp, shape, low=0.0, high=1.0, dtype=np.float32):
    """An array of ``shape`` drawn uniformly from ``[low, high)`` in ``dtype``."""
    dtype = np.dtype(dtype)
    work = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
    gen = generator(xp)
    if xp is np:
        u = gen.random(shape, dtype=work)
    else:
        u = gen.random_sample(shape, dtype=work)
    if low != 0.0 or high != 1.0:
        u = u * work.type(high - low) + work.type(low)
    return _finish(xp, u, dtype)


def draw_normal(xp, shape, loc=0.0, scale=1.0, dtype=np.float32):
    """An array of ``shape`` drawn from ``N(loc, scale**2)`` in ``dtype``."""
    dtype = np.dtype(dtype)
    work = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
    z = generator(xp).standard_normal(shape, dtype=work)
    if loc != 0.0 or scale != 1.0:
        z = z * work.type(scale) + work.type(loc)
    return _finish(xp, z, dtype)


def draw_integers(xp, shape, low, high, dtype=np.int32):
    """An array of ``shape`` of integers drawn uniformly from ``[low, high)``."""
    gen = generator(xp)
    if xp is np:
        return gen.integers(low, high, size=shape, dtype=np.dtype(dtype))
    return gen.randint(low, high, size=shape, dtype=np.dtype(dtype))


def draw_permutation(xp, n):
    """A random permutation of ``range(n)`` (an index array)."""
    return generator(xp).permutation(n)


# ---------------------------------------------------------------------------------------------------
# mxnet.random functions


def _call(op_name, /, *args, **kwargs):
    from minigluon.ndarray.ndarray import call_op   # local: ndarray needs the ops, ops need us
    return call_op(op_name, *args, **kwargs)


def _is_nd(x):
    from minigluon.ndarray.ndarray import NDArray
    return isinstance(x, NDArray)


def _nd_params(fn, **params):
    """True when every distribution parameter is an NDArray, False when none is; mixing raises
    TypeError, as MXNet 1.9.1 does, and so does a parameter that is neither a number (or its
    text) nor an NDArray (None, a list: MXNet fails inside with Python's message)."""
    kinds = set()
    for name, v in params.items():
        is_nd = _is_nd(v)
        if not (is_nd or type(v) in (int, float) or isinstance(v, (numbers.Real, str))):
            raise TypeError('random.%s: %s must be a number or an NDArray, got %s'
                            % (fn, name, type(v).__name__))
        kinds.add(is_nd)
    if len(kinds) > 1:
        raise TypeError('random.%s: %s must all be numbers or all be NDArrays, got %s'
                        % (fn, ', '.join(params),
                           ', '.join(type(v).__name__ for v in params.values())))
    return kinds == {True}


def _common(shape, dtype, ctx, out, kwargs):
    """The operator attributes of a sampling call, and its context. ``kwargs`` (the function's
    ``**kwargs``) go to the operator, as in MXNet 1.9.1: ``name=`` is taken, an unknown keyword
    raises there instead of being dropped."""
    kw = dict(kwargs)
    if shape is not None:
        kw['shape'] = shape
    if dtype is not None:
        kw['dtype'] = np.dtype(dtype).name
    if out is not None:
        kw['out'] = out
        ctx = ctx or out.context
    return kw, ctx


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from ``U[low, high)``.

    Parameters
    ----------
    low, high : float or NDArray
        Bounds. NDArrays (same shape) give one block of ``shape`` samples per element, output
        shape ``low.shape + shape``.
    shape : int or tuple of int, optional
        Output shape for scalar bounds (default ``(1,)``).
    dtype : {'float16', 'float32', 'float64'}, default float32
    ctx : Context, optional
        Device of the result (default: the current context); ignored for NDArray bounds.
    out : NDArray, optional
        Write the result here.
    """
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('uniform', {'low': low, 'high': high}, kw, ctx)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from ``N(loc, scale**2)``; arguments as in :func:`uniform`."""
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('normal', {'loc': loc, 'scale': scale}, kw, ctx)


def randn(*shape, **kwargs):
    """Standard normal samples of the given shape: ``randn(2, 3)`` (``loc``, ``scale`` and the
    other keywords of :func:`normal`).

    Raises
    ------
    MXNetValueError
        When a dimension is not an int (``randn(2.5)``, ``randn(x)`` for an NDArray ``x``), before
        any keyword is looked at: MXNet 1.9.1 checks the shape first ('Invalid Parameter format
        for shape').
    """
    for d in shape:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise MXNetValueError('randn: each dimension of shape must be an int, got %s'
                             % _shown_dim(d))
    return normal(kwargs.pop('loc', 0), kwargs.pop('scale', 1), shape or None, **kwargs)


def _shown_dim(d):
    """A dimension for an error message: its repr, or its type for an array."""
    return type(d).__name__ if hasattr(d, 'shape') else repr(d)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Integers drawn uniformly from ``[low, high)``; dtype int32 (default) or int64.

    Raises
    ------
    ValueError
        If ``high <= low``.
    """
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _call('_random_randint', low=low, high=high, ctx=str(ctx) if ctx else '',
                 **kw)


def _draw(fname, params, kw, ctx):
    """The ``_sample_<fname>`` operator for NDArray parameters (``ctx`` is then theirs; an
    ``out`` then has shape ``params.shape + shape``), else ``_random_<fname>`` with the numbers
    as attributes."""
    if _nd_params(fname, **params):
        return _call('_sample_' + fname, *params.values(), **kw)
    return _call('_random_' + fname, ctx=str(ctx) if ctx else '', **dict(params, **kw))


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the exponential distribution with mean ``scale`` (rate ``1 / scale``).

    An NDArray ``scale`` gives one block of ``shape`` samples per element (the
    ``_sample_exponential`` operator, with rate ``1 / scale``), output shape
    ``scale.shape + shape``. Other arguments as in :func:`uniform`.

    Raises
    ------
    ValueError
        Unless ``scale > 0`` (every element of an NDArray).
    """
    if not (_is_nd(scale) or isinstance(scale, numbers.Real)):     # (1 / scale below)
        raise TypeError('random.exponential: scale must be a number or an NDArray, got %s'
                        % type(scale).__name__)
    if not _is_nd(scale) and not scale > 0:
        raise ValueError('random.exponential: scale (%r) must be positive' % (scale,))
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('exponential', {'lam': 1.0 / scale}, kw, ctx)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``.

    NDArray parameters (same shape; both or neither) give ``params.shape + shape`` samples (the
    ``_sample_gamma`` operator). Other arguments as in :func:`uniform`. Raises ValueError unless
    both are positive, TypeError when only one is an NDArray.
    """
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('gamma', {'alpha': alpha, 'beta': beta}, kw, ctx)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the Poisson distribution with mean ``lam`` (float counts, default float32).

    An NDArray ``lam`` gives ``lam.shape + shape`` samples (``_sample_poisson``). Other
    arguments as in :func:`uniform`. Raises ValueError when ``lam < 0``.
    """
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('poisson', {'lam': lam}, kw, ctx)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples of the negative binomial distribution: failures before the ``k``-th success with
    success probability ``p`` (mean ``k(1-p)/p``), as float counts (the
    ``_random_negative_binomial`` operator, MXNet 1.9.1 ``nd.random.negative_binomial``).

    NDArray parameters give ``k.shape + shape`` samples (``_sample_negative_binomial``; there
    ``k`` may be fractional). Other arguments as in :func:`uniform`. Raises ValueError unless
    ``k >= 0`` and ``0 < p <= 1``, TypeError when only one is an NDArray.
    """
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('negative_binomial', {'k': k, 'p': p}, kw, ctx)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None,
                                  **kwargs):
    """Samples of the generalized negative binomial distribution of mean ``mu`` and variance
    ``mu + alpha*mu**2``, as float counts (``_random_generalized_negative_binomial``, MXNet 1.9.1
    ``nd.random.generalized_negative_binomial``).

    NDArray parameters give ``mu.shape + shape`` samples
    (``_sample_generalized_negative_binomial``). Other arguments as in :func:`uniform`. Raises
    ValueError for a negative ``mu`` or ``alpha``, TypeError when only one is an NDArray.
    """
    kw, ctx = _common(shape, dtype, ctx, out, kwargs)
    return _draw('generalized_negative_binomial', {'mu': mu, 'alpha': alpha}, kw, ctx)


def shuffle(data, **kwargs):
    """A copy of ``data`` randomly permuted along its first axis."""
    return _call('_shuffle', data, **kwargs)


def multinomial(data, shape=None, get_prob=False, out=None, dtype='int32', **kwargs):
    """Draw indices from the categorical distributions in the last axis of ``data``.

    Returns an NDArray of shape ``data.shape[:-1] + shape`` (and, with ``get_prob=True``, a second
    NDArray of the samples' log-probabilities).
    """
    kw = dict(kwargs, get_prob=get_prob, dtype=dtype)     # kwargs: see _common
    if shape is not None:
        kw['shape'] = shape
    if out is not None:
        kw['out'] = out
    return _call('_sample_multinomial', data, **kw)


# The parameters of each ``<dist>_like`` sampler in MXNet 1.9.1's positional order (its generated
# ``nd.random.normal_like(data, loc, scale, out, name)``), with their defaults for the docstrings.
_LIKE_PARAMS = {'uniform': (('low', 0), ('high', 1)), 'normal': (('loc', 0), ('scale', 1)),
                'exponential': (('lam', 1),), 'gamma': (('alpha', 1), ('beta', 1)),
                'poisson': (('lam', 1),), 'negative_binomial': (('k', 1), ('p', 1)),
                'generalized_negative_binomial': (('mu', 1), ('alpha', 1))}


def bind_positional(fname, names, args, kwargs):
    """Move the positional ``args`` into ``kwargs`` under ``names``, in order, as MXNet's
    generated functions bind them (``normal_like(x, 5, 0.1)`` is ``loc=5, scale=0.1``); a ``None``
    stays unset. Raises TypeError for too many positional arguments or one also given by keyword."""
    if len(args) > len(names):
        raise TypeError('%s takes at most %d positional arguments after data (%s), got %d'
                        % (fname, len(names), ', '.join(names), len(args)))
    for key, value in zip(names, args):
        if key in kwargs:
            raise TypeError('%s got multiple values for argument %r' % (fname, key))
        if value is not None:
            kwargs[key] = value
    return kwargs


def _like(dist):
    op, params = '_random_%s_like' % dist, _LIKE_PARAMS[dist]
    names = tuple(key for key, _ in params) + ('out', 'name')

    def fn(data=None, *args, **kwargs):
        kwargs = bind_positional('%s_like' % dist, names, args, kwargs)
        if kwargs.get('out', 0) is None:
            del kwargs['out']
        return _call(op, data, **kwargs)
    fn.__name__ = '%s_like' % dist
    fn.__doc__ = ('Samples of the %s distribution in the shape and dtype of ``data`` (the ``%s`` '
                  'operator; MXNet 1.9.1 ``nd.random.%s_like(data, %s, out=None, name=None)``, '
                  'positional arguments in that order).\n\nRaises\n------\nValueError\n    For '
                  'parameters outside the distribution\'s domain.\nTypeError\n    For too many '
                  'positional arguments.\n'
                  % (dist, op, dist, ', '.join('%s=%s' % kv for kv in params)))
    return fn


uniform_like = _like('uniform')
normal_like = _like('normal')
exponential_like = _like('exponential')
gamma_like = _like('gamma')
poisson_like = _like('poisson')
negative_binomial_like = _like('negative_binomial')
generalized_negative_binomial_like = _like('generalized_negative_binomial')
