"""Programs run on minigluon by tests/test_breaker21_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker21_fixtures.py (``mx`` is either package): each returns JSON-able results. An
error is recorded as ``'error'``.

The cases: LBSGD's gradient sum of a macro-batch still open when ``Trainer.save_states`` runs
(MXNet pickles it with the optimizer as ``cumgrads``); a Parameter whose shape waits for data
given values by ``set_data`` in another dtype, or cast after them.
"""
import os

import numpy as np

# LBSGD sums the gradients of batch_scale calls and updates on the last one; the warm-up makes
# the rate grow over warmup_epochs * updates_per_epoch calls
LBSGD = {'learning_rate': 0.05, 'momentum': 0.9, 'batch_scale': 2, 'warmup_epochs': 2,
         'updates_per_epoch': 2, 'warmup_strategy': 'linear'}
W0 = np.array([[0.3, -0.2, 0.5], [-0.4, 0.1, 0.25]], dtype=np.float32)
B0 = np.array([0.05, -0.1], dtype=np.float32)
# the batch of each call: calls 1 and 2 share one (MXNet 1.9.1 sums the first macro-batch's
# gradients by reference to the gradient buffer, so it adds the second gradient twice: with
# equal gradients that is the same sum); the files are saved after call 3, whose gradient is
# then the open sum, and calls 4 to 6 take other batches
BATCHES = [0, 0, 1, 2, 3, 4]
BEFORE = 3


def _batch(mx, k):
    rs = np.random.RandomState(100 + k)
    return (mx.nd.array(rs.uniform(-1, 1, (4, 3)).astype(np.float32)),
            mx.nd.array(rs.uniform(-1, 1, (4, 2)).astype(np.float32)))


def _step(mx, net, trainer, call):
    x, y = _batch(mx, BATCHES[call])
    with mx.autograd.record():
        loss = ((net(x) - y) ** 2).sum()
    loss.backward()
    trainer.step(4)


def _weights(net):
    return [net.weight.data().asnumpy().astype('float64').tolist(),
            net.bias.data().asnumpy().astype('float64').tolist()]


# the optimizers whose MXNet 1.9.1 states files tests/test_trainer_mxnet_states.py does not cover:
# tag -> (optimizer name, arguments); GroupAdaGrad trains the weight alone (it takes 2-d weights
# only), DCASGD runs without momentum (MXNet 1.9.1's DCASGD fails with one: it tests an NDArray
# for truth)
OPTIMIZERS = {
    'lbsgd': ('lbsgd', LBSGD),
    'adamax': ('adamax', {'learning_rate': 0.05, 'beta1': 0.8, 'wd': 0.01}),
    'ftrl': ('ftrl', {'learning_rate': 0.1, 'lamda1': 0.01, 'beta': 0.5}),
    'lamb': ('lamb', {'learning_rate': 0.05, 'wd': 0.01}),
    'dcasgd': ('dcasgd', {'learning_rate': 0.05, 'lamda': 0.1}),
    'groupadagrad': ('groupadagrad', {'learning_rate': 0.1}),
    'test': ('test', {'learning_rate': 0.01}),
}


def _trained(mx, net, tag):
    name, kwargs = OPTIMIZERS[tag]
    params = [net.weight] if tag == 'groupadagrad' else net.collect_params()
    return mx.gluon.Trainer(params, name, dict(kwargs))


def before(mx, folder, tag='lbsgd'):
    """The first ``BEFORE`` calls from fixed weights with the optimizer ``tag``; then
    ``<tag>.params`` and ``<tag>.states`` in ``folder``. Returns the weights then."""
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.weight.set_data(mx.nd.array(W0))
    net.bias.set_data(mx.nd.array(B0))
    trainer = _trained(mx, net, tag)
    for call in range(BEFORE):
        _step(mx, net, trainer, call)
    net.save_parameters(os.path.join(folder, tag + '.params'))
    trainer.save_states(os.path.join(folder, tag + '.states'))
    return _weights(net)


def after(mx, folder, tag='lbsgd'):
    """A fresh network and a Trainer of the same optimizer load the files of :func:`before` and
    make the remaining calls; the weights after each."""
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.load_parameters(os.path.join(folder, tag + '.params'))
    trainer = _trained(mx, net, tag)
    trainer.load_states(os.path.join(folder, tag + '.states'))
    out = []
    for call in range(BEFORE, len(BATCHES)):
        _step(mx, net, trainer, call)
        out.append(_weights(net))
    return out


def _raised(fn):
    try:
        return fn()
    except Exception:          # noqa: BLE001 -- an error is a result here
        return 'error'


def deferred_set_data(mx):
    """Dense(2) whose input size waits for data: set_data of a float64 array, then a float32
    call; set_data of a float32 array, cast('float64'), then a float64 call."""
    nd = mx.nd
    out = {}

    def other_dtype():
        net = mx.gluon.nn.Dense(2)
        net.initialize(mx.init.Constant(0.5))
        net.weight.set_data(nd.array([[1, 2, 3], [4, 5, 6]], dtype='float64'))
        y = net(nd.ones((1, 3)))
        return [y.asnumpy().astype('float64').tolist(), np.dtype(y.dtype).name,
                np.dtype(net.weight.data().dtype).name]

    def cast_after():
        net = mx.gluon.nn.Dense(2)
        net.initialize(mx.init.Constant(0.5))
        net.weight.set_data(nd.array([[1, 2, 3], [4, 5, 6]]))
        net.cast('float64')
        y = net(nd.ones((1, 3), dtype='float64'))
        return [y.asnumpy().astype('float64').tolist(), np.dtype(y.dtype).name,
                np.dtype(net.weight.data().dtype).name]
    out['other_dtype'] = _raised(other_dtype)
    out['cast_after'] = _raised(cast_after)
    return out
