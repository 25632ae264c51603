"""One CTC training step, side by side: minigluon eager, minigluon hybridized, PyTorch CPU, MXNet 1.9.1.

Model (issue "Speed"): (N=32, T=64, 32 features) -> Dense(128, relu) per frame -> bidirectional LSTM(64)
-> Dense(11) per frame -> CTCLoss (blank last), Adam. Also the captcha OCR model of examples/ when
--captcha is given. Prints medians over repeats and ratios to PyTorch, with the machine's load.

    python bench/bench_train.py [--repeats 30] [--threads 2]
    MXNET_PYTHON=/path/to/mxnet-venv/bin/python python bench/bench_train.py   # adds MXNet columns

MXNet runs in its own interpreter (its venv needs numpy<1.24), through bench/_mxnet_train_worker.py.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

N, T, F, H, C, L = 32, 64, 32, 64, 11, 12
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def make_batch(seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(N, T, F).astype(np.float32)
    lengths = rng.randint(L // 2, L + 1, size=N)
    label = -np.ones((N, L), dtype=np.float32)
    for i, n in enumerate(lengths):
        label[i, :n] = rng.randint(0, C - 1, size=n)
    return x, label


def time_steps(step, repeats, warmup=3):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def minigluon_step(hybridize):
    import minigluon as mx
    from minigluon import autograd, gluon
    from minigluon.gluon import nn, rnn

    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.proj = nn.Dense(128, activation='relu', flatten=False)
                self.lstm = rnn.LSTM(H, bidirectional=True, layout='NTC')
                self.out = nn.Dense(C, flatten=False)

        def hybrid_forward(self, F, x):
            return self.out(self.lstm(self.proj(x)))

    net = Net()
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.CTCLoss()
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
        loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 1e-3})
    x, label = make_batch()
    x, label = mx.nd.array(x), mx.nd.array(label)

    def step():
        with autograd.record():
            loss = loss_fn(net(x), label)
        loss.backward()
        trainer.step(N)
        loss.asnumpy()
    return step


def torch_step(threads):
    import torch
    torch.set_num_threads(threads)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(F, 128)
            self.lstm = torch.nn.LSTM(128, H, bidirectional=True, batch_first=True)
            self.out = torch.nn.Linear(2 * H, C)

        def forward(self, x):
            return self.out(self.lstm(torch.relu(self.proj(x)))[0])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, label = make_batch()
    x = torch.from_numpy(x)
    lengths = torch.from_numpy((label >= 0).sum(1)).long()
    targets = torch.from_numpy(np.where(label < 0, 0, label)).long()
    in_lengths = torch.full((N,), T, dtype=torch.long)

    def step():
        opt.zero_grad()
        logp = net(x).log_softmax(-1).transpose(0, 1)
        loss = torch.nn.functional.ctc_loss(logp, targets, in_lengths, lengths, blank=C - 1,
                                            reduction='none')
        loss.sum().backward()
        opt.step()
    return step


def mxnet_times(python, repeats):
    out = subprocess.run([python, os.path.join(HERE, '_mxnet_train_worker.py'), str(repeats)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=30)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    rows = {}
    try:
        rows['pytorch eager'] = time_steps(torch_step(args.threads), args.repeats)
    except ImportError:
        print('PyTorch not installed (pip install torch==2.13.0): no reference column')
    rows['minigluon eager'] = time_steps(minigluon_step(False), args.repeats)
    rows['minigluon hybridized'] = time_steps(minigluon_step(True), args.repeats)
    mx_python = os.environ.get('MXNET_PYTHON')
    if mx_python:
        for k, v in mxnet_times(mx_python, args.repeats).items():
            rows['mxnet 1.9.1 ' + k] = v
    ref = rows.get('pytorch eager')
    print('CTC training step N=%d T=%d F=%d Dense(128)+BiLSTM(%d)+Dense(%d)+CTC, Adam; %d repeats; '
          'load average %s' % (N, T, F, H, C, args.repeats, ', '.join('%.2f' % v for v in os.getloadavg())))
    print('%-26s %12s %14s' % ('framework', 'median ms', 'x PyTorch'))
    for k, v in rows.items():
        print('%-26s %12.2f %14s' % (k, v * 1e3, '%.2f' % (v / ref) if ref else '-'))
    if 'minigluon hybridized' in rows:
        print('hybridized speed-up over eager: %.2fx' % (rows['minigluon eager'] / rows['minigluon hybridized']))


if __name__ == '__main__':
    main()
