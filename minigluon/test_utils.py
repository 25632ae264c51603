"""Testing helpers, as in ``mxnet.test_utils``: value comparison and numerical gradient checks.

``check_gradient`` is the workhorse of minigluon's own tests: it compares autograd's gradient of a
random projection of ``fn``'s output with central differences along random directions, in float64
(HIPS autograd's ``check_grads`` and Chainer's ``check_backward`` use the same scheme).

The helpers that run Symbols and Gluon blocks (``simple_forward``, ``numeric_grad``,
``same_symbol_structure``, ``check_gluon_hybridize_consistency``, ``check_consistency``,
``check_speed``) live in :mod:`minigluon._test_utils_graph` and are importable from here.
MXNet's helpers that download, build sparse arrays or need ``mx.np`` are not provided.
"""
import contextlib
import functools
import numbers
import os

import numpy as np

from minigluon import autograd
from minigluon.base import ValueAssertionError
from minigluon.base import out_of_scope_getattr as _out_of_scope_getattr
from minigluon.context import Context, current_context
from minigluon.io import DataIter
from minigluon.ndarray import NDArray, array

_default_ctx = [None]


def default_context():
    """The context tests run on (``cpu(0)`` unless :func:`set_default_context` changed it)."""
    return _default_ctx[0] or current_context()


def set_default_context(ctx):
    """Make ``ctx`` the context returned by :func:`default_context` (and used by ``rand_ndarray``)."""
    _default_ctx[0] = Context(ctx)


def list_gpus():
    """The ids of the GPUs minigluon can use, as a ``range`` (``range(0, 0)`` without CuPy or a device),
    as MXNet 1.9.1's ``test_utils.list_gpus`` returns (its docstring says a list; scripts print it or
    compare it); tests skip GPU cases with ``if not list_gpus()``."""
    from minigluon.context import num_gpus
    return range(num_gpus())


def _np(a):
    if isinstance(a, NDArray):
        return a.asnumpy()
    return np.asarray(a)


# MXNet 1.9.1's default tolerances per dtype (``test_utils.default_rtols`` / ``default_atols``)
_DEFAULT_RTOLS = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-5}
_DEFAULT_ATOLS = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-20}


def default_dtype():
    """The dtype of test data, float32 (MXNet 1.9.1 ``test_utils.default_dtype``)."""
    return np.float32


def default_rtols():
    """MXNet 1.9.1's default relative tolerances, ``{numpy.dtype: rtol}`` (floats; integers and
    bool 0), as ``test_utils.default_rtols``."""
    return {**_DEFAULT_RTOLS, **{np.dtype(d): 0 for d in _EXACT_DTYPES}}


def default_atols():
    """MXNet 1.9.1's default absolute tolerances, ``{numpy.dtype: atol}``, as
    ``test_utils.default_atols``."""
    return {**_DEFAULT_ATOLS, **{np.dtype(d): 0 for d in _EXACT_DTYPES}}


_EXACT_DTYPES = (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64)


def _default_tol(table, dtype, name):
    dtype = np.dtype(dtype)
    if dtype in table:
        return table[dtype]
    if dtype.kind in 'biu':
        return 0                      # integers and booleans compare exactly
    raise ValueError('%s: no default tolerance for dtype %s (MXNet has them for float16/32/64, '
                     'integers and bool)' % (name, dtype))


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol``, or when it is None MXNet 1.9.1's default absolute tolerance for ``dtype``:
    float16 0.1, float32 1e-3, float64 1e-20, integers and bool 0 (``test_utils.get_atol``).
    ``dtype`` may be anything ``numpy.dtype`` takes (MXNet wants a ``numpy.dtype`` object and
    raises KeyError for ``'float32'``). Raises ValueError for a dtype without a default."""
    return _default_tol(_DEFAULT_ATOLS, dtype, 'get_atol') if atol is None else atol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol``, or when it is None MXNet 1.9.1's default relative tolerance for ``dtype``:
    float16 1e-2, float32 1e-4, float64 1e-5, integers and bool 0 (``test_utils.get_rtol``).
    Raises ValueError for a dtype without a default."""
    return _default_tol(_DEFAULT_RTOLS, dtype, 'get_rtol') if rtol is None else rtol


