"""Training holds no memory across steps (the tape and saved arrays are freed by ``backward``), and
autograd state is per thread (two models trained at once equal the same models trained in turn)."""
import gc
import threading
import tracemalloc

import numpy as np

from minigluon import autograd, gluon, init, nd
from minigluon import random as mx_random
from minigluon.ndarray import NDArray


def _lstm_ctc(seed):
    mx_random.seed(seed)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.rnn.LSTM(6, layout='NTC', input_size=3))
        net.add(gluon.nn.Dense(5, flatten=False, in_units=6))
    net.initialize(init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.05})
    return net, trainer, gluon.loss.CTCLoss()


def _data(seed):
    rng = np.random.RandomState(seed)
    return nd.array(rng.randn(2, 5, 3)), nd.array([[1, 2], [3, -1]])


def _step(net, trainer, loss_fn, x, y):
    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(x.shape[0])
    return loss


def _live_arrays():
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, NDArray))


def test_thousand_lstm_ctc_steps_hold_no_memory():
    net, trainer, loss_fn = _lstm_ctc(0)
    net.hybridize()
    x, y = _data(0)
    first = _step(net, trainer, loss_fn, x, y).asnumpy()
    for _ in range(99):
        _step(net, trainer, loss_fn, x, y)
    live = _live_arrays()
    tracemalloc.start()
    try:
        for _ in range(100):
            _step(net, trainer, loss_fn, x, y)
        gc.collect()
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(800):
            last = _step(net, trainer, loss_fn, x, y)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del last
    assert _live_arrays() == live
    # One leaked step (a tape node with its saved activations) is several KB; allow a few bytes
    # a step for NumPy's and Python's own caches.
    assert current - base < 32 * 800, (base, current)
    assert peak - base < 2 * 1024 * 1024
    assert _step(net, trainer, loss_fn, x, y).asnumpy().sum() < first.sum()   # it did train


def test_backward_frees_the_tape_and_retain_graph_keeps_it():
    x = nd.array(np.random.RandomState(0).randn(50, 50))
    x.attach_grad()
    with autograd.record():
        y = (x * 2).exp().sum()
    y.backward(retain_graph=True)
    y.backward()                          # still possible: the graph was retained
    assert np.isfinite(x.grad.asnumpy()).all()
    assert y._entry[0].op is None and y._entry[0].inputs is None   # saved arrays released
    with autograd.record():
        z = (x * 3).sum()
    z.backward(retain_graph=True)
    assert z._entry[0].op is not None and z._entry[0].inputs is not None


def _train(model, steps):
    """Train a model built by ``_build``; return its parameters and the recording flags seen."""
    net, trainer, loss_fn, x, y = model
    flags = []
    for _ in range(steps):
        flags.append(autograd.is_recording())
        _step(net, trainer, loss_fn, x, y)
    params = net.collect_params()
    return [params[k].data().asnumpy() for k in sorted(params.keys())], flags


def _build(seed):
    return _lstm_ctc(seed) + _data(seed)


def test_two_threads_train_like_one_after_the_other():
    serial = [_train(_build(seed), 30)[0] for seed in (1, 2)]
    models = [_build(seed) for seed in (1, 2)]      # built here, trained concurrently below
    results = [None, None]
    barrier = threading.Barrier(2)

    def worker(i):
        barrier.wait()
        results[i] = _train(models[i], 30)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        params, flags = results[i]
        assert not any(flags)          # the other thread's record() never leaks into this one
        assert len(params) == len(serial[i])
        for got, want in zip(params, serial[i]):
            np.testing.assert_array_equal(got, want)


def test_record_scope_is_per_thread():
    seen = {}
    inside = threading.Event()
    done = threading.Event()

    def other():
        inside.wait()
        seen['recording'] = autograd.is_recording()
        seen['training'] = autograd.is_training()
        done.set()
    t = threading.Thread(target=other)
    t.start()
    with autograd.record():
        inside.set()
        done.wait(10)
    t.join()
    assert seen == {'recording': False, 'training': False}
