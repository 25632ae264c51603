"""Generate MXNet 1.9.1 golden files for minigluon's CTC tests.

Run with a Python that has MXNet 1.9.1 (``/opt/mxvenv/bin/python tools/gen_ctc_fixtures.py``).
Writes ``tests/fixtures/ctc/ctc_cases.npz``: for each case ``<name>_pred`` (NTC), ``<name>_label``,
optional ``<name>_pred_lengths`` / ``<name>_label_lengths`` / ``<name>_sample_weight``, and MXNet's
``<name>_loss`` and ``<name>_grad`` (gradient of ``loss.sum()`` w.r.t. ``pred``, NTC) from
``gluon.loss.CTCLoss``. Only feasible cases are stored (MXNet's infeasible results are undefined).
Also writes ``tests/fixtures/ctc/losses.npz``: for each classic Gluon loss case ``<name>_in<i>``
inputs, ``<name>_loss`` and ``<name>_grad`` (gradient of ``loss.sum()`` w.r.t. the first input).
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


LOSS_CASES = [
    # name, constructor, kwargs, input shapes / kinds
    ('l2', 'L2Loss', {}, ['x', 'x']),
    ('l2_w', 'L2Loss', {'weight': 3.0}, ['x', 'x', 'w']),
    ('l1', 'L1Loss', {}, ['x', 'x']),
    ('sce', 'SoftmaxCrossEntropyLoss', {}, ['x', 'cls']),
    ('sce_dense', 'SoftmaxCrossEntropyLoss', {'sparse_label': False}, ['x', 'prob']),
    ('sce_logits_axis', 'SoftmaxCrossEntropyLoss', {'from_logits': True, 'axis': 1}, ['x3', 'cls3']),
    ('bce', 'SigmoidBinaryCrossEntropyLoss', {}, ['x', 'bin']),
    ('bce_sig', 'SigmoidBinaryCrossEntropyLoss', {'from_sigmoid': True}, ['p', 'bin']),
    ('bce_pos', 'SigmoidBinaryCrossEntropyLoss', {}, ['x', 'bin', None, 'pos']),
    ('kl', 'KLDivLoss', {}, ['x', 'prob']),
    ('kl_logits', 'KLDivLoss', {'from_logits': False}, ['x', 'prob']),
    ('huber', 'HuberLoss', {'rho': 0.7}, ['x', 'x']),
    ('hinge', 'HingeLoss', {}, ['x', 'sign']),
    ('sqhinge', 'SquaredHingeLoss', {'margin': 2}, ['x', 'sign']),
    ('logistic', 'LogisticLoss', {}, ['x', 'sign']),
    ('logistic_bin', 'LogisticLoss', {'label_format': 'binary'}, ['x', 'bin']),
    ('triplet', 'TripletLoss', {}, ['x', 'x', 'x']),
    ('poisson', 'PoissonNLLLoss', {}, ['x', 'count']),
    ('poisson_full', 'PoissonNLLLoss', {'from_logits': False, 'compute_full': True}, ['p', 'count1']),
    ('cosine', 'CosineEmbeddingLoss', {'margin': 0.1}, ['x', 'x', 'pm1']),
]


def loss_inputs(rng, kinds):
    make = {'x': lambda: rng.randn(4, 5), 'x3': lambda: rng.randn(4, 3, 2), 'w': lambda: rng.rand(4, 1),
            'cls': lambda: rng.randint(0, 5, size=(4,)), 'cls3': lambda: rng.randint(0, 3, size=(4, 2)),
            'prob': lambda: rng.dirichlet(np.ones(5), size=4), 'bin': lambda: rng.randint(0, 2, (4, 5)),
            'p': lambda: rng.uniform(0.05, 0.95, (4, 5)), 'pos': lambda: rng.uniform(0.5, 2, (5,)),
            'sign': lambda: rng.randint(0, 2, (4, 5)) * 2 - 1, 'count': lambda: rng.randint(0, 5, (4, 5)), 'count1': lambda: rng.randint(1, 6, (4, 5)),
            'pm1': lambda: np.array([1, -1, 1, -1])}
    return [None if k is None else make[k]().astype(np.float32) for k in kinds]


def main_losses():
    rng = np.random.RandomState(1)
    out = {}
    for name, cls, kwargs, kinds in LOSS_CASES:
        inputs = loss_inputs(rng, kinds)
        block = getattr(mx.gluon.loss, cls)(**kwargs)
        nds = [None if a is None else mx.nd.array(a) for a in inputs]
        nds[0].attach_grad()
        if kwargs.get('compute_full'):     # MXNet's compute_full works in place: no autograd
            loss = block(*nds)
        else:
            with mx.autograd.record():
                loss = block(*nds)
            loss.backward()
        for i, a in enumerate(inputs):
            if a is not None:
                out['%s_in%d' % (name, i)] = a
        out[name + '_loss'] = loss.asnumpy()
        if not kwargs.get('compute_full'):
            out[name + '_grad'] = nds[0].grad.asnumpy()
    path = os.path.join(os.path.dirname(OUT), 'losses.npz')
    np.savez_compressed(path, **out)
    print('wrote %s (%d arrays, %d bytes)' % (path, len(out), os.path.getsize(path)))


def main_export():
    """MXNet's exported graph of a hybridized CTCLoss called with pred_lengths."""
    with mx.name.NameManager():
        block = mx.gluon.loss.CTCLoss()
        block.hybridize()
        block(mx.nd.ones((2, 5, 4)), mx.nd.array([[0, 1], [2, -1]]), mx.nd.array([5, 4]))
        prefix = os.path.join(os.path.dirname(OUT), 'ctcloss_lengths')
        block.export(prefix)
    os.remove(prefix + '-0000.params')
    print('wrote %s-symbol.json' % prefix)


if __name__ == '__main__':
    main()
    main_losses()
    main_export()
