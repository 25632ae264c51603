"""MXNet's binary ``.params`` format (``nd.save`` / ``nd.load``), read defensively and written atomically.

Layout (MXNet 1.9.1, ``src/ndarray/ndarray.cc``; all integers little-endian, no padding)::

    file    := u64 0x112 | u64 0 | u64 n_arrays | array * n_arrays
               | u64 n_names | (u64 length | UTF-8 bytes) * n_names        (n_names is 0 or n_arrays)
    array   := u32 magic | ...
      V2 0xF993FAC9: i32 stype | [sparse: shape storage_shape] | shape | i32 dev_type | i32 dev_id
                     | i32 type_flag | [sparse: (i32 aux_type | shape aux_shape) * n_aux] | data | [aux data]
      V3 0xF993FACA: as V2, dense only, written in NumPy-shape mode: ndim 0 is a scalar
      V1 0xF993FAC8: shape | dev_type | dev_id | type_flag | data                (no storage type)
      V0 (no magic): the u32 is ndim, then ndim u32 dims | dev_type | dev_id | type_flag | data
    shape   := i32 ndim | i64 dim * ndim

In legacy mode a V2 array of ndim 0 is a "none" array (no data follows); it loads as ``None``.
MXNet 1.9.1 itself writes a 0-d array (``nd.array([3.5]).reshape(())``) as V2 ndim 0 *followed by*
its context, type and value, a file its own ``nd.load`` then misreads ("basic_string::resize").
minigluon reads such a file: when a file with V2 ndim-0 arrays does not parse with them as "none"
arrays, it is parsed again with them as 0-d arrays with data.
Sparse arrays (row_sparse, csr) are converted to dense NDArrays on load; minigluon writes dense only.
bfloat16 arrays (type flag 12, which NumPy has no dtype for; MXNet 1.9.1 writes them for
``x.astype(np.dtype([('bfloat16', np.uint16)]))``) load as float32 arrays holding the same
values exactly; saving them again writes float32.

Safety: nothing is unpickled or evaluated. Every count, dimension and length is checked against the
bytes that remain before anything is allocated, so a corrupt or hostile file raises
:class:`~minigluon.base.MXNetFormatError` naming the file, the byte offset and what was expected.
Saves go to a temporary file in the same folder, are flushed and fsynced, then renamed over the
target, so an interrupted save leaves the previous file intact.
"""
import contextlib
import errno
import os
import stat
import struct
import tempfile
import threading

import numpy as np

from minigluon.base import MXNetFormatError, MXNetValueError, as_mxnet_error, read_file, special_file_kind

LIST_MAGIC = 0x112
V0_MAX_NDIM = 32          # a V0 header's first word is ndim; larger values mean "not a V0 file"
MAGIC_V1, MAGIC_V2, MAGIC_V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
MAX_NDIM = 32
SPARSE_EXPANSION = 1024   # a sparse array loads dense only up to this many times the file size


# The pickle protocols of MXNet's Trainer.save_states files: Python 3 pickles by default with
# 3 (<= 3.7), 4 (3.8+) or 5 (3.14+)
PICKLE_PROTOCOLS = (3, 4, 5)


def looks_like_pickle(buf):
    """Whether ``buf`` (bytes or a memoryview of them) starts as a Python pickle of a protocol
    of :data:`PICKLE_PROTOCOLS` does (the PROTO opcode ``0x80`` and its number), as the file
    MXNet's ``Trainer.save_states`` writes. The one test of this for every loader (``nd.load``,
    ``Trainer.load_states``, ``KVStore.load_optimizer_states``), so that they agree on it."""
    return len(buf) >= 2 and buf[0] == 0x80 and buf[1] in PICKLE_PROTOCOLS


# MXNet's type flags (mshadow) <-> NumPy dtypes
TYPE_FLAGS = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8,
              6: np.int64, 7: np.bool_, 8: np.int16, 9: np.uint16, 10: np.uint32, 11: np.uint64}
