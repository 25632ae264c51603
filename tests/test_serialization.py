"""The .params format: MXNet golden files, byte-exact writes, legacy versions, hostile input, atomic saves."""
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import nd, serialization
from minigluon.base import MXNetFormatError

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'serialization')
EXPECTED = json.load(open(os.path.join(FIX, 'expected.json')))


def _check(item, arr):
    assert list(arr.shape) == item['shape']
    assert np.dtype(arr.dtype).name == item['dtype']
    np.testing.assert_array_equal(arr.asnumpy().astype(np.float64).ravel(), item['values'])


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_load_mxnet_files(name):
    loaded = nd.load(os.path.join(FIX, name))
    exp = EXPECTED[name]
    if exp['kind'] == 'dict' and exp['items']:
        assert isinstance(loaded, dict) and list(loaded) == list(exp['items'])
        for k, item in exp['items'].items():
            _check(item, loaded[k])
    else:  # a list file, or an empty dict, which MXNet also loads as an empty list
        assert isinstance(loaded, list) and len(loaded) == len(exp['items'])
        for item, arr in zip(exp['items'], loaded):
            _check(item, arr)


@pytest.mark.parametrize('name', ['one.params', 'mixed_list.params', 'dtypes.params', 'empty_dict.params'])
def test_save_is_byte_identical_to_mxnet(tmp_path, name):
    src = os.path.join(FIX, name)
    loaded = nd.load(src)
    out = tmp_path / name
    nd.save(str(out), loaded)
    assert out.read_bytes() == open(src, 'rb').read()


def test_round_trip_dict_list_and_single(tmp_path):
    a = nd.array(np.random.randn(2, 3))
    b = nd.array([1, 2], dtype='int64')
    nd.save(str(tmp_path / 'd'), {'a': a, 'b': b})
    got = nd.load(str(tmp_path / 'd'))
    assert list(got) == ['a', 'b'] and got['b'].dtype == np.int64
    np.testing.assert_array_equal(got['a'].asnumpy(), a.asnumpy())
    nd.save(str(tmp_path / 's'), a)
    assert isinstance(nd.load(str(tmp_path / 's')), list)


def test_zero_dim_array_round_trips_as_scalar(tmp_path):
    nd.save(str(tmp_path / 'z'), [nd.array(np.float32(2.5))])
    (z,) = nd.load(str(tmp_path / 'z'))
    assert z.shape == () and z.asscalar() == 2.5


def test_empty_arrays_round_trip(tmp_path):
    # a 0 after another dimension once made the reader ask for the bytes of the dimensions before
    shapes = [(0,), (3, 0), (2, 0, 5), (0, 4)]
    nd.save(str(tmp_path / 'e'), [nd.zeros(s) for s in shapes])
    assert [a.shape for a in nd.load(str(tmp_path / 'e'))] == shapes


def _header(n):
    return struct.pack('<QQQ', 0x112, 0, n)


def test_v1_and_v0_layouts():
    data = np.arange(6, dtype=np.float32)
    v1 = (_header(1) + struct.pack('<I', 0xF993FAC8) + struct.pack('<i2q', 2, 2, 3)
          + struct.pack('<iii', 1, 0, 0) + data.tobytes() + struct.pack('<Q', 0))
    (a,) = serialization.loads(v1)
    np.testing.assert_array_equal(a, data.reshape(2, 3))
    v0 = (_header(2) + struct.pack('<I2I', 2, 3, 2) + struct.pack('<iii', 1, 0, 0) + data.tobytes()
          + struct.pack('<II', 1, 6) + struct.pack('<iii', 1, 0, 0) + data.tobytes() + struct.pack('<Q', 0))
    a, b = serialization.loads(v0)
    assert a.shape == (3, 2) and b.shape == (6,)


def test_legacy_none_array_loads_as_none():
    blob = _header(1) + struct.pack('<Iii', 0xF993FAC9, 0, 0) + struct.pack('<Q', 0)
    assert serialization.loads(blob) == [None]


GOOD = open(os.path.join(FIX, 'dtypes.params'), 'rb').read()


@pytest.mark.parametrize('blob,needle', [
    (b'', 'truncated'),
    (GOOD[:40], 'truncated'),
    (b'\x13' + GOOD[1:], 'header magic'),
    (_header(2 ** 62), 'impossible'),
    (_header(1) + struct.pack('<Iii', 0xF993FAC9, 0, 1) + struct.pack('<q', 2 ** 60)
     + struct.pack('<iii', 1, 0, 0), 'needs more bytes'),
    (_header(1) + struct.pack('<Iii', 0xF993FAC9, 0, 1) + struct.pack('<q', -4), 'negative dimension'),
    (_header(1) + struct.pack('<Iii', 0xF993FAC9, 0, 99), 'ndim'),
    (_header(1) + struct.pack('<Iii', 0xF993FAC9, 0, 1) + struct.pack('<q', 1) + struct.pack('<iii', 1, 0, 42),
     'type flag'),
    (_header(1) + struct.pack('<I', 0xDEADBEEF), 'magic'),
    (GOOD + b'xx', 'unexpected bytes'),
    (_header(0) + struct.pack('<Q', 3), 'names'),
])
def test_corrupt_files_raise_clean_errors(blob, needle):
    with pytest.raises(MXNetFormatError, match=needle) as info:
        serialization.loads(blob, source='bad.params')
    assert 'bad.params' in str(info.value)


