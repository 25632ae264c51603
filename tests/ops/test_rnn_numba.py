"""The Numba-compiled LSTM time loop (minigluon/ops/_rnn_numba.py), against the NumPy loop.

The compiled loop computes ``tanh`` and the sigmoid with its own vectorisable formulas, so it is
compared with a float64 run of the NumPy loop (itself checked by central differences in
tests/ops/test_rnn.py) within float32 rounding, as the NumPy float32 loop is. Skipped where Numba
is not installed (``pip install minigluon[fast]``; the test extra installs it).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

numba = pytest.importorskip('numba')

from minigluon.ops import _rnn_numba_kernels as K  # noqa: E402
from minigluon.ops import _numba, _rnn_numba  # noqa: E402
from minigluon.ops._rnn_kernels import dir_backward, dir_forward  # noqa: E402

NAMES = ['out', 'hT', 'cT', 'dx', 'dwx', 'dwh', 'dbx', 'dbh', 'dh0', 'dc0']


@pytest.fixture
def compiled(monkeypatch):
    """Run with the compiled loop switched on, whatever the environment says."""
    monkeypatch.setattr(_numba, 'enabled', True)
    return _rnn_numba


GATES = {'lstm': 4, 'gru': 3}


def _case(rng, T, N, I, H, scale=0.3, mode='lstm'):
    gh = GATES[mode] * H
    return dict(x=rng.randn(T, N, I), wx=rng.randn(gh, I) * scale, wh=rng.randn(gh, H) * scale,
                bx=rng.randn(gh) * 0.1, bh=rng.randn(gh) * 0.1, h0=rng.randn(N, H),
                c0=rng.randn(N, H), dout=rng.randn(T, N, H), dhT=rng.randn(N, H),
                dcT=rng.randn(N, H))


def _run(a, dtype, ws=None):
    """Forward and backward of one direction; the mode follows from the weights' rows."""
    d = {k: v.astype(dtype) for k, v in a.items()}
    mode = 'lstm' if d['wx'].shape[0] == 4 * d['h0'].shape[1] else 'gru'
    lstm = mode == 'lstm'
    out, hT, cT, cache = dir_forward(np, mode, d['x'], d['wx'], d['wh'], d['bx'], d['bh'],
                                     d['h0'], d['c0'] if lstm else None, None, None, ws=ws)
    grads = dir_backward(np, cache, d['dout'], d['dhT'], d['dcT'] if lstm else None, need_x=True)
    return [None if v is None else np.array(v) for v in [out, hT, cT] + list(grads)]


@pytest.mark.parametrize('mode', ['lstm', 'gru'])
@pytest.mark.parametrize('T,N,I,H', [(12, 5, 6, 8), (1, 1, 2, 1), (9, 3, 17, 33), (30, 32, 16, 64)])
def test_compiled_loop_matches_float64_within_float32_rounding(compiled, monkeypatch, mode,
                                                                T, N, I, H):
    a = _case(np.random.RandomState(T + N * H), T, N, I, H, mode=mode)
    want = _run(a, np.float64)                     # float64: never the compiled loop
    got = _run(a, np.float32)
    monkeypatch.setattr(_numba, 'enabled', False)
    plain = _run(a, np.float32)                    # the NumPy float32 loop, for scale
    for name, g, p, w in zip(NAMES, got, plain, want):
        if w is None:                              # the GRU's cell state and its gradient
            assert g is None and p is None, name
            continue
        assert g.dtype == np.float32, name
        tol = 2e-5 * max(1.0, np.abs(w).max())
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=tol, err_msg=name)
        # no worse than the NumPy float32 loop, up to a few float32 ulps of the largest value
        slack = 8 * np.finfo(np.float32).eps * max(1.0, np.abs(w).max())
        assert np.abs(g - w).max() <= 2 * np.abs(p - w).max() + slack, name


def _spy(monkeypatch, names):
    """Count the calls of the kernels ``names`` (kind -> kernel name)."""
    calls = {kind: 0 for kind in names}
    kernels = _rnn_numba.kernels()

    def count(kind, fn):
        def wrapper(*args):
            calls[kind] += 1
            return fn(*args)
        return wrapper
    for kind, name in names.items():
        monkeypatch.setattr(kernels, name, count(kind, getattr(kernels, name)))
    return calls


@pytest.mark.parametrize('mode,prefix', [('lstm', ''), ('gru', 'gru_')])
def test_compiled_loop_is_the_one_taken(compiled, monkeypatch, mode, prefix):
    """A plain float32 direction with a small recurrent product runs the whole compiled loop
    once each way; float64 keeps the NumPy loop."""
    calls = _spy(monkeypatch, {'fwd': prefix + 'forward_loop', 'bwd': prefix + 'backward_loop'})
    _run(_case(np.random.RandomState(0), 6, 2, 3, 4, mode=mode), np.float32)
    assert calls == {'fwd': 1, 'bwd': 1}
    _run(_case(np.random.RandomState(0), 6, 2, 3, 4, mode=mode), np.float64)
    assert calls == {'fwd': 1, 'bwd': 1}           # float64 keeps the NumPy loop


