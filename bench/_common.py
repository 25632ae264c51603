"""Helpers shared by the bench scripts: BLAS thread count, interleaved medians, machine load.

Import this module *before* NumPy: :func:`set_threads` must run before the BLAS library loads,
since OpenBLAS reads ``OPENBLAS_NUM_THREADS`` once, when NumPy is imported.
"""
import os
import statistics
import sys
import time

THREAD_VARS = ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')
_THREADS = None


def set_threads(default=1):
    """Read ``--threads N`` from the command line (else ``default``) and give NumPy's BLAS N threads.

    Must be called before NumPy is imported. Returns N; the caller gives PyTorch the same count
    (``torch.set_num_threads``) so that both frameworks run under the same rule. An explicit
    ``OPENBLAS_NUM_THREADS`` in the environment wins, as in examples/captcha_ocr.py.
    """
    global _THREADS
    if _THREADS is not None:          # already set (a runner set it before importing NumPy)
        return _THREADS
    n = default
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == '--threads' and i + 1 < len(argv):
            n = int(argv[i + 1])
        elif arg.startswith('--threads='):
            n = int(arg.split('=', 1)[1])
    if 'numpy' in sys.modules:
        raise RuntimeError('bench._common.set_threads must run before NumPy is imported')
    for var in THREAD_VARS:
        os.environ.setdefault(var, str(n))
    _THREADS = int(os.environ['OPENBLAS_NUM_THREADS'])
    return _THREADS


def interleaved_medians(fns, repeats, warmup=2):
    """Median wall time (seconds) of each callable; one call of each per round, so that all of them
    see the same machine load (the machine is shared and its load drifts)."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, acc in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def load_note():
    """``'load average 1.23, 1.50, 1.61 on 2 cores; Numba kernels on'``: the load the table was
    measured under, and whether minigluon's compiled kernels (minigluon/ops/_numba.py) ran."""
    return 'load average %s on %d cores; %s' % (', '.join('%.2f' % v for v in os.getloadavg()),
                                                  os.cpu_count() or 0, _numba_note())


def _numba_note():
    import importlib.util
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from minigluon.ops import _numba
    on = _numba.enabled and importlib.util.find_spec('numba') is not None
    return 'Numba kernels %s' % ('on' if on else 'off (MINIGLUON_NUMBA=0 or no Numba)')
