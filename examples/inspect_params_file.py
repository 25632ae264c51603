"""Save a small network's parameters and print the ``.params`` file, field by field.

A companion to docs/DESIGN.md, "Following a save and a load". ``net.save_parameters(f)`` writes
MXNet's binary NDArray list (MXNet 1.9.1 ``NDArray::Save``, ``src/ndarray/ndarray.cc``), which
``minigluon/serialization.py`` writes and reads; its module docstring gives the whole grammar.
This script reads the bytes itself, with :mod:`struct`, to show them: one line per field,
``offset | size | field | value``, offsets and sizes in bytes, every integer little-endian::

    PYTHONPATH=. python3 examples/inspect_params_file.py                    # a tiny net, in a temp folder
    PYTHONPATH=. python3 examples/inspect_params_file.py --save-to n.params  # the same, kept in n.params
    PYTHONPATH=. python3 examples/inspect_params_file.py some.params        # any dense .params file

It shows the dense arrays of the V2 and V3 layouts, which minigluon and MXNet 1.x write; for the
older layouts and sparse arrays it stops and says so (``minigluon.serialization.load`` reads
them all, and checks every count and length, which this script does not). A file that does not
start with the NDArray list's magic (a ``-symbol.json``) or ends inside a field stops it too.
"""
import argparse
import os
import struct
import sys
import tempfile

import numpy as np

import minigluon as mx
from minigluon.gluon import nn
from minigluon.serialization import TYPE_FLAGS

LIST_MAGIC = 0x112
LAYOUTS = {0xF993FAC9: 'V2', 0xF993FACA: 'V3, NumPy shapes (a 0-d array is a scalar)'}
STORAGE = {0: 'dense', 1: 'row_sparse', 2: 'csr'}
DEVICES = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned'}


class FieldPrinter:
    """Walks the bytes ``buf`` front to back; each read prints one field's line and moves on."""

    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def need(self, size, field):
        """Stop with EOFError where ``field`` (``size`` bytes) runs past the end of the file."""
        if self.pos + size > len(self.buf):
            raise EOFError('the file ends at byte %d, inside the field %r (%d bytes from offset %d): '
                           'truncated?' % (len(self.buf), field, size, self.pos))

    def row(self, size, field, value):
        print('%7d | %5d | %-38s | %s' % (self.pos, size, field, value))
        self.pos += size

    def ints(self, fmt, field, show=str):
        """Read the integers of the struct format ``fmt`` (``'<2q'``: two i64) as a tuple."""
        self.need(struct.calcsize(fmt), field)
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.row(struct.calcsize(fmt), field, show(values))
        return values

    def int(self, fmt, field, show=str):
        """Read one integer (``fmt`` ``'<Q'``: a u64, ``'<I'``: a u32, ``'<i'``: an i32)."""
        return self.ints(fmt, field, lambda values: show(values[0]))[0]

    def raw(self, size, field, show):
        self.need(size, field)
        data = self.buf[self.pos:self.pos + size]
        self.row(size, field, show(data))
        return data


def show_file(buf):
    """Print the file ``buf`` (bytes): header, each array, the names."""
    f = FieldPrinter(buf)
    if len(buf) < 8 or struct.unpack_from('<Q', buf)[0] != LIST_MAGIC:
        sys.exit('not a .params file: it does not start with the u64 0x112 of MXNet\'s NDArray '
                 'list (the first bytes are %r; a -symbol.json is the graph, its .params '
                 'file holds the arrays)' % bytes(buf[:8]))
    print('%7s | %5s | %-38s | %s' % ('offset', 'size', 'field', 'value'))
    f.int('<Q', 'header magic (u64)', hex)
    f.int('<Q', 'reserved (u64)')
    count = f.int('<Q', 'array count (u64)')
    for i in range(count):
        show_array(f, i)
    n_names = f.int('<Q', 'name count (u64, 0 or the array count)')
    for i in range(n_names):
        length = f.int('<Q', 'name %d length (u64)' % i)
        f.raw(length, 'name %d (UTF-8)' % i, lambda b: repr(b.decode('utf-8')))
    print('end of file at byte %d (file size %d)' % (f.pos, len(buf)))


def show_array(f, i):
    """Print array ``i``: magic, storage type, shape, context, type flag, data."""
    print('-- array %d' % i)
    magic = f.int('<I', 'array %d magic (u32)' % i,
                  lambda m: '0x%08X %s' % (m, LAYOUTS.get(m, '(a layout this script does not show)')))
    if magic not in LAYOUTS:
        sys.exit('array %d: not a V2/V3 array; minigluon.serialization.load reads it' % i)
    stype = f.int('<i', 'storage type (i32)', lambda s: '%d %s' % (s, STORAGE.get(s, '?')))
    if stype != 0:
        sys.exit('array %d: sparse; minigluon.serialization.load reads it (as a dense array)' % i)
    ndim = f.int('<i', 'ndim (i32)')
    shape = f.ints('<%dq' % ndim, 'shape (i64 x %d)' % ndim) if ndim else ()
    if ndim == 0 and magic == 0xF993FAC9:
        print('        (V2 with ndim 0: a "none" array, no data follows)')
        return
    f.ints('<ii', 'context (i32 dev_type, i32 dev_id)', lambda c: '%s(%d)' % (DEVICES.get(c[0], '?'), c[1]))
    flag = f.int('<i', 'type flag (i32)', lambda t: '%d %s' % (t, np.dtype(TYPE_FLAGS[t]).name))
    dtype = np.dtype(TYPE_FLAGS[flag]).newbyteorder('<')
    n = int(np.prod(shape))
    f.raw(n * dtype.itemsize, 'data (%d x %s, C order)' % (n, dtype.name),
          lambda b: ' '.join('%g' % v for v in np.frombuffer(b, dtype)[:4]) + (' ...' if n > 4 else ''))


def save_tiny_net(path):
    """Save a two-layer net's parameters to ``path``; print the names each naming gives them."""
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3))
    net.initialize(mx.init.Xavier())
    net.save_parameters(path)
    print('collect_params() names:          %s' % list(net.collect_params().keys()))
    print('save_parameters() writes these:  %s' % list(net._collect_params_with_prefix().keys()))
    print('file %s, %d bytes\n' % (path, os.path.getsize(path)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('file', nargs='?', help='a .params file to show (default: save a tiny net)')
    parser.add_argument('--save-to', help='where to save the tiny net (default: a temporary folder)')
    args = parser.parse_args(argv)
    if args.file:
        try:
            with open(args.file, 'rb') as fh:
                buf = fh.read()
        except OSError as err:
            sys.exit('cannot read %s: %s' % (args.file, err.strerror or err))
        try:
            show_file(buf)
        except EOFError as err:
            sys.exit(str(err))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.save_to or os.path.join(tmp, 'tiny.params')
        save_tiny_net(path)
        with open(path, 'rb') as fh:
            show_file(fh.read())


if __name__ == '__main__':
    main()
