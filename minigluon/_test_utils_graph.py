"""The helpers of ``mxnet.test_utils`` that run Symbols and Gluon blocks (MXNet 1.9.1), importable
from :mod:`minigluon.test_utils`: ``check_numeric_gradient``, ``check_symbolic_forward``,
``check_symbolic_backward``, ``simple_forward``, ``numeric_grad``, ``same_symbol_structure`` and
``check_gluon_hybridize_consistency``.

minigluon has no executors (``Symbol.bind`` is out of scope): a Symbol runs through
:class:`minigluon.executor.CachedOp`, the graph executor behind ``hybridize``, and the helpers that
take an executor in MXNet (``numeric_grad``) take the Symbol it would have been bound from.
"""
import contextlib
import json
import warnings

import numpy as np

from minigluon import autograd
from minigluon.base import ValueAssertionError
from minigluon.executor import CachedOp
from minigluon.ndarray import NDArray, array
from minigluon.symbol import Symbol
from minigluon.test_utils import _np, assert_almost_equal, check_gradient, default_context, get_tols


def _symbol_inputs(symbol, location, aux_states, caller='check_numeric_gradient'):
    """Arrays for every input of ``symbol`` by name, from MXNet-style arguments (a dict by name or
    a list in ``list_arguments()`` / ``list_auxiliary_states()`` order); ValueError naming
    ``caller`` when they do not match the symbol's inputs."""
    args, auxs = symbol.list_arguments(), symbol.list_auxiliary_states()

    def by_name(values, names, what):
        if values is None:
            values = {}
        if not isinstance(values, dict):
            values = list(values)
            if len(values) != len(names):
                raise ValueError('%s: %s has %d arrays, the symbol needs %d (%s)'
                                 % (caller, what, len(values), len(names), names))
            return dict(zip(names, values))
        unknown = sorted(set(values) - set(names))
        missing = [n for n in names if n not in values]
        if unknown:
            raise ValueError('%s: %s names unknown input(s) %s; the symbol has %s'
                             % (caller, what, ', '.join(repr(n) for n in unknown), names))
        if missing:
            raise ValueError('%s: %s is missing %s (the symbol needs %s)'
                             % (caller, what, missing, names))
        return dict(values)

    values = by_name(location, args, 'location')
    values.update(by_name(aux_states, auxs, 'aux_states'))
    return values


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=1e-6, rtol=1e-5, atol=1e-7,
                           grad_nodes=None, use_forward_train=True, ctx=None, grad_stype_dict=None,
                           dtype=np.float64, **kwargs):
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
    numeric_eps, rtol, atol : float or None
        Step and tolerances of the comparison (made in float64, see :func:`check_gradient`);
        None takes the default shown in the signature (MXNet 1.9.1's None picks one by dtype).
    grad_nodes : list of str, optional
        Arguments to differentiate (default: every floating argument of the Symbol).
    use_forward_train : bool, default True
        Run the Symbol in training mode (BatchNorm batch statistics, Dropout).
    ctx, grad_stype_dict, dtype
        Accepted in MXNet 1.9.1's positional order and unused: the check runs in float64 on the
        default context, and every gradient is dense.

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
    numeric_eps = 1e-6 if numeric_eps is None else numeric_eps
    rtol = 1e-5 if rtol is None else rtol
    atol = 1e-7 if atol is None else atol
    if not isinstance(sym, Symbol):
        if isinstance(location, dict):
            location = list(location.values())
        return check_gradient(sym, location, eps=numeric_eps, rtol=rtol, atol=atol)
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


def _run_symbol(sym, location, aux_states, ctx, dtype, caller, out_grads=None, grad_req='write'):
    names = sym.list_inputs()
    values = _symbol_inputs(sym, location, aux_states, caller)
    auxs = set(sym.list_auxiliary_states())
    ctx = ctx or default_context()
    inputs = [array(_np(values[n]), ctx=ctx, dtype=dtype) for n in names]
    args = [(n, x) for n, x in zip(names, inputs) if n not in auxs]
    if out_grads is None:
        return list(CachedOp(sym)(*inputs)), None
    reqs = grad_req if isinstance(grad_req, dict) else {n: grad_req for n, _ in args}
    for n, x in args:
        if reqs.get(n, 'null') != 'null':
            x.attach_grad(reqs[n])
    with autograd.record():
        outs = CachedOp(sym)(*inputs)
    if isinstance(out_grads, dict):
        out_grads = [out_grads[n] for n in sym.list_outputs()]
    autograd.backward(outs, [array(_np(g), ctx=ctx, dtype=dtype) for g in out_grads])
    return outs, {n: x.grad for n, x in args if reqs.get(n, 'null') != 'null'}


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
    outputs as NDArrays (MXNet ``test_utils.check_symbolic_forward``). Raises AssertionError
    on a mismatch, ValueError when the arrays do not match the symbol's inputs or outputs."""
    outs, _ = _run_symbol(sym, location, aux_states, ctx, dtype, 'check_symbolic_forward')
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
    at zero here, so it equals write), ``'null'`` or a dict by name. Returns the gradients by name,
    as NDArrays (MXNet ``test_utils.check_symbolic_backward``)."""
    if grad_stypes not in (None, {}) and any(s != 'default' for s in dict(grad_stypes).values()):
        raise NotImplementedError('check_symbolic_backward: only dense gradients are supported')
    _, grads = _run_symbol(sym, location, aux_states, ctx, dtype, 'check_symbolic_backward',
                           out_grads, grad_req)
    for name, want in _expected_list(expected, sym.list_arguments(), 'check_symbolic_backward'):
        if name in grads:
            assert_almost_equal(grads[name], want, rtol, atol,
                                names=('gradient of ' + name, 'expected'), equal_nan=equal_nan)
    return grads


def _mode(is_train):
    return autograd.train_mode() if is_train else contextlib.nullcontext()


def _check_symbol(sym, caller):
    if not isinstance(sym, Symbol):
        raise TypeError('%s: expected a Symbol, got %s' % (caller, type(sym).__name__))


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Run ``sym`` once on NumPy inputs given by name and return its output as a NumPy array (a
    list of arrays for several outputs), as MXNet 1.9.1's ``test_utils.simple_forward``.

    Parameters
    ----------
    sym : Symbol
    ctx : Context, optional
        Default :func:`~minigluon.test_utils.default_context`.
    is_train : bool, default False
        Run in training mode (Dropout drops, BatchNorm uses batch statistics).
    **inputs : array-like
        A value for every argument and auxiliary state of ``sym``; each becomes an NDArray as
        ``nd.array`` makes it (float32 from NumPy data, as in MXNet).

    Raises
    ------
    TypeError
        When ``sym`` is not a Symbol.
    ValueError
        When ``inputs`` miss an input of ``sym`` or name one it does not have.
    """
    _check_symbol(sym, 'simple_forward')
    ctx = ctx or default_context()
    names = sym.list_inputs()
    unknown = sorted(set(inputs) - set(names))
    missing = [n for n in names if n not in inputs]
    if unknown or missing:
        raise ValueError('simple_forward: the symbol takes %s; missing %s, unknown %s'
                         % (names, missing, unknown))
    with _mode(is_train):
        outs = CachedOp(sym)(*[array(inputs[n], ctx=ctx) for n in names])
    outs = [o.asnumpy() for o in outs]
    return outs[0] if len(outs) == 1 else outs


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True,
                 dtype=np.float32):
    """Finite-difference gradients of the sum of ``executor``'s first output, one element at a
    time (MXNet 1.9.1 ``test_utils.numeric_grad``, after Theano's ``numeric_grad``).

    For each element ``x`` of each floating argument: ``(f(x + eps/2) - f(x + eps/2 - eps)) /
    eps`` with ``f`` the sum of output 0, the steps taken in the argument's own dtype and every
    input then cast to ``dtype`` for the forward pass, as MXNet does. Integer arguments get
    zeros. Slow (two forward passes per element): meant for small tests.

    Parameters
    ----------
    executor : Symbol
        The Symbol MXNet code would ``bind`` (minigluon has no executors).
    location : dict of str to array, or list of arrays
        A value for every argument, by name or in ``list_arguments()`` order (MXNet takes a dict
        only).
    aux_states : dict or list of arrays, optional
        Values of the auxiliary states, restored before every forward pass.
    eps : float, default 1e-4
    use_forward_train : bool, default True
        Run the forward passes in training mode.
    dtype : numpy float type, default float32
        float16, float32 or float64: the dtype of the forward passes and of the result.

    Returns
    -------
    dict of str to numpy.ndarray
        The gradient of every argument, in ``dtype``.

    Raises
    ------
    TypeError
        When ``executor`` is not a Symbol.
    ValueError
        For another ``dtype`` (also an ``AssertionError``, as MXNet asserts), or arrays that do
        not match the Symbol's inputs.
    """
    _check_symbol(executor, 'numeric_grad')
    if np.dtype(dtype) not in (np.float16, np.float32, np.float64):
        raise ValueAssertionError('numeric_grad: dtype must be float16, float32 or float64, got %s'
                                  % np.dtype(dtype).name)
    sym, dtype = executor, np.dtype(dtype)
    names, args = sym.list_inputs(), sym.list_arguments()
    values = {n: np.array(_np(v)) for n, v in
              _symbol_inputs(sym, location, aux_states, 'numeric_grad').items()}
    cached = CachedOp(sym)

    def first_output():
        with _mode(use_forward_train):
            out = cached(*[array(values[n], dtype=dtype) for n in names])[0]
        return out.asnumpy()

    grads = {}
    for name in args:
        v = values[name]
        grads[name] = np.zeros(v.shape, dtype=dtype)
        if v.dtype.kind != 'f':
            continue
        flat = v.reshape(-1)              # a view: the forward passes read the stepped value
        for i in range(flat.size):
            old = flat[i]
            flat[i] += eps / 2.0
            f_plus = first_output()
            flat[i] -= eps
            f_minus = first_output()
            grads[name].flat[i] = (f_plus - f_minus).sum() / eps
            flat[i] = old
    return grads


