"""Where a save lands when the target is not a plain file: a symbolic link is written through
(the file it points to gets the new bytes, the link stays), as ``open(path, 'w')`` and MXNet
1.9.1's savers do, and a file the process may not write is refused, not replaced by a rename."""
import os

import pytest

from minigluon import nd, serialization

SAVERS = {
    'nd.save': lambda path: nd.save(path, [nd.zeros((3,))]),
    'atomic_write': lambda path: _write(path, b'new'),
}


def _write(path, blob):
    with serialization.atomic_write(path) as f:
        f.write(blob)


@pytest.mark.parametrize('saver', sorted(SAVERS))
def test_a_link_is_written_through_and_kept(tmp_path, saver):
    (tmp_path / 'big_disk').mkdir()
    real = tmp_path / 'big_disk' / 'model.params'
    nd.save(str(real), [nd.ones((1,))])
    link = tmp_path / 'latest.params'
    link.symlink_to(real)
    SAVERS[saver](str(link))
    assert link.is_symlink() and os.readlink(str(link)) == str(real)
    assert link.read_bytes() == real.read_bytes() != b''
    if saver == 'nd.save':
        assert nd.load(str(real))[0].shape == (3,)
    assert sorted(os.listdir(tmp_path)) == ['big_disk', 'latest.params']
    assert os.listdir(tmp_path / 'big_disk') == ['model.params']   # no temporary file left


def test_a_dangling_link_creates_the_file_it_names(tmp_path):
    (tmp_path / 'out').mkdir()
    link = tmp_path / 'latest.params'
    link.symlink_to(tmp_path / 'out' / 'new.params')
    nd.save(str(link), [nd.ones((2,))])
    assert link.is_symlink() and nd.load(str(tmp_path / 'out' / 'new.params'))[0].shape == (2,)


def test_a_write_protected_file_is_refused_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / 'keep.params'
    nd.save(str(path), [nd.ones((1,))])
    before = path.read_bytes()
    path.chmod(0o444)
    # as a user without write permission (root passes os.access, as it passes open(path, 'w'))
    monkeypatch.setattr(serialization.os, 'access', lambda p, mode: not os.path.samefile(p, path))
    with pytest.raises(PermissionError, match="Permission denied: '%s'" % path):
        nd.save(str(path), [nd.zeros((5,))])
    assert path.read_bytes() == before and os.listdir(tmp_path) == ['keep.params']