def _tolerance(tol, dtypes, table, name):
    """MXNet's ``get_tols`` for one of rtol/atol: a number is used as is; None or a dict
    ``{dtype: tol}`` gives the largest per-dtype value over both arrays' dtypes."""
    if tol is not None and not isinstance(tol, dict):
        return tol
    given = {np.dtype(k): v for k, v in (tol or {}).items()}
    return max(given[np.dtype(d)] if np.dtype(d) in given else _default_tol(table, d, name)
               for d in dtypes)


def effective_dtype(dat):
    """The dtype whose tolerance suits results computed into ``dat`` (MXNet 1.9.1
    ``test_utils.effective_dtype``): ``dat.dtype``, except float16 for float32 data on a GPU
    whose float32 matrix products run in TF32 (compute capability 8.0 or more). CuPy uses TF32
    only when ``CUPY_TF32=1`` (and ``NVIDIA_TF32_OVERRIDE`` is not ``'0'``), so minigluon's GPU
    float32 results usually keep float32's tolerance."""
    dtype = np.dtype(dat.dtype)
    ctx = getattr(dat, 'ctx', None)
    if dtype == np.float32 and ctx is not None and getattr(ctx, 'device_type', None) == 'gpu' \
            and os.environ.get('CUPY_TF32') == '1' and os.environ.get('NVIDIA_TF32_OVERRIDE') != '0':
        from minigluon.util import get_cuda_compute_capability
        try:
            if get_cuda_compute_capability(ctx) >= 80:
                return np.dtype(np.float16)
        except (ValueError, RuntimeError):
            pass
    return dtype


