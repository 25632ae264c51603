"""Testing helpers, as in ``mxnet.test_utils``: value comparison and numerical gradient checks.

``check_gradient`` is the workhorse of minigluon's own tests: it compares autograd's gradient of a
random projection of ``fn``'s output with central differences along random directions, in float64
(HIPS autograd's ``check_grads`` and Chainer's ``check_backward`` use the same scheme).
"""
import numpy as np

from minigluon import autograd
from minigluon.context import Context, current_context
from minigluon.ndarray import NDArray, array

_default_ctx = [None]


def default_context():
    """The context tests run on (``cpu(0)`` unless :func:`set_default_context` changed it)."""
    return _default_ctx[0] or current_context()


def set_default_context(ctx):
    _default_ctx[0] = Context(ctx)


def _np(a):
    if isinstance(a, NDArray):
        return a.asnumpy()
    return np.asarray(a)


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False):
    """Assert ``|a - b| <= atol + rtol * |b|`` elementwise; the message shows the worst element."""
    a, b = _np(a), _np(b)
    dtype = np.result_type(a.dtype, b.dtype) if a.dtype.kind == 'f' or b.dtype.kind == 'f' else np.float64
    default_tol = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4}.get(np.dtype(dtype), 1e-6)
    rtol = default_tol if rtol is None else rtol
    atol = default_tol if atol is None else atol
    if a.shape != b.shape:
        raise AssertionError('shape mismatch: %s %s vs %s %s' % (names[0], a.shape, names[1], b.shape))
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    err = np.abs(a64 - b64) - (atol + rtol * np.abs(b64))
    err = np.where(np.isnan(err), np.inf, err)
    idx = np.unravel_index(np.argmax(err), err.shape) if err.ndim else ()
    raise AssertionError('arrays differ (rtol=%g, atol=%g): worst at %s: %s=%r %s=%r\n%s:\n%s\n%s:\n%s'
                         % (rtol, atol, idx, names[0], a[idx], names[1], b[idx],
                            names[0], a, names[1], b))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False):
    try:
        assert_almost_equal(a, b, rtol, atol, equal_nan=equal_nan)
        return True
    except AssertionError:
        return False


def same(a, b):
    """True if the arrays are exactly equal."""
    return np.array_equal(_np(a), _np(b))


def rand_shape_nd(num_dim, dim=10):
    return tuple(np.random.randint(1, dim + 1, size=num_dim))


def rand_ndarray(shape, stype='default', density=None, dtype=None, ctx=None):
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


def check_numeric_gradient(fn, location, numeric_eps=1e-6, rtol=1e-5, atol=1e-7, **kwargs):
    """MXNet-named alias of :func:`check_gradient` for callables (symbols: see ``minigluon.sym``)."""
    if isinstance(location, dict):
        location = list(location.values())
    return check_gradient(fn, location, eps=numeric_eps, rtol=rtol, atol=atol)
