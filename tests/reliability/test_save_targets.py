"""Where a save lands when the target is not a plain file: a symbolic link is written through
(the file it points to gets the new bytes, the link stays), as ``open(path, 'w')`` and MXNet
1.9.1's savers do, and a file the process may not write is refused, not replaced by a rename."""
import os
import stat
import threading

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


def test_a_save_while_another_thread_saves_keeps_the_umask_and_the_modes(tmp_path, monkeypatch):
    # os.umask can only be read by setting it: a save preempted between setting it to 0 and
    # back gave a save in another thread a 0o666 file, and could leave the process at umask 0
    old = os.umask(0o022)
    try:
        real, interrupted = os.umask, []

        def umask_then_the_other_thread_saves(mask):
            prev = real(mask)
            if mask == 0 and not interrupted:
                interrupted.append(True)
                other = threading.Thread(target=nd.save, args=(str(tmp_path / 'b.params'), [nd.ones((1,))]))
                other.start()
                other.join(5)
            return prev
        monkeypatch.setattr(serialization.os, 'umask', umask_then_the_other_thread_saves)
        nd.save(str(tmp_path / 'a.params'), [nd.ones((1,))])
        monkeypatch.undo()
        if not interrupted:            # the umask was read without setting it: nothing to interrupt
            nd.save(str(tmp_path / 'b.params'), [nd.ones((1,))])
        assert os.umask(0o022) == 0o022
        for name in ('a.params', 'b.params'):
            assert os.stat(str(tmp_path / name)).st_mode & 0o777 == 0o644, name
    finally:
        os.umask(old)


@pytest.mark.parametrize('through_link', [False, True])
def test_a_fifo_is_refused_not_replaced_by_a_regular_file(tmp_path, through_link):
    # (the rename used to put a regular file in its place: saving to /dev/null as root would
    # have replaced the system's /dev/null)
    fifo = tmp_path / 'pipe'
    os.mkfifo(str(fifo))
    target = fifo
    if through_link:
        target = tmp_path / 'link'
        target.symlink_to(fifo)
    with pytest.raises(ValueError, match="'%s' is a FIFO, not a regular file" % target):
        nd.save(str(target), [nd.ones((1,))])
    assert stat.S_ISFIFO(os.lstat(str(fifo)).st_mode)
    assert sorted(os.listdir(tmp_path)) == sorted(['pipe'] + (['link'] if through_link else []))
