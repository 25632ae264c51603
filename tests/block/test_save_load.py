"""save_parameters / load_parameters / save_params / load_params, against MXNet 1.9.1 files."""
import json
import os
import warnings

import numpy as np
import pytest

from minigluon import nd, serialization
from minigluon.base import MXNetFormatError
from minigluon.block import HybridSequential
from minigluon.context import cpu
from minigluon.test_utils import assert_almost_equal

from ._blocks import Dense, Model

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block')
NAMING = json.load(open(os.path.join(FIX, 'naming.json')))


def _seq(scoped=True, in_units=2):
    seq = HybridSequential()

    def blocks():
        return Dense(3, in_units=in_units), Dense(2, in_units=3 if in_units else 0)
    if scoped:
        with seq.name_scope():
            seq.add(*blocks())
    else:
        seq.add(*blocks())
    return seq


def _fill(net):
    """Same values as tools/gen_block_fixtures.py: 0.1 * arange(size) + index in sorted-name order."""
    for i, (name, p) in enumerate(sorted(net.collect_params().items())):
        p.set_data(nd.array(0.1 * np.arange(int(np.prod(p.shape))).reshape(p.shape) + i))


def _values(net):
    return {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}


def test_save_parameters_bytes_match_mxnet(tmp_path, fresh_names):
    seq = _seq()
    seq.initialize()
    _fill(seq)
    fname = str(tmp_path / 'seq.params')
    seq.save_parameters(fname)
    with open(fname, 'rb') as ours, open(os.path.join(FIX, 'seq.params'), 'rb') as theirs:
        assert ours.read() == theirs.read()


def test_save_params_bytes_match_mxnet(tmp_path, fresh_names):
    seq = _seq()
    seq.initialize()
    _fill(seq)
    fname = str(tmp_path / 'legacy.params')
    with pytest.warns(UserWarning, match='save_params is deprecated'):
        seq.save_params(fname)
    with open(fname, 'rb') as ours, open(os.path.join(FIX, 'seq_legacy.params'), 'rb') as theirs:
        assert ours.read() == theirs.read()


@pytest.mark.parametrize('fname', ['seq.params', 'seq_legacy.params', 'seq-0000.params'])
def test_load_mxnet_files_without_initialize(fname, fresh_names):
    # seq-0000.params is an exported file (arg: keys): MXNet's load_parameters fails on it, ours loads it
    ref = _seq()
    ref.initialize()
    _fill(ref)
    with NameManagerScope():
        net = _seq(in_units=0)                      # deferred shapes are filled from the file
        net.load_parameters(os.path.join(FIX, fname))
    assert net[0].weight.list_ctx() == [cpu()]
    for key, val in _values(ref).items():
        assert_almost_equal(_values(net)[key], val)


class NameManagerScope:
    def __enter__(self):
        from minigluon.name import NameManager
        self._nm = NameManager()
        return self._nm.__enter__()

    def __exit__(self, *exc):
        self._nm.__exit__(*exc)


def test_round_trip_nested_model(tmp_path, fresh_names):
    m = Model()
    m.initialize()
    fname = str(tmp_path / 'm.params')
    m.save_parameters(fname)
    assert list(serialization.load(fname).keys()) == NAMING['model']['keys']
    m2 = Model()
    m2.initialize(init='zeros')
    m2.load_parameters(fname)
    for key, val in _values(m).items():
        assert_almost_equal(_values(m2)[key], val)


def test_deduplicate_keeps_last_alias(tmp_path, fresh_names):
    net = HybridSequential()
    with net.name_scope():
        a = Dense(2, in_units=2)
        b = Dense(2, in_units=2, params=a.params)
        net.add(a, b)
    net.initialize()
    fname = str(tmp_path / 's.params')
    net.save_parameters(fname, deduplicate=True)
    assert list(serialization.load(fname).keys()) == NAMING['shared']['dedup_keys']
    net.save_parameters(fname)
    assert list(serialization.load(fname).keys()) == NAMING['shared']['keys']
    net.save_parameters(fname, deduplicate=True)
    net.load_parameters(fname)                      # any alias of a shared parameter suffices


