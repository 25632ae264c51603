"""Every dual-form CUDA kernel source of minigluon compiles cleanly, in both of its forms.

The kernels (CTC, the LSTM loops, 2x2 max pooling, Adam) are written once for two compilers:
plain C without ``MG_CUDA`` (built here with the system C compiler, ``-Wall -Werror``: the form
the CuPy stand-in runs in the other tests) and CUDA C with it, so a syntax or type error in device
code fails here, not on the first GPU. The CUDA form is compiled with ``nvcc`` where it is
installed, and with NVRTC (the compiler CuPy itself uses, with CuPy's ``-ftz=true``) where its
library is found: ``pip install -e ".[nvrtc]"`` (NVIDIA's ``nvidia-cuda-nvrtc`` wheel, ~140 MB,
no GPU needed) or ``MINIGLUON_NVRTC=/path/to/libnvrtc.so``. Both skip when absent.
"""
import ctypes
import ctypes.util
import glob
import os
import shutil
import subprocess

import numpy as np
import pytest

from minigluon.ops import _pool_cuda, _rnn_cuda, _update_cuda, ctc_cuda

CC = shutil.which('cc') or shutil.which('gcc')
SOURCES = {
    'ctc': (ctc_cuda.kernel_source, ()),
    'lstm': (_rnn_cuda.kernel_source, ()),
    'pool': (_pool_cuda.kernel_source, ()),
    'adam': (_update_cuda.kernel_source, ('--fmad=false',)),
}


@pytest.mark.skipif(CC is None, reason='no C compiler')
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(SOURCES))
def test_c_form_compiles_cleanly(tmp_path, name, dtype):
    src = tmp_path / (name + '.c')
    src.write_text(SOURCES[name][0](dtype))
    out = subprocess.run([CC, '-O2', '-shared', '-fPIC', '-std=c99', '-Wall', '-Werror', '-o',
                          str(tmp_path / (name + '.so')), str(src), '-lm'],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='no nvcc')
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(SOURCES))
def test_cuda_form_compiles_cleanly(tmp_path, name, dtype):
    source, options = SOURCES[name]
    src = tmp_path / (name + '.cu')
    src.write_text('#define MG_CUDA 1\n' + source(dtype))
    out = subprocess.run(['nvcc', '-c', *options, '-Werror', 'all-warnings', '-o', os.devnull,
                          str(src)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def _nvrtc():
    """NVRTC's shared library, or None: ``MINIGLUON_NVRTC``, NVIDIA's pip wheel, the system."""
    candidates = [os.environ.get('MINIGLUON_NVRTC')]
    try:
        import nvidia
        for base in nvidia.__path__:
            candidates += sorted(glob.glob(os.path.join(base, '*', 'lib', 'libnvrtc.so*')))
    except ImportError:
        pass
    candidates.append(ctypes.util.find_library('nvrtc'))
    for path in candidates:
        if path:
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


NVRTC = _nvrtc()


def nvrtc_compile(source, options):
    """``(status, log)`` of NVRTC compiling ``source`` with ``options`` (status 0: success)."""
    prog = ctypes.c_void_p()
    status = NVRTC.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b'kernel.cu', 0, None,
                                      None)
    assert status == 0, 'nvrtcCreateProgram: %d' % status
    try:
        opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        status = NVRTC.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        NVRTC.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        NVRTC.nvrtcGetProgramLog(prog, log)
        return status, log.value.decode(errors='replace')
    finally:
        NVRTC.nvrtcDestroyProgram(ctypes.byref(prog))


@pytest.mark.skipif(NVRTC is None, reason='no NVRTC library (pip install -e ".[nvrtc]")')
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(SOURCES))
def test_cuda_form_compiles_with_nvrtc(name, dtype):
    source, options = SOURCES[name]
    status, log = nvrtc_compile('#define MG_CUDA 1\n' + source(dtype),
                                ['--gpu-architecture=compute_75', '-ftz=true', *options])
    assert status == 0 and 'warning' not in log, log


@pytest.mark.skipif(NVRTC is None, reason='no NVRTC library (pip install -e ".[nvrtc]")')
def test_nvrtc_check_reports_an_error():
    status, log = nvrtc_compile('extern "C" __global__ void k(float* x) { x[0] = nothing; }',
                                ['--gpu-architecture=compute_75'])
    assert status != 0 and 'nothing' in log
