"""Trainer.load_states of files written by MXNet 1.9.1's Trainer.save_states (a pickle of the
updater states and the optimizer): training continues with MXNet's numbers, and the whitelisting
unpickler refuses anything else without running it.

The fixtures come from ``tools/gen_trainer_states_fixtures.py`` (MXNet venv); MXNet itself is
never imported here. ``pickle`` is used only to craft hostile files.
"""
import builtins
import copy
import io
import json
import os
import pickle
import pickletools
import re
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest

from minigluon import autograd, cpu, current_context, gluon, nd, serialization
from minigluon.base import MXNetFormatError
from minigluon.lr_scheduler import FactorScheduler, MultiFactorScheduler
from minigluon.test_utils import assert_almost_equal

DIR = os.path.join(os.path.dirname(__file__), 'fixtures', 'trainer_states')
with open(os.path.join(DIR, 'configs.json')) as _f:
    CONFIG = json.load(_f)
CONFIGS = CONFIG['configs']
EXPECTED = np.load(os.path.join(DIR, 'expected.npz'))
X, Y = EXPECTED['x'], EXPECTED['y']


def _path(name):
    return os.path.join(DIR, name)


def _kwargs(tag):
    cfg = CONFIGS[tag]
    out = {}
    for key, value in cfg['kwargs'].items():
        if isinstance(value, str) and value.startswith('np.float64('):
            value = np.float64(float(value[len('np.float64('):-1]))
        out[key] = value
    if cfg['scheduler']:
        name, args = cfg['scheduler']
        out['lr_scheduler'] = {'FactorScheduler': FactorScheduler,
                               'MultiFactorScheduler': MultiFactorScheduler}[name](**args)
    return out


class MPDense(gluon.HybridBlock):
    """``Dense(2, in_units=3)`` in broadcast operators, as the generator's float16 networks are
    (MXNet's CPU FullyConnected refuses float16)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(2, 3))
            self.bias = self.params.get('bias', shape=(2,))

    def hybrid_forward(self, F, x, weight, bias):
        prod = F.broadcast_mul(F.expand_dims(x, 1), F.expand_dims(weight, 0))
        return F.broadcast_add(F.sum(prod, axis=2), F.expand_dims(bias, 0))


def _dtype(tag):
    return CONFIGS[tag]['dtype']


def _net(params_file, ctx=None, dtype='float32'):
    if dtype == 'float32':
        net = gluon.nn.Dense(2, in_units=3)
    else:
        net = MPDense()
        net.cast(dtype)
    net.load_parameters(_path(params_file), ctx=ctx)
    return net


def _steps(net, trainer, n, ctx=None):
    ctxs = ctx if isinstance(ctx, list) else [ctx or cpu()]
    dtype = net.weight.dtype
    weights = []
    for _ in range(n):
        with autograd.record():
            losses = [((net(nd.array(X, ctx=c, dtype=dtype)) - nd.array(Y, ctx=c, dtype=dtype)) ** 2
                       ).sum() for c in ctxs]
        for loss in losses:
            loss.backward()
        trainer.step(4 * len(ctxs))
        weights.append([(net.weight.data(c).asnumpy(), net.bias.data(c).asnumpy()) for c in ctxs])
    return weights


def _assert_matches(weights, key):
    for ctx_index in range(len(weights[0])):
        w = np.stack([step[ctx_index][0] for step in weights])
        b = np.stack([step[ctx_index][1] for step in weights])
        assert w.dtype == EXPECTED[key + '/weight'].dtype
        # float16: the float32 updates are MXNet's, but the float16 forward and backward passes
        # round a little differently (a gradient 1 ulp off), so the weights may differ by an ulp
        # or two; a state read in the wrong order is off by tenths
        rtol, atol = (1e-3, 1e-3) if w.dtype == np.float16 else (1e-5, 1e-6)
        assert_almost_equal(w, EXPECTED[key + '/weight'], rtol=rtol, atol=atol)
        assert_almost_equal(b, EXPECTED[key + '/bias'], rtol=rtol, atol=atol)


# -- continuing MXNet's training -------------------------------------------------------------------

@pytest.mark.parametrize('built', ['defaults', 'as_saved'])
@pytest.mark.parametrize('tag', sorted(CONFIGS))
def test_training_continues_like_mxnet(tag, built):
    """A Trainer made with the optimizer name alone (MXNet takes every hyper-parameter from the
    file) or with the saved arguments loads MXNet's states and takes MXNet's next steps."""
    net = _net(tag + '.params', dtype=_dtype(tag))
    kwargs = _kwargs(tag) if built == 'as_saved' else {}
    with warnings.catch_warnings():       # the scheduler config warns, as MXNet does
        warnings.simplefilter('ignore')
        trainer = gluon.Trainer(net.collect_params(), CONFIGS[tag]['optimizer'], kwargs)
    trainer.load_states(_path(tag + '.states'))
    assert trainer.optimizer.num_update == CONFIG['before']
    _assert_matches(_steps(net, trainer, CONFIG['after']), tag)
    assert trainer.optimizer.num_update == CONFIG['before'] + CONFIG['after']


def _two_layers(prefixes):
    """The generator's two ``Dense(2, in_units=2)`` layers named by ``prefixes``."""
    net = gluon.nn.HybridSequential(prefix='')
    for prefix in prefixes:
        net.add(gluon.nn.Dense(2, in_units=2, prefix=prefix))
    net.load_parameters(_path('name_order.params'), ctx=current_context())
    return net