def same_symbol_structure(sym1, sym2):
    """True when the two Symbols have the same operator at every node of their graphs (variable
    names and attributes are not compared), as MXNet 1.9.1's ``test_utils.same_symbol_structure``.
    Graphs with different numbers of nodes are not the same here; MXNet compares only the
    nodes both have, so ``a + b`` matched ``(a + b) * c``."""
    nodes1 = json.loads(sym1.tojson())['nodes']
    nodes2 = json.loads(sym2.tojson())['nodes']
    return len(nodes1) == len(nodes2) and all(n1['op'] == n2['op'] for n1, n2 in zip(nodes1, nodes2))


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True,
                                      rtol=1E-4, atol=1E-4):
    """Check that a HybridBlock gives the same output, and input gradients, eagerly and
    hybridized (MXNet 1.9.1 ``test_utils.check_gluon_hybridize_consistency``).

    ``net_builder(prefix='net_')`` builds the block four times (eager and hybridized, without and
    with autograd); the first is initialized with its defaults and the others get its parameter
    values. With autograd the output is backpropagated with itself as head gradient. The block
    must not draw random numbers. MXNet's version runs only numpy-mode (``mx.np``) blocks; this
    one runs NDArrays and ordinary blocks.

    Parameters
    ----------
    net_builder : callable
        ``net_builder(prefix=...)`` returns a HybridBlock whose forward returns one NDArray.
    data_l : list of NDArray
        The inputs (copied for every run).
    numpy_func : callable, optional
        A NumPy reference taking the inputs as NumPy arrays; the output is compared with it too.
    test_grad : bool, default True
        Also compare the gradients of the inputs.
    rtol, atol : float, default 1e-4

    Raises
    ------
    AssertionError
        When outputs or gradients differ.
    """
    saved_out = saved_grads = params = None
    for hybridize in (False, True):
        for use_autograd in ((False, True) if test_grad else (False,)):
            net = net_builder(prefix='net_')
            net.initialize()
            inputs = [x.copy() for x in data_l]
            if params is not None:
                for name, p in net.collect_params().items():
                    p.set_data(params[name])
            if hybridize:
                net.hybridize()
            if use_autograd:
                for x in inputs:
                    x.attach_grad()
                with autograd.record():
                    out = net(*inputs)
                out.backward(out)
            else:
                out = net(*inputs)
            if params is None:
                params = {name: p.data().copy() for name, p in net.collect_params().items()}
            if saved_out is None:
                saved_out = out.asnumpy()
            else:
                assert_almost_equal(out, saved_out, rtol=rtol, atol=atol,
                                    names=('output (hybridized=%s)' % hybridize, 'first output'))
            if use_autograd:
                grads = [x.grad.asnumpy() for x in inputs]
                if saved_grads is None:
                    saved_grads = grads
                else:
                    for i, (g, want) in enumerate(zip(grads, saved_grads)):
                        assert_almost_equal(g, want, rtol=rtol, atol=atol,
                                            names=('gradient %d (hybridized)' % i, 'eager'))
    if numpy_func is not None:
        want = numpy_func(*[x.asnumpy() if isinstance(x, NDArray) else np.asarray(x) for x in data_l])
        assert_almost_equal(saved_out, want, rtol=rtol, atol=atol, names=('output', 'numpy_func'))


