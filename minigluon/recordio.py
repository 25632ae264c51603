"""RecordIO files (``.rec``) and their ``.idx`` indexes, as MXNet 1.9.1's ``mxnet.recordio``.

Pure Python, byte-compatible with the files MXNet writes through dmlc-core's ``RecordIOWriter``
(the ``.rec`` files of ``im2rec`` and ``mx.recordio``). The layout, all little-endian:

* A record is one or more *parts*. Each part is the 4-byte magic ``0xced7230a``, a 4-byte word
  ``(cflag << 29) | length``, ``length`` payload bytes, then zero bytes up to a multiple of 4.
  ``cflag`` is 0 for a whole record, and 1 / 2 / 3 for the first / a middle / the last part.
* A payload holding the magic at an offset that is a multiple of 4 is split there: the writer
  drops those 4 bytes and starts a new part; the reader puts the magic back between parts. So
  the magic never appears at an aligned file offset inside a payload: a reader that finds it
  at an aligned offset stands at the start of a part (and of a record when its ``cflag`` is
  0 or 1).
* ``.idx``: one text line per record, ``key<TAB>byte offset of the record<LF>``.
* An image record (``pack``) starts with the 24-byte header ``<IfQQ`` (flag: uint32, label:
  float32, id: uint64, id2: uint64); when ``flag > 0`` the label is the ``flag`` float32 values
  that follow the header, and the header's own label field is 0.
"""
import os
import struct
import threading
from multiprocessing import current_process

from minigluon._recordio_pack import IRHeader, _as_bytes, pack, pack_img, unpack, unpack_img  # noqa: F401
from minigluon.base import (MXNetError, MXNetFormatError, MXNetKeyError, MXNetTypeError,
                            MXNetValueError, as_mxnet_error, open_regular, read_file)

__all__ = ['MXRecordIO', 'MXIndexedRecordIO', 'IRHeader', 'pack', 'unpack', 'pack_img', 'unpack_img']

_MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack('<I', _MAGIC)
_PART = struct.Struct('<II')
_LENGTH_BITS = 29
_MAX_RECORD = 1 << _LENGTH_BITS         # dmlc's writer refuses records of 2**29 bytes or more
_LENGTH_MASK = _MAX_RECORD - 1          # the low 29 bits of a part's second word

# Guards the replacement of a reader's lock in a forked child, so two threads there that make
# their first read at once end up sharing one new lock. Itself replaced in every child (another
# thread may have held it at the fork).
_fork_guard = threading.Lock()


def _new_fork_guard():
    global _fork_guard
    _fork_guard = threading.Lock()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_new_fork_guard)


class _ModeError(MXNetValueError, AssertionError):
    """A reader used for writing or the reverse (MXNet 1.9.1 raises a bare ``AssertionError``)."""


def _as_path(value, what):
    """``value`` as a path string (``os.fspath``), else :class:`MXNetTypeError` naming ``what``."""
    try:
        return os.fspath(value)
    except TypeError:
        raise MXNetTypeError('%s must be a path (str or os.PathLike), got %s'
                             % (what, type(value).__name__)) from None


def _part(cflag, payload):
    """One part: its 8-byte header (magic, ``cflag`` and length) and ``payload``, unpadded."""
    return _PART.pack(_MAGIC, (cflag << _LENGTH_BITS) | len(payload)) + payload


def _frame(data):
    """The bytes dmlc's ``RecordIOWriter::WriteRecord`` writes for the payload ``data``."""
    parts, start = [], 0
    hit = data.find(_MAGIC_BYTES)
    while hit != -1:
        if hit % 4:                      # only aligned copies of the magic split the record
            hit = data.find(_MAGIC_BYTES, hit + 1)
            continue
        parts.append(_part(1 if start == 0 else 2, data[start:hit]))
        start = hit + 4
        hit = data.find(_MAGIC_BYTES, start)
    parts.append(_part(3 if parts else 0, data[start:]))
    # Only the last part is padded: the others end where an aligned magic began, so their
    # lengths are multiples of 4, and the last starts aligned, so its padding is len(data)'s.
    parts.append(b'\0' * (-len(data) % 4))
    return b''.join(parts)


def _write_all(f, data, start):
    """Write ``data`` to the unbuffered file ``f`` (positioned at ``start``), looping over
    partial writes. A write that fails part-way (a full disk) is cut off again at ``start``:
    half a record would make every record written after it unreadable."""
    view = memoryview(data)
    try:
        while view:
            view = view[f.write(view):]
    except BaseException:
        _cut_back(f, start)
        raise


def _cut_back(f, start):
    """Truncate ``f`` at ``start`` and put its position there."""
    f.seek(start)
    f.truncate()


