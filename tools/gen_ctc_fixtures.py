"""Generate MXNet 1.9.1 golden files for minigluon's CTC tests.

Run with a Python that has MXNet 1.9.1 (``/opt/mxvenv/bin/python tools/gen_ctc_fixtures.py``).
Writes ``tests/fixtures/ctc/ctc_cases.npz``: for each case ``<name>_pred`` (NTC), ``<name>_label``,
optional ``<name>_pred_lengths`` / ``<name>_label_lengths`` / ``<name>_sample_weight``, and MXNet's
``<name>_loss`` and ``<name>_grad`` (gradient of ``loss.sum()`` w.r.t. ``pred``, NTC) from
``gluon.loss.CTCLoss``. Only feasible cases are stored (MXNet's infeasible results are undefined).
"""
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'ctc', 'ctc_cases.npz')


def run(pred, label, pred_lengths=None, label_lengths=None, sample_weight=None, weight=None):
    loss_fn = mx.gluon.loss.CTCLoss(weight=weight)
    x = mx.nd.array(pred)
    x.attach_grad()
    opt = [None if v is None else mx.nd.array(v) for v in (pred_lengths, label_lengths, sample_weight)]
    with mx.autograd.record():
        loss = loss_fn(x, mx.nd.array(label), *opt)
    loss.backward()
    return loss.asnumpy(), x.grad.asnumpy()


def main():
    rng = np.random.RandomState(0)
    cases = {}

    def add(name, pred, label, **kw):
        loss, grad = run(pred, label, **kw)
        cases[name + '_pred'] = pred.astype(np.float32)
        cases[name + '_label'] = np.asarray(label, dtype=np.float32)
        for key, value in kw.items():
            if value is not None and key != 'weight':
                cases['%s_%s' % (name, key)] = np.asarray(value, dtype=np.float32)
        cases[name + '_loss'] = loss
        cases[name + '_grad'] = grad

    add('case_a', np.array([[[0.1, 0.6, 0.3], [0.5, -0.2, 0.0], [1.0, 0.2, -1.0]]]), [[0, 1]])
    pred_b = np.random.RandomState(0).randn(2, 4, 4).astype(np.float32)
    add('case_b', pred_b, [[0, 1, -1], [2, -1, -1]])
    add('case_b_lengths', pred_b, [[0, 1, 2], [2, 0, 0]], label_lengths=[2, 1])
    add('case_b_pred_lengths', pred_b, [[0, 1, -1], [2, -1, -1]], pred_lengths=[4, 2])
    add('case_b_empty', pred_b, [[-1, -1, -1], [2, -1, -1]])
    add('case_b_zero_label', pred_b, [[0, 1, 0], [2, 0, 0]])
    add('case_b_stop_at_pad', pred_b, [[0, -1, 1], [2, -1, -1]])
    add('case_b_sample_weight', pred_b, [[0, 1, -1], [2, -1, -1]], sample_weight=[2.0, 0.5])
    add('ones', np.ones((2, 20, 4), dtype=np.float32), [[1, 0, -1, -1], [2, 1, 1, -1]])
    # Random feasible cases with repeats, variable lengths and frames.
    for i in range(4):
        n, t, c, l = 4, 12, 5, 4
        pred = rng.randn(n, t, c).astype(np.float32) * 2
        label = -np.ones((n, l))
        lens = rng.randint(0, l + 1, size=n)
        for b in range(n):
            label[b, :lens[b]] = rng.randint(0, 2 if i % 2 else c - 1, size=lens[b])
        frames = rng.randint(2 * l + 1, t + 1, size=n)
        add('random%d' % i, pred, label, pred_lengths=frames)
    np.savez_compressed(OUT, **cases)
    print('wrote %s (%d arrays, %d bytes)' % (OUT, len(cases), os.path.getsize(OUT)))


if __name__ == '__main__':
    main()
