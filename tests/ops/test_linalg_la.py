"""The ``linalg`` operators (minigluon/ops/linalg_la.py, linalg_tri.py) and the ``nd.linalg`` /
``sym.linalg`` namespaces: MXNet 1.9.1 golden values (tools/gen_linalg_fixtures.py), NumPy
references, hybridization through ``F.linalg``, exported JSON and error cases. Numerical gradients
and eager-vs-graph checks are in the sweep (op_cases.py)."""
import json
import os
import re

import numpy as np
import pytest

import minigluon as mg
from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.block import HybridBlock
from minigluon.test_utils import assert_almost_equal

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'linalg')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)
VALUES = np.load(os.path.join(HERE, 'values.npz'))

MXNET_LINALG = {'det', 'extractdiag', 'extracttrian', 'gelqf', 'gemm', 'gemm2', 'inverse',
                'makediag', 'maketrian', 'potrf', 'potri', 'slogdet', 'sumlogdiag', 'syevd', 'syrk',
                'trmm', 'trsm'}      # dir(mx.nd.linalg) in MXNet 1.9.1


def _spd(rng, *shape):
    m = rng.uniform(-1, 1, size=shape)
    return m @ m.swapaxes(-1, -2) / shape[-1] + np.eye(shape[-1])


@pytest.mark.parametrize('case', CASES, ids=['%s-%s' % (c['name'], c['key']) for c in CASES])
def test_matches_mxnet(case):
    key = case['key']
    arrays = [nd.array(VALUES['%s_in%d' % (key, i)], dtype='float64')
              for i in range(case['n_inputs'])]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        out = getattr(nd.linalg, case['name'])(*arrays, **case['attrs'])
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == case['n_outputs']
    for i, o in enumerate(outs):
        assert o.dtype == np.float64
        assert_almost_equal(o.asnumpy(), VALUES['%s_out%d' % (key, i)], rtol=1e-9, atol=1e-12,
                            names=('minigluon', 'mxnet'))
    if case['grad']:
        autograd.backward(outs, [nd.array(VALUES['%s_head%d' % (key, i)], dtype='float64')
                                 for i in range(len(outs))])
        for i, a in enumerate(arrays):
            assert_almost_equal(a.grad.asnumpy(), VALUES['%s_grad%d' % (key, i)], rtol=1e-8,
                                atol=1e-10, names=('minigluon grad', 'mxnet grad'))


@pytest.mark.parametrize('case', CASES, ids=['%s-%s' % (c['name'], c['key']) for c in CASES])
def test_json_node_matches_mxnet(case):
    names = ['x%d' % i for i in range(case['n_inputs'])]
    out = getattr(sym.linalg, case['name'])(*[sym.var(n) for n in names], **case['attrs'])
    node = json.loads(out.tojson())['nodes'][-1]
    assert node['op'] == case['json_op']
    assert node.get('attrs', {}) == case['json_attrs']
    # MXNet names a sym.linalg.<name> node after the short name: gemm20, potrf3...
    assert re.fullmatch(re.escape(case['name']) + r'\d+', node['name']), node['name']
    assert re.fullmatch(re.escape(case['name']) + r'\d+', case['json_name'])


def test_namespaces_hold_mxnets_functions():
    for ns in (nd.linalg, sym.linalg):
        public = {n for n in dir(ns) if not n.startswith('_') and callable(getattr(ns, n))}
        assert public - {'refresh'} == MXNET_LINALG
    assert nd.linalg.gemm2.__name__ == 'gemm2'
    import minigluon.nd.linalg as nd_linalg  # noqa: F401 -- importable as MXNet's module is
    import minigluon.sym.linalg as sym_linalg  # noqa: F401
    a = sym.var('a')
    assert sym.linalg_potrf(a).name.startswith('linalg_potrf')
    assert json.loads(sym.linalg_potrf(a).tojson())['nodes'][-1]['op'] == '_linalg_potrf'