def get_tolerance(dat, tol, default_tol):
    """The tolerance for comparing ``dat`` (MXNet 1.9.1 ``test_utils.get_tolerance``): ``tol``
    when it is a number, else ``tol[dtype]`` when the dict ``tol`` has ``dat``'s
    :func:`effective_dtype`, else ``default_tol[dtype]`` (e.g. :func:`default_rtols`). Raises
    KeyError naming the dtype when neither has it."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    tol = {} if tol is None else {np.dtype(k): v for k, v in tol.items()}
    if dtype in tol:
        return tol[dtype]
    if dtype not in default_tol:
        raise KeyError('get_tolerance: no tolerance for dtype %s in %s' % (dtype, sorted(map(str, default_tol))))
    return default_tol[dtype]


def get_tols(x, y, rtol, atol):
    """``(rtol, atol)`` for comparing ``x`` with ``y`` (arrays, NDArrays or numbers): each given
    number as is, else the larger of the two arrays' :func:`get_tolerance` (MXNet 1.9.1
    ``test_utils.get_tols``; float32 with float64 gives ``(1e-4, 1e-3)``)."""
    x, y = (np.array(v) if isinstance(v, numbers.Number) else v for v in (x, y))
    return (max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
            max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())))


def get_etol(etol=None):
    """``etol``, or 0 when it is None: the share of elements allowed to differ in
    :func:`assert_almost_equal_with_err` (MXNet 1.9.1 ``test_utils.get_etol``)."""
    return 0 if etol is None else etol


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Assert ``|a - b| <= atol + rtol * |b|`` elementwise; the message shows the worst element.

    Parameters
    ----------
    a, b : NDArray, numpy.ndarray or number
    rtol, atol : float, dict of dtype to float, or None
        A number is used as is; None (or a dtype missing from a dict) takes MXNet 1.9.1's
        default for each array's dtype (:func:`get_rtol`, :func:`get_atol`) and the larger of the
        two: float32 ``rtol=1e-4, atol=1e-3``, float64 ``1e-5, 1e-20``, integers exact.
    names : (str, str)
        Names of ``a`` and ``b`` in the message.
    equal_nan : bool, default False
        Whether NaNs in the same places compare equal.
    use_broadcast, mismatches
        Accepted (MXNet 1.9.1 uses them to pick its comparison kernel and to list mismatching
        elements); the message here shows the worst element and both arrays.

    Raises
    ------
    AssertionError
        When an element differs by more than the tolerance.
    ValueError
        When the shapes differ (also an ``AssertionError``:
        :class:`~minigluon.base.ValueAssertionError`), unless one side holds a single value,
        which is compared with every element (``assert_allclose(x, 1.0)``; a ``(1,)`` output
        against a ``()`` expectation). MXNet 1.9.1 raises ValueError for shapes that do not
        broadcast and compares any shapes that do (``(2, 3)`` against ``(3,)`` passes); here
        other shapes must be equal, so a shape bug is not hidden by broadcasting.
    """
    a, b = _np(a), _np(b)
    rtol = _tolerance(rtol, (a.dtype, b.dtype), _DEFAULT_RTOLS, 'assert_almost_equal')
    atol = _tolerance(atol, (a.dtype, b.dtype), _DEFAULT_ATOLS, 'assert_almost_equal')
    if a.shape != b.shape:
        if a.size != 1 and b.size != 1:
            raise ValueAssertionError('shape mismatch: %s %s vs %s %s'
                                      % (names[0], a.shape, names[1], b.shape))
        a, b = np.broadcast_arrays(a, b)      # one value against every element
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    err = np.abs(a64 - b64) - (atol + rtol * np.abs(b64))
    err = np.where(np.isnan(err), np.inf, err)
    idx = np.unravel_index(np.argmax(err), err.shape) if err.ndim else ()
    raise AssertionError('arrays differ (rtol=%g, atol=%g): worst at %s: %s=%r %s=%r\n%s:\n%s\n%s:\n%s'
                         % (rtol, atol, idx, names[0], a[idx], names[1], b[idx],
                            names[0], a, names[1], b))


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """:func:`assert_almost_equal` with NumPy's ``assert_allclose`` defaults: ``rtol=1e-7``,
    ``atol=0``, NaNs in the same places equal (MXNet 1.9.1 ``test_utils.assert_allclose``)."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=('a', 'b')):
    """:func:`assert_almost_equal` after setting to 0, in copies of both arrays, every element
    that is NaN in either (MXNet 1.9.1 ``test_utils.assert_almost_equal_ignore_nan``; NDArrays
    work here too, MXNet's fails on them). Raises as :func:`assert_almost_equal`."""
    a, b = np.array(_np(a)), np.array(_np(b))
    if a.shape != b.shape:
        raise ValueAssertionError('shape mismatch: %s %s vs %s %s'
                                  % (names[0], a.shape, names[1], b.shape))
    nan = np.zeros(a.shape, dtype=bool)
    for x in (a, b):
        if x.dtype.kind in 'fc':
            nan |= np.isnan(x)
    a[nan] = 0
    b[nan] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """True when :func:`assert_almost_equal` would pass (same tolerances; ``use_broadcast`` is
    accepted and, as there, unused: MXNet 1.9.1's positional order)."""
    try:
        assert_almost_equal(a, b, rtol, atol, equal_nan=equal_nan)
        return True
    except AssertionError:
        return False


def same(a, b):
    """True if the arrays are exactly equal."""
    return np.array_equal(_np(a), _np(b))


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random shape of ``num_dim`` dimensions, each in ``[1, dim]`` (``[0, dim]`` with
    ``allow_zero_size``, as MXNet 1.9.1), as plain Python ints."""
    low = 0 if allow_zero_size else 1
    return tuple(int(d) for d in np.random.randint(low, dim + 1, size=num_dim))


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-d shape, each size in ``[1, dim]`` (``[0, dim]`` with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return int(np.random.randint(low, dim0 + 1)), int(np.random.randint(low, dim1 + 1))


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-d shape, each size in ``[1, dim]`` (``[0, dim]`` with ``allow_zero_size``)."""
    low = 0 if allow_zero_size else 1
    return tuple(int(np.random.randint(low, d + 1)) for d in (dim0, dim1, dim2))


def random_arrays(*shapes):
    """Standard-normal float32 NumPy arrays of ``shapes`` (a 0-d array for ``()``); one array
    when one shape is given, else a list (MXNet ``test_utils.random_arrays``)."""
    arrays = [np.asarray(np.random.randn(*s), dtype=np.float32) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def same_array(array1, array2):
    """True when the two NDArrays share memory: a write into ``array1`` shows in ``array2``
    (``array1`` is restored afterwards)."""
    before = array2.asnumpy().copy()
    array1[:] += 1
    changed = not np.array_equal(array2.asnumpy(), before)
    array1[:] -= 1
    return changed


def assert_exception(f, exception_type, *args, **kwargs):
    """Call ``f(*args, **kwargs)`` and raise AssertionError unless it raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError('%s did not raise %s' % (getattr(f, '__name__', f), exception_type.__name__))


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce ``dat`` over ``axis`` (an int, a sequence of ints, or None for all axes) with a
    NumPy reducer such as ``np.sum``, one axis at a time from the last; ``keepdims`` keeps the
    reduced axes with size 1 (MXNet 1.9.1 ``test_utils.np_reduce``). Raises ValueError naming
    ``axis`` for an axis out of range."""
    ndim = np.ndim(dat)
    axes = range(ndim) if axis is None else [axis] if isinstance(axis, (int, np.integer)) else axis
    axes = [int(ax) + ndim if int(ax) < 0 else int(ax) for ax in axes]
    if any(not 0 <= ax < ndim for ax in axes):
        raise ValueError('np_reduce: axis %r out of range for %d dimensions' % (axis, ndim))
    ret = dat
    for ax in sorted(axes, reverse=True):
        ret = numpy_reduce_func(ret, axis=ax)
    if keepdims:
        shape = list(np.shape(dat))
        for ax in axes:
            shape[ax] = 1
        ret = np.reshape(ret, tuple(shape))
    return ret


@contextlib.contextmanager
def environment(*args):
    """Set environment variables for the body of a ``with`` block and restore them afterwards,
    also when the body raises (MXNet 1.9.1 ``test_utils.environment``).

    ``environment('NAME', 'value')`` sets one variable, ``environment({'A': '1', 'B': None})``
    several; ``None`` unsets. minigluon reads a few variables (``MINIGLUON_NUMBA``...) when it is
    imported, so changing those here has no effect on the running process.

    Raises
    ------
    ValueError
        For arguments other than one dict or a name and a value (also an ``AssertionError``, as
        MXNet asserts: :class:`~minigluon.base.ValueAssertionError`).
    TypeError
        For a value that is neither a str nor None (from ``os.environ``).
    """
    if len(args) == 1 and isinstance(args[0], dict):
        wanted = dict(args[0])
    elif len(args) == 2:
        wanted = {args[0]: args[1]}
    else:
        raise ValueAssertionError('environment: expected one dict {name: value} or two arguments '
                                  'name, value; got %d argument(s)' % len(args))
    before = {name: os.environ.get(name) for name in wanted}

    def apply(values):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    try:
        apply(wanted)
        yield
    finally:
        apply(before)


def retry(n):
    """Decorator for a stochastic test: call it up to ``n`` times until it raises no
    AssertionError; the last AssertionError propagates, other exceptions at once (MXNet 1.9.1
    ``test_utils.retry``; here the wrapper keeps the test's name and returns its result).

    Raises ValueError (also an AssertionError, as MXNet asserts) unless ``n`` is a positive int.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueAssertionError('retry: n must be a positive int, got %r' % (n,))

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for attempt in range(n):
                try:
                    return f(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
        return wrapper
    return decorate


def rand_ndarray(shape, stype='default', density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """An NDArray of ``shape`` drawn uniformly from ``[-1, 1)`` on ``ctx`` (default context).

    Only dense storage exists in minigluon: another ``stype`` raises NotImplementedError.
    ``modifier_func``, ``shuffle_csr_indices`` and ``distribution`` shape sparse arrays only and
    are unused, as MXNet 1.9.1 does for dense ones; they keep ``ctx`` in its positional place.
    """
    if stype != 'default':
        raise NotImplementedError('rand_ndarray: only dense storage is supported')
    return array(np.random.uniform(-1, 1, size=shape), ctx=ctx or default_context(), dtype=dtype)


def check_gradient(fn, inputs, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7, directions=3, seed=0):
    """Check autograd's gradient of ``fn`` against central differences, in float64.

    Parameters
    ----------
    fn : callable
        Takes NDArrays (``len(inputs)`` of them) and returns an NDArray or a list of NDArrays.
    inputs : list of array-like
        Points at which to check; converted to float64 NDArrays (integer arrays are kept as is and
        never differentiated).
    wrt : list of int, optional
        Indices of the inputs to differentiate (default: every floating input).
    directions : int
        Number of random directions along which the directional derivative is compared.

    Raises
    ------
    AssertionError
        Naming the input and direction where analytic and numeric derivatives disagree.
    """
    rng = np.random.RandomState(seed)
    xs = []
    for a in inputs:
        a = _np(a)
        xs.append(a.astype(np.float64) if a.dtype.kind == 'f' else a)
    if wrt is None:
        wrt = [i for i, a in enumerate(xs) if a.dtype.kind == 'f']

    def run(values):
        outs = fn(*[array(v, dtype=v.dtype) for v in values])
        return outs if isinstance(outs, (list, tuple)) else [outs]

    probe = run(xs)
    weights = [rng.standard_normal(o.shape) for o in probe]

    def scalar(values):
        return sum(float((o.asnumpy().astype(np.float64) * w).sum()) for o, w in zip(run(values), weights))

    nds = [array(v, dtype=v.dtype) for v in xs]
    for i in wrt:
        nds[i].attach_grad()
    with autograd.record():
        outs = fn(*nds)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
    autograd.backward(outs, [array(w, dtype=o.dtype) for o, w in zip(outs, weights)])
    analytic = {i: nds[i].grad.asnumpy() for i in wrt}
    for d in range(directions):
        dirs = {i: rng.standard_normal(xs[i].shape) for i in wrt}
        plus = [x + eps * dirs[i] if i in dirs else x for i, x in enumerate(xs)]
        minus = [x - eps * dirs[i] if i in dirs else x for i, x in enumerate(xs)]
        numeric = (scalar(plus) - scalar(minus)) / (2 * eps)
        exact = sum(float((analytic[i] * dirs[i]).sum()) for i in wrt)
        if not abs(numeric - exact) <= atol + rtol * max(abs(numeric), abs(exact)):
            raise AssertionError('gradient mismatch along random direction %d: autograd %.10g vs '
                                 'numeric %.10g (inputs %s)' % (d, exact, numeric, wrt))
    return analytic


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=('a', 'b'),
                                 equal_nan=False, mismatches=(10, 10)):
    """Assert that at most a share ``etol`` of the elements of ``a`` and ``b`` differ by more
    than ``atol + rtol * |b|`` (MXNet 1.9.1 ``test_utils.assert_almost_equal_with_err``).

    With ``etol`` None or 0 this is :func:`assert_almost_equal`. ``rtol`` / ``atol`` as there
    (None: the dtypes' defaults, :func:`get_tols`); ``mismatches`` is accepted (MXNet prints that
    many mismatching elements). Raises AssertionError naming the share and the worst element;
    shapes must be equal or one side a single value, as in :func:`assert_almost_equal`.
    """
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _np(a), _np(b)
    if a.shape != b.shape and a.size != 1 and b.size != 1:
        raise ValueAssertionError('shape mismatch: %s %s vs %s %s'
                                  % (names[0], a.shape, names[1], b.shape))
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    share = 1 - np.count_nonzero(close) / max(close.size, 1)
    if share > etol:
        try:
            assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan)
        except AssertionError as err:
            raise AssertionError('%.4g of the elements differ, more than etol=%g: %s'
                                 % (share, etol, err)) from None


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """Compare two (nested) tuples of arrays element by element with
    :func:`assert_almost_equal` (MXNet 1.9.1 ``test_utils.compare_ndarray_tuple``, used on
    optimizer states). Nothing is compared when either side is None.

    Raises AssertionError on a difference, and ValueError (also an AssertionError) when two
    tuples differ in length (MXNet compares the common part only)."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, (tuple, list)):
        if not isinstance(t2, (tuple, list)) or len(t1) != len(t2):
            raise ValueAssertionError('compare_ndarray_tuple: %s of %d vs %s' % (
                type(t1).__name__, len(t1), type(t2).__name__ if not isinstance(t2, (tuple, list))
                else '%s of %d' % (type(t2).__name__, len(t2))))
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def compare_optimizer(opt1, opt2, shape, dtype, w_stype='default', g_stype='default',
                      rtol=1e-4, atol=1e-5, compare_states=True, ntensors=1):
    """Run one update of optimizers ``opt1`` and ``opt2`` from the same random weight and
    gradient and compare weights (and states, with ``compare_states``), as MXNet 1.9.1
    ``test_utils.compare_optimizer``.

    Parameters
    ----------
    opt1, opt2 : Optimizer
    shape : tuple, or list of tuples
        One weight's shape; a list of ``ntensors`` shapes updates them as one group through
        ``opt2``'s :class:`~minigluon.optimizer.Updater` (the aggregated, multi-tensor path)
        against one at a time through ``opt1``.
    dtype : numpy dtype
    w_stype, g_stype : 'default'
        Sparse storage is out of scope (NotImplementedError).

    Raises
    ------
    AssertionError
        When weights or states differ beyond ``rtol`` / ``atol``.
    """
    from minigluon import random as mg_random
    from minigluon.optimizer import Updater
    if w_stype != 'default' or g_stype != 'default':
        raise NotImplementedError('compare_optimizer: only dense weights and gradients exist in '
                                  'minigluon (w_stype=%r, g_stype=%r)' % (w_stype, g_stype))
    ctx = default_context()

    def draw(s):
        return mg_random.uniform(shape=s, ctx=ctx, dtype=dtype)

    if not isinstance(shape, list):
        if ntensors != 1:
            raise ValueAssertionError('compare_optimizer: ntensors=%d needs a list of shapes' % ntensors)
        w2, g2 = draw(shape), draw(shape)
        w1, g1 = w2.copy(), g2.copy()
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1, w2, rtol=rtol, atol=atol)
        return
    if len(shape) != ntensors:
        raise ValueAssertionError('compare_optimizer: %d shapes for ntensors=%d' % (len(shape), ntensors))
    w1 = [draw(s) for s in shape]
    g1 = [draw(s) for s in shape]
    w2, g2 = [w.copy() for w in w1], [g.copy() for g in g1]
    updater = Updater(opt2)
    updater(list(range(ntensors)), g2, w2)
    for i in range(ntensors):
        state1 = opt1.create_state_multi_precision(i, w1[i])
        opt1.update_multi_precision(i, w1[i], g1[i], state1)
        if compare_states:
            compare_ndarray_tuple(state1, updater.states[i], rtol, atol)
        compare_ndarray_tuple(w1[i], w2[i], rtol, atol)


def create_vector(size, dtype=np.int64):
    """``nd.arange(0, size)`` of ``dtype`` (MXNet 1.9.1 ``test_utils.create_vector``, made for
    its large-tensor tests)."""
    from minigluon import ndarray as nd
    return nd.arange(0, size, dtype=dtype)


def create_2d_tensor(rows, columns, dtype=np.int64):
    """A ``(rows, columns)`` NDArray of ``dtype`` whose row ``i`` holds ``i`` everywhere (MXNet
    1.9.1 ``test_utils.create_2d_tensor``)."""
    from minigluon import ndarray as nd
    column = nd.arange(0, rows, dtype=dtype).reshape(rows, 1)
    return nd.broadcast_to(column, shape=(rows, columns))


def collapse_sum_like(a, shape):
    """Sum the NumPy array ``a`` over the axes that ``shape`` lacks or holds as 1, giving an
    array of ``shape`` (the gradient of broadcasting ``shape`` to ``a.shape``; MXNet 1.9.1
    ``test_utils.collapse_sum_like``). An empty ``a`` or ``shape`` gives zeros.

    Raises ValueError (also an AssertionError, as MXNet asserts) when ``shape`` does not
    broadcast to ``a.shape``."""
    a = np.asarray(a)
    shape = tuple(shape)
    lead = a.ndim - len(shape)
    if lead < 0 or any(s not in (1, d) for s, d in zip(shape, a.shape[lead:])):
        raise ValueAssertionError('collapse_sum_like: shape %s does not broadcast to %s'
                                  % (shape, a.shape))
    if int(np.prod(shape)) == 0 or a.size == 0:
        return np.zeros(shape, dtype=a.dtype)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s != a.shape[lead + i])
    return np.sum(a, axis=axes).reshape(shape)


