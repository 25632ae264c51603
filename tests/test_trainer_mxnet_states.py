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
import struct
import subprocess
import sys
import warnings

import numpy as np
import pytest

from minigluon import autograd, cpu, gluon, nd
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


def _net(params_file, ctx=None):
    net = gluon.nn.Dense(2, in_units=3)
    net.load_parameters(_path(params_file), ctx=ctx)
    return net


def _steps(net, trainer, n, ctx=None):
    ctxs = ctx if isinstance(ctx, list) else [ctx or cpu()]
    weights = []
    for _ in range(n):
        with autograd.record():
            losses = [((net(nd.array(X, ctx=c)) - nd.array(Y, ctx=c)) ** 2).sum() for c in ctxs]
        for loss in losses:
            loss.backward()
        trainer.step(4 * len(ctxs))
        weights.append([(net.weight.data(c).asnumpy(), net.bias.data(c).asnumpy()) for c in ctxs])
    return weights


def _assert_matches(weights, key):
    for ctx_index in range(len(weights[0])):
        w = np.stack([step[ctx_index][0] for step in weights])
        b = np.stack([step[ctx_index][1] for step in weights])
        assert_almost_equal(w, EXPECTED[key + '/weight'], rtol=1e-5, atol=1e-6)
        assert_almost_equal(b, EXPECTED[key + '/bias'], rtol=1e-5, atol=1e-6)


# -- continuing MXNet's training -------------------------------------------------------------------

@pytest.mark.parametrize('built', ['defaults', 'as_saved'])
@pytest.mark.parametrize('tag', sorted(CONFIGS))
def test_training_continues_like_mxnet(tag, built):
    """A Trainer made with the optimizer name alone (MXNet takes every hyper-parameter from the
    file) or with the saved arguments loads MXNet's states and takes MXNet's next steps."""
    net = _net(tag + '.params')
    kwargs = _kwargs(tag) if built == 'as_saved' else {}
    with warnings.catch_warnings():       # the scheduler config warns, as MXNet does
        warnings.simplefilter('ignore')
        trainer = gluon.Trainer(net.collect_params(), CONFIGS[tag]['optimizer'], kwargs)
    trainer.load_states(_path(tag + '.states'))
    assert trainer.optimizer.num_update == CONFIG['before']
    _assert_matches(_steps(net, trainer, CONFIG['after']), tag)
    assert trainer.optimizer.num_update == CONFIG['before'] + CONFIG['after']


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
    counts = trainer.optimizer._all_index_update_counts
    assert counts[0] == counts[1] == {0: CONFIG['before'], 1: CONFIG['before']}
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


def test_deep_nesting_is_refused_before_it_crashes(tmp_path):
    """A dict key that is a tuple nested 3 million deep (3 MB) overflows the C stack when the
    unpickler hashes it: a segmentation fault, so it runs in a child process."""
    fname = tmp_path / 'deep.states'
    fname.write_bytes(b'\x80\x04}' + b')' + b'\x85' * 3000000 + b'N' + b's.')
    code = ('from minigluon import gluon\n'
            'net = gluon.nn.Dense(2, in_units=3); net.initialize()\n'
            'trainer = gluon.Trainer(net.collect_params(), "adam")\n'
            'try:\n    trainer.load_states(%r)\nexcept ValueError as err:\n    print(err)\n' % str(fname))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=root))
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'objects nest more than 32 deep' in out.stdout


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
