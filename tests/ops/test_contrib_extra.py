"""The contrib operators added for legacy scripts: ``adamw_update`` / ``mp_adamw_update``
(``_adamw_update`` / ``_mp_adamw_update``), ``allclose``, ``round_ste``, ``sign_ste``,
``gradientmultiplier`` and ``rand_zipfian``, in ``nd.contrib`` and ``sym.contrib``.

Expected values marked "measured" come from MXNet 1.9.1 (/opt/mxvenv) with the same inputs;
golden outputs, gradients and JSON of the estimators, the multiplier and allclose are also in
tests/fixtures/ops_missing (tools/gen_ops_missing_fixtures.py), and their eager/graph equality in
the operator sweep (tests/ops/op_cases.py).
"""
import json
import math

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd, sym
from minigluon.executor import CachedOp


def _adam_arrays(dtype='float32'):
    rs = np.random.RandomState(0)
    w, g = rs.randn(5).astype('float32'), rs.randn(5).astype('float32')
    m, v = rs.rand(5).astype('float32'), rs.rand(5).astype('float32')
    return [nd.array(a, dtype=dtype) for a in (w, g, m, v)]


def _f32(values):
    return np.array(values, dtype=np.float32)


# rescale_grad, attributes -> new weight, mean, var: measured on MXNet 1.9.1, float32 bit for bit
ADAMW = [
    (1.0, dict(lr=0.1, eta=0.5, wd=0.01),
     [1.651601791381836, 0.20160910487174988, 0.9466466903686523, 2.1830334663391113, 1.8525898456573486],
     [0.614824652671814, 0.5710142850875854, 0.49610432982444763, 0.8227150440216064, 0.10499231517314911],
     [0.08799723535776138, 0.021100834012031555, 0.8318101167678833, 0.7773892879486084, 0.869310736656189]),
    (2.0, dict(lr=0.1, eta=0.5, wd=0.01),
     [1.669459342956543, 0.18233703076839447, 0.9474775791168213, 2.183619737625122, 1.8503901958465576],
     [0.5170968770980835, 0.6660231351852417, 0.4809686243534088, 0.8123931884765625, 0.14605218172073364],
     [0.09086241573095322, 0.023808803409337997, 0.8318788409233093, 0.777421236038208, 0.8698165416717529]),
    ('nd', dict(lr=0.1, eta=0.5, wd=0.01),           # rescale_grad nd.array([0.5])
     [1.6429076194763184, 0.21499833464622498, 0.9462315440177917, 2.1827404499053955, 1.8536903858184814],
     [0.663688600063324, 0.5235098600387573, 0.503672182559967, 0.8278760313987732, 0.08446238189935684],
     [0.08728093653917313, 0.02042384073138237, 0.831792950630188, 0.7773813009262085, 0.8691843152046204]),
    (1.0, dict(lr=0.1, eta=1.0, clip_gradient=0.0),    # clip 0 clips every gradient to 0
     [1.5225329399108887, 0.06522589921951294, 0.9226824641227722, 2.146411418914795, 1.8607003688812256],
     [0.7125524878501892, 0.4760054051876068, 0.5112400650978088, 0.8330369591712952, 0.06393244862556458],
     None),
    (1.0, dict(lr=0.1, eta=1.0, clip_gradient=0.3),
     [1.5328210592269897, 0.044907599687576294, 0.9243427515029907, 2.147582769393921, 1.85748291015625],
     [0.6825524568557739, 0.5060054063796997, 0.49610432982444763, 0.8227150440216064, 0.09393245726823807],
     None),
]


@pytest.mark.parametrize('rescale, attrs, want_w, want_m, want_v', ADAMW)
def test_adamw_update_equals_mxnet_bit_for_bit(rescale, attrs, want_w, want_m, want_v):
    w, g, m, v = _adam_arrays()
    g_before, w_before = g.asnumpy().copy(), w.asnumpy().copy()
    rescale = nd.array([0.5]) if rescale == 'nd' else rescale
    out = nd.contrib.adamw_update(w, g, m, v, rescale, **attrs)
    assert out.dtype == np.float32 and np.array_equal(out.asnumpy(), _f32(want_w))
    assert np.array_equal(m.asnumpy(), _f32(want_m))
    if want_v is not None:
        assert np.array_equal(v.asnumpy(), _f32(want_v))
    assert np.array_equal(w.asnumpy(), w_before)         # no out=: the weight is not written
    assert np.array_equal(g.asnumpy(), g_before)         # MXNet overwrites it with rescale*grad


