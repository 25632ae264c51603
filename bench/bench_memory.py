"""Peak memory of one training step, minigluon against PyTorch CPU, for the bench_train.py models.

What is measured, each case in a fresh subprocess (one model, one framework, nothing else loaded):

* ``rss``: growth of the process's peak resident set (``ru_maxrss``) from just before the first
  training step to the end of the third: the memory that training needs on top of the model, its
  parameters and the batch (activations kept for backward, gradients, optimizer state, temporaries).
  Same method for both frameworks. Large NumPy and PyTorch buffers are mmap'ed and returned to the
  system when freed, so the high-water mark follows what is live.
* ``traced`` (minigluon only): ``tracemalloc`` peak during the third step, above the memory traced
  just before it; NumPy reports its array buffers to tracemalloc, so this counts exactly the NumPy
  arrays (plus Python objects) a warm step allocates at its worst moment. PyTorch's CPU allocator
  is invisible to tracemalloc, hence the RSS column for the comparison.
* ``code``: resident memory of the loaded framework itself, before the first step, for the record:
  PyTorch's libraries, or minigluon with NumPy and, when Numba is installed, Numba with all its
  compiled kernels (loaded here before the baseline, as PyTorch's libraries are at import; otherwise the
  first step would load them and ``rss`` would count ~100 MiB of code as training memory).

    python bench/bench_memory.py [--threads 1] [--models ctc,captcha]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _common import load_note, set_threads  # noqa: E402

THREADS = set_threads(1)

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def _vmrss_mib():
    with open('/proc/self/status') as f:
        return int(f.read().split('VmRSS:')[1].split()[0]) / 1024.0


def _load_compiled_kernels():
    """Load every Numba kernel of minigluon (if Numba is there: LSTM time loops with SciPy's BLAS, 2x2 max pooling,
    CTC, convolution col2im) by running each once on tiny arrays, so that Numba, LLVM and the kernels' code count as
    code, not as training memory."""
    import numpy as np
    from minigluon.ops import _numba
    rnn, pool, ctc, conv = (_numba.kernels(m) for m in (
        '_rnn_numba_kernels', '_pool_numba_kernels', '_ctc_numba_kernels', '_conv_numba_kernels'))
    if rnn is None:
        return
    f4, z = np.zeros((1, 1, 4), np.float32), np.zeros((2, 1, 1), np.float32)
    rnn.forward_loop(f4.copy(), z.copy(), z.copy(), z[:1].copy(), np.zeros((1, 4), np.float32),
                     np.zeros((1, 4), np.float32))
    rnn.backward_loop(f4 + 1, z, z[:1], z[:1], z[0].copy(), z[0].copy(), f4.copy(),
                      np.zeros((4, 1), np.float32))
    best, pos = np.zeros((1, 1, 1, 1), np.float32), np.zeros((1, 1, 1, 1), np.uint8)
    pool.argmax_pool_2x2(np.zeros((1, 1, 2, 2), np.float32), best, pos, True)
    pool.scatter_2x2(best, pos, np.zeros((1, 1, 2, 2), np.float32))
    E, S = np.ones((2, 1, 3)), np.zeros((1, 1))
    ctc.alpha_beta_scaled(E, np.zeros_like(E), S, S, S + 1, np.full(1, -1, np.int64), 4,
                          np.ones((2, 1)), np.ones((2, 1)))
    conv.col2im_stride1_2d(np.zeros((1, 1, 1, 1), np.float32), np.zeros((1, 1, 1), np.float32),
                           0, 1, 1, 1, 1, 0, 0)


def worker(framework, model):
    """Runs in its own process; prints one JSON line."""
    import tracemalloc
    code0 = _vmrss_mib()
    import bench_train
    if framework == 'pytorch':
        step = bench_train.torch_step(THREADS, model)
    else:
        step = bench_train.minigluon_step(framework == 'minigluon-hybridized', model)
        _load_compiled_kernels()
    code = _vmrss_mib() - code0
    before = _maxrss_mib()
    step()
    step()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    traced = (tracemalloc.get_traced_memory()[1] - base) / 2 ** 20
    tracemalloc.stop()
    res = {'rss': _maxrss_mib() - before, 'code': code}
    if framework != 'pytorch':
        res['traced'] = traced
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--models', default='ctc,captcha')
    ap.add_argument('--worker', nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sys.path.insert(0, os.path.dirname(HERE))
    from minigluon.ops import _parallel      # the workers' count, from MINIGLUON_CPU_WORKERS
    print('Peak memory of a training step (MiB), fresh process per case, %d BLAS/PyTorch threads, '
          '%d minigluon CPU workers; %s' % (THREADS, _parallel.workers(), load_note()))
    print('%-10s %-22s %12s %12s %10s %10s' % ('model', 'framework', 'rss MiB', 'traced MiB', 'x PyTorch',
                                             'code MiB'))
    for model in args.models.split(','):
        rows = {}
        for fw in ('pytorch', 'minigluon', 'minigluon-hybridized'):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), '--threads', str(THREADS),
                                  '--worker', fw, model], capture_output=True, text=True)
            if out.returncode != 0:
                print('%-10s %-22s failed: %s' % (model, fw, out.stderr.strip().splitlines()[-1:]))
                continue
            rows[fw] = json.loads(out.stdout.strip().splitlines()[-1])
        ref = rows.get('pytorch', {}).get('rss')
        for fw, r in rows.items():
            traced = '%12.1f' % r['traced'] if 'traced' in r else '%12s' % '-'
            print('%-10s %-22s %12.1f %s %10s %10.1f' % (model, fw, r['rss'], traced,
                                                         '%.2f' % (r['rss'] / ref) if ref else '-',
                                                         r['code']))


if __name__ == '__main__':
    main()
