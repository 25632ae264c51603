"""Run each of minigluon's own CUDA kernels once on small inputs and compare with the CPU.

Meant to run under NVIDIA's compute-sanitizer (racecheck for the shared-memory kernels, memcheck
for out-of-bounds accesses), which tools/gpu_check.sh does when it is installed::

    compute-sanitizer --tool racecheck python3 tools/gpu_kernels_smoke.py

Kernels covered: the LSTM and GRU whole-loop forward and backward (minigluon/ops/_rnn_cuda.py;
37 hidden units, so the gate rows are not a whole number of warps), the 2x2 max pooling with and without the
fused relu (minigluon/ops/_pool_cuda.py, through a hybridized Conv -> relu -> MaxPool block),
the fused Adam update (minigluon/ops/_update_cuda.py) and the CTC kernels
(minigluon/ops/ctc_cuda.py; also alone on a long label, so that a thread walks several states).
Exits non-zero (an AssertionError) when a GPU result differs from
the CPU's beyond float32 rounding.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import minigluon as mx  # noqa: E402
from minigluon import autograd, gluon, nd  # noqa: E402
from minigluon.gluon import nn, rnn  # noqa: E402


class Net(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.conv = nn.Conv2D(4, 3, padding=1, activation='relu')
            self.pool = nn.MaxPool2D()
            self.lstm = rnn.LSTM(37, bidirectional=True, layout='NTC')
            self.out = nn.Dense(6, flatten=False)

    def hybrid_forward(self, F, x):
        y = self.pool(self.conv(x))                                   # (N, 4, 3, 5)
        y = F.reshape(F.transpose(y, axes=(0, 3, 1, 2)), shape=(0, 0, -1))   # (N, 5, 12)
        return self.out(self.lstm(y))


def run(ctx, hybridize):
    mx.random.seed(1)
    net = Net(prefix='net_')
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = gluon.loss.CTCLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    rng = np.random.RandomState(0)
    x = nd.array(rng.randn(3, 1, 6, 10).astype(np.float32), ctx=ctx)
    label = nd.array(np.array([[1, 2, -1], [3, 3, 4], [0, -1, -1]], np.float32), ctx=ctx)
    losses = []
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(net(x), label)
        loss.backward()
        trainer.step(3)
        losses.append(loss.asnumpy())
    params = {k: v.data().asnumpy() for k, v in net.collect_params().items()}
    return np.stack(losses), params


def long_ctc(ctx):
    """CTC loss and gradient (float64) of 2 samples with labels of 260 and 140 classes over 600
    frames: 521 extended states, more than a thread each in all three CTC kernels."""
    rng = np.random.RandomState(2)
    x = nd.array(rng.randn(600, 2, 6), ctx=ctx, dtype=np.float64)
    label = np.full((2, 260), -1.0)
    label[0] = rng.randint(0, 5, 260)
    label[1, :140] = rng.randint(0, 5, 140)
    x.attach_grad()
    with autograd.record():
        loss = nd.CTCLoss(x, nd.array(label, ctx=ctx), blank_label='last')
    loss.backward()
    return loss.asnumpy(), x.grad.asnumpy()


def gru(ctx):
    """Output and gradients (float32) of a bidirectional GRU(37) over 9 steps: the GRU's
    whole-loop kernels (minigluon/ops/_rnn_cuda.py) on a GPU."""
    mx.random.seed(3)
    layer = rnn.GRU(37, bidirectional=True, layout='NTC', prefix='gru_')
    layer.initialize(mx.init.Xavier(), ctx=ctx)
    x = nd.array(np.random.RandomState(4).randn(3, 9, 5).astype(np.float32), ctx=ctx)
    x.attach_grad()
    with autograd.record():
        y = layer(x)
        loss = (y * y).sum()
    loss.backward()
    grads = {k: v.grad().asnumpy() for k, v in layer.collect_params().items()}
    return y.asnumpy(), x.grad.asnumpy(), grads


def main():
    if mx.num_gpus() < 1:
        print('no GPU: nothing to check')
        return
    (want_y, want_dx, want_g), (got_y, got_dx, got_g) = gru(mx.cpu()), gru(mx.gpu(0))
    np.testing.assert_allclose(got_y, want_y, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-4, atol=1e-5)
    for name in want_g:
        np.testing.assert_allclose(got_g[name], want_g[name], rtol=1e-4, atol=1e-4, err_msg=name)
    print('GRU: GPU = CPU (output and gradients)')
    (want_loss, want_grad), (got_loss, got_grad) = long_ctc(mx.cpu()), long_ctc(mx.gpu(0))
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-10)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-8, atol=1e-12)
    print('long-label CTC: GPU = CPU; losses', np.round(got_loss, 4).tolist())
    for hybridize in (False, True):
        want_loss, want_params = run(mx.cpu(), hybridize)
        got_loss, got_params = run(mx.gpu(0), hybridize)
        np.testing.assert_allclose(got_loss, want_loss, rtol=1e-4, atol=1e-5)
        for name in want_params:
            np.testing.assert_allclose(got_params[name], want_params[name], rtol=1e-4, atol=1e-5,
                                       err_msg=name)
        print('hybridized' if hybridize else 'eager', 'GPU = CPU after 3 Adam steps; losses',
              np.round(got_loss.sum(1), 4).tolist())


if __name__ == '__main__':
    main()