@pytest.mark.parametrize('kind, prefixes', [('same', ('dense9_', 'dense10_')),
                                            ('renamed', ('dense0_', 'dense1_'))])
@pytest.mark.parametrize('as_list', [False, True])
def test_states_follow_the_trainer_order_sorted_by_name(kind, prefixes, as_list):
    """MXNet keys the states by the parameter's index in the Trainer's list, which a
    ``ParameterDict`` gives sorted by name (``dense10_*`` before ``dense9_*``), not in the
    network's order. Loaded into layers named alike, each state returns to its parameter; into
    layers named ``dense0_`` / ``dense1_`` (network order), each lands on the other layer's
    parameter of that index, as in MXNet 1.9.1 (the weights after three more Adam steps are
    MXNet's). The list of ``collect_params()``'s values sorted by name is the same Trainer."""
    net = _two_layers(prefixes)
    params = net.collect_params()
    if as_list:
        params = [params[k] for k in sorted(params.keys())]
    trainer = gluon.Trainer(params, 'adam')
    trainer.load_states(_path('name_order.states'))
    x, y = nd.array(X[:, :2]), nd.array(Y)
    for _ in range(CONFIG['after']):
        with autograd.record():
            loss = ((net(x) - y) ** 2).sum()
        loss.backward()
        trainer.step(4)
    for i, layer in enumerate(net):
        key = 'name_order/%s/%d_' % (kind, i)
        assert_almost_equal(layer.weight.data().asnumpy(), EXPECTED[key + 'weight'],
                            rtol=1e-5, atol=1e-6)
        assert_almost_equal(layer.bias.data().asnumpy(), EXPECTED[key + 'bias'],
                            rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('protocol', [3, 5])
def test_other_pickle_protocols(protocol):
    net = _net('adam.params')
    trainer = gluon.Trainer(net.collect_params(), 'adam')
    trainer.load_states(_path('adam_protocol%d.states' % protocol))
    _assert_matches(_steps(net, trainer, CONFIG['after']), 'adam')


def test_two_contexts_continue_alike():
    ctxs = [cpu(0), cpu(1)]
    net = _net('adam.params', ctx=ctxs)
    trainer = gluon.Trainer(net.collect_params(), 'adam')
    trainer.load_states(_path('adam.states'))
    # as MXNet 1.9.1 (measured): several contexts with the default 'device' store run the
    # optimizer on the store, one updater whose counts the file restored
    assert trainer._update_on_kvstore is True
    assert trainer.optimizer._all_index_update_counts == {
        0: {0: CONFIG['before'], 1: CONFIG['before']}}
    weights = _steps(net, trainer, CONFIG['after'], ctx=ctxs)
    # both copies see the same summed gradient of two identical batches: twice the gradient,
    # divided by twice the batch size, is the single-context step
    _assert_matches(weights, 'adam')


def test_states_only_file_keeps_the_optimizer():
    """``Updater.get_states()`` without the optimizer: MXNet keeps the Trainer's optimizer (and
    its fresh update counts) and replaces the states only."""
    net = _net('adam.params')
    trainer = gluon.Trainer(net.collect_params(), 'adam', _kwargs('adam'))
    trainer.load_states(_path('adam_states_only.states'))
    assert trainer.optimizer.num_update == 0 and trainer.optimizer.lr == 0.05
    _assert_matches(_steps(net, trainer, CONFIG['after']), 'adam_states_only')


def test_what_is_restored():
    net = _net('adam.params')
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.5, 'beta2': 0.9})
    trainer.load_states(_path('adam.states'))
    o = trainer.optimizer
    assert (o.lr, o.wd, o.beta1, o.beta2, o.epsilon) == (0.05, 0.01, 0.8, 0.999, 1e-8)
    assert o.num_update == 3 and o._index_update_count == {0: 3, 1: 3}
    assert o.param_dict[0] is trainer._params[0]       # the Trainer's, not the file's
    assert o.rescale_grad == 1.0 / 4                    # as saved; step() sets its own
    state = trainer._updaters[0].states[1]
    assert isinstance(state, tuple) and len(state) == 2 and state[0].shape == (2, 3)
    assert state[0].dtype == np.float32 and state[0].context == cpu()

    net = _net('sgd_numpy_lr.params')
    trainer = gluon.Trainer(net.collect_params(), 'sgd')
    trainer.load_states(_path('sgd_numpy_lr.states'))
    assert type(trainer.optimizer.lr) is np.float64 and trainer.optimizer.lr == 0.05
    assert trainer.optimizer.momentum == 0.5

    net = _net('nadam.params')
    trainer = gluon.Trainer(net.collect_params(), 'nadam')
    assert trainer.optimizer.m_schedule == 1.0
    trainer.load_states(_path('nadam.states'))
    assert 0 < trainer.optimizer.m_schedule < 1


