"""mx.recordio against MXNet 1.9.1's files (tests/fixtures/recordio, tools/gen_recordio_fixtures.py)."""
import io
import json
import os
import pickle
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigluon as mx
from minigluon.base import (MXNetError, MXNetFileNotFoundError, MXNetFormatError, MXNetKeyError,
                            MXNetTypeError, MXNetValueError)

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'recordio')
with open(os.path.join(FIX, 'expected.json')) as _f:
    EXP = json.load(_f)
MAGIC = struct.pack('<I', 0xced7230a)
rio = mx.recordio


def fix(name):
    return os.path.join(FIX, name)


def raw(name):
    with open(fix(name), 'rb') as f:
        return f.read()


def read_all(reader):
    out = []
    while True:
        item = reader.read()
        if item is None:
            return out
        out.append(item)


def reference_frame(data):
    """dmlc-core's RecordIOWriter::WriteRecord, transcribed as the C++ loop over aligned offsets
    (independent of minigluon's find-based version)."""
    def part(flag, chunk):
        return struct.pack('<II', 0xced7230a, (flag << 29) | len(chunk)) + chunk
    out, dptr = b'', 0
    for i in range(0, len(data) // 4 * 4, 4):
        if data[i:i + 4] == MAGIC:
            out += part(1 if dptr == 0 else 2, data[dptr:i])
            dptr = i + 4
    out += part(3 if dptr else 0, data[dptr:])
    return out + b'\0' * (-len(data) % 4)


# -- MXNet's files -----------------------------------------------------------------------------------

def test_reads_mxnet_sequential_file():
    r = rio.MXRecordIO(fix('plain.rec'), 'r')
    assert [x.hex() for x in read_all(r)] == EXP['read_plain'] == EXP['payloads']
    assert r.read() is None
    r.reset()
    assert r.read() == b''           # the first record is empty, not the end
    r.close()


def test_reads_mxnet_index_and_random_access():
    r = rio.MXIndexedRecordIO(fix('indexed.idx'), fix('indexed.rec'), 'r')
    assert r.keys == EXP['index']['keys']
    assert [r.idx[k] for k in r.keys] == EXP['index']['offsets']
    for k in reversed(r.keys):
        assert r.read_idx(k).hex() == EXP['read_indexed'][str(k)]
    r.seek(r.keys[3])                # read() goes on sequentially after a seek
    assert [x.hex() for x in read_all(r)] == EXP['payloads'][3:]
    r.close()
    s = rio.MXIndexedRecordIO(fix('strkeys.idx'), fix('strkeys.rec'), 'r', key_type=str)
    assert s.keys == EXP['str_keys']
    assert {k: s.read_idx(k).hex() for k in s.keys} == EXP['read_str']


def test_written_files_are_byte_identical_to_mxnet(tmp_path):
    w = rio.MXRecordIO(str(tmp_path / 'p.rec'), 'w')
    for p in EXP['payloads']:
        w.write(bytes.fromhex(p))
    w.close()
    assert (tmp_path / 'p.rec').read_bytes() == raw('plain.rec')
    wi = rio.MXIndexedRecordIO(tmp_path / 'i.idx', tmp_path / 'i.rec', 'w')
    tells = [wi.tell()]
    for k, p in zip(EXP['keys'], EXP['payloads']):
        wi.write_idx(k, bytearray.fromhex(p))
        tells.append(wi.tell())
    wi.close()
    assert tells == EXP['tells']
    for name in ('i.rec', 'i.idx'):
        assert (tmp_path / name).read_bytes() == raw('indexed' + name[1:])
    ws = rio.MXIndexedRecordIO(tmp_path / 's.idx', tmp_path / 's.rec', 'w', key_type=str)
    for i, k in enumerate(EXP['str_keys']):
        ws.write_idx(k, b'record %d' % i)
    ws.close()
    assert (tmp_path / 's.idx').read_bytes() == raw('strkeys.idx')
    assert (tmp_path / 's.rec').read_bytes() == raw('strkeys.rec')


def _label(h):
    return {'float': float, 'int': int, 'np.float32': np.float32, 'list': list,
            'array': lambda v: np.array(v, dtype=np.float64), '0d': np.array}[h['kind']](h['label'])


def _check_unpacked(header, payload, want):
    assert (header.flag, header.id, header.id2, payload.hex()) == (
        want['flag'], want['id'], want['id2'], want['payload'])
    if want['label_is_array']:
        assert isinstance(header.label, np.ndarray) and header.label.dtype == np.float32
        assert header.label.tolist() == want['label']
    else:
        assert isinstance(header.label, float) and header.label == want['label']


def test_pack_and_unpack_match_mxnet(tmp_path):
    r = rio.MXIndexedRecordIO(fix('headers.idx'), fix('headers.rec'), 'r')
    w = rio.MXIndexedRecordIO(tmp_path / 'h.idx', tmp_path / 'h.rec', 'w')
    for i, (h, packed, want) in enumerate(zip(EXP['headers_in'], EXP['packed'], EXP['headers_out'])):
        header = rio.IRHeader(h['flag'], _label(h), h['id'], h['id2'])
        mine = rio.pack(header, h['payload'].encode('latin-1'))
        assert mine.hex() == packed
        w.write_idx(i, mine)
        _check_unpacked(*rio.unpack(r.read_idx(i)), want)
    w.close()
    assert (tmp_path / 'h.rec').read_bytes() == raw('headers.rec')
    assert repr(rio.IRHeader(0, 1.0, 2, 3)) == 'HEADER(flag=0, label=1.0, id=2, id2=3)'


def test_images_decode_as_opencv_does():
    arrays = np.load(fix('images.npz'))
    r = rio.MXIndexedRecordIO(fix('images.idx'), fix('images.rec'), 'r')
    for meta, want in zip(EXP['images'], EXP['images_out']):
        rec = r.read_idx(meta['key'])
        name = meta['name']
        header, colour = rio.unpack_img(rec, 1)
        _check_unpacked(header, bytes.fromhex(meta['png']), dict(want, payload=meta['png']))
        np.testing.assert_array_equal(colour, arrays[name + '_imdecode_1'])
        grey = rio.unpack_img(rec, 0)[1]
        assert grey.dtype == np.uint8 and grey.ndim == 2       # cv2 returns 2-D grey
        np.testing.assert_array_equal(grey, arrays[name + '_imdecode_0'][:, :, 0])
        stored = rio.unpack_img(rec)[1]
        pixels = arrays[name + '_pixels']
        if pixels.ndim == 3:     # as stored: BGR, or BGRA for the RGBA image
            pixels = pixels[:, :, [2, 1, 0, 3][:pixels.shape[2]]]
        np.testing.assert_array_equal(stored, pixels)


def test_pack_img_round_trips(tmp_path):
    Image = pytest.importorskip('PIL.Image')
    rs = np.random.RandomState(0)
    bgr = rs.randint(0, 256, (6, 9, 3)).astype(np.uint8)
    header = rio.IRHeader(0, [1, 2], 5, 0)
    for img, flag in [(bgr, 1), (bgr[:, :, 0], -1), (bgr[:, :, :1], 0),
                      (rs.randint(0, 256, (4, 3, 4)).astype(np.uint8), -1),
                      (rs.randint(0, 65536, (4, 5)).astype(np.uint16), -1)]:
        rec = rio.pack_img(header, img, img_fmt='.png')      # quality 95: clipped to level 9
        head, back = rio.unpack_img(rec, flag)
        assert head.label.tolist() == [1, 2] and back.dtype == img.dtype
        np.testing.assert_array_equal(back, img.reshape(back.shape))
    png = rio.unpack(rio.pack_img(header, bgr, 3, '.PNG'))[1]   # Pillow sees RGB: BGR reversed
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), bgr[:, :, ::-1])
    np.testing.assert_array_equal(rio.unpack_img(rio.pack_img(header, bgr, img_fmt='.bmp'))[1], bgr)
    smooth = np.repeat(np.linspace(0, 255, 32).astype(np.uint8)[None, :, None], 16, 0).repeat(3, 2)
    jpg = rio.unpack_img(rio.pack_img(header, smooth, quality=100), 1)[1]
    assert jpg.shape == smooth.shape and np.abs(jpg.astype(int) - smooth).max() <= 4


