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


def worker(framework, model):
    """Runs in its own process; prints one JSON line."""
    import tracemalloc
    import bench_train
    if framework == 'pytorch':
        step = bench_train.torch_step(THREADS, model)
    else:
        step = bench_train.minigluon_step(framework == 'minigluon-hybridized', model)
    before = _maxrss_mib()
    step()
    step()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    traced = (tracemalloc.get_traced_memory()[1] - base) / 2 ** 20
    tracemalloc.stop()
    res = {'rss': _maxrss_mib() - before}
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
    print('Peak memory of a training step (MiB), fresh process per case, %d BLAS/PyTorch threads; %s'
          % (THREADS, load_note()))
    print('%-10s %-22s %12s %12s %10s' % ('model', 'framework', 'rss MiB', 'traced MiB', 'x PyTorch'))
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
            print('%-10s %-22s %12.1f %s %10s' % (model, fw, r['rss'], traced,
                                                  '%.2f' % (r['rss'] / ref) if ref else '-'))


if __name__ == '__main__':
    main()
