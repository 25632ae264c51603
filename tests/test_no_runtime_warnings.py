"""Operators compute inf and nan silently, as MXNet 1.9.1 does (minigluon/_fp_errors.py).

``nd.log(0)``, ``x / 0``, ``sqrt(-1)``, a float16 overflow... must not print NumPy's
``RuntimeWarning: divide by zero encountered in log``: MXNet's kernels never report floating-point
errors. Checked for every operator of the sweep cases (tests/ops/op_cases.py) and every other
registered operator, on edge inputs (0, negatives, inf, nan, huge and tiny values, float16),
forward and backward, eager and hybridized; for the losses, the optimizers' updates, in-place
arithmetic, ``__setitem__`` and ``nd.array``; on the CPU worker threads. The values stay NumPy's
(inf and nan where IEEE 754 puts them), and the user's own NumPy error settings
(``np.seterr(all='raise')``) are in force again after each call, also after a failing one.
"""
import threading
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon import symbol as sym
from minigluon.base import MXNetError
from minigluon.executor import CachedOp
from minigluon.ops import OPS, _parallel
from tests.ops.op_cases import CASES

KINDS = ('mix', 'zero', 'neg')


def edge(shape, dtype, kind='mix'):
    """An array of ``shape`` cycling through edge values: ``mix`` (0, -1, +-inf, nan, the largest
    finite magnitudes of the dtype, a tiny value...), ``zero`` or ``neg`` (negative values)."""
    big = float(np.finfo(dtype).max)
    values = {'mix': [0.0, -1.0, np.inf, -np.inf, np.nan, big, -big, 1e-30, 2.0, 0.5, -0.0],
              'zero': [0.0],
              'neg': [-1.0, -2.5]}[kind]
    n = int(np.prod(shape)) if shape else 1
    with np.errstate(all='ignore'):        # 1e-30 is 0 in float16
        return np.resize(np.array(values), n).reshape(shape).astype(dtype)


class Recorder:
    """Collects the RuntimeWarnings raised inside ``with`` blocks (any thread), as
    ``(what, message, file:line)``; an exception in the block is swallowed (an edge input an
    operator rightly rejects, as MXNet does) and counted in ``failed``."""

    def __init__(self):
        self.found, self.ran, self.failed = [], 0, 0
        self._what = None

    def __call__(self, what):
        self._what = what
        return self

    def __enter__(self):
        self._catch = warnings.catch_warnings(record=True)
        self._log = self._catch.__enter__()
        warnings.simplefilter('always')
        return self

    def __exit__(self, kind, err, tb):
        self._catch.__exit__(None, None, None)
        for w in self._log:
            if issubclass(w.category, RuntimeWarning):
                self.found.append((self._what, str(w.message), '%s:%d' % (w.filename, w.lineno)))
        if kind is None:
            self.ran += 1
        else:
            self.failed += 1
        return kind is not None and issubclass(kind, Exception)


def _forward_backward(rec, what, fn, arrays, grads=True):
    with rec(what + ' forward'):
        fn(*arrays)
    if not grads:
        return
    for a in arrays:
        if np.dtype(a.dtype).kind == 'f':
            a.attach_grad()
    with rec(what + ' backward'):
        with autograd.record():
            out = fn(*arrays)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        autograd.backward(outs, [nd.ones(o.shape, dtype=o.dtype) for o in outs])


def _graph(case, n):
    names = ['in%d' % i for i in range(n)]
    cached = CachedOp(getattr(sym, case.name)(*[sym.var(v) for v in names], **case.attrs))
    order = [names.index(v) for v in cached.input_names]
    return lambda *arrays: cached(*[arrays[i] for i in order])


@pytest.mark.parametrize('dtype', [np.float32, np.float16])
def test_every_operator_case_is_silent_on_edge_inputs(dtype):
    """Each sweep case (every differentiable operator), eager and as a graph, forward and
    backward, on edge inputs: no RuntimeWarning. Most of them must run (not be rejected)."""
    rec = Recorder()
    for case in CASES:
        base = case.inputs()
        mode = autograd.train_mode() if 'train' in case.flags else autograd.predict_mode()
        for kind in KINDS:
            values = [edge(v.shape, dtype, kind) if i in case.floating else v
                      for i, v in enumerate(base)]
            with mode:
                _forward_backward(rec, '%s %s' % (case, kind),
                                  lambda *a: getattr(nd, case.name)(*a, **case.attrs),
                                  [nd.array(v, dtype=v.dtype) for v in values])
                _forward_backward(rec, '%s %s graph' % (case, kind), _graph(case, len(values)),
                                  [nd.array(v, dtype=v.dtype) for v in values])
    assert not rec.found, '%d warnings, first ones: %s' % (len(rec.found), rec.found[:10])
    assert rec.ran > 0.8 * (rec.ran + rec.failed), (rec.ran, rec.failed)