# -- framing, round trips ----------------------------------------------------------------------------

_payload = st.lists(st.one_of(st.binary(max_size=9), st.just(MAGIC)), max_size=8).map(b''.join)


@settings(max_examples=60, deadline=None)
@given(st.lists(_payload, max_size=6))
def test_round_trip_and_framing(tmp_path_factory, payloads):
    path = str(tmp_path_factory.mktemp('rt') / 'x.rec')
    w = rio.MXRecordIO(path, 'w')
    for p in payloads:
        w.write(p)
    w.close()
    with open(path, 'rb') as f:
        assert f.read() == b''.join(reference_frame(p) for p in payloads)
    r = rio.MXRecordIO(path, 'r')
    assert read_all(r) == payloads
    r.close()


def test_pickled_readers_resume_at_their_position(tmp_path):
    r = rio.MXRecordIO(fix('plain.rec'), 'r')
    r.read(), r.read()
    copy = pickle.loads(pickle.dumps(r))
    assert copy.read() == r.read() == bytes.fromhex(EXP['payloads'][2])   # the original stays open
    ri = rio.MXIndexedRecordIO(fix('indexed.idx'), fix('indexed.rec'), 'r')
    twin = pickle.loads(pickle.dumps(ri))
    assert twin.keys == ri.keys and twin.read_idx(ri.keys[-1]) == ri.read_idx(ri.keys[-1])
    w = rio.MXIndexedRecordIO(tmp_path / 'w.idx', tmp_path / 'w.rec', 'w')
    with pytest.raises(MXNetTypeError, match='close'):
        pickle.dumps(w)
    w.close()
    assert not pickle.loads(pickle.dumps(w)).is_open


