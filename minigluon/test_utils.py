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
    """Make ``ctx`` the context returned by :func:`default_context` (and used by ``rand_ndarray``)."""
    _default_ctx[0] = Context(ctx)


def list_gpus():
    """The ids of the GPUs minigluon can use, ``[0, 1, ...]`` (``[]`` without CuPy or a device),
    as MXNet's ``test_utils.list_gpus``; tests skip GPU cases with ``if not list_gpus()``."""
    from minigluon.context import num_gpus
    return list(range(num_gpus()))


def _np(a):
    if isinstance(a, NDArray):
        return a.asnumpy()
    return np.asarray(a)


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Assert ``|a - b| <= atol + rtol * |b|`` elementwise; the message shows the worst element.

    ``use_broadcast=False`` is accepted (MXNet 1.9.1 uses it to pick its comparison kernel); the
    shapes must be equal either way. ``mismatches`` (how many mismatching elements MXNet lists) is
    accepted; the message here shows the worst element and both arrays.
    """
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
    """A random shape of ``num_dim`` dimensions, each in ``[1, dim]`` (plain Python ints)."""
    return tuple(int(d) for d in np.random.randint(1, dim + 1, size=num_dim))


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


def rand_ndarray(shape, stype='default', density=None, dtype=None, ctx=None):
    """An NDArray of ``shape`` drawn uniformly from ``[-1, 1)`` on ``ctx`` (default context).

    Only dense storage exists in minigluon: another ``stype`` raises NotImplementedError.
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


def _symbol_inputs(symbol, location, aux_states):
    """Arrays for every input of ``symbol`` in ``list_inputs()`` order, from MXNet-style arguments."""
    args, auxs = symbol.list_arguments(), symbol.list_auxiliary_states()

    def by_name(values, names, what):
        if values is None:
            values = {}
        if not isinstance(values, dict):
            values = list(values)
            if len(values) != len(names):
                raise ValueError('check_numeric_gradient: %s has %d arrays, the symbol needs %d (%s)'
                                 % (what, len(values), len(names), names))
            return dict(zip(names, values))
        unknown = sorted(set(values) - set(names))
        missing = [n for n in names if n not in values]
        if unknown:
            raise ValueError('check_numeric_gradient: %s names unknown input(s) %s; the symbol has %s'
                             % (what, ', '.join(repr(n) for n in unknown), names))
        if missing:
            raise ValueError('check_numeric_gradient: %s is missing %s (the symbol needs %s)'
                             % (what, missing, names))
        return dict(values)

    values = by_name(location, args, 'location')
    values.update(by_name(aux_states, auxs, 'aux_states'))
    return values


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           grad_nodes=None, use_forward_train=True, ctx=None, dtype=np.float64,
                           **kwargs):
    """Check analytic gradients against central differences (MXNet ``check_numeric_gradient``).

    Parameters
    ----------
    sym : Symbol or callable
        A Symbol (run through :class:`minigluon.executor.CachedOp`, as ``hybridize`` does) or a
        callable taking NDArrays, as :func:`check_gradient`.
    location : dict of str to array, or list of arrays
        For a Symbol: a value per argument, by name or in ``sym.list_arguments()`` order. For a
        callable: its inputs (a dict's values in order).
    aux_states : dict or list of arrays, optional
        Values of the Symbol's auxiliary states (``sym.list_auxiliary_states()``), never
        differentiated.
    numeric_eps, rtol, atol : float
        Step and tolerances of the comparison (made in float64, see :func:`check_gradient`).
    grad_nodes : list of str, optional
        Arguments to differentiate (default: every floating argument of the Symbol).
    use_forward_train : bool, default True
        Run the Symbol in training mode (BatchNorm batch statistics, Dropout).

    Returns
    -------
    dict of str to numpy.ndarray (Symbol) or dict of int to numpy.ndarray (callable)
        The analytic gradients that passed the check.

    Raises
    ------
    ValueError
        If ``location`` or ``aux_states`` do not match the Symbol's inputs.
    AssertionError
        If a directional derivative disagrees.
    """
    from minigluon.symbol import Symbol
    if not isinstance(sym, Symbol):
        if isinstance(location, dict):
            location = list(location.values())
        return check_gradient(sym, location, eps=numeric_eps, rtol=rtol, atol=atol)
    from minigluon.executor import CachedOp
    names = sym.list_inputs()
    values = _symbol_inputs(sym, location, aux_states)
    arrays = [_np(values[n]) for n in names]
    auxs = set(sym.list_auxiliary_states())
    if grad_nodes is None:
        grad_nodes = [n for n, a in zip(names, arrays) if n not in auxs and a.dtype.kind == 'f']
    wrt = [names.index(n) for n in grad_nodes]
    cached = CachedOp(sym)

    def run(*inputs):
        if use_forward_train:
            with autograd.train_mode():
                return cached(*inputs)
        return cached(*inputs)

    grads = check_gradient(run, arrays, wrt=wrt, eps=numeric_eps, rtol=rtol, atol=atol)
    return {names[i]: grads[i] for i in wrt}


