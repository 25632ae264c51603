"""CTC decoding: best-path (greedy) and prefix beam search.

Both take the network's per-frame scores for ``C`` classes, one of which is the blank, and return
label sequences: a path (one class per frame) is read as a labelling by merging repeats, then
removing blanks (Graves et al. 2006, section 2, the map ``B``). Scores may be unnormalised
activations or log-probabilities: a log-softmax over the class axis is applied first, which leaves
log-probabilities unchanged. The blank convention matches ``gluon.loss.CTCLoss``: by default the
blank is the last class.

* :func:`greedy_decode`, best-path decoding (Graves et al. 2006, section 3.2): ``B`` of the most
  likely path. Fast, but not always the most likely labelling, which sums over all its paths.
* :func:`beam_search_decode`, prefix beam search (Hannun et al. 2014): keeps the ``beam_width``
  most likely label prefixes, each scored by all the paths that produce it (:func:`_beam_one`).

These are host-side utilities (NumPy); NDArray input on any context is copied to the host.
"""
import math

import numpy as np

__all__ = ['greedy_decode', 'beam_search_decode']


def _prepare(pred, pred_lengths, layout, blank):
    """Return log-probabilities (N, T, C) float64, usable frames (N,) int64 and the blank index."""
    x = _as_ntc(pred, layout)
    N, T, C = x.shape
    if C < 1:
        raise ValueError('pred must have at least one class (the blank) on its class axis, got shape %s'
                         % (np.shape(pred),))
    blank = _blank_index(blank, C)
    frames = _usable_frames(pred_lengths, N, T)
    _check_scores(x, frames)
    with np.errstate(invalid='ignore', divide='ignore'):    # frames past pred_lengths may hold anything
        m = x.max(-1, keepdims=True)
        logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return logp, frames, blank