def test_adamw_update_out_and_other_dtypes():
    w, g, m, v = _adam_arrays()
    nd.contrib.adamw_update(w, g, m, v, 2.0, lr=0.1, eta=0.5, wd=0.01, out=w)
    assert np.array_equal(w.asnumpy(), _f32(ADAMW[1][2]))
    # float64 and float16 (measured on MXNet 1.9.1; scalars are float32 values in both)
    attrs = dict(lr=0.1, eta=0.7, wd=0.1)
    w, g, m, v = _adam_arrays('float64')
    out = nd.contrib.adamw_update(w, g, m, v, 1.5, beta1=0.8, beta2=0.9, epsilon=1e-3, **attrs)
    np.testing.assert_allclose(out.asnumpy(), [1.596678753929843, 0.26699633309961046, 0.8773018850290626,
                                               2.02485495748597, 1.7229372557352964], rtol=1e-14)
    np.testing.assert_allclose(m.asnumpy(), [0.3401966960149032, 0.7081424427480965, 0.4090284829745334,
                                             0.7095116803696744, 0.1800083929912839], rtol=1e-14)
    w, g, m, v = _adam_arrays('float16')
    out = nd.contrib.adamw_update(w, g, m, v, 1.5, **attrs)
    assert out.dtype == np.float16
    assert out.asnumpy().tolist() == [1.5078125, 0.081787109375, 0.87255859375, 2.01953125, 1.7265625]
    assert m.asnumpy().tolist() == [0.56591796875, 0.6181640625, 0.488525390625, 0.8173828125,
                                    0.12548828125]


def test_mp_adamw_update_equals_mxnet():
    w, g, m, v = _adam_arrays()
    w32 = w.copy()
    out = nd.contrib.mp_adamw_update(w.astype('float16'), g.astype('float16'), m, v, w32, 2.0,
                                     lr=0.1, eta=0.5, wd=0.01)
    # measured on MXNet 1.9.1
    assert out.dtype == np.float16
    assert out.asnumpy().tolist() == [1.669921875, 0.182373046875, 0.947265625, 2.18359375, 1.8505859375]
    assert np.array_equal(w32.asnumpy(), _f32([1.6694508790969849, 0.18233375251293182, 0.9474776983261108,
                                               2.183619737625122, 1.8503897190093994]))
    assert np.array_equal(m.asnumpy(), _f32([0.5171422958374023, 0.6660445332527161, 0.48096662759780884,
                                             0.8123948574066162, 0.14606137573719025]))
    assert np.array_equal(v.asnumpy(), _f32([0.09086064249277115, 0.023809615522623062, 0.8318789005279541,
                                             0.777421236038208, 0.8698166608810425]))


@pytest.mark.parametrize('rescale', [float('nan'), 0.0, float('inf'), nd.array([np.nan])])
def test_adamw_skips_the_update_when_rescale_grad_is_not_finite_or_zero(rescale):
    """MXNet leaves weight, mean and var alone and the result unwritten (measured: zeros or
    garbage such as 7.1e-15); here the result is the weight."""
    w, g, m, v = _adam_arrays()
    before = [a.asnumpy().copy() for a in (w, m, v)]
    out = nd.contrib.adamw_update(w, g, m, v, rescale, lr=0.1, eta=1.0)
    assert np.array_equal(out.asnumpy(), before[0])
    for a, b in zip((w, m, v), before):
        assert np.array_equal(a.asnumpy(), b)
    w16, w32 = w.astype('float16'), w.copy()
    out = nd.contrib.mp_adamw_update(w16, g.astype('float16'), m, v, w32, rescale, lr=0.1, eta=1.0)
    assert np.array_equal(out.asnumpy(), w16.asnumpy()) and np.array_equal(w32.asnumpy(), before[0])


def test_adamw_update_errors_name_the_argument():
    w, g, m, v = _adam_arrays()
    with pytest.raises(ValueError, match='rescale_grad must hold one value'):
        nd.contrib.adamw_update(w, g, m, v, nd.array([2.0, 3.0]), lr=0.1, eta=1.0)
    with pytest.raises(ValueError, match='grad must have the shape of weight'):
        nd.contrib.adamw_update(w, g[:4], m, v, 1.0, lr=0.1, eta=1.0)
    with pytest.raises(TypeError, match='mean must have'):
        nd.contrib.mp_adamw_update(w.astype('float16'), g.astype('float16'), m.astype('float16'),
                                   v, w, 1.0, lr=0.1, eta=1.0)
    with pytest.raises(TypeError, match='eta'):
        nd.contrib.adamw_update(w, g, m, v, 1.0, lr=0.1)      # eta is required, as in MXNet


