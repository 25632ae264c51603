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
    with pytest.raises(mx.base.MXNetFileNotFoundError, match=r'missing/a\.idx'):
        recordio.MXIndexedRecordIO(str(tmp_path / 'missing' / 'a.idx'), rec, 'w')
    assert open(rec, 'rb').read() == before
    # and the reverse: a .rec that cannot be opened leaves an existing .idx as it was
    index = open(idx, 'rb').read()
    with pytest.raises(mx.base.MXNetFileNotFoundError, match=r'missing/a\.rec'):
        recordio.MXIndexedRecordIO(idx, str(tmp_path / 'missing' / 'a.rec'), 'w')
    assert open(idx, 'rb').read() == index
    assert not os.path.exists(str(tmp_path / 'new.idx'))
    with pytest.raises(mx.base.MXNetFileNotFoundError, match=r'missing/a\.rec'):
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
    with pytest.raises(mx.base.MXNetIsADirectoryError, match='Is a directory'):
        mx.image.imread(str(tmp_path))
    with pytest.raises(MXNetError, match='Is a directory'):
        recordio.MXRecordIO(str(tmp_path), 'r')


# -- MNIST idx files -----------------------------------------------------------------------------

def _mnist(root, image_dims, image_payload=b'', raw_image_file=None):
    import gzip
    head = b''.join(int(v).to_bytes(4, 'big') for v in [0x803] + list(image_dims))
    images = root / 'train-images-idx3-ubyte.gz'
    if raw_image_file is None:
        images.write_bytes(gzip.compress(head + image_payload))
    else:
        raw_image_file(images, head)
    (root / 'train-labels-idx1-ubyte.gz').write_bytes(gzip.compress(b'\0\0\x08\x01\0\0\0\0'))


def test_mnist_dimensions_whose_product_wraps_in_int64(tmp_path):
    # 2**31 x 2**31 x 4 = 2**64 wrapped to 0 = the empty payload: NumPy's reshape ValueError
    _mnist(tmp_path, (1 << 31, 1 << 31, 4))
    with pytest.warns(UserWarning), pytest.raises(mx.base.MXNetFormatError,
                                                  match=r'train-images.*2147483648 x 2147483648 x 4'):
        mx.gluon.data.vision.MNIST(str(tmp_path))


def test_mnist_gzip_bomb_is_not_expanded(tmp_path, monkeypatch):
    # the whole gzip stream was decompressed before the header was checked (a 300 KB file: 300 MB)
    import gzip
    from minigluon.data.vision import _files
    monkeypatch.setattr(_files, 'GZIP_MIN_LIMIT', 1 << 16)
    monkeypatch.setattr(_files, 'GZIP_RATIO', 16)
    expanded = []
    real = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = real(self, size)
        expanded.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, 'read', counting_read)

    def bomb(path, head):                     # the header tells the truth: 1 MiB of zeros
        with gzip.open(str(path), 'wb') as f:
            f.write(head + bytes(1 << 20))
    _mnist(tmp_path, (1024, 32, 32), raw_image_file=bomb)
    with pytest.warns(UserWarning), pytest.raises(mx.base.MXNetFormatError, match='1048576 bytes.*more than'):
        mx.gluon.data.vision.MNIST(str(tmp_path))
    assert sum(expanded) < 1 << 10

    def liar(path, head):                     # the header claims 1 image, the stream holds 1 MiB
        with gzip.open(str(path), 'wb') as f:
            f.write(head + bytes(1 << 20))
    _mnist(tmp_path, (1, 28, 28), raw_image_file=liar)
    expanded.clear()
    with pytest.warns(UserWarning), pytest.raises(mx.base.MXNetFormatError, match='holds more'):
        mx.gluon.data.vision.MNIST(str(tmp_path))
    assert sum(expanded) < 1 << 12


# -- CIFAR archives ------------------------------------------------------------------------------

_REC = b'\x03' + bytes(3072)


def _cifar_archive(root, members):
    import io
    import tarfile
    with tarfile.open(str(root / 'cifar-10-binary.tar.gz'), 'w:gz') as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.linkname = '/etc/passwd'
                tar.addfile(info)


def test_cifar_failed_extraction_leaves_the_root_unchanged(tmp_path):
    # test_batch.bin was extracted (and kept) before the next member was refused
    import tarfile
    _cifar_archive(tmp_path, [('test_batch.bin', _REC, tarfile.REGTYPE),
                              ('data_batch_1.bin', b'', tarfile.SYMTYPE)])
    with pytest.raises(mx.base.MXNetFormatError, match='data_batch_1.bin.*not a regular file'):
        mx.gluon.data.vision.CIFAR10(str(tmp_path), train=False)
    assert sorted(os.listdir(str(tmp_path))) == ['cifar-10-binary.tar.gz']


