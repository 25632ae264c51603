"""CTC decoders against brute-force enumeration of every path on tiny inputs."""
import itertools

import numpy as np
import pytest

from minigluon import nd
from minigluon.ctc import beam_search_decode, greedy_decode
from minigluon.test_utils import assert_almost_equal


def log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def collapse(path, blank):
    out = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in out if k != blank)


def sequence_log_probs(x, blank):
    """{label sequence: log p(sequence | x)} for x (T, C), summing all C**T paths."""
    lp = log_softmax(x)
    T, C = lp.shape
    probs = {}
    for path in itertools.product(range(C), repeat=T):
        seq = collapse(path, blank)
        probs[seq] = np.logaddexp(probs.get(seq, -np.inf), lp[np.arange(T), list(path)].sum())
    return probs


@pytest.mark.parametrize('seed', range(6))
def test_greedy_matches_best_path(seed):
    rng = np.random.RandomState(seed)
    T, C = 5, 3 + seed % 2
    x = rng.randn(2, T, C)
    got = greedy_decode(x)
    for b in range(2):
        lp = log_softmax(x[b])
        best = max(itertools.product(range(C), repeat=T), key=lambda p: lp[np.arange(T), list(p)].sum())
        assert got[b] == list(collapse(best, C - 1))


def test_greedy_layout_lengths_blank_and_ndarray():
    x = np.zeros((6, 1, 3))               # TNC
    for t, k in enumerate([0, 0, 2, 0, 1, 1]):
        x[t, 0, k] = 5.0
    assert greedy_decode(x, layout='TNC') == [[0, 0, 1]]
    assert greedy_decode(nd.array(x), layout='TNC', pred_lengths=[4]) == [[0, 0]]
    assert greedy_decode(x, layout='TNC', blank='first') == [[2, 1]]
    assert greedy_decode(x, layout='TNC', blank=1) == [[0, 2, 0]]


@pytest.mark.parametrize('seed', range(6))
def test_beam_search_exact_with_wide_beam(seed):
    rng = np.random.RandomState(seed)
    T, C = [(4, 3), (5, 3), (4, 4), (6, 2), (3, 4), (5, 2)][seed]
    x = rng.randn(2, T, C) * 2
    seqs, scores = beam_search_decode(x, beam_width=500, top_paths=3)
    for b in range(2):
        probs = sequence_log_probs(x[b], C - 1)
        ranked = sorted(probs.items(), key=lambda kv: -kv[1])[:3]
        assert [list(s) for s, _ in ranked] == seqs[b]
        assert_almost_equal(scores[b], np.array([p for _, p in ranked]), rtol=1e-10, atol=1e-10)


def test_beam_search_score_is_ctc_likelihood_and_accepts_log_probs():
    rng = np.random.RandomState(11)
    x = rng.randn(3, 6, 4)
    seqs, scores = beam_search_decode(nd.array(x, dtype=np.float64), beam_width=64)
    again, again_scores = beam_search_decode(log_softmax(x), beam_width=64)
    assert seqs == again
    assert_almost_equal(scores, again_scores, rtol=1e-12)
    for b in range(3):
        label = np.array([seqs[b] + [-1] * (6 - len(seqs[b]))])
        nll = nd.CTCLoss(nd.array(x[b:b + 1].transpose(1, 0, 2), dtype=np.float64), nd.array(label),
                         blank_label='last').asnumpy()
        assert_almost_equal(-nll, scores[b:b + 1], rtol=1e-9)


def test_beam_search_width_one_close_to_greedy_and_lengths():
    rng = np.random.RandomState(2)
    x = rng.randn(2, 5, 3) * 4
    seqs, _ = beam_search_decode(x, beam_width=1, pred_lengths=[5, 3])
    assert len(seqs) == 2 and all(isinstance(s, list) for s in seqs)
    full, _ = beam_search_decode(x[1:, :3], beam_width=1)
    assert seqs[1] == full[0]


@pytest.mark.parametrize('kw,match', [
    ({'layout': 'NCT'}, 'layout'), ({'blank': 7}, 'blank'), ({'blank': True}, 'blank'),
    ({'pred_lengths': [9, 1]}, 'pred_lengths'),
    ({'beam_width': 0}, 'beam_width'), ({'top_paths': 5, 'beam_width': 2}, 'top_paths'),
])
def test_decoder_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        beam_search_decode(np.zeros((2, 4, 3)), **kw)
    with pytest.raises(ValueError, match='3-D'):
        greedy_decode(np.zeros((4, 3)))


@pytest.mark.parametrize('bad', [np.nan, np.inf])
@pytest.mark.parametrize('decode', [greedy_decode, beam_search_decode])
def test_decoders_refuse_nan_and_inf_in_used_frames(decode, bad):
    # breaker17: a NaN or +inf score made the frame's log-softmax NaN and its arg-max class 0, so
    # [0, 0, 0] scores with +inf on the blank of frame 1 (best path 0, blank, 0: [0, 0]) decoded as [0]
    x = np.zeros((1, 3, 3))
    x[0, 1, 2] = bad
    with pytest.raises(ValueError, match='pred must hold finite scores.*sample 0, frame 1'):
        decode(x)
    # a frame where every class is impossible has no distribution either
    y = np.zeros((1, 3, 3))
    y[0, 1] = -np.inf
    with pytest.raises(ValueError, match='frame 1'):
        decode(y)


@pytest.mark.parametrize('decode', [greedy_decode, beam_search_decode])
def test_decoders_ignore_padding_frames_and_accept_some_neg_inf(decode, recwarn):
    # frames past pred_lengths are padding: NaN / -inf there is neither an error nor a warning
    x = np.log(np.array([[[0.5, 0.2, 0.3]] * 3] * 2))
    x[0, 2] = np.nan
    x[1, 1:] = -np.inf
    x[1, 0, 1] = -np.inf                   # -inf for one class of a used frame: probability 0
    seqs = decode(x, pred_lengths=[2, 1])
    seqs = seqs[0] if decode is beam_search_decode else seqs
    assert seqs == [[0], [0]]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize('kw,err,match', [
    ({'beam_width': '3'}, TypeError, 'beam_width must be an integer'),
    ({'beam_width': 2.5}, TypeError, 'beam_width must be an integer'),
    ({'top_paths': None}, TypeError, 'top_paths must be an integer'),
])
def test_beam_width_and_top_paths_must_be_integers(kw, err, match):
    with pytest.raises(err, match=match):
        beam_search_decode(np.zeros((1, 2, 3)), **kw)


def test_ragged_pred_names_the_argument():
    with pytest.raises(ValueError, match='pred must be a rectangular array'):
        greedy_decode([[[1.0, 2.0], [3.0]]])