@pytest.mark.parametrize('mode,prefix', [('lstm', ''), ('gru', 'gru_')])
@pytest.mark.parametrize('why', ['large product', 'no SciPy'])
def test_python_loop_of_compiled_steps_otherwise(compiled, monkeypatch, mode, prefix, why):
    """Above WHOLE_LOOP_MAX multiply-adds per step, or without SciPy (whose BLAS Numba's np.dot
    calls), each step is NumPy's GEMM plus one compiled step call; results agree with the whole
    compiled loop to float32 rounding (the two BLAS libraries may round differently)."""
    a = _case(np.random.RandomState(3), 7, 3, 5, 6, mode=mode)
    whole = _run(a, np.float32)
    if why == 'large product':
        monkeypatch.setattr(_rnn_numba, 'WHOLE_LOOP_MAX', 3 * 6 * GATES[mode] * 6 - 1)
    else:
        monkeypatch.setattr(_rnn_numba, '_blas', [False])
    assert not _rnn_numba.whole_loop(3, 6, GATES[mode] * 6)
    calls = _spy(monkeypatch, {'fwd': prefix + 'forward_step', 'bwd': prefix + 'backward_step',
                               'loop': prefix + 'forward_loop'})
    stepped = _run(a, np.float32)
    assert calls == {'fwd': 7, 'bwd': 7, 'loop': 0}
    want = _run(a, np.float64)
    for name, g, s, w in zip(NAMES, whole, stepped, want):
        if w is None:
            continue
        tol = 2e-5 * max(1.0, np.abs(w).max())
        np.testing.assert_allclose(s, g, rtol=1e-5, atol=tol, err_msg=name)
        np.testing.assert_allclose(s, w, rtol=1e-4, atol=tol, err_msg=name)


def test_whole_loop_threshold():
    assert _rnn_numba.whole_loop(32, 64, 256)           # the ctc benchmark's layer
    assert not _rnn_numba.whole_loop(32, 256, 1024)     # bench_ops.py's LSTM: NumPy's GEMM


def test_numba_blas_check_looks_for_scipy(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_scipy(name, *args, **kw):
        if name.startswith('scipy'):
            raise ImportError('no scipy here')
        return real_import(name, *args, **kw)
    monkeypatch.setattr(_rnn_numba, '_blas', [])
    monkeypatch.setattr(builtins, '__import__', no_scipy)
    assert _rnn_numba._numba_has_blas() is False
    assert _rnn_numba.kernels() is not None            # the compiled steps need Numba only
    monkeypatch.setattr(builtins, '__import__', real_import)
    monkeypatch.setattr(_rnn_numba, '_blas', [])
    assert _rnn_numba._numba_has_blas() is True        # SciPy is a test dependency


def test_supported_only_for_plain_float32_numpy_lstm(compiled):
    from cupy_emulation import fakecupy
    mask = np.ones((3, 2, 1), dtype=bool)
    assert compiled.supported(np, np.float32, None, None, None)
    assert not compiled.supported(np, np.float64, None, None, None)
    assert not compiled.supported(np, np.float16, None, None, None)
    assert not compiled.supported(fakecupy, np.float32, None, None, None)
    assert not compiled.supported(np, np.float32, mask, None, None)
    assert not compiled.supported(np, np.float32, None, (-1.0, 1.0, False), None)
    assert not compiled.supported(np, np.float32, None, None, np.ones((2, 4), np.float32))
    _numba.enabled = False
    assert not compiled.supported(np, np.float32, None, None, None)


@numba.njit
def _apply(xs, which):
    out = np.empty_like(xs)
    for k in range(xs.size):
        out[k] = K.tanh(xs[k]) if which == 0 else K.sigmoid_of_twice(xs[k])
    return out


def _grid():
    rng = np.random.RandomState(0)
    mag = np.concatenate([np.geomspace(1e-30, 50, 200_000), rng.uniform(0, 12, 200_000),
                          [0.3, np.nextafter(np.float32(0.3), np.float32(0)), 10.0, 1e30]])
    return np.concatenate([mag, -mag]).astype(np.float32)


def test_tanh_and_sigmoid_within_one_float32_ulp_or_so():
    xs = _grid()
    x64 = xs.astype(np.float64)
    tanh = _apply(xs, 0).astype(np.float64)
    ref = np.tanh(x64)
    assert np.abs(tanh - ref).max() <= 1.2e-7
    assert np.all(np.abs(tanh - ref) <= 2.5e-7 * np.abs(ref) + 1e-45)   # relative, also tiny x
    assert np.all(np.sign(tanh) == np.sign(ref))
    sig = _apply(xs, 1).astype(np.float64)
    with np.errstate(over='ignore'):
        ref = 1 / (1 + np.exp(-2 * x64))           # sigmoid(2x), no cancellation below 0
    big = np.abs(x64) <= 21                        # past 21 the input is clamped ...
    assert np.all(np.abs(sig - ref)[big] <= 2.5e-7 * ref[big])
    assert np.all(sig[x64 < -21] == 0)             # ... and saturated gates are 0 (< 5.7e-19)
    assert np.abs(sig - ref).max() <= 1.2e-7


def test_special_values():
    xs = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=np.float32)
    t = _apply(xs, 0)
    assert np.isnan(t[0]) and t[1] == 1 and t[2] == -1 and t[3] == 0 and t[4] == 0
    assert np.signbit(t[4])
    s = _apply(xs, 1)
    assert np.isnan(s[0]) and s[1] == 1 and s[2] == 0 and s[3] == 0.5