def test_numpy_references_batched():
    rng = np.random.RandomState(3)
    A, B = _spd(rng, 2, 3, 4, 4), rng.uniform(-1, 1, (2, 3, 4, 5))
    L = np.linalg.cholesky(A)
    assert_almost_equal(nd.linalg.potrf(nd.array(A, dtype='float64')).asnumpy(), L)
    assert_almost_equal(nd.linalg.potri(nd.array(L, dtype='float64')).asnumpy(), np.linalg.inv(A))
    assert_almost_equal(nd.linalg.trsm(nd.array(L, dtype='float64'), nd.array(B, dtype='float64'),
                                       alpha=2.0).asnumpy(), np.linalg.solve(L, 2 * B))
    assert_almost_equal(nd.linalg.trmm(nd.array(A, dtype='float64'), nd.array(B, dtype='float64'),
                                       transpose=True).asnumpy(), np.swapaxes(np.tril(A), -1, -2) @ B)
    assert_almost_equal(nd.linalg.syrk(nd.array(B, dtype='float64'), alpha=0.5).asnumpy(),
                        0.5 * B @ np.swapaxes(B, -1, -2))
    assert_almost_equal(nd.linalg.sumlogdiag(nd.array(L, dtype='float64')).asnumpy(),
                        0.5 * np.linalg.slogdet(A)[1])
    sign, logdet = nd.linalg.slogdet(nd.array(-A[:, :, :3, :3], dtype='float64'))
    assert_almost_equal(sign.asnumpy(), -np.ones((2, 3)))
    assert_almost_equal(nd.linalg.det(nd.array(A, dtype='float64')).asnumpy(), np.linalg.det(A))
    q, l_ = nd.linalg.gelqf(nd.array(B[..., :4, :], dtype='float64'))
    assert_almost_equal(l_.asnumpy() @ q.asnumpy(), B[..., :4, :])
    assert_almost_equal(q.asnumpy() @ np.swapaxes(q.asnumpy(), -1, -2),     # zeros: an atol
                        np.broadcast_to(np.eye(4), (2, 3, 4, 4)), atol=1e-12)
    u, lam = nd.linalg.syevd(nd.array(A, dtype='float64'))
    assert_almost_equal(lam.asnumpy(), np.linalg.eigvalsh(A))
    u = u.asnumpy()
    assert_almost_equal(np.swapaxes(u, -1, -2) @ (lam.asnumpy()[..., None] * u), A)


def test_float32_and_float16_keep_their_dtype():
    A = _spd(np.random.RandomState(0), 3, 3)
    for dtype in ('float32', 'float16'):
        out = nd.linalg.potrf(nd.array(A, dtype=dtype))
        assert out.dtype == np.dtype(dtype)
        assert_almost_equal(out.asnumpy().astype(np.float64), np.linalg.cholesky(A), rtol=1e-2,
                            atol=1e-2)


def test_diag_and_triangle_round_trips():
    A = nd.array(np.arange(16.0).reshape(4, 4))
    for offset in (-2, -1, 0, 1, 3):
        d = nd.linalg.extractdiag(A, offset=offset)
        assert_almost_equal(d.asnumpy(), np.diagonal(A.asnumpy(), offset))
        assert_almost_equal(nd.linalg.makediag(d, offset=offset).asnumpy(),
                            np.diag(np.diagonal(A.asnumpy(), offset), offset))
        for lower in (True, False):
            t = nd.linalg.extracttrian(A, offset=offset, lower=lower)
            back = nd.linalg.maketrian(t, offset=offset, lower=lower).asnumpy()
            keep = np.tril if offset < 0 or (offset == 0 and lower) else np.triu
            assert_almost_equal(back, keep(A.asnumpy(), offset))


class _GP(HybridBlock):
    """A Gaussian-process-style log-likelihood written with F.linalg, as legacy code does."""

    def hybrid_forward(self, F, K, y):
        L = F.linalg.potrf(K)
        alpha = F.linalg.trsm(L, y)
        return F.sum(F.square(alpha)) * 0.5 + F.linalg.sumlogdiag(L)


def test_hybrid_forward_with_F_linalg_and_export(tmp_path):
    rng = np.random.RandomState(1)
    K = nd.array(_spd(rng, 4, 4), dtype='float64')
    y = nd.array(rng.uniform(-1, 1, (4, 2)), dtype='float64')
    net = _GP()
    eager = net(K, y).asnumpy()
    Kn, yn = K.asnumpy(), y.asnumpy()
    want = 0.5 * float((yn * np.linalg.solve(Kn, yn)).sum()) + 0.5 * np.linalg.slogdet(Kn)[1]
    assert_almost_equal(eager.reshape(-1)[0], want)
    net.hybridize()
    K.attach_grad()
    with autograd.record():
        out = net(K, y)
    out.backward()
    assert_almost_equal(out.asnumpy(), eager)
    # d/dK of 0.5 tr(y.T K^-1 y) + 0.5 logdet K = 0.5 (K^-1 - K^-1 y y.T K^-1)
    Ki = np.linalg.inv(Kn)
    assert_almost_equal(K.grad.asnumpy(), 0.5 * (Ki - Ki @ yn @ yn.T @ Ki), rtol=1e-6,
                        atol=1e-9)
    net.export(str(tmp_path / 'gp'))
    with open(str(tmp_path / 'gp-symbol.json')) as f:
        ops = [n['op'] for n in json.load(f)['nodes']]
    assert {'_linalg_potrf', '_linalg_trsm', '_linalg_sumlogdiag'} <= set(ops)


def test_loads_and_runs_mxnets_exported_graph():
    graph = sym.load(os.path.join(HERE, 'gp-symbol.json'))
    ops = [n['op'] for n in json.loads(graph.tojson())['nodes']]
    assert {'_linalg_potrf', '_linalg_trsm', '_linalg_sumlogdiag'} <= set(ops)
    out = graph.eval(K=nd.array(VALUES['gp_K'], dtype='float64'),
                     y=nd.array(VALUES['gp_y'], dtype='float64'))[0]
    assert_almost_equal(out.asnumpy(), VALUES['gp_out'], rtol=1e-10, atol=1e-12)


