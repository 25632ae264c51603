"""Adam's one-pass kernels against its array form, bit for bit: the CUDA kernel of
minigluon/ops/_update_cuda.py (checked without a GPU: ``update_kernels.adam`` runs with the strict
CuPy stand-in of tests/cupy_emulation as ``xp``, whose ``RawKernel`` checks each argument against
the kernel's C signature and runs the kernel's plain-C form) and the Numba kernel of
minigluon/ops/_update_numba_kernels.py (skipped without Numba).

The results must equal the NumPy array form's bit for bit (the claim of both modules), NaN and
infinity included; arrays the kernels do not take (another dtype, not contiguous) must take the
array form. Compiling the CUDA form: tests/ops/test_cuda_forms_compile.py.
"""
import shutil

import numpy as np
import pytest

from minigluon.ops import _numba, _update_cuda, update_kernels

CC = shutil.which('cc') or shutil.which('gcc')
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler for the kernel's C form")


@pytest.fixture(scope='module')
def fake():
    from cupy_emulation import fakecupy
    return fakecupy


def _state(rng, shape, dtype, specials):
    w, g = rng.randn(*shape), rng.randn(*shape) * 3
    mean, var = rng.randn(*shape) * 0.1, rng.rand(*shape)
    if specials:
        g.flat[0], g.flat[1], w.flat[2], g.flat[3] = np.nan, np.inf, -np.inf, -np.inf
    return [a.astype(dtype) for a in (w, g, mean, var)]


def _array_form(monkeypatch, arrays, hyper, steps=2):
    """The NumPy array form's state after ``steps`` updates (the compiled kernels switched off)."""
    monkeypatch.setattr(_numba, 'enabled', False)
    want = [a.copy() for a in arrays]
    with np.errstate(all='ignore'):      # inf - inf in the NumPy reference
        for _ in range(steps):
            update_kernels.adam(np, *want, **hyper)
    monkeypatch.setattr(_numba, 'enabled', True)
    return want


@pytest.mark.parametrize('form', ['cuda-form', 'numba-form'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('wd,clip,rescale', [(0.0, None, 1.0), (1e-3, None, 0.5),
                                             (0.0, 0.7, 1 / 32), (0.01, 2.0, 3.0)])
@pytest.mark.parametrize('specials', [False, True])
def test_one_pass_adam_equals_the_array_form_bit_for_bit(fake, monkeypatch, form, dtype, wd,
                                                         clip, rescale, specials):
    arrays = _state(np.random.RandomState(7), (5, 13), dtype, specials)
    hyper = dict(lr=0.01, wd=wd, beta1=0.9, beta2=0.999, epsilon=1e-8, rescale=rescale, clip=clip)
    want = _array_form(monkeypatch, arrays, hyper)
    calls = []
    if form == 'cuda-form':
        xp, module, name = fake, _update_cuda, 'adam'
    else:
        xp, module, name = np, pytest.importorskip('minigluon.ops._update_numba_kernels'), 'adam_update'
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    dev = [xp.asarray(a.copy()) for a in arrays]
    for _ in range(2):    # a second step reads the states the kernel wrote
        update_kernels.adam(xp, *dev, **hyper)
    assert calls == [1, 1]
    for label, got, w in zip(('weight', 'grad', 'mean', 'var'), dev, want):
        got = fake.asnumpy(got) if xp is fake else got
        assert got.dtype == w.dtype
        np.testing.assert_array_equal(got.view(np.uint8), w.view(np.uint8), err_msg=label)


def test_arrays_the_kernels_do_not_take_use_the_array_form(fake, monkeypatch):
    monkeypatch.setattr(_update_cuda, 'adam', lambda *a, **k: pytest.fail('kernel used'))
    compiled = _numba.kernels('_update_numba_kernels')
    if compiled is not None:
        monkeypatch.setattr(compiled, 'adam_update', lambda *a: pytest.fail('kernel used'))
    rng = np.random.RandomState(1)
    w, g, mean, var = _state(rng, (4, 6), np.float32, False)
    hyper = dict(lr=0.01, wd=0.0, beta1=0.9, beta2=0.999, epsilon=1e-8, rescale=1.0, clip=None)
    cases = {'float16 weight': [a.astype(np.float16) for a in (w, g, mean, var)],
             'float64 gradient': [w, g.astype(np.float64), mean, var],
             'strided gradient': [w, np.asfortranarray(g), mean, var]}
    for name, arrays in cases.items():
        want = [a.copy(order='K') for a in arrays]      # (a strided gradient stays strided)
        assert not update_kernels._one_pass(*want), name
        update_kernels.adam(np, *want, **hyper)
        dev = [fake.asarray(a) for a in arrays]
        assert not update_kernels._one_pass(*dev), name
        update_kernels.adam(fake, *dev, **hyper)
        np.testing.assert_array_equal(fake.asnumpy(dev[0]), want[0], err_msg=name)


def test_built_kernels_are_kept_per_array_module():
    """A kernel built for one array module (the CuPy stand-in) is never handed to another (real
    CuPy) in the same process: that mix-up failed tests/test_optimizer.py on a GPU once."""
    from minigluon.ops._raw_kernel import raw_kernel

    class Module:
        def __init__(self):
            self.built = []

        def RawKernel(self, code, name, options=()):
            self.built.append((name, options))
            return (self, name)

    a, b = Module(), Module()
    assert raw_kernel(a, 'src', 'k') == (a, 'k')
    assert raw_kernel(a, 'src', 'k') == (a, 'k')
    assert raw_kernel(b, 'src', 'k') == (b, 'k')
    assert raw_kernel(a, 'src', 'k', options=('--fmad=false',)) == (a, 'k')
    assert a.built == [('k', ()), ('k', ('--fmad=false',))] and b.built == [('k', ())]


def test_an_empty_parameter(fake):
    dev = [fake.asarray(np.zeros((0, 4), np.float32)) for _ in range(4)]
    update_kernels.adam(fake, *dev, lr=0.01, wd=0.0, beta1=0.9, beta2=0.999, epsilon=1e-8,
                        rescale=1.0, clip=None)
    assert dev[0].shape == (0, 4)


def test_grid_stride_launch_geometry():
    from minigluon.ops._raw_kernel import MAX_BLOCKS, THREADS, grid_stride
    assert grid_stride(0) == ((1,), (THREADS,))            # never a grid of 0 blocks
    assert grid_stride(THREADS + 1) == ((2,), (THREADS,))
    assert grid_stride(10 ** 9) == ((MAX_BLOCKS,), (THREADS,))
