"""Write ``Trainer.save_states`` files with MXNet 1.9.1, and the weights MXNet reaches after loading
them and training on (run in the MXNet venv, never by the test suite)::

    /opt/mxvenv/bin/python tools/gen_trainer_states_fixtures.py

For each configuration a ``Dense(2, in_units=3)`` starts from fixed weights and takes ``BEFORE``
steps of ``Trainer.step(4)`` on a fixed batch (loss ``sum((net(x) - y)**2)``); then
``save_parameters`` writes ``<tag>.params`` and ``save_states`` writes ``<tag>.states`` (MXNet's
pickle of ``(updater states, optimizer)``). A *fresh* network and a Trainer built with the optimizer
name alone (default hyper-parameters) load both files and take ``AFTER`` more steps: MXNet's
``load_states`` replaces the Trainer's optimizer with the pickled one, so this continues exactly
like the uninterrupted run (checked here). The weights after each further step are stored as
``<tag>/weight`` and ``<tag>/bias`` in ``expected.npz``, with the batch (``x``, ``y``).

``adam_protocol3.states`` and ``adam_protocol5.states`` hold what ``adam.states`` holds, pickled
with protocols 3 and 5 (MXNet under Python 3.8+ writes 4). ``adam_states_only.states`` holds the
states without the optimizer (``Updater.get_states()``, as ``kvstore.save_optimizer_states``
writes by default); a Trainer built with the saved arguments loads it and its update counts start
again (``adam_states_only/weight``, ``adam_states_only/bias``).

The ``MP_CONFIGS`` train float16 parameters with ``multi_precision=True``, whose states hold a
float32 master copy of each weight; MXNet 1.9.1 orders it differently by optimizer: SGD (ccSGD), NAG
and LARS keep ``(momentum or None, master)``, every other optimizer ``(master, state)``. MXNet's CPU
``FullyConnected`` refuses float16, so these configurations use ``MPDense``: the same affine map
(``weight`` (2, 3), ``bias`` (2,)) written with broadcast operators, which the tests rebuild in
minigluon; the batch is cast to float16. ``configs.json`` gives their ``dtype`` (``'float16'``;
``'float32'`` for the others).

``name_order.states`` / ``name_order.params``: MXNet keys the states by the parameter's index in
the Trainer's list, and a ``ParameterDict`` (``collect_params()``) gives that list sorted by name,
not in the network's order. A two-layer network whose layers are named ``dense9_`` and
``dense10_`` (the counter crossed a power of ten) sorts ``dense10_bias, dense10_weight,
dense9_bias, dense9_weight``; after ``BEFORE`` Adam steps its states are saved. Two fresh networks
of the same shapes load both files and take ``AFTER`` steps: one named alike (the states go back
to their parameters: ``name_order/same/<param>``), and one named ``dense0_`` / ``dense1_``, which
sorts in the network's order, so that each index, hence each state, now lands on another layer's
parameter, as MXNet 1.9.1 does it (``name_order/renamed/<param>``, keyed by the network position
``0_weight``...).

Output: ``tests/fixtures/trainer_states/`` (``configs.json`` describes every configuration).
"""
import json
import os
import pickle
import warnings

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'trainer_states')
BEFORE, AFTER = 3, 3

# tag: (optimizer name, keyword arguments, scheduler (class name, kwargs) or None, note)
CONFIGS = {
    'sgd': ('sgd', {'learning_rate': 0.1, 'wd': 0.01}, None, 'no momentum: states are None'),
    'sgd_momentum': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01,
                             'clip_gradient': 2.0}, None, 'one momentum array per parameter'),
    'sgd_numpy_lr': ('sgd', {'learning_rate': 'np.float64(0.05)', 'momentum': 0.5}, None,
                     'the pickled learning rate is a numpy.float64 scalar'),
    'nag': ('nag', {'learning_rate': 0.1, 'momentum': 0.9}, None, 'momentum arrays'),
    'nag_plain': ('nag', {'learning_rate': 0.1}, None, 'no momentum: states are None'),
    'adam': ('adam', {'learning_rate': 0.05, 'wd': 0.01, 'beta1': 0.8}, None,
             '(mean, var); the update counts drive the bias correction'),
    'adam_scheduler': ('adam', {'learning_rate': 0.05},
                       ('FactorScheduler', {'step': 2, 'factor': 0.5}),
                       'the pickled FactorScheduler (count, decayed base_lr) continues'),
    'rmsprop': ('rmsprop', {'learning_rate': 0.01, 'gamma1': 0.8}, None, '(n,)'),
    'rmsprop_centered': ('rmsprop', {'learning_rate': 0.01, 'centered': True,
                                     'clip_weights': 0.5}, None, '(n, g, delta)'),
    'adagrad': ('adagrad', {'learning_rate': 0.1, 'eps': 1e-6}, None, 'history'),
    'adadelta': ('adadelta', {'rho': 0.8, 'epsilon': 1e-4}, None, '(acc_g, acc_delta)'),
    'ftml': ('ftml', {'learning_rate': 0.05, 'beta1': 0.5}, None, '(d, v, z)'),
    'signum': ('signum', {'learning_rate': 0.01, 'momentum': 0.8}, None, 'momentum arrays'),
    'signsgd': ('signum', {'learning_rate': 0.01, 'momentum': 0.0}, None, 'no states'),
    'nadam': ('nadam', {'learning_rate': 0.05}, None, 'the optimizer-wide m_schedule'),
}

