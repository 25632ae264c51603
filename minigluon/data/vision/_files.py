"""Helpers shared by the vision datasets: SHA-1 checks, idx files, safe extraction of archive
members, and the checks of the ``root`` / ``transform`` arguments (MXNet's data folder is
:func:`minigluon.base.data_dir`).
Private; the datasets are in :mod:`minigluon.data.vision.datasets` and
:mod:`minigluon.data.vision._image_datasets`."""
import contextlib
import gzip
import hashlib
import io
import os
import posixpath
import struct
import sys
import tarfile
import tempfile
import warnings
import zlib

import numpy as np

from minigluon.base import MXNetFormatError, MXNetTypeError, as_mxnet_error, open_regular, read_file
from minigluon.serialization import _file_mode
from minigluon.utils import _get_repo_file_url

_HERE = os.path.dirname(os.path.abspath(__file__))


def as_path(owner, what, value):
    """``value`` as a path string with ``~`` expanded, else :class:`MXNetTypeError` naming the
    dataset ``owner`` and the argument ``what``."""
    try:
        return os.path.expanduser(os.fspath(value))
    except TypeError:
        raise MXNetTypeError('%s: %s must be a path (str or os.PathLike), got %s %r'
                             % (owner, what, type(value).__name__, value)) from None


def check_transform(owner, transform):
    """Refuse (:class:`MXNetTypeError`) a ``transform`` that is neither None nor callable."""
    if transform is not None and not callable(transform):
        raise MXNetTypeError('%s: transform must be None or a callable taking (data, label), got '
                             '%s %r' % (owner, type(transform).__name__, transform))


def repo_url(namespace, fname):
    """Where MXNet 1.9.1 downloads ``fname`` from (``$MXNET_GLUON_REPO`` honoured)."""
    return _get_repo_file_url('gluon/dataset/' + namespace, fname)


def _sha1(path):
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def warn_hashes(name, checked):
    """One UserWarning listing the files of ``checked`` ((path, published sha1) pairs) whose SHA-1
    differs from MXNet's published one."""
    bad = [(path, sha) for path, sha in checked if sha is not None and _sha1(path) != sha]
    if bad:
        warnings.warn('%s: %s differ%s from the file%s MXNet 1.9.1 publishes (SHA-1 %s); loading '
                      'anyway. MXNet would download the file%s again.'
                      % (name, ', '.join(p for p, _ in bad), 's' if len(bad) == 1 else '',
                         '' if len(bad) == 1 else 's', ', '.join(s for _, s in bad),
                         '' if len(bad) == 1 else 's'), UserWarning, stacklevel=caller_level())