@pytest.mark.parametrize('mode', ['lstm', 'gru'])
def test_nan_input_propagates_through_the_layer(compiled, mode):
    a = _case(np.random.RandomState(1), 5, 3, 4, 6, mode=mode)
    a['x'][2, 1, 0] = np.nan
    out = _run(a, np.float32)[0]
    assert np.isnan(out[2:, 1]).all() and np.isfinite(out[:2]).all() and np.isfinite(out[:, 0]).all()


@pytest.mark.parametrize('mode', ['lstm', 'gru'])
def test_saturated_gates_pass_no_gradient(compiled, monkeypatch, mode):
    """Inputs and cell states large enough to saturate every gate: the sigmoid's ``i * (1 - i)``
    must vanish as in the NumPy loop (it had a floor of sigmoid(-20) = 2e-9, which times an
    input of 1e4 and a cell state of 1e3 doubled the weight gradient), and an infinite input
    gives the NumPy loop's NaN in the weight gradient, not inf."""
    huge = _case(np.random.RandomState(5), 5, 3, 4, 6, mode=mode)
    huge['x'] *= 1e4
    huge['c0'] *= 1e3
    inf = _case(np.random.RandomState(6), 5, 3, 4, 6, mode=mode)
    inf['x'][2, 1, 0] = np.inf
    with np.errstate(invalid='ignore'):            # inf * 0 in the weight gradient's GEMM
        got = [_run(huge, np.float32), _run(inf, np.float32)]
        monkeypatch.setattr(_numba, 'enabled', False)   # the NumPy loop (float64 is no
        want = [_run(huge, np.float32), _run(inf, np.float32)]   # better: 1 - i is 1e-17, not 0)
    for name, g, w in zip(NAMES, got[0], want[0]):
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=2e-5 * np.abs(w).max(), err_msg=name)
    for name, g, w in zip(NAMES, got[1], want[1]):
        if w is None:
            continue
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=name)
        np.testing.assert_array_equal(np.isinf(g), np.isinf(w), err_msg=name)


@pytest.mark.parametrize('layer', ['LSTM', 'GRU'])
def test_gluon_layer_and_static_workspace_agree_with_the_numpy_loop(compiled, monkeypatch, layer):
    """Through gluon.rnn.LSTM / GRU, eagerly and hybridized with static_alloc (reused buffers)."""
    import minigluon as mx
    from minigluon import autograd
    from minigluon.gluon import rnn

    def grads(hybridize, use_compiled):
        monkeypatch.setattr(_numba, 'enabled', use_compiled)
        mx.random.seed(3)
        net = getattr(rnn, layer)(16, num_layers=2, bidirectional=True, input_size=8)
        net.initialize(mx.init.Xavier(), ctx=mx.cpu())      # the CPU even under the GPU stand-in
        if hybridize:
            net.hybridize(static_alloc=True, static_shape=True)
        x = mx.nd.array(np.random.RandomState(4).randn(7, 5, 8).astype(np.float32), ctx=mx.cpu())
        x.attach_grad()
        result = []
        for _ in range(2):                         # the second call reuses the workspace
            with autograd.record():
                y = net(x)
                loss = (y * y).sum()
            loss.backward()
            result.append([y.asnumpy(), x.grad.asnumpy()]
                          + [p.grad().asnumpy() for p in net.collect_params().values()])
        return result
    for hybridize in (False, True):
        want, got = grads(hybridize, False), grads(hybridize, True)
        for w_call, g_call in zip(want, got):
            for w, g in zip(w_call, g_call):
                np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5)