@pytest.mark.parametrize('tag', sorted(t for t in CONFIGS if CONFIGS[t]['dtype'] == 'float16'))
def test_multi_precision_states_take_minigluon_order(tag):
    """MXNet 1.9.1 pickles the state of a float16 weight with multi_precision as (momentum or
    None, float32 master) for SGD, ccSGD, NAG and LARS, and (master, state) for the others;
    minigluon keeps (master, state) except for LARS. The master is the saved float16 weight in
    float32 (bit for bit once rounded), which tells it from the momentum of the same shape."""
    net = _net(tag + '.params', dtype='float16')
    trainer = gluon.Trainer(net.collect_params(), CONFIGS[tag]['optimizer'])
    trainer.load_states(_path(tag + '.states'))
    assert trainer.optimizer.multi_precision is True
    momentum = CONFIGS[tag]['kwargs'].get('momentum', 0)
    for index, param in enumerate(trainer._params):
        state = trainer._updaters[0].states[index]
        assert isinstance(state, tuple) and len(state) == 2
        master, other = (state[1], state[0]) if tag.startswith('lars') else state
        assert master.dtype == np.float32
        assert np.array_equal(master.asnumpy().astype(np.float16), param.data().asnumpy())
        if tag.startswith('adam'):
            assert isinstance(other, tuple) and len(other) == 2
        elif momentum:
            assert other.dtype == np.float32
            assert not np.array_equal(other.asnumpy().astype(np.float16), param.data().asnumpy())
        else:
            assert other is None


@pytest.mark.filterwarnings('ignore:learning rate from')
def test_scheduler_is_taken_from_the_file():
    # saved after 3 updates of FactorScheduler(step=2, factor=0.5, base_lr=0.05): one decay
    net = _net('adam_scheduler.params')
    mine = FactorScheduler(step=10, factor=0.9, base_lr=1.0)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'lr_scheduler': mine})
    trainer.load_states(_path('adam_scheduler.states'))
    assert trainer.optimizer.lr_scheduler is mine           # same class: continued in place
    assert (mine.step, mine.factor, mine.count, mine.base_lr) == (2, 0.5, 2, 0.025)
    other = gluon.Trainer(_net('adam_scheduler.params').collect_params(), 'adam',
                          {'lr_scheduler': MultiFactorScheduler(step=[5], base_lr=1.0)})
    other.load_states(_path('adam_scheduler.states'))
    adopted = other.optimizer.lr_scheduler
    assert type(adopted) is FactorScheduler and vars(adopted) == vars(mine)   # as MXNet: the file's
    plain = gluon.Trainer(_net('adam.params').collect_params(), 'adam',
                          {'lr_scheduler': FactorScheduler(step=1, factor=0.5, base_lr=0.1)})
    plain.load_states(_path('adam.states'))                  # saved without a scheduler
    assert plain.optimizer.lr_scheduler is None and plain.learning_rate == 0.05


# -- refusing ------------------------------------------------------------------------------------

def _snapshot(trainer, net):
    """Everything a load could change, as plain copies."""
    o = trainer.optimizer

    def arrays(state):
        if state is None:
            return None
        if isinstance(state, tuple):
            return tuple(arrays(s) for s in state)
        return state.asnumpy().tolist()
    return {
        'weights': [p.data().asnumpy().tolist() for p in net.collect_params().values()],
        'states': [{k: arrays(v) for k, v in u.states.items()} for u in trainer._updaters],
        'optimizer': {k: copy.deepcopy(v) for k, v in vars(o).items()
                      if k not in ('param_dict', 'lr_scheduler')},
        'optimizer_class': type(o),
        'scheduler': None if o.lr_scheduler is None else (o.lr_scheduler, dict(vars(o.lr_scheduler))),
    }


def _trained_trainer(optimizer='adam', **kwargs):
    net = _net('adam.params')
    trainer = gluon.Trainer(net.collect_params(), optimizer, kwargs)
    _steps(net, trainer, 2)
    return net, trainer


def _refused(tmp_path, blob, match, optimizer='adam', error=MXNetFormatError, **kwargs):
    net, trainer = _trained_trainer(optimizer, **kwargs)
    before = _snapshot(trainer, net)
    fname = tmp_path / 'bad.states'
    fname.write_bytes(blob)
    with pytest.raises(error, match=match) as info:
        trainer.load_states(str(fname))
    assert _snapshot(trainer, net) == before
    assert 'bad.states' in str(info.value)
    return info.value


