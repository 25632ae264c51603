"""The CuPy stand-in itself: it must refuse what CuPy refuses, and otherwise compute as NumPy."""
import shutil

import numpy as np
import pytest

from cupy_emulation import fakecupy as fc
from cupy_emulation._fake_submodules import cupyx


def test_arrays_are_their_own_type_and_never_convert_implicitly():
    x = fc.arange(3.0)
    assert isinstance(x, fc.ndarray) and not isinstance(x, np.ndarray)
    for convert in (np.asarray, np.array, lambda v: np.zeros(3).__setitem__(slice(None), v)):
        with pytest.raises(TypeError, match='Implicit conversion'):
            convert(x)
    np.testing.assert_array_equal(x.get(), [0, 1, 2])
    np.testing.assert_array_equal(fc.asnumpy(x), [0, 1, 2])


def test_numpy_calls_dispatch_but_host_arrays_do_not_mix():
    x = fc.ones((2, 3), dtype=np.float32)
    for res in (np.exp(x), np.concatenate([x, x]), x * np.float32(2), 2 - x, np.sum(x, axis=0)):
        assert type(res) is fc.ndarray
    host = np.ones((2, 3), dtype=np.float32)
    for mix in (lambda: x + host, lambda: host + x, lambda: np.maximum(x, host),
                lambda: fc.concatenate([x, host]), lambda: fc.add(x, [1, 2, 3])):
        with pytest.raises(TypeError):
            mix()


def test_one_element_results_are_0d_device_arrays():
    x = fc.asarray(np.array([1.5, 2.5, 3.0]))
    for res in (x.sum(), x[0], fc.max(x), np.mean(x)):
        assert type(res) is fc.ndarray and res.shape == ()
    assert float(x.sum()) == 7.0 and int(x[1]) == 2 and x[2].item() == 3.0


def test_host_data_is_copied_to_the_device():
    host = np.zeros(3)
    dev = fc.asarray(host)
    host[0] = 5
    assert dev[0].item() == 0.0


def test_indexing_rules():
    x = fc.arange(3.0)
    np.testing.assert_array_equal(x[fc.asarray([5, -1])].get(), [2, 2])   # wraps, no IndexError
    with pytest.raises(IndexError):
        x[5]
    with pytest.raises(ValueError, match='fill'):
        x[:] = np.ones(3)                      # CuPy's basic setitem only fills scalars
    x[np.array([0, 1])] = np.array([7.0, 8.0])  # advanced setitem copies host values over
    x[2] = fc.asarray(np.array(9.0))
    np.testing.assert_array_equal(x.get(), [7, 8, 9])


def test_views_keep_their_owner_and_out_returns_the_same_array():
    import sys
    owner = fc.zeros((4, 3))
    before = sys.getrefcount(owner)
    view = owner.reshape(12)[2:]
    after = sys.getrefcount(owner)       # the view holds its owner, as in CuPy (workspace reuse)
    assert after == before + 1
    assert view.base is owner
    row = owner[1]              # ascontiguousarray of a contiguous array is that array, as in CuPy
    assert fc.ascontiguousarray(row) is row and row.base is owner
    assert fc.ascontiguousarray(owner[:, 1]).base is None          # a copy
    out = fc.empty((4, 3))
    assert fc.multiply(owner, 2, out=out) is out and fc.dot(owner, fc.ones((3, 3)), out=out) is out


