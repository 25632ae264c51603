"""Small legacy MXNet 1.9.1 APIs: ``mx.base`` type tuples, ``Context.default_ctx``,
``mx.runtime``, ``mx.engine``, ``nd.onehot_encode``, ``gluon.data.FilterSampler``,
``default_mp_batchify_fn`` and ``gluon.utils.shape_is_known``.

Expected values were measured on MXNet 1.9.1 (the oracle venv) unless a comment says otherwise;
tests/legacy/p29_checkpoint_legacy_helpers.py runs most of them as one MXNet script.
"""
import threading
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import backend, gluon, nd, runtime
from minigluon.gluon.data.dataloader import default_mp_batchify_fn

# -- mx.base ---------------------------------------------------------------------------------------


def test_base_type_tuples_hold_mxnets_types():
    # measured on MXNet 1.9.1 (Python 3): integer_types (int, int, int32, int64),
    # numeric_types (float, int, int, numpy.generic), string_types (str,)
    assert set(mx.base.integer_types) == {int, np.int32, np.int64}
    assert set(mx.base.numeric_types) == {float, int, np.generic}
    assert mx.base.string_types == (str,)
    assert isinstance(True, mx.base.integer_types) and not isinstance(np.int16(1), mx.base.integer_types)
    assert isinstance(np.bool_(1), mx.base.numeric_types) and not isinstance(1j, mx.base.numeric_types)


# -- Context.default_ctx ---------------------------------------------------------------------------


