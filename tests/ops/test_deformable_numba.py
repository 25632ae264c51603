"""The compiled deformable-convolution kernels (minigluon/ops/_deformable_numba_kernels.py) against
the array form of minigluon/ops/deformable_conv.py (which tests/ops/test_deformable.py checks
against MXNet 1.9.1 with the kernels on and off), on geometries whose sampling points cross every
border, land exactly on the last row and column, and leave the image."""
import numpy as np
import pytest

pytest.importorskip('numba')

from minigluon.ops import _numba, _parallel  # noqa: E402
from minigluon.ops.deformable_conv import (DeformableConvolution,  # noqa: E402
                                           ModulatedDeformableConvolution, _ArraySampler,
                                           _CompiledSampler)

GEOMETRIES = [
    dict(kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=2, num_deformable_group=2),
    dict(kernel=(3, 2), stride=(2, 1), pad=(1, 0), dilate=(1, 2), num_filter=3),
    dict(kernel=(1, 1), num_filter=2, num_deformable_group=4, no_bias=True),
]


def _inputs(attrs, modulated, dtype, seed, integer_offsets=False):
    """Data (2, 4, 6, 5) and offsets of +-3.5 pixels (or whole pixels, which put points exactly
    on rows and columns 0 and H - 1 and on -1 and H), a mask, weight and bias."""
    rng = np.random.RandomState(seed)
    op_cls = ModulatedDeformableConvolution if modulated else DeformableConvolution
    op = op_cls(**attrs)
    n, c, h, w = 2, 4, 6, 5
    ho, wo = op._out_spatial((h, w))
    k, dg = op._taps(), attrs.get('num_deformable_group', 1)
    offset = rng.uniform(-3.5, 3.5, (n, 2 * dg * k, ho, wo))
    if integer_offsets:
        offset = np.round(offset)
    arrays = [rng.uniform(-1, 1, (n, c, h, w)), offset]
    if modulated:
        arrays.append(rng.uniform(0, 2, (n, dg * k, ho, wo)))
    arrays.append(rng.uniform(-1, 1, op._weight_shape(c)))
    if not attrs.get('no_bias'):
        arrays.append(rng.uniform(-1, 1, attrs['num_filter']))
    return op_cls, [a.astype(dtype) for a in arrays]


def _run(op_cls, attrs, arrays, seed=0):
    """The output and every gradient (for a random head gradient) of one raw operator call, and
    the sampler that computed them."""
    op = op_cls(**attrs)
    out = op.forward(np, *arrays)
    head = np.random.RandomState(seed).uniform(-1, 1, out.shape).astype(out.dtype)
    return [out] + list(op.backward(np, head)), op._saved[5]


@pytest.mark.parametrize('integer_offsets', [False, True])
@pytest.mark.parametrize('geometry', range(len(GEOMETRIES)))
@pytest.mark.parametrize('modulated', [False, True])
@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.float16])
def test_compiled_kernels_match_the_array_form(monkeypatch, dtype, modulated, geometry,
                                               integer_offsets):
    attrs = GEOMETRIES[geometry]
    op_cls, arrays = _inputs(attrs, modulated, dtype, seed=geometry, integer_offsets=integer_offsets)
    monkeypatch.setattr(_numba, 'enabled', False)
    want, sampler = _run(op_cls, attrs, arrays)
    assert isinstance(sampler, _ArraySampler)
    monkeypatch.setattr(_numba, 'enabled', True)
    got, sampler = _run(op_cls, attrs, arrays)
    assert isinstance(sampler, _CompiledSampler)
    tol = {np.float64: 1e-12, np.float32: 2e-5, np.float16: 2e-3}[dtype]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=tol, atol=tol)


def test_results_do_not_depend_on_the_number_of_cpu_workers():
    """Images are split into fixed chunks; two workers share them and give the same bits."""
    attrs = GEOMETRIES[0]
    op_cls, arrays = _inputs(attrs, True, np.float32, seed=5)
    arrays[0] = np.concatenate([arrays[0]] * 5)              # 10 images: several chunks
    arrays[1] = np.concatenate([arrays[1]] * 5)
    arrays[2] = np.concatenate([arrays[2]] * 5)
    one, _ = _run(op_cls, attrs, arrays)
    old = _parallel.set_workers(2)
    try:
        two, _ = _run(op_cls, attrs, arrays)
    finally:
        _parallel.set_workers(old)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
