"""CPU worker threads for independent pieces of an operator (minigluon/ops/_parallel.py): the two
directions of a bidirectional RNN layer, forward and backward.

Results must not depend on the number of workers (each direction computes alone exactly what it
computes in order), errors in a piece must reach the caller, and the setting is validated.
"""
import os
import signal
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon
from minigluon.ops import _parallel


@pytest.fixture
def two_workers():
    old = _parallel.set_workers(2)
    yield
    _parallel.set_workers(old)


def _train_grads(layer, x, seed=0):
    mx.random.seed(seed)
    layer.initialize(mx.init.Xavier(), force_reinit=True)
    xs = mx.nd.array(x)
    xs.attach_grad()
    with autograd.record():
        y = layer(xs)
    y.backward(mx.nd.array(np.linspace(-1, 1, y.size).reshape(y.shape).astype(np.float32)))
    params = layer.collect_params()
    return [y.asnumpy(), xs.grad.asnumpy()] + [params[k].grad().asnumpy() for k in sorted(params.keys())]


@pytest.mark.parametrize('make', [
    lambda: gluon.rnn.LSTM(8, num_layers=2, bidirectional=True, layout='NTC'),
    lambda: gluon.rnn.GRU(6, bidirectional=True),
    lambda: gluon.rnn.RNN(5, num_layers=2, bidirectional=True, activation='relu'),
])
@pytest.mark.parametrize('hybridize', [False, True])
def test_two_workers_give_the_same_bits_as_one(make, hybridize):
    x = np.random.RandomState(0).randn(4, 7, 3).astype(np.float32)
    results = {}
    for n in (1, 2):
        old = _parallel.set_workers(n)
        try:
            layer = make()
            if hybridize:
                layer.hybridize(static_alloc=True)
            results[n] = [_train_grads(layer, x) for _ in range(2)]    # twice: reused buffers
        finally:
            _parallel.set_workers(old)
    for a, b in zip(results[1], results[2]):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
            assert np.abs(u).sum() > 0


def test_directions_really_run_on_two_threads(two_workers, monkeypatch):
    from minigluon.ops import rnn as rnn_op
    seen = set()
    real = rnn_op.dir_forward

    def spy(*a, **k):
        seen.add(threading.current_thread().name)
        return real(*a, **k)
    monkeypatch.setattr(rnn_op, 'dir_forward', spy)
    layer = gluon.rnn.LSTM(4, bidirectional=True)
    layer.initialize(ctx=mx.cpu())              # NumPy arrays even under the GPU stand-in
    layer(mx.nd.ones((3, 2, 5), ctx=mx.cpu()))
    assert len(seen) == 2 and any(name.startswith('minigluon-cpu') for name in seen)


def test_an_error_in_a_worker_reaches_the_caller(two_workers):
    def bad():
        raise ValueError('boom in a worker')
    with pytest.raises(ValueError, match='boom in a worker'):
        _parallel.run([lambda: 1, bad])
    assert _parallel.run([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]


def test_jobs_started_by_a_worker_run_in_order(two_workers):
    # a worker asking for more parallel work must not wait on the pool it occupies
    assert _parallel.run([lambda: 0, lambda: _parallel.run([lambda: 1, lambda: 2])]) == [0, [1, 2]]


@pytest.mark.parametrize('bad', [0, -1, 1.5, 'x', True, None])
def test_set_workers_rejects_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match='positive integer'):
        _parallel.set_workers(bad)


def test_set_workers_takes_numpy_integers():
    old = _parallel.set_workers(np.int64(2))
    try:
        assert _parallel.workers() == 2 and type(_parallel.workers()) is int
    finally:
        _parallel.set_workers(old)


@pytest.mark.parametrize('value,want', [('2', '2'), (' 3 ', '3'), ('', '1'), ('0', None),
                                        ('two', None), ('1_0', None), ('+3', None)])
def test_environment_variable(value, want):
    env = dict(os.environ, MINIGLUON_CPU_WORKERS=value)
    code = 'from minigluon.ops import _parallel; print(_parallel.workers())'
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    if want is not None:           # (empty: as if unset)
        assert out.returncode == 0 and out.stdout.strip() == want
    else:
        assert out.returncode != 0 and 'MINIGLUON_CPU_WORKERS must be a positive integer' in out.stderr


