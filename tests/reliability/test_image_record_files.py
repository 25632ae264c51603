"""Regression tests from the hunt for bugs in the readers of files users get from elsewhere
(``mx.recordio``, ``mx.image``, the vision datasets): each test failed before its fix."""
import os
import pickle
import stat
import threading

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetError

recordio = mx.recordio


def _write_records(tmp_path, count=20, name='a'):
    idx, rec = str(tmp_path / (name + '.idx')), str(tmp_path / (name + '.rec'))
    writer = recordio.MXIndexedRecordIO(idx, rec, 'w')
    for i in range(count):
        # records of different lengths, so a record read at another's offset shows up
        writer.write_idx(i, recordio.pack(recordio.IRHeader(0, float(i), i, 0), b'x' * (i % 7)))
    writer.close()
    return idx, rec


# -- mx.recordio ---------------------------------------------------------------------------------

@pytest.mark.parametrize('idx_path', [123, None])
def test_indexed_recordio_idx_path_of_wrong_type(tmp_path, idx_path):
    # os.fspath's bare TypeError came out of __init__
    _, rec = _write_records(tmp_path)
    with pytest.raises(mx.base.MXNetTypeError, match='idx_path must be a path'):
        recordio.MXIndexedRecordIO(idx_path, rec, 'r')


def test_indexed_recordio_offset_beyond_a_file_offset(tmp_path):
    # an offset above 2**63 reached file.seek: "ValueError: cannot fit 'int' into an offset-sized integer"
    idx, rec = _write_records(tmp_path)
    with open(idx, 'w') as f:
        f.write('0\t%d\n' % (1 << 64))
    with pytest.raises(mx.base.MXNetFormatError, match=r'a\.idx, line 1'):
        recordio.MXIndexedRecordIO(idx, rec, 'r')


def test_failed_indexed_writer_leaves_the_record_file_alone(tmp_path):
    # the .rec file was truncated to 0 bytes before the .idx file failed to open
    idx, rec = _write_records(tmp_path)
    before = open(rec, 'rb').read()
    with pytest.raises(mx.base.MXNetFileNotFoundError):
        recordio.MXIndexedRecordIO(str(tmp_path / 'missing' / 'a.idx'), rec, 'w')
    assert open(rec, 'rb').read() == before
    # and the reverse: a .rec that cannot be opened leaves an existing .idx as it was
    index = open(idx, 'rb').read()
    with pytest.raises(mx.base.MXNetFileNotFoundError):
        recordio.MXIndexedRecordIO(idx, str(tmp_path / 'missing' / 'a.rec'), 'w')
    assert open(idx, 'rb').read() == index
    assert not os.path.exists(str(tmp_path / 'new.idx'))
    with pytest.raises(mx.base.MXNetFileNotFoundError):
        recordio.MXIndexedRecordIO(str(tmp_path / 'new.idx'), str(tmp_path / 'missing' / 'a.rec'), 'w')
    assert not os.path.exists(str(tmp_path / 'new.idx'))


def test_indexed_reader_shared_by_threads_reads_the_right_records(tmp_path):
    # seek + read from 4 threads interleaved: records of other keys came back, silently
    idx, rec = _write_records(tmp_path)
    reader = recordio.MXIndexedRecordIO(idx, rec, 'r')
    wrong = []

    def work(k):
        for j in range(200):
            i = (7 * j + k) % 20
            header, payload = recordio.unpack(reader.read_idx(i))
            if header.label != i or payload != b'x' * (i % 7):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    copy = pickle.loads(pickle.dumps(reader))        # the lock is not pickled
    assert recordio.unpack(copy.read_idx(3))[0].label == 3


def test_pack_label_that_overflows_float32(tmp_path):
    # a scalar 1e300 was refused, the same value in a list silently became inf
    with pytest.raises(mx.base.MXNetValueError, match='float32'):
        recordio.pack(recordio.IRHeader(0, [1.0, 1e300], 0, 0), b'')
    header, _ = recordio.unpack(recordio.pack(recordio.IRHeader(0, [1.0, np.inf, np.nan], 0, 0), b''))
    assert header.label[1] == np.inf and np.isnan(header.label[2])


def test_pack_img_image_too_large_for_the_format():
    # Pillow's "OSError: broken data stream when writing image file" for a JPEG over 65500 pixels
    img = np.zeros((65501, 1), np.uint8)
    with pytest.raises(mx.base.MXNetValueError, match=r"65501.*\.jpg"):
        recordio.pack_img(recordio.IRHeader(0, 1.0, 0, 0), img, img_fmt='.jpg')


# -- files that are not regular files ------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='needs os.mkfifo')
def test_fifo_given_as_a_file_is_refused_without_blocking(tmp_path):
    # open() of a FIFO blocks until a writer comes: imread hung for ever
    fifo = str(tmp_path / 'a.png')
    os.mkfifo(fifo)
    with pytest.raises(mx.base.MXNetValueError, match=r'a\.png.*not a regular file'):
        mx.image.imread(fifo)
    with pytest.raises(mx.base.MXNetValueError, match='not a regular file'):
        recordio.MXRecordIO(fifo, 'r')
    _, rec = _write_records(tmp_path)
    with pytest.raises(mx.base.MXNetValueError, match='not a regular file'):
        recordio.MXIndexedRecordIO(fifo, rec, 'r')


@pytest.mark.skipif(not os.path.exists('/dev/zero'), reason='needs /dev/zero')
def test_endless_device_given_as_a_file_is_refused():
    # read() of /dev/zero never ends: MemoryError after filling the memory
    assert stat.S_ISCHR(os.stat('/dev/zero').st_mode)
    with pytest.raises(mx.base.MXNetValueError, match='/dev/zero.*not a regular file'):
        mx.image.imread('/dev/zero')
    with pytest.raises(mx.base.MXNetValueError, match='/dev/zero.*not a regular file'):
        mx.nd.load('/dev/zero')


def test_directory_still_reports_is_a_directory(tmp_path):
    with pytest.raises(mx.base.MXNetIsADirectoryError):
        mx.image.imread(str(tmp_path))
    with pytest.raises(MXNetError):
        recordio.MXRecordIO(str(tmp_path), 'r')