def test_default_ctx_reads_and_sets_the_current_context():
    with pytest.warns(DeprecationWarning, match='default_ctx is deprecated'):
        assert mx.Context.default_ctx == mx.cpu(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        try:
            with mx.cpu(1):
                assert mx.Context.default_ctx == mx.cpu(1) and mx.cpu(5).default_ctx == mx.cpu(1)
            mx.Context.default_ctx = mx.cpu(2)          # measured: current_context() is then cpu(2)
            assert mx.current_context() == mx.cpu(2) and nd.zeros(1).context == mx.cpu(2)
            with mx.cpu(4):
                assert nd.zeros(1).context == mx.cpu(4)
            assert mx.current_context() == mx.cpu(2)     # the scope restores what was set
            mx.cpu(7).default_ctx = mx.cpu(3)          # through an instance: the same setting
            assert mx.current_context() == mx.cpu(3)
            seen = []
            thread = threading.Thread(target=lambda: seen.append(mx.Context.default_ctx))
            thread.start()
            thread.join()
            assert seen == [mx.cpu(0)]                  # per thread, as in MXNet
        finally:
            mx.Context.default_ctx = mx.cpu(0)
    assert mx.current_context() == mx.cpu(0)


def test_default_ctx_rejects_what_is_not_a_context():
    # MXNet 1.9.1 stores 'abc' and current_context() then returns 'abc'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        with pytest.raises(TypeError, match='default_ctx must be set to a Context'):
            mx.Context.default_ctx = 'abc'
        assert mx.Context.default_ctx == mx.cpu(0)
    assert 'default_ctx' in vars(mx.Context)            # still the property, not replaced


# -- mx.runtime ------------------------------------------------------------------------------------

MXNET_FEATURES = [   # mx.runtime.Features().keys(), measured on MXNet 1.9.1
    'CUDA', 'CUDNN', 'NCCL', 'CUDA_RTC', 'TENSORRT', 'CPU_SSE', 'CPU_SSE2', 'CPU_SSE3', 'CPU_SSE4_1',
    'CPU_SSE4_2', 'CPU_SSE4A', 'CPU_AVX', 'CPU_AVX2', 'OPENMP', 'SSE', 'F16C', 'JEMALLOC',
    'BLAS_OPEN', 'BLAS_ATLAS', 'BLAS_MKL', 'BLAS_APPLE', 'LAPACK', 'MKLDNN', 'OPENCV', 'CAFFE',
    'PROFILER', 'DIST_KVSTORE', 'CXX14', 'INT64_TENSOR_SIZE', 'SIGNAL_HANDLER', 'DEBUG', 'TVM_OP']


def test_features_names_order_and_lookup():
    features = mx.runtime.Features()
    assert list(features) == MXNET_FEATURES
    assert [f.name for f in mx.runtime.feature_list()] == MXNET_FEATURES
    assert features is mx.runtime.Features()
    assert features.is_enabled('cuda') == features.is_enabled('CUDA') == backend.cupy_available()
    assert repr(features['LAPACK']) == '\u2714 LAPACK' and features['LAPACK'].enabled is True
    assert repr(features['MKLDNN']) == '\u2716 MKLDNN'
    assert str(features).startswith('[') and 'TVM_OP' in str(features)
    with pytest.raises(RuntimeError, match="unknown feature 'NO_SUCH'"):
        features.is_enabled('no_such')               # measured: RuntimeError in MXNet too
    with pytest.raises(TypeError, match='feature_name'):
        features.is_enabled(3)


def test_features_report_what_minigluon_has(monkeypatch):
    on = {f.name for f in runtime.feature_list() if f.enabled}
    assert on <= {'CUDA', 'CPU_SSE', 'CPU_SSE2', 'CPU_SSE3', 'CPU_SSE4_1', 'CPU_SSE4_2', 'CPU_AVX',
                  'CPU_AVX2', 'SSE', 'F16C', 'BLAS_OPEN', 'BLAS_ATLAS', 'BLAS_MKL', 'BLAS_APPLE',
                  'LAPACK', 'INT64_TENSOR_SIZE', 'PROFILER'}
    assert {'LAPACK', 'INT64_TENSOR_SIZE', 'PROFILER'} <= on
    assert hasattr(__import__('minigluon').profiler, 'set_config')    # what PROFILER promises
    monkeypatch.setattr(backend, 'cupy_available', lambda: True)
    monkeypatch.setattr(runtime, '_numpy_blas_name', lambda: 'mkl-sdl')
    monkeypatch.setattr(runtime, '_numpy_cpu_features', lambda: {'SSE': True, 'SSE41': True,
                                                                 'AVX2': False})
    on = {f.name for f in runtime.feature_list() if f.enabled}
    assert on == {'CUDA', 'BLAS_MKL', 'CPU_SSE', 'SSE', 'CPU_SSE4_1', 'LAPACK', 'INT64_TENSOR_SIZE',
                  'PROFILER'}
    monkeypatch.setattr(runtime, '_numpy_blas_name', lambda: 'scipy-openblas')
    assert {f.name for f in runtime.feature_list() if f.enabled} & {'BLAS_OPEN', 'BLAS_MKL'} \
        == {'BLAS_OPEN'}


# -- mx.engine -------------------------------------------------------------------------------------


def test_bulk_size_is_recorded_per_thread():
    assert mx.engine.set_bulk_size(8) == 0          # measured: 0 before any call
    assert mx.engine.set_bulk_size(np.int64(3)) == 8
    seen = []
    thread = threading.Thread(target=lambda: seen.append(mx.engine.set_bulk_size(5)))
    thread.start()
    thread.join()
    assert seen == [0]                              # measured: another thread starts at 0
    with mx.engine.bulk(10) as scope:
        assert mx.engine.set_bulk_size(10) == 10
    assert scope is not None and mx.engine.set_bulk_size(0) == 3
    with pytest.raises(KeyError):
        with mx.engine.bulk(6):
            raise KeyError('x')
    assert mx.engine.set_bulk_size(0) == 0          # restored on the way out of an exception


@pytest.mark.parametrize('size,err', [(-1, ValueError), (2.5, TypeError), ('4', TypeError),
                                      (None, TypeError)])
def test_bulk_size_bad_values(size, err):
    with pytest.raises(err, match='size'):
        mx.engine.set_bulk_size(size)
    with pytest.raises(err, match='size'):
        mx.engine.bulk(size)
    assert mx.engine.set_bulk_size(0) == 0


# -- nd.onehot_encode ------------------------------------------------------------------------------


def test_onehot_encode_overwrites_out():
    out = nd.ones((6, 5)) * 7
    res = nd.onehot_encode(nd.array([1.7, 4, -1, -0.5, 4.99, 5]), out)
    assert res is out
    # measured on MXNet 1.9.1: indices truncate toward zero, out-of-range rows are all zero
    assert out.asnumpy().tolist() == [[0, 1, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0],
                                      [1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]


@pytest.mark.parametrize('indices,out,err,match', [
    (nd.array([1, 2]), nd.zeros((3, 5)), ValueError, r'\(N,\)'),
    (nd.array([[1, 2]]), nd.zeros((1, 5)), ValueError, r'\(N, C\)'),
    (nd.array([1, 2]), nd.zeros((2, 5, 1)), ValueError, r'\(N, C\)'),
    (nd.array([1, 2], dtype='int32'), nd.zeros((2, 5)), TypeError, 'indices must be float32'),
    (nd.array([1, 2]), nd.zeros((2, 5), dtype='float64'), TypeError, 'out must be float32'),
    ([1, 2], nd.zeros((2, 5)), TypeError, 'indices must be an NDArray'),
    (nd.array([1]), None, TypeError, 'out must be an NDArray'),
])
def test_onehot_encode_bad_input(indices, out, err, match):
    # MXNet 1.9.1 rejects the same calls (MXNetError / AssertionError)
    with pytest.raises(err, match=match):
        nd.onehot_encode(indices, out)


# -- gluon.data and gluon.utils --------------------------------------------------------------------


def test_filter_sampler_reads_the_dataset_once():
    ds = gluon.data.ArrayDataset(np.arange(6), np.arange(6) * 10)
    sampler = gluon.data.FilterSampler(lambda s: s[1] > 20, ds)
    assert list(sampler) == [3, 4, 5] == list(sampler) and len(sampler) == 3   # measured
    assert list(gluon.data.FilterSampler(lambda s: s, [0, 1, 2, 0, 5])) == [1, 2, 4]  # measured
    calls = []
    sampler = gluon.data.FilterSampler(lambda s: calls.append(s) or s % 2 == 0, list(range(5)))
    list(sampler), list(sampler)
    assert calls == [0, 1, 2, 3, 4] and list(sampler) == [0, 2, 4]
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(np.arange(10)), batch_size=2,
                                   sampler=gluon.data.FilterSampler(lambda x: x > 5, range(10)))
    assert [b.asnumpy().tolist() for b in loader] == [[6, 7], [8, 9]]
    assert 'FilterSampler' in gluon.data.sampler.__all__
    with pytest.raises(TypeError, match='fn must be callable'):
        gluon.data.FilterSampler(ds, lambda s: True)


def test_default_mp_batchify_fn_places_batches_on_cpu_shared():
    shared = mx.Context('cpu_shared', 0)
    batch = default_mp_batchify_fn([nd.array([1, 2]), nd.array([3, 4])])
    assert batch.context == shared and batch.dtype == np.float32
    assert batch.asnumpy().tolist() == [[1, 2], [3, 4]]
    pairs = default_mp_batchify_fn([(nd.array([1, 2]), 1), (nd.array([3, 4]), 2)])
    # measured: [float32 (2, 2), int64 (2,)], both on cpu_shared(0)
    assert [(p.context, p.dtype, p.shape) for p in pairs] == [(shared, np.float32, (2, 2)),
                                                              (shared, np.int64, (2,))]
    assert default_mp_batchify_fn([1.5, 2]).dtype == np.float64               # measured
    ints = default_mp_batchify_fn([np.array([1, 2], 'int32'), np.array([3, 4], 'int32')])
    assert ints.dtype == np.int32 and ints.context == shared
    nested = default_mp_batchify_fn([((1, 2), 3)])            # measured: [[[1], [2]], [3]]
    assert [[a.asnumpy().tolist() for a in nested[0]], nested[1].asnumpy().tolist()] \
        == [[[1], [2]], [3]]
    assert nested[0][0].context == shared
    with pytest.raises(ValueError, match='one shape'):
        default_mp_batchify_fn([nd.array([1, 2]), nd.array([3, 4, 5])])


def test_shape_is_known():
    known = gluon.utils.shape_is_known
    # measured on MXNet 1.9.1 (legacy shape semantics: 0 and () are unknown)
    assert [known(s) for s in ((2, 3), (2, 0), (0,), (), None, [3], (0, -1))] \
        == [True, False, False, False, False, True, False]
    assert known(np.array([2, 3])) and known((np.int64(4),))
    with pytest.raises(ValueError, match='negative'):
        known((-1, 2))        # MXNet: AssertionError
    with pytest.raises(ValueError, match='negative'):
        known((2, -1))
    for bad in (5, (2, None), 'ab'):
        with pytest.raises(TypeError, match='shape'):
            known(bad)