def test_every_other_operator_is_silent_on_edge_inputs():
    """The registered operators without a sweep case (samplers, comparisons, reductions such
    as nansum, linear algebra, image operators...), called with edge arrays for every input
    and their default attributes (those that need others are rejected and skipped)."""
    covered = {OPS[c.name] for c in CASES}
    rec = Recorder()
    seen = set()
    for name, cls in sorted(OPS.items()):
        if cls in covered or cls in seen:
            continue
        seen.add(cls)
        n_args = 2 if cls.arguments is None else len(cls.arguments)
        for dtype in (np.float32, np.float16):
            for shape in ((2, 5), (4,)):
                arrays = [nd.array(edge(shape, dtype), dtype=dtype) for _ in range(n_args)]
                _forward_backward(rec, name, lambda *a: nd.ndarray.call_op(name, *a), arrays,
                                  grads=cls.differentiable)
    assert not rec.found, '%d warnings, first ones: %s' % (len(rec.found), rec.found[:10])
    assert rec.ran > 100, rec.ran


# -- values: NumPy's inf and nan ------------------------------------------------------------------

def _numpy(fn, *args):
    with np.errstate(all='ignore'):
        return fn(*args)


UNARY = [('log', np.log), ('log2', np.log2), ('log10', np.log10), ('log1p', np.log1p),
         ('sqrt', np.sqrt), ('reciprocal', np.reciprocal), ('arccos', np.arccos),
         ('arcsin', np.arcsin), ('arccosh', np.arccosh), ('arctanh', np.arctanh),
         ('exp', np.exp), ('square', np.square), ('rsqrt', lambda x: 1 / np.sqrt(x))]


