"""Tests of the CTCLoss operator: brute force, gradients, MXNet golden numbers, edge cases, errors."""
import os

import numpy as np
import pytest

from minigluon import autograd, backend, nd
from minigluon.ops.ctc_kernel import ctc_loss_and_grad
from minigluon.test_utils import assert_almost_equal, check_gradient
from ctc_reference import brute_force_nll, log_softmax, nd_ctc as ctc

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ctc', 'ctc_cases.npz')


def random_case(rng, T, C, N, max_len, repeats=False):
    labels = -np.ones((N, max_len))
    lens = rng.randint(0, max_len + 1, size=N)
    for b in range(N):
        labels[b, :lens[b]] = rng.randint(0, min(2, C - 1) if repeats else C - 1, size=lens[b])
    return rng.randn(T, N, C) * 1.5, labels, lens


@pytest.mark.parametrize('seed', range(8))
def test_brute_force_random_labels(seed):
    rng = np.random.RandomState(seed)
    T, C = [(6, 3), (5, 4), (4, 4), (6, 2)][seed % 4]
    x, labels, lens = random_case(rng, T, C, N=3, max_len=3, repeats=seed % 2 == 1)
    frames = rng.randint(max(1, T - 2), T + 1, size=3)
    loss, grad = ctc(x, labels, frames=frames)
    for b in range(3):
        lab = labels[b, :lens[b]].astype(int)
        need = len(lab) + int(np.sum(lab[1:] == lab[:-1]))
        if need > frames[b]:
            assert loss[b] == np.inf and not grad[:, b].any()
        else:
            assert_almost_equal(loss[b], brute_force_nll(x[:frames[b], b], lab, C - 1), rtol=1e-5, atol=1e-5)
            assert not grad[frames[b]:, b].any()


@pytest.mark.parametrize('force_log', [False, True])
def test_fast_and_log_space_paths_agree_with_brute_force(force_log):
    rng = np.random.RandomState(3)
    x, labels, lens = random_case(rng, 5, 3, N=4, max_len=2, repeats=True)
    lab = np.where(labels < 0, 0, labels).astype(np.int64)
    loss, grad = ctc_loss_and_grad(np, x, lab, lens, np.full(4, 5), 2, force_log_space=force_log)
    for b in range(4):
        assert_almost_equal(loss[b], brute_force_nll(x[:, b], lab[b, :lens[b]], 2), rtol=1e-10, atol=1e-10)
    fast = ctc_loss_and_grad(np, x, lab, lens, np.full(4, 5), 2, force_log_space=not force_log)
    assert_almost_equal(grad, fast[1], rtol=1e-9, atol=1e-12)


def test_blank_first_pads_with_zero():
    rng = np.random.RandomState(1)
    x = rng.randn(5, 2, 4)
    loss_first, _ = ctc(x, [[1, 2, 0], [3, 3, 0]], blank_label='first')
    assert_almost_equal(loss_first[0], brute_force_nll(x[:, 0], [1, 2], 0), rtol=1e-6)
    assert_almost_equal(loss_first[1], brute_force_nll(x[:, 1], [3, 3], 0), rtol=1e-6)


@pytest.mark.parametrize('with_lengths', [False, True])
def test_gradient_float64(with_lengths):
    rng = np.random.RandomState(5)
    x = rng.randn(6, 3, 4)
    label = nd.array([[0, 1, 1], [2, -1, -1], [-1, -1, -1]])
    frames = nd.array([6, 4, 3])

    def fn(d):
        if with_lengths:
            return nd.CTCLoss(d, label, frames, use_data_lengths=True, blank_label='last')
        return nd.CTCLoss(d, label, blank_label='last')
    check_gradient(fn, [x], rtol=1e-6, atol=1e-8)


def test_gradient_rows_sum_to_zero_and_head_gradient_scales():
    x = np.random.RandomState(0).randn(4, 2, 4).astype(np.float32)
    data = nd.array(x)
    data.attach_grad()
    with autograd.record():
        loss = nd.CTCLoss(data, nd.array([[0, 1, -1], [2, -1, -1]]), blank_label='last')
    loss.backward(nd.array([2.0, 0.0]))
    _, plain = ctc(x, [[0, 1, -1], [2, -1, -1]])
    g = data.grad.asnumpy()
    assert_almost_equal(g[:, 0], 2 * plain[:, 0], rtol=1e-5, atol=1e-6)
    assert not g[:, 1].any()
    assert_almost_equal(plain.sum(-1), np.zeros((4, 2)), atol=1e-6)