class _Reduce:
    """Pickles as ``func(*args)``."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _spy(monkeypatch):
    """Record every call of the functions a hostile pickle reaches for (installed after the
    pickle was made, so that it names the real ones)."""
    calls = []
    for mod, name in [(os, 'system'), (builtins, 'eval'), (builtins, 'exec'), (os, 'remove')]:
        monkeypatch.setattr(mod, name, lambda *a, _n=name, **k: calls.append((_n, a)))
    return calls


@pytest.mark.parametrize('protocol', [3, 4, 5])
@pytest.mark.parametrize('payload', ['os.system', 'builtins.eval', 'nested', 'in_optimizer'])
def test_hostile_pickles_are_refused_without_running_anything(tmp_path, monkeypatch, payload,
                                                              protocol):
    marker = tmp_path / 'pwned'
    command = 'touch %s' % marker
    obj = {'os.system': _Reduce(os.system, command),
           'builtins.eval': _Reduce(eval, "__import__('os').system(%r)" % command),
           # a states dict that looks right, the call inside a state
           'nested': ({0: (None, _Reduce(os.system, command))}, None),
           'in_optimizer': ({}, _Reduce(eval, "__import__('os').system(%r)" % command))}[payload]
    blob = pickle.dumps(obj, protocol=protocol)
    calls = _spy(monkeypatch)
    err = _refused(tmp_path, blob, 'not allowed')
    msg = str(err)
    assert 'posix.system' in msg or 'builtins.eval' in msg
    assert 'nothing was imported or run' in msg
    assert calls == [] and not marker.exists()


def test_other_globals_are_refused(tmp_path):
    # callables that look harmless but are not on the list; and allowed names used wrongly
    for obj, match in [
            (_Reduce(getattr, 'x', 'upper'), 'builtins.getattr'),
            (_Reduce(np.load, 'x.npy'), 'numpy'),
            (_Reduce(io.open, '/etc/passwd'), 'open'),
            (_Reduce(bytearray, 10 ** 9), 'only rebuilt from bytes'),      # a memory bomb
            (FactorScheduler(step=1), 'minigluon.lr_scheduler.FactorScheduler'),
            ({0: np.zeros(2)}, 'numpy'),                                   # ndarray._reconstruct
            (_Reduce(np.dtype, 'O'), 'not a plain numeric type'),          # object scalars
    ]:
        _refused(tmp_path, pickle.dumps(obj, protocol=4), match)


def _memo_bomb():
    # LONG_BINPUT 0xFFFFFFFF: CPython's unpickler would grow its memo to 2**33 entries
    return b'\x80\x04}' + b'r' + struct.pack('<I', 0xFFFFFFFF) + b'.'


@pytest.mark.parametrize('blob, match', [
    (_memo_bomb(), 'memo index'),
    (b'\x80\x04K\x01Q.', 'BINPERSID'),                                   # persistent id
    (b'\x80\x04\x82\x01.', 'EXT1'),                                      # extension registry
    (b'\x80\x04}\x94.junk', 'unexpected bytes after the end'),
    (b'\x80\x04\x95\xff\xff\xff\xff\x00\x00\x00\x00}.', 'not a complete pickle'),
    (b'\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.', 'not a complete pickle'),   # BINBYTES8 2**63
    (b'\x80\x04K\x01.', 'expected a dict of parameter index'),
    (b'\x80\x04}\x94\x8c\x01a\x94N\x85\x94s.', 'not a parameter index'),
])
def test_malformed_pickles_are_refused(tmp_path, blob, match):
    _refused(tmp_path, blob, match)


def _load_in_a_child(fname, timeout):
    """What ``Trainer.load_states(fname)`` of an Adam trainer prints as its ValueError, run in a
    child process (a crash or a hang cannot take the test run with it); fails if the child does."""
    code = ('from minigluon import gluon\n'
            'net = gluon.nn.Dense(2, in_units=3); net.initialize()\n'
            'trainer = gluon.Trainer(net.collect_params(), "adam")\n'
            'try:\n    trainer.load_states(%r)\nexcept ValueError as err:\n    print(err)\n' % str(fname))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=timeout, env=dict(os.environ, PYTHONPATH=root))
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_deep_nesting_is_refused_before_it_crashes(tmp_path):
    """A dict key that is a tuple nested 3 million deep (3 MB) overflows the C stack when the
    unpickler hashes it: a segmentation fault, so it runs in a child process."""
    fname = tmp_path / 'deep.states'
    fname.write_bytes(b'\x80\x04}' + b')' + b'\x85' * 3000000 + b'N' + b's.')
    assert 'objects nest more than 32 deep' in _load_in_a_child(fname, timeout=300)


def test_a_bad_array_inside_is_refused(tmp_path):
    blob = open(_path('adam.states'), 'rb').read()
    magic = struct.pack('<I', 0xF993FAC9)
    at = blob.index(magic)
    corrupt = blob[:at] + struct.pack('<I', 0xDEADBEEF) + blob[at + 4:]
    _refused(tmp_path, corrupt, 'pickled NDArray.*no NDArray magic')


@pytest.mark.filterwarnings('ignore:learning rate from')
def test_truncated_files_leave_the_trainer_unchanged(tmp_path):
    blob = open(_path('adam_scheduler.states'), 'rb').read()
    net, trainer = _trained_trainer('adam', lr_scheduler=FactorScheduler(step=1, factor=0.9))
    before = _snapshot(trainer, net)
    fname = tmp_path / 'cut.states'
    for n in range(len(blob)):
        fname.write_bytes(blob[:n])
        with pytest.raises(MXNetFormatError, match='cut.states'):
            trainer.load_states(str(fname))
    assert _snapshot(trainer, net) == before
    fname.write_bytes(blob)
    trainer.load_states(str(fname))                 # the whole file loads
    assert _snapshot(trainer, net) != before


def test_other_optimizer_or_parameters_are_refused(tmp_path):
    blob = open(_path('adam.states'), 'rb').read()
    err = _refused(tmp_path, blob, 'MXNet optimizer Adam, but this Trainer uses SGD',
                   optimizer='sgd', error=ValueError)
    assert not isinstance(err, MXNetFormatError)
    net = gluon.nn.Dense(4, in_units=3)                     # weight (4, 3), not (2, 3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'adam')
    with pytest.raises(ValueError, match=r'parameter index 0 .*\(2,\).*\(4,\)'):
        trainer.load_states(_path('adam.states'))
    assert trainer.optimizer.num_update == 0 and trainer._updaters[0].states == {}
    few = gluon.Trainer([net.weight], 'adam')
    with pytest.raises(ValueError, match='parameter index 1, but this Trainer has 1 parameters'):
        few.load_states(_path('adam.states'))


def test_neither_format_names_the_file_and_both_formats(tmp_path):
    for blob, tail in [(b'{"format": "json"}', 'starts with the bytes 7b 22 66'),
                       (b'', 'is empty'),
                       (b'(dp0\n.', 'starts with the bytes 28 64 70'),       # a protocol 0 pickle
                       (b'\x80\x02}q\x00.', 'starts with the bytes 80 02')]:
        msg = str(_refused(tmp_path, blob, 'is not a Trainer states file'))
        assert "minigluon's Trainer.save_states format" in msg
        assert "MXNet 1.9.1's Trainer.save_states format (a Python pickle" in msg
        assert msg.endswith(tail) or tail in msg


def test_minigluon_still_writes_no_pickle(tmp_path):
    net, trainer = _trained_trainer()
    fname = str(tmp_path / 'own.states')
    trainer.save_states(fname)
    blob = open(fname, 'rb').read()
    assert blob[:8] == struct.pack('<Q', 0x112) and not blob.startswith(b'\x80')
    trainer.load_states(fname)


# -- crafted files: a small assembler of MXNet-like pickles ---------------------------------------

class _Op(bytes):
    """Opcodes to put in a crafted pickle as they are."""


def _ops(value):
    """The opcodes that push ``value`` (plain data: numbers, strings, None, and dicts, lists and
    tuples of them, nothing met twice), without PROTO, FRAME, MEMOIZE and STOP, so that they can
    go anywhere in a crafted pickle; ``_Op`` values are used as they are."""
    if isinstance(value, _Op):
        return bytes(value)
    if isinstance(value, dict) and any(isinstance(v, _Op) for v in value.values()):
        return b'}(' + b''.join(_ops(k) + _ops(v) for k, v in value.items()) + b'u'
    blob = pickle.dumps(value, protocol=4)
    ops = list(pickletools.genops(blob))
    out = b''
    for (op, _arg, pos), (_next, _a, end) in zip(ops, ops[1:] + [(None, None, len(blob))]):
        assert op.name not in ('BINGET', 'LONG_BINGET'), 'a value met twice'
        if op.name not in ('PROTO', 'FRAME', 'MEMOIZE', 'STOP'):
            out += blob[pos:end]
    return out


def _global(module, name):
    return _Op(_ops(module) + _ops(name) + b'\x93')               # STACK_GLOBAL


def _handle(arr):
    """``bytearray(raw bytes)`` of one array, as an NDArray's state holds it."""
    return _Op(_global('builtins', 'bytearray') + _ops(serialization.dumps_array(arr)) +
               b'\x85R')                                           # TUPLE1 REDUCE


