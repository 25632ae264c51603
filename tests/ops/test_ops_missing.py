"""depth_to_space, space_to_depth, diag, _split_v2 (split_v2, moveaxis), BilinearResize2D,
AdaptiveAvgPooling2D, smooth_l1, div_sqrt_dim, arange_like, boolean_mask, index_copy,
MultiBoxPrior, box_iou (and the
golden cases of index_array and quadratic, whose own tests are in test_index_array_quadratic.py).

MXNet 1.9.1 golden values come from tools/gen_ops_missing_fixtures.py; the NumPy references below
are written independently (per-element loops where the operator is a vectorised formula).
Gradients in float64 are in the operator sweep (tests/ops/op_cases.py) and below.
"""
import json
import math
import warnings

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.base import MXNetError
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops._golden import Golden

GOLD = Golden('ops_missing')
RNG = np.random.RandomState(3)


@pytest.mark.parametrize('case', GOLD.cases, ids=Golden.ids(GOLD.cases))
def test_mxnet_golden_outputs_and_gradients(case):
    GOLD.check_outputs_and_gradients(case, grad_atol=1e-6)


@pytest.mark.parametrize('case', GOLD.sym_cases, ids=Golden.ids(GOLD.sym_cases))
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


def test_contrib_namespaces_and_json_round_trip():
    assert nd.contrib.BilinearResize2D is not None and sym.contrib.AdaptiveAvgPooling2D is not None
    resized = sym.contrib.BilinearResize2D(sym.var('x'), height=6, width=4)
    out = sym.contrib.AdaptiveAvgPooling2D(resized, output_size=(3, 2))
    again = sym.load_json(out.tojson())
    assert [n['op'] for n in json.loads(again.tojson())['nodes']][1:] == [
        '_contrib_BilinearResize2D', '_contrib_AdaptiveAvgPooling2D']
    x = RNG.uniform(-1, 1, (1, 2, 3, 5)).astype('f')
    got = CachedOp(again)(nd.array(x))[0]
    resized = nd.contrib.BilinearResize2D(nd.array(x), height=6, width=4)
    want = nd.contrib.AdaptiveAvgPooling2D(resized, output_size=(3, 2))
    assert_almost_equal(got, want, rtol=1e-6, atol=1e-7)
    assert out.infer_shape(x=(1, 2, 3, 5))[1] == [(1, 2, 3, 2)]


# -- NumPy references -----------------------------------------------------------------------------

