"""File helpers of the vision datasets: MXNet's data folder, SHA-1 checks, idx files, safe
extraction of archive members. Private; the datasets are in :mod:`minigluon.data.vision.datasets`."""
import gzip
import hashlib
import os
import platform
import posixpath
import struct
import sys
import tarfile
import tempfile
import warnings
import zlib

import numpy as np

from minigluon.base import MXNetFormatError, as_mxnet_error, read_file

_HERE = os.path.dirname(os.path.abspath(__file__))


def data_dir():
    """MXNet 1.9.1's data folder: ``$MXNET_HOME``, else ``%APPDATA%\\mxnet`` on Windows and
    ``~/.mxnet`` elsewhere (``mxnet.base.data_dir``)."""
    home = os.environ.get('MXNET_HOME')
    if home:
        return home
    if platform.system() == 'Windows':
        return os.path.join(os.environ.get('APPDATA', ''), 'mxnet')
    return os.path.join(os.path.expanduser('~'), '.mxnet')


def repo_url(namespace, fname):
    """Where MXNet 1.9.1 downloads ``fname`` from (``$MXNET_GLUON_REPO`` honoured)."""
    base = os.environ.get('MXNET_GLUON_REPO',
                          'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/')
    return '%s%sgluon/dataset/%s/%s' % (base, '' if base.endswith('/') else '/', namespace, fname)


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


def read_idx(path, ndim):
    """The uint8 array of the idx file ``path`` (gzipped when it ends in ``.gz``), of ``ndim``
    dimensions; a malformed file raises MXNetFormatError naming it."""
    raw = read_file(path)
    if path.endswith('.gz'):
        try:
            raw = gzip.decompress(raw)
        except (gzip.BadGzipFile, EOFError, zlib.error) as err:
            raise MXNetFormatError('%s: not a complete gzip file (%s)' % (path, err)) from None
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise MXNetFormatError('%s: truncated idx file (%d bytes, the header alone is %d)'
                               % (path, len(raw), head))
    magic = struct.unpack('>I', raw[:4])[0]
    if magic != 0x0800 + ndim:
        raise MXNetFormatError('%s: bad idx magic number 0x%08x, expected 0x%08x (unsigned bytes, '
                               '%d dimension%s)' % (path, magic, 0x0800 + ndim, ndim, 's' * (ndim > 1)))
    dims = struct.unpack('>%dI' % ndim, raw[4:head])
    size = int(np.prod(dims, dtype=np.int64))
    if len(raw) - head != size:
        raise MXNetFormatError('%s: the header announces %s = %d bytes of data, the file holds %d '
                               '(truncated or not an idx file)'
                               % (path, ' x '.join(map(str, dims)), size, len(raw) - head))
    return np.frombuffer(raw, np.uint8, offset=head).reshape(dims)


def _is_unsafe(name):
    parts = name.replace('\\', '/').split('/')
    return name.startswith(('/', '\\')) or '..' in parts or (parts and ':' in parts[0])


def extract_members(archive, root, wanted, subdir):
    """Write the members ``wanted`` (file names) of the tar ``archive`` into ``root``.

    A member counts when it is named ``<name>`` or ``<subdir>/<name>`` (the official archive's
    layout); it must be a regular file. Each file is written to a temporary name and renamed, so
    a failure leaves no partial file. Returns the names not found in the archive."""
    todo = set(wanted)
    try:
        with tarfile.open(archive, 'r:*') as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith('./') else member.name
                base = posixpath.basename(name.replace('\\', '/'))
                if base not in todo:
                    continue
                if _is_unsafe(name):
                    raise MXNetFormatError('%s: refusing to extract member %r, whose path leaves the '
                                           'dataset folder' % (archive, member.name))
                if name not in (base, '%s/%s' % (subdir, base)):
                    continue
                if not member.isfile():
                    raise MXNetFormatError('%s: refusing to extract member %r: it is a link or '
                                           'special file, not a regular file' % (archive, member.name))
                fd, tmp = tempfile.mkstemp(prefix='.' + base, dir=root)
                try:
                    with os.fdopen(fd, 'wb') as out:
                        src = tar.extractfile(member)
                        for chunk in iter(lambda: src.read(1 << 20), b''):
                            out.write(chunk)
                    os.replace(tmp, os.path.join(root, base))
                except BaseException:
                    os.unlink(tmp)
                    raise
                todo.discard(base)
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise MXNetFormatError('%s: not a readable tar archive (%s)' % (archive, err)) from None
    except OSError as err:
        raise as_mxnet_error(err) from None
    return sorted(todo)