def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """``nbuckets`` buckets of equal probability for :func:`chi_square_check`, from the
    quantile function ``ppf``: ``([(ppf(i / n), ppf((i + 1) / n)) ...], [1 / n] * n)`` (MXNet
    1.9.1 ``test_utils.gen_buckets_probs_with_ppf``). Raises ValueError (also an
    AssertionError) unless ``nbuckets`` > 0."""
    if nbuckets <= 0:
        raise ValueAssertionError('gen_buckets_probs_with_ppf: nbuckets must be > 0, got %r' % (nbuckets,))
    probs = [1.0 / nbuckets for _ in range(nbuckets)]
    buckets = [(ppf(i / float(nbuckets)), ppf((i + 1) / float(nbuckets))) for i in range(nbuckets)]
    return buckets, probs


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Pearson's chi-square test of ``generator(nsamples)``'s samples against ``probs`` (MXNet
    1.9.1 ``test_utils.chi_square_check``).

    Parameters
    ----------
    generator : callable
        ``generator(n)`` returns ``n`` samples.
    buckets : list
        Of ``(low, high)`` ranges, ascending and disjoint, for a continuous distribution (a
        sample lands in the range whose ``[low, high)`` holds it; outside all of them it is not
        counted); else of the discrete values.
    probs : list of float
        Probability of each bucket.

    Returns
    -------
    (p, observed, expected)
        The p-value (with ``len(buckets) - 1`` degrees of freedom), the counts per bucket, and
        ``int32(nsamples * float32(probs))`` expected counts, as MXNet.

    Raises
    ------
    MissingDependencyError
        Without SciPy (an ImportError, as MXNet's).
    ValueError
        (also an AssertionError) when ``buckets`` is not a list, its length differs from
        ``probs``', or the ranges are not ascending and disjoint.
    """
    try:
        from scipy import stats
    except ModuleNotFoundError:     # (an installed but broken SciPy raises its own ImportError)
        from minigluon.base import MissingDependencyError
        raise MissingDependencyError('chi_square_check needs SciPy (pip install scipy)') from None
    if not isinstance(buckets, list) or len(probs) != len(buckets):
        raise ValueAssertionError('chi_square_check: buckets must be a list as long as probs')
    samples = np.asarray(generator(nsamples))
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    if isinstance(buckets[0], (list, tuple)):
        edges = np.array(buckets, dtype=np.float32).reshape(-1)
        if np.any(np.diff(edges) < 0):
            raise ValueAssertionError('chi_square_check: the bucket ranges must be ascending and '
                                      'disjoint, got %s' % (buckets,))
        ids = np.searchsorted(edges, samples, side='right')
        observed = np.array([np.count_nonzero(ids == 2 * i + 1) for i in range(len(buckets))])
    else:
        observed = np.array([np.count_nonzero(samples == v) for v in buckets])
    statistic = float(np.sum((observed - expected) ** 2 / expected.astype(np.float64)))
    p = float(stats.chi2.sf(statistic, len(buckets) - 1))
    return p, observed, expected


def is_op_runnable():
    """True: every minigluon operator runs on every context (MXNet 1.9.1's
    ``test_utils.is_op_runnable`` is False only for its TVM-generated operators on old GPUs)."""
    return True


def get_im2rec_path(home_env='MXNET_HOME'):
    """The path of MXNet's ``tools/im2rec.py`` (MXNet 1.9.1 ``test_utils.get_im2rec_path``):
    under the folder that environment variable ``home_env`` names, as ``tools/im2rec.py`` or
    ``../../tools/im2rec.py``. minigluon ships no im2rec script (write ``.rec`` files with
    ``mx.recordio.MXIndexedRecordIO`` and ``recordio.pack_img``), so without that variable
    pointing at an MXNet source tree this raises.

    Raises
    ------
    OSError
        When no ``im2rec.py`` is found (MXNet raises ``IOError``, the same class).
    """
    root = os.environ.get(home_env)
    for candidate in ([os.path.join(root, 'tools', 'im2rec.py'),
                       os.path.join(root, '..', '..', 'tools', 'im2rec.py')] if root else []):
        if os.path.isfile(candidate):
            return candidate
    raise OSError('Could not find path to tools/im2rec.py: minigluon has no im2rec script; set '
                  '%s to an MXNet source tree, or write .rec files with mx.recordio '
                  '(MXIndexedRecordIO, pack_img)' % home_env)


class DummyIter(DataIter):
    """An iterator that returns the first batch of ``real_iter`` forever (MXNet 1.9.1
    ``test_utils.DummyIter``, for speed tests): ``next()`` never raises StopIteration, so loop
    over it with a count. ``provide_data``, ``provide_label`` and ``batch_size`` are
    ``real_iter``'s."""

    def __init__(self, real_iter):
        super().__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def next(self):
        """The first batch of the real iterator, every time."""
        return self.the_batch


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """The local file MXNet 1.9.1's ``test_utils.download`` would return, without the network.

    The name is ``fname`` (default: the last part of ``url``), inside ``dirname`` when given.
    MXNet skips the download when that file exists and ``overwrite`` is False; then this returns
    the name. Otherwise it raises ``MXNetFileNotFoundError`` (a ``FileNotFoundError`` and a
    ``RuntimeError``) naming the URL and the path to copy it to; ``ValueAssertionError`` (MXNet's
    ``AssertionError``) if ``retries`` < 0. Unlike MXNet it creates no folder.
    """
    from minigluon import utils
    utils._check_retries(retries)
    if fname is None:
        fname = url.split('/')[-1]
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    return utils._file_in_place('download', url, fname, overwrite)


# Helpers that run Symbols and blocks (they need this module's comparisons)
from minigluon._test_utils_graph import (  # noqa: E402,F401
    check_consistency, check_gluon_hybridize_consistency, check_numeric_gradient, check_speed,
    check_symbolic_backward, check_symbolic_forward, numeric_grad, same_symbol_structure,
    simple_forward)


# MXNet 1.9.1's helpers that download or make sparse arrays are out of scope
# (docs/PORTING.md): asking for one says so and what to do instead (hasattr() stays False).
_DOWNLOADS = ("copy the files into MXNet's data folder ($MXNET_HOME, by default ~/.mxnet): "
              'gluon.data.vision.MNIST() and CIFAR10() read them from its datasets/ folder')
_OUT_OF_SCOPE = {}      # name -> (what it is, what to do instead)
for _name in ('download_model', 'get_mnist', 'get_mnist_pkl', 'get_mnist_ubyte',
              'get_mnist_iterator', 'get_cifar10', 'get_zip_data', 'get_bz2_data'):
    _OUT_OF_SCOPE[_name] = ('downloading (mx.test_utils.%s)' % _name, _DOWNLOADS)
for _name in ('rand_sparse_ndarray', 'create_sparse_array', 'create_sparse_array_zd'):
    _OUT_OF_SCOPE[_name] = ('sparse storage (mx.test_utils.%s)' % _name, 'use dense arrays (rand_ndarray)')
del _name


def __getattr__(name):
    part, advice = _OUT_OF_SCOPE.get(name, (None, None))
    _out_of_scope_getattr(__name__, {name: part} if part else {}, advice)(name)   # always raises
