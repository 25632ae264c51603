"""im2col, col2im, GridGenerator, BilinearSampler, SpatialTransformer, Crop, khatri_rao and
histogram (minigluon/ops/im2col.py, spatial_transformer.py, legacy_extra.py and
minigluon/ndarray/histogram.py).

MXNet 1.9.1 golden values come from tools/gen_ops_extra_fixtures.py; the references below are
written independently (per-element loops). Gradients in float64 are also in the operator sweep
(tests/ops/op_cases.py).
"""
import json

import numpy as np
import pytest

from minigluon import autograd, gluon, nd, sym
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops._golden import Golden, standard_tests

GOLD = Golden('ops_extra')
RNG = np.random.RandomState(5)


(test_mxnet_golden_outputs_and_gradients, test_exported_json_node_matches_mxnet,
 test_graph_run_after_a_json_round_trip_matches_mxnet) = standard_tests(GOLD)


# -- im2col / col2im ------------------------------------------------------------------------------

def _im2col_loop(x, kernel, stride, dilate, pad):
    """Per-element im2col of ``x`` (N, C, *S), any number of spatial axes."""
    n, c = x.shape[:2]
    sp = x.shape[2:]
    out_sp = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(sp, pad, dilate, kernel, stride)]
    kpos = list(np.ndindex(*kernel))
    opos = list(np.ndindex(*out_sp))
    out = np.zeros((n, c * len(kpos), len(opos)), x.dtype)
    for b in range(n):
        for ch in range(c):
            for ki, k in enumerate(kpos):
                for li, o in enumerate(opos):
                    src = [oo * st + kk * d - p for oo, kk, st, d, p in zip(o, k, stride, dilate, pad)]
                    if all(0 <= s < size for s, size in zip(src, sp)):
                        out[b, ch * len(kpos) + ki, li] = x[(b, ch) + tuple(src)]
    return out


@pytest.mark.parametrize('shape,kernel,stride,dilate,pad', [
    ((2, 3, 9), (3,), (2,), (1,), (1,)),
    ((1, 2, 8), (2,), (1,), (3,), (0,)),
    ((2, 2, 5, 6), (2, 3), (2, 1), (1, 2), (1, 0)),
    ((1, 2, 4, 4, 3), (2, 2, 2), (1, 2, 1), (1, 1, 1), (0, 1, 0)),
])
def test_im2col_col2im_any_rank_against_loop_and_adjoint(shape, kernel, stride, dilate, pad):
    # MXNet 1.9.1 fails on 1-D and 3-D images; here every rank works
    x = RNG.uniform(-1, 1, shape)
    kw = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad)
    cols = nd.im2col(nd.array(x, dtype='float64'), **kw)
    want = _im2col_loop(x, kernel, stride, dilate, pad)
    assert_almost_equal(cols, want, rtol=0, atol=0)
    y = RNG.uniform(-1, 1, want.shape)
    back = nd.col2im(nd.array(y, dtype='float64'), output_size=shape[2:], **kw)
    assert back.shape == shape
    # col2im is the adjoint of im2col: <im2col(x), y> == <x, col2im(y)>
    assert np.isclose((want * y).sum(), (x * back.asnumpy()).sum(), rtol=1e-12)
    check_gradient(lambda a: nd.im2col(a, **kw), [x])
    check_gradient(lambda a: nd.col2im(a, output_size=shape[2:], **kw), [y])


def test_im2col_keeps_integer_dtypes():
    x = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4).astype(np.int32)
    got = nd.im2col(nd.array(x, dtype='int32'), kernel=(2, 2))
    assert got.dtype == np.int32
    assert_almost_equal(got, _im2col_loop(x, (2, 2), (1, 1), (1, 1), (0, 0)), rtol=0, atol=0)


def test_im2col_col2im_errors_name_the_argument():
    x = nd.ones((1, 2, 4, 4))
    with pytest.raises(ValueError, match='data must have 4 dimensions'):
        nd.im2col(nd.ones((2, 4, 4)), kernel=(2, 2))
    with pytest.raises(ValueError, match='stride'):
        nd.im2col(x, kernel=(2, 2), stride=(1,))
    with pytest.raises(ValueError, match='smaller than the dilated kernel'):
        nd.im2col(x, kernel=(5, 5))
    with pytest.raises(ValueError, match='output_size'):
        nd.col2im(nd.ones((1, 8, 9)), output_size=(4,), kernel=(2, 2))
    with pytest.raises(ValueError, match=r'data must have shape \(N, C \* 4, 9\)'):
        nd.col2im(nd.ones((1, 8, 10)), output_size=(4, 4), kernel=(2, 2))
    with pytest.raises(ValueError, match='kernel'):
        nd.im2col(x, kernel=(1, 1, 1, 1))