# ---------------------------------------------------------------------------------------------------
# MXNet golden numbers (docs/MXNET_SPEC.md section 7.7 and fixtures made by tools/gen_ctc_fixtures.py)

def test_mxnet_reference_case_a():
    pred = np.array([[[0.1, 0.6, 0.3], [0.5, -0.2, 0.0], [1.0, 0.2, -1.0]]], dtype=np.float32)
    loss, grad = ctc(pred.transpose(1, 0, 2), [[0, 1]])
    assert_almost_equal(loss, np.array([2.111748], np.float32), rtol=1e-5, atol=1e-5)
    expected = np.array([[-0.390035, 0.426013, -0.035977], [-0.163936, 0.050126, 0.113809],
                         [0.631049, -0.673399, 0.04235]], np.float32)
    assert_almost_equal(grad[:, 0], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('label,kw,expected', [
    ([[0, 1, -1], [2, -1, -1]], {}, [2.251522, 5.539857]),
    ([[0, 1, 2], [2, 0, 0]], {'label_lengths': [2, 1]}, [2.251522, 5.539857]),
    ([[0, 1, 0], [2, 0, 0]], {}, [3.274924, 9.346576]),
    ([[0, -1, 1], [2, -1, -1]], {}, [2.243808, 5.539857]),
    ([[-1, -1, -1], [2, -1, -1]], {}, [5.307432, 5.539857]),
    ([[0, 1, -1], [2, -1, -1]], {'frames': [4, 2]}, [2.251522, 1.943054]),
])
def test_mxnet_reference_case_b(label, kw, expected):
    pred = np.random.RandomState(0).randn(2, 4, 4).astype(np.float32)
    loss, _ = ctc(pred.transpose(1, 0, 2), label, **kw)
    assert_almost_equal(loss, np.array(expected, np.float32), rtol=1e-5, atol=1e-5)


def test_mxnet_unit_test_fixture_ones():
    loss, _ = ctc(np.ones((20, 2, 4), np.float32), [[1, 0, -1, -1], [2, 1, 1, -1]])
    assert_almost_equal(loss, np.array([18.82820702, 16.50581741], np.float32), rtol=1e-5)


def test_mxnet_golden_fixture_file():
    cases = np.load(FIXTURES)
    names = sorted({k[:-5] for k in cases.files if k.endswith('_pred')})
    assert len(names) >= 10
    for name in names:
        if name + '_sample_weight' in cases.files:
            continue     # weighting is the Loss block's job (tests/loss)
        pred = cases[name + '_pred'].transpose(1, 0, 2)
        frames = cases[name + '_pred_lengths'] if name + '_pred_lengths' in cases.files else None
        llen = cases[name + '_label_lengths'] if name + '_label_lengths' in cases.files else None
        loss, grad = ctc(pred, cases[name + '_label'], frames=frames, label_lengths=llen)
        assert_almost_equal(loss, cases[name + '_loss'], rtol=1e-4, atol=1e-4, names=(name, 'mxnet'))
        assert_almost_equal(grad.transpose(1, 0, 2), cases[name + '_grad'], rtol=1e-4, atol=1e-4,
                            names=(name, 'mxnet'))


# ---------------------------------------------------------------------------------------------------
# Better than MXNet: infeasible samples, extremes, dtypes

def test_infeasible_sample_is_inf_with_zero_gradient_and_isolated():
    x = np.random.RandomState(2).randn(3, 3, 3)
    labels = [[0, 0, 0], [0, 1, -1], [1, 1, -1]]      # needs 5, 2 and 3 frames
    loss, grad = ctc(x, labels)
    assert loss[0] == np.inf and not grad[:, 0].any()
    alone, alone_grad = ctc(x[:, 1:], labels[1:])
    assert_almost_equal(loss[1:], alone, rtol=1e-12)
    assert_almost_equal(grad[:, 1:], alone_grad, rtol=1e-12)
    zero, zgrad = ctc(x, labels, zero_infinity=True)
    assert zero[0] == 0 and not zgrad[:, 0].any()
    assert_almost_equal(zero[1:], alone, rtol=1e-12)


def test_empty_label_is_blank_log_likelihood():
    x = np.random.RandomState(4).randn(5, 2, 4)
    loss, grad = ctc(x, [[-1, -1], [-1, -1]], frames=[5, 3])
    expected = [-log_softmax(x[:5, 0])[:, 3].sum(), -log_softmax(x[:3, 1])[:, 3].sum()]
    assert_almost_equal(loss, np.array(expected), rtol=1e-12)
    zero_frames, g0 = ctc(x, [[-1, -1], [0, -1]], frames=[0, 0])
    assert zero_frames[0] == 0 and zero_frames[1] == np.inf and not g0.any()


@pytest.mark.parametrize('scale', [30.0, 1e4])
def test_extreme_activations_stay_finite(scale):
    rng = np.random.RandomState(7)
    x = rng.randn(8, 4, 5) * scale
    labels = [[0, 1, 2], [3, 3, -1], [1, -1, -1], [2, 0, 2]]
    loss, grad = ctc(x, labels)
    assert np.isfinite(loss).all() and (loss >= 0).all()
    assert np.isfinite(grad).all()
    lab = np.where(np.array(labels) < 0, 0, labels).astype(np.int64)
    lens = np.array([3, 2, 1, 3])
    exact, exact_grad = ctc_loss_and_grad(np, x, lab, lens, np.full(4, 8), 4, force_log_space=True)
    assert_almost_equal(loss, exact, rtol=1e-9)
    assert_almost_equal(grad, exact_grad, rtol=1e-7, atol=1e-9)


def test_saturated_posteriors_give_zero_loss_and_finite_gradient():
    x = np.full((4, 1, 3), -50.0)
    x[[0, 1, 2, 3], 0, [0, 2, 1, 2]] = 50.0                 # frames say "0 _ 1 _" with certainty
    loss, grad = ctc(x, [[0, 1]])
    assert 0 <= loss[0] < 1e-12
    assert loss[0] == pytest.approx(brute_force_nll(x[:, 0], [0, 1], blank=2), abs=1e-15)
    # d loss / d logits = softmax - the frames' label posteriors: both the same one-hot rows
    assert np.abs(grad).max() < 1e-12


@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_dtypes(dtype):
    x = np.random.RandomState(0).randn(4, 2, 4)
    loss, grad = ctc(x.astype(dtype), [[0, 1, -1], [2, -1, -1]])
    assert loss.dtype == dtype and grad.dtype == dtype
    ref, ref_grad = ctc(x, [[0, 1, -1], [2, -1, -1]])
    tol = {np.float16: 2e-3, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    assert_almost_equal(loss.astype(np.float64), ref, rtol=tol, atol=tol)
    assert_almost_equal(grad.astype(np.float64), ref_grad, rtol=tol * 3, atol=tol * 3)


def test_labels_wider_than_frames_are_fine():
    x = np.random.RandomState(0).randn(3, 2, 4)
    loss, _ = ctc(x, [[0, 1, -1, -1, -1, -1], [2, -1, -1, -1, -1, -1]])
    assert_almost_equal(loss[0], brute_force_nll(x[:, 0], [0, 1], 3), rtol=1e-10)


def test_integer_label_and_aliases():
    x = np.random.RandomState(0).randn(4, 2, 4).astype(np.float32)
    ref = nd.CTCLoss(nd.array(x), nd.array([[0, 1], [2, -1]]), blank_label='last').asnumpy()
    for name in ('ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss'):
        out = getattr(nd, name)(nd.array(x), nd.array([[0, 1], [2, -1]], dtype=np.int32), blank_label='last')
        assert_almost_equal(out, ref)


def test_two_outputs_one_visible():
    from minigluon.ops import get_op
    op = get_op('CTCLoss')(use_data_lengths=True)
    assert op.num_outputs == 2 and op.n_visible == 1
    assert op.list_arguments() == ['data', 'label', 'data_lengths']
    _, out_shapes = op.infer_shape([(5, 2, 4), (2, 3), None])
    assert out_shapes == [(2,), (5, 2, 4)]
    out = nd.CTCLoss(nd.ones((5, 2, 4)), nd.array([[1, 2], [3, 0]]))
    assert out.shape == (2,)


# ---------------------------------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize('data_shape,label,kw,match', [
    ((4, 2), [[0]], {}, 'data must be 3-D'),
    ((4, 2, 0), [[0], [1]], {}, 'alphabet_size'),
    ((4, 2, 3), [0, 1], {}, 'label must be 2-D'),
    ((4, 2, 3), [[0], [1], [0]], {}, 'batch sizes disagree'),
    ((4, 2, 3), [[0, 2], [1, -1]], {}, r'label\[0, 1\] = 2.0 .*\[0, 1\]'),
    ((4, 2, 3), [[0, 1], [5, -1]], {}, r'label\[1, 0\]'),
    ((4, 2, 3), [[0, 0.5], [1, -1]], {}, r'label\[0, 1\]'),
    ((4, 2, 3), [[0, -1], [1, -1]], {'llen': [2, 1]}, r'label\[0, 1\] = -1.0'),
    ((4, 2, 3), [[0, 1], [1, 0]], {'frames': [4, 5]}, r'data_lengths\[1\] = 5.0 .*\[0, 4\]'),
    ((4, 2, 3), [[0, 1], [1, 0]], {'frames': [-1, 2]}, r'data_lengths\[0\]'),
    ((4, 2, 3), [[0, 1], [1, 0]], {'frames': [1.5, 2]}, r'data_lengths\[0\]'),
    ((4, 2, 3), [[0, 1], [1, 0]], {'frames': [1, 2, 3]}, r'data_lengths must have shape'),
    ((4, 2, 3), [[0, 1], [1, 0]], {'llen': [3, 0]}, r'label_lengths\[0\] = 3.0 .*\[0, 2\]'),
])
def test_bad_input_raises_clear_value_error(data_shape, label, kw, match):
    args = [nd.zeros(data_shape), nd.array(label)]
    if 'frames' in kw:
        args.append(nd.array(kw['frames']))
    if 'llen' in kw:
        args.append(nd.array(kw['llen']))
    with pytest.raises(ValueError, match=match):
        nd.CTCLoss(*args, use_data_lengths='frames' in kw, use_label_lengths='llen' in kw, blank_label='last')