def test_adamw_update_as_a_symbol():
    """MXNet 1.9.1 cannot build this Symbol ("Not enough argument to call operator
    _adamw_update", measured); here it is a node whose mean/var are auxiliary states."""
    names = ['w', 'g', 'm', 'v']
    out = sym.contrib.adamw_update(*[sym.var(n) for n in names], 2.0, lr=0.1, eta=0.5, wd=0.01)
    assert out.list_arguments() == ['w', 'g'] and out.list_auxiliary_states() == ['m', 'v']
    nodes = [n for n in json.loads(out.tojson())['nodes'] if n['op'] != 'null']
    assert [n['op'] for n in nodes] == ['_full', '_adamw_update']
    assert out.infer_shape(w=(5,))[1] == [(5,)]
    arrays = dict(zip(names, _adam_arrays()))
    got = CachedOp(out)(*[arrays[n] for n in out.list_inputs()])[0]
    assert np.array_equal(got.asnumpy(), _f32(ADAMW[1][2]))
    assert np.array_equal(arrays['m'].asnumpy(), _f32(ADAMW[1][3]))      # the states moved
    again = sym.load_json(out.tojson())
    assert json.loads(again.tojson())['nodes'][-1]['attrs']['eta'] == '0.5'
    mp = sym.contrib.mp_adamw_update(*[sym.var(n) for n in names + ['w32', 's']], lr=0.1, eta=1.0)
    assert mp.list_auxiliary_states() == ['m', 'v', 'w32']
    assert mp.infer_type(w='float16')[2] == [np.float32] * 3


# -- allclose ----------------------------------------------------------------------------------------

# a, b, attributes, MXNet 1.9.1's answer (measured)
ALLCLOSE = [
    ([1.0], [1.0 + 1e-9], {}, 1),
    ([1e10, 1e-7], [1.00001e10, 1e-8], {}, 0),
    ([1e10, 1e-8], [1.00001e10, 1e-9], {}, 0),       # NumPy's float64 says True; float32 not
    ([np.nan, 1], [np.nan, 1], {}, 1),                 # equal_nan defaults to True
    ([np.nan, 1], [np.nan, 1], {'equal_nan': False}, 0),
    ([1.0, 2.0], [1.1, 2.0], {'rtol': 0.1}, 1),
    ([1.0, 2.0], [1.1, 2.0], {'atol': 0.05}, 0),
    ([np.inf], [np.inf], {}, 1),
    ([[1.0, 2.0]], [[1.0, 2.0]], {}, 1),
    ([], [], {}, 1),
    ([1.0, 3.0], [1.0, 2.0], {'rtol': 0.5}, 1),
]


@pytest.mark.parametrize('a, b, attrs, want', ALLCLOSE)
def test_allclose_matches_mxnet(a, b, attrs, want):
    out = nd.contrib.allclose(nd.array(a), nd.array(b), **attrs)
    assert out.shape == () and out.dtype == np.uint8 and int(out.asscalar()) == want


def test_allclose_dtypes_infinities_and_errors():
    for dt in ('float64', 'float16', 'int32', 'uint8'):
        assert nd.contrib.allclose(nd.array([1, 2], dtype=dt), nd.array([1, 2], dtype=dt)).asscalar() == 1
    assert nd.contrib.allclose(nd.array([250], dtype='uint8'), nd.array([3], dtype='uint8'),
                               atol=246).asscalar() == 0            # |250 - 3| exactly, no wrap
    # MXNet 1.9.1 answers 1 for both (inf <= atol + rtol*inf); an infinity is close only to itself
    assert nd.contrib.allclose(nd.array([np.inf]), nd.array([-np.inf])).asscalar() == 0
    assert nd.contrib.allclose(nd.array([1.0]), nd.array([np.inf])).asscalar() == 0
    with pytest.raises(ValueError, match='same shape'):
        nd.contrib.allclose(nd.array([1, 2]), nd.array([1]))
    with pytest.raises(TypeError, match='same dtype'):
        nd.contrib.allclose(nd.array([1, 2]), nd.array([1, 2], dtype='float64'))
    out = sym.contrib.allclose(sym.var('a'), sym.var('b'))
    assert out.infer_shape(a=(2, 3))[1] == [()] and out.infer_type(a='float64')[1] == [np.uint8]


# -- straight-through estimators and the gradient multiplier -----------------------------------------

def _grad_of(fn, x, head):
    x = nd.array(x)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward(nd.array(head))
    return y.asnumpy().tolist(), x.grad.asnumpy().tolist()


