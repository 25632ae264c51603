"""``pretrained=True`` and ``gluon.model_zoo.model_store``: MXNet 1.9.1's cached files, no downloads.

There are no real pretrained files here, so a MobileNet 0.25 (the smallest network) is initialised,
saved by minigluon (``save_parameters`` writes MXNet's format) under the name MXNet gives the file,
``<name>-<first 8 hex digits of its SHA-1>.params``, and the table of published SHA-1s is
monkeypatched to that file's own hash. The error tests use the real table.
"""
import hashlib
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.base import NotSupportedError
from minigluon.gluon.model_zoo import model_store, vision
from minigluon.parameter import ParameterMismatchError

NAME = 'mobilenet0.25'


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    """The bytes of a saved MobileNet 0.25 and its parameter values by save key."""
    net = vision.mobilenet0_25()
    net.initialize(mx.init.Uniform(0.5))
    net(nd.zeros((1, 3, 32, 32)))          # sets the deferred shapes
    path = tmp_path_factory.mktemp('src') / 'net.params'
    net.save_parameters(str(path))
    values = {key: p.data().asnumpy() for key, p in net._collect_params_with_prefix().items()}
    return path.read_bytes(), values


def _cache(folder, data, monkeypatch, name=NAME):
    """Write ``data`` as model ``name``'s file in ``folder`` and publish its SHA-1; the path."""
    sha1 = hashlib.sha1(data).hexdigest()
    monkeypatch.setitem(model_store._model_sha1, name, sha1)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(str(folder), '%s-%s.params' % (name, sha1[:8]))
    with open(path, 'wb') as f:
        f.write(data)
    return path


def _assert_loaded(net, values):
    params = net._collect_params_with_prefix()
    assert sorted(params) == sorted(values)
    for key, value in values.items():
        np.testing.assert_array_equal(params[key].data().asnumpy(), value)


def test_the_published_hashes_name_the_files():
    assert len(model_store._model_sha1) == 34
    assert model_store.short_hash('resnet18_v1') == 'a0666292'
    assert model_store._model_sha1['squeezenet1.1'] == '33ba0f93753c83d86e1eb397f38a667eaf2e9376'
    assert set(model_store._model_sha1) == set(vision._MODELS)
    assert mx.gluon.model_zoo.model_store is model_store


def test_pretrained_loads_the_cached_file_exactly(saved, tmp_path, monkeypatch):
    data, values = saved
    path = _cache(tmp_path, data, monkeypatch)
    assert model_store.get_model_file(NAME, root=str(tmp_path)) == path
    _assert_loaded(vision.get_model(NAME, pretrained=True, root=str(tmp_path)), values)
    _assert_loaded(vision.mobilenet0_25(pretrained=True, root=tmp_path), values)   # os.PathLike
    assert open(path, 'rb').read() == data      # read, never rewritten


def test_a_file_keyed_by_prefixed_names_loads_too(saved, tmp_path, monkeypatch):
    """Files saved with the parameter names minus the network's prefix (``conv0_weight``)."""
    _, values = saved
    net = vision.mobilenet0_25()
    net.load_parameters(_cache(tmp_path / 'a', saved[0], monkeypatch))
    other = str(tmp_path / 'prefixed.params')
    net.collect_params().save(other, strip_prefix=net.prefix)
    with open(other, 'rb') as f:
        _cache(tmp_path / 'b', f.read(), monkeypatch)
    _assert_loaded(vision.mobilenet0_25(pretrained=True, root=str(tmp_path / 'b')), values)


def test_ctx_is_honoured(saved, tmp_path, monkeypatch):
    _cache(tmp_path, saved[0], monkeypatch)
    cases = [(None, [mx.cpu(0)]), (mx.cpu(1), [mx.cpu(1)]),
             ([mx.cpu(0), mx.cpu(1)], [mx.cpu(0), mx.cpu(1)])]
    for ctx, expected in cases:
        net = vision.get_model(NAME, pretrained=True, root=str(tmp_path), ctx=ctx)
        for param in net.collect_params().values():
            assert param.list_ctx() == expected


