"""Every dual-form CUDA kernel source of minigluon compiles cleanly, in both of its forms.

The kernels (CTC, the LSTM loops, 2x2 max pooling, Adam) are written once for two compilers:
plain C without ``MG_CUDA`` (built here with the system C compiler, ``-Wall -Werror``: the form
the CuPy stand-in runs in the other tests) and CUDA C with it (built with ``nvcc`` where it is
installed, so a syntax or type error in device code fails here, not on the first GPU).
"""
import os
import shutil
import subprocess

import numpy as np
import pytest

from minigluon.ops import _pool_cuda, _rnn_cuda, _update_cuda, ctc_cuda

CC = shutil.which('cc') or shutil.which('gcc')
SOURCES = {
    'ctc': (lambda dtype: ctc_cuda.KERNEL_SOURCE, ()),
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
