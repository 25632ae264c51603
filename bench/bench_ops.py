"""Per-operator benchmark: minigluon against raw NumPy and, when installed, PyTorch CPU.

Cases:

* ``add (4,4)``: the fixed overhead of one operator call (registry, NDArray wrapping), with and
  without autograd recording;
* ``dot 1024x1024``: a BLAS-bound call, where overhead should vanish;
* ``Convolution (32,64,56,56) x 64 3x3``: forward, and forward + backward. The NumPy column runs
  minigluon's own operator code on raw arrays (no NDArray, no tape), i.e. the kernel cost;
* ``LSTM (100,32,256) -> 256``: the fused ``RNN`` operator (one layer, TNC), forward and
  forward + backward, against ``torch.nn.LSTM``; the NumPy column again runs the operator on raw
  arrays.

The recorded tiny add is timed inside one ``autograd.record()`` scope (the per-operator cost of
recording, not the cost of entering the scope), as PyTorch's is timed with ``requires_grad`` inputs.
NumPy's BLAS and PyTorch get the same thread count (``--threads``, default 1).

Prints medians over ``--repeats`` runs (seconds, or microseconds for the tiny case) and the
ratios minigluon / NumPy and minigluon / torch. Run: ``python3 bench/bench_ops.py [--quick]``.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import load_note, set_threads  # noqa: E402

THREADS = set_threads(1) if __name__ == '__main__' else None

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from minigluon import autograd, nd  # noqa: E402
from minigluon.ops.conv import Convolution  # noqa: E402
from minigluon.ops.rnn import RNN  # noqa: E402

try:
    import torch
except ImportError:  # the torch column is optional
    torch = None


def median_time(fn, repeats, inner=1):
    """Median wall time of ``inner`` calls of ``fn`` (divided by ``inner``), after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def bench_add(repeats):
    a_np, b_np = np.random.rand(4, 4).astype(np.float32), np.random.rand(4, 4).astype(np.float32)
    a, b = nd.array(a_np), nd.array(b_np)
    ag, bg = nd.array(a_np), nd.array(b_np)
    ag.attach_grad()
    bg.attach_grad()

    def recorded():
        return nd.elemwise_add(ag, bg)

    rows = [('add (4,4)', median_time(lambda: nd.elemwise_add(a, b), repeats, 2000),
             median_time(lambda: a_np + b_np, repeats, 2000), None)]
    with autograd.record():
        rec = median_time(recorded, repeats, 2000)
    if torch is not None:
        ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
        tag, tbg = ta.clone().requires_grad_(), tb.clone().requires_grad_()
        rows[0] = rows[0][:3] + (median_time(lambda: ta + tb, repeats, 2000),)
        rows.append(('add (4,4) recorded', rec, None, median_time(lambda: tag + tbg, repeats, 2000)))
    else:
        rows.append(('add (4,4) recorded', rec, None, None))
    return rows, 1e6, 'us'


def bench_dot(repeats):
    a_np, b_np = np.random.rand(1024, 1024).astype(np.float32), np.random.rand(1024, 1024).astype(np.float32)
    a, b = nd.array(a_np), nd.array(b_np)
    tcol = None
    if torch is not None:
        ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
        tcol = median_time(lambda: ta @ tb, repeats)
    return [('dot 1024x1024', median_time(lambda: nd.dot(a, b), repeats),
             median_time(lambda: a_np @ b_np, repeats), tcol)], 1.0, 's'


def bench_conv(repeats, batch):
    shape = (batch, 64, 56, 56)
    x_np = np.random.randn(*shape).astype(np.float32)
    w_np = (np.random.randn(64, 64, 3, 3) * 0.05).astype(np.float32)
    b_np = np.zeros(64, np.float32)
    kw = dict(kernel=(3, 3), pad=(1, 1), num_filter=64)
    x, w, b = nd.array(x_np), nd.array(w_np), nd.array(b_np)

    def raw_fwd():
        return Convolution(**kw).forward(np, x_np, w_np, b_np)

    def raw_fwd_bwd():
        op = Convolution(**kw)
        out = op.forward(np, x_np, w_np, b_np)
        return op.backward(np, np.ones_like(out))

    xg, wg = nd.array(x_np), nd.array(w_np)
    xg.attach_grad()
    wg.attach_grad()

    def mg_fwd_bwd():
        with autograd.record():
            y = nd.Convolution(xg, wg, b, **kw)
        y.backward()

    rows = [['Convolution %s fwd' % (shape,), median_time(lambda: nd.Convolution(x, w, b, **kw), repeats),
             median_time(raw_fwd, repeats), None],
            ['Convolution %s fwd+bwd' % (shape,), median_time(mg_fwd_bwd, repeats),
             median_time(raw_fwd_bwd, repeats), None]]
    if torch is not None:
        tx, tw, tb = torch.from_numpy(x_np), torch.from_numpy(w_np), torch.from_numpy(b_np)
        txg, twg = tx.clone().requires_grad_(), tw.clone().requires_grad_()

        def t_fwd_bwd():
            y = torch.nn.functional.conv2d(txg, twg, tb, padding=1)
            y.backward(torch.ones_like(y))
        with torch.no_grad():
            rows[0][3] = median_time(lambda: torch.nn.functional.conv2d(tx, tw, tb, padding=1), repeats)
        rows[1][3] = median_time(t_fwd_bwd, repeats)
    return [tuple(r) for r in rows], 1.0, 's'