# -- spatial transformer family -------------------------------------------------------------------

def _sample_loop(data, grid):
    n, c, h, w = data.shape
    out = np.zeros((n, c) + grid.shape[2:])
    for b, i, j in np.ndindex(n, *grid.shape[2:]):
        x = (grid[b, 0, i, j] + 1) * (w - 1) / 2
        y = (grid[b, 1, i, j] + 1) * (h - 1) / 2
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        for yy, xx in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
            if 0 <= yy < h and 0 <= xx < w:
                out[b, :, i, j] += data[b, :, yy, xx] * (1 - abs(x - xx)) * (1 - abs(y - yy))
    return out


def test_bilinear_sampler_against_loop_and_gradients():
    data = RNG.uniform(-1, 1, (2, 3, 4, 5))
    grid = RNG.uniform(-1.4, 1.4, (2, 2, 3, 4))
    got = nd.BilinearSampler(nd.array(data, dtype='float64'), nd.array(grid, dtype='float64'))
    assert_almost_equal(got, _sample_loop(data, grid), rtol=1e-12, atol=1e-12)
    check_gradient(nd.BilinearSampler, [data, grid])


def test_grid_generator_affine_identity_and_warp_zero_flow():
    ident = nd.array([[1, 0, 0, 0, 1, 0]])
    grid = nd.GridGenerator(ident, transform_type='affine', target_shape=(3, 5)).asnumpy()
    assert_almost_equal(grid[0, 0], np.tile(np.linspace(-1, 1, 5), (3, 1)), rtol=1e-6, atol=1e-6)
    assert_almost_equal(grid[0, 1], np.tile(np.linspace(-1, 1, 3)[:, None], (1, 5)), rtol=1e-6,
                        atol=1e-6)
    warp = nd.GridGenerator(nd.zeros((1, 2, 3, 5)), transform_type='warp').asnumpy()
    assert_almost_equal(warp, grid, rtol=1e-6, atol=1e-6)
    # the identity grid samples the image itself
    img = nd.array(RNG.uniform(size=(1, 2, 3, 5)))
    assert_almost_equal(nd.BilinearSampler(img, nd.array(grid)), img, rtol=1e-5, atol=1e-6)
    # one-pixel axes: finite (MXNet 1.9.1 divides by zero there)
    one = nd.GridGenerator(ident, transform_type='affine', target_shape=(1, 3)).asnumpy()
    assert np.isfinite(one).all() and (one[0, 1] == -1).all()
    assert np.isfinite(nd.GridGenerator(nd.ones((1, 2, 1, 1)), transform_type='warp').asnumpy()).all()


def test_spatial_transformer_is_grid_generator_then_sampler():
    data = RNG.uniform(-1, 1, (2, 3, 5, 6))
    loc = RNG.uniform(-1, 1, (2, 6))
    got = nd.SpatialTransformer(nd.array(data), nd.array(loc), target_shape=(4, 3),
                                transform_type='affine', sampler_type='bilinear')
    grid = nd.GridGenerator(nd.array(loc), transform_type='affine', target_shape=(4, 3))
    assert_almost_equal(got, nd.BilinearSampler(nd.array(data), grid), rtol=1e-6, atol=1e-6)
    check_gradient(lambda d, l: nd.SpatialTransformer(d, l, target_shape=(4, 3), transform_type='affine',
                                                      sampler_type='bilinear'), [data, loc])


@pytest.mark.parametrize('dtype', ['float16', 'float64'])
def test_spatial_family_keeps_float_dtypes(dtype):
    data = nd.array(RNG.uniform(size=(1, 2, 4, 4)), dtype=dtype)
    loc = nd.array([[0.9, 0.1, 0.0, -0.1, 0.8, 0.05]], dtype=dtype)
    grid = nd.GridGenerator(loc, transform_type='affine', target_shape=(3, 3))
    out = nd.BilinearSampler(data, grid)
    st = nd.SpatialTransformer(data, loc, target_shape=(3, 3), transform_type='affine',
                               sampler_type='bilinear')
    assert grid.dtype == out.dtype == st.dtype == np.dtype(dtype)
    assert_almost_equal(out.astype('float64'), st.astype('float64'), rtol=1e-3, atol=1e-3)