def _ndarray(arr=None, handle=None):
    """``NDArray(None)`` then BUILD with ``{'handle': ...}`` (a crafted handle's opcodes)."""
    handle = _handle(arr) if handle is None else handle
    return _Op(_global('mxnet.ndarray.ndarray', 'NDArray') + b'N\x85R' +
               b'}' + _ops('handle') + handle + b's' + b'b')      # SETITEM BUILD


def _adam_states():
    """Adam's states of Dense(2, in_units=3): index 0 the bias (2,), 1 the weight (2, 3)."""
    return {0: _Op(b'(' + _ndarray(np.zeros(2, np.float32)) + _ndarray(np.zeros(2, np.float32))
                   + b't'),
            1: _Op(b'(' + _ndarray(np.zeros((2, 3), np.float32)) +
                   _ndarray(np.zeros((2, 3), np.float32)) + b't')}


ADAM_ATTRS = {'rescale_grad': 0.25, 'lr_scheduler': None, 'lr': 0.05, 'wd': 0.0, 'lr_mult': {},
              'wd_mult': {}, 'num_update': 3, 'begin_num_update': 0,
              '_all_index_update_counts': {0: {0: 3, 1: 3}}, '_index_update_count': {0: 3, 1: 3},
              'clip_gradient': None, 'multi_precision': False, 'aggregate_num': 0,
              'idx2name': {0: 'dense0_bias', 1: 'dense0_weight'}, 'beta1': 0.9, 'beta2': 0.999,
              'epsilon': 1e-8, 'lazy_update': True, 'use_fused_step': True}


