"""MXNet 1.9.1 side of bench_train.py; runs inside the MXNet venv and prints one JSON line of medians.

    python _mxnet_train_worker.py REPEATS [ctc|captcha]
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon  # noqa: E402
from mxnet.gluon import nn, rnn  # noqa: E402

from bench_train import C, H, make_batch  # noqa: E402


class Net(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.proj = nn.Dense(128, activation='relu', flatten=False)
            self.lstm = rnn.LSTM(H, bidirectional=True, layout='NTC')
            self.out = nn.Dense(C, flatten=False)

    def hybrid_forward(self, F, x):
        return self.out(self.lstm(self.proj(x)))


class Captcha(gluon.HybridBlock):
    """examples/captcha_ocr.py's CaptchaNet, written for MXNet."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.features = nn.HybridSequential()
            for c in (16, 32):
                self.features.add(nn.Conv2D(c, kernel_size=3, padding=1, activation='relu'),
                                  nn.MaxPool2D(pool_size=2))
            self.lstm = rnn.LSTM(H, bidirectional=True, layout='NTC', input_size=256)
            self.out = nn.Dense(C, flatten=False)

    def hybrid_forward(self, F, x):
        x = self.features(F.expand_dims(x, axis=1))
        x = F.reshape(F.transpose(x, axes=(0, 3, 1, 2)), shape=(0, 0, -3))
        return self.out(self.lstm(x))


def run(hybridize, repeats, model):
    net = Net() if model == 'ctc' else Captcha()
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.CTCLoss()
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
        loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 1e-3})
    x, label = make_batch(model)
    x, label = mx.nd.array(x), mx.nd.array(label)
    times = []
    for i in range(repeats + 3):
        t0 = time.perf_counter()
        with autograd.record():
            loss = loss_fn(net(x), label)
        loss.backward()
        trainer.step(x.shape[0])
        loss.asnumpy()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


if __name__ == '__main__':
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    which = sys.argv[2] if len(sys.argv) > 2 else 'ctc'
    print(json.dumps({'eager': run(False, reps, which), 'hybridized': run(True, reps, which)}))