def test_round_and_sign_ste_pass_the_gradient_through():
    x, head = [1.4, -2.6, 0.5, -0.5, 2.5, 0.0], [1, 2, 3, 4, 5, 6]
    # measured on MXNet 1.9.1
    assert _grad_of(nd.contrib.round_ste, x, head) == ([1.0, -3.0, 1.0, -1.0, 3.0, 0.0],
                                                       [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert _grad_of(nd.contrib.sign_ste, x, head) == ([1.0, -1.0, 1.0, -1.0, 1.0, 0.0],
                                                      [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert _grad_of(nd.round, x, head)[1] == [0.0] * 6
    ints = nd.array([1, -2, 3], dtype='int32')
    assert nd.contrib.round_ste(ints).dtype == np.int32
    assert nd.contrib.sign_ste(ints).asnumpy().tolist() == [1, -1, 1]


def test_gradientmultiplier_scales_only_the_gradient():
    x, head = [1.4, -2.6, 0.5], [1, 2, 3]
    for scalar, want in ((0.5, [0.5, 1.0, 1.5]), (2, [2.0, 4.0, 6.0]), (-3.7, [-3.7, -7.4, -11.1])):
        out, grad = _grad_of(lambda v: nd.contrib.gradientmultiplier(v, scalar=scalar), x, head)
        np.testing.assert_allclose(out, _f32(x))
        np.testing.assert_allclose(grad, _f32(want), rtol=1e-7)
    x16 = nd.array([1.4, -2.6], dtype='float16')
    x16.attach_grad()
    with autograd.record():
        y = nd.contrib.gradientmultiplier(x16, scalar=0.3)
    y.backward()
    assert x16.grad.asnumpy().tolist() == [0.300048828125, 0.300048828125]     # measured
    node = json.loads(sym.contrib.gradientmultiplier(sym.var('x'), scalar=0.5).tojson())['nodes'][1]
    assert node['op'] == '_contrib_gradientmultiplier' and node['attrs'] == {'scalar': '0.5'}


# -- rand_zipfian ------------------------------------------------------------------------------------

def test_rand_zipfian_outputs_and_expected_counts():
    mx.random.seed(3)
    sampled, count_true, count_sampled = nd.contrib.rand_zipfian(nd.array([3, 0, 7]), 4, 5)
    assert sampled.shape == (4,) and sampled.dtype == np.int64
    assert count_true.dtype == np.float64 and count_sampled.shape == (4,)
    # measured on MXNet 1.9.1 (log((k+2)/(k+1)) / log(range_max+1) * num_sampled)
    np.testing.assert_allclose(count_true.asnumpy(), [0.498155148939376, 1.5474112289381663,
                                                      0.26294385530916825], rtol=1e-14)
    k = sampled.asnumpy()
    assert ((0 <= k) & (k < 5)).all()
    np.testing.assert_allclose(count_sampled.asnumpy(), np.log((k + 2.0) / (k + 1.0)) / math.log(6) * 4)
    mx.random.seed(3)
    assert np.array_equal(nd.contrib.rand_zipfian(nd.array([1]), 4, 5)[0].asnumpy(), k)


def test_rand_zipfian_draws_the_log_uniform_distribution():
    """20000 draws over 10 classes: frequencies within 4 standard errors of
    ``log((k+2)/(k+1)) / log(11)`` (MXNet 1.9.1 drew 0.288, 0.166, 0.119, ... with its seed)."""
    mx.random.seed(0)
    n, classes = 20000, 10
    sampled, _, _ = nd.contrib.rand_zipfian(nd.array([3], dtype='int32'), n, classes)
    freq = np.bincount(sampled.asnumpy(), minlength=classes) / n
    p = np.log((np.arange(classes) + 2.0) / (np.arange(classes) + 1.0)) / math.log(classes + 1)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n))


def test_rand_zipfian_symbol_and_errors():
    outs = sym.contrib.rand_zipfian(sym.var('t'), 4, 5)
    got = CachedOp(sym.Group(list(outs)))(nd.array([3]))
    assert [o.dtype for o in got] == [np.int64, np.float64, np.float64]
    np.testing.assert_allclose(got[1].asnumpy(), [0.498155148939376], rtol=1e-14)
    with pytest.raises(ValueError, match='num_sampled must be a positive int'):
        nd.contrib.rand_zipfian(nd.array([1]), 0, 5)
    with pytest.raises(TypeError, match='true_classes must be an NDArray'):
        nd.contrib.rand_zipfian([1], 4, 5)
    with pytest.raises(TypeError, match='true_classes must be a Symbol'):
        sym.contrib.rand_zipfian(nd.array([1]), 4, 5)