class MXRecordIO:
    """Sequential reader or writer of a RecordIO file (MXNet 1.9.1 ``mx.recordio.MXRecordIO``).

    Parameters
    ----------
    uri : str or os.PathLike
        Path of the ``.rec`` file.
    flag : {'r', 'w'}
        ``'r'`` reads; ``'w'`` creates or truncates the file and writes.

    Attributes
    ----------
    uri, flag : str
    is_open, writable : bool
    pid : int or None
        The process that opened the file. A reader that crosses a ``fork`` refuses ``read()`` in
        the child (the two would share one file offset); ``seek`` reopens it there, as in MXNet.

    Raises
    ------
    MXNetTypeError
        For a ``uri`` that is not a path.
    MXNetValueError
        For a ``flag`` other than ``'r'`` / ``'w'``.
    MXNetFileNotFoundError, MXNetPermissionError, MXNetIsADirectoryError
        When the file cannot be opened (an ``MXNetError`` in MXNet too); a FIFO or device given
        to a reader raises ``MXNetValueError`` (only regular files are read).

    Notes
    -----
    Pickling (for DataLoader workers) keeps the path, flag, open state and read position, never
    the contents: the copy reopens the file and goes on reading where the original stood. MXNet
    1.9.1 instead closes the original when it is pickled, and its copy starts over at the first
    record (a writer's copy truncates the file); minigluon leaves the original open and refuses
    to pickle an open writer. Like MXNet 1.9.1 it is no context manager: call ``close()``.
    Writes go straight to the file (no buffer), so a crash leaves a readable prefix.
    One object may be shared by threads: its reads, seeks and writes take a lock (MXNet's do not).
    """

    def __init__(self, uri, flag):
        self.uri = _as_path(uri, 'uri')
        self.flag = flag
        self.pid = None
        self.is_open = False
        self._file = None
        self._pos = 0
        self._new_lock()
        self.open()

    def _new_lock(self):
        self._lock, self._lock_pid = threading.RLock(), os.getpid()

    def _locked(self):
        """The lock that serialises this object's threads (a new one in a forked child: a lock
        some other thread held at the fork would never be released there)."""
        if self._lock_pid != os.getpid():
            with _fork_guard:
                if self._lock_pid != os.getpid():     # not replaced by another thread meanwhile
                    self._new_lock()
        return self._lock

    def open(self):
        """Open the file (closing it first if open): a reader starts at the first record, a
        writer truncates the file."""
        if self.flag not in ('r', 'w'):
            raise MXNetValueError("Invalid flag %r: MXRecordIO takes 'r' (read) or 'w' (write)" % (self.flag,))
        self.close()
        self.writable = self.flag == 'w'
        created = []
        self._file = self._open_file(self.uri, created)
        try:
            self._open_more(created)
            if self.writable:               # truncated only once every file could be opened
                self._file.truncate(0)
        except BaseException:
            self._file.close()
            self._file = None
            for path in created:            # a failed open leaves no new empty file either
                os.unlink(path)
            raise
        self._pos = 0
        self.pid = current_process().pid
        self.is_open = True

    def _open_file(self, path, created):
        """``path`` opened for reading, or for writing without truncating it yet; appends
        ``path`` to ``created`` when the writer made a new file."""
        if not self.writable:
            return open_regular(path)
        try:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0), 0o666)
                created.append(path)
            except FileExistsError:
                fd = os.open(path, os.O_WRONLY | getattr(os, 'O_BINARY', 0))
        except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as err:
            raise as_mxnet_error(err) from None
        return os.fdopen(fd, 'wb', buffering=0)

    def _open_more(self, created):
        """Open the files besides ``uri`` (the ``.idx`` of :class:`MXIndexedRecordIO`)."""

    def close(self):
        """Close the file (nothing happens when it is closed already)."""
        if not self.is_open:
            return
        self.is_open = False
        self.pid = None
        self._file.close()
        self._file = None

    def __del__(self):
        if getattr(self, 'is_open', False):
            self.close()

    def reset(self):
        """Back to the first record; for a writer, truncate the file to empty."""
        self.close()
        self.open()

    def __getstate__(self):
        if self.is_open and self.writable:
            raise MXNetTypeError('cannot pickle %s %r open for writing: close() it first'
                                 % (type(self).__name__, self.uri))
        return {'uri': self.uri, 'flag': self.flag, 'is_open': self.is_open, 'pos': self._pos}

    def __setstate__(self, state):
        self.uri, self.flag = state['uri'], state['flag']
        self.pid, self.is_open, self._file, self._pos = None, False, None, 0
        self.writable = self.flag == 'w'
        self._new_lock()
        if state['is_open']:
            self.open()
            self._goto(state['pos'])

    def _check(self, writing, allow_reset=False):
        if not self.is_open:
            raise MXNetValueError('%s %r is closed: call open() or reset() first'
                                  % (type(self).__name__, self.uri))
        if writing != self.writable:
            raise _ModeError('%s %r was opened with flag %r: %s needs flag %r'
                             % (type(self).__name__, self.uri, self.flag,
                                'writing' if writing else 'reading', 'w' if writing else 'r'))
        if self.pid != current_process().pid:
            if not allow_reset:
                raise MXNetError('%s %r was opened in another process: reading or writing it here '
                                 'would move that process\'s file offset. Call reset() (or use '
                                 'read_idx) in this process.' % (type(self).__name__, self.uri))
            self.reset()

    def _goto(self, pos):
        self._file.seek(pos)
        self._pos = pos

    def write(self, buf):
        """Append one record.

        Parameters
        ----------
        buf : bytes-like
            The payload, below 2**29 bytes (dmlc-core's limit); any bytes, including the magic.

        Raises
        ------
        MXNetTypeError
            For a ``str`` or another non-bytes ``buf``.
        MXNetValueError
            For a reader, a closed file, or a payload of 2**29 bytes or more.
        MXNetError
            In a process other than the one that opened the file (as MXNet 1.9.1).
        OSError
            When the file cannot be written (a full disk): the part of the record already
            written is cut off again, so the file and the records written later stay readable.
        """
        with self._locked():
            self._write(buf)

    def _write(self, buf):
        self._check(writing=True)
        data = _as_bytes(buf, 'buf')
        if len(data) >= _MAX_RECORD:
            raise MXNetValueError('RecordIO records must be below 2**29 bytes, got %d' % len(data))
        blob = _frame(data)
        _write_all(self._file, blob, self._pos)
        self._pos += len(blob)

    def read(self):
        """The next record's payload as ``bytes`` (``b''`` for an empty record), or ``None`` at
        the end of the file.

        Raises
        ------
        MXNetFormatError
            For a corrupt or truncated file: the message names the file and the byte offset.
            (dmlc-core fails there too, with a bare "Invalid RecordIO File", except for a
            record cut exactly between two of its parts, where it silently ends.)
        MXNetValueError
            For a writer or a closed file.
        MXNetError
            In a process other than the one that opened the file (as MXNet 1.9.1).
        """
        with self._locked():
            return self._read()

    def _read(self):
        self._check(writing=False)
        chunks = []
        while True:
            head = self._file.read(_PART.size)
            if not head and not chunks:
                return None
            if len(head) < _PART.size:
                self._fail('the file ends inside a record header', self._pos)
            magic, word = _PART.unpack(head)
            if magic != _MAGIC:
                self._fail('bad magic number 0x%08x (expected 0x%08x): not a RecordIO file, '
                           'corrupt, or not the start of a record' % (magic, _MAGIC), self._pos)
            cflag, length = word >> _LENGTH_BITS, word & _LENGTH_MASK
            # a record starts with a whole (0) or first (1) part; a middle (2) or last (3) follows
            if cflag > 3 or (cflag in (0, 1)) != (not chunks):
                self._fail('record part flag %d out of sequence' % cflag, self._pos)
            padded = (length + 3) & ~3
            body = self._file.read(padded)
            if len(body) < padded:
                self._fail('a record part declares %d payload bytes but only %d remain in the '
                           'file (truncated?)' % (length, len(body)), self._pos)
            self._pos += _PART.size + padded
            chunks.append(body[:length])
            if cflag in (0, 3):
                return b''.join(chunks)
            chunks.append(_MAGIC_BYTES)

    def _fail(self, message, offset):
        raise MXNetFormatError('%s: %s (at byte offset %d)' % (self.uri, message, offset))


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with a ``.idx`` index for random access (MXNet 1.9.1
    ``mx.recordio.MXIndexedRecordIO``).

    Parameters
    ----------
    idx_path : str or os.PathLike
        The index: one line ``key<TAB>offset<LF>`` per record. Opening for writing truncates it
        and the ``.rec``, only once both could be opened (a failed open changes neither file);
        for reading it must exist and is read whole.
    uri : str or os.PathLike
        The ``.rec`` file.
    flag : {'r', 'w'}
    key_type : callable, default int
        Turns the key text of each line (and the key given to ``write_idx``) into a key.

    Attributes
    ----------
    keys : list
        The keys in file order (repeated keys appear twice, as in MXNet).
    idx : dict
        Key to the byte offset of its record (the last one for a repeated key).

    Raises
    ------
    MXNetTypeError
        For a ``uri`` or ``idx_path`` that is not a path.
    MXNetFileNotFoundError
        When the ``.rec`` file, or for reading the ``.idx`` file, is missing.
    MXNetFormatError
        For an index line that is not ``key<TAB>offset`` (names the file and line; MXNet 1.9.1
        raises a bare ``IndexError``/``ValueError``). Blank lines are skipped.
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = _as_path(idx_path, 'idx_path')
        self.key_type = key_type
        self.idx, self.keys, self.fidx = {}, [], None
        super().__init__(uri, flag)

    def _open_more(self, created):
        self.idx, self.keys = {}, []
        if self.writable:
            self.fidx = self._open_file(self.idx_path, created)
            try:
                self.fidx.truncate(0)
            except BaseException:
                self.fidx.close()
                self.fidx = None
                raise
            return
        try:
            text = read_file(self.idx_path).decode('utf-8-sig')   # (a byte order mark skipped)
        except UnicodeDecodeError as err:
            raise MXNetFormatError('%s: not a UTF-8 text index (%s)' % (self.idx_path, err)) from None
        for number, line in enumerate(text.split('\n'), 1):
            if line.strip():
                key, offset = self._parse_line(line, number)
                self.idx[key] = offset
                self.keys.append(key)

    def _parse_line(self, line, number):
        fields = line.strip().split('\t')
        try:
            if len(fields) < 2:
                raise ValueError('no tab')
            offset = int(fields[1])
            if not 0 <= offset < 1 << 63:
                raise ValueError('offset out of range [0, 2**63)')
            return self.key_type(fields[0]), offset
        except (ValueError, TypeError) as err:
            raise MXNetFormatError('%s, line %d: expected "key<TAB>byte offset", got %r (%s)'
                                   % (self.idx_path, number, line, err)) from None

    def close(self):
        """Close the record and index files."""
        if not self.is_open:
            return
        super().close()
        if self.fidx is not None:
            self.fidx.close()
            self.fidx = None

    def __getstate__(self):
        state = super().__getstate__()
        state.update(idx_path=self.idx_path, key_type=self.key_type)
        return state

    def __setstate__(self, state):
        self.idx_path, self.key_type = state['idx_path'], state['key_type']
        self.idx, self.keys, self.fidx = {}, [], None
        super().__setstate__(state)

    def seek(self, idx):
        """Move the reader to the record of key ``idx`` (in a forked child: reopen first).

        Raises
        ------
        MXNetKeyError
            For a key not in the index (also a ``KeyError``, as in MXNet).
        MXNetValueError
            For a writer or a closed file.
        """
        with self._locked():
            self._seek(idx)

    def _seek(self, idx):
        self._check(writing=False, allow_reset=True)
        try:
            offset = self.idx[idx]
        except (KeyError, TypeError):
            raise MXNetKeyError('key %r is not in the index %s (%d keys of type %s)'
                                % (idx, self.idx_path, len(self.idx),
                                   getattr(self.key_type, '__name__', self.key_type))) from None
        self._goto(offset)

    def tell(self):
        """The byte offset where the next record will be written (writers only, as MXNet).

        Returns
        -------
        int
        """
        self._check(writing=True)
        return self._pos

    def read_idx(self, idx):
        """The payload (``bytes``) of the record of key ``idx``.

        Raises
        ------
        MXNetKeyError
            For an unknown key.
        MXNetFormatError
            When the offset in the index is not a record of the ``.rec`` file (names both).
        And the errors of :meth:`MXRecordIO.read`.
        """
        with self._locked():
            self._seek(idx)
            offset = self._pos
            record = self._read()
            if record is None:
                self._fail('the index %s places key %r at the end of the file or past it (truncated '
                           '.rec file?)' % (self.idx_path, idx), offset)
            return record

    def write_idx(self, idx, buf):
        """Append record ``buf`` under key ``key_type(idx)`` and add its index line.

        Raises
        ------
        MXNetValueError
            When ``key_type(idx)`` fails or its text holds a tab or a line break.
        And the errors of :meth:`MXRecordIO.write`.
        """
        with self._locked():
            self._write_idx(idx, buf)

    def _write_idx(self, idx, buf):
        self._check(writing=True)
        try:
            key = self.key_type(idx)
        except (ValueError, TypeError) as err:
            raise MXNetValueError('idx %r cannot be made a key by key_type %r: %s'
                                  % (idx, self.key_type, err)) from None
        text = str(key)
        if any(c in text for c in '\t\r\n'):
            raise MXNetValueError('key %r cannot be written to a .idx file: it holds a tab or a '
                                  'line break' % (text,))
        offset = self._pos
        self._write(buf)
        try:
            _write_all(self.fidx, ('%s\t%d\n' % (text, offset)).encode('utf-8'), self.fidx.tell())
        except BaseException:     # no record without its index line either
            _cut_back(self._file, offset)
            self._pos = offset
            raise
        self.idx[key] = offset
        self.keys.append(key)