# float16 parameters with multi_precision=True (see MPDense): the layouts MXNet 1.9.1 pickles
MP_CONFIGS = {
    'sgd_mp': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01, 'multi_precision': True},
               None, '(momentum, float32 master)'),
    'sgd_mp_plain': ('sgd', {'learning_rate': 0.1, 'multi_precision': True}, None,
                     '(None, float32 master)'),
    'ccsgd_mp': ('ccsgd', {'learning_rate': 0.1, 'momentum': 0.9, 'multi_precision': True}, None,
                 "SGD's layout: (momentum, float32 master)"),
    'nag_mp': ('nag', {'learning_rate': 0.1, 'momentum': 0.9, 'multi_precision': True}, None,
               '(momentum, float32 master)'),
    'nag_mp_plain': ('nag', {'learning_rate': 0.1, 'multi_precision': True}, None,
                     '(None, float32 master)'),
    'lars_mp': ('lars', {'learning_rate': 0.05, 'momentum': 0.8, 'multi_precision': True}, None,
                '(momentum, float32 master), as minigluon keeps it'),
    'adam_mp': ('adam', {'learning_rate': 0.05, 'multi_precision': True}, None,
                '(float32 master, (mean, var))'),
}

# Python 3.8+ pickles with protocol 4 (what MXNet writes here); 3.6/3.7 wrote 3, 3.14 writes 5
PROTOCOL_VARIANTS = {'adam': (3, 5)}
# kvstore.save_optimizer_states(dump_optimizer=False) / Updater.get_states(): the states alone
STATES_ONLY = ('adam',)

W0 = np.array([[0.3, -0.2, 0.5], [-0.4, 0.1, 0.25]], dtype=np.float32)
B0 = np.array([0.05, -0.1], dtype=np.float32)


def _all_configs():
    return dict(CONFIGS, **MP_CONFIGS)


def _dtype(tag):
    return 'float16' if tag in MP_CONFIGS else 'float32'


def _kwargs(kwargs, scheduler):
    out = {k: (np.float64(float(v[len('np.float64('):-1])) if isinstance(v, str) and
               v.startswith('np.float64(') else v) for k, v in kwargs.items()}
    if scheduler is not None:
        out['lr_scheduler'] = getattr(mx.lr_scheduler, scheduler[0])(**scheduler[1])
    return out


