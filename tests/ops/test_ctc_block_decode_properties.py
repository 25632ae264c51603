"""Property-based tests (hypothesis) of the CTCLoss Gluon block and the CTC decoders.

The strategies and helpers are those of test_ctc_properties.py (the operator's properties): the
block must give the operator's numbers in every layout, hybridized or not, scale linearly with its
weights, agree across float dtypes and zero exactly the infinite losses; the decoders must return
the collapsed argmax path (greedy) and, with a beam wide enough to keep every prefix, the most
probable labellings found by enumerating every path.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minigluon import autograd, nd
from minigluon.ctc import beam_search_decode, greedy_decode
from minigluon.loss import CTCLoss
from minigluon.test_utils import assert_almost_equal
from ctc_reference import log_softmax, nd_ctc as ctc_op
from test_ctc_properties import ctc_cases, fast, feasible, minus_inf_mask, padded


# ---------------------------------------------------------------------------------------------------
# The Gluon block

def run_block(block, pred, label, *opt):
    p = nd.array(pred, dtype=pred.dtype)
    p.attach_grad()
    with autograd.record():
        out = block(p, nd.array(label), *[None if o is None else nd.array(o, dtype=o.dtype) for o in opt])
    out.backward()
    return out.asnumpy(), p.grad.asnumpy()


@fast(20)
@given(ctc_cases(), st.sampled_from(['NTC', 'TNC']), st.sampled_from(['NT', 'TN']),
       st.sampled_from([(), ('pred',), ('label',), ('pred', 'label', 'weight')]), st.booleans())
def test_block_layouts_and_hybridize_give_the_operator_numbers(case, layout, label_layout, extra,
                                                                hybridize):
    x, labels, frames = case
    N = x.shape[1]
    lengths = np.array([len(l) for l in labels])
    label = padded(labels, pad=-1 if 'label' not in extra else 0)     # padding 0 is a class
    want, want_grad = ctc_op(x, label, frames if 'pred' in extra else None,
                             lengths if 'label' in extra else None)
    sw = np.linspace(0.5, 2.0, N)
    if 'weight' in extra:
        want, want_grad = want * sw, want_grad * sw[:, None]
    opt = [frames if 'pred' in extra else None, lengths if 'label' in extra else None,
           sw if 'weight' in extra else None]
    pred = x if layout == 'TNC' else x.transpose(1, 0, 2)
    block = CTCLoss(layout=layout, label_layout=label_layout)
    if hybridize:
        block.hybridize()
    for _ in range(2 if hybridize else 1):        # the traced graph, then the cached one
        loss, grad = run_block(block, pred, label if label_layout == 'NT' else label.T, *opt)
        assert_almost_equal(loss, want, rtol=1e-12, atol=1e-12)
        assert_almost_equal(grad if layout == 'TNC' else grad.transpose(1, 0, 2), want_grad,
                            rtol=1e-12, atol=1e-12)


@fast(25)
@given(ctc_cases(), st.floats(0.01, 10.0), st.data())
@pytest.mark.filterwarnings('ignore:invalid value encountered in multiply')   # inf loss * weight 0
def test_block_weight_and_sample_weight_scale_loss_and_gradient(case, weight, data):
    x, labels, frames = case
    N = x.shape[1]
    sw = np.array(data.draw(st.lists(st.floats(0.0, 3.0), min_size=N, max_size=N)))
    shape = data.draw(st.sampled_from([(N,), (N, 1)]))
    pred = x.transpose(1, 0, 2)
    loss, grad = run_block(CTCLoss(), pred, padded(labels), frames)
    wl, wg = run_block(CTCLoss(weight=weight), pred, padded(labels), frames, None, sw.reshape(shape))
    scale = weight * sw
    finite = np.isfinite(loss)
    assert_almost_equal(wl[finite], loss[finite] * scale[finite], rtol=1e-12, atol=1e-300)
    assert (wl[~finite & (scale > 0)] == np.inf).all()
    assert_almost_equal(wg, grad * scale[:, None, None], rtol=1e-12, atol=1e-300)


@fast(25)
@given(ctc_cases(scales=(0.5, 2.0)), st.sampled_from([np.float16, np.float32]))
def test_block_low_precision_agrees_with_float64(case, dtype):
    x, labels, frames = case
    pred = x.transpose(1, 0, 2).astype(dtype)           # compare on the same (rounded) input
    loss, grad = run_block(CTCLoss(), pred, padded(labels), frames)
    want, want_grad = run_block(CTCLoss(), pred.astype(np.float64), padded(labels), frames)
    assert loss.dtype == dtype and grad.dtype == dtype
    tol = {np.float16: 2e-3, np.float32: 2e-6}[dtype]
    assert_almost_equal(loss.astype(np.float64), want, rtol=tol, atol=tol)
    assert_almost_equal(grad.astype(np.float64), want_grad, rtol=tol, atol=tol)


@fast(30)
@given(ctc_cases(max_T=6))
def test_zero_infinity_zeroes_exactly_the_infinite_losses(case):
    x, labels, frames = case
    pred = x.transpose(1, 0, 2)
    loss, grad = run_block(CTCLoss(), pred, padded(labels), frames)
    zl, zg = run_block(CTCLoss(zero_infinity=True), pred, padded(labels), frames)
    inf = np.isinf(loss)
    assert list(inf) == [not feasible(l, f) for l, f in zip(labels, frames)]
    assert (zl[inf] == 0).all() and (zl[~inf] == loss[~inf]).all()
    assert (zg == grad).all() and not zg[inf].any()


# ---------------------------------------------------------------------------------------------------
# Decoders

def collapse(path, blank):
    return [int(k) for i, k in enumerate(path) if (i == 0 or k != path[i - 1]) and k != blank]


@fast(40)
@given(ctc_cases(max_N=3), st.sampled_from(['NTC', 'TNC']), st.sampled_from(['last', 'first', 1]))
def test_greedy_decode_is_the_collapsed_argmax_path(case, layout, blank):
    x, _, frames = case
    C = x.shape[2]
    blank_id = {'last': C - 1, 'first': 0}.get(blank, blank)
    pred = x if layout == 'TNC' else x.transpose(1, 0, 2)
    got = greedy_decode(pred, pred_lengths=frames, layout=layout, blank=blank)
    assert got == [collapse(x[:f, b].argmax(-1), blank_id) for b, f in enumerate(frames)]


@fast(40)
@given(ctc_cases(max_T=5, max_C=3, max_N=2, scales=(0.5, 2.0, 5.0)), st.integers(1, 3),
       st.sampled_from(['NTC', 'TNC']), st.sampled_from(['last', 'first', 1]), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_wide_beam_search_finds_the_most_probable_labellings(case, top_paths, layout, blank, masked,
                                                             seed):
    x, _, frames = case
    T, N, C = x.shape
    if masked:                               # masked classes (-inf): some labellings impossible
        x = np.where(minus_inf_mask(x, seed, 0.3), -np.inf, x)
    blank_id = {'last': C - 1, 'first': 0}[blank] if isinstance(blank, str) else blank % C
    seqs, scores = beam_search_decode(x if layout == 'TNC' else x.transpose(1, 0, 2),
                                      beam_width=max(C**T, top_paths), pred_lengths=frames,
                                      layout=layout, blank=blank if blank != 1 else blank_id,
                                      top_paths=top_paths)
    for b in range(N):
        lp = log_softmax(x[:frames[b], b])
        probs = {}
        for path in itertools.product(range(C), repeat=int(frames[b])):
            key = tuple(collapse(path, blank_id))
            probs[key] = np.logaddexp(probs.get(key, -np.inf), lp[np.arange(len(path)), list(path)].sum())
        ranked = [kv for kv in sorted(probs.items(), key=lambda kv: -kv[1]) if kv[1] > -np.inf]
        ranked = ranked[:top_paths]
        want = np.full(top_paths, -np.inf)
        want[:len(ranked)] = [p for _, p in ranked]
        assert_almost_equal(scores[b] if top_paths > 1 else scores[b:b + 1], want, rtol=1e-10, atol=1e-10)
        got = seqs[b] if top_paths > 1 else [seqs[b]]
        for i, (seq, p) in enumerate(ranked):
            tie = any(abs(p - q) < 1e-9 for s, q in probs.items() if s != seq)
            assert tie or got[i] == list(seq)
