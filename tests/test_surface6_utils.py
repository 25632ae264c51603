"""``mx.util`` (getenv, setenv, get_cuda_compute_capability, set_module) and the
``mx.test_utils`` helpers added with them, against MXNet 1.9.1's answers
(tools/gen_surface6_fixtures.py, tests/fixtures/surface6)."""
import contextlib
import io
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon import test_utils as tu
from minigluon.base import MXNetError

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'surface6')
with open(os.path.join(FIX, 'surface6.json')) as _f:
    INFO = json.load(_f)
ARR = dict(np.load(os.path.join(FIX, 'arrays.npz')))


def outcome(fn):
    """'ok', or 'AssertionError' / 'ValueError'... as the fixture records MXNet's outcome (an
    AssertionError subclass counts as AssertionError: minigluon's errors are both)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            fn()
        return 'ok'
    except AssertionError:
        return 'AssertionError'
    except Exception as err:  # noqa: BLE001
        return type(err).__name__


# -- mx.util ------------------------------------------------------------------------------------

def test_getenv_setenv():
    name = 'MINIGLUON_SURFACE6'
    assert mx.util.getenv('MINIGLUON_SURFACE6_UNSET') is INFO['util']['getenv_unset'] is None
    try:
        mx.util.setenv(name, 'abc')
        assert mx.util.getenv(name) == INFO['util']['getenv_after_setenv'] == 'abc'
        assert os.environ[name] == 'abc'
        mx.util.setenv(name, None)
        assert mx.util.getenv(name) is INFO['util']['getenv_after_unset'] is None
        with pytest.raises(TypeError, match='str or None'):
            mx.util.setenv(name, 3)
    finally:
        os.environ.pop(name, None)


def test_get_cuda_compute_capability():
    assert INFO['util']['cc_cpu'] == 'ValueError'
    with pytest.raises(ValueError, match='gpu context'):
        mx.util.get_cuda_compute_capability(mx.cpu())
    if mx.context.num_gpus() == 0:
        # MXNet: OSError without a CUDA driver (as on the fixture machine), RuntimeError
        # without a device; here an MXNetError (a RuntimeError)
        with pytest.raises(MXNetError, match='not available'):
            mx.util.get_cuda_compute_capability(mx.gpu(0))
    else:
        cc = mx.util.get_cuda_compute_capability(mx.gpu(0))
        assert isinstance(cc, int) and cc >= 30


def test_set_module():
    @mx.util.set_module('minigluon.somewhere')
    def f():
        pass

    @mx.util.set_module(None)
    def g():
        pass

    assert f.__module__ == 'minigluon.somewhere' and g.__module__ == __name__


# -- tolerances ---------------------------------------------------------------------------------

def test_tolerances_match_mxnet():
    f16, f32, f64 = (np.zeros(2, dtype=d) for d in (np.float16, np.float32, np.float64))
    i32 = np.zeros(2, dtype=np.int32)
    cases = {'f32_f64': (f32, f64, None, None), 'f16_f32': (f16, f32, None, None),
             'i32_f64': (i32, f64, None, None), 'i32_i32': (i32, i32, None, None),
             'nd_f32_f16': (nd.zeros(2), nd.zeros(2, dtype='float16'), None, None),
             'number_f32': (3.0, f32, None, None), 'given': (f32, f16, 0.5, 0.25),
             'dict': (f32, f64, {np.dtype(np.float32): 0.2}, {np.dtype(np.float64): 0.3})}
    assert sorted(cases) == sorted(INFO['get_tols'])
    for label, (x, y, rtol, atol) in cases.items():
        assert list(tu.get_tols(x, y, rtol, atol)) == INFO['get_tols'][label], label
    want = INFO['get_tolerance']
    assert tu.get_tolerance(f32, None, tu.default_rtols()) == want['f32_default']
    assert tu.get_tolerance(f16, {np.dtype(np.float16): 0.7}, tu.default_atols()) == want['f16_dict']
    assert tu.get_tolerance(f16, 0.125, tu.default_atols()) == want['number']
    assert tu.get_tolerance(f64, {np.dtype(np.float16): 0.7}, tu.default_atols()) == want['dict_miss']
    with pytest.raises(KeyError, match='complex64'):
        tu.get_tolerance(np.zeros(1, np.complex64), None, tu.default_rtols())
    assert [tu.get_etol(), tu.get_etol(0.25)] == INFO['get_etol']
    got = [str(tu.effective_dtype(a)) for a in
           (f16, f64, i32, nd.zeros(1), nd.zeros(1, dtype='uint8'))]
    assert got == INFO['effective_dtype']
    assert np.dtype(tu.default_dtype()).name == INFO['default_dtype']
    assert tu.is_op_runnable() is INFO['is_op_runnable'] is True


def test_assert_almost_equal_with_err_matches_mxnet():
    a = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    b = np.array([1.0, 2.0, 3.5, 4.0], np.float32)
    calls = {
        'within_etol': lambda: tu.assert_almost_equal_with_err(a, b, etol=0.3),
        'over_etol': lambda: tu.assert_almost_equal_with_err(a, b, etol=0.2),
        'no_etol': lambda: tu.assert_almost_equal_with_err(a, b),
        'nd': lambda: tu.assert_almost_equal_with_err(nd.array(a), nd.array(b), etol=0.25),
        'exact_share': lambda: tu.assert_almost_equal_with_err(a, b, etol=0.25),
        'rtol': lambda: tu.assert_almost_equal_with_err(a, b, rtol=0.2, etol=0.1),
    }
    assert {k: outcome(f) for k, f in calls.items()} == INFO['with_err']
    with pytest.raises(AssertionError, match='0.25 of the elements differ'):
        calls['over_etol']()


def test_compare_ndarray_tuple_matches_mxnet_and_refuses_length_differences():
    n1 = nd.array([1.0, 2.0, 3.0, 4.0])
    n2 = nd.array([1.0, 2.0, 3.5, 4.0])
    calls = {
        'same': lambda: tu.compare_ndarray_tuple((n1, (n1, n1)), (n1, (n1, n1))),
        'nested_differs': lambda: tu.compare_ndarray_tuple((n1, (n1, n1)), (n1, (n1, n2))),
        'none': lambda: tu.compare_ndarray_tuple(None, n2),
        'loose': lambda: tu.compare_ndarray_tuple((n1,), (n2,), rtol=0.5, atol=0),
    }
    want = dict(INFO['compare_ndarray_tuple'])
    # MXNet compares only the common part of tuples of different lengths; here that raises
    assert want.pop('zip_shorter') == 'ok'
    assert {k: outcome(f) for k, f in calls.items()} == want
    with pytest.raises(AssertionError, match='tuple of 1 vs tuple of 2'):
        tu.compare_ndarray_tuple((n1,), (n1, n2))


def test_compare_optimizer_matches_mxnet():
    opt = mx.optimizer
    calls = {
        'sgd_same': lambda: tu.compare_optimizer(opt.SGD(learning_rate=0.1, momentum=0.9),
                                                 opt.SGD(learning_rate=0.1, momentum=0.9), (3, 4), np.float32),
        'sgd_lr_differs': lambda: tu.compare_optimizer(opt.SGD(learning_rate=0.1), opt.SGD(learning_rate=0.2),
                                                       (3, 4), np.float32),
        'adam_states': lambda: tu.compare_optimizer(opt.Adam(beta1=0.9), opt.Adam(beta1=0.5), (2, 3), np.float32),
        'adam_no_states': lambda: tu.compare_optimizer(opt.Adam(beta1=0.9), opt.Adam(beta1=0.5), (2, 3),
                                                       np.float32, compare_states=False),
    }
    assert {k: outcome(f) for k, f in calls.items()} == INFO['compare_optimizer']
    # the multi-tensor form: one group through an Updater against one weight at a time
    tu.compare_optimizer(opt.Adam(), opt.Adam(), [(2, 3), (4,), (1, 2)], np.float32,
                         ntensors=3)
    with pytest.raises(AssertionError):
        tu.compare_optimizer(opt.Adam(), opt.Adam(learning_rate=0.5), [(2, 3), (4,)], np.float32, ntensors=2)
    with pytest.raises(NotImplementedError, match='dense'):
        tu.compare_optimizer(opt.SGD(), opt.SGD(), (2,), np.float32, w_stype='row_sparse')


# -- arrays -------------------------------------------------------------------------------------

def test_array_helpers_match_mxnet():
    for label, target in [('lead', (3, 4)), ('ones', (2, 1, 4)), ('mixed', (1, 3)), ('same', (2, 3)),
                          ('empty', (1, 3))]:
        got = tu.collapse_sum_like(ARR['collapse/%s/in' % label], target)
        want = ARR['collapse/%s/out' % label]
        assert got.shape == want.shape and got.dtype == want.dtype, label
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=label)
    with pytest.raises(AssertionError, match='does not broadcast'):
        tu.collapse_sum_like(np.zeros((2, 3)), (2, 2))
    for name, got in [('create_vector', tu.create_vector(5)),
                      ('create_vector_f32', tu.create_vector(4, dtype=np.float32)),
                      ('create_2d_tensor', tu.create_2d_tensor(3, 4)),
                      ('create_2d_tensor_i32', tu.create_2d_tensor(2, 5, dtype=np.int32))]:
        got = got.asnumpy()
        assert got.dtype == ARR[name].dtype, name
        np.testing.assert_array_equal(got, ARR[name])


def test_gen_buckets_and_chi_square_check():
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: 4.0 * p - 1.0, 5)
    assert {'buckets': [list(b) for b in buckets], 'probs': probs} == INFO['gen_buckets']
    assert outcome(lambda: tu.gen_buckets_probs_with_ppf(lambda p: p, 0)) == INFO['gen_buckets_zero']
    pytest.importorskip('scipy')
    # MXNet 1.9.1's chi_square_check fails on NumPy >= 1.24 (np.int) and needed SciPy in the
    # fixture venv (it had none: ImportError), so the numbers are checked by hand: samples
    # spread exactly as expected give statistic 0 and p = 1
    assert INFO['chi_square_without_scipy'] == 'ImportError'
    samples = np.repeat([-0.5, 0.5, 1.0, 2.0, 2.5], 20)         # 20 in each bucket of 0.8 width
    p, obs, exp = tu.chi_square_check(lambda n: samples[:n], buckets, probs, nsamples=100)
    assert p == pytest.approx(1.0) and obs.tolist() == [20] * 5 and exp.tolist() == [20] * 5
    # discrete: counts 30 / 70 against 50 / 50: statistic (20^2 + 20^2) / 50 = 16, 1 degree of
    # freedom: p = erfc(sqrt(16 / 2)) = 6.334e-5
    p, obs, exp = tu.chi_square_check(lambda n: np.array([0] * 30 + [1] * 70), [0, 1], [0.5, 0.5],
                                      nsamples=100)
    assert obs.tolist() == [30, 70] and p == pytest.approx(6.3342e-5, rel=1e-4)
    with pytest.raises(AssertionError, match='ascending'):
        tu.chi_square_check(lambda n: samples[:n], [(0, 1), (0.5, 2)], [0.5, 0.5], nsamples=100)


def test_dummy_iter_matches_mxnet():
    dummy = tu.DummyIter(mx.io.NDArrayIter(np.arange(12).reshape(6, 2), np.arange(6), batch_size=4))
    batches = [next(dummy) for _ in range(3)]
    want = INFO['dummy_iter']
    assert all(b is batches[0] for b in batches) is want['same_object'] is True
    assert batches[0].data[0].asnumpy().tolist() == want['data']
    assert dummy.batch_size == want['batch_size']
    assert [[d.name, list(d.shape)] for d in dummy.provide_data] == want['provide_data']
    assert isinstance(dummy, mx.io.DataIter)


def test_get_im2rec_path(tmp_path, monkeypatch):
    monkeypatch.delenv('MXNET_HOME', raising=False)
    with pytest.raises(OSError, match='im2rec'):
        tu.get_im2rec_path()
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'im2rec.py').write_text('')
    monkeypatch.setenv('MY_MXNET', str(tmp_path))
    assert tu.get_im2rec_path('MY_MXNET') == str(tmp_path / 'tools' / 'im2rec.py')


# -- Symbols ------------------------------------------------------------------------------------

def _consistency_calls():
    x = mx.sym.var('x')
    ctx2 = [{'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float64}},
            {'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float32}}]
    fc = mx.sym.FullyConnected(x, num_hidden=4, name='fc')
    tanh, sigm = mx.sym.tanh(x, name='y'), mx.sym.sigmoid(x, name='y')
    ones = {'x': np.ones((2, 3))}
    return {
        'tanh': lambda: tu.check_consistency(tanh, ctx2),
        'fc': lambda: tu.check_consistency(fc, ctx2),
        'differs': lambda: tu.check_consistency([tanh, sigm], ctx2),
        'output_names_differ': lambda: tu.check_consistency([mx.sym.tanh(x, name='a'), tanh], ctx2),
        'one_ctx': lambda: tu.check_consistency(tanh, ctx2[:1]),
        'not_raise': lambda: tu.check_consistency([tanh, sigm], ctx2, raise_on_err=False),
        'ground_truth_differs': lambda: tu.check_consistency(
            tanh, ctx2, grad_req='null', arg_params=ones, ground_truth={'y_output': np.zeros((2, 3))}),
        'ground_truth_same': lambda: tu.check_consistency(
            tanh, ctx2, grad_req='null', arg_params=ones, ground_truth={'y_output': np.tanh(np.ones((2, 3)))}),
    }


def test_check_consistency_matches_mxnet():
    assert {k: outcome(f) for k, f in _consistency_calls().items()} == INFO['check_consistency']


def test_check_consistency_compares_gradients():
    # BatchNorm over a FullyConnected: outputs and the gradients of x, weight, bias, gamma, beta
    x = mx.sym.var('x')
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(x, num_hidden=4, name='fc'), name='bn')
    ctxs = [{'ctx': mx.cpu(0), 'x': (5, 3), 'type_dict': {'x': t}} for t in (np.float64, np.float32)]
    gt = tu.check_consistency(net, ctxs)
    assert set(gt) >= {'bn_output', 'x', 'fc_weight', 'fc_bias', 'bn_gamma', 'bn_beta'}
    assert gt['fc_weight'].dtype == np.float64
    # a Symbol whose gradient differs but whose forward agrees: the backward check catches it
    same_fwd = mx.sym.BlockGrad(x * 2, name='y') + mx.sym.zeros_like(x) * 0
    honest = x * 2
    with pytest.raises(AssertionError, match='Train x of run 1'):
        tu.check_consistency([mx.sym.identity(honest, name='z'), mx.sym.identity(same_fwd, name='z')],
                             [{'x': (2, 2), 'type_dict': {'x': np.float64}}] * 2)


def test_check_speed():
    x = mx.sym.var('x')
    fc = mx.sym.FullyConnected(x, num_hidden=4, name='fc')
    assert type(tu.check_speed(fc, N=2, x=(2, 3), typ='forward')).__name__ == INFO['check_speed_forward_type']
    assert tu.check_speed(fc, N=2, x=(2, 3)) > 0
    loc = {'x': np.ones((2, 3)), 'fc_weight': np.ones((4, 3)), 'fc_bias': np.ones(4)}
    assert tu.check_speed(fc, location=loc, N=1) > 0
    assert INFO['check_speed_bad_typ'] == 'ValueError'
    with pytest.raises(ValueError, match='whole'):
        tu.check_speed(fc, x=(2, 3), typ='both')


def test_check_consistency_and_check_speed_name_missing_shapes():
    # without the input's shape, infer_shape answers None: a clear error, not "'NoneType' object
    # is not iterable" from inside the helper (MXNet 1.9.1: its simple_bind error)
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4, name='fc')
    with pytest.raises(ValueError, match=r"check_consistency: the shapes \{\} do not determine"):
        tu.check_consistency(fc, [{'ctx': mx.cpu(0)}] * 2)
    with pytest.raises(ValueError, match='check_speed: the shapes'):
        tu.check_speed(fc, N=1)


def test_check_speed_and_check_consistency_with_no_gradient_wanted():
    # grad_req 'null' everywhere: the backward step computes nothing, as MXNet 1.9.1's executor
    # (it raised MXNetError "cannot differentiate ..." from autograd)
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4, name='fc')
    assert tu.check_speed(fc, N=1, x=(2, 3), grad_req='null') > 0
    nothing = {'x': 'null', 'fc_weight': 'null', 'fc_bias': 'null'}
    gt = tu.check_consistency(fc, [{'x': (2, 3)}] * 2, grad_req=nothing)
    # as MXNet's: the outputs, and None for each argument of grad_req 'null'
    assert sorted(gt) == ['fc_bias', 'fc_output', 'fc_weight', 'x'] and gt['x'] is None
    some = tu.check_consistency(fc, [{'x': (2, 3)}] * 2, grad_req=dict(nothing, fc_weight='write'))
    assert some['fc_weight'].shape == (4, 3) and some['fc_bias'] is None