def test_cifar_member_of_the_wrong_size_is_not_extracted(tmp_path):
    # it was written to the root, then refused by the batch reader on every later try
    import tarfile
    _cifar_archive(tmp_path, [('test_batch.bin', _REC[:-1], tarfile.REGTYPE)])
    with pytest.raises(mx.base.MXNetFormatError, match="'test_batch.bin' holds 3072 bytes.*3073"):
        mx.gluon.data.vision.CIFAR10(str(tmp_path), train=False)
    assert sorted(os.listdir(str(tmp_path))) == ['cifar-10-binary.tar.gz']


def test_cifar_archive_bombs_are_refused_before_they_are_read(tmp_path, monkeypatch):
    # an 8 MB archive wrote a 1.8 GB member; 20000 empty members were all listed
    import tarfile
    from minigluon.data.vision import _files
    monkeypatch.setattr(_files, 'MAX_ARCHIVE_BYTES', 8 * 3073)
    monkeypatch.setattr(_files, 'MAX_ARCHIVE_MEMBERS', 5)
    _cifar_archive(tmp_path, [('test_batch.bin', _REC * 16, tarfile.REGTYPE)])
    with pytest.raises(mx.base.MXNetFormatError, match='refusing to read past 24584 unpacked bytes'):
        mx.gluon.data.vision.CIFAR10(str(tmp_path), train=False)
    _cifar_archive(tmp_path, [('readme%d' % i, b'', tarfile.REGTYPE) for i in range(6)]
                   + [('test_batch.bin', _REC, tarfile.REGTYPE)])
    with pytest.raises(mx.base.MXNetFormatError, match='more than 5 members'):
        mx.gluon.data.vision.CIFAR10(str(tmp_path), train=False)
    assert sorted(os.listdir(str(tmp_path))) == ['cifar-10-binary.tar.gz']
    # within the limits the same archive is read, and the file gets open()'s mode, not 0600
    monkeypatch.setattr(_files, 'MAX_ARCHIVE_MEMBERS', 7)
    with pytest.warns(UserWarning, match='SHA-1'):
        data = mx.gluon.data.vision.CIFAR10(str(tmp_path), train=False)
    assert len(data) == 1 and int(data[0][1]) == 3
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(str(tmp_path / 'test_batch.bin')).st_mode) == 0o666 & ~mask


# -- dataset arguments ---------------------------------------------------------------------------

@pytest.mark.parametrize('filename', [123, None])
def test_record_datasets_filename_of_wrong_type(filename):
    # os.fspath's bare TypeError
    for cls in (mx.gluon.data.RecordFileDataset, mx.gluon.data.vision.ImageRecordDataset):
        with pytest.raises(mx.base.MXNetTypeError, match='filename must be a path'):
            cls(filename)


def test_record_dataset_bad_indices(tmp_path):
    # a bare "IndexError: list index out of range"; a slice reached the index as a list key
    _, rec = _write_records(tmp_path, count=3)
    data = mx.gluon.data.RecordFileDataset(rec)
    with pytest.raises(mx.base.MXNetIndexError, match=r'index 3 out of range for the 3 records of .*a\.rec'):
        data[3]
    with pytest.raises(mx.base.MXNetTypeError, match='integers, got slice'):
        data[0:2]
    assert len(list(data)) == 3 and recordio.unpack(data[-1])[0].label == 2


@pytest.mark.parametrize('flag', ['1', None, 2, True, 1.5])
def test_image_datasets_check_flag_at_construction(tmp_path, flag):
    # accepted, then every item failed inside imread/imdecode
    idx, rec = _write_records(tmp_path, count=1)
    makers = [lambda: mx.gluon.data.vision.ImageFolderDataset(str(tmp_path), flag=flag),
              lambda: mx.gluon.data.vision.ImageListDataset(str(tmp_path), [], flag=flag),
              lambda: mx.gluon.data.vision.ImageRecordDataset(rec, flag=flag)]
    for make in makers:                       # (True is refused as by mx.image.imread)
        with pytest.raises(mx.base.MXNetValueError, match='flag must be 1 .* or 0 .*got'):
            make()


def test_lst_file_with_byte_order_mark_and_nul_path(tmp_path):
    # the BOM made line 1's index "\ufeff0" not an integer; a NUL failed at read time without
    # naming the .lst file
    Image = pytest.importorskip('PIL.Image')
    Image.new('RGB', (2, 3)).save(str(tmp_path / 'a.png'))
    (tmp_path / 'x.lst').write_bytes('\ufeff0\t1.5\ta.png\n'.encode('utf-8'))
    data = mx.gluon.data.vision.ImageListDataset(str(tmp_path), 'x.lst')
    assert data[0][0].shape == (3, 2, 3) and data[0][1].asnumpy().tolist() == [1.5]
    (tmp_path / 'x.lst').write_bytes(b'0\t1\ta\0.png\n')
    with pytest.raises(mx.base.MXNetFormatError, match=r'x\.lst line 1.*NUL'):
        mx.gluon.data.vision.ImageListDataset(str(tmp_path), 'x.lst')