def test_opening_for_write_truncates(tmp_path):
    w = rio.MXIndexedRecordIO(tmp_path / 'a.idx', tmp_path / 'a.rec', 'w')
    w.write_idx(0, b'abc')
    w.reset()                          # as MXNet: a writer's reset empties both files
    w.write_idx(1, b'z')
    w.close()
    r = rio.MXIndexedRecordIO(tmp_path / 'a.idx', tmp_path / 'a.rec', 'r')
    assert r.keys == [1] and r.read_idx(1) == b'z'
    rio.MXIndexedRecordIO(tmp_path / 'a.idx', tmp_path / 'a.rec', 'w').close()
    assert (tmp_path / 'a.rec').read_bytes() == (tmp_path / 'a.idx').read_bytes() == b''


# -- errors ------------------------------------------------------------------------------------------

def test_argument_and_mode_errors(tmp_path):
    with pytest.raises(MXNetValueError, match="Invalid flag 'a'"):
        rio.MXRecordIO(str(tmp_path / 'x.rec'), 'a')
    with pytest.raises(MXNetFileNotFoundError, match=r'missing\.rec'):
        rio.MXRecordIO(str(tmp_path / 'missing.rec'), 'r')
    with pytest.raises(MXNetFileNotFoundError, match='missing.idx'):
        rio.MXIndexedRecordIO(tmp_path / 'missing.idx', fix('plain.rec'), 'r')
    r = rio.MXIndexedRecordIO(fix('indexed.idx'), fix('indexed.rec'), 'r')
    with pytest.raises(MXNetValueError, match="needs flag 'w'") as info:
        r.write(b'x')
    assert isinstance(info.value, AssertionError)           # MXNet: assert self.writable
    with pytest.raises(MXNetValueError, match="opened with flag 'r'"):
        r.tell()
    with pytest.raises(MXNetKeyError, match='12345') as info:
        r.read_idx(12345)
    assert isinstance(info.value, KeyError)
    r.close()
    with pytest.raises(MXNetValueError, match='closed'):
        r.read()
    w = rio.MXIndexedRecordIO(tmp_path / 'w.idx', tmp_path / 'w.rec', 'w')
    with pytest.raises(MXNetTypeError, match='encode'):
        w.write('text')
    with pytest.raises(MXNetValueError, match="needs flag 'r'"):
        w.read()
    with pytest.raises(MXNetValueError, match='key_type'):
        w.write_idx('seven', b'x')
    w.close()
    s = rio.MXIndexedRecordIO(tmp_path / 's.idx', tmp_path / 's.rec', 'w', key_type=str)
    with pytest.raises(MXNetValueError, match='tab'):
        s.write_idx('a\tb', b'x')
    s.close()


def _corrupt(tmp_path, data, name='bad.rec'):
    path = tmp_path / name
    path.write_bytes(data)
    return rio.MXRecordIO(str(path), 'r')