def bench_lstm(repeats, seq_len):
    t, n, c, h = seq_len, 32, 256, 256
    rng = np.random.RandomState(0)
    x_np = rng.randn(t, n, c).astype(np.float32)
    nparam = 4 * h * (c + h) + 8 * h
    p_np = (rng.randn(nparam) * 0.05).astype(np.float32)
    h0_np = np.zeros((1, n, h), np.float32)
    kw = dict(state_size=h, num_layers=1, mode='lstm', state_outputs=True)
    x, p, h0, c0 = nd.array(x_np), nd.array(p_np), nd.array(h0_np), nd.array(h0_np)
    xg, pg = nd.array(x_np), nd.array(p_np)
    xg.attach_grad()
    pg.attach_grad()

    def raw_fwd_bwd():
        op = RNN(**kw)
        out = op.forward(np, x_np, p_np, h0_np, h0_np)
        return op.backward(np, np.ones_like(out[0]), None, None)

    def mg_fwd_bwd():
        with autograd.record():
            y = nd.RNN(xg, pg, h0, c0, **kw)[0]
        y.backward()

    rows = [['LSTM (%d,%d,%d)->%d fwd' % (t, n, c, h), median_time(lambda: nd.RNN(x, p, h0, c0, **kw), repeats),
             median_time(lambda: RNN(**kw).forward(np, x_np, p_np, h0_np, h0_np), repeats), None],
            ['LSTM (%d,%d,%d)->%d fwd+bwd' % (t, n, c, h), median_time(mg_fwd_bwd, repeats),
             median_time(raw_fwd_bwd, repeats), None]]
    if torch is not None:
        lstm = torch.nn.LSTM(c, h)
        tx = torch.from_numpy(x_np)
        txg = tx.clone().requires_grad_()

        def t_fwd_bwd():
            y = lstm(txg)[0]
            y.backward(torch.ones_like(y))
        with torch.no_grad():
            rows[0][3] = median_time(lambda: lstm(tx), repeats)
        rows[1][3] = median_time(t_fwd_bwd, repeats)
    return [tuple(r) for r in rows], 1.0, 's'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--quick', action='store_true',
                        help='a quick check: batch 4 instead of 32 for the convolution, T=10 instead of 100 for the LSTM')
    parser.add_argument('--threads', type=int, default=1, help='BLAS and PyTorch threads (default 1)')
    args = parser.parse_args(argv)
    if torch is None:
        print('(torch is not installed: the torch column is skipped)')
    else:
        torch.set_num_threads(THREADS)
        print('torch %s, %d threads; NumPy BLAS %s threads' % (torch.__version__, torch.get_num_threads(),
                                                              os.environ.get('OPENBLAS_NUM_THREADS')))
    print('median of %d repeats; %s' % (args.repeats, load_note()))
    header = '%-44s %12s %12s %12s %9s %9s' % ('case', 'minigluon', 'numpy', 'torch', 'mg/np', 'mg/torch')
    print(header)
    print('-' * len(header))
    for rows, scale, unit in (bench_add(args.repeats), bench_dot(args.repeats),
                              bench_conv(args.repeats, 4 if args.quick else 32),
                              bench_lstm(args.repeats, 10 if args.quick else 100)):
        for name, mg, npy, tch in rows:
            def fmt(v):
                return '%10.3f%-2s' % (v * scale, unit) if v is not None else '%12s' % '-'

            def ratio(v):
                return '%9.2f' % (mg / v) if v else '%9s' % '-'
            print('%-44s %s %s %s %s %s' % (name, fmt(mg), fmt(npy), fmt(tch), ratio(npy), ratio(tch)))


if __name__ == '__main__':
    main()