def test_invalid_utf8_name():
    blob = open(os.path.join(FIX, 'one.params'), 'rb').read()[:-2] + b'\xff\xfe'
    with pytest.raises(MXNetFormatError, match='UTF-8'):
        serialization.loads(blob)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_files_load_or_fail_cleanly(data):
    blob = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(['flip', 'truncate', 'insert', 'delete', 'int']))
        pos = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if kind == 'flip' and blob:
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == 'truncate':
            del blob[pos:]
        elif kind == 'insert':
            blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        elif kind == 'delete':
            del blob[pos:pos + data.draw(st.integers(1, 16))]
        elif kind == 'int' and len(blob) >= pos + 8:
            blob[pos:pos + 8] = struct.pack('<q', data.draw(st.sampled_from(
                [-1, 2 ** 31, 2 ** 63 - 1, -(2 ** 63), 0, 2 ** 40])))
    try:
        out = serialization.loads(bytes(blob))
    except MXNetFormatError:
        return
    assert isinstance(out, (list, dict))


def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    target = tmp_path / 'model.params'
    nd.save(str(target), {'w': nd.array([1., 2.])})
    before = target.read_bytes()

    def broken(*args, **kwargs):
        raise OSError('disk full (injected)')
    monkeypatch.setattr(serialization.os, 'fsync', broken)
    with pytest.raises(OSError, match='injected'):
        nd.save(str(target), {'w': nd.array([9., 9., 9.])})
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['model.params']    # no temporary file left behind


def test_save_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match='keys must be str'):
        nd.save(str(tmp_path / 'x'), {1: nd.array([1.])})
    with pytest.raises(TypeError, match='expected an NDArray'):
        nd.save(str(tmp_path / 'x'), [np.zeros(2)])


def test_saved_file_has_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        nd.save(str(tmp_path / 'w.params'), {'w': nd.array([1.])})
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / 'w.params').st_mode & 0o777) == 0o644


def test_mxnet_legacy_scalar_file_loads():
    """MXNet 1.9.1 writes a 0-d array as a V2 array of ndim 0 followed by its value, which its
    own ``nd.load`` misreads (the fixture records its error); minigluon reads the values back
    (tools/gen_compose_fixtures.py)."""
    folder = os.path.join(os.path.dirname(__file__), 'fixtures', 'compose')
    with open(os.path.join(folder, 'expected.json')) as f:
        want = json.load(f)['scalar_v2']
    assert want['mxnet_load'] == 'MXNetError'
    got = serialization.load(os.path.join(folder, 'scalar_v2.params'))
    assert sorted(got) == sorted(want['values'])
    for name, rec in want['values'].items():
        assert list(got[name].shape) == rec['shape']
        assert got[name].dtype == np.dtype(rec['dtype'])
        assert got[name].asnumpy().ravel().tolist() == rec['values']
    # a one-array buffer in that form (MXNet's raw bytes of a 0-d array) reads too
    with open(os.path.join(folder, 'scalar_v2.params'), 'rb') as f:
        raw = f.read()
    assert serialization.loads_array(_v2_scalar_bytes(raw)).tolist() == 3.5


def _v2_scalar_bytes(raw):
    """The bytes of the 0-d array inside the fixture file (the second of its three arrays)."""
    start = raw.index(struct.pack('<Ii', serialization.MAGIC_V2, 0) + struct.pack('<i', 0))
    return raw[start:start + 4 + 4 + 4 + 12 + 4]


def test_v2_none_array_still_loads_as_none():
    data = bytearray(serialization.dumps([nd.ones(2)]))
    # insert a "none" array (V2, dense, ndim 0, nothing after) before the names count
    none = struct.pack('<Iii', serialization.MAGIC_V2, 0, 0)
    data[16:24] = struct.pack('<Q', 2)
    data[-8:-8] = none
    got = serialization.loads(bytes(data))
    assert got[1] is None and got[0].tolist() == [1, 1]


def test_file_with_a_scalar_is_written_as_mxnet_writes_it_in_np_shape_mode():
    """MXNet 1.9.1 loads no file that mixes V3 and V2 arrays (legacy mode refuses V3, NumPy-shape
    mode refuses V2); with a 0-d array in it, minigluon writes every array V3, byte for byte what
    MXNet writes under ``mx.util.np_shape(True)``, which MXNet loads there (recorded)."""
    folder = os.path.join(os.path.dirname(__file__), 'fixtures', 'compose')
    with open(os.path.join(folder, 'expected.json')) as f:
        want = json.load(f)['scalar_v2']
    arrays = {name: nd.array(np.array(rec['values'], dtype=rec['dtype']).reshape(rec['shape']),
                             dtype=rec['dtype'])
              for name, rec in sorted(want['values'].items())}
    with open(os.path.join(folder, 'scalar_v3.params'), 'rb') as f:
        assert serialization.dumps(arrays) == f.read()
    assert want['mxnet_np_shape_load'] == {k: v['values'] for k, v in want['values'].items()}
    # without a 0-d array the file stays V2 (what legacy-mode MXNet loads)
    plain = serialization.dumps({'a': arrays['a']})
    assert struct.unpack('<I', plain[24:28])[0] == serialization.MAGIC_V2
