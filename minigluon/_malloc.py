"""Reuse freed memory instead of handing it back to the OS (glibc only; applied at import).

Why: a training step allocates and frees the same large temporary arrays every step (activations,
gate buffers, gradients: hundreds of KiB to tens of MiB each). glibc serves a large request with a
fresh ``mmap`` and returns it to the OS on ``free``, so the next step's array of the same size
starts as unmapped pages: the kernel takes one page fault per 4 KiB page and zero-fills it. On the
benchmark models that was a fifth of an eager training step (``bench/README.md``): thousands of
faults per step.

What: ``mallopt`` raises the size up to which glibc allocates from its heap (``M_MMAP_THRESHOLD``,
32 MiB) and the amount of free memory it keeps at the top of the heap before trimming
(``M_TRIM_THRESHOLD``, 128 MiB: the captcha example's step frees more than 64 MiB at once, and
128 MiB was as fast as 256 MiB, measured). Freed arrays then stay mapped and the next allocation
reuses them. jemalloc and tcmalloc, which PyTorch recommends for CPU training, do the same by
design.

Cost: the process keeps up to 128 MiB of freed memory mapped after a peak, so its resident size
stays near that peak. That bound is per malloc arena: threads that allocate large arrays (thread
DataLoader workers, a thread pool) get arenas of their own, and each keeps its freed memory too.
Measured with an earlier 256 MiB setting: four threads allocating 64 KiB to 24 MiB arrays left
about 800 MiB resident when done, against about 400 MiB untuned, stable over repeated rounds; one
thread over 2,000 steps of varying sizes stayed flat at its peak. Forked processes inherit the
settings. Opt out by setting ``MINIGLUON_MALLOC_TUNING=0`` in the environment before importing
minigluon. Nothing happens on other C libraries (musl, macOS, Windows) or when glibc refuses a
value.
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1          # glibc's mallopt parameter numbers (<malloc.h>)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20      # the largest value glibc accepts on every 64-bit version
TRIM_THRESHOLD = 128 << 20

applied = False                # True once glibc accepted both settings


def tune(environ=os.environ):
    """Apply the settings above once; returns whether glibc accepted them."""
    global applied
    if applied or environ.get('MINIGLUON_MALLOC_TUNING', '1') == '0' or not sys.platform.startswith('linux'):
        return applied
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, 'gnu_get_libc_version'):     # not glibc (musl's mallopt does nothing)
            return False
        applied = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                       and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        applied = False
    return applied
