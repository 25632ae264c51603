"""Regressions found by breaker21b: the CTC loss with large finite activations, and autograd
through copies onto another context. MXNet's numbers come from tools/gen_breaker21b_fixtures.py
(tests/_breaker21b_program.py run on MXNet 1.9.1)."""
import itertools
import os
import shutil
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd

sys.path.insert(0, os.path.dirname(__file__))
import _breaker21b_program as program  # noqa: E402
from _breaker import as_json, kernels, mxnet_fixture, same_json  # noqa: E402,F401


# --- CTC: activations beyond 1e29 --------------------------------------------------------------

def _viterbi_nll(x, label, blank):
    """-log p(label | x) in the limit of huge activations: the cheapest alignment's sum of
    ``max_c x[t, c] - x[t, path_t]``, by enumerating every path of ``x`` (T, C) (float64)."""
    T, C = x.shape
    best = np.inf
    for path in itertools.product(range(C), repeat=T):
        out, prev = [], None
        for c in path:
            if c != prev and c != blank:
                out.append(c)
            prev = c
        if out == list(label):
            best = min(best, sum(x[t].max() - x[t, path[t]] for t in range(T)))
    return best


@pytest.mark.parametrize('scale', ['%g' % s for s in program.CTC_SCALES])
def test_ctc_loss_of_huge_activations_is_finite_as_in_mxnet(scale, kernels):
    """Logits of 1e29 and more (finite float32) gave a loss of +inf and a zero gradient: the
    log-probabilities fell below the log-space recursion's log-0 sentinel (-1e30), so the label
    counted as impossible. MXNet 1.9.1 gives the finite loss (~1.1e30 at scale 1e30), which is
    the cheapest alignment's cost, checked here by enumeration; the gradient is MXNet's."""
    got = as_json(program.ctc_huge_activations(mx)[scale])
    want = mxnet_fixture('breaker21b')['ctc_huge_activations'][scale]
    same_json(got, want, scale, rtol=1e-5, atol=1e-6)
    x = program._ctc_activations(float(scale)).astype(np.float64)
    for b, label in enumerate([[0, 1], [1]]):
        assert got['loss'][b] == pytest.approx(_viterbi_nll(x[b], label, 2), rel=1e-6)


@pytest.mark.skipif(not (shutil.which('cc') or shutil.which('gcc')), reason='no C compiler')
def test_ctc_gpu_kernels_c_form_gives_the_finite_loss_of_huge_activations():
    """The GPU kernels share the sentinel (their C form, run through the CuPy stand-in): the
    same finite loss and gradient as the CPU path at scale 1e30 (was +inf)."""
    from cupy_emulation import fakecupy as fake
    from minigluon.ops.ctc_kernel import ctc_loss_and_grad
    x = np.ascontiguousarray(program._ctc_activations(1e30).transpose(1, 0, 2))
    args = (np.array([[0, 1], [1, 0]]), np.array([2, 1]), np.array([4, 4]), 2)
    loss, grad = ctc_loss_and_grad(np, x, *args)
    kloss, kgrad = ctc_loss_and_grad(fake, fake.asarray(x), *args)
    want = mxnet_fixture('breaker21b')['ctc_huge_activations']['1e+30']['loss']
    np.testing.assert_allclose(loss, want, rtol=1e-6)
    np.testing.assert_allclose(fake.asnumpy(kloss), want, rtol=1e-6)
    np.testing.assert_allclose(fake.asnumpy(kgrad), grad, atol=1e-6)


def test_ctc_loss_in_float64_beyond_float32_range():
    """float64 logits of 1e100: the loss is the cheapest alignment's cost (1e100 times a few),
    not +inf; a label that has no alignment still gives +inf."""
    x = np.random.RandomState(3).randn(3, 2, 3) * 1e100
    loss = nd.CTCLoss(nd.array(x, dtype='float64'), nd.array([[0, -1], [1, 1]]),
                      blank_label='last').asnumpy()
    assert loss[0] == pytest.approx(_viterbi_nll(x[:, 0], [0], 2), rel=1e-9)
    assert np.isfinite(loss[0]) and loss[0] > 1e99
    assert loss[1] == pytest.approx(_viterbi_nll(x[:, 1], [1, 1], 2), rel=1e-9)


# --- autograd through copies onto another context -------------------------------------------

@pytest.mark.parametrize('case', sorted(mxnet_fixture('breaker21b')['copies_across_contexts']))
def test_gradients_through_copies_onto_another_context_match_mxnet(case):
    """``copyto(ctx)``, ``as_in_context(ctx)``, ``copyto`` into an array on another context and
    ``x[:] = y`` across contexts were not recorded: ``backward`` raised (no recorded path) or
    dropped that path's gradient (a cpu(0) -> cpu(1) -> cpu(0) round trip gave [6, 12] where
    MXNet 1.9.1 gives [18, 36]). MXNet records them as ``_copyto``, whose gradient comes back to
    the source's context."""
    got = as_json(program.copies_across_contexts(mx)[case])
    same_json(got, mxnet_fixture('breaker21b')['copies_across_contexts'][case], case)