DTYPE_TO_FLAG = {np.dtype(v): k for k, v in TYPE_FLAGS.items()}
_BFLOAT16 = 12
# how an array's bfloat16 values (type flag 12) are read: as 16-bit words, which
# ``_Reader.data`` widens to float32 (the dtype MXNet 1.9.1's Python side gives bfloat16 arrays)
_BFLOAT16_WORDS = np.dtype([('bfloat16', '<u2')])


_UMASK_LOCK = threading.Lock()


def _umask():
    """The process umask. Linux shows it in ``/proc/self/status``; reading it there changes
    nothing, while ``os.umask`` can only be read by setting it: elsewhere it is set to 0 and back
    under a lock, so that two threads saving at once cannot leave it at 0 for the process."""
    with contextlib.suppress(OSError, ValueError):
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def _file_mode(path):
    """The permission bits of an existing ``path``, else 0666 minus the process umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _check_fname(fname, func):
    """``fname`` as a str; TypeError unless it is a str or an ``os.PathLike``.

    An int would be taken by ``open`` as a file descriptor: reading (and then closing) whatever
    that descriptor is, stdin included. MXNet 1.9.1 also refuses non-str names (``TypeError``).
    """
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError('%s: fname must be a str or path, got %s %r'
                        % (func, type(fname).__name__, fname))
    fname = os.fspath(fname)
    if not isinstance(fname, str):
        raise TypeError('%s: fname must be a str or path, got a path of %s'
                        % (func, type(fname).__name__))
    return fname


@contextlib.contextmanager
def atomic_write(path, mode='wb'):
    """Open a temporary file beside ``path`` for writing; on success fsync it and rename it to ``path``.

    If the body raises, the temporary file is removed and ``path`` is untouched; a path that
    cannot be written (a missing folder, a directory, no permission) raises the usual ``OSError``
    subclass that is also an ``MXNetError``, as MXNet's savers raise. The file keeps the
    permissions of the file it replaces, or gets those a plain ``open(path, 'w')`` would give
    (``0o666`` less the umask), not the private ``0o600`` of a temporary file.

    As ``open(path, 'w')`` (and MXNet's savers), a symbolic link is written through: the file it
    points to is replaced (the temporary file is made in that file's folder) and the link stays;
    and an existing file this process may not write (``chmod a-w``) raises ``PermissionError``
    instead of being replaced by a rename, which only needs the folder to be writable. A FIFO,
    socket or device (``/dev/null``) raises ``MXNetValueError``: the rename would replace it
    with a regular file (MXNet writes into it).
    """
    path = _check_fname(path, 'atomic_write')
    target = _replaceable_target(path)
    fd, tmp = _temp_file_beside(target, path)
    try:
        os.chmod(tmp, _file_mode(target))   # mkstemp makes 0600; give the mode open() would
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)           # (onto a directory: IsADirectoryError)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):      # a file that cannot be written: an MXNetError too
            raise as_mxnet_error(err).with_traceback(err.__traceback__) from None
        raise


def _replaceable_target(path):
    """The file ``path`` names, links followed (a link, even a dangling one, is written through,
    not replaced), once it is known that a new regular file may take its place there.

    Raises
    ------
    IsADirectoryError, PermissionError
        For a directory, or an existing file this process may not write (also MXNetErrors).
    MXNetValueError
        For a FIFO, socket or device.
    """
    if os.path.isdir(path):      # said up front: os.replace would name the temporary file
        raise as_mxnet_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path))
    target = os.path.realpath(path)
    if os.path.exists(target):
        st_mode = os.stat(target).st_mode
        if not stat.S_ISREG(st_mode):    # the rename would put a regular file in its place
            raise MXNetValueError('%r is %s, not a regular file: minigluon saves only to regular '
                                  'files (written beside and renamed over the target, which '
                                  'would replace it)' % (path, special_file_kind(st_mode)))
        if not os.access(target, os.W_OK):
            raise as_mxnet_error(PermissionError(errno.EACCES, os.strerror(errno.EACCES), path))
    return target


def _temp_file_beside(target, path):
    """``(fd, name)`` of a new temporary file ``.<target name>.<random>.tmp`` in ``target``'s
    folder, so that renaming it over ``target`` stays within one file system (and is atomic).
    An ``OSError`` names ``path`` (the name the caller gave), not the temporary file."""
    folder = os.path.dirname(target)
    try:
        return tempfile.mkstemp(prefix='.' + os.path.basename(target) + '.', suffix='.tmp', dir=folder)
    except OSError as err:
        hint = ('; create it first: os.makedirs(%r, exist_ok=True)' % folder
                if err.errno == errno.ENOENT else '')
        raise as_mxnet_error(type(err)(err.errno, '%s (cannot write into %s%s)'
                                       % (err.strerror, folder, hint), path)) from None


def atomic_write_files(blobs):
    """Save several files as one: ``blobs`` maps each path to its bytes (a ``-symbol.json`` and
    its ``.params``). Every file is written and fsynced beside its target before any is renamed
    (with :func:`atomic_write`), so a failure while writing (a full disk) leaves all of them as
    they were, not a new graph beside the previous parameters."""
    with contextlib.ExitStack() as stack:
        for path, blob in blobs.items():
            f = stack.enter_context(atomic_write(path))
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
    # (each file is renamed as the stack unwinds, once every file is on the disk)


# ---------------------------------------------------------------------------------------------------
# Writing


def dumps_array(arr, np_shape=False):
    """The bytes of one dense NumPy array (``array`` in the layout above, no file header) in V2
    layout (V3 for a 0-d array, which legacy V2 cannot express, or with ``np_shape``): what MXNet 1.9.1's
    ``MXNDArraySaveRawBytes`` writes and its ``NDArray.__getstate__`` pickles, and one item of
    :func:`dumps`. The inverse of :func:`loads_array`.

    Raises
    ------
    TypeError
        For a dtype the format cannot store.
    """
    arr = np.asarray(arr, order="C")   # (ascontiguousarray would turn a 0-d array into 1-d)
    if arr.dtype not in DTYPE_TO_FLAG:
        raise TypeError('dtype %s cannot be stored in the .params format (supported: %s)'
                        % (arr.dtype, ', '.join(sorted(np.dtype(t).name for t in TYPE_FLAGS.values()))))
    magic = MAGIC_V3 if arr.ndim == 0 or np_shape else MAGIC_V2
    parts = [struct.pack('<Ii', magic, 0), struct.pack('<i', arr.ndim),
             struct.pack('<%dq' % arr.ndim, *arr.shape), struct.pack('<iii', 1, 0, DTYPE_TO_FLAG[arr.dtype]),
             arr.astype(arr.dtype.newbyteorder('<'), copy=False).tobytes()]
    return b''.join(parts)


def dumps(data):
    """Serialise an NDArray, a list of NDArrays or a dict ``str -> NDArray`` to ``.params`` bytes.

    In the order of ``file`` in the layout above (MXNet 1.9.1 ``NDArray::Save`` of a list,
    ``src/ndarray/ndarray.cc``): the header (magic ``0x112``, a reserved 0, the array count),
    each array (:func:`dumps_array`), then the name count and each name, length first.

    A file holding a 0-d array is written all in V3 (NumPy-shape) layout, as MXNet 1.9.1 writes
    it under ``mx.util.np_shape(True)``: MXNet refuses to load a file that mixes V3 and V2
    arrays in either mode, and its legacy V2 form of a 0-d array does not load at all.
    """
    names, arrays = _names_and_arrays(data)
    np_shape = any(a.ndim == 0 for a in arrays)
    parts = [struct.pack('<QQQ', LIST_MAGIC, 0, len(arrays))]
    parts.extend(dumps_array(a.asnumpy(), np_shape) for a in arrays)
    parts.append(struct.pack('<Q', len(names)))
    for n in names:
        try:
            raw = n.encode('utf-8')
        except UnicodeEncodeError as err:    # a lone surrogate ('\ud800'), from os.fsdecode...
            raise MXNetValueError('save: the name %r cannot be stored: the format keeps names as '
                                  'UTF-8, which cannot encode it (%s)' % (n, err.reason)) from None
        parts.append(struct.pack('<Q', len(raw)) + raw)
    return b''.join(parts)


def _names_and_arrays(data):
    """``(names, arrays)`` of what :func:`save` was given: ``[]`` names for one NDArray or a list.

    Raises
    ------
    TypeError
        For another container, a non-str key or an item that is no NDArray (nothing is written).
    """
    from minigluon.ndarray import NDArray
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        for key in data:
            if not isinstance(key, str):
                raise TypeError('save: dict keys must be str, got %r (%s)' % (key, type(key).__name__))
        names, arrays = list(data.keys()), list(data.values())
    elif isinstance(data, (list, tuple)):
        names, arrays = [], list(data)
    else:
        raise TypeError('save: data must be an NDArray, a list of NDArrays or a dict of str to NDArray, '
                        'got %s' % type(data).__name__)
    for i, a in enumerate(arrays):
        if not isinstance(a, NDArray):
            raise TypeError('save: item %r is %s, expected an NDArray'
                            % (names[i] if names else i, type(a).__name__))
    return names, arrays


def save(fname, data):
    """Save NDArrays to ``fname`` in MXNet's ``.params`` format, atomically.

    Parameters
    ----------
    fname : str or path
    data : NDArray, list of NDArray or dict of str to NDArray
        A dict keeps its iteration order in the file; a list is stored without names.

    Raises
    ------
    TypeError
        For a ``fname`` that is not a str or path, other containers, non-str keys or unsupported
        dtypes.
    """
    fname = _check_fname(fname, 'save')
    blob = dumps(data)
    with atomic_write(fname) as f:
        f.write(blob)


# ---------------------------------------------------------------------------------------------------
# Reading


class _Reader:
    """Cursor over the bytes of a file; every read checks the bytes left and names the offset."""

    def __init__(self, buf, source):
        self.buf = memoryview(buf)
        self.pos = 0
        self.source = source
        self.v2_ndim0 = False          # met a V2 array of ndim 0 (see the module docstring)
        self.v2_scalars = False        # read those as 0-d arrays with data, not as "none"

    def fail(self, message, pos=None):
        """Raise MXNetFormatError naming the file, ``message`` and the offset (default: here)."""
        raise MXNetFormatError('%s: %s (at byte offset %d)'
                               % (self.source, message, self.pos if pos is None else pos))

    @property
    def left(self):
        """The number of bytes not read yet."""
        return len(self.buf) - self.pos

    def take(self, n, what):
        """The next ``n`` bytes (a memoryview); ``what`` names them if fewer remain."""
        if n < 0 or n > self.left:
            self.fail('truncated: %s needs %d bytes but only %d remain' % (what, n, self.left))
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt, what):
        """The next values of the ``struct`` format ``fmt`` (e.g. ``'<Q'``: one u64), as a tuple."""
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size, what))

    def shape(self, what, dim_fmt='q', ndim=None):
        """A ``shape`` of the layout: i32 ndim (unless ``ndim`` was read already, as in V0) then
        ndim dims of ``dim_fmt`` (``'q'``: i64; ``'I'``: V0's u32), as a tuple of ints."""
        start = self.pos
        if ndim is None:
            ndim, = self.unpack('<i', what + ' ndim')
        if not 0 <= ndim <= MAX_NDIM:
            self.fail('%s has ndim %d; expected 0..%d' % (what, ndim, MAX_NDIM), start)
        dims = self.unpack('<%d%s' % (ndim, dim_fmt), what + ' dims') if ndim else ()
        for d in dims:
            if d < 0:
                self.fail('%s has a negative dimension %d (shape %s)' % (what, d, dims), start)
        return tuple(int(d) for d in dims)

    def data(self, shape, dtype, what):
        """The next array of ``shape`` and ``dtype`` (C order, little-endian) as a NumPy array;
        the byte count is checked against the bytes left before anything is allocated."""
        dtype = np.dtype(dtype)
        count = 0 if 0 in shape else 1     # (3, 0) holds nothing, whatever comes before the 0
        for d in shape if count else ():
            count *= d
            if count * dtype.itemsize > self.left:      # checked before allocating anything
                self.fail('%s of shape %s and dtype %s needs more bytes than the %d that remain'
                          % (what, shape, 'bfloat16' if dtype == _BFLOAT16_WORDS else dtype.name,
                             self.left))
        span = 1
        for d in shape:
            span *= max(d, 1)
        if span * dtype.itemsize >= 1 << 62:           # NumPy refuses such shapes even when empty
            self.fail('%s has shape %s, whose dimensions multiply to more than any array can hold'
                      % (what, shape))
        raw = self.take(count * dtype.itemsize, what)
        if dtype == _BFLOAT16_WORDS:
            # a bfloat16 is the upper half of the float32 of the same value: every one of them
            # (infinities, NaNs, subnormals, -0.0) widens to float32 exactly
            words = np.frombuffer(raw, dtype='<u2').astype(np.uint32)
            return (words << 16).view(np.float32).reshape(shape)
        return np.frombuffer(raw, dtype=dtype.newbyteorder('<')).astype(dtype).reshape(shape)


def _type_flag(reader, what, values=True):
    """The NumPy dtype of the next i32 type flag (:data:`TYPE_FLAGS`). bfloat16 (flag 12, which
    NumPy has no dtype for) is :data:`_BFLOAT16_WORDS` for an array's values (``values``), which
    load as float32 holding the same numbers exactly; the indices of a sparse array (``values``
    False) cannot be bfloat16."""
    start = reader.pos
    flag, = reader.unpack('<i', what + ' type flag')
    if flag == _BFLOAT16:
        if values:
            return _BFLOAT16_WORDS
        reader.fail('%s is bfloat16; the indices of a sparse array must be integers' % what, start)
    if flag not in TYPE_FLAGS:
        reader.fail('%s has unknown type flag %d; expected one of %s' % (what, flag, sorted(TYPE_FLAGS)), start)
    return TYPE_FLAGS[flag]


def _read_array(r, index):
    """The ``index``-th ``array`` of the layout, from its u32 magic on: a NumPy array, or None for
    a legacy "none" array (MXNet 1.9.1 ``NDArray::Load``, ``src/ndarray/ndarray.cc``)."""
    what = 'array %d' % index
    start = r.pos
    magic, = r.unpack('<I', what + ' header')
    if magic in (MAGIC_V2, MAGIC_V3):
        return _read_v2_array(r, magic, what, start)
    return _read_v1_or_v0_array(r, magic, what, start)


def _read_v2_array(r, magic, what, start):
    """The rest of a V2 or V3 array after its magic: storage type, shapes, context, type flag,
    data (a sparse array's values and aux arrays, made dense)."""
    stype, = r.unpack('<i', what + ' storage type')
    if stype not in (0, 1, 2) or (magic == MAGIC_V3 and stype != 0):
        r.fail('%s has unknown storage type %d' % (what, stype), start + 4)
    sshape = r.shape(what + ' storage shape') if stype else None
    shape = r.shape(what + ' shape')
    if not shape and magic == MAGIC_V2:
        r.v2_ndim0 = True
        if not r.v2_scalars:
            return None                  # legacy "none" array: nothing follows
    r.unpack('<ii', what + ' context')
    dtype = _type_flag(r, what)
    if stype == 0:
        return r.data(shape, dtype, what + ' data')
    n_aux = 1 if stype == 1 else 2       # row_sparse: row indices; csr: indptr and column indices
    aux = []
    for k in range(n_aux):
        atype = _type_flag(r, '%s aux %d' % (what, k), values=False)
        aux.append((atype, r.shape('%s aux %d shape' % (what, k))))
    values = r.data(sshape, dtype, what + ' values')
    aux_data = [r.data(s, t, '%s aux %d data' % (what, k)) for k, (t, s) in enumerate(aux)]
    return _densify(r, what, stype, shape, values, aux_data, start)


def _read_v1_or_v0_array(r, magic, what, start):
    """The rest of an array written before V2: after the V1 magic, or after a first u32 that is
    V0's ndim; an array of no dimensions is a "none" array (None)."""
    if magic == MAGIC_V1:
        shape = r.shape(what + ' shape')
    elif magic <= V0_MAX_NDIM:
        shape = r.shape(what + ' shape', dim_fmt='I', ndim=magic)
    else:
        r.fail('%s starts with 0x%08X, which is no NDArray magic number (expected 0x%08X)'
               % (what, magic, MAGIC_V2), start)
    if not shape:
        return None
    r.unpack('<ii', what + ' context')
    dtype = _type_flag(r, what)
    return r.data(shape, dtype, what + ' data')


def _densify(r, what, stype, shape, values, aux, start):
    """Turn row_sparse or csr storage into a dense array, validating the indices.

    The dense form may be larger than the file (that is what sparse storage is for), but not
    without bound: at most ``SPARSE_EXPANSION`` times the file size, or 64 MiB, whichever is more.
    """
    size = values.dtype.itemsize
    for d in shape:
        size *= max(d, 1)       # an empty (0, 2**62) shape is refused by NumPy too
    limit = max(SPARSE_EXPANSION * len(r.buf), 64 << 20)
    if size > limit:
        r.fail('%s: a sparse array of shape %s would take %d bytes when made dense, more than '
               '%d times the file size' % (what, shape, size, SPARSE_EXPANSION), start)
    dense = np.zeros(shape, dtype=values.dtype)
    if stype == 1:
        idx = aux[0].astype(np.int64).reshape(-1)
        if len(shape) == 0 or values.shape[1:] != shape[1:] or len(idx) != values.shape[0] \
                or (idx.size and (idx.min() < 0 or idx.max() >= shape[0])):
            r.fail('%s: row_sparse indices or values do not fit shape %s' % (what, shape), start)
        dense[idx] = values
        return dense
    indptr, cols = aux[0].astype(np.int64).reshape(-1), aux[1].astype(np.int64).reshape(-1)
    if len(shape) != 2 or len(indptr) != shape[0] + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0) \
            or indptr[-1] != len(cols) or len(cols) != values.size \
            or (cols.size and (cols.min() < 0 or cols.max() >= shape[1])):
        r.fail('%s: csr indptr/indices do not fit shape %s' % (what, shape), start)
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    dense[rows, cols] = values.reshape(-1)
    return dense


def _twice(parse, buf, source):
    """``parse(reader)``; if that fails on a file holding V2 ndim-0 arrays, again with those read
    as 0-d arrays with data (MXNet 1.9.1's legacy-mode scalars); the first error if both fail."""
    r = _Reader(buf, source)
    try:
        return parse(r)
    except MXNetFormatError as err:
        if not r.v2_ndim0:
            raise
        again = _Reader(buf, source)
        again.v2_scalars = True
        try:
            return parse(again)
        except MXNetFormatError:
            raise err from None


def loads(buf, source='<buffer>'):
    """Parse ``.params`` bytes into a list of NumPy arrays, or a dict when the file has names."""
    return _twice(_parse_file, buf, source)


def _parse_file(r):
    """A whole ``file`` of the layout: header, arrays, names; no byte may be left over.
    Returns the list of arrays, or a dict ``name -> array`` when the file has names."""
    if looks_like_pickle(r.buf):
        r.fail('not an MXNet NDArray file but a Python pickle (MXNet\'s Trainer.save_states '
               'writes one: load optimizer states with trainer.load_states)', 0)
    magic, _reserved = r.unpack('<QQ', 'file header')
    if magic != LIST_MAGIC:
        hint = ''
        if bytes(r.buf[:256]).lstrip()[:1] in (b'{', b'['):
            hint = ' (the file is JSON text, as a -symbol.json: load a graph with sym.load or ' \
                   'SymbolBlock.imports(symbol_file, input_names, param_file))'
        r.fail('not an MXNet NDArray file: header magic 0x%X, expected 0x%X%s'
               % (magic, LIST_MAGIC, hint), 0)
    count, = r.unpack('<Q', 'array count')
    if count > r.left // 4:           # every array takes at least 4 bytes
        r.fail('array count %d is impossible for the %d bytes that remain' % (count, r.left))
    arrays = [_read_array(r, i) for i in range(count)]
    names = _read_names(r, count)
    if r.left:
        r.fail('%d unexpected bytes after the last name' % r.left)
    if not names:
        return arrays
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        r.fail('duplicate names %s' % dup, 0)
    return dict(zip(names, arrays))


def _read_names(r, count):
    """The names after the ``count`` arrays: a u64 name count (0 or ``count``), then each name
    as a u64 byte length and that many UTF-8 bytes."""
    n_names, = r.unpack('<Q', 'name count')
    if n_names not in (0, count):
        r.fail('the file holds %d arrays but %d names; expected 0 or %d names' % (count, n_names, count))
    names = []
    for i in range(n_names):
        length, = r.unpack('<Q', 'length of name %d' % i)
        start = r.pos
        raw = r.take(length, 'name %d' % i)
        try:
            names.append(bytes(raw).decode('utf-8'))
        except UnicodeDecodeError:
            r.fail('name %d is not valid UTF-8' % i, start)
    return names


def loads_array(buf, source='<buffer>'):
    """Parse the bytes of *one* array (``array`` in the layout above, no file header) into a NumPy
    array; None for a legacy "none" array. These are the bytes MXNet 1.9.1's
    ``MXNDArraySaveRawBytes`` writes, which its ``NDArray.__getstate__`` pickles.

    Raises
    ------
    MXNetFormatError
        If the bytes are not exactly one valid array.
    """
    return _twice(_parse_one, buf, source)


def _parse_one(r):
    arr = _read_array(r, 0)
    if r.left:
        r.fail('%d unexpected bytes after the array' % r.left)
    return arr


def _wrap(arrays, ctx):
    """The parsed NumPy arrays (a list or a dict) as NDArrays on ``ctx``; None stays None."""
    from minigluon.ndarray import array as nd_array

    def one(a):
        return None if a is None else nd_array(a, ctx=ctx, dtype=a.dtype)
    if isinstance(arrays, dict):
        return {k: one(v) for k, v in arrays.items()}
    return [one(v) for v in arrays]


def load(fname, ctx=None):
    """Load NDArrays saved by ``save`` (or by MXNet's ``nd.save``/``save_parameters``/``export``).

    Parameters
    ----------
    fname : str or path
    ctx : Context, optional
        Where to place the arrays (default: the current context).

    Returns
    -------
    list of NDArray, or dict of str to NDArray when the file stores names.
    Legacy "none" arrays load as ``None``; sparse arrays load dense; bfloat16 arrays load as
    float32, every value exactly (MXNet 1.9.1 gives a bfloat16 array; NumPy has no bfloat16).

    Raises
    ------
    MXNetFormatError
        If the file is not a valid ``.params`` file (message names file, offset and expectation).
    OSError
        If the file cannot be read (``FileNotFoundError`` and the like, also ``MXNetError`` as
        in MXNet: :func:`minigluon.base.read_file`).
    TypeError
        If ``fname`` is not a str or path (an int would be read as a file descriptor).
    """
    fname = _check_fname(fname, 'load')
    return _wrap(loads(read_file(fname), source=str(fname)), ctx)


def load_frombuffer(buf, ctx=None):
    """Like :func:`load`, from bytes in memory."""
    return _wrap(loads(buf), ctx)