def test_set_workers_while_another_thread_hands_out_pieces(monkeypatch):
    """Deterministic form of a breaker session's find: set_workers from another thread between
    run() taking the pool and handing it the pieces once made the hand-over raise
    'cannot schedule new futures after shutdown'. Now set_workers waits for the hand-over."""
    old = _parallel.set_workers(1)
    real = _parallel.ThreadPoolExecutor
    others = []

    class Pool(real):
        def submit(self, *a, **k):
            if not others:                       # the first hand-over: change the count now
                others.append(threading.Thread(target=_parallel.set_workers, args=(3,)))
                others[0].start()
                others[0].join(0.3)              # (it waits for run()'s lock)
            return super().submit(*a, **k)

    monkeypatch.setattr(_parallel, 'ThreadPoolExecutor', Pool)
    try:
        _parallel.set_workers(2)
        assert _parallel.run([lambda: 1, lambda: 2]) == [1, 2]
        others[0].join(10)
        assert _parallel.workers() == 3
        assert _parallel.run([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]
    finally:
        _parallel.set_workers(old)


def test_set_workers_and_run_from_different_threads_under_stress():
    old = _parallel.set_workers(2)
    errors, stop = [], threading.Event()

    def user():
        while not stop.is_set() and not errors:
            try:
                assert _parallel.run([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]
            except Exception as e:       # noqa: BLE001 (reported by the assertion below)
                errors.append(repr(e))
    t = threading.Thread(target=user)
    t.start()
    try:
        for i in range(3000):
            _parallel.set_workers((1, 2, 3)[i % 3])
    finally:
        stop.set()
        t.join(30)
        _parallel.set_workers(old)
    assert errors == [] and not t.is_alive()


def test_set_workers_from_inside_a_piece_leaves_the_module_usable():
    old = _parallel.set_workers(2)
    try:
        assert _parallel.run([lambda: 0, lambda: _parallel.set_workers(3)]) == [0, 2]
        assert _parallel.workers() == 3
        assert _parallel.run([lambda: 1, lambda: 2]) == [1, 2]
    finally:
        _parallel.set_workers(old)


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_a_forked_child_makes_its_own_pool(two_workers):
    _parallel.run([lambda: 1, lambda: 2])          # the parent's pool exists now
    r, w = os.pipe()
    with warnings.catch_warnings():                # Python 3.12+: fork of a threaded process
        warnings.simplefilter('ignore', DeprecationWarning)
        pid = os.fork()
    if pid == 0:                                   # child: the inherited pool has no threads
        try:
            signal.alarm(20)                       # a hang would be the bug: end the child
            ok = _parallel.run([lambda: 1, lambda: 2]) == [1, 2]
            os.write(w, b'1' if ok else b'0')
        finally:
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    assert os.read(r, 1) == b'1'


@pytest.mark.parametrize('n', [1, 3, 8, 13])
@pytest.mark.parametrize('block_bytes', [None, 64])
def test_convolution_images_shared_out_give_the_same_bits(monkeypatch, n, block_bytes):
    """The per-image convolution (16+ channels) splits its batch over the workers; its output
    and both gradients must not depend on how many there are (chunks fixed by the batch)."""
    from minigluon.ops import _conv_per_image
    if block_bytes:
        monkeypatch.setattr(_conv_per_image, 'BLOCK_BYTES', block_bytes)   # row blocks too
    rng = np.random.RandomState(n)
    x = rng.randn(n, 16, 5, 6).astype(np.float32)
    w = rng.randn(4, 16, 3, 3).astype(np.float32)
    gy = rng.randn(n, 4, 5, 6).astype(np.float32)
    results = []
    for workers in (1, 2, 3):
        old = _parallel.set_workers(workers)
        try:
            ws = {}                      # a static_alloc workspace, reused by a second call
            for _ in range(2):
                y = _conv_per_image.forward(np, x, w, None, 1, (3, 3), (1, 1), (1, 1), (1, 1),
                                            (5, 6), ws=ws).copy()
                gx, gw = _conv_per_image.backward(np, gy, x, w, 1, (3, 3), (1, 1), (1, 1),
                                                  (1, 1), ws=ws)
            results.append((y, gx.copy(), gw))
        finally:
            _parallel.set_workers(old)
    for other in results[1:]:
        for u, v in zip(results[0], other):
            np.testing.assert_array_equal(u, v)
    # and the value is right: the adjoint identity against a float64 run
    y64 = _conv_per_image.forward(np, x.astype(np.float64), w.astype(np.float64), None, 1, (3, 3),
                                  (1, 1), (1, 1), (1, 1), (5, 6))
    np.testing.assert_allclose(results[0][0], y64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('channel_first', [False, True])
@pytest.mark.parametrize('n', [1, 2, 5])
def test_max_pooling_split_over_images_gives_the_same_bits(n, channel_first):
    """The compiled 2x2 max pooling takes a range of images per worker (where Numba is there;
    elsewhere the NumPy passes run in order and this checks them against themselves)."""
    rng = np.random.RandomState(n)
    x = rng.randn(n, 3, 6, 8).astype(np.float32)
    x[rng.rand(*x.shape) < 0.1] = 0.5                        # ties
    if channel_first:        # the memory order a Convolution hands its Pooling in a graph
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    g = rng.randn(n, 3, 3, 4).astype(np.float32)
    results = []
    for workers in (1, 2, 3):
        old = _parallel.set_workers(workers)
        try:
            xs = mx.nd.array(x, ctx=mx.cpu())
            xs.attach_grad()
            with autograd.record():
                y = mx.nd.Pooling(xs, kernel=(2, 2), stride=(2, 2), pool_type='max')
            y.backward(mx.nd.array(g, ctx=mx.cpu()))
            results.append((y.asnumpy(), xs.grad.asnumpy()))
        finally:
            _parallel.set_workers(old)
    for other in results[1:]:
        for u, v in zip(results[0], other):
            np.testing.assert_array_equal(u, v)
    assert (results[0][1] != 0).sum() == g.size              # one winner per window


@pytest.mark.parametrize('shape,kw', [
    ((13, 1, 6, 9), dict(kernel=(3, 3), pad=(1, 1), num_filter=4)),                  # grey image
    ((9, 4, 7, 5), dict(kernel=(2, 3), stride=(2, 1), dilate=(1, 2), num_filter=6,
                        num_group=2)),                                                 # groups
    ((5, 3, 11), dict(kernel=(3,), pad=(2,), num_filter=2)),                          # 1-D
])
def test_thin_convolution_chunks_give_the_same_bits(shape, kw):
    """The batch (im2col) path for fewer than 16 channels works on fixed chunks of images;
    the workers share them out, and every result is the same whatever their number."""
    rng = np.random.RandomState(len(shape))
    x = rng.randn(*shape).astype(np.float32)
    w = rng.randn(kw['num_filter'], shape[1] // kw.get('num_group', 1), *kw['kernel']).astype(np.float32)
    b = rng.randn(kw['num_filter']).astype(np.float32)
    results = []
    for workers in (1, 2, 3):
        old = _parallel.set_workers(workers)
        try:
            xs, ws_, bs = (mx.nd.array(a, ctx=mx.cpu()) for a in (x, w, b))
            for a in (xs, ws_, bs):
                a.attach_grad()
            with autograd.record():
                y = mx.nd.Convolution(xs, ws_, bs, **kw)
            y.backward(mx.nd.array(np.cos(np.arange(y.size)).reshape(y.shape), ctx=mx.cpu()))
            results.append([a.asnumpy() for a in (y, xs.grad, ws_.grad, bs.grad)])
        finally:
            _parallel.set_workers(old)
    for other in results[1:]:
        for u, v in zip(results[0], other):
            np.testing.assert_array_equal(u, v)
    assert all(np.abs(r).sum() > 0 for r in results[0])


def test_the_callers_errstate_holds_on_the_workers(two_workers):
    """np.errstate is per thread: the workers must run under the caller's settings, else a
    caller silencing 'invalid' would see warnings from the pieces run elsewhere (or, with
    'raise', miss the errors)."""
    def invalid():
        return np.array([np.inf]) - np.array([np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with np.errstate(invalid='ignore'):
            out = _parallel.run([invalid, invalid])
    assert all(np.isnan(o).all() for o in out)
    with np.errstate(invalid='raise'):
        with pytest.raises(FloatingPointError):
            _parallel.run([lambda: 0, invalid])


@pytest.mark.skipif(os.environ.get('MINIGLUON_EMULATE_CUPY') == '1',
                    reason='the GPU stand-in run is about the GPU paths (workers serve the CPU)')
def test_operator_tests_pass_with_two_workers():
    """The RNN, convolution and pooling tests of the suite, run again in a subprocess with
    MINIGLUON_CPU_WORKERS=2 (they check values against references and numerical gradients)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = ['tests/ops/test_rnn.py', 'tests/ops/test_conv.py', 'tests/ops/test_conv_per_image.py',
             'tests/ops/test_conv_numba.py', 'tests/ops/test_pool_numba.py',
             'tests/ops/test_pooling_fast_paths.py', 'tests/ops/test_rnn_numba.py', 'tests/rnn']
    env = dict(os.environ, MINIGLUON_CPU_WORKERS='2')
    out = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider'] + files,
                         cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    assert ' passed' in out.stdout and 'warning' not in out.stdout.lower()