class _BoundSymbol:
    """A Symbol with arrays for every input, as one MXNet ``simple_bind`` executor held them:
    ``arg_dict`` / ``aux_dict`` by name (shapes from ``shapes``, the rest inferred; dtypes from
    ``type_dict``, the rest float32), ``grad_dict`` after :meth:`backward`."""

    def __init__(self, sym, ctx, shapes, type_dict, grad_req, caller):
        self.sym, self.ctx, self.grad_req = sym, ctx, grad_req
        try:
            with warnings.catch_warnings():     # too few shapes: the ValueError below says so
                warnings.simplefilter('ignore', UserWarning)
                arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
            # as simple_bind: float32 unless type_dict says otherwise (the rest follow from it)
            given = {n: np.dtype(t) for n, t in type_dict.items()} or {
                n: np.dtype(np.float32) for n in sym.list_arguments()}
            arg_types, _, aux_types = sym.infer_type(**given)
        except Exception as err:
            raise ValueError('%s: cannot infer the input shapes/dtypes from %s, %s: %s'
                             % (caller, shapes, type_dict, err)) from None
        if arg_shapes is None:      # infer_shape's answer when the shapes given are too few
            raise ValueError('%s: the shapes %s do not determine the shapes of all of %s; give the '
                             'input shapes by name (e.g. data=(2, 3))'
                             % (caller, shapes, sym.list_arguments()))
        args, auxs = sym.list_arguments(), sym.list_auxiliary_states()
        self.arg_dict = {n: array(np.zeros(s), ctx=ctx, dtype=t)
                         for n, s, t in zip(args, arg_shapes, arg_types)}
        self.aux_dict = {n: array(np.zeros(s), ctx=ctx, dtype=t)
                         for n, s, t in zip(auxs, aux_shapes, aux_types)}
        self.grad_dict = {}
        self.outputs = []
        self._op = CachedOp(sym)

    def _reqs(self):
        req = self.grad_req
        return {n: (req.get(n, 'null') if isinstance(req, dict) else req) for n in self.arg_dict}

    def forward(self, is_train=False, record=False):
        inputs = [self.arg_dict[n] if n in self.arg_dict else self.aux_dict[n]
                  for n in self.sym.list_inputs()]
        if record:
            for name, req in self._reqs().items():
                if req != 'null':
                    self.arg_dict[name].attach_grad(req)
            with autograd.record(train_mode=is_train):
                self.outputs = list(self._op(*inputs))
        else:
            with _mode(is_train):
                self.outputs = list(self._op(*inputs))
        return self.outputs

    def backward(self, out_grads):
        if any(req != 'null' for req in self._reqs().values()):   # else nothing to compute (MXNet's
            autograd.backward(self.outputs, out_grads)           # executor does nothing either)
        # None for an argument whose grad_req is 'null', as an MXNet executor's grad_dict
        self.grad_dict = {n: None if req == 'null' else self.arg_dict[n].grad
                          for n, req in self._reqs().items()}


