"""The switch for minigluon's optional Numba kernels on the CPU.

A few CPU hot spots have a compiled form besides their NumPy form, used when Numba is installed
(``pip install -e ".[fast]"``): the LSTM and GRU time steps (:mod:`minigluon.ops._rnn_numba`),
2-D max pooling (:mod:`minigluon.ops._pool_argmax`), CTC's scaled alpha/beta recursions
(:mod:`minigluon.ops.ctc_kernel`), the per-image convolution's im2col copy and its adjoint,
col2im (:mod:`minigluon.ops._conv_per_image`), the depthwise convolution
(:mod:`minigluon.ops._conv_depthwise`), BatchNorm with moving statistics and in training
(:mod:`minigluon.ops.norm`), the sampling of deformable convolutions
(:mod:`minigluon.ops.deformable_conv`), and Adam's update
(:mod:`minigluon.ops.update_kernels`). The NumPy form stays the reference and runs
whenever Numba is missing, the arrays are CuPy's, or the case is not covered.

``MINIGLUON_NUMBA=0`` in the environment (read when minigluon is imported) turns every compiled
kernel off; at run time set :data:`enabled`. Kernel modules are imported only on first use
(``import numba`` takes ~0.2 s and, with LLVM, ~100 MiB), compiled once and cached on disk by
Numba (``__pycache__`` beside the module, ``NUMBA_CACHE_DIR`` or the user's cache directory;
where none is writable, compiled in each process: :func:`njit`).
"""
import importlib
import os

#: Whether compiled kernels are used where they apply (``MINIGLUON_NUMBA=0`` turns them off).
enabled = os.environ.get('MINIGLUON_NUMBA', '1') != '0'
_modules = {}


def kernels(name):
    """The kernel module ``minigluon.ops.<name>`` when :data:`enabled` and Numba imports, else
    None. Imported once; a failed import is remembered too: ImportError (no Numba, or one that
    refuses this NumPy or llvmlite) or OSError (llvmlite's shared library fails to load, or the
    system forbids executable memory: ``import numba`` raises OSError then)."""
    if not enabled:
        return None
    if name not in _modules:
        try:
            _modules[name] = importlib.import_module('minigluon.ops.' + name)
        except (ImportError, OSError):      # the NumPy form runs
            _modules[name] = None
    return _modules[name]


def njit(**options):
    """Decorator for the kernel modules: ``numba.njit(cache=True, **options)``, or without the
    disk cache where Numba finds no writable cache directory (a read-only package directory and
    home, e.g. a system install used by an account without a home: Numba raises RuntimeError at
    decoration then)."""
    import numba

    def decorate(fn):
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:
            return numba.njit(**options)(fn)
    return decorate