def test_spatial_family_errors_name_the_argument():
    with pytest.raises(ValueError, match=r'data of shape \(N, 6\)'):
        nd.GridGenerator(nd.ones((2, 4)), transform_type='affine', target_shape=(2, 2))
    with pytest.raises(ValueError, match='target_shape'):
        nd.GridGenerator(nd.ones((2, 6)), transform_type='affine')
    with pytest.raises(ValueError, match=r'\(N, 2, H, W\)'):
        nd.GridGenerator(nd.ones((2, 3, 4, 4)), transform_type='warp')
    with pytest.raises(ValueError, match='transform_type'):
        nd.GridGenerator(nd.ones((2, 6)), transform_type='projective', target_shape=(2, 2))
    with pytest.raises(ValueError, match='same N'):
        nd.BilinearSampler(nd.ones((2, 1, 3, 3)), nd.zeros((1, 2, 2, 2)))
    with pytest.raises(TypeError, match='floating-point'):
        nd.BilinearSampler(nd.ones((1, 1, 3, 3), dtype='int32'), nd.zeros((1, 2, 2, 2)))
    with pytest.raises(ValueError, match='target_shape'):
        nd.SpatialTransformer(nd.ones((1, 1, 3, 3)), nd.zeros((1, 6)), transform_type='affine',
                              sampler_type='bilinear')
    with pytest.raises(ValueError, match=r'loc \(N, 6\)'):
        nd.SpatialTransformer(nd.ones((1, 1, 3, 3)), nd.zeros((1, 4)), target_shape=(2, 2),
                              transform_type='affine', sampler_type='bilinear')


# -- Crop -------------------------------------------------------------------------------------------

def test_crop_any_dtype_and_errors():
    x = nd.array(np.arange(2 * 6 * 7).reshape(1, 2, 6, 7), dtype='int32')
    got = nd.Crop(x, num_args=1, h_w=(2, 3), offset=(1, 4))
    assert got.dtype == np.int32
    assert_almost_equal(got, x.asnumpy()[:, :, 1:3, 4:7], rtol=0, atol=0)
    with pytest.raises(ValueError, match='h_w'):
        nd.Crop(x, num_args=1)
    with pytest.raises(ValueError, match='does not fit'):
        nd.Crop(x, num_args=1, h_w=(3, 3), offset=(4, 0))
    with pytest.raises(ValueError, match='does not fit'):
        nd.Crop(x, nd.ones((1, 1, 7, 2)))
    with pytest.raises(ValueError, match='num_args'):
        nd.Crop(x, num_args=3, h_w=(1, 1))
    with pytest.raises(ValueError, match='4-D'):
        nd.Crop(nd.ones((2, 6, 7)), num_args=1, h_w=(2, 2))


# -- khatri_rao ---------------------------------------------------------------------------------------

def test_khatri_rao_reference_and_gradient():
    mats = [RNG.uniform(-1, 1, (m, 3)) for m in (2, 4, 3)]
    got = nd.khatri_rao(*[nd.array(m, dtype='float64') for m in mats])
    want = np.stack([np.kron(np.kron(mats[0][:, j], mats[1][:, j]), mats[2][:, j])
                     for j in range(3)], axis=1)
    assert_almost_equal(got, want, rtol=1e-12, atol=1e-12)
    # MXNet 1.9.1 registers no gradient for khatri_rao; here it has one
    check_gradient(nd.khatri_rao, mats)
    ints = nd.khatri_rao(nd.array([[1, 2]], dtype='int32'), nd.array([[3, 4]], dtype='int32'))
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [[3, 8]]
    with pytest.raises(ValueError, match='same number of columns'):
        nd.khatri_rao(nd.ones((2, 3)), nd.ones((2, 2)))
    with pytest.raises(TypeError, match='same dtype'):
        nd.khatri_rao(nd.ones((2, 3)), nd.ones((2, 3), dtype='float64'))


# -- histogram ---------------------------------------------------------------------------------------