def _bind_all(syms, ctx_list, grad_req, caller):
    executors = []
    for sym, spec in zip(syms, ctx_list):
        spec = dict(spec)
        ctx = spec.pop('ctx', None) or default_context()
        type_dict = spec.pop('type_dict', {}) or {}
        executors.append(_BoundSymbol(sym, ctx, spec, type_dict, grad_req, caller))
    return executors


def _smaller_dtype(dt1, dt2):
    """The less precise (fewer bytes) of two dtypes; ``dt1`` when ``dt2`` is None."""
    return dt1 if dt2 is None or np.dtype(dt1).itemsize < np.dtype(dt2).itemsize else dt2


def check_consistency(sym, ctx_list, scale=1.0, grad_req='write', arg_params=None, aux_params=None,
                      rtol=None, atol=None, raise_on_err=True, ground_truth=None, equal_nan=False,
                      use_uniform=False, rand_type=np.float64):
    """Run a Symbol under several contexts and dtypes and compare outputs and gradients (MXNet
    1.9.1 ``test_utils.check_consistency``).

    Parameters
    ----------
    sym : Symbol or list of Symbols
        One per entry of ``ctx_list`` (or one for all); they must have the same arguments and
        outputs.
    ctx_list : list of dict
        At least two entries ``{'ctx': mx.cpu(0), 'data': (2, 3), 'type_dict': {'data':
        np.float32}}``: the context, input shapes by name (the others are inferred) and input
        dtypes by name (the others inferred, float32 when nothing says).
    scale : float
        Standard deviation (normal) or 0.92 x half-width (``use_uniform``) of the random
        inputs, drawn with NumPy's global generator in argument-name order, cast to
        ``rand_type``; ``arg_params`` gives some or all values, ``aux_params`` the auxiliary
        states' (else 0).
    grad_req : 'write', 'add', 'null' or dict by argument name
        ``'null'`` compares outputs only.
    rtol, atol : float, dict or None
        As :func:`~minigluon.test_utils.assert_almost_equal` (None: the dtypes' defaults).
    raise_on_err : bool, default True
        False prints mismatches and goes on.
    ground_truth : dict of name to array, optional
        The expected outputs (and, with gradients, argument gradients) by name; by default the
        run whose first output has the most precise dtype is the reference.

    Returns
    -------
    dict
        The reference outputs (and gradients) by name.

    The forward pass runs in prediction mode; then, unless ``grad_req`` is ``'null'``, a
    training-mode pass back-propagates the first run's outputs (cast to the least precise
    output dtype) as head gradients through every run. Contexts here are ``cpu`` (and ``gpu``
    with CuPy).

    Raises
    ------
    AssertionError
        On a mismatch (with ``raise_on_err``).
    ValueError
        (also an AssertionError, as MXNet asserts) for fewer than two contexts, or Symbols whose
        arguments or outputs differ.
    KeyError
        When ``ground_truth`` lacks an output or gradient name.
    """
    if len(ctx_list) < 2:
        raise ValueAssertionError('check_consistency: ctx_list needs at least two entries, got %d'
                                  % len(ctx_list))
    syms = [sym] * len(ctx_list) if isinstance(sym, Symbol) else list(sym)
    if len(syms) != len(ctx_list):
        raise ValueAssertionError('check_consistency: %d symbols for %d contexts' % (len(syms), len(ctx_list)))
    for s in syms:
        _check_symbol(s, 'check_consistency')
    output_names, arg_names = syms[0].list_outputs(), syms[0].list_arguments()
    for s in syms[1:]:
        if s.list_arguments() != arg_names or s.list_outputs() != output_names:
            raise ValueAssertionError('check_consistency: the symbols differ in arguments or outputs: '
                                      '%s %s vs %s %s' % (arg_names, output_names, s.list_arguments(),
                                                          s.list_outputs()))
    exes = _bind_all(syms, ctx_list, grad_req, 'check_consistency')
    arg_params = dict(arg_params or {})
    aux_params = dict(aux_params or {})
    for name in sorted(exes[0].arg_dict):
        if name not in arg_params:
            shape = exes[0].arg_dict[name].shape
            values = (np.random.uniform(-0.92 * scale, 0.92 * scale, size=shape) if use_uniform
                      else np.random.normal(size=shape, scale=scale))
            arg_params[name] = values.astype(rand_type)
    for exe in exes:
        for name, arr in exe.arg_dict.items():
            arr[:] = _np(arg_params[name]).astype(arr.dtype)
        for name, arr in exe.aux_dict.items():
            arr[:] = _np(aux_params.get(name, 0)).astype(arr.dtype)
        exe.forward(is_train=False)
    dtypes = [np.dtype(exe.outputs[0].dtype) for exe in exes]
    gt_idx = int(np.argmax([d.itemsize for d in dtypes]))
    gt = ground_truth
    if gt is None:
        gt = dict(zip(output_names, exes[gt_idx].outputs))

    def compare(what, i, name, arr, rt, at):
        if name not in gt:
            raise KeyError('check_consistency: ground_truth has no %r' % name)
        try:
            assert_almost_equal(arr, gt[name], rtol=rt, atol=at, equal_nan=equal_nan,
                                names=('%s %s of run %d' % (what, name, i), 'run %d' % gt_idx))
        except AssertionError as err:
            if raise_on_err:
                raise
            print('%s error: run %d vs run %d at %s: %s' % (what, i, gt_idx, name, err))

    for i, exe in enumerate(exes):
        if i != gt_idx:
            for name, arr in zip(output_names, exe.outputs):
                compare('Predict', i, name, arr, rtol, atol)
    if grad_req == 'null':
        return gt
    for exe in exes:
        exe.forward(is_train=True, record=True)
    least = [o.dtype for o in exes[0].outputs]
    for exe in exes:
        least = [_smaller_dtype(o.dtype, d) for o, d in zip(exe.outputs, least)]
    heads = [o.asnumpy().astype(d) for o, d in zip(exes[0].outputs, least)]
    for exe in exes:
        exe.backward([array(h, ctx=exe.ctx, dtype=o.dtype) for h, o in zip(heads, exe.outputs)])
    if ground_truth is None:
        gt.update(zip(output_names, exes[gt_idx].outputs))
        gt.update(exes[gt_idx].grad_dict)
    for i, exe in enumerate(exes):
        if i == gt_idx:
            continue
        named = list(zip(output_names, exe.outputs)) + sorted(exe.grad_dict.items())
        for name, arr in named:
            if arr is None:     # grad_req 'null': no gradient in any run
                continue
            if name not in gt:
                raise KeyError('check_consistency: ground_truth has no %r' % name)
            rt, at, ref = rtol, atol, _np(gt[name])
            # a float32 gradient (BatchNorm's gamma...) of a float16 run gets float16 tolerances
            mine, theirs = _smaller_dtype(arr.dtype, dtypes[i]), _smaller_dtype(ref.dtype, dtypes[gt_idx])
            if mine != arr.dtype or theirs != ref.dtype:
                rt, at = get_tols(_np(arr).astype(mine), ref.astype(theirs), rtol, atol)
            compare('Train', i, name, arr, rt, at)
    return gt


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ='whole', **kwargs):
    """Seconds per run of ``sym``: forward and backward (``typ='whole'``) or forward only
    (``typ='forward'``), averaged over ``N`` runs after one warm-up run (MXNet 1.9.1
    ``test_utils.check_speed``).

    Parameters
    ----------
    sym : Symbol
    location : dict of str to numpy.ndarray, optional
        Input values by name; by default standard-normal values of the shapes in ``kwargs``.
    ctx : Context, optional
        Default :func:`~minigluon.test_utils.default_context`.
    grad_req : str or dict, default 'write'
    **kwargs
        Input shapes by name when ``location`` is not given.

    Raises
    ------
    ValueError
        For another ``typ``; TypeError when ``location`` is not a dict (also an
        AssertionError, as MXNet asserts).
    """
    import time
    from minigluon.base import TypeAssertionError
    from minigluon.ndarray import waitall
    _check_symbol(sym, 'check_speed')
    if typ not in ('whole', 'forward'):
        raise ValueError('check_speed: typ can only be "whole" or "forward", got %r' % (typ,))
    ctx = ctx or default_context()
    grad_req = grad_req or 'write'
    if location is None:
        exe = _BoundSymbol(sym, ctx, kwargs, {}, grad_req, 'check_speed')
        location = {k: np.random.normal(size=arr.shape, scale=1.0) for k, arr in exe.arg_dict.items()}
    else:
        if not isinstance(location, dict):
            raise TypeAssertionError('check_speed: location must be a dict, got %s' % type(location).__name__)
        exe = _BoundSymbol(sym, ctx, {k: np.shape(v) for k, v in location.items()}, {}, grad_req,
                           'check_speed')
    for name, value in location.items():
        exe.arg_dict[name][:] = np.asarray(value).astype(exe.arg_dict[name].dtype)

    def run():
        if typ == 'whole':
            exe.forward(is_train=True, record=True)
            exe.backward(exe.outputs)
        else:
            exe.forward(is_train=False)

    run()
    waitall()
    tic = time.time()
    for _ in range(N):
        run()
    waitall()
    return (time.time() - tic) / N