def caller_level():
    """The ``stacklevel`` that points a warning at the first frame outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == _HERE:
        frame, level = frame.f_back, level + 1
    return level


# A gzipped idx file is expanded to at most 1024 times its size (at least 64 MiB; MNIST's largest
# file expands 5 times, to 47 MB), so a small file cannot claim or inflate to gigabytes.
GZIP_RATIO, GZIP_MIN_LIMIT = 1024, 64 << 20


def read_idx(path, ndim):
    """The uint8 array of the idx file ``path`` (gzipped when it ends in ``.gz``), of ``ndim``
    dimensions (MNIST's format: a big-endian magic ``0x0800 + ndim``, ``ndim`` uint32 sizes, then
    the bytes); a malformed file raises MXNetFormatError naming it. A gzipped file is expanded
    only as far as its header says, and refused when that is more than ``GZIP_RATIO`` times its
    size or ``GZIP_MIN_LIMIT``, whichever is larger."""
    raw = read_file(path)
    head = 4 + 4 * ndim
    stream = None
    if path.endswith('.gz'):
        limit = max(GZIP_MIN_LIMIT, GZIP_RATIO * len(raw))
        stream = gzip.GzipFile(fileobj=io.BytesIO(raw))
    try:
        header = stream.read(head) if stream is not None else raw[:head]
        if len(header) < head:
            raise MXNetFormatError('%s: truncated idx file (%d bytes, the header alone is %d)'
                                   % (path, len(header), head))
        magic = struct.unpack('>I', header[:4])[0]
        if magic != 0x0800 + ndim:
            raise MXNetFormatError('%s: bad idx magic number 0x%08x, expected 0x%08x (unsigned bytes, '
                                   '%d dimension%s)' % (path, magic, 0x0800 + ndim, ndim, 's' * (ndim > 1)))
        dims = struct.unpack('>%dI' % ndim, header[4:])
        size = 1
        for dim in dims:        # Python ints: a product of uint32s can pass 2**63
            size *= dim
        if stream is None:
            body = raw[head:]
        elif size > limit:
            raise MXNetFormatError('%s: the header announces %s = %d bytes of data, more than a %d-byte '
                                   'gzip file is expanded to (%d bytes)'
                                   % (path, ' x '.join(map(str, dims)), size, len(raw), limit))
        else:
            body = stream.read(size + 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise MXNetFormatError('%s: not a complete gzip file (%s)' % (path, err)) from None
    if len(body) != size:
        raise MXNetFormatError('%s: the header announces %s = %d bytes of data, the file holds %s'
                               '(truncated or not an idx file)'
                               % (path, ' x '.join(map(str, dims)), size,
                                  'more ' if len(body) > size else '%d ' % len(body)))
    return np.frombuffer(body, np.uint8).reshape(dims)


def _is_unsafe(name):
    """Whether the archive member name ``name`` could leave the folder it is extracted into: an
    absolute path, a ``..`` component, or a Windows drive (``C:``), with either slash."""
    parts = name.replace('\\', '/').split('/')
    return name.startswith(('/', '\\')) or '..' in parts or (parts and ':' in parts[0])


# The official CIFAR archives unpack to 184 MB in fewer than 10 members; more is refused before
# it is read.
MAX_ARCHIVE_BYTES, MAX_ARCHIVE_MEMBERS = 1 << 28, 1000


class _Bounded:
    """A read-only view of the file ``f`` that refuses to read or seek past byte ``limit``, and
    any read without a size (tarfile reads a member's long name or pax header whole and skips a member by seeking, both
    before the caller sees the member: here they are refused before they are decompressed)."""

    def __init__(self, f, limit, archive):
        self._f, self._limit, self._archive = f, limit, archive

    def _check(self, end):
        if end > self._limit:
            raise MXNetFormatError('%s: refusing to read past %d unpacked bytes of the archive (the '
                                   'CIFAR archives unpack to 184 MB): corrupt or not a CIFAR archive'
                                   % (self._archive, self._limit))

    def read(self, size=-1):
        self._check(self._f.tell() + size if size is not None and size >= 0 else float('inf'))
        return self._f.read(size)

    def seek(self, pos, whence=0):
        if whence in (0, 1):
            self._check(pos + (self._f.tell() if whence == 1 else 0))
        return self._f.seek(pos, whence)

    def tell(self):
        return self._f.tell()


def extract_members(archive, root, wanted, subdir, record_bytes):
    """Write the members ``wanted`` (file names) of the tar ``archive`` (gzipped or not) into
    ``root``.

    A member counts when it is named ``<name>`` or ``<subdir>/<name>`` (the official archive's
    layout); it must be a regular file of a positive whole number of ``record_bytes`` records.
    Archives of more than ``MAX_ARCHIVE_MEMBERS`` members or ``MAX_ARCHIVE_BYTES`` unpacked bytes
    are refused. The files are written to temporary names and renamed only once every member was
    read, so a failure leaves the root as it was. Returns the names not found in the archive."""
    todo, written = set(wanted), []
    try:
        with open_regular(archive) as raw:
            gzipped = raw.read(2) == b'\x1f\x8b'      # gzip's magic number
            raw.seek(0)
            packed = gzip.GzipFile(fileobj=raw) if gzipped else raw
            with tarfile.open(fileobj=_Bounded(packed, MAX_ARCHIVE_BYTES, archive), mode='r:') as tar:
                for count, member in enumerate(tar, 1):
                    if count > MAX_ARCHIVE_MEMBERS:
                        raise MXNetFormatError('%s: more than %d members (the CIFAR archives hold '
                                               'fewer than 10): not a CIFAR archive'
                                               % (archive, MAX_ARCHIVE_MEMBERS))
                    _extract(tar, member, archive, root, subdir, record_bytes, todo, written)
        for tmp, path in written:
            os.replace(tmp, path)
        written = []
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise MXNetFormatError('%s: not a readable tar archive (%s)' % (archive, err)) from None
    except OSError as err:
        raise as_mxnet_error(err) from None
    finally:
        for tmp, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return sorted(todo)


def _extract(tar, member, archive, root, subdir, record_bytes, todo, written):
    """Write ``member`` to a temporary file in ``root`` when it is one of ``todo`` (appending
    ``(temporary path, final path)`` to ``written``); refuse it when it is unsafe."""
    name = member.name[2:] if member.name.startswith('./') else member.name
    base = posixpath.basename(name.replace('\\', '/'))
    if base not in todo:
        return
    if _is_unsafe(name):
        raise MXNetFormatError('%s: refusing to extract member %r, whose path leaves the '
                               'dataset folder' % (archive, member.name))
    if name not in (base, '%s/%s' % (subdir, base)):
        return
    if not member.isfile():
        raise MXNetFormatError('%s: refusing to extract member %r: it is a link or '
                               'special file, not a regular file' % (archive, member.name))
    if member.size == 0 or member.size % record_bytes:
        raise MXNetFormatError('%s: member %r holds %d bytes, not a whole number of %d-byte '
                               'records: corrupt or not a CIFAR archive'
                               % (archive, member.name, member.size, record_bytes))
    path = os.path.join(root, base)
    fd, tmp = tempfile.mkstemp(prefix='.' + base + '.', suffix='.tmp', dir=root)
    written.append((tmp, path))
    os.chmod(tmp, _file_mode(path))     # mkstemp makes 0600; give the mode open() would
    with os.fdopen(fd, 'wb') as out:
        src = tar.extractfile(member)
        for chunk in iter(lambda: src.read(1 << 20), b''):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    todo.discard(base)
