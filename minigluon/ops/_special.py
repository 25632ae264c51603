"""Special functions for the unary operators: ``erf``, ``erfinv``, ``gamma``, ``gammaln``, ``digamma``.

NumPy has none of them. SciPy's versions are used when SciPy is installed; otherwise the Python
``math`` module's ``erf``/``gamma``/``lgamma`` are applied element-wise, ``erfinv`` is found by Newton
steps on ``erf`` and ``digamma`` by the recurrence ``psi(x) = psi(x + 1) - 1/x`` followed by its
asymptotic series. CuPy arrays are computed on the host and copied back (slow but exact; these
functions are rare in models). SciPy is imported at the first call, not with minigluon: ``import
scipy.special`` takes about half of ``import minigluon``'s time, and most programs never call these.
"""
import math

import numpy as np

_UNSET = object()
#: ``scipy.special`` once imported, None without SciPy (:func:`_scipy`; set to None to test the
#: fallbacks).
_sp = _UNSET


def _scipy():
    """``scipy.special`` (imported at the first call), or None where SciPy is not installed."""
    global _sp
    if _sp is _UNSET:
        try:  # optional accelerator for the CPU path
            from scipy import special
        except Exception:  # pragma: no cover - depends on the environment
            special = None
        _sp = special
    return _sp


def _host(fn):
    """Wrap ``fn(numpy_array) -> numpy_array`` into ``f(xp, x)`` that also accepts CuPy arrays."""
    def wrapped(xp, x):
        if xp is np:
            return np.asarray(fn(np.asarray(x))).astype(x.dtype, copy=False)
        host = fn(xp.asnumpy(x))
        return xp.asarray(host.astype(x.dtype, copy=False))
    wrapped.__name__ = fn.__name__
    return wrapped


def _vectorize(scalar_fn):
    """``scalar_fn`` applied element-wise: float64 array in, float64 array of the same shape out
    (a 0-d one too: ``np.frompyfunc`` gives a bare Python float for a 0-d input)."""
    ufunc = np.frompyfunc(scalar_fn, 1, 1)
    return lambda x: np.asarray(ufunc(x.astype(np.float64)), dtype=np.float64)


def _lgamma(x):
    return math.lgamma(x) if not (x <= 0 and x == math.floor(x)) else math.inf


def _gamma(x):
    try:
        return math.gamma(x)
    except (ValueError, OverflowError):
        return math.nan if x <= 0 and x == math.floor(x) else math.inf


def _with_scipy(name, fallback):
    """``fn(x)``: ``scipy.special.<name>(x)`` where SciPy is installed, else ``fallback(x)``."""
    def fn(x):
        sp = _scipy()
        return getattr(sp, name)(x) if sp is not None else fallback(x)
    fn.__name__ = name
    return fn


_erf_np = _with_scipy('erf', _vectorize(math.erf))
_gamma_np = _with_scipy('gamma', _vectorize(_gamma))
_gammaln_np = _with_scipy('gammaln', _vectorize(_lgamma))


def _erfinv_np(y):
    sp = _scipy()
    if sp is not None:
        return sp.erfinv(y)
    y = np.asarray(y, dtype=np.float64)
    # Initial guess from Winitzki's approximation, then Newton steps on erf(x) - y.
    a = 0.147
    ln = np.log(np.maximum(1 - y * y, 1e-300))
    t = 2 / (math.pi * a) + ln / 2
    x = np.sign(y) * np.sqrt(np.maximum(np.sqrt(t * t - ln / a) - t, 0))
    inner = np.abs(y) < 1
    for _ in range(4):
        err = _erf_np(x) - y
        x = np.where(inner, x - err / (2 / math.sqrt(math.pi) * np.exp(-x * x)), x)
    edge = np.where(y > 0, np.inf, -np.inf)
    return np.where(np.abs(y) == 1, edge, np.where(np.abs(y) > 1, np.nan, x))


def _digamma_np(x):
    sp = _scipy()
    if sp is not None:
        return sp.digamma(x)
    x = np.asarray(x, dtype=np.float64).copy()
    result = np.zeros_like(x)
    # Reflection for negative arguments: psi(1 - x) - psi(x) = pi * cot(pi * x).
    neg = x < 0.5
    refl = np.where(neg, math.pi / np.tan(math.pi * np.where(neg, x, 0.25)), 0.0)
    x = np.where(neg, 1 - x, x)
    while True:
        small = x < 6
        if not small.any():
            break
        result -= np.where(small, 1 / x, 0)
        x = np.where(small, x + 1, x)
    inv2 = 1 / (x * x)
    series = np.log(x) - 0.5 / x - inv2 * (1 / 12. - inv2 * (1 / 120. - inv2 * (1 / 252. - inv2 * (
        1 / 240. - inv2 / 132.))))
    return np.where(neg, result + series - refl, result + series)


erf = _host(_erf_np)
erfinv = _host(_erfinv_np)
gamma = _host(_gamma_np)
gammaln = _host(_gammaln_np)
digamma = _host(_digamma_np)
