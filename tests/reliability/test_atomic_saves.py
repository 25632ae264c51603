"""Every save path writes a temporary file beside the target, fsyncs it and renames it: a failure
injected at fsync, at the rename, or while the payload is being built leaves the previous file
byte-for-byte intact and no temporary file behind."""
import os

import numpy as np
import pytest

from minigluon import autograd, gluon, nd, serialization
from minigluon import model as mx_model
from minigluon import symbol as sym
from minigluon.parameter import Parameter


def _net():
    net = gluon.nn.HybridSequential(prefix='m_')
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=2))
        net.add(gluon.nn.BatchNorm(in_channels=3))
    net.initialize()
    net.hybridize()
    net(nd.ones((2, 2)))
    return net


def _trainer(net):
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
    with autograd.record():
        loss = (net(nd.array(np.random.RandomState(0).randn(4, 2))) ** 2).sum()
    loss.backward()
    trainer.step(4)
    return trainer


def _bump(net):
    for p in net.collect_params().values():
        p.set_data(p.data() + 1)


SAVERS = {
    'nd.save': lambda net, d: nd.save(os.path.join(d, 'a.params'), {'w': net[0].weight.data()}),
    'save_parameters': lambda net, d: net.save_parameters(os.path.join(d, 'net.params')),
    'save_params': lambda net, d: net.save_params(os.path.join(d, 'net.params')),
    'ParameterDict.save': lambda net, d: net.collect_params().save(os.path.join(d, 'pd.params')),
    'export': lambda net, d: net.export(os.path.join(d, 'model'), epoch=3),
    'Symbol.save': lambda net, d: net._cached_graph[1].save(os.path.join(d, 'g-symbol.json')),
    'sym.save': lambda net, d: sym.json_io.save(net._cached_graph[1], os.path.join(d, 'h-symbol.json')),
    'Trainer.save_states': lambda net, d: _trainer(net).save_states(os.path.join(d, 't.states')),
}


def _files(folder):
    return {name: open(os.path.join(folder, name), 'rb').read() for name in sorted(os.listdir(folder))}


def _inject(monkeypatch, where):
    def boom(*args, **kwargs):
        raise OSError('disk full (injected at %s)' % where)
    if where == 'fsync':
        monkeypatch.setattr(serialization.os, 'fsync', boom)
    elif where == 'rename':
        monkeypatch.setattr(serialization.os, 'replace', boom)
    else:   # reading the parameters to save fails, after part of them was read
        real, calls = Parameter._reduce, []

        def flaky(self):
            calls.append(1)
            if len(calls) == 2:
                boom()
            return real(self)
        monkeypatch.setattr(Parameter, '_reduce', flaky)


@pytest.mark.filterwarnings('ignore:save_params is deprecated')
@pytest.mark.parametrize('saver, where', [(s, w) for s in sorted(SAVERS) for w in ('fsync', 'rename')]
                         + [(s, 'payload') for s in ('save_parameters', 'save_params',
                                                     'ParameterDict.save', 'export')])
def test_failed_save_leaves_previous_files(tmp_path, monkeypatch, saver, where):
    folder = str(tmp_path)
    net = _net()
    SAVERS[saver](net, folder)
    before = _files(folder)
    assert before
    _bump(net)
    _inject(monkeypatch, where)
    with pytest.raises(OSError, match='injected'):
        SAVERS[saver](net, folder)
    assert _files(folder) == before           # same names (no temp file left), same bytes
    monkeypatch.undo()
    SAVERS[saver](net, folder)                 # and the next save does go through
    after = _files(folder)
    assert after.keys() == before.keys()
    if saver not in ('Symbol.save', 'sym.save'):
        assert after != before


def test_save_into_missing_folder_raises_and_creates_nothing(tmp_path):
    with pytest.raises(OSError, match='create it first'):
        nd.save(str(tmp_path / 'no' / 'such' / 'x.params'), [nd.ones((1,))])
    assert os.listdir(tmp_path) == []


def test_save_onto_a_folder_names_the_folder_and_writes_nothing_beside_it(tmp_path):
    # (the error used to name the temporary file, made in the folder's parent and then removed)
    folder = tmp_path / 'out'
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="Is a directory: '%s'$" % folder):
        nd.save(str(folder), [nd.ones((1,))])
    assert os.listdir(tmp_path) == ['out'] and os.listdir(folder) == []


def test_keyboard_interrupt_during_save_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / 'x.params'
    nd.save(str(target), [nd.ones((2,))])
    before = target.read_bytes()

    def interrupt(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(serialization.os, 'fsync', interrupt)
    with pytest.raises(KeyboardInterrupt):
        nd.save(str(target), [nd.zeros((5,))])
    assert target.read_bytes() == before and os.listdir(tmp_path) == ['x.params']


def _reshaped_net(units):
    net = gluon.nn.HybridSequential(prefix='m_')
    with net.name_scope():
        net.add(gluon.nn.Dense(units, in_units=2))
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 2)))
    return net


PAIR_SAVERS = {
    'export': lambda net, d: net.export(os.path.join(d, 'm')),
    'Block.save': lambda net, d: net.save(os.path.join(d, 'm')),
    'save_checkpoint': lambda net, d: mx_model.save_checkpoint(
        os.path.join(d, 'm'), 0, net._cached_graph[1],
        {k: p.data() for k, p in net.collect_params().items()}, {}),
}


@pytest.mark.parametrize('saver', sorted(PAIR_SAVERS))
@pytest.mark.parametrize('where', ['second fsync', 'second write'])
def test_a_graph_and_its_parameters_are_saved_as_a_pair(tmp_path, monkeypatch, saver, where):
    # a full disk on the second file used to leave the new graph beside the previous parameters
    folder = str(tmp_path)
    PAIR_SAVERS[saver](_reshaped_net(3), folder)
    before = _files(folder)
    assert len(before) == 2
    if where == 'second fsync':
        real, calls = os.fsync, []

        def fsync(fd):
            calls.append(fd)
            if len(calls) == 2:
                raise OSError(28, 'No space left on device (injected)')
            return real(fd)
        monkeypatch.setattr(serialization.os, 'fsync', fsync)
    else:
        real_open, opened = os.fdopen, []

        def fdopen(fd, *args, **kwargs):
            f = real_open(fd, *args, **kwargs)
            opened.append(f)
            if len(opened) == 2:
                def full(data):
                    raise OSError(28, 'No space left on device (injected)')
                f.write = full
            return f
        monkeypatch.setattr(serialization.os, 'fdopen', fdopen)
    with pytest.raises(OSError, match='injected'):
        PAIR_SAVERS[saver](_reshaped_net(5), folder)
    assert _files(folder) == before
