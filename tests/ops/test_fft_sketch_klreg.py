"""contrib.fft, contrib.ifft, contrib.count_sketch (minigluon/ops/fft.py; GPU-only in MXNet 1.9.1,
so the numbers are checked against direct sums written here and numerical gradients, the graphs
against MXNet's JSON and shape inference) and IdentityAttachKLSparseReg (ops/legacy_extra.py,
against MXNet 1.9.1 steps recorded by tools/gen_legacy_ops_fixtures.py)."""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal, check_gradient

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'legacy_ops')
RNG = np.random.RandomState(11)


def dft(x):
    """The unnormalised DFT of the last axis, summed term by term: y_k = sum_j x_j e^{-2 pi i jk/d}."""
    d = x.shape[-1]
    jk = np.outer(np.arange(d), np.arange(d))
    return np.tensordot(x, np.exp(-2j * np.pi * jk / d), axes=([-1], [0]))


def interleaved(z):
    return np.stack([z.real, z.imag], axis=-1).reshape(z.shape[:-1] + (-1,))


@pytest.mark.parametrize('shape', [(3, 5), (2, 1, 3, 4)])
def test_fft_is_the_interleaved_unnormalised_dft(shape):
    x = RNG.randn(*shape)
    got = nd.contrib.fft(nd.array(x, dtype='float64'))
    assert got.dtype == np.float64 and got.shape == shape[:-1] + (2 * shape[-1],)
    assert_almost_equal(got, interleaved(dft(x)), rtol=1e-12, atol=1e-12)
    # ifft takes the interleaved form back without dividing by d (MXNet's cuFFT convention)
    assert_almost_equal(nd.contrib.ifft(got), shape[-1] * x, rtol=1e-12, atol=1e-11)


def test_ifft_is_the_real_part_of_the_unnormalised_inverse():
    z = RNG.randn(2, 4) + 1j * RNG.randn(2, 4)
    d = 4
    jk = np.outer(np.arange(d), np.arange(d))
    want = (z @ np.exp(2j * np.pi * jk / d)).real     # sum_k z_k e^{+2 pi i jk/d}
    assert_almost_equal(nd.contrib.ifft(nd.array(interleaved(z), dtype='float64')), want,
                        rtol=1e-12, atol=1e-12)


def test_fft_ifft_gradients_and_dtypes():
    check_gradient(lambda a: nd.contrib.fft(a) * nd.array(np.arange(1, 9), dtype='float64'),
                   [RNG.randn(2, 4)], rtol=1e-5, atol=1e-8)
    check_gradient(lambda a: nd.contrib.ifft(a) * nd.array(np.arange(1, 4), dtype='float64'),
                   [RNG.randn(2, 6)], rtol=1e-5, atol=1e-8)
    for dtype in ('float16', 'float32'):
        assert nd.contrib.fft(nd.ones((2, 4), dtype=dtype)).dtype == np.dtype(dtype)
    with pytest.raises(ValueError, match='2-D'):
        nd.contrib.fft(nd.ones((2, 3, 4)))
    with pytest.raises(ValueError, match='even'):
        nd.contrib.ifft(nd.ones((2, 3)))
    with pytest.raises(TypeError, match='floating'):
        nd.contrib.fft(nd.ones((2, 4), dtype='int32'))
    with pytest.raises(ValueError, match='compute_size'):
        nd.contrib.fft(nd.ones((2, 4)), compute_size=0)