def test_environment_variable_turns_it_off():
    code = ('import numpy as np; from minigluon.ops import _rnn_numba as m; '
            'print(m.supported(np, np.float32, None, None, None))')
    env = dict(os.environ, MINIGLUON_NUMBA='0')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == 'False'
    env['MINIGLUON_NUMBA'] = '1'
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == 'True'


def test_no_writable_cache_directory_compiles_without_caching():
    """A read-only package directory and home (a system install used by an account without a
    home): Numba finds nowhere to cache and raises at decoration; the LSTM must still run,
    compiled. Simulated by leaving Numba no cache locator, in a fresh process."""
    from numba.core import caching
    impl = next((n for n in ('CacheImpl', '_CacheImpl')        # the name since 0.59, before
                 if hasattr(getattr(caching, n, None), '_locator_classes')), None)
    if impl is None:
        pytest.skip("this Numba's cache internals differ")
    code = ('from numba.core import caching; caching.%s._locator_classes = []\n' % impl +
            'import numpy as np, minigluon as mx\n'
            'from minigluon.ops import _rnn_numba\n'
            'net = mx.gluon.rnn.LSTM(5, input_size=4); net.initialize()\n'
            'x = mx.nd.array(np.ones((3, 2, 4), dtype=np.float32)); x.attach_grad()\n'
            'with mx.autograd.record():\n'
            '    y = net(x)\n'
            'y.backward()\n'
            'print(_rnn_numba.kernels() is not None, y.shape, np.isfinite(x.grad.asnumpy()).all())')
    env = dict(os.environ, MINIGLUON_NUMBA='1')
    run = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == 'True (3, 2, 5) True'


@pytest.mark.parametrize('whole', [True, False])
def test_saturated_forget_gate_with_a_huge_cell_state_gives_no_nan(compiled, monkeypatch, whole):
    """The compiled backward forms each factor before multiplying by the running gradient, as
    the NumPy loop does: with f == 1 exactly, c0 * f * (1 - f) is 0, while dc * c0 alone would
    overflow to inf and inf * 0 give NaN (found by a breaker session)."""
    from minigluon import autograd, nd
    if not whole:
        monkeypatch.setattr(_rnn_numba, 'WHOLE_LOOP_MAX', 0)
    params = np.array([0] * 8 + [0, 100, 0, 0] + [0] * 4, np.float32)   # forget bias 100: f == 1

    def grads(enabled):
        monkeypatch.setattr(_numba, 'enabled', enabled)
        arrays = [nd.array(np.ones((1, 1, 1), np.float32)), nd.array(params),
                  nd.array(np.zeros((1, 1, 1), np.float32)), nd.array(np.full((1, 1, 1), 1e30, np.float32))]
        for a in arrays:
            a.attach_grad()
        with np.errstate(all='ignore'):            # the loss itself overflows: only dc matters
            with autograd.record():
                out, hy, cy = nd.RNN(*arrays, state_size=1, num_layers=1, mode='lstm',
                                     state_outputs=True)
                loss = (cy * 1e10).sum()
            loss.backward()
        return [a.grad.asnumpy() for a in arrays]
    got, want = grads(True), grads(False)
    for g, w in zip(got, want):
        assert np.isfinite(g).all()
        np.testing.assert_array_equal(g, w)


def test_scipy_blas_gets_one_thread_and_numpy_keeps_its_own():
    """The compiled loops' recurrent products go through SciPy's BLAS, one small product per
    step; its library is set to one thread when they are first used, NumPy's is left alone
    (``_rnn_numba._one_thread_for_scipy_blas``)."""
    pytest.importorskip('threadpoolctl')
    pytest.importorskip('scipy')
    code = '\n'.join([
        'import json, numpy, scipy.linalg.cython_blas',
        'from threadpoolctl import threadpool_info',
        'def counts():',
        '    return {("scipy" if "scipy.libs" in i["filepath"] or "/scipy/" in i["filepath"]',
        '             else "other"): i["num_threads"] for i in threadpool_info()',
        '            if i["user_api"] == "blas"}',
        'before = counts()',
        'import minigluon as mx',
        'from minigluon.gluon import rnn',
        'layer = rnn.LSTM(8, bidirectional=True)',
        'layer.initialize()',
        'layer(mx.nd.ones((4, 2, 3))).wait_to_read()',
        'print(json.dumps([before, counts()]))'])
    env = dict(os.environ, OPENBLAS_NUM_THREADS='2', MINIGLUON_NUMBA='1')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         check=True).stdout
    import json
    before, after = json.loads(out.strip().splitlines()[-1])
    if 'scipy' not in before or before['scipy'] < 2:
        pytest.skip('SciPy brings no BLAS library of its own with threads here: %r' % before)
    assert after['scipy'] == 1
    if 'other' in before:
        assert after['other'] == before['other']