def _record(module, name, attrs):
    """An optimizer or scheduler object as MXNet pickles it: ``cls.__new__(cls)``, then BUILD
    with its attribute dict."""
    return _Op(_global(module, name) + b')\x81' + _ops(attrs) + b'b')   # EMPTY_TUPLE NEWOBJ BUILD


def _mx_file(states=None, optimizer='Adam', **attrs):
    """A pickle of ``(states, optimizer)`` as MXNet's Trainer.save_states writes (protocol 4,
    without frames); ``attrs`` replace the optimizer's attributes (``_Op`` values as they are)."""
    states = _adam_states() if states is None else states
    body = _ops(states) if states else b'}'
    if optimizer is None:
        return b'\x80\x04' + body + b'.'
    full = dict(ADAM_ATTRS, **attrs)
    return b'\x80\x04' + body + _record('mxnet.optimizer.optimizer', optimizer, full) + b'\x86.'


def test_the_assembler_writes_loadable_files(tmp_path):
    net, trainer = _trained_trainer()
    fname = tmp_path / 'crafted.states'
    fname.write_bytes(_mx_file(lr=0.125))
    trainer.load_states(str(fname))
    assert trainer.optimizer.lr == 0.125 and trainer.optimizer.num_update == 3
    _steps(net, trainer, 1)


# -- sharing, sizes, integers: what would cost far more than the file ------------------------------

def _shared_tree(width, depth):
    """A state for index 0 that is a tree of ``width**depth`` leaves, each level ``width``
    references to the one below (memo gets): a few bytes per level."""
    ops = b'N\x940'                                   # None, memo 0, POP
    for level in range(depth):                        # MARK BINGET... TUPLE MEMOIZE (POP)
        ops += b'(' + (b'h' + bytes([level])) * width + b't\x94' + (b'0' if level < depth - 1 else b'')
    return {0: _Op(ops)}


def test_states_that_share_objects_are_refused(tmp_path):
    """MXNet never shares an array, a handle or a tuple between states (or within one); a file
    that does is refused at the second reference, before the tree it makes is walked or an array
    decoded twice."""
    _refused(tmp_path, _mx_file(_shared_tree(2, 3)), 'refers again to a tuple')
    # one NDArray object in two states
    _refused(tmp_path, _mx_file({0: _Op(_ndarray(np.zeros(2, np.float32)) + b'\x94'),
                                 1: _Op(b'h\x00')}), 'refers again to an NDArray')
    # one handle (memoized) in three NDArrays: each would decode it again
    handle = _Op(_handle(np.zeros(2, np.float32)) + b'\x94')
    again = _Op(b'h\x00')
    _refused(tmp_path, _mx_file({0: _Op(b'(' + _ndarray(handle=handle) + _ndarray(handle=again) +
                                        _ndarray(handle=again) + b't')}),
             "refers again to an NDArray's handle")
    # a list that contains itself
    _refused(tmp_path, _mx_file({0: _Op(b']\x94h\x00a')}), 'refers again to a list')


def test_an_exponential_tree_is_refused_at_once(tmp_path):
    """30 references per level, 7 levels: a 1.5 kB file of 30**7 (2e10) leaves (minutes and GBs
    before the sharing check); run in a child process, with a time limit."""
    fname = tmp_path / 'tree.states'
    fname.write_bytes(_mx_file(_shared_tree(30, 7)))
    assert len(fname.read_bytes()) < 2000
    assert 'refers again to a tuple' in _load_in_a_child(fname, timeout=60)


def _row_sparse(rows, cols):
    """Raw bytes of an empty row_sparse float32 array of shape (rows, cols): a few bytes that
    are ``rows * cols * 4`` bytes dense."""
    return (struct.pack('<Ii', 0xF993FAC9, 1) + struct.pack('<iqq', 2, 0, cols) +
            struct.pack('<iqq', 2, rows, cols) + struct.pack('<iii', 1, 0, 0) +
            struct.pack('<i', 6) + struct.pack('<iq', 1, 0))


