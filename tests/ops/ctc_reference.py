"""The brute-force CTC reference shared by the CTC tests: enumerate every path of a tiny input."""
import itertools

import numpy as np


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