def test_scatter_add_accumulates_and_refuses_int64():
    a = fc.zeros(3, dtype=np.float32)
    cupyx.scatter_add(a, fc.asarray(np.array([0, 0, 2])), fc.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(a.get(), [2, 0, 1])
    with pytest.raises(TypeError, match='scatter_add'):
        cupyx.scatter_add(fc.zeros(3, dtype=np.int64), fc.asarray(np.array([0])), 1)
    with pytest.raises(TypeError):
        np.add.at(a, [0], 1.0)                 # numpy's ufunc.at does not reach device arrays


def test_random_state_has_cupy_api_only():
    rs = fc.random.RandomState(3)
    u = rs.random_sample((2, 2), dtype=np.float32)
    assert type(u) is fc.ndarray and u.dtype == np.float32
    assert rs.randint(0, 4, size=5, dtype=np.int32).dtype == np.int32
    for numpy_only in ('random', 'integers'):
        assert not hasattr(rs, numpy_only)
    assert np.array_equal(fc.random.RandomState(3).random_sample(4).get(),
                          fc.random.RandomState(3).random_sample(4).get())


def test_one_device_and_missing_functions():
    assert fc.cuda.runtime.getDeviceCount() == 1 and fc.cuda.Device().id == 0
    with fc.cuda.Device(0) as dev:
        dev.synchronize()
    with pytest.raises(fc.cuda.runtime.CUDARuntimeError):
        with fc.cuda.Device(1):
            pass
    assert not hasattr(fc, 'put_along_axis')   # not assumed in CuPy: minigluon has a fallback



def test_scalars_promote_as_in_cupy_13_not_as_in_numpy_2():
    """CuPy 13 types a scalar operand by its value when the arrays' kind is at least the scalar's
    (NumPy 1's rule, numpy scalars included); NumPy 2 (NEP 50) keeps a NumPy scalar's own dtype."""
    x = fc.ones(3, dtype=np.float32)
    for res in (x * np.float64(0.1), np.float64(0.1) * x, fc.multiply(x, np.float64(0.1)),
                np.multiply(x, np.float64(0.1)), fc.where(x > 0, x, np.float64(0.1)),
                x.clip(np.float64(0), np.float64(0.1))):
        assert res.dtype == np.float32                        # NumPy 2 on the host: float64
    np.testing.assert_array_equal((x * 0.1).get(), np.float32(0.1))   # value cast to the kernel type
    i8 = fc.ones(2, dtype=np.int8)
    assert (i8 + 5).dtype == np.int8 and (i8 + 1000).dtype == np.int16   # NumPy 2: OverflowError
    assert (fc.ones(2, dtype=np.uint8) + 5).dtype == np.uint8
    assert (fc.ones(2, dtype=np.float16) * 1e5).dtype == np.float32     # NumPy 2: float16 (inf)
    assert (i8 * 0.5).dtype == np.float64 and (i8 / 2).dtype == np.float64  # higher kind: as NumPy
    assert (x * fc.asarray(np.float64(2))).dtype == np.float64         # a 0-d device array is an array


def test_float_subclasses_are_refused_as_cupy_does():
    class Tagged(float):
        pass
    x = fc.ones(2)
    for call in (lambda: x * Tagged(2), lambda: Tagged(2) * x, lambda: x != Tagged(1),
                 lambda: fc.maximum(x, Tagged(1)), lambda: np.clip(x, Tagged(0), 1),
                 lambda: fc.where(x > 0, Tagged(1), 0.0)):
        with pytest.raises(TypeError, match='Unsupported type'):
            call()
    assert (x * float(Tagged(2))).get().tolist() == [2.0, 2.0]

KERNEL = r'''
#ifdef MG_CUDA
extern "C" __global__ void scale(const double* x, int n, double* y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) y[i] = 2.0 * x[i];
}
#else
void scale(const double* x, int n, double* y) { for (int i = 0; i < n; ++i) y[i] = 2.0 * x[i]; }
#endif
'''


def test_raw_kernel_checks_arguments_like_a_gpu_would_need():
    kern = fc.RawKernel('#define MG_CUDA 1\n' + KERNEL, 'scale')
    x, y = fc.arange(4.0), fc.empty(4)
    with pytest.raises(TypeError, match='int32'):
        kern((1,), (32,), (x, 4, y))                         # a Python int is 64-bit in CuPy
    with pytest.raises(TypeError, match='float64'):
        kern((1,), (32,), (x.astype(np.float32), np.int32(4), y))
    with pytest.raises(TypeError, match='cupy.ndarray'):
        kern((1,), (32,), (np.arange(4.0), np.int32(4), y))
    if shutil.which('cc') or shutil.which('gcc'):
        kern((1,), (32,), (x, np.int32(4), y))
        np.testing.assert_array_equal(y.get(), [0, 2, 4, 6])