@pytest.mark.parametrize('name,ref', UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize('dtype', [np.float32, np.float16])
def test_unary_values_are_numpys_inf_and_nan(name, ref, dtype):
    x = edge((11,), dtype)
    x[9] = 3.0           # (0.5 and 2 are in the mix: arccosh and arctanh get a finite value too)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        got = getattr(nd, name)(nd.array(x, dtype=dtype)).asnumpy()
    np.testing.assert_array_equal(got, _numpy(ref, x).astype(dtype))
    assert not np.isfinite(got).all()         # the edge values did reach inf or nan


def test_binary_values_and_gradients_are_numpys():
    a = edge((11,), np.float32)
    b = np.roll(a, 3)
    x, y = nd.array(a), nd.array(b)
    x.attach_grad()
    y.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with autograd.record():
            q = x / y
        q.backward()
        got_pow = nd.power(nd.array(a), nd.array(b)).asnumpy()
    np.testing.assert_array_equal(q.asnumpy(), _numpy(np.divide, a, b))
    np.testing.assert_array_equal(x.grad.asnumpy(), _numpy(lambda u: 1 / u, b))
    np.testing.assert_array_equal(y.grad.asnumpy(), _numpy(lambda u, v: -u / (v * v), a, b))
    np.testing.assert_array_equal(got_pow, _numpy(np.power, a, b))


def test_log_gradient_at_zero_is_inf_silently():
    x = nd.array([0.0, -1.0, 2.0])
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with autograd.record():
            y = nd.log(x)
        y.backward()
    np.testing.assert_array_equal(y.asnumpy(), _numpy(np.log, np.array([0.0, -1.0, 2.0], np.float32)))
    np.testing.assert_array_equal(x.grad.asnumpy(), np.array([np.inf, -1.0, 0.5], np.float32))


def test_float16_overflow_is_inf_silently():
    big = np.array([60000.0, -60000.0, 1.0], np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        s = (nd.array(big, dtype='float16') + nd.array(big, dtype='float16')).asnumpy()
        p = (nd.array(big, dtype='float16') * 2).asnumpy()
        cast = nd.array([1e6, -1e6], dtype='float16').asnumpy()
    np.testing.assert_array_equal(s, _numpy(np.add, big, big))
    np.testing.assert_array_equal(p, _numpy(np.multiply, big, np.float16(2)))
    np.testing.assert_array_equal(cast, [np.inf, -np.inf])


def test_in_place_arithmetic_setitem_and_metric_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        x = nd.array([1.0, 0.0, -1.0])
        x /= 0
        h = nd.array([60000.0], dtype='float16')
        h *= 4
        n = nd.zeros((3,), dtype='int32')
        n[:] = nd.array([np.nan, 1e20, 2.0])
        m = mx.metric.Loss()
        m.update(None, [nd.array([np.inf, -np.inf])])
    np.testing.assert_array_equal(x.asnumpy(), [np.inf, np.nan, -np.inf])
    assert np.isinf(h.asnumpy()).all()
    assert n.asnumpy()[2] == 2
    assert np.isnan(m.get()[1])


def test_copies_casts_and_stores_are_silent():
    """Where MXNet copies or sums in C++: ``copyto`` into float16, ``Parameter.cast`` (a block
    cast to float16), the key-value stores' sums and copies."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        half = nd.array([1e30, np.nan, -1.0]).copyto(nd.zeros((3,), dtype='float16'))
        net = gluon.nn.Dense(2, in_units=3)
        net.initialize()
        net.weight.set_data(nd.array(np.full((2, 3), 1e30)))
        net.cast('float16')
        kv = mx.kv.create('local')
        kv.init(0, nd.zeros((2,), dtype='float16'))
        kv.push(0, [nd.array([6e4, 6e4], dtype='float16'), nd.array([6e4, np.nan], dtype='float16')])
        pulled = nd.zeros((2,), dtype='float16')
        kv.pull(0, out=pulled)
        both = [nd.array([6e4], dtype='float16'), nd.array([6e4], dtype='float16')]
        mx.kv.create('teststore').pushpull(0, both)
    np.testing.assert_array_equal(half.asnumpy(), [np.inf, np.nan, -1.0])
    assert np.isposinf(net.weight.data().asnumpy()).all()
    np.testing.assert_array_equal(pulled.asnumpy(), [np.inf, np.nan])
    assert np.isposinf(both[0].asnumpy()).all()


# -- the hybridized path, the losses, the optimizers ---------------------------------------------

def test_hybridized_block_is_silent_forward_and_backward():
    class LogNet(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.log(x) + F.sqrt(x) / x

    net = LogNet()
    net.hybridize()
    x = nd.array([0.0, -1.0, 4.0])
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with autograd.record():
            y = net(x)
        y.backward()
    a = np.array([0.0, -1.0, 4.0], np.float32)
    np.testing.assert_array_equal(y.asnumpy(), _numpy(lambda v: np.log(v) + np.sqrt(v) / v, a))
    assert np.isnan(x.grad.asnumpy()[:2]).all() and np.isfinite(x.grad.asnumpy()[2])


def test_losses_are_silent_eager_and_hybridized():
    rec = Recorder()
    losses = [name for name in dir(gluon.loss) if name.endswith('Loss') and name != 'Loss']
    for name in losses:
        for hybrid in (False, True):
            try:
                loss = getattr(gluon.loss, name)()
            except TypeError:          # a loss with required arguments
                continue
            if hybrid:
                loss.hybridize()
            for kind in KINDS:
                pred = edge((2, 6, 4), np.float32, kind)
                if name == 'CTCLoss':
                    arrays = [pred, np.array([[1, 2], [1, 1]], np.float32)]
                else:
                    arrays = [pred.reshape(2, 24), edge((2, 24), np.float32, kind)[::-1].copy()]
                    if name in ('TripletLoss', 'CosineEmbeddingLoss'):
                        arrays.append(np.roll(arrays[0], 1) if name == 'TripletLoss'
                                      else np.array([1.0, -1.0], np.float32))
                _forward_backward(rec, '%s hybrid=%s %s' % (name, hybrid, kind),
                                  lambda *a: loss(*a), [nd.array(v) for v in arrays])
    assert not rec.found, '%d warnings, first ones: %s' % (len(rec.found), rec.found[:10])
    assert rec.ran > 0.8 * (rec.ran + rec.failed) and rec.ran > 100, (rec.ran, rec.failed)


def test_optimizer_updates_are_silent():
    rec = Recorder()
    for name in sorted(mx.optimizer.Optimizer.opt_registry):
        for dtype, multi in ((np.float32, False), (np.float16, True)):
            for kind in KINDS:
                with rec('%s %s %s' % (name, np.dtype(dtype).name, kind)):
                    opt = mx.optimizer.create(name, learning_rate=0.1, multi_precision=multi)
                    w = nd.array(edge((2, 5), dtype, kind), dtype=dtype)
                    g = nd.array(edge((2, 5), dtype, kind)[::-1].copy(), dtype=dtype)
                    state = opt.create_state_multi_precision(0, w)
                    for _ in range(2):
                        opt.update_multi_precision(0, w, g, state)
    assert not rec.found, '%d warnings, first ones: %s' % (len(rec.found), rec.found[:10])
    assert rec.ran > 0.8 * (rec.ran + rec.failed), (rec.ran, rec.failed)


# -- worker threads -------------------------------------------------------------------------------

def test_worker_threads_are_silent():
    """A convolution's images run on the CPU workers (minigluon/ops/_parallel.py), which take
    the calling thread's error state: ignoring there too, and the same values as one worker."""
    x = edge((4, 2, 5, 5), np.float32)
    w = np.linspace(-1, 1, 2 * 2 * 9).reshape(2, 2, 3, 3).astype(np.float32)

    def run():
        xs, ws = nd.array(x), nd.array(w)
        xs.attach_grad()
        ws.attach_grad()
        with autograd.record():
            y = nd.Convolution(xs, ws, no_bias=True, kernel=(3, 3), num_filter=2)
        y.backward()
        return y.asnumpy(), xs.grad.asnumpy(), ws.grad.asnumpy()

    one = run()
    old = _parallel.set_workers(2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            two = run()
    finally:
        _parallel.set_workers(old)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(two[0]).any()


# -- the user's own settings and warnings ---------------------------------------------------------

@pytest.fixture
def numpy_raises():
    old = np.seterr(all='raise')
    yield
    np.seterr(**old)


def _still_raises():
    assert np.geterr() == {'divide': 'raise', 'over': 'raise', 'under': 'raise', 'invalid': 'raise'}
    with pytest.raises(FloatingPointError):
        np.array([1.0]) / np.array([0.0])


def test_users_seterr_raise_holds_after_each_call(numpy_raises):
    """MXNet never raises FloatingPointError, so our kernels ignore the errors even under the
    user's np.seterr(all='raise'); the user's own NumPy code raises again right after."""
    x = nd.array([0.0, -1.0])
    x.attach_grad()
    with autograd.record():
        y = nd.log(x)                       # eager
    _still_raises()
    y.backward()                            # backward pass
    _still_raises()
    net = gluon.nn.HybridLambda(lambda F, v: F.log(v))
    net.hybridize()
    assert np.isneginf(net(x).asnumpy()[0])     # hybridized
    _still_raises()
    w, g = nd.array([1.0, 2.0]), nd.array([np.inf, 0.0])
    opt = mx.optimizer.create('adagrad')
    opt.update(0, w, g, opt.create_state(0, w))   # optimizer update
    _still_raises()
    with pytest.raises(MXNetError, match='cannot reshape'):  # a kernel that raises restores the state as well
        nd.reshape(x, shape=(3,))
    _still_raises()
    bad = gluon.nn.HybridLambda(lambda F, v: F.reshape(F.log(v), shape=(3,)))
    bad.hybridize()
    with pytest.raises(MXNetError, match='cannot reshape'):  # (in the graph, after the log)
        bad(x)
    _still_raises()


def test_each_threads_settings_are_restored():
    """The error state is per thread: a minigluon call in a thread restores that thread's."""
    seen = []

    def worker(mode):
        np.seterr(all=mode)
        nd.log(nd.array([0.0])).asnumpy()
        seen.append((mode, np.geterr()['divide']))

    threads = [threading.Thread(target=worker, args=(m,)) for m in ('raise', 'print', 'warn')]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [('print', 'print'), ('raise', 'raise'), ('warn', 'warn')]


def test_minigluon_own_warnings_still_arrive():
    """Only floating-point error reports are silenced: ``warnings.warn`` calls (ours, or a
    custom operator's) pass through the dispatch untouched."""
    class Warns(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            warnings.warn('old argument', DeprecationWarning)
            self.assign(out_data[0], req[0], in_data[0])

    @mx.operator.register('t_no_fp_warnings_warns')
    class WarnsProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Warns()

    with pytest.warns(DeprecationWarning, match='old argument'):
        nd.Custom(nd.ones((2,)), op_type='t_no_fp_warnings_warns').asnumpy()
    x = nd.ones((2,))
    with pytest.warns(RuntimeWarning, match='copying an array to itself') as record:
        x.copyto(x)
    assert record[0].filename == __file__          # still pointing at the caller's line


# -- the user's code that an operator calls back ----------------------------------------------------

_NUMPY_DEFAULTS = {'divide': 'warn', 'over': 'warn', 'under': 'ignore', 'invalid': 'warn'}


class _NumpyLog(mx.operator.CustomOp):
    """log written in NumPy, noting the error state its forward and backward ran under."""
    seen = []

    def forward(self, is_train, req, in_data, out_data, aux):
        _NumpyLog.seen.append(('forward', np.geterr()))
        self.assign(out_data[0], req[0], nd.array(np.log(in_data[0].asnumpy())))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        _NumpyLog.seen.append(('backward', np.geterr()))
        g = out_grad[0].asnumpy() / in_data[0].asnumpy()
        self.assign(in_grad[0], req[0], nd.array(g))


@mx.operator.register('t_no_fp_warnings_numpy_log')
class _NumpyLogProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=True)

    def create_operator(self, ctx, shapes, dtypes):
        return _NumpyLog()


def test_custom_op_numpy_code_warns_as_in_mxnet(numpy_raises):
    """MXNet 1.9.1 runs a CustomOp's forward and backward on a thread of its own, which has
    NumPy's default error handling whatever the caller set: its own NumPy code prints NumPy's
    RuntimeWarning for log(0) and x / 0 (seen running this program there: np.geterr() inside
    gives 'warn', 'warn', 'ignore', 'warn' under the caller's np.seterr(all='raise')). minigluon
    ran them under its kernels' 'ignore' (silent). Eager and in a hybridized graph; the caller's
    'raise' is back afterwards."""
    for hybridize in (False, True):
        _NumpyLog.seen[:] = []
        net = gluon.nn.HybridLambda(lambda F, v: F.Custom(v, op_type='t_no_fp_warnings_numpy_log'))
        if hybridize:
            net.hybridize()
        x = nd.array([0.0, 1.0])
        x.attach_grad()
        with pytest.warns(RuntimeWarning, match='divide by zero encountered in log'):
            with autograd.record():
                y = net(x)
        _still_raises()
        with pytest.warns(RuntimeWarning, match='divide by zero'):
            y.backward()
        _still_raises()
        assert np.isneginf(y.asnumpy()[0]) and np.isposinf(x.grad.asnumpy()[0])
        assert _NumpyLog.seen == [('forward', _NUMPY_DEFAULTS), ('backward', _NUMPY_DEFAULTS)]


def test_function_backward_numpy_code_warns_as_in_mxnet(numpy_raises):
    """An autograd.Function's backward is called back from the backward pass: MXNet 1.9.1 runs
    it on its own thread too (NumPy's defaults inside, the same RuntimeWarning); its forward runs
    in the caller's thread, under the caller's settings, as here."""
    seen = []

    class NumpyRecip(autograd.Function):
        def forward(self, x):
            seen.append(('forward', np.geterr()['divide']))
            self.save_for_backward(x)
            return nd.ones(x.shape) / x

        def backward(self, dy):
            seen.append(('backward', np.geterr()))
            x, = self.saved_tensors
            return nd.array(-dy.asnumpy() / x.asnumpy() ** 2)

    x = nd.array([0.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = NumpyRecip()(x)
    with pytest.warns(RuntimeWarning, match='divide by zero'):
        y.backward()
    _still_raises()
    assert seen == [('forward', 'raise'), ('backward', _NUMPY_DEFAULTS)]
    assert np.isneginf(x.grad.asnumpy()[0]) and x.grad.asnumpy()[1] == -0.25


def test_users_optimizer_scheduler_and_updater_run_under_the_callers_settings(numpy_raises):
    """MXNet 1.9.1 calls a Python optimizer's ``update``, an ``lr_scheduler`` and a key-value
    store's updater in the caller's thread, under the caller's NumPy settings: with
    np.seterr(all='raise'), their own np.log(0) raises FloatingPointError out of trainer.step /
    kv.push there (seen running this program under MXNet; without seterr they print NumPy's
    RuntimeWarning). minigluon ran them inside its updates' 'ignore' (silent, no error)."""
    seen = []

    @mx.optimizer.register
    class TNoFpNumpySGD(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None

        def update(self, index, weight, grad, state):
            seen.append(('update', np.geterr()['divide']))
            if self.fail:
                np.log(np.zeros(1))
            weight[:] = weight.asnumpy() - 0.5 * grad.asnumpy()

    class Sched(mx.lr_scheduler.LRScheduler):
        def __call__(self, num_update):
            seen.append(('scheduler', np.geterr()['divide']))
            return 0.5

    def fit(optimizer, params):
        net = gluon.nn.Dense(1, in_units=2, use_bias=False)
        net.initialize(mx.init.One())
        trainer = gluon.Trainer(net.collect_params(), optimizer, params)
        with autograd.record():
            y = net(nd.array([[1.0, 2.0]]))
        y.backward()
        return net, trainer

    net, trainer = fit('tnofpnumpysgd', {})
    trainer._optimizer.fail = False
    trainer.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), [[0.5, 0.0]])
    trainer._optimizer.fail = True
    with autograd.record():
        y = net(nd.array([[1.0, 2.0]]))
    y.backward()
    with pytest.raises(FloatingPointError):
        trainer.step(1)
    _still_raises()
    net, trainer = fit('sgd', {'lr_scheduler': Sched()})
    trainer.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), [[0.5, 0.0]])
    _still_raises()
    assert seen and all(mode == 'raise' for _, mode in seen), seen
    assert {what for what, _ in seen} == {'update', 'scheduler'}

    kv = mx.kv.create('local')
    kv.init(0, nd.ones((2,)))

    def updater(key, value, stored):
        seen.append(('updater', np.geterr()['divide']))
        stored[:] = stored + value

    kv._set_updater(updater)
    kv.push(0, nd.ones((2,)))
    assert seen[-1] == ('updater', 'raise')
    _still_raises()


def test_users_optimizer_warns_as_numpy_does():
    """The same Python optimizer without np.seterr: NumPy's RuntimeWarning, as in MXNet 1.9.1;
    minigluon's own optimizers stay silent (test_optimizer_updates_are_silent)."""
    @mx.optimizer.register
    class TNoFpNumpyLogSGD(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None

        def update(self, index, weight, grad, state):
            np.log(np.zeros(1))

    net = gluon.nn.Dense(1, in_units=2, use_bias=False)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'tnofpnumpylogsgd', {})
    with autograd.record():
        y = net(nd.array([[1.0, 2.0]]))
    y.backward()
    with pytest.warns(RuntimeWarning, match='divide by zero encountered in log'):
        trainer.step(1)


def test_failing_callbacks_leave_no_state_behind(numpy_raises):
    """A CustomOp forward, a Function backward and a Python optimizer update that raise: the
    caller's 'raise' is back after each, and no kept caller state stays behind
    (minigluon._fp_errors._callers), eager and hybridized."""
    from minigluon import _fp_errors

    class Fails(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            raise ValueError('forward fails')

    @mx.operator.register('t_no_fp_warnings_fails')
    class FailsProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Fails()

    for hybridize in (False, True):
        net = gluon.nn.HybridLambda(lambda F, v: F.Custom(F.log(v), op_type='t_no_fp_warnings_fails'))
        if hybridize:
            net.hybridize()
        with pytest.raises(ValueError, match='forward fails'):
            net(nd.zeros((2,)))
        _still_raises()

    class BackwardFails(autograd.Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            raise RuntimeError('backward fails')

    x = nd.ones((2,))
    x.attach_grad()
    with autograd.record():
        y = BackwardFails()(x)
    with pytest.raises(RuntimeError, match='backward fails'):
        y.backward()
    _still_raises()

    @mx.optimizer.register
    class TNoFpFailingSGD(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            raise KeyError('update fails')

    net = gluon.nn.Dense(1, in_units=2)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'tnofpfailingsgd', {})
    with autograd.record():
        y = net(nd.ones((1, 2)))
    y.backward()
    with pytest.raises(KeyError, match='update fails'):
        trainer.step(1)
    _still_raises()
    assert getattr(_fp_errors._callers, 'state', None) is None