def test_decoded_arrays_are_bounded_by_the_file_size(tmp_path):
    """Sparse arrays load dense; all the arrays of a states file may take at most what one
    .params file of its size could (SPARSE_EXPANSION times, at least 64 MiB)."""
    raw = _row_sparse(1 << 21, 4)                      # 32 MiB dense, 80 bytes here
    big = [_Op(_ndarray(handle=_Op(_global('builtins', 'bytearray') + _ops(raw) + b'\x85R')))
           for _ in range(3)]
    _refused(tmp_path, _mx_file({0: _Op(b'(' + b''.join(big) + b't')}),
             'take more than 1024 times the file size when decoded')


def test_wide_integers_are_refused(tmp_path):
    """Integers wider than 64 bits: in a state key, an update count, num_update, a device id, a
    hyper-parameter (MXNetFormatError, not the ValueError of printing a 5000-digit int); and int
    keys that all hash alike (multiples of 2**61 - 1), which took quadratic time."""
    huge = 10 ** 5000
    for blob in [_mx_file({huge: None}), _mx_file({-huge: None}),
                 _mx_file(_index_update_count={0: huge}), _mx_file(num_update=-huge),
                 _mx_file(_all_index_update_counts={huge: {0: 1}}), _mx_file(epsilon=10 ** 400),
                 _mx_file({i * (2 ** 61 - 1): None for i in range(2000)})]:
        _refused(tmp_path, blob, 'MXNet states files hold none wider than 64 bits')


def test_container_keys_are_refused(tmp_path):
    """A dict key or set member that is a tuple would be hashed while unpickling: one built from
    shared references takes exponential time, and tuples can be crafted to collide."""
    key = b'K\x07\x94'                                           # 7, memo 0
    for level in range(20):
        key += b'(' + (b'h' + bytes([level])) * 2 + b't\x94'
    _refused(tmp_path, _mx_file({0: None, 1: None}, **{'x': _Op(b'}' + key + b'Ns')}),
             'a dict key or set member at byte \\d+ is not a plain value')
    _refused(tmp_path, b'\x80\x04}\x8f(K\x01K\x02\x86\x90\x94.', 'is not a plain value')  # a set


def test_messages_stay_short(tmp_path):
    """A state of 5000 arrays where the optimizer keeps 2: the layout in the message is cut."""
    leaves = b''.join(_ndarray(np.zeros(2, np.float32)) for _ in range(5000))
    err = _refused(tmp_path, _mx_file({0: _Op(b'(' + leaves + b't')}), 'layout', error=ValueError)
    assert len(str(err)) < 1500
    err = _refused(tmp_path, _mx_file(beta1='x' * 100000), "'beta1' is 'x")
    assert len(str(err)) < 1000


# -- nothing find_class hands out can be changed ---------------------------------------------------

def _module_state():
    """Everything in minigluon._mxnet_states (and the optimizer registry) a load could change."""
    from minigluon import _mxnet_states, optimizer

    def attrs(obj):
        d = getattr(obj, '__dict__', None)
        return (id(obj), getattr(obj, '__qualname__', None), getattr(obj, '__name__', None),
                None if d is None else {k: id(v) for k, v in d.items()})
    stand_ins = [_mxnet_states._allowed(m, n, {}) for m, n in _ALLOWED_GLOBALS]
    return ({k: attrs(v) for k, v in vars(_mxnet_states).items()},
            [type(s).__dict__.keys() for s in stand_ins],
            {k: attrs(v) for k, v in optimizer.Optimizer.opt_registry.items()})


_ALLOWED_GLOBALS = [('mxnet.ndarray.ndarray', 'NDArray'), ('builtins', 'bytearray'),
                    ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
                    ('numpy', 'dtype'), ('mxnet.optimizer.optimizer', 'Adam'),
                    ('mxnet.optimizer', 'SGD'), ('mxnet.optimizer.contrib', 'GroupAdaGrad'),
                    ('mxnet.lr_scheduler', 'FactorScheduler')]


@pytest.mark.parametrize('module, name', _ALLOWED_GLOBALS)
def test_no_load_can_change_the_stand_ins(tmp_path, module, name):
    """``GLOBAL x; BUILD state`` sets attributes on x (``__dict__`` or setattr) unless x refuses:
    every global the unpickler allows is a stand-in that refuses, so no file changes the module
    for the loads that follow."""
    from minigluon import _mxnet_states
    before = _module_state()
    glob = _global(module, name)
    for state in [{'__qualname__': 'pwned', 'extra': 1}, (None, {'__qualname__': 'pwned'}),
                  ({'extra': 1}, {'__name__': 'pwned'})]:
        for blob in [b'\x80\x04' + glob + _ops(state) + b'b.',
                     _mx_file({0: _Op(glob + _ops(state) + b'b')})]:
            _refused(tmp_path, blob, 'the file tries to set the state of')
            assert _module_state() == before
    stand_in = _mxnet_states._allowed(module, name, {})
    with pytest.raises((AttributeError, _mxnet_states._Refused)):
        stand_in.__qualname__ = 'pwned'
    with pytest.raises((AttributeError, _mxnet_states._Refused)):
        stand_in.extra = 1
    assert _module_state() == before