def _as_ntc(pred, layout):
    """``pred`` (NDArray or array-like, 3-D in ``layout``) as a float64 NumPy array (N, T, C)."""
    if hasattr(pred, 'asnumpy'):
        pred = pred.asnumpy()
    try:
        x = np.asarray(pred, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError('pred must be a rectangular array of numbers (%s); NumPy could not convert it: %s'
                         % (layout, err)) from None
    if x.ndim != 3:
        raise ValueError('pred must be 3-D (%s), got shape %s' % (layout, x.shape))
    if layout == 'TNC':
        x = x.transpose(1, 0, 2)
    elif layout != 'NTC':
        raise ValueError("layout must be 'NTC' or 'TNC', got %r" % (layout,))
    return x


def _blank_index(blank, C):
    """The blank's class index: ``'last'`` is ``C-1``, ``'first'`` 0, an int in ``[0, C-1]`` itself."""
    if blank == 'last':
        return C - 1
    if blank == 'first':
        return 0
    if isinstance(blank, bool) or not (isinstance(blank, (int, np.integer)) and 0 <= blank < C):
        raise ValueError("blank must be 'first', 'last' or a class index in [0, %d], got %r" % (C - 1, blank))
    return int(blank)


def _usable_frames(pred_lengths, N, T):
    """``pred_lengths`` (None: all ``T`` frames) as an (N,) int64 array of integers in [0, T]."""
    if pred_lengths is None:
        return np.full(N, T, dtype=np.int64)
    if hasattr(pred_lengths, 'asnumpy'):
        pred_lengths = pred_lengths.asnumpy()
    lengths = np.asarray(pred_lengths, dtype=np.float64).reshape(-1)
    if lengths.shape != (N,) or (lengths != np.round(lengths)).any() or (lengths < 0).any() \
            or (lengths > T).any():
        raise ValueError('pred_lengths must hold %d integers in [0, %d], got %r' % (N, T, pred_lengths))
    return lengths.astype(np.int64)


def _check_scores(x, frames):
    """Raise ``ValueError`` if a used frame of ``x`` (N, T, C) holds NaN or ``+inf``, or only ``-inf``.

    ``-inf`` is a valid log-probability (probability 0), so some classes of a frame may be ``-inf``;
    NaN, ``+inf`` or a frame where every class is impossible has no distribution to decode (the
    log-softmax would be NaN and the arg-max of a NaN row silently picks class 0). Frames past a
    sample's ``pred_lengths`` are padding and are not read.
    """
    used = np.arange(x.shape[1])[None, :] < frames[:, None]                 # (N, T)
    bad = (np.isnan(x) | (x == np.inf)).any(-1) | (x == -np.inf).all(-1)   # (N, T)
    if x.shape[2] and (bad & used).any():
        n, t = np.argwhere(bad & used)[0]
        raise ValueError('pred must hold finite scores (or -inf for an impossible class) in every used '
                         'frame; sample %d, frame %d (in NTC order) is %s' % (n, t, x[n, t].tolist()))


def greedy_decode(pred, pred_lengths=None, layout='NTC', blank='last'):
    """Best-path decoding: the most likely class per frame, repeats merged, blanks dropped.

    Parameters
    ----------
    pred : NDArray or numpy.ndarray, shape (N, T, C) for ``layout='NTC'`` or (T, N, C) for 'TNC'
        Per-frame class scores (activations or log-probabilities).
    pred_lengths : array-like of int, shape (N,), optional
        Frames to use per sample (default: all ``T``).
    layout : {'NTC', 'TNC'}
    blank : {'last', 'first'} or int
        The blank class (``'last'``: ``C-1``, as ``gluon.loss.CTCLoss``).

    Returns
    -------
    list of list of int
        One label sequence per sample.

    Raises
    ------
    ValueError
        For a pred that is not a 3-D array of numbers or that holds NaN, ``+inf`` or a frame of
        only ``-inf`` within ``pred_lengths``, an unknown layout or blank, or bad pred_lengths.
    """
    logp, frames, blank = _prepare(pred, pred_lengths, layout, blank)
    best = logp.argmax(-1)
    out = []
    for b in range(best.shape[0]):
        path = best[b, :frames[b]]
        keep = np.ones(len(path), dtype=bool)
        keep[1:] = path[1:] != path[:-1]
        out.append([int(k) for k in path[keep] if k != blank])
    return out


def _logadd(a, b):
    """``log(exp(a) + exp(b))`` for Python floats, exact when either is ``-inf`` (probability 0)."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


def _beam_one(logp, blank, beam_width, prune):
    """Prefix beam search for one sample's log-probabilities ``logp`` (T, C); returns
    ``[(prefix as a list of classes, log p(prefix))]``, best first.

    Each beam maps a prefix (a tuple of classes) to two log-probabilities: of the alignments of
    the frames so far that produce it and end in a blank, and of those that end in its last
    label. The split decides what a repeated class means: after a blank it starts a new label,
    after the same label it merges into it."""
    neg = -math.inf
    beams = {(): (0.0, neg)}        # prefix -> (log p ending in blank, log p ending in a label)
    T, C = logp.shape
    for t in range(T):
        row = logp[t]
        classes = range(C)
        if prune is not None:     # the best class always stays, so every beam keeps a successor
            classes = [k for k in range(C) if row[k] >= prune] or [int(np.argmax(row))]
        next_beams = {}
        for prefix, (p_blank_end, p_label_end) in beams.items():
            p_prefix = _logadd(p_blank_end, p_label_end)
            for k in classes:
                p = row[k]
                if k == blank:                       # a blank: the prefix stays, now blank-ended
                    b0, n0 = next_beams.get(prefix, (neg, neg))
                    next_beams[prefix] = (_logadd(b0, p_prefix + p), n0)
                    continue
                extended = prefix + (k,)
                b1, n1 = next_beams.get(extended, (neg, neg))
                if prefix and prefix[-1] == k:       # a repeat needs a blank in between ...
                    next_beams[extended] = (b1, _logadd(n1, p_blank_end + p))
                    b0, n0 = next_beams.get(prefix, (neg, neg))
                    next_beams[prefix] = (b0, _logadd(n0, p_label_end + p))   # ... else it merges
                else:
                    next_beams[extended] = (b1, _logadd(n1, p_prefix + p))
        ranked = sorted(next_beams.items(), key=lambda kv: -_logadd(*kv[1]))
        beams = dict(ranked[:beam_width])
    return sorted(((list(p), _logadd(*v)) for p, v in beams.items()), key=lambda pv: -pv[1])


def beam_search_decode(pred, beam_width=10, pred_lengths=None, layout='NTC', blank='last', top_paths=1,
                       prune_log_prob=None):
    """Prefix beam search over log-probabilities (Hannun et al. 2014, "First-pass LVCSR ...").

    Each beam is a label prefix scored by the total probability of all alignments that produce it,
    split into paths ending in a blank and in a label, so repeats are merged correctly. With a beam
    at least as wide as the number of distinct prefixes the search is exact.

    Parameters
    ----------
    pred : NDArray or numpy.ndarray, shape (N, T, C) ('NTC') or (T, N, C) ('TNC')
        Per-frame class scores (activations or log-probabilities).
    beam_width : int, default 10
        Prefixes kept after each frame.
    pred_lengths : array-like of int, shape (N,), optional
    layout : {'NTC', 'TNC'}
    blank : {'last', 'first'} or int
    top_paths : int, default 1
        Number of sequences returned per sample.
    prune_log_prob : float, optional
        Skip classes whose log-probability at a frame is below this (speed; approximate). The most
        likely class of a frame is never skipped.

    Returns
    -------
    sequences : list
        ``top_paths == 1``: one label list per sample; otherwise per sample a list of up to
        ``top_paths`` label lists, best first.
    scores : numpy.ndarray, shape (N,) or (N, top_paths)
        ``log p(sequence | pred)`` of each returned sequence (``-inf`` where fewer were found).

    Raises
    ------
    ValueError
        For bad pred (see :func:`greedy_decode`), layout, blank or pred_lengths, beam_width /
        top_paths below 1, or top_paths above beam_width.
    TypeError
        For a beam_width or top_paths that is not an integer.
    """
    for name, value in (('beam_width', beam_width), ('top_paths', top_paths)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError('%s must be an integer, got %r' % (name, value))
    if beam_width < 1 or top_paths < 1:
        raise ValueError('beam_width and top_paths must be at least 1, got %r and %r' % (beam_width, top_paths))
    if top_paths > beam_width:
        raise ValueError('top_paths (%d) cannot exceed beam_width (%d)' % (top_paths, beam_width))
    logp, frames, blank = _prepare(pred, pred_lengths, layout, blank)
    seqs, scores = [], np.full((logp.shape[0], top_paths), -np.inf)
    for b in range(logp.shape[0]):
        found = _beam_one(logp[b, :frames[b]], blank, int(beam_width), prune_log_prob)[:top_paths]
        for i, (_, score) in enumerate(found):
            scores[b, i] = score
        seqs.append([p for p, _ in found])
    if top_paths == 1:
        return [s[0] for s in seqs], scores[:, 0]
    return seqs, scores