def _run_symbol(sym, location, aux_states, ctx, dtype, out_grads=None, grad_req='write'):
    from minigluon.executor import CachedOp
    names = sym.list_inputs()
    values = _symbol_inputs(sym, location, aux_states)
    auxs = set(sym.list_auxiliary_states())
    ctx = ctx or default_context()
    inputs = [array(_np(values[n]), ctx=ctx, dtype=dtype) for n in names]
    args = [(n, x) for n, x in zip(names, inputs) if n not in auxs]
    if out_grads is None:
        return [o.asnumpy() for o in CachedOp(sym)(*inputs)], None
    reqs = grad_req if isinstance(grad_req, dict) else {n: grad_req for n, _ in args}
    for n, x in args:
        if reqs.get(n, 'null') != 'null':
            x.attach_grad(reqs[n])
    with autograd.record():
        outs = CachedOp(sym)(*inputs)
    if isinstance(out_grads, dict):
        out_grads = [out_grads[n] for n in sym.list_outputs()]
    autograd.backward(outs, [array(_np(g), ctx=ctx, dtype=dtype) for g in out_grads])
    return outs, {n: x.grad.asnumpy() for n, x in args if reqs.get(n, 'null') != 'null'}


def _expected_list(expected, names, what):
    if isinstance(expected, dict):
        return [(n, expected[n]) for n in names if n in expected]
    expected = list(expected)
    if len(expected) != len(names):
        raise ValueError('%s: expected has %d arrays, the symbol has %d (%s)'
                         % (what, len(expected), len(names), names))
    return list(zip(names, expected))


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Run ``sym`` on ``location`` (by argument name or in ``list_arguments()`` order) and compare
    its outputs with ``expected`` (a list in output order or a dict by output name); returns the
    outputs as NumPy arrays (MXNet ``test_utils.check_symbolic_forward``). Raises AssertionError
    on a mismatch, ValueError when the arrays do not match the symbol's inputs or outputs."""
    outs, _ = _run_symbol(sym, location, aux_states, ctx, dtype)
    for (name, want), got in zip(_expected_list(expected, sym.list_outputs(),
                                                'check_symbolic_forward'), outs):
        assert_almost_equal(got, want, rtol, atol, names=('forward ' + name, 'expected'),
                            equal_nan=equal_nan)
    return outs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req='write', ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Backpropagate ``out_grads`` through ``sym`` run on ``location`` and compare the argument
    gradients with ``expected`` (a list in ``list_arguments()`` order or a dict by name; names
    missing from a dict are not checked). ``grad_req`` is ``'write'``, ``'add'`` (gradients start
    at zero here, so it equals write), ``'null'`` or a dict by name. Returns the gradients by name
    (MXNet ``test_utils.check_symbolic_backward``)."""
    if grad_stypes not in (None, {}) and any(s != 'default' for s in dict(grad_stypes).values()):
        raise NotImplementedError('check_symbolic_backward: only dense gradients are supported')
    _, grads = _run_symbol(sym, location, aux_states, ctx, dtype, out_grads, grad_req)
    for name, want in _expected_list(expected, sym.list_arguments(), 'check_symbolic_backward'):
        if name in grads:
            assert_almost_equal(grads[name], want, rtol, atol,
                                names=('gradient of ' + name, 'expected'), equal_nan=equal_nan)
    return grads
