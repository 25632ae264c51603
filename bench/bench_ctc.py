"""Benchmark CTC loss forward+backward: minigluon vs PyTorch vs MXNet 1.9.1.

Each run computes the per-sample loss and the gradient with respect to the unnormalised
activations (log-softmax included) on (N, T, C, L) problems with variable label lengths, and
reports the median time over repeats and the ratios to minigluon.

    python bench/bench_ctc.py [--repeats 7] [--threads 1] [--sizes 32,100,30,20 ...]
    MXNET_PYTHON=/opt/mxvenv/bin/python python bench/bench_ctc.py     # adds MXNet (as a subprocess)
    python bench/bench_ctc.py --ctx gpu      # CuPy against PyTorch's CUDA ctc_loss (needs a GPU)

PyTorch (``torch.nn.functional.ctc_loss``, blank=C-1) is used when importable.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import interleaved_medians, load_note, set_threads  # noqa: E402

THREADS = set_threads()

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402

SIZES = [(32, 100, 30, 20), (32, 400, 30, 60), (16, 800, 80, 100), (64, 50, 11, 8), (8, 1000, 29, 200)]


def make_problem(N, T, C, L, seed=0):
    """Activations (T, N, C) float32, labels (N, L) padded with -1, label lengths in [L/2, L]."""
    rng = np.random.RandomState(seed)
    x = rng.randn(T, N, C).astype(np.float32)
    lengths = rng.randint(max(1, L // 2), L + 1, size=N)
    labels = -np.ones((N, L), np.float32)
    for b in range(N):
        labels[b, :lengths[b]] = rng.randint(0, C - 1, size=lengths[b])
    return x, labels, lengths


def median_time(fn, repeats):
    return interleaved_medians([fn], repeats, warmup=1)[0]


def minigluon_step(size, ctx='cpu'):
    """One forward+backward on ``ctx`` ('cpu' or 'gpu'); the gradient is copied to the host, so a
    GPU run includes its synchronisation."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    import minigluon as mx
    from minigluon import autograd, nd
    device = mx.gpu(0) if ctx == 'gpu' else mx.cpu()
    x, labels, _ = make_problem(*size)
    data, label = nd.array(x, ctx=device), nd.array(labels, ctx=device)
    data.attach_grad()

    def step():
        with autograd.record():
            loss = nd.CTCLoss(data, label, blank_label='last')
        loss.backward()
        return data.grad.asnumpy()
    return step


def torch_step(size, ctx='cpu'):
    try:
        import torch
    except ImportError:
        return None
    if ctx == 'gpu' and not torch.cuda.is_available():
        return None                    # a CPU-only PyTorch: no reference column
    device = 'cuda' if ctx == 'gpu' else 'cpu'
    x, labels, lengths = make_problem(*size)
    N, T, C, _ = size
    data = torch.tensor(x, requires_grad=True, device=device)
    targets = torch.tensor(np.where(labels < 0, 0, labels).astype(np.int64), device=device)
    in_len = torch.full((N,), T, dtype=torch.long, device=device)
    tgt_len = torch.tensor(lengths, dtype=torch.long, device=device)

    def step():
        data.grad = None
        logp = torch.log_softmax(data, dim=2)
        loss = torch.nn.functional.ctc_loss(logp, targets, in_len, tgt_len, blank=C - 1, reduction='none')
        loss.sum().backward()
        return data.grad.cpu().numpy()
    return step


def bench_mxnet_worker(sizes, repeats):
    """Runs inside the MXNet venv; prints one JSON line of medians."""
    import mxnet as mx
    out = {}
    for size in sizes:
        x, labels, _ = make_problem(*size)
        data, label = mx.nd.array(x), mx.nd.array(labels)
        data.attach_grad()

        def step():
            with mx.autograd.record():
                loss = mx.nd.CTCLoss(data, label, blank_label='last')
            loss.backward()
            return data.grad.asnumpy()
        out[','.join(map(str, size))] = median_time(step, repeats)
    print(json.dumps(out))


def bench_mxnet(sizes, repeats):
    python = os.environ.get('MXNET_PYTHON')
    if not python:
        return {}
    cmd = [python, os.path.abspath(__file__), '--mxnet-worker', '--repeats', str(repeats), '--sizes']
    cmd += [','.join(map(str, s)) for s in sizes]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        print('MXNet run failed:\n' + res.stderr[-2000:], file=sys.stderr)
        return {}
    return {tuple(int(v) for v in k.split(',')): t for k, t in json.loads(res.stdout.strip().splitlines()[-1]).items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--sizes', nargs='*', default=None, help='N,T,C,L tuples')
    parser.add_argument('--threads', type=int, default=1, help='BLAS, PyTorch and MXNet threads (default 1)')
    parser.add_argument('--ctx', choices=('cpu', 'gpu'), default='cpu',
                        help='gpu: minigluon on CuPy against PyTorch CUDA (no MXNet column)')
    parser.add_argument('--mxnet-worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split(',')) for s in args.sizes] if args.sizes else SIZES
    if args.mxnet_worker:
        bench_mxnet_worker(sizes, args.repeats)
        return
    try:
        import torch
        torch.set_num_threads(THREADS)
        print('PyTorch %s, %d threads; NumPy BLAS %d threads; %s' % (
            torch.__version__, torch.get_num_threads(), THREADS, args.ctx))
        if args.ctx == 'gpu' and not torch.cuda.is_available():
            print('PyTorch has no CUDA here: its column stays empty')
    except ImportError:
        print('PyTorch not installed: its column stays empty')
    mxnet_times = bench_mxnet(sizes, args.repeats) if args.ctx == 'cpu' else {}
    print('%-22s %12s %12s %12s %10s %10s' % ('(N, T, C, L)', 'minigluon ms', 'torch ms', 'mxnet ms',
                                               'torch/mg', 'mxnet/mg'))
    for size in sizes:
        steps = [minigluon_step(size, args.ctx), torch_step(size, args.ctx)]
        timed = interleaved_medians([f for f in steps if f is not None], args.repeats, warmup=1)
        mg, th = timed[0], (timed[1] if steps[1] is not None else None)
        mx_t = mxnet_times.get(size)
        fmt = lambda t: '%12.2f' % (t * 1e3) if t is not None else '%12s' % '-'   # noqa: E731
        ratio = lambda t: '%10.2f' % (t / mg) if t is not None else '%10s' % '-'  # noqa: E731
        print('%-22s %s %s %s %s %s' % (size, fmt(mg), fmt(th), fmt(mx_t), ratio(th), ratio(mx_t)))
    print('medians of %d interleaved repeats; %s' % (args.repeats, load_note()))


if __name__ == '__main__':
    main()