def test_corrupt_and_truncated_files_name_file_and_offset(tmp_path):
    good = raw('plain.rec')
    second = 8                                         # after the empty first record
    cases = [(good[:second + 5], r'inside a record header \(at byte offset %d\)' % second),
             (good[:second + 10], r'declares 1 payload bytes but only 2 remain.*offset %d' % second),
             (good[:second] + b'\xff' + good[second + 1:], r'bad magic number 0xced723ff.*offset %d' % second),
             (reference_frame(b'ab' * 4 + MAGIC + b'cd')[:20], r'inside a record header \(at byte offset 16\)'),
             (b'PK\x03\x04 not a rec file', r'bad magic.*offset 0'),
             (struct.pack('<II', 0xced7230a, 3 << 29), r'flag 3 out of sequence.*offset 0')]
    for data, pattern in cases:
        r = _corrupt(tmp_path, data)
        with pytest.raises(MXNetFormatError, match=pattern) as info:
            read_all(r)
        assert 'bad.rec' in str(info.value)
    (tmp_path / 'cut.idx').write_text('0\t0\n1\t4096\n')
    r = rio.MXIndexedRecordIO(tmp_path / 'cut.idx', fix('plain.rec'), 'r')
    with pytest.raises(MXNetFormatError, match='cut.idx places key 1 .*offset 4096'):
        r.read_idx(1)
    (tmp_path / 'bad.idx').write_text('0\t0\n\n1 8\n')
    with pytest.raises(MXNetFormatError, match='bad.idx, line 3'):
        rio.MXIndexedRecordIO(tmp_path / 'bad.idx', fix('plain.rec'), 'r')


def test_header_and_image_errors(monkeypatch):
    with pytest.raises(MXNetFormatError, match='24-byte header, got 5'):
        rio.unpack(b'short')
    with pytest.raises(MXNetFormatError, match='3 float32 labels'):
        rio.unpack(struct.pack('<IfQQ', 3, 0, 1, 0) + b'\0' * 8)
    with pytest.raises(MXNetValueError, match=r'IRHeader.id must be in \[0, 2\*\*64\)'):
        rio.pack(rio.IRHeader(0, 1.0, -1, 0), b'')
    with pytest.raises(MXNetTypeError, match='IRHeader.id2 must be an int'):
        rio.pack(rio.IRHeader(0, 1.0, 1, 0.5), b'')
    with pytest.raises(MXNetValueError, match='float32'):
        rio.pack(rio.IRHeader(0, 1e300, 1, 0), b'')
    with pytest.raises(MXNetTypeError, match='IRHeader'):
        rio.pack((0, 1.0), b'')
    with pytest.raises(MXNetValueError, match='label'):
        rio.pack(rio.IRHeader(0, ['a'], 1, 0), b'')
    rec = rio.pack(rio.IRHeader(0, 1.0, 1, 0), b'not an image')
    with pytest.raises(MXNetFormatError, match='not an image'):
        rio.unpack_img(rec)
    with pytest.raises(MXNetValueError, match='iscolor'):
        rio.unpack_img(rec, 2)
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(MXNetValueError, match='img_fmt'):
        rio.pack_img(rio.IRHeader(0, 1.0, 1, 0), img, img_fmt='.gif')
    with pytest.raises(MXNetValueError, match=r'\(2, 2, 2\)'):
        rio.pack_img(rio.IRHeader(0, 1.0, 1, 0), np.zeros((2, 2, 2), np.uint8))
    monkeypatch.setitem(__import__('sys').modules, 'PIL', None)
    with pytest.raises(ImportError, match='pip install pillow'):
        rio.pack_img(rio.IRHeader(0, 1.0, 1, 0), img)


def test_reader_refuses_reads_in_a_forked_child():
    import multiprocessing
    if 'fork' not in multiprocessing.get_all_start_methods():
        pytest.skip('needs fork')
    ctx = multiprocessing.get_context('fork')
    r = rio.MXIndexedRecordIO(fix('indexed.idx'), fix('indexed.rec'), 'r')
    assert r.read().hex() == EXP['payloads'][0]
    queue = ctx.Queue()
    child = ctx.Process(target=_child_reads, args=(r, queue))   # inherited, not pickled
    child.start()
    refused, by_key = queue.get(timeout=60)
    child.join(60)
    assert refused == 'MXNetError' and by_key == EXP['read_indexed'][str(r.keys[-1])]
    assert r.read().hex() == EXP['payloads'][1]                   # the parent reads on


def _child_reads(r, queue):
    try:
        r.read()
        refused = 'nothing'
    except MXNetError as err:
        refused = type(err).__name__
    queue.put((refused, r.read_idx(r.keys[-1]).hex()))        # seek reopens in this process