def test_copy_onto_another_context_adds_with_grad_req_add():
    """Two backward passes through ``as_in_context`` into a ``grad_req='add'`` variable add up
    (3 + 3 = 6 by hand). MXNet 1.9.1 gives 3: its ``_copyto`` backward writes instead of adding
    when it is the only way to the variable (the same fault as for ``copy``; see
    tests/test_autograd_fuzz_regressions.py)."""
    a = nd.array([1.0, 2.0])
    a.attach_grad(grad_req='add')
    for _ in range(2):
        with autograd.record():
            z = (a.as_in_context(mx.cpu(1)) * 3).sum()
        z.backward()
    assert a.grad.asnumpy().tolist() == [6.0, 6.0]


def test_copy_onto_another_context_outside_record_or_without_gradient_is_plain():
    """Outside ``record()`` the copy is a plain array; inside, a copy of an array that wants no
    gradient is no recorded output either (writing into it later is allowed)."""
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    b = a.as_in_context(mx.cpu(1))
    assert b._entry is None and b.context == mx.cpu(1)
    with autograd.record():
        c = nd.array([3.0, 4.0]).copyto(mx.cpu(1))
        c[:] = 7
    assert c._entry is None and c.asnumpy().tolist() == [7.0, 7.0]


# --- CTCLoss: inputs that are not NDArrays ------------------------------------------------------

@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('position,value,name', [
    (4, 3.0, 'sample_weight'), (4, [1.0, 2.0], 'sample_weight'), (2, [3, 3], 'pred_lengths'),
    (3, np.ones(2), 'label_lengths'), (1, [[0], [0]], 'label')])
def test_ctc_block_names_an_input_that_is_not_an_ndarray(position, value, name, hybridize):
    """``CTCLoss()(pred, label, None, None, 3.0)`` (a number as sample_weight) raised
    ``AttributeError: 'float' object has no attribute 'shape'``, a list as label one about
    ``ndim``, and a list as pred_lengths an error about ``data_lengths``, the operator's name;
    the other losses say "sample_weight must be an NDArray". MXNet 1.9.1 fails inside an
    operator (``AssertionError: Argument rhs must have NDArray type``). Now a TypeError names
    the block's argument."""
    loss = mx.gluon.loss.CTCLoss()
    if hybridize:
        loss.hybridize()
    args = [nd.ones((2, 3, 3)), nd.zeros((2, 1)), None, None, None]
    args[position] = value
    with pytest.raises(TypeError, match='CTCLoss: %s must be an NDArray' % name):
        loss(*args)


# --- in-place arithmetic into a plain array while recording -----------------------------------

@pytest.mark.parametrize('op,want', [
    ('*=', lambda x0, y: x0),                    # d sum(x0 * y) / dy
    ('/=', lambda x0, y: -x0 / y ** 2),          # d sum(x0 / y) / dy
    ('+=', lambda x0, y: np.ones_like(y)),
    ('-=', lambda x0, y: -np.ones_like(y))])
def test_inplace_arithmetic_into_a_plain_array_differentiates_the_old_values(op, want):
    """``x *= y`` under ``record()`` with ``x`` a plain array and ``y`` a variable is recorded as
    ``x * y`` written into ``x`` (MXNet 1.9.1 raises instead: "Inplace operations ... are not
    supported when recording"). The recorded product read ``x`` itself, which the write then
    overwrote, so ``y.grad`` was the new ``x`` ([3, 8]) instead of the old one ([1, 2]); ``/=``
    likewise. Expected values by hand."""
    x0, y0 = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    x, y = nd.array(x0), nd.array(y0)
    y.attach_grad()
    with autograd.record():
        exec('x %s y' % op, {}, {'x': x, 'y': y})
        z = (x * 1).sum()
    z.backward()
    np.testing.assert_allclose(y.grad.asnumpy(), want(x0, y0), rtol=1e-6)


def test_inplace_product_twice_into_a_plain_array():
    """``x *= y`` twice: ``x0 * y * y``, whose gradient is ``2 * x0 * y`` = [6, 16] (was
    [12, 40])."""
    x, y = nd.array([1.0, 2.0]), nd.array([3.0, 4.0])
    y.attach_grad()
    with autograd.record():
        x *= y
        x *= y
        z = x.sum()
    z.backward()
    assert y.grad.asnumpy().tolist() == [6.0, 16.0]
    assert x.asnumpy().tolist() == [9.0, 32.0]