def test_blank_first_rejects_blank_label():
    with pytest.raises(ValueError, match=r"blank_label='first'.*\[1, 3\]"):
        nd.CTCLoss(nd.zeros((4, 1, 4)), nd.array([[4, 1]]))


@pytest.mark.skipif(not backend.cupy_available(), reason='CuPy with a CUDA device is not available')
def test_numpy_and_cupy_agree():
    from minigluon.context import gpu
    rng = np.random.RandomState(0)
    x, labels, _ = random_case(rng, 30, 6, N=5, max_len=6, repeats=True)
    ref_loss, ref_grad = ctc(x, labels, frames=[30, 25, 20, 30, 12])
    data = nd.array(x, ctx=gpu(0), dtype=np.float64)
    data.attach_grad()
    with autograd.record():
        loss = nd.CTCLoss(data, nd.array(labels, ctx=gpu(0)), nd.array([30, 25, 20, 30, 12], ctx=gpu(0)),
                          use_data_lengths=True, blank_label='last')
    loss.backward()
    assert_almost_equal(loss.asnumpy(), ref_loss, rtol=1e-10)
    assert_almost_equal(data.grad.asnumpy(), ref_grad, rtol=1e-8, atol=1e-12)


@pytest.mark.skipif(not backend.cupy_available(), reason='CuPy with a CUDA device is not available')
@pytest.mark.parametrize('dtype,blank_label,scale', [(np.float32, 'last', 1.0), (np.float64, 'first', 1.0),
                                                     (np.float32, 'last', 1e4)])
