"""Training on the emulated GPU must match the CPU: run by tests/cupy_emulation/test_emulated_gpu.py.

Installs the CuPy stand-in, then (1) trains the captcha example's CaptchaNet (conv, pooling,
bidirectional LSTM, CTC, Adam; hybridized) and a small LSTM+CTC net for a few steps on cpu(0) and
on gpu(0) from the same weights and data, and (2) runs the example itself with ``--quick --ctx
gpu`` on a tiny data set where its packages are installed. Prints one JSON line: the per-step
losses of both devices and whether the example's reload check passed (None if it did not run).
"""
import contextlib
import importlib.util
import io
import json
import os
import runpy
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, os.path.dirname(HERE)]

from cupy_emulation import fakecupy  # noqa: E402

fakecupy.install()

import numpy as np  # noqa: E402

import minigluon as mx  # noqa: E402
from minigluon import autograd, gluon  # noqa: E402

EXAMPLE = os.path.join(ROOT, 'examples', 'captcha_ocr.py')
EXAMPLE_PACKAGES = ('captcha', 'PIL', 'tqdm', 'matplotlib')     # the `examples` extra's, less Numba


def _captcha_net():
    return runpy.run_path(EXAMPLE)['CaptchaNet'](hidden=16)


def _lstm_ctc_net():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.rnn.LSTM(6, layout='NTC', input_size=3))
        net.add(gluon.nn.Dense(5, flatten=False, in_units=6))
    return net


def train(make_net, x, y, ctx, optimizer, steps=3):
    """Per-step mean losses of ``steps`` updates from weights seeded identically on every device."""
    mx.random.seed(0)
    net = make_net()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize(static_alloc=True)
    trainer = gluon.Trainer(net.collect_params(), optimizer, {'learning_rate': 0.01})
    loss_fn = gluon.loss.CTCLoss()
    xs, ys = mx.nd.array(x, ctx=ctx), mx.nd.array(y, ctx=ctx)
    losses = []
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(xs), ys)
        loss.backward()
        trainer.step(x.shape[0])
        assert loss.context == ctx, loss.context
        losses.append(float(loss.mean().asscalar()))
    return losses


def run_example():
    out = tempfile.mkdtemp(prefix='captcha_gpu_')
    argv = ['captcha_ocr.py', '--quick', '--ctx', 'gpu', '--train-size', '128', '--test-size', '16',
            '--epochs', '1', '--workers', '1', '--out', out]
    saved, sys.argv = sys.argv, argv
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(EXAMPLE, run_name='__main__')
    except SystemExit as done:          # the example ends with sys.exit(status)
        if done.code not in (None, 0):
            return False
    finally:
        sys.argv = saved
    return 'reload check: OK' in buf.getvalue()


def main():
    rng = np.random.RandomState(0)
    results = {}
    images = rng.rand(4, 32, 100).astype('float32')
    labels = rng.randint(0, 10, size=(4, 4)).astype('float32')
    seq, seq_labels = rng.randn(2, 5, 3), np.array([[1, 2], [3, -1]], dtype='float32')
    for name, make, x, y, opt in (('captcha', _captcha_net, images, labels, 'adam'),
                                  ('lstm_ctc', _lstm_ctc_net, seq, seq_labels, 'sgd')):
        results[name] = {ctx: train(make, x, y, getattr(mx, ctx)(0), opt) for ctx in ('cpu', 'gpu')}
    missing = [name for name in EXAMPLE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        results['example_reload_ok'] = None
        results['example_not_run'] = 'the captcha example needs %s, not installed' % ', '.join(missing)
    else:
        results['example_reload_ok'] = run_example()
    print(json.dumps(results))


if __name__ == '__main__':
    main()
