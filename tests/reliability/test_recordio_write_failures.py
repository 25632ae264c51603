"""A RecordIO write that fails part-way (a full disk) leaves no half record behind: the records
written before and after it read back, sequentially and through the .idx offsets."""
import errno

import pytest

from minigluon import recordio


class _FullAfter:
    """A file whose next write stores ``n`` bytes and then runs out of space."""

    def __init__(self, real, n):
        self.real, self.n, self.calls = real, n, 0

    def write(self, view):
        self.calls += 1
        if self.calls == 1:
            return self.real.write(view[:self.n])
        raise OSError(errno.ENOSPC, 'No space left on device')

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize('stream,stored', [('_file', 0), ('_file', 3), ('_file', 7), ('_file', 20),
                                           ('fidx', 0), ('fidx', 2)])
def test_a_record_that_fails_part_way_is_cut_off_again(tmp_path, stream, stored):
    # the disk fills up after `stored` bytes of the second record (stream '_file') or of its
    # index line (stream 'fidx'): both are cut off again, and the third record reads back
    idx, rec = str(tmp_path / 'a.idx'), str(tmp_path / 'a.rec')
    writer = recordio.MXIndexedRecordIO(idx, rec, 'w')
    writer.write_idx(0, b'first' * 10)
    real = getattr(writer, stream)
    setattr(writer, stream, _FullAfter(real, stored))
    with pytest.raises(OSError, match='No space left'):
        writer.write_idx(1, b'second' * 10)
    setattr(writer, stream, real)
    writer.write_idx(2, b'third' * 10)
    writer.close()
    reader = recordio.MXIndexedRecordIO(idx, rec, 'r')
    assert reader.keys == [0, 2]
    assert [reader.read_idx(k) for k in reader.keys] == [b'first' * 10, b'third' * 10]
    reader.close()
    plain = recordio.MXRecordIO(rec, 'r')
    assert [plain.read(), plain.read(), plain.read()] == [b'first' * 10, b'third' * 10, None]