def test_cuda_kernel_edge_cases_match_cpu(dtype, blank_label, scale):
    """The GPU kernel (ops/ctc_cuda.py) on empty labels, an infeasible sample, zero frames, short
    frame counts and saturated activations gives the CPU's loss and gradient."""
    from minigluon.context import cpu, gpu
    rng = np.random.RandomState(1)
    T, N, C = 12, 6, 5
    pad = 0 if blank_label == 'first' else -1
    lo = 1 if blank_label == 'first' else 0
    labels = np.full((N, 6), pad, dtype=np.float64)
    labels[0, :3] = [lo, lo + 1, lo + 2]
    labels[1, :6] = lo                      # six equal labels need 11 frames: infeasible at 8
    labels[3, :2] = [lo + 3, lo + 3]
    labels[4, :4] = [lo, lo + 1, lo, lo + 1]  # (row 2 is empty; row 5 has zero frames)
    frames = np.array([12, 8, 12, 7, 12, 0])
    x = (rng.randn(T, N, C) * scale).astype(dtype)
    out = {}
    for ctx in (cpu(), gpu(0)):
        data = nd.array(x, ctx=ctx, dtype=dtype)
        data.attach_grad()
        with autograd.record():
            loss = nd.CTCLoss(data, nd.array(labels, ctx=ctx), nd.array(frames, ctx=ctx),
                              use_data_lengths=True, blank_label=blank_label)
        loss.backward()
        out[ctx.device_type] = loss.asnumpy(), data.grad.asnumpy()
    (lc, gc), (lg, gg) = out['cpu'], out['gpu']
    assert lg.dtype == lc.dtype and gg.dtype == gc.dtype
    assert lg[1] == np.inf and not gg[:, 1].any()
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert_almost_equal(lg, lc, rtol=tol, atol=tol)
    assert_almost_equal(gg, gc, rtol=tol, atol=tol)


