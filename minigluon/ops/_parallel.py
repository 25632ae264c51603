"""Independent pieces of one operator, run on CPU worker threads (optional, off by default).

Some operators hold work that does not depend on itself: the two directions of a bidirectional
recurrent layer (:mod:`minigluon.ops.rnn`) read the same input and write separate outputs, in the
forward and in the backward; a convolution's images (:mod:`minigluon.ops._conv_per_image`, and
the batch path of :mod:`minigluon.ops.conv`, in chunks of images) and a compiled 2x2 max
pooling's (:mod:`minigluon.ops._pool_argmax`) too. With more than one worker they run at the same
time on CPU threads. That pays because nearly all of their time is spent where Python's GIL is
released: in BLAS calls (NumPy releases it around them), and in the Numba kernels, compiled
``nogil``.

The number of workers comes from the environment variable ``MINIGLUON_CPU_WORKERS`` (read at
import; default 1: everything in the calling thread, in order) or :func:`set_workers`. It is the
counterpart of MXNet's ``MXNET_CPU_WORKER_NTHREADS`` and, as there, combines with the BLAS
library's own threads: two workers with a two-thread OpenBLAS ask for four threads, so on two
cores set ``OPENBLAS_NUM_THREADS=1`` with two workers (``bench/README.md`` has the figures). On
CuPy arrays the pieces always run in order (one stream).

Results do not depend on the number of workers: each piece computes exactly what it computes
alone, and the caller combines the pieces in their fixed order (a sum over images, as the
convolution's weight gradient, is summed per chunk of images, the chunks fixed by the batch size
alone). A worker count lowered at run time leaves the extra per-worker buffers of static_alloc
workspaces in place (bounded: one im2col buffer per worker and convolution).
"""
import functools
import operator
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


CHUNKS = 8     # at most this many chunks of images (image_chunks)


def _count(value, what):
    """``value`` as a worker count (an integer >= 1), else ValueError naming ``what``."""
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():       # plain ASCII digits only ('1_0', '+3' refused)
            value = int(text)
    elif not isinstance(value, bool):
        try:
            value = operator.index(value)            # int, numpy integers
        except TypeError:
            pass
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError('%s must be a positive integer, got %r' % (what, value))
    return value


def _from_env():
    raw = os.environ.get('MINIGLUON_CPU_WORKERS', '')
    return _count(raw, 'MINIGLUON_CPU_WORKERS') if raw.strip() else 1    # empty: unset


_workers = _from_env()
_pool = None            # ThreadPoolExecutor with _workers - 1 threads, made on first use
_pool_pid = None        # the process that made it (a forked child must make its own)
_lock = threading.Lock()
_in_worker = threading.local()     # .flag: this thread is one of the pool's


def _mark_worker():
    _in_worker.flag = True


def workers():
    """The number of CPU worker threads independent pieces may use (1: none, run in order)."""
    return _workers


def set_workers(n):
    """Use ``n`` worker threads from now on (``n >= 1``; 1 runs every piece in the calling thread).
    Returns the previous number. Safe to call while other threads run operators: pieces already
    handed to the old threads finish there, later ones go to new threads.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer.
    """
    global _workers, _pool
    n = _count(n, 'set_workers: n')
    with _lock:
        old, _workers = _workers, n
        if _pool is not None and n != old:
            if _pool_pid == os.getpid():
                _pool.shutdown(wait=False)      # queued pieces still run; threads then exit
            _pool = None
    return old


def _under_errstate(err, job):
    with np.errstate(**err):
        return job()


def run(jobs, xp=None):
    """Call every function in ``jobs`` (no arguments) and return their results in order: in the
    calling thread when there is one worker, one job, ``xp`` is not NumPy, or the caller is itself
    a worker thread; otherwise the first job in the calling thread and the others on the worker
    threads, under the caller's floating-point error settings (``np.errstate``). An exception in
    any job is raised here, after all of them have finished."""
    global _pool, _pool_pid
    if (len(jobs) < 2 or (xp is not None and xp is not np)
            or getattr(_in_worker, 'flag', False)):    # (a job's own jobs: in order, no deadlock)
        return [job() for job in jobs]
    with _lock:         # the count, the pool and the hand-over agree: set_workers waits for it
        if _workers == 1:
            futures = None
        else:
            if _pool is None or _pool_pid != os.getpid():
                # (a forked child inherits the pool object but not its threads: make a new one)
                _pool = ThreadPoolExecutor(_workers - 1, thread_name_prefix='minigluon-cpu',
                                           initializer=_mark_worker)
                _pool_pid = os.getpid()
            err = np.geterr()         # the caller's np.errstate (thread-local) holds there too
            futures = [_pool.submit(_under_errstate, err, job) for job in jobs[1:]]
    if futures is None:
        return [job() for job in jobs]
    try:
        first = jobs[0]()
    finally:
        others = [f.exception() for f in futures]     # wait for all before raising
    for err in others:
        if err is not None:
            raise err
    return [first] + [f.result() for f in futures]


def image_chunks(n, most=CHUNKS):
    """Contiguous ranges ``(lo, hi)`` of ``n`` images, at most ``most`` of them, as even as can
    be. With the default they are fixed by ``n`` alone: an operator that sums over images (a
    convolution's weight gradient) sums each chunk, then the chunks in order, so its value does
    not depend on how many workers share them."""
    count = min(n, most)
    if count == 0:
        return []
    bounds = [n * j // count for j in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def share(xp, chunks, work):
    """Run ``work(worker, chunk_indices)`` with one job per worker: worker ``w`` takes chunks
    ``w, w + W, ...`` in turn (its own buffers may be keyed by ``w``). In order on CuPy."""
    count = min(len(chunks), _workers if xp is np else 1)
    run([functools.partial(work, w, range(w, len(chunks), count)) for w in range(count)], xp)


def sum_in_order(parts):
    """``parts[0] + parts[1] + ...``, added in this order into ``parts[0]`` (the per-chunk
    partial sums of :func:`image_chunks`: the same value whatever the number of workers)."""
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total