def test_depth_to_space_reference_and_round_trip():
    x = np.arange(2 * 8 * 2 * 3, dtype='f').reshape(2, 8, 2, 3)
    b, want = 2, np.zeros((2, 2, 4, 6), 'f')
    # MXNet's order: input channel (i*b + j)*C' + c feeds output pixel (h*b + i, w*b + j)
    for n, c, h, w in np.ndindex(*want.shape):
        i, j = h % b, w % b
        want[n, c, h, w] = x[n, (i * b + j) * 2 + c, h // b, w // b]
    got = nd.depth_to_space(nd.array(x), 2)
    assert_almost_equal(got, want, rtol=0, atol=0)
    assert_almost_equal(nd.space_to_depth(got, block_size=2), x, rtol=0, atol=0)
    ints = nd.array(x, dtype='int32')
    assert nd.depth_to_space(ints, 2).dtype == np.int32


def _bilinear_reference(x, out_h, out_w, align):
    h, w = x.shape[-2:]

    def src(i, n_in, n_out):
        if n_out == 1:
            return 0.0
        if align:
            return i * (n_in - 1) / (n_out - 1)
        return max((i + 0.5) * n_in / n_out - 0.5, 0.0)

    out = np.zeros(x.shape[:2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            y, z = src(i, h, out_h), src(j, w, out_w)
            y0, z0 = min(int(y), h - 1), min(int(z), w - 1)
            y1, z1 = min(y0 + 1, h - 1), min(z0 + 1, w - 1)
            dy, dz = y - y0, z - z0
            out[..., i, j] = ((1 - dy) * ((1 - dz) * x[..., y0, z0] + dz * x[..., y0, z1])
                              + dy * ((1 - dz) * x[..., y1, z0] + dz * x[..., y1, z1]))
    return out


@pytest.mark.parametrize('size,align', [((5, 7), True), ((5, 7), False), ((2, 3), False),
                                        ((1, 1), True), ((4, 4), True)])
def test_bilinear_resize_reference_and_gradient(size, align):
    x = RNG.uniform(-1, 1, (2, 3, 4, 4))
    got = nd.contrib.BilinearResize2D(nd.array(x, dtype='float64'), height=size[0], width=size[1],
                                      align_corners=align)
    want = _bilinear_reference(x, size[0], size[1], align)
    assert_almost_equal(got, want, rtol=1e-12, atol=1e-12)
    check_gradient(lambda a: nd.contrib.BilinearResize2D(a, height=size[0], width=size[1],
                                                         align_corners=align), [x])


def test_bilinear_resize_like_mode_and_dtypes():
    x, like = RNG.uniform(-1, 1, (1, 2, 3, 3)), nd.zeros((5, 1, 4, 6))
    out = nd.contrib.BilinearResize2D(nd.array(x, dtype='float16'), like, mode='like')
    assert out.shape == (1, 2, 4, 6) and out.dtype == np.float16
    check_gradient(lambda a, b: nd.contrib.BilinearResize2D(a, b, mode='like'),
                   [x, np.zeros((1, 1, 4, 6))], wrt=[0])


def test_adaptive_avg_pooling_reference():
    x = RNG.uniform(-1, 1, (2, 3, 5, 7))
    for size, (oh, ow) in (((3, 2), (3, 2)), (4, (4, 4)), ((), (1, 1)), ((6, 9), (6, 9))):
        want = np.zeros((2, 3, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r0, r1 = (i * 5) // oh, math.ceil((i + 1) * 5 / oh)
                c0, c1 = (j * 7) // ow, math.ceil((j + 1) * 7 / ow)
                want[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
        got = nd.contrib.AdaptiveAvgPooling2D(nd.array(x, dtype='float64'), output_size=size)
        assert_almost_equal(got, want, rtol=1e-12, atol=1e-12)
    check_gradient(lambda a: nd.contrib.AdaptiveAvgPooling2D(a, output_size=(3, 2)), [x])


@pytest.mark.parametrize('shape,kw', [((4,), {'k': 0}), ((3,), {'k': -2}), ((3, 4), {'k': 2}),
                                      ((3, 4), {'k': -3}), ((2, 3, 4), {'axis1': 2, 'axis2': 0}),
                                      ((2, 3, 4, 3), {'k': -1, 'axis1': -1, 'axis2': 1})])
def test_diag_reference_and_gradient(shape, kw):
    x = RNG.uniform(-1, 1, shape)
    got = nd.diag(nd.array(x, dtype='float64'), **kw)
    if len(shape) == 1:
        want = np.diag(x, kw['k'])
    else:
        want = np.diagonal(x, kw.get('k', 0), kw.get('axis1', 0), kw.get('axis2', 1))
    assert_almost_equal(got, want, rtol=0, atol=0)
    check_gradient(lambda a: nd.diag(a, **kw), [x])


def test_smooth_l1_reference_and_gradient():
    x = np.array([-2.0, -0.7, -0.2, 0.1, 0.3, 0.6, 1.4])
    for sigma in (1.0, 1.5, 3.0):
        want = [0.5 * (sigma * v) ** 2 if abs(v) < 1 / sigma ** 2 else abs(v) - 0.5 / sigma ** 2
                for v in x]
        got = nd.smooth_l1(nd.array(x, dtype='float64'), scalar=sigma)
        assert_almost_equal(got, np.array(want), rtol=1e-12, atol=1e-12)
        check_gradient(lambda a: nd.smooth_l1(a, scalar=sigma), [x])


def test_split_v2_and_moveaxis_against_numpy():
    x = RNG.uniform(-1, 1, (4, 6))
    for arg, axis in ((3, 1), ((1, 4), 1), ((2,), 0), (4, 0)):
        got = nd.split_v2(nd.array(x, dtype='float64'), arg, axis=axis)
        want = np.split(x, arg if isinstance(arg, int) else list(arg), axis=axis)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_almost_equal(g, w, rtol=0, atol=0)
    squeezed = nd.split_v2(nd.array(x), 4, axis=0, squeeze_axis=True)
    assert [p.shape for p in squeezed] == [(6,)] * 4
    check_gradient(lambda a: nd.split_v2(a, (1, 4), axis=1), [x])
    y = RNG.uniform(-1, 1, (2, 3, 4, 5))
    for src, dst in ((0, -1), ([0, 1], [-1, -2]), ((3, 0), (1, 2))):
        assert_almost_equal(nd.moveaxis(nd.array(y, dtype='float64'), src, dst),
                            np.moveaxis(y, src, dst), rtol=0, atol=0)


def test_boolean_mask_index_copy_arange_like_div_sqrt_dim_against_numpy():
    x = RNG.uniform(-1, 1, (4, 3, 2))
    mask = np.array([1, 0, 1])
    got = nd.contrib.boolean_mask(nd.array(x, dtype='float64'), nd.array(mask), axis=1)
    assert_almost_equal(got, np.compress(mask, x, axis=1), rtol=0, atol=0)
    check_gradient(lambda a, m: nd.contrib.boolean_mask(a, m, axis=1), [x, mask], wrt=[0])
    empty = nd.contrib.boolean_mask(nd.array(x), nd.zeros((4,)))
    assert empty.shape == (0, 3, 2)

    old, new, idx = RNG.uniform(-1, 1, (5, 2)), RNG.uniform(-1, 1, (2, 2)), np.array([3, 0])
    want = old.copy()
    want[idx] = new
    got = nd.contrib.index_copy(nd.array(old, dtype='float64'), nd.array(idx),
                                nd.array(new, dtype='float64'))
    assert_almost_equal(got, want, rtol=0, atol=0)
    check_gradient(lambda a, i, b: nd.contrib.index_copy(a, i, b), [old, idx, new], wrt=[0, 2])

    base = nd.zeros((2, 3), dtype='float64')
    assert_almost_equal(nd.contrib.arange_like(base, start=2, step=0.5, repeat=2),
                        (2 + 0.5 * (np.arange(6) // 2)).reshape(2, 3), rtol=0, atol=0)
    assert nd.contrib.arange_like(base, axis=0).shape == (2,)
    assert nd.contrib.arange_like(base).dtype == np.float64

    z = RNG.uniform(-1, 1, (2, 3, 9))
    assert_almost_equal(nd.contrib.div_sqrt_dim(nd.array(z, dtype='float64')), z / 3.0,
                        rtol=1e-15, atol=0)


def test_boolean_mask_in_a_hybridized_graph():
    from minigluon.block import HybridBlock

    class Masked(HybridBlock):
        def hybrid_forward(self, F, x, m):
            return F.contrib.boolean_mask(x * 2, m) + 1

    net = Masked()
    x = nd.array(RNG.uniform(-1, 1, (4, 3)))
    eager = [net(x, nd.array(m)) for m in ([1, 0, 1, 1], [0, 1, 0, 0])]
    net.hybridize()
    for m, want in zip(([1, 0, 1, 1], [0, 1, 0, 0]), eager):
        x.attach_grad()
        with autograd.record():
            got = net(x, nd.array(m))
        got.backward()
        assert got.shape == want.shape
        assert_almost_equal(got, want, rtol=0, atol=0)
        assert_almost_equal(x.grad, 2 * np.array(m, 'f')[:, None] * np.ones((4, 3), 'f'))
    graph = sym.contrib.boolean_mask(sym.var('x'), sym.var('m'))
    arg_shapes, out_shapes, _ = graph.infer_shape_partial(x=(4, 3))
    assert out_shapes == [(0, 3)] and arg_shapes == [(4, 3), (4,)]


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('call,err,match', [
    (lambda: nd.depth_to_space(nd.zeros((1, 6, 2, 2)), 2), ValueError, 'block_size'),
    (lambda: nd.depth_to_space(nd.zeros((6, 2, 2)), 2), ValueError, '4-dimensional'),
    (lambda: nd.space_to_depth(nd.zeros((1, 1, 3, 4)), 2), ValueError, 'divisible'),
    (lambda: nd.space_to_depth(nd.zeros((1, 1, 4, 4)), 0), ValueError, 'block_size'),
    (lambda: nd.diag(nd.zeros((3, 4)), k=5), ValueError, 'k=5'),
    (lambda: nd.diag(nd.zeros((3, 4)), axis1=1, axis2=-1), ValueError, 'axis1 and axis2'),
    (lambda: nd.diag(nd.zeros((3, 4)), axis2=2), ValueError, 'axis2'),
    (lambda: nd.split_v2(nd.zeros((3, 4)), 3, axis=1), ValueError, 'equal'),
    (lambda: nd.split_v2(nd.zeros((3, 4)), (1, 6), axis=1), ValueError, 'split points'),
    (lambda: nd.split_v2(nd.zeros((3, 4)), (3, 1), axis=1), ValueError, 'split points'),
    (lambda: nd.split_v2(nd.zeros((3, 4)), 1.5), TypeError, 'indices_or_sections'),
    (lambda: nd.split_v2(nd.zeros((4, 3)), 2, squeeze_axis=True), ValueError, 'squeeze_axis'),
    (lambda: nd.moveaxis(nd.zeros((3, 4)), 2, 0), ValueError, 'source'),
    (lambda: nd.moveaxis(nd.zeros((3, 4)), [0, 1], [1]), ValueError, 'same number'),
    (lambda: nd.contrib.BilinearResize2D(nd.zeros((1, 1, 4, 4)), scale_height=2.0), ValueError,
     'scale_width'),
    (lambda: nd.contrib.BilinearResize2D(nd.zeros((1, 1, 4, 4)), mode='odd_scale'), ValueError,
     'odd_scale'),
    (lambda: nd.contrib.BilinearResize2D(nd.zeros((1, 4, 4)), height=2), ValueError,
     '4-dimensional'),
    (lambda: nd.contrib.BilinearResize2D(nd.zeros((1, 1, 4, 4)), height=0), ValueError, 'positive'),
    (lambda: nd.contrib.BilinearResize2D(nd.zeros((1, 1, 4, 4), dtype='int32'), height=2),
     TypeError, 'floating'),
    (lambda: nd.contrib.BilinearResize2D(nd.zeros((1, 1, 4, 4)), mode='nearest'), ValueError,
     'mode'),
    (lambda: nd.contrib.AdaptiveAvgPooling2D(nd.zeros((1, 1, 4, 4)), output_size=(1, 2, 3)),
     ValueError, 'output_size'),
    (lambda: nd.contrib.AdaptiveAvgPooling2D(nd.zeros((4, 4)), output_size=2), ValueError,
     '4-dimensional'),
    (lambda: nd.contrib.boolean_mask(nd.zeros((4, 3)), nd.zeros((3,))), ValueError, "'index'"),
    (lambda: nd.contrib.index_copy(nd.zeros((4, 3)), nd.array([0, 4]), nd.zeros((2, 3))),
     IndexError, 'index_vector'),
    (lambda: nd.contrib.index_copy(nd.zeros((4, 3)), nd.array([0]), nd.zeros((1, 2))),
     ValueError, 'new_tensor'),
    (lambda: nd.contrib.arange_like(nd.zeros((4, 3)), repeat=0), ValueError, 'repeat'),
    (lambda: nd.contrib.div_sqrt_dim(nd.array(2.0)), ValueError, 'at least 1'),
])
def test_bad_input_raises_a_clear_error(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_bad_symbol_input_names_the_node():
    bad = sym.depth_to_space(sym.var('x'), block_size=2)
    with pytest.raises(MXNetError, match='depth_to_space'):
        bad.infer_shape(x=(1, 3, 2, 2))


def test_resize_and_adaptive_pooling_keep_nan_and_inf_local():
    # MXNet 1.9.1 reads only the 2x2 neighbours (the pooling window) of each output, so a NaN or
    # inf pixel spoils only the outputs that read it, not whole rows and columns.
    x = RNG.uniform(-1, 1, (1, 2, 5, 6))
    x[0, 0, 1, 2], x[0, 1, 4, 0] = np.nan, np.inf
    for size, align in (((4, 7), True), ((3, 9), False), ((10, 3), True)):
        with warnings.catch_warnings():
            warnings.simplefilter('error')      # a NaN from inf * 0 is expected, not warned about
            got = nd.contrib.BilinearResize2D(nd.array(x, dtype='float64'), height=size[0],
                                              width=size[1], align_corners=align).asnumpy()
        with np.errstate(invalid='ignore'):
            want = _bilinear_reference(x, size[0], size[1], align)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
        assert np.isfinite(got).any(axis=(-2, -1)).all()
    got = nd.contrib.AdaptiveAvgPooling2D(nd.array(x, dtype='float32'), output_size=(2, 3))
    want = np.zeros((1, 2, 2, 3))
    for i in range(2):
        for j in range(3):
            r0, r1 = (i * 5) // 2, math.ceil((i + 1) * 5 / 2)
            c0, c1 = (j * 6) // 3, math.ceil((j + 1) * 6 / 3)
            want[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-6, equal_nan=True)
    assert np.isfinite(got.asnumpy()).sum() == 10     # one window per bad pixel


def test_smooth_l1_sigma_zero_and_div_sqrt_dim_of_an_empty_axis():
    # sigma = 0 puts every x inside the quadratic part with weight 0: f = 0, f' = 0 (MXNet 1.9.1)
    x = nd.array(RNG.uniform(-3, 3, (4, 3)))
    x.attach_grad()
    with autograd.record():
        y = nd.smooth_l1(x, scalar=0.0)
    y.backward()
    assert_almost_equal(y, np.zeros((4, 3)), rtol=0, atol=0)
    assert_almost_equal(x.grad, np.zeros((4, 3)), rtol=0, atol=0)
    assert nd.contrib.div_sqrt_dim(nd.zeros((2, 0))).shape == (2, 0)


def test_float_tuple_attributes_are_written_as_given():
    # MXNet writes str() of what the caller passed: d2l's ratios=[1, 2, 0.5] stays a list of ints
    node = json.loads(sym.contrib.MultiBoxPrior(sym.var('x'), sizes=0.5, ratios=[1, 2]).tojson())
    assert node['nodes'][1]['attrs'] == {'sizes': '0.5', 'ratios': '[1, 2]'}
    node = json.loads(sym.image.normalize(sym.var('x'), mean=(1, 2.5, 3), std=2).tojson())
    assert node['nodes'][1]['attrs'] == {'mean': '(1, 2.5, 3)', 'std': '2'}
    again = sym.load_json(sym.image.normalize(sym.var('x'), mean=(1, 2.5, 3)).tojson())
    assert json.loads(again.tojson())['nodes'][1]['attrs'] == {'mean': '(1, 2.5, 3)'}


def test_multibox_prior_and_box_iou_refuse_bad_input():
    with pytest.raises(ValueError, match='MultiBoxPrior: data must be 4-d'):
        nd.contrib.MultiBoxPrior(nd.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match='ratios must be a non-empty tuple of positive'):
        nd.contrib.MultiBoxPrior(nd.zeros((1, 1, 2, 2)), ratios=(0, 1))
    with pytest.raises(ValueError, match='steps must hold two values'):
        nd.contrib.MultiBoxPrior(nd.zeros((1, 1, 2, 2)), steps=(0.1,))
    with pytest.raises(ValueError, match='box_iou: the last axis of lhs and rhs'):
        nd.contrib.box_iou(nd.zeros((2, 4)), nd.zeros((2, 3)))
    anchors = nd.contrib.MultiBoxPrior(nd.zeros((1, 1, 3, 2)), sizes=(0.5, 0.2), ratios=(1, 2))
    assert anchors.shape == (1, 3 * 2 * 3, 4) and anchors.dtype == np.float32


def test_svm_output_refuses_labels_it_cannot_use():
    data = nd.array(np.zeros((2, 3), np.float32))
    with pytest.raises(MXNetError, match=r'label must have the shape of data without its last'):
        nd.SVMOutput(data, nd.array([0, 1, 2]))
    with pytest.raises(MXNetError, match=r'class index in \[0, 3\)'):
        nd.SVMOutput(data, nd.array([0, 3]))       # MXNet: a row without a true class
    with pytest.raises(MXNetError, match=r'class index in \[0, 3\)'):
        nd.SVMOutput(data, nd.array([-1, 0]))


def test_fill_element_0index_builds_a_symbol_and_refuses_bad_indices():
    # MXNet 1.9.1 cannot compose this symbol ("Not enough argument"); here it is an ordinary node
    s = sym.fill_element_0index(sym.var('lhs'), sym.var('mhs'), sym.var('rhs'))
    assert s.list_arguments() == ['lhs', 'mhs', 'rhs']
    out, = CachedOp(s)(nd.zeros((2, 3)), nd.array([5, 6]), nd.array([1, 2]))
    assert out.asnumpy().tolist() == [[0, 5, 0], [0, 0, 6]]
    with pytest.raises(MXNetError, match=r'column index in \[0, 3\)'):     # MXNet skips the row
        nd.fill_element_0index(nd.zeros((2, 3)), nd.array([5, 6]), nd.array([1, 3]))
    with pytest.raises(MXNetError, match=r'lhs must be \(N, M\)'):
        nd.fill_element_0index(nd.zeros((2, 3)), nd.array([5]), nd.array([1, 2]))