def test_histogram_against_numpy_and_forms():
    x = RNG.uniform(-1, 1, 200)
    counts, edges = nd.histogram(nd.array(x, dtype='float64'), bins=8, range=(-0.8, 0.9))
    want, want_edges = np.histogram(x, bins=8, range=(-0.8, 0.9))
    assert counts.dtype == np.int64 and edges.dtype == np.float64
    assert counts.asnumpy().tolist() == want.tolist()
    assert_almost_equal(edges, want_edges, rtol=1e-12, atol=1e-12)
    # bin edges as an NDArray or (here only) a list; NaN and values outside are not counted
    y = nd.array([np.nan, 0.1, 0.5, 1.0, 3.0, -1.0])
    c1, e1 = nd.histogram(y, bins=nd.array([0.0, 0.5, 1.0]))
    c2, e2 = nd.histogram(y, bins=[0.0, 0.5, 1.0])
    assert c1.asnumpy().tolist() == c2.asnumpy().tolist() == [1, 2]
    assert e2.dtype == np.float32 and e2.asnumpy().tolist() == [0.0, 0.5, 1.0]
    # no range in nd: the data's range (MXNet returns NumPy's float32 result there)
    z = RNG.uniform(0, 5, 50)
    c3, e3 = nd.histogram(nd.array(z, dtype='float64'), bins=5)
    assert c3.asnumpy().tolist() == np.histogram(z, bins=5)[0].tolist()
    assert c3.dtype == np.int64
    with pytest.raises(ValueError, match='range'):
        sym.histogram(sym.var('x'), bins=3)
    with pytest.raises(ValueError, match='bins must be an int'):
        nd.histogram(y, bins='auto')
    with pytest.raises(ValueError, match='lo <= hi'):
        nd.histogram(y, bins=3, range=(1, 0))
    with pytest.raises(ValueError, match='1-d array of at least 2'):
        nd.histogram(y, bins=nd.array([1.0]))
    with pytest.raises(ValueError, match=r'increasing edges, got \[0.0, 1.0, 0.5\]'):
        nd.histogram(y, bins=nd.array([0.0, 1.0, 0.5]))     # (MXNet counts [2, 0] there)
    with pytest.raises(ValueError, match='both bin_cnt and range'):
        nd._histogram(y, bin_cnt=3)


def test_histogram_is_not_differentiable_and_symbol_outputs():
    from minigluon.ops import OPS
    assert not OPS['_histogram'].differentiable
    s = sym.histogram(sym.var('x'), bins=sym.var('b'))
    assert s.list_arguments() == ['x', 'b'] and len(s.list_outputs()) == 2
    _, out_types, _ = s.infer_type(x='float64', b='float64')
    assert out_types == [np.int64, np.float64]
    # NumPy numbers in range are written as MXNet writes Python numbers
    h = sym.histogram(sym.var('x'), bins=3, range=(np.float32(0.5), np.int64(2)))
    assert json.loads(h.tojson())['nodes'][-1]['attrs'] == {'bin_cnt': '3', 'range': '(0.5, 2)'}


# -- hybridize and export through F ------------------------------------------------------------------

class _Transformer(gluon.HybridBlock):
    def hybrid_forward(self, F, x, loc):
        grid = F.GridGenerator(loc, transform_type='affine', target_shape=(4, 4))
        warped = F.BilinearSampler(x, grid)
        st = F.SpatialTransformer(x, loc, target_shape=(4, 4), transform_type='affine',
                                  sampler_type='bilinear')
        cropped = F.Crop(warped + st, num_args=1, h_w=(3, 3), center_crop=True)
        cols = F.im2col(cropped, kernel=(2, 2))
        back = F.col2im(cols, output_size=(3, 3), kernel=(2, 2))
        return F.khatri_rao(F.reshape(back, shape=(-1, 3)), F.ones((2, 3)))


def test_hybridized_block_matches_eager_and_exports(tmp_path):
    net = _Transformer()
    x = nd.array(RNG.uniform(size=(2, 2, 5, 5)))
    loc = nd.array(RNG.uniform(-1, 1, (2, 6)))
    eager = net(x, loc)
    net.hybridize()
    x.attach_grad()
    with autograd.record():
        hyb = net(x, loc)
    hyb.backward()
    assert_almost_equal(hyb, eager, rtol=1e-5, atol=1e-6)
    assert float(nd.abs(x.grad).sum().asscalar()) > 0
    net.export(str(tmp_path / 'st'))
    graph = json.load(open(str(tmp_path / 'st-symbol.json')))
    ops = [n['op'] for n in graph['nodes'] if n['op'] != 'null']
    for name in ('GridGenerator', 'BilinearSampler', 'SpatialTransformer', 'Crop', 'im2col',
                 'col2im', 'khatri_rao'):
        assert name in ops
    loaded = gluon.SymbolBlock.imports(str(tmp_path / 'st-symbol.json'), ['data0', 'data1'])
    assert_almost_equal(loaded(x, loc), eager, rtol=1e-5, atol=1e-6)