# -- hyper-parameters are checked before anything changes ------------------------------------------

@pytest.mark.parametrize('attrs, match', [
    ({'clip_gradient': 'abc'}, "'clip_gradient' is 'abc'; expected a finite number or None"),
    ({'lr': None}, "'lr' is None, and the optimizer has no lr_scheduler"),
    ({'lr': True}, "'lr' is True; expected a finite number"),
    ({'lr': float('nan')}, "'lr' is nan"),
    ({'beta1': None}, "'beta1' is None; expected a finite number"),
    ({'epsilon': float('inf')}, "'epsilon' is inf"),
    ({'wd': -float('inf')}, "'wd' is -inf"),
    ({'rescale_grad': 'x'}, "'rescale_grad' is 'x'"),
    ({'multi_precision': 1}, "'multi_precision' is 1; expected a bool"),
    ({'lazy_update': None}, "'lazy_update' is None; expected a bool"),
    ({'num_update': 3.5}, "'num_update' is 3.5; expected an int >= 0"),
    ({'begin_num_update': -1}, "'begin_num_update' is -1; expected an int >= 0"),
    ({'lr_scheduler': _record('mxnet.lr_scheduler', 'FactorScheduler', {
        'base_lr': None, 'warmup_steps': 0, 'warmup_final_lr': 0.05, 'warmup_begin_lr': 0,
        'warmup_mode': 'linear', 'step': 2, 'factor': 0.5, 'stop_factor_lr': 1e-8, 'count': 0})},
     "FactorScheduler.base_lr is None; expected a finite number"),
    ({'lr_scheduler': _record('mxnet.lr_scheduler', 'FactorScheduler', {
        'base_lr': 0.05, 'warmup_steps': 0, 'warmup_final_lr': 0.05, 'warmup_begin_lr': 0,
        'warmup_mode': 'cubic', 'step': 2, 'factor': 0.5, 'stop_factor_lr': 1e-8, 'count': 0})},
     "FactorScheduler.warmup_mode is 'cubic'; expected one of 'linear', 'constant'"),
])
def test_malformed_hyper_parameters_are_refused(tmp_path, attrs, match):
    _refused(tmp_path, _mx_file(**attrs), re.escape(match))


def test_lbsgd_settings_are_checked(tmp_path):
    lbsgd = {'momentum': 0.0, 'warmup_strategy': 'linear', 'warmup_epochs': 5, 'batch_scale': 1,
             'updates_per_epoch': 32, 'init_updates': 0, 'num_epochs': 60}
    states = {0: None, 1: None}
    for change, match in [({'warmup_strategy': 'fast'}, "'warmup_strategy' is 'fast'; expected one of"),
                          ({'batch_scale': 0}, "'batch_scale' is 0; expected an int >= 1"),
                          ({'batch_scale': 2.0}, "'batch_scale' is 2.0; expected an int >= 1")]:
        _refused(tmp_path, _mx_file(states, 'LBSGD', **dict(lbsgd, **change)), re.escape(match),
                 optimizer='lbsgd')
    net, trainer = _trained_trainer('lbsgd')
    fname = tmp_path / 'lbsgd.states'
    fname.write_bytes(_mx_file(states, 'LBSGD', **dict(lbsgd, warmup_strategy='sqrt', batch_scale=2)))
    trainer.load_states(str(fname))
    assert trainer.optimizer.warmup_strategy == 'sqrt' and trainer.optimizer.batch_scale == 2


@pytest.mark.filterwarnings('ignore:learning rate from')
def test_none_where_mxnet_has_none(tmp_path):
    """clip_gradient=None (no clipping), and lr=None with a scheduler (MXNet leaves lr None when
    it is created with a scheduler and no learning_rate) load, and training goes on."""
    sched = _record('mxnet.lr_scheduler', 'FactorScheduler', {
        'base_lr': 0.05, 'warmup_steps': 0, 'warmup_final_lr': 0.05, 'warmup_begin_lr': 0,
        'warmup_mode': 'linear', 'step': 2, 'factor': 0.5, 'stop_factor_lr': 1e-8, 'count': 2})
    net, trainer = _trained_trainer(clip_gradient=1.0)
    fname = tmp_path / 'none.states'
    fname.write_bytes(_mx_file(lr=None, lr_scheduler=sched, clip_gradient=None))
    trainer.load_states(str(fname))
    o = trainer.optimizer
    assert o.lr is None and o.clip_gradient is None and o.lr_scheduler.base_lr == 0.05
    _steps(net, trainer, 1)
    assert np.isfinite(net.weight.data().asnumpy()).all()