def test_nan_in_one_sample_does_not_leak():
    x = np.random.RandomState(0).randn(6, 3, 4)
    clean, _ = ctc(x, [[0, 1], [1, 2], [2, -1]])
    x[2, 1, 0] = np.nan
    dirty, _ = ctc(x, [[0, 1], [1, 2], [2, -1]])
    assert np.isnan(dirty[1])
    assert_almost_equal(dirty[[0, 2]], clean[[0, 2]], rtol=1e-12)


@pytest.mark.parametrize('N,T,C,L', [(5, 40, 6, 8), (3, 25, 30, 10)])
def test_fast_path_matches_log_space_on_larger_batches(N, T, C, L):
    rng = np.random.RandomState(N)
    x, labels, lens = random_case(rng, T, C, N=N, max_len=L, repeats=C < 10)
    frames = rng.randint(T // 2, T + 1, size=N)
    lab = np.where(labels < 0, 0, labels).astype(np.int64)
    fast = ctc_loss_and_grad(np, x, lab, lens, frames, C - 1)
    exact = ctc_loss_and_grad(np, x, lab, lens, frames, C - 1, force_log_space=True)
    assert_almost_equal(fast[0], exact[0], rtol=1e-10)
    assert_almost_equal(fast[1], exact[1], rtol=1e-8, atol=1e-12)


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, 10**6), st.integers(1, 7), st.integers(2, 5), st.floats(0.1, 60.0))
    def test_property_loss_nonnegative_gradient_finite_rows_sum_to_zero(seed, T, C, scale):
        rng = np.random.RandomState(seed)
        x, labels, lens = random_case(rng, T, C, N=3, max_len=3, repeats=seed % 2 == 0)
        frames = rng.randint(0, T + 1, size=3)
        loss, grad = ctc(x * scale, labels, frames=frames)
        assert (loss >= 0).all() and not np.isnan(loss).any()
        assert np.isfinite(grad).all()
        assert_almost_equal(grad.sum(-1), np.zeros(grad.shape[:2]), atol=1e-9)
        for b in np.nonzero(np.isinf(loss))[0]:
            assert not grad[:, b].any()


def test_label_length_zero_is_blank_log_likelihood():
    # An empty label given through label_lengths (row content ignored), blank first and last.
    x = np.random.RandomState(5).randn(4, 2, 3)
    for blank_label, blank in (('last', 2), ('first', 0)):
        loss, grad = ctc(x, [[1, 1], [1, 0]] if blank_label == 'last' else [[1, 2], [2, 1]],
                         label_lengths=[0, 0], blank_label=blank_label)
        expected = [-log_softmax(x[:, b])[:, blank].sum() for b in range(2)]
        assert_almost_equal(loss, np.array(expected), rtol=1e-12)
        assert np.isfinite(grad).all()