def test_root_expands_the_home_folder(saved, tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    path = _cache(tmp_path / 'zoo', saved[0], monkeypatch)
    assert model_store.get_model_file(NAME, root='~/zoo') == path
    _assert_loaded(vision.mobilenet0_25(pretrained=True, root='~/zoo'), saved[1])


def test_default_root_is_mxnet_home_models(saved, tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.delenv('MXNET_HOME', raising=False)
    assert model_store.default_root() == str(tmp_path / 'home' / '.mxnet' / 'models')
    path = _cache(tmp_path / 'home' / '.mxnet' / 'models', saved[0], monkeypatch)
    assert model_store.get_model_file(NAME) == path
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mx'))      # read at each call
    with pytest.raises(NotSupportedError, match=str(tmp_path / 'mx' / 'models')):
        vision.mobilenet0_25(pretrained=True)
    path = _cache(tmp_path / 'mx' / 'models', saved[0], monkeypatch)
    assert model_store.get_model_file(NAME) == path
    _assert_loaded(vision.mobilenet0_25(pretrained=True), saved[1])
    monkeypatch.setenv('MXNET_HOME', '~/mx2')                   # expanded, as MXNet does
    path = _cache(tmp_path / 'home' / 'mx2' / 'models', saved[0], monkeypatch)
    assert model_store.get_model_file(NAME) == path


def test_windows_default_is_appdata(monkeypatch, tmp_path):
    monkeypatch.delenv('MXNET_HOME', raising=False)
    monkeypatch.setenv('APPDATA', str(tmp_path))
    monkeypatch.setattr(mx.base.platform, 'system', lambda: 'Windows')
    assert model_store.default_root() == os.path.join(str(tmp_path), 'mxnet', 'models')


@pytest.mark.parametrize('name', sorted(model_store._model_sha1))
def test_a_missing_file_names_the_path_hash_and_ways_to_get_it(name, tmp_path):
    sha1 = model_store._model_sha1[name]
    path = os.path.join(str(tmp_path), '%s-%s.params' % (name, sha1[:8]))
    with pytest.raises(NotSupportedError) as err:
        vision.get_model(name, pretrained=True, root=str(tmp_path))
    message = str(err.value)
    assert path in message and sha1 in message and 'does not download' in message
    assert 'load_parameters' in message and 'MXNet' in message
    assert isinstance(err.value, NotImplementedError)
    assert os.listdir(str(tmp_path)) == []       # nothing written


def test_a_file_with_another_sha1_is_refused(saved, tmp_path, monkeypatch):
    path = _cache(tmp_path, saved[0], monkeypatch)
    with open(path, 'r+b') as f:            # same name, one byte changed
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 1]))
    sha1 = model_store._model_sha1[NAME]
    for call in (lambda: model_store.get_model_file(NAME, root=str(tmp_path)),
                 lambda: vision.mobilenet0_25(pretrained=True, root=str(tmp_path))):
        with pytest.raises(NotSupportedError) as err:
            call()
        assert path in str(err.value) and sha1 in str(err.value)
        assert 'published SHA-1' in str(err.value)


def test_a_name_without_a_published_file_raises_value_error():
    with pytest.raises(ValueError, match='resnet18_v1') as err:
        model_store.get_model_file('resnet19_v1')
    assert 'resnet19_v1' in str(err.value)
    with pytest.raises(ValueError, match='not supported'):
        vision.get_model('resnet19_v1', pretrained=True)


def test_classes_must_match_the_file(saved, tmp_path, monkeypatch):
    """As in MXNet, ``classes`` shapes the network before the 1000-class file is loaded."""
    _cache(tmp_path, saved[0], monkeypatch)
    with pytest.raises(ParameterMismatchError, match='shape incompatible'):
        vision.mobilenet0_25(pretrained=True, root=str(tmp_path), classes=10)


def test_purge_removes_the_params_files_only(tmp_path, monkeypatch):
    for name in ('a.params', 'b-12345678.params', 'notes.txt'):
        (tmp_path / name).write_bytes(b'x')
    model_store.purge(str(tmp_path))
    assert os.listdir(str(tmp_path)) == ['notes.txt']
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    os.makedirs(str(tmp_path / 'models'))
    (tmp_path / 'models' / 'c.params').write_bytes(b'x')
    model_store.purge()
    assert os.listdir(str(tmp_path / 'models')) == []
    with pytest.raises(FileNotFoundError):
        model_store.purge(str(tmp_path / 'missing'))
