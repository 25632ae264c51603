"""Edge cases of CTCLoss and the CTC decoders found by hostile-user testing (regressions)."""

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ctc import beam_search_decode, greedy_decode
from minigluon.loss import CTCLoss
from minigluon.ops.ctc_kernel import ctc_loss_and_grad
from ctc_reference import brute_force_nll, log_softmax


def test_log_space_redo_of_a_short_label_next_to_a_longer_one():
    # Sample 0 underflows (sent to the exact log-space path) and has a shorter label than
    # sample 1: the sub-batch used to keep the whole batch's label width and crash.
    rng = np.random.RandomState(0)
    x = rng.randn(4, 2, 4)
    x[:, 0] *= 2000
    label = np.array([[1, -1, -1], [0, 1, 2]])
    data = nd.array(x, dtype='float64')
    data.attach_grad()
    with autograd.record():
        loss = nd.CTCLoss(data, nd.array(label), blank_label='last')
    loss.backward()
    expected = [brute_force_nll(x[:, 0], [1], 3), brute_force_nll(x[:, 1], [0, 1, 2], 3)]
    np.testing.assert_allclose(loss.asnumpy(), expected, rtol=1e-9)
    assert np.isfinite(data.grad.asnumpy()).all()


@pytest.mark.parametrize('seed', range(40))
def test_scaled_path_agrees_with_log_space_on_mixed_batches(seed):
    rng = np.random.RandomState(seed)
    T, N, C, L = rng.randint(1, 20), rng.randint(1, 5), rng.randint(2, 6), rng.randint(0, 5)
    x = rng.randn(T, N, C) * [1, 50, 300, 1000][seed % 4]
    label_len = rng.randint(0, L + 1, size=N)
    labels = rng.randint(0, C - 1, size=(N, max(L, 1)))
    frames = rng.randint(0, T + 1, size=N)
    fast = ctc_loss_and_grad(np, x, labels, label_len, frames, C - 1)
    exact = ctc_loss_and_grad(np, x, labels, label_len, frames, C - 1, force_log_space=True)
    np.testing.assert_allclose(fast[0], exact[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast[1], exact[1], atol=1e-9)


@pytest.mark.parametrize('hybridize', [False, True])
def test_label_of_width_zero_is_the_empty_label(hybridize):
    rng = np.random.RandomState(1)
    x = rng.randn(3, 5, 4)
    loss_fn = CTCLoss()
    if hybridize:
        loss_fn.hybridize()
    data = nd.array(x, dtype='float64')
    data.attach_grad()
    with autograd.record():
        loss = loss_fn(data, nd.zeros((3, 0)))
    loss.backward()
    lp = log_softmax(x)
    np.testing.assert_allclose(loss.asnumpy(), -lp[:, :, 3].sum(1), rtol=1e-10)
    np.testing.assert_allclose(data.grad.asnumpy(), np.exp(lp) - np.eye(4)[3], atol=1e-10)


def test_label_of_width_zero_blank_first_operator():
    x = np.random.RandomState(2).randn(5, 2, 3)
    loss = nd.CTCLoss(nd.array(x, dtype='float64'), nd.zeros((2, 0)), blank_label='first')
    np.testing.assert_allclose(loss.asnumpy(), -log_softmax(x)[:, :, 0].sum(0), rtol=1e-10)


def test_beam_search_pruning_every_class_keeps_the_best_path():
    x = np.random.RandomState(5).randn(2, 5, 3)
    seqs, scores = beam_search_decode(x, prune_log_prob=10.0)     # above every log-probability
    assert seqs == greedy_decode(x)
    lp = log_softmax(x)
    np.testing.assert_allclose(scores, lp.max(-1).sum(-1), rtol=1e-12)


@pytest.mark.parametrize('decode', [greedy_decode, beam_search_decode])
def test_decoders_reject_an_empty_class_axis(decode):
    with pytest.raises(ValueError, match='at least one class'):
        decode(np.zeros((2, 3, 0)))


def test_block_errors_name_the_blocks_arguments_and_layout():
    from minigluon import gluon, nd
    pred = nd.zeros((2, 5, 4))                      # NTC: T = 5 is axis 1
    label = nd.array([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=r'pred_lengths\[1\] = 9.* \(pred.shape\[1\], the time axis\)'):
        gluon.loss.CTCLoss()(pred, label, nd.array([5, 9]))
    tnc = nd.zeros((5, 2, 4))
    with pytest.raises(ValueError, match=r'pred_lengths\[0\].*pred.shape\[0\], the time axis'):
        gluon.loss.CTCLoss(layout='TNC')(tnc, label, nd.array([6, 5]))


@pytest.mark.parametrize('shape', [(5, 3, 1), (6, 4, 11), (3, 2, 64), (3, 2, 65), (2, 3, 0)])
def test_short_axis_reductions_equal_numpys(shape):
    """ctc_kernel._reduce_last (a running maximum / logical_or over the slices of a short last
    axis, NumPy's own reduction otherwise) gives a.max(-1) / a.any(-1)."""
    from minigluon.ops.ctc_kernel import _reduce_last
    rng = np.random.RandomState(sum(shape))
    a = rng.randn(*shape).astype(np.float32)
    if a.size:
        a.flat[::7] = np.nan
        a.flat[::5] = -np.inf
        a.flat[::11] = np.inf
    b = a > 0.5
    np.testing.assert_array_equal(_reduce_last(np, b, 'any'), b.any(-1))
    if shape[-1]:
        with np.errstate(invalid='ignore'):
            np.testing.assert_array_equal(_reduce_last(np, a, 'max'), a.max(-1))


@pytest.mark.parametrize('mag,dtype,want', [(1e3, np.float32, 1.2452437), (1e6, np.float32, 1.2452437),
                                            (1e8, np.float32, 1.09878), (1e17, np.float64, 1.5040774)])
def test_large_activations_keep_the_log_softmax_normaliser(mag, dtype, want):
    """log softmax = (x - max) - log(sum), the shift first: x - (max + log(sum)) rounds log(sum)
    away at large magnitudes (was 1.27563 at 1e6 and 0 at 1e8 in float32 on the CPU, and a
    gradient whose softmax summed to 2 at 1e17 in float64 in the GPU kernels). The float32 values
    were measured on MXNet 1.9.1; at 1e17 float64 rounds every activation to one of three values,
    where the loss is 1.5040774 (as MXNet's float32 gives)."""
    import shutil
    x = np.array([[[mag, mag, mag - 5]], [[mag, mag, mag]], [[mag - 1, mag, mag]]], dtype=dtype)
    args = (np.array([[1]]), np.array([1]), np.array([3]), 0)
    loss, grad = ctc_loss_and_grad(np, x, *args)
    # the brute-force enumeration over the activations as stored (rounded to the dtype), shifted
    # exactly in float64: the reference the MXNet-measured ``want`` agrees with
    exact = brute_force_nll(x[:, 0].astype(np.float64) - mag, [1], blank=0)
    assert exact == pytest.approx(want, rel=1e-6)
    np.testing.assert_allclose(loss, [exact], rtol=1e-6)
    np.testing.assert_allclose(grad.sum(2), 0, atol=1e-6)
    if shutil.which('cc') or shutil.which('gcc'):       # the GPU kernels' C form
        from cupy_emulation import fakecupy as fake
        kloss, kgrad = ctc_loss_and_grad(fake, fake.asarray(x), *args)
        np.testing.assert_allclose(fake.asnumpy(kloss), [want], rtol=1e-6)
        np.testing.assert_allclose(fake.asnumpy(kgrad), grad, atol=1e-6)