def test_idx_file_with_byte_order_mark(tmp_path):
    # with key_type=str the BOM became part of the first key: read_idx('0') raised KeyError
    idx, rec = _write_records(tmp_path, count=2)
    with open(idx, 'rb') as f:
        text = f.read()
    with open(idx, 'wb') as f:
        f.write(b'\xef\xbb\xbf' + text)
    reader = recordio.MXIndexedRecordIO(idx, rec, 'r', key_type=str)
    assert reader.keys == ['0', '1'] and recordio.unpack(reader.read_idx('0'))[0].label == 0


# -- mx.image arguments --------------------------------------------------------------------------

@pytest.mark.parametrize('shape', [(3,), 'x', 5, (3, 4, 4, 1)])
def test_create_augmenter_data_shape_of_wrong_form(shape):
    # a bare IndexError (or TypeError) from data_shape[2]
    with pytest.raises(mx.base.MXNetValueError, match=r'data_shape must be \(channels, height, width\)'):
        mx.image.CreateAugmenter(shape)
    assert len(mx.image.CreateAugmenter([3, 4, 4])) == 2


@pytest.mark.parametrize('area', [(-1, 0), -0.5, (0.5,), 'x'])
def test_random_size_crop_bad_area(area):
    # (-1, 0) gave "cannot convert float NaN to integer"; (0.5,) an IndexError
    img = mx.nd.zeros((5, 6, 3), dtype='uint8')
    with pytest.raises(mx.base.MXNetValueError, match='area must be'):
        mx.image.random_size_crop(img, (2, 2), area, (0.75, 1.33))
    assert mx.image.random_size_crop(img, (2, 2), 0.5, (0.75, 1.33))[0].shape == (2, 2, 3)


def test_pixel_bomb_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    # pins the limit the decoders rely on: Pillow's MAX_IMAGE_PIXELS (an image of more than twice
    # as many pixels is refused from its header), for imdecode, unpack_img and the datasets
    Image = pytest.importorskip('PIL.Image')
    Image.new('L', (40, 30)).save(str(tmp_path / 'big.png'))
    buf = (tmp_path / 'big.png').read_bytes()
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 500)          # 1200 pixels > 2 x 500
    with pytest.raises(mx.base.MXNetFormatError, match='exceeds limit'):
        mx.image.imdecode(buf)
    record = recordio.pack(recordio.IRHeader(0, 1.0, 0, 0), buf)
    with pytest.raises(mx.base.MXNetFormatError, match=r'record payload.*exceeds limit'):
        recordio.unpack_img(record)
    (tmp_path / 'cls').mkdir()
    (tmp_path / 'big.png').rename(tmp_path / 'cls' / 'big.png')
    with pytest.raises(mx.base.MXNetFormatError, match=r'big\.png.*exceeds limit'):
        mx.gluon.data.vision.ImageFolderDataset(str(tmp_path))[0]


def test_threads_of_a_forked_child_share_one_new_reader_lock(tmp_path):
    # Two threads making their first read in a forked child each made a lock of their own, so
    # their reads were not serialised (found by the code review session).
    import multiprocessing
    import threading
    if 'fork' not in multiprocessing.get_all_start_methods():
        pytest.skip('needs fork')
    from minigluon import recordio
    w = recordio.MXIndexedRecordIO(str(tmp_path / 'r.idx'), str(tmp_path / 'r.rec'), 'w')
    for i in range(4):
        w.write_idx(i, b'record %d' % i)
    w.close()
    reader = recordio.MXIndexedRecordIO(str(tmp_path / 'r.idx'), str(tmp_path / 'r.rec'), 'r')
    reader.read_idx(0)

    def child(conn):
        barrier, locks = threading.Barrier(8), []
        real_rlock = threading.RLock

        def slow_rlock():             # widen the window between the pid check and the new lock
            import time
            time.sleep(0.02)
            return real_rlock()
        recordio.threading.RLock = slow_rlock

        def first_read():
            barrier.wait()
            locks.append(reader._locked())       # kept alive: ids of freed locks repeat
        threads = [threading.Thread(target=first_read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        conn.send(len({id(lock) for lock in locks}))
    ctx = multiprocessing.get_context('fork')
    parent, child_end = ctx.Pipe()
    proc = ctx.Process(target=child, args=(child_end,))
    proc.start()
    assert parent.recv() == 1
    proc.join()