class MPDense(gluon.HybridBlock):
    """``Dense(2, in_units=3)`` with broadcast operators, which run in float16 on a CPU."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(2, 3))
            self.bias = self.params.get('bias', shape=(2,))

    def hybrid_forward(self, F, x, weight, bias):
        prod = F.broadcast_mul(F.expand_dims(x, 1), F.expand_dims(weight, 0))
        return F.broadcast_add(F.sum(prod, axis=2), F.expand_dims(bias, 0))


def _new_net(dtype):
    if dtype == 'float32':
        return gluon.nn.Dense(2, in_units=3)
    net = MPDense()
    net.cast(dtype)
    return net


def _net(dtype):
    net = _new_net(dtype)
    net.initialize()
    net.weight.set_data(nd.array(W0, dtype=dtype))
    net.bias.set_data(nd.array(B0, dtype=dtype))
    return net


def _step(net, trainer, x, y):
    dtype = net.weight.dtype
    with autograd.record():
        loss = ((net(x.astype(dtype)) - y.astype(dtype)) ** 2).sum()
    loss.backward()
    trainer.step(4)


NAME_ORDER_PREFIXES = {'same': ('dense9_', 'dense10_'), 'renamed': ('dense0_', 'dense1_')}


def _two_layers(prefixes):
    """Two ``Dense(2, in_units=2)`` layers with the given name prefixes (fixed weights)."""
    net = gluon.nn.HybridSequential(prefix='')
    for prefix in prefixes:
        net.add(gluon.nn.Dense(2, in_units=2, prefix=prefix))
    net.initialize()
    for i, layer in enumerate(net):
        layer.weight.set_data(nd.array([[0.5, -0.25], [0.125, 0.75]]) * (i + 1))
        layer.bias.set_data(nd.array([0.1, -0.2]) * (i + 1))
    return net


def _two_layer_step(net, trainer, x, y):
    with autograd.record():
        loss = ((net(x) - y) ** 2).sum()
    loss.backward()
    trainer.step(4)


def name_order_fixture(expected, x, y):
    """``name_order.*`` and ``name_order/...`` in ``expected`` (see the module docstring)."""
    x, y = x[:, :2], y
    net = _two_layers(NAME_ORDER_PREFIXES['same'])
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
    assert [p.name for p in trainer._params][:2] == ['dense10_bias', 'dense10_weight']
    for _ in range(BEFORE):
        _two_layer_step(net, trainer, x, y)
    params = os.path.join(OUT, 'name_order.params')
    states = os.path.join(OUT, 'name_order.states')
    net.save_parameters(params)       # (keyed by structure: 0.weight, 1.bias...)
    trainer.save_states(states)
    for kind, prefixes in NAME_ORDER_PREFIXES.items():
        net2 = _two_layers(prefixes)
        net2.load_parameters(params)
        trainer2 = gluon.Trainer(net2.collect_params(), 'adam')
        trainer2.load_states(states)
        for _ in range(AFTER):
            _two_layer_step(net2, trainer2, x, y)
        for i, layer in enumerate(net2):
            expected['name_order/%s/%d_weight' % (kind, i)] = layer.weight.data().asnumpy()
            expected['name_order/%s/%d_bias' % (kind, i)] = layer.bias.data().asnumpy()


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(7)
    x_np = rng.randn(4, 3).astype(np.float32)
    y_np = rng.randn(4, 2).astype(np.float32)
    x, y = nd.array(x_np), nd.array(y_np)
    expected = {'x': x_np, 'y': y_np}
    for tag, (name, kwargs, scheduler, _note) in _all_configs().items():
        dtype = _dtype(tag)
        net = _net(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            trainer = gluon.Trainer(net.collect_params(), name, _kwargs(kwargs, scheduler))
        for _ in range(BEFORE):
            _step(net, trainer, x, y)
        params = os.path.join(OUT, tag + '.params')
        states = os.path.join(OUT, tag + '.states')
        net.save_parameters(params)
        trainer.save_states(states)
        if tag in PROTOCOL_VARIANTS:   # get_states(dump_optimizer=True) under other protocols
            updater = trainer._updaters[0]
            for protocol in PROTOCOL_VARIANTS[tag]:
                with open(os.path.join(OUT, '%s_protocol%d.states' % (tag, protocol)), 'wb') as f:
                    f.write(pickle.dumps((updater.states, updater.optimizer), protocol=protocol))
        if tag in STATES_ONLY:      # get_states(dump_optimizer=False): no optimizer in the file
            only = os.path.join(OUT, tag + '_states_only.states')
            with open(only, 'wb') as f:
                f.write(trainer._updaters[0].get_states(dump_optimizer=False))
            net3 = _new_net(dtype)
            net3.load_parameters(params)
            trainer3 = gluon.Trainer(net3.collect_params(), name, _kwargs(kwargs, scheduler))
            trainer3.load_states(only)     # the states only: counts start again from 0
            steps = []
            for _ in range(AFTER):
                _step(net3, trainer3, x, y)
                steps.append((net3.weight.data().asnumpy(), net3.bias.data().asnumpy()))
            expected[tag + '_states_only/weight'] = np.stack([w for w, _ in steps])
            expected[tag + '_states_only/bias'] = np.stack([b for _, b in steps])
        straight = []
        for _ in range(AFTER):
            _step(net, trainer, x, y)
            straight.append((net.weight.data().asnumpy(), net.bias.data().asnumpy()))
        # what a user of MXNet does: a fresh net and a default Trainer load both files
        net2 = _new_net(dtype)
        net2.load_parameters(params)
        trainer2 = gluon.Trainer(net2.collect_params(), name)
        trainer2.load_states(states)
        resumed = []
        for _ in range(AFTER):
            _step(net2, trainer2, x, y)
            resumed.append((net2.weight.data().asnumpy(), net2.bias.data().asnumpy()))
        for (w1, b1), (w2, b2) in zip(straight, resumed):
            assert np.array_equal(w1, w2) and np.array_equal(b1, b2), tag
        expected[tag + '/weight'] = np.stack([w for w, _ in resumed])
        expected[tag + '/bias'] = np.stack([b for _, b in resumed])
    name_order_fixture(expected, x, y)
    np.savez(os.path.join(OUT, 'expected.npz'), **expected)
    with open(os.path.join(OUT, 'configs.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'before': BEFORE, 'after': AFTER,
                   'protocol_variants': PROTOCOL_VARIANTS, 'states_only': STATES_ONLY,
                   'configs': {tag: {'optimizer': name, 'kwargs': kwargs, 'scheduler': scheduler,
                                     'note': note, 'dtype': _dtype(tag)}
                               for tag, (name, kwargs, scheduler, note) in _all_configs().items()}},
                  f, indent=1, sort_keys=True)
    print('wrote', len(_all_configs()), 'configurations to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