def test_count_sketch_documented_example_and_gradient():
    # MXNet's documentation example: out[h[i]] += data[i] * s[i]
    x = nd.array([[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]])
    out = nd.contrib.count_sketch(x, nd.array([[0, 3, 4]]), nd.array([[1, -1, 1]]), out_dim=5)
    assert_almost_equal(out, [[1.2, 0, 0, -2.5, 3.4], [3.2, 0, 0, -5.7, 6.6]])
    # two columns hashed to one output column add up; 4-D data sketches its last axis
    h, s = nd.array([[2, 0, 2, 1]], dtype='float64'), nd.array([[1, -1, -1, 1]], dtype='float64')
    x4 = RNG.randn(2, 1, 3, 4)
    got = nd.contrib.count_sketch(nd.array(x4, dtype='float64'), h, s, out_dim=3)
    want = np.stack([-x4[..., 1], x4[..., 3], x4[..., 0] - x4[..., 2]], axis=-1)
    assert_almost_equal(got, want, rtol=1e-12, atol=1e-12)
    check_gradient(lambda a: nd.contrib.count_sketch(a, h, s, out_dim=3) * 1.5, [x4], wrt=[0])
    with pytest.raises(ValueError, match=r'integers in \[0, out_dim=3\)'):
        nd.contrib.count_sketch(nd.ones((2, 4)), nd.array([[0, 1, 3, 0]]), nd.ones((1, 4)),
                                out_dim=3)
    with pytest.raises(ValueError, match=r'shape \(1, 4\)'):
        nd.contrib.count_sketch(nd.ones((2, 4)), nd.zeros((1, 3)), nd.ones((1, 4)), out_dim=3)


GRAPHS = json.load(open(os.path.join(FIX, 'gpu_only_graphs.json')))


@pytest.mark.parametrize('name', sorted(GRAPHS))
def test_gpu_only_graphs_write_and_infer_as_mxnet(name):
    case = GRAPHS[name]
    graph = sym.load_json(case['json'])
    assert graph.tojson() == case['json']
    arg, out, _ = graph.infer_shape(**{k: tuple(v) for k, v in case['shapes'].items()})
    assert [list(a) for a in arg] == case['arg_shapes'] and [list(o) for o in out] == case['out_shapes']
    # and the graph runs here
    rng = np.random.RandomState(0)
    feeds = [nd.array(rng.randint(0, 2, size=s) if n in ('h', 's') else rng.randn(*s))
             for n, s in zip(graph.list_inputs(), arg)]
    assert CachedOp(graph)(*feeds)[0].shape == tuple(out[0])


KL = np.load(os.path.join(FIX, 'kl.npz'))
KL_ATTRS = dict(penalty=0.01, sparseness_target=0.2, momentum=0.8)


def test_kl_sparse_reg_steps_match_mxnet():
    moving = nd.array(KL['moving_avg'])
    for step in range(3):
        x = nd.array(KL['x%d' % step])
        x.attach_grad()
        with autograd.record():
            y = nd.IdentityAttachKLSparseReg(x, moving, **KL_ATTRS)
        assert_almost_equal(y, KL['out%d' % step])
        y.backward(nd.array(KL['head%d' % step]))
        assert_almost_equal(moving, KL['moving_avg%d' % step], rtol=1e-6, atol=1e-7)
        assert_almost_equal(x.grad, KL['grad%d' % step], rtol=1e-5, atol=1e-6)


def test_kl_sparse_reg_graph_json_and_aux_update_in_a_graph():
    graph = sym.IdentityAttachKLSparseReg(sym.var('x'), name='kl', **KL_ATTRS)
    with open(os.path.join(FIX, 'kl-symbol.json')) as f:
        assert graph.tojson() == f.read()
    assert graph.list_auxiliary_states() == ['kl_moving_avg']
    moving, x = nd.array(KL['moving_avg']), nd.array(KL['x0'])
    x.attach_grad()
    with autograd.record():
        y = CachedOp(graph)(x, moving)[0]
    y.backward(nd.array(KL['head0']))
    assert_almost_equal(moving, KL['moving_avg0'], rtol=1e-6, atol=1e-7)
    assert_almost_equal(x.grad, KL['grad0'], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='2-D'):
        nd.IdentityAttachKLSparseReg(nd.ones((2, 3, 4)), nd.ones(3))
