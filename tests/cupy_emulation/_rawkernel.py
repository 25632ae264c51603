"""``cupy.RawKernel`` for the CuPy stand-in: argument checks as strict as a GPU's, host execution.

A real kernel cannot run without a device. What can be checked on the host is the call: every
argument must match the kernel's C signature (a ``double*`` gets a C-contiguous float64 device
array, an ``int`` a ``numpy.int32``...), since a mismatch on a GPU gives garbage or a crash, not an
error. The body then runs only for kernels written in minigluon's dual form (see
``minigluon/ops/ctc_cuda.py``): without ``MG_CUDA`` the source is plain C in which the kernel is a
sequential loop over the grid; it is compiled with the system C compiler and called through ctypes.
The launch geometry (grid, block) is checked against CUDA's limits (every dimension at least 1, at
most 1,024 threads a block: a GPU refuses anything else with "invalid configuration argument"),
not emulated: the C form loops over the whole problem itself.
"""
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

from .fakecupy import ndarray

_C_TYPES = {'double': (np.float64, ctypes.c_double), 'float': (np.float32, ctypes.c_float),
            'int': (np.int32, ctypes.c_int), 'long long': (np.int64, ctypes.c_longlong),
            'unsigned int': (np.uint32, ctypes.c_uint), 'bool': (np.bool_, ctypes.c_bool),
            'unsigned char': (np.uint8, ctypes.c_ubyte)}
_built = {}


def _signature(code, name):
    """[(base C type, is_pointer)] of ``extern "C" __global__ void name(...)``."""
    m = re.search(r'__global__\s+void\s+%s\s*\(([^)]*)\)' % re.escape(name), code)
    if m is None:
        raise ValueError('RawKernel (emulated): no __global__ function %r in the source' % name)
    params = []
    for p in m.group(1).split(','):
        p = re.sub(r'\b(const|__restrict__)\b', ' ', p).strip()
        ptr = '*' in p
        base = ' '.join(p.replace('*', ' ').split()[:-1])
        if base not in _C_TYPES:
            raise NotImplementedError('RawKernel (emulated): parameter type %r' % p)
        params.append((base, ptr))
    return params


def _host_function(code, name):
    """The C form of a dual-form kernel, compiled once per source."""
    if '#ifdef MG_CUDA' not in code:
        raise NotImplementedError('RawKernel (emulated): only kernels written in the dual C/CUDA '
                                  'form (#ifdef MG_CUDA) can run on the host')
    c_source = code.replace('#define MG_CUDA 1\n', '')
    key = hashlib.sha1(c_source.encode()).hexdigest()[:16]
    if key not in _built:
        cc = shutil.which('cc') or shutil.which('gcc')
        if cc is None:
            raise NotImplementedError('RawKernel (emulated): no C compiler to build the host form')
        d = tempfile.mkdtemp(prefix='fakecupy_')
        src, lib = os.path.join(d, 'k.c'), os.path.join(d, 'k.so')
        with open(src, 'w') as f:
            f.write(c_source)
        subprocess.run([cc, '-O2', '-shared', '-fPIC', '-std=c99', '-o', lib, src, '-lm'],
                       check=True, capture_output=True)
        _built[key] = ctypes.CDLL(lib)
    fn = getattr(_built[key], name)
    fn.restype = None
    return fn


def _check_geometry(name, grid, block):
    """CUDA's launch limits: 1-3 dimensions each, all at least 1; grid x below 2**31, y and z at
    most 65,535; a block at most 1,024 threads and 1,024 x 1,024 x 64."""
    for what, dims, limits in (('grid', grid, (2 ** 31 - 1, 65535, 65535)),
                               ('block', block, (1024, 1024, 64))):
        dims = tuple(dims)
        if not 1 <= len(dims) <= 3 or any(type(d) is not int and not isinstance(d, np.integer)
                                          for d in dims):
            raise TypeError('%s: %s must be a tuple of 1 to 3 ints, got %r' % (name, what, dims))
        if any(d < 1 or d > lim for d, lim in zip(dims, limits)):
            raise ValueError('%s: invalid configuration argument (%s %r)' % (name, what, dims))
    if int(np.prod(block)) > 1024:
        raise ValueError('%s: invalid configuration argument (block %r: over 1024 threads)'
                         % (name, tuple(block)))


class RawKernel:
    """``cupy.RawKernel(code, name)``; call as ``kernel(grid, block, args)``."""

    def __init__(self, code, name, options=(), backend='nvrtc', **kwargs):
        self.code, self.name = code, name
        self._params = _signature(code, name)
        self._fn = None

    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        _check_geometry(self.name, grid, block)
        if len(args) != len(self._params):
            raise TypeError('%s: %d arguments for %d parameters' % (self.name, len(args), len(self._params)))
        c_args = []
        for i, (arg, (base, ptr)) in enumerate(zip(args, self._params)):
            dtype, ctype = _C_TYPES[base]
            where = '%s argument %d (%s%s)' % (self.name, i, base, '*' if ptr else '')
            if ptr:
                if type(arg) is not ndarray:
                    raise TypeError('%s: expected a cupy.ndarray, got %s' % (where, type(arg)))
                if arg.dtype != dtype or not arg.flags.c_contiguous:
                    raise TypeError('%s: expected a C-contiguous %s array, got %s (contiguous: %s)'
                                    % (where, np.dtype(dtype), arg.dtype, arg.flags.c_contiguous))
                c_args.append(arg._a.ctypes.data)    # the address, as an int
            else:
                # CuPy passes a Python int as a 64-bit value: only an exact NumPy scalar type is safe.
                if type(arg) is not dtype:
                    raise TypeError('%s: expected %s, got %r' % (where, np.dtype(dtype), arg))
                c_args.append(arg.item())
        if self._fn is None:
            self._fn = _host_function(self.code, self.name)
            self._fn.argtypes = [ctypes.c_void_p if ptr else _C_TYPES[base][1]
                                 for base, ptr in self._params]
        self._fn(*c_args)
