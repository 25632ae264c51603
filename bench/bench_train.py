"""Training steps side by side: minigluon eager and hybridized, PyTorch CPU, MXNet 1.9.1.

Two models (issue "Speed"), both trained with CTCLoss (blank last) and Adam:

* ``ctc``: (N=32, T=64, 32 features) -> Dense(128, relu) per frame -> bidirectional LSTM(64)
  -> Dense(11) per frame;
* ``captcha``: the OCR model of examples/captcha_ocr.py, (N=64, 32, 100) images -> 2 x [Conv 3x3
  + ReLU + MaxPool 2x2] (16, 32 channels) -> one frame per column (T=25, 256 features) ->
  bidirectional LSTM(64) -> Dense(11).

minigluon and PyTorch run in this process, interleaved step by step (same machine load); MXNet runs
in its own interpreter (its venv needs numpy<1.24) through bench/_mxnet_train_worker.py. NumPy's
BLAS and PyTorch get the same thread count (``--threads``, default 1); ``--workers N`` also gives
minigluon N CPU worker threads for independent pieces of an operator (minigluon/ops/_parallel.py:
the two directions of a bidirectional LSTM, the images of convolutions and of 2x2 max pooling) and
MXNet N engine workers (MXNET_CPU_WORKER_NTHREADS;
PyTorch's eager mode has no such setting). Prints medians over repeats
and ratios to PyTorch, with the machine's load.

    python bench/bench_train.py [--repeats 30] [--threads 1] [--workers 2] [--models ctc,captcha]
    MXNET_PYTHON=/opt/mxvenv/bin/python python bench/bench_train.py   # adds MXNet rows
    python bench/bench_train.py --ctx gpu     # minigluon on CuPy against PyTorch CUDA (needs a GPU)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _common import interleaved_medians, load_note, set_threads  # noqa: E402

THREADS = set_threads(1) if __name__ == '__main__' else None

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
N, T, F, H, C, L = 32, 64, 32, 64, 11, 12          # the 'ctc' model
CAP_N, CAP_HW, CAP_T, CAP_L = 64, (32, 100), 25, 5  # the 'captcha' model
MODELS = ('ctc', 'captcha')


def make_batch(model='ctc', seed=0):
    """``(x, label)`` float32 NumPy arrays: inputs and labels padded with -1 (classes 0..9)."""
    rng = np.random.RandomState(seed)
    if model == 'ctc':
        n, max_len, lo = N, L, L // 2
        x = rng.randn(N, T, F).astype(np.float32)
    else:
        n, max_len, lo = CAP_N, CAP_L, 3
        x = (rng.rand(CAP_N, *CAP_HW) < 0.2).astype(np.float32)   # sparse ink on a blank page
    lengths = rng.randint(lo, max_len + 1, size=n)
    label = -np.ones((n, max_len), dtype=np.float32)
    for i, k in enumerate(lengths):
        label[i, :k] = rng.randint(0, C - 1, size=k)
    return x, label


def minigluon_net(model):
    import minigluon as mx
    from minigluon import gluon
    from minigluon.gluon import nn, rnn
    if model == 'captcha':
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'examples'))
        from captcha_ocr import CaptchaNet
        return CaptchaNet(hidden=H)

    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.proj = nn.Dense(128, activation='relu', flatten=False)
                self.lstm = rnn.LSTM(H, bidirectional=True, layout='NTC')
                self.out = nn.Dense(C, flatten=False)

        def hybrid_forward(self, F, x):
            return self.out(self.lstm(self.proj(x)))
    del mx
    return Net()


def minigluon_setup(hybridize, model='ctc', ctx='cpu'):
    """``(net, loss_fn, trainer, x, label)`` of one minigluon training step on ``ctx`` ('cpu' or
    'gpu'): Xavier-initialised, hybridized with static_alloc/static_shape when asked, Adam."""
    import minigluon as mx
    from minigluon import gluon
    device = mx.gpu(0) if ctx == 'gpu' else mx.cpu()
    net = minigluon_net(model)
    net.initialize(mx.init.Xavier(), ctx=device)
    loss_fn = gluon.loss.CTCLoss()
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
        loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 1e-3})
    x, label = make_batch(model)
    return net, loss_fn, trainer, mx.nd.array(x, ctx=device), mx.nd.array(label, ctx=device)


def minigluon_step(hybridize, model='ctc', ctx='cpu'):
    """A closure running one minigluon training step (record, backward, Adam update, sync)."""
    from minigluon import autograd
    net, loss_fn, trainer, x, label = minigluon_setup(hybridize, model, ctx)
    n = x.shape[0]

    def step():
        with autograd.record():
            loss = loss_fn(net(x), label)
        loss.backward()
        trainer.step(n)
        loss.asnumpy()
    return step


def torch_net(model):
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(F, 128)
            self.lstm = torch.nn.LSTM(128, H, bidirectional=True, batch_first=True)
            self.out = torch.nn.Linear(2 * H, C)

        def forward(self, x):
            return self.out(self.lstm(torch.relu(self.proj(x)))[0])

    class Captcha(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
            self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
            self.lstm = torch.nn.LSTM(32 * 8, H, bidirectional=True, batch_first=True)
            self.out = torch.nn.Linear(2 * H, C)

        def forward(self, x):
            x = torch.max_pool2d(torch.relu(self.conv1(x.unsqueeze(1))), 2)
            x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)       # (N, 32, 8, 25)
            x = x.permute(0, 3, 1, 2).reshape(x.shape[0], x.shape[3], -1)
            return self.out(self.lstm(x)[0])
    return Net() if model == 'ctc' else Captcha()


def torch_step(threads, model='ctc', ctx='cpu'):
    """A closure running one PyTorch training step with the same model, loss and optimizer."""
    import torch
    torch.set_num_threads(threads)
    if ctx == 'gpu' and not torch.cuda.is_available():
        raise ImportError('PyTorch has no CUDA here')
    device = 'cuda' if ctx == 'gpu' else 'cpu'
    net = torch_net(model).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, label = make_batch(model)
    x = torch.from_numpy(x).to(device)
    n, t = x.shape[0], (T if model == 'ctc' else CAP_T)
    lengths = torch.from_numpy((label >= 0).sum(1)).long().to(device)
    targets = torch.from_numpy(np.where(label < 0, 0, label)).long().to(device)
    in_lengths = torch.full((n,), t, dtype=torch.long, device=device)

    def step():
        opt.zero_grad()
        logp = net(x).log_softmax(-1).transpose(0, 1)
        loss = torch.nn.functional.ctc_loss(logp, targets, in_lengths, lengths, blank=C - 1,
                                            reduction='none')
        loss.sum().backward()
        opt.step()
        loss.detach().cpu()          # wait for the step, as minigluon's loss.asnumpy() does
    return step


def mxnet_times(python, model, repeats, threads, workers=None):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MXNET_CPU_WORKER_NTHREADS=str(workers or threads))
    out = subprocess.run([python, os.path.join(HERE, '_mxnet_train_worker.py'), str(repeats), model],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=30)
    ap.add_argument('--threads', type=int, default=1, help='BLAS / PyTorch / MXNet threads (default 1)')
    ap.add_argument('--workers', type=int, default=None,
                    help="minigluon's CPU worker threads (as MINIGLUON_CPU_WORKERS: LSTM directions, "
                         "images of convolutions and of 2x2 max pooling run at once) and MXNet's "
                         "MXNET_CPU_WORKER_NTHREADS (default: MINIGLUON_CPU_WORKERS or 1 for "
                         "minigluon, as --threads for MXNet)")
    ap.add_argument('--models', default=','.join(MODELS))
    ap.add_argument('--ctx', choices=('cpu', 'gpu'), default='cpu',
                    help='gpu: minigluon on CuPy against PyTorch CUDA (no MXNet rows)')
    args = ap.parse_args()
    mx_python = os.environ.get('MXNET_PYTHON') if args.ctx == 'cpu' else None
    if args.workers:
        from minigluon.ops import _parallel
        _parallel.set_workers(args.workers)
    for model in args.models.split(','):
        names, fns = ['minigluon eager', 'minigluon hybridized'], [minigluon_step(False, model, args.ctx),
                                                                    minigluon_step(True, model, args.ctx)]
        try:
            fns.append(torch_step(THREADS, model, args.ctx))
            names.append('pytorch eager')
        except ImportError as err:
            print('no PyTorch reference row (%s; pip install torch==2.13.0)' % err)
        rows = dict(zip(names, interleaved_medians(fns, args.repeats)))
        note = load_note()
        if mx_python:
            for k, v in mxnet_times(mx_python, model, args.repeats, THREADS, args.workers).items():
                rows['mxnet 1.9.1 ' + k] = v
        ref = rows.get('pytorch eager')
        desc = ('N=%d T=%d F=%d Dense(128)+BiLSTM(%d)+Dense(%d)' % (N, T, F, H, C) if model == 'ctc' else
                'N=%d %dx%d 2x[Conv3x3+ReLU+MaxPool2]+BiLSTM(%d)+Dense(%d)' % (CAP_N, *CAP_HW, H, C))
        workers = ('; %d CPU workers (minigluon, MXNet)' % args.workers) if args.workers else ''
        print('\n[%s] %s + CTCLoss, Adam; %s; %d threads (BLAS and PyTorch)%s; median of %d steps; %s'
              % (model, desc, args.ctx, THREADS, workers, args.repeats, note))
        print('%-26s %12s %12s' % ('framework', 'median ms', 'x PyTorch'))
        for k, v in rows.items():
            print('%-26s %12.2f %12s' % (k, v * 1e3, '%.2f' % (v / ref) if ref else '-'))
        print('minigluon hybridized speed-up over eager: %.2fx'
              % (rows['minigluon eager'] / rows['minigluon hybridized']))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