def test_load_errors_name_parameter_and_file_and_change_nothing(tmp_path, fresh_names):
    m = Model()
    m.initialize()
    fname = str(tmp_path / 'm.params')
    m.save_parameters(fname)
    target = Model()
    target.initialize(init='zeros')
    before = _values(target)

    params = serialization.load(fname)
    bad_shape = dict(params)
    bad_shape['body.1.weight'] = nd.ones((3, 2))
    serialization.save(str(tmp_path / 'shape.params'), bad_shape)
    with pytest.raises(ValueError, match="model1_hybridsequential0_dense1_weight.*shape incompatible") as err:
        target.load_parameters(str(tmp_path / 'shape.params'))
    assert 'shape.params' in str(err.value)

    bad_dtype = dict(params)
    bad_dtype['body.1.weight'] = params['body.1.weight'].astype('float16')
    serialization.save(str(tmp_path / 'dtype.params'), bad_dtype)
    with pytest.raises(ValueError, match='dtype incompatible expected float32 vs saved float16\\. Set cast_dtype=True'):
        target.load_parameters(str(tmp_path / 'dtype.params'))

    missing = {k: v for k, v in params.items() if k != 'fc1.bias'}
    serialization.save(str(tmp_path / 'missing.params'), missing)
    with pytest.raises(AssertionError, match="'fc1.bias' is missing in file .*missing.params"):
        target.load_parameters(str(tmp_path / 'missing.params'))

    extra = dict(params, **{'fc2.weight': nd.ones((1,))})
    serialization.save(str(tmp_path / 'extra.params'), extra)
    with pytest.raises(ValueError, match="'fc2.weight' loaded from file .*extra.params"):
        target.load_parameters(str(tmp_path / 'extra.params'))

    with open(str(tmp_path / 'corrupt.params'), 'wb') as f:
        f.write(open(fname, 'rb').read()[:-30])
    with pytest.raises(MXNetFormatError, match='truncated: name'):
        target.load_parameters(str(tmp_path / 'corrupt.params'))

    for key, val in before.items():
        assert_almost_equal(_values(target)[key], val)

    # the permissive flags
    target.load_parameters(str(tmp_path / 'missing.params'), allow_missing=True)
    target.load_parameters(str(tmp_path / 'extra.params'), ignore_extra=True)
    target.load_parameters(str(tmp_path / 'dtype.params'), cast_dtype=True)
    assert target.body[1].weight.data().dtype == np.float32


def test_save_params_without_name_scope(tmp_path, fresh_names):
    # MXNet crashes here (AttributeError on e.message); minigluon saves full names and reloads them
    seq = _seq(scoped=False)
    seq.initialize()
    fname = str(tmp_path / 'noscope.params')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        seq.save_params(fname)
        assert sorted(serialization.load(fname)) == sorted(NAMING['no_scope']['params'])
        with NameManagerScope():                    # a new process would number them the same way
            target = _seq(scoped=False)
        with pytest.warns(UserWarning, match='load_params is deprecated'):
            target.load_params(fname)
    for p, q in zip(seq.collect_params().values(), target.collect_params().values()):
        assert_almost_equal(p.data(), q.data())


def test_empty_block_and_empty_file(tmp_path):
    from minigluon.block import Sequential
    net = Sequential()
    fname = str(tmp_path / 'empty.params')
    net.save_parameters(fname)
    net.load_parameters(fname)
    assert serialization.load(fname) == []


def test_save_is_atomic_on_error(tmp_path, fresh_names):
    net = _seq(in_units=0)
    net.initialize()                                # deferred: nothing to save yet
    fname = str(tmp_path / 'x.params')
    with open(fname, 'wb') as f:
        f.write(b'old')
    with pytest.raises(RuntimeError, match='deferred'):
        net.save_parameters(fname)
    assert open(fname, 'rb').read() == b'old'
