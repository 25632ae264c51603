"""Hostile ``.params`` files beyond tests/test_serialization.py: sparse "bombs", shapes NumPy cannot
hold, and every loader entry point (nd.load, load_parameters, ParameterDict.load,
SymbolBlock.imports, Trainer.load_states) raising MXNetError-family errors that name the file."""
import struct

import numpy as np
import pytest

from minigluon import gluon, nd, serialization
from minigluon.base import MXNetError, MXNetFormatError


def _header(n):
    return struct.pack('<QQQ', 0x112, 0, n)


def _shape(*dims):
    return struct.pack('<i%dq' % len(dims), len(dims), *dims)


def test_row_sparse_bomb_is_refused_before_allocating():
    # 2**40 rows of 4 floats stored as zero rows: 16 TiB dense from a 100-byte file
    blob = (_header(1) + struct.pack('<Ii', 0xF993FAC9, 1) + _shape(0, 4) + _shape(2 ** 40, 4)
            + struct.pack('<iii', 1, 0, 0) + struct.pack('<i', 6) + _shape(0) + struct.pack('<Q', 0))
    with pytest.raises(MXNetFormatError, match='sparse.*dense'):
        serialization.loads(blob, source='bomb.params')


def test_small_row_sparse_array_loads_dense():
    values = np.arange(4, dtype=np.float32).reshape(1, 4)
    blob = (_header(1) + struct.pack('<Ii', 0xF993FAC9, 1) + _shape(1, 4) + _shape(3, 4)
            + struct.pack('<iii', 1, 0, 0) + struct.pack('<i', 6) + _shape(1) + values.tobytes()
            + struct.pack('<q', 2) + struct.pack('<Q', 0))
    (dense,) = serialization.loads(blob)
    expected = np.zeros((3, 4), np.float32)
    expected[2] = values[0]
    np.testing.assert_array_equal(dense, expected)


@pytest.mark.parametrize('dims', [(0, 2 ** 62), (0, 2 ** 40, 2 ** 40), (2 ** 62, 0)])
def test_empty_array_with_impossible_dimensions(dims):
    blob = (_header(1) + struct.pack('<Ii', 0xF993FAC9, 0) + _shape(*dims) + struct.pack('<iii', 1, 0, 0)
            + struct.pack('<Q', 0))
    with pytest.raises(MXNetFormatError, match='multiply|needs more bytes'):
        serialization.loads(blob, source='f.params')


def test_empty_array_with_possible_dimensions_loads():
    blob = (_header(1) + struct.pack('<Ii', 0xF993FAC9, 0) + _shape(0, 5) + struct.pack('<iii', 1, 0, 0)
            + struct.pack('<Q', 0))
    (a,) = serialization.loads(blob)
    assert a.shape == (0, 5)


def _net():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=2))
    net.initialize()
    return net


@pytest.fixture
def corrupt(tmp_path):
    path = tmp_path / 'corrupt.params'
    good = serialization.dumps({'0.weight': nd.ones((3, 2)), '0.bias': nd.ones((3,))})
    path.write_bytes(good[:-7])
    return str(path)


def test_every_params_entry_point_names_the_file(corrupt, tmp_path):
    net = _net()
    symbol_file = tmp_path / 'm-symbol.json'
    net.hybridize()
    net(nd.ones((1, 2)))
    net.export(str(tmp_path / 'm'))
    calls = {
        'nd.load': lambda: nd.load(corrupt),
        'load_parameters': lambda: net.load_parameters(corrupt),
        'ParameterDict.load': lambda: net.collect_params().load(corrupt),
        'SymbolBlock.imports': lambda: gluon.SymbolBlock.imports(str(symbol_file), ['data'], corrupt),
        'Trainer.load_states': lambda: gluon.Trainer(net.collect_params(), 'sgd').load_states(corrupt),
    }
    for what, call in calls.items():
        with pytest.raises(MXNetError) as info:
            call()
        assert 'corrupt.params' in str(info.value), what
        assert isinstance(info.value, ValueError), what


@pytest.mark.parametrize('shape', [(2,), None])
def test_none_array_saved_for_a_parameter_is_a_clean_error(tmp_path, shape):
    # Found by bench/fuzz_loaders.py (seed 5, case 3559): SymbolBlock.imports raised AttributeError
    # ('NoneType' object has no attribute 'shape') on a file whose array for a parameter was "none".
    blob = (struct.pack('<QQQ', 0x112, 0, 1) + struct.pack('<Iii', 0xF993FAC9, 0, 0)
            + struct.pack('<QQ', 1, 6) + b'weight')
    assert serialization.loads(blob) == {'weight': None}
    path = tmp_path / 'none.params'
    path.write_bytes(blob)
    params = gluon.ParameterDict()
    param = params.get('weight', shape=shape)
    with pytest.raises(gluon.parameter.ParameterMismatchError, match=r"'weight'.*\"none\""):
        params.load(str(path))
    assert param._data is None
