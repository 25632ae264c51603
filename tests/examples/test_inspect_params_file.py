"""examples/inspect_params_file.py: every field it prints (offset, size, value) is what the
``.params`` file holds there, checked against a parse of the bytes written here on its own (the
layout of MXNet 1.9.1 ``NDArray::Save``, ``src/ndarray/ndarray.cc``), for the tiny net it saves
and for an ``nd.save`` file with other dtypes and a 0-d array."""
import importlib.util
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import minigluon as mx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, 'examples', 'inspect_params_file.py')
ROW = re.compile(r'^\s*(\d+) \|\s+(\d+) \| (.+?)\s*\| (.*)$')

# The type flags of mshadow/base.h (kFloat32 = 0 ... kInt64 = 6), as MXNet 1.9.1 writes them.
MSHADOW_TYPES = {0: 'float32', 1: 'float64', 2: 'float16', 3: 'uint8', 4: 'int32', 5: 'int8',
                 6: 'int64'}


def expected_fields(buf):
    """``[(offset, size, text its value must show)]`` for each field of the dense ``.params``
    file ``buf``: header (u64 magic 0x112, u64 reserved, u64 count), per array (u32 magic, i32
    storage type, i32 ndim, i64 dims, i32 dev_type + i32 dev_id, i32 type flag, data), then u64
    name count and per name a u64 length and the UTF-8 bytes."""
    fields, pos = [], 0

    def take(fmt, show):
        nonlocal pos
        values = struct.unpack_from(fmt, buf, pos)
        fields.append((pos, struct.calcsize(fmt), show(values)))
        pos += struct.calcsize(fmt)
        return values

    magic, = take('<Q', lambda v: hex(v[0]))
    assert magic == 0x112
    take('<Q', lambda v: str(v[0]))
    count, = take('<Q', lambda v: str(v[0]))
    for _ in range(count):
        take('<I', lambda v: '0x%08X' % v[0])
        take('<i', lambda v: '%d dense' % v[0])
        ndim, = take('<i', lambda v: str(v[0]))
        shape = take('<%dq' % ndim, str) if ndim else ()
        take('<ii', lambda v: 'cpu(%d)' % v[1])
        flag, = take('<i', lambda v: '%d %s' % (v[0], MSHADOW_TYPES[v[0]]))
        dtype = np.dtype(MSHADOW_TYPES[flag]).newbyteorder('<')
        n = int(np.prod(shape))
        first = np.frombuffer(buf, dtype, n, pos)[0]
        fields.append((pos, n * dtype.itemsize, '%g' % first))
        pos += n * dtype.itemsize
    n_names, = take('<Q', lambda v: str(v[0]))
    for _ in range(n_names):
        length, = take('<Q', lambda v: str(v[0]))
        fields.append((pos, length, repr(buf[pos:pos + length].decode('utf-8'))))
        pos += length
    assert pos == len(buf)
    return fields


def check_printed_fields(out, path):
    """The rows of ``out`` are the fields of the file ``path``, in order, with their values."""
    with open(path, 'rb') as f:
        buf = f.read()
    rows = [ROW.match(line).groups() for line in out.splitlines() if ROW.match(line)]
    expected = expected_fields(buf)
    assert [(int(o), int(s)) for o, s, _, _ in rows] == [(o, s) for o, s, _ in expected]
    for (_, _, field, value), (_, _, text) in zip(rows, expected):
        assert value.startswith(text), (field, value, text)
    assert 'end of file at byte %d (file size %d)' % (len(buf), len(buf)) in out


def test_the_tiny_net_file_is_printed_field_by_field(tmp_path):
    path = str(tmp_path / 'tiny.params')
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, EXAMPLE, '--save-to', path], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    check_printed_fields(out, path)
    # the structural names save_parameters writes, beside the prefixed collect_params() names
    assert "writes these:  ['0.weight', '0.bias', '1.weight', '1.bias']" in out
    assert re.search(r"collect_params\(\) names: +\['hybridsequential\d+_dense0_weight'", out)
    for name in ('0.weight', '0.bias', '1.weight', '1.bias'):
        assert repr(name) in out


def test_other_dtypes_and_a_scalar_are_printed_field_by_field(tmp_path, capsys):
    path = str(tmp_path / 'mixed.params')
    mx.nd.save(path, {'half': mx.nd.array([1.5, -2], dtype='float16'),
                      'scalar': mx.nd.array([3.25]).reshape(()),
                      'ints': mx.nd.array([[7, 8, 9]], dtype='int32')})
    spec = importlib.util.spec_from_file_location('inspect_params_file', EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main([path])
    out = capsys.readouterr().out
    check_printed_fields(out, path)
    assert 'V3' in out and '2 float16' in out and '4 int32' in out and '3.25' in out


def _load_example():
    spec = importlib.util.spec_from_file_location('inspect_params_file', EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_a_file_that_is_no_params_file_is_named_not_shown(tmp_path, capsys):
    # a -symbol.json given by mistake: stopped at the header, before any row is printed (it said
    # "array 0: not a V2/V3 array; minigluon.serialization.load reads it", which it does not)
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 3)))
    net.export(str(tmp_path / 'd'))
    with pytest.raises(SystemExit, match=r"not a \.params file: it does not start with the u64 "
                                         r"0x112 .*first bytes are b'\{"):
        _load_example().main([str(tmp_path / 'd-symbol.json')])
    assert not ROW.search(capsys.readouterr().out)
    _load_example().main([str(tmp_path / 'd-0000.params')])          # its .params file shows
    check_printed_fields(capsys.readouterr().out, str(tmp_path / 'd-0000.params'))


@pytest.mark.parametrize('keep, field', [(20, 'array count (u64)'),
                                         (70, 'data (6 x float32, C order)')])
def test_a_truncated_file_says_where_it_ends(tmp_path, keep, field):
    path = str(tmp_path / 'full.params')
    mx.nd.save(path, [mx.nd.ones((2, 3))])   # header 24, magic..type flag 40: data at 64
    with open(path, 'rb') as f:
        buf = f.read()
    cut = str(tmp_path / 'cut.params')
    with open(cut, 'wb') as f:
        f.write(buf[:keep])
    with pytest.raises(SystemExit, match=r"the file ends at byte %d, inside the field %s"
                                         % (keep, re.escape(repr(field)))):
        _load_example().main([cut])


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r'cannot read .*nothing\.params: No such file'):
        _load_example().main([str(tmp_path / 'nothing.params')])
