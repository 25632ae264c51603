"""Shared by the CTC tests: the brute-force reference (enumerate every path of a tiny input) and
``nd_ctc``, the operator called with gradients."""
import itertools

import numpy as np

from minigluon import autograd, nd


def log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def brute_force_nll(x, label, blank):
    """-log p(label | x) for one (T, C) sample, summing over all C**T paths (Graves 2006, eq. 2-3)."""
    lp = log_softmax(x.astype(np.float64))
    T, C = lp.shape
    total = -np.inf
    for path in itertools.product(range(C), repeat=T):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != blank] == list(label):
            total = np.logaddexp(total, lp[np.arange(T), list(path)].sum())
    return -total


def nd_ctc(x, label, frames=None, label_lengths=None, blank_label='last', **kw):
    """``nd.CTCLoss`` on (T, N, C) data: (loss, d loss.sum() / d data) as NumPy arrays."""
    data = nd.array(x, dtype=x.dtype)
    data.attach_grad()
    args = [data, nd.array(label)]
    if frames is not None:
        args.append(nd.array(frames))
    if label_lengths is not None:
        args.append(nd.array(label_lengths))
    with autograd.record():
        loss = nd.CTCLoss(*args, use_data_lengths=frames is not None,
                          use_label_lengths=label_lengths is not None, blank_label=blank_label, **kw)
    loss.backward()
    return loss.asnumpy(), data.grad.asnumpy()