def test_symbolic_shape_inference():
    a, b = sym.var('a'), sym.var('b')
    _, outs, _ = sym.linalg.potri(sym.linalg.potrf(a)).infer_shape(a=(2, 3, 3))
    assert outs == [(2, 3, 3)]
    _, outs, _ = sym.linalg.slogdet(a).infer_shape(a=(3, 3))
    assert outs == [(1,), (1,)]
    _, outs, _ = sym.linalg.trsm(a, b, rightside=True).infer_shape(a=(3, 3), b=(5, 3))
    assert outs == [(5, 3)]
    _, outs, _ = sym.linalg.maketrian(a, offset=-1).infer_shape(a=(2, 6))
    assert outs == [(2, 4, 4)]


@pytest.mark.parametrize('call, message', [
    (lambda: nd.linalg.potrf(nd.array(np.ones((2, 3)))), 'A must hold square matrices'),
    (lambda: nd.linalg.potrf(nd.array([[1.0, 2.0], [2.0, 1.0]])), 'A must be symmetric positive'),
    (lambda: nd.linalg.potrf(nd.array([1.0, 2.0])), 'A must have at least 2 dimensions'),
    (lambda: nd.linalg.inverse(nd.array(np.ones((3, 3)))), 'A is singular'),
    (lambda: nd.linalg.trsm(nd.array(np.eye(3)), nd.array(np.ones((4, 2)))), 'B (..., n, k)'),
    (lambda: nd.linalg.gemm(nd.array(np.ones((2, 3))), nd.array(np.ones((3, 4))),
                            nd.array(np.ones((2, 5)))), 'C must have the shape'),
    (lambda: nd.linalg.maketrian(nd.array(np.ones(5))), 'triangular length'),
    (lambda: nd.linalg.extractdiag(nd.array(np.ones((3, 3))), offset=3), 'offset=3'),
    (lambda: nd.linalg.gelqf(nd.array(np.ones((4, 3)))), 'm <= n'),
])
def test_errors_name_the_argument(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
    assert '_linalg_' in str(info.value)


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match='A must be a floating-point array'):
        nd.linalg.inverse(nd.array(np.eye(2), dtype='int32'))


def test_gpu_matches_cpu():
    if not mg.backend.cupy_available():
        pytest.skip('CuPy with a CUDA device is not available')
    rng = np.random.RandomState(2)
    A = _spd(rng, 2, 3, 3)
    for name in ('potrf', 'inverse', 'det', 'syevd', 'gelqf'):
        cpu = getattr(nd.linalg, name)(nd.array(A, dtype='float64'))
        gpu = getattr(nd.linalg, name)(nd.array(A, dtype='float64', ctx=mg.gpu(0)))
        for c, g in zip(cpu if isinstance(cpu, list) else [cpu], gpu if isinstance(gpu, list) else [gpu]):
            assert_almost_equal(g.asnumpy(), c.asnumpy(), rtol=1e-9, atol=1e-12)


def test_potrf_and_syevd_read_the_symmetric_part():
    """Documented difference: MXNet reads only the lower triangle of a non-symmetric input; here
    the symmetric part is factored, so the forward is differentiable and its derivative is the
    symmetric gradient MXNet returns (checked against MXNet in test_matches_mxnet)."""
    rng = np.random.RandomState(5)
    S = _spd(rng, 3, 3)
    skew = np.triu(rng.uniform(-0.1, 0.1, (3, 3)), 1)
    A = S + skew - skew.T                 # symmetric part S
    assert_almost_equal(nd.linalg.potrf(nd.array(A, dtype='float64')).asnumpy(),
                        np.linalg.cholesky(S))
    assert_almost_equal(nd.linalg.syevd(nd.array(A, dtype='float64'))[1].asnumpy(),
                        np.linalg.eigvalsh(S))


@pytest.mark.filterwarnings('ignore:invalid value encountered')   # NaN inputs, on purpose
def test_nan_propagates_through_det_slogdet_and_inverse():
    # MXNet 1.9.1 returns NaN for a matrix holding NaN wherever it sits; NumPy's LU reported a NaN
    # pivot as a zero determinant (det 0, logdet -inf) and inverse raised "singular".
    a = np.array([[[np.nan, 1.0], [1.0, 1.0]], [[2.0, 1.0], [1.0, 3.0]],
                  [[1.0, 2.0], [np.nan, 1.0]]], dtype=np.float32)
    det = nd.linalg.det(nd.array(a)).asnumpy()
    assert np.isnan(det[[0, 2]]).all() and det[1] == pytest.approx(5.0)
    sign, logdet = (o.asnumpy() for o in nd.linalg.slogdet(nd.array(a)))
    assert np.isnan(logdet[[0, 2]]).all() and logdet[1] == pytest.approx(np.log(5.0))
    assert np.isnan(sign[[0, 2]]).all() and sign[1] == 1
    inv = nd.linalg.inverse(nd.array(a)).asnumpy()
    assert np.isnan(inv[[0, 2]]).all()
    assert_almost_equal(inv[1], np.linalg.inv(a[1]), rtol=1e-5, atol=1e-6)
